"""`flux-cookbook check` on a catalogue of broken repositories, one mistake each.

One good repository is generated once with the template (cluster + three apps: podinfo
with its whole values.yaml in a ConfigMap, web with inline values depending on podinfo,
oci from an OCI registry through an OCIRepository and chartRef), and a chart cache holding
podinfo's chart with a values.schema.json. Each case copies it, makes one mistake (the
catalogue below is data: files to edit, write or delete) and expects exactly one problem:
that rule, file and line, and nothing else. Every case runs every rule, builds included.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from flux_cookbook.check.run import ERROR, WARNING, check_repository
from flux_cookbook.extensions import known_apps
from tests.support.build_repos import bootstrapped
from tests.support.flux_objects import flux_ks, gotk_sync, image_update_automation
from tests.support.helm_repo_server import CHARTS, PODINFO, pack_archive
from tests.support.project import copy, init_repo

PODINFO_REPO = "https://stefanprodan.github.io/podinfo"
# A values.schema.json for the cached podinfo chart (podinfo ships none): a few of its
# real keys, typed as the chart uses them.
PODINFO_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "replicaCount": {"type": "integer", "minimum": 1},
        "logLevel": {"enum": ["debug", "info", "warn", "error"]},
        "image": {
            "type": "object",
            "properties": {"repository": {"type": "string"}, "tag": {"type": "string"},
                           "pullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]}, "pullSecrets": {"type": "array"}},
            "additionalProperties": False,
        },
    },
}
# Part of podinfo's values.yaml, for the app with inline values.
WEB_VALUES = "replicaCount: 2\nlogLevel: info\nimage:\n  repository: ghcr.io/stefanprodan/podinfo\n  pullPolicy: IfNotPresent\n"
HEALTH_ON_RELEASE = "[{apiVersion: helm.toolkit.fluxcd.io/v2, kind: HelmRelease, name: %s, namespace: %s}]"

KUST = "bootstrap/kustomizations/kustomization-podinfo.yaml"
HR = "podinfo/helmrelease-podinfo.yaml"
CM = "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml"
WEB_HR = "web/helmrelease-web.yaml"
WEB_KUST = "bootstrap/kustomizations/kustomization-web.yaml"
OCI_HR = "oci/helmrelease-oci.yaml"


# --- the catalogue ---------------------------------------------------------------------


@dataclass(frozen=True)
class Replace:
    old: str
    new: str


@dataclass(frozen=True)
class MoveInto:
    """Put the objects of file `source` first in this file (which may be new); delete `source`."""

    source: str


@dataclass(frozen=True)
class Case:
    id: str
    # path -> Replace (of text occurring exactly once), MoveInto, the new file's text, or None (delete)
    edits: dict
    rule: str
    path: str
    at: str | int  # the line: its number, or a text on exactly one line of the edited file
    severity: str = ERROR
    message: str = ""  # text the problem's message holds (a CEL rule's own message)


def _object(text: str) -> str:
    return textwrap.dedent(text).lstrip()


SERVICE_ACCOUNT_GIT = _object("""
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: GitRepository
    metadata:
      name: extra
      namespace: podinfo
    spec:
      interval: 5m
      url: https://github.com/stefanprodan/podinfo
      serviceAccountName: reader
    """)
HELMCHART_VERIFY = _object("""
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: HelmChart
    metadata:
      name: podinfo
      namespace: flux-system
    spec:
      chart: ./charts/podinfo
      interval: 5m
      sourceRef:
        kind: GitRepository
        name: flux-system
      verify:
        provider: cosign
    """)
IMAGE_POLICY = _object("""
    apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImagePolicy
    metadata:
      name: podinfo
      namespace: podinfo
    spec:
      imageRepositoryRef:
        name: podinfo
      policy:
        semver:
          range: 6.x
    """)
IMAGE_REPOSITORY = _object("""
    apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImageRepository
    metadata:
      name: podinfo
      namespace: podinfo
    spec:
      image: ghcr.io/stefanprodan/podinfo
      interval: 5m
    """)
ALERT = _object("""
    apiVersion: notification.toolkit.fluxcd.io/v1beta3
    kind: Alert
    metadata:
      name: podinfo
      namespace: podinfo
    spec:
      providerRef:
        name: chat
      eventSources:
        - kind: HelmRelease
          name: podinfo
    """)
PROVIDER = _object("""
    apiVersion: notification.toolkit.fluxcd.io/v1beta3
    kind: Provider
    metadata:
      name: chat
      namespace: podinfo
    spec:
      type: slack
      channel: general
    """)
RECEIVER = _object("""
    apiVersion: notification.toolkit.fluxcd.io/v1
    kind: Receiver
    metadata:
      name: hook
      namespace: podinfo
    spec:
      type: generic-oidc
      resources:
        - kind: GitRepository
          name: flux-system
          namespace: flux-system
    """)
OIDC = """
  oidcProviders:
    - issuerURL: https://token.actions.githubusercontent.com
      validations:
        - expression: claims.repository == "me/cluster"
          message: not my repository"""
SEALED_SECRET = _object("""
    apiVersion: bitnami.com/v1alpha1
    kind: SealedSecret
    metadata:
      name: db
      namespace: podinfo
    spec:
      encryptedData:
        password: AgBy3i4OJSWK+PiTySYZZA==
    """)
PLAIN_SECRET = _object("""
    apiVersion: v1
    kind: Secret
    metadata:
      name: db
      namespace: podinfo
    stringData:
      password: hunter2
    """)
SOPS_SECRET = PLAIN_SECRET.replace("hunter2", "ENC[AES256_GCM,data:Tr7o=,iv:1=,tag:2=,type:str]") + _object("""
    sops:
      age:
        - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
          enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            YWdl
            -----END AGE ENCRYPTED FILE-----
      lastmodified: "2026-01-01T00:00:00Z"
      mac: ENC[AES256_GCM,data:x=,iv:y=,tag:z=,type:str]
      version: 3.9.0
    """)
# podinfo's folder built from a kustomization.yaml of its two files and a generator:
# a secretGenerator taking `source`, or a configMapGenerator's ConfigMap labelled `label`.
PODINFO_KUSTOMIZATION = _object("""
    apiVersion: kustomize.config.k8s.io/v1beta1
    kind: Kustomization
    resources:
      - helmrelease-podinfo.yaml
      - configmap-podinfo-helm-chart-value-overrides.yaml
    """)
SECRET_GENERATOR = PODINFO_KUSTOMIZATION + "secretGenerator:\n  - name: db\n    namespace: podinfo\n    {source}\n"
CONFIGMAP_GENERATOR = PODINFO_KUSTOMIZATION + (
    "configMapGenerator:\n  - name: settings\n    namespace: podinfo\n    literals: [answer=42]\n"
    "    options:\n      labels:\n        {label}\n")
# The app's values made by a configMapGenerator from values.yaml, with the entry's `options`.
VALUES_GENERATOR = ("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
                    "  - helmrelease-podinfo.yaml\nconfigMapGenerator:\n  - name: podinfo-helm-chart-value-overrides\n"
                    "    namespace: podinfo\n    files: [values.yaml]\n{options}")
# What a Kustomization applying SOPS-encrypted files needs: kustomize-controller decrypts nothing without it.
DECRYPTED = Replace("  prune: true", "  decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n  prune: true")
SOPS_ENV = ("password=ENC[AES256_GCM,data:Tr7o=,iv:1=,tag:2=,type:str]\nsops_version=3.9.0\n"
            "sops_mac=ENC[AES256_GCM,data:x=,iv:y=,tag:z=,type:str]\n")
# What `flux bootstrap --path=bootstrap` writes (gotk-components.yaml left out: no flux CLI here).
GOTK_SYNC = gotk_sync("./bootstrap")
FLUX_KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-sync.yaml\n"
CLUSTER_SETTINGS = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\ndata:\n  A: b\n"
HELM_REPOSITORY_CHART = ("      chart: podinfo\n      version: 6.x\n      sourceRef:\n        kind: HelmRepository\n"
                         "        name: podinfo\n        namespace: flux-system\n")
CHART = "apiVersion: v2\nname: podinfo\nversion: 6.14.1\n"  # a chart folder of the repository's own
GIT_CHART = "      chart: ./charts/podinfo\n      sourceRef:\n        kind: GitRepository\n        name: flux-system\n        namespace: flux-system\n"
SUBSTITUTE_FROM = "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n{optional}  prune: true"
# The sync Kustomization's spec.patches, one JSON 6902 operation on podinfo's Kustomization.
PATCHED_IN = ("  patches:\n    - target: {{group: kustomize.toolkit.fluxcd.io, kind: Kustomization, name: podinfo}}\n"
              "      patch: |\n        - {op}\n")
NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n"
TENANT = "  postBuild:\n    substitute:\n      TENANT: {}\n"
CONFIGMAP = _object("""
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: extra
      namespace: podinfo
    data:
      answer: "42"
    """)
GOTK_COMPONENTS = "# Flux Version: v2.9.0\n" + NAMESPACE.format("flux-system")
FLUX_SYSTEM_FILES = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-components.yaml\n- gotk-sync.yaml\n"
OBJECT_BUCKET_CLAIM = _object("""
    apiVersion: objectbucket.io/v1alpha1
    kind: ObjectBucketClaim
    metadata:
      name: bucket
      namespace: podinfo
    spec:
      generateBucketName: podinfo
      storageClassName: ceph-bucket
    """)
# A Kustomization Flux never applies: kept aside, paused, its path long gone.
PAUSED_KUSTOMIZATION = _object("""
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: old
      namespace: flux-system
    spec:
      interval: 15m
      path: ./gone
      prune: true
      suspend: true
      sourceRef:
        kind: GitRepository
        name: flux-system
    """)
OCI_KUSTOMIZATION = _object("""
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: infra
      namespace: flux-system
    spec:
      interval: 15m
      path: ./
      prune: true
      sourceRef:
        kind: OCIRepository
        name: infra
    """)
OCI_REPOSITORY = _object("""
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: OCIRepository
    metadata:
      name: infra
      namespace: flux-system
    spec:
      interval: 15m
      url: oci://ghcr.io/example/infra
      ref:
        tag: latest
    """)
# Flux 2.7's source-watcher splits this repository into artifacts, each an ExternalArtifact
# (flux2-kustomize-helm-example's clusters/<name>/artifacts.yaml).
ARTIFACT_GENERATOR = _object("""
    apiVersion: source.extensions.fluxcd.io/v1beta1
    kind: ArtifactGenerator
    metadata:
      name: flux-system
      namespace: flux-system
    spec:
      sources:
        - alias: monorepo
          kind: GitRepository
          name: flux-system
      artifacts:
        - name: infra
          originRevision: "@monorepo"
          copy:
            - from: "@monorepo/infra/**"
              to: "@artifact/"
    """)
SLOW_COMPONENT = _object("""
    apiVersion: kustomize.config.k8s.io/v1alpha1
    kind: Component
    patches:
      - patch: |
          - op: replace
            path: /spec/interval
            value: 15 minutes
        target:
          kind: HelmRelease
    """)
REPLICAS_PATCH = ("  patches:\n    - patch: |\n        - op: add\n          path: /spec/replicas\n          value: 2\n"
                  "      target:\n        kind: HelmRelease\n  dependsOn:\n")
KUBE_CONFIG_RULE = "exactly one of spec.kubeConfig.configMapRef or spec.kubeConfig.secretRef must be specified"
KUBE_CONFIG = "\n  kubeConfig:{}\n"
KUBE_CONFIG_BOTH = "\n  kubeConfig:\n    configMapRef:\n      name: remote\n    secretRef:\n      name: remote\n"

CASES = [
    # yaml.*
    Case("yaml-syntax", {HR: Replace("  interval: 15m", "  interval: [15m")}, "yaml.parse", HR, "timeout: 5m"),
    Case("yaml-duplicate-key", {HR: Replace("  timeout: 5m", "  timeout: 5m\n  interval: 20m")}, "yaml.parse", HR,
         "interval: 20m"),
    # Style is a warning: Flux applies the file all the same.
    Case("yaml-lint-trailing-space", {KUST: Replace("  interval: 15m", "  interval: 15m ")}, "yaml.lint", KUST,
         "interval: 15m", WARNING, message="trailing spaces"),
    Case("yaml-lint-error-where-the-repository-says-so",
         {KUST: Replace("  interval: 15m", "  interval: 15m "),
          ".yamllint": Replace("  trailing-spaces:\n    level: warning", "  trailing-spaces:\n    level: error")},
         "yaml.lint", KUST, "interval: 15m", message="trailing spaces"),
    Case("yaml-lint-warning-in-answers-file", {".copier-answers.yml": Replace("branch: main", "branch: main #to watch")},
         "yaml.lint", ".copier-answers.yml", "branch: main", WARNING, message="missing starting space in comment"),
    # schema: fields
    Case("unknown-field", {HR: Replace("  releaseName: podinfo", "  releaseName: podinfo\n  replicas: 2")}, "schema",
         HR, "^spec:", message="'replicas' was unexpected"),
    Case("removed-field-kustomization-validation", {KUST: Replace("  prune: true", "  prune: true\n  validation: server")},
         "schema", KUST, "^spec:", message="'validation' was unexpected"),
    Case("chart-version-flux-cannot-read", {HR: Replace("      version: 6.x", "      version: 6.x.y")},
         "schema.chart-version", HR, "version: 6.x.y", message="improper constraint '6.x.y'"),
    # A version postBuild reads on the cluster (substituteFrom): the HelmRelease is noted as not validated, no more.
    Case("chart-version-substituted", {HR: Replace("      version: 6.x", "      version: ${PODINFO_VERSION}"),
                                       KUST: Replace("  prune: true", SUBSTITUTE_FROM.format(optional="        optional: true\n"))},
         "schema.substituted", HR, 1, WARNING),
    # Values the Kustomization spells out are known here: the object is validated as the
    # cluster gets it, substituted (a value the schema refuses; a variable no value names,
    # made empty; no variable at all, so nothing substituted and the default left as written).
    Case("substituted-value-the-schema-refuses", {
        HR: Replace("  interval: 15m", "  interval: ${HR_INTERVAL}"),
        KUST: Replace("  prune: true", "  postBuild:\n    substitute:\n      HR_INTERVAL: 15 minutes\n  prune: true")},
         "schema", HR, "interval: ${HR_INTERVAL}", message="once the postBuild of Kustomization podinfo substitutes"),
    Case("substituted-variable-no-value-names", {
        HR: Replace("  interval: 15m", "  interval: ${HR_INTERVALL}"),
        KUST: Replace("  prune: true", "  postBuild:\n    substitute:\n      HR_INTERVAL: 15m\n  prune: true")},
         "schema", HR, "^spec:", message="'interval' is a required property"),
    Case("postbuild-without-a-variable-substitutes-nothing", {
        HR: Replace("  interval: 15m", "  interval: ${HR_INTERVAL:=15m}"),
        KUST: Replace("  prune: true", "  postBuild:\n    substitute: {}\n  prune: true")},
         "schema", HR, "interval: ${HR_INTERVAL:=15m}", message="does not match"),
    # ... and without a postBuild, source-controller reads the ${...} itself.
    Case("chart-version-variable-nothing-fills-in", {HR: Replace("      version: 6.x", "      version: ${PODINFO_VERSION}")},
         "schema.chart-version", HR, "version: ${PODINFO_VERSION}", message="improper constraint"),
    # Where Helm installs a release and keeps its record: namespaces that must exist.
    Case("helm-release-target-namespace-nothing-declares",
         {HR: Replace("  releaseName: podinfo", "  releaseName: podinfo\n  targetNamespace: web3")},
         "ref.namespace", HR, "targetNamespace: web3", message="spec.targetNamespace web3 names a namespace nothing"),
    Case("helm-release-storage-namespace-nothing-declares",
         {HR: Replace("  releaseName: podinfo", "  releaseName: podinfo\n  storageNamespace: web4")},
         "ref.namespace", HR, "storageNamespace: web4", message="spec.storageNamespace web4"),
    Case("removed-field-valuesfile", {HR: Replace("      version: 6.x", "      version: 6.x\n      valuesFile: values.yaml")},
         "schema", HR, "    spec:", message="'valuesFile' was unexpected"),
    Case("bad-duration", {HR: Replace("  interval: 15m", "  interval: 15 minutes")}, "schema", HR, "interval: 15"),
    Case("removed-api-version", {HR: Replace("helm.toolkit.fluxcd.io/v2", "helm.toolkit.fluxcd.io/v2beta1")}, "schema",
         HR, "apiVersion"),
    Case("missing-required-url", {"bootstrap/helmrepositories/helmrepository-podinfo.yaml":
                                  Replace(f"  url: {PODINFO_REPO}\n", "")},
         "schema", "bootstrap/helmrepositories/helmrepository-podinfo.yaml", "spec:"),
    Case("core-kind-unknown-field", {"bootstrap/namespaces/namespace-podinfo.yaml": NAMESPACE.format("podinfo") + "labels: {}\n"},
         "schema", "bootstrap/namespaces/namespace-podinfo.yaml", 1, message="'labels' was unexpected"),
    # The same object in two app folders: both Kustomizations apply it, the second is reported.
    Case("applied-twice", {"podinfo/configmap-extra.yaml": CONFIGMAP, "web/configmap-extra.yaml": CONFIGMAP},
         "build.applied-twice", "web/configmap-extra.yaml", 1, message="flux-system/podinfo (path podinfo)"),
    # An object no file holds is reported at the generator that makes it.
    Case("generated-label-value-with-a-space", {"podinfo/kustomization.yaml": CONFIGMAP_GENERATOR.format(label="team: platform team")},
         "schema", "podinfo/kustomization.yaml", "- name: settings", message="value 'platform team' is not valid"),
    Case("label-value-with-a-space", {CM: Replace("    reconcile.fluxcd.io/watch: Enabled", "    reconcile.fluxcd.io/watch: Enabled\n    team: platform team")},
         "schema", CM, "team:", message="value 'platform team' is not valid"),
    # spec.commonMetadata goes on every object the Kustomization or HelmRelease applies.
    Case("common-metadata-label-key-with-a-space", {KUST: Replace("  prune: true", "  commonMetadata:\n    labels:\n      team name: web\n  prune: true")},
         "schema", KUST, "team name:", message="spec.commonMetadata.labels: label key 'team name' is not valid"),
    Case("helmrelease-common-metadata-label-value", {HR: Replace("  releaseName: podinfo", "  releaseName: podinfo\n  commonMetadata:\n    labels:\n      team: web team!")},
         "schema", HR, "team: web", message="value 'web team!' is not valid"),
    Case("annotation-key-prefix-upper-case", {HR: Replace("  namespace: podinfo\nspec:", "  namespace: podinfo\n  annotations:\n    Example.com/owner: me\nspec:")},
         "schema", HR, "Example.com/owner", message="must be a DNS-1123 subdomain"),
    Case("sealedsecret-unknown-field", {"podinfo/sealedsecret-db.yaml": SEALED_SECRET + "  encrypted: {}\n"},
         "schema", "podinfo/sealedsecret-db.yaml", "spec:", message="'encrypted' was unexpected"),
    # schema: every CEL rule of the Flux 2.9 CRDs
    Case("cel-helmrelease-chart-and-chartref", {HR: Replace("  interval: 15m", "  chartRef:\n    kind: OCIRepository\n    name: oci\n    namespace: oci\n  interval: 15m")},
         "schema", HR, "^spec:",
         message='either chart or chartRef must be set'),
    Case("cel-helmrelease-neither-chart-nor-chartref",
         {HR: Replace("  chart:\n    spec:\n      chart: podinfo\n      version: 6.x\n      sourceRef:\n        kind: HelmRepository\n"
                      "        name: podinfo\n        namespace: flux-system\n", "")},
         "schema", HR, "^spec:",
         message='either chart or chartRef must be set'),
    # The template writes install/upgrade.strategy (RetryOnFailure, retryInterval): the mistake
    # is the other strategy name beside the retryInterval.
    Case("cel-helmrelease-install-remediate-retry-interval",
         {HR: Replace("    strategy:\n      name: RetryOnFailure # a failed install",
                      "    strategy: # ours\n      name: RemediateOnFailure # a failed install")},
         "schema", HR, "strategy: # ours",
         message=".retryInterval cannot be set when .name is 'RemediateOnFailure'"),
    Case("cel-helmrelease-upgrade-retry-interval",
         {HR: Replace("    strategy:\n      name: RetryOnFailure # a failed upgrade",
                      "    strategy: # ours\n      name: RemediateOnFailure # a failed upgrade")},
         "schema", HR, "strategy: # ours",
         message=".retryInterval can only be set when .name is 'RetryOnFailure'"),
    Case("cel-helmrelease-kubeconfig-neither", {HR: Replace("  timeout: 5m\n", "  timeout: 5m" + KUBE_CONFIG.format(" {}"))},
         "schema", HR, "kubeConfig",
         message=KUBE_CONFIG_RULE),
    Case("cel-helmrelease-kubeconfig-both", {HR: Replace("  timeout: 5m\n", "  timeout: 5m" + KUBE_CONFIG_BOTH)},
         "schema", HR, "kubeConfig",
         message=KUBE_CONFIG_RULE),
    Case("cel-kustomization-kubeconfig-neither", {KUST: Replace("  prune: true", "  prune: true" + KUBE_CONFIG.format(" {}").rstrip())},
         "schema", KUST, "kubeConfig",
         message=KUBE_CONFIG_RULE),
    Case("cel-kustomization-kubeconfig-both", {KUST: Replace("  prune: true", "  prune: true" + KUBE_CONFIG_BOTH.rstrip())},
         "schema", KUST, "kubeConfig",
         message=KUBE_CONFIG_RULE),
    Case("cel-gitrepository-service-account", {"podinfo/gitrepository-extra.yaml": SERVICE_ACCOUNT_GIT},
         "schema", "podinfo/gitrepository-extra.yaml", "spec:",
         message="serviceAccountName can only be set when provider is 'azure' or 'aws'"),
    Case("cel-helmchart-verify", {"podinfo/helmchart-podinfo.yaml": HELMCHART_VERIFY, "charts/podinfo/Chart.yaml": CHART},
         "schema", "podinfo/helmchart-podinfo.yaml", "spec:",
         message="spec.verify is only supported when spec.sourceRef.kind is 'HelmRepository'"),
    Case("cel-imagepolicy-interval-without-always", {"podinfo/imagepolicy-podinfo.yaml": IMAGE_POLICY + "  interval: 5m\n",
                                                       "podinfo/imagerepository-podinfo.yaml": IMAGE_REPOSITORY},
         "schema", "podinfo/imagepolicy-podinfo.yaml", "spec:",
         message="spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'"),
    Case("cel-imagepolicy-always-without-interval",
         {"podinfo/imagepolicy-podinfo.yaml": IMAGE_POLICY + "  digestReflectionPolicy: Always\n",
          "podinfo/imagerepository-podinfo.yaml": IMAGE_REPOSITORY},
         "schema", "podinfo/imagepolicy-podinfo.yaml", "spec:",
         message="spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'"),
    Case("cel-provider-commit-status-expr", {"podinfo/provider-chat.yaml": PROVIDER + "  commitStatusExpr: \"'ok'\"\n"},
         "schema", "podinfo/provider-chat.yaml", "spec:",
         message="spec.commitStatusExpr is only supported for the 'github', 'gitlab', 'gitea', 'bitbucketserver', 'bitbucket', 'azuredevops' provider types"),
    Case("cel-receiver-oidc-without-providers", {"podinfo/receiver-hook.yaml": RECEIVER},
         "schema", "podinfo/receiver-hook.yaml", "spec:",
         message='generic-oidc receivers must define at least one oidcProvider'),
    Case("cel-receiver-providers-without-oidc",
         {"podinfo/receiver-hook.yaml": RECEIVER.replace("generic-oidc", "github") + "  secretRef:\n    name: token" + OIDC + "\n"},
         "schema", "podinfo/receiver-hook.yaml", "spec:",
         message='oidcProviders can only be set when type is generic-oidc'),
    Case("cel-receiver-secret-required", {"podinfo/receiver-hook.yaml": RECEIVER.replace("generic-oidc", "github")},
         "schema", "podinfo/receiver-hook.yaml", "spec:", message="secretRef is required when type is not generic-oidc"),
    Case("cel-receiver-oidc-with-secret",
         {"podinfo/receiver-hook.yaml": RECEIVER + "  secretRef:\n    name: token" + OIDC + "\n"},
         "schema", "podinfo/receiver-hook.yaml", "spec:",
         message='secretRef cannot be set when type is generic-oidc'),
    # build
    # (Every file of the folder listed, as it must be: a kustomization.yaml applies only what it lists.)
    Case("build-fails", {"podinfo/kustomization.yaml": "resources:\n  - helmrelease-podinfo.yaml\n"
                         "  - configmap-podinfo-helm-chart-value-overrides.yaml\n  - missing.yaml\n"},
         "build", "podinfo/kustomization.yaml", "missing.yaml"),  # told at the entry that does not build
    # In a folder of the bootstrap path (whose Kustomization flux bootstrap writes later): told at the entry too.
    Case("build-fails-below-the-bootstrap-folder", {"bootstrap/extra/kustomization.yaml": "resources:\n  - missing.yaml\n"},
         "build", "bootstrap/extra/kustomization.yaml", "missing.yaml"),
    # Flux fetches a remote resource (kustomize-controller's default); the check, offline, cannot: a warning.
    Case("build-remote-resource", {"podinfo/kustomization.yaml": "resources:\n  - helmrelease-podinfo.yaml\n"
                                   "  - configmap-podinfo-helm-chart-value-overrides.yaml\n"
                                   "  - https://github.com/stefanprodan/podinfo//kustomize?ref=6.5.0\n"
                                   "  - https://example.com/more.yaml\n"},
         "build.remote", KUST, 1, WARNING,
         message="?ref=6.5.0: not followed (a build here never fetches); podinfo/kustomization.yaml: resources names "
                 "the remote https://example.com/more.yaml: not followed (a build here never fetches). Flux fetches "
                 "remote resources"),
    # Flux's generator drops a field kustomize does not know (a plain kustomize build refuses the file).
    Case("kustomization-unknown-field", {"podinfo/kustomization.yaml": "resources:\n  - helmrelease-podinfo.yaml\n"
                                         "  - configmap-podinfo-helm-chart-value-overrides.yaml\nsomeUnknownField: true\n"},
         "build.unknown-field", "podinfo/kustomization.yaml", "someUnknownField", WARNING, message="Flux drops it"),
    # The API server refuses a Kustomization whose path is no string: nothing of it is applied, nor built.
    Case("kustomization-path-not-a-string", {WEB_KUST: Replace("  path: web", "  path: [web]")}, "schema", WEB_KUST,
         "path: [web]", message="is not of type 'string'"),
    Case("kustomization-path-a-number", {WEB_KUST: Replace("  path: web", "  path: 5")}, "schema", WEB_KUST,
         "path: 5", message="value 5 must be a string"),
    Case("build-path-not-found", {WEB_KUST: Replace("  path: web", "  path: webb")}, "build", WEB_KUST, "path: webb"),
    # ref.*
    Case("source-missing", {HR: Replace("        name: podinfo\n", "        name: podinfo-charts\n")},
         "ref.source", HR, "sourceRef"),
    Case("source-namespace-defaults-to-own", {HR: Replace("        namespace: flux-system\n", "")},
         "ref.source", HR, "sourceRef"),
    Case("kustomization-source-missing", {KUST: Replace("    name: flux-system", "    name: cluster")},
         "ref.source", KUST, "sourceRef"),
    # An ArtifactGenerator makes ExternalArtifacts of the names its spec.artifacts give, no other.
    Case("external-artifact-no-generator-makes",
         {"bootstrap/artifactgenerators/artifactgenerator-flux-system.yaml": ARTIFACT_GENERATOR,
          "bootstrap/kustomizations/kustomization-infra.yaml": OCI_KUSTOMIZATION.replace(
              "kind: OCIRepository\n    name: infra", "kind: ExternalArtifact\n    name: infrastructure")},
         "ref.source", "bootstrap/kustomizations/kustomization-infra.yaml", "sourceRef",
         message="names ExternalArtifact flux-system/infrastructure"),
    Case("chartref-missing", {OCI_HR: Replace("OCIRepository\n    name: oci", "OCIRepository\n    name: oci-chart")}, "ref.source", OCI_HR, "chartRef"),
    Case("values-configmap-missing", {HR: Replace("      name: podinfo-helm-chart-value-overrides", "      name: podinfo-values")},
         "ref.values", HR, "name: podinfo-values"),
    Case("values-key-missing", {HR: Replace("valuesKey: values.yaml", "valuesKey: value.yaml")},
         "ref.values", HR, "valuesKey"),
    Case("values-secret-missing", {HR: Replace("      valuesKey: values.yaml # the default, but best to be explicit\n",
                                               "      valuesKey: values.yaml\n    - kind: Secret\n      name: db\n")},
         "ref.values", HR, "name: db"),
    # kustomize-controller fails the build when a substituteFrom object is not there.
    Case("substitute-from-missing", {KUST: Replace("  prune: true", SUBSTITUTE_FROM.format(optional=""))},
         "ref.substitute-from", KUST, "name: cluster-settings"),
    # The API server refuses a ConfigMap of more than 1 MiB of data: a whole values.yaml can be.
    Case("configmap-over-1-mib", {CM: Replace("  values.yaml: |\n", "  values.yaml: |\n" + ("    # " + "x" * 70 + "\n") * 15000)},
         "schema.size", CM, "^apiVersion", message="more than the 1048576 (1 MiB) the API server takes"),
    # It reads it before it builds: one only this Kustomization applies never comes.
    Case("substitute-from-applied-only-by-itself", {KUST: Replace("  prune: true", SUBSTITUTE_FROM.format(optional="")),
                                                    "podinfo/configmap-cluster-settings.yaml": CLUSTER_SETTINGS},
         "ref.substitute-from", KUST, "name: cluster-settings", message="only this Kustomization applies it"),
    # A chart in this repository's own GitRepository: source-controller builds it from that path.
    Case("chart-path-missing", {HR: Replace(HELM_REPOSITORY_CHART, GIT_CHART)}, "ref.chart-path", HR, "chart: ./charts",
         message="is no chart of this repository"),
    # kustomize-controller impersonates it to apply (multi-tenancy); it may come from elsewhere.
    Case("service-account-missing", {KUST: Replace("  prune: true", "  serviceAccountName: deployer\n  prune: true")},
         "ref.service-account", KUST, "serviceAccountName", WARNING),
    Case("depends-on-missing", {WEB_KUST: Replace("    - name: podinfo", "    - name: postgres")},
         "ref.depends-on", WEB_KUST, "name: postgres"),
    Case("depends-on-cycle", {KUST: Replace("  healthChecks:", "  dependsOn:\n    - name: web\n  healthChecks:")},
         "ref.depends-on-cycle", KUST, "name: web"),
    # Two HelmReleases that make one Helm release (same name, same storage namespace).
    Case("helm-release-shared", {WEB_HR: Replace("  releaseName: web", "  releaseName: podinfo\n  storageNamespace: podinfo")},
         "build.helm-release-shared", WEB_HR, "^apiVersion", message="makes Helm release podinfo in namespace podinfo"),
    Case("helmrelease-depends-on-missing", {WEB_HR: Replace("  interval: 15m", "  dependsOn:\n    - name: db\n  interval: 15m")},
         "ref.depends-on", WEB_HR, "name: db"),
    Case("health-check-missing", {KUST: Replace("      kind: HelmRelease\n      name: podinfo", "      kind: HelmRelease\n      name: podinf")},
         "ref.health-check", KUST, "apiVersion: helm"),
    # An object in a namespace nothing declares: a typo here, or an app without its namespace file.
    Case("namespace-undeclared", {"podinfo/configmap-extra.yaml": CONFIGMAP.replace("namespace: podinfo", "namespace: podinf")},
         "ref.namespace", "podinfo/configmap-extra.yaml", "namespace: podinf", message="bootstrap/namespaces/namespace-podinf.yaml"),
    # Declared only by web's folder, which oci's Kustomization does not wait for.
    Case("namespace-declared-by-an-unrelated-kustomization",
         {"web/namespace-cache.yaml": NAMESPACE.format("cache"),
          "oci/configmap-extra.yaml": CONFIGMAP.replace("namespace: podinfo", "namespace: cache")},
         "ref.namespace", "oci/configmap-extra.yaml", "namespace: cache", WARNING,
         message="Add dependsOn: [{name: web}] to Kustomization oci"),
    Case("health-check-unverifiable", {KUST: Replace("    - apiVersion: helm.toolkit.fluxcd.io/v2\n      kind: HelmRelease",
                                                     "    - apiVersion: apps/v1\n      kind: Deployment")},
         "ref.health-check", KUST, "apiVersion: apps/v1", WARNING),
    # A HelmRelease health check at the API of the Geek Cookbook's day: no longer served.
    Case("health-check-removed-version", {KUST: Replace("    - apiVersion: helm.toolkit.fluxcd.io/v2\n      kind: HelmRelease",
                                                        "    - apiVersion: helm.toolkit.fluxcd.io/v2beta1\n      kind: HelmRelease")},
         "ref.health-check-version", KUST, "apiVersion: helm", WARNING, message="name helm.toolkit.fluxcd.io/v2"),
    # What an Alert, an ImagePolicy and an ImageUpdateAutomation wait on, missing.
    Case("alert-provider-missing", {"podinfo/alert-podinfo.yaml": ALERT}, "ref.provider", "podinfo/alert-podinfo.yaml",
         "providerRef:", message="providerRef names Provider podinfo/chat"),
    Case("image-policy-repository-missing", {"podinfo/imagepolicy-podinfo.yaml": IMAGE_POLICY}, "ref.image-repository",
         "podinfo/imagepolicy-podinfo.yaml", "imageRepositoryRef:", message="names ImageRepository podinfo/podinfo"),
    Case("image-update-path-missing", {"podinfo/imageupdateautomation-podinfo.yaml": image_update_automation("./podnfo")},
         "ref.update-path", "podinfo/imageupdateautomation-podinfo.yaml", "path: ./podnfo", message="is no folder"),
    # A webhook's resource at a removed version: notification-controller finds no such kind.
    Case("receiver-resource-removed-version",
         {"podinfo/receiver-podinfo.yaml": "apiVersion: notification.toolkit.fluxcd.io/v1\nkind: Receiver\n"
          "metadata:\n  name: podinfo\n  namespace: podinfo\nspec:\n  type: generic\n"
          "  secretRef:\n    name: webhook-token\n  resources:\n"
          "    - apiVersion: source.toolkit.fluxcd.io/v1beta2\n      kind: HelmRepository\n      name: podinfo\n"
          "      namespace: flux-system\n"},
         "ref.receiver-version", "podinfo/receiver-podinfo.yaml", "apiVersion: source", WARNING,
         message="name source.toolkit.fluxcd.io/v1"),
    # A webhook's resource no cluster object is: a call finds nothing to reconcile.
    Case("receiver-resource-missing",
         {"podinfo/receiver-podinfo.yaml": "apiVersion: notification.toolkit.fluxcd.io/v1\nkind: Receiver\n"
          "metadata:\n  name: podinfo\n  namespace: podinfo\nspec:\n  type: generic\n"
          "  secretRef:\n    name: webhook-token\n  resources:\n"
          "    - kind: HelmRepository\n      name: podinfo\n"},
         "ref.receiver", "podinfo/receiver-podinfo.yaml", "kind: HelmRepository",
         message="resource HelmRepository podinfo/podinfo, which this repository does not define "
                 "(defined: HelmRepository flux-system/podinfo)"),
    # convention.*
    Case("two-objects-in-one-file", {HR: MoveInto(CM)}, "convention.one-object-per-file", HR,
         "apiVersion: helm.toolkit", WARNING),
    Case("misnamed-file", {"podinfo/extra.yaml": CONFIGMAP}, "convention.file-name", "podinfo/extra.yaml", 1, WARNING),
    Case("namespace-declared-twice", {"podinfo/namespace-podinfo.yaml": NAMESPACE.format("podinfo")},
         "convention.namespace-duplicate", "podinfo/namespace-podinfo.yaml", 1),
    Case("namespace-builtin", {"bootstrap/namespaces/namespace-kube-system.yaml": NAMESPACE.format("kube-system")},
         "convention.namespace-builtin", "bootstrap/namespaces/namespace-kube-system.yaml", 1),
    Case("namespace-flux-system", {"bootstrap/namespaces/namespace-flux-system.yaml": NAMESPACE.format("flux-system")},
         "convention.namespace-builtin", "bootstrap/namespaces/namespace-flux-system.yaml", 1),
    Case("plain-secret", {"podinfo/secret-db.yaml": PLAIN_SECRET}, "convention.plain-secret", "podinfo/secret-db.yaml", 1),
    # A Secret whose only values postBuild fills in (substituteFrom) holds nothing secret in the
    # repository; the object is not validated offline (the variables' warning) and not a plain secret.
    Case("secret-of-substituted-values", {"podinfo/secret-db.yaml": PLAIN_SECRET.replace("hunter2", "${DB_PASSWORD}"),
                                          KUST: Replace("  prune: true", SUBSTITUTE_FROM.format(optional="        optional: true\n"))},
         "schema.substituted", "podinfo/secret-db.yaml", 1, WARNING),
    # A variable's default is written in the repository, in plain text like any other value.
    Case("plain-secret-as-a-variables-default", {"podinfo/secret-db.yaml": PLAIN_SECRET.replace("hunter2", "${DB_PASSWORD:=hunter2}")},
         "convention.plain-secret", "podinfo/secret-db.yaml", 1),
    Case("sops-encrypted-secret-not-decrypted", {"podinfo/secret-db.yaml": SOPS_SECRET},
         "schema.sops-not-decrypted", "podinfo/secret-db.yaml", 1, message="has no spec.decryption"),
    Case("post-build-variable-name", {KUST: Replace("  prune: true", "  postBuild:\n    substitute:\n      my-var: x\n  prune: true")},
         "schema.post-build", KUST, "my-var: x", message="postBuild variable 'my-var'"),
    # kustomize-controller leaves a namespaced object without a namespace as it is; the cluster refuses it.
    Case("namespaced-object-without-namespace", {"podinfo/configmap-extra.yaml": "apiVersion: v1\nkind: ConfigMap\n"
                                                 "metadata:\n  name: extra\ndata:\n  a: b\n"},
         "ref.namespace", "podinfo/configmap-extra.yaml", 1, message="namespace not specified"),
    # A generated ConfigMap's name gains a hash, which a HelmRelease's valuesFrom never learns.
    Case("values-from-a-generator-that-adds-a-hash", {CM: None, "podinfo/values.yaml": "replicaCount: 2\n",
                                                       "podinfo/kustomization.yaml": VALUES_GENERATOR.format(options="")},
         "ref.values", HR, "name: podinfo-helm-chart-value-overrides", message="disableNameSuffixHash"),
    Case("plain-secret-in-a-list", {"podinfo/secret-db.yaml": "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        f"  {'- ' if n == 0 else '  '}{line}\n" for n, line in enumerate(PLAIN_SECRET.splitlines()))},
         "convention.plain-secret", "podinfo/secret-db.yaml", "- apiVersion: v1"),
    Case("plain-secret-in-a-dot-folder", {"podinfo/.secrets/secret-db.yaml": PLAIN_SECRET},
         "convention.plain-secret", "podinfo/.secrets/secret-db.yaml", 1),
    # JSON is what kubectl and kustomize take as well.
    Case("plain-secret-in-a-json-file", {"podinfo/.secrets/secret-db.json": json.dumps(yaml.safe_load(PLAIN_SECRET))},
         "convention.plain-secret", "podinfo/.secrets/secret-db.json", 1),
    Case("plain-secret-generator-in-a-kustomization-file-without-suffix",
         {"podinfo/Kustomization": SECRET_GENERATOR.format(source="literals: [password=hunter2]")},
         "convention.plain-secret", "podinfo/Kustomization", "- name: db", message="(literals)"),
    Case("plain-secret-generator-literals",
         {"podinfo/kustomization.yaml": SECRET_GENERATOR.format(source="literals: [password=hunter2]")},
         "convention.plain-secret", "podinfo/kustomization.yaml", "- name: db", message="(literals)"),
    Case("plain-secret-generator-file",
         {"podinfo/kustomization.yaml": SECRET_GENERATOR.format(source="files: [password=db.txt]"),
          "podinfo/db.txt": "hunter2\n"},
         "convention.plain-secret", "podinfo/kustomization.yaml", "- name: db", message="(podinfo/db.txt)"),
    # `copier update -d helm_repo_url=...` of an app sharing a HelmRepository: the answer
    # changes, the shared file (which Flux installs from) does not.
    Case("answers-helm-repo-url-not-served", {".copier-answers.app-podinfo.yml": Replace(
        "helm_repo_url: https://stefanprodan.github.io/podinfo", "helm_repo_url: https://charts.example.com/podinfo")},
         "convention.answers", ".copier-answers.app-podinfo.yml", "helm_repo_url", WARNING,
         message="HelmRepository podinfo serves https://stefanprodan.github.io/podinfo"),
    Case("answers-app-name", {".copier-answers.app-web.yml": Replace("app_name: web", "app_name: website")},
         "convention.answers", ".copier-answers.app-web.yml", "app_name"),
    # What says whose an answers file is (update-all refuses all of these before it updates anything).
    Case("answers-empty", {".copier-answers.app-web.yml": ""}, "convention.answers", ".copier-answers.app-web.yml", 1,
         message="the file records no answers"),
    Case("answers-not-a-mapping", {".copier-answers.app-web.yml": "- a\n- b\n"}, "convention.answers",
         ".copier-answers.app-web.yml", 1, message="the file holds no answers (its YAML is no mapping)"),
    Case("answers-kind", {".copier-answers.yml": Replace("kind: cluster", "kind: app")},
         "convention.answers", ".copier-answers.yml", "kind:", message="but the file is the cluster's"),
    # Answers edited to place files outside the repository: copier update refuses them.
    Case("answers-apps-dir-outside", {".copier-answers.app-web.yml": Replace("apps_dir: ''", "apps_dir: ../outside")},
         "convention.answers", ".copier-answers.app-web.yml", "apps_dir", message="must be a folder inside the repository"),
    # The folder the cluster's answers name is the one `flux bootstrap --path` will apply.
    Case("answers-bootstrap-dir", {".copier-answers.yml": Replace("bootstrap_dir: bootstrap", "bootstrap_dir: clusters")},
         "build", ".copier-answers.yml", "bootstrap_dir"),
    # Mistakes only the build shows: the objects Flux applies are the built ones.
    Case("flux-patch-adds-an-unknown-field", {WEB_KUST: Replace("  dependsOn:\n", REPLICAS_PATCH)},
         "schema", WEB_HR, "^spec:", message="'replicas' was unexpected"),
    Case("component-sets-a-bad-duration", {"components/slow/kustomization.yaml": SLOW_COMPONENT,
                                           WEB_KUST: Replace("  dependsOn:\n", "  components:\n    - ../components/slow\n  dependsOn:\n")},
         "schema", WEB_HR, "^  interval:", message="15 minutes"),
    # What a Kustomization of another source applies is not known offline: a health check on
    # it can only be confirmed on the cluster.
    Case("health-check-on-what-another-source-applies",
         {"bootstrap/kustomizations/kustomization-infra.yaml": OCI_KUSTOMIZATION,
          "bootstrap/ocirepositories/ocirepository-infra.yaml": OCI_REPOSITORY,
          WEB_KUST: Replace("  healthChecks:\n", "  healthChecks:\n    - apiVersion: apps/v1\n      kind: Deployment\n"
                                                   "      name: ingress\n      namespace: podinfo\n")},
         "ref.health-check", WEB_KUST, "apiVersion: apps/v1", WARNING, message="OCIRepository flux-system/infra"),
    # one HelmRepository per URL; SealedSecrets need their controller
    Case("helm-repository-url-twice", {"bootstrap/helmrepositories/helmrepository-stefanprodan.yaml": _object("""
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: HelmRepository
        metadata:
          name: stefanprodan
          namespace: flux-system
        spec:
          interval: 15m
          url: https://stefanprodan.github.io/podinfo/
        """)}, "convention.helm-repository-url", "bootstrap/helmrepositories/helmrepository-stefanprodan.yaml", 1,
         WARNING, message="serves https://stefanprodan.github.io/podinfo/, as HelmRepository flux-system/podinfo"),
    # Sealed strict for podinfo/db, the values open only there: a patch renames it in the build.
    Case("sealed-secret-applied-under-another-name",
         {"podinfo/sealedsecret-db.yaml": SEALED_SECRET,
          "podinfo/kustomization.yaml": "resources:\n  - helmrelease-podinfo.yaml\n  - configmap-podinfo-helm-chart-value-overrides.yaml\n"
                                        "  - sealedsecret-db.yaml\npatches:\n  - target: {kind: SealedSecret, name: db}\n"
                                        "    patch: |\n      - {op: replace, path: /metadata/name, value: db-copy}\n"},
         "ref.sealed-secret-scope", "podinfo/sealedsecret-db.yaml", 1, message="applies it as podinfo/db-copy"),
    # Sealed strict for podinfo/db (its template says so), renamed in its file since.
    Case("sealed-secret-renamed-after-sealing",
         {"podinfo/sealedsecret-database.yaml": SEALED_SECRET.replace("  name: db\n", "  name: database\n")
          + "  template:\n    metadata:\n      name: db\n      namespace: podinfo\n"},
         "ref.sealed-secret-scope", "podinfo/sealedsecret-database.yaml", "name: database",
         message="is sealed strict for podinfo/db (its spec.template.metadata), and renamed since"),
    # The API server refuses a kubernetes.io/tls Secret without tls.key: the controller never makes it.
    Case("sealed-secret-missing-a-key-its-type-needs",
         {"podinfo/sealedsecret-db.yaml": SEALED_SECRET.replace("password:", "tls.crt:") + "  template:\n    type: kubernetes.io/tls\n"},
         "ref.sealed-secret-keys", "podinfo/sealedsecret-db.yaml", 1, message="needs the keys tls.key"),
    Case("sealed-secret-without-controller",
         {"podinfo/sealedsecret-db.yaml": SEALED_SECRET,
          "sealed-secrets/helmrelease-sealed-secrets.yaml": Replace("      chart: sealed-secrets\n", "      chart: kubeseal\n")},
         "convention.sealed-secrets-controller", "podinfo/sealedsecret-db.yaml", 1, WARNING,
         message="installs no Sealed Secrets controller (no HelmRelease of chart sealed-secrets), so a cluster has no "
                 "sealedsecrets.bitnami.com CRD to apply it against; install its chart sealed-secrets in the cluster"),
    # values.*
    Case("values-not-yaml", {CM: Replace("replicaCount: 1", "replicaCount: [1")}, "values.parse", CM, "logLevel: info"),
    Case("values-a-list", {CM: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: podinfo-helm-chart-value-overrides\n"
                                "  namespace: podinfo\ndata:\n  values.yaml: |\n    - replicaCount\n"},
         "values.parse", CM, "values.yaml:", message="key 'values.yaml' holds a list, not a mapping of values"),
    # The CRD takes any JSON as spec.values; helm-controller drops what is no mapping.
    Case("inline-values-a-list", {HR: Replace("  valuesFrom:", "  values:\n    - replicaCount: 2\n  valuesFrom:")},
         "values.parse", HR, "^  values:", message="spec.values holds a list, not a mapping of values"),
    # A conflict an update or refresh left: said so, at its first marker, in the file and in the values.
    Case("conflict-left-in-a-file", {KUST: Replace("  interval: 15m\n", "<<<<<<< before updating\n  interval: 15m\n"
                                                 "=======\n  interval: 30m\n>>>>>>> after updating\n")},
         "yaml.parse", KUST, "<<<<<<< before updating", message="a merge conflict is left unresolved"),
    Case("conflict-left-in-the-values", {CM: Replace("    replicaCount: 1\n", "    <<<<<<< before updating\n    replicaCount: 1\n"
                                                    "    =======\n    replicaCount: 2\n    >>>>>>> podinfo 6.14.1\n")},
         "values.parse", CM, "<<<<<<< before updating", message="a merge conflict is left unresolved"),
    # In inline values refresh writes the markers at the values' indentation.
    Case("conflict-left-in-inline-values", {WEB_HR: Replace("    logLevel: info\n", "    <<<<<<< before updating\n    logLevel: info\n"
                                                           "    =======\n    logLevel: debug\n    >>>>>>> podinfo 6.14.1\n")},
         "yaml.parse", WEB_HR, "<<<<<<< before updating", message="a merge conflict is left unresolved"),
    Case("values-against-schema", {CM: Replace("replicaCount: 1", "replicaCount: two")}, "values.schema", CM, "replicaCount: two"),
    Case("inline-values-against-schema", {WEB_HR: Replace("    logLevel: info", "    logLevel: verbose")},
         "values.schema", WEB_HR, "logLevel"),
    Case("values-unknown-override", {CM: Replace("replicaCount: 1", "replicaCount: 1\n    replicas: 2")},
         "values.unknown-override", CM, "replicas: 2", WARNING),
    # A key the schema's additionalProperties refuses: at its own line, not its mapping's.
    Case("values-key-the-schema-refuses", {CM: Replace("  pullPolicy: IfNotPresent", "  pullPolicy: IfNotPresent\n      pullPolcy: Never")},
         "values.schema", CM, "pullPolcy: Never", message="'pullPolcy' was unexpected"),
]

# Variations that are fine: each must report nothing at all.
CLEAN = [
    # Before `flux bootstrap`: the sync Kustomization it will write may be depended on.
    Case("depends-on-flux-system-before-bootstrap",
         {KUST: Replace("  prune: true", "  prune: true\n  dependsOn:\n    - name: flux-system")}, "", "", 0),
    # Helm makes the target namespace when told to; one the repository declares is there.
    Case("helm-release-creates-its-target-namespace", {HR: Replace(
        "  install:\n", "  targetNamespace: web3\n  install:\n    createNamespace: true\n")}, "", "", 0),
    Case("helm-release-stores-in-a-declared-namespace",
         {HR: Replace("  releaseName: podinfo", "  releaseName: podinfo\n  storageNamespace: podinfo")}, "", "", 0),
    # Objects holding variables whose values the Kustomizations spell out, validated as substituted:
    # one folder applied by two Kustomizations with other postBuild values (each its own
    # ConfigMap: tenant-a's a/settings-a, tenant-b's b/settings-b, not one applied twice);
    # an image update path; a child's path the sync Kustomization's postBuild fills in
    # before Flux follows it (the folder it names builds: no `path not found`).
    Case("one-folder-applied-with-other-postbuild-values", {
        **{f"bootstrap/kustomizations/kustomization-tenant-{t}.yaml": flux_ks(f"tenant-{t}", "./tenant", extra=TENANT.format(t))
           for t in "ab"},
        "tenant/configmap-settings-${TENANT}.yaml": CONFIGMAP.replace("name: extra", "name: settings-${TENANT}")}, "", "", 0),
    Case("image-update-path-substituted", {"podinfo/imageupdateautomation-podinfo.yaml": image_update_automation("./${APP_FOLDER}"),
                                           KUST: Replace("  prune: true", "  postBuild:\n    substitute:\n      APP_FOLDER: podinfo\n  prune: true")},
         "", "", 0),
    Case("child-path-the-parents-postbuild-fills-in", {
        "bootstrap/flux-system/gotk-sync.yaml": GOTK_SYNC + "  postBuild:\n    substitute:\n      APP: podinfo\n",
        "bootstrap/flux-system/kustomization.yaml": FLUX_KUSTOMIZATION,
        KUST: Replace("  path: podinfo", "  path: ./${APP}")}, "", "", 0),
    # Image automation and an Alert whose objects are all there: the guards of the ref cases.
    Case("image-automation-and-alert-complete",
         {"podinfo/imagepolicy-podinfo.yaml": IMAGE_POLICY, "podinfo/imagerepository-podinfo.yaml": IMAGE_REPOSITORY,
          "podinfo/imageupdateautomation-podinfo.yaml": image_update_automation("./podinfo"), "podinfo/alert-podinfo.yaml": ALERT,
          "podinfo/provider-chat.yaml": PROVIDER}, "", "", 0),
    # Label keys are case-sensitive: two that differ in case are two labels, not a field twice.
    Case("labels-differing-in-case", {"podinfo/kustomization.yaml": "commonLabels:\n  tier: web\n  Tier: web\nresources:\n"
                                      "  - helmrelease-podinfo.yaml\n  - configmap-podinfo-helm-chart-value-overrides.yaml\n"},
         "", "", 0),
    # kustomize and Flux's generator read field names whatever their case: `Resources:` lists
    # the folder's files as `resources:` does (no field Flux drops, nothing left unlisted).
    Case("kustomization-field-in-another-case", {"podinfo/kustomization.yaml": "Resources:\n  - helmrelease-podinfo.yaml\n"
                                                 "  - configmap-podinfo-helm-chart-value-overrides.yaml\n"}, "", "", 0),
    # An adopted app's HelmRelease keeps the name Flux knows it by, in the file the template
    # writes for the app (helmrelease-<app>.yaml), which copier update renders.
    Case("helm-release-named-otherwise-in-the-apps-file", {
        WEB_HR: Replace("  name: web\n  namespace: web\n", "  name: web-frontend\n  namespace: web\n"),
        WEB_KUST: Replace("      name: web\n", "      name: web-frontend\n")}, "", "", 0),
    # An app is known by its Kustomization: its folder renamed by hand (the Kustomization's
    # path with it) is still its folder, which updates merge into (repo_state.app_folder).
    Case("app-folder-renamed", {"website/helmrelease-web.yaml": MoveInto(WEB_HR),
                                WEB_KUST: Replace("  path: web", "  path: website")}, "", "", 0),
    # source-controller leaves out every .github/ folder, not only the top one: a CI file in
    # an app's folder is not applied (the repository's .sourceignore must say so too).
    Case("ci-workflow-in-an-app-folder", {"podinfo/.github/workflows/lint.yaml": "on: push\njobs: {}\n"}, "", "", 0),
    # A kustomization.yaml that names each file: a resource, or a patch (an object's part, not applied).
    Case("kustomization-naming-every-file", {
        "podinfo/kustomization.yaml": "resources:\n  - helmrelease-podinfo.yaml\n  - ./configmap-podinfo-helm-chart-value-overrides.yaml\n"
                                      "patches:\n  - path: patches/timeout.yaml\n",
        "podinfo/patches/timeout.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n"
                                        "  namespace: podinfo\nspec:\n  timeout: 10m\n"}, "", "", 0),
    # Files a kustomization.yaml names from another folder (one of its own, a sibling's
    # through ../), and a chart's templates (not objects until Helm renders them).
    Case("kustomization-naming-files-of-other-folders", {
        "podinfo/kustomization.yaml": PODINFO_KUSTOMIZATION + "  - extra/configmap-extra.yaml\n  - values\n",
        "podinfo/extra/kustomization.yaml": "resources: []\n",
        "podinfo/extra/configmap-extra.yaml": CONFIGMAP,
        "podinfo/values/kustomization.yaml": "resources:\n  - ../shared/configmap-shared.yaml\n",
        "podinfo/shared/configmap-shared.yaml": CONFIGMAP.replace("name: extra", "name: shared"),
        "podinfo/charts/local/Chart.yaml": "apiVersion: v2\nname: local\nversion: 0.1.0\n",
        "podinfo/charts/local/templates/configmap.yaml": CONFIGMAP}, "", "", 0),
    Case("optional-values-missing", {HR: Replace("      valuesKey: values.yaml # the default, but best to be explicit\n",
                                                 "      valuesKey: values.yaml\n    - kind: Secret\n      name: db\n      optional: true\n")},
         "", "", 0),
    Case("values-from-sealed-secret", {"podinfo/sealedsecret-db.yaml": SEALED_SECRET,
                                       HR: Replace("      valuesKey: values.yaml # the default, but best to be explicit\n",
                                                   "      valuesKey: values.yaml\n    - kind: Secret\n      name: db\n"
                                                   "      valuesKey: password\n")},
         "", "", 0),
    Case("substitute-from-optional", {KUST: Replace("  prune: true", SUBSTITUTE_FROM.format(optional="        optional: true\n"))},
         "", "", 0),
    Case("substitute-from-applied-by-the-parent", {KUST: Replace("  prune: true", SUBSTITUTE_FROM.format(optional="")),
                                                   "bootstrap/configmap-cluster-settings.yaml": CLUSTER_SETTINGS},
         "", "", 0),
    Case("chart-path-in-this-repository", {HR: Replace(HELM_REPOSITORY_CHART, GIT_CHART),
                                           "charts/podinfo/Chart.yaml": CHART},
         "", "", 0),
    Case("bootstrapped", {"bootstrap/flux-system/gotk-sync.yaml": GOTK_SYNC,
                          "bootstrap/flux-system/kustomization.yaml": FLUX_KUSTOMIZATION}, "", "", 0),
    # The parent's spec.patches give podinfo's Kustomization its decryption (as home-operations
    # repositories give every app's): Flux applies the patched spec.
    Case("decryption-from-the-parents-patches", {
        "bootstrap/flux-system/gotk-sync.yaml": GOTK_SYNC + PATCHED_IN.format(
            op="{op: add, path: /spec/decryption, value: {provider: sops, secretRef: {name: sops-age}}}"),
        "bootstrap/flux-system/kustomization.yaml": FLUX_KUSTOMIZATION,
        "podinfo/secret-db.yaml": SOPS_SECRET}, "", "", 0),
    # web's Kustomization depends on podinfo's, so the namespace podinfo's folder declares is there first.
    Case("namespace-declared-by-a-kustomization-depended-on",
         {"podinfo/namespace-cache.yaml": NAMESPACE.format("cache"),
          "web/configmap-extra.yaml": CONFIGMAP.replace("namespace: podinfo", "namespace: cache")}, "", "", 0),
    Case("namespace-declared-in-the-same-folder",
         {"oci/namespace-cache.yaml": NAMESPACE.format("cache"),
          "oci/configmap-extra.yaml": CONFIGMAP.replace("namespace: podinfo", "namespace: cache")}, "", "", 0),
    # valuesFrom with targetPath: the key holds one value (Flux sets it at that path).
    Case("values-from-a-key-with-a-target-path", {
        CM: Replace("\ndata:\n", "\ndata:\n  replicas: \"3\"\n"),
        HR: Replace("      valuesKey: values.yaml # the default, but best to be explicit\n",
                    "      valuesKey: values.yaml # the default, but best to be explicit\n"
                    "    - kind: ConfigMap\n      name: podinfo-helm-chart-value-overrides\n"
                    "      valuesKey: replicas\n      targetPath: replicaCount\n")}, "", "", 0),
    Case("values-from-a-generator-without-a-hash", {CM: None, "podinfo/values.yaml": "replicaCount: 2\n",
                                                     "podinfo/kustomization.yaml": VALUES_GENERATOR.format(
                                                         options="    options:\n      disableNameSuffixHash: true\n")}, "", "", 0),
    Case("sops-encrypted-secret", {"podinfo/secret-db.yaml": SOPS_SECRET, KUST: DECRYPTED}, "", "", 0),
    Case("generated-configmap", {"podinfo/kustomization.yaml": CONFIGMAP_GENERATOR.format(label="team: platform")}, "", "", 0),
    Case("sops-encrypted-secret-generator-env", {"podinfo/kustomization.yaml": SECRET_GENERATOR.format(source="envs: [db.env]"),
                                                 "podinfo/db.env": SOPS_ENV, KUST: DECRYPTED}, "", "", 0),
    # The token controller fills in a service account token Secret: nothing secret in the repository.
    Case("service-account-token-secret", {"podinfo/secret-deployer-token.yaml": _object("""
        apiVersion: v1
        kind: Secret
        metadata:
          name: deployer-token
          namespace: podinfo
          annotations:
            kubernetes.io/service-account.name: deployer
        type: kubernetes.io/service-account-token
        """)}, "", "", 0),
    Case("git-ignored-plain-secret", {"podinfo/db.secret.yaml": PLAIN_SECRET}, "", "", 0),
    # web's Kustomization depends on podinfo's, which applies the ConfigMap.
    Case("health-check-on-what-a-dependency-applies",
         {WEB_KUST: Replace("  healthChecks:\n", "  healthChecks:\n    - apiVersion: v1\n      kind: ConfigMap\n"
                                                   "      name: podinfo-helm-chart-value-overrides\n      namespace: podinfo\n")},
         "", "", 0),
    # Flux's own multi-cluster layout: each cluster folder's flux-system declares its namespace.
    Case("second-cluster-folder", {"bootstrap/flux-system/gotk-sync.yaml": GOTK_SYNC,
                                   "bootstrap/flux-system/gotk-components.yaml": GOTK_COMPONENTS,
                                   "bootstrap/flux-system/kustomization.yaml": FLUX_SYSTEM_FILES,
                                   "clusters/staging/flux-system/gotk-sync.yaml": gotk_sync("./clusters/staging"),
                                   "clusters/staging/flux-system/gotk-components.yaml": GOTK_COMPONENTS,
                                   "clusters/staging/flux-system/kustomization.yaml": FLUX_SYSTEM_FILES}, "", "", 0),
    # Clusters are bootstrapped one by one: staging is, the answers' bootstrap folder not yet, and
    # its Kustomizations take the GitRepository `flux bootstrap` will make there.
    Case("second-cluster-bootstrapped-first", {"clusters/staging/flux-system/gotk-sync.yaml": gotk_sync("./clusters/staging"),
                                               "clusters/staging/flux-system/gotk-components.yaml": GOTK_COMPONENTS,
                                               "clusters/staging/flux-system/kustomization.yaml": FLUX_SYSTEM_FILES}, "", "", 0),
    # Each cluster its own HelmRepository for a URL another cluster's serves too.
    Case("second-cluster-folder-with-its-own-helm-repository", {
        "bootstrap/flux-system/gotk-sync.yaml": GOTK_SYNC, "bootstrap/flux-system/gotk-components.yaml": GOTK_COMPONENTS,
        "bootstrap/flux-system/kustomization.yaml": FLUX_SYSTEM_FILES,
        "clusters/staging/flux-system/gotk-sync.yaml": gotk_sync("./clusters/staging"),
        "clusters/staging/flux-system/gotk-components.yaml": GOTK_COMPONENTS,
        "clusters/staging/flux-system/kustomization.yaml": FLUX_SYSTEM_FILES,
        "clusters/staging/helmrepository-podinfo.yaml": _object("""
            apiVersion: source.toolkit.fluxcd.io/v1
            kind: HelmRepository
            metadata:
              name: podinfo
              namespace: flux-system
            spec:
              interval: 1h
              url: https://stefanprodan.github.io/podinfo
            """),
        # ... which staging's podinfo uses (one no app of staging used would be unused there).
        "clusters/staging/kustomization-podinfo.yaml": flux_ks("podinfo", "./podinfo"),
        "clusters/staging/namespace-podinfo.yaml": NAMESPACE.format("podinfo")},
        "", "", 0),
    # The ExternalArtifact an ArtifactGenerator the cluster applies makes (Flux 2.7+), in its namespace.
    Case("source-an-artifact-generator-makes",
         {"bootstrap/artifactgenerators/artifactgenerator-flux-system.yaml": ARTIFACT_GENERATOR,
          "bootstrap/kustomizations/kustomization-infra.yaml": OCI_KUSTOMIZATION.replace(
              "kind: OCIRepository", "kind: ExternalArtifact")}, "", "", 0),
    Case("kustomization-flux-never-applies", {"paused/kustomization-old.yaml": PAUSED_KUSTOMIZATION}, "", "", 0),
    # An ObjectBucketClaim makes a ConfigMap and a Secret of its name when the bucket is ready.
    Case("values-from-what-an-object-bucket-claim-makes",
         {"podinfo/objectbucketclaim-bucket.yaml": OBJECT_BUCKET_CLAIM,
          HR: Replace("      valuesKey: values.yaml # the default, but best to be explicit\n",
                      "      valuesKey: values.yaml\n    - kind: ConfigMap\n      name: bucket\n      valuesKey: BUCKET_HOST\n"
                      "      targetPath: bucket.host\n    - kind: Secret\n      name: bucket\n"
                      "      valuesKey: AWS_ACCESS_KEY_ID\n      targetPath: bucket.key\n")},
         "", "", 0),
    Case("free-form-value-in-empty-mapping", {CM: Replace("podAnnotations: {}", "podAnnotations:\n      team: web")},
         "", "", 0),
]


# --- the base repository ----------------------------------------------------------------


@pytest.fixture(scope="module")
def base(template, tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("check") / "cluster"
    copy(template.path, repo, include_example_app=False, sealed_secrets=False)
    copy(template.path, repo, kind="app", app_name="podinfo", helm_repo_url=PODINFO_REPO, chart_version="6.x",
         values_source=str(PODINFO / "6.14.1" / "values.yaml"), health_checks=HEALTH_ON_RELEASE % ("podinfo", "podinfo"))
    # Inline values are YAML of the HelmRelease's file, so yamllint reads them: podinfo's own
    # values.yaml would fail the repository's .yamllint (`host: #0.0.0.0`, `{ }`).
    web_values = tmp_path_factory.mktemp("values") / "values.yaml"
    web_values.write_text(WEB_VALUES)
    copy(template.path, repo, kind="app", app_name="web", chart="podinfo", helm_repo_name="podinfo",
         helm_repo_url=PODINFO_REPO, chart_version="6.x", values_in="inline", depends_on="[podinfo]",
         values_source=str(web_values), health_checks=HEALTH_ON_RELEASE % ("web", "web"))
    copy(template.path, repo, kind="app", app_name="oci", chart="podinfo", helm_repo_name="ghcr",
         helm_repo_url="oci://ghcr.io/stefanprodan/charts",
         fetch_values=False, health_checks=HEALTH_ON_RELEASE % ("oci", "oci"))
    # The controller the SealedSecrets of some cases need.
    copy(template.path, repo, **known_apps.ANSWERS[known_apps.SEALED_SECRETS], fetch_values=False)
    return init_repo(repo)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """A chart cache as the template's chart fetching leaves it, holding podinfo 6.14.1."""
    root = tmp_path_factory.mktemp("chart-cache")
    folder = root / hashlib.sha256(f"{PODINFO_REPO}\npodinfo".encode()).hexdigest()[:32]
    folder.mkdir()
    source = PODINFO / "6.14.1"
    (folder / "podinfo-6.14.1.tgz").write_bytes(pack_archive([
        ("podinfo/Chart.yaml", (source / "Chart.yaml").read_bytes(), {}),
        ("podinfo/values.yaml", (source / "values.yaml").read_bytes(), {}),
        ("podinfo/values.schema.json", json.dumps(PODINFO_SCHEMA).encode(), {}),
    ]))
    return root


