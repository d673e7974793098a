"""`flux-cookbook`, run as a user runs it: new, add, messages instead of tracebacks, exit codes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flux_cookbook.check.run import check_repository
from flux_cookbook.commands import SUMMARIES
from tests.support.helm_repo_server import CHARTS
from tests.support.project import answers, commit_all, cookbook_cli, copier_cli, copy, files, init_repo, own_copy, tree_state
from tests.support.template_repo import PROJECT_ROOT, git


@pytest.mark.parametrize("command", [*SUMMARIES, "values outdated", "values refresh"])
def test_every_command_has_help_with_an_example(command):
    result = cookbook_cli(*command.split(), "--help")
    assert result.returncode == 0 and "example" in result.stdout and f"flux-cookbook {command}" in result.stdout
    # Every option says what it does: its text on its line, or on the next one, indented.
    lines = result.stdout.splitlines()
    for line, following in zip(lines, [*lines[1:], ""]):
        if line.startswith("  -") and "  " not in line.strip():
            assert following.startswith(" " * 8) and not following.strip().startswith("-"), f"{line.strip()}: no help"


def test_usage_errors_exit_2(tmp_path):
    assert cookbook_cli().returncode == 2
    assert cookbook_cli("add").returncode == 2  # APP missing
    assert cookbook_cli("no-such-command").returncode == 2
    # An answer with no `=`, wherever the command stands.
    for command in (["add", "web", "-d", "chart"], ["new", str(tmp_path / "new"), "-d", "chart"]):
        result = cookbook_cli(*command, cwd=tmp_path)
        assert (result.returncode, result.stderr) == (2, "flux-cookbook: -d takes KEY=VALUE, not 'chart'\n")
    assert not (tmp_path / "new").exists()
    assert cookbook_cli("check", str(tmp_path / "nowhere")).returncode == 2
    # Answers the command would drop without a word, or copier's own names.
    for command, said in ((["add", "web", "--namespace", "a", "-d", "namespace=b"], "--namespace a and -d namespace=b disagree"),
                          (["add", "web", "-d", "app_name=api"], "-d app_name=api and APP web disagree"),
                          (["add", " "], "APP is empty"),
                          (["add", "web", "-d", "_copier_conf=x"], "-d _copier_conf: a name starting with _ is copier's own"),
                          (["new", str(tmp_path / "new"), "-d", "kind=app"], "new makes a cluster repository")):
        result = cookbook_cli(*command, cwd=tmp_path)
        assert result.returncode == 2 and said in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("command, message", [
    (["new", "{file}"], "is a file; give a new or empty folder"),
    (["new", "{file}/x"], "is a file; give a new or empty folder"),
    (["add", "web", "--repo", "{file}"], "is not a folder"),
    (["update-all", "--jobs", "0"], "is not a number of at least 1"),
    (["check", ".", "--path", "{outside}"], "outside the repository .; give a folder inside REPO"),
    (["check", ".", "--path", "../.."], "--path ../..: outside the repository .; give a folder inside REPO"),
    (["check", ".", "--path", "nowhere"], "--path nowhere: no such folder in .; give a folder inside REPO"),
    (["check", ".", "--path", ""], "--path is empty; give a folder inside REPO"),  # was the whole repository
    (["values", "refresh", "--all", "--to", ""], "--to is empty; give a chart version, a range or a chart folder"),
])
def test_paths_and_numbers_that_cannot_be_are_usage_errors(tmp_path, command, message):
    (tmp_path / "a-file").write_text("x\n")
    (tmp_path / "repo").mkdir()
    git(tmp_path / "repo", "init", "-q")
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    arguments = [part.format(file=tmp_path / "a-file", outside=tmp_path) for part in command]
    result = cookbook_cli(*arguments, cwd=tmp_path / "repo")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()} == before


def test_the_readme_lists_every_command():
    from flux_cookbook.commands import SUMMARIES
    from tests.support.template_repo import PROJECT_ROOT

    table = [line for line in (PROJECT_ROOT / "README.md").read_text().splitlines() if line.startswith("| `flux-cookbook ")]
    assert [line.split("`")[1].split()[1] for line in table] == list(SUMMARIES)


def test_every_command_module_is_listed_and_loads_only_when_it_runs():
    """Each module of flux_cookbook/commands/ is a command of the table, under its NAME; the
    command line imports none of them for --help, and only its own for a command."""
    import importlib

    from flux_cookbook.commands import SUMMARIES
    from tests.support.template_repo import PROJECT_ROOT

    modules = sorted(p.stem for p in (PROJECT_ROOT / "flux_cookbook/commands").glob("*.py") if p.stem != "__init__")
    assert sorted(module for module, _ in SUMMARIES.values()) == modules
    for name, (module, _) in SUMMARIES.items():
        assert importlib.import_module(f"flux_cookbook.commands.{module}").NAME == name
    probe = ("import sys, contextlib, io\n"
             "from flux_cookbook import cli\n"
             "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
             "    cli.main(sys.argv[1:])\n"
             "print(sorted(m for m in sys.modules if m.startswith('flux_cookbook.commands.')))")
    help_loads = subprocess.run([sys.executable, "-c", probe, "--help"], capture_output=True, text=True,
                                cwd=PROJECT_ROOT, check=True).stdout
    assert help_loads.strip() == "[]"
    for name, (module, _) in SUMMARIES.items():  # no command imports another (shared options live in __init__)
        loads = subprocess.run([sys.executable, "-c", probe, name, "--help"], capture_output=True, text=True,
                               cwd=PROJECT_ROOT, check=True).stdout
        assert loads.strip() == f"['flux_cookbook.commands.{module}']", name


@pytest.fixture(scope="module")
def cluster_made(template, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """`flux-cookbook new` without the example app, and what it said. Given also answers
    no cluster question takes (chart; values_source, which an app's validator would judge
    against its chart), which it names in notes and does not record."""
    repo = tmp_path_factory.mktemp("new") / "cluster"
    result = cookbook_cli("new", str(repo), "--defaults", "--template", str(template.path), "--vcs-ref",
                          template.current, "-d", "include_example_app=false", "-d", "sealed_secrets=false",
                          "-d", "repo_owner=acme", "-d", "chart=podinfo",
                          "-d", f"values_source={CHARTS / 'traefik' / '10.24.0'}")
    assert result.returncode == 0, result.stderr
    return repo, result


@pytest.fixture
def cluster(cluster_made, tmp_path):
    """`flux-cookbook new`, committed, without the example app: the test's own copy."""
    return own_copy(cluster_made[0], tmp_path / "cluster")


