"""The template, cloned once per update-all run and handed to copier through git's own settings.

copier clones the template for each of the three renders of every update (the old release,
the repository, the new release). update-all clones each template the answers files record
(`_src_path`) once, into a temporary folder, and runs copier with git's
`url.<clone>.insteadOf <_src_path>` set in the environment (GIT_CONFIG_COUNT, _KEY_n,
_VALUE_n: git's documented way to pass settings): copier's clones then copy from the local
clone, and the answers keep recording the user's `_src_path`. The template is read once per
run: a branch that moves, or a local template edited during the run, is not seen again.

copier checks out every file of the template repository for each of those clones, and on
an ordinary disk each file costs about a millisecond to write and remove: in the local
clone, each release tag points at a commit of the files copier reads instead (the
project's tests, documentation and the command's own code left out, docs/design.md),
which leaves each of copier's checkouts about a quarter of the files. Only when every
answers file records a release tag and the run updates to one (the recorded `_commit` is
then the tag's name, and the answers do not change), and only for a template in a local
folder: for a remote one copier keeps a mirror of its own (in the user's cache), which
must not hold commits the template never had.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from packaging.version import Version

from flux_cookbook.extensions.template_source import expand_shortcut
from flux_cookbook.template_runs.copier_run import RELEASE_TAG


def spellings(src_path: str) -> list[str]:
    """The URLs git may be given for `src_path` (copier expands gh:, gl:, git+ and .git)."""
    found = [src_path]
    if (expanded := expand_shortcut(src_path)) != src_path:
        found.append(expanded)
    if src_path.startswith("git+"):
        found.append(src_path[4:])
    if src_path.startswith("https://") and not src_path.endswith(".git"):
        found.append(f"{src_path}.git")
    if src_path.startswith("~"):
        found.append(str(Path(src_path).expanduser()))
    return found


# What copier never reads of this template's repository: the project's own folders at its
# top, and the command's package but its __init__.py (which names extensions/ as
# flux_cookbook.extensions for the migrations and tasks).
PROJECT_ONLY = frozenset({"tests", "docs", "bench", ".ci", ".github"})
PACKAGE, PACKAGE_KEPT = "flux_cookbook", frozenset({"__init__.py"})
# The commits made for the tags are the same on every run and machine.
_FIXED_IDENTITY = {f"GIT_{who}_{what}": value for who in ("AUTHOR", "COMMITTER")
                   for what, value in (("NAME", "flux-cookbook"), ("EMAIL", "flux-cookbook@invalid"),
                                       ("DATE", "1970-01-01T00:00:00Z"))}


def clone(src_path: str, into: Path) -> Path:
    """A bare clone of the template with all its tags; raises CalledProcessError."""
    subprocess.run(["git", "clone", "-q", "--bare", "--", os.path.expanduser(src_path), str(into)],
                   capture_output=True, text=True, check=True)
    return into


def slim_releases(clone_path: Path, refs: Iterable[str]) -> bool:
    """Point each of `refs` (every ref the run checks out: the recorded `_commit`s and the
    targets) at the files copier reads (release_files), when all of them are tags of the
    clone; else change nothing and say False. Only then: a moved tag is no ancestor of any
    other commit, so `git describe` of a commit that is no tag, which copier reads its
    version from, would no longer find the release before it. A tag git cannot move (one
    naming no commit) stops it there, each tag still naming a commit: False."""
    wanted = set(refs)
    if not wanted or not wanted <= set(_git(clone_path, "tag", "--list").split()):
        return False
    try:
        for tag in sorted(wanted):
            _git(clone_path, "update-ref", f"refs/tags/{tag}", release_files(clone_path, f"refs/tags/{tag}"))
    except subprocess.CalledProcessError:
        return False
    return True


def release_files(clone_path: Path, ref: str) -> str:
    """A commit of `ref`'s tree without what copier never reads (PROJECT_ONLY, the package
    but PACKAGE_KEPT); only trees are made, no file is copied."""
    commit = _git(clone_path, "rev-parse", f"{ref}^{{commit}}").strip()
    entries = []
    for entry in _tree(clone_path, commit):
        info, name = entry.split("\t", 1)
        mode, kind, sha = info.split()
        if name in PROJECT_ONLY:
            continue
        if name == PACKAGE and kind == "tree":
            kept = [inner for inner in _tree(clone_path, sha) if inner.split("\t", 1)[1] in PACKAGE_KEPT]
            entry = f"{mode} tree {_mktree(clone_path, kept)}\t{name}"
        entries.append(entry)
    return _git(clone_path, "commit-tree", _mktree(clone_path, entries), "-m",
                f"{ref.removeprefix('refs/tags/')}: the files copier reads", env=_FIXED_IDENTITY).strip()


def _tree(clone_path: Path, treeish: str) -> list[str]:
    return [entry for entry in _git(clone_path, "ls-tree", "-z", treeish).split("\0") if entry]


def _mktree(clone_path: Path, entries: list[str]) -> str:
    return _git(clone_path, "mktree", "-z", input="".join(f"{entry}\0" for entry in entries)).strip()


def _git(clone_path: Path, *args: str, input: str | None = None, env: Mapping[str, str] | None = None) -> str:
    return subprocess.run(["git", *args], cwd=clone_path, capture_output=True, text=True, check=True, input=input,
                          env={**os.environ, **(env or {})}).stdout


def file_at(clone_path: Path, ref: str, path: str) -> str | None:
    """The text of `path` at `ref` in the clone, or None where it has no such file."""
    try:
        return _git(clone_path, "show", f"{ref}:{path}")
    except subprocess.CalledProcessError:
        return None


def clone_all(sources: Iterable[str], root: Path) -> dict[str, Path]:
    """Each distinct source cloned once under `root`; sources git cannot clone are left out
    (copier then clones them itself, and reports what is wrong with them)."""
    clones: dict[str, Path] = {}
    for index, source in enumerate(sorted(set(sources))):
        try:
            clones[source] = clone(source, root / f"template-{index}.git")
        except subprocess.CalledProcessError:
            continue
    return clones


def git_environment(clones: Mapping[str, Path], base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """`base` with every spelling of each source redirected to its clone."""
    env = dict(base)
    count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    for source, path in clones.items():
        for spelling in spellings(source):
            env[f"GIT_CONFIG_KEY_{count}"] = f"url.{path}.insteadOf"
            env[f"GIT_CONFIG_VALUE_{count}"] = spelling
            count += 1
    env["GIT_CONFIG_COUNT"] = str(count)
    return env


def newest_release(where: str | Path) -> str | None:
    """The newest release tag (vX.Y.Z, copier_run.RELEASE_TAG, by PEP 440) of the repository
    at `where` (a clone, a folder or a URL git reaches; `git ls-remote` lists the tags
    without fetching anything): what update-all updates to without --vcs-ref. copier alone
    would take any PEP 440 tag (v3.2), which update-all refuses to reach. None when there
    is none, or git cannot reach it."""
    listed = subprocess.run(["git", "ls-remote", "--tags", "--refs", "--", os.path.expanduser(str(where))],
                            capture_output=True, text=True, check=False,
                            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    if listed.returncode:
        return None
    tags = [line.partition("\trefs/tags/")[2] for line in listed.stdout.splitlines()]
    return max((tag for tag in tags if RELEASE_TAG.match(tag)), key=Version, default=None)
