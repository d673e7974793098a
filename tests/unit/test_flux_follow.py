"""flux_build.follow: what Flux applies from a repository, reached as Flux reaches it."""

from flux_cookbook.repository.flux_build import PATH_NOT_FOUND, BuildMemory, follow
from tests.support.build_repos import CM, GOTK_SYNC, git_repo
from tests.support.flux_objects import flux_ks


def _sync(path: str, source: str = "flux-system") -> str:
    return GOTK_SYNC.replace("{path}", path).replace("name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m0s",
                                                     f"name: {source}\n  namespace: flux-system\nspec:\n  interval: 1m0s") \
        .replace("    name: flux-system\n", f"    name: {source}\n")


def names(followed) -> list[tuple[str, str]]:
    return [(k.name, k.path) for k in followed.kustomizations]


def test_nested_kustomizations_of_any_git_repository_name_are_followed(tmp_path):
    repo = git_repo(tmp_path, {
        "clusters/home/flux-system/gotk-sync.yaml": _sync("./clusters/home", source="home-ops"),
        "clusters/home/apps.yaml": flux_ks("apps", "./apps", source="home-ops"),
        "apps/kustomization.yaml": "resources: [podinfo/ks.yaml]\n",
        "apps/podinfo/ks.yaml": flux_ks("podinfo", "./apps/podinfo/app", source="home-ops"),
        "apps/podinfo/app/cm.yaml": CM.format(name="podinfo"),
        # Never reached: kept aside, and not built.
        "paused/old.yaml": flux_ks("old", "./gone", source="home-ops"),
    })
    followed = follow(repo)
    assert names(followed) == [("flux-system", "clusters/home"), ("apps", "apps"), ("podinfo", "apps/podinfo/app")]
    assert all(result.ok for result in followed.results)
    assert followed.kustomizations[2].file == "apps/podinfo/ks.yaml"  # where the built object comes from
    assert followed.not_followed == ()


def test_each_cluster_folder_is_a_cluster_of_its_own(tmp_path):
    repo = git_repo(tmp_path, {
        "clusters/a/flux-system/gotk-sync.yaml": _sync("./clusters/a"),
        "clusters/b/flux-system/gotk-sync.yaml": _sync("./clusters/b"),
        "clusters/b/apps.yaml": flux_ks("apps", "./apps"),
        "apps/cm.yaml": CM.format(name="x"),
    })
    followed = follow(repo)
    assert names(followed) == [("flux-system", "clusters/a"), ("flux-system", "clusters/b"), ("apps", "apps")]
    assert sorted(set(followed.clusters.values())) == ["clusters/a", "clusters/b"]


def test_other_sources_are_named_once_and_not_followed(tmp_path):
    oci = flux_ks("infra", "./", source="x").replace("kind: GitRepository\n    name: x", "kind: OCIRepository\n    name: infra")
    repo = git_repo(tmp_path, {
        "cluster/flux-system/gotk-sync.yaml": _sync("./cluster"),
        "cluster/infra.yaml": oci,
        "cluster/infra-again.yaml": oci.replace("name: infra\n  namespace", "name: infra2\n  namespace"),
        "cluster/other.yaml": flux_ks("other", "./elsewhere", source="another-repository"),
    })
    followed = follow(repo)
    assert names(followed) == [("flux-system", "cluster")]
    assert sorted(s.label() for s in followed.not_followed) == [
        "GitRepository flux-system/another-repository", "OCIRepository flux-system/infra"]


def test_a_patch_of_the_parent_shapes_what_is_followed(tmp_path):
    patch = ("  patches:\n    - patch: |\n        - op: replace\n          path: /spec/path\n          value: ./apps/real\n"
             "      target:\n        kind: Kustomization\n        name: apps\n")
    repo = git_repo(tmp_path, {
        "cluster/flux-system/gotk-sync.yaml": _sync("./cluster"),
        "cluster/flux-system/kustomization.yaml": "resources: [gotk-sync.yaml, ../../launch]\n",
        "launch/apps.yaml": flux_ks("apps", "./apps/wrong"),
        "launch/kustomization.yaml": "resources: [apps.yaml]\n" + patch.replace("  patches", "patches").replace("\n  ", "\n"),
        "apps/real/cm.yaml": CM.format(name="x"),
    })
    assert names(follow(repo)) == [("flux-system", "cluster"), ("apps", "apps/real")]


