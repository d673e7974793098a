"""The 3.0.0 migration step, and the CEL rules it relies on, on small repositories built for each case."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flux_cookbook.check import schemas
from flux_cookbook.extensions.migrations import v3_0_0
from flux_cookbook.extensions.migrations.git_repo import MigrationAbort, git
from tests.support.project import CRDS, repo_with, tree_state

BITNAMI = "oci://registry-1.docker.io/bitnamicharts"


def make_repo(tmp_path: Path, tree: dict[str, str]) -> Path:
    return repo_with(tmp_path / "repo", tree)


def answers(app: str, url: str = "https://charts.example.com", repo_name: str = "charts", **extra) -> str:
    fields = {"_commit": "v2.1.1", "bootstrap_dir": "bootstrap", "helmrepository_interval": "15m", "kind": "app",
              "app_name": app, "chart": app, "chart_version": "1.x", "helm_repo_name": repo_name,
              "helm_repo_url": url, "namespace": app, **extra}
    return yaml.safe_dump(fields, sort_keys=False)


def helm_release(app: str, repo_name: str = "charts", extra: str = "") -> str:
    return f"""\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {app}
  namespace: {app}
spec:
  # from the shared repository
  chart:
    spec:
      chart: {app}
      version: 1.x
      sourceRef:
        kind: HelmRepository
        name: {repo_name}
        namespace: flux-system
  interval: 15m # ours
  timeout: 5m
  releaseName: {app}
{extra}"""


def helm_repository(name: str, url: str = BITNAMI, extra: str = "") -> str:
    oci = "  type: oci\n" if url.startswith("oci://") else ""
    return f"""\
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 1h
{oci}  url: {url}
{extra}"""


def staged(repo: Path) -> set[str]:
    return {line[3:] for line in git(repo, "status", "--porcelain").splitlines()}


# --- the user's own settings -------------------------------------------------------------


@pytest.mark.parametrize("extra, recorded", [
    ("  install:\n    remediation:\n      retries: 3\n", {"helm_strategy": "", "helm_crds": ""}),
    ("  upgrade:\n    crds: Skip\n", {"helm_strategy": "", "helm_crds": ""}),
    ("  driftDetection:\n    mode: warn\n", {"drift_detection": ""}),
    ("", {}),
])
def test_own_settings_are_recorded_in_the_answers_only(tmp_path, extra, recorded):
    repo = make_repo(tmp_path, {".copier-answers.app-web.yml": answers("web"), "web/helmrelease-web.yaml": helm_release("web", extra=extra)})
    v3_0_0.before(repo)
    written = yaml.safe_load((repo / ".copier-answers.app-web.yml").read_text())
    assert {k: written[k] for k in ("helm_strategy", "helm_crds", "drift_detection") if k in written} == recorded
    assert staged(repo) == ({".copier-answers.app-web.yml"} if recorded else set())
    assert (repo / "web/helmrelease-web.yaml").read_text() == helm_release("web", extra=extra)


def test_an_app_whose_helm_release_is_a_file_of_its_own_records_no_settings(tmp_path, capsys):
    """No helmrelease-web.yaml (adopt kept the user's web/helmrelease.yaml, which its folder's
    kustomization.yaml lists): no render carries the release's settings, so the answers say
    '' for them rather than the defaults copier would add."""
    repo = make_repo(tmp_path, {".copier-answers.app-web.yml": answers("web"),
                                "web/helmrelease.yaml": helm_release("web"),
                                "web/kustomization.yaml": "resources:\n  - helmrelease.yaml\n"})
    v3_0_0.before(repo)
    written = yaml.safe_load((repo / ".copier-answers.app-web.yml").read_text())
    assert {k: written.get(k) for k in ("helm_strategy", "helm_crds", "drift_detection")} == dict.fromkeys(
        ("helm_strategy", "helm_crds", "drift_detection"), "")
    assert "web/helmrelease-web.yaml: not there" in capsys.readouterr().out
    assert (repo / "web/helmrelease.yaml").read_text() == helm_release("web")


def test_an_answer_already_given_is_left_alone(tmp_path):
    """An app at 3.0.0 (or one a previous run marked) has its answer: nothing is added."""
    own = "  install:\n    remediation:\n      retries: 3\n"
    repo = make_repo(tmp_path, {".copier-answers.app-web.yml": answers("web", helm_strategy="RemediateOnFailure"),
                                "web/helmrelease-web.yaml": helm_release("web", extra=own)})
    before = tree_state(repo)
    v3_0_0.before(repo)
    assert tree_state(repo) == before


# --- oci:// charts -------------------------------------------------------------------------


def oci_repo(tmp_path: Path, repository_extra: str = "", release_extra: str = "", more: dict | None = None) -> Path:
    return make_repo(tmp_path, {
        ".copier-answers.yml": "kind: cluster\nbootstrap_dir: bootstrap\n",
        ".copier-answers.app-pg.yml": answers("pg", BITNAMI, "bitnami", chart_source="helmrepository"),
        "pg/helmrelease-pg.yaml": helm_release("pg", "bitnami", release_extra),
        "bootstrap/helmrepositories/helmrepository-bitnami.yaml": helm_repository("bitnami", extra=repository_extra),
        **(more or {}),
    })


def test_an_oci_app_moves_to_an_oci_repository(tmp_path):
    repo = oci_repo(tmp_path, repository_extra="  provider: aws\n  timeout: 2m\n")
    v3_0_0.before(repo)
    original = helm_release("pg", "bitnami")
    chart_block = original[original.index("  chart:\n"):original.index("  interval:")]
    # spec.chart became chartRef in place; its comment above stays, every other line is the same.
    assert (repo / "pg/helmrelease-pg.yaml").read_text() == original.replace(
        chart_block, "  chartRef:\n    kind: OCIRepository\n    name: pg\n")
    source = yaml.safe_load((repo / "pg/ocirepository-pg.yaml").read_text())
    assert source["apiVersion"] == "source.toolkit.fluxcd.io/v1" and source["metadata"] == {"name": "pg", "namespace": "pg"}
    assert source["spec"] == {
        "interval": "1h", "url": f"{BITNAMI}/pg", "ref": {"semver": "1.x"},
        "layerSelector": {"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "operation": "copy"},
        "provider": "aws", "timeout": "2m",
    }
    assert schemas.validate_object(source, [CRDS / "current"]) == []
    assert "chart_source: ocirepository\n" in (repo / ".copier-answers.app-pg.yml").read_text()
    assert not (repo / "bootstrap/helmrepositories/helmrepository-bitnami.yaml").exists()
    assert staged(repo) == {".copier-answers.app-pg.yml", "pg/helmrelease-pg.yaml", "pg/ocirepository-pg.yaml",
                            "bootstrap/helmrepositories/helmrepository-bitnami.yaml"}


def test_a_helm_repository_still_referenced_stays(tmp_path):
    chart = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: x\n  namespace: flux-system\n" \
            "spec:\n  chart: x\n  interval: 1h\n  sourceRef:\n    kind: HelmRepository\n    name: bitnami\n"
    repo = oci_repo(tmp_path, more={"extras/helmchart-x.yaml": chart})
    v3_0_0.before(repo)
    assert (repo / "pg/ocirepository-pg.yaml").exists()
    assert (repo / "bootstrap/helmrepositories/helmrepository-bitnami.yaml").exists()


LISTING = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"


@pytest.mark.parametrize("config, entries, listed", [
    ("kustomization.yaml", "  - helmrelease-pg.yaml # ours\n  - ingress.yaml\n",
     "  - helmrelease-pg.yaml # ours\n  - ocirepository-pg.yaml\n  - ingress.yaml\n"),
    ("kustomization.yml", "- './helmrelease-pg.yaml'\n", "- './helmrelease-pg.yaml'\n- './ocirepository-pg.yaml'\n"),
    ("Kustomization", "    -   helmrelease-pg.yaml", "    -   helmrelease-pg.yaml\n    -   ocirepository-pg.yaml"),
])
def test_the_oci_repository_is_listed_where_the_app_folder_lists_its_files(tmp_path, capsys, config, entries, listed):
    repo = oci_repo(tmp_path, more={f"pg/{config}": LISTING + entries})
    v3_0_0.before(repo)
    assert (repo / f"pg/{config}").read_text() == LISTING + listed
    assert f"pg/{config}" in staged(repo) and (repo / "pg/ocirepository-pg.yaml").exists()
    assert f"listed in pg/{config}" in capsys.readouterr().out


def test_the_oci_repository_is_listed_wherever_the_helm_release_file_is(tmp_path, capsys):
    """Another cluster's overlay lists the app's HelmRelease file by hand: it lists the new
    OCIRepository too, or that cluster's HelmRelease would name one it never applies."""
    overlay = "clusters/staging/pg/kustomization.yaml"
    repo = oci_repo(tmp_path, more={overlay: LISTING + "  - ../../../pg/helmrelease-pg.yaml\n  - values.yaml\n"})
    v3_0_0.before(repo)
    assert (repo / overlay).read_text() == LISTING + (
        "  - ../../../pg/helmrelease-pg.yaml\n  - ../../../pg/ocirepository-pg.yaml\n  - values.yaml\n")
    assert overlay in staged(repo)
    assert f"listed in {overlay}" in capsys.readouterr().out


