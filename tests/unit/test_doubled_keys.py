"""A key an update left twice in one mapping, named; one the user's file had twice before, not."""

from flux_cookbook.extensions.migrations.doubled_keys import doubled
from tests.support.project import init_repo, repo_with


def test_only_the_keys_the_update_doubled_are_named(tmp_path):
    repo = repo_with(tmp_path / "repo", {
        "a.yaml": "spec:\n  x: 1\n  x: 2\n",  # the user's own double: check names it, not the update
        "b.yaml": "spec:\n  x: 1\n",
        "notes.txt": "x: 1\nx: 2\n",
        "renovate.json": '{\n  "extends": ["config:recommended"],\n  "schedule": ["weekly"]\n}\n',
    })
    (repo / "a.yaml").write_text("spec:\n  x: 1\n  x: 2\n  y: 1\n  y: 2\n")
    (repo / "b.yaml").write_text("spec:\n  x: 1\n  list:\n    - {k: 1, k: 2}\n---\nspec: {x: 1}\n")
    (repo / "new.yml").write_text("a: 1\nb: &base {c: 1}\nd:\n  <<: *base\n  <<: *base\n")  # merge keys: YAML's own
    (repo / "notes.txt").write_text("x: 1\nx: 2\nx: 3\n")  # no YAML file
    # A release's line merged above the user's own of the same key.
    (repo / "renovate.json").write_text('{\n  "extends": ["config:recommended"],\n  "enabledManagers": ["flux"],\n'
                                        '  "schedule": ["weekly"],\n  "enabledManagers": ["flux", "regex"]\n}\n')
    assert doubled(repo) == {"a.yaml": ["y (lines 4 and 5)"], "b.yaml": ["k (lines 4 and 4)"],
                             "renovate.json": ["enabledManagers (lines 3 and 5)"]}


def test_a_file_with_conflict_markers_or_a_recursive_alias_is_passed_over(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    init_repo(repo)
    (repo / "c.yaml").write_text("<<<<<<< before updating\na: 1\n=======\na: 2\n>>>>>>> after updating\n")
    (repo / "d.yaml").write_text("&loop [*loop, {e: 1, e: 2}]\n")
    assert doubled(repo) == {"d.yaml": ["e (lines 1 and 1)"]}


def test_a_file_a_step_moved_or_one_that_was_no_yaml_before_is_judged_by_what_it_was(tmp_path):
    """A key the user's file held twice before a release's step moved it (`git mv`) is not
    the update's doing; nor is any in a file that was no YAML before the update."""
    from flux_cookbook.extensions.migrations.git_repo import git

    repo = repo_with(tmp_path / "repo", {"flux-system/a.yaml": "spec:\n  x: 1\n  x: 2\n", "b.yaml": "a: [\n"})
    (repo / "bootstrap").mkdir()
    git(repo, "mv", "flux-system/a.yaml", "bootstrap/a.yaml")
    (repo / "b.yaml").write_text("a: 1\na: 2\n")
    assert doubled(repo) == {}


def test_a_cluster_in_a_folder_of_a_larger_repository_is_judged_by_its_own_paths(tmp_path):
    """copier updates the folder: the moves git stages, and the files, are named from there."""
    from flux_cookbook.extensions.migrations.git_repo import git

    repo = repo_with(tmp_path / "repo", {"cluster/flux-system/a.yaml": "spec:\n  x: 1\n  x: 2\n",
                                         "cluster/b.yaml": "spec:\n  y: 1\n"})
    cluster = repo / "cluster"
    (cluster / "bootstrap").mkdir()
    git(cluster, "mv", "flux-system/a.yaml", "bootstrap/a.yaml")
    (cluster / "bootstrap/a.yaml").write_text("spec:\n  x: 1\n  x: 2\n  z: 1\n")
    (cluster / "b.yaml").write_text("spec:\n  y: 1\n  y: 2\n")
    git(cluster, "add", "b.yaml")  # staged only
    assert doubled(cluster) == {"b.yaml": ["y (lines 2 and 3)"]}
