"""`flux-cookbook update-all`: the cluster and every app to the newest release, one commit each.

Each app has its own answers file, so a new release means one `copier update` per app,
and copier refuses a repository with uncommitted changes: this updates the cluster
(`.copier-answers.yml`) and then each app, committing after each one that changed
something, and reports every answers file. It stops at the first update that leaves
conflicts; run it again after resolving them to go on. The template comes from the
answers files (`_src_path`), so no checkout of it is needed.

It refuses to update to a commit that is not a release tag: copier then runs no versioned
migration, and a release that moves files would drop the edits in them. How many updates
are made fast (the template cloned once, migrations once per repository, apps in parallel
worktrees) is in bulk_update.py.

Ctrl-C (SIGINT) or SIGTERM ends the run cleanly: the workers are ended, worktrees and
temporary folders removed, a cherry-pick in progress aborted, and one line says what was
committed and what to run next (interruption.py).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path

from packaging.version import Version

from flux_cookbook import stops
from flux_cookbook.commands import SUMMARIES, add_trust_option
from flux_cookbook.errors import UserError
from flux_cookbook.extensions import answers_check, layout, repo_files
from flux_cookbook.extensions.template_source import is_remote
from flux_cookbook.repository import build_check, flux_build, flux_versions
from flux_cookbook.repository.lock import one_writer, require_branch, require_committed, require_no_index_lock
from flux_cookbook.repository.root import run_from_root
from flux_cookbook.template_runs import copier_run, template_clone, trust
from flux_cookbook.template_runs.copier_run import RELEASE_TAG
from flux_cookbook.update import bulk as bulk_update
from flux_cookbook.update import interruption
from flux_cookbook.update import scratch as update_scratch
from flux_cookbook.update.bulk import CLUSTER_ANSWERS, Outcome, git
from flux_cookbook.values import refresh as values_refresh

NAME = "update-all"
EXAMPLE = """example:
  cd my-cluster && git status        # must be clean
  flux-cookbook update-all           # cluster, then every app; one commit each
  flux-cookbook update-all --vcs-ref v2.1.1"""

# Below this many apps to update, worktrees and worker processes cost more than they save.
PARALLEL_FROM = 4


def positive_int(text: str) -> int:
    """--jobs: a whole number of at least 1 (argparse turns the error into exit 2)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of at least 1")
    return value


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        NAME, help=SUMMARIES[NAME][1],
        description=__doc__.split("\n\n")[0], epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("repo", nargs="?", default=".", type=Path, help="the cluster repository (default: .)")
    parser.add_argument("--vcs-ref", help="template release to update to (default: the newest tag)")
    parser.add_argument(
        "--jobs", type=positive_int, default=bulk_update.default_jobs(),
        help="apps updated at once, each in its own git worktree (default: the number of CPUs, at most 8)",
    )
    parser.add_argument(
        "--stash-interrupted", action="store_true",
        help="after a run killed while it updated the repository itself (SIGKILL, a job's timeout), stash what it "
             "left there (git stash) and go on, instead of refusing: for a scheduled job in a checkout it keeps",
    )
    add_trust_option(parser)
    parser.set_defaults(run=run)


def report(outcome: Outcome) -> bool:
    """Print what an update did, then what it printed (its notes, under the line naming
    its answers file); False when it stops the run (conflicts, or not updated)."""
    if not outcome.done:
        # Why it stopped, as copier and the migrations said it: with the error, on stderr.
        print_output(outcome, sys.stderr)
    if outcome.status == "conflicts":
        print(
            f"\n{outcome.answers_file}: the update left conflicts in:\n  " + "\n  ".join(outcome.conflicts)
            + "\nResolve them (keep your lines or the template's), then commit the whole update, its other"
            " changes too (`git add -A && git commit`), and run flux-cookbook update-all again to update the rest.",
            file=sys.stderr,
        )
        return False
    if not outcome.done:
        print(f"\n{outcome.answers_file}: {outcome.error}", file=sys.stderr)
        return False
    if outcome.status == "updated":
        print(f"{outcome.answers_file}: updated {outcome.what} to {outcome.reached}")
    else:
        print(f"{outcome.answers_file}: {outcome.what} already at {outcome.reached}, nothing to change")
    print_output(outcome, sys.stdout)
    return True


def print_output(outcome: Outcome, stream) -> None:
    """What the update printed (copier, the migrations), if anything, ending its last line."""
    if outcome.output:
        print(outcome.output, end="" if outcome.output.endswith("\n") else "\n", file=stream)


def update_here(run: bulk_update.Run, tasks: list[tuple[str, str | None]]) -> bool:
    """Update in the repository itself, in order; False once one stops the run."""
    return reported(run.update_in_place(tasks), tasks)