def apply(repo: Path, edits: dict) -> None:
    for path, edit in edits.items():
        target = repo / path
        if edit is None:
            target.unlink()
        elif isinstance(edit, Replace):
            text = target.read_text()
            assert text.count(edit.old) == 1, f"{path}: {edit.old!r} occurs {text.count(edit.old)} times"
            target.write_text(text.replace(edit.old, edit.new))
        elif isinstance(edit, MoveInto):
            here = target.read_text() if target.exists() else ""
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text((repo / edit.source).read_text() + ("---\n" + here if here else ""))
            (repo / edit.source).unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(edit)


def line_of(repo: Path, path: str, at: str | int) -> int:
    if isinstance(at, int):
        return at
    # "^text": the line that starts with text; otherwise the line that holds it.
    lines = [
        number for number, line in enumerate((repo / path).read_text().splitlines(), 1)
        if (line.startswith(at[1:]) if at.startswith("^") else at in line)
    ]
    assert len(lines) == 1, f"{path}: {at!r} is on lines {lines}"
    return lines[0]


@pytest.fixture
def repo(base, tmp_path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(base, target, symlinks=True)
    return target


def test_a_chart_kept_in_the_repository_is_not_linted(repo, cache):
    """A chart copied in for values_source (as update-all asks) holds its authors' YAML style:
    yamllint's warnings on it were noise; a file of the user's with the same style is linted."""
    shutil.copytree(CHARTS / "traefik" / "33.2.1", repo / "charts" / "traefik")
    (repo / "notes.yaml").write_text((CHARTS / "traefik" / "33.2.1" / "values.yaml").read_text())
    apply(repo, {})
    linted = {p.path for p in check_repository(repo, cache_dir=cache).problems if p.rule == "yaml.lint"}
    assert linted == {"notes.yaml"}, linted


def test_values_are_checked_against_a_chart_the_repository_keeps(repo, tmp_path, cache):
    """No chart cache (offline, a fresh machine): the chart kept in the repository (what a
    values_source or a values refresh --to reads) at the version the values came from is
    what they are checked against; without it, a note says they were not."""
    (tmp_path / "empty-cache").mkdir()
    apply(repo, {CM: Replace("replicaCount: 1", "replicaCount: 1\n    replicas: 2")})

    def judged() -> tuple[list, bool]:
        report = check_repository(repo, cache_dir=tmp_path / "empty-cache")
        return ([(p.rule, p.path) for p in report.problems if p.rule.startswith("values.")],
                any("not checked against their charts" in note for note in report.notes))

    assert judged() == ([], True)
    kept = repo / "charts" / "podinfo"
    shutil.copytree(CHARTS / "podinfo" / "6.14.1", kept)
    apply(repo, {})
    assert judged() == ([("values.unknown-override", CM)], False)
    # One the range does not allow (6.x) is not it: not checked, and said so.
    apply(repo, {"charts/podinfo/Chart.yaml": (kept / "Chart.yaml").read_text().replace("version: 6.14.1", "version: 7.0.0")})
    assert judged() == ([], True)
    # A chart of that name the cache does not key by the repository's URL (a fork): where
    # the cache has the chart, the cache's is the one.
    apply(repo, {"charts/podinfo/Chart.yaml": (kept / "Chart.yaml").read_text().replace("version: 7.0.0", "version: 6.15.0"),
                 "charts/podinfo/values.yaml": "replicaCount: 1\n", CM: Replace("    replicas: 2", "")})
    assert [p.rule for p in check_repository(repo, cache_dir=cache).problems if p.rule.startswith("values.")] == []


def test_the_base_reports_nothing(base, cache):
    report = check_repository(base, cache_dir=cache)
    assert report.problems == ()
    # The sync Kustomization and one per app: podinfo, web, oci and the Sealed Secrets controller.
    assert report.summary() == f"0 errors, 0 warnings in {report.files} files; followed 5 Flux Kustomizations"


def test_values_a_chart_not_in_the_cache_cannot_check_are_named_in_a_note(base, cache, tmp_path):
    """Offline, with no version of the chart cached, "0 errors" must not read as values
    checked: a note names the releases (not the one whose values are the placeholder)."""
    report = check_repository(base, cache_dir=tmp_path / "empty-cache")
    assert report.problems == ()
    [note] = [note for note in report.notes if "not checked against their charts" in note]
    assert "the values of HelmRelease podinfo/podinfo, HelmRelease web/web;" in note
    assert not [note for note in check_repository(base, cache_dir=cache).notes if "not checked against" in note]


def test_the_note_says_how_to_cache_charts_only_where_the_values_commands_work(repo, tmp_path):
    """`values refresh` works on the template's apps: a repository without their answers
    files (made by hand) is not sent to it."""
    [note] = [note for note in check_repository(repo, cache_dir=tmp_path / "empty").notes if "not checked against" in note]
    assert "`flux-cookbook values refresh --all --dry-run`, run once online" in note
    for answers in repo.glob(".copier-answers*.yml"):
        answers.unlink()
    [note] = [note for note in check_repository(repo, cache_dir=tmp_path / "empty").notes if "not checked against" in note]
    assert "values refresh" not in note and note.startswith("note: not checked against their charts"), note



def test_a_release_two_clusters_build_is_named_once_in_the_note(repo, tmp_path):
    """staging builds podinfo's folder too, its values patched: two builds of one
    HelmRelease, judged each, named once."""
    apply(repo, {"bootstrap/flux-system/gotk-sync.yaml": GOTK_SYNC, "bootstrap/flux-system/gotk-components.yaml": GOTK_COMPONENTS,
                 "bootstrap/flux-system/kustomization.yaml": FLUX_SYSTEM_FILES,
                 "clusters/staging/flux-system/gotk-sync.yaml": gotk_sync("./clusters/staging"),
                 "clusters/staging/flux-system/gotk-components.yaml": GOTK_COMPONENTS,
                 "clusters/staging/flux-system/kustomization.yaml": FLUX_SYSTEM_FILES,
                 "clusters/staging/kustomization-podinfo.yaml": flux_ks("podinfo", "./staging"),
                 "podinfo/kustomization.yaml": PODINFO_KUSTOMIZATION,
                 "staging/kustomization.yaml": (
                     "resources: [../podinfo]\npatches:\n  - patch: |\n      apiVersion: helm.toolkit.fluxcd.io/v2\n"
                     "      kind: HelmRelease\n      metadata: {name: podinfo, namespace: podinfo}\n"
                     "      spec:\n        values:\n          replicaCount: 3\n")})
    report = check_repository(repo, cache_dir=tmp_path / "empty-cache")
    [note] = [note for note in report.notes if "not checked against their charts" in note]
    assert note.count("HelmRelease podinfo/podinfo") == 1, note


def test_values_keys_of_several_types_in_one_mapping_are_judged(repo, cache):
    """ingress-nginx's tcp: a port number and a quoted one side by side (YAML keys 22 and "8080")."""
    apply(repo, {CM: Replace("replicaCount: 1", 'replicaCount: 1\n    tcp: {22: gitlab/shell:22, "8080": default/web:80}')})
    report = check_repository(repo, cache_dir=cache)
    assert [(p.rule, p.path) for p in report.problems] == [("values.unknown-override", CM)], report.problems


def test_an_object_declared_twice_is_named_with_both_files(repo, cache):
    """A file copied to make a variant, its name left as it was: kustomize refuses the build
    with "already registered id ... must build at directory ... file is not directory"."""
    values = "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml"
    shutil.copy(repo / values, repo / "podinfo/configmap-podinfo-staging.yaml")
    report = check_repository(repo, cache_dir=cache)
    built = [problem for problem in report.problems if problem.rule == "build"]
    assert [(problem.path, problem.line) for problem in built] == [(KUST, 1)], "\n".join(map(str, report.problems))
    assert built[0].message.endswith(
        "does not build: ConfigMap podinfo/podinfo-helm-chart-value-overrides is declared twice "
        f"({values}, podinfo/configmap-podinfo-staging.yaml): kustomize refuses a second object of one kind, "
        "namespace and name")


@pytest.mark.parametrize("chart, version", [("podinfo", "6.0.3"), ("podinfo", "6.14.1"), ("traefik", "10.24.0")])
def test_a_charts_own_values_inline_pass_the_repositorys_yamllint(template, tmp_path, cache, chart, version):
    """Pasted inline, a chart's values are YAML of the HelmRelease's file, spaced and
    commented the chart's way (podinfo's `host: #0.0.0.0` and, at 6.14, `{ }`, traefik's
    comment lines at any column): the template tells yamllint to leave them be, so a new
    app draws no warning."""
    repo = tmp_path / "cluster"
    copy(template.path, repo, include_example_app=False, sealed_secrets=False)
    copy(template.path, repo, kind="app", app_name="web", chart=chart, helm_repo_url=PODINFO_REPO, chart_version="*",
         values_in="inline", values_source=str(CHARTS / chart / version), health_checks=[])
    report = check_repository(init_repo(repo), cache_dir=cache)
    assert [problem for problem in report.problems if problem.rule == "yaml.lint"] == [], \
        "\n".join(map(str, report.problems))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_one_mistake_one_problem(repo, cache, case):
    apply(repo, case.edits)
    report = check_repository(repo, cache_dir=cache)
    found = [(p.rule, p.path, p.line, p.severity) for p in report.problems]
    expected = (case.rule, case.path, line_of(repo, case.path, case.at), case.severity)
    assert found == [expected], "\n".join(map(str, report.problems))
    assert case.message in report.problems[0].message



def cache_with_podinfo_6_13_without_schema(cache: Path, tmp_path: Path) -> Path:
    """A copy of the chart cache with podinfo 6.13.0 in it, packed without a values.schema.json
    (6.14.1's has one): which version values are judged against shows in what is found."""
    older = tmp_path / "cache"
    shutil.copytree(cache, older)
    source = PODINFO / "6.13.0"
    (next(older.iterdir()) / "podinfo-6.13.0.tgz").write_bytes(pack_archive([
        ("podinfo/Chart.yaml", (source / "Chart.yaml").read_bytes(), {}),
        ("podinfo/values.yaml", (source / "values.yaml").read_bytes(), {})]))
    return older


def test_values_are_checked_against_the_chart_the_range_installs_not_the_one_they_were_fetched_from(repo, cache, tmp_path):
    """The values name podinfo 6.13.0 (cached, no schema), and the HelmRelease's range was
    bumped by hand to 6.14.x: Flux installs 6.14.1, whose schema refuses them."""
    older = cache_with_podinfo_6_13_without_schema(cache, tmp_path)
    apply(repo, {CM: Replace("  values.yaml: |\n", f"  values.yaml: |\n    # values.yaml of chart {PODINFO_REPO} podinfo 6.13.0 "
                                                     "(chart_version: 6.x)\n")})
    apply(repo, {CM: Replace("replicaCount: 1", "replicaCount: two")})
    assert [p.rule for p in check_repository(repo, cache_dir=older).problems] == []  # 6.x: the values' own 6.13.0
    apply(repo, {HR: Replace("version: 6.x", "version: 6.14.x")})
    assert [(p.rule, p.path) for p in check_repository(repo, cache_dir=older).problems] == [("values.schema", CM)]


def test_a_key_the_chart_the_range_installs_lacks_says_how_to_bring_the_values_to_it(repo, cache, tmp_path):
    """The values are podinfo 6.13.0's and the range moved on to 6.14.x (Renovate, by hand):
    a key 6.14.1 does not have is named with the refresh that brings the values to it; one
    the values' own version lacks is named without."""
    older = cache_with_podinfo_6_13_without_schema(cache, tmp_path)
    apply(repo, {CM: Replace("  values.yaml: |\n", f"  values.yaml: |\n    # values.yaml of chart {PODINFO_REPO} podinfo 6.13.0 "
                                                     "(chart_version: 6.x)\n")})
    apply(repo, {CM: Replace("replicaCount: 1", "replicaCount: 1\n    replicas: 2")})

    def said() -> list[str]:
        return [p.message for p in check_repository(repo, cache_dir=older).problems if p.rule == "values.unknown-override"]

    (own_version,) = said()
    assert own_version.endswith("(removed, renamed or misspelt?)"), own_version
    apply(repo, {HR: Replace("version: 6.x", "version: 6.14.x")})
    (moved_on,) = said()
    assert moved_on.endswith("(removed, renamed or misspelt?); these values are chart podinfo 6.13.0's: "
                             "`flux-cookbook values refresh podinfo` brings them to 6.14.1"), moved_on


def test_inline_values_are_checked_against_the_chart_their_header_names(repo, cache, tmp_path):
    """Inline values carry the template's header comment too, on the line below `values:`:
    they are checked against that version as ConfigMap values are (they were checked against
    the newest cached one)."""
    older = cache_with_podinfo_6_13_without_schema(cache, tmp_path)
    text = (repo / WEB_HR).read_text()
    values_line = next(line for line in text.splitlines(True) if line.strip() == "values:")
    header = values_line.replace("values:", f"  # values.yaml of chart {PODINFO_REPO} podinfo 6.13.0 (chart_version: *)")
    apply(repo, {WEB_HR: Replace(values_line, values_line + header)})
    apply(repo, {WEB_HR: Replace("    logLevel: info", "    logLevel: verbose")})
    assert [(p.rule, p.path) for p in check_repository(repo, cache_dir=older).problems] == []  # 6.13.0 has no schema


OCI_CM = "oci/configmap-oci-helm-chart-value-overrides.yaml"
OCI_SOURCE = "oci/ocirepository-oci.yaml"


@pytest.mark.parametrize("ref, checked", [
    ("  ref:\n    semver: '*'\n", True),  # the newest version: the newest cached
    ("  ref:\n    tag: 6.14.1\n", True),
    ("", False),  # no ref: Flux pulls the tag `latest`, whatever version it holds
    ("  ref:\n    digest: sha256:" + "0" * 64 + "\n", False),  # one artifact, of a version nobody wrote down
])
def test_values_are_checked_against_the_chart_an_oci_repository_pulls_when_its_version_is_known(repo, cache, tmp_path, ref,
                                                                                                checked):
    """The oci app's chart (from oci://ghcr.io/stefanprodan/charts) in the cache at 6.14.1,
    and a value it does not have: reported when the OCIRepository's ref names a version,
    and not when it pins something else (no ref pulls `latest`, which names no version:
    checking it against the newest chart cached would blame values for a chart not pulled)."""
    cache = shutil.copytree(cache, tmp_path / "cache")
    folder = cache / hashlib.sha256(b"oci://ghcr.io/stefanprodan/charts\npodinfo").hexdigest()[:32]
    folder.mkdir()
    shutil.copy2(next(cache.glob("*/podinfo-6.14.1.tgz")), folder / "podinfo-6.14.1.tgz")
    apply(repo, {OCI_SOURCE: Replace("  ref:\n    semver: '*'\n", ref),
                 OCI_CM: Replace("  values.yaml: |\n", "  values.yaml: |\n    replicas: 2\n")})
    report = check_repository(repo, cache_dir=cache)
    expected = [("values.unknown-override", OCI_CM)] if checked else []
    assert [(p.rule, p.path) for p in report.problems] == expected, "\n".join(map(str, report.problems))


def test_a_secret_taking_a_value_a_kustomization_spells_out_holds_it_in_plain_text(repo, cache):
    """${DB_PASSWORD} from the Kustomization's own postBuild.substitute is the password in
    plain text in the repository: a plain Secret still. From substituteFrom it is none."""
    apply(repo, {"podinfo/secret-db.yaml": PLAIN_SECRET.replace("hunter2", "${DB_PASSWORD}"),
                 KUST: Replace("  prune: true", "  postBuild:\n    substitute:\n      DB_PASSWORD: hunter2\n  prune: true")})
    errors = [(p.rule, p.path) for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR]
    assert errors == [("convention.plain-secret", "podinfo/secret-db.yaml")]
    # Spelt out by another Kustomization only (web's): podinfo's comes from the cluster.
    apply(repo, {KUST: Replace("    substitute:\n      DB_PASSWORD: hunter2\n", "    substituteFrom:\n      - kind: Secret\n        name: db\n        optional: true\n"),
                 WEB_KUST: Replace("  prune: true", "  postBuild:\n    substitute:\n      DB_PASSWORD: hunter2\n  prune: true")})
    assert [p for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR] == []


def test_a_chart_version_the_kustomization_spells_out_is_judged_as_filled_in(repo, cache):
    """${PODINFO_VERSION} from the Kustomization's own substitute values is known here: a
    value source-controller cannot read is an error (a substituteFrom one is not judged)."""
    apply(repo, {HR: Replace("      version: 6.x", "      version: ${PODINFO_VERSION}"),
                 KUST: Replace("  prune: true", "  postBuild:\n    substitute:\n      PODINFO_VERSION: 6.x.y\n  prune: true")})
    errors = [(p.rule, p.path, p.message) for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR]
    assert [(rule, path) for rule, path, _ in errors] == [("schema.chart-version", HR)] and "'6.x.y'" in errors[0][2]
    # A variable the Kustomization leaves unset is made empty: the newest version, no error.
    apply(repo, {KUST: Replace("      PODINFO_VERSION: 6.x.y", "      CLUSTER: home")})
    assert [p for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR] == []


def test_an_image_update_path_is_judged_as_postbuild_fills_it_in(repo, cache):
    """./${APP_FOLDER}: a folder that is not there once the Kustomization's own values fill
    it in, and, with no postBuild at all, the path taken as written."""
    apply(repo, {"podinfo/imageupdateautomation-podinfo.yaml": image_update_automation("./${APP_FOLDER}"),
                 KUST: Replace("  prune: true", "  postBuild:\n    substitute:\n      APP_FOLDER: podnfo\n  prune: true")})
    errors = [(p.rule, p.line) for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR]
    assert errors == [("ref.update-path", line_of(repo, "podinfo/imageupdateautomation-podinfo.yaml", "path: ./"))]
    apply(repo, {KUST: Replace("  postBuild:\n    substitute:\n      APP_FOLDER: podnfo\n", "")})
    errors = [p.rule for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR]
    assert errors == ["ref.update-path"]


def test_a_substitute_from_the_parents_patch_gives_names_what_must_be_there(repo, cache):
    """home-ops' way: the parent's spec.patches gives each child postBuild.substituteFrom;
    kustomize-controller fails the child's build when that ConfigMap is not there (it passed:
    only what the child's file writes was read). Told at the child's Kustomization."""
    apply(repo, {"bootstrap/flux-system/kustomization.yaml": FLUX_KUSTOMIZATION,
                 "bootstrap/flux-system/gotk-sync.yaml": GOTK_SYNC + PATCHED_IN.format(
                     op="{op: add, path: /spec/postBuild, value: {substituteFrom: [{kind: ConfigMap, name: cluster-settings}]}}")})
    errors = [(p.rule, p.path, p.line) for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR]
    assert errors == [("ref.substitute-from", KUST, 1)], errors
    # Applied from the bootstrap folder, which the podinfo Kustomization depends on through flux-system: there.
    apply(repo, {"bootstrap/configmap-cluster-settings.yaml": CLUSTER_SETTINGS})
    assert [p for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR] == []


def test_an_object_postbuild_names_from_its_own_values_is_known_by_that_name(repo, cache):
    """`name: ${APP}-extra`, which the Kustomization's own postBuild.substitute fills in
    (APP: podinfo), is podinfo-extra and nothing else: a valuesFrom naming it finds it, one
    with a typo is an error (prod-extra, which its pattern could become, passed). Filled in
    from the cluster (substituteFrom), it may still be any that pattern may become."""
    kustomization, release = (repo / KUST).read_text(), (repo / HR).read_text()
    extra = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${APP}-extra\n  namespace: podinfo\n"
             "data:\n  values.yaml: 'replicaCount: 2'\n")
    values_from = "  valuesFrom:\n    - {kind: ConfigMap, name: %s}\n"

    def errors() -> list:
        return [(p.rule, p.path) for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR]

    apply(repo, {KUST: kustomization.replace("  prune: true", "  postBuild:\n    substitute:\n      APP: podinfo\n  prune: true", 1),
                 "podinfo/configmap-extra.yaml": extra,
                 HR: release.replace("  valuesFrom:\n", values_from % "podinfo-extra", 1)})
    assert errors() == []
    for typo in ("podinfo-extar", "prod-extra"):
        apply(repo, {HR: release.replace("  valuesFrom:\n", values_from % typo, 1)})
        assert errors() == [("ref.values", HR)], typo
    apply(repo, {KUST: kustomization.replace("  prune: true", SUBSTITUTE_FROM.format(optional="        optional: true\n"), 1)})
    assert errors() == []


