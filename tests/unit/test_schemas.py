"""flux_cookbook.check.schemas against the real CRDs shipped with the package, their CEL rules
evaluated by celpy, and Kubernetes' published schemas (kubernetes-validate)."""

from __future__ import annotations

import copy
import fnmatch
import functools
from pathlib import Path

import pytest
import tomllib
import yaml

from flux_cookbook.check import cel_rules, kubernetes_schemas, schemas
from flux_cookbook.check.schemas import validate_file, validate_object

ROOT = Path(__file__).resolve().parents[2]

SHARED = ROOT.parent / "shared" / "flux-crds"


# --- the CRDs ship with the package ---------------------------------------------------


@pytest.mark.parametrize("name", ["current", "sealed-secrets"])
def test_shipped_crds_are_byte_identical_to_the_reference(name):
    shipped = {p.name: p.read_bytes() for p in (schemas.CRDS / name).iterdir()}
    reference = {p.name: p.read_bytes() for p in (SHARED / name).iterdir()}
    assert shipped.keys() == reference.keys()
    for file, data in reference.items():
        assert shipped[file] == data, file


def test_the_crds_are_package_data():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["flux_cookbook"]
    # Every CRD check reads by default is one the package ships.
    package = ROOT / "flux_cookbook"
    shipped = [path.relative_to(package).as_posix() for folder in schemas.DEFAULT_CRD_DIRS for path in folder.glob("*.yaml")]
    assert len(shipped) >= len(schemas.DEFAULT_CRD_DIRS)
    assert [path for path in shipped if not any(fnmatch.fnmatch(path, pattern) for pattern in patterns)] == []


# --- every CEL rule of the current CRDs: one object that keeps it, one that breaks it --

