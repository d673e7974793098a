"""check's update.rejected: what `copier update --conflict rej` could not apply is left in a
`.rej` file beside the file it belongs to, which the generated .gitignore hides from `git
status`: until the user applies it by hand, that file holds the release's lines where theirs
were, and nothing else says so."""

from __future__ import annotations

from pathlib import Path

from flux_cookbook.check.problems import ERROR, Problem
from flux_cookbook.extensions.migrations.settle_conflicts import rejected
from flux_cookbook.repository.root import git_root


def rejected_files(root: Path) -> list[str]:
    """The `.rej` files git does not track in the work tree at `root`; none where `root` is
    no git work tree's root (a folder of staged files, say)."""
    return rejected(root) if git_root(root) == Path(root).resolve() else []


def check_rejected_updates(root: Path) -> list[Problem]:
    """One error per `.rej` file (rejected_files)."""
    return [Problem(path, 1, "update.rejected", ERROR,
                    f"changes copier update could not apply (--conflict rej) to {path.removesuffix('.rej')}, "
                    "which holds the release's lines where yours were: apply them by hand, then delete this file")
            for path in rejected_files(root)]
