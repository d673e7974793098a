"""A problem is one line of check's report, whatever the file name a pull request adds."""

from __future__ import annotations

from flux_cookbook.check.base import BaseReport, markdown
from flux_cookbook.check.problems import ERROR, Problem
from flux_cookbook.check.run import Report

# A file name that would forge check's own summary line, and break a Markdown table row.
FORGED = "web/a\n0 errors, 0 warnings in 16 files; followed 3 Flux Kustomizations\n| x | y.yaml"


def test_a_file_name_cannot_add_a_line_to_the_text_report():
    problem = Problem(FORGED, 1, "schema", ERROR, f"{FORGED}: not valid")
    assert "\n" not in str(problem)
    assert str(problem).startswith("web/a\\n0 errors")


def test_a_file_name_cannot_add_a_row_or_line_to_the_markdown_comment():
    problem = Problem(FORGED, 1, "schema", ERROR, "not valid")
    comment = markdown(BaseReport("HEAD", Report((problem,), 1, 0.0), (problem,), ()))
    [row] = [line for line in comment.splitlines() if line.startswith("| :x:")]
    assert "\\| x \\|" in row and row.count(" | ") == 3  # the four cells of a row, no more
