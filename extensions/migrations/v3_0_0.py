"""Release 3.0.0: Flux's recommended HelmRelease settings, and oci:// charts through an OCIRepository.

The new render of every app's HelmRelease carries `driftDetection`, `install` and
`upgrade` (strategy, retryInterval, crds; the answers helm_strategy, helm_retry_interval,
helm_crds, drift_detection). copier adds them to a HelmRelease that lacks them with a
clean merge. This step settles what that merge cannot:

before (all of it planned first; on any problem nothing is changed):
  - an app whose HelmRelease already has its own `install` or `upgrade` settings gets
    `helm_strategy: ''` and `helm_crds: ''` in its answers, so the new render writes
    neither block: a second `install:` key would break the file, and a RetryOnFailure
    strategy beside the user's `remediation` would silently switch it off
    (helm-controller applies `remediation` only under RemediateOnFailure). Likewise
    `drift_detection: ''` for a HelmRelease with its own `driftDetection`. Their
    settings stand as they wrote them.
  - an app whose chart comes from a HelmRepository of `type: oci` (legacy in Flux's
    eyes) moves to an OCIRepository beside its HelmRelease: `<app>/ocirepository-<app>.yaml`
    is written as the template writes it, from what the files say (chart, version,
    registry URL, interval; the HelmRepository's timeout, provider, insecure and suspend
    come along), the HelmRelease's `spec.chart` becomes `spec.chartRef` in place (every
    other line kept), and the app's answers record `chart_source: ocirepository`. An app
    is left as it is, with a note saying why, where the move could not keep what it has:
    a HelmRepository with `secretRef`/`certSecretRef` (Secrets are read from the object's
    own namespace, and the OCIRepository lives in the app's), a `spec.chart.spec` field an
    OCIRepository has no counterpart for (`valuesFiles`, `verify`, ...), or files not
    where or as the template writes them.
    A folder with a kustomization file of its own builds only what that file lists: the
    OCIRepository is listed on the line after the HelmRelease's entry, or, where the
    HelmRelease is not one entry on a line of its own, the app stays, with a note.
  - a HelmRepository those moves leave unreferenced (no HelmRelease or HelmChart in the
    repository names it) is removed; one still referenced stays, and so does one a
    kustomization file lists (removing it would break that folder's build).
  - everything is staged: copier compares the old render with the index as it is after
    this step, and then finds the user's side and the new release agreeing.
repeated runs: like 2.0.0's, the step runs once per answers file and covers the whole
  repository; apps found with nothing to do are remembered by the blob ids of their
  answers file and HelmRelease (and HelmRepository, where the decision read it;
  `blob_record`), and their files are not read again, not even their answers.
after:
  - an OCIRepository file both this step and the new release added (an update from a
    release older than 2.1.0, whose render has no such file) conflicts with no common
    base; the repository's version is the one this step wrote from the user's files, and
    is kept, but for the fields an answer the same update changed writes (namespace,
    chart_version, ...: the release's).
  - a HelmRepository file copier removed (its old render had it, the new one has not) that
    something in the repository still references, or a kustomization file lists, is put back.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .. import bounded_yaml, conventions, flux_names, kustomize_listing, layout, repo_files, repo_state
from ..conventions import OWN_SETTINGS, is_oci
from ..yaml_quoting import yaml_scalar
from . import apps_folder, shared_files
from .blob_record import BlobRecord, tracked_blobs
from .flux_api import MigrationError, replace_field
from .git_repo import MigrationAbort, blob_text, committed_text, git, put_back, unmerged_entries

CURRENT_RECORD = "flux-cookbook-3.0.0-current"
# The answers this release adds that an app's own HelmRelease settings can stand in for.
FAILURE_ANSWERS = ("helm_strategy", "helm_crds")  # write install/upgrade blocks
DRIFT_ANSWER = "drift_detection"  # writes driftDetection
# What a HelmRelease's spec.chart.spec may hold to move: everything else has no counterpart
# on an OCIRepository. `interval` goes: the OCIRepository polls the registry at the
# HelmRepository's interval, as the template writes it.
MOVABLE_CHART_FIELDS = {"chart", "version", "sourceRef", "interval"}
# HelmRepository fields an OCIRepository takes as they are (both source.toolkit.fluxcd.io/v1).
CARRIED_FIELDS = ("timeout", "provider", "insecure", "suspend")
# HelmRepository fields the move reads or drops with no loss.
KNOWN_FIELDS = {"url", "type", "interval", *CARRIED_FIELDS}
TEMPLATE_APP_DIR = Path(__file__).resolve().parents[2] / "template" / "app"


@dataclass
class Plan:
    writes: dict[str, str] = field(default_factory=dict)  # path -> new text
    removals: list[str] = field(default_factory=list)  # HelmRepository files no longer referenced
    notes: list[str] = field(default_factory=list)


@dataclass
class _App:
    name: str
    answers_file: str
    answers: dict
    release_file: str
    release: dict | None  # the HelmRelease document, None if the file has none


def before(repo: Path, answers_file: str = "") -> None:
    _require_no_unstaged_changes(repo)
    try:
        plan = make_plan(repo)
        apply(repo, plan)
    except (OSError, MigrationAbort):
        # copier refuses to start on a dirty folder, so HEAD holds everything the user
        # had there; an earlier release's migration in this same update staged its work, and a
        # stopped update must leave none of it behind either.
        put_back(repo)
        raise
    for note in plan.notes:
        print(f"  {note}")


def _require_no_unstaged_changes(repo: Path) -> None:
    """Staged work is an earlier migration's of this update (1.0.0 -> 3.0.0); anything else
    in the working tree is the user's, and not ours to touch."""
    if changed := git(repo, "status", "--porcelain", "--untracked-files=normal"):
        unstaged = [line for line in changed.splitlines() if line[1:2] != " "]
        if unstaged:
            raise MigrationAbort(
                "the repository has uncommitted changes; commit or stash them first:\n" + "\n".join(unstaged)
            )


