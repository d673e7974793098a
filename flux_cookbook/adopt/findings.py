"""What planning an adoption finds: every problem, note and guess, collected before
anything is written, so that one run reports them all; and the moves it decides on."""

from __future__ import annotations

from dataclasses import dataclass, field


class AdoptError(Exception):
    """The repository cannot be adopted as it is; nothing was written (or what was, undone)."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Move:
    source: str
    target: str
    what: str  # the object it holds, e.g. "HelmRelease 'podinfo'"


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # Kustomizations that are not apps, with the reason
    guesses: list[str] = field(default_factory=list)  # answers guessed, and from what
    # Each object that moves to its template path, by (file, kind, name): apps that share
    # a Namespace or HelmRepository move it once. With its position among the file's documents.
    moves: dict[tuple[str, str, str], tuple[int, Move]] = field(default_factory=dict)
