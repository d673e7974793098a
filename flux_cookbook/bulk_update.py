"""Many `copier update`s in one run, for `flux-cookbook update-all`.

Every app has its own answers file, so a release means one `copier update` per app, and
copier refuses a dirty repository, so each update is committed before the next. The
merge is always copier's own (`copier.run_update`, its Python API, in this process or a
forked worker); what this module removes is the cost around it:

1. One template checkout per (template, ref) for the whole run. copier 9.19 clones the
   template five times per update (old and new release for its checks, then once for each
   of the old render, the real render and the new render) and asks git and `copier.yml`
   the same questions of every clone. While `shared_template_checkouts()` is active:
     - `copier._template.clone`, the name `Template.local_abspath` calls, is replaced by
       one that makes a checkout with the real `copier._vcs.clone` once per (url, ref)
       and hands the same folder out again; copier only removes the empty folder it
       allocated for the clone, never the checkout;
     - the `Template` properties that only read a checkout (`commit`, `commit_hash`,
       `version`, `git_index_modes`, `_raw_config`) are computed once per checkout, and
       `vcs`/`url_expanded` once per template URL. `_raw_config` is handed out as a deep
       copy, because copier edits the dicts it derives from it.
   Checkouts are only read (copier renders from them, migrations run their scripts from
   them) and are deleted when the run ends. The template is read once per run: a branch
   that moves, or a local template edited during the run, is not seen again.
   Guard: `check_seams()` checks the names and shapes it patches before patching, and
   `require_seam_used()` checks after the first update that copier did clone through the
   patched name; either raises `CopierSeamChanged` naming what moved, so a copier that
   changed its internals fails loudly rather than running with a wrong or a dead cache.
   `flux-cookbook update-all --no-template-cache` runs without any of these patches.

2. Jinja sources compiled once per process. copier renders every question's default,
   `when` and validator from a string, in each of the three renders of each update (about
   600 `Environment.from_string` calls per update, a fifth of its time). The code Jinja
   compiles a source to depends only on the source, the environment's syntax settings,
   extension classes and the names of its filters and tests (filters themselves are
   looked up when rendering), so `compile` of copier's environments (`Worker.jinja_env`)
   is memoised on exactly those. Rendering still happens in each update's own environment,
   with its own filters and globals.

3. Apps in parallel (`update_in_parallel`). Each worker process (forked from this one,
   so it inherits the checkouts) updates its share of the apps in its own `git worktree`
   of the repository (copier needs a clean repository, and the git index is one per
   worktree), committing each app there. The parent then cherry-picks the commits onto
   the branch in the order a sequential run would make them. An app's update writes its
   own files and its own answers file; a result that touches a path another result also
   touches, that failed, that left conflicts, or that rendered a git-ignored file (the
   worktree lacks the repository's ignored files, which copier would update in place)
   is not taken: the parent updates that app again in the repository itself, in its
   turn, exactly as a sequential run would (so conflicts and errors are met, reported and
   left the same way). What a worker's update prints (migration notes) is captured and
   printed when its result is taken, so the output is the sequential run's.

4. Template scripts forked, not started. Every update runs the template's migrations twice
   (`python <checkout>/extensions/migrations/run.py <stage> ...`, copier's `_migrations`),
   and a new interpreter spends most of such a run importing. While the checkouts are
   shared, `copier._main.subprocess` (the name copier's `_execute_tasks` runs tasks and
   migrations with) is a `ForkedTemplateScripts` (forked_scripts.py): a Python script of
   one of the checkouts, run with this interpreter as a plain argument list, runs in a
   fork of this process, as a new interpreter would run it; anything else goes to the
   real `subprocess.run`.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .extensions import layout
from .forked_scripts import ForkedTemplateScripts
from .worktrees import detached_worktrees

CLUSTER_ANSWERS = layout.CLUSTER_ANSWERS
RELEASE_TAG = re.compile(r"^v?\d+\.\d+\.\d+$")

# Properties of copier's Template that only read its checkout (memoised per checkout),
# and those that only depend on the template URL (memoised per URL).
CHECKOUT_PROPERTIES = ("commit", "commit_hash", "version", "git_index_modes", "_raw_config")
URL_PROPERTIES = ("vcs", "url_expanded")
COPIED_PROPERTIES = frozenset({"_raw_config"})  # copier mutates what it derives from these
TESTED_COPIER = "9.19"


class CopierSeamChanged(RuntimeError):
    """The copier internals patched here are not what copier 9.19 has."""


def _copier_version() -> str:
    import copier

    return copier.__version__


def check_seams() -> None:
    """Raise CopierSeamChanged if copier moved what `shared_template_checkouts` patches."""
    from functools import cached_property

    from copier import _main, _template, _vcs

    problems = []
    if getattr(_template, "clone", None) is not getattr(_vcs, "clone", None):
        problems.append("copier._template.clone is no longer copier._vcs.clone")
    elif list(inspect.signature(_vcs.clone).parameters)[:3] != ["url", "ref", "location"]:
        problems.append("copier._vcs.clone no longer takes (url, ref, location)")
    template_class = getattr(_template, "Template", None)
    props = getattr(template_class, "__dict__", {})
    for name in ("local_abspath", *CHECKOUT_PROPERTIES, *URL_PROPERTIES):
        if not isinstance(props.get(name), cached_property):
            problems.append(f"Template.{name} is no longer a cached_property")
    if isinstance(props.get("local_abspath"), cached_property):
        try:
            source = inspect.getsource(props["local_abspath"].func)
        except (OSError, TypeError):
            source = ""
        if not re.search(r"\bclone\(\s*self\.url_expanded,\s*self\.ref\b", source):
            problems.append("Template.local_abspath no longer calls clone(self.url_expanded, self.ref ...)")
    if not isinstance(getattr(getattr(_main, "Worker", None), "__dict__", {}).get("jinja_env"), cached_property):
        problems.append("Worker.jinja_env is no longer a cached_property")
    if getattr(_main, "subprocess", None) is not subprocess:
        problems.append("copier._main no longer runs tasks through the subprocess module")
    else:
        try:
            tasks_source = inspect.getsource(_main.Worker._execute_tasks)
        except (AttributeError, OSError, TypeError):
            tasks_source = ""
        if not re.search(r"\bsubprocess\.run\(\s*task_cmd,\s*shell=use_shell,\s*check=False,\s*env=", tasks_source):
            problems.append("Worker._execute_tasks no longer calls subprocess.run(task_cmd, shell=..., check=False, env=...)")
    for name in ("get_latest_tag", "get_repo"):
        if not callable(getattr(_vcs, name, None)):
            problems.append(f"copier._vcs.{name} is gone (update-all asks it for the newest release)")
    if problems:
        raise CopierSeamChanged(
            f"copier {_copier_version()} changed internals that flux_cookbook/bulk_update.py patches "
            f"(written for copier {TESTED_COPIER}):\n  " + "\n  ".join(problems)
            + "\nUpdate flux_cookbook/bulk_update.py, or run flux-cookbook update-all --no-template-cache."
        )


# --- 1. template checkouts ----------------------------------------------------------------


class TemplateCheckouts:
    """Checkouts made in this run, per (url, ref), and what copier read from them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.checkouts: dict[tuple[str, str], str] = {}
        self.facts: dict[tuple[str, str], Any] = {}
        self.clones = 0  # real clones made
        self.calls = 0  # clones copier asked for
        self.scripts: ForkedTemplateScripts | None = None  # set while installed
        self._lock = threading.Lock()

    def clone(self, real_clone: Callable[..., str], url: str, ref: str = "HEAD", location: str | None = None) -> str:
        self.calls += 1
        key = (str(url), str(ref))
        with self._lock:
            found = self.checkouts.get(key)
            if found is None or not Path(found).is_dir():
                path = tempfile.mkdtemp(prefix="checkout.", dir=self.root)
                found = self.checkouts[key] = real_clone(url, ref, location=path)
                self.clones += 1
            return found

    def owns(self, path: Path) -> bool:
        return Path(path).is_relative_to(self.root)



