"""Chart values from the real chart: fetched from a Helm repository served on loopback
(real podinfo chart archives, packaged by the tests), overridden in place, upgraded."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
import yaml

from tests.support.flux_schema import validate_repo
from tests.support.helm_repo_server import (
    chart_archive,
    hostile_archive,
    serve_fake_registry,
    serve_folder,
    serve_helm_repo,
    write_helm_repo,
)
from tests.support.project import CRDS, commit_all, copier_cli, copy, init_repo, load, own_copy, tree_state, update

CURRENT = [CRDS / "current", CRDS / "sealed-secrets"]
CHARTS = CRDS.parent / "charts" / "podinfo"
CONFIGMAP = "web/configmap-web-helm-chart-value-overrides.yaml"


def values_of(version: str) -> str:
    return (CHARTS / version / "values.yaml").read_text()


@pytest.fixture
def cluster(template, tmp_path) -> Path:
    return init_repo(copy(template.path, tmp_path / "cluster", include_example_app=False, sealed_secrets=False))


@pytest.fixture
def helm_repo(tmp_path):
    with serve_helm_repo(tmp_path) as url:
        yield url


@pytest.fixture(scope="module")
def web_at_6_13(template, tmp_path_factory) -> tuple[Path, str]:
    """(cluster, url): app `web` added with chart_version ~6.13 from a Helm repository served
    for the module's tests; a test that changes the cluster works on its own copy."""
    folder = tmp_path_factory.mktemp("web-at-6.13")
    with serve_helm_repo(folder) as url:
        cluster = init_repo(copy(template.path, folder / "cluster", include_example_app=False, sealed_secrets=False))
        add_web(template, cluster, url, chart_version="~6.13")
        yield cluster, url


def add_web(template, cluster: Path, url: str, **data) -> None:
    copy(template.path, cluster, kind="app", app_name="web", chart="podinfo", helm_repo_name="podinfo",
         helm_repo_url=url, **{"chart_version": "6.x", **data})
    commit_all(cluster, "Add web")


def add_web_cli(template, cluster: Path, url: str, *answers: str):
    """Add app `web` (chart podinfo from `url`) through the copier command line, as a user
    does, with more `key=value` answers; the finished process, to read its messages."""
    data = [arg for answer in (f"helm_repo_url={url}", *answers) for arg in ("-d", answer)]
    return copier_cli("copy", "--trust", "--defaults", "-d", "kind=app", "-d", "app_name=web", "-d", "chart=podinfo",
                      *data, str(template.path), ".", cwd=cluster)


def stored_values(cluster: Path) -> str:
    return load(cluster / CONFIGMAP)["data"]["values.yaml"]


def test_the_range_resolves_to_the_newest_match_and_the_whole_values_arrive(web_at_6_13):
    cluster, helm_repo = web_at_6_13
    text = stored_values(cluster)
    header, values = text.split("\n", 1)
    assert header == f"# values.yaml of chart {helm_repo} podinfo 6.13.0 (chart_version: ~6.13)"
    assert values == values_of("6.13.0")
    assert validate_repo(cluster, CURRENT) == []


@pytest.mark.parametrize(("answers", "said"), [
    (("chart_version=9.9.9",), "no version of chart 'podinfo' matches '9.9.9'; the newest there: 6.14.1"),
    (("chart=podinfoo",), "has no chart 'podinfoo' (charts there: podinfo)"),
])
def test_a_chart_or_version_the_repository_answers_it_lacks_is_refused(template, cluster, helm_repo, answers, said):
    """The repository answered: Flux could never install that chart or version. Refused,
    nothing written (a repository out of reach is no reason: the placeholder, with a note)."""
    state = tree_state(cluster)
    result = add_web_cli(template, cluster, helm_repo, *answers)
    assert result.returncode != 0 and said in result.stderr and "Flux could never install it" in result.stderr
    assert tree_state(cluster) == state
    # Its values not wanted from there (fetch_values=false): not asked of the repository either.
    assert add_web_cli(template, cluster, helm_repo, *answers, "fetch_values=false").returncode == 0


