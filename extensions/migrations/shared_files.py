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
and prune it with everything in it the day it is deleted again. Not when that commit removed
another app that named it too: it went with that app, and this one still uses it.

The cluster's README.md is written once too (the user's from then on): one a commit removed
is not written again by the cluster's update either.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from pathlib import Path

import yaml

from .. import bounded_yaml, kustomize_listing, layout, repo_files
from .git_repo import MigrationAbort, git, tracked_files


def rewritten(repo: Path, answers_file: str) -> list[str]:
    """The app's Namespace and HelmRepository files that git does not track (this update
    wrote them); [] for the cluster's answers or answers that cannot be read."""
    return [path for path, _ in _rewritten(repo, answers_file)]


def _rewritten(repo: Path, answers_file: str) -> list[tuple[str, str]]:
    """(file, the answer that names it: namespace or helm_repo_name) of `rewritten`."""
    answers = _answers(repo, answers_file)
    if answers is None or not answers.get("bootstrap_dir"):
        return []
    bootstrap = str(answers["bootstrap_dir"])
    named = {layout.namespace_file(bootstrap, str(answers.get("namespace") or "")): "namespace",
             layout.helm_repository_file(bootstrap, str(answers.get("helm_repo_name") or "")): "helm_repo_name"}
    listed = git(repo, "ls-files", "-z", "--others", "--exclude-standard", "--", *named)
    return [(name, named[name]) for name in listed.split("\0") if name in named]


def deleted_namespace_files(repo: Path) -> list[str]:
    """Tracked files in a namespaces/ folder that the update deleted."""
    deleted = [path for path in git(repo, "ls-files", "-z", "--deleted").split("\0") if path]
    return [path for path in deleted if f"/{layout.NAMESPACES}/" in f"/{path}"]


def restore_used_namespaces(repo: Path) -> None:
    """Put back a Namespace file the update deleted (its app moved to another namespace,
    or was renamed) that anything else still goes into: another app, an object of the
    user's. Gone, Flux would prune the Namespace, and everything in it with it. And one a
    kustomization file lists: gone, the folder no longer builds, and Flux applies none of it."""
    for path in deleted_namespace_files(repo):
        try:
            documents = [d for d in bounded_yaml.load_all(git(repo, "show", f":{path}")) if isinstance(d, dict)]
        except yaml.YAMLError:
            continue
        names = {str((d.get("metadata") or {}).get("name")) for d in documents if d.get("kind") == "Namespace"}
        if users := _namespace_users(repo, names, skip=path):
            git(repo, "checkout", "--", path)
            print(f"  {path}: kept, still used by {', '.join(users)}")
        elif listings := kustomize_listing.listed_by(repo, path):
            git(repo, "checkout", "--", path)
            print(f"  {path}: kept, as {', '.join(listings)} lists it (remove both when nothing goes into it)")


def _namespace_users(repo: Path, names: set[str], skip: str) -> list[str]:
    """Files of the repository that put something into one of the namespaces `names` (an
    object's metadata.namespace or spec.targetNamespace, an app's answers)."""
    def puts_into(document: dict, path: str) -> bool:
        meta = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
        spec = document.get("spec") if isinstance(document.get("spec"), dict) else {}
        answers = document if posixpath.basename(path).startswith(layout.APP_ANSWERS_PREFIX) else {}
        return bool({str(meta.get("namespace")), str(spec.get("targetNamespace")), str(answers.get("namespace"))} & names)

    return files_using(repo, skip, lambda text: any(name in text for name in names), puts_into)


def files_using(repo: Path, skip: str, mentions: Callable[[str], bool], uses: Callable[[dict, str], bool],
                overrides: Mapping[str, str] | None = None, dotted: bool = True) -> list[str]:
    """The tracked YAML files (but `skip`) in which `uses(document, path)` holds for a
    document, `mentions(text)` tried first on the text. One that does not parse counts:
    keeping a shared file too many is harmless, removing one in use is not. `overrides`:
    texts to read instead of the files (a plan's writes); `dotted`: files whose name starts
    with a dot too (the answers files)."""
    users = []
    for path in tracked_files(repo):
        if path == skip or not path.endswith((".yaml", ".yml")) or (not dotted and posixpath.basename(path).startswith(".")):
            continue
        text = (overrides or {}).get(path)
        if text is None:
            try:
                text = repo_files.read_text(repo, path)
            except (OSError, UnicodeDecodeError, ValueError):
                continue
        if not mentions(text):
            continue
        try:
            documents = [d for d in bounded_yaml.load_all(text) if isinstance(d, dict)]
        except yaml.YAMLError:
            users.append(path)
            continue
        if any(uses(document, path) for document in documents):
            users.append(path)
    return users


