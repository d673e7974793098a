"""A `git` that stops a command at a chosen point of its run, so a test can kill it there.

An update runs git in the repository at every step (the migration's `git mv`s, copier's
snapshot of the index, its `git apply` of the user's changes), so "the Nth `git <sub>` in
the repository" names a point of the run exactly. A shell script named `git`, first on the
command's PATH, counts those calls; at the chosen one it tells the test through a FIFO and
blocks (on a FIFO nobody writes) until the test kills the process group. Every other call
goes to the real git. The test waits on the FIFO, never on a clock.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import threading
from pathlib import Path

_SCRIPT = """#!/bin/sh
# The subcommand: the first argument that is not one of git's own options (-C and -c take one).
sub=""
for arg in "$@"; do
  if [ -n "$skip" ]; then skip=""; continue; fi
  case "$arg" in
    -C|-c) skip=1 ;;
    -*) ;;
    *) sub="$arg"; break ;;
  esac
done
if [ "$sub" = {sub} ] && [ "$(pwd -P)" = {repo} ]; then
  echo x >> {count}
  if [ "$(wc -l < {count})" -eq {nth} ]; then
    echo paused > {events}
    exec cat {hold}
  fi
fi
exec {real_git} "$@"
"""


class PausingGit:
    """`env` runs a command whose `nth` call of `git <sub>` in `repo` stops; `wait` tells when."""

    def __init__(self, folder: Path, repo: Path, sub: str, nth: int):
        folder.mkdir(parents=True, exist_ok=True)
        real_git = shutil.which("git")
        assert real_git, "git is not on PATH"
        self._events = folder / "events"
        os.mkfifo(self._events)
        os.mkfifo(folder / "hold")
        (folder / "bin").mkdir()
        script = folder / "bin" / "git"
        script.write_text(_SCRIPT.format(
            sub=shlex.quote(sub), repo=shlex.quote(str(repo.resolve())), nth=int(nth),
            count=shlex.quote(str(folder / "count")), events=shlex.quote(str(self._events)),
            hold=shlex.quote(str(folder / "hold")), real_git=shlex.quote(real_git),
        ))
        script.chmod(0o755)
        self.env = {**os.environ, "PATH": f"{folder / 'bin'}{os.pathsep}{os.environ['PATH']}"}

    def wait(self, process: subprocess.Popen) -> bool:
        """Block until the command reaches the point (True) or ends before it (False)."""
        # Opened for reading and writing, the FIFO never blocks its writers' open: the script
        # and the watcher below each write one line, and the first line says what came first.
        self._fd = os.open(self._events, os.O_RDWR)
        self._watcher = threading.Thread(target=lambda: (process.wait(), os.write(self._fd, b"ended\n")))
        self._watcher.start()
        first = b""
        while not first.endswith(b"\n"):
            first += os.read(self._fd, 1)
        return first == b"paused\n"

    def close(self) -> None:
        """After the command has ended (killed or not)."""
        self._watcher.join()
        os.close(self._fd)
