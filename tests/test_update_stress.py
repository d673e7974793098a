"""Updates under stress: whatever happens, nothing the user committed is lost, and the
repository shows in `git status`/`git diff` everything the user had."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.support.git_pause import PausingGit
from tests.support.project import commit_all, cookbook_cli, copier_cli, copy, init_repo, load, own_copy, tree_state
from tests.support.template_repo import git


@pytest.fixture
def v1_repo(v1_made, tmp_path) -> Path:
    """A committed 1.0.0 cluster repository of the test's own."""
    return own_copy(v1_made, tmp_path / "cluster")


def cli_update(repo: Path, template, *args: str) -> subprocess.CompletedProcess:
    return copier_cli("update", "--trust", "--defaults", "--vcs-ref", template.tag("2.0.0"), *args, cwd=repo)


def restored(repo: Path) -> tuple:
    """The repository as HEAD has it, after throwing away everything not committed."""
    git(repo, "reset", "-q", "--hard", "HEAD")
    git(repo, "clean", "-q", "-fd")
    return tree_state(repo)


def test_unresolved_conflicts_block_the_next_update(template, v1_repo):
    configmap = v1_repo / "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml"
    configmap.write_text(configmap.read_text().replace("  namespace: podinfo\n", "  namespace: podinfo\n  labels:\n    team: web\n"))
    commit_all(v1_repo, "Label our values")
    assert cli_update(v1_repo, template).returncode == 0
    assert cli_update(v1_repo, template, "-a", ".copier-answers.app-podinfo.yml").returncode != 0  # dirty: cluster update
    commit_all(v1_repo, "Cluster update")
    assert cli_update(v1_repo, template, "-a", ".copier-answers.app-podinfo.yml").returncode == 0
    assert "<<<<<<< before updating" in configmap.read_text() and "team: web" in configmap.read_text()
    assert "UU podinfo/configmap" in git(v1_repo, "status", "--porcelain")
    left = tree_state(v1_repo)
    again = cli_update(v1_repo, template, "-a", ".copier-answers.app-podinfo.yml")
    assert again.returncode != 0 and "dirty" in again.stderr.lower()
    assert tree_state(v1_repo) == left


@dataclass(frozen=True)
class Updated:
    """A 1.0.0 repository of two apps, podinfo and web, each edited as a test of this module
    edits it, committed, then brought to a release: the cluster's update, committed, then
    each app's in turn, committed after it."""

    repo: Path
    committed: dict[str, bytes]  # every file as committed before the updates
    cluster: subprocess.CompletedProcess
    apps: dict[str, subprocess.CompletedProcess]  # app -> its update
    status: dict[str, str]  # app -> `git status --porcelain` right after its update


@pytest.fixture(scope="module")
def v1_two_apps(template, v1_made, tmp_path_factory) -> Path:
    """The committed 1.0.0 cluster with a second app, web (chart podinfo from a Helm
    repository of its own), added at 1.0.0: two apps to edit each its own way and update
    together."""
    repo = own_copy(v1_made, tmp_path_factory.mktemp("v1-two-apps") / "cluster")
    copy(template.path, repo, vcs_ref=template.tag("1.0.0"), kind="app", app_name="web", chart="podinfo",
         helm_repo_name="charts", helm_repo_url="https://charts.example.com")
    commit_all(repo, "Add web")
    return repo


def updated(repo: Path, vcs_ref: str) -> Updated:
    """`repo`, committed, brought to `vcs_ref` as a user does it: `copier update`, commit,
    then `copier update -a` of each app, commit (copier updates no repository with changes
    not committed)."""
    committed = tree_state(repo)[2]
    to_release = ("update", "--trust", "--defaults", "--vcs-ref", vcs_ref)
    cluster = copier_cli(*to_release, cwd=repo)
    commit_all(repo, "Cluster update")
    apps, status = {}, {}
    for app in ("podinfo", "web"):
        apps[app] = copier_cli(*to_release, "-a", f".copier-answers.app-{app}.yml", cwd=repo)
        status[app] = git(repo, "status", "--porcelain")
        commit_all(repo, f"Update {app}")
    return Updated(repo, committed, cluster, apps, status)


