"""YAML the migrations read: PyYAML's safe loader, libyaml's where PyYAML has it.

The migrations run on every answers file's update and re-read the repository's answers
and namespace files each time; libyaml's loader reads them several times faster, to the
same objects.
"""

from __future__ import annotations

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str):
    """The one document of `text` (None when empty), as yaml.safe_load reads it."""
    return yaml.load(text, Loader=SAFE_LOADER)


def load_all(text: str) -> list:
    """Every document of `text`, as yaml.safe_load_all reads them."""
    return list(yaml.load_all(text, Loader=SAFE_LOADER))
