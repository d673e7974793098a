"""What a migration found needing no change, remembered by content between its runs.

copier runs a release's migration once per answers file an update crosses it with (the
cluster, then each app), and each run covers the whole repository. So that a hundred apps
do not mean a hundred scans, a run records in the repository's git folder (shared by its
worktrees) the git blob ids of what it found already current, with a hash of the
migration's code; later runs skip what is in the record and read only the rest. Keyed
by content, not by name or commit, the record stays exact: a file edited between runs has
a new blob id and is examined like on the first run. It is a cache: deleting it, or a
change to the migration's code, only costs one full scan.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

from .. import repo_files
from .git_repo import git


def tracked_blobs(repo: Path) -> dict[str, str]:
    """path -> blob id of every file in the index ("" for what is not a regular file).

    The index, not HEAD: a migration that runs after another one sees its staged work.
    """
    blobs = {}
    for entry in git(repo, "ls-files", "-s", "-z").split("\0"):
        if entry:
            info, path = entry.split("\t", 1)
            mode, blob, _ = info.split()
            blobs[path] = blob if mode in ("100644", "100755") else ""
    return blobs


class BlobRecord:
    """The record `name` in the git common folder, valid while `code_files` are unchanged."""

    def __init__(self, repo: Path, name: str, code_files: list[str | Path]) -> None:
        self.name = name
        self.file = repo / git(repo, "rev-parse", "--git-common-dir").strip() / name
        digest = hashlib.sha256()
        for module in code_files:
            digest.update(Path(module).read_bytes())
        self.stamp = digest.hexdigest()

    def read(self) -> set[str]:
        try:
            stamp, *entries = self.file.read_text(encoding="utf-8").split()
        except (OSError, ValueError):
            return set()
        return set(entries) if stamp == self.stamp else set()

    def write(self, entries: set[str]) -> None:
        """Only what the caller found now is kept, so the record never outgrows the repository."""
        # Whole or not at all: worktrees updating at once never see half a file. Only a cache.
        with contextlib.suppress(OSError):
            repo_files.replace_whole(self.file, ("\n".join([self.stamp, *sorted(entries)]) + "\n").encode("utf-8"))
