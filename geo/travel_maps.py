"""Map layers of the travel model: catchments and accessibility (minutes to the nearest home).

Added to a map a builder already made (:func:`geo.maps_plans.build_siting_map`), so the page
shows them beside the plan. Values are numbers and codes only; labels come from
:func:`geo.i18n.t`.
"""

from __future__ import annotations

import json

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import safe
from geo.i18n import t

__all__ = ["ACCESS_COLOURS", "access_colour", "add_travel_layers"]

#: (upper bound in minutes, colour): green within 10 min ... red beyond 30.
ACCESS_COLOURS = ((10.0, "#1a9850"), (20.0, "#91cf60"), (30.0, "#fc8d59"),
                  (float("inf"), "#d73027"))


def access_colour(minutes: float) -> str:
    """Colour of a walking time.

    >>> access_colour(5), access_colour(25), access_colour(float("inf"))
    ('#1a9850', '#fc8d59', '#d73027')
    """
    for bound, colour in ACCESS_COLOURS:
        if minutes <= bound:
            return colour
    return ACCESS_COLOURS[-1][1]


def add_travel_layers(m: folium.Map, villages: gpd.GeoDataFrame, access: pd.DataFrame,
                      catchments: gpd.GeoDataFrame | None = None, *,
                      lang: str = "zh") -> folium.Map:
    """Add the catchment polygons and the accessibility points to ``m`` and return it."""
    if catchments is not None and len(catchments):
        fg = folium.FeatureGroup(name=safe.layer_name(t("catchments_layer", lang)), show=True)
        gj = catchments[["home_id", "children_assigned", "children_within_cap",
                         "geometry"]].copy()
        gj["home_id"] = gj["home_id"].astype(str)
        gj["geometry"] = shapely.set_precision(gj.geometry.values, 1e-5)  # ~1 m
        folium.GeoJson(
            safe.geojson(json.loads(gj.to_json())), style_function=lambda _f: {"color": "#3b6ea8", "weight": 1,
                                                     "fillOpacity": 0.08},
            tooltip=safe.geojson_tooltip(
                fields=["home_id", "children_assigned", "children_within_cap"],
                aliases=["ID", t("children_assigned", lang), t("children_within_cap", lang)]),
        ).add_to(fg)
        fg.add_to(m)
    fg = folium.FeatureGroup(name=safe.layer_name(t("access_layer", lang)), show=True)
    v = villages.to_crs(4326)
    minutes = dict(zip(access["village_code"].astype(str), access["walk_min"], strict=True))
    x = np.array([float(minutes.get(c, np.inf)) for c in v["village_code"].astype(str)])
    pts = gpd.GeoDataFrame({
        "village_code": v["village_code"].astype(str).to_numpy(),
        "minutes": [f"{m:.0f}" if np.isfinite(m) else "—" for m in x],
        "colour": [access_colour(m) for m in x]},
        geometry=shapely.set_precision(v.geometry.values, 1e-5), crs=4326)
    folium.GeoJson(
        safe.geojson(json.loads(pts.to_json())), marker=folium.CircleMarker(radius=4, fill=True, fill_opacity=0.9,
                                                  weight=0),
        style_function=lambda f: {"color": f["properties"]["colour"],
                                  "fillColor": f["properties"]["colour"]},
        tooltip=safe.geojson_tooltip(fields=["village_code", "minutes"],
                                     aliases=["ID", t("walk_min", lang)]),
    ).add_to(fg)
    fg.add_to(m)
    _legend_section(m, catchments is not None and len(catchments) > 0, lang)
    _layer_control_last(m)
    return m


def _swatch(colour: str, *, box: bool = False) -> safe.Markup:
    style = ("width:14px;height:10px;background:{};border:1px solid #3b6ea8" if box else
             "width:9px;height:9px;border-radius:50%;background:{};border:0")
    return safe.html("<span style='display:inline-block;" + style
                     + ";vertical-align:middle'></span>", colour)


def _legend_section(m: folium.Map, with_catchments: bool, lang: str) -> None:
    """Append the minutes bands (and the catchment swatch) to the map's legend.

    The siting map has one legend (:class:`geo.maps.Legend`); its markup is extended in place
    so the bands sit under the plan's own entries instead of a second box on top of them.
    """
    from geo.maps import Legend, add_legend

    items, lo = [], None
    for bound, colour in ACCESS_COLOURS:
        if np.isfinite(bound):
            label = f"≤ {bound:g}" if lo is None else f"{lo:g}–{bound:g}"
        else:
            label = t("access_band_over", lang).format(b=f"{lo:g}")
        items.append((_swatch(colour), label))
        lo = bound
    parts = [safe.html("<div style='margin-top:4px;font-weight:600'>{}</div>",
                       t("access_layer", lang))]
    parts += [safe.html("<div>{} {}</div>", sw, label) for sw, label in items]
    if with_catchments:
        parts.append(safe.html("<div>{} {}</div>", _swatch("rgba(59,110,168,0.15)", box=True),
                               t("catchments_layer", lang)))
    extra = safe.Markup("").join(parts)
    legend = next((c for c in m._children.values() if isinstance(c, Legend)), None)
    if legend is None:
        add_legend(m, [(t("access_layer", lang), items)], lang=lang)
        return
    legend.html = safe.Markup(legend.html) + extra
    legend.html_js = safe.script_json(str(legend.html))


def _layer_control_last(m: folium.Map) -> None:
    """Move ``m``'s layer control after the layers just added.

    The control's script names every overlay; rendered before a layer's own ``let``, it reads
    an undefined variable and the whole map script stops (a blank map on the siting page).
    """
    for key, child in list(m._children.items()):
        if isinstance(child, folium.LayerControl):
            del m._children[key]
            m._children[key] = child
