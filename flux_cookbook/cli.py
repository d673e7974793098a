"""`flux-cookbook`: the entry point. Exit codes: 0 done, 1 refused or problems found, 2 usage
(argparse's errors, and UsageError)."""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import UsageError, UserError
from .version import VERSION

# Subcommand modules in flux_cookbook/commands/, in the order --help lists them.
COMMANDS = ("new", "add", "update_all", "adopt", "check", "seal")


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


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except UserError as error:
        print(f"flux-cookbook: {error}", file=sys.stderr)
        return 2 if isinstance(error, UsageError) else 1
    except KeyboardInterrupt:
        print("flux-cookbook: interrupted", file=sys.stderr)
        return 1