META = {"name": "x", "namespace": "flux-system"}
SOURCE = {"kind": "GitRepository", "name": "flux-system"}
BASE = {
    "HelmRelease": ("helm.toolkit.fluxcd.io/v2", {
        "interval": "10m",
        "chart": {"spec": {"chart": "podinfo", "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}},
    }),
    "Kustomization": ("kustomize.toolkit.fluxcd.io/v1", {"interval": "10m", "prune": True, "sourceRef": SOURCE}),
    "ImagePolicy": ("image.toolkit.fluxcd.io/v1", {
        "imageRepositoryRef": {"name": "podinfo"}, "policy": {"semver": {"range": ">=1.0.0"}},
    }),
    "Provider": ("notification.toolkit.fluxcd.io/v1beta3", {"type": "slack"}),
    "Receiver": ("notification.toolkit.fluxcd.io/v1", {
        "type": "github", "resources": [SOURCE], "secretRef": {"name": "token"},
    }),
    "GitRepository": ("source.toolkit.fluxcd.io/v1", {"interval": "1m", "url": "https://example.invalid/x.git"}),
    "HelmChart": ("source.toolkit.fluxcd.io/v1", {
        "chart": "podinfo", "interval": "10m", "sourceRef": {"kind": "HelmRepository", "name": "podinfo"},
    }),
}


def obj(kind: str, **spec) -> dict:
    api_version, base = BASE[kind]
    merged = copy.deepcopy(base)
    for key, value in spec.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return {"apiVersion": api_version, "kind": kind, "metadata": dict(META), "spec": merged}


CHART_REF = {"kind": "OCIRepository", "name": "podinfo"}
HR_CHART = BASE["HelmRelease"][1]["chart"]
OIDC = [{
    "issuerURL": "https://token.actions.githubusercontent.com",
    "validations": [{"expression": "claims.repository_owner == 'me'", "message": "not mine"}],
}]

# (kind, the rule's node, its rule, a keeping object, a breaking object)
CASES = [
    ("HelmRelease", "spec",
     "(has(self.chart) && !has(self.chartRef)) || (!has(self.chart) && has(self.chartRef))",
     obj("HelmRelease", chart=None, chartRef=CHART_REF), obj("HelmRelease", chartRef=CHART_REF)),
    ("HelmRelease", "spec.install.strategy",
     "!has(self.retryInterval) || self.name != 'RemediateOnFailure'",
     obj("HelmRelease", install={"strategy": {"name": "RetryOnFailure", "retryInterval": "1m"}}),
     obj("HelmRelease", install={"strategy": {"name": "RemediateOnFailure", "retryInterval": "1m"}})),
    ("HelmRelease", "spec.upgrade.strategy",
     "!has(self.retryInterval) || self.name == 'RetryOnFailure'",
     obj("HelmRelease", upgrade={"strategy": {"name": "RetryOnFailure", "retryInterval": "1m"}}),
     obj("HelmRelease", upgrade={"strategy": {"name": "RemediateOnFailure", "retryInterval": "1m"}})),
    ("HelmRelease", "spec.kubeConfig", "has(self.configMapRef) || has(self.secretRef)",
     obj("HelmRelease", kubeConfig={"secretRef": {"name": "kc"}}), obj("HelmRelease", kubeConfig={})),
    ("HelmRelease", "spec.kubeConfig", "!has(self.configMapRef) || !has(self.secretRef)",
     obj("HelmRelease", kubeConfig={"configMapRef": {"name": "kc"}}),
     obj("HelmRelease", kubeConfig={"configMapRef": {"name": "kc"}, "secretRef": {"name": "kc"}})),
    ("Kustomization", "spec.kubeConfig", "has(self.configMapRef) || has(self.secretRef)",
     obj("Kustomization", kubeConfig={"configMapRef": {"name": "kc"}}), obj("Kustomization", kubeConfig={})),
    ("Kustomization", "spec.kubeConfig", "!has(self.configMapRef) || !has(self.secretRef)",
     obj("Kustomization", kubeConfig={"secretRef": {"name": "kc"}}),
     obj("Kustomization", kubeConfig={"configMapRef": {"name": "kc"}, "secretRef": {"name": "kc"}})),
    ("ImagePolicy", "spec",
     "!has(self.interval) || (has(self.digestReflectionPolicy) && self.digestReflectionPolicy == 'Always')",
     obj("ImagePolicy", interval="5m", digestReflectionPolicy="Always"), obj("ImagePolicy", interval="5m")),
    ("ImagePolicy", "spec",
     "has(self.interval) || !has(self.digestReflectionPolicy) || self.digestReflectionPolicy != 'Always'",
     obj("ImagePolicy", digestReflectionPolicy="IfNotPresent"), obj("ImagePolicy", digestReflectionPolicy="Always")),
    ("Provider", "spec",
     "self.type == 'github' || self.type == 'gitlab' || self.type == 'gitea' || self.type == 'bitbucketserver'"
     " || self.type == 'bitbucket' || self.type == 'azuredevops' || !has(self.commitStatusExpr)",
     obj("Provider", type="github", commitStatusExpr="'ok'"), obj("Provider", commitStatusExpr="'ok'")),
    ("Receiver", "spec",
     "self.type != 'generic-oidc' || (has(self.oidcProviders) && size(self.oidcProviders) > 0)",
     obj("Receiver", type="generic-oidc", secretRef=None, oidcProviders=OIDC),
     obj("Receiver", type="generic-oidc", secretRef=None, oidcProviders=[])),
    ("Receiver", "spec",
     "self.type == 'generic-oidc' || !has(self.oidcProviders) || size(self.oidcProviders) == 0",
     obj("Receiver", oidcProviders=[]), obj("Receiver", oidcProviders=OIDC)),
    ("Receiver", "spec", "self.type != 'generic-oidc' || !has(self.secretRef)",
     obj("Receiver", type="generic-oidc", secretRef=None, oidcProviders=OIDC),
     obj("Receiver", type="generic-oidc", oidcProviders=OIDC)),
    ("Receiver", "spec", "self.type == 'generic-oidc' || has(self.secretRef)",
     obj("Receiver"), obj("Receiver", secretRef=None)),
    ("GitRepository", "spec",
     "!has(self.serviceAccountName) || (has(self.provider) && (self.provider == 'azure' || self.provider == 'aws'))",
     obj("GitRepository", provider="azure", serviceAccountName="sa"), obj("GitRepository", serviceAccountName="sa")),
    ("HelmChart", "spec", "!has(self.verify) || self.sourceRef.kind == 'HelmRepository'",
     # verify.provider is required but defaulted (cosign): the API server defaults first
     obj("HelmChart", verify={}),
     obj("HelmChart", sourceRef={"kind": "GitRepository", "name": "flux-system"}, verify={})),
]


@functools.cache
def crd_rules(crd_dir: Path) -> list[tuple[str, str, str, str]]:
    """(kind, node, rule, message) of every rule of every served version in crd_dir."""
    found = []

    def walk(schema, path, kind):
        if not isinstance(schema, dict):
            return
        for validation in schema.get("x-kubernetes-validations") or []:
            found.append((kind, ".".join(path), validation["rule"], validation["message"]))
        for key, sub in (schema.get("properties") or {}).items():
            walk(sub, path + [key], kind)
        for key in ("items", "additionalProperties"):
            walk(schema.get(key), path, kind)

    for file in sorted(crd_dir.glob("*.yaml")):
        for crd in yaml.safe_load_all(file.read_text()):
            for version in crd["spec"]["versions"]:
                if version.get("served"):
                    walk(version["schema"]["openAPIV3Schema"], [], crd["spec"]["names"]["kind"])
    return found


def normal(rule: str) -> str:
    return " ".join(rule.split())


def test_every_cel_rule_of_the_current_crds_has_a_case():
    in_crds = sorted((k, n, normal(r)) for k, n, r, _ in crd_rules(schemas.CRDS / "current"))
    assert len(in_crds) >= 10, in_crds  # Flux 2.9's CRDs hold dozens: none found is a broken reader
    assert in_crds == sorted((k, n, normal(r)) for k, n, r, _, _ in CASES)


def test_the_crds_use_only_functions_celpy_provides():
    rules = [rule for _, _, rule, _ in crd_rules(schemas.CRDS / "current")]
    assert len(rules) >= 10, rules
    for rule in rules:
        cel_rules.compile_rule(rule)  # raises RuleError naming a missing function


@pytest.mark.parametrize("kind, node, rule, keeping, breaking", CASES, ids=[f"{c[0]}:{c[2][:40]}" for c in CASES])
def test_cel_rule_kept_and_broken(kind, node, rule, keeping, breaking):
    (message,) = [m for k, n, r, m in crd_rules(schemas.CRDS / "current") if (k, n, normal(r)) == (kind, node, normal(rule))]
    assert validate_object(keeping) == []
    assert f"{kind}/x: {node}: {message}" in validate_object(breaking)


def test_helmrelease_with_both_chart_and_chart_ref():
    both = obj("HelmRelease", chartRef=CHART_REF)
    assert validate_object(both) == ["HelmRelease/x: spec: either chart or chartRef must be set"]


# --- CEL mechanics on a CRD of our own ------------------------------------------------


def write_crd(folder: Path, spec_schema: dict) -> Path:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.invalid"},
        "spec": {
            "group": "example.invalid", "names": {"kind": "Widget", "plural": "widgets"}, "scope": "Namespaced",
            "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                               "metadata": {"type": "object"}, "spec": spec_schema},
            }}}],
        },
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "widgets.yaml").write_text(yaml.safe_dump(crd))
    return folder


