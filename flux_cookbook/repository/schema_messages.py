"""jsonschema's findings as people read them, for every schema the commands validate
against (CRDs, Kubernetes', a chart's values.schema.json).

jsonschema quotes a regular expression with Python's repr, so each backslash shows
doubled (`'^\\\\d+$'`): a pattern copied from the message would not be the schema's. The
message here shows each pattern as the schema writes it.

A value jsonschema names first is spelt the Python way too (`False is not of type
'object'`): true, false and null are shown as YAML and JSON write them.
"""

from __future__ import annotations

from typing import Any


def message(error: Any) -> str:
    """`error.message` (a jsonschema ValidationError's), its patterns as the schema has them."""
    text = str(error.message)
    if error.validator == "pattern":
        patterns = [error.validator_value]
    elif error.validator == "additionalProperties" and isinstance(error.schema, dict):
        patterns = list(error.schema.get("patternProperties") or {})
    else:
        patterns = []
    for pattern in patterns:
        if isinstance(pattern, str):
            text = text.replace(repr(pattern), f"'{pattern}'")
    instance = getattr(error, "instance", None)
    if (instance is None or isinstance(instance, bool)) and text.startswith(repr(instance) + " "):
        text = _YAML_SPELLING[instance] + text[len(repr(instance)):]
    return text


_YAML_SPELLING = {True: "true", False: "false", None: "null"}
