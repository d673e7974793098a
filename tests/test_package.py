"""The installable command: what `pip install` of this repository puts in place."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from flux_cookbook import copier_run
from tests.support.template_repo import PROJECT_ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(PROJECT_ROOT)],
        check=True, capture_output=True, cwd=out,
    )
    (built,) = out.glob("flux_cookbook-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_carries_the_command_the_template_code_and_the_crds(wheel):
    names = set(wheel.namelist())
    expected_code = {
        f"flux_cookbook/extensions/{path.relative_to(PROJECT_ROOT / 'extensions').as_posix()}"
        for path in (PROJECT_ROOT / "extensions").rglob("*.py")
    } | {
        f"flux_cookbook/{path.relative_to(PROJECT_ROOT / 'flux_cookbook').as_posix()}"
        for path in (PROJECT_ROOT / "flux_cookbook").rglob("*.py")
    }
    assert expected_code <= names, sorted(expected_code - names)
    crds = {f"flux_cookbook/crds/{p.parent.name}/{p.name}" for p in (PROJECT_ROOT / "flux_cookbook/crds").glob("*/*.yaml")}
    assert crds and crds <= names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "flux-cookbook = flux_cookbook.cli:main" in wheel.read(entry_points).decode()
    assert not [n for n in names if n.startswith(("tests/", "extensions/", "template/"))]


@pytest.mark.parametrize(
    ("direct_url", "expected"),
    [
        ('{"url": "https://github.com/acme/flux-cookbook", "vcs_info": {"vcs": "git", "commit_id": "abc"}}',
         "https://github.com/acme/flux-cookbook.git"),
        ('{"url": "ssh://git@github.com/acme/flux-cookbook.git", "vcs_info": {"vcs": "git"}}',
         "ssh://git@github.com/acme/flux-cookbook.git"),
        (f'{{"url": "file://{PROJECT_ROOT}", "dir_info": {{}}}}', str(PROJECT_ROOT)),
        ('{"url": "file:///nowhere/at/all", "dir_info": {}}', None),
        ('{"url": "https://files.example/flux_cookbook-3.0.0.whl", "archive_info": {}}', None),
    ],
)
def test_the_template_is_where_the_command_was_installed_from(direct_url, expected):
    class Distribution:
        def read_text(self, name):
            return direct_url if name == "direct_url.json" else None

    assert copier_run.installed_from(lambda name: Distribution()) == expected


def test_without_an_install_record_the_template_must_be_named():
    def missing(name):
        raise copier_run.metadata.PackageNotFoundError(name)

    with pytest.raises(copier_run.UserError, match="Pass --template"):
        copier_run.default_template(None, missing)
    assert copier_run.default_template("gh:acme/tpl", missing) == "gh:acme/tpl"


def test_a_checkout_imports_the_template_code_under_one_name():
    import flux_cookbook.extensions.layout as layout

    assert Path(layout.__file__).resolve() == PROJECT_ROOT / "extensions" / "layout.py"
    assert "extensions" not in sys.modules and "extensions.layout" not in sys.modules


def _package_of(path: Path) -> str:
    """The package a source file's relative imports resolve in (extensions/ is flux_cookbook.extensions)."""
    parts = list(path.relative_to(PROJECT_ROOT).parent.parts)
    return ".".join(["flux_cookbook", *parts] if parts[:1] == ["extensions"] else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute name) of every module, and every name from a module, a source file imports."""
    package = _package_of(path).split(".")
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found += [(node.lineno, module)] + [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _sources(*tops: str) -> list[Path]:
    return [path for top in tops for path in (PROJECT_ROOT / top).rglob("*.py")]


def test_every_import_of_the_template_code_names_it_flux_cookbook_extensions():
    # jinja_entry.py alone loads extensions/ under a name unique to its checkout, by path
    # (its docstring says why); every import statement names the package one way.
    sources = _sources("flux_cookbook", "extensions", "tests", "bench")
    other_names = [
        f"{path.relative_to(PROJECT_ROOT)}:{line}: {name}"
        for path in sources
        for line, name in _imports(path)
        if name.split(".")[0] == "extensions" or (".extensions" in name and not name.startswith("flux_cookbook.extensions"))
    ]
    assert len(sources) > 100
    assert other_names == []


def test_no_test_module_imports_another():
    # What tests share lives in tests/conftest.py, tests/support/ and tests/fixtures/.
    sources = _sources("tests")
    test_modules = [
        f"{path.relative_to(PROJECT_ROOT)}:{line}: {name}"
        for path in sources
        for line, name in _imports(path)
        if name.startswith("tests.") and name.split(".")[-1].startswith("test_")
    ]
    assert len(sources) > 50
    assert test_modules == []


def test_the_command_says_the_release_the_changelog_names():
    from flux_cookbook.version import VERSION
    from tests.support.template_repo import changelog_version

    assert VERSION == changelog_version()
