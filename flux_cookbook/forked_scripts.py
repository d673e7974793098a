"""A template's Python script run in a fork of this process instead of a new interpreter.

`flux-cookbook update-all` runs copier for every answers file, and copier runs the
template's migrations (`python <checkout>/extensions/migrations/run.py <stage> ...`) twice
per update; a new interpreter spends most of such a run importing. bulk_update hands
copier a `ForkedTemplateScripts` as its `subprocess` module while the template checkouts
are shared (see its docstring, part 4), and this module does the running:

- the child forgets the modules of this package and any loaded from a template checkout
  (copier's render loaded those here), so the script imports its checkout's own code
  under the same names, as a new interpreter would;
- it takes copier's environment, working directory and argv and this process's standard
  streams, runs the script with `runpy` as `__main__`, and exits with its status;
- the first run of a script reports which of its checkout's modules it imported; they
  are then imported aside here once (`import_aside`: under the script's sys.path, and
  out of sys.modules again right after, this process's own modules put back), and every
  later fork starts with them imported. So a template module must not change another
  library's global state when it is imported (none does: the YAML dumpers and loaders it
  registers on are its own subclasses).

Only on Linux (CAN_FORK_SCRIPTS); anything that is not a Python script of a checkout run
with this interpreter, as a plain argument list, goes to the real `subprocess.run`.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import runpy
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

# What the migrations import besides the standard library and their own code: imported once
# in this process so that every forked run has them (a missing one is simply left out).
SCRIPT_LIBRARIES = ("yaml", "ruamel.yaml", "packaging.version", "jinja2")
# The names this package's modules have; a template script imports its checkout's own.
OWN_PACKAGE = __name__.partition(".")[0]
# Forking a process that has loaded copier is safe where fork is the platform's own way of
# starting processes; macOS system libraries may abort a forked child, Windows has no fork.
CAN_FORK_SCRIPTS = hasattr(os, "fork") and sys.platform.startswith("linux")


class ForkedTemplateScripts:
    """What copier._main sees as `subprocess` while the checkouts are shared: `run` forks
    for a Python script below `checkouts` (the folder holding them); everything else is
    the real module."""

    def __init__(self, checkouts: Path) -> None:
        # Every file of a checkout starts with it (a string: compared for each module, each fork).
        self.prefix = os.path.join(str(checkouts), "")
        self.forked = 0  # scripts run in a fork
        # Per script: its checkout's modules, imported aside after its first run (import_aside).
        self.imported: dict[str, dict[str, Any]] = {}
        for name in SCRIPT_LIBRARIES:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    def is_template_script(self, args: Any, shell: bool) -> bool:
        return (
            CAN_FORK_SCRIPTS and not shell and isinstance(args, list) and len(args) >= 2
            and all(isinstance(arg, str) for arg in args)
            and args[0] == sys.executable and args[1].endswith(".py")
            and os.path.abspath(args[1]).startswith(self.prefix) and Path(args[1]).is_file()
        )

    def run(self, args: Any, *more: Any, shell: bool = False, check: bool = False,
            env: dict[str, str] | None = None, **options: Any) -> subprocess.CompletedProcess:
        if more or options or check or env is None or not self.is_template_script(args, shell):
            return subprocess.run(args, *more, shell=shell, check=check, env=env, **options)
        self.forked += 1
        script = args[1]
        code, learnt = run_script_forked(script, args[2:], env, self.prefix, self.imported.get(script))
        if learnt is not None:
            self.imported[script] = import_aside(*learnt, self.prefix)
        return subprocess.CompletedProcess(args, code)


def _not_for_scripts(name: str, module: Any, prefix: str) -> bool:
    """A module a new interpreter running a template script would not have: this package's
    (the script imports its checkout's under the same names), and any loaded from a file
    below `prefix`, the template checkouts (copier's render imported them here)."""
    if name == OWN_PACKAGE or name.startswith(OWN_PACKAGE + "."):
        return True
    where = getattr(module, "__file__", None)
    return isinstance(where, str) and where.startswith(prefix)


def run_script_forked(script: str, argv: list[str], env: dict[str, str], prefix: str,
                      modules: dict[str, Any] | None = None) -> tuple[int, tuple[list[str], list[str]] | None]:
    """`python script *argv` with `env`, in a fork of this process: its exit status, and,
    when `modules` is None, what it imported of its checkout's code (module names in import
    order, and its sys.path at the end) for import_aside. `modules` (import_aside's) go
    into the child's sys.modules, so the script finds its imports done. `prefix`: what the
    template checkouts' paths start with."""
    learn_from, learn_to = os.pipe() if modules is None else (-1, -1)
    # Found here, not in the child: each object the child touches is a page it copies.
    stale = [name for name, module in sys.modules.items() if _not_for_scripts(name, module, prefix)]
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()  # so that the child's garbage collections do not touch this process's objects
    pid = os.fork()
    if pid:
        gc.unfreeze()
        learnt = None
        if modules is None:
            os.close(learn_to)
            with os.fdopen(learn_from, "rb") as report:
                data = report.read()
            with contextlib.suppress(ValueError):
                names, path = json.loads(data)
                learnt = (names, path)
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), learnt
    code = 1
    try:  # the child: never returns
        if modules is None:
            os.close(learn_from)
        os.environ.clear()
        os.environ.update(env)
        for name in stale:
            del sys.modules[name]
        sys.modules.update(modules or {})
        sys.argv = [script, *argv]
        sys.path.insert(0, os.path.dirname(os.path.abspath(script)))  # as `python script` does
        runpy.run_path(script, run_name="__main__")
        code = 0
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            code = exit_.code or 0
        else:
            print(exit_.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - reported as the interpreter would, then exit 1
        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            if modules is None:
                names = [name for name, module in list(sys.modules.items())
                         if name != "__main__" and _not_for_scripts(name, module, prefix)]
                with os.fdopen(learn_to, "w") as report:
                    json.dump([names, list(sys.path)], report)
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code & 0xFF)


def import_aside(names: list[str], path: list[str], prefix: str) -> dict[str, Any]:
    """Import `names` (a checkout's modules, as a script's first forked run imported them,
    with its sys.path) here, and take them out of sys.modules again: this process keeps
    its own modules under those names, and each later fork of the script gets them already
    imported. A module that does not import here is left to the script ({} then)."""
    own = {name: module for name, module in sys.modules.items() if _not_for_scripts(name, module, prefix)}
    for name in own:
        del sys.modules[name]
    saved_path = sys.path[:]
    sys.path[:] = path
    imported = True
    try:
        for name in names:
            importlib.import_module(name)
    except Exception:  # noqa: BLE001 - the script imports it itself, as the first run did
        imported = False
    finally:
        aside = {name: module for name, module in sys.modules.items() if _not_for_scripts(name, module, prefix)}
        for name in aside:
            del sys.modules[name]
        sys.modules.update(own)
        sys.path[:] = saved_path
    return aside if imported else {}
