"""Three-way merge of an app's values with a new chart version's defaults.

Base: the chart's values.yaml of the version the app's values came from. Theirs: the new
version's. Ours: the app's values now. The result is *ours, edited*: every line the user
wrote or kept stays as it is, with its comments, and only the keys the chart changed are
touched, each as a block of lines cut from the chart's own file (its comments come along):
- a default the user did not touch takes the new default (named where the user wrote a
  comment at it: `tag: 6.0.3 # pinned` may have been a decision);
- the chart's comments above a key (its documentation) follow the chart where the user
  left them as the old chart had them, whether or not the key's value changed;
- a new option is inserted after the key that precedes it in the chart's file;
- an option the chart dropped goes, unless the user set it: then it stays and is named
  (under a mapping it dropped, each key the user set, and only those);
- a key the user set whose default the chart also changed keeps the user's value (named),
  unless the two cannot both hold (the user changed it, or the chart changed its type):
  then both versions are written between conflict markers, as git and copier do.

"The user set" a key: its value differs from the base, or the app's `values_overrides`
name it (an override may equal the old default and still be a decision).
Positions come from ruamel.yaml's round-trip loader; lists and flow mappings (`{}`) are
compared and replaced whole, as Helm merges them.

Comments between keys belong to no key; a clean three-way line merge that reads as the
same data brings those too (`_every_chart_line`).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

import merge3
import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from flux_cookbook.extensions import bounded_yaml, round_trip_yaml

OURS_MARKER = "<<<<<<< before refreshing (your values)"
MIDDLE_MARKER = "======="
THEIRS_MARKER = ">>>>>>> after refreshing ({label})"

_MISSING = object()


@dataclass
class Merged:
    text: str
    conflicts: list[str] = field(default_factory=list)  # "path: why"
    removed: list[str] = field(default_factory=list)  # paths the user set that the new chart has no more
    touched: list[str] = field(default_factory=list)  # default changes at keys the user set, kept as the user's
    # Default changes taken at keys the user left as they were but commented (`tag: 6.0.3 #
    # pinned`): the comment stays beside the new value, which it may no longer fit.
    commented: list[str] = field(default_factory=list)


def load_mapping(text: str, what: str) -> CommentedMap:
    """`text` as a round-trip mapping (empty text: an empty one); ValueError naming `what`.
    Within bounded_yaml's caps (a chart's values come from its repository, whoever runs
    it): what follows walks the values with their aliases expanded."""
    try:
        bounded_yaml.check(text, what)
    except bounded_yaml.YamlTooLarge as error:
        raise ValueError(f"{error.problem}: refused") from None
    except yaml.YAMLError as error:
        raise ValueError(f"{what} is not valid YAML: {error}") from None
    try:
        document = round_trip_yaml.load(_yaml(), text)
    except YAMLError as error:
        raise ValueError(f"{what} is not valid YAML: {error}") from None
    if document is None:
        return CommentedMap()
    if not isinstance(document, CommentedMap):
        raise ValueError(f"{what} is not a mapping of values.")
    return document


def _yaml() -> YAML:
    loader = YAML(typ="rt")
    loader.width = 4096
    return loader


def flatten(value: Any, path: tuple = ()) -> set[tuple]:
    """The leaf paths of a mapping (a list or scalar is a leaf)."""
    if isinstance(value, dict) and value:
        return set().union(*(flatten(item, (*path, key)) for key, item in value.items()))
    return {path} if path else set()


def dotted(path: tuple) -> str:
    return ".".join(str(key) for key in path)


def same(a: Any, b: Any) -> bool:
    """Equal as data, with types (True is not 1); _MISSING equals only itself."""
    if a is _MISSING or b is _MISSING:
        return a is b
    return _canonical(a) == _canonical(b)


def _canonical(value: Any) -> str:
    return json.dumps(plain(value), sort_keys=True, default=str)


def plain(value: Any) -> Any:
    """Round-trip objects as plain dicts, lists and scalars (for comparing and for JSON schema)."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def _kind(value: Any) -> str:
    return "mapping" if isinstance(value, dict) else "list" if isinstance(value, list) else "value"


def _is_block_mapping(value: Any) -> bool:
    return isinstance(value, CommentedMap) and len(value) > 0 and not value.fa.flow_style()


def _show(value: Any) -> str:
    return json.dumps(plain(value), default=str) if value is not _MISSING else "(none)"


# --- blocks of lines ------------------------------------------------------------------

