"""The childplan command line, file-to-layer rules and the Streamlit glue.

Installed from a wheel, the checkout's sibling folders live inside this package
(``childplan/geo``, ``childplan/optimization``, ``childplan/app_pages``, ``childplan/data``…, see
``[tool.setuptools.package-dir]`` in pyproject.toml), so nothing generic such as ``geo`` lands
at the top of site-packages. Their code still says ``import geo`` / ``import optimization``
(as it does in the checkout, where those folders sit at the top); :class:`_Alias` resolves those
names to the one copy under ``childplan`` (same module objects, so classes and exceptions match).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def _version() -> str:
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    if not (Path(__file__).parent / "geo").is_dir() and pyproject.is_file():
        import tomllib  # a checkout: its pyproject.toml is the truth (installed metadata may be stale)

        with pyproject.open("rb") as f:
            return tomllib.load(f)["project"]["version"]
    try:
        return version("childplan")
    except PackageNotFoundError:
        return "0+unknown"


#: The release (pyproject.toml; CHANGELOG.md says what changed).
__version__ = _version()

#: Top-level names the checkout's folders are imported by.
ALIASED = ("geo", "optimization")


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``geo.x`` -> the module ``childplan.geo.x`` itself (not a second copy)."""

    def __init__(self, installed: bool):
        self.installed = installed

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top not in ALIASED:
            return None
        if top == fullname:
            # in a checkout, its own top-level geo/ wins when it is on the path
            if not self.installed and importlib.machinery.PathFinder.find_spec(top) is not None:
                return None
        elif getattr(sys.modules.get(top), "__name__", None) != f"{__name__}.{top}":
            return None  # the parent is a real top-level package: the normal import handles it
        try:
            real = importlib.util.find_spec(f"{__name__}.{fullname}")
        except ModuleNotFoundError:
            return None
        if real is None:
            return None
        return importlib.util.spec_from_loader(fullname, self, is_package=real.submodule_search_locations
                                               is not None)

    def create_module(self, spec):
        module = importlib.import_module(f"{__name__}.{spec.name}")
        spec.loader_state = module.__spec__  # the import machinery overwrites __spec__; put it back
        return module

    def exec_module(self, module):
        module.__spec__ = module.__spec__.loader_state


def _install_alias() -> None:
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        # installed layout: childplan/geo is a real sub-package; first in line, so another
        # distribution's top-level `geo` cannot shadow it. In a checkout the alias only serves an
        # editable install used from another directory.
        sys.meta_path.insert(0, _Alias((Path(__file__).parent / "geo" / "__init__.py").is_file()))


_install_alias()
