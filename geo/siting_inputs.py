"""Turn a county's layers into the siting model's plain inputs.

The model (:mod:`optimization.siting`) sees only tables: villages, candidate sites and the
sparse village–site pairs within the travel cap. This module makes them from GeoDataFrames:

* :func:`village_table` — the villages' counts and flags;
* :func:`candidate_sites` — existing 儿童之家 (status ``existing``), facilities of the host kinds
  (``reuse``) and, if new builds are allowed, a ``new_build`` at every village point (``new``),
  each with its cost by kind (004 二(一): reuse instead of building twice);
* :func:`barrier_lines` — the waterways that count as barriers (003 §14);
* :func:`feasible_pairs` — straight-line metres in the county's Gauss-Krüger zone
  (:func:`geo.crs.metric_crs_for`), never degrees; a segment that crosses a barrier is allowed
  only through a crossing (bridge/ford): distance ``d(v, c) + d(c, s)`` over the best crossing,
  still within the cap. A road/path travel matrix can replace straight lines (the seam).

Everything is vectorised (shapely 2 arrays, STRtree); no Python loop over village–site pairs.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import STRtree

from geo.crs import STORAGE_CRS, metric_crs_for
from optimization.policy import SitingPolicy
from optimization.vocab import DIFFICULTY_COLUMNS, is_true

__all__ = [
    "DIFFICULTY_COLUMNS",
    "barrier_lines",
    "candidate_sites",
    "feasible_pairs",
    "siting_inputs",
    "village_table",
]



def _siting(policy) -> SitingPolicy:
    return policy.siting if hasattr(policy, "siting") else policy


def _check_crs(gdf: gpd.GeoDataFrame, name: str) -> None:
    if gdf.crs is None:
        raise ValueError(f"图层 {name} 没有坐标系 / layer {name} has no CRS")


def _lonlat(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    g = gdf.geometry.to_crs(STORAGE_CRS) if len(gdf) else gdf.geometry
    return shapely.get_x(g.values), shapely.get_y(g.values)


def village_table(villages: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return the model's village table from a villages layer.

    Columns: ``village_code, resident_children, left_behind, difficulty`` (the five difficulty
    sub-types summed, or a ``difficulty`` column if given), ``poverty_village,
    old_base_village, township_code, lon, lat``.
    """
    _check_crs(villages, "villages")
    n = len(villages)

    def num(col):
        if col not in villages.columns:
            return np.zeros(n)
        return pd.to_numeric(villages[col], errors="coerce").fillna(0).to_numpy(float)

    if "difficulty" in villages.columns:
        difficulty = num("difficulty")
    else:
        difficulty = sum((num(c) for c in DIFFICULTY_COLUMNS), np.zeros(n))
    lon, lat = _lonlat(villages)
    codes = villages["village_code"].astype(str).to_numpy()
    town = (villages["township_code"].fillna("").astype(str).to_numpy()
            if "township_code" in villages.columns else np.array([""] * n, dtype=object))
    town = np.array([t if t and t != "nan" else (c[:9] if len(c) == 12 else "")
                     for t, c in zip(town, codes, strict=True)], dtype=object)
    def flag(col):
        if col not in villages.columns:
            return np.zeros(n, dtype=bool)
        s = villages[col]
        if s.dtype == bool:
            return s.to_numpy()
        return np.array([is_true(x) for x in s], dtype=bool)

    return pd.DataFrame({
        "village_code": codes,
        "resident_children": num("resident_children"),
        "left_behind": num("left_behind"),
        "difficulty": difficulty,
        "poverty_village": flag("poverty_village"),
        "old_base_village": flag("old_base_village"),
        "township_code": town,
        "lon": lon,
        "lat": lat,
    })


