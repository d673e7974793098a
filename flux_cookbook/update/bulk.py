"""Many `copier update`s in one run, for `flux-cookbook update-all`, with copier's public API.

Every app has its own answers file, so a release means one `copier update` per app, and
copier refuses a dirty repository, so each update is committed before the next. Each update
is copier's own `copier.run_update`, as `copier update --trust --defaults` runs it. What
makes many of them fast is the design around it, never a change to copier:

1. The template is cloned once per run (template_clone.py) and copier's own clones copy
   from that local clone (git's `insteadOf`, in the workers' environment).
2. A release's migration runs once per repository: the cluster is updated first, and its
   update migrates the whole repository; an app's update then starts no migration process
   unless it has something of its own to do (extensions/migrations/__init__.py, `due`).
3. Apps in parallel worker processes (update_worker.py), each updating its share of the
   apps in its own `git worktree` (copier needs a clean repository, and the git index is
   one per worktree) and committing each app there. The parent then cherry-picks the
   commits onto the branch in the order a sequential run would make them. A result that
   touches a path another result also touches, that failed, that left conflicts, or that
   rendered a git-ignored file (the worktree lacks the repository's ignored files) is not
   taken: that app is updated again in the repository itself, in its turn, exactly as a
   sequential run would (so conflicts and errors are met, reported and left the same way).
   What a worker's update prints (migration notes) is printed when its result is taken.

Updates in the repository itself run in a worker process too (`in_place`), so that
copier runs with the clone's git settings in its environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flux_cookbook import stops
from flux_cookbook.errors import UserError
from flux_cookbook.extensions import layout
from flux_cookbook.repository.worktrees import NO_HOOKS, git_said
from flux_cookbook.template_runs import copier_run
from flux_cookbook.update import interruption

CLUSTER_ANSWERS = layout.CLUSTER_ANSWERS


def git(repo: Path, *args: str, input: str | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True, input=input
    ).stdout


def describe(answers_file: str) -> str:
    """"cluster" or "app <name>", as commit messages and reports name an answers file."""
    app = layout.app_of_answers_file(answers_file)
    return f"app {app}" if app else "cluster"


def recorded_answers(repo: Path, answers_file: str) -> dict:
    """The answers, or {} where the file cannot be read (update-all named why before any
    update, through copier_run.recorded_answers; an update may remove a file)."""
    try:
        return copier_run.recorded_answers(repo, answers_file)
    except UserError:
        return {}


def recorded_commit(repo: Path, answers_file: str) -> str:
    return str(recorded_answers(repo, answers_file).get("_commit", ""))


def at_the_clusters_release(repo: Path, first: str, name: str) -> str:
    """The release the cluster's answers file (`first`) records, where the app's answers
    file `name` records it too, else "": after the cluster's update (whose migration may
    bring an app there), such an app needs no copier."""
    reached = recorded_commit(repo, first) if first == CLUSTER_ANSWERS else ""
    return reached if reached and recorded_commit(repo, name) == reached else ""


def conflicted_files(repo: Path) -> list[str]:
    return [name for name in git(repo, "diff", "--name-only", "--diff-filter=U").splitlines() if name]


def doubled_key_files(repo: Path) -> list[str]:
    """The files the update left with a key twice in one mapping (doubled_keys.py)."""
    from flux_cookbook.extensions.migrations import doubled_keys

    return list(doubled_keys.doubled(repo))


class NotARelease(ValueError):
    pass


class WorktreeRefused(RuntimeError):
    """git refused to add a worktree for the workers (its worktrees folder cannot be written)."""


class CommitRefused(ValueError):
    """git refused the update's commit (a hook, commit signing): the update was undone."""


@dataclass
class Outcome:
    """What updating one answers file did."""

    answers_file: str
    status: str  # "updated", "unchanged", "conflicts", "failed", "stopped" (not a release)
    reached: str = ""  # the release the answers file records afterwards
    conflicts: list[str] = field(default_factory=list)
    error: str = ""
    commit: str = ""  # the commit made (in a worker: in its worktree)
    paths: list[str] = field(default_factory=list)  # what that commit changed
    output: str = ""  # what the update printed (migration notes)

    @property
    def what(self) -> str:
        return describe(self.answers_file)

    @property
    def done(self) -> bool:
        return self.status in ("updated", "unchanged")


