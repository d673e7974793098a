"""What a kustomization file would make kustomize read, checked before kustomize runs.

kustomize-controller builds with kustomize's load restrictions off (a kustomization may
name `../patches/p.yaml`), but on a file system confined to the source artifact
(fluxcd/pkg `kustomize/filesys/fs_secure.go`: every path is resolved, links included, and
refused outside the artifact's root). `kubectl kustomize` has no such confinement: with
restrictions off it reads any path it is given, and with them on it refuses the
`../patches/p.yaml` that Flux builds. So the builds keep restrictions off, as Flux does,
and this module refuses beforehand every kustomization (the built folder's, and every
base and component it reaches) that names a path outside the artifact, or a remote
resource (an HTTP or git URL, which kustomize would fetch: a build here never does; Flux
recommends `--no-remote-bases` too). The artifact holds no symbolic links (the archiver
leaves them out), so resolving a path is plain path arithmetic.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import yaml

from flux_cookbook.extensions import bounded_yaml, flux_names
from flux_cookbook.extensions.kustomize_listing import named_paths

# What kustomize fetches: a URL, git's scp-like `git@host:path`, or `host.tld/path` (its
# repospec without a scheme), and anything asking for a ref.
_REMOTE = re.compile(r"://|^[\w.-]+@[\w.-]+:|^[\w-]+(?:\.[\w-]+)+(?::\d+)?/|[?&](?:ref|version|submodules|timeout)=")
NOT_FETCHED = "not followed (a build here never fetches)"


def fetches_only(error: str) -> bool:
    """Whether a build's `error` names only remote resources it did not fetch: Flux fetches
    them (unless kustomize-controller runs with --no-remote-bases), so the build is not
    known to fail, only not checked."""
    lines = error.splitlines()
    return bool(lines) and all(line.endswith(f": {NOT_FETCHED}") for line in lines)


def _kustomization_file(root: Path, folder: str) -> str | None:
    for name in flux_names.KUSTOMIZE_CONFIG_FILES:
        if (root / folder / name).is_file():
            return posixpath.join(folder, name) if folder else name
    return None


def refused_reads(root: Path, folder: str) -> list[str]:
    """Messages for what building `folder` (relative to `root`, the artifact's copy) would
    read outside `root` or fetch; empty when nothing."""
    problems: list[str] = []
    seen: set[str] = set()
    todo = [folder]
    while todo:
        current = todo.pop()
        file = _kustomization_file(root, current)
        if current in seen or file is None:
            continue
        seen.add(current)
        try:
            kus = bounded_yaml.load((root / file).read_text(encoding="utf-8"), file)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # kustomize reports it
        if not isinstance(kus, dict):
            continue
        for field, path, may_be_folder in named_paths(kus):
            target = posixpath.normpath(posixpath.join(current, path))
            if _REMOTE.search(path) and not (root / target).exists():
                problems.append(f"{file}: {field} names the remote {path}: {NOT_FETCHED}")
            elif posixpath.isabs(path) or target == ".." or target.startswith("../"):
                problems.append(f"{file}: {field} names {path}, outside the repository: not read")
            elif may_be_folder and (root / target).is_dir():
                todo.append("" if target == "." else target)
    return problems
