"""An app adopted one folder down (`apps/<app>/`) is merged where its old release rendered it.

copier merges a file only at the path both releases render it to: the old render, the
user's file and the new render must share a path. An app adopted at release 1.0.0 has no
`apps_dir` answer (1.0.0 has none: it renders every app at `<app>/`), while its files are
in `<apps_dir>/<app>/`; with nothing at `<app>/` copier would take the 1.0.0 files for
ones the user deleted, and the app's folder would never be templated again.

The same holds for an app whose folder is named after another app: `mastodon/redis/` of
the app `mastodon-redis` beside the app `redis` (an app is known by its Kustomization;
where two apps' folders share a name, adopt names them after their Kustomizations). No `apps_dir` says
such a folder, so it is merged this way on every update.

So, on the update of an app whose Kustomization (at the template's path) applies a folder
holding the app's HelmRelease file other than the one its answers render
(repo_state.app_folder), e.g. `<parent>/<app>` for answers without `apps_dir`:
before: the folder is moved (`git mv`, staged) to `<app>/`, where the old release renders
        it; the new release renders it there too (an answers file without `apps_dir`
        renders at the root), so copier's merge is the ordinary three-way one;
after:  the merged folder goes back to `<parent>/<app>/`, with every index entry, the
        unmerged stages of conflicts included (so that a conflict stays one, and the
        user's `git status` shows it where the file is), and, for a folder named after its
        app, the answers file gets `apps_dir: <parent>`, so that later updates render it
        where it lives.
The Kustomization's `path` is the user's own line (`./apps/<app>` against the template's
`<app>`), which the merge keeps.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import yaml

from .. import bounded_yaml, layout, repo_files, repo_state
from .git_repo import MigrationAbort, git, git_dir_file

RECORD = "flux-cookbook-apps-folder.json"


def _answers(repo: Path, answers_file: str) -> dict:
    path = repo / answers_file
    try:
        answers = bounded_yaml.load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (yaml.YAMLError, UnicodeDecodeError):
        return {}
    return answers if isinstance(answers, dict) else {}


def folder_to_merge(repo: Path, answers_file: str) -> tuple[str, str] | None:
    """(where the recorded release renders the app, the folder it lives in) when the two
    differ, else None."""
    if not layout.app_of_answers_file(answers_file or ""):
        return None
    answers = _answers(repo, answers_file)
    if answers.get("kind") != "app" or not answers.get("app_name"):
        return None
    rendered = layout.app_dir(str(answers["app_name"]), str(answers.get("apps_dir") or ""))
    folder = repo_state.app_folder(repo, answers)
    return None if folder == rendered else (rendered, folder)


def before(repo: Path, answers_file: str = "") -> None:
    found = folder_to_merge(repo, answers_file)
    if not found:
        return
    app, folder = found  # `app`: the folder the recorded release renders the app in
    for path in (app, folder):  # answers naming a folder outside (`apps_dir: ../x`): refused before anything is made
        repo_files.inside(repo, path)
    if (repo / app).exists():
        where = "at the top of the repository" if "/" not in app else "too"
        raise MigrationAbort(
            f"app {layout.app_of_answers_file(answers_file)} lives in {folder}/, and {app}/ exists {where}: the update "
            f"merges the app at {app}/ (where its recorded release renders it) and moves it back. Rename {app}/ and "
            "update again."
        )
    if unmovable := _unmovable(repo, folder, app):
        raise MigrationAbort(
            f"app {layout.app_of_answers_file(answers_file)} lives in {folder}/, and the update merges it at {app}/ "
            f"(where its recorded release renders it) and moves it back; these cannot move there and back:\n  "
            + "\n  ".join(unmovable) + f"\nMove them out of {folder}/ (or make each link a file), commit, and "
            "update again."
        )
    (repo / app).parent.mkdir(parents=True, exist_ok=True)
    git(repo, "mv", "--", folder, app)
    git_dir_file(repo, RECORD).write_text(json.dumps({"answers_file": answers_file, "app": app, "folder": folder}))


def _unmovable(repo: Path, folder: str, app: str) -> list[str]:
    """What in `folder` would not survive its move to `app` and back: a git submodule (git
    mv rewrites its settings for the new place, and the move back cannot: git's own
    commands in it would fail), and a symbolic link whose relative target leaves the
    folder (at `app` it would lead elsewhere, out of the repository even)."""
    found = []
    for entry in git(repo, "ls-files", "-s", "-z", "--", folder).split("\0"):
        if not entry:
            continue
        info, path = entry.split("\t", 1)
        mode = info.split()[0]
        if mode == "160000":
            found.append(f"{path}: a git submodule")
        elif mode == "120000" and _leaves_folder(repo, folder, path):
            found.append(f"{path} -> {os.readlink(repo / path)}: a link leading out of {folder}/")
    return found


def _leaves_folder(repo: Path, folder: str, link: str) -> bool:
    try:
        target = os.readlink(repo / link)
    except OSError:
        return False  # not in the work tree (deleted): nothing to move
    if os.path.isabs(target):
        return False  # leads where it did: the repository's own check judges where that is
    resolved = os.path.normpath(os.path.join(os.path.dirname(link), target))
    return not (resolved + "/").startswith(folder.rstrip("/") + "/")


def after(repo: Path, answers_file: str = "") -> None:
    record_file = git_dir_file(repo, RECORD)
    if not record_file.exists():
        return
    record = json.loads(record_file.read_text(encoding="utf-8"))
    app, folder = record["app"], record["folder"]
    _move_with_index(repo, app, folder)
    parent = os.path.dirname(folder)
    answers = repo / record["answers_file"]
    text = answers.read_text(encoding="utf-8")
    # A release with the apps_dir question writes it (as '', the default for an app from
    # before it); one without (an update to 1.0.0) does not, and renders at the root again.
    # A folder not named after its app (`mastodon/redis` of the app `mastodon-redis`) is
    # one no apps_dir says: it is merged this way on every update.
    named_for_app = os.path.basename(folder) == os.path.basename(app)
    recorded = re.sub(r"(?m)^apps_dir:.*$", f"apps_dir: {parent}", text, count=1) if named_for_app else text
    if recorded != text:
        repo_files.write_text(repo, record["answers_file"], recorded)
    record_file.unlink()
    print(f"  {app}: merged at {app}/ and moved back to {folder}/"
          + (f"; {record['answers_file']} records apps_dir: {parent}" if recorded != text else ""))


def _move_with_index(repo: Path, source: str, target: str) -> None:
    """Move folder `source` to `target` in the work tree and every index entry with it,
    unmerged stages included (`git mv` refuses conflicted files)."""
    entries = [e for e in git(repo, "ls-files", "-s", "-z", "--", source).split("\0") if e]
    lines = []
    for entry in entries:
        info, path = entry.split("\t", 1)
        mode, blob, stage = info.split()
        lines.append(f"0 {'0' * 40}\t{path}")
        lines.append(f"{mode} {blob} {stage}\t{target}{path[len(source):]}")
    (repo / target).parent.mkdir(parents=True, exist_ok=True)
    os.rename(repo / source, repo / target)
    if lines:
        # Removals first: a path's removal drops all its stages.
        removals = [line for line in lines if line.startswith("0 ")]
        additions = [line for line in lines if not line.startswith("0 ")]
        git(repo, "update-index", "--index-info", input="\n".join(removals + additions) + "\n")
