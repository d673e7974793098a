"""The convention's layout: every file and folder name the cookbook's design gives.

This module is the one place these names are spelled. copier.yml's answers-file name, the
migrations, adopt, update-all and the tests all ask it; the template's own file tree
(template/cluster, template/app) spells the same names as Jinja paths, and
tests/test_layout.py renders the template and checks that the two agree.

    <bootstrap>/namespaces/namespace-<namespace>.yaml
    <bootstrap>/helmrepositories/helmrepository-<helm repository>.yaml   (shared)
    <bootstrap>/kustomizations/kustomization-<app>.yaml
    <bootstrap>/flux-system/                      (flux bootstrap writes Flux's own files)
    <apps>/<app>/helmrelease-<app>.yaml           (<apps>/: the answer apps_dir, "" = the root)
    <apps>/<app>/configmap-<app>-helm-chart-value-overrides.yaml
    <apps>/<app>/ocirepository-<app>.yaml         (oci:// charts)
    <apps>/<app>/sealedsecret-<secret>.yaml       (optional, any number)
    .copier-answers.yml                           (the cluster's answers)
    .copier-answers.app-<app>.yml                 (one per app)
    .sourceignore                                 (what Flux leaves out of what it syncs)
    README.md                                     (written on copy; the user's from then on)

Namespaces Flux or Kubernetes own get no namespace file (`owns_namespace`).
"""

from __future__ import annotations

import re
from pathlib import Path

from . import flux_names

README = "README.md"
CLUSTER_ANSWERS = ".copier-answers.yml"
APP_ANSWERS_PREFIX = ".copier-answers.app-"
APP_ANSWERS_SUFFIX = ".yml"
APP_ANSWERS_GLOB = f"{APP_ANSWERS_PREFIX}*{APP_ANSWERS_SUFFIX}"
ANSWERS_PREFIX = ".copier-answers"  # every answers file, the cluster's and the apps'
ANY_ANSWERS_GLOB = f"{ANSWERS_PREFIX}*.yml"
_APP_ANSWERS = re.compile(rf"^{re.escape(APP_ANSWERS_PREFIX)}(.+){re.escape(APP_ANSWERS_SUFFIX)}$")

# The bootstrap folder's sub-folders, and the one `flux bootstrap --path` writes into.
NAMESPACES = "namespaces"
HELM_REPOSITORIES = "helmrepositories"
KUSTOMIZATIONS = "kustomizations"
FLUX_SYSTEM = flux_names.FLUX_SYSTEM
BOOTSTRAP_SUBDIRS = (FLUX_SYSTEM, HELM_REPOSITORIES, KUSTOMIZATIONS, NAMESPACES)

# Where a cookbook repository keeps its bootstrap folder (the one holding kustomizations/
# and helmrepositories/), in the order they are looked for: the Geek Cookbook's pages
# (and release 1.0.0 of the template) put it in flux-system/, later releases in bootstrap/.
DEFAULT_BOOTSTRAP_DIR = "bootstrap"
BOOTSTRAP_DIRS = (FLUX_SYSTEM, DEFAULT_BOOTSTRAP_DIR)

# The values ConfigMap's key holding the chart's values.yaml: helm-controller's default
# valuesKey, the key a HelmRelease's valuesFrom reads when it names none.
VALUES_KEY = "values.yaml"

# source-controller's ignore file: what it leaves out of the artifact Flux applies.
SOURCEIGNORE = ".sourceignore"

# Where a repository keeps the Sealed Secrets controller's public certificate, unless its
# answers name another place (sealed_secrets_cert, recorded since 3.1.0).
SEALED_SECRETS_CERT = "sealed-secrets-cert.pem"

# Namespaces the repository must never declare: Flux's own (flux bootstrap's
# gotk-components.yaml declares it, and a second declaration breaks the bootstrap folder's
# build), and Kubernetes' own (a Namespace object in git is one Flux prunes when the file
# goes; the cluster made these and needs them).
FLUX_NAMESPACE = flux_names.FLUX_SYSTEM
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "default")


def app_answers_file(app: str) -> str:
    return f"{APP_ANSWERS_PREFIX}{app}{APP_ANSWERS_SUFFIX}"


def answers_file_of(kind: str, app: str) -> str:
    """The answers file a copy of `kind` ("cluster" or "app") writes: copier.yml's
    `_answers_file`, which copier renders once for every path of the template."""
    return app_answers_file(app) if kind == "app" else CLUSTER_ANSWERS


def app_of_answers_file(name: str) -> str | None:
    """The app an answers file name belongs to; None for the cluster's or another file."""
    found = _APP_ANSWERS.match(Path(name).name)
    return found.group(1) if found else None


def answers_files(repo: Path) -> list[str]:
    """The repository's answers files: the cluster's first, then the apps' by name."""
    apps = sorted(path.name for path in Path(repo).glob(APP_ANSWERS_GLOB))
    return ([CLUSTER_ANSWERS] if (Path(repo) / CLUSTER_ANSWERS).is_file() else []) + apps


def apps(repo: Path) -> set[str]:
    """Names of the apps a repository holds (each has its own answers file)."""
    return {app for path in Path(repo).glob(APP_ANSWERS_GLOB) if (app := app_of_answers_file(path.name))}


def namespace_file(bootstrap_dir: str, namespace: str) -> str:
    return f"{bootstrap_dir}/{NAMESPACES}/namespace-{namespace}.yaml"


def helm_repositories_dir(bootstrap_dir: str) -> str:
    return f"{bootstrap_dir}/{HELM_REPOSITORIES}"


def helm_repository_file(bootstrap_dir: str, name: str) -> str:
    return f"{helm_repositories_dir(bootstrap_dir)}/helmrepository-{name}.yaml"


def kustomization_file(bootstrap_dir: str, app: str) -> str:
    return f"{bootstrap_dir}/{KUSTOMIZATIONS}/kustomization-{app}.yaml"


def flux_system_dir(bootstrap_dir: str) -> str:
    return f"{bootstrap_dir}/{FLUX_SYSTEM}"


def owns_namespace(namespace: str) -> bool:
    """May the repository declare this namespace at all (see FLUX_NAMESPACE)?"""
    return namespace != FLUX_NAMESPACE and namespace not in SYSTEM_NAMESPACES


def app_dir(app: str, apps_dir: str = "") -> str:
    """The folder an app's Kustomization applies: `<apps_dir>/<app>`, or `<app>` at the root."""
    parent = str(apps_dir or "").strip("/")
    return f"{parent}/{app}" if parent else app


def helm_release_file(app: str, apps_dir: str = "") -> str:
    return f"{app_dir(app, apps_dir)}/helmrelease-{app}.yaml"


def values_configmap_name(app: str) -> str:
    return f"{app}-helm-chart-value-overrides"


def values_configmap_file(app: str, apps_dir: str = "") -> str:
    return f"{app_dir(app, apps_dir)}/configmap-{values_configmap_name(app)}.yaml"


def oci_repository_file(app: str, apps_dir: str = "") -> str:
    return f"{app_dir(app, apps_dir)}/ocirepository-{app}.yaml"


def sealed_secret_file(app: str, secret: str, apps_dir: str = "") -> str:
    return f"{app_dir(app, apps_dir)}/{sealed_secret_file_name(secret)}"


def sealed_secret_file_name(secret: str) -> str:
    """The file of SealedSecret `secret` in its app's folder (which the app's Kustomization
    says, and seal reads from there)."""
    return f"sealedsecret-{secret}.yaml"
