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


def test_tasks_run_some_other_way_is_named(monkeypatch):
    from copier import _main

    def _execute_tasks(self, tasks):
        for task in tasks:
            _main.os.system(task.cmd)

    monkeypatch.setattr(_main.Worker, "_execute_tasks", _execute_tasks)
    with pytest.raises(bulk_update.CopierSeamChanged, match=r"_execute_tasks no longer calls subprocess.run"):
        bulk_update.check_seams()


def test_a_copier_without_the_subprocess_module_is_named(monkeypatch):
    from copier import _main

    monkeypatch.delattr(_main, "subprocess")
    with pytest.raises(bulk_update.CopierSeamChanged, match="no longer runs tasks through the subprocess module"):
        bulk_update.check_seams()