def test_overrides_change_only_their_lines(template, cluster, helm_repo):
    add_web(template, cluster, helm_repo, values_overrides={"replicaCount": 3, "ui": {"message": "hi: #there"}})
    values = stored_values(cluster).split("\n", 1)[1]
    changed = [line for line in difflib.unified_diff(values_of("6.14.1").splitlines(), values.splitlines(), lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-replicaCount: 1", "+replicaCount: 3", "-  message: \"\"", "+  message: \"hi: #there\""]
    data = yaml.safe_load(values)
    assert (data["replicaCount"], data["ui"]["message"]) == (3, "hi: #there")


def test_chart_upgrade_keeps_the_users_edits_and_brings_the_new_defaults(template, cluster, helm_repo):
    add_web(template, cluster, helm_repo, chart_version="6.13.0")
    configmap = cluster / CONFIGMAP
    configmap.write_text(configmap.read_text().replace("    replicaCount: 1\n", "    replicaCount: 2 # HA\n")
                         .replace("    logLevel: info\n", "    logLevel: debug\n"))
    commit_all(cluster, "Our values")
    update(cluster, ".copier-answers.app-web.yml", chart_version="6.14.1")
    text = configmap.read_text()
    assert "<<<<<<<" not in text
    values = stored_values(cluster)
    assert values.startswith(f"# values.yaml of chart {helm_repo} podinfo 6.14.1 (chart_version: 6.14.1)\n")
    expected = values_of("6.14.1").replace("replicaCount: 1\n", "replicaCount: 2 # HA\n").replace("logLevel: info\n", "logLevel: debug\n")
    assert values.split("\n", 1)[1] == expected
    assert load(cluster / "web/helmrelease-web.yaml")["spec"]["chart"]["spec"]["version"] == "6.14.1"


def test_a_chart_upgrade_names_the_values_source_that_would_keep_the_old_values(template, cluster, helm_repo):
    """An app whose values came from a local chart (values_source): an update that moves
    chart_version alone would keep the old chart's values (its image tag too) under the
    new chart, silently. It is refused, naming the ways on; giving the source again keeps
    the values, as asked."""
    source = str(CHARTS / "6.0.3")
    add_web(template, cluster, helm_repo, chart_version="6.0.3", values_source=source)
    configmap = cluster / CONFIGMAP
    configmap.write_text(configmap.read_text().replace("    replicaCount: 1\n", "    replicaCount: 2 # HA\n"))
    commit_all(cluster, "Our values")
    before = {path: path.read_text() for path in cluster.rglob("*") if path.is_file() and ".git" not in path.parts}
    refused = copier_cli("update", "--trust", "--defaults", "-a", ".copier-answers.app-web.yml",
                         "-d", "chart_version=6.13.0", cwd=cluster)
    assert refused.returncode != 0
    said = " ".join((refused.stdout + refused.stderr).split())
    assert f"values_source {source} gives this app's values, and this update changes chart_version from 6.0.3 to 6.13.0" in said
    assert "flux-cookbook values refresh web --to 6.13.0" in said  # (after copier's traceback: docs/copier.md)
    assert {path: path.read_text() for path in cluster.rglob("*") if path.is_file() and ".git" not in path.parts} == before

    update(cluster, ".copier-answers.app-web.yml", chart_version="6.13.0", values_source=source)
    assert "replicaCount: 2 # HA\n" in stored_values(cluster) and "  tag: 6.0.3\n" in stored_values(cluster)
    assert load(cluster / "web/helmrelease-web.yaml")["spec"]["chart"]["spec"]["version"] == "6.13.0"


def test_a_chart_upgrade_to_a_chart_in_the_repository_brings_its_values(template, cluster, helm_repo):
    """values_source in the repository, recorded relative to it: copier renders the old and
    the new release in empty folders, where that path names nothing, and reads it from the
    repository the update is run in. The values move to the new chart's, the user's edit
    kept, and the version recorded is theirs (the values stayed the old chart's while the
    answers named the new one)."""
    for version in ("6.0.3", "6.13.0"):
        shutil.copytree(CHARTS / version, cluster / "charts" / "podinfo" / version)
    commit_all(cluster, "The charts, in the repository")
    add_web(template, cluster, helm_repo, chart_version="6.0.3", values_source="charts/podinfo/6.0.3")
    configmap = cluster / CONFIGMAP
    configmap.write_text(configmap.read_text().replace("    replicaCount: 1\n", "    replicaCount: 2 # HA\n"))
    commit_all(cluster, "Our values")
    updated = copier_cli("update", "--trust", "--defaults", "-a", ".copier-answers.app-web.yml", "-d", "chart_version=6.13.0",
                         "-d", "values_source=charts/podinfo/6.13.0", cwd=cluster)
    assert updated.returncode == 0, updated.stderr
    values = stored_values(cluster)
    assert "replicaCount: 2 # HA\n" in values and "  tag: 6.13.0\n" in values and "  tag: 6.0.3\n" not in values
    answers = yaml.safe_load((cluster / ".copier-answers.app-web.yml").read_text())
    assert (answers["values_source"], answers["values_chart_version"]) == ("charts/podinfo/6.13.0", "6.13.0")


def test_values_inline_in_the_helmrelease(template, cluster, helm_repo):
    add_web(template, cluster, helm_repo, values_in="inline", values_overrides={"replicaCount": 2})
    assert not (cluster / CONFIGMAP).exists()
    release_text = (cluster / "web/helmrelease-web.yaml").read_text()
    release = yaml.safe_load(release_text)
    assert "valuesFrom" not in release["spec"]
    expected = yaml.safe_load(values_of("6.14.1"))
    assert release["spec"]["values"] == {**expected, "replicaCount": 2}
    assert "# Default values for podinfo." in release_text  # the chart's comments come along
    assert validate_repo(cluster, CURRENT) == []


def test_oci_chart_uses_ocirepository_and_chart_ref(template, cluster):
    with serve_fake_registry({"6.13.0": chart_archive("6.13.0"), "6.14.1": chart_archive("6.14.1")}) as registry:
        add_web(template, cluster, registry.oci_url, chart_version="6.13.x")
    release = load(cluster / "web/helmrelease-web.yaml")
    assert release["spec"]["chartRef"] == {"kind": "OCIRepository", "name": "web"}
    oci = load(cluster / "web/ocirepository-web.yaml")
    assert oci["spec"]["url"] == registry.oci_url + "/podinfo" and oci["spec"]["ref"] == {"semver": "6.13.x"}
    assert oci["metadata"]["namespace"] == release["metadata"]["namespace"]
    assert not list((cluster / "bootstrap/helmrepositories").glob("*.yaml"))
    assert stored_values(cluster).split("\n", 1)[1] == values_of("6.13.0")
    assert validate_repo(cluster, CURRENT) == []


NOTE = "Note: could not fetch the values of chart podinfo"


@pytest.mark.parametrize("answer", [(), ("fetch_values=true",)], ids=["by default", "answered yes"])
def test_unreachable_repository_gives_the_placeholder_and_says_why_once(template, cluster, answer):
    """One behaviour, however fetch_values is answered: copier checks no yes/no answer at
    its prompt, so a yes is not refused on the command line either."""
    result = add_web_cli(template, cluster, "http://127.0.0.1:9", *answer)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(NOTE) == 1 and "connection refused" in result.stderr
    assert ".." not in result.stderr.split(NOTE)[1].split("\n")[0]
    assert "helm show values podinfo" in stored_values(cluster)


@pytest.mark.parametrize("kind", ["traversal", "symlink"])
def test_hostile_archives_are_never_unpacked(template, cluster, tmp_path, kind):
    folder = write_helm_repo(tmp_path / "evil", {"6.14.1": hostile_archive(kind)})
    with serve_folder(folder) as url:
        result = add_web_cli(template, cluster, url, "fetch_values=true")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(NOTE) == 1 and "unsafe chart archive" in result.stderr
    assert "helm show values podinfo" in stored_values(cluster)
    assert not (cluster / "web" / "templates").exists()


def test_an_update_out_of_reach_keeps_the_values_and_says_so_once(web_at_6_13, tmp_path, monkeypatch):
    """An update renders the app three times (the old release once, the new one twice)."""
    cluster, helm_repo = own_copy(web_at_6_13[0], tmp_path / "cluster"), web_at_6_13[1]
    before = stored_values(cluster)
    monkeypatch.setenv("FLUX_COOKBOOK_OFFLINE", "1")
    unreachable = helm_repo.replace("127.0.0.1", "localhost.invalid")
    answers_file = cluster / ".copier-answers.app-web.yml"
    answers_file.write_text(answers_file.read_text().replace(helm_repo, unreachable))
    commit_all(cluster, "The repository moved")
    result = copier_cli("update", "--trust", "--defaults", "-a", ".copier-answers.app-web.yml", cwd=cluster)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(NOTE) == 1, result.stderr
    assert stored_values(cluster) == before


def test_no_fetch_is_tried_when_it_is_not_needed(template, tmp_path):
    """copier renders the default of a question it skips: neither a cluster nor an app
    with its own values_source may reach for (or talk about) a chart repository."""
    result = copier_cli("copy", "--trust", "--defaults", "-d", "include_example_app=false", "-d", "sealed_secrets=false",
                        str(template.path),
                        str(tmp_path / "cluster"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "could not fetch" not in result.stderr
    cluster = init_repo(tmp_path / "cluster")
    requests: list = []
    with serve_helm_repo(tmp_path, log=requests) as url:
        result = add_web_cli(template, cluster, url, f"values_source={CHARTS / '6.13.0'}")
    assert result.returncode == 0, result.stderr
    assert requests == [] and "could not fetch" not in result.stderr
    assert stored_values(cluster) == values_of("6.13.0")
