"""Map builders for plans: staffing gaps and workload, funding by township, scenario differences.

Same conventions as :mod:`geo.maps`: each function returns a :class:`folium.Map` built on our
own vector basemap, with a legend and the 示意数据 mark when synthetic data shows.
"""

from __future__ import annotations

import math

import folium
import numpy as np
import pandas as pd

from geo import safe
from geo.i18n import t
from geo.maps import (
    _dot,
    _features,
    _round_coords,
    add_legend,
    add_township_labels,
    base_map,
    class_breaks,
    has_synthetic,
    web_zoom,
)

__all__ = ["build_choropleth_map", "build_siting_map", "build_staffing_map", "county_backdrop"]

_GAP = "#d7263d"
_OK = ["#d9f0d3", "#a6dba0", "#5aae61", "#1b7837"]  # hours classes, light to dark green
_DIV = ["#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"]



def county_backdrop(data, *, lang: str = "zh", tiles: str | None = None,
                    townships: bool = True, waterways: bool = True) -> tuple[folium.Map, bool]:
    """A base map with the county outline, townships and waterways; returns (map, synthetic).

    Township names are not drawn here but by :func:`_township_names`, last, so that they sit
    on top of the plan's symbols.
    """
    src = data.county if len(data.county) else data.villages
    m = base_map(src.total_bounds, tiles=tiles)
    syn = False
    if townships and len(data.townships):
        folium.GeoJson(
            _round_coords(_features(data.townships, ["township_code", "name"])),
            style_function=lambda f: {"color": "#9a9a9a", "weight": 1, "fillColor": "#fbfaf5",
                                      "fillOpacity": 0.5},
            tooltip=safe.geojson_tooltip(fields=["name"], aliases=[""]),
            name=safe.layer_name(t("townships", lang)),
        ).add_to(m)
        syn |= has_synthetic(data.townships)
    if waterways and len(data.waterways):
        w = data.waterways[data.waterways["kind"].isin(["river", "reservoir", "stream"])]
        folium.GeoJson(
            _round_coords(_features(w, ["water_id", "kind"])),
            style_function=lambda f: {"color": "#3a86c8",
                                      "weight": 3.5 if f["properties"]["kind"] == "river" else 1,
                                      "fillColor": "#9cc9ee", "fillOpacity": 0.8},
            name=safe.layer_name(t("waterways", lang)),
        ).add_to(m)
        syn |= has_synthetic(w)
    if len(data.county):
        folium.GeoJson(_round_coords(_features(data.county, ["name"])),
                       style_function=lambda f: {"color": "#222", "weight": 3, "fill": False},
                       name=safe.layer_name(t("county", lang))).add_to(m)
    return m, syn


def _township_names(m: folium.Map, data) -> None:
    """The deconflicted township names of the county map (:func:`geo.maps.add_township_labels`)."""
    if len(data.townships):
        src = data.county if len(data.county) else data.villages
        add_township_labels(m, data.townships, web_zoom(src.to_crs(4326).total_bounds),
                            metric_crs=data.metric_crs)


