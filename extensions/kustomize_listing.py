"""A kustomization file's `resources` list, read and changed in place, and what it names.

A folder with a kustomization file of its own builds only what that file lists, so a file
the template adds there (an app's Kustomization in a bootstrap folder listed by hand, the
OCIRepository the 3.0.0 migration writes beside a HelmRelease) is listed too, or Flux
never applies it. Each entry goes on a line of its own in the list's indentation and
quoting, every other line kept; a list written some other way (a flow list, no list) is
left to the user, and the caller says so. When a folder moves (the 2.0.0 migration's
bootstrap folder), the entries naming it or what is in it are repointed where they stand,
in a block list or a one-line flow list.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any, Iterator

import yaml

from . import bounded_yaml, flux_names, repo_files


def resources(text: str) -> list | None:
    """A kustomization file's `resources` ([] without any), None when it is not readable as one."""
    try:
        data = bounded_yaml.load(text)
    except yaml.YAMLError:
        return None
    found = data.get("resources", []) if isinstance(data, dict) else None
    return found if isinstance(found, list) else None


def listed_by(repo: Path, path: str) -> list[str]:
    """The repository's kustomization files whose `resources` list `path` (or that cannot be
    read, and so may): kustomize fails on an entry whose file is gone."""
    listing = []
    for config in repo_files.listed_files(repo):
        if posixpath.basename(config) not in flux_names.KUSTOMIZE_CONFIG_FILES:
            continue
        try:
            found = resources(repo_files.read_text(repo, config))
        except (OSError, UnicodeDecodeError):
            found = None
        if found is None or any(names(posixpath.dirname(config), entry, path) for entry in found):
            listing.append(config)
    return listing


def names(folder: str, entry: Any, path: str) -> bool:
    """Whether `entry` of the kustomization file in `folder` is the repository file `path`."""
    return isinstance(entry, str) and posixpath.normpath(posixpath.join(folder, entry)) == path


def list_beside(text: str, folder: str, listed: str, new: str) -> str | None:
    """The kustomization file (in `folder`) with `new` listed on the line after `listed`'s
    entry; None where `listed` is not one entry on a line of its own."""
    entries = [entry for entry in resources(text) or [] if names(folder, entry, listed)]
    return _insert_after(text, folder, entries[0], new) if len(entries) == 1 else None


def list_last(text: str, folder: str, new: str) -> str | None:
    """The kustomization file (in `folder`) with `new` listed after its last resource; None
    where it has none to follow, or lists them some other way than one per line."""
    listed = resources(text)
    last = listed[-1] if listed else None
    return _insert_after(text, folder, last, new) if isinstance(last, str) else None


def repoint(text: str, folder: str, old: str, new: str) -> str | None:
    """The kustomization file (in `folder`) with each entry of `resources`, `components` or
    `bases` that names the folder `old` or a path in it naming the same under `new`, on its
    line or in its one-line flow list; `text` itself when nothing names `old`; None when
    something names it that is not such an entry (a flow list over several lines, a
    patch's path...)."""
    def moved(path: str) -> str | None:
        target = posixpath.normpath(posixpath.join(folder, path))
        return new + target[len(old):] if target == old or target.startswith(old + "/") else None

    try:
        data = bounded_yaml.load(text)
    except yaml.YAMLError:
        return text  # not read as a kustomization: its build fails before and after
    if not isinstance(data, dict):
        return text
    result = text
    for field in _KUSTOMIZATIONS:
        for entry in _strings(_entries(data.get(field))):
            if (target := moved(entry)) is None:
                continue
            span = _entry_span(result, field, entry)
            if span is None:
                return None
            replaced = ("./" if entry.startswith("./") else "") + posixpath.relpath(target, folder or ".")
            result = f"{result[:span[0]]}{replaced}{result[span[1]:]}"
            data = _read_as(result, field, entry, replaced, data)
            if data is None:
                return None
    still = [path for _, path, _ in named_paths(data) if moved(path)]
    return None if still else result


def _entry_span(text: str, field: str, entry: str) -> tuple[int, int] | None:
    """Where `entry` itself (inside its quotes) stands: on a block list's line of its own,
    or as one item of `field`'s flow list on one line (`resources: [flux-system, apps]`)."""
    if line := _entry_line(text, entry):
        return line.end(2), line.end(2) + len(entry)
    item = re.compile(rf"(?<=[\[,])[ \t]*([\"']?)({re.escape(entry)})\1[ \t]*(?=[,\]])")
    found = [
        (flow.start() + match.start(2), flow.start() + match.end(2))
        for flow in re.finditer(rf"(?m)^{re.escape(field)}:[ \t]*\[[^\]\n#]*\]", text)
        for match in item.finditer(flow.group(0))
    ]
    return found[0] if len(found) == 1 else None


def _read_as(text: str, field: str, entry: str, replaced: str, before: dict) -> dict | None:
    """`text` read, when it holds what `before` did with that one entry of `field`
    replaced; None when the rewrite changed anything else."""
    try:
        after = bounded_yaml.load(text)
    except yaml.YAMLError:
        return None
    items = list(before.get(field) or [])
    items[items.index(entry)] = replaced
    same = isinstance(after, dict) and after.get(field) == items and \
        {k: v for k, v in after.items() if k != field} == {k: v for k, v in before.items() if k != field}
    return after if same else None


def _entry_line(text: str, entry: str) -> re.Match | None:
    """The one line listing `entry` in a block list ("- entry", quoted or not, a comment
    after it, LF or CRLF), or None."""
    found = list(re.finditer(rf"(?m)^([ \t]*-[ \t]+)([\"']?){re.escape(entry)}\2[ \t]*(#[^\r\n]*)?(\r?)$", text))
    return found[0] if len(found) == 1 else None


def _insert_after(text: str, folder: str, entry: str, new: str) -> str | None:
    # The new line ends as the entry's does (LF or CRLF).
    line = _entry_line(text, entry)
    if line is None:
        return None
    added = ("./" if entry.startswith("./") else "") + posixpath.relpath(new, folder or ".")
    result = f"{text[:line.end()]}\n{line.group(1)}{line.group(2)}{added}{line.group(2)}{line.group(4)}{text[line.end():]}"
    expected = list(resources(text) or [])
    expected.insert(expected.index(entry) + 1, added)
    return result if resources(result) == expected else None


# --- what a kustomization file names -----------------------------------------------------

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
