r"""Drowning risk along waterways: segments scored by the children exposed, danger spots, flood list.

003 §14 asks counties to use the river/lake-chief platform (河湖长制) to patrol rivers, lakes
and open channels near where people live, to build the "四个一" (one warning sign, one life
buoy, one rescue rope, one rescue pole) at danger spots, and in the flood season to inspect the
water around every children's institution. This module turns a county's layers into those
lists. It is pure: GeoDataFrames and a policy in, new frames out; files are written by
:mod:`geo.patrol`. Every distance is measured in the county's CGCS2000 Gauss–Krüger CRS
(metres), never in degrees.

Segments
--------
Lines (rivers, streams, canals) and the boundaries of water polygons (ponds, reservoirs,
lakes: the shore is where a child goes in) are cut into pieces of ``segment_length_m`` from
the start of each part; the last piece takes the remainder, so it is between half and one and a
half times the length (a part shorter than half a length stays whole). A segment's id is its
water body and chainage (桩号), e.g. ``W-500109-stream-012-K1+400`` (part 2 of a multi-part
body: ``W-…-012.2-K0+200``): the same data and length give the same ids, whatever the scores.

Score of a segment :math:`s`
----------------------------
Every village :math:`v`, facility :math:`f` (kinds in ``facility_weights``) and, when given,
population-raster cell :math:`c` whose point lies within ``buffer_m`` :math:`B` of the segment
contributes with a distance decay and a height factor::

    w(d)   = exp(-d / λ)            for d <= B, else 0        (λ = distance_decay_m)
    g(h)   = 1 / (1 + max(h, 0) / H)                          (H = height_scale_m)
    c_v    = a_res·resident + a_lb·left_behind + a_diff·difficulty + a_key·key_attention
    E_s    = Σ_v w(d_sv) g(h_sv) c_v + Σ_f w(d_sf) g(h_sf) φ_f + ρ Σ_c w(d_sc) g(h_sc) p_c
    score  = k(kind) · q(slope_s) · E_s,     q(s) = 1 / (1 + s / S)   (S = slope_scale_deg)

where ``d`` is the shortest distance (m) from the point to the segment, ``h`` the height of the
point above the water (DEM at the point minus the lowest DEM value at the segment's start,
middle and end), ``slope_s`` the mean DEM slope (degrees) at those three points, ``a_*`` the
``child_weights`` (a left-behind child counts ``a_res + a_lb``), ``φ_f`` the facility's
``facility_weights`` entry, ``ρ`` the ``population_raster_weight``, ``p_c`` a raster cell's
value and ``k`` the ``water_kind_weights``. Without a DEM (or outside it) ``g = q = 1``.
With the defaults (λ = 250 m, B = 500 m): w(0) = 1, w(100) = e^-0.4 = 0.670,
w(250) = 0.368, w(500) = 0.135, w(800) = 0.

``children_within`` is the plain number of resident children of the villages within ``B``
(no decay, no weights): what a river chief is told as "children exposed". Segments are ranked
by score (ties by id).

Reaches and danger spots
------------------------
Touching segments of one water body that score at least ``reach_min_score`` are merged into
one danger reach (:func:`merge_reaches`: start, end, length, peak and total score); reaches
are ranked by peak score and the ``danger_spots_top_n`` best are the danger spots, one per
reach, so a canal scoring high for 1.4 km is one spot, not seven.

Examples
--------
>>> import numpy as np
>>> np.round(distance_decay(np.array([0.0, 100.0, 800.0]), 250.0, 500.0), 3).tolist()
[1.0, 0.67, 0.0]
>>> compass_direction(np.array([1.0, 0.0]), np.array([1.0, -1.0])).tolist()
['NE', 'S']
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely import STRtree

from geo.coords import wgs84_to_gcj02
from geo.crs import STORAGE_CRS
from optimization.vocab import DIFFICULTY_COLUMNS

__all__ = [
    "COMPASS",
    "FOUR_ONES_STATES",
    "HazardAnalysis",
    "analyse_hazards",
    "assign_chiefs",
    "attach_checklist",
    "checklist_status",
    "child_weight",
    "compass_direction",
    "danger_spots",
    "distance_decay",
    "flood_season_list",
    "four_ones_counts",
    "height_factor",
    "merge_reaches",
    "safety_activity_plan",
    "score_segments",
    "segment_waterways",
    "zonal_sums",
]

#: 8-point compass: key -> (zh, en), clockwise from north.
COMPASS: dict[str, tuple[str, str]] = {
    "N": ("北", "north"), "NE": ("东北", "north-east"), "E": ("东", "east"),
    "SE": ("东南", "south-east"), "S": ("南", "south"), "SW": ("西南", "south-west"),
    "W": ("西", "west"), "NW": ("西北", "north-west"),
}
_COMPASS_KEYS = np.array(list(COMPASS))
_POLYGON_TYPES = (3, 6)
#: The "四个一" states of a danger spot, in display order (see :func:`checklist_status`).
FOUR_ONES_STATES = ("complete", "missing", "unchecked")  # shapely type ids of Polygon and MultiPolygon


def _hp(policy):
    """The hazards section of a :class:`~optimization.policy.Policy` (or the section itself)."""
    return getattr(policy, "hazards", policy)


# ----------------------------------------------------------------------------- factors


def distance_decay(d, decay_m: float, buffer_m: float) -> np.ndarray:
    """Weight of a point ``d`` metres from the water: ``exp(-d / decay_m)``, 0 beyond ``buffer_m``.

    Parameters
    ----------
    d : array_like
        Distances in metres.
    decay_m : float
        The decay length λ (``hazards.distance_decay_m``).
    buffer_m : float
        The cut-off (``hazards.buffer_m``).

    Returns
    -------
    numpy.ndarray
    """
    d = np.asarray(d, dtype=float)
    return np.where(d <= buffer_m, np.exp(-d / decay_m), 0.0)


def height_factor(h, scale_m: float) -> np.ndarray:
    """``1 / (1 + max(h, 0) / scale_m)``: low ground counts fully; unknown height (NaN) counts 1.

    >>> height_factor([0.0, 30.0, -5.0, float("nan")], 30.0).tolist()
    [1.0, 0.5, 1.0, 1.0]
    """
    h = np.asarray(h, dtype=float)
    return 1.0 / (1.0 + np.clip(np.nan_to_num(h, nan=0.0), 0.0, None) / scale_m)


def child_weight(villages: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    """Weighted children per village (``hazards.child_weights``, additive).

    ``resident·a_res + left_behind·a_lb + (sum of the five difficulty subtypes)·a_diff +
    key_attention·a_key``; missing columns count 0.
    """

    def col(name):
        if name in villages.columns:
            return pd.to_numeric(villages[name], errors="coerce").fillna(0).to_numpy(float)
        return np.zeros(len(villages))

    diff = sum((col(c) for c in DIFFICULTY_COLUMNS), np.zeros(len(villages)))
    return (weights.get("resident", 1.0) * col("resident_children")
            + weights.get("left_behind", 0.0) * col("left_behind")
            + weights.get("difficulty", 0.0) * diff
            + weights.get("key_attention", 0.0) * col("key_attention"))


def compass_direction(dx, dy) -> np.ndarray:
    """8-point compass key (N, NE, …) of the vector (dx east, dy north); ``""`` for a zero vector.

    Bearings are taken on the Gauss–Krüger grid, whose north is within 1.5° of true north
    inside a 3-degree zone: far less than a compass sector (45°).
    """
    dx = np.asarray(dx, dtype=float)
    dy = np.asarray(dy, dtype=float)
    bearing = np.degrees(np.arctan2(dx, dy)) % 360.0
    out = _COMPASS_KEYS[np.round(bearing / 45.0).astype(int) % 8]
    return np.where(np.hypot(dx, dy) > 0, out, "")


# ----------------------------------------------------------------------------- rasters


@dataclass(frozen=True)
class _Grid:
    """A raster window in memory: values (NaN for nodata), its transform and CRS."""

    values: np.ndarray
    transform: object
    crs: CRS

    @classmethod
    def read(cls, path, bounds=None, bounds_crs=None, pad: float = 0.0) -> _Grid:
        """Read band 1, or only the window covering ``bounds`` (in ``bounds_crs``) + ``pad``."""
        import rasterio
        from affine import Affine
        from rasterio.windows import Window

        with rasterio.open(path) as ds:
            window = None
            if bounds is not None:
                minx, miny, maxx, maxy = bounds
                b = Transformer.from_crs(bounds_crs, ds.crs, always_xy=True).transform_bounds(
                    minx - pad, miny - pad, maxx + pad, maxy + pad, densify_pts=5)
                cols, rows = _affine(~ds.transform, np.array([b[0], b[2], b[0], b[2]]),
                                     np.array([b[1], b[1], b[3], b[3]]))
                c0 = max(int(np.floor(np.min(cols))), 0)
                r0 = max(int(np.floor(np.min(rows))), 0)
                c1 = min(int(np.ceil(np.max(cols))), ds.width)
                r1 = min(int(np.ceil(np.max(rows))), ds.height)
                if c1 <= c0 or r1 <= r0:
                    return cls(np.full((0, 0), np.nan), ds.transform, CRS(ds.crs))
                window = Window(c0, r0, c1 - c0, r1 - r0)
            arr = ds.read(1, window=window, masked=True)
            values = np.ma.filled(arr.astype(float), np.nan)
            tr = ds.transform
            if window is not None:  # the window's own transform (rasterio's uses Affine "*")
                x, y = _affine(tr, window.col_off, window.row_off)
                tr = Affine(tr.a, tr.b, float(x), tr.d, tr.e, float(y))
            transform = tr
            return cls(values, transform, CRS(ds.crs))

    def sample(self, x, y, crs) -> np.ndarray:
        """Values at points given in ``crs`` (NaN outside the window or on nodata)."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        out = np.full(x.shape, np.nan)
        if self.values.size == 0 or x.size == 0:
            return out
        rx, ry = Transformer.from_crs(crs, self.crs, always_xy=True).transform(x, y)
        col, row = _affine(~self.transform, np.asarray(rx), np.asarray(ry))
        col = np.floor(col).astype(int)
        row = np.floor(row).astype(int)
        ok = (row >= 0) & (row < self.values.shape[0]) & (col >= 0) & (col < self.values.shape[1])
        out[ok] = self.values[row[ok], col[ok]]
        return out

    def slope_deg(self) -> _Grid:
        """Slope in degrees (central differences; NaN next to nodata)."""
        z = self.values
        if z.shape[0] < 2 or z.shape[1] < 2:
            return _Grid(np.full(z.shape, np.nan), self.transform, self.crs)
        xres = abs(self.transform.a)
        yres = abs(self.transform.e)
        if self.crs.is_geographic:  # degrees -> metres at the window's middle latitude
            lat = float(_affine(self.transform, 0.0, z.shape[0] / 2)[1])
            xres *= 111_320.0 * np.cos(np.radians(lat))
            yres *= 110_540.0
        dzdy, dzdx = np.gradient(z, yres, xres)
        return _Grid(np.degrees(np.arctan(np.hypot(dzdx, dzdy))), self.transform, self.crs)

    def cells(self, crs) -> tuple[np.ndarray, np.ndarray]:
        """Centres (points in ``crs``) and values of the finite, non-zero cells."""
        rows, cols = np.nonzero(np.isfinite(self.values) & (self.values != 0))
        x, y = _affine(self.transform, cols + 0.5, rows + 0.5)
        mx, my = Transformer.from_crs(self.crs, crs, always_xy=True).transform(
            np.asarray(x, float), np.asarray(y, float))
        return shapely.points(mx, my), self.values[rows, cols]


