"""extensions/kustomize_listing.py: an entry added to a kustomization file's resources in place."""

from __future__ import annotations

import pytest

from flux_cookbook.extensions import kustomize_listing

HEAD = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"


@pytest.mark.parametrize("text, listed", [
    (HEAD + "resources:\n  - a.yaml # ours\n", HEAD + "resources:\n  - a.yaml # ours\n  - new/b.yaml\n"),
    (HEAD + "resources:\n- './a.yaml'\nnamespace: x\n", HEAD + "resources:\n- './a.yaml'\n- './new/b.yaml'\nnamespace: x\n"),
    (HEAD + 'resources:\n    -   "a.yaml"', HEAD + 'resources:\n    -   "a.yaml"\n    -   "new/b.yaml"'),
    # Line ends as the file has them.
    ("resources:\r\n- a.yaml\r\n- c.yaml # ours\r\n", "resources:\r\n- a.yaml\r\n- c.yaml # ours\r\n- new/b.yaml\r\n"),
    ("resources:\r\n- a.yaml\r\n", "resources:\r\n- a.yaml\r\n- new/b.yaml\r\n"),
])
def test_the_new_entry_follows_the_last_in_its_indentation_and_quoting(text, listed):
    assert kustomize_listing.list_last(text, "bootstrap", "bootstrap/new/b.yaml") == listed


@pytest.mark.parametrize("text", [
    HEAD + "resources: [a.yaml]\n",  # a flow list: no line of its own
    HEAD + "resources: []\n",  # nothing to follow
    HEAD,  # no resources at all
    HEAD + "resources:\n  - a.yaml\n  - b.yaml\n  - a.yaml\n",  # the last entry on two lines
    "resources: [\n",  # not YAML
])
def test_a_list_written_otherwise_is_left_to_the_user(text):
    assert kustomize_listing.list_last(text, "bootstrap", "bootstrap/new/b.yaml") is None


def test_an_entry_is_read_against_the_folder_of_its_file():
    assert kustomize_listing.names("bootstrap", "./namespaces/../namespaces/a.yaml", "bootstrap/namespaces/a.yaml")
    assert not kustomize_listing.names("bootstrap", "namespaces/a.yaml", "namespaces/a.yaml")
    assert not kustomize_listing.names("bootstrap", {"path": "a.yaml"}, "bootstrap/a.yaml")


@pytest.mark.parametrize("folder, text, repointed", [
    ("", "resources:\n  - flux-system # ours\n  - apps\n", "resources:\n  - bootstrap # ours\n  - apps\n"),
    ("", "resources:\n  - './flux-system/namespaces/a.yaml'\n", "resources:\n  - './bootstrap/namespaces/a.yaml'\n"),
    ("clusters", "components:\r\n- ../flux-system\r\n", "components:\r\n- ../bootstrap\r\n"),
    ("", "namespace: flux-system\nresources:\n- apps\n", "namespace: flux-system\nresources:\n- apps\n"),  # no path
    ("", "resources: [flux-system]\n", "resources: [bootstrap]\n"),  # a flow list
    ("", "resources: [ apps, './flux-system' ] # both\r\n", "resources: [ apps, './bootstrap' ] # both\r\n"),
    ("clusters", "bases: [../apps,../flux-system/namespaces]\n", "bases: [../apps,../bootstrap/namespaces]\n"),
    ("", "resources: [flux-system-extra, flux-system]\n", "resources: [flux-system-extra, bootstrap]\n"),
    ("", "resources: [\n  apps,\n  flux-system\n]\n", None),  # a flow list over several lines
    ("", "resources: [flux-system, flux-system]\n", None),  # named twice: which one is meant
    ("", "resources:\n- apps\npatches:\n- path: flux-system/patch.yaml\n", None),  # not a resource entry
])
def test_entries_naming_a_moved_folder_follow_it(folder, text, repointed):
    assert kustomize_listing.repoint(text, folder, "flux-system", "bootstrap") == repointed
