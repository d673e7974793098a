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


RELEASE = "web/helmrelease-web.yaml"
HELM_RELEASE = ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\nspec:\n"
                "  interval: 5m\n  values:\n    replicaCount: 3\n  # tuned for production\n    image:\n      tag: x\n"
                "  valuesFrom: []\n")


def test_inline_values_go_back_whole_and_a_conflict_elsewhere_does_not_stop_it(tmp_path):
    """The `values:` block with a comment at the spec's column inside it, and a conflict in
    another line of the file (the user's to settle): the block comes back whole, the
    conflict stays."""
    repo = repo_with(tmp_path / "repo", {RELEASE: HELM_RELEASE})
    placeholder = "".join(f"  {line}\n" for line in placeholder_values("podinfo", "https://x.invalid").splitlines())
    merged = HELM_RELEASE.replace("  interval: 5m\n", "<<<<<<< before updating\n  interval: 5m\n=======\n"
                                  "  interval: 10m\n>>>>>>> after updating\n")
    merged = merged.replace("    replicaCount: 3\n  # tuned for production\n    image:\n      tag: x\n", placeholder)
    (repo / RELEASE).write_text(merged)
    assert values_kept.changed(repo) == [RELEASE]
    values_kept.after(repo)
    text = (repo / RELEASE).read_text()
    assert "    replicaCount: 3\n  # tuned for production\n    image:\n      tag: x\n  valuesFrom: []\n" in text
    assert "<<<<<<< before updating" in text and values_kept.MARKER not in text


def test_the_release_keeps_its_change_above_the_values_and_a_conflict_in_them_goes(tmp_path):
    """copier's merge set the watch label cleanly and left a conflict over the values (the
    placeholder's text changed between releases): the values are HEAD's, conflict and all
    gone from the file and the index, and the label stays. A conflict above `data:` is
    not known to be whole: the file is then HEAD's."""
    repo = repo_with(tmp_path / "repo", {CONFIGMAP: VALUES})
    label = "  labels:\n    reconcile.fluxcd.io/watch: Enabled\n"
    placeholder = "".join(f"    {line}\n" for line in placeholder_values("podinfo", "oci://x.invalid/charts").splitlines())
    merged = VALUES.replace("  name: web\n", "  name: web\n" + label).replace(
        "  values.yaml: |\n    replicaCount: 3\n",
        "<<<<<<< before updating\n  values.yaml: |\n    replicaCount: 3\n=======\n  # the chart's values\n"
        f"  values.yaml: |\n{placeholder}>>>>>>> after updating\n")
    (repo / CONFIGMAP).write_text(merged)
    git(repo, "update-index", "--add", "--cacheinfo", f"100644,{git(repo, 'hash-object', '-w', str(repo / CONFIGMAP)).strip()},{CONFIGMAP}")
    assert values_kept.changed(repo) == [CONFIGMAP]
    values_kept.after(repo)
    assert (repo / CONFIGMAP).read_text() == VALUES.replace("  name: web\n", "  name: web\n" + label)
    assert git(repo, "diff", "--cached", "--name-only") == ""  # the index entry is HEAD's
    # A conflict above the data: HEAD's file.
    (repo / CONFIGMAP).write_text(merged.replace("  name: web\n", "<<<<<<< before updating\n  name: web\n=======\n"
                                                 "  name: webb\n>>>>>>> after updating\n", 1))
    values_kept.after(repo)
    assert (repo / CONFIGMAP).read_text() == VALUES