@pytest.mark.parametrize("entries", [
    "  [helmrelease-pg.yaml]\n",  # a flow list: no line of its own
    "  - all-of-pg/\n",  # the HelmRelease comes in through another entry
    "  - helmrelease-pg.yaml\n  - ./helmrelease-pg.yaml\n",  # twice: kustomize refuses it anyway
])
def test_an_app_folder_listing_its_files_otherwise_keeps_the_app(tmp_path, capsys, entries):
    repo = oci_repo(tmp_path, more={"pg/kustomization.yaml": LISTING.replace("resources:\n", "resources:" + ("" if "[" in entries else "\n")) + entries})
    before = tree_state(repo)
    v3_0_0.before(repo)
    assert tree_state(repo) == before
    out = capsys.readouterr().out
    assert "app pg stays on its HelmRepository of type oci" in out and "pg/kustomization.yaml does not list helmrelease-pg.yaml" in out


def test_a_helm_repository_a_kustomization_file_lists_stays(tmp_path, capsys):
    """Its removal would break the build of the folder listing it."""
    listing = LISTING + "  - helmrepositories/helmrepository-bitnami.yaml\n"
    repo = oci_repo(tmp_path, more={"bootstrap/kustomization.yaml": listing})
    v3_0_0.before(repo)
    assert (repo / "pg/ocirepository-pg.yaml").exists()
    assert (repo / "bootstrap/helmrepositories/helmrepository-bitnami.yaml").read_text() == helm_repository("bitnami")
    assert "kept as bootstrap/kustomization.yaml lists it" in capsys.readouterr().out
    # And put back where copier's update removed it.
    git(repo, "-c", "user.name=u", "-c", "user.email=u@x", "commit", "-qam", "migrated")
    (repo / "bootstrap/helmrepositories/helmrepository-bitnami.yaml").unlink()
    v3_0_0.after(repo)
    assert (repo / "bootstrap/helmrepositories/helmrepository-bitnami.yaml").read_text() == helm_repository("bitnami")


