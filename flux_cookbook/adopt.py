"""Adopt a Flux repository built by hand from the Geek Cookbook pages.

Many cookbook readers copied the pages' files by hand. Their repositories have no answers
files, so copier cannot update them. This module reads such a repository and writes the
answers files that release 1.0.0 of the template (the cookbook's own layout and APIs)
would have written for it. The ordinary `copier update` then brings it to the newest
release: copier renders 1.0.0 with these answers, takes the user's differences from that
render and replays them on the newest release, so the user's own values are kept.

That replay works only when the answers reproduce the user's objects and every object sits
at the path the template renders it to; an object elsewhere would get a second copy at the
template's path. So each recognised object that is alone in its file is moved there
(`git mv`), and whatever cannot be made to fit is refused, with a message saying what to
change, before anything is written.

Objects are only ever moved within the folder one Flux Kustomization applies (the
bootstrap folder, or one app's folder): moving an object from one Kustomization to another
would make the first one prune it from the cluster.
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

from .extensions import input_checks, layout
from .extensions.layout import app_answers_file
from .extensions.repo_state import health_checks_error
from .extensions.template_source import absolute_src_path
from .extensions.yaml_quoting import yaml_document

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]

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

# The folders `flux bootstrap --path` pointed at in the cookbook's pages, old and new.
BOOTSTRAP_DIRS = ("flux-system", "bootstrap")
# copier.yml's defaults at release 1.0.0.
INTERVAL_DEFAULTS = {
    "kustomization_interval": "15m",
    "kustomization_timeout": "2m",
    "helmrelease_interval": "15m",
    "helmrelease_timeout": "5m",
    "helmrepository_interval": "15m",
}
CLUSTER_DEFAULTS = {"repo_owner": "my-github-user", "repo_name": "flux-cluster", "git_interval": "1m", "branch": "main"}
# Answer keys in the order a `copier copy` of release 1.0.0 writes them.
CLUSTER_KEYS = (
    "kind", "repo_owner", "repo_name", "repo_url", "personal_account", "branch", "bootstrap_dir",
    "git_interval", *INTERVAL_DEFAULTS,
)
APP_KEYS = (
    "bootstrap_dir", *INTERVAL_DEFAULTS, "kind", "app_name", "namespace", "chart", "chart_version",
    "helm_repo_name", "helm_repo_url", "release_name", "depends_on", "health_checks", "values_source",
)

SOURCE_GROUP = "source.toolkit.fluxcd.io"
KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
HELM_GROUP = "helm.toolkit.fluxcd.io"
CORE_GROUP = ""
# kustomize's own config files: a folder with one applies only the files it lists.
KUSTOMIZE_CONFIG_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Template sources copier fetches itself (as template_source.absolute_src_path tells them apart).
REMOTE_SOURCE = re.compile(r"^[\w+.-]+://|^[\w.-]+@|^(gh|gl):")
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
    def label(self) -> str:
        return f"{self.obj.get('kind')} '{self.name}' ({self.path})"


@dataclass(frozen=True)
class Move:
    source: str
    target: str
    what: str  # the object it holds, e.g. "HelmRelease 'podinfo'"


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
    kept: list[str]  # Kustomizations that stay the user's own files, with the reason
    notes: list[str]
    added: dict[str, str] = field(default_factory=dict)  # housekeeping file -> its 1.0.0 text

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
    # Each recognised object and the path the template renders it to, by (file, kind, name):
    # apps that share a Namespace or HelmRepository place it once.
    placements: dict[tuple[str, str, str], tuple[Manifest, str]] = field(default_factory=dict)


# --- the repository's files ------------------------------------------------------------


@dataclass
class Index:
    """Every YAML document of the repository, by file; dot-files and dot-folders left out."""

    documents: dict[str, list[Any]]  # path -> its non-empty documents
    bootstrap_dir: str

    def find(self, kind: str, group: str, under: str = "", name: str | None = None) -> list[Manifest]:
        """Objects of `kind` in `group` in files below folder `under` ("" for everywhere).

        Flux's own files (`<bootstrap_dir>/flux-system/`) are left out unless `under` is
        in there: flux bootstrap writes them, and they hold a Namespace and a
        Kustomization of their own.
        """
        flux_own = f"{self.bootstrap_dir}/flux-system/"
        prefix = f"{under}/" if under else ""
        found = []
        for path, documents in self.documents.items():
            if not path.startswith(prefix) or (path.startswith(flux_own) and not prefix.startswith(flux_own)):
                continue
            for document in documents:
                if isinstance(document, dict) and _is_kind(document, kind, group):
                    manifest = Manifest(path, document)
                    if name in (None, manifest.name):
                        found.append(manifest)
        return found


def _is_kind(obj: dict, kind: str, group: str) -> bool:
    # The group, not only the kind: kustomize's own config files are `kind: Kustomization` too.
    api_group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return obj.get("kind") == kind and api_group == group


def read_index(root: Path, bootstrap_dir: str) -> tuple[Index, list[str]]:
    """The repository's YAML documents, and a note for each file that cannot be read as YAML."""
    documents: dict[str, list[Any]] = {}
    notes = []
    for path in sorted(_yaml_files(root)):
        relative = path.relative_to(root).as_posix()
        try:
            documents[relative] = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
        except (yaml.YAMLError, UnicodeDecodeError, OSError) as error:
            first_line = str(error).splitlines()[0]
            notes.append(f"skipped {relative}: not readable as YAML ({first_line})")
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
        if (root / name / "kustomizations").is_dir() or (root / name / "helmrepositories").is_dir()
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
    answers = sorted(p.name for p in root.glob(".copier-answers*.yml"))
    if answers:
        raise AdoptError([
            f"{root} already has {', '.join(answers)}: it was generated or adopted already. "
            "Bring it up to date with: copier update --trust"
        ])
    if _git(root, "status", "--porcelain").stdout.strip():
        raise AdoptError([
            f"{root} has uncommitted changes. Commit them first, so that the adoption is a change "
            "of its own you can review (and undo)."
        ])


