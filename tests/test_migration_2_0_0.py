"""`copier update` from release 1.0.0 to 2.0.0 on a repository a user has lived in.

The repository is made at the v1.0.0 tag (this repository's own history), committed,
edited as a user would (values, intervals, health checks, files copier never made,
Flux's own bootstrap files), committed, then updated to the working tree's release.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from copier.errors import UserMessageError

from flux_cookbook.repository import build_check
from tests.fixtures.lived_in_repo import EXTRA_CONFIGMAP, INGRESS, SEALED_SECRET, VALUES_6_13
from tests.support.flux_objects import flux_ks
from tests.support.flux_schema import kustomize_build, validate_repo
from tests.support.project import (
    CRDS,
    commit_all,
    cookbook_cli,
    copier_cli,
    copy,
    edit,
    files,
    init_repo,
    load,
    own_copy,
    repo_with,
    tree_state,
    update,
)
from tests.support.template_repo import git

CURRENT = [CRDS / "current", CRDS / "sealed-secrets"]
def run_update_all(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return cookbook_cli("update-all", str(repo), *args)


@pytest.fixture
def migrated(lived_in_updated) -> Path:
    """The repository updated once, for the tests that only read what it became."""
    return lived_in_updated[0]


def assert_current_and_valid(repo: Path) -> None:
    assert validate_repo(repo, CURRENT) == []
    lint = subprocess.run([sys.executable, "-m", "yamllint", "."], cwd=repo, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    for folder in ["bootstrap", *(load(a)["app_name"] for a in repo.glob(".copier-answers.app-*.yml")), "extras"]:
        kustomize_build(repo / folder)
    # `flux-cookbook check` finds no error (warnings, such as health checks it cannot verify
    # offline, are allowed).
    from flux_cookbook.check import run as check

    assert [str(p) for p in check.check_repository(repo).problems if p.severity == check.ERROR] == []


def test_layout_moves_to_bootstrap_with_every_file(migrated, template):
    assert not (migrated / "flux-system").exists()
    assert {f for f in files(migrated) if f.startswith("bootstrap/")} == {
        "bootstrap/flux-system/.gitkeep", "bootstrap/flux-system/gotk-sync.yaml",
        "bootstrap/flux-system/gotk-components.yaml", "bootstrap/flux-system/kustomization.yaml",
        "bootstrap/namespaces/.gitkeep", "bootstrap/namespaces/namespace-podinfo.yaml",
        "bootstrap/namespaces/namespace-redis.yaml", "bootstrap/namespaces/sealedsecret-podinfo-basic-auth.yaml",
        "bootstrap/helmrepositories/.gitkeep", "bootstrap/helmrepositories/helmrepository-podinfo.yaml",
        "bootstrap/helmrepositories/helmrepository-bitnami.yaml",
        "bootstrap/kustomizations/.gitkeep", "bootstrap/kustomizations/kustomization-podinfo.yaml",
        "bootstrap/kustomizations/kustomization-redis.yaml", "bootstrap/kustomizations/kustomization-extras.yaml",
    }
    for answers_file in migrated.glob(".copier-answers*.yml"):
        assert load(answers_file)["bootstrap_dir"] == "bootstrap"
        assert load(answers_file)["_commit"] == template.current


def test_everything_validates_against_flux_2_9(migrated):
    assert_current_and_valid(migrated)
    assert not [f for f in files(migrated) if "<<<<<<<" in (migrated / f).read_text(errors="replace")]


def test_user_edits_and_files_are_kept(migrated):
    values = load(migrated / "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml")
    assert values["metadata"]["labels"] == {"reconcile.fluxcd.io/watch": "Enabled"}
    assert values["data"]["values.yaml"] == VALUES_6_13.replace("replicaCount: 1", "replicaCount: 3 # two zones")
    podinfo = load(migrated / "bootstrap/kustomizations/kustomization-podinfo.yaml")
    assert podinfo["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1" and "validation" not in podinfo["spec"]
    assert [c["kind"] for c in podinfo["spec"]["healthChecks"]] == ["Service", "Deployment"]
    assert "interval: 5m # busy" in (migrated / "bootstrap/kustomizations/kustomization-redis.yaml").read_text()
    release = load(migrated / "podinfo/helmrelease-podinfo.yaml")
    assert release["apiVersion"] == "helm.toolkit.fluxcd.io/v2"
    assert release["spec"]["install"] == {"remediation": {"retries": 3}}
    assert "Our production cluster. Ask #platform before merging." in (migrated / "README.md").read_text()
    assert "--path=bootstrap" in (migrated / "README.md").read_text()
    assert (migrated / "bootstrap/namespaces/sealedsecret-podinfo-basic-auth.yaml").read_text() == SEALED_SECRET
    assert (migrated / "podinfo/ingress-podinfo.yaml").read_text() == INGRESS
    assert (migrated / "extras/configmap-greeting.yaml").read_text() == EXTRA_CONFIGMAP


def test_hand_written_flux_objects_are_converted(migrated):
    extras = (migrated / "bootstrap/kustomizations/kustomization-extras.yaml").read_text()
    assert "interval: 1h # rarely changes" in extras
    spec = yaml.safe_load(extras)["spec"]
    assert "validation" not in spec and "patchesStrategicMerge" not in spec
    assert yaml.safe_load(spec["patches"][0]["patch"])["data"] == {"hello": "world"}
    sync = list(yaml.safe_load_all((migrated / "bootstrap/flux-system/gotk-sync.yaml").read_text()))
    assert [d["spec"]["path"] for d in sync if d and d["kind"] == "Kustomization"] == ["./bootstrap"]


def test_one_commit_per_updated_answers_file(migrated, template):
    log = git(migrated, "log", "--format=%s", "-4").splitlines()
    assert log == [f"Update app redis to template {template.current}", f"Update app podinfo to template {template.current}",
                   f"Update cluster to template {template.current}", "Our changes"]


def test_second_update_changes_nothing(migrated, template, tmp_path):
    repo = own_copy(migrated, tmp_path / "cluster")
    before = tree_state(repo)
    result = run_update_all(repo, "--vcs-ref", template.current)
    assert result.returncode == 0, result.stderr
    assert tree_state(repo) == before


def test_a_cluster_on_an_older_flux_and_a_readme_of_the_user_s_are_told_as_they_are(template, own_lived_in_1_0_0):
    """flux bootstrap recorded Flux 2.2.3, and the README is the user's own (no bootstrap
    command in it): update-all says Flux is to be upgraded before pushing, and points at
    no README command that is not there."""
    repo = own_lived_in_1_0_0
    components = repo / "flux-system/flux-system/gotk-components.yaml"
    components.write_text("---\n# Flux Version: v2.2.3\n" + components.read_text().removeprefix("---\n"))
    (repo / "README.md").write_text("# My cluster\n")
    commit_all(repo, "Flux 2.2.3 bootstrapped; my own README")
    result = run_update_all(repo, "--vcs-ref", template.current)
    assert result.returncode == 0, result.stdout + result.stderr
    said = result.stdout + result.stderr
    assert ("note: bootstrap/flux-system/gotk-components.yaml records Flux 2.2.3, but the template this repository's "
            "answers files come from writes Flux 2.9's APIs") in said and "upgrade Flux on the cluster" in said
    assert "flux bootstrap github ... --path=bootstrap\n" in said and "(the command in README.md)" not in said


def test_app_updated_before_the_cluster(template, own_lived_in_1_0_0):
    """The migration is repository-wide, so starting with an app works the same."""
    repo = own_lived_in_1_0_0
    update(repo, ".copier-answers.app-podinfo.yml", vcs_ref=template.current)
    assert not [f for f in files(repo) if "<<<<<<<" in (repo / f).read_text(errors="replace")]
    commit_all(repo, "podinfo first")
    assert run_update_all(repo, "--vcs-ref", template.current).returncode == 0
    assert "healthChecks:\n    - apiVersion: v1\n      kind: Service" in (
        repo / "bootstrap/kustomizations/kustomization-podinfo.yaml").read_text()
    assert_current_and_valid(repo)


def test_dirty_repository_is_refused_untouched(template, own_lived_in_1_0_0):
    repo = own_lived_in_1_0_0
    edit(repo / "podinfo/helmrelease-podinfo.yaml", "interval: 15m", "interval: 20m")
    before = tree_state(repo)
    result = run_update_all(repo, "--vcs-ref", template.current)
    assert result.returncode != 0 and "uncommitted changes" in result.stderr
    assert tree_state(repo) == before
    with pytest.raises(UserMessageError, match="(?i)dirty|uncommitted"):
        update(repo, vcs_ref=template.current)
    assert tree_state(repo) == before


def test_migration_that_cannot_proceed_changes_nothing(template, own_lived_in_1_0_0):
    repo = own_lived_in_1_0_0
    (repo / "flux-system/kustomizations/kustomization-broken.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1beta1\nkind: Kustomization\nmetadata: {name: broken\n")
    commit_all(repo, "A broken file")
    before = tree_state(repo)
    result = run_update_all(repo, "--vcs-ref", template.current)
    assert result.returncode != 0
    assert "kustomization-broken.yaml" in result.stderr and "nothing was changed" in result.stderr
    assert tree_state(repo) == before


def test_update_to_an_untagged_commit_is_refused(template, own_lived_in_1_0_0):
    """copier skips versioned migrations when the target is no tag; the rename would lose edits."""
    repo = own_lived_in_1_0_0
    before = tree_state(repo)
    # A commit after the newest release, on a branch of its own so no other test sees it.
    untagged = git(template.path, "commit-tree", "HEAD^{tree}", "-p", "HEAD", "-m", "Unreleased work").strip()
    git(template.path, "branch", "-f", "unreleased", untagged)
    result = run_update_all(repo, "--vcs-ref", untagged)
    assert result.returncode != 0 and "not a release tag" in result.stderr
    # The run stops at the cluster: each app it did not reach is named.
    apps = sorted(path.name for path in repo.glob(".copier-answers.app-*.yml"))
    assert apps and f"Not updated either, as each app is updated after .copier-answers.yml: {', '.join(apps)}" \
        in result.stderr
    assert tree_state(repo) == before


LEGACY_CHECK = {"apiVersion": "helm.toolkit.fluxcd.io/v2beta1", "kind": "HelmRelease", "name": "api", "namespace": "api"}
SERVICE_CHECK = {"apiVersion": "v1", "kind": "Service", "name": "api", "namespace": "api"}


@dataclass(frozen=True)
class FourApps:
    """One start updated by update-all with worker processes and, in a clone of it, in one process."""
    parallel: Path  # --jobs 2: four apps, so each of two worker processes takes its share in a worktree
    sequential: Path  # --jobs 1: the cluster and every app in one process, as update-all runs fewer than four
    parallel_run: subprocess.CompletedProcess
    sequential_run: subprocess.CompletedProcess
    namespaces: list[str]  # the files of flux-system/namespaces/ the user's flow list names
    before: build_check.Builds  # what Flux built from the start


@pytest.fixture(scope="module")
def four_apps(template, lived_in_1_0_0, tmp_path_factory) -> FourApps:
    """The lived-in repository with two more apps and two quirks of its user's, updated by
    update-all. The apps, api and worker, make four for two workers (update_all.PARALLEL_FROM);
    api's health check names helm.toolkit.fluxcd.io/v2beta1, the HelmRelease API of 1.0.0's
    day. A folder of the user's, applied by a Flux Kustomization of theirs, has a
    kustomization file naming files of flux-system/ in a flow list on one line
    (`resources: [a, b]`, as people write short lists). Neither quirk touches the other's
    files or changes how many apps the workers take."""
    folder = tmp_path_factory.mktemp("four-apps")
    repo = own_copy(lived_in_1_0_0, folder / "cluster")
    v1 = template.tag("1.0.0")
    for name, checks in (("api", {"health_checks": [LEGACY_CHECK, SERVICE_CHECK]}), ("worker", {})):
        copy(template.path, repo, vcs_ref=v1, kind="app", app_name=name, chart="podinfo", chart_version="6.x",
             helm_repo_name="podinfo", helm_repo_url="https://stefanprodan.github.io/podinfo", **checks)
    commit_all(repo, "Two more apps, api waiting for its HelmRelease")
    namespaces = sorted(p.name for p in (repo / "flux-system/namespaces").glob("*.yaml"))[:2]
    listed = ", ".join(f"../flux-system/namespaces/{name}" for name in namespaces)
    (repo / "namespaces-only").mkdir()
    (repo / "namespaces-only/kustomization.yaml").write_text(
        f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [{listed}] # the namespaces\n")
    (repo / "flux-system/kustomizations/kustomization-namespaces-only.yaml").write_text(
        flux_ks("namespaces-only", "./namespaces-only"))
    commit_all(repo, "The namespaces alone")
    before = build_check.build(repo)
    sequential = folder / "sequential"
    git(folder, "clone", "-q", str(repo), str(sequential))
    parallel_run = run_update_all(repo, "--vcs-ref", template.current, "--jobs", "2")
    sequential_run = run_update_all(sequential, "--vcs-ref", template.current, "--jobs", "1")
    return FourApps(repo, sequential, parallel_run, sequential_run, namespaces, before)


def test_parallel_update_all_matches_one_at_a_time(four_apps):
    """update_all's worker processes (one git worktree each) end exactly where one process does."""
    repo, sequential = four_apps.parallel, four_apps.sequential
    for result in (four_apps.parallel_run, four_apps.sequential_run):
        assert result.returncode == 0, result.stdout + result.stderr
    assert files(repo) == files(sequential)
    assert all((repo / f).read_bytes() == (sequential / f).read_bytes() for f in files(repo) if not f.startswith(".copier-answers"))
    assert git(repo, "log", "--format=%s", "-7") == git(sequential, "log", "--format=%s", "-7")
    assert git(repo, "rev-parse", "HEAD^{tree}") == git(sequential, "rev-parse", "HEAD^{tree}")
    assert git(repo, "status", "--porcelain") == "" and git(repo, "worktree", "list").count("\n") == 1


