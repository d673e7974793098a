"""seal's dependsOn on the Sealed Secrets controller, added to an app's two files in place."""

from __future__ import annotations

import yaml

from flux_cookbook.seal import controller_dependency
from tests.support.project import repo_with

CONTROLLER = ".copier-answers.app-sealed-secrets.yml"
KUSTOMIZATION = "bootstrap/kustomizations/kustomization-web.yaml"


def test_a_list_in_flow_style_gets_the_entry_in_block_style(tmp_path):
    """`dependsOn: [{name: db}]` written back as ruamel writes a flow list of mappings would
    be `[name: db, name: sealed-secrets]`: the list goes to block style instead."""
    repo = repo_with(tmp_path / "repo", {
        CONTROLLER: "app_name: sealed-secrets\nchart: sealed-secrets\nkind: app\nbootstrap_dir: bootstrap\n",
        ".copier-answers.app-web.yml": "app_name: web\nchart: podinfo\nkind: app\nbootstrap_dir: bootstrap\ndepends_on: [db]\n",
        KUSTOMIZATION: "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: web\n"
                       "spec:\n  dependsOn: [{name: db}]\n  interval: 15m\n",
    })
    edits = {name: text for name, text, _ in controller_dependency.plan(repo, "web")}
    assert edits[KUSTOMIZATION] == ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: web\n"
                                    "spec:\n  dependsOn:\n    - name: db\n    - name: sealed-secrets\n  interval: 15m\n")
    assert "depends_on:\n- db\n- sealed-secrets\n" in edits[".copier-answers.app-web.yml"]
    assert yaml.safe_load(edits[".copier-answers.app-web.yml"])["depends_on"] == ["db", "sealed-secrets"]


def test_a_flow_list_with_a_comment_after_it_is_left_for_the_user(tmp_path):
    """Turned to block style, the comment lines after it would land above its entries."""
    repo = repo_with(tmp_path / "repo", {
        CONTROLLER: "app_name: sealed-secrets\nchart: sealed-secrets\nkind: app\nbootstrap_dir: bootstrap\n",
        ".copier-answers.app-web.yml": "app_name: web\nchart: podinfo\nkind: app\nbootstrap_dir: bootstrap\n",
        KUSTOMIZATION: "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: web\n"
                       "spec:\n  dependsOn: [{name: db}] # db first\n  # how often\n  interval: 15m\n",
    })
    assert (KUSTOMIZATION, None, "sealed-secrets") in controller_dependency.plan(repo, "web")
