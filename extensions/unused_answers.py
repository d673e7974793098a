"""`-d` answers no question took: copier passes any key on without a word, so a misspelt
question name (`chart_verison`) would go unnoticed while the question it meant takes its
default. After a copy or an update, each `-d` key the answers file copier just wrote does
not record is named, with the question it may have meant. `flux-cookbook new` and `add`
print these notes; with plain copier, copier.yml's `_message_after_copy` and
`_message_after_update` do (copier prints them unless --quiet).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path

import yaml

from . import bounded_yaml, known_apps, layout, repo_files, repo_state


def notes(given: Mapping[str, object], dst: str | Path, answers_file: str | Path,
          options: Mapping[str, str] | None = None) -> list[str]:
    """A note for each key of `given` the answers file does not record; none without `-d`
    answers, or without a readable answers file (a template of another kind). `options`:
    how a key was given when not as `-d KEY` (`add --values-in`)."""
    if not given or (recorded := repo_state.answers_of(dst, answers_file)) is None:
        return []
    questions = [str(name) for name in recorded if not str(name).startswith("_")]
    found = []
    for key in given:
        if key in recorded:
            continue
        near = difflib.get_close_matches(str(key), questions, n=1)
        meant = f" Did you mean '{near[0]}'?" if near else ""
        how = (options or {}).get(key) or f"-d {key}"
        found.append(f"Note: {how} was not used: no question of the template took it here (misspelt, or not "
                     f"asked for this {recorded.get('kind') or 'repository'}), so {answers_file} does not record it.{meant}")
    return found


def message(given: Mapping[str, object], dst: str | Path, answers_file: str | Path) -> str:
    """The notes as copier.yml's message after a copy or an update prints them."""
    return "\n".join(notes(given, dst, answers_file) + kept_shared_file_notes(given, dst, answers_file))


def message_after_update(given: Mapping[str, object], dst: str | Path, answers_file: str | Path) -> str:
    """The notes after an update: message's, and what the answers a new repository's copy
    acts on change on an update (nothing)."""
    copy_only = [*copy_only_notes(given, dst), *app_settings_notes(given, dst)] \
        if not layout.app_of_answers_file(str(answers_file)) else []  # the cluster's
    return "\n".join(filter(None, [message(given, dst, answers_file), *copy_only]))


# The cluster's answers an app copies when it is added (copier.yml's `_external_data`
# defaults): on the cluster's update they change what later apps get, not the apps there.
APP_SETTINGS = ("kustomization_interval", "kustomization_timeout", "helmrelease_interval", "helmrelease_timeout",
                "helmrepository_interval", "helm_strategy", "helm_retry_interval", "helm_crds", "drift_detection")
# The cluster's answers only its README uses: the README is the user's once written.
README_ANSWERS = ("repo_owner", "repo_name", "repo_url", "personal_account")


def app_settings_notes(given: Mapping[str, object], dst: str | Path) -> list[str]:
    """Notes for the cluster's `-d` answers an update records without changing a file:
    the apps' settings, which each app copied when added, and what the README shows."""
    notes = []
    if settings := [key for key in APP_SETTINGS if key in given]:
        apps = sorted(layout.apps(Path(dst)))
        how = (f"`copier update --trust --defaults -a {layout.app_answers_file(apps[0])} -d {settings[0]}=...` "
               "and so on for each app" if apps else "")
        notes.append(f"Note: -d {', -d '.join(settings)} {'is' if len(settings) == 1 else 'are'} recorded for the apps "
                     f"added from now on; each app there keeps its own (it copied them when added)"
                     f"{': to change one, ' + how if how else ''}.")
    if shown := [key for key in README_ANSWERS if key in given]:
        notes.append(f"Note: -d {', -d '.join(shown)} {'is' if len(shown) == 1 else 'are'} recorded, but README.md, "
                     "yours once written, keeps its bootstrap command: edit it there.")
    return notes


# The apps a new repository gets from these answers (copier.yml's task on a copy).
COPY_ONLY_APPS = {"include_example_app": known_apps.PODINFO, "sealed_secrets": known_apps.SEALED_SECRETS}


def copy_only_notes(given: Mapping[str, object], dst: str | Path) -> list[str]:
    """A note for each `-d` answer of COPY_ONLY_APPS an update was given: recorded, while the
    app it stands for is added, or stays, as it was."""
    notes = []
    for key, app in COPY_ONLY_APPS.items():
        if key not in given:
            continue
        wanted, there = str(given[key]).strip().lower() in ("true", "yes", "y", "on", "1"), app in layout.apps(Path(dst))
        if wanted and not there:
            notes.append(f"Note: -d {key} is recorded, but an update adds no app (a new repository's copy does): add it "
                         f"with `flux-cookbook add {app} --defaults`.")
        elif not wanted and there:
            notes.append(f"Note: -d {key} is recorded, but the app {app} stays: remove its files and answers file by hand.")
    return notes


# Answers that go into the shared HelmRepository file, which an app writes only when it is
# not there yet (copier.yml's `_skip_if_exists`).
SHARED_REPOSITORY_ANSWERS = {"helmrepository_interval": "interval", "helm_repo_url": "url"}  # answer -> its spec field


def kept_shared_file_notes(given: Mapping[str, object], dst: str | Path, answers_file: str | Path) -> list[str]:
    """A note for each `-d` answer of SHARED_REPOSITORY_ANSWERS that the app's HelmRepository
    file does not hold: the file was there before, and shared, so copier kept it as it is
    and the answer, though recorded, changes nothing in it."""
    wanted = [key for key in SHARED_REPOSITORY_ANSWERS if key in given]
    if not wanted or (recorded := repo_state.answers_of(dst, answers_file)) is None or not recorded.get("helm_repo_name"):
        return []
    path = layout.helm_repository_file(str(recorded.get("bootstrap_dir") or ""), str(recorded["helm_repo_name"]))
    spec = _helm_repository_spec(Path(dst), path)
    return [f"Note: -d {key} is recorded, but {path} was there already and is shared, so it stays as it is "
            f"({SHARED_REPOSITORY_ANSWERS[key]}: {spec.get(SHARED_REPOSITORY_ANSWERS[key])}); edit it to change it "
            "for every app that uses it." for key in wanted
            if spec is not None and str(spec.get(SHARED_REPOSITORY_ANSWERS[key])) != str(recorded.get(key))]


def _helm_repository_spec(dst: Path, path: str) -> dict | None:
    """The spec of the HelmRepository in `path`, or None where there is none to read."""
    try:
        documents = bounded_yaml.load_all(repo_files.read_text(dst, path), path)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
        return None
    for document in documents:
        if isinstance(document, dict) and document.get("kind") == "HelmRepository" and isinstance(document.get("spec"), dict):
            return document["spec"]
    return None
