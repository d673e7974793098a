"""Taking a YAML file of several documents apart as text (flux_cookbook/adopt/yaml_split.py)."""

from __future__ import annotations

import textwrap

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from flux_cookbook.adopt.yaml_split import SplitRefused, split_file


def text(value: str) -> str:
    return textwrap.dedent(value).lstrip("\n")


REPOSITORIES = text("""
    # Every Helm repository of the cluster.
    # (one file, as the cookbook's first pages had it)
    ---
    # podinfo: the demo app
    apiVersion: source.toolkit.fluxcd.io/v1beta1
    kind: HelmRepository
    metadata:
      name: podinfo
      namespace: flux-system
    spec:
      interval: 15m
      url: "https://stefanprodan.github.io/podinfo" # quoted, as written

    ---   # bitnami
    apiVersion: source.toolkit.fluxcd.io/v1beta1
    kind: HelmRepository
    metadata:
      name: bitnami
      namespace: flux-system
    spec:
      interval: 1h
      url: https://charts.bitnami.com/bitnami
    # the end of bitnami
    ---
    apiVersion: source.toolkit.fluxcd.io/v1beta1
    kind: HelmRepository
    metadata: {name: jetstack, namespace: flux-system}
    spec:
      interval: 15m
      url: 'https://charts.jetstack.io'
    # trailing comment of the file
    """)


def objects(value: str) -> list:
    return [doc for doc in yaml.safe_load_all(value) if doc is not None]


def test_comments_before_between_and_after_documents_go_with_their_document():
    split = split_file(REPOSITORIES)
    taken = split.take({0, 2})
    assert taken.pieces == {
        # The bare separator and the blank line before the next one are spacing, not the document.
        0: REPOSITORIES.split("---\n", 1)[1].split("\n\n---")[0] + "\n",
        # What follows the last separator, the file's closing comment included.
        2: REPOSITORIES.rsplit("---\n", 1)[1],
    }
    assert taken.pieces[0].startswith("# podinfo: the demo app\n")
    assert 'url: "https://stefanprodan.github.io/podinfo" # quoted, as written\n' in taken.pieces[0]
    assert taken.pieces[2].endswith("url: 'https://charts.jetstack.io'\n# trailing comment of the file\n")
    # The header belongs to no document: it stays, and so does the comment on bitnami's separator.
    assert taken.rest == (
        "# Every Helm repository of the cluster.\n# (one file, as the cookbook's first pages had it)\n"
        + "---   # bitnami\n" + REPOSITORIES.split("---   # bitnami\n")[1].split("---\n")[0].rstrip("\n") + "\n"
    )
    assert objects(taken.rest) == [objects(REPOSITORIES)[1]]
    assert [objects(piece) for piece in taken.pieces.values()] == [[objects(REPOSITORIES)[0]], [objects(REPOSITORIES)[2]]]


def test_a_comment_on_the_separator_line_goes_with_its_document():
    piece = split_file(REPOSITORIES).take({1}).pieces[1]
    assert piece.startswith("---   # bitnami\napiVersion:") and piece.endswith("# the end of bitnami\n")


def test_without_a_leading_separator_the_first_document_starts_the_file():
    source = "# podinfo's namespace\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: podinfo\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n"
    taken = split_file(source).take({0})
    assert taken.pieces[0] == source.split("---\n")[0]  # its comment went with it
    assert taken.rest == "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n"
    keep_first = split_file(source).take({1})
    assert (keep_first.pieces[1], keep_first.rest) == (source.split("---\n")[1], source.split("---\n")[0])


def test_every_object_taken_out_removes_the_file_and_its_comments_go_atop_the_first():
    taken = split_file(REPOSITORIES).take({0, 1, 2})
    assert taken.rest is None
    header = "# Every Helm repository of the cluster.\n# (one file, as the cookbook's first pages had it)\n"
    assert taken.carried == header
    assert taken.pieces[0] == header + split_file(REPOSITORIES).piece(0)
    assert objects(taken.pieces[0]) == objects(REPOSITORIES)[:1]
    bare = split_file("---\na: 1\n---\nb: 2\n---\n").take({0, 1})
    assert (bare.rest, bare.carried, bare.pieces) == (None, "", {0: "a: 1\n", 1: "b: 2\n"})  # nothing to carry


def test_a_trailing_separator_and_empty_documents_stay_with_the_file():
    source = "---\n---\n# nothing here\n---\na: 1\n---\nb: 2\n---\n"
    split = split_file(source)
    assert len(split.positions()) == 2  # empty documents are no objects, as adopt counts them
    taken = split.take({0})
    assert taken.pieces == {0: "a: 1\n"}
    assert taken.rest == "---\n---\n# nothing here\n---\nb: 2\n---\n"
    taken = split.take({1})
    assert (taken.pieces, taken.rest) == ({1: "b: 2\n"}, "---\n---\n# nothing here\n---\na: 1\n---\n")


def test_crlf_line_ends_are_kept():
    source = "# header\r\n---\r\napiVersion: v1\r\nkind: Namespace\r\nmetadata:\r\n  name: a # first\r\n\r\n---\r\napiVersion: v1\r\nkind: Namespace\r\nmetadata:\r\n  name: b\r\n"
    taken = split_file(source).take({1})
    assert taken.pieces == {1: "apiVersion: v1\r\nkind: Namespace\r\nmetadata:\r\n  name: b\r\n"}
    assert taken.rest == "# header\r\n---\r\napiVersion: v1\r\nkind: Namespace\r\nmetadata:\r\n  name: a # first\r\n"


