"""The chart versions an app's values are compared with, and their default values.

One `Charts` serves one command: it asks each Helm repository (or registry) for its
versions once, however many apps use it, and reads each chart version's values.yaml and
values.schema.json from the chart cache when they are there (offline), else downloads them.
A local chart (a folder or .tgz) stands for one version: the one its Chart.yaml names.
"""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from flux_cookbook.errors import UserError
from flux_cookbook.extensions import bounded_yaml, line_ends, offline, repo_files
from flux_cookbook.extensions.chart_source import (
    MAX_VALUES_BYTES,
    ChartFetchError,
    ChartListing,
    RepositoryUnreachable,
    default_cache_dir,
    fetch_chart_files,
    list_versions,
    safe_archive_files,
)
from flux_cookbook.extensions.semver_range import parse_constraint, parse_version

CHART_FILES = ("Chart.yaml", "values.yaml", "values.schema.json")


class Unreachable(UserError):
    """The chart's repository did not answer for its list of versions (offline): only the
    versions in the chart cache can be read."""


class VersionNotFetched(UserError):
    """The chart's repository answered, and gave no such version (or a broken one)."""


@dataclass(frozen=True)
class ChartVersion:
    chart: str
    version: str
    values: str  # values.yaml as the chart has it
    schema: dict | None  # values.schema.json, when the chart ships one

    @property
    def label(self) -> str:
        return f"{self.chart} {self.version}"


def _from_files(chart: str, version: str, files: dict[str, str], where: str) -> ChartVersion:
    schema = None
    if "values.schema.json" in files:
        try:
            schema = json.loads(files["values.schema.json"])
        except ValueError as error:
            raise UserError(f"{where}: values.schema.json is not JSON: {error}") from None
        except RecursionError:  # Python's JSON reader recurses per bracket
            raise UserError(f"{where}: values.schema.json nests too deep to read; refused") from None
    # In LF, as every chart from a repository comes: a chart kept in a checkout that
    # commits CRLF would carry a CR into each line, and no YAML block holds one.
    values = line_ends.converted(files.get("values.yaml", ""), "\n")
    try:
        bounded_yaml.load(values, f"{where}: values.yaml")  # every later reader walks it whole
    except bounded_yaml.YamlTooLarge as error:
        raise UserError(str(error).strip()) from None
    except yaml.YAMLError as error:
        raise UserError(f"{where}: values.yaml is not valid YAML{bounded_yaml.parse_problem(error)}") from None
    return ChartVersion(chart, version, values, schema if isinstance(schema, dict) else None)


def local_chart(path: Path, chart: str | None) -> ChartVersion:
    """A chart folder or .tgz on disk, at the version its Chart.yaml names: chart `chart`,
    or (None, a folder only) whichever chart its Chart.yaml names."""
    try:
        if path.is_dir():
            # Each file at most MAX_VALUES_BYTES, as a chart archive's members; read as
            # repo_files reads a repository's (a regular file, inside the folder).
            files = {name: repo_files.read_text(path, name, MAX_VALUES_BYTES) for name in CHART_FILES
                     if (path / name).is_file()}
        elif chart is not None and path.is_file() and path.name.endswith((".tgz", ".tar.gz")):
            files = safe_archive_files(path, chart, CHART_FILES)
        else:
            raise UserError(f"{path} is neither a chart folder nor a chart archive (.tgz)" if chart is not None
                            else f"{path} is no chart folder")
        meta = bounded_yaml.load(files.get("Chart.yaml", ""), "Chart.yaml") or {}
    except (OSError, UnicodeDecodeError, tarfile.TarError, ChartFetchError, yaml.YAMLError) as error:
        raise UserError(f"cannot read the chart at {path}: {error}") from None
    if "Chart.yaml" not in files:
        raise UserError(f"{path} is no chart: it has no Chart.yaml (naming the chart and its version)")
    named = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(named, str) or named != (named if chart is None else chart):
        raise UserError(f"{path} is not chart '{chart}' (its Chart.yaml names {named!r})" if chart is not None
                        else f"{path}: its Chart.yaml names no chart ({named!r})")
    version = str(meta.get("version") or "")
    try:
        parse_version(version)
    except ValueError:
        raise UserError(f"{path}: Chart.yaml names no chart version ({version!r})") from None
    return _from_files(named, version, files, str(path))


