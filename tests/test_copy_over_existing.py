"""A copy never replaces what the repository holds unless the user says so (--overwrite).

The template tells a copy from an update by copier's public `_copier_conf.overwrite` (copier
refuses to update without it): plain `copier copy` over an existing app, and
`flux-cookbook add`, are refused with a message naming the app and how to update it, and
nothing changes; `copier copy --overwrite` is the user saying to replace it; `copier update`
of the same app goes on as before.
"""

from __future__ import annotations

import pytest

from tests.support.project import commit_all, cookbook_cli, copier_cli, copy, init_repo, own_copy, tree_state, update
from tests.support.template_repo import git

WEB = ["-d", "kind=app", "-d", "app_name=web", "-d", "chart=podinfo", "-d", "chart_version=6.x",
       "-d", "helm_repo_url=https://charts.example.invalid", "-d", "fetch_values=false"]


@pytest.fixture(scope="module")
def with_web(template, tmp_path_factory):
    repo = init_repo(copy(template.path, tmp_path_factory.mktemp("over") / "cluster", include_example_app=False))
    done = copier_cli("copy", "--trust", "--defaults", *WEB, str(template.path), ".", cwd=repo)
    assert done.returncode == 0, done.stderr
    commit_all(repo, "Add web")
    return repo


@pytest.fixture()
def repo(with_web, tmp_path):
    return own_copy(with_web, tmp_path / "repo")


def test_plain_copier_copy_over_an_app_is_refused_naming_it(repo, template):
    (repo / "web/configmap-web-helm-chart-value-overrides.yaml").write_text("# my own values\n")
    commit_all(repo, "My values")
    before = tree_state(repo)
    result = copier_cli("copy", "--trust", "--defaults", *WEB, "-d", "chart_version=7.x", str(template.path), ".",
                        cwd=repo)
    assert result.returncode != 0
    assert "app 'web' already exists in this repository" in result.stderr
    assert "copier update --trust -a .copier-answers.app-web.yml" in result.stderr and "--overwrite" in result.stderr
    assert tree_state(repo) == before


def test_flux_cookbook_add_over_an_app_is_refused_naming_it(repo):
    before = tree_state(repo)
    result = cookbook_cli("add", "web", "--chart", "podinfo", "--helm-repo-url", "https://charts.example.invalid",
                          "--defaults", "-d", "fetch_values=false", cwd=repo)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "app 'web' already exists" in result.stderr and ".copier-answers.app-web.yml" in result.stderr
    assert tree_state(repo) == before


