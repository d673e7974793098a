"""After every update: settle the conflicts that only the user's own content caused.

copier merges line by line. A file written in another key order than the template's (a
repository adopted from hand-made files, objects written by `kubectl create --dry-run -o
yaml` with sorted keys and `creationTimestamp: null`), with other indentation or line
ends, or one a migration already rewrote, can conflict although nothing the release
changed clashes with anything the user changed: the lines differ, the data does not.

copier records the three versions of each conflicted file in the index (1: old render,
2: the user's, 3: new render). The merge is then done on the data, document by document:
every value the release changed between 1 and 3 is either already the same in 2, or the
user left it as 1 had it, and then it is set in 2's text, in place (flux_api.apply_changes:
only the lines of that value change; the user's order, comments, quoting and line ends
stay). Keys the release only added, which the user's mapping lacks, go in as the release
writes them, with the comment lines above them and after the key the release puts them
after (key_merge). A value both changed, differently, is a real conflict, left for the user.

An ignore file (.sourceignore, .gitignore) added by both the user and the release (no
old render) is settled when the user's holds every pattern of the release's. Any file the
user saved in other line ends than the template's (CRLF) is merged line by line as copier
would have merged it in the template's, and written in the user's.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .. import bounded_yaml, layout, line_ends, repo_files
from .flux_api import DELETE, MigrationError, apply_changes
from .git_repo import blob_text, git, git_dir_file, unmerged_entries
from .key_merge import merge_added_keys

MISSING = object()
IGNORE_FILES = (layout.SOURCEIGNORE, ".gitignore")


class Clash(Exception):
    """The release and the user changed the same value, differently."""


def rejected(repo: Path) -> list[str]:
    """The `.rej` files git does not track (`copier update --conflict rej` writes one beside
    each file holding changes it could not apply), ignored ones too."""
    return sorted(path for path in git(repo, "ls-files", "-z", "--others", "--", "*.rej").split("\0") if path)


def name_rejected(repo: Path) -> None:
    """Say where the changes copier could not apply are: the template's .gitignore hides
    `*.rej` from `git status`, and the user's lines there gave way to the release's."""
    if found := rejected(repo):
        print(f"  copier could not apply some of the release's changes, and left them in {', '.join(found)} "
              "(git status does not list .rej files): in the file beside each, the release's lines stand where "
              "yours were; apply each .rej's changes by hand, put your lines back, then delete it. Without "
              "--conflict rej an update leaves such changes inline, between conflict markers.")


def after(repo: Path, as_stepped: Callable[[str, str, str], str] = lambda path, base, mine: base,
          name_left: bool = True) -> None:
    """Settle what can be; name each conflict left, unless not `name_left` (the caller
    names them). `as_stepped(path, base, mine)`: the old render of `path` as the releases'
    steps leave it where they rewrote the user's side."""
    left = []
    for path, stages in unmerged_entries(repo).items():
        left.append(path)
        mine_blob, theirs_blob = stages.get(2), stages.get(3)
        if not (mine_blob and theirs_blob):
            continue
        try:
            mine, theirs = (blob_text(repo, blob) for blob in (mine_blob, theirs_blob))
            base = as_stepped(path, blob_text(repo, stages[1]), mine) if 1 in stages else ""
        except UnicodeDecodeError:
            continue  # not text: the user settles it
        # A file saved in CRLF conflicts whole against the template's LF: merged first as
        # copier would have merged it in LF (the release's comments come too), then on its data.
        merged = line_merged(repo, base, mine, theirs) if merges_line_by_line(base, mine) else None
        settled = merged[0] if merged and not merged[1] else settle(Path(path).name, base, mine, theirs)
        if settled is None:
            if merged:  # the conflict, marked line by line in the user's line ends, not as the whole file
                repo_files.write_text(repo, path, merged[0])
            continue
        repo_files.write_text(repo, path, settled)
        git(repo, "add", "--", path)
        left.remove(path)
        how = "kept as it is" if settled == mine else "the release's changes set in your version, the rest as it was"
        print(f"  {path}: conflict settled, {how}")
    for path in left if name_left else ():
        # Named as the settled ones are: copier itself says nothing of a conflict it leaves.
        print(f"  {path}: conflict left for you: keep your lines or the release's, then commit it with the rest of the update")


def merges_line_by_line(base: str, mine: str) -> bool:
    """Whether a conflicted file is merged by `line_merged`: the user's is CRLF throughout,
    the old render is not (a file of mixed line ends is left to copier: its LF lines would
    turn CRLF)."""
    return line_ends.all_crlf(mine) and not line_ends.all_crlf(base)


