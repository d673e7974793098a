"""What adopting a repository writes and moves, every problem collected before anything
is written: the apps (apps.py), their answers and the cluster's (answers.py), where each
object goes (placement.py), the housekeeping files (housekeeping.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flux_cookbook.adopt.answers import (
    APP_KEYS,
    CLUSTER_KEYS,
    app_answer_errors,
    app_answers,
    cluster_answer_errors,
    cluster_answers,
    pinned,
)
from flux_cookbook.adopt.apps import App, find_apps
from flux_cookbook.adopt.findings import AdoptError, Findings, Move
from flux_cookbook.adopt.git_state import GitInfo
from flux_cookbook.adopt.housekeeping import housekeeping_files, template_error
from flux_cookbook.adopt.listings import relisted
from flux_cookbook.adopt.placement import Placer, Split
from flux_cookbook.adopt.reading import read_hand_made
from flux_cookbook.adopt.template_files import TemplateFiles
from flux_cookbook.adopt.yaml_split import SplitRefused
from flux_cookbook.extensions import layout
from flux_cookbook.extensions.template_source import absolute_src_path


@dataclass
class Plan:
    """What adopting a repository writes and moves, and what it leaves alone."""

    repo: Path
    bootstrap_dir: str
    cluster: dict
    apps: dict[str, dict]  # app name -> answers
    moves: list[Move]
    kept: list[str]  # Kustomizations that are not apps, with the reason
    notes: list[str]
    guesses: list[str] = field(default_factory=list)  # answers guessed, and from what
    added: dict[str, str] = field(default_factory=dict)  # housekeeping file -> its text
    extended: dict[str, str] = field(default_factory=dict)  # a file of the user's -> its new text
    splits: list[Split] = field(default_factory=list)
    relisted: dict[str, str] = field(default_factory=dict)  # a kustomization file -> its entries repointed
    relisted_entries: list[str] = field(default_factory=list)  # "file: old -> new", one per entry

    def renamed(self) -> dict[str, tuple[str, ...]]:
        """Each file adopt moves or takes apart (nothing left of it) -> where its objects go."""
        renamed = {move.source: (move.target,) for move in self.moves}
        renamed.update((split.source, tuple(move.target for move in split.moves))
                       for split in self.splits if split.rest is None)
        return renamed

    def answers_files(self) -> dict[str, dict]:
        files = {layout.CLUSTER_ANSWERS: self.cluster}
        files.update((layout.app_answers_file(name), answers) for name, answers in self.apps.items())
        return files


def plan_adoption(root: Path, template: str, git: GitInfo, files: TemplateFiles | None = None) -> Plan:
    """Everything adopting `root` writes and moves; raises AdoptError listing every problem.

    `files`: the template's git repository, for the housekeeping files and the check that
    it has release 1.0.0; without it neither is looked at (a note says what is missing).
    """
    hand = read_hand_made(root)
    findings = Findings(notes=hand.unreadable() + hand.other_clusters())
    placer = Placer(hand, findings)
    src_path = absolute_src_path(template)
    apps = find_apps(hand, findings)
    answers = {name: app_answers(app, placer, findings) for name, app in apps.items()}
    cluster = cluster_answers(hand, apps, answers, git, findings)
    findings.problems.extend(_apps_folder_problems(root, apps))
    added, extended = housekeeping_files(root, files, findings)
    for app_answers_ in answers.values():
        findings.problems.extend(app_answer_errors(app_answers_))
    findings.problems.extend(cluster_answer_errors(cluster))
    if error := template_error(src_path, files):
        findings.problems.append(error)
    moves, splits = [], []
    try:
        moves, splits = placer.arranged(sorted(findings.moves.values(), key=lambda item: (item[1].source, item[0])))
    except SplitRefused as refused:
        findings.problems.append(str(refused))
    if findings.problems:
        # Apps sharing a broken HelmRepository or Namespace would each report it.
        raise AdoptError(list(dict.fromkeys(findings.problems)))
    plan = Plan(
        repo=root,
        bootstrap_dir=hand.bootstrap_dir,
        cluster=pinned(cluster, CLUSTER_KEYS, src_path),
        apps={app: pinned(app_answers_, APP_KEYS, src_path) for app, app_answers_ in answers.items()},
        moves=moves,
        splits=splits,
        kept=findings.kept,
        notes=list(dict.fromkeys(findings.notes)),
        guesses=findings.guesses,
        added=added,
        extended=extended,
    )
    parts = {source: (targets, False) for source, targets in plan.renamed().items()}
    parts.update((split.source, (tuple(move.target for move in split.moves), True))
                 for split in plan.splits if split.rest is not None)
    plan.relisted, plan.relisted_entries = relisted(root, parts)
    return plan


def _apps_folder_problems(root: Path, apps: dict[str, App]) -> list[str]:
    """An app whose folder is not `<app>/` is merged there on its first update (where release
    1.0.0 renders it), and moved back."""
    return [
        f"app {app.name} lives in {app.folder}/, and {app.name}/ at the top of the repository exists too: its "
        f"first update merges the app at {app.name}/ and moves it back, so that folder must not exist."
        for app in apps.values() if app.folder != app.name and (root / app.name).exists()
    ]
