"""After every update: an app's values are never replaced by the placeholder.

The template renders the placeholder (chart_values.PLACEHOLDER) where it cannot read the
chart's values. In an update whose new render could not fetch them while the old one
could (the chart's repository out of reach, FLUX_COOKBOOK_OFFLINE, a `-d helm_repo_url`
whose charts are not in the cache), copier's merge puts the placeholder over the values
the app has, or marks a conflict with the user's. So a values ConfigMap that HEAD holds
without the placeholder and the update gave it is put back as HEAD has it (its index
entry too), and named: `flux-cookbook values refresh` brings new values once the chart
can be read.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from .. import layout
from ..chart_values import PLACEHOLDER
from .git_repo import MigrationAbort, blob_text, git

MARKER = PLACEHOLDER.splitlines()[0]
_PREFIX, _, _SUFFIX = posixpath.basename(layout.values_configmap_file("\0")).partition("\0")


def changed(repo: Path) -> list[str]:
    """The values ConfigMaps the update gave the placeholder that HEAD holds without it."""
    try:
        paths = [name for name in git(repo, "diff", "--name-only", "--relative", "-z", "HEAD").split("\0") if name]
    except MigrationAbort:
        return []  # no commit yet
    found = []
    for path in paths:
        name = posixpath.basename(path)
        if not (name.startswith(_PREFIX) and name.endswith(_SUFFIX)) or not (repo / path).is_file():
            continue
        try:
            now = (repo / path).read_text(encoding="utf-8")
            committed = blob_text(repo, git(repo, "rev-parse", f"HEAD:./{path}").strip())
        except (MigrationAbort, UnicodeDecodeError, OSError):
            continue  # new with this update, or not text: nothing of the user's to keep
        if MARKER in now and MARKER not in committed:
            found.append(path)
    return found


def after(repo: Path, answers_file: str = "") -> None:
    for path in changed(repo):
        git(repo, "checkout", "HEAD", "--", path)  # the index too: a conflict in it is gone
        print(f"  {path}: the chart's values could not be read for this update, so the values were kept as they "
              "were (not replaced by the placeholder); `flux-cookbook values refresh` updates them once it can")
