"""`flux-cookbook values`: keep each app's chart values current with the chart.

`values outdated` tells, for each app, the chart version its values came from, the one
Flux installs today and the newest outside the range; `values refresh` merges the chart's
default changes into an app's values (yours kept), one commit per app.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from flux_cookbook import stops
from flux_cookbook.commands import SUMMARIES
from flux_cookbook.errors import UsageError, UserError
from flux_cookbook.extensions import repo_files
from flux_cookbook.repository.apps import app_names
from flux_cookbook.repository.lock import one_writer
from flux_cookbook.values import refresh as refreshing
from flux_cookbook.values import source_notes
from flux_cookbook.values.app_values import no_app
from flux_cookbook.values.charts import Charts
from flux_cookbook.values.outdated import outdated, table

NAME = "values"
OUTDATED_EXAMPLE = """examples:
  flux-cookbook values outdated                  # a table; exit 1 when some app's values are behind, or a chart cannot be read
  flux-cookbook values outdated --format json    # the same rows, for a script"""
REFRESH_EXAMPLE = """examples:
  flux-cookbook values refresh podinfo           # to what its range installs now; one commit
  flux-cookbook values refresh --all --dry-run   # what would change, nothing written
  flux-cookbook values refresh traefik --to 28.x # a new major: the HelmRelease's range too"""
EXAMPLE = OUTDATED_EXAMPLE + REFRESH_EXAMPLE.removeprefix("examples:")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        NAME, help=SUMMARIES[NAME][1],
        description=__doc__.split("\n\n")[0], epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = actions.add_parser("outdated", help="each app's values version, what Flux installs, the newest outside the range",
                                 epilog=OUTDATED_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    listing.add_argument("repo", nargs="?", default=".", type=Path, help="the cluster repository (default: .)")
    listing.add_argument("--format", choices=("table", "json"), default="table",
                         help="a table to read (default), or JSON: one object per app")
    listing.set_defaults(run=run_outdated)
    refresh = actions.add_parser(
        "refresh", help="merge a chart version's default changes into apps' values, one commit per app",
        description="Three-way merge: your changes stay with their comments, untouched defaults take the new "
        "defaults, new options appear with the chart's comments; conflicts get markers, and keys the new chart "
        "lacks are named; both are left uncommitted, exit 1.",
        epilog=REFRESH_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    refresh.add_argument("apps", nargs="*", metavar="APP", help="apps to refresh")
    refresh.add_argument("--all", action="store_true", help="every app in the repository")
    refresh.add_argument("--to", metavar="VERSION_OR_RANGE",
                         help="chart version, range (also set in the HelmRelease) or local chart folder/.tgz "
                         "(default: what the app's range resolves to)")
    refresh.add_argument("--dry-run", action="store_true",
                         help="print the changes at keys you set and the diff; write nothing; exit 1 when a refresh would need you")
    refresh.add_argument("-C", "--repo", default=".", type=Path, help="the cluster repository (default: .)")
    refresh.set_defaults(run=run_refresh)


def _folder(repo: Path) -> Path:
    if not repo.is_dir():
        raise UsageError(f"{repo} is not a folder; give the cluster repository's folder (default: .)")
    return repo.resolve()


def run_outdated(args: argparse.Namespace) -> int:
    repo = _folder(args.repo)
    if not app_names(repo):
        raise UserError(f"{repo} has no apps (no .copier-answers.app-*.yml files)")
    rows = outdated(repo, Charts())
    if args.format == "json":
        print(json.dumps([row.as_dict() for row in rows], indent=2))
    else:
        print(table(rows))
    for row in rows:
        if row.problem:
            print(f"flux-cookbook: {row.app}: {row.problem}", file=sys.stderr)
    return 1 if any(row.behind or row.problem for row in rows) else 0


def run_refresh(args: argparse.Namespace) -> int:
    repo = _folder(args.repo)
    if bool(args.apps) == args.all:
        raise UsageError("name the apps to refresh, or give --all (not both)")
    refreshing.check_target(args.to)
    # Before anything walks the folder: the wrong folder (a home directory) is told at once.
    found = app_names(repo)
    if not found:
        raise UserError(f"{repo} has no apps (no .copier-answers.app-*.yml files)")
    repo_files.require_inside(repo)
    names = found if args.all else list(dict.fromkeys(args.apps))
    if unknown := [name for name in names if name not in found]:
        # A name mistyped is told as such, before the state of the working tree is.
        raise no_app(repo, unknown[0])
    if args.dry_run:
        return _refreshed(repo, names, args)
    # From the clean-tree check to the last commit: the files are read, merged and written
    # whole, so another writer's change made in between would be undone.
    with one_writer(repo, "values refresh"):
        if note := refreshing.recover(repo):
            print(note, file=sys.stderr)
        refreshing.require_clean(repo)
        return _refreshed(repo, names, args)


def _refreshed(repo: Path, names: list[str], args: argparse.Namespace) -> int:
    charts = Charts()
    plans, problems = [], []
    for name in names:
        # Every app is planned before anything is written: each one's problem is named,
        # not only the first's, and a run with any writes nothing.
        try:
            plans.append(refreshing.plan(repo, name, args.to, charts))
        except (UserError, repo_files.NotReadable) as error:
            problems.append(str(error))
    stops.checkpoint("values-planned")  # the tests' stand-in for a slow plan
    for plan in plans:
        print(plan.summary())
        if args.dry_run:
            print(plan.diff() or "  (no change)")
        elif not plan.changed:
            print("  already current, nothing to change")
    for problem in problems:
        print(f"flux-cookbook: {problem}", file=sys.stderr)
    if problems and not args.dry_run:
        others = " or refresh the others by name" if plans or len(problems) > 1 else ""
        print(f"flux-cookbook: nothing was written; see the problem{'s' * (len(problems) > 1)} above{others}.",
              file=sys.stderr)
    if args.dry_run:
        # A bot's dry run answers "would a refresh go through by itself?": an app whose
        # refresh would be left to the user fails it, as the real run would.
        held = [plan.app.name for plan in plans if plan.needs_hands]
        if held:
            print(f"flux-cookbook: a refresh would leave {', '.join(held)} written, not committed, for you to "
                  "resolve (see above)", file=sys.stderr)
        return 1 if problems or held else 0
    if problems:
        return 1
    left = refreshing.write(repo, plans)
    if args.to is not None:  # a chart given by path is recorded as values_source: said as `add` says it
        for plan in plans:
            for note in source_notes.notes(repo, plan.app.answers_file):
                print(f"  {note}")
    for plan in left:
        print(f"\n{plan.app.name}: written, not committed; resolve and commit:\n  " + "\n  ".join(plan.changed),
              file=sys.stderr)
    return 1 if left else 0
