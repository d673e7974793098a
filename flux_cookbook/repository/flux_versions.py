"""Which Flux a repository runs, and the CRDs its objects are validated against.

`flux bootstrap` records its version in the header of gotk-components.yaml (`# Flux
Version: v2.6.4`). The package ships the CRDs of a few Flux releases (flux_cookbook/crds/);
a repository is checked against its own release's CRDs when shipped, else against the
nearest shipped release (and the check says so once). A repository that records none (not
bootstrapped yet) is checked against the newest. Each cluster of a repository (a bootstrap
folder) is checked against what its own gotk-components.yaml records, the repository's
release when it has none. A repository the template made or
adopted (it has answers files) holds what the template writes, which is for the newest
release: that is its release, and an older one recorded means the cluster's Flux is to be
upgraded (said once too).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from flux_cookbook.extensions import flux_names
from flux_cookbook.repository.kind_scopes import CRDS

# Shipped CRD folders by (major, minor), newest last; `current` is the newest release's.
SHIPPED = {(2, 6): CRDS / "flux-2.6", (2, 9): CRDS / "current"}
NEWEST = max(SHIPPED)
# A release between 2.6 and 2.9 (2.7, 2.8) serves what 2.9 serves (image automation v1, new
# fields) and some of 2.6's betas still (flux_names.REMOVED_IN): its objects are validated
# against 2.9's CRDs, and 2.6's for the versions it has not removed.
SEALED_SECRETS = CRDS / "sealed-secrets"
COMPONENTS_FILE = flux_names.COMPONENTS_FILE
_HEADER = re.compile(r"^#\s*Flux Version:\s*v?(\d+)\.(\d+)(\.\d+)?", re.MULTILINE)
_HEADER_LINES = 10


# What a message calls each CRD folder, by its name (the shipped ones, and the same sets
# as the project's reference data names them: `legacy` is Flux 2.6's).
_LABELS = {"current": "Flux 2.9", "flux-2.6": "Flux 2.6", "legacy": "Flux 2.6", "sealed-secrets": "Sealed Secrets"}


@dataclass(frozen=True)
class ServedCrds:
    """A shipped CRD folder as a release between two shipped ones serves it: less the
    apiVersions (group/version) it no longer serves, and named as that release."""
    folder: Path
    unserved: frozenset[str]
    label: str


def label(crd_dir: Path | ServedCrds) -> str:
    """How a message names a CRD folder: "Flux 2.9", "Sealed Secrets"; else its name."""
    if isinstance(crd_dir, ServedCrds):
        return crd_dir.label
    return _LABELS.get(Path(crd_dir).name, Path(crd_dir).name)


@dataclass(frozen=True)
class FluxVersion:
    recorded: str  # "2.2.3" as gotk-components.yaml records it; "" when nothing does
    where: str  # the file that records it
    shipped: tuple[int, int]  # the release whose CRDs are used
    templated: bool = False  # the answers files say the template's release

    @property
    def older(self) -> tuple[int, int] | None:
        """The shipped release whose CRDs also count, for the betas the recorded release
        still serves and `shipped` no longer does (see BETAS_REMOVED); None if none."""
        if not self.recorded or self.templated:
            return None
        recorded = _minor(self.recorded)
        below = [release for release in SHIPPED if release < recorded]
        return max(below) if below and recorded < self.shipped else None

    @property
    def crd_dirs(self) -> list[Path | ServedCrds]:
        if not self.older:
            return [SHIPPED[self.shipped], SEALED_SECRETS]
        release = _minor(self.recorded)
        named = f"Flux {release[0]}.{release[1]}"
        return [ServedCrds(SHIPPED[self.shipped], frozenset(), named),
                ServedCrds(SHIPPED[self.older], flux_names.removed_by(release), named), SEALED_SECRETS]

    @property
    def name(self) -> str:
        return f"Flux {self.shipped[0]}.{self.shipped[1]}"

    def note(self) -> str:
        """What to say once when the recorded release's CRDs are not shipped ("" otherwise)."""
        if not self.recorded or _minor(self.recorded) == self.shipped:
            return ""
        if self.templated:
            return (f"note: {self.where} records Flux {self.recorded}, but the template this repository's "
                    f"answers files come from writes {self.name}'s APIs: objects are validated against "
                    f"{self.name}'s CRDs; upgrade Flux on the cluster (run flux bootstrap again) before it syncs them")
        if self.older:
            return (f"note: {self.where} records Flux {self.recorded}, whose CRDs flux-cookbook does not ship; "
                    f"objects are validated against {self.name}'s, and Flux {self.older[0]}.{self.older[1]}'s for "
                    f"the beta versions Flux {self.recorded} still serves")
        return (f"note: {self.where} records Flux {self.recorded}, whose CRDs flux-cookbook does not ship; "
                f"objects are validated against {self.name}'s, the nearest it ships")


