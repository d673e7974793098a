"""One module per `flux-cookbook` subcommand.

Each module has `NAME`, `register(subparsers)` (adds its parser, with `--help` text and an
example, and `set_defaults(run=run)`) and `run(args) -> int` (0 done, 1 refused or problems
found). The work itself lives in the modules beside this package; these only parse and print.
"""
