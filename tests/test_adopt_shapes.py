"""Every shape real cookbook repositories have, adopted and brought to the newest release.

For each shape of tests/fixtures/cookbook_shapes.py, as a user does it: `flux-cookbook
adopt` (a process, with the real template), commit, `flux-cookbook update-all` to the
newest release. Then:
- what Flux built before still builds (flux_build, as kustomize-controller builds), and
  every object validates strictly against Flux 2.9's CRDs;
- no conflict is left, and a second update-all changes nothing;
- the chart values are the same, byte for byte;
- every file the user had is still there (where adopt or the 2.0.0 migration moved it)
  and holds the same data but for the intended migration: API versions, the removed
  `spec.validation`, the values ConfigMap's watch label; a file of several objects adopt
  split: each of its objects is in exactly one file, the same but for the migration.
"""

from __future__ import annotations

import functools
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import yaml

from flux_cookbook.check import run as check
from flux_cookbook.repository import build_check
from tests.fixtures import cookbook_shapes as shapes
from tests.fixtures.cookbook_shapes import SHAPE_L, SHAPES, SKIP_VALIDATION, VALUES
from tests.support.controller_keys import make_certificate
from tests.support.project import CRDS, commit_all, cookbook_cli, init_repo, own_copy, tree_state
from tests.support.template_repo import PROJECT_ROOT, git

WATCH_LABEL = "reconcile.fluxcd.io/watch"


def make_repo(path, files: dict[str, str]):
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(text.encode())
    init_repo(path)
    git(path, "remote", "add", "origin", "git@github.com:acme/homelab.git")
    return path


def new_paths(repo, first: str) -> dict[str, str]:
    """Each file of the first commit -> where it is now (git's rename detection)."""
    moved = {}
    for line in git(repo, "diff", "-M30%", "--name-status", first, "HEAD").splitlines():
        status, *paths = line.split("\t")
        if status.startswith("R"):
            moved[paths[0]] = paths[1]
        elif status == "D":
            moved[paths[0]] = ""
    return moved


RECOMMENDED = {"crds": "CreateReplace", "strategy": {"name": "RetryOnFailure", "retryInterval": "5m"}}


def without_recommended_settings(spec: dict) -> dict:
    spec = {k: v for k, v in spec.items() if not (k == "driftDetection" and v == {"mode": "enabled"})}
    for key in ("install", "upgrade"):
        if isinstance(spec.get(key), dict):
            kept = {k: v for k, v in spec[key].items() if RECOMMENDED.get(k) != v}
            spec = {k: v for k, v in spec.items() if k != key} | ({key: kept} if kept else {})
    return spec


def without_3_1_0_changes(spec: dict) -> dict:
    """A Kustomization's spec without what 3.1.0 changes on purpose: its timeout's value
    (now at least the HelmRelease's; the comments on its line stay, as every comment does)
    and a lone health check on the app's workload, which moves to the HelmRelease when it
    is the template's guess."""
    spec = {k: v for k, v in spec.items() if k != "timeout"}
    checks = spec.get("healthChecks")
    if isinstance(checks, list) and len(checks) == 1 and isinstance(checks[0], dict) \
            and checks[0].get("kind") in ("Deployment", "HelmRelease"):
        spec["healthChecks"] = ["the app's own"]
    return spec


