"""The objects Flux applies, as kustomize builds them, traced back to the documents they come from.

What a cluster gets from a Flux Kustomization is its path's build output: overlays'
patches, components, generators, namePrefix and the namespace already applied. Checks of
what Flux applies look at those objects; a problem is reported at the document an object
comes from (the base's document for a field an overlay patched: a patch names no object
of its own), at the line of the deepest field of the problem's path that document has.

An object is traced by kind, API group and name (a namePrefix/nameSuffix may wrap the
name), preferring a document below the Kustomization's path and in the same namespace.
An object no document holds is reported at the kustomize generator that makes it (the
`configMapGenerator` or `secretGenerator` entry of its name, below the Kustomization's path
first), else at the Kustomization.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Iterator

import yaml

from flux_cookbook.extensions import bounded_yaml
from flux_cookbook.extensions.kustomize_listing import named_paths
from flux_cookbook.repository import yaml_lines
from flux_cookbook.repository.flux_build import BuildResult, FluxKustomization
from flux_cookbook.repository.model import Generator, Repository, api_group, is_hidden, is_kustomize_config, is_under
from flux_cookbook.repository.yaml_lines import LineMap


@dataclass(frozen=True)
class Source:
    path: str  # repository-relative file
    line: int  # where its document starts
    obj: LineMap | None  # the document (None: no document holds the object)

    def line_at(self, keys: tuple) -> int:
        """The line of the deepest of `keys` the document has (its start if none)."""
        return yaml_lines.line_at(self.obj, self.line, keys)


@dataclass(frozen=True)
class Built:
    """One object of one Flux Kustomization's build output."""

    obj: dict
    kustomization: FluxKustomization
    source: Source
    text: str = ""  # its document in the build output: what kustomize-controller's postBuild substitutes in


def objects(output: str) -> list[dict]:
    return [obj for obj, _ in output_documents(output)]


def output_documents(output: str) -> list[tuple[dict, str]]:
    """(object, its document's text) of each object of a build output (kustomize writes
    one document per object, each after a `---` line but the first)."""
    texts = re.split(r"(?m)^---[ \t]*\n", output)
    found = []
    for text in texts:
        obj = yaml.load(text, Loader=bounded_yaml.SAFE_LOADER) if text.strip() else None
        if isinstance(obj, dict):
            found.append((obj, text))
    return found


class _Documents:
    """The repository's documents by (group, kind): the candidates an object comes from;
    and kustomize's generator entries by kind, for the objects no document holds."""

    def __init__(self, repo: Repository):
        self.by_kind: dict[tuple[str, str], list[tuple[str, int, LineMap]]] = {}
        patches = _patch_files(repo)
        for path, documents in repo.documents.items():
            if is_kustomize_config(path) or is_hidden(path) or path in patches:
                continue
            for document in documents:
                if isinstance(document.obj, LineMap):
                    key = (api_group(document.obj), str(document.obj.get("kind", "")))
                    self.by_kind.setdefault(key, []).append((path, document.line, document.obj))
        self.generators: dict[str, list[Generator]] = {}
        for generator in repo.generators:
            self.generators.setdefault(generator.kind, []).append(generator)

    def generator_of(self, obj: dict, name: str, kustomization: FluxKustomization) -> Source | None:
        """The generator entry that makes `obj` (named `name`, a hash suffix added), if any."""
        if api_group(obj):
            return None
        ranked = [((not is_under(g.path, kustomization.path), g.name != name, g.path, g.line), g.path, g.line)
                  for g in self.generators.get(str(obj.get("kind", "")), []) if g.name in name]
        if not ranked:
            return None
        _, path, line = min(ranked)
        return Source(path, line, None)

    def source_of(self, obj: dict, kustomization: FluxKustomization) -> Source:
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        name, namespace = str(meta.get("name", "")), meta.get("namespace")
        ranked = []
        for path, line, doc in self.by_kind.get((api_group(obj), str(obj.get("kind", ""))), []):
            doc_meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
            doc_name = str(doc_meta.get("name", ""))
            if not doc_name or doc_name not in name:
                continue  # a namePrefix or nameSuffix only adds to the name
            ranked.append(((doc_name != name, not is_under(path, kustomization.path),
                            doc_meta.get("namespace") not in (None, namespace), path, line), path, line, doc))
        if not ranked:
            return self.generator_of(obj, name, kustomization) or Source(kustomization.file, kustomization.line, None)
        _, path, line, doc = min(ranked, key=lambda item: item[0])
        return Source(path, line, doc)


def _patch_files(repo: Repository) -> set[str]:
    """The files a kustomization names as patches (an overlay's `patches: [{path: ...}]`,
    `patchesStrategicMerge`): an object in one is a part to merge into another, which the
    object comes from, never the object itself (it lacks what the base says)."""
    found = set()
    for path, documents in repo.documents.items():
        if not is_kustomize_config(path):
            continue
        for document in documents:
            if isinstance(document.obj, dict):
                found |= {posixpath.normpath(posixpath.join(posixpath.dirname(path), named))
                          for field, named, _ in named_paths(document.obj) if field.startswith("patches")}
    return found


def built_objects(repo: Repository, results: list[BuildResult]) -> Iterator[Built]:
    """Each object of each successful build, with the document it comes from."""
    candidates = _Documents(repo)
    for result in results:
        if not result.ok or not result.output:
            continue
        for obj, text in output_documents(result.output):
            yield Built(obj, result.kustomization, candidates.source_of(obj, result.kustomization), text)
