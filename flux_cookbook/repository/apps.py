"""A repository's apps, each known by its Kustomization.

An app of the template is one Flux Kustomization in the bootstrap folder
(`<bootstrap>/kustomizations/kustomization-<app>.yaml`) applying one folder that holds its
HelmRelease; the app's name is that Kustomization's, and its answers file carries it too
(`.copier-answers.app-<app>.yml`, extensions/layout.py). Its folder is a property, not its
name: usually `<apps_dir>/<app>`, where the template renders it, but two apps whose
folders share a name at different depths (`redis/` and `mastodon/redis/`, Kustomizations
`redis` and `mastodon-redis`) are two apps (extensions/repo_state.app_folder).

An app the template wrote, or adopt adopted, has its answers file, so the answers files
are the list of apps (`app_names`, `find`). A hand-made repository has none yet: adopt
finds its apps by their Kustomizations and names them with `name_by_folder`.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from flux_cookbook.extensions import layout, repo_state


@dataclass(frozen=True)
class App:
    """One app: its name (its Kustomization's, its answers file's) and what its answers say."""

    root: Path  # the repository's root
    name: str
    answers: Mapping = field(default_factory=dict)  # its answers file's content ({} before it has one)
    # The bootstrap folder when the answers name none (the repository's, as the model read it).
    default_bootstrap_dir: str = ""

    @property
    def answers_file(self) -> str:
        return layout.app_answers_file(self.name)

    @property
    def bootstrap_dir(self) -> str:
        return str(self.answers.get("bootstrap_dir") or self.default_bootstrap_dir)

    @property
    def kustomization_file(self) -> str:
        """Where the template writes the app's Kustomization."""
        return layout.kustomization_file(self.bootstrap_dir, self.name)

    @property
    def folder(self) -> str:
        """The folder the app's Kustomization applies (repository-relative): where the
        template renders the app, or where the user keeps it (repo_state.app_folder)."""
        answers = {**self.answers, "app_name": str(self.answers.get("app_name") or self.name),
                   "bootstrap_dir": self.bootstrap_dir}
        return repo_state.app_folder(self.root, answers)


def answers_name_error(app: App) -> str:
    """Why the app's answers file cannot be taken as the app's ("" when it can): it names
    another app (copier would render that one; check reports it as convention.answers)."""
    recorded = app.answers.get("app_name")
    if recorded is not None and recorded != app.name:
        return (f"{app.answers_file}: app_name is {recorded!r}, but the file is named for app {app.name!r}; "
                f"set app_name: {app.name} (or rename the file) first")
    return ""


def app_names(root: Path) -> list[str]:
    """The apps of the repository at `root`, by their answers files, sorted."""
    return sorted(layout.apps(Path(root)))


def find(root: Path, name: str, answers: Mapping | None = None, default_bootstrap_dir: str = "") -> App | None:
    """The app `name` of the repository at `root`, or None when it has no answers file.
    `answers`: its answers file's content, when the caller has read it (else {})."""
    if name not in layout.apps(Path(root)):
        return None
    return App(Path(root), name, answers if answers is not None else {}, default_bootstrap_dir)


def name_by_folder(kustomization: str, folder: str, folders: Iterable[str]) -> str:
    """The name of the app a Kustomization named `kustomization` makes of `folder`, among
    the apps' `folders`: the folder's own name, as the template names an app's folder;
    where another of `folders` has that name at another depth (`redis/`,
    `mastodon/redis/`), the Kustomization's (`redis`, `mastodon-redis`), Flux's own name
    for it, so that both are apps."""
    own = posixpath.basename(folder)
    shared = any(posixpath.basename(other) == own for other in set(folders) - {folder})
    return kustomization if shared else own
