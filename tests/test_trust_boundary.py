"""A template runs its tasks and migrations only when the user trusts it (flux_cookbook/template_runs/trust.py).

The attack: an answers file (one line of a pull request) names another template, whose
task and migration write a marker file. `update-all` and `add` must refuse before copier
runs anything, naming the template and how to trust it; the marker must not exist.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from flux_cookbook.template_runs import trust
from tests.support.project import commit_all, cookbook_cli, own_copy, tree_state
from tests.support.template_repo import git

APP = ["--chart", "podinfo", "--helm-repo-url", "https://charts.example.invalid", "--chart-version", "6.x",
       "--defaults", "-d", "fetch_values=false"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, Path]:
    """(a template whose task and v2.0.0 migration touch a marker file, the marker's path)."""
    root = tmp_path_factory.mktemp("hostile")
    marker = root / "pwned"
    template = root / "template"
    template.mkdir()
    (template / "copier.yml").write_text(yaml.safe_dump({
        "_subdirectory": "t",
        "_tasks": [f"touch {marker}"],
        "_migrations": [{"version": "v2.0.0", "command": f"touch {marker}"}],
        "kind": {"type": "str", "default": "app"},
        "app_name": {"type": "str", "default": "web"},
    }))
    (template / "t").mkdir()
    (template / "t/{{ _copier_conf.answers_file }}.jinja").write_text("{{ _copier_answers|to_nice_yaml }}")
    git(template, "init", "-q", "-b", "main")
    for version in ("v1.0.0", "v2.0.0"):
        (template / "t/version.txt").write_text(version)
        git(template, "add", "-A")
        git(template, "-c", "user.name=x", "-c", "user.email=x@invalid", "commit", "-q", "-m", version)
        git(template, "tag", version)
    return template, marker


@pytest.fixture(scope="module")
def cluster_with_app(template, tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("trust") / "cluster"
    made = cookbook_cli("new", str(repo), "--defaults", "--template", str(template.path), "--vcs-ref", template.current,
                        "-d", "include_example_app=false", "-d", "sealed_secrets=false")
    assert made.returncode == 0, made.stderr
    added = cookbook_cli("add", "web", *APP, cwd=repo)
    assert added.returncode == 0, added.stderr
    commit_all(repo, "Add web")
    return repo


@pytest.fixture
def cluster(cluster_with_app, tmp_path) -> Path:
    return own_copy(cluster_with_app, tmp_path / "cluster")


def point_at(repo: Path, answers_file: str, template: Path | str) -> None:
    path = repo / answers_file
    recorded = yaml.safe_load(path.read_text())
    recorded.update(_src_path=str(template), _commit="v1.0.0")
    path.write_text(yaml.safe_dump(recorded))
    commit_all(repo, "A pull request changes one line")


def cluster_template(repo: Path) -> str:
    return yaml.safe_load((repo / ".copier-answers.yml").read_text())["_src_path"]


def test_update_all_refuses_an_answers_file_naming_another_template(cluster, hostile):
    template, marker = hostile
    point_at(cluster, ".copier-answers.app-web.yml", template)
    before = tree_state(cluster)
    result = cookbook_cli("update-all", str(cluster))
    assert result.returncode == 1, result.stdout
    assert f"the template {template}" in result.stderr and ".copier-answers.app-web.yml" in result.stderr
    assert f"names {template}, not {cluster_template(cluster)} as the other answers files do" in result.stderr
    assert "--trust" in result.stderr and "Traceback" not in result.stderr
    assert not marker.exists()
    assert tree_state(cluster) == before



@pytest.mark.parametrize("where", ["absolute", "home", "link"])
def test_update_all_reads_no_values_source_outside_the_repository(cluster, tmp_path, monkeypatch, where):
    """A pull request points an app's values_source at a file of the machine (a bot's
    credentials) and makes the app due for an update: copier would render the app from it,
    and the bot would commit and push what it read."""
    secret = tmp_path / "home" / "credentials.yaml"
    secret.parent.mkdir()
    secret.write_text("token: do-not-read\n")
    monkeypatch.setenv("HOME", str(secret.parent))
    source = {"absolute": str(secret), "home": "~/credentials.yaml", "link": "charts/values.yaml"}[where]
    if where == "link":  # a link to it, committed in the repository: require_inside names it first
        (cluster / "charts").mkdir()
        (cluster / "charts/values.yaml").symlink_to(secret)
    path = cluster / ".copier-answers.app-web.yml"
    recorded = yaml.safe_load(path.read_text())
    recorded.update(values_source=source, values_in="inline", _commit="v1.0.0")
    path.write_text(yaml.safe_dump(recorded))
    commit_all(cluster, "A pull request changes two lines")
    before = tree_state(cluster)
    result = cookbook_cli("update-all", str(cluster))
    assert result.returncode == 1, result.stdout
    said = result.stdout + result.stderr
    if where == "link":
        assert "holds symbolic links" in said and "charts/values.yaml" in said
    else:
        assert f".copier-answers.app-web.yml: values_source {source}" in result.stderr, said
        assert "reads nothing outside the repository" in result.stderr and "Nothing was changed" in result.stderr
    assert "Traceback" not in said and "do-not-read" not in said
    assert tree_state(cluster) == before


def test_a_template_the_repository_may_hold_is_refused(cluster, hostile, template):
    """A pull request commits a template (a git bundle: one file) into the repository and
    names it by a relative path, the name the trusted template has where the job runs
    (the folder beside the repository). Read from there it was trusted; copier, updating
    the repository, ran the committed one: its migration ran. Refused, naming the path
    copier reads; so is any spelling copier reads there (`file://`), and an absolute path
    into the repository."""
    hostile_template, marker = hostile
    name = template.path.name
    git(hostile_template, "bundle", "create", str(cluster / name), "--all")
    (cluster / "file:").mkdir()
    git(hostile_template, "bundle", "create", str(cluster / "file:" / name), "--all")
    for source, said in ((name, f"names its template by a relative path (_src_path: {name}), which copier, updating the "
                                f"repository, reads from it ({cluster / name})"),
                         (f"file://{name}", "names its template by a relative path"),
                         (str(cluster / name), f"names a template inside the repository (_src_path: {cluster / name})")):
        for answers_file in (".copier-answers.yml", ".copier-answers.app-web.yml"):
            point_at(cluster, answers_file, source)
        before = tree_state(cluster)
        result = cookbook_cli("update-all", str(cluster), "--vcs-ref", "v2.0.0", cwd=template.path.parent)
        assert result.returncode == 1, result.stdout + result.stderr
        assert f".copier-answers.yml {said}" in result.stderr, result.stderr
        assert not marker.exists()
        assert tree_state(cluster) == before


def test_a_folder_named_like_the_trusted_one_with_git_added_is_another_template(cluster, hostile, template, tmp_path):
    """`<trusted>.git` beside the trusted folder is another repository, however a URL with
    and without `.git` names one: refused, and its task never runs."""
    hostile_template, marker = hostile
    twin = Path(f"{template.path}.git")
    git(tmp_path, "clone", "-q", str(hostile_template), str(twin))
    try:
        point_at(cluster, ".copier-answers.app-web.yml", twin)
        before = tree_state(cluster)
        result = cookbook_cli("update-all", str(cluster))
        assert result.returncode == 1, result.stdout
        assert f"the template {twin}" in result.stderr and "is not trusted" in result.stderr, result.stderr
        assert not marker.exists()
        assert tree_state(cluster) == before
    finally:
        shutil.rmtree(twin)

def test_add_refuses_a_cluster_naming_another_template(cluster, hostile):
    template, marker = hostile
    point_at(cluster, ".copier-answers.yml", template)
    before = tree_state(cluster)
    result = cookbook_cli("add", "api", *APP, cwd=cluster)
    assert result.returncode == 1
    assert f"the template {template} (_src_path of .copier-answers.yml) is not trusted" in result.stderr
    assert not marker.exists() and tree_state(cluster) == before


def test_add_refuses_an_untrusted_template_option_and_runs_it_with_trust(cluster, hostile):
    template, marker = hostile
    refused = cookbook_cli("add", "api", "--template", str(template), "--vcs-ref", "v1.0.0", "--defaults", cwd=cluster)
    assert refused.returncode == 1 and "given with --template" in refused.stderr
    assert not marker.exists()
    # The same command with --trust does run the task: what the refusals above prevented.
    trusted = cookbook_cli("add", "api", "--template", str(template), "--vcs-ref", "v1.0.0", "--defaults", "--trust",
                           cwd=cluster)
    assert trusted.returncode == 0, trusted.stderr
    assert marker.exists()
    marker.unlink()


def test_a_template_folder_that_is_not_there_is_named_as_such(cluster, tmp_path):
    """A typo in --template is no untrusted template: `--trust`, as that message advised,
    only led to copier's bare "Local template must be a directory"."""
    missing = tmp_path / "tlp"
    for command in (["new", str(tmp_path / "new")], ["add", "api", "--repo", str(cluster)]):
        result = cookbook_cli(*command, "--template", str(missing), "--defaults")
        assert result.returncode == 1 and f"the template {missing} (given with --template) does not exist" in result.stderr
        assert "not trusted" not in result.stderr


def test_update_all_names_a_recorded_template_folder_that_is_not_there(cluster, tmp_path):
    """The clone the answers name was moved: no untrusted template, nothing git-tracked."""
    moved = tmp_path / "moved-away"
    for name in (".copier-answers.yml", ".copier-answers.app-web.yml"):
        point_at(cluster, name, moved)
    commit_all(cluster, "The template's clone moved")
    state = tree_state(cluster)
    result = cookbook_cli("update-all", str(cluster))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert (f"the template {moved} (_src_path of .copier-answers.yml, .copier-answers.app-web.yml) is not there: its "
            "clone was moved or removed") in result.stderr and "not trusted" not in result.stderr
    assert tree_state(cluster) == state


@pytest.mark.parametrize(("entries", "source", "trusted"), [
    (["/srv/templates/"], "/srv/templates/flux", True),  # a prefix ending in / covers what is below it
    (["/srv/templates"], "/srv/templates/flux", False),  # without the / it is one source
    (["/srv/templates/"], "/srv/templates-evil/flux", False),
    (["/srv/templates/"], "/srv/templates/../elsewhere", False),  # .. is resolved before matching
    (["https://github.com/acme/"], "https://github.com/acme/flux.git", True),
    (["https://github.com/acme/"], "https://github.com/acme/%2e%2e/evil", False),  # escapes: only an exact entry
    (["https://github.com/acme/flux"], "https://github.com/acme/flux.git", False),  # exactly, as copier: no .git added
    (["gh:acme/flux"], "gh:acme/flux", True),
    (["gh:acme/flux"], "gh:acme/flux-fork", False),
])
def test_copier_trust_entries_match_as_copier_matches_them(entries, source, trusted):
    assert trust.trusted_by(entries, source) is trusted


def test_a_source_in_copiers_settings_is_trusted(tmp_path, monkeypatch):
    settings = tmp_path / "settings.yml"
    settings.write_text("trust: [/srv/templates/]\n")
    monkeypatch.setenv("COPIER_SETTINGS_PATH", str(settings))
    assert trust.why_trusted("/srv/templates/flux", False) == "copier settings"
    assert trust.why_trusted("/srv/other", False) is None
    assert trust.why_trusted("/srv/other", True) == "--trust"


def test_a_trusted_answers_file_naming_another_template_is_named(tmp_path):
    tpl, other = tmp_path / "tpl", tmp_path / "other"
    tpl.mkdir(), other.mkdir()
    notes = trust.require_trusted_answers(
        {".copier-answers.yml": str(tpl), ".copier-answers.app-a.yml": str(tpl),
         ".copier-answers.app-b.yml": str(other)}, given_trust=True)
    assert notes == [f".copier-answers.app-b.yml names {other}, not {tpl} as the other answers files do"]
    assert trust.require_trusted_answers({".copier-answers.yml": str(tpl)}, given_trust=True) == []


@pytest.fixture
def fork_commit(template, tmp_path) -> tuple[Path, str, Path]:
    """(a clone of the trusted template, a commit of it on no branch or tag whose task
    touches a marker, as a pull request's is: refs/pull/1/head; the marker's path)."""
    clone, marker = tmp_path / "template", tmp_path / "pwned"
    git(tmp_path, "clone", "-q", str(template.path), str(clone))
    git(clone, "checkout", "-q", "--detach", template.tag("2.1.1"))  # older: an update goes forward from it
    config = clone / "copier.yml"
    assert "\n_tasks:\n" in config.read_text()
    config.write_text(config.read_text().replace("\n_tasks:\n", f"\n_tasks:\n  - command: touch {marker}\n", 1))
    git(clone, "-c", "user.name=x", "-c", "user.email=x@invalid", "commit", "-q", "-am", "An innocent change")
    commit = git(clone, "rev-parse", "HEAD").strip()
    git(clone, "update-ref", "refs/pull/1/head", commit)
    git(clone, "checkout", "-q", "-")  # back to the branch the clone has, whatever its name
    return clone, commit, marker


def record(repo: Path, answers_file: str, **values: str) -> None:
    path = repo / answers_file
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), **values}))


