"""check's values.*: each app's values parse and fit its chart, when the chart is in the
local chart cache."""

from __future__ import annotations

import functools
import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from flux_cookbook.check.object_index import DEFAULT_VALUES_KEY, Index, applied_post_builds, entries, secret_text, spec_of
from flux_cookbook.check.problems import ERROR, WARNING, Problem
from flux_cookbook.check.rules_yaml import unresolved_conflict
from flux_cookbook.errors import UserError
from flux_cookbook.extensions import chart_values
from flux_cookbook.extensions.flux_names import HELM_GROUP, SOURCE_GROUP
from flux_cookbook.repository import oci_ref, post_build, schema_messages
from flux_cookbook.repository.model import (
    Manifest,
    Repository,
    api_group,
)
from flux_cookbook.repository.yaml_lines import LineList, LineMap, YamlError, line_mapped, load, yaml_kind
from flux_cookbook.values import values_schema
from flux_cookbook.values.coalesce import coalesce


@dataclass(frozen=True)
class _Values:
    """One source of a HelmRelease's values, and how to find a key's line in its file."""

    path: str
    values: Any
    line: int  # where the values start in `path`
    offset: int  # add to a line of the values' own text to get the file's line; -1: no such lines
    header: str = ""  # the first line of the values' text

    def depth(self, keys: list) -> int:
        """How many of `keys`, from the top, these values set."""
        node = self.values
        for depth, key in enumerate(keys):
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                node = node[key]
            else:
                return depth
        return len(keys)

    def line_of(self, keys: list) -> int:
        """The line of the deepest of `keys` these values set (their first line if none)."""
        node, line = self.values, None
        for key in keys[: self.depth(keys)]:
            line = node.line_of(key) if isinstance(node, (LineMap, LineList)) else line
            node = node[key]
        if line is None:
            return self.line
        return line + self.offset if self.offset >= 0 else self.line


def check_values(repo: Repository, cache_dir: Path | None = None, not_cached: list[str] | None = None,
                 built: list | None = None) -> list[Problem]:
    """Each HelmRelease's values parse as a YAML mapping; where its chart is in the chart
    cache, they fit the chart's values.schema.json and every key they set is one the
    chart's values.yaml has. Judged as Flux applies the HelmRelease, `built` (each build's
    objects: an overlay's patch of its values or chart, its own values ConfigMap), at the
    files' lines where the build left them as written; a HelmRelease no build gave, as
    written. Offline: a chart that is not cached is not checked, and the release is added
    to `not_cached` (for a note: "0 errors" must not read as checked)."""
    index = Index(repo)
    problems: list[Problem] = []
    parsed: dict[tuple, tuple[_Values | None, list[Problem]]] = {}

    def from_object(key: tuple) -> _Values | None:
        if key not in parsed:
            parsed[key] = _values_from_object(index, *key)
            problems.extend(parsed[key][1])
        return parsed[key][0]

    builds = _Builds(built or [], applied_post_builds(repo) if built else {})
    # Read once, when a release's chart is first looked up.
    kept = functools.cache(lambda: _kept_charts(repo))

    for release in repo.manifests:
        if not release.is_a("HelmRelease", HELM_GROUP):
            continue
        from_objects, inline = _written_sources(repo, release, from_object)
        written = spec_of(release).get("values")
        if written is not None and not isinstance(written, dict):
            # The CRD takes any JSON there; helm-controller reads a mapping and drops the rest.
            problems.append(Problem(release.path, spec_of(release).line_of("values"), "values.parse", ERROR,
                                    f"{release.label()}: spec.values holds {yaml_kind(written)}, not a mapping of "
                                    "values: helm-controller drops it and installs the chart's defaults"))
        as_written = [*from_objects, *([inline] if inline else [])]
        views, unreadable = _as_built(release, inline, builds, from_object)
        problems += unreadable
        for applied, sources in views or [(release, as_written)]:
            chart = _cached_chart(applied, index, sources, cache_dir, kept)
            if isinstance(chart, _Chart):
                problems += _against_chart(applied, sources, chart)
            elif chart is _NOT_CACHED and not_cached is not None and any(
                    source.values and source.header != chart_values.PLACEHOLDER_MARKER for source in sources):
                if applied.label() not in not_cached:  # (a placeholder's few overrides are no chart's values)
                    not_cached.append(applied.label())
    return problems


