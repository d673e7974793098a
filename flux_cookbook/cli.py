"""`flux-cookbook`: the entry point. Exit codes: 0 done, 1 refused or problems found, 2 usage
(argparse's errors, and UsageError), 130 interrupted (Ctrl-C: one line, no traceback, as a
shell reports SIGINT)."""

from __future__ import annotations

import argparse
import importlib
import sys

from flux_cookbook.errors import UsageError, UserError
from flux_cookbook.extensions import repo_files
from flux_cookbook.version import VERSION

# Subcommand modules in flux_cookbook/commands/, in the order --help lists them.
COMMANDS = ("new", "add", "update_all", "adopt", "check", "seal", "values")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="flux-cookbook",
        description="Flux cluster repositories in the Geek Cookbook layout: make them, add apps, "
        "adopt hand-made ones, keep them current, check them, seal secrets.",
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    subparsers = top.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f".commands.{name}", __package__).register(subparsers)
    return top


INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
        return args.run(args)
    except (UserError, repo_files.OutsideRepository, repo_files.NotReadable) as error:
        print(f"flux-cookbook: {error}", file=sys.stderr)
        return 2 if isinstance(error, UsageError) else 1
    except KeyboardInterrupt:
        print("\nflux-cookbook: interrupted", file=sys.stderr)
        return INTERRUPTED
