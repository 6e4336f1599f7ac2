"""Map builders: each returns a :class:`folium.Map` (never renders, never touches Streamlit).

The basemap is our own data — county boundary, townships, rivers and ponds — so a map is
readable with no network; online tiles are an option. Every map carries a legend, a north
arrow, a scale bar, and the 示意数据 mark whenever it shows any synthetic record. Villages
are drawn on a canvas renderer (``prefer_canvas``) from one GeoJSON blob, which keeps a map
of thousands of villages responsive.
"""

from __future__ import annotations

import json
import math

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from geo import safe
from geo.hazards import _chainage
from geo.i18n import column_label, enum_label, facility_label, t, water_label
from geo.labels import deconflict, text_box
from geo.schema import FACILITY_STATUS
from optimization.vocab import DIFFICULTY_COLUMNS, FACILITY_KINDS, VILLAGE_DESIGNATIONS

__all__ = [
    "FACILITY_COLOURS",
    "FACILITY_SHAPES",
    "MEASURES",
    "IdentifyPanel",
    "Legend",
    "add_legend",
    "add_township_labels",
    "base_map",
    "break_labels",
    "build_county_map",
    "class_breaks",
    "facility_facts",
    "facility_symbol",
    "has_synthetic",
    "policy_classes",
    "reach_facts",
    "township_label_plan",
    "township_labels",
    "village_measure",
    "village_table",
    "web_zoom",
]

#: Village measures a planner can size and colour villages by.
MEASURES = ("resident_children", "left_behind", "difficulty", "targets", "key_attention")

#: One colour per facility kind (colour-blind-safe-ish, distinct on a pale basemap).
FACILITY_COLOURS = {
    "children_home": "#6a3d9a",  # purple: never in the villages' Reds ramp
    "primary_school": "#1b998b",
    "kindergarten": "#f49d37",
    "service_station": "#6c757d",
    "womens_home": "#c45ab3",
    "farm_library": "#8a6d3b",
    "school_youth_palace": "#2e86ab",
    "township_station": "#3f37c9",
    "rescue_protection": "#000000",
    "welfare_institution": "#0b6e4f",
}
# Facility kinds drawn by default on the overview (the rest are one click away).
_SHOWN_FACILITIES = ("children_home", "township_station", "rescue_protection",
                     "welfare_institution")
#: Shape of each facility kind's symbol (an SVG polygon in a 20 × 20 box, or a circle), so
#: that kinds differ by shape and not only by colour; the legend draws the same symbols.
FACILITY_SHAPES = {
    "children_home": "square",
    "rescue_protection": "triangle",
    "welfare_institution": "diamond",
    "township_station": "hexagon",
    "primary_school": "triangle_down",
    "kindergarten": "pentagon",
    "school_youth_palace": "star",
    "service_station": "circle",
    "womens_home": "circle",
    "farm_library": "circle",
}
_POLYGONS = {
    "square": "3,3 17,3 17,17 3,17",
    "triangle": "10,1.5 18.8,17.5 1.2,17.5",
    "diamond": "10,0.8 19.2,10 10,19.2 0.8,10",
    "hexagon": "5.2,1.8 14.8,1.8 19.4,10 14.8,18.2 5.2,18.2 0.6,10",
    "triangle_down": "1.2,2.5 18.8,2.5 10,18.5",
    "pentagon": "10,1.2 18.8,7.6 15.4,18 4.6,18 1.2,7.6",
    "star": "10,0.8 12.5,7.2 19.3,7.2 13.8,11.4 15.8,18.6 10,14.3 4.2,18.6 6.2,11.4 0.7,7.2 "
            "7.5,7.2",
}
#: Symbol size (px) of a kind: the county's institutions largest, then the homes.
_BIG_FACILITIES = ("township_station", "rescue_protection", "welfare_institution")


def _facility_px(kind: str) -> int:
    """Symbol size (px) of a kind on the map."""
    return 16 if kind in _BIG_FACILITIES else (13 if kind == "children_home" else 10)


def facility_symbol(kind: str, *, built: bool = True, size: int | None = None,
                    inline: bool = False) -> safe.Markup:
    """The SVG symbol of a facility kind: its shape (:data:`FACILITY_SHAPES`) in its colour.

    Running: filled, white outline; planned, under construction or closed: hollow (a pale
    fill in the kind's colour, outlined in it). ``inline``: for a line of text (the legend).

    >>> str(facility_symbol("children_home", size=12))[:58]
    '<svg xmlns="http://www.w3.org/2000/svg" width="12" height='
    """
    if size is None:
        size = _facility_px(kind)
    colour = FACILITY_COLOURS.get(kind, "#555")
    fill, stroke, opacity = (colour, "#fff", 1) if built else (colour, colour, 0.18)
    shape = FACILITY_SHAPES.get(kind, "circle")
    style = safe.html("fill='{}' fill-opacity='{}' stroke='{}' stroke-width='1.6' "
                      "stroke-linejoin='round'", fill, opacity, stroke)
    body = (safe.html("<circle cx='10' cy='10' r='8.2' {}/>", style) if shape == "circle"
            else safe.html("<polygon points='{}' {}/>", _POLYGONS[shape], style))
    return safe.html('<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" '
                     'viewBox="0 0 20 20" style="display:{};vertical-align:middle;'
                     'overflow:visible;filter:drop-shadow(0 0 1px rgba(0,0,0,0.55))">{}</svg>',
                     size, size, "inline-block" if inline else "block", body)


_SEQ = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"]  # ColorBrewer Reds, 5 classes
_WATER = "#3a86c8"
_WATER_FILL = "#9cc9ee"
_BASEMAP_BG = "#f6f4ee"
#: Size (px) the map frame is assumed to have when labels are placed for the first view
#: (the map page's frame is 620 px high and about 900 px wide in a 1,400 px window).
FRAME_PX = (900, 620)
_FIT_PADDING_PX = 12


def village_measure(villages: pd.DataFrame, measure: str) -> pd.Series:
    """Per-village value of a measure.

    ``difficulty`` sums the five subtypes; ``targets`` adds left-behind children to them.
    """
    if measure == "difficulty":
        return villages[list(DIFFICULTY_COLUMNS)].fillna(0).sum(axis=1).astype(int)
    if measure == "targets":
        return (villages["left_behind"].fillna(0)
                + villages[list(DIFFICULTY_COLUMNS)].fillna(0).sum(axis=1)).astype(int)
    if measure not in villages.columns:
        raise KeyError(f"unknown measure {measure!r}; choose one of {MEASURES}")
    return villages[measure].fillna(0).astype(int)


def has_synthetic(frame) -> bool:
    """True when a layer holds any synthetic (示意) record: the map must say 示意数据."""
    return bool(len(frame) and "is_synthetic" in frame
                and frame["is_synthetic"].fillna(False).astype(bool).any())


