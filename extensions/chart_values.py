"""The chart's values.yaml that an app carries in full (ConfigMap or inline).

The cookbook keeps the chart's *whole* values.yaml so every option stays visible, and
overrides only what it changes. The values come from a local chart folder, chart archive
(.tgz) or values file (`values_source`), or are fetched from the chart's repository
(`fetch_values`), or are a placeholder saying how to fill them in; `values_overrides`
then changes values in place.
"""

from __future__ import annotations

import functools
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import yaml

from . import bounded_yaml, layout, offline
from .conventions import is_oci, oci_chart_url
from .input_checks import not_text_error
from .told_once import tell_once

if TYPE_CHECKING:
    from .chart_source import FetchedValues

# chart_source (HTTP, TLS, archives) and values_overrides (ruamel.yaml) are imported where
# they are used: copier imports this module once per template clone, and a cluster, or
# an app whose values need neither, would otherwise pay for their import on every run.

# A values.yaml larger than this is not a chart's values file.
MAX_VALUES_BYTES = 2 * 1024 * 1024

PLACEHOLDER = """\
# Paste the chart's whole values.yaml here and change only what you need, so every
# option stays visible. To see it:
#   {show_values} --version <the chart version you use>
# or answer `values_source` with a chart folder, .tgz or values file when adding the app.
"""
# How the placeholder is known wherever it stands: its first line, the same for every chart.
PLACEHOLDER_MARKER = PLACEHOLDER.splitlines()[0]


def placeholder_values(chart: str, repo_url: str) -> str:
    # No chart version in it: a user replaces these lines with the values, and a line
    # that changed with every version bump would make each bump a merge conflict.
    return PLACEHOLDER.format(show_values=helm_show_values(chart, repo_url))


def helm_show_values(chart: str, repo_url: str) -> str:
    """The helm command that prints the chart's values (less its --version). helm takes
    an OCI chart as one reference and refuses `--repo oci://...`."""
    if is_oci(repo_url):
        return f"helm show values {oci_chart_url(repo_url, chart)}"
    return f"helm show values {chart} --repo {repo_url}"


def _resolve(source: str, dst: str | Path) -> Path:
    """A relative `source` is the destination repository's. copier update renders the old
    and the new release in empty temporary folders, which its context names as the
    destination: there a source in the repository is read from the folder the update was
    started in, where that is a cluster repository (`copier update` run in it, as the README
    has it, and update-all's runs); else it names nothing, and the placeholder is rendered."""
    path = Path(source).expanduser()
    if path.is_absolute():
        return path
    here = Path(dst) / path
    if here.exists() or (Path(dst) / ".git").exists():
        return here
    started = Path.cwd()
    if (started / layout.CLUSTER_ANSWERS).is_file() and (started / ".git").exists() and (started / path).exists():
        return started / path
    return here


def read_local_values(source: str, chart: str, dst: str | Path) -> str:
    """values.yaml text from a chart folder, a .tgz chart archive or a values file.

    Relative paths are taken from the destination repository. Raises ValueError naming
    the problem.
    """
    path = _resolve(source, dst)
    if path.is_dir():
        text = _read_capped(path / "values.yaml")
        named = (_chart_meta(path, chart) or {}).get("name")
        if named is not None and str(named) != chart:
            # A .tgz of another chart has no <chart>/values.yaml: refused alike.
            raise ValueError(f"values_source '{source}' is chart '{named}' (its Chart.yaml), not '{chart}'.")
    elif path.name.endswith((".tgz", ".tar.gz")):
        text = _values_from_archive(path, chart)
    elif path.is_file():
        text = _read_capped(path)
    else:
        raise ValueError(f"values_source '{source}' does not exist (looked at {path}).")
    try:
        values = bounded_yaml.load(text, f"values_source '{source}'")
    except yaml.YAMLError as error:
        raise ValueError(f"values_source '{source}' is not valid YAML{bounded_yaml.parse_problem(error)}.") from None
    if values is not None and not isinstance(values, dict):
        # Helm merges a chart's values as a mapping; a list or a scalar is no values.yaml.
        raise ValueError(f"values_source '{source}' holds a {type(values).__name__}, not a mapping of values.")
    return text


def _chart_meta(path: Path, chart: str) -> dict | None:
    """A local chart's Chart.yaml (a folder's, or `chart`'s in a .tgz), or None: a values
    file alone, a folder holding a values.yaml alone, or a Chart.yaml that cannot be read."""
    try:
        if path.is_dir():
            text = _read_capped(path / "Chart.yaml")
        elif path.name.endswith((".tgz", ".tar.gz")):
            text = _archive_file(path, chart, "Chart.yaml")
        else:
            return None
        meta = bounded_yaml.load(text, "Chart.yaml")
    except (ValueError, OSError, UnicodeDecodeError, tarfile.TarError, yaml.YAMLError):
        return None
    return meta if isinstance(meta, dict) else None


