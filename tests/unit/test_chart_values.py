import io
import tarfile
from pathlib import Path


from flux_cookbook.extensions.chart_values import app_values, placeholder_values, read_local_values, values_overrides_error, values_source_error

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


def test_archive_without_the_chart_names_it(tmp_path):
    archive = make_archive(tmp_path / "other.tgz", {"other/values.yaml": b"a: 1\n"})
    assert "has no podinfo/values.yaml" in values_source_error(str(archive), "podinfo", tmp_path)


def test_values_that_are_not_yaml_are_refused(tmp_path):
    (tmp_path / "values.yaml").write_text("a: [unclosed\n")
    assert "is not valid YAML" in values_source_error("values.yaml", "x", tmp_path)


def test_missing_source_at_update_falls_back_to_the_placeholder(tmp_path):
    assert app_values(str(tmp_path / "gone"), False, "https://r", "podinfo", "6.x", {}, tmp_path) == placeholder_values("podinfo", "https://r")


def test_unreachable_repository_gives_the_placeholder_and_says_so(capsys):
    text = app_values("", True, "https://charts.invalid/x", "podinfo", "6.x", {}, ".")
    assert text == placeholder_values("podinfo", "https://charts.invalid/x")
    assert "Could not fetch the values of chart podinfo" in capsys.readouterr().err


def test_overrides_apply_to_the_placeholder_too():
    assert "replicaCount: 2" in app_values("", False, "https://r", "podinfo", "6.x", {"replicaCount": 2}, ".")


def test_overrides_must_be_a_mapping():
    assert "must be a YAML mapping" in values_overrides_error([1])
    assert values_overrides_error({"a": 1}) == ""


def test_placeholder_names_no_version():
    """Users replace the placeholder; a version in it would conflict on every bump."""
    assert "6." not in placeholder_values("podinfo", "https://stefanprodan.github.io/podinfo")
