"""check's ref.*: sources, values, dependencies and health checks name objects that exist, and
the HelmRepositories and Namespaces nothing names (ref.unused-*)."""

from __future__ import annotations

import graphlib
import re
from typing import Iterable

# What each reference may name, as Flux 2.9's CRDs list it.
from flux_cookbook.check.object_index import (
    DEFAULT_VALUES_KEY,
    RUN_TIME_MAKERS,
    Index,
    answers_document,
    applied_post_builds,
    as_applied,
    built_namespace,
    entries,
    may_become,
    metadata_of,
    spec_of,
    substituted,
)
from flux_cookbook.check.problems import BUILTIN_NAMESPACES, ERROR, SEALED_SECRETS_GROUP, WARNING, Problem
from flux_cookbook.extensions import layout
from flux_cookbook.extensions.flux_names import (
    FLUX_2_9,
    FLUX_SYSTEM,
    GROUP_SUFFIX,
    HELM_GROUP,
    IMAGE_GROUP,
    KUSTOMIZE_GROUP,
    NOTIFICATION_GROUP,
    SOURCE_GROUP,
)
from flux_cookbook.repository import apps, post_build
from flux_cookbook.repository.model import (
    Manifest,
    Repository,
    api_group,
    is_under,
    normalized_path,
)
from flux_cookbook.repository.yaml_lines import LineMap

KUSTOMIZATION_SOURCES = ("GitRepository", "OCIRepository", "Bucket", "ExternalArtifact")
CHART_SOURCES = ("HelmRepository", "GitRepository", "Bucket")
CHART_REF_KINDS = ("OCIRepository", "HelmChart", "ExternalArtifact")


def check_references(repo: Repository, built: list = ()) -> list[Problem]:
    """sourceRef/chartRef, valuesFrom, dependsOn and healthChecks name what exists. `built`:
    the builds' objects, whose names (a namePrefix applied) a Receiver may name."""
    indexes: dict[str | None, Index] = {}
    problems: list[Problem] = []
    fill_in = as_applied(repo)
    for manifest in repo.manifests:
        # Looked up in each cluster that applies it: a folder two clusters apply needs what
        # it names in both.
        for cluster in sorted(repo.clusters_of(manifest)) or [None]:
            if cluster not in indexes:
                indexes[cluster] = Index(repo, cluster)
                index = indexes[cluster]
                for item in built:
                    if cluster is None or cluster in repo.folder_clusters.get(item.kustomization.path, {cluster}):
                        index.add_built(item, fill_in)
            problems += [p for p in _manifest_references(repo, manifest, indexes[cluster]) if p not in problems]
    problems += _depends_on_cycles(repo, "Kustomization", KUSTOMIZE_GROUP)
    problems += _depends_on_cycles(repo, "HelmRelease", HELM_GROUP)
    return problems