@dataclass
class Charts:
    """Chart versions and values for one command run (index fetches and values memoised)."""

    indexes: dict[str, bytes] = field(default_factory=dict)
    listings: dict[tuple[str, str], ChartListing | UserError] = field(default_factory=dict)
    fetched: dict[tuple[str, str, str], ChartVersion] = field(default_factory=dict)

    def listing(self, repo_url: str, chart: str) -> ChartListing:
        key = (repo_url, chart)
        if key not in self.listings:
            try:
                self.listings[key] = list_versions(repo_url, chart, self.indexes)
            except RepositoryUnreachable as error:
                self.listings[key] = Unreachable(f"cannot list the versions of chart {chart}: {error}")
            except ChartFetchError as error:
                self.listings[key] = UserError(f"cannot list the versions of chart {chart} at {repo_url}: {error}")
        found = self.listings[key]
        if isinstance(found, UserError):
            raise found
        return found

    def resolve(self, repo_url: str, chart: str, constraint: str) -> str:
        """The version Flux installs for the range `constraint`: the newest matching one."""
        listing = self.listing(repo_url, chart)
        try:
            version = listing.newest(constraint)
        except ValueError as error:
            raise UserError(f"chart version range {error}") from None
        if version is None:
            newest = ", ".join(sorted(listing.versions, key=parse_version, reverse=True)[:5]) or "none"
            raise UserError(f"{listing.where} has no version of chart {chart} in '{constraint}'; the newest there: {newest}")
        return version

    def newest_outside(self, repo_url: str, chart: str, constraint: str) -> str | None:
        """The newest version newer than every version in the range (a new major), or None."""
        listing = self.listing(repo_url, chart)
        allowed = parse_constraint(constraint)
        # Each version parsed once, compared with the newest inside: linear in the index.
        parsed = {v: parse_version(v) for v in listing.versions}
        top = max((parsed[v] for v in listing.versions if allowed.allows(v)), default=None)
        newer = [v for v in listing.versions if not allowed.allows(v) and not parsed[v].prerelease
                 and (top is None or parsed[v] > top)]
        return max(newer, key=parsed.__getitem__, default=None)

    def version(self, repo_url: str, chart: str, version: str, why: str) -> ChartVersion:
        """`chart` at exactly `version`: from the cache, or fetched. `why` says in an error
        which version this is ("the version podinfo's values came from")."""
        key = (repo_url, chart, version)
        if key not in self.fetched:
            listing = self.listings.get((repo_url, chart))
            try:
                files = fetch_chart_files(repo_url, chart, version, CHART_FILES,
                                          listing if isinstance(listing, ChartListing) else None)
            except RepositoryUnreachable as error:
                kept_off = offline.refuses(urlsplit(repo_url).hostname or "")
                raise UserError(
                    f"chart {chart} {version} ({why}) is not in the chart cache ({default_cache_dir()}, every chart "
                    f"fetched on this machine), and {str(error).rstrip('.')}. Run it once where {repo_url} is in reach"
                    f"{f' and {offline.VARIABLE} is not set' if kept_off else ''}, "
                    "and it works offline from then on") from None
            except ChartFetchError as error:
                raise VersionNotFetched(f"chart {chart} {version} ({why}) cannot be fetched: {error}") from None
            self.fetched[key] = _from_files(chart, version, files, f"{repo_url} {chart} {version}")
        return self.fetched[key]

    def match(self, repo_url: str, chart: str, constraint: str, values: dict, tries: int = 10) -> str | None:
        """The version in `constraint` whose values.yaml has the most keys in common with
        `values` (values copied by hand), and of those the most values alike (two releases
        often differ only in their image tags), among the `tries` newest; None if none fits."""
        try:
            listing = self.listing(repo_url, chart)
            candidates = sorted((v for v in listing.versions if parse_constraint(constraint).allows(v)),
                                key=parse_version, reverse=True)[:tries]
        except (UserError, ValueError):
            return None
        ours, leaves, best, best_score = _paths(values), _leaves(values), None, (0.0, 0)
        for version in candidates:
            try:
                defaults = bounded_yaml.load(self.version(repo_url, chart, version, "a candidate").values) or {}
            except (UserError, yaml.YAMLError):
                continue  # a bomb or a broken file is no candidate
            theirs = _paths(defaults)
            score = (len(ours & theirs) / len(ours | theirs) if ours | theirs else 0.0, len(leaves & _leaves(defaults)))
            if score > best_score:
                best, best_score = version, score
        return best if best_score[0] >= 0.5 else None


def _leaves(values: object, prefix: tuple = ()) -> set[tuple]:
    """(path, value) of every scalar in `values`, as text (lists too, whole)."""
    if not isinstance(values, dict):
        return {(prefix, repr(values))}
    return {leaf for key, value in values.items() for leaf in _leaves(value, (*prefix, key))}


def _paths(values: object, prefix: tuple = ()) -> set[tuple]:
    if not isinstance(values, dict):
        return set()
    paths = set()
    for key, value in values.items():
        paths.add((*prefix, key))
        paths |= _paths(value, (*prefix, key))
    return paths