SUBSTITUTED_REPOSITORY = ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: repo-${CLUSTER}\n"
                          "  namespace: podinfo\nspec:\n  interval: 1h\n  url: https://stefanprodan.github.io/podinfo\n")


def test_names_postbuild_fills_in_only_where_its_values_are_known(tmp_path, cache):
    """HelmRepository repo-${CLUSTER}, CLUSTER: prod in the applying Kustomization: a
    sourceRef naming repo-prod finds it. Under `check --path apps` the applying Kustomization
    is not known, nor where a parent fills the value in (`CLUSTER: ${CLUSTER_NAME}`, from its
    own values or from the cluster's): there repo-prod may be it, as before."""
    release = ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: podinfo\n"
               "spec:\n  interval: 50m\n  chart:\n    spec:\n      chart: podinfo\n"
               "      sourceRef: {kind: HelmRepository, name: repo-prod}\n")
    apps = {"apps/namespace.yaml": NAMESPACE.format("podinfo"), "apps/helmrepository.yaml": SUBSTITUTED_REPOSITORY,
            "apps/helmrelease.yaml": release}

    def sources(repo: Path, **given) -> list:
        return [p.rule for p in check_repository(repo, cache_dir=cache, **given).problems if p.rule == "ref.source"]

    (tmp_path / "own").mkdir()
    repo = bootstrapped(tmp_path / "own", {
        "clusters/prod/apps.yaml": flux_ks("apps", "./apps", extra="  postBuild:\n    substitute:\n      CLUSTER: prod\n"), **apps},
        path="./clusters/prod")
    init_repo(repo)
    assert sources(repo) == [] and sources(repo, start_dir="apps") == []
    # Used, by the name it is applied with (it was ref.unused-source beside the reference).
    assert [p.rule for p in check_repository(repo, cache_dir=cache).problems if p.rule.startswith("ref.unused")] == []
    for parent in ("  postBuild:\n    substitute:\n      CLUSTER_NAME: prod\n",
                   "  postBuild:\n    substituteFrom:\n      - {kind: ConfigMap, name: cluster-vars, optional: true}\n"):
        (tmp_path / str(len(parent))).mkdir()
        repo = bootstrapped(tmp_path / str(len(parent)), {
            "clusters/prod/infra.yaml": flux_ks("infra", "./infra", extra=parent),
            "infra/apps.yaml": flux_ks("apps", "./apps", extra="  postBuild:\n    substitute:\n      CLUSTER: ${CLUSTER_NAME}\n"),
            **apps}, path="./clusters/prod")
        init_repo(repo)
        assert sources(repo) == [], parent


