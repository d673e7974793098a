"""`flux-cookbook check`: what Flux, the API server or Helm would refuse, found before a push.

Offline and quick. The repository is read once (repository.py); each rule family below is
one function returning Problems, each naming a repository-relative file, a line, a short
rule id, a severity and a message:

- yaml.parse, yaml.lint                     every YAML file parses (no key twice) and passes
                                            yamllint with the repository's own .yamllint
                                            (else `relaxed`); findings are warnings unless
                                            that file sets a rule's `level: error`
- schema                                    the objects Flux applies, as built, validate
                                            strictly against the CRDs of the repository's
                                            Flux release (CEL rules too), SealedSecret's and
                                            Kubernetes' (flux_versions, built_objects)
- build                                     every Flux Kustomization Flux reaches builds
                                            (flux_build.follow)
- ref.*                                     sources, values, dependencies and health checks
                                            name objects that exist; every namespace objects
                                            are applied into is declared (applied_namespaces)
- convention.*                              the cookbook's layout: one object per file, file
                                            names, namespaces, no plain Secret, answers files
- values.*                                  each app's values parse and fit its chart, when
                                            the chart is in the local chart cache

Errors are what would break a reconciliation; warnings are what the check cannot confirm
offline or what departs from the cookbook's convention without breaking anything.
"""

from __future__ import annotations

import base64
import binascii
import graphlib
import json
import posixpath
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from flux_cookbook.check import yamllint_run
from flux_cookbook.check.applied_namespaces import check_applied_namespaces
from flux_cookbook.check.helm_repository_urls import check_helm_repository_urls
from flux_cookbook.check.problems import BUILTIN_NAMESPACES, ERROR, SEALED_SECRETS_GROUP, WARNING, Problem
from flux_cookbook.check.sealed_secrets_controller import check_sealed_secrets_controller
from flux_cookbook.errors import UserError
from flux_cookbook.extensions import layout
from flux_cookbook.repository import apps
from flux_cookbook.repository.model import (
    FLUX_GROUP_SUFFIX,
    FLUX_SYSTEM,
    HELM_GROUP,
    KUSTOMIZE_GROUP,
    SOURCE_GROUP,
    Manifest,
    Repository,
    is_hidden,
    is_kustomize_config,
    is_under,
    normalized_path,
    read_repository,
)
from flux_cookbook.repository.yaml_lines import LineList, LineMap, YamlError, load
from flux_cookbook.values.coalesce import coalesce

DEFAULT_VALUES_KEY = "values.yaml"


@dataclass(frozen=True)
class Report:
    problems: tuple[Problem, ...]
    files: int  # files checked
    seconds: float
    kustomizations: tuple = ()  # flux_build.FluxKustomization of each Kustomization followed
    not_followed: tuple = ()  # flux_build.NotFollowed: sources that cannot be followed offline
    notes: tuple[str, ...] = ()  # said once, before the summary (the Flux version assumed, ...)
    outputs: tuple = ()  # (flux_build.FluxKustomization, its build output) of each one built

    @property
    def errors(self) -> int:
        return sum(problem.severity == ERROR for problem in self.problems)

    @property
    def warnings(self) -> int:
        return sum(problem.severity == WARNING for problem in self.problems)

    def summary(self) -> str:
        followed = len(self.kustomizations)
        return (f"{self.errors} error{'s' * (self.errors != 1)}, {self.warnings} warning{'s' * (self.warnings != 1)} "
                f"in {self.files} file{'s' * (self.files != 1)}; "
                f"followed {followed} Flux Kustomization{'s' * (followed != 1)}")

    def note_lines(self) -> list[str]:
        """What the check could not follow or assumed, each said once."""
        lines = list(self.notes)
        for source in self.not_followed:
            k = source.kustomization
            lines.append(f"note: not followed: {source.label()}, the source of Kustomization "
                         f"{k.namespace or FLUX_SYSTEM}/{k.name} ({k.file}:{k.line}): it cannot be read offline, "
                         "so what it applies is not checked")
        return lines


def check_repository(root: Path, build: bool = True, cache_dir: Path | None = None,
                     start_dir: str | None = None, reuse_builds: dict | None = None) -> Report:
    """Every rule on the repository at `root`; `build=False` skips the kustomize builds.

    `cache_dir`: where fetched charts are cached (default: flux-cookbook's chart cache).
    `start_dir`: the folder (relative to `root`) whose Flux Kustomizations Flux starts
    from (default: the bootstrap folder of each cluster; flux_build.follow).
    `reuse_builds`: builds remembered across checks (flux_build.follow's `reuse`).
    """
    from flux_cookbook.repository import flux_build

    started = time.perf_counter()
    lint = yamllint_run.read_config(Path(root))
    followed = flux_build.follow(Path(root), start_dir=start_dir, build=build, reuse=reuse_builds)
    repo = read_repository(Path(root), yaml_file=lint.is_yaml_file if lint.config else None, followed=followed)
    if not repo.kustomizations and not any(m.group.endswith(FLUX_GROUP_SUFFIX) for m in repo.manifests):
        raise UserError(
            f"{root} does not look like a Flux repository: no .copier-answers.yml, no flux-system/gotk-sync.yaml "
            "and no Flux object. Give the cluster repository's folder."
        )
    from flux_cookbook.repository import flux_versions

    templated = any(layout.app_of_answers_file(path) or path == layout.CLUSTER_ANSWERS for path in repo.files)
    flux = flux_versions.of_repository(Path(root), repo.files, start_dir or repo.bootstrap_dir, templated)
    results = list(followed.results) if build else None
    built = None
    if results is not None:
        from flux_cookbook.repository.built_objects import built_objects

        built = list(built_objects(repo, results))
        repo.add_built(built)
    problems: list[Problem] = []
    problems += check_yaml(repo, lint)
    problems += check_schemas(repo, results, flux.crd_dirs, built)
    problems += check_builds(repo, build, results)
    problems += check_references(repo)
    if results is not None:

        problems += check_applied_namespaces(repo, results)
    problems += check_conventions(repo)

    problems += check_helm_repository_urls(repo) + check_sealed_secrets_controller(repo)
    problems += check_values(repo, cache_dir)
    unique = sorted(set(problems), key=lambda p: (p.path, p.line, p.rule, p.message))
    checked = len(set(repo.texts) | set(repo.parse_errors))
    return Report(tuple(unique), files=checked, seconds=time.perf_counter() - started,
                  kustomizations=tuple(followed.kustomizations), not_followed=followed.not_followed,
                  notes=tuple(note for note in (flux.note(),) if note),
                  outputs=tuple((r.kustomization, r.output) for r in results or [] if r.ok))


