"""After every update: a file committed in CRLF throughout stays in CRLF.

copier writes its answers file anew, and a release's step writes what it changes, in LF:
in a checkout that commits CRLF (Windows, an editor's setting) every line of such a file
would change. Each file the update changed whose committed text is CRLF throughout is
written in CRLF again; a file left in conflict is the user's to resolve, markers and all.
"""

from __future__ import annotations

from pathlib import Path

from .. import line_ends, repo_files
from .git_repo import changed_since_head, committed_text, git, restage, unmerged_entries


def changed(repo: Path) -> list[str]:
    """The files the update changed, committed in CRLF throughout, that now hold an LF line
    (a file .gitattributes marks `-text` or `binary` aside: its bytes are not lines)."""
    found, unmerged = [], unmerged_entries(repo)
    paths = changed_since_head(repo)
    not_text = _not_text(repo, paths)
    for path in paths:
        if path in unmerged or path in not_text or not (repo / path).is_file() or (repo / path).is_symlink():
            continue
        committed = committed_text(repo, path)
        if committed is None or not line_ends.all_crlf(committed):
            continue
        try:
            now = repo_files.read_text(repo, path)
        except (UnicodeDecodeError, OSError):
            continue
        if line_ends.converted(now, "\r\n") != now:
            found.append(path)
    return found


def _not_text(repo: Path, paths: list[str]) -> set[str]:
    if not paths:
        return set()
    fields = git(repo, "--literal-pathspecs", "check-attr", "-z", "text", "--", *paths).split("\0")
    # -z: path, attribute, value, for each path.
    return {fields[i] for i in range(0, len(fields) - 2, 3) if fields[i + 2] == "unset"}


def after(repo: Path) -> None:
    for path in changed(repo):
        repo_files.write_text(repo, path, line_ends.converted(repo_files.read_text(repo, path), "\r\n"))
        restage(repo, path)
