"""The one path by which typed answers reach a generated YAML file.

Every answer is emitted through these functions, never pasted raw, so that a value
containing `:`, `#`, quotes, newlines, `yes`/`null` look-alikes or numbers-as-strings
parses back to exactly the value typed and cannot add a key or a document.

Four styles are written: plain, single-quoted (PyYAML's choice for some multi-line
text), literal blocks (`|`) and double-quoted scalars with escapes, the fallback that
holds any text. Folded blocks (`>`) never: folding changes text on reading. Characters
that a reader folds into a space, normalises or refuses when written raw (C0 and C1
controls, DEL, U+0085 NEL, U+2028, U+2029, the BOM U+FEFF, U+FFFE/U+FFFF, carriage
returns) are only ever written as escapes in a double-quoted scalar, so PyYAML (YAML
1.1), YAML 1.2 readers and Go's readers all read back the same text.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from . import bounded_yaml

# Go's YAML readers (yaml.v2 in Helm and helm-controller, yaml.v3 in kustomize) take a
# plain scalar for a float when it looks like this, exponent without a dot included.
_GO_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_GO_OCTAL = re.compile(r"[-+]?0[0-7]+")
# yaml.v2's booleans beyond PyYAML's.
_GO_BOOLEAN_LETTERS = {"y", "Y", "n", "N"}
# What may stand raw in a plain, single-quoted or block scalar: tab, line feed and the
# characters every YAML version calls printable, less those YAML 1.1 readers (PyYAML,
# libyaml and so Go's yaml.v2/v3) take for line breaks (U+0085, U+2028, U+2029) and the
# BOM. Anything else is written as an escape in double quotes.
_RAW_SAFE = re.compile(r"[\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*")
def needs_escapes(text: str) -> bool:
    """Whether `text` holds a character that only a double-quoted escape writes safely."""
    return not _RAW_SAFE.fullmatch(text)


def retyped_when_plain(text: str) -> bool:
    """Whether some reader of the generated files would not read `text`, written plain,
    as this string: PyYAML (YAML 1.1: `yes`, `on`, `1:20`, dates) or Go's (below), or
    any reader, for the characters only an escape writes safely."""
    if needs_escapes(text):
        return True
    try:
        if yaml.safe_load(text) != text:
            return True
    except yaml.YAMLError:
        return True
    return _retyped_by_go(text)


def _retyped_by_go(text: str) -> bool:
    """Go's yaml.v2 (YAML 1.1 booleans with `y` and `n`, numbers as Go's strconv reads
    them once `_` is removed: `0o17`, `0O17`, `0b1`, `1_000`, `1e3`) and YAML 1.2 readers
    (`0o17`, `1e3`) take more plain scalars for non-strings than PyYAML does."""
    if text in _GO_BOOLEAN_LETTERS:
        return True
    if not text or text[0] not in "+-.0123456789":  # yaml.v2 tries numbers only then
        return False
    digits = text.replace("_", "")
    if _GO_FLOAT.fullmatch(digits) or _GO_OCTAL.fullmatch(digits):
        return True
    try:
        int(digits, 0)  # Python's base-0 literals are Go's: 0x, 0o, 0b, either case
    except ValueError:
        return False
    return True


class _QuotingDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, also quoting the strings that only Go's readers retype, and
    double-quoting the strings whose characters PyYAML would write raw but a reader
    folds (it writes U+0085 raw in single quotes, which reads back as a space)."""

    def represent_str(self, data: str) -> yaml.ScalarNode:
        if needs_escapes(data) or _retyped_by_go(data):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return super().represent_str(data)


_QuotingDumper.add_representer(str, _QuotingDumper.represent_str)


def _dump(value: Any, **options: Any) -> str:
    return yaml.dump(value, Dumper=_QuotingDumper, allow_unicode=True, width=float("inf"), **options)


def _double_quoted(text: str) -> str:
    """`text` as one double-quoted line: PyYAML escapes every character outside the
    printable ones it writes raw (controls, NEL, U+2028/9, BOM, `"` and `\\`), and an
    infinite width keeps it from breaking the line."""
    return _dump(text, default_style='"').removesuffix("\n...\n").removesuffix("\n")