def seconds_per_100_files(root: Path, build: bool = True) -> float:
    """For the benchmark: how long one check of `root` takes, per 100 files checked."""
    report = check_repository(root, build=build)
    return report.seconds * 100 / max(report.files, 1)


# --- yaml.parse, yaml.lint -------------------------------------------------------------


def check_yaml(repo: Repository, lint: yamllint_run.LintConfig | None = None) -> list[Problem]:
    """Every YAML file parses, has no key twice in one mapping, and passes yamllint with the
    repository's own configuration. A file no build applies (a Helm chart's template, a
    chart's own values.yaml) that does not parse is a warning: Flux never reads it as YAML."""
    lint = lint or yamllint_run.read_config(repo.root)
    problems = [
        Problem(path, error.line, "yaml.parse", ERROR if _read_by_flux(repo, path) else WARNING, error.message)
        for path, error in repo.parse_errors.items()
    ]
    if lint.config is None:
        problems.append(Problem(lint.path, 1, "yaml.lint", ERROR, f"not a yamllint configuration: {lint.error}"))
        return problems
    for path, text in repo.texts.items():
        # Past a syntax error yamllint's cosmetic findings are noise: the file comes first.
        # Flux's own files are `flux bootstrap`'s to write, not the user's to restyle.
        if lint.is_ignored(path) or path in repo.parse_errors or repo.is_flux_own(path):
            continue
        for found in yamllint_run.lint(text, path, lint):
            if found.rule == "key-duplicates":
                continue  # yaml.parse has said so, at the same line
            # Style is a warning: an error only where the repository's .yamllint says so.
            severity = ERROR if found.level == "error" and lint.raises(found.rule) else WARNING
            problems.append(Problem(path, found.line, "yaml.lint", severity, f"{found.description} ({found.rule})"))
    return problems


def _read_by_flux(repo: Repository, path: str) -> bool:
    return repo.holds_manifests(path) or (is_kustomize_config(path) and repo.folder_of(path) is not None)


# --- schema, build ---------------------------------------------------------------------


def check_schemas(repo: Repository, results: list | None = None, crd_dirs: list[Path] | None = None,
                  built: list | None = None) -> list[Problem]:
    """Every object Flux applies validates against the schema the cluster would apply:
    Flux's CRDs of the repository's Flux release (`crd_dirs`; strict, CEL rules included),
    SealedSecret's, Kubernetes' own kinds. `results`: the builds of the Kustomizations
    followed; the objects of a build that succeeded are validated as built (overlays,
    patches, components, generators applied) and reported at the document each comes
    from (`built`: built_objects of `results`, when the caller has them); the files of a
    folder with no such build are validated as written."""
    from flux_cookbook.check import schemas
    from flux_cookbook.repository.built_objects import built_objects

    problems = []
    succeeded = [result for result in results or [] if result.ok]
    covered = {result.kustomization.path for result in succeeded}
    substituting = dict(_substituting_kustomizations(repo))
    for item in built if built is not None else built_objects(repo, succeeded):
        obj = {key: value for key, value in item.obj.items() if key != "sops"}  # decrypted before applied
        by = substituting.get(item.kustomization.path, "")
        if by and _waits_for_substitution(obj):
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            problems.append(Problem(
                item.source.path, item.source.line, "schema.substituted", WARNING,
                f"{obj.get('kind')}/{meta.get('name')}: not validated here: it holds ${{...}} variables "
                f"that the postBuild of Kustomization {by} fills in on the cluster"))
            continue
        for where, message in schemas.validate_object_fields(obj, crd_dirs):
            problems.append(Problem(item.source.path, item.source.line_at(tuple(where)), "schema", ERROR, message))
    for path in repo.manifest_files():
        if repo.folder_of(path) in covered:
            continue
        problems += _file_schema_problems(repo, path, substituting, crd_dirs)
    return problems


def _file_schema_problems(repo: Repository, path: str, substituting: dict[str, str],
                          crd_dirs: list[Path] | None) -> list[Problem]:
    """The objects of one file as written (its folder was not built)."""
    from flux_cookbook.check import schemas

    documents = repo.documents[path]
    if any(isinstance(d.obj, dict) and "sops" in d.obj for d in documents):
        return _sops_schema_problems(path, documents, crd_dirs)
    by = substituting.get(repo.folder_of(path) or "", "")
    if by and any(_waits_for_substitution(d.obj) for d in documents):
        return _substituted_schema_problems(repo, path, documents, by, crd_dirs)
    return [Problem(path, line, "schema", ERROR, message)
            for line, message in schemas.validate_file(repo.root / path, path, crd_dirs)]


# kustomize-controller leaves an object with this annotation or label as it is built.
SUBSTITUTE_KEY = "kustomize.toolkit.fluxcd.io/substitute"


def _substituting_kustomizations(repo: Repository) -> list[tuple[str, str]]:
    """(applied folder, Kustomization name) of each Flux Kustomization with a postBuild:
    kustomize-controller substitutes ${...} variables in what it builds, after the build."""
    found = []
    for kustomization in repo.kustomizations:
        manifest = repo.manifest_of(kustomization)
        spec = manifest.obj.get("spec") if manifest is not None else None
        if isinstance(spec, dict) and spec.get("postBuild"):
            found.append((kustomization.path, kustomization.name))
    return found