@pytest.mark.parametrize("repository_extra, release_extra, why", [
    ("  secretRef:\n    name: registry\n", "", "has secretRef"),
    ("  certSecretRef:\n    name: ca\n", "", "has certSecretRef"),
    ("  passCredentials: true\n", "", "spec.passCredentials has no counterpart"),
])
def test_an_app_that_cannot_move_without_loss_stays(tmp_path, capsys, repository_extra, release_extra, why):
    repo = oci_repo(tmp_path, repository_extra, release_extra)
    before = tree_state(repo)
    v3_0_0.before(repo)
    assert tree_state(repo) == before
    out = capsys.readouterr().out
    assert "app pg stays on its HelmRepository of type oci" in out and why in out


def test_a_chart_field_without_counterpart_keeps_the_app(tmp_path, capsys):
    repo = oci_repo(tmp_path)
    text = (repo / "pg/helmrelease-pg.yaml").read_text().replace("      version: 1.x\n", "      version: 1.x\n      valuesFiles: [values-prod.yaml]\n")
    (repo / "pg/helmrelease-pg.yaml").write_text(text)
    git(repo, "-c", "user.name=u", "-c", "user.email=u@x", "commit", "-qam", "valuesFiles")
    v3_0_0.before(repo)
    assert not (repo / "pg/ocirepository-pg.yaml").exists()
    assert "spec.chart.spec.valuesFiles has no counterpart" in capsys.readouterr().out


