"""How the template tells a new copy from an update, through copier's public context only.

The copier versions the template runs on are stated once, as `_min_copier_version` in
copier.yml (copier itself refuses older ones); every later 9.x is accepted.

copier gives `_copier_operation` to tasks, migrations and exclusions, not to questions. And
during `copier update` copier asks the questions three times: in the real destination (the
repository), and, with every answer given as data and defaults on, in two empty temporary
folders where it renders the old and the new release. A validator that refuses there makes
copier drop the recorded answer without a word (copier's `_ask` deletes a last answer that
fails validation), so a check of the destination must never run on an update. Two public
signals tell them apart:

- `_copier_conf.overwrite` (`checks_destination`). copier refuses to update without it
  ("Enable overwrite to update a subproject"), so an operation without it is always a copy;
  and a `copier copy --overwrite` is the user saying that what is there may be replaced.
  The checks that protect what the repository holds (a second cluster over one, an app
  that exists, a HelmRepository name already used for another URL, dependencies and values
  files that must be there) run exactly when overwrite is off. The questions only a new
  repository asks (kind, bootstrap_dir, apps_dir, include_example_app, sealed_secrets) are
  asked only then too: on an update their recorded answers stand. On `copy --overwrite`
  they are taken from -d, else from the answers the destination records, else the default.
- What the destination already holds (`updating_app`): an answer a release added later
  (apps_dir, owns_namespace, chart_source, fetch_values) defaults to what an app had before
  it when the app being rendered is recorded in the destination (its answers file is
  there) and overwrite is on: an update of an existing app, whose files must render as
  before. A new app gets the new defaults, with or without --overwrite. In the empty
  folders of an update's old and new renders these answers come as data, so the default is
  not used there.

`flux-cookbook add` checks for an existing app itself before it runs copier (it knows it
copies), with the same message.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from . import bounded_yaml, conventions, layout


def checks_destination(conf) -> bool:
    """True when this operation is a copy that must not replace what the destination holds."""
    return not conf["overwrite"]


def checks_given(conf, key: str) -> bool:
    """checks_destination, and also on an update of the repository itself given `key` with
    `-d`: a new answer names what is there now (the apps depends_on lists, the
    HelmRepository helm_repo_name shares), while a recorded one may name what was removed
    since. copier's renders in empty folders, given every answer, have no answers file."""
    return checks_destination(conf) or (key in (conf["data"] or {}) and bool(recorded_answers(conf)))


def app_recorded(dst: str | Path, app_name: object) -> bool:
    """Does the destination record an app named `app_name` (its answers file)?"""
    return bool(app_name) and isinstance(app_name, str) and (Path(dst) / layout.app_answers_file(app_name)).is_file()


def updating_app(conf, app_name: object) -> bool:
    """An update of an app the destination records (see the module docstring)."""
    return bool(conf["overwrite"]) and app_recorded(conf["dst_path"], app_name)


def recorded_answers(conf) -> dict:
    """The answers this update's answers file records ({} on a copy, or when unreadable)."""
    if not conf["overwrite"]:
        return {}
    try:
        path = Path(str(conf["dst_path"])) / str(conf["answers_file"])
        recorded = bounded_yaml.load(path.read_text(encoding="utf-8"), str(conf["answers_file"])) if path.is_file() else None
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


# What an update that changed each answer would do: why it is refused.
_FIXED = {
    "kind": "an answers file is a cluster's or an app's for good (its name says which), and the update would "
            "delete the files of the one it was made for.",
    "app_name": "the app's folder, Kustomization and HelmRelease are named after it, and the update would delete "
                "them, your edits with them. Add the app under the new name (flux-cookbook add) and remove this "
                "one by hand.",
    "values_in": "the update would remove the file holding your values and write the placeholder where they go. "
                 "Move the values by hand (configmap: the ConfigMap's values.yaml key; inline: the HelmRelease's "
                 "spec.values), then record values_in in the answers file.",
}


# What an app's answers file of a release before the question (values_in: 2.1.0; apps_dir:
# 3.0.0) stands for: where that release put the files.
_ANSWERED_BEFORE = {"values_in": "configmap", "apps_dir": ""}


def _changed_from(conf, recorded: dict, key: str, value: object) -> str:
    """"<key> is '<answer>' in <answers file>" where `value` changes the answer `key` the
    answers file (non-empty) stands for; "" where it changes nothing or the file has none."""
    before = str(recorded[key] or "") if key in recorded else _ANSWERED_BEFORE.get(key) if recorded else None
    if before is None or before == str(value or ""):
        return ""
    return f"{key} is '{before}' in {conf['answers_file']}{'' if key in recorded else ' (its release asked none)'}"


def answer_fixed_error(conf, key: str, value: object) -> str:
    """Why an update may not change the answer `key` (kind, app_name, values_in) to
    `value`, or "": only a new copy may give it. An app's answers file (by its name) is
    an app's whatever it records (an edit may have lost its kind); one of a release before
    the question stands for what that release wrote (_ANSWERED_BEFORE)."""
    recorded = recorded_answers(conf)
    if key == "kind" and layout.app_of_answers_file(str(conf["answers_file"])) and value != "app" and recorded:
        return f"{conf['answers_file']} is an app's answers file: kind must be app, not {value!r}; {_FIXED['kind']}"
    if not (changed := _changed_from(conf, recorded, key, value)):
        return ""
    return f"{changed}; an update cannot change it to '{value or ''}': {_FIXED[key]}"


def folder_moved_error(conf, key: str, value: object) -> str:
    """Why this operation may not take `value` for the folder answer `key` (bootstrap_dir,
    apps_dir), or "". The repository's files are where its answers file says: an update
    given another folder (`copier update -d bootstrap_dir=...`) would render the template's
    files there and leave every app's where they are, one repository split in two, each
    half building. Asked in the repository itself only (it has an answers file); copier's
    renders in empty folders have none. One of a release before the question stands for
    where that release put the files (_ANSWERED_BEFORE)."""
    if not (where := _changed_from(conf, recorded_answers(conf), key, value)):
        return ""
    return (f"{where}, where this repository's files are; an update cannot move them to '{value or ''}' (the "
            "template's files would go there, every app's would stay). Move the folder with git mv, change its "
            "paths, and record it in the answers files by hand.")


def bootstrap_dir_moved_error(conf, value: object) -> str:
    """folder_moved_error of bootstrap_dir (answers_check asks it before an update's
    migrations only where none moves the folder: bootstrap_dir_stays)."""
    return folder_moved_error(conf, "bootstrap_dir", value)


def bootstrap_dir_stays(recorded: dict) -> bool:
    """Does no migration move the bootstrap folder an answers file records? The 2.0.0 step
    moves the cookbook's (flux-system) to Flux's and rewrites the answer."""
    return str(recorded.get("bootstrap_dir") or "") not in ("", conventions.COOKBOOK.bootstrap_dir)


def apps_dir_moved_error(conf, value: object) -> str:
    """folder_moved_error of apps_dir, which no migration records otherwise: its verdict
    before an update's migrations is its verdict after them (answers_check asks it first)."""
    return folder_moved_error(conf, "apps_dir", value)
