"""update_all's speed-ups patch copier internals; a copier that moved them must stop the run."""

import pytest

from flux_cookbook import bulk_update


def test_the_installed_copier_has_the_seams():
    bulk_update.check_seams()


def test_a_moved_clone_is_named(monkeypatch):
    from copier import _template

    monkeypatch.setattr(_template, "clone", lambda *args, **kwargs: "/elsewhere")
    with pytest.raises(bulk_update.CopierSeamChanged, match="copier._template.clone is no longer copier._vcs.clone"):
        bulk_update.check_seams()


def test_a_property_that_is_no_longer_cached_is_named(monkeypatch):
    from copier import _template

    monkeypatch.setattr(_template.Template, "commit", property(lambda self: None))
    with pytest.raises(bulk_update.CopierSeamChanged, match="Template.commit is no longer a cached_property"):
        bulk_update.check_seams()
