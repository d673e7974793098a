"""check's convention.*: the cookbook's layout (one object per file, file names,
namespaces, no plain Secret, answers files against the files they made)."""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re

from flux_cookbook.check.object_index import answers_document, applied_post_builds, may_become, substituted
from flux_cookbook.check.problems import BUILTIN_NAMESPACES, ERROR, WARNING, Problem
from flux_cookbook.extensions import answers_check, layout, repo_files
from flux_cookbook.extensions.flux_names import COMPONENTS_FILE, FLUX_SYSTEM, HELM_GROUP, KUSTOMIZE_GROUP, SOURCE_GROUP
from flux_cookbook.extensions.input_checks import apps_dir_error, bootstrap_dir_error
from flux_cookbook.extensions.repo_state import same_url
from flux_cookbook.repository import apps, post_build
from flux_cookbook.repository.model import (
    Manifest,
    Repository,
    is_kustomize_config,
    is_under,
)
from flux_cookbook.repository.yaml_lines import LineList, LineMap


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
    templated = _template_paths(repo)
    post_builds = applied_post_builds(repo)
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
        if stem == expected or path in templated:
            continue
        if substituted(name):
            # A name postBuild fills in (`${APP}`): as the Kustomizations applying the folder
            # fill it in, each with its own values; where one is known on the cluster
            # only, by what it may become.
            folder = repo.folder_of(path)
            filled = [post_build.substitute(name, found) if found else None
                      for k, found in post_builds.items() if k.path == folder]
            if not filled or None in filled:
                if may_become(expected, stem):
                    continue
            elif stem in {f"{kind.lower()}-{each}" for each in filled}:
                continue
            else:
                name = filled[0]
        problems.append(Problem(path, objects[0].line, "convention.file-name", WARNING,
                                f"{kind} {name} belongs in a file named {kind.lower()}-{name}{suffix} "
                                "(the cookbook's <kind>-<name>.yaml)"))
    return problems


def _template_paths(repo: Repository) -> set[str]:
    """The files the template writes for each app, named after the app, not after the
    object in them: an adopted app's HelmRelease keeps the name Flux knows it by
    (`ingress-nginx` in helmrelease-nginx.yaml), and copier update renders that file."""
    paths = set()
    for app_name in apps.app_names(repo.root):
        answers = answers_document(repo, layout.app_answers_file(app_name))
        if answers is None:
            continue
        app = apps.App(repo.root, app_name, answers, default_bootstrap_dir=repo.bootstrap_dir)
        paths.add(app.kustomization_file)
        # In the folder the app's Kustomization applies, wherever the user keeps it.
        paths |= {posixpath.join(app.folder, posixpath.basename(file(app_name)))
                  for file in (layout.helm_release_file, layout.values_configmap_file, layout.oci_repository_file)}
    return paths


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
                                    f"namespace {FLUX_SYSTEM} belongs to Flux (flux bootstrap declares it in "
                                    f"{COMPONENTS_FILE}): do not declare it again"))
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
    # Anywhere in the repository, applied or not, dot folders included: once pushed, a
    # Secret's data is public to everyone who can read the repository. Git-ignored files
    # are not read at all.
    problems = _plain_secret_generators(repo)
    found = [(path, document.line, document.obj) for path, docs in sorted(repo.documents.items())
             if not is_kustomize_config(path) for document in docs]
    found += _json_objects(repo)  # kustomize applies a .json resource as it applies YAML
    written = _inline_variables(repo)
    for path, first_line, document in found:
        for line, obj in _objects_in(document, first_line):
            if obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1" and "sops" not in obj \
                    and _holds_values(obj, written.get(path, set())):
                meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
                problems.append(Problem(path, line, "convention.plain-secret", ERROR,
                                        f"Secret {meta.get('name', '')} is not encrypted: anyone who can read the "
                                        "repository can read it. Seal it (flux-cookbook seal / kubeseal) and commit "
                                        "the SealedSecret, or encrypt it with SOPS"))
    return problems


