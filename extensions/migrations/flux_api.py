"""Rewrite Flux objects from removed API versions to the ones Flux 2.9 serves.

Flux 2.7 removed source v1beta1, kustomize v1beta1 and helm v2beta1; Flux 2.8 removed the
v1beta2/v2beta2 APIs. `flux migrate -f` only rewrites apiVersion lines and leaves behind
fields the v1/v2 schemas no longer have, so the cluster still rejects the object. Here the
apiVersion is bumped *and* every such field is converted or dropped. Which fields: the
Flux 2.6 CRDs' beta versions diffed against the Flux 2.9 CRDs; how: the deprecation notes
in those CRDs and the controllers' changelogs (see `_KINDS`). Every change is reported.

Copier later 3-way merges these files, so lines we need not touch must stay byte-identical.
Documents that need no change are copied verbatim. A changed document is edited line by
line: the apiVersion value is replaced in place, a removed key is cut out with its value
(every comment of the user's staying, as a line of its own where the key was), new keys
are dumped in the file's own indentation style. Where that is impossible (flow style, a
key sharing its line with `- `, an anchor that is still referenced) the document is
re-dumped whole by ruamel.yaml instead. Either way the result is parsed back and must
equal the intended data before it is accepted.
"""

from __future__ import annotations

import functools
import io
import re
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString, ScalarString

from .. import bounded_yaml, document_split, flux_names, line_ends, repo_files, round_trip_yaml
from ..flux_names import HELM_GROUP, IMAGE_GROUP, KUSTOMIZE_GROUP, NOTIFICATION_GROUP, SOURCE_GROUP

__all__ = ["DELETE", "Migration", "MigrationError", "apply_changes", "current_api_version", "migrate_file", "migrate_text"]


class MigrationError(ValueError):
    """The text cannot be migrated safely; the caller should change nothing."""


@dataclass
class Migration:
    text: str  # the migrated text (== input when nothing changed)
    changed: bool
    notes: list[str] = field(default_factory=list)  # one per change or drop
    skipped: list[str] = field(default_factory=list)  # what was left as it is, and why


# --- rules ----------------------------------------------------------------------------
# A rule gets the document, one mapping the path in its table entry leads to, and that
# mapping's concrete path ("spec.postRenderers[0].kustomize") for the notes.

_SM, _JSON6902 = "patchesStrategicMerge", "patchesJson6902"


def _drop(field_name: str, doc: _Document, mapping: CommentedMap, path: str) -> None:
    """A field removed without replacement."""
    if field_name in mapping:
        doc.remove(mapping, field_name, path)
        doc.note(f"dropped {path}.{field_name} (removed in {doc.new_api})")


def _require(field_name: str, doc: _Document, mapping: CommentedMap, path: str) -> None:
    """A field that became required: nothing we could fill in, so the user must."""
    if field_name not in mapping:
        raise MigrationError(
            f"{doc.label}: {path}.{field_name} is required in {doc.new_api}; add it, or remove {path}"
        )


def _values_file_to_values_files(doc: _Document, mapping: CommentedMap, path: str) -> None:
    """valuesFile was "merged before the ValuesFiles items" (CRD note), so it goes first."""
    if "valuesFile" not in mapping:
        return
    where, value = f"{path}.valuesFile", mapping["valuesFile"]
    if value in (None, ""):
        doc.remove(mapping, "valuesFile", path)
        doc.note(f"dropped empty {where}")
        return
    _expect(value, str, "a string", doc.label, where)
    files = mapping.get("valuesFiles")
    if files is None:
        if "valuesFiles" in mapping:  # `valuesFiles:` with no value
            doc.remove(mapping, "valuesFiles", path)
        doc.replace(mapping, "valuesFile", "valuesFiles", CommentedSeq([value]), path)
        doc.note(f"converted {where} to {path}.valuesFiles")
        return
    _expect(files, list, "a list", doc.label, f"{path}.valuesFiles")
    if value not in files:
        doc.extend(mapping, "valuesFiles", [value], path, front=True)
    doc.remove(mapping, "valuesFile", path)
    doc.note(f"merged {where} into {path}.valuesFiles")


def _patches_to_patches(doc: _Document, mapping: CommentedMap, path: str) -> None:
    """patchesStrategicMerge and patchesJson6902 became entries of `patches`.

    Kustomize applied strategic-merge patches before JSON 6902 ones, so they are added in
    that order, appended to any existing `patches` (which kustomize used to run between
    the two: only patches that set the same field could now win differently).
    """
    old = [key for key in mapping if key in (_SM, _JSON6902)]
    if not old:
        return
    converters = {_SM: _strategic_merge_entry, _JSON6902: _json6902_entry}
    converted: dict[str, list[CommentedMap]] = {}
    for key in old:
        items = mapping[key] or []
        _expect(items, list, "a list", doc.label, f"{path}.{key}")
        converted[key] = [
            converters[key](doc, item, f"{path}.{key}[{i}]") for i, item in enumerate(items)
        ]
    entries = converted.get(_SM, []) + converted.get(_JSON6902, [])
    existing = mapping.get("patches")
    if not entries:
        for key in old:
            doc.remove(mapping, key, path)
    elif existing is not None:
        _expect(existing, list, "a list", doc.label, f"{path}.patches")
        doc.extend(mapping, "patches", entries, path)
        for key in old:
            doc.remove(mapping, key, path)
    else:
        if "patches" in mapping:  # `patches:` with no value
            doc.remove(mapping, "patches", path)
        doc.replace(mapping, old[0], "patches", CommentedSeq(entries), path)
        for key in old[1:]:
            doc.remove(mapping, key, path)
    for key in old:
        count = len(converted[key])
        doc.note(f"converted {path}.{key} ({count} {'entry' if count == 1 else 'entries'}) to {path}.patches")


