"""Bad answers are refused by the copier command line with a message naming the problem,
and the destination is left exactly as it was (files, HEAD and git status)."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys

import copier
import pytest

from tests.support.flux_objects import gotk_sync
from tests.support.project import PROJECT_ROOT, commit_all, cookbook_cli, copier_cli, copy, init_repo, own_copy, repo_with, tree_state

APP = ["-d", "kind=app", "-d", "chart_version=1.x", "-d", "helm_repo_url=https://charts.example.com", "-d", "fetch_values=false"]

CASES = {
    "app name with capitals": (APP + ["-d", "app_name=MyApp"], "app_name 'MyApp' is not a valid DNS-1123 label"),
    "app name with underscore": (APP + ["-d", "app_name=my_app"], "app_name 'my_app' is not a valid DNS-1123 label"),
    "app name too long": (APP + ["-d", "app_name=" + "a" * 64], "is 64 characters long; at most 63"),
    "namespace ends in dash": (APP + ["-d", "app_name=x", "-d", "namespace=x-"], "namespace 'x-' is not a valid DNS-1123 label"),
    "helm repo name with dot": (APP + ["-d", "app_name=x", "-d", "helm_repo_name=a.b"], "helm_repo_name 'a.b' is not a valid DNS-1123 label"),
    "release name over 53": (APP + ["-d", "app_name=x", "-d", "release_name=" + "r" * 54], "Helm allows at most 53"),
    "app already exists": (APP + ["-d", "app_name=podinfo"], "app 'podinfo' already exists in this repository"),
    "depends on a missing app": (APP + ["-d", "app_name=x", "-d", "depends_on=[postgres]"], "depends_on names 'postgres', which is not an app"),
    "depends on itself": (APP + ["-d", "app_name=x", "-d", "depends_on=[x]"], "app 'x' cannot depend on itself"),
    "depends on is not a list": (APP + ["-d", "app_name=x", "-d", "depends_on=podinfo"], "depends_on must be a list of app names"),
    "ftp url": (APP + ["-d", "app_name=x", "-d", "helm_repo_url=ftp://charts.example.com"], "must start with https://, http:// or oci://"),
    "url without host": (APP + ["-d", "app_name=x", "-d", "helm_repo_url=https://"], "has no valid host name"),
    "empty version": (APP + ["-d", "app_name=x", "-d", "chart_version="], "chart_version must not be empty"),
    "malformed version range": (APP + ["-d", "app_name=x", "-d", "chart_version=>=1.0 <<2"], "is not a semver version or range"),
    "helm repository clash": (
        APP + ["-d", "app_name=x", "-d", "helm_repo_name=podinfo"],
        "HelmRepository 'podinfo' already exists with url https://stefanprodan.github.io/podinfo",
    ),
    "oci chart through a clashing helm repository": (
        APP + ["-d", "app_name=x", "-d", "helm_repo_url=oci://ghcr.io/stefanprodan/charts", "-d", "helm_repo_name=podinfo",
               "-d", "chart_source=helmrepository"],
        "HelmRepository 'podinfo' already exists with url https://stefanprodan.github.io/podinfo",
    ),
    "helm release of another app": (
        APP + ["-d", "app_name=x", "-d", "namespace=podinfo", "-d", "release_name=podinfo"],
        "app 'podinfo' installs Helm release 'podinfo' in namespace 'podinfo' already"),
    "health check without name": (APP + ["-d", "app_name=x", "-d", "health_checks=[{kind: Deployment}]"], "needs at least kind and name"),
    "missing values source": (APP + ["-d", "app_name=x", "-d", "values_source=nowhere/values.yaml"], "values_source 'nowhere/values.yaml' does not exist"),
    "bad interval": (APP + ["-d", "app_name=x", "-d", "helmrelease_interval=10 minutes"], "helmrelease_interval '10 minutes' is not a duration"),
    "second cluster over a cluster": ([], "is already a cluster repository"),
    # A typo, or flux bootstrap's own folder: no cluster applies it, the app would never be installed.
    "app in no cluster's bootstrap folder": (APP + ["-d", "app_name=x", "-d", "bootstrap_dir=clusters/stagnig"],
                                             "bootstrap_dir clusters/stagnig is no cluster's bootstrap folder"),
    "app in flux bootstrap's own folder": (APP + ["-d", "app_name=x", "-d", "bootstrap_dir=bootstrap/flux-system"],
                                           "the bootstrap folders here: bootstrap (this repository's cluster"),
    "chart name with space": (APP + ["-d", "app_name=x", "-d", "chart=pod info"], "chart 'pod info' is not a valid chart name"),
    "chart name with capital": (APP + ["-d", "app_name=x", "-d", "chart=Podinfo"], "chart 'Podinfo' is not a valid chart name"),
    "namespace too long": (APP + ["-d", "app_name=x", "-d", "namespace=" + "n" * 64], "is 64 characters long"),
    "release name with capital": (APP + ["-d", "app_name=x", "-d", "release_name=Web"], "release_name 'Web' is not a valid DNS-1123 label"),
    "oci url without host": (APP + ["-d", "app_name=x", "-d", "helm_repo_url=oci://"], "has no valid host name"),
    "url with a space": (APP + ["-d", "app_name=x", "-d", "helm_repo_url=https://charts example.com"], "has no valid host name"),
    "version with four parts": (APP + ["-d", "app_name=x", "-d", "chart_version=6.1.2.3"], "is not a semver version or range"),
    "version word": (APP + ["-d", "app_name=x", "-d", "chart_version=latest"], "is not a semver version or range"),
    "depends on a bad name": (APP + ["-d", "app_name=x", "-d", "depends_on=[Podinfo]"], "depends_on entry 'Podinfo' is not a valid DNS-1123 label"),
    "depends on twice": (APP + ["-d", "app_name=x", "-d", "depends_on=[podinfo, podinfo]"], "depends_on lists an app twice"),
    "health checks not a list": (APP + ["-d", "app_name=x", "-d", "health_checks=Deployment"], "health_checks must be a list"),
    "health check with empty name": (APP + ["-d", "app_name=x", "-d", "health_checks=[{kind: Deployment, name: ''}]"], "every value must be a non-empty string"),
    "health check unknown key": (APP + ["-d", "app_name=x", "-d", "health_checks=[{kind: Deployment, name: x, ns: y}]"], "unknown keys: ns"),
    # kustomize-controller would wait for such an object until the Kustomization times out.
    "health check kind in lower case": (APP + ["-d", "app_name=x", "-d", "health_checks=[{kind: helmrelease, name: x}]"],
                                        "kind 'helmrelease' is no Kubernetes kind, which is CamelCase"),
    "health check name with capitals": (APP + ["-d", "app_name=x", "-d", "health_checks=[{kind: Deployment, name: Web}]"],
                                        "name 'Web' is not a valid DNS-1123 subdomain"),
    "health check apiVersion that is none": (
        APP + ["-d", "app_name=x", "-d", "health_checks=[{apiVersion: helm.toolkit.fluxcd.io, kind: HelmRelease, name: x}]"],
        "apiVersion 'helm.toolkit.fluxcd.io' is no API version"),
    "values source not yaml": (APP + ["-d", "app_name=x", "-d", "values_source=README.md"], "is not valid YAML"),
    "values source a list": (APP + ["-d", "app_name=x", "-d", "values_source=list-values.yaml"], "holds a list, not a mapping of values"),
    "kustomization timeout not a duration": (APP + ["-d", "app_name=x", "-d", "kustomization_timeout=2 minutes"], "kustomization_timeout '2 minutes' is not a duration"),
    "unknown kind": (["-d", "kind=helm"], "kind"),
    "app named like the bootstrap folder": (
        APP + ["-d", "app_name=bootstrap"], "app_name 'bootstrap' would put the app's folder where the bootstrap folder"),
    "health check holding bytes that are not UTF-8": (
        APP + ["-d", "app_name=x", "-d", 'health_checks=[{kind: Deployment, name: "a\\uDC80"}]'],
        "health check holds U+DC80 at character 2 of 'a\\udc80', which is not a character"),
    "values override holding bytes that are not UTF-8": (
        APP + ["-d", "app_name=x", "-d", 'values_overrides={note: "\\uD800"}'], "values_overrides holds U+D800"),
}


@pytest.fixture(scope="module")
def cluster(template, tmp_path_factory):
    repo = copy(template.path, tmp_path_factory.mktemp("bad") / "cluster")
    (repo / "list-values.yaml").write_text("- a\n- b\n")  # YAML, but no values.yaml: a list
    return init_repo(repo)


# The cases run through copier's command line, as users meet them: one of each kind of
# check (an answer's own rule, one against the repository, a YAML answer, a file named by an
# answer, the cluster's). The others run copier's API in this process: the same copier and
# validators, the same ValueError the command line prints, without an interpreter start and
# copier import per case (0.2 s instead of 0.65).
ON_THE_COMMAND_LINE = {"app name with capitals", "app already exists", "depends on a missing app", "values source a list",
                       "second cluster over a cluster", "owner with space", "bootstrap folder leading out"}


def refused(template, repo, args: list[str], message: str, case: str) -> None:
    """Copying with `args` (copier's -d KEY=VALUE) into `repo` is refused with `message`."""
    if case in ON_THE_COMMAND_LINE:
        result = copier_cli("copy", "--trust", "--defaults", *args, str(template.path), ".", cwd=repo)
        assert result.returncode != 0 and message in result.stderr, result.stderr
        return
    data = dict(pair.partition("=")[::2] for pair in args[1::2])
    with pytest.raises(ValueError, match=re.escape(message)):
        copier.run_copy(str(template.path), repo, data=data, defaults=True, unsafe=True, quiet=True)


@pytest.mark.parametrize("case", CASES)
def test_refused_with_nothing_written(template, cluster, case):
    args, message = CASES[case]
    before = tree_state(cluster)
    refused(template, cluster, args, message, case)
    assert tree_state(cluster) == before


OWNER_RULE = "is not a GitHub user or organisation name: letters, digits and single hyphens, not at the start or end."
REPOSITORY_RULE = "is not a GitHub repository name: letters, digits, '.', '-' and '_', not '.' or '..'."

CLUSTER_CASES = {
    "owner with space": ("repo_owner=my org", f"repo_owner 'my org' {OWNER_RULE}"),
    "owner starting with dash": ("repo_owner=-org", f"repo_owner '-org' {OWNER_RULE}"),
    "owner ending with dash": ("repo_owner=org-", f"repo_owner 'org-' {OWNER_RULE}"),
    "owner with two hyphens in a row": ("repo_owner=my--org", f"repo_owner 'my--org' {OWNER_RULE}"),
    "owner with underscore": ("repo_owner=my_org", f"repo_owner 'my_org' {OWNER_RULE}"),
    "owner with dot": ("repo_owner=my.org", f"repo_owner 'my.org' {OWNER_RULE}"),
    "owner over 39": ("repo_owner=" + "o" * 40, "is 40 characters long; GitHub allows at most 39."),
    "repository with slash": ("repo_name=a/b", f"repo_name 'a/b' {REPOSITORY_RULE}"),
    "repository named dot dot": ("repo_name=..", f"repo_name '..' {REPOSITORY_RULE}"),
    "repository with a space": ("repo_name=my repo", f"repo_name 'my repo' {REPOSITORY_RULE}"),
    "repository over 100": ("repo_name=" + "r" * 101, "is 101 characters long; GitHub allows at most 100."),
    "repository url ftp": ("repo_url=ftp://example.com/x.git", "repo_url 'ftp://example.com/x.git' must be"),
    "repository url without scheme": ("repo_url=github.com/a/b", "repo_url 'github.com/a/b' must be"),
    "branch starting with dash": ("branch=-main", "branch '-main' is not a valid Git branch name"),
    "branch with two dots": ("branch=a..b", "branch 'a..b' is not a valid Git branch name"),
    "branch ending in .lock": ("branch=main.lock", "branch 'main.lock' is not a valid Git branch name"),
    "git interval in days": ("git_interval=1d", "git_interval '1d' is not a duration"),
    "kustomization interval word": ("kustomization_interval=often", "kustomization_interval 'often' is not a duration"),
    "empty kustomization timeout": ("kustomization_timeout=", "kustomization_timeout '' is not a duration"),
    "helmrelease interval without unit": ("helmrelease_interval=15", "helmrelease_interval '15' is not a duration"),
    "helmrelease timeout with space": ("helmrelease_timeout=5 m", "helmrelease_timeout '5 m' is not a duration"),
    "negative helmrepository interval": ("helmrepository_interval=-1m", "helmrepository_interval '-1m' is not a duration"),
    "bootstrap folder with capital": ("bootstrap_dir=Flux", "bootstrap_dir 'Flux' is not a valid DNS-1123 label"),
    "bootstrap folder absolute": ("bootstrap_dir=/clusters/prod", "bootstrap_dir '/clusters/prod' must be a relative folder path"),
    "bootstrap folder ending in a slash": ("bootstrap_dir=clusters/", "no leading, trailing or doubled '/'"),
    "bootstrap folder leading out": ("bootstrap_dir=../prod", "bootstrap_dir '../prod': folder '..' is not a valid DNS-1123 label"),
    "bootstrap sub-folder with capital": ("bootstrap_dir=clusters/Prod", "bootstrap_dir 'clusters/Prod': folder 'Prod' is not a valid DNS-1123"),
    "repository url with a space": ("repo_url=https://github.com/a b", "repo_url 'https://github.com/a b' must be"),
}


@pytest.mark.parametrize("case", CLUSTER_CASES)
def test_bad_cluster_answers_write_nothing(template, tmp_path, case):
    """Into an existing empty repository (which must stay as it was) and into a new folder."""
    answer, message = CLUSTER_CASES[case]
    repo = tmp_path / "repo"
    repo.mkdir()
    init_repo(repo)
    before = tree_state(repo)
    refused(template, repo, ["-d", answer], message, case)
    assert tree_state(repo) == before
    key, _, value = answer.partition("=")
    with pytest.raises(ValueError, match=re.escape(message)):
        copy(template.path, tmp_path / "new", **{key: value})
    assert not (tmp_path / "new").exists()


def test_a_cluster_over_one_flux_bootstrap_wrote_is_refused(template, tmp_path):
    """A hand-made Flux repository has no answers file but is a cluster: copier stopped
    half-way on its .gitignore (its advice, --overwrite, replaces the user's files). Refused,
    naming the sync file, before anything is written; adopt is what takes it over."""
    repo = repo_with(tmp_path / "handmade", {
        "clusters/home/flux-system/gotk-sync.yaml": gotk_sync("./clusters/home"),
        ".gitignore": "*.tmp\n", ".sourceignore": "docs/\n", "README.md": "# Our cluster\n",
    })
    before = tree_state(repo)
    named = "already holds a Flux cluster made by hand (clusters/home/flux-system/gotk-sync.yaml"
    result = copier_cli("copy", "--trust", "--defaults", "-d", "kind=cluster", "-d", "bootstrap_dir=clusters/home",
                        "-d", "apps_dir=apps", str(template.path), ".", cwd=repo)
    assert result.returncode != 0 and named in result.stderr and "flux-cookbook adopt" in result.stderr, result.stderr
    assert tree_state(repo) == before
    result = cookbook_cli("new", str(repo), "--defaults", "--template", str(template.path))
    assert result.returncode == 1 and named in result.stderr and "flux-cookbook adopt" in result.stderr, result.stderr
    assert tree_state(repo) == before


def test_catalogue_size():
    """The issue asks for at least 40 refused inputs across both templates."""
    assert len(CASES) + len(CLUSTER_CASES) >= 40


def test_a_valid_app_after_refusals_is_written(template, cluster, tmp_path):
    """The refusals above are not a template that refuses everything."""
    work = tmp_path / "work"
    work.mkdir()
    repo = init_repo(copy(template.path, work / "cluster"))
    result = copier_cli("copy", "--trust", "--defaults", *APP, "-d", "app_name=x", str(template.path), ".", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert (repo / "x/helmrelease-x.yaml").exists()
    commit_all(repo, "Add x")
    # An oci:// chart through an OCIRepository writes no HelmRepository: the name of the
    # https one the example app has is no clash; nor is its release name in another namespace.
    result = copier_cli("copy", "--trust", "--defaults", *APP, "-d", "app_name=y", "-d", "helm_repo_name=podinfo",
                        "-d", "release_name=podinfo",
                        "-d", "helm_repo_url=oci://ghcr.io/stefanprodan/charts", str(template.path), ".", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert (repo / "y/ocirepository-y.yaml").exists() and "chart_source: ocirepository" in (repo / ".copier-answers.app-y.yml").read_text()


# --- hostile repository content, met by flux-cookbook's own commands ---------------------
# Each file below is committed to a cluster repository; `check` and `adopt` run on it in a
# process whose address space is capped (RLIMIT_AS), as a CI runner caps it. Each must end
# in a message naming the file and the problem (exit 1), never a traceback, a MemoryError
# or a crash, and adopt must write nothing.

MEMORY_CAP = 1536 * 1024 * 1024  # bytes of address space for the whole command
LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9))
HOSTILE = {
    # name: (file, its text, what the message says)
    "alias bomb in a ConfigMap": (
        "podinfo/configmap-laughs.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: laughs\ndata:\n" + "".join("  " + line + "\n" for line in LAUGHS.splitlines()),
        "aliases expand to over 100,000 nodes"),
    "100,000 nested brackets": ("podinfo/deep.yaml", "kind: ConfigMap\ndata: " + "[" * 100_000 + "]" * 100_000 + "\n", "nest"),
    "block sequences nested 100,000 deep": (
        "podinfo/deep.yaml", "kind: ConfigMap\ndata:\n" + "- " * 100_000 + "x\n", "collections nested over 100 deep"),
    "a file over the size limit": ("podinfo/huge.yaml", "kind: ConfigMap\n# " + "x" * (16 * 1024 * 1024) + "\n", "16,777,216"),
}


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


@pytest.fixture(scope="module")
def committed_cluster(template, tmp_path_factory):
    repo = copy(template.path, tmp_path_factory.mktemp("hostile") / "cluster")
    return init_repo(repo)


@pytest.mark.parametrize("name", HOSTILE, ids=HOSTILE)
def test_hostile_content_ends_in_a_message_under_a_memory_cap(template, committed_cluster, tmp_path, name):
    path, text, message = HOSTILE[name]
    repo = own_copy(committed_cluster, tmp_path / "cluster")
    (repo / path).write_text(text)
    commit_all(repo, "A pull request")
    # check reports the file as a problem (exit 1); adopt skips it with a note naming it.
    assert_named_under_cap(repo, ["check", str(repo), "--no-build"], path, message, code=1)
    for answers in repo.glob(".copier-answers*.yml"):  # a hand-made repository, for adopt
        answers.unlink()
    commit_all(repo, "Made by hand")
    assert_named_under_cap(repo, ["adopt", str(repo), "--dry-run", "--template", str(template.path)], path, message, code=0)


def assert_named_under_cap(repo, command, path, message, code):
    before = tree_state(repo)
    result = subprocess.run([sys.executable, "-m", "flux_cookbook", *command], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, preexec_fn=_capped, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == code, f"{command[0]}: {result.returncode}\n{output[-2000:]}"
    assert "Traceback" not in output and "MemoryError" not in output and "RecursionError" not in output
    assert path in output and message in output, f"{command[0]}:\n{output[-2000:]}"
    assert tree_state(repo) == before
