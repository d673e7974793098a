"""Update a cluster repository and every app in it, one commit each.

    python3 <template>/scripts/update_all.py [REPO] [--vcs-ref vX.Y.Z] [--jobs N]

Each app has its own answers file, so a new release means one `copier update` per app,
and copier refuses to update a repository with uncommitted changes: this command updates
the cluster (`.copier-answers.yml`) and then each app (`.copier-answers.app-*.yml`),
committing after each one that changed something. It stops at the first update that
leaves conflicts, so they can be resolved and committed; run it again to go on.

It refuses to update to a commit that is not a release tag: copier then runs no versioned
migration, and a release that moves files would drop the edits in them.

Every update is copier's own (its Python API). To be quick with hundreds of apps it
clones each template release once for the whole run, and updates the apps in parallel
worker processes, each in its own `git worktree`, bringing each app's commit back onto
the branch in order; see extensions/bulk_update.py. `--jobs 1` updates one app after
the other in the repository itself; `--no-template-cache` runs copier unpatched.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import copier  # noqa: E402

from extensions import bulk_update  # noqa: E402
from extensions.bulk_update import CLUSTER_ANSWERS, Outcome, git, recorded_commit  # noqa: E402

# Below this many apps to update, worktrees and worker processes cost more than they save.
PARALLEL_FROM = 4


def answers_files(repo: Path) -> list[str]:
    apps = sorted(p.name for p in repo.glob(".copier-answers.app-*.yml"))
    return ([CLUSTER_ANSWERS] if (repo / CLUSTER_ANSWERS).exists() else []) + apps


def report(outcome: Outcome) -> bool:
    """Print what an update did; False when it stops the run (conflicts)."""
    if outcome.output:
        print(outcome.output, end="" if outcome.output.endswith("\n") else "\n")
    if outcome.status == "conflicts":
        print(
            f"\n{outcome.answers_file}: the update left conflicts in:\n  " + "\n  ".join(outcome.conflicts)
            + "\nResolve them (keep your lines or the template's), `git add` them, commit, and run"
            " this command again to update the rest.",
            file=sys.stderr,
        )
        return False
    if outcome.status == "updated":
        print(f"updated {outcome.what} to {outcome.reached}")
    return True


def update_here(repo: Path, answers_file: str, vcs_ref: str | None) -> bool:
    """Update one answers file in the repository itself; False stops the run."""
    try:
        return report(bulk_update.update_one(repo, answers_file, vcs_ref))
    except (copier.errors.CopierError, subprocess.CalledProcessError, ValueError) as error:
        print(f"\n{answers_file}: update failed: {error}", file=sys.stderr)
        return False


def main(argv: list[str] | None = None) -> int:
    try:
        return update_all(argv)
    except bulk_update.CopierSeamChanged as error:
        print(f"\n{error}", file=sys.stderr)
        return 1


def update_all(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", nargs="?", default=".", type=Path, help="the cluster repository (default: .)")
    parser.add_argument("--vcs-ref", help="template release to update to (default: the newest tag)")
    parser.add_argument(
        "--jobs", type=int, default=bulk_update.default_jobs(),
        help="apps updated at once, each in its own git worktree (default: the number of CPUs, at most 8)",
    )
    parser.add_argument(
        "--no-template-cache", action="store_true",
        help="let copier clone the template for every update, unpatched (slow; for a copier this was not written for)",
    )
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    if not (repo / ".git").exists():
        parser.error(f"{repo} is not the root of a git repository")
    if status := git(repo, "status", "--porcelain"):
        parser.error(f"{repo} has uncommitted changes; commit or stash them first:\n{status}")
    files = answers_files(repo)
    if not files:
        parser.error(f"{repo} has no copier answers files: make it with the template, or adopt it (scripts/adopt.py)")
    with bulk_update.shared_template_checkouts(not args.no_template_cache) as checkouts:
        # The first one (the cluster) in the repository itself: a release's migration runs
        # there, over the whole repository, before any app is updated.
        first, rest = files[0], files[1:]
        if not update_here(repo, first, bulk_update.target_ref(repo, first, args.vcs_ref)):
            return 1
        bulk_update.require_seam_used(checkouts)
        # Apps already at the release the cluster just reached need no second look.
        target = recorded_commit(repo, first) if first == CLUSTER_ANSWERS else None
        rest = [name for name in rest if not (target and recorded_commit(repo, name) == target)]
        refs = {name: bulk_update.target_ref(repo, name, args.vcs_ref) for name in rest}
        if args.jobs > 1 and len(rest) >= PARALLEL_FROM:
            try:
                done = bulk_update.update_in_parallel(
                    repo, rest, refs, args.jobs, checkouts,
                    taken=report, redo=lambda name: update_here(repo, name, refs[name]),
                )
            except BrokenProcessPool as error:
                print(f"\na worker process died ({error}); no app was updated. Run this command "
                      "again, or with --jobs 1.", file=sys.stderr)
                return 1
            return 0 if done else 1
        for answers_file in rest:
            if not update_here(repo, answers_file, refs[answers_file]):
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
