"""copy or update, from copier's public context only (extensions/copier_support.py)."""

from __future__ import annotations

from flux_cookbook.extensions import copier_support, layout


def test_only_a_copy_without_overwrite_checks_the_destination():
    assert copier_support.checks_destination({"overwrite": False}) is True
    assert copier_support.checks_destination({"overwrite": True}) is False


def test_an_app_is_being_updated_when_overwrite_is_on_and_the_destination_records_it(tmp_path):
    (tmp_path / layout.app_answers_file("web")).write_text("kind: app\n")
    on, off = {"overwrite": True, "dst_path": tmp_path}, {"overwrite": False, "dst_path": tmp_path}
    assert copier_support.updating_app(on, "web") is True
    assert copier_support.updating_app(off, "web") is False  # a plain copy: the checks refuse it
    assert copier_support.updating_app(on, "api") is False  # a new app, copied with --overwrite
    assert copier_support.updating_app(on, "") is False  # not answered yet (copier asks in order)
