"""`copier copy` of an app: which namespace file it writes, and where an apps folder puts it.

C: no Namespace object for flux-system (flux bootstrap's gotk-components.yaml declares it,
and a second declaration breaks the bootstrap folder's build), for Kubernetes' own
namespaces, or for a namespace another file declares; an update renders the same.
G: with the cluster answer apps_dir, apps go one folder down, and their Kustomization
applies that folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from flux_cookbook.extensions import layout
from flux_cookbook.repository import build_check
from tests.support.project import answers, commit_all, copier_cli, copy, files, init_repo, own_copy, tree_state, update
from tests.support.template_repo import git

GOTK_COMPONENTS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n"


def cluster(tmp_path, **data):
    repo = copy(data.pop("template"), tmp_path / "repo", include_example_app=False, **data)
    (repo / "bootstrap/flux-system/gotk-components.yaml").write_text(GOTK_COMPONENTS)
    (repo / "bootstrap/flux-system/kustomization.yaml").write_text("resources: [gotk-components.yaml]\n")
    return init_repo(repo)


@pytest.fixture(scope="module")
def plain_cluster(template, tmp_path_factory) -> tuple[Path, build_check.Builds]:
    """A cluster without apps and what Flux builds from it, made once for the module."""
    repo = cluster(tmp_path_factory.mktemp("plain"), template=template.path)
    return repo, build_check.build(repo)


@pytest.fixture
def own_cluster(plain_cluster, tmp_path) -> tuple[Path, build_check.Builds]:
    """This test's copy of the plain cluster, and what Flux built from it."""
    repo, built = plain_cluster
    return own_copy(repo, tmp_path / "repo"), built


def add_app(template, repo, app, **data):
    copy(template.path, repo, kind="app", app_name=app, chart="podinfo", helm_repo_name="charts",
         helm_repo_url="https://example.invalid/charts", fetch_values=False, **data)
    commit_all(repo, f"Add {app}")


@pytest.fixture(scope="module")
def web_cluster(template, plain_cluster, tmp_path_factory) -> tuple[Path, build_check.Builds]:
    """The plain cluster with app web added (namespace web, Helm repository charts), made
    once for the module, and what Flux built from the plain cluster before it."""
    repo, built = plain_cluster
    repo = own_copy(repo, tmp_path_factory.mktemp("web") / "repo")
    add_app(template, repo, "web")
    return repo, built


@pytest.fixture
def own_web_cluster(web_cluster, tmp_path) -> tuple[Path, build_check.Builds]:
    """This test's copy of the cluster with app web, and what Flux built before web."""
    repo, built = web_cluster
    return own_copy(repo, tmp_path / "repo"), built


@pytest.mark.parametrize("namespace", ["flux-system", "kube-system", "kube-public", "kube-node-lease", "default"])
def test_no_namespace_file_for_a_namespace_flux_or_kubernetes_owns(template, own_cluster, namespace):
    repo, before = own_cluster
    add_app(template, repo, "web", namespace=namespace)
    assert not (repo / layout.namespace_file("bootstrap", namespace)).exists()
    assert answers(repo, "web")["owns_namespace"] is False
    assert build_check.newly_broken(before, build_check.build(repo)) == []
    state = tree_state(repo)
    update(repo, layout.app_answers_file("web"), vcs_ref=template.current)
    assert tree_state(repo)[2] == state[2]


def test_no_second_namespace_for_one_another_file_declares(template, own_cluster, capfd):
    """And the user is told why no namespace file came."""
    repo, _ = own_cluster
    (repo / "bootstrap/shop.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n")
    commit_all(repo, "The shop's namespace, the user's way")
    capfd.readouterr()
    add_app(template, repo, "web", namespace="shop")
    assert not (repo / layout.namespace_file("bootstrap", "shop")).exists()
    assert "Note: namespace shop is declared in bootstrap/shop.yaml, so the app writes no namespace file" in capfd.readouterr().err
    built = {r.kustomization.path: r for r in build_check.build(repo).results}
    assert built["bootstrap"].ok, built["bootstrap"].error


