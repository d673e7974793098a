"""template_clone: update-all's one clone of the template, whose release tags hold only
the files copier reads."""

from __future__ import annotations

import subprocess

from flux_cookbook.template_runs.template_clone import clone, slim_releases
from tests.support.project import commit_all, init_repo
from tests.support.template_repo import git

# A template repository as this project lays it out, a file in each folder.
FILES = ("copier.yml", "README.md", "template/cluster/README.md.jinja", "extensions/jinja_entry.py",
         "extensions/migrations/run.py", "flux_cookbook/__init__.py", "flux_cookbook/cli.py",
         "flux_cookbook/crds/current/x.yaml", "tests/test_x.py", "docs/design.md", "bench/bench.py", ".ci/run")
COPIER_READS = {"copier.yml", "README.md", "template/cluster/README.md.jinja", "extensions/jinja_entry.py",
                "extensions/migrations/run.py", "flux_cookbook/__init__.py"}


def files_at(repo, ref: str) -> set[str]:
    return set(git(repo, "ls-tree", "-r", "--name-only", ref).split())


def test_release_tags_hold_what_copier_reads_when_every_ref_is_a_tag(tmp_path):
    template = tmp_path / "template"
    for name in FILES:
        (template / name).parent.mkdir(parents=True, exist_ok=True)
        (template / name).write_text(f"{name}\n")
    init_repo(template)
    git(template, "tag", "-a", "v1.0.0", "-m", "Release 1.0.0")
    (template / "copier.yml").write_text("changed: after the release\n")
    commit_all(template, "After the release")
    after = git(template, "rev-parse", "HEAD").strip()

    first, second = clone(str(template), tmp_path / "a.git"), clone(str(template), tmp_path / "b.git")
    # A run that checks out a commit that is no tag (a recorded `v1.0.0-1-g...`, a --vcs-ref):
    # the tags stay where they are, or git describe would find no release before that commit.
    tagged = git(first, "rev-parse", "v1.0.0").strip()
    assert not slim_releases(first, ["v1.0.0", after]) and git(first, "rev-parse", "v1.0.0").strip() == tagged
    assert slim_releases(first, ["v1.0.0"]) and slim_releases(second, ["v1.0.0"])
    assert files_at(first, "v1.0.0") == COPIER_READS
    for name in COPIER_READS:  # the same files, as the release has them
        assert git(first, "show", f"v1.0.0:{name}") == git(template, "show", f"v1.0.0:{name}")
    # The same commit on every run; copier reads the release's version from it.
    assert git(first, "rev-parse", "v1.0.0").strip() == git(second, "rev-parse", "v1.0.0").strip()
    described = subprocess.run(["git", "describe", "--tags", "v1.0.0"], cwd=first, capture_output=True, text=True)
    assert described.stdout.strip() == "v1.0.0"


def test_a_tag_naming_no_commit_leaves_the_clone_usable(tmp_path):
    """A tag on a file (git allows it) cannot be a release copier checks out: the slimming
    stops there, says so, and every tag still names what it named."""
    template = tmp_path / "template"
    template.mkdir()
    (template / "copier.yml").write_text("_subdirectory: template\n")
    init_repo(template)
    git(template, "tag", "v1.0.0")
    git(template, "tag", "v0.9.0", git(template, "rev-parse", "HEAD:copier.yml").strip())
    cloned = clone(str(template), tmp_path / "a.git")
    before = git(cloned, "show-ref", "--tags")
    assert not slim_releases(cloned, ["v0.9.0", "v1.0.0"])
    assert git(cloned, "cat-file", "-t", "v0.9.0").strip() == "blob"
    assert git(cloned, "show", "v1.0.0:copier.yml") == "_subdirectory: template\n"
    assert before.count("\n") == git(cloned, "show-ref", "--tags").count("\n")
