"""The options several commands share, each worded once: new and add take the template
options, update-all only --trust. A module of its own, so that a command imports no other
command's module (and what that one imports) for them."""

from __future__ import annotations

import argparse


def add_template_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-d", "--data", action="append", metavar="KEY=VALUE", help="an answer, as copier's -d")
    parser.add_argument("--defaults", action="store_true", help="take the default of every answer not given with -d")
    parser.add_argument("--template", help="template source, a git URL or a local clone (default: where flux-cookbook was installed from)")
    parser.add_argument("--vcs-ref", help="template release to use (default: the newest tag)")
    add_trust_option(parser)


def add_trust_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust", action="store_true",
        help="run the template's tasks and migrations although it is neither where flux-cookbook was "
        "installed from nor in copier's trust list (see docs/unattended.md: what --trust lets the template run)",
    )
