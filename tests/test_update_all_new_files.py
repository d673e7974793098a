"""A release that adds a file to an app's folder, met by `flux-cookbook update-all` in a
repository whose app folder lists its files by hand (a kustomization.yaml of the user's
own): the new file is listed there, as `add` lists an app's files, or Flux would never
apply it while every build still passed."""

from __future__ import annotations

import yaml

from tests.support.project import AUTHOR, commit_all, cookbook_cli, copy, init_repo
from tests.support.template_repo import git

LISTING = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - helmrelease-web.yaml # ours
  - configmap-web-helm-chart-value-overrides.yaml
"""
NEW_FILE = "template/app/{{ layout.app_dir(app_name, apps_dir) }}/configmap-{{ app_name }}-settings.yaml.jinja"
NEW_OBJECT = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ app_name }}-settings
  namespace: {{ namespace }}
data:
  tier: web
"""


def next_patch(tag: str) -> str:
    major, minor, patch = tag.removeprefix("v").split(".")
    return f"v{major}.{minor}.{int(patch) + 1}"


def test_a_file_a_release_adds_is_listed_where_the_folder_lists_its_own(template, tmp_path):
    published = tmp_path / "template"
    git(tmp_path, "clone", "-q", str(template.path), str(published))
    repo = init_repo(copy(published, tmp_path / "repo", vcs_ref=template.current,
                          include_example_app=False, sealed_secrets=False))
    copy(published, repo, vcs_ref=template.current, kind="app", app_name="web", chart="podinfo",
         helm_repo_url="https://charts.example.invalid", fetch_values=False)
    (repo / "web/kustomization.yaml").write_text(LISTING)
    commit_all(repo, "The web app, its folder listed by hand")

    # The next release writes one more file into every app's folder.
    (published / NEW_FILE).write_text(NEW_OBJECT)
    git(published, "add", "-A")
    git(published, *AUTHOR, "commit", "-q", "-m", "A settings ConfigMap for every app")
    release = next_patch(template.current)
    git(published, "tag", release)

    result = cookbook_cli("update-all", str(repo), "--vcs-ref", release, "--trust")
    assert result.returncode == 0, result.stdout + result.stderr
    # The note comes under the line of the update it belongs to, the web app's.
    assert (f".copier-answers.app-web.yml: updated app web to {release}\n"
            "  web/kustomization.yaml: lists configmap-web-settings.yaml now\n") in result.stdout, result.stdout
    listing = (repo / "web/kustomization.yaml").read_text()
    assert yaml.safe_load(listing)["resources"][-1] == "configmap-web-settings.yaml"
    assert listing.startswith(LISTING)  # the user's lines, comment included, as they were
    assert git(repo, "status", "--porcelain") == ""
    changed = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert {"web/configmap-web-settings.yaml", "web/kustomization.yaml"} <= set(changed)
    checked = cookbook_cli("check", str(repo))
    assert checked.returncode == 0 and "build.not-listed" not in checked.stdout, checked.stdout
