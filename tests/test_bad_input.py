"""Bad answers are refused by the copier command line with a message naming the problem,
and the destination is left exactly as it was (files, HEAD and git status)."""

from __future__ import annotations

import pytest

from tests.support.project import commit_all, copier_cli, copy, init_repo, tree_state

APP = ["-d", "kind=app", "-d", "chart_version=1.x", "-d", "helm_repo_url=https://charts.example.com"]

CASES = {
    "app name with capitals": (APP + ["-d", "app_name=MyApp"], "app_name 'MyApp' is not a valid DNS-1123 label"),
    "app name with underscore": (APP + ["-d", "app_name=my_app"], "app_name 'my_app' is not a valid DNS-1123 label"),
    "app name too long": (APP + ["-d", "app_name=" + "a" * 64], "is 64 characters long; at most 63"),
    "namespace ends in dash": (APP + ["-d", "app_name=x", "-d", "namespace=x-"], "namespace 'x-' is not a valid DNS-1123 label"),
    "helm repo name with dot": (APP + ["-d", "app_name=x", "-d", "helm_repo_name=a.b"], "helm_repo_name 'a.b' is not a valid DNS-1123 label"),
    "release name over 53": (APP + ["-d", "app_name=x", "-d", "release_name=" + "r" * 54], "Helm allows at most 53"),
    "app already exists": (APP + ["-d", "app_name=podinfo"], "app 'podinfo' already exists in this repository"),
    "depends on a missing app": (APP + ["-d", "app_name=x", "-d", "depends_on=[postgres]"], "depends_on names 'postgres', which is not an app"),
    "depends on itself": (APP + ["-d", "app_name=x", "-d", "depends_on=[x]"], "app 'x' cannot depend on itself"),
    "depends on is not a list": (APP + ["-d", "app_name=x", "-d", "depends_on=podinfo"], "depends_on must be a list of app names"),
    "ftp url": (APP + ["-d", "app_name=x", "-d", "helm_repo_url=ftp://charts.example.com"], "must start with https://, http:// or oci://"),
    "url without host": (APP + ["-d", "app_name=x", "-d", "helm_repo_url=https://"], "has no valid host name"),
    "empty version": (APP + ["-d", "app_name=x", "-d", "chart_version="], "chart_version must not be empty"),
    "malformed version range": (APP + ["-d", "app_name=x", "-d", "chart_version=>=1.0 <<2"], "is not a semver version or range"),
    "helm repository clash": (
        APP + ["-d", "app_name=x", "-d", "helm_repo_name=podinfo"],
        "HelmRepository 'podinfo' already exists with url https://stefanprodan.github.io/podinfo",
    ),
    "health check without name": (APP + ["-d", "app_name=x", "-d", "health_checks=[{kind: Deployment}]"], "needs at least kind and name"),
    "missing values source": (APP + ["-d", "app_name=x", "-d", "values_source=nowhere/values.yaml"], "values_source 'nowhere/values.yaml' does not exist"),
    "bad interval": (APP + ["-d", "app_name=x", "-d", "helmrelease_interval=10 minutes"], "helmrelease_interval '10 minutes' is not a duration"),
    "second cluster over a cluster": ([], "is already a cluster repository"),
}


@pytest.fixture(scope="module")
def cluster(template, tmp_path_factory):
    repo = copy(template.path, tmp_path_factory.mktemp("bad") / "cluster")
    return init_repo(repo)


@pytest.mark.parametrize("args, message", CASES.values(), ids=CASES.keys())
def test_refused_with_nothing_written(template, cluster, args, message):
    before = tree_state(cluster)
    result = copier_cli("copy", "--trust", "--defaults", *args, str(template.path), ".", cwd=cluster)
    assert result.returncode != 0
    assert message in result.stderr
    assert tree_state(cluster) == before


def test_bad_cluster_answers_write_nothing(template, tmp_path):
    result = copier_cli("copy", "--trust", "--defaults", "-d", "branch=-main", str(template.path), "new", cwd=tmp_path)
    assert result.returncode != 0 and "branch '-main' is not a valid Git branch name" in result.stderr
    assert not (tmp_path / "new").exists()


def test_a_valid_app_after_refusals_is_written(template, cluster, tmp_path):
    """The refusals above are not a template that refuses everything."""
    work = tmp_path / "work"
    work.mkdir()
    repo = init_repo(copy(template.path, work / "cluster"))
    result = copier_cli("copy", "--trust", "--defaults", *APP, "-d", "app_name=x", str(template.path), ".", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert (repo / "x/helmrelease-x.yaml").exists()
    commit_all(repo, "Add x")
