"""The answers release 1.0.0 of the template would have written for a hand-made repository:
each app's, read from its objects, and the cluster's, from git, flux bootstrap's files and
what most apps use; each guess says where it came from. Adopted repositories are pinned to
that release, which writes the cookbook's own layout; the next update brings them to the
newest one through the migrations.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter

from flux_cookbook.adopt import RELEASE_TAG
from flux_cookbook.adopt.apps import App
from flux_cookbook.adopt.findings import Findings
from flux_cookbook.adopt.git_state import GitInfo
from flux_cookbook.adopt.placement import Placer
from flux_cookbook.adopt.reading import HandMade, label
from flux_cookbook.extensions import input_checks, layout
from flux_cookbook.extensions.repo_state import health_checks_error
from flux_cookbook.extensions.yaml_quoting import yaml_document
from flux_cookbook.repository import post_build
from flux_cookbook.repository.model import SOURCE_GROUP, Object

# The first line of every answers file release 1.0.0 writes.
ANSWERS_HEADER = "# Answers of the last copier copy/update. Change them with copier update, not by hand.\n"

# copier.yml's defaults at release 1.0.0.
INTERVAL_DEFAULTS = {
    "kustomization_interval": "15m",
    "kustomization_timeout": "2m",
    "helmrelease_interval": "15m",
    "helmrelease_timeout": "5m",
    "helmrepository_interval": "15m",
}
CLUSTER_DEFAULTS = {"repo_owner": "my-github-user", "repo_name": "flux-cluster", "git_interval": "1m", "branch": "main"}
# Answer keys in the order a `copier copy` of release 1.0.0 writes them; the answers of
# later releases adopt writes go last (copier keeps them, in this order, on update).
CLUSTER_KEYS = (
    "kind", "repo_owner", "repo_name", "repo_url", "personal_account", "branch", "bootstrap_dir",
    "git_interval", *INTERVAL_DEFAULTS, "apps_dir",
)
APP_KEYS = (
    "bootstrap_dir", *INTERVAL_DEFAULTS, "kind", "app_name", "namespace", "chart", "chart_version",
    "helm_repo_name", "helm_repo_url", "release_name", "depends_on", "health_checks", "values_source",
    "owns_namespace",
)

GITHUB_URL = re.compile(
    r"^(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)"
    r"(?P<owner>[A-Za-z0-9][A-Za-z0-9._-]*)/(?P<repo>[A-Za-z0-9._-]+?)(?:\.git)?/?$"
)


def _text(value: object, default: str) -> str:
    return default if value in (None, "") else str(value)


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _release_name(release: Object) -> str:
    # helm-controller's default when spec.releaseName is not set.
    if release.get("spec", "releaseName"):
        return str(release.get("spec", "releaseName"))
    target = release.get("spec", "targetNamespace")
    return f"{target}-{release.name}" if target else release.name


def _health_checks(kustomization: Object) -> list:
    # Keys in the user's order: the template writes them in the order the answer has them.
    checks = _list(kustomization.get("spec", "healthChecks"))
    return [dict(check) if isinstance(check, dict) else check for check in checks]


def _depends_on(kustomization: Object) -> list:
    entries = _list(kustomization.get("spec", "dependsOn"))
    return [entry.get("name") if isinstance(entry, dict) else entry for entry in entries]


def app_answers(app: App, placer: Placer, findings: Findings) -> dict:
    """One app's answers, read from its objects; its objects' moves go into `findings`."""
    bootstrap = placer.hand.bootstrap_dir
    kustomization, release = app.kustomization, app.release
    # A HelmRelease written without a namespace (as Flux's docs write one) is installed
    # where its Kustomization's targetNamespace puts every object it applies; a `namespace:`
    # of its folder's kustomization file puts it there whatever it says itself.
    folder_namespace = placer.hand.repo.kustomize_config(app.folder).get("namespace")
    namespace = _text(folder_namespace, _text(release.get("metadata", "namespace"),
                                              _text(kustomization.get("spec", "targetNamespace"), "")))
    helm_repo_name = _text(release.get("spec", "chart", "spec", "sourceRef", "name"), "")
    helm_repository = placer.helm_repository(app.name, helm_repo_name)
    kustomization_interval = _text(kustomization.get("spec", "interval"), INTERVAL_DEFAULTS["kustomization_interval"])
    answers = {
        "bootstrap_dir": bootstrap,
        "kustomization_interval": kustomization_interval,
        # Flux's own default: a Kustomization without a timeout times out after its interval.
        "kustomization_timeout": _text(kustomization.get("spec", "timeout"), kustomization_interval),
        "helmrelease_interval": _text(release.get("spec", "interval"), INTERVAL_DEFAULTS["helmrelease_interval"]),
        "helmrelease_timeout": _text(release.get("spec", "timeout"), INTERVAL_DEFAULTS["helmrelease_timeout"]),
        "helmrepository_interval": _text(
            helm_repository.get("spec", "interval") if helm_repository else None,
            INTERVAL_DEFAULTS["helmrepository_interval"],
        ),
        "kind": "app",
        "app_name": app.name,
        "namespace": namespace,
        "chart": _text(release.get("spec", "chart", "spec", "chart"), ""),
        "chart_version": _text(release.get("spec", "chart", "spec", "version"), "*"),
        "helm_repo_name": helm_repo_name,
        "helm_repo_url": _text(helm_repository.get("spec", "url") if helm_repository else None, ""),
        "release_name": _release_name(release),
        "depends_on": _depends_on(kustomization),
        "health_checks": _health_checks(kustomization),
        "values_source": "",
        "owns_namespace": bool(namespace) and placer.namespace(app.name, namespace),
    }
    if not namespace:
        findings.problems.append(f"{label(release)} has no metadata.namespace, nor does its folder's kustomization "
                                 "file set a namespace or its Kustomization a targetNamespace; set the namespace it "
                                 "is installed in.")
    if release.name != app.name:
        findings.notes.append(
            f"{label(release)} is named '{release.name}', the template names it '{app.name}': "
            "your name is kept as your change."
        )
    placer.place(kustomization, layout.kustomization_file(bootstrap, app.name))
    placer.place(release, app.file(layout.helm_release_file(app.name)))
    placer.values(app)
    return answers


def _github(url: str) -> tuple[str, str] | None:
    match = GITHUB_URL.match(url)
    return (match.group("owner"), match.group("repo")) if match else None


def bootstrap_sync(hand: HandMade):
    """flux bootstrap's GitRepository of the cluster being adopted: the one in its bootstrap
    folder, else the repository's only one. Another cluster's (clusters/staging/...) names
    another repository or branch, and the README's bootstrap command would point this
    cluster at it."""
    syncs = hand.find("GitRepository", SOURCE_GROUP, name="flux-system", flux_own=True)
    own = [sync for sync in syncs if sync.path.startswith(f"{hand.bootstrap_dir}/")]
    if own:
        return own[0]
    return syncs[0] if len(syncs) == 1 else None


def cluster_answers(hand: HandMade, apps: dict[str, App], app_answers_: dict[str, dict], git: GitInfo,
                    findings: Findings) -> dict:
    """The cluster's answers: from git, from flux bootstrap's GitRepository, and the apps'.

    Each answer that is a guess goes into `findings.guesses`, with where it came from.
    """
    sync = bootstrap_sync(hand)
    sync_url = _text(sync.get("spec", "url"), "") if sync else ""
    sources = [(url, what) for url, what in ((git.origin_url, "the origin remote"),
                                             (sync_url, f"flux bootstrap's GitRepository ({sync.path})" if sync else ""))
               if url]
    github = next(((found, url, what) for url, what in sources if (found := _github(url))), None)
    other_host = next(((url, what) for url, what in sources if not input_checks.git_url_error(url)), None)
    if github:
        (owner, name), url, what = github
        findings.guesses.append(f"repo_owner '{owner}' and repo_name '{name}': guessed from {what} ({url})")
    else:
        owner, name = CLUSTER_DEFAULTS["repo_owner"], CLUSTER_DEFAULTS["repo_name"]
        findings.guesses.append(
            f"repo_owner '{owner}' and repo_name '{name}': the template's defaults (no GitHub URL in the origin "
            "remote or flux bootstrap's files)"
        )
    repo_url = f"https://github.com/{owner}/{name}" if github or not other_host else other_host[0]
    if other_host and not github:
        findings.guesses.append(f"repo_url '{repo_url}': guessed from {other_host[1]}")
    sync_branch = _text(sync.get("spec", "ref", "branch") if sync else None, "")
    branch = sync_branch or git.branch or CLUSTER_DEFAULTS["branch"]
    branch_from = (
        f"flux bootstrap's GitRepository ({sync.path})" if sync_branch
        else "the checked-out branch" if git.branch else "the template's default"
    )
    findings.guesses.append(f"branch '{branch}': guessed from {branch_from}")
    git_interval = _text(sync.get("spec", "interval") if sync else None, "")
    if not git_interval:
        git_interval = CLUSTER_DEFAULTS["git_interval"]
        findings.guesses.append(f"git_interval '{git_interval}': the template's default (no flux bootstrap GitRepository)")
    answers = {
        "kind": "cluster",
        "repo_owner": owner,
        "repo_name": name,
        "repo_url": repo_url,
        "personal_account": True,
        "branch": branch,
        "bootstrap_dir": hand.bootstrap_dir,
        "git_interval": git_interval,
    }
    findings.guesses.append("personal_account 'true': the template's default (the repository cannot tell)")
    for key, default in INTERVAL_DEFAULTS.items():
        answers[key] = _most_common([answers_[key] for answers_ in app_answers_.values()], default)
        if app_answers_:
            findings.guesses.append(f"{key} '{answers[key]}' (for new apps): what most apps use")
    answers["apps_dir"] = _most_common(
        [app.apps_dir for app in apps.values() if posixpath.basename(app.folder) == app.name], "")
    if answers["apps_dir"]:
        findings.guesses.append(f"apps_dir '{answers['apps_dir']}' (for new apps): where most apps' folders are")
    return answers


def _most_common(values: list[str], default: str) -> str:
    """The value most apps use; on a tie the template's default if tied, else the first app's."""
    counts = Counter(values)
    if not counts:
        return default
    top = max(counts.values())
    tied = [value for value, count in counts.items() if count == top]
    return default if default in tied else tied[0]


def app_answer_errors(answers: dict) -> list[str]:
    """The template's own checks on an app's answers; copier would refuse what fails them.
    An answer holding a postBuild variable, which Flux fills in on the cluster (`name:
    ${APP}`), is named as such: the rule's advice on letters and digits would not fit it."""
    checks = [
        ("app_name", lambda value: input_checks.dns1123_label_error(value, "app_name (the folder name)")),
        ("namespace", lambda value: input_checks.dns1123_label_error(value, "namespace") if value else ""),
        ("chart", input_checks.chart_name_error),
        ("chart_version", input_checks.chart_version_error),
        ("helm_repo_name", lambda value: input_checks.dns1123_label_error(value, "helm_repo_name")),
        ("helm_repo_url", lambda value: input_checks.helm_repo_url_error(value) if value else ""),
        ("release_name", input_checks.release_name_error),
        ("health_checks", health_checks_error),
        ("depends_on", lambda names: "; ".join(filter(None, (input_checks.dns1123_label_error(name, "dependsOn name")
                                                             for name in names)))),
        *((key, lambda value, key=key: input_checks.interval_error(value, key)) for key in INTERVAL_DEFAULTS),
    ]
    errors = []
    for key, check in checks:
        value = answers[key]
        if any(isinstance(text, str) and post_build.holds_variable(text) for text in (value if isinstance(value, list) else [value])):
            errors.append(f"{key} '{value}' holds a postBuild variable, which Flux fills in on the cluster and an "
                          "answer cannot record: write the value itself in the app's files, then adopt again")
        elif error := check(value):
            errors.append(error)
    return [f"app {answers['app_name']}: {error}" for error in errors]


def cluster_answer_errors(answers: dict) -> list[str]:
    errors = [
        input_checks.github_owner_error(answers["repo_owner"]),
        input_checks.github_repository_error(answers["repo_name"]),
        input_checks.git_url_error(answers["repo_url"]),
        input_checks.branch_error(answers["branch"]),
        input_checks.interval_error(answers["git_interval"], "git_interval (flux-system GitRepository)"),
        input_checks.apps_dir_error(answers["apps_dir"], answers["bootstrap_dir"]),
    ]
    return [f"cluster: {error}" for error in errors if error]


def pinned(answers: dict, keys: tuple[str, ...], src_path: str) -> dict:
    return {"_commit": RELEASE_TAG, "_src_path": src_path, **{key: answers[key] for key in keys}}


def answers_text(answers: dict) -> str:
    """An answers file as release 1.0.0's answers file template writes it."""
    return ANSWERS_HEADER + yaml_document(answers)
