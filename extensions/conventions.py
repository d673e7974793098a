"""What each release of the convention writes: Flux API versions (flux_names' table) and layout.

A repository is generated in exactly one convention; the migrations in
`migrations/` move a repository from one to the next. Keeping every convention here,
not only the newest, lets the adopt command and the migrations name what they expect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import flux_names, layout
from .flux_names import HELM_GROUP, KUSTOMIZE_GROUP, SOURCE_GROUP, api_version, current_api_version


@dataclass(frozen=True)
class Convention:
    name: str
    source_api: str  # GitRepository, HelmRepository
    oci_helm_repository_api: str  # HelmRepository of `type: oci` (oci:// URLs)
    kustomize_api: str  # Kustomization
    helm_api: str  # HelmRelease
    bootstrap_dir: str  # default folder holding namespaces/, helmrepositories/, kustomizations/
    kustomization_validation: bool  # v1beta1 Kustomizations carried `validation: server`
    values_watch_label: bool  # Flux 2.7+: label the values ConfigMap so edits reconcile at once


# The Geek Cookbook's Flux pages as first published (Flux 0.x APIs).
COOKBOOK = Convention(
    name="cookbook",
    source_api=api_version(SOURCE_GROUP, flux_names.FLUX_0_SOURCE),
    # v1beta1 has no `type`; OCI Helm repositories arrived with v1beta2.
    oci_helm_repository_api=api_version(SOURCE_GROUP, flux_names.FLUX_0_OCI_HELM_REPOSITORY),
    kustomize_api=api_version(KUSTOMIZE_GROUP, flux_names.FLUX_0_KUSTOMIZE),
    helm_api=api_version(HELM_GROUP, flux_names.FLUX_0_HELM),
    bootstrap_dir=flux_names.FLUX_SYSTEM,
    kustomization_validation=True,
    values_watch_label=False,
)


# Flux 2.9: every beta API removed (2.7 removed v1beta1/v2beta1, 2.8 v1beta2/v2beta2).
FLUX_2_9 = Convention(
    name="flux-2.9",
    source_api=current_api_version(SOURCE_GROUP, "GitRepository"),
    oci_helm_repository_api=current_api_version(SOURCE_GROUP, "HelmRepository"),
    kustomize_api=current_api_version(KUSTOMIZE_GROUP, "Kustomization"),
    helm_api=current_api_version(HELM_GROUP, "HelmRelease"),
    bootstrap_dir=layout.DEFAULT_BOOTSTRAP_DIR,
    kustomization_validation=False,
    values_watch_label=True,
)


# The first template release writing each convention: 2.0.0 moved repositories to Flux 2.9's.
FIRST_RELEASES = (((2, 0, 0), FLUX_2_9), ((1, 0, 0), COOKBOOK))


def of_release(commit: str) -> Convention | None:
    """The convention the template release an answers file records (`_commit`: v1.0.0,
    2.1.1, v2.0.0-3-gabc1234) writes; None when it names no release (a bare commit)."""
    found = re.match(r"v?(\d+)\.(\d+)\.(\d+)", commit or "")
    if not found:
        return None
    version = tuple(int(part) for part in found.groups())
    return next((convention for first, convention in FIRST_RELEASES if version >= first), None)


def helm_repository_api(convention: Convention, url: str) -> str:
    """apiVersion of the HelmRepository for `url` in `convention`."""
    return convention.oci_helm_repository_api if is_oci(url) else convention.source_api


def is_oci(url: str) -> bool:
    return str(url).startswith("oci://")


def uses_oci_repository(url: str, chart_source: str) -> bool:
    """Is the chart an OCIRepository with chartRef (Flux's way for oci:// charts)?"""
    return is_oci(url) and chart_source == "ocirepository"


def oci_chart_url(repo_url: str, chart: str) -> str:
    """The OCI artifact of `chart` in the registry path `repo_url` (oci://host/path/chart)."""
    return f"{str(repo_url).rstrip('/')}/{chart}"


# Release 3.0.0: Flux's "recommended settings" for HelmReleases (helm-controller docs,
# HelmRelease "Recommended settings"), each a cluster answer every app snapshots. The
# field names and values are the HelmRelease v2 CRD's; its CEL rules allow
# `strategy.retryInterval` only beside `name: RetryOnFailure`.
@dataclass(frozen=True)
class HelmSettings:
    strategy: str  # spec.install.strategy.name and spec.upgrade.strategy.name
    retry_interval: str  # their retryInterval (RetryOnFailure only)
    crds: str  # spec.install.crds and spec.upgrade.crds
    drift_detection: str  # spec.driftDetection.mode


RECOMMENDED_HELM = HelmSettings(strategy="RetryOnFailure", retry_interval="5m", crds="CreateReplace", drift_detection="enabled")
HELM_STRATEGIES = ("RetryOnFailure", "RemediateOnFailure")
CRD_POLICIES = ("CreateReplace", "Create", "Skip")
DRIFT_MODES = ("enabled", "warn", "disabled")
# The answer that writes none of a setting: the HelmRelease's own settings, if any, stand.
# The 3.0.0 migration records it for apps whose HelmRelease already has its own.
OWN_SETTINGS = ""


def retries_on_failure(strategy: str) -> bool:
    """Does `strategy` take a retryInterval? (the CRD's CEL rule on install/upgrade.strategy)"""
    return strategy == "RetryOnFailure"


CONVENTIONS = {convention.name: convention for convention in (COOKBOOK, FLUX_2_9)}

# The convention this release of the template writes.
CURRENT = FLUX_2_9