def _written_sources(repo: Repository, release: Manifest, from_object) -> tuple[list[_Values], _Values | None]:
    """The values of `release` as its files hold them: valuesFrom's in order, and spec.values."""
    sources: list[_Values] = []
    for entry, _ in entries(spec_of(release), "valuesFrom"):
        if entry.get("targetPath"):
            continue  # the key holds one value, set at that path: not a mapping of values
        if found := from_object(_values_key(entry, release.namespace)):
            sources.append(found)
    spec = spec_of(release)
    if isinstance(spec.get("values"), LineMap):
        # The template's header comment is the line below `values:` (its line is 1-based).
        line, lines = spec.line_of("values"), repo.texts.get(release.path, "").splitlines()
        header = lines[line].strip() if line < len(lines) else ""
        return sources, _Values(release.path, spec["values"], line, 0, header)
    return sources, None


def _values_key(entry: dict, namespace: str) -> tuple:
    return entry.get("kind"), namespace, entry.get("name"), str(entry.get("valuesKey") or DEFAULT_VALUES_KEY)


class _Builds:
    """The builds' objects, found by what _as_built asks: the HelmReleases of a document,
    and a build's ConfigMaps and Secrets by kind, namespace and name."""

    def __init__(self, built: list, post_builds: dict):
        self.post_builds = post_builds  # each Kustomization -> the postBuild it substitutes with
        self.releases: dict[tuple[str, int], list] = {}
        self.data_objects: dict[tuple, Any] = {}
        for item in built:
            kind = item.obj.get("kind")
            if (api_group(item.obj), kind) == (HELM_GROUP, "HelmRelease"):
                self.releases.setdefault((item.source.path, item.source.line), []).append(item)
            elif kind in ("ConfigMap", "Secret") and "sops" not in item.obj:
                meta = item.obj.get("metadata") if isinstance(item.obj.get("metadata"), dict) else {}
                self.data_objects.setdefault((item.kustomization, kind, str(meta.get("namespace") or ""),
                                              meta.get("name")), item)

    def values_text(self, kustomization, kind: str, namespace: str, name: str, key: str) -> tuple[str | None, Any]:
        """The text of `key` in the ConfigMap or Secret the build (of `kustomization`) gives,
        and where it comes from (a document, or the generator entry that makes it: its
        Source holds no document); (None, None) where the build has none."""
        item = self.data_objects.get((kustomization, kind, namespace, name))
        text = _key_text(kind, item.obj, key)[0] if item is not None else None
        if text is not None and item.source.obj is None and not post_build.disabled(item.obj):
            # A generator's values as kustomize-controller substitutes them after the build
            # (a document's are judged as written); None where the cluster's values do it.
            text = post_build.substitute(text, self.post_builds.get(kustomization))
        return (text, item.source) if text is not None else (None, None)


def _as_built(release: Manifest, inline: _Values | None, builds: _Builds,
              from_object) -> tuple[list[tuple[Manifest, list[_Values]]], list[Problem]]:
    """(the HelmRelease as a build gives it, its values) for each build of `release`'s
    document, once per different result ([] where no build gave it); and the problems of
    values a build made unreadable. A source the build left as written is the written one
    (its lines); one it changed (a patch, an overlay's own ConfigMap) is told at the line
    of the document it comes from."""
    views: dict[str, tuple[Manifest, list[_Values]]] = {}
    unreadable: list[Problem] = []
    for item in builds.releases.get((release.path, release.line), []):
        applied = Manifest(release.path, release.line, line_mapped(item.obj, release.line), release.folder, "")
        spec = spec_of(applied)
        sources = []
        for entry, _ in entries(spec, "valuesFrom"):
            if entry.get("targetPath"):
                continue
            key = _values_key(entry, applied.namespace)
            same = from_object(key)
            text, maker = builds.values_text(item.kustomization, *key)
            if text is None or maker is None:
                if same is not None:
                    sources.append(same)  # not among the build's objects: as the repository holds it
                continue
            # A generator's object (no document holds it) is judged here alone; one written so
            # is values.parse's of the written object.
            judged = same is not None or maker.obj is None

            def unreadable_as(what: str) -> Problem:
                return Problem(maker.path, maker.line_at(("data", key[3])), "values.parse", ERROR,
                               f"{key[0]} {key[1]}/{key[2]} key {key[3]!r} as the build of "
                               f"{item.kustomization.path} gives it {what}")

            try:
                values = load(text)
            except YamlError as error:
                if judged:
                    unreadable.append(unreadable_as(f"is not YAML: {error.message}"))
                continue
            if same is not None and values == same.values:
                sources.append(same)
            elif isinstance(values, dict):
                sources.append(_Values(maker.path, line_mapped(values, maker.line), maker.line_at(("data", key[3])), -1))
            elif values is not None and judged:
                unreadable.append(unreadable_as(f"holds {yaml_kind(values)}, not a mapping of values"))
        values = spec.get("values")
        if inline is not None and values == inline.values:
            sources.append(inline)
        elif isinstance(values, LineMap):
            line = spec_of(release).line_of("values") if "values" in spec_of(release) else release.line
            sources.append(_Values(release.path, values, line, -1, inline.header if inline else ""))
        # Keys of any type (22: and "8080": in one mapping, on:): repr, not sorted JSON.
        views.setdefault(repr([item.obj, [s.values for s in sources]]), (applied, sources))
    return list(views.values()), unreadable