def make_plan(repo: Path) -> Plan:
    """Everything the migration will change, computed without changing anything."""
    plan = Plan()
    blobs = tracked_blobs(repo)
    # The code that decides "nothing to do": this module, the names and what oci:// means.
    record = BlobRecord(repo, CURRENT_RECORD, [__file__, layout.__file__, conventions.__file__])
    known = record.read()
    # An entry per app found with nothing to do: its answers file's blob, and the other files
    # the decision read with their blobs ("-" for none), so that an app is skipped before
    # its answers are even parsed.
    remembered: dict[str, list[str]] = {}
    for entry in known:
        answers_blob, *files = entry.split("|")
        remembered[answers_blob] = files
    found: set[str] = set()
    moved_from: dict[str, list[str]] = {}  # HelmRepository file -> apps moved off it
    errors = []
    for answers_file in layout.answers_files(repo):
        app_name = layout.app_of_answers_file(answers_file)
        if not app_name:
            continue
        answers_blob = blobs.get(answers_file) or "-"
        files = remembered.get(answers_blob)
        if files and all((blobs.get(path) or "-") == blob for path, blob in zip(files[::2], files[1::2]) if path != "-"):
            found.add("|".join([answers_blob, *files]))
            continue
        answers_text = (repo / answers_file).read_text(encoding="utf-8")
        answers = bounded_yaml.load(answers_text) or {}
        apps_dir = _apps_dir(repo, answers_file, answers)
        # Where the app is: one folder down without an apps_dir answer yet, or a folder
        # renamed by hand (`website/` of the app `web`).
        release_file = repo_state.app_file(repo, {**answers, "app_name": app_name, "apps_dir": apps_dir},
                                           layout.helm_release_file(app_name))

        def remember(*paths: str) -> None:
            entry = [answers_blob]
            for path in paths:
                entry += [path, blobs.get(path) or "-"]
            if not any(c.isspace() or c == "|" for part in entry for c in part):
                found.add("|".join(entry))

        try:
            app = _App(app_name, answers_file, answers, release_file, _helm_release(repo, release_file))
        except MigrationError as error:
            errors.append(f"{release_file}: {error}")
            continue
        additions = _own_settings_answers(app, (repo / release_file).exists())
        moved_repo, refusal = _plan_oci_move(repo, app, apps_dir, plan, blobs)
        if moved_repo:
            moved_from.setdefault(moved_repo, []).append(app.name)
            additions["chart_source"] = "ocirepository"
        if refusal:
            plan.notes.append(refusal)
        if additions:
            plan.writes[answers_file] = _with_answers(answers_text, additions)
            if not (repo / release_file).exists():
                plan.notes.append(
                    f"{release_file}: not there (the app's HelmRelease is a file of your own, or gone): helm_strategy, "
                    "helm_crds and drift_detection recorded as '' in its answers, as no render of it carries them"
                )
            elif set(additions) & set(FAILURE_ANSWERS):
                plan.notes.append(
                    f"{release_file}: has its own install/upgrade settings; they stand as they are "
                    "(helm_strategy and helm_crds recorded as '' in its answers)"
                )
            if DRIFT_ANSWER in additions and (repo / release_file).exists():
                plan.notes.append(f"{release_file}: has its own driftDetection; it stands as it is")
        elif not refusal:
            # Nothing to do; next time too, while these files stay as they are.
            remember(release_file)
        elif _repo_named(app) == answers.get("helm_repo_name"):
            # An app that cannot move: its note is printed once, while these files stay as they are.
            remember(release_file, layout.helm_repository_file(str(answers.get("bootstrap_dir")), str(answers.get("helm_repo_name"))),
                     *filter(None, [_folder_config(release_file, blobs)]))
    if errors:
        raise MigrationAbort("these files cannot be read; fix them, commit, and update again:\n  " + "\n  ".join(errors))
    for repo_file, apps in sorted(moved_from.items()):
        users = _references(repo, _helm_repository_name(repo, repo_file), plan.writes, skip=repo_file)
        listings = kustomize_listing.listed_by(repo, repo_file)
        if users:
            plan.notes.append(f"{repo_file}: kept, still used by {', '.join(users)}")
        elif listings:
            plan.notes.append(f"{repo_file}: no longer used, kept as {', '.join(listings)} lists it; remove both when you wish")
        else:
            plan.removals.append(repo_file)
            plan.notes.append(f"{repo_file}: removed, no longer used ({', '.join(apps)} moved to an OCIRepository)")
    if found != known:
        record.write(found)
    return plan


