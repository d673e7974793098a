"""`copier update` to 3.0.0 on repositories a user has lived in: from 2.1.1, and from 1.0.0.

Each repository is made at a release tag of this repository's own history, committed,
edited as a user would (their own install settings, drift detection, values, comments,
added files, a registry that needs a Secret), committed, then updated to the working
tree's release with `flux-cookbook update-all`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from flux_cookbook.check import run as check
from flux_cookbook.repository import flux_build
from tests.support.project import CRDS, answers, commit_all, copier_cli, copy, edit, files, init_repo, load, own_copy, tree_state
from tests.support.template_repo import git
from tests.support.updated_repo import assert_current_and_valid, update_all

CURRENT = [CRDS / "current", CRDS / "sealed-secrets"]
BITNAMI = "oci://registry-1.docker.io/bitnamicharts"
RECOMMENDED_INSTALL = {"crds": "CreateReplace", "strategy": {"name": "RetryOnFailure", "retryInterval": "5m"}}
RECOMMENDED_UPGRADE = {"crds": "CreateReplace", "strategy": {"name": "RetryOnFailure", "retryInterval": "5m"}}

# A HelmRelease written by hand, outside any app, on the apps' shared oci HelmRepository.
EXTRAS_KUSTOMIZATION = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: extras
  namespace: flux-system
spec:
  interval: 1h
  path: ./extras
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""
EXTRAS_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: metrics
  namespace: flux-system
spec:
  interval: 1h
  chart:
    spec:
      chart: metrics-server
      version: 7.x
      sourceRef:
        kind: HelmRepository
        name: bitnami
"""
INGRESS = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: podinfo\n"


def add_oci_app(template, repo: Path, tag: str, name: str, chart: str, helm_repo_name: str, **extra) -> None:
    copy(template.path, repo, vcs_ref=tag, kind="app", app_name=name, chart=chart, chart_version="16.x",
         helm_repo_name=helm_repo_name, helm_repo_url=BITNAMI if helm_repo_name == "bitnami" else f"oci://{helm_repo_name}.example.com/charts",
         fetch_values=False, health_checks=[], **extra)


@pytest.fixture(scope="module")
def made_at_2_1_1(template, tmp_path_factory) -> Path:
    """A 2.1.1 repository: podinfo (https), three apps on oci HelmRepositories of type oci.
    Made once for the module; each test that changes it works on its own copy."""
    tag = template.tag("2.1.1")
    repo = init_repo(copy(template.path, tmp_path_factory.mktemp("lived-in") / "cluster", vcs_ref=tag))
    for name, chart, helm_repo_name in (("pg", "postgresql", "bitnami"), ("cache", "valkey", "bitnami"),
                                        ("mq", "rabbitmq", "rabbit"), ("vault", "vault", "corp")):
        add_oci_app(template, repo, tag, name, chart, helm_repo_name, chart_source="helmrepository")
    commit_all(repo, "Apps")

    # Their own failure handling on podinfo; their own drift detection on cache.
    edit(repo / "podinfo/helmrelease-podinfo.yaml", "  timeout: 5m\n",
         "  timeout: 5m\n  install:\n    remediation:\n      retries: 3 # flaky registry\n")
    edit(repo / "cache/helmrelease-cache.yaml", "  releaseName: cache\n",
         "  releaseName: cache\n  driftDetection:\n    mode: warn # replicas scale by hand\n")
    # A version they chose by hand, a comment, an interval of their own.
    edit(repo / "pg/helmrelease-pg.yaml", "      version: 16.x\n", "      version: 16.4.x # tested with our data\n")
    edit(repo / "pg/helmrelease-pg.yaml", "  interval: 15m\n", "  interval: 30m # nightly maintenance\n")
    edit(repo / "bootstrap/helmrepositories/helmrepository-rabbit.yaml", "  interval: 15m\n", "  interval: 1h\n")
    # A private registry: its Secret lives in flux-system.
    edit(repo / "bootstrap/helmrepositories/helmrepository-corp.yaml", "  type: oci\n",
         "  type: oci\n  secretRef:\n    name: corp-registry\n")
    edit(repo / "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml", "data:\n", "data:\n  # ours\n")
    (repo / "podinfo/ingress-podinfo.yaml").write_text(INGRESS)
    (repo / "bootstrap/kustomizations/kustomization-extras.yaml").write_text(EXTRAS_KUSTOMIZATION)
    (repo / "extras").mkdir()
    (repo / "extras/helmrelease-metrics.yaml").write_text(EXTRAS_RELEASE)
    commit_all(repo, "Our changes")
    return repo


