"""A hand-made cookbook repository as adopt reads it: the repository model
(flux_cookbook/repository/model.py), seen from the cookbook's bootstrap folder.

The model reads every file once; adopt asks it for objects by kind and name anywhere in
the repository, not only in the folders Flux applies: a hand-made repository's
Kustomizations may be anywhere, and an object outside the folders that Flux applies is one
copier update would write a second copy of. Dot files and dot folders (.github) hold no
Flux objects; flux bootstrap's own files hold a Namespace and a Kustomization that are no
app's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flux_cookbook.adopt import RELEASE
from flux_cookbook.adopt.findings import AdoptError
from flux_cookbook.repository import flux_build, model
from flux_cookbook.repository.model import Object, Repository, is_hidden


@dataclass
class HandMade:
    """The repository's model, and the bootstrap folder the cookbook's layout is in."""

    repo: Repository
    bootstrap_dir: str

    @property
    def root(self) -> Path:
        return self.repo.root

    def is_flux_own(self, path: str) -> bool:
        """Written by flux bootstrap, seen from the cookbook's bootstrap folder (flux bootstrap
        without --path writes its files into ./flux-system/, beside the cookbook's folders,
        so the folder Flux's sync applies may be another)."""
        return self.repo.is_flux_own(path, self.bootstrap_dir)

    def find(self, kind: str, group: str, under: str = "", name: str | None = None, flux_own: bool = False) -> list[Object]:
        """Objects of `kind` in `group` in files below folder `under` ("" for everywhere).

        Flux's own files are left out unless `flux_own`: flux bootstrap writes them, and
        they hold a Namespace and a Kustomization of their own.
        """
        return [found for found in self.repo.find(kind, group, under, name)
                if not is_hidden(found.path) and self.is_flux_own(found.path) == flux_own]

    def documents_in(self, path: str) -> int:
        """How many documents that hold something the file `path` has."""
        return len(self.repo.written_documents(path))

    def other_clusters(self) -> list[str]:
        """A note for each other cluster Flux follows from the repository (a second
        bootstrap, clusters/staging): the template keeps one cluster's layout, so its
        Kustomizations are no apps of it and stay as they are, which the user should hear
        rather than find out from a missing answers file."""
        followed = self.repo.followed
        others: dict[str, list[str]] = {}
        for kustomization, cluster in (followed.clusters.items() if followed else ()):
            if cluster != self.bootstrap_dir:
                names = others.setdefault(cluster, [])
                if not self.repo.is_flux_own(kustomization.file, cluster):
                    names.append(f"{kustomization.name} (./{kustomization.path})")
        return [
            f"{cluster or '.'}/ is the bootstrap folder of another cluster; "
            + (f"it and its Kustomizations ({', '.join(sorted(names))}) stay as they are" if names
               else "it stays as it is")
            + f": the template keeps one cluster, the one of {self.bootstrap_dir}/"
            for cluster, names in sorted(others.items())
        ]

    def unreadable(self) -> list[str]:
        """A note for each file that cannot be read as YAML. Such a file (a chart's
        values.yaml with a duplicate key, a Helm template, a SOPS-encrypted file) is no
        object adopt could use, and is left as it is."""
        return [
            f"skipped {path}: not readable as YAML (line {error.line}: {(str(error).splitlines() or [''])[0]}); left as it is"
            for path, error in self.repo.parse_errors.items() if not is_hidden(path)
        ]


def label(found: Object) -> str:
    """How adopt's messages name an object: its kind, name and file."""
    return f"{found.kind} '{found.name}' ({found.path})"


def find_bootstrap_dir(root: Path) -> str:
    """The folder flux bootstrap points at: the one holding kustomizations/ or helmrepositories/."""
    found = flux_build.cookbook_bootstrap_dirs(root)  # in BOOTSTRAP_DIRS' order
    if not found and (synced := flux_build.synced_cookbook_dirs(root)):
        # `flux bootstrap --path=clusters/home`: nested bootstrap folders came with release
        # 3.0.0, and adopt starts every repository at 1.0.0, which takes flux-system/ or bootstrap/.
        raise AdoptError([
            f"{' and '.join(d + '/' for d in synced)} hold{'s' if len(synced) == 1 else ''} the cookbook layout "
            f"(synced by {synced[0]}/flux-system/gotk-sync.yaml{' and the others' if len(synced) > 1 else ''}), but "
            f"adopt starts a repository at release {RELEASE} of the template, whose bootstrap folder is "
            f"{' or '.join(d + '/' for d in model.BOOTSTRAP_DIRS)} at the top. Either move {synced[0]}/'s namespaces/, "
            "helmrepositories/ and kustomizations/ to bootstrap/ (and run flux bootstrap with --path=bootstrap), "
            f"then adopt; or make a new repository (flux-cookbook new DEST -d bootstrap_dir={synced[0]}) and add "
            "each app to it." + (" The template keeps one cluster per repository." if len(synced) > 1 else "")
        ])
    if not found:
        synced = flux_build.synced_dirs(root)
        # Flux's own layouts (flux2-kustomize-helm-example: clusters/<name>/ synced, apps in
        # base/ and overlay folders) are no cookbook repository to take over: say what is.
        theirs = (f" Flux syncs {', '.join((d or '.') + '/' for d in synced)} (flux bootstrap --path; "
                  f"{'each' if len(synced) > 1 else 'its'} flux-system/gotk-sync.yaml): a layout of this repository's own, "
                  "which the template does not write (it keeps one cluster per repository, each app in a folder of its "
                  "own, no overlays). `flux-cookbook check` checks the repository as it is; to take up the cookbook's "
                  "layout, make a new repository (flux-cookbook new DEST) and add each app to it.") if synced else ""
        raise AdoptError([
            f"no cookbook layout in {root}: neither {' nor '.join(d + '/' for d in model.BOOTSTRAP_DIRS)} holds "
            f"kustomizations/ or helmrepositories/.{theirs}"
        ])
    if len(found) > 1:
        raise AdoptError([
            f"both {found[0]}/ and {found[1]}/ hold a cookbook layout; keep the one flux bootstrap "
            "points at (its flux-system/gotk-sync.yaml names it as spec.path) and remove the other."
        ])
    return found[0]


def read_hand_made(root: Path) -> HandMade:
    """The repository at `root`, read once; AdoptError when it has no cookbook layout."""
    bootstrap_dir = find_bootstrap_dir(root)
    return HandMade(model.read_repository(root), bootstrap_dir)
