"""ref.namespace: every namespace a Flux Kustomization applies objects into exists by then.

kustomize-controller applies a path's build output as one set; an object whose
`metadata.namespace` names a namespace the cluster does not have fails with `namespaces
"<ns>" not found`, and the whole Kustomization stays not Ready. What counts here is the
build output (flux_build: Flux's targetNamespace and kustomize's `namespace:` already
applied), so the namespace checked is the one the object really goes into.

A namespace exists when:
- Kubernetes makes it (check.BUILTIN_NAMESPACES), or Flux runs in it (flux-system: `flux
  bootstrap` declares it in gotk-components.yaml, and every Kustomization object lives in
  a namespace that exists, or it would not run);
- the same build output declares it: kustomize-controller applies Namespaces (and CRDs)
  before the other objects of one apply;
- the output of another Flux Kustomization declares it, and that one has applied first:
  the applying Kustomization `dependsOn` it, or it applies the applying Kustomization
  itself (the bootstrap folder applying both namespaces/ and kustomizations/), or either
  holds for a Kustomization before it, transitively.
Declared elsewhere but in no such order is a race Flux settles by retrying (a warning);
declared nowhere never settles (an error). So is a HelmRelease's targetNamespace or
storageNamespace nothing declares (unless install.createNamespace makes the target one). Cluster-scoped kinds have no namespace
(kind_scopes, with the scopes of the CRDs the repository itself applies).

Not checked in a cluster while a path of it fails to build, nor while an applied file does
not parse (what it would declare is unknown; the build or yaml.parse problem names it), nor
a namespace that postBuild substitution fills in (`${...}`), nor objects without a namespace.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import dataclass

from flux_cookbook.check.object_index import applied_kustomization_spec, kustomization_spec, metadata_of, substituted
from flux_cookbook.check.problems import BUILTIN_NAMESPACES, ERROR, WARNING, Problem
from flux_cookbook.extensions import bounded_yaml, layout
from flux_cookbook.extensions.flux_names import FLUX_SYSTEM, HELM_GROUP, KUSTOMIZE_CONFIG_FILES, KUSTOMIZE_GROUP
from flux_cookbook.repository import kind_scopes
from flux_cookbook.repository.flux_build import BuildResult, FluxKustomization
from flux_cookbook.repository.model import Repository, api_group, is_kustomize_config, is_under
from flux_cookbook.repository.yaml_lines import LineMap, line_at

RULE = "ref.namespace"


@dataclass(frozen=True)
class _Applied:
    """One namespaced object of a build output: what it is and where it goes."""

    group: str
    kind: str
    name: str
    namespace: str

    def label(self) -> str:
        return f"{self.kind} {self.name}"


def _objects(output: str) -> list[dict]:
    return [doc for doc in bounded_yaml.load_all(output, "kustomize's output") if isinstance(doc, dict)]


def _key(k: FluxKustomization) -> tuple[str, str]:
    return (k.namespace or FLUX_SYSTEM, k.name)


class _Order:
    """Which Flux Kustomizations have applied before a given one: those it dependsOn and
    those that apply it, transitively."""

    def __init__(self, repo: Repository, outputs: dict[str, list[dict]], kustomizations: list[FluxKustomization]):
        self.kustomizations = {_key(k): k for k in kustomizations}
        applied_by: dict[tuple[str, str], set[str]] = defaultdict(set)  # Kustomization -> paths whose output holds it
        for path, objects in outputs.items():
            for obj in objects:
                if obj.get("kind") == "Kustomization" and api_group(obj) == KUSTOMIZE_GROUP:
                    applied_by[str(metadata_of(obj).get("namespace") or FLUX_SYSTEM), str(metadata_of(obj).get("name"))].add(path)
        self.before: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        for key, k in self.kustomizations.items():
            # Its parents: the Kustomizations that apply it.
            self.before[key] |= {other for other, parent in self.kustomizations.items() if parent.path in applied_by[key]}
            spec = applied_kustomization_spec(repo, k) or {}
            for entry in spec.get("dependsOn") or []:
                if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    self.before[key].add((str(entry.get("namespace") or key[0]), entry["name"]))

    def all_before(self, key: tuple[str, str]) -> set[tuple[str, str]]:
        seen, todo = set(), [key]
        while todo:
            for earlier in self.before.get(todo.pop(), ()):
                if earlier not in seen:
                    seen.add(earlier)
                    todo.append(earlier)
        return seen


def check_applied_namespaces(repo: Repository, results: list[BuildResult]) -> list[Problem]:
    """ref.namespace problems of the repository, given flux_build.build_all's results for it;
    one per line that puts objects into a namespace that is not there in time."""
    if any(repo.holds_manifests(path) for path in repo.parse_errors):
        return []
    # Several clusters in one repository: each applies its own Kustomizations, in its own order.
    clusters: dict[str, list[BuildResult]] = defaultdict(list)
    for result in results:
        clusters[repo.followed.clusters.get(result.kustomization, "") if repo.followed else ""].append(result)
    # A cluster with a path that does not build is judged once it builds (what that path
    # applies is unknown); the others are judged now.
    return [problem for cluster, found in clusters.items() if all(result.ok for result in found)
            for problem in _check_cluster(repo, found, cluster if len(clusters) > 1 else None)]


def _check_cluster(repo: Repository, results: list[BuildResult], cluster: str | None) -> list[Problem]:
    """`cluster`: its bootstrap folder, when the repository holds several."""
    outputs = {result.kustomization.path: _objects(result.output) for result in results}
    crds = kind_scopes.crd_scopes(obj for objects in outputs.values() for obj in objects)
    declared: dict[str, set[str]] = defaultdict(set)  # namespace -> paths whose output declares it
    for path, objects in outputs.items():
        for obj in objects:
            if obj.get("kind") == "Namespace" and api_group(obj) == "" and isinstance(metadata_of(obj).get("name"), str):
                declared[metadata_of(obj)["name"]].add(path)
    order = _Order(repo, outputs, [result.kustomization for result in results])
    # (file, line, namespace) -> [the applying Kustomization, the objects that line puts there]
    found: dict[tuple[str, int, str], list] = {}
    unplaced: list[Problem] = []  # namespaced objects the build leaves without a namespace
    for result in results:
        applier = result.kustomization
        earlier_paths = {order.kustomizations[key].path for key in order.all_before(_key(applier))
                         if key in order.kustomizations}
        exists = {*BUILTIN_NAMESPACES, FLUX_SYSTEM, applier.namespace or FLUX_SYSTEM}
        for obj in outputs[applier.path]:
            namespace = metadata_of(obj).get("namespace")
            if not namespace and kind_scopes.surely_namespaced(api_group(obj), str(obj.get("kind", "")), crds):
                unplaced.append(_unplaced(repo, applier, obj))
                continue
            if not isinstance(namespace, str) or not namespace or substituted(namespace):
                continue
            if namespace in exists or applier.path in declared[namespace] or declared[namespace] & earlier_paths:
                continue
            if not kind_scopes.is_namespaced(api_group(obj), str(obj.get("kind", "")), crds):
                continue
            applied = _Applied(api_group(obj), str(obj.get("kind", "")), str(metadata_of(obj).get("name", "")), namespace)
            where = _where(repo, applier, applied)
            found.setdefault((*where, namespace), [applier, []])[1].append(applied)
    problems = list(dict.fromkeys(unplaced))  # a folder two Kustomizations apply: said once
    for (path, line, namespace), (applier, objects) in found.items():
        problems.append(_problem(repo, path, line, applier, objects, declared[namespace], order, cluster))
    for result in results:
        problems += [problem for obj in outputs[result.kustomization.path]
                     for problem in _release_namespaces(repo, result.kustomization, obj, declared, cluster)]
    return list(dict.fromkeys(problems))


def _release_namespaces(repo: Repository, applier: FluxKustomization, obj: dict, declared: dict[str, set[str]],
                        cluster: str | None) -> list[Problem]:
    """A HelmRelease's targetNamespace (where Helm installs) and storageNamespace (where it
    keeps the release) that nothing declares: helm-controller's install fails, namespace
    not found, unless install.createNamespace makes the target one. Declared by any path
    of the cluster is enough: helm-controller retries until it exists."""
    if obj.get("kind") != "HelmRelease" or api_group(obj) != HELM_GROUP:
        return []
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    install = spec.get("install") if isinstance(spec.get("install"), dict) else {}
    created = spec.get("targetNamespace") if install.get("createNamespace") is True else None
    problems = []
    for field in ("targetNamespace", "storageNamespace"):
        namespace = spec.get(field)
        if (not isinstance(namespace, str) or not namespace or substituted(namespace) or namespace == created
                or namespace in BUILTIN_NAMESPACES or namespace == FLUX_SYSTEM or declared.get(namespace)):
            continue
        applied = _Applied(HELM_GROUP, "HelmRelease", str(metadata_of(obj).get("name", "")), str(metadata_of(obj).get("namespace", "")))
        source = _source_document(repo, applier.path, applied)
        path, line = (source[0], line_at(source[2], source[1], ("spec", field))) if source else (applier.file, applier.line)
        file = layout.namespace_file(repo.bootstrap_dir if cluster is None else cluster, namespace).lstrip("/")
        also = " (or set spec.install.createNamespace: true)" if field == "targetNamespace" else ""
        problems.append(Problem(path, line, RULE, ERROR,
                                f"HelmRelease {applied.namespace}/{applied.name}: spec.{field} {namespace} names a namespace "
                                f"nothing in this repository declares: helm-controller's install fails until it exists "
                                f"(namespaces \"{namespace}\" not found). Declare it in {file}{also}"))
    return problems


def _unplaced(repo: Repository, applier: FluxKustomization, obj: dict) -> Problem:
    """A namespaced object the build leaves without a namespace: kustomize-controller does
    not default it, and the cluster refuses to apply it (`namespace not specified`)."""
    applied = _Applied(api_group(obj), str(obj.get("kind", "")), str(metadata_of(obj).get("name", "")), "")
    source = _source_document(repo, applier.path, applied)
    made_by = [(g.path, g.line) for g in repo.generators  # a generator's name gains a hash
               if g.kind == applied.kind and applied.name.startswith(g.name) and is_under(g.path, applier.path)]
    path, line = (source[0], source[1]) if source is not None else min(made_by, default=(applier.file, applier.line))
    return Problem(path, line, RULE, ERROR,
                   f"{applied.label()} has no namespace, and {applier.label()} sets no targetNamespace: Flux "
                   "applies it without one, which the cluster refuses (namespace not specified). Give it "
                   "metadata.namespace, or the folder's kustomization.yaml a `namespace:`")


def _problem(repo: Repository, path: str, line: int, applier: FluxKustomization, objects: list[_Applied],
             declaring: set[str], order: _Order, cluster: str | None) -> Problem:
    namespace = objects[0].namespace
    what = objects[0].label() + (f" (and {len(objects) - 1} more object{'s' * (len(objects) > 2)})" if len(objects) > 1 else "")
    by = applier.label()
    missing = f'until it exists the apply fails with namespaces "{namespace}" not found'
    if not declaring:
        file = layout.namespace_file(repo.bootstrap_dir if cluster is None else cluster, namespace).lstrip("/")
        nothing = "nothing in this repository declares" if cluster is None else f"nothing the cluster {cluster or '.'}/ applies declares"
        if (started := repo.start_dir) is not None:
            # check --path sees only what that folder applies: the namespace may be declared elsewhere.
            applying = "" if applier.stand_in else f"{by} applies it, and "
            return Problem(path, line, RULE, ERROR,
                           f"{what} goes into namespace {namespace}, which nothing applied from --path "
                           f"{started or '.'} declares: {applying}{missing}. Declare the namespace "
                           f"in a file that folder applies, or check the whole repository (no --path)")
        return Problem(path, line, RULE, ERROR,
                       f"{what} goes into namespace {namespace}, which {nothing}: "
                       f"{by} applies it, and {missing}. Declare the namespace in {file}, or fix the namespace")
    declarers = sorted(key for key, k in order.kustomizations.items() if k.path in declaring)
    first = declarers[0] if declarers else (FLUX_SYSTEM, "?")
    entry = f"{{name: {first[1]}}}" if first[0] == (applier.namespace or FLUX_SYSTEM) else f"{{name: {first[1]}, namespace: {first[0]}}}"
    named = ", ".join(f"Kustomization {ns}/{name} (path {order.kustomizations[ns, name].path or '.'})" for ns, name in declarers)
    return Problem(path, line, RULE, WARNING,
                   f"{what} goes into namespace {namespace}, which only {named} declares; {by} applies it "
                   f"and does not depend on that one, so it may run first, and {missing} (Flux retries). "
                   f"Add dependsOn: [{entry}] to Kustomization {applier.name}")


def _where(repo: Repository, applier: FluxKustomization, applied: _Applied) -> tuple[str, int]:
    """The file and line that put the object into its namespace: the Flux Kustomization's
    targetNamespace, the object's own metadata.namespace, a kustomization file's
    `namespace:`; the object's own line, or the Kustomization's if no file holds it."""
    spec = kustomization_spec(repo, applier)
    if spec is not None and spec.get("targetNamespace") == applied.namespace:
        return applier.file, spec.line_of("targetNamespace")
    source = _source_document(repo, applier.path, applied)
    if source is None:
        return applier.file, applier.line
    path, line, obj = source
    meta = obj.get("metadata")
    if isinstance(meta, LineMap) and meta.get("namespace") == applied.namespace:
        return path, meta.line_of("namespace")
    return _kustomize_namespace(repo, path, applied.namespace) or (path, line)


def _source_document(repo: Repository, folder: str, applied: _Applied) -> tuple[str, int, LineMap] | None:
    """The repository's document that defines the object (same group, kind and name); of
    several, one in the applied folder and naming that namespace first."""
    candidates = []
    for path, documents in repo.documents.items():
        if is_kustomize_config(path):
            continue
        for document in documents:
            obj = document.obj
            if (isinstance(obj, LineMap) and obj.get("kind") == applied.kind and api_group(obj) == applied.group
                    and metadata_of(obj).get("name") == applied.name):
                rank = (not is_under(path, folder), metadata_of(obj).get("namespace") != applied.namespace, path, document.line)
                candidates.append((rank, path, document.line, obj))
    if not candidates:
        return None
    _, path, line, obj = min(candidates, key=lambda c: c[0])
    return path, line, obj


def _kustomize_namespace(repo: Repository, path: str, namespace: str) -> tuple[str, int] | None:
    """The `namespace:` line of the nearest kustomization file above `path` that sets it."""
    folder = posixpath.dirname(path)
    while True:
        for name in KUSTOMIZE_CONFIG_FILES:
            config = posixpath.join(folder, name) if folder else name
            for document in repo.documents.get(config, []):
                if isinstance(document.obj, LineMap) and document.obj.get("namespace") == namespace:
                    return config, document.obj.line_of("namespace")
        if not folder:
            return None
        folder = posixpath.dirname(folder)
