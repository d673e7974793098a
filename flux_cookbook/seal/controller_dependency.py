"""An app that holds SealedSecrets waits for the Sealed Secrets controller (`dependsOn`).

Without it, Flux may apply the app's SealedSecret before the controller (and its CRD)
exists on a new cluster, and the app's first reconciliation fails. The dependency goes
into both places that say it: the app's answers (`depends_on`, so every later
`copier update` renders it) and its Kustomization (so it holds now, and the next update's
three-way merge sees the same line on both sides). Each file is edited in place with its
comments and layout kept; if the edit would change anything but the added entry, the file
is left alone and the user is told what to add.
"""

from __future__ import annotations

import difflib
import io
from pathlib import Path

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from flux_cookbook.extensions import bounded_yaml, conventions, known_apps, layout, repo_files, repo_state
from flux_cookbook.repository import apps
from flux_cookbook.seal import sealed_secrets

CONTROLLER = known_apps.SEALED_SECRETS


def plan(repo: Path, app: str) -> list[tuple[str, str | None, str]]:
    """The edits that make `app` depend on the controller app, worked out before anything
    is written: (file, its new text, the controller app), or (file, None, the controller
    app) when the user must add it by hand. Refuses (OutsideRepository) a file its answers
    place outside the repository."""
    installed = repo_state.sealed_secrets_controller_apps(repo)
    if not installed or app in installed or app not in layout.apps(repo):
        return []
    answers_file = layout.app_answers_file(app)
    try:
        answers = bounded_yaml.load(repo_files.read_text(repo, answers_file), answers_file) or {}
    except (UnicodeDecodeError, repo_files.NotReadable, yaml.YAMLError):
        answers = None
    if not isinstance(answers, dict):  # the user adds it, as to any file this cannot read
        return [(answers_file, None, CONTROLLER if CONTROLLER in installed else installed[0])]
    kustomization_file = apps.App(repo, app, answers, conventions.CURRENT.bootstrap_dir).kustomization_file
    repo_files.inside(repo, kustomization_file)  # answers leading outside are refused, whatever follows
    controllers = controller_apps_of_its_cluster(repo, app)
    if not controllers:
        return []  # another cluster's: this one's Kustomization would wait forever
    # The app installing the controller, whatever its name (`add sealed-secrets` names it so).
    controller = CONTROLLER if CONTROLLER in controllers else controllers[0]
    # Answers files are written with lists at their key's column, manifests indented by 2;
    # each file gets the entry it lacks (one may have it already, written by hand).
    edits = ((answers_file, _add_to_answers, (2, 0)), (kustomization_file, _add_to_kustomization, (4, 2)))
    planned = [(name, _edited_file(repo, name, lambda data, add=add: add(data, controller), *lists))
               for name, add, lists in edits]
    return [(name, edited, controller) for name, edited in planned if edited != _UNCHANGED]


def controller_apps_of_its_cluster(repo: Path, app: str) -> list[str]:
    """The apps installing the Sealed Secrets controller in the cluster of `app` (the same
    bootstrap folder): a repository may hold several clusters, each with its own or none."""
    cluster = _app(repo, app).bootstrap_dir
    return [other for other in repo_state.sealed_secrets_controller_apps(repo) if _app(repo, other).bootstrap_dir == cluster]


def plan_for_new_controller(repo: Path, controller: str) -> list[tuple[str, str | None, str]]:
    """`plan` for every app whose folder holds a SealedSecret, once `controller`, an app
    installing the controller, has just been added (`add sealed-secrets` after `seal`):
    they wait for it, as `seal` makes them when the controller is there first."""
    if controller not in repo_state.sealed_secrets_controller_apps(repo):
        return []
    listed = [name for name in repo_files.listed_files(repo) if name.endswith((".yaml", ".yml", ".json"))]
    folders = {app: _app(repo, app).folder + "/" for app in sorted(layout.apps(repo) - {controller})}
    holding = [app for app, folder in folders.items()
               if any(_declares_sealed_secret(repo, name) for name in listed if name.startswith(folder))]
    return [edit for app in holding for edit in plan(repo, app)]


def _app(repo: Path, name: str) -> apps.App:
    """App `name` as its answers file records it ({} where it cannot be read)."""
    answers = repo_state.answers_of(repo, layout.app_answers_file(name))
    return apps.App(repo, name, answers or {}, conventions.CURRENT.bootstrap_dir)


def _declares_sealed_secret(repo: Path, name: str) -> bool:
    try:
        documents = bounded_yaml.load_all(repo_files.read_text(repo, name), name)
    except (UnicodeDecodeError, repo_files.NotReadable, ValueError, yaml.YAMLError):
        return False
    group = sealed_secrets.API_VERSION.split("/")[0]
    return any(isinstance(document, dict) and document.get("kind") == sealed_secrets.KIND
               and str(document.get("apiVersion") or "").split("/")[0] == group for document in documents)