def test_a_file_named_after_what_postbuild_makes_of_the_name_is_well_named(repo, cache):
    """`web-${CLUSTER}` in configmap-web-prod.yaml is named as the cookbook names it once
    postBuild fills the name in (the file-name warning asked for configmap-web-${CLUSTER}.yaml),
    as the applying Kustomization's own values fill it in where it has them; a file whose
    name it can never be is still told."""
    configmap = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-${CLUSTER}\n"
                 "  namespace: podinfo\ndata:\n  a: b\n")

    def misnamed() -> list:
        return [p.path for p in check_repository(repo, cache_dir=cache).problems if p.rule == "convention.file-name"]

    apply(repo, {"podinfo/configmap-web-prod.yaml": configmap})
    assert misnamed() == []
    # The applying Kustomization's own values say what it becomes: that name, no other.
    kustomization = (repo / KUST).read_text()
    for cluster, expected in (("prod", []), ("staging", ["web-staging belongs in a file named configmap-web-staging.yaml"])):
        apply(repo, {KUST: kustomization.replace("  prune: true", f"  postBuild:\n    substitute:\n      CLUSTER: {cluster}\n"
                                                                  "  prune: true", 1)})
        assert [p.message.partition("ConfigMap ")[2].partition(" (")[0] for p in check_repository(repo, cache_dir=cache).problems
                if p.rule == "convention.file-name"] == expected
    apply(repo, {KUST: kustomization})
    (repo / "podinfo/configmap-web-prod.yaml").rename(repo / "podinfo/settings.yaml")
    assert misnamed() == ["podinfo/settings.yaml"]


