"""Sealing one value the way `kubeseal` does, so the Sealed Secrets controller can open it.

The format is the controller's own (pkg/crypto/crypto.go, HybridEncrypt, in
bitnami-labs/sealed-secrets), byte for byte:

    2-byte big-endian length of the RSA ciphertext
    || RSA-OAEP(SHA-256, MGF1 SHA-256, label) of a fresh random 32-byte session key
    || AES-256-GCM(session key, 12-byte all-zero nonce, no additional data) of the value,
       with its 16-byte tag at the end

and `spec.encryptedData` holds it in standard base64. The zero nonce is safe only because
every value gets its own random session key, used once.

The OAEP label binds the ciphertext to where it may be opened (EncryptionLabel in
pkg/apis/sealedsecrets/v1alpha1): strict `namespace/name`, namespace-wide `namespace`,
cluster-wide empty. The controller picks the label from the scope annotations on the
SealedSecret's own metadata (SecretScope), so the annotations and the label must agree.
"""

from __future__ import annotations

import base64
import datetime
import os
import re
import struct

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from flux_cookbook.errors import UserError

STRICT = "strict"
NAMESPACE_WIDE = "namespace-wide"
CLUSTER_WIDE = "cluster-wide"
SCOPES = (STRICT, NAMESPACE_WIDE, CLUSTER_WIDE)

# The controller's annotation names (types.go); strict has none.
SCOPE_ANNOTATIONS = {
    NAMESPACE_WIDE: "sealedsecrets.bitnami.com/namespace-wide",
    CLUSTER_WIDE: "sealedsecrets.bitnami.com/cluster-wide",
}

SESSION_KEY_BYTES = 32
_GCM_NONCE = bytes(12)  # AES-GCM's standard nonce size, all zero as in the controller
_GCM_TAG_BYTES = 16  # the authentication tag AES-GCM appends


def encryption_label(namespace: str, name: str, scope: str) -> bytes:
    """The OAEP label the controller checks when it unseals in `scope`."""
    if scope == CLUSTER_WIDE:
        return b""
    if scope == NAMESPACE_WIDE:
        return namespace.encode()
    if scope == STRICT:
        return f"{namespace}/{name}".encode()
    raise ValueError(f"unknown scope {scope!r}")


def scope_annotations(scope: str) -> dict[str, str]:
    """The annotations `kubeseal --scope` writes for `scope` (none for strict)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    return {SCOPE_ANNOTATIONS[scope]: "true"} if scope in SCOPE_ANNOTATIONS else {}


def scope_from_annotations(annotations: dict | None) -> str:
    """The scope the controller reads from these annotations: cluster-wide wins, and only
    the exact string "true" counts (SecretScope)."""
    annotations = annotations or {}
    if annotations.get(SCOPE_ANNOTATIONS[CLUSTER_WIDE]) == "true":
        return CLUSTER_WIDE
    if annotations.get(SCOPE_ANNOTATIONS[NAMESPACE_WIDE]) == "true":
        return NAMESPACE_WIDE
    return STRICT


def _oaep(label: bytes) -> padding.OAEP:
    # Go's rsa.EncryptOAEP uses its one hash for both the digest and MGF1.
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label or None)


def hybrid_encrypt(public_key: rsa.RSAPublicKey, plaintext: bytes, label: bytes) -> bytes:
    """The controller's HybridEncrypt: length || RSA-OAEP(session key) || AES-GCM(plaintext)."""
    session_key = os.urandom(SESSION_KEY_BYTES)
    rsa_ciphertext = public_key.encrypt(session_key, _oaep(label))
    aes_ciphertext = AESGCM(session_key).encrypt(_GCM_NONCE, plaintext, None)
    return struct.pack(">H", len(rsa_ciphertext)) + rsa_ciphertext + aes_ciphertext


_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def decoded_length(text: str) -> int:
    """The bytes a base64 value stands for, its line breaks and spaces ignored (as Go's
    decoder and the API server ignore them, and a YAML block scalar wraps it)."""
    body = "".join(text.split())
    return len(body) * 3 // 4 - len(body) + len(body.rstrip("="))


def sealed_length(entry: object) -> int | None:
    """The length of the value one `spec.encryptedData` entry holds, read off its form
    (`hybrid_encrypt`'s: the length, the RSA ciphertext, AES-GCM's ciphertext and tag)
    without decoding it, its key not counted; None for an entry of no such form."""
    body = "".join(str(entry).split())
    if len(body) % 4 or not _BASE64.fullmatch(body) or decoded_length(body) < 2:
        return None
    length = decoded_length(body) - 2 - struct.unpack(">H", base64.b64decode(body[:4])[:2])[0] - _GCM_TAG_BYTES
    return length if length >= 0 else None


def seal_value(public_key: rsa.RSAPublicKey, value: bytes, namespace: str, name: str, scope: str) -> str:
    """One `spec.encryptedData` entry: `value` sealed for `scope`, in standard base64."""
    sealed = hybrid_encrypt(public_key, value, encryption_label(namespace, name, scope))
    return base64.b64encode(sealed).decode("ascii")


def load_public_key(pem: bytes, source: str, now: datetime.datetime | None = None) -> rsa.RSAPublicKey:
    """The RSA public key of the controller's certificate, refusing what kubeseal refuses.

    Like kubeseal's ParseKey: the first certificate of a PEM file, an RSA key, not
    expired. `source` names where the certificate came from, for the messages.
    """
    if re.search(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----", pem):
        # The key that opens every SealedSecret of the cluster, in a file the repository (or
        # the user) keeps as the public certificate: never used, and said loudly.
        raise UserError(
            f"{source} holds a private key: the Sealed Secrets controller's own key, which opens every secret "
            "sealed for the cluster. Nothing was sealed. Keep only the certificate (kubeseal --fetch-cert prints "
            "it); if that file was ever committed or shared, rotate the controller's key and seal again."
        )
    try:
        certificates = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise UserError(
            f"{source} is not a PEM certificate (-----BEGIN CERTIFICATE-----): give the Sealed Secrets "
            "controller's public certificate, as `kubeseal --fetch-cert` prints it."
        ) from None
    certificate = certificates[0]
    try:
        key = certificate.public_key()
    except ValueError:
        key = None  # a key type this build of cryptography cannot read
    if not isinstance(key, rsa.RSAPublicKey):
        raise UserError(
            f"{source}: the certificate's key is not an RSA key; the Sealed Secrets controller's certificate always is."
        )
    now = now or datetime.datetime.now(datetime.timezone.utc)
    expiry = certificate.not_valid_after_utc
    if now > expiry:
        raise UserError(
            f"{source}: the certificate expired on {expiry:%Y-%m-%d}; fetch the controller's current one "
            "with `kubeseal --fetch-cert`."
        )
    return key