def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _block_end(lines: list[str], key_line: int, column: int) -> int:
    """The line after a key's value: before the next content line at its column or left of
    it (a `- item` at its column still belongs to it). Comments do not end it (charts
    comment out keys at any column), but blank lines and comments at its column or left
    of it at its end are left out: they go with what follows."""
    end = key_line + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() and not _is_comment(line) and (
                _indent(line) < column or (_indent(line) == column and not line.lstrip().startswith("-"))):
            break
        end += 1
    while end - 1 > key_line and (not lines[end - 1].strip() or (_is_comment(lines[end - 1]) and _indent(lines[end - 1]) <= column)):
        end -= 1
    return end


def _tail_end(lines: list[str], end: int) -> int:
    """The end of the comment lines right below a key's value (`end`: _block_end's) when a
    blank line (or the file's end) parts them from what follows: the key's own (a
    commented-out example of it, as charts write them). `end` itself when there are none,
    or they run into the next key (its documentation)."""
    stop = end
    while stop < len(lines) and _is_comment(lines[stop]):
        stop += 1
    return stop if stop > end and (stop == len(lines) or not lines[stop].strip()) else end


def _doc_start(lines: list[str], key_line: int, column: int) -> int:
    """The first line of the comment right above a key, at its column (its documentation)."""
    start = key_line
    while start > 0 and _is_comment(lines[start - 1]) and _indent(lines[start - 1]) == column:
        start -= 1
    return start


def _end_of_line_comment(mapping: CommentedMap, key: Any) -> str:
    """The comment at the end of `key`'s line (`tag: 1 # pinned`: "# pinned"), as the
    parser saw it (a `#` inside quotes is none), or ""."""
    tokens = mapping.ca.items.get(key)
    token = tokens[2] if tokens and len(tokens) > 2 else None
    first = str(getattr(token, "value", "") or "").split("\n", 1)[0].strip()
    return first if first.startswith("#") else ""


def _reindent(lines: list[str], shift: int) -> list[str]:
    if shift >= 0:
        return [" " * shift + line if line.strip() else line for line in lines]
    return [line[min(-shift, _indent(line)):] for line in lines]


@dataclass
class _Edit:
    start: int
    end: int
    lines: list[str]
    order: int


