"""Everything the Jinja templates and copier.yml may call, by the name they call it."""

from __future__ import annotations

from . import (
    answers_check,
    app_defaults,
    bootstrap_command,
    chart_values,
    conventions,
    copier_support,
    input_checks,
    layout,
    repo_state,
    template_source,
    unused_answers,
    yaml_quoting,
)


def migration_due(*args) -> bool:
    """migrations.due, imported when an update asks: a copy never does."""
    from . import migrations

    return migrations.due(*args)


FILTERS = {
    "yaml_scalar": yaml_quoting.yaml_scalar,
    "yaml_block": yaml_quoting.yaml_block,
    "yaml_literal": yaml_quoting.yaml_literal,
    "yaml_document": yaml_quoting.yaml_document,
    "yaml_embedded": yaml_quoting.yaml_embedded,
    "absolute_src_path": template_source.absolute_src_path,
    "with_absolute_paths": template_source.with_absolute_paths,
    "with_values_version": chart_values.with_values_version,
}

GLOBALS = {
    # copy or update, from copier's public context (copier_support's docstring)
    "checks_destination": copier_support.checks_destination,
    "checks_given": copier_support.checks_given,
    "folder_moved_error": copier_support.folder_moved_error,
    "apps_dir_moved_error": copier_support.apps_dir_moved_error,
    "bootstrap_dir_moved_error": copier_support.bootstrap_dir_moved_error,
    "answer_fixed_error": copier_support.answer_fixed_error,
    "updating_app": copier_support.updating_app,
    # copier.yml's messages after a copy or an update
    "unused_answers_message": unused_answers.message,
    "updated_answers_message": unused_answers.message_after_update,
    # copier.yml's messages before an update or a copy: stops one whose answers file copier would misread
    "recorded_answers_error": answers_check.message,
    # copier.yml's validators of the yes/no questions: a -d answer copier would misread
    "given_yes_no_error": answers_check.given_yes_no_error,
    # copier.yml's _migrations: does this update need run.py?
    "migration_due": migration_due,
    # copier.yml validators
    "dns1123_label_error": input_checks.dns1123_label_error,
    "release_name_error": input_checks.release_name_error,
    "chart_name_error": input_checks.chart_name_error,
    "chart_version_error": input_checks.chart_version_error,
    "helm_repo_url_error": input_checks.helm_repo_url_error,
    "interval_error": input_checks.interval_error,
    "git_url_error": input_checks.git_url_error,
    "github_owner_error": input_checks.github_owner_error,
    "github_repository_error": input_checks.github_repository_error,
    "bootstrap_dir_error": input_checks.bootstrap_dir_error,
    "branch_error": input_checks.branch_error,
    "app_exists_error": repo_state.app_exists_error,
    "app_cluster_error": repo_state.app_cluster_error,
    "cluster_exists_error": repo_state.cluster_exists_error,
    "depends_on_error": repo_state.depends_on_error,
    "helm_repository_clash_error": repo_state.helm_repository_clash_error,
    "helm_release_clash_error": repo_state.helm_release_clash_error,
    "health_checks_error": repo_state.health_checks_error,
    "health_check_names_error": repo_state.health_check_names_error,
    "namespace_moved_error": app_defaults.namespace_moved_error,
    "helm_repo_name_default": repo_state.helm_repo_name_default,
    "values_source_error": chart_values.values_source_error,
    "source_left_behind_error": chart_values.source_left_behind_error,
    "fetch_by_default": chart_values.fetch_by_default,
    "chart_not_there_error": chart_values.chart_not_there_error,
    "values_version_on_copy": chart_values.values_version_on_copy,
    "values_overrides_error": chart_values.values_overrides_error,
    "apps_dir_error": input_checks.apps_dir_error,
    "owns_namespace_default": repo_state.owns_namespace_default,
    # templates
    "answers_file_of": layout.answers_file_of,
    "convention": conventions.CURRENT,
    "layout": layout,
    "app_values": chart_values.app_values,
    "helm_repository_api": conventions.helm_repository_api,
    "is_oci": conventions.is_oci,
    "uses_oci_repository": conventions.uses_oci_repository,
    "oci_chart_url": conventions.oci_chart_url,
    "on_github": bootstrap_command.on_github,
    "bootstrap_git_url": bootstrap_command.bootstrap_git_url,
    "bootstrap_git_auth": bootstrap_command.bootstrap_git_auth,
    "recommended_helm": conventions.RECOMMENDED_HELM,
    "retries_on_failure": conventions.retries_on_failure,
    "pip_install_command": template_source.pip_install_command,
    "github_action": template_source.github_action,
    "pre_commit_repository": template_source.pre_commit_repository,
    "release_ref": template_source.release_ref,
    "default_health_checks": app_defaults.default_health_checks,
    "kustomization_timeout_for": app_defaults.kustomization_timeout_for,
    "default_kustomization_timeout": app_defaults.KUSTOMIZATION_TIMEOUT,
}
