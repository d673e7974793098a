import pytest
import yaml

from extensions.yaml_quoting import yaml_block, yaml_document, yaml_literal, yaml_scalar

TRICKY = ["plain", "yes", "no", "on", "null", "~", "123", "0x1F", "1e3", "1_000", "a: b", "# x", "x #y", "*alias",
          "&anchor", "!tag", "{a}", "[1]", "'single'", '"double"', "tab\there", "new\nline", " lead", "trail ",
          "ünïcödé ✓", "", "---", "...", "- item", "@at", "`tick", "%pct", "a\r\nb", "\x07bell"]


@pytest.mark.parametrize("value", TRICKY)
def test_scalar_round_trips_as_the_value_of_one_key(value):
    document = yaml.safe_load(f"key: {yaml_scalar(value)}\nother: 1\n")
    assert document == {"key": value, "other": 1}


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
