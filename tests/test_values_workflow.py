"""What keeps a generated repository's chart values current without anyone remembering:
the scheduled workflow (checked against the GitHub Actions workflow schema) and
renovate.json (checked by Renovate's own renovate-config-validator), in new repositories
and in repositories updated from the release before them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.github_workflow import validate_workflow
from tests.support.helm_repo_server import CHARTS, serve_helm_repo
from tests.support.project import commit_all, copy, init_repo, update
from tests.support.template_render import render_template_file
from tests.support.template_repo import PROJECT_ROOT, git

WORKFLOW = ".github/workflows/chart-values.yaml"
# The newest Renovate that runs on Node.js 20 (40 and later need Node.js 22 or 24),
# installed once into the project's .cache/ (ignored by git) and reused.
RENOVATE = "renovate@39.99.0"
RENOVATE_DIR = PROJECT_ROOT / ".cache" / "renovate-39.99.0"


@pytest.fixture(scope="module")
def cluster(template, tmp_path_factory) -> Path:
    return init_repo(copy(template.path, tmp_path_factory.mktemp("cluster") / "repo",
                          include_example_app=False, sealed_secrets=False))


def _valid_workflow(text: str, tmp_path: Path) -> dict:
    path = tmp_path / "chart-values.yaml"
    path.write_text(text)
    result = validate_workflow(path)
    assert result.returncode == 0, result.stdout + result.stderr
    return yaml.safe_load(text)


def test_the_workflow_of_a_published_template_is_a_valid_workflow(tmp_path):
    text = render_template_file(f"template/cluster/{WORKFLOW}.jinja", "gh:me/flux-cookbook", "v3.1.0")
    workflow = _valid_workflow(text, tmp_path)
    assert workflow[True]["schedule"] and "workflow_dispatch" in workflow[True]  # `on:` is YAML 1.1's true
    steps = workflow["jobs"]["refresh"]["steps"]
    assert any(step.get("uses", "").startswith("peter-evans/create-pull-request@v") for step in steps)
    runs = "\n".join(step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"])
    assert "pip install 'flux-cookbook @ git+https://github.com/me/flux-cookbook.git@v3.1.0'" in runs
    assert "flux-cookbook values outdated --format json" in runs and 'flux-cookbook values refresh "$APP"' in runs
    assert workflow["jobs"]["refresh"]["strategy"]["matrix"]["app"] == "${{ fromJSON(needs.outdated.outputs.apps) }}"


def test_the_workflow_of_a_template_with_no_url_is_valid_and_says_what_to_set(cluster, tmp_path):
    workflow = _valid_workflow((cluster / WORKFLOW).read_text(), tmp_path)
    assert list(workflow["jobs"]) == ["not-set-up"]
    assert workflow["jobs"]["not-set-up"]["steps"][0]["run"].startswith('echo "::warning::')


PODINFO = CHARTS / "podinfo"


def _run_step(workflow: dict, job: str, name: str, repo: Path, tmp_path: Path, **env: str):
    """A step's `run` script, as a runner runs it (bash -eo pipefail), in `repo`, with this
    checkout's flux-cookbook on the PATH: (exit code, what it wrote to GITHUB_OUTPUT, stdout)."""
    script = next(step["run"] for step in workflow["jobs"][job]["steps"] if step.get("name") == name)
    bin_dir, output = tmp_path / "bin", tmp_path / "github-output"
    bin_dir.mkdir(exist_ok=True)
    command = bin_dir / "flux-cookbook"
    command.write_text(f"#!/bin/sh\nPYTHONPATH={PROJECT_ROOT} exec {sys.executable} -m flux_cookbook \"$@\"\n")
    command.chmod(0o755)
    output.write_text("")
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=repo,
                            capture_output=True, text=True, check=False,
                            env={**os.environ, "RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(output),
                                 "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **env})
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return result.returncode, outputs, result.stdout


@pytest.fixture(scope="module")
def published_workflow(tmp_path_factory) -> dict:
    text = render_template_file(f"template/cluster/{WORKFLOW}.jinja", "gh:me/flux-cookbook", "v3.1.0")
    return _valid_workflow(text, tmp_path_factory.mktemp("workflow"))


def test_a_repository_without_apps_has_nothing_to_refresh(published_workflow, cluster, tmp_path):
    """`values outdated` says "has no apps" there: no app to refresh, and no failure (an
    empty list, not the empty text that fromJSON cannot read)."""
    code, outputs, _ = _run_step(published_workflow, "outdated", "Apps whose values are behind", cluster, tmp_path)
    assert (code, outputs) == (0, {"apps": "[]"})


def test_apps_whose_values_are_current_pass_and_one_behind_is_listed(published_workflow, template, tmp_path):
    """The weekly run on a repository whose apps are fine: the job passes with nothing to
    refresh (every app's JSON row has `"problem": ""`, which jq counts as true: the step
    failed every run, naming each app). One app behind is listed, and the job passes."""
    repo = init_repo(copy(template.path, tmp_path / "repo", include_example_app=False, sealed_secrets=False))
    with serve_helm_repo(tmp_path) as url:
        copy(template.path, repo, kind="app", app_name="web", chart="podinfo", chart_version="6.x", helm_repo_url=url)
        copy(template.path, repo, kind="app", app_name="old", chart="podinfo", chart_version="6.x", helm_repo_url=url,
             helm_repo_name="podinfo", values_source=str(PODINFO / "6.0.3"))
        commit_all(repo, "Add web and old")
        code, outputs, stdout = _run_step(published_workflow, "outdated", "Apps whose values are behind", repo, tmp_path)
    assert (code, outputs, stdout) == (0, {"apps": '["old"]'}, ""), stdout


def test_a_chart_that_cannot_be_read_fails_the_job_and_a_failed_refresh_too(published_workflow, template, tmp_path):
    repo = init_repo(copy(template.path, tmp_path / "repo", include_example_app=False, sealed_secrets=False))
    copy(template.path, repo, kind="app", app_name="web", chart="podinfo", chart_version="6.x",
         helm_repo_url="https://charts.example.invalid", fetch_values=False)
    commit_all(repo, "Add web")
    code, outputs, stdout = _run_step(published_workflow, "outdated", "Apps whose values are behind", repo, tmp_path)
    assert code == 1 and outputs == {"apps": "[]"}
    assert stdout.startswith("::error::web: ")
    code, _, stdout = _run_step(published_workflow, "refresh", "Refresh the app's values (one commit)", repo, tmp_path,
                                APP="web")
    assert code == 1 and "::error::flux-cookbook values refresh web failed and wrote nothing" in stdout
    assert git(repo, "status", "--porcelain") == ""


def _renovate_validator() -> Path:
    validator = RENOVATE_DIR / "node_modules" / ".bin" / "renovate-config-validator"
    if not validator.exists():
        if not shutil.which("npm"):
            pytest.skip("npm is not installed: Renovate's config validator cannot be installed")
        RENOVATE_DIR.mkdir(parents=True, exist_ok=True)
        # Without install scripts or optional packages: the validator needs neither (RE2's
        # native build is optional, JavaScript's RegExp stands in), and the install takes
        # seconds rather than minutes.
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--omit=optional",
                        "--prefix", str(RENOVATE_DIR), RENOVATE],
                       check=True, capture_output=True, text=True)
    return validator


