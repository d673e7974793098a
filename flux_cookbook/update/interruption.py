"""update-all stopped by SIGINT or SIGTERM, and what a run killed outright leaves behind.

While update-all runs, SIGINT and SIGTERM raise `stops.Interrupted` in its main thread; its own
`finally`s then end the workers (each a process group of its own, so Ctrl-C in a terminal
reaches only update-all, which decides), remove the worktrees and temporary folders, abort a
cherry-pick in progress and put back an update half-done in the repository. The run
records what it made in `<git dir>/flux-cookbook-update-all.json`; a run killed with SIGKILL
cannot clean up, so the next one finds that record, its process gone, and removes what it
lists (`recover`) before it starts.

Tests stop a run at a fixed point (flux_cookbook/stops.py): update-all's points are
"cluster-updated", "cherry-pick", "worker-started" (right after a worker's process is made),
"workers-started" and "build-check" (after the last update); at a worker's points ("in-place", "worktree": before its first
update) the worker sends the signal to update-all and then waits to be ended.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from flux_cookbook.repository.lock import git_path

RECORD = "flux-cookbook-update-all.json"
WORKER_MODULE = "flux_cookbook.update.worker"


def git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)


def abort_cherry_pick(repo: Path) -> None:
    """End update-all's cherry-pick. Killed after it committed a pick, git's --abort will
    not rewind a HEAD that moved and leaves CHERRY_PICK_HEAD behind (every later run would
    refuse the repository as in the middle of a cherry-pick): --quit forgets it."""
    if git_path(repo, "sequencer").exists() or git_path(repo, "CHERRY_PICK_HEAD").exists():
        git(repo, "cherry-pick", "--abort")
    if git_path(repo, "sequencer").exists() or git_path(repo, "CHERRY_PICK_HEAD").exists():
        git(repo, "cherry-pick", "--quit")


class RunRecord:
    """What this run made, on disk for a later run to remove if this one is killed."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.path = git_path(repo, RECORD)
        self.state: dict = {"pid": os.getpid(), "folders": [], "worktrees": [], "groups": [], "in_place_from": None}

    def save(self) -> None:
        # Whole or not at all: a SIGKILL can land while this writes, and the next run must
        # still read what was made before it.
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps(self.state), encoding="utf-8")
        os.replace(partial, self.path)

    def add(self, key: str, value) -> None:
        self.state[key].append(str(value) if isinstance(value, Path) else value)
        self.save()

    def set(self, key: str, value) -> None:
        self.state[key] = value
        self.save()

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
        self.path.with_name(self.path.name + ".partial").unlink(missing_ok=True)


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").replace("\0", " ")
    except OSError:
        return ""


def _is_ours(pid: int, *words: str) -> bool:
    """Is process `pid` (still) one of ours: its command line holds every word?"""
    line = _command_line(pid)
    return bool(line) and all(word in line for word in words)


def _running_child(pid: int) -> bool:
    """Is `pid` a child of this process that has not ended? (One that just ended is reaped.)"""
    try:
        ended, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return ended == 0


