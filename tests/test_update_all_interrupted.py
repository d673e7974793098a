"""update-all stopped by SIGINT or SIGTERM ends cleanly, and a run after a SIGKILL goes on.

Each run is stopped at a fixed point (FLUX_COOKBOOK_SIGNAL_AT, flux_cookbook/update/interruption.py):
a worker that is about to update tells update-all to stop and waits to be ended, or update-all
sends itself the signal; never a timer. Temporary folders go to the test's own TMPDIR, so
that nothing left behind escapes notice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flux_cookbook.extensions import layout
from tests.support.git_pause import PausingGit
from tests.support.project import PROJECT_ROOT, commit_all, copy, ctrl_c_as_at_a_terminal, own_copy
from tests.support.template_repo import git

# With the lived-in repository's podinfo and redis, four apps: the fewest that update-all
# updates in parallel worktrees (update_all.PARALLEL_FROM), two in each of --jobs 2's, so a
# worker stopped before its first app still has one after it. Each app more is one more
# copier update in every run that goes on to the end.
APPS = ("api", "worker")


@pytest.fixture(scope="module")
def at_1_0_0(template, lived_in_1_0_0, tmp_path_factory) -> Path:
    repo = own_copy(lived_in_1_0_0, tmp_path_factory.mktemp("start") / "cluster")
    for name in APPS:
        copy(template.path, repo, vcs_ref=template.tag("1.0.0"), kind="app", app_name=name, chart="podinfo",
             chart_version="6.x", helm_repo_name="podinfo", helm_repo_url="https://stefanprodan.github.io/podinfo")
    commit_all(repo, "More apps")
    return repo


def update_all(repo: Path, tmp: Path, vcs_ref: str, stop_at: str = "", wait: bool = True, *options: str):
    """update-all as a process, its output in files (a worker left waiting keeps no pipe open)."""
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("FLUX_COOKBOOK_SIGNAL_AT", None)
    if stop_at:
        env["FLUX_COOKBOOK_SIGNAL_AT"] = stop_at
    out, err = tmp.parent / "out.txt", tmp.parent / "err.txt"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        code = subprocess.run([sys.executable, "-m", "flux_cookbook", "update-all", str(repo), "--vcs-ref", vcs_ref,
                               "--jobs", "2", *options], env=env, stdout=stdout, stderr=stderr, check=False,
                              preexec_fn=ctrl_c_as_at_a_terminal).returncode
    return code, out.read_text(), err.read_text()


def assert_clean(repo: Path, tmp: Path) -> None:
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "worktree", "list").count("\n") == 1
    git_dir = repo / ".git"
    assert not (git_dir / "sequencer").exists() and not (git_dir / "CHERRY_PICK_HEAD").exists()
    assert not (git_dir / "flux-cookbook-update-all.json").exists()
    assert list(tmp.iterdir()) == []


def committed(repo: Path, since: str) -> list[str]:
    return git(repo, "log", "--format=%s", f"{since}..HEAD").splitlines()[::-1]


@pytest.fixture()
def repo(at_1_0_0, tmp_path) -> Path:
    return own_copy(at_1_0_0, tmp_path / "repo")


@pytest.fixture()
def tmp(tmp_path) -> Path:
    (tmp_path / "tmp").mkdir()
    return tmp_path / "tmp"


@pytest.mark.parametrize("signal_name, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_while_the_apps_update_in_worktrees(repo, tmp, template, signal_name, code):
    start = git(repo, "rev-parse", "HEAD").strip()
    returncode, out, err = update_all(repo, tmp, template.current, f"worktree:{signal_name}")
    assert returncode == code
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"flux-cookbook update-all: stopped by {signal_name}: 1 update(s) committed (cluster); "
        "run `flux-cookbook update-all` again to update the rest.")
    assert committed(repo, start) == [f"Update cluster to template {template.current}"]
    assert_clean(repo, tmp)


def test_a_signal_before_the_cherry_picks_keeps_what_is_committed(repo, tmp, template):
    start = git(repo, "rev-parse", "HEAD").strip()
    returncode, _, err = update_all(repo, tmp, template.current, "cherry-pick:SIGTERM")
    assert returncode == 143 and "Traceback" not in err
    assert "stopped by SIGTERM: 1 update(s) committed (cluster)" in err
    assert_clean(repo, tmp)
    # and the next run updates the rest
    returncode, out, err = update_all(repo, tmp, template.current)
    assert returncode == 0, err
    assert len(committed(repo, start)) == 1 + len(APPS) + 2  # the cluster, the apps, podinfo and redis
    assert_clean(repo, tmp)


def test_a_signal_during_the_clusters_update_commits_nothing(repo, tmp, template):
    start = git(repo, "rev-parse", "HEAD").strip()
    returncode, _, err = update_all(repo, tmp, template.current, "in-place:SIGINT")
    assert returncode == 130 and "stopped by SIGINT: nothing committed" in err and "Traceback" not in err
    assert git(repo, "rev-parse", "HEAD").strip() == start
    assert_clean(repo, tmp)


def workers_alive(tmp: Path) -> list[str]:
    """The worker processes still running whose job is in `tmp` (where update-all's folder is)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            line = (proc / "cmdline").read_bytes().decode(errors="replace").replace("\0", " ")
        except OSError:
            continue
        if "flux_cookbook.update.worker" in line and str(tmp) in line:
            found.append(line)
    return found


@pytest.mark.parametrize("signal_name, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_as_a_worker_starts_leaves_no_worker_running(repo, tmp, template, signal_name, code):
    # The signal comes right after the cluster's worker process is made, before update-all
    # has recorded it: it is ended all the same, and nothing is committed.
    start = git(repo, "rev-parse", "HEAD").strip()
    returncode, _, err = update_all(repo, tmp, template.current, f"worker-started:{signal_name}")
    assert returncode == code and f"stopped by {signal_name}: nothing committed" in err, err
    assert workers_alive(tmp) == []
    assert git(repo, "rev-parse", "HEAD").strip() == start
    assert_clean(repo, tmp)


def test_a_signal_in_the_middle_of_copiers_update_leaves_none_of_its_files(repo, tmp, template, tmp_path):
    # Stopped while copier is inside the cluster's update (its clones and renders made, the
    # user's changes being applied): copier never gets to remove them, update-all does.
    start = git(repo, "rev-parse", "HEAD").strip()
    pause = PausingGit(tmp_path / "pause", repo, "apply", 1)
    env = {**pause.env, "TMPDIR": str(tmp), "PYTHONPATH": str(PROJECT_ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "flux_cookbook", "update-all", str(repo), "--vcs-ref",
                                template.current], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    reached = pause.wait(process)
    process.send_signal(signal.SIGTERM)
    err = process.communicate()[1]
    pause.close()
    assert reached, "the update ended before copier applied the user's changes"
    assert process.returncode == 143 and "stopped by SIGTERM: nothing committed" in err, err
    assert git(repo, "rev-parse", "HEAD").strip() == start
    assert_clean(repo, tmp)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


@pytest.mark.parametrize("point", ["worktree", "in-place"])
def test_no_worker_outlives_a_killed_update_all(repo, tmp, template, point):
    """SIGKILL (or the OOM killer) ends update-all alone: its workers, each in a process
    group of its own, would go on writing the repository with no lock held. They end with
    it, and so does what they started."""
    returncode, _, _ = update_all(repo, tmp, template.current, f"{point}:SIGKILL")
    assert returncode == -9
    groups = json.loads((repo / ".git/flux-cookbook-update-all.json").read_text())["groups"]
    assert groups
    deadline = time.monotonic() + 60  # the kernel's signal is at once; this only bounds a failing run
    while [pgid for pgid in groups if group_alive(pgid)]:
        assert time.monotonic() < deadline, f"worker process groups {groups} outlived update-all"
        time.sleep(0.05)


def test_a_run_after_sigkill_removes_what_the_killed_run_left_and_goes_on(repo, tmp, template):
    start = git(repo, "rev-parse", "HEAD").strip()
    # Killed right after it started both workers (its own checkpoint, so both worktrees are
    # there whatever the workers had reached).
    returncode, _, _ = update_all(repo, tmp, template.current, "workers-started:SIGKILL")
    assert returncode == -9
    # What a killed run leaves: its worktrees and its temporary folder (its workers end with it).
    assert git(repo, "worktree", "list").count("\n") == 3
    # A git killed too left its index lock: refused before the recovery (which writes with git) starts.
    (repo / ".git/index.lock").write_text("")
    returncode, _, err = update_all(repo, tmp, template.current)
    assert returncode == 1 and "holds .git/index.lock" in err and "Traceback" not in err
    assert git(repo, "worktree", "list").count("\n") == 3
    (repo / ".git/index.lock").unlink()
    returncode, out, err = update_all(repo, tmp, template.current)
    assert returncode == 0, err
    assert "An earlier update-all was stopped before it could clean up" in err
    for name in layout.answers_files(repo):
        assert f"_commit: {template.current}\n" in (repo / name).read_text(), name
    assert committed(repo, start)[0] == f"Update cluster to template {template.current}"
    assert_clean(repo, tmp)


def test_after_a_sigkill_in_the_repository_itself_the_next_run_keeps_what_was_written_since(repo, tmp, template):
    # Killed while the cluster's update ran in the repository itself; the user then writes
    # in it before running update-all again: nothing of theirs is dropped, and the refusal
    # names the files and what may be the cut-short update's.
    start = git(repo, "rev-parse", "HEAD").strip()
    returncode, _, _ = update_all(repo, tmp, template.current, "in-place:SIGKILL")
    assert returncode == -9
    (repo / "NOTES.md").write_text("mine\n")
    readme = (repo / "README.md").read_text() + "My own line.\n"
    (repo / "README.md").write_text(readme)
    returncode, _, err = update_all(repo, tmp, template.current)
    assert returncode == 1 and "Traceback" not in err
    assert "An earlier update-all was stopped before it could clean up" in err
    assert "It was updating the repository itself" in err and "NOTES.md" in err and "README.md" in err
    assert (repo / "NOTES.md").read_text() == "mine\n" and (repo / "README.md").read_text() == readme
    assert git(repo, "rev-parse", "HEAD").strip() == start
    assert git(repo, "worktree", "list").count("\n") == 1
    # Every next run says so (a scheduled job's log), and names the way on.
    returncode, _, err = update_all(repo, tmp, template.current)
    assert returncode == 1 and "It was updating the repository itself" in err and "--stash-interrupted" in err
    # A scheduled job in a checkout it keeps: stashed, nothing lost, and the update goes on.
    returncode, _, err = update_all(repo, tmp, template.current, "", True, "--stash-interrupted")
    assert returncode == 0, err
    assert "what it left there is stashed" in err
    assert "flux-cookbook update-all: left by a run stopped" in git(repo, "stash", "list")
    assert "+My own line." in git(repo, "stash", "show", "-p", "stash@{0}")
    assert "NOTES.md" in git(repo, "show", "--name-only", "--format=", "stash@{0}^3")
    assert git(repo, "status", "--porcelain") == "" and git(repo, "rev-parse", "HEAD").strip() != start


def test_a_signal_in_the_build_check_says_what_is_committed(template, tmp_path, tmp):
    """Stopped after the last update, in the check that every path still builds: the updates
    are committed, and the line says so and that the check did not finish."""
    repo = tmp_path / "small"
    copy(template.path, repo, vcs_ref=template.tag("2.1.1"), include_example_app=False,
         sealed_secrets=False)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "Cluster")
    returncode, _, err = update_all(repo, tmp, template.current, "build-check:SIGTERM")
    assert returncode == 143 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "flux-cookbook update-all: stopped by SIGTERM: 1 update(s) committed (cluster); the build check did not "
        "finish: `flux-cookbook check` runs it.")
    assert_clean(repo, tmp)