def check_unused(repo: Repository, built: list, duplicate_urls: Iterable[Problem] = ()) -> list[Problem]:
    """Warnings: a HelmRepository no HelmRelease or HelmChart of the repository uses, and a
    Namespace nothing of it goes into; what an app removed by hand leaves behind when its
    files were the only ones to use them (Flux still applies both, and fetches the
    repository's index every interval). Judged on what Flux applies, `built` (the objects
    as the builds give them: an overlay's patches and kustomize's `namespace:` applied),
    with the files of the folders Flux applies as written; run only where every path
    builds (what a path that does not build takes from elsewhere is not known: its error
    is the problem). Warnings only: something outside the repository may use them.
    `duplicate_urls`: convention.helm-repository-url's findings, which say which of two
    HelmRepositories of one URL to keep: that one is not named again."""
    # What is used, and in which clusters (their bootstrap folders; "" a repository's one
    # cluster): a HelmRepository one cluster applies serves no HelmRelease of another.
    used_sources: dict[tuple[str, str], set[str]] = {}
    used_namespaces: dict[str, set[str]] = {}

    def use(where: dict, key, clusters: set[str]) -> None:
        where.setdefault(key, set()).update(clusters)

    # What each app's answers name is used, whether or not its files can be read now (a
    # Kustomization with a mistake of its own applies nothing: that mistake is the problem),
    # in the cluster the answers files make (whose bootstrap folder the repository's answers name).
    answered = {repo.bootstrap_dir, ""}
    for app_name in apps.app_names(repo.root):
        answers = answers_document(repo, layout.app_answers_file(app_name)) or {}
        use(used_namespaces, str(answers.get("namespace") or ""), answered)
        use(used_sources, (FLUX_SYSTEM, str(answers.get("helm_repo_name") or "")), answered)
    applied = [(m.obj, m.namespace, repo.clusters_of(m)) for m in repo.manifests]
    applied += [(item.obj, built_namespace(item.obj), repo.folder_clusters.get(item.kustomization.path)) for item in built]
    for obj, namespace, clusters in applied:
        clusters = clusters or {""}
        use(used_namespaces, namespace, clusters)
        spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        kind, group = obj.get("kind"), api_group(obj)
        if (kind, group) in (("Kustomization", KUSTOMIZE_GROUP), ("HelmRelease", HELM_GROUP)):
            # What a Flux Kustomization or a HelmRelease applies or installs goes there.
            for field in ("targetNamespace", "storageNamespace"):
                use(used_namespaces, str(spec.get(field) or ""), clusters)
        if (kind, group) == ("HelmRelease", HELM_GROUP):
            chart = spec.get("chart")
            spec = chart.get("spec") if isinstance(chart, dict) else None
        elif (kind, group) != ("HelmChart", SOURCE_GROUP):
            continue
        ref = spec.get("sourceRef") if isinstance(spec, dict) else None
        if isinstance(ref, dict) and ref.get("kind") == "HelmRepository":
            use(used_sources, (str(ref.get("namespace") or namespace), str(ref.get("name"))), clusters)
    # A name postBuild fills in (${REPO}) may be any: nothing is judged unused against it.
    sources_known = not any(substituted(part) for used in used_sources for part in used)
    namespaces_known = not any(substituted(namespace) for namespace in used_namespaces)
    served_twice = {(problem.path, problem.line) for problem in duplicate_urls}

    def unused(where: dict, key, manifest: Manifest) -> bool:
        """Used in none of the clusters that apply `manifest` (a file two clusters share and
        one of them uses is needed)."""
        return not where.get(key, set()) & (repo.clusters_of(manifest) or {""})

    # The names each document's object is built as (a namePrefix, each overlay's its own):
    # what uses it names one of those, in the clusters that apply it.
    # A name postBuild fills in is the one the applying Kustomization's own values give;
    # one known on the cluster only may be any (not judged).
    fill_in = as_applied(repo)
    built_names: dict[tuple[str, int], set[str]] = {}
    for item in built:
        if item.source.obj is not None:
            name = str(metadata_of(item.obj).get("name"))
            built_names.setdefault((item.source.path, item.source.line), set()).add(
                (fill_in(item, name)[0] or name) if substituted(name) else name)
    problems = []
    for manifest in repo.manifests:
        names = built_names.get((manifest.path, manifest.line), set())
        names = names if substituted(manifest.name) and names else {manifest.name, *names}
        if any(substituted(name) for name in names):
            continue
        if manifest.is_a("HelmRepository", SOURCE_GROUP) and sources_known \
                and all(unused(used_sources, (manifest.namespace, name), manifest) for name in names) \
                and (manifest.path, manifest.line) not in served_twice:
            problems.append(Problem(manifest.path, manifest.line, "ref.unused-source", WARNING,
                                    f"{manifest.label()}: no HelmRelease or HelmChart {_of_its_cluster(repo)} uses it "
                                    "(Flux still fetches its index every interval); delete its file if no app needs "
                                    "it any more"))
        elif manifest.is_a("Namespace", "") and namespaces_known \
                and not names & {FLUX_SYSTEM, *BUILTIN_NAMESPACES} \
                and all(unused(used_namespaces, name, manifest) for name in names):
            problems.append(Problem(manifest.path, manifest.line, "ref.unused-namespace", WARNING,
                                    f"{manifest.label()}: nothing {_in_its_cluster(repo)} goes into it; delete its "
                                    "file if no app needs it any more"))
    return problems


def _several_clusters(repo: Repository) -> bool:
    return len({cluster for clusters in repo.folder_clusters.values() for cluster in clusters}) > 1


def _of_its_cluster(repo: Repository) -> str:
    return "of the clusters that apply it" if _several_clusters(repo) else "of this repository"


def _in_its_cluster(repo: Repository) -> str:
    return "in the clusters that apply it" if _several_clusters(repo) else "in this repository"