def test_health_checks_naming_a_removed_api_name_the_served_one(four_apps):
    """A health check written against helm.toolkit.fluxcd.io/v2beta1, the HelmRelease API of
    1.0.0's day: Flux 2.7 no longer serves it, so the check would never pass. The update
    names v2 in the Kustomization and in the app's answers, which render it."""
    repo, result = four_apps.sequential, four_apps.sequential_run
    assert result.returncode == 0, result.stdout + result.stderr
    assert "spec.healthChecks[0].apiVersion helm.toolkit.fluxcd.io/v2beta1 -> helm.toolkit.fluxcd.io/v2" in result.stdout
    current = {**LEGACY_CHECK, "apiVersion": "helm.toolkit.fluxcd.io/v2"}
    assert load(repo / "bootstrap/kustomizations/kustomization-api.yaml")["spec"]["healthChecks"] == [current, SERVICE_CHECK]
    assert load(repo / ".copier-answers.app-api.yml")["health_checks"] == [current, SERVICE_CHECK]
    assert git(repo, "status", "--porcelain") == ""
    assert_current_and_valid(repo)


def test_a_flow_list_naming_the_bootstrap_folder_follows_it(four_apps):
    """A folder of the user's, applied by a Flux Kustomization of theirs, whose kustomization
    file names files of flux-system/ in a flow list on one line (`resources: [a, b]`, as
    people write short lists): the entries name bootstrap/ after the move, in place, and
    the path builds as it did."""
    repo, result = four_apps.sequential, four_apps.sequential_run
    before, namespaces = four_apps.before, four_apps.namespaces
    assert len(namespaces) == 2
    assert [r.ok for r in before.results if r.kustomization.path == "namespaces-only"] == [True]
    assert result.returncode == 0, result.stdout + result.stderr
    assert "namespaces-only/kustomization.yaml: now names bootstrap/ where it named flux-system/" in result.stdout
    assert (repo / "namespaces-only/kustomization.yaml").read_text() == (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: ["
        + ", ".join(f"../bootstrap/namespaces/{name}" for name in namespaces) + "] # the namespaces\n")
    after = build_check.build(repo)
    assert build_check.newly_broken(before, after) == []
    [built] = [r for r in after.results if r.kustomization.path == "namespaces-only"]
    assert built.ok and built.output == next(r.output for r in before.results if r.kustomization.path == "namespaces-only")
    assert git(repo, "status", "--porcelain") == ""


LOGO = bytes(range(256)) * 4


@pytest.fixture(scope="module")
def links_and_binaries(template, lived_in_1_0_0, tmp_path_factory) -> Path:
    """The lived-in repository with two links of its own (one naming nothing) and, in
    flux-system/, a binary file, a link to a file, a link to a folder and a submodule,
    updated by copier. None is a file the migration may read as YAML text, and none is
    another's file: each test asserts what the migration made of its own."""
    repo = own_copy(lived_in_1_0_0, tmp_path_factory.mktemp("links-and-binaries") / "cluster")
    (repo / "extra-link.yaml").symlink_to("missing.yaml")
    (repo / "podinfo-release-link.yaml").symlink_to("podinfo/helmrelease-podinfo.yaml")
    (repo / "flux-system/logo.png").write_bytes(LOGO)
    (repo / "flux-system/ns-link.yaml").symlink_to("namespaces/namespace-podinfo.yaml")
    (repo / "flux-system/app-link").symlink_to("../podinfo")
    module = init_repo(repo_with(tmp_path_factory.mktemp("submodule") / "module", {"README": "a module\n"}))
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(module), "flux-system/vendor")
    commit_all(repo, "Links, a logo and a submodule")
    update(repo, vcs_ref=template.current)
    return repo


