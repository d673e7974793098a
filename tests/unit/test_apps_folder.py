"""An app adopted one folder down is merged where its old release rendered it, then put back."""

from __future__ import annotations

from pathlib import Path

import pytest

from flux_cookbook.extensions.migrations import apps_folder
from flux_cookbook.extensions.migrations.git_repo import MigrationAbort, git
from tests.support.project import repo_with

KUSTOMIZATION = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: web\nspec:\n  path: ./apps/web/\n"
APP_ANSWERS = "_commit: v1.0.0\nbootstrap_dir: bootstrap\nkind: app\napp_name: web\n"


def make_repo(tmp_path: Path, tree: dict[str, str]) -> Path:
    return repo_with(tmp_path / "repo", tree)


TREE = {
    ".copier-answers.app-web.yml": APP_ANSWERS,
    "bootstrap/kustomizations/kustomization-web.yaml": KUSTOMIZATION,
    "apps/web/helmrelease-web.yaml": "kind: HelmRelease\n",
    "apps/web/sealedsecret-x.yaml": "kind: SealedSecret\n",
}


def test_the_folder_is_merged_at_the_root_and_put_back_with_its_conflicts(tmp_path, capsys):
    repo = make_repo(tmp_path, TREE)
    apps_folder.before(repo, ".copier-answers.app-web.yml")
    assert sorted(git(repo, "diff", "--cached", "--name-only", "--no-renames").split()) == [
        "apps/web/helmrelease-web.yaml", "apps/web/sealedsecret-x.yaml", "web/helmrelease-web.yaml", "web/sealedsecret-x.yaml"]
    # What copier leaves: a new file, a conflict (stages 1-3), the answers with apps_dir ''.
    (repo / "web/configmap-web.yaml").write_text("kind: ConfigMap\n")
    blobs = [git(repo, "hash-object", "-w", "--stdin", input=text).strip() for text in ("base\n", "mine\n", "theirs\n")]
    git(repo, "update-index", "--index-info", input="0 " + "0" * 40 + "\tweb/helmrelease-web.yaml\n" + "".join(
        f"100644 {blob} {stage}\tweb/helmrelease-web.yaml\n" for stage, blob in enumerate(blobs, 1)))
    (repo / "web/helmrelease-web.yaml").write_text("<<<<<<< before updating\nmine\n=======\ntheirs\n>>>>>>> after updating\n")
    (repo / ".copier-answers.app-web.yml").write_text(APP_ANSWERS + "apps_dir: ''\nowns_namespace: true\n")
    apps_folder.after(repo, ".copier-answers.app-web.yml")
    assert not (repo / "web").exists()
    assert (repo / "apps/web/configmap-web.yaml").is_file() and (repo / "apps/web/sealedsecret-x.yaml").is_file()
    unmerged = git(repo, "ls-files", "-u").splitlines()
    assert [line.split()[2] + " " + line.split("\t")[1] for line in unmerged] == [
        "1 apps/web/helmrelease-web.yaml", "2 apps/web/helmrelease-web.yaml", "3 apps/web/helmrelease-web.yaml"]
    assert (repo / ".copier-answers.app-web.yml").read_text().endswith("apps_dir: apps\nowns_namespace: true\n")
    assert "records apps_dir: apps" in capsys.readouterr().out


def test_a_release_without_apps_dir_gets_none_written(tmp_path):
    repo = make_repo(tmp_path, TREE)
    apps_folder.before(repo, ".copier-answers.app-web.yml")
    apps_folder.after(repo, ".copier-answers.app-web.yml")  # an update to 1.0.0 writes no apps_dir
    assert (repo / ".copier-answers.app-web.yml").read_text() == APP_ANSWERS
    assert (repo / "apps/web/helmrelease-web.yaml").is_file()


@pytest.mark.parametrize("answers_file, tree", [
    (".copier-answers.yml", TREE),  # the cluster
    (".copier-answers.app-web.yml", {**TREE, ".copier-answers.app-web.yml": APP_ANSWERS + "apps_dir: apps\n"}),  # knows
    (".copier-answers.app-web.yml", {**TREE, "bootstrap/kustomizations/kustomization-web.yaml":
                                     KUSTOMIZATION.replace("./apps/web/", "web")}),  # at the root
])
def test_nothing_happens_to_apps_that_render_where_they_live(tmp_path, answers_file, tree):
    repo = make_repo(tmp_path, tree)
    apps_folder.before(repo, answers_file)
    assert git(repo, "status", "--porcelain") == ""


