"""check's yaml.parse and yaml.lint: every YAML file parses (no key written twice) and
passes yamllint with the repository's own .yamllint (else `relaxed`)."""

from __future__ import annotations

import posixpath

from flux_cookbook.check import yamllint_run
from flux_cookbook.check.problems import ERROR, WARNING, Problem
from flux_cookbook.repository.model import (
    Repository,
    is_kustomize_config,
)


def unresolved_conflict(text: str, line: int, message: str, first_line: int = 1) -> tuple[int, str]:
    """(line, message) of a parse error; where `text` holds git's conflict markers (an
    update or merge left unresolved), at the first marker's line, saying so. `first_line`:
    the file's line of the text's first line."""
    for number, text_line in enumerate(text.splitlines(), start=first_line):
        if text_line.lstrip(" ").startswith("<<<<<<< "):  # refresh indents them as the values
            return number, f"a merge conflict is left unresolved (git's conflict markers from here): {message}"
    return line, message


def check_yaml(repo: Repository, lint: yamllint_run.LintConfig | None = None) -> list[Problem]:
    """Every YAML file parses, has no key twice in one mapping, and passes yamllint with the
    repository's own configuration. A file no build applies (a Helm chart's template, a
    chart's own values.yaml) that does not parse is a warning: Flux never reads it as YAML."""
    lint = lint or yamllint_run.read_config(repo.root)
    problems = [
        Problem(path, line, "yaml.parse", ERROR if read_by_flux(repo, path) else WARNING, message)
        for path, error in repo.parse_errors.items()
        for line, message in [unresolved_conflict(repo.texts.get(path, ""), error.line, error.message)]
    ]
    if lint.config is None:
        problems.append(Problem(lint.path, 1, "yaml.lint", ERROR, f"not a yamllint configuration: {lint.error}"))
        return problems
    # A Helm chart's files (below a Chart.yaml) are its authors', in their style: a chart
    # kept in the repository for values_source or a GitRepository's chart is linted by no one here.
    charts = tuple(f"{posixpath.dirname(path)}/" for path in repo.files if posixpath.basename(path) == "Chart.yaml")
    for path, text in repo.texts.items():
        # Past a syntax error yamllint's cosmetic findings are noise: the file comes first.
        # Flux's own files are `flux bootstrap`'s to write, not the user's to restyle.
        if lint.is_ignored(path) or path in repo.parse_errors or repo.is_flux_own(path) or path.startswith(charts):
            continue
        for found in yamllint_run.lint(text, path, lint):  # key-duplicates is yaml.parse's (yamllint_run)
            # Style is a warning: an error only where the repository's .yamllint says so.
            severity = ERROR if found.level == "error" and lint.raises(found.rule) else WARNING
            problems.append(Problem(path, found.line, "yaml.lint", severity, f"{found.description} ({found.rule})"))
    return problems


def read_by_flux(repo: Repository, path: str) -> bool:
    """Whether a build reads `path` as YAML: a file of objects it applies, or a kustomization file."""
    return repo.holds_manifests(path) or (is_kustomize_config(path) and repo.folder_of(path) is not None)