def after(repo: Path, answers_file: str = "") -> None:
    _readme_after(repo, answers_file)
    restore_used_namespaces(repo)
    for path, answer in _rewritten(repo, answers_file):
        if removed := removed_by_user(repo, path, answers_file, answer):
            (repo / path).unlink()
            print(f"  {path}: not written again, as you removed it (commit {removed}); restore it if you "
                  "want the template to manage it")
            continue
        wanted = _objects(repo, path)
        names = {name for _, _, name in wanted}
        elsewhere = sorted(other for other in tracked_files(repo) if other != path and other.endswith((".yaml", ".yml"))
                           and wanted & _objects(repo, other, mentioning=names))
        if wanted and elsewhere:
            (repo / path).unlink()
            print(f"  {path}: not written again, as {elsewhere[0]} declares its object")


def readme_rewritten(repo: Path, answers_file: str) -> bool:
    """Did the cluster's update write the README where git tracks none?"""
    return not layout.app_of_answers_file(answers_file) and bool(
        git(repo, "ls-files", "--others", "--exclude-standard", "--", layout.README).strip())


def _readme_after(repo: Path, answers_file: str) -> None:
    if not readme_rewritten(repo, answers_file):
        return
    if removed := git(repo, "log", "-1", "--format=%h", "--diff-filter=D", "HEAD", "--", layout.README).strip():
        (repo / layout.README).unlink()
        print(f"  {layout.README}: not written again, as you removed it (commit {removed})")


def removed_by_user(repo: Path, path: str, answers_file: str, answer: str) -> str:
    """The commit that removed this app's own file at `path` (or at its place in flux-system/
    before 2.0.0's move), while the app's answers named it as they do now, and the template
    wrote it for the app (not a chart from an OCIRepository, whose HelmRepository file the
    3.0.0 step removes); "" otherwise: a file that once had this path for another app, or
    another answer, is no file the user removed from this app."""
    spellings = {path}
    bootstrap, rest = posixpath.dirname(posixpath.dirname(path)), posixpath.basename(posixpath.dirname(path))
    if bootstrap == layout.BOOTSTRAP_DIRS[-1]:  # bootstrap/, which flux-system/ became
        spellings.add(f"{layout.BOOTSTRAP_DIRS[0]}/{rest}/{posixpath.basename(path)}")
    commit = git(repo, "log", "-1", "--format=%h", "--diff-filter=D", "HEAD", "--", *sorted(spellings)).strip()
    if not commit:
        return ""
    now, then = _answers(repo, answers_file), _answers(repo, answers_file, commit)
    if now is None or then is None or then.get(answer) != now.get(answer) or then.get("chart_source") == "ocirepository":
        return ""
    if _went_with_another_app(repo, commit, answers_file, answer, now.get(answer)):
        return ""
    return commit


def _went_with_another_app(repo: Path, commit: str, answers_file: str, answer: str, value: object) -> bool:
    """Did `commit` remove another app (its answers file) whose answers named the same
    object? Then the file went with that app, not as a decision against this one, which
    still uses it: its update writes it again."""
    deleted = git(repo, "show", "-z", "--diff-filter=D", "--name-only", "--relative", "--format=", commit).split("\0")
    for other in deleted:
        if other and other != answers_file and layout.app_of_answers_file(other):
            before = _answers(repo, other, f"{commit}~1")
            if before is not None and before.get(answer) == value:
                return True
    return False


def _answers(repo: Path, answers_file: str, commit: str = "") -> dict | None:
    """The app's answers (as committed at `commit`, else as the update left them); None for
    the cluster's, or answers that cannot be read."""
    if not layout.app_of_answers_file(answers_file):
        return None
    try:
        text = git(repo, "show", f"{commit}:./{answers_file}") if commit else repo_files.read_text(repo, answers_file)
        answers = bounded_yaml.load(text, answers_file)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, MigrationAbort):
        return None
    return answers if isinstance(answers, dict) else None


def _objects(repo: Path, path: str, mentioning: set[str] | None = None) -> set[tuple[str, str, str]]:
    """(kind, namespace, name) of each object in the file; none when it cannot be read, or,
    with `mentioning`, when its text holds none of those names (most files are not parsed)."""
    try:
        text = repo_files.read_text(repo, path)
        if mentioning is not None and not any(name in text for name in mentioning):
            return set()
        documents = bounded_yaml.load_all(text, path)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return set()
    found = set()
    for document in documents:
        meta = document.get("metadata") if isinstance(document, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get("name"), str):
            found.add((str(document.get("kind")), str(meta.get("namespace") or ""), meta["name"]))
    return found