def test_links_are_left_as_links_a_dangling_one_too(links_and_binaries):
    """A link is no file of its own: the file it names is migrated as itself, and a link
    naming nothing stops nothing (it stopped the update with a traceback)."""
    repo = links_and_binaries
    assert (repo / "extra-link.yaml").is_symlink() and str((repo / "extra-link.yaml").readlink()) == "missing.yaml"
    assert (repo / "podinfo-release-link.yaml").is_symlink()
    assert "helm.toolkit.fluxcd.io/v2\n" in (repo / "podinfo/helmrelease-podinfo.yaml").read_text()


def test_files_that_are_no_text_move_with_the_bootstrap_folder(links_and_binaries):
    """A binary file, a link to a file, a link to a folder and a submodule in flux-system/ move
    to bootstrap/ as they are; they stopped the update half-way, with a traceback, the
    repository left staged and half moved."""
    repo = links_and_binaries
    assert (repo / "bootstrap/logo.png").read_bytes() == LOGO
    assert str((repo / "bootstrap/ns-link.yaml").readlink()) == "namespaces/namespace-podinfo.yaml"
    assert (repo / "bootstrap/namespaces/namespace-podinfo.yaml").is_file()  # the file the link names stays
    assert str((repo / "bootstrap/app-link").readlink()) == "../podinfo"
    assert (repo / "bootstrap/vendor/README").read_text() == "a module\n"
    assert not (repo / "flux-system").exists()


