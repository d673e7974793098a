import sys

try:
    from flux_cookbook.cli import main
except KeyboardInterrupt:  # Ctrl-C while the command is still loading: one line, as cli.main says it
    print("\nflux-cookbook: interrupted", file=sys.stderr)
    sys.exit(130)  # cli.INTERRUPTED, not importable here

sys.exit(main())
