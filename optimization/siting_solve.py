r"""Solving a siting problem: blocks, stages, fallback plan, proven bounds, honest status.

Levels (lexicographic): (1) under a budget, maximise weighted coverage (a stage of its own);
(2) minimise cost; (3) minimise child-weighted distance — (2) and (3) are one MILP with the
dominating weights of :mod:`optimization.siting_model`. The solver stops at an absolute gap of
``gap_rel`` × (the least possible distance), below one cost unit: the cost is then proven and
the distance within ``gap_rel``. From each block's proven bound :math:`L` the cost bound is
:math:`\lceil (L - \bar D) / M \rceil` cost units and, once the cost is proven, the distance
bound is :math:`L - M C / \delta`. A plan is ``"optimal"`` only when every block's cost is proven
and its distance gap is within ``gap_rel``; the time limit covers the whole call.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from optimization.siting_capacity import capacity_binds, solve_capacitated_siting
from optimization.siting_greedy import GreedyResult, greedy_result
from optimization.siting_model import (
    _WEIGHT_SCALE,
    Arrays,
    Block,
    Names,
    Stage,
    blocks,
    build_model,
    dbar,
    decode,
    problem_arrays,
)
from optimization.siting_plan import (
    BlockStats,
    SitingPlan,
    SolveStats,
    assemble,
    decided_gap,
    fixed_part,
    join_childless,
    rel_gap,
)
from optimization.siting_problem import (
    SitingInfeasible,
    SitingIssue,
    SitingNotSolved,
    SitingProblem,
    _codes,
)
from optimization.solver import solve as solve_model
from optimization.solver import solver_name


@dataclass(frozen=True)
class SolveOptions:
    """How :func:`solve_siting` runs (see its parameters)."""

    solver: str
    deadline: float
    gap_rel: float
    threads: int | None
    msg: bool


@dataclass(eq=False)
class _Context:
    problem: SitingProblem
    arr: Arrays
    names: Names
    opts: SolveOptions
    budget: int | None
    start: GreedyResult | None


@dataclass(frozen=True, eq=False)
class _Outcome:
    """One block solved: its plan (global indices) and what was proven about it."""

    is_open: np.ndarray  # per block site
    pair_of: np.ndarray  # per block village: global pair id or -1
    stats: BlockStats
    cost_lb: float  # yuan
    dist_lb: float  # nan unless the cost is proven
    cov_ub: float  # weighted coverage upper bound (hundredths)
    stopped: bool


@dataclass
class _Totals:
    cost_lb: float = 0.0
    dist_lb: float = 0.0
    cov_ub: float = 0.0
    variables: int = 0
    constraints: int = 0
    optimal: bool = True
    stopped: bool = False
    cost_proven: bool = True
    blocks: list[BlockStats] = field(default_factory=list)

    def add(self, out: _Outcome) -> None:
        self.cost_lb += out.cost_lb
        self.cov_ub += out.cov_ub
        if np.isfinite(out.dist_lb):
            self.dist_lb += out.dist_lb
        else:
            self.cost_proven = False
        self.variables += out.stats.variables
        self.constraints += out.stats.constraints
        self.optimal &= out.stats.status == "optimal"
        self.stopped |= out.stopped
        self.blocks.append(out.stats)


def solve_siting(
    problem: SitingProblem,
    solver: str = "cbc",
    *,
    time_limit_s: float | None = None,
    gap_rel: float | None = None,
    threads: int | None = None,
    decompose: bool = True,
    msg: bool = False,
    capacitated: bool | None = None,
) -> SitingPlan:
    """Solve the siting MILP exactly (lexicographic: coverage, cost, distance).

    Parameters
    ----------
    problem : SitingProblem
    solver : {"cbc", "highs"}
        CBC bundled with PuLP or HiGHS (highspy, in process); PuLP's names are accepted.
    time_limit_s, gap_rel : float, optional
        Default: the policy's ``time_limit_s`` (the whole call, shared among blocks in
        proportion to their size) and ``gap_rel`` (the distance gap accepted as optimal).
    threads : int, optional
        Solver threads (default: the solver's own default).
    decompose : bool
        Solve connected components as separate models, gathered into blocks of at least
        ``siting_model.MIN_BLOCK_PAIRS`` pairs (same optimum; ignored under a budget). On
        bench/siting.py it halves CBC's time on the 5,000-village prefecture and changes
        little elsewhere; one call per tiny component (the old way) cost more than it saved.

    The greedy plan (:func:`greedy_plan`) is the fallback when a solve stops without a plan
    of its own; it is not passed to the solver as a start (bench/siting.py).
    msg : bool
        Print the solver logs.
    capacitated : bool, optional
        ``None`` (default): when some capacity binds (:func:`~optimization.siting_capacity.
        capacity_binds`) and there is no budget, solve with the capacitated single-source
        model (:func:`~optimization.siting_capacity.solve_capacitated_siting`: capacitated
        greedy and local search, Lagrangian bound, then the MILP); ``False``: always this
        module's MILP (which states capacity too); ``True``: the capacitated model.

    Returns
    -------
    SitingPlan
        ``plan.stats`` holds status, objective, bound, gaps (overall and on the part being
        decided) and times.

    Raises
    ------
    SitingInfeasible
        When the solver proves a block infeasible (e.g. single-source capacity packing).
    SitingNotSolved
        When a block has no feasible plan at the time limit.
    """
    t0 = time.perf_counter()
    params = problem.params
    if params.max_new_homes < 0 and (capacitated or (capacitated is None
                                                      and capacity_binds(problem))):
        return solve_capacitated_siting(problem, solver, time_limit_s=time_limit_s,
                                        gap_rel=gap_rel, threads=threads, msg=msg)
    limit = float(time_limit_s if time_limit_s is not None else params.time_limit_s)
    opts = SolveOptions(solver_name(solver), t0 + limit,
                        float(gap_rel if gap_rel is not None else params.gap_rel), threads, msg)
    budget = params.max_new_homes if params.max_new_homes >= 0 else None
    arr = problem_arrays(problem)
    blks, ncomp = blocks(problem, arr, decompose and budget is None)
    ctx = _Context(problem, arr, Names.of(problem), opts, budget, greedy_result(problem))
    is_open, pair_of, totals = _solve_blocks(ctx, blks)
    in_block = np.zeros(problem.n_sites, dtype=bool)
    for b in blks:
        in_block[b.sites] = True
    totals.cost_lb += float(arr.cost[arr.must & ~in_block].sum())
    join_childless(problem, is_open, pair_of)
    return _finish(ctx, is_open, pair_of, totals, ncomp, len(blks), t0)


def _solve_blocks(ctx: _Context, blks: list[Block]):
    """Solve the blocks, small first, each with its share of the time left (size-weighted).

    Returns (open sites, pair per village, totals) in problem indices.
    """
    problem, arr, opts = ctx.problem, ctx.arr, ctx.opts
    is_open = arr.must.copy()
    pair_of = np.full(problem.n_villages, -1, dtype=np.int64)
    totals = _Totals()
    sizes = np.array([b.nv + b.ns for b in blks], dtype=float)
    left = sizes.sum()
    for k in np.argsort(sizes, kind="stable"):
        now = time.perf_counter()
        share = now + max(0.0, opts.deadline - now) * sizes[k] / max(left, 1.0)
        left -= sizes[k]
        out = _solve_block(ctx, int(k), blks[k], share)
        is_open[blks[k].sites] |= out.is_open
        pair_of[blks[k].villages] = out.pair_of
        totals.add(out)
    return is_open, pair_of, totals


def _block_value(arr: Arrays, blk: Block, is_open, pair_of) -> tuple[float, float, float]:
    """(weighted coverage in hundredths, cost, child-weighted distance) of a block plan."""
    p = pair_of[pair_of >= 0]
    return (float(arr.weight[blk.villages][pair_of >= 0].sum()),
            float(arr.cost[blk.sites][is_open].sum()),
            float((arr.children[arr.pv[p]] * arr.pd[p]).sum()))


def _coverage_stage(ctx: _Context, blk: Block, big_m: float, deadline: float):
    """Stage 1 under a budget: the best weighted coverage, its bound, and the plan found."""
    model, cols = build_model(ctx.arr, blk, ctx.names, Stage(True, ctx.budget, None, big_m))
    r = solve_model(model, ctx.opts.solver, deadline=deadline, gap_abs=0.999,
                    threads=ctx.opts.threads, msg=ctx.opts.msg)
    if r.status == "infeasible":
        _raise_block_infeasible(ctx.problem, blk)
    plan = None
    if r.values is not None:
        o, p = decode(ctx.arr, blk, cols, r.values)
        plan = (o, p)
    w_total = float(ctx.arr.weight[blk.villages].sum())
    cov_ub = min(w_total, math.floor(-r.bound + 1e-6)) if np.isfinite(r.bound) else w_total
    return plan, cov_ub, r.status == "optimal", r.time_limit, model


def _solve_block(ctx: _Context, k: int, blk: Block, deadline: float) -> _Outcome:
    """Solve one block by MILP (two stages under a budget the greedy plan does not meet)."""
    tb = time.perf_counter()
    arr, opts = ctx.arr, ctx.opts
    dk = dbar(arr, blk)
    big_m = 2.0 * dk + 1.0
    start = None
    if ctx.start is not None:
        start = (ctx.start.is_open[blk.sites], ctx.start.pair_of[blk.villages])
    best = start
    floor, cov_ok, stopped, nvars, ncons = None, True, False, 0, 0
    cov_ub = float(arr.weight[blk.villages].sum())
    if ctx.budget is not None and not (start is not None and (start[1] >= 0).all()):
        plan, cov_ub, cov_ok, stopped, m1 = _coverage_stage(ctx, blk, big_m,
                                                            tb + (deadline - tb) / 2)
        nvars, ncons = m1.n_cols, m1.n_rows
        cands = [c for c in (plan, start) if c is not None]
        if not cands:
            _not_solved(blk, deadline - tb)
        best = max(cands, key=lambda c: _block_value(arr, blk, *c)[0])
        floor = _block_value(arr, blk, *best)[0]
    model, cols = build_model(arr, blk, ctx.names, Stage(False, ctx.budget, floor, big_m))
    dmin = np.full(blk.nv, np.inf)
    np.minimum.at(dmin, blk.lv, arr.pd[blk.pairs])
    gap_abs = opts.gap_rel * max(float((arr.children[blk.villages] * dmin).sum()), 1.0)
    r = solve_model(model, opts.solver, deadline=deadline, gap_abs=gap_abs, threads=opts.threads,
                    msg=opts.msg)
    stopped |= r.time_limit
    if r.status == "infeasible":
        _raise_block_infeasible(ctx.problem, blk)
    plan = decode(arr, blk, cols, r.values) if r.values is not None else None
    cands = [c for c in (plan, best) if c is not None
             and (floor is None or _block_value(arr, blk, *c)[0] >= floor)
             and (floor is not None or (c[1] >= 0).all()) and _one_size(arr, blk, c)]
    if not cands:
        _not_solved(blk, deadline - tb)
    is_open, pair_of = min(cands, key=lambda c: _z(arr, blk, c, big_m))
    z = _z(arr, blk, (is_open, pair_of), big_m)
    bound = min(r.bound, z) if np.isfinite(r.bound) else 0.0  # Z >= 0 always
    cost = _block_value(arr, blk, is_open, pair_of)[1]
    units = round(cost / arr.delta)
    lb_units = min(units, max(0, math.ceil((bound - dk) / big_m - 1e-9)))
    dist_lb = bound - big_m * units if lb_units == units else math.nan
    dist = z - big_m * units
    ok = cov_ok and lb_units == units and dist - dist_lb <= opts.gap_rel * dist + 1e-9 * z
    status = "optimal" if ok else ("time_limit" if stopped else "feasible")
    st = BlockStats(k, blk.nv, blk.ns, len(blk.pairs), nvars + model.n_cols,
                    ncons + model.n_rows, "milp", status, z, bound, rel_gap(z, bound),
                    time.perf_counter() - tb, coverage_stage=floor is not None)
    return _Outcome(is_open, pair_of, st, lb_units * arr.delta, dist_lb,
                    cov_ub, stopped)


def _one_size(arr: Arrays, blk: Block, plan) -> bool:
    """At most one new-build size open per place (the greedy start does not know sizes)."""
    if arr.group is None:
        return True
    is_open, pair_of = plan
    used = is_open.copy()
    used[np.searchsorted(blk.sites, arr.ps[pair_of[pair_of >= 0]])] = True
    g = arr.group[blk.sites][used]
    g = g[g >= 0]
    return len(g) == len(np.unique(g))


def _z(arr: Arrays, blk: Block, plan, big_m: float) -> float:
    _, cost, dist = _block_value(arr, blk, *plan)
    return big_m * cost / arr.delta + dist


def _not_solved(blk: Block, seconds: float):
    raise SitingNotSolved(
        f"求解器在 {seconds:.0f} 秒内没有找到可行方案（{blk.nv} 个村）：请延长求解时间"
        f"（siting.time_limit_s）或放宽容量 / no feasible plan found within "
        f"{seconds:.0f} s for a block of {blk.nv} villages: raise siting.time_limit_s "
        "or relax the capacities"
    )


def _raise_block_infeasible(problem: SitingProblem, blk: Block):
    codes = problem.villages["village_code"].to_numpy(object)[blk.villages]
    sids = problem.sites["site_id"].to_numpy(object)[blk.sites]
    raise SitingInfeasible([SitingIssue(
        "solver_infeasible", tuple(codes), tuple(sids),
        f"求解器证明村 {_codes(codes)} 无法在容量、锁定和必开条件下全部分配（单一归属装箱）："
        "请提高容量、增加候选场所或取消部分锁定",
        f"the solver proved that villages {_codes(codes)} cannot all be assigned under the "
        "capacities, locks and must-open sites (single-source packing): raise capacities, add "
        "a candidate site or drop a lock",
    )])


def _finish(ctx: _Context, is_open, pair_of, totals: _Totals, ncomp: int, nblocks: int,
            t0: float) -> SitingPlan:
    problem, arr = ctx.problem, ctx.arr
    draft = assemble(problem, is_open, pair_of, _heuristic_stats(0.0, ncomp))
    cost, dist = draft.total_cost_yuan, draft.child_weighted_distance
    fixed_cost, fixed_dist = fixed_part(problem)
    dist_lb = totals.dist_lb if totals.cost_proven else math.nan
    big_m = 2.0 * _dbar_all(arr) + 1.0
    objective = big_m * cost / arr.delta + dist
    bound = big_m * totals.cost_lb / arr.delta + (dist_lb if np.isfinite(dist_lb) else 0.0)
    bound = min(bound, objective)
    status = "optimal" if totals.optimal else ("time_limit" if totals.stopped else "feasible")
    weight = problem.villages["weight"].to_numpy(float)
    stats = SolveStats(
        solver=ctx.opts.solver, status=status, objective=objective, best_bound=bound,
        gap=rel_gap(objective, bound), cost_yuan=cost, cost_bound_yuan=totals.cost_lb,
        cost_gap=rel_gap(cost, totals.cost_lb), distance=dist, distance_bound=dist_lb,
        distance_gap=rel_gap(dist, dist_lb) if np.isfinite(dist_lb) else math.nan,
        coverage=draft.coverage,
        coverage_bound=max(draft.coverage, totals.cov_ub / _WEIGHT_SCALE
                           + float(weight[~_in_model(arr) & (pair_of >= 0)].sum())),
        seconds=time.perf_counter() - t0, variables=totals.variables,
        constraints=totals.constraints, components=ncomp, milp_blocks=nblocks,
        blocks=tuple(totals.blocks), decided_cost_yuan=cost - fixed_cost,
        decided_cost_gap=decided_gap(cost, totals.cost_lb, fixed_cost),
        decided_distance_gap=decided_gap(dist, dist_lb, fixed_dist),
        gap_tolerance=ctx.opts.gap_rel,
    )
    return SitingPlan(**{**draft.__dict__, "stats": stats})


def _in_model(arr: Arrays) -> np.ndarray:
    inm = np.zeros(len(arr.children), dtype=bool)
    inm[arr.pv[arr.active[arr.pv]]] = True
    return inm


def _dbar_all(arr: Arrays) -> float:
    live = arr.active[arr.pv]
    far = np.zeros(len(arr.children))
    np.maximum.at(far, arr.pv[live], arr.pd[live])
    return float((arr.children * far).sum())


def _heuristic_stats(seconds: float, ncomp: int) -> SolveStats:
    nan = math.nan
    return SolveStats(
        solver="greedy", status="heuristic", objective=nan, best_bound=nan, gap=nan,
        cost_yuan=nan, cost_bound_yuan=nan, cost_gap=nan, distance=nan, distance_bound=nan,
        distance_gap=nan, coverage=nan, coverage_bound=nan, seconds=seconds, variables=0,
        constraints=0, components=ncomp, milp_blocks=0,
    )


def greedy_plan(problem: SitingProblem) -> SitingPlan:
    """Return a heuristic plan: greedy cover, then drop and swap local search (the baseline).

    Each large village's own home is fixed by the rule in ``villages.own_site``; greedy opens,
    block by block, the site with the lowest cost per newly covered village (under a budget:
    the largest newly covered weight) until every village is covered, assigns each village to
    its nearest open site with room, closes costly sites whose villages fit elsewhere, and
    swaps an open site for a closed one while that lowers (coverage, cost, distance)
    lexicographically (swaps only where no capacity applies). It is also the warm start of
    :func:`solve_siting`. Never called optimal.

    Examples
    --------
    >>> from optimization.siting_problem import SitingProblem
    >>> d = np.array([[0.0, 900.0], [800.0, 0.0]])
    >>> greedy_plan(SitingProblem.from_cost_matrix(d, [10, 10], site_cost=[1, 2])).total_cost_yuan
    1.0
    """
    g = greedy_result(problem)
    pair_of = g.pair_of.copy()
    is_open = g.is_open.copy()
    join_childless(problem, is_open, pair_of)
    draft = assemble(problem, is_open, pair_of, _heuristic_stats(g.seconds, g.components))
    stats = SolveStats(**{**_heuristic_stats(g.seconds, g.components).__dict__,
                          "cost_yuan": draft.total_cost_yuan,
                          "distance": draft.child_weighted_distance,
                          "coverage": draft.coverage})
    return SitingPlan(**{**draft.__dict__, "stats": stats})
