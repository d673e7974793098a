import pytest
import yaml
from ruamel.yaml import YAML

from flux_cookbook.extensions.values_overrides import apply_overrides
from flux_cookbook.extensions.yaml_quoting import (
    needs_escapes,
    retyped_when_plain,
    yaml_block,
    yaml_document,
    yaml_embedded,
    yaml_literal,
    yaml_scalar,
)

TRICKY = ["plain", "yes", "no", "on", "null", "~", "123", "0x1F", "1e3", "1_000", "a: b", "# x", "x #y", "*alias",
          "&anchor", "!tag", "{a}", "[1]", "'single'", '"double"', "tab\there", "new\nline", " lead", "trail ",
          "ünïcödé ✓", "", "---", "...", "- item", "@at", "`tick", "%pct", "a\r\nb", "\x07bell"]


@pytest.mark.parametrize("value", TRICKY)
def test_scalar_round_trips_as_the_value_of_one_key(value):
    document = yaml.safe_load(f"key: {yaml_scalar(value)}\nother: 1\n")
    assert document == {"key": value, "other": 1}


# Plain, these are strings to PyYAML but numbers or booleans to Go's YAML readers (Helm,
# helm-controller, kustomize) or to YAML 1.2.
GO_LOOK_ALIKES = ["y", "N", "0o17", "0O17", "0b101", "0B1", "0x_1F", "1e3", "-2E+5", "1_000", ".5", "+12"]


@pytest.mark.parametrize("value", GO_LOOK_ALIKES)
def test_what_go_would_retype_is_quoted(value):
    assert retyped_when_plain(value)
    assert yaml_scalar(value) == f'"{value}"'
    assert yaml_block([value], 2) == f'  - "{value}"'


@pytest.mark.parametrize("value", ["podinfo", "6.x", "v1", "1.2.3", "0x", "1e", "e3", "on-call", "_1", "0o8"])
def test_what_every_reader_takes_as_text_stays_plain(value):
    assert not retyped_when_plain(value)
    assert yaml_scalar(value) == value


def test_scalar_is_plain_when_safe():
    assert yaml_scalar("podinfo") == "podinfo"
    assert yaml_scalar("https://stefanprodan.github.io/podinfo") == "https://stefanprodan.github.io/podinfo"


@pytest.mark.parametrize("text", ["a\nb\n", "a\nb", "a\n\n\n", "  indented\nx\n", "x\r\ny", "\n\nlead\n",
                                  "tab\tin\n", "a\n  \nb\n", "end   \n", "\tlead tab\n", "x\x07y\n", "# comment: only\n"])
def test_literal_round_trips_under_a_nested_key(text):
    document = yaml.safe_load(f"data:\n  values.yaml: {yaml_literal(text, 4)}\nafter: 1\n")
    assert document == {"data": {"values.yaml": text}, "after": 1}


def test_literal_is_a_readable_block():
    assert yaml_literal("a: 1\nb: 2\n", 4) == "|\n    a: 1\n    b: 2"


def test_block_nests_under_its_key():
    checks = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "yes", "namespace": "x"}]
    assert yaml.safe_load("spec:\n  healthChecks:\n" + yaml_block(checks, 4)) == {"spec": {"healthChecks": checks}}


def test_block_refuses_what_it_cannot_place():
    with pytest.raises(ValueError):
        yaml_block([], 4)


def test_document_keeps_key_order():
    assert yaml_document({"b": 1, "a": [1]}) == "b: 1\na:\n- 1\n"


# Characters that readers fold, normalise or refuse when written raw, and their neighbours
# that must stay as they are. Each is tried alone, inside, leading and trailing, doubled
# around a line break, on every path, and read back by PyYAML (YAML 1.1) and ruamel
# (YAML 1.2).
CHARACTER_CLASSES = {
    "NEL U+0085": "\x85", "LINE SEPARATOR U+2028": "\u2028", "PARAGRAPH SEPARATOR U+2029": "\u2029",
    "BOM U+FEFF": "\ufeff", "noncharacter U+FFFE": "\ufffe", "noncharacter U+FFFF": "\uffff",
    "NUL": "\x00", "C0 SOH": "\x01", "C0 BEL": "\x07", "C0 VT": "\x0b", "C0 FF": "\x0c", "C0 ESC": "\x1b",
    "carriage return": "\r", "CRLF": "\r\n", "DEL": "\x7f", "C1 U+0080": "\x80", "C1 CSI U+009B": "\x9b",
    "C1 U+009F": "\x9f", "tab": "\t", "space": " ", "line feed": "\n", "NBSP U+00A0": "\xa0",
    "astral U+1F600": "\U0001f600", "private use U+E000": "\ue000", "lone surrogate U+DC80": "\udc80",
    "backslash": "\\", "double quote": '"', "single quote": "'",
}
PLACEMENTS = {"alone": "{c}", "inside": "a{c}b", "leading": "{c}a", "trailing": "a{c}", "around a break": "{c}{c}x\n{c}y{c}"}
YAML_1_2 = YAML(typ="safe", pure=True)