def _waits_for_substitution(obj: Any) -> bool:
    """An object holding ${...} that postBuild substitution does not skip."""
    if not isinstance(obj, dict):
        return False
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    for marks in (meta.get("annotations"), meta.get("labels")):
        if isinstance(marks, dict) and marks.get(SUBSTITUTE_KEY) == "disabled":
            return False
    return _holds_variable(obj)


def _holds_variable(value: Any) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, dict):
        return any(_holds_variable(key) or _holds_variable(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_variable(item) for item in value)
    return False


def _substituted_schema_problems(repo: Repository, path: str, documents, by: str,
                                 crd_dirs: list[Path] | None = None) -> list[Problem]:
    """A file whose objects hold ${...} variables a postBuild fills in: those are only
    known on the cluster (substituteFrom reads the cluster's ConfigMaps and Secrets), so
    each such object is noted as not validated; the file's other objects are validated."""
    from flux_cookbook.check import schemas

    starts = sorted(d.line for d in documents)
    waiting = {d.line: d.obj for d in documents if _waits_for_substitution(d.obj)}
    problems = []
    for line, message in schemas.validate_file(repo.root / path, path, crd_dirs):
        document = max((start for start in starts if start <= line), default=0)
        if document not in waiting:
            problems.append(Problem(path, line, "schema", ERROR, message))
    for line, obj in waiting.items():
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        problems.append(Problem(
            path, line, "schema.substituted", WARNING,
            f"{obj.get('kind')}/{meta.get('name')}: not validated here: it holds ${{...}} variables "
            f"that the postBuild of Kustomization {by} fills in on the cluster"))
    return problems


def _sops_schema_problems(path: str, documents, crd_dirs: list[Path] | None = None) -> list[Problem]:
    """A SOPS-encrypted file's objects as the cluster gets them: kustomize-controller
    decrypts them and drops the `sops` metadata before applying (field lines are lost)."""
    from flux_cookbook.check import schemas

    problems = []
    for document in documents:
        if isinstance(document.obj, dict):
            applied = {key: value for key, value in document.obj.items() if key != "sops"}
            problems += [Problem(path, document.line, "schema", ERROR, message)
                         for message in schemas.validate_object(applied, crd_dirs)]
    return problems


def check_builds(repo: Repository, build: bool = True, built: list | None = None) -> list[Problem]:
    """Every Flux Kustomization's folder builds, as kustomize-controller builds it; with
    `build=False` only that the folder exists (no kustomize run). `built`: the results of
    flux_build.build_all, when the caller has them already."""
    from flux_cookbook.repository import flux_build

    if build:
        if built is None:
            built = list(flux_build.follow(repo.root).results)
        results = [(r.kustomization, r.error) for r in built if not r.ok]
    else:
        # As build_all: one result per path, though several Kustomizations may apply it.
        missing = {k.path: k for k in reversed(repo.kustomizations) if not (repo.root / k.path).is_dir()}
        results = [(k, flux_build.PATH_NOT_FOUND) for k in missing.values()]
    problems = []
    for built, error in results:
        if any(is_under(path, built.path) for path in repo.parse_errors):
            continue  # a file that is not YAML fails the build too; yaml.parse says where
        problems.append(Problem(built.file, built.line, "build", ERROR,
                                f"Kustomization {built.namespace or FLUX_SYSTEM}/{built.name} (path {built.path or '.'}) "
                                f"does not build: {_one_line(error)}"))
    return problems


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# --- ref.* -----------------------------------------------------------------------------

# What each reference may name, as Flux 2.9's CRDs list it.
KUSTOMIZATION_SOURCES = ("GitRepository", "OCIRepository", "Bucket", "ExternalArtifact")
CHART_SOURCES = ("HelmRepository", "GitRepository", "Bucket")
CHART_REF_KINDS = ("OCIRepository", "HelmChart", "ExternalArtifact")


class _Index:
    """The objects the repository's applied folders define, by (kind, namespace, name)."""

    def __init__(self, repo: Repository):
        self.by_id: dict[tuple[str, str, str], list[Manifest]] = defaultdict(list)
        for manifest in repo.manifests:
            self.by_id[manifest.kind, manifest.namespace, manifest.name].append(manifest)
        # Not yet bootstrapped: `flux bootstrap` will make the GitRepository for this repository.
        self.assumed = set() if repo.bootstrapped else {("GitRepository", FLUX_SYSTEM, FLUX_SYSTEM)}
        self.generated = _generated_objects(repo)
        self.makers = [m for m in repo.manifests if (m.group, m.kind) in RUN_TIME_MAKERS]
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
            or self.find(kind, namespace, name, group) is not None
            or (kind, namespace, name) in self.assumed
            or (kind, namespace, name) in self.generated
        )

    def named(self, name: str) -> list[Manifest]:
        return [m for (kind, namespace, n), found in self.by_id.items() if n == name for m in found]


def _generated_objects(repo: Repository) -> set[tuple[str, str, str]]:
    """ConfigMaps and Secrets a folder's kustomization.yaml generates (configMapGenerator,
    secretGenerator): they exist once built, though no file holds them."""
    generated = set()
    for path, docs in repo.documents.items():
        folder = repo.folder_of(path)
        if not is_kustomize_config(path) or folder is None:
            continue
        for document in docs:
            config = document.obj if isinstance(document.obj, dict) else {}
            for field, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
                for generator in config.get(field) or []:
                    if isinstance(generator, dict) and generator.get("name"):
                        # Flux's targetNamespace, else the kustomization's, else the generator's.
                        namespace = (repo.folders[folder] or config.get("namespace")
                                     or generator.get("namespace") or "default")
                        generated.add((kind, str(namespace), str(generator["name"])))
    return generated


def _spec(manifest: Manifest) -> LineMap:
    spec = manifest.obj.get("spec")
    return spec if isinstance(spec, LineMap) else LineMap()