def test_apps_share_the_namespace_file_the_first_one_wrote(template, own_cluster):
    repo, _ = own_cluster
    add_app(template, repo, "web", namespace="shop")
    add_app(template, repo, "api", namespace="shop")
    assert (repo / layout.namespace_file("bootstrap", "shop")).is_file()
    assert answers(repo, "web")["owns_namespace"] is answers(repo, "api")["owns_namespace"] is True


@pytest.mark.parametrize("apps_dir", ["apps", "clusters/apps"])
def test_apps_go_one_folder_down(template, tmp_path, apps_dir):
    repo = cluster(tmp_path, template=template.path, apps_dir=apps_dir)
    before = build_check.build(repo)
    add_app(template, repo, "web")
    assert answers(repo, "web")["apps_dir"] == apps_dir
    written = files(repo)
    assert {layout.helm_release_file("web", apps_dir), layout.values_configmap_file("web", apps_dir)} <= written
    assert not (repo / "web").exists()
    kustomization = yaml.safe_load((repo / layout.kustomization_file("bootstrap", "web")).read_text())
    assert kustomization["spec"]["path"] == f"{apps_dir}/web"
    # The repository's README draws the layout the answers make.
    readme = (repo / "README.md").read_text().splitlines()
    assert f"{apps_dir}/<app>/" in readme and "<app>/" not in readme
    after = build_check.build(repo)
    assert build_check.newly_broken(before, after) == []
    assert {r.kustomization.path for r in after.results if r.ok} >= {"bootstrap", f"{apps_dir}/web"}
    state = tree_state(repo)
    update(repo, layout.app_answers_file("web"), vcs_ref=template.current)
    assert tree_state(repo)[2] == state[2]


@pytest.mark.parametrize("apps_dir, message", [
    ("../apps", "must be a folder inside the repository"),
    ("/apps", "must be a folder inside the repository"),
    ("Apps", "not a valid DNS-1123 label"),
    ("bootstrap/apps", "lies in the bootstrap folder"),
])
def test_an_apps_folder_outside_the_rules_is_refused(template, tmp_path, apps_dir, message):
    with pytest.raises(ValueError, match=message):
        copy(template.path, tmp_path / "repo", include_example_app=False, apps_dir=apps_dir)


def test_an_update_writes_no_namespace_or_helm_repository_file_the_user_moved_elsewhere(template, own_web_cluster):
    """The user gathers the Namespaces in one file and renames the HelmRepository's: an
    app's update (here with a new answer) writes neither again, and the bootstrap folder
    keeps building (a second declaration of either object would stop it)."""
    repo, before = own_web_cluster
    namespace_file, helm_repository_file = layout.namespace_file("bootstrap", "web"), layout.helm_repository_file("bootstrap", "charts")
    (repo / "bootstrap/namespaces/all.yaml").write_text((repo / namespace_file).read_text())
    (repo / namespace_file).unlink()
    (repo / helm_repository_file).rename(repo / "bootstrap/helmrepositories/example.yaml")
    commit_all(repo, "Our own file names")
    update(repo, layout.app_answers_file("web"), vcs_ref=template.current, helmrelease_interval="10m")
    assert not (repo / namespace_file).exists() and not (repo / helm_repository_file).exists()
    assert "interval: 10m" in (repo / "web/helmrelease-web.yaml").read_text()
    assert build_check.newly_broken(before, build_check.build(repo)) == []


