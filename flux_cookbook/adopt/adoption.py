"""Adopt a Flux repository built by hand from the Geek Cookbook pages.

Many cookbook readers copied the pages' files by hand. Their repositories have no answers
files, so copier cannot update them. This module reads such a repository and writes the
answers files that release 1.0.0 of the template (the cookbook's own layout and APIs)
would have written for it. The ordinary `copier update` then brings it to the newest
release: copier renders 1.0.0 with these answers, takes the user's differences from that
render and replays them on the newest release, so the user's own values are kept.

That replay works where an object sits at the path the template renders it to, so each
recognised object that is alone in its file is moved there (`git mv`), within the folder
one Flux Kustomization applies (moving an object from one Kustomization to another would
make the first one prune it from the cluster). An object that shares its file with other
documents is split out of it (yaml_split): its document's own text, as written, goes to
the template path, and the file keeps the others, or goes when none is left. Names are
never changed: an app is named after its folder (after its Kustomization where folders of
one name sit at different depths: `redis/` and `mastodon/redis/` are the apps `redis` and
`mastodon-redis`), and a Kustomization, HelmRelease or ConfigMap named otherwise keeps its
name, as the user's own change to the template's file.

What the template cannot express stays the user's own file, where it is: still migrated
by every update (Flux API versions), no longer templated. copier takes a template file
missing from the repository for one the user deleted and does not add it back, so no
second copy appears; the namespace file, which copier would add back, is governed by
the `owns_namespace` answer instead. A note names each such file. Only what would make
an update write a second copy of an object, or what the template's own checks refuse, is
a problem, and every problem is reported in one run, before anything is written.

Apps one folder down (`apps/<app>/`, Flux's documented layout) are adopted with their
folder as it is: the cluster's `apps_dir` answer records the parent folder, and on the
app's first update the migrations merge it where release 1.0.0 rendered it and put it
back (extensions/migrations/apps_folder.py). An app whose folder is not named after it
(`mastodon/redis/` of the app `mastodon-redis`) is merged the same way on every update.

Every adoption is checked by building what Flux builds (build_check): a Flux
Kustomization path that built before adoption and no longer does undoes the adoption.
"""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, TextIO

import yaml

from flux_cookbook.adopt.template_files import TemplateFiles, TemplateUnreachable, is_remote, template_files
from flux_cookbook.adopt.yaml_split import SplitFile, SplitRefused, split_file
from flux_cookbook.extensions import bounded_yaml, input_checks, layout
from flux_cookbook.extensions.layout import app_answers_file
from flux_cookbook.extensions.repo_state import health_checks_error
from flux_cookbook.extensions.template_source import absolute_src_path
from flux_cookbook.extensions.yaml_quoting import yaml_document
from flux_cookbook.repository import build_check

# Adopted repositories are pinned to the release that writes the cookbook's own layout.
RELEASE = "1.0.0"
RELEASE_TAG = f"v{RELEASE}"
CLUSTER_ANSWERS = layout.CLUSTER_ANSWERS
# The first line of every answers file release 1.0.0 writes.
ANSWERS_HEADER = "# Answers of the last copier copy/update. Change them with copier update, not by hand.\n"

# The repository's own housekeeping files, which release 1.0.0 writes with no answer in
# them. One that is missing is added from the template's 1.0.0 tag: copier update takes a
# file missing from the repository for one the user deleted, and would never add it.
HOUSEKEEPING = (".gitignore", ".yamllint")
# Added from the newest release instead (1.0.0 has none): until the first update it must
# already keep the answers files out of what Flux syncs.
SOURCEIGNORE = layout.SOURCEIGNORE
TEMPLATE_CLUSTER = "template/cluster"

# The folders `flux bootstrap --path` pointed at in the cookbook's pages, old and new.
BOOTSTRAP_DIRS = ("flux-system", "bootstrap")
# The files `flux bootstrap` writes (and the kustomization.yaml listing them).
FLUX_OWN_FILES = ("gotk-components.yaml", "gotk-sync.yaml")
# copier.yml's defaults at release 1.0.0.
INTERVAL_DEFAULTS = {
    "kustomization_interval": "15m",
    "kustomization_timeout": "2m",
    "helmrelease_interval": "15m",
    "helmrelease_timeout": "5m",
    "helmrepository_interval": "15m",
}
CLUSTER_DEFAULTS = {"repo_owner": "my-github-user", "repo_name": "flux-cluster", "git_interval": "1m", "branch": "main"}
# Answer keys in the order a `copier copy` of release 1.0.0 writes them; the answers of
# later releases adopt writes go last (copier keeps them, in this order, on update).
CLUSTER_KEYS = (
    "kind", "repo_owner", "repo_name", "repo_url", "personal_account", "branch", "bootstrap_dir",
    "git_interval", *INTERVAL_DEFAULTS, "apps_dir",
)
APP_KEYS = (
    "bootstrap_dir", *INTERVAL_DEFAULTS, "kind", "app_name", "namespace", "chart", "chart_version",
    "helm_repo_name", "helm_repo_url", "release_name", "depends_on", "health_checks", "values_source",
    "owns_namespace",
)

SOURCE_GROUP = "source.toolkit.fluxcd.io"
KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
HELM_GROUP = "helm.toolkit.fluxcd.io"
CORE_GROUP = ""
# kustomize's own config files: a folder with one applies only the files it lists.
KUSTOMIZE_CONFIG_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
GITHUB_URL = re.compile(
    r"^(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)"
    r"(?P<owner>[A-Za-z0-9][A-Za-z0-9._-]*)/(?P<repo>[A-Za-z0-9._-]+?)(?:\.git)?/?$"
)


