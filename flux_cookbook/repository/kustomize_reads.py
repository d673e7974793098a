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
from typing import Any, Iterator

import yaml

from flux_cookbook.extensions import bounded_yaml, flux_names

# What kustomize fetches: a URL, git's scp-like `git@host:path`, or `host.tld/path` (its
# repospec without a scheme), and anything asking for a ref.
_REMOTE = re.compile(r"://|^[\w.-]+@[\w.-]+:|^[\w-]+(?:\.[\w-]+)+(?::\d+)?/|[?&](?:ref|version|submodules|timeout)=")
# Fields holding kustomizations to read in turn (a folder) or a file.
_KUSTOMIZATIONS = ("resources", "bases", "components")
_FILE_LISTS = ("patchesStrategicMerge", "crds", "configurations", "generators", "transformers", "validators")
_GENERATORS = ("configMapGenerator", "secretGenerator")


def _strings(value: Any) -> list[str]:
    # A one-line string is a path; a block is an inline patch or object, which reads nothing.
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, str) and "\n" not in item.strip()]


def _entries(value: Any) -> list:
    # A field that should hold a list and holds something else names nothing (kustomize refuses it).
    return value if isinstance(value, list) else []


def named_paths(kus: dict) -> Iterator[tuple[str, str, bool]]:
    """(field, path, may be a kustomization folder) of every path the kustomization names."""
    for field in _KUSTOMIZATIONS:
        for path in _strings(kus.get(field) or []):
            yield field, path, True
    for field in _FILE_LISTS:
        for path in _strings(kus.get(field) or []):
            yield field, path, field in ("generators", "transformers", "validators")
    for field in ("patches", "patchesJson6902", "replacements"):
        for entry in _entries(kus.get(field)):
            if isinstance(entry, dict):
                yield from ((field, path, False) for path in _strings(entry.get("path")))
    for field in _GENERATORS:
        for generator in _entries(kus.get(field)):
            if not isinstance(generator, dict):
                continue
            for spec in _strings(generator.get("files") or []):
                yield f"{field} files", spec.partition("=")[2] or spec, False
            for path in _strings(generator.get("envs") or []) + _strings(generator.get("env")):
                yield f"{field} envs", path, False
    if isinstance(kus.get("openapi"), dict):
        yield from (("openapi", path, False) for path in _strings(kus["openapi"].get("path")))
    if isinstance(kus.get("helmGlobals"), dict):
        yield from (("helmGlobals chartHome", p, False) for p in _strings(kus["helmGlobals"].get("chartHome")))
    elif kus.get("helmCharts"):
        yield "helmCharts chartHome", "charts", False  # kustomize's default chart home


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
                problems.append(f"{file}: {field} names the remote {path}: not followed (a build here never fetches)")
            elif posixpath.isabs(path) or target == ".." or target.startswith("../"):
                problems.append(f"{file}: {field} names {path}, outside the repository: not read")
            elif may_be_folder and (root / target).is_dir():
                todo.append("" if target == "." else target)
    return problems