def _manifest_references(repo: Repository, manifest: Manifest, index: Index) -> list[Problem]:
    """What `manifest` names that `index` lacks."""
    problems: list[Problem] = []
    spec = spec_of(manifest)
    if manifest.is_a("Kustomization", KUSTOMIZE_GROUP):
        problems += _source_ref(manifest, spec, "sourceRef", KUSTOMIZATION_SOURCES, index)
        problems += _depends_on(manifest, spec, "Kustomization", KUSTOMIZE_GROUP, index)
        problems += _health_checks(repo, manifest, spec, index)
        problems += _substitute_from(repo, manifest, spec, index)
        problems += _service_account(manifest, spec, index)
    elif manifest.is_a("HelmRelease", HELM_GROUP):
        chart = spec.get("chart")
        chart_spec = chart.get("spec") if isinstance(chart, LineMap) else None
        if isinstance(chart_spec, LineMap):
            problems += _source_ref(manifest, chart_spec, "sourceRef", CHART_SOURCES, index)
            problems += _chart_path(repo, manifest, chart_spec)
        problems += _source_ref(manifest, spec, "chartRef", CHART_REF_KINDS, index)
        problems += _values_from(manifest, spec, index)
        problems += _depends_on(manifest, spec, "HelmRelease", HELM_GROUP, index)
        problems += _service_account(manifest, spec, index)
    elif manifest.is_a("Receiver", NOTIFICATION_GROUP):
        # notification-controller looks each resource up by the version written.
        for entry, line in entries(spec, "resources"):
            problems += _removed_version(manifest, entry, line, "ref.receiver-version",
                                         f"resource {entry.get('kind')} {entry.get('name')}",
                                         "so there every call of this webhook fails")
            problems += _receiver_resource(manifest, entry, line, index)
    elif manifest.is_a("HelmChart", SOURCE_GROUP):
        problems += _source_ref(manifest, spec, "sourceRef", CHART_SOURCES, index)
        problems += _chart_path(repo, manifest, spec)
    elif manifest.kind == "ImageUpdateAutomation" and manifest.group.endswith(GROUP_SUFFIX):
        problems += _source_ref(manifest, spec, "sourceRef", ("GitRepository",), index)
        problems += _update_path(repo, manifest, spec)
    elif manifest.is_a("Alert", NOTIFICATION_GROUP):
        problems += _named_ref(manifest, spec, "providerRef", "Provider", NOTIFICATION_GROUP, index, "ref.provider")
    elif manifest.kind == "ImagePolicy" and manifest.group == IMAGE_GROUP:
        problems += _named_ref(manifest, spec, "imageRepositoryRef", "ImageRepository", IMAGE_GROUP, index,
                               "ref.image-repository")
    return problems


def _receiver_resource(manifest: Manifest, entry: LineMap, line: int, index: Index) -> list[Problem]:
    """A Receiver's resource names an object the cluster applies, as its build names it (`*`
    with matchLabels names those labelled so, and a HelmChart is made on the cluster: not
    judged): notification-controller looks it up on each call
    of the webhook, and a call finding nothing reconciles nothing."""
    kind, name = entry.get("kind"), entry.get("name")
    if not isinstance(kind, str) or not isinstance(name, str) or name == "*" or kind == "HelmChart":
        return []  # (helm-controller makes a HelmRelease's HelmChart on the cluster)
    namespace = str(entry.get("namespace") or manifest.namespace)
    api_version = entry.get("apiVersion")
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else None
    if index.exists(kind, namespace, name, group):
        return []
    return [Problem(manifest.path, line, "ref.receiver", ERROR,
                    f"{manifest.label()}: resource {kind} {namespace}/{name}, which {index.scope}"
                    f"{_similar(index, name, kind)}: a call of this webhook finds nothing to reconcile")]


def _named_ref(manifest: Manifest, spec: LineMap, key: str, kind: str, group: str, index: Index, rule: str) -> list[Problem]:
    """`spec.<key>` names an object of `kind` (in the manifest's namespace, or the one it
    gives) that the cluster must apply: the controller waits on it and does nothing else."""
    ref = spec.get(key)
    name = ref.get("name") if isinstance(ref, LineMap) else None
    if not isinstance(name, str):
        return []  # absent or malformed: the schema check says so
    namespace = str(ref.get("namespace") or manifest.namespace)
    if index.exists(kind, namespace, name, group):
        return []
    return [Problem(manifest.path, spec.line_of(key), rule, ERROR,
                    f"{manifest.label()}: {key} names {kind} {namespace}/{name}, which {index.scope}"
                    f"{_similar(index, name, kind)}")]


def _update_path(repo: Repository, manifest: Manifest, spec: LineMap) -> list[Problem]:
    """An ImageUpdateAutomation writing to this repository (its own GitRepository) names a
    folder of it: image-automation-controller fails on a path that is not there."""
    source, update = spec.get("sourceRef"), spec.get("update")
    if not (isinstance(source, LineMap) and isinstance(update, LineMap) and isinstance(update.get("path"), str)):
        return []
    path = _own_path(repo, manifest, source, update["path"])
    if path is None:
        return []
    folder = normalized_path(path)
    if folder is not None and (folder == "" or (repo.root / folder).is_dir()):
        return []
    return [Problem(manifest.path, update.line_of("path"), "ref.update-path", ERROR,
                    f"{manifest.label()}: update.path {update['path']} is no folder of this repository, "
                    "so image-automation-controller updates nothing")]