def test_copy_with_overwrite_replaces_the_app_as_the_user_asked(repo, template):
    result = copier_cli("copy", "--trust", "--defaults", "--overwrite", *WEB, "-d", "chart_version=7.x",
                        str(template.path), ".", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "chart_version: 7.x" in (repo / ".copier-answers.app-web.yml").read_text()
    assert "version: 7.x" in (repo / "web/helmrelease-web.yaml").read_text()


def test_a_second_cluster_over_one_is_refused_and_an_update_goes_on(repo, template):
    before = tree_state(repo)
    result = copier_cli("copy", "--trust", "--defaults", str(template.path), ".", cwd=repo)
    assert result.returncode != 0 and "is already a cluster repository" in result.stderr
    assert tree_state(repo) == before
    # The checks are off on an update (overwrite is on): the same app updates as before.
    update(repo, ".copier-answers.app-web.yml", vcs_ref=template.current, chart_version="7.x")
    assert "chart_version: 7.x" in (repo / ".copier-answers.app-web.yml").read_text()


def test_copier_recopy_with_overwrite_renders_the_cluster_and_each_app_again(template, tmp_path):
    """copier's fallback when an update went wrong: the cluster's recopy leaves the apps
    the repository records to their own answers (its task re-added them and ended in a
    traceback), and an app's recopy renders it again. On a repository as the template
    made it, both change nothing."""
    repo = init_repo(copy(template.path, tmp_path / "repo"))  # with the example apps
    before = tree_state(repo)
    for answers_file in (".copier-answers.yml", ".copier-answers.app-podinfo.yml"):
        result = copier_cli("recopy", "--trust", "--defaults", "--overwrite", "-a", answers_file, cwd=repo)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert tree_state(repo) == before


def test_the_clusters_recopy_brings_back_no_app_removed_by_hand(template, tmp_path):
    """The example app removed by hand stays removed through the cluster's recopy (its task
    added it again, as to a new repository), and the recopy says how to add it."""
    repo = init_repo(copy(template.path, tmp_path / "repo"))  # with the example apps
    git_rm = ["podinfo", ".copier-answers.app-podinfo.yml", "bootstrap/kustomizations/kustomization-podinfo.yaml",
              "bootstrap/namespaces/namespace-podinfo.yaml", "bootstrap/helmrepositories/helmrepository-podinfo.yaml"]
    git(repo, "rm", "-rq", *git_rm)
    commit_all(repo, "No example app")
    before = tree_state(repo)
    result = copier_cli("recopy", "--trust", "--defaults", "--overwrite", cwd=repo)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "Note: app podinfo is not added: this copy went over an existing repository" in result.stdout + result.stderr
    assert tree_state(repo) == before


def test_a_recopy_over_an_older_release_is_refused_naming_the_migrations_it_would_skip(own_lived_in_1_0_0, template):
    """copier runs no migration on a recopy: over a 1.0.0 repository it would record the
    newest release, with the bootstrap folder and Flux's APIs left as 1.0.0 had them, and no
    later update would move them. Refused, saying to update first; nothing written."""
    repo = own_lived_in_1_0_0
    before = tree_state(repo)
    result = copier_cli("recopy", "--trust", "--defaults", "--overwrite", cwd=repo)
    assert result.returncode != 0
    said = " ".join(result.stderr.split())
    assert ".copier-answers.yml records release v1.0.0: a recopy (or `copy --overwrite`) renders the new release " \
           "over it without the migrations of the releases in between (2.0.0, 3.0.0, 3.1.0)" in said
    assert "Update first" in said and "Nothing was changed." in said
    assert tree_state(repo) == before
    # At the release it records, a recopy crosses no migration: it renders as before.
    at_own = copier_cli("recopy", "--trust", "--defaults", "--overwrite", "--vcs-ref", template.tag("1.0.0"), cwd=repo)
    assert "without the migrations" not in at_own.stderr, at_own.stderr


@pytest.mark.parametrize("answer", ["bootstrap_dir=clusters/home", "apps_dir=apps"])
def test_an_update_cannot_move_the_repositorys_folders(template, tmp_path, answer):
    """`copier update -d bootstrap_dir=...`: the template's files would go to the new folder
    and every app's stay, one repository split in two. Refused, nothing written."""
    repo = init_repo(copy(template.path, tmp_path / "repo"))
    before = tree_state(repo)
    result = copier_cli("update", "--trust", "--defaults", "-d", answer, cwd=repo)
    assert result.returncode != 0
    assert f"{answer.split('=')[0]} is '" in result.stderr and "an update cannot move them" in result.stderr
    assert tree_state(repo) == before


@pytest.mark.parametrize(("release", "answer", "said"), [
    ("2.1.1", "apps_dir=apps", "-d apps_dir: apps_dir is '' in .copier-answers.app-web.yml (its release asked none)"),
    ("2.0.0", "values_in=inline", "-d values_in: values_in is 'configmap' in .copier-answers.app-web.yml (its release "
                                  "asked none)"),
    ("2.0.0", "helm_strategy=Bogus", "-d helm_strategy: 'Bogus' is none of the choices"),
    ("2.0.0", "release_name=Bad_Name", "-d release_name: release_name 'Bad_Name'"),
    ("2.1.1", "bootstrap_dir=clusters/home", "-d bootstrap_dir: bootstrap_dir is 'bootstrap' in .copier-answers.app-web.yml"),
])
def test_an_update_across_releases_refuses_an_answer_before_its_migrations_change_anything(template, tmp_path, release,
                                                                                              answer, said):
    """copier asks its questions after the migrations of the releases an update crosses: a
    -d answer it refused left the repository half migrated, with a traceback. An answers file
    of a release before a question stands for what that release wrote: `apps_dir=apps` or
    `values_in=inline` deleted the app's edited files and wrote them afresh."""
    tag = template.tag(release)
    repo = init_repo(copy(template.path, tmp_path / "repo", vcs_ref=tag, include_example_app=False))
    copy(template.path, repo, vcs_ref=tag, kind="app", app_name="web", chart="podinfo",
         helm_repo_url="https://charts.example.invalid", fetch_values=False)
    commit_all(repo, "web")
    before = tree_state(repo)
    result = copier_cli("update", "--trust", "--defaults", "--vcs-ref", template.current, "-a", ".copier-answers.app-web.yml",
                        "-d", answer, cwd=repo)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert said in result.stderr and "Nothing was changed." in result.stderr, result.stderr
    assert tree_state(repo) == before


def test_an_update_given_depends_on_names_apps_that_exist(repo, template):
    """An update is not refused for an app removed since it recorded depends_on, but one given
    `-d depends_on` names what is there now: `[nope]` was recorded, and the Kustomization
    waited for ever."""
    before = tree_state(repo)
    refused = copier_cli("update", "--trust", "--defaults", "-a", ".copier-answers.app-web.yml", "-d", "depends_on=[nope]",
                         cwd=repo)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert "-d depends_on: " in refused.stderr and "nope" in refused.stderr and "Nothing was changed." in refused.stderr
    assert tree_state(repo) == before
    taken = copier_cli("update", "--trust", "--defaults", "-a", ".copier-answers.app-web.yml",
                       "-d", "depends_on=[sealed-secrets]", cwd=repo)
    assert taken.returncode == 0, taken.stderr
    assert "dependsOn:\n    - name: sealed-secrets" in (repo / "bootstrap/kustomizations/kustomization-web.yaml").read_text()


def test_an_update_given_helm_repo_name_takes_no_helm_repository_of_another_url(repo, template):
    """`-d helm_repo_name=sealed-secrets` on web's update pointed web's HelmRelease at the
    controller's HelmRepository, which serves no podinfo: refused, as `add` refuses it."""
    before = tree_state(repo)
    refused = copier_cli("update", "--trust", "--defaults", "-a", ".copier-answers.app-web.yml",
                         "-d", "helm_repo_name=sealed-secrets", cwd=repo)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert "-d helm_repo_name: " in refused.stderr and "Nothing was changed." in refused.stderr, refused.stderr
    assert tree_state(repo) == before
