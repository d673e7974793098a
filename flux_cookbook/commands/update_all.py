"""`flux-cookbook update-all`: the cluster and every app to the newest release, one commit each.

Each app has its own answers file, so a new release means one `copier update` per app,
and copier refuses a repository with uncommitted changes: this updates the cluster
(`.copier-answers.yml`) and then each app, committing after each one that changed
something, and reports every answers file. It stops at the first update that leaves
conflicts; run it again after resolving them to go on. The template comes from the
answers files (`_src_path`), so no checkout of it is needed.

It refuses to update to a commit that is not a release tag: copier then runs no versioned
migration, and a release that moves files would drop the edits in them. The speed-ups
(one template checkout per release, apps in parallel worktrees) are in bulk_update.py.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from .. import build_check, bulk_update, trust
from .. import copier_run as copier_errors
from ..bulk_update import CLUSTER_ANSWERS, Outcome, git, recorded_commit
from ..errors import UserError
from ..extensions import layout, repo_files
from ..repo_lock import one_writer, require_branch
from ..repository_root import run_from_root
from .new import add_trust_option

NAME = "update-all"
EXAMPLE = """example:
  cd my-cluster && git status        # must be clean
  flux-cookbook update-all           # cluster, then every app; one commit each
  flux-cookbook update-all --vcs-ref v2.1.1"""

# Below this many apps to update, worktrees and worker processes cost more than they save.
PARALLEL_FROM = 4


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        NAME, help="update the cluster and every app to the newest release, one commit each",
        description=__doc__.split("\n\n")[0], epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    add_trust_option(parser)
    parser.set_defaults(run=run)


def report(outcome: Outcome) -> bool:
    """Print what an update did; False when it stops the run (conflicts)."""
    if outcome.output:
        print(outcome.output, end="" if outcome.output.endswith("\n") else "\n")
    if outcome.status == "conflicts":
        print(
            f"\n{outcome.answers_file}: the update left conflicts in:\n  " + "\n  ".join(outcome.conflicts)
            + "\nResolve them (keep your lines or the template's), `git add` them, commit, and run"
            " flux-cookbook update-all again to update the rest.",
            file=sys.stderr,
        )
        return False
    if outcome.status == "updated":
        print(f"{outcome.answers_file}: updated {outcome.what} to {outcome.reached}")
    else:
        print(f"{outcome.answers_file}: {outcome.what} already at {outcome.reached}, nothing to change")
    return True


def update_here(repo: Path, answers_file: str, vcs_ref: str | None) -> bool:
    """Update one answers file in the repository itself; False stops the run."""
    try:
        return report(bulk_update.update_one(repo, answers_file, vcs_ref))
    except bulk_update.NotARelease as error:
        print(f"\n{answers_file}: not updated: {error}", file=sys.stderr)
    except (subprocess.CalledProcessError, ValueError) as error:
        print(f"\n{answers_file}: update failed: {copier_errors.message(error)}", file=sys.stderr)
    except Exception as error:  # noqa: BLE001 - copier's own errors, shown as messages
        if not copier_errors.is_copier_error(error):
            raise
        print(f"\n{answers_file}: update failed: {copier_errors.message(error)}", file=sys.stderr)
    return False


def run(args: argparse.Namespace) -> int:
    repo = args.repo.resolve()
    if not (repo / ".git").exists():
        raise UserError(f"{repo} is not the root of a git repository{run_from_root(repo)}")
    require_branch(repo)
    with one_writer(repo, NAME):
        return run_locked(repo, args)


def run_locked(repo: Path, args: argparse.Namespace) -> int:
    repo_files.require_inside(repo)
    if status := git(repo, "status", "--porcelain"):
        raise UserError(f"{repo} has uncommitted changes; commit or stash them first:\n{status.rstrip()}")
    files = layout.answers_files(repo)
    if not files:
        raise UserError(
            f"{repo} has no copier answers files: make it with `flux-cookbook new`, or adopt it "
            "with `flux-cookbook adopt`"
        )
    for note in trust.require_trusted_answers(trust.template_sources(repo, files), args.trust):
        print(f"note: {note}", file=sys.stderr)
    try:
        started_at = build_check.head_commit(repo)
        done = update_all(repo, files, args)
        return 0 if still_builds(repo, started_at) and done else 1
    except bulk_update.CopierSeamChanged as error:
        raise UserError(str(error)) from None
    except BrokenProcessPool as error:
        raise UserError(
            f"a worker process died ({error}); no app was updated. Run this command again, or with --jobs 1."
        ) from None


def still_builds(repo: Path, started_at: str) -> bool:
    """Report what built at `started_at` (the commit before the updates) and no longer
    does; False when anything."""
    after, broken = build_check.since(repo, started_at)
    if broken:
        print(
            "\nThese Flux Kustomization paths built before the update and no longer build as Flux builds them:\n  "
            + "\n  ".join(broken) + "\nFix them (the updates are committed, one per answers file) before you push.",
            file=sys.stderr,
        )
        return False
    print(build_check.summary(after, after))
    return True


def update_all(repo: Path, files: list[str], args: argparse.Namespace) -> bool:
    with bulk_update.shared_template_checkouts(not args.no_template_cache) as checkouts:
        # The first one (the cluster) in the repository itself: a release's migration runs
        # there, over the whole repository, before any app is updated.
        first, rest = files[0], files[1:]
        if not update_here(repo, first, bulk_update.target_ref(repo, first, args.vcs_ref)):
            return False
        bulk_update.require_seam_used(checkouts)
        # Apps already at the release the cluster just reached need no second look.
        target = recorded_commit(repo, first) if first == CLUSTER_ANSWERS else None
        for name in rest:
            if target and recorded_commit(repo, name) == target:
                print(f"{name}: {bulk_update.describe(name)} already at {target}, nothing to change")
        rest = [name for name in rest if not (target and recorded_commit(repo, name) == target)]
        refs = {name: bulk_update.target_ref(repo, name, args.vcs_ref) for name in rest}
        if args.jobs > 1 and len(rest) >= PARALLEL_FROM:
            return bulk_update.update_in_parallel(
                repo, rest, refs, args.jobs, checkouts,
                taken=report, redo=lambda name: update_here(repo, name, refs[name]),
            )
        return all(update_here(repo, name, refs[name]) for name in rest)
