"""Map builder for drowning risk: waterway segments coloured by risk, danger spots numbered.

Same conventions as :mod:`geo.maps`: the function returns a :class:`folium.Map` on our own
vector basemap (no tiles unless asked), with a legend, a north arrow, and the 示意数据 mark when
any synthetic record is drawn. It never renders and never touches Streamlit.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo import safe
from geo.i18n import t, water_label
from geo.maps import (
    _features,
    _round_coords,
    add_legend,
    add_township_labels,
    base_map,
    class_breaks,
    has_synthetic,
    web_zoom,
)
from geo.patrol import four_ones_text

__all__ = ["RISK_COLOURS", "build_hazard_map", "filter_hazards"]

#: Segment risk classes, low to high (ColorBrewer YlOrRd, 5 classes).
RISK_COLOURS = ["#fed976", "#feb24c", "#fd8d3c", "#e31a1c", "#800026"]
_NONE = "#9cc9ee"  # segments with nobody nearby: drawn as plain water
_FLAGGED = "#c0392b"
_COMPLETE = "#1b7837"
_UNCHECKED = "#6c757d"



def filter_hazards(segments: gpd.GeoDataFrame, spots: pd.DataFrame, *, chief: str | None = None,
                   township: str | None = None, kinds=None) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Segments and spots of one chief, one township (9-digit code) and/or some water kinds.

    ``None`` (or an empty ``kinds``) means no filter on that field. Returns new frames.
    """
    seg, sp = segments, spots
    if chief:
        seg, sp = seg[seg["chief"] == chief], sp[sp["chief"] == chief]
    if township:
        seg = seg[seg["township_code"] == township]
        sp = sp[sp["township_code"] == township]
    if kinds:
        kinds = list(kinds)
        seg, sp = seg[seg["kind"].isin(kinds)], sp[sp["kind"].isin(kinds)]
    return seg.copy(), sp.copy()


def _swatch_line(colour: str, width: int = 4) -> safe.Markup:
    return safe.html("<span style='display:inline-block;width:20px;height:0;border-top:{}px "
                     "solid {};vertical-align:middle'></span>", width, colour)


def _swatch_spot(colour: str, label: str = "1") -> safe.Markup:
    return safe.html("<span style='display:inline-flex;align-items:center;"
                     "justify-content:center;min-width:16px;height:16px;padding:0 2px;"
                     "box-sizing:border-box;border-radius:8px;background:{};color:#fff;"
                     "font:bold 10px/1 sans-serif;border:1px solid #fff;"
                     "vertical-align:middle'>{}</span>", colour, str(label))


def _spot_colour(row) -> str:
    """Grey: never checked (or no checklist known); red: items missing; green: complete."""
    if "flagged" not in row or not str(row.get("last_inspection") or ""):
        return _UNCHECKED
    return _FLAGGED if bool(row["flagged"]) else _COMPLETE


