"""Settling a conflict on the data: the release's changes set in the user's own text."""

import textwrap

import pytest
import yaml

from flux_cookbook.extensions.migrations.settle_conflicts import Clash, line_merged, release_changes, settle
from tests.support.project import init_repo


def text(s: str) -> str:
    return textwrap.dedent(s).lstrip("\n")


BASE = [{"apiVersion": "kustomize.toolkit.fluxcd.io/v1beta1", "spec": {"interval": "15m", "validation": "server", "path": "a"}}]
THEIRS = [{"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "spec": {"interval": "15m", "path": "a"}}]


@pytest.mark.parametrize("mine, changes", [
    # Already migrated, own key order and an own change elsewhere: nothing to set.
    ({"spec": {"path": "a", "interval": "30m"}, "apiVersion": "kustomize.toolkit.fluxcd.io/v1"}, []),
    # Still carries a field the release removed, untouched: it goes.
    ({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "spec": {"interval": "15m", "path": "a", "validation": "server"}},
     [(("spec", "validation"), "DELETE")]),
    # Still on the old API, untouched: the release's one is set.
    ({"apiVersion": "kustomize.toolkit.fluxcd.io/v1beta1", "spec": {"interval": "15m", "path": "a"}},
     [(("apiVersion",), "kustomize.toolkit.fluxcd.io/v1")]),
])
def test_the_release_changes_the_user_lacks(mine, changes):
    found = [(path, "DELETE" if not isinstance(value, str) else value) for path, value in release_changes(BASE[0], mine, THEIRS[0])]
    assert found == changes


def test_a_value_both_changed_differently_is_a_clash():
    with pytest.raises(Clash):
        release_changes({"a": 1}, {"a": 2}, {"a": 3})
    with pytest.raises(Clash):  # a list the release changed must match whole
        release_changes({"l": [1, 2]}, {"l": [3, 2, 1]}, {"l": [1, 2, 3]})
    assert release_changes({"l": [1, 2]}, {"l": [1, 2, 3]}, {"l": [1, 2, 3]}) == []


BASE_CM = text("""
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: web-helm-chart-value-overrides
      namespace: web
    data:
      values.yaml: |-
        replicaCount: 1
    """)
THEIRS_CM = text("""
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: web-helm-chart-value-overrides
      namespace: web
      labels:
        # Flux reconciles the HelmRelease as soon as these values change (Flux 2.7+).
        reconcile.fluxcd.io/watch: Enabled
    data:
      values.yaml: |-
        replicaCount: 1
    """)
# What `kubectl create configmap --dry-run=client -o yaml` writes: sorted keys, a timestamp.
KUBECTL_CM = text("""
    ---
    apiVersion: v1
    data:
      values.yaml: |-
        # mine
        replicaCount: 3
    kind: ConfigMap
    metadata:
      creationTimestamp: null
      name: web-helm-chart-value-overrides
      namespace: web
    """)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_tool_written_configmap_gets_the_label_and_keeps_everything_else(newline):
    mine = KUBECTL_CM.replace("\n", newline)
    merged = settle("configmap-web.yaml", BASE_CM, mine, THEIRS_CM)
    assert merged is not None
    # The label goes in as the release writes it, with its comment, in the file's line ends.
    assert merged == (KUBECTL_CM + "  labels:\n    # Flux reconciles the HelmRelease as soon as these values change (Flux 2.7+).\n"
                      "    reconcile.fluxcd.io/watch: Enabled\n").replace("\n", newline)
    data = yaml.safe_load(merged.replace("\r\n", "\n"))
    assert data["data"]["values.yaml"] == "# mine\nreplicaCount: 3"


def test_the_files_own_indentation_is_kept():
    mine = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: web-helm-chart-value-overrides\n    namespace: web\ndata:\n    values.yaml: |-\n        replicaCount: 1\n"
    merged = settle("configmap-web.yaml", BASE_CM, mine, THEIRS_CM)
    assert merged == mine.replace("    namespace: web\n", "    namespace: web\n    labels:\n        reconcile.fluxcd.io/watch: Enabled\n")


def test_a_real_conflict_is_left():
    mine = KUBECTL_CM.replace("creationTimestamp: null\n", "creationTimestamp: null\n  labels:\n    reconcile.fluxcd.io/watch: Disabled\n")
    assert settle("configmap-web.yaml", BASE_CM, mine, THEIRS_CM) is None


def test_files_settle_mine_when_it_has_everything_and_never_what_does_not_parse():
    assert settle("x.yaml", BASE_CM, THEIRS_CM, THEIRS_CM) == THEIRS_CM
    assert settle("x.yaml", BASE_CM, "a: [b", THEIRS_CM) is None
    assert settle("README.md", "a", "b", "c") is None


def test_an_ignore_file_both_added_settles_when_mine_has_every_pattern():
    theirs = "# comment\n/.copier-answers*.yml\n*.md\n"
    assert settle(".sourceignore", "", "secret/\n/.copier-answers*.yml\n*.md\n", theirs) == "secret/\n/.copier-answers*.yml\n*.md\n"
    assert settle(".sourceignore", "", "secret/\n", theirs) is None


def test_a_crlf_file_the_user_changed_only_in_its_line_ends_takes_the_release_in_those(tmp_path):
    repo = init_repo(tmp_path)
    base, theirs = "# what stays out\n*.md\n/.github/\n", "# what stays out, as written\n*.md\n.github/\n"
    assert line_merged(repo, base, base.replace("\n", "\r\n"), theirs) == (theirs.replace("\n", "\r\n"), False)
    # Both added it (no old render), the user's in CRLF.
    assert line_merged(repo, "", theirs.replace("\n", "\r\n"), theirs) == (theirs.replace("\n", "\r\n"), False)
    assert not (repo / ".git" / "flux-cookbook-merge").exists()  # its files written in the repository, then gone


def test_a_crlf_file_with_the_users_lines_is_merged_as_copier_merges_lf(tmp_path):
    repo = init_repo(tmp_path)
    base = "# head\n*.md\n/.github/\n*.rej\n*.orig\n*.jpg\n*.zip\n"
    theirs = "# head\n*.md\n*.rej\n*.orig\n*.jpg\n*.zip\n.github/\n"
    mine = "# head\r\n/docs/\r\n*.md\r\n/.github/\r\n*.rej\r\n*.orig\r\n*.jpg\r\n*.zip\r\n"
    assert line_merged(repo, base, mine, theirs) == (
        "# head\r\n/docs/\r\n*.md\r\n*.rej\r\n*.orig\r\n*.jpg\r\n*.zip\r\n.github/\r\n", False)
    # The user's line where the release changed one: that line conflicts, marked as copier
    # marks a conflict, in the user's line ends; the rest is merged.
    text, conflicts = line_merged(repo, base, mine.replace("/.github/", "/.github/ci/"), theirs)
    assert conflicts and text.startswith("# head\r\n/docs/\r\n*.md\r\n<<<<<<< before updating\r\n/.github/ci/\r\n")
    assert "=======\r\n>>>>>>> after updating\r\n*.rej\r\n" in text and text.endswith("*.zip\r\n.github/\r\n")
    assert "\n" not in text.replace("\r\n", "")


def configmap(values_text: str) -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "data": {"values.yaml": values_text}})