@pytest.mark.integration
def test_renovate_json_passes_renovates_own_validator(cluster, tmp_path):
    validator = _renovate_validator()
    config = json.loads((cluster / "renovate.json").read_text())
    assert {"matchManagers": ["flux"], "rangeStrategy": "replace"}.items() <= config["packageRules"][0].items()

    def validate(folder: Path) -> subprocess.CompletedProcess:
        return subprocess.run([str(validator), "--strict", "renovate.json"], cwd=folder,
                              capture_output=True, text=True, check=False)

    result = validate(cluster)
    assert result.returncode == 0 and "Config validated successfully" in result.stdout, result.stdout + result.stderr
    # The judge can say no: an option Renovate does not have (a typo of matchManagers).
    config["packageRules"][0]["matchManager"] = config["packageRules"][0].pop("matchManagers")
    (tmp_path / "renovate.json").write_text(json.dumps(config))
    assert validate(tmp_path).returncode != 0


@pytest.mark.from_release_3_0  # made at 3.0.1
def test_an_update_from_3_0_1_adds_them_and_keeps_the_apps_values(template, tmp_path):
    made_at = template.tag("3.0.1")
    repo = init_repo(copy(template.path, tmp_path / "repo", vcs_ref=made_at,
                          include_example_app=False, sealed_secrets=False))
    with serve_helm_repo(tmp_path) as url:
        copy(template.path, repo, vcs_ref=made_at, kind="app", app_name="podinfo", helm_repo_url=url,
             chart_version="6.x", values_overrides={"replicaCount": 2})
        commit_all(repo, "Add podinfo")
        configmap = repo / "podinfo/configmap-podinfo-helm-chart-value-overrides.yaml"
        values_before = configmap.read_text()
        update(repo)
        commit_all(repo, "Update the cluster")
        update(repo, ".copier-answers.app-podinfo.yml")
    assert (repo / WORKFLOW).is_file() and (repo / "renovate.json").is_file()
    assert configmap.read_text() == values_before
    assert "<<<<<<<" not in git(repo, "diff", "HEAD") and not list(repo.rglob("*.rej"))
    assert yaml.safe_load((repo / ".copier-answers.app-podinfo.yml").read_text())["values_chart_version"] == ""