def values_source_error(source: str, chart: str, dst: str | Path) -> str:
    """Why `source` cannot provide the chart's values, or ""."""
    if not source:
        return ""
    try:
        read_local_values(source, chart, dst)
    except UnicodeDecodeError as error:
        return f"values_source '{source}' is not UTF-8 text ({error.reason} at byte {error.start})."
    except (ValueError, OSError, tarfile.TarError) as error:
        # A broken archive says only "not a gzipped file": which file is named here.
        message = str(error)
        return message if message.startswith("values_source") else f"values_source '{source}' cannot be read: {message}."
    return ""


def source_left_behind_error(chart_version: str, conf) -> str:
    """Why an update may not move chart_version while the recorded values_source stays, or "".

    The values come from values_source, a chart of one version (or a values file): an
    update that changes chart_version and not the source would keep the old chart's
    values, its image tag among them, under the new chart. The user says which they want.
    Values a refresh moved on from the source (another values_chart_version) are not its.
    (chart_version's validator, not values_source's: copier drops a recorded answer its
    question's validator refuses, silently, where it refuses a `-d` answer.)"""
    from .copier_support import recorded_answers

    recorded = recorded_answers(conf)
    before, source, pinned = (str(recorded.get(key) or "") for key in ("chart_version", "values_source",
                                                                       "values_chart_version"))
    if not source or "values_source" in conf["data"] or not before or before == str(chart_version):
        return ""
    if pinned and pinned != local_chart_version(source, str(recorded.get("chart") or ""), conf["dst_path"]):
        return ""  # `values refresh` moved the values on from the source: they are its, and stay
    app = recorded.get("app_name") or "<app>"
    return (f"values_source {source} gives this app's values, and this update changes chart_version from {before} "
            f"to {chart_version}: the values would stay those of {source}. Give -d values_source= as well (empty: "
            f"fetch the new chart's), -d values_source=<a chart of the new version>, or -d values_source={source} to "
            f"keep them; `flux-cookbook values refresh {app} --to {chart_version}` does it with your edits kept.")


def _read_capped(path: Path) -> str:
    if not path.is_file():
        raise ValueError(f"no values file at {path}.")
    if path.stat().st_size > MAX_VALUES_BYTES:
        raise ValueError(f"{path} is larger than {MAX_VALUES_BYTES} bytes; not a chart values file.")
    return path.read_text(encoding="utf-8")


def _values_from_archive(path: Path, chart: str) -> str:
    """Read `<chart>/values.yaml` from a chart archive without extracting anything."""
    return _archive_file(path, chart, "values.yaml")


def _archive_file(path: Path, chart: str, name: str) -> str:
    """Read `<chart>/<name>` from a chart archive without extracting anything."""
    wanted = f"{chart}/{name}"
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            if member.name.lstrip("./") != wanted:
                continue
            if not member.isfile():
                raise ValueError(f"{wanted} in {path} is not a regular file.")
            if member.size > MAX_VALUES_BYTES:
                raise ValueError(f"{wanted} in {path} is larger than {MAX_VALUES_BYTES} bytes.")
            return archive.extractfile(member).read().decode("utf-8")
    raise ValueError(f"{path} has no {wanted}; is '{chart}' the chart's name?")


def app_values(
    source: str, fetch: bool, repo_url: str, chart: str, version: str, overrides: dict, dst: str | Path,
    pinned: str = "", pinned_range: str = "",
) -> str:
    """The values text the app carries, overrides applied; fetched at `pinned` (the
    version the app's values came from) while `version` is `pinned_range`, the range then.

    copier validates `values_source` and the fetch when an app is added. On a later
    update a local file may be gone or the repository out of reach; the placeholder is
    then rendered, and the update keeps the values already in the repository
    (migrations/values_kept.py: copier's merge alone would put the placeholder there).
    """
    from .chart_source import ChartFetchError

    if source:
        try:
            text = read_local_values(source, chart, dst)
        except (ValueError, OSError, tarfile.TarError):
            text = placeholder_values(chart, repo_url)
    elif fetch:
        try:
            fetched = fetch_chart_values(repo_url, chart, values_version(pinned, pinned_range, version))
            text = fetched_header(fetched, version) + fetched.text
        except ChartFetchError as error:
            _tell_not_fetched(repo_url, chart, version, str(error))
            text = placeholder_values(chart, repo_url)
    else:
        text = placeholder_values(chart, repo_url)
    if not overrides:
        return text
    from .values_overrides import apply_overrides

    return apply_overrides(text, overrides)


def values_version(pinned: str, pinned_range: str, version_range: str) -> str:
    """What to fetch the values at: the version they were copied from while the range is
    the one it was copied under (an update renders the values the app has: the base of a
    three-way merge), else the range (`copier update -d chart_version=...` takes its newest,
    as `flux-cookbook values refresh --to` does)."""
    return pinned if pinned and pinned_range == version_range else version_range


def local_chart_version(source: str, chart: str, dst: str | Path) -> str:
    """The version a local chart (a folder or a .tgz of `chart`) says it is in its
    Chart.yaml; "" for a values file alone, another chart, or a Chart.yaml not read."""
    meta = _chart_meta(_resolve(source, dst), chart)
    if meta is None or meta.get("name") != chart or not isinstance(meta.get("version"), str):
        return ""
    return meta["version"].strip()