def test_an_unreadable_helm_release_stops_everything(tmp_path):
    repo = oci_repo(tmp_path, more={".copier-answers.app-web.yml": answers("web"), "web/helmrelease-web.yaml": "spec: [unclosed\n"})
    before = tree_state(repo)
    with pytest.raises(MigrationAbort, match="web/helmrelease-web.yaml"):
        v3_0_0.before(repo)
    assert tree_state(repo) == before


def test_work_an_earlier_migration_staged_is_taken_and_undone_on_failure(tmp_path):
    """1.0.0 -> 3.0.0: the 2.0.0 step stages its work before this one runs."""
    repo = oci_repo(tmp_path, more={".copier-answers.app-web.yml": answers("web"), "web/helmrelease-web.yaml": helm_release("web")})
    head = tree_state(repo)
    (repo / "web/helmrelease-web.yaml").write_text(helm_release("web", extra="  install:\n    disableWait: true\n"))
    git(repo, "add", "web/helmrelease-web.yaml")
    v3_0_0.before(repo)
    assert "helm_strategy: ''" in (repo / ".copier-answers.app-web.yml").read_text()
    git(repo, "reset", "-q", "--hard", "HEAD")
    (repo / "web/helmrelease-web.yaml").write_text("spec: [unclosed\n")
    git(repo, "add", "web/helmrelease-web.yaml")
    with pytest.raises(MigrationAbort):
        v3_0_0.before(repo)
    assert tree_state(repo) == head  # the earlier step's staged work is gone too: the update stopped


def test_unstaged_changes_are_refused(tmp_path):
    repo = oci_repo(tmp_path)
    (repo / "pg/helmrelease-pg.yaml").write_text("changed\n")
    with pytest.raises(MigrationAbort, match="uncommitted changes"):
        v3_0_0.before(repo)
    assert (repo / "pg/helmrelease-pg.yaml").read_text() == "changed\n"


# --- repeated runs -------------------------------------------------------------------------


def test_apps_with_nothing_to_do_are_not_read_again(tmp_path):
    tree = {".copier-answers.yml": "kind: cluster\n"}
    for index in range(5):
        app = f"app{index}"
        tree[f".copier-answers.app-{app}.yml"] = answers(app)
        tree[f"{app}/helmrelease-{app}.yaml"] = helm_release(app)
    repo = make_repo(tmp_path, tree)
    v3_0_0.before(repo)

    # The apps' files, answers too, become YAML that no reader takes; git is told to leave
    # them be (skip-worktree), so the index, which the record is keyed by, still holds what
    # was found current. A run that read any of them would stop on it.
    apps_files = [name for name in tree if name != ".copier-answers.yml"]
    git(repo, "update-index", "--skip-worktree", *apps_files)
    for name in apps_files:
        (repo / name).write_text("unreadable: [\n")
    v3_0_0.before(repo)
    assert all((repo / name).read_text() == "unreadable: [\n" for name in apps_files)
    git(repo, "update-index", "--no-skip-worktree", *apps_files)
    git(repo, "checkout", "--", *apps_files)
    # A file edited since is read again: the record is keyed by content.
    (repo / "app3/helmrelease-app3.yaml").write_text(helm_release("app3", extra="  install:\n    disableWait: true\n"))
    git(repo, "-c", "user.name=u", "-c", "user.email=u@x", "commit", "-qam", "edit")
    v3_0_0.before(repo)
    assert "helm_strategy: ''" in (repo / ".copier-answers.app-app3.yml").read_text()


def test_an_app_that_cannot_move_is_noted_once(tmp_path, capsys):
    repo = oci_repo(tmp_path, "  secretRef:\n    name: registry\n")
    v3_0_0.before(repo)
    assert "app pg stays" in capsys.readouterr().out
    v3_0_0.before(repo)
    assert capsys.readouterr().out == ""
    # The HelmRepository's Secret removed: read again, and moved.
    (repo / "bootstrap/helmrepositories/helmrepository-bitnami.yaml").write_text(helm_repository("bitnami"))
    git(repo, "-c", "user.name=u", "-c", "user.email=u@x", "commit", "-qam", "no secret")
    v3_0_0.before(repo)
    assert (repo / "pg/ocirepository-pg.yaml").exists()


# --- after ---------------------------------------------------------------------------------


