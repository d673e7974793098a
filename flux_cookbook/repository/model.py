"""A cluster repository as Flux sees it, read once: its files, their YAML, and its objects.

Flux applies a repository folder by folder: `flux bootstrap --path` makes the Kustomization
`flux-system`, which applies its folder (the bootstrap folder, here `bootstrap/`), and each
Kustomization that takes this repository (GitRepository `flux-system`) as its source
applies its own `spec.path` (flux_build finds them, as it builds them). Those are the
*applied folders*; the objects in the YAML files of theirs that reach Flux's artifact are
the repository's *manifests*, a part of its *objects*: every mapping document of every
YAML file, with its file and line, wherever it is (what adopt reads a hand-made
repository by). Files Git ignores are not in the repository at all (the
template's .gitignore keeps `*.secret.yaml` out), so they are not read.
"""

from __future__ import annotations

import dataclasses
import posixpath
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from flux_cookbook.extensions import flux_names, kustomize_listing, layout, repo_files
from flux_cookbook.repository import flux_build, kind_scopes
from flux_cookbook.repository.yaml_lines import Document, LineList, LineMap, YamlError, load_documents

# Flux's names, as the model's readers know them (extensions/flux_names.py spells them).
KUSTOMIZE_GROUP = flux_names.KUSTOMIZE_GROUP
HELM_GROUP = flux_names.HELM_GROUP
SOURCE_GROUP = flux_names.SOURCE_GROUP
FLUX_GROUP_SUFFIX = flux_names.GROUP_SUFFIX
# kustomize's own configuration: build input, never applied, not an object.
KUSTOMIZE_CONFIG_FILES = flux_names.KUSTOMIZE_CONFIG_FILES
# What `flux bootstrap` writes into <bootstrap folder>/flux-system/.
FLUX_OWN_FILES = flux_names.FLUX_OWN_FILES
FLUX_SYSTEM = flux_names.FLUX_SYSTEM
CLUSTER_ANSWERS = layout.CLUSTER_ANSWERS
# Where the cookbook's pages and this template put the bootstrap folder, in the order looked for.
BOOTSTRAP_DIRS = layout.BOOTSTRAP_DIRS
YAML_SUFFIXES = (".yaml", ".yml")
# kustomize's generators, by the kind each makes.
GENERATORS = {"configMapGenerator": "ConfigMap", "secretGenerator": "Secret"}


@dataclass(frozen=True)
class Object:
    """One object of the repository, applied or not: a mapping document of one of its YAML
    files, with where it is written."""

    path: str  # repository-relative, with `/`
    line: int  # where the object starts
    obj: LineMap

    @property
    def group(self) -> str:
        return api_group(self.obj)

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def metadata(self) -> dict:
        meta = self.obj.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    def is_a(self, kind: str, group: str) -> bool:
        # The group, not only the kind: kustomize's own config files are `kind: Kustomization` too.
        return self.kind == kind and self.group == group

    def get(self, *keys: str) -> Any:
        """The value at `keys` (e.g. "spec", "chart"), or None where any level is missing."""
        value: Any = self.obj
        for key in keys:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value


@dataclass(frozen=True)
class Manifest(Object):
    """One object in one file of an applied folder."""

    folder: str  # the applied folder it belongs to ("" is the repository root)
    # The namespace the build puts it in where that is not its own: the folder's
    # Kustomization `spec.targetNamespace`, a kustomization.yaml's `namespace:`; else "".
    target_namespace: str

    @property
    def namespace(self) -> str:
        """The namespace Flux applies it in (the build's wins, as in Flux; unset: default);
        "" for a kind that has none."""
        return applied_namespace(self.group, self.kind, self.metadata.get("namespace"), self.target_namespace)

    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Generator:
    """One entry of a kustomize generator (configMapGenerator, secretGenerator): an object
    that exists once the folder is built, though no file holds it."""

    path: str  # the kustomization file
    line: int  # where the entry starts
    kind: str  # what it makes: ConfigMap or Secret
    entry: dict  # the entry (name, literals, files, envs, ...)
    config: LineMap  # the kustomization it is in

    @property
    def name(self) -> str:
        return str(self.entry["name"])

    @property
    def renamed(self) -> bool:
        """Whether what a reference names by `name` misses the object: kustomize adds a hash
        of the content to the name, and rewrites references only in the fields it knows
        (a Deployment's volumes, not a HelmRelease's valuesFrom), unless the kustomization
        turns the hash off or brings a nameReference configuration of its own."""
        def no_hash(options: object) -> bool:
            return isinstance(options, dict) and options.get("disableNameSuffixHash") is True
        return not (no_hash(self.config.get("generatorOptions")) or no_hash(self.entry.get("options"))
                    or self.config.get("configurations"))


