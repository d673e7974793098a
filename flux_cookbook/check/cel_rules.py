"""A CRD's `x-kubernetes-validations` rules, evaluated with celpy (PyPI cel-python), a real
CEL implementation, the way the API server evaluates them when an object is created.

Each rule of a schema node is evaluated with `self` bound to the object's value at that
node, for every value the node describes (each list item, each map value). Transition
rules (those naming `oldSelf`) only run on updates, so never here. A rule that does not
hold gives its `message` (or its `messageExpression`'s value), at its node or at its
`fieldPath`; a rule that cannot be evaluated (a field it reads is missing) is an error as
well, as the API server reports it.

The Kubernetes CEL libraries (lists, regex, url, quantity, ...) are not in celpy. No rule of
the Flux CRDs uses one today (they use has(), size(), ==, !=, !, &&, ||); `compile_rule`
refuses, with the function's name, a rule that calls anything celpy lacks, so a CRD
update that starts using one fails loudly in tests instead of passing silently.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Iterator

import celpy

# CEL macros: celpy's parser handles them itself, they are not in base_functions.
_MACROS = frozenset({"has", "all", "exists", "exists_one", "map", "filter"})
_KNOWN_FUNCTIONS = frozenset(celpy.evaluation.base_functions) | _MACROS
_OLD_SELF = re.compile(r"\boldSelf\b")
_ENVIRONMENT = celpy.Environment()


class RuleError(ValueError):
    """A rule this module cannot evaluate faithfully (syntax, unknown function)."""


@dataclass(frozen=True)
class Violation:
    path: tuple  # keys / indexes from the object's root
    message: str


def _called_functions(tree: celpy.Expression) -> Iterator[str]:
    # celpy's grammar (cel.lark): `f(x)` is an ident_arg node, `x.f(y)` a member_dot_arg
    # node; the function's name is the first token (a str) among the node's children.
    # tests/unit/test_schemas.py fails should a celpy release rename them.
    for node in tree.iter_subtrees():
        if node.data in ("ident_arg", "member_dot_arg"):
            for child in node.children:
                if isinstance(child, str):
                    yield str(child)
                    break


@functools.lru_cache(maxsize=None)
def compile_rule(rule: str) -> celpy.Runner:
    """The rule ready to evaluate; RuleError when celpy cannot evaluate it as Kubernetes does."""
    try:
        tree = _ENVIRONMENT.compile(rule)
    except celpy.CELParseError as exc:
        raise RuleError(f"CEL rule {rule!r} does not parse: {exc}") from None
    unknown = sorted(set(_called_functions(tree)) - _KNOWN_FUNCTIONS)
    if unknown:
        raise RuleError(
            f"CEL rule {rule!r} calls {', '.join(unknown)}, which celpy does not provide "
            "(a Kubernetes CEL library function: add it to flux_cookbook/check/cel_rules.py)"
        )
    return _ENVIRONMENT.program(tree)


def is_transition_rule(rule: str) -> bool:
    return bool(_OLD_SELF.search(rule))


def schema_rules(schema: Any) -> Iterator[str]:
    """Every rule text of a schema, at any depth (for checking a CRD set compiles)."""
    if isinstance(schema, dict):
        for validation in schema.get("x-kubernetes-validations") or []:
            yield validation["rule"]
        for value in schema.values():
            yield from schema_rules(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from schema_rules(item)


def _short(exc: Exception) -> str:
    # CELEvalError's first argument is the readable part; the rest dumps the activation.
    text = str(exc.args[0]) if exc.args else str(exc)
    return text if len(text) <= 200 else text[:200] + "..."


def _field_path(path: tuple, field_path: str) -> tuple:
    # fieldPath is relative to the rule's node: `.spec.x`, `.x['a.b']`, `.list[0]`.
    extra = []
    for name, key, index in re.findall(r"\.([A-Za-z_$][\w$-]*)|\['([^']*)'\]|\[(\d+)\]", field_path):
        extra.append(int(index) if index else (name or key))
    return path + tuple(extra)


def _check_node(validations: list, value: Any, path: tuple) -> Iterator[Violation]:
    activation = {"self": celpy.json_to_cel(value)}
    for validation in validations:
        rule = validation["rule"]
        if is_transition_rule(rule):
            continue  # only evaluated on update, against the old object
        where = _field_path(path, validation.get("fieldPath") or "")
        try:
            result = compile_rule(rule).evaluate(activation)
        except celpy.CELEvalError as exc:
            yield Violation(where, f"rule {rule!r} could not be evaluated: {_short(exc)}")
            continue
        if isinstance(result, celpy.CELEvalError):
            yield Violation(where, f"rule {rule!r} could not be evaluated: {_short(result)}")
        elif result is not True and result != celpy.celtypes.BoolType(True):
            yield Violation(where, _message(validation, activation))


def _message(validation: dict, activation: dict) -> str:
    expression = validation.get("messageExpression")
    if expression:
        try:
            text = compile_rule(expression).evaluate(activation)
            if isinstance(text, str) and text.strip():
                return str(text)
        except (celpy.CELEvalError, RuleError):
            pass  # the API server falls back to message too
    return validation.get("message") or f"failed rule: {validation['rule']}"


def violations(schema: dict, value: Any, path: tuple = ()) -> Iterator[Violation]:
    """Every rule of schema (and its sub-schemas) that value breaks."""
    if value is None or not isinstance(schema, dict):
        return
    validations = schema.get("x-kubernetes-validations")
    if validations:
        yield from _check_node(validations, value, path)
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                yield from violations(properties[key], item, path + (key,))
            elif isinstance(extra, dict):
                yield from violations(extra, item, path + (key,))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from violations(schema["items"], item, path + (index,))
