import importlib.util
import sys

from flux_cookbook.extensions.told_once import tell_once

TOLD_ONCE = sys.modules[tell_once.__module__].__file__


def own_copy(name: str):
    """The module loaded again under another name, as copier loads each template checkout."""
    spec = importlib.util.spec_from_file_location(name, TOLD_ONCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_note_is_told_once_by_every_copy_of_the_code(capsys):
    copies = [own_copy("told_once_checkout_a"), own_copy("told_once_checkout_b")]
    for module in copies * 2:
        module.tell_once(("test", "shared key"), "the note")
    tell_once(("test", "shared key"), "the note")
    assert capsys.readouterr().err == "the note\n"


def test_other_notes_are_told_too(capsys):
    tell_once(("test", 1), "one")
    tell_once(("test", 2), "two")
    assert capsys.readouterr().err == "one\ntwo\n"
