"""`flux-cookbook`: the entry point. Exit codes: 0 done, 1 refused or problems found, 2 usage
(argparse's errors, and UsageError), 130 and 143 stopped by SIGINT (Ctrl-C) and SIGTERM:
one line, no traceback, as a shell reports a signal (stops.py); 141 when the reader of
its output went away (`| head`), quietly."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys

from flux_cookbook import stops
from flux_cookbook.commands import SUMMARIES
from flux_cookbook.errors import UsageError, UserError
from flux_cookbook.extensions import repo_files
from flux_cookbook.version import VERSION


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, with `command`'s own parser (its options, --help and run);
    every other command is only its line of --help, its module left unimported."""
    top = argparse.ArgumentParser(
        prog="flux-cookbook",
        description="Flux cluster repositories in the Geek Cookbook layout: make them, add apps, "
        "adopt hand-made ones, keep them current, check them, seal secrets.",
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    subparsers = top.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name, (module, summary) in SUMMARIES.items():
        if name == command:
            importlib.import_module(f".commands.{module}", __package__).register(subparsers)
        else:
            subparsers.add_parser(name, help=summary)
    return top


def command_named(argv: list[str]) -> str | None:
    """The subcommand argv runs: its first word that is not an option (the top level has no
    option that takes a value)."""
    return next((word for word in argv if not word.startswith("-")), None)


INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    try:
        argv = sys.argv[1:] if argv is None else argv
        args = parser(command_named(argv)).parse_args(argv)
        with stops.signals_raise():
            return args.run(args)
    except (UserError, repo_files.OutsideRepository, repo_files.NotReadable) as error:
        print(f"flux-cookbook: {error}", file=sys.stderr)
        return 2 if isinstance(error, UsageError) else 1
    except KeyboardInterrupt:  # Ctrl-C before the command ran
        print("\nflux-cookbook: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`check --format json | head -1`): the rest is not wanted.
        # Python writes out stdout again at exit, which would fail the same way: it goes to
        # devnull (the recipe of Python's signal docs). Exit as a shell reports SIGPIPE.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except OSError as error:
        # The machine refused a read or write (a full disk, a quota, a read-only folder, a
        # file size limit): said in one line, as any refusal (each file is written whole).
        where = f" ({error.filename})" if error.filename else ""
        print(f"flux-cookbook: {error.strerror or error}{where}; the command stopped there.", file=sys.stderr)
        return 1
    except stops.Interrupted as stop:
        said = "" if stop.signum == signal.SIGINT else f" by {signal.Signals(stop.signum).name}"
        print(f"\nflux-cookbook: interrupted{said}", file=sys.stderr)
        return 128 + stop.signum
