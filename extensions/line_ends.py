"""A file's line ends. What a command writes into a file the user has goes in that file's
own line ends: a file with a CRLF anywhere is taken as a CRLF file (an editor or git's
autocrlf wrote it so), and a mix is never made worse."""

from __future__ import annotations


def of(text: str) -> str:
    """The line end to write into `text`: "\\r\\n" where it has any, else "\\n"."""
    return "\r\n" if "\r\n" in text else "\n"


def converted(text: str, newline: str) -> str:
    """`text` (in either line ends) with every line ended by `newline`."""
    return text.replace("\r\n", "\n").replace("\n", newline)


def all_crlf(text: str) -> bool:
    """Every line ended by CRLF (the last may have no end): a file of mixed line ends is not."""
    return "\r\n" in text and text.count("\r\n") == text.count("\n")
