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


def _git(repo, *args, input=None):
    import subprocess

    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, input=input).stdout


def _merged_by_copier(folder):
    """`folder` of a committed repository as copier leaves it after its merge: a file
    changed, one removed, one added and staged, one added and not, one in conflict."""
    for name in ("a.yaml", "b.yaml", "c.yaml"):
        (folder / name).write_text(f"{name}: 1\n")
    _git(folder, "add", "-A")
    _git(folder, "commit", "-q", "-m", "The cluster")
    (folder / "a.yaml").write_text("a.yaml: 2\n")
    (folder / "b.yaml").unlink()
    (folder / "new").mkdir()
    (folder / "new/staged.yaml").write_text("new: 1\n")
    _git(folder, "add", "new/staged.yaml")
    (folder / "untracked.yaml").write_text("new: 2\n")
    blobs = [_git(folder, "hash-object", "-w", "--stdin", input=f"c: {n}\n").strip() for n in (1, 2, 3)]
    prefix = _git(folder, "rev-parse", "--show-prefix").strip()
    _git(folder, "update-index", "--index-info",
         input=f"0 {'0' * 40}\t{prefix}c.yaml\n"  # stage 0 out, then the three stages of a conflict
         + "".join(f"100644 {blob} {stage}\t{prefix}c.yaml\n" for stage, blob in enumerate(blobs, 1)))
    (folder / "c.yaml").write_text("<<<<<<< before updating\nc: 2\n=======\nc: 3\n>>>>>>> after updating\n")


@pytest.mark.parametrize("stage", ["before", "after"])
def test_a_step_that_stops_puts_the_folder_back_as_head_has_it(tmp_path, monkeypatch, capsys, stage):
    """Before copier's merge (the steps' staged work) or after it (copier's merge too):
    nothing of the update is left, as the message says."""
    from flux_cookbook.extensions.migrations import v2_0_0

    _git(tmp_path, "init", "-q")
    _merged_by_copier(tmp_path)

    def refuse(repo, answers_file=""):
        raise migrations.MigrationAbort("a file cannot be read")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(v2_0_0, stage, refuse)
    assert migrations.main([stage, ".copier-answers.yml", "1.0.0", "2.0.0"]) == 1
    assert "Migration to 2.0.0 stopped, nothing was changed:" in capsys.readouterr().err
    assert _git(tmp_path, "status", "--porcelain", "--untracked-files=all") == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [".git", "a.yaml", "b.yaml", "c.yaml"]
    assert (tmp_path / "a.yaml").read_text() == "a.yaml: 1\n"


def test_a_link_out_of_the_repository_after_copiers_merge_is_refused_and_the_merge_taken_back(tmp_path, monkeypatch,
                                                                                                capsys):
    """The after stage meets copier's merge (and what the before stage moved): a link out of
    the repository there stops the update, and "nothing was changed" holds."""
    _git(tmp_path, "init", "-q")
    _merged_by_copier(tmp_path)
    (tmp_path / "new/out.yaml").symlink_to("../../elsewhere.yaml")
    monkeypatch.chdir(tmp_path)
    assert migrations.main(["after", ".copier-answers.yml", "1.0.0", "2.0.0"]) == 1
    assert "The update stopped, nothing was changed:" in capsys.readouterr().err
    assert _git(tmp_path, "status", "--porcelain", "--untracked-files=all") == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [".git", "a.yaml", "b.yaml", "c.yaml"]


