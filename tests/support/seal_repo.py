"""Fixtures for `flux-cookbook seal` tests: a small cluster repository with two apps, and
the controller's certificate kept outside it (the key pair is tests/support/controller_keys.py's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.controller_keys import make_certificate
from tests.support.project import init_repo


@pytest.fixture(scope="module")
def cert(key, tmp_path_factory) -> Path:
    """The controller's public certificate, kept outside the repository."""
    path = tmp_path_factory.mktemp("controller") / "sealed-secrets.pem"
    path.write_bytes(make_certificate(key))
    return path


@pytest.fixture
def repo(tmp_path) -> Path:
    """A cluster repository with two apps: web (namespace web-prod) and api."""
    repo = tmp_path / "cluster"
    repo.mkdir()
    (repo / ".copier-answers.yml").write_text("_src_path: gh:example/template\nbootstrap_dir: clusters/main\n")
    (repo / ".copier-answers.app-web.yml").write_text("_src_path: gh:example/template\napp_name: web\nnamespace: web-prod\n")
    (repo / ".copier-answers.app-api.yml").write_text("_src_path: gh:example/template\napp_name: api\nnamespace: api\n")
    for app in ("web", "api"):
        (repo / app).mkdir()
        (repo / app / f"configmap-{app}.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {app}\n  namespace: {app}\ndata:\n  a: b\n"
        )
    return init_repo(repo)