class AdoptError(Exception):
    """The repository cannot be adopted as it is; nothing was written."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Manifest:
    """One YAML document (a mapping) of a file in the repository."""

    path: str  # relative to the repository root, "/"-separated
    obj: dict
    position: int = 0  # its place among its file's (non-empty) documents

    def get(self, *keys: str) -> Any:
        """The value at `keys` (e.g. "spec", "chart"), or None where any level is missing."""
        value: Any = self.obj
        for key in keys:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value

    @property
    def name(self) -> str:
        return str(self.get("metadata", "name") or "")

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind"))

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.name}' ({self.path})"


@dataclass(frozen=True)
class Move:
    source: str
    target: str
    what: str  # the object it holds, e.g. "HelmRelease 'podinfo'"


@dataclass(frozen=True)
class Split:
    """Objects that share a file with other documents, each taken out to its template path."""

    source: str
    moves: tuple[Move, ...]
    texts: tuple[str, ...]  # each move's document, as the user wrote it, for its new file
    rest: str | None  # what the source keeps; None when no object stays and it is removed
    dropped: str = ""  # when it is removed: its text of no moved document (comments)


@dataclass(frozen=True)
class GitInfo:
    origin_url: str  # "" when there is no remote `origin`
    branch: str  # "" when HEAD is detached


@dataclass
class Plan:
    """What adopting a repository writes and moves, and what it leaves alone."""

    repo: Path
    bootstrap_dir: str
    cluster: dict
    apps: dict[str, dict]  # app name -> answers
    moves: list[Move]
    kept: list[str]  # Kustomizations that are not apps, with the reason
    notes: list[str]
    guesses: list[str] = field(default_factory=list)  # answers guessed, and from what
    added: dict[str, str] = field(default_factory=dict)  # housekeeping file -> its text
    extended: dict[str, str] = field(default_factory=dict)  # a file of the user's -> its new text
    splits: list[Split] = field(default_factory=list)

    def answers_files(self) -> dict[str, dict]:
        files = {CLUSTER_ANSWERS: self.cluster}
        files.update((app_answers_file(name), answers) for name, answers in self.apps.items())
        return files


@dataclass
class _Findings:
    """What reading the repository found, collected so that every problem is reported at once."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    guesses: list[str] = field(default_factory=list)
    # Each object that moves to its template path, by (file, kind, name): apps that share
    # a Namespace or HelmRepository move it once. With its position among the file's documents.
    moves: dict[tuple[str, str, str], tuple[int, Move]] = field(default_factory=dict)


# --- the repository's files ------------------------------------------------------------


@dataclass
class Index:
    """Every YAML document of the repository, by file; dot-files and dot-folders left out."""

    documents: dict[str, list[Any]]  # path -> its non-empty documents
    bootstrap_dir: str

    def is_flux_own(self, path: str) -> bool:
        """Written by flux bootstrap: `<bootstrap>/flux-system/`, or its files wherever they are
        (flux bootstrap without --path writes them into ./flux-system/, beside the cookbook's folders)."""
        folder, name = posixpath.split(path)
        if path.startswith(f"{layout.flux_system_dir(self.bootstrap_dir)}/"):
            return True
        if name in FLUX_OWN_FILES:
            return True
        return name in KUSTOMIZE_CONFIG_FILES and any(
            posixpath.join(folder, own) in self.documents for own in FLUX_OWN_FILES
        )

    def find(self, kind: str, group: str, under: str = "", name: str | None = None, flux_own: bool = False) -> list[Manifest]:
        """Objects of `kind` in `group` in files below folder `under` ("" for everywhere).

        Flux's own files are left out unless `flux_own`: flux bootstrap writes them, and
        they hold a Namespace and a Kustomization of their own.
        """
        prefix = f"{under}/" if under else ""
        found = []
        for path, documents in self.documents.items():
            if not path.startswith(prefix) or self.is_flux_own(path) != flux_own:
                continue
            for position, document in enumerate(documents):
                if isinstance(document, dict) and _is_kind(document, kind, group):
                    manifest = Manifest(path, document, position)
                    if name in (None, manifest.name):
                        found.append(manifest)
        return found


def _is_kind(obj: dict, kind: str, group: str) -> bool:
    # The group, not only the kind: kustomize's own config files are `kind: Kustomization` too.
    api_group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return obj.get("kind") == kind and api_group == group


def read_index(root: Path, bootstrap_dir: str) -> tuple[Index, list[str]]:
    """The repository's YAML documents, and a note for each file that cannot be read as YAML.

    Such a file (a chart's values.yaml with a duplicate key, a Helm template, a
    SOPS-encrypted file) is no object adopt could use, and is left as it is.
    """
    documents: dict[str, list[Any]] = {}
    notes = []
    for path in sorted(_yaml_files(root)):
        relative = path.relative_to(root).as_posix()
        try:
            documents[relative] = [d for d in bounded_yaml.load_all(path.read_text(encoding="utf-8"), relative) if d is not None]
        except (yaml.YAMLError, UnicodeDecodeError, OSError) as error:
            first_line = str(error).splitlines()[0]
            notes.append(f"skipped {relative}: not readable as YAML ({first_line}); left as it is")
    return Index(documents, bootstrap_dir), notes


def _yaml_files(root: Path) -> Iterator[Path]:
    for folder, subfolders, names in os.walk(root):
        # Dot-folders (.git, .github) hold no Flux objects; pruning them skips .git's bulk.
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            if name.endswith((".yaml", ".yml")) and not name.startswith("."):
                yield Path(folder, name)


def find_bootstrap_dir(root: Path) -> str:
    """The folder flux bootstrap points at: the one holding kustomizations/ or helmrepositories/."""
    found = [
        name for name in BOOTSTRAP_DIRS
        if (root / name / layout.KUSTOMIZATIONS).is_dir() or (root / name / layout.HELM_REPOSITORIES).is_dir()
    ]
    if not found:
        raise AdoptError([
            f"no cookbook layout in {root}: neither {' nor '.join(d + '/' for d in BOOTSTRAP_DIRS)} holds "
            "kustomizations/ or helmrepositories/."
        ])
    if len(found) > 1:
        raise AdoptError([
            f"both {found[0]}/ and {found[1]}/ hold a cookbook layout; keep the one flux bootstrap "
            "points at (its flux-system/gotk-sync.yaml names it as spec.path) and remove the other."
        ])
    return found[0]