_active: TemplateCheckouts | None = None
# Most sources are the template's (the same for every app); the answers copier also renders
# as templates are each app's own, so the cache is bounded, least recently used out first.
_jinja_cache: OrderedDict[tuple, Any] = OrderedDict()
JINJA_CACHE_SIZE = 2048


def _memoised(name: str, func: Callable[[Any], Any], by_url: bool) -> Callable[[Any], Any]:
    @functools.wraps(func)
    def wrapper(template: Any) -> Any:
        state = _active
        if state is None:
            return func(template)
        if by_url:
            key = (name, str(template.url))
        else:
            where = template.local_abspath
            if not state.owns(where):  # a plain local folder, not one of our checkouts
                return func(template)
            key = (name, str(where))
        if key not in state.facts:
            state.facts[key] = func(template)
        value = state.facts[key]
        return copy.deepcopy(value) if name in COPIED_PROPERTIES else value

    return wrapper


def _jinja_env(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(original)
    def jinja_env(worker: Any) -> Any:
        env = original(worker)
        signature = _syntax_signature(env)
        compile_ = env.compile

        def compile(source, name=None, filename=None, raw=False, defer_init=False):  # noqa: A001 - Jinja's name
            if not isinstance(source, str):
                return compile_(source, name, filename, raw, defer_init)
            key = (signature, source, name, filename, raw, defer_init)
            if key in _jinja_cache:
                _jinja_cache.move_to_end(key)
                return _jinja_cache[key]
            code = _jinja_cache[key] = compile_(source, name, filename, raw, defer_init)
            if len(_jinja_cache) > JINJA_CACHE_SIZE:
                _jinja_cache.popitem(last=False)
            return code

        env.compile = compile
        return env

    return jinja_env


def _syntax_signature(env: Any) -> tuple:
    """What the code Jinja compiles a source to depends on, besides the source."""
    return (
        type(env),
        tuple(sorted(f"{type(e).__module__}.{type(e).__qualname__}" for e in env.extensions.values())),
        env.block_start_string, env.block_end_string, env.variable_start_string, env.variable_end_string,
        env.comment_start_string, env.comment_end_string, env.line_statement_prefix, env.line_comment_prefix,
        env.trim_blocks, env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline,
        env.optimized, env.is_async, repr(env.autoescape), env.finalize,
        # The compiler refuses unknown filters and tests, so the names matter too.
        tuple(sorted(env.filters)), tuple(sorted(env.tests)),
    )


def _install(state: TemplateCheckouts) -> Callable[[], None]:
    """Patch copier (see the module docstring); returns the function that unpatches."""
    from functools import cached_property

    from copier import _main, _template, _vcs

    global _active
    check_seams()
    real_clone = _vcs.clone
    originals = {name: _template.Template.__dict__[name] for name in (*CHECKOUT_PROPERTIES, *URL_PROPERTIES)}
    original_env = _main.Worker.__dict__["jinja_env"]
    _template.clone = functools.partial(state.clone, real_clone)
    _main.subprocess = state.scripts = ForkedTemplateScripts(state.root)
    for name, prop in originals.items():
        patched = cached_property(_memoised(name, prop.func, by_url=name in URL_PROPERTIES))
        patched.__set_name__(_template.Template, name)
        setattr(_template.Template, name, patched)
    patched_env = cached_property(_jinja_env(original_env.func))
    patched_env.__set_name__(_main.Worker, "jinja_env")
    _main.Worker.jinja_env = patched_env
    _active = state

    def uninstall() -> None:
        global _active
        _active = None
        _template.clone = real_clone
        _main.subprocess = subprocess
        for name, prop in originals.items():
            setattr(_template.Template, name, prop)
        _main.Worker.jinja_env = original_env
        _jinja_cache.clear()

    return uninstall


@contextlib.contextmanager
def shared_template_checkouts(enabled: bool = True) -> Iterator[TemplateCheckouts | None]:
    """While active, copier clones each (template, ref) once; see the module docstring."""
    if not enabled:
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="flux-cookbook-templates."))
    try:
        state = TemplateCheckouts(root)
        uninstall = _install(state)
        try:
            yield state
        finally:
            uninstall()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def require_seam_used(state: TemplateCheckouts | None) -> None:
    """After an update: copier must have cloned through the patched name."""
    if state is not None and state.calls == 0:
        raise CopierSeamChanged(
            f"copier {_copier_version()} updated without calling copier._template.clone, so the "
            "template cache of flux_cookbook/bulk_update.py no longer applies. Update it, or run "
            "flux-cookbook update-all --no-template-cache."
        )


