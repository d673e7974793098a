"""Where the template came from, as recorded in answers files.

copier stores `_src_path` as typed, so `copier copy ../tpl repo` records `../tpl` and a
later `copier update` run from anywhere else fails. A local path is therefore recorded as
an absolute path; URLs and `gh:`/`gl:` shortcuts are kept as they are.
"""

from __future__ import annotations

import functools
import re
import shlex
import subprocess
from pathlib import Path

# copier's shortcuts for the two big hosts, and what they stand for.
SHORTCUTS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}
_URL = re.compile(r"^[\w+.-]+://")
_SCP = re.compile(r"^(?:[^/@:\s]+@)?[^/:\s]+:.+$")  # git's [user@]host:path


def is_remote(source: str) -> bool:
    """A template source git fetches from another machine (a URL, git's `host:path`, a
    shortcut), as opposed to a folder on this one."""
    source = str(source or "")
    return bool(_URL.match(source) or source.startswith(tuple(SHORTCUTS))
                or (_SCP.fullmatch(source) and not Path(source).is_absolute()))


def expand_shortcut(source: str) -> str:
    """`gh:owner/name` as the URL copier clones, `https://github.com/owner/name.git`;
    anything else as it is."""
    source = str(source or "").strip()
    for shortcut, base in SHORTCUTS.items():
        if source.startswith(shortcut):
            url = base + source[len(shortcut):].strip("/")
            return url if url.endswith(".git") else url + ".git"
    return source


def absolute_src_path(src_path: str) -> str:
    if not src_path or is_remote(src_path):
        return src_path
    path = Path(src_path).expanduser()
    return str(path.resolve()) if path.exists() else src_path


def with_absolute_paths(answers: dict, dst: str) -> dict:
    """`answers` (copier's `_copier_answers`) as the answers file records them.

    `_src_path` is made absolute, so that later updates, which render in temporary
    folders, find it. A local `values_source` is recorded as `recorded_values_source` says.
    """
    recorded = dict(answers)
    if "_src_path" in recorded:
        recorded["_src_path"] = absolute_src_path(recorded["_src_path"])
    if source := recorded.get("values_source"):
        recorded["values_source"] = recorded_values_source(str(source), dst)
    return recorded


def recorded_values_source(source: str, repo: str | Path) -> str:
    """A local chart or values file as an answers file records it: one inside the repository
    relative to it, so that every clone finds it there (an absolute path would name this
    clone, outside any other, where update-all refuses to read); one outside it absolute.
    One that is not there stays as given."""
    path = Path(source).expanduser()
    full = path if path.is_absolute() else Path(repo) / path
    if not full.exists():
        return source
    resolved, root = full.resolve(), Path(repo).resolve()
    if resolved.is_relative_to(root):
        return resolved.relative_to(root).as_posix()
    return source if path.is_absolute() else str(resolved)  # an absolute path as the user spelled it


_RELEASE_TAG = re.compile(r"^v?\d+\.\d+\.\d+([-+.][0-9A-Za-z.-]+)?$")
_DESCRIBED = re.compile(r"-\d+-g[0-9a-f]+$")  # `git describe`: commits past a tag
_FULL_HASH = re.compile(r"^[0-9a-f]{40}$")
_SSH = re.compile(r"^(?:ssh://)?[\w.-]+@([\w.-]+)[:/](.+)$")  # git@host:path, ssh://git@host/path
_GITHUB = re.compile(r"^https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


@functools.lru_cache(maxsize=8)  # asked by several generated files in one render; runs git
def published_url(src_path: str) -> str:
    """Where the template a repository was made from is published: `src_path` itself when
    it is a URL (`gh:`/`gl:` shortcuts spelled out); for a local clone, the URL of its
    `origin` remote, which is where that clone came from (a folder too, made absolute,
    when the clone was made from one); "" when there is none."""
    url = expand_shortcut(src_path)
    if not url or is_remote(url):
        return url
    folder = Path(url).expanduser()
    if not folder.is_dir():
        return ""
    try:
        found = subprocess.run(["git", "-C", str(folder), "config", "--get", "remote.origin.url"],
                               capture_output=True, text=True, check=False)
    except OSError:
        return ""  # no git: no remote to read
    origin = expand_shortcut(found.stdout) if found.returncode == 0 else ""
    if not origin or is_remote(origin):
        return origin
    return str((folder / Path(origin).expanduser()).resolve())


def release_ref(commit: str = "", commit_hash: str = "") -> str:
    """The ref of the template release a repository was rendered from, as a remote has it.

    `commit` is copier's `_commit` (`git describe`: a tag, or `v2.1.1-3-gabc1234`); a plain
    release tag is kept, being readable, anything else becomes `commit_hash` (the full
    hash copier checked out), since git can fetch a full hash but not a described one.
    """
    commit = str(commit or "")
    if _RELEASE_TAG.match(commit) and not _DESCRIBED.search(commit):
        return commit
    return commit_hash if _FULL_HASH.match(str(commit_hash or "")) else ""


def _fetchable_by_runner(url: str) -> str:
    """`url` as a CI runner can fetch it: https; "" for a path on one machine."""
    # A runner has no SSH key: an SSH URL is fetched over https instead, as a public
    # repository can be.
    if match := _SSH.match(url):
        url = f"https://{match.group(1)}/{match.group(2).lstrip('/')}"
    return url if url.startswith(("http://", "https://")) else ""


def github_action(src_path: str, commit: str = "", commit_hash: str = "") -> str:
    """`owner/repo@ref`: the template's GitHub Action (its action.yml) at the release, for
    a workflow's `uses:`; "" when the template is not published on GitHub or has no ref."""
    found = _GITHUB.match(_fetchable_by_runner(published_url(src_path)))
    ref = release_ref(commit, commit_hash)
    return f"{found.group(1)}/{found.group(2)}@{ref}" if found and ref else ""


def pre_commit_repository(src_path: str) -> str:
    """The template's URL as pre-commit's `repo:` takes it (any URL git clones, a local
    clone included: the hook runs on the user's machine), or ""."""
    url = published_url(src_path)
    return url[len("file://"):] if url.startswith("file://") else url


def pip_requirement(src_path: str, commit: str = "", commit_hash: str = "") -> str:
    """What `pip install` takes to install the `flux-cookbook` command from the template's
    source at the release a repository was rendered from, for its CI; "" when the source
    is a folder on this machine, which no CI runner can reach."""
    url = _fetchable_by_runner(published_url(src_path))
    if not url:
        return ""
    ref = release_ref(commit, commit_hash)
    return f"flux-cookbook @ git+{url}@{ref}" if ref else f"flux-cookbook @ git+{url}"


def pip_install_command(src_path: str, commit: str = "", commit_hash: str = "") -> str:
    """The shell command a CI runner installs flux-cookbook with, or "" (see pip_requirement)."""
    requirement = pip_requirement(src_path, commit, commit_hash)
    return f"pip install {shlex.quote(requirement)}" if requirement else ""
