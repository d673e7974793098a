"""Small git repositories for build tests, written file by file: Flux's bootstrap sync
(gotk-sync.yaml) and ConfigMaps to fill folders with."""

from __future__ import annotations

import subprocess
from pathlib import Path

from flux_cookbook.repository.flux_build import BuildResult
from tests.support.flux_objects import flux_ks

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  k: v\n"


GOTK_SYNC = (
    "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
    "metadata:\n  name: flux-system\n  namespace: flux-system\n"
    "spec:\n  interval: 1m0s\n  ref:\n    branch: main\n  url: ssh://git@example.invalid/x/y\n"
    "---\n" + flux_ks("flux-system", "{path}")
)


def write(repo: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    return repo


def git_repo(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return write(repo, files)


def bootstrapped(tmp_path: Path, files: dict[str, str], path: str = "./bootstrap") -> Path:
    folder = path.removeprefix("./").rstrip("/") or "."
    return git_repo(tmp_path, {
        f"{folder}/flux-system/gotk-sync.yaml": GOTK_SYNC.replace("{path}", path),
        f"{folder}/flux-system/kustomization.yaml": "resources: [gotk-sync.yaml]\n",
        **files,
    })


def by_path(results: list[BuildResult]) -> dict[str, BuildResult]:
    return {r.kustomization.path: r for r in results}
