"""Which files `flux bootstrap` wrote: one rule, asked by check (from the folder Flux's
sync applies) and by adopt (from the cookbook's bootstrap folder)."""

from __future__ import annotations

from flux_cookbook.repository.model import read_repository
from tests.support.flux_objects import gotk_sync
from tests.support.project import repo_with

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n"
KUSTOMIZE = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-sync.yaml\n"


def test_the_geek_cookbooks_flux_system_folder_holds_the_cookbook_and_flux_bootstrap_its_own(tmp_path):
    # The cookbook's pages: its folders in flux-system/, `flux bootstrap --path=flux-system`.
    repo = read_repository(repo_with(tmp_path, {
        "flux-system/flux-system/gotk-sync.yaml": gotk_sync("./flux-system"),
        "flux-system/flux-system/kustomization.yaml": KUSTOMIZE,
        "flux-system/flux-system/notes.yaml": NAMESPACE.format("notes"),
        "flux-system/namespaces/namespace-web.yaml": NAMESPACE.format("web"),
        "flux-system/kustomization.yaml": KUSTOMIZE.replace("gotk-sync.yaml", "namespaces"),
        "web/namespace.yaml": NAMESPACE.format("web"),
    }))
    assert repo.bootstrap_dir == "flux-system"
    own = {path for path in repo.files if repo.is_flux_own(path)}
    assert own == {"flux-system/flux-system/gotk-sync.yaml", "flux-system/flux-system/kustomization.yaml",
                   "flux-system/flux-system/notes.yaml"}
    # adopt asks from the cookbook's folder, here the same: the same answer.
    assert {path for path in repo.files if repo.is_flux_own(path, "flux-system")} == own


def test_flux_bootstrap_without_a_path_beside_the_cookbooks_bootstrap_folder(tmp_path):
    # `flux bootstrap` without --path: ./flux-system/, its sync applying the whole repository;
    # the cookbook's folders in bootstrap/. Its kustomization.yaml is flux's, found beside its files.
    repo = read_repository(repo_with(tmp_path, {
        "flux-system/gotk-sync.yaml": gotk_sync("./"),
        "flux-system/kustomization.yaml": KUSTOMIZE,
        "bootstrap/namespaces/namespace-web.yaml": NAMESPACE.format("web"),
        "bootstrap/flux-system/.gitkeep": "",
        "bootstrap/flux-system/patches/components.yaml": NAMESPACE.format("flux-system"),  # anything below it too
    }))
    flux_own = {"flux-system/gotk-sync.yaml", "flux-system/kustomization.yaml", "bootstrap/flux-system/.gitkeep"}
    # check asks from the folder Flux's sync applies (the root here)...
    assert {path for path in repo.files if repo.is_flux_own(path)} == flux_own
    # ...adopt from the cookbook's, where everything below its flux-system/ is flux bootstrap's.
    assert {path for path in repo.files if repo.is_flux_own(path, "bootstrap")} == flux_own | {
        "bootstrap/flux-system/patches/components.yaml"}