# --- one update -----------------------------------------------------------------------------


def git(repo: Path, *args: str, input: str | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True, input=input
    ).stdout


def describe(answers_file: str) -> str:
    """"cluster" or "app <name>", as commit messages and reports name an answers file."""
    app = layout.app_of_answers_file(answers_file)
    return f"app {app}" if app else "cluster"


def recorded_answers(repo: Path, answers_file: str) -> dict:
    import yaml

    return yaml.safe_load((repo / answers_file).read_text(encoding="utf-8")) or {}


def recorded_commit(repo: Path, answers_file: str) -> str:
    return str(recorded_answers(repo, answers_file).get("_commit", ""))


def conflicted_files(repo: Path) -> list[str]:
    return [name for name in git(repo, "diff", "--name-only", "--diff-filter=U").splitlines() if name]


class NotARelease(ValueError):
    pass


@dataclass
class Outcome:
    """What updating one answers file did."""

    answers_file: str
    status: str  # "updated", "unchanged", "conflicts", "failed"
    reached: str = ""  # the release the answers file records afterwards
    conflicts: list[str] = field(default_factory=list)
    error: str = ""
    commit: str = ""  # the commit made (in a worker: in its worktree)
    paths: list[str] = field(default_factory=list)  # what that commit changed
    output: str = ""  # what a worker's update printed (migration notes)

    @property
    def what(self) -> str:
        return describe(self.answers_file)