def _strategic_merge_entry(doc: _Document, item: Any, where: str) -> CommentedMap:
    """{patch: <the object as YAML>, target: ...}; the target is what kustomize would
    infer from the patch itself, spelled out, and only when the patch names one object."""
    _expect(item, dict, "a mapping (an inline patch object)", doc.label, where)
    item = _detach(item)
    if isinstance(item.get("apiVersion"), str) and isinstance(item.get("kind"), str):
        # A patch of a Flux object at a removed version: kustomize matches the version
        # exactly, so it names the one the object now has (see _patch_of_a_removed_version).
        item["apiVersion"] = current_api_version(item["apiVersion"], item["kind"]) or item["apiVersion"]
    entry = CommentedMap(patch=LiteralScalarString(doc.dump_block(item)))
    meta = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
    if isinstance(item.get("kind"), str) and isinstance(meta.get("name"), str):
        target = CommentedMap()
        group, _, version = str(item.get("apiVersion") or "").rpartition("/")
        if group:
            target["group"] = group
        if version:
            target["version"] = version
        target["kind"] = item["kind"]
        target["name"] = meta["name"]
        if isinstance(meta.get("namespace"), str):
            target["namespace"] = meta["namespace"]
        entry["target"] = target
    return entry


def _json6902_entry(doc: _Document, item: Any, where: str) -> CommentedMap:
    """{patch: <the operations as YAML>, target: <same target>}."""
    _expect(item, dict, "a mapping with target and patch", doc.label, where)
    _expect(item.get("target"), dict, "a mapping", doc.label, f"{where}.target")
    _expect(item.get("patch"), list, "a list of operations", doc.label, f"{where}.patch")
    patch = LiteralScalarString(doc.dump_block(item["patch"]))
    target = _detach(item["target"])
    served = _served_target_version(target)
    if served is not None:
        target["version"] = served
    return CommentedMap(patch=patch, target=target)


def _drop_unused_interval(doc: _Document, mapping: CommentedMap, path: str) -> None:
    """Provider spec.interval: "Deprecated and not used in v1beta3" (CRD)."""
    if "interval" in mapping:
        doc.remove(mapping, "interval", path)
        doc.note(f"dropped {path}.interval (not used in {doc.new_api})")


def _summary_to_event_metadata(doc: _Document, mapping: CommentedMap, path: str) -> None:
    """Alert `summary`: "Deprecated: Use EventMetadata instead" (CRD); notification-controller
    sends it as the event metadata key `summary`, so that is where it goes."""
    if "summary" not in mapping:
        return
    value, metadata = mapping["summary"], mapping.get("eventMetadata")
    if metadata is None:
        if "eventMetadata" in mapping:  # `eventMetadata:` with no value
            doc.remove(mapping, "eventMetadata", path)
        doc.replace(mapping, "summary", "eventMetadata", CommentedMap(summary=value), path)
    else:
        _expect(metadata, dict, "a mapping", doc.label, f"{path}.eventMetadata")
        if "summary" not in metadata:
            doc.add(metadata, "summary", value)
        doc.remove(mapping, "summary", path)
    doc.note(f"moved {path}.summary to {path}.eventMetadata.summary (summary is deprecated)")


def _updated_in_message_template(doc: _Document, mapping: CommentedMap, path: str) -> None:
    """image-automation-controller v1beta2 replaced the commit template's `.Updated` with
    `.Changed`; a template using it fails in v1. Rewriting Go templates is the user's call."""
    template = mapping.get("messageTemplate")
    if isinstance(template, str) and ".Updated" in template:
        doc.note(
            f"{path}.messageTemplate uses .Updated, which v1 no longer has: rewrite it with .Changed "
            "(see the image-automation-controller docs)"
        )


def _referenced_api_version(doc: _Document, mapping: CommentedMap, path: str) -> None:
    """An object another one names by apiVersion and kind (a Kustomization's health check)
    under a removed Flux API: kustomize-controller looks that version up and finds no such
    resource, so the health check never passes. It names the served version instead."""
    api_version, kind = mapping.get("apiVersion"), mapping.get("kind")
    if not (isinstance(api_version, str) and isinstance(kind, str)):
        return
    new = current_api_version(api_version, kind)
    if new is not None and new != api_version:
        doc.set_value(mapping, "apiVersion", new, path)
        doc.note(f"{path}.apiVersion {api_version} -> {new}")


def _served_target_version(target: Any) -> str | None:
    """The version a patch target (group, version, kind) names, when that is a removed
    version of a Flux kind: the one Flux serves instead; else None."""
    if not isinstance(target, dict):
        return None
    group, version, kind = target.get("group"), target.get("version"), target.get("kind")
    if group is None and isinstance(kind, str):
        # No group matches any group, the version still exactly: the Flux group of that kind.
        groups = {flux_group for flux_group, flux_kind in flux_names.FLUX_2_9 if flux_kind == kind}
        group = groups.pop() if len(groups) == 1 else None
    if not all(isinstance(value, str) for value in (group, version, kind)):
        return None
    new = current_api_version(f"{group}/{version}", kind)
    return new.rpartition("/")[2] if new is not None and new != f"{group}/{version}" else None


def _patch_of_a_removed_version(doc: _Document, mapping: CommentedMap, path: str) -> None:
    """A patch (`spec.patches[]`) aimed at a Flux object by a removed version: kustomize
    matches a target's version exactly, so once the object is at the served version the
    patch matches nothing, and the build says nothing of it: the user's change is silently
    gone. The target, and the apiVersion of a strategic-merge patch's body, name the
    served version instead."""
    target = mapping.get("target")
    if (served := _served_target_version(target)) is not None:
        old = target["version"]
        doc.set_value(target, "version", served, f"{path}.target")
        doc.note(f"{path}.target.version {old} -> {served}")
    if "patch" in mapping:
        _body_at_the_served_version(doc, mapping, "patch", f"{path}.patch")


