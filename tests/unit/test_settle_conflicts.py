"""The rule that settles a conflict: the user's version already holds every change of the release."""

import pytest

from flux_cookbook.extensions.migrations.settle_conflicts import _has_all_changes

BASE = [{"apiVersion": "kustomize.toolkit.fluxcd.io/v1beta1", "spec": {"interval": "15m", "validation": "server", "path": "a"}}]
THEIRS = [{"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "spec": {"interval": "15m", "path": "a"}}]


@pytest.mark.parametrize("mine, settled", [
    # Already migrated, own key order and an own change elsewhere: settled.
    ([{"spec": {"path": "a", "interval": "30m"}, "apiVersion": "kustomize.toolkit.fluxcd.io/v1"}], True),
    # Still carries a field the release removed.
    ([{"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "spec": {"interval": "15m", "path": "a", "validation": "server"}}], False),
    # Still on the old API.
    ([{"apiVersion": "kustomize.toolkit.fluxcd.io/v1beta1", "spec": {"interval": "15m", "path": "a"}}], False),
    # A second document the release does not have.
    ([THEIRS[0], {"kind": "Extra"}], False),
    # Not a mapping where the release has one.
    ([{"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "spec": "x"}], False),
])
def test_settles_only_when_every_change_is_there(mine, settled):
    assert _has_all_changes(BASE, THEIRS, mine) is settled


def test_a_list_the_release_changed_must_match_whole():
    base, theirs = [{"l": [1, 2]}], [{"l": [1, 2, 3]}]
    assert _has_all_changes(base, theirs, [{"l": [1, 2, 3]}])
    assert not _has_all_changes(base, theirs, [{"l": [3, 2, 1]}])


def test_an_added_label_must_be_in_the_users_labels():
    base = [{"metadata": {"name": "x"}}]
    theirs = [{"metadata": {"name": "x", "labels": {"reconcile.fluxcd.io/watch": "Enabled"}}}]
    assert not _has_all_changes(base, theirs, [{"metadata": {"name": "x", "labels": {"team": "web"}}}])
    assert _has_all_changes(base, theirs, [{"metadata": {"name": "x", "labels": {"team": "web", "reconcile.fluxcd.io/watch": "Enabled"}}}])
