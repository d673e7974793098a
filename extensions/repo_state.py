"""What already exists in the destination repository, for checks at `copier copy` time.

Apps are known by their answers files (`layout.app_answers_file`): one per app, written
by copier itself, so they are the registry of apps the repository holds. An app's folder
is the one its Kustomization applies (`app_folder`): where the template renders it, or
where the user keeps it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from . import bounded_yaml, known_apps, layout, repo_files
from .flux_names import FLUX_SYSTEM, KUSTOMIZE_GROUP, SYNC_FILE
from .input_checks import dns1123_label_error, not_text_error
from .kube_names import dns1123_subdomain_error
from .told_once import tell_once


def existing_apps(dst: str | Path) -> set[str]:
    """Names of the apps the repository at `dst` holds."""
    return layout.apps(Path(dst))


def answers_of(dst: str | Path, answers_file: str | Path) -> dict | None:
    """What an answers file of `dst` records; None where it cannot be read or holds no
    mapping (check names it). Only inside the repository: a link out of it is not followed."""
    try:
        answers = bounded_yaml.load(repo_files.read_text(Path(dst), answers_file), str(answers_file))
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
        return None
    return answers if isinstance(answers, dict) else None


def recorded(dst: str | Path) -> dict[str, dict | None]:
    """{answers file: answers_of it} for each of the repository's answers files, the cluster's first."""
    return {answers_file: answers_of(dst, answers_file) for answers_file in layout.answers_files(Path(dst))}


def cluster_exists_error(dst: str | Path) -> str:
    """Why a new cluster repository cannot be made in `dst`, or ""."""
    if (Path(dst) / layout.CLUSTER_ANSWERS).exists():
        return (
            f"{dst} is already a cluster repository (it has {layout.CLUSTER_ANSWERS}). To add an app: "
            "flux-cookbook add APP (or copier copy --trust -d kind=app <template> .); to update it: "
            "flux-cookbook update-all (or copier update --trust); to render its files anew over your edits: "
            "copier recopy --trust --overwrite"
        )
    if syncs := flux_syncs(dst):
        # A repository flux bootstrap wrote into and the template did not: its README,
        # .gitignore and .sourceignore are the user's, and copier would stop half-way on them.
        return (
            f"{dst} already holds a Flux cluster made by hand ({', '.join(syncs)}, written by flux bootstrap): "
            "a new cluster repository is not made over it. To let the template update it: "
            "flux-cookbook adopt; a new cluster goes into a new or empty folder."
        )
    return ""


def flux_syncs(dst: str | Path) -> list[str]:
    """The gotk-sync.yaml files flux bootstrap wrote anywhere in `dst` (relative paths, sorted)."""
    # What git would commit: not .git, not what it ignores (a vendored example's sync), and
    # a walk without recursion where there is no git work tree.
    return sorted(Path(path).as_posix() for path in repo_files.listed_files(Path(dst))
                  if Path(path).name == SYNC_FILE)


def app_exists_error(dst: str | Path, app_name: str, bootstrap_dir: str, apps_dir: str = "") -> str:
    """Why an app named `app_name` cannot be added to `dst`, or ""."""
    root = Path(dst)
    if app_name == FLUX_SYSTEM:
        return (f"app_name '{app_name}' is the name of Flux's own Kustomization (flux bootstrap writes "
                f"{FLUX_SYSTEM}/{FLUX_SYSTEM}): a second one stops the bootstrap folder from building. "
                "Choose another app_name.")
    folder = layout.app_dir(app_name, apps_dir)
    if bootstrap_dir == folder or bootstrap_dir.startswith(f"{folder}/"):
        return (f"app_name '{app_name}' would put the app's folder where the bootstrap folder "
                f"{bootstrap_dir}/ is: choose another app_name.")
    clashes = [
        layout.app_answers_file(app_name),
        f"{layout.app_dir(app_name, apps_dir)}/",
        layout.kustomization_file(bootstrap_dir, app_name),
    ]
    found = [name for name in clashes if (root / name).exists()]
    if found and layout.app_answers_file(app_name) not in found:
        return (f"app '{app_name}' has files in this repository but no answers file (found {', '.join(found)}): "
                "made by hand, or left by an add that was stopped. Remove them, or choose another app_name "
                "(flux-cookbook adopt takes over an app made by hand).")
    if found:
        return (
            f"app '{app_name}' already exists in this repository (found {', '.join(found)}). "
            f"Choose another app_name; update it with `copier update --trust -a {layout.app_answers_file(app_name)}` "
            "(or flux-cookbook update-all); or render its files anew over your edits: "
            f"`copier recopy --trust --overwrite -a {layout.app_answers_file(app_name)}`"
        )
    return ""


def depends_on_error(dst: str | Path, depends_on: object, app_name: str, bootstrap_dir: str = "") -> str:
    """Why `depends_on` is not a list of other apps (or Flux Kustomizations) of the cluster
    whose bootstrap folder is `bootstrap_dir` in `dst`, or "": kustomize-controller looks a
    dependency up in its own cluster, and waits for one that is not there for ever."""
    if not isinstance(depends_on, list):
        return f"depends_on must be a list of app names, e.g. [postgres], not {depends_on!r}."
    known = _cluster_kustomizations(Path(dst), bootstrap_dir) if bootstrap_dir else existing_apps(dst)
    for name in depends_on:
        if error := dns1123_label_error(name, "depends_on entry"):
            return error
        if name == app_name:
            return f"app '{app_name}' cannot depend on itself."
        if name not in known:
            listed = ", ".join(sorted(known)) or "none yet"
            return (f"depends_on names '{name}', which is not an app of this "
                    + (f"cluster ({bootstrap_dir}/; apps and Kustomizations: {listed})." if bootstrap_dir
                       else f"repository (apps: {listed})."))
    if len(set(depends_on)) != len(depends_on):
        return "depends_on lists an app twice."
    return ""


def _cluster_kustomizations(root: Path, bootstrap_dir: str) -> set[str]:
    """What a dependsOn of an app of the cluster at `bootstrap_dir` may name: its apps (their
    answers record that bootstrap folder, or none), and the Flux Kustomizations its
    bootstrap folder's files define (the user's own among them)."""
    names = {app for answers_file, answers in recorded(root).items() if (app := layout.app_of_answers_file(answers_file))
             and (answers is None or answers.get("bootstrap_dir") in (None, "", bootstrap_dir))}
    for _, documents in _documents_mentioning(root, "Kustomization", bootstrap_dir):
        names |= {str(d["metadata"]["name"]) for d in documents if d.get("kind") == "Kustomization"
                  and str(d.get("apiVersion") or "").startswith(f"{KUSTOMIZE_GROUP}/")
                  and isinstance(d.get("metadata"), dict) and d["metadata"].get("name")}
    return names


def helm_release_clash_error(dst: str | Path, app_name: str, release_name: str, namespace: str,
                             bootstrap_dir: str = "") -> str:
    """Why an app installing Helm release `release_name` into `namespace` would share it with
    an app of its cluster (helm-controller keeps a release by name in the HelmRelease's
    namespace, where the template puts it), or "". Another cluster's app (another
    bootstrap folder) installs into another cluster."""
    for answers_file, answers in recorded(dst).items():
        other = layout.app_of_answers_file(answers_file)
        if not other or other == app_name or answers is None:  # check names one that cannot be read
            continue
        if bootstrap_dir and answers.get("bootstrap_dir") not in (None, "", bootstrap_dir):
            continue
        if (str(answers.get("release_name") or other), str(answers.get("namespace") or other)) == (release_name, namespace):
            return (f"app '{other}' installs Helm release '{release_name}' in namespace '{namespace}' already; two "
                    "HelmReleases making one release would each upgrade and roll back the other's. Choose another "
                    "release_name or namespace.")
    return ""


def helm_repository_clash_error(dst: str | Path, bootstrap_dir: str, name: str, url: str) -> str:
    """Why HelmRepository `name` cannot be shared: it exists with another URL, or ""."""
    path = Path(dst, layout.helm_repository_file(bootstrap_dir, name))
    if not path.is_file():
        return ""
    try:
        existing = next((d for d in bounded_yaml.load_all(path.read_text()) if d), {})
        existing_url = existing.get("spec", {}).get("url")
    except (yaml.YAMLError, AttributeError):
        return f"{path.relative_to(dst)} exists but is not a readable HelmRepository; fix it first."
    if not same_url(existing_url, url):
        return (
            f"HelmRepository '{name}' already exists with url {existing_url}; use that url, "
            f"or another helm_repo_name for {url}."
        )
    return ""


def same_url(one: object, other: object) -> bool:
    """Whether two Helm repository URLs name the same repository (a trailing `/` aside)."""
    return str(one).rstrip("/") == str(other).rstrip("/")


def helm_repositories(dst: str | Path, bootstrap_dir: str) -> dict[str, str]:
    """name -> URL of each HelmRepository in the bootstrap folder's helmrepositories/."""
    found = {}
    folder = Path(dst, layout.helm_repositories_dir(bootstrap_dir))
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            documents = list(bounded_yaml.load_all(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, UnicodeDecodeError, OSError):
            continue  # the clash check says so, if the app would share it
        for document in documents:
            if isinstance(document, dict) and document.get("kind") == "HelmRepository":
                name = (document.get("metadata") or {}).get("name")
                url = (document.get("spec") or {}).get("url")
                if isinstance(name, str) and isinstance(url, str):
                    found[name] = url
    return found


def helm_repo_name_default(dst: str | Path, bootstrap_dir: str, url: str, chart: str) -> str:
    """The default of helm_repo_name: the HelmRepository that already serves `url`, so that a
    repository has one per URL (a second app of the same repository shares it); else the
    chart's name, or, where a HelmRepository of another URL has it (the same chart from a
    mirror), the chart's name with the first free number (`podinfo-2`)."""
    existing = helm_repositories(dst, bootstrap_dir)
    serving = [name for name, served in existing.items() if same_url(served, url)]
    if chart in serving:
        return chart
    if serving:
        return serving[0]
    name, number = chart, 2
    while name in existing:
        name, number = f"{chart}-{number}", number + 1
    return name


def sealed_secrets_controller_apps(dst: str | Path) -> list[str]:
    """The apps of `dst` that install the Sealed Secrets controller (its chart, whatever the
    app's name), by their answers files."""
    chart = known_apps.ANSWERS[known_apps.SEALED_SECRETS]["chart"]
    return [app for name, answers in recorded(dst).items()
            if (app := layout.app_of_answers_file(name)) and answers is not None and answers.get("chart") == chart]


def health_checks_error(health_checks: object) -> str:
    """Why `health_checks` is not a list of Kubernetes object references, or ""."""
    if not isinstance(health_checks, list):
        return "health_checks must be a list of {apiVersion, kind, name, namespace} mappings."
    for check in health_checks:
        if not isinstance(check, dict) or not {"kind", "name"} <= check.keys():
            return f"health check {check!r} needs at least kind and name (and usually apiVersion, namespace)."
        unknown = check.keys() - {"apiVersion", "kind", "name", "namespace"}
        if unknown:
            return f"health check {check!r} has unknown keys: {', '.join(sorted(unknown))}."
        if any(not isinstance(v, str) or not v for v in check.values()):
            return f"health check {check!r}: every value must be a non-empty string."
        if error := not_text_error(check, "health check"):
            return error
    return ""


# An object's kind is CamelCase (HelmRelease, Deployment); its apiVersion a version, after
# a group (a DNS subdomain) and a slash except for the core group's.
_KIND = re.compile(r"[A-Z][A-Za-z0-9]*")
_API_VERSION = re.compile(r"(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*/)?v[0-9]+(?:(?:alpha|beta)[0-9]+)?")


def health_check_names_error(health_checks: object) -> str:
    """Why a health check names no object Kubernetes could have (a kind not CamelCase, a name
    or namespace Kubernetes refuses, an apiVersion that is none), or "": kustomize-controller
    would wait for it until the Kustomization times out. For a new app only: an update keeps
    what the answers recorded (an adopted repository's own health checks)."""
    for check in health_checks if isinstance(health_checks, list) else []:
        if not isinstance(check, dict):
            continue
        shown = f"health check {check!r}"
        kind, name, namespace, api_version = (check.get(key) for key in ("kind", "name", "namespace", "apiVersion"))
        if isinstance(kind, str) and not _KIND.fullmatch(kind):
            return f"{shown}: kind {kind!r} is no Kubernetes kind, which is CamelCase (HelmRelease, Deployment)."
        if isinstance(api_version, str) and not _API_VERSION.fullmatch(api_version):
            return f"{shown}: apiVersion {api_version!r} is no API version (group/version, e.g. helm.toolkit.fluxcd.io/v2, apps/v1, or v1)."
        if isinstance(name, str) and (error := dns1123_subdomain_error(name, f"{shown}: name")):
            return error
        if isinstance(namespace, str) and (error := dns1123_label_error(namespace, f"{shown}: namespace")):
            return error
    return ""


def namespace_declared_elsewhere(dst: str | Path, namespace: str, bootstrap_dir: str) -> str:
    """A file of `dst` other than the namespace's own template file that declares
    Namespace `namespace` (flux bootstrap's gotk-components.yaml, a file of the user's), or "".

    The template's own file (`layout.namespace_file`) does not count: apps that share a
    namespace share that file.
    """
    root = Path(dst)
    own = layout.namespace_file(bootstrap_dir, namespace)
    others = _other_clusters(root, bootstrap_dir)
    for relative, documents in _documents_mentioning(root, "Namespace"):
        if relative == own or any(relative.startswith(f"{folder}/") for folder in others):
            continue  # the template's own file; a file of another cluster's folder, not applied here
        if any(document.get("apiVersion") == "v1" and document.get("kind") == "Namespace"
               and isinstance(document.get("metadata"), dict) and document["metadata"].get("name") == namespace
               for document in documents):
            return relative
    return ""


def app_cluster_error(dst: str | Path, bootstrap_dir: str) -> str:
    """Why a new app may not go into `bootstrap_dir`, or "": it is the bootstrap folder the
    cluster's answers record, or one another cluster's `flux bootstrap` sync applies (an app
    of that cluster). Any other folder (a typo, flux bootstrap's own flux-system/) is
    applied by no cluster: the app would be written, and never installed."""
    root = Path(dst)
    try:
        recorded = bounded_yaml.load((root / layout.CLUSTER_ANSWERS).read_text(encoding="utf-8"), layout.CLUSTER_ANSWERS)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ""  # no cluster of the template's here (or unreadable): nothing to judge against
    if not isinstance(recorded, dict) or not recorded.get("bootstrap_dir"):
        return ""
    own, wanted = (os.path.normpath(str(folder)).strip("/") for folder in (recorded["bootstrap_dir"], bootstrap_dir))
    others = _other_clusters(root, own)
    if wanted == own or wanted in others:
        return ""
    clusters = ", ".join([f"{own} (this repository's cluster, {layout.CLUSTER_ANSWERS})", *sorted(others)])
    return (f"bootstrap_dir {bootstrap_dir} is no cluster's bootstrap folder, so no cluster would install the app; "
            f"the bootstrap folders here: {clusters}.")


def _other_clusters(root: Path, bootstrap_dir: str) -> set[str]:
    """The folders other clusters of the repository sync (each `flux bootstrap` sync's
    path, and each bootstrap folder an answers file records, bootstrapped or not yet), but
    the repository's root: what they declare is no declaration in this one."""
    synced = {applied_folder(root, path.relative_to(root).as_posix())
              for path in _manifest_files(root) if path.name == SYNC_FILE}
    synced |= {os.path.normpath(folder).strip("/") for folder in _recorded_bootstrap_dirs(root)}
    own = os.path.normpath(str(bootstrap_dir)).strip("/")
    return {folder for folder in synced if folder not in ("", ".", own) and not own.startswith(f"{folder}/")}


def _recorded_bootstrap_dirs(root: Path) -> set[str]:
    """The bootstrap folders the repository's answers files record."""
    return {answers["bootstrap_dir"] for answers in recorded(root).values()
            if answers is not None and isinstance(answers.get("bootstrap_dir"), str) and answers["bootstrap_dir"]}


def _documents_mentioning(root: Path, word: str, folder: str = "") -> Iterator[tuple[str, list[dict]]]:
    """(path, its mappings) of each YAML file of the repository (below `folder`) whose text
    holds `word`, in path order; a file that cannot be read is none (Flux could not apply it
    either)."""
    below = root / folder
    for path in sorted(_manifest_files(below)) if below.is_dir() else ():
        relative = path.relative_to(root).as_posix()
        try:
            text = repo_files.read_text(root, relative)
            documents = list(bounded_yaml.load_all(text)) if word in text else []
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
            continue
        if documents:
            yield relative, [document for document in documents if isinstance(document, dict)]


def _manifest_files(root: Path):
    """The YAML files of the repository, dot folders aside; a link leading out of it is
    none of them (nothing outside the repository is read, and Flux's check refuses it)."""
    if not root.is_dir():
        return
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if path.suffix in (".yaml", ".yml") and path.is_file() and not any(p.startswith(".") for p in parts):
            try:
                repo_files.inside(root, path.relative_to(root))
            except repo_files.OutsideRepository:
                continue
            yield path


def owns_namespace_default(dst: str | Path, namespace: str, bootstrap_dir: str) -> bool:
    """Should a new app write `<bootstrap>/namespaces/namespace-<namespace>.yaml`?

    Not for a namespace Flux or Kubernetes own (layout.owns_namespace), nor for one some
    other file of the repository declares already: a second declaration of one object
    breaks the build of the folder holding both ("may not add resource with an already
    registered id").
    """
    if not layout.owns_namespace(str(namespace)):
        return False
    if elsewhere := namespace_declared_elsewhere(dst, str(namespace), bootstrap_dir):
        tell_once(("namespace declared", str(dst), str(namespace)),
                  f"Note: namespace {namespace} is declared in {elsewhere}, so the app writes no namespace file of its "
                  "own (give owns_namespace=true to write one).")
        return False
    return True


def applied_folder(dst: str | Path, kustomization_file: str) -> str:
    """The folder the Flux Kustomization in `kustomization_file` applies, normalised ("" when unreadable)."""
    try:
        documents = bounded_yaml.load_all((Path(dst) / kustomization_file).read_text(encoding="utf-8"), kustomization_file)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return ""
    for document in documents:
        if isinstance(document, dict) and document.get("kind") == "Kustomization":
            spec = document.get("spec") if isinstance(document.get("spec"), dict) else {}
            return os.path.normpath(str(spec.get("path") or ".")).strip("/").removeprefix("./")
    return ""


def app_file(dst: str | Path, answers: dict, template_file: str) -> str:
    """A file of the app (`template_file`, where layout puts it) in the app's folder as
    app_folder finds it: a release's migration reads and writes the app's files there."""
    return f"{app_folder(dst, answers)}/{os.path.basename(template_file)}"


def app_folder(dst: str | Path, answers: dict) -> str:
    """The folder of the app whose answers are `answers`: the one its Kustomization (at the
    template's path) applies, when that folder is named after the app (`apps/<app>`), or
    holds the app's HelmRelease file: a folder named after another app (two apps whose
    folders share a name at different depths, `redis/` and `mastodon/redis/`, are two
    apps, `redis` and `mastodon-redis`, each known by its Kustomization), or renamed by
    hand (`website/` of the app `web`). Else where the template renders it
    (`<apps_dir>/<app>`)."""
    app = str(answers.get("app_name") or "")
    rendered = layout.app_dir(app, str(answers.get("apps_dir") or ""))
    bootstrap = str(answers.get("bootstrap_dir") or "")
    folder = applied_folder(dst, layout.kustomization_file(bootstrap, app)) if app and bootstrap else ""
    if not folder or folder == "." or folder.startswith("..") or not (Path(dst) / folder).is_dir():
        return rendered
    # A folder above or below the rendered one (`apps/` holding every app's files) is no
    # app's own: an update cannot merge it where the template renders the app.
    if rendered.startswith(folder.rstrip("/") + "/") or folder.startswith(rendered + "/"):
        return rendered
    if os.path.basename(folder) == app:
        return folder
    release_file = os.path.basename(layout.helm_release_file(app))
    return folder if (Path(dst) / folder / release_file).is_file() else rendered