def _key_text(kind: str, obj: dict, key: str) -> tuple[str | None, dict]:
    """The text a ConfigMap's `key` holds (a Secret's: in stringData, else its data's base64
    decoded), and the mapping it is in ({} for decoded base64); None where there is no text."""
    data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
    text = data.get(key)
    if kind == "Secret":
        string_data = obj.get("stringData") if isinstance(obj.get("stringData"), dict) else {}
        if key in string_data:
            data, text = string_data, string_data[key]
        elif isinstance(text, str):
            return secret_text(text), {}
    return (text if isinstance(text, str) else None), data


def _values_from_object(index: Index, kind: str, namespace: str, name: str, key: str) -> tuple[_Values | None, list[Problem]]:
    """The values in a ConfigMap's (or unencrypted Secret's) key, parsed; problems if they do not parse."""
    found = index.find(kind, namespace, name, "") if kind in ("ConfigMap", "Secret") else None
    if found is None or "sops" in found.obj:
        return None, []
    text, data = _key_text(kind, found.obj, key)
    if text is None:
        return None, []  # no such key, or data that is not base64 of UTF-8: the schema check's business
    if not isinstance(data, LineMap):
        data = LineMap({key: text})  # no line mapping into base64
    key_line = data.line_of(key)
    # A block scalar (`|`) starts on the line after its key: its line n is the file's key_line + n.
    block = data.value_styles.get(key) in ("|", ">") and data.value_lines.get(key) == key_line
    offset = key_line if block else -1
    try:
        values = load(text)
    except YamlError as error:
        line, message = (unresolved_conflict(text, key_line + error.line, error.message_from(key_line), key_line + 1)
                         if block else (key_line, error.message))
        return None, [Problem(found.path, line, "values.parse", ERROR,
                              f"{kind} {namespace}/{name} key {key!r} is not YAML: {message}")]
    if values is not None and not isinstance(values, dict):
        return None, [Problem(found.path, key_line, "values.parse", ERROR,
                              f"{kind} {namespace}/{name} key {key!r} holds {yaml_kind(values)}, "
                              "not a mapping of values")]
    return _Values(found.path, values if values is not None else LineMap(), key_line, offset, text.partition("\n")[0]), []


@dataclass(frozen=True)
class _Chart:
    label: str  # "podinfo 6.14.1"
    defaults: Any  # its values.yaml
    schema: dict | None  # its values.schema.json


_FETCHED_HEADER = re.compile(r"^# values\.yaml of chart (\S+) (\S+) (\S+) \(chart_version:")


_NOT_CACHED = object()  # the chart is known, and not in the cache


# A chart packaged as `helm package` names its archive: <name>-<version>.tgz.
_ARCHIVE_NAME = re.compile(r"(?P<name>.+?)-(?P<version>v?\d+\.\d+\.\d+[^/]*)\.(?:tgz|tar\.gz)")


