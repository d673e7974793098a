"""`values outdated`: for each app, where its values came from and what Flux installs."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from flux_cookbook.errors import UserError
from flux_cookbook.extensions import layout
from flux_cookbook.extensions.semver_range import parse_version
from flux_cookbook.repository.apps import app_names
from flux_cookbook.values.app_values import read_app
from flux_cookbook.values.charts import Charts


@dataclass
class Row:
    app: str
    chart: str
    chart_version: str  # the range the HelmRelease names
    values_from: str  # the chart version the values came from, "placeholder" (none yet), or "unknown"
    installs: str  # what the range resolves to now, or "?" (see problem)
    newest_outside: str  # the newest release beyond the range, or ""
    behind: bool
    problem: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def outdated(repo: Path, charts: Charts) -> list[Row]:
    rows = []
    for name in app_names(repo):
        row = Row(name, "", "", "unknown", "?", "", False)
        try:
            app = read_app(repo, name)
            row.chart, row.chart_version = app.chart, app.chart_version
            # Shown even when the repository is out of reach.
            row.values_from = "placeholder" if app.placeholder else app.recorded_version() or "unknown"
            if app.pin:  # Flux pulls what it pins, which only the registry can say the version of
                row.installs = app.pin
                rows.append(row)
                continue
            row.installs = charts.resolve(app.repo_url, app.chart, app.chart_version)
            row.newest_outside = charts.newest_outside(app.repo_url, app.chart, app.chart_version) or ""
            if app.placeholder:  # no chart's values yet: refresh fills them in
                row.behind = row.installs != "?"
                rows.append(row)
                continue
            row.values_from = app.recorded_version() or charts.match(
                app.repo_url, app.chart, app.chart_version, app.values) or "unknown"
            if row.values_from != "unknown" and row.installs != "?":
                row.behind = parse_version(row.values_from) < parse_version(row.installs)
        except UserError as error:
            row.problem = str(error)
        except ValueError as error:  # a recorded version that is no semantic version
            row.problem = f"{layout.app_answers_file(name)}: {error}"
        rows.append(row)
    return rows


def table(rows: list[Row]) -> str:
    head = ("APP", "CHART", "RANGE", "VALUES FROM", "FLUX INSTALLS", "NEWEST OUTSIDE RANGE", "")
    # "?": not known (the row's problem, told on standard error, says why); "-": there is none.
    body = [(r.app, r.chart, r.chart_version, r.values_from, r.installs, r.newest_outside or ("?" if r.problem else "-"),
             "behind" if r.behind else "") for r in rows]
    widths = [max(len(line[i]) for line in (head, *body)) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in (head, *body))
