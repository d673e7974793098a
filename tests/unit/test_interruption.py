"""update-all's signal handling, in this process: a signal raises Interrupted at once,
except while a worker is being started, when it waits for the start to be recorded."""

from __future__ import annotations

import os
import signal

import pytest

from flux_cookbook import stops
from flux_cookbook.update import interruption


@pytest.fixture(autouse=True)
def signals_as_at_a_terminal():
    """SIGINT and SIGTERM as a command started at a terminal has them (pytest-xdist's
    workers ignore SIGINT, and a command keeps a signal it was started ignoring)."""
    previous = {sig: signal.signal(sig, signal.SIG_DFL) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, action in previous.items():
        signal.signal(sig, action)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_the_command_was_started_ignoring_stays_ignored(signum):
    """A script's background job (started ignoring SIGINT) runs to its end whenever the
    signal comes: never stopped half-way for a signal it ignored before it began."""
    signal.signal(signum, signal.SIG_IGN)
    reached = []
    with stops.signals_raise():
        os.kill(os.getpid(), signum)
        reached.append("after the signal")
    assert reached == ["after the signal"] and signal.getsignal(signum) is signal.SIG_IGN


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_raises_interrupted_where_it_lands(signum):
    reached = []
    with pytest.raises(stops.Interrupted) as stopped, stops.signals_raise():
        os.kill(os.getpid(), signum)
        reached.append("after the signal")
    assert stopped.value.signum == signum and reached == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_a_worker_starts_is_raised_when_the_start_is_recorded(signum):
    reached = []
    with pytest.raises(stops.Interrupted) as stopped, stops.signals_raise():
        with stops.signals_deferred():
            os.kill(os.getpid(), signum)
            reached.append("recorded")  # what start_worker does after Popen: record the group
            with stops.signals_deferred():  # nested: raised only at the outer end
                reached.append("inner")
            reached.append("outer")
        reached.append("after the start")
    assert stopped.value.signum == signum and reached == ["recorded", "inner", "outer"]
    # Handled: the next run of the handler starts from nothing pending.
    with stops.signals_raise(), stops.signals_deferred():
        reached.append("clean")
    assert reached[-1] == "clean"


def test_the_run_that_started_a_worker_ends_it_even_before_its_command_line_shows(tmp_path):
    """/proc shows a process's command line only once its exec is done: a worker started a
    moment ago may read as anything. The run that started it ends it all the same (its
    child, waited for by nobody); a run cleaning up after a killed one ends only workers."""
    import subprocess
    import sys

    from tests.support.project import init_repo

    (tmp_path / "repo").mkdir()
    repo = init_repo(tmp_path / "repo")
    # A process whose command line is not a worker's, as a worker's reads while it execs.
    for own_run, ended in ((False, False), (True, True)):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
        gone = False
        try:
            interruption.clean_up(repo, {"groups": [child.pid]}, own_run=own_run)
            try:
                os.kill(child.pid, 0)
            except ProcessLookupError:  # ended and waited for
                gone = True
            assert gone == ended
        finally:
            if not gone:
                child.kill()
                child.wait()


def test_a_cherry_pick_killed_after_a_pick_is_ended_for_good(tmp_path):
    """git cherry-pick killed after committing its last pick: --abort leaves
    CHERRY_PICK_HEAD (HEAD moved), which made every later run refuse the repository."""
    import subprocess

    from flux_cookbook.repository.lock import require_no_operation
    from tests.support.project import commit_all, init_repo

    def git(*args):
        return subprocess.run(["git", *args], cwd=tmp_path, capture_output=True, text=True, check=False)

    init_repo(tmp_path)
    git("switch", "-q", "-c", "side")
    for name in ("b", "c"):
        (tmp_path / name).write_text(f"{name}\n")
        commit_all(tmp_path, name)
    git("switch", "-q", "-")
    hook = tmp_path / ".git/hooks/post-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\nif [ -f c ]; then kill -9 $PPID; fi\n")  # a SIGKILL once the last pick is committed
    hook.chmod(0o755)
    assert git("cherry-pick", "side~1", "side").returncode != 0
    assert (tmp_path / ".git/CHERRY_PICK_HEAD").exists()
    interruption.abort_cherry_pick(tmp_path)
    assert not (tmp_path / ".git/CHERRY_PICK_HEAD").exists() and not (tmp_path / ".git/sequencer").exists()
    require_no_operation(tmp_path)


def test_stash_interrupted_stashes_a_conflict_a_killed_run_left(tmp_path):
    """Killed after copier's merge: a conflict (unmerged entries) is one git stash refuses;
    stashed all the same, and the run goes on."""
    import json
    import subprocess

    from flux_cookbook.extensions.migrations.git_repo import git
    from tests.support.project import init_repo

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "f").write_text("1\n")
    init_repo(repo)
    head = git(repo, "rev-parse", "HEAD").strip()
    blobs = [git(repo, "hash-object", "-w", "--stdin", input=f"{n}\n").strip() for n in (1, 2, 3)]
    git(repo, "update-index", "--index-info", input=f"0 {'0' * 40}\tf\n"
        + "".join(f"100644 {blob} {stage}\tf\n" for stage, blob in enumerate(blobs, 1)))
    (repo / "f").write_text("<<<<<<< before updating\n2\n=======\n3\n>>>>>>> after updating\n")
    (repo / ".git" / interruption.RECORD).write_text(json.dumps(
        {"pid": 0, "folders": [], "worktrees": [], "groups": [], "in_place_from": head}))
    note = interruption.recover(repo, stash=True)
    assert "what it left there is stashed" in note
    assert subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout == ""
    assert "<<<<<<< before updating" in git(repo, "stash", "show", "-p", "stash@{0}")
    assert not (repo / ".git" / interruption.RECORD).exists()