def test_a_last_line_without_its_line_end_stays_so():
    taken = split_file("a: 1\n---\nb: 2").take({1})
    assert (taken.pieces, taken.rest) == ({1: "b: 2"}, "a: 1\n")


def test_anchors_within_one_document_go_with_it():
    source = "a: 1\n---\nbase: &base {x: 1}\nother: *base\n"
    assert split_file(source).take({1}).pieces == {1: "base: &base {x: 1}\nother: *base\n"}


@pytest.mark.parametrize(("source", "reason"), [
    ("a: &shared 1\n---\nb: *shared\n", "document 2 uses the alias *shared, and no anchor &shared is in that document"),
    ("%YAML 1.1\n---\na: 1\n---\nb: 2\n", "line 1 is a YAML directive (%YAML)"),
    ("%TAG !k! tag:k8s.io,2024:\n---\na: 1\n", "line 1 is a YAML directive (%TAG)"),
    ("a: 1\n...\n---\nb: 2\n", "line 2 is a document end marker (...)"),
    ("a: 1\n--- !!map\nb: 2\n", "line 2 has content on its separator line ('--- !!map')"),
    ("a: 1\n--- |\n  text\n", "line 2 has content on its separator line"),
    ("a: [1, 2\n---\nb: 2\n", "it is not readable as YAML"),
    # A line break YAML knows and a file's lines do not: one "line" holds two documents.
    ("a: 1\u2028---\u2028b: 2\n---\nc: 3\n", "its documents, read one by one, are not what the file holds read whole"),
])
def test_what_cannot_be_split_safely_is_refused_with_the_reason(source, reason):
    with pytest.raises(SplitRefused, match="^" + __import__("re").escape(reason)):
        split_file(source)


def test_a_piece_that_would_not_read_back_as_its_object_is_refused():
    # `|+` keeps the blank lines that end the document: they belong to the value, and the
    # piece, without the blank lines between documents, would read back otherwise.
    source = "a: |+\n  kept\n\n---\nb: 1\n"
    split = split_file(source)
    assert objects(source)[0] == {"a": "kept\n\n"}
    with pytest.raises(SplitRefused, match=r"its document, taken out of the file \(object 1\) would not read back"):
        split.piece(0)
    with pytest.raises(SplitRefused, match="what the file keeps would not read back"):
        split.take({1})  # the same blank lines would end the file that keeps `a`


def test_objects_compare_by_type_not_only_by_value():
    from flux_cookbook.adopt.yaml_split import _same

    assert _same({"a": [1, "x"]}, {"a": [1, "x"]})
    assert not _same({"a": 1}, {"a": True}) and not _same([1], [1.0]) and not _same({1: "x"}, {True: "x"})
    assert _same(float("nan"), float("nan"))


# --- every split, of generated files -------------------------------------------------

DOCUMENTS = [
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: one # inline comment\n",
    "# leading comment\nkind: ConfigMap\ndata:\n  values.yaml: |\n    replicaCount: 2 # not a comment\n\n    ui: {}\n",
    "kind: HelmRepository\nspec:\n  url: 'https://x.example/charts'\n# closing comment\n",
    "items: [1, 2, 3]\nanchored: &a {k: v}\nagain: *a\n",
    "",  # an empty document
    "# only a comment\n",
]
SEPARATORS = ["---\n", "---   \n", "--- # separator comment\n"]


@st.composite
def files(draw):
    count = draw(st.integers(1, 5))
    parts = []
    header = draw(st.sampled_from(["", "# header\n", "# header\n\n"]))
    first_separator = draw(st.booleans()) or not header == ""
    for number in range(count):
        separator = draw(st.sampled_from(SEPARATORS)) if number or first_separator else ""
        blank = draw(st.sampled_from(["", "\n", "\n\n"]))
        parts.append(separator + draw(st.sampled_from(DOCUMENTS)) + blank)
    trailing = draw(st.sampled_from(["", "---\n"]))
    source = (header if first_separator else "") + "".join(parts) + trailing
    return source.replace("\n", "\r\n") if draw(st.booleans()) else source


@settings(derandomize=True, max_examples=300, deadline=None)
@given(files(), st.data())
def test_every_split_reads_back_and_loses_no_line(source, data):
    split = split_file(source)
    whole = objects(source)
    positions = set(data.draw(st.sets(st.integers(0, max(len(whole) - 1, 0)))) if whole else set())
    taken = split.take(positions)
    assert [objects(taken.pieces[p]) for p in sorted(positions)] == [[whole[p]] for p in sorted(positions)]
    staying = [obj for p, obj in enumerate(whole) if p not in positions]
    assert (taken.rest is None) == (not staying)
    if taken.rest is not None:
        assert objects(taken.rest) == staying
    # Every line of the file that is more than spacing is in exactly one of the outputs, as written.
    def lines(value: str) -> list[str]:
        return [line for line in value.splitlines(keepends=True) if line.strip() and line.strip() != "---"]
    # (The file's own comments, when it goes, are atop the first object's; with no object, nowhere to go.)
    outputs = [*taken.pieces.values(), taken.rest if taken.rest is not None else "" if taken.pieces else taken.carried]
    assert sorted(line for output in outputs for line in lines(output)) == sorted(lines(source))
