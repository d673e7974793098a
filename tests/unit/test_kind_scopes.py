"""Namespaced or cluster-scoped: from the shipped CRDs, CRDs given, and Kubernetes' own kinds."""

from __future__ import annotations

from pathlib import Path

import yaml

from flux_cookbook.check import kubernetes_schemas
from flux_cookbook.repository import kind_scopes
from flux_cookbook.repository.model import Manifest
from flux_cookbook.repository.yaml_lines import load


def _shipped_crds() -> list[dict]:
    return [crd for folder in kind_scopes.SHIPPED_CRD_DIRS for path in sorted(Path(folder).glob("*.yaml"))
            for crd in yaml.safe_load_all(path.read_text())]


def test_a_flux_kind_takes_its_scope_from_the_shipped_crd():
    crds = _shipped_crds()
    assert len(crds) >= 13  # Flux's and Sealed Secrets'
    for crd in crds:
        key = (crd["spec"]["group"], crd["spec"]["names"]["kind"])
        assert kind_scopes.shipped_crd_scopes()[key] == (crd["spec"]["scope"] == "Namespaced")
    assert kind_scopes.is_namespaced("helm.toolkit.fluxcd.io", "HelmRelease")
    assert kind_scopes.is_namespaced("bitnami.com", "SealedSecret")


def test_a_crd_given_decides_and_wins():
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "spec": {"group": "cert-manager.io", "names": {"kind": "ClusterIssuer"}, "scope": "Cluster"}}
    scopes = kind_scopes.crd_scopes([crd, {"kind": "ConfigMap"}, None])
    assert scopes == {("cert-manager.io", "ClusterIssuer"): False}
    assert not kind_scopes.is_namespaced("cert-manager.io", "ClusterIssuer", scopes)
    assert kind_scopes.is_namespaced("cert-manager.io", "ClusterIssuer")  # unknown without it
    # Even over a shipped one (a repository that installs its own Flux CRDs).
    mine = dict(crd, spec={"group": "helm.toolkit.fluxcd.io", "names": {"kind": "HelmRelease"}, "scope": "Cluster"})
    assert not kind_scopes.is_namespaced("helm.toolkit.fluxcd.io", "HelmRelease", kind_scopes.crd_scopes([mine]))


def test_kubernetes_own_kinds_by_group_and_kind():
    for group, kind in (("", "Namespace"), ("rbac.authorization.k8s.io", "ClusterRole"), ("storage.k8s.io", "StorageClass"),
                        ("apiextensions.k8s.io", "CustomResourceDefinition")):
        assert not kind_scopes.is_namespaced(group, kind)
    for group, kind in (("", "ConfigMap"), ("rbac.authorization.k8s.io", "Role"), ("apps", "Deployment"),
                        ("storage.k8s.io", "CSIStorageCapacity")):
        assert kind_scopes.is_namespaced(group, kind)
    # The kind's name alone says nothing: another group's ClusterRole is a kind we do not know.
    assert kind_scopes.is_namespaced("example.com", "ClusterRole")


def test_an_unknown_kind_is_namespaced():
    assert kind_scopes.is_namespaced("example.com", "Widget")


def test_every_listed_cluster_scoped_kind_is_one_kubernetes_serves():
    # A typo, or a kind Kubernetes has dropped, fails here (kubernetes-validate's newest release).
    served = kubernetes_schemas.kinds()
    assert kind_scopes.BUILTIN_CLUSTER_SCOPED <= served, kind_scopes.BUILTIN_CLUSTER_SCOPED - served


def test_a_manifest_of_a_cluster_scoped_kind_has_no_namespace():
    def manifest(text: str) -> Manifest:
        return Manifest("x.yaml", 1, load(text), "", "")

    assert manifest("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r, namespace: x}\n").namespace == ""
    assert manifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\n").namespace == "x"
