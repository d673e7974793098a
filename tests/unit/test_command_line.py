"""The command line: the repository is given the same way by every command that takes it
as an option (`-C DIR` or `--repo DIR`, as git's `-C`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flux_cookbook import cli


@pytest.mark.parametrize("argv", [
    ["add", "web"],
    ["seal", "web", "db"],
    ["values", "refresh", "web"],
])
def test_a_command_that_takes_the_repository_as_an_option_takes_c_and_repo(argv):
    command = argv[0]
    for option in ("-C", "--repo"):
        parsed = cli.parser(command).parse_args([*argv, option, "../cluster"])
        assert Path(parsed.repo) == Path("../cluster"), option
