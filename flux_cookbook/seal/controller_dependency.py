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

from flux_cookbook.extensions import bounded_yaml, known_apps, layout

CONTROLLER = known_apps.SEALED_SECRETS


def require_controller(repo: Path, app: str) -> list[str]:
    """Make `app` depend on the controller app; returns what was changed or what to do by hand."""
    if app == CONTROLLER or CONTROLLER not in layout.apps(repo):
        return []
    answers_path = repo / layout.app_answers_file(app)
    answers = bounded_yaml.load(answers_path.read_text(encoding="utf-8"), answers_path.name) or {}
    depends_on = answers.get("depends_on") or []
    if CONTROLLER in depends_on:
        return []
    kustomization_path = repo / layout.kustomization_file(str(answers.get("bootstrap_dir", "bootstrap")), app)
    notes = []
    # Answers files are written with lists at their key's column, manifests indented by 2.
    edits = ((answers_path, _add_to_answers, (2, 0)), (kustomization_path, _add_to_kustomization, (4, 2)))
    for path, add, lists in edits:
        if path.is_file() and (edited := _edited(path.read_text(encoding="utf-8"), add, *lists)) is not None:
            path.write_text(edited, encoding="utf-8")
            notes.append(f"{path.relative_to(repo)}: now depends on {CONTROLLER}")
        else:
            notes.append(f"{path.relative_to(repo)}: add {CONTROLLER} to its dependsOn/depends_on yourself")
    return notes


def _yaml(sequence: int, offset: int) -> YAML:
    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 4096
    rt.indent(mapping=2, sequence=sequence, offset=offset)
    return rt


def _edited(text: str, add, sequence: int, offset: int) -> str | None:
    """`text` with `add` applied to its data, or None if anything else would change."""
    rt = _yaml(sequence, offset)
    data = rt.load(text)
    if not isinstance(data, CommentedMap):
        return None
    expected = yaml.safe_load(text)
    add(data)
    add(expected)
    out = io.StringIO()
    rt.dump(data, out)
    edited = out.getvalue()
    # Lines are only added, but for the list's own key line (`depends_on: []` becomes a block).
    removed = [line for line in difflib.ndiff(text.splitlines(), edited.splitlines()) if line.startswith("- ")]
    if any(line[2:].strip().split(":")[0] not in ("depends_on", "dependsOn") for line in removed):
        return None
    return edited if yaml.safe_load(edited) == expected else None


def _add_to_answers(data: dict) -> None:
    entries = data.get("depends_on")
    if not isinstance(entries, list):
        data["depends_on"] = entries = CommentedSeq() if isinstance(data, CommentedMap) else []
    entries.append(CONTROLLER)


def _add_to_kustomization(data: dict) -> None:
    spec = data.setdefault("spec", {})
    entries = spec.get("dependsOn")
    if not isinstance(entries, list):
        spec["dependsOn"] = entries = CommentedSeq() if isinstance(spec, CommentedMap) else []
    entries.append(CommentedMap(name=CONTROLLER) if isinstance(entries, CommentedSeq) else {"name": CONTROLLER})
