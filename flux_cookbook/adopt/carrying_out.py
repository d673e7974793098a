"""Carrying out a plan: objects moved (`git mv`) and split out, staged so that they show in
`git status`, the kustomization entries naming them repointed (listings.py), the answers
and housekeeping files written; and the undo, which puts the
repository back as HEAD has it (adopt starts from a clean one)."""

from __future__ import annotations

from pathlib import Path

from flux_cookbook.adopt.answers import answers_text
from flux_cookbook.adopt.git_state import git
from flux_cookbook.adopt.plan import Plan


def staged(repo: Path, *args: str) -> None:
    done = git(repo, *args)
    if done.returncode:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")


def carry_out(plan: Plan) -> None:
    """Move and split the files (staged, so they show in `git status`) and write the answers files."""
    for move in plan.moves:
        (plan.repo / move.target).parent.mkdir(parents=True, exist_ok=True)
        staged(plan.repo, "mv", "--", move.source, move.target)
    for split in plan.splits:
        for move, text in zip(split.moves, split.texts):
            (plan.repo / move.target).parent.mkdir(parents=True, exist_ok=True)
            # Bytes: written as text, Python would turn the user's CRLF line ends into others.
            (plan.repo / move.target).write_bytes(text.encode("utf-8"))
        if split.rest is None:
            staged(plan.repo, "rm", "-q", "--", split.source)
        else:
            (plan.repo / split.source).write_bytes(split.rest.encode("utf-8"))
        staged(plan.repo, "add", "--", *(move.target for move in split.moves),
               *([split.source] if split.rest is not None else []))
    for name, text in plan.relisted.items():
        # Bytes: written as text, Python would turn the user's CRLF line ends into others.
        (plan.repo / name).write_bytes(text.encode("utf-8"))
    if plan.relisted:
        staged(plan.repo, "add", "--", *plan.relisted)
    for name, answers in plan.answers_files().items():
        (plan.repo / name).write_text(answers_text(answers), encoding="utf-8")
    for name, text in {**plan.added, **plan.extended}.items():
        (plan.repo / name).write_text(text, encoding="utf-8")


def undo(plan: Plan) -> None:
    """Put the (clean before adoption) repository back as HEAD has it."""
    git(plan.repo, "reset", "-q", "--hard", "HEAD")
    made = [move.target for split in plan.splits for move in split.moves]
    # Files adopt wrote that HEAD does not have (a split's new file is one only where
    # carrying out stopped before staging it; the reset removes the staged ones).
    for name in [*plan.answers_files(), *plan.added, *made]:
        (plan.repo / name).unlink(missing_ok=True)
    for target in [*(move.target for move in plan.moves), *made]:  # folders adopt made and the reset emptied
        folder = (plan.repo / target).parent
        while folder != plan.repo and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