def candidate_sites(
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame | None,
    policy,
) -> gpd.GeoDataFrame:
    """Return the candidate host sites of shared 儿童之家 (storage CRS, one point each).

    Parameters
    ----------
    villages : GeoDataFrame
        Village points with ``village_code`` (and ``township_code``).
    facilities : GeoDataFrame or None
        Facility points with ``facility_id, kind`` and optionally ``village_code,
        township_code, capacity``.
    policy : SitingPolicy or Policy
        Uses ``host_kinds``, ``allow_new_build`` and ``cost_yuan``.

    Returns
    -------
    GeoDataFrame
        ``site_id, kind, status, cost_yuan, capacity`` (children, all served by the home,
        its own village included; 0 = unlimited), ``capacity_source`` (``data``: the
        facilities' ``capacity`` column; ``kind``: ``siting.capacity_by_kind``; ``size``: a
        new-build size; "" none), ``size`` (new builds: small/large, else ""),
        ``village_code, township_code, lon, lat, village_inferred`` and the geometry.
        With ``capacity_defaults_on`` a host without a capacity in the data gets its kind's
        default, and each village centre offers a small and a large build. Existing 儿童之家 are always candidates
        (``existing``); facilities of ``host_kinds`` are ``reuse``; with ``allow_new_build`` a
        ``new_build`` (``new``, id ``new_<village_code>``) sits at every village point. A
        facility without ``village_code`` is given the nearest village's
        (``village_inferred`` = True).
    """
    sp = _siting(policy)
    _check_crs(villages, "villages")
    crs = metric_crs_for(villages)
    vm = villages.to_crs(crs)
    vcodes = villages["village_code"].astype(str).to_numpy()
    vtown = village_table(villages)["township_code"].to_numpy(object)
    town_of = dict(zip(vcodes, vtown, strict=True))
    parts = []
    if facilities is not None and len(facilities):
        _check_crs(facilities, "facilities")
        f = facilities[facilities["kind"].isin(set(sp.host_kinds) | {"children_home"})]
        f = f[~f.geometry.is_empty & f.geometry.notna()]
        # Facility status (geo.schema.FACILITY_STATUS): a closed facility never hosts; a
        # planned home is not built yet: a candidate (status new, kind children_home) at
        # new-build cost.
        fstatus = (f["status"].fillna("existing").astype(str) if "status" in f.columns
                   else pd.Series("existing", index=f.index))
        f, fstatus = f[fstatus != "closed"], fstatus[fstatus != "closed"]
        if len(f):
            fm = f.to_crs(crs)
            vc = (f["village_code"].astype(str).where(f["village_code"].notna(), "")
                  .to_numpy(object) if "village_code" in f.columns
                  else np.array([""] * len(f), dtype=object))
            vc = np.array(["" if (v in ("", "nan", "None")) else v for v in vc], dtype=object)
            inferred = vc == ""
            if inferred.any() and len(vm):
                tree = STRtree(vm.geometry.values)
                nearest = tree.nearest(fm.geometry.values[inferred])
                vc[inferred] = vcodes[nearest]
            tc = (f["township_code"].astype(str).where(f["township_code"].notna(), "")
                  .to_numpy(object) if "township_code" in f.columns
                  else np.array([""] * len(f), dtype=object))
            tc = np.array([t if t not in ("", "nan", "None") else town_of.get(v, "")
                           for t, v in zip(tc, vc, strict=True)], dtype=object)
            kind = f["kind"].astype(str).to_numpy(object)
            planned = (fstatus.to_numpy(object) == "planned") & (kind == "children_home")
            cap = (pd.to_numeric(f["capacity"], errors="coerce").fillna(0).to_numpy(float)
                   if "capacity" in f.columns else np.zeros(len(f)))
            cap_src = np.where(cap > 0, "data", "").astype(object)
            if sp.capacity_defaults_on:
                by_kind = np.array([float(sp.capacity_by_kind.get(k, 0)) for k in kind])
                fill = (cap <= 0) & (by_kind > 0)
                cap = np.where(fill, by_kind, cap)
                cap_src[fill] = "kind"
            lon, lat = _lonlat(f)
            parts.append(gpd.GeoDataFrame({
                "site_id": f["facility_id"].astype(str).to_numpy(object),
                "kind": kind,
                "status": np.where(kind == "children_home",
                                   np.where(planned, "new", "existing"), "reuse").astype(object),
                "cost_yuan": [float(sp.cost_yuan.get("new_build" if p else k,
                                                     sp.cost_yuan.get("new_build", 0.0)))
                              for k, p in zip(kind, planned, strict=True)],
                "capacity": cap,
                "capacity_source": cap_src,
                "size": "",
                "village_code": vc,
                "township_code": tc,
                "lon": lon,
                "lat": lat,
                "village_inferred": inferred,
            }, geometry=gpd.points_from_xy(lon, lat), crs=STORAGE_CRS))
    if sp.allow_new_build and len(villages):
        lon, lat = _lonlat(villages)
        for suffix, size, cost, cap in _new_build_sizes(sp):
            parts.append(gpd.GeoDataFrame({
                "site_id": np.array([f"new_{c}{suffix}" for c in vcodes], dtype=object),
                "kind": "new_build",
                "status": "new",
                "cost_yuan": cost,
                "capacity": cap,
                "capacity_source": "size" if size else "",
                "size": size,
                "village_code": vcodes.astype(object),
                "township_code": vtown,
                "lon": lon,
                "lat": lat,
                "village_inferred": False,
            }, geometry=gpd.points_from_xy(lon, lat), crs=STORAGE_CRS))
    if not parts:
        return gpd.GeoDataFrame(
            {c: [] for c in ("site_id", "kind", "status", "cost_yuan", "capacity",
                             "capacity_source", "size", "village_code", "township_code", "lon",
                             "lat", "village_inferred")},
            geometry=[], crs=STORAGE_CRS)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=STORAGE_CRS)


