"""Which templates may run their tasks and migrations: the trust boundary of every command
that calls copier (`new`, `add`, `update-all`).

copier runs a template's `_tasks`, `_migrations` and Jinja extensions only for a trusted
template; the commands need all three, and they take the template from the command line
or from an answers file's `_src_path`, which anyone who can change one line of the
repository can point elsewhere. So a template is trusted here only when it is

- the template this command was installed from (pip's install record, PEP 610);
- listed in copier's own settings (`trust:` in copier's settings.yml, read with copier's
  public `copier.load_settings()`): an entry ending in `/` trusts every source below it,
  any other entry exactly that source, as copier itself matches them;
- or the user gives `--trust` on this run.

Anything else is refused before copier is called at all, naming the template and how to
trust it.
"""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

from flux_cookbook.errors import UserError
from flux_cookbook.extensions.template_source import is_remote

_URL = re.compile(r"^[\w+.-]+://|^(gh|gl):")
# RFC 3986 unreserved characters: a source holding anything else (percent escapes, ...)
# is trusted only by an entry that is exactly the same text, as copier does.
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]*$")


def _remote_path(source: str) -> str:
    return re.sub(r"^[\w+.-]+://[^/]*", "", source) if _URL.match(source) else source.split(":", 1)[1]


def _is_plain(source: str) -> bool:
    return not is_remote(source) or all(_SAFE_SEGMENT.match(s) for s in _remote_path(source).split("/"))


def normalized(source: str) -> str:
    """`source` with `.`/`..` resolved, for comparing (a local path also made absolute)."""
    if is_remote(source):
        head, _, path = source.partition("://") if "://" in source else source.partition(":")
        host, slash, rest = path.partition("/") if "://" in source else ("", "", path)
        clean = posixpath.normpath(rest) if rest else rest
        if rest.endswith("/") and not clean.endswith("/"):
            clean += "/"
        return f"{head}://{host}{slash}{clean}" if "://" in source else f"{head}:{clean}"
    path = os.path.normpath(os.path.abspath(os.path.expanduser(source)))
    return path + os.sep if source.endswith(("/", os.sep)) and not path.endswith(os.sep) else path


def _same_source(a: str, b: str) -> bool:
    # A git URL names the same repository with or without `.git`; two local folders, one
    # named with `.git`, are two repositories.
    def key(source: str) -> str:
        return normalized(source).removesuffix(".git") if is_remote(source) else normalized(source)
    return is_remote(a) == is_remote(b) and key(a) == key(b)


def trusted_by(entries: Iterable[str], source: str) -> bool:
    """Whether one of copier's `trust:` entries covers `source` (copier's rules)."""
    for entry in entries:
        if _is_plain(source) and _is_plain(entry):
            if entry.endswith("/") and normalized(source).startswith(normalized(entry)):
                return True
            if not entry.endswith("/") and normalized(entry) == normalized(source):
                return True
        elif entry == source:
            return True
    return False


def copier_settings_file() -> str:
    """Where copier reads its settings from (COPIER_SETTINGS_PATH, else its config folder)."""
    if given := os.environ.get("COPIER_SETTINGS_PATH"):
        return given
    from platformdirs import user_config_path

    return str(user_config_path("copier", appauthor=False) / "settings.yml")


def copier_trust_list() -> list[str]:
    import copier

    try:
        return list(copier.load_settings().trust)
    except Exception as error:  # noqa: BLE001 - copier's SettingsError: a message, not a traceback
        raise UserError(f"copier's settings ({copier_settings_file()}) are not readable: {error}") from None


def why_trusted(source: str, given_trust: bool) -> str | None:
    """What makes `source` trusted ("--trust", "installed from", "copier settings"), or None."""
    from flux_cookbook.template_runs.copier_run import installed_from

    if given_trust:
        return "--trust"
    if (home := installed_from()) and _same_source(home, source):
        return "installed from"
    if trusted_by(copier_trust_list(), source):
        return "copier settings"
    return None


def refusal(source: str, named_by: str) -> str:
    return (
        f"the template {source} ({named_by}) is not trusted: its tasks and migrations would run "
        "on this machine. It is neither where flux-cookbook was installed from nor listed under "
        f"`trust:` in copier's settings ({copier_settings_file()}). If you trust it, run again "
        "with --trust, or add it to that list."
    )


def _gone(source: str) -> bool:
    """A template folder that is not there: no template to trust or not."""
    return not is_remote(source) and not Path(source).expanduser().exists()


def require_trusted(source: str, named_by: str, given_trust: bool) -> None:
    """Raise UserError unless `source` may run its tasks and migrations here (a folder that
    is not there is named as such: it is no template to trust or not)."""
    if _gone(source):
        raise UserError(f"the template {source} ({named_by}) does not exist: give the folder of a clone of the "
                        "template, or its git URL.")
    if why_trusted(source, given_trust) is None:
        raise UserError(refusal(source, named_by))