def test_a_release_that_changes_only_the_comments_of_embedded_values_keeps_the_users_values():
    """The placeholder's hint line changed; the user had replaced the placeholder with values."""
    base = configmap("# Paste the values here. To see them:\n#   helm show values web --repo oci://r\n")
    theirs = configmap("# Paste the values here. To see them:\n#   helm show values oci://r/web\n")
    mine = configmap("replicaCount: 2\n")
    assert settle("configmap-web.yaml", base, mine, theirs) == mine


def test_a_release_that_changes_embedded_values_still_conflicts():
    base, mine, theirs = configmap("a: 1\n# x\n"), configmap("a: 3\n"), configmap("a: 2\n# x\n")
    assert settle("configmap-web.yaml", base, mine, theirs) is None


def kustomization(timeout_line: str, above: str = "") -> str:
    return text("""
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: web
          namespace: flux-system
        spec:
          interval: 15m
          prune: true # remove any elements later removed from the above path
        """) + above + timeout_line + "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"


BASE_KS = kustomization("  timeout: 2m # if not set, this defaults to interval duration\n")
THEIRS_KS = kustomization("  timeout: 5m # at least the HelmRelease's timeout\n")


def test_a_value_set_to_the_releases_keeps_the_users_comments_on_and_above_its_line():
    above = "  # why: the chart installs fast\n"
    mine = kustomization("  timeout: 2m   # if not set, this defaults to interval duration, which is 1h\n", above)
    assert settle("kustomization-web.yaml", BASE_KS, mine, THEIRS_KS) == kustomization(
        "  timeout: 5m   # if not set, this defaults to interval duration, which is 1h\n", above)
    # Written without a comment of its own, the line takes none.
    mine = kustomization('  timeout: "2m"\n')
    assert settle("kustomization-web.yaml", BASE_KS, mine, THEIRS_KS) == kustomization("  timeout: 5m\n")