def apply(repo: Path, edits: list[tuple[str, str | None, str]]) -> list[str]:
    """Write what `plan` worked out; returns what was changed or what to do by hand."""
    notes = []
    for name, edited, controller in edits:
        if edited is not None:
            repo_files.write_text(repo, name, edited)
            notes.append(f"{name}: now depends on {controller}")
        else:
            notes.append(f"{name}: add {controller} to its dependsOn/depends_on yourself")
    return notes


def _yaml(sequence: int, offset: int) -> YAML:
    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 4096
    rt.indent(mapping=2, sequence=sequence, offset=offset)
    return rt


def _edited_file(repo: Path, name: str, add, sequence: int, offset: int) -> str | None:
    """The file's new text (_edited), in its own line ends; None when it is missing, no
    UTF-8 text, too large, or has both kinds of line end."""
    if not repo_files.inside(repo, name).is_file():
        return None
    try:
        text = repo_files.read_text(repo, name)
    except (UnicodeDecodeError, repo_files.NotReadable):
        return None
    crlf = text.count("\r\n")
    if crlf and crlf != text.count("\n"):
        return None
    edited = _edited(text.replace("\r\n", "\n"), add, sequence, offset)
    return edited.replace("\n", "\r\n") if edited is not None and crlf else edited


def _edited(text: str, add, sequence: int, offset: int) -> str | None:
    """`text` with `add` applied to its data, or None if anything else would change."""
    rt = _yaml(sequence, offset)
    try:
        bounded_yaml.check(text)
        data = rt.load(text)  # one document only: ruamel refuses a second one
        expected = yaml.load(text, Loader=bounded_yaml.SAFE_LOADER)
    except (YAMLError, yaml.YAMLError):
        return None  # the user adds it, as to any file this cannot edit safely
    if not isinstance(data, CommentedMap) or not isinstance(expected, dict):
        return None
    try:
        add(data)
        add(expected)
    except _Already:
        return _UNCHANGED
    except _NotAList:
        return None
    out = io.StringIO()
    rt.dump(data, out)
    edited = out.getvalue()
    # Lines are only added, but for the list's own key line (`depends_on: []` becomes a block).
    removed = [line for line in difflib.ndiff(text.splitlines(), edited.splitlines()) if line.startswith("- ")]
    if any(line[2:].strip().split(":")[0] not in ("depends_on", "dependsOn") for line in removed):
        return None
    return edited if yaml.load(edited, Loader=bounded_yaml.SAFE_LOADER) == expected else None


class _NotAList(ValueError):
    """The entry to add to holds something else than a list: the user's to sort out."""


class _Already(ValueError):
    """The list names the controller already: nothing to add."""


_UNCHANGED = "\0unchanged"  # _edited_file's answer for a file that needs no entry


def _add_to_answers(data: dict, controller: str) -> None:
    entries = data.get("depends_on")
    if entries is not None and not isinstance(entries, list):
        raise _NotAList("depends_on")
    if entries is not None and controller in entries:
        raise _Already("depends_on")
    if entries is None:
        data["depends_on"] = entries = CommentedSeq() if isinstance(data, CommentedMap) else []
    _block_style(entries, data, "depends_on")
    entries.append(controller)


def _add_to_kustomization(data: dict, controller: str) -> None:
    spec = data.setdefault("spec", {})
    if not isinstance(spec, dict):
        raise _NotAList("spec")
    entries = spec.get("dependsOn")
    if entries is not None and not isinstance(entries, list):
        raise _NotAList("spec.dependsOn")
    if entries is not None and any(isinstance(e, dict) and e.get("name") == controller for e in entries):
        raise _Already("spec.dependsOn")
    if entries is None:
        spec["dependsOn"] = entries = CommentedSeq() if isinstance(spec, CommentedMap) else []
    _block_style(entries, spec, "dependsOn")
    entries.append(CommentedMap(name=controller) if isinstance(entries, CommentedSeq) else {"name": controller})


def _block_style(entries: list, holder: dict, key: str) -> None:
    """A list written in flow style (`dependsOn: [{name: db}]`) goes to block style with the
    entry added: ruamel writes a flow list of mappings as `[name: db, name: x]`, which few
    readers (and no person) take for what it is. One with a comment after it is left for
    the user: ruamel would put the comment lines that follow it above its entries."""
    if isinstance(entries, CommentedSeq) and entries.fa.flow_style():
        if entries.ca.comment or (isinstance(holder, CommentedMap) and any(holder.ca.items.get(key) or ())):
            raise _NotAList(key)
        entries.fa.set_block_style()
        for entry in entries:
            if isinstance(entry, CommentedMap):
                entry.fa.set_block_style()