def _inline_strategic_merge_patches(doc: _Document, mapping: CommentedMap, path: str) -> None:
    """kustomize's `patchesStrategicMerge` (deprecated, still read by kustomize 5) lists
    files or the patches themselves, inline: an inline one aimed at a Flux object by a
    removed version breaks the build once the object is at the served version. (A file it
    lists is a YAML file like any other, migrated on its own.)"""
    items = mapping.get(_SM)
    if isinstance(items, list):
        for index in range(len(items)):
            _body_at_the_served_version(doc, items, index, f"{path}{_SM}[{index}]")


def _body_at_the_served_version(doc: _Document, container: Any, key: str | int, where: str) -> None:
    """A strategic-merge patch written as a string (`patch: |`): the apiVersion of its body
    names the served version when it named a removed one; nothing else of it changes."""
    body = container[key]
    if not isinstance(body, str) or "apiVersion" not in body:
        return
    try:
        patch = bounded_yaml.load(str(body))  # a plain str: ruamel hands its own subclass, which libyaml refuses
    except pyyaml.YAMLError:
        return  # not ours to judge: kustomize says what is wrong with it
    if isinstance(patch, dict) and isinstance(patch.get("apiVersion"), str) and isinstance(patch.get("kind"), str):
        old = patch["apiVersion"]
        new = current_api_version(old, patch["kind"])
        if new is not None and new != old:
            doc.set_block_line(container, key, rf"apiVersion:[ \t]*[\"']?{re.escape(old)}[\"']?", f"apiVersion: {new}", where)
            doc.note(f"{where}: apiVersion {old} -> {new}")


@dataclass(frozen=True)
class _Kind:
    current: str  # the one version Flux 2.9 serves
    legacy: frozenset[str]  # the removed versions we migrate from
    rules: tuple[tuple[str, Callable[..., None]], ...]  # (path to mappings, rule)


# Every field a legacy version has and the current one lacks (schema diff of the Flux 2.6
# and 2.9 CRDs) has a rule here; the kinds of flux_names.FLUX_2_9 without rules differ
# only in apiVersion.
_RULES: dict[tuple[str, str], tuple[tuple[str, Callable[..., None]], ...]] = {
    (KUSTOMIZE_GROUP, "Kustomization"): (
        # "Deprecated: Not used in v1beta2" (CRD); server-side apply always validates.
        ("spec", functools.partial(_drop, "validation")),
        # "Deprecated: Use Patches instead" (CRD); removed in kustomize-controller v1.0.0.
        ("spec", _patches_to_patches),
    ),
    (HELM_GROUP, "HelmRelease"): (
        # "Deprecated in favor of ValuesFiles" (CRD); removed in helm-controller v1.0.0.
        ("spec.chart.spec", _values_file_to_values_files),
        # "Deprecated: use Patches instead" (CRD); removed in helm-controller v1.0.0.
        ("spec.postRenderers[].kustomize", _patches_to_patches),
    ),
    (SOURCE_GROUP, "GitRepository"): (
        # source-controller v1.0.0-rc.1 upgrade notes: "the deprecated field
        # .spec.gitImplementation was removed" (go-git is the only client) and "the
        # unused field .spec.accessFrom was removed" (never implemented).
        ("spec", functools.partial(_drop, "gitImplementation")),
        ("spec", functools.partial(_drop, "accessFrom")),
        # v1beta1 let verify go without secretRef; v1 requires it (schema diff).
        ("spec.verify", functools.partial(_require, "secretRef")),
    ),
    # source-controller's v1 Bucket type has no accessFrom ("Not implemented", v1beta2's
    # doc; no CRD of Bucket is shipped to diff).
    (SOURCE_GROUP, "Bucket"): (("spec", functools.partial(_drop, "accessFrom")),),
    (SOURCE_GROUP, "HelmChart"): (
        ("spec", functools.partial(_drop, "accessFrom")),  # unused, as for GitRepository
        ("spec", _values_file_to_values_files),  # "Deprecated in favor of ValuesFiles" (CRD)
    ),
    # Image automation: the betas' fields are all in v1 (schema diff of the Flux 2.6 and 2.9 CRDs).
    (IMAGE_GROUP, "ImageUpdateAutomation"): (("spec.git.commit", _updated_in_message_template),),
    (NOTIFICATION_GROUP, "Alert"): (("spec", _summary_to_event_metadata),),
    (NOTIFICATION_GROUP, "Provider"): (("spec", _drop_unused_interval),),
}
# Rules for what an object names, run on the served version too: an object written at v1
# may still name another by a removed version.
_REFERENCE_RULES: dict[tuple[str, str], tuple[tuple[str, Callable[..., None]], ...]] = {
    (KUSTOMIZE_GROUP, "Kustomization"): (
        ("spec.healthChecks[]", _referenced_api_version),
        ("spec.healthCheckExprs[]", _referenced_api_version),
        ("spec.patches[]", _patch_of_a_removed_version),
    ),
    # notification-controller looks a webhook's resources up by the apiVersion written:
    # a removed one fails every call ("no matches for kind").
    (NOTIFICATION_GROUP, "Receiver"): (("spec.resources[]", _referenced_api_version),),
    (HELM_GROUP, "HelmRelease"): (("spec.postRenderers[].kustomize.patches[]", _patch_of_a_removed_version),),
}
# kustomize's own Kustomization (a folder's kustomization.yaml) patches the objects it
# builds: a patch aimed at a Flux object by a removed version matches nothing once the
# object is migrated (or, a strategic-merge body, breaks the build).
_KUSTOMIZE_CONFIG_RULES: tuple[tuple[str, Callable[..., None]], ...] = (
    ("patches[]", _patch_of_a_removed_version),
    ("patchesJson6902[]", _patch_of_a_removed_version),
    ("", _inline_strategic_merge_patches),
)


