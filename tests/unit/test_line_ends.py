"""What a command writes into a user's file takes that file's line ends."""

from __future__ import annotations

import pytest

from flux_cookbook.extensions import line_ends


@pytest.mark.parametrize("text, newline", [
    ("a: 1\nb: 2\n", "\n"),
    ("a: 1\r\nb: 2\r\n", "\r\n"),
    ("a: 1\nb: 2\r\n", "\r\n"),  # one CRLF makes it a CRLF file: what goes in adds no LF line
    ("a: 1", "\n"),
    ("", "\n"),
])
def test_a_file_with_any_crlf_is_written_in_crlf(text, newline):
    assert line_ends.of(text) == newline


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_converted_ends_every_line_alike_whatever_it_had(newline):
    assert line_ends.converted("a\nb\r\nc", newline) == f"a{newline}b{newline}c"
