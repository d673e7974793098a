"""The objects check's ref.* and values.* rules look up: each applied object by kind,
namespace and name, with those generated at run time (a Kustomization's generators)."""

from __future__ import annotations

import base64
import binascii
import re
from collections import defaultdict
from typing import Iterable

from flux_cookbook.check.problems import SEALED_SECRETS_GROUP
from flux_cookbook.extensions import layout
from flux_cookbook.extensions.flux_names import ARTIFACT_GENERATOR, ARTIFACT_GENERATOR_GROUP, FLUX_SYSTEM
from flux_cookbook.repository import post_build
from flux_cookbook.repository.model import (
    Generator,
    Manifest,
    Repository,
    api_group,
    applied_namespace,
)
from flux_cookbook.repository.yaml_lines import LineList, LineMap

# What each reference may name, as Flux 2.9's CRDs list it.

# The key a HelmRelease's valuesFrom reads when it names none.
DEFAULT_VALUES_KEY = layout.VALUES_KEY


# Objects that make a Secret or ConfigMap of their own name at run time: (group, kind) ->
# the kinds they make, and the keys when known (None: the cluster decides).
RUN_TIME_MAKERS: dict[tuple[str, str], dict[str, frozenset[str] | None]] = {
    (SEALED_SECRETS_GROUP, "SealedSecret"): {"Secret": None},
    ("external-secrets.io", "ExternalSecret"): {"Secret": None},
    ("objectbucket.io", "ObjectBucketClaim"): {
        "ConfigMap": frozenset({"BUCKET_HOST", "BUCKET_NAME", "BUCKET_PORT", "BUCKET_REGION", "BUCKET_SUBREGION"}),
        "Secret": frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}),
    },
}