def _is_kustomize_config(tree: Any) -> bool:
    """kustomize's Kustomization or Component: its apiVersion's group, or (kustomize takes a
    kustomization.yaml without apiVersion and kind) no apiVersion, no kind, and only
    kustomize's fields."""
    if not isinstance(tree, dict) or not tree:
        return False
    if "apiVersion" in tree or "kind" in tree:
        return str(tree.get("apiVersion", "")).partition("/")[0] == flux_names.KUSTOMIZE_CONFIG_GROUP
    return all(flux_names.kustomize_config_field(key) for key in tree)


_KINDS: dict[tuple[str, str], _Kind] = {
    key: _Kind(served.current, served.legacy, _RULES.get(key, ())) for key, served in flux_names.FLUX_2_9.items()
}


def current_api_version(api_version: str, kind: str) -> str | None:
    """The apiVersion Flux 2.9 serves for this object, or None if it is not one we handle
    (not Flux, a Flux kind without rules here, or a version we know nothing about)."""
    group, _, version = api_version.rpartition("/")
    spec = _KINDS.get((group, kind))
    if spec is None or (version not in spec.legacy and version != spec.current):
        return None
    return f"{group}/{spec.current}"


# --- text and YAML helpers ------------------------------------------------------------

_START_LINE = re.compile(r"---[ \t]*(#.*)?\r?\n?")  # a `---` line with nothing but a comment
_END_LINE = re.compile(r"\.\.\.[ \t]*(#.*)?\r?\n?")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_comment_at(line: str, col: int) -> bool:
    return line.lstrip().startswith("#") and _indent(line) == col


def _line_comment(line: str) -> str:
    """The comment ending a line of YAML after its content (` # why`, spacing kept), or ''.

    The line is scanned as YAML, so a `#` inside quotes or a plain `a#b` is no comment."""
    body = line.rstrip("\r\n")
    if "#" not in body or body.lstrip().startswith("#"):
        return ""
    try:
        tokens = [t for t in pyyaml.scan(body) if not isinstance(t, (pyyaml.StreamEndToken, pyyaml.BlockEndToken))]
    except pyyaml.YAMLError:
        return ""
    rest = body[max(t.end_mark.index for t in tokens):]
    return rest if rest.strip().startswith("#") else ""


def _holds_multiline_string(node: Any) -> bool:
    if isinstance(node, dict):
        return any(_holds_multiline_string(v) for v in node.values())
    if isinstance(node, list):
        return any(_holds_multiline_string(v) for v in node)
    return isinstance(node, str) and "\n" in node


@dataclass(frozen=True)
class _Style:
    """Indentation as ruamel's YAML.indent() takes it."""
    mapping: int = 2
    sequence: int = 4  # item content, relative to the parent key
    offset: int = 2  # the `-`, relative to the parent key


def _yaml(style: _Style | None = None) -> YAML:
    yaml = YAML()  # round-trip: keeps comments, key order, anchors
    yaml.preserve_quotes = True
    yaml.width = 1 << 16  # never re-wrap long lines
    if style:
        yaml.indent(mapping=style.mapping, sequence=style.sequence, offset=style.offset)
    return yaml


def _load(text: str) -> Any:
    return round_trip_yaml.load(_yaml(), text)


def _detect_style(documents: list[tuple[Any, list[str]]]) -> _Style:
    """The most common mapping indent and sequence indent/offset in the file; defaults to
    the style of the project's own templates (`- ` indented by 2 under its key)."""
    mappings: Counter[int] = Counter()
    sequences: Counter[tuple[int, int]] = Counter()

    def walk(node: Any, lines: list[str]) -> None:
        if isinstance(node, CommentedMap) and not node.fa.flow_style():
            for key, (key_line, key_col, *_rest) in _positions(node).items():
                value = node.get(key)
                if isinstance(value, CommentedMap) and _positions(value) and not value.fa.flow_style():
                    line, col, *_rest = next(iter(_positions(value).values()))
                    if line > key_line:
                        mappings[col - key_col] += 1
                elif isinstance(value, CommentedSeq) and _positions(value) and not value.fa.flow_style():
                    line, col = value.lc.item(0)
                    dash = _indent(lines[line]) if line < len(lines) else -1
                    if line > key_line and lines[line][dash:dash + 1] == "-" and dash < col:
                        sequences[(col - key_col, dash - key_col)] += 1
        if isinstance(node, dict):
            for value in node.values():
                walk(value, lines)
        elif isinstance(node, list):
            for value in node:
                walk(value, lines)

    for tree, lines in documents:
        walk(tree, lines)
    style = _Style()
    mapping = mappings.most_common(1)[0][0] if mappings else style.mapping
    sequence, offset = sequences.most_common(1)[0][0] if sequences else (style.sequence, style.offset)
    return _Style(max(mapping, 1), max(sequence, offset + 2), max(offset, 0))


def _positions(node: CommentedMap | CommentedSeq) -> dict:
    """Where the parser found each key or item; keys merged in by `<<:` have none."""
    return node.lc.data or {}


def _detach(node: Any) -> Any:
    """A copy without comments, positions or flow style, to be dumped somewhere new."""
    if isinstance(node, dict):
        return CommentedMap((key, _detach(value)) for key, value in node.items())
    if isinstance(node, list):
        return CommentedSeq(_detach(value) for value in node)
    return node


def _plain(node: Any) -> Any:
    """Comparable data, key order included."""
    if isinstance(node, dict):
        return ("map", tuple((key, _plain(value)) for key, value in node.items()))
    if isinstance(node, list):
        return ("seq", tuple(_plain(value) for value in node))
    return node


