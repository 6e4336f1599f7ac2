"""Solve OR-Library's capacitated p-median set (pmedcap1) with the capacitated model.

Usage::

    python bench/pmedcap.py [--dir ../shared/benchmarks/pmedcap1] [--only 1,2,11]
                            [--solvers highs,cbc,cpsat] [--time-limit 300] [--threads 2]
                            [--no-lagrange] [--no-search]

Twenty instances (Osman and Christofides 1994): n = 50, p = 5 (1–10) and n = 100, p = 10
(11–20), capacity 120, truncated Euclidean distances d = floor(sqrt(dx² + dy²)) (see the
set's README and optimal.txt). Prints one line per instance and solver: objective, published
optimum, proven bound, status, what closed the gap, sites fixed by the Lagrangian bound, and
the wall-clock time of the whole call. Timings are on a shared machine: never asserted on.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimization.capacitated import p_median_capacitated, solve_capacitated  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "benchmarks" / "pmedcap1"


def read_pmedcap(path: Path):
    """(optimum, distances, demand, capacity, p) of one pmedcap1 file."""
    t = path.read_text().split()
    opt, n, p, cap = int(t[1]), int(t[2]), int(t[3]), int(t[4])
    a = np.array(t[5:5 + 4 * n], float).reshape(n, 4)
    xy = a[:, 1:3]
    dist = np.floor(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)))
    return opt, dist, a[:, 3], cap, p


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR
                    if DEFAULT_DIR.exists() else Path("/work/shared/benchmarks/pmedcap1"))
    ap.add_argument("--only", default=",".join(str(k) for k in range(1, 21)))
    ap.add_argument("--solvers", default="highs")
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--no-lagrange", action="store_true")
    ap.add_argument("--no-search", action="store_true")
    args = ap.parse_args(argv)
    if not args.dir.exists():
        raise SystemExit(f"pmedcap1 not found at {args.dir}")
    print(f"# load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    print(f"{'instance':<14} {'n':>4} {'p':>3} {'solver':<6} {'objective':>9} {'optimum':>8} "
          f"{'bound':>8} {'status':<9} {'proven_by':<9} {'fixed':>5} {'seconds':>8}", flush=True)
    total = {}
    for k in (int(x) for x in args.only.split(",")):
        path = args.dir / f"pmedcap1({k}).txt"
        opt, dist, demand, cap, p = read_pmedcap(path)
        prob = p_median_capacitated(dist, demand, cap, p)
        for solver in args.solvers.split(","):
            t0 = time.perf_counter()
            plan = solve_capacitated(prob, solver, gap_rel=0.0, time_limit_s=args.time_limit,
                                     threads=args.threads, lagrange=not args.no_lagrange,
                                     search=not args.no_search)
            secs = time.perf_counter() - t0
            b = plan.blocks[0]
            total.setdefault(solver, []).append((secs, plan.objective == opt and
                                                 plan.status == "optimal"))
            print(f"{path.stem:<14} {len(demand):>4} {p:>3} {solver:<6} {plan.objective:>9g} "
                  f"{opt:>8} {plan.bound:>8g} {plan.status:<9} {b.proven_by:<9} "
                  f"{b.fixed_sites:>5} {secs:>8.2f}", flush=True)
    for solver, rows in total.items():
        secs = [s for s, _ in rows]
        print(f"# {solver}: {sum(ok for _, ok in rows)}/{len(rows)} at the published optimum and "
              f"proven; total {sum(secs):.1f} s, max {max(secs):.1f} s; load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
