"""sealing.py judged by implementations of the Sealed Secrets format that we did not write.

- kubesealpy (PyPI; requirements-test-tools.txt): an independent Python port of kubeseal
  with an Unsealer that decrypts the way the controller does, picking the OAEP label from
  the SealedSecret's annotations. It must open what we seal, in every scope, and refuse
  it at a namespace or name the scope does not allow.
- What kubesealpy seals must open with `hybrid_decrypt` (tests/support/controller_keys.py),
  our test-only transcription of the controller's HybridDecrypt, as must what the npm
  encrypter @linode/kubeseal-encrypt seals (tests/test_kubeseal_encrypt_js.py, an
  integration test: it installs that package): so the reading of the format that judges
  our own output is itself checked against two outside writers.

Key pairs and certificates (tests/support/controller_keys.py) are made like the controller
makes its own: a self-signed X.509 certificate over an RSA key.
"""

from __future__ import annotations

import base64
import datetime
from pathlib import Path

import kubesealpy
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from kubesealpy.exceptions import KubesealPyError
from kubesealpy.scopes import SealingScope
from kubesealpy.scopes import scope_from_annotations as their_scope_from_annotations

from flux_cookbook.errors import UserError
from flux_cookbook.seal import sealing
from flux_cookbook.seal.sealed_secrets import App, open_sealed_secret
from tests.support.controller_keys import hybrid_decrypt, make_certificate

THEIR_SCOPE = {
    sealing.STRICT: SealingScope.STRICT,
    sealing.NAMESPACE_WIDE: SealingScope.NAMESPACE_WIDE,
    sealing.CLUSTER_WIDE: SealingScope.CLUSTER_WIDE,
}
VALUES = {
    "password": "correct horse battery staple".encode(),
    "binary": bytes(range(256)),
    "empty": b"",
    "unicode": "pässwörd ✓".encode(),
}


# --- the independent unsealer opens what we seal ------------------------------------------


def sealed_file_text(tmp_path: Path, public_key, scope: str, namespace: str = "web", name: str = "db") -> str:
    """A whole SealedSecret as `flux-cookbook seal` writes it, holding VALUES."""
    app = App(name="web", namespace=namespace, folder=tmp_path)
    sealed = open_sealed_secret(app, name, scope=scope, labels={"team": "a"}, annotations={"note": "x"})
    sealed.seal(public_key, VALUES)
    return sealed.text()


@pytest.mark.parametrize("scope", sealing.SCOPES)
def test_kubesealpy_unseals_our_sealed_secret(tmp_path, public_key, unsealer, scope):
    model = kubesealpy.SealedSecret.from_yaml(sealed_file_text(tmp_path, public_key, scope))
    # kubesealpy picks the label from the annotations, as the controller does.
    assert their_scope_from_annotations(model.metadata.annotations) == THEIR_SCOPE[scope]
    secret = unsealer.unseal(model)
    assert {k: base64.b64decode(v) for k, v in secret.data.items()} == VALUES
    assert secret.metadata.labels == {"team": "a"}
    assert secret.type == "Opaque"


@pytest.mark.parametrize("scope", sealing.SCOPES)
def test_kubeseal_writes_scope_annotations_on_the_sealed_secret_and_its_template(tmp_path, public_key, scope):
    model = kubesealpy.SealedSecret.from_yaml(sealed_file_text(tmp_path, public_key, scope))
    expected = sealing.scope_annotations(scope)
    assert {k: v for k, v in (model.metadata.annotations or {}).items()} == expected
    assert model.spec.template.metadata.annotations == {**expected, "note": "x"}


def test_strict_scope_opens_only_at_its_namespace_and_name(public_key, unsealer):
    sealed = base64.b64decode(sealing.seal_value(public_key, b"v", "web", "db", sealing.STRICT))
    assert unsealer.unseal_value(sealed, "web", "db", SealingScope.STRICT) == b"v"
    for namespace, name, scope in [
        ("other", "db", SealingScope.STRICT),  # copied to another namespace
        ("web", "other", SealingScope.STRICT),  # renamed
        ("web", "d", SealingScope.STRICT),
        ("web", None, SealingScope.NAMESPACE_WIDE),  # annotated wider than it was sealed
        (None, None, SealingScope.CLUSTER_WIDE),
    ]:
        with pytest.raises(KubesealPyError):
            unsealer.unseal_value(sealed, namespace, name, scope)


