"""Bring an app's values to a chart version: plan every app first, then write and commit.

Planning reads and fetches everything and fails (UserError naming the app and the problem)
before any file is written, so a bad app, version or chart leaves the repository as it
was. Writing is one commit per app; an app whose merge left conflicts, or whose result
the chart's values.schema.json refuses, is written but not committed, for the user to
resolve, and named.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from flux_cookbook import stops
from flux_cookbook.errors import UsageError, UserError
from flux_cookbook.extensions import bounded_yaml, chart_values, repo_files
from flux_cookbook.extensions.semver_range import parse_constraint, parse_version
from flux_cookbook.extensions.template_source import recorded_values_source
from flux_cookbook.extensions.values_overrides import apply_overrides
from flux_cookbook.repository import schema_messages
from flux_cookbook.repository.lock import git_path, require_branch, require_committed
from flux_cookbook.values import value_sources, values_schema
from flux_cookbook.values.app_values import (
    App,
    chart_version_files,
    header_for,
    read_app,
    read_file,
    scalar_at,
    with_answer,
    with_scalar,
    with_values,
)
from flux_cookbook.values.charts import Charts, ChartVersion, Unreachable, VersionNotFetched, local_chart
from flux_cookbook.values.coalesce import coalesce
from flux_cookbook.values.merge import Merged, flatten, merge_values, plain

PLACEHOLDER = "placeholder"  # where values that are the template's placeholder come from


@dataclass
class Refresh:
    """One app's refresh, worked out and not yet written."""

    app: App
    from_version: str
    to: ChartVersion
    new_range: str | None  # the app's new chart_version, when --to changes it
    writes: dict[str, str] = field(default_factory=dict)  # path -> new text
    conflicts: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)
    commented: list[str] = field(default_factory=list)  # default changes taken at keys the user commented
    schema_errors: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)  # value sources of the HelmRelease not read

    @property
    def changed(self) -> list[str]:
        return [path for path, text in self.writes.items() if text != self.app.files.get(path)]

    @property
    def needs_hands(self) -> bool:
        # A key the user set that the chart dropped may have moved (traefik 41: service.type
        # to service.spec.type): committed as it is, the user's setting would silently stop
        # applying.
        return bool(self.conflicts or self.schema_errors or self.removed)

    def summary(self) -> str:
        """What the cookbook's author compares by hand: the default changes at the keys set."""
        start = (f"the placeholder filled in with chart {self.app.chart} {self.to.version}" if self.from_version == PLACEHOLDER
                 else f"values from chart {self.app.chart} {self.from_version} to {self.to.version}")
        lines = [f"{self.app.name}: {start}"
                 + (f" (chart_version {self.app.chart_version} -> {self.new_range})" if self.new_range else "")]
        for title, items in (
            ("Chart default changes at keys you set (yours kept)", self.touched),
            ("Chart default changes taken at keys you left as they were but commented (your comment kept)",
             self.commented),
            (f"Keys you set that chart {self.to.label} no longer has (kept, not committed: move each where the "
             "chart now reads it, or remove it)", self.removed),
            ("Conflicts (both versions written between <<<<<<< and >>>>>>> markers)", self.conflicts),
            (f"Problems values.schema.json of chart {self.to.label} finds in the result", self.schema_errors),
        ):
            if items:
                lines += [f"  {title}:", *(f"    - {item}" for item in items)]
        if len(lines) == 1:
            lines.append("  No chart default change touches a key you set.")
        if self.unread:
            lines.append(f"  Not judged (not read here): the values of {', '.join(self.unread)}.")
        return "\n".join(lines)

    def diff(self) -> str:
        return "".join(
            "".join(difflib.unified_diff(self.app.files[path].splitlines(True), self.writes[path].splitlines(True),
                                         f"a/{path}", f"b/{path}"))
            for path in self.changed
        )


