"""The SealedSecret file: written whole or not at all; a key's ciphertext is left as it is."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from flux_cookbook.errors import UserError
from flux_cookbook.seal import sealed_secrets
from flux_cookbook.seal.sealed_secrets import App, open_sealed_secret


@pytest.fixture(scope="module")
def public_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()


@pytest.fixture
def app(tmp_path) -> App:
    folder = tmp_path / "web"
    folder.mkdir()
    return App(name="web", namespace="web", folder=folder)


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(app, public_key, monkeypatch):
    first = open_sealed_secret(app, "db")
    first.seal(public_key, {"a": b"1"})
    first.save()
    before = first.path.read_bytes()

    second = open_sealed_secret(app, "db")
    second.seal(public_key, {"b": b"2"})

    def broken_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        second.save()
    assert first.path.read_bytes() == before
    assert sorted(p.name for p in app.folder.iterdir()) == ["sealedsecret-db.yaml"]


def test_a_new_file_gets_the_usual_mode_and_an_existing_one_keeps_its_own(app, public_key):
    sealed = open_sealed_secret(app, "db")
    sealed.seal(public_key, {"a": b"1"})
    sealed.save()
    umask = os.umask(0)
    os.umask(umask)
    assert sealed.path.stat().st_mode & 0o777 == 0o666 & ~umask
    sealed.path.chmod(0o600)
    again = open_sealed_secret(app, "db")
    again.seal(public_key, {"b": b"2"})
    again.save()
    assert sealed.path.stat().st_mode & 0o777 == 0o600


def test_a_file_of_several_documents_is_refused(app):
    path = sealed_secrets.sealed_secret_path(app, "db")
    path.write_text("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n---\nkind: Secret\n")
    with pytest.raises(UserError, match="is not one valid YAML document"):
        open_sealed_secret(app, "db")


def test_the_old_whole_secret_format_is_refused(app):
    path = sealed_secrets.sealed_secret_path(app, "db")
    path.write_text(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\n  namespace: web\n"
        "spec:\n  data: AgBy\n"
    )
    with pytest.raises(UserError, match="uses the old whole-Secret `spec.data`"):
        open_sealed_secret(app, "db")


def test_unknown_scope_and_empty_type_are_refused(app):
    with pytest.raises(UserError, match="scope 'wide' is not one of strict, namespace-wide, cluster-wide"):
        open_sealed_secret(app, "db", scope="wide")
    with pytest.raises(UserError, match="type must not be empty"):
        open_sealed_secret(app, "db", secret_type=" ")


def test_an_app_answers_file_cannot_point_outside_the_repository(tmp_path):
    (tmp_path / ".copier-answers.app-web.yml").write_text("app_name: web\nnamespace: web\napps_dir: ../elsewhere\n")
    with pytest.raises(UserError, match="is outside the repository"):
        sealed_secrets.find_app(tmp_path, "web")
    (tmp_path / ".copier-answers.app-web.yml").write_text("app_name: web\nnamespace: Web\n")
    with pytest.raises(UserError, match="namespace 'Web' is not a valid DNS-1123"):
        sealed_secrets.find_app(tmp_path, "web")
    (tmp_path / ".copier-answers.app-web.yml").write_text("app_name: web\nnamespace: web\n")
    with pytest.raises(UserError, match="app 'web' has no folder web"):
        sealed_secrets.find_app(tmp_path, "web")


def test_a_repository_without_apps_says_so(tmp_path):
    with pytest.raises(UserError, match=r"has no app 'web'; it has none \(no .copier-answers.app-\*.yml\)"):
        sealed_secrets.find_app(tmp_path, "web")
