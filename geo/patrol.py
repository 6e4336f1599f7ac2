"""Patrol lists for river chiefs (河长): danger spots as CSV, one XLSX sheet and one A4 PDF per chief.

003 §14 asks counties to use the river/lake-chief platform (河湖长制) to patrol the water near
where people live and to build the "四个一" at danger spots. This module writes what a chief
takes on patrol, from a :class:`geo.hazards.HazardAnalysis`:

* ``danger_spots.csv`` — every danger spot, machine-readable (fixed English headers, keys);
* ``patrol_lists.xlsx`` — one sheet per chief: spot id, water body, village, township,
  coordinates in WGS84 and in GCJ-02 (what Amap/Tencent phone maps use), children nearby, the
  "四个一" status and the last inspection; headers in the planner's language;
* ``patrol_lists.csv`` — the same rows for all chiefs in one table;
* ``patrol_pdf/<chief>.pdf`` — a printable A4 page (or more) per chief: a small map of the
  chief's spots, numbered, and the table, Chinese rendered with the CJK font;
* ``flood_season.csv`` — the flood-season list of children's institutions near water;
* ``safety_activities.csv`` — every village's safety-knowledge activities for the year (003 §13),
  the villages nearest danger first;
* ``segments.csv`` — every scored segment (no geometry), for whoever wants to check a score.

Every file is written atomically and every text cell is neutralised against formula injection
(:mod:`geo.exports`). Only codes, counts and place names are written: no child's name exists in
the data and none is ever exported.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.exports import atomic_path, export_table, write_csv, write_xlsx
from geo.hazards import COMPASS, HazardAnalysis, analyse_hazards, attach_checklist
from geo.i18n import T, enum_label, facility_label, t, water_label
from geo.mapdecor import add_scale_and_north

__all__ = [
    "DANGER_SPOT_COLUMNS",
    "activities_table",
    "danger_spots_table",
    "flood_table",
    "four_ones_text",
    "reach_text",
    "patrol_pdf_bytes",
    "patrol_sheets",
    "patrol_table",
    "write_hazard_files",
    "write_patrol_pdf",
]

#: Columns of ``danger_spots.csv`` (machine-readable; fixed whatever the language).
DANGER_SPOT_COLUMNS = ("spot_id", "river", "kind", "township_code", "village_code", "lon", "lat",
                       "children_exposed", "score", "rank", "chief", "four_ones_missing",
                       "reach_id", "start_m", "end_m", "length_m", "n_segments", "total_score",
                       "four_ones_state")

#: Patrol-table columns: key -> i18n key of its header.
_PATROL_COLUMNS = {
    "spot_id": "hz_spot_id", "rank": "hz_rank", "river": "hz_river", "kind": "hz_kind",
    "village": "hz_village", "village_code": "hz_village_code", "township": "hz_township",
    "township_code": "hz_township_code", "lon": "hz_lon", "lat": "hz_lat",
    "lon_gcj02": "hz_lon_gcj02", "lat_gcj02": "hz_lat_gcj02",
    "children_exposed": "hz_children_exposed", "four_ones": "hz_four_ones",
    "last_inspection": "hz_last_inspection", "checked_by": "hz_checked_by",
    "village_chief": "hz_village_chief", "chief": "hz_chief",
    "reach": "hz_reach", "reach_length_m": "hz_reach_length",
}

_CHECK_COLUMNS = ("missing", "four_ones_missing", "flagged", "state", "last_inspection",
                  "checked_by")


def _with_status(spots: pd.DataFrame, four_ones) -> pd.DataFrame:
    """Spots with the checklist columns (never checked when absent)."""
    if all(c in spots.columns for c in _CHECK_COLUMNS):
        return spots
    return attach_checklist(spots, None, four_ones)


def four_ones_text(missing, last_inspection: str, lang: str = "zh") -> str:
    """The "四个一" status in words: never checked, complete, or which items are missing."""
    if not str(last_inspection or ""):
        return t("hz_never_checked", lang)
    items = list(missing) if not isinstance(missing, str) else [m for m in missing.split(";") if m]
    if not items:
        return t("hz_complete", lang)
    sep = "、" if lang == "zh" else ", "
    colon = "：" if lang == "zh" else ": "
    return t("hz_missing", lang) + colon + sep.join(t(i, lang) for i in items)


def reach_text(spots: pd.DataFrame, lang: str = "zh") -> list[str]:
    """Where each spot's reach runs, in words: ``K1+200–K2+600（1400 米，7 段）``."""
    from geo.hazards import _chainage

    if "start_m" not in spots.columns:
        return [""] * len(spots)
    a = _chainage(spots["start_m"].to_numpy(float))
    b = _chainage(spots["end_m"].to_numpy(float))
    out = []
    for x, y, length, n in zip(a, b, spots["length_m"], spots["n_segments"], strict=True):
        out.append(t("hz_reach_span", lang).format(x=x, y=y, length=float(length), n=int(n),
                                                   s="s" if int(n) > 1 else ""))
    return out