def update_one(repo: Path, answers_file: str, vcs_ref: str | None) -> Outcome:
    """`copier update` one answers file in `repo` (clean) and commit what it changed.

    Raises NotARelease (after putting the repository back) when the update reached a
    commit that is not a release tag, and whatever copier raises. On conflicts nothing is
    committed and they are left for the user.
    """
    import copier

    copier.run_update(
        repo, answers_file=answers_file, vcs_ref=vcs_ref, defaults=True, unsafe=True, overwrite=True, quiet=True
    )
    reached = recorded_commit(repo, answers_file)
    if not RELEASE_TAG.match(reached):
        # The repository was clean before this update: HEAD holds all of the user's work.
        git(repo, "reset", "-q", "--hard", "HEAD")
        git(repo, "clean", "-q", "-fd")
        raise NotARelease(
            f"that reached {reached}, which is not a release tag, so copier would skip the "
            "migrations; nothing was changed. Update to a release: --vcs-ref vX.Y.Z"
        )
    if conflicted := conflicted_files(repo):
        return Outcome(answers_file, "conflicts", reached, conflicts=conflicted)
    git(repo, "add", "-A")
    if not git(repo, "status", "--porcelain"):
        return Outcome(answers_file, "unchanged", reached)
    git(repo, "commit", "-q", "-m", f"Update {describe(answers_file)} to template {reached}")
    return Outcome(answers_file, "updated", reached, commit=git(repo, "rev-parse", "HEAD").strip())


@functools.lru_cache(maxsize=None)
def latest_release(src_path: str) -> str | None:
    """The tag copier updates to without --vcs-ref (its newest release), asked once per run."""
    from copier._vcs import get_latest_tag, get_repo

    try:
        return get_latest_tag(get_repo(src_path) or src_path)
    except Exception:  # noqa: BLE001 - a source copier cannot read: copier itself reports it
        return None


def target_ref(repo: Path, answers_file: str, vcs_ref: str | None) -> str | None:
    if vcs_ref:
        return vcs_ref
    src_path = recorded_answers(repo, answers_file).get("_src_path")
    return latest_release(str(src_path)) if src_path else None


# --- 3. apps in parallel ------------------------------------------------------------------


def default_jobs() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


_worktree: Path | None = None


def _worker_start(worktrees: Any, cache_root: str | None) -> None:
    global _worktree
    _worktree = Path(worktrees.get())
    if cache_root and _active is None:  # started by spawn, not fork: set the caches up again
        _install(TemplateCheckouts(Path(tempfile.mkdtemp(prefix="worker.", dir=cache_root))))