def class_breaks(values, k: int = 5) -> list[float]:
    """Upper bounds of ``k`` quantile classes (distinct, increasing; last = max)."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return [0.0]
    qs = np.unique(np.quantile(v, np.linspace(0, 1, k + 1)[1:]))
    return [float(q) for q in qs]


def _classify(value: float, breaks: list[float]) -> int:
    for i, b in enumerate(breaks):
        if value <= b:
            return i
    return len(breaks) - 1


def break_labels(breaks) -> list[str]:
    """Class names for lower class edges ``breaks``, with 千分位.

    >>> break_labels((50, 100, 200, 1000))
    ['< 50', '50–99', '100–199', '200–999', '≥ 1,000']
    """
    b = [float(x) for x in breaks]
    return ([f"< {b[0]:,.0f}"] + [f"{lo:,.0f}–{hi - 1:,.0f}" for lo, hi in zip(b[:-1], b[1:],
                                                                              strict=True)]
            + [f"≥ {b[-1]:,.0f}"])


def policy_classes(values, breaks) -> tuple[list[int], list[str], list[str]]:
    """Class of each value for lower class edges ``breaks`` (from the policy in force).

    ``breaks`` are what :func:`geo.snapshot.policy_breaks` gives, e.g. ``(50, 100, 200, 400)``
    around the 100-children threshold (004 二(一)): a value of exactly 100 is in the class
    "100–199", 99 in "50–99". Only the first ``len(_SEQ) - 1`` edges are used (as on the
    printed maps). Returns (class index per value, colour per class, name per class).

    >>> policy_classes([0, 49, 50, 99, 100, 399, 400], (50, 100, 200, 400))[0]
    [0, 0, 1, 1, 2, 3, 4]
    """
    b = np.asarray(sorted(float(x) for x in breaks)[: len(_SEQ) - 1], dtype=float)
    cls = np.searchsorted(b, np.asarray(values, dtype=float), side="right")
    pal = _SEQ[len(_SEQ) - len(b) - 1:]
    return [int(c) for c in cls], list(pal), break_labels(b)


def web_zoom(bounds, frame_px=FRAME_PX, padding_px: int = _FIT_PADDING_PX,
             snap: float = 0.25) -> float:
    """The zoom Leaflet's ``fitBounds`` picks for ``bounds`` (minx, miny, maxx, maxy, WGS84).

    Web Mercator: the world is 256·2^z px wide. Rounded down to ``snap`` (the maps'
    ``zoomSnap``).

    >>> web_zoom((0, 0, 360 / 2 ** 10, 1e-9), frame_px=(256 + 24, 1000))
    10.0
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    x0, y0 = _mercator_px(minx, maxy, 0.0)
    x1, y1 = _mercator_px(maxx, miny, 0.0)
    w, h = frame_px
    fits = [(w - 2 * padding_px) / max(x1 - x0, 1e-12), (h - 2 * padding_px) / max(y1 - y0, 1e-12)]
    z = math.log2(min(fits))
    return math.floor(z / snap + 1e-9) * snap


