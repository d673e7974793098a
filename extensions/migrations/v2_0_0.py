"""Release 2.0.0: the bootstrap folder becomes `bootstrap/`, and Flux's current APIs.

before (all of it planned first; on any problem nothing is changed):
  - every file under `flux-system/` (the 1.0.0 bootstrap folder) moves to `bootstrap/`
    with `git mv`, files the user added there included. All of it, Flux's own
    `flux-system/flux-system/` too: a bootstrap folder left half-full would make Flux's
    own Kustomization prune everything that moved out of it;
  - Flux's own Kustomization (`gotk-sync.yaml`) is pointed at `./bootstrap`;
  - every Flux object in the repository, generated or hand-written, is rewritten to the
    current API (`flux_api`), comments and order kept;
  - every answers file records `bootstrap_dir: bootstrap`, and the README's
    `flux bootstrap` command says `--path=bootstrap` (the README is the user's file:
    copier leaves it alone from 2.1.0 on);
  - everything is staged: copier compares the old render with the index as it is after
    this step.
repeated runs: copier runs this step on every update that crosses 2.0.0, that is once per
  answers file (the cluster, then each app), and each run covers the whole repository.
  So that a hundred apps do not mean a hundred scans of every YAML file, a run records
  in the repository's git folder (`.git/flux-cookbook-2.0.0-current`, shared by its
  worktrees) the git blob ids of the files it found already current (nothing to rewrite,
  nothing to report), together with a hash of the migration code. Later runs read and
  rewrite only files whose content is not in that record: one `git ls-files -s`, and
  the few files the previous update changed. The record is keyed by content, not by
  name or commit, so it stays exact: a file added or edited between runs (an old-API
  object pasted in by hand) has a new blob id and is migrated like on the first run. It
  is a cache: deleting it, or a different migration code, only costs one full scan.
after:
  - copier's merge of a moved file has no common base (the old render has it under the
    old path), so any difference conflicts. The file already is the user's content in
    the new convention, so a moved file left conflicted, or deleted, is put back as this
    step wrote it.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .. import bounded_yaml, document_split, flux_names, kustomize_listing, layout, repo_files
from ..conventions import COOKBOOK, FLUX_2_9
from .blob_record import BlobRecord, tracked_blobs
from .flux_api import MigrationError, current_api_version, migrate_text
from .git_repo import (
    MigrationAbort,
    blob_text,
    git,
    git_dir_file,
    ignored_files,
    put_back,
    require_clean,
    tracked_files,
    unmerged_entries,
)

OLD_DIR = COOKBOOK.bootstrap_dir
NEW_DIR = FLUX_2_9.bootstrap_dir
RECORD = "flux-cookbook-2.0.0-moved.json"
CURRENT_RECORD = "flux-cookbook-2.0.0-current"  # in the git common dir, see the docstring
CONFLICT_MARKER = re.compile(r"^(<<<<<<<|>>>>>>>) (before|after) updating", re.MULTILINE)


@dataclass
class Plan:
    moves: list[tuple[str, str]] = field(default_factory=list)  # tracked files: old -> new path
    ignored_moves: list[tuple[str, str]] = field(default_factory=list)  # ignored files, moved on disk
    writes: dict[str, str] = field(default_factory=dict)  # path (after the move) -> new text
    removals: list[str] = field(default_factory=list)  # files removed, by their path after the move
    removal_sources: list[str] = field(default_factory=list)  # the same, by their path now (git rm)
    notes: list[str] = field(default_factory=list)
    sync_path: str = ""  # what Flux's own Kustomization syncs ("" for the root), when the folder moves

    @property
    def moves_bootstrap(self) -> bool:
        return bool(self.moves)


def before(repo: Path, answers_file: str = "") -> None:
    require_clean(repo)
    plan = make_plan(repo, clean=True)
    apply(repo, plan)
    for note in plan.notes:
        print(f"  {note}")


def after_due(repo: Path) -> bool:
    """`after` puts back what `before` moved and recorded: nothing without the record."""
    return git_dir_file(repo, RECORD).exists()


def after(repo: Path, answers_file: str = "") -> None:
    record_file = git_dir_file(repo, RECORD)
    if not record_file.exists():
        return
    record = json.loads(record_file.read_text(encoding="utf-8"))
    moved: dict[str, str] = record["moved"]
    unmerged = unmerged_entries(repo)
    for path, text in moved.items():
        target = repo_files.inside(repo, path)
        if not target.exists() or CONFLICT_MARKER.search(repo_files.read_text(repo, path)):
            # A moved file has no old render where it now is, so copier's merge conflicts on
            # every line: it stays as the before stage left it, which is the index's stage 2
            # (what the later releases' steps staged on top of this one's), else as recorded.
            if (ours := unmerged.get(path, {}).get(2)) is not None:
                text = blob_text(repo, ours)
            repo_files.write_text(repo, path, text)
            git(repo, "add", "--", path)
    record_file.unlink()
    if moved:
        _remove_empty_folders(repo / OLD_DIR)
        if record.get("sync_path") == "":
            print(ROOT_SYNCED)
        else:
            # The README of a repository the template made shows the command; a hand-made one's may not.
            readme = repo / layout.README
            shown = readme.is_file() and f"--path={NEW_DIR}" in readme.read_text(encoding="utf-8", errors="replace")
            print(BOOTSTRAP_PATH_CHANGED.replace(README_POINTER, README_POINTER if shown else ""))


def _remove_empty_folders(top: Path) -> None:
    """git tracks no folders: the moves leave the old ones behind, empty."""
    for folder in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    if top.is_dir() and not any(top.iterdir()):
        top.rmdir()


README_POINTER = "      (the command in README.md)"
BOOTSTRAP_PATH_CHANGED = f"""
The bootstrap folder moved from {OLD_DIR}/ to {NEW_DIR}/. Flux in the cluster still syncs
./{OLD_DIR}, which no longer exists once you push: it then stops with "path not found"
and changes nothing until you point it at ./{NEW_DIR}. Right after pushing, run
  flux bootstrap github ... --path={NEW_DIR}{README_POINTER}
