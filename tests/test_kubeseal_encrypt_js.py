"""sealing.py's format against the npm encrypter @linode/kubeseal-encrypt (integration).

An independent encrypter on WebCrypto, namespace-wide only (tests/support/kubeseal_encrypt_js/
runs it with node). What it seals must open with `hybrid_decrypt`, the test-only reading
of the format that judges our own output (tests/unit/test_sealing.py), and with
kubesealpy's unsealer; and its layout is the one we write.

It installs the package from the npm registry, as its lock file pins it, once: the
installed package is kept in pytest's cache folder (.pytest_cache/), under the lock file's
hash, and later runs reuse it. `-m "not integration"` leaves this out.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from kubesealpy.scopes import SealingScope

from flux_cookbook.seal import sealing
from tests.support.controller_keys import hybrid_decrypt

pytestmark = pytest.mark.integration

JS_SEALER = Path(__file__).resolve().parent / "support" / "kubeseal_encrypt_js"
INSTALLED = "installed"  # written once `npm ci` has succeeded in the cached folder


@pytest.fixture(scope="module")
def js_sealer(request: pytest.FixtureRequest) -> Path:
    """A folder with @linode/kubeseal-encrypt installed and seal.mjs beside it."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are needed to run @linode/kubeseal-encrypt")
    lock = (JS_SEALER / "package-lock.json").read_bytes() + (JS_SEALER / "package.json").read_bytes()
    folder = request.config.cache.mkdir(f"kubeseal-encrypt-js-{hashlib.sha256(lock).hexdigest()[:16]}")
    if not (folder / INSTALLED).is_file():
        for name in ("package.json", "package-lock.json"):
            shutil.copy(JS_SEALER / name, folder / name)
        result = subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"],
            cwd=folder, capture_output=True, text=True,
        )
        assert result.returncode == 0, f"npm ci failed:\n{result.stderr}"
        (folder / INSTALLED).write_text("")
    shutil.copy(JS_SEALER / "seal.mjs", folder / "seal.mjs")
    return folder


def js_seal(folder: Path, public_key: rsa.RSAPublicKey, namespace: str, value: str) -> bytes:
    pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    result = subprocess.run(
        ["node", "seal.mjs"], cwd=folder, input=json.dumps({"pem": pem, "namespace": namespace, "value": value}),
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    return base64.b64decode(result.stdout, validate=True)


def test_what_kubeseal_encrypt_js_seals_opens_with_our_namespace_wide_label(js_sealer, key, public_key, unsealer):
    value = "from node: pässwörd ✓"
    sealed = js_seal(js_sealer, public_key, "web", value)
    label = sealing.encryption_label("web", "any-name", sealing.NAMESPACE_WIDE)
    assert hybrid_decrypt(key, sealed, label) == value.encode()
    assert unsealer.unseal_value(sealed, "web", None, SealingScope.NAMESPACE_WIDE) == value.encode()
    with pytest.raises(ValueError, match="Decryption failed"):  # the label is another namespace's
        hybrid_decrypt(key, sealed, sealing.encryption_label("prod", "any-name", sealing.NAMESPACE_WIDE))
    # And the layout is the one we write.
    ours = base64.b64decode(sealing.seal_value(public_key, value.encode(), "web", "x", sealing.NAMESPACE_WIDE))
    assert (sealed[:2], len(sealed)) == (ours[:2], len(ours))