def template_error(src: str) -> str:
    """Why `src` cannot serve `copier update` from release 1.0.0, or "" (URLs are not checked)."""
    path = Path(src).expanduser()
    if not path.is_dir():
        return "" if REMOTE_SOURCE.match(src) else f"the template {src} is neither a folder nor a git URL."
    if _git(path, "rev-parse", "--verify", "--quiet", f"{RELEASE_TAG}^{{commit}}").returncode:
        return (
            f"the template at {src} has no tag {RELEASE_TAG}, which copier update compares with; "
            "fetch its tags (git fetch --tags) or pass --template with a clone of the template that has them."
        )
    return ""


def housekeeping_files(root: Path, src: str, findings: _Findings) -> dict[str, str]:
    """The HOUSEKEEPING files `root` lacks, as the template's release 1.0.0 has them."""
    missing = [name for name in HOUSEKEEPING if not (root / name).exists()]
    source = Path(src).expanduser()
    where = source if source.is_dir() else TEMPLATE_ROOT  # a URL: this checkout of the template
    added = {}
    for name in missing:
        shown = _git(where, "show", f"{RELEASE_TAG}:template/cluster/{name}")
        if shown.returncode:
            findings.notes.append(f"{name} not added: {where} has no tag {RELEASE_TAG} to take it from.")
        else:
            added[name] = shown.stdout
    return added


def read_git_info(root: Path) -> GitInfo:
    origin = _git(root, "remote", "get-url", "origin")
    branch = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD")
    return GitInfo(
        origin_url=origin.stdout.strip() if not origin.returncode else "",
        branch=branch.stdout.strip() if not branch.returncode else "",
    )


# --- apps ------------------------------------------------------------------------------


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
    if folder == index.bootstrap_dir:
        return "it applies the bootstrap folder"
    if "/" in folder:
        return f"it applies {folder}/, and the template keeps each app in a folder at the top of the repository"
    releases = index.find("HelmRelease", HELM_GROUP, under=folder)
    if not releases:
        return f"no HelmRelease in {folder}/"
    if len(releases) > 1:
        return f"{len(releases)} HelmReleases in {folder}/, and a template app has one"
    chart_source = releases[0].get("spec", "chart", "spec", "sourceRef", "kind")
    if chart_source != "HelmRepository":
        return f"its HelmRelease's chart comes from {chart_source or 'spec.chartRef'}, not a HelmRepository"
    return ""


