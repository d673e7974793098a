"""A repository brought to the working tree's release by update-all, and what it must then be."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from flux_cookbook.check import run as check
from flux_cookbook.extensions import layout
from flux_cookbook.repository import flux_build
from tests.support.flux_schema import validate_repo
from tests.support.project import AUTHOR, CRDS, cookbook_cli, copier_cli, files
from tests.support.template_repo import git

CURRENT = [CRDS / "current", CRDS / "sealed-secrets"]


def update_all(repo: Path, template) -> subprocess.CompletedProcess:
    result = cookbook_cli("update-all", str(repo), "--vcs-ref", template.current)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def assert_current_and_valid(repo: Path) -> None:
    assert not [f for f in files(repo) if "<<<<<<<" in (repo / f).read_text(errors="replace")]
    assert git(repo, "status", "--porcelain") == ""
    assert validate_repo(repo, CURRENT) == []
    lint = subprocess.run([sys.executable, "-m", "yamllint", "."], cwd=repo, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    builds = flux_build.build_all(repo)
    assert builds and all(build.ok for build in builds), [(b.path, b.error) for b in builds if not b.ok]
    # `flux-cookbook check` finds no error (warnings, such as health checks it cannot verify
    # offline, are allowed).
    assert [str(p) for p in check.check_repository(repo).problems if p.severity == check.ERROR] == []


def plain_copier(repo: Path, vcs_ref: str) -> tuple[int, str]:
    """`copier update` of each answers file in turn, committed, as the README says; stops at conflicts."""
    said = ""
    for name in layout.answers_files(repo):
        result = copier_cli("update", "--trust", "--defaults", "--vcs-ref", vcs_ref, "-a", name, cwd=repo)
        said += result.stdout + result.stderr
        assert result.returncode == 0, said
        if git(repo, "ls-files", "-u"):
            return 1, said + "left conflicts"
        git(repo, "add", "-A")
        if git(repo, "status", "--porcelain"):
            reached = yaml.safe_load((repo / name).read_text())["_commit"]
            what = f"app {layout.app_of_answers_file(name)}" if layout.app_of_answers_file(name) else "cluster"
            git(repo, *AUTHOR, "commit", "-q", "-m", f"Update {what} to template {reached}")
    return 0, said


def history(repo: Path) -> list[tuple[str, str]]:
    """(subject, tree) of every commit: the same changes in the same order."""
    return [tuple(line.split(" ", 1)[::-1]) for line in git(repo, "log", "--format=%T %s").splitlines()]
