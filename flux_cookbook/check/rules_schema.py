"""check's schema and build: the objects Flux applies, as built, validate strictly against
the CRDs of the repository's Flux release, and every Flux Kustomization Flux reaches builds."""

from __future__ import annotations

import difflib
import posixpath
import re
from pathlib import Path
from typing import Any, Iterable

from flux_cookbook.check.object_index import (
    applied_kustomization_spec,
    applied_post_builds,
    as_applied,
    kustomization_spec,
    metadata_of,
    secret_text,
    spec_of,
    substituted,
)
from flux_cookbook.check.problems import ERROR, SEALED_SECRETS_GROUP, WARNING, Problem
from flux_cookbook.check.rules_yaml import read_by_flux
from flux_cookbook.extensions.flux_names import HELM_GROUP, SOURCE_GROUP, kustomize_config_field
from flux_cookbook.repository import post_build
from flux_cookbook.repository.model import (
    Repository,
    api_group,
    is_kustomize_config,
    is_under,
)
from flux_cookbook.repository.yaml_lines import LineList, LineMap, line_at


def check_schemas(repo: Repository, results: list | None = None, crd_dirs: list[Path] | None = None,
                  built: list | None = None, cluster_crds: dict[str, list[Path]] | None = None) -> list[Problem]:
    """Every object Flux applies validates against the schema the cluster would apply:
    Flux's CRDs of the repository's Flux release (`crd_dirs`; strict, CEL rules included),
    or of each cluster's that applies it (`cluster_crds`, by bootstrap folder: an object
    two clusters on different releases apply must suit both), SealedSecret's, Kubernetes'
    own kinds. `results`: the builds of the Kustomizations
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
        by, substitutes = substituting.get(item.kustomization.path, ("", None))
        after = ""
        if by and _waits_for_substitution(obj):
            # What the cluster gets: the postBuild's values filled in, when all are known here.
            applied = post_build.substitute_document(item.text, substitutes)
            if not isinstance(applied, dict):
                meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
                problems.append(Problem(
                    item.source.path, item.source.line, "schema.substituted", WARNING,
                    f"{obj.get('kind')}/{meta.get('name')}: not validated here: it holds ${{...}} variables "
                    f"that the postBuild of Kustomization {by} fills in on the cluster"))
                continue
            obj = {key: value for key, value in applied.items() if key != "sops"}
            after = f" (once the postBuild of Kustomization {by} substitutes its variables)"
        for dirs in _crd_sets(repo, item.kustomization.path, crd_dirs, cluster_crds):
            for where, message in schemas.validate_object_fields(obj, dirs):
                problems.append(Problem(item.source.path, item.source.line_at(tuple(where)), "schema", ERROR,
                                        message + after))
    for path in repo.manifest_files():
        if (folder := repo.folder_of(path)) in covered:
            continue
        for dirs in _crd_sets(repo, folder, crd_dirs, cluster_crds):
            problems += _file_schema_problems(repo, path, substituting, dirs)
    return problems  # an object two clusters' releases refuse alike: check_repository keeps one


def _crd_sets(repo: Repository, folder: str | None, crd_dirs: list[Path] | None,
              cluster_crds: dict[str, list[Path]] | None) -> list[list[Path] | None]:
    """The CRD folders to validate an object of `folder` against, once per distinct Flux
    release among the clusters that apply the folder; `crd_dirs` when none does."""
    sets: list[list[Path] | None] = []
    for cluster in sorted(repo.folder_clusters.get(folder or "", ())):
        dirs = (cluster_crds or {}).get(cluster, crd_dirs)
        if dirs not in sets:
            sets.append(dirs)
    return sets or [crd_dirs]


def _file_schema_problems(repo: Repository, path: str, substituting: dict[str, tuple],
                          crd_dirs: list[Path] | None) -> list[Problem]:
    """The objects of one file as written (its folder was not built)."""
    from flux_cookbook.check import schemas

    documents = repo.documents[path]
    if any(isinstance(d.obj, dict) and "sops" in d.obj for d in documents):
        return _sops_schema_problems(path, documents, crd_dirs)
    by, _ = substituting.get(repo.folder_of(path) or "", ("", None))
    if by and any(_waits_for_substitution(d.obj) for d in documents):
        return _substituted_schema_problems(repo, path, documents, by, crd_dirs)
    return [Problem(path, line, "schema", ERROR, message)
            for line, message in schemas.validate_file(repo.root / path, path, crd_dirs)]


def _substituting_kustomizations(repo: Repository) -> list[tuple[str, tuple[str, post_build.PostBuild | None]]]:
    """(applied folder, (Kustomization name, its postBuild)) of each Flux Kustomization with
    a postBuild: kustomize-controller substitutes ${...} variables in what it builds, after
    the build."""
    found = []
    for kustomization in repo.kustomizations:
        spec = applied_kustomization_spec(repo, kustomization)
        if spec is not None and spec.get("postBuild"):
            found.append((kustomization.path, (kustomization.name, post_build.of(spec))))
    return found


# kustomize-controller's variable names (fluxcd/pkg kustomize_varsub.go): a postBuild with
# any other name fails the whole build.
_VARIABLE_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")


def check_post_build(repo: Repository, built: list) -> list[Problem]:
    """What kustomize-controller refuses after the build: a `postBuild.substitute` variable
    whose name it cannot substitute, and a SOPS-encrypted object where the Kustomization
    applying it decrypts nothing (no `spec.decryption`): it would go to the cluster as
    encrypted, which the API server refuses."""
    problems = []
    for kustomization in repo.kustomizations:
        manifest = repo.manifest_of(kustomization)
        post_build = spec_of(manifest).get("postBuild") if manifest is not None else None
        substitute = post_build.get("substitute") if isinstance(post_build, dict) else None
        for name in substitute if isinstance(substitute, dict) else ():
            if not _VARIABLE_NAME.fullmatch(str(name)):
                problems.append(Problem(
                    manifest.path, line_at(manifest.obj, manifest.line, ("spec", "postBuild", "substitute", name)),
                    "schema.post-build", ERROR,
                    f"postBuild variable {name!r} of Kustomization {kustomization.ref}: kustomize-controller "
                    "takes only letters, digits and _ (not first a digit), and fails the whole build"))
    reported = set()
    for item in built:
        if ("sops" not in item.obj and not _generated_from_sops(item)) or (item.source.path, item.source.line) in reported:
            continue
        spec = applied_kustomization_spec(repo, item.kustomization)
        if spec is None or spec.get("decryption"):
            continue  # decrypted, or applied by no Kustomization of this repository (--path)
        reported.add((item.source.path, item.source.line))
        meta = metadata_of(item.obj)
        encrypted, outcome = (("is SOPS-encrypted", "Flux would apply it encrypted, which the cluster refuses")
                              if "sops" in item.obj else
                              ("is generated from a SOPS-encrypted file", "the cluster would get the encrypted text as "
                               "its values"))
        problems.append(Problem(
            item.source.path, item.source.line, "schema.sops-not-decrypted", ERROR,
            f"{item.obj.get('kind')}/{meta.get('name')} {encrypted}, but Kustomization "
            f"{item.kustomization.ref} has no spec.decryption: {outcome}. Give that Kustomization "
            "spec.decryption (provider: sops, and the key's secretRef)"))
    return problems


def _generated_from_sops(item) -> bool:
    """Whether a generator (no document holds the object) made this ConfigMap or Secret of a
    SOPS-encrypted file: a dotenv's keys (sops_mac), or a file's encrypted values
    (ENC[AES256_GCM,...]). kustomize-controller decrypts such sources only with
    spec.decryption; else the cluster gets the encrypted text as the values."""
    if item.source.obj is not None or item.obj.get("kind") not in ("ConfigMap", "Secret"):
        return False
    data = item.obj.get("data") if isinstance(item.obj.get("data"), dict) else {}
    if "sops_mac" in data:
        return True
    secret = item.obj.get("kind") == "Secret"
    # (A Secret's value that is no text, a keystore's bytes: no SOPS file.)
    return any("ENC[AES256_GCM," in ((secret_text(value) if secret else str(value)) or "") for value in data.values())


def _waits_for_substitution(obj: Any) -> bool:
    """An object holding ${...} that postBuild substitution does not skip."""
    return isinstance(obj, dict) and not post_build.disabled(obj) and _holds_variable(obj)


def _holds_variable(value: Any) -> bool:
    if isinstance(value, str):
        return substituted(value)
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
    from flux_cookbook.repository.kustomize_reads import fetches_only

    problems = []
    for built, error in results:
        if any(is_under(path, built.path) and read_by_flux(repo, path) for path in repo.parse_errors):
            continue  # a file the build reads that is not YAML fails it too; yaml.parse's error says where
        if fetches_only(error):
            problems.append(Problem(built.file, built.line, "build.remote", WARNING,
                                    f"{built.label()} is not checked: {'; '.join(map(_one_line, error.splitlines()))}. "
                                    "Flux fetches remote resources (unless kustomize-controller runs with "
                                    "--no-remote-bases); this check works offline"))
            continue
        problems.append(Problem(*_error_place(repo, built, error), "build", ERROR,
                                f"{built.label()} does not build: {_declared_twice(repo, built, error) or _one_line(error)}"
                                f"{_nearest_folder(repo, built.path) if error == flux_build.PATH_NOT_FOUND else ''}"))
    return problems


def _nearest_folder(repo: Repository, path: str) -> str:
    """A hint on a path that is not in what Flux fetches: the folder it may be a typo of,
    or the .sourceignore that leaves it out."""
    from flux_cookbook.repository.flux_build import artifact_files

    path = posixpath.normpath(path)
    if path in {parent for file in repo.files for parent in _parents(file)}:
        return "; the repository has it, but .sourceignore leaves it out of what Flux fetches"
    folders = {parent for file in artifact_files(repo.root) for parent in _parents(file)}
    close = difflib.get_close_matches(path, sorted(folders), n=1, cutoff=0.8)
    return f"; {close[0]}/ is there (a typo?)" if close else ""


def _parents(file: str) -> Iterable[str]:
    folder = posixpath.dirname(file)
    while folder:
        yield folder
        folder = posixpath.dirname(folder)


# kustomize's words for a second object of one id (kind.version.[group]/name.namespace).
_TWICE = re.compile(r"may not add resource with an already registered id: (?P<kind>[^.\s]+)\.[^/\s]*/(?P<id>[^'\s]+)")


def _declared_twice(repo: Repository, kustomization, error: str) -> str:
    """kustomize's "already registered id" error said as the mistake it is, with the files
    that declare the object ("" for any other error, or an object not found among the
    path's). Its own message ends in a misleading "must build at directory ... file is not
    directory"."""
    found = _TWICE.search(error)
    if not found:
        return ""
    # The id is name.namespace (name alone for a kind without one); a name may hold dots.
    same = [item for item in repo.manifests if item.kind == found["kind"] and is_under(item.path, kustomization.path)
            and found["id"] in (item.name, f"{item.name}.{item.metadata.get('namespace') or ''}")]
    if len(same) < 2:
        return ""
    namespace = str(same[0].metadata.get("namespace") or "")
    return (f"{found['kind']} {namespace + '/' if namespace else ''}{same[0].name} is declared twice "
            f"({', '.join(sorted({item.path for item in same}))}): kustomize refuses a second object of one kind, "
            "namespace and name")


# kustomize's words as it goes down a build: into a folder, and to an entry of a folder's
# kustomization file ("accumulating resources from 'missing.yaml': open ...").
_INTO_FOLDER = re.compile(r"recursed accumulation of path '(?P<folder>[^']+)'")
_FROM_ENTRY = re.compile(r"accumulating resources from '(?P<entry>[^']+)'")


def _error_place(repo: Repository, kustomization, error: str) -> tuple[str, int]:
    """Where a build's error is told: a folder that is not there, at the `path:` line that
    names it; an entry of a kustomization file that does not build, at that entry in the
    deepest folder kustomize names (the flux-system path's own Kustomization is not in the
    repository before `flux bootstrap` writes it; an app's names only the folder);
    anything else at the Kustomization's first line."""
    from flux_cookbook.repository import flux_build

    spec = kustomization_spec(repo, kustomization)
    if error.startswith((flux_build.PATH_NOT_FOUND, flux_build.NOT_A_DIRECTORY)) and spec and "path" in spec:
        return kustomization.file, spec.line_of("path")
    folder, after = kustomization.path, 0
    for into in _INTO_FOLDER.finditer(error):
        folder, after = into["folder"], into.end()
    entry, folder = _FROM_ENTRY.search(error, after), posixpath.normpath(folder)
    inside = folder != ".." and not folder.startswith(("/", "../"))
    config = repo.kustomize_config_file("" if folder == "." else folder) if entry and inside else None
    if config is None:
        return kustomization.file, kustomization.line
    return config, _entry_line(repo, config, entry["entry"])


def _entry_line(repo: Repository, config: str, entry: str) -> int:
    """The line of `entry` among the kustomization file's resources (its first line if not found)."""
    for document in repo.documents.get(config, ()):
        listed = document.obj.get("resources") if isinstance(document.obj, LineMap) else None
        if isinstance(listed, LineList):
            for index, item in enumerate(listed):
                if isinstance(item, str) and posixpath.normpath(item) == posixpath.normpath(entry):
                    return listed.line_of(index)
    return 1


def check_unlisted_files(repo: Repository) -> list[Problem]:
    """A file of objects in a folder a Kustomization applies that no build reads: Flux never
    applies it. Most often a file added beside hand-listed ones (an app added to a
    bootstrap folder that lists its files)."""
    problems = []
    for path, config in repo.unlisted_files.items():
        line = next(d.line for d in repo.documents[path] if isinstance(d.obj, dict) and d.obj.get("kind"))
        problems.append(Problem(path, line, "build.not-listed", WARNING,
                                f"Flux does not apply this file: {config} lists what its folder's build "
                                f"applies, and names it nowhere. List it under resources (or remove it)"))
    return problems


def check_kustomization_fields(repo: Repository) -> list[Problem]:
    """A field of a kustomization file that kustomize's Kustomization has not (a typo,
    `resource:`): Flux's generator drops it without a word, so what it meant never
    happens."""
    problems = []
    for path, documents in sorted(repo.documents.items()):
        if not is_kustomize_config(path) or repo.folder_of(path) is None:
            continue
        for document in documents:
            for key in document.obj if isinstance(document.obj, LineMap) else ():
                if kustomize_config_field(key) is None:
                    problems.append(Problem(path, document.obj.line_of(key), "build.unknown-field", WARNING,
                                            f"{key!r} is no field of a kustomization: Flux drops it before the "
                                            "build, so it does nothing (a typo?)"))
    return problems


def check_applied_twice(repo: Repository, built: list) -> list[Problem]:
    """No object is applied by two Flux Kustomizations of one cluster (an overlay's and its
    base's, two folders holding a copy): each reconcile takes it from the other, and
    pruning either deletes it. Namespaces are convention.namespace's. Compared as each
    Kustomization's postBuild names them: one folder applied with other values (a tenant's
    name) is other objects; a name known on the cluster only is not known to be the same."""
    fill_in = as_applied(repo)

    def identity(item) -> tuple | None:
        meta = metadata_of(item.obj)
        kind, name = str(item.obj.get("kind", "")), str(meta.get("name", ""))
        if kind == "Namespace" or not name:
            return None
        namespace, name = fill_in(item, str(meta.get("namespace") or ""), name)
        if namespace is None or name is None:
            return None
        return api_group(item.obj), kind, namespace, name

    problems = []
    for other, item in _sharing(repo, built, identity):
        _, kind, namespace, name = identity(item)
        a, b = other.kustomization, item.kustomization
        problems.append(Problem(
            item.source.path, item.source.line, "build.applied-twice", ERROR,
            f"{kind} {f'{namespace}/{name}' if namespace else name} is applied by two Flux Kustomizations of one "
            f"cluster: {a.ref} (path {a.path or '.'}) and {b.ref} (path {b.path or '.'}): each reconcile takes it from "
            "the other, and pruning either deletes it. Keep it in one of them"))
    return problems


# The API server refuses a ConfigMap or Secret whose data (keys and values) passes 1 MiB
# (Kubernetes' validation, MaxSecretSize): a values.yaml pasted whole can.
MAX_DATA_BYTES = 1024 * 1024


def check_data_sizes(built: list) -> list[Problem]:
    """Each ConfigMap and Secret Flux applies holds at most 1 MiB of data."""
    from flux_cookbook.seal.sealing import decoded_length  # (the sealing module's imports are heavy)

    problems, seen = [], set()
    for item in built:
        obj = item.obj
        if (api_group(obj), obj.get("kind")) == (SEALED_SECRETS_GROUP, "SealedSecret"):
            problems += _unsealed_size(item, seen)
            continue
        if obj.get("apiVersion") != "v1" or obj.get("kind") not in ("ConfigMap", "Secret"):
            continue
        encoded = {"binaryData", "data"} if obj["kind"] == "Secret" else {"binaryData"}  # base64: decoded bytes count
        size = sum(len(str(key).encode()) + (decoded_length(str(value)) if field in encoded else len(str(value).encode()))
                   for field in ("data", "stringData", "binaryData") if isinstance(obj.get(field), dict)
                   for key, value in obj[field].items())
        where = (item.source.path, item.source.line)
        if size > MAX_DATA_BYTES and where not in seen:
            seen.add(where)
            meta = metadata_of(obj)
            problems.append(Problem(item.source.path, item.source.line, "schema.size", ERROR,
                                    f"{obj['kind']} {meta.get('namespace') or ''}/{meta.get('name')} holds {size} bytes of "
                                    f"data, more than the {MAX_DATA_BYTES} (1 MiB) the API server takes: Flux's apply "
                                    "fails. Keep only what you change (the rest are the chart's defaults)"))
    return problems


def _unsealed_size(item, seen: set) -> list[Problem]:
    """A SealedSecret's values, read off their sealed form (sealing.sealed_length), hold at
    most what the Secret the controller makes of them may: it could never make a larger one
    (and such a SealedSecret passes etcd's limit on an object too)."""
    from flux_cookbook.seal.sealing import sealed_length

    spec = item.obj.get("spec") if isinstance(item.obj.get("spec"), dict) else {}
    data = spec.get("encryptedData") if isinstance(spec.get("encryptedData"), dict) else {}
    size = sum(sealed_length(entry) or 0 for entry in data.values())
    where = (item.source.path, item.source.line)
    if size <= MAX_DATA_BYTES or where in seen:
        return []
    seen.add(where)
    meta = metadata_of(item.obj)
    return [Problem(item.source.path, item.source.line, "schema.size", ERROR,
                    f"SealedSecret {meta.get('namespace') or ''}/{meta.get('name')} holds {size} bytes of values, more "
                    f"than the {MAX_DATA_BYTES} (1 MiB) a Secret may hold: the controller can never make its Secret. "
                    "Seal them into several SealedSecrets")]


def check_helm_release_names(repo: Repository, built: list) -> list[Problem]:
    """No two HelmReleases of one cluster make the same Helm release: helm-controller names
    it `spec.releaseName`, else `<targetNamespace>-<name>` or the HelmRelease's name, and
    keeps it in `spec.storageNamespace`, else the target namespace or its own. Two of them
    upgrade and roll back each other's release, with each other's chart and values.
    Compared as each Kustomization's postBuild fills the names in (check_applied_twice)."""
    fill_in = as_applied(repo)

    def names(item) -> tuple | None:
        """(namespace, name, target namespace, storage namespace, release name), filled in."""
        meta, spec = metadata_of(item.obj), item.obj.get("spec") if isinstance(item.obj.get("spec"), dict) else {}
        found = fill_in(item, *(str(value or "") for value in (
            meta.get("namespace"), meta.get("name"), spec.get("targetNamespace"), spec.get("storageNamespace"),
            spec.get("releaseName"))))
        return None if None in found else tuple(found)

    def helm_release(item) -> tuple | None:
        if (api_group(item.obj), item.obj.get("kind")) != (HELM_GROUP, "HelmRelease") or not (found := names(item)):
            return None
        namespace, name, target, storage, release = found
        return storage or target or namespace, release or (f"{target}-{name}" if target else name)

    problems = []
    for other, item in _sharing(repo, built, helm_release):
        (namespace, name, *_), (their_namespace, their_name, *_) = names(item), names(other)
        if (namespace, name) == (their_namespace, their_name):
            continue  # the same HelmRelease (applied twice is build.applied-twice's)
        storage, release = helm_release(item)
        problems.append(Problem(
            item.source.path, item.source.line, "build.helm-release-shared", ERROR,
            f"HelmRelease {namespace}/{name} makes Helm release {release} in namespace "
            f"{storage}, as HelmRelease {their_namespace}/{their_name} ({other.source.path}) does: "
            "each would upgrade and roll back the other's release. Give one of them another releaseName"))
    return problems


# Where Flux reads a chart version or range (Masterminds semver, as source-controller).
CHART_VERSION_FIELDS = {(HELM_GROUP, "HelmRelease"): ("spec", "chart", "spec", "version"),
                        (SOURCE_GROUP, "HelmChart"): ("spec", "version"),
                        (SOURCE_GROUP, "OCIRepository"): ("spec", "ref", "semver")}


def check_chart_versions(repo: Repository, built: list) -> list[Problem]:
    """Each chart version or range Flux reads is one it can parse: the CRDs take any
    string, and source-controller then fails the chart (`invalid version/constraint
    format`) where the cluster, not the pull request, shows it. A version postBuild fills
    in is known on the cluster only (check_schemas notes its object as not validated)."""
    from flux_cookbook.extensions.semver_range import parse_constraint  # its patterns compile on import

    problems, seen = [], set()
    post_builds = applied_post_builds(repo)
    for item in built:
        keys = CHART_VERSION_FIELDS.get((api_group(item.obj), item.obj.get("kind")))
        value: Any = item.obj
        for key in keys or ():
            value = value.get(key) if isinstance(value, dict) else None
        if not isinstance(value, str) or not value.strip() or (item.source.path, item.source.line) in seen:
            continue
        if substituted(value) and not post_build.disabled(item.obj):
            # What the version is once its Kustomization's postBuild fills it in: known from
            # the inline values, or on the cluster only (then not judged here).
            value = post_build.substitute(value, post_builds.get(item.kustomization))
            if value is None or not value.strip():
                continue  # on the cluster only; or empty, which source-controller takes for the newest
        seen.add((item.source.path, item.source.line))
        try:
            parse_constraint(value)
        except ValueError as error:
            problems.append(Problem(
                item.source.path, item.source.line_at(keys), "schema.chart-version", ERROR,
                f"{'.'.join(keys)} {value!r} is no chart version or range Flux can read ({error}); "
                "e.g. 6.x, ~6.5, >=6.0.0 <7.0.0 or 6.5.0"))
    return problems


def _sharing(repo: Repository, built: list, key) -> list[tuple]:
    """(the first, a later one) of the built objects with the same `key(item)` (None: not
    compared) in one cluster: the cluster of the Kustomization that built it (a folder two
    clusters apply is built once for each, and two Kustomizations of one cluster applying
    one folder make a pair for each of its objects)."""
    first: dict[tuple, object] = {}
    pairs = []
    for item in built:
        found = key(item)
        if found is None:
            continue
        cluster = repo.followed.clusters.get(item.kustomization, "") if repo.followed else ""
        other = first.setdefault((cluster, *found), item)
        if other is not item:
            pairs.append((other, item))
    return pairs




def _one_line(text: str) -> str:
    return " ".join(str(text).split())
