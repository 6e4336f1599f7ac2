"""Where the product's own files are, installed or in a checkout, and where it may write.

Read-only files ship inside the ``childplan`` package (see ``[tool.setuptools.package-dir]`` in
pyproject.toml) and are found through :mod:`importlib.resources`:

=============  ==========================  ===========================
what           installed (wheel)           checkout
=============  ==========================  ===========================
the app        ``childplan/app/app.py``    ``app.py``
its pages      ``childplan/app_pages/``    ``app_pages/``
assets         ``childplan/assets/``       ``assets/``
demo data      ``childplan/data/``         ``data/``
app config     ``childplan/app/.streamlit/config.toml``  ``.streamlit/config.toml``
=============  ==========================  ===========================

Writable state never goes next to the code (site-packages may be read-only): it goes to
:func:`user_dir` — ``$CHILDPLAN_HOME`` when the planner sets it, else the per-user data folder
(``~/.local/share/childplan`` on Linux, via platformdirs). The scenario store keeps its own
default (``~/.childplan``, ``$CHILDPLAN_STORE``; see :mod:`childplan.store`).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

__all__ = [
    "app_dir",
    "app_script",
    "asset",
    "installed",
    "page",
    "root",
    "streamlit_config",
    "user_dir",
]


def _package_dir() -> Path:
    return Path(os.fspath(resources.files("childplan")))


def installed() -> bool:
    """True when running from an installed wheel (the folders live inside the package)."""
    return (_package_dir() / "geo" / "__init__.py").is_file()


def root() -> Path:
    """The folder holding ``geo/``, ``optimization/``, ``app_pages/``, ``assets/`` and ``data/``."""
    pkg = _package_dir()
    return pkg if installed() else pkg.parent


def app_dir() -> Path:
    """The folder of the Streamlit entry script ``app.py`` (and its ``.streamlit/``)."""
    return root() / "app" if installed() else root()


def app_script() -> Path:
    """The Streamlit entry script."""
    return app_dir() / "app.py"


def streamlit_config() -> Path:
    """The app's Streamlit settings (static serving, headless, no usage statistics…)."""
    return app_dir() / ".streamlit" / "config.toml"


def page(name: str) -> Path:
    """A page script of the app, e.g. ``page("map.py")``."""
    return root() / "app_pages" / name


def asset(name: str) -> Path:
    """A static asset shipped with the app, e.g. ``asset("icon.png")``."""
    return root() / "assets" / name


def user_dir() -> Path:
    """Where the product may write: ``$CHILDPLAN_HOME``, else the per-user data folder."""
    env = os.environ.get("CHILDPLAN_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("childplan", appauthor=False))
