"""`flux-cookbook values outdated` and `values refresh` on the real podinfo and traefik
charts, served as a Helm repository on loopback that gains releases after the apps are added."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from flux_cookbook.errors import UserError
from flux_cookbook.extensions.chart_source import default_cache_dir
from flux_cookbook.extensions.chart_values import PLACEHOLDER_MARKER
from flux_cookbook.extensions.values_overrides import apply_overrides
from flux_cookbook.repository.lock import one_writer
from tests.support.flux_schema import validate_repo
from tests.support.helm_repo_server import CHARTS, PODINFO_VERSIONS, TRAEFIK_VERSIONS, chart_archive, serve_folder, write_charts_repo
from tests.support.project import CRDS, commit_all, cookbook_cli, copy, init_repo, own_copy, tree_state, update
from tests.support.template_repo import PROJECT_ROOT, git

CURRENT = [CRDS / "current", CRDS / "sealed-secrets"]
PODINFO_OVERRIDES = {"replicaCount": 2, "logLevel": "debug", "ui": {"message": "hello from the cookbook"}}


@pytest.fixture(scope="module")
def empty_cluster(template, tmp_path_factory) -> Path:
    return init_repo(copy(template.path, tmp_path_factory.mktemp("cluster") / "repo",
                          include_example_app=False, sealed_secrets=False))


@pytest.fixture
def cluster(empty_cluster, tmp_path) -> Path:
    return own_copy(empty_cluster, tmp_path / "cluster")


@pytest.fixture
def charts(tmp_path):
    """(folder, url) of a Helm repository holding podinfo 6.0.3 and traefik 10.24.0; call
    `release(folder)` to publish every other version."""
    folder = write_charts_repo(tmp_path / "charts", {"podinfo": ("6.0.3",), "traefik": ("10.24.0",)})
    with serve_folder(folder) as url:
        yield folder, url


def added_then_released(empty_cluster, tmp_path_factory, add: Callable[[Path, str], None]) -> Iterator[tuple[Path, str]]:
    """For a module's fixture: (cluster, url), a copy of empty_cluster that `add(cluster, url)`
    added apps to from a Helm repository holding podinfo 6.0.3 and traefik 10.24.0 (as
    `charts` has them), which then published every other version; served for the module's
    tests, each of which works on its own copy of the cluster (`own`)."""
    folder = tmp_path_factory.mktemp("added-then-released")
    charts = write_charts_repo(folder / "charts", {"podinfo": ("6.0.3",), "traefik": ("10.24.0",)})
    with serve_folder(charts) as url:
        cluster = own_copy(empty_cluster, folder / "cluster")
        add(cluster, url)
        release(charts)
        yield cluster, url


def own(added: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    """A test's own copy of a module's cluster, and the URL its apps were added from."""
    cluster, url = added
    return own_copy(cluster, tmp_path / "cluster"), url


@pytest.fixture(scope="module")
def podinfo_6x(template, empty_cluster, tmp_path_factory):
    """(cluster, url): podinfo added with chart_version 6.x and no overrides (added_then_released)."""
    yield from added_then_released(empty_cluster, tmp_path_factory,
                                   lambda cluster, url: add_app(template, cluster, url, "podinfo", "6.x", {}))


@pytest.fixture(scope="module")
def podinfo_6x_two_replicas(template, empty_cluster, tmp_path_factory):
    """(cluster, url): podinfo added with chart_version 6.x and replicaCount 2 (added_then_released)."""
    yield from added_then_released(
        empty_cluster, tmp_path_factory,
        lambda cluster, url: add_app(template, cluster, url, "podinfo", "6.x", {"replicaCount": 2}))


@pytest.fixture(scope="module")
def podinfo_6x_inline(template, empty_cluster, tmp_path_factory):
    """(cluster, url): podinfo added with chart_version 6.x and replicaCount 2, its values
    inline in the HelmRelease (added_then_released)."""
    yield from added_then_released(
        empty_cluster, tmp_path_factory,
        lambda cluster, url: add_app(template, cluster, url, "podinfo", "6.x", {"replicaCount": 2}, values_in="inline"))


@pytest.fixture(scope="module")
def podinfo_6x_commented(template, empty_cluster, tmp_path_factory):
    """(cluster, url): podinfo with three overrides and the user's comments, as
    podinfo_at_6_0_3 adds it (added_then_released)."""
    yield from added_then_released(empty_cluster, tmp_path_factory,
                                   lambda cluster, url: podinfo_at_6_0_3(template, cluster, url))


@pytest.fixture(scope="module")
def podinfo_exactly_6_0_3(template, empty_cluster, tmp_path_factory):
    """(cluster, url): podinfo added at chart_version 6.0.3 from a Helm repository, served
    for the module's tests, that has every release; copy the cluster with own_copy."""
    folder = write_charts_repo(tmp_path_factory.mktemp("every-release"), {"podinfo": PODINFO_VERSIONS})
    with serve_folder(folder) as url:
        cluster = own_copy(empty_cluster, tmp_path_factory.mktemp("podinfo-6.0.3") / "cluster")
        add_app(template, cluster, url, "podinfo", "6.0.3", {"replicaCount": 2})
        yield cluster, url


@pytest.fixture(scope="module")
def oci_podinfo_6_0_3(template, empty_cluster, tmp_path_factory) -> Path:
    """A cluster with podinfo added at chart_version 6.0.3 from an OCI registry, served for
    the module's tests, that has every release; copy it with own_copy."""
    from tests.support.helm_repo_server import chart_archive, serve_fake_registry

    with serve_fake_registry({version: chart_archive(version) for version in PODINFO_VERSIONS}) as registry:
        cluster = own_copy(empty_cluster, tmp_path_factory.mktemp("oci-podinfo-6.0.3") / "cluster")
        add_app(template, cluster, registry.oci_url, "podinfo", "6.0.3", {"replicaCount": 2})
        yield cluster


def release(folder: Path) -> None:
    write_charts_repo(folder, {"podinfo": PODINFO_VERSIONS, "traefik": TRAEFIK_VERSIONS})


def defaults(chart: str, version: str) -> str:
    return (CHARTS / chart / version / "values.yaml").read_text()


def add_app(template, cluster: Path, url: str, chart: str, version_range: str, overrides: dict, **data) -> None:
    copy(template.path, cluster, kind="app", app_name=chart, chart=chart, helm_repo_url=url,
         chart_version=version_range, values_overrides=overrides, health_checks=[], **data)
    commit_all(cluster, f"Add {chart}")


def values_file(cluster: Path, app: str) -> Path:
    return cluster / app / f"configmap-{app}-helm-chart-value-overrides.yaml"


def values_text(cluster: Path, app: str) -> str:
    return yaml.safe_load(values_file(cluster, app).read_text())["data"]["values.yaml"]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def moved(cluster: Path, url: str, new: str) -> None:
    """podinfo's Helm repository at `new`: its HelmRepository, and the answer recording it."""
    edit(cluster / ".copier-answers.app-podinfo.yml", url, new)
    (repository,) = (cluster / "bootstrap/helmrepositories").glob("helmrepository-*.yaml")
    edit(repository, url, new)