def require_outside_repository(repo: Path, sources: dict[str, str]) -> None:
    """Raise UserError naming each answers file (`{answers file: _src_path}`) whose template
    the repository itself may hold, which anyone who can change one line of it can commit
    (a git bundle is one file): a relative path, which copier, running in the repository,
    reads there (whatever it looks like: `file:x`, `host:x` name a file there if one is
    there), and this module would read from where flux-cookbook runs; or a path into the
    repository. The template records absolute paths; a relative one was written by hand."""
    root = Path(os.path.realpath(repo))
    refused = []
    for name, source in sources.items():
        expanded = os.path.expanduser(source)
        if not os.path.isabs(expanded):
            there = [Path(repo) / candidate for candidate in (source, source.removeprefix("git+"))]
            if not is_remote(source) or any(os.path.lexists(path) for path in there):
                refused.append(f"{name} names its template by a relative path (_src_path: {source}), which copier, "
                               f"updating the repository, reads from it ({os.path.normpath(Path(repo).absolute() / source)}), "
                               "not from where this check reads it, so it is refused: record the template's absolute "
                               "path or its git URL as _src_path, commit, and run again.")
        elif Path(os.path.realpath(expanded)).is_relative_to(root):
            refused.append(f"{name} names a template inside the repository (_src_path: {source}), which a pull request "
                           "can change, so it is refused: keep the template outside the repository, record its place "
                           "as _src_path, commit, and run again.")
    if refused:
        raise UserError("\n".join(refused))


def require_trusted_answers(sources: dict[str, str], given_trust: bool) -> list[str]:
    """Check the template each answers file names (`{answers file: _src_path}`).

    Raises UserError naming every untrusted template and the answers files that name it,
    and an answers file whose template differs from the one most of them name. Returns
    notes for the caller to print: the answers files that name another (trusted) template.
    """
    by_source: dict[str, list[str]] = {}
    for answers_file, source in sources.items():
        key = next((known for known in by_source if _same_source(known, source)), source)
        by_source.setdefault(key, []).append(answers_file)
    usual = max(by_source, key=lambda s: len(by_source[s])) if by_source else ""
    odd = {
        source: f"{', '.join(files)} names {source}, not {usual} as the other answers files do"
        for source, files in by_source.items() if source != usual and len(by_source) > 1
    }
    # Each source as it is written, not only the first spelling of its group: the group is
    # for the notes, trust is for what copier will be given.
    group = {source: key for key, files in by_source.items() for source in (sources[f] for f in files)}
    gone = [source for source in dict.fromkeys(sources.values()) if _gone(source)]
    if gone:
        # A clone moved or removed since: no template to trust or not, nothing to update from.
        raise UserError("\n".join(
            f"the template {source} (_src_path of {', '.join(f for f, s in sources.items() if s == source)}) is not "
            "there: its clone was moved or removed. Give the template's place (its git URL, or a clone) as _src_path "
            "in those answers files, commit, and run again." for source in gone))
    refused = [
        refusal(source, odd.get(group[source]) or f"named by {', '.join(f for f, s in sources.items() if s == source)}")
        for source in dict.fromkeys(sources.values()) if why_trusted(source, given_trust) is None
    ]
    if refused:
        raise UserError("\n".join(refused))
    return list(odd.values())


def commit_refusal(answers_file: str, source: str, commit: str) -> str | None:
    """Why copier may not render the template commit an answers file records (`_commit`),
    or None. copier renders that commit, its tasks and Jinja extensions included, to
    compare with, and one line of the repository can name any commit the template's
    repository holds: a pull request's, never released. Taken: a release tag; of a template
    in a local folder, also a commit of its checked-out history or of a tag's (the user's
    own work: a pull request fetched to a branch there is not, until checked out), or one it
    lacks (copier's draft of a checkout with changes: copier then renders nothing)."""
    from flux_cookbook.template_runs.copier_run import RELEASE_TAG

    if not commit or RELEASE_TAG.match(commit):
        return None
    if not commit.startswith("-") and not is_remote(source) and os.path.isdir(source):
        found = subprocess.run(["git", "-C", source, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"],
                               capture_output=True, text=True, check=False)
        if found.returncode:
            return None
        commit_id = found.stdout.strip()
        # In the folder's own history (HEAD: what the user runs from there), or a tag's.
        in_head = subprocess.run(["git", "-C", source, "merge-base", "--is-ancestor", commit_id, "HEAD"],
                                 capture_output=True, check=False).returncode == 0
        tagged = subprocess.run(["git", "-C", source, "for-each-ref", "--contains", commit_id, "--count=1", "refs/tags"],
                                capture_output=True, text=True, check=False).stdout.strip()
        if in_head or tagged:
            return None
    return (f"{answers_file} records template commit {commit}, which is no release (vX.Y.Z) of {source}"
            f"{'' if is_remote(source) else ' and not in the history of its HEAD or of a tag'}: copier would run that "
            "commit's code to compare with, and one changed line of the repository can name any commit of the "
            "template's repository. If the repository was made from that commit, set _commit to the release it "
            "came from (e.g. v3.1.0), commit, and run again.")


def require_released_commits(recorded: dict[str, tuple[str, str]]) -> None:
    """Raise UserError naming each answers file whose recorded commit copier may not
    render (`{answers file: (_src_path, _commit)}`), before copier runs at all."""
    refused = [why for name, (source, commit) in recorded.items() if (why := commit_refusal(name, source, commit))]
    if refused:
        raise UserError("\n".join(refused))