@dataclass
class Repository:
    root: Path
    files: list[str]  # every file Git would commit, repository-relative
    texts: dict[str, str]  # the YAML files' text
    documents: dict[str, list[Document]]  # the YAML files that parse
    parse_errors: dict[str, YamlError]  # the YAML files that do not
    bootstrap_dir: str  # the folder the Kustomization flux-system applies
    bootstrapped: bool  # flux bootstrap has written its gotk-sync.yaml
    artifact: set[str] = field(default_factory=set)  # the files Flux's artifact holds
    kustomizations: list = field(default_factory=list)  # flux_build.FluxKustomization of each applied folder
    folders: dict[str, str] = field(default_factory=dict)  # applied folder -> targetNamespace
    manifests: list[Manifest] = field(default_factory=list)
    followed: flux_build.Followed | None = None  # what following Flux from the starting Kustomizations found
    folder_clusters: dict[str, set[str]] = field(default_factory=dict)  # applied folder -> clusters applying it
    # (file, line) of a Flux Kustomization's document -> its spec as a build outputs it (the
    # parent's patches applied: a `decryption` or `postBuild` may come from there).
    built_specs: dict[tuple[str, int], dict] = field(default_factory=dict)

    @property
    def start_dir(self) -> str | None:
        """The folder `check --path` followed from ("" for the root), or None: a check of
        the whole repository."""
        return self.followed.start_dir if self.followed else None

    def clusters_of(self, manifest: Manifest) -> set[str]:
        """The clusters (their bootstrap folders) that apply the manifest."""
        return self.folder_clusters.get(manifest.folder, set())

    def add_built(self, built) -> None:
        """Count as manifests the documents that objects of a build come from outside any
        applied folder (an overlay's base, a component): Flux applies them too. `built`:
        built_objects.Built items; the object's namespace is the one it is built into."""
        # A document -> the clusters it is counted in. A base two clusters' overlays build
        # is counted once per cluster (a manifest of each one's folder): what it names must
        # be in both.
        known: dict[tuple[str, int], set[str]] = {}
        for m in self.manifests:
            known.setdefault((m.path, m.line), set()).update(self.clusters_of(m) or {""})
        # (a document, the path of a build) -> the namespaces that build puts it in (a
        # kustomization.yaml's `namespace:` sets one its file does not give).
        built_into: dict[tuple[str, int, str], set[str]] = {}
        for item in built:
            source = item.source
            meta = item.obj.get("metadata") if isinstance(item.obj.get("metadata"), dict) else {}
            if source.obj is not None and meta.get("namespace"):
                built_into.setdefault((source.path, source.line, item.kustomization.path), set()).add(str(meta["namespace"]))
            if (item.obj.get("kind") == "Kustomization" and api_group(item.obj) == KUSTOMIZE_GROUP
                    and isinstance(item.obj.get("spec"), dict)):
                self.built_specs.setdefault((source.path, source.line), item.obj["spec"])
            clusters = self.folder_clusters.get(item.kustomization.path) or {""}
            if source.obj is None or clusters <= known.get((source.path, source.line), set()):
                continue
            known.setdefault((source.path, source.line), set()).update(clusters)
            self.manifests.append(Manifest(source.path, source.line, source.obj, item.kustomization.path,
                                           str(meta.get("namespace") or "")))
        # A document the builds of its own folder put in one namespace, not the one its file
        # gives: references to it and from it are looked up there, as on the cluster. (Another
        # folder's build of it, an overlay's, is a manifest of that folder's; a build that
        # failed says nothing.)
        for position, m in enumerate(self.manifests):
            into = built_into.get((m.path, m.line, m.folder), set())
            if len(into) == 1 and m.namespace and (namespace := next(iter(into))) != m.namespace:
                self.manifests[position] = dataclasses.replace(m, target_namespace=namespace)

    @cached_property
    def objects(self) -> list[Object]:
        """Every object of the repository, applied or not: each mapping document of each YAML
        file that parses, files in path order (dot files, kustomize's config files and chart
        values included: ask by kind and group). What `manifests` holds is a part of it."""
        return [
            Object(path, document.line, document.obj)
            for path, docs in self.documents.items()
            for document in docs
            if isinstance(document.obj, LineMap)
        ]

    @cached_property
    def generators(self) -> list[Generator]:
        """Every named entry of a generator in the kustomization files (dot folders aside)."""
        found = []
        for path, docs in self.documents.items():
            if not is_kustomize_config(path) or is_hidden(path):
                continue
            for document in docs:
                config = document.obj
                for key, kind in GENERATORS.items() if isinstance(config, LineMap) else ():
                    entries = config.get(key)
                    for index, entry in enumerate(entries if isinstance(entries, list) else []):
                        if isinstance(entry, dict) and entry.get("name"):
                            line = entries.line_of(index) if isinstance(entries, LineList) else document.line
                            found.append(Generator(path, line, kind, entry, config))
        return found

    def find(self, kind: str, group: str, under: str = "", name: str | None = None) -> list[Object]:
        """The objects of `kind` in `group` in files below the folder `under` ("": anywhere),
        named `name` when it is given."""
        return [
            found for found in self._objects_by_kind.get((kind, group), [])
            if is_under(found.path, under) and name in (None, found.name)
        ]

    @cached_property
    def _objects_by_kind(self) -> dict[tuple[str, str], list[Object]]:
        by_kind: dict[tuple[str, str], list[Object]] = {}
        for found in self.objects:
            by_kind.setdefault((found.kind, found.group), []).append(found)
        return by_kind

    def written_documents(self, path: str) -> list[Document]:
        """A YAML file's documents that hold something (comment-only ones left out), in order:
        what a document's position in its file counts (adopt's yaml_split takes a file apart
        by those positions)."""
        return [document for document in self.documents.get(path, []) if document.obj is not None]

    def position_of(self, found: Object) -> int:
        """Where `found` is among its file's `written_documents` (0 for the first)."""
        lines = [document.line for document in self.written_documents(found.path)]
        return lines.index(found.line)

    def kustomize_config_file(self, folder: str) -> str | None:
        """kustomize's config file in `folder` (repository-relative, "" the root), or None:
        with one, a build of the folder applies only what it lists."""
        return next((posixpath.join(folder, name) for name in KUSTOMIZE_CONFIG_FILES
                     if (self.root / folder / name).is_file()), None)

    def kustomize_config(self, folder: str) -> dict:
        """What kustomize's config file in `folder` holds ({} without one, or when it does not
        read as one mapping)."""
        config = self.kustomize_config_file(folder)
        if config is None:
            return {}
        try:
            (document, *_) = load_documents((self.root / config).read_text(encoding="utf-8")) or [None]
        except (YamlError, OSError, UnicodeDecodeError, ValueError):
            return {}
        obj = getattr(document, "obj", None)
        if not isinstance(obj, dict):
            return {}
        # As kustomize reads it: `Resources:` is resources (flux_names.kustomize_config_field).
        return {flux_names.kustomize_config_field(key) or key: value for key, value in obj.items()}

    def manifests_in(self, folder: str) -> list[Manifest]:
        return [m for m in self.manifests if m.folder == folder]

    def manifest_of(self, kustomization) -> Manifest | None:
        """The object a flux_build.FluxKustomization was read from (its file and line)."""
        return next((m for m in self.manifests if m.path == kustomization.file and m.line == kustomization.line), None)

    def manifest_files(self) -> list[str]:
        """Files holding objects Flux applies (kustomize's own config files left out)."""
        return sorted(path for path in self.documents if self.holds_manifests(path))

    def holds_manifests(self, path: str) -> bool:
        return (
            path in self.artifact and self.folder_of(path) is not None
            and not is_kustomize_config(path) and not is_hidden(path) and self.listed(path)
        )

    def listed(self, path: str, top: str | None = None) -> bool:
        """Whether a build applies `path` as a resource: the nearest kustomization file above
        it lists it (a values file of a configMapGenerator, or a patch, is no object), or no
        kustomization file is there and Flux's generated one lists every YAML file. The build
        is that of the applied folder `path` lies in, or of the folder `top` above it."""
        stop = (self.folder_of(path) or "") if top is None else top
        folder = posixpath.dirname(path)
        while True:
            if self.kustomize_config_file(folder) is not None:
                return posixpath.relpath(path, folder or ".") in self._resources(folder)
            if folder == stop or not folder:
                return True
            folder = posixpath.dirname(folder)

    @cached_property
    def unlisted_files(self) -> dict[str, str]:
        """The files of objects (apiVersion and kind) in Flux's artifact that no build of an
        applied folder reads, each with the kustomization file that should list it."""
        found = {}
        for path, docs in sorted(self.documents.items()):
            if is_hidden(path) or is_kustomize_config(path) or path not in self.artifact:
                continue
            if any(isinstance(d.obj, dict) and d.obj.get("apiVersion") and d.obj.get("kind") for d in docs):
                if config := self.unlisted_by(path):
                    found[path] = config
        return found

    def unlisted_by(self, path: str) -> str | None:
        """The kustomization file that should list `path` for Flux to apply it, when no build
        of an applied folder reads it (the nearest kustomization file above it that a build
        reads); None when a build reads it (as a resource, patch, generator input, inside
        a folder it names...), when it lies in a chart's folder (templates, not objects), or
        in no applied folder."""
        if self.folder_of(path) is None:
            return None
        files, folders, configs = self._build_reads
        if path in files or any(is_under(path, folder) for folder in folders):
            return None
        folder = posixpath.dirname(path)
        while True:
            if posixpath.join(folder, "Chart.yaml") in self.documents or (self.root / folder / "Chart.yaml").is_file():
                return None
            if folder in configs:
                return self.kustomize_config_file(folder)
            if not folder:
                return None
            folder = posixpath.dirname(folder)

    @cached_property
    def _build_reads(self) -> tuple[set[str], set[str], set[str]]:
        """What the builds of the applied folders read, as kustomize-controller builds them:
        (files named, folders whose every file counts as read, folders whose kustomization
        file a build reads). A folder without a kustomization file gets Flux's generated
        one, which takes every file in it but those of sub-folders with a file of their own,
        taken as folders; a kustomization file that does not read as one counts as reading
        everything below it (its build fails, and says so)."""
        files: set[str] = set()
        whole: set[str] = set()
        configs: set[str] = set()
        todo = list(self.folders)
        while todo:
            folder = todo.pop()
            if folder in configs or folder in whole:
                continue
            if self.kustomize_config_file(folder) is None:
                if folder not in self.folders:
                    whole.add(folder)  # named, but no kustomization: kustomize refuses it
                    continue
                for path in self.files:
                    if is_under(path, folder):
                        owner = self._outermost_config_folder(path, folder)
                        if owner is None:
                            files.add(path)
                        else:
                            todo.append(owner)
                continue
            configs.add(folder)
            config = self.kustomize_config(folder)
            if not config:
                # An empty one at a Kustomization's path: Flux's generator makes it build
                # nothing. Anywhere else, or one not read as one, fails the build (which says so).
                if folder not in self.folders or not self._empty_config(folder):
                    whole.add(folder)
                continue
            for _, name, may_be_folder in kustomize_listing.named_paths(config):
                target = posixpath.normpath(posixpath.join(folder, name))
                target = "" if target == "." else target
                if (self.root / target).is_dir():
                    if may_be_folder:
                        todo.append(target)
                    else:
                        whole.add(target)
                else:
                    files.add(target)
        return files, whole, configs

    def _empty_config(self, folder: str) -> bool:
        """Whether the folder's kustomization file parses and holds nothing (no document, or
        an empty mapping)."""
        config = self.kustomize_config_file(folder)
        if config is None or config in self.parse_errors:
            return False
        try:
            documents = load_documents((self.root / config).read_text(encoding="utf-8"))
        except (YamlError, OSError, UnicodeDecodeError, ValueError):
            return False
        return all(document.obj in (None, {}) for document in documents)

    def _outermost_config_folder(self, path: str, top: str) -> str | None:
        """The folder nearest `top`, below it and above `path`, with a kustomization file:
        Flux's generated build of `top` takes that folder whole; None when there is none."""
        found = None
        folder = posixpath.dirname(path)
        while folder != top and folder:
            if folder in self._config_folders:
                found = folder
            folder = posixpath.dirname(folder)
        return found

    @cached_property
    def _config_folders(self) -> set[str]:
        return {posixpath.dirname(path) for path in self.files if is_kustomize_config(path)}

    def _resources(self, folder: str) -> set[str]:
        """The files the kustomization file in `folder` lists under `resources`, normalised."""
        listed = self.kustomize_config(folder).get("resources")
        return {posixpath.normpath(str(item)) for item in listed} if isinstance(listed, list) else set()

    def folder_of(self, path: str) -> str | None:
        """The deepest applied folder `path` lies in, or None."""
        best = None
        for folder in self.folders:
            if is_under(path, folder) and (best is None or len(folder) > len(best)):
                best = folder
        return best

    def is_flux_own(self, path: str, bootstrap_dir: str | None = None) -> bool:
        """Written by `flux bootstrap`: its files (gotk-components.yaml, gotk-sync.yaml) and
        the kustomization.yaml beside them, and what is in its flux-system/ folder inside
        the bootstrap folder (the one Flux's sync applies, or `bootstrap_dir`: adopt's is
        the cookbook's), or in any other folder named flux-system but that bootstrap folder
        itself (the Geek Cookbook's flux-system/ holds its own folders)."""
        bootstrap = self.bootstrap_dir if bootstrap_dir is None else bootstrap_dir
        folder, name = posixpath.split(path)
        if name in FLUX_OWN_FILES or path.startswith(posixpath.join(bootstrap, FLUX_SYSTEM) + "/"):
            return True
        if posixpath.basename(folder) == FLUX_SYSTEM and folder != bootstrap:
            return True
        return name in KUSTOMIZE_CONFIG_FILES and any(
            posixpath.join(folder, own) in self.documents for own in FLUX_OWN_FILES
        )


