"""build_check (what built before must still build) and template_files (a template's files at a release)."""

from __future__ import annotations

import io

import pytest

from flux_cookbook.adopt import adoption
from flux_cookbook.adopt.template_files import TemplateUnreachable, template_files
from flux_cookbook.commands.adopt import adopt
from flux_cookbook.repository import build_check, flux_build
from tests.fixtures import cookbook_shapes
from tests.support.flux_objects import flux_ks
from tests.support.project import commit_all, init_repo, tree_state
from tests.support.template_repo import git
from tests.support.without_kubectl import call_without_kubectl

SYNC_ROOT = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m
  path: ./
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""
NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n"


def write(root, files):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_path_that_no_longer_builds_is_named_with_kustomizes_message(tmp_path):
    repo = init_repo(write(tmp_path, {"flux-system/gotk-sync.yaml": SYNC_ROOT, "flux-system/namespaces/web.yaml": NAMESPACE}))
    before = build_check.build(repo)
    (repo / "flux-system/namespaces/web-again.yaml").write_text(NAMESPACE)
    after = build_check.build(repo)
    broken = build_check.newly_broken(before, after)
    assert len(broken) == 1
    assert broken[0].startswith("./ (the repository root) (Kustomization 'flux-system', flux-system/gotk-sync.yaml): ")
    assert "already registered id" in broken[0]
    assert build_check.newly_broken(after, after) == []  # broken before: not this change's doing


def test_a_folder_moved_with_the_kustomization_applying_it_still_builds(tmp_path):
    """Another cluster's Kustomization applying a folder of the bootstrap folder, both moved
    (the 2.0.0 step): matched by the Kustomization, not called gone."""
    repo = init_repo(write(tmp_path, {"flux-system/gotk-sync.yaml": SYNC_ROOT.replace("path: ./", "path: ./flux-system"),
                                      "flux-system/shared/web.yaml": NAMESPACE,
                                      "clusters/staging/flux-system/gotk-sync.yaml": SYNC_ROOT.replace("path: ./", "path: ./clusters/staging"),
                                      "clusters/staging/shared.yaml": flux_ks("shared", "./flux-system/shared")}))
    before = build_check.build(repo)
    git(repo, "mv", "flux-system", "bootstrap")
    for path in ("bootstrap/gotk-sync.yaml", "clusters/staging/shared.yaml"):
        (repo / path).write_text((repo / path).read_text().replace("./flux-system", "./bootstrap"))
    after = build_check.build(repo)
    assert sorted(r.kustomization.path for r in after.results if r.ok) == ["bootstrap", "bootstrap/shared", "clusters/staging"]
    assert build_check.newly_broken(before, after) == []
    (repo / "bootstrap/shared/web-again.yaml").write_text(NAMESPACE)
    assert [line.split(" (")[0] for line in build_check.newly_broken(before, build_check.build(repo))] == [
        "./bootstrap/shared"]


