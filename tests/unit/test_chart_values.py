import io
import tarfile
import uuid
from pathlib import Path

from flux_cookbook.extensions.chart_values import (
    app_values,
    fetch_by_default,
    local_chart_version,
    placeholder_values,
    read_local_values,
    values_overrides_error,
    values_source_error,
    with_values_version,
)

CHART = Path(__file__).resolve().parents[3] / "shared" / "charts" / "podinfo" / "6.14.1"


def make_archive(path: Path, members: dict[str, bytes], symlink: str | None = None) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if symlink:
            info = tarfile.TarInfo(symlink)
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            archive.addfile(info)
    return path


def test_reads_folder_values_file_and_archive(tmp_path):
    expected = (CHART / "values.yaml").read_text()
    make_archive(tmp_path / "podinfo.tgz", {"podinfo/values.yaml": expected.encode(), "podinfo/Chart.yaml": b"name: podinfo\n"})
    assert read_local_values(str(CHART), "podinfo", tmp_path) == expected
    assert read_local_values(str(CHART / "values.yaml"), "podinfo", tmp_path) == expected
    assert read_local_values("podinfo.tgz", "podinfo", tmp_path) == expected  # relative to the destination


def test_archive_values_that_are_a_link_are_refused(tmp_path):
    archive = make_archive(tmp_path / "evil.tgz", {}, symlink="podinfo/values.yaml")
    assert "not a regular file" in values_source_error(str(archive), "podinfo", tmp_path)


def test_a_broken_archive_and_values_not_utf8_are_named_in_one_line(tmp_path):
    (tmp_path / "broken.tgz").write_bytes(b"not gzip at all")
    (tmp_path / "latin1.yaml").write_bytes(b"a: \xff\n")
    assert values_source_error("broken.tgz", "podinfo", tmp_path).startswith("values_source 'broken.tgz' cannot be read: ")
    assert values_source_error("latin1.yaml", "podinfo", tmp_path) == (
        "values_source 'latin1.yaml' is not UTF-8 text (invalid start byte at byte 3).")


def test_archive_without_the_chart_names_it(tmp_path):
    archive = make_archive(tmp_path / "other.tgz", {"other/values.yaml": b"a: 1\n"})
    assert "has no podinfo/values.yaml" in values_source_error(str(archive), "podinfo", tmp_path)


def test_values_that_are_not_yaml_are_refused_in_one_line_naming_the_line(tmp_path):
    (tmp_path / "values.yaml").write_text("a: 1\nb: [unclosed\nc: d: e\n")
    error = values_source_error("values.yaml", "x", tmp_path)
    assert error.startswith("values_source 'values.yaml' is not valid YAML (line ")
    assert "\n" not in error and "<unicode string>" not in error


def test_a_folder_of_another_chart_is_refused(tmp_path):
    """Its values would be written as the app's chart's: check then finds every key unknown."""
    traefik = CHART.parents[1] / "traefik" / "41.3.0"
    assert values_source_error(str(traefik), "podinfo", tmp_path) == (
        f"values_source '{traefik}' is chart 'traefik' (its Chart.yaml), not 'podinfo'.")
    assert values_source_error(str(CHART), "podinfo", tmp_path) == ""
    (tmp_path / "values-only").mkdir()
    (tmp_path / "values-only" / "values.yaml").write_text("a: 1\n")  # no Chart.yaml: no name to compare
    assert values_source_error("values-only", "podinfo", tmp_path) == ""


def test_missing_source_at_update_falls_back_to_the_placeholder(tmp_path):
    assert app_values(str(tmp_path / "gone"), False, "https://r", "podinfo", "6.x", {}, tmp_path) == placeholder_values("podinfo", "https://r")


def test_unreachable_repository_gives_the_placeholder_and_says_so_once(capsys, monkeypatch):
    monkeypatch.setenv("FLUX_COOKBOOK_OFFLINE", "1")
    url = f"https://charts.invalid/{uuid.uuid4()}"  # notes are told once per process
    assert not fetch_by_default(url, "podinfo", "6.x")
    for _ in range(3):  # an update renders three times
        assert app_values("", True, url, "podinfo", "6.x", {}, ".") == placeholder_values("podinfo", url)
    assert capsys.readouterr().err.count("Note: could not fetch the values of chart podinfo") == 1


