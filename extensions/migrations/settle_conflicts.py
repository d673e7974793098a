"""After every update: settle the conflicts in which the user already has the release's changes.

copier merges line by line. A file written in another key order than the template's (a
repository adopted from hand-made files), or one a migration already rewrote, can
conflict although the user's version already holds everything the new release changes:
the lines differ, the data does not. copier records the three versions of each
conflicted file in the index (1: old render, 2: the user's, 3: new render). Where every
value the release changed between 1 and 3 already stands in 2, the user's text is the
merge, comments and order included; it is kept and the conflict marked resolved. Where
all the release changed is keys it added that the user's version lacks, they are put into
the user's text (`key_merge`). Any other conflict is left for the user.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .git_repo import git
from .key_merge import merge_added_keys

MISSING = object()


def after(repo: Path) -> None:
    for path, stages in _conflicted(repo).items():
        if {1, 2, 3} <= stages.keys() and path.endswith((".yaml", ".yml")):
            texts = [git(repo, "cat-file", "blob", stages[n]) for n in (1, 2, 3)]
            base, mine, theirs = (_documents(text) for text in texts)
            if None not in (base, mine, theirs) and _has_all_changes(base, theirs, mine):
                (repo / path).write_text(texts[1], encoding="utf-8")
                git(repo, "add", "--", path)
                print(f"  {path}: your version already has this release's changes; kept as it is")
            elif (merged := merge_added_keys(*texts)) is not None:
                (repo / path).write_text(merged, encoding="utf-8")
                git(repo, "add", "--", path)
                print(f"  {path}: the release's new keys added to your version")


def _conflicted(repo: Path) -> dict[str, dict[int, str]]:
    """path -> {stage: blob} for every unmerged index entry."""
    found: dict[str, dict[int, str]] = {}
    for entry in git(repo, "ls-files", "-u", "-z").split("\0"):
        if entry:
            info, path = entry.split("\t", 1)
            _, blob, stage = info.split()
            found.setdefault(path, {})[int(stage)] = blob
    return found


def _documents(text: str) -> list | None:
    try:
        return [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError:
        return None


def _has_all_changes(base: Any, theirs: Any, mine: Any) -> bool:
    """Does `mine` hold every value that differs between `base` and `theirs`?

    Mappings are compared key by key; lists and scalars as wholes (a list the release
    changed must match the user's list exactly).
    """
    if isinstance(theirs, dict) and (base is MISSING or isinstance(base, dict)):
        # A mapping the release added is compared key by key, as if it had been empty.
        base = {} if base is MISSING else base
        if not isinstance(mine, dict):
            return False
        return all(
            _has_all_changes(base.get(key, MISSING), theirs.get(key, MISSING), mine.get(key, MISSING))
            for key in base.keys() | theirs.keys()
        )
    if isinstance(base, list) and isinstance(theirs, list) and len(base) == len(theirs) and all(
        isinstance(d, dict) for d in base + theirs
    ):
        # A file's documents: matched by position.
        return isinstance(mine, list) and len(mine) == len(theirs) and all(map(_has_all_changes, base, theirs, mine))
    return base == theirs or mine == theirs