@pytest.fixture
def lived_in_2_1_1(made_at_2_1_1, tmp_path) -> Path:
    return own_copy(made_at_2_1_1, tmp_path / "cluster")


@pytest.fixture(scope="module")
def migrated_2_1_1(made_at_2_1_1, template, tmp_path_factory) -> tuple[Path, str]:
    """The 2.1.1 repository updated once, for the tests that only read what it became."""
    repo = own_copy(made_at_2_1_1, tmp_path_factory.mktemp("migrated") / "cluster")
    result = update_all(repo, template)
    return repo, result.stdout + result.stderr


def list_in_kustomization(repo: Path, folder: str) -> str:
    """A kustomization.yaml of the user's own in `folder`, listing its YAML files by hand."""
    listed = sorted(str(p.relative_to(repo / folder)) for p in (repo / folder).rglob("*.yaml"))
    text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n" + "".join(
        f"  - {path} # ours\n" for path in listed)
    (repo / folder / "kustomization.yaml").write_text(text)
    return text


def spec(repo: Path, app: str) -> dict:
    return load(repo / f"{app}/helmrelease-{app}.yaml")["spec"]


def test_everything_validates_and_builds(migrated_2_1_1):
    repo, _ = migrated_2_1_1
    assert_current_and_valid(repo)


def test_new_settings_where_the_user_had_none(migrated_2_1_1):
    repo, _ = migrated_2_1_1
    for app in ("pg", "mq"):
        assert spec(repo, app)["install"] == RECOMMENDED_INSTALL
        assert spec(repo, app)["upgrade"] == RECOMMENDED_UPGRADE
        assert spec(repo, app)["driftDetection"] == {"mode": "enabled"}
        assert answers(repo, app)["helm_strategy"] == "RetryOnFailure"


def test_own_install_settings_stand_and_nothing_is_added_beside_them(migrated_2_1_1):
    repo, output = migrated_2_1_1
    podinfo = spec(repo, "podinfo")
    assert podinfo["install"] == {"remediation": {"retries": 3}}
    assert "upgrade" not in podinfo
    assert "retries: 3 # flaky registry" in (repo / "podinfo/helmrelease-podinfo.yaml").read_text()
    assert podinfo["driftDetection"] == {"mode": "enabled"}
    assert (answers(repo, "podinfo")["helm_strategy"], answers(repo, "podinfo")["helm_crds"]) == ("", "")
    assert "podinfo/helmrelease-podinfo.yaml: has its own install/upgrade settings" in output


def test_own_drift_detection_stands(migrated_2_1_1):
    repo, _ = migrated_2_1_1
    cache = spec(repo, "cache")
    assert cache["driftDetection"] == {"mode": "warn"}
    assert "mode: warn # replicas scale by hand" in (repo / "cache/helmrelease-cache.yaml").read_text()
    assert cache["install"] == RECOMMENDED_INSTALL
    assert answers(repo, "cache")["drift_detection"] == ""


def test_oci_apps_move_to_an_oci_repository(migrated_2_1_1, template, tmp_path):
    repo, output = migrated_2_1_1
    pg = spec(repo, "pg")
    assert pg["chartRef"] == {"kind": "OCIRepository", "name": "pg"} and "chart" not in pg
    assert "  interval: 30m # nightly maintenance\n" in (repo / "pg/helmrelease-pg.yaml").read_text()
    source = load(repo / "pg/ocirepository-pg.yaml")
    assert source["metadata"] == {"name": "pg", "namespace": "pg"}
    assert source["spec"]["url"] == f"{BITNAMI}/postgresql"
    assert source["spec"]["ref"] == {"semver": "16.4.x"}  # the version the user chose, not the answer
    # The comment of spec.chart stays in the file, above chartRef, and the output says so.
    assert "  # tested with our data\n  chartRef:\n" in (repo / "pg/helmrelease-pg.yaml").read_text()
    assert "the comments of spec.chart are kept with spec.chartRef: version: 16.4.x # tested with our data" in output
    assert load(repo / "mq/ocirepository-mq.yaml")["spec"]["interval"] == "1h"
    for app in ("pg", "cache", "mq"):
        assert answers(repo, app)["chart_source"] == "ocirepository"
    # Written as a fresh copy of 3.0.0 writes it, for the same chart, version and registry.
    fresh = copy(template.path, tmp_path / "fresh", vcs_ref=template.current, include_example_app=False)
    add_oci_app(template, fresh, template.current, "cache", "valkey", "bitnami")
    assert (repo / "cache/ocirepository-cache.yaml").read_text() == (fresh / "cache/ocirepository-cache.yaml").read_text()
    assert (repo / "cache/helmrelease-cache.yaml").read_text().replace(
        "  driftDetection:\n    mode: warn # replicas scale by hand\n", "") == (fresh / "cache/helmrelease-cache.yaml").read_text().replace(
        "  # Objects of the release changed outside Git (kubectl edit): enabled puts them back as\n"
        "  # the chart renders them, warn only reports them.\n  driftDetection:\n    mode: enabled\n", "")