def test_an_app_moved_to_another_namespace_takes_its_health_checks_along(template, own_web_cluster):
    """Its health check names the app's HelmRelease in the namespace it leaves: copier
    keeps that recorded answer, and Flux would wait for web/web forever. The update is
    refused with the answer to give, every check in the old namespace moved; given, the
    app moves whole."""
    repo, before = own_web_cluster
    state = tree_state(repo)
    with pytest.raises(ValueError) as refused:
        update(repo, layout.app_answers_file("web"), vcs_ref=template.current, namespace="edge")
    assert tree_state(repo) == state
    message = str(refused.value)
    assert "namespace changes from web to edge, and health_checks still name HelmRelease web/web," in message
    given = re.search(r"-d 'health_checks=(.*?)'", message).group(1)
    update(repo, layout.app_answers_file("web"), vcs_ref=template.current, namespace="edge", health_checks=given)
    kustomization = yaml.safe_load((repo / "bootstrap/kustomizations/kustomization-web.yaml").read_text())
    assert [(c["kind"], c["namespace"], c["name"]) for c in kustomization["spec"]["healthChecks"]] == [("HelmRelease", "edge", "web")]
    assert yaml.safe_load((repo / "web/helmrelease-web.yaml").read_text())["metadata"]["namespace"] == "edge"
    assert build_check.newly_broken(before, build_check.build(repo)) == []


@pytest.mark.parametrize(("answer", "value", "message"), [
    ("app_name", "site", "app_name is 'web' in .copier-answers.app-web.yml; an update cannot change it to 'site'"),
    ("kind", "cluster", "is an app's answers file: kind must be app, not 'cluster'"),
    ("values_in", "inline", "values_in is 'configmap' in .copier-answers.app-web.yml; an update cannot change it"),
])
def test_an_update_changing_what_the_apps_files_are_is_refused(template, own_web_cluster, answer, value, message):
    """Another app_name or kind would delete the app's files with the user's edits in them;
    another values_in, the file holding the values (the placeholder written instead)."""
    repo, _ = own_web_cluster
    state = tree_state(repo)
    with pytest.raises(ValueError) as refused:
        update(repo, layout.app_answers_file("web"), vcs_ref=template.current, **{answer: value})
    assert message in str(refused.value)
    assert tree_state(repo) == state


def test_an_apps_answers_file_that_lost_its_kind_stays_an_apps(template, own_web_cluster):
    """A hand edit removed `kind`: copier would take the default, cluster, and turn the app's
    answers file into a cluster's."""
    repo, _ = own_web_cluster
    answers = repo / layout.app_answers_file("web")
    answers.write_text(answers.read_text().replace("kind: app\n", ""))
    commit_all(repo, "kind lost")
    state = tree_state(repo)
    with pytest.raises(ValueError) as refused:
        update(repo, layout.app_answers_file("web"), vcs_ref=template.current)
    assert "is an app's answers file: kind must be app" in str(refused.value)
    assert tree_state(repo) == state


@pytest.mark.parametrize(("recorded", "edited", "named"), [
    ("chart_version: '*'", "chart_verison: 6.x", "chart_verison: no question of the template has this name (did you "
                                                 "mean chart_version?)"),
    ("depends_on: []", "depends_on: api", "depends_on: must be a list of app names, e.g. [postgres], not 'api'"),
    ("helm_strategy: RetryOnFailure", "helm_strategy: Retry", "helm_strategy: 'Retry' is none of the choices"),
])
def test_an_answers_file_edited_into_what_copier_would_drop_stops_plain_copier(template, own_web_cluster, recorded,
                                                                               edited, named):
    """copier drops an answer no question has (a misspelt key, while the question it meant
    takes its default) and one its question refuses, without a word; a list answer that is
    no list it renders letter by letter. `copier update` and `copier recopy` stop before
    anything is written, naming it."""
    repo, _ = own_web_cluster
    answers_file = repo / layout.app_answers_file("web")
    assert recorded in answers_file.read_text()
    answers_file.write_text(answers_file.read_text().replace(recorded, edited))
    commit_all(repo, "A hand edit")
    state = tree_state(repo)
    for command in (["update", "--vcs-ref", template.current], ["recopy", "--overwrite", "--vcs-ref", template.current]):
        done = copier_cli(*command, "--trust", "--defaults", "-a", layout.app_answers_file("web"), cwd=repo)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert ".copier-answers.app-web.yml records what an update cannot use as it is" in done.stderr
        assert f"\n  {named}" in done.stderr and "Nothing was changed." in done.stderr, done.stderr
        assert tree_state(repo) == state


