"""update-all (the template cloned once, migrations once per repository, apps in parallel
worktrees) ends exactly where plain copier does: same commits, byte-identical trees, same
conflicts.

The reference is what the README tells a user to do by hand: the copier command line,
`copier update --trust --defaults [-a <answers file>]` for each answers file in turn, each
committed, stopping at the first that leaves conflicts. The run crosses releases with
migrations (1.0.0 to the current release), several apps, a user's edit that merges, and
one that conflicts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import commit_all, cookbook_cli, copy, edit, own_copy, tree_state
from tests.support.template_repo import git
from tests.support.updated_repo import history, plain_copier

APPS = ("api", "worker", "queue")  # with podinfo and redis: apps before the conflicting one and after it


@pytest.fixture(scope="module")
def starting_point(template, lived_in_1_0_0, tmp_path_factory) -> Path:
    repo = own_copy(lived_in_1_0_0, tmp_path_factory.mktemp("start") / "cluster")
    v1 = template.tag("1.0.0")
    for name in APPS:
        copy(template.path, repo, vcs_ref=v1, kind="app", app_name=name, chart="podinfo", chart_version="6.x",
             helm_repo_name="podinfo", helm_repo_url="https://stefanprodan.github.io/podinfo")
    commit_all(repo, "More apps")
    # Merges: an edited interval. Conflicts: the label 2.0.0 adds, set by the user to another value.
    edit(repo / "flux-system/kustomizations/kustomization-api.yaml", "interval: 15m", "interval: 30m # quiet")
    edit(repo / "queue/configmap-queue-helm-chart-value-overrides.yaml", "  namespace: queue\n",
         "  namespace: queue\n  labels:\n    team: messaging\n    reconcile.fluxcd.io/watch: Disabled\n")
    commit_all(repo, "Our edits")
    return repo


def run_both(template, starting_point: Path, tmp_path: Path) -> tuple[Path, Path, str, str]:
    fast, plain = tmp_path / "fast", tmp_path / "plain"
    for clone in (fast, plain):
        git(tmp_path, "clone", "-q", str(starting_point), str(clone))
    fast_run = cookbook_cli("update-all", str(fast), "--vcs-ref", template.current, "--jobs", "2")
    plain_code, plain_said = plain_copier(plain, template.current)
    assert fast_run.returncode == plain_code, fast_run.stderr
    return fast, plain, fast_run.stdout + fast_run.stderr, plain_said


def take_the_release_side(text: str) -> str:
    kept, side = [], None
    for line in text.splitlines(keepends=True):
        if line.startswith(("<<<<<<<", "=======", ">>>>>>>")):
            side = {"<": "mine", "=": "release", ">": None}[line[0]]
        elif side != "mine":
            kept.append(line)
    return "".join(kept)


def test_fast_and_plain_stop_at_the_same_conflict_and_finish_identically(template, starting_point, tmp_path):
    fast, plain, fast_out, plain_out = run_both(template, starting_point, tmp_path)
    assert "queue/configmap-queue-helm-chart-value-overrides.yaml" in fast_out
    assert "left conflicts" in fast_out and "left conflicts" in plain_out
    assert history(fast) == history(plain)
    assert tree_state(fast)[1:] == tree_state(plain)[1:]  # status and every file, conflict markers included
    assert git(fast, "ls-files", "-u") == git(plain, "ls-files", "-u")
    assert git(fast, "worktree", "list").count("\n") == 1

    for repo in (fast, plain):
        # The user takes the release's side of the conflict, as they might.
        path = repo / "queue/configmap-queue-helm-chart-value-overrides.yaml"
        resolved = take_the_release_side(path.read_text())
        assert "watch: Enabled" in resolved and "<<<<<<<" not in resolved
        path.write_text(resolved)
        commit_all(repo, "Resolve the queue values")
    fast_run = cookbook_cli("update-all", str(fast), "--vcs-ref", template.current, "--jobs", "2")
    plain_code, plain_said = plain_copier(plain, template.current)
    assert fast_run.returncode == plain_code == 0, fast_run.stderr + plain_said
    assert history(fast) == history(plain)
    assert git(fast, "rev-parse", "HEAD^{tree}") == git(plain, "rev-parse", "HEAD^{tree}")
    # Every answers file is reported, updated or already current.
    for name in [".copier-answers.yml", *(f".copier-answers.app-{app}.yml" for app in (*APPS, "podinfo", "redis"))]:
        assert name in fast_run.stdout, fast_run.stdout
        # copier's clones came from update-all's one clone; the answers still name the user's template.
        assert f"_src_path: {template.path}\n" in (fast / name).read_text(), name
