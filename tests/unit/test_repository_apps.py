"""A repository's apps (flux_cookbook/repository/apps.py): each known by its Kustomization."""

from flux_cookbook.repository import apps
from tests.support.flux_objects import flux_ks


def write_app(root, app, folder, bootstrap_dir="bootstrap"):
    (root / f".copier-answers.app-{app}.yml").write_text(f"kind: app\napp_name: {app}\nbootstrap_dir: {bootstrap_dir}\n")
    (root / bootstrap_dir / "kustomizations").mkdir(parents=True, exist_ok=True)
    (root / f"{bootstrap_dir}/kustomizations/kustomization-{app}.yaml").write_text(flux_ks(app, f"./{folder}"))
    (root / folder).mkdir(parents=True)
    (root / folder / f"helmrelease-{app}.yaml").write_text("kind: HelmRelease\n")


def test_two_apps_whose_folders_share_a_name_are_two_apps(tmp_path):
    write_app(tmp_path, "redis", "redis")
    write_app(tmp_path, "mastodon-redis", "mastodon/redis")
    assert apps.app_names(tmp_path) == ["mastodon-redis", "redis"]
    found = {name: apps.find(tmp_path, name, {"bootstrap_dir": "bootstrap"}) for name in apps.app_names(tmp_path)}
    assert {name: (app.folder, app.answers_file, app.kustomization_file) for name, app in found.items()} == {
        "redis": ("redis", ".copier-answers.app-redis.yml", "bootstrap/kustomizations/kustomization-redis.yaml"),
        "mastodon-redis": ("mastodon/redis", ".copier-answers.app-mastodon-redis.yml",
                           "bootstrap/kustomizations/kustomization-mastodon-redis.yaml"),
    }
    assert apps.find(tmp_path, "mastodon") is None


def test_the_bootstrap_folder_the_answers_leave_out_is_the_repositorys(tmp_path):
    write_app(tmp_path, "web", "apps/web", bootstrap_dir="clusters/home")
    assert apps.App(tmp_path, "web", {}).folder == "web"  # no Kustomization to read: where the template renders it
    assert apps.App(tmp_path, "web", {"apps_dir": "apps"}, default_bootstrap_dir="clusters/home").folder == "apps/web"


def test_an_app_found_by_its_kustomization_is_named_after_its_folder_unless_another_shares_the_name():
    folders = ["redis", "mastodon/redis", "apps/podinfo"]
    assert [apps.name_by_folder(name, folder, folders) for name, folder in
            (("redis", "redis"), ("mastodon-redis", "mastodon/redis"), ("podinfo-app", "apps/podinfo"))] == [
        "redis", "mastodon-redis", "podinfo"]
    # One folder applied by two Kustomizations is one name: adopt says to keep one of them.
    assert apps.name_by_folder("other", "redis", ["redis", "redis"]) == "redis"