def _bounds(data):
    src = data.county if len(data.county) else data.villages
    minx, miny, maxx, maxy = src.total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def build_staffing_map(data, villages: pd.DataFrame, *, lang: str = "zh",
                       tiles: str | None = None) -> folium.Map:
    """Villages coloured by staffing gap (red: posts left open) and workload (greens).

    ``villages`` is ``StaffingPlan.villages`` (village_code, lon, lat, hours_per_director,
    directors_needed, directors_assigned, shortfall, ...).
    """
    m, syn = county_backdrop(data, lang=lang, tiles=tiles)
    v = villages.copy()
    names = data.villages.set_index("village_code")["name"]
    v["name"] = v["village_code"].map(names).fillna("")
    hours = v["hours_per_director"].fillna(0).to_numpy(dtype=float)
    breaks = class_breaks(hours, k=len(_OK))
    offset = len(_OK) - len(breaks)
    fg = folium.FeatureGroup(name=safe.layer_name(t("villages", lang)))
    hmax = max(float(hours.max()) if len(hours) else 1.0, 1.0)
    for r in v.itertuples(index=False):
        gap = int(r.shortfall or 0)
        h = float(r.hours_per_director or 0)
        k = next((i for i, b in enumerate(breaks) if h <= b), len(breaks) - 1)
        colour = _GAP if gap > 0 else _OK[k + offset]
        radius = 3 + 6 * math.sqrt(h / hmax)
        tip = safe.join([
            f"{r.name} {r.village_code}",
            t("map_staff_directors", lang).format(needed=int(r.directors_needed or 0),
                                                  assigned=int(r.directors_assigned or 0))
            + (t("map_staff_gap", lang).format(gap=gap) if gap else ""),
            t("map_staff_hours", lang).format(hours=h)])
        folium.CircleMarker([r.lat, r.lon], radius=radius, color="#333", weight=0.8,
                            fill=True, fill_color=colour, fill_opacity=0.9,
                            tooltip=safe.tooltip(tip)).add_to(fg)
    fg.add_to(m)
    lo = 0.0
    items = [(_dot(_GAP, 10), t("map_staff_legend_gap", lang))]
    for i, b in enumerate(breaks):
        items.append((_dot(_OK[i + offset], 7 + 2 * i),
                      f"{lo:.0f}–{b:.0f} " + t("map_staff_legend_hours_unit", lang)))
        lo = b
    _township_names(m, data)
    add_legend(m, [(t("map_staff_legend_title", lang), items)],
               lang=lang, synthetic=syn or has_synthetic(data.villages), bounds=_bounds(data))
    return m


def build_choropleth_map(data, values: pd.Series, *, title: str, lang: str = "zh",
                         diverging: bool = False, fmt: str = "{:,.0f}",
                         tiles: str | None = None, edges=None) -> folium.Map:
    """Townships coloured by a value (funding, or a difference between two scenarios).

    ``values`` is indexed by township_code. ``diverging`` centres the colours on zero.
    ``edges`` (6 class edges) gives side-by-side maps one colour scale.
    """
    m, syn = county_backdrop(data, lang=lang, tiles=tiles, townships=False)
    tw = data.townships.copy()
    tw["value"] = tw["township_code"].map(values).astype(float)
    vals = tw["value"].fillna(0).to_numpy()
    if diverging:
        top = float(np.abs(vals).max()) or 1.0
        edges = np.linspace(-top, top, len(_DIV) + 1)
        palette = _DIV
    elif edges is not None:
        edges = np.asarray(edges, dtype=float)
        palette = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"]
    else:
        edges = np.quantile(vals, np.linspace(0, 1, 6)) if len(vals) else np.zeros(6)
        palette = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"]

    def colour(x):
        for i in range(len(palette)):
            if x <= edges[i + 1] + 1e-9:
                return palette[i]
        return palette[-1]

    tw["colour"] = [colour(x) for x in vals]
    tw["label"] = [fmt.format(x) for x in vals]
    folium.GeoJson(
        _round_coords(_features(tw, ["township_code", "name", "label", "colour"])),
        style_function=lambda f: {"color": "#666", "weight": 1,
                                  "fillColor": f["properties"]["colour"], "fillOpacity": 0.85},
        tooltip=safe.geojson_tooltip(fields=["name", "label"], aliases=["", title]),
        name=safe.layer_name(t("townships", lang)),
    ).add_to(m)
    items = []
    for i, c in enumerate(palette):
        items.append((safe.html("<span style='display:inline-block;width:14px;height:10px;"
                                "background:{};border:1px solid #666'></span>", c),
                      f"{fmt.format(edges[i])} – {fmt.format(edges[i + 1])}"))
    _township_names(m, data)
    add_legend(m, [(title, items)], lang=lang, synthetic=syn or has_synthetic(data.townships),
               bounds=_bounds(data))
    return m


_HOME_COLOURS = {"existing": "#1b7837", "reuse": "#2166ac", "new": "#d7263d"}


