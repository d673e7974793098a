import pytest

from flux_cookbook.extensions import input_checks as checks


@pytest.mark.parametrize("name", ["a", "podinfo", "keycloak-postgres", "a1", "1a", "a" * 63])
def test_dns1123_label_accepts(name):
    assert checks.dns1123_label_error(name, "app_name") == ""


@pytest.mark.parametrize("name", ["", "A", "a_b", "-a", "a-", "a.b", "a" * 64, "é", "a b"])
def test_dns1123_label_refuses(name):
    assert "app_name" in checks.dns1123_label_error(name, "app_name")


def test_release_name_is_capped_at_53():
    assert checks.release_name_error("r" * 53) == ""
    assert "at most 53" in checks.release_name_error("r" * 54)


@pytest.mark.parametrize("version", ["6.x", "6.5.0", "~6.5", "^6.1", ">=6.0.0 <7.0.0", ">= 1.2, < 2", "*",
                                     "6.x || 7.x", "1.2 - 1.4", "v1.2.3-rc.1", "1.0.0+build.5", "6.X"])
def test_chart_version_accepts_helm_ranges(version):
    assert checks.chart_version_error(version) == ""


@pytest.mark.parametrize("version", ["", "  ", "abc", "6..1", ">=", "1.2.3.4", "6.x ||", "latest", "6.x.y"])
def test_chart_version_refuses(version):
    assert "chart_version" in checks.chart_version_error(version)


@pytest.mark.parametrize("url", ["https://charts.bitnami.com/bitnami", "http://10.0.0.1:8080/charts", "oci://ghcr.io/org/charts"])
def test_helm_repo_url_accepts(url):
    assert checks.helm_repo_url_error(url) == ""


@pytest.mark.parametrize("url", ["ftp://x.io", "charts.example.com", "https://", "https://a b.io", "oci:/x", ""])
def test_helm_repo_url_refuses(url):
    assert "helm_repo_url" in checks.helm_repo_url_error(url)


@pytest.mark.parametrize(("value", "ok"), [("1m", True), ("1h30m", True), ("0.5s", True), ("15", False), ("1 m", False), ("1d", False)])
def test_interval(value, ok):
    assert (checks.interval_error(value, "x") == "") is ok


@pytest.mark.parametrize(("value", "ok"), [("main", True), ("release/1.0", True), ("-x", False), ("a..b", False), ("a b", False), ("x.lock", False)])
def test_branch(value, ok):
    assert (checks.branch_error(value) == "") is ok


@pytest.mark.parametrize(("value", "ok"), [("https://github.com/a/b", True), ("ssh://git@host/a.git", True), ("git@github.com:a/b.git", True), ("github.com/a/b", False)])
def test_git_url(value, ok):
    assert (checks.git_url_error(value) == "") is ok