@pytest.fixture(scope="module")
def updated_to_2_0_0(template, v1_two_apps, tmp_path_factory) -> Updated:
    """podinfo without its values ConfigMap, web moved to apps/, updated to 2.0.0 (the
    edits of test_a_deleted_generated_file_stays_deleted and
    test_a_renamed_app_folder_is_not_recreated). Each edit is of one app's own files: the
    migrations treat each app's files on their own, and an app's update renders only its
    own, so each app's files and messages are those of a repository with its edit alone."""
    repo = own_copy(v1_two_apps, tmp_path_factory.mktemp("to-2.0.0") / "cluster")
    chart_defaults_for_podinfo(repo)
    web_in_apps(repo)
    return updated(repo, template.tag("2.0.0"))


def chart_defaults_for_podinfo(repo: Path) -> None:
    (repo / "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml").unlink()
    release = repo / "podinfo/helmrelease-podinfo.yaml"
    release.write_text(release.read_text().split("  valuesFrom:")[0])
    commit_all(repo, "Chart defaults are fine")


def test_a_deleted_generated_file_stays_deleted(updated_to_2_0_0):
    repo = updated_to_2_0_0.repo
    assert updated_to_2_0_0.cluster.returncode == 0
    assert updated_to_2_0_0.apps["podinfo"].returncode == 0
    release = repo / "podinfo/helmrelease-podinfo.yaml"
    assert not (repo / "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml").exists()
    assert "valuesFrom" not in release.read_text() and "helm.toolkit.fluxcd.io/v2\n" in release.read_text()