def build_siting_map(data, homes: pd.DataFrame, assignments: pd.DataFrame, *, lang: str = "zh",
                     tiles: str | None = None) -> folium.Map:
    """Homes by status (existing / reuse / new), assignment lines, uncovered villages.

    ``homes`` and ``assignments`` are what :func:`childplan.workflows.run_siting` returns.
    """
    zh = lang == "zh"
    m, syn = county_backdrop(data, lang=lang, tiles=tiles)
    a = assignments
    links = folium.FeatureGroup(name=safe.layer_name(t("map_assignments", lang)))
    linked = a[a["home_id"].notna() & a["home_lon"].notna() & ~a["own_home"].astype(bool)]
    for r in linked.itertuples(index=False):
        folium.PolyLine([[r.lat, r.lon], [r.home_lat, r.home_lon]], color="#555", weight=1.2,
                        opacity=0.7, dash_array="4 3").add_to(links)
    links.add_to(m)
    vg = folium.FeatureGroup(name=safe.layer_name(t("villages", lang)))
    uncovered = a[a["home_id"].isna() | (a["home_id"].astype(str) == "")]
    for r in a.itertuples(index=False):
        own = bool(r.own_home)
        miss = r.village_code in set(uncovered["village_code"])
        folium.CircleMarker(
            [r.lat, r.lon], radius=3 if not miss else 6,
            color="#000" if miss else "#444", weight=2 if miss else 0.8, fill=True,
            fill_color="#ffffff" if own else ("#000000" if miss else "#bbbbbb"), fill_opacity=1,
            tooltip=safe.tooltip(safe.join([
                f"{r.name} {r.village_code}",
                t("map_site_children", lang).format(n=r.resident_children)
                + (t("map_site_uncovered", lang) if miss else
                   t("map_site_own", lang) if own else
                   t("map_site_shared", lang).format(m=float(r.distance_m)))])),
        ).add_to(vg)
    vg.add_to(m)
    hg = folium.FeatureGroup(name=safe.layer_name(t("map_homes", lang)))
    cmax = max(float(homes["children_served"].max()) if len(homes) else 1.0, 1.0)
    status_zh = {"existing": "已有", "reuse": "改建（利用现有设施）", "new": "新建"}
    for r in homes.itertuples(index=False):
        radius = 5 + 9 * math.sqrt(float(r.children_served or 0) / cmax)
        folium.CircleMarker(
            [r.lat, r.lon], radius=radius, color="#fff", weight=2, fill=True,
            fill_color=_HOME_COLOURS.get(r.status, "#777"), fill_opacity=0.95,
            tooltip=safe.tooltip(safe.join([
                r.name,
                f"{status_zh.get(r.status, r.status) if zh else r.status} · "
                + t("map_home_served", lang).format(villages=int(r.villages_served),
                                                    children=int(r.children_served))])),
        ).add_to(hg)
    hg.add_to(m)
    items = [(_dot(_HOME_COLOURS["existing"], 11, "#fff"), t("map_home_legend_existing", lang)),
             (_dot(_HOME_COLOURS["reuse"], 11, "#fff"),
              t("map_home_legend_reuse", lang)),
             (_dot(_HOME_COLOURS["new"], 11, "#fff"), t("policy_key.new_build", lang)),
             (_dot("#ffffff", 7), t("map_home_legend_own_home", lang)),
             (_dot("#bbbbbb", 7), t("map_home_legend_sharing", lang)),
             (_dot("#000000", 9), t("map_home_legend_not_covered", lang)),
             (safe.html("<span style='display:inline-block;width:18px;border-top:2px dashed "
                        "#555;vertical-align:middle'></span>"), t("map_home_legend_served_by", lang))]
    _township_names(m, data)
    folium.LayerControl(collapsed=True).add_to(m)
    add_legend(m, [(t("nav_siting", lang), items)], lang=lang,
               synthetic=syn or has_synthetic(data.villages) or has_synthetic(data.facilities),
               bounds=_bounds(data))
    return m