def test_a_step_that_cannot_read_a_file_changes_nothing(template, own_lived_in_1_0_0):
    """A HelmRelease that is not UTF-8: the 3.0.0 step names it, and the 2.0.0 step's move,
    staged before it in the same update, is taken back too."""
    repo = own_lived_in_1_0_0
    release = repo / "podinfo/helmrelease-podinfo.yaml"
    release.write_bytes(b"# Maintained by Ren\xe9\n" + release.read_bytes())
    (repo / ".gitignore").write_text((repo / ".gitignore").read_text() + "notes.txt\n")
    commit_all(repo, "A Latin-1 comment")
    (repo / "flux-system/notes.txt").write_text("ignored, and the 2.0.0 step moves it on disk\n")
    before = tree_state(repo)
    result = copier_cli("update", "--trust", "--defaults", "--vcs-ref", template.current, cwd=repo)
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    assert "podinfo/helmrelease-podinfo.yaml: not UTF-8 text" in result.stderr
    assert tree_state(repo) == before
    assert (repo / "flux-system/notes.txt").is_file() and not (repo / "bootstrap").exists()


@pytest.fixture(scope="module")
def web_updated_first(template, tmp_path_factory) -> tuple[Path, str]:
    """A 1.0.0 cluster with its example app and an app, web, added in a commit (returned with
    the repository); then web updated to the working tree's release before the cluster, and
    committed."""
    tag = template.tag("1.0.0")
    repo = init_repo(copy(template.path, tmp_path_factory.mktemp("web-first") / "cluster", vcs_ref=tag))
    copy(template.path, repo, vcs_ref=tag, kind="app", app_name="web", chart="podinfo",
         helm_repo_url="https://stefanprodan.github.io/podinfo")
    commit_all(repo, "Add web")
    added = git(repo, "rev-parse", "HEAD").strip()
    update(repo, ".copier-answers.app-web.yml", vcs_ref=template.current)
    commit_all(repo, "web first")
    return repo, added


