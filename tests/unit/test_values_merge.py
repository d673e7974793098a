"""The three-way merge of chart defaults into an app's values, on small values files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from flux_cookbook.values.merge import LINE_MERGE_MAX_LINES, flatten, merge_values

CHARTS = Path(__file__).resolve().parents[3] / "shared" / "charts"

BASE = """\
# How many pods
replicaCount: 1
image:
  tag: "1.0"
  pullPolicy: IfNotPresent
# Removed in 2.0
legacy: false
ui:
  color: blue
"""
THEIRS = """\
# How many pods
replicaCount: 1
image:
  tag: "2.0"
  pullPolicy: IfNotPresent
  # Digest to pin, new in 2.0
  digest: ""
ui:
  color: green
"""


def merge(ours: str, overrides: dict | None = None):
    return merge_values(BASE, THEIRS, ours, flatten(overrides or {}), "demo 2.0")


def test_untouched_values_take_the_new_defaults_and_new_options_their_comments():
    merged = merge(BASE)
    assert merged.text == THEIRS and merged.conflicts == merged.removed == merged.touched == []


def test_the_users_values_and_comments_stay_in_place():
    ours = BASE.replace("replicaCount: 1", "replicaCount: 3 # three for HA").replace("ui:\n", "# my colours\nui:\n")
    merged = merge(ours)
    assert "replicaCount: 3 # three for HA\n" in merged.text and "# my colours\nui:\n  color: green" in merged.text
    assert yaml.safe_load(merged.text) == {**yaml.safe_load(THEIRS), "replicaCount": 3}


def test_a_removed_key_the_user_set_is_kept_and_named_one_untouched_goes():
    assert "legacy" not in merge(BASE).text
    merged = merge(BASE.replace("legacy: false", "legacy: true"))
    assert merged.removed == ["legacy"] and "legacy: true" in merged.text


def test_under_a_mapping_the_chart_dropped_what_you_set_stays_named_and_its_old_defaults_go():
    """traefik 41 dropped `logs:`; the user had set logs.general.level alone: that leaf is
    named and kept, the old chart's defaults around it (which the new chart never reads,
    and its schema refuses) go."""
    base = "logs:\n  general:\n    level: ERROR\n    format: common\n  access:\n    enabled: false\nother: 1\n"
    theirs = "other: 2\n"
    merged = merge_values(base, theirs, base.replace("level: ERROR", "level: WARN"), set(), "traefik 41")
    assert merged.text == "logs:\n  general:\n    level: WARN\nother: 2\n"
    assert merged.removed == ["logs.general.level"] and merged.conflicts == []
    # A key of the user's own under it (never the chart's) is theirs too.
    merged = merge_values(base, theirs, base.replace("    format: common\n", "    format: common\n    color: true\n"),
                          set(), "traefik 41")
    assert merged.text == "logs:\n  general:\n    color: true\nother: 2\n" and merged.removed == ["logs.general.color"]


@pytest.mark.parametrize("edit, text, removed", [
    # Keys the user deleted: nothing of theirs is left under it, and it goes whole (the
    # chart drops those keys too); it was refused as values that could not be written.
    (("    e: 2\n", ""), "other: 2\n", []),
    (("  c:\n    d: 1\n    e: 2\n", ""), "other: 2\n", []),
    # A mapping the user emptied (`{}`) is a value of theirs: kept, named.
    (("  c:\n    d: 1\n    e: 2\n", "  c: {}\n"), "a:\n  c: {}\nother: 2\n", ["a.c"]),
])
def test_under_a_dropped_mapping_a_deletion_is_no_setting_and_an_emptied_one_is(edit, text, removed):
    base = "a:\n  b: 1\n  c:\n    d: 1\n    e: 2\nother: 1\n"
    merged = merge_values(base, "other: 2\n", base.replace(*edit), set(), "x")
    assert (merged.text, merged.removed, merged.conflicts) == (text, removed, [])


@pytest.mark.parametrize("ours", [
    "image:\n  tag: 6.0.3\n  pullPolicy: IfNotPresent\n",  # the chart's comment deleted
    "image:\n  tag: 6.0.3\n",  # a trimmed values file
])
def test_a_chart_comment_the_user_deleted_is_no_comment_of_theirs(ours):
    base = "image:\n  # the image tag\n  tag: 6.0.3\n  pullPolicy: IfNotPresent\n"
    assert merge_values(base, base.replace("6.0.3", "6.14.1"), ours, set(), "x").commented == []


def test_an_override_equal_to_the_old_default_is_kept_and_reported():
    merged = merge(BASE, {"image": {"tag": "1.0"}})
    assert yaml.safe_load(merged.text)["image"]["tag"] == "1.0"
    assert merged.touched == ['image.tag: the chart\'s default changed from "1.0" to "2.0"; yours ("1.0") is kept']


@pytest.mark.parametrize("ours, why", [
    (BASE.replace("color: blue", "color: red"), 'you set "red"; the chart\'s default changed from "blue" to "green"'),
    (BASE.replace("ui:\n  color: blue", "ui: plain"), "you set \"plain\" (a value); the chart now has a mapping there"),
])
def test_conflicts_are_written_between_markers(ours, why):
    merged = merge(ours, {"ui": "plain"} if "plain" in ours else None)
    assert len(merged.conflicts) == 1 and merged.conflicts[0].startswith("ui") and why in merged.conflicts[0]
    assert "<<<<<<< before refreshing (your values)" in merged.text and ">>>>>>> after refreshing (demo 2.0)" in merged.text


def test_a_second_merge_changes_nothing():
    once = merge(BASE.replace("replicaCount: 1", "replicaCount: 3")).text
    assert merge_values(THEIRS, THEIRS, once, set(), "demo 2.0").text == once


def test_values_a_yaml_merge_key_brings_are_refused_not_a_traceback():
    """`redis: {<<: *rb, ...}`: the keys the merge key brings have no line of their own to
    edit; refused with a message (refresh by hand), not a KeyError."""
    base = "redis:\n  enabled: false\n  repository: redis\n  tag: 6.0.8\n"
    theirs = base.replace("6.0.8", "7.0.0")
    ours = "rbase: &rb\n  repository: redis\n  tag: 6.0.8\nredis:\n  <<: *rb\n  enabled: true\n"
    with pytest.raises(ValueError, match=r"tag comes from a YAML merge key \(<<: \*anchor\), which has no lines of its own .*write those values out"):
        merge_values(base, theirs, ours, set(), "podinfo 7")


def test_a_merge_key_in_the_old_charts_values_is_no_refusal_of_yours():
    """The old chart's values bring `tag` by a merge key; the user's file has its own line
    and comment there: the new default comes, the comment is named, nothing is refused."""
    base = "defaults: &d\n  tag: 1.0\nimage:\n  <<: *d\n  repo: x\n"
    theirs = "image:\n  # the tag\n  tag: 2.0\n  repo: x\n"
    ours = "image:\n  # our pin, keep at 1.0 for the db\n  tag: 1.0\n  repo: x\n"
    merged = merge_values(base, theirs, ours, set(), "t 2")
    assert merged.text == ours.replace("tag: 1.0", "tag: 2.0")
    assert merged.commented == ["image.tag: the chart's default changed from 1.0 to 2.0, which your comment there may not fit"]


def test_comments_you_wrote_stay_when_the_chart_changes_a_default_you_left():
    """Your comment above a key and at the end of its line stay as the new default comes
    in; comments as the chart wrote them come from the new chart. A key the chart dropped
    goes, your comment above it stays (your lines are yours)."""
    base = "image:\n  # the image's tag\n  tag: 6.0.3\n  pullPolicy: IfNotPresent\nold: 1\n"
    theirs = "image:\n  # the image's tag\n  tag: 6.14.1\n  pullPolicy: IfNotPresent\n"
    ours = ("image:\n  # pinned by us: see ticket 12\n  tag: 6.0.3 # keep in step with the chart\n"
            "  pullPolicy: IfNotPresent\n# we never used this\nold: 1\n")
    merged = merge_values(base, theirs, ours, set(), "podinfo 6.14.1")
    assert merged.text == ("image:\n  # pinned by us: see ticket 12\n  tag: 6.14.1 # keep in step with the chart\n"
                           "  pullPolicy: IfNotPresent\n# we never used this\n")
    assert merged.conflicts == merged.removed == merged.touched == []
    # Taken, and named: the comment may have been a pin (`# pinned: 6.1+ breaks our probes`).
    assert merged.commented == ['image.tag: the chart\'s default changed from "6.0.3" to "6.14.1", which your comment '
                                'there may not fit']
    assert merge_values(base, theirs, base, set(), "podinfo 6.14.1").commented == []
    assert merge_values(base, theirs, base, set(), "podinfo 6.14.1").text == theirs  # untouched: the chart's file


def test_the_charts_new_documentation_comes_above_keys_whose_values_stay():
    """The chart rewrote the comments above keys it did not change (one a value, one a
    mapping, one the user set): they follow it; the user's own comments stay."""
    base = "# How many pods\nreplicaCount: 1\n# The image\nimage:\n  # Its tag\n  tag: 1\n# Colours\nui: blue\n# Yours\nport: 80\n"
    theirs = ("# How many pods (2 or more for HA)\nreplicaCount: 1\n# The container image\n# and its pull policy\n"
              "image:\n  # Its tag, a version\n  tag: 1\n# The UI's colour\nui: blue\n# The port\nport: 80\n")
    assert merge_values(base, theirs, base, set(), "chart 2").text == theirs
    ours = base.replace("ui: blue", "ui: red").replace("# Yours", "# ours: behind the proxy")
    merged = merge_values(base, theirs, ours, set(), "chart 2")
    assert merged.text == theirs.replace("ui: blue", "ui: red").replace("# The port", "# ours: behind the proxy")
    assert merged.conflicts == merged.removed == [] and merged.touched == []