or
  kubectl -n flux-system patch kustomization flux-system --type merge -p '{{"spec":{{"path":"./{NEW_DIR}"}}}}'
"""

# Flux's sync applies the repository's root (flux bootstrap without --path): it follows
# the move by itself. Re-running flux bootstrap must not put a second copy of Flux's own
# files back at ./flux-system/.
ROOT_SYNCED = f"""
The bootstrap folder moved from {OLD_DIR}/ to {NEW_DIR}/, and Flux's own files into
{NEW_DIR}/{layout.FLUX_SYSTEM}/. Flux's sync applies the repository's root (path: ./), so
once you push it finds the moved files by itself: nothing to re-run. If you run flux
bootstrap again (to upgrade Flux), do not run it without --path: it would write a second
copy of Flux's own files into ./{layout.FLUX_SYSTEM}/, and the root would no longer build.
"""


def make_plan(repo: Path, clean: bool = False) -> Plan:
    """Everything the migration will change, computed without changing anything.

    `clean`: the caller made sure the working tree is what the index holds, so a file is
    known by its blob id and the record of blobs already current can be used.
    """
    plan = Plan()
    flux_own_config: set[str] = set()
    if _recorded_bootstrap_dir(repo) == OLD_DIR and tracked_files(repo, OLD_DIR):
        flux_own_config = _plan_moves(repo, plan)
    renamed = dict(plan.moves)
    _plan_namespace_removals(repo, plan, renamed)
    renamed = dict(plan.moves)
    errors = []
    blobs = tracked_blobs(repo)
    # Blobs already current are skipped, except on the run that moves the bootstrap folder
    # (it also repoints gotk-sync.yaml, and runs once).
    use_record = clean and not plan.moves
    known = _read_current_record(repo) if use_record else set()
    found = set()
    for path, blob in blobs.items():
        if not path.endswith((".yaml", ".yml")) or Path(path).name.startswith("."):
            continue
        if blob in known:
            found.add(blob)
            continue
        target = renamed.get(path, path)
        if target in plan.removals:
            continue
        if (repo / path).is_symlink():
            continue  # a link: the file it names, if the repository has it, is migrated as itself
        try:
            original = (repo / path).read_bytes().decode("utf-8")  # bytes: CRLF line ends stay
        except UnicodeDecodeError:
            plan.notes.append(f"{target}: not UTF-8 text; left as it is")
            continue
        except OSError as error:
            plan.notes.append(f"{target}: cannot be read ({error.strerror or error}); left as it is")
            continue
        try:
            migration = migrate_text(original)
        except MigrationError as error:
            errors.append(f"{path}: {error}")
            continue
        text = _repoint_git_repository_ignore(_repoint_into_moved_folder(migration.text)) if plan.moves else migration.text
        if plan.moves and path in flux_own_config:
            text = _repoint_flux_own_config(text)
            if left := _flux_own_entries(text):
                errors.append(f"{path}: lists {', '.join(left)} in a way this step cannot rewrite (they move to "
                              f"{layout.flux_system_dir(NEW_DIR)}/); list each once, on a line of its own or in a flow list on one line")
        plan.notes.extend(f"{target}: {note}" for note in migration.notes + migration.skipped)
        if text != original:
            plan.writes[target] = text
        elif blob and not migration.notes and use_record:
            found.add(blob)
    if plan.moves:
        errors += _repoint_configs_outside(repo, plan)
        if (repo / layout.SOURCEIGNORE).is_file():
            try:
                ignore = repo_files.read_text(repo, layout.SOURCEIGNORE)
            except (UnicodeDecodeError, OSError):
                plan.notes.append(f"{layout.SOURCEIGNORE}: cannot be read as text; left as it is: make a pattern in "
                                  f"it naming /{OLD_DIR}/ name /{NEW_DIR}/ yourself")
            else:
                if (repointed := _repoint_ignore_lines(ignore)) != ignore:
                    plan.writes[layout.SOURCEIGNORE] = repointed
    if errors:
        raise MigrationAbort("these files cannot be migrated; fix them, commit, and update again:\n  " + "\n  ".join(errors))
    if plan.moves and (repo / layout.README).is_file():
        try:
            readme_file = repo_files.followed(repo, layout.README)  # a linked README: its target
            readme = repo_files.read_text(repo, readme_file)  # as written: CRLF stays
        except (UnicodeDecodeError, OSError):
            readme = ""  # not text, or not a file to read (a link out of the repository): the user's to repoint
        repointed = re.sub(rf"--path[= ]\.?/?{OLD_DIR}\b", f"--path={NEW_DIR}", readme)
        # The layout the template's README drew, and the sentence under it (the nested
        # `  flux-system/` line, Flux's own files, stays: that is where they now are).
        repointed = re.sub(rf"(?m)^{OLD_DIR}/( +)flux bootstrap --path points here",
                           lambda m: f"{NEW_DIR}/{m.group(1)}{' ' * (len(OLD_DIR) - len(NEW_DIR))}flux bootstrap --path points here",
                           repointed)
        repointed = repointed.replace(f"Flux applies everything under `{OLD_DIR}/`", f"Flux applies everything under `{NEW_DIR}/`")
        if repointed != readme:
            plan.writes[readme_file] = repointed
    for answers in (repo / name for name in layout.answers_files(repo)):
        blob = blobs.get(answers.name, "")
        if blob and ANSWERS_PREFIX + blob in known:
            found.add(ANSWERS_PREFIX + blob)
            continue
        text = answers.read_text(encoding="utf-8")
        moved = _current_health_checks(re.sub(rf"(?m)^bootstrap_dir: {OLD_DIR}$", f"bootstrap_dir: {NEW_DIR}", text))
        if moved != text:
            plan.writes[answers.name] = moved
        elif blob and use_record:
            found.add(ANSWERS_PREFIX + blob)
    if use_record and found != known:
        _write_current_record(repo, found)
    return plan


def _current_health_checks(text: str) -> str:
    """An app's answers with each health check that names a removed Flux API naming the
    one Flux serves, as its Kustomization now does (migrate_text): the template renders
    the Kustomization's healthChecks from these answers."""
    from .v3_1_0 import HEALTH_CHECKS, with_answer

    try:
        answers = bounded_yaml.load(text)
    except yaml.YAMLError:
        return text
    checks = answers.get(HEALTH_CHECKS) if isinstance(answers, dict) else None
    if not isinstance(checks, list):
        return text
    current = [
        {**check, "apiVersion": current_api_version(check["apiVersion"], check["kind"]) or check["apiVersion"]}
        if isinstance(check, dict) and isinstance(check.get("apiVersion"), str) and isinstance(check.get("kind"), str)
        else check
        for check in checks
    ]
    return with_answer(text, HEALTH_CHECKS, current) if current != checks else text