def test_a_moved_strict_sealed_secret_does_not_unseal(tmp_path, public_key, unsealer):
    text = sealed_file_text(tmp_path, public_key, sealing.STRICT)
    for moved in (text.replace("namespace: web", "namespace: prod"), text.replace("name: db", "name: db2")):
        assert moved != text
        with pytest.raises(KubesealPyError):
            unsealer.unseal(kubesealpy.SealedSecret.from_yaml(moved))


def test_namespace_wide_scope_opens_under_any_name_in_its_namespace_only(public_key, unsealer):
    sealed = base64.b64decode(sealing.seal_value(public_key, b"v", "web", "db", sealing.NAMESPACE_WIDE))
    assert unsealer.unseal_value(sealed, "web", "db", SealingScope.NAMESPACE_WIDE) == b"v"
    assert unsealer.unseal_value(sealed, "web", "anything", SealingScope.NAMESPACE_WIDE) == b"v"
    for namespace, name, scope in [("prod", "db", SealingScope.NAMESPACE_WIDE), ("web", "db", SealingScope.STRICT), (None, None, SealingScope.CLUSTER_WIDE)]:
        with pytest.raises(KubesealPyError):
            unsealer.unseal_value(sealed, namespace, name, scope)


def test_cluster_wide_scope_opens_anywhere_but_only_as_cluster_wide(public_key, unsealer):
    sealed = base64.b64decode(sealing.seal_value(public_key, b"v", "web", "db", sealing.CLUSTER_WIDE))
    assert unsealer.unseal_value(sealed, None, None, SealingScope.CLUSTER_WIDE) == b"v"
    for namespace, name, scope in [("web", "db", SealingScope.STRICT), ("web", None, SealingScope.NAMESPACE_WIDE)]:
        with pytest.raises(KubesealPyError):
            unsealer.unseal_value(sealed, namespace, name, scope)


