"""A chart's values.schema.json as Helm applies it, its regular expressions matched as Go
matches them.

Helm validates values with gojsonschema, whose `pattern`, `patternProperties` (and so
`additionalProperties`) use Go's regexp: RE2, in time linear in the text. Python's `re`,
which jsonschema uses, backtracks: a chart's schema holding `^(a+)+$` held a values refresh
or a check for minutes on one value. These keywords are matched with RE2 here (the
google-re2 library), as Helm does; a pattern RE2 cannot compile (a lookahead, a
backreference) Helm cannot use either, and says so as a problem of the values.
"""

from __future__ import annotations

import datetime
from typing import Any, Iterator

import re2


def as_helm_reads(value: Any) -> Any:
    """Values as Helm validates them: Go's YAML keeps a date-like scalar (`tag: 2024-01-01`)
    a string, where PyYAML makes it a date, which a schema's `type: string` then refuses."""
    if isinstance(value, dict):
        return {key: as_helm_reads(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_helm_reads(item) for item in value]
    return value.isoformat() if isinstance(value, datetime.date) else value


def validator_class(schema: dict) -> Any:
    """The jsonschema validator for `schema` (its $schema, else draft 7, as Helm), with
    pattern, patternProperties and additionalProperties matched in RE2."""
    import jsonschema

    base = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return jsonschema.validators.extend(base, {
        "pattern": _pattern, "patternProperties": _pattern_properties, "additionalProperties": _additional_properties,
    })


def _search(pattern: str, text: str) -> bool:
    return re2.search(pattern, text) is not None


def _matches_if_valid(pattern: str, text: str) -> bool:
    try:
        return _search(pattern, text)
    except re2.error:
        return False  # patternProperties names the broken pattern; the others still count


def _pattern(validator, pattern: str, instance: Any, schema: dict) -> Iterator:
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "string"):
        return
    try:
        matched = _search(pattern, instance)
    except re2.error as error:
        yield ValidationError(f"pattern {pattern!r} is no regular expression Helm can use (RE2): {error}")
        return
    if not matched:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator, patterns: dict, instance: Any, schema: dict) -> Iterator:
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        try:
            matching = [key for key in instance if _search(pattern, key)]
        except re2.error as error:
            yield ValidationError(f"patternProperties {pattern!r} is no regular expression Helm can use (RE2): {error}")
            continue
        for key in matching:
            yield from validator.descend(instance[key], subschema, path=key, schema_path=pattern)


def extra_keys(schema: dict, instance: dict) -> list:
    """The keys of `instance` that `schema` neither names in `properties` nor matches by a
    `patternProperties` pattern: those its `additionalProperties` governs, sorted."""
    properties, patterns = schema.get("properties") or {}, list(schema.get("patternProperties") or {})

    def matched(key: str) -> bool:
        return any(_matches_if_valid(pattern, key) for pattern in patterns)

    return sorted((key for key in instance if key not in properties and not matched(str(key))), key=str)


def _additional_properties(validator, additional: Any, instance: Any, schema: dict) -> Iterator:
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        return
    patterns = list(schema.get("patternProperties", {}))
    extras = extra_keys(schema, instance)
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif additional is False and extras:  # jsonschema's messages, word for word
        listed = ", ".join(repr(extra) for extra in extras)
        if patterns:
            yield ValidationError(f"{listed} {'does' if len(extras) == 1 else 'do'} not match any of the regexes: "
                                  f"{', '.join(repr(pattern) for pattern in sorted(patterns))}")
        else:
            yield ValidationError(f"Additional properties are not allowed ({listed} {'was' if len(extras) == 1 else 'were'} unexpected)")
