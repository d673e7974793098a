"""Release 2.0.0 as `copier copy` writes it: bootstrap/, Flux 2.9's APIs."""

from __future__ import annotations

from tests.support.flux_schema import kustomize_build, validate_repo
from tests.support.project import CRDS, copy, files, init_repo, load

CURRENT = [CRDS / "current", CRDS / "sealed-secrets"]


def test_default_cluster(template, tmp_path):
    repo = init_repo(copy(template.path, tmp_path / "cluster", vcs_ref=template.tag("2.0.0")))
    assert files(repo) == {
        ".copier-answers.yml", ".copier-answers.app-podinfo.yml", ".gitignore", ".yamllint", "README.md",
        "bootstrap/flux-system/.gitkeep", "bootstrap/namespaces/.gitkeep", "bootstrap/helmrepositories/.gitkeep",
        "bootstrap/kustomizations/.gitkeep", "bootstrap/namespaces/namespace-podinfo.yaml",
        "bootstrap/helmrepositories/helmrepository-podinfo.yaml", "bootstrap/kustomizations/kustomization-podinfo.yaml",
        "podinfo/helmrelease-podinfo.yaml", "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml",
    }
    assert validate_repo(repo, CURRENT) == []
    kustomize_build(repo / "bootstrap")
    kustomize_build(repo / "podinfo")
    assert load(repo / "bootstrap/kustomizations/kustomization-podinfo.yaml")["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1"
    assert "validation" not in load(repo / "bootstrap/kustomizations/kustomization-podinfo.yaml")["spec"]
    assert load(repo / "podinfo/helmrelease-podinfo.yaml")["apiVersion"] == "helm.toolkit.fluxcd.io/v2"
    values = load(repo / "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml")
    assert values["metadata"]["labels"] == {"reconcile.fluxcd.io/watch": "Enabled"}
    assert "--path=bootstrap" in (repo / "README.md").read_text()


def test_oci_repository_is_current(template, tmp_path):
    repo = copy(template.path, tmp_path / "c", vcs_ref=template.tag("2.0.0"), include_example_app=False)
    copy(template.path, repo, vcs_ref=template.tag("2.0.0"), kind="app", app_name="pg", chart="postgresql",
         chart_version="16.x", helm_repo_name="bitnami", helm_repo_url="oci://registry-1.docker.io/bitnamicharts")
    helm_repository = load(repo / "bootstrap/helmrepositories/helmrepository-bitnami.yaml")
    assert (helm_repository["apiVersion"], helm_repository["spec"]["type"]) == ("source.toolkit.fluxcd.io/v1", "oci")
    assert validate_repo(repo, CURRENT) == []