class _Merger:
    def __init__(self, theirs_lines: list[str], ours_lines: list[str], user_set: set[tuple], label: str,
                 base_lines: list[str] | None = None):
        self.theirs_lines, self.ours_lines, self.base_lines = theirs_lines, ours_lines, base_lines or []
        self.user_set, self.label = user_set, label
        self.edits: list[_Edit] = []
        self.result = Merged("")
        self.expected: list[tuple[tuple, Any]] = []  # (path, new value or _MISSING): what the edits must do

    def _edit(self, start: int, end: int, lines: list[str]) -> None:
        self.edits.append(_Edit(start, end, lines, len(self.edits)))

    def _set_under(self, path: tuple) -> list[tuple]:
        return sorted((p for p in self.user_set if p[:len(path)] == path), key=dotted)

    def _user_paths(self, path: tuple, base: Any, ours: Any) -> list[str]:
        """The paths at or under `path` the user set: overrides, and values unlike the base."""
        paths = set(self._set_under(path))
        if isinstance(base, dict) and isinstance(ours, dict):
            paths.update((*path, key) for key, value in ours.items() if not same(value, base.get(key, _MISSING)))
        elif not same(base, ours):
            paths.add(path)
        return sorted(map(dotted, paths))

    def walk(self, path: tuple, base: Any, theirs: CommentedMap, ours: CommentedMap) -> None:
        base = base if isinstance(base, dict) else {}
        for key in list(ours):
            here = (*path, key)
            mine, default = ours[key], base.get(key, _MISSING)
            if key not in theirs:
                if default is _MISSING:
                    continue  # a key of the user's own, never in the chart
                self._drop_key(here, ours, key, base)
                continue
            new = theirs[key]
            if _is_block_mapping(mine) and _is_block_mapping(new) and (default is _MISSING or isinstance(default, dict)):
                self._refresh_doc(ours, key, theirs, base)
                self.walk(here, default, new, ours=mine)
            elif same(new, default) or same(mine, new):
                self._refresh_doc(ours, key, theirs, base)
            elif same(mine, default) and not self._set_under(here):
                self._replace(ours, key, theirs, base)
                self.expected.append((here, new))
                if self._commented(ours, key, base):
                    self.result.commented.append(f"{dotted(here)}: the chart's default changed from {_show(default)} to "
                                                 f"{_show(new)}, which your comment there may not fit")
            elif (same(mine, default) or default is _MISSING) and _kind(mine) == _kind(new):
                self._refresh_doc(ours, key, theirs, base)
                self.result.touched.append(
                    f"{dotted(here)}: the chart's default changed from {_show(default)} to {_show(new)}; "
                    f"yours ({_show(mine)}) is kept"
                )
            else:
                why = (f"you set {_show(mine)}; the chart's default changed from {_show(default)} to {_show(new)}"
                       if _kind(mine) == _kind(new) else
                       f"you set {_show(mine)} (a {_kind(mine)}); the chart now has a {_kind(new)} there: {_show(new)}")
                self.result.conflicts.append(f"{dotted(here)}: {why}")
                self._conflict(ours, key, theirs)
        previous = None
        for key in theirs:
            if key in ours:
                previous = key
            elif key not in base:
                self._insert(ours, previous, theirs, key)
                self.expected.append(((*path, key), theirs[key]))

    def _keeps(self, path: tuple, mine: Any, default: Any) -> bool:
        """Whether the user set anything at or under `path` of a mapping the chart dropped: a
        key of their own, a value unlike the old chart's, an override. A mapping differing
        only by keys the user deleted holds nothing of theirs (the chart drops them too)."""
        if default is _MISSING:
            return True
        if _is_block_mapping(mine) and isinstance(default, dict):
            return any(self._keeps((*path, key), value, default.get(key, _MISSING)) for key, value in mine.items())
        return not same(mine, default) or bool(self._set_under(path))

    def _drop_key(self, here: tuple, ours: CommentedMap, key: Any, base: dict) -> None:
        """A key the chart dropped (or one under a mapping it dropped): it goes where the user
        set nothing at or under it (the old chart's defaults, which the new one no longer
        reads); a mapping keeps what the user set under it, the rest goes; anything else the
        user set stays and is named by its own path."""
        mine, default = ours[key], base.get(key, _MISSING)
        if not self._keeps(here, mine, default):
            self._delete(ours, key, base)
            self.expected.append((here, _MISSING))
        elif _is_block_mapping(mine) and isinstance(default, dict):
            for inner in list(mine):
                self._drop_key((*here, inner), mine, inner, default)
        else:
            self.result.removed.extend(self._user_paths(here, default, mine) or [dotted(here)])

    def _commented(self, ours: CommentedMap, key: Any, base: Any) -> bool:
        """Whether the user wrote a comment of their own at `key`: a comment line above it
        the old chart's file does not have there, or one at its line's end unlike the
        chart's (a chart comment the user deleted is no comment of theirs)."""
        own, base_doc = self._docs(ours, key, base)
        base_comment = _end_of_line_comment(base, key) if isinstance(base, CommentedMap) else ""
        return any(text not in (base_doc or []) for text in own) \
            or _end_of_line_comment(ours, key) not in ("", base_comment)

    def _docs(self, ours: CommentedMap, key: Any, base: Any) -> tuple[list[str], list[str] | None]:
        """The comment lines right above `key`, stripped: in the user's file, and in the old
        chart's (None where it has no such key, or the key has no lines of its own there)."""
        start = self._span(ours, key, self.ours_lines, with_doc=True)[0]
        own = [text.strip() for text in self.ours_lines[start:ours.lc.key(key)[0]]]
        if not isinstance(base, CommentedMap) or key not in base or not self.base_lines:
            return own, None
        try:
            base_start = self._span(base, key, self.base_lines, with_doc=True)[0]
        except ValueError:  # a key a YAML merge key brings
            return own, None
        return own, [text.strip() for text in self.base_lines[base_start:base.lc.key(key)[0]]]

    def _span(self, mapping: CommentedMap, key: Any, lines: list[str], with_doc: bool) -> tuple[int, int, int]:
        try:
            line, column = mapping.lc.key(key)
        except KeyError:  # a key a YAML merge key (`<<: *anchor`) brings: no line of its own
            raise ValueError(f"{key} comes from a YAML merge key (<<: *anchor), which has no lines of its own to "
                             "change: write those values out where the merge key is, then refresh again (or "
                             "refresh by hand)") from None
        start = _doc_start(lines, line, column) if with_doc else line
        return start, _block_end(lines, line, column), column

    def _theirs_block(self, theirs: CommentedMap, key: Any, column: int, with_doc: bool, with_tail: bool = False) -> list[str]:
        start, end, their_column = self._span(theirs, key, self.theirs_lines, with_doc)
        end = _tail_end(self.theirs_lines, end) if with_tail else end
        return _reindent(self.theirs_lines[start:end], column - their_column)

    def _own_comments(self, ours: CommentedMap, key: Any, base: Any) -> tuple[bool, bool]:
        """(the comment lines above the user's key are the user's own, its line differs from
        the old chart's line): both as the old chart's file has them, or the user wrote or
        changed them, and then they stay."""
        own, base_doc = self._docs(ours, key, base)
        if base_doc is None:
            return bool(own), False
        return own != base_doc, self.ours_lines[ours.lc.key(key)[0]].strip() != self.base_lines[base.lc.key(key)[0]].strip()

    def _refresh_doc(self, ours: CommentedMap, key: Any, theirs: CommentedMap, base: Any) -> None:
        """The chart's new documentation above a key whose value stays: the comment lines
        right above it, where they are still the old chart's (the user's own stay)."""
        if not isinstance(base, CommentedMap) or key not in base:
            return
        try:
            if self._own_comments(ours, key, base)[0]:
                return
            start, _, column = self._span(ours, key, self.ours_lines, with_doc=True)
            their_start, _, their_column = self._span(theirs, key, self.theirs_lines, with_doc=True)
        except ValueError:  # a key a YAML merge key brings: no lines of its own
            return
        line = ours.lc.key(key)[0]
        doc = self.theirs_lines[their_start:theirs.lc.key(key)[0]]
        if [text.strip() for text in doc] != [text.strip() for text in self.ours_lines[start:line]]:
            self._edit(start, line, _reindent(doc, column - their_column))

    def _delete(self, ours: CommentedMap, key: Any, base: Any = None) -> None:
        own_doc, _ = self._own_comments(ours, key, base)
        start, end, _ = self._span(ours, key, self.ours_lines, with_doc=not own_doc)
        self._edit(start, end, [])

    def _replace(self, ours: CommentedMap, key: Any, theirs: CommentedMap, base: Any = None) -> None:
        own_doc, own_line = self._own_comments(ours, key, base)
        start, end, column = self._span(ours, key, self.ours_lines, with_doc=not own_doc)
        block = self._theirs_block(theirs, key, column, with_doc=not own_doc)
        key_at = next((i for i, text in enumerate(block) if text.strip() and not _is_comment(text)), None)
        base_comment = _end_of_line_comment(base, key) if isinstance(base, CommentedMap) else ""
        if own_line and (comment := _end_of_line_comment(ours, key)) and comment != base_comment and key_at is not None:
            # The user's comment at the end of the key's line (`tag: 6.0.3 # pinned`) stays:
            # at the end of the new value's line when that is the whole value and has no
            # comment of the chart's, else on a line of its own above the key.
            line = block[key_at]
            cr = "\r" if line.endswith("\r") else ""
            if key_at == len(block) - 1 and not _end_of_line_comment(theirs, key):
                block = [*block[:key_at], f"{line.removesuffix(cr)} {comment}{cr}"]
            else:
                block = [*block[:key_at], f"{' ' * column}{comment}{cr}", *block[key_at:]]
        self._edit(start, end, block)

    def _conflict(self, ours: CommentedMap, key: Any, theirs: CommentedMap) -> None:
        start, end, column = self._span(ours, key, self.ours_lines, with_doc=False)
        self._edit(start, end, [
            OURS_MARKER, *self.ours_lines[start:end], MIDDLE_MARKER,
            *self._theirs_block(theirs, key, column, with_doc=False), THEIRS_MARKER.format(label=self.label),
        ])

    def _insert(self, ours: CommentedMap, previous: Any, theirs: CommentedMap, key: Any) -> None:
        first = next(iter(ours))
        column = ours.lc.key(first)[1]
        if previous is None:
            at = self._span(ours, first, self.ours_lines, with_doc=True)[0]
        else:
            at = self._span(ours, previous, self.ours_lines, with_doc=False)[1]
        block = self._theirs_block(theirs, key, column, with_doc=True, with_tail=True)
        start = self._span(theirs, key, self.theirs_lines, with_doc=True)[0]
        gap = [""] if start > 0 and not self.theirs_lines[start - 1].strip() else []
        self._edit(at, at, gap + block + ([""] if previous is None and gap else []))

    def text(self) -> str:
        return "\n".join(_applied(self.ours_lines, self.edits)).rstrip("\n") + "\n"


