"""Which removal of a shared file counts as the user's (extensions/migrations/shared_files.py):
the app's own file, removed while its answers named it as they do now."""

from __future__ import annotations

from flux_cookbook.extensions.migrations import shared_files
from tests.support.project import commit_all, init_repo
from tests.support.template_repo import git

ANSWERS = ".copier-answers.app-web.yml"
REPOSITORY = "bootstrap/helmrepositories/helmrepository-charts.yaml"


def answers(**values: str) -> str:
    return "".join(f"{key}: {value}\n" for key, value in {"app_name": "web", "bootstrap_dir": "bootstrap", **values}.items())


def repo_with_repository_file(tmp_path, **values: str):
    repo = tmp_path / "repo"
    (repo / "bootstrap/helmrepositories").mkdir(parents=True)
    (repo / ANSWERS).write_text(answers(helm_repo_name="charts", **values))
    (repo / REPOSITORY).write_text("kind: HelmRepository\n")
    return init_repo(repo)


def test_the_apps_own_file_removed_by_the_user_counts(tmp_path):
    repo = repo_with_repository_file(tmp_path)
    git(repo, "rm", "-q", REPOSITORY)
    commit_all(repo, "Charts from elsewhere")
    assert shared_files.removed_by_user(repo, REPOSITORY, ANSWERS, "helm_repo_name")


def test_a_removal_for_another_answer_or_by_the_oci_move_does_not(tmp_path):
    # Removed while the app took its chart from an OCIRepository (3.0.0's step removes it).
    repo = repo_with_repository_file(tmp_path / "oci")
    git(repo, "rm", "-q", REPOSITORY)
    (repo / ANSWERS).write_text(answers(helm_repo_name="charts", chart_source="ocirepository"))
    commit_all(repo, "Update app web: its chart from an OCIRepository")
    (repo / ANSWERS).write_text(answers(helm_repo_name="charts", chart_source="helmrepository"))
    commit_all(repo, "Back to a Helm repository")
    assert shared_files.removed_by_user(repo, REPOSITORY, ANSWERS, "helm_repo_name") == ""
    # Removed while the app named another repository: not this answer's file.
    repo = repo_with_repository_file(tmp_path / "other")
    (repo / ANSWERS).write_text(answers(helm_repo_name="elsewhere"))
    git(repo, "rm", "-q", REPOSITORY)
    commit_all(repo, "Another repository")
    (repo / ANSWERS).write_text(answers(helm_repo_name="charts"))
    commit_all(repo, "Back to charts")
    assert shared_files.removed_by_user(repo, REPOSITORY, ANSWERS, "helm_repo_name") == ""


def test_a_file_removed_with_another_app_that_named_it_does_not_count(tmp_path):
    """The commit removed app api (its answers file) and the HelmRepository file api wrote,
    which web names too: that went with api, and web's update writes it again."""
    repo = repo_with_repository_file(tmp_path)
    (repo / ".copier-answers.app-api.yml").write_text(answers(app_name="api", helm_repo_name="charts"))
    commit_all(repo, "Add api")
    git(repo, "rm", "-q", REPOSITORY, ".copier-answers.app-api.yml")
    commit_all(repo, "Remove api")
    assert shared_files.removed_by_user(repo, REPOSITORY, ANSWERS, "helm_repo_name") == ""
    # Another app removed in that commit, of another repository: still the user's removal.
    repo = repo_with_repository_file(tmp_path / "other")
    (repo / ".copier-answers.app-api.yml").write_text(answers(app_name="api", helm_repo_name="elsewhere"))
    commit_all(repo, "Add api")
    git(repo, "rm", "-q", REPOSITORY, ".copier-answers.app-api.yml")
    commit_all(repo, "Remove api and the charts file")
    assert shared_files.removed_by_user(repo, REPOSITORY, ANSWERS, "helm_repo_name")


def test_a_removal_in_a_cluster_folder_of_a_larger_repository_counts_too(tmp_path):
    """git shows a commit's files by paths from the top: read from the cluster's folder."""
    top = tmp_path / "top"
    (top / "cluster/bootstrap/helmrepositories").mkdir(parents=True)
    (top / "cluster" / ANSWERS).write_text(answers(helm_repo_name="charts"))
    (top / "cluster" / REPOSITORY).write_text("kind: HelmRepository\n")
    init_repo(top)
    git(top, "rm", "-q", f"cluster/{REPOSITORY}")
    commit_all(top, "Charts from elsewhere")
    assert shared_files.removed_by_user(top / "cluster", REPOSITORY, ANSWERS, "helm_repo_name")