def applied_namespace(group: str, kind: str, namespace: object, target_namespace: str = "") -> str:
    """The namespace Flux applies an object in: the build's target namespace wins, as in
    Flux; unset, `default` for a namespaced kind; "" for a kind that has none."""
    if not kind_scopes.is_namespaced(group, kind):
        return ""
    return target_namespace or str(namespace or "default")


def api_group(obj: dict) -> str:
    return str(obj.get("apiVersion", "")).rpartition("/")[0]


def is_under(path: str, folder: str) -> bool:
    return folder == "" or path.startswith(folder + "/")


def is_kustomize_config(path: str) -> bool:
    return posixpath.basename(path) in KUSTOMIZE_CONFIG_FILES


def is_hidden(path: str) -> bool:
    """Dot files and dot folders (.github, .copier-answers.yml): never Flux objects."""
    return any(part.startswith(".") for part in path.split("/"))


def normalized_path(path: object) -> str | None:
    """A Kustomization's `spec.path` as a repository-relative folder ("" is the root, as
    when it has none), or None if it leads out of the repository or is no string (which the
    API server refuses: no folder is applied)."""
    if path is not None and not isinstance(path, str):
        return None
    text = posixpath.normpath((path or ".").strip().lstrip("/"))
    if text == ".":
        return ""
    return None if text == ".." or text.startswith("../") else text