def normalised(documents: list) -> list:
    """The data, with what the migration changes on purpose taken out."""
    result = []
    for doc in documents:
        if isinstance(doc, dict):
            doc = dict(doc)
            api = str(doc.get("apiVersion", ""))
            if "toolkit.fluxcd.io/" in api:
                doc["apiVersion"] = api.rpartition("/")[0]
                if isinstance(doc.get("spec"), dict):
                    doc["spec"] = {k: v for k, v in doc["spec"].items() if k != "validation"}
                    if doc.get("kind") == "Alert" and "summary" in doc["spec"]:  # deprecated: moved
                        summary = doc["spec"].pop("summary")
                        doc["spec"]["eventMetadata"] = {**doc["spec"].get("eventMetadata", {}), "summary": summary}
                    if doc.get("kind") == "HelmRelease":  # 3.0.0's recommended settings, where it added them
                        doc["spec"] = without_recommended_settings(doc["spec"])
                    if doc.get("kind") == "Kustomization" and doc["spec"].get("path") == "./flux-system":
                        doc["spec"]["path"] = "./bootstrap"  # 2.0.0 moved the bootstrap folder
                    if doc.get("kind") == "Kustomization":
                        doc["spec"] = without_3_1_0_changes(doc["spec"])
            metadata = doc.get("metadata")
            if isinstance(metadata, dict) and isinstance(metadata.get("labels"), dict):
                labels = {k: v for k, v in metadata["labels"].items() if k != WATCH_LABEL}
                doc["metadata"] = {k: v for k, v in metadata.items() if k != "labels"} | ({"labels": labels} if labels else {})
            if api.startswith("kustomize.config.k8s.io/") and isinstance(doc.get("resources"), list):
                # 2.0.0 moved Flux's own files into flux-system/ and repointed the entries.
                doc["resources"] = [str(r).removeprefix("flux-system/") for r in doc["resources"]]
        result.append(doc)
    return result


def applied_object_errors(builds: build_check.Builds) -> list[str]:
    """What Flux would apply (every path's build output), validated strictly; SOPS-encrypted
    objects are decrypted by Flux first and are not checked as written."""
    from flux_cookbook.check import schemas

    errors = []
    for result in builds.results:
        for doc in yaml.safe_load_all(result.output):
            if isinstance(doc, dict) and "sops" not in doc:
                errors += [f"./{result.kustomization.path}: {e}" for e in schemas.validate_object(doc)]
    return errors


def comments(text: str) -> set[str]:
    """Every comment of a YAML text: whole lines and those ending a line."""
    return {match.group(1).strip() for line in text.splitlines() if (match := re.search(r"(?:^|\s)(#.*)$", line))}


def documents(text: str) -> list | None:
    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError:
        return None


def identity(doc: object) -> tuple | None:
    """(API group, kind, namespace, name) of an object; None for what is none (a kustomize config)."""
    if not (isinstance(doc, dict) and isinstance(doc.get("metadata"), dict) and doc["metadata"].get("name")):
        return None
    group = str(doc.get("apiVersion", "")).rpartition("/")[0]
    return group, doc.get("kind"), doc["metadata"].get("namespace", ""), doc["metadata"]["name"]


def objects_by_identity(tree: dict[str, bytes]) -> dict[tuple, list[tuple[str, dict]]]:
    """Every object of the tree's YAML files: identity -> [(its file, the object)]."""
    found: dict[tuple, list[tuple[str, dict]]] = {}
    for name, content in tree.items():
        if name.endswith((".yaml", ".yml")):
            for doc in documents(content.decode(errors="replace")) or []:
                if key := identity(doc):
                    found.setdefault(key, []).append((name, doc))
    return found


def values_text(text: str, how: tuple[str, str]) -> str:
    kind, key = how
    if kind == "file":
        return text
    if kind == "configmap":
        return next(d for d in documents(text) if d.get("kind") == "ConfigMap")["data"][key]
    return yaml.safe_dump(documents(text)[0]["spec"]["values"], sort_keys=False)


def inline_block(text: str) -> str:
    """The lines of a HelmRelease's `values:` block, as written."""
    match = re.search(r"(?ms)^  values:\n(?:(?:    .*|)\n)+", text)
    return match.group(0) if match else ""


@dataclass(frozen=True)
class Adopted:
    """A shape as a user takes it to the newest release: adopt, commit, update-all."""
    repo: Path
    first: str  # the user's own commit
    before: build_check.Builds  # what Flux built from it
    errors_before: Counter  # check's errors in it, by rule (the hand-made layout's own)
    adopt: subprocess.CompletedProcess
    after_adopt: dict[str, bytes]  # every file right after adopt, before its commit
    staged: str  # `git status` then (no rename detection)
    update: subprocess.CompletedProcess

    # The updated repository's build and check, made once for the tests that read them
    # (when first asked for: after a test's own assertions on the update).
    @functools.cached_property
    def after(self) -> build_check.Builds:
        """What Flux builds from the updated repository."""
        return build_check.build(self.repo)

    @functools.cached_property
    def report(self) -> check.Report:
        """`flux-cookbook check` of the updated repository."""
        return check.check_repository(self.repo)


