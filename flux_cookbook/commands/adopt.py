"""`flux-cookbook adopt`: take over a Flux repository built by hand from the Geek Cookbook.

Writes the answers files release 1.0.0 of the template would have written for the
repository (the cookbook's own layout and APIs), so that `flux-cookbook update-all` brings
it to the newest release, keeping its values. The logic lives in flux_cookbook/adopt/adoption.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flux_cookbook.adopt.adoption import RELEASE, adopt
from flux_cookbook.extensions import repo_files
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
        NAME, help="adopt a hand-made cookbook repository so that it can be updated",
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
    if repo.is_dir():
        repo_files.require_inside(repo)
    if args.dry_run or not repo.is_dir():  # adopt itself says what is wrong with the folder
        return adopt(repo, template, args.dry_run, out=sys.stdout, err=sys.stderr)
    with one_writer(repo, NAME):
        return adopt(repo, template, args.dry_run, out=sys.stdout, err=sys.stderr)