class Index:
    """The objects the repository's applied folders define, by (kind, namespace, name); with
    `cluster`, those that cluster applies (a repository of several clusters: each looks up
    its own), and `scope` says which in messages."""

    def __init__(self, repo: Repository, cluster: str | None = None):
        self.by_id: dict[tuple[str, str, str], list[Manifest]] = defaultdict(list)
        several = len({c for clusters in repo.folder_clusters.values() for c in clusters}) > 1
        self.scope = f"the cluster {cluster or '.'}/ does not apply" if cluster is not None and several \
            else "this repository does not define"
        if (started := repo.start_dir) is not None:
            # check --path sees only what that folder applies, not what the rest applies.
            self.scope = f"nothing applied from --path {started or '.'} defines"
        manifests = [m for m in repo.manifests
                     if cluster is None or not repo.clusters_of(m) or cluster in repo.clusters_of(m)]
        for manifest in manifests:
            self.by_id[manifest.kind, manifest.namespace, manifest.name].append(manifest)
        # Not yet bootstrapped: `flux bootstrap` will make the GitRepository for this repository,
        # and the Kustomization syncing it (which another may depend on).
        # Clusters are bootstrapped one by one: this one may still be to come where another is not.
        to_come = not repo.bootstrapped or (repo.followed is not None and cluster in repo.followed.to_bootstrap)
        self.assumed = {("GitRepository", FLUX_SYSTEM, FLUX_SYSTEM), ("Kustomization", FLUX_SYSTEM, FLUX_SYSTEM)} \
            if to_come else set()
        made = _generated_objects(repo)
        self.generated = {key for key, generator in made.items() if not generator.renamed}
        # Generated with a hash added to the name: a reference by the plain name misses it.
        self.renamed = {key: generator for key, generator in made.items() if generator.renamed}
        self.makers = [m for m in manifests if (m.group, m.kind) in RUN_TIME_MAKERS]
        # (kind, namespace, name) -> each object as the builds give it (a namePrefix applied,
        # a component's generator run), where the caller has the builds: see `built_as`.
        self.built: dict[tuple[str, str, str], dict] = {}
        self.built_by_generator: set[tuple[str, str, str]] = set()  # of `built`, those no document holds
        # (path, line) of a document whose name or namespace holds ${...} -> whether every
        # build of it had postBuild fill them in (then `built` has its names, and it is
        # not any name its pattern may become: a reference's typo is not excused).
        self.filled_in: dict[tuple[str, int], bool] = {}
        # The ExternalArtifacts these ArtifactGenerators make on the cluster: no file holds them.
        self.artifacts = {("ExternalArtifact", m.namespace, name) for m in manifests
                          if m.is_a(ARTIFACT_GENERATOR, ARTIFACT_GENERATOR_GROUP) for name in _artifact_names(m)}
        # Kinds of which an object is named by postBuild variables: any name may be one of them.
        self.substituted = [m for m in manifests if substituted(m.name, m.namespace)]
        # An applied file that does not parse may define anything: while there is one,
        # "not defined here" is not said (yaml.parse names the file).
        self.incomplete = any(repo.holds_manifests(path) for path in repo.parse_errors)

    def find(self, kind: str, namespace: str, name: str, group: str | None = None) -> Manifest | None:
        for manifest in self.by_id.get((kind, namespace, name), []):
            if group is None or manifest.group == group:
                return manifest
        return None

    def exists(self, kind: str, namespace: str, name: str, group: str | None = None) -> bool:
        return (
            self.incomplete
            or substituted(namespace, name)
            or self.may_be_substituted(kind, namespace, name)
            or self.find(kind, namespace, name, group) is not None
            or (kind, namespace, name) in self.assumed
            or (kind, namespace, name) in self.generated
            or (kind, namespace, name) in self.artifacts
            or self.built_as(kind, namespace, name)
        )

    def add_built(self, item, fill_in) -> None:
        """One object as a build gives it (`fill_in`: `as_applied(repo)`), by the name it is
        applied with: a namePrefix applied, postBuild's values filled in where the
        Kustomization's own spec has them."""
        kind, name, namespace = str(item.obj.get("kind")), str(metadata_of(item.obj).get("name")), built_namespace(item.obj)
        if substituted(namespace, name):
            filled = fill_in(item, namespace, name)
            known = None not in filled
            where = (item.source.path, item.source.line)
            self.filled_in[where] = self.filled_in.get(where, True) and known
            if known:
                namespace, name = filled
        key = (kind, namespace, name)
        self.built[key] = item.obj
        if item.source.obj is None:
            self.built_by_generator.add(key)

    def may_be_substituted(self, kind: str, namespace: str, name: str) -> bool:
        """Whether an object of `kind` whose name or namespace postBuild variables fill in
        (`web-${CLUSTER}`) may be that one: its name and namespace match with any text for
        each variable. One every build filled in is known by its names (`add_built`)."""
        return any(m.kind == kind and may_become(m.namespace, namespace) and may_become(m.name, name)
                   for m in self.substituted if not self.filled_in.get((m.path, m.line)))

    def built_as(self, kind: str, namespace: str, name: str) -> bool:
        """Whether a build of the cluster gives an object of that name (not in by_id when a
        namePrefix or nameSuffix made it, or a generator no applied folder holds)."""
        return (kind, namespace, name) in self.built

    def named(self, name: str) -> list[Manifest]:
        return [m for (kind, namespace, n), found in self.by_id.items() if n == name for m in found]


def may_become(pattern: str, text: str) -> bool:
    """Whether `text` may be what postBuild makes of `pattern` (each ${...} any text)."""
    parts = re.split(r"\$\{[^}]*\}", pattern)
    return re.fullmatch(".*".join(map(re.escape, parts)), text, re.DOTALL) is not None


def substituted(*texts: str) -> bool:
    """Whether a name holds a ${...} variable that a Kustomization's postBuild fills in on the
    cluster (substituteFrom reads the cluster's ConfigMaps and Secrets): offline, whatever
    it names, or is named by, cannot be known."""
    return any("${" in str(text) for text in texts)