def test_overrides_apply_to_the_placeholder_too():
    assert "replicaCount: 2" in app_values("", False, "https://r", "podinfo", "6.x", {"replicaCount": 2}, ".")


def test_overrides_must_be_a_mapping():
    assert "must be a YAML mapping" in values_overrides_error([1])
    assert values_overrides_error({"a": 1}) == ""


def test_placeholder_names_no_version():
    """Users replace the placeholder; a version in it would conflict on every bump."""
    assert "6." not in placeholder_values("podinfo", "https://stefanprodan.github.io/podinfo")


def test_placeholder_shows_values_the_way_helm_takes_each_source():
    """helm takes an OCI chart as one reference; `--repo oci://...` fails (tests/test_helm_agrees.py runs both)."""
    assert "#   helm show values oci://ghcr.io/acme/charts/web --version <the chart version you use>\n" in (
        placeholder_values("web", "oci://ghcr.io/acme/charts/"))
    assert "#   helm show values web --repo https://charts.example.com --version <the chart version you use>\n" in (
        placeholder_values("web", "https://charts.example.com"))


def test_fetch_failure_note_ends_its_sentences_with_one_full_stop(capsys, monkeypatch):
    monkeypatch.setenv("FLUX_COOKBOOK_OFFLINE", "1")
    app_values("", True, f"https://charts.invalid/{uuid.uuid4()}", "web", "1.x", {}, ".")
    note = capsys.readouterr().err
    assert "not contacted: FLUX_COOKBOOK_OFFLINE is set. A new app gets a placeholder" in note and ".." not in note


def test_a_local_charts_version_comes_from_its_chart_yaml(tmp_path):
    make_archive(tmp_path / "podinfo.tgz", {"podinfo/values.yaml": b"a: 1\n", "podinfo/Chart.yaml": b"name: podinfo\nversion: 6.5.0\n"})
    make_archive(tmp_path / "other.tgz", {"podinfo/values.yaml": b"a: 1\n"})
    assert local_chart_version(str(CHART), "podinfo", tmp_path) == "6.14.1"
    assert local_chart_version("podinfo.tgz", "podinfo", tmp_path) == "6.5.0"  # relative to the destination
    assert local_chart_version(str(CHART), "traefik", tmp_path) == ""  # another chart's
    assert local_chart_version("other.tgz", "podinfo", tmp_path) == ""  # no Chart.yaml
    assert local_chart_version(str(CHART / "values.yaml"), "podinfo", tmp_path) == ""  # values alone
    assert local_chart_version("nowhere", "podinfo", tmp_path) == ""


def test_values_from_a_local_chart_of_another_version_record_its_version(tmp_path):
    """`copier update -d chart_version=X -d values_source=<chart of X>`: the answers say the
    values came from X, so that `values refresh` merges from X, not from the version before."""
    recorded = {"values_chart_version": "6.0.3", "values_chart_range": "6.0.3", "chart": "podinfo"}
    assert with_values_version(recorded, False, "", "podinfo", "6.14.x", str(CHART), tmp_path) == {
        **recorded, "values_chart_version": "6.14.1", "values_chart_range": "6.14.x"}
    values_file = tmp_path / "values.yaml"
    values_file.write_text("replicaCount: 1\n")  # a values file alone says no version: the answers stand
    assert with_values_version(recorded, False, "", "podinfo", "6.14.x", str(values_file), tmp_path) == recorded
    # An app from before these answers (release 1.0.0 recorded none) records them from now on.
    unknown = {"values_chart_version": "", "values_chart_range": "", "chart": "podinfo"}
    assert with_values_version(unknown, False, "", "podinfo", "6.14.x", str(CHART), tmp_path) == {
        **unknown, "values_chart_version": "6.14.1", "values_chart_range": "6.14.x"}
    # A source the update was not given (the one recorded): what is recorded stands, unknown too.
    assert with_values_version(unknown, False, "", "podinfo", "6.14.x", str(CHART), tmp_path, source_given=False) == unknown
