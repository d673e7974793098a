"""`flux-cookbook check` as users meet it: by hand, as the generated pre-commit hook (run by
the real pre-commit) and as the generated GitHub Actions workflow (checked against the
workflow schema check-jsonschema vendors from schemastore, offline)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from flux_cookbook.cli import main
from tests.support.controller_keys import make_certificate
from tests.support.github_workflow import validate_workflow
from tests.support.project import AUTHOR, commit_all, copy, init_repo, own_copy, update
from tests.support.template_render import render_template_file
from tests.support.template_repo import PROJECT_ROOT, git

PLAIN_SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: podinfo\nstringData:\n  password: hunter2\n"
WORKFLOW = "template/cluster/.github/workflows/check.yaml.jinja"
PRE_COMMIT = "template/cluster/.pre-commit-config.yaml.jinja"


@pytest.fixture(scope="module")
def cluster(template, tmp_path_factory) -> Path:
    """A new cluster repository with the template's defaults (the podinfo example app)."""
    return init_repo(copy(template.path, tmp_path_factory.mktemp("cluster") / "repo"))


def test_a_new_cluster_is_clean(cluster, capsys):
    # Each app the template adds (podinfo, the Sealed Secrets controller) waits for its own
    # HelmRelease, which the repository defines: nothing left to verify on a cluster.
    apps = sorted(path.name.removeprefix(".copier-answers.app-").removesuffix(".yml")
                  for path in cluster.glob(".copier-answers.app-*.yml"))
    assert apps == ["podinfo", "sealed-secrets"]
    assert main(["check", str(cluster)]) == 0
    # The template's apps wait for their HelmRelease, which check verifies: nothing to say.
    # The sync Kustomization, and one per app, followed.
    assert capsys.readouterr().out.splitlines() == [
        f"0 errors, 0 warnings in {_yaml_files(cluster)} files; followed 3 Flux Kustomizations"]


def _yaml_files(repo: Path) -> int:
    listed = subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True, check=True).stdout.split()
    return sum(name.endswith((".yaml", ".yml")) or name.endswith(".yamllint") for name in listed)


def test_errors_fail_with_one_line_each_and_a_summary(cluster, tmp_path, capsys):
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(cluster), str(repo)], check=True)
    (repo / "podinfo" / "secret-db.yaml").write_text(PLAIN_SECRET)
    assert main(["check", str(repo), "--no-build"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-2].startswith("podinfo/secret-db.yaml:1: convention.plain-secret: Secret db is not encrypted")
    assert out[-1] == f"1 error, 0 warnings in {_yaml_files(cluster) + 1} files; followed 3 Flux Kustomizations"


def test_json_output(cluster, tmp_path, capsys):
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(cluster), str(repo)], check=True)
    (repo / "podinfo" / "secret-db.yaml").write_text(PLAIN_SECRET)
    assert main(["check", str(repo), "--format", "json", "--no-build"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["errors"], report["warnings"], report["files"]) == (1, 0, _yaml_files(cluster) + 1)
    assert report["kustomizations"] == [  # each with its cluster (a repository may hold several)
        {"namespace": "flux-system", "name": "flux-system", "path": "bootstrap", "cluster": "bootstrap"},
        {"namespace": "flux-system", "name": "podinfo", "path": "podinfo", "cluster": "bootstrap"},
        {"namespace": "flux-system", "name": "sealed-secrets", "path": "sealed-secrets", "cluster": "bootstrap"},
    ]
    assert report["not_followed"] == []
    assert report["problems"][0] == {
        "path": "podinfo/secret-db.yaml", "line": 1, "rule": "convention.plain-secret",
        "severity": "error", "message": report["problems"][0]["message"],
    }


def test_no_build_still_finds_a_missing_folder(cluster, tmp_path, capsys):
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(cluster), str(repo)], check=True)
    kustomization = repo / "bootstrap/kustomizations/kustomization-podinfo.yaml"
    kustomization.write_text(kustomization.read_text().replace("path: podinfo", "path: podinfoo"))
    assert main(["check", str(repo), "--no-build"]) == 1
    out, err = capsys.readouterr()
    assert "kustomization-podinfo.yaml:8: build: Kustomization flux-system/podinfo (path podinfoo) does not " \
           "build: path not found; podinfo/ is there (a typo?)\n" in out
    # What it left out, said on stderr (standard output stays the problems and the summary).
    assert err == ("flux-cookbook: --no-build: no Kustomization's folder was built (only that each exists was "
                   "checked), and ref.namespace and ref.unused-*, which read the builds, did not run\n")


