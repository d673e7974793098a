"""Files put back as they were when a command that writes several of them does not finish.

`seal` writes the SealedSecret, then the app's answers and Kustomization (dependsOn), then
a kustomization file listing the new file: stopped half-way (a signal, a full disk), the
repository would hold a SealedSecret no Kustomization waits for or lists. Within
`put_back_unless_done`, an exception (Interrupted included) puts every file named back
as it was, or removes it where it was not there, before it goes on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from flux_cookbook import stops
from flux_cookbook.extensions import repo_files
from flux_cookbook.repository.model import is_kustomize_config


def kustomize_config_files(repo: Path) -> list[str]:
    """The repository's kustomization files: where a new file may be listed."""
    return [name for name in repo_files.listed_files(repo) if is_kustomize_config(name)]


@contextlib.contextmanager
def put_back_unless_done(repo: Path, paths: Iterable[str]) -> Iterator[None]:
    before: dict[str, bytes | None] = {}
    for path in paths:
        before[path] = repo_files.read_bytes(repo, path) if repo_files.inside(repo, path).is_file() else None
    try:
        yield
    except BaseException:
        with stops.signals_deferred():  # a second Ctrl-C waits for the files to be back
            for path, data in before.items():
                now = repo_files.read_bytes(repo, path) if repo_files.inside(repo, path).is_file() else None
                if now == data:
                    continue
                if data is None:
                    repo_files.remove(repo, [path])
                else:
                    repo_files.write_bytes(repo, path, data)
        raise
