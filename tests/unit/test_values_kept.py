"""An update never puts the placeholder over an app's values (extensions/migrations/values_kept.py)."""

from __future__ import annotations

from flux_cookbook.extensions.chart_values import placeholder_values
from flux_cookbook.extensions.migrations import values_kept
from tests.support.project import repo_with
from tests.support.template_repo import git

CONFIGMAP = "web/configmap-web-helm-chart-value-overrides.yaml"
VALUES = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  values.yaml: |\n    replicaCount: 3\n"


def test_values_the_update_gave_the_placeholder_go_back_in_a_folder_of_a_larger_repository(tmp_path, capsys):
    """The cluster in `cluster/` of a larger repository: git names paths from the top, the
    step works from the cluster's folder; both agree."""
    top = repo_with(tmp_path / "top", {f"cluster/{CONFIGMAP}": VALUES, "notes.txt": "mine\n"})
    cluster = top / "cluster"
    placeholder = VALUES.replace("    replicaCount: 3\n", "".join(
        f"    {line}\n" for line in placeholder_values("podinfo", "https://charts.example.invalid").splitlines()))
    (cluster / CONFIGMAP).write_text(placeholder)
    (top / "notes.txt").write_text("mine, changed\n")  # outside the folder: not the step's
    assert values_kept.changed(cluster) == [CONFIGMAP]
    values_kept.after(cluster)
    assert (cluster / CONFIGMAP).read_text() == VALUES
    assert git(top, "status", "--porcelain") == " M notes.txt\n"
    assert "values were kept as they were" in capsys.readouterr().out