def _apps_dir(repo: Path, answers_file: str, answers: dict) -> str:
    """The folder the app's folder is in ("": the root). An app adopted one folder down has
    no `apps_dir` answer until its first update: its Kustomization says where it is."""
    if "apps_dir" in answers:
        return str(answers["apps_dir"] or "")
    found = apps_folder.folder_to_merge(repo, answers_file)
    return posixpath.dirname(found[1]) if found else ""


def _helm_release(repo: Path, path: str) -> dict | None:
    """The one HelmRelease in `path`, or None when there is no such file or no single one."""
    if not (repo / path).is_file():
        return None
    try:
        documents = [d for d in bounded_yaml.load_all((repo / path).read_text(encoding="utf-8")) if isinstance(d, dict)]
    except UnicodeDecodeError:
        raise MigrationError("not UTF-8 text; save it as UTF-8 and update again") from None
    except yaml.YAMLError as error:
        raise MigrationError(f"not valid YAML: {error}") from None
    releases = [d for d in documents if d.get("kind") == "HelmRelease"]
    return releases[0] if len(releases) == 1 else None


def _spec(document: dict | None) -> dict:
    spec = (document or {}).get("spec")
    return spec if isinstance(spec, dict) else {}


def _own_settings_answers(app: _App, rendered: bool) -> dict[str, str]:
    """The answers that keep the new render from adding settings the HelmRelease has its own
    of; all of them '' where the template's HelmRelease file is not there (`rendered`
    False: the user's own file elsewhere, which adopt keeps and no update renders), so that
    the answers say what the app's HelmRelease has."""
    if not rendered:
        return {key: OWN_SETTINGS for key in (*FAILURE_ANSWERS, DRIFT_ANSWER) if key not in app.answers}
    spec = _spec(app.release)
    additions = {}
    if ("install" in spec or "upgrade" in spec) and not any(key in app.answers for key in FAILURE_ANSWERS):
        additions.update({key: OWN_SETTINGS for key in FAILURE_ANSWERS})
    if "driftDetection" in spec and DRIFT_ANSWER not in app.answers:
        additions[DRIFT_ANSWER] = OWN_SETTINGS
    return additions


