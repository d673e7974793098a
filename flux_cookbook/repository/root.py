"""Commands work on a repository's root: what to tell a user who ran one in a subfolder."""

from __future__ import annotations

import subprocess
from pathlib import Path


def enclosing_root(folder: Path) -> Path | None:
    """The root of the git repository `folder` lies inside, when that is not `folder` itself."""
    try:
        found = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
                               capture_output=True, text=True, check=False)
    except OSError:
        return None  # no git to ask: nothing to tell
    if found.returncode or not found.stdout.strip():
        return None
    root = Path(found.stdout.strip()).resolve()
    return None if root == Path(folder).resolve() else root


def run_from_root(folder: Path) -> str:
    """"; run it from <root>, or pass the repository" when `folder` is a subfolder of one, else ""."""
    root = enclosing_root(folder) if Path(folder).is_dir() else None
    return f"; run it from {root}, or pass the repository" if root else ""
