"""The SealedSecret file: written whole or not at all; a key's ciphertext is left as it is."""

from __future__ import annotations

import os
import re

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from flux_cookbook.errors import UserError
from flux_cookbook.seal import sealed_secrets
from flux_cookbook.seal.sealed_secrets import App, open_sealed_secret
from tests.support.file_size_limit import run_with_file_size_limit


@pytest.fixture(scope="module")
def public_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()


@pytest.fixture
def app(tmp_path) -> App:
    folder = tmp_path / "web"
    folder.mkdir()
    return App(name="web", namespace="web", folder=folder)


# The second sealing, saved by a process whose writes fail after a byte (as on a full disk).
SAVE_SECOND = """
import sys
from pathlib import Path
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flux_cookbook.seal.sealed_secrets import App, open_sealed_secret
folder, key = Path(sys.argv[1]), load_pem_public_key(Path(sys.argv[2]).read_bytes())
second = open_sealed_secret(App(name="web", namespace="web", folder=folder), "db")
second.seal(key, {"b": b"2"})
limit_file_sizes()
second.save()
"""


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(app, public_key, tmp_path):
    first = open_sealed_secret(app, "db")
    first.seal(public_key, {"a": b"1"})
    first.save()
    before = first.path.read_bytes()

    key_file = tmp_path / "key.pem"
    key_file.write_bytes(public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    result = run_with_file_size_limit(SAVE_SECOND, app.folder, key_file)
    assert result.returncode == 1 and "OSError" in result.stderr and "File too large" in result.stderr, result.stderr
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


HEAD = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\n  namespace: web\nspec:\n  encryptedData:\n"


@pytest.mark.parametrize("make, message", [
    # An alias bomb under encryptedData: refused before anything walks it.
    (lambda path: path.write_text(HEAD + "    a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"    {k}: &{k} [{', '.join([f'*{p}'] * 10)}]\n" for p, k in zip("abcdefgh", "bcdefghi"))), "aliases expand to over"),
    (lambda path: os.mkfifo(path), "is not a regular file"),  # opened to read, it would wait for ever
    (lambda path: path.write_text(HEAD + "    123: AgAA\n    old:\n"), re.escape("entries that are no key and sealed text (123, old)")),
    # An escape the cluster's YAML refuses (a lone surrogate), which ruamel reads and would write back.
    (lambda path: path.write_text(HEAD + '    a: "\\ud83d\\ude00"\n'), "invalid Unicode character escape"),
])
def test_a_hostile_existing_file_is_refused_before_any_value_is_asked(app, make, message):
    make(sealed_secrets.sealed_secret_path(app, "db"))
    with pytest.raises(UserError, match=message):
        open_sealed_secret(app, "db")


def test_a_name_whose_file_name_the_file_system_refuses_is_refused_first(app):
    with pytest.raises(UserError, match="give a shorter name"):
        open_sealed_secret(app, ".".join(["a" * 63] * 3 + ["c" * 38]))  # a DNS-1123 subdomain of 230 characters
    # 222 characters: a file name of 240, and its temporary file's of 254, are taken.
    sealed = open_sealed_secret(app, ".".join(["a" * 63] * 3 + ["c" * 30]))
    sealed.save()
    assert sealed.path.is_file()


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


def test_a_long_sealed_value_stays_on_its_keys_line(app, public_key):
    """60 kB sealed is about 80,000 characters of base64: folded, `a: ` kept a trailing space,
    which yamllint (and so check) reports."""
    sealed = open_sealed_secret(app, "db")
    sealed.seal(public_key, {"a": os.urandom(60_000)})
    sealed.save()
    lines = sealed.path.read_text().splitlines()
    assert [line for line in lines if line.endswith(" ")] == []
    assert any(line.startswith("    a: ") and len(line) > 80_000 for line in lines)
