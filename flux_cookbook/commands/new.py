"""`flux-cookbook new DEST`: a new cluster repository (copier copy of the cluster template)."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

from flux_cookbook import stops
from flux_cookbook.commands import SUMMARIES, add_template_options
from flux_cookbook.errors import UsageError, UserError
from flux_cookbook.extensions import layout, repo_state, unused_answers
from flux_cookbook.repository.root import git_root
from flux_cookbook.template_runs import copier_run, trust

NAME = "new"
EXAMPLE = """examples:
  flux-cookbook new my-cluster                      # asks each question
  flux-cookbook new my-cluster --defaults -d repo_owner=acme -d repo_name=homelab
  flux-cookbook new my-cluster --template https://github.com/<you>/<template>.git --vcs-ref v2.1.1"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        NAME, help=SUMMARIES[NAME][1], description=__doc__.split("\n\n")[0],
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dest", type=Path, help="folder for the new repository (new or empty)")
    add_template_options(parser)
    parser.set_defaults(run=run)


def _empty(dest: Path, remove_folder: bool, keep_git: bool) -> None:
    """Take back what a stopped `new` wrote: the folder it made, or what it put into the
    empty folder it was given (which held nothing, or a .git of its own)."""
    if remove_folder:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for entry in dest.iterdir() if dest.is_dir() else ():
        if entry.name == ".git" and keep_git:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def run(args: argparse.Namespace) -> int:
    given = copier_run.parse_data(args.data)  # a usage error before anything is read
    if given.get("kind", "cluster") != "cluster":
        raise UsageError(f"-d kind={given['kind']}: new makes a cluster repository; add an app to one with "
                         "`flux-cookbook add APP`")
    data = {**given, "kind": "cluster"}
    dest = args.dest.resolve()
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"{args.dest} is a file; give a new or empty folder.")
    if not dest.exists() and dest.parent.exists() and not dest.parent.is_dir():
        raise UsageError(f"{args.dest}: {dest.parent} is a file; give a new or empty folder.")
    if (dest / layout.CLUSTER_ANSWERS).exists() and not _committed(dest):
        raise UserError(
            f"{dest} holds {layout.CLUSTER_ANSWERS} but no commit: a `flux-cookbook new` stopped before it ended "
            "(killed) leaves it so, half-made; then remove the folder (or, if you made it, everything in it but .git) "
            "and run `flux-cookbook new` again. Made whole by plain `copier copy`: commit it, and add apps with "
            "`flux-cookbook add APP`."
        )
    if (dest / layout.CLUSTER_ANSWERS).exists():
        raise UserError(
            f"{dest} is already a cluster repository (it has {layout.CLUSTER_ANSWERS}). "
            "Add an app with `flux-cookbook add APP`; update it with `flux-cookbook update-all`."
        )
    if dest.exists() and any(p.name != ".git" for p in dest.iterdir()):
        # A repository flux bootstrap wrote is named as one: adopt it, rather than "not empty".
        raise UserError(repo_state.cluster_exists_error(dest) or f"{dest} is not empty; give a new or empty folder.")
    if (around := _repository_around(dest)) is not None:
        raise UserError(
            f"{dest} is inside the git repository {around}: a new cluster repository is a git repository of its own, "
            f"which {around} would hold as a bare gitlink (none of its files committed or pushed). Make it outside "
            "any repository."
        )
    template = copier_run.default_template(args.template)
    trust.require_trusted(template, "given with --template" if args.template else "installed from", args.trust)
    made, had_git = not dest.exists(), (dest / ".git").exists()
    try:
        copier_run.run_copy(template, dest, data, args.vcs_ref, args.defaults)
        stops.checkpoint("cluster-copied")  # the tests' stand-in for a Ctrl-C here
        first_commit(dest)
    except BaseException:
        # A repository stopped half-way (Ctrl-C) is none: the folder is as it was, so that
        # the same command can run again.
        _empty(dest, remove_folder=made, keep_git=had_git)
        raise
    for note in [*unused_answers.notes(given, dest, layout.CLUSTER_ANSWERS),
                 copier_run.unreleased_note(template, dest)]:
        if note:
            print(note)
    print(f"Made {dest}. Next: read its README.md, create the repository on your Git host, push, "
          "then run the `flux bootstrap` command the README gives.")
    return 0


def _repository_around(dest: Path) -> Path | None:
    """The git repository `dest` would be made inside of (not one it is the root of), or None."""
    existing = dest
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    around = git_root(existing)
    if around is None or around == dest:
        return None
    # One the outer repository ignores (a home folder's dotfiles repository ignoring `*`) is never added to it.
    ignored = subprocess.run(["git", "-C", str(around), "check-ignore", "-q", "--", str(dest)], capture_output=True,
                             check=False)
    return None if ignored.returncode == 0 else around


def _committed(repo: Path) -> bool:
    """Does `repo` have a commit that holds its cluster answers (as `new` ends)?"""
    found = subprocess.run(["git", "-C", str(repo), "cat-file", "-e", f"HEAD:./{layout.CLUSTER_ANSWERS}"],
                           capture_output=True, check=False)
    return found.returncode == 0


def first_commit(repo: Path) -> None:
    """A git repository with one commit: copier update and update-all need committed answers."""
    answers = copier_run.recorded_answers(repo)
    git = ["git", "-C", str(repo)]
    branch = str(answers.get("branch") or "main")
    if not (repo / ".git").exists():
        subprocess.run([*git, "init", "-q", "-b", branch], check=True)
    elif subprocess.run([*git, "rev-parse", "-q", "--verify", "HEAD"], capture_output=True, check=False).returncode:
        # A repository without a commit (`git init`, the clone of an empty one): the first
        # commit goes on the branch the README's bootstrap command names, not git's default.
        subprocess.run([*git, "symbolic-ref", "HEAD", f"refs/heads/{branch}"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    committed = subprocess.run(
        [*git, "commit", "-q", "-m", f"Cluster repository from the Flux cookbook template {answers.get('_commit', '')}".rstrip()],
        capture_output=True, text=True, check=False,
    )
    if committed.returncode:
        print(f"Not committed ({committed.stderr.strip()}); commit it yourself before updating.")
