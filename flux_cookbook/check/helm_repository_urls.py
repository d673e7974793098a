"""convention.helm-repository-url: one HelmRepository per URL.

Two HelmRepositories with the same URL make source-controller fetch and store the same
index twice, and leave apps of one chart repository on different objects to keep in step
(interval, secretRef, a URL that moves). The template gives a new app the HelmRepository
that already serves its URL (repo_state.helm_repo_name_default); this finds the ones made
by hand, or before it did. A warning: nothing breaks.
"""

from __future__ import annotations

from flux_cookbook.check.problems import WARNING, Problem
from flux_cookbook.extensions.flux_names import SOURCE_GROUP
from flux_cookbook.extensions.repo_state import same_url
from flux_cookbook.repository.model import Manifest, Repository

RULE = "convention.helm-repository-url"


def check_helm_repository_urls(repo: Repository) -> list[Problem]:
    """Per cluster: each cluster of a repository needs its own HelmRepository for a URL."""
    first: dict[str, list[Manifest]] = {}
    problems = []
    for manifest in repo.manifests:
        if not manifest.is_a("HelmRepository", SOURCE_GROUP):
            continue
        spec = manifest.obj.get("spec")
        url = spec.get("url") if isinstance(spec, dict) else None
        if not isinstance(url, str):
            continue
        clusters = sorted(repo.clusters_of(manifest) or {""})
        earlier = next((m for cluster in clusters for m in first.get(cluster, []) if same_url(m.obj["spec"]["url"], url)), None)
        if earlier is None:
            for cluster in clusters:
                first.setdefault(cluster, []).append(manifest)
            continue
        problems.append(Problem(manifest.path, manifest.line, RULE, WARNING,
                                f"{manifest.label()} serves {url}, as {earlier.label()} ({earlier.path}:{earlier.line}) "
                                f"does: keep one, and point the HelmReleases using this one at it (spec.chart.spec.sourceRef)"))
    return problems