# --- the record of blobs already current (see "repeated runs" in the docstring) ----------

ANSWERS_PREFIX = "answers:"  # an answers file that records the new bootstrap folder


def _current_record(repo: Path) -> BlobRecord:
    """Changes whenever the code deciding what "current" means changes."""
    from . import flux_api

    return BlobRecord(repo, CURRENT_RECORD, [flux_api.__file__, __file__])


def _read_current_record(repo: Path) -> set[str]:
    return _current_record(repo).read()


def _write_current_record(repo: Path, blobs: set[str]) -> None:
    _current_record(repo).write(blobs)


def _recorded_bootstrap_dir(repo: Path) -> str:
    """The bootstrap folder the repository's answers record (1.0.0's default if none do)."""
    for answers in (repo / name for name in layout.answers_files(repo)):
        if answers.exists():
            recorded = (bounded_yaml.load(answers.read_text(encoding="utf-8")) or {}).get("bootstrap_dir")
            if recorded:
                return recorded
    return OLD_DIR


FLUX_OWN_FILES = flux_names.FLUX_OWN_FILES
KUSTOMIZE_CONFIG = flux_names.KUSTOMIZE_CONFIG_FILES[0]


def _flux_own_targets(repo: Path, tracked: list[str]) -> tuple[dict[str, str], set[str]]:
    """Where Flux's own files that flux bootstrap wrote straight into the old folder (no
    --path: the sync applies the root, the cookbook's folders beside them) move:
    into `<new>/flux-system/`, as `flux bootstrap --path` lays them out. Their
    kustomization.yaml goes along when it lists nothing else; otherwise it stays the
    folder's own and its entries are repointed (the second value)."""
    own = [f"{OLD_DIR}/{name}" for name in FLUX_OWN_FILES if f"{OLD_DIR}/{name}" in tracked]
    if not own:
        return {}, set()
    targets = {path: f"{layout.flux_system_dir(NEW_DIR)}/{posixpath.basename(path)}" for path in own}
    config = f"{OLD_DIR}/{KUSTOMIZE_CONFIG}"
    if config in tracked:
        # Only a file listing nothing but Flux's own files moves with them.
        resources = kustomize_listing.resources((repo / config).read_text(encoding="utf-8"))
        if resources and {str(r).removeprefix("./") for r in resources} <= set(FLUX_OWN_FILES):
            targets[config] = f"{layout.flux_system_dir(NEW_DIR)}/{KUSTOMIZE_CONFIG}"
        else:
            return targets, {config}
    return targets, set()


