"""Kustomization files that list, by its old name, a file adopt renames or takes apart: a
folder's build that lists it would break.

An entry naming a file adopt renames (one new name) is repointed: its path, as the file
writes it (relative to the kustomization's folder, `./` kept, its quotes kept), names the
new file, and nothing else of the file changes. That is done for the fields that list
whole files (`resources`, `components`, `bases`, `crds`, `patchesStrategicMerge`) and a
patch's `path`. Any other entry (a file adopt takes apart into several, a generator's
`files`) is named in the refusal when the build breaks: the user changes it, and adopts again.
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


def relisted(repo: Path, renamed: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """(kustomization file -> its text with each entry naming a file of `renamed` (old path
    -> new path, from the repository's top) naming the new one; a line for each entry)."""
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
        for scalar in _listed_paths(root):
            source = posixpath.normpath(posixpath.join(folder, scalar.value))
            if source in renamed:
                new = _spelt_like(scalar.value, posixpath.relpath(renamed[source], folder or "."))
                quote = scalar.style if scalar.style in ("'", '"') else ""
                edits.append((scalar.start_mark.index, scalar.end_mark.index, f"{quote}{new}{quote}"))
                said.append(f"{config}: {scalar.value} -> {new}")
        for start, end, new in sorted(edits, reverse=True):
            text = text[:start] + new + text[end:]
        if edits:
            texts[config] = text
    return texts, said


def _listed_paths(root: yaml.Node | None) -> Iterator[yaml.ScalarNode]:
    """The plain path scalars of FILE_LISTS' items and PATCH_LISTS' `path`s."""
    if not isinstance(root, yaml.MappingNode):
        return
    for key, value in root.value:
        field = kustomize_config_field(key.value) if isinstance(key, yaml.ScalarNode) else None
        if field in FILE_LISTS and isinstance(value, yaml.SequenceNode):
            yield from (item for item in value.value if _a_path(item))
        elif field in PATCH_LISTS and isinstance(value, yaml.SequenceNode):
            for patch in value.value:
                if isinstance(patch, yaml.MappingNode):
                    yield from (item for name, item in patch.value
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
            if not targets or (len(targets) == 1 and field in FILE_LISTS + PATCH_LISTS):
                continue
            where = f"{config} lists {entry}" + ("" if field == "resources" else f" in its {field}")
            if len(targets) == 1:
                found.append(f"{where}, which adopt renames to {targets[0]}: rename it so yourself "
                             f"(git mv {source} {targets[0]}), list the new name there, commit, and adopt again.")
            else:
                found.append(f"{where}, which adopt takes apart into {', '.join(targets)}: take it apart so yourself, "
                             "list those files there instead, commit, and adopt again.")
    return found
