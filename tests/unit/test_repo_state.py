import pytest

from flux_cookbook.extensions.repo_state import app_exists_error, app_folder, depends_on_error, existing_apps, health_checks_error
from tests.support.flux_objects import flux_ks


def test_apps_are_known_by_their_answers_files(tmp_path):
    for name in ("a", "b-c"):
        (tmp_path / f".copier-answers.app-{name}.yml").write_text("kind: app\n")
    (tmp_path / ".copier-answers.yml").write_text("kind: cluster\n")
    assert existing_apps(tmp_path) == {"a", "b-c"}
    assert depends_on_error(tmp_path, ["a", "b-c"], "new") == ""
    assert "lists an app twice" in depends_on_error(tmp_path, ["a", "a"], "new")


def test_an_app_folder_alone_is_a_clash(tmp_path):
    (tmp_path / "grafana").mkdir()
    assert "found grafana/" in app_exists_error(tmp_path, "grafana", "flux-system")
    assert app_exists_error(tmp_path, "loki", "flux-system") == ""


def test_health_checks_shape():
    assert health_checks_error([{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "pg", "namespace": "db"}]) == ""
    assert "unknown keys: nmae" in health_checks_error([{"kind": "X", "name": "y", "nmae": "z"}])
    assert "must be a list" in health_checks_error({"kind": "X"})


@pytest.mark.parametrize("answers, path, release_in, expected", [
    ({"app_name": "mastodon-redis"}, "./mastodon/redis", "mastodon/redis", "mastodon/redis"),  # known by its Kustomization
    ({"app_name": "web"}, "./website", "website", "website"),  # a folder renamed by hand, holding its HelmRelease
    ({"app_name": "web", "apps_dir": "apps"}, "./apps", "apps", "apps/web"),  # above the rendered folder: every app's
    ({"app_name": "web"}, "./web/app", "web/app", "web"),  # below it
    ({"app_name": "web", "apps_dir": "web"}, "./web", "web", "web/web"),  # above it, named as the app
    ({"app_name": "web", "apps_dir": "apps"}, "./apps/web/", "apps/web", "apps/web"),
    ({"app_name": "web"}, "./web", "web", "web"),
    ({"app_name": "web", "apps_dir": "apps"}, "./elsewhere", "", "apps/web"),  # no HelmRelease file there: as rendered
    ({"app_name": "web"}, "../outside", "", "web"),
    ({"app_name": "web"}, "./", "", "web"),
])
def test_an_apps_folder_is_the_one_its_kustomization_applies(tmp_path, answers, path, release_in, expected):
    app = answers["app_name"]
    (tmp_path / ".copier-answers.app-redis.yml").write_text("kind: app\napp_name: redis\n")  # another app, at redis/
    (tmp_path / "bootstrap/kustomizations").mkdir(parents=True)
    (tmp_path / f"bootstrap/kustomizations/kustomization-{app}.yaml").write_text(flux_ks(app, path))
    if release_in:
        (tmp_path / release_in).mkdir(parents=True)
        (tmp_path / release_in / f"helmrelease-{app}.yaml").write_text("kind: HelmRelease\n")
    assert app_folder(tmp_path, {**answers, "bootstrap_dir": "bootstrap"}) == expected


def test_an_app_whose_kustomization_file_nests_past_the_cap_is_where_the_template_renders_it(tmp_path):
    """An app's folder is read from its Kustomization file, a file of the repository: one
    over the YAML caps (here nesting PyYAML's own loader dies of: RecursionError) reads as no
    Kustomization at all, not as a crash of copier's render."""
    hostile = "spec: " + "[" * 100_000 + "]" * 100_000
    (tmp_path / "bootstrap/kustomizations").mkdir(parents=True)
    (tmp_path / "bootstrap/kustomizations/kustomization-web.yaml").write_text("kind: Kustomization\n" + hostile + "\n")
    assert app_folder(tmp_path, {"app_name": "web", "bootstrap_dir": "bootstrap"}) == "web"


def test_an_app_name_flux_owns_or_above_a_nested_bootstrap_folder_is_refused(tmp_path):
    assert "Flux's own Kustomization" in app_exists_error(tmp_path, "flux-system", "bootstrap")
    # apps in clusters/, the bootstrap folder clusters/home: an app `home` would be that folder.
    assert "where the bootstrap folder clusters/home/ is" in app_exists_error(tmp_path, "home", "clusters/home", "clusters")
    assert app_exists_error(tmp_path, "home", "clusters/home") == ""  # at the top: clusters/home is not home/


