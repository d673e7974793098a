"""Merge the keys a release adds into the user's text of a file that conflicts only by position.

copier merges line by line: when a release adds keys to a mapping (3.0.0 adds `install`,
`upgrade` and `driftDetection` to every HelmRelease) at the very place the user added keys
of their own, the lines collide although the data does not. Here the three versions are
read as YAML (1: the old render, 2: the user's, 3: the new render); when everything the
release changed is keys it added that the user's mapping lacks (or already has with the
same value), those keys are inserted into the user's text, as the release writes them
with the comment lines above them, after the key the release puts them after. Every
other line of the user's stays as it is. The result must parse to the user's data plus
the added keys, or nothing is merged and the conflict stays for the user.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from .. import document_split, line_ends, round_trip_yaml

_MISSING = object()


def merge_added_keys(base: str, mine: str, theirs: str) -> str | None:
    """The user's text with the keys the release added; None when that is not all it changed."""
    trees = [_load(text) for text in (base, mine, theirs)]
    if any(not isinstance(tree, CommentedMap) for tree in trees):
        return None
    b, m, t = trees
    mine_lines, theirs_lines = document_split.lines(mine), document_split.lines(theirs)
    insertions: list[tuple[int, str]] = []
    expected = _plain(m)
    if not _collect(b, m, t, mine_lines, theirs_lines, insertions, expected) or not insertions:
        return None
    newline = line_ends.of(mine)  # the user's line ends, also for what goes in
    lines = list(mine_lines)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += newline
    insertions = [(at, line_ends.converted(text, newline)) for at, text in insertions]
    # Last place first, so earlier places keep their line numbers; at one place, the
    # release's order (the later key goes in first, the earlier one before it).
    for _, (at, text) in sorted(enumerate(insertions), key=lambda item: (item[1][0], item[0]), reverse=True):
        lines[at:at] = [text]
    merged = "".join(lines)
    try:
        return merged if _plain(_load(merged)) == expected else None
    except YAMLError:
        return None


def _collect(b: CommentedMap, m: CommentedMap, t: CommentedMap, mine_lines: list[str], theirs_lines: list[str],
             insertions: list[tuple[int, str]], expected: dict) -> bool:
    """Queue the insertions for the keys `t` adds to `b` that `m` lacks; False on any other change."""
    for key in b:
        if key not in t and key in m:
            return False  # the release removed a key the user still has: theirs to decide
    order = list(t)
    for index, key in enumerate(order):
        theirs_value, base_value, mine_value = t[key], b.get(key, _MISSING), m.get(key, _MISSING)
        if base_value is not _MISSING and _plain(theirs_value) == _plain(base_value):
            continue
        if mine_value is not _MISSING and _plain(mine_value) == _plain(theirs_value):
            continue  # the user already has it
        if base_value is _MISSING and mine_value is _MISSING:
            insertion = _insertion(key, order[:index], order[index + 1:], m, t, mine_lines, theirs_lines)
            if insertion is None:
                return False
            insertions.append(insertion)
            expected[key] = _plain(theirs_value)
            continue
        if all(isinstance(v, CommentedMap) for v in (theirs_value, base_value, mine_value)) and isinstance(
            expected.get(key), dict
        ):
            if not _collect(base_value, mine_value, theirs_value, mine_lines, theirs_lines, insertions, expected[key]):
                return False
            continue
        return False  # a value both changed, or one the release changed that the user has differently
    return True


def _insertion(key: Any, before: list, after: list, m: CommentedMap, t: CommentedMap, mine_lines: list[str],
               theirs_lines: list[str]) -> tuple[int, str] | None:
    """Where in the user's text `key` goes, and its text as the release writes it."""
    if m.fa.flow_style() or t.fa.flow_style() or key not in _positions(t):
        return None
    start, col, end = _span(t, key, theirs_lines)
    text = "".join(theirs_lines[start:end])
    text = text if text.endswith("\n") else text + "\n"
    placed = [k for k in before if k in _positions(m)]
    if placed:
        _, mine_col, at = _span(m, placed[-1], mine_lines)
    else:
        following = [k for k in after if k in _positions(m)]
        if not following:
            return None
        at, mine_col, _ = _span(m, following[0], mine_lines)
    return (at, text) if mine_col == col else None


def _span(mapping: CommentedMap, key: Any, lines: list[str]) -> tuple[int, int, int]:
    """(first line, column, end line) of `key`, its value, and the comment lines directly above it."""
    line, col = mapping.lc.key(key)
    own = [k for k in mapping if k in _positions(mapping)]
    later = own[own.index(key) + 1:]
    if later:
        end = mapping.lc.key(later[0])[0]
        while end - 1 > line and _comment_at(lines[end - 1], col):
            end -= 1  # the next key's comments belong to it
    else:
        end = line + 1
        while end < len(lines) and (
            not lines[end].strip() or _indent(lines[end]) > col or re.match(r" *- ", lines[end])
            and _indent(lines[end]) == col
        ):
            end += 1
    while end - 1 > line and not lines[end - 1].strip():
        end -= 1
    start = line
    while start > 0 and _comment_at(lines[start - 1], col):
        start -= 1
    return start, col, end


def _comment_at(line: str, col: int) -> bool:
    return line.lstrip().startswith("#") and _indent(line) == col


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _positions(node: CommentedMap) -> dict:
    return node.lc.data or {}


def _load(text: str) -> Any:
    try:
        documents = [d for d in round_trip_yaml.load_all(YAML(), text) if d is not None]
    except YAMLError:
        return None
    return documents[0] if len(documents) == 1 else None


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return copy.copy(node) if not isinstance(node, str) else str(node)
