"""Which kinds live in a namespace and which are cluster-scoped, from the data that says so.

- A custom resource's scope is its CustomResourceDefinition's `spec.scope`: the CRDs shipped
  in flux_cookbook/crds/ (Flux's, Sealed Secrets'), and any CRD the caller passes (those a
  repository applies itself, cert-manager's ClusterIssuer, ...).
- Kubernetes' own kinds: kubernetes-validate carries their schemas but not their scope (the
  scope lives in the API's paths, which it leaves out), so the cluster-scoped ones are
  listed below, as `kubectl api-resources --namespaced=false` and the Kubernetes API
  reference give them for the release kubernetes-validate knows (tests/unit/
  test_kind_scopes.py checks that each one is a kind of that release).
- Any other kind counts as namespaced: its CRD is not at hand, and an object that sets a
  namespace says which it is.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Iterable

import yaml

from flux_cookbook.extensions import bounded_yaml

CRDS = Path(__file__).resolve().parents[1] / "crds"
SHIPPED_CRD_DIRS = (CRDS / "current", CRDS / "sealed-secrets")
CRD_GROUP = "apiextensions.k8s.io"

# Kubernetes' own cluster-scoped kinds, as (API group, kind); "" is the core group.
# Every other kind of Kubernetes' own groups is namespaced.
BUILTIN_CLUSTER_SCOPED = frozenset({
    ("", "ComponentStatus"), ("", "Namespace"), ("", "Node"), ("", "PersistentVolume"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("authentication.k8s.io", "SelfSubjectReview"), ("authentication.k8s.io", "TokenReview"),
    ("authorization.k8s.io", "SelfSubjectAccessReview"), ("authorization.k8s.io", "SelfSubjectRulesReview"),
    ("authorization.k8s.io", "SubjectAccessReview"),
    ("certificates.k8s.io", "CertificateSigningRequest"), ("certificates.k8s.io", "ClusterTrustBundle"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"), ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("internal.apiserver.k8s.io", "StorageVersion"),
    ("networking.k8s.io", "IngressClass"), ("networking.k8s.io", "IPAddress"), ("networking.k8s.io", "ServiceCIDR"),
    ("node.k8s.io", "RuntimeClass"),
    ("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("resource.k8s.io", "DeviceClass"), ("resource.k8s.io", "DeviceTaintRule"), ("resource.k8s.io", "ResourceSlice"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("storage.k8s.io", "CSIDriver"), ("storage.k8s.io", "CSINode"), ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "VolumeAttachment"), ("storage.k8s.io", "VolumeAttributesClass"),
    ("storagemigration.k8s.io", "StorageVersionMigration"),
})


def crd_scopes(crds: Iterable[object]) -> dict[tuple[str, str], bool]:
    """(group, kind) -> namespaced?, of each well-formed CustomResourceDefinition among `crds`."""
    scopes = {}
    for crd in crds:
        if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
            continue
        if str(crd.get("apiVersion", "")).rpartition("/")[0] != CRD_GROUP:
            continue
        spec = crd.get("spec") if isinstance(crd.get("spec"), dict) else {}
        names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
        if isinstance(spec.get("group"), str) and isinstance(names.get("kind"), str) and spec.get("scope") in ("Namespaced", "Cluster"):
            scopes[spec["group"], names["kind"]] = spec["scope"] == "Namespaced"
    return scopes


@functools.cache
def shipped_crd_scopes() -> dict[tuple[str, str], bool]:
    """The scopes the CRDs shipped with flux-cookbook give."""
    crds = []
    for folder in SHIPPED_CRD_DIRS:
        for path in sorted(folder.glob("*.y*ml")):
            crds += yaml.load_all(path.read_text(encoding="utf-8"), Loader=bounded_yaml.SAFE_LOADER)
    return crd_scopes(crds)


# Kubernetes' own API groups, besides the core group "" and those ending in .k8s.io.
_KUBERNETES_GROUPS = frozenset({"apps", "batch", "autoscaling", "policy"})


def surely_namespaced(group: str, kind: str, crds: dict[tuple[str, str], bool] | None = None) -> bool:
    """Whether objects of that kind are known to live in a namespace: a CRD at hand says
    so, or it is one of Kubernetes' own namespaced kinds. A custom kind without its CRD is
    not known either way."""
    for scopes in (crds or {}, shipped_crd_scopes()):
        if (group, kind) in scopes:
            return scopes[group, kind]
    own = group == "" or group in _KUBERNETES_GROUPS or group.endswith(".k8s.io")
    return own and (group, kind) not in BUILTIN_CLUSTER_SCOPED


def is_namespaced(group: str, kind: str, crds: dict[tuple[str, str], bool] | None = None) -> bool:
    """Whether objects of that kind live in a namespace; `crds`: scopes of further CRDs
    (crd_scopes), which win over the shipped ones."""
    for scopes in (crds or {}, shipped_crd_scopes()):
        if (group, kind) in scopes:
            return scopes[group, kind]
    return (group, kind) not in BUILTIN_CLUSTER_SCOPED