def conflict(repo: Path, path: str, base: str | None, mine: str, theirs: str) -> None:
    """The index as copier leaves a conflicted file: stages 1 (old render), 2 (user's), 3 (new render)."""
    blobs = {stage: git(repo, "hash-object", "-w", "--stdin", input=text).strip()
             for stage, text in ((1, base), (2, mine), (3, theirs)) if text is not None}
    lines = [f"0 {'0' * 40}\t{path}"] + [f"100644 {blob} {stage}\t{path}" for stage, blob in blobs.items()]
    git(repo, "update-index", "--index-info", input="\n".join(lines) + "\n")
    (repo / path).write_text("<<<<<<< before updating\n" + mine + "=======\n" + theirs + ">>>>>>> after updating\n")


def test_after_keeps_the_oci_repository_both_sides_added(tmp_path):
    repo = oci_repo(tmp_path)
    v3_0_0.before(repo)
    written = (repo / "pg/ocirepository-pg.yaml").read_text()
    git(repo, "-c", "user.name=u", "-c", "user.email=u@x", "commit", "-qm", "migrated")
    conflict(repo, "pg/ocirepository-pg.yaml", "", written, written.replace("interval: 1h", "interval: 15m"))
    v3_0_0.after(repo)
    assert (repo / "pg/ocirepository-pg.yaml").read_text() == written
    assert git(repo, "ls-files", "-u") == ""


def test_after_leaves_an_oci_repository_conflict_with_a_common_base(tmp_path):
    repo = oci_repo(tmp_path)
    v3_0_0.before(repo)
    written = (repo / "pg/ocirepository-pg.yaml").read_text()
    git(repo, "-c", "user.name=u", "-c", "user.email=u@x", "commit", "-qm", "migrated")
    conflict(repo, "pg/ocirepository-pg.yaml", written, written.replace("1h", "2h"), written.replace("1h", "3h"))
    v3_0_0.after(repo)
    assert git(repo, "ls-files", "-u") != ""


def test_after_puts_back_a_helm_repository_copier_removed_that_is_still_used(tmp_path):
    repo = make_repo(tmp_path, {
        ".copier-answers.yml": "kind: cluster\n",
        "bootstrap/helmrepositories/helmrepository-used.yaml": helm_repository("used"),
        "bootstrap/helmrepositories/helmrepository-unused.yaml": helm_repository("unused"),
        "extras/helmrelease-x.yaml": helm_release("x", "used"),
    })
    for name in ("used", "unused"):
        (repo / f"bootstrap/helmrepositories/helmrepository-{name}.yaml").unlink()  # as copier's removal does
    v3_0_0.after(repo)
    assert (repo / "bootstrap/helmrepositories/helmrepository-used.yaml").read_text() == helm_repository("used")
    assert not (repo / "bootstrap/helmrepositories/helmrepository-unused.yaml").exists()


# --- the CEL rules the settings rely on -------------------------------------------------------


def release_with(install: dict) -> dict:
    return {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "x", "namespace": "x"},
            "spec": {"interval": "15m", "chartRef": {"kind": "OCIRepository", "name": "x"}, "install": install, "upgrade": install}}


@pytest.mark.parametrize("strategy, valid", [
    ({"name": "RetryOnFailure", "retryInterval": "5m"}, True),
    ({"name": "RetryOnFailure"}, True),
    ({"name": "RemediateOnFailure"}, True),
    ({"name": "RemediateOnFailure", "retryInterval": "5m"}, False),  # what the template never writes
])
def test_retry_interval_only_beside_retry_on_failure(strategy, valid):
    errors = schemas.validate_object(release_with({"strategy": strategy, "crds": "CreateReplace"}), [CRDS / "current"])
    assert (errors == []) is valid, errors
    if not valid:
        assert any("retryInterval" in error for error in errors)


def test_remediation_beside_a_strategy_passes_the_crd_so_only_the_migration_keeps_them_apart():
    """The CRD accepts both; helm-controller ignores remediation under RetryOnFailure, which is
    why the migration adds no strategy to a HelmRelease with the user's own settings."""
    install = {"strategy": {"name": "RetryOnFailure"}, "remediation": {"retries": 3}}
    assert schemas.validate_object(release_with(install), [CRDS / "current"]) == []