def documented_keys(text: str) -> dict[str, list[str]]:
    """Each top-level key's line -> the comment lines right above it (its documentation)."""
    lines, found = text.splitlines(), {}
    for index, line in enumerate(lines):
        if re.match(r"[A-Za-z]\w*:", line):
            start = index
            while start > 0 and lines[start - 1].startswith("#"):
                start -= 1
            found[line] = lines[start:index]
    return found


@pytest.mark.parametrize("chart, old, new", [("podinfo", "6.0.3", "6.13.0"), ("traefik", "10.24.0", "20.8.0"),
                                               ("traefik", "33.2.1", "41.3.0")])
def test_real_values_follow_the_charts_comments(chart, old, new):
    """A chart's values.yaml left as it was becomes the new one, every comment included;
    one with a value of the user's takes the new documentation above every other key the
    chart documents anew."""
    base, theirs = ((CHARTS / chart / version / "values.yaml").read_text() for version in (old, new))
    assert merge_values(base, theirs, base, set(), f"{chart} {new}").text == theirs
    before, after = documented_keys(base), documented_keys(theirs)
    mine = next(line for line in before if line in after and re.match(r"\w+: \S", line) and not line.endswith(("{}", "[]")))
    ours = base.replace(f"\n{mine}\n", f"\n{mine.split(':')[0]}: 12345 # ours\n", 1)
    merged = merge_values(base, theirs, ours, set(), f"{chart} {new}")
    assert f"\n{mine.split(':')[0]}: 12345 # ours\n" in merged.text
    redocumented = [line for line in after if line in before and line != mine and after[line] and after[line] != before[line]]
    assert redocumented
    for line in redocumented:
        assert "\n".join([*after[line], line]) in merged.text, line


