"""Update a cluster repository and every app in it, one commit each.

    python3 <template>/scripts/update_all.py [REPO] [--vcs-ref vX.Y.Z]

Each app has its own answers file, so a new release means one `copier update` per app,
and copier refuses to update a repository with uncommitted changes: this command updates
the cluster (`.copier-answers.yml`) and then each app (`.copier-answers.app-*.yml`),
committing after each one that changed something. It stops at the first update that
leaves conflicts, so they can be resolved and committed; run it again to go on.
All updates run in this one process through copier's Python API.

It refuses to update to a commit that is not a release tag: copier then runs no versioned
migration, and a release that moves files would drop the edits in them.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import copier
import yaml

CLUSTER_ANSWERS = ".copier-answers.yml"
RELEASE_TAG = re.compile(r"^v?\d+\.\d+\.\d+$")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def answers_files(repo: Path) -> list[str]:
    apps = sorted(p.name for p in repo.glob(".copier-answers.app-*.yml"))
    return ([CLUSTER_ANSWERS] if (repo / CLUSTER_ANSWERS).exists() else []) + apps


def recorded_commit(repo: Path, answers_file: str) -> str:
    return str((yaml.safe_load((repo / answers_file).read_text(encoding="utf-8")) or {}).get("_commit", ""))


def conflicted_files(repo: Path) -> list[str]:
    return [name for name in git(repo, "diff", "--name-only", "--diff-filter=U").splitlines() if name]


def update_one(repo: Path, answers_file: str, vcs_ref: str | None) -> bool:
    """Update what `answers_file` records; commit it. False when conflicts stop the run."""
    copier.run_update(
        repo, answers_file=answers_file, vcs_ref=vcs_ref, defaults=True, unsafe=True, overwrite=True, quiet=True
    )
    if not RELEASE_TAG.match(reached := recorded_commit(repo, answers_file)):
        # The repository was clean before this update: HEAD holds all of the user's work.
        git(repo, "reset", "-q", "--hard", "HEAD")
        git(repo, "clean", "-q", "-fd")
        raise ValueError(
            f"that reached {reached}, which is not a release tag, so copier would skip the "
            "migrations; nothing was changed. Update to a release: --vcs-ref vX.Y.Z"
        )
    if conflicted := conflicted_files(repo):
        print(
            f"\n{answers_file}: the update left conflicts in:\n  " + "\n  ".join(conflicted)
            + "\nResolve them (keep your lines or the template's), `git add` them, commit, and run"
            " this command again to update the rest.",
            file=sys.stderr,
        )
        return False
    git(repo, "add", "-A")
    if git(repo, "status", "--porcelain"):
        what = "cluster" if answers_file == CLUSTER_ANSWERS else f"app {answers_file[len('.copier-answers.app-'):-len('.yml')]}"
        git(repo, "commit", "-q", "-m", f"Update {what} to template {recorded_commit(repo, answers_file)}")
        print(f"updated {what} to {recorded_commit(repo, answers_file)}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", nargs="?", default=".", type=Path, help="the cluster repository (default: .)")
    parser.add_argument("--vcs-ref", help="template release to update to (default: the newest tag)")
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    if not (repo / ".git").exists():
        parser.error(f"{repo} is not the root of a git repository")
    if status := git(repo, "status", "--porcelain"):
        parser.error(f"{repo} has uncommitted changes; commit or stash them first:\n{status}")
    files = answers_files(repo)
    if not files:
        parser.error(f"{repo} has no copier answers files: make it with the template, or adopt it (scripts/adopt.py)")
    target = None
    for answers_file in files:
        # Apps already at the release the cluster just reached need no second look.
        if target and recorded_commit(repo, answers_file) == target:
            continue
        try:
            if not update_one(repo, answers_file, args.vcs_ref):
                return 1
        except (copier.errors.CopierError, subprocess.CalledProcessError, ValueError) as error:
            print(f"\n{answers_file}: update failed: {error}", file=sys.stderr)
            return 1
        if answers_file == CLUSTER_ANSWERS:
            target = recorded_commit(repo, answers_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