def undo(repo: Path) -> None:
    """Drop what an update changed. The repository was clean before it (no file git does
    not track either): HEAD holds all of the user's work."""
    git(repo, "reset", "-q", "--hard", "HEAD")
    git(repo, "clean", "-q", "-fd")


def update_one(repo: Path, answers_file: str, vcs_ref: str | None) -> Outcome:
    """`copier update` one answers file in `repo` (clean) and commit what it changed.

    Raises NotARelease when the update reached a commit that is not a release tag, and
    CommitRefused when git refuses the commit (each after putting the repository back),
    and whatever copier raises. On conflicts nothing is committed and they are left for
    the user.
    """
    import copier

    # Started in the repository, as a user runs `copier update`: the template reads a
    # values_source in the repository from there where copier renders in empty folders
    # (extensions/chart_values.py).
    started = os.getcwd()
    os.chdir(repo)
    try:
        copier.run_update(
            repo, answers_file=answers_file, vcs_ref=vcs_ref, defaults=True, unsafe=True, overwrite=True, quiet=True
        )
    finally:
        os.chdir(started)
    reached = recorded_commit(repo, answers_file)
    if not copier_run.RELEASE_TAG.match(reached):
        undo(repo)
        raise NotARelease(
            f"the update went to template commit {reached}, which is not a release tag (a template clone "
            "without its tags has none), so copier would skip the migrations; nothing was changed. Update to a "
            "release: --vcs-ref vX.Y.Z"
        )
    if conflicted_files(repo):
        # The release's own after-step settled the conflicts it knew how to (a release
        # before 3.0.0, none); this command's settles those where the user already has the
        # release's change (a comment line above it), whatever release the update went to.
        # Those left are named with the outcome, once (the release's step named them too).
        from flux_cookbook.extensions.migrations import line_ends_kept, settle_conflicts, v3_1_0, values_kept

        settle_conflicts.after(repo, v3_1_0.as_stepped(repo, answers_file), name_left=False)
        # As every update's after stage does after it: values a CRLF file's line merge gave
        # the placeholder are put back, and CRLF files stay CRLF.
        values_kept.after(repo, answers_file)
        line_ends_kept.after(repo)
    if conflicted := conflicted_files(repo):
        return Outcome(answers_file, "conflicts", reached, conflicts=conflicted)
    from flux_cookbook.extensions.migrations import doubled_keys

    if doubled := doubled_keys.doubled(repo):
        # A conflict in all but name (doubled_keys.py): left for the user, as one is.
        return Outcome(answers_file, "conflicts", reached,
                       conflicts=[f"{path}: {', '.join(keys)} twice in one mapping" for path, keys in doubled.items()])
    # The repository was clean, so every file git does not track is one this update wrote:
    # a folder that lists its files by hand gets it listed, as `add` does, or Flux would
    # never apply it (the builds still pass, so the build check would not tell).
    if new := set(git(repo, "ls-files", "-z", "--others", "--exclude-standard").split("\0")) - {""}:
        from flux_cookbook.template_runs import new_files_listed  # the repository's model: only when needed

        listed, left = new_files_listed.list_new_files(repo, new)
        for note in listed + left:
            print(f"  {note}")
    git(repo, "add", "-A")
    if not git(repo, "status", "--porcelain"):
        return Outcome(answers_file, "unchanged", reached)
    try:
        git(repo, "commit", "-q", "-m", f"Update {describe(answers_file)} to template {reached}")
    except subprocess.CalledProcessError as error:
        undo(repo)
        raise CommitRefused(
            f"git refused to commit it, so it was undone and nothing was changed: {(error.stderr or '').strip()}\n"
            "Make `git commit` work here (its hooks, its signing) and run flux-cookbook update-all again."
        ) from None
    return Outcome(answers_file, "updated", reached, commit=git(repo, "rev-parse", "HEAD").strip())


def default_jobs() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


# --- worker processes -------------------------------------------------------------------------