def _chart_path(repo: Repository, manifest: Manifest, parent: LineMap) -> list[Problem]:
    """A chart from this repository's own GitRepository (`chart` is then a path in it) is a
    chart folder of it, or a packaged chart: source-controller fails the HelmChart, and the
    HelmRelease never installs, on a path that is not there."""
    source, chart = parent.get("sourceRef"), parent.get("chart")
    if not (isinstance(source, LineMap) and source.get("kind") == "GitRepository" and isinstance(chart, str)):
        return []
    if (str(source.get("namespace") or manifest.namespace), source.get("name")) != (FLUX_SYSTEM, FLUX_SYSTEM):
        return []  # another GitRepository of this URL may follow another branch, whose files are not here
    path = _own_path(repo, manifest, source, chart)
    if path is None:
        return []
    folder = normalized_path(path)
    if folder is not None and ((repo.root / folder / "Chart.yaml").is_file()
                               or (folder.endswith(".tgz") and (repo.root / folder).is_file())):
        return []
    return [Problem(manifest.path, parent.line_of("chart"), "ref.chart-path", ERROR,
                    f"{manifest.label()}: chart {chart} is no chart of this repository (a folder holding Chart.yaml, "
                    "or a packaged .tgz), so source-controller cannot build it and the release is never installed")]


def _own_path(repo: Repository, manifest: Manifest, source: LineMap, path: str) -> str | None:
    """`path` in the GitRepository `source` names, where that is this repository (its own
    GitRepository) and the path is known here: filled in by the applying Kustomization's
    postBuild as kustomize-controller does; None for another repository's path, or one
    only the cluster's values fill in."""
    own = repo.followed.own_sources if repo.followed else frozenset()
    if (str(source.get("namespace") or manifest.namespace), source.get("name")) not in own:
        return None  # another repository's folders are not here to look at
    if substituted(path) and not post_build.disabled(manifest.obj):
        # The path as the applying Kustomization's postBuild fills it in; a value only the
        # cluster has is not judged here (check_schemas notes the object).
        applying = next((k for k in repo.kustomizations if k.path == manifest.folder), None)
        return post_build.substitute(path, applied_post_builds(repo).get(applying))
    return path


def _source_ref(manifest: Manifest, parent: LineMap, key: str, kinds: tuple[str, ...], index: Index) -> list[Problem]:
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
                    f"{manifest.label()}: {key} names {kind} {namespace}/{name}, which {index.scope}"
                    f"{_similar(index, name, kind)}")]


def _similar(index: Index, name: str, kind: str) -> str:
    """A hint naming objects of that kind and name in other namespaces (a namespace mix-up)."""
    others = sorted({m.label() for m in index.named(name) if m.kind == kind})
    return f" (defined: {', '.join(others)})" if others else ""


def _values_from(manifest: Manifest, spec: LineMap, index: Index) -> list[Problem]:
    problems = []
    for entry, line in entries(spec, "valuesFrom"):
        kind, name = entry.get("kind"), entry.get("name")
        if kind not in ("ConfigMap", "Secret") or not isinstance(name, str) or entry.get("optional") is True:
            continue
        key = str(entry.get("valuesKey") or DEFAULT_VALUES_KEY)
        where = f"{manifest.label()}: valuesFrom {kind} {manifest.namespace}/{name}"
        # As a build makes it (a generator's data, a component's too), where one does.
        built = index.built.get((kind, manifest.namespace, name))
        if built is None and (kind, manifest.namespace, name) in index.generated:
            continue  # made by a kustomize generator: its keys are known only once built
        if (maker := index.renamed.get((kind, manifest.namespace, name))) and not index.find(kind, manifest.namespace, name) \
                and built is None:
            problems.append(Problem(manifest.path, entry.line_of("name"), "ref.values", ERROR,
                                    f"{where}: the generator in {maker.path} makes it as {name}-<hash of its content>, "
                                    "and kustomize does not rewrite a HelmRelease's valuesFrom, so helm-controller "
                                    "never finds it: give the generator `options: {disableNameSuffixHash: true}`"))
            continue
        if substituted(manifest.namespace, name) or index.may_be_substituted(kind, manifest.namespace, name):
            continue  # named by postBuild variables: known on the cluster only
        keys = _object_keys(kind, built) if built is not None else _data_keys(index, kind, manifest.namespace, name)
        if keys is None and index.incomplete:
            continue
        if keys is None and (hashed := _built_with_hash(index, kind, manifest.namespace, name)):
            problems.append(Problem(manifest.path, entry.line_of("name"), "ref.values", ERROR,
                                    f"{where}: a generator the build runs (a component's) makes it as {hashed}, and "
                                    "kustomize does not rewrite a HelmRelease's valuesFrom, so helm-controller never "
                                    "finds it: give the generator `options: {disableNameSuffixHash: true}`"))
        elif keys is None:
            problems.append(Problem(manifest.path, entry.line_of("name"), "ref.values", ERROR,
                                    f"{where}: {index.scope} it{_similar(index, name, kind)}"))
        elif key not in keys:
            problems.append(Problem(manifest.path, entry.line_of("valuesKey") if "valuesKey" in entry else line,
                                    "ref.values", ERROR,
                                    f"{where} has no key {key!r} (it has: {', '.join(sorted(keys)) or 'none'})"))
    return problems


