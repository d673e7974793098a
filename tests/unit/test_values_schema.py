"""A chart's values.schema.json checked as Helm checks it: its regular expressions in RE2."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from flux_cookbook.values import values_schema
from flux_cookbook.values.values_schema import validator_class

TRAEFIK = Path(__file__).resolve().parents[3] / "shared" / "charts" / "traefik"


def messages(schema: dict, instance) -> list[str]:
    return sorted(error.message for error in validator_class(schema)(schema).iter_errors(instance))


def test_a_pattern_that_backtracks_without_end_in_python_is_matched_at_once():
    # Python's re takes minutes on this one value; RE2, like Go's regexp, a moment.
    schema = {"properties": {"evil": {"type": "string", "pattern": "^(a+)+$"}}}
    assert messages(schema, {"evil": "a" * 40 + "!"}) == [f"{'a' * 40 + '!'!r} does not match '^(a+)+$'"]
    assert messages(schema, {"evil": "a" * 40}) == []


def test_a_pattern_go_cannot_compile_is_a_problem_of_the_values():
    schema = {"properties": {"name": {"type": "string", "pattern": "^(?!kube-).*$"}}}
    [message] = messages(schema, {"name": "web"})
    assert message.startswith("pattern '^(?!kube-).*$' is no regular expression Helm can use (RE2)")


def test_a_pattern_go_cannot_compile_leaves_the_other_patterns_counting():
    schema = {"patternProperties": {"(?=x)": {}, "^a": {}}, "additionalProperties": False}
    [message] = messages(schema, {"abc": 1})
    assert message.startswith("patternProperties '(?=x)' is no regular expression Helm can use")


@pytest.mark.parametrize("schema, instance", [
    ({"patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": False}, {"x-a": 1, "x-b": "no", "y": 1}),
    ({"properties": {"a": {}}, "patternProperties": {"b$": {}}, "additionalProperties": {"type": "string"}},
     {"a": 1, "ab": 2, "c": 3, "d": "ok"}),
    ({"properties": {"a": {}}, "additionalProperties": False}, {"a": 1, "b": 2, "c": 3}),
    ({"properties": {"tag": {"type": "string", "pattern": "^v[0-9]+"}}}, {"tag": "latest"}),
])
def test_ordinary_schemas_give_what_jsonschema_gives(schema, instance):
    expected = sorted(error.message for error in jsonschema.Draft7Validator(schema).iter_errors(instance))
    assert messages(schema, instance) == expected


def test_a_real_charts_schema_checks_as_before():
    schema = json.loads(next(TRAEFIK.rglob("values.schema.json")).read_text())
    instance = {"image": {"tag": 5}, "ports": {"web": {"port": "eighty"}}}
    expected = sorted(error.message for error in jsonschema.validators.validator_for(schema)(schema).iter_errors(instance))
    assert expected and messages(schema, instance) == expected


def test_a_date_like_value_is_a_string_as_helm_reads_it():
    """Go's YAML keeps `tag: 2024-01-01` a string; PyYAML makes it a date, which a schema's
    `type: string` refused where Helm accepts it."""
    import datetime

    import yaml

    values = values_schema.as_helm_reads(yaml.safe_load("image:\n  tag: 2024-01-01\n  pullPolicy: null\n"))
    assert values == {"image": {"tag": "2024-01-01", "pullPolicy": None}}
    schema = {"properties": {"image": {"properties": {"tag": {"type": ["string", "null"]}}}}}
    assert list(values_schema.validator_class(schema)(schema).iter_errors(values)) == []
    assert values_schema.as_helm_reads([datetime.date(2024, 1, 1)]) == ["2024-01-01"]


@pytest.mark.parametrize(("value", "spelt"), [(False, "false"), (True, "true"), (None, "null")])
def test_a_value_is_named_as_yaml_spells_it(value, spelt):
    """`enabled: false` where the chart wants a mapping: the message says false, as written."""
    from flux_cookbook.repository.schema_messages import message

    [error] = jsonschema.Draft7Validator({"type": "object"}).iter_errors(value)
    assert message(error) == f"{spelt} is not of type 'object'"
