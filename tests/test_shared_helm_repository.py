"""One HelmRepository per URL: a new app whose chart repository the cluster already has
takes that HelmRepository, through the real `copier copy` and `flux-cookbook check`."""

from __future__ import annotations

from pathlib import Path

import pytest

from flux_cookbook.check import run as check
from tests.support.flux_schema import validate_repo
from tests.support.project import CRDS, answers, commit_all, copy, init_repo, load, own_copy

GRAFANA = "https://grafana.github.io/helm-charts"


@pytest.fixture(scope="module")
def with_grafana(template, tmp_path_factory) -> Path:
    repo = copy(template.path, tmp_path_factory.mktemp("shared") / "cluster", include_example_app=False,
                sealed_secrets=False)
    copy(template.path, repo, kind="app", app_name="grafana", helm_repo_url=GRAFANA, fetch_values=False)
    return init_repo(repo)


@pytest.mark.parametrize("url", [GRAFANA, GRAFANA + "/"])
def test_a_new_app_of_the_same_url_uses_the_helm_repository_there(template, with_grafana, tmp_path, url):
    repo = own_copy(with_grafana, tmp_path / "repo")
    copy(template.path, repo, kind="app", app_name="loki", helm_repo_url=url, fetch_values=False)
    commit_all(repo, "Loki")
    assert answers(repo, "loki")["helm_repo_name"] == "grafana"
    assert [p.name for p in (repo / "bootstrap/helmrepositories").glob("*.yaml")] == ["helmrepository-grafana.yaml"]
    source = load(repo / "loki/helmrelease-loki.yaml")["spec"]["chart"]["spec"]["sourceRef"]
    assert source == {"kind": "HelmRepository", "name": "grafana", "namespace": "flux-system"}
    assert validate_repo(repo, [CRDS / "current"]) == []
    assert check.check_repository(repo).problems == ()


def test_another_url_gets_a_helm_repository_of_its_own(template, with_grafana, tmp_path):
    repo = own_copy(with_grafana, tmp_path / "repo")
    copy(template.path, repo, kind="app", app_name="loki", helm_repo_url="https://charts.example.com/loki",
         fetch_values=False)
    assert answers(repo, "loki")["helm_repo_name"] == "loki"
    assert (repo / "bootstrap/helmrepositories/helmrepository-loki.yaml").is_file()


def test_add_says_an_interval_for_a_shared_helm_repository_changes_nothing(with_grafana, tmp_path):
    """The HelmRepository is there already, and shared: an app's `-d helmrepository_interval`
    is recorded but its file stays as it is; add says so. A new one takes it, silently."""
    from tests.support.project import cookbook_cli

    repo = own_copy(with_grafana, tmp_path / "repo")
    file = repo / "bootstrap/helmrepositories/helmrepository-grafana.yaml"
    before = file.read_text()
    result = cookbook_cli("add", "loki", "--helm-repo-url", GRAFANA, "--defaults", "-d", "fetch_values=false",
                          "-d", "helmrepository_interval=5m", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert ("-d helmrepository_interval is recorded, but bootstrap/helmrepositories/helmrepository-grafana.yaml "
            "was there already") in result.stdout
    assert file.read_text() == before
    result = cookbook_cli("add", "tempo", "--helm-repo-url", "https://charts.example.com", "--defaults",
                          "-d", "fetch_values=false", "-d", "helmrepository_interval=5m", cwd=repo)
    assert result.returncode == 0 and "was there already" not in result.stdout
    assert "interval: 5m" in (repo / "bootstrap/helmrepositories/helmrepository-tempo.yaml").read_text()


def test_plain_copier_says_an_interval_for_a_shared_helm_repository_changes_nothing(template, with_grafana, tmp_path):
    """The same note through copier's own command line (copier.yml's messages), on a copy
    and on an update that gives the answer anew; an interval the file holds gets none."""
    from tests.support.project import copier_cli

    repo = own_copy(with_grafana, tmp_path / "repo")
    file = repo / "bootstrap/helmrepositories/helmrepository-grafana.yaml"
    before = file.read_text()
    note = ("Note: -d helmrepository_interval is recorded, but bootstrap/helmrepositories/helmrepository-grafana.yaml "
            "was there already and is shared, so it stays as it is (interval: 15m)")
    copied = copier_cli("copy", "--trust", "--defaults", "-d", "kind=app", "-d", "app_name=loki", "-d", f"helm_repo_url={GRAFANA}",
                        "-d", "fetch_values=false", "-d", "helmrepository_interval=5m", str(template.path), ".", cwd=repo)
    assert copied.returncode == 0, copied.stderr
    assert note in copied.stdout + copied.stderr
    assert file.read_text() == before
    # A new URL for an app whose HelmRepository is shared: recorded, and said to change nothing.
    commit_all(repo, "loki")
    updated = copier_cli("update", "--trust", "--defaults", "-a", ".copier-answers.app-loki.yml",
                         "-d", "helm_repo_url=https://charts.example.com/grafana", cwd=repo)
    assert updated.returncode == 0, updated.stderr
    assert (f"Note: -d helm_repo_url is recorded, but bootstrap/helmrepositories/helmrepository-grafana.yaml was there "
            f"already and is shared, so it stays as it is (url: {GRAFANA})") in updated.stdout + updated.stderr
    assert file.read_text() == before
    commit_all(repo, "Loki")
    updated = copier_cli("update", "--trust", "--defaults", "-a", ".copier-answers.app-loki.yml",
                         "-d", "helmrepository_interval=7m", cwd=repo)
    assert updated.returncode == 0, updated.stderr
    assert note in updated.stdout + updated.stderr and file.read_text() == before
    commit_all(repo, "Loki again")
    same = copier_cli("update", "--trust", "--defaults", "-a", ".copier-answers.app-loki.yml",
                      "-d", "helmrepository_interval=15m", cwd=repo)
    assert same.returncode == 0 and "helmrepository_interval is recorded" not in same.stdout + same.stderr