def danger_spots_table(spots: pd.DataFrame, four_ones=()) -> pd.DataFrame:
    """The ``danger_spots.csv`` table: :data:`DANGER_SPOT_COLUMNS`, keys not labels.

    One row per danger reach: ``spot_id`` is its peak segment (where the "四个一" stand),
    ``reach_id``/``start_m``/``end_m``/``length_m`` where the reach runs, ``score`` its peak
    and ``total_score`` its total; ``four_ones_state`` is complete / missing / unchecked.
    """
    s = _with_status(spots, four_ones).rename(columns={"state": "four_ones_state"})
    return pd.DataFrame({c: s[c].to_numpy() if c in s.columns else "" for c in
                         DANGER_SPOT_COLUMNS})


def patrol_table(spots: pd.DataFrame, *, lang: str = "zh", four_ones=(),
                 buffer_m: float | None = None) -> pd.DataFrame:
    """Rows a river chief reads, with headers in ``lang``.

    Parameters
    ----------
    spots : DataFrame
        :func:`geo.hazards.danger_spots` output (checklist columns optional: without them
        every spot reads "never checked").
    lang : {"zh", "en"}
    four_ones : sequence of str
        The checklist items (``hazards.four_ones``), used when ``spots`` has no status.
    buffer_m : float, optional
        Named in the children header ("within 500 m").

    Returns
    -------
    DataFrame
        One row per spot, ordered by rank.
    """
    s = _with_status(spots, four_ones).sort_values("rank")
    out = pd.DataFrame({
        "spot_id": s["spot_id"].astype(str).to_numpy(),
        "rank": s["rank"].astype(int).to_numpy(),
        "river": s["river"].astype(str).to_numpy(),
        "kind": [water_label(k, lang) for k in s["kind"]],
        "village": s["village"].astype(str).to_numpy(),
        "village_code": s["village_code"].astype(str).to_numpy(),
        "township": s["township"].astype(str).to_numpy(),
        "township_code": s["township_code"].astype(str).to_numpy(),
        "lon": s["lon"].astype(float).to_numpy(), "lat": s["lat"].astype(float).to_numpy(),
        "lon_gcj02": s["lon_gcj02"].astype(float).to_numpy(),
        "lat_gcj02": s["lat_gcj02"].astype(float).to_numpy(),
        "children_exposed": s["children_exposed"].astype(int).to_numpy(),
        "four_ones": [four_ones_text(m, li, lang) for m, li in
                      zip(s["missing"], s["last_inspection"], strict=True)],
        "last_inspection": s["last_inspection"].astype(str).to_numpy(),
        "checked_by": s["checked_by"].astype(str).to_numpy(),
        "village_chief": s["village_chief"].astype(str).to_numpy(),
        "chief": s["chief"].astype(str).to_numpy(),
        "reach": reach_text(s, lang),
        "reach_length_m": (s["length_m"].astype(float).round(0).to_numpy()
                           if "length_m" in s.columns else [float("nan")] * len(s)),
    })
    headers = {k: t(v, lang) for k, v in _PATROL_COLUMNS.items()}
    if buffer_m:
        headers["children_exposed"] += (f"（{buffer_m:g} 米内）" if lang == "zh"
                                        else f" (within {buffer_m:g} m)")
    return out.rename(columns=headers)


