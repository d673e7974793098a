"""Release 3.0.0 as `copier copy` writes it: Flux's recommended HelmRelease settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from flux_cookbook.repository import flux_build
from tests.support.flux_schema import validate_repo
from tests.support.project import CRDS, answers, copy, init_repo, load, own_copy

CURRENT = [CRDS / "current", CRDS / "sealed-secrets"]
RETRY = {"name": "RetryOnFailure", "retryInterval": "5m"}


def assert_valid_and_builds(repo) -> None:
    assert validate_repo(repo, CURRENT) == []
    builds = flux_build.build_all(repo)
    assert builds and all(build.ok for build in builds), [(b.path, b.error) for b in builds if not b.ok]


@pytest.fixture(scope="module")
def cluster(template, tmp_path_factory) -> Path:
    """A default cluster repository (with the podinfo example), committed; tests that add
    apps to it work on their own copy."""
    return init_repo(copy(template.path, tmp_path_factory.mktemp("v3") / "cluster", vcs_ref=template.current))


def test_default_cluster_has_the_recommended_settings(cluster):
    spec = load(cluster / "podinfo/helmrelease-podinfo.yaml")["spec"]
    assert spec["install"] == {"crds": "CreateReplace", "strategy": RETRY}
    assert spec["upgrade"] == {"crds": "CreateReplace", "strategy": RETRY}
    assert spec["driftDetection"] == {"mode": "enabled"}
    text = (cluster / "podinfo/helmrelease-podinfo.yaml").read_text()
    assert "name: RetryOnFailure # a failed upgrade is tried again every retryInterval, never rolled back" in text
    chosen = answers(cluster)
    assert (chosen["helm_strategy"], chosen["helm_retry_interval"], chosen["helm_crds"], chosen["drift_detection"]) == (
        "RetryOnFailure", "5m", "CreateReplace", "enabled")
    assert_valid_and_builds(cluster)


def test_apps_copy_the_clusters_choices(template, tmp_path):
    repo = copy(template.path, tmp_path / "cluster", vcs_ref=template.current, include_example_app=False,
                helm_strategy="RemediateOnFailure", helm_crds="Skip", drift_detection="warn")
    copy(template.path, repo, vcs_ref=template.current, kind="app", app_name="web", chart="podinfo",
         helm_repo_name="podinfo", helm_repo_url="https://stefanprodan.github.io/podinfo", fetch_values=False)
    spec = load(repo / "web/helmrelease-web.yaml")["spec"]
    # RemediateOnFailure takes no retryInterval (the CRD's CEL rule).
    assert spec["install"] == spec["upgrade"] == {"crds": "Skip", "strategy": {"name": "RemediateOnFailure"}}
    assert spec["driftDetection"] == {"mode": "warn"}
    assert answers(repo, "web")["helm_strategy"] == "RemediateOnFailure"
    assert_valid_and_builds(repo)


def test_none_writes_nothing(template, cluster, tmp_path):
    repo = own_copy(cluster, tmp_path / "cluster")
    copy(template.path, repo, vcs_ref=template.current, kind="app", app_name="web", chart="podinfo",
         helm_repo_name="podinfo", helm_repo_url="https://stefanprodan.github.io/podinfo", fetch_values=False,
         helm_strategy="", helm_crds="", drift_detection="")
    spec = load(repo / "web/helmrelease-web.yaml")["spec"]
    assert not {"install", "upgrade", "driftDetection"} & spec.keys()
    copy(template.path, repo, vcs_ref=template.current, kind="app", app_name="api", chart="podinfo",
         helm_repo_name="podinfo", helm_repo_url="https://stefanprodan.github.io/podinfo", fetch_values=False,
         helm_strategy="", helm_crds="Create")
    spec = load(repo / "api/helmrelease-api.yaml")["spec"]
    assert spec["install"] == spec["upgrade"] == {"crds": "Create"}
    assert_valid_and_builds(repo)


def test_oci_chart_through_an_oci_repository(template, cluster, tmp_path):
    repo = own_copy(cluster, tmp_path / "cluster")
    copy(template.path, repo, vcs_ref=template.current, kind="app", app_name="pg", chart="postgresql",
         chart_version="16.x", helm_repo_name="bitnami", helm_repo_url="oci://registry-1.docker.io/bitnamicharts",
         fetch_values=False)
    spec = load(repo / "pg/helmrelease-pg.yaml")["spec"]
    assert spec["chartRef"] == {"kind": "OCIRepository", "name": "pg"}
    assert spec["upgrade"]["strategy"] == RETRY
    assert not (repo / "bootstrap/helmrepositories/helmrepository-bitnami.yaml").exists()
    assert_valid_and_builds(repo)