def _minor(version: str) -> tuple[int, int]:
    major, minor, *_ = (int(part) for part in version.split("."))
    return major, minor


def nearest(version: tuple[int, int]) -> tuple[int, int]:
    """A release between two shipped ones: the newer (2.7 and 2.8 serve 2.9's APIs; image
    automation v1 came in 2.7); below or above them all: the nearest."""
    if any(version < release for release in SHIPPED) and version > min(SHIPPED):
        return min(release for release in SHIPPED if release > version)

    def distance(shipped: tuple[int, int]) -> tuple[int, int, tuple[int, int]]:
        return (abs(shipped[0] - version[0]), abs(shipped[1] - version[1]), (-shipped[0], -shipped[1]))
    return min(SHIPPED, key=distance)


def recorded_version(text: str) -> str:
    """The version a gotk-components.yaml header records, "" if none."""
    found = _HEADER.search("\n".join(text.splitlines()[:_HEADER_LINES]))
    return f"{found.group(1)}.{found.group(2)}{found.group(3) or ''}" if found else ""


def of_repository(root: Path, files: list[str], prefer: str = "", templated: bool = False) -> FluxVersion:
    """The Flux release of the repository: what its gotk-components.yaml records (the one
    below `prefer`, the bootstrap folder, first), else the newest shipped; `templated`
    (the repository has answers files): the newest shipped, the template's."""
    components = sorted((path for path in files if posixpath.basename(path) == COMPONENTS_FILE),
                        key=lambda path: (not (prefer and path.startswith(prefer + "/")), path))
    return _recorded(root, components, templated) or FluxVersion("", "", NEWEST)


def of_clusters(root: Path, files: list[str], clusters: set[str], repository: FluxVersion,
                templated: bool = False) -> dict[str, FluxVersion]:
    """Each cluster's Flux release, by its bootstrap folder: what a gotk-components.yaml
    inside that folder records, else the repository's (`repository`, of_repository's). Two
    clusters of one repository may run different releases (staging upgraded first)."""
    components = sorted(path for path in files if posixpath.basename(path) == COMPONENTS_FILE)
    return {cluster: _recorded(root, [path for path in components if not cluster or path.startswith(cluster + "/")],
                               templated) or repository
            for cluster in clusters}


def _recorded(root: Path, components: list[str], templated: bool) -> FluxVersion | None:
    """The release the first of `components` (gotk-components.yaml files) that records one
    records, as the CRDs to use; None when none does."""
    for path in components:
        try:
            with (Path(root) / path).open(encoding="utf-8", errors="replace") as stream:
                head = "".join(stream.readline() for _ in range(_HEADER_LINES))
        except OSError:
            continue
        version = recorded_version(head)
        if version and templated and _minor(version) < NEWEST:
            return FluxVersion(version, path, NEWEST, templated=True)
        if version:
            return FluxVersion(version, path, nearest(_minor(version)))
    return None
