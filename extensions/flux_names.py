"""Flux's own names, spelled once: its API groups and kinds, the versions each Flux release
serves, what `flux bootstrap` writes, and the kustomize files Flux builds from.

The template (conventions.py), the migrations (which can import nothing but extensions/)
and the command (its repository model and check) all ask this table, so a Flux release
that renames or retires something is one edit here.
"""

from __future__ import annotations

from dataclasses import dataclass

# The toolkit's API groups: every Flux kind is in one of them.
GROUP_SUFFIX = ".toolkit.fluxcd.io"
SOURCE_GROUP = "source" + GROUP_SUFFIX
KUSTOMIZE_GROUP = "kustomize" + GROUP_SUFFIX
HELM_GROUP = "helm" + GROUP_SUFFIX
IMAGE_GROUP = "image" + GROUP_SUFFIX
NOTIFICATION_GROUP = "notification" + GROUP_SUFFIX

# What `flux bootstrap` writes: the namespace Flux runs in, which also names the
# repository's GitRepository, its sync Kustomization and the folder of Flux's own files
# (inside the bootstrap folder); those files are the components and the sync.
FLUX_SYSTEM = "flux-system"
COMPONENTS_FILE = "gotk-components.yaml"
SYNC_FILE = "gotk-sync.yaml"
FLUX_OWN_FILES = (COMPONENTS_FILE, SYNC_FILE)

# kustomize's own configuration, which Flux builds a folder from: build input, never
# applied, not an object. The first name is the one Flux generates when a folder has none.
KUSTOMIZE_CONFIG_GROUP = "kustomize.config.k8s.io"
KUSTOMIZE_CONFIG_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# The fields of kustomize's Kustomization (sigs.k8s.io/kustomize/api/types). Flux's generator
# reads a folder's kustomization file into that type and writes it back (fluxcd/pkg
# kustomize_generator.go), so any other top-level field is dropped before the build, where
# a plain `kustomize build` refuses the file.
KUSTOMIZE_CONFIG_FIELDS = frozenset({
    "apiVersion", "kind", "metadata", "openapi", "namePrefix", "nameSuffix", "namespace",
    "commonLabels", "labels", "commonAnnotations", "patchesStrategicMerge", "patchesJson6902",
    "patches", "images", "imageTags", "replacements", "replicas", "vars", "sortOptions",
    "resources", "components", "crds", "bases", "configMapGenerator", "secretGenerator",
    "helmGlobals", "helmCharts", "helmChartInflationGenerator", "generatorOptions",
    "configurations", "generators", "transformers", "validators", "buildMetadata",
})


def kustomize_config_field(key: object) -> str | None:
    """The field of kustomize's Kustomization that `key` names, or None. Both kustomize and
    Flux's generator decode the file as JSON, whose field names match whatever their case:
    `Resources:` is `resources`."""
    if not isinstance(key, str):
        return None
    return key if key in KUSTOMIZE_CONFIG_FIELDS else _FIELDS_BY_LOWER_CASE.get(key.lower())


_FIELDS_BY_LOWER_CASE = {field.lower(): field for field in KUSTOMIZE_CONFIG_FIELDS}



def api_version(group: str, version: str) -> str:
    return f"{group}/{version}"


# --- the versions each Flux release serves ---------------------------------------------

BETAS = frozenset({"v1beta1", "v1beta2"})


@dataclass(frozen=True)
class Served:
    current: str  # the one version Flux 2.9 serves
    legacy: frozenset[str]  # the versions earlier releases served, removed since (2.7: v1beta1/v2beta1, 2.8: v1beta2/v2beta2)


