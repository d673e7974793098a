"""What a failed copier run is reported as (template_runs/copier_run.py, `message`)."""

from __future__ import annotations

import subprocess

from flux_cookbook.template_runs.copier_run import message


def test_a_migration_that_stopped_is_named_not_its_command_line():
    """The migration printed why to the terminal: the report says so, in the user's words."""
    error = subprocess.CalledProcessError(1, ["/usr/bin/python3", "/tmp/template-clone/extensions/migrations/run.py",
                                              "before", ".copier-answers.yml", "1.0.0", "3.1.0"])
    assert message(error) == "the template's migration stopped (exit code 1); what it said is above"
    task = subprocess.CalledProcessError(2, ["/usr/bin/python3", "/tmp/clone/extensions/add_cluster_apps.py", "abc"])
    assert message(task) == "the template's task stopped (exit code 2); what it said is above"


def test_another_command_keeps_its_command_line_and_what_it_said():
    error = subprocess.CalledProcessError(128, ["git", "commit"], stderr=b"fatal: no identity\n")
    assert message(error) == "Command '['git', 'commit']' returned non-zero exit status 128.\nfatal: no identity"


def test_a_question_without_an_answer_names_how_to_give_one():
    """copier's ValueError under --defaults for a question with no default: the command's
    own option where it has one, else -d."""
    error = ValueError('Question "helm_repo_url" is required')
    assert message(error, {"helm_repo_url": "--helm-repo-url"}) == (
        "the question 'helm_repo_url' has no default to take: give its answer (--helm-repo-url VALUE); "
        "nothing was written.")
    assert message(error) == ("the question 'helm_repo_url' has no default to take: give its answer "
                              "(-d helm_repo_url=VALUE); nothing was written.")
