"""Answers copier would drop without a word, named before an update (extensions/answers_check.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from copier.errors import UserMessageError
from jinja2.sandbox import SandboxedEnvironment

from flux_cookbook.extensions import answers_check, template_api
from tests.support.template_repo import PROJECT_ROOT

CONFIG = answers_check.parsed_config((PROJECT_ROOT / "copier.yml").read_text())
APP = {"_commit": "v3.1.0", "_src_path": "gh:o/t", "kind": "app", "app_name": "web", "chart_version": "6.x",
       "depends_on": ["db"], "health_checks": [], "values_overrides": {}, "helm_strategy": ""}


def test_what_the_template_records_passes():
    assert answers_check.problems(APP, CONFIG) == []


def test_a_key_no_question_has_is_named_with_the_question_it_may_mean():
    found = answers_check.problems({**APP, "chart_verison": "7.x", "zzz": 1}, CONFIG)
    assert found == ["chart_verison: no question of the template has this name (did you mean chart_version?)",
                     "zzz: no question of the template has this name"]


def test_an_answer_its_question_refuses_is_named():
    found = answers_check.problems({**APP, "helm_strategy": "Retry", "depends_on": "db", "kind": "apps",
                                    "health_checks": [{"name": "x"}], "values_overrides": "a: 1"}, CONFIG)
    assert found == [
        "kind: 'apps' is none of the choices ('cluster', 'app')",
        "depends_on: must be a list of app names, e.g. [postgres], not 'db'",
        "health_checks: health check {'name': 'x'} needs at least kind and name (and usually apiVersion, namespace)",
        "values_overrides: must be a YAML mapping such as {replicaCount: 2}, not 'a: 1'",
        "helm_strategy: 'Retry' is none of the choices ('RetryOnFailure', 'RemediateOnFailure', '')",
    ]


def test_questions_in_copiers_short_form_and_choices_as_a_list():
    config = {"_min_copier_version": "9", "name": "x", "size": {"type": "str", "choices": ["s", "m"]}}
    assert answers_check.problems({"name": "y", "size": "m"}, config) == []
    assert answers_check.problems({"size": "l"}, config) == ["size: 'l' is none of the choices ('s', 'm')"]


def test_no_check_without_a_readable_copier_yml(tmp_path: Path):
    (tmp_path / "copier.yml").write_text("- a list\n")
    assert answers_check.parsed_config("- a list\n") is None and answers_check.parsed_config("a: [") is None
    conf = {"overwrite": True, "dst_path": tmp_path, "answers_file": "answers.yml", "src_path": tmp_path}
    (tmp_path / "answers.yml").write_text("zzz: 1\n")
    assert before_message(conf) == ""


def test_an_answer_quoted_in_a_problem_is_shortened():
    (found,) = answers_check.problems({**APP, "depends_on": "x" * 100_000}, CONFIG)
    assert found.startswith("depends_on: must be a list of app names") and found.endswith("... (shortened)")
    assert len(found) < 400


def test_an_answers_file_is_checked_against_its_name():
    assert answers_check.file_problems(".copier-answers.app-web.yml", APP) == []
    assert answers_check.file_problems(".copier-answers.yml", {"kind": "cluster", "repo_owner": "me"}) == []
    assert answers_check.file_problems(".copier-answers.yml", {"repo_owner": "me"}) == []  # 1.0.0's, kind by default
    assert answers_check.file_problems(".copier-answers.app-api.yml", APP) == [
        "app_name: 'web', but the file is app 'api''s; an update would render app 'web' and leave 'api' as it is"]
    assert answers_check.file_problems(".copier-answers.app-web.yml", {**APP, "kind": "cluster"}) == [
        "kind: 'cluster', but the file is app 'web''s (kind: app)"]
    assert answers_check.file_problems(".copier-answers.app-.yml", APP) == [
        "the file's name names no app (an app's is .copier-answers.app-<app>.yml)"]
    assert answers_check.file_problems(".copier-answers.yml", {}) == [
        "the file records no answers (it is empty): take it back from git history"]


def test_an_answer_a_later_release_asks_is_no_mistake_in_an_update_to_an_older_one():
    """values refresh records values_chart_version in an app still at 3.0.0, whose questions
    do not have it: an update to 3.0.1 is no reason to refuse it."""
    older = {key: value for key, value in CONFIG.items() if key not in ("values_chart_version", "values_chart_range")}
    answers = {**APP, "values_chart_version": "6.14.1", "values_chart_range": "6.x"}
    assert answers_check.problems(answers, older, later=frozenset(CONFIG)) == []
    assert [p.split(":")[0] for p in answers_check.problems(answers, older)] == ["values_chart_version", "values_chart_range"]
    assert answers_check.file_problems(".copier-answers.yml", None) == [
        "the file holds no answers (its YAML is no mapping): take it back from git history"]


def test_a_yes_no_answer_copier_would_read_as_true_whatever_it_says_is_named():
    """copier reads any text but its yes/no words and numbers as true: `fals`, `nope`."""
    for meant in (True, False, "true", "No", "off", " y ", "", "0", "1", 0, None):
        assert answers_check.yes_no_error(meant) == "", meant
    assert answers_check.yes_no_error("fals") == "'fals' is neither true nor false (copier would read it as True)"
    assert answers_check.yes_no_error([]) == "[] is neither true nor false (copier would read it as False)"
    cluster = {"_commit": "v3.1.0", "_src_path": "gh:o/t", "kind": "cluster", "sealed_secrets": "nope",
               "include_example_app": True}
    assert answers_check.problems(cluster, CONFIG) == [
        "sealed_secrets: 'nope' is neither true nor false (copier would read it as True)"]


def test_a_yes_no_answer_given_with_d_is_named_by_its_questions_validator():
    """A validator sees the answer copier made of the text (true): it reads the text given."""
    conf = {"data": {"sealed_secrets": "nope", "fetch_values": "no"}}
    assert answers_check.given_yes_no_error(conf, "sealed_secrets") == (
        "'nope' is neither true nor false (copier would read it as True); give true or false")
    assert answers_check.given_yes_no_error(conf, "fetch_values") == ""
    assert answers_check.given_yes_no_error(conf, "include_example_app") == ""
    assert answers_check.given_yes_no_error({"data": {}}, "sealed_secrets") == ""


def before_message(conf: dict, operation: str = "copy", **answers) -> str:
    """copier.yml's message before a copy or an update, rendered as copier renders it: with
    the template's functions, the answers copier holds then and its settings (_copier_conf)."""
    environment = SandboxedEnvironment()
    environment.globals.update(template_api.GLOBALS)
    environment.filters.update(template_api.FILTERS)
    return environment.from_string("{{ recorded_answers_error(_copier_conf, operation) }}").render(
        **answers, **conf.get("data", {}), _copier_conf=conf, operation=operation)