def test_helm_repositories_used_stay_and_unused_ones_go(migrated_2_1_1):
    repo, output = migrated_2_1_1
    present = files(repo)
    assert "bootstrap/helmrepositories/helmrepository-bitnami.yaml" in present  # extras/ still uses it
    assert "bootstrap/helmrepositories/helmrepository-podinfo.yaml" in present
    assert "bootstrap/helmrepositories/helmrepository-rabbit.yaml" not in present
    assert "helmrepository-bitnami.yaml: kept, still used by extras/helmrelease-metrics.yaml" in output
    assert (repo / "extras/helmrelease-metrics.yaml").read_text() == EXTRAS_RELEASE


def test_an_app_whose_registry_needs_a_secret_stays(migrated_2_1_1):
    repo, output = migrated_2_1_1
    vault = spec(repo, "vault")
    assert vault["chart"]["spec"]["sourceRef"] == {"kind": "HelmRepository", "name": "corp", "namespace": "flux-system"}
    assert vault["install"] == RECOMMENDED_INSTALL
    assert "vault/ocirepository-vault.yaml" not in files(repo)
    assert load(repo / "bootstrap/helmrepositories/helmrepository-corp.yaml")["spec"]["secretRef"] == {"name": "corp-registry"}
    assert answers(repo, "vault")["chart_source"] == "helmrepository"
    assert "app vault stays on its HelmRepository of type oci" in output and "secretRef" in output


def test_user_edits_and_files_are_kept(migrated_2_1_1):
    repo, _ = migrated_2_1_1
    # A file new in the template comes with the cluster's update, no migration needed.
    assert (repo / ".sourceignore").is_file()
    assert "data:\n  # ours\n" in (repo / "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml").read_text()
    assert (repo / "podinfo/ingress-podinfo.yaml").read_text() == INGRESS
    assert (repo / "bootstrap/kustomizations/kustomization-extras.yaml").read_text() == EXTRAS_KUSTOMIZATION


def test_second_update_changes_nothing(migrated_2_1_1, template, tmp_path):
    repo = own_copy(migrated_2_1_1[0], tmp_path / "cluster")
    before = tree_state(repo)
    update_all(repo, template)
    assert tree_state(repo) == before


def test_one_commit_per_answers_file(migrated_2_1_1, template):
    repo, _ = migrated_2_1_1
    subjects = git(repo, "log", "--format=%s", "-7").splitlines()
    assert subjects[-1] == "Our changes" and subjects[-2] == f"Update cluster to template {template.current}"
    assert sorted(subjects[:-2]) == sorted(f"Update app {app} to template {template.current}"
                                          for app in ("cache", "mq", "pg", "podinfo", "vault"))


def test_an_app_updated_before_the_cluster(lived_in_2_1_1, template):
    """The step covers the whole repository whichever answers file copier updates first.

    Here the bootstrap folder and mq's folder list their files by hand, as some hand-made
    repositories do (kustomize then applies only what is listed): the HelmRepository the
    move leaves unused stays listed and in place, and mq's OCIRepository is listed where
    mq's HelmRelease is."""
    from tests.support.project import update

    repo = lived_in_2_1_1
    list_in_kustomization(repo, "bootstrap")
    mq_listing = list_in_kustomization(repo, "mq")
    commit_all(repo, "Our kustomization files")
    update(repo, ".copier-answers.app-mq.yml", vcs_ref=template.current)
    assert not [f for f in files(repo) if "<<<<<<<" in (repo / f).read_text(errors="replace")]
    commit_all(repo, "mq first")
    update_all(repo, template)
    assert spec(repo, "mq")["chartRef"] == {"kind": "OCIRepository", "name": "mq"}
    assert spec(repo, "podinfo")["install"] == {"remediation": {"retries": 3}}
    assert_current_and_valid(repo)
    assert (repo / "mq/kustomization.yaml").read_text() == mq_listing.replace(
        "  - helmrelease-mq.yaml # ours\n", "  - helmrelease-mq.yaml # ours\n  - ocirepository-mq.yaml\n")
    assert "bootstrap/helmrepositories/helmrepository-rabbit.yaml" in files(repo)
    built = {(b.kustomization.path, o["kind"], o["metadata"]["name"])
             for b in flux_build.build_all(repo) for o in yaml.safe_load_all(b.output) if o}
    assert {("mq", "OCIRepository", "mq"), ("mq", "HelmRelease", "mq")} <= built


