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


def test_data_over_1_mib_counts_base64_values_as_the_bytes_they_stand_for():
    """binaryData, and a Secret's data, are base64: the API server counts the decoded bytes."""
    import base64
    from types import SimpleNamespace

    from flux_cookbook.check.rules_schema import check_data_sizes

    def built(kind: str, field: str, size: int):
        value = base64.b64encode(b"x" * size).decode()
        obj = {"apiVersion": "v1", "kind": kind, "metadata": {"name": "n", "namespace": "ns"}, field: {"k": value}}
        return SimpleNamespace(obj=obj, source=SimpleNamespace(path=f"{kind}-{size}.yaml", line=1))

    assert check_data_sizes([built("ConfigMap", "binaryData", 900 * 1024), built("Secret", "data", 900 * 1024)]) == []
    found = check_data_sizes([built("ConfigMap", "binaryData", 1100 * 1024), built("Secret", "data", 1100 * 1024)])
    assert [(p.path, p.rule) for p in found] == [("ConfigMap-1126400.yaml", "schema.size"), ("Secret-1126400.yaml", "schema.size")]
