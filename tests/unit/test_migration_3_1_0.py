"""The 3.1.0 migration step on small repositories built for each case."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flux_cookbook.extensions.migrations import v3_1_0
from flux_cookbook.extensions.migrations.git_repo import MigrationAbort, git
from tests.support.project import commit_all, repo_with, tree_state

GUESS = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "shop"}]
ON_RELEASE = [{"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "name": "web", "namespace": "shop"}]
CLUSTER = "_commit: v3.0.1\nbootstrap_dir: bootstrap\nsealed_secrets: false\n"
RELEASE = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\n  namespace: shop\n"


def kustomization(checks_block: str) -> str:
    return ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: web\n"
            "  namespace: flux-system\nspec:\n  interval: 15m\n  path: web\n  prune: true\n" + checks_block)


GUESS_BLOCK = ("  healthChecks:\n    - apiVersion: apps/v1\n      kind: Deployment\n      name: web\n"
               "      namespace: shop\n")


def app_repo(tmp_path: Path, checks: list, block: str, **files: str) -> Path:
    answers = yaml.safe_dump({"_commit": "v3.0.1", "bootstrap_dir": "bootstrap", "app_name": "web", "namespace": "shop",
                              "chart": "web", "release_name": "web", "health_checks": checks}, sort_keys=False)
    return repo_with(tmp_path / "repo", {
        ".copier-answers.yml": CLUSTER, ".copier-answers.app-web.yml": answers,
        "bootstrap/kustomizations/kustomization-web.yaml": kustomization(block), "web/helmrelease-web.yaml": RELEASE,
        **files,
    })


def staged(repo: Path) -> list[str]:
    return git(repo, "diff", "--cached", "--name-only").split()


def test_the_guess_moves_in_both_files_and_is_staged(tmp_path, capsys):
    repo = app_repo(tmp_path, GUESS, GUESS_BLOCK)
    v3_1_0.before(repo)
    assert yaml.safe_load((repo / ".copier-answers.app-web.yml").read_text())["health_checks"] == ON_RELEASE
    text = (repo / "bootstrap/kustomizations/kustomization-web.yaml").read_text()
    assert yaml.safe_load(text)["spec"]["healthChecks"] == ON_RELEASE
    assert text.startswith(kustomization("")) and "# " not in text
    assert sorted(staged(repo)) == [".copier-answers.app-web.yml", "bootstrap/kustomizations/kustomization-web.yaml"]
    assert "app web: health check now its HelmRelease (was Deployment web, a guess)" in capsys.readouterr().out
    # Idempotent: nothing more to do.
    git(repo, "commit", "-qm", "migrated")
    state = tree_state(repo)
    v3_1_0.before(repo)
    assert tree_state(repo) == state



def test_the_guess_on_the_files_last_line_without_a_line_end_moves_too(tmp_path, capsys):
    """An editor that saves no final newline: the guess is the last line of the file."""
    repo = app_repo(tmp_path, GUESS, GUESS_BLOCK.removesuffix("\n"))
    v3_1_0.before(repo)
    text = (repo / "bootstrap/kustomizations/kustomization-web.yaml").read_text()
    assert yaml.safe_load(text)["spec"]["healthChecks"] == ON_RELEASE and not text.endswith("\n")
    assert "app web: health check now its HelmRelease (was Deployment web, a guess)" in capsys.readouterr().out

@pytest.mark.parametrize(("checks", "block"), [
    (GUESS, GUESS_BLOCK.replace("name: web\n", "name: web # the chart's\n")),  # a comment of the user's
    (GUESS, GUESS_BLOCK + "    - apiVersion: v1\n      kind: Service\n      name: web\n      namespace: shop\n"),
    ([{**GUESS[0], "kind": "StatefulSet"}], GUESS_BLOCK.replace("Deployment", "StatefulSet")),
    ([], ""),
])
def test_anything_but_the_exact_guess_stands(tmp_path, checks, block):
    repo = app_repo(tmp_path, checks, block)
    state = tree_state(repo)
    v3_1_0.before(repo)
    assert tree_state(repo) == state


def test_sealed_secrets_is_recorded_false_without_the_controller(tmp_path):
    repo = repo_with(tmp_path / "repo", {".copier-answers.yml": "_commit: v1.0.0\nbranch: main"})
    v3_1_0.before(repo)
    assert (repo / ".copier-answers.yml").read_text() == "_commit: v1.0.0\nbranch: main\nsealed_secrets: false\n"
    assert staged(repo) == [".copier-answers.yml"]


README_3_0 = ("# c\n\n```\nclusters/home/                flux bootstrap --path points here\n"
              "  kustomizations/             kustomization-<app>.yaml, one per app: points Flux at <app>/\n"
              "<app>/\n  helmrelease-<app>.yaml      the chart\n```\n")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "mixed"])
@pytest.mark.parametrize("apps_dir, expected", [
    ("apps", README_3_0.replace("points Flux at <app>/", "points Flux at apps/<app>/").replace("\n<app>/\n", "\napps/<app>/\n")),
    ("", README_3_0),  # apps at the top: the drawing was right
])
def test_the_readme_draws_the_apps_in_the_apps_folder(tmp_path, apps_dir, expected, newline):
    repo = repo_with(tmp_path / "repo", {".copier-answers.yml": f"sealed_secrets: false\napps_dir: '{apps_dir}'\n"})
    def saved(text: str) -> str:  # CRLF: saved on Windows; mixed: its title line only
        return text.replace("# c\n", "# c\r\n", 1) if newline == "mixed" else text.replace("\n", newline)

    (repo / "README.md").write_bytes(saved(README_3_0).encode())
    commit_all(repo, "README")
    v3_1_0.before(repo)
    assert (repo / "README.md").read_bytes().decode() == saved(expected)
    assert ("README.md" in staged(repo)) == bool(apps_dir)
    v3_1_0.before(repo)  # a second run: nothing more
    assert (repo / "README.md").read_bytes().decode() == saved(expected)


def test_a_linked_readme_stays_a_link_and_its_file_is_redrawn(tmp_path):
    """README.md a link to the user's docs/cluster.md: the drawing is redrawn in that file,
    and README.md stays the link (it was replaced by a file of the same text)."""
    repo = repo_with(tmp_path / "repo", {".copier-answers.yml": "sealed_secrets: false\napps_dir: apps\n",
                                         "docs/cluster.md": README_3_0})
    (repo / "README.md").symlink_to("docs/cluster.md")
    commit_all(repo, "README")
    v3_1_0.before(repo)
    assert (repo / "README.md").is_symlink() and str((repo / "README.md").readlink()) == "docs/cluster.md"
    assert "points Flux at apps/<app>/" in (repo / "docs/cluster.md").read_text()
    assert staged(repo) == ["docs/cluster.md"]


def test_a_readme_linking_out_of_the_repository_is_left_alone(tmp_path):
    """Not followed, not read (the update refuses such a repository before its steps run;
    a step alone leaves it too)."""
    repo = repo_with(tmp_path / "repo", {".copier-answers.yml": "sealed_secrets: false\napps_dir: apps\n"})
    (tmp_path / "elsewhere.md").write_text(README_3_0)
    (repo / "README.md").symlink_to(tmp_path / "elsewhere.md")
    commit_all(repo, "README")
    v3_1_0.before(repo)
    assert (tmp_path / "elsewhere.md").read_text() == README_3_0 and staged(repo) == []


def test_sealed_secrets_stays_true_with_the_controller_app_of_any_name(tmp_path):
    repo = repo_with(tmp_path / "repo", {".copier-answers.yml": "sealed_secrets: true\n",
                                         ".copier-answers.app-kubeseal.yml": "app_name: kubeseal\nchart: sealed-secrets\n"})
    state = tree_state(repo)
    v3_1_0.before(repo)
    assert tree_state(repo) == state


def test_an_unreadable_answers_file_stops_it_and_changes_nothing(tmp_path):
    repo = app_repo(tmp_path, GUESS, GUESS_BLOCK, **{".copier-answers.app-api.yml": "app_name: [api\n"})
    state = tree_state(repo)
    # What an earlier release's step of the same update staged goes too.
    (repo / ".copier-answers.yml").write_text(CLUSTER + "staged: by 3.0.0\n")
    git(repo, "add", ".copier-answers.yml")
    with pytest.raises(MigrationAbort, match="cannot be read"):
        v3_1_0.before(repo)
    assert tree_state(repo) == state


def test_a_stop_in_a_folder_of_a_larger_repository_leaves_the_rest_alone(tmp_path):
    """The cluster in `cluster/` of a larger repository, whose other work is not committed:
    copier allowed that, and the step's stop takes back only what is inside `cluster/`."""
    files = {".copier-answers.yml": CLUSTER, ".copier-answers.app-api.yml": "app_name: [api\n"}
    top = repo_with(tmp_path / "top", {"notes.txt": "notes\n", **{f"cluster/{name}": text for name, text in files.items()}})
    (top / "notes.txt").write_text("notes, not committed yet\n")
    (top / "cluster/.copier-answers.yml").write_text(CLUSTER + "staged: by 3.0.0\n")
    git(top, "add", "cluster/.copier-answers.yml")
    with pytest.raises(MigrationAbort, match="cannot be read"):
        v3_1_0.before(top / "cluster")
    assert git(top, "status", "--porcelain") == " M notes.txt\n"