def test_a_folder_in_the_way_stops_the_update(tmp_path):
    repo = make_repo(tmp_path, {**TREE, "web/notes.txt": "mine\n"})
    with pytest.raises(MigrationAbort, match="web/ exists at the top of the repository"):
        apps_folder.before(repo, ".copier-answers.app-web.yml")


def test_a_folder_not_named_after_its_app_is_merged_on_every_update(tmp_path):
    # mastodon/redis/ is the app mastodon-redis (redis/ is another app): no apps_dir says
    # that folder, so its answers keep apps_dir '' and every update merges it the same way.
    answers = APP_ANSWERS.replace("app_name: web", "app_name: mastodon-redis") + "apps_dir: ''\n"
    repo = make_repo(tmp_path, {
        ".copier-answers.app-mastodon-redis.yml": answers,
        "bootstrap/kustomizations/kustomization-mastodon-redis.yaml": KUSTOMIZATION.replace("./apps/web/", "./mastodon/redis"),
        "mastodon/redis/helmrelease-mastodon-redis.yaml": "kind: HelmRelease\n",
        "redis/helmrelease-redis.yaml": "kind: HelmRelease\n",
        ".copier-answers.app-redis.yml": APP_ANSWERS.replace("app_name: web", "app_name: redis"),
    })
    for _ in range(2):
        apps_folder.before(repo, ".copier-answers.app-mastodon-redis.yml")
        assert (repo / "mastodon-redis/helmrelease-mastodon-redis.yaml").is_file() and not (repo / "mastodon/redis").exists()
        apps_folder.after(repo, ".copier-answers.app-mastodon-redis.yml")
        assert (repo / "mastodon/redis/helmrelease-mastodon-redis.yaml").is_file() and not (repo / "mastodon-redis").exists()
        assert (repo / ".copier-answers.app-mastodon-redis.yml").read_text() == answers
        assert (repo / "redis/helmrelease-redis.yaml").is_file()
        git(repo, "commit", "-q", "--allow-empty", "-m", "update")


def test_a_submodule_or_a_link_leading_out_of_the_folder_stops_the_update_before_anything_moves(tmp_path):
    """git mv rewrites a submodule's settings for the folder's new place, which the move back
    cannot (every git command in the repository then failed); a link's relative target
    leads elsewhere from the other folder (out of the repository, which stopped the update
    half-moved). A link within the folder moves with it."""
    repo = make_repo(tmp_path, {**TREE, "common/policy.yaml": "kind: NetworkPolicy\n"})
    (repo / "apps/web/policy.yaml").symlink_to("../../common/policy.yaml")
    (repo / "apps/web/release.yaml").symlink_to("helmrelease-web.yaml")
    git(repo, "add", "-A")
    (repo / "apps/web/docs").mkdir()  # a submodule not checked out
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{git(repo, 'rev-parse', 'HEAD').strip()},apps/web/docs")
    git(repo, "commit", "-q", "-m", "A link out of the folder, one in it, a submodule")
    with pytest.raises(MigrationAbort) as stopped:
        apps_folder.before(repo, ".copier-answers.app-web.yml")
    assert "\n  apps/web/docs: a git submodule\n  apps/web/policy.yaml -> ../../common/policy.yaml: a link leading out " \
           "of apps/web/\n" in str(stopped.value)
    assert "release.yaml" not in str(stopped.value)
    assert git(repo, "status", "--porcelain") == "" and not (repo / "web").exists()


def test_answers_naming_a_folder_outside_are_refused_before_anything_is_made(tmp_path):
    """A pull request's `apps_dir: ../escaped/deep`: nothing is made or moved outside."""
    from flux_cookbook.extensions.repo_files import OutsideRepository

    repo = make_repo(tmp_path, {**TREE, ".copier-answers.app-web.yml": APP_ANSWERS + "apps_dir: ../escaped/deep\n"})
    with pytest.raises(OutsideRepository, match="outside the repository"):
        apps_folder.before(repo, ".copier-answers.app-web.yml")
    assert not (tmp_path / "escaped").exists()
    assert git(repo, "status", "--porcelain") == ""