def read_both(document: str) -> tuple:
    """The data PyYAML and a YAML 1.2 reader make of `document`."""
    return yaml.safe_load(document), YAML_1_2.load(document)


def texts() -> list:
    return [pytest.param(form.format(c=char), id=f"{name}-{placement}")
            for name, char in CHARACTER_CLASSES.items() for placement, form in PLACEMENTS.items()]


def assert_written_safely(written: str) -> None:
    """Nothing a reader could fold or refuse stands raw in the output (Go reads it too)."""
    assert not needs_escapes(written), repr(written)


@pytest.mark.parametrize("text", texts())
def test_scalar_writes_every_character_class_back_exactly(text):
    written = yaml_scalar(text)
    assert "\n" not in written
    assert_written_safely(written)
    assert read_both(f"key: {written}\nother: 1\n") == ({"key": text, "other": 1},) * 2


@pytest.mark.parametrize("text", texts())
def test_block_writes_every_character_class_back_exactly(text):
    # The path of health_checks: a health check kind holding U+0085 once came back as a space.
    checks = [{"apiVersion": "apps/v1", "kind": text, "name": text, "namespace": "x"}]
    written = yaml_block(checks, 4)
    assert_written_safely(written)
    assert read_both("spec:\n  healthChecks:\n" + written + "\n") == ({"spec": {"healthChecks": checks}},) * 2


@pytest.mark.parametrize("text", texts())
def test_document_writes_every_character_class_back_exactly(text):
    answers = {"health_checks": [{"kind": text}], text: text, "values_source": text}
    written = yaml_document(answers)
    assert_written_safely(written)
    assert read_both(written) == (answers,) * 2


@pytest.mark.parametrize("ending", ["", "\n", "\n\n"], ids=["no final break", "one final break", "two final breaks"])
@pytest.mark.parametrize("text", texts())
def test_literal_writes_every_character_class_back_exactly(text, ending):
    value = "first: 1\n" + text + ending
    written = yaml_literal(value, 4)
    assert_written_safely(written)
    assert read_both(f"data:\n  values.yaml: {written}\nafter: 1\n") == ({"data": {"values.yaml": value}, "after": 1},) * 2


@pytest.mark.parametrize("text", texts())
def test_embedded_values_write_every_character_class_back_exactly(text):
    values = {"note": text, "list": [text], "nested": {text: 1}}
    for values_text in [yaml_document(values), "---\n" + yaml_document(values)]:  # as it is, and re-dumped
        written = yaml_embedded(values_text, 4)
        assert_written_safely(written)
        assert read_both("spec:\n  values:" + written + "\n") == ({"spec": {"values": values}},) * 2


@pytest.mark.parametrize("text", texts())
def test_a_value_override_writes_every_character_class_back_exactly(text):
    written = apply_overrides("# chart values\nreplicaCount: 1\n", {"note": text})
    assert_written_safely(written)
    assert read_both(written) == ({"replicaCount": 1, "note": text},) * 2


@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029", "\ufeff", "\x7f", "\x9b", "\x01", "\r", "\udc80"])
def test_what_readers_fold_or_refuse_is_written_as_an_escape(char):
    assert needs_escapes("a" + char)
    assert retyped_when_plain("a" + char)
    assert yaml_scalar("a" + char).startswith('"a\\')
    assert yaml_literal("a" + char + "\n", 4).startswith('"a\\')


@pytest.mark.parametrize("text", ["ünïcödé ✓", "\U0001f600", "nbsp\xa0", "trailing space ", "\ue000"])
def test_what_every_reader_keeps_is_written_raw(text):
    assert not needs_escapes(text)
    assert text in yaml_scalar(text)
    assert yaml_literal(text + "\n", 4) == "|\n    " + text


@pytest.mark.parametrize("text", [" lead\n", "\n\n lead\n", "  \nx\n", "\n  \n x\n"])
def test_literal_says_its_indentation_when_the_first_lines_start_with_spaces(text):
    written = yaml_literal(text, 4)
    assert written.startswith("|2")
    assert read_both(f"data:\n  k: {written}\n") == ({"data": {"k": text}},) * 2


def test_comment_only_values_follow_an_empty_mapping_at_the_keys_indentation():
    """yamllint's comments-indentation wants a comment where the content around it is."""
    assert yaml_embedded("# paste here\n#   helm show values x\n", 4) == " {}\n  # paste here\n  #   helm show values x"


def test_embedded_values_with_a_tab_before_a_comment_stay_as_the_chart_wrote_them():
    """Helm reads a chart's `replicaCount: 1<tab># how many` (libyaml's rules); so does the
    HelmRelease they are embedded in, line for line."""
    assert yaml_embedded("replicaCount: 1\t# how many\n", 4) == "\n    replicaCount: 1\t# how many"
