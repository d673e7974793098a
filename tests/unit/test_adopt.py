"""The adopt command's reading of hand-written cookbook repositories (flux_cookbook/adopt/)."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest
import yaml

from flux_cookbook.adopt import adoption, carrying_out
from flux_cookbook.adopt.answers import ANSWERS_HEADER, answers_text
from flux_cookbook.adopt.findings import AdoptError
from flux_cookbook.adopt.git_state import GitInfo
from flux_cookbook.adopt.housekeeping import template_error
from flux_cookbook.adopt.plan import plan_adoption
from flux_cookbook.adopt.reading import find_bootstrap_dir
from flux_cookbook.commands import adopt as adopt_command
from flux_cookbook.commands.adopt import adopt
from flux_cookbook.repository import build_check
from tests.support.build_repos import GOTK_SYNC as SYNC_AT
from tests.support.flux_objects import flux_ks
from tests.support.project import commit_all, init_repo, tree_state
from tests.support.template_repo import git

TEMPLATE = "https://github.com/acme/flux-cookbook-template"
NO_GIT = GitInfo(origin_url="", branch="main")


@pytest.fixture(autouse=True)
def no_template_clone(monkeypatch):
    """The tests' template is a URL no one serves: adopt() reads no template files here
    (plan_adoption without them; tests/test_adopt.py adopts with a real template)."""
    import contextlib

    @contextlib.contextmanager
    def none(src):
        yield None

    monkeypatch.setattr(adoption, "template_files", none)


def yaml_text(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


PODINFO = {
    # The cookbook's own files, old APIs, comments, `./` path, no Kustomization timeout.
    "flux-system/namespaces/namespace-podinfo.yaml": """
        # podinfo's namespace
        apiVersion: v1
        kind: Namespace
        metadata:
          name: podinfo
        """,
    "flux-system/helmrepositories/helmrepository-podinfo.yaml": """
        apiVersion: source.toolkit.fluxcd.io/v1beta1
        kind: HelmRepository
        metadata:
          name: podinfo
          namespace: flux-system
        spec:
          interval: 15m
          url: https://stefanprodan.github.io/podinfo
        """,
    "flux-system/kustomizations/kustomization-podinfo.yaml": """
        apiVersion: kustomize.toolkit.fluxcd.io/v1beta1
        kind: Kustomization
        metadata:
          name: podinfo
          namespace: flux-system
        spec:
          interval: 10m # check every 10 minutes
          path: ./podinfo
          prune: true
          sourceRef:
            kind: GitRepository
            name: flux-system
          validation: server
          healthChecks:
            - apiVersion: apps/v1
              kind: Deployment
              name: podinfo
              namespace: podinfo
        """,
    "podinfo/helmrelease-podinfo.yaml": """
        apiVersion: helm.toolkit.fluxcd.io/v2beta1
        kind: HelmRelease
        metadata:
          name: podinfo
          namespace: podinfo
        spec:
          chart:
            spec:
              chart: podinfo
              version: 6.x # bugfixes only
              sourceRef:
                kind: HelmRepository
                name: podinfo
                namespace: flux-system
          interval: 15m
          timeout: 5m
          releaseName: podinfo
          valuesFrom:
          - kind: ConfigMap
            name: podinfo-helm-chart-value-overrides
            valuesKey: values.yaml
        """,
    "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: podinfo-helm-chart-value-overrides
          namespace: podinfo
        data:
          values.yaml: |
            replicaCount: 2
        """,
}


def postgres_app(app: str, namespace: str, depends_on: str = "") -> dict[str, str]:
    """An app on current APIs from the shared bitnami HelmRepository, without health checks."""
    depends = f"  dependsOn:\n    - name: {depends_on}\n" if depends_on else ""
    return {
        f"flux-system/namespaces/namespace-{namespace}.yaml": f"""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: {namespace}
            """,
        f"flux-system/kustomizations/kustomization-{app}.yaml": textwrap.dedent(f"""
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: {app}
              namespace: flux-system
            spec:
              interval: 30m
              path: ./{app}/
              prune: true
              timeout: 3m
              sourceRef:
                kind: GitRepository
                name: flux-system
            """) + depends,
        f"{app}/helmrelease-{app}.yaml": f"""
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata:
              name: {app}
              namespace: {namespace}
            spec:
              chart:
                spec:
                  chart: postgresql
                  sourceRef:
                    kind: HelmRepository
                    name: bitnami
                    namespace: flux-system
              interval: 1h
              valuesFrom:
                - kind: ConfigMap
                  name: {app}-helm-chart-value-overrides
            """,
    }


BITNAMI = {
    "flux-system/helmrepositories/helmrepository-bitnami.yaml": """
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: HelmRepository
        metadata:
          name: bitnami
          namespace: flux-system
        spec:
          interval: 2h
          url: https://charts.bitnami.com/bitnami
        """,
}

PLAIN_MANIFESTS = {
    "flux-system/kustomizations/kustomization-infra.yaml": """
        apiVersion: kustomize.toolkit.fluxcd.io/v1beta2
        kind: Kustomization
        metadata:
          name: infra
          namespace: flux-system
        spec:
          interval: 1h
          path: ./infra
          prune: true
          sourceRef:
            kind: GitRepository
            name: flux-system
        """,
    "infra/clusterissuer.yaml": """
        apiVersion: cert-manager.io/v1
        kind: ClusterIssuer
        metadata:
          name: letsencrypt
        """,
}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(yaml_text(text), encoding="utf-8")
    return root


def git_repo(root: Path, files: dict[str, str]) -> Path:
    return init_repo(write(root, files))


