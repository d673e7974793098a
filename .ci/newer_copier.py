"""Install, into this interpreter's environment, the newest copier on PyPI relabelled as VERSION.

copier reads its own version from its distribution's metadata (importlib.metadata), so a
copy of the newest release whose wheel says 9.99.0 is, for the template and the command,
a copier newer than any yet released: what `_min_copier_version` and the dependency range
must accept. The code is copier's own, unchanged; only the wheel's name, its METADATA
Version and its .dist-info folder name change.

    python .ci/newer_copier.py 9.99.0
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path


def relabel(wheel: Path, version: str, into: Path) -> Path:
    old_version = wheel.name.split("-")[1]
    target = into / wheel.name.replace(f"-{old_version}-", f"-{version}-")
    old_info, new_info = f"copier-{old_version}.dist-info/", f"copier-{version}.dist-info/"
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            name = item.filename.replace(old_info, new_info, 1)
            if name == f"{new_info}METADATA":
                data = re.sub(rb"(?m)^Version: .*$", f"Version: {version}".encode(), data, count=1)
            if name == f"{new_info}RECORD":
                data = data.replace(old_info.encode(), new_info.encode())
            out.writestr(name, data)
    return target


def main(version: str) -> int:
    with tempfile.TemporaryDirectory() as folder:
        where = Path(folder)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
                        "-d", str(where), "copier"], check=True)
        (wheel,) = where.glob("copier-*.whl")
        built = relabel(wheel, version, where / "out" if (where / "out").mkdir() is None else where)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(built)],
                       check=True)
    done = subprocess.run([sys.executable, "-c", "import copier; print(copier.__version__)"],
                          capture_output=True, text=True, check=True).stdout.strip()
    print(f"copier {done} (the newest copier on PyPI, relabelled)")
    return 0 if done == version else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
