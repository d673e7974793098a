"""YAML read with the line of every key and item, for problems that name a file and a line.

The command's one YAML loader. PyYAML's safe loader (the C parser when there is one)
builds plain dicts and lists; here each mapping is a `LineMap` (a dict) and each sequence
a `LineList` (a list) that also know the line they start on and the line of each key or
item, so a problem can point at the field a path names (`Document.line_of`). A key written
twice in one mapping is an error, as it is for the API server and for yamllint, where
PyYAML alone silently keeps the last one; reading Flux's objects to follow them (flux_build)
takes the last one as PyYAML does (`unique_keys=False`).
"""

from __future__ import annotations

import base64
import datetime
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
    """Text that is not YAML, or a mapping with a key written twice; `line` is 1-based.
    `message` says it in a few words, `detail` as PyYAML does (with the text around it)."""

    def __init__(self, line: int, message: str, detail: str = "", first_line: int | None = None):
        super().__init__(message)
        self.line = line
        self.message = message
        self.detail = detail or message
        self.first_line = first_line  # a key written twice: the line of its first time

    def message_from(self, line: int) -> str:
        """The message for the text placed in a file from its `line` + 1 on (a block
        scalar's text): a line it names is the file's too."""
        if self.first_line is None:
            return self.message
        return self.message.replace(f"(first at line {self.first_line})", f"(first at line {line + self.first_line})")


_MISSING = object()


def line_at(obj: Any, line: int, path: tuple) -> int:
    """The line of the deepest field of `path` (keys and list indexes) that `obj`, read by
    this module, has; `line` (where obj starts) if it has none. A key is also found by its
    text (`"80"` for `80:`), as JSON paths spell every key."""
    for part in path:
        if isinstance(obj, LineMap):
            key = part if part in obj else next((k for k in obj if str(k) == str(part)), _MISSING)
            if key is _MISSING:
                break
            line, obj = obj.line_of(key), obj[key]
        elif isinstance(obj, LineList) and isinstance(part, int) and 0 <= part < len(obj):
            line, obj = obj.line_of(part), obj[part]
        else:
            break
    return line


@dataclass(frozen=True)
class Document:
    obj: Any  # None for an empty (comment-only) document
    line: int  # where the document's content starts

    def line_of(self, path: tuple) -> int:
        """The line of the field at path (keys and list indexes), else the document's line."""
        return line_at(self.obj, self.line, path)


class _Loader(_BaseLoader):
    unique_keys = True


class _LastKeyWinsLoader(_Loader):
    unique_keys = False


def _mapping_error(node: yaml.MappingNode, key_node: yaml.Node, message: str, problem: str,
                   first_line: int | None = None) -> YamlError:
    detail = yaml.constructor.ConstructorError("while constructing a mapping", node.start_mark, problem, key_node.start_mark)
    return YamlError(key_node.start_mark.line + 1, message, str(detail), first_line)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineMap:
    seen: dict[tuple[type, Any], int] = {}
    for key_node, _ in node.value:
        if key_node.tag == MERGE_TAG:
            continue  # keys merged in with `<<:` may be overridden; that is their purpose
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            # The type too: Python holds 1 == True, YAML does not.
            if (type(key), key) in seen and loader.unique_keys:
                raise _mapping_error(node, key_node, f"duplicate key {key!r} (first at line {seen[type(key), key]})",
                                     f"found duplicate key {key!r}", seen[type(key), key])
            seen[type(key), key] = line
        except TypeError:
            raise _mapping_error(node, key_node, "a mapping key must be a plain value, not a list or mapping",
                                 "found unhashable key") from None
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


def load_documents(text: str, unique_keys: bool = True) -> list[Document]:
    """Every document of `text`, empty ones (obj None) included, each with the line its
    content starts on. Raises YamlError (a text over bounded_yaml's caps too). With
    `unique_keys=False` a key written twice takes its last value, as PyYAML has it."""
    documents = []
    try:
        bounded_yaml.check(text)
        loader = (_Loader if unique_keys else _LastKeyWinsLoader)(text)
        try:
            while loader.check_node():
                node = loader.get_node()
                documents.append(Document(loader.construct_document(node), node.start_mark.line + 1))
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        raise _yaml_error(error) from None
    return documents


def _yaml_error(error: yaml.YAMLError) -> YamlError:
    if not isinstance(error, yaml.MarkedYAMLError):  # e.g. a character YAML does not allow, without a mark
        return YamlError(1, str(error))
    mark = error.problem_mark or error.context_mark
    message = " ".join(part for part in (error.context, error.problem) if part)
    return YamlError(mark.line + 1 if mark else 1, message or str(error), str(error))


def load(text: str) -> Any:
    """The single document of `text` (None if empty). Raises YamlError."""
    documents = load_documents(text)
    if len(documents) > 1:
        raise YamlError(documents[1].line, "more than one YAML document")
    return documents[0].obj if documents else None


def line_mapped(value: Any, line: int = 1) -> Any:
    """`value` (a build's output, which has no lines) as LineMaps and LineLists whose every
    line is `line`: what the readers of documents take."""
    if isinstance(value, dict):
        mapped = LineMap({key: line_mapped(item, line) for key, item in value.items()})
        mapped.line = line
        return mapped
    if isinstance(value, list):
        listed = LineList([line_mapped(item, line) for item in value])
        listed.line = line
        return listed
    return value


def as_json(value: Any) -> Any:
    """value as the API server's decoder sees it (sigs.k8s.io/yaml turns YAML into JSON):
    timestamps PyYAML made dates of stay strings, mapping keys are strings."""
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):  # !!binary
        return base64.b64encode(value).decode()
    return value


def yaml_kind(value: object) -> str:
    """What a YAML value is, in YAML's words (a list, a string), not Python's."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "null" if value is None else "a scalar"