def test_without_kubectl_the_check_is_skipped_and_says_so(tmp_path):
    repo = init_repo(write(tmp_path / "repo", {"flux-system/gotk-sync.yaml": SYNC_ROOT}))
    result = call_without_kubectl(tmp_path, "flux_cookbook.repository.build_check:build", repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "results=(), skipped='build check skipped: kubectl not found: " in result.stdout, result.stdout
    skipped = build_check.Builds((), skipped="build check skipped: kubectl not found")
    assert build_check.newly_broken(skipped, skipped) == [] and build_check.summary(skipped, skipped) == skipped.skipped


def test_adoption_that_would_break_what_flux_builds_is_undone(tmp_path, monkeypatch):
    """No .sourceignore to be had (a template without one), and Flux syncs the root: the
    answers files adopt writes would be applied; adopt puts everything back."""
    import contextlib

    @contextlib.contextmanager
    def none(src):
        yield None

    monkeypatch.setattr(adoption, "template_files", none)
    files = cookbook_shapes.podinfo()
    files["flux-system/flux-system/gotk-sync.yaml"] = SYNC_ROOT
    files["flux-system/kustomizations/kustomization-podinfo.yaml"] = files[
        "flux-system/kustomizations/kustomization-podinfo.yaml"].replace("path: ./podinfo", "path: ./podinfo/")
    repo = init_repo(write(tmp_path, files))
    before = tree_state(repo)
    out, err = io.StringIO(), io.StringIO()
    code = adopt(repo, "https://example.invalid/template.git", False, out, err)
    assert code == 1
    assert "built before adoption and would no longer build" in err.getvalue()
    assert "./ (the repository root)" in err.getvalue()
    assert tree_state(repo) == before


def test_template_files_of_a_local_clone_and_of_a_url(tmp_path):
    template = init_repo(write(tmp_path / "template", {"template/cluster/.yamllint": "a: 1\n"}))
    # v3.1 and 3.0.0.post1 are PEP 440 versions but no release tags, which update-all refuses
    # to update to: the newest release is one it takes.
    for tag in ("v1.0.0", "v2.10.0", "v2.9.0", "not-a-version", "v3.0.0rc1", "v3.1", "3.0.0.post1"):
        git(template, "tag", tag)
    with template_files(str(template)) as files:
        assert files.where == template and files.latest_release() == "v2.10.0"
        assert files.show("v1.0.0", "template/cluster/.yamllint") == "a: 1\n"
        assert files.show("v1.0.0", "missing") is None and files.has_tag("v1.0.0") and not files.has_tag("v9.9.9")
    with template_files(f"file://{template}") as files:  # a URL: cloned, and gone afterwards
        clone = files.where
        assert clone != template and files.show("v2.9.0", "template/cluster/.yamllint") == "a: 1\n"
    assert not clone.exists()
    with pytest.raises(TemplateUnreachable, match="cannot clone the template"):
        with template_files(f"file://{tmp_path}/nowhere"):
            pass
    with pytest.raises(TemplateUnreachable, match="neither a folder nor a git URL"):
        with template_files(str(tmp_path / "nowhere")):
            pass


def test_update_all_reports_a_path_its_updates_broke(tmp_path, capsys):
    from flux_cookbook.commands.update_all import still_builds

    repo = init_repo(write(tmp_path, {"flux-system/gotk-sync.yaml": SYNC_ROOT, "flux-system/namespaces/web.yaml": NAMESPACE}))
    started_at = build_check.head_commit(repo)
    assert still_builds(repo, started_at) is True
    assert "build check: 1 of 1 Flux Kustomization path(s) build" in capsys.readouterr().out
    (repo / "flux-system/namespaces/web-again.yaml").write_text(NAMESPACE)
    commit_all(repo, "an update that breaks the build")
    assert still_builds(repo, started_at) is False
    err = capsys.readouterr().err
    assert "built before the update and no longer build" in err and "already registered id" in err
    assert git(repo, "worktree", "list").count("\n") == 1  # the checkout of the commit is gone


def test_since_a_commit_reports_what_building_before_and_after_reports(tmp_path, monkeypatch):
    """Three paths: one keeps building, one breaks in the change, one was broken before it.
    `since` reports what eager building before and after reports, and builds at the commit
    only the two paths that do not build now."""
    files = {"flux-system/gotk-sync.yaml": SYNC_ROOT.replace("path: ./", "path: ./flux-system"),
             "flux-system/namespaces/web.yaml": NAMESPACE}
    for name in ("keeps", "breaks", "broken"):
        files[f"flux-system/kustomization-{name}.yaml"] = flux_ks(name, f"./{name}")
        files[f"{name}/namespace.yaml"] = NAMESPACE.replace("web", name)
    files["broken/again.yaml"] = NAMESPACE.replace("web", "broken")
    repo = init_repo(write(tmp_path, files))
    started_at = build_check.head_commit(repo)
    eager_before = build_check.build(repo)
    (repo / "breaks/again.yaml").write_text(NAMESPACE.replace("web", "breaks"))
    commit_all(repo, "the change")

    built_at_commit = []
    real_build_all = flux_build.build_all

    def recording(where, skip=()):
        results = real_build_all(where, skip)
        if where != repo:
            built_at_commit.extend(r.kustomization.path for r in results)
        return results

    monkeypatch.setattr(flux_build, "build_all", recording)
    after, broken = build_check.since(repo, started_at)
    assert broken == build_check.newly_broken(eager_before, build_check.build(repo))
    assert len(broken) == 1 and broken[0].startswith("./breaks (Kustomization 'breaks'")
    assert sorted(built_at_commit) == ["breaks", "broken"]
    assert {r.kustomization.path: r.ok for r in after.results} == {
        "flux-system": True, "keeps": True, "breaks": False, "broken": False}
    # Since the commit it is at (an update-all that committed nothing): nothing can be newly
    # broken, and nothing is built a second time at that commit.
    built_at_commit.clear()
    again, broken = build_check.since(repo, build_check.head_commit(repo))
    assert broken == [] and built_at_commit == [] and again.results == after.results


def test_since_a_commit_with_the_change_not_committed_names_what_it_broke(tmp_path):
    """An update that stopped at conflicts commits nothing, and HEAD is where the change
    began: the files changed all the same, so what they broke is named (it said only
    "0 of 1 ... build")."""
    files = {"flux-system/gotk-sync.yaml": SYNC_ROOT.replace("path: ./", "path: ./flux-system"),
             "flux-system/namespaces/web.yaml": NAMESPACE}
    repo = init_repo(write(tmp_path, files))
    started_at = build_check.head_commit(repo)
    (repo / "flux-system/namespaces/again.yaml").write_text(NAMESPACE)  # not committed
    after, broken = build_check.since(repo, started_at)
    assert [r.ok for r in after.results] == [False]
    assert len(broken) == 1 and broken[0].startswith("./flux-system (Kustomization 'flux-system'"), broken


def test_the_summary_names_each_path_that_does_not_build_and_whether_it_did_before():
    def result(path: str, error: str = "") -> flux_build.BuildResult:
        kustomization = flux_build.FluxKustomization(f"bootstrap/kustomizations/kustomization-{path}.yaml", 1, path,
                                                     "flux-system", path)
        return flux_build.BuildResult(kustomization, not error, error, "" if error else "kind: ConfigMap\n")

    before = build_check.Builds((result("web", "web: no such file"), result("api"), result("db")))
    after = build_check.Builds((result("web", "web: no such file"), result("api", "api: already registered id"),
                                result("db")))
    assert build_check.summary(before, after).splitlines() == [
        "build check: 1 of 3 Flux Kustomization path(s) build as Flux builds them",
        "  ./web (Kustomization 'web', bootstrap/kustomizations/kustomization-web.yaml): web: no such file (it did not "
        "build before either)",
        "  ./api (Kustomization 'api', bootstrap/kustomizations/kustomization-api.yaml): api: already registered id",
    ]
    assert build_check.summary(before, build_check.Builds((result("web"),))) == \
        "build check: 1 of 1 Flux Kustomization path(s) build as Flux builds them"