def test_new_makes_a_committed_cluster_repository(cluster, template):
    assert answers(cluster)["repo_owner"] == "acme" and answers(cluster)["_commit"] == template.current
    assert git(cluster, "status", "--porcelain") == "" and git(cluster, "log", "--format=%s").count("\n") == 1
    assert git(cluster, "branch", "--show-current").strip() == "main"


def test_new_in_a_repository_without_a_commit_commits_on_the_answers_branch(template, tmp_path):
    """The clone of an empty GitHub repository (git's default branch, master here): the
    README's `flux bootstrap --branch=main` would name a branch nothing was pushed to."""
    repo = tmp_path / "cluster"
    git(tmp_path, "-c", "init.defaultBranch=master", "init", "-q", str(repo))
    result = cookbook_cli("new", str(repo), "--defaults", "--template", str(template.path), "--vcs-ref", template.current,
                          "-d", "include_example_app=false", "-d", "sealed_secrets=false", "-d", "branch=main")
    assert result.returncode == 0, result.stderr
    assert git(repo, "branch", "--show-current").strip() == "main"
    assert git(repo, "branch", "--list").split() == ["*", "main"]


def test_check_of_the_folder_above_a_clone_names_the_clone(cluster, tmp_path):
    """One folder too high: every file of the clone was linted as one repository's, and the
    result (exit 0 with warnings) said nothing true of it."""
    above = cluster.parent
    result = cookbook_cli("check", str(above))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stdout + result.stderr
    assert f"{above} is no git repository, and holds {cluster.name}/, which is one: give the cluster repository's " \
        f"folder (`flux-cookbook check {above / cluster.name}`)" in result.stderr


