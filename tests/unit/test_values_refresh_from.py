"""The version an app's values came from, read from the chart in the repository they were
copied from (values/refresh.py), as the template recorded it on copy."""

from __future__ import annotations

import pytest

from flux_cookbook.values import refresh
from flux_cookbook.values.app_values import App


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
