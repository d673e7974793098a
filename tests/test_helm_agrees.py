"""A real helm judges the chart values the template fetches and writes.

helm v3.8.1 (tests/support/helm_cli.py) is the reference for three things the template
re-implements in Python: which chart version a `chart_version` range resolves to (Helm and
Flux both use Masterminds semver), reading a chart from an OCI registry, and how a
values file is read by Go's YAML (YAML 1.1 look-alikes such as `on` or `0o17` are where
parsers disagree). Flux's helm-controller reads the ConfigMap's `values.yaml` the same way
`helm template -f` reads a values file.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml

from flux_cookbook.extensions.chart_source import ChartFetchError, fetch_values
from flux_cookbook.extensions.chart_values import placeholder_values
from tests.support.helm_cli import run_helm
from tests.support.helm_repo_server import (
    DOCKER_REGISTRY,
    PODINFO,
    chart_archive,
    run_docker_registry,
    serve_fake_registry,
    serve_folder,
    write_helm_repo,
)
from tests.support.project import copy, init_repo, load

# Real podinfo archives under more version labels than the three in ../shared, so that
# ranges have pre-releases, several majors and near misses to choose between.
LABELS = {"5.2.0": "6.0.3", "6.0.3": "6.0.3", "6.1.0-rc.1": "6.13.0", "6.13.0": "6.13.0",
          "6.13.1-beta.2": "6.14.1", "6.14.1": "6.14.1", "7.0.0-alpha.1": "6.14.1"}
RANGES = ["6.x", "6", "~6.13", "6.13.x", "^6.0", "^5", ">=6.0.0 <6.14.0", ">= 6.0, < 6.14", "6.0.3", "=6.13.0",
          "v6.0.3", "*", "x", ">6.13.0", ">6.13.0-0", "~6.13.1-0", "6.14.1 || 5.x", "<=6.13.0", ">=6, !=6.14.1",
          "6.0.0 - 6.13.0", "6.1.0-rc.1", "^7.0.0-0", "7.x", "6.13.1", "<5"]
# helm 3.8.1 carries Masterminds semver 3.1.1; Flux 2.9 (and today's Helm) carry 3.4, which
# the template follows. Where the two disagree, the test pins 3.4's answer and 3.1's:
# 3.1 let `!=` pick a pre-release, 3.4 admits pre-releases to an AND group as a whole when
# one of its terms names a pre-release.
MASTERMINDS_3_4_CHANGES = {"!=6.14.1": ("6.13.0", "7.0.0-alpha.1"), ">6.1.0-0 <6.14.0": ("6.13.1-beta.2", "6.13.0")}


@pytest.fixture(scope="module")
def helm_repo(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("helm-repo")
    write_helm_repo(folder, {label: chart_archive(source, labelled=label) for label, source in LABELS.items()})
    with serve_folder(folder) as url:
        yield url


def helm_resolves(url: str, wanted: str, work: Path) -> str | None:
    """The version `helm pull --version <wanted>` downloads, or None when helm finds none."""
    pulled = work / "pulled"
    pulled.mkdir(parents=True)
    result = run_helm("pull", "podinfo", "--repo", url, "--version", wanted, "-d", str(pulled), home=work / "helm")
    if result.returncode != 0:
        assert "not found" in result.stderr, result.stderr
        return None
    [archive] = pulled.iterdir()
    return archive.name.removeprefix("podinfo-").removesuffix(".tgz")


def we_resolve(url: str, wanted: str, cache: Path) -> str | None:
    try:
        return fetch_values(url, "podinfo", wanted, cache).version
    except ChartFetchError as error:
        assert "matches" in str(error), error
        return None


@pytest.fixture(scope="module")
def helm_picks(helm_repo, tmp_path_factory) -> dict[str, str | None]:
    """What helm pulls for each of RANGES, asked once for the tests below."""
    work = tmp_path_factory.mktemp("helm-pulls")
    return {wanted: helm_resolves(helm_repo, wanted, work / str(n)) for n, wanted in enumerate(RANGES)}


@pytest.mark.parametrize("wanted", RANGES)
def test_a_range_resolves_to_the_version_helm_pulls(helm_repo, helm_picks, wanted, tmp_path):
    assert we_resolve(helm_repo, wanted, tmp_path / "cache") == helm_picks[wanted]


@pytest.mark.parametrize("wanted", MASTERMINDS_3_4_CHANGES)
def test_where_semver_3_4_differs_from_helm_3_8(helm_repo, wanted, tmp_path):
    ours, helm_3_8 = MASTERMINDS_3_4_CHANGES[wanted]
    assert (we_resolve(helm_repo, wanted, tmp_path / "cache"), helm_resolves(helm_repo, wanted, tmp_path)) == (ours, helm_3_8)


def test_the_ranges_tell_the_versions_apart(helm_picks):
    """The table above is only a judge if helm picks many different versions with it."""
    assert set(helm_picks.values()) >= {None, "5.2.0", "6.0.3", "6.13.0", "6.14.1", "6.1.0-rc.1", "7.0.0-alpha.1"}


# --- OCI ------------------------------------------------------------------------------

def helm_show_values(oci_chart: str, version: str, work: Path) -> str:
    result = run_helm("show", "values", oci_chart, "--version", version, home=work / "helm")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_helm_reads_from_the_test_registry_what_we_fetch(tmp_path):
    """The fake registry the OCI tests use serves charts a real client can pull."""
    with serve_fake_registry({"6.13.0": chart_archive("6.13.0"), "6.14.1": chart_archive("6.14.1")}) as registry:
        # helm 3.8 speaks plain HTTP to a registry only when it is called localhost.
        chart = registry.oci_url.replace("127.0.0.1", "localhost") + "/podinfo"
        helm_sees = helm_show_values(chart, "6.13.0", tmp_path)
        fetched = fetch_values(registry.oci_url, "podinfo", "6.13.x", tmp_path / "cache")
    assert fetched.version == "6.13.0"
    assert fetched.text == (PODINFO / "6.13.0" / "values.yaml").read_text()
    assert helm_sees == fetched.text + "\n"  # `helm show values` ends what it prints with a newline


@pytest.mark.skipif(DOCKER_REGISTRY is None, reason="docker-registry is not installed (Debian package docker-registry)")
def test_charts_pushed_by_helm_to_a_real_registry(tmp_path):
    with run_docker_registry(tmp_path) as url:
        registry = "oci://" + url.removeprefix("http://").replace("127.0.0.1", "localhost") + "/charts"
        for version in ("6.0.3", "6.13.0", "6.14.1"):
            archive = tmp_path / f"podinfo-{version}.tgz"
            archive.write_bytes(chart_archive(version))
            pushed = run_helm("push", str(archive), registry, home=tmp_path / "helm")
            assert pushed.returncode == 0, pushed.stderr
        assert fetch_values(registry, "podinfo", "~6.13", tmp_path / "cache").version == "6.13.0"
        fetched = fetch_values(registry, "podinfo", "6.x", tmp_path / "cache")
        assert fetched.version == "6.14.1"
        assert helm_show_values(registry + "/podinfo", "6.14.1", tmp_path) == fetched.text + "\n"


# --- values as Helm reads them ----------------------------------------------------------

# Overrides that YAML 1.1 (Go) and YAML 1.2 readers could take differently if written bare.
LOOK_ALIKES = {"on": "on", "yes": "yes", "off": "Off", "y": "n", "null": "null", "tilde": "~", "hex": "0x1F",
               "octal": "012", "octal12": "0o17", "OCTAL": "0O17", "binary": "0b101", "float": "1e3", "underscored": "1_000",
               "sexagesimal": "1:20", "date": "2001-12-14",
               "comment": "# not a comment", "block": "key: |\n  x", "tab": "\tx", "unicode": "ünï ☃", "alias": "*a",
               "anchor": "&a", "tag": "!!str x", "flow": "{x: 1}", "quote": "it's \"q\"", "number": 3, "true": True}
OVERRIDES = {"replicaCount": 3, "ui": {"message": "a: b # c"}, "podAnnotations": LOOK_ALIKES}

PROBE_TEMPLATE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: values-as-helm-reads-them
data:
  values.json: {{ toJson .Values | quote }}
"""