def _expect(value: Any, kind: type, what: str, label: str, path: str) -> None:
    if not isinstance(value, kind):
        raise MigrationError(f"{label}: {path} must be {what}, found {type(value).__name__} {value!r:.60}")


def _mappings_at(tree: CommentedMap, path: str, label: str) -> list[tuple[CommentedMap, str]]:
    """The mappings at a path like "spec.postRenderers[].kustomize" ("": the document's
    own), with concrete paths."""
    found: list[tuple[Any, str]] = [(tree, "")]
    for part in path.split(".") if path else ():
        key, many = part.removesuffix("[]"), part.endswith("[]")
        below: list[tuple[Any, str]] = []
        for node, where in found:
            _expect(node, dict, "a mapping", label, where or "the document")
            here = f"{where}.{key}".lstrip(".")
            value = node.get(key)
            if value is None:
                continue
            if many:
                _expect(value, list, "a list", label, here)
                below += [(item, f"{here}[{i}]") for i, item in enumerate(value) if item is not None]
            else:
                below.append((value, here))
        found = below
    for node, where in found:
        _expect(node, dict, "a mapping", label, where)
    return found


class _Unspliceable(Exception):
    """A change the line editor cannot express; the document is re-dumped instead."""


# --- one document ---------------------------------------------------------------------


