"""`flux-cookbook check [REPO]`: find, offline, what Flux would refuse in a cluster repository."""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
from pathlib import Path

from flux_cookbook.check.rules_update import rejected_files
from flux_cookbook.check.run import NotFluxRepository, check_repository
from flux_cookbook.commands import SUMMARIES
from flux_cookbook.errors import UsageError, UserError
from flux_cookbook.extensions import layout, repo_files
from flux_cookbook.extensions.flux_names import FLUX_SYSTEM
from flux_cookbook.repository.root import git_root, run_from_root
from flux_cookbook.repository.worktrees import UnmergedPaths, git_said, staged_files

NAME = "check"
# What --no-build leaves out, said on every run that leaves it out.
NO_BUILD_SKIPS = ("--no-build: no Kustomization's folder was built (only that each exists was checked), "
                  "and ref.namespace and ref.unused-*, which read the builds, did not run")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        NAME,
        help=SUMMARIES[NAME][1],
        description=(
            "Check a cluster repository before pushing it, without a cluster or network:\n"
            "  every YAML file parses and passes yamllint (the repository's .yamllint, else its\n"
            "  relaxed preset; style is a warning); from each cluster's bootstrap folder, every\n"
            "  Flux Kustomization Flux reaches builds, and the objects built validate against the\n"
            "  CRDs of the repository's Flux release (CEL rules too), Sealed Secrets' and\n"
            "  Kubernetes' schemas;\n"
            "  sources, values, dependsOn and health checks name what exists, and objects go\n"
            "  into namespaces the repository declares (before they are applied: dependsOn);\n"
            "  the cookbook's conventions hold; each app's values fit its chart (cached charts).\n"
            "One line per problem (path:line: rule: message; warnings marked), then a summary.\n"
            "Exit status: 0 no errors (warnings never fail), 1 errors found."
        ),
        epilog="example: flux-cookbook check            (the repository in the current folder)\n"
               "         flux-cookbook check ../my-cluster --no-build --format json\n"
               "         flux-cookbook check --base origin/main --format markdown   (a pull request)\n"
               "         flux-cookbook check --staged           (the next commit, as the pre-commit hook does)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("repo", nargs="?", default=".", metavar="REPO",
                        help="the cluster repository's folder (default: the current folder)")
    parser.add_argument("--path", dest="start_dir", metavar="DIR", default=None,
                        help="where the starting Flux Kustomizations are (relative to REPO; default: every "
                             "cluster's bootstrap folder: the one the answers name and each other holding "
                             "flux-system/)")
    parser.add_argument("--no-build", dest="build", action="store_false",
                        help="skip building each Kustomization's folder with kustomize (faster): only that the "
                             "folder exists is checked, and ref.namespace and ref.unused-*, which read the builds, "
                             "do not run")
    parser.add_argument("--base", metavar="REF", default=None,
                        help="report only what the working tree adds compared with the git commit REF (a pull "
                             "request's base): new problems, and the objects each Flux Kustomization applies differently")
    parser.add_argument("--staged", action="store_true",
                        help="check what the next commit holds: the files git's index has, as staged, without "
                             "untracked files or changes not staged (the pre-commit hook checks this way)")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                        help="text: a line per problem and a summary (default); json: one JSON object; "
                             "markdown: a pull request comment")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    repo = Path(args.repo)
    if not repo.is_dir():
        raise UsageError(f"{args.repo} is not a folder; give the cluster repository's folder (default: .)")
    if hint := run_from_root(repo):
        raise UserError(f"{args.repo} is not the root of its git repository{hint}")
    if below := repositories_below(repo):
        raise UserError(f"{args.repo} is no git repository, and holds {', '.join(f'{name}/' for name in below)}, "
                        f"which {'is one' if len(below) == 1 else 'are'}: give the cluster repository's folder "
                        f"(`flux-cookbook check {Path(args.repo) / below[0]}`)")
    if args.start_dir is not None:
        # As the repository names it, before --staged copies the staged files elsewhere.
        args.start_dir = _folder_of(repo, args.start_dir, args.repo)
    if args.staged:  # the working tree's untracked links are no part of the commit
        return _run_staged(repo, args)
    repo_files.require_inside(repo)
    return _check(repo, args)


def _folder_of(repo: Path, start_dir: str, name: str) -> str:
    """--path as the repository names its folder ("" for the root): given relative to REPO
    (`./x/`, `.`) or as an absolute path inside it."""
    if not start_dir.strip():
        raise UsageError("--path is empty; give a folder inside REPO, relative to it (or leave --path out)")
    start = (repo / start_dir).resolve()
    if not start.is_relative_to(repo.resolve()):
        raise UsageError(f"--path {start_dir}: outside the repository {name}; give a folder inside REPO, relative to it")
    relative = start.relative_to(repo.resolve()).as_posix()
    return "" if relative == "." else relative


