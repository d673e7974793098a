"""The installable command: what `pip install` of this repository puts in place."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from flux_cookbook.template_runs import copier_run
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
    # jinja_entry.py alone loads extensions/ under a name unique to its code
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


# flux_cookbook's packages in the order data flows: a package imports only from its own
# layer or the layers after it (commands -> capabilities -> the repository model), and the
# capabilities import one another without a cycle.
MODEL = ("repository", "errors", "stops", "version", "extensions")
CAPABILITIES = ("adopt", "check", "seal", "template_runs", "update", "values")
COMMANDS = ("commands", "cli", "__main__")


def _package_imports() -> dict[str, set[str]]:
    """flux_cookbook's top-level package (or module) of each source -> those it imports."""
    edges: dict[str, set[str]] = {}
    for path in _sources("flux_cookbook"):
        top = path.relative_to(PROJECT_ROOT / "flux_cookbook").with_suffix("").parts[0]
        for _, name in _imports(path):
            parts = name.split(".")
            if parts[0] == "flux_cookbook" and len(parts) > 1 and parts[1] != top:
                edges.setdefault(top, set()).add(parts[1])
    return edges


def test_every_package_has_its_layer():
    tops = {p.relative_to(PROJECT_ROOT / "flux_cookbook").with_suffix("").parts[0] for p in _sources("flux_cookbook")}
    assert tops - {"__init__"} == set(MODEL + CAPABILITIES + COMMANDS) - {"extensions"}


def test_data_flows_from_the_commands_to_the_capabilities_to_the_model():
    edges = _package_imports()
    layer = {name: n for n, names in enumerate((COMMANDS, CAPABILITIES, MODEL)) for name in names}
    upward = sorted(f"{src} imports {dst}" for src, dsts in edges.items() for dst in dsts
                    if dst in layer and layer[dst] < layer[src])
    assert edges["commands"] >= {"check", "adopt", "update"}  # the graph is read at all
    assert upward == []


def test_the_capabilities_import_one_another_without_a_cycle():
    edges = {src: dsts & set(CAPABILITIES) for src, dsts in _package_imports().items() if src in CAPABILITIES}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})) for nxt in edges.get(start, ()))

    assert [name for name in CAPABILITIES if reaches(name, name, set())] == []
