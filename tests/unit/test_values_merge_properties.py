"""values refresh's merge on real charts, with edits a user makes drawn at random (a fixed
seed in CI, conftest.py): the values are the chart's new ones with the user's kept, and no
comment line of the new chart is lost where it does not clash with the user's."""

from __future__ import annotations

import re

import yaml
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from flux_cookbook.values.merge import merge_values
from tests.support.helm_repo_server import CHARTS

PAIRS = [("podinfo", "6.0.3", "6.14.1"), ("podinfo", "6.13.0", "6.14.1"), ("traefik", "10.24.0", "20.8.0"),
         ("traefik", "20.8.0", "28.0.0"), ("traefik", "28.0.0", "33.2.1"), ("traefik", "33.2.1", "41.3.0")]
# A key with a plain value a user edits in place: `  replicas: 1`, `enabled: true # why`.
EDITABLE = re.compile(r"^( *)([A-Za-z][\w-]*): (\d+|true|false|[A-Za-z][\w-]*)( *#.*)?$")


def read(chart: str, version: str) -> str:
    return (CHARTS / chart / version / "values.yaml").read_text()


def leaf_paths(text: str) -> dict[int, tuple]:
    """Line number -> the path of the scalar key on that line."""
    found: dict[int, tuple] = {}

    def walk(node, path):
        for key, value in node.items():
            if isinstance(value, dict):
                walk(value, (*path, key))
            elif not isinstance(value, list):
                found[node.lc.key(key)[0]] = (*path, key)
    walk(YAML().load(text), ())
    return found


def at(data, path: tuple):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return KeyError
        data = data[key]
    return data


def put(data, path: tuple, value) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def edited(value: str) -> str:
    if value.isdigit():
        return str(int(value) + 7)
    return {"true": "false", "false": "true"}.get(value, value + "x")


@st.composite
def edits(draw):
    chart, old, new = draw(st.sampled_from(PAIRS))
    base = read(chart, old)
    lines = base.split("\n")
    paths = leaf_paths(base)
    candidates = [number for number, line in enumerate(lines) if number in paths and EDITABLE.match(line)]
    chosen = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=4, unique=True))
    with_comment = draw(st.lists(st.booleans(), min_size=len(chosen), max_size=len(chosen)))
    return chart, old, new, chosen, with_comment


# Each example merges a real chart's values (about a second): a failing one is reported as
# drawn, not shrunk (shrinking would merge hundreds more).
@settings(max_examples=12, phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(edits())
def test_the_users_edits_stay_and_every_other_chart_line_comes(case):
    chart, old, new, chosen, with_comment = case
    base, theirs = read(chart, old), read(chart, new)
    lines, paths = base.split("\n"), leaf_paths(base)
    mine_values = {}
    for number, comment in zip(chosen, with_comment):
        indent, key, value, _ = EDITABLE.match(lines[number]).groups()
        lines[number] = f"{indent}{key}: {edited(value)}" + (" # mine" if comment else "")
        mine_values[paths[number]] = yaml.safe_load(edited(value))
    ours = "\n".join(lines)
    merged = merge_values(base, theirs, ours, set(), f"{chart} {new}")

    base_data, theirs_data = yaml.safe_load(base), yaml.safe_load(theirs)
    # A key the chart dropped, or whose default it changed otherwise than the user did, is
    # named (a conflict, or kept and named as gone), at it or at a mapping above it.
    named = [item.split(":")[0] for item in merged.conflicts] + merged.removed
    for path, value in mine_values.items():
        dotted = ".".join(path)
        under = [name for name in named if dotted == name or dotted.startswith(name + ".")]
        assert bool(under) == (at(theirs_data, path) not in (at(base_data, path), value)), (dotted, named)
    assert all(any(".".join(path) == name or ".".join(path).startswith(name + ".") for path in mine_values)
               for name in named)
    if named:
        return  # for the user to settle
    expected = yaml.safe_load(theirs)
    for path, value in mine_values.items():
        put(expected, path, value)
    assert yaml.safe_load(merged.text) == expected
    # Every comment line of the new chart is there, but those the chart wrote on or right
    # around a line the user changed (where the two touch, the user's line decides).
    result_lines = merged.text.split("\n")
    touched = {line.strip() for number in chosen for line in base.split("\n")[max(0, number - 3):number + 4]}
    missing = [line for line in theirs.split("\n") if line.strip().startswith("#") and line not in result_lines
               and line.strip() not in touched]
    assert len(missing) <= 3 * len(chosen), missing
    assert merged.text.count(" # mine") == sum(with_comment)  # the user's comments, where the user wrote them