def _applied(lines: list[str], edits: list[_Edit]) -> list[str]:
    """`lines` with `edits` made: bottom up, so that every edit's line numbers still hold; at
    one line, a replaced range before the insertions there, and insertions in reverse so
    they end in order."""
    lines = list(lines)
    for edit in sorted(edits, key=lambda e: (e.start, e.end > e.start, e.order), reverse=True):
        lines[edit.start:edit.end] = edit.lines
    return lines


def merge_values(base_text: str, theirs_text: str, ours_text: str, user_set: set[tuple], label: str) -> Merged:
    """Merge the chart's changes from `base_text` to `theirs_text` into `ours_text`.

    `user_set`: paths the app's overrides set. `label` names the new chart in conflict
    markers. ValueError (naming which) if a text is not a YAML mapping.
    """
    base = load_mapping(base_text, "the chart's values of the version the app's values came from")
    theirs = load_mapping(theirs_text, "the new chart version's values")
    ours = load_mapping(ours_text, "the app's values")
    merger = _Merger(theirs_text.split("\n"), ours_text.split("\n"), user_set, label, base_text.split("\n"))
    if not ours or (ours_text.rstrip("\n") == base_text.rstrip("\n") and not user_set):
        # Nothing kept yet (comments only), or the old chart's file untouched: the new
        # chart's file as it is, every comment of it where the chart put it.
        return Merged(theirs_text)
    merger.walk((), base, theirs, ours)
    merger.result.text = merger.text()
    if not merger.result.conflicts:
        _check(merger, plain(ours))
        merger.result.text = _every_chart_line(merger, base_text.split("\n"), merger.result.text)
    return merger.result


