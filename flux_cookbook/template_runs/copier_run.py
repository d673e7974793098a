"""Running copier for the user's command: which template, and copier's errors as messages.

copier ends a refused answer with a `ValueError("Validation error for question 'x': ...")`
and its command line prints that with a traceback (copier issue 1436). The command runs
copier through its Python API instead and turns what it raises into `UserError`s that
name the question, the answer and the template's message.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from importlib import metadata
from pathlib import Path

import yaml

from flux_cookbook.errors import UsageError, UserError
from flux_cookbook.extensions import bounded_yaml, layout, repo_files
from flux_cookbook.repository.root import run_from_root

# copier's ValueError for a question --defaults leaves unanswered (no default, no -d).
_REQUIRED = re.compile(r'Question "(?P<question>\w+)" is required')
_VALIDATION = re.compile(r"^Validation error for question '(?P<question>[^']+)': (?P<message>.*)$", re.DOTALL)
DISTRIBUTION = "flux-cookbook"
# What update-all updates to: a release tag (v1.2.3). copier reads a template's versions
# from its tags and runs the migrations only between two of them.
RELEASE_TAG = re.compile(r"^v?\d+\.\d+\.\d+$")


def installed_from(distribution=metadata.distribution) -> str | None:
    """The template this command was installed from (pip records it, PEP 610), or None.
    `distribution`: how to look the installed package up (importlib.metadata's, or a test's).

    `pipx install git+https://host/owner/repo` records the git URL; `pip install .` in a
    clone records the clone's folder. Either is a template source copier can copy from.
    """
    try:
        direct = json.loads(distribution(DISTRIBUTION).read_text("direct_url.json") or "null")
    except (metadata.PackageNotFoundError, ValueError):
        return None
    if not isinstance(direct, dict) or not isinstance(direct.get("url"), str):
        return None
    url = direct["url"]
    if "vcs_info" in direct:
        return url if url.endswith(".git") else f"{url}.git" if url.startswith("https://") else url
    if url.startswith("file://"):
        path = Path(url.removeprefix("file://"))
        return str(path) if (path / "copier.yml").is_file() else None
    return None


def default_template(given: str | None, distribution=metadata.distribution) -> str:
    """`given`, else where the command was installed from; a message when neither exists."""
    if given:
        return given
    if found := installed_from(distribution):
        return found
    raise UserError(
        "which template? Pass --template with the template's git URL or a local clone "
        "(this copy of flux-cookbook was not installed from one, so it cannot tell)."
    )


def require_cluster(repo: Path, answers_file: str = layout.CLUSTER_ANSWERS) -> None:
    """Refuse a folder without the cluster's answers file, before anything reads or walks
    it: the wrong folder (a home directory) is told at once."""
    if not os.path.lexists(Path(repo) / answers_file):
        raise _not_a_cluster(repo, answers_file)


def _not_a_cluster(repo: Path, answers_file: str) -> UserError:
    if hint := run_from_root(repo):
        return UserError(f"{repo} has no {answers_file}: it is not the root of the repository{hint}")
    return UserError(
        f"{repo} has no {answers_file}: it is not a cluster repository made by the template. "
        "Make one with `flux-cookbook new`, or adopt a hand-made one with `flux-cookbook adopt`."
    )


def recorded_answers(repo: Path, answers_file: str = layout.CLUSTER_ANSWERS) -> dict:
    path = Path(repo) / answers_file
    try:
        # Inside the repository, a regular file, bounded: an answers file is one line of a
        # pull request away from anything.
        answers = bounded_yaml.load(repo_files.read_text(repo, answers_file), answers_file) or {}
    except FileNotFoundError:
        raise _not_a_cluster(repo, answers_file) from None
    except UnicodeDecodeError as error:
        raise UserError(f"{path} is not UTF-8 text ({error.reason} at byte {error.start})") from None
    except (repo_files.OutsideRepository, repo_files.NotReadable) as error:
        raise UserError(f"{path}: {error}") from None
    except OSError as error:
        raise UserError(f"{path} cannot be read: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise UserError(f"{path} is not readable YAML: {error}") from None
    if not isinstance(answers, dict):
        raise UserError(f"{path} does not hold answers (a YAML mapping).")
    return answers


def values_sources_outside(repo: Path, recorded: dict[str, dict]) -> list[str]:
    """"<answers file>: values_source <path>" for each recorded values_source that an update
    would have the template read outside the repository (a local chart or values file the
    app was made from, rendered again on every update, by the old release's code too). One
    not there (made on another machine) is not read: the update renders the placeholder and
    keeps the app's values."""
    outside = []
    for name, answers in recorded.items():
        source = str(answers.get("values_source") or "")
        path = Path(source).expanduser()
        if not source or not os.path.lexists(path if path.is_absolute() else Path(repo) / path):
            continue
        try:
            repo_files.inside(repo, path)
        except repo_files.OutsideRepository:
            outside.append(f"{name}: values_source {source}")
    return outside


def release_of(template: str, commit: object) -> str | None:
    """The ref to copy an app at: the cluster's recorded commit, where the template has it.

    A cluster copied from a local template with uncommitted changes records a draft commit
    that existed only in copier's temporary clone; `HEAD` gives copier the same draft again.
    """
    if not commit:
        return None
    if Path(template).is_dir():
        found = subprocess.run(["git", "-C", template, "cat-file", "-e", f"{commit}^{{commit}}"],
                               capture_output=True, check=False)
        if found.returncode:
            return "HEAD"
    return str(commit)


def unreleased_note(template: str, repo: Path, answers_file: str = layout.CLUSTER_ANSWERS) -> str:
    """A note when copier copied a commit that is not a release ("" when it is): from a
    template without tags copier takes HEAD, saying only "No git tags found"; update-all
    refuses to update to such a commit, and from one copier cannot tell which release's
    migrations the repository needs."""
    commit = str(recorded_answers(repo, answers_file).get("_commit") or "")
    if RELEASE_TAG.match(commit):
        return ""
    return (
        f"Note: {repo} records template commit {commit or '(none)'}, which is not a release tag of {template}. "
        "copier reads the template's versions from its release tags and runs its migrations between them, "
        "so updates cannot take this repository from release to release reliably (`update-all` refuses to "
        "update to a commit that is no release). To make one they can: fetch the template's tags (git fetch "
        "--tags) and run `new` again into a new folder, or pass --vcs-ref vX.Y.Z."
    )


def is_copier_error(error: BaseException) -> bool:
    from copier import errors

    return isinstance(error, errors.CopierError) or bool(_VALIDATION.match(str(error)))


def message(error: BaseException, options: dict[str, str] | None = None) -> str:
    """What copier (or a validator) said, as one message without a traceback; a question
    --defaults has no answer for says how to give one (its option in `options`, else -d)."""
    from copier import errors

    if isinstance(error, errors.InteractiveSessionError):
        # copier's own text names its command line's options (--data-file), not these.
        return ("no terminal to ask the template's questions on: give --defaults, and -d KEY=VALUE for each "
                "answer that should not be its default; nothing was written.")
    text = str(error).strip()
    if found := _VALIDATION.match(text):
        return f"the answer to '{found['question']}' is refused: {found['message'].strip()}"
    if found := _REQUIRED.fullmatch(text):
        question = found["question"]
        given = (options or {}).get(question, f"-d {question}=")
        return (f"the question '{question}' has no default to take: give its answer "
                f"({given}{' ' if given.startswith('--') else ''}VALUE); nothing was written.")
    if isinstance(error, subprocess.CalledProcessError):
        detail = (error.stderr or error.stdout or "")
        detail = detail.decode(errors="replace") if isinstance(detail, bytes) else detail
        if not detail.strip() and (script := _template_script(error.cmd)):
            # A migration or task of the template's: it printed why itself, to the terminal.
            return f"the template's {script} stopped (exit code {error.returncode}); what it said is above"
        return f"{text}\n{detail.strip()}".strip()
    return text or type(error).__name__


def _template_script(command: object) -> str:
    """'migration' or 'task' when `command` is one copier.yml runs (`python <template>/extensions/...`), else ""."""
    args = [str(arg).replace("\\", "/") for arg in command] if isinstance(command, (list, tuple)) else []
    if any(arg.endswith("/extensions/migrations/run.py") for arg in args):
        return "migration"
    return "task" if any("/extensions/" in arg and arg.endswith(".py") for arg in args) else ""


def not_yaml_message(data: dict, error: BaseException) -> str:
    """The answer copier could not read as YAML, named ("" when `error` is no such case):
    copier reads the answers of its YAML questions (depends_on, health_checks, ...) and
    says only what the parser met, not which answer it was."""
    for key, value in data.items():
        if not isinstance(value, str):
            continue
        try:
            # As copier reads it (PyYAML's SafeLoader), for the same message; the user's own
            # answer on the command line, which copier has just read once.
            yaml.load(value, Loader=yaml.SafeLoader)  # noqa: S506 - SafeLoader
        except yaml.YAMLError as parse_error:
            if str(parse_error).strip() == str(error).strip():
                problem = " ".join(str(getattr(parse_error, "problem", "") or parse_error).split())
                return f"the answer to '{key}' is refused: {value!r} is not valid YAML ({problem})"
    return ""


def run_copy(src: str, dst: Path, data: dict, vcs_ref: str | None, defaults: bool,
             options: dict[str, str] | None = None) -> None:
    """`copier copy --trust`, refused answers and copier's errors as UserError. `options`:
    the command's option for an answer (helm_repo_url: --helm-repo-url), named where an
    answer is missing."""
    import copier

    try:
        copier.run_copy(src, dst, data=data, vcs_ref=vcs_ref, defaults=defaults, unsafe=True, quiet=True)
    except (ValueError, subprocess.CalledProcessError) as error:
        raise UserError(not_yaml_message(data, error) or message(error, options)) from None
    except Exception as error:  # noqa: BLE001 - copier's own errors become messages
        if not is_copier_error(error):
            raise
        raise UserError(message(error, options)) from None


def parse_data(pairs: list[str] | None) -> dict[str, str]:
    """`-d KEY=VALUE` pairs, as copier's command line takes them."""
    data = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"-d takes KEY=VALUE, not {pair!r}")
        if key.strip().startswith("_"):
            # copier's own context (_copier_conf, _src_path): no question's answer.
            raise UsageError(f"-d {key.strip()}: a name starting with _ is copier's own, not an answer")
        data[key.strip()] = value
    return data
