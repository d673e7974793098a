"""The template as copier sees it in the tests: a git repository with release tags.

CI clones carry no tags, so releases are found by their commit subject
(`Release 1.0.0`) and tagged again here. The working tree (what is being tested) goes on
top as one more commit, tagged with the version CHANGELOG.md names first: copier only
runs a versioned migration when it updates *to a tag* (to an untagged HEAD it sees a
version like 1.0.0.post1.dev0 and skips it).

Each release tag then names a commit of the files copier reads, update-all's own rule
(template_clone.release_files): copier checks the template out three to five times per
update, and the project's tests, docs and command are more than half its files.
tests/test_copier_reads.py shows the whole repository gives the same repositories.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from flux_cookbook.template_runs.template_clone import release_files

PROJECT_ROOT = Path(__file__).resolve().parents[2]
IDENTITY = ("-c", "user.name=tests", "-c", "user.email=tests@invalid")
RELEASE_SUBJECT = re.compile(r"^Release (\d+\.\d+\.\d+)$")


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}:\n{result.stderr}")
    return result.stdout


def changelog_version(root: Path = PROJECT_ROOT) -> str:
    """The newest version CHANGELOG.md names (its first `## X.Y.Z` heading)."""
    match = re.search(r"^## (\d+\.\d+\.\d+)", (root / "CHANGELOG.md").read_text(), re.MULTILINE)
    if not match:
        raise RuntimeError("CHANGELOG.md names no version (a line `## X.Y.Z`)")
    return match.group(1)


@dataclass(frozen=True)
class TemplateRepo:
    path: Path
    releases: dict[str, str]  # version -> tag, oldest first; the last one is the working tree

    @property
    def current(self) -> str:
        return next(reversed(self.releases.values()))

    def tag(self, version: str) -> str:
        if version not in self.releases:
            raise LookupError(
                f"release {version} is not in this clone's history (a commit with subject "
                f"'Release {version}'); is the clone shallow?"
            )
        return self.releases[version]


def build_template_repo(dest: Path, root: Path = PROJECT_ROOT, whole: bool = False) -> TemplateRepo:
    """Clone the project's history into `dest`, overlay the working tree, tag releases;
    unless `whole`, each tag then holds only what copier reads (_copier_reads_only)."""
    git(dest.parent, "clone", "--quiet", "--no-local", str(root), str(dest))
    tracked = set(git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")) - {""}
    for stale in set(git(dest, "ls-files", "-z").split("\0")) - {""} - tracked:
        (dest / stale).unlink()
    for name in tracked:
        source = root / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    git(dest, "add", "-A")
    if git(dest, "status", "--porcelain"):
        git(dest, *IDENTITY, "commit", "-q", "-m", "Working tree")
    releases: dict[str, str] = {}
    for line in reversed(git(dest, "log", "--format=%H %s").splitlines()):
        sha, _, subject = line.partition(" ")
        if match := RELEASE_SUBJECT.match(subject):
            git(dest, "tag", "-f", f"v{match.group(1)}", sha)
            releases[match.group(1)] = f"v{match.group(1)}"
    current = changelog_version(root)
    git(dest, "tag", "-f", f"v{current}", "HEAD")
    releases.pop(current, None)
    releases[current] = f"v{current}"
    if not whole:
        _copier_reads_only(dest, releases)
    return TemplateRepo(dest, releases)


def _copier_reads_only(dest: Path, releases: dict[str, str]) -> None:
    """Each release tag moved to a commit of the files copier reads, each release's commit
    the parent of the next (so `git describe` of a commit made on top still finds the
    release before it); the branch and working tree follow the newest."""
    parent: list[str] = []
    for version, tag in releases.items():
        tree = f"{release_files(dest, f'refs/tags/{tag}')}^{{tree}}"
        commit = git(dest, *IDENTITY, "commit-tree", tree, *parent, "-m", f"Release {version}").strip()
        git(dest, "tag", "-f", tag, commit)
        parent = ["-p", commit]
    git(dest, "reset", "-q", "--hard", tag)
