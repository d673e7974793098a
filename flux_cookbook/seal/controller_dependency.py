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

CONTROLLER = known_apps.SEALED_SECRETS


def plan(repo: Path, app: str) -> list[tuple[str, str | None]]:
    """The edits that make `app` depend on the controller app, worked out before anything
    is written: (file, its new text), or (file, None) when the user must add it by hand.
    Refuses (OutsideRepository) a file its answers place outside the repository."""
    if app == CONTROLLER or CONTROLLER not in layout.apps(repo):
        return []
    answers_file = layout.app_answers_file(app)
    try:
        answers = bounded_yaml.load(repo_files.read_text(repo, answers_file), answers_file) or {}
    except (UnicodeDecodeError, repo_files.NotReadable, yaml.YAMLError):
        return [(answers_file, None)]  # the user adds it, as to any file this cannot read
    if not isinstance(answers, dict):
        return [(answers_file, None)]
    kustomization_file = apps.App(repo, app, answers, conventions.CURRENT.bootstrap_dir).kustomization_file
    repo_files.inside(repo, kustomization_file)  # answers leading outside are refused, whatever follows
    if CONTROLLER not in controller_apps_of_its_cluster(repo, app):
        return []  # the controller app is another cluster's: this one's Kustomization would wait forever
    depends_on = answers.get("depends_on") or []
    if isinstance(depends_on, list) and CONTROLLER in depends_on:
        return []
    # Answers files are written with lists at their key's column, manifests indented by 2.
    edits = ((answers_file, _add_to_answers, (2, 0)), (kustomization_file, _add_to_kustomization, (4, 2)))
    return [(name, _edited_file(repo, name, add, *lists)) for name, add, lists in edits]


def controller_apps_of_its_cluster(repo: Path, app: str) -> list[str]:
    """The apps installing the Sealed Secrets controller in the cluster of `app` (the same
    bootstrap folder): a repository may hold several clusters, each with its own or none."""
    def cluster(name: str) -> str:
        answers_file = layout.app_answers_file(name)
        try:
            answers = bounded_yaml.load(repo_files.read_text(repo, answers_file), answers_file)
        except (UnicodeDecodeError, repo_files.NotReadable, yaml.YAMLError):
            answers = None
        return apps.App(repo, name, answers if isinstance(answers, dict) else {},
                        conventions.CURRENT.bootstrap_dir).bootstrap_dir

    return [other for other in repo_state.sealed_secrets_controller_apps(repo) if cluster(other) == cluster(app)]


def apply(repo: Path, edits: list[tuple[str, str | None]]) -> list[str]:
    """Write what `plan` worked out; returns what was changed or what to do by hand."""
    notes = []
    for name, edited in edits:
        if edited is not None:
            repo_files.write_text(repo, name, edited)
            notes.append(f"{name}: now depends on {CONTROLLER}")
        else:
            notes.append(f"{name}: add {CONTROLLER} to its dependsOn/depends_on yourself")
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


def _add_to_answers(data: dict) -> None:
    entries = data.get("depends_on")
    if entries is not None and not isinstance(entries, list):
        raise _NotAList("depends_on")
    if entries is None:
        data["depends_on"] = entries = CommentedSeq() if isinstance(data, CommentedMap) else []
    entries.append(CONTROLLER)


def _add_to_kustomization(data: dict) -> None:
    spec = data.setdefault("spec", {})
    if not isinstance(spec, dict):
        raise _NotAList("spec")
    entries = spec.get("dependsOn")
    if entries is not None and not isinstance(entries, list):
        raise _NotAList("spec.dependsOn")
    if entries is None:
        spec["dependsOn"] = entries = CommentedSeq() if isinstance(spec, CommentedMap) else []
    entries.append(CommentedMap(name=CONTROLLER) if isinstance(entries, CommentedSeq) else {"name": CONTROLLER})
