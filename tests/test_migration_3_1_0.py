"""`copier update` to 3.1.0 of a repository made at 3.0.1: health checks on the HelmRelease
where the template had guessed, the user's own kept, the Kustomization's timeout at least
the HelmRelease's, and `sealed_secrets` recorded as what the repository has.

Each repository is made at the 3.0.1 release tag of this repository's own history,
committed, edited as a user would, committed, then updated with `flux-cookbook update-all`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flux_cookbook.check import run as check
from tests.support.project import answers, commit_all, cookbook_cli, copier_cli, copy, edit, init_repo, load, own_copy
from tests.support.template_repo import git
from tests.support.updated_repo import assert_current_and_valid, update_all

# Made at 3.0.1, which refuses any copier but 9.19.x (tests/conftest.py).
pytestmark = pytest.mark.from_release_3_0

HELM_RELEASE_CHECK = {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease"}
# What the user wrote for a chart whose workload is a StatefulSet with a name of its own.
OWN_CHECK = [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db-postgresql", "namespace": "db"}]


def kustomization(repo: Path, app: str) -> dict:
    return load(repo / f"bootstrap/kustomizations/kustomization-{app}.yaml")


@pytest.fixture(scope="module")
def made_at_3_0_1(template, tmp_path_factory) -> Path:
    """podinfo and the controller as 3.0.1 made them; db with the user's own health check
    (an answer); cache with the guess in its answers, changed by hand in its Kustomization."""
    tag = template.tag("3.0.1")
    repo = init_repo(copy(template.path, tmp_path_factory.mktemp("first-week") / "cluster", vcs_ref=tag))
    for app, chart, extra in (("db", "postgresql", {"health_checks": OWN_CHECK}), ("cache", "valkey", {})):
        copy(template.path, repo, vcs_ref=tag, kind="app", app_name=app, chart=chart,
             helm_repo_url="https://charts.example.com", helm_repo_name="example", fetch_values=False, **extra)
    commit_all(repo, "Apps")
    edit(repo / "bootstrap/kustomizations/kustomization-cache.yaml", "      kind: Deployment\n      name: cache\n",
         "      kind: StatefulSet # valkey's\n      name: cache-primary\n")
    commit_all(repo, "Our health check")
    return repo


@pytest.fixture(scope="module")
def migrated(made_at_3_0_1, template) -> tuple[Path, str, str]:
    before = git(made_at_3_0_1, "rev-parse", "HEAD").strip()
    result = update_all(made_at_3_0_1, template)
    return made_at_3_0_1, before, result.stdout + result.stderr


def test_everything_validates_and_builds(migrated):
    repo, _, _ = migrated
    assert_current_and_valid(repo)


def test_the_guessed_health_checks_move_to_the_helm_release(migrated):
    repo, _, output = migrated
    for app, namespace in (("podinfo", "podinfo"), ("sealed-secrets", "sealed-secrets")):
        moved = [{**HELM_RELEASE_CHECK, "name": app, "namespace": namespace}]
        assert kustomization(repo, app)["spec"]["healthChecks"] == moved
        assert answers(repo, app)["health_checks"] == moved
        assert f"app {app}: health check now its HelmRelease" in output


def test_health_checks_the_user_wrote_or_changed_stand(migrated):
    repo, _, output = migrated
    assert kustomization(repo, "db")["spec"]["healthChecks"] == OWN_CHECK
    assert answers(repo, "db")["health_checks"] == OWN_CHECK
    text = (repo / "bootstrap/kustomizations/kustomization-cache.yaml").read_text()
    assert "      kind: StatefulSet # valkey's\n      name: cache-primary\n" in text
    assert "kustomization-cache.yaml: its healthChecks are your own; kept" in output


def test_kustomization_timeouts_are_at_least_the_helm_releases(migrated):
    repo, _, _ = migrated
    for app in ("podinfo", "sealed-secrets", "db", "cache"):
        assert answers(repo, app)["kustomization_timeout"] == "2m"  # the answer stands ...
        assert kustomization(repo, app)["spec"]["timeout"] == "5m"  # ... the HelmRelease's is longer
        assert load(repo / f"{app}/helmrelease-{app}.yaml")["spec"]["timeout"] == "5m"


def test_the_controller_is_there_so_sealed_secrets_stays_true(migrated, template):
    repo, _, _ = migrated
    assert answers(repo)["sealed_secrets"] is True
    assert answers(repo)["_commit"] == template.current


def test_a_second_update_changes_nothing(migrated, template, tmp_path):
    repo = own_copy(migrated[0], tmp_path / "cluster")
    head = git(repo, "rev-parse", "HEAD")
    update_all(repo, template)
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == ""


def test_from_1_0_0_answers_say_what_the_repository_has(lived_in_1_0_0, lived_in_updated):
    """The update from 1.0.0 (before the question) no longer records the controller the
    repository never had; the SealedSecret the user wrote by hand is warned of by check."""
    assert "sealed_secrets" not in answers(lived_in_1_0_0)
    repo, output = lived_in_updated
    assert answers(repo)["sealed_secrets"] is False
    assert_current_and_valid(repo)
    assert "app redis: health check now its HelmRelease" in output
    assert kustomization(repo, "redis")["spec"]["healthChecks"] == [{**HELM_RELEASE_CHECK, "name": "redis", "namespace": "redis"}]
    # podinfo's Kustomization has a check the user added: all of its checks stay.
    assert {"kind": "Service", "name": "podinfo", "apiVersion": "v1", "namespace": "podinfo"} in \
        kustomization(repo, "podinfo")["spec"]["healthChecks"]
    problems = check.check_repository(repo).problems
    assert [p.rule for p in problems if p.path.endswith("sealedsecret-podinfo-basic-auth.yaml")] == [
        "convention.sealed-secrets-controller"]


PODINFO_KUSTOMIZATION = "bootstrap/kustomizations/kustomization-podinfo.yaml"
TIMEOUT_AT_3_0_1 = "  timeout: 2m # if not set, this defaults to interval duration\n"


@pytest.fixture(scope="module")
def plain_3_0_1(template, tmp_path_factory) -> Path:
    return init_repo(copy(template.path, tmp_path_factory.mktemp("plain") / "cluster", vcs_ref=template.tag("3.0.1")))


@pytest.fixture(scope="module")
def notes_and_no_controller(plain_3_0_1, tmp_path_factory, template) -> tuple[Path, str, str]:
    """plain_3_0_1 with the user's comments on podinfo's timeouts and the controller app
    removed by hand, updated once: the repository, the commit before the update, and what
    update-all said. The comments are in podinfo's files alone and the removal touches none
    of them: podinfo's files come out as they do with the comments alone, the cluster's
    answers as they do with the removal alone."""
    repo = own_copy(plain_3_0_1, tmp_path_factory.mktemp("notes-and-no-controller") / "cluster")
    mine = "  # the chart installs in seconds\n  timeout: 2m # if not set, this defaults to interval duration, which is 1h\n"
    edit(repo / PODINFO_KUSTOMIZATION, TIMEOUT_AT_3_0_1, mine)
    edit(repo / "podinfo/helmrelease-podinfo.yaml", "  timeout: 5m\n", "  timeout: 5m # as long as the image pull takes\n")
    commit_all(repo, "Our notes")
    # The controller app removed by hand: the answers still say sealed_secrets: true.
    git(repo, "rm", "-q", "-r", "sealed-secrets", ".copier-answers.app-sealed-secrets.yml",
        "bootstrap/kustomizations/kustomization-sealed-secrets.yaml",
        "bootstrap/helmrepositories/helmrepository-sealed-secrets.yaml",
        "bootstrap/namespaces/namespace-sealed-secrets.yaml")
    commit_all(repo, "No controller")
    before = git(repo, "rev-parse", "HEAD").strip()
    result = update_all(repo, template)
    return repo, before, result.stdout + result.stderr


def test_the_raised_timeout_keeps_the_users_comments_on_and_above_its_line(notes_and_no_controller):
    """The line differs from the old render in its comment alone: copier's merge conflicts,
    the update settles it to the release's value, and the user's comments stay."""
    repo, _, _ = notes_and_no_controller
    assert git(repo, "status", "--porcelain") == ""
    assert "  # the chart installs in seconds\n  timeout: 5m # if not set, this defaults to interval duration, which is 1h\n" \
        in (repo / PODINFO_KUSTOMIZATION).read_text()
    assert "  timeout: 5m # as long as the image pull takes\n" in (repo / "podinfo/helmrelease-podinfo.yaml").read_text()
    assert_current_and_valid(repo)


def test_sealed_secrets_is_recorded_false_without_the_controller(notes_and_no_controller):
    """The controller's app removed by hand, podinfo still there: no app installs the
    controller, and the answers say so after the update."""
    repo, before, output = notes_and_no_controller
    assert yaml.safe_load(git(repo, "show", f"{before}:.copier-answers.yml"))["sealed_secrets"] is True
    assert answers(repo)["sealed_secrets"] is False
    assert "sealed_secrets recorded false, as no app installs the controller" in output
    assert git(repo, "status", "--porcelain") == ""


def test_a_timeout_the_user_chose_is_never_replaced(plain_3_0_1, template, tmp_path):
    """The user's own value against the release's: a conflict the user sees and settles,
    never the release's value in its place."""
    repo = own_copy(plain_3_0_1, tmp_path / "cluster")
    edit(repo / PODINFO_KUSTOMIZATION, TIMEOUT_AT_3_0_1, "  timeout: 3m # if not set, this defaults to interval duration\n")
    commit_all(repo, "Three minutes")
    result = cookbook_cli("update-all", str(repo), "--vcs-ref", template.current)
    assert result.returncode == 1
    assert f"the update left conflicts in:\n  {PODINFO_KUSTOMIZATION}" in result.stdout + result.stderr
    # Named once by the release's step, which the run prints; not again by update-all's own settling.
    assert (result.stdout + result.stderr).count(f"  {PODINFO_KUSTOMIZATION}: conflict left for you") == 1
    # The app's path reads as gone while its Kustomization holds conflict markers: said why.
    assert ("Files left with conflicts are not YAML until you resolve them, so what they declare cannot build: "
            f"{PODINFO_KUSTOMIZATION}.") in result.stderr, result.stderr
    assert "that one is not" in result.stderr and "the updates are committed" not in result.stderr
    assert "<<<<<<< before updating\n  timeout: 3m # if not set, this defaults to interval duration\n=======\n" \
        in (repo / PODINFO_KUSTOMIZATION).read_text()


