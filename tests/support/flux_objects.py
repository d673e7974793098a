"""Flux objects as text, for tests that write small repositories by hand."""

from __future__ import annotations


def flux_ks(name: str, path: str, source: str = "flux-system", extra: str = "") -> str:
    """A Flux Kustomization (kustomize.toolkit.fluxcd.io/v1) applying `path` of `source`."""
    return (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        f"metadata:\n  name: {name}\n  namespace: flux-system\n"
        f"spec:\n  interval: 10m\n  path: {path}\n  prune: true\n"
        f"  sourceRef:\n    kind: GitRepository\n    name: {source}\n{extra}"
    )
