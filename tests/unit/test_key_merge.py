"""Keys a release adds, put into the user's text where copier's line merge collided."""

from __future__ import annotations

import yaml

from flux_cookbook.extensions.migrations.key_merge import merge_added_keys

BASE = """\
spec:
  interval: 15m
  releaseName: cache
  valuesFrom:
    - kind: ConfigMap
      name: values
"""
# The user added their own key at the very place the release adds its keys.
MINE = BASE.replace("  releaseName: cache\n", "  releaseName: cache\n  driftDetection:\n    mode: warn # by hand\n")
THEIRS = BASE.replace("  releaseName: cache\n", """\
  releaseName: cache
  # retried, never rolled back
  install:
    strategy:
      name: RetryOnFailure # first
  upgrade:
    crds: CreateReplace
""")


def test_added_keys_go_after_the_key_the_release_puts_them_after():
    merged = merge_added_keys(BASE, MINE, THEIRS)
    assert merged == BASE.replace("  releaseName: cache\n", """\
  releaseName: cache
  # retried, never rolled back
  install:
    strategy:
      name: RetryOnFailure # first
  upgrade:
    crds: CreateReplace
  driftDetection:
    mode: warn # by hand
""")
    assert yaml.safe_load(merged)["spec"]["driftDetection"] == {"mode": "warn"}


def test_keys_added_at_the_end_of_a_mapping():
    theirs = BASE + "  driftDetection:\n    mode: enabled\n"
    mine = BASE.replace("  interval: 15m\n", "  interval: 30m # slower\n")
    assert merge_added_keys(BASE, mine, theirs) == mine + "  driftDetection:\n    mode: enabled\n"


def test_nested_additions():
    base = "spec:\n  install:\n    timeout: 5m\n"
    mine = "spec:\n  install:\n    timeout: 9m # slow chart\n"
    theirs = "spec:\n  install:\n    timeout: 5m\n    crds: CreateReplace\n"
    assert merge_added_keys(base, mine, theirs) == "spec:\n  install:\n    timeout: 9m # slow chart\n    crds: CreateReplace\n"


def test_nothing_merged_where_the_user_has_the_key_otherwise():
    mine = BASE.replace("  releaseName: cache\n", "  releaseName: cache\n  install:\n    disableWait: true\n")
    assert merge_added_keys(BASE, mine, THEIRS) is None


def test_nothing_merged_where_the_release_changed_a_value():
    theirs = THEIRS.replace("interval: 15m", "interval: 20m")
    assert merge_added_keys(BASE, MINE, theirs) is None


def test_nothing_merged_where_the_release_removed_what_the_user_keeps():
    theirs = THEIRS.replace("  interval: 15m\n", "")
    assert merge_added_keys(BASE, MINE, theirs) is None


def test_nothing_merged_across_indentation_styles_or_unreadable_text():
    mine = "spec:\n    interval: 15m\n    releaseName: cache\n    valuesFrom:\n      - kind: ConfigMap\n        name: values\n"
    assert merge_added_keys(BASE, mine, THEIRS) is None
    assert merge_added_keys(BASE, "spec: [\n", THEIRS) is None
    assert merge_added_keys(BASE, MINE + "---\nkind: Other\n", THEIRS) is None


def test_nothing_to_merge_when_the_release_added_nothing():
    assert merge_added_keys(BASE, MINE, BASE) is None


def test_the_users_line_ends_are_kept():
    merged = merge_added_keys(BASE, MINE.replace("\n", "\r\n"), THEIRS)
    assert merged == merge_added_keys(BASE, MINE, THEIRS).replace("\n", "\r\n")


def test_a_tab_before_a_comment_in_the_users_text_is_read_as_flux_reads_it():
    mine = MINE.replace("  interval: 15m\n", "  interval: 15m\t# often\n")
    merged = merge_added_keys(BASE, mine, THEIRS)
    assert merged is not None and "  interval: 15m\t# often\n" in merged
    assert yaml.load(merged, Loader=yaml.CSafeLoader)["spec"]["install"] == {"strategy": {"name": "RetryOnFailure"}}
