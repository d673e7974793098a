"""`copier update` from 3.1.0, the release before this one, of a repository a user lived in.

The repository is made at the 3.1.0 release tag of this repository's own history (the
example app, the Sealed Secrets controller, podinfo installed twice more under other names
and namespaces, once with its values inline, a chart from an OCI registry), committed, edited as a user would,
committed, then brought to the working tree's release twice: by `flux-cookbook update-all`
and by plain copier, one answers file after another, as the README says. 3.2.0 has no
step of its own (extensions/migrations/): copier's own update must keep every edit and
bring every change of the release.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flux_cookbook.repository import flux_build
from tests.support.project import answers, commit_all, copy, edit, files, init_repo
from tests.support.template_repo import git
from tests.support.updated_repo import assert_current_and_valid, history, plain_copier, update_all

PODINFO_REPO = {"helm_repo_name": "podinfo", "helm_repo_url": "https://stefanprodan.github.io/podinfo"}
# The apps added after the cluster, each with its answers; the same answers at the working
# tree's release make the repository the update must reach.
APPS = {
    "web": {"chart": "podinfo", "namespace": "web", "chart_version": "6.x", "fetch_values": False, **PODINFO_REPO},
    # Values inline: 3.2.0 adds two comment lines above them.
    "api": {"chart": "podinfo", "namespace": "api", "chart_version": "6.x", "values_in": "inline", "fetch_values": False,
            **PODINFO_REPO},
    "pg": {"chart": "postgresql", "chart_version": "16.x", "helm_repo_name": "bitnami",
           "helm_repo_url": "oci://registry-1.docker.io/bitnamicharts", "fetch_values": False},
}
# The user's edits (file, text the release wrote, the user's text) and a file of their own.
EDITS = [
    ("web/configmap-web-helm-chart-value-overrides.yaml", "  values.yaml: |\n", "  values.yaml: |\n    replicaCount: 3 # ours\n"),
    ("web/helmrelease-web.yaml", "  interval: 15m\n", "  interval: 30m # quieter\n"),
    ("bootstrap/kustomizations/kustomization-pg.yaml", "  prune: true", "  wait: true\n  prune: true"),
    (".sourceignore", "*.md\n", "*.md\n/docs/\n"),
    ("README.md", "# ", "# Our home cluster\n\n"),
]
OWN_FILE = "web/configmap-web-dashboard.yaml"
OWN_TEXT = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-dashboard\n  namespace: web\ndata:\n  k: v\n"


def make(template, dest: Path, tag: str) -> Path:
    repo = init_repo(copy(template.path, dest, vcs_ref=tag))
    for app, given in APPS.items():
        copy(template.path, repo, vcs_ref=tag, kind="app", app_name=app, **given)
    commit_all(repo, "Apps")
    return repo


@pytest.fixture(scope="module")
def made_at_3_1_0(template, tmp_path_factory) -> Path:
    repo = make(template, tmp_path_factory.mktemp("made") / "cluster", template.tag("3.1.0"))
    for name, old, new in EDITS:
        edit(repo / name, old, new)
    (repo / OWN_FILE).write_text(OWN_TEXT)
    commit_all(repo, "Our edits")
    return repo


@pytest.fixture(scope="module")
def updated(made_at_3_1_0, template, tmp_path_factory) -> tuple[Path, Path, str]:
    """The repository updated by update-all, by plain copier, and what update-all said."""
    folder = tmp_path_factory.mktemp("updated")
    fast, plain = folder / "fast", folder / "plain"
    for clone in (fast, plain):
        git(folder, "clone", "-q", str(made_at_3_1_0), str(clone))
    result = update_all(fast, template)
    code, said = plain_copier(plain, template.current)
    assert code == 0, said
    return fast, plain, result.stdout + result.stderr


def test_everything_validates_and_builds_before_and_after(made_at_3_1_0, updated):
    fast, _, _ = updated
    before = flux_build.build_all(made_at_3_1_0)
    assert before and all(build.ok for build in before)
    assert_current_and_valid(fast)
    assert {b.kustomization.path for b in flux_build.build_all(fast)} == {b.kustomization.path for b in before}


def test_every_edit_and_the_users_file_stay(updated):
    fast, _, _ = updated
    for name, old, new in EDITS:
        assert new in (fast / name).read_text(), name
    assert (fast / OWN_FILE).read_text() == OWN_TEXT


def test_every_other_file_is_what_the_release_writes(made_at_3_1_0, updated, template, tmp_path):
    """The release's changes all arrive: each file the user left alone is, byte for byte,
    what a new repository with the same answers holds, and no file is missing or extra."""
    fast, _, output = updated
    fresh = make(template, tmp_path / "fresh", template.current)
    edited = {name for name, _, _ in EDITS}
    assert files(fast) == files(fresh) | {OWN_FILE}
    changed = [name for name in files(fresh) - edited if (fast / name).read_bytes() != (fresh / name).read_bytes()]
    assert changed == []
    assert changed_by_the_update(made_at_3_1_0, fast) - edited, "the release changed no file: nothing was tested"
    for app in (None, "podinfo", "sealed-secrets", *APPS):
        assert answers(fast, app)["_commit"] == template.current
    assert "conflict" not in output.lower()


def test_files_saved_with_crlf_line_ends_get_the_release_in_those(made_at_3_1_0, updated, template, tmp_path):
    """A checkout that commits CRLF (Windows, no autocrlf): the files, some with the user's
    edits, are what they were in LF but for their line ends, which is no conflict; the
    release comes and the edits stay, as in LF, in CRLF."""
    fast, _, _ = updated
    repo = tmp_path / "crlf"
    git(tmp_path, "clone", "-q", str(made_at_3_1_0), str(repo))
    names = [".sourceignore", "renovate.json", ".pre-commit-config.yaml", "api/helmrelease-api.yaml",
             "web/configmap-web-helm-chart-value-overrides.yaml", ".copier-answers.yml", ".copier-answers.app-api.yml"]
    for name in names:
        (repo / name).write_bytes((repo / name).read_bytes().replace(b"\n", b"\r\n"))
    commit_all(repo, "Saved on Windows")
    update_all(repo, template)
    for name in names:
        assert (repo / name).read_bytes() == (fast / name).read_bytes().replace(b"\n", b"\r\n"), name
    assert git(repo, "status", "--porcelain") == ""


def test_update_all_and_plain_copier_agree(updated):
    fast, plain, _ = updated
    assert history(fast) == history(plain)
    assert git(fast, "status", "--porcelain") == git(plain, "status", "--porcelain") == ""


def changed_by_the_update(before: Path, after: Path) -> set[str]:
    return {name for name in files(after) if not (before / name).is_file()
            or (before / name).read_bytes() != (after / name).read_bytes()}