def _worker_update(task: tuple[str, str | None]) -> Outcome:
    """In a worker: update one answers file in this worker's worktree."""
    answers_file, vcs_ref = task
    repo = _worktree
    assert repo is not None
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as captured:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(captured.fileno(), 1)
        os.dup2(captured.fileno(), 2)
        try:
            outcome = update_one(repo, answers_file, vcs_ref)
        except Exception as error:  # noqa: BLE001 - the parent redoes it and reports
            outcome = Outcome(answers_file, "failed", error=f"{type(error).__name__}: {error}")
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        captured.seek(0)
        outcome.output = captured.read()
    # A worktree holds no git-ignored files, the repository may: an update that renders an
    # ignored path (copier updates those in place) is redone in the repository itself.
    ignored = git(repo, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory")
    if ignored and outcome.status in ("updated", "unchanged"):
        git(repo, "clean", "-q", "-fdX")
        outcome.status, outcome.error = "failed", "rendered git-ignored files: " + ignored.replace("\0", " ")
    if outcome.status == "updated":
        outcome.paths = git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", "-z", "HEAD").split("\0")[:-1]
    elif outcome.status != "unchanged":
        # Leave the worktree clean for the next app; the parent redoes this one.
        with contextlib.suppress(subprocess.CalledProcessError):
            git(repo, "reset", "-q", "--hard", "HEAD")
            git(repo, "clean", "-q", "-fd")
    return outcome


def update_in_parallel(
    repo: Path,
    answers_files: list[str],
    vcs_refs: dict[str, str | None],
    jobs: int,
    checkouts: TemplateCheckouts | None,
    taken: Callable[[Outcome], None],
    redo: Callable[[str], bool],
) -> bool:
    """Update `answers_files`, in this order, with `jobs` worker processes.

    Each worker result brought onto the branch is passed to `taken`, in order. For an
    answers file whose result is not taken, `redo(answers_file)` must update it in `repo`
    itself, as a sequential run does, and say whether to go on. Returns False once a
    redo said stop (what follows is then left as it was).
    """
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    jobs = max(1, min(jobs, len(answers_files)))
    with detached_worktrees(repo, count=jobs) as paths:
        queue = context.Queue()
        for path in paths:
            queue.put(str(path))
        cache_root = str(checkouts.root) if checkouts else None
        # A worker that dies (killed, out of memory) raises BrokenProcessPool here, before
        # anything is brought onto the branch.
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_worker_start,
                                 initargs=(queue, cache_root)) as pool:
            outcomes = list(pool.map(_worker_update, [(f, vcs_refs.get(f)) for f in answers_files]))
    touched = Counter(path for outcome in outcomes for path in outcome.paths)
    changed_here: set[str] = set()  # paths that updates redone in the repository changed
    batch: list[Outcome] = []

    def bring_back() -> bool:
        """Cherry-pick the batch's commits onto the branch; on trouble, redo them here."""
        picked, batch[:] = list(batch), []
        commits = [o.commit for o in picked if o.commit]
        before = git(repo, "rev-parse", "HEAD").strip()
        try:
            if commits:
                git(repo, "cherry-pick", "--no-rerere-autoupdate", *commits)
        except subprocess.CalledProcessError:
            # Disjoint paths make this unexpected. The repository was clean at `before`
            # (everything so far is committed): go back there and update these here.
            with contextlib.suppress(subprocess.CalledProcessError):
                git(repo, "cherry-pick", "--abort")
            git(repo, "reset", "-q", "--hard", before)
            return all(redo_here(o.answers_file) for o in picked)
        for outcome in picked:
            taken(outcome)
        return True

    def redo_here(answers_file: str) -> bool:
        before = git(repo, "rev-parse", "HEAD").strip()
        go_on = redo(answers_file)
        changed_here.update(git(repo, "diff", "--name-only", "-z", before, "HEAD").split("\0")[:-1])
        return go_on

    for outcome in outcomes:
        alone = all(touched[path] == 1 and path not in changed_here for path in outcome.paths)
        if outcome.status in ("updated", "unchanged") and alone:
            batch.append(outcome)
        elif not (bring_back() and redo_here(outcome.answers_file)):
            return False
    return bring_back()
