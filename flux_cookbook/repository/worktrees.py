"""Temporary detached git worktrees of a repository: a commit checked out beside it, for a while.

The build check builds the commit a command started from in one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

# A scratch worktree is the command's own: the repository's checkout hooks (git-lfs's, which
# fails where git-lfs is not installed) have nothing to do there, and do not run.
NO_HOOKS = ("-c", f"core.hooksPath={os.devnull}")


def git_said(error: subprocess.CalledProcessError) -> str:
    """What a failed git command said, on one line (its exit code where it said nothing)."""
    said = "; ".join(line.strip() for line in (error.stderr or "").splitlines() if line.strip())
    return said or f"exit {error.returncode}"


@contextlib.contextmanager
def detached_worktrees(repo: Path, commit: str = "HEAD", count: int = 1,
                       prefix: str = "flux-cookbook-worktrees.") -> Iterator[list[Path]]:
    """`count` worktrees of `repo` at `commit`; removed (and pruned) afterwards. Raises
    subprocess.CalledProcessError when git cannot add one."""
    top = Path(tempfile.mkdtemp(prefix=prefix))
    made: list[Path] = []
    try:
        for index in range(count):
            path = top / f"worktree-{index}"
            subprocess.run(["git", *NO_HOOKS, "worktree", "add", "-q", "--detach", str(path), commit],
                           cwd=repo, capture_output=True, text=True, check=True)
            made.append(path)
        yield made
    finally:
        for path in made:
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=repo, capture_output=True)
        shutil.rmtree(top, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=repo, capture_output=True)
