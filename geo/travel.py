r"""Travel on the ground: walking time and distance along roads and over the terrain.

One model for every part of the product (siting, staffing, accessibility, catchments, the
institutions table). It is a directed graph in the county's Gauss–Krüger CRS
(:func:`geo.crs.metric_crs_for`), in the spirit of WHO AccessMod's friction surface but as a
network, so that an exact siting model can be fed from it:

* **Road links**: every segment of the roads layer, walked in both directions at the speed of
  its class (``travel.road_speed_kmh``) or its own ``speed_kmh``. A road segment that crosses a
  barrier river is kept only if it is a bridge (``bridge``) or passes within
  ``travel.crossing_snap_m`` of a crossing point; the others are dropped and counted.
* **Off-road legs** (straight lines): from every village / site / crossing point to its
  ``travel.access_links`` nearest road nodes, and directly between every origin and
  destination, each no longer than ``travel.access_max_m``. They are walked at Tobler's hiking
  speed on the DEM slope, sampled every ``travel.profile_step_m``:

  .. math:: v(s) = f_\text{child}\, f_\text{off}\; 6\, e^{-3.5\,|s + 0.05|}\ \text{km/h}

  (Tobler 1993; :math:`f_\text{off} = 3/5` off paths), so uphill and downhill differ. A leg that
  crosses a barrier river away from a crossing is not walked: rivers are crossed only on
  bridges (003 §14).
* Times and metres come from :func:`scipy.sparse.csgraph.dijkstra` bounded by the cap (see
  ``bench/travel.py`` for the comparison with igraph and scikit-image's MCP).

Metrics (``siting.travel_metric``): ``straight`` (the straight line with river barriers of
:mod:`geo.siting_inputs`), ``road_m`` (shortest route in metres, cap ``travel_cap_m``) and
``walk_min`` (fastest walking route in minutes, cap ``travel_cap_min``).

Examples
--------
Two points 1 km apart joined by a village road walked at 4 km/h: 15 minutes.

>>> import geopandas as gpd
>>> from shapely import LineString, Point
>>> from optimization.policy import load_policy
>>> crs = "EPSG:4544"
>>> roads = gpd.GeoDataFrame({"kind": ["village"]},
...                          geometry=[LineString([(0, 0), (1000, 0)])], crs=crs)
>>> pts = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[Point(0, 0), Point(1000, 0)], crs=crs)
>>> net = build_network(roads, load_policy().travel, crs=crs)
>>> m = travel_matrix(net, pts, pts, origin_ids=["a", "b"], dest_ids=["a", "b"],
...                   metric="walk_min", cap=60)
>>> round(float(m.set_index(["origin_id", "dest_id"]).loc[("a", "b"), "walk_min"]), 4)
15.0
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely import STRtree

__all__ = [
    "METRICS",
    "TravelNetwork",
    "build_network",
    "max_speed_kmh",
    "rescue_to_welfare",
    "tobler_kmh",
    "travel_matrix",
    "water_travel",
]

#: The distance metrics a planner can choose (``siting.travel_metric``).
METRICS = ("straight", "road_m", "walk_min")


def tobler_kmh(slope: np.ndarray | float, factor: float = 1.0) -> np.ndarray:
    """Tobler's hiking speed in km/h on a slope (rise over run), times ``factor``.

    >>> round(float(tobler_kmh(-0.05)), 3), round(float(tobler_kmh(0.0)), 3)
    (6.0, 5.037)
    """
    return factor * 6.0 * np.exp(-3.5 * np.abs(np.asarray(slope, dtype=float) + 0.05))


def max_speed_kmh(tp) -> float:
    """The fastest a child can go in the model (no route is quicker than the straight line at it)."""
    return max(max(tp.road_speed_kmh.values()), 6.0 * tp.child_factor * tp.offroad_factor)


@dataclass(frozen=True)
class TravelNetwork:
    """The road graph of a county, ready for terminals (villages, sites) to be attached.

    Attributes
    ----------
    crs : CRS
        The metric CRS everything is in.
    node_xy : ndarray
        ``(n, 2)`` road nodes (segment end points, merged within 0.5 m).
    seg_a, seg_b : ndarray
        Node indices of the road links (both directions are walked).
    seg_len_m, seg_speed_kmh : ndarray
        Length and walking speed of each link.
    crossing_xy : ndarray
        Crossing points (bridges, fords) that off-road legs may use.
    dropped_links : int
        Road segments dropped because they cross a barrier away from any bridge.
    barriers : ndarray
        Barrier geometries, cut open around crossings (for the off-road legs).
    dem : object
        The elevation sampler, or None (flat ground).
    params : TravelPolicy
    """

    crs: CRS
    node_xy: np.ndarray
    seg_a: np.ndarray
    seg_b: np.ndarray
    seg_len_m: np.ndarray
    seg_speed_kmh: np.ndarray
    crossing_xy: np.ndarray
    dropped_links: int
    barriers: np.ndarray
    dem: object
    params: object


class _Dem:
    """Elevation sampler of a GeoTIFF (bilinear), in the network CRS."""

    def __init__(self, path, crs: CRS):
        import rasterio
        from pyproj import Transformer

        with rasterio.open(path) as ds:
            z = ds.read(1).astype(float)
            if ds.nodata is not None:
                z[z == ds.nodata] = np.nan
            self.z = z
            self.inv = ~ds.transform
            dem_crs = CRS.from_user_input(ds.crs)
        self.tr = None if dem_crs == CRS.from_user_input(crs) else Transformer.from_crs(
            crs, dem_crs, always_xy=True)

    def sample(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Bilinear elevation between cell centres (NaN outside or on nodata).

        Nearest-cell values would put a whole cell's rise into one sampling step and turn a
        gentle hillside into a cliff.
        """
        if self.tr is not None:
            x, y = self.tr.transform(x, y)
        t = self.inv
        cf = t.a * x + t.b * y + t.c - 0.5
        rf = t.d * x + t.e * y + t.f - 0.5
        c0 = np.floor(cf).astype(np.int64)
        r0 = np.floor(rf).astype(np.int64)
        fc, fr = cf - c0, rf - r0
        h, w = self.z.shape
        c0c, c1c = np.clip(c0, 0, w - 1), np.clip(c0 + 1, 0, w - 1)
        r0c, r1c = np.clip(r0, 0, h - 1), np.clip(r0 + 1, 0, h - 1)
        z = ((1 - fr) * ((1 - fc) * self.z[r0c, c0c] + fc * self.z[r0c, c1c])
             + fr * ((1 - fc) * self.z[r1c, c0c] + fc * self.z[r1c, c1c]))
        inside = (cf >= -0.5) & (cf <= w - 0.5) & (rf >= -0.5) & (rf <= h - 0.5)
        return np.where(inside, z, np.nan)


