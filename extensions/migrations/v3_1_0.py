"""Release 3.1.0: health checks right for any chart, and answers that say what is true.

before (all of it planned first; on any problem nothing is changed):
  - an app whose health checks are still exactly what an earlier release guessed for it
    (a Deployment named after the release; for the Sealed Secrets controller app, the
    controller's Deployment), in its answers and in its Kustomization alike, now waits for
    its HelmRelease instead (app_defaults): both files are rewritten and staged, so that
    copier's merge finds the user's side and the new release agreeing. Any other health
    check, in either file, is the user's and stands; so does a Kustomization whose
    healthChecks block is not as the template wrote it.
  - the cluster's answers record `sealed_secrets: false` when no app installs the
    controller: an update from a release before the question recorded its default (true)
    though the repository never had the controller.
  - a repository with an apps_dir (3.0.x) gets the README's layout drawing of this
    release: the apps in that folder (the README is the user's file, never rendered again).
  - an app's Kustomization whose timeout line is still the one an earlier release wrote
    gets the line this release writes: the longer of kustomization_timeout and
    helmrelease_timeout (app_defaults). copier's merge would make that change by itself,
    but not for an app updated before its cluster from before 2.0.0, whose Kustomization
    moved with the bootstrap folder: its merge has no old render, and the before stage's
    text stands. A line the user changed stands.

Like every release's step, it covers the whole repository whichever answers file is being
updated, and is idempotent: a second run finds nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from .. import app_defaults, bounded_yaml, layout, line_ends, repo_files, repo_state
from ..yaml_quoting import yaml_block, yaml_document, yaml_scalar
from .git_repo import MigrationAbort, committed_text, git, put_back

HEALTH_CHECKS = "health_checks"
SEALED_SECRETS = "sealed_secrets"


def before(repo: Path, answers_file: str = "") -> None:
    writes: dict[str, str] = {}
    notes: list[str] = []
    try:
        for name in layout.answers_files(repo):
            if layout.app_of_answers_file(name):
                _plan_health_checks(repo, name, writes, notes)
                _plan_timeout(repo, name, writes, notes)
        _plan_sealed_secrets(repo, writes, notes)
        _plan_readme(repo, writes)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        # As 3.0.0's step: what an earlier release's step staged in this update goes too
        # (copier refuses a dirty folder, so HEAD holds everything the user had there).
        put_back(repo)
        raise MigrationAbort(f"a file cannot be read; fix it, commit, and update again: {error}") from None
    for path, text in writes.items():
        repo_files.write_text(repo, path, text)
    if writes:
        git(repo, "add", "--", *writes)
    for note in notes:
        print(f"  {note}")


def after_due(repo: Path) -> bool:
    return False  # `after` does nothing


def after(repo: Path, answers_file: str = "") -> None:
    """Nothing: copier's merge of the staged files is the whole change."""


def _plan_health_checks(repo: Path, answers_file: str, writes: dict[str, str], notes: list[str]) -> None:
    text = (repo / answers_file).read_text(encoding="utf-8")
    answers = bounded_yaml.load(text)
    app = layout.app_of_answers_file(answers_file)
    if not isinstance(answers, dict) or not (new := _release_health_checks(repo, answers, app)):
        return  # none, the user's own, or no HelmRelease where the template writes it
    kustomization_file = layout.kustomization_file(str(answers.get("bootstrap_dir")), app)
    if not (repo / kustomization_file).is_file():
        return  # not where the template writes it: nothing the template guessed to move
    kustomization = repo_files.read_text(repo, kustomization_file)  # as written: CRLF stays
    if (moved := _replaced(kustomization, _health_check_blocks(answers[HEALTH_CHECKS], new))) is None:
        notes.append(f"{kustomization_file}: its healthChecks are your own; kept")
        return
    writes[kustomization_file] = moved
    writes[answers_file] = with_answer(text, HEALTH_CHECKS, new)
    checks = answers[HEALTH_CHECKS]
    notes.append(f"app {app}: health check now its HelmRelease (was {checks[0]['kind']} {checks[0]['name']}, a guess)")


