import pytest

from flux_cookbook.extensions import input_checks as checks


@pytest.mark.parametrize("name", ["a", "podinfo", "keycloak-postgres", "a1", "1a", "a" * 63])
def test_dns1123_label_accepts(name):
    assert checks.dns1123_label_error(name, "app_name") == ""


@pytest.mark.parametrize("name", ["", "A", "a_b", "-a", "a-", "a.b", "a" * 64, "é", "a b", "a\n"])
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


@pytest.mark.parametrize("url", ["https://charts.bitnami.com/bitnami", "http://10.0.0.1:8080/charts", "oci://ghcr.io/org/charts",
                                 "oci://registry-1.docker.io/bitnamicharts", "oci://localhost:5000/a.b/c__d/e-f",
                                 "oci://ghcr.io", "https://Charts.example.com/MyOrg"])
def test_helm_repo_url_accepts(url):
    assert checks.helm_repo_url_error(url) == ""


@pytest.mark.parametrize("url", ["ftp://x.io", "charts.example.com", "https://", "https://a b.io", "oci:/x", ""])
def test_helm_repo_url_refuses(url):
    assert "helm_repo_url" in checks.helm_repo_url_error(url)


@pytest.mark.parametrize("url", ["oci://ghcr.io/MyOrg/charts", "oci://ghcr.io/org/podinfo:6.5.0", "oci://ghcr.io/org/x@sha256",
                                 "oci://ghcr.io/org/-x", "oci://ghcr.io/org?x=1"])
def test_an_oci_repository_path_flux_cannot_pull_from_is_refused(url):
    """The distribution spec's repository names: lower case, no tag or digest in the URL."""
    assert "an OCI repository's path is lower-case" in checks.helm_repo_url_error(url)


@pytest.mark.parametrize(("value", "ok"), [("1m", True), ("1h30m", True), ("0.5s", True), ("15", False), ("1 m", False), ("1d", False)])
def test_interval(value, ok):
    assert (checks.interval_error(value, "x") == "") is ok


@pytest.mark.parametrize(("value", "ok"), [("main", True), ("release/1.0", True), ("-x", False), ("a..b", False), ("a b", False), ("x.lock", False)])
def test_branch(value, ok):
    assert (checks.branch_error(value) == "") is ok


@pytest.mark.parametrize(("value", "ok"), [("https://github.com/a/b", True), ("ssh://git@host/a.git", True), ("git@github.com:a/b.git", True), ("github.com/a/b", False)])
def test_git_url(value, ok):
    assert (checks.git_url_error(value) == "") is ok


@pytest.mark.parametrize("name", ["a", "A1", "my-org", "a-b-c", "x" * 39])
def test_github_owner_accepts(name):
    assert checks.github_owner_error(name) == ""


@pytest.mark.parametrize(("name", "rule"), [
    ("-org", "single hyphens, not at the start or end"), ("org-", "not at the start or end"),
    ("a--b", "single hyphens"), ("my_org", "letters, digits and single hyphens"), ("my.org", "letters, digits"),
    ("my org", "letters, digits"), ("", "letters, digits"), ("x" * 40, "40 characters long; GitHub allows at most 39"),
])
def test_github_owner_refuses_naming_the_rule(name, rule):
    assert rule in checks.github_owner_error(name)
    assert f"repo_owner '{name}'" in checks.github_owner_error(name)


@pytest.mark.parametrize("name", ["flux-cluster", "a.b_c-d", ".github", "x" * 100, "..."])
def test_github_repository_accepts(name):
    assert checks.github_repository_error(name) == ""


@pytest.mark.parametrize(("name", "rule"), [
    (".", "not '.' or '..'"), ("..", "not '.' or '..'"), ("a/b", "letters, digits, '.', '-' and '_'"),
    ("a b", "letters, digits"), ("", "letters, digits"), ("x" * 101, "101 characters long; GitHub allows at most 100"),
])
def test_github_repository_refuses_naming_the_rule(name, rule):
    assert rule in checks.github_repository_error(name)


