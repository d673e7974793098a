"""Go's txtar format (golang.org/x/tools/txtar): many small text files in one.

A comment, then each file as a line `-- path --` followed by its lines. A test tree of a
hundred files kept as one file is one file for every clone of this repository to check
out: copier clones the whole template repository, this test data included, for every
copy and update, and writing each file and folder is most of a clone's time.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

MARKER = re.compile(r"^-- (.+) --$")


def read(text: str) -> dict[str, str]:
    """path -> content of each file in `text`, in order; a file's content ends with a newline."""
    files: dict[str, list[str]] = {}
    current: list[str] | None = None  # the lines of the file being read; None before the first
    for line in text.splitlines(keepends=True):
        if match := MARKER.match(line.rstrip("\n")):
            current = files.setdefault(match.group(1), [])
        elif current is not None:
            current.append(line)
    return {path: "".join(lines) for path, lines in files.items()}


def write(files: dict[str, str], comment: str = "") -> str:
    """The archive of `files` (each content given a final newline if it lacks one)."""
    parts = [comment if not comment or comment.endswith("\n") else comment + "\n"]
    for path, content in files.items():
        parts.append(f"-- {path} --\n")
        parts.append(content if not content or content.endswith("\n") else content + "\n")
    return "".join(parts)


def extract(archive: Path, dest: Path) -> list[Path]:
    """Write each file of `archive` under `dest`; a path that would leave it is refused."""
    files = read(archive.read_text(encoding="utf-8"))
    for name in files:
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"{archive}: {name!r} is outside the folder it is extracted into")
    written = []
    for name, content in files.items():
        target = dest.joinpath(*PurePosixPath(name).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        written.append(target)
    return written