def test_a_guessed_health_check_in_a_kustomization_with_crlf_line_ends_moves_too(plain_3_0_1, template, tmp_path):
    repo = own_copy(plain_3_0_1, tmp_path / "cluster")
    path = repo / PODINFO_KUSTOMIZATION
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    commit_all(repo, "CRLF line ends")
    output = update_all(repo, template)
    assert "its healthChecks are your own" not in output.stdout + output.stderr
    assert kustomization(repo, "podinfo")["spec"]["healthChecks"] == [{**HELM_RELEASE_CHECK, "name": "podinfo", "namespace": "podinfo"}]
    assert path.read_bytes().count(b"\n") == path.read_bytes().count(b"\r\n")
    assert_current_and_valid(repo)


FRONTEND_CHECK = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo-frontend", "namespace": "podinfo"}]


@pytest.mark.parametrize(("order", "given", "expected"), [
    ("cluster first", "helmrelease_timeout=10m", {"timeout": "10m"}),
    ("app first", "helmrelease_timeout=10m", {"timeout": "10m"}),
    ("app first", f"health_checks={FRONTEND_CHECK}", {"healthChecks": FRONTEND_CHECK}),
])
def test_an_app_update_from_3_0_1_takes_new_answers_for_what_the_step_rewrote(plain_3_0_1, template, tmp_path,
                                                                               order, given, expected):
    """`copier update -a <app> -d ...` from 3.0.1, the cluster updated first or not: the
    step has rewritten the app's timeout line or health checks, and the update's answers
    change them again. copier merges from the old render, which has neither the step's
    line nor the new one: a conflict, settled from the old render as the step leaves it."""
    repo = own_copy(plain_3_0_1, tmp_path / "cluster")
    if order == "cluster first":
        assert copier_cli("update", "--trust", "--defaults", "--vcs-ref", template.current, cwd=repo).returncode == 0
        commit_all(repo, "Update the cluster")
    result = copier_cli("update", "--trust", "--defaults", "-a", ".copier-answers.app-podinfo.yml", "-d", given,
                        "--vcs-ref", template.current, cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "conflict left for you" not in result.stdout + result.stderr
    assert expected.items() <= kustomization(repo, "podinfo")["spec"].items()
    key, value = given.split("=", 1)
    assert answers(repo, "podinfo")[key] == yaml.safe_load(value)
    commit_all(repo, "Update podinfo")
    assert_current_and_valid(repo)


def test_a_conflict_in_the_helm_release_leaves_the_kustomizations_timeout_settled(plain_3_0_1, template, tmp_path):
    """The user's own HelmRelease timeout against `-d helmrelease_timeout=10m`: a conflict
    the user settles; the Kustomization's timeout line, the step's, takes the new answer."""
    repo = own_copy(plain_3_0_1, tmp_path / "cluster")
    edit(repo / "podinfo/helmrelease-podinfo.yaml", "  timeout: 5m\n", "  timeout: 7m\n")
    commit_all(repo, "Seven minutes")
    result = copier_cli("update", "--trust", "--defaults", "-a", ".copier-answers.app-podinfo.yml",
                        "-d", "helmrelease_timeout=10m", "--vcs-ref", template.current, cwd=repo)
    assert result.returncode == 0, result.stderr
    assert git(repo, "diff", "--name-only", "--diff-filter=U") == "podinfo/helmrelease-podinfo.yaml\n"
    assert "  timeout: 10m # at least the HelmRelease's timeout" in (repo / PODINFO_KUSTOMIZATION).read_text()
