"""A Sealed Secrets controller's key pair, made the way the controller makes its own, and
the controller's decryption, for the tests that seal (a pytest plugin: tests/conftest.py).

Fixtures: `key` (the controller's private key), `public_key` (read from its certificate by
flux_cookbook.seal.sealing, as `seal` reads it), `unsealer` (kubesealpy's, an implementation we
did not write).
"""

from __future__ import annotations

import datetime
import struct

import kubesealpy
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from flux_cookbook.seal import sealing


def make_certificate(key, days: int = 3650, not_before_days: int = 0) -> bytes:
    """A self-signed PEM certificate for `key`, valid from now+not_before_days for `days`."""
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secret"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sealed-secret"),
    ])
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


def hybrid_decrypt(key: rsa.RSAPrivateKey, data: bytes, label: bytes) -> bytes:
    """Test-only: the controller's HybridDecrypt (pkg/crypto/crypto.go), step by step."""
    assert len(data) >= 2, "shorter than its length prefix"
    (rsa_length,) = struct.unpack(">H", data[:2])
    assert len(data) >= 2 + rsa_length, "shorter than its RSA part"
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label or None)
    session_key = key.decrypt(data[2 : 2 + rsa_length], oaep)
    assert len(session_key) == 32
    return AESGCM(session_key).decrypt(bytes(12), data[2 + rsa_length :], None)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def public_key(key) -> rsa.RSAPublicKey:
    return sealing.load_public_key(make_certificate(key), "test certificate")


@pytest.fixture(scope="module")
def unsealer(key) -> kubesealpy.Unsealer:
    return kubesealpy.Unsealer.from_private_key(key)