def test_builds_are_reused_only_for_folders_that_read_nothing_else(tmp_path):
    repo = git_repo(tmp_path, {
        "cluster/flux-system/gotk-sync.yaml": _sync("./cluster"),
        "cluster/own.yaml": flux_ks("own", "./own"),
        "cluster/overlay.yaml": flux_ks("overlay", "./overlay"),
        "own/cm.yaml": CM.format(name="own"),
        "overlay/kustomization.yaml": "resources: [../base]\n",
        "base/cm.yaml": CM.format(name="base"),
    })
    reuse = BuildMemory()
    first = {r.kustomization.name: r.output for r in follow(repo, reuse=reuse).results}
    assert len(reuse) == 2  # the bootstrap folder and own/; overlay/ reads base/
    # What is remembered is what building again gives, and a changed folder is built again.
    (repo / "own/cm.yaml").write_text(CM.format(name="changed"))
    again = {r.kustomization.name: r.output for r in follow(repo, reuse=reuse).results}
    assert again["flux-system"] == first["flux-system"]
    assert "changed" in again["own"] and again["overlay"] == first["overlay"]
    assert again == {r.kustomization.name: r.output for r in follow(repo, reuse=BuildMemory()).results}


def test_a_folder_whose_kustomization_may_name_another_is_never_remembered(tmp_path):
    # ../base spelt with YAML escapes, and the parent named bare: either may read outside.
    for index, entry in enumerate(['"\\x2e\\x2e/base"', "..", "'/abs'"]):
        (tmp_path / str(index)).mkdir()
        repo = git_repo(tmp_path / str(index), {
            "cluster/flux-system/gotk-sync.yaml": _sync("./cluster"),
            "cluster/x.yaml": flux_ks("x", "./apps/x"),
            "apps/base/cm.yaml": CM.format(name="base"),
            "apps/x/kustomization.yaml": f"resources:\n- {entry}\n",
        })
        reuse = BuildMemory()
        follow(repo, reuse=reuse)
        assert len(reuse) == 1, entry  # the bootstrap folder alone


def test_the_memory_of_builds_keeps_the_newest_within_its_budget_and_no_stopped_build():
    memory = BuildMemory(budget=10)
    memory.put(("a",), (True, "", "12345"))
    memory.put(("b",), (True, "", "12345"))
    assert memory.get(("a",)) == (True, "", "12345") and len(memory) == 2
    memory.put(("c",), (True, "", "123"))  # over budget: b goes, the one least recently used
    assert memory.get(("b",)) is None and memory.get(("a",)) and memory.get(("c",))
    memory.put(("d",), (False, "x" * 11, ""))  # larger than the whole budget
    memory.put(("g",), (True, "", "é" * 6))  # six characters, twelve bytes: larger too
    memory.put(("e",), (False, "kustomize build stopped: over its limit of 120s of CPU", ""))
    memory.put(("f",), (False, "kustomize build did not finish within 120s", ""))
    assert [memory.get((key,)) for key in "defg"] == [None, None, None, None] and len(memory) == 2


def test_a_root_sync_reaches_the_answers_bootstrap_folder_no_second_cluster_to_come(tmp_path):
    """flux bootstrap without --path syncs the root, which holds the bootstrap folder the
    answers record (an adopted Geek Cookbook repository): one cluster, not a second one
    made up for a `flux bootstrap --path` still to come."""
    repo = git_repo(tmp_path, {
        ".copier-answers.yml": "bootstrap_dir: flux-system\nkind: cluster\n",
        "flux-system/gotk-sync.yaml": _sync("./"),
        "flux-system/kustomization.yaml": "resources: [gotk-sync.yaml]\n",
        "flux-system/kustomizations/kustomization-app.yaml": flux_ks("app", "./app"),
        "app/cm.yaml": CM.format(name="app"),
    })
    followed = follow(repo)
    assert names(followed) == [("flux-system", ""), ("app", "app")]
    assert sorted(set(followed.clusters.values())) == [""]


POST_BUILD = "  postBuild:\n    substitute:\n      CLUSTER: home\n"