@pytest.fixture(scope="module")
def adopted(template, tmp_path_factory) -> Callable[[str], Adopted]:
    """shape -> the shape adopted and updated, once for the module (the tests of one shape
    share it; a test that changes the repository works on its own copy)."""
    done: dict[str, Adopted] = {}

    def adopt_and_update(shape: str) -> Adopted:
        if shape not in done:
            repo = make_repo(tmp_path_factory.mktemp(f"shape-{shape}") / "homelab", SHAPES[shape])
            first = git(repo, "rev-parse", "HEAD").strip()
            before = build_check.build(repo)
            errors_before = Counter(p.rule for p in check.check_repository(repo).problems if p.severity == check.ERROR)
            adopt = cookbook_cli("adopt", str(repo), "--template", str(template.path))
            assert adopt.returncode == 0, adopt.stdout + adopt.stderr
            after_adopt = tree_state(repo)[2]
            staged = git(repo, "status", "--porcelain", "--no-renames")
            commit_all(repo, "Adopt the Flux cookbook template")
            update = cookbook_cli("update-all", str(repo), "--vcs-ref", template.current)
            done[shape] = Adopted(repo, first, before, errors_before, adopt, after_adopt, staged, update)
        return done[shape]

    return adopt_and_update


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_shape_is_adopted_and_updated_with_nothing_lost(shape, adopted, template, tmp_path):
    files = SHAPES[shape]
    run = adopted(shape)
    repo, first, before = run.repo, run.first, run.before
    assert not before.skipped and all(result.ok for result in before.results), [r.error for r in before.results]
    assert "build check:" in run.adopt.stdout
    assert run.update.returncode == 0, run.update.stdout + run.update.stderr

    # No conflicts, nothing half-done.
    assert git(repo, "status", "--porcelain") == ""
    state = tree_state(repo)
    now = state[2]
    assert not [name for name, content in now.items() if b"<<<<<<<" in content or name.endswith(".rej")]
    # What built before still builds; every object validates.
    assert build_check.newly_broken(before, run.after) == []
    assert applied_object_errors(run.after) == []
    # And `flux-cookbook check` finds no error in it that the hand-made repository had not
    # (warnings, e.g. health checks it cannot verify offline, are allowed; D's root sync
    # applies the app folders as their own Kustomizations do, before and after).
    errors = [p for p in run.report.problems if p.severity == check.ERROR]
    assert Counter(p.rule for p in errors) - run.errors_before == Counter(), [str(p) for p in errors]
    # K declares its namespace twice, which check reports before and after alike.
    assert bool(run.errors_before) == (shape in ("D", "K-namespace-twice")), run.errors_before

    # Every file the user had: still there, same data but for the migration; the objects of
    # a file adopt split, each in exactly one file.
    moved = new_paths(repo, first)
    found = objects_by_identity(now)
    kept = set()  # the files the user's objects are in now
    for name, text in files.items():
        target = moved.get(name, name)
        new_text = (repo / target).read_bytes().decode() if target and (repo / target).is_file() else None
        if new_text is not None and "\r\n" in text:  # the user's line ends, in every line the update wrote too
            assert new_text.count("\n") == new_text.count("\r\n"), f"{name} -> {target}: line ends mixed or changed"
        old_docs = documents(text)
        if old_docs is None or "sops:" in text:
            assert new_text == text, f"{name} -> {target} changed"
            kept.add(target)
            continue
        if new_text is not None and normalised(documents(new_text)) == normalised(old_docs):
            kept.add(target)
            assert comments(text) <= comments(new_text), f"comments of {name} lost in {target}"
            continue
        assert len(old_docs) > 1, f"{name} -> {target or 'removed'}"  # only a file of several is split
        homes_text = new_text or ""
        for doc in old_docs:
            homes = found.get(identity(doc), [])
            assert len(homes) == 1, f"{identity(doc)} of {name} is in {[home for home, _ in homes]}"
            assert normalised([homes[0][1]]) == normalised([doc]), f"{identity(doc)} of {name} -> {homes[0][0]}"
            kept.add(homes[0][0])
            homes_text += (repo / homes[0][0]).read_text()
        assert comments(text) <= comments(homes_text), f"comments of {name} lost"

    # Nothing was added but the template's own files: no second copy of any object.
    added = {name for name in now if name not in kept}
    template_cluster = PROJECT_ROOT / "template" / "cluster"
    housekeeping = {  # what the cluster template writes whatever the answers (README, .yamllint, ...)
        str(path.relative_to(template_cluster)).removesuffix(".jinja")
        for path in template_cluster.rglob("*") if path.is_file() and "{" not in str(path.relative_to(template_cluster))
    }
    assert {name for name in added if not (name.startswith(".copier-answers") or name in housekeeping
                                           or name.endswith("/.gitkeep"))} == set()

    # The chart values, byte for byte.
    for name, how in VALUES[shape].items():
        target = moved.get(name, name)
        if how[0] == "configmap":  # where the ConfigMap is now: adopt may have split it out of its file
            [(target, _)] = found[identity(next(d for d in documents(files[name]) if d.get("kind") == "ConfigMap"))]
        old, new = files[name], (repo / target).read_bytes().decode()
        assert values_text(new, how) == values_text(old, how), f"values of {name} -> {target}"
        if how[0] == "inline":
            assert inline_block(new) == inline_block(old) != ""

    # Updating again (a copy, byte for byte) changes nothing.
    repo = own_copy(repo, tmp_path / "again")
    again = cookbook_cli("update-all", str(repo), "--vcs-ref", template.current)
    assert again.returncode == 0, again.stdout + again.stderr
    assert tree_state(repo) == state


