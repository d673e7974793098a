"""Where each of an app's objects goes: moved (`git mv`) or split out (yaml_split) to the
path the template renders it to, within the folder its Kustomization applies (see the
package's docstring for why), or it stays the user's own file where it is, with a note;
except where copier update would then add a second copy of it, the shared HelmRepository
file, which is a problem.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from flux_cookbook.adopt.apps import App
from flux_cookbook.adopt.findings import Findings, Move
from flux_cookbook.adopt.reading import HandMade, label
from flux_cookbook.adopt.yaml_split import SplitFile, SplitRefused, split_file
from flux_cookbook.extensions import layout
from flux_cookbook.extensions.flux_names import FLUX_SYSTEM
from flux_cookbook.repository.model import SOURCE_GROUP, Object

CORE_GROUP = ""


@dataclass(frozen=True)
class Split:
    """Objects that share a file with other documents, each taken out to its template path."""

    source: str
    moves: tuple[Move, ...]
    texts: tuple[str, ...]  # each move's document, as the user wrote it, for its new file
    rest: str | None  # what the source keeps; None when no object stays and it is removed
    carried: str = ""  # when it is removed: its text of no document (comments), atop the first move's file


class Placer:
    """Decides, object by object, whether it moves to its template path or stays the user's."""

    def __init__(self, hand: HandMade, findings: Findings):
        self.hand, self.findings = hand, findings
        self._split_files: dict[str, SplitFile | SplitRefused] = {}

    def why_not_movable(self, found: Object, target: str) -> str:
        """Why `found` cannot move to `target`, or "" (also "" when it is there already)."""
        if found.path == target:
            return ""
        if (self.hand.root / target).exists():
            return f"{target} holds something else"
        if config := self._kustomize_config(found.path) or self._kustomize_config(target):
            return f"{config} lists its folder's files by name"
        others = self.hand.documents_in(found.path) - 1
        if others:
            try:
                self._split_file(found.path).piece(self.hand.repo.position_of(found))
            except SplitRefused as refused:
                return (f"it shares {found.path} with {others} other object(s), "
                        f"and adopt cannot split that file: {refused}")
        return ""

    def _kustomize_config(self, path: str) -> str:
        """The kustomize config file that lists the files of `path`'s folder, or "".

        The folder and its parents count, up to the top: Flux starts its build at the
        folder a Kustomization applies, and a config file there or below it decides.
        """
        folder = posixpath.dirname(path)
        while folder:
            if config := self.hand.repo.kustomize_config_file(folder):
                return config
            folder = posixpath.dirname(folder)
        return ""

    def _split_file(self, path: str) -> SplitFile:
        """`path` taken apart into its documents (once per file); raises SplitRefused."""
        if path not in self._split_files:
            try:
                # Bytes decoded as they are: reading as text would turn CRLF line ends into LF.
                self._split_files[path] = split_file((self.hand.root / path).read_bytes().decode("utf-8"))
            except SplitRefused as refused:
                self._split_files[path] = refused
        found = self._split_files[path]
        if isinstance(found, SplitRefused):
            raise found
        return found

    def arranged(self, moves: list[tuple[int, Move]]) -> tuple[list[Move], list[Split]]:
        """`moves` as carried out: a file that holds one document moves whole (git mv); one
        that holds others too is split. Raises SplitRefused when what a split file would keep
        does not read back as the objects that stay in it."""
        whole: list[Move] = []
        by_source: dict[str, list[tuple[int, Move]]] = {}
        for position, move in moves:
            if self.hand.documents_in(move.source) == 1:
                whole.append(move)
            else:
                by_source.setdefault(move.source, []).append((position, move))
        splits = []
        for source, taken in sorted(by_source.items()):
            taken.sort(key=lambda item: item[0])
            try:
                result = self._split_file(source).take({position for position, _ in taken})
            except SplitRefused as refused:
                raise SplitRefused(f"adopt cannot split {source}: {refused}") from None
            splits.append(Split(
                source=source,
                moves=tuple(move for _, move in taken),
                texts=tuple(result.pieces[position] for position, _ in taken),
                rest=result.rest,
                carried=result.carried,
            ))
        return whole, splits

    def place(self, found: Object, target: str) -> bool:
        """Move `found` to `target` where it can; else note that it stays the user's own."""
        if reason := self.why_not_movable(found, target):
            self.findings.notes.append(
                f"{label(found)} stays your own file where it is ({reason}): updates migrate its Flux APIs "
                f"but no longer template it, and copier update does not add {target}."
            )
            return False
        if found.path != target:
            key = (found.path, found.kind, found.name)
            move = Move(found.path, target, f"{found.kind} '{found.name}'")
            self.findings.moves[key] = (self.hand.repo.position_of(found), move)
        return True

    def helm_repository(self, app: str, name: str) -> Object | None:
        """The app's chart's HelmRepository `name`, placed at its template path; None (and a
        problem) where there is not exactly one in the bootstrap folder."""
        hand, findings = self.hand, self.findings
        bootstrap = hand.bootstrap_dir
        target = layout.helm_repository_file(bootstrap, name)
        found = hand.find("HelmRepository", SOURCE_GROUP, under=bootstrap, name=name)
        if len(found) == 1:
            # copier adds the template's file back when it is missing (it is shared by every
            # app naming it): this one object must be that file, or there would be two.
            if reason := self.why_not_movable(found[0], target):
                findings.problems.append(
                    f"{label(found[0])} must be alone in {target}, or copier update adds a second copy there; "
                    f"adopt cannot move it: {reason}."
                )
            else:
                self.place(found[0], target)
            return found[0]
        if found:
            findings.problems.append(
                f"HelmRepository '{name}' is declared {len(found)} times ({', '.join(m.path for m in found)}); keep one."
            )
        elif elsewhere := hand.find("HelmRepository", SOURCE_GROUP, name=name):
            # Where Flux applies it (a Kustomization's targetNamespace wins). The template's
            # HelmRepositories are in flux-system, and its HelmReleases name them there.
            applied = next((m for m in hand.repo.manifests if (m.path, m.line) == (elsewhere[0].path, elsewhere[0].line)),
                           None)
            namespace = applied.namespace if applied else str(elsewhere[0].get("metadata", "namespace") or "default")
            renamespace = "" if namespace == FLUX_SYSTEM else (
                f" It is in namespace {namespace}: as you move it, set its metadata.namespace and the "
                f"HelmRelease's spec.chart.spec.sourceRef.namespace to {FLUX_SYSTEM}.")
            findings.problems.append(
                f"app {app}: its chart's HelmRepository '{name}' is in {elsewhere[0].path}, not in {bootstrap}/; "
                f"copier update would add {target}, a second copy. Moving it yourself means one Kustomization handing "
                "it to another: annotate it kustomize.toolkit.fluxcd.io/prune: disabled for one reconciliation first."
                + renamespace
            )
        else:
            findings.problems.append(
                f"app {app}: no file of this repository declares its chart's HelmRepository '{name}'; the template "
                f"writes it in {target} and needs its URL: add it there."
            )
        return None

    def namespace(self, app: str, namespace: str) -> bool:
        """Whether the app's namespace file is the template's (the answer owns_namespace);
        placed at its template path when it is."""
        hand, findings = self.hand, self.findings
        bootstrap = hand.bootstrap_dir
        target = layout.namespace_file(bootstrap, namespace)
        declared = hand.find("Namespace", CORE_GROUP, name=namespace) + hand.find(
            "Namespace", CORE_GROUP, name=namespace, flux_own=True
        )
        if not layout.owns_namespace(namespace):
            owner = "Flux's own (flux bootstrap declares it)" if namespace == layout.FLUX_NAMESPACE else "Kubernetes' own"
            findings.notes.append(f"app {app}: namespace '{namespace}' is {owner}; the app gets no namespace file.")
            return False
        at_target = [m for m in declared if m.path == target]
        if len(declared) > 1 and len(at_target) == 1:
            # The template's own file is there: it stays the app's. Recorded as not the
            # app's, it would be deleted by the first update from a release that always
            # wrote it (copier removes what the new release no longer renders).
            others = ", ".join(m.path for m in declared if m.path != target)
            findings.notes.append(
                f"app {app}: Namespace '{namespace}' is declared {len(declared)} times; {target} is the app's "
                f"namespace file, as the template writes it, and {others} stay as they are."
            )
            return self.place(at_target[0], target)
        if len(declared) > 1:
            findings.notes.append(
                f"app {app}: Namespace '{namespace}' is declared {len(declared)} times "
                f"({', '.join(m.path for m in declared)}); those files stay as they are, and the app gets no namespace file."
            )
            return False
        if not declared:
            findings.notes.append(
                f"app {app}: no file declares Namespace '{namespace}' (made by hand, or by the HelmRelease's "
                "install.createNamespace); adopt adds none, and neither do updates."
            )
            return False
        found = declared[0]
        in_bootstrap = found.path.startswith(f"{bootstrap}/") and not hand.is_flux_own(found.path)
        reason = self.why_not_movable(found, target) if in_bootstrap else f"it is outside {bootstrap}/"
        if reason:
            findings.notes.append(
                f"app {app}: {label(found)} stays where it is ({reason}); the app gets no namespace file of the template's."
            )
            return False
        self.place(found, target)
        return True

    def values(self, app: App) -> None:
        """The values ConfigMap the app's HelmRelease reads, moved to the template's path where it is a file."""
        findings, release = self.findings, app.release
        template_file = app.file(layout.values_configmap_file(app.name))
        sources = release.get("spec", "valuesFrom")
        names = [s.get("name") for s in sources if isinstance(s, dict) and s.get("kind") == "ConfigMap"] \
            if isinstance(sources, list) else []
        if not names:
            inline = "keeps its values inline (spec.values)" if release.get("spec", "values") else "takes no values from a ConfigMap"
            findings.notes.append(
                f"{label(release)} {inline}; copier update does not add the template's values ConfigMap ({template_file})."
            )
            return
        name = names[0]
        found = self.hand.find("ConfigMap", CORE_GROUP, under=app.folder, name=name)
        if len(found) > 1:
            findings.notes.append(
                f"ConfigMap '{name}' is declared {len(found)} times ({', '.join(m.path for m in found)}); they stay as "
                f"they are, and copier update does not add {template_file}."
            )
        elif found:
            if self.place(found[0], template_file) and name != layout.values_configmap_name(app.name):
                findings.notes.append(
                    f"{label(found[0])} keeps its name; the template names it '{layout.values_configmap_name(app.name)}' "
                    "(your name is kept as your change)."
                )
        else:
            generator = self._generated_by(app.folder, name)
            origin = f"the configMapGenerator in {generator}" if generator else "no file in the app's folder"
            findings.notes.append(
                f"ConfigMap '{name}' (values of {label(release)}) comes from {origin}; it stays as it is, and "
                f"copier update does not add the template's file ({template_file})."
            )

    def _generated_by(self, folder: str, name: str) -> str:
        """The kustomization file in `folder` whose configMapGenerator makes ConfigMap `name`, or ""."""
        generators = self.hand.repo.kustomize_config(folder).get("configMapGenerator")
        made = isinstance(generators, list) and any(isinstance(g, dict) and g.get("name") == name for g in generators)
        return (self.hand.repo.kustomize_config_file(folder) or "") if made else ""