def test_update_all_settles_what_an_older_release_left_as_a_conflict(template, v1_repo):
    """A comment line above apiVersion: release 2.0.0's own step (fixed in its tag) leaves
    the migrated line in conflict with its render, though the user's file has the release's
    change already. update-all, one release at a time, settles it with this release's code."""
    release = v1_repo / "podinfo/helmrelease-podinfo.yaml"
    release.write_text("# our podinfo, pinned below\n" + release.read_text())
    commit_all(v1_repo, "A note")
    result = cookbook_cli("update-all", str(v1_repo), "--vcs-ref", template.tag("2.0.0"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "podinfo/helmrelease-podinfo.yaml: conflict settled, kept as it is" in result.stdout
    text = release.read_text()
    assert text.startswith("# our podinfo, pinned below\napiVersion: helm.toolkit.fluxcd.io/v2\n") and "<<<<<<<" not in text
    assert git(v1_repo, "status", "--porcelain") == ""


def test_a_values_configmap_with_crlf_line_ends_gets_the_releases_label(template, v1_repo):
    """Values pasted over the placeholder in an editor that writes CRLF: copier's line merge
    conflicts on every line, though only the release's label is new (the values are the
    placeholder in both renders). The label is set in the user's file, CRLF kept; it was put
    back as HEAD had it, without the label, blamed on chart values that could not be read."""
    configmap = v1_repo / "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml"
    text = configmap.read_text()
    assert "# Paste the chart's whole values.yaml here" in text  # the 1.0.0 app was made offline
    head, _, _ = text.partition("  values.yaml: |\n")
    configmap.write_bytes((head + "  values.yaml: |\n    replicaCount: 2 # ours\n    logLevel: debug\n")
                          .replace("\n", "\r\n").encode())
    commit_all(v1_repo, "Our values, saved on Windows")
    result = cookbook_cli("update-all", str(v1_repo), "--vcs-ref", template.current)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "could not be read" not in result.stdout
    data = configmap.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") and b"<<<<<<<" not in data
    document = yaml.safe_load(data.decode())
    assert document["metadata"]["labels"] == {"reconcile.fluxcd.io/watch": "Enabled"}
    assert document["data"]["values.yaml"] == "replicaCount: 2 # ours\nlogLevel: debug\n"


def web_in_apps(repo: Path) -> None:
    git(repo, "mv", "web", "apps")
    kustomization = repo / "flux-system/kustomizations/kustomization-web.yaml"
    kustomization.write_text(kustomization.read_text().replace("path: web", "path: apps"))
    commit_all(repo, "Apps live in apps/")


def test_a_renamed_app_folder_is_not_recreated(updated_to_2_0_0):
    repo = updated_to_2_0_0.repo
    assert updated_to_2_0_0.cluster.returncode == 0
    assert updated_to_2_0_0.apps["web"].returncode == 0
    assert not (repo / "web").exists()
    assert load(repo / "apps/helmrelease-web.yaml")["apiVersion"] == "helm.toolkit.fluxcd.io/v2"
    assert load(repo / "bootstrap/kustomizations/kustomization-web.yaml")["spec"]["path"] == "apps"


SOPS_BLOCK = """sops:
  age:
    - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
      enc: |
        -----BEGIN AGE ENCRYPTED FILE-----
        YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOQ==
        -----END AGE ENCRYPTED FILE-----
  lastmodified: "2024-01-01T00:00:00Z"
  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]
  encrypted_regex: ^(values|data|stringData)$
  version: 3.8.1
"""


@pytest.fixture(scope="module")
def updated_to_current(template, v1_two_apps, tmp_path_factory) -> Updated:
    """podinfo's HelmRelease SOPS-encrypted, web's recorded health check of the user's own,
    updated to the working tree's release (the edits of
    test_a_sops_encrypted_file_is_left_as_the_user_committed_it and
    test_an_update_keeps_health_checks_a_new_app_would_be_refused). On two apps, not one:
    3.1.0's step reads the HelmRelease of an app whose health check the template guessed
    (the encrypted one here) and leaves alone an app whose health check is the user's own,
    so both on podinfo would skip that read. The README removed too, a file of the cluster's."""
    repo = own_copy(v1_two_apps, tmp_path_factory.mktemp("to-current") / "cluster")
    encrypt_podinfos_release(repo)
    own_health_check_for_web(repo)
    git(repo, "rm", "-q", "README.md")  # test_a_readme_the_user_removed_is_not_written_again
    commit_all(repo, "Our notes live elsewhere")
    return updated(repo, template.current)


def encrypt_podinfos_release(repo: Path) -> None:
    release = repo / "podinfo/helmrelease-podinfo.yaml"
    release.write_text(release.read_text() + SOPS_BLOCK)
    commit_all(repo, "Encrypt the HelmRelease with SOPS")


def test_a_sops_encrypted_file_is_left_as_the_user_committed_it(updated_to_current):
    """SOPS's MAC covers the whole file: what copier's merge would change in it (the new
    apiVersion, the release's keys) breaks its decryption in the cluster. It stays byte for
    byte as committed, and the output says what to do instead."""
    repo, cluster, app = updated_to_current.repo, updated_to_current.cluster, updated_to_current.apps["podinfo"]
    encrypted = updated_to_current.committed["podinfo/helmrelease-podinfo.yaml"]
    assert cluster.returncode == 0, cluster.stderr
    assert "podinfo/helmrelease-podinfo.yaml: SOPS-encrypted; left as it is" in cluster.stdout  # the migration's step
    assert app.returncode == 0, app.stderr
    assert (repo / "podinfo/helmrelease-podinfo.yaml").read_bytes() == encrypted
    assert "podinfo/helmrelease-podinfo.yaml: SOPS-encrypted, so the update left it as it was" in app.stdout + app.stderr
    assert "podinfo/helmrelease-podinfo.yaml" not in updated_to_current.status["podinfo"]
    # The rest of the app is updated as usual.
    assert load(repo / "bootstrap/kustomizations/kustomization-podinfo.yaml")["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1"


def own_health_check_for_web(repo: Path) -> None:
    answers = repo / ".copier-answers.app-web.yml"
    recorded = yaml.safe_load(answers.read_text())
    answers.write_text(answers.read_text().replace(yaml.safe_dump({"health_checks": recorded["health_checks"]}),
                                                   "health_checks:\n- kind: deployment\n  name: web\n  namespace: web\n"))
    commit_all(repo, "A health check of our own")


def test_a_readme_the_user_removed_is_not_written_again(updated_to_current):
    """The README is written on copy only (copier.yml's _skip_if_exists), and copier writes
    such a file again wherever it is missing: one the user removed came back on every update."""
    cluster = updated_to_current.cluster
    assert cluster.returncode == 0
    assert not (updated_to_current.repo / "README.md").exists()
    assert "README.md: not written again, as you removed it (commit " in cluster.stdout + cluster.stderr


def test_an_update_keeps_health_checks_a_new_app_would_be_refused(updated_to_current):
    """A new app's health checks must name objects Kubernetes could have; an update takes
    the recorded ones as they are (adopt records a hand-made repository's own), so a kind
    written in lower case does not stop it."""
    answers = ".copier-answers.app-web.yml"
    assert yaml.safe_load(updated_to_current.committed[answers])["health_checks"] == [
        {"kind": "deployment", "name": "web", "namespace": "web"}]
    assert updated_to_current.cluster.returncode == 0
    app = updated_to_current.apps["web"]
    assert app.returncode == 0, app.stderr
    assert yaml.safe_load((updated_to_current.repo / answers).read_text())["health_checks"][0]["kind"] == "deployment"


@pytest.mark.parametrize("nonsense, message", [
    ("kind: app\napp_name: [unclosed\n", "yaml"),
    (None, "commit"),  # _commit that names no commit of the template
    (None, "app_name"),  # an answer no validator accepts
])
def test_answers_edited_into_nonsense(template, v1_repo, nonsense, message):
    answers = v1_repo / ".copier-answers.app-podinfo.yml"
    text = answers.read_text()
    if nonsense is None and message == "commit":
        nonsense = text.replace("_commit: v1.0.0", "_commit: v0.0.0-nonsense")
    elif nonsense is None:
        nonsense = text.replace("app_name: podinfo", "app_name: Pod_Info")
    answers.write_text(nonsense)
    commit_all(v1_repo, "Edited by hand")
    before = tree_state(v1_repo)
    result = cli_update(v1_repo, template, "-a", ".copier-answers.app-podinfo.yml")
    assert result.returncode != 0
    assert message in result.stderr.lower()
    assert tree_state(v1_repo) == before


# Points of a 1.0.0 -> 2.0.0 update, each the Nth `git <sub>` it runs in the repository.
INTERRUPTIONS = {
    "migration begun, nothing moved": ("mv", 1),
    "migration halfway through its moves": ("mv", 4),
    "migration staged, copier not yet merging": ("write-tree", 1),
    "copier applying the user's changes": ("apply", 1),
}


@pytest.mark.parametrize("point", INTERRUPTIONS)
def test_an_interrupted_update_loses_nothing_committed(template, v1_repo, tmp_path, point):
    """Kill `copier update` and the migration it runs at several points (SIGKILL: no clean-up at all).

    The whole process group is killed, as a closed terminal or Ctrl-C does.
    """
    (v1_repo / "podinfo/notes.md").write_text("our runbook\n")
    commit_all(v1_repo, "Runbook")
    head, _, committed = tree_state(v1_repo)
    pause = PausingGit(tmp_path / "pause", v1_repo, *INTERRUPTIONS[point])
    (tmp_path / "tmp").mkdir()  # what the killed copier leaves behind stays in the test's folder
    process = subprocess.Popen(
        [sys.executable, "-m", "copier", "update", "--trust", "--defaults", "--vcs-ref", template.tag("2.0.0")],
        cwd=v1_repo, env={**pause.env, "TMPDIR": str(tmp_path / "tmp")}, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    reached = pause.wait(process)
    if reached:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    pause.close()
    assert reached, f"the update ended before {point}"
    if (v1_repo / ".git/index.lock").exists():
        # git's own advice after a killed git command; nothing of the user's is in it.
        (v1_repo / ".git/index.lock").unlink()
    # Nothing committed moved, and whatever the update did so far shows in git status.
    assert git(v1_repo, "rev-parse", "HEAD").strip() == head.strip()
    shown = set()
    for line in git(v1_repo, "status", "--porcelain", "--untracked-files=all").splitlines():
        shown.update(line[3:].split(" -> "))
    differs = {f for f, data in committed.items() if not (v1_repo / f).exists() or (v1_repo / f).read_bytes() != data}
    assert differs <= shown
    assert restored(v1_repo)[2] == committed


def app_with_fetched_values(template, tmp_path: Path, **data) -> Path:
    """A cluster with app web, its podinfo values fetched from a Helm repository on loopback."""
    from tests.support.helm_repo_server import serve_helm_repo

    repo = init_repo(copy(template.path, tmp_path / "repo", include_example_app=False, sealed_secrets=False))
    with serve_helm_repo(tmp_path) as url:
        copy(template.path, repo, kind="app", app_name="web", chart="podinfo", helm_repo_url=url, chart_version="6.x",
             **data)
    commit_all(repo, "Add web")
    return repo


def update_to_an_unreachable_url(repo: Path) -> subprocess.CompletedProcess:
    """`copier update -d helm_repo_url=<another>` while it is out of reach (FLUX_COOKBOOK_OFFLINE)."""
    result = copier_cli("update", "--trust", "--defaults", "-a", ".copier-answers.app-web.yml",
                        "-d", "helm_repo_url=https://charts.example.invalid", cwd=repo)
    assert result.returncode == 0, result.stderr
    return result


def test_values_that_cannot_be_read_on_update_are_kept_not_replaced_by_the_placeholder(template, tmp_path):
    """The new render has the placeholder, the old one the values; the app keeps its
    values, edited or not, and the answers the new URL."""
    repo = app_with_fetched_values(template, tmp_path)
    configmap = repo / "web/configmap-web-helm-chart-value-overrides.yaml"
    assert "replicaCount: 1" in configmap.read_text()
    for edit in ("", "replicaCount: 3"):
        if edit:
            configmap.write_text(configmap.read_text().replace("replicaCount: 1", edit, 1))
            commit_all(repo, "Three replicas")
        values = configmap.read_bytes()
        result = update_to_an_unreachable_url(repo)
        assert configmap.read_bytes() == values
        assert "values were kept as they were" in result.stdout + result.stderr
        assert "configmap" not in git(repo, "status", "--porcelain")
        assert yaml.safe_load((repo / ".copier-answers.app-web.yml").read_text())["helm_repo_url"] == \
            "https://charts.example.invalid"
        git(repo, "reset", "-q", "--hard", "HEAD")


def test_inline_values_that_cannot_be_read_on_update_are_kept_too(template, tmp_path):
    """values_in: inline, the values in the HelmRelease: its `values:` block is kept, the
    rest of the file as the update makes it."""
    repo = app_with_fetched_values(template, tmp_path, values_in="inline")
    release = repo / "web/helmrelease-web.yaml"
    assert "replicaCount: 1" in release.read_text()
    before = release.read_bytes()
    result = update_to_an_unreachable_url(repo)
    assert release.read_bytes() == before
    assert "web/helmrelease-web.yaml: the chart's values could not be read" in result.stdout + result.stderr


def test_what_an_update_with_conflict_rej_could_not_apply_is_named(v1_repo, template):
    """`copier update --conflict rej`: a change copier cannot apply goes into a .rej file,
    which the template's .gitignore hides from `git status`, and the release's lines stand
    in the file where the user's were. The update names each .rej file and what to do."""
    configmap = v1_repo / "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml"
    configmap.write_text(configmap.read_text().replace(
        "  namespace: podinfo\n", "  namespace: podinfo\n  labels:\n    reconcile.fluxcd.io/watch: Disabled\n", 1))
    commit_all(v1_repo, "Not watched")
    newest = ("update", "--trust", "--defaults", "--vcs-ref", template.current)
    assert copier_cli(*newest, cwd=v1_repo).returncode == 0
    commit_all(v1_repo, "The cluster at the newest release")
    result = copier_cli(*newest, "--conflict", "rej", "-a", ".copier-answers.app-podinfo.yml", cwd=v1_repo)
    assert result.returncode == 0, result.stderr
    rejected = [line[3:] for line in git(v1_repo, "status", "--porcelain", "--ignored").splitlines()
                if line.endswith(".rej")]
    assert rejected, git(v1_repo, "status", "--porcelain", "--ignored")
    said = result.stdout + result.stderr
    assert "copier could not apply some of the release's changes, and left them in" in said
    assert all(name in said for name in rejected), said


HELM_RELEASE_TEMPLATE = "template/app/{{ layout.app_dir(app_name, apps_dir) }}/helmrelease-{{ app_name }}.yaml.jinja"


def test_a_key_a_release_adds_that_the_user_set_elsewhere_is_left_as_a_conflict(template, tmp_path):
    """A later release adds `maxHistory: 5` after releaseName; the user had set it at the end
    of the spec. copier merges that without a conflict, into a HelmRelease holding the key
    twice, which Flux refuses: update-all leaves it uncommitted, as a conflict, and says
    which key; plain copier's update names it too."""
    later = tmp_path / "template"
    git(tmp_path, "clone", "-q", str(template.path), str(later))
    release_line = "  releaseName: {{ release_name | yaml_scalar }}\n"
    text = (later / HELM_RELEASE_TEMPLATE).read_text()
    assert release_line in text
    (later / HELM_RELEASE_TEMPLATE).write_text(text.replace(release_line, release_line + "  maxHistory: 5\n"))
    major, minor, patch = template.current.lstrip("v").split(".")
    next_tag = f"v{major}.{minor}.{int(patch) + 1}"
    git(later, "-c", "user.name=tests", "-c", "user.email=tests@invalid", "commit", "-q", "-am", "maxHistory")
    git(later, "tag", next_tag)

    repo = init_repo(copy(later, tmp_path / "cluster", vcs_ref=template.current, include_example_app=False,
                          sealed_secrets=False))
    copy(later, repo, vcs_ref=template.current, kind="app", app_name="web", chart="podinfo",
         helm_repo_url="https://charts.example.invalid", fetch_values=False)
    release = repo / "web/helmrelease-web.yaml"
    release.write_text(release.read_text() + "  maxHistory: 3 # ours\n")
    commit_all(repo, "web, with a history of 3")
    plain = own_copy(repo, tmp_path / "plain")

    result = cookbook_cli("update-all", str(repo), "--vcs-ref", next_tag, "--trust")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = release.read_text().splitlines()
    first, second = lines.index("  maxHistory: 5") + 1, lines.index("  maxHistory: 3 # ours") + 1
    assert (f".copier-answers.app-web.yml: the update left conflicts in:\n  web/helmrelease-web.yaml: maxHistory "
            f"(lines {first} and {second}) twice in one mapping\n") in result.stderr, result.stderr
    assert git(repo, "status", "--porcelain") == " M .copier-answers.app-web.yml\n M web/helmrelease-web.yaml\n"
    # The build check after it says why ./web no longer builds, and that this update is not committed.
    assert ("(Files left with a key twice in one mapping do not build until you keep one: web/helmrelease-web.yaml.)"
            in result.stderr and "that one is not" in result.stderr), result.stderr
    # Done as the message says (keep one line, commit the whole update, run it again), the run goes on.
    assert "commit the whole update, its other changes too (`git add -A && git commit`)" in result.stderr, result.stderr
    settled = own_copy(repo, tmp_path / "settled")
    (settled / "web/helmrelease-web.yaml").write_text(release.read_text().replace("  maxHistory: 5\n", ""))
    git(settled, "add", "-A")
    git(settled, "commit", "-q", "-m", "Update web, keeping our history")
    result = cookbook_cli("update-all", str(settled), "--vcs-ref", next_tag, "--trust")
    assert result.returncode == 0 and git(settled, "status", "--porcelain") == "", result.stdout + result.stderr

    result = copier_cli("update", "--trust", "--defaults", "-a", ".copier-answers.app-web.yml", "--vcs-ref", next_tag,
                        cwd=plain)
    assert result.returncode == 0, result.stderr
    assert (f"  web/helmrelease-web.yaml: the merge left maxHistory (lines {first} and {second}) twice in one "
            "mapping, your line and the release's: keep one, then commit it with the rest of the update") in result.stdout + result.stderr
