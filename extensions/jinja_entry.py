"""The Jinja extension copier loads (`_jinja_extensions` in copier.yml).

It imports this folder as a package under a name unique to its code, because
`copier update` renders the old and the new template release in one process: each
release must run its own code, never a module cached from the other. The name comes from
what the folder holds, not where it is: copier clones the template afresh for every
render (three per update), and update-all updates app after app in one process, so the
same release's code is imported once per process instead of once per clone.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

from jinja2 import Environment
from jinja2.ext import Extension

_PACKAGE_DIR = Path(__file__).resolve().parent


def _code_digest(folder: Path) -> str:
    """A digest of every file below `folder` (but Python's caches), by relative path."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _import_own_package():
    name = "flux_cookbook_" + _code_digest(_PACKAGE_DIR)
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, _PACKAGE_DIR / "__init__.py", submodule_search_locations=[str(_PACKAGE_DIR)]
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules[name] = package
        spec.loader.exec_module(package)
    # The package (and any subpackage imported so far) may have come from an earlier clone
    # of the same code, which copier has removed since: what it imports later (a module
    # imported only when a function needs it) is found in this clone, or in another clone
    # of the same code still there. An update renders the same release in two clones at
    # once (the old render, removed first, and the repository's own, whose functions run
    # after it): each stays on the path while it is there.
    for module_name, module in list(sys.modules.items()):
        if module_name == name or module_name.startswith(name + "."):
            if hasattr(module, "__path__"):
                here = str(_PACKAGE_DIR.joinpath(*module_name.split(".")[1:]))
                module.__path__ = [here] + [path for path in module.__path__ if path != here and Path(path).is_dir()]
    return importlib.import_module(f"{name}.template_api")


class CookbookExtension(Extension):
    """Adds the template's filters and functions to copier's Jinja environment."""

    def __init__(self, environment: Environment):
        super().__init__(environment)
        api = _import_own_package()
        environment.filters.update(api.FILTERS)
        environment.globals.update(api.GLOBALS)
