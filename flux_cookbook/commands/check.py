"""`flux-cookbook check [REPO]`: find, offline, what Flux would refuse in a cluster repository."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..check import check_repository
from ..errors import UsageError, UserError
from ..repository_root import run_from_root

NAME = "check"
# What --no-build leaves out, said on every run that leaves it out.
NO_BUILD_SKIPS = ("--no-build: no Kustomization's folder was built (only that each exists was checked), "
                  "and ref.namespace, which reads the builds, did not run")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="check a cluster repository offline: YAML, schemas, builds, references, conventions, values",
        description=(
            "Check a cluster repository before pushing it, without a cluster or network:\n"
            "  every YAML file parses and passes yamllint (the repository's .yamllint);\n"
            "  every object validates against Flux 2.9's CRDs (CEL rules too), Sealed Secrets'\n"
            "  and Kubernetes' schemas; every Flux Kustomization's folder builds;\n"
            "  sources, values, dependsOn and health checks name what exists, and objects go\n"
            "  into namespaces the repository declares (before they are applied: dependsOn);\n"
            "  the cookbook's conventions hold; each app's values fit its chart (cached charts).\n"
            "One line per problem (path:line: rule: message; warnings marked), then a summary.\n"
            "Exit status: 0 no errors (warnings never fail), 1 errors found."
        ),
        epilog="example: flux-cookbook check            (the repository in the current folder)\n"
               "         flux-cookbook check ../my-cluster --no-build --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("repo", nargs="?", default=".", metavar="REPO",
                        help="the cluster repository's folder (default: the current folder)")
    parser.add_argument("--no-build", dest="build", action="store_false",
                        help="skip building each Kustomization's folder with kustomize (faster): only that the "
                             "folder exists is checked, and ref.namespace, which reads the builds, does not run")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text: a line per problem and a summary (default); json: one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    repo = Path(args.repo)
    if not repo.is_dir():
        raise UsageError(f"{args.repo} is not a folder; give the cluster repository's folder (default: .)")
    if hint := run_from_root(repo):
        raise UserError(f"{args.repo} is not the root of its git repository{hint}")
    report = check_repository(repo, build=args.build)
    if args.format == "json":
        json.dump({
            "problems": [problem.as_dict() for problem in report.problems],
            "errors": report.errors,
            "warnings": report.warnings,
            "files": report.files,
        }, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for problem in report.problems:
            print(problem)
        print(report.summary())
    if not args.build:
        print(f"flux-cookbook: {NO_BUILD_SKIPS}", file=sys.stderr)
    return 1 if report.errors else 0