def build_hazard_map(data, segments: gpd.GeoDataFrame, spots: pd.DataFrame, *, lang: str = "zh",
                     chief: str | None = None, township: str | None = None, kinds=None,
                     tiles: str | None = None) -> folium.Map:
    """The drowning-risk map: segments coloured by score class, danger spots numbered by rank.

    Parameters
    ----------
    data : geo.layers.CountyData
        The county (boundary, townships and waterways are drawn as the basemap).
    segments : GeoDataFrame
        :func:`geo.hazards.score_segments` output (any CRS).
    spots : DataFrame
        :func:`geo.hazards.danger_spots` output, with the checklist columns of
        :func:`geo.hazards.attach_checklist` when known (red: items missing, green: complete,
        grey: never checked).
    lang : {"zh", "en"}
    chief, township, kinds : optional
        Filters (see :func:`filter_hazards`); the map fits what is left.
    tiles : str, optional
        An online tile layer; default none (offline).

    Returns
    -------
    folium.Map

    Notes
    -----
    Risk classes are quantile breaks of the positive scores of the whole county, so a
    segment keeps its colour whatever the filters.
    """
    pos = segments.loc[segments["score"] > 0, "score"].to_numpy(float)
    breaks = class_breaks(pos, k=len(RISK_COLOURS)) if len(pos) else [0.0]
    offset = len(RISK_COLOURS) - len(breaks)
    seg, sp = filter_hazards(segments, spots, chief=chief, township=township, kinds=kinds)

    src = data.county if len(data.county) else data.villages
    m = base_map(src.total_bounds, tiles=tiles)
    shown_synthetic = False
    if len(data.townships):
        folium.GeoJson(
            _round_coords(_features(data.townships, ["township_code", "name"])),
            style_function=lambda f: {"color": "#9a9a9a", "weight": 1, "fillColor": "#fbfaf5",
                                      "fillOpacity": 0.5},
            tooltip=safe.geojson_tooltip(fields=["name", "township_code"], aliases=["", ""]),
            name="townships",
        ).add_to(m)
        shown_synthetic |= has_synthetic(data.townships)
    if len(data.waterways):
        folium.GeoJson(
            _round_coords(_features(data.waterways, ["water_id", "kind"])),
            style_function=lambda f: {"color": _NONE,
                                      "weight": 3 if f["properties"]["kind"] == "river" else 1,
                                      "fillColor": "#cfe3f5", "fillOpacity": 0.8},
            name="waterways",
        ).add_to(m)
        shown_synthetic |= has_synthetic(data.waterways)
    if len(data.county):
        folium.GeoJson(_round_coords(_features(data.county, ["name"])),
                       style_function=lambda f: {"color": "#222", "weight": 3, "fill": False},
                       name="county").add_to(m)

    risky = seg[seg["score"] > 0].copy()
    if len(risky):
        scores = risky["score"].to_numpy(float)
        cls = np.searchsorted(np.asarray(breaks), scores, side="left").clip(0, len(breaks) - 1)
        risky["colour"] = [RISK_COLOURS[c + offset] for c in cls]
        risky["kind_label"] = [water_label(k, lang) for k in risky["kind"]]
        risky["score_r"] = risky["score"].round(1)
        fg = folium.FeatureGroup(name=safe.layer_name(t("hz_segments", lang)), show=True)
        folium.GeoJson(
            _round_coords(_features(risky, ["segment_id", "name", "kind_label", "children_within",
                                            "score_r", "rank", "chief", "colour"])),
            style_function=lambda f: {"color": f["properties"]["colour"], "weight": 5,
                                      "opacity": 0.95},
            highlight_function=lambda f: {"weight": 8},
            tooltip=safe.geojson_tooltip(
                fields=["segment_id", "name", "kind_label", "children_within", "score_r", "rank",
                        "chief"],
                aliases=[t("hz_spot_id", lang), t("hz_river", lang), t("hz_kind", lang),
                         t("hz_children_exposed", lang), t("hz_score", lang), t("hz_rank", lang),
                         t("hz_chief", lang)]),
            name="segments",
        ).add_to(fg)
        fg.add_to(m)
        shown_synthetic |= has_synthetic(risky)

    if len(sp):
        fg = folium.FeatureGroup(name=safe.layer_name(t("hz_spots", lang)), show=True)
        for _, r in sp.sort_values("rank", ascending=False).iterrows():  # rank 1 drawn on top
            colour = _spot_colour(r)
            status = ""
            if "missing" in r:
                status = four_ones_text(r["missing"], r.get("last_inspection", ""), lang)
            tip = safe.join((
                f"#{int(r['rank'])} {r['spot_id']}",
                f"{r['river'] or water_label(r['kind'], lang)} · {r.get('village', '')}",
                f"{t('hz_children_exposed', lang)}: {int(r['children_exposed'])}",
                f"{t('hz_chief', lang)}: {r['chief']}",
                f"{t('hz_four_ones', lang)}: {status}" if status else "",
            ))
            folium.Marker(
                [float(r["lat"]), float(r["lon"])],
                icon=safe.div_icon(_swatch_spot(colour, str(int(r["rank"]))),
                                   icon_size=(18, 18), icon_anchor=(9, 9)),
                tooltip=safe.tooltip(tip),
            ).add_to(fg)
        fg.add_to(m)
        shown_synthetic |= has_synthetic(sp)

    lo = 0.0
    items = []
    for i, b in enumerate(breaks):
        items.append((_swatch_line(RISK_COLOURS[i + offset]), f"{lo:.0f}–{b:.0f}"))
        lo = b
    items.append((_swatch_line(_NONE, 2), t("hz_no_risk", lang)))
    spot_items = [(_swatch_spot(_FLAGGED), t("hz_spots_flagged", lang)),
                  (_swatch_spot(_COMPLETE), t("hz_spots_ok", lang)),
                  (_swatch_spot(_UNCHECKED), t("hz_never_checked", lang))]
    if len(data.townships):  # last, on top of the reaches and spots
        add_township_labels(m, data.townships, web_zoom(src.to_crs(4326).total_bounds),
                            metric_crs=data.metric_crs)
    folium.LayerControl(collapsed=True).add_to(m)

    fit = None
    if (chief or township or kinds) and (len(sp) or len(seg)):
        pts = gpd.GeoSeries(seg.geometry, crs=segments.crs).to_crs(4326) if len(seg) else None
        b = pts.total_bounds if pts is not None else np.array(
            [sp["lon"].min(), sp["lat"].min(), sp["lon"].max(), sp["lat"].max()])
        pad = 0.01
        fit = [[float(b[1]) - pad, float(b[0]) - pad], [float(b[3]) + pad, float(b[2]) + pad]]
    if fit is None:
        minx, miny, maxx, maxy = src.total_bounds
        fit = [[float(miny), float(minx)], [float(maxy), float(maxx)]]
    add_legend(m, [(t("hz_segments_legend", lang), items), (t("hz_spots", lang), spot_items)],
               lang=lang, synthetic=shown_synthetic, bounds=fit)
    return m
