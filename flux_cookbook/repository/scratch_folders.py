"""The throwaway folders of the commands that read a repository: check's builds (the
artifact Flux would fetch), its `--base` and `--staged` worktrees, adopt's clone of the
template.

Each is removed when its command ends, stopped by a signal too. A run killed outright
(SIGKILL, a CI job's hard timeout, the OOM killer) cannot remove it, and on a runner that
lives on those would pile up, megabytes each. So each folder's name holds its process's
id, and every new one first removes those of its kind whose process is gone (and that
belong to this user). update-all keeps its own record (update/interruption.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def make(prefix: str) -> Path:
    """A new folder `<prefix><pid>-<random>` in the system's temporary folder, once the
    ones of `prefix` left by runs killed outright are gone. The caller removes it."""
    _remove_left(prefix)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))


@contextlib.contextmanager
def folder(prefix: str) -> Iterator[Path]:
    """`make`'s folder, removed when the block ends."""
    made = make(prefix)
    try:
        yield made
    finally:
        shutil.rmtree(made, ignore_errors=True)


def _remove_left(prefix: str) -> None:
    for path in Path(tempfile.gettempdir()).glob(f"{prefix}*-*"):
        pid = path.name[len(prefix):].partition("-")[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        try:
            if path.is_dir() and not path.is_symlink() and path.stat().st_uid == os.getuid():
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue  # gone meanwhile (another run removed it), or not ours to read


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's
    return True