def plan(repo: Path, name: str, to: str | None, charts: Charts) -> Refresh:
    app = read_app(repo, name)
    if not app.repo_url:
        raise UserError(f"{app.answers_file} names no helm_repo_url for app '{name}'")
    if app.pin:
        raise UserError(f"app '{name}': its OCIRepository pins a {app.pin}, which Flux pulls whatever a range says: "
                        "pin a tag that is a version, or remove the pin and give spec.ref.semver a range, "
                        "then run values refresh again")
    try:
        target, new_range = _target(app, to, charts)
        if app.placeholder:
            from_version, base = PLACEHOLDER, None
        else:
            from_version = _from_version(repo, app, charts)
            base = _source_chart(repo, app, from_version) or _origin_chart(charts, app, from_version)
    except UserError as error:  # a chart's repository or cache: said with the app it is for (--all)
        message = str(error)
        raise UserError(message if message.startswith(f"app '{name}'") else f"app '{name}': {message}") from None
    try:
        if base is None:  # the chart's values at last, with every key set below the placeholder
            merged = Merged(apply_overrides(target.values, plain(app.values)))
        else:
            merged = merge_values(base.values, target.values, app.values_text, flatten(app.overrides), target.label)
    except ValueError as error:
        raise UserError(f"app '{name}' ({app.values_file}): {error}") from None
    refresh = Refresh(app, from_version, target, new_range, conflicts=merged.conflicts, removed=merged.removed,
                      touched=merged.touched, commented=merged.commented, unread=app.sources.unread)
    if base is not None and app.sources.setters:  # what the HelmRelease's other value sources set
        touched, removed = value_sources.judged(app.sources, bounded_yaml.load(base.values) or {},
                                                bounded_yaml.load(target.values) or {})
        refresh.touched += touched
        refresh.removed += removed
    # The range first: a HelmRelease with inline values may get conflict markers next.
    for path, keys in chart_version_files(repo, app) if new_range else []:
        text = app.files.setdefault(path, read_file(repo, path))
        try:
            keys = _version_tag(text, keys) or keys
            written = scalar_at(text, keys)
        except yaml.YAMLError as error:
            raise UserError(f"{path} does not parse as YAML: {str(error).splitlines()[0]}") from None
        if written is not None and "${" in written:
            # postBuild fills it in: the value to change is the variable's, where it is set.
            raise UserError(f"{path}: {'.'.join(keys)} is {written}, which postBuild fills in on the cluster: set "
                            f"the variable to {new_range} where its value is written, and run values refresh without --to")
        changed = with_scalar(text, keys, _one_version(path, new_range, target.version) if keys[-1] == "tag" else new_range)
        if changed is None:
            raise UserError(f"{path} has no {'.'.join(keys)} to set to {new_range}")
        refresh.writes[path] = changed
    # The range Flux reads, recorded as the app's answer: a range bumped by hand or by
    # Renovate in the HelmRelease or OCIRepository, left in the answers as it was, would be
    # the range each later copier update fetches the values' version from.
    recorded = new_range or app.range_to_record
    header = header_for(app, target.version, recorded or app.answers_range)
    if app.header and target.version == from_version and not new_range:
        header = app.header  # the same version: its line stays, whatever repository serves it now
    host = refresh.writes.get(app.values_file, app.files[app.values_file])
    refresh.writes[app.values_file] = with_values(app, header + "\n" + merged.text, host)
    answers = with_answer(app.files[app.answers_file], "values_chart_version", target.version)
    answers = with_answer(answers, "values_chart_range", recorded or app.answers_range)
    if recorded and recorded != str(app.answers.get("chart_version") or ""):
        answers = with_answer(answers, "chart_version", recorded)
    given = Path(to).expanduser().absolute() if to is not None and _is_path(to) else None
    if app.answers.get("values_source") or (given is not None and _in_repository(repo, given) is not None):
        # Each later copier update renders the values from values_source as the base of its
        # merge: the chart they came from before would make every line the two charts differ
        # in a conflict. The chart given with --to, else the repository's (fetched). One in
        # the repository is recorded for an app that had none too: the next refresh reads
        # the version its values came from there, offline and with no chart cache.
        answers = with_answer(answers, "values_source", recorded_values_source(str(given), repo) if given else "")
    refresh.writes[app.answers_file] = answers
    if not merged.conflicts and target.schema is not None:  # what Helm gets: the other sources' values too
        values = coalesce(bounded_yaml.load(merged.text) or {}, app.sources.values)
        refresh.schema_errors = schema_errors(target, values_schema.as_helm_reads(values) or {})
    return refresh


