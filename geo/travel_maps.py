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
    _layer_control_last(m)
    return m


def _layer_control_last(m: folium.Map) -> None:
    """Move ``m``'s layer control after the layers just added.

    The control's script names every overlay; rendered before a layer's own ``let``, it reads
    an undefined variable and the whole map script stops (a blank map on the siting page).
    """
    for key, child in list(m._children.items()):
        if isinstance(child, folium.LayerControl):
            del m._children[key]
            m._children[key] = child