def _entries(parent: LineMap, key: str) -> Iterable[tuple[LineMap, int]]:
    """The mapping items of the list parent[key], each with its line."""
    items = parent.get(key)
    if isinstance(items, LineList):
        for index, item in enumerate(items):
            if isinstance(item, LineMap):
                yield item, items.line_of(index)


def check_references(repo: Repository) -> list[Problem]:
    """sourceRef/chartRef, valuesFrom, dependsOn and healthChecks name what exists."""
    index = _Index(repo)
    problems: list[Problem] = []
    for manifest in repo.manifests:
        spec = _spec(manifest)
        if manifest.is_a("Kustomization", KUSTOMIZE_GROUP):
            problems += _source_ref(manifest, spec, "sourceRef", KUSTOMIZATION_SOURCES, index)
            problems += _depends_on(manifest, spec, "Kustomization", KUSTOMIZE_GROUP, index)
            problems += _health_checks(repo, manifest, spec, index)
        elif manifest.is_a("HelmRelease", HELM_GROUP):
            chart = spec.get("chart")
            chart_spec = chart.get("spec") if isinstance(chart, LineMap) else None
            if isinstance(chart_spec, LineMap):
                problems += _source_ref(manifest, chart_spec, "sourceRef", CHART_SOURCES, index)
            problems += _source_ref(manifest, spec, "chartRef", CHART_REF_KINDS, index)
            problems += _values_from(manifest, spec, index)
            problems += _depends_on(manifest, spec, "HelmRelease", HELM_GROUP, index)
        elif manifest.is_a("HelmChart", SOURCE_GROUP):
            problems += _source_ref(manifest, spec, "sourceRef", CHART_SOURCES, index)
        elif manifest.kind == "ImageUpdateAutomation" and manifest.group.endswith(FLUX_GROUP_SUFFIX):
            problems += _source_ref(manifest, spec, "sourceRef", ("GitRepository",), index)
    problems += _depends_on_cycles(repo, "Kustomization", KUSTOMIZE_GROUP)
    problems += _depends_on_cycles(repo, "HelmRelease", HELM_GROUP)
    return problems


def _source_ref(manifest: Manifest, parent: LineMap, key: str, kinds: tuple[str, ...], index: _Index) -> list[Problem]:
    ref = parent.get(key)
    if not isinstance(ref, LineMap):
        return []  # absent or malformed: the schema check says so
    kind, name = ref.get("kind"), ref.get("name")
    if kind not in kinds or not isinstance(name, str):
        return []  # the schema check names a kind the CRD does not allow
    namespace = str(ref.get("namespace") or manifest.namespace)
    if index.exists(kind, namespace, name, SOURCE_GROUP if kind != "ExternalArtifact" else None):
        return []
    return [Problem(manifest.path, parent.line_of(key), "ref.source", ERROR,
                    f"{manifest.label()}: {key} names {kind} {namespace}/{name}, which this repository does not define"
                    f"{_similar(index, name, kind)}")]


def _similar(index: _Index, name: str, kind: str) -> str:
    """A hint naming objects of that kind and name in other namespaces (a namespace mix-up)."""
    others = sorted({m.label() for m in index.named(name) if m.kind == kind})
    return f" (defined: {', '.join(others)})" if others else ""


def _values_from(manifest: Manifest, spec: LineMap, index: _Index) -> list[Problem]:
    problems = []
    for entry, line in _entries(spec, "valuesFrom"):
        kind, name = entry.get("kind"), entry.get("name")
        if kind not in ("ConfigMap", "Secret") or not isinstance(name, str) or entry.get("optional") is True:
            continue
        key = str(entry.get("valuesKey") or DEFAULT_VALUES_KEY)
        where = f"{manifest.label()}: valuesFrom {kind} {manifest.namespace}/{name}"
        if (kind, manifest.namespace, name) in index.generated:
            continue  # made by a kustomize generator: its keys are known only once built
        keys = _data_keys(index, kind, manifest.namespace, name)
        if keys is None and index.incomplete:
            continue
        if keys is None:
            problems.append(Problem(manifest.path, entry.line_of("name"), "ref.values", ERROR,
                                    f"{where}: this repository does not define it{_similar(index, name, kind)}"))
        elif key not in keys:
            problems.append(Problem(manifest.path, entry.line_of("valuesKey") if "valuesKey" in entry else line,
                                    "ref.values", ERROR,
                                    f"{where} has no key {key!r} (it has: {', '.join(sorted(keys)) or 'none'})"))
    return problems


def _data_keys(index: _Index, kind: str, namespace: str, name: str) -> set[str] | None:
    """The data keys of the ConfigMap or Secret, or None if nothing defines it. A Secret may
    come from a SealedSecret of the same name."""
    found = index.find(kind, namespace, name, "")
    if found is not None:
        fields = ("data", "binaryData") if kind == "ConfigMap" else ("data", "stringData")
        return {str(key) for field in fields if isinstance(found.obj.get(field), dict) for key in found.obj[field]}
    if kind == "Secret":
        sealed = index.find("SealedSecret", namespace, name, SEALED_SECRETS_GROUP)
        if sealed is not None:
            spec = _spec(sealed)
            template = spec.get("template") if isinstance(spec.get("template"), dict) else {}
            keys = set()
            for source in (spec.get("encryptedData"), template.get("data")):
                if isinstance(source, dict):
                    keys |= {str(key) for key in source}
            return keys
    made, keys = _made_at_run_time(index.makers, kind, namespace, name)
    if made:
        return set(keys) if keys is not None else ANY_KEY
    return None


class _AnyKey(set):
    """The keys of an object made at run time whose keys only the cluster knows."""

    def __contains__(self, key: object) -> bool:
        return True


ANY_KEY = _AnyKey()