def _version_tag(text: str, keys: tuple[str, ...]) -> tuple[str, ...] | None:
    """The OCIRepository's ref.tag where it names the version and no semver range does
    (app_values._oci_ref reads it there; a tag that is no version is refused as a pin): the
    key --to's version goes to, as a HelmRelease's version gets --to's range."""
    tag = (*keys[:-1], "tag")
    if keys[-1] == "semver" and not (scalar_at(text, keys) or "").strip() and (scalar_at(text, tag) or "").strip():
        return tag
    return None


def _one_version(path: str, new_range: str, version: str) -> str:
    """What a tag is set to: the version refresh resolved --to to, when --to names one
    (a tag is no range: Flux pulls that tag as it is written)."""
    try:
        exact = parse_constraint(new_range).exact_version()
    except ValueError:
        exact = None
    if exact is None:
        raise UserError(f"{path}: spec.ref.tag pulls one version, not the range {new_range}: give --to an exact "
                        "version, or replace the tag with a spec.ref.semver range")
    return version


def _is_path(to: str) -> bool:
    return "/" in to or to.endswith((".tgz", ".tar.gz")) or Path(to).exists()


def check_target(to: str | None) -> None:
    """UsageError unless `to` is None, a chart version, a range or a path."""
    if to is not None and not to.strip():
        raise UsageError("--to is empty; give a chart version, a range or a chart folder (or leave --to out)")
    if to is None or _is_path(to):
        return
    try:
        parse_constraint(to)
    except ValueError as error:
        raise UsageError(f"--to {to!r} is neither a chart version, a range nor a chart folder: {error}") from None


def _target(app: App, to: str | None, charts: Charts) -> tuple[ChartVersion, str | None]:
    why = f"the version to refresh '{app.name}' to"
    if to is not None and _is_path(to):
        local = local_chart(Path(to).expanduser().resolve(), app.chart)
        return local, local.version
    # check_target has seen `to` parse.
    version = parse_constraint(to).exact_version() if to is not None else None
    try:
        version = version or charts.resolve(app.repo_url, app.chart, to or app.chart_version)
    except Unreachable as error:
        raise UserError(f"{error} (offline, --to an exact version uses the chart cache)") from None
    return charts.version(app.repo_url, app.chart, version, why), to


def _from_version(repo: Path, app: App, charts: Charts) -> str:
    recorded = (app.recorded_version() or _local_chart_version(repo, app)
                or charts.match(app.repo_url, app.chart, app.chart_version, app.values))
    if not recorded:
        raise UserError(
            f"app '{app.name}': the chart version its values came from is unknown (no values_chart_version "
            f"answer in {app.answers_file}, no header comment in {app.values_file}, and no release of chart "
            f"{app.chart} matches them); add the comment line\n  {header_for(app, '<version>', app.chart_version)}\n"
            f"as the first line of its values, naming the version they were copied from"
        )
    return recorded


def _source_in_repository(repo: Path, app: App) -> Path | None:
    """The chart folder, archive or values file the app's values were copied from (its
    answer `values_source`), when it is in the repository: nothing outside it is read."""
    source = str(app.answers.get("values_source") or "")
    return _in_repository(repo, Path(source).expanduser()) if source else None


def _in_repository(repo: Path, path: Path) -> Path | None:
    """`path` (relative to the repository, or absolute) where it is in the repository, no
    link on the way leading out; None otherwise."""
    try:
        return repo_files.inside(repo, path)
    except OSError:
        return None


