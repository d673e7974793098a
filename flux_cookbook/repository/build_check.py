"""Does what Flux built before a change still build after it?

adopt and update-all change a repository that a cluster is syncing. Every object can
validate and Flux's sync still fail: a second declaration of one object in a folder, an
answers file Flux tries to apply. So both build every Flux Kustomization path as
kustomize-controller does (flux_build.build_all) before and after, and a path that built
before and no longer does is a failure of the change, named with kustomize's message.
Paths that did not build before are not the change's doing and are not reported. adopt,
which only moves files, also compares what each path applies (`objects_lost`).

kubectl (with its kustomize) does the building; without it the check is skipped, and
says so.

A change that starts from a clean repository (update-all) need not build everything
twice: `since(commit)` builds every path after the change, and at the commit it started
from only the paths that do not build now, the only ones that can be newly broken.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from flux_cookbook.repository import flux_build
from flux_cookbook.repository.worktrees import detached_worktrees, git_said


@dataclass(frozen=True)
class Builds:
    """What building every path gave, or why it was not built."""

    results: tuple[flux_build.BuildResult, ...]
    skipped: str = ""  # why nothing was built ("" when built)


def build(repo: Path) -> Builds:
    try:
        return Builds(tuple(flux_build.build_all(Path(repo))))
    except flux_build.KubectlNotFound as missing:
        return Builds((), skipped=f"build check skipped: {missing}")


def describe_result(result: flux_build.BuildResult) -> str:
    return f"{_built_by(result)}: {result.error or 'gone'}"


def _built_by(result: flux_build.BuildResult) -> str:
    """The path built and the Flux Kustomization it was built for."""
    kustomization = result.kustomization
    where = f"./{kustomization.path}" if kustomization.path else "./ (the repository root)"
    return f"{where} (Kustomization '{kustomization.name}', {kustomization.file})"


def newly_broken(before: Builds, after: Builds) -> list[str]:
    """One line per path that built before and no longer does; [] when skipped."""
    if before.skipped or after.skipped:
        return []
    return [describe_result(result) for result in flux_build.newly_broken(list(before.results), list(after.results))]


def objects_lost(before: Builds, after: Builds) -> list[str]:
    """One line per path, built both times, that applied objects before that it does not
    after (kind, namespace and name): a change that moves files (adopt) must leave each of
    them where Flux applies it, or Flux prunes it there; [] when skipped."""
    if before.skipped or after.skipped:
        return []
    after_by_path = {result.kustomization.path: result for result in after.results if result.ok}
    lost = []
    for old in before.results:
        new = after_by_path.get(old.kustomization.path)
        if old.ok and new is not None and (gone := sorted(
                flux_build.applied_by_identity(old.output).keys() - flux_build.applied_by_identity(new.output).keys())):
            lost.append(f"{_built_by(new)}: would no longer apply {', '.join(gone)}")
    return lost


def summary(before: Builds, after: Builds) -> str:
    """For the user: how many paths still build, and each that does not with kustomize's
    message (one that did not build before the change either said so); or why nothing was
    checked."""
    if before.skipped or after.skipped:
        return before.skipped or after.skipped
    built = sum(result.ok for result in after.results)
    line = f"build check: {built} of {len(after.results)} Flux Kustomization path(s) build as Flux builds them"
    failed_before = {result.kustomization.path for result in before.results if not result.ok}
    return "\n  ".join([line] + [describe_result(result) + (" (it did not build before either)"
                                                            if result.kustomization.path in failed_before else "")
                                  for result in after.results if not result.ok])


def head_commit(repo: Path) -> str:
    """The commit a change of a clean repository starts from ("" if it has none)."""
    done = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=repo, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def _unchanged_since(repo: Path, commit: str) -> bool:
    """Still at `commit` with nothing changed: an update that stopped at conflicts commits
    nothing but changes files all the same."""
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=normal"], cwd=repo,
                            capture_output=True, text=True)
    return head_commit(repo) == commit and status.returncode == 0 and not status.stdout.strip()


def since(repo: Path, commit: str) -> tuple[Builds, list[str]]:
    """Build the repository now; and, at `commit` (where the change began, with nothing
    uncommitted then), the paths that do not build now. What `build` before, `build`
    after and `newly_broken` report, building at the commit only what can have broken."""
    after = build(repo)
    if after.skipped or not commit or _unchanged_since(repo, commit):
        return after, []  # nothing built, or nothing changed: nothing can be newly broken
    building = {result.kustomization.path for result in after.results if result.ok}
    try:
        with detached_worktrees(repo, commit, prefix="flux-cookbook-before.") as (then,):
            before = Builds(tuple(flux_build.build_all(then, skip=building)))
    except subprocess.CalledProcessError as error:
        # git cannot add a worktree here: nothing to compare with, and the change is made;
        # say so rather than guess.
        return Builds(after.results, skipped=f"build check skipped: git could not check out {commit[:12]}, where the "
                                             f"change began, in a temporary worktree ({git_said(error)})"), []
    return after, newly_broken(before, after)
