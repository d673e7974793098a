"""tests/support/txtar.py: the one-file form of the flux-local test clusters."""

from __future__ import annotations

import pytest

from tests.support import txtar

FILES = {"a.yaml": "kind: A\n", "deep/er/b.md": "no final newline", "empty": ""}


def test_files_read_back_as_written_each_ending_in_a_newline():
    text = txtar.write(FILES, "a comment\nof two lines")
    assert text.startswith("a comment\nof two lines\n-- a.yaml --\n")
    assert txtar.read(text) == {"a.yaml": "kind: A\n", "deep/er/b.md": "no final newline\n", "empty": ""}


def test_a_line_that_only_looks_like_a_marker_stays_content():
    text = "-- a --\n--  --\n-- b --x\n -- c --\n"
    assert txtar.read(text) == {"a": "--  --\n-- b --x\n -- c --\n"}


def test_extract_writes_each_file_under_the_folder(tmp_path):
    archive = tmp_path / "t.txtar"
    archive.write_text(txtar.write(FILES))
    written = txtar.extract(archive, tmp_path / "out")
    assert [p.relative_to(tmp_path / "out").as_posix() for p in written] == list(FILES)
    assert (tmp_path / "out/deep/er/b.md").read_text() == "no final newline\n"


@pytest.mark.parametrize("name", ["../escape.yaml", "/etc/escape.yaml", "a/../../escape.yaml"])
def test_a_path_leaving_the_folder_is_refused_and_nothing_written(tmp_path, name):
    archive = tmp_path / "t.txtar"
    archive.write_text(txtar.write({"first.yaml": "x\n", name: "x\n"}))
    with pytest.raises(ValueError, match="outside the folder"):
        txtar.extract(archive, tmp_path / "out")
    assert not (tmp_path / "escape.yaml").exists() and not (tmp_path / "out").exists()