# The line merge's diff (difflib's) takes time quadratic in the lines on a hostile text
# (a chart's values are whoever publishes it): 40,000 lines of comments crafted to match
# everywhere take seconds. The biggest real values.yaml files (kube-prometheus-stack's)
# are about 5,000 lines; past the cap the key-by-key merge alone writes the values.
LINE_MERGE_MAX_LINES = 20_000
LINE_MERGE_SLACKS = (0, 1, 2, 4, 8, 16)
APART_MAX_LINES = 3_000


def _every_chart_line(merger: _Merger, base_lines: list[str], merged_text: str) -> str:
    """The key-by-key merge's text, or a line merge's where it holds the same data.

    The key-by-key merge decides the values and moves the chart's comments that belong to
    a key; comments between keys the chart rewrote (traefik's metrics documentation from
    10.x to 20.x, hundreds of lines) are not any key's. A three-way line merge (diff3, as
    git's) brings every line the chart changed and every line the user changed; where both
    changed the same lines, those lines are the key-by-key merge's (`_line_merge`). The
    result is taken only when it reads as the same data: the key-by-key merge stays the
    judge of the values.
    """
    if max(len(base_lines), len(merger.ours_lines), len(merger.theirs_lines)) > LINE_MERGE_MAX_LINES:
        return merged_text
    expected = plain(round_trip_yaml.load(_yaml(), merged_text))
    changes = _line_changes(merger, base_lines)
    # A clash's key-by-key edits may reach past its lines (keys the chart moved out of the
    # user's mapping into one next to it): each retry takes those within more lines of it.
    for slack in LINE_MERGE_SLACKS:
        text = "\n".join(_line_merge(merger.ours_lines, changes, slack)).rstrip("\n") + "\n"
        try:
            if plain(round_trip_yaml.load(_yaml(), text)) == expected:
                return text
        except YAMLError:  # a key twice, where both sides brought it
            pass
    return merged_text


@dataclass
class _Change:
    """A change to the user's lines start..end: the chart's (diff3's), the key-by-key
    merge's (`edit`), or a clash of the chart's and the user's (`theirs`: the chart's lines)."""

    start: int
    end: int
    kind: str  # "chart", "key" or "clash"
    edit: _Edit | None = None
    theirs: tuple[str, ...] = ()