def worker_environment(env: dict[str, str]) -> dict[str, str]:
    """`env`, with this process's own flux_cookbook first on the path: workers run the
    same code as the command that starts them (a checkout's, or the installed one)."""
    import flux_cookbook

    here = str(Path(flux_cookbook.__file__).resolve().parent.parent)
    return {**env, "PYTHONPATH": os.pathsep.join(filter(None, [here, env.get("PYTHONPATH")]))}


@dataclass
class Run:
    """One update-all run: its repository, the git settings its workers need, its record."""

    repo: Path
    env: dict[str, str]
    record: interruption.RunRecord
    scratch: Path  # this run's temporary folder (job files, results, worktrees)

    def start_worker(self, repo: Path, tasks: list[tuple[str, str | None]], in_place: bool,
                     results: str | int, after_cluster: bool = False) -> subprocess.Popen:
        """A worker (update_worker.py); `results`: a file's path, or a pipe's end to inherit;
        `after_cluster`: the first task is the cluster's (worker.py)."""
        descriptor, name = tempfile.mkstemp(prefix="job.", suffix=".json", dir=self.scratch)
        os.close(descriptor)  # written below by name; left open, each worker's job kept one descriptor
        job = Path(name)
        where = f"fd:{results}" if isinstance(results, int) else results
        job.write_text(json.dumps({"repo": str(repo), "tasks": tasks, "in_place": in_place, "results": where,
                                   "after_cluster": after_cluster, "parent": os.getpid()}))
        sys.stdout.flush()  # what this process printed comes before what the worker prints
        sys.stderr.flush()
        # copier's temporary clones and renders, and the migrations' files, go inside this
        # run's folder: a worker ended in the middle of an update (Ctrl-C, or killed) leaves
        # them there, and they are removed with it.
        temporary = self.scratch / "tmp"
        temporary.mkdir(exist_ok=True)
        # A process group of its own: Ctrl-C reaches update-all alone, which ends the group.
        with stops.signals_deferred():
            process = subprocess.Popen(
                [sys.executable, "-m", interruption.WORKER_MODULE, str(job)],
                env={**worker_environment(self.env), "TMPDIR": str(temporary)},
                start_new_session=True,
                pass_fds=(results,) if isinstance(results, int) else (),
            )
            stops.checkpoint("worker-started")
            self.record.add("groups", process.pid)
        return process

    def update_in_place(self, tasks: list[tuple[str, str | None]], after_cluster: bool = False) -> Iterator[Outcome]:
        """Update in the repository itself, in order, yielding each outcome as it comes;
        the worker stops after the first that is not done. `after_cluster`: the first task
        is the cluster's, and an app its update brought to its release is left unchanged."""
        if not tasks:
            return  # no worker to start: a scheduled run on an up-to-date repository
        self.record.set("in_place_from", git(self.repo, "rev-parse", "HEAD").strip())
        read_end, write_end = os.pipe()
        try:
            process = self.start_worker(self.repo, tasks, in_place=True, results=write_end, after_cluster=after_cluster)
        finally:
            os.close(write_end)
        try:
            reported = 0
            with os.fdopen(read_end, encoding="utf-8") as outcomes:
                for line in outcomes:
                    outcome = Outcome(**json.loads(line))
                    reported += 1
                    # This one is over: an interruption from here on keeps what it did (its
                    # commit, or the conflicts it left for the user).
                    self.record.set("in_place_from",
                                    git(self.repo, "rev-parse", "HEAD").strip() if outcome.done else None)
                    yield outcome
                    if not outcome.done:
                        return  # the worker stops there too
            code = process.wait()
            if reported < len(tasks):
                # The worker ended before it said how the next update went: that update failed.
                yield Outcome(tasks[reported][0], "failed", error=f"update failed: its worker process ended (exit code {code})")
            self.record.set("in_place_from", None)
        finally:
            if process.poll() is None:
                interruption.end_group(process.pid)
                process.wait()
            interruption.wait_group_gone(process.pid)

    def update_in_worktrees(self, tasks: list[tuple[str, str | None]], jobs: int) -> list[Outcome]:
        """Each task in one of `jobs` worktrees at HEAD; the outcomes in the tasks' order.
        A task a worker did not report (it died) is a failed outcome: redone in place."""
        shares = [tasks[index::jobs] for index in range(jobs)]
        worktrees, processes, results = [], [], []
        try:
            for index, share in enumerate(shares):
                path = self.scratch / f"worktree-{index}"
                self.record.add("worktrees", path)  # first: git locks a worktree while it adds it
                try:
                    git(self.repo, *NO_HOOKS, "worktree", "add", "-q", "--detach", str(path), "HEAD")
                except subprocess.CalledProcessError as error:
                    raise WorktreeRefused(f"git could not add a worktree ({git_said(error)})") from None
                worktrees.append(path)
                results.append(self.scratch / f"results-{index}.jsonl")
                processes.append(self.start_worker(path, share, in_place=False, results=str(results[-1])))
            stops.checkpoint("workers-started")
            for process in processes:
                process.wait()
        finally:
            for process in processes:
                if process.poll() is None:
                    interruption.end_group(process.pid)
                    process.wait()
                interruption.wait_group_gone(process.pid)
        reported: dict[str, Outcome] = {}
        for path in results:
            for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
                outcome = Outcome(**json.loads(line))
                reported[outcome.answers_file] = outcome
        return [reported.get(name) or Outcome(name, "failed", error="its worker ended without a result")
                for name, _ in tasks]

    def remove_worktrees(self) -> None:
        interruption.remove_worktrees(self.repo, self.record.state["worktrees"])
        self.record.set("worktrees", [])


