"""Release 1.0.0: the cookbook convention as first published, as `copier copy` writes it.

Copies are made at the v1.0.0 tag and checked against the CRDs of a cluster that still
serves those API versions (Flux 2.6, `../shared/flux-crds/legacy/`).
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from tests.support.flux_schema import kustomize_build, validate_repo
from tests.support.project import CRDS, answers, commit_all, copy, files, init_repo, load, own_copy, update
from tests.support.template_repo import git

LEGACY = [CRDS / "legacy", CRDS / "sealed-secrets"]
PODINFO_CHARTS = CRDS.parent / "charts" / "podinfo"

POSTGRES = {"kind": "app", "chart": "postgresql", "chart_version": "12.x", "helm_repo_name": "bitnami",
            "helm_repo_url": "https://charts.bitnami.com/bitnami"}


@pytest.fixture(scope="module")
def v1(template):
    return template.tag("1.0.0")


@pytest.fixture(scope="module")
def cluster_made(template, v1, tmp_path_factory) -> Path:
    return init_repo(copy(template.path, tmp_path_factory.mktemp("v1") / "cluster", vcs_ref=v1))


@pytest.fixture
def cluster(cluster_made, tmp_path) -> Path:
    """A default cluster repository (with the podinfo example), committed, the test's own."""
    return own_copy(cluster_made, tmp_path / "cluster")


def add_app(template, v1, repo: Path, **data) -> None:
    copy(template.path, repo, vcs_ref=v1, **{"kind": "app", **data})
    commit_all(repo, f"Add {data['app_name']}")


@pytest.fixture(scope="module")
def with_keycloak_postgres(template, v1, cluster_made, tmp_path_factory) -> Path:
    """The default cluster with keycloak-postgres (bitnami's postgresql) added, committed;
    tests change their own copy."""
    repo = own_copy(cluster_made, tmp_path_factory.mktemp("v1-keycloak") / "cluster")
    add_app(template, v1, repo, app_name="keycloak-postgres", namespace="keycloak", **POSTGRES)
    return repo