@pytest.mark.parametrize("theirs_line, expected", [
    ("tag: 2\n", "  tag: 2 # pinned by ops\n"),  # the chart's line has no comment: yours at its end
    ("tag: 2 # the image tag\n", "  # pinned by ops\n  tag: 2 # the image tag\n"),  # it has one: yours above
])
def test_your_comment_at_a_lines_end_stays_beside_the_charts(theirs_line, expected):
    base = "image:\n  tag: 1\n  msg: \"a # b\"\n"
    ours = "image:\n  tag: 1 # pinned by ops\n  msg: \"a # b\"\n"
    theirs = "image:\n  " + theirs_line + "  msg: \"a # b\"\n"
    merged = merge_values(base, theirs, ours, set(), "chart 2")
    assert merged.text == "image:\n" + expected + "  msg: \"a # b\"\n"


def test_a_hash_inside_quotes_is_no_comment_of_yours():
    """`msg: "a # b"` re-quoted by the user: no comment at its end, whatever the ` #` says."""
    base = "msg: \"a # b\"\n"
    ours = "msg: 'a # b'\n"
    merged = merge_values(base, "msg: \"c\"\n", ours, set(), "chart 2")
    assert merged.text == "msg: \"c\"\n"


def test_a_new_key_comes_with_the_commented_out_example_below_it():
    """podinfo 6.14.1 adds `extraEnvs: []` and `podDisruptionBudget: {}`, each followed by a
    commented-out example of it: with one value of the user's, every line of the new
    chart's file arrives (blank lines aside), the example below its key."""
    base, theirs = ((CHARTS / "podinfo" / version / "values.yaml").read_text() for version in ("6.0.3", "6.14.1"))
    ours = base.replace("replicaCount: 1\n", "replicaCount: 2\n", 1)
    merged = merge_values(base, theirs, ours, set(), "podinfo 6.14.1")
    expected = theirs.replace("replicaCount: 1\n", "replicaCount: 2\n", 1)
    assert [line for line in merged.text.splitlines() if line.strip()] == [line for line in expected.splitlines() if line.strip()]
    assert "extraEnvs: []\n# Example on how to configure extraEnvs\n" in merged.text


