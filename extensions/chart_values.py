"""The chart's values.yaml that the app's values ConfigMap carries in full.

The cookbook keeps the chart's *whole* values.yaml in the ConfigMap so every option stays
visible, and overrides only what it changes. The source is a local chart folder, a chart
archive (.tgz) or a values file, named by the `values_source` answer.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import yaml

# A values.yaml larger than this is not a chart's values file.
MAX_VALUES_BYTES = 2 * 1024 * 1024

PLACEHOLDER = """\
# Paste the chart's whole values.yaml here and change only what you need, so every
# option stays visible. To see it:
#   helm show values {chart} --repo {repo_url} --version <the chart version you use>
# or answer `values_source` with a chart folder, .tgz or values file when adding the app.
"""


def placeholder_values(chart: str, repo_url: str) -> str:
    # No chart version in it: a user replaces these lines with the values, and a line
    # that changed with every version bump would make each bump a merge conflict.
    return PLACEHOLDER.format(chart=chart, repo_url=repo_url)


def _resolve(source: str, dst: str | Path) -> Path:
    path = Path(source).expanduser()
    return path if path.is_absolute() else Path(dst) / path


def read_local_values(source: str, chart: str, dst: str | Path) -> str:
    """values.yaml text from a chart folder, a .tgz chart archive or a values file.

    Relative paths are taken from the destination repository. Raises ValueError naming
    the problem.
    """
    path = _resolve(source, dst)
    if path.is_dir():
        text = _read_capped(path / "values.yaml")
    elif path.name.endswith((".tgz", ".tar.gz")):
        text = _values_from_archive(path, chart)
    elif path.is_file():
        text = _read_capped(path)
    else:
        raise ValueError(f"values_source '{source}' does not exist (looked at {path}).")
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(f"values_source '{source}' is not valid YAML: {error}") from None
    return text


def values_source_error(source: str, chart: str, dst: str | Path) -> str:
    """Why `source` cannot provide the chart's values, or ""."""
    if not source:
        return ""
    try:
        read_local_values(source, chart, dst)
    except (ValueError, OSError, tarfile.TarError) as error:
        return str(error)
    return ""


def _read_capped(path: Path) -> str:
    if not path.is_file():
        raise ValueError(f"no values file at {path}.")
    if path.stat().st_size > MAX_VALUES_BYTES:
        raise ValueError(f"{path} is larger than {MAX_VALUES_BYTES} bytes; not a chart values file.")
    return path.read_text(encoding="utf-8")


def _values_from_archive(path: Path, chart: str) -> str:
    """Read `<chart>/values.yaml` from a chart archive without extracting anything."""
    wanted = f"{chart}/values.yaml"
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


def configmap_values(source: str, chart: str, repo_url: str, dst: str | Path) -> str:
    """The text the values ConfigMap carries: the source's values.yaml, else the placeholder.

    copier validates `values_source` when an app is added. On a later update the file may
    be gone; the placeholder is then rendered on both sides of copier's three-way merge, so
    the values already in the repository are kept as the user's own.
    """
    if source:
        try:
            return read_local_values(source, chart, dst)
        except (ValueError, OSError, tarfile.TarError):
            pass
    return placeholder_values(chart, repo_url)
