"""`flux-cookbook adopt`: take over a Flux repository built by hand from the Geek Cookbook.

Writes the answers files release 1.0.0 of the template would have written for the
repository (the cookbook's own layout and APIs), so that `flux-cookbook update-all` brings
it to the newest release, keeping its values. The logic lives in flux_cookbook/adopt/; here
are its arguments and its messages.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from flux_cookbook.adopt import RELEASE, adoption, git_state
from flux_cookbook.adopt.answers import answers_text
from flux_cookbook.adopt.findings import AdoptError
from flux_cookbook.adopt.placement import Split
from flux_cookbook.adopt.plan import Plan
from flux_cookbook.commands import SUMMARIES
from flux_cookbook.extensions import repo_files
from flux_cookbook.extensions.layout import app_answers_file
from flux_cookbook.repository.lock import one_writer
from flux_cookbook.template_runs import copier_run

NAME = "adopt"
EXAMPLE = """example:
  flux-cookbook adopt my-cluster --dry-run      # what it would write
  flux-cookbook adopt my-cluster --template https://github.com/<you>/<template>.git
  cd my-cluster && git add -A && git commit -m "Adopt the Flux cookbook template"
  flux-cookbook update-all"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        NAME, help=SUMMARIES[NAME][1],
        description=__doc__.split("\n\n")[0], epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("repo", nargs="?", default=".", type=Path, help="the repository's root (default: .)")
    parser.add_argument(
        "--template",
        help=f"template source recorded as _src_path, a git URL or a local clone with tag v{RELEASE} "
        "(default: where flux-cookbook was installed from)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the answers and moves; change nothing")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    template = copier_run.default_template(args.template)
    repo = args.repo.resolve()
    # Only a git repository is looked through for links out of it: any other folder (a home
    # directory by mistake) adopt refuses at once, with git alone.
    if git_state.toplevel(repo) is not None:
        repo_files.require_inside(repo)
    if args.dry_run or not repo.is_dir():  # adopt itself says what is wrong with the folder
        return adopt(repo, template, args.dry_run, out=sys.stdout, err=sys.stderr)
    with one_writer(repo, NAME):
        return adopt(repo, template, args.dry_run, out=sys.stdout, err=sys.stderr)


def describe(plan: Plan) -> str:
    lines = [
        f"Bootstrap folder: {plan.bootstrap_dir}/. "
        f"Pinned to template release {RELEASE} ({plan.cluster['_src_path']})."
    ]
    lines.append("Apps (each gets its own answers file):" if plan.apps else "Apps: none found.")
    for app, answers in plan.apps.items():
        lines.append(
            f"  {app}: chart {answers['chart']} {answers['chart_version']} from HelmRepository "
            f"{answers['helm_repo_name']} ({answers['helm_repo_url']}), namespace {answers['namespace']}"
        )
    sections = (
        ("Guessed (change them in .copier-answers.yml if wrong):", plan.guesses),
        ("Kept as your own files (no answers file):", plan.kept),
        ("Notes:", plan.notes),
    )
    for title, items in sections:
        if items:
            lines += [title, *(f"  {item}" for item in items)]
    if plan.added:
        lines.append(f"Adds, as the template writes them (updates keep them current): {', '.join(plan.added)}")
    if plan.extended:
        lines.append(f"Adds to your own: {', '.join(plan.extended)} (the lines the template's has and yours lacks)")
    if plan.moves:
        lines.append("Moves (git mv, staged), so that each object is where the template writes it:")
        lines += [f"  {move.source} -> {move.target}  ({move.what})" for move in plan.moves]
    if plan.splits:
        lines.append(
            "Splits (staged), so that each object is alone where the template writes it; each document "
            "goes as you wrote it, comments included:"
        )
        lines += [describe_split(split) for split in plan.splits]
    if plan.relisted_entries:
        lines.append("Lists the new names where a kustomization file lists the old (staged):")
        lines += [f"  {entry}" for entry in plan.relisted_entries]
    return "\n".join(lines)


def describe_split(split: Split) -> str:
    lines = [f"  split {split.source}: {move.what} -> {move.target}" for move in split.moves]
    if split.rest is not None:
        lines.append(f"    {split.source} keeps its other documents, as they are")
    else:
        count = len(split.carried.splitlines())
        carried = f"; its {count} line(s) outside them (comments) go atop {split.moves[0].target}" if count else ""
        lines.append(f"    {split.source} is removed (git rm): every object in it moved{carried}")
    return "\n".join(lines)


def describe_dry_run(plan: Plan) -> str:
    lines = ["Dry run: nothing moved, split or written (carried out and built in a scratch worktree only). "
             "The answers files would be:"]
    for name, answers in plan.answers_files().items():
        lines += ["", f"--- {name}", answers_text(answers).rstrip("\n")]
    return "\n".join(lines)


def next_steps(plan: Plan) -> str:
    written = ", ".join([*plan.answers_files(), *plan.added, *plan.extended])
    lines = [
        f"Wrote {written}.",
        "",
        "Next:",
        "  1. Review: git status; git diff --staged; the answers files (change an answer there if it is wrong).",
        '  2. git add -A && git commit -m "Adopt the Flux cookbook template"',
        "  3. Update the cluster and every app to the newest release (one commit each):",
        "       flux-cookbook update-all",
        "     or by hand, the cluster first, committing after each step:",
        "       copier update --trust --defaults",
    ]
    lines += [f"       copier update --trust --defaults -a {app_answers_file(app)}" for app in plan.apps]
    return "\n".join(lines)


def _refused(repo: Path, problems: list[str], err: TextIO) -> int:
    print(f"adopt: cannot adopt {repo}; nothing was written.", file=err)
    for problem in problems:
        print(f"  - {problem}", file=err)
    return 1


def adopt(repo: Path, template: str, dry_run: bool, out: TextIO, err: TextIO) -> int:
    """Adopt `repo` (or, with dry_run, say what adopting it would do): 0, or 1 when refused."""
    try:
        plan = adoption.planned(repo, template)
    except AdoptError as error:
        return _refused(repo, error.problems, err)
    print(describe(plan), file=out)
    try:
        # A dry run carries the plan out in a scratch worktree: it refuses what the real run would.
        built = adoption.tried(plan) if dry_run else adoption.carried_out(plan)
    except AdoptError as error:
        return _refused(repo, error.problems, err)
    print(built, file=out)
    if dry_run:
        print(describe_dry_run(plan), file=out)
        return 0
    print(next_steps(plan), file=out)
    return 0
