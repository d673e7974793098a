"""Where the template came from, as recorded in answers files.

copier stores `_src_path` as typed, so `copier copy ../tpl repo` records `../tpl` and a
later `copier update` run from anywhere else fails. A local path is therefore recorded as
an absolute path; URLs and `gh:`/`gl:` shortcuts are kept as they are.
"""

from __future__ import annotations

import re
from pathlib import Path


def absolute_src_path(src_path: str) -> str:
    if not src_path or re.match(r"^[\w+.-]+://|^[\w.-]+@|^(gh|gl):", src_path):
        return src_path
    path = Path(src_path).expanduser()
    return str(path.resolve()) if path.exists() else src_path


def with_absolute_paths(answers: dict, dst: str) -> dict:
    """`answers` (copier's `_copier_answers`) as the answers file records them.

    `_src_path` is made absolute, and so is a local `values_source` (given relative to
    the destination), so that later updates, which render in temporary folders, find both.
    """
    recorded = dict(answers)
    if "_src_path" in recorded:
        recorded["_src_path"] = absolute_src_path(recorded["_src_path"])
    source = recorded.get("values_source")
    if source and not Path(source).expanduser().is_absolute() and (Path(dst) / source).exists():
        recorded["values_source"] = str((Path(dst) / source).resolve())
    return recorded