def _origin_chart(charts: Charts, app: App, version: str) -> ChartVersion:
    """The chart at the version the app's values came from, from the chart cache or its
    repository; UserError saying how to give it where neither has it."""
    try:
        return charts.version(app.repo_url, app.chart, version, f"the version the values of '{app.name}' came from")
    except VersionNotFetched as error:  # (out of reach, the message says where to run it)
        raise UserError(f"{str(error).rstrip('.')}. With that chart's archive or folder at hand, keep it in the "
                        f"repository and set values_source in {app.answers_file} to its path there (values refresh "
                        "reads it from there, offline too), commit, and refresh again") from None


def _source_chart(repo: Path, app: App, version: str) -> ChartVersion | None:
    """The chart the values came from at `version`, where it is the app's values_source in
    the repository (offline too, with no chart cache); None where it is not."""
    if (inside := _source_in_repository(repo, app)) is None:
        return None
    try:
        chart = local_chart(inside, app.chart)
    except UserError:
        return None  # a values file alone, or no chart of that name: from the cache or the repository
    return chart if chart.version == version else None


def _local_chart_version(repo: Path, app: App) -> str | None:
    """The version the chart folder or archive the app's values were copied from names
    (its answer `values_source`), when that chart is in the repository: nothing outside
    the repository is read."""
    if (inside := _source_in_repository(repo, app)) is None:
        return None
    # What the template recorded on copy reads the same (values_version_on_copy); a
    # version that is no semantic version is none (the values are matched instead).
    version = chart_values.local_chart_version(str(inside), app.chart, repo)
    try:
        parse_version(version)
    except ValueError:
        return None
    return version


def schema_errors(chart: ChartVersion, values: dict) -> list[str]:
    """Every place the values (over the chart's defaults, as Helm merges them) break the schema."""
    from jsonschema.exceptions import SchemaError
    from referencing.exceptions import Unresolvable

    merged = coalesce(bounded_yaml.load(chart.values) or {}, plain(values))
    try:
        validator = values_schema.validator_class(chart.schema)
        validator.check_schema(chart.schema)
        errors = list(validator(chart.schema).iter_errors(merged))
    except (SchemaError, Unresolvable) as error:
        return [f"the chart's values.schema.json cannot be used: {str(error).splitlines()[0]}"]
    return sorted(f"{'.'.join(map(str, e.absolute_path)) or '(the values)'}: {schema_messages.message(e)}" for e in errors)



def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    if result.returncode:
        raise UserError(f"git {' '.join(args)} failed in {repo}: {result.stderr.strip()}")
    return result.stdout


def require_clean(repo: Path) -> None:
    if not (repo / ".git").exists():
        raise UserError(f"{repo} is not the root of a git repository")
    require_committed(repo)


# While an app's files are being written: its paths and the HEAD they were read at.
RECORD = "flux-cookbook-values-refresh.json"


