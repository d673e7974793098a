"""What a new app's values_source means for it later, said when the app is added.

copier takes any chart or values file it can read as the app's values: one of a version
the app's chart_version does not match, or one outside the repository, is a fine answer
today and a surprise later (values outdated lists the app as behind; update-all, and so a
scheduled run, refuses to read outside the repository; a folder git ignores is in no other
clone).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from flux_cookbook.errors import UserError
from flux_cookbook.extensions.migrations import git_repo
from flux_cookbook.extensions.semver_range import parse_constraint
from flux_cookbook.template_runs import copier_run
from flux_cookbook.values.charts import CHART_FILES


def notes(repo: Path, answers_file: str) -> list[str]:
    """The notes on the values_source the answers file records (none where it records none,
    or where the template wrote no answers file: a template of another's)."""
    try:
        answers = copier_run.recorded_answers(repo, answers_file)
    except UserError:
        return []
    source = str(answers.get("values_source") or "")
    if not source:
        return []
    found = []
    version, version_range = (str(answers.get(key) or "") for key in ("values_chart_version", "chart_version"))
    try:
        outside_range = bool(version and version_range) and not parse_constraint(version_range).allows(version)
    except ValueError:
        outside_range = False  # a range copier's validator took; not one to judge here
    if outside_range:
        found.append(f"values_source {source} is {answers.get('chart')} {version}, which chart_version {version_range} "
                     f"does not match: the app's values are {version}'s, not those of the version Flux installs "
                     f"(`flux-cookbook values refresh {answers.get('app_name')}` brings them there, your edits kept)")
    if copier_run.values_sources_outside(repo, {answers_file: answers}):
        found.append(f"values_source {source} is outside the repository, recorded as this machine's path: "
                     "update-all, and so a scheduled run, refuses to read it; keep the chart or values file in the "
                     "repository and give that path")
    elif ignored := _ignored_by_git(repo, source):
        literal = "--literal-pathspecs " if set(source) & set("*?[\\:") else ""  # git reads those as a pattern's
        found.append(f"values_source {source} is in the repository, but git ignores {ignored}: other clones (a "
                     f"scheduled run's too) will not have it, and their updates keep the app's values without reading "
                     f"it; commit it (`git {literal}add -f {shlex.quote(source)}`) or stop ignoring it")
    return found


def _ignored_by_git(repo: Path, source: str) -> str:
    """The first file of `source` (inside the repository) that values are read from and git
    ignores, or "": a chart kept in a folder the repository ignores (a `charts/` line in
    .gitignore) is on this machine only. Other files in a chart folder (an editor's swap
    file, a merge's .orig) are no part of it."""
    path = Path(source).expanduser()
    full = path if path.is_absolute() else Path(repo).absolute() / path
    read = [full / name for name in CHART_FILES] if full.is_dir() else [full]
    names = [str(file) for file in read if file.is_file()]  # git takes a path inside its work tree as it is
    if not names:
        return ""
    try:
        return next(iter(git_repo.ignored_files(repo, *names)), "")
    except git_repo.MigrationAbort:  # no git repository (copier copies into a plain folder too)
        return ""
