"""`flux-cookbook check --path` on flux-local's test clusters (tests/fixtures/flux_local/
testdata.txtar, see its NOTICE): check follows the Kustomizations flux-local's `get ks`
lists for the same path (its snapshot, copied alongside), and reports as errors only what Flux would refuse
or what leaks a secret, the deliberately broken cluster included."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flux_cookbook.cli import main
from tests.support import txtar
from tests.support.project import init_repo

FIXTURE = Path(__file__).parent / "fixtures" / "flux_local"
TESTDATA = "tests/testdata"

# flux-local's `get ks` test cases: snapshot id -> the --path it was given.
SNAPSHOTS = {
    "cluster": "cluster",
    "cluster2": "cluster2",
    "cluster4": "cluster4",
    "cluster5-all": "cluster5",  # -A: the Kustomization of namespace `controllers` too
    "cluster6": "cluster6",
    "cluster7": "cluster7",
    "cluster9": "cluster9/clusters/dev",
    "cluster_path": "cluster/clusters/prod",
}

# What check reports as errors in each cluster's own files, each something Flux refuses.
ERRORS = {
    "cluster": {
        # A Secret in plain text: a leak, whatever Flux makes of it.
        ("cluster/clusters/prod/flux-system/cluster-secrets.yaml", "convention.plain-secret"),
        # Applied into namespaces nothing creates: `namespaces "..." not found`.
        ("cluster/infrastructure/configs/ceph-cluster.yaml", "ref.namespace"),
        ("cluster/infrastructure/controllers/metallb-release.yaml", "ref.namespace"),
        # A HelmRelease installing into namespace `weave`, which nothing creates (no
        # install.createNamespace either): Helm's install fails.
        ("cluster/infrastructure/controllers/weave-gitops-release.yaml", "ref.namespace"),
    },
    "cluster2": set(),
    "cluster4": set(),
    "cluster5": {
        # The Kustomization of namespace `controllers` names GitRepository flux-system without a
        # namespace, so in its own, where there is none; and that namespace is not created.
        ("cluster5/clusters/prod/infrastructure.yaml", "ref.source"),
        ("cluster5/clusters/prod/infrastructure.yaml", "ref.namespace"),
        ("cluster5/metallb-release.yaml", "ref.namespace"),
        ("cluster5/weave-gitops-release.yaml", "ref.namespace"),  # targetNamespace weave, as in `cluster`
    },
    "cluster6": {("cluster6/cluster/apps.yaml", "schema")},  # Kustomization v1 without interval and prune
    "cluster7": {
        ("cluster7/flux/apps/ingress-nginx/chart.yaml", "schema"),  # HelmChart v1: no sourceRef.namespace
        ("cluster7/flux/apps/ingress-nginx/chart.yaml", "ref.namespace"),
        ("cluster7/flux/apps/ingress-nginx/release.yaml", "schema"),  # HelmRelease v2 without interval
    },
    "cluster9/clusters/dev": {("cluster9/apps/podinfo/repository.yaml", "convention.plain-secret")},
    # Deliberately broken: an image that is a mapping, into a namespace nothing creates.
    "image_error": {("image_error/apps/pods.yaml", "schema"), ("image_error/apps/pods.yaml", "ref.namespace")},
}


def snapshot_kustomizations() -> dict[str, set[tuple[str, str, str]]]:
    """(namespace, name, path) of each Kustomization each snapshot lists."""
    text = (FIXTURE / "test_get_ks.ambr").read_text()
    found = {}
    for name, body in re.findall(r"# name: test_get_ks\[([^\]]+)\]\n  '''\n(.*?)  '''", text, re.S):
        header, *rows = [line.split() for line in body.splitlines() if line.strip()]
        listed = set()
        for row in rows:
            cells = dict(zip(header, row))
            listed.add((cells.get("NAMESPACE", "flux-system"), cells["NAME"], cells["PATH"]))
        found[name] = listed
    return found


@pytest.fixture(scope="module")
def clusters(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("flux-local") / "repo"
    txtar.extract(FIXTURE / "testdata.txtar", repo)
    return init_repo(repo)


def check(repo: Path, path: str, capsys) -> dict:
    main(["check", str(repo), "--path", f"{TESTDATA}/{path}", "--format", "json"])
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("snapshot", sorted(SNAPSHOTS))
def test_follows_what_flux_local_lists(clusters, capsys, snapshot):
    report = check(clusters, SNAPSHOTS[snapshot], capsys)
    followed = {(k["namespace"], k["name"], k["path"]) for k in report["kustomizations"]}
    assert followed == snapshot_kustomizations()[snapshot]


@pytest.mark.parametrize("path", sorted(ERRORS))
def test_errors_are_what_flux_refuses(clusters, capsys, path):
    report = check(clusters, path, capsys)
    own = f"{TESTDATA}/{path.split('/')[0]}/"
    errors = {(p["path"].removeprefix(f"{TESTDATA}/"), p["rule"]) for p in report["problems"]
              if p["severity"] == "error" and p["path"].startswith(own)}
    assert errors == ERRORS[path]


def test_a_source_not_followed_offline_is_named(clusters, capsys):
    report = check(clusters, "cluster2", capsys)
    assert report["not_followed"] == [
        {"kind": "OCIRepository", "namespace": "flux-system", "name": "flux-manifests", "kustomization": "flux-system/flux"}
    ]
    main(["check", str(clusters), "--path", f"{TESTDATA}/cluster2"])
    out = capsys.readouterr().out
    assert out.count("not followed: OCIRepository flux-system/flux-manifests") == 1
    # In every format: a pull request's comment and a tool reading JSON learn it too.
    assert [line for line in report["notes"] if "not followed: OCIRepository flux-system/flux-manifests" in line]
    for base in ([], ["--base", "HEAD"]):
        main(["check", str(clusters), "--path", f"{TESTDATA}/cluster2", "--format", "markdown", *base])
        assert "> note: not followed: OCIRepository flux-system/flux-manifests" in capsys.readouterr().out, base
    main(["check", str(clusters), "--path", f"{TESTDATA}/cluster2", "--base", "HEAD"])
    assert "note: not followed: OCIRepository flux-system/flux-manifests" in capsys.readouterr().out
    main(["check", str(clusters), "--path", f"{TESTDATA}/cluster2", "--base", "HEAD", "--format", "json"])
    assert json.loads(capsys.readouterr().out)["notes"]


def test_the_flux_version_recorded_picks_the_nearest_crds_shipped(clusters, capsys):
    main(["check", str(clusters), "--path", f"{TESTDATA}/cluster9/clusters/dev"])
    out = capsys.readouterr().out
    assert "records Flux 2.2.3" in out and "validated against Flux 2.6's" in out
    assert "current" not in out


def test_a_folder_without_a_flux_kustomization_is_checked_as_a_kustomizations_path(clusters, capsys):
    # apps/ holds a kustomization.yaml and plain objects; the Flux Kustomization applying it is
    # elsewhere (cluster/apps.yaml). Given alone, it is built and its objects validated.
    report = check(clusters, "image_error/apps", capsys)
    # No file defines that Kustomization: it has no name (nor namespace) to give.
    assert [(k["name"], k["path"]) for k in report["kustomizations"]] == [(None, f"{TESTDATA}/image_error/apps")]
    assert ("image_error/apps/pods.yaml", "schema") in {
        (p["path"].removeprefix(f"{TESTDATA}/"), p["rule"]) for p in report["problems"] if p["severity"] == "error"}
    assert main(["check", str(clusters), "--path", f"{TESTDATA}/image_error/apps"]) == 1
    assert "followed 1 Flux Kustomization" in capsys.readouterr().out