def values_version_on_copy(source: str, fetch: bool, repo_url: str, chart: str, version_range: str,
                           dst: str | Path) -> str:
    """The exact version a new app's values come from: fetched at, or the local chart's
    (values refresh merges from it later); "" for a values file or the placeholder."""
    if source:
        return local_chart_version(source, chart, dst)
    if not fetch:
        return ""
    from .chart_source import ChartFetchError

    try:
        return fetch_chart_values(repo_url, chart, version_range).version
    except ChartFetchError:
        return ""


def with_values_version(answers: dict, fetch: bool, repo_url: str, chart: str, version_range: str,
                        source: str = "", dst: str | Path = "", source_given: bool = True) -> dict:
    """The answers to record: when chart_version changed, the values were rendered at the
    new range's newest version, and `values_chart_version` and `values_chart_range` follow;
    so they do when a local chart (`source`) of another version, given in this update
    (`source_given`), gave the values. A values_source the update does not give is the
    one the app was made from: `values refresh` may have moved its values on since, and
    what it recorded stands."""
    pinned, pinned_range = (str(answers.get(key) or "") for key in ("values_chart_version", "values_chart_range"))
    if source:
        # (An app from before the answer, with none recorded, records it too: its values are
        # this chart's now.)
        local = local_chart_version(source, chart, dst) if source_given else ""
        if not local or local == pinned:
            return answers
        return {**answers, "values_chart_version": local, "values_chart_range": version_range}
    if not pinned or not fetch or values_version(pinned, pinned_range, version_range) == pinned:
        return answers
    from .chart_source import ChartFetchError

    try:
        version = fetch_chart_values(repo_url, chart, version_range).version
    except ChartFetchError:
        return answers
    return {**answers, "values_chart_version": version, "values_chart_range": version_range}


def fetched_header(fetched: FetchedValues, version_range: str) -> str:
    """The comment naming the exact chart version the values come from."""
    return f"# values.yaml of chart {fetched.source} (chart_version: {version_range})\n"


@functools.lru_cache(maxsize=256)
def fetch_chart_values(repo_url: str, chart: str, version: str) -> FetchedValues:
    """fetch_values, once per process for the same question (a validator, then the render)."""
    from .chart_source import ChartFetchError, fetch_values

    host = urlsplit(repo_url).hostname or ""
    if offline.refuses(host):
        raise ChartFetchError(f"{repo_url} not contacted: {offline.VARIABLE} is set")
    return fetch_values(repo_url, chart, version)


def chart_not_there_error(repo_url: str, chart: str, version: str, conf) -> str:
    """Why a new app may not take `chart` at `version` from `repo_url`, or "": the
    repository answered, and has no such chart or no version of it in the range (Flux could
    never install it). Asked where the values are to be fetched anyway (no values_source,
    no fetch_values=false given), on a copy only; a repository out of reach is no reason
    (the placeholder, and fetch_values' note)."""
    from .chart_source import ChartFetchError, NotInRepository
    from .copier_support import checks_destination

    data = conf["data"]
    if not checks_destination(conf) or data.get("values_source") or str(data.get("fetch_values", "")).lower() in (
            "false", "no", "n", "off", "0"):
        return ""
    try:
        fetch_chart_values(repo_url, chart, version)
    except NotInRepository as error:
        return (f"{str(error).rstrip('.')}: Flux could never install it. Name a chart and a version the repository "
                "has (chart, chart_version), or the repository that has it (helm_repo_url).")
    except ChartFetchError:
        return ""
    return ""


def fetch_by_default(repo_url: str, chart: str, version: str) -> bool:
    """The default of `fetch_values` when an app is added: yes, if the values can be fetched.

    copier checks a default before it offers it, so a default of yes for a repository out
    of reach would stop an interactive session before the question could be answered no.
    When it is out of reach this says why, once, and the default becomes the placeholder.
    """
    from .chart_source import ChartFetchError

    try:
        fetch_chart_values(repo_url, chart, version)
    except ChartFetchError as error:
        _tell_not_fetched(repo_url, chart, version, str(error))
        return False
    return True


# One behaviour whichever way fetch_values was answered (copier cannot check a yes/no
# answer at its prompt, so an explicit yes is not refused anywhere): values that cannot
# be fetched become the placeholder, and this note, printed once per command, says why.
NOT_FETCHED = (
    "Note: could not fetch the values of chart {chart}: {reason}. A new app gets a placeholder saying how to "
    "fill them in (or give values_source=<chart folder, .tgz or values file>); an app being updated keeps "
    "the values it has."
)


def _tell_not_fetched(repo_url: str, chart: str, version: str, reason: str) -> None:
    tell_once(("values not fetched", repo_url, chart, version), NOT_FETCHED.format(chart=chart, reason=reason.rstrip(".")))


def values_overrides_error(overrides: object) -> str:
    """Why `overrides` is not a mapping of values to set, or ""."""
    if not isinstance(overrides, dict):
        return f"values_overrides must be a YAML mapping such as {{replicaCount: 2}}, not {overrides!r}."
    return not_text_error(overrides, "values_overrides")
