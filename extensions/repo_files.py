"""The repository is the limit of every read and write.

A repository can hold symbolic links, and someone else may have committed them: a
HelmRelease that is a link to `~/.kube/config`, a Kustomization that is a link into
another checkout. Following one, a migration would rewrite a file outside the repository
and a check would read one (and print parts of it in its messages). So:

- `links_leaving(repo)` lists the links (tracked or not) that resolve outside the
  repository or into its .git folder, and `require_inside(repo)` refuses such a repository, naming each link;
  every command that reads or writes a repository calls it first;
- `inside(repo, path)` is the path, refused if it resolves outside the repository;
- `read_bytes` / `read_text` read a regular file inside the repository, at most
  `MAX_FILE_BYTES` (a device such as /dev/zero or a huge file is refused, not read);
- `write_text` / `write_bytes` write a file inside the repository atomically: a
  temporary file in the same folder, renamed over the target, so an interrupted run
  leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import tempfile
from pathlib import Path

MAX_FILE_BYTES = 16 * 1024 * 1024


class OutsideRepository(PermissionError):
    """A path, or a link on the way to it, that leads outside the repository."""


class NotReadable(OSError):
    """Not a regular file, or over MAX_FILE_BYTES."""


def walk(top: str | Path):
    """os.walk(top) top-down (each folder's sub-folders and files sorted; a link to a folder
    listed among the folders, not followed; pruning the folders list skips them), without
    recursion: os.walk recurses once per folder level before Python 3.12, and a hostile
    tree 1,000 folders deep made it raise RecursionError."""
    pending = [os.fspath(top)]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # as os.walk: a folder that cannot be listed is passed over
        folders, files = [], []
        for entry in entries:
            try:
                is_folder = entry.is_dir()
            except OSError:
                is_folder = False
            (folders if is_folder else files).append(entry.name)
        folders.sort()
        files.sort()
        yield folder, folders, files
        pending.extend(os.path.join(folder, name) for name in reversed(folders)
                       if not os.path.islink(os.path.join(folder, name)))


def _leaves(root: Path, path: Path) -> bool:
    """Outside `root`, or into a .git folder in it: git's own files (a remote's URL with
    its token, hooks) are no part of the repository, and Flux's artifact leaves .git out,
    so there such a link leads nowhere."""
    # realpath, not Path.resolve: a link that loops resolves as far as it goes instead of
    # raising (it leads nowhere, so not out; reading it then fails as any unreadable file).
    real = Path(os.path.realpath(path))
    return not real.is_relative_to(root) or ".git" in real.relative_to(root).parts


def inside(repo: Path, path: str | Path) -> Path:
    """`repo / path`, refused (OutsideRepository) if it or a link on the way leads outside."""
    base = Path(os.path.abspath(repo))
    target = Path(os.path.normpath(base / path))
    if not target.is_relative_to(base):
        raise OutsideRepository(f"{path} is outside the repository {base}: refused")
    root, step = base.resolve(), base
    for part in target.relative_to(base).parts:
        step = step / part
        if step.is_symlink() and _leaves(root, step):
            raise OutsideRepository(
                f"{step.relative_to(base)} is a symbolic link to {os.readlink(step)}, outside the repository "
                "(or into its .git folder): "
                "refused (replace the link with the file itself)"
            )
    return target


def followed(repo: Path, path: str) -> str:
    """The repository path of the file `path` names: where a link inside the repository
    (inside() refuses one that leaves it) points, so that a step rewriting the file writes
    what the user reads through the link and leaves the link a link; `path` itself when
    it is no link."""
    target = inside(repo, path)
    if not target.is_symlink():
        return str(path)
    return Path(os.path.relpath(target.resolve(), Path(repo).resolve())).as_posix()


def listed_files(root: Path) -> list[str]:
    """What git would commit under `root` (tracked files still there, and new ones it does
    not ignore), paths relative to it; where git lists nothing (no work tree, no git, or a
    folder the repository around it ignores), every file and link but .git's."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root, capture_output=True, text=True, check=False,
        )
    except FileNotFoundError:  # no git on this machine: every file counts
        listed = subprocess.CompletedProcess([], 1)
    if listed.returncode == 0 and (names := [name for name in listed.stdout.split("\0") if name]):
        return [name for name in names if os.path.lexists(os.path.join(root, name))]
    found = []
    for folder, dirs, names in walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        found += [os.path.relpath(os.path.join(folder, n), root) for n in names]
        found += [os.path.relpath(os.path.join(folder, d), root) for d in dirs if os.path.islink(os.path.join(folder, d))]
    return found


def _listed_links(root: Path) -> list[str]:
    return [name for name in listed_files(root) if (root / name).is_symlink()]


def links_leaving(repo: Path) -> list[str]:
    """Every symbolic link in the repository (tracked or not) that resolves outside it."""
    root = Path(repo).resolve()
    return sorted(name for name in _listed_links(root) if _leaves(root, root / name))


def require_inside(repo: Path) -> None:
    """Refuse a repository holding a link out of it, naming each link."""
    root = Path(repo).resolve()
    if leaving := links_leaving(root):
        shown = "\n  ".join(f"{name} -> {os.readlink(root / name)}" for name in leaving)
        raise OutsideRepository(
            f"{root} holds symbolic links that lead outside it (or into its .git folder); refused, nothing was read or written "
            f"through them:\n  {shown}\nReplace each link with the file it points to (or remove it)."
        )


def read_bytes(repo: Path, path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file inside the repository, at most `limit` of them."""
    target = inside(repo, path)
    # Non-blocking: opening a FIFO to read would wait for a writer that never comes; it is
    # then refused as no regular file (for a regular file the flag changes nothing).
    descriptor = os.open(target, os.O_RDONLY | os.O_NONBLOCK)
    try:
        # Checked before open() takes the descriptor: open() refuses a folder's without
        # closing it (IsADirectoryError, raised here as it was there).
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
        if not stat.S_ISREG(mode):
            raise NotReadable(f"{path} is not a regular file: refused")
        with open(descriptor, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise NotReadable(f"{path} is over {limit:,} bytes: refused")
    return data


def read_text(repo: Path, path: str | Path, limit: int = MAX_FILE_BYTES) -> str:
    return read_bytes(repo, path, limit).decode("utf-8")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def replace_whole(target: Path, data: bytes) -> None:
    """Write `data` to `target` whole or not at all: a temporary file in the same folder,
    renamed over it, so a reader (or a run cut short) sees the old file or the new one.
    Keeps the file's mode; a new one gets what the umask gives (mkstemp's is 0600). Raises
    OSError, leaving no temporary file. No check of where `target` is: `write_bytes` is the
    one for files of the repository."""
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666 & ~_umask()
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_bytes(repo: Path, path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` inside the repository, atomically (see the module docstring)."""
    target = inside(repo, path)
    replace_whole(target, data)
    return target


def write_text(repo: Path, path: str | Path, text: str) -> Path:
    """Write `text` (UTF-8, line ends as given) to `path` inside the repository, atomically."""
    return write_bytes(repo, path, text.encode("utf-8"))


def remove(repo: Path, paths) -> None:
    """Remove each of `paths` (files inside the repository), and the folders that leaves
    empty: what a run that was stopped had written."""
    root = Path(os.path.abspath(repo))
    for path in sorted(paths, reverse=True):
        target = inside(root, path)
        if target.is_file() or target.is_symlink():
            target.unlink()
        folder = target.parent
        while folder != root and folder.is_relative_to(root) and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
