"""update-all's speed-ups (one template checkout per release, apps in parallel worktrees)
end exactly where plain copier does: same commits, byte-identical trees, same conflicts.

`--no-template-cache --jobs 1` is copier unpatched, one `copier update` after the other in
the repository itself: the reference. The run crosses a release with a migration (1.0.0
to the current release: the 2.0.0 move and rewrite), several apps, a user's edit that
merges, and one that conflicts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.lived_in_repo import lived_in_repo
from tests.support.project import commit_all, cookbook_cli, copy, edit, tree_state
from tests.support.template_repo import git

APPS = ("api", "worker", "cache", "queue", "search")


@pytest.fixture(scope="module")
def starting_point(template, tmp_path_factory) -> Path:
    repo = lived_in_repo(template, tmp_path_factory.mktemp("start"))
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
    plain_run = cookbook_cli("update-all", str(plain), "--vcs-ref", template.current, "--jobs", "1",
                             "--no-template-cache")
    assert fast_run.returncode == plain_run.returncode
    return fast, plain, fast_run.stdout + fast_run.stderr, plain_run.stdout + plain_run.stderr


def history(repo: Path) -> list[tuple[str, str]]:
    """(subject, tree) of every commit: the same changes in the same order."""
    return [tuple(line.split(" ", 1)[::-1]) for line in git(repo, "log", "--format=%T %s").splitlines()]


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
    plain_run = cookbook_cli("update-all", str(plain), "--vcs-ref", template.current, "--jobs", "1", "--no-template-cache")
    assert fast_run.returncode == plain_run.returncode == 0, fast_run.stderr + plain_run.stderr
    assert history(fast) == history(plain)
    assert git(fast, "rev-parse", "HEAD^{tree}") == git(plain, "rev-parse", "HEAD^{tree}")
    # Every answers file is reported, updated or already current.
    for name in [".copier-answers.yml", *(f".copier-answers.app-{app}.yml" for app in (*APPS, "podinfo", "redis"))]:
        assert name in fast_run.stdout, fast_run.stdout


def test_the_migrations_run_forked_and_end_where_new_interpreters_end(template, starting_point, tmp_path, capfd):
    """The cluster's update from 1.0.0 runs run.py twice (before, after): in a fork of this
    process while the cache is active, in new interpreters without it; the same commit."""
    from flux_cookbook import bulk_update

    forked, plain = tmp_path / "forked", tmp_path / "plain"
    for clone in (forked, plain):
        git(tmp_path, "clone", "-q", str(starting_point), str(clone))
    with bulk_update.shared_template_checkouts() as state:
        assert bulk_update.update_one(forked, ".copier-answers.yml", template.current).status == "updated"
    forked_output = capfd.readouterr()
    assert state.scripts.forked == 2
    assert bulk_update.update_one(plain, ".copier-answers.yml", template.current).status == "updated"
    assert capfd.readouterr() == forked_output  # the migration's notes, on the same streams
    assert history(forked) == history(plain)
    assert tree_state(forked)[1:] == tree_state(plain)[1:]