def test_an_app_updated_first_keeps_what_the_later_releases_stage(web_updated_first):
    """An app's Kustomization moves with the bootstrap folder, so copier's merge of it has no
    old render and conflicts: it is settled as the update's steps staged it, the 3.1.0
    step's health check included (it reverted to 2.0.0's text, the guessed Deployment)."""
    repo, _ = web_updated_first
    moved = [{"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "name": "web", "namespace": "web"}]
    assert load(repo / "bootstrap/kustomizations/kustomization-web.yaml")["spec"]["healthChecks"] == moved
    assert yaml.safe_load((repo / ".copier-answers.app-web.yml").read_text())["health_checks"] == moved


def test_an_app_updated_first_gets_the_timeout_the_release_raises(web_updated_first):
    """Its Kustomization moves with the bootstrap folder, so copier's merge of it keeps what
    the before stage staged: the 3.1.0 step stages the raised timeout there too."""
    repo, added = web_updated_first
    assert "  timeout: 2m # if not set" in git(repo, "show", f"{added}:flux-system/kustomizations/kustomization-web.yaml")
    assert ("  timeout: 5m # at least the HelmRelease's timeout; if not set, this defaults to interval duration\n"
            in (repo / "bootstrap/kustomizations/kustomization-web.yaml").read_text())
    assert load(repo / "web/helmrelease-web.yaml")["spec"]["timeout"] == "5m"


def test_the_readme_draws_the_layout_where_it_now_is(migrated):
    """The README is the user's (copier leaves it alone since 2.1.0): the step repoints the
    layout it draws, as well as the bootstrap command, when it moves the folder."""
    readme = (migrated / "README.md").read_text()
    assert "--path=bootstrap" in readme and "--path=flux-system" not in readme
    assert "\nbootstrap/                    flux bootstrap --path points here\n  flux-system/ " in readme
    assert "Flux applies everything under `bootstrap/`" in readme and "under `flux-system/`" not in readme