# --- preconditions ---------------------------------------------------------------------


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)


def check_adoptable(root: Path) -> None:
    """Raise AdoptError unless `root` is a clean git repository that the template never wrote."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if not root.is_dir() or top.returncode:
        raise AdoptError([f"{root} is not a git repository; adopt works on the clone of your Flux repository."])
    if Path(top.stdout.strip()).resolve() != root.resolve():
        raise AdoptError([f"{root} is not the root of its git repository ({top.stdout.strip()}); run adopt there."])
    answers = sorted(p.name for p in root.glob(layout.ANY_ANSWERS_GLOB))
    if answers:
        raise AdoptError([
            f"{root} already has {', '.join(answers)}: it was generated or adopted already. "
            "Bring it up to date with: flux-cookbook update-all"
        ])
    if _git(root, "status", "--porcelain").stdout.strip():
        raise AdoptError([
            f"{root} has uncommitted changes. Commit them first, so that the adoption is a change "
            "of its own you can review (and undo)."
        ])


def template_error(src: str, files: TemplateFiles | None = None) -> str:
    """Why `src` cannot serve `copier update` from release 1.0.0, or ""."""
    if files is None:
        path = Path(src).expanduser()
        if not path.is_dir():
            return "" if is_remote(src) else f"the template {src} is neither a folder nor a git URL."
        files = TemplateFiles(path, src)
    if not files.has_tag(RELEASE_TAG):
        return (
            f"the template at {src} has no tag {RELEASE_TAG}, which copier update compares with; "
            "fetch its tags (git fetch --tags) or pass --template with a clone of the template that has them."
        )
    return ""


def housekeeping_files(root: Path, files: TemplateFiles | None, findings: _Findings) -> tuple[dict[str, str], dict[str, str]]:
    """(files to add, files of the user's to extend): the HOUSEKEEPING files `root` lacks,
    as release 1.0.0 has them, and the newest release's .sourceignore."""
    added: dict[str, str] = {}
    extended: dict[str, str] = {}
    where = files.src if files else "the template"
    for name in HOUSEKEEPING:
        if (root / name).exists():
            continue
        text = files.show(RELEASE_TAG, f"{TEMPLATE_CLUSTER}/{name}") if files else None
        if text is None:
            findings.notes.append(f"{name} not added: {where} has no tag {RELEASE_TAG} to take it from.")
        else:
            added[name] = text
    latest = files.latest_release() if files else None
    wanted = files.show(latest, f"{TEMPLATE_CLUSTER}/{SOURCEIGNORE}") if files and latest else None
    if wanted is None:
        findings.notes.append(
            f"{SOURCEIGNORE} not added: {where} has no release with one. If Flux syncs the repository's "
            "root (path: ./), it would try to apply the answers files."
        )
    elif not (root / SOURCEIGNORE).exists():
        added[SOURCEIGNORE] = wanted
    else:
        own = (root / SOURCEIGNORE).read_text(encoding="utf-8")
        have = {line.strip() for line in own.splitlines()}
        missing = [line for line in wanted.splitlines() if line.strip() and not line.startswith("#") and line.strip() not in have]
        if missing:
            extended[SOURCEIGNORE] = (
                own + ("" if own.endswith("\n") or not own else "\n")
                + "# Added by flux-cookbook adopt: what the template's .sourceignore leaves out of Flux's sync.\n"
                + "".join(f"{line}\n" for line in missing)
            )
    return added, extended


def read_git_info(root: Path) -> GitInfo:
    origin = _git(root, "remote", "get-url", "origin")
    branch = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD")
    return GitInfo(
        origin_url=origin.stdout.strip() if not origin.returncode else "",
        branch=branch.stdout.strip() if not branch.returncode else "",
    )


# --- apps ------------------------------------------------------------------------------


@dataclass(frozen=True)
class App:
    """A template app found in the repository: a Kustomization applying a folder with one HelmRelease."""

    name: str  # the folder's own name (or, where two folders share it, the Kustomization's)
    folder: str  # the folder the Kustomization applies, e.g. metallb-system or apps/podinfo
    kustomization: Manifest
    release: Manifest

    @property
    def apps_dir(self) -> str:
        """The folder holding the app's folder, where the template's `apps_dir` can say it."""
        return posixpath.dirname(self.folder) if posixpath.basename(self.folder) == self.name else ""

    def file(self, template_file: str) -> str:
        """A file of the app (one of layout's, at the root), in the app's own folder."""
        return posixpath.join(self.folder, posixpath.basename(template_file))


def _folder(path: object) -> str:
    """A Kustomization's spec.path as a folder relative to the repository root ("" for the root)."""
    normal = posixpath.normpath(str(path or ".")).strip("/")
    return "" if normal == "." else normal


def _text(value: object, default: str) -> str:
    return default if value in (None, "") else str(value)


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _not_an_app_reason(kustomization: Manifest, index: Index) -> str:
    """Why a Kustomization is not one of the template's apps, or "" when it is."""
    source = (kustomization.get("spec", "sourceRef", "kind"), kustomization.get("spec", "sourceRef", "name"))
    if source != ("GitRepository", "flux-system"):
        return f"it applies {source[0]} '{source[1]}', not this repository"
    folder = _folder(kustomization.get("spec", "path"))
    if not folder:
        return "it applies the whole repository"
    if folder == index.bootstrap_dir or folder.startswith(f"{index.bootstrap_dir}/"):
        return "it applies the bootstrap folder or a folder in it"
    releases = index.find("HelmRelease", HELM_GROUP, under=folder)
    if not releases:
        return f"no HelmRelease in {folder}/"
    if len(releases) > 1:
        return f"{len(releases)} HelmReleases in {folder}/, and a template app has one"
    chart_source = releases[0].get("spec", "chart", "spec", "sourceRef", "kind")
    if chart_source != "HelmRepository":
        return f"its HelmRelease's chart comes from {chart_source or 'spec.chartRef'}, not a HelmRepository"
    if input_checks.dns1123_label_error(posixpath.basename(folder), "folder"):
        return f"its folder name {posixpath.basename(folder)!r} cannot name an app (a DNS-1123 label)"
    return ""


def find_apps(index: Index, findings: _Findings) -> dict[str, App]:
    """The apps, by name: each app's Kustomization and the folder it applies.

    An app is named after its folder, as the template names it; where folders of the same
    name sit at different depths (`redis/`, `mastodon/redis/`), each of those apps is named
    after its Kustomization (`redis`, `mastodon-redis`), Flux's own name for it."""
    found = []
    for kustomization in index.find("Kustomization", KUSTOMIZE_GROUP, under=index.bootstrap_dir):
        if reason := _not_an_app_reason(kustomization, index):
            findings.kept.append(f"{kustomization.label}: {reason}")
            continue
        folder = _folder(kustomization.get("spec", "path"))
        found.append((kustomization, folder, index.find("HelmRelease", HELM_GROUP, under=folder)[0]))
    folders_named = Counter(posixpath.basename(folder) for folder in {folder for _, folder, _ in found})
    apps: dict[str, App] = {}
    for kustomization, folder, release in found:
        shared = folders_named[posixpath.basename(folder)] > 1
        name = kustomization.name if shared else posixpath.basename(folder)
        if name in apps:
            other = apps[name]
            findings.problems.append(
                f"{kustomization.label} and {other.kustomization.label} both apply {folder}/; keep one."
                if other.folder == folder else
                f"{kustomization.label} applies {folder}/ and {other.kustomization.label} applies {other.folder}/: "
                f"two apps named '{name}', and the template names each app's answers file after its app."
            )
            continue
        apps[name] = App(name, folder, kustomization, release)
        if name != posixpath.basename(folder):
            findings.notes.append(
                f"{kustomization.label} applies {folder}/, and another app's folder is named "
                f"'{posixpath.basename(folder)}' too, so the app is named '{name}' after its Kustomization."
            )
        elif kustomization.name != name:
            findings.notes.append(
                f"{kustomization.label} applies {folder}/, so the app is named '{name}' after its folder; "
                "the Kustomization keeps its own name (your change to the template's file)."
            )
    return dict(sorted(apps.items()))


def _release_name(release: Manifest) -> str:
    # helm-controller's default when spec.releaseName is not set.
    if release.get("spec", "releaseName"):
        return str(release.get("spec", "releaseName"))
    target = release.get("spec", "targetNamespace")
    return f"{target}-{release.name}" if target else release.name


def _health_checks(kustomization: Manifest) -> list:
    # Keys in the user's order: the template writes them in the order the answer has them.
    checks = _list(kustomization.get("spec", "healthChecks"))
    return [dict(check) if isinstance(check, dict) else check for check in checks]


def _depends_on(kustomization: Manifest) -> list:
    entries = _list(kustomization.get("spec", "dependsOn"))
    return [entry.get("name") if isinstance(entry, dict) else entry for entry in entries]


class _Placer:
    """Decides, object by object, whether it moves to its template path or stays the user's."""

    def __init__(self, root: Path, index: Index, findings: _Findings):
        self.root, self.index, self.findings = root, index, findings
        self._split_files: dict[str, SplitFile | SplitRefused] = {}

    def why_not_movable(self, manifest: Manifest, target: str) -> str:
        """Why `manifest` cannot move to `target`, or "" (also "" when it is there already)."""
        if manifest.path == target:
            return ""
        if (self.root / target).exists():
            return f"{target} holds something else"
        if config := _kustomize_config(self.root, manifest.path) or _kustomize_config(self.root, target):
            return f"{config} lists its folder's files by name"
        others = len(self.index.documents[manifest.path]) - 1
        if others:
            try:
                self._split_file(manifest.path).piece(manifest.position)
            except SplitRefused as refused:
                return (f"it shares {manifest.path} with {others} other object(s), "
                        f"and adopt cannot split that file: {refused}")
        return ""

    def _split_file(self, path: str) -> SplitFile:
        """`path` taken apart into its documents (once per file); raises SplitRefused."""
        if path not in self._split_files:
            try:
                # Bytes decoded as they are: reading as text would turn CRLF line ends into LF.
                self._split_files[path] = split_file((self.root / path).read_bytes().decode("utf-8"))
            except SplitRefused as refused:
                self._split_files[path] = refused
        found = self._split_files[path]
        if isinstance(found, SplitRefused):
            raise found
        return found

    def arranged(self, moves: list[tuple[int, Move]]) -> tuple[list[Move], list[Split]]:
        """`moves` as carried out: a file that holds one document moves whole (git mv); one
        that holds others too is split. Raises SplitRefused when what a split file would keep
        does not read back as the objects that stay in it."""
        whole: list[Move] = []
        by_source: dict[str, list[tuple[int, Move]]] = {}
        for position, move in moves:
            if len(self.index.documents[move.source]) == 1:
                whole.append(move)
            else:
                by_source.setdefault(move.source, []).append((position, move))
        splits = []
        for source, taken in sorted(by_source.items()):
            taken.sort(key=lambda item: item[0])
            try:
                result = self._split_file(source).take({position for position, _ in taken})
            except SplitRefused as refused:
                raise SplitRefused(f"adopt cannot split {source}: {refused}") from None
            splits.append(Split(
                source=source,
                moves=tuple(move for _, move in taken),
                texts=tuple(result.pieces[position] for position, _ in taken),
                rest=result.rest,
                dropped=result.dropped,
            ))
        return whole, splits

    def place(self, manifest: Manifest, target: str) -> bool:
        """Move `manifest` to `target` where it can; else note that it stays the user's own."""
        if reason := self.why_not_movable(manifest, target):
            self.findings.notes.append(
                f"{manifest.label} stays your own file where it is ({reason}): updates migrate its Flux APIs "
                f"but no longer template it, and copier update does not add {target}."
            )
            return False
        if manifest.path != target:
            key = (manifest.path, manifest.kind, manifest.name)
            self.findings.moves[key] = (manifest.position, Move(manifest.path, target, f"{manifest.kind} '{manifest.name}'"))
        return True


def app_answers(app: App, index: Index, placer: _Placer, findings: _Findings) -> dict:
    """One app's answers, read from its objects; its objects' moves go into `findings`."""
    bootstrap = index.bootstrap_dir
    kustomization, release = app.kustomization, app.release
    namespace = _text(release.get("metadata", "namespace"), "")
    helm_repo_name = _text(release.get("spec", "chart", "spec", "sourceRef", "name"), "")
    helm_repository = _helm_repository(app.name, helm_repo_name, index, placer, findings)
    kustomization_interval = _text(kustomization.get("spec", "interval"), INTERVAL_DEFAULTS["kustomization_interval"])
    answers = {
        "bootstrap_dir": bootstrap,
        "kustomization_interval": kustomization_interval,
        # Flux's own default: a Kustomization without a timeout times out after its interval.
        "kustomization_timeout": _text(kustomization.get("spec", "timeout"), kustomization_interval),
        "helmrelease_interval": _text(release.get("spec", "interval"), INTERVAL_DEFAULTS["helmrelease_interval"]),
        "helmrelease_timeout": _text(release.get("spec", "timeout"), INTERVAL_DEFAULTS["helmrelease_timeout"]),
        "helmrepository_interval": _text(
            helm_repository.get("spec", "interval") if helm_repository else None,
            INTERVAL_DEFAULTS["helmrepository_interval"],
        ),
        "kind": "app",
        "app_name": app.name,
        "namespace": namespace,
        "chart": _text(release.get("spec", "chart", "spec", "chart"), ""),
        "chart_version": _text(release.get("spec", "chart", "spec", "version"), "*"),
        "helm_repo_name": helm_repo_name,
        "helm_repo_url": _text(helm_repository.get("spec", "url") if helm_repository else None, ""),
        "release_name": _release_name(release),
        "depends_on": _depends_on(kustomization),
        "health_checks": _health_checks(kustomization),
        "values_source": "",
        "owns_namespace": bool(namespace) and _place_namespace(app.name, namespace, index, placer, findings),
    }
    if not namespace:
        findings.problems.append(f"{release.label} has no metadata.namespace; set the namespace it is installed in.")
    if release.name != app.name:
        findings.notes.append(
            f"{release.label} is named '{release.name}', the template names it '{app.name}': "
            "your name is kept as your change."
        )
    placer.place(kustomization, layout.kustomization_file(bootstrap, app.name))
    placer.place(release, app.file(layout.helm_release_file(app.name)))
    _place_values(app, index, placer, findings)
    return answers


def _helm_repository(app: str, name: str, index: Index, placer: _Placer, findings: _Findings) -> Manifest | None:
    bootstrap = index.bootstrap_dir
    target = layout.helm_repository_file(bootstrap, name)
    found = index.find("HelmRepository", SOURCE_GROUP, under=bootstrap, name=name)
    if len(found) == 1:
        # copier adds the template's file back when it is missing (it is shared by every
        # app naming it): this one object must be that file, or there would be two.
        if reason := placer.why_not_movable(found[0], target):
            findings.problems.append(
                f"{found[0].label} must be alone in {target}, or copier update adds a second copy there; "
                f"adopt cannot move it: {reason}."
            )
        else:
            placer.place(found[0], target)
        return found[0]
    if found:
        findings.problems.append(
            f"HelmRepository '{name}' is declared {len(found)} times ({', '.join(m.path for m in found)}); keep one."
        )
    elif elsewhere := index.find("HelmRepository", SOURCE_GROUP, name=name):
        findings.problems.append(
            f"app {app}: its chart's HelmRepository '{name}' is in {elsewhere[0].path}, not in {bootstrap}/; "
            f"copier update would add {target}, a second copy. Moving it yourself means one Kustomization handing "
            "it to another: annotate it kustomize.toolkit.fluxcd.io/prune: disabled for one reconciliation first."
        )
    else:
        findings.problems.append(
            f"app {app}: no file of this repository declares its chart's HelmRepository '{name}'; the template "
            f"writes it in {target} and needs its URL: add it there."
        )
    return None


def _place_namespace(app: str, namespace: str, index: Index, placer: _Placer, findings: _Findings) -> bool:
    """Whether the app's namespace file is the template's (the answer owns_namespace)."""
    bootstrap = index.bootstrap_dir
    target = layout.namespace_file(bootstrap, namespace)
    declared = index.find("Namespace", CORE_GROUP, name=namespace) + index.find(
        "Namespace", CORE_GROUP, name=namespace, flux_own=True
    )
    if not layout.owns_namespace(namespace):
        owner = "Flux's own (flux bootstrap declares it)" if namespace == layout.FLUX_NAMESPACE else "Kubernetes' own"
        findings.notes.append(f"app {app}: namespace '{namespace}' is {owner}; the app gets no namespace file.")
        return False
    if len(declared) > 1:
        findings.notes.append(
            f"app {app}: Namespace '{namespace}' is declared {len(declared)} times "
            f"({', '.join(m.path for m in declared)}); those files stay as they are, and the app gets no namespace file."
        )
        return False
    if not declared:
        findings.notes.append(
            f"app {app}: no file declares Namespace '{namespace}' (made by hand, or by the HelmRelease's "
            "install.createNamespace); adopt adds none, and neither do updates."
        )
        return False
    found = declared[0]
    in_bootstrap = found.path.startswith(f"{bootstrap}/") and not index.is_flux_own(found.path)
    reason = placer.why_not_movable(found, target) if in_bootstrap else f"it is outside {bootstrap}/"
    if reason:
        findings.notes.append(
            f"app {app}: {found.label} stays where it is ({reason}); the app gets no namespace file of the template's."
        )
        return False
    placer.place(found, target)
    return True


def _place_values(app: App, index: Index, placer: _Placer, findings: _Findings) -> None:
    """The values ConfigMap the HelmRelease reads, moved to the template's path where it is a file."""
    release = app.release
    template_file = app.file(layout.values_configmap_file(app.name))
    sources = _list(release.get("spec", "valuesFrom"))
    names = [s.get("name") for s in sources if isinstance(s, dict) and s.get("kind") == "ConfigMap"]
    if not names:
        inline = "keeps its values inline (spec.values)" if release.get("spec", "values") else "takes no values from a ConfigMap"
        findings.notes.append(
            f"{release.label} {inline}; copier update does not add the template's values ConfigMap ({template_file})."
        )
        return
    name = names[0]
    found = index.find("ConfigMap", CORE_GROUP, under=app.folder, name=name)
    if len(found) > 1:
        findings.notes.append(
            f"ConfigMap '{name}' is declared {len(found)} times ({', '.join(m.path for m in found)}); they stay as "
            f"they are, and copier update does not add {template_file}."
        )
    elif found:
        if placer.place(found[0], template_file) and name != layout.values_configmap_name(app.name):
            findings.notes.append(
                f"{found[0].label} keeps its name; the template names it '{layout.values_configmap_name(app.name)}' "
                "(your name is kept as your change)."
            )
    else:
        generator = _generated_by(placer.root, app.folder, name)
        origin = f"the configMapGenerator in {generator}" if generator else "no file in the app's folder"
        findings.notes.append(
            f"ConfigMap '{name}' (values of {release.label}) comes from {origin}; it stays as it is, and "
            f"copier update does not add the template's file ({template_file})."
        )


def _generated_by(root: Path, folder: str, name: str) -> str:
    """The kustomization file in `folder` whose configMapGenerator makes ConfigMap `name`, or ""."""
    for config_name in KUSTOMIZE_CONFIG_FILES:
        config = root / folder / config_name
        if not config.is_file():
            continue
        try:
            data = bounded_yaml.load(config.read_text(encoding="utf-8"), str(config)) or {}
        except (yaml.YAMLError, UnicodeDecodeError):
            return ""
        generators = data.get("configMapGenerator") if isinstance(data, dict) else None
        if any(isinstance(g, dict) and g.get("name") == name for g in _list(generators)):
            return f"{folder}/{config_name}"
    return ""


def _kustomize_config(root: Path, path: str) -> str:
    """The kustomize config file that lists the files of `path`'s folder, or "".

    The folder and its parents count, up to the top: Flux starts its build at the
    folder a Kustomization applies, and a config file there or below it decides.
    """
    folder = posixpath.dirname(path)
    while folder:
        for name in KUSTOMIZE_CONFIG_FILES:
            candidate = posixpath.join(folder, name)
            if (root / candidate).is_file():
                return candidate
        folder = posixpath.dirname(folder)
    return ""


def _apps_folder_problems(root: Path, apps: dict[str, App]) -> list[str]:
    """An app whose folder is not `<app>/` is merged there on its first update (where release
    1.0.0 renders it), and moved back."""
    return [
        f"app {app.name} lives in {app.folder}/, and {app.name}/ at the top of the repository exists too: its "
        f"first update merges the app at {app.name}/ and moves it back, so that folder must not exist."
        for app in apps.values() if app.folder != app.name and (root / app.name).exists()
    ]


# --- the cluster -----------------------------------------------------------------------


def _github(url: str) -> tuple[str, str] | None:
    match = GITHUB_URL.match(url)
    return (match.group("owner"), match.group("repo")) if match else None


def cluster_answers(index: Index, apps: dict[str, App], app_answers_: dict[str, dict], git: GitInfo,
                    findings: _Findings) -> dict:
    """The cluster's answers: from git, from flux bootstrap's GitRepository, and the apps'.

    Each answer that is a guess goes into `findings.guesses`, with where it came from.
    """
    sync = next(iter(index.find("GitRepository", SOURCE_GROUP, name="flux-system", flux_own=True)), None)
    sync_url = _text(sync.get("spec", "url"), "") if sync else ""
    sources = [(url, what) for url, what in ((git.origin_url, "the origin remote"),
                                             (sync_url, f"flux bootstrap's GitRepository ({sync.path})" if sync else ""))
               if url]
    github = next(((found, url, what) for url, what in sources if (found := _github(url))), None)
    other_host = next(((url, what) for url, what in sources if not input_checks.git_url_error(url)), None)
    if github:
        (owner, name), url, what = github
        findings.guesses.append(f"repo_owner '{owner}' and repo_name '{name}': guessed from {what} ({url})")
    else:
        owner, name = CLUSTER_DEFAULTS["repo_owner"], CLUSTER_DEFAULTS["repo_name"]
        findings.guesses.append(
            f"repo_owner '{owner}' and repo_name '{name}': the template's defaults (no GitHub URL in the origin "
            "remote or flux bootstrap's files)"
        )
    repo_url = f"https://github.com/{owner}/{name}" if github or not other_host else other_host[0]
    if other_host and not github:
        findings.guesses.append(f"repo_url '{repo_url}': guessed from {other_host[1]}")
    sync_branch = _text(sync.get("spec", "ref", "branch") if sync else None, "")
    branch = sync_branch or git.branch or CLUSTER_DEFAULTS["branch"]
    branch_from = (
        f"flux bootstrap's GitRepository ({sync.path})" if sync_branch
        else "the checked-out branch" if git.branch else "the template's default"
    )
    findings.guesses.append(f"branch '{branch}': guessed from {branch_from}")
    git_interval = _text(sync.get("spec", "interval") if sync else None, "")
    if not git_interval:
        git_interval = CLUSTER_DEFAULTS["git_interval"]
        findings.guesses.append(f"git_interval '{git_interval}': the template's default (no flux bootstrap GitRepository)")
    answers = {
        "kind": "cluster",
        "repo_owner": owner,
        "repo_name": name,
        "repo_url": repo_url,
        "personal_account": True,
        "branch": branch,
        "bootstrap_dir": index.bootstrap_dir,
        "git_interval": git_interval,
    }
    findings.guesses.append("personal_account 'true': the template's default (the repository cannot tell)")
    for key, default in INTERVAL_DEFAULTS.items():
        answers[key] = _most_common([answers_[key] for answers_ in app_answers_.values()], default)
        if app_answers_:
            findings.guesses.append(f"{key} '{answers[key]}' (for new apps): what most apps use")
    answers["apps_dir"] = _most_common(
        [app.apps_dir for app in apps.values() if posixpath.basename(app.folder) == app.name], "")
    if answers["apps_dir"]:
        findings.guesses.append(f"apps_dir '{answers['apps_dir']}' (for new apps): where most apps' folders are")
    return answers


def _most_common(values: list[str], default: str) -> str:
    """The value most apps use; on a tie the template's default if tied, else the first app's."""
    counts = Counter(values)
    if not counts:
        return default
    top = max(counts.values())
    tied = [value for value, count in counts.items() if count == top]
    return default if default in tied else tied[0]


# --- checks on the answers -------------------------------------------------------------


def app_answer_errors(answers: dict) -> list[str]:
    """The template's own checks on an app's answers; copier would refuse what fails them."""
    errors = [
        input_checks.dns1123_label_error(answers["app_name"], "app_name (the folder name)"),
        input_checks.dns1123_label_error(answers["namespace"], "namespace") if answers["namespace"] else "",
        input_checks.chart_name_error(answers["chart"]),
        input_checks.chart_version_error(answers["chart_version"]),
        input_checks.dns1123_label_error(answers["helm_repo_name"], "helm_repo_name"),
        input_checks.helm_repo_url_error(answers["helm_repo_url"]) if answers["helm_repo_url"] else "",
        input_checks.release_name_error(answers["release_name"]),
        health_checks_error(answers["health_checks"]),
        *(input_checks.dns1123_label_error(name, "dependsOn name") for name in answers["depends_on"]),
        *(input_checks.interval_error(answers[key], key) for key in INTERVAL_DEFAULTS),
    ]
    return [f"app {answers['app_name']}: {error}" for error in errors if error]


def cluster_answer_errors(answers: dict) -> list[str]:
    errors = [
        input_checks.github_owner_error(answers["repo_owner"]),
        input_checks.github_repository_error(answers["repo_name"]),
        input_checks.git_url_error(answers["repo_url"]),
        input_checks.branch_error(answers["branch"]),
        input_checks.interval_error(answers["git_interval"], "git_interval (flux-system GitRepository)"),
        input_checks.apps_dir_error(answers["apps_dir"], answers["bootstrap_dir"]),
    ]
    return [f"cluster: {error}" for error in errors if error]


# --- the plan, and carrying it out -----------------------------------------------------


def _pinned(answers: dict, keys: tuple[str, ...], src_path: str) -> dict:
    return {"_commit": RELEASE_TAG, "_src_path": src_path, **{key: answers[key] for key in keys}}


def plan_adoption(root: Path, template: str, git: GitInfo, files: TemplateFiles | None = None) -> Plan:
    """Everything adopting `root` writes and moves; raises AdoptError listing every problem.

    `files`: the template's git repository, for the housekeeping files and the check that
    it has release 1.0.0; without it neither is looked at (a note says what is missing).
    """
    bootstrap = find_bootstrap_dir(root)
    index, unreadable = read_index(root, bootstrap)
    findings = _Findings(notes=unreadable)
    placer = _Placer(root, index, findings)
    src_path = absolute_src_path(template)
    apps = find_apps(index, findings)
    answers = {name: app_answers(app, index, placer, findings) for name, app in apps.items()}
    cluster = cluster_answers(index, apps, answers, git, findings)
    findings.problems.extend(_apps_folder_problems(root, apps))
    added, extended = housekeeping_files(root, files, findings)
    for app_answers_ in answers.values():
        findings.problems.extend(app_answer_errors(app_answers_))
    findings.problems.extend(cluster_answer_errors(cluster))
    if error := template_error(src_path, files):
        findings.problems.append(error)
    moves, splits = [], []
    try:
        moves, splits = placer.arranged(sorted(findings.moves.values(), key=lambda item: (item[1].source, item[0])))
    except SplitRefused as refused:
        findings.problems.append(str(refused))
    if findings.problems:
        # Apps sharing a broken HelmRepository or Namespace would each report it.
        raise AdoptError(list(dict.fromkeys(findings.problems)))
    return Plan(
        repo=root,
        bootstrap_dir=bootstrap,
        cluster=_pinned(cluster, CLUSTER_KEYS, src_path),
        apps={app: _pinned(app_answers_, APP_KEYS, src_path) for app, app_answers_ in answers.items()},
        moves=moves,
        splits=splits,
        kept=findings.kept,
        notes=list(dict.fromkeys(findings.notes)),
        guesses=findings.guesses,
        added=added,
        extended=extended,
    )


def answers_text(answers: dict) -> str:
    """An answers file as release 1.0.0's answers file template writes it."""
    return ANSWERS_HEADER + yaml_document(answers)


def _staged(repo: Path, *args: str) -> None:
    done = _git(repo, *args)
    if done.returncode:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")


def carry_out(plan: Plan) -> None:
    """Move and split the files (staged, so they show in `git status`) and write the answers files."""
    for move in plan.moves:
        (plan.repo / move.target).parent.mkdir(parents=True, exist_ok=True)
        _staged(plan.repo, "mv", "--", move.source, move.target)
    for split in plan.splits:
        for move, text in zip(split.moves, split.texts):
            (plan.repo / move.target).parent.mkdir(parents=True, exist_ok=True)
            # Bytes: written as text, Python would turn the user's CRLF line ends into others.
            (plan.repo / move.target).write_bytes(text.encode("utf-8"))
        if split.rest is None:
            _staged(plan.repo, "rm", "-q", "--", split.source)
        else:
            (plan.repo / split.source).write_bytes(split.rest.encode("utf-8"))
        _staged(plan.repo, "add", "--", *(move.target for move in split.moves),
                *([split.source] if split.rest is not None else []))
    for name, answers in plan.answers_files().items():
        (plan.repo / name).write_text(answers_text(answers), encoding="utf-8")
    for name, text in {**plan.added, **plan.extended}.items():
        (plan.repo / name).write_text(text, encoding="utf-8")


def undo(plan: Plan) -> None:
    """Put the (clean before adoption) repository back as HEAD has it."""
    _git(plan.repo, "reset", "-q", "--hard", "HEAD")
    made = [move.target for split in plan.splits for move in split.moves]
    # Files adopt wrote that HEAD does not have (a split's new file is one only where
    # carrying out stopped before staging it; the reset removes the staged ones).
    for name in [*plan.answers_files(), *plan.added, *made]:
        (plan.repo / name).unlink(missing_ok=True)
    for target in [*(move.target for move in plan.moves), *made]:  # folders adopt made and the reset emptied
        folder = (plan.repo / target).parent
        while folder != plan.repo and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


# --- what the user reads ---------------------------------------------------------------


def describe(plan: Plan) -> str:
    lines = [
        f"Bootstrap folder: {plan.bootstrap_dir}/. "
        f"Pinned to template release {RELEASE} ({plan.cluster['_src_path']})."
    ]
    lines.append("Apps (each gets its own answers file):" if plan.apps else "Apps: none found.")
    for app, answers in plan.apps.items():
        lines.append(
            f"  {app}: chart {answers['chart']} {answers['chart_version']} from HelmRepository "
            f"{answers['helm_repo_name']} ({answers['helm_repo_url']}), namespace {answers['namespace']}"
        )
    sections = (
        ("Guessed (change them in .copier-answers.yml if wrong):", plan.guesses),
        ("Kept as your own files (no answers file):", plan.kept),
        ("Notes:", plan.notes),
    )
    for title, items in sections:
        if items:
            lines += [title, *(f"  {item}" for item in items)]
    if plan.added:
        lines.append(f"Adds, as the template writes them (updates keep them current): {', '.join(plan.added)}")
    if plan.extended:
        lines.append(f"Adds to your own: {', '.join(plan.extended)} (the lines the template's has and yours lacks)")
    if plan.moves:
        lines.append("Moves (git mv, staged), so that each object is where the template writes it:")
        lines += [f"  {move.source} -> {move.target}  ({move.what})" for move in plan.moves]
    if plan.splits:
        lines.append(
            "Splits (staged), so that each object is alone where the template writes it; each document "
            "goes as you wrote it, comments included:"
        )
        lines += [describe_split(split) for split in plan.splits]
    return "\n".join(lines)


def describe_split(split: Split) -> str:
    lines = [f"  split {split.source}: {move.what} -> {move.target}" for move in split.moves]
    if split.rest is not None:
        lines.append(f"    {split.source} keeps its other documents, as they are")
    else:
        count = len(split.dropped.splitlines())
        dropped = f"; its {count} line(s) outside them (comments) go with it" if count else ""
        lines.append(f"    {split.source} is removed (git rm): every object in it moved{dropped}")
    return "\n".join(lines)


def describe_dry_run(plan: Plan) -> str:
    lines = ["Dry run: nothing moved, split or written. The answers files would be:"]
    for name, answers in plan.answers_files().items():
        lines += ["", f"--- {name}", answers_text(answers).rstrip("\n")]
    return "\n".join(lines)


def next_steps(plan: Plan) -> str:
    written = ", ".join([*plan.answers_files(), *plan.added, *plan.extended])
    lines = [
        f"Wrote {written}.",
        "",
        "Next:",
        "  1. Review: git status; git diff --staged; the answers files (change an answer there if it is wrong).",
        '  2. git add -A && git commit -m "Adopt the Flux cookbook template"',
        "  3. Update the cluster and every app to the newest release (one commit each):",
        "       flux-cookbook update-all",
        "     or by hand, the cluster first, committing after each step:",
        "       copier update --trust --defaults",
    ]
    lines += [f"       copier update --trust --defaults -a {app_answers_file(app)}" for app in plan.apps]
    return "\n".join(lines)


def _refused(repo: Path, problems: list[str], err: TextIO) -> int:
    print(f"adopt: cannot adopt {repo}; nothing was written.", file=err)
    for problem in problems:
        print(f"  - {problem}", file=err)
    return 1


def adopt(repo: Path, template: str, dry_run: bool, out: TextIO, err: TextIO) -> int:
    """The adopt command: 0 when adopted (or planned, with dry_run), 1 when refused."""
    try:
        check_adoptable(repo)
        with template_files(absolute_src_path(template)) as files:
            plan = plan_adoption(repo, template, read_git_info(repo), files)
    except AdoptError as error:
        return _refused(repo, error.problems, err)
    except TemplateUnreachable as error:
        return _refused(repo, [str(error)], err)
    print(describe(plan), file=out)
    if dry_run:
        print(describe_dry_run(plan), file=out)
        return 0
    before = build_check.build(repo)
    try:
        carry_out(plan)
    except (RuntimeError, OSError) as error:
        undo(plan)
        return _refused(repo, [f"carrying out the adoption failed, and it was undone: {error}"], err)
    after = build_check.build(repo)
    if broken := build_check.newly_broken(before, after):
        undo(plan)
        return _refused(repo, [
            "these Flux Kustomization paths built before adoption and would no longer build:",
            *broken,
        ], err)
    print(build_check.summary(before, after), file=out)
    print(next_steps(plan), file=out)
    return 0
