"""Temporary detached git worktrees of a repository: a commit checked out beside it, for a while.

The build check builds the commit a command started from in one. `check --staged` reads
the index (what the next commit holds) written out into a scratch folder (`staged_files`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from flux_cookbook.repository import scratch_folders

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
    top = scratch_folders.make(prefix)
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


class UnmergedPaths(Exception):
    """The index holds a merge's conflicts: no commit can be made of it yet."""


@contextlib.contextmanager
def staged_files(repo: Path) -> Iterator[Path]:
    """A scratch folder holding the files of `repo`'s index, as staged; removed afterwards.
    Raises subprocess.CalledProcessError when git cannot write them out, UnmergedPaths
    (naming them) when the index holds conflicts.

    The index, not the working tree: untracked files are no part of the commit, and a file
    changed since it was staged is committed as staged. `git commit -a` and `git commit
    PATH` stage into a temporary index named by GIT_INDEX_FILE, which the hooks they run
    inherit, and so does git here: it is the index that commit will hold."""
    if unmerged := _git_lines(repo, "ls-files", "-u", "-z"):
        raise UnmergedPaths(", ".join(sorted({line.split("\t", 1)[-1] for line in unmerged})))
    top = scratch_folders.make("flux-cookbook-staged.")
    try:
        _checkout_index(repo, top)
        # An intent-to-add entry (`git add -N`) is written out empty, yet the commit will not
        # hold it: left out, as pre-commit leaves it out.
        for name in _git_lines(repo, "diff", "--name-only", "--diff-filter=A", "-z"):
            (top / name).unlink(missing_ok=True)
        _links_into_the_copy(Path(repo), top)
        yield top
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _links_into_the_copy(repo: Path, top: Path) -> None:
    """A staged link naming a file of the repository by its absolute path (inside it, as
    check allows) names the staged copy of that file instead, as it does in the working
    tree: left as it is, it would lead out of the scratch folder, into the working tree."""
    roots = {Path(os.path.abspath(repo)), repo.resolve()}  # its path as given, and through links
    for folder, folders, files in os.walk(top):
        for name in files + folders:
            link = Path(folder, name)
            if not link.is_symlink() or not os.path.isabs(target := os.readlink(link)):
                continue
            target_path = Path(os.path.normpath(target))
            if root := next((root for root in roots if target_path.is_relative_to(root)), None):
                link.unlink()
                link.symlink_to(os.path.relpath(top / target_path.relative_to(root), link.parent))


def _checkout_index(repo: Path, top: Path) -> None:
    """Every file of the index written under `top`. --ignore-skip-worktree-bits: a sparse
    checkout's files left out of the working tree are still committed. git before 2.36
    has no such option (exit 129), and writes those files out without it."""
    command = ["git", "checkout-index", "--all", "--ignore-skip-worktree-bits", f"--prefix={top}/"]
    done = subprocess.run(command, cwd=repo, capture_output=True, text=True)
    if done.returncode == 129:
        command.remove("--ignore-skip-worktree-bits")
        done = subprocess.run(command, cwd=repo, capture_output=True, text=True)
    done.check_returncode()


def _git_lines(repo: Path, *args: str) -> list[str]:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return [line for line in done.stdout.split("\0") if line]