def _repoint_flux_own_config(text: str) -> str:
    """kustomization.yaml's entries for Flux's own files, now in flux-system/: each on its
    line or in a one-line flow list (an entry that cannot be rewritten stays, and is named
    by _flux_own_entries)."""
    for name in FLUX_OWN_FILES:
        text = kustomize_listing.repoint(text, "", name, f"{layout.FLUX_SYSTEM}/{name}") or text
    return text


def _flux_own_entries(text: str) -> list[str]:
    """The entries of a kustomization file (moving to the new folder) still naming Flux's
    own files beside it, where they no longer are."""
    return [str(entry) for entry in kustomize_listing.resources(text) or []
            if isinstance(entry, str) and posixpath.normpath(entry) in FLUX_OWN_FILES]


def _repoint_configs_outside(repo: Path, plan: Plan) -> list[str]:
    """Kustomization files outside the old folder that name it, or files in it (a root
    kustomization.yaml listing `flux-system`): their entries name the new folder, or the
    file is named as one this step cannot rewrite (its build would break)."""
    errors = []
    for path in tracked_files(repo):
        if posixpath.basename(path) not in flux_names.KUSTOMIZE_CONFIG_FILES or path.startswith(f"{OLD_DIR}/"):
            continue
        try:
            text = plan.writes.get(path) or repo_files.read_text(repo, path)
        except (OSError, UnicodeDecodeError):
            continue  # not text, or a link leading outside: no build reads it either
        repointed = kustomize_listing.repoint(text, posixpath.dirname(path), OLD_DIR, NEW_DIR)
        if repointed is None:
            errors.append(f"{path}: names {OLD_DIR}/ (moving to {NEW_DIR}/) in a way this step cannot rewrite; "
                          "name it in a block list, one entry per line, or in a flow list on one line")
        elif repointed != text:
            plan.writes[path] = repointed
            plan.notes.append(f"{path}: now names {NEW_DIR}/ where it named {OLD_DIR}/")
    return errors


