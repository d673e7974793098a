"""After every update: an app's values are never replaced by the placeholder.

The template renders the placeholder (chart_values.PLACEHOLDER) where it cannot read the
chart's values. In an update whose new render could not fetch them while the old one
could (the chart's repository out of reach, FLUX_COOKBOOK_OFFLINE, a `-d helm_repo_url`
whose charts are not in the cache), copier's merge puts the placeholder over the values
the app has, or marks a conflict with the user's. So a values ConfigMap that HEAD holds
without the placeholder and the update gave it is put back as HEAD has it (its index
entry too), and named; so is the `values:` block of a HelmRelease holding its values
inline (the rest of the file as the update made it; one the merge left in conflict is
left to the user). `flux-cookbook values refresh` brings new values once the chart can be
read.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from .. import layout, repo_files
from ..chart_values import PLACEHOLDER, PLACEHOLDER_MARKER
from . import settle_conflicts
from .git_repo import MigrationAbort, blob_text, changed_since_head, committed_text, git, restage, unmerged_entries

MARKER = PLACEHOLDER_MARKER
_PREFIX, _, _SUFFIX = posixpath.basename(layout.values_configmap_file("\0")).partition("\0")
_RELEASE_PREFIX, _, _RELEASE_SUFFIX = posixpath.basename(layout.helm_release_file("\0")).partition("\0")
_VALUES_KEY = re.compile(r"(?m)^  values:[^\n]*\n")  # a HelmRelease's spec.values, as the template writes it
_DATA_KEY = re.compile(r"(?m)^data:[^\n]*\n")  # a values ConfigMap's data, below its metadata
_CONFLICT = re.compile(r"(?m)^<<<<<<< ")


def _values_block(text: str) -> tuple[int, int] | None:
    """Where the `values:` block of a HelmRelease's spec is in `text` (its key's line and
    every line below it indented deeper, or blank), or None."""
    found = _VALUES_KEY.search(text)
    if found is None:
        return None
    end = kept = found.end()
    for line in text[end:].splitlines(keepends=True):
        content = line.strip() and not line.lstrip().startswith("#")
        if content and not line.startswith("   "):
            break  # the next key of the spec
        end += len(line)
        if content or line.startswith("   "):
            kept = end  # blank lines and comments at the spec's column at its end go with what follows
    return found.start(), kept


def _with_committed_data(now: str, committed: str) -> str | None:
    """A values ConfigMap as the update made it above its `data:` (its metadata: the
    release's watch label), HEAD's from there (the values, with the comments above them);
    None when either has no `data:`, or the update left a conflict above it."""
    here, there = _DATA_KEY.search(now), _DATA_KEY.search(committed)
    if not (here and there) or _CONFLICT.search(now[:here.start()]):
        return None
    return now[:here.end()] + committed[there.end():]


def _without_placeholder(text: str) -> str:
    """`text` without the placeholder's comment lines, wherever copier's merge put them."""
    lines, out, skip = text.splitlines(keepends=True), [], 0
    size = len(PLACEHOLDER.splitlines())
    for line in lines:
        if skip and line.lstrip().startswith("#"):
            skip -= 1
            continue
        skip = 0
        if line.strip() == MARKER:
            skip = size - 1
            continue
        out.append(line)
    return "".join(out)


def _restorable(now: str, committed: str) -> bool:
    """Both texts have a `values:` block, and the merged one has no conflict in it (one
    elsewhere in the file is the user's to settle, and does not stop this)."""
    block, old_block = _values_block(now), _values_block(committed)
    return bool(block and old_block) and not _CONFLICT.search(now[block[0]:block[1]])


def _is_values_configmap(name: str) -> bool:
    return name.startswith(_PREFIX) and name.endswith(_SUFFIX)


def _is_helm_release(name: str) -> bool:
    return name.startswith(_RELEASE_PREFIX) and name.endswith(_RELEASE_SUFFIX)


def changed(repo: Path) -> list[str]:
    """The values ConfigMaps the update gave the placeholder that HEAD holds without it."""
    found, unmerged = [], unmerged_entries(repo)
    for path in changed_since_head(repo):
        name = posixpath.basename(path)
        if not (_is_values_configmap(name) or _is_helm_release(name)) or not (repo / path).is_file():
            continue
        try:
            now = (repo / path).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # not text: nothing of the user's to keep
        committed = committed_text(repo, path)
        if committed is None or MARKER not in now or MARKER in committed:  # new with this update, or the user's
            continue
        if _line_merged_later(repo, unmerged.get(path, {})):
            continue  # settle_conflicts merges it from the renders: judged after that (every_update)
        if _old_render_had_it(repo, unmerged.get(path, {})):
            # Not this update's doing: the merge conflicted for another reason (line ends
            # other than the template's), and the release's own changes to the file (its
            # watch label) are to be had; settle_conflicts judges the conflict by its data.
            continue
        if _is_helm_release(name) and not _restorable(now, committed):
            continue  # values not inline, or a conflict in them the user settles
        found.append(path)
    return found


def _line_merged_later(repo: Path, stages: dict[int, str]) -> bool:
    """The merge left the file in conflict, and settle_conflicts merges it line by line from
    the index's three versions (its line ends), whatever is written here now."""
    try:
        return 2 in stages and settle_conflicts.merges_line_by_line(
            blob_text(repo, stages[1]) if 1 in stages else "", blob_text(repo, stages[2]))
    except (MigrationAbort, UnicodeDecodeError):
        return False


def _old_render_had_it(repo: Path, stages: dict[int, str]) -> bool:
    """The merge left the file in conflict, and its old render (stage 1) holds the
    placeholder too: both renders had it, and the user had replaced it."""
    try:
        return 1 in stages and MARKER in blob_text(repo, stages[1])
    except (MigrationAbort, UnicodeDecodeError):
        return False


def after(repo: Path, answers_file: str = "") -> None:
    for path in changed(repo):
        if _is_helm_release(posixpath.basename(path)):
            now = repo_files.read_text(repo, path)
            committed = committed_text(repo, path) or ""
            (start, end), (old_start, old_end) = _values_block(now), _values_block(committed)
            kept = now[:start] + committed[old_start:old_end] + now[end:]
            repo_files.write_text(repo, path, _without_placeholder(kept))
            restage(repo, path)  # settled and staged by settle_conflicts: staged as kept
        elif (kept := _with_committed_data(repo_files.read_text(repo, path), committed_text(repo, path) or "")) is not None:
            # The release's other changes to the file (its watch label) stay; the index
            # entry is HEAD's, so that a conflict in the values is gone.
            repo_files.write_text(repo, path, kept)
            git(repo, "reset", "-q", "--", path)
        else:
            git(repo, "checkout", "HEAD", "--", path)  # the index too: a conflict in it is gone
        print(f"  {path}: the chart's values could not be read for this update, so the values were kept as they "
              "were (not replaced by the placeholder); `flux-cookbook values refresh` updates them once it can")
