"""YAML read with bounds: hostile input ends in a message naming the file, not in a
machine out of memory or a crashed interpreter.

PyYAML's safe loader alone is not safe to feed a repository someone else wrote:
- aliases are expanded by whatever walks the result (the check's validators, JSON
  conversions): nine anchors of nine aliases each ("billion laughs") is 387 million
  nodes from a few hundred bytes;
- libyaml composes nested collections recursively in C: 100,000 nested brackets crash the
  interpreter (a segmentation fault, not even an exception), and libyaml's parser takes
  time quadratic in the nesting depth;
- the size of a file is whatever is committed.

So every text goes through `check` before a loader composes it: its size, its nesting
depth and the number of nodes its aliases add are capped (`MAX_BYTES`, `MAX_DEPTH`,
`MAX_ALIAS_NODES`; the README lists them). The checking pass reads the text's events
(libyaml's parser, no recursion) and stops at the first cap exceeded; a text that can
have neither aliases nor deep nesting (no `&anchor` and `*alias` tokens, few brackets, no
deeply indented line) skips that pass, so ordinary files cost one `str.count` or two.

The loaders here are libyaml's where PyYAML has it (several times faster, the same
objects), and PyYAML's own otherwise; modules that subclass a loader take `SAFE_LOADER`.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_BYTES = 16 * 1024 * 1024  # a Kubernetes object is at most 1.5 MB (etcd); 16 MiB of them is a lot
MAX_DEPTH = 100  # collections within collections; Kubernetes objects and chart values need a few dozen
MAX_ALIAS_NODES = 100_000  # nodes that aliases add to a document when expanded

_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])&[^\s\[\]{},]")
_ALIAS = re.compile(r"(?:^|[\s\[{,:-])\*[^\s\[\]{},]")
_FLOW = re.compile(r"[][{}]")
# Block nesting needs indentation or compact `- `/`? ` indicators at the start of a line
# (a mapping and its indentless sequence share a column, hence the half).
_DEEP_LINE = re.compile(r"^[ \t?-]{%d}" % (MAX_DEPTH // 2 - 1), re.MULTILINE)
_COLLECTION_START = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_COLLECTION_END = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


class YamlTooLarge(yaml.MarkedYAMLError):
    """A text over one of the caps; `problem_mark` points at where it went over."""


def _too_large(problem: str, name: str, mark: Any = None) -> YamlTooLarge:
    where = f"{name}: " if name else ""
    return YamlTooLarge(problem=f"{where}{problem}", problem_mark=mark)


def _may_nest_deep(text: str) -> bool:
    if _DEEP_LINE.search(text):
        return True
    depth = 0
    for bracket in _FLOW.findall(text):
        depth = depth + 1 if bracket in "[{" else max(0, depth - 1)
        if depth >= MAX_DEPTH // 2:
            return True
    return False


def check(text: str, name: str = "") -> None:
    """Raise YamlTooLarge (a yaml.YAMLError) when `text` is over a cap; `name` goes in the message."""
    if len(text) > MAX_BYTES:
        raise _too_large(f"{len(text):,} characters of YAML, over the limit of {MAX_BYTES:,}", name)
    aliases = "*" in text and "&" in text and _ALIAS.search(text) and _ANCHOR.search(text)
    if not aliases and not _may_nest_deep(text):
        return
    try:
        _count(text, name)
    except YamlTooLarge:
        raise
    except yaml.MarkedYAMLError as error:  # libyaml's own limits (flow depth) and syntax errors
        problem = ": ".join(part for part in (name, error.context, error.problem) if part)
        raise yaml.MarkedYAMLError(problem=problem, problem_mark=error.problem_mark) from None


def _count(text: str, name: str) -> None:
    open_collections: list[list] = []  # [nodes so far, anchor] of each collection not yet closed
    sizes: dict[str, int] = {}  # anchor -> nodes of its node, aliases expanded
    added = 0
    for event in yaml.parse(text, Loader=SAFE_LOADER):
        if isinstance(event, yaml.ScalarEvent):
            count = 1
        elif isinstance(event, _COLLECTION_START):
            open_collections.append([1, event.anchor])
            if len(open_collections) > MAX_DEPTH:
                raise _too_large(f"collections nested over {MAX_DEPTH} deep", name, event.start_mark)
            continue
        elif isinstance(event, _COLLECTION_END):
            count, anchor = open_collections.pop()
            if anchor:
                sizes[anchor] = count
        elif isinstance(event, yaml.AliasEvent):
            count = sizes.get(event.anchor, 1)
            added += count
            if added > MAX_ALIAS_NODES:
                raise _too_large(
                    f"aliases expand to over {MAX_ALIAS_NODES:,} nodes (an alias bomb?)", name, event.start_mark
                )
        else:
            if isinstance(event, yaml.DocumentStartEvent):
                sizes, added = {}, 0
            continue
        if isinstance(event, yaml.ScalarEvent) and event.anchor:
            sizes[event.anchor] = 1
        if open_collections:
            open_collections[-1][0] += count


def parse_problem(error: yaml.YAMLError) -> str:
    """A parse error in one line, to follow what did not parse: " (line N): what the parser
    met" (no line where the error has no mark)."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = f" (line {mark.line + 1})" if mark is not None else ""
    problem = " ".join(part for part in (getattr(error, "context", None), getattr(error, "problem", None)) if part)
    return f"{line}: {problem or str(error).splitlines()[0]}"


def load(text: str, name: str = "") -> Any:
    """The one document of `text` (None when empty), as yaml.safe_load reads it, within the caps."""
    check(text, name)
    return yaml.load(text, Loader=SAFE_LOADER)


def load_all(text: str, name: str = "") -> list:
    """Every document of `text`, as yaml.safe_load_all reads them, within the caps."""
    check(text, name)
    return list(yaml.load_all(text, Loader=SAFE_LOADER))


def compose_all(text: str, name: str = "") -> list:
    """Every document of `text` as a node tree (what `yaml.compose_all` gives), within the caps."""
    check(text, name)
    return list(yaml.compose_all(text, Loader=SAFE_LOADER))
