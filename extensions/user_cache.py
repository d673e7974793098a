"""The user's cache folder for flux-cookbook: `$XDG_CACHE_HOME/flux-cookbook/<kind>`, else
`~/.cache/flux-cookbook/<kind>` (a relative XDG_CACHE_HOME is ignored, as the XDG base
directory specification says). Chart archives and yamllint's findings are kept there."""

from __future__ import annotations

import os
from pathlib import Path


def folder(kind: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "flux-cookbook" / kind