def _substitute_from(repo: Repository, manifest: Manifest, spec: LineMap, index: Index) -> list[Problem]:
    """Each postBuild.substituteFrom that is not `optional` names a ConfigMap or Secret of the
    Kustomization's namespace: kustomize-controller fails the whole build without it
    (`substitute from 'ConfigMap/x' error: configmaps "x" not found`). It reads it before it
    builds: one only this Kustomization applies is never there for its first build."""
    problems = []
    for entry, line in _substitute_from_entries(repo, manifest, spec):
        kind, name = entry.get("kind"), entry.get("name")
        if kind not in ("ConfigMap", "Secret") or not isinstance(name, str) or entry.get("optional") is True:
            continue
        if substituted(manifest.namespace, name) or index.may_be_substituted(kind, manifest.namespace, name) \
                or index.incomplete:
            continue
        if _data_keys(index, kind, manifest.namespace, name) is None and not index.built_as(kind, manifest.namespace, name) \
                and (kind, manifest.namespace, name) not in index.generated | set(index.renamed) \
                and not _made_at_run_time(index.makers, kind, manifest.namespace, name)[0]:
            problems.append(Problem(manifest.path, line, "ref.substitute-from", ERROR,
                                    f"{manifest.label()}: postBuild.substituteFrom {kind} {manifest.namespace}/{name}: "
                                    f"{index.scope} it, and kustomize-controller fails the build without it "
                                    f"(or mark it optional: true){_similar(index, name, kind)}"))
        elif _applied_only_by(repo, index, kind, manifest.namespace, name) == {(manifest.path, manifest.line)}:
            problems.append(Problem(manifest.path, line, "ref.substitute-from", ERROR,
                                    f"{manifest.label()}: postBuild.substituteFrom {kind} {manifest.namespace}/{name}: "
                                    "only this Kustomization applies it, and kustomize-controller reads it before it "
                                    "builds: on a new cluster the first build fails and nothing ever applies it. Apply "
                                    "it from a Kustomization this one dependsOn (or mark it optional: true)"))
    return problems


def _substitute_from_entries(repo: Repository, manifest: Manifest, spec: LineMap) -> list[tuple[dict, int]]:
    """(entry, line) of each postBuild.substituteFrom of the Kustomization as Flux applies it:
    as its parent's build gives it (a parent's patch adds substituteFrom to its children,
    home-ops' way), else as written. An entry its file writes is told at its name's line;
    one a patch added, at the Kustomization's first line."""
    post_build = spec.get("postBuild")
    written = [(entry, entry.line_of("name")) for entry, _ in entries(post_build, "substituteFrom")] \
        if isinstance(post_build, LineMap) else []
    applied = repo.built_specs.get((manifest.path, manifest.line))
    applied = applied.get("postBuild") if isinstance(applied, dict) else None
    listed = applied.get("substituteFrom") if isinstance(applied, dict) else None
    if not isinstance(listed, list):
        return written
    lines = {(entry.get("kind"), entry.get("name")): line for entry, line in written}
    return [(entry, lines.get((entry.get("kind"), entry.get("name")), manifest.line))
            for entry in listed if isinstance(entry, dict)]


def _applied_only_by(repo: Repository, index: Index, kind: str, namespace: str, name: str) -> set[tuple[str, int]]:
    """(file, line) of each Kustomization applying a folder that defines the object; empty
    when one it cannot name applies it (a stand-in for an unknown one)."""
    appliers = set()
    for found in index.named(name):
        if found.kind != kind or found.namespace != namespace:
            continue
        for kustomization in repo.kustomizations:
            if kustomization.path == found.folder:
                if kustomization.stand_in:
                    return set()
                appliers.add((kustomization.file, kustomization.line))
    return appliers


def _service_account(manifest: Manifest, spec: LineMap, index: Index) -> list[Problem]:
    """A spec.serviceAccountName names a ServiceAccount of the object's namespace: the
    controller impersonates it to apply (multi-tenancy), and without it the apply fails.
    The cluster may have it from elsewhere (a tenant's onboarding): a warning."""
    name = spec.get("serviceAccountName")
    if not isinstance(name, str) or not name or substituted(manifest.namespace, name) or index.incomplete \
            or index.find("ServiceAccount", manifest.namespace, name, "") is not None:
        return []
    return [Problem(manifest.path, spec.line_of("serviceAccountName"), "ref.service-account", WARNING,
                    f"{manifest.label()}: serviceAccountName {name}: {index.scope} ServiceAccount "
                    f"{manifest.namespace}/{name}, which the controller impersonates to apply; unless the "
                    f"cluster has it from elsewhere, the apply fails{_similar(index, name, 'ServiceAccount')}")]


