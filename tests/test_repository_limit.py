"""The repository is the limit of every read and write (extensions/repo_files.py).

A HelmRelease and a Kustomization committed as symbolic links to files outside the
repository: update-all (whose 2.0.0 migration rewrites both), check, adopt and seal refuse,
naming the links, and the files outside stay as they were. The migrations refuse too when
copier runs them directly, and every write they make is atomic.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flux_cookbook.extensions import migrations, repo_files
from tests.support.file_size_limit import run_with_file_size_limit
from tests.support.project import commit_all, cookbook_cli, cookbook_process, own_copy, tree_state

LINKED = ("podinfo/helmrelease-podinfo.yaml", "flux-system/kustomizations/kustomization-podinfo.yaml")


@pytest.fixture
def linked_out(v1_made, tmp_path) -> tuple[Path, dict[Path, bytes]]:
    """A 1.0.0 repository whose podinfo HelmRelease and Kustomization are links out of it."""
    repo = own_copy(v1_made, tmp_path / "cluster")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    kept = {}
    for name in LINKED:
        target = outside / Path(name).name
        target.write_bytes((repo / name).read_bytes())
        (repo / name).unlink()
        (repo / name).symlink_to(target)
        kept[target] = target.read_bytes()
    commit_all(repo, "Files kept elsewhere")
    return repo, kept


@pytest.mark.parametrize("command", [
    ["update-all", "{repo}"],
    ["check", "{repo}", "--no-build"],
    ["adopt", "{repo}", "--template", "https://example.invalid/template.git"],
    ["seal", "podinfo", "db", "--repo", "{repo}", "--from-literal", "password=x"],
    ["add", "web", "--repo", "{repo}", "--helm-repo-url", "https://charts.example.invalid", "--defaults"],
])
def test_every_command_refuses_links_out_of_the_repository(linked_out, command):
    repo, outside = linked_out
    before = tree_state(repo)
    result = cookbook_cli(*(part.format(repo=repo) for part in command))
    assert result.returncode == 1, result.stdout + result.stderr
    for name, target in zip(LINKED, outside):
        assert f"{name} -> {target}" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_state(repo) == before
    assert all(target.read_bytes() == data for target, data in outside.items())


@pytest.mark.parametrize("command", [["check", "{repo}", "--no-build"], ["update-all", "{repo}"]])
def test_a_link_into_git_s_own_files_is_refused_too(v1_made, tmp_path, command):
    """git's files are no part of the repository (Flux's artifact leaves .git out): a
    committed link to .git/config, where a remote's URL may carry a token, is never read."""
    repo = own_copy(v1_made, tmp_path / "cluster")
    git_config = repo / ".git/config"
    git_config.write_text(git_config.read_text() + '[remote "origin"]\n\turl = https://bot:s3cret-token@git.invalid/x.git\n')
    (repo / "podinfo/remote.yaml").symlink_to("../.git/config")
    commit_all(repo, "A link into git's files")
    before = tree_state(repo)
    result = cookbook_cli(*(part.format(repo=repo) for part in command))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "podinfo/remote.yaml -> ../.git/config" in result.stderr and "into its .git folder" in result.stderr
    assert "s3cret" not in result.stdout + result.stderr and "Traceback" not in result.stderr
    assert tree_state(repo) == before


def test_the_migrations_refuse_links_out_when_copier_runs_them(linked_out, monkeypatch, capsys):
    repo, outside = linked_out
    monkeypatch.chdir(repo)
    assert migrations.main(["before", ".copier-answers.yml", "1.0.0", "3.0.0"]) == 1
    assert "podinfo/helmrelease-podinfo.yaml ->" in capsys.readouterr().err
    assert all(target.read_bytes() == data for target, data in outside.items())


def test_a_write_through_a_link_out_is_refused_and_one_inside_is_atomic(tmp_path):
    repo, outside = tmp_path / "repo", tmp_path / "outside.yaml"
    (repo / "apps").mkdir(parents=True)
    outside.write_text("theirs\n")
    (repo / "apps/linked.yaml").symlink_to(outside)
    (repo / "elsewhere").symlink_to(tmp_path)
    for path in ("apps/linked.yaml", "elsewhere/outside.yaml", "../outside.yaml"):
        with pytest.raises(repo_files.OutsideRepository):
            repo_files.write_text(repo, path, "ours\n")
    assert outside.read_text() == "theirs\n"
    (repo / "apps/kept.yaml").write_text("old\n")
    (repo / "apps/kept.yaml").chmod(0o600)
    repo_files.write_text(repo, "apps/kept.yaml", "new\n")
    assert (repo / "apps/kept.yaml").read_text() == "new\n"
    assert oct((repo / "apps/kept.yaml").stat().st_mode & 0o777) == oct(0o600)
    assert sorted(p.name for p in (repo / "apps").iterdir()) == ["kept.yaml", "linked.yaml"]  # no temporary left


def test_a_new_file_gets_the_mode_the_umask_gives_as_copier_writes_it(tmp_path):
    (tmp_path / "made-by-hand").write_text("")
    repo_files.write_text(tmp_path, "apps/new.yaml", "new\n")
    assert (tmp_path / "apps/new.yaml").stat().st_mode & 0o777 == (tmp_path / "made-by-hand").stat().st_mode & 0o777


WRITE_KEPT = """
import sys
from pathlib import Path
from flux_cookbook.extensions import repo_files
limit_file_sizes()
repo_files.write_text(Path(sys.argv[1]), "kept.yaml", "new text\\n")
"""


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path):
    (tmp_path / "kept.yaml").write_text("old\n")
    result = run_with_file_size_limit(WRITE_KEPT, tmp_path)  # the new text stops after a byte
    assert result.returncode == 1 and "File too large" in result.stderr, result.stderr
    assert (tmp_path / "kept.yaml").read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.yaml"]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_certificate_that_is_a_device_is_refused(tmp_path):
    repo = tmp_path / "repo"
    (repo / "web").mkdir(parents=True)
    (repo / ".copier-answers.yml").write_text("_src_path: gh:example/template\nsealed_secrets_cert: /dev/zero\n")
    (repo / ".copier-answers.app-web.yml").write_text("_src_path: gh:example/template\napp_name: web\n")
    # A process of its own: were the device read, it would fill that process's memory.
    result = cookbook_process("seal", "web", "db", "--repo", str(repo), "--from-literal", "password=x")
    assert result.returncode == 1 and "sealed_secrets_cert" in result.stderr and "/dev/zero" in result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    given = cookbook_process("seal", "web", "db", "--repo", str(repo), "--cert", "/dev/zero", "--from-literal", "password=x")
    assert given.returncode == 1 and "not a regular file" in given.stderr
