"""The convention's layout: every file and folder name the cookbook's design gives.

This module is the one place these names are spelled. copier.yml's answers-file name, the
migrations, adopt, update-all and the tests all ask it; the template's own file tree
(template/cluster, template/app) spells the same names as Jinja paths, and
tests/unit/test_layout.py renders the template and checks that the two agree.

    <bootstrap>/namespaces/namespace-<namespace>.yaml
    <bootstrap>/helmrepositories/helmrepository-<helm repository>.yaml   (shared)
    <bootstrap>/kustomizations/kustomization-<app>.yaml
    <bootstrap>/flux-system/                      (flux bootstrap writes Flux's own files)
    <app>/helmrelease-<app>.yaml
    <app>/configmap-<app>-helm-chart-value-overrides.yaml
    <app>/ocirepository-<app>.yaml                (oci:// charts)
    <app>/sealedsecret-<secret>.yaml              (optional, any number)
    .copier-answers.yml                           (the cluster's answers)
    .copier-answers.app-<app>.yml                 (one per app)
"""

from __future__ import annotations

import re
from pathlib import Path

CLUSTER_ANSWERS = ".copier-answers.yml"
APP_ANSWERS_PREFIX = ".copier-answers.app-"
APP_ANSWERS_SUFFIX = ".yml"
APP_ANSWERS_GLOB = f"{APP_ANSWERS_PREFIX}*{APP_ANSWERS_SUFFIX}"
ANY_ANSWERS_GLOB = ".copier-answers*.yml"
_APP_ANSWERS = re.compile(rf"^{re.escape(APP_ANSWERS_PREFIX)}(.+){re.escape(APP_ANSWERS_SUFFIX)}$")

# The bootstrap folder's sub-folders, and the one `flux bootstrap --path` writes into.
NAMESPACES = "namespaces"
HELM_REPOSITORIES = "helmrepositories"
KUSTOMIZATIONS = "kustomizations"
FLUX_SYSTEM = "flux-system"
BOOTSTRAP_SUBDIRS = (FLUX_SYSTEM, HELM_REPOSITORIES, KUSTOMIZATIONS, NAMESPACES)

# The values ConfigMap's key holding the chart's values.yaml.
VALUES_KEY = "values.yaml"


def app_answers_file(app: str) -> str:
    return f"{APP_ANSWERS_PREFIX}{app}{APP_ANSWERS_SUFFIX}"


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


def helm_repository_file(bootstrap_dir: str, name: str) -> str:
    return f"{bootstrap_dir}/{HELM_REPOSITORIES}/helmrepository-{name}.yaml"


def kustomization_file(bootstrap_dir: str, app: str) -> str:
    return f"{bootstrap_dir}/{KUSTOMIZATIONS}/kustomization-{app}.yaml"


def flux_system_dir(bootstrap_dir: str) -> str:
    return f"{bootstrap_dir}/{FLUX_SYSTEM}"


def app_dir(app: str) -> str:
    """The folder an app's Kustomization applies."""
    return app


def helm_release_file(app: str) -> str:
    return f"{app_dir(app)}/helmrelease-{app}.yaml"


def values_configmap_name(app: str) -> str:
    return f"{app}-helm-chart-value-overrides"


def values_configmap_file(app: str) -> str:
    return f"{app_dir(app)}/configmap-{values_configmap_name(app)}.yaml"


def oci_repository_file(app: str) -> str:
    return f"{app_dir(app)}/ocirepository-{app}.yaml"


def sealed_secret_file(app: str, secret: str) -> str:
    return f"{app_dir(app)}/sealedsecret-{secret}.yaml"