def widget(**spec) -> dict:
    return {"apiVersion": "example.invalid/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec}


def test_message_expression_field_path_list_items_and_transition_rules(tmp_path):
    crds = write_crd(tmp_path / "crds", {
        "type": "object",
        "properties": {
            "size": {"type": "integer"},
            "ports": {"type": "array", "items": {
                "type": "object", "properties": {"port": {"type": "integer"}},
                "x-kubernetes-validations": [{"rule": "self.port < 1024", "message": "low ports only"}],
            }},
        },
        "x-kubernetes-validations": [
            {"rule": "self.size <= 3", "messageExpression": "'size ' + string(self.size) + ' is over 3'",
             "fieldPath": ".size"},
            {"rule": "self.size == oldSelf.size", "message": "immutable"},  # updates only
        ],
    })
    assert validate_object(widget(size=2, ports=[{"port": 80}]), [crds]) == []
    assert validate_object(widget(size=5, ports=[{"port": 80}, {"port": 8080}]), [crds]) == [
        "Widget/w: spec.size: size 5 is over 3",
        "Widget/w: spec.ports.1: low ports only",
    ]


def test_a_rule_that_cannot_be_evaluated_is_reported(tmp_path):
    crds = write_crd(tmp_path / "crds", {
        "type": "object", "properties": {"name": {"type": "string"}},
        "x-kubernetes-validations": [{"rule": "self.name != 'x'", "message": "not x"}],
    })
    (error,) = validate_object(widget(), [crds])
    assert error.startswith("Widget/w: spec: rule \"self.name != 'x'\" could not be evaluated: no such member")


def test_a_rule_calling_a_function_celpy_lacks_is_refused_by_name(tmp_path):
    crds = write_crd(tmp_path / "crds", {
        "type": "object", "properties": {"url": {"type": "string"}},
        "x-kubernetes-validations": [{"rule": "isURL(self.url)", "message": "a URL"}],
    })
    with pytest.raises(cel_rules.RuleError, match="calls isURL"):
        validate_object(widget(url="https://x"), [crds])
    # a method call is found as well; celpy's own functions pass
    with pytest.raises(cel_rules.RuleError, match="calls lowerAscii"):
        cel_rules.compile_rule("self.url.lowerAscii() == 'x' && self.url.startsWith('h') && size(self.url) > 1")
    cel_rules.compile_rule("self.url.startsWith('h') && size(self.url) > 1 && self.url.matches('^h')")


# --- strict CRD schemas ---------------------------------------------------------------


def test_required_fields_with_defaults_pass_as_the_api_server_defaults_them():
    automation = {
        "apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageUpdateAutomation", "metadata": dict(META),
        "spec": {"interval": "10m", "sourceRef": {"name": "flux-system"}},  # kind defaults to GitRepository
    }
    assert validate_object(automation) == []
    del automation["spec"]["sourceRef"]["name"]
    assert validate_object(automation) == ["ImageUpdateAutomation/x: spec.sourceRef: 'name' is a required property"]


def test_unknown_fields_and_unserved_versions():
    hr = obj("HelmRelease", valuesFile="values.yaml")
    (error,) = validate_object(hr)
    assert error.startswith("HelmRelease/x: spec: ") and "'valuesFile' was unexpected" in error
    hr = obj("HelmRelease")
    hr["apiVersion"] = "helm.toolkit.fluxcd.io/v2beta1"
    assert validate_object(hr) == [
        "HelmRelease/x: apiVersion: helm.toolkit.fluxcd.io/v2beta1 HelmRelease is not served by Flux 2.9; "
        "use helm.toolkit.fluxcd.io/v2"
    ]


def test_a_number_where_a_string_belongs_says_quote_it():
    """`version: 1.10` reads as the number 1.1: quoting what YAML made of it ("1.1") would
    name another version, so a decimal is to be quoted as written."""
    hr = obj("HelmRelease")
    hr["spec"]["chart"]["spec"]["version"] = 1.10
    assert validate_object(hr) == ["HelmRelease/x: spec.chart.spec.version: value 1.1 must be a string: quote it as "
                                   "you wrote it (YAML reads an unquoted number as a number, 1.10 as 1.1)"]
    hr["spec"]["chart"]["spec"]["version"] = 6
    assert validate_object(hr) == ["HelmRelease/x: spec.chart.spec.version: value 6 must be a string (quote it)"]


# --- Kubernetes' own kinds ------------------------------------------------------------

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}},
                     "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}]}]}},
    },
}


