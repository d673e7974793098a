"""Fixtures shared by the template tests."""

from __future__ import annotations

import os

import pytest

from tests.support.template_repo import TemplateRepo, build_template_repo


# copier commits in temporary repositories during updates: give git an identity even on a
# machine with no git configuration at all (CI).
for _var, _value in {"GIT_AUTHOR_NAME": "A User", "GIT_AUTHOR_EMAIL": "user@invalid",
                     "GIT_COMMITTER_NAME": "A User", "GIT_COMMITTER_EMAIL": "user@invalid"}.items():
    os.environ.setdefault(_var, _value)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> TemplateRepo:
    """The template repository with its releases tagged; its newest tag is the working tree."""
    return build_template_repo(tmp_path_factory.mktemp("template") / "repo")
