"""Commands work on a repository's root: what to tell a user who ran one in a subfolder."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_root(folder: Path) -> Path | None:
    """The root of the git repository `folder` (an existing folder) is in, or None: in none,
    or no git to ask."""
    try:
        found = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
                               capture_output=True, text=True, check=False)
    except OSError:
        return None
    return Path(found.stdout.strip()).resolve() if found.returncode == 0 and found.stdout.strip() else None


def enclosing_root(folder: Path) -> Path | None:
    """The root of the git repository `folder` lies inside, when that is not `folder` itself."""
    root = git_root(folder)
    return None if root is None or root == Path(folder).resolve() else root


def run_from_root(folder: Path) -> str:
    """"; run it from <root>, or pass the repository" when `folder` is a subfolder of one, else "".

    A subfolder that is itself laid out as a cluster (a cookbook bootstrap folder, or the
    template's answers) is said to be one: running the command at the root would then
    find no cluster there, and the user would be sent back and forth."""
    root = enclosing_root(folder) if Path(folder).is_dir() else None
    if root is None:
        return ""
    if _looks_like_a_cluster(Path(folder)):
        return (f"; the cluster lies in a subfolder of the git repository {root}, and the commands (and copier "
                "update, which commits and merges at the repository's root) work on a repository whose root holds "
                "the cluster: give it a repository of its own, or move its folders to the top")
    return f"; run it from {root}, or pass the repository"


def _looks_like_a_cluster(folder: Path) -> bool:
    from flux_cookbook.extensions import layout

    return (folder / layout.CLUSTER_ANSWERS).is_file() or any(
        (folder / name / layout.KUSTOMIZATIONS).is_dir() or (folder / name / layout.HELM_REPOSITORIES).is_dir()
        for name in layout.BOOTSTRAP_DIRS)
