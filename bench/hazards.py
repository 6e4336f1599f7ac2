"""Time the drowning-risk analysis: the demo counties and a synthetic 5,000-village prefecture.

Usage::

    python bench/hazards.py [--quick] [--no-raster] [--exports]

Instances
---------
* ``demo-500109``, ``demo-350821`` — the embedded demo counties through
  :func:`geo.hazards.analyse_hazards` (their synthetic DEM included).
* ``prefecture-5000`` — 5,000 synthetic villages on a 138 km square (19,000 km², the size of
  龙岩市), made here with a fixed seed: ~1 valley stream per 60 km² (meandering lines 3–25 km)
  with 80 % of the villages within ~400 m of one, 6 rivers crossing the square, ponds
  (0.2–2 ha) near 30 % of the villages, 20 reservoirs, 30 canals; schools, kindergartens and
  儿童之家 near a third of the villages, one institution of each county kind per 700 villages; a
  100 m synthetic DEM (valley floors low, rising with distance from the streams) and, with
  ``+pop``, a 100 m child-population raster (each village's children spread over a 5×5 block).

Prints one row per instance: segments, villages, facilities, seconds per stage (segment,
chiefs, dem, villages, facilities, raster, spots, flood) and the total. ``--exports`` also
times :func:`childplan.workflows.run_hazards` (CSV, XLSX, one PDF per chief) on the demo county.
Wall-clock times on a shared machine; nothing is asserted (the target is < 30 s in total for
the prefecture).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.hazards import analyse_hazards  # noqa: E402
from geo.layers import CountyData, load_demo  # noqa: E402
from geo.report import Report  # noqa: E402
from optimization.policy import load_policy  # noqa: E402

CRS = 4548  # CGCS2000 GK zone CM 117E (Longyan, Fujian)
X0, Y0 = 440_000.0, 2_720_000.0
SIDE = 138_000.0
STAGES = ("segment", "chiefs", "dem", "villages", "facilities", "raster", "spots", "flood")


def _meander(rng, start, n_steps, step=400.0):
    x, y = start
    heading = rng.uniform(0, 2 * np.pi)
    pts = [(x, y)]
    for _ in range(n_steps):
        heading += rng.normal(0, 0.3)
        x, y = x + step * np.cos(heading), y + step * np.sin(heading)
        pts.append((x, y))
    return np.array(pts)


def synthetic_prefecture(n_villages: int = 5000, seed: int = 7, raster: bool = True,
                         folder: Path | None = None) -> tuple[CountyData, Path | None]:
    """A CountyData of ``n_villages`` synthetic villages with waterways, facilities and a DEM."""
    import rasterio
    from affine import Affine
    from rasterio.features import rasterize
    from scipy.ndimage import distance_transform_edt

    rng = np.random.default_rng(seed)
    area = shapely.box(X0, Y0, X0 + SIDE, Y0 + SIDE)
    # streams along valleys, rivers across the square
    n_streams = int(SIDE * SIDE / 60e6)
    streams = [shapely.intersection(shapely.LineString(_meander(
        rng, rng.uniform([X0, Y0], [X0 + SIDE, Y0 + SIDE]), int(rng.uniform(8, 60)))), area)
        for _ in range(n_streams)]
    rivers = []
    for _ in range(6):
        ys = np.linspace(Y0, Y0 + SIDE, 60)
        xs = X0 + rng.uniform(0.1, 0.9) * SIDE + np.cumsum(rng.normal(0, 600, 60))
        rivers.append(shapely.intersection(shapely.LineString(np.column_stack([xs, ys])), area))
    streams = [s for s in streams if not s.is_empty and s.length > 1000]
    # villages: 80 % near a stream, 20 % anywhere
    lengths = np.array([s.length for s in streams])
    n_valley = int(0.8 * n_villages)
    pick = rng.choice(len(streams), n_valley, p=lengths / lengths.sum())
    along = shapely.line_interpolate_point(np.array(streams, dtype=object)[pick],
                                           rng.uniform(0, 1, n_valley), normalized=True)
    xy = shapely.get_coordinates(along) + rng.normal(0, 400, (n_valley, 2))
    xy = np.vstack([xy, rng.uniform([X0, Y0], [X0 + SIDE, Y0 + SIDE],
                                    (n_villages - n_valley, 2))])
    xy = np.clip(xy, [X0 + 10, Y0 + 10], [X0 + SIDE - 10, Y0 + SIDE - 10])
    vpts = shapely.points(xy)
    # codes: 7 counties x townships of ~20 villages, by position
    county = np.minimum((xy[:, 0] - X0) // (SIDE / 7), 6).astype(int)
    tgrid = ((xy[:, 1] - Y0) // (SIDE / 36)).astype(int)
    town = county * 40 + tgrid
    order = np.lexsort((xy[:, 0], town))
    serial = np.zeros(n_villages, dtype=int)
    serial[order] = pd.Series(town[order]).groupby(town[order]).cumcount().to_numpy() + 1
    adcodes = np.array([f"3508{21 + c:02d}" for c in range(7)])
    tcode = np.array([f"{adcodes[c]}{100 + t:03d}" for c, t in zip(county, tgrid, strict=True)])
    vcode = np.char.add(tcode.astype(str), np.char.zfill(serial.astype(str), 3))
    children = np.clip(np.round(rng.lognormal(np.log(105), 0.5, n_villages)), 50, 600)
    lb = np.round(children * rng.uniform(0.08, 0.3, n_villages))
    diff = np.round(children * rng.uniform(0.01, 0.05, n_villages))
    villages = gpd.GeoDataFrame({
        "village_code": vcode, "name": vcode, "township_code": tcode,
        "resident_children": children.astype(int), "left_behind": lb.astype(int),
        "orphan": 0, "unsupported": 0, "illness_disability": 0, "dibao_tekun": 0,
        "difficulty_other": diff.astype(int), "key_attention": np.round(0.2 * (lb + diff)).astype(int),
        "is_synthetic": True,
    }, geometry=vpts, crs=CRS)
    # ponds near 30 % of villages, reservoirs, canals
    near = rng.random(n_villages) < 0.3
    ang = rng.uniform(0, 2 * np.pi, near.sum())
    dist = rng.uniform(80, 400, near.sum())
    centres = xy[near] + np.column_stack([np.cos(ang), np.sin(ang)]) * dist[:, None]
    ponds = shapely.buffer(shapely.points(centres), np.sqrt(rng.uniform(2000, 20000, len(centres))
                                                            / np.pi), quad_segs=4)
    res_c = rng.uniform([X0, Y0], [X0 + SIDE, Y0 + SIDE], (20, 2))
    reservoirs = shapely.buffer(shapely.points(res_c), rng.uniform(200, 500, 20), quad_segs=8)
    canals = [shapely.LineString(_meander(rng, rng.uniform([X0, Y0], [X0 + SIDE, Y0 + SIDE]), 10,
                                          step=300)) for _ in range(30)]
    geoms = list(rivers) + streams + list(ponds) + list(reservoirs) + canals
    kinds = (["river"] * len(rivers) + ["stream"] * len(streams) + ["pond"] * len(ponds)
             + ["reservoir"] * len(reservoirs) + ["canal"] * len(canals))
    waterways = gpd.GeoDataFrame({
        "water_id": [f"W-{k}-{i:05d}" for i, k in enumerate(kinds)], "kind": kinds,
        "name": [f"{k}{i}" for i, k in enumerate(kinds)], "is_synthetic": True,
    }, geometry=geoms, crs=CRS)
    # facilities
    kinds_f, host = [], []
    for kind, share in (("primary_school", 0.3), ("kindergarten", 0.2), ("children_home", 0.35),
                        ("service_station", 1.0)):
        h = np.flatnonzero(rng.random(n_villages) < share)
        kinds_f += [kind] * len(h)
        host.append(h)
    host = np.concatenate(host)
    for kind in ("township_station", "rescue_protection", "welfare_institution"):
        h = rng.choice(n_villages, max(1, n_villages // 700), replace=False)
        kinds_f += [kind] * len(h)
        host = np.concatenate([host, h])
    ang = rng.uniform(0, 2 * np.pi, len(host))
    d = rng.uniform(50, 400, len(host))
    fxy = xy[host] + np.column_stack([np.cos(ang), np.sin(ang)]) * d[:, None]
    facilities = gpd.GeoDataFrame({
        "facility_id": [f"F-{i:06d}" for i in range(len(host))], "kind": kinds_f,
        "name": "", "village_code": vcode[host], "township_code": tcode[host],
        "is_synthetic": True,
    }, geometry=shapely.points(fxy), crs=CRS)
    # DEM: 100 m, low along streams and rivers
    folder = Path(folder or tempfile.mkdtemp(prefix="bench-hazards-"))
    n = int(SIDE // 100)
    tr = Affine(100.0, 0.0, X0, 0.0, -100.0, Y0 + SIDE)
    lines = rasterize([(g, 1) for g in list(rivers) + streams], out_shape=(n, n), transform=tr)
    dist_m = distance_transform_edt(lines == 0) * 100.0
    z = 250 + 0.55 * 700 * (1 - np.exp(-dist_m / 700.0)) + rng.normal(0, 3, (n, n))
    dem = folder / "dem.tif"
    with rasterio.open(dem, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32",
                       crs=f"EPSG:{CRS}", transform=tr, nodata=-9999) as ds:
        ds.write(z.astype("float32"), 1)
    pop_path = None
    if raster:
        pop = np.zeros((n, n), dtype="float32")
        col = ((xy[:, 0] - X0) // 100).astype(int)
        row = ((Y0 + SIDE - xy[:, 1]) // 100).astype(int)
        for dr in range(-2, 3):
            for dc in range(-2, 3):
                r, c = np.clip(row + dr, 0, n - 1), np.clip(col + dc, 0, n - 1)
                np.add.at(pop, (r, c), children / 25.0)
        pop_path = folder / "children.tif"
        with rasterio.open(pop_path, "w", driver="GTiff", width=n, height=n, count=1,
                           dtype="float32", crs=f"EPSG:{CRS}", transform=tr, nodata=-1) as ds:
            ds.write(pop, 1)
    county = gpd.GeoDataFrame({"adcode": ["350800"], "name": ["synthetic prefecture"],
                               "designations": [""], "is_synthetic": [True]},
                              geometry=[area], crs=CRS).to_crs(4326)
    townships = (villages.assign(geometry=villages.geometry.buffer(1500))
                 .dissolve("township_code").reset_index()[["township_code", "geometry"]])
    townships["name"] = townships["township_code"]
    data = CountyData(
        adcode="350800", name="synthetic prefecture", county=county,
        townships=townships.to_crs(4326), villages=villages.to_crs(4326),
        facilities=facilities.to_crs(4326), waterways=waterways.to_crs(4326),
        crossings=gpd.GeoDataFrame(geometry=[], crs=4326), roster=pd.DataFrame(),
        dem_path=dem, report=Report())
    return data, pop_path


def row(name, data, policy, population_path=None) -> dict:
    t0 = time.perf_counter()
    a = analyse_hazards(data, policy, population_path=population_path)
    total = time.perf_counter() - t0
    out = {"instance": name, "n_segments": len(a.segments), "n_villages": len(data.villages),
           "n_facilities": len(data.facilities)}
    out.update({s: a.timings.get(s, 0.0) for s in STAGES})
    out["total_s"] = total
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="demo counties only")
    ap.add_argument("--no-raster", action="store_true", help="skip the +pop variant")
    ap.add_argument("--exports", action="store_true", help="also time run_hazards on 500109")
    args = ap.parse_args(argv)
    policy = load_policy()
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} · {os.cpu_count()} cores · "
          f"load {os.getloadavg()[0]:.1f} at start · segment {policy.hazards.segment_length_m:g} m"
          f" · buffer {policy.hazards.buffer_m:g} m")
    head = (f"{'instance':<24}{'segments':>9}{'villages':>9}{'facil.':>7}"
            + "".join(f"{s[:9]:>10}" for s in STAGES) + f"{'total_s':>9}")
    print(head)
    print("-" * len(head))

    def show(r):
        print(f"{r['instance']:<24}{r['n_segments']:>9,}{r['n_villages']:>9,}{r['n_facilities']:>7,}"
              + "".join(f"{r[s]:>10.2f}" for s in STAGES) + f"{r['total_s']:>9.2f}", flush=True)

    for adcode in ("500109", "350821"):
        t0 = time.perf_counter()
        data = load_demo(adcode)
        load_s = time.perf_counter() - t0
        r = row(f"demo-{adcode}", data, policy)
        show(r)
        print(f"{'':<24}(loading and validating the county: {load_s:.2f} s, not counted)")
    if not args.quick:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            data, pop = synthetic_prefecture(5000, raster=not args.no_raster, folder=Path(tmp))
            print(f"{'':<24}(making the synthetic prefecture: {time.perf_counter() - t0:.1f} s,"
                  " not counted)")
            show(row("prefecture-5000", data, policy))
            if pop is not None:
                show(row("prefecture-5000 +pop", data, policy, population_path=pop))
    if args.exports:
        from childplan.workflows import run_hazards

        data = load_demo("500109")
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            paths = run_hazards(data, policy, tmp)
            n_pdf = sum(k.startswith("pdf:") for k in paths)
            print(f"exports demo-500109: {time.perf_counter() - t0:.2f} s "
                  f"(CSV, XLSX, {n_pdf} PDFs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
