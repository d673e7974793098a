"""layout.py and the template's file tree spell the same names: render both and compare."""

from flux_cookbook.extensions import layout
from tests.support.project import copy, files


def test_a_rendered_cluster_and_app_are_where_layout_says(template, tmp_path):
    repo = copy(template.path, tmp_path / "repo", include_example_app=False, sealed_secrets=False, bootstrap_dir="clusters")
    copy(template.path, repo, kind="app", app_name="web", namespace="shop", chart="podinfo",
         helm_repo_name="charts", helm_repo_url="https://example.invalid/charts", fetch_values=False)
    expected = {
        layout.CLUSTER_ANSWERS,
        layout.app_answers_file("web"),
        layout.namespace_file("clusters", "shop"),
        layout.helm_repository_file("clusters", "charts"),
        layout.kustomization_file("clusters", "web"),
        layout.helm_release_file("web"),
        layout.values_configmap_file("web"),
    }
    written = files(repo)
    assert expected <= written
    assert {f for f in written if f.startswith("clusters/")} - expected == {
        f"clusters/{sub}/.gitkeep" for sub in layout.BOOTSTRAP_SUBDIRS
    }
    assert layout.answers_files(repo) == [layout.CLUSTER_ANSWERS, layout.app_answers_file("web")]
    assert layout.apps(repo) == {"web"}
    assert layout.app_of_answers_file(layout.app_answers_file("web")) == "web"
    assert layout.app_of_answers_file(layout.CLUSTER_ANSWERS) is None
    # copier.yml's _answers_file: the cluster's whatever app_name holds (copier leaves it unset there).
    assert layout.answers_file_of("app", "web") == ".copier-answers.app-web.yml"
    assert layout.answers_file_of("cluster", "") == layout.CLUSTER_ANSWERS == ".copier-answers.yml"


def test_the_benchmark_edits_a_file_the_template_has():
    """bench/bench.py makes release B by editing one template file: it must exist."""
    import ast

    from tests.support.template_repo import PROJECT_ROOT

    source = ast.parse((PROJECT_ROOT / "bench" / "bench.py").read_text())
    (edited,) = [node.value.value for node in source.body if isinstance(node, ast.Assign)
                 and [getattr(t, "id", None) for t in node.targets] == ["APP_TEMPLATE_FILE"]]
    assert (PROJECT_ROOT / edited).is_file()
