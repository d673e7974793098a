"""Migrations copier runs on `copier update` (`_migrations` in copier.yml).

Each release that changes the convention has a module here with a `before` step (run
before copier compares the old and new renders) and an `after` step. A step works on the
whole repository, not only the files of the answers file being updated, and is
idempotent, so it does the same whether the cluster or an app is updated first, and
nothing on the second run.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from .git_repo import MigrationAbort

# Release -> its migration module; "every-update" runs on every update, whatever the
# versions. Imported only when run: a step runs in a process of its own per update.
STEPS = {"2.0.0": "v2_0_0", "3.0.0": "v3_0_0", "every-update": "every_update"}


def main(argv: list[str]) -> int:
    """`run.py <release|every-update> <before|after> [answers file]`, in the repository being updated.

    The answers file is the one copier is updating (copier tells a migration nothing else
    of it); a step that works on the whole repository ignores it.
    """
    version, stage, *rest = argv
    answers_file = rest[0] if rest else ""
    try:
        step = importlib.import_module(f".{STEPS[version]}", __name__)
        getattr(step, stage)(Path.cwd(), answers_file)
    except MigrationAbort as abort:
        print(f"\nMigration to {version} stopped, nothing was changed:\n{abort}\n", file=sys.stderr)
        return 1
    return 0
