"""The one copier internal the template reads is guarded: gone or changed, it says so."""

import copier
import pytest

from flux_cookbook.extensions import copier_support


def test_this_copier_is_supported():
    copier_support.require_supported_copier()


def test_another_minor_release_is_refused(monkeypatch):
    monkeypatch.setattr(copier, "__version__", "9.20.0")
    with pytest.raises(copier_support.UnsupportedCopier, match=r"supports copier>=9.19.1,<9.20, and this is copier 9.20.0"):
        copier_support.require_supported_copier()


def test_a_missing_operation_variable_stops_instead_of_switching_checks_off(monkeypatch):
    from copier import _main

    monkeypatch.delattr(_main, "_operation")
    with pytest.raises(copier_support.UnsupportedCopier, match="no longer has copier._main._operation"):
        copier_support.private_operation()


def test_outside_an_operation_it_stops_too():
    # No copier operation is running here: the variable holds nothing.
    with pytest.raises(copier_support.UnsupportedCopier, match="not 'copy' or 'update'"):
        copier_support.private_operation()


def test_the_public_variable_wins_where_copier_gives_it():
    from jinja2 import Environment

    env = Environment()
    env.globals["copier_operation"] = copier_support.copier_operation
    assert env.from_string("{{ copier_operation() }}").render(_copier_operation="update") == "update"