def patrol_sheets(spots: pd.DataFrame, *, lang: str = "zh", four_ones=(),
                  buffer_m: float | None = None) -> dict[str, pd.DataFrame]:
    """Chief -> that chief's patrol table (chiefs in code order)."""
    s = _with_status(spots, four_ones)
    return {str(chief): patrol_table(grp, lang=lang, buffer_m=buffer_m)
            for chief, grp in s.groupby(s["chief"].astype(str), sort=True)}


def flood_table(flood: pd.DataFrame, *, lang: str = "zh") -> pd.DataFrame:
    """The flood-season list with headers and labels in ``lang``."""
    i = 0 if lang == "zh" else 1
    return pd.DataFrame({
        t("hz_facility", lang) + (" ID" if lang == "en" else "编号"): flood["facility_id"],
        t("hz_facility_kind", lang): [facility_label(k, lang) for k in flood["facility_kind"]],
        t("hz_facility", lang): flood["facility_name"],
        t("hz_village_code", lang): flood["village_code"],
        t("hz_township_code", lang): flood["township_code"],
        t("hz_river", lang): flood["water_name"],
        t("hz_kind", lang): [water_label(k, lang) for k in flood["water_kind"]],
        "water_id": flood["water_id"],
        t("hz_distance_m", lang): flood["distance_m"],
        t("hz_direction", lang): [COMPASS[d][i] if d in COMPASS else "" for d in
                                  flood["direction"]],
        t("hz_lon", lang): flood["lon"], t("hz_lat", lang): flood["lat"],
    })


_ACTIVITY_HEADERS = {
    "priority": ("优先顺序", "Priority"), "village_code": ("村代码", "Village code"),
    "name": ("村（社区）", "Village/community"), "township_code": ("乡镇代码", "Township code"),
    "resident_children": ("常住儿童数", "Resident children"),
    "left_behind": ("农村留守儿童数", "Left-behind children"),
    "nearest_water_m": ("最近水体距离（米）", "Nearest water (m)"),
    "nearest_water_walk_min": T["hz_nearest_water_walk_min"], "metric": T["travel_metric"],
    "danger_spots_nearby": ("周边危险点数", "Danger spots nearby"),
    "max_segment_score": ("周边最高河段风险分值", "Highest nearby segment score"),
    "activities_per_year": ("每年安全知识活动次数（003 §13）",
                            "Safety-knowledge activities per year (003 §13)"),
}


def activities_table(activities: pd.DataFrame, *, lang: str = "zh") -> pd.DataFrame:
    """The safety-activity list (:func:`geo.hazards.safety_activity_plan`) with headers in ``lang``."""
    i = 0 if lang == "zh" else 1
    out = activities.copy()
    if "metric" in out.columns:
        out["metric"] = [enum_label("metric", m, lang) for m in out["metric"]]
    return out.rename(columns={k: v[i] for k, v in _ACTIVITY_HEADERS.items()})


# ----------------------------------------------------------------------------- PDF


_RISK = "#c0392b"
_WATER = "#3a86c8"
_WATER_FILL = "#cfe3f5"


def _stack_labels(xs, ys, within: float) -> list[tuple[str, tuple[float, float]]]:
    """Numbers 1..k of the spots, those closer than ``within`` to an earlier one joined ("3,7").

    A chief has a handful of spots, so the greedy pass over them is cheap.
    """
    groups: list[list[int]] = []
    for i in range(len(xs)):
        for g in groups:
            if math.hypot(xs[i] - xs[g[0]], ys[i] - ys[g[0]]) < within:
                g.append(i)
                break
        else:
            groups.append([i])
    return [(",".join(str(i + 1) for i in g), (float(xs[g[0]]), float(ys[g[0]]))) for g in groups]