def update_in_parallel(run: Run, tasks: list[tuple[str, str | None]], jobs: int) -> Iterator[Outcome]:
    """Update `tasks` (answers file, release), in this order, with `jobs` worker processes;
    yield each outcome in that order, as a sequential run would meet them.

    A worker's result is yielded once its commit is on the branch. An answers file whose
    result is not taken is updated again in the repository itself, in its turn, and that
    outcome is yielded instead; the run ends after the first of those that is not done
    (conflicts, a failure), leaving what follows as it was.
    """
    repo = run.repo
    try:
        outcomes = run.update_in_worktrees(tasks, max(1, min(jobs, len(tasks))))
    except WorktreeRefused as refused:
        # git cannot add a worktree here: the updates need none, only the parallel workers do.
        print(f"  {refused}: the apps are updated one after another in the repository itself")
        outcomes = None
    finally:
        run.remove_worktrees()  # their commits stay in the object store, for the cherry-picks
    if outcomes is None:
        yield from run.update_in_place(tasks)
        return
    refs = dict(tasks)
    touched = Counter(path for outcome in outcomes for path in outcome.paths)
    changed_here: set[str] = set()  # paths that updates redone in the repository changed
    batch: list[Outcome] = []
    stopped = False

    def redo_here(answers_file: str) -> Iterator[Outcome]:
        nonlocal stopped
        before = git(repo, "rev-parse", "HEAD").strip()
        for outcome in run.update_in_place([(answers_file, refs[answers_file])]):
            stopped = stopped or not outcome.done
            yield outcome
        changed_here.update(git(repo, "diff", "--name-only", "-z", before, "HEAD").split("\0")[:-1])

    def bring_back() -> Iterator[Outcome]:
        """Cherry-pick the batch's commits onto the branch; on trouble, redo them here."""
        picked, batch[:] = list(batch), []
        commits = [o.commit for o in picked if o.commit]
        before = git(repo, "rev-parse", "HEAD").strip()
        try:
            if commits:
                stops.checkpoint("cherry-pick")
                git(repo, "cherry-pick", "--no-rerere-autoupdate", *commits)
        except subprocess.CalledProcessError:
            # Disjoint paths make this unexpected. The repository was clean at `before`
            # (everything so far is committed): go back there and update these here.
            interruption.abort_cherry_pick(repo)
            git(repo, "reset", "-q", "--hard", before)
            for outcome in picked:
                yield from redo_here(outcome.answers_file)
                if stopped:
                    return
            return
        yield from picked

    for outcome in outcomes:
        alone = all(touched[path] == 1 and path not in changed_here for path in outcome.paths)
        if outcome.done and alone:
            batch.append(outcome)
            continue
        yield from bring_back()
        if stopped:
            return
        yield from redo_here(outcome.answers_file)
        if stopped:
            return
    yield from bring_back()