def line_merged(repo: Path, base: str, mine: str, theirs: str) -> tuple[str, bool] | None:
    """copier's line merge as it would have gone had the user's CRLF file kept the
    template's LF (every line differs, so copier conflicts on the whole file): `git
    merge-file` of the three in LF, the result in CRLF, and whether lines still conflict
    (marked as copier marks them, in the conflict style of `repo`'s git configuration);
    None where git cannot merge them. The three files are written in a folder of the
    repository's git directory, which a run killed before it removes them leaves for the
    next run to replace, nothing outside the repository."""
    folder = git_dir_file(repo, "flux-cookbook-merge").resolve()  # git runs in `repo`: a path from anywhere
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        paths = []
        for name, text in (("mine", mine), ("base", base), ("theirs", theirs)):
            path = folder / name
            path.write_bytes(line_ends.converted(text, "\n").encode())
            paths.append(str(path))
        merged = subprocess.run(["git", "merge-file", "-p", "--quiet", "-L", "before updating", "-L", "last update",
                                 "-L", "after updating", *paths], cwd=repo, capture_output=True, check=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not 0 <= merged.returncode <= 127:  # the number of conflicts (at most 127), else an error
        return None
    return line_ends.converted(merged.stdout.decode(), "\r\n"), merged.returncode > 0


def settle(name: str, base: str, mine: str, theirs: str) -> str | None:
    """The merged text of a conflicted file, or None when it is a real conflict."""
    if name in IGNORE_FILES and not base.strip():
        patterns = {line.strip() for line in mine.splitlines()}
        wanted = [line.strip() for line in theirs.splitlines() if line.strip() and not line.startswith("#")]
        return mine if all(line in patterns for line in wanted) else None
    if not name.endswith((".yaml", ".yml")):
        return None
    # Keys the release only added: as the release writes them, comments and place included.
    if (added := merge_added_keys(base, mine, theirs)) is not None:
        return added
    documents = [_documents(text) for text in (base, mine, theirs)]
    if None in documents:
        return None
    base_docs, mine_docs, theirs_docs = documents
    if not (len(base_docs) == len(mine_docs) == len(theirs_docs)):
        return None
    changes: list[tuple[int, tuple, Any]] = []
    try:
        for number, (b, m, t) in enumerate(zip(base_docs, mine_docs, theirs_docs)):
            changes += [(number, path, value) for path, value in release_changes(b, m, t)]
    except Clash:
        return None
    if not changes:
        return mine
    try:
        merged = apply_changes(mine, changes)
    except (MigrationError, ValueError, KeyError, IndexError):
        return None
    expected = _expected(mine_docs, changes)
    return merged if _documents(merged) == expected else None


def _documents(text: str) -> list | None:
    try:
        return [doc for doc in bounded_yaml.load_all(text) if doc is not None]
    except yaml.YAMLError:
        return None


def release_changes(base: Any, mine: Any, theirs: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """(path, value) for each value the release changed that `mine` does not have yet.

    Mappings are compared key by key (a mapping the release added as if it had been
    empty); lists and scalars as wholes. Raises Clash where the user changed the same
    value otherwise.
    """
    if base == theirs or _same_embedded_data(base, theirs):
        return []
    if isinstance(theirs, dict) and isinstance(mine, dict) and (base is MISSING or isinstance(base, dict)):
        base = {} if base is MISSING else base
        return [
            change
            for key in list(base) + [k for k in theirs if k not in base]
            for change in release_changes(base.get(key, MISSING), mine.get(key, MISSING), theirs.get(key, MISSING),
                                          (*path, key))
        ]
    if mine == theirs:
        return []
    if mine == base and path:
        return [(path, DELETE if theirs is MISSING else theirs)]
    raise Clash(path)


def _same_embedded_data(base: Any, theirs: Any) -> bool:
    """Two texts of a YAML file held in a string (a ConfigMap's values.yaml) that differ
    in comments alone: the release changed no value there (a placeholder's hint line, say),
    and the user's values stand."""
    if not (isinstance(base, str) and isinstance(theirs, str) and "\n" in base and "\n" in theirs):
        return False
    try:
        return bounded_yaml.load(base) == bounded_yaml.load(theirs)
    except yaml.YAMLError:
        return False


def _expected(documents: list, changes: list[tuple[int, tuple, Any]]) -> list:
    import copy

    result = copy.deepcopy(documents)
    for number, path, value in changes:
        target = result[number]
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            target.pop(path[-1], None)
        else:
            target[path[-1]] = value
    return result
