"""Migrations copier runs on `copier update` (`_migrations` in copier.yml).

Each release that changes the convention has a module here with a `before` step (run
before copier compares the old and new renders) and an `after` step. A step works on the
whole repository, not only the files of the answers file being updated, and is
idempotent, so it does the same whether the cluster or an app is updated first, and
nothing on the second run.

Once per repository: the cluster's update runs the steps of every release it crosses, over
the whole repository. An app's update runs a release's steps only while the cluster's
answers record a release before it (the app is updated first, or alone): once the cluster
reached a release, the repository has been through its steps. copier.yml's `when:` asks
`due()` first, so an update with nothing to do (most app updates) starts no process at all;
otherwise copier starts one process per stage (`run.py <stage> <answers file> <from> <to>`),
which runs, in release order, the steps due, then what runs on every update when it has
something to do (an app adopted one folder down, conflicts to settle).
"""

from __future__ import annotations

import json
import re
import sys
import traceback
from pathlib import Path

import yaml
from packaging.version import InvalidVersion, Version

from .. import bounded_yaml, layout
from ..repo_files import OutsideRepository, require_inside
from . import (
    apps_folder,
    doubled_keys,
    encrypted_files,
    every_update,
    line_ends_kept,
    settle_conflicts,
    shared_files,
    v2_0_0,
    v3_0_0,
    v3_1_0,
    values_kept,
)
from .git_repo import MigrationAbort, git_dir_file, put_back

# Release -> its migration module, oldest first. All are imported with this package: copier
# asks `due()` in its own process, where a module imported later would be looked for in a
# clone of the template that copier has removed since.
RELEASES = {"2.0.0": v2_0_0, "3.0.0": v3_0_0, "3.1.0": v3_1_0}
STAGES = ("before", "after")


def crossed(version_from: str, version_to: str) -> list[str]:
    """The releases an update from `version_from` to `version_to` crosses, oldest first."""
    try:
        low, high = Version(version_from), Version(version_to)
    except InvalidVersion:
        return []  # copier runs no versioned migration then either
    return [release for release in RELEASES if low < Version(release) <= high]


def cluster_release(repo: Path) -> Version | None:
    """The release the cluster's answers record (X.Y.Z of `_commit`), or None."""
    try:
        answers = bounded_yaml.load((Path(repo) / layout.CLUSTER_ANSWERS).read_text(encoding="utf-8"), layout.CLUSTER_ANSWERS)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    found = re.match(r"^v?(\d+\.\d+\.\d+)", str((answers or {}).get("_commit", ""))) if isinstance(answers, dict) else None
    return Version(found.group(1)) if found else None


def releases_due(repo: Path, answers_file: str, version_from: str, version_to: str) -> list[str]:
    """The releases whose steps this update runs (see the module docstring)."""
    releases = crossed(version_from, version_to)
    if not layout.app_of_answers_file(str(answers_file or "")):
        return releases  # the cluster's update (or one the answers file does not name)
    reached = cluster_release(repo)
    return [release for release in releases if reached is None or reached < Version(release)]


def every_update_due(stage: str, repo: Path, answers_file: str) -> bool:
    """Has this stage of every_update anything to do here?"""
    if stage == "before":
        return apps_folder.folder_to_merge(repo, str(answers_file or "")) is not None
    # every_update.after runs 3.0.0's after too (its due: conflicts, which settle_conflicts
    # settles as well, or a deleted HelmRepository file).
    return (git_dir_file(repo, apps_folder.RECORD).exists() or v3_0_0.after_due(repo)
            or bool(shared_files.rewritten(repo, answers_file)) or shared_files.readme_rewritten(repo, answers_file)
            or bool(shared_files.deleted_namespace_files(repo)) or bool(settle_conflicts.rejected(repo))
            or bool(encrypted_files.changed(repo)) or bool(values_kept.changed(repo)) or bool(doubled_keys.doubled(repo))
            or bool(line_ends_kept.changed(repo)))


def due(stage: str, repo, answers_file, version_from, version_to) -> bool:
    """Does this stage of this update need run.py? (copier.yml's `when:` of `_migrations`).

    A release's `after` step only acts on what its `before` step or copier's merge left
    (a record, conflicts, a deleted file), which copier renders this `when:` after: when a
    release's `after_due` finds none of it, the step has nothing to do and starts no process."""
    repo = Path(str(repo))
    releases = releases_due(repo, str(answers_file), str(version_from), str(version_to))
    if stage == "after":
        releases = [release for release in releases if RELEASES[release].after_due(repo)]
    return bool(releases) or every_update_due(stage, repo, str(answers_file))


def main(argv: list[str]) -> int:
    """`run.py <before|after> <answers file> <from> <to>`, in the repository being updated.

    The answers file is the one copier is updating (copier tells a migration nothing else
    of it); a step that works on the whole repository ignores it.
    """
    stage, answers_file, version_from, version_to = argv
    if stage not in STAGES:
        print(f"run.py: the stage is before or after, not {stage!r}", file=sys.stderr)
        return 2
    repo = Path.cwd()
    try:
        require_inside(repo)
    except OutsideRepository as refused:
        # The before stage meets the repository as the user has it; the after stage, with
        # copier's merge (and what the before stage moved), which goes back too.
        print(f"\nThe update stopped, {'nothing was changed' if stage == 'before' else _stopped(repo)}: {refused}\n",
              file=sys.stderr)
        return 1
    steps = [(release, RELEASES[release]) for release in releases_due(repo, answers_file, version_from, version_to)]
    if every_update_due(stage, repo, answers_file):
        steps.append(("", every_update))
    for release, module in steps:
        what = f"Migration to {release}" if release else "The update"
        try:
            getattr(module, stage)(repo, answers_file)
        except (MigrationAbort, OutsideRepository) as abort:
            print(f"\n{what} stopped, {_stopped(repo)}:\n{abort}\n", file=sys.stderr)
            return 1
        except Exception:  # noqa: BLE001 - a step's own failure: its traceback, and the repository put back
            traceback.print_exc()
            print(f"\n{what} failed (the traceback above is a bug of the template's), {_stopped(repo)}.\n",
                  file=sys.stderr)
            return 1
    return 0


def _stopped(repo: Path) -> str:
    """The repository's folder is put back as HEAD has it (copier refused to start on any
    change there), before copier merges or after: the steps' staged work, copier's merge,
    and the steps' hand-over records to the after stage go; the ignored files the 2.0.0
    move took along on disk go back."""
    if failed := put_back(repo):
        return ("and its changes could not be taken back, so this folder holds a part of them. Once git works "
                f"here again, run `git reset -q -- . && git checkout -- . && git clean -fd -- .` in {repo}, which "
                f"puts back this folder alone ({failed})")
    try:
        moves = git_dir_file(repo, v2_0_0.RECORD)
        if moves.exists():
            v2_0_0.move_ignored_back(repo, json.loads(moves.read_text(encoding="utf-8")).get("ignored_moves") or [])
        for record in (v2_0_0.RECORD, apps_folder.RECORD):
            git_dir_file(repo, record).unlink(missing_ok=True)
    except (MigrationAbort, OSError, ValueError):
        pass  # no git repository, or no record to read: nothing more to put back
    return "nothing was changed"
