"""The notes on an app's values_source: a chart folder git ignores is on this machine only."""

from __future__ import annotations

from flux_cookbook.values import source_notes
from tests.support.project import repo_with

CHART = "name: podinfo\nversion: 6.14.1\n"


def test_a_chart_folder_git_ignores_is_named_and_a_folder_of_a_look_alike_name_is_not(tmp_path):
    """`charts/[a]` is a path, not a pattern matching the ignored `charts/a`."""
    repo = repo_with(tmp_path / "repo", {".gitignore": "/charts/a/\n*.orig\n", "charts/[a]/Chart.yaml": CHART,
                                         "charts/[a]/values.yaml.orig": "a: 1\n"})
    (repo / "charts/a").mkdir()
    (repo / "charts/a/Chart.yaml").write_text(CHART)

    def notes(source: str) -> list[str]:
        (repo / ".copier-answers.app-web.yml").write_text(f"app_name: web\nchart: podinfo\nvalues_source: '{source}'\n")
        return source_notes.notes(repo, ".copier-answers.app-web.yml")

    assert notes("charts/[a]") == []  # tracked; its .orig leftover is no part of the chart
    assert notes("charts/a") == ["values_source charts/a is in the repository, but git ignores charts/a/Chart.yaml: "
                                 "other clones (a scheduled run's too) will not have it, and their updates keep the "
                                 "app's values without reading it; commit it (`git add -f charts/a`) or stop ignoring it"]