def test_kubernetes_kinds_against_kubernetes_schemas():
    assert validate_object(DEPLOYMENT) == []
    bad = copy.deepcopy(DEPLOYMENT)
    bad["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    (error,) = validate_object(bad)
    assert error.startswith("Deployment/web: spec.template.spec.containers.0: ")
    assert "'imagePullPolice' was unexpected" in error
    bad = copy.deepcopy(DEPLOYMENT)
    bad["spec"]["replicas"] = "two"
    (error,) = validate_object(bad)
    assert error.startswith("Deployment/web: spec.replicas: 'two' is not of type")


def test_a_kind_kubernetes_no_longer_serves():
    version = kubernetes_schemas.KUBERNETES_VERSION.rsplit(".", 1)[0]
    ingress = {"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "web"}}
    assert validate_object(ingress) == [
        f"Ingress/web: apiVersion: extensions/v1beta1 Ingress is not served by Kubernetes {version}; "
        "use networking.k8s.io/v1"
    ]


def test_core_kinds_and_metadata():
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "labels": {"n": 3}},
          "data": {"a": "1", "replicas": 3}}
    assert validate_object(cm) == [
        "ConfigMap/cfg: metadata.labels.n: value 3 must be a string (quote it)",
        "ConfigMap/cfg: data.replicas: value 3 must be a string (quote it)",
    ]
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "my.apps"}}
    assert validate_object(ns) == ["Namespace/my.apps: metadata.name: 'my.apps' is not a DNS-1123 label"]
    listed = {"apiVersion": "v1", "kind": "List", "items": [ns]}
    assert validate_object(listed) == [
        "List: items.0: Namespace/my.apps: metadata.name: 'my.apps' is not a DNS-1123 label"
    ]


