"""One writer at a time: the lock every command that changes a repository holds.

`update-all` commits one answers file after another; an `add` (or an `adopt`, a `seal`)
writing files meanwhile would have its files committed inside an update's commit. Each of
them holds an exclusive `fcntl.flock` on `flux-cookbook.lock` in the repository's git
folder (the common one, so that every worktree of the repository shares it) for as long
as it writes; a second one refuses at once, naming the command and process that hold it.
The kernel drops the lock when its holder ends, however it ends, so a killed command
leaves nothing to clean up (the file itself stays, empty of meaning).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from flux_cookbook.errors import UserError

LOCK_NAME = "flux-cookbook.lock"


def lock_file(repo: Path) -> Path | None:
    """The lock file of the git repository `repo` is in; None outside git."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            cwd=repo, capture_output=True, text=True, check=False,
        )
    except FileNotFoundError:  # no git on this machine: no git repository either
        return None
    return Path(found.stdout.strip()) / LOCK_NAME if found.returncode == 0 and found.stdout.strip() else None


def require_branch(repo: Path) -> None:
    """Refuse a detached HEAD: commits made there belong to no branch and are easily lost."""
    on_branch = subprocess.run(["git", "symbolic-ref", "-q", "HEAD"], cwd=repo, capture_output=True, check=False)
    if on_branch.returncode:
        require_no_operation(repo)  # a rebase detaches HEAD: that is what to tell
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True,
                              check=False).stdout.strip()
        raise UserError(
            f"{repo} has a detached HEAD (at {head or 'no commit'}): the commits would belong to no branch. "
            "Check out the branch to update first (git switch BRANCH)."
        )


# What git keeps while an operation of the user's waits to be continued or aborted.
_IN_PROGRESS = {"sequencer": "cherry-pick or revert", "CHERRY_PICK_HEAD": "cherry-pick", "REVERT_HEAD": "revert",
                "MERGE_HEAD": "merge", "rebase-merge": "rebase", "rebase-apply": "rebase or am", "BISECT_LOG": "bisect"}


def require_no_operation(repo: Path) -> None:
    """Refuse a repository in the middle of a cherry-pick, revert, merge, rebase or bisect
    (its tree may be clean): update-all's own cherry-picks, or its clean-up, would end it.
    And one whose index git has locked (require_no_index_lock)."""
    for name, what in _IN_PROGRESS.items():
        if _git_path_exists(repo, name):
            raise UserError(f"{repo} is in the middle of a {what} (git status says how to go on): finish or "
                            "abort it first; nothing was changed.")
    require_no_index_lock(repo)


def require_committed(repo: Path) -> None:
    """Refuse a repository with work not committed (untracked files git does not ignore
    count), or in the middle of an operation (require_no_operation): what a command commits
    must be its own changes alone, and what it takes back on a stop must be its own."""
    require_no_operation(repo)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=normal"], cwd=repo,
                            capture_output=True, text=True, check=False)
    if status.returncode:
        raise UserError(f"git status failed in {repo}: {status.stderr.strip()}")
    if status.stdout:
        raise UserError(f"{repo} has uncommitted changes; commit or stash them first:\n{status.stdout.rstrip()}")


def require_no_index_lock(repo: Path) -> None:
    """Refuse a repository whose index git has locked: a git killed while it wrote the index
    leaves its lock, and every git write fails then, the taking back of a stopped update's
    changes too."""
    if index_lock := _git_path_exists(repo, "index.lock"):
        raise UserError(f"{repo} holds {index_lock}: a git command is running in it, or one was stopped before it "
                        "ended (then remove that file); nothing was changed.")


def _git_path_name(repo: Path, name: str) -> str:
    return subprocess.run(["git", "rev-parse", "--git-path", name], cwd=repo, capture_output=True, text=True,
                          check=False).stdout.strip()


def git_path(repo: Path, name: str) -> Path:
    """Where git keeps `name` in the repository's git folder (a worktree's own, or the
    common one, as git decides), whether or not it exists."""
    return Path(repo) / _git_path_name(repo, name)


def _git_path_exists(repo: Path, name: str) -> str:
    """Where git keeps `name` in the repository's git folder, as git names it, when it
    exists there; else ""."""
    found = _git_path_name(repo, name)
    return found if found and (Path(repo) / found).exists() else ""


@contextlib.contextmanager
def one_writer(repo: Path, command: str, wait: bool = False) -> Iterator[None]:
    """Hold the repository's lock while the block runs (see the module docstring).

    Another holder makes this raise UserError naming it, or, with `wait`, print who holds
    it and block until it is released. Outside a git repository there is nothing to lock.
    """
    path = lock_file(Path(repo))
    if path is None:
        yield
        return
    with open(os.open(path, os.O_RDWR | os.O_CREAT, 0o644), "r+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = handle.read().strip() or "another flux-cookbook command"
            if not wait:
                raise UserError(
                    f"{holder} is changing {repo} (it holds {path}); run this again when it has finished."
                ) from None
            print(f"flux-cookbook: waiting for {holder} to finish with {repo} ...", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"flux-cookbook {command} (process {os.getpid()})\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
