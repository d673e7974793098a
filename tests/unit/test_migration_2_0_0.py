"""The 2.0.0 migration step on small repositories built for each case."""

from __future__ import annotations

from pathlib import Path

import pytest

from flux_cookbook.extensions.migrations import v2_0_0
from flux_cookbook.extensions.migrations.git_repo import MigrationAbort, git
from tests.support.flux_objects import flux_ks, git_repository, image_update_automation
from tests.support.flux_schema import kustomize_build
from tests.support.project import commit_all, repo_with


def make_repo(tmp_path: Path, tree: dict[str, str], gitignore: str = "") -> Path:
    return repo_with(tmp_path / "repo", {**tree, **({".gitignore": gitignore} if gitignore else {})})


KUSTOMIZATION_V1BETA1 = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1beta1 # old
kind: Kustomization
metadata:
  name: app
  namespace: flux-system
spec:
  interval: 15m
  path: app
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  validation: server
"""
ANSWERS = "_commit: v1.0.0\nbootstrap_dir: flux-system\nkind: cluster\n"


def snapshot(repo: Path) -> dict[str, str]:
    return {str(p.relative_to(repo)): p.read_text() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}


def test_moves_rewrites_and_stages(tmp_path):
    repo = make_repo(tmp_path, {
        ".copier-answers.yml": ANSWERS,
        ".copier-answers.app-app.yml": "bootstrap_dir: flux-system\nkind: app\n",
        "flux-system/kustomizations/kustomization-app.yaml": KUSTOMIZATION_V1BETA1,
        "flux-system/namespaces/mine.txt": "notes\n",
        "app/helmrelease-app.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2beta2\nkind: HelmRelease\nmetadata:\n  name: app\n",
    })
    v2_0_0.before(repo)
    moved = (repo / "bootstrap/kustomizations/kustomization-app.yaml").read_text()
    assert moved.startswith("apiVersion: kustomize.toolkit.fluxcd.io/v1 # old\n") and "validation" not in moved
    assert (repo / "bootstrap/namespaces/mine.txt").read_text() == "notes\n"
    assert "helm.toolkit.fluxcd.io/v2\n" in (repo / "app/helmrelease-app.yaml").read_text()
    assert "bootstrap_dir: bootstrap\n" in (repo / ".copier-answers.app-app.yml").read_text()
    # Staged, because copier snapshots the index after before-migrations.
    assert git(repo, "diff", "--name-only") == ""
    assert "R  flux-system/namespaces/mine.txt -> bootstrap/namespaces/mine.txt" in git(repo, "status", "--porcelain")


def test_a_readme_saved_in_crlf_is_repointed_in_crlf(tmp_path):
    readme = "# Our cluster\r\n\r\nflux bootstrap github --path=flux-system\r\nNotes.\r\n"
    repo = make_repo(tmp_path, {".copier-answers.yml": ANSWERS, "flux-system/namespaces/mine.txt": "notes\n",
                                "README.md": readme})
    v2_0_0.before(repo)
    assert (repo / "README.md").read_bytes().decode() == readme.replace("--path=flux-system", "--path=bootstrap")


def test_a_linked_readme_stays_a_link_and_its_file_is_repointed(tmp_path):
    readme = "# Our cluster\n\nflux bootstrap github --path=flux-system\n"
    repo = make_repo(tmp_path, {".copier-answers.yml": ANSWERS, "flux-system/namespaces/mine.txt": "notes\n",
                                "docs/cluster.md": readme})
    (repo / "README.md").symlink_to("docs/cluster.md")
    commit_all(repo, "README")
    v2_0_0.before(repo)
    assert (repo / "README.md").is_symlink() and str((repo / "README.md").readlink()) == "docs/cluster.md"
    assert (repo / "docs/cluster.md").read_text() == readme.replace("--path=flux-system", "--path=bootstrap")
    assert git(repo, "diff", "--name-only") == ""  # staged, as every write of the step


def test_second_run_plans_nothing(tmp_path):
    repo = make_repo(tmp_path, {".copier-answers.yml": ANSWERS,
                                "flux-system/kustomizations/kustomization-app.yaml": KUSTOMIZATION_V1BETA1})
    v2_0_0.before(repo)
    v2_0_0.after(repo)
    git(repo, "-c", "user.name=u", "-c", "user.email=u@x", "commit", "-q", "-m", "migrated")
    plan = v2_0_0.make_plan(repo)
    assert (plan.moves, plan.writes) == ([], {})


def test_kustomization_files_naming_the_old_folder_name_the_new_one(tmp_path):
    """A root kustomization.yaml applying the bootstrap folder (Flux's sync applies ./), and
    the folder's own listing Flux's files beside its folders: each entry follows the move."""
    root = "resources:\n  - flux-system # the cluster's own\n  - ./flux-system/namespaces/ns.yaml\n  - apps\n"
    own = "resources:\n- gotk-components.yaml\n- gotk-sync.yaml\n- namespaces\n"
    repo = make_repo(tmp_path, {".copier-answers.yml": ANSWERS, "kustomization.yaml": root,
                                "flux-system/kustomization.yaml": own, "flux-system/gotk-components.yaml": "a: 1\n",
                                "flux-system/gotk-sync.yaml": "a: 1\n", "flux-system/namespaces/ns.yaml": "a: 1\n"})
    v2_0_0.before(repo)
    assert (repo / "kustomization.yaml").read_text() == root.replace("flux-system", "bootstrap")
    assert (repo / "bootstrap/kustomization.yaml").read_text() == own.replace("- gotk", "- flux-system/gotk")


def test_a_custom_bootstrap_folder_stays(tmp_path):
    repo = make_repo(tmp_path, {".copier-answers.yml": ANSWERS.replace("flux-system", "clusters"),
                                "clusters/kustomizations/kustomization-app.yaml": KUSTOMIZATION_V1BETA1})
    plan = v2_0_0.make_plan(repo)
    assert plan.moves == [] and list(plan.writes) == ["clusters/kustomizations/kustomization-app.yaml"]


def test_ignored_files_move_along(tmp_path):
    repo = make_repo(tmp_path, {".copier-answers.yml": ANSWERS, "flux-system/namespaces/ns.yaml": "a: 1\n"},
                     gitignore="*.secret.yaml\n")
    (repo / "flux-system/namespaces/db.secret.yaml").write_text("kind: Secret\n")
    v2_0_0.before(repo)
    assert (repo / "bootstrap/namespaces/db.secret.yaml").read_text() == "kind: Secret\n"


@pytest.mark.parametrize("tree, message", [
    ({"flux-system/namespaces/a.yaml": "a: 1\n", "bootstrap/namespaces/a.yaml": "b: 2\n"},
     r"moves to bootstrap/, which holds files of its own \(bootstrap/namespaces/a.yaml\)"),
    ({"flux-system/namespaces/a.yaml": "a: 1\n", "bootstrap/deploy.sh": "#!/bin/sh\n"},
     r"which holds files of its own \(bootstrap/deploy.sh\). Rename bootstrap/ or move them out"),
    ({"flux-system/kustomizations/k.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1beta2\nkind: Kustomization\nmetadata: {name: x\n"},
     r"flux-system/kustomizations/k.yaml: line 3: a Flux object that is not valid YAML"),
    ({"flux-system/namespaces/a.yaml": "a: 1\n", "kustomization.yaml": "resources: [\n  flux-system,\n]\n"},
     r"kustomization.yaml: names flux-system/ \(moving to bootstrap/\) in a way this step cannot rewrite"),
    ({"flux-system/kustomization.yaml": "resources: [\n  gotk-components.yaml,\n  gotk-sync.yaml,\n  namespaces,\n]\n",
      "flux-system/gotk-components.yaml": "a: 1\n", "flux-system/gotk-sync.yaml": "a: 1\n", "flux-system/namespaces/a.yaml": "a: 1\n"},
     r"flux-system/kustomization.yaml: lists gotk-components.yaml, gotk-sync.yaml in a way this step cannot rewrite"),
])
def test_refusals_change_nothing(tmp_path, tree, message):
    repo = make_repo(tmp_path, {".copier-answers.yml": ANSWERS, **tree})
    before = snapshot(repo), git(repo, "status", "--porcelain")
    with pytest.raises(MigrationAbort, match=message):
        v2_0_0.before(repo)
    assert (snapshot(repo), git(repo, "status", "--porcelain")) == before


def test_dirty_repository_is_refused(tmp_path):
    repo = make_repo(tmp_path, {".copier-answers.yml": ANSWERS, "flux-system/namespaces/a.yaml": "a: 1\n"})
    (repo / "flux-system/namespaces/a.yaml").write_text("a: 2\n")
    with pytest.raises(MigrationAbort, match="uncommitted changes"):
        v2_0_0.before(repo)
    assert (repo / "flux-system/namespaces/a.yaml").read_text() == "a: 2\n"


def test_after_puts_back_a_conflicted_or_deleted_moved_file(tmp_path):
    repo = make_repo(tmp_path, {".copier-answers.yml": ANSWERS,
                                "flux-system/kustomizations/kustomization-app.yaml": KUSTOMIZATION_V1BETA1,
                                "flux-system/namespaces/namespace-app.yaml": "kind: Namespace\n",
                                "flux-system/namespaces/untouched.yaml": "kind: Namespace\n"})
    v2_0_0.before(repo)
    migrated = (repo / "bootstrap/kustomizations/kustomization-app.yaml").read_text()
    # What copier's merge with an empty base leaves behind.
    (repo / "bootstrap/kustomizations/kustomization-app.yaml").write_text(
        "<<<<<<< before updating\n" + migrated + "=======\nother\n>>>>>>> after updating\n")
    (repo / "bootstrap/namespaces/namespace-app.yaml").unlink()
    (repo / "bootstrap/namespaces/untouched.yaml").write_text("kind: Namespace # merged cleanly\n")
    v2_0_0.after(repo)
    assert (repo / "bootstrap/kustomizations/kustomization-app.yaml").read_text() == migrated
    assert (repo / "bootstrap/namespaces/namespace-app.yaml").read_text() == "kind: Namespace\n"
    assert (repo / "bootstrap/namespaces/untouched.yaml").read_text() == "kind: Namespace # merged cleanly\n"
    assert not (repo / "flux-system").exists()


@pytest.mark.parametrize("line, expected", [
    ("  path: ./flux-system", "  path: ./bootstrap"),
    ("  path: flux-system", "  path: bootstrap"),
    ('  path: "./flux-system/"  # synced', '  path: "./bootstrap"  # synced'),
    ("  path: ./apps", "  path: ./apps"),
])
def test_flux_own_kustomization_is_repointed(line, expected):
    text = f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\nspec:\n{line}\n"
    own = text + "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
    assert v2_0_0._repoint_into_moved_folder(own).splitlines()[-4] == expected
    # Another repository's folder of that name does not move, in a file of both too.
    other = text + "  sourceRef:\n    kind: GitRepository\n    name: platform-team\n"
    assert v2_0_0._repoint_into_moved_folder(other) == other
    both = v2_0_0._repoint_into_moved_folder(f"{other}---\n{own}")
    assert both.startswith(other) and both.split("---\n")[1].splitlines()[-4] == expected


def test_other_kinds_with_a_path_are_left_alone():
    text = "kind: Something\nspec:\n  path: ./flux-system\n"
    assert v2_0_0._repoint_into_moved_folder(text) == text


# flux bootstrap's own sync, its GitRepository letting only two folders through.
SYNC_WITH_IGNORE = git_repository(extra="  ignore: |\n    /*\n    !/flux-system/\n    !/podinfo/\n") + "---\n" + \
    flux_ks("flux-system", "./flux-system")


def test_every_path_flux_follows_into_the_moved_folder_follows_it(tmp_path, capsys):
    """Not only flux bootstrap's own sync: another cluster's Kustomization applying a folder
    in it, an ImageUpdateAutomation writing there, and the ignore lists that let it through
    (a GitRepository's, .sourceignore) name the new folder; a path elsewhere stays."""
    repo = make_repo(tmp_path, {
        ".copier-answers.yml": ANSWERS,
        ".sourceignore": "/flux-system/notes/\n*.md\n",
        "flux-system/flux-system/gotk-sync.yaml": SYNC_WITH_IGNORE,
        "flux-system/image-automation/podinfo.yaml": image_update_automation(
            "./flux-system # the markers are in the Kustomizations", "v1beta2").replace("    kind: GitRepository\n", "", 1),
        "clusters/staging/shared.yaml": flux_ks("shared", '"./flux-system/helmrepositories/" # one list'),
        "clusters/staging/apps.yaml": flux_ks("apps", "./flux-systems/apps"),
    })
    v2_0_0.before(repo)
    sync = (repo / "bootstrap/flux-system/gotk-sync.yaml").read_text()
    assert "    !/bootstrap/\n    !/podinfo/\n" in sync and "  path: ./bootstrap\n" in sync
    assert "    path: ./bootstrap # the markers are in the Kustomizations\n" in \
        (repo / "bootstrap/image-automation/podinfo.yaml").read_text()
    assert '  path: "./bootstrap/helmrepositories" # one list\n' in (repo / "clusters/staging/shared.yaml").read_text()
    assert "  path: ./flux-systems/apps\n" in (repo / "clusters/staging/apps.yaml").read_text()
    assert (repo / ".sourceignore").read_text() == "/bootstrap/notes/\n*.md\n"
    assert git(repo, "diff", "--name-only") == ""  # staged


def test_a_sourceignore_that_is_no_text_is_left_as_it_is_with_a_note(tmp_path, capsys):
    repo = make_repo(tmp_path, {".copier-answers.yml": ANSWERS, "flux-system/namespaces/mine.txt": "notes\n"})
    (repo / ".sourceignore").write_bytes("# caf\xe9\n/flux-system/notes/\n".encode("latin-1"))
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "latin-1")
    v2_0_0.before(repo)
    assert ".sourceignore: cannot be read as text; left as it is" in capsys.readouterr().out
    assert (repo / ".sourceignore").read_bytes() == "# caf\xe9\n/flux-system/notes/\n".encode("latin-1")
    assert (repo / "bootstrap/namespaces/mine.txt").is_file()


GOTK_COMPONENTS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n"


def gotk_sync(path: str) -> str:
    return (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1beta2\nkind: Kustomization\nmetadata:\n  name: flux-system\n"
        f"  namespace: flux-system\nspec:\n  interval: 10m0s\n  path: {path}\n  prune: true\n"
        "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
    )


def test_a_namespace_file_flux_bootstrap_declares_too_goes(tmp_path, capsys):
    repo = make_repo(tmp_path, {
        ".copier-answers.yml": ANSWERS,
        "flux-system/flux-system/gotk-components.yaml": GOTK_COMPONENTS,
        "flux-system/namespaces/namespace-flux-system.yaml": GOTK_COMPONENTS,
        "flux-system/namespaces/namespace-web.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n",
    })
    v2_0_0.before(repo)
    assert not (repo / "bootstrap/namespaces/namespace-flux-system.yaml").exists()
    assert (repo / "bootstrap/namespaces/namespace-web.yaml").exists()
    assert (repo / "bootstrap/flux-system/gotk-components.yaml").read_text() == GOTK_COMPONENTS
    assert "removed bootstrap/namespaces/namespace-flux-system.yaml: Namespace 'flux-system' is declared in " \
           "bootstrap/flux-system/gotk-components.yaml too" in capsys.readouterr().out
    v2_0_0.after(repo)
    assert not (repo / "bootstrap/namespaces/namespace-flux-system.yaml").exists()


def flux_own_files_beside_the_cookbooks(tmp_path: Path, listing: str) -> Path:
    """flux bootstrap's files written straight into flux-system/ (no --path), beside the
    cookbook's folders, all listed by the folder's kustomization.yaml (`listing`)."""
    repo = make_repo(tmp_path, {
        ".copier-answers.yml": ANSWERS,
        "flux-system/gotk-components.yaml": GOTK_COMPONENTS,
        "flux-system/gotk-sync.yaml": gotk_sync("./"),
        "flux-system/kustomization.yaml": listing,
        "flux-system/namespaces/namespace-web.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n",
    })
    return repo


def test_flux_own_files_beside_the_cookbook_folders_go_into_flux_system(tmp_path, capsys):
    listing = ("resources:\n- gotk-components.yaml\n- ./gotk-sync.yaml # flux's\n"
               "- namespaces/namespace-web.yaml\n")
    repo = flux_own_files_beside_the_cookbooks(tmp_path, listing)
    v2_0_0.before(repo)
    assert (repo / "bootstrap/flux-system/gotk-components.yaml").is_file()
    assert "path: ./\n" in (repo / "bootstrap/flux-system/gotk-sync.yaml").read_text()  # the root, still
    assert (repo / "bootstrap/kustomization.yaml").read_text() == (
        "resources:\n- flux-system/gotk-components.yaml\n- ./flux-system/gotk-sync.yaml # flux's\n"
        "- namespaces/namespace-web.yaml\n")
    v2_0_0.after(repo)
    out = capsys.readouterr().out
    assert "Flux's sync applies the repository's root (path: ./)" in out and "nothing to re-run" in out


@pytest.mark.parametrize("listing, repointed", [
    ("resources: [gotk-components.yaml, ./gotk-sync.yaml, namespaces/namespace-web.yaml]  # flux's and ours\n",
     "resources: [flux-system/gotk-components.yaml, ./flux-system/gotk-sync.yaml, namespaces/namespace-web.yaml]  # flux's and ours\n"),
    ('resources:\r\n  - "gotk-components.yaml"\r\n  - gotk-sync.yaml\r\n  - namespaces/namespace-web.yaml\r\n',
     'resources:\r\n  - "flux-system/gotk-components.yaml"\r\n  - flux-system/gotk-sync.yaml\r\n  - namespaces/namespace-web.yaml\r\n'),
])
def test_flux_own_files_listed_in_a_flow_list_or_quoted_are_repointed(tmp_path, listing, repointed):
    repo = flux_own_files_beside_the_cookbooks(tmp_path, listing)
    v2_0_0.before(repo)
    assert (repo / "bootstrap/kustomization.yaml").read_bytes().decode() == repointed
    # The folder builds, with Flux's own objects and the cookbook's.
    built = kustomize_build(repo / "bootstrap")
    assert "kind: Kustomization" in built and "name: web" in built and "name: flux-system" in built


def test_flux_own_kustomization_listing_only_its_files_goes_along(tmp_path, capsys):
    repo = make_repo(tmp_path, {
        ".copier-answers.yml": ANSWERS,
        "flux-system/gotk-components.yaml": GOTK_COMPONENTS,
        "flux-system/gotk-sync.yaml": gotk_sync("./flux-system"),
        "flux-system/kustomization.yaml": "resources:\n- gotk-components.yaml\n- gotk-sync.yaml\n",
    })
    v2_0_0.before(repo)
    assert sorted(p.name for p in (repo / "bootstrap/flux-system").iterdir()) == [
        "gotk-components.yaml", "gotk-sync.yaml", "kustomization.yaml"]
    assert "path: ./bootstrap\n" in (repo / "bootstrap/flux-system/gotk-sync.yaml").read_text()
    v2_0_0.after(repo)
    assert 'patch kustomization flux-system' in capsys.readouterr().out  # the sync path changed: say how


def test_files_that_are_no_flux_objects_and_do_not_parse_are_left_alone(tmp_path, capsys):
    odd = {
        "charts/hello/templates/cm.yaml": "metadata:\n  name: {{ .Release.Name }}\n  labels: {{- include \"x\" . }}\n",
        "docs/values.yaml": "a: 1\na: 2\n",
    }
    repo = make_repo(tmp_path, {".copier-answers.yml": ANSWERS, "flux-system/k.yaml": KUSTOMIZATION_V1BETA1, **odd})
    v2_0_0.before(repo)
    assert {name: (repo / name).read_text() for name in odd} == odd
    out = capsys.readouterr().out
    assert "docs/values.yaml: line 2: a document that is not valid YAML" in out and "left as it is" in out


def test_documents_that_are_no_mapping_are_left_alone(tmp_path):
    """A trailing `---` (an empty document) and a file of JSON 6902 operations (a list),
    both common in hand-written repositories, are read past when the bootstrap folder
    moves: the migration crashed on them ("'NoneType' object has no attribute 'get'")."""
    odd = {
        "podinfo/helmrelease-podinfo.yaml": "kind: HelmRelease\nmetadata:\n  name: podinfo\n---\n",
        "podinfo/json-patch.yaml": "- op: add\n  path: /spec/maxHistory\n  value: 3\n",
        "podinfo/replicas.yaml": "3\n",
    }
    repo = make_repo(tmp_path, {".copier-answers.yml": ANSWERS, "flux-system/flux-system/gotk-sync.yaml": SYNC_WITH_IGNORE, **odd})
    v2_0_0.before(repo)
    assert {name: (repo / name).read_text() for name in odd} == odd
    assert "    !/bootstrap/\n" in (repo / "bootstrap/flux-system/gotk-sync.yaml").read_text()
