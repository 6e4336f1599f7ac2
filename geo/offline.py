"""Make folium maps work with no network: serve or inline Leaflet instead of CDN links.

folium writes ``<script src="https://cdn.jsdelivr.net/...leaflet.js">``; on a government
intranet that fails and the map comes out blank. The PyPI package ``folium-offline`` ships
the same files' contents; this module takes them from there and either

* writes them under Streamlit's static folder (``static/vendor/`` beside the running app.py,
  served at ``/app/static/vendor/`` when ``server.enableStaticServing`` is on; installed, that
  is the per-user app folder, see :func:`_default_static_dir`) and points the map at
  those local URLs — for the app, where streamlit-folium loads scripts by URL; or
* inlines them into the HTML — for a standalone HTML export or a snapshot rendered in a
  headless browser.

Assets the product does not use (jQuery, Bootstrap, Font Awesome marker icons) are dropped,
so a map page loads ~170 kB of Leaflet and nothing else.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import branca.element
import folium
import folium.elements

__all__ = ["STATIC_DIR", "STATIC_URL", "ensure_static_assets", "localise_map", "map_html"]



def _default_static_dir() -> Path:
    """``static/vendor`` beside the running app: the checkout's, or the per-user app folder.

    An installed product never writes next to its code (site-packages may be read-only):
    ``childplan app`` runs the app from ``$CHILDPLAN_HOME/app`` (default: the per-user data
    folder, via platformdirs) and Streamlit serves that folder's ``static/``.
    """
    top = Path(__file__).resolve().parents[1]
    if not (top / "__init__.py").is_file():  # a checkout: app.py sits at the top, beside static/
        return top / "static" / "vendor"
    home = os.environ.get("CHILDPLAN_HOME")
    if not home:
        import platformdirs

        home = platformdirs.user_data_dir("childplan", appauthor=False)
    return Path(home).expanduser() / "app" / "static" / "vendor"


#: Streamlit serves ``<app dir>/static`` at ``/app/static`` when static serving is enabled.
STATIC_DIR = _default_static_dir()
STATIC_URL = "/app/static/vendor"

# folium asset names the product never needs (no Bootstrap widgets, no icon markers).
_UNUSED = {
    "jquery", "bootstrap", "awesome_markers", "bootstrap_css", "glyphicons_css",
    "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css",
}


def _bundled() -> dict[str, str]:
    from offlinefolium.elements import _res  # URL -> file content, shipped by folium-offline

    return _res


def _local_name(url: str) -> str:
    digest = hashlib.sha1(url.encode()).hexdigest()[:10]
    return f"{digest}-{url.rsplit('/', 1)[-1]}"


def ensure_static_assets(static_dir: Path = STATIC_DIR) -> Path:
    """Write every bundled asset the maps may ask for into ``static_dir`` (idempotent)."""
    static_dir.mkdir(parents=True, exist_ok=True)
    for url, content in _bundled().items():
        target = static_dir / _local_name(url)
        data = content.encode("utf-8")
        if not target.exists() or target.stat().st_size != len(data):
            tmp = target.with_suffix(target.suffix + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(target)
    return static_dir


def _walk(element):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def localise_map(m: folium.Map, mode: str = "static") -> folium.Map:
    """Point every JS/CSS asset of ``m`` at a local copy (``mode="static"``) or inline it.

    Raises
    ------
    KeyError
        If an element asks for an asset folium-offline does not ship (a plugin we never
        vetted); better to fail loudly than to draw a blank map on the intranet.
    """
    bundled = _bundled()
    inline: dict[str, list] = {"js": [], "css": []}

    def local(assets, kind):
        kept = []
        for name, url in assets:
            if name in _UNUSED:
                continue
            if url.startswith(STATIC_URL):
                kept.append((name, url))
            elif url not in bundled:
                raise KeyError(f"no offline copy of {url}")
            elif mode == "inline":
                inline[kind].append((name, bundled[url]))
            else:
                kept.append((name, f"{STATIC_URL}/{_local_name(url)}"))
        return kept

    for el in _walk(m):
        if isinstance(el, folium.elements.JSCSSMixin):
            # instance attributes: the class-level lists stay untouched
            el.default_js = local(el.default_js, "js")
            el.default_css = local(el.default_css, "css")
    if mode == "inline":
        header = m.get_root().header
        for name, css in inline["css"]:
            header.add_child(branca.element.Element(f"<style>{css}</style>"), name=f"{name}_inline")
        for name, js in inline["js"]:
            header.add_child(branca.element.Element(f"<script>{js}</script>"),
                             name=f"{name}_inline")
    return m


def map_html(m: folium.Map) -> str:
    """Standalone HTML of a map with every asset inlined (works from a USB stick, offline)."""
    localise_map(m, mode="inline")
    return m.get_root().render()