def _depends_on(manifest: Manifest, spec: LineMap, kind: str, group: str, index: _Index) -> list[Problem]:
    problems = []
    for entry, line in _entries(spec, "dependsOn"):
        name = entry.get("name")
        if not isinstance(name, str):
            continue
        namespace = str(entry.get("namespace") or manifest.namespace)
        if not index.exists(kind, namespace, name, group):
            problems.append(Problem(manifest.path, line, "ref.depends-on", ERROR,
                                    f"{manifest.label()}: dependsOn names {kind} {namespace}/{name}, which this "
                                    f"repository does not define{_similar(index, name, kind)}"))
    return problems


def _depends_on_cycles(repo: Repository, kind: str, group: str) -> list[Problem]:
    """One problem per dependency cycle, at the dependsOn entry of its first member (by file)
    that leads round it."""
    nodes = {(m.namespace, m.name): m for m in sorted(repo.manifests, key=lambda m: (m.path, m.line)) if m.is_a(kind, group)}
    # node -> {dependency: line of the dependsOn entry}
    depends: dict[tuple[str, str], dict[tuple[str, str], int]] = {}
    for node, manifest in nodes.items():
        depends[node] = {}
        for entry, line in _entries(_spec(manifest), "dependsOn"):
            if isinstance(entry.get("name"), str):
                target = (str(entry.get("namespace") or manifest.namespace), entry["name"])
                if target in nodes:
                    depends[node].setdefault(target, line)
    problems = []
    while True:
        try:
            graphlib.TopologicalSorter({node: set(targets) for node, targets in depends.items()}).prepare()
            return problems
        except graphlib.CycleError as error:
            # Each node of the cycle graphlib names comes before (is depended on by) the next.
            ring = list(reversed(error.args[1][:-1]))
        first = min(range(len(ring)), key=lambda at: (nodes[ring[at]].path, nodes[ring[at]].line))
        ring = ring[first:] + ring[:first]  # from that member, each depends on the next
        start, after = ring[0], ring[1 % len(ring)]
        names = " -> ".join(f"{namespace}/{name}" for namespace, name in [*ring, start])
        problems.append(Problem(nodes[start].path, depends[start][after], "ref.depends-on-cycle", ERROR,
                                f"{kind}s depend on each other in a circle, so none is ever applied: {names}"))
        del depends[start][after]  # broken there, so the next round finds another cycle


def _health_checks(repo: Repository, manifest: Manifest, spec: LineMap, index: _Index) -> list[Problem]:
    """Each health check names an object Flux applies in the Kustomization's cluster: the
    Kustomization itself, one it depends on (it is applied first) or any other (Flux
    retries until it is there). An object a HelmRelease renders, or that a Kustomization
    applies from a source not followed offline, can only be confirmed on the cluster."""
    folder = normalized_path(spec.get("path"))
    if folder is None or folder not in repo.folders or not (repo.root / folder).is_dir():
        return []  # another source's folder, or none at all (the build says so): nothing to look in
    clusters = repo.folder_clusters.get(folder, set())
    applied = [m for m in repo.manifests if not clusters or repo.clusters_of(m) & clusters or not repo.clusters_of(m)]
    renderers = [m for m in applied if is_under(m.path, folder) and (
        m.is_a("HelmRelease", HELM_GROUP) or m.is_a("Kustomization", KUSTOMIZE_GROUP))]
    # What a source that is not followed offline applies is unknown here.
    unread = ", ".join(f"{n.label()} (Kustomization {n.kustomization.namespace or FLUX_SYSTEM}/{n.kustomization.name})"
                       for n in (repo.followed.not_followed if repo.followed else ())[:2])
    problems = []
    for entry, line in _entries(spec, "healthChecks"):
        kind, name = entry.get("kind"), entry.get("name")
        if not isinstance(kind, str) or not isinstance(name, str):
            continue
        namespace = str(entry.get("namespace") or manifest.namespace)
        group = str(entry.get("apiVersion") or "").rpartition("/")[0]
        target = f"{kind} {namespace}/{name}"
        if index.incomplete or _defines(applied, kind, namespace, name, group):
            continue
        shown = folder + "/" if folder else "the repository root"
        if unread:
            problems.append(Problem(manifest.path, line, "ref.health-check", WARNING,
                                    f"{manifest.label()}: health check {target} cannot be verified offline: no file "
                                    f"of this repository defines it; {unread} may apply it"))
        elif group.endswith(FLUX_GROUP_SUFFIX) or kind == "Namespace" or not renderers:
            problems.append(Problem(manifest.path, line, "ref.health-check", ERROR,
                                    f"{manifest.label()}: health check {target} names an object neither {shown} "
                                    "nor any other Kustomization of this repository applies"))
        else:
            makers = ", ".join(m.label() for m in renderers[:3])
            problems.append(Problem(manifest.path, line, "ref.health-check", WARNING,
                                    f"{manifest.label()}: health check {target} cannot be verified offline: "
                                    f"no file of this repository defines it; {makers} may make it"))
    return problems


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


def _made_name(maker: Manifest) -> str:
    """The name of what a run-time maker makes: an ExternalSecret's spec.target.name, else its own."""
    target = _spec(maker).get("target")
    if maker.kind == "ExternalSecret" and isinstance(target, dict) and isinstance(target.get("name"), str):
        return target["name"]
    return maker.name


def _made_at_run_time(manifests: Iterable[Manifest], kind: str, namespace: str, name: str) -> tuple[bool, frozenset[str] | None]:
    """(whether an object of the repository makes that Secret or ConfigMap on the cluster,
    the keys it will have when known)."""
    for maker in manifests:
        makes = RUN_TIME_MAKERS.get((maker.group, maker.kind), {})
        if kind in makes and maker.namespace == namespace and _made_name(maker) == name:
            return True, makes[kind]
    return False, None


