"""One module per `flux-cookbook` subcommand.

Each module has `NAME`, `register(subparsers)` (adds its parser, with `--help` text and an
example, and `set_defaults(run=run)`) and `run(args) -> int` (0 done, 1 refused or problems
found). The work itself lives in the modules beside this package; these only parse and print.

SUMMARIES is each command's one line of `flux-cookbook --help`, in the order it lists them,
with the module that holds it: the command line imports only the module of the command it
runs, so that a command starts without loading every other one's capability.
"""

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
