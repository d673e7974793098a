"""Apply an app's `values_overrides` to a chart's whole values.yaml, in place.

The cookbook keeps the chart's whole values.yaml in the values ConfigMap so that every
option stays visible, and changes only what the app needs. The changes must read as
changes: in `git diff`, in a review and in copier's three-way merge on the next chart
bump, only the overridden lines may differ from the chart's own file. So the text is
edited, not regenerated: ruamel.yaml's round-trip keeps comments and key order, and
where its output still differs from the chart's formatting (`{ }` becomes `{}`, list
indentation styles it cannot mix), those lines are taken from the original text.

Merging follows Helm: mappings merge key by key, anything else (lists, scalars) is
replaced whole, and a null sets the key to null. New strings that YAML 1.1 (which Helm
reads) would take for something else (`yes`, `010`) are quoted.
"""

from __future__ import annotations

import difflib
import io
import re
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString
from ruamel.yaml.tokens import CommentToken

from . import bounded_yaml, round_trip_yaml
from .yaml_quoting import retyped_when_plain

# Wide enough that ruamel never folds a long chart value onto a second line.
_LINE_WIDTH = 4096
# A key whose value starts on the next line (a nested mapping or list).
_KEY_ONLY = re.compile(r"\s*[^-\s#][^#]*:\s*$")


def apply_overrides(values_text: str, overrides: dict) -> str:
    """`values_text` with `overrides` merged in; everything not overridden stays byte for byte.

    Raises ValueError if `overrides` is not a mapping or `values_text` is not a YAML
    mapping (an empty file counts as an empty mapping).
    """
    if not isinstance(overrides, dict):
        raise ValueError(f"values_overrides must be a mapping of the values to change, not {overrides!r}.")
    loader = _round_trip(values_text)
    try:
        document = round_trip_yaml.load(loader, values_text)
    except YAMLError as error:
        raise ValueError(f"the chart's values.yaml is not valid YAML: {error}") from None
    if document is None:
        return _append_to_commented_out(values_text, loader, overrides)
    if not isinstance(document, CommentedMap):
        kind = "a list" if isinstance(document, list) else "a single value"
        raise ValueError(f"the chart's values.yaml is {kind}, not a mapping of values.")
    untouched = _dump(loader, document)
    _merge(document, overrides)
    changed = _dump(loader, document)
    merged = _replay_changes(values_text, untouched, changed)
    # The replay keeps the chart's own lines; should it ever produce different data,
    # ruamel's own output is the answer.
    return merged if _same_data(merged, changed) else changed


def _same_data(text: str, reference: str) -> bool:
    try:
        return bounded_yaml.load(text) == bounded_yaml.load(reference)
    except yaml.YAMLError:
        return False


def _append_to_commented_out(values_text: str, loader: YAML, overrides: dict) -> str:
    """Charts whose values.yaml is all comments (or empty): the overrides follow them."""
    if not overrides:
        return values_text
    lead = values_text if not values_text or values_text.endswith("\n") else values_text + "\n"
    return lead + _dump(loader, _commented(overrides))


def _round_trip(text: str) -> YAML:
    loader = YAML()
    loader.preserve_quotes = True
    loader.width = _LINE_WIDTH
    mapping, sequence, offset = _detect_indent(text)
    loader.indent(mapping=mapping, sequence=sequence, offset=offset)
    return loader


def _detect_indent(text: str) -> tuple[int, int, int]:
    """ruamel's (mapping, sequence, offset) indentation for `text`, as it first uses them.

    New and changed lines then look like their neighbours: podinfo indents nested keys by
    2 and puts list dashes 2 in from their key; many charts put dashes at the key's column.
    """
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    mapping = offset = None
    for parent, child in zip(lines, lines[1:]):
        if not _KEY_ONLY.match(parent):
            continue
        depth = _indent_of(child) - _indent_of(parent)
        if child.lstrip().startswith("-") and offset is None:
            offset = max(depth, 0)
        elif depth > 0 and mapping is None:
            mapping = depth
        if mapping is not None and offset is not None:
            break
    mapping = mapping or 2
    offset = offset or 0
    # ruamel's `sequence` is where an item's content starts: after the dash and a space.
    return mapping, offset + 2, offset


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _dump(loader: YAML, document: Any) -> str:
    stream = io.StringIO()
    loader.dump(document, stream)
    return stream.getvalue()


def _merge(target: CommentedMap, overrides: dict) -> None:
    for key, value in overrides.items():
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, CommentedMap) and current:
            _merge(current, value)
        elif key in target:
            tail = _detach_tail(target, key)
            _forget_head_comment(target, key)
            target[key] = _commented(value)
            _attach_tail(target, key, tail)
        else:
            # The comment lines after a mapping's last entry introduce whatever follows the
            # mapping: they stay below the new last entry.
            tail = _detach_tail(target, list(target)[-1]) if target else ""
            key = _commented(key)  # a new key is quoted as a new value would be
            target[key] = _commented(value)
            _attach_tail(target, key, tail)


