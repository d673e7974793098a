"""Add the apps a new cluster asked for (a copier task, run once after `copier copy`).

They go through the app template like any other app (answers in known_apps.py), so each
gets its own answers file and updates the same way. They are copied from the template
source the cluster recorded (copier's own `src_path` is a temporary clone, useless in the
app's answers) and at the commit the cluster was copied at (without a ref copier would
take the newest tag instead of the release being copied). When the template is a local
checkout with uncommitted changes, copier copied from a draft commit that exists only in
its temporary clone; `HEAD` then gives copier the same draft again.

An app the repository records already (its answers file is there: `copier recopy
--overwrite` of the cluster) is left to its own answers; and over a repository that was
there before (its cluster answers committed: a recopy), one it lacks is not added again:
its apps are its own, and one removed by hand stays removed.

Usage (a copier task, run in the new repository): python add_cluster_apps.py [<commit>]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import copier

# copier runs this from the template's temporary clone: import that clone's own code.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from flux_cookbook.extensions import bounded_yaml, copier_support, known_apps, layout  # noqa: E402


def main(commit: str = "") -> None:
    with open(layout.CLUSTER_ANSWERS, encoding="utf-8") as file:
        answers = bounded_yaml.load(file.read(), layout.CLUSTER_ANSWERS)
    src_path = answers["_src_path"]
    if commit and Path(src_path).is_dir() and not _has_commit(src_path, commit):
        commit = "HEAD"
    existing = _committed(layout.CLUSTER_ANSWERS)
    for app in known_apps.cluster_apps(answers.get("include_example_app", False), answers.get("sealed_secrets", False)):
        if copier_support.app_recorded(".", app["app_name"]):
            continue  # `copier recopy --overwrite` of the cluster: the app is there, with its own answers
        if existing:
            print(f"Note: app {app['app_name']} is not added: this copy went over an existing repository, whose apps "
                  f"are its own (`flux-cookbook add {app['app_name']} --defaults` adds it).")
            continue
        copier.run_copy(src_path, ".", data=app, vcs_ref=commit or None, defaults=True, unsafe=True, quiet=True)


def _committed(path: str) -> bool:
    """Does the git repository here (if any) have `path` committed?"""
    return subprocess.run(["git", "cat-file", "-e", f"HEAD:{path}"], capture_output=True, check=False).returncode == 0


def _has_commit(repo: str, commit: str) -> bool:
    found = subprocess.run(
        ["git", "-C", repo, "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True, check=False
    )
    return found.returncode == 0


if __name__ == "__main__":
    main(*sys.argv[1:])