def _new_build_sizes(sp: SitingPolicy) -> list[tuple[str, str, float, float]]:
    """(id suffix, size, cost, capacity) of the new builds offered at each village centre.

    One unlimited build at ``cost_yuan.new_build`` (today's plans), or, with
    ``capacity_defaults_on`` and ``new_build_sizes``, a small (id ``new_<code>``) and a large
    (``new_<code>_large``) build; the model opens at most one per place.
    """
    if not (sp.capacity_defaults_on and sp.new_build_sizes):
        return [("", "", float(sp.cost_yuan.get("new_build", 0.0)), 0.0)]
    return [("" if size == "small" else f"_{size}", size, float(spec["cost_yuan"]),
             float(spec["capacity"]))
            for size, spec in sorted(sp.new_build_sizes.items(), key=lambda kv: kv[0] != "small")]


def barrier_lines(waterways: gpd.GeoDataFrame | None, policy) -> gpd.GeoDataFrame | None:
    """Return the waterways that are barriers (kinds in ``barrier_kinds``), or None.

    None when ``rivers_are_barriers`` is off or no waterway qualifies (003 §14).
    """
    sp = _siting(policy)
    if not sp.rivers_are_barriers or waterways is None or not len(waterways):
        return None
    b = waterways[waterways["kind"].isin(sp.barrier_kinds)]
    return b if len(b) else None


