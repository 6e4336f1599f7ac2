"""Which common form for the solver layer: PuLP objects or plain arrays? (optimization/solver.py)

Usage::

    python bench/solver_forms.py [--only siting,staffing] [--repeat 3]

* siting: the demo county 500109's siting model as one monolithic block (the real pipeline),
  built as arrays (``optimization.solver.Model``) and solved (a) through highspy with the
  arrays passed whole, (b) as PuLP objects (``to_pulp``) solved by PuLP's ``HiGHS`` interface,
  (c) as PuLP objects solved by PuLP's bundled CBC (``COIN_CMD``), (d) arrays through
  ``solver.solve(..., "cbc")``.
* staffing: every model ``solve_staffing`` passes to ``solver.solve`` on the demo county (its
  LP stages), captured as built, then solved the same four ways (arrays through
  ``solver.solve`` with HiGHS / CBC; ``to_pulp`` then PuLP's ``HiGHS`` / ``COIN_CMD``, the
  form staffing used before it moved onto the solver layer).

Times are wall-clock seconds of conversion + solve (min over ``--repeat``), on a shared machine:
compare within a row, never assert on them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pulp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimization import solver as sl  # noqa: E402


def _best(fn, repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def siting_rows(repeat: int):
    from geo.layers import load_demo
    from geo.siting_inputs import siting_inputs
    from optimization.policy import load_policy
    from optimization.siting import build_siting_problem, monolithic_model

    county = load_demo("500109")
    policy = load_policy().siting
    v, s, p = siting_inputs(county.villages, county.facilities, policy,
                            waterways=county.waterways, crossings=county.crossings)
    problem = build_siting_problem(v, s, p, policy, allow_uncovered=True)
    model = monolithic_model(problem)

    def pulp_highs():
        prob, _ = sl.to_pulp(model)
        prob.solve(pulp.HiGHS(msg=False))

    def pulp_cbc():
        prob, _ = sl.to_pulp(model)
        prob.solve(pulp.COIN_CMD(path=sl._cbc_path(), msg=False))

    yield ("siting demo-500109", model.n_cols, model.n_rows, {
        "arrays->highspy": _best(lambda: sl.solve(model, "highs"), repeat),
        "PuLP->HiGHS": _best(pulp_highs, repeat),
        "arrays->CBC": _best(lambda: sl.solve(model, "cbc"), repeat),
        "PuLP->CBC": _best(pulp_cbc, repeat),
    })


def staffing_rows(repeat: int):
    sys.path.insert(0, str(ROOT / "bench"))
    from staffing import demo_county  # bench/staffing.py

    import optimization.staffing_solve as ss
    from optimization.policy import load_policy
    from optimization.staffing import build_staffing_problem, make_synthetic_county, solve_staffing

    villages, roster = demo_county() or make_synthetic_county(500, 3.0, seed=1)
    problem = build_staffing_problem(villages, roster, load_policy())
    captured: list[tuple[sl.Model, bool]] = []
    original = ss.solve

    def capture(model, *a, **kw):
        captured.append((model, bool(model.arrays()[3].any())))
        return original(model, *a, **kw)

    ss.solve = capture
    try:
        solve_staffing(problem, "highs")
    finally:
        ss.solve = original
    cols = sum(m.n_cols for m, _ in captured)
    rows = sum(m.n_rows for m, _ in captured)

    def as_pulp(make):
        for m, mip in captured:
            prob, _ = sl.to_pulp(m)
            prob.solve(make(mip))

    def as_arrays(name):
        for m, _ in captured:
            sl.solve(m, name)

    yield (f"staffing demo-500109 ({len(captured)} calls)", cols, rows, {
        "arrays->highspy": _best(lambda: as_arrays("highs"), repeat),
        "PuLP->HiGHS": _best(lambda: as_pulp(lambda mip: pulp.HiGHS(msg=False, mip=mip)),
                             repeat),
        "arrays->CBC": _best(lambda: as_arrays("cbc"), repeat),
        "PuLP->CBC": _best(lambda: as_pulp(lambda mip: pulp.COIN_CMD(
            path=sl._cbc_path(), msg=False, mip=mip)), repeat),
    })


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="siting,staffing")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    gens = ([siting_rows(args.repeat)] if "siting" in only else []) + (
        [staffing_rows(args.repeat)] if "staffing" in only else [])
    for gen in gens:
        for name, ncols, nrows, times in gen:
            cells = "  ".join(f"{k} {v:.3f} s" for k, v in times.items())
            print(f"{name:<36} cols {ncols:>7} rows {nrows:>7}  {cells}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