def _with_answers(text: str, answers: dict[str, str]) -> str:
    """The answers file with these answers set; copier rewrites it whole on the update."""
    for key, value in answers.items():
        line = f"{key}: {yaml_scalar(value)}"
        text, count = re.subn(rf"(?m)^{re.escape(key)}:.*$", line, text)
        if not count:
            text = text + ("" if text.endswith("\n") or not text else "\n") + line + "\n"
    return text


# --- oci:// charts: HelmRepository of type oci -> OCIRepository beside the HelmRelease -------


def _repo_named(app: _App) -> Any:
    chart = _spec(app.release).get("chart")
    spec = chart.get("spec") if isinstance(chart, dict) else None
    source = spec.get("sourceRef") if isinstance(spec, dict) else None
    return source.get("name") if isinstance(source, dict) else None


def _plan_oci_move(repo: Path, app: _App, apps_dir: str, plan: Plan, blobs: dict[str, str]) -> tuple[str | None, str]:
    """Plan the app's move to an OCIRepository: (the HelmRepository file it leaves, "") if it
    moves, (None, why not) if it cannot, (None, "") if it has no oci:// chart to move."""
    answers = app.answers
    if not is_oci(str(answers.get("helm_repo_url", ""))) or answers.get("chart_source") == "ocirepository":
        return None, ""

    def refuse(why: str) -> tuple[None, str]:
        return None, (
            f"app {app.name} stays on its HelmRepository of type oci (Flux recommends an OCIRepository "
            f"and chartRef): {why}"
        )

    spec = _spec(app.release)
    chart = spec.get("chart")
    chart_spec = chart.get("spec") if isinstance(chart, dict) else None
    if not isinstance(chart_spec, dict) or set(chart) != {"spec"}:
        return refuse(f"{app.release_file} has no HelmRelease with spec.chart.spec as the template writes it")
    if extra := sorted(set(chart_spec) - MOVABLE_CHART_FIELDS):
        return refuse(f"{app.release_file}: spec.chart.spec.{extra[0]} has no counterpart on an OCIRepository")
    source = chart_spec.get("sourceRef")
    if not isinstance(source, dict) or source.get("kind") != "HelmRepository" or not source.get("name"):
        return refuse(f"{app.release_file}: spec.chart.spec.sourceRef names no HelmRepository")
    repo_file = layout.helm_repository_file(str(answers.get("bootstrap_dir")), str(source["name"]))
    helm_repository = _single(repo, repo_file, "HelmRepository") if repo_file in blobs else None
    if not helm_repository or (helm_repository.get("metadata") or {}).get("name") != source["name"]:
        return refuse(f"no HelmRepository {source['name']} in {repo_file}")
    repo_spec = _spec(helm_repository)
    if repo_spec.get("type") != "oci" or not is_oci(str(repo_spec.get("url", ""))):
        return refuse(f"{repo_file} is not a HelmRepository of type oci")
    if secrets := [key for key in ("secretRef", "certSecretRef") if key in repo_spec]:
        return refuse(
            f"{repo_file} has {' and '.join(secrets)}, a Secret in its namespace; an OCIRepository reads "
            f"Secrets from its own namespace (the app's). Copy the Secret there, then move it by hand"
        )
    if extra := sorted(set(repo_spec) - KNOWN_FIELDS):
        return refuse(f"{repo_file}: spec.{extra[0]} has no counterpart on an OCIRepository")
    oci_file = posixpath.join(posixpath.dirname(app.release_file), posixpath.basename(layout.oci_repository_file(app.name)))
    if (repo / oci_file).exists():
        return refuse(f"{oci_file} exists already")
    # A folder with a kustomization file of its own builds only what that file lists, and so
    # does any other that lists the HelmRelease's file (another cluster's overlay): the
    # OCIRepository is listed beside it in each, or the app stays.
    own_config = _folder_config(app.release_file, blobs)
    configs = sorted({*([own_config] if own_config else []), *kustomize_listing.listed_by(repo, app.release_file)})
    for config in configs:
        listed = kustomize_listing.list_beside(plan.writes.get(config) or repo_files.read_text(repo, config),
                                               posixpath.dirname(config), app.release_file, oci_file)
        if listed is None:
            return refuse(f"{config} does not list {posixpath.relpath(app.release_file, posixpath.dirname(config))} "
                          f"as one entry of its resources, one per line, beside which "
                          f"{posixpath.relpath(oci_file, posixpath.dirname(config))} could be listed")
        plan.writes[config] = listed
    namespace = (app.release.get("metadata") or {}).get("namespace") or answers.get("namespace")
    try:
        release_text, removed = replace_field(
            repo_files.read_text(repo, app.release_file), "HelmRelease", "spec", "chart", "chartRef",
            {"kind": "OCIRepository", "name": app.name},
        )
    except MigrationError as error:
        return refuse(f"{app.release_file}: {error}")
    plan.writes[app.release_file] = release_text
    plan.writes[oci_file] = oci_repository_text(
        app=app.name, namespace=str(namespace), interval=str(repo_spec.get("interval") or answers.get("helmrepository_interval")),
        url=str(repo_spec["url"]), chart=str(chart_spec.get("chart") or answers.get("chart")),
        version=str(chart_spec.get("version") or "*"), carried={k: repo_spec[k] for k in CARRIED_FIELDS if k in repo_spec},
        apps_dir=apps_dir,
    )
    plan.notes.append(f"app {app.name}: chart now from {oci_file} (chartRef), no longer from HelmRepository {source['name']}"
                      + (f"; listed in {', '.join(configs)}" if configs else ""))
    if "#" in removed:
        comments = [line.strip() for line in removed.splitlines() if "#" in line]
        plan.notes.append(f"{app.release_file}: the comments of spec.chart are kept with spec.chartRef: {' | '.join(comments)}")
    return repo_file, ""


