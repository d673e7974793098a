"""The README promises what CI runs, and it and docs/ link to files that exist (its command
table: tests/test_cli.py)."""

from __future__ import annotations

import re

import pytest

from tests.support.template_repo import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
DOCS = sorted((PROJECT_ROOT / "docs").glob("*.md"))


def readme_commands() -> list[str]:
    """The command lines of the README's "Two commands" block, comments left out."""
    block = re.search(r"^## Two commands\n.*?```sh\n(.*?)```", README.read_text(), re.MULTILINE | re.DOTALL)
    assert block, "README.md has no sh block under '## Two commands'"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_ci_runs_exactly_the_readmes_test_command():
    commands = readme_commands()
    assert len(commands) == 2, commands
    ci_lines = [line for line in (PROJECT_ROOT / ".ci/run").read_text().splitlines() if line and not line.startswith(("#", "set ", "cd "))]
    assert ci_lines == [commands[1]]
    # It ends with the copier-running tests on a newer copier (tests/unit/test_copier_floor.py).
    assert commands[1].endswith("&& bash .ci/on-newer-copier")


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda page: page.relative_to(PROJECT_ROOT).as_posix())
def test_relative_links_name_files_that_exist(page):
    targets = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text())
    missing = [target for target in targets if not (page.parent / target).exists()]
    assert missing == []
