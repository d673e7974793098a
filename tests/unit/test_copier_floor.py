"""The copier floor is stated once, in copier.yml, and everything else agrees with it.

copier.yml's `_min_copier_version` is what copier itself enforces; the package's dependency
must allow exactly that floor up to the next major (no newer 9.x refused), .ci/run must test
on it, and nothing in the project may read a private copier name.
"""

from __future__ import annotations

import re
import subprocess
import sys

import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from tests.support.template_repo import PROJECT_ROOT


def floor() -> str:
    return yaml.safe_load((PROJECT_ROOT / "copier.yml").read_text())["_min_copier_version"]


def test_the_dependency_is_the_floor_up_to_the_next_major():
    # The dependency line as pyproject.toml writes it (tomllib is Python 3.11+; 3.10 is supported).
    (line,) = re.findall(r'^\s*"(copier[<>=!~][^"]*)",', (PROJECT_ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    copier = Requirement(line)
    major = Version(floor()).major
    assert str(copier.specifier) in (f"<{major + 1},>={floor()}", f">={floor()},<{major + 1}")
    for allowed in (floor(), f"{major}.20.0", f"{major}.99.0"):
        assert copier.specifier.contains(allowed)
    assert not copier.specifier.contains(f"{major + 1}.0.0")


def test_the_tests_run_on_the_floor_and_on_a_newer_copier():
    """requirements-test.txt pins the floor (CI's whole suite); .ci/on-newer-copier then a relabelled newer copier."""
    pins = re.findall(r"^copier==(\S+)$", (PROJECT_ROOT / "requirements-test.txt").read_text(), re.MULTILINE)
    assert pins == [floor()]
    newer = re.search(r"newer_copier\.py (\S+)", (PROJECT_ROOT / ".ci/on-newer-copier").read_text())
    assert newer and Version(newer.group(1)) > Version(floor()) and Version(newer.group(1)).major == Version(floor()).major


def test_nothing_reads_a_private_copier_name():
    tracked = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True, check=True).stdout.split("\0")
    # copier's private modules, and the old public names of them it now deprecates
    private = re.compile(r"\bcopier\._[a-z]|\bcopier\.(vcs|main|template|tools|types|user_data|subproject|cli|jinja_ext)\b")
    found = [name for name in tracked if name.endswith((".py", ".yml", ".jinja", ".toml"))
             and (PROJECT_ROOT / name).is_file() and private.search((PROJECT_ROOT / name).read_text(errors="replace"))
             and name != "tests/unit/test_copier_floor.py"]
    assert found == []


def test_every_module_imports_without_copiers_deprecation_warnings():
    """In a new interpreter, so that every module is imported afresh under the filter."""
    script = """
import importlib, pkgutil, warnings
warnings.filterwarnings("error", category=DeprecationWarning)
import copier
import flux_cookbook, flux_cookbook.extensions
names = [m.name for package in (flux_cookbook, flux_cookbook.extensions)
         for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
         if not m.name.endswith(".__main__")]
for name in names:
    importlib.import_module(name)
print(len(set(names)), "flux_cookbook.extensions.migrations.v3_0_0" in names)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    count, has_migrations = done.stdout.split()
    assert int(count) > 50 and has_migrations == "True"
