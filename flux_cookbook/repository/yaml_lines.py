"""YAML read with the line of every key and item, for problems that name a file and a line.

PyYAML's safe loader (the C parser when there is one) builds plain dicts and lists; here
each mapping is a `LineMap` (a dict) and each sequence a `LineList` (a list) that also
know the line they start on and the line of each key or item. A key written twice in one
mapping is an error, as it is for the API server and for yamllint, where PyYAML alone
silently keeps the last one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from flux_cookbook.extensions import bounded_yaml

_BaseLoader = bounded_yaml.SAFE_LOADER
MERGE_TAG = "tag:yaml.org,2002:merge"


class LineMap(dict):
    """A mapping that knows its own line and the line of each key (all 1-based)."""

    line: int = 1

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_lines: dict[Any, int] = {}
        # Where each value starts, and its scalar style ("|" and ">" for block scalars,
        # whose text begins on the line after the indicator).
        self.value_lines: dict[Any, int] = {}
        self.value_styles: dict[Any, str | None] = {}

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence that knows its own line and the line of each item."""

    line: int = 1

    def __init__(self, *args):
        super().__init__(*args)
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class YamlError(Exception):
    """Text that is not YAML, or a mapping with a key written twice; `line` is 1-based."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Document:
    obj: Any  # None for an empty (comment-only) document
    line: int  # where the document's content starts


class _Loader(_BaseLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineMap:
    seen: dict[tuple[type, Any], int] = {}
    for key_node, _ in node.value:
        if key_node.tag == MERGE_TAG:
            continue  # keys merged in with `<<:` may be overridden; that is their purpose
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            # The type too: Python holds 1 == True, YAML does not.
            if (type(key), key) in seen:
                raise YamlError(line, f"duplicate key {key!r} (first at line {seen[type(key), key]})")
            seen[type(key), key] = line
        except TypeError:
            raise YamlError(line, "a mapping key must be a plain value, not a list or mapping") from None
    loader.flatten_mapping(node)
    result = LineMap()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
        result.value_lines[key] = value_node.start_mark.line + 1
        result.value_styles[key] = getattr(value_node, "style", None)
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(item, deep=True) for item in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [item.start_mark.line + 1 for item in node.value]
    return result


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def load_documents(text: str) -> list[Document]:
    """Every document of `text`, each with the line its content starts on. Raises YamlError."""
    documents = []
    try:
        bounded_yaml.check(text)
        loader = _Loader(text)
    except yaml.MarkedYAMLError as error:
        raise YamlError(error.problem_mark.line + 1 if error.problem_mark else 1, error.problem or str(error)) from None
    try:
        while loader.check_node():
            node = loader.get_node()
            documents.append(Document(loader.construct_document(node), node.start_mark.line + 1))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = " ".join(part for part in (error.context, error.problem) if part)
        raise YamlError(mark.line + 1 if mark else 1, message or str(error)) from None
    except yaml.YAMLError as error:  # e.g. a character YAML does not allow, without a mark
        raise YamlError(1, str(error)) from None
    finally:
        loader.dispose()
    return documents


def load(text: str) -> Any:
    """The single document of `text` (None if empty). Raises YamlError."""
    documents = load_documents(text)
    if len(documents) > 1:
        raise YamlError(documents[1].line, "more than one YAML document")
    return documents[0].obj if documents else None