def _release_health_checks(repo: Path, answers: dict, app: str) -> list[dict] | None:
    """The health check on the app's HelmRelease that replaces an earlier release's guess,
    or None: the answers' health checks are not exactly the guess (none, or the user's
    own), or the app has no one HelmRelease where it is (a folder renamed by hand,
    `website/` of the app `web`, too)."""
    checks = answers.get(HEALTH_CHECKS)
    if not checks or checks not in app_defaults.guessed_health_checks(answers):
        return None
    release = _helm_release(repo, repo_state.app_file(repo, {**answers, "app_name": app}, layout.helm_release_file(app)))
    if release is None:
        return None
    metadata = release.get("metadata") if isinstance(release.get("metadata"), dict) else {}
    return app_defaults.helm_release_health_checks(str(metadata.get("name")),
                                                   str(metadata.get("namespace") or answers.get("namespace")))


def _health_check_blocks(checks: list, new: list) -> tuple[str, str]:
    """The Kustomization's healthChecks block as the template writes `checks`, and `new`."""
    return f"  healthChecks:\n{yaml_block(checks, 4)}\n", f"  healthChecks:\n{yaml_block(new, 4)}\n"


# The Kustomization's timeout line as releases before 3.1.0 wrote it, and as 3.1.0 does.
OLD_TIMEOUT_LINE = "  timeout: {} # if not set, this defaults to interval duration\n"
TIMEOUT_LINE = "  timeout: {} # at least the HelmRelease's timeout; if not set, this defaults to interval duration\n"


def _plan_timeout(repo: Path, answers_file: str, writes: dict[str, str], notes: list[str]) -> None:
    answers = bounded_yaml.load((repo / answers_file).read_text(encoding="utf-8"))
    if not isinstance(answers, dict) or not (lines := _timeout_lines(answers)):
        return
    path = layout.kustomization_file(str(answers.get("bootstrap_dir")), layout.app_of_answers_file(answers_file))
    if not (path in writes or (repo / path).is_file()):
        return
    text = writes.get(path) or repo_files.read_text(repo, path)  # the health checks' step may have written it
    if (raised := _replaced(text, lines)) is not None:  # a line the user changed stands
        writes[path] = raised
        own, longer = _timeouts(answers)
        notes.append(f"{path}: timeout {own} -> {longer}, the HelmRelease's (the Kustomization waits for Helm)")


def _timeouts(answers: dict) -> tuple[str, str]:
    """(kustomization_timeout, the Kustomization's timeout this release writes: the longer
    of it and helmrelease_timeout)."""
    own, helm = (str(answers.get(key) or "") for key in ("kustomization_timeout", "helmrelease_timeout"))
    return own, app_defaults.kustomization_timeout_for(own, helm)


def _timeout_lines(answers: dict) -> tuple[str, str] | None:
    """(the Kustomization's timeout line as an earlier release wrote it, as this release
    writes it), or None where the timeouts are the same."""
    own, longer = _timeouts(answers)
    if not own or longer == own:
        return None
    return OLD_TIMEOUT_LINE.format(yaml_scalar(own)), TIMEOUT_LINE.format(yaml_scalar(longer))


def _replaced(text: str, lines: tuple[str, str]) -> str | None:
    """`text` with lines[1] in place of lines[0], both in `text`'s line ends, or None
    unless `text` holds lines[0] exactly once with no deeper-indented line of the user's
    right after it (an entry added to a block)."""
    newline = line_ends.of(text)
    old, new = (line_ends.converted(line, newline) for line in lines)
    # A file whose last line has no line end (saved so by an editor): that line counts.
    unended = bool(text) and not text.endswith(("\n", "\r"))
    text += newline if unended else ""
    at = text.find(old)
    if at < 0 or text.count(old) != 1 or text[at + len(old):].startswith("    "):
        return None
    replaced = text.replace(old, new)
    return replaced[:-len(newline)] if unended and replaced.endswith(newline) else replaced