def test_a_child_is_followed_as_its_parents_postbuild_substitutes_it(tmp_path):
    """kustomize-controller substitutes the parent's postBuild variables in every object the
    parent's build holds, the Kustomizations in it too, before they are applied."""
    repo = git_repo(tmp_path, {
        "cluster/flux-system/gotk-sync.yaml": _sync("./cluster"),
        "cluster/clusters.yaml": flux_ks("clusters", "./clusters", extra=POST_BUILD),
        "clusters/apps.yaml": flux_ks("apps-${CLUSTER}", "./apps/${CLUSTER}"),
        "clusters/defaulted.yaml": flux_ks("defaulted", "./apps/${ZONE:=home}"),
        "apps/home/cm.yaml": CM.format(name="x"),
    })
    for build in (True, False):
        followed = follow(repo, build=build)
        assert names(followed)[2:] == [("apps-home", "apps/home"), ("defaulted", "apps/home")], build
        assert all(result.ok for result in followed.results)
        assert followed.kustomizations[2].file == "clusters/apps.yaml"
        assert followed.not_followed == ()


def test_a_child_path_wrong_once_substituted_is_still_not_found(tmp_path):
    """Substituted to a folder that is not there; not substituted at all where the parent has
    no postBuild, or the child opts out: the path as written, not there either."""
    repo = git_repo(tmp_path, {
        "cluster/flux-system/gotk-sync.yaml": _sync("./cluster"),
        "cluster/clusters.yaml": flux_ks("clusters", "./clusters", extra=POST_BUILD.replace("home", "away")),
        "cluster/plain.yaml": flux_ks("plain", "./plain"),
        "clusters/apps.yaml": flux_ks("apps", "./apps/${CLUSTER}"),
        "clusters/kept.yaml": flux_ks("kept", "./apps/${CLUSTER}").replace(
            "namespace: flux-system\n", "namespace: flux-system\n  annotations:\n"
                                        "    kustomize.toolkit.fluxcd.io/substitute: disabled\n", 1),
        "plain/apps.yaml": flux_ks("plain-apps", "./apps/${CLUSTER}"),
        "apps/home/cm.yaml": CM.format(name="x"),
    })
    failed = {(r.kustomization.name, r.kustomization.path, r.error) for r in follow(repo).results if not r.ok}
    assert failed == {("apps", "apps/away", PATH_NOT_FOUND), ("kept", "apps/${CLUSTER}", PATH_NOT_FOUND),
                      ("plain-apps", "apps/${CLUSTER}", PATH_NOT_FOUND)}


def test_check_json_says_why_a_kustomization_is_not_followed(tmp_path, capsys):
    import json

    from flux_cookbook.cli import main

    substitute_from = "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: vars\n"
    repo = git_repo(tmp_path, {
        "cluster/flux-system/gotk-sync.yaml": _sync("./cluster"),
        "cluster/from-cluster.yaml": flux_ks("from-cluster", "./from-cluster", extra=substitute_from),
        "from-cluster/apps.yaml": flux_ks("zoned", "./apps/${ZONE}"),
    })
    main(["check", str(repo), "--format", "json", "--no-build"])
    [entry] = json.loads(capsys.readouterr().out)["not_followed"]
    assert (entry["kind"], entry["name"]) == ("Kustomization", "zoned") and "known on the cluster only" in entry["why"]


def test_a_child_whose_path_only_the_cluster_knows_is_named_not_followed(tmp_path):
    """A value substituteFrom reads on the cluster (it may set ZONE, or be absent and leave the
    default unsubstituted): the child's path is not known offline."""
    substitute_from = "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: vars\n        optional: true\n"
    repo = git_repo(tmp_path, {
        "cluster/flux-system/gotk-sync.yaml": _sync("./cluster"),
        "cluster/from-cluster.yaml": flux_ks("from-cluster", "./from-cluster", extra=substitute_from),
        "cluster/inline.yaml": flux_ks("inline", "./inline", extra=POST_BUILD),
        "from-cluster/apps.yaml": flux_ks("zoned", "./apps/${ZONE:=home}"),
        "inline/apps.yaml": flux_ks("unset", "./apps/${ZONE}"),
        "apps/home/cm.yaml": CM.format(name="x"),
    })
    followed = follow(repo)
    assert all(result.ok for result in followed.results)
    # With no value and no default, kustomize-controller makes it empty (strict substitution
    # is off unless turned on): `./apps/`, followed.
    assert "apps" in [result.kustomization.path for result in followed.results if result.kustomization.name == "unset"]
    assert sorted((s.label(), s.kustomization.file, s.why) for s in followed.not_followed) == [
        ("Kustomization flux-system/zoned", "from-cluster/apps.yaml",
         "its spec.path ./apps/${ZONE:=home} holds variables the postBuild of Kustomization flux-system/from-cluster "
         "fills in with values known on the cluster only")]
