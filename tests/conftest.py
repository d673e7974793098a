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
# No test reaches beyond this machine: chart values come from Helm repositories the tests
# serve on loopback, and the example app's fetch from the internet falls back at once.
os.environ["FLUX_COOKBOOK_OFFLINE"] = "1"


@pytest.fixture(scope="session", autouse=True)
def chart_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Downloaded charts go to a cache of this test run, not the user's."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> TemplateRepo:
    """The template repository with its releases tagged; its newest tag is the working tree."""
    return build_template_repo(tmp_path_factory.mktemp("template") / "repo")
