"""check's values.*: each app's values parse and fit its chart, when the chart is in the
local chart cache."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from flux_cookbook.check.object_index import DEFAULT_VALUES_KEY, Index, entries, spec_of
from flux_cookbook.check.problems import ERROR, WARNING, Problem
from flux_cookbook.check.rules_yaml import unresolved_conflict
from flux_cookbook.extensions import chart_values
from flux_cookbook.extensions.flux_names import HELM_GROUP, SOURCE_GROUP
from flux_cookbook.repository import oci_ref, schema_messages
from flux_cookbook.repository.model import (
    Manifest,
    Repository,
)
from flux_cookbook.repository.yaml_lines import LineList, LineMap, YamlError, load, yaml_kind
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


def check_values(repo: Repository, cache_dir: Path | None = None, not_cached: list[str] | None = None) -> list[Problem]:
    """Each HelmRelease's values parse as a YAML mapping; where its chart is in the chart
    cache, they fit the chart's values.schema.json and every key they set is one the
    chart's values.yaml has. Offline: a chart that is not cached is not checked, and the
    release is added to `not_cached` (for a note: "0 errors" must not read as checked)."""
    index = Index(repo)
    problems: list[Problem] = []
    parsed: dict[tuple, tuple[_Values | None, list[Problem]]] = {}
    for release in repo.manifests:
        if not release.is_a("HelmRelease", HELM_GROUP):
            continue
        sources: list[_Values] = []
        for entry, _ in entries(spec_of(release), "valuesFrom"):
            if entry.get("targetPath"):
                continue  # the key holds one value, set at that path: not a mapping of values
            key = (entry.get("kind"), release.namespace, entry.get("name"), str(entry.get("valuesKey") or DEFAULT_VALUES_KEY))
            if key not in parsed:
                parsed[key] = _values_from_object(index, *key)
                problems += parsed[key][1]
            if parsed[key][0] is not None:
                sources.append(parsed[key][0])
        spec = spec_of(release)
        if isinstance(spec.get("values"), LineMap):
            # The template's header comment is the line below `values:` (its line is 1-based).
            line, lines = spec.line_of("values"), repo.texts.get(release.path, "").splitlines()
            header = lines[line].strip() if line < len(lines) else ""
            sources.append(_Values(release.path, spec["values"], line, 0, header))
        chart = _cached_chart(release, index, sources, cache_dir)
        if isinstance(chart, _Chart):
            problems += _against_chart(release, sources, chart)
        elif chart is _NOT_CACHED and not_cached is not None and any(
                source.values and source.header != chart_values.PLACEHOLDER_MARKER for source in sources):
            not_cached.append(release.label())  # (a placeholder's few overrides are no chart's values)
    return problems


def _values_from_object(index: Index, kind: str, namespace: str, name: str, key: str) -> tuple[_Values | None, list[Problem]]:
    """The values in a ConfigMap's (or unencrypted Secret's) key, parsed; problems if they do not parse."""
    found = index.find(kind, namespace, name, "") if kind in ("ConfigMap", "Secret") else None
    if found is None or "sops" in found.obj:
        return None, []
    data = found.obj.get("data") if isinstance(found.obj.get("data"), LineMap) else LineMap()
    text = data.get(key)
    if kind == "Secret":
        string_data = found.obj.get("stringData") if isinstance(found.obj.get("stringData"), LineMap) else LineMap()
        if key in string_data:
            data, text = string_data, string_data[key]
        elif isinstance(text, str):
            try:
                text = base64.b64decode(text, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None, []  # the schema check's business
            data = LineMap({key: text})  # no line mapping into base64
    if not isinstance(text, str):
        return None, []
    key_line = data.line_of(key)
    # A block scalar (`|`) starts on the line after its key: its line n is the file's key_line + n.
    block = data.value_styles.get(key) in ("|", ">") and data.value_lines.get(key) == key_line
    offset = key_line if block else -1
    try:
        values = load(text)
    except YamlError as error:
        line, message = (unresolved_conflict(text, key_line + error.line, error.message, key_line + 1) if block
                         else (key_line, error.message))
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


def _cached_chart(release: Manifest, index: Index, sources: list[_Values], cache_dir: Path | None) -> _Chart | object | None:
    """The chart `release` installs, from the chart cache; _NOT_CACHED when no version of
    it is there; None when its chart cannot be told (no HelmRepository, a pinned artifact)."""
    from flux_cookbook.extensions import chart_source
    from flux_cookbook.extensions.semver_range import newest_matching

    located = _chart_location(release, index)
    if located is None:
        return None
    repo_url, chart, constraint = located
    archives = chart_source.cached_archives(repo_url, chart, cache_dir)
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
        for keys in _unknown_keys(source.values, chart.defaults, []):
            if (source.path, line := source.line_of(keys)) in refused:
                continue  # the schema refuses that key already: one problem, the error
            problems.append(Problem(source.path, line, "values.unknown-override", WARNING,
                                    f"{release.label()}: value {_dotted(keys)} is not in the values.yaml of chart "
                                    f"{chart.label} (removed, renamed or misspelt?)"))
    return problems + schema_errors


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