def test_owner_and_repository_have_their_own_rules():
    """The owner by the account rule, the repository by its own (adopt and copier.yml call both)."""
    assert checks.github_owner_error("a.b") and not checks.github_repository_error("a.b")


@pytest.mark.parametrize("path", ["bootstrap", "clusters/home", "a/b/c", "flux-system", "x" * 63 + "/y"])
def test_bootstrap_dir_accepts_nested_folders(path):
    assert checks.bootstrap_dir_error(path) == ""


@pytest.mark.parametrize(("path", "problem"), [
    ("", "must not be empty"), ("/clusters/home", "no leading, trailing or doubled '/'"),
    ("clusters/home/", "no leading, trailing or doubled '/'"), ("clusters//home", "doubled"),
    ("clusters/Home", "folder 'Home' is not a valid DNS-1123 label"), ("../x", "folder '..' is not a valid DNS-1123"),
    ("./x", "folder '.' is not"), ("a/" + "b" * 64, "is 64 characters long"), ("a b", "bootstrap_dir 'a b' is not a valid DNS-1123 label"), ("a b/c", "folder 'a b' is not"),
])
def test_bootstrap_dir_refuses_naming_the_folder(path, problem):
    assert problem in checks.bootstrap_dir_error(path)


@pytest.mark.parametrize("value", ["\udc80", ["ok", "x\ud800"], {"k": {"n": ["\udfff"]}}, {"\udc80": 1}])
def test_lone_surrogates_are_not_text(value):
    assert "is not a character (bytes that are not UTF-8?)" in checks.not_text_error(value, "answer")


@pytest.mark.parametrize("value", ["ünïcödé", "\U0001f600", ["a", {"b": 1}], {"k": None}, 3])
def test_text_is_text(value):
    assert checks.not_text_error(value, "answer") == ""


def test_urls_with_lone_surrogates_are_refused():
    assert "not a character" in checks.helm_repo_url_error("https://charts.example.com/\udc80")
    assert "not a character" in checks.git_url_error("https://git.example.com/\udc80")


@pytest.mark.parametrize("apps_dir, bootstrap_dir, inside", [
    ("bootstrap/apps", "bootstrap", True),
    ("clusters/home/apps", "clusters/home", True),
    ("clusters/home", "clusters/home", True),
    ("clusters/apps", "clusters/home", False),
    ("apps", "clusters/home", False),
    ("bootstrapped/apps", "bootstrap", False),
])
def test_apps_dir_in_a_nested_bootstrap_folder_is_refused(apps_dir, bootstrap_dir, inside):
    assert ("lies in the bootstrap folder" in checks.apps_dir_error(apps_dir, bootstrap_dir)) is inside


@pytest.mark.parametrize(("check", "url", "said"), [
    (checks.helm_repo_url_error, "https://bob:hunter2@charts.example.com/x", "holds a password"),
    (checks.git_url_error, "https://me:ghp_token@git.example.com/me/cluster.git", "holds a password"),
    (checks.git_url_error, "https://git.example.com/a/b;echo$IFS`id`", "holds $ ; `"),
    (checks.helm_repo_url_error, "https://charts.example.com/x?y=1&z=2", "holds & ?"),
])
def test_a_url_with_a_password_or_what_a_shell_reads_is_refused(check, url, said):
    """A password would be committed in plain text; the README and notes print the URLs
    into commands to paste."""
    message = check(url)
    assert said in message and "hunter2" not in message and "ghp_token" not in message  # never shown again either


@pytest.mark.parametrize("url", ["https://user@git.example.com/c.git", "ssh://git@github.com/me/c", "git@github.com:me/c.git",
                                 "https://git.example.com/~me/c.git"])
def test_a_user_name_alone_or_a_tilde_is_fine(url):
    assert checks.git_url_error(url) == ""