def test_an_object_postbuild_names_excuses_only_the_references_it_may_be(repo, cache):
    """A ConfigMap named `web-${CLUSTER}` may be web-anything of its namespace, nothing else:
    a substituteFrom naming another ConfigMap nothing defines is still an error (any such
    name excused every reference to its kind)."""
    kustomization = (repo / KUST).read_text()
    apply(repo, {KUST: kustomization.replace("  prune: true", SUBSTITUTE_FROM.format(optional=""), 1),
                 "podinfo/configmap-web.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-${CLUSTER}\n"
                                               "  namespace: flux-system\ndata:\n  a: b\n"})
    errors = [p.rule for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR]
    assert errors == ["ref.substitute-from"]
    apply(repo, {KUST: kustomization.replace("  prune: true", SUBSTITUTE_FROM.format(optional="").replace(
        "cluster-settings", "web-settings"), 1)})
    assert [p.rule for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR] == []


def test_references_by_a_name_a_prefix_changes_in_the_build_are_errors(repo, cache):
    """A namePrefix renames the ConfigMap and the HelmRelease in the build; kustomize does not
    rewrite the HelmRelease's valuesFrom nor the Kustomization's health check, so helm-controller
    and kustomize-controller look for names nothing has."""
    apply(repo, {"podinfo/kustomization.yaml": "namePrefix: home-\nresources:\n  - helmrelease-podinfo.yaml\n"
                                               "  - configmap-podinfo-helm-chart-value-overrides.yaml\n"})
    report = check_repository(repo, cache_dir=cache)
    assert [(p.rule, p.path, p.line) for p in report.problems] == [
        ("ref.renamed", KUST, line_of(repo, KUST, "^      name: podinfo")),
        ("ref.renamed", HR, line_of(repo, HR, "name: podinfo-helm-chart-value-overrides")),
    ], "\n".join(map(str, report.problems))
    assert "the build names home-podinfo-helm-chart-value-overrides" in report.problems[1].message
    assert "healthChecks names HelmRelease podinfo/podinfo, which the build names home-podinfo" in report.problems[0].message


def test_a_post_build_the_parents_patch_gives_makes_variables_no_error(repo, cache):
    """A ${...} where the schema wants a number is kustomize-controller's to fill in when the
    Kustomization has a postBuild, even one its parent's patch gives it: validated as filled in."""
    service = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: extra\n  namespace: podinfo\n"
               "spec:\n  ports:\n    - port: ${PORT}\n")
    apply(repo, {"bootstrap/flux-system/kustomization.yaml": FLUX_KUSTOMIZATION, "podinfo/service-extra.yaml": service,
                 "bootstrap/flux-system/gotk-sync.yaml": GOTK_SYNC})
    assert {p.rule for p in check_repository(repo, cache_dir=cache).problems} == {"schema"}  # not an integer
    apply(repo, {"bootstrap/flux-system/gotk-sync.yaml": GOTK_SYNC + PATCHED_IN.format(
        op="{op: add, path: /spec/postBuild, value: {substitute: {PORT: '80'}}}")})
    assert check_repository(repo, cache_dir=cache).problems == ()  # `port: 80` once substituted


