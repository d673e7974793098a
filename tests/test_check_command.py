"""`flux-cookbook check` as users meet it: by hand, as the generated pre-commit hook (run by
the real pre-commit) and as the generated GitHub Actions workflow (checked against the
workflow schema check-jsonschema vendors from schemastore, offline)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
import yaml
from packaging.requirements import Requirement

from flux_cookbook.cli import main
from tests.support.controller_keys import make_certificate
from tests.support.project import commit_all, copy, init_repo
from tests.support.template_repo import PROJECT_ROOT

PLAIN_SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: podinfo\nstringData:\n  password: hunter2\n"
WORKFLOW = "template/cluster/.github/workflows/check.yaml.jinja"


@pytest.fixture(scope="module")
def cluster(template, tmp_path_factory) -> Path:
    """A new cluster repository with the template's defaults (the podinfo example app)."""
    return init_repo(copy(template.path, tmp_path_factory.mktemp("cluster") / "repo"))


def test_a_new_cluster_warns_only_of_the_health_checks_it_cannot_verify(cluster, capsys):
    # Each app the template adds (podinfo, the Sealed Secrets controller) waits for the
    # Deployment its chart renders: a health check no file defines, which only a cluster
    # can confirm. A warning each; the check passes.
    apps = sorted(path.name.removeprefix(".copier-answers.app-").removesuffix(".yml")
                  for path in cluster.glob(".copier-answers.app-*.yml"))
    assert apps == ["podinfo", "sealed-secrets"]
    assert main(["check", str(cluster)]) == 0
    *lines, summary = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "bootstrap/kustomizations/kustomization-podinfo.yaml:15: warning: ref.health-check: Kustomization "
        "flux-system/podinfo: health check Deployment podinfo/podinfo cannot be verified offline: podinfo/ "
        "defines no such object; HelmRelease podinfo/podinfo may make it"
    )
    assert [line.split(": ")[0:3] for line in lines] == [
        [f"bootstrap/kustomizations/kustomization-{app}.yaml:15", "warning", "ref.health-check"] for app in apps
    ]
    assert summary == f"0 errors, {len(apps)} warnings in {_yaml_files(cluster)} files"


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
    assert out[-1] == f"1 error, 2 warnings in {_yaml_files(cluster) + 1} files"


def test_json_output(cluster, capsys):
    assert main(["check", str(cluster), "--format", "json", "--no-build"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["errors"], report["warnings"], report["files"]) == (0, 2, _yaml_files(cluster))
    assert report["problems"][0] == {
        "path": "bootstrap/kustomizations/kustomization-podinfo.yaml", "line": 15, "rule": "ref.health-check",
        "severity": "warning", "message": report["problems"][0]["message"],
    }


def test_no_build_still_finds_a_missing_folder(cluster, tmp_path, capsys):
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(cluster), str(repo)], check=True)
    kustomization = repo / "bootstrap/kustomizations/kustomization-podinfo.yaml"
    kustomization.write_text(kustomization.read_text().replace("path: podinfo", "path: podinfoo"))
    assert main(["check", str(repo), "--no-build"]) == 1
    assert "kustomization-podinfo.yaml:1: build: Kustomization flux-system/podinfo (path podinfoo) does not " \
           "build: path not found" in capsys.readouterr().out


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
    assert capsys.readouterr().out.splitlines()[-1].startswith("0 errors, 2 warnings")


