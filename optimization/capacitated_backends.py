"""MILP backends for one capacitated block: HiGHS (in process), CBC (PuLP), CP-SAT (OR-Tools).

:func:`block_arrays` builds the formulation of :mod:`optimization.capacitated` as arrays
(columns ``y`` per site, then ``x`` per pair; rows named ``assign_v<i>``, ``link_v<i>_s<j>``,
``capacity_s<j>``, ``group_g<g>``, ``open_count``, ``aggregate``); :func:`solve_block` hands
them to the chosen backend with the incumbent as a start and returns what the solver *proved*
(its bound), never its own word "optimal": the caller decides the status from the gap.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

__all__ = ["BlockArrays", "BlockOutcome", "block_arrays", "block_feasible", "solve_block"]


@dataclass
class BlockArrays:
    """``min c·v  s.t.  rlo <= A v <= rhi,  lo <= v <= hi, v binary`` for one block."""

    c: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    a: csr_matrix
    rlo: np.ndarray
    rhi: np.ndarray
    row_names: list[str]
    pairs: np.ndarray  # the block's pairs kept (local indices) = columns m..
    m: int


@dataclass
class BlockOutcome:
    """What a backend proved: ``status`` in {"optimal", "time_limit", "infeasible", "no_solution"}."""

    status: str
    bound: float
    values: np.ndarray | None
    is_open: np.ndarray | None
    assign: np.ndarray | None
    seconds: float


class _Rows:
    """Rows gathered as COO triplets with their bounds and names."""

    def __init__(self):
        self.rows, self.cols, self.vals = [], [], []
        self.lo, self.hi, self.names = [], [], []
        self.r = 0

    def add(self, rows, cols, vals, lo, hi, names) -> None:
        """Rows ``self.r + rows`` (local numbering 0..len(names)-1)."""
        self.rows.append(self.r + np.asarray(rows, np.int64))
        self.cols.append(np.asarray(cols, np.int64))
        self.vals.append(np.asarray(vals, float))
        self.lo.append(np.asarray(lo, float))
        self.hi.append(np.asarray(hi, float))
        self.names += list(names)
        self.r += len(names)


def block_arrays(blk, fixed_closed=None, fixed_open=None, aggregate: bool = True,
                 cost_cap: float | None = None) -> BlockArrays:
    """The block's MILP as arrays (pairs to fixed-closed sites dropped).

    ``cost_cap``: a row ``cost_cap: sum_j f_j y_j <= cost_cap`` (the distance stage, with the
    opening cost fixed at its proven optimum and the block's ``weight`` 0).
    """
    m = blk.m
    keep = np.ones(len(blk.pv), bool) if fixed_closed is None else ~fixed_closed[blk.ps]
    pairs = np.flatnonzero(keep)
    pv, ps, pl = blk.pv[pairs], blk.ps[pairs], blk.pl[pairs]
    k = len(pairs)
    ncol = m + k
    c = np.concatenate([blk.fy, blk.pa[pairs]])
    lo = np.zeros(ncol)
    hi = np.ones(ncol)
    lo[:m][blk.forced] = 1.0
    if fixed_closed is not None:
        hi[:m][fixed_closed & ~blk.forced] = 0.0
        lo[:m][fixed_open] = 1.0
    acc = _Rows()
    xs = m + np.arange(k)
    acc.add(pv, xs, np.ones(k), np.ones(blk.n), np.ones(blk.n),
            [f"assign_v{i}" for i in range(blk.n)])
    acc.add(np.r_[np.arange(k), np.arange(k)], np.r_[xs, ps], np.r_[np.ones(k), -np.ones(k)],
            np.full(k, -np.inf), np.zeros(k),
            [f"link_v{i}_s{j}" for i, j in zip(pv.tolist(), ps.tolist(), strict=True)])
    # capacity_s<j> where the reachable load exceeds the capacity
    tot = np.bincount(ps, weights=pl, minlength=m)
    tight = np.flatnonzero(np.isfinite(blk.q) & (tot > blk.q))
    pos = np.full(m, -1, np.int64)
    pos[tight] = np.arange(len(tight))
    sel = pos[ps] >= 0
    acc.add(np.r_[pos[ps[sel]], pos[tight]], np.r_[xs[sel], tight],
            np.r_[pl[sel].astype(float), -blk.q[tight]], np.full(len(tight), -np.inf),
            np.zeros(len(tight)), [f"capacity_s{j}" for j in tight])
    _site_rows(blk, acc, pv, pl, tot, tight, aggregate, cost_cap)
    a = csr_matrix((np.concatenate(acc.vals), (np.concatenate(acc.rows),
                                               np.concatenate(acc.cols))), shape=(acc.r, ncol))
    return BlockArrays(c, lo, hi, a, np.concatenate(acc.lo), np.concatenate(acc.hi), acc.names,
                       pairs, m)


def _site_rows(blk, acc: _Rows, pv, pl, tot, tight, aggregate, cost_cap) -> None:
    """Rows over the ``y`` columns only: groups, open count, aggregate capacity, cost cap."""
    m = blk.m
    for g in np.unique(blk.group[blk.group >= 0]):  # group_g<g>
        mem = np.flatnonzero(blk.group == g)
        acc.add(np.zeros(len(mem)), mem, np.ones(len(mem)), [-np.inf], [1.0], [f"group_g{g}"])
    dense = []  # rows over every y: (name, coefficients, lower, upper)
    if blk.p is not None:
        dense.append(("open_count", np.ones(m), float(blk.p), float(blk.p)))
    if aggregate and len(tight):
        need = np.full(blk.n, np.inf)
        np.minimum.at(need, pv, pl.astype(float))
        dense.append(("aggregate", np.minimum(blk.q, tot), float(need.sum()), np.inf))
    if cost_cap is not None:
        dense.append(("cost_cap", blk.f.astype(float), -np.inf, float(cost_cap)))
    for name, coef, low, high in dense:
        acc.add(np.zeros(m), np.arange(m), coef, [low], [high], [name])


def _decode(blk, arr: BlockArrays, values: np.ndarray):
    is_open = values[:arr.m] > 0.5
    xs = values[arr.m:] > 0.5
    assign = np.full(blk.n, -1, np.int64)
    chosen = arr.pairs[xs]
    assign[blk.pv[chosen]] = chosen
    if (assign < 0).any():
        return None, None
    return is_open, assign


def _start(blk, arr: BlockArrays, inc) -> np.ndarray | None:
    if inc is None:
        return None
    is_open, assign = inc
    pos = np.full(len(blk.pv), -1, np.int64)
    pos[arr.pairs] = np.arange(len(arr.pairs))
    if (pos[assign] < 0).any():
        return None
    v = np.zeros(len(arr.c))
    v[:arr.m] = is_open
    v[arr.m + pos[assign]] = 1.0
    return v


def solve_block(blk, solver: str, inc, fixed_closed, fixed_open, deadline: float, tol: float,
                threads: int | None, msg: bool = False, highs_options: dict | None = None,
                cost_cap: float | None = None, stall_s: float | None = None) -> BlockOutcome:
    """Solve the block's (reduced) MILP; stop at absolute gap ``tol`` or at ``deadline``.

    ``stall_s`` (CP-SAT only): also stop once no better plan has come for that long (a plan
    search, not a proof: :func:`_cpsat_until_stall`).
    """
    t0 = time.perf_counter()
    arr = block_arrays(blk, fixed_closed, fixed_open, cost_cap=cost_cap)
    start = _start(blk, arr, inc)
    if solver == "cpsat":
        status, bound, values = _cpsat(arr, start, deadline, tol, threads, msg, stall_s)
    else:
        fn = {"highs": _highs, "cbc": _cbc}[solver]
        status, bound, values = fn(arr, start, deadline, tol, threads, msg, highs_options or {})
    is_open = assign = None
    if values is not None:
        is_open, assign = _decode(blk, arr, values)
        if assign is None:
            values = None
    return BlockOutcome(status, bound, values, is_open, assign, time.perf_counter() - t0)


def block_feasible(blk, solver: str = "highs", threads: int | None = None,
                   time_limit_s: float = 10.0) -> bool:
    """True unless the solver proves the block infeasible (used to explain packing failures)."""
    zero = type(blk)(**{**blk.__dict__, "pa": np.zeros(len(blk.pv)),
                        "f": np.zeros(blk.m), "weight": 1.0})
    out = solve_block(zero, "highs", None, None, None, time.perf_counter() + time_limit_s, 0.5,
                      threads)
    return out.status != "infeasible"


# ----------------------------------------------------------------------------- HiGHS


def _highs(arr: BlockArrays, start, deadline, tol, threads, msg, options):
    import highspy

    from optimization.solver import new_highs

    h = new_highs()
    h.setOptionValue("output_flag", bool(msg))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", float(max(tol, 1e-9)))
    if threads:
        highspy.Highs.resetGlobalScheduler(True)
        h.setOptionValue("threads", int(threads))
    for k, v in options.items():
        h.setOptionValue(k, v)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    n_col, n_row = len(arr.c), arr.a.shape[0]
    lp.num_col_, lp.num_row_ = n_col, n_row
    lp.col_cost_ = arr.c
    lp.col_lower_ = arr.lo
    lp.col_upper_ = arr.hi
    lp.row_lower_ = np.where(np.isfinite(arr.rlo), arr.rlo, -inf)
    lp.row_upper_ = np.where(np.isfinite(arr.rhi), arr.rhi, inf)
    a = arr.a.tocsr()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_col, n_row
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_col
    h.passModel(lp)
    h.setOptionValue("time_limit", max(0.2, deadline - time.perf_counter()))
    if start is not None:
        h.setSolution(len(start), np.arange(len(start), dtype=np.int32), start)
    h.run()
    st = h.getModelStatus()
    info = h.getInfo()
    ms = highspy.HighsModelStatus
    if st in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
        return "infeasible", math.inf, None
    bound = info.mip_dual_bound if np.isfinite(info.mip_dual_bound) else -math.inf
    if info.primal_solution_status != 2:
        return "no_solution", bound, None
    values = np.asarray(h.getSolution().col_value, dtype=float)
    return ("optimal" if st == ms.kOptimal else "time_limit"), bound, values


# ----------------------------------------------------------------------------- CBC


_RESULT = re.compile(r"^Result - (.*)$", re.M)
_LOWER = re.compile(r"^Lower bound:\s+(-?[\d.eE+]+)", re.M)
_POSSIBLE = re.compile(r"best possible (-?[\d.eE+]+)")
_OBJ = re.compile(r"^Objective value:\s+(-?[\d.eE+]+)", re.M)


def _cbc(arr: BlockArrays, start, deadline, tol, threads, msg, options):
    import pulp
    from pulp.apis.coin_api import pulp_cbc_path

    prob = pulp.LpProblem("capacitated", pulp.LpMinimize)
    xs = [prob.add_variable(f"v{k}", float(arr.lo[k]), float(arr.hi[k]), pulp.LpBinary
                            if arr.lo[k] == 0 and arr.hi[k] == 1 else pulp.LpInteger)
          for k in range(len(arr.c))]
    nz = np.flatnonzero(arr.c)
    prob.setObjective(pulp.LpAffineExpression([(xs[k], float(arr.c[k])) for k in nz]))
    a = arr.a.tocsr()
    for r, name in enumerate(arr.row_names):
        s, e = a.indptr[r], a.indptr[r + 1]
        expr = pulp.LpAffineExpression([(xs[k], float(v)) for k, v in
                                        zip(a.indices[s:e], a.data[s:e], strict=True)])
        lo, hi = arr.rlo[r], arr.rhi[r]
        sense = (pulp.LpConstraintEQ if lo == hi else
                 pulp.LpConstraintLE if np.isfinite(hi) else pulp.LpConstraintGE)
        prob.addConstraint(pulp.LpConstraint(expr, sense, name, float(hi if np.isfinite(hi)
                                                                       else lo)))
    if start is not None:
        for var, val in zip(xs, start, strict=True):
            var.setInitialValue(float(val), check=False)
    with tempfile.TemporaryDirectory(prefix="cap_cbc_") as tmp:
        log_path = os.path.join(tmp, "cbc.log")
        left = max(1, math.floor(deadline - time.perf_counter()))
        try:
            prob.solve(pulp.COIN_CMD(path=pulp_cbc_path, msg=False, timeLimit=left,
                                     gapAbs=max(tol, 1e-9), gapRel=0.0, threads=threads,
                                     warmStart=start is not None, logPath=log_path))
        except pulp.PulpSolverError:  # CBC ended without a solution file (e.g. killed)
            return "no_solution", -math.inf, None
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            log = fh.read()
    if msg:
        print(log)
    result = (_RESULT.search(log).group(1) if _RESULT.search(log) else "").lower()
    if "infeasible" in result or prob.status == pulp.LpStatusInfeasible:
        return "infeasible", math.inf, None
    has = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    values = np.array([v.varValue or 0.0 for v in xs]) if has else None
    obj = float(values @ arr.c) if values is not None else math.inf
    low = _LOWER.search(log)
    if low:
        bound = float(low.group(1))
    elif result.startswith("optimal solution found") and "tolerance" not in result:
        bound = obj
    elif result.startswith("optimal solution found"):
        bound = obj - tol
    else:
        poss = _POSSIBLE.findall(log)
        bound = float(poss[-1]) if poss else -math.inf
    status = "optimal" if result.startswith("optimal") else "time_limit"
    return (status if has else "no_solution"), bound, values


# ----------------------------------------------------------------------------- CP-SAT


def _cpsat(arr: BlockArrays, start, deadline, tol, threads, msg, stall_s=None):
    """OR-Tools CP-SAT on the same rows (coefficients must be whole numbers: costs rounded).

    The objective is rounded to whole units per coefficient; the bound returned is corrected by
    the largest possible rounding error so that it stays a valid bound on the true objective.
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    n = len(arr.c)
    v = [model.new_bool_var(f"v{k}") for k in range(n)]
    for k in np.flatnonzero(arr.lo > 0):
        model.add(v[k] == 1)
    for k in np.flatnonzero(arr.hi < 1):
        model.add(v[k] == 0)
    a = arr.a.tocsr()
    for r in range(a.shape[0]):
        s, e = a.indptr[r], a.indptr[r + 1]
        idx, coef = a.indices[s:e], a.data[s:e]
        lo, hi = arr.rlo[r], arr.rhi[r]
        name = arr.row_names[r]
        if name.startswith("link_"):
            xi = idx[coef > 0][0]
            yj = idx[coef < 0][0]
            model.add_implication(v[xi], v[yj])
            continue
        if name.startswith("assign_"):
            model.add_exactly_one([v[k] for k in idx])
            continue
        if not np.all(coef == np.round(coef)):
            coef = np.floor(coef)  # capacities are whole children
        expr = sum(int(c) * v[k] for k, c in zip(idx, coef, strict=True))
        if np.isfinite(lo) and np.isfinite(hi) and lo == hi:
            model.add(expr == int(round(lo)))
        else:
            if np.isfinite(hi):
                model.add(expr <= int(math.floor(hi + 1e-9)))
            if np.isfinite(lo):
                model.add(expr >= int(math.ceil(lo - 1e-9)))
    ci = np.rint(arr.c).astype(np.int64)
    err = float(np.abs(arr.c - ci).sum())  # an upper bound on |true - rounded| for any plan
    model.minimize(sum(int(ci[k]) * v[k] for k in np.flatnonzero(ci)))
    if start is not None:
        for k in range(n):
            model.add_hint(v[k], bool(start[k] > 0.5))
    sol = cp_model.CpSolver()
    sol.parameters.max_time_in_seconds = max(0.2, deadline - time.perf_counter())
    sol.parameters.num_workers = int(threads or 2)
    sol.parameters.absolute_gap_limit = float(max(tol - err, 0.0))
    sol.parameters.log_search_progress = bool(msg)
    if stall_s:
        st = _cpsat_until_stall(sol, model, float(stall_s), cp_model)
    else:
        st = sol.solve(model)
    if st == cp_model.INFEASIBLE:
        return "infeasible", math.inf, None
    bound = float(sol.best_objective_bound) - err
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return "no_solution", bound, None
    values = np.array([sol.value(x) for x in v], dtype=float)
    return ("optimal" if st == cp_model.OPTIMAL else "time_limit"), bound, values


def _cpsat_until_stall(sol, model, stall_s: float, cp_model):
    """Solve, but stop once no better plan has come for a while.

    The while is ``stall_s`` seconds or a quarter of the time so far, whichever is longer,
    counted from the first plan; used when CP-SAT is asked for plans, not for a proof.
    """
    import threading

    t0 = time.perf_counter()
    last = [None]  # the clock starts at the first plan: loading a large model takes seconds
    done = threading.Event()

    class _Seen(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self):
            last[0] = time.perf_counter()

    def watch():
        while not done.wait(0.1):
            now = time.perf_counter()
            if last[0] is not None and now - last[0] > max(stall_s, 0.25 * (now - t0)):
                sol.stop_search()
                return

    th = threading.Thread(target=watch, daemon=True)
    th.start()
    try:
        return sol.solve(model, _Seen())
    finally:
        done.set()
        th.join()
