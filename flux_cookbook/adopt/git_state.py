"""What adopt asks git: whether the repository can be adopted (a clean root the template
never wrote), and its remote and branch, which the cluster's answers are guessed from."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from flux_cookbook.adopt.findings import AdoptError
from flux_cookbook.extensions import layout
from flux_cookbook.repository.root import git_root, run_from_root


@dataclass(frozen=True)
class GitInfo:
    origin_url: str  # "" when there is no remote `origin`
    branch: str  # "" when HEAD is detached


def git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)


def toplevel(root: Path) -> str | None:
    """The root of the git repository `root` is in; None when it is in none (check_adoptable
    refuses such a folder with git alone, before a file of it is read)."""
    top = git_root(root) if root.is_dir() else None
    return str(top) if top is not None else None


def check_adoptable(root: Path) -> None:
    """Raise AdoptError unless `root` is a clean git repository that the template never wrote."""
    top = toplevel(root)
    if top is None:
        raise AdoptError([f"{root} is not a git repository; adopt works on the clone of your Flux repository."])
    if Path(top).resolve() != root.resolve():
        raise AdoptError([f"{root} is not the root of its git repository{run_from_root(root)}."])
    answers = sorted(p.name for p in root.glob(layout.ANY_ANSWERS_GLOB))
    if answers:
        raise AdoptError([
            f"{root} already has {', '.join(answers)}: it was generated or adopted already. "
            "Bring it up to date with: flux-cookbook update-all"
        ])
    if git(root, "status", "--porcelain", "--untracked-files=normal").stdout.strip():
        raise AdoptError([
            f"{root} has uncommitted changes. Commit them first, so that the adoption is a change "
            "of its own you can review (and undo)."
        ])


def read_git_info(root: Path) -> GitInfo:
    origin = git(root, "remote", "get-url", "origin")
    branch = git(root, "symbolic-ref", "--quiet", "--short", "HEAD")
    return GitInfo(
        origin_url=origin.stdout.strip() if not origin.returncode else "",
        branch=branch.stdout.strip() if not branch.returncode else "",
    )


def ignored(root: Path, paths: list[str]) -> list[str]:
    """'<path> (<file>:<line>: <pattern>)' for each of `paths` git ignores, by the rule that
    ignores it: a file adopt writes there would never be committed."""
    if not paths:
        return []
    done = subprocess.run(["git", "-C", str(root), "check-ignore", "-v", "-z", "--stdin"], input="\0".join(paths) + "\0",
                          capture_output=True, text=True, check=False)
    fields = done.stdout.split("\0")
    # -z -v: source, line, pattern, path, for each path ignored.
    # -v names the last matching rule, a `!` one too: a path it takes back is not ignored.
    return [f"{fields[i + 3]} ({fields[i]}:{fields[i + 1]}: {fields[i + 2]})" for i in range(0, len(fields) - 3, 4)
            if fields[i] and not fields[i + 2].startswith("!")]
