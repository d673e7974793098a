"""Kubernetes' own kinds (Namespace, ConfigMap, Deployment, Ingress, ...) checked against
Kubernetes' published OpenAPI schemas, as shipped offline by PyPI kubernetes-validate.

kubernetes-validate carries, per Kubernetes minor release (1.25 to 1.37 in 1.37.0), the
schemas converted to JSON schema, in a `-strict` flavour where objects reject unknown
fields. Its own `validate()` stops at the first error and re-reads a 1.8 MB definitions
file on every call, so we read that file once through its public `utils.schema_contents`
and look kinds up by the `x-kubernetes-group-version-kind` each definition declares.
"""

from __future__ import annotations

import functools

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
from jsonschema.protocols import Validator
from referencing import Registry, Resource

# The newest Kubernetes release the installed kubernetes-validate knows, e.g. "1.37.0".
KUBERNETES_VERSION = kubernetes_validate.utils.latest_version()


class SchemaDataError(RuntimeError):
    """kubernetes-validate's data is not laid out as this module expects."""


@functools.cache
def _definitions(version: str) -> tuple[dict, Registry, dict[tuple[str, str], str]]:
    """(the definitions, a registry resolving references into them, (apiVersion, kind) ->
    definition name)."""
    filename = f"kubernetes-json-schema/v{version}-local-strict/_definitions.json"
    try:
        data = kubernetes_validate.utils.schema_contents(filename, version)
        definitions = data["$defs"]
        registry = Registry().with_resource(data["$id"], Resource.from_contents(data))
    except (OSError, KeyError, TypeError, kubernetes_validate.utils.VersionNotSupportedError) as exc:
        raise SchemaDataError(
            f"kubernetes-validate {kubernetes_validate.version.__version__} has no strict "
            f"definitions for Kubernetes {version} where expected ({filename}): {exc!r}"
        ) from None
    kinds = {}
    for name, schema in definitions.items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or []:
            group, ver = gvk.get("group", ""), gvk["version"]
            kinds[(f"{group}/{ver}" if group else ver, gvk["kind"])] = name
    if not kinds:
        raise SchemaDataError(f"kubernetes-validate's Kubernetes {version} definitions name no kinds")
    return data, registry, kinds


def groups(version: str = KUBERNETES_VERSION) -> frozenset[str]:
    """The API groups Kubernetes itself serves ("" is the core group)."""
    return frozenset(api.rpartition("/")[0] for api, _ in _definitions(version)[2])


def kinds(version: str = KUBERNETES_VERSION) -> frozenset[tuple[str, str]]:
    """The (API group, kind) pairs Kubernetes itself serves ("" is the core group)."""
    return frozenset((api.rpartition("/")[0], kind) for api, kind in _definitions(version)[2])


def api_versions(kind: str, version: str = KUBERNETES_VERSION) -> list[str]:
    """The apiVersions Kubernetes serves `kind` under, e.g. ["networking.k8s.io/v1"] for Ingress."""
    return sorted(api for api, served in _definitions(version)[2] if served == kind)


@functools.cache
def validator(api_version: str, kind: str, version: str = KUBERNETES_VERSION) -> Validator | None:
    """A strict validator for a kind Kubernetes serves, None if it serves no such kind."""
    data, registry, kinds = _definitions(version)
    name = kinds.get((api_version, kind))
    if name is None:
        return None
    schema = {"$ref": f"{data['$id']}#/$defs/{name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)