def _defines(defined: list[Manifest], kind: str, namespace: str, name: str, group: str) -> bool:
    for m in defined:
        if m.name != name or (m.namespace != namespace and kind != "Namespace"):
            continue
        if m.kind == kind and (not group or m.group == group):
            return True
    return kind in ("Secret", "ConfigMap") and _made_at_run_time(defined, kind, namespace, name)[0]


# --- convention.* ---------------------------------------------------------------------


def check_conventions(repo: Repository) -> list[Problem]:
    """The cookbook's layout: one object per file named after it, each namespace declared
    once and never a built-in one, no plain Secret, answers files that match the files."""
    return [
        *_file_layout(repo),
        *_namespaces(repo),
        *_plain_secrets(repo),
        *_answers(repo),
    ]


def _file_layout(repo: Repository) -> list[Problem]:
    # Warnings: Flux applies a file of many objects, or any file name, just as well; the
    # cookbook's names are what its templates and `adopt` expect.
    problems = []
    for path in repo.manifest_files():
        if repo.is_flux_own(path):
            continue
        objects = [document for document in repo.documents[path] if document.obj is not None]
        if len(objects) > 1:
            problems.append(Problem(path, objects[1].line, "convention.one-object-per-file", WARNING,
                                    f"{len(objects)} objects in one file; the cookbook keeps each object in "
                                    "a file of its own, named <kind>-<name>.yaml"))
            continue
        obj = objects[0].obj if objects else None
        if not isinstance(obj, dict):
            continue
        kind = obj.get("kind")
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        name = meta.get("name")
        if not isinstance(kind, str) or not isinstance(name, str):
            continue
        expected = f"{kind.lower()}-{name}"
        stem, suffix = posixpath.splitext(posixpath.basename(path))
        if stem != expected:
            problems.append(Problem(path, objects[0].line, "convention.file-name", WARNING,
                                    f"{kind} {name} belongs in a file named {expected}{suffix} "
                                    "(the cookbook's <kind>-<name>.yaml)"))
    return problems


def _namespaces(repo: Repository) -> list[Problem]:
    """Each namespace declared once per cluster (several cluster folders in one repository
    are several clusters, each with its own flux-system)."""
    problems = []
    first: dict[tuple[str, str], Manifest] = {}
    for manifest in repo.manifests:
        if manifest.kind != "Namespace" or manifest.group != "":
            continue
        name = manifest.name
        if name in BUILTIN_NAMESPACES:
            problems.append(Problem(manifest.path, manifest.line, "convention.namespace-builtin", ERROR,
                                    f"namespace {name} is built into every cluster: do not declare it (a Flux "
                                    "Kustomization that prunes would try to delete it); install into a namespace of the app's own"))
        elif name == FLUX_SYSTEM and not repo.is_flux_own(manifest.path):
            problems.append(Problem(manifest.path, manifest.line, "convention.namespace-builtin", ERROR,
                                    "namespace flux-system belongs to Flux (flux bootstrap declares it in "
                                    "gotk-components.yaml): do not declare it again"))
        else:
            clusters = repo.clusters_of(manifest) or {""}
            earlier = next((first[cluster, name] for cluster in sorted(clusters) if (cluster, name) in first), None)
            if earlier is not None and (earlier.path, earlier.line) != (manifest.path, manifest.line):
                problems.append(Problem(manifest.path, manifest.line, "convention.namespace-duplicate", ERROR,
                                        f"namespace {name} is already declared in {earlier.path}:{earlier.line}; "
                                        "declare each namespace once (bootstrap's namespaces/ folder)"))
            for cluster in clusters:
                first.setdefault((cluster, name), manifest)
    return problems


def _plain_secrets(repo: Repository) -> list[Problem]:
    # Anywhere in the repository, applied or not: once pushed, a Secret's data is public
    # to everyone who can read the repository. Git-ignored files are not read at all.
    problems = []
    for path, docs in sorted(repo.documents.items()):
        if is_hidden(path) or is_kustomize_config(path):
            continue
        for document in docs:
            obj = document.obj
            if isinstance(obj, dict) and obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1" and "sops" not in obj:
                meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
                problems.append(Problem(path, document.line, "convention.plain-secret", ERROR,
                                        f"Secret {meta.get('name', '')} is not encrypted: anyone who can read the "
                                        "repository can read it. Seal it (flux-cookbook seal / kubeseal) and commit "
                                        "the SealedSecret, or encrypt it with SOPS"))
    return problems


def _answers(repo: Repository) -> list[Problem]:
    """Each app's answers file names its own app, whose folder, HelmRelease and Kustomization
    exist where the template writes them: copier update re-renders the app from these
    answers, and would write a second app beside one that was renamed or moved by hand.
    (The cluster's bootstrap_dir needs no rule here: the build of the folder it names fails.)"""
    problems = []
    for path in repo.documents:
        app = layout.app_of_answers_file(path) if "/" not in path else None
        answers = _answers_document(repo, path) if app else None
        if answers is None:
            continue
        recorded = answers.get("app_name")
        if recorded != app:
            problems.append(Problem(path, answers.line_of("app_name"), "convention.answers", ERROR,
                                    f"app_name is {recorded!r}, but the file is named for app {app!r}; "
                                    f"copier update -a {path} would write app {recorded!r}"))
            continue
        problems += _app_files(repo, path, answers, app)
    return problems


def _answers_document(repo: Repository, path: str) -> LineMap | None:
    docs = repo.documents.get(path) or []
    return docs[0].obj if docs and isinstance(docs[0].obj, LineMap) else None


