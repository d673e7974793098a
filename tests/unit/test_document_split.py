"""The one splitter of a YAML text into its documents' text (extensions/document_split.py)."""

import pytest

from flux_cookbook.extensions.document_split import lines, split_documents


@pytest.mark.parametrize(("text", "pieces"), [
    ("", []),
    ("a: 1\n", ["a: 1\n"]),
    ("---\na: 1\n---\nb: 2\n", ["---\na: 1\n", "---\nb: 2\n"]),
    ("# header\n---\na: 1\n--- # two\r\nb: 2", ["# header\n", "---\na: 1\n", "--- # two\r\nb: 2"]),
    ("a: 1\n...\n---\nb: 2\n", ["a: 1\n...\n", "---\nb: 2\n"]),
    # Directives and their comments go with the document after them.
    ("%YAML 1.1\n# why\n---\na: 1\n", ["%YAML 1.1\n# why\n---\na: 1\n"]),
    # Not a marker: `---` or `...` inside a line, or followed by more than a blank.
    ("a: ---\nb: |\n  ---x\n....\n", ["a: ---\nb: |\n  ---x\n....\n"]),
])
def test_documents_are_cut_at_their_markers_and_join_back(text, pieces):
    assert split_documents(text) == pieces
    assert "".join(pieces) == text


def test_only_a_newline_ends_a_line():
    assert lines("a\r\nb\u2028c\nd") == ["a\r\n", "b\u2028c\n", "d"]
