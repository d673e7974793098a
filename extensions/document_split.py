"""A YAML text cut into its documents' text, every byte kept: the one splitter.

The migrations rewrite a file document by document, and adopt moves a document to a file
of its own; both need each document's text as it is written (comments, quoting, line
ends), which no YAML loader gives back. Lines end at "\\n" only ("\\r\\n" keeps its "\\r"
in the line), as a file's bytes hold them: the pieces join back to the text exactly.
"""

from __future__ import annotations

import re

# YAML's document markers at the start of a line: `---` (a document starts) and `...` (it
# ends), each followed by a blank, the line's end or the text's.
DOCUMENT_START = re.compile(r"---(?=\s|$)")
DOCUMENT_END = re.compile(r"\.\.\.(?=\s|$)")
_LINES = re.compile(r"[^\n]*\n|[^\n]+$")


def lines(text: str) -> list[str]:
    """Lines with their endings; only \\n ends a line (str.splitlines knows more)."""
    return _LINES.findall(text)


def is_blank_or_comment(line: str) -> bool:
    return line.strip() == "" or line.lstrip().startswith("#")


def split_documents(text: str) -> list[str]:
    """The text cut before every `---` and after every `...` line; joins back exactly.

    Directives (`%YAML`) and the comments among them go with the document after them, and
    a `---` that opens the text starts its first piece."""
    chunks: list[list[str]] = [[]]
    for line in lines(text):
        current = chunks[-1]
        if DOCUMENT_START.match(line) and current and not _only_directives(current):
            chunks.append(current := [])
        current.append(line)
        if DOCUMENT_END.match(line):
            chunks.append([])
    return ["".join(chunk) for chunk in chunks if chunk]


def _only_directives(chunk: list[str]) -> bool:
    """Directives (`%YAML`) and comments: they belong to the document after them."""
    directives = [x for x in chunk if x.startswith("%")]
    return bool(directives) and all(x in directives or is_blank_or_comment(x) for x in chunk)