def test_another_key_pair_cannot_unseal(public_key):
    other = kubesealpy.Unsealer.from_private_key(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    sealed = base64.b64decode(sealing.seal_value(public_key, b"v", "web", "db", sealing.STRICT))
    with pytest.raises(KubesealPyError):
        other.unseal_value(sealed, "web", "db", SealingScope.STRICT)


# --- the layout, byte by byte ---------------------------------------------------------------


@pytest.mark.parametrize("key_size", [2048, 4096])  # the controller's own keys are 4096 bits
def test_layout_is_length_prefix_rsa_part_then_gcm_with_tag(key_size):
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    public = sealing.load_public_key(make_certificate(key), "test certificate")
    value = b"x" * 1000
    sealed = base64.b64decode(sealing.seal_value(public, value, "web", "db", sealing.STRICT), validate=True)
    assert sealed[:2] == (key_size // 8).to_bytes(2, "big")
    assert len(sealed) == 2 + key_size // 8 + len(value) + 16  # GCM adds its 16-byte tag only
    assert hybrid_decrypt(key, sealed, b"web/db") == value
    assert kubesealpy.Unsealer.from_private_key(key).unseal_value(sealed, "web", "db") == value
    # What the size of a Secret counts, read back off the sealed form.
    assert sealing.sealed_length(base64.b64encode(sealed).decode()) == len(value)
    # Wrapped over lines (a YAML block scalar), as Go's decoder reads it.
    assert sealing.sealed_length(base64.encodebytes(sealed).decode()) == len(value)


@pytest.mark.parametrize("entry", ["", "AA==", "not base64!", base64.b64encode(b"\x01\x00" + b"x" * 10).decode()])
def test_an_entry_of_no_sealed_form_has_no_length(entry):
    assert sealing.sealed_length(entry) is None


def test_every_seal_takes_a_new_session_key(key, public_key):
    first, second = (base64.b64decode(sealing.seal_value(public_key, b"same", "web", "db", sealing.STRICT)) for _ in range(2))
    assert first != second
    # The GCM part differs too: a zero nonce is safe only with a key used once.
    assert first[2 + 256 :] != second[2 + 256 :]
    assert hybrid_decrypt(key, first, b"web/db") == hybrid_decrypt(key, second, b"web/db") == b"same"


def test_labels_are_the_controllers():
    assert sealing.encryption_label("web", "db", sealing.STRICT) == b"web/db"
    assert sealing.encryption_label("web", "db", sealing.NAMESPACE_WIDE) == b"web"
    assert sealing.encryption_label("web", "db", sealing.CLUSTER_WIDE) == b""
    for scope, theirs in THEIR_SCOPE.items():
        assert sealing.encryption_label("web", "db", scope) == kubesealpy.scopes.build_label(theirs, "web", "db")


@pytest.mark.parametrize("scope", sealing.SCOPES)
def test_scope_annotations_read_back_as_their_scope(scope):
    annotations = sealing.scope_annotations(scope)
    assert sealing.scope_from_annotations(annotations) == scope
    assert their_scope_from_annotations(annotations) == THEIR_SCOPE[scope]


def test_scope_from_annotations_follows_the_controller():
    ns, cw = sealing.SCOPE_ANNOTATIONS[sealing.NAMESPACE_WIDE], sealing.SCOPE_ANNOTATIONS[sealing.CLUSTER_WIDE]
    assert sealing.scope_from_annotations({ns: "true", cw: "true"}) == sealing.CLUSTER_WIDE
    assert sealing.scope_from_annotations({cw: "false", ns: "true"}) == sealing.NAMESPACE_WIDE
    assert sealing.scope_from_annotations({ns: "True"}) == sealing.STRICT  # Go compares == "true"
    assert sealing.scope_from_annotations(None) == sealing.STRICT


# --- the other direction: what they seal, we read as the controller does ---------------------


@pytest.mark.parametrize("scope", sealing.SCOPES)
def test_what_kubesealpy_seals_opens_with_our_labels(key, scope):
    sealer = kubesealpy.Sealer.from_certificate_pem(make_certificate(key))
    model = sealer.seal(name="db", namespace="web", data=VALUES, scope=THEIR_SCOPE[scope])
    read_scope = sealing.scope_from_annotations(model.metadata.annotations)
    assert read_scope == scope
    label = sealing.encryption_label("web", "db", read_scope)
    opened = {k: hybrid_decrypt(key, base64.b64decode(v), label) for k, v in model.spec.encrypted_data.items()}
    assert opened == VALUES


# --- the certificate ----------------------------------------------------------------------------


def test_certificate_is_read_as_kubeseal_reads_it(key):
    pem = make_certificate(key)
    public = sealing.load_public_key(pem + make_certificate(rsa.generate_private_key(public_exponent=65537, key_size=2048)), "two")
    # The first certificate counts, as in kubeseal's ParseKey.
    assert public.public_numbers() == key.public_key().public_numbers()
    # Not yet valid passes, as in kubeseal: a clock a little behind the controller's is common.
    sealing.load_public_key(make_certificate(key, not_before_days=1), "early")


def test_expired_certificate_is_refused_with_its_date(key):
    pem = make_certificate(key, days=10, not_before_days=-30)
    expired_on = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=20)).strftime("%Y-%m-%d")
    with pytest.raises(UserError, match=f"old.pem: the certificate expired on {expired_on}"):
        sealing.load_public_key(pem, "old.pem")


@pytest.mark.parametrize(
    "pem, message",
    [
        (b"", "is not a PEM certificate"),
        (b"hello", "is not a PEM certificate"),
        (b"\x00\xff" * 50, "is not a PEM certificate"),
        (b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", "is not a PEM certificate"),
    ],
)
def test_what_is_not_a_certificate_is_refused(pem, message):
    with pytest.raises(UserError, match=f"bad.pem {message}"):
        sealing.load_public_key(pem, "bad.pem")


def test_a_public_key_is_not_a_certificate(key):
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(UserError, match="is not a PEM certificate"):
        sealing.load_public_key(pem, "key.pem")


@pytest.mark.parametrize("form", [serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL])
def test_a_file_holding_the_controllers_private_key_is_refused_loudly(key, form):
    """The key that opens every secret, alone or before the certificate (`cat key.pem
    cert.pem`), in the file the README says to commit: never used, and the user told."""
    private = key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption())
    for pem in (private, private + make_certificate(key), make_certificate(key) + private):
        with pytest.raises(UserError, match="cert.pem holds a private key: .* rotate the controller's key"):
            sealing.load_public_key(pem, "cert.pem")


def test_a_certificate_without_an_rsa_key_is_refused():
    pem = make_certificate(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(UserError, match="ec.pem: the certificate's key is not an RSA key"):
        sealing.load_public_key(pem, "ec.pem")
