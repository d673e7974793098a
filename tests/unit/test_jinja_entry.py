"""The template's code as copier's Jinja extension imports it: once per code, per process."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

from tests.support.template_repo import PROJECT_ROOT


def entry_of(clone: Path):
    """jinja_entry.py of a clone of extensions/, loaded as copier's extension loader does:
    from its file, under a name of its own."""
    name = f"jinja_entry_of_{clone.parent.name}"
    spec = importlib.util.spec_from_file_location(name, clone / "jinja_entry.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clone(tmp_path: Path, name: str) -> Path:
    """A clone of extensions/ whose code is this test's own (copier's renders in this
    process may have imported the project's code already)."""
    target = tmp_path / name / "extensions"
    shutil.copytree(PROJECT_ROOT / "extensions", target, ignore=shutil.ignore_patterns("__pycache__"))
    (target / "layout.py").write_text((target / "layout.py").read_text() + f"\n# {tmp_path.name}\n")
    return target


def test_clones_of_the_same_code_share_one_import(tmp_path):
    first, second = clone(tmp_path, "first"), clone(tmp_path, "second")
    api = entry_of(first)._import_own_package()
    shutil.rmtree(first)  # copier removes each clone after its render
    assert entry_of(second)._import_own_package() is api
    # What the package imports later comes from the clone that is there.
    package = sys.modules[api.__name__.rpartition(".")[0]]
    assert package.__path__ == [str(second.resolve())]
    migrations = importlib.import_module(f"{package.__name__}.migrations")
    assert Path(migrations.__file__).resolve().parent == (second / "migrations").resolve()


def test_a_clone_removed_while_another_of_the_same_code_is_in_use_is_no_import_error(tmp_path):
    """An update renders the same release twice at once: the repository's render starts
    (its message before the update), the old render's starts and ends (its clone removed),
    then the repository's imports what a function needs (migrations)."""
    repository, old = clone(tmp_path, "repository"), clone(tmp_path, "old")
    api = entry_of(repository)._import_own_package()
    assert entry_of(old)._import_own_package() is api
    shutil.rmtree(old)
    package = sys.modules[api.__name__.rpartition(".")[0]]
    migrations = importlib.import_module(f"{package.__name__}.migrations")
    assert Path(migrations.__file__).resolve().parent == (repository / "migrations").resolve()


def test_other_code_is_imported_on_its_own(tmp_path):
    # The old and the new release in one `copier update`: each runs its own code.
    old, new = clone(tmp_path, "old"), clone(tmp_path, "new")
    (new / "layout.py").write_text((new / "layout.py").read_text() + "\nNEW_RELEASE = True\n")
    old_api, new_api = entry_of(old)._import_own_package(), entry_of(new)._import_own_package()
    assert old_api is not new_api
    assert not hasattr(old_api.layout, "NEW_RELEASE") and new_api.layout.NEW_RELEASE