class _Document:
    """One YAML document being migrated: rules queue changes, render() applies them.

    Each change is recorded twice: as a line edit on the original text, computed from the
    parsed nodes' positions before anything moves, and as a change to the parsed tree. The
    tree is the reference; the line edits are used when they reproduce it exactly.
    """

    def __init__(self, text: str, tree: CommentedMap, style: _Style, new_api: str) -> None:
        self.text, self.tree, self.style, self.new_api = text, tree, style, new_api
        self.lines = document_split.lines(text)
        meta = tree.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        self.label = f"{tree.get('kind', 'document')}/{name or '<unnamed>'}"
        self.notes: list[str] = []
        self._edits: list[tuple[int, int, str]] | None = []  # (first line, end line, new text)
        self._tree_changes: list[Callable[[], None]] = []

    def note(self, message: str) -> None:
        self.notes.append(f"{self.label}: {message}")

    def dump_block(self, node: Any) -> str:
        """node as a block of YAML text starting in column 0 (for `patch: |`)."""
        return textwrap.dedent(self._dump(_detach(node)))

    # changes ----------------------------------------------------------------------

    def set_api_version(self, new: str) -> None:
        old = self.tree["apiVersion"]
        self.note(f"apiVersion {old} -> {new}")

        def change() -> None:  # a quoted value stays quoted the same way
            self.tree["apiVersion"] = type(old)(new) if isinstance(old, ScalarString) else new

        self._edit(lambda: self._replace_in_line("apiVersion", old, new))
        self._tree_changes.append(change)

    def set_value(self, mapping: CommentedMap, key: str, new: str, path: str) -> None:
        """A string value replaced where it stands, quotes and comment kept."""
        self._check_own(mapping, key, path)
        old = mapping[key]

        def edit() -> list[tuple[int, int, str]]:
            line_no, col = mapping.lc.key(key)
            line = self.lines[line_no]
            at = line.find(str(old), col + len(key))
            if at < 0:
                raise _Unspliceable
            return [(line_no, line_no + 1, line[:at] + new + line[at + len(str(old)):])]

        def change() -> None:
            mapping[key] = type(old)(new) if isinstance(old, ScalarString) else new

        self._edit(edit)
        self._tree_changes.append(change)

    def set_block_line(self, container: CommentedMap | CommentedSeq, key: str | int, pattern: str, new: str,
                       where: str) -> None:
        """In a multi-line string value (a mapping's key or a sequence's item), the one line
        that is all `pattern` (indentation aside) becomes `new`; every other line of it, and
        of the file, as it was. `where` names the value in messages."""
        if isinstance(container, dict):
            self._check_own(container, key, where.rpartition(".")[0])
        old = container[key]
        whole = re.compile(rf"(?m)^([ \t]*){pattern}[ \t]*$")
        replaced, count = whole.subn(lambda match: match.group(1) + new, old)
        if count != 1:
            return  # not one such line: left as it is

        def edit() -> list[tuple[int, int, str]]:
            if isinstance(container, dict):
                start, _, end = self._span(container, key)
            else:
                start, end = self._item_span(container, key)
            edits = [(number, number + 1, whole.sub(lambda match: match.group(1) + new, self.lines[number]))
                     for number in range(start + 1, end) if whole.fullmatch(self.lines[number].rstrip("\r\n"))]
            if len(edits) != 1:
                raise _Unspliceable
            number, _, text = edits[0]
            ending = self.lines[number][len(self.lines[number].rstrip("\r\n")):]
            return [(number, number + 1, text.rstrip("\r\n") + ending)]

        def change() -> None:
            container[key] = type(old)(replaced) if isinstance(old, ScalarString) else replaced

        self._edit(edit)
        self._tree_changes.append(change)

    def remove(self, mapping: CommentedMap, key: str, path: str, keep_comments: bool = True) -> None:
        """key and its value go. keep_comments: the user's comments stay, those above the key
        where they are, the one ending its line and those inside its value as lines of their
        own in its place (a migration drops a field, never what the user wrote about it);
        else the comment lines directly above it go with it (a value the release removed,
        the release's comment with it)."""
        self._check_own(mapping, key, path)

        def edit() -> list[tuple[int, int, str]]:
            start, col, end = self._span(mapping, key, keep_comments=keep_comments)
            if not keep_comments:
                return [(start, end, "")]
            own = _line_comment(self.lines[start]).strip()
            kept = ([own] if own else []) + self._inner_comments(mapping[key], start + 1, end)
            return [(start, end, "".join(" " * col + comment + "\n" for comment in kept))]

        def change() -> None:
            del mapping[key]

        self._edit(edit)
        self._tree_changes.append(change)

    def replace(self, mapping: CommentedMap, key: str, new_key: str, value: Any, path: str) -> None:
        """new_key: value where key was; no comment goes. Those above key stay, the one
        ending key's line ends the new key's line, those inside the old value (a mapping or
        list) go above the new key: the user wrote them, a new value does not make them wrong."""
        self._check_own(mapping, key, path)

        def edit() -> list[tuple[int, int, str]]:
            line, col, end = self._span(mapping, key, keep_comments=True)
            first, newline, rest = self._dump_at(CommentedMap({new_key: value}), col).partition("\n")
            own = _line_comment(self.lines[line])
            if own and not _line_comment(first):
                first += own
            inner = self._inner_comments(mapping[key], line + 1, end)
            return [(line, end, "".join(" " * col + comment + "\n" for comment in inner) + first + newline + rest)]

        def change() -> None:
            position = list(mapping).index(key)
            del mapping[key]
            mapping.insert(position, new_key, value)

        self._edit(edit)
        self._tree_changes.append(change)

    def add(self, mapping: CommentedMap, key: str, value: Any) -> None:
        """key: value as the mapping's last key, in the file's indentation style."""

        def edit() -> list[tuple[int, int, str]]:
            own = [k for k in mapping if k in _positions(mapping)]
            if not own:
                raise _Unspliceable
            _, col, end = self._span(mapping, own[-1], keep_comments=True)
            return [(end, end, self._dump_at(CommentedMap({key: _detach(value)}), col))]

        def change() -> None:
            mapping[key] = _detach(value)

        self._edit(edit)
        self._tree_changes.append(change)

    def extend(self, mapping: CommentedMap, key: str, items: list, path: str, front: bool = False) -> None:
        self._check_own(mapping, key, path)

        def edit() -> list[tuple[int, int, str]]:
            sequence = mapping[key]
            key_line, _, end = self._span(mapping, key, keep_comments=True)
            if not sequence or sequence.fa.flow_style():
                raise _Unspliceable
            first_line = sequence.lc.item(0)[0]
            dash = _indent(self.lines[first_line])
            if first_line <= key_line or self.lines[first_line][dash] != "-":
                raise _Unspliceable
            dumped = document_split.lines(self._dump(CommentedMap(x=CommentedSeq(items))))[1:]  # drop `x:`
            shift = _indent(dumped[0])
            text = "".join(" " * dash + line[shift:] if line.strip() else line for line in dumped)
            at = first_line if front else end
            return [(at, at, text)]

        def change() -> None:
            sequence = mapping[key]
            for offset, item in enumerate(items):
                sequence.insert(offset if front else len(sequence), item)

        self._edit(edit)
        self._tree_changes.append(change)

    # rendering --------------------------------------------------------------------

    def render(self) -> str:
        for change in self._tree_changes:
            change()
        expected = _plain(self.tree)
        if self._edits is not None:
            spliced = self._splice(self._edits)
            if spliced is not None and self._parses_to(spliced, expected):
                return spliced
        redumped = self._redump()
        if not self._parses_to(redumped, expected):
            raise MigrationError(f"{self.label}: could not write the migrated document back as YAML")
        return redumped

    def _edit(self, compute: Callable[[], list[tuple[int, int, str]] | None]) -> None:
        if self._edits is None:
            return
        try:
            self._edits += compute() or []
        except (_Unspliceable, IndexError, KeyError):
            self._edits = None  # positions missing or unusable: re-dump this document

    def _check_own(self, mapping: CommentedMap, key: str, path: str) -> None:
        # A key present only through a `<<:` merge lives in another mapping, maybe one that
        # other objects share; removing it here is not something we can do on our own.
        if key not in _positions(mapping):
            raise MigrationError(
                f"{self.label}: {path}.{key} comes from a YAML merge key (<<:); migrate it by hand"
            )

    def _replace_in_line(self, key: str, old: str, new: str) -> list[tuple[int, int, str]]:
        line_no, col = self.tree.lc.key(key)
        line = self.lines[line_no]
        at = line.find(old, col + len(key))
        if at < 0:
            raise _Unspliceable
        return [(line_no, line_no + 1, line[:at] + new + line[at + len(old):])]

    def _span(self, mapping: CommentedMap, key: str, keep_comments: bool = False) -> tuple[int, int, int]:
        """(first line, key column, end line) of key and its value in a block mapping.

        The comment lines directly above the key, in its column, describe it and go with
        it unless keep_comments. Blank and comment lines after the value, at or left of
        the key's column, introduce what follows and stay.
        """
        if mapping.fa.flow_style():
            raise _Unspliceable
        line, col = mapping.lc.key(key)
        if _indent(self.lines[line]) != col:  # shares its line with `- ` or another key
            raise _Unspliceable
        own_keys = [k for k in mapping if k in _positions(mapping)]
        later = own_keys[own_keys.index(key) + 1:]
        if later:
            end = mapping.lc.key(later[0])[0]
            if end <= line:
                raise _Unspliceable
        else:  # the value runs until a line left of the key, or in its column but no `- `
            end = line + 1
            while end < len(self.lines):
                text = self.lines[end]
                indent = _indent(text)
                if not document_split.is_blank_or_comment(text) and (
                    indent < col or (indent == col and not re.match(r"-(\s|$)", text[indent:]))
                ):
                    break
                end += 1
        while end - 1 > line and document_split.is_blank_or_comment(self.lines[end - 1]) and (
            self.lines[end - 1].strip() == "" or _indent(self.lines[end - 1]) <= col
        ):
            end -= 1
        start = line
        while not keep_comments and start > 0 and _is_comment_at(self.lines[start - 1], col):
            start -= 1
        return start, col, end

    def _item_span(self, sequence: CommentedSeq, index: int) -> tuple[int, int]:
        """(first line, end line) of a block sequence's item: from its `- ` line to the
        next line as far left as that dash, blank and comment lines at the end left out."""
        if sequence.fa.flow_style():
            raise _Unspliceable
        line, _ = sequence.lc.item(index)
        text = self.lines[line]
        dash = _indent(text)
        if not re.match(r"-(\s|$)", text[dash:]):  # the item does not start its line
            raise _Unspliceable
        end = line + 1
        while end < len(self.lines) and (self.lines[end].strip() == "" or _indent(self.lines[end]) > dash):
            end += 1
        while end - 1 > line and document_split.is_blank_or_comment(self.lines[end - 1]):
            end -= 1
        return line, end

    def _inner_comments(self, value: Any, start: int, end: int) -> list[str]:
        """The comments of lines start..end, which hold `value`: whole-line ones and those
        ending a line. None for a string: its lines are text, a `#` in them no comment."""
        if not isinstance(value, (dict, list)) or _holds_multiline_string(value):
            return []
        found = []
        for text in self.lines[start:end]:
            comment = text.strip() if text.lstrip().startswith("#") else _line_comment(text).strip()
            if comment:
                found.append(comment)
        return found

    def _splice(self, edits: list[tuple[int, int, str]]) -> str | None:
        newline = line_ends.of(self.text)
        lines = list(self.lines)
        unterminated = bool(lines) and not lines[-1].endswith("\n")
        if unterminated:
            lines[-1] += newline
        ordered = sorted(edits, reverse=True)
        for (start, end, _), (next_start, next_end, _) in zip(ordered[1:], ordered):
            if end > next_start or (start, end) == (next_start, next_end):
                return None  # overlapping edits: let the re-dump sort it out
        for start, end, text in ordered:
            lines[start:end] = [line_ends.converted(text, newline)] if text else []
        result = "".join(lines)
        return result.removesuffix(newline) if unterminated else result

    def _redump(self) -> str:
        """The whole document dumped again; document markers and line endings kept."""
        first, last = self.lines[0], self.lines[-1]
        head = first if _START_LINE.fullmatch(first) else ""
        tail = last if len(self.lines) > 1 and _END_LINE.fullmatch(last) else ""
        yaml = _yaml(self.style)
        yaml.explicit_start = not head and bool(document_split.DOCUMENT_START.match(first))  # `--- {...}`
        stream = io.StringIO()
        yaml.dump(self.tree, stream)
        body = stream.getvalue()
        if "#" in head:  # ruamel moves a comment after `---` onto a line of its own
            first, _, rest = body.partition("\n")
            body = rest if first.strip() == head[head.index("#"):].strip() else body
        body = line_ends.converted(body, line_ends.of(self.text))
        if not tail and not self.text.endswith("\n"):
            body = body.rstrip("\r\n")
        return head + body + tail

    def _dump(self, node: Any) -> str:
        stream = io.StringIO()
        _yaml(self.style).dump(node, stream)
        return stream.getvalue()

    def _dump_at(self, node: Any, col: int) -> str:
        return "".join(" " * col + line if line.strip() else line for line in document_split.lines(self._dump(node)))

    def _parses_to(self, text: str, expected: Any) -> bool:
        try:
            return _plain(_load(text)) == expected
        except YAMLError:
            return False


