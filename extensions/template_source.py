"""Where the template came from, as recorded in answers files.

copier stores `_src_path` as typed, so `copier copy ../tpl repo` records `../tpl` and a
later `copier update` run from anywhere else fails. A local path is therefore recorded as
an absolute path; URLs and `gh:`/`gl:` shortcuts are kept as they are.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path


def absolute_src_path(src_path: str) -> str:
    if not src_path or re.match(r"^[\w+.-]+://|^[\w.-]+@|^(gh|gl):", src_path):
        return src_path
    path = Path(src_path).expanduser()
    return str(path.resolve()) if path.exists() else src_path


def with_absolute_paths(answers: dict, dst: str) -> dict:
    """`answers` (copier's `_copier_answers`) as the answers file records them.

    `_src_path` is made absolute, and so is a local `values_source` (given relative to
    the destination), so that later updates, which render in temporary folders, find both.
    """
    recorded = dict(answers)
    if "_src_path" in recorded:
        recorded["_src_path"] = absolute_src_path(recorded["_src_path"])
    source = recorded.get("values_source")
    if source and not Path(source).expanduser().is_absolute() and (Path(dst) / source).exists():
        recorded["values_source"] = str((Path(dst) / source).resolve())
    return recorded


_RELEASE_TAG = re.compile(r"^v?\d+\.\d+\.\d+([-+.][0-9A-Za-z.-]+)?$")
_DESCRIBED = re.compile(r"-\d+-g[0-9a-f]+$")  # `git describe`: commits past a tag
_FULL_HASH = re.compile(r"^[0-9a-f]{40}$")
_SHORTCUTS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


def pip_requirement(src_path: str, commit: str = "", commit_hash: str = "") -> str:
    """What `pip install` takes to install the `flux-cookbook` command from the template's
    source at the release a repository was rendered from, for its CI; "" when the source
    is a folder on this machine, which no CI runner can reach.

    `commit` is copier's `_commit` (`git describe`: a tag, or `v2.1.1-3-gabc1234`); a plain
    release tag is kept, being readable, anything else becomes `commit_hash` (the full
    hash copier checked out), since pip can fetch a full hash but not a described one.
    """
    url = str(src_path or "").strip()
    for shortcut, base in _SHORTCUTS.items():
        if url.startswith(shortcut):
            url = base + url[len(shortcut):].strip("/")
            url += "" if url.endswith(".git") else ".git"
    # A CI runner has no SSH key: an SSH URL (git@github.com:owner/repo.git,
    # ssh://git@host/path) is fetched over https instead, as a public repository can be.
    if match := re.match(r"^(?:ssh://)?[\w.-]+@([\w.-]+)[:/](.+)$", url):
        url = f"https://{match.group(1)}/{match.group(2).lstrip('/')}"
    if url.startswith(("http://", "https://")):
        url = "git+" + url
    if not url.startswith("git+"):
        return ""  # a local path or file:// URL
    commit = str(commit or "")
    if _RELEASE_TAG.match(commit) and not _DESCRIBED.search(commit):
        ref = commit
    else:
        ref = commit_hash if _FULL_HASH.match(str(commit_hash or "")) else ""
    return f"flux-cookbook @ {url}@{ref}" if ref else f"flux-cookbook @ {url}"


def pip_install_command(src_path: str, commit: str = "", commit_hash: str = "") -> str:
    """The shell command a CI runner installs flux-cookbook with, or "" (see pip_requirement)."""
    requirement = pip_requirement(src_path, commit, commit_hash)
    return f"pip install {shlex.quote(requirement)}" if requirement else ""