def list_as_reported(outcomes) -> list[Outcome]:
    """Report each outcome as it comes, up to the first that stops the run; those reported."""
    seen = []
    for outcome in outcomes:
        seen.append(outcome)
        go_on = report(outcome)
        sys.stdout.flush()  # before a worker prints what the next update says
        if not go_on:
            break
    return seen


def reported(outcomes, tasks: list[tuple[str, str | None]]) -> bool:
    """Report each outcome of `tasks` as it comes; False once one stops the run, whose
    answers files not reached are named too (every answers file is reported)."""
    seen = list_as_reported(outcomes)
    if all(outcome.done for outcome in seen):
        return True
    name_not_reached(tasks, seen[-1].answers_file)
    return False


def name_not_reached(tasks: list[tuple[str, str | None]], stopped_at: str) -> None:
    """Name the answers files of `tasks` after `stopped_at`, the update that stopped the run."""
    names = [name for name, _ in tasks]
    if stopped_at in names and (left := names[names.index(stopped_at) + 1:]):
        why = f"each app is updated after {stopped_at}" if stopped_at == CLUSTER_ANSWERS else \
            "update-all stops at the first update that does not finish"
        print(f"Not updated either, as {why}: {', '.join(left)}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    repo = args.repo.resolve()
    if not (repo / ".git").exists():
        raise UserError(f"{repo} is not the root of a git repository{run_from_root(repo)}")
    require_branch(repo)
    with one_writer(repo, NAME):
        return run_locked(repo, args)


def run_locked(repo: Path, args: argparse.Namespace) -> int:
    repo_files.require_inside(repo)
    require_no_index_lock(repo)  # before the recovery of a killed run, which writes with git too
    try:
        if note := interruption.recover(repo, stash=args.stash_interrupted):
            print(note, file=sys.stderr)
    except RuntimeError as error:
        raise UserError(str(error)) from None
    # A values refresh killed outright (the same job's previous step) left an app's files
    # written: put back as that refresh's next run would, the user's changes since kept.
    if note := values_refresh.recover(repo):
        print(note, file=sys.stderr)
    require_committed(repo)
    files = layout.answers_files(repo)
    if not files:
        raise UserError(
            f"{repo} has no copier answers files: make it with `flux-cookbook new`, or adopt it "
            "with `flux-cookbook adopt`"
        )
    # Each answers file read once, here: one that cannot be read is named before anything
    # runs. After the cluster's update only the releases recorded are read again (its
    # migration may rewrite the apps' answers).
    recorded = {name: copier_run.recorded_answers(repo, name) for name in files}
    if misnamed := misnamed_answers(recorded):
        raise UserError(answers_check.refusal(misnamed))
    sources = {name: str(answers["_src_path"]) for name, answers in recorded.items() if answers.get("_src_path")}
    trust.require_outside_repository(repo, sources)
    for note in trust.require_trusted_answers(sources, args.trust):
        print(f"note: {note}", file=sys.stderr)
    trust.require_released_commits({name: (str(answers.get("_src_path") or ""), str(answers.get("_commit") or ""))
                                    for name, answers in recorded.items()})
    started_at = build_check.head_commit(repo)
    done = None
    try:
        with stops.signals_raise():
            done = update_all(repo, recorded, args)
            builds = still_builds(repo, started_at)
    except stops.Interrupted as stop:
        print(interrupted_line(repo, started_at, stop, updated=done is not None), file=sys.stderr)
        return 128 + stop.signum
    if build_check.head_commit(repo) != started_at:
        for note in older_flux_notes(repo):
            print(note, file=sys.stderr)
    return 0 if builds and done else 1


def older_flux_notes(repo: Path) -> list[str]:
    """check's note for each cluster (a folder flux bootstrap syncs) whose
    gotk-components.yaml records an older Flux than the template writes for: what the
    updates wrote (current APIs, new fields) it refuses until Flux is upgraded there."""
    files = repo_files.listed_files(repo)
    clusters = set(flux_build.synced_dirs(repo))
    newest = flux_versions.FluxVersion("", "", flux_versions.NEWEST)
    versions = flux_versions.of_clusters(repo, files, clusters, newest, templated=True).values()
    return sorted({version.note() for version in versions if version.templated})


def interrupted_line(repo: Path, started_at: str, stop: stops.Interrupted, updated: bool = False) -> str:
    """What a stopped run says: what it committed, and what is left (`updated`: it was
    stopped in the build check, after the last update)."""
    subjects = git(repo, "log", "--format=%s", f"{started_at}..HEAD").splitlines()[::-1]
    made = [subject.removeprefix("Update ").split(" to template ")[0] for subject in subjects]
    committed = f"{len(made)} update(s) committed ({', '.join(made)})" if made else "nothing committed"
    left = ("the build check did not finish: `flux-cookbook check` runs it" if updated
            else "run `flux-cookbook update-all` again to update the rest")
    return f"flux-cookbook update-all: stopped by {signal.Signals(stop.signum).name}: {committed}; {left}."


def still_builds(repo: Path, started_at: str) -> bool:
    """Report what built at `started_at` (the commit before the updates) and no longer
    does; False when anything."""
    stops.checkpoint("build-check")  # the tests' stand-in for a stop in it
    after, broken = build_check.since(repo, started_at)
    if broken:
        # A file holding conflict markers is no YAML: what it declares reads as gone. One
        # holding a key twice (doubled_keys.py), kustomize refuses. Either is the update
        # update-all stopped at, left uncommitted.
        conflicted = bulk_update.conflicted_files(repo)
        doubled = bulk_update.doubled_key_files(repo)
        cause = "".join(f"\n({why}: {', '.join(paths)}.)" for why, paths in (
            ("Files left with conflicts are not YAML until you resolve them, so what they declare cannot build",
             conflicted),
            ("Files left with a key twice in one mapping do not build until you keep one", doubled)) if paths)
        print(
            "\nThese Flux Kustomization paths built before the update and no longer build as Flux builds them:\n  "
            + "\n  ".join(broken) + cause
            + "\nFix them before you push (" + ("the updates before the one with conflicts are committed, one per "
                                                   "answers file; that one is not" if conflicted or doubled else
                                                   "the updates are committed, one per answers file") + ").",
            file=sys.stderr,
        )
        return False
    print(build_check.summary(after, after))
    return True


def release_targets(source_of: dict[str, str], vcs_ref: str | None) -> dict[str, str | None]:
    """{answers file: the release the run updates it to}: --vcs-ref, else its template's
    newest release, which `git ls-remote` lists without fetching anything (None where git
    cannot reach the template that way)."""
    newest = {source: template_clone.newest_release(source) for source in set(source_of.values()) - {""}} \
        if not vcs_ref else {}
    return {name: vcs_ref or newest.get(source) for name, source in source_of.items()}


def require_identity(repo: Path) -> None:
    """UserError unless git can commit here (a name and an email for author and committer),
    asked before the first update: each ends in a commit, and one that git refuses would
    leave the update staged. A run with nothing to update commits nothing and needs none."""
    for who in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        done = subprocess.run(["git", "var", who], cwd=repo, capture_output=True, text=True, check=False)
        if done.returncode:
            raise UserError(
                "git has no name and email to commit the updates as (in a scheduled job, set them, e.g. "
                "`git config user.name \"flux-cookbook\"` and `git config user.email \"bot@example.com\"`); "
                f"nothing was changed.\n{done.stderr.strip()}"
            )


def misread_answers(to_update: dict[str, dict], targets: dict[str, str | None], source_of: dict[str, str],
                    clones: dict[str, Path]) -> dict[str, list[str]]:
    """{answers file: its answers the release it is about to be updated to would drop without
    a word (a misspelt key, a choice none of the choices)}, by that release's copier.yml,
    asked before any update runs."""
    def config(clone: Path, ref: str | None) -> dict | None:
        text = template_clone.file_at(clone, ref, "copier.yml") if ref else None
        return answers_check.parsed_config(text) if text is not None else None

    # What the newest release asks is no mistake in a file updated to an older one.
    later = {clone: frozenset(map(str, config(clone, template_clone.newest_release(clone)) or {}))
             for clone in clones.values()}
    releases = {(clones[source_of[name]], targets[name]) for name in to_update
                if source_of[name] in clones and targets[name]}
    questions = {release: config(*release) for release in releases}  # each release's copier.yml read once
    misread = {}
    for name, answers in to_update.items():
        clone, target = clones.get(source_of[name]), targets[name]
        if questions.get((clone, target)) is None:
            continue  # copier reaches the template itself, and says what is wrong with it
        if found := answers_check.problems(answers, questions[clone, target], later[clone]):
            misread[name] = found
    return misread


def downgrades(to_update: dict[str, dict], targets: dict[str, str | None]) -> list[str]:
    """'<answers file>: <its release> -> <the older one>' for each the run would take back."""
    found = []
    for name, answers in to_update.items():
        recorded, target = str(answers.get("_commit") or ""), str(targets[name] or "")
        if RELEASE_TAG.match(recorded) and RELEASE_TAG.match(target) and Version(target.lstrip("v")) < Version(recorded.lstrip("v")):
            found.append(f"{name}: {recorded} -> {target}")
    return found


def misnamed_answers(recorded: dict[str, dict]) -> dict[str, list[str]]:
    """{answers file: what it holds that contradicts its name (answers_check.file_problems)}."""
    return {name: found for name, answers in recorded.items() if (found := answers_check.file_problems(name, answers))}


def update_all(repo: Path, recorded: dict[str, dict], args: argparse.Namespace) -> bool:
    """Update every answers file (`recorded`: their answers, the cluster's first)."""
    files = list(recorded)
    source_of = {name: str(answers.get("_src_path") or "") for name, answers in recorded.items()}
    targets = release_targets(source_of, args.vcs_ref)
    if all(target and str(recorded[name].get("_commit", "")) == target for name, target in targets.items()):
        # What a scheduled run meets most days: no temporary folder, no clone, no copier
        # (an update within a release changes nothing: no migration runs within one).
        for name in files:
            report(Outcome(name, "unchanged", targets[name]))
        return True
    to_update = {name: answers for name, answers in recorded.items() if str(answers.get("_commit", "")) != targets[name]}
    if backwards := downgrades(to_update, targets):
        raise UserError("update-all goes forward only (copier does not downgrade), and --vcs-ref names a release "
                        "older than these record:\n  " + "\n  ".join(backwards) + "\nNothing was changed.")
    if outside := copier_run.values_sources_outside(repo, to_update):
        raise UserError(
            "update-all reads nothing outside the repository, and updating these would have the template read a "
            "file outside it, the chart values each app was made from:\n  " + "\n  ".join(outside) + "\nNothing was "
            "changed. Copy the chart or values file into the repository and record it there, by hand (copier then "
            "reads what you give it): `copier update --trust --defaults -a <answers file> -d values_source=<its path "
            "in the repository>`, committing after each (copier updates a repository with nothing uncommitted only)."
        )
    scratch = update_scratch.folder(repo, args.jobs, prefix="flux-cookbook-update-all.")
    record = interruption.RunRecord(repo)
    record.add("folders", scratch)
    try:
        sources = set(source_of.values()) - {""}
        clones = template_clone.clone_all(sources, scratch)
        run = bulk_update.Run(repo, template_clone.git_environment(clones), record, scratch)

        # A template git reached only by cloning (one asking for credentials): its newest
        # release from the clone.
        for name, target in targets.items():
            if target is None and source_of[name] in clones:
                targets[name] = template_clone.newest_release(clones[source_of[name]])

        if misread := misread_answers(to_update, targets, source_of, clones):
            raise UserError(answers_check.refusal(misread))

        # Only the files copier reads, where every update goes from a release to a release.
        # One set of refs for every clone: git may send one spelling of a template to the
        # clone of another (template_clone.git_environment).
        checked_out = {str(answers.get("_commit", "")) for answers in recorded.values()} | {str(target) for target in targets.values()}
        for source, path in clones.items():
            if not is_remote(source):
                template_clone.slim_releases(path, checked_out)

        # The first one (the cluster) in the repository itself: a release's migration runs
        # there, over the whole repository, before any app is updated.
        first, rest = files[0], files[1:]
        first_target = targets[first]
        cluster_current = bool(first_target) and str(recorded[first].get("_commit", "")) == first_target
        if cluster_current:
            # Already there: copier would render the same release twice and change nothing
            # (no migration runs within a release), so a run with no new release starts no
            # copier at all, which is what a scheduled run meets most days.
            report(Outcome(first, "unchanged", first_target))
        else:
            require_identity(repo)
            # Apps that would be updated in place after it go in the same worker, one process
            # instead of two; it passes over those the cluster's update brought to its release.
            along = rest if first == CLUSTER_ANSWERS and (args.jobs <= 1 or len(rest) < PARALLEL_FROM) else []
            tasks = [(first, first_target)] + [(name, targets[name]) for name in along]
            outcomes = list_as_reported(run.update_in_place(tasks, after_cluster=bool(along)))
            if not all(outcome.done for outcome in outcomes):
                name_not_reached([(first, first_target)] + [(name, targets[name]) for name in rest],
                                 outcomes[-1].answers_file)
                return False
            if along:
                return True
        stops.checkpoint("cluster-updated")
        # Apps already at the release the cluster just reached need no second look.
        current = {name: reached for name in rest if (reached := bulk_update.at_the_clusters_release(repo, first, name))}
        for name, reached in current.items():
            report(Outcome(name, "unchanged", reached))
        tasks = [(name, targets[name]) for name in rest if name not in current]
        if tasks and cluster_current:
            require_identity(repo)  # not asked yet: the cluster needed no update
        if args.jobs > 1 and len(tasks) >= PARALLEL_FROM:
            return reported(bulk_update.update_in_parallel(run, tasks, args.jobs), tasks)
        return update_here(run, tasks)
    finally:
        interruption.clean_up(repo, record.state)
        record.remove()

