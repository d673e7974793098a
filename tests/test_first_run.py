"""A first run, as a new user meets it: the generated README's steps, a nested bootstrap
folder, placeholders that pass the repository's own checks, and the prompts offline."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest
import yaml

from flux_cookbook.extensions import layout
from flux_cookbook.repository import flux_build
from tests.support.flux_schema import validate_repo
from tests.support.project import CRDS, answers, commit_all, cookbook_cli, copy, files, init_repo, load, tree_state, update

CURRENT = [CRDS / "current", CRDS / "sealed-secrets"]
NESTED = "clusters/home"


def yamllint(repo: Path) -> subprocess.CompletedProcess:
    """yamllint as the README says to run it, with the repository's own .yamllint; warnings fail too."""
    return subprocess.run([sys.executable, "-m", "yamllint", "--strict", "."], cwd=repo, capture_output=True, text=True)


def readme_section(repo: Path, heading: str) -> str:
    text = (repo / "README.md").read_text()
    return text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]


# --- a nested bootstrap folder, with placeholders of every kind --------------------------

@pytest.fixture(scope="module")
def nested(template, tmp_path_factory) -> Path:
    """`bootstrap_dir=clusters/home`, the example app (offline: its placeholder), an OCI
    app with inline values and an HTTP app depending on it, committed; on GitHub, as
    acme/homelab (the README's bootstrap commands name them, test_the_readme_pushes_before_it_bootstraps)."""
    repo = copy(template.path, tmp_path_factory.mktemp("first-run") / "cluster", bootstrap_dir=NESTED,
                repo_owner="acme", repo_name="homelab")
    copy(template.path, repo, kind="app", app_name="web", chart="web", chart_version="1.x",
         helm_repo_url="oci://ghcr.io/acme/charts", values_in="inline", health_checks=[])
    copy(template.path, repo, kind="app", app_name="db", chart="postgresql", chart_version="16.x",
         helm_repo_url="https://charts.example.com", depends_on=["web"])
    return init_repo(repo)


APPS = ("sealed-secrets", "podinfo", "web", "db")  # the cluster's own two, and the two added


def test_a_nested_bootstrap_folder_holds_the_conventions_folders(nested):
    assert {f for f in files(nested) if f.startswith(NESTED)} == {
        f"{layout.flux_system_dir(NESTED)}/.gitkeep",
        *(f"{NESTED}/{sub}/.gitkeep" for sub in (layout.NAMESPACES, layout.HELM_REPOSITORIES, layout.KUSTOMIZATIONS)),
        *(layout.namespace_file(NESTED, app) for app in APPS),
        *(layout.kustomization_file(NESTED, app) for app in APPS),
        layout.helm_repository_file(NESTED, "sealed-secrets"), layout.helm_repository_file(NESTED, "podinfo"),
        layout.helm_repository_file(NESTED, "postgresql"),
    }
    assert {answers(nested, app)["bootstrap_dir"] for app in (None, *APPS)} == {NESTED}