def find_apps(index: Index, findings: _Findings) -> dict[str, tuple[Manifest, Manifest]]:
    """The apps, by folder name: each one's Kustomization and HelmRelease."""
    apps: dict[str, tuple[Manifest, Manifest]] = {}
    for kustomization in index.find("Kustomization", KUSTOMIZE_GROUP, under=index.bootstrap_dir):
        if reason := _not_an_app_reason(kustomization, index):
            findings.kept.append(f"{kustomization.label}: {reason}")
            continue
        folder = _folder(kustomization.get("spec", "path"))
        release = index.find("HelmRelease", HELM_GROUP, under=folder)[0]
        if folder in apps:
            findings.problems.append(
                f"{kustomization.label} and {apps[folder][0].label} both apply {folder}/; keep one."
            )
        elif kustomization.name != folder:
            findings.problems.append(
                f"{kustomization.label} applies {folder}/, but the template names an app's Kustomization "
                f"after its folder. Rename the folder: git mv {folder} {kustomization.name}, and set "
                f"spec.path: ./{kustomization.name} (renaming the Kustomization instead would make Flux "
                "delete and reinstall the app)."
            )
        else:
            apps[folder] = (kustomization, release)
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


def app_answers(app: str, kustomization: Manifest, release: Manifest, index: Index, findings: _Findings) -> dict:
    """One app's answers, read from its objects; its objects' places go into `findings`."""
    bootstrap = index.bootstrap_dir
    namespace = _text(release.get("metadata", "namespace"), "")
    helm_repo_name = _text(release.get("spec", "chart", "spec", "sourceRef", "name"), "")
    helm_repository = _helm_repository(app, helm_repo_name, index, findings)
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
        "app_name": app,
        "namespace": namespace,
        "chart": _text(release.get("spec", "chart", "spec", "chart"), ""),
        "chart_version": _text(release.get("spec", "chart", "spec", "version"), "*"),
        "helm_repo_name": helm_repo_name,
        "helm_repo_url": _text(helm_repository.get("spec", "url") if helm_repository else None, ""),
        "release_name": _release_name(release),
        "depends_on": _depends_on(kustomization),
        "health_checks": _health_checks(kustomization),
        "values_source": "",
    }
    if not namespace:
        findings.problems.append(f"{release.label} has no metadata.namespace; set the namespace it is installed in.")
    if release.name != app:
        findings.notes.append(
            f"{release.label} is named '{release.name}', the template names it '{app}': "
            "your name is kept as your change."
        )
    _place(findings, kustomization, layout.kustomization_file(bootstrap, app))
    _place(findings, release, layout.helm_release_file(app))
    if namespace:
        _place_namespace(app, namespace, index, findings)
    _place_values_configmap(app, release, index, findings)
    return answers


def _place(findings: _Findings, manifest: Manifest, target: str) -> None:
    findings.placements[(manifest.path, str(manifest.obj.get("kind")), manifest.name)] = (manifest, target)


def _helm_repository(app: str, name: str, index: Index, findings: _Findings) -> Manifest | None:
    bootstrap = index.bootstrap_dir
    found = index.find("HelmRepository", SOURCE_GROUP, under=bootstrap, name=name)
    if len(found) == 1:
        _place(findings, found[0], layout.helm_repository_file(bootstrap, name))
        return found[0]
    if found:
        findings.problems.append(
            f"HelmRepository '{name}' is declared {len(found)} times ({', '.join(m.path for m in found)}); keep one."
        )
    else:
        findings.problems.append(
            f"app {app}: its chart's HelmRepository '{name}' is not in {bootstrap}/; the template keeps it in "
            f"{layout.helm_repository_file(bootstrap, name)}."
        )
    return None


def _place_namespace(app: str, namespace: str, index: Index, findings: _Findings) -> None:
    bootstrap = index.bootstrap_dir
    target = layout.namespace_file(bootstrap, namespace)
    found = index.find("Namespace", CORE_GROUP, under=bootstrap, name=namespace)
    if len(found) == 1:
        _place(findings, found[0], target)
        return
    if found:
        findings.problems.append(
            f"Namespace '{namespace}' is declared {len(found)} times ({', '.join(m.path for m in found)}); keep one."
        )
        return
    elsewhere = index.find("Namespace", CORE_GROUP, name=namespace)
    if elsewhere:
        # Moving it ourselves would hand it from one Kustomization to another, and the
        # first would delete it (and everything in it) from the cluster.
        findings.problems.append(
            f"Namespace '{namespace}' (app {app}) is declared in {elsewhere[0].path}, outside {bootstrap}/; "
            f"copier update would add a second copy in {target}. Move it there, after annotating it "
            "kustomize.toolkit.fluxcd.io/prune: disabled for one reconciliation, so that Flux does not delete "
            "it on the way."
        )
    else:
        findings.notes.append(
            f"Namespace '{namespace}' (app {app}) is declared nowhere; copier update will add {target}."
        )