def _built_with_hash(index: Index, kind: str, namespace: str, name: str) -> str:
    """The name a build gives an object a generator makes of `name` with the hash of its
    content kustomize adds (`-` and ten characters), or "" (an object of a file named so
    is none)."""
    return next((built for (k, n, built) in index.built_by_generator
                 if (k, n) == (kind, namespace) and re.fullmatch(re.escape(name) + r"-[a-z0-9]{10}", built)), "")


def _object_keys(kind: str, obj: dict) -> set[str]:
    """The data keys a ConfigMap or Secret object holds."""
    fields = ("data", "binaryData") if kind == "ConfigMap" else ("data", "stringData")
    return {str(key) for field in fields if isinstance(obj.get(field), dict) for key in obj[field]}


def _data_keys(index: Index, kind: str, namespace: str, name: str) -> set[str] | None:
    """The data keys of the ConfigMap or Secret, or None if nothing defines it. A Secret may
    come from a SealedSecret of the same name."""
    found = index.find(kind, namespace, name, "")
    if found is not None:
        return _object_keys(kind, found.obj)
    if kind == "Secret":
        sealed = index.find("SealedSecret", namespace, name, SEALED_SECRETS_GROUP)
        if sealed is not None:
            spec = spec_of(sealed)
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


def _depends_on(manifest: Manifest, spec: LineMap, kind: str, group: str, index: Index) -> list[Problem]:
    problems = []
    for entry, line in entries(spec, "dependsOn"):
        name = entry.get("name")
        if not isinstance(name, str):
            continue
        namespace = str(entry.get("namespace") or manifest.namespace)
        if not index.exists(kind, namespace, name, group):
            problems.append(Problem(manifest.path, line, "ref.depends-on", ERROR,
                                    f"{manifest.label()}: dependsOn names {kind} {namespace}/{name}, which "
                                    f"{index.scope}{_similar(index, name, kind)}"))
    return problems


def _depends_on_cycles(repo: Repository, kind: str, group: str) -> list[Problem]:
    """One problem per dependency cycle, at the dependsOn entry of its first member (by file)
    that leads round it."""
    nodes = {(m.namespace, m.name): m for m in sorted(repo.manifests, key=lambda m: (m.path, m.line)) if m.is_a(kind, group)}
    # node -> {dependency: line of the dependsOn entry}
    depends: dict[tuple[str, str], dict[tuple[str, str], int]] = {}
    for node, manifest in nodes.items():
        depends[node] = {}
        for entry, line in entries(spec_of(manifest), "dependsOn"):
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


def _removed_version(manifest: Manifest, entry: LineMap, line: int, rule: str, what: str, outcome: str) -> list[Problem]:
    """An object named by apiVersion and kind under a Flux API version Flux 2.9 no longer
    serves (a warning: a cluster on an older Flux still serves it)."""
    group, _, version = str(entry.get("apiVersion") or "").rpartition("/")
    served = FLUX_2_9.get((group, entry.get("kind")))
    if served is None or version not in served.legacy:
        return []
    return [Problem(manifest.path, line, rule, WARNING,
                    f"{manifest.label()}: {what} names {group}/{version}, which Flux 2.9 no longer serves, {outcome}; "
                    f"name {group}/{served.current}")]


