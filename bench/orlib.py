"""Solve OR-Library p-median files with the siting model's p-median core.

Usage::

    python bench/orlib.py ../shared/benchmarks/orlib-pmed/pmed*.txt [--solver cbc|highs|both]
                          [--time-limit S]

Prints one line per instance and solver: instance, n, p, objective, optimal (from the
``optimal.txt`` next to the file, when present), status, seconds. Distances are shortest paths
over the instance graph (scipy.sparse.csgraph); when an edge is listed more than once, the LAST
cost given is used (OR-Library's rule).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimization.siting import p_median_problem, solve_siting  # noqa: E402


def read_pmed(path: Path) -> tuple[np.ndarray, int]:
    """Return (shortest-path distance matrix, p) of an OR-Library pmed file."""
    tokens = path.read_text().split()
    n, e, p = int(tokens[0]), int(tokens[1]), int(tokens[2])
    edges = np.array(tokens[3:3 + 3 * e], dtype=np.int64).reshape(e, 3)
    i, j, c = edges[:, 0] - 1, edges[:, 1] - 1, edges[:, 2].astype(float)
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    last = {}
    for a, b, w in zip(lo.tolist(), hi.tolist(), c.tolist(), strict=True):
        if a != b:
            last[(a, b)] = w  # the last listing wins
    a = np.array([k[0] for k in last], dtype=np.int64)
    b = np.array([k[1] for k in last], dtype=np.int64)
    w = np.array(list(last.values()))
    g = coo_matrix((w, (a, b)), shape=(n, n)).tocsr()
    dist = shortest_path(g, method="D", directed=False)
    return dist, p


def read_optimal(directory: Path) -> dict[str, float]:
    """Read ``optimal.txt`` (``name value`` per line) if present."""
    f = directory / "optimal.txt"
    if not f.exists():
        return {}
    out = {}
    for line in f.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            out[parts[0]] = float(parts[1])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--solver", choices=["cbc", "highs", "both"], default="both")
    ap.add_argument("--time-limit", type=float, default=600.0)
    args = ap.parse_args(argv)
    solvers = ["cbc", "highs"] if args.solver == "both" else [args.solver]
    print(f"{'instance':<10} {'n':>5} {'p':>4} {'objective':>10} {'optimal':>8} {'solver':<6} "
          f"{'status':<10} {'seconds':>8}")
    for path in args.files:
        dist, p = read_pmed(path)
        known = read_optimal(path.parent).get(path.stem)
        for solver in solvers:
            t0 = time.perf_counter()
            plan = solve_siting(p_median_problem(dist, p), solver, gap_rel=0.0,
                                time_limit_s=args.time_limit)
            seconds = time.perf_counter() - t0
            obj = plan.child_weighted_distance
            opt = f"{known:g}" if known is not None else "-"
            print(f"{path.stem:<10} {dist.shape[0]:>5} {p:>4} {obj:>10g} {opt:>8} {solver:<6} "
                  f"{plan.stats.status:<10} {seconds:>8.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