# Flux 2.9 (schema diff of the Flux 2.6 and 2.9 CRDs), for every kind the migrations move
# to its current version.
FLUX_2_9: dict[tuple[str, str], Served] = {
    (KUSTOMIZE_GROUP, "Kustomization"): Served("v1", BETAS),
    (HELM_GROUP, "HelmRelease"): Served("v2", frozenset({"v2beta1", "v2beta2"})),
    (SOURCE_GROUP, "GitRepository"): Served("v1", BETAS),
    (SOURCE_GROUP, "HelmChart"): Served("v1", BETAS),
    (SOURCE_GROUP, "HelmRepository"): Served("v1", BETAS),
    (SOURCE_GROUP, "OCIRepository"): Served("v1", frozenset({"v1beta2"})),
    # No CRD of it is shipped (UNSHIPPED_KINDS); source-controller's v1 Bucket type.
    (SOURCE_GROUP, "Bucket"): Served("v1", BETAS),
    # Image automation: v1 since Flux 2.7 (image-reflector/automation-controller v1.0).
    (IMAGE_GROUP, "ImageRepository"): Served("v1", BETAS),
    (IMAGE_GROUP, "ImagePolicy"): Served("v1", BETAS),
    (IMAGE_GROUP, "ImageUpdateAutomation"): Served("v1", BETAS),
    # Notifications: Flux 2.9 serves Alert and Provider as v1beta3 only (no v1 yet), Receiver as v1.
    (NOTIFICATION_GROUP, "Alert"): Served("v1beta3", BETAS),
    (NOTIFICATION_GROUP, "Provider"): Served("v1beta3", BETAS),
    (NOTIFICATION_GROUP, "Receiver"): Served("v1", BETAS),
}

# The apiVersions each Flux release stopped serving (the controllers' changelogs: 2.7 the
# v1beta1/v2beta1 of source, kustomize and helm, 2.8 their v1beta2/v2beta2, 2.9 image
# automation's and notifications' v1beta2). Those two groups' v1beta1 is dated nowhere
# there: taken as served until 2.9, which serves neither.
REMOVED_IN: dict[tuple[int, int], frozenset[str]] = {
    (2, 7): frozenset({api_version(SOURCE_GROUP, "v1beta1"), api_version(KUSTOMIZE_GROUP, "v1beta1"),
                       api_version(HELM_GROUP, "v2beta1")}),
    (2, 8): frozenset({api_version(SOURCE_GROUP, "v1beta2"), api_version(KUSTOMIZE_GROUP, "v1beta2"),
                       api_version(HELM_GROUP, "v2beta2")}),
    (2, 9): frozenset({api_version(group, version) for group in (IMAGE_GROUP, NOTIFICATION_GROUP)
                       for version in ("v1beta1", "v1beta2")}),
}


def removed_by(release: tuple[int, int]) -> frozenset[str]:
    """The apiVersions (group/version) Flux `release` no longer serves."""
    return frozenset().union(*(versions for removed, versions in REMOVED_IN.items() if removed <= release))


# Kinds Flux 2.9 serves whose CRDs flux_cookbook/crds/ does not hold, with the version it
# serves: an object of one gets the metadata check only, as a kind of an unknown group does.
UNSHIPPED_KINDS: dict[tuple[str, str], str] = {
    (SOURCE_GROUP, "Bucket"): "v1",
    (SOURCE_GROUP, "ExternalArtifact"): "v1",  # since Flux 2.7
}

# Flux 2.7's source-watcher: an ArtifactGenerator makes, in its own namespace, one
# ExternalArtifact per entry of its spec.artifacts, named by the entry's `name`.
ARTIFACT_GENERATOR_GROUP = "source.extensions.fluxcd.io"
ARTIFACT_GENERATOR = "ArtifactGenerator"

# The versions the Geek Cookbook's Flux pages wrote (Flux 0.x): sources and Kustomizations
# v1beta1, HelmReleases v2beta1. v1beta1 HelmRepositories have no `type`: OCI Helm
# repositories arrived with v1beta2.
FLUX_0_SOURCE = "v1beta1"
FLUX_0_OCI_HELM_REPOSITORY = "v1beta2"
FLUX_0_KUSTOMIZE = "v1beta1"
FLUX_0_HELM = "v2beta1"


def current_api_version(group: str, kind: str) -> str:
    """The apiVersion Flux 2.9 serves for a kind of the table."""
    return api_version(group, FLUX_2_9[group, kind].current)