def test_new_inside_another_git_repository_is_refused(cluster, template):
    """`new clusters/staging` in a cluster repository made a repository of its own there,
    which the outer one committed as a bare gitlink: none of its files were pushed."""
    state = tree_state(cluster)
    result = cookbook_cli("new", str(cluster / "clusters" / "staging"), "--defaults", "--template", str(template.path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"is inside the git repository {cluster}" in result.stderr and "Traceback" not in result.stderr
    assert tree_state(cluster) == state and not (cluster / "clusters").exists()


def test_new_in_a_folder_the_repository_around_it_ignores_is_made(template, tmp_path):
    """A home folder's dotfiles repository ignoring `*` never adds the new one: no refusal."""
    home = tmp_path / "home"
    git(tmp_path, "init", "-q", str(home))
    (home / ".gitignore").write_text("*\n!.bashrc\n")
    result = cookbook_cli("new", str(home / "demo"), "--defaults", "--template", str(template.path), "--vcs-ref",
                          template.current, "-d", "include_example_app=false", "-d", "sealed_secrets=false")
    assert result.returncode == 0, result.stderr
    assert (home / "demo" / ".copier-answers.yml").is_file()


def test_check_without_git_on_the_machine_checks_a_folder_that_is_no_repository(tmp_path):
    """No git (a container with Python alone): the folder is read as it is."""
    from tests.support.project import cookbook_process

    (tmp_path / "bootstrap").mkdir()
    (tmp_path / "bootstrap/namespace-web.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n")
    (tmp_path / "bootstrap/kustomization-web.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: web\n  namespace: flux-system\n"
        "spec:\n  interval: 10m\n  path: ./web\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n")
    result = cookbook_process("check", str(tmp_path), "--no-build", env={"PATH": "/nonexistent"})
    assert "Traceback" not in result.stderr and "(git)" not in result.stderr, result.stderr
    assert "in 2 files" in result.stdout, result.stdout + result.stderr


def test_new_names_a_half_made_repository_a_killed_new_left(cluster, template, tmp_path):
    """SIGKILL ends `new` before it takes anything back: answers and some files, no commit.
    The next `new` says what it is and what to do, not "add an app" to a broken copy."""
    half = tmp_path / "half"
    half.mkdir()
    for name in (".copier-answers.yml", "README.md", ".gitignore"):
        shutil.copy(cluster / name, half / name)
    result = cookbook_cli("new", str(half), "--defaults", "--template", str(template.path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "holds .copier-answers.yml but no commit: a `flux-cookbook new` stopped before it ended" in result.stderr
    assert "remove the folder" in result.stderr and "is already a cluster repository" not in result.stderr


def test_new_refuses_a_cluster_over_a_cluster(cluster, template):
    before = tree_state(cluster)
    result = cookbook_cli("new", str(cluster), "--defaults", "--template", str(template.path))
    assert result.returncode == 1 and "already a cluster repository" in result.stderr
    assert "Traceback" not in result.stderr and tree_state(cluster) == before


def test_add_uses_the_clusters_template_and_release(cluster, template):
    result = cookbook_cli("add", "web", "--chart", "podinfo", "--helm-repo-url", "https://charts.example.invalid",
                          "--chart-version", "6.x", "--defaults", "-d", "fetch_values=false", cwd=cluster)
    assert result.returncode == 0, result.stderr
    recorded = answers(cluster, "web")
    assert (recorded["_src_path"], recorded["_commit"]) == (str(template.path), template.current)
    assert {"web/helmrelease-web.yaml", "bootstrap/kustomizations/kustomization-web.yaml"} <= files(cluster)
    assert "was not used" not in result.stdout


def test_a_misspelt_answer_is_named_with_the_question_it_meant(cluster):
    result = cookbook_cli("add", "web", "--helm-repo-url", "https://charts.example.invalid", "--defaults",
                          "-d", "chart_verison=6.x", "-d", "fetch_values=false", cwd=cluster)
    assert result.returncode == 0, result.stderr
    assert answers(cluster, "web")["chart_version"] == "*" and "chart_verison" not in answers(cluster, "web")
    assert ("-d chart_verison was not used" in result.stdout and "Did you mean 'chart_version'?" in result.stdout
            and ".copier-answers.app-web.yml does not record it" in result.stdout)
    assert "fetch_values" not in result.stdout


def test_a_yes_no_answer_copier_would_misread_is_refused_before_anything_is_written(cluster, template, tmp_path):
    """copier reads any text but its yes/no words as true: `-d include_example_app=fals`
    added the example app, `-d sealed_secrets=nope` the controller."""
    copied = copier_cli("copy", "--trust", "--defaults", "-d", "include_example_app=fals", str(template.path), "new",
                        cwd=tmp_path)
    assert copied.returncode == 1 and "Traceback" not in copied.stderr, copied.stderr
    assert ("-d include_example_app: 'fals' is neither true nor false (copier would read it as True); give true "
            "or false\nNothing was changed.") in copied.stderr
    made = cookbook_cli("new", str(tmp_path / "new"), "--defaults", "--template", str(template.path),
                        "-d", "sealed_secrets=nope")
    assert made.returncode == 1 and "Traceback" not in made.stderr, made.stderr
    assert "the answer to 'sealed_secrets' is refused: 'nope' is neither true nor false" in made.stderr
    assert not (tmp_path / "new").exists()
    before = tree_state(cluster)
    added = cookbook_cli("add", "web", "--chart", "podinfo", "--helm-repo-url", "https://charts.example.invalid",
                         "--defaults", "-d", "fetch_values=false", "-d", "owns_namespace=maybe", cwd=cluster)
    assert added.returncode == 1 and "the answer to 'owns_namespace' is refused: 'maybe' is neither" in added.stderr, \
        added.stderr
    assert tree_state(cluster) == before


def test_new_names_an_answer_no_cluster_question_took(cluster_made):
    made, result = cluster_made
    assert result.returncode == 0, result.stderr
    assert "-d chart was not used" in result.stdout and "not asked for this cluster" in result.stdout
    assert "-d values_source was not used" in result.stdout and "values_source" not in answers(made)
    assert "include_example_app" not in result.stdout and "chart" not in answers(made)
    assert "not a release tag" not in result.stdout


def test_plain_copier_names_a_misspelt_answer_after_a_copy_and_an_update(cluster, template, tmp_path):
    """copier passes any -d key on without a word: the template's message after a copy or
    an update names one no question took, as `new` and `add` do."""
    repo = own_copy(cluster, tmp_path / "repo")
    copied = copier_cli("copy", "--trust", "--defaults", "-d", "kind=app", "-d", "app_name=web", "-d", "fetch_values=false",
                        "-d", "helm_repo_url=https://charts.example.invalid", "-d", "chart_verison=6.x",
                        str(template.path), ".", cwd=repo)
    assert copied.returncode == 0, copied.stderr
    assert ("-d chart_verison was not used" in copied.stderr and "Did you mean 'chart_version'?" in copied.stderr
            and ".copier-answers.app-web.yml does not record it" in copied.stderr)
    assert "-d fetch_values" not in copied.stderr and "-d app_name" not in copied.stderr
    commit_all(repo, "Add web")
    updated = copier_cli("update", "--trust", "--defaults", "-a", ".copier-answers.app-web.yml", "-d", "releas_name=x",
                         cwd=repo)
    assert updated.returncode == 0, updated.stderr
    assert "-d releas_name was not used" in updated.stderr and "Did you mean 'release_name'?" in updated.stderr


def test_plain_copier_update_says_an_answer_only_a_new_copy_acts_on_changes_nothing(cluster):
    """`-d sealed_secrets=true` on an update was recorded, and no controller came."""
    updated = copier_cli("update", "--trust", "--defaults", "-d", "sealed_secrets=true", cwd=cluster)
    assert updated.returncode == 0, updated.stderr
    assert ("Note: -d sealed_secrets is recorded, but an update adds no app (a new repository's copy does): add it with "
            "`flux-cookbook add sealed-secrets --defaults`.") in updated.stdout + updated.stderr


def test_no_terminal_and_no_defaults_names_this_commands_options(cluster, template, tmp_path):
    """Run from a job with no terminal, the questions cannot be asked: the message names
    --defaults and -d, not copier's own command line options."""
    before = tree_state(cluster)
    for args, cwd in ((["new", str(tmp_path / "c"), "--template", str(template.path)], tmp_path),
                      (["add", "web", "--chart", "podinfo", "-d", "fetch_values=false"], cluster)):
        result = cookbook_cli(*args, cwd=cwd, input="")
        assert result.returncode == 1, result.stdout + result.stderr
        assert "no terminal to ask the template's questions on: give --defaults" in result.stderr
        assert "--data-file" not in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "c").exists() and tree_state(cluster) == before


def test_new_from_a_template_without_tags_says_update_all_will_refuse_it(template, tmp_path):
    """copier takes HEAD from a clone without tags and says only "No git tags found": the
    repository would record a commit that is no release, which updates cannot start from
    reliably."""
    untagged = tmp_path / "template"
    git(tmp_path, "clone", "--quiet", "--no-local", str(template.path), str(untagged))
    for tag in git(untagged, "tag", "--list").split():
        git(untagged, "tag", "-d", tag)
    result = cookbook_cli("new", str(tmp_path / "c"), "--defaults", "--template", str(untagged), "--trust",
                          "-d", "include_example_app=false", "-d", "sealed_secrets=false")
    assert result.returncode == 0, result.stderr
    commit = answers(tmp_path / "c")["_commit"]
    assert f"records template commit {commit}, which is not a release tag of {untagged}" in result.stdout
    assert "git fetch --tags" in result.stdout and "--vcs-ref vX.Y.Z" in result.stdout


def test_add_lists_the_apps_files_where_the_bootstrap_folder_lists_its_own(cluster):
    """A bootstrap folder with a kustomization.yaml builds only what it lists: the new app's
    Kustomization, namespace and HelmRepository are listed, or Flux would never apply them."""
    listing = ("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
               "  - namespaces/namespace-tools.yaml # ours\n")
    (cluster / "bootstrap/kustomization.yaml").write_text(listing)
    (cluster / "bootstrap/namespaces/namespace-tools.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tools\n")
    commit_all(cluster, "Our bootstrap folder lists its files")
    result = cookbook_cli("add", "web", "--chart", "podinfo", "--helm-repo-url", "https://charts.example.invalid",
                          "--chart-version", "6.x", "--defaults", "-d", "fetch_values=false", cwd=cluster)
    assert result.returncode == 0, result.stderr
    assert (cluster / "bootstrap/kustomization.yaml").read_text() == listing + (
        "  - helmrepositories/helmrepository-podinfo.yaml\n  - kustomizations/kustomization-web.yaml\n"
        "  - namespaces/namespace-web.yaml\n")
    assert "bootstrap/kustomization.yaml: lists kustomizations/kustomization-web.yaml now" in result.stdout
    report = check_repository(cluster)
    # The user's own namespace, which nothing in the repository goes into, is named as such.
    assert [(p.rule, p.path) for p in report.problems] == [("ref.unused-namespace", "bootstrap/namespaces/namespace-tools.yaml")]
    assert report.summary().endswith("followed 2 Flux Kustomizations")


def test_add_leaves_unlisted_a_file_whose_listing_would_break_the_build(cluster):
    """The bootstrap folder declares the HelmRepository the app names in a file of its own:
    listing the template's second copy would break the folder's build ("already registered
    id"), so nothing is listed, and the output says why."""
    source = ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\n"
              "  namespace: flux-system\nspec:\n  interval: 1h\n  url: https://charts.example.invalid\n")
    listing = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - sources.yaml\n"
    (cluster / "bootstrap/kustomization.yaml").write_text(listing)
    (cluster / "bootstrap/sources.yaml").write_text(source)
    commit_all(cluster, "Our sources")
    result = cookbook_cli("add", "web", "--chart", "podinfo", "--helm-repo-url", "https://charts.example.invalid",
                          "--helm-repo-name", "charts", "--chart-version", "6.x", "--defaults", "-d", "fetch_values=false",
                          cwd=cluster)
    assert result.returncode == 0, result.stderr
    assert (cluster / "bootstrap/kustomization.yaml").read_text() == listing
    assert ("bootstrap/helmrepositories/helmrepository-charts.yaml: not applied by Flux until bootstrap/kustomization.yaml "
            "lists it; listing it broke the build of bootstrap") in result.stdout


@pytest.mark.parametrize(
    ("arguments", "names"),
    [
        (["Web", "--helm-repo-url", "https://x.invalid"], ("app_name", "'Web' is not a valid DNS-1123 label")),
        (["web", "--helm-repo-url", "ftp://x.invalid"], ("helm_repo_url", "must start with https://")),
        (["web", "--helm-repo-url", "https://x.invalid", "--chart-version", "six"], ("chart_version", "'six'")),
        (["web", "--helm-repo-url", "https://x.invalid", "--depends-on", "[db]"], ("depends_on", "'db'")),
        (["web", "--helm-repo-url", "https://x.invalid", "--depends-on", "["], ("depends_on", "'[' is not valid YAML")),
    ],
)
def test_a_bad_answer_is_a_message_and_writes_nothing(cluster, arguments, names):
    before = tree_state(cluster)
    result = cookbook_cli("add", *arguments, "--defaults", "-d", "fetch_values=false", cwd=cluster)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr.count("\n") <= 3, result.stderr
    assert all(name in result.stderr for name in names), result.stderr
    assert tree_state(cluster) == before


def test_add_outside_a_cluster_repository_says_so(tmp_path):
    """Before anything walks the folder: a link out of it, which a cluster repository would
    be refused for, is not reached (in a home directory by mistake, add walked all of it)."""
    (tmp_path / "projects").mkdir()
    (tmp_path / "projects/elsewhere").symlink_to(tmp_path.parent)
    result = cookbook_cli("add", "web", "--defaults", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "has no .copier-answers.yml" in result.stderr and "symbolic links" not in result.stderr, result.stderr


def test_add_without_the_helm_repository_names_its_option(cluster):
    """An app the template does not know, --defaults and no URL: the option to give, not
    copier's "Question ... is required"; nothing written."""
    before = git(cluster, "status", "--porcelain", "--untracked-files=all")
    result = cookbook_cli("add", "web", "--defaults", cwd=cluster)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "'helm_repo_url' has no default to take: give its answer (--helm-repo-url VALUE)" in result.stderr, result.stderr
    assert git(cluster, "status", "--porcelain", "--untracked-files=all") == before


def test_add_judges_the_name_before_the_files_a_folder_of_that_name_holds(cluster):
    """`add .github`: the name no app may have, as the template's validator says it, not
    "remove its files, or choose another app_name" of a folder that is no app's."""
    assert (cluster / ".github/workflows").is_dir()  # the cluster's own CI
    result = cookbook_cli("add", ".github", "--chart", "podinfo", "--helm-repo-url", "https://charts.example.invalid",
                          "--defaults", cwd=cluster)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "app_name '.github'" in result.stderr and "no answers file" not in result.stderr, result.stderr


def test_adopt_outside_a_git_repository_says_so(tmp_path, template):
    """As add: a folder that is no git repository is refused before anything walks it."""
    (tmp_path / "projects").mkdir()
    (tmp_path / "projects/elsewhere").symlink_to(tmp_path.parent)
    result = cookbook_cli("adopt", str(tmp_path), "--template", str(template.path))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "is not a git repository" in result.stderr and "symbolic links" not in result.stderr, result.stderr


def test_update_all_reports_an_up_to_date_repository(cluster, template, monkeypatch, tmp_path):
    copy(template.path, cluster, vcs_ref=template.current, kind="app", app_name="web", chart="podinfo",
         helm_repo_url="https://stefanprodan.github.io/podinfo")
    commit_all(cluster, "An app")
    # Nothing to update starts no worker: one started would stop the run here.
    monkeypatch.setenv("FLUX_COOKBOOK_SIGNAL_AT", "worker-started:SIGTERM")
    # Nor does it clone the template (what a scheduled run meets most days): git's own trace
    # lists every git command the run starts.
    trace = tmp_path / "git-trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    for newest in ([], ["--vcs-ref", template.current]):  # the template's newest release, or the one named
        result = cookbook_cli("update-all", str(cluster), *newest)
        assert result.returncode == 0, result.stderr
        assert f".copier-answers.yml: cluster already at {template.current}" in result.stdout
        assert f".copier-answers.app-web.yml: app web already at {template.current}" in result.stdout
        assert git(cluster, "log", "--format=%s").count("\n") == 2
        started = trace.read_text()
        assert "git ls-remote" in started or newest, started
        assert "git clone" not in started and "git worktree" not in started, started
        trace.unlink()


def test_a_subfolder_is_told_where_the_root_is(cluster):
    """Each command that works on the repository, run in one of its folders."""
    inside = cluster / "bootstrap"
    hint = f"; run it from {cluster}, or pass the repository"
    for command in (["update-all"], ["add", "web", "--defaults"], ["check"], ["seal", "web", "db"]):
        result = cookbook_cli(*command, cwd=inside)
        assert result.returncode == 1, (command, result.stderr)
        assert result.stderr.rstrip("\n").endswith(hint), (command, result.stderr)
        assert "Traceback" not in result.stderr


def test_a_cluster_in_a_subfolder_is_named_as_one_not_sent_to_the_root(cluster, template, tmp_path):
    """The cluster kept in k8s/ of a larger repository: sending the user to the root,
    where no cluster is, would only bring the opposite refusal."""
    repo = tmp_path / "monorepo"
    git(tmp_path, "init", "-q", str(repo))
    git(tmp_path, "clone", "-q", str(cluster), str(repo / "k8s"))
    shutil.rmtree(repo / "k8s/.git")
    commit_all(repo, "The cluster, in k8s/")
    for command in (["update-all"], ["check"], ["adopt", "--template", str(template.path)]):
        result = cookbook_cli(*command, cwd=repo / "k8s")
        assert result.returncode == 1, (command, result.stderr)
        assert f"the cluster lies in a subfolder of the git repository {repo}" in result.stderr, (command, result.stderr)
        assert "run it from" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("shows_untracked", ["normal", "no"])
def test_update_all_refuses_a_dirty_repository(cluster, shows_untracked):
    """A file git does not track is the user's, also where git's status hides such files
    (status.showUntrackedFiles=no): an update would commit it, or a reset remove it."""
    git(cluster, "config", "status.showUntrackedFiles", shows_untracked)
    (cluster / "notes.txt").write_text("wip\n")
    result = cookbook_cli("update-all", str(cluster))
    assert result.returncode == 1 and "uncommitted changes" in result.stderr and "Traceback" not in result.stderr
    assert "notes.txt" in result.stderr and (cluster / "notes.txt").read_text() == "wip\n"




def test_update_all_refuses_a_repository_in_the_middle_of_a_cherry_pick(cluster):
    """A cherry-pick of the user's that stopped at an empty commit leaves the tree clean:
    update-all's clean-up would abort it, and the rest of its commits with it."""
    (cluster / "notes.txt").write_text("one\n")
    commit_all(cluster, "Notes")
    git(cluster, "switch", "-q", "-c", "side", "HEAD~1")
    (cluster / "notes.txt").write_text("one\n")
    commit_all(cluster, "The same notes")
    (cluster / "more.txt").write_text("two\n")
    commit_all(cluster, "More")
    git(cluster, "switch", "-q", "-")
    stopped = subprocess.run(["git", "cherry-pick", "side~1", "side"], cwd=cluster, capture_output=True, text=True)
    assert stopped.returncode != 0 and git(cluster, "status", "--porcelain") == "", stopped.stderr
    result = cookbook_cli("update-all", str(cluster))
    assert result.returncode == 1 and "in the middle of a cherry-pick" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert (cluster / ".git/sequencer").is_dir()

@pytest.mark.parametrize("command", [["update-all", "."], ["values", "refresh", "--all"],
                                     ["add", "web-3", "--chart", "podinfo", "--helm-repo-url", "https://charts.example.invalid",
                                      "--defaults", "-d", "fetch_values=false"]])
def test_a_repository_whose_index_git_locked_is_refused_before_anything_runs(cluster, command):
    """A git killed while it wrote the index leaves .git/index.lock: every git write then
    fails, the taking back of a stopped update too. Refused first, naming the file."""
    (cluster / ".copier-answers.app-web.yml").write_text("kind: app\napp_name: web\n")  # an app to refresh
    commit_all(cluster, "An app")
    (cluster / ".git/index.lock").write_text("")
    before = tree_state(cluster)
    result = cookbook_cli(*command, cwd=cluster)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "holds .git/index.lock: a git command is running in it, or one was stopped" in result.stderr, result.stderr
    assert tree_state(cluster) == before


@pytest.mark.parametrize("broken", ["a folder", "not UTF-8"])
def test_update_all_names_an_answers_file_it_cannot_read(cluster, broken):
    answers = cluster / ".copier-answers.app-zz.yml"
    if broken == "a folder":
        answers.mkdir()
        (answers / "f").write_text("x\n")
    else:
        answers.write_bytes(b"app_name: zz\xff\n")
    commit_all(cluster, "An answers file that cannot be read")
    result = cookbook_cli("update-all", str(cluster))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert ".copier-answers.app-zz.yml" in result.stderr
    assert ("cannot be read" if broken == "a folder" else "is not UTF-8 text") in result.stderr, result.stderr


def test_a_chart_kept_in_the_repository_is_recorded_relative_to_it_so_every_clone_reads_it(cluster, template, tmp_path):
    """`add -d values_source=charts/podinfo`: an absolute path would name this clone, outside
    every other one, where update-all refuses to read it (and renders without it)."""
    from flux_cookbook.template_runs.copier_run import values_sources_outside

    shutil.copytree(CHARTS / "podinfo" / "6.13.0", cluster / "charts" / "podinfo")
    commit_all(cluster, "A chart kept in the repository")
    added = cookbook_cli("add", "web", "--chart", "podinfo", "--helm-repo-url", "https://charts.example.invalid",
                         "--defaults", "-d", "values_source=charts/podinfo", cwd=cluster)
    assert added.returncode == 0, added.stderr
    assert answers(cluster, "web")["values_source"] == "charts/podinfo"
    commit_all(cluster, "Add web")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(cluster), str(clone))
    assert values_sources_outside(clone, {".copier-answers.app-web.yml": answers(clone, "web")}) == []
    state = tree_state(clone)
    updated = copier_cli("update", "--trust", "--defaults", "-a", ".copier-answers.app-web.yml", cwd=clone)
    assert updated.returncode == 0, updated.stderr
    assert tree_state(clone) == state


def test_add_says_what_a_values_source_of_another_version_or_outside_the_repository_means(cluster):
    """Taken, as copier takes it, and said: values of a version the range does not match
    (values outdated lists the app as behind), a path update-all refuses to read."""
    older = CHARTS / "podinfo" / "6.0.3"
    added = cookbook_cli("add", "web", "--chart", "podinfo", "--chart-version", "6.14.x", "--helm-repo-url",
                         "https://charts.example.invalid", "--defaults", "-d", f"values_source={older}", cwd=cluster)
    assert added.returncode == 0, added.stderr
    assert (f"  values_source {older} is podinfo 6.0.3, which chart_version 6.14.x does not match: the app's values "
            "are 6.0.3's") in added.stdout, added.stdout
    assert f"  values_source {older} is outside the repository, recorded as this machine's path" in added.stdout
    shutil.copytree(CHARTS / "podinfo" / "6.14.1", cluster / "charts" / "podinfo")
    added = cookbook_cli("add", "api", "--chart", "podinfo", "--chart-version", "6.x", "--helm-repo-url",
                         "https://charts.example.invalid", "--defaults", "-d", "values_source=charts/podinfo", cwd=cluster)
    assert added.returncode == 0, added.stderr
    assert "values_source" not in added.stdout, added.stdout


def test_update_all_names_answers_the_release_would_drop_and_changes_nothing(template, tmp_path):
    """A misspelt key in an answers file: copier would drop it without a word and the
    question it meant take its default. update-all asks every answers file it is about to
    update, by the questions of the release it goes to, before any update runs."""
    repo = init_repo(copy(template.path, tmp_path / "cluster", vcs_ref=template.tag("2.1.1"), include_example_app=False))
    answers_file = repo / ".copier-answers.yml"
    answers_file.write_text(answers_file.read_text().replace("git_interval:", "git_intervall:"))
    commit_all(repo, "A hand edit")
    state = tree_state(repo)
    result = cookbook_cli("update-all", str(repo), "--vcs-ref", template.current)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert (".copier-answers.yml records what an update cannot use as it is (copier would drop or misread it without "
            "a word):\n  git_intervall: no question of the template has this name (did you mean git_interval?)\n"
            "Nothing was changed.") in result.stderr, result.stderr
    assert tree_state(repo) == state


@pytest.mark.parametrize(("name", "edit", "named"), [
    (".copier-answers.app-web.yml", ("app_name: web", "app_name: web-app"),
     "app_name: 'web-app', but the file is app 'web''s; an update would render app 'web-app' and leave 'web' as it is"),
    (".copier-answers.app-web.yml", (None, ""), "the file records no answers (it is empty)"),
    (".copier-answers.yml", ("kind: cluster", "kind: app"), "kind: 'app', but the file is the cluster's (kind: cluster)"),
    (".copier-answers.app-.yml", (None, "kind: app\n"), "the file's name names no app"),
])
def test_update_all_refuses_an_answers_file_that_contradicts_its_name(cluster, template, name, edit, named):
    """An app's answers file renders the app its app_name names: another name rendered the
    other app and left this one's files as they were, marked updated, the release's changes
    lost for good; an empty one was a traceback; a nameless app's was updated as the cluster."""
    copy(template.path, cluster, kind="app", app_name="web", chart="podinfo", helm_repo_url="https://charts.example.invalid",
         fetch_values=False)
    path = cluster / name
    old, new = edit
    path.write_text(new if old is None else path.read_text().replace(old, new))
    commit_all(cluster, "A hand edit")
    state = tree_state(cluster)
    result = cookbook_cli("update-all", str(cluster))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"{name} records what an update cannot use as it is" in result.stderr and f"\n  {named}" in result.stderr, \
        result.stderr
    assert tree_state(cluster) == state


def test_update_all_names_the_answers_files_after_the_update_that_stopped_it(template, tmp_path):
    """README: it reports every answers file (updated, already current, or why it stopped)."""
    repo = copy(template.path, tmp_path / "cluster", vcs_ref=template.tag("2.1.1"), include_example_app=False)
    for app in ("aa", "bb", "cc"):
        copy(template.path, repo, vcs_ref=template.tag("2.1.1"), kind="app", app_name=app, chart="podinfo",
             helm_repo_url="https://charts.example.invalid", fetch_values=False)
    answers_file = repo / ".copier-answers.app-bb.yml"
    answers_file.write_text(answers_file.read_text().replace("chart_version: '*'", "chart_version: banana"))
    init_repo(repo)
    result = cookbook_cli("update-all", str(repo), "--vcs-ref", template.current)
    assert result.returncode == 1, result.stdout + result.stderr
    assert ".copier-answers.app-bb.yml: update failed: the answer to 'chart_version' is refused" in result.stderr
    assert ("Not updated either, as update-all stops at the first update that does not finish: "
            ".copier-answers.app-cc.yml") in result.stderr, result.stderr


def test_update_all_to_an_older_release_is_named_a_downgrade_and_changes_nothing(cluster, template):
    """copier refuses a downgrade only once it runs, after the answers were judged by the
    older release's questions (which named the newer answers as mistakes to remove)."""
    state = tree_state(cluster)
    result = cookbook_cli("update-all", str(cluster), "--vcs-ref", template.tag("2.1.1"))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert (f"update-all goes forward only (copier does not downgrade), and --vcs-ref names a release older than these "
            f"record:\n  .copier-answers.yml: {template.current} -> {template.tag('2.1.1')}\nNothing was changed.") \
        in result.stderr, result.stderr
    assert tree_state(cluster) == state


def test_an_update_git_refuses_to_commit_is_undone_and_named(template, tmp_path):
    """A commit hook or signing that fails: the update is not left staged for the user to find."""
    repo = init_repo(copy(template.path, tmp_path / "cluster", vcs_ref=template.tag("3.1.0"),
                          include_example_app=False, sealed_secrets=False))
    git(repo, "config", "commit.gpgsign", "true")
    git(repo, "config", "gpg.program", "false")
    head = git(repo, "rev-parse", "HEAD")
    result = cookbook_cli("update-all", str(repo), "--vcs-ref", template.current)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "git refused to commit it, so it was undone and nothing was changed" in result.stderr, result.stderr
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == "" and git(repo, "rev-parse", "HEAD") == head


def test_a_link_that_loops_is_no_traceback(cluster):
    """Every command first looks for links leading out of the repository; one that loops
    leads nowhere: the commands go on."""
    (cluster / "loop.yaml").symlink_to("loop.yaml")
    commit_all(cluster, "A link to itself")
    checked = cookbook_cli("check", str(cluster), "--no-build")
    assert checked.returncode == 0 and "Traceback" not in checked.stderr, checked.stderr
    updated = cookbook_cli("update-all", str(cluster))
    assert updated.returncode == 0 and "Traceback" not in updated.stderr, updated.stderr


def test_output_its_reader_stopped_reading_is_no_traceback(cluster):
    """`flux-cookbook check --format json | head -1`: the reader goes away; the command
    ends quietly, as a shell reports SIGPIPE (its stdout here: a pipe no one reads)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([sys.executable, "-m", "flux_cookbook", "check", "--format", "json", "--no-build", str(cluster)],
                                env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, stdout=write_end,
                                stderr=subprocess.PIPE, text=True, check=False)
    finally:
        os.close(write_end)
    assert result.returncode == 141 and result.stderr == "", result.stderr


def test_an_add_or_new_stopped_half_way_leaves_nothing(cluster, template, monkeypatch, tmp_path):
    """Ctrl-C (or SIGTERM, as a scheduler ends a job) once copier has written the files: the
    app (or the repository) is taken back, so the same command can run again (files without
    answers it would refuse)."""
    before = tree_state(cluster)
    monkeypatch.setenv("FLUX_COOKBOOK_SIGNAL_AT", "app-copied:SIGINT")
    stopped = cookbook_cli("add", "web", "--helm-repo-url", "https://charts.example.com", "--defaults", cwd=cluster)
    assert stopped.returncode == 130 and "interrupted" in stopped.stderr, stopped.stderr
    assert tree_state(cluster) == before
    monkeypatch.setenv("FLUX_COOKBOOK_SIGNAL_AT", "cluster-copied:SIGTERM")
    for dest in (tmp_path / "new", tmp_path / "empty"):
        (tmp_path / "empty").mkdir(exist_ok=True)
        stopped = cookbook_cli("new", str(dest), "--defaults", "--template", str(template.path), "--vcs-ref", template.current)
        assert stopped.returncode == 143 and stopped.stderr.endswith("interrupted by SIGTERM\n"), stopped.stderr
        assert not (tmp_path / "new").exists() and not any((tmp_path / "empty").iterdir())
    monkeypatch.delenv("FLUX_COOKBOOK_SIGNAL_AT")
    added = cookbook_cli("add", "web", "--helm-repo-url", "https://charts.example.com", "--defaults", cwd=cluster)
    assert added.returncode == 0, added.stderr

def test_add_knows_the_sealed_secrets_controller(cluster):
    result = cookbook_cli("add", "sealed-secrets", "--defaults", cwd=cluster)
    assert result.returncode == 0, result.stderr
    recorded = answers(cluster, "sealed-secrets")
    assert (recorded["namespace"], recorded["chart"], recorded["helm_repo_url"]) == (
        "sealed-secrets", "sealed-secrets", "https://bitnami-labs.github.io/sealed-secrets")
    assert recorded["health_checks"] == [{"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
                                          "name": "sealed-secrets", "namespace": "sealed-secrets"}]
    assert recorded["values_overrides"] == {"fullnameOverride": "sealed-secrets-controller"}


def test_update_all_without_a_git_identity_changes_nothing(template, tmp_path):
    """A scheduled job with no git user: refused before the first update, which would stay staged."""
    import os

    from tests.support.project import copy, init_repo

    cluster = init_repo(copy(template.path, tmp_path / "cluster", vcs_ref=template.tag("2.1.1"),
                             include_example_app=False, sealed_secrets=False))
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("GIT_AUTHOR_", "GIT_COMMITTER_")) and name != "EMAIL"}
    env.update({"HOME": str(tmp_path), "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "user.useConfigOnly", "GIT_CONFIG_VALUE_0": "true",
                "PYTHONPATH": str(PROJECT_ROOT)})
    before = tree_state(cluster)
    result = subprocess.run([sys.executable, "-m", "flux_cookbook", "update-all", str(cluster), "--vcs-ref",
                             template.current], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "git has no name and email to commit the updates as" in result.stderr and "nothing was changed" in result.stderr
    assert tree_state(cluster) == before


def test_update_all_where_a_checkout_hook_fails_or_no_worktree_can_be_added(template, tmp_path):
    """A post-checkout hook that fails (git-lfs's, without git-lfs) does not run in
    update-all's own worktrees; where git cannot add one at all, the apps are updated one
    after another in the repository itself, and the build check, which builds the start in
    a worktree, says it could not (both were tracebacks after the commits)."""
    from tests.support.project import AUTHOR

    published = tmp_path / "template"
    git(tmp_path, "clone", "-q", str(template.path), str(published))
    release_file = published / "template/app/{{ layout.app_dir(app_name, apps_dir) }}/helmrelease-{{ app_name }}.yaml.jinja"
    release_file.write_text("# Managed by the flux cookbook template.\n" + release_file.read_text())
    git(published, *AUTHOR, "commit", "-q", "-am", "A comment")
    major, minor, patch = template.current.removeprefix("v").split(".")
    release = f"v{major}.{minor}.{int(patch) + 1}"
    git(published, "tag", release)
    # The cluster is at the release already (as after an update-all stopped at an app): each
    # run updates only the four apps, the fewest that update-all updates in worktrees
    # (update_all.PARALLEL_FROM); a cluster's update to this release would change nothing.
    repo = init_repo(copy(published, tmp_path / "repo", vcs_ref=release, include_example_app=False,
                          sealed_secrets=False))
    apps = ("web", "api", "queue", "cache")
    for app in apps:
        copy(published, repo, vcs_ref=template.current, kind="app", app_name=app, chart="podinfo",
             helm_repo_name="podinfo", helm_repo_url="https://charts.example.invalid", fetch_values=False)
    commit_all(repo, "Four apps")
    hook = repo / ".git/hooks/post-checkout"
    hook.write_text("#!/bin/sh\necho 'git-lfs was not found on your path' >&2\nexit 2\n")
    hook.chmod(0o755)
    other = own_copy(repo, tmp_path / "other")
    (other / ".git/worktrees").write_text("")  # where git keeps its worktrees: no folder

    for target, fallback in ((repo, False), (other, True)):
        result = cookbook_cli("update-all", str(target), "--vcs-ref", release, "--jobs", "2", "--trust")
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stdout + result.stderr
        assert "git-lfs" not in result.stdout + result.stderr
        assert ("the apps are updated one after another in the repository itself" in result.stdout) == fallback
        assert ("build check skipped: git could not check out" in result.stdout) == fallback, result.stdout
        assert all(f"app {app} to {release}" in result.stdout for app in apps), result.stdout
        assert git(target, "status", "--porcelain") == ""


def test_add_names_an_option_the_clusters_release_has_no_question_for(template, tmp_path):
    """values_in came with 3.0.0: `add --values-in` at a 2.0.0 cluster is said to go unused."""
    repo = tmp_path / "old"
    made = cookbook_cli("new", str(repo), "--defaults", "--template", str(template.path), "--vcs-ref", template.tag("2.0.0"),
                        "-d", "include_example_app=false", "-d", "sealed_secrets=false")
    assert made.returncode == 0, made.stderr
    result = cookbook_cli("add", "web", "--chart", "podinfo", "--helm-repo-url", "https://charts.example.invalid",
                          "--chart-version", "6.x", "--values-in", "inline", "--defaults", "-d", "fetch_values=false", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "Note: --values-in was not used" in result.stdout and "values_in" not in answers(repo, "web")
    assert "--chart-version was not used" not in result.stdout