def _health_checks(repo: Repository, manifest: Manifest, spec: LineMap, index: Index) -> list[Problem]:
    """Each health check names an object Flux applies in the Kustomization's cluster: the
    Kustomization itself, one it depends on (it is applied first) or any other (Flux
    retries until it is there). An object a HelmRelease renders, or that a Kustomization
    applies from a source not followed offline, can only be confirmed on the cluster."""
    folder = normalized_path(spec.get("path"))
    if folder is None or folder not in repo.folders or not (repo.root / folder).is_dir():
        return []  # another source's folder, or none at all (the build says so): nothing to look in
    clusters = repo.folder_clusters.get(folder, set())
    applied = [m for m in repo.manifests if not clusters or repo.clusters_of(m) & clusters or not repo.clusters_of(m)]
    # What the path applies: its files, and a base's its build reads (Manifest.folder).
    renderers = [m for m in applied if (is_under(m.path, folder) or m.folder == folder) and (
        m.is_a("HelmRelease", HELM_GROUP) or m.is_a("Kustomization", KUSTOMIZE_GROUP))]
    # What a source (or a Kustomization) that is not followed offline applies is unknown here.
    unread = ", ".join(n.label() if n.why else f"{n.label()} (Kustomization {n.kustomization.ref})"
                       for n in (repo.followed.not_followed if repo.followed else ())[:2])
    problems = []
    for entry, line in entries(spec, "healthChecks"):
        kind, name = entry.get("kind"), entry.get("name")
        if not isinstance(kind, str) or not isinstance(name, str):
            continue
        namespace = str(entry.get("namespace") or manifest.namespace)
        group, _, version = str(entry.get("apiVersion") or "").rpartition("/")
        target = f"{kind} {namespace}/{name}"
        if substituted(namespace, name):
            continue  # named by postBuild variables: known on the cluster only
        # kustomize-controller looks the object up by this version: where it is not
        # served, the lookup fails and the health check never passes.
        problems += _removed_version(manifest, entry, line, "ref.health-check-version", f"health check {target}",
                                     "so there it never passes")
        if index.incomplete or _defines(applied, kind, namespace, name, group) or index.built_as(kind, namespace, name):
            continue
        shown = folder + "/" if folder else "the repository root"
        if unread:
            problems.append(Problem(manifest.path, line, "ref.health-check", WARNING,
                                    f"{manifest.label()}: health check {target} cannot be verified offline: no file "
                                    f"of this repository defines it; {unread} may apply it"))
        elif group.endswith(GROUP_SUFFIX) or kind == "Namespace" or not renderers:
            problems.append(Problem(manifest.path, line, "ref.health-check", ERROR,
                                    f"{manifest.label()}: health check {target} names an object neither {shown} "
                                    "nor any other Kustomization of this repository applies"))
        elif makers := [m for m in renderers if _installs_into(m) in ("", namespace)]:
            problems.append(Problem(manifest.path, line, "ref.health-check", WARNING,
                                    f"{manifest.label()}: health check {target} cannot be verified offline: "
                                    f"no file of this repository defines it; "
                                    f"{', '.join(m.label() for m in makers[:3])} may make it"))
        else:  # a chart may write another namespace's objects, but the cookbook's do not
            problems.append(Problem(manifest.path, line, "ref.health-check", WARNING,
                                    f"{manifest.label()}: health check {target} cannot be verified offline: "
                                    f"no file of this repository defines it; no HelmRelease of {shown} installs into "
                                    f"{namespace}"))
    return problems


def _installs_into(maker: Manifest) -> str:
    """The namespace a HelmRelease installs its chart into (targetNamespace, else its own);
    "" for a Kustomization, which may apply anything anywhere."""
    if not maker.is_a("HelmRelease", HELM_GROUP):
        return ""
    spec = maker.obj.get("spec") if isinstance(maker.obj.get("spec"), dict) else {}
    return str(spec.get("targetNamespace") or maker.namespace)


def _made_name(maker: Manifest) -> str:
    """The name of what a run-time maker makes: an ExternalSecret's spec.target.name, else its own."""
    target = spec_of(maker).get("target")
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
        # A cluster-scoped object (its namespace "") is found whatever namespace the health
        # check gives (it defaults to the Kustomization's).
        if m.kind == kind and substituted(m.name, m.namespace) and may_become(m.name, name) \
                and (not m.namespace or may_become(m.namespace, namespace)):
            return True  # named on the cluster, by postBuild variables: it may be this one
        if m.name != name or (m.namespace and m.namespace != namespace):
            continue
        if m.kind == kind and (not group or m.group == group):
            return True
    return kind in ("Secret", "ConfigMap") and _made_at_run_time(defined, kind, namespace, name)[0]


# Where Flux's kinds name another object: (group, kind) -> (the field's path under spec,
# whether it holds a list, the kind it names where the entry does not say). kustomize
# renames references in the fields of Kubernetes' own kinds it knows, never in these.
_FLUX_REFERENCES = {
    (HELM_GROUP, "HelmRelease"): ((("valuesFrom",), True, None), (("chart", "spec", "sourceRef"), False, None),
                                  (("chartRef",), False, None), (("dependsOn",), True, "HelmRelease")),
    (KUSTOMIZE_GROUP, "Kustomization"): ((("healthChecks",), True, None), (("sourceRef",), False, None),
                                         (("dependsOn",), True, "Kustomization")),
    (SOURCE_GROUP, "HelmChart"): ((("sourceRef",), False, None),),
    (NOTIFICATION_GROUP, "Alert"): ((("providerRef",), False, "Provider"), (("eventSources",), True, None)),
    (NOTIFICATION_GROUP, "Receiver"): ((("resources",), True, None),),
    (IMAGE_GROUP, "ImagePolicy"): ((("imageRepositoryRef",), False, "ImageRepository"),),
    (IMAGE_GROUP, "ImageUpdateAutomation"): ((("sourceRef",), False, "GitRepository"),),
}


