"""What a values refresh killed outright left, put back by the next (values/refresh.py `recover`)."""

from __future__ import annotations

import json

import pytest

from flux_cookbook.errors import UserError
from flux_cookbook.values.refresh import RECORD, recover
from tests.support.project import commit_all, repo_with
from tests.support.template_repo import git


def test_the_apps_files_go_back_to_head_with_the_temporary_files_of_their_writes(tmp_path):
    repo = repo_with(tmp_path / "repo", {"web/values.yaml": "a: 1\n", "web/helmrelease.yaml": "b: 1\n", "other.yaml": "c: 1\n"})
    head = git(repo, "rev-parse", "HEAD").strip()
    (repo / ".git" / RECORD).write_text(json.dumps({"head": head, "paths": ["web/values.yaml", "web/helmrelease.yaml"]}))
    (repo / "web/values.yaml").write_text("a: 2\n")  # written, not committed
    git(repo, "add", "web/values.yaml")
    (repo / "web/.helmrelease.yaml.x1y2.tmp").write_text("b: 2\n")  # killed while it was written
    (repo / "other.yaml").write_text("c: 2\n")  # not the refresh's: stays
    assert "killed before its commit had written web/values.yaml, web/helmrelease.yaml" in recover(repo)
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == " M other.yaml\n"
    assert not (repo / ".git" / RECORD).exists() and recover(repo) == ""


def test_after_the_commit_only_the_record_goes(tmp_path):
    repo = repo_with(tmp_path / "repo", {"web/values.yaml": "a: 1\n"})
    head = git(repo, "rev-parse", "HEAD").strip()
    (repo / "web/values.yaml").write_text("a: 2\n")
    commit_all(repo, "refreshed")  # killed between the commit and the record's removal
    (repo / ".git" / RECORD).write_text(json.dumps({"head": head, "paths": ["web/values.yaml"]}))
    assert recover(repo) == ""
    assert (repo / "web/values.yaml").read_text() == "a: 2\n" and not (repo / ".git" / RECORD).exists()


def test_a_record_cut_short_is_dropped(tmp_path):
    repo = repo_with(tmp_path / "repo", {"a.yaml": "a: 1\n"})
    (repo / ".git" / RECORD).write_text('{"head": ')
    assert recover(repo) == "" and not (repo / ".git" / RECORD).exists()


def test_files_git_cannot_put_back_keep_the_record_and_say_why(tmp_path):
    """Killed during its `git commit`: git's index.lock is left too, and nothing can be put
    back. Said so, and the record kept for the next run, which puts them back once the lock
    is gone (without it, the files would stay and every later run refuse "uncommitted
    changes")."""
    repo = repo_with(tmp_path / "repo", {"web/values.yaml": "a: 1\n"})
    head = git(repo, "rev-parse", "HEAD").strip()
    (repo / ".git" / RECORD).write_text(json.dumps({"head": head, "paths": ["web/values.yaml"]}))
    (repo / "web/values.yaml").write_text("a: 2\n")
    git(repo, "add", "web/values.yaml")
    (repo / ".git" / "index.lock").write_text("")
    with pytest.raises(UserError, match=r"could not be put back as HEAD has them: .*index\.lock is there"):
        recover(repo)
    assert (repo / ".git" / RECORD).exists() and (repo / "web/values.yaml").read_text() == "a: 2\n"
    (repo / ".git" / "index.lock").unlink()  # as the message says
    assert "put back as HEAD has them" in recover(repo)
    assert git(repo, "status", "--porcelain") == "" and not (repo / ".git" / RECORD).exists()


def test_what_the_user_changed_or_deleted_since_is_kept(tmp_path):
    """With what each file was to hold recorded: a file holding it goes back to HEAD; one
    holding anything else, or deleted, is the user's since the kill, and stays so, with the
    rest of its app's files (here the app api's; web's go back)."""
    import hashlib

    repo = repo_with(tmp_path / "repo", {"web/values.yaml": "a: 1\n", "web/release.yaml": "b: 1\n", "web/kept.yaml": "c: 1\n"})
    head = git(repo, "rev-parse", "HEAD").strip()
    meant = {"web/values.yaml": "a: 2\n", "web/release.yaml": "b: 2\n", "web/kept.yaml": "c: 2\n"}
    (repo / ".git" / RECORD).write_text(json.dumps({
        "head": head, "paths": list(meant), "apps": [["web/values.yaml"], ["web/release.yaml", "web/kept.yaml"]],
        "written": {path: hashlib.sha256(text.encode()).hexdigest() for path, text in meant.items()}}))
    (repo / "web/values.yaml").write_text("a: 2\n")  # the run's
    (repo / "web/release.yaml").unlink()  # deleted by the user since (the run had not written it yet)
    (repo / "web/kept.yaml").write_text("c: 2\nmine: 1\n")  # the run's, then edited by the user
    note = recover(repo)
    assert "had written web/values.yaml: put back" in note
    assert "was writing web/release.yaml, web/kept.yaml, changed since: kept as it is" in note
    assert git(repo, "status", "--porcelain") == " M web/kept.yaml\n D web/release.yaml\n"
    assert not (repo / ".git" / RECORD).exists()