def test_a_tab_before_a_comment_is_read_as_helm_reads_it():
    """`replicaCount: 3<tab># mine`: Helm (libyaml's rules) and check read it; refresh must
    too, and keep the user's line as written."""
    ours = BASE.replace("replicaCount: 1", "replicaCount: 3\t# three for HA")
    merged = merge(ours)
    assert "replicaCount: 3\t# three for HA\n" in merged.text
    assert yaml.load(merged.text, Loader=yaml.CSafeLoader) == {**yaml.safe_load(THEIRS), "replicaCount": 3}


@pytest.mark.parametrize("chart, old, new, edit", [
    ("podinfo", "6.0.3", "6.14.1", ("replicaCount: 1\n", "replicaCount: 2\n")),
    ("traefik", "10.24.0", "20.8.0", ("  replicas: 1\n", "  replicas: 2\n")),
    ("traefik", "20.8.0", "28.0.0", ("  replicas: 1\n", "  replicas: 2\n")),  # its comments rewritten around the edit
    ("traefik", "28.0.0", "33.2.1", ("  replicas: 1\n", "  replicas: 2\n")),
])
def test_one_edit_keeps_every_line_of_the_new_chart(chart, old, new, edit):
    """The user's one line, and every other line exactly as the new chart writes it: the
    comments between keys the chart rewrote too (traefik 10 -> 20: its metrics
    documentation, 272 lines the key-by-key merge alone left out)."""
    base, theirs = ((CHARTS / chart / version / "values.yaml").read_text() for version in (old, new))
    assert base.count(edit[0]) == 1 and theirs.count(edit[0]) == 1
    merged = merge_values(base, theirs, base.replace(*edit), set(), f"{chart} {new}")
    assert merged.text == theirs.replace(*edit)
    assert merged.conflicts == merged.removed == []


def test_where_the_chart_rewrote_the_users_own_line_the_key_by_key_merge_writes_it():
    """traefik 41 rewrites the comments around `replicas: 1` and puts one at its end, the
    line the user changed: the line merge cannot take both there, so that line is the
    key-by-key merge's (the user's); every other line is the new chart's."""
    base, theirs = ((CHARTS / "traefik" / version / "values.yaml").read_text() for version in ("33.2.1", "41.3.0"))
    merged = merge_values(base, theirs, base.replace("  replicas: 1\n", "  replicas: 2\n"), set(), "traefik 41.3.0")
    chart_line = "  replicas: 1  # @schema type:[integer, null];minimum:0\n"
    assert theirs.count(chart_line) == 1
    assert merged.text == theirs.replace(chart_line, "  replicas: 2\n")
    assert merged.conflicts == merged.removed == []


def test_past_the_line_cap_the_key_by_key_merge_alone_writes_the_values():
    """A hostile chart's values of many lines are not line-merged (difflib's diff takes time
    quadratic in them): the chart's rewritten comments between keys do not come, its values do."""
    filler = "".join(f"# note {index % 97}\n" for index in range(LINE_MERGE_MAX_LINES))
    base = "a: 1\n\n# old words\n\nb: 1\n" + filler  # a comment of no key's
    theirs = "a: 2\n\n# new words\n\nb: 1\n" + filler
    merged = merge_values(base, theirs, base.replace("b: 1", "b: 5"), set(), "chart 2")
    assert merged.text.startswith("a: 2\n\n# old words\n\nb: 5\n")
    small = merge_values(base[:-len(filler)], theirs[:-len(filler)], base[:-len(filler)].replace("b: 1", "b: 5"), set(), "chart 2")
    assert small.text == "a: 2\n\n# new words\n\nb: 5\n"


def test_an_anchor_whose_alias_would_change_too_is_refused_naming_the_cause():
    """The chart changes a default under an anchor the user aliased elsewhere: written at
    the anchor, the change would reach the alias, which the merge did not decide. Refused,
    naming anchors and aliases and what to do (it said "see --dry-run", which showed this
    same refusal)."""
    base = "redis:\n  tag: 6.0.8\n  enabled: false\n"
    ours = "redis: &r\n  tag: 6.0.8\n  enabled: false\nextra: *r\n"
    with pytest.raises(ValueError, match=r"YAML anchors and aliases, `&name`/`\*name`, are the usual cause.*write the "
                                         r"aliased values out in full, then refresh again"):
        merge_values(base, base.replace("6.0.8", "7.0.0"), ours, set(), "redis 7")