def test_a_name_ending_in_a_line_break_is_no_dns1123_name():
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps\n"}}
    assert validate_object(ns) == ["Namespace/apps\n: metadata.name: 'apps\\n' is not a DNS-1123 subdomain"]
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "apps\n"}}
    assert validate_object(cm) == ["ConfigMap/x: metadata.namespace: 'apps\\n' is not a DNS-1123 label"]


def test_other_groups_get_the_metadata_check_only():
    cert = {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "c"}, "spec": {"x": 1}}
    assert validate_object(cert) == []
    cert["metadata"]["name"] = "C_1"
    assert validate_object(cert) == ["Certificate/C_1: metadata.name: 'C_1' is not a DNS-1123 subdomain"]


@pytest.mark.parametrize("kind", ["Bucket", "ExternalArtifact"])
def test_flux_kinds_whose_crds_are_not_shipped_get_the_metadata_check_only(kind):
    """Flux serves them (source.toolkit.fluxcd.io/v1), the package ships no CRD of them: no
    "not served" error, the metadata rules still hold, a version Flux removed is named."""
    obj = {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": kind, "metadata": {"name": "minio"},
           "spec": {"bucketName": "b", "endpoint": "minio:9000", "interval": "5m"}}
    assert validate_object(obj) == []
    assert validate_object({**obj, "metadata": {"name": "Minio"}}) == [
        f"{kind}/Minio: metadata.name: 'Minio' is not a DNS-1123 subdomain"]
    assert validate_object({**obj, "apiVersion": "source.toolkit.fluxcd.io/v1beta2"}) == [
        f"{kind}/minio: apiVersion: source.toolkit.fluxcd.io/v1beta2 {kind} is not served by Flux 2.9; "
        "use source.toolkit.fluxcd.io/v1"]
    flux_2_6 = [ROOT / "flux_cookbook/crds/flux-2.6"]  # which serves the group's betas
    assert validate_object({**obj, "apiVersion": "source.toolkit.fluxcd.io/v1beta2"}, flux_2_6) == []
    # A kind of the group that Flux does not serve at all is still an error.
    assert validate_object({**obj, "kind": "Buckets"}) == [
        "Buckets/minio: apiVersion: source.toolkit.fluxcd.io/v1 Buckets is not served by Flux 2.9"]