def write(repo: Path, refreshes: list[Refresh]) -> list[Refresh]:
    """Write every refresh; commit each that needs no hands, one commit per app. Returns
    those left for the user (written, not committed). Clean ones go first, so that each
    commit holds its app's files only, and HEAD does not move once the first app left for
    the user is written. The caller holds the repository's lock (lock.one_writer) since it
    read what the refreshes were planned from."""
    left, committed = [], []
    # What this run wrote and has not committed (path -> digest): the apps left for the
    # user so far, and the app being written. A stop takes all of it back.
    uncommitted: dict[str, str] = {}
    by_app: list[list[str]] = []  # the same paths, app by app (recover keeps or puts back an app whole)
    require_branch(repo)
    record = git_path(repo, RECORD)
    for refresh in sorted(refreshes, key=lambda r: r.needs_hands):
        paths = refresh.changed
        try:
            if paths:
                # A run killed outright (SIGKILL) from here on leaves files half-written: the
                # next run puts them back (`recover`), with what each file was to hold, so
                # that a file found holding something else then is the user's, and is kept.
                uncommitted.update({path: _digest(refresh.writes[path].encode()) for path in paths})
                by_app.append(list(paths))
                repo_files.replace_whole(record, json.dumps({"head": git(repo, "rev-parse", "HEAD").strip(),
                                                             "paths": list(uncommitted), "apps": by_app,
                                                             "written": uncommitted}).encode())
            for path in paths:
                repo_files.write_text(repo, path, refresh.writes[path])
                stops.checkpoint("values-written")  # the tests' stand-in for a Ctrl-C here
            if refresh.needs_hands:
                left.append(refresh)
            elif paths:
                # git is not stopped half-way (that leaves its index.lock behind): a
                # signal now is raised once the commit is made.
                with stops.signals_deferred():
                    git(repo, "add", "--", *paths)
                    git(repo, "commit", "-q", "-m", commit_message(refresh), "--", *paths)
                    committed.append(refresh.app.name)
                    for path in paths:
                        uncommitted.pop(path)
                    by_app.pop()
                record.unlink(missing_ok=True)
        except BaseException as stop:
            # Stopped before the run's end (Ctrl-C): what it wrote and did not commit goes
            # back to HEAD, the apps left for the user before this one included; each app
            # committed stays so, and the next run starts from a clean repository.
            put_back = not uncommitted or _put_back(repo, list(uncommitted))
            if put_back:
                record.unlink(missing_ok=True)
            else:
                print(f"flux-cookbook: could not put back {', '.join(uncommitted)} as HEAD has them; see `git status`",
                      file=sys.stderr)
            if isinstance(stop, stops.Interrupted):
                back = [r.app.name for r in left if r.changed]
                if paths and refresh.app.name not in committed + back:
                    back.append(refresh.app.name)
                what = "put back" if put_back else "left written until the next run puts them back"
                said = f"; the files of {' and '.join(back)} {what}" if back else ""
                print(f"flux-cookbook values refresh: stopped: {', '.join(committed) or 'no app'} refreshed and "
                      f"committed{said}; run it again for the rest.", file=sys.stderr)
            raise
    # The apps left for the user stay written: the record of them goes.
    record.unlink(missing_ok=True)
    return left


def recover(repo: Path) -> str:
    """What a refresh killed outright (SIGKILL: no clean-up ran) left of the apps it had
    written and not committed, put back as HEAD has it, with the temporary files of its
    writes; a note saying so, or "". A file holding neither HEAD's text nor what the run
    wrote is the user's, changed since: kept, and with it the rest of that app's files (the
    values and the version its answers record go together). Where HEAD moved since (it was
    killed after the commit), only the record goes. Called with the repository's lock held."""
    if not (repo / ".git").exists():
        return ""  # no repository: require_clean says so
    record = git_path(repo, RECORD)
    try:
        left = json.loads(record.read_text(encoding="utf-8"))
        head, paths = str(left["head"]), [str(path) for path in left["paths"]]
        written = {str(path): str(digest) for path, digest in left.get("written", {}).items()}
        apps = left.get("apps")
    except FileNotFoundError:
        return ""
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        record.unlink(missing_ok=True)  # cut short while it was written: nothing was written after it
        return ""
    # The paths app by app; a record of release 3.2.0 (one app's) or one not as written: one app.
    if not (isinstance(apps, list) and apps and all(isinstance(app, list) and app and set(app) <= set(paths)
                                                    for app in apps)):
        apps = [paths]
    for path in paths:
        for temporary in repo_files.inside(repo, path).parent.glob(f".{Path(path).name}.*.tmp"):
            temporary.unlink()
    committed = git(repo, "rev-parse", "HEAD").strip() != head
    left_by = {path: _left_by(repo, path, written.get(path) if written else None) for path in paths}
    changed = [path for path, who in left_by.items() if who == "user"]
    touched = [app for app in apps if set(app) & set(changed)]
    kept = [path for app in touched for path in app if left_by.get(path) in ("user", "run")]
    kept += [path for path in changed if path not in kept]
    paths = [path for path in paths if path not in kept]
    if not paths:
        record.unlink()
        return "" if committed or not kept else _kept_note(changed, kept, len(touched))
    if not committed and not _put_back(repo, paths):
        # The record stays: the next run puts the files back once git can.
        lock = git_path(repo, "index.lock")
        why = (f"{lock} is there (the killed run's git left it: remove it if no git command runs in {repo})"
               if lock.exists() else "git refused to")
        raise UserError(f"a values refresh killed before its commit had written {', '.join(paths)}, which could not "
                        f"be put back as HEAD has them: {why}; then run it again")
    record.unlink()
    if committed:
        # Killed after its commit, or HEAD moved since for another reason (a commit of the
        # user's): what still differs from HEAD cannot be told the run's from the user's.
        differs = [path for path in paths if left_by[path] == "run" and not _as_in_head(repo, path)]
        return (f"flux-cookbook: a values refresh killed before its commit had written {', '.join(differs)}; "
                "HEAD has moved since, so they are left as they are (commit or discard them)") if differs else ""
    return "\n".join(filter(None, (f"flux-cookbook: a values refresh killed before its commit had written "
                                   f"{', '.join(paths)}: put back as HEAD has them", kept and _kept_note(changed, kept, len(touched)))))


