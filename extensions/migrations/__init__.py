"""Migrations copier runs on `copier update` (`_migrations` in copier.yml).

Each release that changes the convention has a module here with a `before` step (run
before copier compares the old and new renders) and an `after` step. A step works on the
whole repository, not only the files of the answers file being updated, and is
idempotent, so it does the same whether the cluster or an app is updated first, and
nothing on the second run.

copier starts one process per stage of every update (`run.py <stage> <answers file>
<from> <to>`), and that process runs, in release order, the step of each release the update
crosses (from < release <= to, as copier compares versions: PEP 440), then what runs on
every update. One process rather than one per release and stage: an update of a hundred
apps from 1.0.0 would otherwise start six Python processes per app.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from packaging.version import InvalidVersion, Version

from ..repo_files import OutsideRepository, require_inside
from .git_repo import MigrationAbort

# Release -> its migration module, oldest first. Imported only when an update crosses it.
RELEASES = {"2.0.0": "v2_0_0", "3.0.0": "v3_0_0", "3.1.0": "v3_1_0"}
EVERY_UPDATE = "every_update"
STAGES = ("before", "after")


def crossed(version_from: str, version_to: str) -> list[str]:
    """The releases an update from `version_from` to `version_to` crosses, oldest first."""
    try:
        low, high = Version(version_from), Version(version_to)
    except InvalidVersion:
        return []  # copier runs no versioned migration then either
    return [release for release in RELEASES if low < Version(release) <= high]


def main(argv: list[str]) -> int:
    """`run.py <before|after> <answers file> <from> <to>`, in the repository being updated.

    The answers file is the one copier is updating (copier tells a migration nothing else
    of it); a step that works on the whole repository ignores it.
    """
    stage, answers_file, version_from, version_to = argv
    if stage not in STAGES:
        print(f"run.py: the stage is before or after, not {stage!r}", file=sys.stderr)
        return 2
    try:
        require_inside(Path.cwd())
    except OutsideRepository as refused:
        print(f"\nThe update stopped, nothing was changed: {refused}\n", file=sys.stderr)
        return 1
    steps = [*((release, RELEASES[release]) for release in crossed(version_from, version_to)), ("", EVERY_UPDATE)]
    for release, module in steps:
        try:
            getattr(importlib.import_module(f".{module}", __name__), stage)(Path.cwd(), answers_file)
        except (MigrationAbort, OutsideRepository) as abort:
            what = f"Migration to {release}" if release else "The update"
            print(f"\n{what} stopped, nothing was changed:\n{abort}\n", file=sys.stderr)
            return 1
    return 0
