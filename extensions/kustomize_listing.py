"""A kustomization file's `resources` list, read and extended in place.

A folder with a kustomization file of its own builds only what that file lists, so a file
the template adds there (an app's Kustomization in a bootstrap folder listed by hand, the
OCIRepository the 3.0.0 migration writes beside a HelmRelease) is listed too, or Flux
never applies it. Each entry goes on a line of its own in the list's indentation and
quoting, every other line kept; a list written some other way (a flow list, no list) is
left to the user, and the caller says so.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

import yaml

from . import bounded_yaml


def resources(text: str) -> list | None:
    """A kustomization file's `resources` ([] without any), None when it is not readable as one."""
    try:
        data = bounded_yaml.load(text)
    except yaml.YAMLError:
        return None
    found = data.get("resources", []) if isinstance(data, dict) else None
    return found if isinstance(found, list) else None


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


def _insert_after(text: str, folder: str, entry: str, new: str) -> str | None:
    # A line of its own, ending in LF or CRLF (the new line ends as it does).
    found = list(re.finditer(rf"(?m)^([ \t]*-[ \t]+)([\"']?){re.escape(entry)}\2[ \t]*(#[^\r\n]*)?(\r?)$", text))
    if len(found) != 1:
        return None
    line = found[0]
    added = ("./" if entry.startswith("./") else "") + posixpath.relpath(new, folder or ".")
    result = f"{text[:line.end()]}\n{line.group(1)}{line.group(2)}{added}{line.group(2)}{line.group(4)}{text[line.end():]}"
    expected = list(resources(text) or [])
    expected.insert(expected.index(entry) + 1, added)
    return result if resources(result) == expected else None
