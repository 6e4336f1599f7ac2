#!/usr/bin/env python
"""Build the synthetic road network (示意数据) of the embedded demo counties.

Reads only the committed demo layers (villages, township/county facilities, waterways,
crossings, county boundary and the DEM) and writes ``data/facilities/<adcode>/roads.geojson``.
No randomness: the same inputs give byte-identical output (``--check`` compares).

How the network is made (see data/README.md, "roads.geojson")
------------------------------------------------------------
1. Nodes: every village point, every township seat (the 未成年人保护工作站 point), the county
   seat (the 未成年人救助保护机构 point) and, for every bridge on a river, two bank points
   40 m either side of the river, perpendicular to it. The bank-to-bank segment is the bridge
   (``bridge = true``); it is the only way a road crosses a river.
2. Candidate links: the Delaunay triangulation of the nodes. A link is dropped if it crosses
   a river or a reservoir/pond, leaves the county (300 m tolerance) or is longer than 6 km.
3. Cost of a link: its length times ``1 + 8·mean|slope|`` on the DEM, so roads follow the
   valleys rather than climb the ridges.
4. Roads: the minimum spanning tree of the links (bridges are the cheapest links, so they are
   all in it), plus every other link whose tree detour costs more than twice the link, which
   gives loops as real networks have.
5. Classes: links on the cheapest path from the county seat to each township seat are 县道
   (``county``), on the paths to the two farthest seats 国道/省道 (``trunk``); links used by
   the paths of three or more villages to their township seat are 乡道 (``township``); the
   other tree links are 村道 (``village``) and the loop links 步道 (``path``). A bridge takes
   the best class of the links at its ends.

Usage::

    python data/make_roads.py                 # both demo counties, into data/
    python data/make_roads.py --check         # regenerate in memory and compare
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra, minimum_spanning_tree
from scipy.spatial import Delaunay

DATA = Path(__file__).resolve().parent
ADCODES = ("350821", "500109")
CLASS_ORDER = ("trunk", "county", "township", "village", "path")
BANK_M = 40.0
MAX_LINK_M = 6000.0
SLOPE_WEIGHT = 8.0
LOOP_DETOUR = 2.0


def _read(data_dir: Path, adcode: str):
    b = data_dir / "boundaries" / adcode
    f = data_dir / "facilities" / adcode
    return (gpd.read_file(b / "county.geojson"), gpd.read_file(b / "villages.geojson"),
            gpd.read_file(f / "facilities.geojson"), gpd.read_file(f / "waterways.geojson"),
            gpd.read_file(f / "crossings.geojson"), b / "dem.tif")


class _Dem:
    def __init__(self, path: Path):
        with rasterio.open(path) as ds:
            self.z = ds.read(1).astype(float)
            self.nodata = ds.nodata
            self.inv = ~ds.transform
            self.crs = ds.crs
        if self.nodata is not None:
            self.z[self.z == self.nodata] = np.nan

    def sample(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        t = self.inv
        col = t.a * x + t.b * y + t.c
        row = t.d * x + t.e * y + t.f
        r = np.clip(np.floor(row).astype(int), 0, self.z.shape[0] - 1)
        c = np.clip(np.floor(col).astype(int), 0, self.z.shape[1] - 1)
        return self.z[r, c]


def _mean_slope(a: np.ndarray, b: np.ndarray, dem: _Dem, step: float = 100.0) -> np.ndarray:
    """Mean absolute slope along straight segments a->b (arrays of xy), sampled every step m."""
    length = np.hypot(*(b - a).T)
    n = np.maximum(2, np.ceil(length / step).astype(int) + 1)
    out = np.zeros(len(a))
    for k in np.unique(n):
        sel = np.flatnonzero(n == k)
        t = np.linspace(0.0, 1.0, k)
        xs = a[sel, 0, None] + (b[sel, 0] - a[sel, 0])[:, None] * t
        ys = a[sel, 1, None] + (b[sel, 1] - a[sel, 1])[:, None] * t
        z = dem.sample(xs.ravel(), ys.ravel()).reshape(xs.shape)
        z = np.where(np.isnan(z), np.nanmean(z, axis=1, keepdims=True), z)
        dz = np.abs(np.diff(z, axis=1)).sum(axis=1)
        out[sel] = dz / np.maximum(length[sel], 1.0)
    return np.nan_to_num(out)


def build_roads(data_dir: Path, adcode: str) -> list[tuple[dict, object]]:
    """Return the road features ``(properties, WGS84 geometry)`` of one demo county."""
    county, villages, fac, water, cross, dem_path = _read(data_dir, adcode)
    dem = _Dem(dem_path)
    crs = dem.crs
    county_m = county.to_crs(crs).geometry.union_all()
    vm = villages.sort_values("village_code").to_crs(crs)
    fm = fac.sort_values("facility_id").to_crs(crs)
    wm = water.sort_values("water_id").to_crs(crs)
    rivers = wm[wm["kind"] == "river"]
    blockers = wm[wm["kind"].isin(["river", "reservoir", "pond", "lake"])].geometry.values
    river_ids = set(rivers["water_id"])
    bridges = cross[cross["water_id"].isin(river_ids)].sort_values("crossing_id").to_crs(crs)

    seats = fm[fm["kind"] == "township_station"]
    seat_xy = shapely.get_coordinates(seats.geometry.values)
    seat_town = seats["township_code"].astype(str).to_numpy()
    cseat = fm[fm["kind"] == "rescue_protection"]
    cseat_xy = shapely.get_coordinates(cseat.geometry.values)[:1]
    v_xy = shapely.get_coordinates(vm.geometry.values)
    v_town = vm["township_code"].astype(str).to_numpy()

    # bridge bank points, perpendicular to the river at the bridge
    river_by_id = dict(zip(rivers["water_id"], rivers.geometry.values, strict=True))
    banks = []
    for wid, pt in zip(bridges["water_id"], bridges.geometry.values, strict=True):
        line = river_by_id[wid]
        s = line.project(pt)
        p0 = shapely.get_coordinates(line.interpolate(max(s - 20.0, 0.0)))[0]
        p1 = shapely.get_coordinates(line.interpolate(min(s + 20.0, line.length)))[0]
        d = p1 - p0
        d = d / max(np.hypot(*d), 1e-9)
        nrm = np.array([-d[1], d[0]])
        c = shapely.get_coordinates(pt)[0]
        banks.append((c + BANK_M * nrm, c - BANK_M * nrm))
    bank_xy = np.array([p for pair in banks for p in pair]).reshape(-1, 2)

    xy = np.vstack([v_xy, seat_xy, cseat_xy, bank_xy])
    nv, ns = len(v_xy), len(seat_xy)
    seat0, cidx, bank0 = nv, nv + ns, nv + ns + 1
    n = len(xy)
    bridge_pairs = {(bank0 + 2 * k, bank0 + 2 * k + 1) for k in range(len(banks))}

    tri = Delaunay(xy)
    e = np.vstack([tri.simplices[:, [0, 1]], tri.simplices[:, [1, 2]], tri.simplices[:, [0, 2]]])
    e = np.unique(np.sort(e, axis=1), axis=0)
    e = np.array([p for p in map(tuple, e) if p not in bridge_pairs], dtype=int).reshape(-1, 2)
    segs = shapely.linestrings(np.stack([xy[e[:, 0]], xy[e[:, 1]]], axis=1))
    length = shapely.length(segs)
    keep = length <= MAX_LINK_M
    keep &= shapely.within(segs, county_m.buffer(300.0))
    tree = shapely.STRtree(blockers)
    hit = tree.query(segs, predicate="intersects")
    keep[np.unique(hit[0])] = False
    e, segs, length = e[keep], segs[keep], length[keep]
    cost = length * (1.0 + SLOPE_WEIGHT * _mean_slope(xy[e[:, 0]], xy[e[:, 1]], dem))
    bp = np.array(sorted(bridge_pairs), dtype=int).reshape(-1, 2)
    e = np.vstack([e, bp])
    cost = np.concatenate([cost, np.hypot(*(xy[bp[:, 0]] - xy[bp[:, 1]]).T)])
    is_bridge = np.r_[np.zeros(len(cost) - len(bp), bool), np.ones(len(bp), bool)]

    full = coo_matrix((cost, (e[:, 0], e[:, 1])), shape=(n, n)).tocsr()
    mst = minimum_spanning_tree(full).tocoo()
    in_tree = set(zip(np.minimum(mst.row, mst.col).tolist(), np.maximum(mst.row, mst.col).tolist(),
                      strict=True))
    tree_mask = np.array([(a, b) in in_tree for a, b in e])
    tmat = coo_matrix((cost[tree_mask], (e[tree_mask, 0], e[tree_mask, 1])), shape=(n, n))
    td = dijkstra(tmat, directed=False, indices=np.unique(e[~tree_mask, 0]))
    row_of = {int(k): i for i, k in enumerate(np.unique(e[~tree_mask, 0]))}
    loops = np.zeros(len(e), bool)
    for i in np.flatnonzero(~tree_mask):
        a, b = e[i]
        loops[i] = td[row_of[int(a)], b] > LOOP_DETOUR * cost[i]
    use = tree_mask | loops
    e, cost, is_bridge, tree_mask = e[use], cost[use], is_bridge[use], tree_mask[use]

    g = coo_matrix((cost, (e[:, 0], e[:, 1])), shape=(n, n)).tocsr()
    g = g + g.T
    edge_of = {}
    for i, (a, b) in enumerate(e):
        edge_of[(int(a), int(b))] = i
        edge_of[(int(b), int(a))] = i

    def path_edges(pred_row, target):
        out, j = [], int(target)
        while pred_row[j] >= 0:
            out.append(edge_of[(int(pred_row[j]), j)])
            j = int(pred_row[j])
        return out

    rank = np.where(tree_mask, CLASS_ORDER.index("village"), CLASS_ORDER.index("path"))
    dist_c, pred_c = dijkstra(g, directed=False, indices=cidx, return_predecessors=True)
    seat_nodes = np.arange(seat0, seat0 + ns)
    reach = [s for s in seat_nodes if np.isfinite(dist_c[s])]
    for s in reach:
        for i in path_edges(pred_c, s):
            rank[i] = min(rank[i], CLASS_ORDER.index("county"))
    for s in sorted(reach, key=lambda s: (-dist_c[s], s))[:2]:
        for i in path_edges(pred_c, s):
            rank[i] = CLASS_ORDER.index("trunk")
    _, pred_s = dijkstra(g, directed=False, indices=seat_nodes, return_predecessors=True)
    use_count = np.zeros(len(e), int)
    seat_row = {t: k for k, t in enumerate(seat_town)}
    for v in range(nv):
        k = seat_row.get(v_town[v])
        if k is None:
            continue
        for i in path_edges(pred_s[k], v):
            use_count[i] += 1
    rank = np.where((use_count >= 3) & (rank > CLASS_ORDER.index("township")),
                    CLASS_ORDER.index("township"), rank)
    for i in np.flatnonzero(is_bridge):
        a, b = e[i]
        near = [rank[j] for j in range(len(e)) if not is_bridge[j] and (a in e[j] or b in e[j])]
        rank[i] = min(near) if near else CLASS_ORDER.index("village")

    order = np.lexsort((e[:, 1], e[:, 0], rank))
    lines = shapely.linestrings(np.stack([xy[e[order, 0]], xy[e[order, 1]]], axis=1))
    wgs = gpd.GeoSeries(lines, crs=crs).to_crs(4326).values
    feats = []
    for k, (i, geom) in enumerate(zip(order, wgs, strict=True), start=1):
        props = {"road_id": f"R-{adcode}-{k:04d}", "kind": CLASS_ORDER[rank[i]], "name": "",
                 "speed_kmh": None, "bridge": bool(is_bridge[i]), "is_synthetic": True}
        feats.append((props, geom))
    return feats


def _round(c):
    if isinstance(c, (tuple, list)) and c and isinstance(c[0], (int, float)):
        return [round(float(c[0]), 6), round(float(c[1]), 6)]
    return [_round(x) for x in c]


def geojson_text(features: list[tuple[dict, object]]) -> str:
    """The FeatureCollection text, one feature per line (the demo layers' format)."""
    lines = ['{"type":"FeatureCollection","features":[']
    for i, (props, geom) in enumerate(features):
        m = shapely.geometry.mapping(geom)
        feat = {"type": "Feature", "properties": props,
                "geometry": {"type": m["type"], "coordinates": _round(m["coordinates"])}}
        text = json.dumps(feat, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        lines.append(text + ("," if i < len(features) - 1 else ""))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def write_roads(data_dir: Path, adcode: str, out_dir: Path | None = None) -> Path:
    """Write ``roads.geojson`` atomically (into ``out_dir`` or the county's facilities folder)."""
    out = Path(out_dir or data_dir / "facilities" / adcode) / "roads.geojson"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".geojson.tmp")
    tmp.write_text(geojson_text(build_roads(data_dir, adcode)), encoding="utf-8", newline="\n")
    tmp.replace(out)
    return out


def main(argv=None) -> int:
    """Write (or with ``--check`` compare) the demo counties' roads; 1 if a file differs."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adcode", action="append", help="county (default: both demo counties)")
    ap.add_argument("--data", default=str(DATA), help="the data folder to read and write")
    ap.add_argument("--check", action="store_true", help="compare with the committed files")
    args = ap.parse_args(argv)
    data_dir = Path(args.data)
    bad = 0
    for adcode in args.adcode or ADCODES:
        if args.check:
            committed = (data_dir / "facilities" / adcode / "roads.geojson").read_text("utf-8")
            same = committed == geojson_text(build_roads(data_dir, adcode))
            print(f"{adcode}: {'identical' if same else 'DIFFERS'}")
            bad += not same
        else:
            print(write_roads(data_dir, adcode))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