def test_an_app_with_files_but_no_answers_is_named_as_such(tmp_path):
    (tmp_path / "web").mkdir()
    said = app_exists_error(tmp_path, "web", "bootstrap")
    assert "no answers file (found web/)" in said and "copier update" not in said


def test_flux_bootstrap_syncs_are_looked_for_in_what_git_would_commit_and_without_recursion(tmp_path):
    """A sync of a vendored example git ignores is none of the destination's; a folder
    1,100 deep (no git work tree) is walked without RecursionError."""
    from flux_cookbook.extensions.repo_state import flux_syncs
    from tests.support.project import init_repo

    repo = tmp_path / "repo"
    for path in ("clusters/home/flux-system/gotk-sync.yaml", "node_modules/example/gotk-sync.yaml", ".gitignore"):
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text("node_modules/\n" if path == ".gitignore" else "kind: Kustomization\n")
    (repo / "vendor/fleet/clusters/flux-system").mkdir(parents=True)
    (repo / "vendor/fleet/clusters/flux-system/gotk-sync.yaml").write_text("kind: Kustomization\n")
    (repo / ".gitignore").write_text("node_modules/\nvendor/\n")
    (repo / "gone/flux-system").mkdir(parents=True)
    (repo / "gone/flux-system/gotk-sync.yaml").write_text("kind: Kustomization\n")
    init_repo(repo)
    assert flux_syncs(repo) == ["clusters/home/flux-system/gotk-sync.yaml", "gone/flux-system/gotk-sync.yaml"]
    # A folder the repository around it ignores is copied into as the folder it is; a
    # tracked file deleted since is no longer there.
    assert flux_syncs(repo / "vendor/fleet") == ["clusters/flux-system/gotk-sync.yaml"]
    (repo / "gone/flux-system/gotk-sync.yaml").unlink()
    assert flux_syncs(repo / "gone") == [] and flux_syncs(repo) == ["clusters/home/flux-system/gotk-sync.yaml"]

    deep = tmp_path / "deep"
    folder = deep
    for _ in range(1100):
        folder = folder / "a"
        folder.mkdir(parents=True)
    (folder / "gotk-sync.yaml").write_text("kind: Kustomization\n")
    try:
        assert flux_syncs(deep) == ["a/" * 1100 + "gotk-sync.yaml"]
    finally:
        while folder != tmp_path:  # pytest's clean-up recurses per level too
            for entry in folder.iterdir():
                entry.unlink()
            folder.rmdir()
            folder = folder.parent


NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n"


def test_a_namespace_another_cluster_declares_is_no_declaration_in_this_one(tmp_path):
    """Two clusters in one repository: staging declares namespace web in its own folder.
    prod's new app must declare it too (it wrote none, and the app failed: namespaces "web"
    not found); one a file outside every cluster's folder declares is declared."""
    from flux_cookbook.extensions.repo_state import namespace_declared_elsewhere, owns_namespace_default
    from tests.support.flux_objects import gotk_sync

    for path, text in {"clusters/staging/flux-system/gotk-sync.yaml": gotk_sync("./clusters/staging"),
                       "clusters/prod/flux-system/gotk-sync.yaml": gotk_sync("./clusters/prod"),
                       "clusters/staging/namespace-web.yaml": NAMESPACE}.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    assert owns_namespace_default(tmp_path, "web", "clusters/prod")
    assert not owns_namespace_default(tmp_path, "web", "clusters/staging")
    (tmp_path / "shared/web").mkdir(parents=True)
    (tmp_path / "shared/web/namespace.yaml").write_text(NAMESPACE)
    assert namespace_declared_elsewhere(tmp_path, "web", "clusters/prod") == "shared/web/namespace.yaml"


def test_an_app_goes_into_a_bootstrap_folder_some_cluster_syncs(tmp_path):
    """The cluster's recorded folder, or another cluster's (its flux bootstrap sync's path);
    none else: no cluster would install the app."""
    from flux_cookbook.extensions.repo_state import app_cluster_error
    from tests.support.flux_objects import gotk_sync

    assert app_cluster_error(tmp_path, "anywhere") == ""  # no cluster of the template's to judge by
    (tmp_path / ".copier-answers.yml").write_text("bootstrap_dir: clusters/prod\n")
    (tmp_path / "clusters/staging/flux-system").mkdir(parents=True)
    (tmp_path / "clusters/staging/flux-system/gotk-sync.yaml").write_text(gotk_sync("./clusters/staging"))
    assert app_cluster_error(tmp_path, "clusters/prod") == app_cluster_error(tmp_path, "clusters/staging/") == ""
    assert app_cluster_error(tmp_path, "clusters/stagnig") == (
        "bootstrap_dir clusters/stagnig is no cluster's bootstrap folder, so no cluster would install the app; "
        "the bootstrap folders here: clusters/prod (this repository's cluster, .copier-answers.yml), clusters/staging.")