def _segments(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Straight segments between two arrays of points (vectorised)."""
    coords = np.stack([shapely.get_coordinates(a), shapely.get_coordinates(b)], axis=1)
    return shapely.linestrings(coords)


def _blocked(segs: np.ndarray, tree: STRtree | None) -> np.ndarray:
    """Which segments cross a barrier (touching at an end point does not count)."""
    out = np.zeros(len(segs), dtype=bool)
    if tree is None or not len(segs):
        return out
    hit = tree.query(segs, predicate="crosses")
    out[np.unique(hit[0])] = True
    return out


def feasible_pairs(
    villages: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    cap_m: float,
    barriers: gpd.GeoDataFrame | None = None,
    crossings: gpd.GeoDataFrame | None = None,
    travel_matrix: pd.DataFrame | None = None,
    *,
    crossing_snap_m: float = 50.0,
) -> pd.DataFrame:
    """Return every village–site pair within ``cap_m`` metres, honouring river barriers.

    Parameters
    ----------
    villages, sites : GeoDataFrame
        Points with ``village_code`` / ``site_id``; any CRS (distances are computed in the
        Gauss-Krüger zone of the villages, :func:`geo.crs.metric_crs_for`).
    cap_m : float
        The travel cap in metres.
    barriers : GeoDataFrame, optional
        Barrier lines or polygons (see :func:`barrier_lines`). A straight village–site segment
        that crosses one is replaced by the best path through a crossing ``c``:
        ``d(v, c) + d(c, s)`` if both legs are clear of barriers and the sum is within the cap;
        otherwise the pair is dropped. Barriers are cut open ``crossing_snap_m`` around each
        crossing, so a segment passing over a bridge is clear.
    crossings : GeoDataFrame, optional
        Bridge/ford points with ``crossing_id``.
    travel_matrix : DataFrame, optional
        The seam for a road/path network: ``village_code, site_id`` and ``metres`` (or
        ``distance_m``). When given it *replaces* straight lines and barriers (a network
        distance already goes over bridges); pairs absent from it are unreachable.
    crossing_snap_m : float
        Tolerance between a crossing point and the barrier line it crosses.

    Returns
    -------
    DataFrame
        ``village_code, site_id, distance_m, straight_m, via`` (crossing id or "").
    """
    cols = ["village_code", "site_id", "distance_m", "straight_m", "via"]
    if travel_matrix is not None:
        tm = travel_matrix
        mcol = "metres" if "metres" in tm.columns else "distance_m"
        d = pd.to_numeric(tm[mcol], errors="coerce")
        vset = set(villages["village_code"].astype(str))
        sset = set(sites["site_id"].astype(str))
        out = pd.DataFrame({
            "village_code": tm["village_code"].astype(str),
            "site_id": tm["site_id"].astype(str),
            "distance_m": d.to_numpy(float),
            "straight_m": np.nan,
            "via": "",
        })
        keep = (out["village_code"].isin(vset) & out["site_id"].isin(sset)
                & out["distance_m"].notna() & (out["distance_m"] <= cap_m))
        return out[keep].reset_index(drop=True)[cols]
    _check_crs(villages, "villages")
    _check_crs(sites, "sites")
    if not len(villages) or not len(sites):
        return pd.DataFrame({c: [] for c in cols})
    crs = metric_crs_for(villages)
    vg = villages.to_crs(crs).geometry.values
    sg = sites.to_crs(crs).geometry.values
    vcodes = villages["village_code"].astype(str).to_numpy(object)
    sids = sites["site_id"].astype(str).to_numpy(object)
    vi, si = STRtree(sg).query(vg, predicate="dwithin", distance=cap_m)
    straight = shapely.distance(vg[vi], sg[si])
    keep = straight <= cap_m
    vi, si, straight = vi[keep], si[keep], straight[keep]
    dist = straight.copy()
    via = np.full(len(vi), "", dtype=object)
    ok = np.ones(len(vi), dtype=bool)
    if barriers is not None and len(barriers):
        _check_crs(barriers, "barriers")
        bg = barriers.to_crs(crs).geometry.values
        cg = np.array([], dtype=object)
        cid = np.array([], dtype=object)
        if crossings is not None and len(crossings):
            _check_crs(crossings, "crossings")
            cm = crossings.to_crs(crs)
            cg = cm.geometry.values
            cid = (crossings["crossing_id"].astype(str).to_numpy(object)
                   if "crossing_id" in crossings.columns
                   else np.array([f"c{k}" for k in range(len(crossings))], dtype=object))
            gaps = shapely.union_all(shapely.buffer(cg, crossing_snap_m))
            bg = shapely.difference(bg, gaps)
        bg = bg[~shapely.is_empty(bg)]
        btree = STRtree(bg) if len(bg) else None
        blocked = _blocked(_segments(vg[vi], sg[si]), btree)
        ok &= ~blocked
        b = np.flatnonzero(blocked)
        if len(b) and len(cg):
            # candidate crossings: within the cap of the village (the sum is checked below)
            bi, ci = STRtree(cg).query(vg[vi[b]], predicate="dwithin", distance=cap_m)
            leg1 = shapely.distance(vg[vi[b[bi]]], cg[ci])
            leg2 = shapely.distance(cg[ci], sg[si[b[bi]]])
            total = leg1 + leg2
            fit = total <= cap_m
            bi, ci, total = bi[fit], ci[fit], total[fit]
            clear = ~_blocked(_segments(vg[vi[b[bi]]], cg[ci]), btree)
            clear &= ~_blocked(_segments(cg[ci], sg[si[b[bi]]]), btree)
            bi, ci, total = bi[clear], ci[clear], total[clear]
            if len(bi):
                order = np.lexsort((total, bi))
                bi, ci, total = bi[order], ci[order], total[order]
                first = np.ones(len(bi), dtype=bool)
                first[1:] = bi[1:] != bi[:-1]
                rows = b[bi[first]]
                dist[rows] = total[first]
                via[rows] = cid[ci[first]]
                ok[rows] = True
    return pd.DataFrame({
        "village_code": vcodes[vi[ok]],
        "site_id": sids[si[ok]],
        "distance_m": dist[ok],
        "straight_m": straight[ok],
        "via": via[ok],
    })[cols]


def siting_inputs(
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame | None,
    policy,
    *,
    waterways: gpd.GeoDataFrame | None = None,
    crossings: gpd.GeoDataFrame | None = None,
    travel_matrix: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Return (villages table, candidate sites, feasible pairs) for :mod:`optimization.siting`.

    Examples
    --------
    The CLI or page does::

        v, s, p = siting_inputs(county.villages, county.facilities, policy,
                                waterways=county.waterways, crossings=county.crossings)
        problem = build_siting_problem(v, s, p, policy.siting)
        plan = solve_siting(problem, "cbc")
    """
    sp = _siting(policy)
    sites = candidate_sites(villages, facilities, sp)
    pairs = feasible_pairs(villages, sites, sp.travel_cap_m, barrier_lines(waterways, sp),
                           crossings, travel_matrix)
    return village_table(villages), sites, pairs
