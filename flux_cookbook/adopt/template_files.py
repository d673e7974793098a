"""Files of the template at a release, read from git, wherever the template lives.

adopt needs a few of the template's files as a release wrote them (the housekeeping files
of 1.0.0, the .sourceignore of the newest release). The template is either a local clone
(read in place) or a git URL: flux-cookbook installed from a URL has no checkout of the
template, so the URL is cloned into a temporary folder, without file contents
(`--filter=blob:none`; `git show` fetches the few it needs), or in full where the server
cannot filter.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flux_cookbook.extensions.template_source import expand_shortcut, is_remote
from flux_cookbook.repository import scratch_folders
from flux_cookbook.template_runs.template_clone import newest_release


class TemplateUnreachable(Exception):
    """The template could not be read (clone failed, not a git repository)."""


def _git(where: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True, check=False)


@dataclass(frozen=True)
class TemplateFiles:
    """A git repository of the template, with its release tags."""

    where: Path  # the local clone, or a temporary clone of a URL
    src: str  # as the user gave it

    def has_tag(self, tag: str) -> bool:
        return not _git(self.where, "rev-parse", "--verify", "--quiet", f"{tag}^{{commit}}").returncode

    def show(self, ref: str, path: str) -> str | None:
        """The file's text at `ref`, or None where the ref or the file does not exist."""
        shown = _git(self.where, "show", f"{ref}:{path}")
        return None if shown.returncode else shown.stdout

    def latest_release(self) -> str | None:
        """The newest release tag (vX.Y.Z), as copier picks the version to update to."""
        return newest_release(self.where)


@contextlib.contextmanager
def template_files(src: str) -> Iterator[TemplateFiles]:
    """The template at `src` as a git repository; a URL is cloned for the duration."""
    path = Path(src).expanduser()
    if path.is_dir():
        if _git(path, "rev-parse", "--git-dir").returncode:
            raise TemplateUnreachable(f"the template {src} is not a git repository")
        yield TemplateFiles(path, src)
        return
    if not is_remote(src):
        raise TemplateUnreachable(f"the template {src} is neither a folder nor a git URL")
    with scratch_folders.folder("flux-cookbook-template-") as tmp:
        target = Path(tmp) / "template"
        url = expand_shortcut(src)
        attempts = (["--filter=blob:none"], [])  # servers without partial clone: all of it
        for extra in attempts:
            cloned = subprocess.run(
                ["git", "clone", "--quiet", "--no-checkout", *extra, url, str(target)],
                capture_output=True, text=True, check=False,
            )
            if not cloned.returncode:
                break
            subprocess.run(["rm", "-rf", str(target)], check=False)
        else:
            message = cloned.stderr.strip().splitlines()[-1] if cloned.stderr.strip() else "git clone failed"
            raise TemplateUnreachable(f"cannot clone the template {src}: {message}")
        yield TemplateFiles(target, src)
