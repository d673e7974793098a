"""One writer at a time (flux_cookbook/repository/lock.py): while a command holds the repository's
lock, another refuses, naming the holder, and writes nothing. The test holds the lock
itself, exactly as update-all holds it, so nothing depends on timing."""

from __future__ import annotations

import subprocess

import pytest

from flux_cookbook.repository.lock import one_writer
from tests.support.project import cookbook_cli, own_copy, tree_state
from tests.support.template_repo import git


@pytest.fixture(scope="module")
def cluster_made(template, tmp_path_factory):
    repo = tmp_path_factory.mktemp("lock") / "cluster"
    made = cookbook_cli("new", str(repo), "--defaults", "--template", str(template.path), "--vcs-ref", template.current,
                        "-d", "include_example_app=false", "-d", "sealed_secrets=false")
    assert made.returncode == 0, made.stderr
    return repo


@pytest.fixture
def cluster(cluster_made, tmp_path):
    return own_copy(cluster_made, tmp_path / "cluster")


@pytest.mark.parametrize("command", [
    ["add", "web", "--helm-repo-url", "https://charts.example.invalid", "--chart-version", "6.x", "--defaults",
     "-d", "fetch_values=false"],
    ["update-all"],
    ["adopt", ".", "--template", "https://example.invalid/template.git"],
    ["seal", "web", "db", "--from-literal", "password=x"],
])
def test_a_second_writer_refuses_while_update_all_holds_the_lock(cluster, command):
    before = tree_state(cluster)
    with one_writer(cluster, "update-all"):
        result = cookbook_cli(*command, cwd=cluster)
    assert result.returncode == 1, result.stdout
    assert "flux-cookbook update-all (process" in result.stderr and "is changing" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert tree_state(cluster) == before


def test_the_lock_is_free_again_when_its_holder_is_done(cluster):
    with one_writer(cluster, "update-all"):
        pass
    result = cookbook_cli("add", "web", "--helm-repo-url", "https://charts.example.invalid", "--chart-version", "6.x",
                          "--defaults", "-d", "fetch_values=false", cwd=cluster)
    assert result.returncode == 0, result.stderr


def test_a_worktree_shares_the_repositorys_lock(cluster, tmp_path):
    git(cluster, "worktree", "add", "-q", "-b", "side", str(tmp_path / "side"))
    with one_writer(cluster, "update-all"):
        result = cookbook_cli("update-all", str(tmp_path / "side"))
    assert result.returncode == 1 and "is changing" in result.stderr


def test_update_all_refuses_a_detached_head(cluster):
    git(cluster, "checkout", "-q", "--detach", "HEAD")
    before = tree_state(cluster)
    result = cookbook_cli("update-all", str(cluster))
    assert result.returncode == 1 and "detached HEAD" in result.stderr and "git switch" in result.stderr
    assert "Traceback" not in result.stderr and tree_state(cluster) == before


def test_update_all_in_a_stopped_rebase_says_so_not_detached_head(cluster):
    """A rebase stopped at a conflict detaches HEAD: the rebase is what to finish or abort."""
    git(cluster, "checkout", "-q", "-b", "side")
    (cluster / "README.md").write_text((cluster / "README.md").read_text() + "side\n")
    git(cluster, "-c", "user.name=t", "-c", "user.email=t@invalid", "commit", "-qam", "side")
    git(cluster, "checkout", "-q", "-")
    (cluster / "README.md").write_text((cluster / "README.md").read_text() + "main\n")
    git(cluster, "-c", "user.name=t", "-c", "user.email=t@invalid", "commit", "-qam", "main")
    stopped = subprocess.run(["git", "rebase", "side"], cwd=cluster, capture_output=True, text=True, check=False)
    assert stopped.returncode != 0  # stopped at the conflict
    before = tree_state(cluster)
    result = cookbook_cli("update-all", str(cluster))
    assert result.returncode == 1 and "in the middle of a rebase" in result.stderr, result.stderr
    assert "detached" not in result.stderr and tree_state(cluster) == before