def repositories_below(folder: Path) -> list[str]:
    """The git repositories directly in `folder`, when it is in none itself (the folder
    above a clone): checked as one repository, its clones' files were all linted, and the
    result said nothing true of any of them."""
    if (folder / ".git").exists() or (folder / layout.CLUSTER_ANSWERS).exists() or git_root(folder) is not None:
        return []
    return sorted(child.name for child in folder.iterdir() if child.is_dir() and (child / ".git").exists())


def _run_staged(repo: Path, args: argparse.Namespace) -> int:
    """`check` of the files the next commit holds, written out of git's index into a scratch
    folder: the pre-commit hook judges the commit, not untracked files beside it."""
    if args.base is not None:
        raise UsageError("--staged and --base: give one (--base checks the working tree against REF)")
    if left := rejected_files(repo):
        # As unmerged paths: the commit would hold the release's lines where the user's were.
        raise UserError(f"--staged: copier update left changes it could not apply in {', '.join(left)} (--conflict "
                        "rej): apply each by hand to the file beside it, then delete it")
    with contextlib.ExitStack() as stack:
        try:
            folder = stack.enter_context(staged_files(repo))
        except subprocess.CalledProcessError as error:
            raise UserError(f"--staged: git could not write out the staged files of {args.repo}: {git_said(error)}") from error
        except UnmergedPaths as unmerged:
            raise UserError(f"--staged: the index of {args.repo} has unmerged paths ({unmerged}): resolve them "
                            "and stage the result (git add), as git commit asks") from None
        if leaving := repo_files.links_leaving(folder):
            # Named as staged in the user's repository: the scratch folder is gone by now.
            raise UserError(f"the staged files of {args.repo} hold symbolic links that lead outside the repository "
                            "(or into its .git folder); "
                            f"refused, nothing was read through them: {', '.join(leaving)}")
        try:
            return _check(folder, args, f"the staged files of {args.repo}")
        except NotFluxRepository as error:
            # Its message names the scratch folder, gone by now.
            raise UserError(f"the staged files of {args.repo} hold nothing of Flux: stage the cluster's "
                            "files (git add)") from error


def _check(repo: Path, args: argparse.Namespace, name: str | None = None) -> int:
    """`check` of the folder `repo` (`name`: what to call it in a message, default REPO as given)."""
    name = name or args.repo
    if args.start_dir is not None and not (repo / args.start_dir).is_dir():
        raise UsageError(f"--path {args.start_dir or '.'}: no such folder in {name}; give a folder inside REPO, relative to it")
    if args.base is not None:
        return _run_against(repo, args)
    report = check_repository(repo, build=args.build, start_dir=args.start_dir)
    if args.format == "markdown":
        from flux_cookbook.check.base import BaseReport, markdown

        sys.stdout.write(markdown(BaseReport("", report, report.problems)))
        return 1 if report.errors else 0
    if args.format == "json":
        json.dump({
            "problems": [problem.as_dict() for problem in report.problems],
            "errors": report.errors,
            "warnings": report.warnings,
            **_followed(report),
        }, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for problem in report.problems:
            print(problem)
        for line in report.note_lines():
            print(line)
        print(report.summary())
    if not args.build:
        print(f"flux-cookbook: {NO_BUILD_SKIPS}", file=sys.stderr)
    return 1 if report.errors else 0


def _followed(report) -> dict:
    """What the JSON report says of the working tree, with or without --base: the files,
    the Kustomizations followed, the sources not followed, the notes."""
    return {
        "files": report.files,
        # The stand-in of `--path DIR` (no file defines a Kustomization there) has no name.
        # The cluster: the bootstrap folder whose sync the Kustomization is followed from
        # (none for --path's stand-in).
        "kustomizations": [{"namespace": None if k.stand_in else k.namespace or FLUX_SYSTEM,
                            "name": None if k.stand_in else k.name, "path": k.path or ".",
                            "cluster": None if k.stand_in else report.clusters.get(k)}
                           for k in report.kustomizations],
        "not_followed": [{"kind": s.kind, "namespace": s.namespace, "name": s.name,
                          "kustomization": None if s.kustomization.stand_in else s.kustomization.ref,
                          **({"why": s.why} if s.why else {})}
                         for s in report.not_followed],
        "notes": report.note_lines(),
    }


def _run_against(repo: Path, args: argparse.Namespace) -> int:
    from flux_cookbook.check.base import check_against, markdown, text

    result = check_against(repo, args.base, build=args.build, start_dir=args.start_dir)
    if args.format == "json":
        json.dump({
            "base": args.base,
            "problems": [problem.as_dict() for problem in result.added],
            "errors": result.errors,
            "warnings": result.warnings,
            "changes": [{"kustomization": c.kustomization or None, "path": c.path, "added": list(c.added),
                         "removed": list(c.removed), "changed": list(c.changed)} for c in result.changes],
            **_followed(result.report),  # of the working tree, as without --base
        }, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(markdown(result) if args.format == "markdown" else text(result))
    if not args.build:
        print(f"flux-cookbook: {NO_BUILD_SKIPS}", file=sys.stderr)
    return 1 if result.errors else 0

