"""Add the podinfo example app to a cluster repository just copied (a copier task).

The example goes through the app template like any other app, so it gets its own
answers file and updates the same way. It is copied from the template source the cluster
recorded (copier's own `src_path` is a temporary clone, useless in the app's answers) and
at the commit the cluster was copied at (without a ref copier would take the newest tag
instead of the release being copied). When the template is a local checkout with
uncommitted changes, copier copied from a draft commit that exists only in its temporary
clone; `HEAD` then gives copier the same draft again.

Usage (a copier task, run in the new repository): python add_example_app.py [<commit>]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import copier
import yaml

# copier runs this from the template's temporary clone: import that clone's own code.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from flux_cookbook.extensions import layout  # noqa: E402

EXAMPLE_APP = {
    "kind": "app",
    "app_name": "podinfo",
    "chart": "podinfo",
    "chart_version": "6.x",
    "helm_repo_name": "podinfo",
    "helm_repo_url": "https://stefanprodan.github.io/podinfo",
}


def main(commit: str = "") -> None:
    with open(layout.CLUSTER_ANSWERS, encoding="utf-8") as answers:
        src_path = yaml.safe_load(answers)["_src_path"]
    if commit and Path(src_path).is_dir() and not _has_commit(src_path, commit):
        commit = "HEAD"
    copier.run_copy(
        src_path, ".", data=EXAMPLE_APP, vcs_ref=commit or None, defaults=True, unsafe=True, quiet=True
    )


def _has_commit(repo: str, commit: str) -> bool:
    found = subprocess.run(
        ["git", "-C", repo, "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True, check=False
    )
    return found.returncode == 0


if __name__ == "__main__":
    main(*sys.argv[1:])