def test_a_value_the_user_chose_is_never_settled_to_the_releases():
    mine = kustomization("  timeout: 3m # our own\n")
    assert settle("kustomization-web.yaml", BASE_KS, mine, THEIRS_KS) is None


def test_a_list_the_release_replaced_keeps_the_comments_inside_it_above_its_key():
    base = BASE_KS + "  dependsOn:\n    - name: infra\n"
    theirs = BASE_KS + "  dependsOn:\n    - name: infra\n    - name: crds\n"
    mine = BASE_KS + "  dependsOn: # order matters\n    # the cluster's base\n    - name: infra # first\n"
    assert settle("kustomization-web.yaml", base, mine, theirs) == BASE_KS + (
        "  # the cluster's base\n  # first\n  dependsOn: # order matters\n    - name: infra\n    - name: crds\n")


def test_after_names_each_conflict_it_leaves_as_it_names_each_it_settles(tmp_path, capsys):
    """copier says nothing of a conflict it leaves (its update exits 0): the after stage
    names it beside the ones it settles."""
    from flux_cookbook.extensions.migrations import settle_conflicts
    from flux_cookbook.extensions.migrations.git_repo import git
    from tests.support.project import init_repo

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "c.yaml").write_text("c: 1\n")
    init_repo(repo)
    blobs = [git(repo, "hash-object", "-w", "--stdin", input=f"c: {n}\n").strip() for n in (1, 2, 3)]
    git(repo, "update-index", "--index-info", input=f"0 {'0' * 40}\tc.yaml\n"
        + "".join(f"100644 {blob} {stage}\tc.yaml\n" for stage, blob in enumerate(blobs, 1)))
    (repo / "c.yaml").write_text("<<<<<<< before updating\nc: 2\n=======\nc: 3\n>>>>>>> after updating\n")
    settle_conflicts.after(repo)
    assert capsys.readouterr().out == "  c.yaml: conflict left for you: keep your lines or the release's, then commit it with the rest of the update\n"
    assert "UU c.yaml" in git(repo, "status", "--porcelain")


@pytest.mark.parametrize("mine, left", [
    # CRLF throughout: merged as LF would have been, in CRLF, and staged.
    ("# head\r\n*.md\r\n/.github/\r\n*.rej\r\n", "# head\r\n*.md\r\n.github/\r\n*.rej\r\n"),
    # CRLF on one line only: no line merge (its LF lines would turn CRLF); the conflict stays.
    ("# head\n*.md\r\n/.github/\n*.rej\n", None),
])
def test_after_merges_a_crlf_file_line_by_line_and_leaves_a_mixed_one(tmp_path, capsys, mine, left):
    from flux_cookbook.extensions.migrations import settle_conflicts
    from flux_cookbook.extensions.migrations.git_repo import git
    from tests.support.project import init_repo

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".sourceignore").write_text("x\n")
    init_repo(repo)
    texts = ("# head\n*.md\n/.github/\n*.rej\n", mine, "# head\n*.md\n.github/\n*.rej\n")
    blobs = [git(repo, "hash-object", "-w", "--stdin", input=text).strip() for text in texts]
    git(repo, "update-index", "--index-info", input=f"0 {'0' * 40}\t.sourceignore\n"
        + "".join(f"100644 {blob} {stage}\t.sourceignore\n" for stage, blob in enumerate(blobs, 1)))
    conflicted = "<<<<<<< before updating\n" + mine + "=======\n" + texts[2] + ">>>>>>> after updating\n"
    (repo / ".sourceignore").write_bytes(conflicted.encode())
    settle_conflicts.after(repo)
    status = git(repo, "status", "--porcelain")
    assert (repo / ".sourceignore").read_bytes().decode() == (left or conflicted)
    assert ("UU .sourceignore" in status) == (left is None)
