"""`flux-cookbook`: the command users run on their cluster repositories.

It does what copier alone cannot (update every app at once, adopt a hand-made repository,
check a repository, seal a secret) and wraps `copier copy` for new repositories and apps.

The template's own Python, the `extensions/` folder at the top of the template repository
(what copier loads to render, and the migrations copier runs on update), is this
package's `flux_cookbook.extensions` everywhere: an installed copy carries it inside
(pyproject.toml maps the folder there), and in a source checkout, where it sits beside
this package, it is registered under that one name here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_BESIDE = Path(__file__).resolve().parent.parent / "extensions"
if not (Path(__file__).resolve().parent / "extensions").is_dir() and (_BESIDE / "__init__.py").is_file():
    _spec = importlib.util.spec_from_file_location(
        f"{__name__}.extensions", _BESIDE / "__init__.py", submodule_search_locations=[str(_BESIDE)]
    )
    extensions = importlib.util.module_from_spec(_spec)
    sys.modules[_spec.name] = extensions
    _spec.loader.exec_module(extensions)