def _generated_objects(repo: Repository) -> dict[tuple[str, str, str], Generator]:
    """ConfigMaps and Secrets a folder's kustomization.yaml generates (configMapGenerator,
    secretGenerator), by the name the generator gives: they exist once built, though no
    file holds them."""
    generated = {}
    for generator in repo.generators:
        folder = repo.folder_of(generator.path)
        if folder is None:
            continue
        # Flux's targetNamespace, else the kustomization's, else the generator's.
        namespace = (repo.folders[folder] or generator.config.get("namespace")
                     or generator.entry.get("namespace") or "default")
        generated[generator.kind, str(namespace), generator.name] = generator
    return generated


def _artifact_names(generator: Manifest) -> list[str]:
    """The names of the ExternalArtifacts an ArtifactGenerator makes (its spec.artifacts)."""
    return [str(entry["name"]) for entry, _ in entries(spec_of(generator), "artifacts") if entry.get("name")]


def spec_of(manifest: Manifest) -> LineMap:
    spec = manifest.obj.get("spec")
    return spec if isinstance(spec, LineMap) else LineMap()


def answers_document(repo: Repository, path: str) -> LineMap | None:
    """The answers an answers file of the repository records, or None where it holds none."""
    docs = repo.documents.get(path) or []
    return docs[0].obj if docs and isinstance(docs[0].obj, LineMap) else None


def kustomization_spec(repo: Repository, kustomization) -> LineMap | None:
    """The spec of a flux_build.FluxKustomization as its file writes it; None for one no
    file defines (check --path's stand-in)."""
    manifest = repo.manifest_of(kustomization)
    return spec_of(manifest) if manifest is not None else None


def applied_kustomization_spec(repo: Repository, kustomization) -> dict | None:
    """The spec of a flux_build.FluxKustomization as Flux applies it: as its parent's build
    outputs it (that build's patches applied, as `flux bootstrap` users add `decryption` to
    flux-system, or a parent adds `postBuild` to its children), else as its file writes it;
    None for one no file defines. For the values; `kustomization_spec` has the lines."""
    built = repo.built_specs.get((kustomization.file, kustomization.line))
    return built if built is not None else kustomization_spec(repo, kustomization)


def applied_post_builds(repo: Repository) -> dict:
    """Each Flux Kustomization followed -> the postBuild it substitutes what it builds with,
    as Flux applies its spec (None: it has none). Once per rule: a spec is found by a
    search of the manifests."""
    return {k: post_build.of(applied_kustomization_spec(repo, k)) for k in repo.kustomizations}


def as_applied(repo: Repository):
    """(item, *texts) -> each text of a built object as the Flux Kustomization applying it
    fills it in with its postBuild (None where that is known on the cluster only)."""
    post_builds = applied_post_builds(repo)

    def fill_in(item, *texts: str) -> list[str | None]:
        if item.kustomization.stand_in:
            # `check --path`'s stand-in for the Kustomization applying the folder, whose
            # postBuild is not known: what it would fill in is not either.
            return [None if substituted(text) else text for text in texts]
        substitutes = None if post_build.disabled(item.obj) else post_builds.get(item.kustomization)
        return [post_build.substitute(text, substitutes) for text in texts]

    return fill_in


def built_namespace(obj: dict) -> str:
    """The namespace a built object is applied in (its build already gave it the target's):
    unset, `default` for a namespaced kind; "" for a kind that has none."""
    return applied_namespace(api_group(obj), str(obj.get("kind")), metadata_of(obj).get("namespace"))


def metadata_of(obj: dict) -> dict:
    """An object's metadata ({} when it has none, or none that is a mapping)."""
    return obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}


def secret_text(value: object) -> str | None:
    """A Secret's data value as the text it stands for (base64 of UTF-8); None otherwise."""
    try:
        return base64.b64decode(str(value), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # (UnicodeDecodeError is a ValueError)
        return None


def entries(parent: LineMap, key: str) -> Iterable[tuple[LineMap, int]]:
    """The mapping items of the list parent[key], each with its line."""
    items = parent.get(key)
    if isinstance(items, LineList):
        for index, item in enumerate(items):
            if isinstance(item, LineMap):
                yield item, items.line_of(index)