def _inline_variables(repo: Repository) -> dict[str, set[str]]:
    """File -> the variables the Flux Kustomizations applying it give a value in plain text
    (`spec.postBuild.substitute`): a Secret taking one of them holds it in plain text too."""
    by_folder: dict[str, set[str]] = {}
    for kustomization, found in applied_post_builds(repo).items():
        if found:
            by_folder.setdefault(kustomization.path, set()).update(found.values)
    written: dict[str, set[str]] = {}
    for manifest in repo.manifests:
        written.setdefault(manifest.path, set()).update(by_folder.get(manifest.folder, set()))
    return written


def _holds_values(secret: dict, written: set[str]) -> bool:
    """Whether a Secret holds a value written in the repository: one with no data (a
    service account token's, which the cluster fills in) holds none, nor one whose every
    value is a whole ${VAR} postBuild reads on the cluster (substituteFrom), not from
    `written`, the variables a Kustomization of the repository spells out."""
    values = []
    for field in ("data", "stringData"):
        given = secret.get(field)
        values += given.values() if isinstance(given, dict) else [] if given is None else [given]
    return any(not isinstance(value, str) or post_build.whole_variable(value) in (None, *written) for value in values)


def _json_objects(repo: Repository) -> list[tuple[str, int, object]]:
    """(file, 1, the object) of each JSON file of the repository that holds one (within
    repo_files' size cap; a file that does not parse is no object)."""
    found = []
    for path in sorted(p for p in repo.files if p.endswith(".json")):
        try:
            obj = json.loads(repo_files.read_text(repo.root, path))
        except (OSError, ValueError, RecursionError):
            continue
        if isinstance(obj, dict):
            found.append((path, 1, obj))
    return found


def _objects_in(obj, line: int) -> list[tuple[int, dict]]:
    """The object a document holds, or the items of a `kind: List` (kustomize and kubectl
    apply each item of a List as an object of its own): (line, object) each."""
    if not isinstance(obj, dict):
        return []
    items = obj.get("items")
    if str(obj.get("kind", "")).endswith("List") and isinstance(items, list):
        return [(items.line_of(index) if isinstance(items, LineList) else line, item)
                for index, item in enumerate(items) if isinstance(item, dict)]
    return [(line, obj)]


# What SOPS adds to a file it encrypts: a `sops` key (YAML, JSON, and a binary file, which
# it stores as JSON), a [sops] section (INI), sops_* lines (dotenv). kustomize-controller
# decrypts such a file when a secretGenerator takes it; anything else reaches git as written.
_SOPS_ENCRYPTED = re.compile(r'^(sops:|\[sops\]|sops_mac=)|"sops"\s*:', re.MULTILINE)


def _plain_secret_generators(repo: Repository) -> list[Problem]:
    """A kustomization's secretGenerator makes a Secret of values that are in the repository:
    its `literals` are plain text, as is a file it takes (`files`, `envs`) unless SOPS
    encrypted it."""
    problems = []
    tracked = set(repo.files)
    for generator in repo.generators:
        if generator.kind != "Secret":
            continue
        folder = posixpath.dirname(generator.path)
        plain = ["literals"] if generator.entry.get("literals") else []
        for field in ("files", "envs"):
            for source in generator.entry.get(field) or []:
                file = posixpath.normpath(posixpath.join(folder, str(source).rpartition("=")[2]))
                if file in tracked and not _sops_encrypted(repo, file):
                    plain.append(file)
        if plain:
            problems.append(Problem(
                generator.path, generator.line, "convention.plain-secret", ERROR,
                f"secretGenerator {generator.name} makes a Secret of values in plain text ({', '.join(plain)}): "
                "anyone who can read the repository can read them. Seal them (flux-cookbook seal / kubeseal) and "
                "commit the SealedSecret, or take them from a file encrypted with SOPS"))
    return problems


def _sops_encrypted(repo: Repository, path: str) -> bool:
    try:
        return bool(_SOPS_ENCRYPTED.search(repo_files.read_text(repo.root, path)))
    except (OSError, ValueError):
        return True  # unreadable here (too large, not text, a link leaving the repository): not judged