def _place_values_configmap(app: str, release: Manifest, index: Index, findings: _Findings) -> None:
    expected = layout.values_configmap_name(app)
    sources = _list(release.get("spec", "valuesFrom"))
    names = [s.get("name") for s in sources if isinstance(s, dict) and s.get("kind") == "ConfigMap"]
    if not names:
        findings.notes.append(
            f"{release.label} takes no values from a ConfigMap; the template's values ConfigMap is left out."
        )
        return
    if names[0] != expected:
        findings.problems.append(
            f"{release.label} takes its values from ConfigMap '{names[0]}'; the template names it '{expected}'. "
            "Rename it (its metadata.name and the HelmRelease's valuesFrom), or copier update would add a second one."
        )
        return
    found = index.find("ConfigMap", CORE_GROUP, under=app, name=expected)
    if len(found) > 1:
        findings.problems.append(
            f"ConfigMap '{expected}' is declared {len(found)} times ({', '.join(m.path for m in found)}); keep one."
        )
    elif found:
        _place(findings, found[0], layout.values_configmap_file(app))
    else:
        findings.notes.append(
            f"ConfigMap '{expected}' is not a file in {app}/ (a configMapGenerator?); "
            "the template's file for it is left out."
        )


# --- moves -----------------------------------------------------------------------------


def plan_moves(root: Path, index: Index, findings: _Findings) -> list[Move]:
    """A `git mv` for each recognised object alone in a file not at its template path."""
    moves = []
    for manifest, target in sorted(findings.placements.values(), key=lambda placement: placement[0].path):
        if manifest.path == target:
            continue
        others = len(index.documents[manifest.path]) - 1
        config = _kustomize_config(root, manifest.path) or _kustomize_config(root, target)
        if others:
            findings.problems.append(
                f"split {manifest.path}: {manifest.label} shares it with {others} other object(s). Put it alone in "
                f"{target}, or copier update would add a second copy of it there."
            )
        elif (root / target).exists():
            findings.problems.append(
                f"{manifest.label} belongs in {target}, which holds something else; rename that file first."
            )
        elif config:
            findings.problems.append(
                f"{config} lists its folder's files by name: rename {manifest.path} to {target} "
                "yourself (git mv) and update that list."
            )
        else:
            moves.append(Move(manifest.path, target, f"{manifest.obj.get('kind')} '{manifest.name}'"))
    return moves


def _kustomize_config(root: Path, path: str) -> str:
    """The kustomize config file that lists the files of `path`'s folder, or "".

    The folder and its parents up to the top-level one count: that one (the bootstrap
    folder or an app's folder) is where Flux starts its build; one at the root is never read.
    """
    folder = posixpath.dirname(path)
    while folder:
        for name in KUSTOMIZE_CONFIG_FILES:
            candidate = posixpath.join(folder, name)
            if (root / candidate).is_file():
                return candidate
        folder = posixpath.dirname(folder)
    return ""


# --- the cluster -----------------------------------------------------------------------


def _github(url: str) -> tuple[str, str] | None:
    match = GITHUB_URL.match(url)
    return (match.group("owner"), match.group("repo")) if match else None


def cluster_answers(index: Index, apps: dict[str, dict], git: GitInfo) -> dict:
    """The cluster's answers: from git, from flux bootstrap's GitRepository, and the apps' intervals."""
    flux_own = f"{index.bootstrap_dir}/flux-system"
    sync = next(iter(index.find("GitRepository", SOURCE_GROUP, under=flux_own, name="flux-system")), None)
    sync_url = _text(sync.get("spec", "url"), "") if sync else ""
    urls = [url for url in (git.origin_url, sync_url) if url]
    github = next((found for url in urls if (found := _github(url))), None)
    owner, name = github or (CLUSTER_DEFAULTS["repo_owner"], CLUSTER_DEFAULTS["repo_name"])
    other_host_url = next((url for url in urls if not input_checks.git_url_error(url)), None)
    answers = {
        "kind": "cluster",
        "repo_owner": owner,
        "repo_name": name,
        "repo_url": f"https://github.com/{owner}/{name}" if github or not other_host_url else other_host_url,
        "personal_account": True,
        # The branch Flux watches; the checked-out one when flux bootstrap's files are not there.
        "branch": _text(sync.get("spec", "ref", "branch") if sync else None, git.branch or CLUSTER_DEFAULTS["branch"]),
        "bootstrap_dir": index.bootstrap_dir,
        "git_interval": _text(sync.get("spec", "interval") if sync else None, CLUSTER_DEFAULTS["git_interval"]),
    }
    for key, default in INTERVAL_DEFAULTS.items():
        answers[key] = _most_common([app[key] for app in apps.values()], default)
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
        input_checks.github_name_error(answers["repo_owner"], "repo_owner"),
        input_checks.github_name_error(answers["repo_name"], "repo_name"),
        input_checks.git_url_error(answers["repo_url"]),
        input_checks.branch_error(answers["branch"]),
        input_checks.interval_error(answers["git_interval"], "git_interval (flux-system GitRepository)"),
    ]
    return [f"cluster: {error}" for error in errors if error]