# --- files ----------------------------------------------------------------------------


# A document that names a Flux API (and is no Helm template, which Go fills in first).
_FLUX_API_LINE = re.compile(rf"^apiVersion:[ \t]*[\"']?[\w.-]*{re.escape(flux_names.GROUP_SUFFIX[1:])}/", re.MULTILINE)
_UNREADABLE = object()


def _names_flux_api(chunk: str) -> bool:
    return bool(_FLUX_API_LINE.search(chunk)) and "{{" not in chunk


def is_sops_document(tree: Any) -> bool:
    """Whether a document carries SOPS's metadata (a `sops` mapping with its MAC)."""
    sops = tree.get("sops") if isinstance(tree, dict) else None
    return isinstance(sops, dict) and "mac" in sops


def _error_line(error: YAMLError, first_line: int, line_count: int) -> int:
    """The file's line of a parse error: where the parser choked, or, when that is the end
    of the document (an unclosed bracket), where what it was parsing began."""
    problem, context = getattr(error, "problem_mark", None), getattr(error, "context_mark", None)
    mark = context if context is not None and (problem is None or problem.line >= line_count) else problem
    return first_line + min(mark.line, max(line_count - 1, 0)) if mark is not None else first_line


def migrate_text(text: str) -> Migration:
    """Migrate every Flux object in a (multi-document) YAML text; see the module doc.

    A document that is not valid YAML is left as it is (a chart's values.yaml with a
    duplicate key, a Helm template) unless it names a Flux API: a Flux object that cannot
    be read stops the migration (MigrationError, naming the line). A SOPS-encrypted file is
    left whole: rewriting any of it would break its MAC.
    """
    chunks = document_split.split_documents(text)
    parsed: list[Any] = []
    skipped = []
    line_no = 1
    for number, chunk in enumerate(chunks, 1):
        try:  # parsed with \n endings so that comments re-dumped by ruamel carry no \r
            parsed.append(_load(chunk.replace("\r\n", "\n")))
        except YAMLError as error:
            line = _error_line(error, line_no, len(document_split.lines(chunk)))
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            if _names_flux_api(chunk):
                raise MigrationError(f"line {line}: a Flux object that is not valid YAML ({problem})") from None
            parsed.append(_UNREADABLE)
            skipped.append(f"line {line}: a document that is not valid YAML ({problem}) and no Flux object; that "
                           "document left as it is")
        line_no += len(document_split.lines(chunk))
    if any(is_sops_document(tree) for tree in parsed):
        return Migration(text=text, changed=False, skipped=["SOPS-encrypted; left as it is (decrypt it to migrate "
                                                            "a Flux object in it, then encrypt it again)"])
    readable = [(tree, chunk) for tree, chunk in zip(parsed, chunks) if tree is not _UNREADABLE]
    style = _detect_style([(tree, document_split.lines(chunk)) for tree, chunk in readable])

    out, notes = [], []
    for chunk, tree in zip(chunks, parsed):
        api_version = tree.get("apiVersion") if isinstance(tree, dict) else None
        kind = tree.get("kind") if isinstance(tree, dict) else None
        if _is_kustomize_config(tree):
            doc, rules = _Document(chunk, tree, style, ""), _KUSTOMIZE_CONFIG_RULES
        elif not (isinstance(api_version, str) and isinstance(kind, str)) \
                or (new_api := current_api_version(api_version, kind)) is None:
            out.append(chunk)
            continue
        else:
            doc = _Document(chunk, tree, style, new_api)
            group = api_version.rpartition("/")[0]
            rules = _REFERENCE_RULES.get((group, kind), ())
            if new_api != api_version:
                doc.set_api_version(new_api)
                rules = _KINDS[(group, kind)].rules + rules
        for path, rule in rules:
            for mapping, where in _mappings_at(tree, path, doc.label):
                rule(doc, mapping, where)
        if not doc.notes:
            out.append(chunk)
            continue
        out.append(doc.render())
        notes += doc.notes
    result = "".join(out)
    return Migration(text=result, changed=result != text, notes=notes, skipped=skipped)