def _draw_map(ax, data, chief_spots: gpd.GeoDataFrame, segments: gpd.GeoDataFrame, crs,
              lang: str) -> None:
    """A small map: townships, county, waterways, the chief's segments numbered."""
    pts = chief_spots.to_crs(crs)
    xs, ys = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    cx, cy = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2
    half_w = max((xs.max() - xs.min()) / 2 + 800.0, 1500.0)
    half_h = max((ys.max() - ys.min()) / 2 + 800.0, 1500.0)
    # match the axes' aspect so the map fills its box
    bbox = ax.get_position()
    fig_w, fig_h = ax.figure.get_size_inches()
    aspect = (bbox.height * fig_h) / (bbox.width * fig_w)
    if half_h / half_w < aspect:
        half_h = half_w * aspect
    else:
        half_w = half_h / aspect
    x0, x1, y0, y1 = cx - half_w, cx + half_w, cy - half_h, cy + half_h
    import shapely

    view = shapely.box(x0, y0, x1, y1)

    def clip(frame):
        if frame is None or not len(frame):
            return None
        g = frame.to_crs(crs)
        g = g[g.intersects(view)]
        return g if len(g) else None

    tw = clip(data.townships)
    if tw is not None:
        tw.boundary.plot(ax=ax, color="#9a9a9a", linewidth=0.6, linestyle="--")
    county = clip(data.county)
    if county is not None:
        county.boundary.plot(ax=ax, color="#222", linewidth=1.4)
    w = clip(data.waterways)
    if w is not None:
        poly = w[w.geom_type.isin(["Polygon", "MultiPolygon"])]
        line = w[~w.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(poly):
            poly.plot(ax=ax, color=_WATER_FILL, edgecolor=_WATER, linewidth=0.6)
        if len(line):
            line.plot(ax=ax, color=_WATER, linewidth=[2.2 if k == "river" else 0.9
                                                      for k in line["kind"]])
    v = clip(data.villages)
    if v is not None:
        ax.scatter(v.geometry.x, v.geometry.y, s=7, color="#777", zorder=3)
        near = set(chief_spots["village_code"].astype(str))
        for r in v[v["village_code"].astype(str).isin(near)].itertuples():
            ax.annotate(str(r.name), (r.geometry.x, r.geometry.y), xytext=(4, -11),
                        textcoords="offset points", fontsize=6, color="#444", zorder=4)
    ids = set(chief_spots["spot_id"])
    if "segment_ids" in chief_spots.columns:  # the whole reach, not only its peak segment
        ids |= {x for v in chief_spots["segment_ids"].astype(str) for x in v.split(";") if x}
    seg = segments[segments["segment_id"].isin(ids)]
    if len(seg):
        seg.to_crs(crs).plot(ax=ax, color=_RISK, linewidth=3.0, zorder=5)
    ax.scatter(xs, ys, s=14, color=_RISK, edgecolor="white", linewidth=0.6, zorder=6)
    for label, (x, y) in _stack_labels(xs, ys, 0.03 * (x1 - x0)):
        # the number sits just above its spot, clear of the village names drawn below-right
        ax.annotate(label, (x, y), xytext=(0, 10), textcoords="offset points", ha="center",
                    va="center", fontsize=7, color="white", zorder=7,
                    bbox={"boxstyle": "round,pad=0.25" if "," in label else "circle,pad=0.25",
                          "fc": _RISK, "ec": "white", "lw": 0.8})
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    add_scale_and_north(ax, lang)


def _pdf_rows(table: pd.DataFrame, lang: str) -> tuple[list[str], list[list[str]]]:
    cols = list(table.columns)
    k = {key: cols[i] for i, key in enumerate(_PATROL_COLUMNS)}
    head = (["序号", "危险点编号", "水体", "村（社区）", "WGS84\n经度, 纬度", "GCJ-02（手机地图）\n经度, 纬度",
             "周边\n儿童", "“四个一”", "最近检查"] if lang == "zh" else
            ["No.", "Spot id", "Water", "Village", "WGS84\nlon, lat", "GCJ-02 (phone maps)\nlon, lat",
             "Children\nnearby", "Four ones", "Last check"])
    rows = []
    for n, r in enumerate(table.itertuples(index=False), start=1):
        d = dict(zip(cols, r, strict=True))
        rows.append([
            str(n), str(d[k["spot_id"]]) + (f"\n{d[k['reach']]}" if d[k["reach"]] else ""),
            str(d[k["river"]]) or str(d[k["kind"]]),
            str(d[k["village"]]),
            f"{d[k['lon']]:.5f}, {d[k['lat']]:.5f}", f"{d[k['lon_gcj02']]:.5f}, {d[k['lat_gcj02']]:.5f}",
            str(d[k["children_exposed"]]), str(d[k["four_ones"]]), str(d[k["last_inspection"]]) or "—",
        ])
    return head, rows


def _draw_table(ax, head, rows, lang: str) -> None:
    ax.axis("off")
    if not rows:
        return
    widths = [0.04, 0.20, 0.09, 0.10, 0.14, 0.14, 0.06, 0.15, 0.08]
    tab = ax.table(cellText=rows, colLabels=head, colWidths=widths, loc="upper center",
                   cellLoc="left", colLoc="left")
    tab.auto_set_font_size(False)
    tab.set_fontsize(6.3)
    tab.scale(1.0, 1.35)
    for (r, _c), cell in tab.get_celld().items():
        cell.set_linewidth(0.3)
        cell.set_edgecolor("#888")
        if r == 0:
            cell.set_facecolor("#eef2f6")
            cell.set_height(cell.get_height() * 1.8)


def write_patrol_pdf(data, analysis: HazardAnalysis, chief: str, path: str | Path, *,
                     lang: str = "zh", four_ones=(), buffer_m: float | None = None,
                     today: str | None = None) -> Path:
    """Write a chief's printable A4 patrol list: a small map of the spots and the table.

    The first page holds the map and up to 14 rows; further rows continue on more pages (28
    per page). Text uses the CJK font (:func:`geo.fonts.use_cjk_font`) embedded as TrueType,
    so Chinese prints as characters. The 示意数据 mark is printed when the spots are synthetic.

    Returns
    -------
    Path
    """
    with atomic_path(path) as tmp:
        tmp.write_bytes(patrol_pdf_bytes(data, analysis, chief, lang=lang, four_ones=four_ones,
                                         buffer_m=buffer_m, today=today))
    return Path(path)


def patrol_pdf_bytes(data, analysis: HazardAnalysis, chief: str, *, lang: str = "zh",
                     four_ones=(), buffer_m: float | None = None, today: str | None = None
                     ) -> bytes:
    """The bytes of :func:`write_patrol_pdf` (for a download button)."""
    import io

    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context(_pdf_font_rc()):
        _write_patrol_pdf(data, analysis, chief, buf, lang=lang, four_ones=four_ones,
                          buffer_m=buffer_m, today=today)
    return buf.getvalue()


def _pdf_font_rc() -> dict:
    """Matplotlib settings that draw every PDF text with the CJK font file (one face).

    The font is registered by path (:func:`geo.fonts.use_cjk_font`); of a Noto CJK
    collection the Simplified-Chinese face is chosen (face 0 is the Japanese one, whose
    glyphs differ for some characters). One regular face only: each embedded face costs
    about a second of font subsetting per PDF.
    """
    from matplotlib import font_manager

    from geo.fonts import cjk_font_path, use_cjk_font

    name = use_cjk_font()
    path = cjk_font_path()
    if path is not None:
        faces = {f.name for f in font_manager.fontManager.ttflist if f.fname == str(path)}
        for pick in ("Noto Sans CJK SC", "Source Han Sans SC"):
            if pick in faces:
                name = pick
                break
    rc = {"pdf.fonttype": 3, "axes.unicode_minus": False}
    if name:
        rc |= {"font.family": "sans-serif", "font.sans-serif": [name, "DejaVu Sans"]}
    return rc


def _write_patrol_pdf(data, analysis: HazardAnalysis, chief: str, target, *, lang, four_ones,
                      buffer_m, today) -> None:
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    spots = _with_status(analysis.spots, four_ones)
    mine = spots[spots["chief"].astype(str) == str(chief)].sort_values("rank")
    if not len(mine):
        raise ValueError(f"河长 {chief} 没有危险点 / chief {chief} has no danger spot")
    table = patrol_table(mine, lang=lang, buffer_m=buffer_m)
    head, rows = _pdf_rows(table, lang)
    synthetic = bool(mine.get("is_synthetic", pd.Series(False)).any())
    today = today or date.today().isoformat()
    tw = ", ".join(sorted({x for x in mine["township"].astype(str) if x}))
    first, per_page = 14, 28
    chunks = [rows[:first]] + [rows[i:i + per_page] for i in range(first, len(rows), per_page)]
    n_pages = len(chunks)
    from geo.hazards import four_ones_counts

    states = four_ones_counts(mine)
    with PdfPages(target, metadata={
            "Title": f"{t('hz_patrol_title', lang)} {chief}", "Creator": "childplan"}) as pdf:
        for p, chunk in enumerate(chunks, start=1):
            fig = Figure(figsize=(8.27, 11.69))
            fig.text(0.06, 0.955, f"{t('hz_patrol_title', lang)} · {chief}", fontsize=15,
                     va="top")
            sep = " " if lang == "zh" else ": "
            sub = (f"{data.name}（{data.adcode}） {tw} · " if lang == "zh" else
                   f"{data.name} ({data.adcode}) {tw} · ") + " · ".join(
                [f"{t('hz_spots', lang)}{sep}{len(mine)}"]
                + [f"{t('hz_state_' + k, lang)}{sep}{v}" for k, v in states.items()]
                + [today])
            fig.text(0.06, 0.925, sub, fontsize=8.5, va="top", color="#333")
            if synthetic:
                fig.text(0.94, 0.955, t("synthetic_mark", "zh") + ("" if lang == "zh" else
                                                                  " · synthetic data"),
                         fontsize=10, color="#7a5b00", ha="right", va="top",
                         bbox={"fc": "#fff3cd", "ec": "#e0c060", "boxstyle": "round,pad=0.3"})
            if p == 1:
                ax = fig.add_axes((0.06, 0.50, 0.88, 0.40))
                _draw_map(ax, data, mine, analysis.segments, analysis.segments.crs, lang)
                tax = fig.add_axes((0.04, 0.08, 0.92, 0.40))
            else:
                tax = fig.add_axes((0.04, 0.08, 0.92, 0.82))
            _draw_table(tax, head, chunk, lang)
            fig.text(0.06, 0.05, t("hz_patrol_note", lang), fontsize=7, color="#333",
                     va="top", wrap=True)
            fig.text(0.94, 0.025, f"{p}/{n_pages}", fontsize=7, ha="right", color="#666")
            fig.text(0.06, 0.025, t("hz_patrol_footer", lang), fontsize=6.5, color="#666")
            pdf.savefig(fig)


# ----------------------------------------------------------------------------- one call


def _safe_name(name: str) -> str:
    from geo.safe import file_name

    return file_name(name, default="chief")


def write_hazard_files(data, policy, out_dir, lang: str = "zh", checks=None, *,
                       population_path=None, codes: bool = True,
                       analysis: HazardAnalysis | None = None) -> dict[str, Path]:
    """Analyse a county's drowning risk and write every patrol file to ``out_dir``.

    The writing half of ``childplan hazards --out DIR``; the workflow that reads the "四个一"
    checks from the scenario store is :func:`childplan.workflows.run_hazards`.

    Parameters
    ----------
    data : geo.layers.CountyData
        The validated county.
    policy : Policy
        Its ``hazards`` section is used.
    out_dir : path
        Created if absent; files are replaced atomically.
    lang : {"zh", "en"}
        Language of the patrol XLSX/CSV/PDF, and with ``codes=False`` of the headers and
        enumeration cells of every other table too (:func:`geo.exports.export_table`).
    checks : DataFrame, optional
        The county's recorded "四个一" checks (``Store.checks``); without them every spot
        reads "never checked".
    population_path : path, optional
        A population or child-population GeoTIFF (see :func:`geo.hazards.score_segments`).
    analysis : HazardAnalysis, optional
        A ready analysis (the page passes its cached one); computed when absent.
    codes : bool
        ``danger_spots.csv`` and ``segments.csv`` with canonical column names and stable
        codes, for other systems (the default of this function and of
        :func:`childplan.workflows.run_hazards`, which does not pass it); ``False`` writes
        them, and ``flood_season.csv``'s code column, in ``lang`` (``childplan hazards``
        without ``--codes``). The lists a chief reads are always in ``lang``.

    Returns
    -------
    dict of str to Path
        ``danger_spots``, ``patrol_xlsx``, ``patrol_csv``, ``flood_season``,
        ``safety_activities``, ``segments`` and one ``pdf:<chief>`` per chief.
    """
    hp = getattr(policy, "hazards", policy)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if analysis is None:
        analysis = analyse_hazards(data, hp, population_path=population_path)
    spots = attach_checklist(analysis.spots, checks, hp.four_ones)
    analysis = replace(analysis, spots=spots)
    paths: dict[str, Path] = {}
    water = {"kind": "water"}
    paths["danger_spots"] = write_csv(export_table(danger_spots_table(spots), lang, codes=codes,
                                                   enums=water), out / "danger_spots.csv")
    sheets = patrol_sheets(spots, lang=lang, buffer_m=hp.buffer_m)
    synthetic = bool(spots.get("is_synthetic", pd.Series(False)).any())
    mark = f" · {t('synthetic_mark', lang)}" if synthetic else ""
    headers = {c: f"{t('hz_patrol_title', lang)} · {c} · {data.name}{mark}" for c in sheets}
    paths["patrol_xlsx"] = write_xlsx(sheets, out / "patrol_lists.xlsx", headers=headers,
                                      text_dates=True)  # 最近检查日期 as an Excel date
    paths["patrol_csv"] = write_csv(patrol_table(spots, lang=lang, buffer_m=hp.buffer_m),
                                    out / "patrol_lists.csv")
    paths["flood_season"] = write_csv(export_table(flood_table(analysis.flood, lang=lang), lang,
                                                   codes=codes), out / "flood_season.csv")
    if analysis.activities is not None:
        paths["safety_activities"] = write_csv(activities_table(analysis.activities, lang=lang),
                                               out / "safety_activities.csv")
    seg = pd.DataFrame(analysis.segments.drop(columns=analysis.segments.geometry.name))
    num = seg.select_dtypes("float").columns
    seg[num] = seg[num].round(3)
    paths["segments"] = write_csv(export_table(seg.sort_values("rank"), lang, codes=codes,
                                               enums=water), out / "segments.csv")
    from geo.safe import file_names

    # One file per chief: names that clean to the same file get a suffix (河长/甲, 河长_甲).
    if sheets:
        (out / "patrol_pdf").mkdir(exist_ok=True)
    for chief, stem in zip(sheets, file_names(sheets, default="chief"), strict=True):
        pdf = out / "patrol_pdf" / f"{stem}.pdf"
        paths[f"pdf:{chief}"] = write_patrol_pdf(data, analysis, chief, pdf, lang=lang,
                                                 buffer_m=hp.buffer_m)
    return paths