def test_kubernetes_validate_data_missing_is_a_clear_error():
    with pytest.raises(kubernetes_schemas.SchemaDataError, match="Kubernetes 1.0.0"):
        kubernetes_schemas.validator("apps/v1", "Deployment", version="1.0.0")


# --- files ----------------------------------------------------------------------------


def test_validate_file_points_at_documents_and_fields(tmp_path):
    path = tmp_path / "apps.yaml"
    path.write_text(
        "# a comment-only document\n"
        "---\n"
        "apiVersion: v1\n"                    # 3
        "kind: Namespace\n"
        "metadata:\n"
        "  name: apps\n"
        "---\n"
        "apiVersion: helm.toolkit.fluxcd.io/v2\n"  # 8
        "kind: HelmRelease\n"
        "metadata:\n"
        "  name: podinfo\n"
        "spec:\n"                             # 12
        "  interval: 10 minutes\n"            # 13
        "  chart:\n"
        "    spec: {chart: podinfo, sourceRef: {kind: HelmRepository, name: podinfo}}\n"
        "  chartRef: {kind: OCIRepository, name: podinfo}\n"
        "---\n"
        "kind: Secret\n"                      # 18
    )
    problems = validate_file(path, "apps.yaml")
    assert [line for line, _ in problems] == [13, 18]
    assert problems[0][1].startswith("HelmRelease/podinfo: spec.interval: '10 minutes' does not match")
    assert problems[1] == (18, "document: apiVersion and kind: required strings")
    # with the interval fixed, the CEL rule points at spec
    path.write_text(path.read_text().replace("10 minutes", "10m"))
    assert validate_file(path, "apps.yaml") == [
        (12, "HelmRelease/podinfo: spec: either chart or chartRef must be set"),
        (18, "document: apiVersion and kind: required strings"),
    ]


def test_validate_file_duplicate_keys_invalid_yaml_and_kustomization_files(tmp_path):
    dup = tmp_path / "dup.yaml"
    dup.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\nkind: Secret\n")
    ((line, message),) = validate_file(dup, "dup.yaml")
    assert line == 5 and message.startswith("invalid YAML: ") and "duplicate key 'kind'" in message
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: 1\nb: [unclosed\n")
    ((line, message),) = validate_file(broken, "broken.yaml")
    assert message.startswith("invalid YAML: ") and line == 3
    kustomization = tmp_path / "kustomization.yaml"
    kustomization.write_text("resources: [a.yaml]\n")  # no apiVersion/kind: build input only
    assert validate_file(kustomization, "apps/kustomization.yaml") == []
    kustomization.write_text("resources: [a.yaml]\nresources: []\n")
    assert "duplicate key" in validate_file(kustomization, "apps/kustomization.yaml")[0][1]


def test_a_pattern_is_shown_as_the_crd_writes_it(tmp_path):
    """jsonschema quotes patterns with Python's repr, each backslash doubled: the message
    shows the one a user can copy, as the CRD has it."""
    pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"  # Flux's duration pattern, backslash included
    crds = write_crd(tmp_path / "crds", {"type": "object", "properties": {
        "interval": {"type": "string", "pattern": pattern},
        "labels": {"type": "object", "additionalProperties": False, "patternProperties": {r"^app\.\w+$": {}}},
    }})
    problems = validate_object(widget(interval="5 minutes", labels={"team": "x"}), [crds])
    assert f"Widget/w: spec.interval: '5 minutes' does not match '{pattern}'" in problems
    assert any(r"does not match any of the regexes: '^app\.\w+$'" in problem for problem in problems), problems


@pytest.mark.parametrize(("document", "said"), [(["a", "b"], "a list"), ("text", "a string"), (5, "a number")])
def test_a_document_that_is_no_object_is_named_in_yamls_words(document, said):
    [message] = validate_object(document)
    assert message.endswith(f"but {said}") and "LineList" not in message and "but str" not in message