def test_a_nested_repository_validates_and_builds_as_flux_applies_it(nested):
    assert validate_repo(nested, CURRENT) == []
    results = flux_build.build_all(nested)
    # The bootstrap folder (as `flux bootstrap --path=clusters/home` will sync it), then each app's folder.
    assert sorted(r.kustomization.path for r in results) == sorted([NESTED, *(layout.app_dir(app) for app in APPS)])
    assert [(r.kustomization.path, r.error) for r in results if not r.ok] == []
    [bootstrap] = [r for r in results if r.kustomization.path == NESTED]
    assert {(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(bootstrap.output)} >= {
        *(("Kustomization", app) for app in APPS), ("Namespace", "db"), ("HelmRepository", "postgresql"),
    }


def test_the_readme_bootstraps_the_nested_folder(nested):
    bootstrap = readme_section(nested, "Push it, then bootstrap Flux onto a cluster")
    assert "--path=clusters/home \\" in bootstrap
    assert "into `clusters/home/flux-system/`" in bootstrap


def test_placeholders_pass_the_repositorys_own_yamllint(nested):
    """The ConfigMap and inline placeholders (HTTP and OCI) pass `yamllint .` as the README runs it, warnings included."""
    assert "#   helm show values oci://ghcr.io/acme/charts/web --version" in (nested / "web/helmrelease-web.yaml").read_text()
    assert "helm show values postgresql --repo https://charts.example.com" in load(
        nested / layout.values_configmap_file("db"))["data"]["values.yaml"]
    result = yamllint(nested)
    assert result.returncode == 0, result.stdout


def test_a_nested_repository_updates_cleanly(template, nested):
    before = tree_state(nested)
    update(nested)
    update(nested, layout.app_answers_file("db"))
    assert tree_state(nested) == before
    result = cookbook_cli("update-all", str(nested))
    assert result.returncode == 0, result.stderr
    assert tree_state(nested) == before


def test_an_app_cannot_take_the_folder_of_the_bootstrap_folder(template, nested):
    result = cookbook_cli("add", "clusters", "--repo", str(nested), "--helm-repo-url", "https://charts.example.com",
                          "--chart-version", "1.x", "--defaults")
    assert result.returncode == 1
    assert "app_name 'clusters' would put the app's folder where the bootstrap folder clusters/home/ is" in result.stderr


# --- the README's first steps ----------------------------------------------------------

@pytest.fixture(scope="module")
def made_by_new(template, tmp_path_factory) -> Callable[[str], tuple[Path, subprocess.CompletedProcess]]:
    """repo_url -> a cluster `flux-cookbook new --defaults` made for a repository there,
    without the example app, on branch live, and what the command said; made once per URL
    for the module (the README tests of a Git host and the test of `new` read the same)."""
    made: dict[str, tuple[Path, subprocess.CompletedProcess]] = {}

    def new(repo_url: str) -> tuple[Path, subprocess.CompletedProcess]:
        if repo_url not in made:
            repo = tmp_path_factory.mktemp("new") / "cluster"
            made[repo_url] = repo, cookbook_cli(
                "new", str(repo), "--defaults", "--template", str(template.path), "-d", "include_example_app=false",
                "-d", "branch=live", "-d", f"repo_url={repo_url}")
        return made[repo_url]

    return new


@pytest.mark.parametrize(("repo_url", "command"), [
    ("git@gitlab.com:acme/infra.git", ["--url=ssh://git@gitlab.com/acme/infra.git", "--private-key-file=<path/to/private.key>"]),
    ("ssh://git@git.home.lan:2222/me/flux.git", ["--url=ssh://git@git.home.lan:2222/me/flux.git", "--private-key-file="]),
    ("https://gitea.home.lan/me/flux.git", ["--url=https://gitea.home.lan/me/flux.git", "--username=<user> --token-auth"]),
    ("http://git.lan/me/flux", ["--url=http://git.lan/me/flux", "--token-auth --allow-insecure-http"]),
])
def test_another_git_host_gets_flux_bootstrap_git_for_its_url(made_by_new, repo_url, command):
    repo, made = made_by_new(repo_url)
    assert made.returncode == 0, made.stderr
    bootstrap = readme_section(repo, "Push it, then bootstrap Flux onto a cluster")
    assert "flux bootstrap github" not in bootstrap
    [block] = re.findall(r"flux bootstrap git \\\n(.*?)\n```", bootstrap, re.DOTALL)
    for flag in [*command, "--branch=live", "--path=bootstrap", "--interval=1m"]:
        assert flag in block
    assert f"git remote add origin {repo_url}\ngit push -u origin live\n" in bootstrap


@pytest.fixture(scope="module")
def default_layout(template, tmp_path_factory) -> Path:
    """A cluster with every default answer but the example app: bootstrap/, on GitHub as
    my-github-user/flux-cluster."""
    return copy(template.path, tmp_path_factory.mktemp("default-layout") / "cluster", include_example_app=False)


@pytest.mark.parametrize(("made", "owner", "name"), [("nested", "acme", "homelab"),
                                                     ("default_layout", "my-github-user", "flux-cluster")])
def test_the_readme_pushes_before_it_bootstraps(request, made, owner, name):
    repo = request.getfixturevalue(made)
    bootstrap = readme_section(repo, "Push it, then bootstrap Flux onto a cluster")
    steps = ["git init -b main", "# `flux-cookbook new` did this for you", f"git remote add origin https://github.com/{owner}/{name}",
             "git push -u origin main", "flux bootstrap github", f"--owner={owner}", f"--repository={name}", "--personal"]
    positions = [bootstrap.index(step) for step in steps]
    assert positions == sorted(positions)
    # Another host's example names another host, never GitHub's URL.
    other_hosts = re.findall(r"--url=(\S+)", bootstrap)
    assert other_hosts == [f"ssh://git@git.example.com/{owner}/{name}", f"https://git.example.com/{owner}/{name}"]
    assert "flux-cookbook check" in readme_section(repo, "Check before you push")


def test_flux_cookbook_new_did_what_the_readme_says_it_did(made_by_new):
    repo, result = made_by_new("https://gitea.home.lan/me/flux.git")
    assert result.returncode == 0, result.stderr
    assert "git init -b live" in (repo / "README.md").read_text()
    git = ["git", "-C", str(repo)]
    assert subprocess.run([*git, "branch", "--show-current"], capture_output=True, text=True).stdout == "live\n"
    assert subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True).stdout == ""


# --- the prompts, offline --------------------------------------------------------------

def test_offline_the_prompt_offers_the_placeholder_and_a_yes_gets_it_too(template, tmp_path):
    """copier's own prompt in a terminal: fetch_values defaults to no with one note saying
    why; answering yes (copier checks no yes/no answer) gives the same placeholder."""
    repo = init_repo(copy(template.path, tmp_path / "cluster", include_example_app=False))
    answers_given = {"kind": "app", "app_name": "web", "namespace": "web", "chart": "web", "chart_version": "1.x",
                     "helm_repo_name": "web", "helm_repo_url": "https://charts.example.com", "release_name": "web",
                     "depends_on": "[]", "health_checks": "[]", "values_source": "", "values_overrides": "{}",
                     "values_in": "configmap"}
    data = [arg for key, value in answers_given.items() for arg in ("-d", f"{key}={value}")]
    child = pexpect.spawn(sys.executable, ["-m", "copier", "copy", "--trust", *data, str(template.path), "."],
                          cwd=str(repo), encoding="utf-8", timeout=60, dimensions=(50, 300))
    child.expect("could not fetch the values of chart web")
    child.expect(r"Fetch the chart's whole values\.yaml")
    child.expect(r"\(y/N\)")  # the default: no
    child.send("y")
    child.expect(pexpect.EOF)
    child.close()
    output = child.before
    assert child.exitstatus == 0, output
    assert "could not fetch" not in output.lower()  # told once, before the question
    assert answers(repo, "web")["fetch_values"] is True
    assert "helm show values web --repo https://charts.example.com" in load(repo / layout.values_configmap_file("web"))["data"]["values.yaml"]
    commit_all(repo, "Add web")


def test_the_readmes_check_passes_on_a_nested_repository(nested):
    """`flux-cookbook check`, as the README says to run it before pushing."""
    result = cookbook_cli("check", str(nested))
    assert result.returncode == 0, result.stdout + result.stderr