def _app_files(repo: Repository, path: str, answers: LineMap, app: str) -> list[Problem]:
    """The app's folder holds a HelmRelease and a Kustomization in the bootstrap folder
    applies it. Their names are the user's: an adopted app keeps the names Flux knows it by
    (a Kustomization `<chart>--<namespace>`, a HelmRelease named after the chart)."""
    line = answers.line_of("app_name")
    known = apps.App(repo.root, app, answers, default_bootstrap_dir=repo.bootstrap_dir)
    bootstrap_dir, folder = known.bootstrap_dir, known.folder
    if any(is_under(broken, folder) or is_under(broken, bootstrap_dir) for broken in repo.parse_errors):
        return []  # what a file that does not parse defines is unknown; yaml.parse names it
    missing = []
    if not _defined_in(repo, folder, "HelmRelease", HELM_GROUP):
        missing.append(f"{folder}/ with a HelmRelease" if (repo.root / folder).is_dir() else f"its folder {folder}/")
    kustomizations = _objects_under(repo, f"{bootstrap_dir}/{layout.KUSTOMIZATIONS}", "Kustomization", KUSTOMIZE_GROUP)
    if not any(_object_name(obj) == app or posixpath.normpath(str(_object_spec(obj).get("path") or ".")).strip("./") == folder
               for obj in kustomizations):
        missing.append(f"a Kustomization {app}, or one that applies {folder}/, in {bootstrap_dir}/{layout.KUSTOMIZATIONS}/")
    if not missing:
        return []
    return [Problem(path, line, "convention.answers", ERROR,
                    f"app {app} has an answers file, but not {' nor '.join(missing)}; copier update -a {path} "
                    "would write them again")]


def _object_name(obj: dict) -> object:
    return obj["metadata"].get("name") if isinstance(obj.get("metadata"), dict) else None


def _object_spec(obj: dict) -> dict:
    return obj["spec"] if isinstance(obj.get("spec"), dict) else {}


def _objects_under(repo: Repository, folder: str, kind: str, group: str) -> list[dict]:
    """The objects of that kind defined in YAML files under `folder` (applied by Flux or not)."""
    return [
        document.obj
        for path, docs in repo.documents.items() if is_under(path, folder)
        for document in docs
        if isinstance(document.obj, dict) and document.obj.get("kind") == kind
        and str(document.obj.get("apiVersion", "")).rpartition("/")[0] == group
    ]


def _defined_in(repo: Repository, folder: str, kind: str, group: str) -> bool:
    """Whether a YAML file under `folder` defines an object of that kind (applied by Flux or not)."""
    return bool(_objects_under(repo, folder, kind, group))


# --- values.* --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Values:
    """One source of a HelmRelease's values, and how to find a key's line in its file."""

    path: str
    values: Any
    line: int  # where the values start in `path`
    offset: int  # add to a line of the values' own text to get the file's line; -1: no such lines
    header: str = ""  # the first line of the values' text

    def depth(self, keys: list) -> int:
        """How many of `keys`, from the top, these values set."""
        node = self.values
        for depth, key in enumerate(keys):
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                node = node[key]
            else:
                return depth
        return len(keys)

    def line_of(self, keys: list) -> int:
        """The line of the deepest of `keys` these values set (their first line if none)."""
        node, line = self.values, None
        for key in keys[: self.depth(keys)]:
            line = node.line_of(key) if isinstance(node, (LineMap, LineList)) else line
            node = node[key]
        if line is None:
            return self.line
        return line + self.offset if self.offset >= 0 else self.line


def check_values(repo: Repository, cache_dir: Path | None = None) -> list[Problem]:
    """Each HelmRelease's values parse as a YAML mapping; where its chart is in the chart
    cache, they fit the chart's values.schema.json and every key they set is one the
    chart's values.yaml has. Offline: a chart that is not cached is not checked."""
    index = _Index(repo)
    problems: list[Problem] = []
    parsed: dict[tuple, tuple[_Values | None, list[Problem]]] = {}
    for release in repo.manifests:
        if not release.is_a("HelmRelease", HELM_GROUP):
            continue
        sources: list[_Values] = []
        for entry, _ in _entries(_spec(release), "valuesFrom"):
            key = (entry.get("kind"), release.namespace, entry.get("name"), str(entry.get("valuesKey") or DEFAULT_VALUES_KEY))
            if key not in parsed:
                parsed[key] = _values_from_object(index, *key)
                problems += parsed[key][1]
            if parsed[key][0] is not None:
                sources.append(parsed[key][0])
        spec = _spec(release)
        if isinstance(spec.get("values"), LineMap):
            sources.append(_Values(release.path, spec["values"], spec.line_of("values"), 0))
        chart = _cached_chart(release, index, sources, cache_dir)
        if chart is not None:
            problems += _against_chart(release, sources, chart)
    return problems


