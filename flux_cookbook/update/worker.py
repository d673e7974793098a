"""One update-all worker process: `python -m flux_cookbook.update.worker JOB.json`.

The job names a repository (the user's, or a worktree of it), the answers files to update
there in order, each with the release to update to, and where to write the outcomes (one
JSON line each, to a file or to an inherited pipe, "fd:N"). Each update is `copier.run_update`, with the
git settings template_clone.py gives in this process's environment. What an update prints
is captured into its outcome, so the parent prints it under the line naming its answers
file, in the order a sequential run would.

`in_place`: updates in the user's repository stop at the first one that is not updated
or unchanged, and leave it as copier left it (conflicts are the user's to resolve). In a
worktree, such an update is reset, the next one goes on, and the parent redoes it in the
repository itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import traceback
from dataclasses import asdict
from pathlib import Path

from flux_cookbook import stops
from flux_cookbook.update import bulk as bulk_update
from flux_cookbook.update.bulk import Outcome, git


def captured(run) -> tuple[Outcome, str]:
    """run() with this process's standard output and error captured."""
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as capture:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(capture.fileno(), 1)
        os.dup2(capture.fileno(), 2)
        try:
            outcome = run()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        capture.seek(0)
        return outcome, capture.read()


def update_safely(repo: Path, answers_file: str, vcs_ref: str | None) -> Outcome:
    """bulk_update.update_one, with what it raises as a failed outcome and its message."""
    from flux_cookbook.template_runs import copier_run

    try:
        return bulk_update.update_one(repo, answers_file, vcs_ref)
    except bulk_update.NotARelease as error:
        return Outcome(answers_file, "stopped", error=f"not updated: {error}")
    except (subprocess.CalledProcessError, ValueError) as error:
        return Outcome(answers_file, "failed", error=f"update failed: {copier_run.message(error)}")
    except Exception as error:  # noqa: BLE001 - copier's errors are messages; anything else a bug, with its traceback
        if copier_run.is_copier_error(error):
            return Outcome(answers_file, "failed", error=f"update failed: {copier_run.message(error)}")
        return Outcome(answers_file, "failed", error=f"update failed: {traceback.format_exc()}")


def in_worktree(repo: Path, answers_file: str, vcs_ref: str | None) -> Outcome:
    outcome = update_safely(repo, answers_file, vcs_ref)
    # A worktree holds no git-ignored files, the repository may: an update that renders an
    # ignored path (copier updates those in place) is redone in the repository itself.
    ignored = git(repo, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory")
    if ignored and outcome.status in ("updated", "unchanged"):
        outcome.status, outcome.error = "failed", "rendered git-ignored files: " + ignored.replace("\0", " ")
    if outcome.status == "updated":
        outcome.paths = git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", "-z", "HEAD").split("\0")[:-1]
    if outcome.status not in ("updated", "unchanged"):
        # Leave the worktree clean for the next app; the parent redoes this one.
        with contextlib.suppress(subprocess.CalledProcessError):
            git(repo, "reset", "-q", "--hard", "HEAD")
            git(repo, "clean", "-q", "-fdx")
    return outcome


def end_with_parent(parent: int) -> None:
    """A worker never outlives update-all, however update-all ends (SIGKILL, the OOM killer):
    it would go on writing the repository with no lock held, under the next command. On
    Linux the kernel sends the worker SIGTERM when update-all ends (PR_SET_PDEATHSIG), and
    SIGTERM ends the worker's whole process group, the git and copier it started included,
    as update-all's own end_group does. A parent gone before that was set: end now."""
    def end_group(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.killpg(0, signal.SIGTERM)

    signal.signal(signal.SIGTERM, end_group)
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1  # <linux/prctl.h>
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent:
        end_group(signal.SIGTERM, None)


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    end_with_parent(int(job["parent"]))
    repo, in_place, where = Path(job["repo"]), bool(job["in_place"]), str(job["results"])
    # What copier and the migrations print is captured with each outcome, in place too: the
    # parent prints it under the line saying which answers file it belongs to. The outcomes
    # go to the pipe the parent reads ("fd:N").
    results = os.fdopen(int(where[3:]), "w", encoding="utf-8") if where.startswith("fd:") \
        else open(where, "w", encoding="utf-8")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it ends this process group
    stops.checkpoint("in-place" if in_place else "worktree")
    for index, (answers_file, vcs_ref) in enumerate(job["tasks"]):
        # After the cluster's update, as update-all does when the apps go in a worker of their own.
        if index and job.get("after_cluster") and (
                reached := bulk_update.at_the_clusters_release(repo, job["tasks"][0][0], answers_file)):
            results.write(json.dumps(asdict(Outcome(answers_file, "unchanged", reached))) + "\n")
            results.flush()
            continue
        if in_place:
            outcome, outcome.output = captured(lambda: update_safely(repo, answers_file, vcs_ref))
        else:
            outcome, outcome.output = captured(lambda: in_worktree(repo, answers_file, vcs_ref))
        results.write(json.dumps(asdict(outcome)) + "\n")
        results.flush()
        if in_place and not outcome.done:
            break
    results.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