def test_an_app_with_a_file_the_user_changed_since_is_kept_whole(tmp_path):
    """The user edited the values the killed run wrote: the app's answers the run wrote
    with them (the chart version the values are now from) stay too, not HEAD's, which
    would have the next refresh merge from the wrong version."""
    import hashlib

    repo = repo_with(tmp_path / "repo", {"web/values.yaml": "a: 1\n", ".copier-answers.app-web.yml": "values_chart_version: 1\n"})
    head = git(repo, "rev-parse", "HEAD").strip()
    meant = {"web/values.yaml": "a: 2\n", ".copier-answers.app-web.yml": "values_chart_version: 2\n"}
    (repo / ".git" / RECORD).write_text(json.dumps({
        "head": head, "paths": list(meant), "apps": [list(meant)],
        "written": {path: hashlib.sha256(text.encode()).hexdigest() for path, text in meant.items()}}))
    for path, text in meant.items():
        (repo / path).write_text(text)
    (repo / "web/values.yaml").write_text("a: 2\nmine: 1\n")
    note = recover(repo)
    assert ("was writing web/values.yaml, changed since: kept as it is, and the rest of that app's files it wrote "
            "with it (.copier-answers.app-web.yml)") in note, note
    assert (repo / ".copier-answers.app-web.yml").read_text() == "values_chart_version: 2\n"
    assert not (repo / ".git" / RECORD).exists()


@pytest.mark.parametrize("apps", [5, None, [None], "web/values.yaml", [["elsewhere.yaml"]], [[]]])
def test_a_record_whose_apps_are_not_as_written_takes_its_paths_as_one_app(tmp_path, apps):
    """A record of release 3.2.0 has no "apps"; one whose "apps" is not lists of its paths
    is read so too, not dropped (which left the files written and said nothing)."""
    import hashlib

    repo = repo_with(tmp_path / "repo", {"web/values.yaml": "a: 1\n", ".copier-answers.app-web.yml": "v: 1\n"})
    meant = {"web/values.yaml": "a: 2\n", ".copier-answers.app-web.yml": "v: 2\n"}
    (repo / ".git" / RECORD).write_text(json.dumps({
        "head": git(repo, "rev-parse", "HEAD").strip(), "paths": list(meant), "apps": apps,
        "written": {path: hashlib.sha256(text.encode()).hexdigest() for path, text in meant.items()}}))
    for path, text in meant.items():
        (repo / path).write_text(text)
    assert "put back as HEAD has them" in recover(repo)
    assert git(repo, "status", "--porcelain") == "" and not (repo / ".git" / RECORD).exists()


def test_files_left_written_when_head_moved_since_are_named(tmp_path):
    """Killed before its commit, then the user committed something else: what the run wrote
    can no longer be told from the user's, and stays; said so, not silently."""
    import hashlib

    repo = repo_with(tmp_path / "repo", {"web/values.yaml": "a: 1\n", "notes.txt": "n\n"})
    (repo / ".git" / RECORD).write_text(json.dumps({
        "head": git(repo, "rev-parse", "HEAD").strip(), "paths": ["web/values.yaml"],
        "written": {"web/values.yaml": hashlib.sha256(b"a: 2\n").hexdigest()}}))
    (repo / "web/values.yaml").write_text("a: 2\n")
    (repo / "notes.txt").write_text("more\n")
    git(repo, "add", "notes.txt")
    git(repo, "-c", "user.name=u", "-c", "user.email=u@invalid", "commit", "-q", "-m", "Notes")
    note = recover(repo)
    assert "had written web/values.yaml; HEAD has moved since, so they are left as they are" in note, note
    assert (repo / "web/values.yaml").read_text() == "a: 2\n" and not (repo / ".git" / RECORD).exists()


def test_a_folder_where_the_run_wrote_a_file_is_the_user_s(tmp_path):
    """Since the kill the user made a folder of that name: kept, and the next runs are not
    stopped by it for good (the record is dropped)."""
    repo = repo_with(tmp_path / "repo", {"web/values.yaml": "a: 1\n"})
    head = git(repo, "rev-parse", "HEAD").strip()
    (repo / ".git" / RECORD).write_text(json.dumps({"head": head, "paths": ["web/values.yaml"], "written": {"web/values.yaml": "0" * 64}}))
    (repo / "web/values.yaml").unlink()
    (repo / "web/values.yaml").mkdir()
    (repo / "web/values.yaml/mine.yaml").write_text("b: 1\n")
    assert "was writing web/values.yaml, changed since: kept as it is" in recover(repo)
    assert (repo / "web/values.yaml/mine.yaml").read_text() == "b: 1\n" and not (repo / ".git" / RECORD).exists()