def end_group(pid: int) -> None:
    """End a worker and everything it started (its own process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)


def wait_group_gone(pid: int, patience: float = 10.0) -> None:
    """Wait until no process of the group `pid` is left: a git its worker started may
    outlive the worker by a moment, and write into the worktree that is about to be
    removed. SIGKILL after `patience` seconds."""
    deadline = time.monotonic() + patience
    while True:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # a leader that is this process's child: reaped, not a zombie
        try:
            os.killpg(pid, 0)
        except (ProcessLookupError, PermissionError):
            return
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            deadline = time.monotonic() + patience
        time.sleep(0.02)


def remove_folder(folder: str | Path, attempts: int = 50) -> None:
    """Remove a folder of ours whole: a process cut short a moment ago (a git that a killed
    git started) may still write a file into it while it goes, so try again until it is gone."""
    for _ in range(attempts):
        shutil.rmtree(folder, ignore_errors=True)
        if not os.path.lexists(folder):
            return
        time.sleep(0.1)


def remove_worktrees(repo: Path, worktrees: list[str]) -> None:
    """Remove our worktrees, a half-added one too (git keeps that one locked), and prune."""
    for worktree in worktrees:
        git(repo, "worktree", "unlock", worktree)
        git(repo, "worktree", "remove", "--force", "--force", worktree)
        remove_folder(worktree)
    # One cut short while git added it may not even name its folder yet: git's own record
    # of it (.git/worktrees/<name>/, locked "initializing") goes if it is one of ours.
    ours = {str(Path(w).resolve()) for w in worktrees}
    admin = git_path(repo, "worktrees")
    for entry in admin.iterdir() if admin.is_dir() else []:
        gitdir = entry / "gitdir"
        named = str(Path(gitdir.read_text().strip()).parent.resolve()) if gitdir.is_file() else ""
        initializing = (entry / "locked").is_file() and (entry / "locked").read_text().strip() == "initializing"
        if named in ours or (not named and initializing and any(Path(w).name == entry.name for w in worktrees)):
            shutil.rmtree(entry, ignore_errors=True)
    git(repo, "worktree", "prune")


def clean_up(repo: Path, state: dict, own_run: bool = True) -> None:
    """Remove what the run in `state` made. `own_run`: this process made it, so it puts back
    an update cut short in the repository itself (it knows nobody wrote since)."""
    # A worker is ended while its command line says it is one (a killed run's ids may have
    # been reused since), or, in the run that started it, while it is a child not yet
    # waited for: one started a moment ago may not show its command line yet (/proc reads
    # it empty while it execs), and no other process can have its id.
    groups = [pid for pid in state.get("groups", [])
              if _is_ours(pid, WORKER_MODULE) or (own_run and _running_child(pid))]
    for pid in groups:
        end_group(pid)
    for pid in groups:  # gone before their worktrees and folders are removed
        wait_group_gone(pid)
    remove_worktrees(repo, state.get("worktrees", []))
    for folder in state.get("folders", []):
        remove_folder(folder)
    git(repo, "worktree", "prune")
    abort_cherry_pick(repo)
    started = state.get("in_place_from")
    if own_run and started and git(repo, "rev-parse", "HEAD").stdout.strip() == started:
        # An update in the repository itself was cut short; it started clean at `started`.
        git(repo, "reset", "-q", "--hard", started)
        git(repo, "clean", "-q", "-fd")


def recover(repo: Path, stash: bool = False) -> str:
    """Remove what a killed run left; a message saying so, or "" when there was nothing.
    What it changed in the repository itself stays, and the record of where it started
    with it (every next run says so), unless `stash`: then it goes into a git stash, and
    the run goes on. Raises RuntimeError when another update-all is running here."""
    path = git_path(repo, RECORD)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    pid = int(state.get("pid") or 0)
    if pid and pid != os.getpid() and _is_ours(pid, "update-all") and _is_ours(pid, "flux"):
        raise RuntimeError(f"another flux-cookbook update-all (process {pid}) is updating {repo}")
    # What the killed run changed in the repository itself stays: the user may have written
    # since, and the check for uncommitted changes that follows names every file.
    clean_up(repo, state, own_run=False)
    path.with_name(path.name + ".partial").unlink(missing_ok=True)
    note = "An earlier update-all was stopped before it could clean up; its worktrees and temporary folders are removed."
    started = state.get("in_place_from")
    changed = git(repo, "status", "--porcelain", "--untracked-files=normal").stdout
    if not (started and git(repo, "rev-parse", "HEAD").stdout.strip() == started and changed):
        path.unlink(missing_ok=True)
        return note
    message = f"flux-cookbook update-all: left by a run stopped while it updated {started[:12]}"
    if stash:
        git(repo, "reset", "-q")  # a conflict its merge left (unmerged entries) is one git stash refuses; the files stay
    if stash and git(repo, "stash", "push", "--include-untracked", "-q", "-m", message).returncode == 0:
        path.unlink(missing_ok=True)
        return (note + f" It was updating the repository itself from {started[:12]}: what it left there is stashed "
                f"(`git stash list`: \"{message}\"); `git stash pop` takes it back, `git stash drop` drops it.")
    # Kept (only where it started) so that every next run says so, until HEAD moves on.
    RunRecord(repo).path.write_text(json.dumps({"pid": 0, "folders": [], "worktrees": [], "groups": [],
                                                "in_place_from": started}), encoding="utf-8")
    return (note + f" It was updating the repository itself from {started[:12]}: the changes below may be that "
            "update's, cut short. Keep what is yours; `git reset --hard && git clean -fd` drops them all, and "
            "`flux-cookbook update-all --stash-interrupted` stashes them all and goes on.")
