"""After an app's update: a shared file the update wrote again, whose object the user
declares in another file, is removed again.

An app writes its Namespace and HelmRepository files once (copier.yml's
`_skip_if_exists`); a user may then gather them elsewhere (every Namespace in one
namespaces/all.yaml) or rename one (helmrepository-podinfo.yaml to stefanprodan.yaml).
copier's update writes a missing `_skip_if_exists` file again, and the bootstrap folder
then declares the object twice, which kustomize refuses (`may not add resource with an
already registered id`): that folder, and all of Flux with it, stops building. So a file
of those two the update wrote where git tracks none is removed when another tracked file
declares the same object. So is one the user removed (a commit deleted it, here or in the
bootstrap folder's place before 2.0.0): a Namespace written again would make Flux manage it,
and prune it with everything in it the day it is deleted again.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

import yaml

from .. import bounded_yaml, layout, repo_files
from ..flux_names import COOKBOOK_BOOTSTRAP_DIRS
from .git_repo import git, tracked_files


def rewritten(repo: Path, answers_file: str) -> list[str]:
    """The app's Namespace and HelmRepository files that git does not track (this update
    wrote them); [] for the cluster's answers or answers that cannot be read."""
    if not layout.app_of_answers_file(answers_file):
        return []
    try:
        answers = bounded_yaml.load(repo_files.read_text(repo, answers_file), answers_file)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    if not isinstance(answers, dict) or not answers.get("bootstrap_dir"):
        return []
    bootstrap = str(answers["bootstrap_dir"])
    candidates = [layout.namespace_file(bootstrap, str(answers.get("namespace") or "")),
                  layout.helm_repository_file(bootstrap, str(answers.get("helm_repo_name") or ""))]
    listed = git(repo, "ls-files", "-z", "--others", "--exclude-standard", "--", *candidates)
    return [name for name in listed.split("\0") if name]


def after(repo: Path, answers_file: str = "") -> None:
    for path in rewritten(repo, answers_file):
        wanted = _objects(repo, path)
        elsewhere = sorted(other for other in tracked_files(repo)
                           if other != path and other.endswith((".yaml", ".yml")) and wanted & _objects(repo, other))
        if wanted and elsewhere:
            (repo / path).unlink()
            print(f"  {path}: not written again, as {elsewhere[0]} declares its object")
        elif removed := _removed_in(repo, path):
            (repo / path).unlink()
            print(f"  {path}: not written again, as you removed it (commit {removed}); restore it if you "
                  "want the template to manage it")


def _removed_in(repo: Path, path: str) -> str:
    """The commit that removed `path`, or its spelling in the cookbook's other bootstrap
    folder (flux-system/ before 2.0.0's move), from the repository; "" if none did."""
    rest = posixpath.relpath(path, posixpath.dirname(posixpath.dirname(path)))  # namespaces/<file>, ...
    spellings = {path, *(f"{folder}/{rest}" for folder in COOKBOOK_BOOTSTRAP_DIRS)}
    return git(repo, "log", "-1", "--format=%h", "--diff-filter=D", "HEAD", "--", *sorted(spellings)).strip()


def _objects(repo: Path, path: str) -> set[tuple[str, str, str]]:
    """(kind, namespace, name) of each object in the file; none when it cannot be read."""
    try:
        documents = bounded_yaml.load_all(repo_files.read_text(repo, path), path)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return set()
    found = set()
    for document in documents:
        meta = document.get("metadata") if isinstance(document, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get("name"), str):
            found.add((str(document.get("kind")), str(meta.get("namespace") or ""), meta["name"]))
    return found