# --- the plan, and carrying it out -----------------------------------------------------


def _pinned(answers: dict, keys: tuple[str, ...], src_path: str) -> dict:
    return {"_commit": RELEASE_TAG, "_src_path": src_path, **{key: answers[key] for key in keys}}


def plan_adoption(root: Path, template: str, git: GitInfo) -> Plan:
    """Everything adopting `root` writes and moves; raises AdoptError listing every problem."""
    bootstrap = find_bootstrap_dir(root)
    index, unreadable = read_index(root, bootstrap)
    findings = _Findings(notes=unreadable)
    src_path = absolute_src_path(template)
    apps = {
        app: app_answers(app, kustomization, release, index, findings)
        for app, (kustomization, release) in find_apps(index, findings).items()
    }
    cluster = cluster_answers(index, apps, git)
    moves = plan_moves(root, index, findings)
    added = housekeeping_files(root, src_path, findings)
    for answers in apps.values():
        findings.problems.extend(app_answer_errors(answers))
    findings.problems.extend(cluster_answer_errors(cluster))
    if error := template_error(src_path):
        findings.problems.append(error)
    if findings.problems:
        # Apps sharing a broken HelmRepository or Namespace would each report it.
        raise AdoptError(list(dict.fromkeys(findings.problems)))
    return Plan(
        repo=root,
        bootstrap_dir=bootstrap,
        cluster=_pinned(cluster, CLUSTER_KEYS, src_path),
        apps={app: _pinned(answers, APP_KEYS, src_path) for app, answers in apps.items()},
        moves=moves,
        kept=findings.kept,
        notes=findings.notes,
        added=added,
    )


def answers_text(answers: dict) -> str:
    """An answers file as release 1.0.0's answers file template writes it."""
    return ANSWERS_HEADER + yaml_document(answers)


def carry_out(plan: Plan) -> None:
    """Move the files (staged, so the renames show in `git status`) and write the answers files."""
    for move in plan.moves:
        (plan.repo / move.target).parent.mkdir(parents=True, exist_ok=True)
        moved = _git(plan.repo, "mv", "--", move.source, move.target)
        if moved.returncode:
            raise RuntimeError(f"git mv {move.source} {move.target} failed: {moved.stderr.strip()}")
    for name, answers in plan.answers_files().items():
        (plan.repo / name).write_text(answers_text(answers), encoding="utf-8")
    for name, text in plan.added.items():
        (plan.repo / name).write_text(text, encoding="utf-8")


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
    for title, items in (("Kept as your own files (no answers file):", plan.kept), ("Notes:", plan.notes)):
        if items:
            lines += [title, *(f"  {item}" for item in items)]
    if plan.added:
        lines.append(f"Adds, as release {RELEASE} writes them (updates keep them current): {', '.join(plan.added)}")
    if plan.moves:
        lines.append("Moves (git mv, staged), so that each object is where the template writes it:")
        lines += [f"  {move.source} -> {move.target}  ({move.what})" for move in plan.moves]
    return "\n".join(lines)


def describe_dry_run(plan: Plan) -> str:
    lines = ["Dry run: nothing moved or written. The answers files would be:"]
    for name, answers in plan.answers_files().items():
        lines += ["", f"--- {name}", answers_text(answers).rstrip("\n")]
    return "\n".join(lines)


def next_steps(plan: Plan) -> str:
    written = ", ".join([*plan.answers_files(), *plan.added])
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


def adopt(repo: Path, template: str, dry_run: bool, out: TextIO, err: TextIO) -> int:
    """The adopt command: 0 when adopted (or planned, with dry_run), 1 when refused."""
    try:
        check_adoptable(repo)
        plan = plan_adoption(repo, template, read_git_info(repo))
    except AdoptError as error:
        print(f"adopt: cannot adopt {repo}; nothing was written.", file=err)
        for problem in error.problems:
            print(f"  - {problem}", file=err)
        return 1
    print(describe(plan), file=out)
    if dry_run:
        print(describe_dry_run(plan), file=out)
        return 0
    carry_out(plan)
    print(next_steps(plan), file=out)
    return 0
