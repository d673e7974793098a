"""The Jinja extension copier loads (`_jinja_extensions` in copier.yml).

It imports this folder as a package under a name unique to its path, because
`copier update` renders the old and the new template release in one process: each
checkout must run its own code, never a module cached from the other.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

from jinja2 import Environment
from jinja2.ext import Extension

_PACKAGE_DIR = Path(__file__).resolve().parent


def _import_own_package():
    name = "flux_cookbook_" + hashlib.sha256(str(_PACKAGE_DIR).encode()).hexdigest()[:16]
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, _PACKAGE_DIR / "__init__.py", submodule_search_locations=[str(_PACKAGE_DIR)]
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules[name] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"{name}.template_api")


class CookbookExtension(Extension):
    """Adds the template's filters and functions to copier's Jinja environment."""

    def __init__(self, environment: Environment):
        super().__init__(environment)
        api = _import_own_package()
        environment.filters.update(api.FILTERS)
        environment.globals.update(api.GLOBALS)
