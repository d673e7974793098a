"""sealing.py judged by implementations of the Sealed Secrets format that we did not write.

- kubesealpy (PyPI; requirements-test-tools.txt): an independent Python port of kubeseal
  with an Unsealer that decrypts the way the controller does, picking the OAEP label from
  the SealedSecret's annotations. It must open what we seal, in every scope, and refuse
  it at a namespace or name the scope does not allow.
- @linode/kubeseal-encrypt (npm, run with node; tests/support/kubeseal_encrypt_js/): an
  independent encrypter on WebCrypto, namespace-wide only. What it seals must open with
  `hybrid_decrypt` below, our test-only transcription of the controller's HybridDecrypt,
  as must what kubesealpy seals: so the reading of the format that judges our own output
  is itself checked against two outside writers.

Key pairs and certificates are made here, like the controller makes its own: a self-signed
X.509 certificate over an RSA key.
"""

from __future__ import annotations

import base64
import datetime
import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

import kubesealpy
from kubesealpy.exceptions import KubesealPyError
from kubesealpy.scopes import SealingScope
from kubesealpy.scopes import scope_from_annotations as their_scope_from_annotations

from flux_cookbook import sealing
from flux_cookbook.errors import UserError
from flux_cookbook.sealed_secrets import App, open_sealed_secret

JS_SEALER = Path(__file__).resolve().parents[1] / "support" / "kubeseal_encrypt_js"
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


# --- keys and certificates --------------------------------------------------------------


def make_certificate(key, days: int = 3650, not_before_days: int = 0) -> bytes:
    """A self-signed PEM certificate for `key`, valid from now+not_before_days for `days`."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secret"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sealed-secret")])
    start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=not_before_days)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def public_key(key) -> rsa.RSAPublicKey:
    return sealing.load_public_key(make_certificate(key), "test certificate")


@pytest.fixture(scope="module")
def unsealer(key) -> kubesealpy.Unsealer:
    return kubesealpy.Unsealer.from_private_key(key)


def hybrid_decrypt(key: rsa.RSAPrivateKey, data: bytes, label: bytes) -> bytes:
    """Test-only: the controller's HybridDecrypt (pkg/crypto/crypto.go), step by step."""
    assert len(data) >= 2, "shorter than its length prefix"
    (rsa_length,) = struct.unpack(">H", data[:2])
    assert len(data) >= 2 + rsa_length, "shorter than its RSA part"
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label or None)
    session_key = key.decrypt(data[2 : 2 + rsa_length], oaep)
    assert len(session_key) == 32
    return AESGCM(session_key).decrypt(bytes(12), data[2 + rsa_length :], None)


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


@pytest.fixture(scope="module")
def js_sealer(tmp_path_factory) -> Path:
    """@linode/kubeseal-encrypt installed from the npm registry, as its lock file pins it."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are needed to run @linode/kubeseal-encrypt")
    folder = tmp_path_factory.mktemp("kubeseal-encrypt-js")
    for name in ("package.json", "package-lock.json", "seal.mjs"):
        shutil.copy(JS_SEALER / name, folder / name)
    result = subprocess.run(
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=folder, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"npm ci failed:\n{result.stderr}"
    return folder


def js_seal(folder: Path, public_key: rsa.RSAPublicKey, namespace: str, value: str) -> bytes:
    pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    result = subprocess.run(
        ["node", "seal.mjs"], cwd=folder, input=json.dumps({"pem": pem, "namespace": namespace, "value": value}),
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return base64.b64decode(result.stdout, validate=True)


def test_what_kubeseal_encrypt_js_seals_opens_with_our_namespace_wide_label(js_sealer, key, public_key, unsealer):
    value = "from node: pässwörd ✓"
    sealed = js_seal(js_sealer, public_key, "web", value)
    label = sealing.encryption_label("web", "any-name", sealing.NAMESPACE_WIDE)
    assert hybrid_decrypt(key, sealed, label) == value.encode()
    assert unsealer.unseal_value(sealed, "web", None, SealingScope.NAMESPACE_WIDE) == value.encode()
    with pytest.raises(Exception):
        hybrid_decrypt(key, sealed, sealing.encryption_label("prod", "any-name", sealing.NAMESPACE_WIDE))
    # And the layout is the one we write.
    ours = base64.b64decode(sealing.seal_value(public_key, value.encode(), "web", "x", sealing.NAMESPACE_WIDE))
    assert (sealed[:2], len(sealed)) == (ours[:2], len(ours))


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


def test_a_private_key_or_public_key_is_not_a_certificate(key):
    for pem in (
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    ):
        with pytest.raises(UserError, match="is not a PEM certificate"):
            sealing.load_public_key(pem, "key.pem")


def test_a_certificate_without_an_rsa_key_is_refused():
    pem = make_certificate(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(UserError, match="ec.pem: the certificate's key is not an RSA key"):
        sealing.load_public_key(pem, "ec.pem")
