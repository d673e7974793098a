"""Round-trip YAML (ruamel: comments, key order and positions kept), read as libyaml reads it.

YAML separates a comment from what precedes it by spaces or tabs: libyaml, kustomize and
the API server read `prune: true<tab># why`, where ruamel refuses it. Every round-trip
reader (the migrations, values overrides, values refresh) goes through `load` / `load_all`,
so a file check, adopt and Flux accept is never refused by an update or a refresh. Such a
text is read again with those tabs as spaces, one character for one: every line and
column ruamel reports still points into the original text, which the callers edit.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

_TAB_BEFORE_COMMENT = re.compile(r"\t(?=[ \t]*#)")


def load(yaml: YAML, text: str) -> Any:
    """`yaml.load(text)`; YAMLError as ruamel raises it for what libyaml refuses too."""
    return _read(yaml.load, text)


def load_all(yaml: YAML, text: str) -> list[Any]:
    """Every document of `text`, as `load` reads one."""
    return _read(lambda each: list(yaml.load_all(each)), text)


def _read(read: Callable[[str], Any], text: str) -> Any:
    try:
        return read(text)
    except YAMLError:
        if not _TAB_BEFORE_COMMENT.search(text):
            raise
        return read(_TAB_BEFORE_COMMENT.sub(" ", text))