def test_an_overlays_patch_does_not_hide_what_the_base_names(tmp_path, cache):
    """flux2-kustomize-helm-example's layout: apps/prod patches the HelmRelease of apps/base.
    The patch file is a part merged into the base's object, not the object: what the base
    names is looked up, and reported at the base's file."""
    repo = bootstrapped(tmp_path, {
        "clusters/prod/apps.yaml": flux_ks("apps", "./apps/prod"),
        "apps/base/kustomization.yaml": "namespace: podinfo\nresources: [namespace.yaml, release.yaml]\n",
        "apps/base/namespace.yaml": NAMESPACE.format("podinfo"),
        "apps/base/release.yaml": (
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\nspec:\n"
            "  interval: 50m\n  chart:\n    spec:\n      chart: podinfo\n"
            "      sourceRef: {kind: HelmRepository, name: no-such-repository}\n"
            "  valuesFrom: [{kind: ConfigMap, name: no-such-values}]\n"),
        "apps/prod/kustomization.yaml": "resources: [../base]\npatches: [{path: values.yaml, target: {kind: HelmRelease}}]\n",
        "apps/prod/values.yaml": ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
                                  "metadata:\n  name: podinfo\n  namespace: podinfo\nspec:\n  values: {replicaCount: 2}\n"),
    }, path="./clusters/prod")
    init_repo(repo)
    errors = [(p.rule, p.path, p.line) for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR]
    assert errors == [("ref.source", "apps/base/release.yaml", 10), ("ref.values", "apps/base/release.yaml", 11)], errors


def test_references_are_looked_up_in_the_namespace_the_build_gives(tmp_path, cache):
    """A folder's kustomization.yaml `namespace:` puts the files that give none in it (the
    HelmRelease here): what it names is looked up there, as helm-controller does, and a
    Kustomization so placed is named by the namespace it is applied in. Where the build
    gives no namespace, the lookup is in `default`, as before."""
    files = {
        "clusters/prod/apps.yaml": flux_ks("apps", "./apps/podinfo"),
        "apps/podinfo/kustomization.yaml": "namespace: podinfo\nresources: [namespace.yaml, repository.yaml, release.yaml, values.yaml]\n",
        "apps/podinfo/namespace.yaml": NAMESPACE.format("podinfo"),
        "apps/podinfo/repository.yaml": ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n"
                                         "  name: podinfo\n  namespace: podinfo\nspec:\n  interval: 1h\n"
                                         "  url: https://stefanprodan.github.io/podinfo\n"),
        "apps/podinfo/release.yaml": (
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n"
            "spec:\n  interval: 50m\n  chart:\n    spec:\n      chart: podinfo\n"
            "      sourceRef: {kind: HelmRepository, name: podinfo}\n"
            "  valuesFrom: [{kind: ConfigMap, name: podinfo-values}]\n"),
        "apps/podinfo/values.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: podinfo-values\n"
                                     "  namespace: podinfo\ndata:\n  values.yaml: 'replicaCount: 2'\n"),
        # A Kustomization the tenants folder's `namespace:` places: its sourceRef, which gives
        # no namespace, is looked for in tenants.
        "clusters/prod/tenants/kustomization.yaml": "namespace: tenants\nresources: [web.yaml]\n",
        "clusters/prod/tenants/web.yaml": flux_ks("web", "./apps/podinfo").replace("  namespace: flux-system\n", "", 1),
        "clusters/prod/namespace-tenants.yaml": NAMESPACE.format("tenants"),
    }
    repo = bootstrapped(tmp_path, files, path="./clusters/prod")
    init_repo(repo)
    errors = [p for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR]
    assert [(p.rule, p.path) for p in errors] == [("ref.source", "clusters/prod/tenants/web.yaml")], errors
    assert errors[0].message.startswith("Kustomization tenants/web: sourceRef names GitRepository tenants/flux-system, ")
    # Without the folder's namespace the release is in default, where nothing it names is.
    apply(repo, {"apps/podinfo/kustomization.yaml": "resources: [namespace.yaml, repository.yaml, release.yaml, values.yaml]\n"})
    errors = [(p.rule, p.message.partition(":")[0]) for p in check_repository(repo, cache_dir=cache).problems
              if p.rule in ("ref.source", "ref.values") and p.path == "apps/podinfo/release.yaml"]
    assert errors == [("ref.source", "HelmRelease default/podinfo"), ("ref.values", "HelmRelease default/podinfo")], errors


def test_a_folder_another_clusters_overlay_moves_keeps_its_namespace_where_its_build_fails(tmp_path, cache):
    """prod applies apps/podinfo as written (namespace podinfo), staging's overlay moves the
    same files to podinfo-staging, and prod's build fails: prod's copy is not judged in
    podinfo-staging (a health check on podinfo/podinfo was an error), the build error alone."""
    release = ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: podinfo\n"
               "spec:\n  interval: 50m\n  chart:\n    spec:\n      chart: podinfo\n"
               "      sourceRef: {kind: HelmRepository, name: podinfo, namespace: flux-system}\n")
    repository = ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: podinfo\n"
                  "  namespace: flux-system\nspec:\n  interval: 1h\n  url: https://stefanprodan.github.io/podinfo\n")
    repo = bootstrapped(tmp_path, {
        "clusters/prod/apps.yaml": flux_ks("apps", "./apps/podinfo", extra="  components: [../gone]\n") + (
            "  healthChecks:\n    - {apiVersion: helm.toolkit.fluxcd.io/v2, kind: HelmRelease, name: podinfo, namespace: podinfo}\n"),
        "clusters/prod/repo.yaml": repository,
        "clusters/staging/flux-system/gotk-sync.yaml": gotk_sync("./clusters/staging"),
        "clusters/staging/flux-system/kustomization.yaml": "resources: [gotk-sync.yaml]\n",
        "clusters/staging/apps.yaml": flux_ks("apps", "./overlays/staging"),
        "clusters/staging/repo.yaml": repository,
        "overlays/staging/kustomization.yaml": "namespace: podinfo-staging\nresources: [../../apps/podinfo]\n",
        "apps/podinfo/kustomization.yaml": "resources: [namespace.yaml, release.yaml]\n",
        "apps/podinfo/namespace.yaml": NAMESPACE.format("podinfo"),
        "apps/podinfo/release.yaml": release,
    }, path="./clusters/prod")
    init_repo(repo)
    errors = [p.rule for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR]
    assert errors == ["build"], errors


def test_a_base_helm_repository_each_clusters_overlay_renames_is_used_in_both(tmp_path, cache):
    """Each cluster's overlay gives the base's HelmRepository its own namePrefix, and its
    HelmRelease names it so: used in both clusters (it was "unused" by one build's name)."""
    repository = ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: podinfo\n"
                  "  namespace: podinfo\nspec:\n  interval: 1h\n  url: https://stefanprodan.github.io/podinfo\n")
    files = {"apps/base/kustomization.yaml": "resources: [repository.yaml]\n", "apps/base/repository.yaml": repository}
    for cluster in ("prod", "stage"):
        files.update({
            f"clusters/{cluster}/apps.yaml": flux_ks("apps", f"./overlays/{cluster}"),
            f"clusters/{cluster}/namespace.yaml": NAMESPACE.format("podinfo"),
            f"overlays/{cluster}/kustomization.yaml": f"namePrefix: {cluster}-\nresources: [../../apps/base, release.yaml]\n",
            f"overlays/{cluster}/release.yaml": (
                "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: podinfo\n"
                "spec:\n  interval: 50m\n  chart:\n    spec:\n      chart: podinfo\n"
                f"      sourceRef: {{kind: HelmRepository, name: {cluster}-podinfo}}\n"),
        })
    files["clusters/stage/flux-system/gotk-sync.yaml"] = gotk_sync("./clusters/stage")
    files["clusters/stage/flux-system/kustomization.yaml"] = "resources: [gotk-sync.yaml]\n"
    repo = bootstrapped(tmp_path, files, path="./clusters/prod")
    init_repo(repo)
    found = [(p.rule, p.path) for p in check_repository(repo, cache_dir=cache).problems if p.rule.startswith("ref.")]
    assert found == [], found


@pytest.mark.parametrize("name", ["reader-prod", "reader-${CLUSTER}"])
def test_a_health_check_on_a_cluster_scoped_object_finds_it(tmp_path, cache, name):
    """A ClusterRole has no namespace; the health check's namespace defaults to the
    Kustomization's: it was "not applied", named plainly or by postBuild variables."""
    repo = bootstrapped(tmp_path, {
        "clusters/prod/apps.yaml": flux_ks("apps", "./apps/rbac") + (
            "  postBuild:\n    substitute:\n      CLUSTER: prod\n"
            "  healthChecks:\n    - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, name: reader-prod}\n"),
        "apps/rbac/clusterrole.yaml": ("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n"
                                       f"  name: {name}\nrules: []\n"),
    }, path="./clusters/prod")
    init_repo(repo)
    assert [p for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR] == []


def test_a_source_nothing_defines_is_not_said_to_be_out_of_reach(tmp_path, cache):
    """A Kustomization whose sourceRef names a GitRepository nothing defines: the note says
    so (it said "cannot be read offline", as of a remote one, beside the ref.source error);
    an OCIRepository the repository defines is one offline cannot read."""
    repo = bootstrapped(tmp_path, {
        "clusters/prod/web.yaml": flux_ks("web", "./apps/web", source="missing"),
        "clusters/prod/oci.yaml": flux_ks("oci", "./").replace("kind: GitRepository\n    name: flux-system",
                                                               "kind: OCIRepository\n    name: manifests") + "---\n"
                                  "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n"
                                  "  name: manifests\n  namespace: flux-system\nspec:\n  interval: 1h\n"
                                  "  url: oci://ghcr.io/example/manifests\n  ref: {tag: latest}\n",
    }, path="./clusters/prod")
    init_repo(repo)
    notes = [line for line in check_repository(repo, cache_dir=cache).note_lines() if "not followed" in line]
    assert any(line.startswith("note: not followed: GitRepository flux-system/missing, ") and
               "no file of this repository defines it" in line for line in notes), notes
    assert any(line.startswith("note: not followed: OCIRepository flux-system/manifests, ") and
               "it cannot be read offline" in line for line in notes), notes


PREFIXED_APP = {
    "apps/podinfo/namespace.yaml": NAMESPACE.format("podinfo"),
    "apps/podinfo/repository.yaml": ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n"
                                     "  name: podinfo\n  namespace: podinfo\nspec:\n  interval: 1h\n"
                                     "  url: https://stefanprodan.github.io/podinfo\n"),
    "apps/podinfo/release.yaml": (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: podinfo\n"
        "spec:\n  interval: 50m\n  chart:\n    spec:\n      chart: podinfo\n"
        "      sourceRef: {kind: HelmRepository, name: home-podinfo}\n"
        "  valuesFrom: [{kind: ConfigMap, name: home-values, valuesKey: values.yaml}]\n"),
    "apps/podinfo/values.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: values\n"
                                 "  namespace: podinfo\ndata:\n  values.yaml: 'replicaCount: 2'\n"),
}


def test_names_a_prefix_gives_in_the_build_are_what_references_name(tmp_path, cache):
    """A namePrefix (the folder's, or the Kustomization's spec.namePrefix) renames what the
    build applies: a sourceRef, valuesFrom or health check naming the built name finds it
    (they were errors, and the HelmRepository unused), its keys are those of the built
    object; one naming the file's name is ref.renamed, as before."""
    kustomization = flux_ks("apps", "./apps/podinfo") + (
        "  healthChecks:\n    - {apiVersion: helm.toolkit.fluxcd.io/v2, kind: HelmRelease, name: home-podinfo, namespace: podinfo}\n")
    repo = bootstrapped(tmp_path, {
        **PREFIXED_APP, "clusters/prod/apps.yaml": kustomization,
        "apps/podinfo/kustomization.yaml": "namePrefix: home-\nresources: [namespace.yaml, repository.yaml, release.yaml, values.yaml]\n",
    }, path="./clusters/prod")
    init_repo(repo)

    def references() -> list:
        return [p for p in check_repository(repo, cache_dir=cache).problems if p.rule.startswith("ref.") or p.severity == ERROR]

    assert references() == []
    # The same prefix from the Flux Kustomization's spec instead of the folder's file.
    apply(repo, {"apps/podinfo/kustomization.yaml": "resources: [namespace.yaml, repository.yaml, release.yaml, values.yaml]\n",
                 "clusters/prod/apps.yaml": kustomization.replace("  healthChecks:", "  namePrefix: home-\n  healthChecks:")})
    assert references() == []
    apply(repo, {"apps/podinfo/release.yaml": PREFIXED_APP["apps/podinfo/release.yaml"].replace("values.yaml}", "other.yaml}")})
    problems = references()
    assert [p.rule for p in problems] == ["ref.values"], problems
    assert problems[0].message.endswith("valuesFrom ConfigMap podinfo/home-values has no key 'other.yaml' (it has: values.yaml)")


def test_a_provider_a_prefix_renames_is_found_by_its_built_name(tmp_path, cache):
    """An Alert's providerRef naming the Provider as the folder's namePrefix builds it finds
    it (it was ref.provider); one naming the file's name, like its eventSources, a sourceRef
    or a chartRef naming the file's, is ref.renamed: kustomize does not rewrite references
    inside Flux's own kinds (the rule covered valuesFrom and healthChecks only)."""
    alert = ALERT.replace("name: chat", "name: home-chat").replace("kind: HelmRelease\n      name: podinfo",
                                                                    "kind: HelmRelease\n      name: home-podinfo")
    assert "name: home-podinfo" in alert
    repo = bootstrapped(tmp_path, {
        **PREFIXED_APP, "clusters/prod/apps.yaml": flux_ks("apps", "./apps/podinfo"),
        "apps/podinfo/alert.yaml": alert, "apps/podinfo/provider.yaml": PROVIDER,
        "apps/podinfo/kustomization.yaml": "namePrefix: home-\nresources: [namespace.yaml, repository.yaml, release.yaml, "
                                           "values.yaml, alert.yaml, provider.yaml]\n",
    }, path="./clusters/prod")
    init_repo(repo)

    def references() -> list:
        return [(p.rule, p.path, p.line, p.message) for p in check_repository(repo, cache_dir=cache).problems
                if p.rule.startswith("ref.")]

    assert references() == []
    # The names the files give: nothing the cluster applies has them.
    release = PREFIXED_APP["apps/podinfo/release.yaml"]
    apply(repo, {"apps/podinfo/alert.yaml": ALERT, "apps/podinfo/release.yaml": release.replace("name: home-podinfo}", "name: podinfo}")})
    assert references() == [
        ("ref.renamed", "apps/podinfo/alert.yaml", line_of(repo, "apps/podinfo/alert.yaml", "name: chat"), "Alert podinfo/home-podinfo: providerRef names Provider podinfo/chat, which the "
         "build names home-chat (a namePrefix or nameSuffix); nothing is applied under the name it gives (kustomize renames no "
         "reference inside Flux's kinds): name it as built, or drop the prefix or suffix"),
        ("ref.renamed", "apps/podinfo/alert.yaml", line_of(repo, "apps/podinfo/alert.yaml", "^      name: podinfo"), "Alert "
         "podinfo/home-podinfo: eventSources names HelmRelease podinfo/podinfo, which the build names home-podinfo (a "
         "namePrefix or nameSuffix); nothing is applied under the name it gives (kustomize renames no reference inside "
         "Flux's kinds): name it as built, or drop the prefix or suffix"),
        ("ref.renamed", "apps/podinfo/release.yaml", line_of(repo, "apps/podinfo/release.yaml", "sourceRef"), "HelmRelease podinfo/home-podinfo: chart.spec.sourceRef names "
         "HelmRepository podinfo/podinfo, which the build names home-podinfo (a namePrefix or nameSuffix); nothing is applied "
         "under the name it gives (kustomize renames no reference inside Flux's kinds): name it as built, or drop the prefix "
         "or suffix"),
    ]
    # A chartRef (an OCIRepository of the folder), the same.
    apply(repo, {"apps/podinfo/alert.yaml": alert, "apps/podinfo/release.yaml": release.replace(
        "  chart:\n    spec:\n      chart: podinfo\n      sourceRef: {kind: HelmRepository, name: home-podinfo}\n",
        "  chartRef: {kind: OCIRepository, name: podinfo}\n"),
        "apps/podinfo/repository.yaml": ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n"
                                         "  name: podinfo\n  namespace: podinfo\nspec:\n  interval: 1h\n"
                                         "  url: oci://ghcr.io/stefanprodan/charts/podinfo\n  ref: {tag: 6.5.0}\n")})
    assert [(rule, path, message.partition(", which")[0]) for rule, path, _, message in references()] == [
        ("ref.renamed", "apps/podinfo/release.yaml", "HelmRelease podinfo/home-podinfo: chartRef names OCIRepository podinfo/podinfo")]


def test_a_components_generator_makes_what_a_helm_release_names(tmp_path, cache):
    """A ConfigMap a component's configMapGenerator makes (no applied folder holds the
    generator) exists once built: its keys are checked; one made with the hash kustomize
    adds is named as built."""
    files = {key: value for key, value in PREFIXED_APP.items() if key != "apps/podinfo/values.yaml"}
    files["apps/podinfo/release.yaml"] = files["apps/podinfo/release.yaml"].replace("home-", "")
    component = ("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nconfigMapGenerator:\n"
                 "  - name: values\n    namespace: podinfo\n    files: [values.yaml=podinfo-values.yaml]\n"
                 "    options: {disableNameSuffixHash: true}\n")
    repo = bootstrapped(tmp_path, {
        **files, "clusters/prod/apps.yaml": flux_ks("apps", "./apps/podinfo", extra="  components: [../../components/values]\n"),
        "apps/podinfo/kustomization.yaml": "resources: [namespace.yaml, repository.yaml, release.yaml]\n",
        "components/values/kustomization.yaml": component,
        "components/values/podinfo-values.yaml": "replicaCount: 2\n",
    }, path="./clusters/prod")
    init_repo(repo)
    assert [p for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR] == []
    apply(repo, {"components/values/kustomization.yaml": component.replace("values.yaml=podinfo-values.yaml", "podinfo-values.yaml")})
    errors = [p.message for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR]
    assert len(errors) == 1 and errors[0].endswith("has no key 'values.yaml' (it has: podinfo-values.yaml)"), errors
    apply(repo, {"components/values/kustomization.yaml": component.replace("    options: {disableNameSuffixHash: true}\n", "")})
    errors = [p.message for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR]
    assert len(errors) == 1 and "a generator the build runs (a component's) makes it as values-" in errors[0], errors
    # A ConfigMap of a file whose name looks so (values-production) is no generator's.
    apply(repo, {"components/values/kustomization.yaml": component.replace("  - name: values\n", "  - name: other\n"),
                 "apps/podinfo/kustomization.yaml": "resources: [namespace.yaml, repository.yaml, release.yaml, cm.yaml]\n",
                 "apps/podinfo/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: values-production\n"
                                         "  namespace: podinfo\ndata:\n  values.yaml: 'a: 1'\n"})
    errors = [p.message for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR]
    assert len(errors) == 1 and errors[0].endswith("valuesFrom ConfigMap podinfo/values: this repository does not define it"), errors


