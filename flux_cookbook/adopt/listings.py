"""Kustomization files that list, by its old name, a file adopt renames or takes apart: a
folder's build that lists it would break, or, for a file that keeps some of its objects,
quietly lose those moved out (and Flux would prune them).

Each such entry of the fields that list whole files (`resources`, `components`, `bases`,
`crds`, `patchesStrategicMerge`) names where the objects are now: the new file of a file
renamed; the files a file was taken apart into, beside it where it keeps objects, each as
an item of its own after it. A patch's `path` naming a file renamed names the new one.
Paths are written as the file writes them (relative to the kustomization's folder, `./`
kept, quotes kept, line ends kept), and nothing else of the file changes. Any other entry
(a generator's `files`) is named in the refusal when the build breaks: the user changes
it, and adopts again.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from pathlib import Path

import yaml

from flux_cookbook.extensions import bounded_yaml, kustomize_listing
from flux_cookbook.extensions.flux_names import kustomize_config_field
from flux_cookbook.repository.model import is_kustomize_config, repository_files

FILE_LISTS = ("resources", "components", "bases", "crds", "patchesStrategicMerge")
PATCH_LISTS = ("patches", "patchesJson6902")


def relisted(repo: Path, parts: dict[str, tuple[tuple[str, ...], bool]]) -> tuple[dict[str, str], list[str]]:
    """(kustomization file -> its text with each entry naming a file of `parts` naming where
    its objects are; a line for each entry). `parts`: a file adopt moves or takes apart ->
    (the files its objects go to, whether it keeps some), paths from the repository's top."""
    texts, said = {}, []
    for config in filter(is_kustomize_config, repository_files(repo)):
        try:
            text = (repo / config).read_bytes().decode("utf-8")  # its line ends as they are
            bounded_yaml.check(text, config)
            root = yaml.compose(text)
        except (yaml.YAMLError, OSError, UnicodeDecodeError, ValueError):
            continue  # the build check names it
        folder = posixpath.dirname(config)
        edits = []
        for field, scalar, flow in _listed_paths(root):
            source = posixpath.normpath(posixpath.join(folder, scalar.value))
            if source not in parts:
                continue
            targets, kept = parts[source]
            if field in PATCH_LISTS and (kept or len(targets) > 1):
                continue  # a patch is no list of objects: named if the build breaks
            entries = [scalar.value] * kept + [_spelt_like(scalar.value, posixpath.relpath(target, folder or "."))
                                               for target in targets]
            quote = scalar.style if scalar.style in ("'", '"') else ""
            written = [f"{quote}{entry}{quote}" for entry in entries]
            start, end = scalar.start_mark.index, scalar.end_mark.index
            edits.append((start, end, ", ".join(written) if flow else written[0]))
            if not flow and written[1:]:
                edits.append(_items_after(text, start, end, written[1:]))
            said.append(f"{config}: {scalar.value} -> {', '.join(entries)}")
        for start, end, new in sorted(edits, reverse=True):
            text = text[:start] + new + text[end:]
        if edits:
            texts[config] = text
    return texts, said


def _items_after(text: str, start: int, end: int, written: list[str]) -> tuple[int, int, str]:
    """An edit adding `written` as block sequence items after the item at start:end, each on
    a line of its own at the item's indentation, after its line's comment."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = len(text) if (found := text.find("\n", end)) < 0 else found
    crlf = text[line_end - 1:line_end] == "\r"
    line_end -= crlf
    line = text[line_start:start]
    item = " " * (len(line) - len(line.lstrip(" "))) + "- "
    newline = "\r\n" if crlf else "\n"
    return line_end, line_end, "".join(f"{newline}{item}{entry}" for entry in written)


def _listed_paths(root: yaml.Node | None) -> Iterator[tuple[str, yaml.ScalarNode, bool]]:
    """(field, a one-line path scalar, in a flow sequence) of FILE_LISTS' items and
    PATCH_LISTS' `path`s."""
    if not isinstance(root, yaml.MappingNode):
        return
    for key, value in root.value:
        field = kustomize_config_field(key.value) if isinstance(key, yaml.ScalarNode) else None
        if not isinstance(value, yaml.SequenceNode):
            continue
        if field in FILE_LISTS:
            yield from ((field, item, bool(value.flow_style)) for item in value.value if _a_path(item))
        elif field in PATCH_LISTS:
            for patch in value.value:
                if isinstance(patch, yaml.MappingNode):
                    yield from ((field, item, False) for name, item in patch.value
                                if isinstance(name, yaml.ScalarNode) and name.value == "path" and _a_path(item))


def _a_path(node: yaml.Node) -> bool:
    # A one-line scalar (an inline patch in patchesStrategicMerge is a block of YAML).
    return isinstance(node, yaml.ScalarNode) and node.style in (None, "", "'", '"') and "\n" not in node.value


def _spelt_like(old: str, new: str) -> str:
    return f"./{new}" if old.startswith("./") else new


def unlisted(repo: Path, renamed: dict[str, tuple[str, ...]]) -> list[str]:
    """What to change where a kustomization file names, by its old name, a file adopt takes
    apart or renames, in an entry `relisted` does not repoint: one line per entry."""
    found = []
    for config in filter(is_kustomize_config, repository_files(repo)):
        try:
            read = bounded_yaml.load((repo / config).read_text(encoding="utf-8"), config)
        except (yaml.YAMLError, OSError, UnicodeDecodeError, ValueError):
            continue  # the build check names it
        if not isinstance(read, dict):
            continue
        folder = posixpath.dirname(config)
        fields = {kustomize_config_field(key) or key: value for key, value in read.items()}  # as kustomize reads it
        for field, entry, _ in kustomize_listing.named_paths(fields):
            source = posixpath.normpath(posixpath.join(folder, entry))
            targets = renamed.get(source)
            if not targets or field in FILE_LISTS or (len(targets) == 1 and field in PATCH_LISTS):
                continue  # relisted
            where = f"{config} lists {entry}" + ("" if field == "resources" else f" in its {field}")
            if len(targets) == 1:
                found.append(f"{where}, which adopt renames to {targets[0]}: rename it so yourself "
                             f"(git mv {source} {targets[0]}), list the new name there, commit, and adopt again.")
            else:
                found.append(f"{where}, which adopt takes apart into {', '.join(targets)}: take it apart so yourself, "
                             "list those files there instead, commit, and adopt again.")
    return found