def test_shape_a_keeps_its_names(adopted):
    run = adopted("A")
    repo = run.repo
    assert run.update.returncode == 0, run.update.stdout + run.update.stderr
    kustomization = yaml.safe_load((repo / "bootstrap/kustomizations/kustomization-metallb-system.yaml").read_text())
    release = yaml.safe_load((repo / "metallb-system/helmrelease-metallb-system.yaml").read_text())
    configmap = yaml.safe_load(
        (repo / "metallb-system/configmap-metallb-system-helm-chart-value-overrides.yaml").read_text())
    assert (kustomization["metadata"]["name"], kustomization["spec"]["path"]) == ("metallb--metallb-system", "./metallb-system")
    assert (release["metadata"]["name"], release["spec"]["valuesFrom"][0]["name"]) == (
        "metallb", "metallb-helm-chart-value-overrides")
    assert configmap["metadata"]["name"] == "metallb-helm-chart-value-overrides"
    assert configmap["metadata"]["labels"] == {WATCH_LABEL: "Enabled"}


def test_shape_c_declares_no_namespace_flux_or_kubernetes_owns(adopted):
    run = adopted("C")
    assert run.update.returncode == 0, run.update.stdout + run.update.stderr
    namespaces = sorted(p.name for p in (run.repo / "bootstrap/namespaces").glob("*.yaml"))
    assert namespaces == ["namespace-podinfo.yaml"]


def test_shape_g_apps_stay_one_folder_down(adopted):
    run = adopted("G-apps")
    repo = run.repo
    assert run.update.returncode == 0, run.update.stdout + run.update.stderr
    assert not (repo / "podinfo").exists() and not (repo / "metallb").exists()
    assert yaml.safe_load((repo / ".copier-answers.app-podinfo.yml").read_text())["apps_dir"] == "apps"
    configmap = yaml.safe_load((repo / "apps/podinfo/configmap-podinfo-helm-chart-value-overrides.yaml").read_text())
    assert configmap["metadata"]["labels"] == {WATCH_LABEL: "Enabled"}  # templated where it lives
    # A new app lands beside them.
    assert yaml.safe_load((repo / ".copier-answers.yml").read_text())["apps_dir"] == "apps"


