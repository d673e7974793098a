"""The version an app's values came from, read from the chart in the repository they were
copied from (values/refresh.py), as the template recorded it on copy."""

from __future__ import annotations

import pytest
import yaml

from flux_cookbook.values import refresh
from flux_cookbook.values.app_values import App, with_scalar


def app(values_source: str) -> App:
    return App("web", ".copier-answers.app-web.yml", {"chart": "podinfo", "values_source": values_source},
               "web/configmap-web-helm-chart-value-overrides.yaml", False, "", "")


@pytest.mark.parametrize("chart_yaml, expected", [
    ("name: podinfo\nversion: 6.13.0\n", "6.13.0"),
    ("name: podinfo\nversion: not-a-version\n", None),  # no semantic version: the values are matched instead
    ("name: traefik\nversion: 6.13.0\n", None),  # another chart's
])
def test_a_chart_folder_in_the_repository_names_the_version(tmp_path, chart_yaml, expected):
    (tmp_path / "charts/podinfo").mkdir(parents=True)
    (tmp_path / "charts/podinfo/Chart.yaml").write_text(chart_yaml)
    assert refresh._local_chart_version(tmp_path, app("charts/podinfo")) == expected


def test_nothing_outside_the_repository_is_read(tmp_path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/Chart.yaml").write_text("name: podinfo\nversion: 6.13.0\n")
    (tmp_path / "repo").mkdir()
    assert refresh._local_chart_version(tmp_path / "repo", app("../outside")) is None
    assert refresh._local_chart_version(tmp_path / "repo", app("")) is None


def test_the_range_is_read_where_flux_reads_it(tmp_path):
    """The HelmRelease's range in a file of two documents (the newest, "*", where it names
    none), an OCIRepository's semver (else its tag), and none where a digest pins it or
    postBuild fills it in."""
    from flux_cookbook.values.app_values import App, _written_range

    def written(path: str, text: str, name: str = "web") -> tuple[str, str, bool]:
        (tmp_path / name).mkdir(exist_ok=True)
        for old in (tmp_path / name).iterdir():
            old.unlink()
        (tmp_path / name / path).write_text(text)
        return _written_range(tmp_path, App(name, f".copier-answers.app-{name}.yml", {}, "", False, "", "", folder=name))

    release = "kind: HelmRelease\nspec:\n  chart:\n    spec:\n      chart: podinfo\n      version: {}\n"
    assert written("helmrelease-web.yaml", release.format("6.x") + "---\nkind: ServiceAccount\n") == ("6.x", "", False)
    assert written("helmrelease-web.yaml", "kind: ServiceAccount\n---\n" + release.format("'>=6.0.0 <7.0.0'")) == (
        ">=6.0.0 <7.0.0", "", False)
    assert written("helmrelease-web.yaml", release.format("${PODINFO_VERSION}")) == ("", "", False)
    # No version (or an empty one): the HelmChart Flux makes defaults it to "*", the newest.
    no_version = "kind: HelmRelease\nspec:\n  chart:\n    spec:\n      chart: podinfo\n{}"
    assert written("helmrelease-web.yaml", no_version.format("")) == ("*", "", True)
    assert written("helmrelease-web.yaml", no_version.format("      version: ''\n")) == ("*", "", True)
    assert written("helmrelease-web.yaml", no_version.format("      version:\n")) == ("*", "", True)
    assert written("helmrelease-web.yaml", release.format("'*'")) == ("*", "", False)  # written: recorded as it is
    # No chart.spec to read a version from, or no YAML: the answers' range.
    assert written("helmrelease-web.yaml", "kind: HelmRelease\nspec:\n  chart: ${CHART}\n") == ("", "", False)
    assert written("helmrelease-web.yaml", "kind: HelmRelease\nspec: [\n") == ("", "", False)
    oci = "kind: OCIRepository\nspec:\n  ref:\n{}"
    assert written("ocirepository-web.yaml", oci.format("    semver: 6.x\n    tag: 6.0.3\n")) == ("6.x", "", False)
    assert written("ocirepository-web.yaml", oci.format("    semver: ''\n    tag: 6.0.3\n")) == ("6.0.3", "", False)
    # What Flux pulls whatever a range says: a digest, a tag that is no version.
    assert written("ocirepository-web.yaml", oci.format("    semver: 6.x\n    digest: sha256:00\n")) == ("", "digest sha256:00", False)
    assert written("ocirepository-web.yaml", oci.format("    tag: latest\n")) == ("", "tag latest", False)
    # No ref, or one that names no version: Flux pulls the tag latest (the CRD's default), a pin too.
    no_ref = "kind: OCIRepository\nspec:\n  url: oci://ghcr.io/stefanprodan/charts/podinfo\n"
    assert written("ocirepository-web.yaml", no_ref) == ("", "tag latest", False)
    assert written("ocirepository-web.yaml", no_ref + "  ref: {}\n") == ("", "tag latest", False)
    assert written("ocirepository-web.yaml", oci.format("    semver: ''\n    semverFilter: .*\n")) == ("", "tag latest", False)
    # A ref postBuild fills in, no spec, or no YAML: the answers' range.
    assert written("ocirepository-web.yaml", no_ref + "  ref: ${PODINFO_REF}\n") == ("", "", False)
    assert written("ocirepository-web.yaml", oci.format("    tag: ${PODINFO_TAG}\n")) == ("", "", False)
    assert written("ocirepository-web.yaml", "kind: OCIRepository\n") == ("", "", False)
    assert written("ocirepository-web.yaml", "kind: OCIRepository\nspec: [\n") == ("", "", False)
    # Every value from one object: the file's HelmRelease or OCIRepository, not each from
    # the first document that has it.
    assert written("helmrelease-web.yaml", no_version.format("") + "---\n" + release.format("1.0.0")) == ("*", "", True)
    other = "kind: Other\nspec:\n  ref:\n    semver: 9.x\n---\n"
    assert written("ocirepository-web.yaml", other + oci.format("    tag: 6.0.3\n")) == ("6.0.3", "", False)
    assert written("ocirepository-web.yaml", oci.format("    tag: latest\n") + "---\n" + other) == ("", "tag latest", False)


@pytest.mark.parametrize("written", ["version:", "version: ", "version: ''", "version: 6.0.3 # pinned"])
def test_a_version_is_set_as_valid_yaml_whatever_was_there(written):
    """`version:` with nothing after it starts right at its colon: the new value is set
    after a space (it was `version:6.13.0`, no YAML mapping)."""
    text = f"spec:\n  chart:\n    spec:\n      {written}\n      chart: podinfo\n"
    changed = with_scalar(text, ("spec", "chart", "spec", "version"), "6.13.0")
    assert yaml.safe_load(changed)["spec"]["chart"]["spec"] == {"version": "6.13.0", "chart": "podinfo"}
    assert changed.count("version: 6.13.0") == 1


def test_an_inline_release_that_does_not_parse_is_named_so():
    """Conflict markers left in a HelmRelease holding its values: that it does not parse,
    and where, as for a values ConfigMap (not that it has no values)."""
    from flux_cookbook.errors import UserError
    from flux_cookbook.values.app_values import _inline_values

    text = ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nspec:\n  values:\n"
            "<<<<<<< before updating\n    replicaCount: 1\n=======\n    replicaCount: 2\n>>>>>>> after updating\n")
    with pytest.raises(UserError) as refused:
        _inline_values(text, "web/helmrelease-web.yaml")
    assert str(refused.value).startswith("web/helmrelease-web.yaml does not parse as YAML (line ")
    assert str(refused.value).endswith(" (conflict markers left?)") and "\n" not in str(refused.value)
