"""The documents of a YAML file with the line each starts on, read as PyYAML reads them.

Both engines need more than `yaml.safe_load_all`: flux_build reports where a Flux
Kustomization is defined, schemas points a problem at the document (or the field) and
treats a duplicate mapping key as an error, which PyYAML silently resolves to the last
value while the API server's decoder refuses it.
"""

from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass
from typing import Any

import yaml

from flux_cookbook.extensions import bounded_yaml

_BaseLoader = bounded_yaml.SAFE_LOADER


@dataclass(frozen=True)
class Document:
    line: int  # 1-based line of the document's first node
    data: Any  # what yaml.safe_load gives for this document
    node: yaml.Node  # the composed node, to find the line of a field

    def line_of(self, path: tuple) -> int:
        """The line of the field at path (keys and list indexes), else the document's line."""
        node, line = self.node, self.line
        for part in path:
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                        node, line = value_node, key_node.start_mark.line + 1
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line


class _UniqueKeyLoader(_BaseLoader):
    """Safe loading that refuses a mapping key given twice."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<:` merges may legitimately be overridden
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                continue  # unhashable; the base class reports it
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r}", key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def load_documents(text: str, unique_keys: bool = False) -> list[Document]:
    """Every document of text, empty ones (data None) included; raises yaml.YAMLError
    (bounded_yaml.YamlTooLarge for a text over its caps)."""
    bounded_yaml.check(text)
    loader = (_UniqueKeyLoader if unique_keys else _BaseLoader)(text)
    documents = []
    try:
        while loader.check_node():
            node = loader.get_node()
            data = loader.construct_document(node)
            documents.append(Document(node.start_mark.line + 1, data, node))
    finally:
        loader.dispose()
    return documents


def error_line(exc: yaml.YAMLError) -> int:
    """The 1-based line a YAML error points at (1 if it names none)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else 1


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
