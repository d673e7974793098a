"""One module per `flux-cookbook` subcommand.

Each module has `NAME`, `register(subparsers)` (adds its parser, with `--help` text and an
example, and `set_defaults(run=run)`) and `run(args) -> int` (0 done, 1 refused or problems
found). The work itself lives in the modules beside this package; these only parse and print.

SUMMARIES is each command's one line of `flux-cookbook --help`, in the order it lists them,
with the module that holds it: the command line imports only the module of the command it
runs, so that a command starts without loading every other one's capability. The options
several commands share are here too, worded once, so that no command imports another.
"""

import argparse

# name -> (module in this package, the line --help shows)
SUMMARIES = {
    "new": ("new", "make a new cluster repository"),
    "add": ("add", "add an app to a cluster repository"),
    "update-all": ("update_all", "update the cluster and every app to the newest release, one commit each"),
    "adopt": ("adopt", "adopt a hand-made cookbook repository so that it can be updated"),
    "check": ("check", "check a cluster repository offline: YAML, schemas, builds, references, conventions, values"),
    "seal": ("seal", "seal secret values into an app's SealedSecret file"),
    "values": ("values", "compare each app's chart values with the chart, and refresh them"),
}


def add_template_options(parser: argparse.ArgumentParser, into_cluster: bool = False) -> None:
    """copier's options; `into_cluster`: the defaults are what the cluster's answers record."""
    parser.add_argument("-d", "--data", action="append", metavar="KEY=VALUE", help="an answer, as copier's -d")
    parser.add_argument("--defaults", action="store_true", help="take the default of every answer not given with -d")
    parser.add_argument("--template", help="template source, a git URL or a local clone (default: " + (
        "the one the cluster's answers record)" if into_cluster else "where flux-cookbook was installed from)"))
    parser.add_argument("--vcs-ref", help="template release to use (default: " + (
        "the release the cluster's answers record)" if into_cluster else "the newest tag)"))
    add_trust_option(parser)


def add_trust_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust", action="store_true",
        help="run the template's tasks and migrations although it is neither where flux-cookbook was "
        "installed from nor in copier's trust list (see docs/unattended.md: what --trust lets the template run)",
    )
