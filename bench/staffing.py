"""Time the staffing model on the demo county and on synthetic counties.

Usage::

    python bench/staffing.py [--solver cbc|highs|both] [--quick] [--mip]

Instances: the demo county 500109 (when data/ holds it), a synthetic 500-village county
(1,500 candidates), the same size with ``max_villages_per_director`` = 2 (MILPs, one block per
model) and the issue's 5,000 villages x 15,000 candidates (20 villages per township, villages
about 2 km apart: see ``optimization.staffing.make_synthetic_county``).
``--quick`` skips the 5,000-village county; ``--mip`` also runs the MILP path (``method="mip"``)
on the small instances for comparison.

Prints one line per instance, solver and method: villages, candidates, pair variables,
variables and constraints of the models as built, blocks/batches, seconds of
``solve_staffing`` (model building and every solver call included; reading and pair building
shown apart as ``prep_s``), status. Times are wall-clock on whatever else the machine is doing;
nothing here is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from optimization.policy import load_policy  # noqa: E402
from optimization.staffing import (  # noqa: E402
    build_staffing_problem,
    make_synthetic_county,
    solve_staffing,
)

SOLVERS = {"cbc": "cbc", "highs": "highs"}  # the one name set of optimization.solver


def demo_county(adcode: str = "500109"):
    """(villages, roster) of a demo county, or None when it has not been generated."""
    v = REPO / "data" / "boundaries" / adcode / "villages.geojson"
    r = REPO / "data" / "facilities" / adcode / "roster.csv"
    if not (v.exists() and r.exists()):
        return None
    import geopandas as gpd

    g = gpd.read_file(v)
    villages = pd.DataFrame(g.drop(columns="geometry")).assign(lon=g.geometry.x, lat=g.geometry.y)
    return villages, pd.read_csv(r, dtype=str, keep_default_na=False)


def instances(quick: bool):
    """(name, (villages, roster), policy overrides, small enough for the MILP comparison)."""
    demo = demo_county()
    if demo is not None:
        yield "demo 500109", demo, {}, True
    yield "synthetic 500", make_synthetic_county(500, 3.0, seed=1), {}, True
    # one director may serve up to 2 neighbouring small villages (<= 40 targets): MILPs
    yield "synthetic 500 K=2", make_synthetic_county(500, 1.5, seed=1), {
        "staffing.max_villages_per_director": 2, "staffing.small_village_max_targets": 40}, False
    if not quick:
        yield "synthetic 5000x15000", make_synthetic_county(5000, 3.0, seed=1), {}, False


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--solver", choices=["cbc", "highs", "both"], default="both")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--mip", action="store_true")
    args = ap.parse_args(argv)
    solvers = ["cbc", "highs"] if args.solver == "both" else [args.solver]
    policy = load_policy()
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} · {os.cpu_count()} cores · "
          f"load {os.getloadavg()[0]:.1f} at start")
    head = (f"{'instance':<22}{'villages':>9}{'cands':>7}{'pairs':>8}{'vars':>8}{'rows':>7}"
            f"{'blk/mod':>9} {'solver':<7}{'method':<5}{'prep_s':>7}{'solve_s':>8}  status")
    print(head)
    print("-" * len(head))
    for name, (villages, roster), overrides, small in instances(args.quick):
        t0 = time.perf_counter()
        problem = build_staffing_problem(villages, roster, policy.with_overrides(overrides))
        prep = time.perf_counter() - t0
        methods = ["auto", "mip"] if args.mip and small else ["auto"]
        for key in solvers:
            for method in methods:
                plan = solve_staffing(problem, SOLVERS[key], method=method)
                s = plan.stats
                shown = "lp" if s.lp_batches == s.batches and s.batches else "mip"
                print(f"{name:<22}{len(villages):>9}{len(roster):>7}{len(problem.pairs):>8}"
                      f"{s.variables:>8}{s.constraints:>7}{f'{s.blocks}/{s.batches}':>9} "
                      f"{key:<7}{shown:<5}{prep:>7.2f}{s.seconds:>8.2f}  {s.status}",
                      flush=True)
    print(f"# load {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
