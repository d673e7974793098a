"""A YAML file of several documents taken apart as text, every byte of each document kept.

adopt moves an object that shares its file with others to a file of its own. No YAML
dumper takes part: the object's document goes as the user wrote it (comments, quoting,
line ends), and the file keeps the other documents as they are written.

Where a document's text is: a separator line (`---`, alone or with a comment) starts a
document, which runs to the next separator; the text before the first separator is the
first document when it holds one, else the file's header (comments), which belongs to no
document and stays in the file. A bare separator line does not go with the document (a
comment on it does); blank lines around a document are spacing between documents and
are left out of its own file, and blank lines at the end of what the file keeps go too,
as yamllint wants a file to end.

Refused (SplitRefused, saying why): YAML directives (`%YAML`, `%TAG`) and document end
markers (`...`), which change how the documents after them read; content on a separator
line (`--- |`); an alias to an anchor of another document (PyYAML cannot read such a file
at all); and any text that does not load back to exactly the object it stands for, the
documents read one by one against the file read whole, each piece against its object, and
what the file keeps against the objects that stay.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

from flux_cookbook.extensions import bounded_yaml, document_split

# A separator line, without its line end: `---`, then nothing but spaces and a comment.
SEPARATOR = re.compile(r"---(?:[ \t]*|[ \t]+#.*)")
BARE_SEPARATOR = re.compile(r"---[ \t]*")


class SplitRefused(ValueError):
    """The file cannot be taken apart safely; the message says why."""


@dataclass(frozen=True)
class Segment:
    """A separator line and the lines up to the next one, and what they load to."""

    separator: str  # the separator line with its line end; "" for the text before the first
    body: str
    documents: tuple  # () for comments only (the file's header), else (the object,) - None when empty

    @property
    def text(self) -> str:
        return self.separator + self.body

    @property
    def obj(self) -> Any:
        return self.documents[0] if self.documents else None


@dataclass(frozen=True)
class Taken:
    pieces: dict[int, str]  # position -> the document's own text, for its own file
    rest: str | None  # what the file keeps; None when no object stays and the file goes
    carried: str  # when the file goes: its text (comments) of no document, now atop the first moved object's


@dataclass(frozen=True)
class SplitFile:
    segments: tuple[Segment, ...]

    def positions(self) -> list[Segment]:
        """The segments holding an object, in order: position n is the file's n-th object
        (empty documents left out, as the repository model's written_documents counts them)."""
        return [segment for segment in self.segments if segment.obj is not None]

    def piece(self, position: int) -> str:
        """The text of the object at `position` for a file of its own; SplitRefused if that
        text would not load back to exactly the object."""
        segment = self.positions()[position]
        bare = not segment.separator or BARE_SEPARATOR.fullmatch(segment.separator.rstrip("\r\n"))
        text = _trim_blank_lines(segment.body if bare else segment.text, start=True)
        _check_loads_to(text, [segment.obj], f"its document, taken out of the file (object {position + 1})")
        return text

    def take(self, positions: set[int]) -> Taken:
        """The objects at `positions` out of the file, and what the file keeps."""
        moving = [self.positions()[position] for position in sorted(positions)]
        pieces = {position: self.piece(position) for position in sorted(positions)}
        kept = [segment for segment in self.segments if not any(segment is m for m in moving)]
        staying = [segment.obj for segment in kept if segment.obj is not None]
        kept_text = "".join(segment.text for segment in kept)
        if not staying:
            # The file goes: its own comments (a header above every document) go atop the
            # first object's file, the first thing a reader of the file met before.
            left = "".join(line for line in document_split.lines(kept_text)
                           if line.strip() and not BARE_SEPARATOR.fullmatch(line.rstrip("\r\n")))
            if left and pieces:
                first = min(pieces)
                pieces[first] = left + pieces[first]
                _check_loads_to(pieces[first], [self.positions()[first].obj],
                                f"its document with the file's comments above it (object {first + 1})")
            return Taken(pieces, None, left)
        rest = _trim_blank_lines(kept_text, start=False)
        _check_loads_to(rest, staying, "what the file keeps")
        return Taken(pieces, rest, "")


def split_file(text: str) -> SplitFile:
    """`text` taken apart into its documents; SplitRefused when that is not safe."""
    for number, line in enumerate(document_split.lines(text), start=1):
        bare = line.rstrip("\r\n")
        if bare.startswith("%"):
            raise SplitRefused(
                f"line {number} is a YAML directive ({bare.split()[0]}), and adopt splits no file with directives")
        if document_split.DOCUMENT_END.match(line):
            raise SplitRefused(f"line {number} is a document end marker (...), and adopt splits no file with one")
        if document_split.DOCUMENT_START.match(line) and not SEPARATOR.fullmatch(bare):
            raise SplitRefused(f"line {number} has content on its separator line ({bare!r})")
    # Without directives and end markers, each piece but a header (the text before the
    # first separator, "" when the text opens with one) is a separator line and its body.
    pieces = document_split.split_documents(text)
    if not pieces or document_split.DOCUMENT_START.match(pieces[0]):
        pieces.insert(0, "")
    header, *separated = pieces
    segments = [("", header)]
    for piece in separated:
        separator = document_split.lines(piece)[0]
        segments.append((separator, piece[len(separator):]))
    _refuse_cross_document_aliases(text)
    whole = _load_all(text, "the file")
    split = SplitFile(tuple(
        Segment(separator, body, tuple(_load_all(separator + body, "a document")))
        for separator, body in segments
    ))
    one_by_one = [obj for segment in split.segments for obj in segment.documents]
    # A separator starts exactly one document; the header before the first holds at most one.
    header, *separated = split.segments
    counts_wrong = len(header.documents) > 1 or any(len(segment.documents) != 1 for segment in separated)
    if counts_wrong or not _same(one_by_one, whole):
        raise SplitRefused("its documents, read one by one, are not what the file holds read whole")
    return split


def _refuse_cross_document_aliases(text: str) -> None:
    """Every alias names an anchor of its own document (YAML's rule, which PyYAML enforces
    by refusing the whole file; said here with the names, which its message lacks)."""
    anchors: set[str] = set()
    document = 0
    try:
        for event in yaml.parse(text, Loader=bounded_yaml.SAFE_LOADER):
            if isinstance(event, yaml.DocumentStartEvent):
                anchors, document = set(), document + 1
            elif isinstance(event, yaml.AliasEvent) and event.anchor not in anchors:
                raise SplitRefused(
                    f"document {document} uses the alias *{event.anchor}, and no anchor &{event.anchor} is in "
                    "that document: anchors and aliases across documents cannot be split"
                )
            elif isinstance(event, yaml.NodeEvent) and event.anchor is not None:
                anchors.add(event.anchor)
    except yaml.YAMLError as error:
        raise SplitRefused(f"it is not readable as YAML ({str(error).splitlines()[0]})") from None


def _load_all(text: str, what: str) -> list:
    # The loader the repository model reads with: the same objects, compared.
    try:
        return bounded_yaml.load_all(text)
    except yaml.YAMLError as error:
        raise SplitRefused(f"{what} is not readable as YAML on its own ({str(error).splitlines()[0]})") from None


def _check_loads_to(text: str, objects: list, what: str) -> None:
    loaded = [obj for obj in _load_all(text, what) if obj is not None]
    if not _same(loaded, objects):
        raise SplitRefused(f"{what} would not read back as the same object(s)")


def _trim_blank_lines(text: str, start: bool) -> str:
    """`text` without its trailing blank lines (and leading ones with `start`)."""
    lines = document_split.lines(text)
    while start and lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "".join(lines)


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (Python holds 1 == True == 1.0; YAML does not)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return len(a) == len(b) and all(
            _same(key_a, key_b) and _same(value_a, value_b)
            for (key_a, value_a), (key_b, value_b) in zip(a.items(), b.items())
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b