def _kept_charts(repo: Repository) -> dict[str, dict[str, Any]]:
    """The charts the repository keeps (a folder holding Chart.yaml, an archive named as
    `helm package` names it: what `values_source` and a values refresh `--to` read), by
    name and version; read only when a HelmRelease's chart is looked up."""
    from flux_cookbook.values.charts import local_chart

    found: dict[str, dict[str, Any]] = {}
    for path in repo.files:
        if posixpath.basename(path) == "Chart.yaml":
            folder, name = repo.root / posixpath.dirname(path), None  # the chart its Chart.yaml names
        elif match := _ARCHIVE_NAME.fullmatch(posixpath.basename(path)):
            folder, name = repo.root / path, match["name"]
        else:
            continue
        try:
            chart = local_chart(folder, name)
        except UserError:
            continue  # no chart as Helm reads one: nothing to judge values by
        found.setdefault(chart.chart, {})[chart.version] = chart
    return found


def _cached_chart(release: Manifest, index: Index, sources: list[_Values], cache_dir: Path | None,
                  kept: Callable[[], dict[str, dict[str, Any]]] | None = None) -> _Chart | object | None:
    """The chart `release` installs, from the chart cache or a chart the repository keeps
    (`_kept_charts`, taken by its name and version); _NOT_CACHED when no version of it is
    in either; None when its chart cannot be told (no HelmRepository, a pinned artifact)."""
    from flux_cookbook.extensions import chart_source
    from flux_cookbook.extensions.semver_range import newest_matching

    located = _chart_location(release, index)
    if located is None:
        return None
    repo_url, chart, constraint = located
    # The cache is keyed by the chart's repository; a chart the repository keeps, by its
    # name alone (a fork may share it): taken only where the cache has none of that chart.
    archives: dict[str, Any] = chart_source.cached_archives(repo_url, chart, cache_dir) \
        or (kept() if kept else {}).get(chart, {})
    if not archives:
        return _NOT_CACHED
    try:
        version = None
        for source in sources:  # values fetched by the template name their exact version
            header = _FETCHED_HEADER.match(source.header)
            # ... which Flux installs only while the range allows it (a range bumped by hand
            # or by Renovate moves the chart on, and the values are checked against that one).
            if header and header.group(2) == chart and header.group(3) in archives \
                    and newest_matching([header.group(3)], constraint) is not None:
                version = header.group(3)
        version = version or newest_matching(archives, constraint)
    except ValueError:
        return None
    if version is None:
        return _NOT_CACHED  # none of those the range allows: not checked, and said so
    if not isinstance(archives[version], Path):  # one the repository keeps, read already
        kept_chart = archives[version]
        try:
            return _Chart(f"{chart} {version}", load(kept_chart.values) or {}, kept_chart.schema)
        except YamlError:
            return None
    try:
        files = chart_source.safe_archive_files(archives[version], chart, ("values.yaml", "values.schema.json"))
        defaults = load(files.get("values.yaml", "")) or {}
        schema = json.loads(files["values.schema.json"]) if "values.schema.json" in files else None
    except (chart_source.ChartFetchError, YamlError, ValueError):
        return None  # a cache entry that cannot be read is as good as none
    return _Chart(f"{chart} {version}", defaults, schema if isinstance(schema, dict) else None)


def _chart_location(release: Manifest, index: Index) -> tuple[str, str, str] | None:
    """(repository URL as the chart cache keys it, chart name, version range) of the chart."""
    spec = spec_of(release)
    chart = spec.get("chart")
    chart_spec = chart.get("spec") if isinstance(chart, dict) else None
    if isinstance(chart_spec, dict):
        ref = chart_spec.get("sourceRef") if isinstance(chart_spec.get("sourceRef"), dict) else {}
        if ref.get("kind") != "HelmRepository":
            return None
        source = index.find("HelmRepository", str(ref.get("namespace") or release.namespace), str(ref.get("name")), SOURCE_GROUP)
        url = spec_of(source).get("url") if source else None
        name = chart_spec.get("chart")
        if isinstance(url, str) and isinstance(name, str):
            return url, name, str(chart_spec.get("version") or "*")
        return None
    ref = spec.get("chartRef")
    if isinstance(ref, dict) and ref.get("kind") == "OCIRepository":
        source = index.find("OCIRepository", str(ref.get("namespace") or release.namespace), str(ref.get("name")), SOURCE_GROUP)
        source_spec = spec_of(source) if source else LineMap()
        url = source_spec.get("url")
        wanted = source_spec.get("ref") if isinstance(source_spec.get("ref"), dict) else {}
        version_range, pin = oci_ref.pulled(*(str(wanted.get(key) or "") for key in ("digest", "semver", "tag")))
        if pin:
            return None  # one artifact (a digest, a tag that is no version): nothing here names its version
        if isinstance(url, str) and "/" in url.removeprefix("oci://"):
            # oci://registry/path/chart: the template caches it as (oci://registry/path, chart).
            registry_path, _, name = url.rstrip("/").rpartition("/")
            return registry_path, name, version_range
    return None