def test_shape_i_splits_each_object_out_as_written(adopted):
    """What adopt writes, before any update: each document as the fixture wrote it."""
    run = adopted("I-shared-files")
    after_adopt = run.after_adopt
    assert ("split flux-system/helmrepositories/helmrepositories.yaml: HelmRepository 'podinfo' -> "
            "flux-system/helmrepositories/helmrepository-podinfo.yaml") in run.adopt.stdout
    written = {name: after_adopt[name].decode() for name in (
        "flux-system/helmrepositories/helmrepositories.yaml", "flux-system/helmrepositories/helmrepository-podinfo.yaml",
        "flux-system/helmrepositories/helmrepository-metallb.yaml", "flux-system/namespaces/namespace-podinfo.yaml",
        "flux-system/kustomizations/kustomization-podinfo.yaml", "metallb/helmrelease-metallb.yaml",
        "metallb/configmap-metallb-helm-chart-value-overrides.yaml")}
    assert written == {
        # The header, and the repository no app uses, stay.
        "flux-system/helmrepositories/helmrepositories.yaml":
            "# Every chart repository of the cluster, in one place.\n---\n"
            + shapes.helm_repository("jetstack", "https://charts.jetstack.io") + "# cert-manager comes later\n",
        "flux-system/helmrepositories/helmrepository-podinfo.yaml":
            "# the demo app\n" + shapes.helm_repository("podinfo", "https://stefanprodan.github.io/podinfo"),
        "flux-system/helmrepositories/helmrepository-metallb.yaml":  # the comment on its separator line too
            "--- # load balancer\n" + shapes.helm_repository("metallb", "https://metallb.github.io/metallb", api="v1beta2"),
        "flux-system/namespaces/namespace-podinfo.yaml": shapes.namespace("podinfo"),
        "flux-system/kustomizations/kustomization-podinfo.yaml":
            "---\n" + shapes.base()["flux-system/kustomizations/kustomization-podinfo.yaml"],
        "metallb/helmrelease-metallb.yaml": shapes.helm_release(
            "metallb", "metallb-system", "metallb", "metallb", shapes.values_from("metallb-helm-chart-value-overrides")),
        "metallb/configmap-metallb-helm-chart-value-overrides.yaml": "# metallb's values: edit these\n" + shapes.values_configmap(
            "metallb-helm-chart-value-overrides", "metallb-system", shapes.METALLB_VALUES),
    }
    assert "metallb/metallb.yaml" not in after_adopt
    assert "D  metallb/metallb.yaml" in run.staged
    assert yaml.safe_load(after_adopt[".copier-answers.app-podinfo.yml"])["owns_namespace"] is True


def test_shape_d_keeps_answers_files_out_of_the_root_sync(adopted):
    run = adopted("D")
    assert ".sourceignore" in run.after_adopt
    assert run.update.returncode == 0, run.update.stdout + run.update.stderr
    assert "Flux's sync applies the repository's root" in run.update.stdout
    assert sorted(p.name for p in (run.repo / "bootstrap/flux-system").iterdir() if p.name != ".gitkeep") == [
        "gotk-components.yaml", "gotk-sync.yaml"]
    built = {r.kustomization.path: r for r in run.after.results}
    assert built[""].ok, built[""].error


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_fixture_validates_as_written(shape):
    """The fixtures are what Flux accepted: every object validates on the APIs it names."""
    from flux_cookbook.check import schemas

    for name, text in SHAPES[shape].items():
        if not name.endswith((".yaml", ".yml")) or name in SKIP_VALIDATION or "/templates/" in name \
                or name.endswith("kustomization.yaml") or name.startswith("docs/"):
            continue
        for doc in documents(text) or []:  # None: not YAML, no object
            if not ("kind" in doc and "metadata" in doc):
                continue  # a chart's values.yaml or Chart.yaml: no object
            if "toolkit.fluxcd.io" not in str(doc.get("apiVersion")):
                assert schemas.validate_object(doc) == [], name
            else:
                assert schemas.validate_object(doc, [CRDS / "legacy"]) == [], name