def yaml_scalar(value: Any) -> str:
    """`value` as a one-line YAML scalar: plain when every reader takes it back, else quoted."""
    if isinstance(value, str):
        dumped = _dump(value, default_flow_style=True)
        dumped = dumped.removesuffix("\n...\n").removesuffix("\n")
        if "\n" not in dumped and yaml.safe_load(dumped) == value:
            return dumped
        return _double_quoted(value)
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value)
    raise TypeError(f"yaml_scalar takes a string, number, boolean or null, not {type(value).__name__}")


def yaml_block(value: Any, indent: int) -> str:
    """A non-empty list or mapping as block YAML, every line indented by `indent` spaces.

    The template puts it on the lines after its key (`key:` then the block).
    """
    if not value or not isinstance(value, (list, dict)):
        raise ValueError(f"yaml_block takes a non-empty list or mapping, not {value!r}")
    dumped = _dump(value, default_flow_style=False, sort_keys=False)
    pad = " " * indent
    return "\n".join(pad + line if line else line for line in dumped.rstrip("\n").split("\n"))


def yaml_literal(text: str, indent: int) -> str:
    """`text` as a literal block scalar (`|`) whose lines are indented by `indent` spaces.

    The key that owns the scalar sits at column `indent - 2`, as everywhere in the
    generated files.

    Falls back to a double-quoted scalar for text a block scalar cannot hold exactly
    (carriage returns, control characters, line separators): the result is always
    verified by parsing.
    """
    if not text or needs_escapes(text):
        return _double_quoted(text)
    trailing = len(text) - len(text.rstrip("\n"))
    chomping = {0: "-", 1: ""}.get(trailing, "+")
    # Readers take the indentation from the first line holding more than spaces: if it
    # starts with a space, or spaces-only lines before it are longer, say it outright.
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip(" ")), len(lines))
    indicator = "2" if any(line.startswith(" ") for line in lines[:first + 1]) else ""
    pad = " " * indent
    body = "\n".join(pad + line if line else "" for line in text.rstrip("\n").split("\n"))
    block = f"|{indicator}{chomping}\n{body}" + "\n" * max(trailing - 1, 0)
    try:
        owner = " " * (indent - 2) + "key: "
        if yaml.safe_load(owner + block + ("\n" if trailing <= 1 else "")) == {"key": text}:
            return block
    except yaml.YAMLError:
        pass
    return _double_quoted(text)


def yaml_document(value: dict) -> str:
    """A mapping as a whole YAML document (an answers file), keys in the given order."""
    return _dump(value, default_flow_style=False, sort_keys=False)


def yaml_embedded(text: str, indent: int) -> str:
    """A YAML mapping's text (comments and all) as the value of a key, lines indented.

    For `values:` inline in a HelmRelease (it follows the colon directly, so it starts
    with a line break or a space): the chart's values.yaml keeps its comments. Text
    holding no mapping (only comments) becomes `{}` followed by the comments, indented
    as the key is (yamllint's comments-indentation: a comment sits where the content
    around it does). Text that cannot be embedded as it is (document markers, a
    top-level list) is re-dumped from its data, which the result is always checked
    against.
    """
    data = _read(text) if text.strip() else None
    if data is not None and not isinstance(data, dict):
        raise ValueError(f"values must be a mapping, not {type(data).__name__}")
    pad = " " * (indent if data is not None else indent - 2)
    lines = "\n".join(pad + line if line.strip() else "" for line in text.rstrip("\n").split("\n"))
    embedded = (" {}\n" + lines) if data is None else ("\n" + lines)
    owner = " " * (indent - 2) + "values:"
    try:
        if _read(owner + embedded + "\n") == {"values": data or {}}:
            return embedded
    except yaml.YAMLError:
        pass
    return "\n" + yaml_block(data, indent) if data else " {}"


def _read(text: str) -> Any:
    """PyYAML's reading; where PyYAML's own reader refuses a text libyaml (and Helm) read,
    such as a tab before a comment, libyaml's."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return bounded_yaml.load(text)
