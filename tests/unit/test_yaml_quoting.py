import pytest
import yaml

from flux_cookbook.extensions.yaml_quoting import retyped_when_plain, yaml_block, yaml_document, yaml_literal, yaml_scalar

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
