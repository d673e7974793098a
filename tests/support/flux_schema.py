"""Validate generated GitOps repositories the way a real cluster would: the tests' door to
the package's own engines, so the tests judge with exactly what `flux-cookbook` runs.

``validate_object``/``validate_repo``: flux_cookbook.check.schemas (strict CRD schemas of the
served versions, their CEL rules, Kubernetes' own schemas for its kinds).
``kustomize_build``: flux_cookbook.repository.flux_build (the folder generated and built as Flux's
kustomize-controller does, with the real ``kubectl kustomize``).
"""

from __future__ import annotations

from pathlib import Path

from jsonschema.protocols import Validator

from flux_cookbook.check import schemas
from flux_cookbook.repository import flux_build

__all__ = ["load_validators", "validate_object", "validate_repo", "kustomize_build"]


def load_validators(crd_dir: Path) -> dict[tuple[str, str], Validator]:
    """Validators keyed by (apiVersion, kind) for every served CRD version in crd_dir."""
    return schemas.load_validators(crd_dir)


def validate_object(obj: dict, crd_dir: Path) -> list[str]:
    """Errors as "Kind/name: path.to.field: message"; [] if the object is valid."""
    return schemas.validate_object(obj, [crd_dir])


def validate_repo(root: Path, crd_dirs: list[Path]) -> list[str]:
    """Validate every document of every YAML file under root against crd_dirs together.

    Dot files and dot directories (.git, .github, .copier-answers.yml, .yamllint) are
    skipped: Flux never applies them. kustomization.yaml files are only parsed.
    Errors are prefixed with the file's relative path.
    """
    root = Path(root)
    errors = []
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        errors += [f"{rel.as_posix()}: {message}" for _, message in schemas.validate_file(path, rel.as_posix(), crd_dirs)]
    return errors


def kustomize_build(folder: Path) -> str:
    """Build folder like Flux's kustomize-controller and return the rendered YAML.

    The folder is the artifact's root: without a kustomization file Flux generates one
    listing every manifest (hidden files too); the build runs in a temporary copy, so the
    folder under test is never modified. RuntimeError with kustomize's message on failure.
    """
    result = flux_build.build_folder(Path(folder))
    if not result.ok:
        raise RuntimeError(f"kubectl kustomize {folder} failed:\n{result.error}")
    return result.output