# --- reading --------------------------------------------------------------------------


def repository_files(root: Path) -> list[str]:
    """What Git would commit (tracked files and new ones it does not ignore); outside a Git
    work tree, every file but .git's (repo_files.listed_files): the regular files of it."""
    return sorted({Path(name).as_posix() for name in repo_files.listed_files(root) if (root / name).is_file()})


def read_repository(root: Path, yaml_file=None, followed: flux_build.Followed | None = None) -> Repository:
    """Read every YAML file once and find the applied folders and their objects.

    `yaml_file(path) -> bool` says which files are YAML (yamllint's `yaml-files`);
    default: *.yaml, *.yml and .yamllint. kustomize's `Kustomization` file, which has no
    suffix, is read either way: its generators make objects too. `followed`: the Kustomizations Flux reaches
    (flux_build.follow); default: followed without building.
    """
    root = Path(root)
    files = repository_files(root)
    is_yaml = yaml_file or (lambda path: path.endswith(YAML_SUFFIXES) or posixpath.basename(path) == ".yamllint")
    texts, documents, errors = {}, {}, {}
    for path in files:
        if not (is_yaml(path) or is_kustomize_config(path)):
            continue
        try:
            text = repo_files.read_text(root, path)  # inside the repository, bounded
        except UnicodeDecodeError as error:
            errors[path] = YamlError(1, f"not UTF-8 text ({error.reason} at byte {error.start})")
            continue
        except OSError as error:
            errors[path] = YamlError(1, f"cannot be read: {error.strerror or error}")
            continue
        texts[path] = text
        try:
            documents[path] = load_documents(text)
        except YamlError as error:
            errors[path] = error
    followed = followed if followed is not None else flux_build.follow(root, build=False)
    kustomizations = followed.kustomizations
    bootstrap_dir, bootstrapped = _bootstrap_dir(root, files, kustomizations)
    repo = Repository(root, files, texts, documents, errors, bootstrap_dir, bootstrapped)
    repo.artifact = set(flux_build.artifact_files(root))
    repo.kustomizations = kustomizations
    repo.followed = followed
    repo.folders = {bootstrap_dir: ""} if not kustomizations else {}
    for kustomization in kustomizations:
        repo.folders.setdefault(kustomization.path, _target_namespace(documents, kustomization))
        cluster = followed.clusters.get(kustomization, bootstrap_dir)
        repo.folder_clusters.setdefault(kustomization.path, set()).add(cluster)
    repo.manifests = [
        Manifest(path, document.line, document.obj, folder, repo.folders[folder])
        for path, docs in sorted(documents.items())
        if repo.holds_manifests(path) and (folder := repo.folder_of(path)) is not None
        for document in docs
        if isinstance(document.obj, LineMap)
    ]
    return repo


