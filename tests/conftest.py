"""Fixtures shared by the template tests."""

from __future__ import annotations

import gc
import os
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import settings

from flux_cookbook.update import scratch as update_scratch
from tests.support.template_repo import TemplateRepo, build_template_repo

# Fixture modules every test may use: the Sealed Secrets controller's key pair, the
# 1.0.0 repository a user lived in, a 1.0.0 repository as made.
pytest_plugins = ["tests.support.controller_keys", "tests.fixtures.lived_in_repo", "tests.fixtures.made_at_1_0_0"]


# copier commits in temporary repositories during updates: give git an identity even on a
# machine with no git configuration at all (CI).
for _var, _value in {"GIT_AUTHOR_NAME": "A User", "GIT_AUTHOR_EMAIL": "user@invalid",
                     "GIT_COMMITTER_NAME": "A User", "GIT_COMMITTER_EMAIL": "user@invalid"}.items():
    os.environ.setdefault(_var, _value)


def _temporary_files_in_memory() -> None:
    """pytest's tmp_path, copier's clones and every process the tests start write their
    temporary files to memory where the machine has room for them (update-all's own rule,
    flux_cookbook/update/scratch.py, with room for 3 GiB more: a run writes about 600 MB
    and pytest keeps the last three). On a disk the kernel's share of the suite doubles:
    each copier update checks the template out five times and deletes it again. A TMPDIR
    the user set is kept."""
    if os.environ.get("TMPDIR") or not (memory := update_scratch.in_memory(needed=3 << 30)):
        return
    os.environ["TMPDIR"] = str(memory)
    tempfile.tempdir = None  # tempfile's documented cache: the next gettempdir() reads TMPDIR


_temporary_files_in_memory()


def _fewer_garbage_collections() -> None:
    """A test worker lives for the whole run and keeps much alive (the CRDs' schemas,
    copier's and the checks' modules, hypothesis' examples): Python's cyclic collector
    walks all of it again every few thousand allocations. The imports done so far are
    set aside for good (`gc.freeze`), and the collector runs less often."""
    gc.freeze()
    gc.set_threshold(200_000, 50, 50)


_fewer_garbage_collections()
# No test reaches beyond this machine: chart values come from Helm repositories the tests
# serve on loopback, and the example app's fetch from the internet falls back at once.
os.environ["FLUX_COOKBOOK_OFFLINE"] = "1"

# Property tests try the same examples on every run (CI and by default), seeded from each
# test's own code, so a run fails only when the code changed. `HYPOTHESIS_PROFILE=explore`
# draws new random examples every run (and keeps failures in .hypothesis/ to retry first);
# a failure prints the example, and the blob for @reproduce_failure, to pin it.
# No example has a time limit (hypothesis' default deadline): a slow machine is no failure.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True, deadline=None)
settings.register_profile("explore", derandomize=False, print_blob=True, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`copier_runs`: the tests that run copier (every test outside tests/unit/, and any
    that builds the template repository). CI runs them a second time on a newer copier."""
    # Releases 3.0.0 and 3.0.1 refuse every copier but 9.19.x when copier renders them, as an
    # update from them does: their updates are tested on such a copier only (the README says so).
    old_releases_run = copier_version().startswith("9.19.")
    for item in items:
        if "unit" not in item.path.parts or "template" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.copier_runs)
        if item.get_closest_marker("from_release_3_0") and not old_releases_run:
            item.add_marker(pytest.mark.skip(reason=f"releases 3.0.x refuse copier {copier_version()}"))


def copier_version() -> str:
    from importlib.metadata import version

    return version("copier")


@pytest.fixture(scope="session", autouse=True)
def chart_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Downloaded charts go to a cache of this test run, not the user's."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session", autouse=True)
def copier_settings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """copier's settings of this test run (none of the user's): an empty trust list that
    the `template` fixture adds the tests' template to, as a user trusts theirs."""
    path = tmp_path_factory.mktemp("copier") / "settings.yml"
    path.write_text("trust: []\n")
    os.environ["COPIER_SETTINGS_PATH"] = str(path)
    return path


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory, copier_settings: Path) -> TemplateRepo:
    """The template repository with its releases tagged; its newest tag is the working tree.
    copier's settings trust it, so the commands run its tasks and migrations."""
    built = build_template_repo(tmp_path_factory.mktemp("template") / "repo")
    copier_settings.write_text(yaml.safe_dump({"trust": [str(built.path)]}))
    return built


@pytest.fixture(scope="session")
def whole_template(template: TemplateRepo, copier_settings: Path, tmp_path_factory: pytest.TempPathFactory) -> TemplateRepo:
    """The template repository as it is published, each release with all its files (the
    tests, the command: what pre-commit installs the hook from); `template`'s releases
    hold only the files copier reads. Trusted too."""
    built = build_template_repo(tmp_path_factory.mktemp("whole-template") / "repo", whole=True)
    trusted = yaml.safe_load(copier_settings.read_text())["trust"]
    copier_settings.write_text(yaml.safe_dump({"trust": [*trusted, str(built.path)]}))
    return built