def test_files_linked_from_outside_the_repository_are_not_read(tmp_path):
    """A gotk-sync.yaml or a Namespace file that is a link out of the repository: not read
    (the repository's content only), so no cluster and no declaration."""
    from flux_cookbook.extensions.repo_state import app_cluster_error, namespace_declared_elsewhere
    from tests.support.flux_objects import gotk_sync

    outside, repo = tmp_path / "outside", tmp_path / "repo"
    (outside / "flux-system").mkdir(parents=True)
    (outside / "flux-system/gotk-sync.yaml").write_text(gotk_sync("./clusters/elsewhere"))
    (outside / "namespace.yaml").write_text(NAMESPACE)
    (repo / "clusters/elsewhere/flux-system").mkdir(parents=True)
    (repo / "clusters/elsewhere/flux-system/gotk-sync.yaml").symlink_to(outside / "flux-system/gotk-sync.yaml")
    (repo / "namespace-web.yaml").symlink_to(outside / "namespace.yaml")
    (repo / ".copier-answers.yml").write_text("bootstrap_dir: bootstrap\n")
    assert "no cluster's bootstrap folder" in app_cluster_error(repo, "clusters/elsewhere")
    assert namespace_declared_elsewhere(repo, "web", "bootstrap") == ""


def test_a_cluster_not_bootstrapped_yet_is_another_cluster_by_its_answers(tmp_path):
    """The cookbook cluster (bootstrap/, no gotk-sync.yaml yet) declares namespace web; an
    app of a second cluster (clusters/staging) writes its own, or nothing there makes it."""
    from flux_cookbook.extensions.repo_state import namespace_declared_elsewhere, owns_namespace_default

    (tmp_path / ".copier-answers.yml").write_text("kind: cluster\nbootstrap_dir: bootstrap\n")
    (tmp_path / "bootstrap/namespaces").mkdir(parents=True)
    (tmp_path / "bootstrap/namespaces/namespace-web.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n")
    assert namespace_declared_elsewhere(tmp_path, "web", "clusters/staging") == ""
    assert owns_namespace_default(tmp_path, "web", "clusters/staging")


def test_one_release_name_in_one_namespace_clashes_in_one_cluster_only(tmp_path):
    from flux_cookbook.extensions.repo_state import helm_release_clash_error

    (tmp_path / ".copier-answers.app-web.yml").write_text("kind: app\napp_name: web\nnamespace: web\nbootstrap_dir: bootstrap\n")
    assert "app 'web' installs Helm release 'web' in namespace 'web' already" in helm_release_clash_error(
        tmp_path, "web2", "web", "web", "bootstrap")
    assert helm_release_clash_error(tmp_path, "stage-web", "web", "web", "clusters/staging") == ""


def test_depends_on_names_what_its_own_cluster_has(tmp_path):
    """kustomize-controller looks a dependency up in its own cluster: another cluster's app
    is waited for forever; a Kustomization of the user's in this one is there."""
    (tmp_path / ".copier-answers.app-web.yml").write_text("kind: app\napp_name: web\nbootstrap_dir: bootstrap\n")
    (tmp_path / ".copier-answers.app-stage-db.yml").write_text("kind: app\napp_name: stage-db\nbootstrap_dir: clusters/staging\n")
    (tmp_path / "bootstrap/kustomizations").mkdir(parents=True)
    (tmp_path / "bootstrap/kustomizations/kustomization-extras.yaml").write_text(flux_ks("extras", "./extras"))
    assert depends_on_error(tmp_path, ["web", "extras"], "api", "bootstrap") == ""
    assert "depends_on names 'stage-db', which is not an app of this cluster (bootstrap/; apps and Kustomizations: " \
           "extras, web)." == depends_on_error(tmp_path, ["stage-db"], "api", "bootstrap")
    assert depends_on_error(tmp_path, ["stage-db"], "stage-web", "clusters/staging") == ""