def test_a_step_that_stops_leaves_the_rest_of_a_larger_repository_alone(tmp_path, monkeypatch, capsys):
    """The cluster in a folder of a larger repository: copier allowed uncommitted work
    outside that folder, and that work stays, staged or not."""
    from flux_cookbook.extensions.migrations import v2_0_0

    _git(tmp_path, "init", "-q")
    (tmp_path / "notes.txt").write_text("notes\n")
    (tmp_path / "cluster").mkdir()
    _merged_by_copier(tmp_path / "cluster")
    (tmp_path / "notes.txt").write_text("notes, not committed yet\n")
    (tmp_path / "plan.txt").write_text("staged, not committed\n")
    _git(tmp_path, "add", "plan.txt")
    (tmp_path / "draft.txt").write_text("not added\n")

    def refuse(repo, answers_file=""):
        raise migrations.MigrationAbort("a file cannot be read")

    monkeypatch.chdir(tmp_path / "cluster")
    monkeypatch.setattr(v2_0_0, "after", refuse)
    assert migrations.main(["after", ".copier-answers.yml", "1.0.0", "2.0.0"]) == 1
    assert sorted(_git(tmp_path, "status", "--porcelain", "--untracked-files=all").splitlines()) == [
        " M notes.txt", "?? draft.txt", "A  plan.txt"]
    assert (tmp_path / "notes.txt").read_text() == "notes, not committed yet\n"
    assert (tmp_path / "cluster/a.yaml").read_text() == "a.yaml: 1\n"


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


def test_a_releases_after_step_starts_a_process_only_with_something_to_act_on(tmp_path):
    """3.1.0's `after` does nothing, 2.0.0's puts back what its `before` recorded, 3.0.0's
    settles what copier's merge left: a clean update crossing them needs no `after` process."""
    from flux_cookbook.extensions.migrations import v2_0_0

    repo = _repo_with_cluster_at(tmp_path, "v3.0.1")
    assert migrations.due("before", repo, ".copier-answers.yml", "3.0.1", "3.1.0")
    assert not migrations.due("after", repo, ".copier-answers.yml", "3.0.1", "3.1.0")
    assert not migrations.due("after", repo, ".copier-answers.yml", "1.0.0", "3.1.0")
    migrations.git_dir_file(repo, v2_0_0.RECORD).write_text("{}")
    assert migrations.due("after", repo, ".copier-answers.yml", "1.0.0", "3.1.0")
    assert not migrations.due("after", repo, ".copier-answers.yml", "2.0.0", "3.1.0")


def test_3_0_0s_after_step_is_due_with_a_conflict_or_a_deleted_helm_repository_file(tmp_path):
    """What 3.0.0's `after` acts on: conflicts (an OCIRepository file both sides added) and
    HelmRepository files the update deleted (one still used is put back)."""
    from flux_cookbook.extensions.migrations import v3_0_0

    (tmp_path / "cluster").mkdir()
    _git(tmp_path, "init", "-q")
    _merged_by_copier(tmp_path / "cluster")  # c.yaml in conflict
    assert v3_0_0.after_due(tmp_path)
    _git(tmp_path, "reset", "-q", "--hard")
    assert not v3_0_0.after_due(tmp_path)
    helm_repository = tmp_path / "bootstrap/helmrepositories/helmrepository-x.yaml"
    helm_repository.parent.mkdir(parents=True)
    helm_repository.write_text("kind: HelmRepository\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "x")
    helm_repository.unlink()
    assert v3_0_0.after_due(tmp_path)


def test_a_stop_that_cannot_be_taken_back_says_so(tmp_path, monkeypatch, capsys):
    """A git killed earlier left .git/index.lock: git cannot put the folder back, and the
    message says so and what to run, never "nothing was changed"."""
    from flux_cookbook.extensions.migrations import v2_0_0

    _git(tmp_path, "init", "-q")
    _merged_by_copier(tmp_path)
    (tmp_path / ".git/index.lock").write_text("")

    def refuse(repo, answers_file=""):
        raise migrations.MigrationAbort("a file cannot be read")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(v2_0_0, "after", refuse)
    assert migrations.main(["after", ".copier-answers.yml", "1.0.0", "2.0.0"]) == 1
    said = capsys.readouterr().err
    assert "nothing was changed" not in said
    assert "its changes could not be taken back" in said
    assert "git reset -q -- . && git checkout -- . && git clean -fd -- ." in said and "--hard" not in said
    assert "index.lock" in said
