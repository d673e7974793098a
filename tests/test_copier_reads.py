"""The tests' template holds only the files copier reads (tests/support/template_repo.py),
as update-all's own clone does; a user's copier clones the whole repository. Both make and
update the same repository, byte for byte."""

from __future__ import annotations

from pathlib import Path

from flux_cookbook.extensions import layout
from tests.support.project import commit_all, copy, init_repo, tree_state, update
from tests.support.template_repo import TemplateRepo, git

START = "1.0.0"  # before every migration


def made_and_updated(template: TemplateRepo, dest: Path) -> dict[str, bytes]:
    """A cluster and an app of `START`, each answers file updated to the newest release in
    turn and committed; every file, the template's path spelt `<template>`."""
    repo = init_repo(copy(template.path, dest, vcs_ref=template.tag(START)))
    copy(template.path, repo, vcs_ref=template.tag(START), kind="app", app_name="web", chart="podinfo",
         chart_version="6.x", helm_repo_name="podinfo", helm_repo_url="https://stefanprodan.github.io/podinfo")
    commit_all(repo, "An app")
    for answers_file in layout.answers_files(repo):
        update(repo, answers_file, vcs_ref=template.current)
        commit_all(repo, f"Update {answers_file}")
    return {name: content.replace(str(template.path).encode(), b"<template>")
            for name, content in tree_state(repo)[2].items()}


def files_at(template: TemplateRepo, ref: str) -> set[str]:
    return set(git(template.path, "ls-tree", "-r", "--name-only", ref).splitlines())


def test_the_whole_repository_makes_and_updates_the_same_repository(template, whole_template, tmp_path):
    whole, slim = files_at(whole_template, template.current), files_at(template, template.current)
    assert slim < whole and any(name.startswith("tests/") for name in whole - slim)
    made = made_and_updated(template, tmp_path / "slim")
    assert any(name.startswith(".copier-answers.app-") for name in made)
    assert made_and_updated(whole_template, tmp_path / "whole") == made