def _values_from_object(index: _Index, kind: str, namespace: str, name: str, key: str) -> tuple[_Values | None, list[Problem]]:
    """The values in a ConfigMap's (or unencrypted Secret's) key, parsed; problems if they do not parse."""
    found = index.find(kind, namespace, name, "") if kind in ("ConfigMap", "Secret") else None
    if found is None or "sops" in found.obj:
        return None, []
    data = found.obj.get("data") if isinstance(found.obj.get("data"), LineMap) else LineMap()
    text = data.get(key)
    if kind == "Secret":
        string_data = found.obj.get("stringData") if isinstance(found.obj.get("stringData"), LineMap) else LineMap()
        if key in string_data:
            data, text = string_data, string_data[key]
        elif isinstance(text, str):
            try:
                text = base64.b64decode(text, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None, []  # the schema check's business
            data = LineMap({key: text})  # no line mapping into base64
    if not isinstance(text, str):
        return None, []
    key_line = data.line_of(key)
    # A block scalar (`|`) starts on the line after its key: its line n is the file's key_line + n.
    block = data.value_styles.get(key) in ("|", ">") and data.value_lines.get(key) == key_line
    offset = key_line if block else -1
    try:
        values = load(text)
    except YamlError as error:
        line = key_line + error.line if block else key_line
        return None, [Problem(found.path, line, "values.parse", ERROR,
                              f"{kind} {namespace}/{name} key {key!r} is not YAML: {error.message}")]
    if values is not None and not isinstance(values, dict):
        return None, [Problem(found.path, key_line, "values.parse", ERROR,
                              f"{kind} {namespace}/{name} key {key!r} holds {type(values).__name__}, "
                              "not a mapping of values")]
    return _Values(found.path, values if values is not None else LineMap(), key_line, offset, text.partition("\n")[0]), []


@dataclass(frozen=True)
class _Chart:
    label: str  # "podinfo 6.14.1"
    defaults: Any  # its values.yaml
    schema: dict | None  # its values.schema.json


_FETCHED_HEADER = re.compile(r"^# values\.yaml of chart (\S+) (\S+) (\S+) \(chart_version:")


def _cached_chart(release: Manifest, index: _Index, sources: list[_Values], cache_dir: Path | None) -> _Chart | None:
    """The chart `release` installs, from the chart cache, or None (not cached, not found)."""
    from flux_cookbook.extensions import chart_source
    from flux_cookbook.extensions.semver_range import newest_matching

    located = _chart_location(release, index)
    if located is None:
        return None
    repo_url, chart, constraint = located
    archives = chart_source.cached_archives(repo_url, chart, cache_dir)
    if not archives:
        return None
    version = None
    for source in sources:  # values fetched by the template name their exact version
        header = _FETCHED_HEADER.match(source.header)
        if header and header.group(2) == chart and header.group(3) in archives:
            version = header.group(3)
    try:
        version = version or newest_matching(archives, constraint)
    except ValueError:
        return None
    if version is None:
        return None
    try:
        files = chart_source.safe_archive_files(archives[version], chart, ("values.yaml", "values.schema.json"))
        defaults = load(files.get("values.yaml", "")) or {}
        schema = json.loads(files["values.schema.json"]) if "values.schema.json" in files else None
    except (chart_source.ChartFetchError, YamlError, ValueError):
        return None  # a cache entry that cannot be read is as good as none
    return _Chart(f"{chart} {version}", defaults, schema if isinstance(schema, dict) else None)


def _chart_location(release: Manifest, index: _Index) -> tuple[str, str, str] | None:
    """(repository URL as the chart cache keys it, chart name, version range) of the chart."""
    spec = _spec(release)
    chart = spec.get("chart")
    chart_spec = chart.get("spec") if isinstance(chart, dict) else None
    if isinstance(chart_spec, dict):
        ref = chart_spec.get("sourceRef") if isinstance(chart_spec.get("sourceRef"), dict) else {}
        if ref.get("kind") != "HelmRepository":
            return None
        source = index.find("HelmRepository", str(ref.get("namespace") or release.namespace), str(ref.get("name")), SOURCE_GROUP)
        url = _spec(source).get("url") if source else None
        name = chart_spec.get("chart")
        if isinstance(url, str) and isinstance(name, str):
            return url, name, str(chart_spec.get("version") or "*")
        return None
    ref = spec.get("chartRef")
    if isinstance(ref, dict) and ref.get("kind") == "OCIRepository":
        source = index.find("OCIRepository", str(ref.get("namespace") or release.namespace), str(ref.get("name")), SOURCE_GROUP)
        source_spec = _spec(source) if source else LineMap()
        url = source_spec.get("url")
        wanted = source_spec.get("ref") if isinstance(source_spec.get("ref"), dict) else {}
        if isinstance(url, str) and "/" in url.removeprefix("oci://"):
            # oci://registry/path/chart: the template caches it as (oci://registry/path, chart).
            registry_path, _, name = url.rstrip("/").rpartition("/")
            return registry_path, name, str(wanted.get("semver") or wanted.get("tag") or "*")
    return None


def _against_chart(release: Manifest, sources: list[_Values], chart: _Chart) -> list[Problem]:
    problems = []
    for source in sources:
        for keys in _unknown_keys(source.values, chart.defaults, []):
            problems.append(Problem(source.path, source.line_of(keys), "values.unknown-override", WARNING,
                                    f"{release.label()}: value {_dotted(keys)} is not in the values.yaml of chart "
                                    f"{chart.label} (removed, renamed or misspelt?)"))
    if chart.schema is not None:
        problems += _schema_problems(release, sources, chart)
    return problems


def _unknown_keys(values: Any, defaults: Any, keys: list) -> Iterable[list]:
    """Key paths set in `values` that the chart's defaults do not have. A mapping the chart
    leaves empty ({}: podAnnotations, nodeSelector) takes any key; lists are not compared."""
    if not isinstance(values, dict) or not isinstance(defaults, dict) or not defaults:
        return
    for key, value in values.items():
        if key not in defaults:
            yield [*keys, key]
        else:
            yield from _unknown_keys(value, defaults[key], [*keys, key])


def _dotted(keys: list) -> str:
    return ".".join(str(key) for key in keys)



def _schema_problems(release: Manifest, sources: list[_Values], chart: _Chart) -> list[Problem]:
    import jsonschema
    from jsonschema.exceptions import SchemaError
    from referencing.exceptions import Unresolvable

    merged: Any = chart.defaults
    for source in sources:  # valuesFrom in order, then spec.values, as Flux merges them
        merged = coalesce(merged, source.values)
    try:
        validator_class = jsonschema.validators.validator_for(chart.schema, default=jsonschema.Draft7Validator)
        validator_class.check_schema(chart.schema)
        errors = sorted(validator_class(chart.schema).iter_errors(_plain(merged)), key=lambda e: list(map(str, e.absolute_path)))
    except (SchemaError, Unresolvable):
        return []  # a schema Helm could not use either, or one that reaches for the network
    problems = []
    for error in errors:
        keys = list(error.absolute_path)
        # The source that sets the most of the offending path (the last one, of equals: it wins the merge).
        source = max(reversed(sources), key=lambda s: s.depth(keys), default=None)
        where = (source.path, source.line_of(keys)) if source and source.depth(keys) else (release.path, release.line)
        at = _dotted(keys) or "(the values)"
        problems.append(Problem(where[0], where[1], "values.schema", ERROR,
                                f"{release.label()}: {at}: {error.message} (values.schema.json of chart {chart.label})"))
    return problems


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
