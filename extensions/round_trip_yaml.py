"""Round-trip YAML (ruamel: comments, key order and positions kept), read as libyaml reads it.

YAML separates a comment from what precedes it by spaces or tabs: libyaml, kustomize and
the API server read `prune: true<tab># why`, where ruamel refuses it. Every round-trip
reader (the migrations, values overrides, values refresh) goes through `load` / `load_all`,
so a file check, adopt and Flux accept is never refused by an update or a refresh. Such a
text is read again with those tabs as spaces, one character for one: every line and
column ruamel reports still points into the original text, which the callers edit.
A text over bounded_yaml's caps is refused as ruamel refuses YAML it cannot read.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from . import bounded_yaml

_TAB_BEFORE_COMMENT = re.compile(r"\t(?=[ \t]*#)")


def load(yaml: YAML, text: str) -> Any:
    """`yaml.load(text)`; YAMLError as ruamel raises it for what libyaml refuses too."""
    return _read(yaml.load, text)


def load_all(yaml: YAML, text: str) -> list[Any]:
    """Every document of `text`, as `load` reads one."""
    return _read(lambda each: list(yaml.load_all(each)), text)


def _read(read: Callable[[str], Any], text: str) -> Any:
    # Within bounded_yaml's caps first (size, nesting, aliases): ruamel has none, and what
    # reads these documents walks them with every alias expanded.
    try:
        bounded_yaml.check(text)
    except yaml.YAMLError as error:  # over a cap, or past libyaml's own limits (flow depth)
        raise YAMLError(str(error)) from None
    try:
        return read(text)
    except YAMLError:
        if not _TAB_BEFORE_COMMENT.search(text):
            raise
        return read(_TAB_BEFORE_COMMENT.sub(" ", text))