def test_a_namespace_another_app_still_uses_stays_when_an_app_moves_out(template, own_web_cluster, capfd):
    """Two apps in one namespace; one moves to another: its update deletes the Namespace
    file its old release wrote, which the other still goes into (with prune, Flux would
    delete the namespace and the other app in it). It stays, and the update says why."""
    repo, before = own_web_cluster
    add_app(template, repo, "api", namespace="web")
    commit_all(repo, "api shares web's namespace")
    moved = [{"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "name": "web", "namespace": "edge"}]
    update(repo, layout.app_answers_file("web"), vcs_ref=template.current, namespace="edge", health_checks=moved)
    assert (repo / "bootstrap/namespaces/namespace-web.yaml").is_file()
    assert (repo / "bootstrap/namespaces/namespace-edge.yaml").is_file()
    assert "bootstrap/namespaces/namespace-web.yaml: kept, still used by .copier-answers.app-api.yml" in capfd.readouterr().out
    # Moved out again, by the last app in it: nothing uses it, and it goes.
    commit_all(repo, "web in edge")
    update(repo, layout.app_answers_file("api"), vcs_ref=template.current, namespace="edge",
           health_checks=[{**moved[0], "name": "api"}])
    assert not (repo / "bootstrap/namespaces/namespace-web.yaml").exists()


def test_a_namespace_file_a_kustomization_file_lists_stays_when_its_app_moves_out(template, own_web_cluster, capfd):
    """The bootstrap folder lists its files by hand: the Namespace file the update deletes,
    still listed, would stop the folder's build, and Flux would apply nothing of it."""
    repo, _ = own_web_cluster
    (repo / "bootstrap/namespaces/kustomization.yaml").write_text("resources:\n  - namespace-web.yaml\n")
    commit_all(repo, "The namespaces listed by hand")
    before = build_check.build(repo)
    moved = [{"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "name": "web", "namespace": "edge"}]
    update(repo, layout.app_answers_file("web"), vcs_ref=template.current, namespace="edge", health_checks=moved)
    assert (repo / "bootstrap/namespaces/namespace-web.yaml").is_file()
    assert ("bootstrap/namespaces/namespace-web.yaml: kept, as bootstrap/namespaces/kustomization.yaml lists it"
            in capfd.readouterr().out)
    assert build_check.newly_broken(before, build_check.build(repo)) == []


def test_an_update_writes_no_namespace_or_helm_repository_file_the_user_removed(template, own_web_cluster, capfd):
    """The HelmRelease makes its own namespace (install.createNamespace), and the app takes
    its chart from another app's HelmRepository: the user removed both files, and an
    update writes neither again (a Namespace Flux manages, it prunes the day it goes)."""
    repo, before = own_web_cluster
    namespace_file, helm_repository_file = layout.namespace_file("bootstrap", "web"), layout.helm_repository_file("bootstrap", "charts")
    git(repo, "rm", "-q", namespace_file, helm_repository_file)
    commit_all(repo, "No namespace file of our own, and the charts come from elsewhere")
    capfd.readouterr()
    update(repo, layout.app_answers_file("web"), vcs_ref=template.current, helmrelease_interval="10m")
    assert not (repo / namespace_file).exists() and not (repo / helm_repository_file).exists()
    said = capfd.readouterr()
    assert f"{namespace_file}: not written again, as you removed it" in said.out + said.err
    # A namespace file the user never removed (the app moves to another namespace) is written.
    commit_all(repo, "Updated")
    update(repo, layout.app_answers_file("web"), vcs_ref=template.current, namespace="web-two",
           health_checks='[{"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "name": "web", "namespace": "web-two"}]')
    assert (repo / layout.namespace_file("bootstrap", "web-two")).is_file()


def test_an_app_folder_renamed_by_hand_gets_the_release_changes_where_it_is(template, tmp_path):
    """An app is known by its Kustomization: `web/` renamed `website/` (and the
    Kustomization's path with it) is still app web's folder. The update merges the new
    release there, as in an app that kept its folder's name; it was skipped before,
    silently, while the answers recorded the new release."""
    from tests.support.project import cookbook_cli

    old = template.tag("2.1.1")
    repo = init_repo(copy(template.path, tmp_path / "repo", vcs_ref=old, include_example_app=False,
                          sealed_secrets=False))
    for app in ("web", "api"):
        copy(template.path, repo, vcs_ref=old, kind="app", app_name=app, chart="podinfo",
             helm_repo_url="https://stefanprodan.github.io/podinfo", fetch_values=False)
    commit_all(repo, "Two apps")
    git(repo, "mv", "web", "website")
    kustomization = repo / "bootstrap/kustomizations/kustomization-web.yaml"
    kustomization.write_text(re.sub(r"(?m)^  path: (\./)?web$", "  path: ./website", kustomization.read_text()))
    assert "path: ./website" in kustomization.read_text()
    commit_all(repo, "web lives in website/")
    result = cookbook_cli("update-all", str(repo), "--vcs-ref", template.current)
    assert result.returncode == 0, result.stdout + result.stderr
    assert git(repo, "status", "--porcelain") == "" and not (repo / "web").exists()
    renamed, kept = (repo / "website/helmrelease-web.yaml").read_text(), (repo / "api/helmrelease-api.yaml").read_text()
    assert renamed == re.sub(r"\bapi\b", "web", kept)  # the release's changes, as in the app that kept its name
    assert "path: ./website" in kustomization.read_text()
    # The releases' own steps too (3.1.0: the guessed health check, Deployment web, which
    # podinfo does not make, becomes the HelmRelease; waiting for it, Flux never got ready).
    checks = yaml.safe_load(kustomization.read_text())["spec"]["healthChecks"]
    assert checks == [{"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "name": "web", "namespace": "web"}]


def test_an_oci_app_in_a_folder_renamed_by_hand_moves_to_an_oci_repository_where_it_is(template, tmp_path):
    """3.0.0 moves an oci:// app off its HelmRepository of type oci: the app whose folder
    was renamed by hand too, its OCIRepository beside its HelmRelease."""
    from tests.support.project import cookbook_cli

    old = template.tag("2.0.0")  # before chart_source: an oci:// app has a HelmRepository of type oci
    repo = init_repo(copy(template.path, tmp_path / "repo", vcs_ref=old, include_example_app=False))
    copy(template.path, repo, vcs_ref=old, kind="app", app_name="pg", chart="postgresql", helm_repo_name="bitnami",
         helm_repo_url="oci://registry-1.docker.io/bitnamicharts", chart_version="16.x", fetch_values=False)
    commit_all(repo, "pg")
    git(repo, "mv", "pg", "database")
    kustomization = repo / "bootstrap/kustomizations/kustomization-pg.yaml"
    kustomization.write_text(re.sub(r"(?m)^  path: (\./)?pg$", "  path: ./database", kustomization.read_text()))
    commit_all(repo, "pg lives in database/")
    result = cookbook_cli("update-all", str(repo), "--vcs-ref", template.current)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "app pg: chart now from database/ocirepository-pg.yaml (chartRef)" in result.stdout
    release = yaml.safe_load((repo / "database/helmrelease-pg.yaml").read_text())
    assert release["spec"]["chartRef"] == {"kind": "OCIRepository", "name": "pg"} and "chart" not in release["spec"]
    assert yaml.safe_load((repo / "database/ocirepository-pg.yaml").read_text())["kind"] == "OCIRepository"
    assert not (repo / "pg").exists() and not (repo / "bootstrap/helmrepositories/helmrepository-bitnami.yaml").exists()