def _folder_config(path: str, blobs: dict[str, str]) -> str | None:
    """The kustomization file of the folder `path` is in, if it has one."""
    folder = posixpath.dirname(path)
    return next((c for c in (posixpath.join(folder, n) for n in flux_names.KUSTOMIZE_CONFIG_FILES) if c in blobs), None)


def _single(repo: Path, path: str, kind: str) -> dict | None:
    try:
        documents = [d for d in bounded_yaml.load_all((repo / path).read_text(encoding="utf-8")) if isinstance(d, dict)]
    except (OSError, yaml.YAMLError):
        return None
    found = [d for d in documents if d.get("kind") == kind]
    return found[0] if len(found) == 1 else None


def oci_repository_text(app: str, namespace: str, interval: str, url: str, chart: str, version: str,
                        carried: dict[str, Any], apps_dir: str = "") -> str:
    """The OCIRepository as the template renders it for these values, plus `carried` fields."""
    import jinja2

    from .. import template_api

    environment = jinja2.Environment(keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    environment.filters.update(template_api.FILTERS)
    environment.globals.update(template_api.GLOBALS)
    context = {"app_name": app, "apps_dir": apps_dir, "namespace": namespace, "helmrepository_interval": interval,
               "helm_repo_url": url, "chart": chart, "chart_version": version, "chart_source": "ocirepository"}
    text = environment.from_string(_oci_repository_template(environment, context).read_text(encoding="utf-8")).render(context)
    if not carried:
        return text
    # spec is the file's last mapping: the carried fields go at its end.
    return text.rstrip("\n") + "\n" + "".join(f"  {key}: {yaml_scalar(value)}\n" for key, value in carried.items())


def _oci_repository_template(environment: Any, context: dict) -> Path:
    """The template file that renders to layout.oci_repository_file (its path is Jinja too)."""
    import jinja2

    target = layout.oci_repository_file(context["app_name"], context["apps_dir"])
    for path in sorted(TEMPLATE_APP_DIR.rglob("*.jinja")):
        try:
            rendered = environment.from_string(path.relative_to(TEMPLATE_APP_DIR).as_posix().removesuffix(".jinja")).render(context)
        except jinja2.UndefinedError:
            continue  # a path of answers this file does not need (bootstrap_dir, ...)
        if rendered == target:
            return path
    raise MigrationAbort(f"the template has no file rendering to {target} under {TEMPLATE_APP_DIR}")


def _helm_repository_name(repo: Path, repo_file: str) -> str:
    document = _single(repo, repo_file, "HelmRepository") or {}
    return str((document.get("metadata") or {}).get("name"))


def _references(repo: Path, name: str, overrides: dict[str, str], skip: str) -> list[str]:
    """Files whose HelmRelease or HelmChart takes its chart from HelmRepository `name`.

    Any namespace counts: keeping a HelmRepository too many is harmless, removing one in use
    breaks a release.
    """
    return shared_files.files_using(repo, skip, lambda text: name in text and "HelmRepository" in text,
                                    lambda document, _: _names_helm_repository(document, name), overrides, dotted=False)


def _names_helm_repository(document: Any, name: str) -> bool:
    if not isinstance(document, dict):
        return False
    spec = _spec(document)
    if document.get("kind") == "HelmRelease":
        chart = spec.get("chart")
        spec = chart.get("spec") if isinstance(chart, dict) else None
    elif document.get("kind") != "HelmChart":
        return False
    source = spec.get("sourceRef") if isinstance(spec, dict) else None
    return isinstance(source, dict) and source.get("kind") == "HelmRepository" and source.get("name") == name


def apply(repo: Path, plan: Plan) -> None:
    """Carry out `plan` and stage it."""
    for path, text in plan.writes.items():
        repo_files.write_text(repo, path, text)
    if plan.writes:
        git(repo, "add", "--", *plan.writes)
    if plan.removals:
        git(repo, "rm", "-q", "-f", "--", *plan.removals)  # -f: an earlier migration may have staged it


# --- after -------------------------------------------------------------------------------


def after_due(repo: Path) -> bool:
    """`after` settles conflicts on OCIRepository files and puts back deleted HelmRepository
    files: nothing when the update left neither."""
    return bool(unmerged_entries(repo)) or bool(deleted_helm_repository_files(repo))


def after(repo: Path, answers_file: str = "") -> None:
    keep_added_oci_repositories(repo, answers_file)
    restore_used_helm_repositories(repo)


# The OCIRepository's fields the template writes from an answer: (mapping, key) -> answers.
_ANSWERED_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("metadata", "namespace"): ("namespace",),
    ("spec", "url"): ("helm_repo_url", "chart"),
    ("spec.ref", "semver"): ("chart_version",),
    ("spec", "interval"): ("helmrepository_interval",),
}


