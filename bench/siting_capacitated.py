"""Capacitated single-source siting at county and prefecture scale: CBC, HiGHS, CP-SAT.

Usage::

    python bench/siting_capacitated.py [--sizes 500,5000] [--capacity 150]
                                       [--solvers highs,cbc,cpsat] [--time-limit 60,600]
                                       [--threads 2] [--baseline] [--counts all|others]

Instances: synthetic villages made by ``bench/siting.py``'s generator (80 % along valleys,
20 % uniform, 1.5 candidate sites per village, median 60 resident children so ~80 % are under
the own-home threshold: the hard variant) laid on an explicit **rectangle** of 3.75 km² per
village (500 villages: 43 km × 43 km; 5,000: 137 km × 137 km) — not a county boundary, named
``rect`` in the output. Candidates, pairs within the 3 km cap and own-home villages come from
the real pipeline (``geo.siting_inputs`` and ``optimization.siting.build_siting_problem``);
every host gets ``--capacity`` children.

The capacitated model (:mod:`optimization.capacitated`) then decides everything: each village
with ≥ 100 children picks one of its in-village sites (its own home), every other village goes
whole to one open home within the cap, cost first and child-weighted distance second
(lexicographic). ``--counts all``: an own home's capacity counts its own children too (what
``optimization.siting`` does today, leftover clipped at 0); ``others``: only children from
other villages count. ``--baseline`` also runs the product's ``solve_siting`` with
``default_capacity``: ``site-<solver>`` (binding capacities handed to the capacitated model by
``optimization.siting_capacity``, own-home site chosen by the model among the village's sites)
and ``milp-<solver>`` (the generic siting MILP, ``capacitated=False``); ``--product`` only
the first, ``--skip-standalone`` drops ``cap-<solver>``.

Columns: time of the whole call, status (from the proven gap), homes, cost, gap on the
weighted objective, cost gap, blocks still open, sites fixed by the Lagrangian bound. Timings
are wall-clock on a shared 2-core machine (the load average is printed): never asserted on.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.siting_inputs import siting_inputs  # noqa: E402
from optimization.capacitated import CapProblem, solve_capacitated  # noqa: E402
from optimization.policy import load_policy  # noqa: E402
from optimization.siting import build_siting_problem, solve_siting  # noqa: E402


def _generator():
    spec = importlib.util.spec_from_file_location("bench_siting", ROOT / "bench" / "siting.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.synthetic


def rectangle(n: int) -> shapely.Geometry:
    """A WGS84 rectangle of ~3.75 km² per village near 北碚 (an explicit, named stand-in)."""
    side_km = (3.75 * n) ** 0.5
    dlat = side_km / 111.0
    dlon = side_km / (111.0 * np.cos(np.radians(29.8)))
    return shapely.box(106.2, 29.6, 106.2 + dlon, 29.6 + dlat)


def instance(n: int, capacity: float, seed: int):
    """(name, SitingProblem) with every host's capacity set to ``capacity``."""
    synthetic = _generator()
    v, f = synthetic([rectangle(n)], ["500109"], n, seed, 60.0)
    policy = load_policy().with_overrides({"siting.default_capacity": int(capacity)})
    vt, sites, pairs = siting_inputs(v, f, policy)
    problem = build_siting_problem(vt, sites, pairs, policy.siting, allow_uncovered=True)
    return f"rect-{n}-m60-cap{capacity:g}", problem


