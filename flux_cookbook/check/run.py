"""`flux-cookbook check`: what Flux, the API server or Helm would refuse, found before a push.

Offline and quick. The repository is read once (repository/model.py); each rule family is
one function, in a module of its own (rules_*.py), returning Problems, each naming a
repository-relative file, a line, a short rule id, a severity and a message:

- yaml.parse, yaml.lint                     every YAML file parses (no key twice) and passes
                                            yamllint with the repository's own .yamllint
                                            (else `relaxed`); findings are warnings unless
                                            that file sets a rule's `level: error`
- schema                                    the objects Flux applies, as built, validate
                                            strictly against the CRDs of the repository's
                                            Flux release (CEL rules too), SealedSecret's and
                                            Kubernetes' (flux_versions, built_objects)
- build                                     every Flux Kustomization Flux reaches builds
                                            (flux_build.follow)
- ref.*                                     sources, values, dependencies and health checks
                                            name objects that exist; every namespace objects
                                            are applied into is declared (applied_namespaces)
- convention.*                              the cookbook's layout: one object per file, file
                                            names, namespaces, no plain Secret, answers files
- values.*                                  each app's values parse and fit its chart, when
                                            the chart is in the local chart cache

Errors are what would break a reconciliation; warnings are what the check cannot confirm
offline or what departs from the cookbook's convention without breaking anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from flux_cookbook.check import yamllint_run
from flux_cookbook.check.applied_namespaces import check_applied_namespaces
from flux_cookbook.check.helm_repository_urls import check_helm_repository_urls
from flux_cookbook.check.problems import ERROR, WARNING, Problem
from flux_cookbook.check.rules_convention import check_conventions
from flux_cookbook.check.rules_ref import (
    check_references,
    check_renamed_references,
    check_sealed_secret_bindings,
    check_unused,
)
from flux_cookbook.check.rules_schema import (
    check_applied_twice,
    check_builds,
    check_chart_versions,
    check_data_sizes,
    check_helm_release_names,
    check_kustomization_fields,
    check_post_build,
    check_schemas,
    check_unlisted_files,
)
from flux_cookbook.check.rules_update import check_rejected_updates
from flux_cookbook.check.rules_values import check_values
from flux_cookbook.check.rules_yaml import check_yaml
from flux_cookbook.check.sealed_secrets_controller import check_sealed_secrets_controller
from flux_cookbook.errors import UserError
from flux_cookbook.extensions import conventions, layout, repo_state
from flux_cookbook.extensions.flux_names import FLUX_SYSTEM, GROUP_SUFFIX, SYNC_FILE
from flux_cookbook.repository import apps
from flux_cookbook.repository.model import (
    read_repository,
)


class NotFluxRepository(UserError):
    """A folder holding nothing of Flux: no cluster answers, no sync file, no Flux object."""


@dataclass(frozen=True)
class Report:
    problems: tuple[Problem, ...]
    files: int  # files checked
    seconds: float
    kustomizations: tuple = ()  # flux_build.FluxKustomization of each Kustomization followed
    not_followed: tuple = ()  # flux_build.NotFollowed: sources that cannot be followed offline
    notes: tuple[str, ...] = ()  # said once, before the summary (the Flux version assumed, ...)
    outputs: tuple = ()  # (flux_build.FluxKustomization, its build output) of each one built
    clusters: dict = field(default_factory=dict)  # a followed Kustomization -> its cluster's bootstrap folder
    undefined: frozenset = frozenset()  # (kind, namespace, name) of the sources not followed that nothing defines

    @property
    def errors(self) -> int:
        return sum(problem.severity == ERROR for problem in self.problems)

    @property
    def warnings(self) -> int:
        return sum(problem.severity == WARNING for problem in self.problems)

    def summary(self) -> str:
        followed = len(self.kustomizations)
        return (f"{self.errors} error{'s' * (self.errors != 1)}, {self.warnings} warning{'s' * (self.warnings != 1)} "
                f"in {self.files} file{'s' * (self.files != 1)}; "
                f"followed {followed} Flux Kustomization{'s' * (followed != 1)}")

    def note_lines(self) -> list[str]:
        """What the check could not follow or assumed, each said once."""
        lines = list(self.notes)
        for source in self.not_followed:
            k = source.kustomization
            if source.why:  # a Kustomization
                lines.append(f"note: not followed: {source.label()} ({k.file}:{k.line}): {source.why}, "
                             "so what it applies is not checked")
                continue
            why = ("no file of this repository defines it" if (source.kind, source.namespace, source.name) in self.undefined
                   else "it cannot be read offline")
            lines.append(f"note: not followed: {source.label()}, the source of Kustomization "
                         f"{k.ref} ({k.file}:{k.line}): {why}, so what it applies is not checked")
        return lines


def check_repository(root: Path, build: bool = True, cache_dir: Path | None = None,
                     start_dir: str | None = None) -> Report:
    """Every rule on the repository at `root`; `build=False` skips the kustomize builds.

    `cache_dir`: where fetched charts are cached (default: flux-cookbook's chart cache).
    `start_dir`: the folder (relative to `root`) whose Flux Kustomizations Flux starts
    from (default: the bootstrap folder of each cluster; flux_build.follow).
    """
    from flux_cookbook.repository import flux_build

    started = time.perf_counter()
    lint = yamllint_run.read_config(Path(root))
    followed = flux_build.follow(Path(root), start_dir=start_dir, build=build)
    repo = read_repository(Path(root), yaml_file=lint.is_yaml_file if lint.config else None, followed=followed)
    if not repo.kustomizations and not any(m.group.endswith(GROUP_SUFFIX) for m in repo.manifests):
        raise NotFluxRepository(
            f"{root} does not look like a Flux repository: no {layout.CLUSTER_ANSWERS}, no {FLUX_SYSTEM}/{SYNC_FILE} "
            "and no Flux object. Give the cluster repository's folder."
        )
    from flux_cookbook.repository import flux_versions

    # Answers files of a release that writes Flux 2.9's APIs: the repository is held to them.
    # One adopted at 1.0.0 (the cookbook's APIs) is held to the Flux its cluster records
    # until update-all moves it on.
    templated = any(layout.app_of_answers_file(path) or path == layout.CLUSTER_ANSWERS for path in repo.files) \
        and conventions.of_release(_recorded_commit(Path(root))) in (None, conventions.CURRENT)
    flux = flux_versions.of_repository(Path(root), repo.files, start_dir or repo.bootstrap_dir, templated)
    clusters = flux_versions.of_clusters(Path(root), repo.files, set().union(*repo.folder_clusters.values()),
                                         flux, templated)
    results = list(followed.results) if build else None
    built = None
    if results is not None:
        from flux_cookbook.repository.built_objects import built_objects

        built = list(built_objects(repo, results))
        repo.add_built(built)
    problems: list[Problem] = []
    duplicate_urls = check_helm_repository_urls(repo)
    problems += check_yaml(repo, lint) + check_rejected_updates(Path(root))
    problems += check_schemas(repo, results, flux.crd_dirs, built,
                              {cluster: version.crd_dirs for cluster, version in clusters.items()})
    problems += check_builds(repo, build, results) + check_unlisted_files(repo) + check_kustomization_fields(repo)
    problems += check_applied_twice(repo, built or []) + check_helm_release_names(repo, built or [])
    problems += check_data_sizes(built or [])
    problems += check_chart_versions(repo, built or []) + check_post_build(repo, built or [])
    problems += check_references(repo, built or []) + check_renamed_references(built or []) + check_sealed_secret_bindings(built or [])
    if results is not None:
        # Both judge what the builds apply: without them, what an overlay takes from its base
        # is not known.
        problems += check_applied_namespaces(repo, results)
        problems += check_unused(repo, built, duplicate_urls) if all(result.ok for result in results) else []
    problems += check_conventions(repo)

    problems += duplicate_urls + check_sealed_secrets_controller(repo)
    not_cached: list[str] = []
    problems += check_values(repo, cache_dir, not_cached, built)
    unique = sorted(set(problems), key=lambda p: (p.path, p.line, p.rule, p.message))
    checked = len(set(repo.texts) | set(repo.parse_errors))
    return Report(tuple(unique), files=checked, seconds=time.perf_counter() - started,
                  kustomizations=tuple(followed.kustomizations), not_followed=followed.not_followed,
                  undefined=_undefined_sources(repo, followed.not_followed),
                  clusters=dict(followed.clusters),
                  notes=tuple(dict.fromkeys([*(note for version in (flux, *clusters.values()) if (note := version.note())),
                                             *([_not_cached_note(not_cached, apps.app_names(repo.root))]
                                               if not_cached else [])])),
                  outputs=tuple((r.kustomization, r.output) for r in results or [] if r.ok))


def _undefined_sources(repo, not_followed) -> frozenset:
    """(kind, namespace, name) of each source not followed that nothing of the repository
    defines or makes (a ref.source error says so): its note is not "cannot be read offline"."""
    sources = [s for s in not_followed if not s.why]
    if not sources:
        return frozenset()  # most repositories: no index to build
    from flux_cookbook.check.object_index import Index

    index = Index(repo)
    return frozenset((s.kind, s.namespace, s.name) for s in sources if not index.exists(s.kind, s.namespace, s.name))


def _not_cached_note(releases: list[str], app_names: list[str]) -> str:
    """Which values were not checked, and (where the repository has the template's apps,
    which the values commands work on) how to cache their charts."""
    how = ("; `flux-cookbook values refresh --all --dry-run`, run once online, caches the versions their ranges "
           "install") if app_names else ""
    return (f"note: not checked against their charts, of which neither the chart cache nor the repository holds "
            f"a version their range allows (this check reads no network): the values of {', '.join(releases)}{how}")


def seconds_per_100_files(root: Path, build: bool = True) -> float:
    """For the benchmark: how long one check of `root` takes, per 100 files checked."""
    report = check_repository(root, build=build)
    return report.seconds * 100 / max(report.files, 1)


def _recorded_commit(root: Path) -> str:
    """The template release the cluster's answers record ("" when they record none)."""
    return str((repo_state.answers_of(root, layout.CLUSTER_ANSWERS) or {}).get("_commit") or "")