def _sync_path(repo: Path, paths: list[str]) -> str | None:
    """The folder Flux's own Kustomization (in gotk-sync.yaml) applies ("" for the root), or None."""
    for path in paths:
        if posixpath.basename(path) != flux_names.SYNC_FILE:
            continue
        for doc in _documents((repo / path).read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "Kustomization" and isinstance(doc.get("spec"), dict):
                return posixpath.normpath(str(doc["spec"].get("path") or ".")).strip("/").removeprefix(".")
    return None


def _plan_namespace_removals(repo: Path, plan: Plan, renamed: dict[str, str]) -> None:
    """A namespace file of the template's (`<bootstrap>/namespaces/`, one Namespace) whose
    Namespace another file of the bootstrap folder declares too (flux bootstrap's
    gotk-components.yaml for flux-system) goes: the two broke the folder's build ("may
    not add resource with an already registered id"), and the other keeps it declared."""
    bootstrap = NEW_DIR if renamed else _recorded_bootstrap_dir(repo)
    declared: dict[str, list[str]] = {}
    single: dict[str, str] = {}
    for path in tracked_files(repo):
        target = renamed.get(path, path)
        if not target.startswith(f"{bootstrap}/") or not target.endswith((".yaml", ".yml")):
            continue
        if (repo / path).is_symlink() or not (repo / path).is_file():
            continue  # a link declares nothing of its own (the file it names is read as itself); a submodule
        try:
            text = (repo / path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if "Namespace" not in text:
            continue  # declares no Namespace: not worth parsing (this step runs once per app)
        documents = [d for d in _documents(text) if d is not None]
        names = [
            d["metadata"].get("name") for d in documents
            if isinstance(d, dict) and d.get("kind") == "Namespace" and isinstance(d.get("metadata"), dict)
        ]
        for name in names:
            declared.setdefault(str(name), []).append(target)
        if len(documents) == 1 and len(names) == 1 and target.startswith(f"{bootstrap}/{layout.NAMESPACES}/"):
            single[target] = str(names[0])
    for target, name in sorted(single.items()):
        others = [other for other in declared[name] if other != target and other not in plan.removals]
        if others:
            plan.removals.append(target)
            plan.notes.append(
                f"removed {target}: Namespace '{name}' is declared in {others[0]} too, and the two broke the "
                f"build of {bootstrap}/"
            )
    sources = {target: source for source, target in renamed.items()}
    plan.moves = [(old, new) for old, new in plan.moves if new not in plan.removals]
    plan.removal_sources = [sources.get(target, target) for target in plan.removals]


def _plan_moves(repo: Path, plan: Plan) -> set[str]:
    """Plan the move of the old folder; the kustomization.yaml files whose entries for Flux's
    own files must follow them."""
    # A bootstrap/ of the user's own (scripts, another tool's manifests) would take in the
    # cookbook's folders and Flux's own files, and what Flux applies from it would change.
    if taken := tracked_files(repo, NEW_DIR):
        shown = ", ".join(taken[:3]) + (f" and {len(taken) - 3} more" if len(taken) > 3 else "")
        raise MigrationAbort(
            f"{OLD_DIR}/ (the bootstrap folder) moves to {NEW_DIR}/, which holds files of its own ({shown}). "
            f"Rename {NEW_DIR}/ or move them out, commit, and update again."
        )
    tracked = tracked_files(repo, OLD_DIR)
    flux_own, configs = _flux_own_targets(repo, tracked)
    sync_path = _sync_path(repo, tracked)
    plan.sync_path = OLD_DIR if sync_path is None else sync_path
    for path in tracked:
        target = flux_own.get(path) or NEW_DIR + path[len(OLD_DIR):]
        plan.moves.append((path, target))
    for path in ignored_files(repo, OLD_DIR):
        target = NEW_DIR + path[len(OLD_DIR):]
        if not (repo / target).exists():
            plan.ignored_moves.append((path, target))
    plan.notes.append(f"moved {len(plan.moves)} files from {OLD_DIR}/ to {NEW_DIR}/")
    if flux_own:
        plan.notes.append(f"moved flux bootstrap's own files into {layout.flux_system_dir(NEW_DIR)}/")
    return configs


# A `path:` line naming the old folder or a folder in it, quoting and comment kept.
PATH_LINE = re.compile(rf"(?m)^(\s+path:\s*)([\"']?)(\./)?{OLD_DIR}(/[^\s\"'#]*)?\2(\s*(?:#.*)?)$")
# A line of an ignore list (`.sourceignore`, a GitRepository's `spec.ignore`) naming it.
IGNORE_LINE = re.compile(rf"(?m)^(\s*!?/?){OLD_DIR}(/[^\s#]*)?(\s*)$")


def _into_moved_folder(path: object) -> str | None:
    """`path` (a Flux path: "./flux-system/x", "flux-system") without its "./" and trailing
    "/" when it is the old bootstrap folder or in it; else None."""
    text = str(path).strip().removeprefix("./").rstrip("/")
    return text if text == OLD_DIR or text.startswith(OLD_DIR + "/") else None


def _paths_into_moved_folder(text: str) -> set[str]:
    """The paths into the old folder that Flux follows in `text`'s objects of this
    repository: a Flux Kustomization's `spec.path` (flux bootstrap's own sync, another
    cluster's Kustomizations) and an ImageUpdateAutomation's `spec.update.path` (where it
    writes)."""
    found = set()
    for doc in _documents(text):
        spec = doc.get("spec") if isinstance(doc, dict) else None
        if not isinstance(spec, dict):
            continue
        group = str(doc.get("apiVersion", "")).partition("/")[0]
        if doc.get("kind") == "Kustomization" and group == flux_names.KUSTOMIZE_GROUP:
            path = spec.get("path")
        elif doc.get("kind") == "ImageUpdateAutomation" and group == flux_names.IMAGE_GROUP:
            path = spec.get("update", {}).get("path") if isinstance(spec.get("update"), dict) else None
        else:
            continue
        if not _of_this_repository(doc, spec.get("sourceRef")):
            continue  # only this repository's folder moves
        if isinstance(path, str) and (inside := _into_moved_folder(path)):
            found.add(inside)
    return found


def _of_this_repository(doc: dict, source: object) -> bool:
    """A sourceRef naming flux bootstrap's GitRepository of this repository, flux-system/flux-system
    (Flux's defaults: kind GitRepository, the object's own namespace)."""
    if not isinstance(source, dict):
        return False
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    namespace = source.get("namespace") or meta.get("namespace") or flux_names.FLUX_SYSTEM
    return source.get("kind", "GitRepository") == "GitRepository" and source.get("name") == flux_names.FLUX_SYSTEM \
        and namespace == flux_names.FLUX_SYSTEM


def _repoint_into_moved_folder(text: str) -> str:
    """Point each path Flux follows into the old bootstrap folder at the same place in the
    new one (`./flux-system` -> `./bootstrap`, `./flux-system/x` -> `./bootstrap/x`): one
    line each, keeping its quoting and comment, document by document (a file may hold
    another repository's Kustomization too). flux bootstrap's own Kustomization, in
    `<bootstrap>/flux-system/gotk-sync.yaml`, is one of them."""
    return "".join(_repoint_document(piece) for piece in document_split.split_documents(text))


def _repoint_document(text: str) -> str:
    if not (wanted := _paths_into_moved_folder(text)):
        return text

    def repointed(match: re.Match) -> str:
        rest = (match.group(4) or "").rstrip("/")
        if OLD_DIR + rest not in wanted:
            return match.group(0)
        quote = match.group(2)
        return f"{match.group(1)}{quote}{match.group(3) or ''}{NEW_DIR}{rest}{quote}{match.group(5)}"

    return PATH_LINE.sub(repointed, text)


def _repoint_ignore_lines(text: str) -> str:
    """An ignore list's patterns naming the old folder (`!/flux-system/`, `/flux-system/x`)
    name the new one: a GitRepository that lets only some folders through would otherwise
    leave the moved bootstrap folder out of Flux's artifact, and the cluster would sync nothing."""
    return IGNORE_LINE.sub(lambda m: f"{m.group(1)}{NEW_DIR}{m.group(2) or ''}{m.group(3)}", text)


def _repoint_git_repository_ignore(text: str) -> str:
    """`_repoint_ignore_lines` in the `spec.ignore` of this repository's GitRepository
    (flux-system/flux-system), document by document."""
    return "".join(_repoint_ignore_lines(piece) if _own_ignore(piece) else piece
                   for piece in document_split.split_documents(text))


def _own_ignore(text: str) -> bool:
    for doc in _documents(text):
        if not isinstance(doc, dict):  # an empty document (a trailing `---`), a list of JSON 6902 operations
            continue
        ignore = doc["spec"].get("ignore") if isinstance(doc.get("spec"), dict) else None
        meta = doc["metadata"] if isinstance(doc.get("metadata"), dict) else {}
        if doc.get("kind") == "GitRepository" and meta.get("name") == flux_names.FLUX_SYSTEM \
                and meta.get("namespace", flux_names.FLUX_SYSTEM) == flux_names.FLUX_SYSTEM \
                and isinstance(ignore, str) and IGNORE_LINE.search(ignore):
            return True
    return False


def _documents(text: str) -> list:
    try:
        return bounded_yaml.load_all(text)
    except yaml.YAMLError:
        return []


def _texts(repo: Path, paths: list[str]) -> dict[str, str]:
    """The moved files `after` may have to put back: copier merges a release's render into
    each, and the template renders text only. A link, a folder (a submodule) or a file
    that is not UTF-8 is moved all the same, and no render of the template's lands on it."""
    texts = {}
    for path in paths:
        target = repo / path
        if target.is_symlink() or not target.is_file():
            continue
        try:
            texts[path] = target.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
    return texts


def apply(repo: Path, plan: Plan) -> None:
    """Carry out `plan` and stage it; on failure put the (clean) repository back."""
    try:
        for old in plan.removal_sources:
            git(repo, "rm", "-q", "--", old)
        for old, new in plan.moves:
            (repo / new).parent.mkdir(parents=True, exist_ok=True)
            git(repo, "mv", "-k", "--", old, new)
        for old, new in plan.ignored_moves:
            (repo / new).parent.mkdir(parents=True, exist_ok=True)
            (repo / old).rename(repo / new)
        for path, text in plan.writes.items():
            repo_files.write_text(repo, path, text)
        if plan.writes:
            git(repo, "add", "--", *plan.writes)
        record = {"moved": _texts(repo, [new for _, new in plan.moves]), "sync_path": plan.sync_path,
                  "ignored_moves": plan.ignored_moves}
        git_dir_file(repo, RECORD).write_text(json.dumps(record), encoding="utf-8")
    except (OSError, ValueError, MigrationAbort):
        # The repository was clean when the step began: HEAD holds everything the user had.
        put_back(repo)
        move_ignored_back(repo, plan.ignored_moves)
        raise


def move_ignored_back(repo: Path, moves: list) -> None:
    """The ignored files the move took along (git's reset does not know them), back in place."""
    for old, new in moves:
        if (repo / new).exists() and not (repo / old).exists():
            (repo / old).parent.mkdir(parents=True, exist_ok=True)
            (repo / new).rename(repo / old)
    if moves:
        _remove_empty_folders(repo / NEW_DIR)  # a bootstrap/ of empty folders would pass for the layout