def _against_chart(release: Manifest, sources: list[_Values], chart: _Chart) -> list[Problem]:
    schema_errors = _schema_problems(release, sources, chart) if chart.schema is not None else []
    refused = {(problem.path, problem.line) for problem in schema_errors}
    problems = []
    for source in sources:
        stale = _older_values(source, chart, str(release.obj.get("metadata", {}).get("name") or "APP"))
        for keys in _unknown_keys(source.values, chart.defaults, []):
            if (source.path, line := source.line_of(keys)) in refused:
                continue  # the schema refuses that key already: one problem, the error
            problems.append(Problem(source.path, line, "values.unknown-override", WARNING,
                                    f"{release.label()}: value {_dotted(keys)} is not in the values.yaml of chart "
                                    f"{chart.label} (removed, renamed or misspelt?){stale}"))
    return problems + schema_errors


def _older_values(source: _Values, chart: _Chart, app: str) -> str:
    """What to do where the values are another version's of the chart checked (its range
    moved on, by hand or by Renovate): a values refresh brings them to it; else ""."""
    header = _FETCHED_HEADER.match(source.header)
    name, _, version = chart.label.partition(" ")
    if not header or header.group(2) != name or header.group(3) == version:
        return ""
    return (f"; these values are chart {name} {header.group(3)}'s: `flux-cookbook values refresh {app}` "
            f"brings them to {version}")


def _unknown_keys(values: Any, defaults: Any, keys: list) -> Iterable[list]:
    """Key paths set in `values` that the chart's defaults do not have. A mapping the chart
    leaves empty ({}: podAnnotations, nodeSelector) takes any key; lists are not compared."""
    if not isinstance(values, dict) or not isinstance(defaults, dict) or not defaults:
        return
    for key, value in values.items():
        if key not in defaults:
            yield [*keys, key]
        else:
            yield from _unknown_keys(value, defaults[key], [*keys, key])


def _dotted(keys: list) -> str:
    return ".".join(str(key) for key in keys)



def _schema_problems(release: Manifest, sources: list[_Values], chart: _Chart) -> list[Problem]:
    from jsonschema.exceptions import SchemaError
    from referencing.exceptions import Unresolvable

    merged: Any = chart.defaults
    for source in sources:  # valuesFrom in order, then spec.values, as Flux merges them
        merged = coalesce(merged, source.values)
    try:
        validator_class = values_schema.validator_class(chart.schema)
        validator_class.check_schema(chart.schema)
        values = values_schema.as_helm_reads(_plain(merged))
        errors = sorted(validator_class(chart.schema).iter_errors(values), key=lambda e: list(map(str, e.absolute_path)))
    except (SchemaError, Unresolvable):
        return []  # a schema Helm could not use either, or one that reaches for the network
    problems = []
    for error in errors:
        keys = list(error.absolute_path)
        at = _dotted(keys) or "(the values)"
        if error.validator == "additionalProperties" and isinstance(error.instance, dict) and isinstance(error.schema, dict):
            # The error is the mapping's; the line is that of the first key it does not allow.
            keys += values_schema.extra_keys(error.schema, error.instance)[:1]
        # The source that sets the most of the offending path (the last one, of equals: it
        # wins the merge); of none, the last that gives values at all, at their first line.
        source = max(reversed(sources), key=lambda s: s.depth(keys), default=None)
        where = (source.path, source.line_of(keys)) if source else (release.path, release.line)
        problems.append(Problem(where[0], where[1], "values.schema", ERROR,
                                f"{release.label()}: {at}: {schema_messages.message(error)} (values.schema.json of chart {chart.label})"))
    return problems


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
