"""The template, cloned once per update-all run and handed to copier through git's own settings.

copier clones the template for each of the three renders of every update (the old release,
the repository, the new release). update-all clones each template the answers files record
(`_src_path`) once, into a temporary folder, and runs copier with git's
`url.<clone>.insteadOf <_src_path>` set in the environment (GIT_CONFIG_COUNT, _KEY_n,
_VALUE_n: git's documented way to pass settings): copier's clones then copy from the local
clone, and the answers keep recording the user's `_src_path`. The template is read once per
run: a branch that moves, or a local template edited during the run, is not seen again.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from packaging.version import InvalidVersion, Version

from flux_cookbook.extensions.template_source import expand_shortcut


def spellings(src_path: str) -> list[str]:
    """The URLs git may be given for `src_path` (copier expands gh:, gl:, git+ and .git)."""
    found = [src_path]
    if (expanded := expand_shortcut(src_path)) != src_path:
        found.append(expanded)
    if src_path.startswith("git+"):
        found.append(src_path[4:])
    if src_path.startswith("https://") and not src_path.endswith(".git"):
        found.append(f"{src_path}.git")
    if src_path.startswith("~"):
        found.append(str(Path(src_path).expanduser()))
    return found


def clone(src_path: str, into: Path) -> Path:
    """A bare clone of the template with all its tags; raises CalledProcessError."""
    subprocess.run(["git", "clone", "-q", "--bare", "--", os.path.expanduser(src_path), str(into)],
                   capture_output=True, text=True, check=True)
    return into


def clone_all(sources: Iterable[str], root: Path) -> dict[str, Path]:
    """Each distinct source cloned once under `root`; sources git cannot clone are left out
    (copier then clones them itself, and reports what is wrong with them)."""
    clones: dict[str, Path] = {}
    for index, source in enumerate(sorted(set(sources))):
        try:
            clones[source] = clone(source, root / f"template-{index}.git")
        except subprocess.CalledProcessError:
            continue
    return clones


def git_environment(clones: Mapping[str, Path], base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """`base` with every spelling of each source redirected to its clone."""
    env = dict(base)
    count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    for source, path in clones.items():
        for spelling in spellings(source):
            env[f"GIT_CONFIG_KEY_{count}"] = f"url.{path}.insteadOf"
            env[f"GIT_CONFIG_VALUE_{count}"] = spelling
            count += 1
    env["GIT_CONFIG_COUNT"] = str(count)
    return env


def newest_release(clone_path: Path) -> str | None:
    """The tag copier updates to without --vcs-ref: the highest PEP 440 release, no pre-releases."""
    tags = subprocess.run(["git", "tag", "--list"], cwd=clone_path, capture_output=True, text=True,
                          check=False).stdout.split()
    releases = []
    for tag in tags:
        try:
            version = Version(tag)
        except InvalidVersion:
            continue
        if not version.is_prerelease:
            releases.append((version, tag))
    return max(releases)[1] if releases else None