def _mercator_px(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    """Pixel position of (lon, lat) at ``zoom`` in Web Mercator (y grows southwards)."""
    size = 256.0 * 2.0 ** zoom
    s = math.sin(math.radians(max(min(lat, 85.0511), -85.0511)))
    return ((lon + 180.0) / 360.0 * size,
            (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * size)


def township_label_plan(townships: gpd.GeoDataFrame, zoom: float, *, metric_crs=None,
                        font_px: float = 11.0) -> list[tuple[str, float, float, int, bool]]:
    """Every township name as (name, lon, lat, rank, shown at ``zoom``).

    Each name sits at its township's representative point; rank 0 is the largest township.
    Where two names would overlap on screen the larger township keeps its label
    (:func:`geo.labels.deconflict`); the other is ``shown=False``.
    """
    if not len(townships):
        return []
    tw = townships.to_crs(4326) if townships.crs is not None else townships
    pts = tw.geometry.representative_point()
    area = list(townships.to_crs(metric_crs).geometry.area if metric_crs is not None
                else tw.geometry.area)
    boxes = [text_box(n, *_mercator_px(p.x, p.y, zoom), font_px=font_px)
             for n, p in zip(tw["name"], pts, strict=True)]
    keep = set(deconflict(boxes, priority=area))
    order = sorted(range(len(area)), key=lambda i: -area[i])
    rank = {i: r for r, i in enumerate(order)}
    return [(str(tw["name"].iloc[i]), float(pts.iloc[i].x), float(pts.iloc[i].y), rank[i],
             i in keep) for i in range(len(area))]


def township_labels(townships: gpd.GeoDataFrame, zoom: float, *, metric_crs=None,
                    font_px: float = 11.0) -> list[tuple[str, float, float]]:
    """Township names (name, lon, lat) whose labels do not overlap at ``zoom``.

    The ``shown`` ones of :func:`township_label_plan`.
    """
    return [(n, x, y) for n, x, y, _, shown in township_label_plan(
        townships, zoom, metric_crs=metric_crs, font_px=font_px) if shown]


class _LabelDeconflict(MacroElement):
    """Redo the township-label choice in the browser after every zoom.

    Also once the frame has its real size. Labels go in rank order, one hidden when it touches
    one already shown, so a name dropped at the county view comes back when zoomed in.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            function place() {
                var els = Array.prototype.slice.call(
                    map.getContainer().querySelectorAll('.cp-town-label'));
                els.sort(function(a, b) { return (+a.dataset.rank) - (+b.dataset.rank); });
                els.forEach(function(el) { el.style.visibility = 'visible'; });
                var kept = [];
                els.forEach(function(el) {
                    var r = el.getBoundingClientRect();
                    if (!r.width) return;
                    var clash = kept.some(function(k) {
                        return r.left < k.right && k.left < r.right
                            && r.top < k.bottom && k.top < r.bottom;
                    });
                    if (clash) { el.style.visibility = 'hidden'; } else { kept.push(r); }
                });
            }
            map.on('zoomend', place);
            map.on('overlayadd', place);
            setTimeout(place, 700);  // after the fit (50 and 600 ms)
        })();
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "LabelDeconflict"


def add_township_labels(m: folium.Map, townships: gpd.GeoDataFrame, zoom: float, *,
                        metric_crs=None, parent=None) -> int:
    """Draw every township name on ``m``, deconflicted, on top of the symbols; returns how many.

    Names that would overlap at ``zoom`` (the first view, :func:`web_zoom`) are hidden, the
    larger township winning (:func:`township_label_plan`); the browser redoes the choice after
    each zoom (:class:`_LabelDeconflict`), so a dropped name comes back when zoomed in. The
    labels go into ``parent`` (a layer of ``m``) when given, else onto ``m`` itself.
    """
    plan = township_label_plan(townships, zoom, metric_crs=metric_crs)
    target = m if parent is None else parent
    for name, lon, lat, rank, shown in plan:
        folium.Marker(
            [lat, lon],
            icon=safe.div_icon(
                # on a pale box (as on the printed maps), never catching the mouse
                safe.html("<div class='cp-town-label' data-rank='{}' style='font:11px "
                          "sans-serif;color:#222;white-space:nowrap;transform:translate("
                          "-50%,-50%);display:inline-block;background:rgba(255,255,255,"
                          "0.78);padding:0 2px;border-radius:2px;pointer-events:none;"
                          "visibility:{}'>{}</div>", rank,
                          "visible" if shown else "hidden", name), icon_size=(0, 0)),
            interactive=False, z_index_offset=10_000,  # above the facility symbols
        ).add_to(target)
    if plan:
        _LabelDeconflict().add_to(m)
    return len(plan)


class Legend(MacroElement):
    """A Leaflet control holding the legend, a north arrow and the 示意数据 mark.

    Added in the map's own script (not as loose HTML) so streamlit-folium and exported HTML
    render it the same way; it also paints the map background, since no tiles are drawn.
    ``html``, ``north`` and ``synthetic`` are markup made by :mod:`geo.safe` (raw strings are
    escaped as text); they reach the script only through :func:`geo.safe.script_json`.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            map.getContainer().style.background = {{ this.background_js }};
            {% if this.bounds and this.fit %}
            // Fit once the frame has its final size (inside Streamlit the first size is 0),
            // unless the page handed streamlit-folium a view to restore (its center): the
            // script stays the same either way, so the component keeps its map.
            var fit = function() {
                map.invalidateSize();
                var given = window.__GLOBAL_DATA__ && window.__GLOBAL_DATA__.last_center;
                if (!given) map.fitBounds({{ this.bounds_js }}, {padding: [12, 12]});
            };
            setTimeout(fit, 50);
            setTimeout(fit, 600);
            {% endif %}
            var legend = L.control({position: 'bottomright'});
            legend.onAdd = function() {
                var div = L.DomUtil.create('div', 'cp-legend');
                div.innerHTML = {{ this.html_js }};
                div.style.cssText = 'background:rgba(255,255,255,0.92);padding:6px 9px;'
                    + 'border-radius:4px;font:12px/1.45 sans-serif;box-shadow:0 1px 4px #888;'
                    + 'max-height:60vh;overflow:auto';
                return div;
            };
            legend.addTo(map);
            // the legend lists only what is drawn: an item follows its layer's tick
            var groups = {};
            {% for key, n in this.layer_pairs %}groups[{{ key }}] = {{ n }};
            {% endfor %}
            var sync = function() {
                var div = legend.getContainer();
                div.querySelectorAll('[data-cp-layer]').forEach(function(el) {
                    var g = groups[el.getAttribute('data-cp-layer')];
                    el.style.display = (!g || map.hasLayer(g)) ? '' : 'none';
                });
                div.querySelectorAll('.cp-lg-section').forEach(function(sec) {
                    var items = sec.querySelectorAll('.cp-lg-item');
                    var any = !items.length || Array.prototype.some.call(items, function(i) {
                        return i.style.display !== 'none';
                    });
                    sec.style.display = any ? '' : 'none';
                });
            };
            map.on('overlayadd overlayremove', sync);
            sync();
            var north = L.control({position: 'topleft'});
            north.onAdd = function() {
                var div = L.DomUtil.create('div', 'cp-north');
                div.innerHTML = {{ this.north_js }};
                div.style.cssText = 'background:rgba(255,255,255,0.9);padding:2px 7px;'
                    + 'border-radius:4px;font:bold 13px sans-serif;text-align:center;'
                    + 'box-shadow:0 1px 4px #888';
                return div;
            };
            north.addTo(map);
            {% if this.synthetic %}
            var mark = L.control({position: 'topright'});
            mark.onAdd = function() {
                var div = L.DomUtil.create('div', 'cp-synthetic');
                div.innerHTML = {{ this.synthetic_js }};
                div.style.cssText = 'background:#fff3cd;color:#7a5b00;border:1px solid #e0c060;'
                    + 'padding:3px 8px;border-radius:4px;font:bold 13px sans-serif';
                return div;
            };
            mark.addTo(map);
            {% endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str, north: str, synthetic: str | None,
                 background: str = _BASEMAP_BG, bounds=None, fit: bool = True,
                 layer_names=()):
        super().__init__()
        self._name = "Legend"
        # folium's own variable names of the layers the items follow (never data)
        self.layer_pairs = [(safe.script_json(str(i)), n) for i, n in enumerate(layer_names)
                            if n.replace("_", "").isalnum()]
        self.bounds = bounds
        self.fit = fit
        self.html = safe.text(html)
        self.north = safe.text(north)
        self.synthetic = None if synthetic is None else safe.text(synthetic)
        self.background = background
        # Everything the script block receives goes through the one JSON-in-<script> escaper.
        self.bounds_js = safe.script_json(bounds)
        self.html_js = safe.script_json(str(self.html))
        self.north_js = safe.script_json(str(self.north))
        self.synthetic_js = safe.script_json(None if synthetic is None else str(self.synthetic))
        self.background_js = safe.script_json(background)


def add_legend(m: folium.Map, sections: list[tuple[str, list[tuple[str, str]]]], *,
               lang: str = "zh", synthetic: bool = False, bounds=None,
               fit: bool = True) -> folium.Map:
    """Add a legend: ``sections`` = [(title, [(swatch, label[, layer]), ...]), ...].

    Titles and labels are raw text (a county or scenario name may be among them) and are
    escaped; a swatch is markup made by :func:`geo.safe.html` (``_dot``, ``_line``, ``_box``).
    An item given a ``layer`` (a folium layer of ``m``, e.g. its FeatureGroup) shows only
    while that layer is ticked in the layer control; a section whose items are all hidden
    hides with them.
    """
    parts = [safe.html("<b>{}</b>", t("legend", lang))]
    names: list[str] = []
    for title, items in sections:
        body = [safe.html("<div style='margin-top:4px;font-weight:600'>{}</div>", title)]
        for item in items:
            swatch, label = item[0], item[1]
            layer = item[2] if len(item) > 2 else None
            if layer is None:
                body.append(safe.html("<div class='cp-lg-item'>{} {}</div>", swatch, label))
                continue
            if layer.get_name() not in names:
                names.append(layer.get_name())
            body.append(safe.html("<div class='cp-lg-item' data-cp-layer='{}'>{} {}</div>",
                                  names.index(layer.get_name()), swatch, label))
        parts.append(safe.html("<div class='cp-lg-section'>{}</div>", safe.Markup("").join(body)))
    mark = None
    if synthetic:
        mark = safe.text(t("synthetic_mark", "zh") + ("" if lang == "zh" else
                                                      " · synthetic data"))
    north = safe.html("▲<br>{}", t("north", lang))
    Legend(safe.Markup("").join(parts), north, mark, bounds=bounds, fit=fit,
           layer_names=names).add_to(m)
    return m


def _dot(colour: str, size: int = 10, border: str = "#333") -> safe.Markup:
    return safe.html("<span style='display:inline-block;width:{}px;height:{}px;"
                     "border-radius:50%;background:{};border:1px solid {};"
                     "vertical-align:middle'></span>", size, size, colour, border)


def _line(colour: str, width: int = 3) -> safe.Markup:
    return safe.html("<span style='display:inline-block;width:18px;height:0;border-top:{}px "
                     "solid {};vertical-align:middle'></span>", width, colour)


def _box(fill: str, border: str) -> safe.Markup:
    return safe.html("<span style='display:inline-block;width:14px;height:10px;background:{};"
                     "border:1px solid {};vertical-align:middle'></span>", fill, border)


class IdentifyPanel(MacroElement):
    """Identify: a click on a feature of ``layer`` shows its facts in the map's one panel.

    Every layer given an ``IdentifyPanel`` shares one panel (top left, under the north
    arrow). A click lists *everything under it* in the layers of all panels: the features
    whose symbol the click falls on (a circle's radius or an icon's half size, plus 3 px; a
    line within half its width plus 4 px), ordered by ``order`` (villages 0, facilities 1,
    danger reaches 2), nearest first. When the first of them is in a ``report`` layer (the
    villages) but another feature took the click (a home's square drawn over its village),
    that village is clicked in turn once the click is done, so the page hears of the village
    the planner meant (:func:`streamlit_folium.st_folium`'s ``last_active_drawing``).

    ``fields`` are property names of the layer's features, whose strings
    :func:`geo.safe.geojson` has escaped; ``labels``, ``title`` and ``many`` (raw text,
    escaped here) head them. The panel stays until closed or another click.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var layer = {{ this.layer.get_name() }};
            var reg = map._cpIdentify;
            if (!reg) {
                reg = map._cpIdentify = {sources: [], div: null, busy: false, last: null,
                                         many: {{ this.many_js }}};
                var panel = L.control({position: 'topleft'});
                panel.onAdd = function() {
                    var div = L.DomUtil.create('div', 'cp-identify');
                    div.style.cssText = 'display:none;background:rgba(255,255,255,0.96);'
                        + 'padding:6px 10px;border-radius:4px;font:12px/1.5 sans-serif;'
                        + 'box-shadow:0 1px 4px #888;max-height:50vh;overflow:auto;'
                        + 'min-width:190px;max-width:340px';
                    L.DomEvent.disableClickPropagation(div);
                    L.DomEvent.disableScrollPropagation(div);
                    reg.div = div;
                    return div;
                };
                panel.addTo(map);
                reg.dist = function(l, pt) {  // screen distance of a click to a feature, or null
                    if (l.getLatLng) {
                        var r = l.getRadius ? l.getRadius() : 0;
                        var ic = l.options && l.options.icon && l.options.icon.options;
                        if (!l.getRadius && ic && ic.iconSize) {
                            var s = ic.iconSize;
                            r = Math.max(s[0] || s.x || 0, s[1] || s.y || 0) / 2;
                        }
                        var d = map.latLngToContainerPoint(l.getLatLng()).distanceTo(pt);
                        return d <= r + 3 ? d : null;
                    }
                    if (l.getLatLngs) {
                        var best = Infinity;
                        var walk = function(ll) {
                            if (!ll.length) return;
                            if (ll[0].lat === undefined) { ll.forEach(walk); return; }
                            for (var i = 1; i < ll.length; i++) {
                                best = Math.min(best, L.LineUtil.pointToSegmentDistance(pt,
                                    map.latLngToContainerPoint(ll[i - 1]),
                                    map.latLngToContainerPoint(ll[i])));
                            }
                        };
                        walk(l.getLatLngs());
                        return best <= (l.options.weight || 3) / 2 + 4 ? best : null;
                    }
                    return null;
                };
                reg.item = function(h, head) {
                    var p = (h.l.feature || {}).properties || {};
                    var rows = h.s.fields.map(function(f, i) {
                        var v = p[f] === null || p[f] === undefined ? '' : String(p[f]);
                        return '<tr><th style="text-align:left;padding-right:10px;color:#555;'
                            + 'font-weight:600;vertical-align:top">' + h.s.labels[i]
                            + '</th><td>' + v + '</td></tr>';
                    }).join('');
                    return '<div class="cp-identify-item" data-kind="' + h.s.kind + '"'
                        + (head ? ' style="border-top:1px solid #ccc;margin-top:5px;'
                           + 'padding-top:3px"><div style="font-weight:700">' + h.s.title
                           + '</div>' : '>') + '<table>' + rows + '</table></div>';
                };
                reg.show = function(hits) {
                    var div = reg.div;
                    var many = hits.length > 1;
                    var head = many ? reg.many[0] + String(hits.length) + reg.many[1]
                                    : hits[0].s.title;
                    div.innerHTML = '<div style="display:flex;justify-content:space-between;'
                        + 'font-weight:700;margin-bottom:3px"><span>' + head + '</span>'
                        + '<a href="#" class="cp-identify-close" style="text-decoration:none;'
                        + 'color:#555;margin-left:12px">×</a></div>'
                        + hits.map(function(h) { return reg.item(h, many); }).join('');
                    div.style.display = 'block';
                    div.querySelector('.cp-identify-close').onclick = function(ev) {
                        ev.preventDefault();
                        div.style.display = 'none';
                    };
                };
                reg.open = function(e) {
                    if (reg.busy) return;
                    var oe = e.originalEvent;
                    if (oe && oe === reg.last) return;  // one click, seen once
                    reg.last = oe;
                    var clicked = e.layer || e.propagatedFrom || e.sourceTarget;
                    var pt = (oe && oe.clientX !== undefined) ? map.mouseEventToContainerPoint(oe)
                        : map.latLngToContainerPoint(e.latlng || clicked.getLatLng());
                    var hits = [];
                    reg.sources.forEach(function(s) {
                        if (!map.hasLayer(s.layer)) return;
                        s.layer.eachLayer(function(l) {
                            var d = l === clicked ? -1 : reg.dist(l, pt);
                            if (d !== null) hits.push({s: s, l: l, d: d});
                        });
                    });
                    if (!hits.length) return;
                    hits.sort(function(a, b) { return (a.s.order - b.s.order) || (a.d - b.d); });
                    reg.show(hits);
                    var first = hits[0];
                    if (first.s.report && first.l !== clicked && first.l.getLatLng) {
                        setTimeout(function() {  // after every handler of this click
                            reg.busy = true;
                            try { first.l.fire('click', {latlng: first.l.getLatLng()}, true); }
                            finally { reg.busy = false; }
                        }, 0);
                    }
                };
            }
            reg.sources.push({layer: layer, fields: {{ this.fields_js }},
                              labels: {{ this.labels_js }}, title: {{ this.title_js }},
                              kind: {{ this.kind_js }}, order: {{ this.order }},
                              report: {{ 'true' if this.report else 'false' }}});
            layer.on('click', reg.open);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, layer, fields, labels, *, title: str = "", order: int = 0,
                 report: bool = False, kind: str = "", many: str = "{n}"):
        super().__init__()
        self._name = "IdentifyPanel"
        self.layer = layer
        self.order = int(order)
        self.report = bool(report)
        self.fields_js = safe.script_json([str(f) for f in fields])
        self.labels_js = safe.script_json([str(safe.text(x)) for x in labels])
        self.title_js = safe.script_json(str(safe.text(title)))
        self.kind_js = safe.script_json(str(safe.text(kind)))
        before, _, after = str(many).partition("{n}")  # "此处有 {n} 个要素"
        self.many_js = safe.script_json([str(safe.text(before)), str(safe.text(after))])


class _NoAttributionPrefix(MacroElement):
    """Remove Leaflet's attribution prefix (a link and a national flag) from the map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        if ({{ this._parent.get_name() }}.attributionControl) {
            {{ this._parent.get_name() }}.attributionControl.setPrefix(false);
        }
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "NoAttributionPrefix"


class _MetricScale(MacroElement):
    """A metric-only scale bar (Leaflet's default, folium's ``control_scale``, adds miles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, metric: true, maxWidth: 150, position: 'bottomleft'})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "MetricScale"


def base_map(bounds, *, tiles: str | None = None, height: int | str = "100%") -> folium.Map:
    """An empty map fitted to ``bounds`` (minx, miny, maxx, maxy), canvas-rendered.

    ``tiles=None`` (default) draws no tiles at all: our vector layers are the basemap.
    The scale bar is metric only.
    """
    minx, miny, maxx, maxy = bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        tiles=tiles,
        zoom_start=11,
        control_scale=False,  # its scale shows miles too: ours (below) is metric only
        prefer_canvas=True,
        height=height,
        zoom_snap=0.25,  # fractional zoom: a county fills the frame
        zoom_delta=0.5,
    )
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    _NoAttributionPrefix().add_to(m)
    _MetricScale().add_to(m)
    return m


def _built(facilities: pd.DataFrame) -> pd.Series:
    """True where a facility stands and runs (status existing, or no status given)."""
    if "status" not in facilities.columns:
        return pd.Series(True, index=facilities.index)
    s = facilities["status"].fillna("").astype(str)
    return s.isin(("", "existing"))


def _facility_labels(facilities: pd.DataFrame, kind: str, lang: str) -> list[str]:
    """The kind's name, with the status when the facility is not (yet, or any longer) running.

    >>> import pandas as pd
    >>> _facility_labels(pd.DataFrame({"status": ["existing", "planned"]}), "children_home", "zh")
    ['儿童之家', '儿童之家（拟建）']
    """
    base = facility_label(kind, lang)
    i = 0 if lang == "zh" else 1
    out = []
    for built, status in zip(_built(facilities), facilities.get(
            "status", pd.Series("", index=facilities.index)).fillna("").astype(str), strict=True):
        word = FACILITY_STATUS.get(status, (status, status))[i]
        out.append(base if built else (f"{base}（{word}）" if lang == "zh" else f"{base} ({word})"))
    return out


def _features(gdf: gpd.GeoDataFrame, props: list[str], decimals: int = 6) -> dict:
    """A compact GeoJSON FeatureCollection with only ``props``, strings escaped for HTML.

    Leaflet's tooltips write these values with ``innerHTML``: :func:`geo.safe.geojson`
    escapes every string property here, so no builder can pass a raw name to the browser.
    """
    sub = gdf[props + [gdf.geometry.name]].copy()
    for c in props:
        if sub[c].dtype.kind == "f":
            sub[c] = sub[c].round(2)
        elif sub[c].dtype == object:
            sub[c] = sub[c].map(lambda v: None if v is None else (v if isinstance(
                v, (str, int, float, bool)) else str(v)))
    return safe.geojson(json.loads(sub.to_json(drop_id=True, to_wgs84=True)))


def _round_coords(fc: dict, decimals: int = 5) -> dict:
    def r(c):
        if isinstance(c, (list, tuple)):
            return [r(x) for x in c]
        return round(c, decimals)

    for f in fc["features"]:
        g = f.get("geometry")
        if g:
            g["coordinates"] = r(g["coordinates"])
    return fc


#: Layers of the county map unticked at first (one tick in the map's layer control away).
HIDDEN_LAYERS = ("crossings",)
#: Colour of the danger reaches on the county map (a line: never confused with the villages).
REACH_COLOUR = "#e6550d"


class _Drawn:
    """What the layer helpers of :func:`build_county_map` collect: legend, panels, 示意."""

    def __init__(self, lang: str, hidden):
        self.lang = lang
        self.hidden = tuple(hidden)
        self.legend: list[tuple[str, list[tuple]]] = []
        self.panels: list[IdentifyPanel] = []
        self.synthetic = False

    def group(self, m, key: str, label: str, *, show: bool | None = None):
        """A FeatureGroup for the layer control, ticked unless ``key`` is hidden."""
        fg = folium.FeatureGroup(name=safe.layer_name(label),
                                 show=(key not in self.hidden) if show is None else show)
        fg.add_to(m)
        return fg

    def panel(self, layer, facts: pd.DataFrame, title: str, order: int, kind: str,
              report: bool = False):
        self.panels.append(IdentifyPanel(layer, list(facts.columns), facts.attrs["labels"],
                                         title=title, order=order, kind=kind, report=report,
                                         many=t("id_hits", self.lang)))


def _draw_townships(m, data, d: _Drawn, first_zoom: float) -> None:
    lang = d.lang
    tw = data.townships.copy()
    v = data.villages
    totals = v.groupby(v["village_code"].str[:9])["resident_children"].sum()
    tw["children"] = tw["township_code"].map(totals).fillna(0).astype(int)
    fg = d.group(m, "townships", t("townships", lang))
    folium.GeoJson(
        _round_coords(_features(tw, ["township_code", "name", "children"])),
        style_function=lambda f: {"color": "#8d8d8d", "weight": 1, "fillColor": "#fbfaf5",
                                  "fillOpacity": 0.55},
        highlight_function=lambda f: {"weight": 2.5, "color": "#555"},
        tooltip=safe.geojson_tooltip(
            fields=["name", "township_code", "children"],
            aliases=[t("townships", lang), t("map_township_code", lang),
                     t("resident_children", lang)],
        ),
        name="townships",
    ).add_to(fg)
    add_township_labels(m, tw, first_zoom, metric_crs=data.metric_crs, parent=fg)
    d.synthetic |= has_synthetic(data.townships)
    d.legend.append((t("townships", lang), [(_box("#fbfaf5", "#8d8d8d"),
                                             t("townships", lang), fg)]))


def _draw_county(m, data, d: _Drawn) -> None:
    fg = d.group(m, "county", t("county", d.lang))
    folium.GeoJson(
        _round_coords(_features(data.county, ["adcode", "name"])),
        style_function=lambda f: {"color": "#222", "weight": 3, "fill": False},
        name="county",
    ).add_to(fg)
    d.legend.append((t("county", d.lang), [(_line("#222"), data.name, fg)]))


def _draw_waterways(m, data, d: _Drawn) -> None:
    lang = d.lang
    w = data.waterways.copy()
    w["kind_label"] = [water_label(k, lang) for k in w["kind"]]
    fg = d.group(m, "waterways", t("waterways", lang))
    folium.GeoJson(
        _round_coords(_features(w, ["water_id", "name", "kind", "kind_label"])),
        style_function=lambda f: {
            "color": _WATER,
            "weight": 4 if f["properties"]["kind"] == "river" else (
                1.5 if f["properties"]["kind"] in ("stream", "canal") else 1),
            "fillColor": _WATER_FILL, "fillOpacity": 0.8,
            "dashArray": "4 3" if f["properties"]["kind"] == "canal" else None,
        },
        tooltip=safe.geojson_tooltip(fields=["name", "kind_label"],
                                     aliases=[t("waterways", lang), ""]),
        name="waterways",
    ).add_to(fg)
    d.synthetic |= has_synthetic(data.waterways)
    d.legend.append((t("waterways", lang), [(_line(_WATER, 4), t("river", lang), fg),
                                            (_line(_WATER, 2), t("water_lines", lang), fg),
                                            (_box(_WATER_FILL, _WATER), t("water_areas", lang),
                                             fg)]))


def _draw_crossings(m, data, d: _Drawn) -> None:
    fg = d.group(m, "crossings", t("crossings", d.lang))
    for g in data.crossings.geometry:
        folium.CircleMarker([g.y, g.x], radius=3, color="#333", weight=1, fill=True,
                            fill_color="#fff", fill_opacity=1).add_to(fg)
    d.synthetic |= has_synthetic(data.crossings)
    d.legend.append((t("crossings", d.lang), [(_dot("#fff", 7), t("crossings", d.lang), fg)]))


def _draw_reaches(m, data, reaches, near_m: float, d: _Drawn) -> None:
    """The danger reaches as lines; a click lists their facts (:func:`reach_facts`)."""
    lang = d.lang
    r = reaches.copy()
    facts = reach_facts(r, data.villages, near_m, lang, metric_crs=data.metric_crs)
    for c in facts.columns:
        r[c] = facts[c]
    fg = d.group(m, "reaches", t("hz_reaches", lang))
    gj = folium.GeoJson(
        _round_coords(_features(r, ["reach_id", *facts.columns])),
        style_function=lambda f: {"color": REACH_COLOUR, "weight": 5, "opacity": 0.9},
        highlight_function=lambda f: {"weight": 8},
        tooltip=safe.geojson_tooltip(fields=["f_r_name", "f_r_chainage"],
                                     aliases=[t("hz_reaches", lang), ""]),
        name="reaches",
    )
    gj.add_to(fg)
    d.panel(gj, facts, t("hz_reaches", lang), order=2, kind="reach")
    d.synthetic |= has_synthetic(r)
    d.legend.append((t("hz_reaches", lang), [(_line(REACH_COLOUR, 5), t("hz_reaches", lang),
                                              fg)]))


def _village_classes(v: pd.DataFrame, breaks) -> list:
    """Colour each village (``v["colour"]``) by its value; the legend items of the classes."""
    if breaks:  # classes that follow the policy in force
        cls, pal, names = policy_classes(v["value"], breaks)
        v["colour"] = [pal[c] for c in cls]
        return [(_dot(c, 6 + 2 * i), n) for i, (c, n) in enumerate(zip(pal, names, strict=True))]
    qs = class_breaks(v["value"])
    off = len(_SEQ) - len(qs)
    v["colour"] = [_SEQ[_classify(x, qs) + off] for x in v["value"]]
    lows = [0.0] + [q + 1 for q in qs[:-1]]
    return [(_dot(_SEQ[i + off], 6 + 2 * i), f"{lo:,.0f}–{q:,.0f}")
            for i, (lo, q) in enumerate(zip(lows, qs, strict=True))]


def _draw_villages(m, data, d: _Drawn, measure: str, breaks, plan: dict) -> None:
    lang = d.lang
    v = data.villages.copy()
    v["value"] = village_measure(v, measure)
    vmax = max(float(v["value"].max()), 1.0)
    v["radius"] = [3.0 + 9.0 * math.sqrt(x / vmax) for x in v["value"]]
    items = _village_classes(v, breaks)
    facts = village_facts(v, data.townships, lang, metric_crs=data.metric_crs, **plan)
    for c in facts.columns:
        v[c] = facts[c]
    v["value_text"] = [f"{int(x):,}" for x in v["value"]]
    fc = _features(v, ["village_code", "name", "value_text", "radius", "colour",
                       *facts.columns])
    fg = d.group(m, "villages", t("villages", lang))
    gj = folium.GeoJson(
        _round_coords(fc),
        marker=folium.CircleMarker(radius=5, weight=1, color="#444", fill=True,
                                   fill_opacity=0.9),
        style_function=lambda f: {"radius": f["properties"]["radius"],
                                  "fillColor": f["properties"]["colour"],
                                  "color": "#444", "weight": 0.8, "fillOpacity": 0.9},
        # hover: the name and the measure drawn (once); click: every fact of the village
        tooltip=safe.geojson_tooltip(fields=["name", "value_text"],
                                     aliases=[t("villages", lang), t(measure, lang)]),
        name="villages",
    )
    gj.add_to(fg)
    d.panel(gj, facts, t("villages", lang), order=0, kind="village", report=True)
    d.synthetic |= has_synthetic(data.villages)
    d.legend.append((f"{t('villages', lang)}：{t(measure, lang)}" if lang == "zh"
                     else f"{t('villages', lang)}: {t(measure, lang)}",
                     [(sw, label, fg) for sw, label in items]))


def _draw_facilities(m, data, d: _Drawn, facility_kinds) -> None:
    """One layer per facility kind, each its own shape; the common ones unticked at first."""
    lang = d.lang
    f = data.facilities
    kinds = [k for k in FACILITY_KINDS if k in set(f["kind"])]
    if facility_kinds is not None:
        kinds = [k for k in kinds if k in facility_kinds]
    facts_all = facility_facts(f, data.townships, data.villages, lang)
    items = []
    for kind in kinds:
        sub = f[f["kind"] == kind].copy()
        sub["kind_label"] = _facility_labels(sub, kind, lang)
        sub["built"] = _built(sub)
        facts = facts_all.loc[sub.index]
        for c in facts.columns:
            sub[c] = facts[c]
        fg = d.group(m, kind, facility_label(kind, lang), show=kind in _SHOWN_FACILITIES)
        # one shape per kind (FACILITY_SHAPES); planned, under construction or closed:
        # the same shape hollow
        for built in (True, False):
            part = sub[sub["built"] == built]
            if not len(part):
                continue
            sym, px = facility_symbol(kind, built=built), _facility_px(kind)
            gj = folium.GeoJson(
                _round_coords(_features(part, ["facility_id", "name", "kind_label", "built",
                                               *facts.columns])),
                marker=folium.Marker(icon=safe.div_icon(
                    sym, icon_size=(px, px), icon_anchor=(px // 2, px // 2),
                    class_name="cp-facility")),
                tooltip=safe.geojson_tooltip(fields=["name", "kind_label"], aliases=["", ""]),
                name=f"facilities_{kind}" + ("" if built else "_not_built"),
            )
            gj.add_to(fg)
            facts.attrs = facts_all.attrs
            d.panel(gj, facts, t("facilities", lang), order=1, kind="facility")
        items.append((facility_symbol(kind, size=13, inline=True), facility_label(kind, lang),
                      fg))  # the legend lists a kind while it is ticked
    d.synthetic |= has_synthetic(f)
    if items:
        d.legend.append((t("facilities", lang), items))


def build_county_map(
    data,
    *,
    measure: str = "resident_children",
    layers: tuple[str, ...] = ("county", "townships", "waterways", "villages", "facilities"),
    facility_kinds: tuple[str, ...] | None = None,
    lang: str = "zh",
    tiles: str | None = None,
    breaks=None,
    fit: bool = True,
    homes: pd.DataFrame | None = None,
    assignments: pd.DataFrame | None = None,
    reaches=None,
    near_m: float | None = None,
    staffing: pd.DataFrame | None = None,
    hidden: tuple[str, ...] = HIDDEN_LAYERS,
) -> folium.Map:
    """The county overview map: boundary, townships, waterways, villages and facilities.

    One layer panel: Leaflet's layer control, in the page language, lists every layer drawn
    (``layers``; each facility kind its own); the legend lists only the ticked ones. A click
    lists the facts of every village, facility and danger reach under it in one panel
    (:class:`IdentifyPanel`); township names are deconflicted (:func:`add_township_labels`).

    Parameters
    ----------
    data : geo.layers.CountyData
        The validated county.
    measure : str
        What villages are sized and coloured by (one of :data:`MEASURES`).
    layers : tuple of str
        Layers to draw: ``county``, ``townships``, ``waterways``, ``crossings``,
        ``reaches`` (with ``reaches`` given), ``villages``, ``facilities``.
    facility_kinds : tuple of str, optional
        Facility kinds to draw (default: all present).
    lang : {"zh", "en"}
        Language of labels, tooltips and legend.
    tiles : str, optional
        An online tile layer (e.g. ``"OpenStreetMap"``); default none (offline).
    breaks : sequence of float, optional
        Lower edges of the village classes, from the policy in force
        (:func:`geo.snapshot.policy_breaks`); without them the classes are quintiles.
    fit : bool
        Fit the county once the frame has its size (False: the caller sets the view).
    homes, assignments : DataFrame, optional
        The siting plan in force: the village panel names the home that serves the village
        and its distance (:func:`village_facts`).
    reaches : GeoDataFrame, optional
        The danger reaches (lines, :func:`geo.hazards.merge_reaches`); with ``near_m`` the
        village panel counts those nearby, and with ``"reaches"`` in ``layers`` they are
        drawn and identified (:func:`reach_facts`).
    staffing : DataFrame, optional
        The staffing plan in force, one row per village (``StaffingPlan.villages``): the
        village panel gives its child directors needed and assigned (counts, never names).
    hidden : tuple of str
        Layers drawn but unticked at first (default: the crossings).

    Returns
    -------
    folium.Map
    """
    bounds_src = data.county if len(data.county) else data.villages
    m = base_map(bounds_src.total_bounds, tiles=tiles)
    d = _Drawn(lang, hidden)
    if "townships" in layers and len(data.townships):
        _draw_townships(m, data, d, web_zoom(bounds_src.to_crs(4326).total_bounds))
    if "county" in layers and len(data.county):
        _draw_county(m, data, d)
    if "waterways" in layers and len(data.waterways):
        _draw_waterways(m, data, d)
    if "crossings" in layers and len(data.crossings):
        _draw_crossings(m, data, d)
    if "reaches" in layers and reaches is not None and len(reaches) and near_m is not None:
        _draw_reaches(m, data, reaches, near_m, d)
    if "villages" in layers and len(data.villages):
        plan = {"homes": homes, "assignments": assignments, "reaches": reaches,
                "near_m": near_m, "staffing": staffing}
        _draw_villages(m, data, d, measure, breaks, plan)
    if "facilities" in layers and len(data.facilities):
        _draw_facilities(m, data, d, facility_kinds)
    folium.LayerControl(collapsed=True).add_to(m)
    minx, miny, maxx, maxy = bounds_src.total_bounds
    add_legend(m, d.legend, lang=lang, synthetic=d.synthetic,
               bounds=[[float(miny), float(minx)], [float(maxy), float(maxx)]], fit=fit)
    for p in d.panels:  # added last: under the north arrow
        p.add_to(m)
    return m


#: The facts of a village shown when it is clicked and in the attribute table, in order.
_FACT_COUNTS = ("resident_children", "left_behind", "difficulty", "targets", "key_attention")


def village_facts(villages: pd.DataFrame, townships: pd.DataFrame | None = None,
                  lang: str = "zh", *, homes: pd.DataFrame | None = None,
                  assignments: pd.DataFrame | None = None, reaches=None,
                  near_m: float | None = None, metric_crs=None,
                  staffing: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row of display text per village: name, code, township, counts (千分位), designations.

    Column names are ``f_*`` keys; ``.attrs["labels"]`` holds their headers in ``lang`` (from
    the catalogue). Raw text: whoever writes it to HTML escapes it (:mod:`geo.safe`).

    With a siting plan (``homes`` and ``assignments`` of
    :func:`childplan.workflows.run_siting`) two more facts: the home that serves the village
    and how far it is (the plan's own distance, in its metric). With ``reaches`` (danger
    reaches, lines, any CRS) and ``near_m``: how many of them pass within ``near_m`` metres of
    the village (measured in ``metric_crs``).
    """
    tw_names = {}
    if townships is not None and len(townships):
        tw_names = dict(zip(townships["township_code"].astype(str), townships["name"].astype(str),
                            strict=False))
    code = villages["village_code"].astype(str)
    out = pd.DataFrame(index=villages.index)
    out["f_name"] = villages["name"].astype(str)
    out["f_code"] = code
    out["f_township"] = [tw_names.get(c[:9], "") for c in code]
    labels = [column_label("villages", "name", lang), column_label("villages", "village_code",
                                                                    lang), t("townships", lang)]
    for key in _FACT_COUNTS:
        out[f"f_{key}"] = [f"{int(x):,}" for x in village_measure(villages, key)]
        labels.append(t(key, lang))
    marks = []
    for _, row in villages.iterrows():
        on = [enum_label("designation", k, lang) if lang == "zh" else VILLAGE_DESIGNATIONS[k][1]
              for k in VILLAGE_DESIGNATIONS if k in villages.columns and bool(row.get(k))]
        marks.append("、".join(on) if on else t("sc_pg_none", lang))
    out["f_designations"] = marks
    labels.append(t("designations", lang))
    if homes is not None and assignments is not None:
        out["f_home"], out["f_home_m"] = _served_by(code, homes, assignments, lang)
        labels += [t("id_home", lang), t("id_home_distance", lang)]
    if staffing is not None and len(staffing):
        by = staffing.assign(village_code=staffing["village_code"].astype(str)).set_index(
            "village_code")
        out["f_directors"] = [
            f"{int(by.at[c, 'directors_needed']):,} / {int(by.at[c, 'directors_assigned']):,}"
            if c in by.index else "—" for c in code]
        labels.append(t("staff_directors", lang))
    if reaches is not None and near_m is not None:
        out["f_reaches"] = [f"{n:,}" for n in _reaches_near(villages, reaches, near_m,
                                                             metric_crs)]
        labels.append(t("id_reaches_near", lang).format(m=f"{float(near_m):,.0f}"))
    out.attrs["labels"] = labels
    return out


def facility_facts(facilities: pd.DataFrame, townships: pd.DataFrame | None = None,
                   villages: pd.DataFrame | None = None, lang: str = "zh") -> pd.DataFrame:
    """One row of display text per facility: name, kind, status, capacity, village, township.

    Kind and status in words. Column names are ``f_f_*`` keys (never the villages'
    ``f_name``); ``.attrs["labels"]`` holds their headers in ``lang``. A facility with no status
    is taken as running (现有); one with no capacity shows ``—``. Raw text (:mod:`geo.safe`
    escapes it).

    >>> import pandas as pd
    >>> f = pd.DataFrame({"name": ["甲村儿童之家"], "kind": ["children_home"],
    ...                   "status": ["planned"], "capacity": [60.0],
    ...                   "village_code": ["500109001001"], "township_code": ["500109001"]})
    >>> facility_facts(f).iloc[0].tolist()
    ['甲村儿童之家', '儿童之家', '拟建', '60', '500109001001', '']
    """
    def col(name):
        return (facilities[name] if name in facilities.columns
                else pd.Series(None, index=facilities.index, dtype=object))

    tw = ({} if townships is None or not len(townships) else
          dict(zip(townships["township_code"].astype(str), townships["name"].astype(str),
                   strict=False)))
    vn = ({} if villages is None or not len(villages) else
          dict(zip(villages["village_code"].astype(str), villages["name"].astype(str),
                   strict=False)))
    none = t("id_none", lang)
    out = pd.DataFrame(index=facilities.index)
    out["f_f_name"] = facilities["name"].fillna("").astype(str)
    out["f_f_kind"] = [facility_label(k, lang) for k in facilities["kind"]]
    out["f_f_status"] = [enum_label("status", s if isinstance(s, str) and s else "existing",
                                    lang) for s in col("status")]
    out["f_f_capacity"] = [none if pd.isna(c) else f"{int(round(float(c))):,}"
                           for c in pd.to_numeric(col("capacity"), errors="coerce")]
    vcodes = col("village_code").fillna("").astype(str)
    out["f_f_village"] = [vn.get(c, c) if c else none for c in vcodes]
    tcodes = [str(tc) if isinstance(tc, str) and tc else (vc[:9] if vc else "")
              for tc, vc in zip(col("township_code"), vcodes, strict=True)]
    out["f_f_township"] = [tw.get(c, "") for c in tcodes]
    out.attrs["labels"] = [t("id_f_name", lang), t("id_f_kind", lang), t("id_f_status", lang),
                           t("id_f_capacity", lang), t("id_f_village", lang),
                           t("hz_township", lang)]
    return out


def reach_facts(reaches, villages, near_m: float, lang: str = "zh", *,
                metric_crs=None, most: int = 8) -> pd.DataFrame:
    """One row of display text per danger reach, for the identify panel.

    Water kind in words, name, chainage, length, rank, peak score, why it is risky, the
    villages within ``near_m`` metres and the chief. ``reaches`` are
    :func:`geo.hazards.merge_reaches` rows (any CRS); the villages near are those within
    ``near_m`` of the reach's line, nearest first, at most ``most`` named (then "等 N 个").
    Column names are ``f_r_*``; ``.attrs["labels"]`` holds the headers. Raw text.
    """
    zh = lang == "zh"
    crs = metric_crs if metric_crs is not None else reaches.crs
    lines = gpd.GeoSeries(reaches.geometry, crs=reaches.crs).to_crs(crs).reset_index(drop=True)
    near: list[list[str]] = [[] for _ in range(len(lines))]
    if villages is not None and len(villages):
        pts = gpd.GeoSeries(villages.geometry, crs=villages.crs).to_crs(crs)
        names = villages["name"].astype(str).to_numpy()
        ri, vi = pts.sindex.query(lines, predicate="dwithin", distance=float(near_m))
        dist = pts.iloc[vi].distance(lines.iloc[ri], align=False).to_numpy()
        for k in np.lexsort((dist, ri)):
            near[ri[k]].append(names[vi[k]])
    sep = "、" if zh else ", "
    m_text = f"{float(near_m):,.0f}"

    def listed(ns):
        if not ns:
            return t("sc_pg_none", lang)
        text = sep.join(ns[:most])
        return text if len(ns) <= most else f"{text} {t('id_r_more', lang).format(n=len(ns))}"

    def num_col(name):
        return pd.to_numeric(reaches[name], errors="coerce").fillna(0).to_numpy() if (
            name in reaches.columns) else np.zeros(len(reaches))

    out = pd.DataFrame(index=reaches.index)
    out["f_r_name"] = [str(n) if isinstance(n, str) and n.strip() else t("id_r_unnamed", lang)
                       for n in reaches["name"]]
    out["f_r_kind"] = [water_label(k, lang) for k in reaches["kind"]]
    a = _chainage(num_col("start_m").astype(float))
    b = _chainage(num_col("end_m").astype(float))
    out["f_r_chainage"] = [f"{x}～{y}" for x, y in zip(a, b, strict=True)]
    out["f_r_length"] = [f"{x:,.0f} {'米' if zh else 'm'}" for x in num_col("length_m")]
    out["f_r_rank"] = [f"{int(x):,}" for x in num_col("rank")]
    out["f_r_score"] = [f"{x:,.1f}" for x in num_col("peak_score")]
    out["f_r_why"] = [t("id_r_why_text", lang).format(
        m=m_text, children=f"{int(c):,}", left=f"{int(lb):,}", diff=f"{int(df):,}",
        fac=f"{int(fc):,}") for c, lb, df, fc in zip(
        num_col("children_within"), num_col("left_behind_within"),
        num_col("difficulty_within"), num_col("facilities_within"), strict=True)]
    out["f_r_villages"] = [listed(ns) for ns in near]
    out["f_r_chief"] = (reaches["chief"].fillna("").astype(str).replace("", t("id_none", lang))
                        if "chief" in reaches.columns else t("id_none", lang))
    out.attrs["labels"] = [t("hz_river", lang), t("hz_kind", lang), t("hz_reach", lang),
                           t("id_r_length", lang), t("hz_rank", lang), t("id_r_score", lang),
                           t("id_r_why", lang), t("id_r_villages", lang).format(m=m_text),
                           t("hz_chief", lang)]
    return out


def _served_by(codes: pd.Series, homes: pd.DataFrame, assignments: pd.DataFrame,
               lang: str) -> tuple[list[str], list[str]]:
    """Per village code: the name of the home that serves it, and the distance as text.

    >>> import pandas as pd
    >>> h = pd.DataFrame({"home_id": ["H1"], "name": ["新星村儿童之家"]})
    >>> a = pd.DataFrame({"village_code": ["1", "2", "3"], "home_id": ["H1", "H1", None],
    ...                   "distance_m": [0.0, 1234.4, None], "own_home": [True, False, False],
    ...                   "metric": ["straight"] * 3})
    >>> _served_by(pd.Series(["1", "2", "3", "4"]), h, a, "zh")
    (['新星村儿童之家', '新星村儿童之家', '未覆盖', '未覆盖'], ['本村', '1,234 米（直线）', '—', '—'])
    """
    zh = lang == "zh"
    hname = dict(zip(homes["home_id"].astype(str), homes["name"].astype(str), strict=False))
    a = assignments.drop_duplicates("village_code").copy()
    a.index = a["village_code"].astype(str)
    names, dists = [], []
    for c in codes:
        if c not in a.index or pd.isna(a.at[c, "home_id"]) or str(a.at[c, "home_id"]) == "":
            names.append(t("id_uncovered", lang))
            dists.append("—")
            continue
        r = a.loc[c]
        names.append(hname.get(str(r["home_id"]), str(r["home_id"])))
        if bool(r.get("own_home", False)):
            dists.append(t("id_own_home", lang))
            continue
        metric = str(r.get("metric", "straight") or "straight")
        text = f"{float(r['distance_m']):,.0f} {'米' if zh else 'm'}"
        if metric == "walk_min" and pd.notna(r.get("walk_min")):
            text += (f"（步行 {float(r['walk_min']):,.0f} 分钟）" if zh
                     else f" ({float(r['walk_min']):,.0f} min walk)")
        else:
            word = t("id_by_road" if metric == "road_m" else "id_straight", lang)
            text += f"（{word}）" if zh else f" ({word})"
        dists.append(text)
    return names, dists


def _reaches_near(villages, reaches, near_m: float, metric_crs=None) -> list[int]:
    """How many ``reaches`` pass within ``near_m`` metres of each village (0 when none)."""
    if not len(villages):
        return []
    if not len(reaches):
        return [0] * len(villages)
    crs = metric_crs if metric_crs is not None else reaches.crs
    pts = gpd.GeoSeries(villages.geometry, crs=villages.crs).to_crs(crs)
    lines = gpd.GeoSeries(reaches.geometry, crs=reaches.crs).to_crs(crs)
    tree = lines.sindex
    out = []
    for g in pts:
        hits = tree.query(g, predicate="dwithin", distance=float(near_m))
        out.append(len(hits))
    return out


def village_table(data, lang: str = "zh") -> pd.DataFrame:
    """The village layer as an attribute table: catalogue headers, numbers as numbers.

    Columns: name, code, township, the five counts (integers) and designations, headed in
    ``lang``; the index is the village code (to find a row from a click or a search).
    """
    v = data.villages
    facts = village_facts(v, data.townships, lang)
    table = pd.DataFrame({"f_name": facts["f_name"], "f_code": facts["f_code"],
                          "f_township": facts["f_township"]}, index=v.index)
    for key in _FACT_COUNTS:
        table[f"f_{key}"] = village_measure(v, key).astype(int)
    table["f_designations"] = facts["f_designations"]
    table.index = facts["f_code"].to_numpy()
    table.columns = facts.attrs["labels"]
    return table


def find_villages(villages: pd.DataFrame, query: str) -> pd.DataFrame:
    """Villages whose name contains ``query`` or whose code starts with it (name order kept).

    >>> import pandas as pd
    >>> v = pd.DataFrame({"village_code": ["500109001001", "500109002001"],
    ...                   "name": ["新星村", "星光社区"]})
    >>> find_villages(v, "星")["village_code"].tolist(), find_villages(v, "5001090020")["name"].tolist()
    (['500109001001', '500109002001'], ['星光社区'])
    """
    q = str(query or "").strip()
    if not q:
        return villages.iloc[0:0]
    names = villages["name"].astype(str)
    codes = villages["village_code"].astype(str)
    return villages[names.str.contains(q, regex=False) | codes.str.startswith(q)]


def find_facilities(facilities: pd.DataFrame, query: str) -> pd.DataFrame:
    """Facilities (儿童之家, institutions, …) whose name contains ``query`` (order kept).

    >>> import pandas as pd
    >>> f = pd.DataFrame({"facility_id": ["F1", "F2"], "kind": ["children_home", "welfare_institution"],
    ...                   "name": ["新星路社区儿童之家", "北碚区儿童福利院"]})
    >>> find_facilities(f, "儿童")["facility_id"].tolist(), find_facilities(f, "福利")["name"].tolist()
    (['F1', 'F2'], ['北碚区儿童福利院'])
    """
    q = str(query or "").strip()
    if not q or not len(facilities):
        return facilities.iloc[0:0]
    return facilities[facilities["name"].astype(str).str.contains(q, regex=False)]