def _flux_references(obj: dict) -> Iterable[tuple[tuple, dict, str | None]]:
    """(the path of the reference's name, the reference, the kind it names) of each
    reference `_FLUX_REFERENCES` lists in `obj`."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    for path, listed, kind in _FLUX_REFERENCES.get((api_group(obj), obj.get("kind")), ()):
        value = spec
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        for position, entry in enumerate(value if listed and isinstance(value, list) else [value] if not listed else []):
            if isinstance(entry, dict):
                yield ("spec", *path, *([position] if listed else []), "name"), entry, kind


def check_renamed_references(built: list) -> list[Problem]:
    """A reference by the name an object's file gives it, where the build renames that
    object (a namePrefix or nameSuffix): kustomize rewrites references only in fields it
    knows, not a HelmRelease's valuesFrom or sourceRef, a Kustomization's healthChecks or an
    Alert's providerRef, so the controller looks for a name nothing has. `built`:
    built_objects of each build."""
    names = {(item.obj.get("kind"), built_namespace(item.obj), metadata_of(item.obj).get("name")) for item in built}
    renamed = {}  # (kind, namespace, the name its document gives) -> the name it is built as
    for item in built:
        written, meta = metadata_of(item.source.obj).get("name") if item.source.obj is not None else None, metadata_of(item.obj)
        if written and written != meta.get("name"):
            renamed[item.obj.get("kind"), built_namespace(item.obj), written] = meta.get("name")
    problems = []
    for item in built:
        own = metadata_of(item.obj)
        for path, entry, kind in _flux_references(item.obj):
            if entry.get("optional") is True or entry.get("name") == "*":
                continue  # (`*`: every object of the kind, or those matchLabels picks)
            key = (entry.get("kind") or kind, entry.get("namespace") or built_namespace(item.obj), entry.get("name"))
            if key in names or key not in renamed:
                continue
            field = ".".join(part for part in path[1:-1] if isinstance(part, str))
            problems.append(Problem(
                item.source.path, item.source.line_at(path), "ref.renamed", ERROR,
                f"{item.obj.get('kind')} {own.get('namespace')}/{own.get('name')}: {field} names "
                f"{key[0]} {key[1]}/{key[2]}, which the build names {renamed[key]} (a namePrefix or nameSuffix); nothing is "
                "applied under the name it gives (kustomize renames no reference inside Flux's kinds): name it as "
                "built, or drop the prefix or suffix"))
    return problems


def check_sealed_secret_bindings(built: list) -> list[Problem]:
    """A SealedSecret sealed strict binds its values to its namespace and name, one sealed
    namespace-wide to its namespace (the encryption's label): where the build applies it
    under another (a kustomization's `namespace:`, a namePrefix), the controller cannot
    open it. `built`: built_objects of each build."""
    from flux_cookbook.seal import sealing
    from flux_cookbook.seal.sealed_secrets import missing_keys

    problems = []
    for item in built:
        if (api_group(item.obj), item.obj.get("kind")) != (SEALED_SECRETS_GROUP, "SealedSecret") \
                or item.source.obj is None:
            continue
        written, applied = metadata_of(item.source.obj), metadata_of(item.obj)
        scope = sealing.scope_from_annotations(written.get("annotations") if isinstance(written.get("annotations"), dict) else None)
        bound = {sealing.STRICT: ("namespace", "name"), sealing.NAMESPACE_WIDE: ("namespace",)}.get(scope, ())
        spec = item.obj.get("spec") if isinstance(item.obj.get("spec"), dict) else {}
        template = spec.get("template") if isinstance(spec.get("template"), dict) else {}
        # kubeseal and `seal` write the name and namespace sealed for in the template too:
        # a file renamed by hand since still says there what its values are bound to.
        sealed_for = metadata_of(template)
        renamed = [key for key in bound if sealed_for.get(key) and written.get(key) and sealed_for[key] != written[key]]
        moved = [key for key in bound if written.get(key) and written.get(key) != applied.get(key)]
        if renamed:
            problems.append(Problem(
                item.source.path, item.source.line_at(("metadata", renamed[0])), "ref.sealed-secret-scope", ERROR,
                f"SealedSecret {written.get('namespace')}/{written.get('name')} is sealed {scope} for "
                f"{sealed_for.get('namespace', written.get('namespace'))}/{sealed_for.get('name', written.get('name'))} "
                f"(its spec.template.metadata), and renamed since: the controller cannot open it. Seal its values "
                "again under the new name (flux-cookbook seal), or give it back the name it was sealed for"))
        elif moved:
            problems.append(Problem(
                item.source.path, item.source.line, "ref.sealed-secret-scope", ERROR,
                f"SealedSecret {written.get('namespace')}/{written.get('name')} is sealed {scope}, for its "
                f"{' and '.join(moved)}, but the build applies it as {applied.get('namespace')}/{applied.get('name')}: "
                "the controller cannot open it. Seal it for where it is applied, or apply it where it was sealed"))
        have = {str(key) for part in (spec.get("encryptedData"), template.get("data")) if isinstance(part, dict) for key in part}
        if lacking := missing_keys(str(template.get("type") or "Opaque"), have):
            problems.append(Problem(item.source.path, item.source.line, "ref.sealed-secret-keys", ERROR,
                                    f"SealedSecret {applied.get('namespace')}/{applied.get('name')}: its Secret's {lacking[0].lower()}"
                                    f"{lacking[1:]} The API server refuses it without them, so the controller never makes it"))
    return problems