def commits(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD"))


def podinfo_at_6_0_3(template, cluster: Path, url: str) -> None:
    """podinfo added when 6.0.3 was the newest 6.x, with three overrides and the user's comments."""
    add_app(template, cluster, url, "podinfo", "6.x", PODINFO_OVERRIDES)
    path = values_file(cluster, "podinfo")
    edit(path, "    replicaCount: 2\n", "    # two, so that a node drain never takes it down\n    replicaCount: 2\n")
    edit(path, "    logLevel: debug\n", "    logLevel: debug # until the rollout settles\n")
    commit_all(cluster, "Our comments")


def test_podinfo_from_6_0_3_to_what_6_x_installs(podinfo_6x_commented, tmp_path):
    cluster, url = own(podinfo_6x_commented, tmp_path)

    result = cookbook_cli("values", "outdated", str(cluster), "--format", "json")
    assert result.returncode == 1, result.stderr
    (row,) = json.loads(result.stdout)
    assert (row["values_from"], row["installs"], row["behind"]) == ("6.0.3", "6.14.1", True)

    before = commits(cluster)
    result = cookbook_cli("values", "refresh", "podinfo", "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    assert commits(cluster) == before + 1 and git(cluster, "status", "--porcelain") == ""
    text = values_text(cluster, "podinfo")
    assert text.startswith(f"# values.yaml of chart {url} podinfo 6.14.1 (chart_version: 6.x)\n")
    assert "    # two, so that a node drain never takes it down\n    replicaCount: 2\n" in values_file(cluster, "podinfo").read_text()
    assert "logLevel: debug # until the rollout settles\n" in text
    # The user's three values over the new chart's defaults, every new option included.
    assert yaml.safe_load(text) == yaml.safe_load(apply_overrides(defaults("podinfo", "6.14.1"), PODINFO_OVERRIDES))
    new_options = set(yaml.safe_load(defaults("podinfo", "6.14.1"))) - set(yaml.safe_load(defaults("podinfo", "6.0.3")))
    assert new_options and all(f"\n{key}:" in text for key in new_options)
    assert yaml.safe_load((cluster / ".copier-answers.app-podinfo.yml").read_text())["values_chart_version"] == "6.14.1"
    assert validate_repo(cluster, CURRENT) == []

    state = tree_state(cluster)
    again = cookbook_cli("values", "refresh", "podinfo", "-C", str(cluster))
    assert again.returncode == 0 and "nothing to change" in again.stdout, again.stdout + again.stderr
    assert tree_state(cluster) == state
    assert cookbook_cli("values", "outdated", str(cluster)).returncode == 0


def test_the_repository_flux_gets_the_chart_from_is_the_one_asked(template, cluster, charts, tmp_path):
    """The HelmRepository moved to a mirror by hand, its answer left as it was: Flux installs
    what the mirror has, so outdated and refresh ask the mirror (they asked the answer's
    repository, and a scheduled job proposed values of a version Flux cannot install)."""
    folder, url = charts
    add_app(template, cluster, url, "podinfo", "6.x", {})
    release(folder)  # the answers' repository has every version, the mirror 6.0.3 only
    mirror_folder = write_charts_repo(tmp_path / "mirror", {"podinfo": ("6.0.3",)})
    with serve_folder(mirror_folder) as mirror:
        (repository,) = (cluster / "bootstrap/helmrepositories").glob("helmrepository-*.yaml")
        edit(repository, f"url: {url}", f"url: {mirror}")
        commit_all(cluster, "Charts from our mirror")
        result = cookbook_cli("values", "outdated", str(cluster), "--format", "json")
        (row,) = json.loads(result.stdout)
        assert result.returncode == 0 and (row["installs"], row["behind"]) == ("6.0.3", False), result.stdout + result.stderr
        state = tree_state(cluster)
        again = cookbook_cli("values", "refresh", "podinfo", "-C", str(cluster))
        assert again.returncode == 0 and "nothing to change" in again.stdout, again.stdout + again.stderr
        assert tree_state(cluster) == state


SPLIT_KEY = """\
  extra.yaml: |
    redis:
      tag: 7.2.4
    linkerd:
      profile:
        enabled: true
"""


def test_what_the_helm_releases_other_value_sources_set_is_judged_too(podinfo_6x, tmp_path):
    """The user keeps settings in a second key of the ConfigMap and takes a Secret too:
    Helm merges them all. A default the chart changed under them is named, a key the chart
    dropped leaves the refresh to the user (it was committed, "no chart default change
    touches a key you set"), and what cannot be read is said not judged."""
    cluster, _ = own(podinfo_6x, tmp_path)
    path = values_file(cluster, "podinfo")
    path.write_text(path.read_text() + SPLIT_KEY)
    edit(cluster / "podinfo/helmrelease-podinfo.yaml", "      valuesKey: values.yaml # the default, but best to be explicit\n",
         "      valuesKey: values.yaml # the default, but best to be explicit\n"
         "    - kind: ConfigMap\n      name: podinfo-helm-chart-value-overrides\n      valuesKey: extra.yaml\n"
         "    - kind: Secret\n      name: podinfo-credentials\n      valuesKey: values.yaml\n")
    commit_all(cluster, "Settings of ours apart")
    state = tree_state(cluster)
    result = cookbook_cli("values", "refresh", "podinfo", "-C", str(cluster))
    assert result.returncode == 1, result.stdout + result.stderr
    said = " ".join(result.stdout.split())
    assert ("redis.tag: the chart's default changed from 6.0.8 to 8.8.0; ConfigMap podinfo-helm-chart-value-overrides "
            "key extra.yaml sets it (kept)") in said
    assert "linkerd.profile.enabled (set by ConfigMap podinfo-helm-chart-value-overrides key extra.yaml)" in said
    assert "Not judged (not read here): the values of Secret podinfo-credentials key values.yaml." in said
    assert git(cluster, "rev-parse", "HEAD") == state[0]  # left for the user, not committed
    assert "extra.yaml: |\n    redis:\n      tag: 7.2.4\n" in path.read_text()


def test_values_under_a_key_of_the_users_naming_are_refreshed_there(podinfo_6x, tmp_path):
    """The HelmRelease's valuesKey names the ConfigMap's key that holds the values: refresh
    reads and writes that one (it refused: "has no data key values.yaml")."""
    cluster, _ = own(podinfo_6x, tmp_path)
    path = values_file(cluster, "podinfo")
    edit(path, "  values.yaml: |\n", "  overrides.yaml: |\n")
    edit(cluster / "podinfo/helmrelease-podinfo.yaml", "valuesKey: values.yaml", "valuesKey: overrides.yaml")
    commit_all(cluster, "Our key name")
    result = cookbook_cli("values", "refresh", "podinfo", "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    data = yaml.safe_load(path.read_text())["data"]
    assert list(data) == ["overrides.yaml"] and "podinfo 6.14.1" in data["overrides.yaml"].splitlines()[0]


def test_values_that_are_the_placeholder_are_filled_in(template, cluster, charts):
    """An app added when its chart could not be fetched holds the placeholder, its
    overrides below it: outdated calls it behind (a scheduled job then refreshes it), and
    refresh writes the chart's values with every key set below the placeholder. It told the
    user to name the version the placeholder came from, and a header that did so left it."""
    folder, url = charts
    add_app(template, cluster, url, "podinfo", "6.x", {"replicaCount": 2}, fetch_values=False)
    edit(values_file(cluster, "podinfo"), "    replicaCount: 2\n", "    replicaCount: 2\n    ui:\n      message: ours\n")
    commit_all(cluster, "Our message")
    assert values_text(cluster, "podinfo").startswith(PLACEHOLDER_MARKER)
    release(folder)
    result = cookbook_cli("values", "outdated", str(cluster), "--format", "json")
    (row,) = json.loads(result.stdout)
    assert result.returncode == 1 and (row["values_from"], row["installs"], row["behind"]) == ("placeholder", "6.14.1", True)
    result = cookbook_cli("values", "refresh", "podinfo", "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("podinfo: the placeholder filled in with chart podinfo 6.14.1\n")
    text = values_text(cluster, "podinfo")
    assert text.startswith(f"# values.yaml of chart {url} podinfo 6.14.1 (chart_version: 6.x)\n")
    assert yaml.safe_load(text) == yaml.safe_load(apply_overrides(defaults("podinfo", "6.14.1"),
                                                                  {"replicaCount": 2, "ui": {"message": "ours"}}))
    assert yaml.safe_load((cluster / ".copier-answers.app-podinfo.yml").read_text())["values_chart_version"] == "6.14.1"
    assert git(cluster, "status", "--porcelain") == ""
    assert cookbook_cli("values", "outdated", str(cluster)).returncode == 0


@pytest.mark.parametrize("fixture", ["podinfo_6x_two_replicas", "podinfo_6x_inline"])
def test_a_values_file_with_crlf_line_ends_keeps_them(request, fixture, tmp_path):
    """A values file saved on Windows: the refreshed values go in with its CRLF line ends,
    not as LF lines amid CRLF ones."""
    cluster, _ = own(request.getfixturevalue(fixture), tmp_path)
    path = cluster / "podinfo/helmrelease-podinfo.yaml" if fixture.endswith("inline") else values_file(cluster, "podinfo")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    commit_all(cluster, "Edited on Windows")
    result = cookbook_cli("values", "refresh", "podinfo", "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    data = path.read_bytes()
    assert b"# values.yaml of chart " in data and b"podinfo 6.14.1" in data
    assert data.count(b"\n") == data.count(b"\r\n") > 100


@pytest.mark.parametrize("to", ["6.14.1", ">=6.0.0"])  # an exact version; a range that still allows 6.0.3
def test_copier_update_with_a_chart_version_gives_the_same_values_as_refresh(podinfo_6x_commented, tmp_path, to):
    cluster, _ = own(podinfo_6x_commented, tmp_path)
    by_copier = own_copy(cluster, tmp_path / "by-copier")
    update(by_copier, ".copier-answers.app-podinfo.yml", chart_version=to)
    result = cookbook_cli("values", "refresh", "podinfo", "--to", to, "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "<<<<<<<" not in values_file(by_copier, "podinfo").read_text()
    assert yaml.safe_load(values_text(by_copier, "podinfo")) == yaml.safe_load(values_text(cluster, "podinfo"))
    release_file = "podinfo/helmrelease-podinfo.yaml"
    assert yaml.safe_load((by_copier / release_file).read_text()) == yaml.safe_load((cluster / release_file).read_text())
    recorded = [{key: yaml.safe_load((repo / ".copier-answers.app-podinfo.yml").read_text())[key]
                 for key in ("values_chart_version", "values_chart_range")} for repo in (by_copier, cluster)]
    assert recorded == [{"values_chart_version": "6.14.1", "values_chart_range": to}] * 2
    # Both recorded the same base: the next plain update changes no values.
    commit_all(by_copier, "Updated")
    values = values_text(by_copier, "podinfo")
    update(by_copier, ".copier-answers.app-podinfo.yml")
    assert values_text(by_copier, "podinfo") == values


TRAEFIK_OVERRIDES = {"ports": {"web": {"expose": True}}, "podSecurityPolicy": {"enabled": True}}


def test_traefik_through_three_majors(template, cluster, charts):
    folder, url = charts
    add_app(template, cluster, url, "traefik", "10.x", TRAEFIK_OVERRIDES)
    release(folder)
    path = values_file(cluster, "traefik")

    # 10.24.0 -> 28.0.0: `expose: true` became a mapping; a conflict, named, both versions kept.
    # A dry run says so first (exit 1: a scheduled job's dry run fails), and writes nothing.
    state = tree_state(cluster)
    dry = cookbook_cli("values", "refresh", "traefik", "--to", "28.x", "--dry-run", "-C", str(cluster))
    assert dry.returncode == 1 and "ports.web.expose" in dry.stdout, dry.stdout + dry.stderr
    assert "would leave traefik written, not committed" in dry.stderr
    assert tree_state(cluster) == state
    result = cookbook_cli("values", "refresh", "traefik", "--to", "28.x", "-C", str(cluster))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ports.web.expose" in result.stdout and path.name in result.stderr
    text = path.read_text()
    assert text.count("<<<<<<< before refreshing") == 1
    ours, theirs = text.split("<<<<<<< before refreshing")[1].split(">>>>>>>")[0].split("=======")
    assert "expose: true" in ours and "expose:\n          default: true" in theirs
    assert "podSecurityPolicy" in text  # never silently dropped
    assert yaml.safe_load((cluster / "traefik/helmrelease-traefik.yaml").read_text())["spec"]["chart"]["spec"]["version"] == "28.x"
    refreshed_again = cookbook_cli("values", "refresh", "traefik", "-C", str(cluster))
    assert refreshed_again.returncode == 1 and "uncommitted changes" in refreshed_again.stderr

    # The user resolves it (the chart's form, exposed) and commits.
    lines = text.splitlines(True)
    start, middle, end = (next(i for i, line in enumerate(lines) if line.strip().startswith(mark))
                          for mark in ("<<<<<<<", "=======", ">>>>>>>"))
    path.write_text("".join(lines[:start] + lines[middle + 1:end] + lines[end + 1:]))
    commit_all(cluster, "Resolved")
    assert yaml.safe_load(values_text(cluster, "traefik"))["ports"]["web"]["expose"] == {"default": True}

    # 28.0.0 -> 41.3.0: podSecurityPolicy is gone from the chart: named, kept, and the
    # chart's values.schema.json refuses it.
    result = cookbook_cli("values", "refresh", "traefik", "--to", "41.x", "-C", str(cluster))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no longer has" in result.stdout and "podSecurityPolicy.enabled" in result.stdout
    assert "values.schema.json" in result.stdout and "'podSecurityPolicy' was unexpected" in result.stdout
    data = yaml.safe_load(values_text(cluster, "traefik"))
    assert data["podSecurityPolicy"] == {"enabled": True} and data["ports"]["web"]["expose"] == {"default": True}
    assert "globalArguments" not in data  # dropped by the chart, never set by the user: gone


def test_a_local_chart_folder_as_the_target(template, cluster, charts):
    folder, url = charts
    add_app(template, cluster, url, "traefik", "10.x", {"deployment": {"replicas": 3}})
    result = cookbook_cli("values", "refresh", "traefik", "--to", str(CHARTS / "traefik" / "20.8.0"), "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    data = yaml.safe_load(values_text(cluster, "traefik"))
    assert data == yaml.safe_load(apply_overrides(defaults("traefik", "20.8.0"), {"deployment": {"replicas": 3}}))
    assert yaml.safe_load((cluster / "traefik/helmrelease-traefik.yaml").read_text())["spec"]["chart"]["spec"]["version"] == "20.8.0"


def test_values_copied_from_a_chart_in_the_repository_refresh_from_its_version(template, cluster, charts):
    # podinfo 6.13.0 and 6.14.1 have the same keys, so values that name no version would be
    # matched to the newer one, and its image tag taken for an edit of the user's. The chart's
    # Chart.yaml names the version they came from.
    folder, url = charts
    shutil.copytree(CHARTS / "podinfo" / "6.13.0", cluster / "charts" / "podinfo")
    commit_all(cluster, "Our copy of the podinfo chart")
    add_app(template, cluster, url, "podinfo", "6.x", {"replicaCount": 2}, values_source="charts/podinfo")
    # Recorded from the chart's Chart.yaml on copy: a chart outside the repository, which
    # refresh never reads, names its version the same way.
    assert yaml.safe_load((cluster / ".copier-answers.app-podinfo.yml").read_text())["values_chart_version"] == "6.13.0"
    release(folder)
    result = cookbook_cli("values", "refresh", "podinfo", "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    expected = yaml.safe_load(apply_overrides(defaults("podinfo", "6.14.1"), {"replicaCount": 2}))
    assert yaml.safe_load(values_text(cluster, "podinfo")) == expected
    # A later update of the range alone keeps the version refresh recorded: the chart the
    # app was made from (values_source, not given again) no longer says what the values are.
    commit_all(cluster, "Refreshed")
    update(cluster, ".copier-answers.app-podinfo.yml", chart_version="6.14.x")
    assert yaml.safe_load(values_text(cluster, "podinfo")) == expected
    assert yaml.safe_load((cluster / ".copier-answers.app-podinfo.yml").read_text())["values_chart_version"] == "6.14.1"


def test_values_from_a_chart_in_the_repository_refresh_with_no_chart_cache(template, cluster):
    """The chart the values came from is in the repository (values_source) at the version
    they came from: refresh merges from it, offline and with nothing cached (it asked the
    chart cache, or the chart's repository, and refused)."""
    for version in ("6.13.0", "6.14.1"):
        shutil.copytree(CHARTS / "podinfo" / version, cluster / "charts" / "podinfo" / version)
    commit_all(cluster, "Our copies of the podinfo chart")
    add_app(template, cluster, "https://charts.example.invalid", "podinfo", "6.13.x", {"replicaCount": 2},
            values_source="charts/podinfo/6.13.0")
    result = cookbook_cli("values", "refresh", "podinfo", "--to", "charts/podinfo/6.14.1", "-C", str(cluster), cwd=cluster)
    assert result.returncode == 0, result.stdout + result.stderr
    expected = yaml.safe_load(apply_overrides(defaults("podinfo", "6.14.1"), {"replicaCount": 2}))
    assert yaml.safe_load(values_text(cluster, "podinfo")) == expected


def test_refresh_to_a_chart_folder_records_it_as_the_apps_values_source(template, cluster, charts):
    """An app made from a chart folder (values_source), refreshed to another: each later
    copier update renders its merge's base from values_source, and the folder it was made
    from would make every line the two charts differ in a conflict."""
    _, url = charts
    add_app(template, cluster, url, "traefik", "10.24.0", {}, values_source=str(CHARTS / "traefik" / "10.24.0"))
    result = cookbook_cli("values", "refresh", "traefik", "--to", str(CHARTS / "traefik" / "20.8.0"), "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    answers = yaml.safe_load((cluster / ".copier-answers.app-traefik.yml").read_text())
    assert (answers["values_source"], answers["values_chart_version"]) == (str(CHARTS / "traefik" / "20.8.0"), "20.8.0")
    commit_all(cluster, "Refreshed to 20.8.0")
    update(cluster, ".copier-answers.app-traefik.yml", chart_version="28.0.0", values_source=str(CHARTS / "traefik" / "28.0.0"))
    assert "<<<<<<<" not in values_file(cluster, "traefik").read_text()
    assert yaml.safe_load(values_text(cluster, "traefik")) == yaml.safe_load(defaults("traefik", "28.0.0"))


def test_refresh_to_a_chart_folder_in_the_repository_records_it_for_the_next_refresh(podinfo_6x, tmp_path, monkeypatch):
    """An app whose values came from its chart repository, refreshed to a chart folder kept
    in the repository: that folder is its values_source from then on, and the next refresh
    reads the version its values came from there (offline, no chart cache: it was refused)."""
    cluster, _ = own(podinfo_6x, tmp_path)
    shutil.copytree(CHARTS / "podinfo" / "6.14.1", cluster / "charts" / "podinfo")
    commit_all(cluster, "The chart, kept in the repository")
    (cluster / "charts" / "podinfo" / "values.yaml.orig").write_text("a: 1\n")  # a merge's leftover, git-ignored
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    result = cookbook_cli("values", "refresh", "podinfo", "--to", str(cluster / "charts" / "podinfo"), "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    assert yaml.safe_load((cluster / ".copier-answers.app-podinfo.yml").read_text())["values_source"] == "charts/podinfo"
    assert "git ignores" not in result.stdout + result.stderr
    again = cookbook_cli("values", "refresh", "podinfo", "--to", str(cluster / "charts" / "podinfo"), "-C", str(cluster))
    assert again.returncode == 0 and "already current" in again.stdout + again.stderr, again.stdout + again.stderr


def test_refresh_to_a_chart_folder_git_ignores_says_no_other_clone_has_it(podinfo_6x, tmp_path):
    cluster, _ = own(podinfo_6x, tmp_path)
    with (cluster / ".gitignore").open("a") as ignore:
        ignore.write("charts/\n")
    commit_all(cluster, "Charts stay on this machine")
    shutil.copytree(CHARTS / "podinfo" / "6.14.1", cluster / "charts" / "podinfo")
    result = cookbook_cli("values", "refresh", "podinfo", "--to", str(cluster / "charts" / "podinfo"), "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    assert ("values_source charts/podinfo is in the repository, but git ignores charts/podinfo/" in result.stdout
            and "commit it (`git add -f charts/podinfo`)" in result.stdout), result.stdout


def test_values_that_name_no_version_match_the_release_they_equal(template, cluster, charts):
    # A values file pasted from 6.13.0: its keys are 6.14.1's too; its values are 6.13.0's.
    folder, url = charts
    shutil.copy(CHARTS / "podinfo" / "6.13.0" / "values.yaml", cluster / "podinfo-values.yaml")
    commit_all(cluster, "Values pasted from the chart")
    add_app(template, cluster, url, "podinfo", "6.x", {}, values_source="podinfo-values.yaml")
    release(folder)
    result = cookbook_cli("values", "refresh", "podinfo", "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("podinfo: values from chart podinfo 6.13.0 to 6.14.1\n")
    assert yaml.safe_load(values_text(cluster, "podinfo")) == yaml.safe_load(defaults("podinfo", "6.14.1"))


def test_inline_values_and_dry_run(podinfo_6x_inline, tmp_path):
    cluster, _ = own(podinfo_6x_inline, tmp_path)
    state = tree_state(cluster)
    dry = cookbook_cli("values", "refresh", "--all", "--dry-run", "-C", str(cluster))
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.index("podinfo: values from chart podinfo 6.0.3 to 6.14.1") < dry.stdout.index("+++ b/podinfo/helmrelease-podinfo.yaml")
    assert tree_state(cluster) == state
    result = cookbook_cli("values", "refresh", "--all", "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    release_data = yaml.safe_load((cluster / "podinfo/helmrelease-podinfo.yaml").read_text())
    assert release_data["spec"]["values"] == {**yaml.safe_load(defaults("podinfo", "6.14.1")), "replicaCount": 2}
    assert validate_repo(cluster, CURRENT) == []



def test_inline_values_with_a_comment_at_the_left_edge_are_refreshed_whole(podinfo_6x_inline, tmp_path):
    """A line commented out at column 0 inside spec.values is still inside them: the values
    after it are the chart's too, and move with it."""
    cluster, _ = own(podinfo_6x_inline, tmp_path)
    path = cluster / "podinfo/helmrelease-podinfo.yaml"
    text = path.read_text()
    indent = next(line for line in text.splitlines() if line.strip() == "replicaCount: 2").index("r")
    edit(path, f"{' ' * indent}replicaCount: 2\n", f"{' ' * indent}replicaCount: 2\n#{' ' * (indent - 1)}logLevel: debug\n")
    commit_all(cluster, "A value commented out")
    result = cookbook_cli("values", "refresh", "--all", "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    text = path.read_text()
    assert yaml.safe_load(text)["spec"]["values"] == {**yaml.safe_load(defaults("podinfo", "6.14.1")), "replicaCount": 2}
    assert f"#{' ' * (indent - 1)}logLevel: debug\n" in text
    assert validate_repo(cluster, CURRENT) == []


def test_a_helmrelease_file_with_a_second_document_gets_its_new_range(podinfo_6x, tmp_path):
    cluster, _ = own(podinfo_6x, tmp_path)
    path = cluster / "podinfo/helmrelease-podinfo.yaml"
    account = "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: podinfo-extra\n  namespace: podinfo\n"
    path.write_text(path.read_text() + account)
    commit_all(cluster, "A ServiceAccount beside the HelmRelease")
    result = cookbook_cli("values", "refresh", "podinfo", "--to", "6.13.0", "-C", str(cluster))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stdout + result.stderr
    documents = list(yaml.safe_load_all(path.read_text()))
    assert documents[0]["spec"]["chart"]["spec"]["version"] == "6.13.0"
    assert path.read_text().endswith(account)
    assert validate_repo(cluster, CURRENT) == []


def test_a_helmrelease_that_names_no_version_installs_the_newest(template, podinfo_exactly_6_0_3, tmp_path):
    """Flux's HelmChart defaults its version to "*": outdated and refresh read that, not the
    answers' 6.0.3; the answers keep 6.0.3, so that a later copier update leaves the
    HelmRelease without a version and the values as refresh wrote them."""
    cluster, url = own_copy(podinfo_exactly_6_0_3[0], tmp_path / "cluster"), podinfo_exactly_6_0_3[1]
    release_file = cluster / "podinfo/helmrelease-podinfo.yaml"
    edit(release_file, "      version: 6.0.3\n", "")
    commit_all(cluster, "Whatever podinfo is newest")
    without_version = release_file.read_text()

    shown = cookbook_cli("values", "outdated", str(cluster), "--format", "json")
    [row] = json.loads(shown.stdout)
    assert (row["chart_version"], row["values_from"], row["installs"], row["behind"]) == ("*", "6.0.3", "6.14.1", True), row
    result = cookbook_cli("values", "refresh", "podinfo", "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    assert yaml.safe_load(values_text(cluster, "podinfo")) == {**yaml.safe_load(defaults("podinfo", "6.14.1")), "replicaCount": 2}
    assert values_text(cluster, "podinfo").startswith(f"# values.yaml of chart {url} podinfo 6.14.1 (chart_version: 6.0.3)\n")
    answers = yaml.safe_load((cluster / ".copier-answers.app-podinfo.yml").read_text())
    assert (answers["chart_version"], answers["values_chart_range"], answers["values_chart_version"]) == ("6.0.3", "6.0.3", "6.14.1")
    assert release_file.read_text() == without_version

    values = values_file(cluster, "podinfo").read_text()
    update(cluster, ".copier-answers.app-podinfo.yml")
    assert release_file.read_text() == without_version
    assert values_file(cluster, "podinfo").read_text() == values


@pytest.mark.parametrize("signal_name, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_refresh_stopped_before_its_commit_leaves_the_repository_clean(podinfo_6x_two_replicas, tmp_path, monkeypatch,
                                                                         signal_name, code):
    """Ctrl-C (or SIGTERM, a scheduled job ended) after the first file of an app is written:
    that app's files go back, so the next run is not refused for uncommitted changes, and it
    refreshes the app."""
    cluster, _ = own(podinfo_6x_two_replicas, tmp_path)
    before = tree_state(cluster)
    monkeypatch.setenv("FLUX_COOKBOOK_SIGNAL_AT", f"values-written:{signal_name}")
    stopped = cookbook_cli("values", "refresh", "--all", "-C", str(cluster))
    assert stopped.returncode == code and "Traceback" not in stopped.stderr, stopped.stderr
    assert ("values refresh: stopped: no app refreshed and committed; the files of podinfo put back; run it "
            "again for the rest.") in stopped.stderr
    assert tree_state(cluster) == before
    monkeypatch.delenv("FLUX_COOKBOOK_SIGNAL_AT")
    again = cookbook_cli("values", "refresh", "--all", "-C", str(cluster))
    assert again.returncode == 0, again.stdout + again.stderr
    assert yaml.safe_load(values_text(cluster, "podinfo"))["replicaCount"] == 2

def test_a_stop_in_the_second_app_left_for_you_puts_back_the_first_too(template, cluster, charts, monkeypatch):
    """Two apps whose refresh needs hands (traefik 10 -> 28: `expose` became a mapping):
    stopped while the second one's files are written, the run takes back the first one's
    as well (written, not committed), so the next run is not refused for them."""
    folder, url = charts
    for app in ("traefik", "traefik-b"):
        copy(template.path, cluster, kind="app", app_name=app, chart="traefik", helm_repo_url=url,
             chart_version="10.x", values_overrides=TRAEFIK_OVERRIDES, health_checks=[])
    commit_all(cluster, "Add two traefiks")
    release(folder)
    args = ("values", "refresh", "traefik", "traefik-b", "--to", "28.x", "-C", str(cluster))
    dry = cookbook_cli(*args, "--dry-run")
    first_plan = dry.stdout.split("\ntraefik-b: values from")[0]
    assert "would leave traefik, traefik-b written" in dry.stderr, dry.stdout + dry.stderr
    before = tree_state(cluster)
    # The second app's first file: one past every file of the first.
    second_app_written = f"values-written:{{}}:{first_plan.count('+++ b/') + 1}"
    monkeypatch.setenv("FLUX_COOKBOOK_SIGNAL_AT", second_app_written.format("SIGINT"))
    stopped = cookbook_cli(*args)
    assert stopped.returncode == 130 and "Traceback" not in stopped.stderr, stopped.stderr
    assert "the files of traefik and traefik-b put back" in stopped.stderr, stopped.stderr
    assert tree_state(cluster) == before
    # Killed outright there: the next run puts back both apps' files, then refreshes them.
    monkeypatch.setenv("FLUX_COOKBOOK_SIGNAL_AT", second_app_written.format("SIGKILL"))
    assert cookbook_cli(*args).returncode == -9
    monkeypatch.delenv("FLUX_COOKBOOK_SIGNAL_AT")
    again = cookbook_cli(*args)
    assert again.returncode == 1 and "uncommitted changes" not in again.stderr, again.stdout + again.stderr
    assert "a values refresh killed before its commit had written" in again.stderr, again.stderr
    assert "traefik-b: written, not committed" in again.stderr, again.stderr


def test_a_refresh_killed_outright_is_put_back_by_the_next(podinfo_6x_two_replicas, tmp_path, monkeypatch):
    """SIGKILL (the OOM killer, a CI job's hard timeout) after an app's first file is
    written: nothing of the run's cleans up. The next run puts that app's files back as
    HEAD has them, says so, and refreshes it."""
    cluster, _ = own(podinfo_6x_two_replicas, tmp_path)
    before = tree_state(cluster)
    monkeypatch.setenv("FLUX_COOKBOOK_SIGNAL_AT", "values-written:SIGKILL")
    killed = cookbook_cli("values", "refresh", "--all", "-C", str(cluster))
    assert killed.returncode == -9
    assert tree_state(cluster) != before  # the app's first file, written, not committed
    monkeypatch.delenv("FLUX_COOKBOOK_SIGNAL_AT")
    again = cookbook_cli("values", "refresh", "--all", "-C", str(cluster))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "a values refresh killed before its commit had written" in again.stderr
    assert yaml.safe_load(values_text(cluster, "podinfo"))["replicaCount"] == 2
    assert git(cluster, "status", "--porcelain", "--ignored") == ""
    assert not (cluster / ".git" / "flux-cookbook-values-refresh.json").exists()


def test_update_all_after_a_killed_refresh_puts_its_files_back_and_goes_on(podinfo_6x_two_replicas, tmp_path, monkeypatch):
    """A scheduled job's refresh step killed, its update-all step next: not refused for
    the killed run's uncommitted file, which goes back as the refresh's next run would."""
    cluster, _ = own(podinfo_6x_two_replicas, tmp_path)
    monkeypatch.setenv("FLUX_COOKBOOK_SIGNAL_AT", "values-written:SIGKILL")
    assert cookbook_cli("values", "refresh", "--all", "-C", str(cluster)).returncode == -9
    monkeypatch.delenv("FLUX_COOKBOOK_SIGNAL_AT")
    updated = cookbook_cli("update-all", str(cluster))
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "a values refresh killed before its commit had written" in updated.stderr
    assert git(cluster, "status", "--porcelain") == ""


@pytest.mark.parametrize("next_run", [("values", "refresh", "--all", "-C", "{cluster}"), ("update-all", "{cluster}")])
def test_what_the_user_changed_after_a_killed_refresh_is_kept(podinfo_6x_two_replicas, tmp_path, monkeypatch, next_run):
    """After the kill the user edits the file the killed run had written, then the next
    refresh (or update-all, the job's next step) runs: that edit is kept, said so, and the
    run stops for it as for any uncommitted change; what the killed run alone wrote goes."""
    cluster, _ = own(podinfo_6x_two_replicas, tmp_path)
    monkeypatch.setenv("FLUX_COOKBOOK_SIGNAL_AT", "values-written:SIGKILL")
    assert cookbook_cli("values", "refresh", "--all", "-C", str(cluster)).returncode == -9
    monkeypatch.delenv("FLUX_COOKBOOK_SIGNAL_AT")
    written = git(cluster, "diff", "--name-only").split()
    assert len(written) == 1
    edited = cluster / written[0]
    edited.write_text(edited.read_text() + "# mine, written after the kill\n")
    again = cookbook_cli(*(part.format(cluster=cluster) for part in next_run))
    assert again.returncode == 1, again.stdout + again.stderr
    assert f"was writing {written[0]}, changed since: kept as it is" in again.stderr
    assert "uncommitted changes" in again.stderr and "Traceback" not in again.stderr
    assert edited.read_text().endswith("# mine, written after the kill\n")
    assert not (cluster / ".git" / "flux-cookbook-values-refresh.json").exists()


def test_a_refresh_holds_the_lock_from_its_reading_to_its_last_commit(podinfo_6x_two_replicas, tmp_path):
    """The refresh writes whole files it read and merged: another writer (seal, update-all)
    that changed them meanwhile would be undone. So the lock is the refresh's from its
    clean-tree check on: stopped once it has planned (SIGSTOP to itself, waited for with
    waitpid), it holds it, and another writer is refused."""
    cluster, _ = own(podinfo_6x_two_replicas, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "FLUX_COOKBOOK_SIGNAL_AT": "values-planned:SIGSTOP"}
    process = subprocess.Popen([sys.executable, "-m", "flux_cookbook", "values", "refresh", "--all", "-C", str(cluster)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _, status = os.waitpid(process.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), "the refresh ended before it planned"
        with pytest.raises(UserError, match="flux-cookbook values refresh .*is changing"):
            with one_writer(cluster, "seal"):
                pass
    finally:
        process.send_signal(signal.SIGCONT)
    out, err = process.communicate()
    assert process.returncode == 0, out + err
    assert yaml.safe_load(values_text(cluster, "podinfo"))["replicaCount"] == 2


def test_a_signal_while_git_commits_waits_for_the_commit(podinfo_6x_two_replicas, tmp_path):
    """SIGINT to flux-cookbook alone (a scheduler's kill -INT) while git commits an app: git is
    not killed half-way, which left .git/index.lock and staged files; the commit is made,
    then the command stops, the repository clean."""
    cluster, _ = own(podinfo_6x_two_replicas, tmp_path)
    hook = cluster / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\nkill -INT \"$(ps -o ppid= -p $PPID)\"\nsleep 1\n")  # to git's parent: flux-cookbook
    hook.chmod(0o755)
    stopped = cookbook_cli("values", "refresh", "--all", "-C", str(cluster))
    hook.unlink()
    assert stopped.returncode == 130 and "Traceback" not in stopped.stderr, stopped.stdout + stopped.stderr
    git_locks = [p.name for p in (cluster / ".git").rglob("*.lock") if p.name != "flux-cookbook.lock"]  # flock's, kept
    assert git(cluster, "status", "--porcelain") == "" and git_locks == []
    assert "chart values refreshed" in git(cluster, "log", "-1", "--format=%s")
    assert "values refresh: stopped: podinfo refreshed and committed; run it again for the rest." in stopped.stderr


def test_all_names_every_apps_problem_and_writes_nothing(template, cluster, charts):
    """--all plans every app first: a dry run shows the ones that can be refreshed and
    names each that cannot; a real run with a problem writes nothing at all."""
    folder, url = charts
    add_app(template, cluster, url, "podinfo", "6.x", {})
    copy(template.path, cluster, kind="app", app_name="web", chart="podinfo", helm_repo_url=url,
         chart_version="6.x", values_overrides={}, health_checks=[])
    edit(values_file(cluster, "web"), "    replicaCount: 1\n", "    replicaCount: [1\n")
    commit_all(cluster, "A second podinfo, its values broken")
    release(folder)
    state = tree_state(cluster)
    dry = cookbook_cli("values", "refresh", "--all", "--dry-run", "-C", str(cluster))
    assert dry.returncode == 1, dry.stdout + dry.stderr
    assert "podinfo: values from chart podinfo 6.0.3 to 6.14.1" in dry.stdout and "+++ b/podinfo/" in dry.stdout
    assert "the values of app 'web' in web/configmap-web-helm-chart-value-overrides.yaml do not parse" in dry.stderr
    result = cookbook_cli("values", "refresh", "--all", "-C", str(cluster))
    assert result.returncode == 1 and "app 'web'" in result.stderr and "nothing was written" in result.stderr
    assert "Traceback" not in dry.stderr + result.stderr and tree_state(cluster) == state


ALIAS_BOMB = "".join(f"    l{n}: &l{n} [*l{n - 1}, *l{n - 1}]\n" if n else "    l0: &l0 x\n" for n in range(20))


@pytest.mark.parametrize("problem", ["no such app", "no such version", "not cached offline", "not cached, FLUX_COOKBOOK_OFFLINE",
                                     "repository unreachable",
                                     "dirty", "values do not parse", "a key twice", "alias bomb", "helmrelease renamed",
                                     "range postBuild fills in", "outside the repository", "answers of another app"])
def test_bad_input_names_it_and_writes_nothing(podinfo_6x, tmp_path, problem):
    cluster, url = own(podinfo_6x, tmp_path)
    args, expected = ["values", "refresh", "podinfo", "-C", str(cluster)], ""
    if problem == "no such app":
        # Named as such also where the working tree is not clean (it said "uncommitted changes").
        (cluster / "notes.txt").write_text("wip")
        args[2], expected = "nginx", "no app 'nginx'"
    elif problem == "no such version":
        args, expected = [*args, "--to", "6.99.0"], "has no version 6.99.0 of chart 'podinfo'"
    elif problem == "not cached offline":
        moved(cluster, url, "http://127.0.0.1:9")  # nothing listens on the discard port
        commit_all(cluster, "Offline")
        # 6.0.3, the version the values came from, is in the cache since the app was added.
        args += ["--to", "6.14.1"]
        # Where that cache is (the tests' own, as the command sees it) and what it holds.
        expected = (f"chart podinfo 6.14.1 (the version to refresh 'podinfo' to) is not in the chart cache "
                    f"({default_cache_dir()}, every chart fetched on this machine)")
    elif problem == "not cached, FLUX_COOKBOOK_OFFLINE":
        # The tests run with FLUX_COOKBOOK_OFFLINE set: a repository not on loopback is not asked.
        moved(cluster, url, "https://charts.invalid/podinfo")
        commit_all(cluster, "Offline")
        args += ["--to", "6.14.1"]
        expected = ("FLUX_COOKBOOK_OFFLINE is set. Run it once where https://charts.invalid/podinfo is in reach "
                    "and FLUX_COOKBOOK_OFFLINE is not set, and it works offline from then on")
    elif problem == "repository unreachable":
        # With --all, which of the apps it was.
        moved(cluster, url, "http://127.0.0.1:9")
        commit_all(cluster, "Unreachable")
        args, expected = ["values", "refresh", "--all", "-C", str(cluster)], "app 'podinfo': cannot list the versions of chart podinfo"
        # outdated says the same, without refresh's hint at its --to.
        outdated = cookbook_cli("values", "outdated", str(cluster))
        assert "podinfo: cannot list the versions of chart podinfo" in outdated.stderr and "--to" not in outdated.stderr
    elif problem == "dirty":
        # Also where git's status hides files it does not track: the refresh commits.
        git(cluster, "config", "status.showUntrackedFiles", "no")
        (cluster / "notes.txt").write_text("wip")
        expected = "uncommitted changes"
    elif problem == "values do not parse":
        edit(values_file(cluster, "podinfo"), "    replicaCount: 1\n", "    replicaCount: [1\n")
        commit_all(cluster, "Broken values")
        expected = "the values of app 'podinfo' in podinfo/configmap-podinfo-helm-chart-value-overrides.yaml do not parse"
    elif problem == "a key twice":
        # PyYAML keeps the last, the merge refuses it: said in one line, before outdated calls it behind.
        edit(values_file(cluster, "podinfo"), "    replicaCount: 1\n", "    replicaCount: 1\n    replicaCount: 2\n")
        commit_all(cluster, "A key twice")
        expected = ("the values of app 'podinfo' in podinfo/configmap-podinfo-helm-chart-value-overrides.yaml hold a key "
                    "twice: duplicate key 'replicaCount' (first at line ")
        outdated = cookbook_cli("values", "outdated", str(cluster))
        assert outdated.returncode == 1 and expected in outdated.stderr, outdated.stdout + outdated.stderr
    elif problem == "alias bomb":
        # A few kilobytes that expand to a million nodes: refused as check refuses it.
        edit(values_file(cluster, "podinfo"), "    replicaCount: 1\n", "    replicaCount: 1\n" + ALIAS_BOMB)
        commit_all(cluster, "An alias bomb")
        expected = "aliases expand to over 100,000 nodes"
    elif problem == "helmrelease renamed":
        git(cluster, "mv", "podinfo/helmrelease-podinfo.yaml", "podinfo/release.yaml")
        commit_all(cluster, "Renamed")
        args, expected = [*args, "--to", "6.x"], "podinfo/helmrelease-podinfo.yaml does not exist"
    elif problem == "range postBuild fills in":
        # The value to change is the variable's: --to would write over the substitution.
        edit(cluster / "podinfo/helmrelease-podinfo.yaml", "version: 6.x", "version: ${PODINFO_VERSION}")
        commit_all(cluster, "A range postBuild fills in")
        args, expected = [*args, "--to", "6.14.x"], "spec.chart.spec.version is ${PODINFO_VERSION}, which postBuild fills in"
    elif problem == "answers of another app":
        edit(cluster / ".copier-answers.app-podinfo.yml", "app_name: podinfo\n", "app_name: web\n")
        commit_all(cluster, "Answers naming another app")
        expected = ".copier-answers.app-podinfo.yml: app_name is 'web', but the file is named for app 'podinfo'"
    else:
        # No Kustomization to say where the app is, and answers placing it outside.
        outside = cluster.parent / "elsewhere" / "podinfo"
        shutil.copytree(cluster / "podinfo", outside)
        git(cluster, "rm", "-q", "bootstrap/kustomizations/kustomization-podinfo.yaml")
        (cluster / ".copier-answers.app-podinfo.yml").write_text(
            (cluster / ".copier-answers.app-podinfo.yml").read_text() + "apps_dir: ../elsewhere\n")
        commit_all(cluster, "Answers that lead outside")
        args, expected = [*args, "--dry-run"], "is outside the repository"  # not even read
    state = tree_state(cluster)
    result = cookbook_cli(*args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert tree_state(cluster) == state


def test_values_whose_chart_version_left_the_repository_say_how_to_give_it(podinfo_6x, tmp_path, monkeypatch):
    """The version the values came from (6.0.3) is neither in the chart cache nor in the
    repository's index any more: refused, saying how to give that chart; given as the
    advice says (its archive in the repository, recorded as values_source), it refreshes."""
    cluster, url = own(podinfo_6x, tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    with serve_folder(write_charts_repo(tmp_path / "newest-only", {"podinfo": ("6.14.1",)})) as newest:
        moved(cluster, url, newest)
        commit_all(cluster, "Moved")
        state = tree_state(cluster)
        refused = cookbook_cli("values", "refresh", "podinfo", "-C", str(cluster), "--to", "6.14.1")
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "chart podinfo 6.0.3 (the version the values of 'podinfo' came from) cannot be fetched" in refused.stderr
        assert ("; the newest there: 6.14.1. With that chart's archive or folder at hand, keep it in the repository and set "
                "values_source in .copier-answers.app-podinfo.yml to its path there (values refresh reads it from there, "
                "offline too), commit, and refresh again\n") in refused.stderr, refused.stderr
        assert tree_state(cluster) == state
        (cluster / "charts").mkdir()
        (cluster / "charts/podinfo-6.0.3.tgz").write_bytes(chart_archive("6.0.3"))
        answers = cluster / ".copier-answers.app-podinfo.yml"
        answers.write_text(re.sub(r"(?m)^values_source:.*\n", "", answers.read_text()) + "values_source: charts/podinfo-6.0.3.tgz\n")
        commit_all(cluster, "The chart the values came from")
        done = cookbook_cli("values", "refresh", "podinfo", "-C", str(cluster), "--to", "6.14.1")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "podinfo: values from chart podinfo 6.0.3 to 6.14.1" in done.stdout


def test_outdated_asks_each_repository_once_and_matches_values_that_record_no_version(template, cluster, tmp_path):
    folder = write_charts_repo(tmp_path / "one-repo", {"podinfo": ("6.0.3",), "traefik": ("10.24.0",)})
    log: list[str] = []
    with serve_folder(folder, log=log) as url:
        add_app(template, cluster, url, "podinfo", "6.x", {})
        add_app(template, cluster, url, "traefik", "10.x", {})
        # podinfo as an adopted app has it: values pasted by hand, no version recorded.
        answers = cluster / ".copier-answers.app-podinfo.yml"
        answers.write_text("".join(line for line in answers.read_text().splitlines(True)
                                   if not line.startswith(("values_chart_version:", "values_chart_range:"))))
        edit(values_file(cluster, "podinfo"), f"    # values.yaml of chart {url} podinfo 6.0.3 (chart_version: 6.x)\n", "")
        commit_all(cluster, "Adopted")
        release(folder)
        log.clear()
        result = cookbook_cli("values", "outdated", str(cluster), "--format", "json")
    assert log.count("/index.yaml") == 1, log
    rows = {row["app"]: row for row in json.loads(result.stdout)}
    assert (rows["podinfo"]["values_from"], rows["podinfo"]["installs"]) == ("6.0.3", "6.14.1")
    assert (rows["traefik"]["values_from"], rows["traefik"]["installs"], rows["traefik"]["newest_outside"]) == (
        "10.24.0", "10.24.0", "41.3.0")
    assert result.returncode == 1 and rows["podinfo"]["behind"] and not rows["traefik"]["behind"]


def test_an_app_kept_in_another_folder_is_found_where_its_kustomization_applies(podinfo_6x, tmp_path):
    cluster, _ = own(podinfo_6x, tmp_path)
    (cluster / "web").mkdir()
    git(cluster, "mv", "podinfo", "web/podinfo")
    edit(cluster / "bootstrap/kustomizations/kustomization-podinfo.yaml", "  path: podinfo\n", "  path: web/podinfo\n")
    commit_all(cluster, "The app moves into web/")
    outdated = cookbook_cli("values", "outdated", str(cluster))
    assert outdated.returncode == 1 and "behind" in outdated.stdout, outdated.stdout + outdated.stderr  # 1: behind
    result = cookbook_cli("values", "refresh", "podinfo", "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    moved = cluster / "web/podinfo/configmap-podinfo-helm-chart-value-overrides.yaml"
    assert "podinfo 6.14.1" in moved.read_text() and not (cluster / "podinfo").exists()


def test_outdated_names_a_recorded_version_that_is_no_version(podinfo_6x, tmp_path):
    cluster, _ = own(podinfo_6x, tmp_path)
    answers = cluster / ".copier-answers.app-podinfo.yml"
    answers.write_text(answers.read_text().replace("values_chart_version: 6.0.3", "values_chart_version: latest"))
    commit_all(cluster, "A word for a version")
    result = cookbook_cli("values", "outdated", str(cluster))
    assert "Traceback" not in result.stderr, result.stderr
    assert "'latest' is not a semantic version" in result.stdout + result.stderr


def test_an_oci_chart_moves_to_a_new_range(oci_podinfo_6_0_3, tmp_path):
    cluster = own_copy(oci_podinfo_6_0_3, tmp_path / "cluster")
    # A digest pin: Flux pulls it whatever the range says; refused, naming it.
    pinned = own_copy(cluster, tmp_path / "pinned")
    edit(pinned / "podinfo/ocirepository-podinfo.yaml", "semver: 6.0.3", "semver: 6.0.3\n    digest: sha256:" + "0" * 64)
    commit_all(pinned, "A digest pin")
    refused = cookbook_cli("values", "refresh", "podinfo", "--to", "6.x", "-C", str(pinned))
    assert refused.returncode == 1 and "its OCIRepository pins a digest sha256:000" in refused.stderr, refused.stderr
    # outdated names the pin as what Flux installs, not behind: the weekly job has nothing to do.
    shown = cookbook_cli("values", "outdated", str(pinned), "--format", "json")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    [row] = json.loads(shown.stdout)
    assert (row["installs"], row["behind"], row["problem"]) == ("digest sha256:" + "0" * 64, False, "")
    result = cookbook_cli("values", "refresh", "podinfo", "--to", "6.x", "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    assert yaml.safe_load((cluster / "podinfo/ocirepository-podinfo.yaml").read_text())["spec"]["ref"]["semver"] == "6.x"
    assert yaml.safe_load(values_text(cluster, "podinfo")) == {**yaml.safe_load(defaults("podinfo", "6.14.1")), "replicaCount": 2}
    assert validate_repo(cluster, CURRENT) == []


def test_a_range_bumped_by_hand_in_the_oci_repository_is_the_one_outdated_and_refresh_read(oci_podinfo_6_0_3, tmp_path):
    """renovate.json says an OCI app's range is bumped by hand, in its OCIRepository: Flux
    then installs the newest 6.x, and the values are behind it until refreshed to it."""
    cluster = own_copy(oci_podinfo_6_0_3, tmp_path / "cluster")
    edit(cluster / "podinfo/ocirepository-podinfo.yaml", "semver: 6.0.3", "semver: 6.x # bumped by hand")
    commit_all(cluster, "A newer podinfo")
    outdated = cookbook_cli("values", "outdated", str(cluster))
    assert outdated.returncode == 1, outdated.stdout + outdated.stderr
    assert re.search(r"podinfo +podinfo +6\.x +6\.0\.3 +6\.14\.1 ", outdated.stdout), outdated.stdout
    result = cookbook_cli("values", "refresh", "podinfo", "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    assert yaml.safe_load(values_text(cluster, "podinfo")) == {**yaml.safe_load(defaults("podinfo", "6.14.1")), "replicaCount": 2}
    assert "semver: 6.x # bumped by hand" in (cluster / "podinfo/ocirepository-podinfo.yaml").read_text()
    # The answers say the range Flux reads: a later copier update fetches the values' version from it.
    answers = yaml.safe_load((cluster / ".copier-answers.app-podinfo.yml").read_text())
    assert (answers["chart_version"], answers["values_chart_range"], answers["values_chart_version"]) == ("6.x", "6.x", "6.14.1")


def test_an_oci_repository_that_names_no_ref_pins_the_tag_latest(oci_podinfo_6_0_3, tmp_path):
    """Flux pulls the tag latest where an OCIRepository's ref names nothing (the CRD's
    default), whatever the answers' range: a pin, as `tag: latest` written is."""
    cluster = own_copy(oci_podinfo_6_0_3, tmp_path / "cluster")
    edit(cluster / "podinfo/ocirepository-podinfo.yaml", "  ref:\n    semver: 6.0.3\n", "")
    commit_all(cluster, "Whatever podinfo is latest")
    shown = cookbook_cli("values", "outdated", str(cluster), "--format", "json")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    [row] = json.loads(shown.stdout)
    assert (row["installs"], row["behind"], row["problem"]) == ("tag latest", False, "")
    state = tree_state(cluster)
    refused = cookbook_cli("values", "refresh", "podinfo", "-C", str(cluster))
    assert refused.returncode == 1 and "its OCIRepository pins a tag latest" in refused.stderr, refused.stderr
    assert tree_state(cluster) == state


def test_an_oci_repository_pinned_by_a_version_tag_moves_to_the_exact_version_asked(oci_podinfo_6_0_3, tmp_path):
    """`tag: 6.0.3` is read as 6.0.3; --to an exact version sets the tag to it, as a
    HelmRelease's version is set. A range is refused: a tag pulls one version."""
    cluster = own_copy(oci_podinfo_6_0_3, tmp_path / "cluster")
    source = cluster / "podinfo/ocirepository-podinfo.yaml"
    edit(source, "semver: 6.0.3", "tag: 6.0.3 # pinned by hand")
    commit_all(cluster, "podinfo pinned by its tag")
    state = tree_state(cluster)
    refused = cookbook_cli("values", "refresh", "podinfo", "--to", "6.x", "-C", str(cluster))
    assert refused.returncode == 1 and "spec.ref.tag pulls one version, not the range 6.x" in refused.stderr, refused.stderr
    assert tree_state(cluster) == state
    result = cookbook_cli("values", "refresh", "podinfo", "--to", "6.14.1", "-C", str(cluster))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tag: 6.14.1 # pinned by hand\n" in source.read_text()
    assert yaml.safe_load(source.read_text())["spec"]["ref"] == {"tag": "6.14.1"}
    assert yaml.safe_load(values_text(cluster, "podinfo")) == {**yaml.safe_load(defaults("podinfo", "6.14.1")), "replicaCount": 2}
    answers = yaml.safe_load((cluster / ".copier-answers.app-podinfo.yml").read_text())
    assert (answers["chart_version"], answers["values_chart_range"], answers["values_chart_version"]) == ("6.14.1", "6.14.1", "6.14.1")
    assert git(cluster, "status", "--porcelain") == ""
    assert validate_repo(cluster, CURRENT) == []


@pytest.mark.parametrize("args", [["refresh", "-C", "{repo}"], ["refresh", "podinfo", "--all", "-C", "{repo}"],
                                  ["refresh", "podinfo", "--to", "six", "-C", "{repo}"], ["outdated", "{repo}/nowhere"]])
def test_usage_errors_exit_2(empty_cluster, args):
    result = cookbook_cli("values", *(arg.format(repo=empty_cluster) for arg in args))
    assert result.returncode == 2 and result.stderr.startswith("flux-cookbook: ") and "Traceback" not in result.stderr


def test_a_folder_that_is_no_cluster_repository_is_told_so_first(tmp_path):
    """The wrong folder (a home directory, say) is named as such before anything walks it:
    here a link out of it, which a cluster repository would be refused for, is not reached."""
    folder = tmp_path / "home"
    (folder / "projects").mkdir(parents=True)
    (folder / "projects/elsewhere").symlink_to(tmp_path)
    result = cookbook_cli("values", "refresh", "--all", "-C", str(folder))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr == f"flux-cookbook: {folder} has no apps (no .copier-answers.app-*.yml files)\n"


def test_a_conflict_in_inline_values_is_marked_in_the_helmrelease(template, cluster, charts):
    folder, url = charts
    add_app(template, cluster, url, "traefik", "10.x", TRAEFIK_OVERRIDES, values_in="inline")
    release(folder)
    result = cookbook_cli("values", "refresh", "traefik", "--to", "28.x", "-C", str(cluster))
    assert result.returncode == 1 and "traefik/helmrelease-traefik.yaml" in result.stderr, result.stdout + result.stderr
    text = (cluster / "traefik/helmrelease-traefik.yaml").read_text()
    assert "<<<<<<< before refreshing" in text and "Traceback" not in result.stderr


def test_outdated_shows_the_recorded_version_when_the_repository_is_out_of_reach(podinfo_6x, tmp_path, monkeypatch):
    cluster, url = own(podinfo_6x, tmp_path)
    moved(cluster, url, "https://charts.invalid/podinfo")
    commit_all(cluster, "The chart repository moved")
    monkeypatch.setenv("FLUX_COOKBOOK_OFFLINE", "1")  # and is not contacted
    result = cookbook_cli("values", "outdated", str(cluster), "--format", "json")
    assert "Traceback" not in result.stderr, result.stderr
    [row] = [row for row in json.loads(result.stdout) if row["app"] == "podinfo"]
    assert row["values_from"] == "6.0.3" and row["installs"] == "?" and "FLUX_COOKBOOK_OFFLINE" in row["problem"]
    # In the table, what is newer outside the range is not known either: "?", not "-" (none).
    table = cookbook_cli("values", "outdated", str(cluster))
    [line] = [line for line in table.stdout.splitlines() if line.startswith("podinfo ")]
    assert line.split()[-1] == "?" and line.split()[-2] == "?", line


def test_a_key_you_set_that_the_chart_moved_is_left_for_you_not_committed(template, cluster, charts):
    """traefik 41 reads `service.type` at `service.spec.type`: committed as it was, the
    user's NodePort would silently stop applying. Written, named, not committed, exit 1."""
    folder, url = charts
    release(folder)
    add_app(template, cluster, url, "traefik", "28.x", {"service": {"type": "NodePort"}})
    head = git(cluster, "rev-parse", "HEAD")
    result = cookbook_cli("values", "refresh", "traefik", "--to", "41.x", "-C", str(cluster))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no longer has (kept, not committed" in result.stdout and "service.type" in result.stdout
    assert git(cluster, "rev-parse", "HEAD") == head
    assert "written, not committed" in result.stderr
    assert yaml.safe_load(values_text(cluster, "traefik"))["service"]["type"] == "NodePort"
