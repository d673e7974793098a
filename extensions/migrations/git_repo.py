"""The few git operations the migrations need, on the repository being updated."""

from __future__ import annotations

import subprocess
from pathlib import Path


class MigrationAbort(Exception):
    """A migration cannot proceed; the message says why and what to do."""


def git(repo: Path, *args: str, input: str | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, input=input, check=False)
    if result.returncode:
        raise MigrationAbort(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def blob_text(repo: Path, blob: str) -> str:
    """A blob's text exactly as stored: `git` above reads in text mode, whose universal
    newlines would turn a user's CRLF line ends into LF in every file written back."""
    result = subprocess.run(["git", "cat-file", "blob", blob], cwd=repo, capture_output=True, check=False)
    if result.returncode:
        raise MigrationAbort(f"git cat-file blob {blob} failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout.decode("utf-8")


def changed_since_head(repo: Path) -> list[str]:
    """The files the update changed (or removed), from the folder copier updates (a cluster
    may be a folder of a larger repository, whose paths git names from the top); [] before
    the first commit."""
    try:
        return [name for name in git(repo, "diff", "--name-only", "--relative", "-z", "HEAD").split("\0") if name]
    except MigrationAbort:
        return []


def committed_text(repo: Path, path: str) -> str | None:
    """The text HEAD holds at `path` (from the folder copier updates), or None: not in HEAD,
    or not UTF-8 text."""
    try:
        return blob_text(repo, git(repo, "rev-parse", f"HEAD:./{path}").strip())
    except (MigrationAbort, UnicodeDecodeError):
        return None


def require_clean(repo: Path) -> None:
    """Refuse to touch a repository whose work is not all committed."""
    if status := git(repo, "status", "--porcelain", "--untracked-files=normal"):
        raise MigrationAbort(
            "the repository has uncommitted changes; commit or stash them first:\n" + status.rstrip()
        )


def tracked_files(repo: Path, under: str = ".") -> list[str]:
    """The index's paths under `under`, each once (git lists a conflicted one per stage)."""
    return list(dict.fromkeys(name for name in git(repo, "ls-files", "-z", "--", under).split("\0") if name))


def ignored_files(repo: Path, *paths: str) -> list[str]:
    """The files git ignores at or under `paths` (paths, not patterns: `charts/[a]` names
    no `charts/a`)."""
    listed = git(repo, "--literal-pathspecs", "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--", *paths)
    return [name for name in listed.split("\0") if name]


def restage(repo: Path, path: str) -> None:
    """`path` staged as written now, where the index holds a change of it (a step staged
    it, or a settled conflict): a file rewritten after that is committed as rewritten."""
    if git(repo, "--literal-pathspecs", "diff", "--cached", "--name-only", "--relative", "--", path).strip():
        git(repo, "--literal-pathspecs", "add", "--", path)


def git_dir_file(repo: Path, name: str) -> Path:
    """A file inside .git/, for state a migration hands from its before to its after step."""
    return repo / git(repo, "rev-parse", "--git-path", name).strip()


def unmerged_entries(repo: Path) -> dict[str, dict[int, str]]:
    """path -> {stage: blob} for every unmerged index entry (1 base, 2 ours, 3 theirs)."""
    found: dict[str, dict[int, str]] = {}
    for entry in git(repo, "ls-files", "-u", "-z").split("\0"):
        if entry:
            info, path = entry.split("\t", 1)
            _, blob, stage = info.split()
            found.setdefault(path, {})[int(stage)] = blob
    return found


def put_back(folder: Path) -> str:
    """Put `folder` (the one copier updates, the working directory of a migration) back as
    HEAD has it: the index, the files, and no file git does not track or ignore. copier
    refused to start on any change in that folder, so whatever differs there now is the
    update's. Nothing outside it is touched: in a larger repository, copier allowed
    uncommitted work elsewhere, and that work is the user's.

    Returns "" when it is put back, else what git said (a `.git/index.lock` left by a git
    that was killed makes every git write fail); "" outside a git repository, where there
    is nothing to put back."""
    if subprocess.run(["git", "rev-parse", "--git-dir"], cwd=folder, capture_output=True, check=False).returncode:
        return ""
    for args in (["reset", "-q", "--", "."], ["checkout", "-q", "--", "."], ["clean", "-q", "-fd", "--", "."]):
        done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=False)
        if done.returncode:
            return f"git {' '.join(args)}: {done.stderr.strip()}"
    return ""
