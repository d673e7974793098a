"""A chart's files as values/charts.py reads them, hostile ones included: each ends in a
message naming the chart, within the caps, never a traceback or a walk without end."""

from __future__ import annotations

import pytest
import yaml

from flux_cookbook.errors import UserError
from flux_cookbook.extensions.chart_source import MAX_VALUES_BYTES, ChartListing
from flux_cookbook.values.charts import Charts, local_chart
from tests.support.helm_repo_server import PODINFO, chart_archive, serve_folder, write_helm_repo

ALIAS_BOMB = "k0: &k0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"k{n}: &k{n} [{', '.join([f'*k{n - 1}'] * 9)}]\n" for n in range(1, 9))


def chart_folder(tmp_path, **files: str):
    folder = tmp_path / "podinfo"
    folder.mkdir()
    (folder / "Chart.yaml").write_text("name: podinfo\nversion: 6.14.1\n")
    for name, text in files.items():
        (folder / name.replace("_", ".")).write_text(text)
    return folder


@pytest.mark.parametrize("files, message", [
    ({"values_yaml": ALIAS_BOMB}, "aliases expand to over"),
    ({"values_yaml": "a:\n" + "".join(f"{'  ' * n}k{n}:\n" for n in range(1, 200)) + "  " * 200 + "x: 1\n"}, "nested over"),
    ({"values_schema_json": "[" * 200_000 + "]" * 200_000}, "values.schema.json nests too deep"),
    ({"values_yaml": "x" * (MAX_VALUES_BYTES + 1)}, f"over {MAX_VALUES_BYTES:,} bytes"),
    # Named as the chart's, in one line with its line (refresh merged it and blamed the app's values).
    ({"values_yaml": "replicaCount: 1\nimage: [unclosed\n"}, r"podinfo: values\.yaml is not valid YAML \(line \d+\): [^\n]+$"),
])
def test_a_hostile_local_chart_is_refused_naming_it(tmp_path, files, message):
    with pytest.raises(UserError, match=message):
        local_chart(chart_folder(tmp_path, **files), "podinfo")


def test_a_folder_without_chart_yaml_is_named_no_chart(tmp_path):
    folder = chart_folder(tmp_path, values_yaml="a: 1\n")
    (folder / "Chart.yaml").unlink()
    with pytest.raises(UserError, match="is no chart: it has no Chart.yaml"):
        local_chart(folder, "podinfo")


def test_a_chart_kept_in_crlf_gives_its_values_in_lf(tmp_path):
    """A checkout that commits CRLF: a CR in each line would leave the values ConfigMap no
    block to write them in."""
    folder = chart_folder(tmp_path)
    (folder / "values.yaml").write_bytes(b"# the image\r\nimage:\r\n  tag: 6.14.1\r\n")
    assert local_chart(folder, "podinfo").values == "# the image\nimage:\n  tag: 6.14.1\n"
    assert local_chart(folder, None).chart == "podinfo"


def test_a_chart_version_with_an_alias_bomb_is_no_candidate_for_the_values(tmp_path):
    """Matching values copied by hand against each version's values.yaml walks it whole:
    a bomb is refused on fetch and skipped, the version whose values fit is found."""
    folder = write_helm_repo(tmp_path / "repo", {"6.14.1": chart_archive("6.14.1", values=ALIAS_BOMB.encode()),
                                                 "6.13.0": chart_archive("6.13.0")})
    copied = yaml.safe_load((PODINFO / "6.13.0" / "values.yaml").read_text())
    with serve_folder(folder) as url:
        assert Charts().match(url, "podinfo", "6.x", copied) == "6.13.0"


def test_the_newest_version_outside_a_range_is_newer_than_every_one_inside():
    charts = Charts()
    versions = {f"1.{n}.0": {} for n in range(3000)} | {"2.0.0": {}, "2.1.0-rc.1": {}, "0.9.0": {}}
    charts.listings["u", "c"] = ChartListing("u", "c", "u/index.yaml", versions)
    assert charts.newest_outside("u", "c", "1.x") == "2.0.0"  # not the pre-release, not 0.9.0
    assert charts.newest_outside("u", "c", "2.x") is None
