"""A write that fails for real, in a process of its own: past `limit_file_sizes()` no file
it writes can grow beyond one byte (RLIMIT_FSIZE), so a write fails with EFBIG as on a
full disk. Unlike a read-only folder, that stops root too; nothing is patched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .template_repo import PROJECT_ROOT

_PRELUDE = """\
import resource, signal


def limit_file_sizes(limit=1):
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails, the process goes on
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


"""


def run_with_file_size_limit(code: str, *paths: Path) -> subprocess.CompletedProcess:
    """Run `code` (which calls `limit_file_sizes()` where the writes should start failing)
    with the paths as sys.argv[1:]."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-c", _PRELUDE + code, *map(str, paths)],
                          env=env, capture_output=True, text=True, check=False)
