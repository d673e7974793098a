"""convention.sealed-secrets-controller: a repository with SealedSecrets installs their controller.

A SealedSecret is turned into a Secret by the Sealed Secrets controller, and applied
against the CRD its chart installs: in a cluster without it, Flux cannot apply the object
at all. The controller may come from outside the repository (another repository, the
cluster's own add-ons), so this is a warning, not an error.
"""

from __future__ import annotations

from flux_cookbook.check.problems import SEALED_SECRETS_GROUP, WARNING, Problem
from flux_cookbook.extensions import conventions, known_apps, layout, repo_state
from flux_cookbook.extensions.flux_names import HELM_GROUP
from flux_cookbook.repository.model import Manifest, Repository, normalized_path

RULE = "convention.sealed-secrets-controller"
CHART = known_apps.ANSWERS[known_apps.SEALED_SECRETS]["chart"]
CRD = "sealedsecrets.bitnami.com"


def check_sealed_secrets_controller(repo: Repository) -> list[Problem]:
    """Per cluster: each cluster applying a SealedSecret installs the controller itself."""
    controllers = [m for m in repo.manifests if _installs_controller(m)]
    problems = []
    for m in repo.manifests:
        if not m.is_a("SealedSecret", SEALED_SECRETS_GROUP):
            continue
        clusters = repo.clusters_of(m)
        if any(not clusters or not repo.clusters_of(c) or clusters <= repo.clusters_of(c) for c in controllers):
            continue
        if (started := repo.start_dir) is not None:
            # check --path sees only what that folder applies: the controller may be installed elsewhere.
            problems.append(Problem(m.path, m.line, RULE, WARNING,
                                    f"{m.label()}: nothing applied from --path {started or '.'} installs the Sealed "
                                    f"Secrets controller (a HelmRelease of chart {CHART}) that makes the {CRD} CRD; "
                                    "check the whole repository (no --path) to see whether it does"))
            continue
        lacking = sorted(c for c in clusters if not any(c in repo.clusters_of(k) for k in controllers))
        shown = ", ".join((c or ".") + "/" for c in lacking)
        where = f"the cluster {shown} applying it installs" if controllers else "this repository installs"
        problems.append(Problem(m.path, m.line, RULE, WARNING,
                                f"{m.label()}: {where} no Sealed Secrets controller (no HelmRelease of chart "
                                f"{CHART}), so a cluster has no {CRD} CRD to apply it against; "
                                f"{_advice(repo, lacking, controllers)}, unless the cluster gets it elsewhere"))
    return problems


def _advice(repo: Repository, lacking: list[str], controllers: list[Manifest]) -> str:
    """How the clusters `lacking` get the controller. `add` writes the app into the cookbook
    cluster's bootstrap folder and refuses an app the repository has already (another
    cluster's controller, or one whose chart was changed): only there, and only then, is it
    the way."""
    docs = repo.documents.get(layout.CLUSTER_ANSWERS) or []
    answers = docs[0].obj if docs and isinstance(docs[0].obj, dict) else None
    if answers is not None:
        bootstrap_dir = str(answers.get("bootstrap_dir") or conventions.CURRENT.bootstrap_dir)
        if all(cluster == normalized_path(bootstrap_dir) for cluster in lacking) and not repo_state.app_exists_error(
                repo.root, known_apps.SEALED_SECRETS, bootstrap_dir, str(answers.get("apps_dir") or "")):
            return f"add it with `flux-cookbook add {known_apps.SEALED_SECRETS} --defaults`"
    # Another cluster's app: its Kustomization (not a cluster's own bootstrap folder's) is the one to apply.
    folders = {c.folder for c in controllers} - {c for clusters in repo.folder_clusters.values() for c in clusters}
    installing = sorted({k.file for k in repo.kustomizations if k.path in folders and not k.stand_in})
    if installing:
        return f"install the controller there as {', '.join(installing)} does for another cluster"
    return f"install its chart {CHART} in the cluster"


def _installs_controller(manifest: Manifest) -> bool:
    if manifest.kind == "CustomResourceDefinition" and manifest.name == CRD:
        return True
    if not manifest.is_a("HelmRelease", HELM_GROUP):
        return False
    spec = manifest.obj.get("spec")
    chart = spec.get("chart") if isinstance(spec, dict) else None
    chart_spec = chart.get("spec") if isinstance(chart, dict) else None
    return isinstance(chart_spec, dict) and chart_spec.get("chart") == CHART