def to_capacitated(problem, counts: str = "all") -> CapProblem:
    """The siting instance as a :class:`CapProblem` (own-home site chosen by the model)."""
    vt, st = problem.villages, problem.sites
    children = np.rint(vt["resident_children"].to_numpy(float)).astype(np.int64)
    cap = st["capacity"].to_numpy(float)
    cap = np.where(cap > 0, cap, np.inf)
    pv, ps, d = problem.pair_village, problem.pair_site, problem.pair_distance
    big = vt["own_home"].to_numpy(bool)
    code_row = {c: i for i, c in enumerate(vt["village_code"])}
    sv = np.array([code_row.get(c, -1) for c in st["village_code"]], np.int64)
    own = np.flatnonzero((sv >= 0) & big[np.maximum(sv, 0)])
    ov = sv[own]
    # pairs of small villages as given; a large village to each site inside it (0 m)
    small_pairs = ~big[pv]
    pv_all = np.concatenate([pv[small_pairs], ov])
    ps_all = np.concatenate([ps[small_pairs], own])
    dist = np.concatenate([d[small_pairs], np.zeros(len(own))])
    load = children[pv_all].copy()
    if counts == "others":
        load[len(pv[small_pairs]):] = 0
    else:  # the own village counts, but never more than the home holds (served anyway)
        load = np.minimum(load, np.where(np.isfinite(cap[ps_all]), cap[ps_all], load))
    key = pv_all * len(st) + ps_all
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)
    return CapProblem.from_arrays(
        village_load=children, site_cost=st["cost_yuan"].to_numpy(float), site_capacity=cap,
        pair_village=pv_all[first], pair_site=ps_all[first],
        pair_cost=(children[pv_all] * dist)[first], pair_load=load[first], lexicographic=True,
        village_ids=vt["village_code"].astype(str).tolist(),
        site_ids=st["site_id"].astype(str).tolist())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="500,5000")
    ap.add_argument("--capacity", type=float, default=150.0)
    ap.add_argument("--solvers", default="highs,cbc,cpsat")
    ap.add_argument("--time-limit", default="60,600",
                    help="seconds per size (one value, or one per size)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--counts", choices=["all", "others"], default="all")
    ap.add_argument("--baseline", action="store_true",
                    help="also the product's solve_siting: site-<solver> (hands binding "
                         "capacities to the capacitated model) and milp-<solver> (the generic "
                         "MILP, capacitated=False)")
    ap.add_argument("--product", action="store_true",
                    help="only the product path (solve_siting, site-<solver>) besides the "
                         "standalone model")
    ap.add_argument("--skip-standalone", action="store_true",
                    help="do not run the standalone model (cap-<solver>)")
    ap.add_argument("--no-lagrange", action="store_true")
    ap.add_argument("--no-search", action="store_true")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    limits = [float(t) for t in args.time_limit.split(",")]
    limits = limits * len(sizes) if len(limits) == 1 else limits
    print(f"# load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    print(f"{'instance':<22} {'model':<14} {'blocks':>6} {'pairs':>7} {'status':<9} "
          f"{'homes':>5} {'cost_yuan':>11} {'gap':>8} {'cost_gap':>8} {'open':>4} "
          f"{'fixed':>5} {'seconds':>8}", flush=True)
    for n, limit in zip(sizes, limits, strict=True):
        t0 = time.perf_counter()
        name, problem = instance(n, args.capacity, args.seed)
        prob = to_capacitated(problem, args.counts)
        print(f"# {name}: {prob.n_villages} villages ({int(problem.villages['own_home'].sum())}"
              f" with own homes), {prob.n_sites} sites, {prob.n_pairs} pairs, built in "
              f"{time.perf_counter() - t0:.1f} s; time limit {limit:g} s", flush=True)
        for solver in ([] if args.skip_standalone else args.solvers.split(",")):
            t1 = time.perf_counter()
            plan = solve_capacitated(prob, solver, time_limit_s=limit, threads=args.threads,
                                     lagrange=not args.no_lagrange, search=not args.no_search)
            secs = time.perf_counter() - t1
            fixed = sum(b.fixed_sites for b in plan.blocks)
            print(f"{name:<22} {'cap-' + solver:<14} {len(plan.blocks):>6} {prob.n_pairs:>7} "
                  f"{plan.status:<9} {plan.n_open:>5} {plan.cost:>11,.0f} {_pct(plan.gap):>8} "
                  f"{_pct(plan.cost_gap):>8} {len(plan.open_blocks):>4} {fixed:>5} "
                  f"{secs:>8.1f}", flush=True)
            for b in plan.open_blocks[:5]:
                print(f"#   open block: {b.villages} villages, {b.sites} sites, gap "
                      f"{_pct(b.gap)}, cost gap {_pct(1 - b.cost_bound / b.cost) if b.cost else '-'}"
                      f", first villages {', '.join(b.village_ids[:3])}", flush=True)
        if args.baseline or args.product:
            runs = [(f"{'site' if c is None else 'milp'}-{s}", s, c)
                    for s in args.solvers.split(",") if s in ("highs", "cbc")
                    for c in ((None,) if not args.baseline else (None, False))]
            for label, solver, capacitated in runs:
                t1 = time.perf_counter()
                sp = solve_siting(problem, solver, time_limit_s=limit, threads=args.threads,
                                  capacitated=capacitated)
                st = sp.stats
                print(f"{name:<22} {label:<14} {st.components:>6} "
                      f"{problem.n_pairs:>7} {st.status:<9} {len(sp.homes):>5} "
                      f"{sp.total_cost_yuan:>11,.0f} {_pct(st.gap):>8} {_pct(st.cost_gap):>8} "
                      f"{len(st.open_blocks):>4} {'':>5} {time.perf_counter() - t1:>8.1f}",
                      flush=True)
                for b in st.open_blocks[:5]:
                    print(f"#   open block: {b.villages} villages, {b.sites} sites, gap "
                          f"{_pct(b.gap)}, first villages {', '.join(b.village_ids[:3])}",
                          flush=True)
    print(f"# load average {os.getloadavg()[0]:.1f}", flush=True)
    return 0


def _pct(x: float) -> str:
    return "-" if x != x else ("inf" if x == float("inf") else f"{100 * x:.3f}%")


if __name__ == "__main__":
    raise SystemExit(main())
