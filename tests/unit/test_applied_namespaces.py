"""ref.namespace on small hand-written repositories, built with the real kustomize (the
catalogue in tests/test_check.py covers it on a generated one)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from flux_cookbook.check.applied_namespaces import check_applied_namespaces
from flux_cookbook.check.run import ERROR, WARNING
from flux_cookbook.repository import flux_build
from flux_cookbook.repository.model import read_repository
from tests.fixtures import cookbook_shapes as shapes
from tests.fixtures.cookbook_shapes import namespace


def kustomization(name: str, depends: tuple[str, ...] = (), target: str = "") -> str:
    text = shapes.kustomization(name, f"./{name}")
    if target:
        text += f"  targetNamespace: {target}\n"
    if depends:
        text += "  dependsOn:\n" + "".join(f"    - name: {d}\n" for d in depends)
    return text


def obj(kind: str, name: str, ns: str = "", api: str = "v1") -> str:
    meta = f"  name: {name}\n" + (f"  namespace: {ns}\n" if ns else "")
    return f"apiVersion: {api}\nkind: {kind}\nmetadata:\n{meta}"


CLUSTER_ISSUER_CRD = textwrap.dedent("""\
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata:
      name: clusterissuers.cert-manager.io
    spec:
      group: cert-manager.io
      names:
        kind: ClusterIssuer
        plural: clusterissuers
      scope: Cluster
      versions:
        - name: v1
          served: true
          storage: true
          schema:
            openAPIV3Schema:
              type: object
              x-kubernetes-preserve-unknown-fields: true
    """)


def found(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, int, str, str]]:
    """(path, line, severity, message) of each ref.namespace problem of a repository of
    `files` beside bootstrap/flux-system/gotk-sync.yaml."""
    for path, text in {"bootstrap/flux-system/gotk-sync.yaml": shapes.gotk_sync("./bootstrap"), **files}.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    repo = read_repository(tmp_path)
    problems = check_applied_namespaces(repo, flux_build.build_all(tmp_path))
    return sorted((p.path, p.line, p.severity, p.message) for p in problems)


def where(problems) -> list[tuple[str, int, str]]:
    return [(path, line, severity) for path, line, severity, _ in problems]


def test_a_namespace_nothing_declares_is_an_error_at_the_objects_namespace(tmp_path):
    problems = found(tmp_path, {
        "bootstrap/kustomizations/kustomization-apps.yaml": kustomization("apps"),
        "bootstrap/namespaces/namespace-apps.yaml": namespace("apps"),
        "apps/configmap-good.yaml": obj("ConfigMap", "good", "apps"),
        "apps/configmap-typo.yaml": "# a typo\n" + obj("ConfigMap", "typo", "aps"),
    })
    assert where(problems) == [("apps/configmap-typo.yaml", 6, ERROR)]
    message = problems[0][3]
    assert message.startswith("ConfigMap typo goes into namespace aps, which nothing in this repository declares")
    for part in ("Kustomization flux-system/apps (path apps)", 'namespaces "aps" not found',
                 "bootstrap/namespaces/namespace-aps.yaml"):
        assert part in message


def test_a_target_namespace_nothing_declares_is_one_error_at_the_target_namespace(tmp_path):
    problems = found(tmp_path, {
        "bootstrap/kustomizations/kustomization-apps.yaml": kustomization("apps", target="appz"),
        "apps/configmap-a.yaml": obj("ConfigMap", "a"),
        "apps/configmap-b.yaml": obj("ConfigMap", "b", "apps"),
        # Cluster-scoped: kustomize leaves it out of the namespace, and it is no object of one.
        "apps/clusterrole-reader.yaml": obj("ClusterRole", "reader", api="rbac.authorization.k8s.io/v1"),
    })
    target_line = kustomization("apps", target="appz").splitlines().index("  targetNamespace: appz") + 1
    assert where(problems) == [("bootstrap/kustomizations/kustomization-apps.yaml", target_line, ERROR)]
    assert problems[0][3].startswith("ConfigMap a (and 1 more object) goes into namespace appz")


def test_a_kustomize_namespace_is_reported_where_the_kustomization_file_sets_it(tmp_path):
    problems = found(tmp_path, {
        "bootstrap/kustomizations/kustomization-apps.yaml": kustomization("apps"),
        "apps/kustomization.yaml": "resources:\n  - configmap-a.yaml\n  - configmap-b.yaml\nnamespace: appz\n",
        "apps/configmap-a.yaml": obj("ConfigMap", "a"),
        "apps/configmap-b.yaml": obj("ConfigMap", "b"),
    })
    assert where(problems) == [("apps/kustomization.yaml", 4, ERROR)]


def test_an_object_only_the_build_makes_is_reported_at_its_kustomization(tmp_path):
    problems = found(tmp_path, {
        "bootstrap/kustomizations/kustomization-apps.yaml": kustomization("apps"),
        "apps/kustomization.yaml": "configMapGenerator:\n  - name: settings\n    namespace: nowhere\n    literals: [a=b]\n",
    })
    assert where(problems) == [("bootstrap/kustomizations/kustomization-apps.yaml", 1, ERROR)]
    assert problems[0][3].startswith("ConfigMap settings-")


def test_cluster_scoped_kinds_are_not_reported_but_unknown_kinds_are(tmp_path):
    problems = found(tmp_path, {
        "bootstrap/kustomizations/kustomization-apps.yaml": kustomization("apps"),
        # Each sets a namespace nothing declares; the API server ignores it on a cluster-scoped kind.
        "apps/clusterrole-reader.yaml": obj("ClusterRole", "reader", "nowhere", "rbac.authorization.k8s.io/v1"),
        "apps/storageclass-fast.yaml": obj("StorageClass", "fast", "nowhere", "storage.k8s.io/v1"),
        # The repository's own CRD says ClusterIssuer is cluster-scoped.
        "apps/customresourcedefinition-clusterissuers.cert-manager.io.yaml": CLUSTER_ISSUER_CRD,
        "apps/clusterissuer-letsencrypt.yaml": obj("ClusterIssuer", "letsencrypt", "nowhere", "cert-manager.io/v1"),
        # No CRD at hand: it sets a namespace, so it lives in one.
        "apps/widget-w.yaml": obj("Widget", "w", "nowhere", "example.com/v1"),
    })
    assert where(problems) == [("apps/widget-w.yaml", 5, ERROR)]


def test_namespaces_kubernetes_or_flux_make_need_no_declaration(tmp_path):
    assert found(tmp_path, {
        "bootstrap/kustomizations/kustomization-apps.yaml": kustomization("apps"),
        **{f"apps/configmap-{ns}.yaml": obj("ConfigMap", ns, ns)
           for ns in ("default", "kube-system", "kube-public", "kube-node-lease", "flux-system")},
    }) == []


def test_declared_by_a_kustomization_applied_before_is_fine_and_by_another_a_warning(tmp_path):
    problems = found(tmp_path, {
        # The bootstrap folder applies the Kustomizations themselves: what it declares is there first.
        "bootstrap/namespaces/namespace-early.yaml": namespace("early"),
        "bootstrap/kustomizations/kustomization-a.yaml": kustomization("a"),
        "bootstrap/kustomizations/kustomization-b.yaml": kustomization("b", depends=("a",)),
        "bootstrap/kustomizations/kustomization-c.yaml": kustomization("c", depends=("b",)),
        "bootstrap/kustomizations/kustomization-d.yaml": kustomization("d"),
        "a/namespace-shared.yaml": namespace("shared"),
        "b/configmap-b.yaml": obj("ConfigMap", "b", "early"),
        "c/configmap-transitive.yaml": obj("ConfigMap", "transitive", "shared"),
        "c/configmap-parent.yaml": obj("ConfigMap", "parent", "early"),
        "d/configmap-racing.yaml": obj("ConfigMap", "racing", "shared"),
    })
    assert where(problems) == [("d/configmap-racing.yaml", 5, WARNING)]
    message = problems[0][3]
    assert "which only Kustomization flux-system/a (path a) declares" in message
    assert message.endswith("Add dependsOn: [{name: a}] to Kustomization d")


def test_nothing_is_said_while_a_build_fails(tmp_path):
    assert found(tmp_path, {
        "bootstrap/kustomizations/kustomization-apps.yaml": kustomization("apps"),
        "apps/kustomization.yaml": "resources:\n  - configmap-a.yaml\n  - missing.yaml\n",
        "apps/configmap-a.yaml": obj("ConfigMap", "a", "nowhere"),
    }) == []
