"""GitHub Actions workflows the template writes, judged by the workflow schema that
check-jsonschema vendors (`vendor.github-workflows`, from SchemaStore)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def validate_workflow(path: Path) -> subprocess.CompletedProcess:
    """check-jsonschema on the workflow file at `path`; exit code 0 when it is valid."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True, text=True, check=False,
    )