def test_a_folder_without_flux_is_refused(tmp_path, capsys):
    (tmp_path / "notes.yaml").write_text("shopping: [milk]\n")
    assert main(["check", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith(f"flux-cookbook: {tmp_path} does not look like a Flux repository")


def test_a_folder_that_is_not_there_is_a_usage_error(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nowhere")]) == 1
    assert capsys.readouterr().err == (
        f"flux-cookbook: {tmp_path / 'nowhere'} is not a folder; give the cluster repository's folder (default: .)\n"
    )


# --- the pre-commit hook ------------------------------------------------------------------


def _pre_commit(repo: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """`pre-commit run --all-files` with flux-cookbook on PATH as this checkout's command,
    as it is for a user who installed it with pipx."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "flux-cookbook"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m flux_cookbook "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(PROJECT_ROOT),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
    }
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=repo, env=env,
                          capture_output=True, text=True, check=False)


def test_pre_commit_hook_passes_a_good_repository_and_stops_a_broken_one(cluster, tmp_path):
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(cluster), str(repo)], check=True)
    good = _pre_commit(repo, tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "flux-cookbook check" in good.stdout and "Passed" in good.stdout

    (repo / "podinfo" / "secret-db.yaml").write_text(PLAIN_SECRET)
    commit_all(repo, "A plain Secret")
    broken = _pre_commit(repo, tmp_path)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "Failed" in broken.stdout
    assert "podinfo/secret-db.yaml:1: convention.plain-secret:" in broken.stdout


def test_pre_commit_config_is_valid(cluster):
    result = subprocess.run([sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
                            cwd=cluster, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the GitHub Actions workflow ---------------------------------------------------------


def _valid_workflow(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True, text=True, check=False,
    )


def _render_workflow(src_path: str, commit: str) -> str:
    """The workflow template rendered as copier renders it, with the template's own filters."""
    from flux_cookbook.extensions import template_api

    env = jinja2.Environment(keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters.update(template_api.FILTERS)
    env.globals.update(template_api.GLOBALS)
    return env.from_string((PROJECT_ROOT / WORKFLOW).read_text()).render(
        _copier_answers={"_src_path": src_path, "_commit": commit}, _copier_conf={"vcs_ref_hash": "f" * 40},
    )


def test_workflow_of_a_new_cluster_is_a_valid_workflow(cluster):
    # Made from a template folder on this machine, which no runner can reach: the install
    # step says so and fails, rather than install some other package of that name.
    workflow = cluster / ".github/workflows/check.yaml"
    result = _valid_workflow(workflow)
    assert result.returncode == 0, result.stdout + result.stderr
    steps = yaml.safe_load(workflow.read_text())["jobs"]["check"]["steps"]
    assert "exit 1" in steps[2]["run"] and steps[-1]["run"] == "flux-cookbook check"


@pytest.mark.parametrize(("src_path", "commit", "requirement"), [
    ("gh:me/flux-cookbook", "v2.1.1", "flux-cookbook @ git+https://github.com/me/flux-cookbook.git@v2.1.1"),
    ("https://gitlab.com/me/flux-cookbook.git", "v2.1.1-3-g0123abc",
     f"flux-cookbook @ git+https://gitlab.com/me/flux-cookbook.git@{'f' * 40}"),
    ("git@github.com:me/flux-cookbook.git", "v3.0.0", "flux-cookbook @ git+https://github.com/me/flux-cookbook.git@v3.0.0"),
])
def test_workflow_installs_the_command_of_the_template_release(tmp_path, src_path, commit, requirement):
    workflow = tmp_path / "check.yaml"
    workflow.write_text(_render_workflow(src_path, commit))
    result = _valid_workflow(workflow)
    assert result.returncode == 0, result.stdout + result.stderr
    steps = yaml.safe_load(workflow.read_text())["jobs"]["check"]["steps"]
    assert steps[2]["run"] == f"pip install '{requirement}'"
    parsed = Requirement(requirement)  # what pip reads
    assert parsed.name == "flux-cookbook" and parsed.url.startswith("git+https://")


def test_an_invalid_workflow_is_refused(tmp_path):
    """The schema check can fail: a step with both `uses` and `run` is no workflow."""
    workflow = tmp_path / "check.yaml"
    workflow.write_text(_render_workflow("gh:me/x", "v1.0.0").replace(
        "      - name: Check the repository\n", "      - name: Check the repository\n        uses: actions/checkout@v4\n"))
    assert _valid_workflow(workflow).returncode == 1