def run(repo: Path, dry_run: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = adopt(repo, TEMPLATE, dry_run, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def problems(root: Path) -> str:
    with pytest.raises(AdoptError) as refused:
        plan_adoption(root, TEMPLATE, NO_GIT)
    return "\n".join(refused.value.problems)


# --- answers ---------------------------------------------------------------------------


def test_app_answers_come_from_its_objects(tmp_path):
    plan = plan_adoption(write(tmp_path, PODINFO), TEMPLATE, NO_GIT)
    assert plan.apps["podinfo"] == {
        "_commit": "v1.0.0", "_src_path": TEMPLATE, "bootstrap_dir": "flux-system",
        "kustomization_interval": "10m",
        "kustomization_timeout": "10m",  # none given: Flux times out after the interval
        "helmrelease_interval": "15m", "helmrelease_timeout": "5m", "helmrepository_interval": "15m",
        "kind": "app", "app_name": "podinfo", "namespace": "podinfo", "chart": "podinfo", "chart_version": "6.x",
        "helm_repo_name": "podinfo", "helm_repo_url": "https://stefanprodan.github.io/podinfo",
        "release_name": "podinfo", "depends_on": [],
        "health_checks": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo", "namespace": "podinfo"}],
        "values_source": "", "owns_namespace": True,
    }
    assert plan.moves == [] and plan.kept == []


def test_apps_sharing_a_helm_repository_with_dependencies_and_no_health_checks(tmp_path):
    files = {**BITNAMI, **postgres_app("keycloak-postgres", "keycloak"),
             **postgres_app("nextcloud-postgres", "nextcloud", depends_on="keycloak-postgres")}
    plan = plan_adoption(write(tmp_path, files), TEMPLATE, NO_GIT)
    assert list(plan.apps) == ["keycloak-postgres", "nextcloud-postgres"]
    nextcloud = plan.apps["nextcloud-postgres"]
    assert (nextcloud["depends_on"], nextcloud["health_checks"]) == (["keycloak-postgres"], [])
    assert (nextcloud["chart_version"], nextcloud["helmrelease_timeout"]) == ("*", "5m")  # Flux's defaults
    assert (nextcloud["helm_repo_name"], nextcloud["helm_repo_url"], nextcloud["helmrepository_interval"]) == (
        "bitnami", "https://charts.bitnami.com/bitnami", "2h")
    assert plan.apps["keycloak-postgres"]["helm_repo_url"] == nextcloud["helm_repo_url"]


def test_a_kustomization_of_plain_manifests_is_kept_as_the_users_own(tmp_path):
    plan = plan_adoption(write(tmp_path, {**PODINFO, **PLAIN_MANIFESTS}), TEMPLATE, NO_GIT)
    assert list(plan.apps) == ["podinfo"]
    assert plan.kept == [
        "Kustomization 'infra' (flux-system/kustomizations/kustomization-infra.yaml): no HelmRelease in infra/"
    ]


def test_a_folder_whose_helm_release_file_cannot_be_read_is_kept_saying_so(tmp_path):
    files = {**PODINFO, **PLAIN_MANIFESTS, "infra/helmrelease-infra.yaml": "metadata:\n  labels: *undefined\n"}
    plan = plan_adoption(write(tmp_path, files), TEMPLATE, NO_GIT)
    assert plan.kept == ["Kustomization 'infra' (flux-system/kustomizations/kustomization-infra.yaml): no HelmRelease "
                         "in infra/ that can be read (infra/helmrelease-infra.yaml cannot)"]


@pytest.mark.parametrize("placed_by", ["metadata", "targetNamespace"])
def test_a_helm_repository_in_the_apps_folder_and_namespace_is_refused_with_what_moving_it_takes(tmp_path, placed_by):
    repository = PODINFO["flux-system/helmrepositories/helmrepository-podinfo.yaml"]
    files = {name: text for name, text in PODINFO.items() if "helmrepositories" not in name}
    files["podinfo/helmrepository-podinfo.yaml"] = repository.replace(
        "namespace: flux-system", "namespace: podinfo" if placed_by == "metadata" else "labels: {}")
    if placed_by == "targetNamespace":  # no namespace of its own: the app's Kustomization puts it in podinfo
        name = "flux-system/kustomizations/kustomization-podinfo.yaml"
        files[name] = files[name].replace("prune: true\n", "prune: true\n          targetNamespace: podinfo\n")
    files["podinfo/helmrelease-podinfo.yaml"] = files["podinfo/helmrelease-podinfo.yaml"].replace(
        "            namespace: flux-system", "            namespace: podinfo")
    found = problems(write(tmp_path, files))
    assert ("app podinfo: its chart's HelmRepository 'podinfo' is in podinfo/helmrepository-podinfo.yaml, not in "
            "flux-system/") in found
    assert ("It is in namespace podinfo: as you move it, set its metadata.namespace and the HelmRelease's "
            "spec.chart.spec.sourceRef.namespace to flux-system.") in found


def test_apps_one_folder_down_are_adopted_where_they_are(tmp_path):
    files = {name.replace("podinfo/", "apps/podinfo/", 1): text for name, text in PODINFO.items()}
    files["flux-system/kustomizations/kustomization-podinfo.yaml"] = PODINFO[
        "flux-system/kustomizations/kustomization-podinfo.yaml"].replace("path: ./podinfo", "path: ./apps/podinfo")
    files["flux-system/kustomizations/kustomization-other.yaml"] = """
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: other
          namespace: flux-system
        spec:
          path: ./
          sourceRef:
            kind: GitRepository
            name: shared-config
        """
    plan = plan_adoption(write(tmp_path, files), TEMPLATE, NO_GIT)
    assert list(plan.apps) == ["podinfo"] and "apps_dir" not in plan.apps["podinfo"]  # the first update sets it
    assert plan.cluster["apps_dir"] == "apps"
    assert plan.moves == []  # every file is where the template writes it, one folder down
    assert [reason.partition(": ")[2] for reason in plan.kept] == [
        "it applies GitRepository 'shared-config', not this repository",
    ]


def test_a_kustomization_whose_path_is_no_text_is_kept_for_what_it_is(tmp_path):
    files = {**PODINFO, "flux-system/kustomizations/kustomization-other.yaml": """
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: other
          namespace: flux-system
        spec:
          path: [podinfo]
          sourceRef:
            kind: GitRepository
            name: flux-system
        """}
    plan = plan_adoption(write(tmp_path, files), TEMPLATE, NO_GIT)
    assert [reason.partition(": ")[2] for reason in plan.kept] == ["its spec.path is no text (the API server refuses it)"]


def test_a_kustomization_named_otherwise_than_its_folder_keeps_its_name(tmp_path):
    files = {**PODINFO, **BITNAMI, **postgres_app("keycloak-postgres", "keycloak")}
    files["flux-system/kustomizations/kustomization-keycloak-postgres.yaml"] = files[
        "flux-system/kustomizations/kustomization-keycloak-postgres.yaml"].replace(
        "name: keycloak-postgres", "name: postgresql--keycloak")
    plan = plan_adoption(write(tmp_path, files), TEMPLATE, NO_GIT)
    assert sorted(plan.apps) == ["keycloak-postgres", "podinfo"]
    assert any("Kustomization 'postgresql--keycloak'" in note and "keeps its own name" in note for note in plan.notes)


def test_release_name_defaults_as_flux_does(tmp_path):
    write(tmp_path, PODINFO)
    release = tmp_path / "podinfo/helmrelease-podinfo.yaml"
    release.write_text(release.read_text().replace("  releaseName: podinfo\n", "  targetNamespace: demo\n"))
    assert plan_adoption(tmp_path, TEMPLATE, NO_GIT).apps["podinfo"]["release_name"] == "demo-podinfo"


def test_a_name_postbuild_fills_in_is_refused_as_a_variable(tmp_path):
    """`releaseName: ${APP}` (the Kustomization's postBuild fills it in): named as a
    variable, not as a name of the wrong letters, whose advice does not fit; beside the
    other answers' problems, all said at once."""
    write(tmp_path, PODINFO)
    release = tmp_path / "podinfo/helmrelease-podinfo.yaml"
    release.write_text(release.read_text().replace("  releaseName: podinfo\n", "  releaseName: ${APP}\n")
                       .replace("chart: podinfo", "chart: Pod_Info"))
    assert problems(tmp_path) == (
        "app podinfo: chart 'Pod_Info' is not a valid chart name: use lower case letters, digits, '-', '.' and '_'.\n"
        "app podinfo: release_name '${APP}' holds a postBuild variable, which Flux fills in on the cluster and an "
        "answer cannot record: write the value itself in the app's files, then adopt again")


def test_a_release_without_a_namespace_is_where_its_kustomizations_target_namespace_puts_it(tmp_path):
    """As Flux's docs write a HelmRelease: no metadata.namespace; kustomize-controller sets
    the Kustomization's targetNamespace on it. Without either, adopt asks for one."""
    write(tmp_path, PODINFO)
    release = tmp_path / "podinfo/helmrelease-podinfo.yaml"
    text = release.read_text()
    head, sep, rest = text.partition("  namespace: podinfo\n")  # the release's own, under metadata
    release.write_text(head + rest)
    assert sep and "namespace: podinfo" not in head
    kustomization = tmp_path / "flux-system/kustomizations/kustomization-podinfo.yaml"
    kustomization.write_text(kustomization.read_text().replace("  interval: 10m", "  targetNamespace: demo\n  interval: 10m"))
    assert plan_adoption(tmp_path, TEMPLATE, NO_GIT).apps["podinfo"]["namespace"] == "demo"
    kustomization.write_text(kustomization.read_text().replace("  targetNamespace: demo\n", ""))
    assert ("has no metadata.namespace, nor does its folder's kustomization file set a namespace or its "
            "Kustomization a targetNamespace") in problems(tmp_path)
    # Its folder's kustomization file sets it (kustomize's namespace: on every object it lists).
    files = sorted(path.name for path in (tmp_path / "podinfo").iterdir())
    (tmp_path / "podinfo/kustomization.yaml").write_text(f"namespace: demo\nresources: {files}\n")
    assert plan_adoption(tmp_path, TEMPLATE, NO_GIT).apps["podinfo"]["namespace"] == "demo"


def test_other_kinds_unreadable_yaml_and_dot_folders(tmp_path):
    write(tmp_path, {**PODINFO, "podinfo/notes.yaml": "this: [is not: yaml", ".github/workflows/x.yaml": "{ nope",
                     "podinfo/sealedsecret.yaml": "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"})
    (tmp_path / "podinfo/README.md").write_text("# not YAML at all\n")
    plan = plan_adoption(tmp_path, TEMPLATE, NO_GIT)
    assert list(plan.apps) == ["podinfo"]
    assert [note.partition(" (")[0] for note in plan.notes if "YAML" in note] == [
        "skipped podinfo/notes.yaml: not readable as YAML"
    ]


def test_a_file_with_a_key_written_twice_is_skipped_as_flux_would_refuse_it(tmp_path):
    files = dict(PODINFO)
    files["podinfo/extra.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n"
    plan = plan_adoption(write(tmp_path, files), TEMPLATE, NO_GIT)
    assert list(plan.apps) == ["podinfo"]
    (note,) = [note for note in plan.notes if "extra.yaml" in note]
    assert note.startswith("skipped podinfo/extra.yaml: not readable as YAML (line 5: ") and "duplicate key" in note
    assert note.endswith("; left as it is")


# --- the cluster -----------------------------------------------------------------------


GOTK_SYNC = """
    # This manifest was generated by flux. DO NOT EDIT.
    ---
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: GitRepository
    metadata:
      name: flux-system
      namespace: flux-system
    spec:
      interval: 5m0s
      ref:
        branch: production
      url: ssh://git@github.com/from-sync/cluster
    """


@pytest.mark.parametrize(("origin", "owner", "name", "url"), [
    ("https://github.com/acme/homelab.git", "acme", "homelab", "https://github.com/acme/homelab"),
    ("git@github.com:acme/homelab.git", "acme", "homelab", "https://github.com/acme/homelab"),
    ("", "from-sync", "cluster", "https://github.com/from-sync/cluster"),  # flux bootstrap's URL
])
def test_the_repository_comes_from_origin_else_from_flux_bootstrap(tmp_path, origin, owner, name, url):
    write(tmp_path, {**PODINFO, "flux-system/flux-system/gotk-sync.yaml": GOTK_SYNC})
    cluster = plan_adoption(tmp_path, TEMPLATE, GitInfo(origin, "main")).cluster
    assert (cluster["repo_owner"], cluster["repo_name"], cluster["repo_url"]) == (owner, name, url)
    # Flux watches the branch and interval flux bootstrap wrote, whatever is checked out.
    assert (cluster["branch"], cluster["git_interval"]) == ("production", "5m0s")


def test_another_git_host_keeps_the_default_github_names(tmp_path):
    write(tmp_path, PODINFO)
    cluster = plan_adoption(tmp_path, TEMPLATE, GitInfo("https://gitlab.example.com/ops/k8s.git", "live")).cluster
    assert (cluster["repo_owner"], cluster["repo_name"]) == ("my-github-user", "flux-cluster")
    assert cluster["repo_url"] == "https://gitlab.example.com/ops/k8s.git"
    assert (cluster["branch"], cluster["git_interval"]) == ("live", "1m")  # no gotk-sync.yaml


def test_cluster_answers_in_the_order_the_template_writes_them(tmp_path):
    files = {**PODINFO, **BITNAMI, **postgres_app("keycloak-postgres", "keycloak"),
             **postgres_app("nextcloud-postgres", "nextcloud")}
    cluster = plan_adoption(write(tmp_path, files), TEMPLATE, NO_GIT).cluster
    assert answers_text(cluster) == ANSWERS_HEADER + yaml_text(f"""
        _commit: v1.0.0
        _src_path: {TEMPLATE}
        kind: cluster
        repo_owner: my-github-user
        repo_name: flux-cluster
        repo_url: https://github.com/my-github-user/flux-cluster
        personal_account: true
        branch: main
        bootstrap_dir: flux-system
        git_interval: 1m
        kustomization_interval: 30m
        kustomization_timeout: 3m
        helmrelease_interval: 1h
        helmrelease_timeout: 5m
        helmrepository_interval: 2h
        apps_dir: ''
        """)


def test_the_bootstrap_folder_is_the_one_with_the_cookbook_folders(tmp_path):
    with pytest.raises(AdoptError, match="no cookbook layout"):
        find_bootstrap_dir(tmp_path)
    (tmp_path / "bootstrap/helmrepositories").mkdir(parents=True)
    (tmp_path / "flux-system").mkdir()  # flux-system/ without the cookbook's folders does not count
    assert find_bootstrap_dir(tmp_path) == "bootstrap"
    (tmp_path / "flux-system/kustomizations").mkdir()
    with pytest.raises(AdoptError, match="both flux-system/ and bootstrap/"):
        find_bootstrap_dir(tmp_path)


def test_flux_s_own_layout_of_several_clusters_is_named_with_what_can_be_done(tmp_path):
    """flux2-kustomize-helm-example's layout: clusters/production and clusters/staging
    synced, apps in base and overlay folders. No cookbook repository: said so, and that
    check works on it as it is."""
    files = {f"clusters/{name}/flux-system/gotk-sync.yaml": SYNC_AT.replace("{path}", f"./clusters/{name}")
             for name in ("production", "staging")}
    files["apps/base/podinfo/namespace.yaml"] = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: podinfo\n"
    with pytest.raises(AdoptError) as refused:
        find_bootstrap_dir(write(tmp_path, files))
    message = str(refused.value)
    assert "Flux syncs clusters/production/, clusters/staging/ (flux bootstrap --path; each flux-system/gotk-sync.yaml)" \
        in message
    assert "`flux-cookbook check` checks the repository as it is" in message and "flux-cookbook new DEST" in message


def test_a_bootstrap_folder_flux_syncs_further_down_is_named_with_the_way_forward(tmp_path):
    """`flux bootstrap --path=clusters/home`: nested bootstrap folders came with 3.0.0, and
    adopt starts at 1.0.0, whose answers refuse one; the message names the folder and what to do."""
    files = {name.replace("flux-system/", "clusters/home/", 1): text for name, text in PODINFO.items()}
    files["clusters/home/flux-system/gotk-sync.yaml"] = SYNC_AT.replace("{path}", "./clusters/home")
    with pytest.raises(AdoptError) as refused:
        find_bootstrap_dir(write(tmp_path, files))
    message = str(refused.value)
    assert "clusters/home/ holds the cookbook layout (synced by clusters/home/flux-system/gotk-sync.yaml)" in message
    assert "-d bootstrap_dir=clusters/home" in message and "--path=bootstrap" in message


def test_bootstrap_layout_with_flux_bootstraps_own_namespace(tmp_path):
    files = {name.replace("flux-system/", "bootstrap/", 1): text for name, text in PODINFO.items()}
    files["bootstrap/flux-system/gotk-components.yaml"] = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: podinfo\n"
    plan = plan_adoption(write(tmp_path, files), TEMPLATE, NO_GIT)
    assert (plan.bootstrap_dir, plan.apps["podinfo"]["bootstrap_dir"], plan.moves) == ("bootstrap", "bootstrap", [])


# --- refusals --------------------------------------------------------------------------


def test_refuses_what_is_not_a_clean_git_repository_root(tmp_path):
    write(tmp_path / "repo", PODINFO)
    code, _, err = run(tmp_path / "repo")
    assert code == 1 and "is not a git repository" in err
    init_repo(tmp_path / "repo")
    code, _, err = run(tmp_path / "repo/podinfo")
    assert code == 1 and "is not the root of its git repository" in err
    (tmp_path / "repo/podinfo/helmrelease-podinfo.yaml").write_text("# half edited\n")
    before = tree_state(tmp_path / "repo")
    code, out, err = run(tmp_path / "repo")
    assert (code, out) == (1, "") and "has uncommitted changes" in err and "nothing was written" in err
    assert tree_state(tmp_path / "repo") == before


def test_refuses_a_repository_with_answers_already(tmp_path):
    repo = git_repo(tmp_path, {**PODINFO, ".copier-answers.yml": "_commit: v1.0.0\n"})
    code, _, err = run(repo)
    assert code == 1 and "already has .copier-answers.yml" in err and "flux-cookbook update-all" in err


def test_refuses_a_repository_without_the_cookbook_layout(tmp_path):
    repo = git_repo(tmp_path, {"clusters/prod/apps.yaml": "apiVersion: v1\nkind: Namespace\n"})
    code, _, err = run(repo)
    assert code == 1 and "no cookbook layout" in err


def test_a_namespace_in_a_file_adopt_cannot_split_stays_there_and_gets_no_second_copy(tmp_path):
    files = {**PODINFO, **BITNAMI, **postgres_app("keycloak-postgres", "keycloak")}
    del files["flux-system/namespaces/namespace-podinfo.yaml"], files["flux-system/namespaces/namespace-keycloak.yaml"]
    files["flux-system/namespaces/all.yaml"] = "%YAML 1.1\n---\n" + yaml_text(SHARED_FILES["flux-system/namespaces/namespaces.yaml"])
    plan = plan_adoption(write(tmp_path, files), TEMPLATE, NO_GIT)
    assert [plan.apps[app]["owns_namespace"] for app in ("keycloak-postgres", "podinfo")] == [False, False]
    assert not any("all.yaml" in move.source for move in plan.moves) and plan.splits == []
    assert any(
        "Namespace 'podinfo' (flux-system/namespaces/all.yaml) stays where it is (it shares flux-system/namespaces/all.yaml "
        "with 1 other object(s), and adopt cannot split that file: line 1 is a YAML directive (%YAML)" in note
        for note in plan.notes
    )


@pytest.mark.parametrize("namespace", ["flux-system", "kube-system", "default"])
def test_a_namespace_flux_or_kubernetes_owns_gets_no_file(tmp_path, namespace):
    files = {name: text.replace("namespace: podinfo", f"namespace: {namespace}") for name, text in PODINFO.items()}
    del files["flux-system/namespaces/namespace-podinfo.yaml"]
    plan = plan_adoption(write(tmp_path, files), TEMPLATE, NO_GIT)
    assert plan.apps["podinfo"]["owns_namespace"] is False
    assert any(f"namespace '{namespace}' is" in note and "own" in note for note in plan.notes)


def test_values_elsewhere_are_adopted_as_they_are(tmp_path):
    files = {**PODINFO, **BITNAMI, **postgres_app("keycloak-postgres", "keycloak"), **postgres_app("nextcloud", "nextcloud")}
    # podinfo: a ConfigMap of another name
    files["podinfo/configmap-podinfo-helm-chart-value-overrides.yaml"] = files[
        "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml"].replace("name: podinfo-helm-chart-value-overrides", "name: podinfo-values")
    files["podinfo/helmrelease-podinfo.yaml"] = files["podinfo/helmrelease-podinfo.yaml"].replace(
        "name: podinfo-helm-chart-value-overrides", "name: podinfo-values")
    # keycloak-postgres: a configMapGenerator
    files["keycloak-postgres/kustomization.yaml"] = """
        resources: [helmrelease-keycloak-postgres.yaml]
        configMapGenerator:
          - name: keycloak-postgres-helm-chart-value-overrides
            files: [values.yaml]
        """
    files["keycloak-postgres/values.yaml"] = "auth:\n  database: keycloak\n"
    # nextcloud: inline values
    files["nextcloud/helmrelease-nextcloud.yaml"] = yaml_text(files["nextcloud/helmrelease-nextcloud.yaml"]).replace(
        "  valuesFrom:\n    - kind: ConfigMap\n      name: nextcloud-helm-chart-value-overrides\n",
        "  values:\n    auth:\n      database: nextcloud\n")
    plan = plan_adoption(write(tmp_path, files), TEMPLATE, NO_GIT)
    assert sorted(plan.apps) == ["keycloak-postgres", "nextcloud", "podinfo"]
    notes = "\n".join(plan.notes)
    assert "ConfigMap 'podinfo-values' (podinfo/configmap-podinfo-helm-chart-value-overrides.yaml) keeps its name" in notes
    assert ("ConfigMap 'keycloak-postgres-helm-chart-value-overrides' (values of HelmRelease 'keycloak-postgres' "
            "(keycloak-postgres/helmrelease-keycloak-postgres.yaml)) comes from the configMapGenerator in "
            "keycloak-postgres/kustomization.yaml") in notes
    assert "HelmRelease 'nextcloud' (nextcloud/helmrelease-nextcloud.yaml) keeps its values inline (spec.values)" in notes
    assert not any(move.source.startswith("keycloak-postgres/") for move in plan.moves)


def test_every_problem_is_reported_in_one_run(tmp_path):
    files = {**PODINFO, **postgres_app("keycloak-postgres", "keycloak")}  # no bitnami HelmRepository
    helm_repository = yaml_text(files.pop("flux-system/helmrepositories/helmrepository-podinfo.yaml"))
    files["flux-system/helmrepositories/repos.yaml"] = (
        helm_repository + "...\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n")
    release = "keycloak-postgres/helmrelease-keycloak-postgres.yaml"
    files[release] = yaml_text(files[release]).replace("      chart: postgresql\n", "      chart: postgresql\n      version: latest\n")
    found = problems(write(tmp_path, files))
    assert "no file of this repository declares its chart's HelmRepository 'bitnami'" in found
    assert ("HelmRepository 'podinfo' (flux-system/helmrepositories/repos.yaml) must be alone in "
            "flux-system/helmrepositories/helmrepository-podinfo.yaml, or copier update adds a second copy there; "
            "adopt cannot move it: it shares flux-system/helmrepositories/repos.yaml with 1 other object(s), and "
            "adopt cannot split that file: line 9 is a document end marker (...)") in found
    assert "app keycloak-postgres: chart_version 'latest' is not a semver version or range" in found


def test_the_template_must_have_release_1_0_0(tmp_path):
    (tmp_path / "template").mkdir()
    template = init_repo(tmp_path / "template")
    assert "has no tag v1.0.0" in template_error(str(template))
    git(template, "tag", "v1.0.0")
    assert template_error(str(template)) == ""
    assert "neither a folder nor a git URL" in template_error(str(tmp_path / "missing"))
    assert template_error(TEMPLATE) == ""  # copier fetches URLs itself


def test_refuses_answers_the_template_would_reject(tmp_path):
    write(tmp_path, PODINFO)
    release = tmp_path / "podinfo/helmrelease-podinfo.yaml"
    release.write_text(release.read_text().replace("version: 6.x", "version: latest"))
    assert "app podinfo: chart_version 'latest' is not a semver version or range" in problems(tmp_path)


# --- moves -----------------------------------------------------------------------------


def renamed(files: dict[str, str], moves: dict[str, str]) -> dict[str, str]:
    return {moves.get(name, name): text for name, text in files.items()}


MOVES = {
    "flux-system/namespaces/namespace-podinfo.yaml": "flux-system/namespaces/podinfo.yml",
    "flux-system/kustomizations/kustomization-podinfo.yaml": "flux-system/kustomizations/podinfo.yaml",
    "podinfo/helmrelease-podinfo.yaml": "podinfo/release/helmrelease.yaml",
    "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml": "podinfo/values.yaml",
}


def test_objects_alone_in_a_file_move_to_the_template_paths(tmp_path):
    repo = git_repo(tmp_path, renamed(PODINFO, MOVES))
    code, out, err = run(repo)
    assert code == 0, err
    assert set(git(repo, "status", "--porcelain").splitlines()) == {
        *(f"R  {source} -> {target}" for target, source in MOVES.items()),
        "?? .copier-answers.app-podinfo.yml", "?? .copier-answers.yml",
    }
    assert "podinfo/values.yaml -> podinfo/configmap-podinfo-helm-chart-value-overrides.yaml" in out
    assert 'git add -A && git commit -m "Adopt the Flux cookbook template"' in out
    assert "copier update --trust --defaults -a .copier-answers.app-podinfo.yml" in out
    commit_all(repo, "Adopt")
    assert (repo / "podinfo/helmrelease-podinfo.yaml").read_text() == yaml_text(PODINFO["podinfo/helmrelease-podinfo.yaml"])


def test_housekeeping_files_not_to_be_had_are_named(tmp_path):
    from flux_cookbook.adopt.template_files import TemplateFiles

    template = init_repo(write(tmp_path / "template", {"README.md": "no tags here\n"}))
    with pytest.raises(AdoptError, match="has no tag v1.0.0"):
        plan_adoption(write(tmp_path / "repo", PODINFO), str(template), NO_GIT, TemplateFiles(template, str(template)))
    plan = plan_adoption(tmp_path / "repo", TEMPLATE, NO_GIT)  # no template files at hand
    assert plan.added == {}
    assert [note.partition(":")[0] for note in plan.notes if "not added" in note] == [
        ".gitignore not added", ".yamllint not added", ".sourceignore not added"]


def test_housekeeping_files_come_from_the_templates_releases(tmp_path):
    from flux_cookbook.adopt.template_files import TemplateFiles

    template = write(tmp_path / "template", {"template/cluster/.gitignore": "*.rej\n", "template/cluster/.yamllint": "x: 1\n"})
    init_repo(template)
    git(template, "tag", "v1.0.0")
    (template / "template/cluster/.sourceignore").write_text("/.copier-answers*.yml\n*.md\n")
    commit_all(template, "sourceignore")
    git(template, "tag", "v2.2.0")
    repo = write(tmp_path / "repo", {**PODINFO, ".sourceignore": "secrets/\n*.md\n"})
    plan = plan_adoption(repo, str(template), NO_GIT, TemplateFiles(template, str(template)))
    assert plan.added == {".gitignore": "*.rej\n", ".yamllint": "x: 1\n"}
    assert plan.extended[".sourceignore"].startswith("secrets/\n*.md\n# Added by flux-cookbook adopt")
    assert plan.extended[".sourceignore"].endswith("\n/.copier-answers*.yml\n")
    # A file written with CRLF line ends gets its new lines with CRLF too.
    (repo / ".sourceignore").write_bytes(b"secrets/\r\n*.md\r\n")
    plan = plan_adoption(repo, str(template), NO_GIT, TemplateFiles(template, str(template)))
    assert plan.extended[".sourceignore"].startswith("secrets/\r\n*.md\r\n# Added by flux-cookbook adopt")
    assert plan.extended[".sourceignore"].count("\n") == plan.extended[".sourceignore"].count("\r\n") == 4


def test_guesses_say_where_they_come_from(tmp_path):
    write(tmp_path, {**PODINFO, "flux-system/flux-system/gotk-sync.yaml": GOTK_SYNC})
    plan = plan_adoption(tmp_path, TEMPLATE, GitInfo("git@github.com:acme/homelab.git", "main"))
    guesses = "\n".join(plan.guesses)
    assert "repo_owner 'acme' and repo_name 'homelab': guessed from the origin remote (git@github.com:acme/homelab.git)" in guesses
    assert "branch 'production': guessed from flux bootstrap's GitRepository (flux-system/flux-system/gotk-sync.yaml)" in guesses
    assert "Guessed (change them in .copier-answers.yml if wrong):" in adopt_command.describe(plan)


def test_dry_run_prints_answers_and_moves_and_changes_nothing(tmp_path):
    repo = git_repo(tmp_path, renamed(PODINFO, MOVES))
    before = tree_state(repo)
    code, out, _ = run(repo, dry_run=True)
    assert code == 0
    assert "Dry run: nothing moved, split or written" in out and "--- .copier-answers.app-podinfo.yml" in out
    assert "flux-system/namespaces/podinfo.yml -> flux-system/namespaces/namespace-podinfo.yaml" in out
    assert tree_state(repo) == before


def test_a_patch_of_the_helm_release_is_no_second_one(tmp_path):
    """A partial HelmRelease the app's kustomization file names as a patch is the user's change
    to the app's one HelmRelease: the app is adopted, and the patch stays and still applies."""
    patch = "apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nmetadata:\n  name: podinfo\n" \
            "  namespace: podinfo\nspec:\n  interval: 1h\n"
    repo = git_repo(tmp_path, {
        **PODINFO,
        "flux-system/flux-system/gotk-sync.yaml": SYNC_AT.replace("{path}", "./flux-system"),
        "podinfo/kustomization.yaml": """
            resources:
              - helmrelease-podinfo.yaml
              - configmap-podinfo-helm-chart-value-overrides.yaml
            patches:
              - path: patch-interval.yaml # slower in this cluster
            """,
        "podinfo/patch-interval.yaml": patch,
    })
    code, out, err = run(repo)
    assert code == 0, err
    assert "Apps (each gets its own answers file):\n  podinfo: chart podinfo 6.x" in out
    assert "build check: 2 of 2 Flux Kustomization path(s) build" in out
    assert (repo / "podinfo/patch-interval.yaml").read_text() == patch
    assert git(repo, "status", "--porcelain", "podinfo") == ""


def test_an_object_that_cannot_move_stays_the_users_own(tmp_path):
    files = renamed(PODINFO, {"podinfo/helmrelease-podinfo.yaml": "podinfo/hr.yaml"})
    files["podinfo/helmrelease-podinfo.yaml"] = "# an old copy, no longer used\n"
    plan = plan_adoption(write(tmp_path, files), TEMPLATE, NO_GIT)
    assert any(
        "HelmRelease 'podinfo' (podinfo/hr.yaml) stays your own file where it is (podinfo/helmrelease-podinfo.yaml "
        "holds something else)" in note for note in plan.notes
    )


# --- splits ----------------------------------------------------------------------------

HELM_REPOSITORIES = "flux-system/helmrepositories/helmrepositories.yaml"
SHARED_FILES = {
    HELM_REPOSITORIES: (
        "# The cluster's Helm repositories.\n---\n# podinfo's charts\n"
        + yaml_text(PODINFO["flux-system/helmrepositories/helmrepository-podinfo.yaml"])
        + "---\n" + yaml_text(BITNAMI["flux-system/helmrepositories/helmrepository-bitnami.yaml"]).replace(
            "bitnami", "jetstack # no app uses it yet", 1).replace("charts.bitnami.com/bitnami", "charts.jetstack.io")
        + "---\n" + yaml_text(BITNAMI["flux-system/helmrepositories/helmrepository-bitnami.yaml"])
    ).replace("\n", "\r\n"),  # CRLF, as an editor on Windows writes it
    "flux-system/namespaces/namespaces.yaml": """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: podinfo
        ---
        # keycloak's database
        apiVersion: v1
        kind: Namespace
        metadata:
          name: keycloak
        """,
}


def shared_files_repo(root: Path) -> Path:
    files = {**PODINFO, **postgres_app("keycloak-postgres", "keycloak"), **SHARED_FILES}
    for moved in ("helmrepositories/helmrepository-podinfo.yaml", "namespaces/namespace-podinfo.yaml",
                  "namespaces/namespace-keycloak.yaml"):
        del files[f"flux-system/{moved}"]
    write(root, {name: text for name, text in files.items() if name != HELM_REPOSITORIES})
    (root / HELM_REPOSITORIES).parent.mkdir(parents=True, exist_ok=True)
    (root / HELM_REPOSITORIES).write_bytes(SHARED_FILES[HELM_REPOSITORIES].encode())
    return init_repo(root)


def test_objects_sharing_a_file_are_split_out_each_as_written(tmp_path):
    repo = shared_files_repo(tmp_path)
    source = SHARED_FILES[HELM_REPOSITORIES]
    code, out, err = run(repo)
    assert code == 0, err
    assert set(git(repo, "status", "--porcelain", "--no-renames").splitlines()) == {
        f"M  {HELM_REPOSITORIES}",
        "A  flux-system/helmrepositories/helmrepository-podinfo.yaml",
        "A  flux-system/helmrepositories/helmrepository-bitnami.yaml",
        "D  flux-system/namespaces/namespaces.yaml",
        "A  flux-system/namespaces/namespace-podinfo.yaml",
        "A  flux-system/namespaces/namespace-keycloak.yaml",
        "?? .copier-answers.app-keycloak-postgres.yml", "?? .copier-answers.app-podinfo.yml", "?? .copier-answers.yml",
    }
    documents = source.split("---\r\n")
    read = lambda name: (repo / name).read_bytes().decode()  # noqa: E731 - bytes: the line ends as written
    assert read("flux-system/helmrepositories/helmrepository-podinfo.yaml") == documents[1]
    assert read("flux-system/helmrepositories/helmrepository-bitnami.yaml") == documents[3]
    assert read(HELM_REPOSITORIES) == documents[0] + "---\r\n" + documents[2]  # the header and jetstack stay
    assert read("flux-system/namespaces/namespace-keycloak.yaml") == (
        "# keycloak's database\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: keycloak\n")
    assert (f"  split {HELM_REPOSITORIES}: HelmRepository 'podinfo' -> "
            "flux-system/helmrepositories/helmrepository-podinfo.yaml") in out
    assert f"  split {HELM_REPOSITORIES}: HelmRepository 'bitnami' -> flux-system/helmrepositories/helmrepository-bitnami.yaml" in out
    assert f"    {HELM_REPOSITORIES} keeps its other documents, as they are" in out
    assert "    flux-system/namespaces/namespaces.yaml is removed (git rm): every object in it moved\n" in out
    answers = yaml.safe_load((repo / ".copier-answers.app-keycloak-postgres.yml").read_text())
    assert (answers["helm_repo_url"], answers["owns_namespace"]) == ("https://charts.bitnami.com/bitnami", True)


def test_a_dry_run_shows_the_splits_and_changes_nothing(tmp_path):
    repo = shared_files_repo(tmp_path)
    before = tree_state(repo)
    code, out, _ = run(repo, dry_run=True)
    assert code == 0 and "Dry run: nothing moved, split or written" in out
    assert "split flux-system/namespaces/namespaces.yaml: Namespace 'podinfo' -> flux-system/namespaces/namespace-podinfo.yaml" in out
    assert tree_state(repo) == before


def staging_listing(kustomization: str) -> dict[str, str]:
    """podinfo's HelmRelease in a file of another name than the cookbook's, and a second
    cluster whose folder lists it in `kustomization`."""
    return {
        **renamed(PODINFO, {"podinfo/helmrelease-podinfo.yaml": "podinfo/helmrelease.yaml"}),
        "flux-system/flux-system/gotk-sync.yaml": SYNC_AT.replace("{path}", "./flux-system"),
        "clusters/staging/flux-system/gotk-sync.yaml": SYNC_AT.replace("{path}", "./clusters/staging"),
        "clusters/staging/podinfo.yaml": flux_ks("podinfo", "./staging/podinfo"),
        "staging/podinfo/kustomization.yaml": kustomization,
    }


def test_a_kustomization_listing_a_file_adopt_renames_lists_the_new_name(tmp_path):
    """Another cluster's folder lists the HelmRelease file by the name adopt changes (and a
    patch of it): each entry is repointed, as written (quotes, `./`, line ends), and the
    folder still builds. The dry run says so and changes nothing."""
    listing = ('# staging\r\nresources:\r\n  - "../../podinfo/helmrelease.yaml"  # the release\r\n'
               "patches:\r\n  - path: ./../../podinfo/helmrelease.yaml\r\n    target: {kind: HelmRelease}\r\n")
    repo = git_repo(tmp_path, staging_listing(listing))
    before = tree_state(repo)
    code, out, err = run(repo, dry_run=True)
    assert code == 0, err
    assert "staging/podinfo/kustomization.yaml: ../../podinfo/helmrelease.yaml -> ../../podinfo/helmrelease-podinfo.yaml" in out
    assert tree_state(repo) == before
    code, out, err = run(repo)
    assert code == 0, err
    assert (repo / "staging/podinfo/kustomization.yaml").read_bytes().decode() == listing.replace(
        "podinfo/helmrelease.yaml", "podinfo/helmrelease-podinfo.yaml")
    assert "M  staging/podinfo/kustomization.yaml" in git(repo, "status", "--porcelain")
    assert "build check:" in out and "no longer build" not in out + err


def test_a_dry_run_refuses_what_adopting_refuses_naming_the_entry_to_change(tmp_path):
    """Another cluster's folder makes a ConfigMap of the HelmRelease file, by the name adopt
    changes, so its build would break: the real run refuses, and so does the dry run (which
    carries the plan out in a scratch worktree), each naming the entry to change and leaving
    all as it was."""
    repo = git_repo(tmp_path, staging_listing(
        "configMapGenerator:\n- name: release\n  files:\n  - ../../podinfo/helmrelease.yaml\n"))
    before = tree_state(repo)
    for dry_run in (True, False):
        code, out, err = run(repo, dry_run=dry_run)
        assert code == 1 and "./staging/podinfo (Kustomization 'podinfo', clusters/staging/podinfo.yaml)" in err, err
        assert ("staging/podinfo/kustomization.yaml lists ../../podinfo/helmrelease.yaml in its configMapGenerator "
                "files, which adopt renames to podinfo/helmrelease-podinfo.yaml: rename it so yourself (git mv "
                "podinfo/helmrelease.yaml podinfo/helmrelease-podinfo.yaml), list the new name there, commit, and "
                "adopt again.") in err
        assert tree_state(repo) == before and git(repo, "worktree", "list").count("\n") == 1


def folders(repo: Path) -> set[str]:
    return {str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_dir() and ".git" not in p.relative_to(repo).parts}


def test_a_split_is_undone_when_a_path_no_longer_builds(tmp_path, monkeypatch):
    repo = shared_files_repo(tmp_path)
    # The podinfo folder as well: its HelmRelease and values share a file, and both move out.
    release = (repo / "podinfo/helmrelease-podinfo.yaml").read_text()
    values = (repo / "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml").read_text()
    git(repo, "rm", "-q", "podinfo/helmrelease-podinfo.yaml", "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml")
    (repo / "podinfo").mkdir()
    (repo / "podinfo/podinfo.yaml").write_text(release + "---\n" + values)
    # And each Namespace in its app's Kustomization file, so that no namespaces/ folder is there.
    git(repo, "rm", "-q", "flux-system/namespaces/namespaces.yaml")
    for app, namespace in (("podinfo", "podinfo"), ("keycloak-postgres", "keycloak")):
        kustomization = repo / f"flux-system/kustomizations/kustomization-{app}.yaml"
        kustomization.write_text(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n---\n"
                                 + kustomization.read_text())
    commit_all(repo, "podinfo in one file, namespaces beside their Kustomizations")
    plan = plan_adoption(repo, TEMPLATE, NO_GIT)
    assert [split.source for split in plan.splits] == [
        HELM_REPOSITORIES, "flux-system/kustomizations/kustomization-keycloak-postgres.yaml",
        "flux-system/kustomizations/kustomization-podinfo.yaml", "podinfo/podinfo.yaml"]
    assert not (repo / "flux-system/namespaces").exists()
    before, dirs = tree_state(repo), folders(repo)
    monkeypatch.setattr(build_check, "newly_broken", lambda before, after: ["./podinfo: (made up)"])
    code, out, err = run(repo)
    assert code == 1 and "would no longer build" in err and "./podinfo: (made up)" in err
    assert tree_state(repo) == before and folders(repo) == dirs


def test_a_split_refused_where_a_kustomize_config_lists_the_files(tmp_path):
    files = {**PODINFO, **postgres_app("keycloak-postgres", "keycloak"), **SHARED_FILES}
    del files["flux-system/helmrepositories/helmrepository-podinfo.yaml"]
    files["flux-system/helmrepositories/kustomization.yaml"] = "resources:\n  - helmrepositories.yaml\n"
    found = problems(write(tmp_path, files))
    assert (f"HelmRepository 'bitnami' ({HELM_REPOSITORIES}) must be alone in flux-system/helmrepositories/"
            "helmrepository-bitnami.yaml, or copier update adds a second copy there; adopt cannot move it: "
            "flux-system/helmrepositories/kustomization.yaml lists its folder's files by name.") in found


def test_a_split_refused_where_the_target_holds_something_else(tmp_path):
    files = {**PODINFO, **SHARED_FILES}
    del files["flux-system/helmrepositories/helmrepository-podinfo.yaml"]
    files["flux-system/namespaces/namespace-podinfo.yaml"] = "# reserved\n"
    plan = plan_adoption(write(tmp_path, files), TEMPLATE, NO_GIT)
    assert plan.apps["podinfo"]["owns_namespace"] is False
    assert not any(split.source == "flux-system/namespaces/namespaces.yaml" for split in plan.splits)
    assert any("Namespace 'podinfo' (flux-system/namespaces/namespaces.yaml) stays where it is "
               "(flux-system/namespaces/namespace-podinfo.yaml holds something else)" in note for note in plan.notes)


def test_a_split_that_fails_half_way_is_undone(tmp_path, monkeypatch):
    repo = shared_files_repo(tmp_path)
    (repo / "flux-system/namespaces/namespaces.yaml").rename(repo / "flux-system/all-namespaces.yaml")
    (repo / "flux-system/namespaces").rmdir()
    commit_all(repo, "namespaces beside the bootstrap folders")
    before, dirs = tree_state(repo), folders(repo)
    real = carrying_out.staged

    def failing(repo_, *args):
        if args[0] == "add" and any("namespace" in arg for arg in args):
            raise RuntimeError("git add failed: disk full (made up)")
        real(repo_, *args)

    monkeypatch.setattr(carrying_out, "staged", failing)
    code, out, err = run(repo)
    assert code == 1 and "carrying out the adoption failed, and it was undone: git add failed" in err
    # The new files written before git add failed (in a folder adopt made) are gone too.
    assert tree_state(repo) == before and folders(repo) == dirs


def test_a_build_that_fails_unexpectedly_after_writing_is_undone(tmp_path, monkeypatch):
    repo = shared_files_repo(tmp_path)
    before, dirs = tree_state(repo), folders(repo)
    real, calls = build_check.build, []

    def second_fails(repo_, *args, **kwargs):
        calls.append(repo_)
        if len(calls) == 2:
            raise RecursionError("maximum recursion depth exceeded (made up)")
        return real(repo_, *args, **kwargs)

    monkeypatch.setattr(build_check, "build", second_fails)
    code, out, err = run(repo)
    assert code == 1 and "Traceback" not in err
    assert "carrying out the adoption failed, and it was undone: maximum recursion depth exceeded" in err
    assert tree_state(repo) == before and folders(repo) == dirs


EXTRA_CONFIGMAP = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: podinfo\ndata:\n  a: b\n"


@pytest.mark.parametrize("listing, relisting", [
    ("resources:\n  - ../../podinfo/podinfo.yaml # the app\n",
     "resources:\n  - ../../podinfo/podinfo.yaml # the app\n  - ../../podinfo/helmrelease-podinfo.yaml\n"),
    ("resources: ['../../podinfo/podinfo.yaml']\r\n",
     "resources: ['../../podinfo/podinfo.yaml', '../../podinfo/helmrelease-podinfo.yaml']\r\n"),
], ids=["block", "flow-crlf"])
def test_a_kustomization_listing_a_file_adopt_takes_apart_lists_each_part(tmp_path, listing, relisting):
    """podinfo's HelmRelease shares podinfo/podinfo.yaml with a ConfigMap of the user's, and
    another cluster's folder lists that file: adopt moves the HelmRelease out, and the
    listing names both files, so that the other cluster is applied what it was (its build
    still built without it, and Flux would have pruned the HelmRelease there)."""
    repo = staging_lists_podinfo_yaml(tmp_path, listing)
    before = build_check.build(repo)
    code, out, err = run(repo)
    assert code == 0, err
    assert (repo / "staging/podinfo/kustomization.yaml").read_bytes().decode() == relisting
    assert "staging/podinfo/kustomization.yaml: ../../podinfo/podinfo.yaml -> ../../podinfo/podinfo.yaml, " \
           "../../podinfo/helmrelease-podinfo.yaml" in out
    assert staging_objects(build_check.build(repo)) == staging_objects(before) == [
        ("ConfigMap", "extra"), ("HelmRelease", "podinfo")]


def staging_lists_podinfo_yaml(tmp_path: Path, listing: str) -> Path:
    """podinfo's HelmRelease and a ConfigMap of the user's in podinfo/podinfo.yaml, which a
    second cluster's folder lists (`listing`, its kustomization.yaml)."""
    files = {name: text for name, text in PODINFO.items() if name != "podinfo/helmrelease-podinfo.yaml"}
    files["podinfo/podinfo.yaml"] = yaml_text(PODINFO["podinfo/helmrelease-podinfo.yaml"]) + EXTRA_CONFIGMAP
    files.update({
        "flux-system/flux-system/gotk-sync.yaml": SYNC_AT.replace("{path}", "./flux-system"),
        "clusters/staging/flux-system/gotk-sync.yaml": SYNC_AT.replace("{path}", "./clusters/staging"),
        "clusters/staging/podinfo.yaml": flux_ks("podinfo", "./staging/podinfo"),
    })
    repo = git_repo(tmp_path, files)
    (repo / "staging/podinfo").mkdir(parents=True)
    (repo / "staging/podinfo/kustomization.yaml").write_bytes(listing.encode())
    commit_all(repo, "staging")
    return repo


def test_an_adoption_that_would_leave_objects_out_of_a_build_is_undone(tmp_path, monkeypatch):
    """Were the listing not repointed (as an entry no rule knows), the staging folder would
    still build, without podinfo's HelmRelease: adopt refuses, naming it, and leaves all as
    it was."""
    repo = staging_lists_podinfo_yaml(tmp_path, "resources:\n  - ../../podinfo/podinfo.yaml\n")
    monkeypatch.setattr("flux_cookbook.adopt.plan.relisted", lambda root, parts: ({}, []))
    before = tree_state(repo)
    code, out, err = run(repo)
    assert code == 1, out
    assert "these Flux Kustomization paths would no longer apply objects they apply now (Flux would prune them)" in err
    assert "./staging/podinfo (Kustomization 'podinfo', clusters/staging/podinfo.yaml): would no longer apply " \
           "HelmRelease podinfo/podinfo" in err, err
    assert tree_state(repo) == before


def staging_objects(builds: build_check.Builds) -> list[tuple[str, str]]:
    (output,) = [result.output for result in builds.results if result.kustomization.path.strip("./") == "staging/podinfo"]
    return sorted((doc["kind"], doc["metadata"]["name"]) for doc in yaml.safe_load_all(output) if doc)


def test_a_path_a_gitignore_takes_back_with_a_bang_is_not_ignored(tmp_path):
    """`git check-ignore -v` names the last rule that matches, a `!` one too."""
    from flux_cookbook.adopt.git_state import ignored
    from tests.support.project import init_repo

    (tmp_path / ".gitignore").write_text(".*\n!.gitignore\n!.copier-answers*.yml\n")
    init_repo(tmp_path)
    assert ignored(tmp_path, [".copier-answers.yml", ".yamllint"]) == [".yamllint (.gitignore:1: .*)"]