def _left_by(repo: Path, path: str, digest: str | None) -> str:
    """Whose `path` is now: "head" (HEAD's text; absent where HEAD has none), "run" (what
    the killed run wrote, `digest`; with no digest recorded, any other text), or "user"
    (neither: changed, or deleted, since the kill)."""
    in_head = _in_head(repo, path)
    try:
        now = repo_files.read_bytes(repo, path)
    except FileNotFoundError:
        return "user" if in_head else "head"
    except OSError:  # (NotReadable too)
        return "user"  # a folder or a FIFO there now: no file the run wrote
    if digest is not None and _digest(now) == digest:
        return "run"
    if in_head and _as_in_head(repo, path):
        return "head"
    return "run" if digest is None else "user"


def _as_in_head(repo: Path, path: str) -> bool:
    """Whether `path` holds what HEAD has there (absent from both counts)."""
    return subprocess.run(["git", "diff", "--quiet", "HEAD", "--", path], cwd=repo, capture_output=True,
                          check=False).returncode == 0


def _in_head(repo: Path, path: str) -> bool:
    return subprocess.run(["git", "cat-file", "-e", f"HEAD:./{path}"], cwd=repo, capture_output=True,
                          check=False).returncode == 0


def _kept_note(changed: list[str], kept: list[str], apps: int = 1) -> str:
    rest = [path for path in kept if path not in changed]
    whose = "that app's" if apps == 1 else "those apps'"
    with_it = f", and the rest of {whose} files it wrote with it ({', '.join(rest)})" if rest else ""
    return (f"flux-cookbook: a values refresh killed before its commit was writing {', '.join(changed)}, changed "
            f"since: kept as it is{with_it} (commit or discard that change)")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _put_back(repo: Path, paths: list[str]) -> bool:
    """`paths` as HEAD has them, in the index and the working tree (one HEAD has not:
    removed); False where git could not."""
    new = [path for path in paths if not _in_head(repo, path)]
    undo = [["git", "reset", "-q", "--", *paths]]
    if tracked := [path for path in paths if path not in new]:
        undo.append(["git", "checkout", "-q", "HEAD", "--", *tracked])
    if [command for command in undo if subprocess.run(command, cwd=repo, capture_output=True, check=False).returncode]:
        return False
    repo_files.remove(repo, new)
    return True


def commit_message(refresh: Refresh) -> str:
    return (f"{refresh.app.name}: chart values refreshed from {refresh.app.chart} {refresh.from_version} "
            f"to {refresh.to.version}\n\n{refresh.summary()}\n")