def test_update_all_refuses_a_recorded_commit_that_is_no_release(cluster, fork_commit):
    """One changed line names a commit of the trusted template that was never released:
    copier would render it (its tasks included) to compare with. Refused, --trust or not."""
    clone, commit, marker = fork_commit
    for answers_file in (".copier-answers.yml", ".copier-answers.app-web.yml"):
        record(cluster, answers_file, _src_path=str(clone))
    commit_all(cluster, "The template's clone")
    record(cluster, ".copier-answers.app-web.yml", _commit=commit)
    commit_all(cluster, "A pull request changes one line")
    before = tree_state(cluster)
    result = cookbook_cli("update-all", str(cluster), "--trust")
    assert result.returncode == 1, result.stdout
    assert f".copier-answers.app-web.yml records template commit {commit}, which is no release" in result.stderr
    assert "Traceback" not in result.stderr
    assert not marker.exists()
    assert tree_state(cluster) == before


def test_add_refuses_a_cluster_recording_a_commit_that_is_no_release(cluster, fork_commit):
    clone, commit, marker = fork_commit
    record(cluster, ".copier-answers.yml", _src_path=str(clone), _commit=commit)
    commit_all(cluster, "A pull request changes one line")
    before = tree_state(cluster)
    result = cookbook_cli("add", "api", *APP, "--trust", cwd=cluster)
    assert result.returncode == 1, result.stdout
    assert f".copier-answers.yml records template commit {commit}, which is no release" in result.stderr
    assert not marker.exists() and tree_state(cluster) == before


def test_which_recorded_commits_copier_may_render(fork_commit, template):
    clone, unreleased, _ = fork_commit
    on_main = git(clone, "rev-parse", "HEAD").strip()
    assert trust.commit_refusal("a", str(clone), "v2.1.1") is None
    assert trust.commit_refusal("a", str(clone), on_main) is None  # a local folder's own history: the user's work
    git(clone, "branch", "pr-1", unreleased)  # a pull request fetched to a branch is still not the user's
    assert "no release" in trust.commit_refusal("a", str(clone), unreleased)
    assert trust.commit_refusal("a", str(clone), "0" * 40) is None  # copier's draft: the folder lacks it
    assert "no release" in trust.commit_refusal("a", str(clone), unreleased)
    assert "no release" in trust.commit_refusal("a", str(clone), "--upload-pack=x")
    assert "no release" in trust.commit_refusal("a", "https://github.com/acme/template.git", on_main)