def keep_added_oci_repositories(repo: Path, answers_file: str = "") -> None:
    """An app's OCIRepository file that this release's step wrote from the user's files and
    the update added too (a conflict with nothing before it) is kept as the step wrote it,
    but for the fields an answer this update changed writes (`-d chart_version=...` in the
    update crossing this release): those are the release's.
    Run after this release's step and after every update: an app updated after its
    cluster meets the release's rendering of the file the cluster's update wrote."""
    # By name: an app adopted one folder down is merged at the root, and moved back later.
    oci_files = {posixpath.basename(layout.oci_repository_file(app)): app for app in layout.apps(repo)}
    empty = git(repo, "hash-object", "--stdin", input="").strip()
    for path, stages in unmerged_entries(repo).items():
        if posixpath.basename(path) in oci_files and 2 in stages and stages.get(1, empty) == empty:
            app = oci_files[posixpath.basename(path)]
            changed = _changed_answers(repo, answers_file) if posixpath.basename(answers_file) == layout.app_answers_file(app) else set()
            text, taken = _with_answered_fields(blob_text(repo, stages[2]), blob_text(repo, stages[3]), changed) \
                if 3 in stages else (blob_text(repo, stages[2]), [])
            repo_files.write_text(repo, path, text)
            git(repo, "add", "--", path)
            print(f"  {path}: added by the migration and by the release; the migration's (from your files) kept"
                  + (f", with the release's {', '.join(taken)} (answers this update changed)" if taken else ""))


