"""The apps of a hand-made repository: each Kustomization in the bootstrap folder that
applies a folder of this repository holding one HelmRelease of a HelmRepository chart.

An app is known by its Kustomization (flux_cookbook/repository/apps.py): it is named after
its folder, as the template names it; where folders of the same name sit at different
depths (`redis/`, `mastodon/redis/`), each of those apps is named after its Kustomization
(`redis`, `mastodon-redis`), Flux's own name for it. Every other Kustomization stays the
user's own, with the reason.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from flux_cookbook.adopt.findings import Findings
from flux_cookbook.adopt.reading import HandMade, label
from flux_cookbook.extensions import input_checks
from flux_cookbook.repository import apps
from flux_cookbook.repository.model import HELM_GROUP, KUSTOMIZE_GROUP, Object, is_under, normalized_path


@dataclass(frozen=True)
class App:
    """A template app found in the repository: a Kustomization applying a folder with one HelmRelease."""

    name: str  # the folder's own name (or, where two folders share it, the Kustomization's)
    folder: str  # the folder the Kustomization applies, e.g. metallb-system or apps/podinfo
    kustomization: Object
    release: Object

    @property
    def apps_dir(self) -> str:
        """The folder holding the app's folder, where the template's `apps_dir` can say it."""
        return posixpath.dirname(self.folder) if posixpath.basename(self.folder) == self.name else ""

    def file(self, template_file: str) -> str:
        """A file of the app (one of layout's, at the root), in the app's own folder."""
        return posixpath.join(self.folder, posixpath.basename(template_file))


def applied_folder(kustomization: Object) -> str | None:
    """The folder a Kustomization's spec.path applies ("" the root; None: out of the repository)."""
    return normalized_path(kustomization.get("spec", "path"))


def applied_releases(hand: HandMade, folder: str) -> list[Object]:
    """The HelmReleases the build of `folder` applies: one in a file its kustomization file
    names only as a patch (a partial HelmRelease) is the app's own change, not a second app."""
    return [found for found in hand.find("HelmRelease", HELM_GROUP, under=folder) if hand.repo.listed(found.path, top=folder)]


def _not_an_app_reason(kustomization: Object, hand: HandMade) -> str:
    """Why a Kustomization is not one of the template's apps, or "" when it is."""
    source = (kustomization.get("spec", "sourceRef", "kind"), kustomization.get("spec", "sourceRef", "name"))
    if source != ("GitRepository", "flux-system"):
        return f"it applies {source[0]} '{source[1]}', not this repository"
    folder = applied_folder(kustomization)
    if folder is None:
        path = kustomization.get("spec", "path")
        return "its spec.path is no text (the API server refuses it)" if path is not None and not isinstance(path, str) \
            else "it applies a folder outside this repository"
    if not folder:
        return "it applies the whole repository"
    if folder == hand.bootstrap_dir or folder.startswith(f"{hand.bootstrap_dir}/"):
        return "it applies the bootstrap folder or a folder in it"
    releases = applied_releases(hand, folder)
    if not releases:
        # A file that cannot be read may hold one: said, as the note on each such file says why.
        unread = sorted(path for path in hand.repo.parse_errors if is_under(path, folder))
        return f"no HelmRelease in {folder}/" + (f" that can be read ({', '.join(unread)} cannot)" if unread else "")
    if len(releases) > 1:
        return f"{len(releases)} HelmReleases in {folder}/, and a template app has one"
    chart_source = releases[0].get("spec", "chart", "spec", "sourceRef", "kind")
    if chart_source != "HelmRepository":
        return f"its HelmRelease's chart comes from {chart_source or 'spec.chartRef'}, not a HelmRepository"
    if input_checks.dns1123_label_error(posixpath.basename(folder), "folder"):
        return f"its folder name {posixpath.basename(folder)!r} cannot name an app (a DNS-1123 label)"
    return ""


def find_apps(hand: HandMade, findings: Findings) -> dict[str, App]:
    """The apps, by name: each app's Kustomization and the folder it applies. The
    Kustomizations that are not apps go into `findings.kept`, two apps of one name into
    its problems."""
    found = []
    for kustomization in hand.find("Kustomization", KUSTOMIZE_GROUP, under=hand.bootstrap_dir):
        if reason := _not_an_app_reason(kustomization, hand):
            findings.kept.append(f"{label(kustomization)}: {reason}")
            continue
        folder = applied_folder(kustomization) or ""
        found.append((kustomization, folder, applied_releases(hand, folder)[0]))
    folders = [folder for _, folder, _ in found]
    by_name: dict[str, App] = {}
    for kustomization, folder, release in found:
        name = apps.name_by_folder(kustomization.name, folder, folders)
        if name in by_name:
            other = by_name[name]
            findings.problems.append(
                f"{label(kustomization)} and {label(other.kustomization)} both apply {folder}/; keep one."
                if other.folder == folder else
                f"{label(kustomization)} applies {folder}/ and {label(other.kustomization)} applies {other.folder}/: "
                f"two apps named '{name}', and the template names each app's answers file after its app."
            )
            continue
        by_name[name] = App(name, folder, kustomization, release)
        if name != posixpath.basename(folder):
            findings.notes.append(
                f"{label(kustomization)} applies {folder}/, and another app's folder is named "
                f"'{posixpath.basename(folder)}' too, so the app is named '{name}' after its Kustomization."
            )
        elif kustomization.name != name:
            findings.notes.append(
                f"{label(kustomization)} applies {folder}/, so the app is named '{name}' after its folder; "
                "the Kustomization keeps its own name (your change to the template's file)."
            )
    return dict(sorted(by_name.items()))