@pytest.mark.parametrize(("values", "said"), [
    ("- replicaCount: 2\n", "holds a list, not a mapping of values"),
    ("replicaCount: [2\n", "is not YAML"),
])
def test_values_a_generator_makes_are_read_as_helm_reads_them(tmp_path, cache, values, said):
    """Values from a configMapGenerator's file (flux2-kustomize-helm-example's and home-ops'
    way): helm-controller fails on a list or broken YAML there; check said nothing (no
    document holds the ConfigMap). Told at the generator's entry."""
    files = {key: value for key, value in PREFIXED_APP.items() if key != "apps/podinfo/values.yaml"}
    files["apps/podinfo/release.yaml"] = files["apps/podinfo/release.yaml"].replace("home-", "")
    repo = bootstrapped(tmp_path, {
        **files, "clusters/prod/apps.yaml": flux_ks("apps", "./apps/podinfo"),
        "apps/podinfo/kustomization.yaml": ("resources: [namespace.yaml, repository.yaml, release.yaml]\n"
                                            "configMapGenerator:\n  - name: values\n    namespace: podinfo\n"
                                            "    files: [values.yaml=podinfo-values.yaml]\n"
                                            "    options: {disableNameSuffixHash: true}\n"),
        "apps/podinfo/podinfo-values.yaml": values,
    }, path="./clusters/prod")
    init_repo(repo)
    errors = [p for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR]
    assert [(p.rule, p.path, p.line) for p in errors] == [("values.parse", "apps/podinfo/kustomization.yaml", 3)], errors
    assert f"ConfigMap podinfo/values key 'values.yaml' as the build of apps/podinfo gives it {said}" in errors[0].message


@pytest.mark.parametrize(("replicas", "errors"), [("3", []), ("abc", ["values.schema"])])
def test_values_a_generator_makes_are_judged_as_postbuild_fills_them_in(tmp_path, cache, replicas, errors):
    """kustomize-controller substitutes a generated values ConfigMap after the build:
    `replicaCount: ${REPLICAS}` is judged with the Kustomization's inline value."""
    files = {key: value for key, value in PREFIXED_APP.items() if key != "apps/podinfo/values.yaml"}
    files["apps/podinfo/release.yaml"] = files["apps/podinfo/release.yaml"].replace("home-", "")
    repo = bootstrapped(tmp_path, {
        **files,
        "clusters/prod/apps.yaml": flux_ks("apps", "./apps/podinfo") + f"  postBuild:\n    substitute:\n      REPLICAS: '{replicas}'\n",
        "apps/podinfo/kustomization.yaml": ("resources: [namespace.yaml, repository.yaml, release.yaml]\n"
                                            "configMapGenerator:\n  - name: values\n    namespace: podinfo\n"
                                            "    files: [values.yaml=podinfo-values.yaml]\n"
                                            "    options: {disableNameSuffixHash: true}\n"),
        "apps/podinfo/podinfo-values.yaml": "replicaCount: ${REPLICAS}\n",
    }, path="./clusters/prod")
    init_repo(repo)
    assert [p.rule for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR] == errors


def test_a_secret_generated_from_a_sops_encrypted_dotenv_needs_decryption(tmp_path, cache):
    """kustomize-controller decrypts a generator's SOPS-encrypted source only with
    spec.decryption; without, the Secret holds the encrypted text (the API server takes it)."""
    dotenv = ("password=ENC[AES256_GCM,data:pV3r3w==,iv:ZmFrZWl2ZmFrZWl2ZmFrZQ==,tag:ZmFrZXRhZ2Zha2V0YWcxMg==,type:str]\n"
              "sops_lastmodified=2024-01-01T00:00:00Z\n"
              "sops_mac=ENC[AES256_GCM,data:ZmFrZQ==,iv:ZmFrZWl2ZmFrZWl2ZmFrZQ==,tag:ZmFrZXRhZ2Zha2V0YWcxMg==,type:str]\n"
              "sops_version=3.8.1\n")
    kustomization = flux_ks("sec", "./apps/sec")
    repo = bootstrapped(tmp_path, {
        "clusters/prod/sec.yaml": kustomization,
        "apps/sec/creds.enc.env": dotenv,
        "apps/sec/kustomization.yaml": "namespace: default\nsecretGenerator:\n  - name: creds\n    envs: [creds.enc.env]\n",
    }, path="./clusters/prod")
    init_repo(repo)
    errors = [p for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR]
    assert [(p.rule, p.path, p.line) for p in errors] == [("schema.sops-not-decrypted", "apps/sec/kustomization.yaml", 3)], errors
    assert "is generated from a SOPS-encrypted file" in errors[0].message
    apply(repo, {"clusters/prod/sec.yaml": kustomization + "  decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n"})
    assert [p for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR] == []


def test_a_sealed_secret_whose_values_pass_what_a_secret_may_hold_is_an_error(repo, cache, public_key):
    """Two values of 600 kB: the controller could never make the Secret (1 MiB at most),
    which the sealed form's lengths tell offline."""
    from flux_cookbook.seal import sealing

    def sealed(*values: bytes) -> str:
        entries = "".join(f"    {key}: {sealing.seal_value(public_key, value, 'podinfo', 'big', sealing.STRICT)}\n"
                          for key, value in zip("ab", values))
        return (f"apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: big\n  namespace: podinfo\n"
                f"spec:\n  encryptedData:\n{entries}")

    def sizes() -> list:
        return [(p.path, p.message) for p in check_repository(repo, cache_dir=cache).problems if p.rule == "schema.size"]

    apply(repo, {"podinfo/sealedsecret-big.yaml": sealed(b"x" * 600_000, b"y" * 400_000)})
    assert sizes() == []
    apply(repo, {"podinfo/sealedsecret-big.yaml": sealed(b"x" * 600_000, b"y" * 600_000)})
    assert sizes() == [("podinfo/sealedsecret-big.yaml", "SealedSecret podinfo/big holds 1200000 bytes of values, more than "
                        "the 1048576 (1 MiB) a Secret may hold: the controller can never make its Secret. Seal them "
                        "into several SealedSecrets")]


def test_a_path_sourceignore_leaves_out_says_so_not_that_it_is_a_typo_of_itself(tmp_path, cache):
    repo = bootstrapped(tmp_path, {
        "clusters/prod/apps.yaml": flux_ks("apps", "./apps/podinfo"),
        "apps/podinfo/namespace.yaml": NAMESPACE.format("podinfo"),
        ".sourceignore": "apps/podinfo/\n",
    }, path="./clusters/prod")
    init_repo(repo)
    builds = [p.message for p in check_repository(repo, cache_dir=cache).problems if p.rule == "build"]
    assert builds == ["Kustomization flux-system/apps (path apps/podinfo) does not build: path not found; the repository "
                      "has it, but .sourceignore leaves it out of what Flux fetches"]


def test_a_secret_generated_from_a_binary_file_is_no_sops_file(tmp_path, cache):
    """A secretGenerator of a keystore's bytes (no UTF-8): nothing to decrypt, nothing said,
    and the rest of the check goes on (the SOPS check reads generated files as text)."""
    repo = bootstrapped(tmp_path, {
        "clusters/prod/sec.yaml": flux_ks("sec", "./apps/sec"),
        "apps/sec/kustomization.yaml": "namespace: default\nsecretGenerator:\n  - name: keystore\n    files: [keystore.p12]\n",
    }, path="./clusters/prod")
    (repo / "apps/sec/keystore.p12").write_bytes(bytes.fromhex("fe ed fe ed 00 00 00 02 ff 80"))
    init_repo(repo)
    assert [p for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR] == []


def test_a_health_check_on_what_a_base_folders_helm_release_makes_is_a_warning(tmp_path, cache):
    """The path builds the HelmRelease of a base folder (`resources: [../base]`): a health
    check on the Deployment it makes cannot be verified offline, as for a HelmRelease in the
    folder itself, and names that release (it was an error: "neither apps/prod/ nor any other
    Kustomization of this repository applies"). One in another namespace is not its making."""
    kustomization = flux_ks("apps", "./apps/prod") + (
        "  healthChecks:\n    - {apiVersion: apps/v1, kind: Deployment, name: podinfo, namespace: podinfo}\n"
        "    - {apiVersion: apps/v1, kind: Deployment, name: podinfo, namespace: other}\n")
    repo = bootstrapped(tmp_path, {
        "clusters/prod/apps.yaml": kustomization,
        "apps/base/kustomization.yaml": "resources: [namespace.yaml, release.yaml, repository.yaml]\n",
        "apps/base/namespace.yaml": NAMESPACE.format("podinfo"),
        "apps/base/repository.yaml": ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n"
                                      "  name: podinfo\n  namespace: podinfo\nspec:\n  interval: 1h\n"
                                      "  url: https://stefanprodan.github.io/podinfo\n"),
        "apps/base/release.yaml": (
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: podinfo\n"
            "spec:\n  interval: 50m\n  chart:\n    spec:\n      chart: podinfo\n"
            "      sourceRef: {kind: HelmRepository, name: podinfo}\n"),
        "apps/prod/kustomization.yaml": "resources: [../base]\n",
    }, path="./clusters/prod")
    init_repo(repo)
    found = [(p.rule, p.severity, p.message.rpartition(";")[2].strip()) for p in check_repository(repo, cache_dir=cache).problems
             if p.rule == "ref.health-check"]
    assert found == [("ref.health-check", WARNING, "HelmRelease podinfo/podinfo may make it"),
                     ("ref.health-check", WARNING, "no HelmRelease of apps/prod/ installs into other")], found


def test_a_base_two_clusters_build_is_checked_in_each(tmp_path, cache):
    """Production's and staging's overlays both build apps/base; only production defines the
    ConfigMap the base HelmRelease takes values from: staging lacks it, whichever cluster
    the base was read for first."""
    release = ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\n  namespace: web\n"
               "spec:\n  interval: 1h\n  chart:\n    spec:\n      chart: web\n"
               "      sourceRef: {kind: HelmRepository, name: charts, namespace: web}\n"
               "  valuesFrom:\n    - kind: ConfigMap\n      name: web-values\n")
    repo = bootstrapped(tmp_path, {
        "clusters/staging/flux-system/gotk-sync.yaml": gotk_sync("./clusters/staging"),
        **{f"clusters/{name}/apps.yaml": flux_ks("apps", f"./apps/{name}") for name in ("production", "staging")},
        "apps/base/kustomization.yaml": "resources: [namespace.yaml, repository.yaml, release.yaml]\n",
        "apps/base/namespace.yaml": NAMESPACE.format("web"),
        "apps/base/repository.yaml": ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n"
                                      "  name: charts\n  namespace: web\nspec:\n  interval: 1h\n  url: https://charts.example.com\n"),
        "apps/base/release.yaml": release,
        "apps/production/kustomization.yaml": "resources: [../base, values.yaml]\n",
        "apps/production/values.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-values\n  namespace: web\n"
                                        "data:\n  values.yaml: |\n    replicaCount: 2\n"),
        "apps/staging/kustomization.yaml": "resources: [../base]\n",
    }, path="./clusters/production")
    init_repo(repo)
    errors = [(p.rule, p.path, p.line, p.message.split(": ")[-1]) for p in check_repository(repo, cache_dir=cache).problems
              if p.severity == ERROR]
    assert errors == [("ref.values", "apps/base/release.yaml", 14, "the cluster clusters/staging/ does not apply it")], errors


def test_values_are_judged_as_the_overlay_gives_them_to_helm(repo, cache):
    """production/ builds podinfo/ and patches the HelmRelease's values: what Helm gets is
    the patched release, its values merged over the ConfigMap's. A value only the patch
    breaks is refused; one the base breaks and the patch mends is not."""
    def overlay(replicas: str) -> dict:
        return {
            "podinfo/kustomization.yaml": PODINFO_KUSTOMIZATION,
            "production/kustomization.yaml": (
                "resources: [../podinfo]\npatches:\n  - patch: |\n      apiVersion: helm.toolkit.fluxcd.io/v2\n"
                "      kind: HelmRelease\n      metadata: {name: podinfo, namespace: podinfo}\n"
                f"      spec:\n        values:\n          replicaCount: {replicas}\n"),
        }
    apply(repo, {KUST: Replace("  path: podinfo", "  path: ./production"), **overlay("two")})
    schema = [(p.path, p.line, p.message) for p in check_repository(repo, cache_dir=cache).problems if p.rule == "values.schema"]
    assert [(path, line) for path, line, _ in schema] == [(HR, 1)], schema  # the patch is no document: the release's
    assert "replicaCount: 'two' is not of type 'integer'" in schema[0][2]
    apply(repo, {CM: Replace("replicaCount: 1", "replicaCount: two"), **overlay("2")})
    report = check_repository(repo, cache_dir=cache)
    assert [p for p in report.problems if p.rule.startswith("values")] == [], "\n".join(map(str, report.problems))
    # The overlay's patch of the values ConfigMap: judged too, told at the ConfigMap's key.
    apply(repo, {CM: Replace("replicaCount: two", "replicaCount: 1"), "production/kustomization.yaml": (
        "resources: [../podinfo]\npatches:\n  - patch: |\n      apiVersion: v1\n      kind: ConfigMap\n"
        "      metadata: {name: podinfo-helm-chart-value-overrides, namespace: podinfo}\n"
        "      data:\n        values.yaml: |\n          replicaCount: three\n")})
    schema = [(p.path, p.line) for p in check_repository(repo, cache_dir=cache).problems if p.rule == "values.schema"]
    assert schema == [(CM, line_of(repo, CM, "^  values.yaml:"))], schema
    # ... and one that makes them unreadable: told there too.
    apply(repo, {"production/kustomization.yaml": Replace("replicaCount: three", "replicaCount: [three")})
    parse = [(p.path, p.line, p.message) for p in check_repository(repo, cache_dir=cache).problems if p.rule == "values.parse"]
    assert [(path, line) for path, line, _ in parse] == [(CM, line_of(repo, CM, "^  values.yaml:"))], parse
    assert "key 'values.yaml' as the build of production gives it is not YAML" in parse[0][2]


def test_a_key_twice_in_a_values_configmap_names_both_lines_of_the_file(repo, cache):
    """The values' text is a block in the ConfigMap: the line of its first time is the
    file's line too, not the line inside the values' text."""
    apply(repo, {CM: Replace("    replicaCount: 1\n", "    replicaCount: 1\n    logLevel: info\n    replicaCount: 2\n")})
    parse = [(p.line, p.message) for p in check_repository(repo, cache_dir=cache).problems if p.rule == "values.parse"]
    first, second = line_of(repo, CM, "^    replicaCount: 1"), line_of(repo, CM, "^    replicaCount: 2")
    assert [line for line, _ in parse] == [second], parse
    assert f"duplicate key 'replicaCount' (first at line {first})" in parse[0][1], parse


def test_a_receiver_may_name_what_the_build_or_helm_controller_names(repo, cache):
    """An overlay's namePrefix renames the HelmRelease: a Receiver names it as built. The
    HelmChart helm-controller makes for a HelmRelease (<namespace>-<name>) no file holds."""
    receiver = ("apiVersion: notification.toolkit.fluxcd.io/v1\nkind: Receiver\nmetadata:\n  name: podinfo\n"
                "  namespace: podinfo\nspec:\n  type: generic\n  secretRef:\n    name: webhook-token\n  resources:\n"
                "    - kind: HelmRelease\n      name: prod-podinfo\n"
                "    - kind: HelmChart\n      name: podinfo-podinfo\n      namespace: flux-system\n")
    apply(repo, {KUST: Replace("  path: podinfo", "  path: ./production"),
                 "podinfo/kustomization.yaml": PODINFO_KUSTOMIZATION,
                 "production/kustomization.yaml": "namePrefix: prod-\nresources: [../podinfo, receiver-podinfo.yaml]\n",
                 "production/receiver-podinfo.yaml": receiver})
    report = check_repository(repo, cache_dir=cache)
    assert [p for p in report.problems if p.rule == "ref.receiver"] == [], "\n".join(map(str, report.problems))
    # An object built with no namespace is applied in `default`, where the Receiver looks.
    apply(repo, {"bootstrap/kustomizations/kustomization-extra.yaml": flux_ks("extra", "./extra"),
                 "extra/kustomization.yaml": "namePrefix: prod-\nresources: [release.yaml, receiver.yaml]\n",
                 "extra/release.yaml": (repo / HR).read_text().replace("  namespace: podinfo\n", "", 1),
                 "extra/receiver.yaml": receiver.replace("  namespace: podinfo\n", "", 1).replace(
                     "    - kind: HelmChart\n      name: podinfo-podinfo\n      namespace: flux-system\n", "")})
    report = check_repository(repo, cache_dir=cache)
    assert [p for p in report.problems if p.rule == "ref.receiver"] == [], "\n".join(map(str, report.problems))
    apply(repo, {"bootstrap/kustomizations/kustomization-extra.yaml": None, "extra/kustomization.yaml": None,
                 "extra/release.yaml": None, "extra/receiver.yaml": None})
    apply(repo, {"production/receiver-podinfo.yaml": Replace("name: prod-podinfo", "name: podinfo-prod")})
    report = check_repository(repo, cache_dir=cache)
    assert [p.message.split(": ", 1)[1] for p in report.problems if p.rule == "ref.receiver"] == [
        "resource HelmRelease podinfo/podinfo-prod, which this repository does not define: a call of this webhook "
        "finds nothing to reconcile"], report.problems


def test_names_postbuild_fills_in_are_not_looked_up(repo, cache):
    """A reference or an object named by ${...} variables is known on the cluster only:
    neither the references nor the health check that meet them are errors."""
    apply(repo, {
        KUST: Replace("  prune: true", "  postBuild:\n    substitute:\n      APP: podinfo\n      NS: podinfo\n  prune: true"),
        HR: Replace("        kind: HelmRepository\n        name: podinfo\n", "        kind: HelmRepository\n        name: ${APP}\n"),
        CM: Replace("  namespace: podinfo\n", "  namespace: ${NS}\n"),
    })
    apply(repo, {HR: Replace("      name: podinfo-helm-chart-value-overrides\n", "      name: ${APP}-helm-chart-value-overrides\n")})
    apply(repo, {HR: Replace("metadata:\n  name: podinfo\n  namespace: podinfo\n", "metadata:\n  name: podinfo\n  namespace: ${NS}\n")})
    report = check_repository(repo, cache_dir=cache)
    assert report.problems == (), "\n".join(map(str, report.problems))

def test_a_bootstrap_dir_outside_the_repository_is_named_as_the_answer_it_is(repo, cache):
    """Beside the build of the folder it names (which fails), the answer itself."""
    apply(repo, {".copier-answers.yml": Replace("bootstrap_dir: bootstrap", "bootstrap_dir: /etc")})
    report = check_repository(repo, cache_dir=cache)
    named = [p for p in report.problems if p.rule == "convention.answers"]
    assert [(p.path, p.line) for p in named] == [(".copier-answers.yml", line_of(repo, ".copier-answers.yml", "bootstrap_dir"))]
    assert "bootstrap_dir '/etc' must be a relative folder path" in named[0].message


def test_two_kustomizations_of_one_cluster_applying_one_folder_apply_each_object_twice(repo, cache):
    again = (repo / KUST).read_text().replace("name: podinfo\n  namespace: flux-system", "name: podinfo-again\n  namespace: flux-system", 1)
    assert again != (repo / KUST).read_text()
    apply(repo, {"bootstrap/kustomizations/kustomization-podinfo-again.yaml": again})
    report = check_repository(repo, cache_dir=cache)
    assert sorted((p.rule, p.path) for p in report.problems) == [("build.applied-twice", CM), ("build.applied-twice", HR)], \
        "\n".join(map(str, report.problems))
    assert "flux-system/podinfo (path podinfo) and flux-system/podinfo-again (path podinfo)" in report.problems[0].message


