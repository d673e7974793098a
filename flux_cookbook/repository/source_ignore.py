"""source-controller's .sourceignore matching: go-git's gitignore patterns, step by step.

source-controller leaves out of a GitRepository's artifact what its ignore patterns
exclude (go-git `plumbing/format/gitignore`): it walks the checkout, and an excluded
folder is skipped whole, so a later `!pattern` cannot take back a file below it. Each
pattern is matched one path element at a time with Go's `filepath.Match`, each element's
glob against each name, never backtracking into the elements already matched. Python's
`fnmatch` does the same per name, without backtracking either (its translation takes the
text between `*`s atomically): a pattern such as `*a*a*a*a*b` costs a hostile repository
nothing, where a regular expression of the whole path spends minutes on one file name.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

_ANY_FOLDERS = "**"
# Go's filepath.Match negates a class with `^` (fnmatch with `!`) and takes `\x` as x.
_NEGATED_CLASS = re.compile(r"\[\^")
_ESCAPED = re.compile(r"\\(.)")


def _name_glob(glob: str) -> str:
    return _ESCAPED.sub(lambda m: f"[{m.group(1)}]" if m.group(1) in "*?[]" else m.group(1),
                        _NEGATED_CLASS.sub("[!", glob))


@dataclass(frozen=True)
class Pattern:
    """One line of an ignore file, read from the file in folder `domain` (go-git's ParsePattern)."""

    domain: tuple[str, ...]
    parts: tuple[str, ...]
    include: bool  # `!pattern`: takes a match back
    folders_only: bool  # `pattern/`
    is_glob: bool  # holds a `/`: matched from the domain down, else any one name matches

    @classmethod
    def parse(cls, line: str, domain: tuple[str, ...] = ()) -> Pattern:
        include = line.startswith("!")
        text = line[1:] if include else line
        if not text.endswith("\\ "):
            text = text.rstrip(" ")
        folders_only = text.endswith("/")
        text = text[:-1] if folders_only else text
        return cls(domain, tuple(_name_glob(part) for part in text.split("/")), include, folders_only, "/" in text)

    def matches(self, path: tuple[str, ...], is_folder: bool) -> bool:
        if len(path) <= len(self.domain) or path[: len(self.domain)] != self.domain:
            return False
        path = path[len(self.domain):]
        return self._glob_match(path, is_folder) if self.is_glob else self._name_match(path, is_folder)

    def _name_match(self, path: tuple[str, ...], is_folder: bool) -> bool:
        for index, name in enumerate(path):
            if fnmatch.fnmatchcase(name, self.parts[0]):
                return not (self.folders_only and not is_folder and index == len(path) - 1)
        return False

    def _glob_match(self, path: tuple[str, ...], is_folder: bool) -> bool:
        matched = traverse = False
        for index, part in enumerate(self.parts):
            if part == "":
                traverse = False
                continue
            if part == _ANY_FOLDERS:
                if index == len(self.parts) - 1:
                    break
                traverse = True
                continue
            if _ANY_FOLDERS in part or not path:
                return False
            if traverse:
                traverse = False
                while path:
                    name, path = path[0], path[1:]
                    if fnmatch.fnmatchcase(name, part):
                        matched = True
                        break
                    if not path:
                        matched = False
            else:
                if not fnmatch.fnmatchcase(path[0], part):
                    return False
                matched, path = True, path[1:]
        return not (matched and self.folders_only and not is_folder and not path) and matched


def excluded(patterns: list[Pattern], rel: str) -> bool:
    """Whether the artifact leaves out the file `rel`: it or a folder above it is excluded
    (the last pattern matching each decides, as go-git's matcher does)."""
    parts = tuple(rel.split("/"))
    for depth in range(1, len(parts) + 1):
        for pattern in reversed(patterns):
            if pattern.matches(parts[:depth], is_folder=depth < len(parts)):
                if not pattern.include:
                    return True
                break
    return False