def test_an_answer_given_with_d_its_validator_refuses_stops_copier_before_it_writes(tmp_path: Path):
    """copier asks its validators after an update's migrations have changed the repository
    (a refusal left it half migrated) and shows a refusal of a -d answer as a traceback:
    the message before a copy or an update names it first (copier prints it unless quiet)."""
    (tmp_path / "copier.yml").write_text((PROJECT_ROOT / "copier.yml").read_text())
    conf = {"overwrite": False, "dst_path": tmp_path / "new", "answers_file": ".copier-answers.yml", "src_path": tmp_path,
            "data": {"include_example_app": "fals", "sealed_secrets": "nope", "repo_name": "yes", "git_interval": "5 min"}}
    with pytest.raises(UserMessageError) as refused:
        before_message(conf)
    assert str(refused.value) == (
        "-d include_example_app: 'fals' is neither true nor false (copier would read it as True); give true or false\n"
        "-d sealed_secrets: 'nope' is neither true nor false (copier would read it as True); give true or false\n"
        "-d git_interval: git_interval '5 min' is not a duration such as 30s, 15m or 1h.\n"
        "Nothing was changed.")
    assert before_message({**conf, "data": {"sealed_secrets": "no", "repo_name": "nope", "git_interval": "5m"}}) == ""


def test_a_validator_is_asked_before_copier_only_where_it_reads_what_copier_will_hold(tmp_path: Path):
    """Where a validator reads an answer the message's context lacks, or copier's settings
    through a function that looks at the repository (its state before the migrations is not
    what copier's question sees), copier asks it, as before."""
    (tmp_path / "copier.yml").write_text(
        "size:\n  type: int\n  validator: \"{{ 'over the limit' if size | int > limit else '' }}\"\n"
        "dir:\n  type: str\n  validator: \"{{ folder_moved_error(_copier_conf, 'apps_dir', dir) or 'refused' }}\"\n"
        "ns:\n  type: str\n  validator: \"{{ dns1123_label_error(ns, 'ns') or namespace_moved_error(ns, _copier_conf) }}\"\n"
        "copied:\n  type: str\n  validator: \"{{ (checks_destination(_copier_conf) and _copier_conf.dst_path | string)"
        " or '' }}\"\n"
        "read:\n  type: str\n  validator: \"{{ _copier_conf.dst_path | string }}\"\n")
    conf = {"overwrite": False, "dst_path": tmp_path / "new", "answers_file": ".copier-answers.yml", "src_path": tmp_path,
            "data": {"size": "9", "dir": "apps"}}
    assert before_message(conf) == ""  # size's reads limit, which no answer holds; dir's the repository
    with pytest.raises(UserMessageError, match="^-d size: over the limit\nNothing was changed.$"):
        before_message(conf, limit=5)
    with pytest.raises(UserMessageError, match="^-d ns: ns 'Bad_NS' "):
        before_message({**conf, "data": {"ns": "Bad_NS"}}, "update")
    # Before a copy copier's settings name the answers file of the answers copier had then
    # (`copy --overwrite -d kind=app` names the cluster's): what reads it, copier asks.
    assert before_message({**conf, "data": {"ns": "Bad_NS"}}) == ""
    # What a validator reads of the destination behind checks_destination (a copy's, which
    # runs no migration) is read as copier will; unguarded, copier asks it.
    with pytest.raises(UserMessageError, match=f"^-d copied: {tmp_path / 'new'}\n"):
        before_message({**conf, "data": {"copied": "x"}})
    assert before_message({**conf, "data": {"read": "x"}}) == ""


def test_bootstrap_dir_is_asked_before_an_update_only_where_no_migration_moves_the_folder(tmp_path: Path):
    """The 2.0.0 step moves the cookbook's flux-system/ to bootstrap/ and rewrites the answer:
    before it, the recorded folder is not the one copier's question will see."""
    (tmp_path / "copier.yml").write_text((PROJECT_ROOT / "copier.yml").read_text())
    (tmp_path / "repo").mkdir()
    conf = {"overwrite": True, "dst_path": tmp_path / "repo", "answers_file": ".copier-answers.yml",
            "src_path": tmp_path, "data": {"bootstrap_dir": "clusters/home"}}
    for recorded, refused in (("bootstrap", True), ("flux-system", False)):
        (tmp_path / "repo/.copier-answers.yml").write_text(
            f"_commit: v2.1.1\n_src_path: gh:o/t\nkind: cluster\nbootstrap_dir: {recorded}\n")
        if refused:
            with pytest.raises(UserMessageError, match=f"^-d bootstrap_dir: bootstrap_dir is '{recorded}'"):
                before_message(conf, "update")
        else:
            assert before_message(conf, "update") == ""