def test_shape_j_apps_are_known_by_their_kustomizations(adopted, template, tmp_path, key):
    """redis/ and mastodon/redis/ are two apps, redis and mastodon-redis: adopted, updated,
    checked and sealed into, each where it lives."""
    run = adopted("J-same-folder-names")
    assert {".copier-answers.app-redis.yml", ".copier-answers.app-mastodon-redis.yml"} <= set(run.after_adopt)
    updated = run.update
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert f"app redis to {template.current}" in updated.stdout and f"app mastodon-redis to {template.current}" in updated.stdout
    repo = own_copy(run.repo, tmp_path / "homelab")  # sealing writes into it
    assert not (repo / "mastodon-redis").exists()
    for folder, app in (("redis", "redis"), ("mastodon/redis", "mastodon-redis")):
        configmap = yaml.safe_load((repo / folder / f"configmap-{app}-helm-chart-value-overrides.yaml").read_text())
        assert configmap["metadata"]["labels"] == {WATCH_LABEL: "Enabled"}  # templated where it lives
        kustomization = yaml.safe_load((repo / f"bootstrap/kustomizations/kustomization-{app}.yaml").read_text())
        assert (kustomization["metadata"]["name"], kustomization["spec"]["path"]) == (app, f"./{folder}")
    assert [str(p) for p in run.report.problems if p.severity == check.ERROR] == []

    cert = tmp_path / "controller.pem"
    cert.write_bytes(make_certificate(key))
    for app, folder, namespace in (("redis", "redis", "redis"), ("mastodon-redis", "mastodon/redis", "mastodon")):
        sealed = cookbook_cli("seal", app, "db", "--repo", str(repo), "--cert", str(cert), "--from-literal", "password=x")
        assert sealed.returncode == 0, sealed.stderr
        assert yaml.safe_load((repo / folder / "sealedsecret-db.yaml").read_text())["metadata"]["namespace"] == namespace


def test_check_right_after_adopt_finds_no_more_than_before(adopted, tmp_path):
    """Between adopt and update-all the files are still the cookbook's Flux APIs, and the
    answers record 1.0.0, a release that writes them: check holds them to the Flux release
    their gotk-components.yaml records, as it did before adoption, not to Flux 2.9's."""
    run = adopted("A")
    adoption = git(run.repo, "log", "--format=%H", "--reverse", f"{run.first}..HEAD").split()[0]
    at_adoption = tmp_path / "at-adoption"
    git(tmp_path, "clone", "-q", str(run.repo), str(at_adoption))
    git(at_adoption, "checkout", "-q", adoption)
    assert "_commit: v1.0.0" in (at_adoption / ".copier-answers.yml").read_text()
    errors = [p for p in check.check_repository(at_adoption).problems if p.severity == check.ERROR]
    assert Counter(p.rule for p in errors) == run.errors_before, [str(p) for p in errors]


def test_a_helm_repository_a_folder_of_the_users_uses_stays_through_every_update(template, tmp_path):
    """The cluster's update keeps the oci HelmRepository that tools/ still uses (3.0.0's
    step); the app's own update, which moves the app to an OCIRepository, kept deleting it."""
    repo = make_repo(tmp_path / "homelab", SHAPE_L)
    assert cookbook_cli("adopt", str(repo), "--template", str(template.path)).returncode == 0
    commit_all(repo, "Adopt the Flux cookbook template")
    update = cookbook_cli("update-all", str(repo), "--vcs-ref", template.current)
    assert update.returncode == 0, update.stdout + update.stderr
    assert (repo / "bootstrap/helmrepositories/helmrepository-authentik.yaml").is_file()
    assert "authentik/ocirepository-authentik.yaml" in tree_state(repo)[2]
    errors = [str(p) for p in check.check_repository(repo).problems if p.severity == check.ERROR]
    assert errors == []