def probe_chart(folder: Path, version: str) -> Path:
    """The real podinfo chart files, with one template that prints .Values.

    The chart's own templates are not in ../shared, so this renders what Helm would hand
    them: the chart's defaults coalesced with the given values file.
    """
    archive = folder / f"podinfo-{version}.tgz"
    archive.write_bytes(chart_archive(version, templates={"values.yaml": PROBE_TEMPLATE}))
    return archive


def helm_values(chart: Path, values_file: Path, work: Path) -> dict:
    result = run_helm("template", "web", str(chart), "-f", str(values_file), home=work / "helm")
    assert result.returncode == 0, result.stderr
    return json.loads(yaml.safe_load(result.stdout)["data"]["values.json"])


def without_nulls(value):
    """Helm drops a key whose value is null (null means "delete the chart's default")."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    return value


@pytest.fixture
def cluster(template, tmp_path) -> Path:
    return init_repo(copy(template.path, tmp_path / "cluster", include_example_app=False))


@pytest.mark.parametrize("values_in", ["configmap", "inline"])
def test_helm_reads_the_generated_values_as_written(template, cluster, tmp_path, values_in):
    copy(template.path, cluster, kind="app", app_name="web", chart="podinfo", helm_repo_url="https://charts.example.com",
         values_source=str(PODINFO / "6.14.1" / "values.yaml"), values_overrides=OVERRIDES, values_in=values_in)
    values_file = tmp_path / "values.yaml"
    if values_in == "configmap":
        text = load(cluster / "web/configmap-web-helm-chart-value-overrides.yaml")["data"]["values.yaml"]
    else:  # the HelmRelease's spec.values, re-indented as a file of its own
        release = (cluster / "web/helmrelease-web.yaml").read_text()
        text = "\n".join(line.removeprefix("    ") for line in release.split("\n  values:\n", 1)[1].splitlines())
    values_file.write_text(text)
    written = yaml.safe_load(text)
    assert written["podAnnotations"] == LOOK_ALIKES and written["ui"]["message"] == "a: b # c"
    assert helm_values(probe_chart(tmp_path, "6.14.1"), values_file, tmp_path) == without_nulls(written)


# --- the placeholder's hint ------------------------------------------------------------

def placeholder_command(repo_url: str, version: str) -> list[str]:
    """The helm command the values placeholder tells the user to run, with a version."""
    [line] = [line for line in placeholder_values("podinfo", repo_url).splitlines() if "helm show values" in line]
    return shlex.split(line.lstrip("# ").replace("<the chart version you use>", version))


def test_the_placeholders_helm_command_prints_the_values(helm_repo, tmp_path):
    """Both forms the placeholder writes work as written: `--repo` for a Helm repository,
    one oci:// reference for a registry (helm refuses `--repo oci://...`)."""
    expected = (PODINFO / "6.13.0" / "values.yaml").read_text() + "\n"
    command = placeholder_command(helm_repo, "6.13.0")
    assert command[:3] == ["helm", "show", "values"]
    result = run_helm(*command[1:], home=tmp_path / "http")
    assert (result.returncode, result.stdout) == (0, expected), result.stderr
    with serve_fake_registry({"6.13.0": chart_archive("6.13.0")}) as registry:
        # helm 3.8 speaks plain HTTP to a registry only when it is called localhost.
        command = placeholder_command(registry.oci_url.replace("127.0.0.1", "localhost"), "6.13.0")
        assert "--repo" not in command
        result = run_helm(*command[1:], home=tmp_path / "oci")
        assert (result.returncode, result.stdout) == (0, expected), result.stderr
        wrong_form = run_helm("show", "values", "podinfo", "--repo", registry.oci_url.replace("127.0.0.1", "localhost"),
                              "--version", "6.13.0", home=tmp_path / "wrong")
    assert wrong_form.returncode != 0  # the form the placeholder wrote before


def test_nulls_coalesce_as_helm_coalesces_them(tmp_path):
    """A null removes the chart's key; at a key the chart does not have it stays (Helm's
    coalesceValues deletes only the chart's keys), so a schema closing that mapping still
    sees it (flux_cookbook/values/coalesce.py)."""
    from flux_cookbook.values.coalesce import coalesce

    values = {"image": {"tag": None, "foo": None}, "replicaCount": None, "extra": None, "ui": {"color": "#000"}}
    values_file = tmp_path / "values.yaml"
    values_file.write_text(yaml.safe_dump(values))
    defaults = yaml.safe_load((PODINFO / "6.14.1" / "values.yaml").read_text())
    merged = coalesce(defaults, values)
    assert "tag" not in merged["image"] and merged["image"]["foo"] is None and merged["extra"] is None
    assert helm_values(probe_chart(tmp_path, "6.14.1"), values_file, tmp_path) == merged