DELETE = object()  # apply_changes: remove the key


def apply_changes(text: str, changes: list[tuple[int, tuple, Any]]) -> str:
    """`text` with values set (or DELETEd) at paths, every other line as it was.

    A change is (document number among the text's non-empty documents, path of mapping
    keys, new value). The last key of a path is replaced in place, or added as its
    mapping's last key; the mappings above it must exist. Comments, key order, quoting,
    indentation and line ends of everything else are kept (as migrate_text keeps them).
    """
    chunks = document_split.split_documents(text)
    trees = [_load(chunk.replace("\r\n", "\n")) for chunk in chunks]
    style = _detect_style([(tree, document_split.lines(chunk)) for tree, chunk in zip(trees, chunks)])
    documents = [i for i, tree in enumerate(trees) if tree is not None]
    edited: dict[int, _Document] = {}
    for number, path, value in changes:
        index = documents[number]
        tree = trees[index]
        if not isinstance(tree, CommentedMap):
            raise MigrationError(f"document {number + 1} is not a mapping")
        if index not in edited:
            edited[index] = _Document(chunks[index], tree, style, "")
        doc = edited[index]
        *parents, key = path
        mapping = tree
        for part in parents:
            mapping = mapping.get(part) if isinstance(mapping, dict) else None
        if not isinstance(mapping, CommentedMap):
            raise MigrationError(f"{doc.label}: no mapping at {'.'.join(map(str, parents))}")
        where = ".".join(map(str, parents))
        if value is DELETE:
            if key in mapping:
                doc.remove(mapping, key, where, keep_comments=False)
        elif key in mapping:
            doc.replace(mapping, key, key, _detach(value), where)
        else:
            doc.add(mapping, key, value)
    return "".join(edited[i].render() if i in edited else chunk for i, chunk in enumerate(chunks))


def migrate_file(path: Path) -> Migration:
    """Migrate one file in place; it is written only if something changed."""
    path = Path(path)
    try:
        migration = migrate_text(path.read_bytes().decode("utf-8"))  # bytes: CRLF stays CRLF
    except UnicodeDecodeError as error:
        raise MigrationError(f"{path}: not UTF-8 text: {error}") from None
    except MigrationError as error:
        raise MigrationError(f"{path}: {error}") from None
    if migration.changed:
        repo_files.write_bytes(path.parent, path.name, migration.text.encode("utf-8"))
    return migration


def replace_field(text: str, kind: str, path: str, key: str, new_key: str, value: Any) -> tuple[str, str]:
    """`key` of the mapping at `path` ("spec") of the text's one `kind` document replaced by
    `new_key: value`, where it stood; the comments above it stay, every other line is kept
    byte for byte (the document is re-dumped whole only where lines cannot be spliced).

    Returns the new text and the lines that held `key` and its value, so that the caller
    can tell what was there (their comments stay, with `new_key`). MigrationError when the
    text is not YAML, has no or several `kind` documents, or the mapping has no own `key`.
    """
    chunks = document_split.split_documents(text)
    try:
        parsed = [_load(chunk.replace("\r\n", "\n")) for chunk in chunks]
    except YAMLError as error:
        raise MigrationError(f"not valid YAML: {error}") from None
    found = [i for i, tree in enumerate(parsed) if isinstance(tree, dict) and tree.get("kind") == kind]
    if len(found) != 1:
        raise MigrationError(f"expected one {kind}, found {len(found)}")
    index = found[0]
    tree = parsed[index]
    style = _detect_style([(t, document_split.lines(c)) for t, c in zip(parsed, chunks)])
    doc = _Document(chunks[index], tree, style, str(tree.get("apiVersion")))
    [(mapping, where)] = _mappings_at(tree, path, doc.label) or [(None, path)]
    if not isinstance(mapping, dict) or key not in mapping:
        raise MigrationError(f"{doc.label}: no {path}.{key}")
    try:
        start, _, end = doc._span(mapping, key, keep_comments=True)
        removed = "".join(doc.lines[start:end])
    except (_Unspliceable, IndexError, KeyError):
        removed = ""
    doc.replace(mapping, key, new_key, _detach(value), where)
    chunks[index] = doc.render()
    return "".join(chunks), removed