@pytest.fixture(scope="module")
def pg_from_1_0_0(template, lived_in_1_0_0, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The lived-in 1.0.0 repository with pg added at 1.0.0 on the oci HelmRepository
    bitnami-oci, pg's interval and that HelmRepository's interval and timeout set by hand,
    and mdb on an oci HelmRepository of its own left as 1.0.0 wrote it, then updated once;
    with what update-all printed, for the tests that only read it. The two edits are in
    different files and different fields: what each test checks of one stays what it would
    be without the other; mdb takes the path of an untouched oci HelmRepository."""
    repo = own_copy(lived_in_1_0_0, tmp_path_factory.mktemp("pg-from-1.0.0") / "cluster")
    copy(template.path, repo, vcs_ref=template.tag("1.0.0"), kind="app", app_name="pg", chart="postgresql",
         chart_version="16.x", helm_repo_name="bitnami-oci", helm_repo_url=BITNAMI)
    copy(template.path, repo, vcs_ref=template.tag("1.0.0"), kind="app", app_name="mdb", chart="mariadb",
         chart_version="20.x", helm_repo_name="corp-oci", helm_repo_url="oci://corp.example.com/charts")
    edit(repo / "pg/helmrelease-pg.yaml", "  interval: 15m\n", "  interval: 30m # nightly maintenance\n")
    edit(repo / "flux-system/helmrepositories/helmrepository-bitnami-oci.yaml", "  interval: 15m\n",
         "  interval: 1h # a slow registry\n  timeout: 2m\n")
    commit_all(repo, "Add pg")
    return repo, update_all(repo, template)


def test_from_1_0_0_in_one_update(pg_from_1_0_0, template, tmp_path):
    """Both migrations, in order: bootstrap/ and current APIs, then the recommended settings."""
    repo, _ = pg_from_1_0_0
    assert_current_and_valid(repo)
    # The 1.0.0 user's own install.remediation (lived_in_repo) stands, with nothing beside it.
    podinfo = spec(repo, "podinfo")
    assert podinfo["install"] == {"remediation": {"retries": 3}} and "upgrade" not in podinfo
    assert spec(repo, "redis")["upgrade"] == RECOMMENDED_UPGRADE
    pg = spec(repo, "pg")
    assert pg["chartRef"] == {"kind": "OCIRepository", "name": "pg"} and pg["interval"] == "30m"
    assert load(repo / "pg/ocirepository-pg.yaml")["spec"]["ref"] == {"semver": "16.x"}
    assert "bootstrap/helmrepositories/helmrepository-bitnami-oci.yaml" not in files(repo)
    # An untouched oci HelmRepository: its app's OCIRepository is the release's, no conflict to settle.
    assert spec(repo, "mdb")["chartRef"] == {"kind": "OCIRepository", "name": "mdb"}
    mdb = load(repo / "mdb/ocirepository-mdb.yaml")["spec"]
    assert (mdb["url"], mdb["ref"]) == ("oci://corp.example.com/charts/mariadb", {"semver": "20.x"})
    assert "mdb/ocirepository-mdb.yaml: added by the migration" not in pg_from_1_0_0[1].stdout
    assert "bootstrap/helmrepositories/helmrepository-corp-oci.yaml" not in files(repo)
    assert {"bootstrap/helmrepositories/helmrepository-podinfo.yaml",
            "bootstrap/helmrepositories/helmrepository-bitnami.yaml", ".sourceignore"} <= files(repo)
    repo = own_copy(repo, tmp_path / "cluster")
    before = tree_state(repo)
    update_all(repo, template)
    assert tree_state(repo) == before


def test_an_oci_helm_repository_of_settings_of_its_own_moves_without_a_conflict(pg_from_1_0_0):
    """The cluster's update writes pg's OCIRepository from the user's HelmRepository (its
    interval and timeout); pg's own update adds the release's rendering of the same file.
    The migration's is kept, in the app's update too, not left as a conflict."""
    repo, result = pg_from_1_0_0
    assert "added by the migration and by the release; the migration's (from your files) kept" in result.stdout
    assert_current_and_valid(repo)
    oci = load(repo / "pg/ocirepository-pg.yaml")["spec"]
    assert (oci["interval"], oci["timeout"], oci["ref"]) == ("1h", "2m", {"semver": "16.x"})


def oci_app_made_at_2_0_0(template, tmp_path: Path) -> Path:
    """A 2.0.0 cluster with pg on the oci HelmRepository bitnami, whose interval the user set."""
    tag = template.tag("2.0.0")
    repo = init_repo(copy(template.path, tmp_path / "cluster", vcs_ref=tag, include_example_app=False))
    copy(template.path, repo, vcs_ref=tag, kind="app", app_name="pg", chart="postgresql", chart_version="16.x",
         namespace="data", helm_repo_name="bitnami", helm_repo_url=BITNAMI, fetch_values=False)
    edit(repo / "bootstrap/helmrepositories/helmrepository-bitnami.yaml", "  interval: 15m\n",
         "  interval: 1h # a slow registry\n")
    commit_all(repo, "Add pg")
    return repo


def test_an_answer_changed_in_the_app_update_after_the_clusters_reaches_its_oci_repository(template, tmp_path, capfd):
    """The order update-all keeps: the cluster's update writes pg's OCIRepository (the
    3.0.0 step), then pg's own update, with new answers, adds the release's rendering of
    it. The fields the answers write are the release's, and the Namespace pg left goes
    (the conflicted file, read before it was settled, kept it, named three times)."""
    from tests.support.project import update

    repo = oci_app_made_at_2_0_0(template, tmp_path)
    update(repo, vcs_ref=template.current)
    commit_all(repo, "The cluster")
    health = [{"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "name": "pg", "namespace": "db"}]
    capfd.readouterr()
    update(repo, ".copier-answers.app-pg.yml", vcs_ref=template.current, chart_version="17.x", namespace="db",
           health_checks=health)
    said = capfd.readouterr().out
    oci = load(repo / "pg/ocirepository-pg.yaml")
    assert (oci["metadata"]["namespace"], oci["spec"]["ref"], oci["spec"]["interval"]) == ("db", {"semver": "17.x"}, "1h")
    assert "with the release's metadata.namespace, spec.ref.semver (answers this update changed)" in said
    assert "bootstrap/namespaces/namespace-data.yaml" not in files(repo) and "still used by" not in said
    assert [str(p) for p in check.check_repository(repo).problems if p.severity == check.ERROR] == []


def test_an_answer_changed_in_the_update_that_moves_an_oci_app_reaches_its_oci_repository(template, tmp_path):
    """An oci app made before 2.1.0 (its render has no OCIRepository), its HelmRepository
    edited, updated with new answers: the step writes the OCIRepository from the user's
    files, which the update keeps; the fields the changed answers write are the release's
    (the OCIRepository stayed in the old namespace, on the old chart version: chartRef
    named no object, or the answers said 17.x while Flux pulled 16.x)."""
    from tests.support.project import update

    repo = oci_app_made_at_2_0_0(template, tmp_path)
    # Without the health checks the new namespace needs, the namespace's validator refuses the
    # update before its migrations change anything (copier asks it after them, then stops
    # with a traceback: the repository was left half migrated).
    before = tree_state(repo)
    refused = copier_cli("update", "--trust", "--defaults", "--vcs-ref", template.current, "-a", ".copier-answers.app-pg.yml",
                         "-d", "chart_version=17.x", "-d", "namespace=db", cwd=repo)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert "-d namespace: namespace changes from data to db, and health_checks still name" in refused.stderr
    assert tree_state(repo) == before
    update(repo, ".copier-answers.app-pg.yml", vcs_ref=template.current, chart_version="17.x", namespace="db",
           health_checks=[{"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "name": "pg", "namespace": "db"}])
    assert "<<<<<<<" not in (repo / "pg/ocirepository-pg.yaml").read_text()
    oci = load(repo / "pg/ocirepository-pg.yaml")
    assert (oci["metadata"]["namespace"], oci["spec"]["ref"], oci["spec"]["interval"]) == ("db", {"semver": "17.x"}, "1h")
    assert load(repo / "pg/helmrelease-pg.yaml")["metadata"]["namespace"] == "db"
    assert [str(p) for p in check.check_repository(repo).problems if p.severity == check.ERROR] == []