def _commented(value: Any) -> Any:
    """`value` as ruamel's types: commentable collections, strings that stay strings."""
    if isinstance(value, dict):
        return CommentedMap((_commented(key), _commented(item)) for key, item in value.items())
    if isinstance(value, list):
        return CommentedSeq(_commented(item) for item in value)
    # ruamel writes YAML 1.2, where `yes`, `on` or `010` are plain strings; Helm reads
    # values with Go's yaml.v2 (YAML 1.1 booleans, also y and n, and Go's number
    # syntax), where they are not. Quote them so that the chart gets the string it was given.
    if isinstance(value, str) and not isinstance(value, ScalarString) and (
            retyped_when_plain(value)):
        return DoubleQuotedScalarString(value)
    return value


# ruamel keeps the comment after a scalar in the token of its entry: the end-of-line
# comment, then every comment and blank line up to the next entry (after a flow
# collection such as `- {}`, in the enclosing collection's end comments instead). Those
# following lines belong to what comes next, so when an entry's value is replaced they
# must move to the new value's last line rather than vanish with the old one (or sit
# between a key and its new nested lines).
def _last_line(container: CommentedMap, key: Any) -> tuple[list, tuple[dict, Any, int]]:
    """The collections down to entry `key`'s last line, and where that line's comment
    lives: (items, item key, index into the item's comment list)."""
    collections: list = []
    items, item_key, index = container.ca.items, key, 2
    value = container[key]
    while isinstance(value, (CommentedMap, CommentedSeq)):
        collections.append(value)
        if not value:
            break
        last = list(value)[-1] if isinstance(value, CommentedMap) else len(value) - 1
        items, item_key, index = value.ca.items, last, 2 if isinstance(value, CommentedMap) else 0
        value = value[last]
    return collections, (items, item_key, index)


def _forget_head_comment(container: CommentedMap, key: Any) -> None:
    # Comment lines opening a nested collection ("key:\n  # about the first entry")
    # live on the key's entry: they describe the old content and go with it (left
    # behind, ruamel would write them in front of the new value and break the YAML).
    entry = container.ca.items.get(key)
    if isinstance(container[key], (CommentedMap, CommentedSeq)) and entry and len(entry) > 3:
        entry[3] = None


def _detach_tail(container: CommentedMap, key: Any) -> str:
    """Remove and return the comment lines that follow entry `key` ("" if none)."""
    collections, (items, item_key, index) = _last_line(container, key)
    token = (items.get(item_key) or [None] * 4)[index]
    if token is not None:
        line_end, newline, tail = token.value.partition("\n")
        if tail:
            if line_end.strip():
                token.value = line_end + newline
            else:
                items[item_key][index] = None
            return tail
    for collection in reversed(collections):
        if collection.ca.end:
            tail = "".join(end.value for end in collection.ca.end)
            collection.ca.end = []
            return tail
    return ""


def _attach_tail(container: CommentedMap, key: Any, tail: str) -> None:
    if not tail:
        return
    _, (items, item_key, index) = _last_line(container, key)
    entry = items.setdefault(item_key, [None] * (4 if index == 2 else 2))
    if entry[index] is not None:
        entry[index].value += tail
    else:
        entry[index] = CommentToken("\n" + tail, CommentMark(0), None)


def _replay_changes(original: str, untouched: str, changed: str) -> str:
    """Apply the edit `untouched` -> `changed` to `original`, a three-way line merge.

    `untouched` is ruamel's rendering of `original` and differs from it only in
    formatting. Lines the edit does not touch come from `original`; a formatting-only
    region the edit touches is taken from `changed` whole, so each region stays
    consistent in itself.
    """
    base, ours, theirs = untouched.splitlines(True), original.splitlines(True), changed.splitlines(True)
    kept = [True] * len(base)
    inserted: list[list[str]] = [[] for _ in range(len(base) + 1)]
    for tag, b1, b2, t1, t2 in _opcodes(base, theirs):
        if tag == "equal":
            continue
        kept[b1:b2] = [False] * (b2 - b1)
        inserted[b1].extend(theirs[t1:t2])

    result: list[str] = []
    for tag, o1, o2, b1, b2 in _opcodes(ours, base):
        region = range(b1, b2)
        if tag == "equal":
            for offset, b in enumerate(region):
                result.extend(inserted[b])
                if kept[b]:
                    result.append(ours[o1 + offset])
            continue
        touched = any(not kept[b] for b in region) or any(inserted[b] for b in region[1:])
        if touched:
            for b in region:
                result.extend(inserted[b])
                if kept[b]:
                    result.append(base[b])
        else:
            if b2 > b1:
                result.extend(inserted[b1])
            result.extend(ours[o1:o2])
    result.extend(inserted[len(base)])
    return "".join(result)


def _opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    # autojunk would treat frequent lines (blank lines, `enabled: false`) as noise and
    # misalign long files.
    return difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