ON_RELEASE_BLOCK = GUESS_BLOCK.replace("apps/v1", "helm.toolkit.fluxcd.io/v2").replace("Deployment", "HelmRelease")


@pytest.mark.parametrize(("release", "mine", "stepped"), [
    # The step moved the guess on the user's side: the old render as the step leaves it.
    (RELEASE, kustomization(ON_RELEASE_BLOCK), kustomization(ON_RELEASE_BLOCK)),
    # The user's side kept the guess (the step left it as the user's own): the old render stands.
    (RELEASE, kustomization(GUESS_BLOCK), kustomization(GUESS_BLOCK)),
    # A HelmRelease Flux would refuse (metadata no mapping), or one with conflicts: no base of the step's.
    (RELEASE.replace("metadata:\n  name: web\n  namespace: shop\n", "metadata: web\n"), kustomization(ON_RELEASE_BLOCK),
     kustomization(GUESS_BLOCK)),
    ("<<<<<<< before updating\n" + RELEASE, kustomization(ON_RELEASE_BLOCK), kustomization(GUESS_BLOCK)),
])
def test_the_old_render_as_the_step_leaves_it(tmp_path, release, mine, stepped):
    repo = app_repo(tmp_path, GUESS, GUESS_BLOCK, **{"web/helmrelease-web.yaml": release})
    as_stepped = v3_1_0.as_stepped(repo, ".copier-answers.app-web.yml")
    assert as_stepped("bootstrap/kustomizations/kustomization-web.yaml", kustomization(GUESS_BLOCK), mine) == stepped
    assert as_stepped("web/helmrelease-web.yaml", RELEASE, RELEASE) == RELEASE
