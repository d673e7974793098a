"""Adopt a Flux repository built by hand from the Geek Cookbook, so copier can update it.

Writes the answers files release 1.0.0 of this template would have written for the
repository, and moves (git mv) each recognised object to the file name the template
uses; `copier update` then brings the repository to the newest release, keeping its values.
The logic lives in extensions/adopt.py.

Usage: python3 scripts/adopt.py [REPO] [--template SRC] [--dry-run]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# The template root, so that `extensions` imports as a package from any working directory.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extensions.adopt import RELEASE, TEMPLATE_ROOT, adopt  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="adopt.py",
        description=(
            "Adopt a hand-made Flux cookbook repository: write the template's answers files, pinned to "
            f"release {RELEASE}, so that `copier update` brings it to the newest release."
        ),
    )
    parser.add_argument("repo", nargs="?", default=".", help="the repository's root (default: the current folder)")
    parser.add_argument(
        "--template", default=str(TEMPLATE_ROOT),
        help="template source recorded as _src_path: a path or git URL (default: %(default)s)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the answers and moves; change nothing")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    return adopt(Path(args.repo).resolve(), args.template, args.dry_run, out=sys.stdout, err=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
