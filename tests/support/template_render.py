"""A template file rendered as copier renders it (the template's own filters and globals),
for tests of one generated file without a whole copy."""

from __future__ import annotations

import jinja2

from flux_cookbook.extensions import template_api
from tests.support.template_repo import PROJECT_ROOT


def render_template_file(template_file: str, src_path: str, commit: str) -> str:
    """A template file rendered as copier renders it, with the template's own filters."""
    env = jinja2.Environment(keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters.update(template_api.FILTERS)
    env.globals.update(template_api.GLOBALS)
    return env.from_string((PROJECT_ROOT / template_file).read_text()).render(
        _copier_answers={"_src_path": src_path, "_commit": commit}, _copier_conf={"vcs_ref_hash": "f" * 40},
    )