def assert_valid(repo: Path) -> None:
    """yamllint with the repository's own config, strict CRD schemas, real kustomize builds."""
    lint = subprocess.run([sys.executable, "-m", "yamllint", "--strict", "."], cwd=repo, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert validate_repo(repo, LEGACY) == []
    # What kustomize-controller builds: the bootstrap folder, then each app's folder.
    built = yaml.safe_load_all(kustomize_build(repo / "flux-system"))
    assert all(doc["kind"] != "Kustomization" or doc["spec"]["path"] for doc in built if doc)
    for app_answers in repo.glob(".copier-answers.app-*.yml"):
        kustomize_build(repo / load(app_answers)["app_name"])


def test_default_cluster_is_the_cookbook_layout(cluster):
    assert files(cluster) == {
        ".copier-answers.yml", ".copier-answers.app-podinfo.yml", ".gitignore", ".yamllint", "README.md",
        "flux-system/namespaces/.gitkeep", "flux-system/helmrepositories/.gitkeep",
        "flux-system/kustomizations/.gitkeep",
        "flux-system/namespaces/namespace-podinfo.yaml",
        "flux-system/helmrepositories/helmrepository-podinfo.yaml",
        "flux-system/kustomizations/kustomization-podinfo.yaml",
        "podinfo/helmrelease-podinfo.yaml",
        "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml",
    }
    assert_valid(cluster)


def test_example_app_is_an_app_with_its_own_answers(cluster, template):
    app = answers(cluster, "podinfo")
    assert app["_src_path"] == str(template.path)
    assert app["_commit"] == "v1.0.0"
    assert {k: app[k] for k in ("kind", "chart", "chart_version", "helm_repo_url", "bootstrap_dir")} == {
        "kind": "app", "chart": "podinfo", "chart_version": "6.x",
        "helm_repo_url": "https://stefanprodan.github.io/podinfo", "bootstrap_dir": "flux-system",
    }
    assert app["health_checks"] == [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo", "namespace": "podinfo"}]


def test_objects_are_the_cookbook_objects(cluster):
    repo = load(cluster / "flux-system/helmrepositories/helmrepository-podinfo.yaml")
    assert repo["apiVersion"] == "source.toolkit.fluxcd.io/v1beta1"
    assert repo["spec"] == {"interval": "15m", "url": "https://stefanprodan.github.io/podinfo"}

    kustomization = load(cluster / "flux-system/kustomizations/kustomization-podinfo.yaml")
    assert kustomization["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1beta1"
    assert kustomization["metadata"] == {"name": "podinfo", "namespace": "flux-system"}
    assert kustomization["spec"] == {
        "interval": "15m", "path": "podinfo", "prune": True, "timeout": "2m",
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"}, "validation": "server",
        "healthChecks": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo", "namespace": "podinfo"}],
    }

    release = load(cluster / "podinfo/helmrelease-podinfo.yaml")
    assert release["apiVersion"] == "helm.toolkit.fluxcd.io/v2beta1"
    assert release["metadata"] == {"name": "podinfo", "namespace": "podinfo"}
    assert release["spec"]["chart"]["spec"] == {
        "chart": "podinfo", "version": "6.x",
        "sourceRef": {"kind": "HelmRepository", "name": "podinfo", "namespace": "flux-system"},
    }
    assert (release["spec"]["interval"], release["spec"]["timeout"], release["spec"]["releaseName"]) == ("15m", "5m", "podinfo")
    assert release["spec"]["valuesFrom"] == [
        {"kind": "ConfigMap", "name": "podinfo-helm-chart-value-overrides", "valuesKey": "values.yaml"}
    ]
    values = load(cluster / "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml")
    assert values["metadata"] == {"name": "podinfo-helm-chart-value-overrides", "namespace": "podinfo"}
    assert "helm show values podinfo --repo https://stefanprodan.github.io/podinfo" in values["data"]["values.yaml"]


def test_answers_reach_readme_and_objects(template, v1, tmp_path):
    repo = copy(
        template.path, tmp_path / "c", vcs_ref=v1, repo_owner="acme", repo_name="k8s-prod", branch="live",
        personal_account=False, git_interval="5m", kustomization_interval="30m", kustomization_timeout="3m",
        helmrelease_interval="1h", helmrelease_timeout="10m", helmrepository_interval="2h",
    )
    readme = (repo / "README.md").read_text()
    assert (
        "flux bootstrap github \\\n  --owner=acme \\\n  --repository=k8s-prod \\\n  --branch=live \\\n"
        "  --path=flux-system \\\n  --interval=5m\n```" in readme
    )
    assert "--url=https://github.com/acme/k8s-prod" in readme
    assert load(repo / "flux-system/kustomizations/kustomization-podinfo.yaml")["spec"]["interval"] == "30m"
    assert load(repo / "flux-system/kustomizations/kustomization-podinfo.yaml")["spec"]["timeout"] == "3m"
    release = load(repo / "podinfo/helmrelease-podinfo.yaml")["spec"]
    assert (release["interval"], release["timeout"]) == ("1h", "10m")
    assert load(repo / "flux-system/helmrepositories/helmrepository-podinfo.yaml")["spec"]["interval"] == "2h"


def test_cluster_without_example_app(template, v1, tmp_path):
    repo = copy(template.path, tmp_path / "c", vcs_ref=v1, include_example_app=False)
    assert not list(repo.glob(".copier-answers.app-*")) and not (repo / "podinfo").exists()
    assert (repo / "flux-system/kustomizations/.gitkeep").exists()


def test_same_chart_twice_shares_one_helm_repository(template, v1, with_keycloak_postgres, tmp_path):
    cluster = own_copy(with_keycloak_postgres, tmp_path / "cluster")
    shared = cluster / "flux-system/helmrepositories/helmrepository-bitnami.yaml"
    first = shared.read_bytes()
    add_app(template, v1, cluster, app_name="nextcloud-postgres", namespace="nextcloud", **POSTGRES,
            depends_on=["keycloak-postgres"])
    assert shared.read_bytes() == first
    assert sorted(p.name for p in (cluster / "flux-system/helmrepositories").glob("*.yaml")) == [
        "helmrepository-bitnami.yaml", "helmrepository-podinfo.yaml"]
    for app, namespace in (("keycloak-postgres", "keycloak"), ("nextcloud-postgres", "nextcloud")):
        release = load(cluster / app / f"helmrelease-{app}.yaml")
        assert release["metadata"]["namespace"] == namespace
        assert release["spec"]["chart"]["spec"]["sourceRef"]["name"] == "bitnami"
        assert (cluster / f"flux-system/namespaces/namespace-{namespace}.yaml").exists()
    kustomization = load(cluster / "flux-system/kustomizations/kustomization-nextcloud-postgres.yaml")
    assert kustomization["spec"]["dependsOn"] == [{"name": "keycloak-postgres"}]
    assert_valid(cluster)


def test_shared_helm_repository_keeps_user_edits(template, v1, cluster):
    shared = cluster / "flux-system/helmrepositories/helmrepository-podinfo.yaml"
    shared.write_text(shared.read_text().replace("interval: 15m", "interval: 1h # slower"))
    commit_all(cluster, "Slower podinfo index")
    add_app(template, v1, cluster, app_name="podinfo-two", chart="podinfo", helm_repo_name="podinfo",
            helm_repo_url="https://stefanprodan.github.io/podinfo", chart_version="6.x")
    assert "interval: 1h # slower" in shared.read_text()


def test_updating_one_app_touches_no_other(v1, with_keycloak_postgres, tmp_path):
    cluster = own_copy(with_keycloak_postgres, tmp_path / "cluster")
    update(cluster, ".copier-answers.app-keycloak-postgres.yml", vcs_ref=v1, chart_version="13.x")
    changed = set(git(cluster, "status", "--porcelain", "--untracked-files=all").split("\n")) - {""}
    assert changed == {" M .copier-answers.app-keycloak-postgres.yml", " M keycloak-postgres/helmrelease-keycloak-postgres.yaml"}
    assert load(cluster / "keycloak-postgres/helmrelease-keycloak-postgres.yaml")["spec"]["chart"]["spec"]["version"] == "13.x"


def test_oci_helm_repository(template, v1, cluster):
    add_app(template, v1, cluster, app_name="pg", chart="postgresql", chart_version="16.x",
            helm_repo_name="bitnami-oci", helm_repo_url="oci://registry-1.docker.io/bitnamicharts")
    repo = load(cluster / "flux-system/helmrepositories/helmrepository-bitnami-oci.yaml")
    assert repo["apiVersion"] == "source.toolkit.fluxcd.io/v1beta2"
    assert repo["spec"]["type"] == "oci"
    assert_valid(cluster)


@pytest.mark.parametrize("form", ["folder", "archive", "values-file"])
def test_values_come_whole_from_a_local_chart(template, v1, cluster, tmp_path, form):
    chart = PODINFO_CHARTS / "6.13.0"
    source = {"folder": chart, "values-file": chart / "values.yaml"}.get(form)
    if form == "archive":
        source = tmp_path / "podinfo-6.13.0.tgz"
        with tarfile.open(source, "w:gz") as archive:
            archive.add(chart, arcname="podinfo")
    add_app(template, v1, cluster, app_name="podinfo-two", chart="podinfo", helm_repo_name="podinfo",
            helm_repo_url="https://stefanprodan.github.io/podinfo", chart_version="6.13.0", values_source=str(source))
    configmap = load(cluster / "podinfo-two/configmap-podinfo-two-helm-chart-value-overrides.yaml")
    assert configmap["data"]["values.yaml"] == (chart / "values.yaml").read_text()
    assert_valid(cluster)
