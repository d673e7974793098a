"""Where an update-all run keeps its throwaway files: its clone of the template, copier's
clones of that (three to five checkouts per update, each deleted again), copier's renders,
and the apps' worktrees.

In memory (`/dev/shm`, a tmpfs on Linux) where the machine has room for them, else in the
system's temporary folder. Writing and deleting those thousands of small files is much of
what an update costs on a disk: at 30 apps from 1.0.0, a run took 26 s with them in memory
against 35 s with them on this project's machine's disk (docs/benchmarks.md). A TMPDIR the
user set is kept, wherever it points. The folder is the run's own (`tempfile.mkdtemp`) and
removed at its end; a run killed outright has it removed by the next (interruption.py).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

SHARED_MEMORY = Path("/dev/shm")
# What stays free in memory whatever the run takes: a machine whose /dev/shm is small
# (a container's is 64 MB by default) keeps the files on its disk.
ROOM = 1 << 30
# Per worker: copier's clones and renders alive at once (a few MB), over the worktree.
PER_WORKER = 64 << 20


def in_memory(needed: int, shm: Path = SHARED_MEMORY, meminfo: Path = Path("/proc/meminfo"),
              cgroup: Path = Path("/sys/fs/cgroup")) -> Path | None:
    """`shm` when it is a writable folder in memory with `needed` bytes free beyond ROOM,
    and the machine (or the container's memory limit) has as much memory available; else
    None. A mount that refuses to run programs (noexec) is not used: the worktrees are the
    user's repository, whose hooks or scripts may be run from there."""
    try:
        if not (shm.is_dir() and os.access(shm, os.W_OK | os.X_OK)):
            return None
        stats = os.statvfs(shm)
    except OSError:
        return None
    if stats.f_flag & os.ST_NOEXEC or stats.f_bavail * stats.f_frsize < ROOM + needed:
        return None
    available = memory_available(meminfo, cgroup)
    return None if available is not None and available < ROOM + needed else shm


def memory_available(meminfo: Path, cgroup: Path) -> int | None:
    """Bytes of memory this process may still take: the kernel's MemAvailable, or less
    where its cgroup (a container) is limited (cgroup v2's memory.max less memory.current);
    None when neither can be read. Files in /dev/shm are memory, charged to that limit,
    which /dev/shm's own size does not show."""
    found = []
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = (cgroup / "memory.max").read_text().strip()
        if limit != "max":
            found.append(int(limit) - int((cgroup / "memory.current").read_text()))
    except (OSError, ValueError):
        pass
    return min(found) if found else None


def checkout_bytes(repo: Path) -> int:
    """The size of HEAD's files: what each worktree of the repository holds."""
    listing = subprocess.run(["git", "ls-tree", "-r", "-l", "--full-tree", "HEAD"], cwd=repo,
                             capture_output=True, text=True, errors="replace", check=False).stdout
    # "<mode> <type> <object> <size>\t<path>"; a submodule's size is "-".
    return sum(int(size) for size in (line.split("\t", 1)[0].split()[-1] for line in listing.splitlines())
               if size.isdigit())


def folder(repo: Path, workers: int, prefix: str, environ: Mapping[str, str] = os.environ,
           shm: Path = SHARED_MEMORY) -> Path:
    """A new folder of the run's own: in memory where there is room for `workers`
    worktrees of `repo` and their copier runs, unless TMPDIR is set."""
    where = None
    if not environ.get("TMPDIR"):  # Python ignores an empty one too
        where = in_memory(workers * (checkout_bytes(repo) + PER_WORKER), shm)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=where))