def _affine(tr, x, y):
    """Apply an affine transform to coordinate arrays (no operator overloading)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    return tr.a * x + tr.b * y + tr.c, tr.d * x + tr.e * y + tr.f


def _raster_pairs(path, geoms, crs, distance: float, grid: _Grid | None = None):
    """(geometry index, cell value, distance, cell point) for cells whose centre is within reach."""
    geoms = np.asarray(geoms)
    if grid is None:
        bounds = shapely.total_bounds(geoms) if len(geoms) else None
        if bounds is None or not np.all(np.isfinite(bounds)):
            return (np.zeros(0, int), np.zeros(0), np.zeros(0), np.zeros(0, object))
        grid = _Grid.read(path, bounds, crs, pad=distance + 1.0)
    pts, vals = grid.cells(crs)
    if not len(pts) or not len(geoms):
        return (np.zeros(0, int), np.zeros(0), np.zeros(0), np.zeros(0, object))
    tree = STRtree(pts)
    if distance > 0:
        gi, ci = tree.query(geoms, predicate="dwithin", distance=distance)
    else:
        gi, ci = tree.query(geoms, predicate="intersects")
    d = shapely.distance(geoms[gi], pts[ci])
    return gi, vals[ci], d, pts[ci]


def zonal_sums(path, geoms, crs, *, distance: float = 0.0, decay_m: float | None = None
               ) -> np.ndarray:
    """Sum of a raster's cells per geometry (the "cell centre inside" rule of zonal statistics).

    Parameters
    ----------
    path : path
        A one-band GeoTIFF (e.g. a WorldPop-style population or child-population grid). Its
        CRS may differ from ``crs``; cell centres are transformed (``always_xy``).
    geoms : array of shapely geometries
        Zones, in ``crs``.
    crs : CRS
        The CRS of ``geoms`` (a metric one when ``distance`` is used).
    distance : float
        Count cells whose centre lies within this distance (m) of the geometry: 0 means
        inside (or on the edge of) a polygon, which equals ``rasterio.features.rasterize``
        with ``all_touched=False``.
    decay_m : float, optional
        Weigh each cell by ``exp(-d / decay_m)`` (``d`` its centre's distance to the zone).

    Returns
    -------
    numpy.ndarray
        One sum per geometry (0 where no cell counts); nodata cells are ignored.
    """
    geoms = np.asarray(geoms)
    gi, vals, d, _ = _raster_pairs(path, geoms, CRS(crs), distance)
    w = vals if decay_m is None else vals * np.exp(-d / decay_m)
    return np.bincount(gi, weights=w, minlength=len(geoms)).astype(float)


# ----------------------------------------------------------------------------- segments


def _chainage(start_m: np.ndarray) -> np.ndarray:
    km = (start_m // 1000).astype(int)
    m = np.round(start_m - 1000 * km).astype(int)
    return np.char.add(np.char.add("K", km.astype(str)),
                       np.char.add("+", np.char.zfill(m.astype(str), 3)))


def segment_waterways(waterways: gpd.GeoDataFrame, segment_length_m: float, *,
                      crs=None) -> gpd.GeoDataFrame:
    """Cut waterways (lines, and the shores of water polygons) into segments.

    Parameters
    ----------
    waterways : GeoDataFrame
        ``water_id``, ``kind`` and optionally ``name``, ``chief`` and ``is_synthetic``.
    segment_length_m : float
        Nominal length; the last piece of each part takes the remainder (½–1½ lengths).
    crs : CRS, optional
        The metric CRS to work in (default: the frame's own CRS, which must be projected).

    Returns
    -------
    GeoDataFrame
        In ``crs``: ``segment_id``, ``water_id``, ``name``, ``kind``, ``part``, ``start_m``,
        ``end_m``, ``length_m`` (+ ``chief``, ``is_synthetic`` when present), LineString
        geometry. The input is not modified.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> w = gpd.GeoDataFrame({"water_id": ["W1"], "kind": ["stream"]},
    ...                      geometry=[shapely.LineString([(0, 0), (450, 0)])], crs=4544)
    >>> segment_waterways(w, 200)[["segment_id", "length_m"]].values.tolist()
    [['W1-K0+000', 200.0], ['W1-K0+200', 250.0]]
    """
    seg = float(segment_length_m)
    if seg <= 0:
        raise ValueError("segment_length_m must be > 0")
    w = waterways if crs is None else waterways.to_crs(crs)
    if w.crs is None or not CRS(w.crs).is_projected:
        raise ValueError("河段切分需要投影坐标系（米）/ segmenting needs a projected CRS in metres")
    extra = [c for c in ("chief", "is_synthetic") if c in w.columns]
    cols = ["water_id", "name", "kind", "part", "start_m", "end_m", "length_m", *extra]
    empty = gpd.GeoDataFrame({c: [] for c in ["segment_id", *cols]}, geometry=[], crs=w.crs)
    if not len(w):
        return empty
    geoms = w.geometry.to_numpy()
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    is_poly = np.isin(shapely.get_type_id(geoms), _POLYGON_TYPES)
    lines = np.where(is_poly, shapely.boundary(geoms), geoms)
    lines[~valid] = None
    parts, src = shapely.get_parts(lines, return_index=True)
    keep = shapely.length(parts) > 0
    parts, src = parts[keep], src[keep]
    if not len(parts):
        return empty
    part_no = pd.Series(src).groupby(src).cumcount().to_numpy()
    n_parts = np.bincount(src, minlength=len(w))[src]
    length = shapely.length(parts)
    n = np.maximum(1, np.floor(length / seg + 0.5).astype(int))

    # one row per segment: its part, index along the part, start and end chainage
    seg_part = np.repeat(np.arange(len(parts)), n)
    offset = np.concatenate([[0], np.cumsum(n)[:-1]])
    k = np.arange(len(seg_part)) - offset[seg_part]
    s0 = k * seg
    s1 = np.where(k == n[seg_part] - 1, length[seg_part], (k + 1) * seg)

    # vertices strictly inside each segment, with the interpolated ends: one linestring each
    xy, vidx = shapely.get_coordinates(parts, return_index=True)
    step = np.r_[0.0, np.hypot(*np.diff(xy, axis=0).T)]
    first = np.r_[True, vidx[1:] != vidx[:-1]]
    step[first] = 0.0
    cum = np.cumsum(step)
    cum -= cum[np.flatnonzero(first)][np.cumsum(first) - 1]
    kv = np.minimum(np.floor(cum / seg).astype(int), n[vidx] - 1)
    gv = offset[vidx] + kv
    inner = (cum > s0[gv]) & (cum < s1[gv])
    a = shapely.get_coordinates(shapely.line_interpolate_point(parts[seg_part], s0))
    b = shapely.get_coordinates(shapely.line_interpolate_point(parts[seg_part], s1))
    sid = np.arange(len(seg_part))
    all_seg = np.concatenate([sid, gv[inner], sid])
    all_key = np.concatenate([s0, cum[inner], s1])
    all_tag = np.concatenate([np.zeros(len(sid)), np.ones(inner.sum()), np.full(len(sid), 2)])
    all_xy = np.concatenate([a, xy[inner], b])
    order = np.lexsort((all_tag, all_key, all_seg))
    segs = shapely.linestrings(all_xy[order], indices=all_seg[order])

    s_src = src[seg_part]
    water_id = w["water_id"].astype(str).to_numpy()[s_src]
    p_no = part_no[seg_part]
    label = np.where(n_parts[seg_part] > 1,
                     np.char.add(np.char.add(water_id, "."), (p_no + 1).astype(str)), water_id)
    out = {
        "segment_id": np.char.add(np.char.add(label.astype(str), "-"), _chainage(s0)),
        "water_id": water_id,
        "name": (w["name"].fillna("").astype(str).to_numpy()[s_src] if "name" in w.columns
                 else np.full(len(s_src), "")),
        "kind": w["kind"].astype(str).to_numpy()[s_src],
        "part": p_no,
        "start_m": np.round(s0, 1),
        "end_m": np.round(s1, 1),
        "length_m": np.round(s1 - s0, 1),
    }
    for c in extra:
        out[c] = w[c].to_numpy()[s_src]
    return gpd.GeoDataFrame(out, geometry=segs, crs=w.crs)


# ----------------------------------------------------------------------------- chiefs


def assign_chiefs(segments: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, *,
                  level: str = "township") -> gpd.GeoDataFrame:
    """Give each segment its nearest village, that village's township and their river chiefs.

    The demo rule names chiefs by code only, never by name: ``河长-<township code>`` for the
    township chief and ``河长-<village code>`` for the chief of the village nearest the
    segment. The segment's township is its nearest village's, so a village chief always
    reports to the township chief on the same list. When the segments carry a non-empty
    ``chief`` (from the waterways layer) it is kept; otherwise ``chief`` is the chief of
    ``level`` ("township" or "village").

    Returns
    -------
    GeoDataFrame
        A copy with ``village_code``, ``township_code``, ``nearest_village_m``,
        ``township_chief``, ``village_chief`` and ``chief``.
    """
    if level not in ("township", "village"):
        raise ValueError("level must be 'township' or 'village'")
    out = segments.copy()
    n = len(out)
    vcode = np.full(n, "", dtype=object)
    dist = np.full(n, np.nan)
    if n and len(villages):
        vg = villages.to_crs(out.crs).geometry.to_numpy()
        si, vi = STRtree(vg).query_nearest(out.geometry.to_numpy(), all_matches=False,
                                           return_distance=False)
        codes = villages["village_code"].astype(str).to_numpy()
        vcode[si] = codes[vi]
        dist[si] = shapely.distance(out.geometry.to_numpy()[si], vg[vi])
    tcode = pd.Series(vcode, dtype=object).str[:9].to_numpy(dtype=object)
    out["village_code"] = vcode
    out["township_code"] = tcode
    out["nearest_village_m"] = np.round(dist, 1)
    out["township_chief"] = np.where(tcode != "", "河长-" + tcode.astype(str), "")
    out["village_chief"] = np.where(vcode != "", "河长-" + vcode.astype(str), "")
    rule = out["township_chief"] if level == "township" else out["village_chief"]
    if "chief" in segments.columns:
        given = segments["chief"].fillna("").astype(str).str.strip()
        out["chief"] = np.where(given != "", given, rule)
    else:
        out["chief"] = rule
    return out


# ----------------------------------------------------------------------------- scoring


def _segment_points(geoms) -> np.ndarray:
    """Start, middle and end of each segment: shape (n, 3) of points."""
    return np.stack([shapely.line_interpolate_point(geoms, f, normalized=True)
                     for f in (0.0, 0.5, 1.0)], axis=1)


def score_segments(segments: gpd.GeoDataFrame, villages: gpd.GeoDataFrame,
                   facilities: gpd.GeoDataFrame | None, policy, *, dem_path=None,
                   population_path=None, timings: dict | None = None) -> gpd.GeoDataFrame:
    """Score and rank segments by the children exposed (formula in the module docstring).

    Parameters
    ----------
    segments : GeoDataFrame
        From :func:`segment_waterways`, in a metric CRS.
    villages : GeoDataFrame
        Village points with ``resident_children``, ``left_behind``, the difficulty subtypes
        and ``key_attention`` (any CRS; transformed to the segments').
    facilities : GeoDataFrame, optional
        Facility points with ``kind``; kinds in ``facility_weights`` count.
    policy : Policy or HazardsPolicy
        ``buffer_m``, ``distance_decay_m``, ``child_weights``, ``facility_weights``,
        ``water_kind_weights``, ``height_scale_m``, ``slope_scale_deg``,
        ``population_raster_weight``.
    dem_path : path, optional
        Elevation GeoTIFF (any CRS): height above the water and bank slope.
    population_path : path, optional
        Population or child-population GeoTIFF summed around each segment.
    timings : dict, optional
        Filled with seconds per stage (``villages``, ``facilities``, ``dem``, ``raster``).

    Returns
    -------
    GeoDataFrame
        A copy with ``villages_within``, ``children_within``, ``left_behind_within``,
        ``difficulty_within``, ``key_attention_within``, ``facilities_within``,
        ``exposure_children``, ``exposure_facilities``, ``exposure_raster``, ``water_level_m``,
        ``bank_slope_deg``, ``slope_factor``, ``kind_weight``, ``score`` and ``rank``
        (1 = highest score, ties by ``segment_id``).
    """
    hp = _hp(policy)
    timings = {} if timings is None else timings
    crs = segments.crs
    if crs is None or not CRS(crs).is_projected:
        raise ValueError("评分需要投影坐标系（米）/ scoring needs segments in a metric CRS")
    out = segments.copy()
    n = len(out)
    sg = out.geometry.to_numpy()
    B, lam, H = float(hp.buffer_m), float(hp.distance_decay_m), float(hp.height_scale_m)

    t0 = time.perf_counter()
    dem = slope = None
    level = np.full(n, np.nan)
    bank = np.full(n, np.nan)
    if dem_path is not None and n:
        dem = _Grid.read(dem_path, shapely.total_bounds(sg), crs, pad=B + 500.0)
        slope = dem.slope_deg()
        ends = _segment_points(sg).ravel()
        ex, ey = shapely.get_x(ends), shapely.get_y(ends)
        z = dem.sample(ex, ey, crs).reshape(n, 3)
        s = slope.sample(ex, ey, crs).reshape(n, 3)
        with np.errstate(all="ignore"):
            level = np.where(np.isnan(z).all(axis=1), np.nan, np.nanmin(
                np.where(np.isnan(z), np.inf, z), axis=1))
            cnt = (~np.isnan(s)).sum(axis=1)
            bank = np.where(cnt > 0, np.nansum(s, axis=1) / np.maximum(cnt, 1), np.nan)
    timings["dem"] = time.perf_counter() - t0

    def heights(seg_idx, pts):
        if dem is None or not len(seg_idx):
            return np.full(len(seg_idx), np.nan)
        zp = dem.sample(shapely.get_x(pts), shapely.get_y(pts), crs)
        return zp - level[seg_idx]

    # villages
    t0 = time.perf_counter()
    v = villages.to_crs(crs) if len(villages) else villages
    vg = v.geometry.to_numpy() if len(v) else np.zeros(0, object)
    cw = child_weight(v, dict(hp.child_weights)) if len(v) else np.zeros(0)
    zeros = np.zeros(n)
    exp_c = zeros.copy()
    counts = {k: zeros.copy() for k in ("villages_within", "children_within",
                                        "left_behind_within", "difficulty_within",
                                        "key_attention_within")}
    nearest_h = np.full(n, np.nan)
    if n and len(v):
        si, vi = STRtree(vg).query(sg, predicate="dwithin", distance=B)
        d = shapely.distance(sg[si], vg[vi])
        h = heights(si, vg[vi])
        w = distance_decay(d, lam, B) * height_factor(h, H)
        exp_c = np.bincount(si, weights=w * cw[vi], minlength=n)

        def per(col):
            vals = (pd.to_numeric(v[col], errors="coerce").fillna(0).to_numpy(float)
                    if col in v.columns else np.zeros(len(v)))
            return np.bincount(si, weights=vals[vi], minlength=n)

        counts["villages_within"] = np.bincount(si, minlength=n).astype(float)
        counts["children_within"] = per("resident_children")
        counts["left_behind_within"] = per("left_behind")
        counts["difficulty_within"] = sum((per(c) for c in DIFFICULTY_COLUMNS), zeros.copy())
        counts["key_attention_within"] = per("key_attention")
        if len(si):  # height above water of the closest village within reach
            order = np.lexsort((d, si))
            firsts = order[np.r_[True, si[order][1:] != si[order][:-1]]]
            nearest_h[si[firsts]] = h[firsts]
    timings["villages"] = time.perf_counter() - t0

    # schools, kindergartens, 儿童之家
    t0 = time.perf_counter()
    exp_f = zeros.copy()
    n_fac = zeros.copy()
    fw = dict(hp.facility_weights)
    if n and facilities is not None and len(facilities) and fw:
        f = facilities[facilities["kind"].isin(list(fw))]
        if len(f):
            f = f.to_crs(crs)
            fg = f.geometry.to_numpy()
            phi = f["kind"].map(fw).to_numpy(float)
            si, fi = STRtree(fg).query(sg, predicate="dwithin", distance=B)
            d = shapely.distance(sg[si], fg[fi])
            w = distance_decay(d, lam, B) * height_factor(heights(si, fg[fi]), H)
            exp_f = np.bincount(si, weights=w * phi[fi], minlength=n)
            n_fac = np.bincount(si, minlength=n).astype(float)
    timings["facilities"] = time.perf_counter() - t0

    # optional population raster
    t0 = time.perf_counter()
    exp_r = zeros.copy()
    if n and population_path is not None and hp.population_raster_weight > 0:
        gi, vals, d, pts = _raster_pairs(population_path, sg, CRS(crs), B)
        w = distance_decay(d, lam, B) * height_factor(heights(gi, pts), H)
        exp_r = hp.population_raster_weight * np.bincount(gi, weights=vals * w, minlength=n)
    timings["raster"] = time.perf_counter() - t0

    kind_w = out["kind"].map(dict(hp.water_kind_weights)).fillna(1.0).to_numpy(float)
    q = height_factor(bank, float(hp.slope_scale_deg))  # same 1/(1+x/scale) form
    score = kind_w * q * (exp_c + exp_f + exp_r)
    for k, val in counts.items():
        out[k] = np.round(val).astype(int)
    out["facilities_within"] = n_fac.astype(int)
    out["exposure_children"] = exp_c
    out["exposure_facilities"] = exp_f
    out["exposure_raster"] = exp_r
    out["water_level_m"] = level
    out["village_height_m"] = nearest_h
    out["bank_slope_deg"] = bank
    out["slope_factor"] = q
    out["kind_weight"] = kind_w
    out["score"] = score
    order = np.lexsort((out["segment_id"].astype(str).to_numpy(), -score))
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(1, n + 1)
    out["rank"] = rank
    return out


# ----------------------------------------------------------------------------- reaches


def _reach_label(segment_ids) -> np.ndarray:
    """The water-body part of segment ids (``W-…-012.2-K1+400`` -> ``W-…-012.2``)."""
    return np.array([str(x).rsplit("-K", 1)[0] for x in segment_ids], dtype=object)


def merge_reaches(scored: gpd.GeoDataFrame, policy, *, villages=None, facilities=None
                  ) -> gpd.GeoDataFrame:
    """Merge touching high-scoring segments of one water body into danger reaches, ranked.

    A segment is *high-scoring* when its score is positive and at least ``reach_min_score``.
    Segments of the same water body part whose chainages touch (the end of one is the start
    of the next) and that are both high-scoring belong to one reach; a segment under the
    threshold between them splits the water into two reaches. On a closed shore (a pond's
    or reservoir's boundary) the last segment touches the first, so a reach may go round
    the starting point.

    A reach reports where it starts and ends (chainage along the part), its length, its
    peak (the highest segment score: where the "四个一" go, ``peak_segment_id``) and its
    total exposure (the sum of its segments' scores). Its village, township and chiefs are
    those of the peak segment. When ``villages`` (and ``facilities``) are given, the
    children and facilities within ``buffer_m`` of *any* of its segments are counted once
    each; otherwise the largest count of one segment is kept (never a sum, which would count
    a village once per segment it is near). Reaches are ranked by peak score, then total,
    then id.

    Parameters
    ----------
    scored : GeoDataFrame
        :func:`score_segments` output, in a metric CRS.
    policy : Policy or HazardsPolicy
        ``reach_min_score``, ``buffer_m``, ``facility_weights``.
    villages, facilities : GeoDataFrame, optional
        Any CRS.

    Returns
    -------
    GeoDataFrame
        One row per reach in the segments' CRS: ``reach_id``, ``rank``, ``water_id``,
        ``name``, ``kind``, ``part``, ``start_m``, ``end_m``, ``length_m``, ``n_segments``,
        ``segment_ids`` (``;``-joined, in chainage order), ``peak_segment_id``,
        ``peak_score``, ``total_score``, ``children_within``, ``left_behind_within``,
        ``difficulty_within``, ``facilities_within``, ``village_code``, ``township_code``,
        ``chief``, ``township_chief``, ``village_chief`` (+ ``is_synthetic``), and the merged
        line as geometry.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> segs = gpd.GeoDataFrame({"segment_id": ["W1-K0+000", "W1-K0+200", "W1-K0+400"],
    ...     "water_id": "W1", "name": "", "kind": "canal", "part": 0,
    ...     "start_m": [0.0, 200.0, 400.0], "end_m": [200.0, 400.0, 600.0],
    ...     "length_m": 200.0, "score": [50.0, 80.0, 5.0]},
    ...     geometry=[shapely.LineString([(x, 0), (x + 200, 0)]) for x in (0, 200, 400)],
    ...     crs=4544)
    >>> r = merge_reaches(segs, {"reach_min_score": 20.0, "buffer_m": 500.0})
    >>> r[["reach_id", "length_m", "peak_score", "total_score"]].values.tolist()
    [['W1-K0+000~K0+400', 400.0, 80.0, 130.0]]
    """
    hp = _hp(policy)
    get = (lambda k, d=None: hp.get(k, d)) if isinstance(hp, dict) else (
        lambda k, d=None: getattr(hp, k, d))
    thr = float(get("reach_min_score", 0.0))
    cols = ["reach_id", "rank", "water_id", "name", "kind", "part", "start_m", "end_m",
            "length_m", "n_segments", "segment_ids", "peak_segment_id", "peak_score",
            "total_score", "children_within", "left_behind_within", "difficulty_within",
            "facilities_within", "village_code", "township_code", "chief", "township_chief",
            "village_chief"]
    score = scored["score"].to_numpy(float)
    high = (score > 0) & (score >= thr)
    s = scored[high].copy()
    if "is_synthetic" in scored.columns:
        cols.append("is_synthetic")
    if not len(s):
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=scored.crs)
    label = _reach_label(scored["segment_id"])
    s["_label"] = label[high]
    s = s.sort_values(["_label", "start_m"]).reset_index(drop=True)
    lab = s["_label"].to_numpy()
    st, en = s["start_m"].to_numpy(float), s["end_m"].to_numpy(float)
    touch = np.r_[False, (lab[1:] == lab[:-1]) & (np.abs(st[1:] - en[:-1]) < 0.5)]
    run = np.cumsum(~touch) - 1
    # closed shores: the part's last segment touches its first (chainage 0)
    all_lab = pd.Series(label)
    part_end = pd.Series(scored["end_m"].to_numpy(float)).groupby(all_lab).max()
    geoms = s.geometry.to_numpy()
    first_pt = shapely.get_point(geoms, 0)
    last_pt = shapely.get_point(geoms, -1)
    for lb in pd.unique(lab):
        idx = np.flatnonzero(lab == lb)
        i0, i1 = idx[0], idx[-1]
        if (i0 != i1 and st[i0] < 0.5 and abs(en[i1] - part_end[lb]) < 0.5
                and run[i0] != run[i1] and shapely.distance(last_pt[i1], first_pt[i0]) < 0.01):
            run[run == run[i1]] = run[i0]
    s["_run"] = run
    vmetric = fmetric = None
    buffer_m = float(get("buffer_m", 0.0))
    if villages is not None and len(villages):
        vmetric = villages.to_crs(scored.crs)
    if facilities is not None and len(facilities):
        fw = dict(get("facility_weights", {}) or {})
        f = facilities[facilities["kind"].isin(list(fw))]
        fmetric = f.to_crs(scored.crs) if len(f) else None

    def _col(frame, name):
        if name in frame.columns:
            return pd.to_numeric(frame[name], errors="coerce").fillna(0).to_numpy(float)
        return np.zeros(len(frame))

    rows, geo = [], []
    for _, g in s.groupby("_run", sort=False):
        # chainage order, starting after the gap on a closed shore
        g = g.sort_values("start_m")
        if len(g) > 1 and (np.abs(g["start_m"].to_numpy()[1:] - g["end_m"].to_numpy()[:-1])
                           >= 0.5).any():
            k = int(np.flatnonzero(np.abs(g["start_m"].to_numpy()[1:]
                                          - g["end_m"].to_numpy()[:-1]) >= 0.5)[0]) + 1
            g = pd.concat([g.iloc[k:], g.iloc[:k]])
        peak = g.loc[g["score"].idxmax()]
        line = shapely.line_merge(shapely.union_all(g.geometry.to_numpy()))
        row = {
            "water_id": peak["water_id"], "name": peak.get("name", ""), "kind": peak["kind"],
            "part": int(peak.get("part", 0)),
            "start_m": float(g["start_m"].iloc[0]), "end_m": float(g["end_m"].iloc[-1]),
            "length_m": round(float(g["length_m"].sum()), 1), "n_segments": len(g),
            "segment_ids": ";".join(g["segment_id"].astype(str)),
            "peak_segment_id": str(peak["segment_id"]),
            "peak_score": float(peak["score"]), "total_score": float(g["score"].sum()),
            "_label": peak["_label"],
        }
        for c in ("village_code", "township_code", "chief", "township_chief", "village_chief"):
            row[c] = peak[c] if c in g.columns else ""
        for c in ("children_within", "left_behind_within", "difficulty_within",
                  "facilities_within"):
            row[c] = int(g[c].max()) if c in g.columns else 0
        if "is_synthetic" in g.columns:
            row["is_synthetic"] = bool(g["is_synthetic"].fillna(False).astype(bool).any())
        rows.append(row)
        geo.append(line)
    out = pd.DataFrame(rows)
    lines = np.asarray(geo, dtype=object)
    if vmetric is not None:  # each village within reach of any of the reach's segments, once
        ri, vi = STRtree(vmetric.geometry.to_numpy()).query(lines, predicate="dwithin",
                                                            distance=buffer_m)
        diff = sum((_col(vmetric, c) for c in DIFFICULTY_COLUMNS), np.zeros(len(vmetric)))
        for c, vals in (("children_within", _col(vmetric, "resident_children")),
                        ("left_behind_within", _col(vmetric, "left_behind")),
                        ("difficulty_within", diff)):
            out[c] = np.round(np.bincount(ri, weights=vals[vi], minlength=len(out))).astype(int)
    if fmetric is not None:
        ri, _ = STRtree(fmetric.geometry.to_numpy()).query(lines, predicate="dwithin",
                                                           distance=buffer_m)
        out["facilities_within"] = np.bincount(ri, minlength=len(out)).astype(int)
    out["reach_id"] = [f"{lb}-{a}~{b}" for lb, a, b in zip(
        out["_label"], _chainage(out["start_m"].to_numpy(float)),
        _chainage(out["end_m"].to_numpy(float)), strict=True)]
    out = gpd.GeoDataFrame(out.drop(columns="_label"), geometry=geo, crs=scored.crs)
    order = np.lexsort((out["reach_id"].astype(str).to_numpy(), -out["total_score"].to_numpy(),
                        -out["peak_score"].to_numpy()))
    out = out.iloc[order].reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out[[*cols, "geometry"]]


# ----------------------------------------------------------------------------- spots


def checklist_status(spot_ids, checks: pd.DataFrame | None, four_ones) -> pd.DataFrame:
    """The "四个一" status of each spot from the store's latest record per (spot, item).

    Parameters
    ----------
    spot_ids : sequence of str
    checks : DataFrame, optional
        :meth:`childplan.store.Store.checks` output (``spot_id``, ``item``, ``present``,
        ``checked_on``, ``checked_by``); None or empty means nothing was ever recorded.
    four_ones : sequence of str
        The items every spot needs (``hazards.four_ones``).

    Returns
    -------
    DataFrame
        Indexed like ``spot_ids``: ``spot_id``, ``items_present`` (count), ``missing`` (list of
        item keys whose latest record is absent or "not present"), ``four_ones_missing`` (the
        same joined by ``;``), ``flagged`` (not confirmed complete: any missing, or never
        checked), ``state`` (one of :data:`FOUR_ONES_STATES`: ``complete`` — checked, all
        items present; ``missing`` — checked, some item absent or not recorded;
        ``unchecked`` — no inspection ever recorded, which is *not* a missing item),
        ``last_inspection`` (latest ``checked_on``, "" if never) and ``checked_by`` (who
        recorded that inspection).
    """
    items = list(four_ones)
    ids = [str(s) for s in spot_ids]
    present = pd.DataFrame(False, index=ids, columns=items)
    last = pd.Series("", index=ids, dtype=object)
    by = pd.Series("", index=ids, dtype=object)
    if checks is not None and len(checks):
        c = checks[checks["spot_id"].astype(str).isin(ids)].copy()
        c["spot_id"] = c["spot_id"].astype(str)
        ok = c[c["item"].isin(items) & c["present"].astype(bool)]
        for item, grp in ok.groupby("item"):
            present.loc[grp["spot_id"].unique(), item] = True
        if len(c):
            sort_cols = ["spot_id", "checked_on"] + (["saved_at"] if "saved_at" in c else [])
            latest = c.sort_values(sort_cols).groupby("spot_id").tail(1).set_index("spot_id")
            last.loc[latest.index] = latest["checked_on"].astype(str)
            by.loc[latest.index] = latest["checked_by"].astype(str)
    missing = [[i for i in items if not present.at[s, i]] for s in ids]
    return pd.DataFrame({
        "spot_id": ids,
        "items_present": present.sum(axis=1).astype(int).to_numpy(),
        "missing": missing,
        "four_ones_missing": [";".join(m) for m in missing],
        "flagged": [bool(m) for m in missing],
        "state": ["unchecked" if not li else ("missing" if m else "complete")
                  for m, li in zip(missing, last.to_numpy(), strict=True)],
        "last_inspection": last.to_numpy(),
        "checked_by": by.to_numpy(),
    })


def danger_spots(scored: gpd.GeoDataFrame, policy, *, villages=None, townships=None,
                 facilities=None, reaches: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The top ``danger_spots_top_n`` danger reaches, as WGS84 points: one row per reach.

    Touching high-scoring segments of one water body are one reach (:func:`merge_reaches`),
    so the list never holds two pieces of one reach. The point is the middle of the reach's
    peak segment (where the "四个一" stand) and ``spot_id`` is that segment's id, so a
    check recorded against it stays attached when the reach grows or shrinks. Coordinates
    are given in WGS84 (``lon``, ``lat``) and in GCJ-02 (``lon_gcj02``, ``lat_gcj02``) for
    phone map apps (Amap, Tencent). Village and township names are joined when the layers
    are given. ``children_exposed`` is the reach's ``children_within`` (each village within
    ``buffer_m`` of the reach counted once); ``score`` is its peak score. Checklist columns
    come from :func:`attach_checklist`.
    """
    hp = _hp(policy)
    if reaches is None:
        reaches = merge_reaches(scored, hp, villages=villages, facilities=facilities)
    top = reaches.sort_values("rank").head(int(hp.danger_spots_top_n))
    peak = scored.set_index("segment_id").loc[top["peak_segment_id"].to_numpy()]
    mid = shapely.line_interpolate_point(peak.geometry.to_numpy(), 0.5, normalized=True)
    pts = gpd.GeoSeries(mid, crs=scored.crs).to_crs(STORAGE_CRS)
    lon, lat = pts.x.to_numpy(), pts.y.to_numpy()
    glon, glat = wgs84_to_gcj02(lon, lat)
    vnames = {} if villages is None else dict(zip(villages["village_code"].astype(str),
                                                  villages["name"].astype(str), strict=True))
    tnames = {} if townships is None else dict(zip(townships["township_code"].astype(str),
                                                   townships["name"].astype(str), strict=True))
    out = pd.DataFrame({
        "spot_id": top["peak_segment_id"].to_numpy(),
        "rank": np.arange(1, len(top) + 1),
        "reach_id": top["reach_id"].to_numpy(),
        "water_id": top["water_id"].to_numpy(),
        "river": top["name"].to_numpy(),
        "kind": top["kind"].to_numpy(),
        "township_code": top["township_code"].to_numpy(),
        "village_code": top["village_code"].to_numpy(),
        "lon": np.round(lon, 6), "lat": np.round(lat, 6),
        "lon_gcj02": np.round(glon, 6), "lat_gcj02": np.round(glat, 6),
        "start_m": top["start_m"].to_numpy(), "end_m": top["end_m"].to_numpy(),
        "length_m": top["length_m"].to_numpy(), "n_segments": top["n_segments"].to_numpy(),
        "segment_ids": top["segment_ids"].to_numpy(),
        "children_exposed": top["children_within"].to_numpy(),
        "left_behind_within": top["left_behind_within"].to_numpy(),
        "difficulty_within": top["difficulty_within"].to_numpy(),
        "facilities_within": top["facilities_within"].to_numpy(),
        "score": np.round(top["peak_score"].to_numpy(float), 2),
        "total_score": np.round(top["total_score"].to_numpy(float), 2),
        "chief": top["chief"].to_numpy(),
        "township_chief": top["township_chief"].to_numpy(),
        "village_chief": top["village_chief"].to_numpy(),
    })
    out["village"] = [vnames.get(str(c), "") for c in out["village_code"]]
    out["township"] = [tnames.get(str(c), "") for c in out["township_code"]]
    if "is_synthetic" in top.columns:
        out["is_synthetic"] = top["is_synthetic"].fillna(False).astype(bool).to_numpy()
    return gpd.GeoDataFrame(out, geometry=pts.to_numpy(), crs=STORAGE_CRS)


def four_ones_counts(spots: pd.DataFrame) -> dict[str, int]:
    """How many spots are checked-complete, checked-missing and not yet checked.

    ``spots`` carries the ``state`` column of :func:`checklist_status` (a frame without it
    counts every spot as unchecked). The three counts add up to ``len(spots)``.

    >>> four_ones_counts(pd.DataFrame({"state": ["complete", "unchecked", "unchecked"]}))
    {'complete': 1, 'missing': 0, 'unchecked': 2}
    """
    if "state" not in spots.columns:
        return {"complete": 0, "missing": 0, "unchecked": len(spots)}
    c = spots["state"].value_counts()
    return {k: int(c.get(k, 0)) for k in FOUR_ONES_STATES}


def attach_checklist(spots: gpd.GeoDataFrame, checks: pd.DataFrame | None, four_ones
                     ) -> gpd.GeoDataFrame:
    """A copy of ``spots`` with the "四个一" status columns of :func:`checklist_status`."""
    status = checklist_status(spots["spot_id"], checks, four_ones)
    out = spots.drop(columns=[c for c in status.columns if c != "spot_id" and c in spots],
                     errors="ignore").copy()
    for c in status.columns:
        if c != "spot_id":
            out[c] = status[c].to_numpy()
    return out


# ----------------------------------------------------------------------------- flood season


def flood_season_list(facilities: gpd.GeoDataFrame, waterways: gpd.GeoDataFrame, policy, *,
                      crs, network=None, metric: str = "straight") -> pd.DataFrame:
    """Children's institutions within ``flood_inspection_distance_m`` of a water body (003 §14).

    One row per (institution, water body) pair: the distance from the institution to the
    nearest point of the water (0 inside a water polygon) and the compass direction in which
    that point lies. Sorted by facility id, then distance.

    With ``metric`` ``road_m`` or ``walk_min`` (and the county's ``network``,
    :func:`geo.travel.county_network`) the distance is the shortest route on the ground
    (roads, off-road legs, rivers crossed at bridges only: :func:`geo.travel.water_travel`)
    and a water body is listed when that route is within the inspection distance (still in
    metres); ``walk_min`` is the fastest walk to that water. With ``straight`` (the default)
    it is the straight line.

    Parameters
    ----------
    facilities, waterways : GeoDataFrame
        Any CRS; facilities need ``facility_id`` and ``kind`` (kinds in
        ``flood_institution_kinds`` are listed).
    policy : Policy or HazardsPolicy
    crs : CRS
        The metric CRS to measure in.

    Returns
    -------
    DataFrame
        ``facility_id``, ``facility_kind``, ``facility_name``, ``village_code``,
        ``township_code``, ``water_id``, ``water_name``, ``water_kind``, ``distance_m``,
        ``bearing_deg``, ``direction`` (N, NE, … see :data:`COMPASS`), ``lon``, ``lat``,
        ``straight_m``, ``walk_min`` (NaN with ``straight``) and ``metric``.
    """
    hp = _hp(policy)
    cols = ["facility_id", "facility_kind", "facility_name", "village_code", "township_code",
            "water_id", "water_name", "water_kind", "distance_m", "bearing_deg", "direction",
            "lon", "lat", "straight_m", "walk_min", "metric"]
    if facilities is None or not len(facilities) or waterways is None or not len(waterways):
        return pd.DataFrame({c: [] for c in cols})
    f = facilities[facilities["kind"].isin(list(hp.flood_institution_kinds))]
    if not len(f):
        return pd.DataFrame({c: [] for c in cols})
    fm = f.to_crs(crs)
    wm = waterways.to_crs(crs)
    fg, wg = fm.geometry.to_numpy(), wm.geometry.to_numpy()
    fi, wi = STRtree(wg).query(fg, predicate="dwithin", distance=float(hp.flood_inspection_distance_m))
    d = shapely.distance(fg[fi], wg[wi])
    tip = shapely.get_coordinates(shapely.get_point(shapely.shortest_line(fg[fi], wg[wi]), 1))
    src = shapely.get_coordinates(fg[fi])
    dx, dy = (tip - src).T if len(fi) else (np.zeros(0), np.zeros(0))
    bearing = np.where(np.hypot(dx, dy) > 0, np.degrees(np.arctan2(dx, dy)) % 360.0, np.nan)
    ll = f.to_crs(STORAGE_CRS).geometry

    def fcol(name, default=""):
        return (f[name].fillna(default).astype(str).to_numpy()[fi] if name in f.columns
                else np.full(len(fi), default))

    out = pd.DataFrame({
        "facility_id": fcol("facility_id"),
        "facility_kind": fcol("kind"),
        "facility_name": fcol("name"),
        "village_code": fcol("village_code"),
        "township_code": fcol("township_code"),
        "water_id": wm["water_id"].astype(str).to_numpy()[wi],
        "water_name": (wm["name"].fillna("").astype(str).to_numpy()[wi] if "name" in wm
                       else np.full(len(wi), "")),
        "water_kind": wm["kind"].astype(str).to_numpy()[wi],
        "distance_m": np.round(d, 1),
        "bearing_deg": np.round(bearing, 1),
        "direction": compass_direction(dx, dy),
        "lon": np.round(ll.x.to_numpy()[fi], 6),
        "lat": np.round(ll.y.to_numpy()[fi], 6),
        "straight_m": np.round(d, 1),
        "walk_min": np.nan,
        "metric": metric,
    })
    if metric != "straight" and len(out):
        out = _flood_on_the_ground(out, fm, wm, fi, wi, network, metric,
                                   float(hp.flood_inspection_distance_m))
    return out.sort_values(["facility_id", "distance_m", "water_id"]).reset_index(drop=True)[cols]


def _flood_on_the_ground(out, fm, wm, fi, wi, network, metric: str, cap_m: float):
    """The straight-line flood list narrowed to the pairs whose route is within ``cap_m``.

    A route is never shorter than the straight line to the water, so every such pair is
    already in ``out``; ``distance_m`` becomes the shortest route and ``walk_min`` its
    minutes (``road_m``) or the fastest walk to that water (``walk_min``: never slower than
    the shortest route's, so the search is capped at the slowest of those).
    """
    from geo.travel import water_travel

    if network is None:
        raise ValueError("a travel metric needs the county's network (geo.travel.county_network)")
    # only the institutions and water bodies within the straight-line distance can qualify
    uf, uw = np.unique(fi), np.unique(wi)
    fsub, ids = fm.iloc[uf], uf.astype(str)
    w = wm.iloc[uw].assign(water_id=uw.astype(str))
    r = water_travel(network, fsub, ids, w, metric="road_m", cap=cap_m)
    key = pd.MultiIndex.from_arrays([fi.astype(str), wi.astype(str)])
    rk = pd.MultiIndex.from_arrays([r["origin_id"], r["water_id"]])
    route = pd.Series(r["route_m"].to_numpy(), index=rk)
    minutes = pd.Series(r["walk_min"].to_numpy(), index=rk)
    if metric == "walk_min" and len(r):
        fast = water_travel(network, fsub, ids, w, metric="walk_min",
                            cap=float(r["walk_min"].max()) + 1e-6)
        fk = pd.MultiIndex.from_arrays([fast["origin_id"], fast["water_id"]])
        minutes = pd.Series(fast["walk_min"].to_numpy(), index=fk).reindex(rk).fillna(minutes)
    keep = key.isin(rk)
    out = out[keep].copy()
    out["distance_m"] = np.round(route.reindex(key[keep]).to_numpy(float), 1)
    out["walk_min"] = np.round(minutes.reindex(key[keep]).to_numpy(float), 1)
    out["metric"] = metric
    return out


# ----------------------------------------------------------------------------- safety activities


def safety_activity_plan(scored: gpd.GeoDataFrame, villages: gpd.GeoDataFrame,
                         spots: pd.DataFrame, policy, *, network=None,
                         metric: str = "straight") -> pd.DataFrame:
    """Every village's safety-knowledge activities for the year, most exposed villages first.

    003 §13: at least ``safety_activities_per_village_per_year`` activity (drowning, bullying,
    sexual assault, road safety) in every village each year. All villages are listed; the
    order tells the county where to go first (before the summer holidays): villages with more
    danger spots within ``buffer_m``, then a higher best nearby segment score, then more
    left-behind children.

    Returns
    -------
    DataFrame
        ``priority`` (1 = first), ``village_code``, ``name``, ``township_code``,
        ``resident_children``, ``left_behind``, ``nearest_water_m``, ``danger_spots_nearby``,
        ``max_segment_score``, ``activities_per_year``. ``nearest_water_m`` is the straight
        line to the nearest segment; with ``metric`` ``road_m`` / ``walk_min`` (and the
        county's ``network``) it is the route on the ground to the nearest water by that
        metric (:func:`geo.travel.water_travel`), and the list adds
        ``nearest_water_walk_min`` (that route's minutes) and ``metric``.
    """
    hp = _hp(policy)
    n = len(villages)
    v = villages.to_crs(scored.crs) if n else villages
    vg = v.geometry.to_numpy() if n else np.zeros(0, object)
    sg = scored.geometry.to_numpy()
    nearest = np.full(n, np.nan)
    best = np.zeros(n)
    n_spots = np.zeros(n, dtype=int)
    if n and len(sg):
        vi, si = STRtree(sg).query_nearest(vg, all_matches=False, return_distance=False)
        nearest[vi] = shapely.distance(vg[vi], sg[si])
        vi, si = STRtree(sg).query(vg, predicate="dwithin", distance=float(hp.buffer_m))
        if len(vi):
            np.maximum.at(best, vi, scored["score"].to_numpy(float)[si])
            is_spot = scored["segment_id"].isin(set(spots["spot_id"])).to_numpy()[si]
            n_spots = np.bincount(vi[is_spot], minlength=n)

    def col(name):
        return (pd.to_numeric(v[name], errors="coerce").fillna(0).astype(int).to_numpy()
                if name in v.columns else np.zeros(n, dtype=int))

    out = pd.DataFrame({
        "village_code": v["village_code"].astype(str).to_numpy() if n else [],
        "name": v["name"].astype(str).to_numpy() if n and "name" in v else [""] * n,
        "township_code": (v["village_code"].astype(str).str[:9].to_numpy() if n else []),
        "resident_children": col("resident_children"),
        "left_behind": col("left_behind"),
        "nearest_water_m": np.round(nearest, 0),
        "danger_spots_nearby": n_spots,
        "max_segment_score": np.round(best, 2),
        "activities_per_year": int(hp.safety_activities_per_village_per_year),
    })
    if metric != "straight" and n:
        from geo.travel import water_travel

        if network is None:
            raise ValueError("a travel metric needs the county's network "
                             "(geo.travel.county_network)")
        w = water_travel(network, v, np.arange(n).astype(str), scored, metric=metric,
                         nearest_only=True).set_index("origin_id")
        pos = np.arange(n).astype(str)
        out["nearest_water_m"] = np.round(w["route_m"].reindex(pos).to_numpy(float), 0)
        out["nearest_water_walk_min"] = np.round(w["walk_min"].reindex(pos).to_numpy(float), 1)
        out["metric"] = metric
    out = out.sort_values(["danger_spots_nearby", "max_segment_score", "left_behind",
                           "village_code"], ascending=[False, False, False, True])
    out.insert(0, "priority", np.arange(1, len(out) + 1))
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------- one call


@dataclass(frozen=True)
class HazardAnalysis:
    """Everything the page, the CLI and the exports need about drowning risk in a county.

    Attributes
    ----------
    segments : GeoDataFrame
        Scored, ranked segments in the county's metric CRS (:func:`score_segments`).
    spots : GeoDataFrame
        Danger spots, WGS84 points (:func:`danger_spots`), with the checklist columns when
        checks were given.
    flood : DataFrame
        The flood-season inspection list (:func:`flood_season_list`).
    timings : dict
        Seconds per stage.
    activities : DataFrame, optional
        The safety-activity list (:func:`safety_activity_plan`).
    reaches : GeoDataFrame, optional
        Every danger reach, ranked (:func:`merge_reaches`); the spots are the top ones.
    metric : str
        How the flood list and the activities' nearest water were measured: ``straight``,
        ``road_m`` or ``walk_min`` (:mod:`geo.travel`).
    """

    segments: gpd.GeoDataFrame
    spots: gpd.GeoDataFrame
    flood: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    activities: pd.DataFrame | None = None
    reaches: gpd.GeoDataFrame | None = None
    metric: str = "straight"


def analyse_hazards(data, policy, *, checks: pd.DataFrame | None = None,
                    population_path: str | Path | None = None, use_dem: bool = True,
                    metric: str | None = None) -> HazardAnalysis:
    """Segment, score and rank a county's waterways; list danger spots and the flood list.

    Parameters
    ----------
    data : geo.layers.CountyData
        The validated county (villages, facilities, waterways, townships, DEM).
    policy : Policy or HazardsPolicy
    checks : DataFrame, optional
        :meth:`childplan.store.Store.checks` for the county; when given the spots carry the
        "四个一" status (:func:`attach_checklist`).
    population_path : path, optional
        A population or child-population GeoTIFF.
    use_dem : bool
        Use ``data.dem_path`` for low ground and bank slope.
    metric : str, optional
        How far the water is for the flood list and the activities' nearest water:
        ``straight`` or, on the ground (:mod:`geo.travel`), ``road_m`` / ``walk_min``. None:
        the policy's ``siting.travel_metric`` (``straight`` for a bare hazards section).
        The exposure scores stay straight-line (a distance decay around the water).

    Returns
    -------
    HazardAnalysis
    """
    hp = _hp(policy)
    if metric is None:
        metric = getattr(getattr(policy, "siting", None), "travel_metric", "straight")
    network = None
    if metric != "straight":
        from geo.travel import METRICS, county_network

        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, not {metric!r}")
        t0 = time.perf_counter()
        network = county_network(data, policy)
        timings_net = time.perf_counter() - t0
    timings: dict[str, float] = {"network": timings_net} if network is not None else {}
    crs = data.metric_crs
    t0 = time.perf_counter()
    segs = segment_waterways(data.waterways, hp.segment_length_m, crs=crs)
    timings["segment"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    segs = assign_chiefs(segs, data.villages, level=hp.chief_level)
    timings["chiefs"] = time.perf_counter() - t0
    scored = score_segments(segs, data.villages, data.facilities, hp,
                            dem_path=data.dem_path if use_dem else None,
                            population_path=population_path, timings=timings)
    t0 = time.perf_counter()
    reaches = merge_reaches(scored, hp, villages=data.villages, facilities=data.facilities)
    spots = danger_spots(scored, hp, villages=data.villages, townships=data.townships,
                         reaches=reaches)
    if checks is not None:
        spots = attach_checklist(spots, checks, hp.four_ones)
    timings["spots"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    flood = flood_season_list(data.facilities, data.waterways, hp, crs=crs, network=network,
                              metric=metric)
    timings["flood"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    activities = safety_activity_plan(scored, data.villages, spots, hp, network=network,
                                      metric=metric)
    timings["activities"] = time.perf_counter() - t0
    return HazardAnalysis(segments=scored, spots=spots, flood=flood, timings=timings,
                          activities=activities, reaches=reaches, metric=metric)
