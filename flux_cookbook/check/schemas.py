"""Validate objects the way a current API server would, before they reach a cluster.

Kinds of the CRDs in the given directories (by default the Flux CRDs and Sealed Secrets'
CRD shipped in flux_cookbook/crds/) are checked against the `openAPIV3Schema` of every
*served* version, made strict as kubeconform's openapi2jsonschema does it: an object
schema with `properties` (and no additionalProperties) rejects unknown keys, except under
x-kubernetes-preserve-unknown-fields and inside allOf/anyOf/oneOf/not, which only restate
fields declared elsewhere. So a field removed upstream (`spec.validation` on Kustomization
v1) is an error, and so is an apiVersion of an installed group that is no longer served
(`helm.toolkit.fluxcd.io/v2beta1`), exactly as the API server answers "no matches for
kind". Schema defaults are applied first, as the API server does before validating, and
the CRDs' CEL rules (`x-kubernetes-validations`) are then evaluated by a real CEL
implementation (cel_rules).

Kubernetes' own kinds are checked against Kubernetes' published schemas, strict
(kubernetes_schemas); a kind of a Kubernetes group that the release does not serve is an
error too (`extensions/v1beta1` Ingress). Kinds of any other group (cert-manager, ...),
and the Flux kinds whose CRDs are not shipped (Bucket, ExternalArtifact: flux_names.
UNSHIPPED_KINDS) at the version Flux serves, get only the metadata check: we have no
schema for them and would rather not invent one.

Every object also gets the API server's metadata rules that no schema states: names are
DNS-1123 subdomains (Namespaces: labels), label and annotation values are strings.

Not checked: string `format`s, and the CEL rules' cost limits.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any, Iterable

import yaml
from jsonschema import Draft4Validator
from jsonschema.protocols import Validator

from flux_cookbook.check import cel_rules, kubernetes_schemas
from flux_cookbook.extensions import bounded_yaml, flux_names, kube_names
from flux_cookbook.repository import kind_scopes, schema_messages
from flux_cookbook.repository.flux_versions import ServedCrds
from flux_cookbook.repository.flux_versions import label as crd_label
from flux_cookbook.repository.model import api_group
from flux_cookbook.repository.yaml_lines import YamlError, as_json, load_documents, yaml_kind

__all__ = ["CRDS", "DEFAULT_CRD_DIRS", "load_validators", "validate_file", "validate_object", "validate_object_fields"]

# One place names the shipped CRDs: kind_scopes reads their scopes, this module their schemas.
CRDS = kind_scopes.CRDS
DEFAULT_CRD_DIRS = kind_scopes.SHIPPED_CRD_DIRS



# --- CRD schemas ----------------------------------------------------------------------


def _strict(schema: Any, in_combinator: bool = False) -> None:
    """Rewrite a CRD structural schema in place into a strict JSON schema."""
    if isinstance(schema, list):
        for item in schema:
            _strict(item, in_combinator)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("x-kubernetes-int-or-string"):
        schema["type"] = ["integer", "string"]
    if schema.get("nullable") and isinstance(schema.get("type"), str):
        schema["type"] = [schema["type"], "null"]
    # Inside allOf/anyOf/oneOf/not a structural schema only restates fields declared
    # outside, so closing it there would reject valid objects.
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
        and not in_combinator
    ):
        schema["additionalProperties"] = False
    for sub in (schema.get("properties") or {}).values():
        _strict(sub, in_combinator)
    for key in ("items", "additionalProperties"):
        _strict(schema.get(key), in_combinator)
    for key in ("allOf", "anyOf", "oneOf", "not"):
        _strict(schema.get(key), True)


class _ServedKind:
    """One served version of one CRD kind: its strict validator and its original schema
    (for defaults and CEL rules)."""

    def __init__(self, schema: dict):
        self.schema = schema
        strict = copy.deepcopy(schema)
        _strict(strict)
        self.validator: Validator = Draft4Validator(strict)  # OpenAPI 3.0 is Draft-4 shaped


@functools.cache
def _load(crd_dir: str) -> tuple[dict[tuple[str, str], _ServedKind], frozenset[str]]:
    """(served kinds by (apiVersion, kind), every CRD group) of one directory."""
    kinds: dict[tuple[str, str], _ServedKind] = {}
    groups = set()
    for path in sorted(Path(crd_dir).glob("*.y*ml")):
        # The package's own CRDs: trusted, and large (one Flux release's are about 1 MB), so
        # libyaml's loader where PyYAML has it, ten times faster than PyYAML's own.
        for crd in yaml.load_all(path.read_text(encoding="utf-8"), Loader=bounded_yaml.SAFE_LOADER):
            if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            groups.add(spec["group"])
            for version in spec["versions"]:
                if not version.get("served"):
                    continue
                schema = version["schema"]["openAPIV3Schema"]
                for rule in cel_rules.schema_rules(schema):
                    cel_rules.compile_rule(rule)  # refuse a rule celpy cannot evaluate now
                kinds[(f"{spec['group']}/{version['name']}", spec["names"]["kind"])] = _ServedKind(schema)
    if not groups:
        raise FileNotFoundError(f"no CustomResourceDefinition found in {crd_dir}")
    return kinds, frozenset(groups)


@functools.cache
def _crd_set(crd_dir: Path | ServedCrds) -> tuple[dict[tuple[str, str], _ServedKind], frozenset[str]]:
    """The kinds a CRD folder serves by (apiVersion, kind), and its groups; of a ServedCrds,
    those the release serves (its groups all: their other versions stay installed)."""
    if isinstance(crd_dir, ServedCrds):
        kinds, groups = _crd_set(crd_dir.folder)
        return {key: kind for key, kind in kinds.items() if key[0] not in crd_dir.unserved}, groups
    return _load(str(Path(crd_dir).resolve()))


def load_validators(crd_dir: Path) -> dict[tuple[str, str], Validator]:
    """Strict schema validators keyed by (apiVersion, kind), every served version in crd_dir."""
    return _validators(str(Path(crd_dir).resolve()))


@functools.cache
def _validators(crd_dir: str) -> dict[tuple[str, str], Validator]:
    return {key: kind.validator for key, kind in _load(crd_dir)[0].items()}


def _apply_defaults(schema: Any, value: Any) -> None:
    """Fill in schema defaults in place, as the API server does before validating: a
    missing property with a default gets it, at every level the object has."""
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key, sub in properties.items():
            if key not in value and isinstance(sub, dict) and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                _apply_defaults(sub, value[key])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, item in value.items():
                if key not in properties:
                    _apply_defaults(extra, item)
    elif isinstance(value, list):
        for item in value:
            _apply_defaults(schema.get("items"), item)


# --- objects --------------------------------------------------------------------------

# A problem: the path of the field (for its line) and "path.to.field: message".
_Problem = tuple[tuple, str]


def _dotted(parts: Iterable) -> str:
    return ".".join(str(p) for p in parts) or "(root)"


def _not_a_string(value: object) -> str:
    """What to say of a value YAML read as no string where a string is wanted."""
    if isinstance(value, float):
        # Quoting what it reads as would be wrong where YAML dropped a zero (`newTag: 1.10`).
        return (f"value {value!r} must be a string: quote it as you wrote it (YAML reads an unquoted number as a "
                "number, 1.10 as 1.1)")
    return f"value {value!r} must be a string (quote it)"


def _string_map(parent: dict, field: str, prefix: tuple = ()) -> list[_Problem]:
    """Problems if parent[field] is present but not a map of string to string."""
    value = parent.get(field)
    if value is None:
        return []
    if not isinstance(value, dict):
        return [(prefix + (field,), f"{_dotted(prefix + (field,))}: must be a mapping")]
    return [
        (prefix + (field, k), f"{_dotted(prefix + (field, k))}: {_not_a_string(v)}")
        for k, v in value.items()
        if not isinstance(k, str) or not isinstance(v, str)
    ]


def _check_metadata(obj: dict) -> list[_Problem]:
    # DNS-1123 as the API server applies it: names are subdomains, namespaces are labels.
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return [(("metadata",), "metadata: required and must be a mapping")]
    problems = []
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        problems.append((("metadata", "name"), "metadata.name: required string"))
    elif len(name) > kube_names.DNS1123_SUBDOMAIN_MAX or not kube_names.is_dns1123_subdomain(name):
        problems.append((("metadata", "name"), f"metadata.name: {name!r} is not a DNS-1123 subdomain"))
    elif obj.get("apiVersion") == "v1" and obj.get("kind") == "Namespace" and not kube_names.is_dns1123_label(name):
        problems.append((("metadata", "name"), f"metadata.name: {name!r} is not a DNS-1123 label"))
    elif (api_group(obj), obj.get("kind")) in _COMMON_METADATA_KINDS and len(name) > kube_names.DNS1123_LABEL_MAX:
        # kustomize-controller labels each object it applies kustomize.toolkit.fluxcd.io/name:
        # <name>, helm-controller each object of the release helm.toolkit.fluxcd.io/name.
        problems.append((("metadata", "name"), f"metadata.name: {len(name)} characters; the controller labels every "
                                               f"object it applies with it, and a label value holds at most "
                                               f"{kube_names.DNS1123_LABEL_MAX}"))
    if "namespace" in meta:
        ns = meta["namespace"]
        if not isinstance(ns, str) or len(ns) > kube_names.DNS1123_LABEL_MAX or not kube_names.is_dns1123_label(ns):
            problems.append((("metadata", "namespace"), f"metadata.namespace: {ns!r} is not a DNS-1123 label"))
    problems += _string_map(meta, "labels", ("metadata",))
    problems += _string_map(meta, "annotations", ("metadata",))
    problems += _marks_problems(meta, ("metadata",))
    # A Kustomization or HelmRelease sets its spec.commonMetadata on every object it
    # applies: a label the API server refuses there fails each of them.
    spec = obj.get("spec")
    if (api_group(obj), obj.get("kind")) in _COMMON_METADATA_KINDS and isinstance(spec, dict) \
            and isinstance(spec.get("commonMetadata"), dict):
        problems += _marks_problems(spec["commonMetadata"], ("spec", "commonMetadata"))
    return problems


_COMMON_METADATA_KINDS = {(flux_names.KUSTOMIZE_GROUP, "Kustomization"), (flux_names.HELM_GROUP, "HelmRelease")}


def _marks_problems(meta: dict, prefix: tuple[str, ...]) -> list[_Problem]:
    """Label and annotation keys are qualified names ([prefix/]name), label values at most
    63 characters of the same alphabet: the API server refuses the object otherwise."""
    problems = []
    for field, what in (("labels", "label"), ("annotations", "annotation")):
        entries = meta.get(field)
        for key, value in entries.items() if isinstance(entries, dict) else ():
            if not isinstance(key, str):
                continue  # _string_map (metadata) or the CRD's schema (commonMetadata) said so
            if error := kube_names.metadata_entry_error(what, key, value if isinstance(value, str) else ""):
                problems.append(((*prefix, field, key), f"{_dotted((*prefix, field))}: {error}"))
    return problems


def _schema_problems(validator: Validator, obj: dict) -> list[_Problem]:
    problems = []
    for err in sorted(validator.iter_errors(obj), key=lambda e: [str(p) for p in e.absolute_path]):
        path = tuple(err.absolute_path)
        message = schema_messages.message(err)
        expected = err.validator_value if err.validator == "type" else None
        expected = [expected] if isinstance(expected, str) else expected or []
        if "string" in expected and isinstance(err.instance, (bool, int, float)):
            # The YAML trap behind most of these: `version: 1.10`, `enabled: yes`.
            message = _not_a_string(err.instance)
        problems.append((path, f"{_dotted(path)}: {message}"))
    return problems


def _check(obj: Any, crd_dirs: list[Path]) -> tuple[str, list[_Problem]]:
    """(the object's label, its problems)."""
    if not isinstance(obj, dict):
        return "document", [((), f"document is not a mapping (an object: apiVersion, kind, metadata) but {yaml_kind(obj)}")]
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return "document", [((), "apiVersion and kind: required strings")]
    group = api_version.rpartition("/")[0]
    if group == flux_names.KUSTOMIZE_CONFIG_GROUP:  # build input, never applied, no metadata
        return "", []
    if (api_version, kind) == ("v1", "List") and isinstance(obj.get("items"), list):
        # kubectl and kustomize apply a List's items one by one; it is no object itself.
        problems = []
        for index, item in enumerate(obj["items"]):
            item_label, item_problems = _check(item, crd_dirs)
            problems += [(("items", index) + where, f"items.{index}: {item_label}: {text}")
                         for where, text in item_problems]
        return "List", problems
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    label = f"{kind}/{name or '<unnamed>'}"
    obj = as_json(obj)

    problems = _check_metadata(obj)
    owners = []  # CRD dirs that define this group
    served = None
    for crd_dir in crd_dirs:
        kinds, groups = _crd_set(crd_dir)
        if group in groups and crd_label(crd_dir) not in owners:
            owners.append(crd_label(crd_dir))
        served = served or kinds.get((api_version, kind))
    if served is not None:
        defaulted = copy.deepcopy(obj)
        _apply_defaults(served.schema, defaulted)
        schema_problems = _schema_problems(served.validator, defaulted)
        problems += schema_problems
        if not schema_problems:  # CEL rules assume the schema's types, as the API server does
            problems += [(v.path, f"{_dotted(v.path)}: {v.message}")
                         for v in cel_rules.violations(served.schema, defaulted)]
            problems += _helm_repository_url_problems(group, kind, defaulted)
    elif (group, kind) in flux_names.UNSHIPPED_KINDS and api_version.rpartition("/")[2] in _unshipped_versions(
            group, kind, crd_dirs):
        pass  # served, but no CRD of it is shipped: the metadata check only
    elif owners:
        # The group is installed but this version/kind is not: a cluster answers
        # "no matches for kind", e.g. for a beta API removed by a Flux upgrade.
        served_versions = sorted({served_api for crd_dir in crd_dirs for served_api, served_kind in _crd_set(crd_dir)[0]
                                  if served_kind == kind and served_api.rpartition("/")[0] == group})
        if unshipped := flux_names.UNSHIPPED_KINDS.get((group, kind)):
            served_versions = [flux_names.api_version(group, unshipped)]
        problems.append((("apiVersion",), f"apiVersion: {api_version} {kind} is not served by {'+'.join(owners)}"
                                          f"{_use(served_versions)}"))
    elif group in kubernetes_schemas.groups():
        validator = kubernetes_schemas.validator(api_version, kind)
        if validator is None:
            version = kubernetes_schemas.KUBERNETES_VERSION.rsplit(".", 1)[0]
            problems.append((("apiVersion",), f"apiVersion: {api_version} {kind} is not served by Kubernetes {version}"
                                              f"{_use(kubernetes_schemas.api_versions(kind))}"))
        else:
            problems += _schema_problems(validator, obj)
    unique = list(dict.fromkeys(problems))  # the metadata check and a schema may agree
    return label, unique


def _helm_repository_url_problems(group: str, kind: str, obj: dict) -> list[_Problem]:
    """A HelmRepository's URL scheme and its type agree: the CRD takes http(s):// and oci://
    for either, and source-controller then fails the object on the cluster (an oci:// URL
    read as an index over HTTP: "scheme not supported"; an OCI one at http(s)://)."""
    if (group, kind) != (flux_names.SOURCE_GROUP, "HelmRepository"):
        return []
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    url, oci = str(spec.get("url") or ""), spec.get("type") == "oci"
    if url.startswith("oci://") and not oci:
        return [(("spec", "url"), f"spec.url: {url!r} is an OCI registry's: set spec.type: oci (without it "
                                  "source-controller reads an index over http(s))")]
    if oci and not url.startswith("oci://"):
        return [(("spec", "url"), f"spec.url: {url!r}: a HelmRepository of type oci names its registry as "
                                  "oci://<host>/<path>")]
    return []


def _unshipped_versions(group: str, kind: str, crd_dirs: list[Path]) -> set[str]:
    """The versions of a kind whose CRD is not shipped that the release serves: the one
    Flux 2.9 serves, and those the release serves for the other kinds of its group (a
    Flux 2.6 cluster's Bucket at v1beta2)."""
    return {flux_names.UNSHIPPED_KINDS[group, kind]} | {
        served_api.rpartition("/")[2] for crd_dir in crd_dirs for served_api, _ in _crd_set(crd_dir)[0]
        if served_api.rpartition("/")[0] == group}


def _use(api_versions: list[str]) -> str:
    """"; use <apiVersion>" for the versions that do serve the kind, or "" when none does."""
    return f"; use {' or '.join(api_versions)}" if api_versions else ""


def _default_dirs(crd_dirs: list[Path] | None) -> list[Path]:
    return list(DEFAULT_CRD_DIRS if crd_dirs is None else crd_dirs)


def validate_object_fields(obj: dict, crd_dirs: list[Path] | None = None) -> list[tuple[tuple, str]]:
    """(path of the field, "Kind/name: path.to.field: message") for each problem of the object."""
    label, problems = _check(obj, _default_dirs(crd_dirs))
    return [(where, f"{label}: {text}") for where, text in problems]


def validate_object(obj: dict, crd_dirs: list[Path] | None = None) -> list[str]:
    """Problems as "Kind/name: path.to.field: message"; [] if the object is valid."""
    label, problems = _check(obj, _default_dirs(crd_dirs))
    return [f"{label}: {text}" for _, text in problems]


def validate_file(path: Path, rel: str, crd_dirs: list[Path] | None = None) -> list[tuple[int, str]]:
    """(line, message) for each problem of the YAML file at path, whose repo-relative
    name is rel. A kustomization file is build input, never applied: it is only read."""
    try:
        documents = load_documents(Path(path).read_text())
    except YamlError as error:
        return [(error.line, f"invalid YAML: {error.detail}")]
    except (UnicodeDecodeError, ValueError) as exc:
        return [(1, f"not a text file: {exc}")]
    if Path(rel).name in flux_names.KUSTOMIZE_CONFIG_FILES:
        return []
    dirs = _default_dirs(crd_dirs)
    found = []
    for document in documents:
        if document.obj is None:
            continue  # comment-only and empty documents are fine
        label, problems = _check(document.obj, dirs)
        found += [(document.line_of(where), f"{label}: {text}") for where, text in problems]
    return found