def _line_changes(merger: _Merger, base: list[str]) -> list[_Change]:
    """The chart's changes to the user's lines (diff3's, between the lines all three
    share), the clashes where the user changed the same lines, and the key-by-key merge's
    edits. diff3 takes changes on neighbouring lines as one clash (the user's `replicas: 2`
    between two comment lines the chart rewrote): those are made apart first (`_apart`)."""
    ours, theirs = merger.ours_lines, merger.theirs_lines
    changes: list[_Change] = []
    after = (0, 0, 0)
    for base_start, base_end, ours_start, ours_end, theirs_start, theirs_end in merge3.Merge3(base, ours, theirs).find_sync_regions():
        old, mine, new = base[after[0]:base_start], ours[after[1]:ours_start], theirs[after[2]:theirs_start]
        if new != old and mine != new:
            lines = new if mine == old else _apart(old, mine, new)
            if lines is not None:
                changes.append(_Change(after[1], ours_start, "chart", _Edit(after[1], ours_start, lines, len(changes))))
            else:
                changes.append(_Change(after[1], ours_start, "clash", theirs=tuple(new)))
        after = (base_end, ours_end, theirs_end)
    return changes + [_Change(edit.start, edit.end, "key", edit) for edit in merger.edits]


def _line_merge(ours: list[str], changes: list[_Change], slack: int) -> list[str]:
    """The user's lines with `changes` made: a group of changes on the same lines (or
    within `slack` lines) with a clash takes the key-by-key merge's edits, any other the
    chart's. A key-by-key edit of no clash is left out: the chart's change there is the
    line merge's (the same key, maybe a line away), and the data check says whether the
    result holds."""
    chosen: list[_Edit] = []
    for group in _groups(changes, slack):
        take = "key" if any(change.kind == "clash" for change in group) else "chart"
        chosen += [change.edit for change in group if change.kind == take and change.edit is not None]
    return _applied(ours, chosen)


def _apart(old: list[str], mine: list[str], new: list[str]) -> list[str] | None:
    """`old` with the user's changes (to `mine`) and the chart's (to `new`) both made, when
    no line of `old` is changed by both (an insertion between two changed lines goes
    after the first); else None. A clash of thousands of lines stays one (difflib's diff
    of them would take time quadratic in them)."""
    if len(old) + len(mine) + len(new) > APART_MAX_LINES:
        return None

    def changes(to: list[str]) -> list[tuple[int, int, list[str]]]:
        matcher = difflib.SequenceMatcher(None, old, to, autojunk=False)
        return [(i1, i2, to[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]

    both = sorted([(start, end, 0, lines) for start, end, lines in changes(mine)]
                  + [(start, end, 1, lines) for start, end, lines in changes(new)])
    for (start, end, side, _), (next_start, next_end, next_side, _) in zip(both, both[1:]):
        if side != next_side and (next_start < end or (start == end == next_start == next_end)):
            return None
    merged, at = [], 0
    for start, end, _, lines in both:
        merged += old[at:start] + lines
        at = end
    return merged + old[at:]


def _groups(changes: list[_Change], slack: int) -> list[list[_Change]]:
    """The changes that share a line (or are within `slack` lines), together. An insertion
    joins the group it falls inside (or within `slack` lines of), or a clash it is at the
    edge of when its lines are the chart's there (the documentation above the user's key);
    else it stands alone."""
    groups: list[list[_Change]] = []
    reach = -1
    for change in sorted((c for c in changes if c.end > c.start), key=lambda c: c.start):
        if groups and change.start < reach + slack:
            groups[-1].append(change)
            reach = max(reach, change.end)
        else:
            groups.append([change])
            reach = change.end
    for insertion in (c for c in changes if c.end == c.start):
        home = next((group for group in groups
                     if min(c.start for c in group) - slack < insertion.start < max(c.end for c in group) + slack), None)
        if home is None and insertion.edit is not None:
            lines = {line.strip() for line in insertion.edit.lines}
            home = next((group for group in groups for c in group if c.kind == "clash" and insertion.start in (c.start, c.end)
                         and lines <= {line.strip() for line in c.theirs}), None)
        if home is None:
            groups.append([insertion])
        else:
            home.append(insertion)
    return groups


def _check(merger: _Merger, expected: dict) -> None:
    """The edited lines must hold exactly the data the merge decided on; a layout the line
    edits misread is refused rather than written."""
    for path, value in merger.expected:
        parent = expected
        for key in path[:-1]:
            parent = parent[str(key)]
        if value is _MISSING:
            del parent[str(path[-1])]
        else:
            parent[str(path[-1])] = plain(value)
    try:
        result = plain(round_trip_yaml.load(_yaml(), merger.result.text)) or {}
    except YAMLError:
        result = None
    if result != expected:
        raise ValueError("the merge could not be written into the values' layout without changing other values "
                         "(YAML anchors and aliases, `&name`/`*name`, are the usual cause: a value changed at the "
                         "anchor changes it at every alias); write the aliased values out in full, then refresh "
                         "again (or refresh by hand)")