def as_stepped(repo: Path, answers_file: str) -> Callable[[str, str, str], str]:
    """(path, base, mine) -> `base`, the old release's render of `path`, as this release's
    step leaves it where it rewrote the user's side `mine`: for an app's Kustomization,
    from the answers `answers_file` recorded before this update (HEAD's); any other file,
    or a line the step left as the user's own, as it is.

    copier merges an app's update from the old release's render of its files. The step
    has rewritten the user's side already (in this update's before stage, or in the
    cluster's update over the whole repository), so a line it rewrote that this update's
    answers change again (`-d helmrelease_timeout=10m`, `-d health_checks=...`) differs
    from that base on both sides, a conflict; from the render as the step leaves it, it is
    the release's change alone (settle_conflicts)."""
    app = layout.app_of_answers_file(answers_file)
    text = committed_text(repo, answers_file) if app else None
    try:
        answers = bounded_yaml.load(text) if text is not None else None
    except yaml.YAMLError:
        answers = None
    if not isinstance(answers, dict):
        return lambda path, base, mine: base
    kustomization_file = layout.kustomization_file(str(answers.get("bootstrap_dir")), app)

    def stepped(path: str, base: str, mine: str) -> str:
        if path != kustomization_file:
            return base
        try:
            new = _release_health_checks(repo, answers, app)
        except (OSError, UnicodeDecodeError, ValueError, TypeError, yaml.YAMLError):
            # The HelmRelease as the merge left it: one with conflicts is no YAML (and odd
            # answers find no app file), and the Kustomization's health checks are then the
            # user's to settle as well.
            new = None
        rewrites = [lines for lines in (new and _health_check_blocks(answers[HEALTH_CHECKS], new),
                                        _timeout_lines(answers)) if lines]
        for lines in rewrites:
            if line_ends.converted(lines[1], line_ends.of(mine)) in mine:  # the step's line, on the user's side
                base = _replaced(base, lines) or base
        return base

    return stepped


def _helm_release(repo: Path, path: str) -> dict | None:
    """The one HelmRelease in `path`, or None."""
    if not (repo / path).is_file():
        return None
    documents = bounded_yaml.load_all((repo / path).read_text(encoding="utf-8"))
    releases = [d for d in documents if isinstance(d, dict) and d.get("kind") == "HelmRelease"]
    return releases[0] if len(releases) == 1 else None


def _plan_sealed_secrets(repo: Path, writes: dict[str, str], notes: list[str]) -> None:
    path = repo / layout.CLUSTER_ANSWERS
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8")
    answers = bounded_yaml.load(text)
    if not isinstance(answers, dict) or answers.get(SEALED_SECRETS) is False or repo_state.sealed_secrets_controller_apps(repo):
        return
    writes[layout.CLUSTER_ANSWERS] = with_answer(text, SEALED_SECRETS, False)
    notes.append(f"{layout.CLUSTER_ANSWERS}: sealed_secrets recorded false, as no app installs the controller "
                 "(flux-cookbook add sealed-secrets --defaults adds it)")


# The layout 3.0.x's README drew: apps at the top of the repository, whatever apps_dir said.
_README_APP_POINTER = "points Flux at <app>/\n"
_README_APP_FOLDER = "\n<app>/\n"


def _plan_readme(repo: Path, writes: dict[str, str]) -> None:
    """A repository with an apps_dir made at 3.0.x: its README (the user's file, never
    rendered again) draws the apps in that folder, as this release's does."""
    path = repo / layout.CLUSTER_ANSWERS
    answers = bounded_yaml.load(path.read_text(encoding="utf-8")) if path.is_file() else None
    apps_dir = str(answers.get("apps_dir") or "") if isinstance(answers, dict) else ""
    if not apps_dir or not (repo / layout.README).is_file():
        return
    try:
        readme_file = repo_files.followed(repo, layout.README)  # a linked README: its target
        readme = repo_files.read_text(repo, readme_file)  # as written: CRLF stays
    except (UnicodeDecodeError, OSError):  # a link out of the repository too
        return  # no UTF-8 text: not the README the template wrote, nothing of its drawing to find
    folder = layout.app_dir("<app>", apps_dir)
    for newline in ("\n", "\r\n"):  # a README of mixed line ends: its drawing's lines in either
        pointer, drawn = (line_ends.converted(text, newline) for text in (_README_APP_POINTER, _README_APP_FOLDER))
        if pointer in readme and drawn in readme:
            writes[readme_file] = readme.replace(pointer, pointer.replace("<app>/", f"{folder}/"), 1).replace(
                drawn, drawn.replace("<app>/", f"{folder}/"), 1)
            return


def with_answer(text: str, key: str, value: object) -> str:
    """The answers file `text` with `key` set to `value` where it stands (at the end if
    absent), every other line kept; copier rewrites the file whole on the update."""
    lines = text.splitlines(keepends=True)
    replacement = yaml_document({key: value})
    start = next((i for i, line in enumerate(lines) if line.split(":", 1)[0] == key and ":" in line), None)
    if start is None:
        return text + ("" if text.endswith("\n") or not text else "\n") + replacement
    end = start + 1
    while end < len(lines) and lines[end].startswith((" ", "-")):
        end += 1  # the value's block lines
    return "".join(lines[:start]) + replacement + "".join(lines[end:])