def _answers(repo: Repository) -> list[Problem]:
    """Each app's answers file names its own app, whose folder, HelmRelease and Kustomization
    exist where the template writes them: copier update re-renders the app from these
    answers, and would write a second app beside one that was renamed or moved by hand.
    (The cluster's bootstrap_dir needs no rule here: the build of the folder it names fails.)"""
    problems = []
    for path in repo.documents:
        if "/" in path or not (path == layout.CLUSTER_ANSWERS or fnmatch.fnmatchcase(path, layout.APP_ANSWERS_GLOB)):
            continue
        docs = repo.documents[path]
        answers = answers_document(repo, path)
        # What update-all refuses before it updates anything: the file says whose it is (an
        # app's renders the app its app_name names), each problem at its key's line.
        found = answers_check.file_problems(path, {} if not docs or docs[0].obj is None else answers)
        problems += [Problem(path, _line_of_key(answers, problem.partition(":")[0]), "convention.answers", ERROR,
                             f"{problem}; update-all refuses to update the repository") for problem in found]
        app = layout.app_of_answers_file(path)
        if answers is None or (app and answers.get("app_name") != app):
            continue  # nothing to read, or another app's answers: named above
        if folder_problem := _folder_answers(path, answers):
            problems.append(folder_problem)
            continue
        if not app:
            continue
        problems += _app_files(repo, path, answers, app)
        problems += _helm_repository_url(repo, path, answers)
    return problems


def _line_of_key(answers: LineMap | None, key: str) -> int:
    return answers.line_of(key) if answers is not None and key in answers else 1


def _helm_repository_url(repo: Repository, path: str, answers: LineMap) -> list[Problem]:
    """The app's helm_repo_url is the URL of the HelmRepository its answers name: an app that
    shares one keeps the file as the first app wrote it (`copier update -d helm_repo_url=...`
    records the new URL and changes nothing in it), and Flux installs from the file's URL."""
    name, url = answers.get("helm_repo_name"), answers.get("helm_repo_url")
    if not isinstance(name, str) or not isinstance(url, str) or answers.get("chart_source") == "ocirepository":
        return []
    bootstrap_dir = str(answers.get("bootstrap_dir") or repo.bootstrap_dir)
    for obj in _objects_under(repo, layout.helm_repositories_dir(bootstrap_dir), "HelmRepository", SOURCE_GROUP):
        served = _object_spec(obj).get("url")
        if _object_name(obj) == name and isinstance(served, str) and not same_url(served, url):
            return [Problem(path, answers.line_of("helm_repo_url"), "convention.answers", WARNING,
                            f"helm_repo_url is {url}, but HelmRepository {name} serves {served}: Flux installs the "
                            f"chart from {served}, and an update keeps that file as it is. Change the URL in the "
                            "HelmRepository (for every app using it) or the answer back")]
    return []


def _folder_answers(path: str, answers: LineMap) -> Problem | None:
    """The answers that place files (bootstrap_dir, apps_dir), as the template's questions
    check them: one edited by hand to lead outside the repository is refused by
    `copier update`, and would be by every command that follows it."""
    bootstrap = answers.get("bootstrap_dir")
    checks = {"bootstrap_dir": bootstrap_dir_error(bootstrap) if bootstrap is not None else "",
              "apps_dir": apps_dir_error(answers.get("apps_dir"), bootstrap or "") if "apps_dir" in answers else ""}
    for key, error in checks.items():
        if error:
            return Problem(path, answers.line_of(key), "convention.answers", ERROR,
                           f"{error} copier update -a {path} refuses it; fix the answer")
    return None


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
                    f"app {app} has an answers file, but not {' nor '.join(missing)}. An app removed by hand: remove "
                    f"{path} too (no update writes the files again: copier takes their removal for your change, and "
                    "would go on updating the answers alone); else take the files back from git history")]


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