def _target_namespace(documents: dict[str, list[Document]], kustomization) -> str:
    for document in documents.get(kustomization.file, []):
        if document.line == kustomization.line and isinstance(document.obj, dict):
            spec = document.obj.get("spec")
            return str(spec.get("targetNamespace") or "") if isinstance(spec, dict) else ""
    return ""


def _bootstrap_dir(root: Path, files: list[str], kustomizations: list) -> tuple[str, bool]:
    """(the folder the Kustomization flux-system applies, whether `flux bootstrap` has run:
    its gotk-sync.yaml is in the repository).

    The path of flux_build's sync Kustomization: gotk-sync.yaml's once bootstrapped, the
    answers' bootstrap_dir before. A hand-made repository with neither: the cookbook
    folder that holds kustomizations/ or helmrepositories/, else the root.
    """
    bootstrapped = any(posixpath.basename(path) == flux_names.SYNC_FILE for path in files)
    for kustomization in kustomizations:
        if (kustomization.namespace or FLUX_SYSTEM, kustomization.name) != (FLUX_SYSTEM, FLUX_SYSTEM):
            continue
        if posixpath.basename(kustomization.file) == flux_names.SYNC_FILE or kustomization.file.startswith(layout.ANSWERS_PREFIX):
            return kustomization.path, bootstrapped
    return next(iter(flux_build.cookbook_bootstrap_dirs(root)), ""), bootstrapped