def _changed_answers(repo: Path, answers_file: str) -> set[str]:
    """The answers `answers_file` recorded before this update and records otherwise now (an
    answer a later release records for the first time is its default, no change)."""
    now = repo_state.answers_of(repo, answers_file) or {}
    try:
        before = bounded_yaml.load(committed_text(repo, answers_file) or "", answers_file)
    except (ValueError, yaml.YAMLError):
        before = None
    before = before if isinstance(before, dict) else {}
    return {str(key) for key in before if now.get(key) != before[key]}


def _with_answered_fields(mine: str, release: str, changed: set[str]) -> tuple[str, list[str]]:
    """`mine` with the value of each field an answer of `changed` writes taken from
    `release`, where they differ; and those fields' names."""
    mine_source, release_source = _oci_repository(mine), _oci_repository(release)
    taken = []
    for (where, key), answers in _ANSWERED_FIELDS.items():
        if not changed.intersection(answers):
            continue
        value = _field(release_source, where, key)
        if value is None or value == _field(mine_source, where, key):
            continue
        try:
            mine, _ = replace_field(mine, "OCIRepository", where, key, key, value)
        except MigrationError:
            continue  # not where the template writes it: the user's file stands
        taken.append(f"{where}.{key}")
    return mine, taken


def _oci_repository(text: str) -> dict | None:
    """The text's OCIRepository, or None."""
    try:
        return next((d for d in bounded_yaml.load_all(text) if isinstance(d, dict) and d.get("kind") == "OCIRepository"), None)
    except (ValueError, yaml.YAMLError):
        return None


def _field(node: Any, where: str, key: str) -> Any:
    """The value at `where`.`key` of `node`, or None."""
    for part in [*where.split("."), key]:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def deleted_helm_repository_files(repo: Path) -> list[str]:
    """Tracked files in a helmrepositories/ folder that the update deleted."""
    deleted = [p for p in git(repo, "ls-files", "-z", "--deleted").split("\0") if p]
    return [path for path in deleted if f"/{layout.HELM_REPOSITORIES}/" in f"/{path}"]


def restore_used_helm_repositories(repo: Path) -> None:
    """Put back a HelmRepository file the update deleted (its app moved to an OCIRepository)
    that another HelmRelease still takes its chart from, or a kustomization file lists.
    Run after this release's step and after every update (an app's own update reaches
    the deletion after the cluster's update has passed this release)."""
    deleted = deleted_helm_repository_files(repo)
    for path in deleted:
        try:
            documents = [d for d in bounded_yaml.load_all(git(repo, "show", f":{path}")) if isinstance(d, dict)]
        except yaml.YAMLError:
            continue
        names = {str((d.get("metadata") or {}).get("name")) for d in documents if d.get("kind") == "HelmRepository"}
        if users := sorted({user for name in names for user in _references(repo, name, {}, skip=path)}):
            git(repo, "checkout", "--", path)
            print(f"  {path}: kept, still used by {', '.join(users)}")
        elif listings := kustomize_listing.listed_by(repo, path):
            git(repo, "checkout", "--", path)
            print(f"  {path}: kept, as {', '.join(listings)} lists it")
