"""Files a template run added, listed where a folder lists its files by hand.

copier writes an app's files where the convention puts them; a bootstrap folder (or any
folder a Flux Kustomization applies) with a kustomization file of its own builds only
what that file names, so without an entry Flux would never apply the new app. Each new
file of objects is listed in the kustomization file that decides its build, after the
last resource; where that file lists them some other way, the file is named for the user
to list. A newly listed Kustomization brings its own folder into the builds, so the
repository is read again until nothing more is listed.
"""

from __future__ import annotations

import posixpath
import subprocess
from pathlib import Path

from flux_cookbook.extensions import kustomize_listing, repo_files
from flux_cookbook.repository import flux_build
from flux_cookbook.repository.model import read_repository

# A run adds a handful of files; each pass can bring in one more level of Kustomizations.
MAX_PASSES = 5


def untracked_files(repo: Path) -> set[str]:
    """The files git does not track yet (none outside a git repository): a run's new files
    are those untracked after it and not before."""
    result = subprocess.run(["git", "-C", str(repo), "ls-files", "-z", "--others", "--exclude-standard"],
                            capture_output=True, text=True, check=False)
    return {name for name in result.stdout.split("\0") if name} if result.returncode == 0 else set()


def list_new_files(repo: Path, new: set[str]) -> tuple[list[str], list[str]]:
    """List `new` files where they are unlisted: (notes of what was listed, notes of what the
    user must list). A listing that breaks a build that passed (an object the folder has
    under another file name already) is undone, and said."""
    listed, left = [], []
    originals: dict[str, str] = {}
    built_before: list[flux_build.BuildResult] | None = None
    for _ in range(MAX_PASSES):
        model = read_repository(repo)
        pending = [(path, config) for path, config in model.unlisted_files.items() if path in new and (path, config) not in left]
        if not pending:
            break
        if built_before is None:
            built_before = flux_build.build_all(repo)
        for path, config in pending:
            text = repo_files.read_text(repo, config)
            extended = kustomize_listing.list_last(text, posixpath.dirname(config), path)
            if extended is None:
                left.append((path, config))
                continue
            originals.setdefault(config, text)
            repo_files.write_text(repo, config, extended)
            listed.append((path, config))
    if listed and (broken := [f"{result.kustomization.path or '.'} ({' '.join(result.error.split())[:300]})"
                              for result in flux_build.newly_broken(built_before or [], flux_build.build_all(repo))]):
        for config, text in originals.items():
            repo_files.write_text(repo, config, text)
        return [], [f"{path}: not applied by Flux until {config} lists it; listing it broke the build of "
                    f"{', '.join(broken)}" for path, config in listed + left]
    return ([f"{config}: lists {posixpath.relpath(path, posixpath.dirname(config) or '.')} now" for path, config in listed],
            [f"{path}: not applied by Flux until {config} lists it (add it under resources)" for path, config in left])
