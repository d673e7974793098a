"""Release 2.0.0 as `copier copy` writes it: bootstrap/, Flux 2.9's APIs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.flux_schema import kustomize_build, validate_repo
from tests.support.project import CRDS, copy, files, init_repo, load, own_copy

CURRENT = [CRDS / "current", CRDS / "sealed-secrets"]


@pytest.fixture(scope="module")
def cluster(template, tmp_path_factory) -> Path:
    """A default cluster repository at 2.0.0 (with the podinfo example), committed; tests
    that add to it work on their own copy."""
    return init_repo(copy(template.path, tmp_path_factory.mktemp("v2") / "cluster", vcs_ref=template.tag("2.0.0")))


def test_default_cluster(cluster):
    assert files(cluster) == {
        ".copier-answers.yml", ".copier-answers.app-podinfo.yml", ".gitignore", ".yamllint", "README.md",
        "bootstrap/flux-system/.gitkeep", "bootstrap/namespaces/.gitkeep", "bootstrap/helmrepositories/.gitkeep",
        "bootstrap/kustomizations/.gitkeep", "bootstrap/namespaces/namespace-podinfo.yaml",
        "bootstrap/helmrepositories/helmrepository-podinfo.yaml", "bootstrap/kustomizations/kustomization-podinfo.yaml",
        "podinfo/helmrelease-podinfo.yaml", "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml",
    }
    assert validate_repo(cluster, CURRENT) == []
    kustomize_build(cluster / "bootstrap")
    kustomize_build(cluster / "podinfo")
    assert load(cluster / "bootstrap/kustomizations/kustomization-podinfo.yaml")["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1"
    assert "validation" not in load(cluster / "bootstrap/kustomizations/kustomization-podinfo.yaml")["spec"]
    assert load(cluster / "podinfo/helmrelease-podinfo.yaml")["apiVersion"] == "helm.toolkit.fluxcd.io/v2"
    values = load(cluster / "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml")
    assert values["metadata"]["labels"] == {"reconcile.fluxcd.io/watch": "Enabled"}
    assert "--path=bootstrap" in (cluster / "README.md").read_text()


def test_oci_repository_is_current(template, cluster, tmp_path):
    repo = own_copy(cluster, tmp_path / "c")
    copy(template.path, repo, vcs_ref=template.tag("2.0.0"), kind="app", app_name="pg", chart="postgresql",
         chart_version="16.x", helm_repo_name="bitnami", helm_repo_url="oci://registry-1.docker.io/bitnamicharts")
    helm_repository = load(repo / "bootstrap/helmrepositories/helmrepository-bitnami.yaml")
    assert (helm_repository["apiVersion"], helm_repository["spec"]["type"]) == ("source.toolkit.fluxcd.io/v1", "oci")
    assert validate_repo(repo, CURRENT) == []
