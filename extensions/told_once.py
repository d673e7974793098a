"""Notes printed once per process, however many copies of the template's code run in it.

copier loads each release's extensions as a package of its own (jinja_entry.py), and
`copier update` renders an app three times (the old release once, the new one twice), so a
note kept in one module's own set was printed once for each release an update renders,
and again by a migration's or a test's own copy of the code. The set of notes already printed lives instead in one module object that
every checkout's code finds under the same name in `sys.modules`.
"""

from __future__ import annotations

import sys
import types

SHARED_NAME = "flux_cookbook_told_once"  # no importable module has this name


def tell_once(key: object, message: str) -> None:
    """Print `message` to stderr unless a note with the same `key` was printed already."""
    shared = sys.modules.setdefault(SHARED_NAME, types.ModuleType(SHARED_NAME))
    told: set = shared.__dict__.setdefault("keys", set())
    if key not in told:
        told.add(key)
        print(message, file=sys.stderr)