def test_one_folder_applied_with_the_same_postbuild_values_applies_each_object_twice(repo, cache):
    """Substituted alike, tenant-a's and tenant-b's ConfigMap are one, as is the one without
    variables; one substituteFrom fills in is known on the cluster only: not called the same."""
    tenant = "bootstrap/kustomizations/kustomization-tenant-{}.yaml"
    apply(repo, {**{tenant.format(t): flux_ks(f"tenant-{t}", "./tenant", extra=TENANT.format("a")) for t in "abc"},
                 "tenant/configmap-settings-${TENANT}.yaml": CONFIGMAP.replace("name: extra", "name: settings-${TENANT}")})
    apply(repo, {tenant.format("c"): Replace("    substitute:\n      TENANT: a\n",
                                             "    substituteFrom:\n      - {kind: ConfigMap, name: vars, optional: true}\n")})
    report = check_repository(repo, cache_dir=cache)
    errors = [p for p in report.problems if p.severity == ERROR]
    assert [(p.rule, p.path) for p in errors] == [("build.applied-twice", "tenant/configmap-settings-${TENANT}.yaml")], \
        "\n".join(map(str, report.problems))
    assert "ConfigMap podinfo/settings-a is applied by two Flux Kustomizations of one cluster: flux-system/tenant-a " \
           "(path tenant) and flux-system/tenant-b (path tenant)" in errors[0].message


def test_helm_releases_are_told_apart_as_postbuild_fills_in_their_names(repo, cache):
    """tenant-a's web-a and tenant-b's web-b, made from one file, are two HelmReleases that
    make one Helm release, `web` in podinfo: each upgrades the other's. Their names as written
    are one, so they are told apart by the names postBuild gives them."""
    tenant = "bootstrap/kustomizations/kustomization-tenant-{}.yaml"
    release = (repo / HR).read_text().replace("name: podinfo\n  namespace: podinfo", "name: web-${TENANT}\n  namespace: podinfo", 1)
    release = release.replace("releaseName: podinfo", "releaseName: web")
    assert "web-${TENANT}" in release and "releaseName: web\n" in release
    apply(repo, {**{tenant.format(t): flux_ks(f"tenant-{t}", "./tenant", extra=TENANT.format(t)) for t in "ab"},
                 "tenant/helmrelease-web.yaml": release})
    report = check_repository(repo, cache_dir=cache)
    shared = [p for p in report.problems if p.rule == "build.helm-release-shared"]
    assert [(p.path, p.severity) for p in shared] == [("tenant/helmrelease-web.yaml", ERROR)], \
        "\n".join(map(str, report.problems))
    assert "HelmRelease podinfo/web-b makes Helm release web in namespace podinfo, as HelmRelease podinfo/web-a" \
        in shared[0].message


def test_each_cluster_of_a_repository_needs_what_its_objects_name(repo, cache):
    """staging applies podinfo's folder too, but not the bootstrap folder holding its
    HelmRepository and namespace: the cluster that lacks them is named, not passed because
    another cluster of the repository has them."""
    podinfo = (repo / KUST).read_text()
    apply(repo, {"bootstrap/flux-system/gotk-sync.yaml": GOTK_SYNC, "bootstrap/flux-system/gotk-components.yaml": GOTK_COMPONENTS,
                 "bootstrap/flux-system/kustomization.yaml": FLUX_SYSTEM_FILES,
                 "clusters/staging/flux-system/gotk-sync.yaml": gotk_sync("./clusters/staging"),
                 "clusters/staging/flux-system/gotk-components.yaml": GOTK_COMPONENTS,
                 "clusters/staging/flux-system/kustomization.yaml": FLUX_SYSTEM_FILES,
                 "clusters/staging/kustomization-podinfo.yaml": podinfo,
                 "podinfo/sealedsecret-db.yaml": SEALED_SECRET})
    report = check_repository(repo, cache_dir=cache)
    errors = {(p.rule, p.path): p.message for p in report.problems if p.severity == ERROR}
    assert "which the cluster clusters/staging/ does not apply" in errors["ref.source", HR], errors
    assert "Declare the namespace in clusters/staging/namespaces/namespace-podinfo.yaml" in errors["ref.namespace", HR]
    assert {rule for rule, _ in errors} == {"ref.source", "ref.namespace"}, errors
    # The controller the bootstrap folder's cluster installs is not staging's.
    warnings = [p for p in report.problems if p.severity == WARNING]
    assert [(p.rule, p.path) for p in warnings] == [("convention.sealed-secrets-controller", "podinfo/sealedsecret-db.yaml")]
    assert "the cluster clusters/staging/ applying it installs no Sealed Secrets controller" in warnings[0].message
    # Not `flux-cookbook add`, which refuses an app the repository has (the other cluster's).
    assert "install the controller there as bootstrap/kustomizations/kustomization-sealed-secrets.yaml does for another cluster" \
        in warnings[0].message, warnings[0].message
    # A path of the other cluster that does not build leaves staging judged all the same.
    apply(repo, {"bootstrap/kustomizations/kustomization-broken.yaml": flux_ks("broken", "./does-not-exist")})
    errors = {(p.rule, p.path) for p in check_repository(repo, cache_dir=cache).problems if p.severity == ERROR}
    assert ("ref.namespace", HR) in errors and ("build", "bootstrap/kustomizations/kustomization-broken.yaml") in errors, errors


def test_a_sealed_secret_without_the_controller_app_is_advised_to_add_it(repo, cache):
    """The cookbook cluster has no Sealed Secrets app: `flux-cookbook add` makes it there."""
    shutil.rmtree(repo / "sealed-secrets")
    apply(repo, {"podinfo/sealedsecret-db.yaml": SEALED_SECRET, ".copier-answers.app-sealed-secrets.yml": None,
                 "bootstrap/kustomizations/kustomization-sealed-secrets.yaml": None,
                 "bootstrap/namespaces/namespace-sealed-secrets.yaml": None,
                 "bootstrap/helmrepositories/helmrepository-sealed-secrets.yaml": None})
    report = check_repository(repo, cache_dir=cache)
    assert [(p.rule, p.path) for p in report.problems] == [("convention.sealed-secrets-controller", "podinfo/sealedsecret-db.yaml")]
    assert "add it with `flux-cookbook add sealed-secrets --defaults`" in report.problems[0].message


OUTSIDE_TENANT = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: tenant
  namespace: flux-system
spec:
  interval: 1h
  url: https://git.example.invalid/tenant.git
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: tenant
  namespace: flux-system
spec:
  interval: 1h
  path: ./deploy
  prune: true
  targetNamespace: sealed-secrets
  sourceRef:
    kind: GitRepository
    name: tenant
"""


def test_what_an_app_removed_by_hand_leaves_behind_is_named(repo, cache):
    """README: to remove an app, delete its folder, its Kustomization and its answers file,
    and its Namespace and HelmRepository files when no other app uses them; `check` names
    those left. A Namespace something else still goes into is used."""
    shutil.rmtree(repo / "sealed-secrets")
    apply(repo, {".copier-answers.app-sealed-secrets.yml": None,
                 "bootstrap/kustomizations/kustomization-sealed-secrets.yaml": None,
                 "podinfo/configmap-extra.yaml": CONFIGMAP.replace("namespace: podinfo", "namespace: kube-system")})
    report = check_repository(repo, cache_dir=cache)
    assert [(p.rule, p.path, p.severity) for p in report.problems] == [
        ("ref.unused-source", "bootstrap/helmrepositories/helmrepository-sealed-secrets.yaml", "warning"),
        ("ref.unused-namespace", "bootstrap/namespaces/namespace-sealed-secrets.yaml", "warning"),
    ], report.problems
    apply(repo, {"podinfo/configmap-extra.yaml": CONFIGMAP.replace("namespace: podinfo", "namespace: sealed-secrets")})
    report = check_repository(repo, cache_dir=cache)
    assert [p.rule for p in report.problems] == ["ref.unused-source"]
    # A tenant's Kustomization applies its own repository into the namespace: used too.
    apply(repo, {"podinfo/configmap-extra.yaml": None, "bootstrap/kustomizations/kustomization-tenant.yaml": OUTSIDE_TENANT})
    report = check_repository(repo, cache_dir=cache)
    assert [p.rule for p in report.problems if p.rule.startswith("ref.unused")] == ["ref.unused-source"]
    # A HelmRepository postBuild names (${REPO}) may be any: none is judged unused.
    release = (repo / "podinfo/helmrelease-podinfo.yaml").read_text()
    apply(repo, {"podinfo/helmrelease-podinfo.yaml": release.replace("name: podinfo\n        namespace: flux-system",
                                                                      "name: ${REPO:=podinfo}\n        namespace: flux-system")})
    assert "${REPO:=podinfo}" in (repo / "podinfo/helmrelease-podinfo.yaml").read_text()
    report = check_repository(repo, cache_dir=cache)
    assert [p.rule for p in report.problems if p.rule.startswith("ref.unused")] == []


def test_what_one_cluster_applies_and_only_another_uses_is_named(repo, cache):
    """staging has its own HelmRepository and Namespace for podinfo but no podinfo app:
    the other cluster's HelmRelease uses its own, so staging's are named, and a file both
    clusters apply, used by one of them, is not."""
    podinfo_repository = (repo / "bootstrap/helmrepositories/helmrepository-podinfo.yaml").read_text()
    apply(repo, {"bootstrap/flux-system/gotk-sync.yaml": GOTK_SYNC, "bootstrap/flux-system/gotk-components.yaml": GOTK_COMPONENTS,
                 "bootstrap/flux-system/kustomization.yaml": FLUX_SYSTEM_FILES,
                 "clusters/staging/flux-system/gotk-sync.yaml": gotk_sync("./clusters/staging"),
                 "clusters/staging/flux-system/gotk-components.yaml": GOTK_COMPONENTS,
                 "clusters/staging/flux-system/kustomization.yaml": FLUX_SYSTEM_FILES,
                 "clusters/staging/helmrepository-podinfo.yaml": podinfo_repository,
                 "clusters/staging/namespace-podinfo.yaml": NAMESPACE.format("podinfo")})
    report = check_repository(repo, cache_dir=cache)
    unused = [(p.rule, p.path) for p in report.problems if p.rule.startswith("ref.unused")]
    assert unused == [("ref.unused-source", "clusters/staging/helmrepository-podinfo.yaml"),
                      ("ref.unused-namespace", "clusters/staging/namespace-podinfo.yaml")], report.problems
    assert "no HelmRelease or HelmChart of the clusters that apply it uses it" in report.problems[0].message
    # Both clusters apply podinfo's folder now: what it uses in either is used.
    apply(repo, {"clusters/staging/kustomization-podinfo.yaml": (repo / KUST).read_text()})
    report = check_repository(repo, cache_dir=cache)
    assert [p.rule for p in report.problems if p.rule.startswith("ref.unused")] == [], report.problems


def test_a_helm_repository_a_release_uses_in_the_default_namespace_is_used(repo, cache):
    """Neither names a namespace: both are applied in `default`, where the release's
    sourceRef (no namespace: its own) finds the repository."""
    apply(repo, {"bootstrap/kustomizations/kustomization-extra.yaml": flux_ks("extra", "./extra"),
                 "extra/helmrepository-charts.yaml": ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\n"
                                                      "metadata:\n  name: charts\nspec:\n  interval: 1h\n"
                                                      "  url: https://charts.example.com\n"),
                 "extra/helmrelease-web.yaml": ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n"
                                                "  name: web\nspec:\n  interval: 1h\n  chart:\n    spec:\n"
                                                "      chart: web\n      sourceRef: {kind: HelmRepository, name: charts}\n")})
    report = check_repository(repo, cache_dir=cache)
    assert [p for p in report.problems if p.rule == "ref.unused-source"] == [], "\n".join(map(str, report.problems))


def test_a_file_listed_only_by_a_kustomization_file_no_build_reads_is_named(repo, cache):
    """podinfo/extra/ has a kustomization file of its own, but podinfo's names no folder
    extra: that file is never read, and what it lists is never applied."""
    apply(repo, {"podinfo/kustomization.yaml": PODINFO_KUSTOMIZATION,
                 "podinfo/extra/kustomization.yaml": "resources:\n  - configmap-extra.yaml\n",
                 "podinfo/extra/configmap-extra.yaml": CONFIGMAP})
    report = check_repository(repo, cache_dir=cache)
    assert [(p.rule, p.path) for p in report.problems] == [("build.not-listed", "podinfo/extra/configmap-extra.yaml")]
    assert report.problems[0].message.startswith("Flux does not apply this file: podinfo/kustomization.yaml lists")


@pytest.mark.parametrize("empty", ["", "---\n", "{}\n"])
def test_an_empty_kustomization_file_applies_none_of_the_files_beside_it(repo, cache, empty):
    """Flux's generator builds nothing of a Kustomization's path whose kustomization file is
    empty: the files beside it are named (they were taken as read, as beside a file that
    does not parse). Below the path, kustomize refuses an empty one: the build error alone."""
    apply(repo, {"podinfo/kustomization.yaml": empty, "podinfo/configmap-extra.yaml": CONFIGMAP})
    report = check_repository(repo, cache_dir=cache)
    named = {(p.rule, p.path) for p in report.problems}
    assert ("build.not-listed", "podinfo/configmap-extra.yaml") in named and "build" not in {rule for rule, _ in named}, \
        "\n".join(map(str, report.problems))
    apply(repo, {"podinfo/kustomization.yaml": None, "podinfo/extra/kustomization.yaml": empty,
                 "podinfo/configmap-extra.yaml": None, "podinfo/extra/configmap-extra.yaml": CONFIGMAP})
    assert [p.rule for p in check_repository(repo, cache_dir=cache).problems] == ["build"]


def test_a_file_no_build_reads_that_does_not_parse_hides_no_build_error(repo, cache):
    """web's kustomization.yaml names a file that is not there; beside it a notes file that
    is not YAML, which no build reads (a warning): the build error is still an error."""
    apply(repo, {"web/kustomization.yaml": "resources:\n  - helmrelease-web.yaml\n  - missing.yaml\n",
                 "web/notes.yaml": "foo: [\n"})
    report = check_repository(repo, cache_dir=cache)
    assert [(p.rule, p.path, p.severity) for p in report.problems] == [
        ("build", "web/kustomization.yaml", ERROR), ("yaml.parse", "web/notes.yaml", WARNING)], "\n".join(map(str, report.problems))


def test_a_file_its_folder_does_not_list_is_named_with_what_breaks(repo, cache):
    """A kustomization.yaml applies only what it lists: the values ConfigMap left out is not
    applied (the file's warning), and the HelmRelease then lacks its values (its error)."""
    apply(repo, {"podinfo/kustomization.yaml": "resources:\n  - helmrelease-podinfo.yaml\n"})
    report = check_repository(repo, cache_dir=cache)
    values = "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml"
    assert [(p.rule, p.path, p.line, p.severity) for p in report.problems] == [
        ("build.not-listed", values, 1, "warning"),
        ("ref.values", HR, line_of(repo, HR, "name: podinfo-helm-chart-value-overrides"), "error"),
    ], "\n".join(map(str, report.problems))
    assert "podinfo/kustomization.yaml lists what its folder's build applies, and names it nowhere" in report.problems[0].message


@pytest.mark.parametrize("case", CLEAN, ids=[case.id for case in CLEAN])
def test_variations_that_are_fine(repo, cache, case):
    apply(repo, case.edits)
    assert check_repository(repo, cache_dir=cache).problems == ()


def _cel_messages(schema) -> set[str]:
    if isinstance(schema, dict):
        found = {" ".join(rule["message"].split()) for rule in schema.get("x-kubernetes-validations", [])}
        return found.union(*(_cel_messages(value) for value in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_cel_messages(item) for item in schema))
    return set()


def test_the_catalogue_breaks_every_cel_rule():
    """Every x-kubernetes-validations rule of the Flux CRDs the check validates against has
    a case that breaks it (and whose problem quotes the rule's message)."""
    import yaml

    from flux_cookbook.check import schemas

    rules = set()
    for path in sorted(Path(schemas.DEFAULT_CRD_DIRS[0]).glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            rules |= _cel_messages(crd)
    assert len(rules) >= 13
    assert rules == {case.message for case in CASES if case.id.startswith("cel-")}


def test_each_cluster_is_checked_against_its_own_flux_release(tmp_path):
    """Two clusters of one repository, staging upgraded to Flux 2.9 first, production still
    on 2.6: a HelmRelease on helm.toolkit.fluxcd.io/v2beta1 (which 2.6 serves and 2.9
    removed) is an error where staging applies it, in its own folder and in the folder both
    clusters apply, and fine in production's."""
    from tests.fixtures.cookbook_shapes import helm_release, helm_repository
    from tests.support.flux_objects import flux_ks
    from tests.support.project import repo_with

    release = helm_release("web", "flux-system", "podinfo", "podinfo", "")
    source = helm_repository("podinfo", "https://stefanprodan.github.io/podinfo", api="v1")
    files = {"apps/shared/helmrepository-podinfo.yaml": source}
    for cluster, flux in (("staging", "2.9.0"), ("production", "2.6.3")):
        files |= {
            f"clusters/{cluster}/flux-system/gotk-components.yaml": GOTK_COMPONENTS.replace("v2.9.0", f"v{flux}"),
            f"clusters/{cluster}/flux-system/gotk-sync.yaml": gotk_sync(f"./clusters/{cluster}"),
            f"clusters/{cluster}/flux-system/kustomization.yaml": FLUX_SYSTEM_FILES,
            f"clusters/{cluster}/apps.yaml": flux_ks(f"apps-{cluster}", f"./apps/{cluster}"),
            f"clusters/{cluster}/shared.yaml": flux_ks("shared", "./apps/shared"),
            f"apps/{cluster}/helmrelease-web.yaml": release,
        }
    files["apps/shared/helmrelease-api.yaml"] = helm_release("api", "flux-system", "podinfo", "podinfo", "")
    repo = repo_with(tmp_path / "repo", files)

    report = check_repository(repo)
    errors = sorted((p.path, p.rule) for p in report.problems if p.severity == ERROR)
    assert errors == [("apps/shared/helmrelease-api.yaml", "schema"), ("apps/staging/helmrelease-web.yaml", "schema")], \
        "\n".join(map(str, report.problems))
    assert all("Flux 2.9" in p.message for p in report.problems if p.severity == ERROR)


def test_hostile_nesting_is_refused_with_a_message(repo, cache):
    """A kustomization file of brackets 500 deep, and a file 150 folders deep: each named in
    a message (ruamel and Python's tree copy recurse once per level)."""
    from flux_cookbook.errors import UserError

    (repo / "podinfo/kustomization.yaml").write_text("resources: " + "[" * 500 + "]" * 500 + "\n")
    report = check_repository(repo, cache_dir=cache)
    assert any("collections nested over 100 deep" in p.message for p in report.problems), report.problems
    (repo / "podinfo/kustomization.yaml").unlink()
    deep = repo / "podinfo" / Path(*["a"] * 150)
    deep.mkdir(parents=True)
    (deep / "configmap.yaml").write_text(CONFIGMAP)
    with pytest.raises(UserError, match="podinfo/...: a file 151 folders deep, over the limit of 99: refused"):
        check_repository(repo, cache_dir=cache)