def _explode_segments(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (start xy, end xy, feature row) of every 2-point segment of the lines."""
    parts, owner = shapely.get_parts(gdf.geometry.values, return_index=True)
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    same = idx[1:] == idx[:-1]
    a = coords[:-1][same]
    b = coords[1:][same]
    return a, b, owner[idx[:-1][same]]


def _cut_barriers(barriers, crossing_xy: np.ndarray, snap_m: float) -> np.ndarray:
    if barriers is None or not len(barriers):
        return np.array([], dtype=object)
    bg = np.asarray(barriers, dtype=object)
    if len(crossing_xy):
        gaps = shapely.union_all(shapely.buffer(shapely.points(crossing_xy), snap_m))
        bg = shapely.difference(bg, gaps)
    return bg[~shapely.is_empty(bg)]


def _blocked(a: np.ndarray, b: np.ndarray, barriers: np.ndarray) -> np.ndarray:
    out = np.zeros(len(a), dtype=bool)
    if not len(barriers) or not len(a):
        return out
    segs = shapely.linestrings(np.stack([a, b], axis=1))
    hit = STRtree(barriers).query(segs, predicate="crosses")
    out[np.unique(hit[0])] = True
    return out


def build_network(roads: gpd.GeoDataFrame | None, tp, *, crs, dem_path=None,
                  barriers: gpd.GeoDataFrame | None = None,
                  crossings: gpd.GeoDataFrame | None = None) -> TravelNetwork:
    """Build the road graph of a county.

    Parameters
    ----------
    roads : GeoDataFrame or None
        Lines with ``kind`` (a key of ``tp.road_speed_kmh``) and optionally ``speed_kmh`` and
        ``bridge``. None or empty: off-road legs only.
    tp : TravelPolicy
        ``policy.travel``.
    crs : CRS
        The metric CRS (the county's Gauss–Krüger zone).
    dem_path : path, optional
        Elevation GeoTIFF in metres; without it the ground is flat.
    barriers : GeoDataFrame, optional
        Rivers that are crossed only at crossings (:func:`geo.siting_inputs.barrier_lines`).
    crossings : GeoDataFrame, optional
        Bridge/ford points.
    """
    crs = CRS.from_user_input(crs)
    cxy = (shapely.get_coordinates(crossings.to_crs(crs).geometry.values)
           if crossings is not None and len(crossings) else np.zeros((0, 2)))
    bg = (_cut_barriers(barriers.to_crs(crs).geometry.values, cxy, tp.crossing_snap_m)
          if barriers is not None and len(barriers) else np.array([], dtype=object))
    dem = _Dem(dem_path, crs) if (dem_path is not None and tp.use_dem) else None
    if roads is None or not len(roads):
        z = np.zeros(0, dtype=np.int64)
        return TravelNetwork(crs, np.zeros((0, 2)), z, z, np.zeros(0), np.zeros(0), cxy, 0, bg,
                             dem, tp)
    rm = roads.to_crs(crs)
    a, b, row = _explode_segments(rm)
    kind = (rm["kind"].astype(str).to_numpy(object) if "kind" in rm.columns
            else np.full(len(rm), "village", dtype=object))
    speed = np.array([tp.road_speed_kmh.get(k, tp.road_speed_kmh["village"]) for k in kind],
                     dtype=float)
    if "speed_kmh" in rm.columns:
        own = pd.to_numeric(rm["speed_kmh"], errors="coerce").to_numpy(float)
        speed = np.where(np.isfinite(own) & (own > 0), own, speed)
    bridge = (rm["bridge"].fillna(False).astype(bool).to_numpy() if "bridge" in rm.columns
              else np.zeros(len(rm), dtype=bool))
    # a road over a barrier river is a bridge: flagged, or at a crossing point
    cross_river = _blocked(a, b, bg)
    keep = ~cross_river | bridge[row]
    dropped = int((~keep).sum())
    a, b, row = a[keep], b[keep], row[keep]
    # end points merged on a 0.5 m grid; the lengths are those of the merged nodes, so that
    # every link, leg and snap is measured on the same points and no route is shorter than
    # the straight line between its ends (lengths of the unmerged points were up to ~0.35 m
    # per node off: 4 demo village-site routes came out 0.004-0.18 m under the crow line)
    key = np.round(np.vstack([a, b]) * 2.0) / 2.0
    nodes, inv = np.unique(key, axis=0, return_inverse=True)
    inv = inv.ravel()
    n = len(a)
    ia, ib = inv[:n], inv[n:]
    length = np.hypot(*(nodes[ib] - nodes[ia]).T)
    nz = length > 0
    return TravelNetwork(crs, nodes, ia[nz], ib[nz], length[nz], speed[row[nz]], cxy, dropped,
                         bg, dem, tp)


def _leg_times(net: TravelNetwork, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
    """Off-road walking seconds a->b and b->a (Tobler on the DEM profile) and the lengths."""
    tp = net.params
    length = np.hypot(*(b - a).T)
    f = tp.child_factor * tp.offroad_factor
    if net.dem is None or not len(a):
        v = tobler_kmh(0.0, f) / 3.6
        return length / v, length / v, length
    fwd = np.zeros(len(a))
    bwd = np.zeros(len(a))
    n = np.maximum(2, np.ceil(length / tp.profile_step_m).astype(np.int64) + 1)
    for k in np.unique(n):
        sel = np.flatnonzero(n == k)
        t = np.linspace(0.0, 1.0, int(k))
        xs = a[sel, 0, None] + (b[sel, 0] - a[sel, 0])[:, None] * t
        ys = a[sel, 1, None] + (b[sel, 1] - a[sel, 1])[:, None] * t
        z = net.dem.sample(xs.ravel(), ys.ravel()).reshape(xs.shape)
        dz = np.nan_to_num(np.diff(z, axis=1))  # nodata: flat
        dx = (length[sel] / (k - 1))[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.where(dx > 0, dz / dx, 0.0)
        fwd[sel] = (dx / (tobler_kmh(s, f) / 3.6)).sum(axis=1)
        bwd[sel] = (dx / (tobler_kmh(-s, f) / 3.6)).sum(axis=1)
    return fwd, bwd, length


def _k_nearest(tree_xy: np.ndarray, xy: np.ndarray, k: int, max_m: float):
    """Pairs (i of xy, j of tree_xy) of the k nearest within max_m."""
    from scipy.spatial import cKDTree

    if not len(tree_xy) or not len(xy) or k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    kk = min(k, len(tree_xy))
    d, j = cKDTree(tree_xy).query(xy, k=kk, distance_upper_bound=max_m)
    d = d.reshape(len(xy), kk)
    j = j.reshape(len(xy), kk)
    i = np.repeat(np.arange(len(xy)), kk)
    ok = np.isfinite(d.ravel())
    return i[ok], j.ravel()[ok]


@dataclass(frozen=True)
class _Graph:
    time_s: csr_matrix
    length_m: csr_matrix
    origin_node: np.ndarray
    dest_node: np.ndarray
    xy: np.ndarray


def _snaps(net: TravelNetwork, txy: np.ndarray):
    """Nearest point of the nearest road segment for each point within ``access_max_m``.

    Returns (``(k, 2)`` array of [point index, distance along the segment], segment index,
    snap point xy), leaving out points whose nearest road point is a segment end.
    """
    empty = (np.zeros((0, 2)), np.zeros(0, np.int64), np.zeros((0, 2)))
    if not len(net.seg_a) or not len(txy):
        return empty
    segs = shapely.linestrings(np.stack([net.node_xy[net.seg_a], net.node_xy[net.seg_b]],
                                        axis=1))
    pts = shapely.points(txy)
    (pi, si), _ = STRtree(segs).query_nearest(pts, max_distance=net.params.access_max_m,
                                              return_distance=True, all_matches=False)
    t = shapely.line_locate_point(segs[si], pts[pi])
    inner = (t > 0.5) & (t < net.seg_len_m[si] - 0.5)
    pi, si, t = pi[inner], si[inner], t[inner]
    if not len(pi):
        return empty
    p = shapely.get_coordinates(shapely.line_interpolate_point(segs[si], t))
    return np.column_stack([pi, t]), si.astype(np.int64), p


def _graph(net: TravelNetwork, oxy: np.ndarray, dxy: np.ndarray, *, direct: bool = True,
           dest_tol_m: float = 0.0) -> _Graph:
    """The network with origins, destinations and crossings attached by off-road legs.

    Origins only leave and destinations only arrive: no route passes *through* another
    village or site, so a pair's time does not depend on which other points were asked for
    (staffing's village-to-village table and siting's village-to-site table agree).

    ``dest_tol_m``: legs to destinations are tested against the barriers without their last
    ``dest_tol_m`` metres, for destinations that lie *on* a barrier (points of a river: the
    bank is reached from either side, and a point a hair off the line must not read as across).
    """
    tp = net.params
    txy = np.vstack([net.crossing_xy, oxy, dxy])
    snap_t, snap_seg, snap_xy = _snaps(net, txy)
    nr, ns = len(net.node_xy), len(snap_xy)
    nc, no, nd = len(net.crossing_xy), len(oxy), len(dxy)
    c0 = nr + ns
    o0, d0 = c0 + nc, c0 + nc + no
    n = d0 + nd
    xy = np.vstack([net.node_xy, snap_xy, txy]) if n else np.zeros((0, 2))
    rows, cols, ts, ls = [], [], [], []

    def add(u, v, t, length):
        rows.append(u)
        cols.append(v)
        ts.append(t)
        ls.append(length)

    t_road = net.seg_len_m / (net.seg_speed_kmh / 3.6)
    add(net.seg_a, net.seg_b, t_road, net.seg_len_m)
    add(net.seg_b, net.seg_a, t_road, net.seg_len_m)
    # the road split at every point where a terminal or crossing meets it (its projection)
    if ns:
        order = np.lexsort((snap_t[:, 1], snap_seg))
        seg, tt, node = snap_seg[order], snap_t[order, 1], nr + order
        first = np.r_[True, seg[1:] != seg[:-1]]
        last = np.r_[seg[1:] != seg[:-1], True]
        speed = net.seg_speed_kmh[seg] / 3.6
        prev = np.where(first, net.seg_a[seg], np.r_[0, node[:-1]])
        dprev = np.where(first, tt, tt - np.r_[0.0, tt[:-1]])
        add(prev, node, dprev / speed, dprev)
        add(node, prev, dprev / speed, dprev)
        dnext = net.seg_len_m[seg[last]] - tt[last]
        add(node[last], net.seg_b[seg[last]], dnext / speed[last], dnext)
        add(net.seg_b[seg[last]], node[last], dnext / speed[last], dnext)
    # legs (u = crossing or terminal, v = road node, snap point or crossing)
    ti, rj = _k_nearest(net.node_xy, txy, tp.access_links, tp.access_max_m)
    us, vs = [c0 + ti, c0 + snap_t[:, 0].astype(np.int64)], [rj, nr + np.arange(ns)]
    if nc:
        from scipy.spatial import cKDTree

        pairs = cKDTree(net.crossing_xy).query_ball_point(np.vstack([oxy, dxy]),
                                                          r=tp.access_max_m)
        cnt = np.fromiter((len(p) for p in pairs), np.int64, len(pairs))
        if cnt.sum():
            us.append(o0 + np.repeat(np.arange(len(pairs)), cnt))
            vs.append(c0 + np.concatenate([np.asarray(p, np.int64) for p in pairs if len(p)]))
    if direct and no and nd:
        from scipy.spatial import cKDTree

        pairs = cKDTree(dxy).query_ball_point(oxy, r=tp.access_max_m)
        cnt = np.fromiter((len(p) for p in pairs), np.int64, len(pairs))
        if cnt.sum():
            us.append(o0 + np.repeat(np.arange(no), cnt))
            vs.append(d0 + np.concatenate([np.asarray(p, np.int64) for p in pairs if len(p)]))
    u = np.concatenate(us) if us else np.zeros(0, np.int64)
    v = np.concatenate(vs) if vs else np.zeros(0, np.int64)
    if len(u):
        pa, pb = xy[u], xy[v]
        if dest_tol_m > 0:
            pa, pb = _pull_back(pa, pb, u >= d0, v >= d0, dest_tol_m)
        ok = ~_blocked(pa, pb, net.barriers)
        u, v = u[ok], v[ok]
        fwd, bwd, length = _leg_times(net, xy[u], xy[v])
        # a zero-length leg still costs a tiny time so every route is a real path
        fwd, bwd = np.maximum(fwd, 1e-6), np.maximum(bwd, 1e-6)
        is_dest = (u >= d0) | (v >= d0)
        out = (u < o0) | ((u >= o0) & ~is_dest) | (u >= o0) & (v >= d0) & (u < d0)
        back = (u < o0) | (u >= d0)
        add(u[out], v[out], fwd[out], length[out])
        add(v[back], u[back], bwd[back], length[back])
    r = np.concatenate([np.asarray(x, np.int64).ravel() for x in rows]) if rows else np.zeros(0)
    c = np.concatenate([np.asarray(x, np.int64).ravel() for x in cols]) if cols else np.zeros(0)
    t = np.concatenate([np.asarray(x, float).ravel() for x in ts]) if ts else np.zeros(0)
    ln = np.concatenate([np.asarray(x, float).ravel() for x in ls]) if ls else np.zeros(0)
    # keep the quicker of parallel links (csr would add duplicates up)
    order = np.lexsort((t, c, r))
    r, c, t, ln = r[order], c[order], t[order], ln[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    r, c, t, ln = r[first], c[first], t[first], ln[first]
    tm = coo_matrix((t, (r, c)), shape=(n, n)).tocsr()
    lm = coo_matrix((ln, (r, c)), shape=(n, n)).tocsr()
    return _Graph(tm, lm, np.arange(o0, o0 + no), np.arange(d0, d0 + nd), xy)


def _pull_back(a: np.ndarray, b: np.ndarray, at_a: np.ndarray, at_b: np.ndarray,
               tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Segments a-b shortened by ``tol`` at the flagged ends (at most to a third of each)."""
    d = b - a
    length = np.hypot(*d.T)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(length > 0, np.minimum(tol, length / 3.0) / length, 0.0)
    a = np.where(at_a[:, None], a + d * f[:, None], a)
    b = np.where(at_b[:, None], b - d * f[:, None], b)
    return a, b


def _search(g: _Graph, metric: str, limit: float, batch: int = 256):
    """(origin index, destination index, primary, other) of every pair within ``limit``.

    ``primary`` is seconds (``walk_min``) or metres (``road_m``) of the best route, ``other``
    the other quantity along that same route.
    """
    primary, other = (g.time_s, g.length_m) if metric == "walk_min" else (g.length_m, g.time_s)
    out_o, out_d, out_p, out_q = [], [], [], []
    for s in range(0, len(g.origin_node), batch):
        src = g.origin_node[s:s + batch]
        dist, pred = dijkstra(primary, directed=True, indices=src, limit=limit * (1 + 1e-9),
                              return_predecessors=True)
        sub = dist[:, g.dest_node]
        i, j = np.nonzero(np.isfinite(sub))
        if not len(i):
            continue
        q = _along_tree(dist, pred, other, g.dest_node)
        out_o.append(s + i)
        out_d.append(j)
        out_p.append(sub[i, j])
        out_q.append(q[i, j])
    if not out_o:
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0), np.zeros(0)
    return (np.concatenate(out_o), np.concatenate(out_d), np.concatenate(out_p),
            np.concatenate(out_q))


def _edge_values(w: csr_matrix, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``w[r, c]`` for arrays of stored entries (sorted keys and searchsorted, no loops)."""
    w = w.tocsr()
    w.sort_indices()
    n = w.shape[1]
    keys = np.repeat(np.arange(w.shape[0], dtype=np.int64), np.diff(w.indptr)) * n + w.indices
    pos = np.searchsorted(keys, r.astype(np.int64) * n + c)
    return w.data[np.minimum(pos, len(keys) - 1)]


def _along_tree(dist: np.ndarray, pred: np.ndarray, w: csr_matrix, targets: np.ndarray):
    """Sum of ``w`` along the predecessor trees to ``targets`` (one row per source).

    Pointer jumping on the reached nodes only (a bounded search reaches a few hundred of the
    graph's nodes per source), so the cost follows the reach, not the graph size.
    """
    b, n = pred.shape
    r, c = np.nonzero(np.isfinite(dist))
    k = len(r)
    idx = np.full((b, n), -1, dtype=np.int64)
    idx[r, c] = np.arange(k)
    pc = pred[r, c]
    ok = pc >= 0
    parent = np.full(k, -1, dtype=np.int64)
    parent[ok] = idx[r[ok], pc[ok]]
    acc = np.zeros(k)
    acc[ok] = _edge_values(w, pc[ok], c[ok])
    p = parent
    while True:
        has = p >= 0
        if not has.any():
            break
        acc[has] += acc[p[has]]
        nxt = np.full(k, -1, dtype=np.int64)
        nxt[has] = p[p[has]]
        p = nxt
    out = np.full((b, len(targets)), np.nan)
    t = idx[:, targets]
    hit = t >= 0
    out[hit] = acc[t[hit]]
    return out


def travel_matrix(net: TravelNetwork, origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame,
                  *, origin_ids, dest_ids, metric: str = "walk_min", cap: float | None = None,
                  batch: int = 256) -> pd.DataFrame:
    """Return every origin–destination pair within the cap.

    Parameters
    ----------
    net : TravelNetwork
        From :func:`build_network`.
    origins, destinations : GeoDataFrame
        Points (any CRS; used in ``net.crs``).
    origin_ids, dest_ids : sequence of str
        Their ids, in order.
    metric : {"walk_min", "road_m"}
        ``walk_min``: the fastest walking route, capped at ``cap`` minutes; ``road_m``: the
        shortest route, capped at ``cap`` metres. Both report the other quantity of the same
        route.
    cap : float, optional
        None: no cap.

    Returns
    -------
    DataFrame
        ``origin_id, dest_id, walk_min, route_m, straight_m, metric`` (the metric named).
    """
    if metric not in ("walk_min", "road_m"):
        raise ValueError(f"metric must be walk_min or road_m, not {metric!r}")
    oxy = shapely.get_coordinates(origins.to_crs(net.crs).geometry.values)
    dxy = shapely.get_coordinates(destinations.to_crs(net.crs).geometry.values)
    oid = np.asarray(list(origin_ids), dtype=object)
    did = np.asarray(list(dest_ids), dtype=object)
    g = _graph(net, oxy, dxy)
    limit = np.inf if cap is None else (cap * 60.0 if metric == "walk_min" else cap)
    oi, dj, p, q = _search(g, metric, limit, batch)
    cols = ["origin_id", "dest_id", "walk_min", "route_m", "straight_m", "metric"]
    if not len(oi):
        return pd.DataFrame({c: [] for c in cols})
    t_s, m = (p, q) if metric == "walk_min" else (q, p)
    return pd.DataFrame({
        "origin_id": oid[oi],
        "dest_id": did[dj],
        "walk_min": t_s / 60.0,
        "route_m": m,
        "straight_m": np.hypot(*(oxy[oi] - dxy[dj]).T),
        "metric": metric,
    })[cols]


# --- the county's travel model for the planning steps ------------------------------------------

def county_network(data, policy) -> TravelNetwork:
    """The travel network of a loaded county (roads, DEM, barrier rivers and crossings)."""
    from geo.siting_inputs import barrier_lines

    return build_network(data.roads, policy.travel, crs=data.metric_crs,
                         dem_path=data.dem_path,
                         barriers=barrier_lines(data.waterways, policy.siting),
                         crossings=data.crossings)


def metric_cap(policy, metric: str) -> float:
    """The cap in the metric's unit: ``travel_cap_min`` minutes or ``travel_cap_m`` metres."""
    return float(policy.siting.travel_cap_min if metric == "walk_min"
                 else policy.siting.travel_cap_m)


def siting_travel(data, policy, metric: str, *, network: TravelNetwork | None = None):
    """The village–site travel matrix for the siting model, and the policy to solve it with.

    The model minimises child-weighted *cost* within the cap. For ``road_m`` the cost is the
    route in metres (cap ``travel_cap_m``); for ``walk_min`` it is the walking time in minutes
    (cap ``travel_cap_min``), so the returned policy's ``siting.travel_cap_m`` holds that cap
    *in minutes* for the model. Use :func:`name_siting_metric` on the result to put metres
    and minutes back under their own names.

    Returns
    -------
    (DataFrame, Policy)
        ``village_code, site_id, metres`` (the model's cost), ``walk_min, route_m, metric``.
    """
    from geo.siting_inputs import candidate_sites

    if metric not in ("road_m", "walk_min"):
        raise ValueError(f"metric must be road_m or walk_min, not {metric!r}")
    sites = candidate_sites(data.villages, data.facilities, policy.siting)
    net = network or county_network(data, policy)
    cap = metric_cap(policy, metric)
    m = travel_matrix(net, data.villages, sites, origin_ids=data.villages["village_code"],
                      dest_ids=sites["site_id"], metric=metric, cap=cap)
    out = pd.DataFrame({
        "village_code": m["origin_id"].astype(str),
        "site_id": m["dest_id"].astype(str),
        "metres": m["walk_min"] if metric == "walk_min" else m["route_m"],
        "walk_min": m["walk_min"],
        "route_m": m["route_m"],
        "metric": metric,
    })
    model_policy = policy.with_overrides({"siting.travel_cap_m": cap}, origin=f"metric {metric}")
    return out, model_policy


def name_siting_metric(homes: pd.DataFrame, assignments: pd.DataFrame,
                       matrix: pd.DataFrame | None, metric: str):
    """Return (homes, assignments) with the metric named and metres/minutes under their names.

    Adds ``metric``, ``walk_min`` and ``route_m`` to the assignments (from the matrix, NaN for
    the straight line) and ``metric`` to the homes. With ``walk_min`` the model's distances were
    minutes: ``distance_m`` becomes the route's metres and the homes' ``max_/mean_distance_m``
    are recomputed in metres beside ``max_/mean_walk_min``.
    """
    a = assignments.copy()
    homes = homes.copy()
    a["metric"] = metric
    homes["metric"] = metric
    if matrix is None or metric == "straight":
        a["walk_min"] = np.nan
        a["route_m"] = np.nan
        return homes, a
    look = matrix.assign(
        walk_min=matrix["walk_min"] if "walk_min" in matrix.columns else np.nan,
        route_m=matrix["route_m"] if "route_m" in matrix.columns else matrix.get(
            "metres", matrix.get("distance_m")),
    ).astype({"village_code": str, "site_id": str}).set_index(["village_code", "site_id"])
    keys = pd.MultiIndex.from_arrays([a["village_code"].astype(str),
                                      a["home_id"].fillna("").astype(str)])
    hit = keys.isin(look.index)
    wm = np.full(len(a), np.nan)
    rm = np.full(len(a), np.nan)
    if hit.any():
        wm[hit] = look.loc[keys[hit], "walk_min"].to_numpy(float)
        rm[hit] = look.loc[keys[hit], "route_m"].to_numpy(float)
    a["walk_min"] = np.round(wm, 1)
    a["route_m"] = np.round(rm, 1)
    if metric == "walk_min":
        a["distance_m"] = a["route_m"]
        if "max_distance_m" in homes.columns:
            homes["max_walk_min"] = homes["max_distance_m"]
            homes["mean_walk_min"] = homes["mean_distance_m"]
            w = a[a["home_id"].notna() & (a["home_id"].astype(str) != "")].copy()
            w["cw"] = w["resident_children"].astype(float) * w["route_m"].astype(float)
            g = w.groupby("home_id")
            mx = g["route_m"].max()
            mean = g["cw"].sum() / g["resident_children"].sum().replace(0, np.nan)
            homes["max_distance_m"] = homes["home_id"].map(mx).round(1)
            homes["mean_distance_m"] = homes["home_id"].map(mean).fillna(0).round(1)
    return homes, a


def village_distances(data, policy, *, cap_m: float | None = None,
                      network: TravelNetwork | None = None) -> pd.DataFrame:
    """Village-to-village route metres for staffing (directors ride, so ``road_m``).

    The same network and legs as siting's village–site matrix: a new build ``new_<code>``
    sits on the village point, so the route village a -> village b here equals siting's
    route a -> ``new_b`` (``tests/test_travel_siting.py``).

    Returns
    -------
    DataFrame
        ``from_code, to_code, distance_m`` (no self pairs), within ``cap_m`` (default the
        larger of ``staffing.max_travel_m`` and ``staffing.neighbour_distance_m``).
    """
    st = policy.staffing
    cap = float(cap_m if cap_m is not None else max(st.max_travel_m, st.neighbour_distance_m))
    net = network or county_network(data, policy)
    v = data.villages
    codes = v["village_code"].astype(str)
    m = travel_matrix(net, v, v, origin_ids=codes, dest_ids=codes, metric="road_m", cap=cap)
    m = m[m["origin_id"] != m["dest_id"]]
    return pd.DataFrame({"from_code": m["origin_id"].to_numpy(),
                         "to_code": m["dest_id"].to_numpy(),
                         "distance_m": m["route_m"].to_numpy(float)})


# --- the way to the water (geo/hazards.py) -----------------------------------------------------

def _water_lines(waterways: gpd.GeoDataFrame, crs) -> tuple[np.ndarray, np.ndarray]:
    """(linear geometry, row of ``waterways``): lines as they are, polygons by their shores."""
    w = waterways.to_crs(crs)
    g = w.geometry.to_numpy()
    poly = np.isin(shapely.get_type_id(g), (3, 6))  # Polygon, MultiPolygon
    g = np.where(poly, shapely.boundary(g), g)
    parts, owner = shapely.get_parts(g, return_index=True)
    ok = ~shapely.is_empty(parts)
    return parts[ok], owner[ok]


def _water_targets(net: TravelNetwork, oxy: np.ndarray, waterways: gpd.GeoDataFrame,
                   step_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Points on the water a child can walk to, and the ``waterways`` row of each.

    Every ``step_m`` along every line and shore (where roads pass by), plus, for each origin,
    the nearest point of every water body within ``travel.access_max_m`` (the straight walk
    to the bank, exact).
    """
    parts, owner = _water_lines(waterways, net.crs)
    if not len(parts):
        return np.zeros((0, 2)), np.zeros(0, np.int64)
    length = shapely.length(parts)
    n = np.maximum(2, np.ceil(length / step_m).astype(np.int64) + 1)
    rep = np.repeat(np.arange(len(parts)), n)
    start = np.repeat(np.cumsum(n) - n, n)
    frac = (np.arange(len(rep)) - start) / (n[rep] - 1)
    pts = shapely.line_interpolate_point(parts[rep], frac, normalized=True)
    xy, who = [shapely.get_coordinates(pts)], [owner[rep]]
    if len(oxy):
        opts = shapely.points(oxy)
        oi, pi = STRtree(parts).query(opts, predicate="dwithin",
                                      distance=net.params.access_max_m)
        if len(oi):
            near = shapely.get_point(shapely.shortest_line(opts[oi], parts[pi]), 1)
            xy.append(shapely.get_coordinates(near))
            who.append(owner[pi])
    return np.vstack(xy), np.concatenate(who)


def water_travel(net: TravelNetwork, points: gpd.GeoDataFrame, ids, waterways: gpd.GeoDataFrame,
                 *, metric: str, cap: float | None = None,
                 nearest_only: bool = False) -> pd.DataFrame:
    """The way from every point to the water: the best route to each water body, or the nearest.

    The water bodies (lines, and the shores of ponds and reservoirs) are reached at points
    every ``travel.profile_step_m`` and at each point's own nearest bank point (the straight
    walk to it, exact when no barrier is in between); a barrier river is itself reached from
    either bank. A point on the water or inside a pond is 0 m / 0 min from it.

    Parameters
    ----------
    net : TravelNetwork
    points : GeoDataFrame
        Villages or institutions (any CRS).
    ids : sequence of str
        Their ids, in order.
    waterways : GeoDataFrame
        ``water_id`` and line/polygon geometries.
    metric : {"road_m", "walk_min"}
        What "nearest" means: the shortest route (metres) or the fastest walk (minutes).
    cap : float, optional
        In the metric's unit (metres or minutes); None: no cap.
    nearest_only : bool
        Only the nearest water body of each point (one search from all water points at once).

    Returns
    -------
    DataFrame
        ``origin_id, water_id, route_m, walk_min, straight_m, metric``: ``route_m`` and
        ``walk_min`` of the same (best) route, ``straight_m`` the straight line to the water.
    """
    if metric not in ("walk_min", "road_m"):
        raise ValueError(f"metric must be walk_min or road_m, not {metric!r}")
    cols = ["origin_id", "water_id", "route_m", "walk_min", "straight_m", "metric"]
    oid = np.asarray(list(ids), dtype=object)
    if not len(points) or waterways is None or not len(waterways):
        return pd.DataFrame({c: [] for c in cols})
    oxy = shapely.get_coordinates(points.to_crs(net.crs).geometry.values)
    dxy, who = _water_targets(net, oxy, waterways, float(net.params.profile_step_m))
    g = _graph(net, oxy, dxy, dest_tol_m=0.5)
    limit = np.inf if cap is None else (cap * 60.0 if metric == "walk_min" else cap)
    if nearest_only:
        oi, dj, p, q = _nearest(g, metric, limit)
    else:
        oi, dj, p, q = _search(g, metric, limit)
    t_s, m = (p, q) if metric == "walk_min" else (q, p)
    out = pd.DataFrame({"o": oi, "w": who[dj], "route_m": m, "walk_min": t_s / 60.0,
                        "key": p})
    # on the water (a bank point, or inside a pond): 0 for that water body
    wg = waterways.to_crs(net.crs).geometry.to_numpy()
    opts = shapely.points(oxy)
    zi, zw = STRtree(wg).query(opts, predicate="intersects")
    if len(zi):
        on = pd.DataFrame({"o": zi, "w": zw, "route_m": 0.0, "walk_min": 0.0, "key": 0.0})
        out = pd.concat([on, out], ignore_index=True)
    out = out.sort_values(["o", "key"], kind="stable")
    out = out.drop_duplicates("o" if nearest_only else ["o", "w"])
    wid = waterways["water_id"].astype(str).to_numpy()
    res = pd.DataFrame({
        "origin_id": oid[out["o"].to_numpy()],
        "water_id": wid[out["w"].to_numpy()],
        "route_m": out["route_m"].to_numpy(float),
        "walk_min": out["walk_min"].to_numpy(float),
        "straight_m": shapely.distance(opts[out["o"].to_numpy()], wg[out["w"].to_numpy()]),
        "metric": metric,
    })
    return res.reset_index(drop=True)[cols]


def _nearest(g: _Graph, metric: str, limit: float):
    """(origin, nearest destination, primary, other) by one reverse search from every destination.

    Destinations only receive, so in the reversed graph they only send: the search from all
    of them at once (``min_only``) gives each origin its nearest destination and the tree of
    the routes; ``other`` is summed along that tree.
    """
    primary, other = (g.time_s, g.length_m) if metric == "walk_min" else (g.length_m, g.time_s)
    z = np.zeros(0, np.int64)
    if not len(g.dest_node) or not len(g.origin_node):
        return z, z, np.zeros(0), np.zeros(0)
    dist, pred, src = dijkstra(primary.T.tocsr(), directed=True, indices=g.dest_node,
                               limit=limit * (1 + 1e-9), min_only=True,
                               return_predecessors=True)
    d = dist[g.origin_node]
    ok = np.isfinite(d)
    q = _along_tree(dist[None, :], pred[None, :], other.T.tocsr(), g.origin_node)[0]
    dest_of = np.full(len(dist), -1, np.int64)
    dest_of[g.dest_node] = np.arange(len(g.dest_node))
    oi = np.flatnonzero(ok)
    return oi, dest_of[src[g.origin_node[oi]]], d[oi], q[oi]


# --- accessibility, catchments, institutions ---------------------------------------------------

#: The walking-time bands of the accessibility shares (minutes).
ACCESS_BANDS = (10, 20, 30)


def _open_homes(homes: pd.DataFrame) -> gpd.GeoDataFrame:
    h = homes[homes["home_id"].astype(str) != ""]
    return gpd.GeoDataFrame(h[["home_id"]].astype(str).reset_index(drop=True),
                            geometry=gpd.points_from_xy(h["lon"], h["lat"]), crs=4326)


def accessibility(data, policy, homes: pd.DataFrame, *, network: TravelNetwork | None = None,
                  max_min: float = 180.0) -> pd.DataFrame:
    """Minutes from every village to its nearest open home (one reverse search from all homes).

    Returns
    -------
    DataFrame
        ``village_code, walk_min`` (inf beyond ``max_min``), ``nearest_home``,
        ``resident_children, left_behind, difficulty``.
    """
    from geo.siting_inputs import village_table

    net = network or county_network(data, policy)
    v = data.villages
    h = _open_homes(homes)
    vt = village_table(v)
    oxy = shapely.get_coordinates(v.to_crs(net.crs).geometry.values)
    dxy = shapely.get_coordinates(h.to_crs(net.crs).geometry.values)
    out = vt[["village_code", "resident_children", "left_behind", "difficulty"]].copy()
    if not len(h):
        out["walk_min"] = np.inf
        out["nearest_home"] = ""
        return out
    g = _graph(net, oxy, dxy)
    dist, _, src = dijkstra(g.time_s.T.tocsr(), directed=True, indices=g.dest_node,
                            limit=max_min * 60.0, min_only=True, return_predecessors=True)
    d = dist[g.origin_node]
    s = src[g.origin_node]
    home_of = {int(n): hid for n, hid in zip(g.dest_node, h["home_id"], strict=True)}
    out["walk_min"] = d / 60.0
    out["nearest_home"] = [home_of.get(int(k), "") if np.isfinite(x) else ""
                           for k, x in zip(s, d, strict=True)]
    return out


def access_shares(access: pd.DataFrame, bands=ACCESS_BANDS) -> pd.DataFrame:
    """Share of resident, left-behind and difficulty children within each band of minutes.

    >>> a = pd.DataFrame({"walk_min": [5.0, 15.0, np.inf], "resident_children": [10, 30, 60],
    ...                   "left_behind": [1, 1, 2], "difficulty": [0, 1, 1]})
    >>> access_shares(a, (10, 20)).round(3).to_dict("list")["resident_children"]
    [0.1, 0.4]
    """
    rows = []
    for b in bands:
        within = access["walk_min"] <= b
        row = {"within_min": b}
        for c in ("resident_children", "left_behind", "difficulty"):
            tot = float(access[c].sum())
            row[c] = float(access.loc[within, c].sum()) / tot if tot else 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def catchments(data, policy, homes: pd.DataFrame, assignments: pd.DataFrame, *,
               cap_min: float | None = None,
               network: TravelNetwork | None = None) -> gpd.GeoDataFrame:
    """Per open home: the area within the walking cap and the children in it.

    The area is a network service area: every road node, crossing and village point the home
    can be reached from within ``cap_min`` (a reverse search), each widened by how far a child
    walks off road on flat ground in the minutes left (at most ``travel.access_max_m``), merged
    and clipped to the county.

    Returns
    -------
    GeoDataFrame (WGS84)
        ``home_id, villages_assigned, children_assigned`` (the plan's assignment: they add up
        to the covered children), ``villages_within_cap, children_within_cap`` (every village
        that reaches the home in time; catchments may overlap), ``cap_min``, ``metric``.
    """
    tp = policy.travel
    cap = float(cap_min if cap_min is not None else policy.siting.travel_cap_min)
    net = network or county_network(data, policy)
    h = _open_homes(homes)
    v = data.villages
    oxy = shapely.get_coordinates(v.to_crs(net.crs).geometry.values)
    dxy = shapely.get_coordinates(h.to_crs(net.crs).geometry.values)
    g = _graph(net, oxy, dxy)
    xy = g.xy
    v_flat = tobler_kmh(0.0, tp.child_factor * tp.offroad_factor) / 3.6
    county = (data.county.to_crs(net.crs).geometry.union_all() if len(data.county) else None)
    children = pd.to_numeric(v["resident_children"], errors="coerce").fillna(0).to_numpy()
    codes = v["village_code"].astype(str).to_numpy()
    a = assignments[assignments["home_id"].astype(str) != ""]
    a = a[a["home_id"].notna()]
    agg = a.groupby(a["home_id"].astype(str))["resident_children"].agg(["size", "sum"])
    rows, geoms = [], []
    rev = g.time_s.T.tocsr()
    for s in range(0, len(h), 64):
        idx = g.dest_node[s:s + 64]
        dist = dijkstra(rev, directed=True, indices=idx, limit=cap * 60.0)
        for k in range(len(idx)):
            d = dist[k]
            reach = np.flatnonzero(np.isfinite(d))
            reach = reach[reach < g.dest_node[0]]  # not other homes
            radius = np.minimum((cap * 60.0 - d[reach]) * v_flat, tp.access_max_m)
            poly = shapely.union_all(shapely.buffer(shapely.points(xy[reach]), radius,
                                                    quad_segs=4))
            if county is not None and not poly.is_empty:
                poly = poly.intersection(county)
            poly = shapely.simplify(poly, 25.0)  # 25 m: a lighter map, area within 1 %
            vin = d[g.origin_node] <= cap * 60.0
            hid = h["home_id"].iloc[s + k]
            rows.append({"home_id": hid,
                         "villages_assigned": int(agg["size"].get(hid, 0)),
                         "children_assigned": float(agg["sum"].get(hid, 0.0)),
                         "villages_within_cap": int(vin.sum()),
                         "children_within_cap": float(children[vin].sum()),
                         "cap_min": cap, "metric": "walk_min"})
            geoms.append(poly)
    del codes
    out = gpd.GeoDataFrame(rows, geometry=geoms, crs=net.crs) if rows else gpd.GeoDataFrame(
        {"home_id": []}, geometry=[], crs=net.crs)
    return out.to_crs(4326)


#: Facility kinds of the institutions table (001 §2: rescue-protection -> nearest welfare).
INSTITUTION_KINDS = ("rescue_protection", "welfare_institution", "township_station")


def institution_times(data, policy, *, network: TravelNetwork | None = None) -> pd.DataFrame:
    """Walking minutes and route metres between the county's institutions (no cap).

    001 §2 lets a rescue-protection institution short of capacity entrust children to the
    *nearest* welfare institution: ``nearest`` marks, for every institution, the nearest
    welfare institution by walking time.

    Returns
    -------
    DataFrame
        ``from_id, from_kind, to_id, to_kind, walk_min, route_m, straight_m, nearest, metric``.
    """
    f = data.facilities
    inst = f[f["kind"].isin(INSTITUTION_KINDS)].reset_index(drop=True)
    cols = ["from_id", "from_kind", "to_id", "to_kind", "walk_min", "route_m", "straight_m",
            "nearest", "metric"]
    if len(inst) < 2:
        return pd.DataFrame({c: [] for c in cols})
    net = network or county_network(data, policy)
    ids = inst["facility_id"].astype(str)
    m = travel_matrix(net, inst, inst, origin_ids=ids, dest_ids=ids, metric="walk_min")
    m = m[m["origin_id"] != m["dest_id"]].copy()
    kind = dict(zip(ids, inst["kind"], strict=True))
    m["from_kind"] = m["origin_id"].map(kind)
    m["to_kind"] = m["dest_id"].map(kind)
    m = m.rename(columns={"origin_id": "from_id", "dest_id": "to_id"})
    w = m[m["to_kind"] == "welfare_institution"]
    best = w.loc[w.groupby("from_id")["walk_min"].idxmin()] if len(w) else w
    m["nearest"] = m.index.isin(best.index)
    return m.sort_values(["from_id", "walk_min"]).reset_index(drop=True)[cols]


def rescue_to_welfare(data, policy, *, network: TravelNetwork | None = None,
                      times: pd.DataFrame | None = None) -> pd.DataFrame:
    """From each rescue-protection institution to the welfare institutions, nearest first.

    001 §2: a rescue-protection institution short of capacity may entrust children to the
    nearest welfare institution. "Nearest" is the fastest walk of :func:`institution_times`
    (the same travel model as siting); ``rank`` 1 is the one to ask first.

    Returns
    -------
    DataFrame
        ``from_id, from_name, to_id, to_name, rank, walk_min, route_m, straight_m, metric``.
    """
    cols = ["from_id", "from_name", "to_id", "to_name", "rank", "walk_min", "route_m",
            "straight_m", "metric"]
    t = times if times is not None else institution_times(data, policy, network=network)
    t = t[(t["from_kind"] == "rescue_protection") & (t["to_kind"] == "welfare_institution")]
    if not len(t):
        return pd.DataFrame({c: [] for c in cols})
    f = data.facilities
    names = (dict(zip(f["facility_id"].astype(str), f["name"].fillna("").astype(str),
                      strict=True)) if "name" in f.columns else {})
    t = t.sort_values(["from_id", "walk_min", "to_id"]).copy()
    t["rank"] = t.groupby("from_id").cumcount() + 1
    t["from_name"] = t["from_id"].map(names).fillna("")
    t["to_name"] = t["to_id"].map(names).fillna("")
    for c in ("walk_min", "route_m", "straight_m"):
        t[c] = t[c].round(1)
    return t.reset_index(drop=True)[cols]
