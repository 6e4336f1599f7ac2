"""``childplan app``: start the Streamlit app from the installed package (or the checkout).

Installed, the app runs from a per-user folder (:func:`childplan.resources.user_dir` ``/app``):
``app.py`` is copied there from the package, and Streamlit serves that folder's ``static/``
(the Leaflet files the maps load), so nothing is ever written into site-packages. Pages, assets
and demo data are read from the package.

The settings are the app's own ``.streamlit/config.toml`` (shipped in the package), given to
Streamlit as command-line options so that they apply from any working directory, plus the
no-phone-home server settings: listen on 127.0.0.1 unless told otherwise, headless (no browser
opened on a server), no usage statistics.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from pathlib import Path

from childplan import resources

__all__ = ["VersionAction", "app_command", "prepare_run_dir", "streamlit_options", "version_text"]


def version_text() -> str:
    """``childplan X.Y.Z`` with the scenario store's schema version."""
    from childplan import __version__
    from childplan.store import SCHEMA_VERSION

    return (f"childplan {__version__} · 方案库结构版本 {SCHEMA_VERSION} / "
            f"scenario store schema {SCHEMA_VERSION}")


class VersionAction(argparse.Action):
    """``--version`` that imports the store only when asked (the CLI starts fast otherwise)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        """Print :func:`version_text` and exit."""
        sys.stdout.write(version_text() + "\n")
        parser.exit()


def streamlit_options(port: int = 8501, address: str = "127.0.0.1") -> list[str]:
    """The app's config.toml as ``--section.key=value`` options, then the server settings."""
    with resources.streamlit_config().open("rb") as f:
        config = tomllib.load(f)
    opts: dict[str, object] = {}
    for section, values in config.items():
        for key, value in values.items():
            opts[f"{section}.{key}"] = value
    opts.update({
        "server.port": port,
        "server.address": address,
        "server.headless": True,
        "browser.gatherUsageStats": False,
        "browser.serverAddress": address if address not in ("0.0.0.0", "::") else "localhost",
        "global.developmentMode": False,
    })
    return [f"--{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in opts.items()]


def prepare_run_dir(home: Path | None = None) -> Path:
    """The folder the app runs from; returns its ``app.py``.

    In a checkout that is the checkout itself (``static/`` beside ``app.py``, git-ignored).
    Installed, ``app.py`` is copied (atomically, only when it changed) to ``<home>/app/``.
    Either way the Leaflet files are written to ``static/vendor`` beside it first.
    """
    from geo.offline import ensure_static_assets

    source = resources.app_script()
    if not resources.installed():
        ensure_static_assets(source.parent / "static" / "vendor")
        return source
    run_dir = Path(home or resources.user_dir()) / "app"
    run_dir.mkdir(parents=True, exist_ok=True)
    target = run_dir / "app.py"
    data = source.read_bytes()
    if not target.is_file() or target.read_bytes() != data:
        tmp = target.with_name(f".app.py.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    # before the server starts: Streamlit only serves a static/ folder that exists then
    ensure_static_assets(run_dir / "static" / "vendor")
    return target


def app_command(port: int = 8501, address: str = "127.0.0.1", home: Path | None = None) -> list[str]:
    """The command line that runs the app (``python -m streamlit run …``)."""
    script = prepare_run_dir(home)
    return [sys.executable, "-m", "streamlit", "run", str(script), *streamlit_options(port, address)]


def run_app(port: int = 8501, address: str = "127.0.0.1", home: Path | None = None) -> int:
    """Replace this process with the Streamlit server (Ctrl+C stops it)."""
    cmd = app_command(port, address, home)
    script = Path(cmd[4])
    host = "127.0.0.1" if address in ("0.0.0.0", "::") else address
    sys.stdout.write(f"childplan 已启动，请在浏览器打开 http://{host}:{port} （按 Ctrl+C 停止）/ "
                     f"open http://{host}:{port} in a browser (Ctrl+C stops it)\n")
    sys.stdout.flush()
    os.chdir(script.parent)  # a stray .streamlit/ or file in the planner's folder plays no part
    os.execv(cmd[0], cmd)
    return 0  # pragma: no cover - execv does not return
