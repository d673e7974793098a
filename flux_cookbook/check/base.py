"""`flux-cookbook check --base REF`: what a change (a pull request) does, against REF.

Both the working tree and REF (checked out in a temporary detached worktree) are checked
as `check` checks them; the change is answerable only for what it adds:
- the problems the working tree has that REF has not (matched by file, rule and message,
  not line, nor the line numbers a message names: an edit above a problem moves it
  without making it new), and
- for each Flux Kustomization (cluster, namespace, name) whose build output differs, the
  objects it applies that were added, removed or changed.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from flux_cookbook.check.problems import ERROR, Problem, printable
from flux_cookbook.check.run import NotFluxRepository, Report, check_repository
from flux_cookbook.errors import UserError
from flux_cookbook.repository.flux_build import applied_by_identity
from flux_cookbook.repository.worktrees import detached_worktrees, git_said


@dataclass(frozen=True)
class Changed:
    """What one Flux Kustomization applies differently: object labels added, removed, changed."""

    kustomization: str  # "namespace/name"; "" for the folder `check --path` follows on its own
    path: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    def label(self) -> str:
        return f"Kustomization {self.kustomization} (path {self.path})" if self.kustomization \
            else f"the folder {self.path}/ (--path)"


@dataclass(frozen=True)
class BaseReport:
    base: str  # the REF as given
    report: Report  # the working tree's
    added: tuple[Problem, ...]  # its problems REF has not
    changes: tuple[Changed, ...] = field(default=())
    built: bool = True  # False with --no-build: what each Kustomization applies was not compared

    @property
    def errors(self) -> int:
        return sum(problem.severity == ERROR for problem in self.added)

    @property
    def warnings(self) -> int:
        return len(self.added) - self.errors

    def summary(self) -> str:
        changed, followed = len(self.changes), len(self.report.kustomizations)
        applied = (f"{changed} Flux Kustomization{'s apply' if changed != 1 else ' applies'} something else" if self.built
                   else "what each Flux Kustomization applies was not compared (--no-build builds nothing)")
        return (f"{self.errors} new error{'s' * (self.errors != 1)}, {self.warnings} new warning{'s' * (self.warnings != 1)} "
                f"against {self.base}; {applied}; followed {followed} Flux Kustomization{'s' * (followed != 1)}")


def _commit(repo: Path, ref: str) -> str:
    done = subprocess.run(["git", "rev-parse", "--verify", "-q", f"{ref}^{{commit}}"], cwd=repo,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise UserError(f"--base {ref}: not a commit of {repo} (fetch it first, e.g. git fetch origin {ref})")
    return done.stdout.strip()


def _top(repo: Path) -> tuple[Path, str]:
    """(the git work tree's root, `repo`'s folder inside it)."""
    done = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=repo, capture_output=True, text=True)
    if done.returncode != 0:
        raise UserError(f"--base needs a git repository: {repo} is not in one")
    top = Path(done.stdout.strip())
    return top, Path(repo).resolve().relative_to(top.resolve()).as_posix()


# A line number a message names ("duplicate key 'interval' (first at line 16)") moves with
# an edit above it, as the problem's own line does: neither makes the problem new.
_LINE_NUMBER = re.compile(r"\b(lines?) \d+(?:-\d+)?")


def _unplaced(problem: Problem) -> tuple[str, str, str]:
    return (problem.path, problem.rule, _LINE_NUMBER.sub(r"\1 N", problem.message))


def new_problems(before: Report, after: Report) -> list[Problem]:
    """The problems of `after` that `before` has not, as many times as they are new."""
    left = Counter(_unplaced(problem) for problem in before.problems)
    added = []
    for problem in after.problems:
        if left[_unplaced(problem)] > 0:
            left[_unplaced(problem)] -= 1
        else:
            added.append(problem)
    return added


def _key(kustomization) -> tuple[str, str]:
    return ("" if kustomization.stand_in else kustomization.ref, kustomization.path)


def _outputs(report: Report) -> dict[tuple[str, str], str]:
    """(namespace/name, path) -> build output of each Kustomization followed and built."""
    return {_key(k): output for k, output in report.outputs}


def _followed(report: Report) -> set[tuple[str, str]]:
    return {_key(k) for k in report.kustomizations}


def changed_outputs(before: Report, after: Report) -> list[Changed]:
    """Each Kustomization whose build output differs, with the objects that differ. One
    followed on both sides but built on one only (its build failed, or was refused: that
    is a problem of its own) applies what is unknown there, not nothing: not compared."""
    old, new = _outputs(before), _outputs(after)
    followed_before, followed_after = _followed(before), _followed(after)
    changes = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key) or (key in followed_before and key in followed_after
                                            and (key not in old or key not in new)):
            continue
        was, now = applied_by_identity(old.get(key, "")), applied_by_identity(new.get(key, ""))
        changes.append(Changed(key[0], key[1] or ".",
                               tuple(sorted(set(now) - set(was))), tuple(sorted(set(was) - set(now))),
                               tuple(sorted(label for label in set(was) & set(now) if was[label] != now[label]))))
    return changes


def check_against(repo: Path, base: str, build: bool = True, start_dir: str | None = None) -> BaseReport:
    repo = Path(repo)
    top, inside = _top(repo)
    commit = _commit(repo, base)
    # A path whose folder the change leaves as it was builds alike on both sides: built once
    # (flux_build.REMEMBERED).
    after = check_repository(repo, build=build, start_dir=start_dir)
    with contextlib.ExitStack() as stack:
        try:
            (then,) = stack.enter_context(detached_worktrees(top, commit, prefix="flux-cookbook-base."))
        except subprocess.CalledProcessError as error:
            # git cannot add a worktree here (its worktrees folder cannot be written).
            raise UserError(f"--base {base}: git could not check it out in a temporary worktree: "
                            f"{git_said(error)}") from error
        folder = then / inside if inside != "." else then
        try:
            before = check_repository(folder, build=build, start_dir=start_dir) if folder.is_dir() else None
        except NotFluxRepository:
            before = None  # the pull request that adds the cluster (REF held a README)
    if before is None:  # the folder is new since REF, or held no Flux: everything is the change's
        return BaseReport(base, after, after.problems, tuple(changed_outputs(Report((), 0, 0.0), after)), built=build)
    return BaseReport(base, after, tuple(new_problems(before, after)), tuple(changed_outputs(before, after)), built=build)


def markdown(result: BaseReport) -> str:
    """A pull request comment: the new problems, then what each Kustomization applies differently."""
    title = f"against `{result.base}`" if result.base else "of the repository"
    lines = [f"### flux-cookbook check {title}", "", result.summary() if result.base else result.report.summary(), ""]
    if result.added:
        lines += ["| | file | rule | problem |", "|---|---|---|---|"]
        for problem in result.added:
            mark = ":x:" if problem.severity == ERROR else ":warning:"
            message, path = (printable(text).replace("|", "\\|") for text in (problem.message, problem.path))
            lines.append(f"| {mark} | `{path}:{problem.line}` | {problem.rule} | {message} |")
        lines.append("")
    for change in result.changes:
        lines.append(f"**Kustomization {change.kustomization}** (`{change.path}`)" if change.kustomization
                     else f"**The folder `{change.path}/`** (--path)")
        # The sign in a code span: `- + x` and `- - x` are nested list items in Markdown.
        for sign, labels in (("+", change.added), ("-", change.removed), ("~", change.changed)):
            lines += [f"- `{sign}` {label}" for label in labels]
        lines.append("")
    # What the check could not follow or assumed: a reviewer learns what went unchecked.
    lines += [f"> {line}" for line in result.report.note_lines()]
    return "\n".join(lines).rstrip() + "\n"


def text(result: BaseReport) -> str:
    lines = [str(problem) for problem in result.added]
    for change in result.changes:
        lines.append(f"{change.label()} applies something else:")
        for sign, labels in (("+", change.added), ("-", change.removed), ("~", change.changed)):
            lines += [f"  {sign} {label}" for label in labels]
    lines += result.report.note_lines()
    lines.append(result.summary())
    return "\n".join(lines) + "\n"