def test_a_path_alone_says_that_what_it_misses_may_be_applied_elsewhere(cluster, capsys):
    # podinfo/ alone: its namespace and HelmRepository are declared in the bootstrap folder,
    # which --path podinfo does not follow.
    assert main(["check", str(cluster), "--path", "podinfo"]) == 1
    out = capsys.readouterr().out
    assert "names HelmRepository flux-system/podinfo, which nothing applied from --path podinfo defines" in out
    assert "which nothing applied from --path podinfo declares" in out and "(no --path)" in out
    assert "this repository does not define" not in out and "namespaces/namespace-podinfo.yaml" not in out


def test_the_bootstrap_folder_as_path_is_what_check_starts_from_anyway(cluster, capsys):
    """--path bootstrap, before `flux bootstrap` has written its sync: the folder's own files
    (the namespaces and HelmRepositories the apps use) are applied, as without --path."""
    assert not (cluster / "bootstrap/flux-system/gotk-sync.yaml").exists()
    assert main(["check", str(cluster)]) == 0
    whole = capsys.readouterr().out.splitlines()[-1]
    assert main(["check", str(cluster), "--path", "bootstrap"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == whole
    assert whole.startswith("0 errors, 0 warnings") and whole.endswith("followed 3 Flux Kustomizations")
    # The root, which holds the bootstrap folder, and the folder named as an absolute path.
    for path in (".", str(cluster / "bootstrap"), "./bootstrap/"):
        assert main(["check", str(cluster), "--path", path]) == 0, path
        assert capsys.readouterr().out.splitlines()[-1] == whole, path
    # --staged checks a copy of the staged files: an absolute --path names the repository's folder.
    assert main(["check", str(cluster), "--staged", "--path", str(cluster / "bootstrap")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == whole


def test_a_rej_file_an_update_left_fails_check_and_the_commit(cluster, tmp_path, capsys):
    """`copier update --conflict rej` leaves what it could not apply in a .rej file, which
    the repository's .gitignore hides: check names it, and the pre-commit hook's --staged
    refuses the commit, as for unmerged paths."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(cluster), str(repo)], check=True)
    (repo / "podinfo/helmrelease-podinfo.yaml.rej").write_text("@@ -1 +1 @@\n-a\n+b\n")
    assert subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout == ""
    assert main(["check", str(repo)]) == 1
    out = capsys.readouterr().out
    assert ("podinfo/helmrelease-podinfo.yaml.rej:1: update.rejected: changes copier update could not apply "
            "(--conflict rej) to podinfo/helmrelease-podinfo.yaml") in out
    assert main(["check", str(repo), "--staged"]) == 1
    assert "left changes it could not apply in podinfo/helmrelease-podinfo.yaml.rej" in capsys.readouterr().err
    (repo / "podinfo/helmrelease-podinfo.yaml.rej").unlink()
    assert main(["check", str(repo), "--staged"]) == 0


def test_what_seal_writes_passes_the_check(cluster, tmp_path, capsys, key):
    """flux-cookbook seal's SealedSecret (and the controller dependency it adds) is clean."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(cluster), str(repo)], check=True)
    # A controller's certificate, as `kubeseal --fetch-cert` would save it.
    cert = tmp_path / "controller.pem"
    cert.write_bytes(make_certificate(key, days=30))
    assert main(["seal", "podinfo", "db", "--cert", str(cert), "--from-literal", "password=probe", "--repo", str(repo)]) == 0
    assert (repo / "podinfo" / "sealedsecret-db.yaml").is_file()
    capsys.readouterr()
    assert main(["check", str(repo)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("0 errors, 0 warnings")
    # The app's folder alone: the controller is installed from the bootstrap folder, which
    # --path podinfo does not follow, and the folder is not named as a Kustomization it is not.
    assert main(["check", str(repo), "--path", "podinfo"]) == 1
    out = capsys.readouterr().out
    assert ("sealedsecret-db.yaml:3: warning: convention.sealed-secrets-controller: SealedSecret podinfo/db: "
            "nothing applied from --path podinfo installs the Sealed Secrets controller") in out
    assert "this repository installs no" not in out and "flux-system/flux-system" not in out
    assert 'declares: until it exists the apply fails with namespaces "podinfo" not found' in out
    # JSON names no Kustomization there either: none is defined, so no name and namespace.
    assert main(["check", str(repo), "--path", "podinfo", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["kustomizations"] == [
        {"namespace": None, "name": None, "path": "podinfo", "cluster": None}]


def test_a_folder_without_flux_is_refused(tmp_path, capsys):
    (tmp_path / "notes.yaml").write_text("shopping: [milk]\n")
    assert main(["check", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith(f"flux-cookbook: {tmp_path} does not look like a Flux repository")


def test_a_folder_that_is_not_there_is_a_usage_error(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err == (
        f"flux-cookbook: {tmp_path / 'nowhere'} is not a folder; give the cluster repository's folder (default: .)\n"
    )


# --- the pre-commit hook ------------------------------------------------------------------


@pytest.fixture(scope="module")
def published(whole_template, tmp_path_factory) -> Path:
    """Where the template is published (here a bare repository on this machine, its release
    tags and all), and a repository made from a clone of it, as the README's first command
    makes one: its answers record the clone's folder, whose `origin` is the published one."""
    root = tmp_path_factory.mktemp("published")
    git(root, "clone", "-q", "--bare", str(whole_template.path), "template.git")
    git(root, "clone", "-q", str(root / "template.git"), "clone")
    return root / "template.git"


@pytest.fixture(scope="module")
def from_clone(published, tmp_path_factory) -> Path:
    return init_repo(copy(published.parent / "clone", tmp_path_factory.mktemp("from-clone") / "repo"))


def _pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess:
    """`pre-commit run --all-files`, which installs the hook from the repository its config names."""
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=repo, env=env,
                          capture_output=True, text=True, check=False)


def test_pre_commit_config_names_the_published_hook_at_the_release(from_clone, published, template):
    config = yaml.safe_load((from_clone / ".pre-commit-config.yaml").read_text())
    assert config["repos"] == [{"repo": str(published), "rev": template.current, "hooks": [{"id": "flux-cookbook-check"}]}]


def test_pre_commit_hook_passes_a_good_repository_and_stops_a_broken_one(from_clone, tmp_path):
    """The hook judges what is committed: a broken file git does not track is no part of
    it, nor is a file a committed kustomization.yaml lists that is not committed."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(from_clone), str(repo)], check=True)
    home = tmp_path / "pre-commit-home"
    (repo / BROKEN_YAML).write_text("a: [\n")
    good = _pre_commit(repo, home)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "flux-cookbook check" in good.stdout and "Passed" in good.stdout

    (repo / BROKEN_YAML).unlink()
    (repo / "podinfo" / "secret-db.yaml").write_text(PLAIN_SECRET)
    commit_all(repo, "A plain Secret")
    _list_an_extra_configmap(repo, "secret-db.yaml")
    git(repo, "add", "podinfo/kustomization.yaml")
    git(repo, *AUTHOR, "commit", "-q", "-m", "A kustomization.yaml that lists a file not committed")
    broken = _pre_commit(repo, home)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "Failed" in broken.stdout
    assert "podinfo/secret-db.yaml:1: convention.plain-secret:" in broken.stdout
    assert "open podinfo/configmap-extra.yaml: no such file or directory" in broken.stdout


def test_an_update_moves_the_hook_to_the_new_release(from_clone, published, template, tmp_path):
    repo = own_copy(from_clone, tmp_path / "repo")
    assert yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]["rev"] == template.current
    # A release after the one from_clone was made at (made before this test runs), published
    # and fetched into the clone its answers name; taken back after, so that the module's
    # published template and its clone hold the releases they were made with.
    git(tmp_path, "clone", "-q", str(published), "work")
    git(tmp_path / "work", *AUTHOR, "commit", "-q", "--allow-empty", "-m", "A release after this one")
    git(tmp_path / "work", "tag", "v99.0.0")
    try:
        git(tmp_path / "work", "push", "-q", "origin", "HEAD:refs/heads/next", "v99.0.0")
        git(published.parent / "clone", "fetch", "-q", "--tags")
        update(repo, vcs_ref="v99.0.0")
    finally:
        # Each may be missing, when the push failed.
        for where, args in ((published, ["tag", "-d", "v99.0.0"]), (published, ["branch", "-D", "next"]),
                            (published.parent / "clone", ["tag", "-d", "v99.0.0"])):
            subprocess.run(["git", *args], cwd=where, capture_output=True, check=False)
    config = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    assert config["repos"][0]["repo"] == str(published) and config["repos"][0]["rev"] == "v99.0.0"
    assert yaml.safe_load((repo / ".copier-answers.yml").read_text())["_commit"] == "v99.0.0"
    assert "v99.0.0" not in git(published, "tag") + git(published.parent / "clone", "tag")


def test_a_template_folder_without_origin_gets_the_local_hook(cluster, tmp_path):
    """No URL at all: the hook runs the command on PATH, and says how to use the published one."""
    source = tmp_path / "template"
    subprocess.run(["git", "clone", "-q", str(cluster), str(source)], check=True)
    git(source, "remote", "remove", "origin")
    text = render_template_file(PRE_COMMIT, str(source), "v3.1.0")
    assert "#   - repo: https://github.com/<owner>/<template>" in text
    assert yaml.safe_load(text)["repos"][0]["repo"] == "local"
    # As the published hook: what the commit holds.
    assert yaml.safe_load(text)["repos"][0]["hooks"][0]["entry"] == "flux-cookbook check --staged"


def test_pre_commit_config_is_valid(cluster):
    result = subprocess.run([sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
                            cwd=cluster, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the GitHub Actions workflow ---------------------------------------------------------


def _steps(workflow: Path) -> list[dict]:
    result = validate_workflow(workflow)
    assert result.returncode == 0, result.stdout + result.stderr
    return yaml.safe_load(workflow.read_text())["jobs"]["check"]["steps"]


def test_workflow_of_a_repository_from_a_folder_with_no_url_passes_and_says_what_to_set(cluster, from_clone):
    # Made from a template whose origin is a folder on this machine (or that has none),
    # which no runner can reach: a step says what to set, and nothing fails.
    for repo in (cluster, from_clone):
        steps = _steps(repo / ".github/workflows/check.yaml")
        assert len(steps) == 2 and steps[1]["run"].startswith('echo "::warning::flux-cookbook check does not run yet')
        assert "#   - uses: <owner>/<template>@<release tag>" in (repo / ".github/workflows/check.yaml").read_text()


@pytest.mark.parametrize(("src_path", "commit", "action"), [
    ("gh:me/flux-cookbook", "v2.1.1", "me/flux-cookbook@v2.1.1"),
    ("https://github.com/me/flux-cookbook.git", "v2.1.1-3-g0123abc", f"me/flux-cookbook@{'f' * 40}"),
    ("git@github.com:me/flux-cookbook.git", "v3.1.0", "me/flux-cookbook@v3.1.0"),
])
def test_workflow_uses_the_templates_action_at_the_release(tmp_path, src_path, commit, action):
    workflow = tmp_path / "check.yaml"
    workflow.write_text(render_template_file(WORKFLOW, src_path, commit))
    assert _steps(workflow)[1] == {"uses": action}


def test_a_local_clone_is_published_under_its_origin(tmp_path):
    clone = tmp_path / "flux-cookbook"
    clone.mkdir()
    git(clone, "init", "-q")
    git(clone, "remote", "add", "origin", "git@github.com:me/flux-cookbook.git")
    workflow = tmp_path / "check.yaml"
    workflow.write_text(render_template_file(WORKFLOW, str(clone), "v3.1.0"))
    assert _steps(workflow)[1] == {"uses": "me/flux-cookbook@v3.1.0"}
    config = yaml.safe_load(render_template_file(PRE_COMMIT, str(clone), "v3.1.0"))
    assert config["repos"] == [{"repo": "git@github.com:me/flux-cookbook.git", "rev": "v3.1.0",
                                "hooks": [{"id": "flux-cookbook-check"}]}]


@pytest.mark.parametrize(("src_path", "commit", "requirement"), [
    ("gl:me/flux-cookbook", "v2.1.1", "flux-cookbook @ git+https://gitlab.com/me/flux-cookbook.git@v2.1.1"),
    ("https://gitlab.com/me/flux-cookbook.git", "v2.1.1-3-g0123abc",
     f"flux-cookbook @ git+https://gitlab.com/me/flux-cookbook.git@{'f' * 40}"),
    ("ssh://git@git.example.org/me/flux-cookbook.git", "v3.0.0",
     "flux-cookbook @ git+https://git.example.org/me/flux-cookbook.git@v3.0.0"),
])
def test_workflow_elsewhere_installs_the_command_of_the_template_release(tmp_path, src_path, commit, requirement):
    workflow = tmp_path / "check.yaml"
    workflow.write_text(render_template_file(WORKFLOW, src_path, commit))
    steps = _steps(workflow)
    assert steps[2]["run"] == f"pip install '{requirement}'"
    # A push checks the repository; a pull request only what it adds to its base commit.
    assert "if [ -z \"$base\" ]; then exec flux-cookbook check; fi" in steps[3]["run"]
    assert 'flux-cookbook check --base "$base" --format markdown' in steps[3]["run"]
    parsed = Requirement(requirement)  # what pip reads
    assert parsed.name == "flux-cookbook" and parsed.url.startswith("git+https://")


def test_an_invalid_workflow_is_refused(tmp_path):
    """The schema check can fail: a step with both `uses` and `run` is no workflow."""
    workflow = tmp_path / "check.yaml"
    workflow.write_text(render_template_file(WORKFLOW, "gh:me/x", "v1.0.0") + "        run: flux-cookbook check\n")
    assert validate_workflow(workflow).returncode == 1


def test_the_action_and_the_hook_this_repository_ships_are_valid():
    action = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-actions", str(PROJECT_ROOT / "action.yml")],
        capture_output=True, text=True, check=False,
    )
    assert action.returncode == 0, action.stdout + action.stderr
    *_, check = yaml.safe_load((PROJECT_ROOT / "action.yml").read_text())["runs"]["steps"]
    assert check["env"]["BASE"] == "${{ github.event.pull_request.base.sha }}" and '--base "$BASE"' in check["run"]
    hooks = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", ".pre-commit-hooks.yaml"],
                           cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    assert hooks.returncode == 0, hooks.stdout + hooks.stderr
    assert [(hook["id"], hook["entry"]) for hook in yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text())] == [
        ("flux-cookbook-check", "flux-cookbook check --staged")]


EXTRA_CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: podinfo\ndata:\n  answer: \"42\"\n"
# A YAML file that does not parse, in a folder the sync Kustomization applies: an error.
BROKEN_YAML = "bootstrap/namespaces/broken.yaml"


def _list_an_extra_configmap(repo: Path, *more: str) -> None:
    """podinfo/kustomization.yaml listing its files and configmap-extra.yaml, both written, neither staged."""
    listed = ["configmap-podinfo-helm-chart-value-overrides.yaml", "helmrelease-podinfo.yaml", *more, "configmap-extra.yaml"]
    (repo / "podinfo" / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
        + "".join(f"  - {name}\n" for name in listed))
    (repo / "podinfo" / "configmap-extra.yaml").write_text(EXTRA_CONFIGMAP)


def test_staged_checks_what_the_next_commit_holds(cluster, tmp_path, capsys):
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(cluster), str(repo)], check=True)
    (repo / BROKEN_YAML).write_text("a: [\n")
    assert main(["check", str(repo)]) == 1
    capsys.readouterr()
    assert main(["check", str(repo), "--staged"]) == 0  # untracked: no part of the commit
    assert BROKEN_YAML not in capsys.readouterr().out
    (repo / BROKEN_YAML).unlink()
    # The kustomization.yaml staged, the file it lists not: the commit would not build.
    _list_an_extra_configmap(repo)
    git(repo, "add", "podinfo/kustomization.yaml")
    assert main(["check", str(repo)]) == 0
    capsys.readouterr()
    assert main(["check", str(repo), "--staged"]) == 1
    out = capsys.readouterr().out
    assert "build: Kustomization flux-system/podinfo (path podinfo) does not build" in out
    assert "open podinfo/configmap-extra.yaml: no such file or directory" in out
    # Staged, then broken in the working tree only: the commit holds the staged file.
    git(repo, "add", "podinfo/configmap-extra.yaml")
    (repo / "podinfo" / "configmap-extra.yaml").write_text("a: [\n")
    assert main(["check", str(repo)]) == 1
    assert main(["check", str(repo), "--staged"]) == 0


def test_staged_reads_what_git_commit_would_commit(cluster, tmp_path, capsys, monkeypatch):
    """An untracked link out of the repository is no part of the commit, a staged one into it
    by its absolute path is inside it; an intent-to-add
    entry (`git add -N`) is none either, though git writes it out empty; a staged link out
    of it is named in the user's repository; a merge's conflicts are named, as git commit
    names them; and a git before 2.36, without checkout-index's
    --ignore-skip-worktree-bits, writes the index out all the same."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(cluster), str(repo)], check=True)
    (repo / "notes.txt").symlink_to("/etc/hostname")
    assert main(["check", str(repo), "--staged"]) == 0, capsys.readouterr().err
    _list_an_extra_configmap(repo)
    git(repo, "add", "podinfo/kustomization.yaml")
    git(repo, "add", "-N", "podinfo/configmap-extra.yaml")
    capsys.readouterr()
    assert main(["check", str(repo), "--staged"]) == 1
    assert "open podinfo/configmap-extra.yaml: no such file or directory" in capsys.readouterr().out
    git(repo, "reset", "-q", "--hard")
    git(repo, "add", "notes.txt")
    assert main(["check", str(repo), "--staged"]) == 1
    assert capsys.readouterr().err == (f"flux-cookbook: the staged files of {repo} hold symbolic links that lead outside "
                                       "the repository (or into its .git folder); refused, nothing was read through them: notes.txt\n")
    git(repo, "rm", "-q", "--cached", "notes.txt")
    # A link naming a file of the repository by its absolute path is inside it, staged too.
    (repo / "readme-link.md").symlink_to(repo.resolve() / "README.md")
    git(repo, "add", "readme-link.md")
    assert main(["check", str(repo), "--staged"]) == 0, capsys.readouterr().err
    git(repo, "rm", "-q", "--cached", "readme-link.md")

    values = "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml"
    git(repo, "checkout", "-q", "-b", "other")
    (repo / values).write_text("# two\n" + (repo / values).read_text())
    git(repo, *AUTHOR, "commit", "-q", "-am", "two")
    git(repo, "checkout", "-q", "-")
    (repo / values).write_text("# three\n" + (repo / values).read_text())
    git(repo, *AUTHOR, "commit", "-q", "-am", "three")
    assert subprocess.run(["git", *AUTHOR, "merge", "-q", "other"], cwd=repo, capture_output=True).returncode == 1
    assert main(["check", str(repo), "--staged"]) == 1
    assert capsys.readouterr().err == (f"flux-cookbook: --staged: the index of {repo} has unmerged paths ({values}): "
                                       "resolve them and stage the result (git add), as git commit asks\n")
    git(repo, "merge", "--abort")

    old_git = tmp_path / "old-git"
    old_git.mkdir()
    real_git = subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True, check=True).stdout.strip()
    (old_git / "git").write_text(f"#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = --ignore-skip-worktree-bits ] && "
                                 f"{{ echo \"error: unknown option \\`ignore-skip-worktree-bits'\" >&2; exit 129; }}; done\n"
                                 f"exec {real_git} \"$@\"\n")
    (old_git / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{old_git}{os.pathsep}{os.environ['PATH']}")
    assert main(["check", str(repo), "--staged"]) == 0, capsys.readouterr().err


def test_staged_needs_a_staged_cluster_and_no_base(cluster, tmp_path, capsys):
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(cluster), str(repo)], check=True)
    assert main(["check", str(repo), "--staged", "--base", "HEAD"]) == 2
    assert "--staged and --base: give one" in capsys.readouterr().err
    git(repo, "rm", "-r", "-q", "--cached", ".")
    git(repo, "add", "README.md")
    assert main(["check", str(repo), "--staged"]) == 1
    assert capsys.readouterr().err == f"flux-cookbook: the staged files of {repo} hold nothing of Flux: stage the cluster's files (git add)\n"
    (tmp_path / "plain").mkdir()
    assert main(["check", str(tmp_path / "plain"), "--staged"]) == 1
    assert "--staged: git could not write out the staged files" in capsys.readouterr().err


def test_base_reports_only_what_the_change_adds(cluster, tmp_path, capsys):
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(cluster), str(repo)], check=True)
    (repo / "podinfo" / "configmap-extra.yaml").write_text(EXTRA_CONFIGMAP)
    (repo / "podinfo" / "secret-db.yaml").write_text(PLAIN_SECRET)
    assert main(["check", str(repo), "--base", "HEAD", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    # The health-check warnings HEAD has too are not the change's.
    assert [(p["path"], p["rule"]) for p in report["problems"]] == [("podinfo/secret-db.yaml", "convention.plain-secret")]
    assert report["changes"] == [{"kustomization": "flux-system/podinfo", "path": "podinfo", "removed": [], "changed": [],
                                  "added": ["ConfigMap podinfo/extra", "Secret podinfo/db"]}]
    (repo / "podinfo" / "secret-db.yaml").unlink()
    assert main(["check", str(repo), "--base", "HEAD", "--format", "markdown"]) == 0
    comment = capsys.readouterr().out
    assert comment.startswith("### flux-cookbook check against `HEAD`")
    assert "**Kustomization flux-system/podinfo** (`podinfo`)\n- `+` ConfigMap podinfo/extra\n" in comment
    main(["check", str(repo), "--format", "json"])
    followed = len(json.loads(capsys.readouterr().out)["kustomizations"])
    assert f"against HEAD; 1 Flux Kustomization applies something else; followed {followed} Flux Kustomizations" in comment
    # The app's folder alone: named as the folder it is, not as a Kustomization.
    main(["check", str(repo), "--base", "HEAD", "--path", "podinfo", "--format", "markdown"])
    alone = capsys.readouterr().out
    assert "**The folder `podinfo/`** (--path)\n- `+` ConfigMap podinfo/extra\n" in alone and "flux-system/flux-system" not in alone
    main(["check", str(repo), "--base", "HEAD", "--path", "podinfo", "--format", "json"])
    assert [(c["kustomization"], c["path"]) for c in json.loads(capsys.readouterr().out)["changes"]] == [(None, "podinfo")]
    # With --base, the JSON says what it says without: the files, what is followed, what is not.
    main(["check", str(repo), "--format", "json"])
    alone = json.loads(capsys.readouterr().out)
    main(["check", str(repo), "--base", "HEAD", "--format", "json"])
    against = json.loads(capsys.readouterr().out)
    assert {key: against[key] for key in ("files", "kustomizations", "not_followed", "notes")} == \
        {key: alone[key] for key in ("files", "kustomizations", "not_followed", "notes")}
    # --no-build compares no builds: it says so, not that nothing applies something else.
    main(["check", str(repo), "--base", "HEAD", "--no-build"])
    said = capsys.readouterr()
    assert "against HEAD; what each Flux Kustomization applies was not compared (--no-build builds nothing)" in said.out
    assert "something else" not in said.out and "--no-build: no Kustomization's folder was built" in said.err


def test_a_problem_the_base_has_moved_down_by_a_line_is_not_new(cluster, tmp_path, capsys):
    """The base holds a duplicate key (its message names the first one's line); the change
    adds a comment above it: the problem moved, it is not the change's."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(cluster), str(repo)], check=True)
    release = repo / "podinfo/helmrelease-podinfo.yaml"
    text = release.read_text()
    release.write_text(text.replace("  interval: ", "  interval: 5m\n  interval: ", 1))
    commit_all(repo, "A duplicate key")
    release.write_text("# reviewed\n" + release.read_text())
    assert main(["check", str(repo), "--base", "HEAD", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["problems"] == []


def test_a_path_that_builds_on_one_side_only_is_no_list_of_removed_objects(cluster, tmp_path, capsys):
    """The change breaks podinfo's build (a file listed that is not there): the build error
    is the change's problem, and what podinfo applies now is unknown, not nothing (every
    object of it was reported removed)."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(cluster), str(repo)], check=True)
    (repo / "podinfo" / "kustomization.yaml").write_text(
        "resources:\n  - helmrelease-podinfo.yaml\n  - configmap-podinfo-helm-chart-value-overrides.yaml\n  - missing.yaml\n")
    assert main(["check", str(repo), "--base", "HEAD", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [p["rule"] for p in report["problems"]] == ["build"], report["problems"]
    assert report["changes"] == []


def test_a_base_before_the_cluster_was_added_counts_as_empty(cluster, tmp_path, capsys):
    """The pull request that adds the cluster to a repository of only a README: everything is new."""
    repo = tmp_path / "repo"
    (repo / "README.md").parent.mkdir()
    (repo / "README.md").write_text("# cluster\n")
    init_repo(repo)
    subprocess.run(["git", "archive", "-o", str(tmp_path / "cluster.tar"), "HEAD"], cwd=cluster, check=True)
    subprocess.run(["tar", "-xf", str(tmp_path / "cluster.tar"), "-C", str(repo)], check=True)
    (repo / "podinfo" / "secret-db.yaml").write_text(PLAIN_SECRET)
    commit_all(repo, "the cluster")
    assert main(["check", str(repo), "--base", "HEAD~1", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert ("podinfo/secret-db.yaml", "convention.plain-secret") in [(p["path"], p["rule"]) for p in report["problems"]]
    assert ("flux-system/podinfo", "podinfo") in [(c["kustomization"], c["path"]) for c in report["changes"]]


def test_a_base_git_cannot_check_out_is_named_in_one_line(cluster, tmp_path, capsys):
    """The repository's checkout hook that fails (git-lfs's, without git-lfs installed) does
    not run in the check's own worktree; a worktree git cannot add is one line, not a traceback."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(cluster), str(repo)], check=True)
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text("#!/bin/sh\necho 'git-lfs was not found on your path' >&2\nexit 2\n")
    hook.chmod(0o755)
    assert main(["check", str(repo), "--base", "HEAD"]) == 0
    assert "git-lfs" not in capsys.readouterr().err
    (repo / ".git" / "worktrees").write_text("")  # where git keeps its worktrees: no folder
    assert main(["check", str(repo), "--base", "HEAD"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("flux-cookbook: --base HEAD: git could not check it out") and err.count("\n") == 1, err
    assert "could not create leading directories" in err


def test_base_must_be_a_commit(cluster, capsys):
    assert main(["check", str(cluster), "--base", "no-such-ref"]) == 1
    assert "--base no-such-ref: not a commit" in capsys.readouterr().err
