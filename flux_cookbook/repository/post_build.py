"""kustomize-controller's postBuild substitution, as far as it is known offline.

After the build, kustomize-controller fills in `${VAR}`, `${VAR:=default}` and
`${VAR:-default}` in each object it applies (drone/envsubst; `$${VAR}` is written as
`${VAR}`), from `spec.postBuild.substituteFrom` (ConfigMaps and Secrets read on the
cluster) and `spec.postBuild.substitute` (which wins), and leaves an object annotated or
labelled `kustomize.toolkit.fluxcd.io/substitute: disabled` as built; with no value at
all it substitutes nothing (fluxcd/pkg kustomize/kustomize_varsub.go, SubstituteVariables)
unless `substituteStrategy: Always` (Flux 2.9) says to.

Offline only the inline `substitute` values are known: `substitute` says None where the
text depends on a value substituteFrom reads, or on an expression not reproduced here
(`${VAR^^}`, `${VAR/a/b}`, ...). A variable with no value and no default is made empty,
as kustomize-controller does unless its strict substitution is turned on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from flux_cookbook.extensions import bounded_yaml
from flux_cookbook.extensions.flux_names import KUSTOMIZE_GROUP

# kustomize-controller leaves an object with this annotation or label as it is built.
SUBSTITUTE_KEY = f"{KUSTOMIZE_GROUP}/substitute"

# `$$` (an escaped `$`), or a `${...}` expression: a bare variable or one with a default.
_EXPRESSION = re.compile(r"\$\$|\$\{(?:([_A-Za-z][_A-Za-z0-9]*)(?::[-=]([^$}]*))?\})?")


@dataclass(frozen=True)
class PostBuild:
    """What a Flux Kustomization's postBuild substitutes with."""

    values: dict[str, str] = field(default_factory=dict)  # spec.postBuild.substitute
    from_cluster: bool = False  # substituteFrom names ConfigMaps or Secrets: values read on the cluster only
    always: bool = False  # substituteStrategy Always (Flux 2.9): substituted even with no value at all


def of(spec: Any) -> PostBuild | None:
    """The postBuild of a Flux Kustomization's spec; None when it has none (nothing is substituted)."""
    post_build = spec.get("postBuild") if isinstance(spec, dict) else None
    if not isinstance(post_build, dict):
        return None
    inline = post_build.get("substitute")
    # As the controller reads them: strings, newlines dropped.
    values = {str(k): str(v).replace("\n", "") for k, v in inline.items()} if isinstance(inline, dict) else {}
    return PostBuild(values, bool(post_build.get("substituteFrom")), post_build.get("substituteStrategy") == "Always")


def disabled(obj: Any) -> bool:
    """An object kustomize-controller leaves unsubstituted (its annotation or label says so)."""
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(meta, dict):
        return False
    return any(isinstance(marks, dict) and marks.get(SUBSTITUTE_KEY) == "disabled"
               for marks in (meta.get("annotations"), meta.get("labels")))


def holds_variable(text: str) -> bool:
    """Whether `text` holds a ${...} expression kustomize-controller fills in (`$${X}` is
    the text `${X}`)."""
    return "${" in text.replace("$$", "")


def substitute(text: str, post_build: PostBuild | None) -> str | None:
    """`text` as kustomize-controller substitutes it with `post_build`; None where that is
    known on the cluster only."""
    if post_build is None or "$" not in text:
        return text
    if not post_build.values and not post_build.always:
        # Substituted only if substituteFrom finds a value on the cluster; never without one.
        return None if post_build.from_cluster and _EXPRESSION.search(text) else text
    unknown = False

    def value(match: re.Match) -> str:
        nonlocal unknown
        name, default = match.group(1), match.group(2)
        if match.group(0) == "$$":
            return "$"
        if name is None:  # an expression not reproduced here
            unknown = True
            return ""
        if name in post_build.values:  # inline values win over substituteFrom's
            given = post_build.values[name]
            if holds_variable(given):
                # A value holding a variable (`CLUSTER: ${CLUSTER_NAME}`) is one a parent's
                # postBuild fills in first, as it applies this Kustomization: not known here.
                unknown = True
                return ""
            return given if given or default is None else default
        if post_build.from_cluster:
            unknown = True  # substituteFrom may hold it
            return ""
        return default or ""  # none has it: the default, or empty

    substituted = _EXPRESSION.sub(value, text)
    return None if unknown else substituted


def substitute_document(text: str, post_build: PostBuild | None) -> Any:
    """The object a document's `text` (one object of a build output) is once
    kustomize-controller substitutes it as YAML text, as it does; None where that is known
    on the cluster only, or where the substituted text is no YAML (the controller fails)."""
    substituted = substitute(text, post_build)
    if substituted is None:
        return None
    try:
        return _without_nulls(bounded_yaml.load(substituted))
    except yaml.YAMLError:
        return None


def _without_nulls(value: Any) -> Any:
    """`value` with every null field left out, as the API server prunes a field that is
    null (a variable made empty) before it validates an object: `interval: ${EMPTY}` is no
    interval, and a required one is missing."""
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


_WHOLE_VARIABLE = re.compile(r"\$\{([_A-Za-z][_A-Za-z0-9]*)\}")


def whole_variable(text: str) -> str | None:
    """The variable `text` is exactly (`${VAR}`: its value, all of it, comes from postBuild),
    or None (text of its own, or a default written here: `${VAR:=value}`)."""
    match = _WHOLE_VARIABLE.fullmatch(text.strip())
    return match.group(1) if match else None


def substitute_strings(value: Any, post_build: PostBuild | None) -> Any:
    """A copy of `value` (a mapping, list or scalar) with each string substituted where
    that is known offline, kept as written where not."""
    if isinstance(value, str):
        substituted = substitute(value, post_build)
        return value if substituted is None else substituted
    if isinstance(value, dict):
        return {key: substitute_strings(item, post_build) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute_strings(item, post_build) for item in value]
    return value
