"""Which release steps one update runs, and in what order (extensions/migrations/__init__.py)."""

import pytest

from flux_cookbook.extensions import migrations


@pytest.mark.parametrize(
    ("version_from", "version_to", "expected"),
    [
        ("1.0.0", "3.0.0", ["2.0.0", "3.0.0"]),
        ("1.0.0", "2.1.1", ["2.0.0"]),
        ("2.0.0", "3.0.0", ["3.0.0"]),
        ("2.1.1", "3.0.0", ["3.0.0"]),
        ("3.0.0", "3.0.1", []),
        ("1.0.0", "1.0.0.post1.dev0+g1234567", []),  # an untagged commit: copier runs none either
        ("2.1.1", "3.0.0.post2.dev0+gabcdef0", ["3.0.0"]),
        ("nonsense", "3.0.0", []),
    ],
)
def test_an_update_runs_the_releases_it_crosses_oldest_first(version_from, version_to, expected):
    assert migrations.crossed(version_from, version_to) == expected


def test_a_step_that_stops_names_its_release(tmp_path, monkeypatch, capsys):
    from flux_cookbook.extensions.migrations import v2_0_0

    def refuse(repo, answers_file=""):
        raise migrations.MigrationAbort("a file cannot be read")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(v2_0_0, "before", refuse)
    assert migrations.main(["before", ".copier-answers.yml", "1.0.0", "3.0.0"]) == 1
    assert "Migration to 2.0.0 stopped, nothing was changed:\na file cannot be read" in capsys.readouterr().err


def _repo_with_cluster_at(tmp_path, commit):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".copier-answers.yml").write_text(f"_commit: {commit}\nkind: cluster\n")
    return tmp_path


@pytest.mark.parametrize(
    ("cluster_at", "app_runs"),
    [
        ("v1.0.0", ["2.0.0", "3.0.0"]),  # the app is updated before the cluster: it migrates the repository
        ("v2.1.1", ["3.0.0"]),
        ("v3.0.0", []),  # the cluster's update already ran both
        ("v3.0.0-2-gabcdef0", []),
    ],
)
def test_release_steps_run_once_per_repository(tmp_path, cluster_at, app_runs):
    repo = _repo_with_cluster_at(tmp_path, cluster_at)
    assert migrations.releases_due(repo, ".copier-answers.yml", "1.0.0", "3.0.0") == ["2.0.0", "3.0.0"]
    assert migrations.releases_due(repo, ".copier-answers.app-web.yml", "1.0.0", "3.0.0") == app_runs


def test_an_app_update_with_nothing_to_do_starts_no_script(tmp_path):
    repo = _repo_with_cluster_at(tmp_path, "v3.0.1")
    (repo / ".copier-answers.app-web.yml").write_text("kind: app\napp_name: web\napps_dir: ''\n")
    for stage in ("before", "after"):
        assert not migrations.due(stage, repo, ".copier-answers.app-web.yml", "3.0.0", "3.0.1")
    assert migrations.due("before", repo, ".copier-answers.yml", "1.0.0", "3.0.1")
