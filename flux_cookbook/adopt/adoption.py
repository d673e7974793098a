"""Adopting a repository in the two steps the command shows the user between: the plan
(every problem found before anything is written), then carrying it out, checked by
building what Flux builds before and after (build_check): a Flux Kustomization path that
built before adoption and no longer does, or no longer applies an object it applied,
undoes the adoption. A dry run carries it out
the same way in a scratch worktree, so that it refuses what the real run refuses."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

from flux_cookbook.adopt.carrying_out import carry_out, undo
from flux_cookbook.adopt.findings import AdoptError
from flux_cookbook.adopt.git_state import check_adoptable, ignored, read_git_info
from flux_cookbook.adopt.listings import unlisted
from flux_cookbook.adopt.plan import Plan, plan_adoption
from flux_cookbook.adopt.template_files import TemplateUnreachable, template_files
from flux_cookbook.extensions.template_source import absolute_src_path
from flux_cookbook.repository import build_check
from flux_cookbook.repository.worktrees import detached_worktrees


def planned(repo: Path, template: str) -> Plan:
    """What adopting `repo` with `template`'s release 1.0.0 writes and moves; AdoptError
    naming every problem, when `repo` cannot be adopted as it is."""
    check_adoptable(repo)
    try:
        with template_files(absolute_src_path(template)) as files:
            plan = plan_adoption(repo, template, read_git_info(repo), files)
    except TemplateUnreachable as error:
        raise AdoptError([str(error)]) from None
    written = [*plan.answers_files(), *plan.added, *(move.target for move in plan.moves),
               *(move.target for split in plan.splits for move in split.moves)]
    if hidden := ignored(repo, written):
        raise AdoptError(["the repository's .gitignore ignores files adopt would write, so the adoption could never "
                          "be committed (and update-all, which commits each update, would stop); let git see them "
                          "(a `!` line, e.g. `!.copier-answers*.yml`, or a narrower rule):", *hidden])
    return plan


def carried_out(plan: Plan) -> str:
    """Carry out `plan`; what the builds before and after found (build_check.summary).
    AdoptError, with the repository put back as it was, when carrying it out fails or a
    path that built no longer does."""
    before = build_check.build(plan.repo)
    try:
        carry_out(plan)
        after = build_check.build(plan.repo)
    except Exception as error:  # noqa: BLE001 - whatever stops it, nothing is left half-done
        undo(plan)
        what = str(error) if isinstance(error, (RuntimeError, OSError)) else f"{type(error).__name__}: {error}"
        raise AdoptError([f"carrying out the adoption failed, and it was undone: {what}"]) from None
    except BaseException:  # Ctrl-C: undone too, then it goes on stopping the run
        undo(plan)
        raise
    if broken := build_check.newly_broken(before, after):
        undo(plan)
        raise AdoptError(["these Flux Kustomization paths built before adoption and would no longer build:", *broken,
                          *unlisted(plan.repo, plan.renamed())])
    if lost := build_check.objects_lost(before, after):
        undo(plan)
        raise AdoptError(["these Flux Kustomization paths would no longer apply objects they apply now (Flux would "
                          "prune them):", *lost, *unlisted(plan.repo, plan.renamed())])
    return build_check.summary(before, after)


def tried(plan: Plan) -> str:
    """What `carried_out` finds for `plan`, carried out in a scratch worktree of the (clean)
    repository at HEAD, which is left as it is; AdoptError as `carried_out` raises it."""
    try:
        with detached_worktrees(plan.repo, prefix="flux-cookbook-adopt.") as (scratch,):
            return carried_out(dataclasses.replace(plan, repo=scratch))
    except subprocess.CalledProcessError as error:
        raise AdoptError([f"the dry run could not make a scratch worktree to carry it out in: {error.stderr.strip()}"]) from None
