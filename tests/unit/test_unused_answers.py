"""-d answers no question took (extensions/unused_answers.py)."""

from __future__ import annotations

from flux_cookbook.extensions import unused_answers

ANSWERS = "_commit: v3.1.0\nkind: app\napp_name: web\nchart_version: 6.x\n"


def test_each_key_the_answers_do_not_record_is_named_with_the_nearest_question(tmp_path):
    (tmp_path / ".copier-answers.app-web.yml").write_text(ANSWERS)
    notes = unused_answers.notes({"chart_verison": "7.x", "app_name": "web", "zzz": "1"}, tmp_path, ".copier-answers.app-web.yml")
    assert notes == [
        "Note: -d chart_verison was not used: no question of the template took it here (misspelt, or not asked for "
        "this app), so .copier-answers.app-web.yml does not record it. Did you mean 'chart_version'?",
        "Note: -d zzz was not used: no question of the template took it here (misspelt, or not asked for this app), "
        "so .copier-answers.app-web.yml does not record it.",
    ]
    assert unused_answers.message({"zzz": "1", "commit": "x"}, tmp_path, ".copier-answers.app-web.yml").count("\n") == 1


def test_nothing_to_say_without_answers_given_or_a_readable_answers_file(tmp_path):
    (tmp_path / "list.yml").write_text("- a\n")
    (tmp_path.parent / "outside.yml").write_text("secret_key: 1\n")
    (tmp_path / "linked.yml").symlink_to(tmp_path.parent / "outside.yml")  # a link out of the repository
    (tmp_path / "broken.yml").write_text("a: [\n")
    assert unused_answers.notes({}, tmp_path, "missing.yml") == []
    for name in ("missing.yml", "list.yml", "broken.yml", "linked.yml"):
        assert unused_answers.notes({"x": 1}, tmp_path, name) == []
    assert unused_answers.message({}, tmp_path, "missing.yml") == ""


def test_an_answer_given_by_an_option_is_named_by_it(tmp_path):
    (tmp_path / ".copier-answers.app-web.yml").write_text(ANSWERS)
    notes = unused_answers.notes({"values_in": "inline"}, tmp_path, ".copier-answers.app-web.yml", {"values_in": "--values-in"})
    assert notes == ["Note: --values-in was not used: no question of the template took it here (misspelt, or not "
                     "asked for this app), so .copier-answers.app-web.yml does not record it."]


def test_an_apps_update_says_nothing_of_the_answers_only_a_new_clusters_copy_acts_on(tmp_path):
    """include_example_app and sealed_secrets are the cluster's questions: given to an app's
    update, the note that no question took them is the one."""
    (tmp_path / ".copier-answers.app-web.yml").write_text(ANSWERS)
    (tmp_path / ".copier-answers.app-podinfo.yml").write_text("kind: app\n")
    said = unused_answers.message_after_update({"include_example_app": "false"}, tmp_path, ".copier-answers.app-web.yml")
    assert "was not used" in said and "stays" not in said
    (tmp_path / ".copier-answers.yml").write_text("kind: cluster\ninclude_example_app: false\n")
    said = unused_answers.message_after_update({"include_example_app": "false"}, tmp_path, ".copier-answers.yml")
    assert "Note: -d include_example_app is recorded, but the app podinfo stays" in said


def test_a_clusters_update_says_which_answers_change_no_file(tmp_path):
    """The apps' settings an app copies when added, and what only the README shows: the
    cluster's update records them and changes nothing of the apps there or the README."""
    (tmp_path / ".copier-answers.yml").write_text("kind: cluster\nhelmrelease_interval: 30m\nrepo_owner: other\n")
    (tmp_path / ".copier-answers.app-web.yml").write_text(ANSWERS)
    said = unused_answers.message_after_update({"helmrelease_interval": "30m", "drift_detection": "warn",
                                                "repo_owner": "other"}, tmp_path, ".copier-answers.yml")
    assert ("Note: -d helmrelease_interval, -d drift_detection are recorded for the apps added from now on; each app "
            "there keeps its own (it copied them when added): to change one, `copier update --trust --defaults -a "
            ".copier-answers.app-web.yml -d helmrelease_interval=...` and so on for each app.") in said
    assert "Note: -d repo_owner is recorded, but README.md, yours once written, keeps its bootstrap command" in said
    # An app's update given its own setting changes its files: nothing to say.
    (tmp_path / ".copier-answers.app-web.yml").write_text(ANSWERS + "helmrelease_interval: 30m\n")
    assert unused_answers.message_after_update({"helmrelease_interval": "30m"}, tmp_path, ".copier-answers.app-web.yml") == ""
