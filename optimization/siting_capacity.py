r"""The bridge from a :class:`~optimization.siting_problem.SitingProblem` to the capacitated model.

When some capacity binds — a site could be reached by more children than it holds — a
village's children must still go whole to one home (single source). The generic siting MILP
(:mod:`optimization.siting_solve`) states that too, but the capacitated model of
:mod:`optimization.capacitated` proves it much better: a capacitated greedy and local search
for the start, a Lagrangian bound with exact knapsacks per site, site fixing, then the MILP.
:func:`solve_capacitated_siting` hands the problem over and returns the same
:class:`~optimization.siting_plan.SitingPlan` as :func:`optimization.siting.solve_siting`.

What capacity means
-------------------
A capacity counts **every child the home serves, its own village included**. A large
village's own home takes :math:`\min(c_{own}, Q_j)` of it (capacity never denies a large
village its home); a home whose own village alone is above its capacity takes no
neighbours and is flagged ``own_beyond_capacity`` in the plan.

Status
------
``"optimal"`` only when every block's cost is proven and its distance gap is within
``gap_rel`` (checked here again from the bounds, whatever a solver said); otherwise
``"time_limit"`` (the clock stopped the solve) or ``"feasible"``, and ``stats.open_blocks``
names the blocks still open (villages, gap).

Not here: a budget (``max_new_homes``) couples blocks and weighs coverage; such a problem
stays on the generic MILP, which states capacity as well.

Examples
--------
Two villages of 80 children each and two homes of capacity 100 within reach: the nearer one
cannot take both, so the second village goes to its second-nearest home.

>>> import numpy as np
>>> from optimization.siting_problem import SitingProblem
>>> d = np.array([[100.0, 900.0], [200.0, 800.0]])
>>> prob = SitingProblem.from_cost_matrix(d, [80, 80], site_cost=[10, 10],
...                                        site_capacity=[100, 100])
>>> capacity_binds(prob)
True
>>> plan = solve_capacitated_siting(prob)
>>> plan.assignments["home_id"].tolist(), plan.stats.status
(['s0', 's1'], 'optimal')
"""

from __future__ import annotations

import math
import time

import numpy as np

from optimization.capacitated import (
    CapacityInfeasible,
    CapacityNotSolved,
    CapPlan,
    CapProblem,
    make_blocks,
    solve_capacitated,
)
from optimization.siting_model import Arrays, problem_arrays
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
)
from optimization.solver import solver_name

__all__ = ["capacity_binds", "solve_capacitated_siting", "usable_pairs"]

#: the capacitated model's reason keys that siting names otherwise
_REASONS = {"single_source_packing": "solver_infeasible"}
#: a stop within this share of the time limit counts as stopped by the clock
_CLOCK_SHARE = 0.9


def usable_pairs(problem: SitingProblem, arr: Arrays | None = None) -> np.ndarray:
    """Active pairs that some plan can use (pair ids).

    A small village's pair to a site is useless when the site's capacity left after an own
    home that must sit there (a large village with no other candidate) is below the
    village's children.
    """
    arr = problem_arrays(problem) if arr is None else arr
    n, m = len(arr.children), len(arr.cap)
    live = arr.active[arr.pv]
    count = np.bincount(arr.pv[live & arr.big[arr.pv]], minlength=n)
    sole = live & arr.big[arr.pv] & (count[arr.pv] == 1)
    forced = np.zeros(m)
    np.add.at(forced, arr.ps[sole], arr.load[sole])
    left = arr.cap - forced  # inf stays inf
    fits = arr.big[arr.pv] | (arr.children[arr.pv] <= left[arr.ps] + 1e-9)
    return np.flatnonzero(live & fits)


def capacity_binds(problem: SitingProblem) -> bool:
    """True when some site can be reached by more children than it holds (usable pairs only).

    An own home whose own village already fills it binds nothing: no neighbour can use it.
    """
    arr = problem_arrays(problem)
    keep = usable_pairs(problem, arr)
    reach = np.bincount(arr.ps[keep], weights=arr.load[keep], minlength=len(arr.cap))
    return bool((reach > arr.cap + 1e-9).any())


def _check_left_out(problem: SitingProblem, arr: Arrays, pairs: np.ndarray) -> None:
    """Villages whose every home in reach is filled by its own village: raise, naming them."""
    n = len(arr.children)
    live = arr.active[arr.pv]
    had = np.bincount(arr.pv[live], minlength=n) > 0
    has = np.bincount(arr.pv[pairs], minlength=n) > 0
    out = np.flatnonzero(had & ~has)
    if not len(out):
        return
    codes = problem.villages["village_code"].to_numpy(object)
    sids = problem.sites["site_id"].to_numpy(object)
    sites = np.unique(arr.ps[live & np.isin(arr.pv, out)])
    vtxt = "、".join(f"{codes[v]}({arr.children[v]:g})" for v in out[:30])
    stxt = "、".join(f"{sids[j]}={arr.cap[j]:g}" for j in sites[:30])
    raise SitingInfeasible([SitingIssue(
        "capacity_left_by_own_home", tuple(codes[out]), tuple(sids[sites]),
        f"村 {vtxt}（括号内为儿童数）可达的儿童之家 {stxt}（容量）已被其所在大村本村儿童占用，"
        "余下容量不足以整体接收：请提高这些场所的容量、增加候选场所或提高服务半径",
        f"villages {vtxt} (children in brackets) can only reach homes {stxt} (capacities) that "
        "their own large village already fills, leaving too little to take them whole: raise "
        "these capacities, add a candidate site or raise the travel cap")])


def _cap_problem(problem: SitingProblem, arr: Arrays, pairs: np.ndarray):
    """The CapProblem over the villages with usable pairs; returns it and their global rows."""
    villages = np.unique(arr.pv[pairs])
    local = np.full(len(arr.children), -1, np.int64)
    local[villages] = np.arange(len(villages))
    prob = CapProblem.from_arrays(
        village_load=arr.children[villages], site_cost=arr.cost, site_capacity=arr.cap,
        pair_village=local[arr.pv[pairs]], pair_site=arr.ps[pairs],
        pair_cost=arr.children[arr.pv[pairs]] * arr.pd[pairs], pair_load=arr.load[pairs],
        site_group=arr.group, site_open=arr.must, lexicographic=True,
        village_ids=problem.villages["village_code"].to_numpy(object)[villages],
        site_ids=problem.sites["site_id"].to_numpy(object))
    return prob, villages


def solve_capacitated_siting(problem: SitingProblem, solver: str = "highs", *,
                             time_limit_s: float | None = None, gap_rel: float | None = None,
                             threads: int | None = None, msg: bool = False) -> SitingPlan:
    """Solve a siting problem with the capacitated single-source model (no budget).

    Parameters are those of :func:`optimization.siting.solve_siting`; ``solver`` is
    ``"cbc"`` or ``"highs"`` (PuLP's names accepted).

    Raises
    ------
    SitingInfeasible
        No single-source plan exists: the message names the villages and the capacities
        they compete for.
    SitingNotSolved
        No plan found within the time limit.
    ValueError
        Under a budget (``max_new_homes`` >= 0): use :func:`optimization.siting.solve_siting`.
    """
    t0 = time.perf_counter()
    params = problem.params
    if params.max_new_homes >= 0:
        raise ValueError("预算下请用 solve_siting / under a budget use solve_siting")
    limit = float(time_limit_s if time_limit_s is not None else params.time_limit_s)
    tol = float(gap_rel if gap_rel is not None else params.gap_rel)
    name = solver_name(solver)
    arr = problem_arrays(problem)
    pairs = usable_pairs(problem, arr)
    _check_left_out(problem, arr, pairs)
    prob, villages = _cap_problem(problem, arr, pairs)
    try:
        cap = solve_capacitated(prob, name, time_limit_s=max(limit - (time.perf_counter() - t0),
                                                             0.1),
                                gap_rel=tol, threads=threads, msg=msg)
    except CapacityInfeasible as exc:
        raise SitingInfeasible([SitingIssue(_REASONS.get(i.reason, i.reason), i.villages,
                                            i.sites, i.zh, i.en)
                                for i in exc.issues]) from None
    except CapacityNotSolved as exc:
        raise SitingNotSolved(str(exc)) from None
    pair_of = np.full(problem.n_villages, -1, np.int64)
    pid = {(int(v), int(s)): int(p) for p, v, s in
           zip(pairs, arr.pv[pairs], arr.ps[pairs], strict=True)}
    for k, v in enumerate(villages):
        pair_of[v] = pid[(int(v), int(cap.assignment[k]))]
    is_open = cap.is_open | arr.must
    join_childless(problem, is_open, pair_of)
    return _plan(problem, arr, prob, cap, is_open, pair_of, name, tol, limit, t0)


def _block_bounds(prob: CapProblem, cap: CapPlan) -> tuple[float, float, bool]:
    """(cost bound, distance bound, cost proven in every block) from the blocks' proofs."""
    blocks = make_blocks(prob)
    cost_lb, dist_lb, proven = 0.0, 0.0, True
    for blk, res in zip(blocks, cap.blocks, strict=True):
        cost_lb += res.cost_bound
        if res.cost_bound >= res.cost - 1e-6:
            dist_lb += res.bound - blk.weight * res.cost
        else:
            proven = False
    return cost_lb, dist_lb, proven


def _plan(problem, arr, prob, cap: CapPlan, is_open, pair_of, name, tol, limit, t0):
    draft = assemble(problem, is_open, pair_of, _empty_stats(name))
    cost, dist = draft.total_cost_yuan, draft.child_weighted_distance
    cost_lb, dist_lb, proven = _block_bounds(prob, cap)
    in_block = np.zeros(problem.n_sites, bool)
    in_block[prob.pair_site] = True
    cost_lb += float(arr.cost[arr.must & ~in_block].sum())
    cost_lb = min(cost_lb, cost)
    dist_lb = min(dist_lb, dist) if proven else math.nan
    live = arr.active[arr.pv]
    far = np.zeros(len(arr.children))
    np.maximum.at(far, arr.pv[live], arr.pd[live])
    big_m = 2.0 * float((arr.children * far).sum()) + 1.0
    objective = big_m * cost / arr.delta + dist
    bound = min(objective, big_m * cost_lb / arr.delta + (dist_lb if proven else 0.0))
    dist_gap = rel_gap(dist, dist_lb) if proven else math.nan
    # the status follows the proven gaps, whatever the model said
    ok = (cap.status == "optimal" and proven and cost - cost_lb <= 1e-6
          and dist - dist_lb <= tol * dist + 1e-9 * max(1.0, objective))
    seconds = time.perf_counter() - t0
    status = "optimal" if ok else ("time_limit" if seconds >= _CLOCK_SHARE * limit
                                   else "feasible")
    fixed_cost, fixed_dist = fixed_part(problem)
    blocks = tuple(
        BlockStats(k, b.villages, b.sites, b.pairs, b.sites + b.pairs, 0, "capacitated",
                   _block_status(b.status, status), b.objective, b.bound, b.gap, b.seconds,
                   village_ids=b.village_ids, proven_by=b.proven_by)
        for k, b in enumerate(cap.blocks))
    stats = SolveStats(
        solver=name, status=status, objective=objective, best_bound=bound,
        gap=rel_gap(objective, bound), cost_yuan=cost, cost_bound_yuan=cost_lb,
        cost_gap=rel_gap(cost, cost_lb), distance=dist, distance_bound=dist_lb,
        distance_gap=dist_gap, coverage=draft.coverage, coverage_bound=draft.coverage,
        seconds=seconds, variables=sum(b.variables for b in blocks),
        constraints=_rows(prob),
        components=len(blocks), milp_blocks=len(blocks), blocks=blocks,
        decided_cost_yuan=cost - fixed_cost,
        decided_cost_gap=decided_gap(cost, cost_lb, fixed_cost),
        decided_distance_gap=decided_gap(dist, dist_lb, fixed_dist),
        gap_tolerance=tol, capacitated=True)
    return SitingPlan(**{**draft.__dict__, "stats": stats})


def _rows(prob: CapProblem) -> int:
    """Rows of the full formulation: assignment, link, and capacity where it can bind."""
    reach = np.bincount(prob.pair_site, weights=prob.pair_load, minlength=prob.n_sites)
    return int(prob.n_villages + prob.n_pairs + (reach > prob.site_capacity).sum())


def _block_status(block: str, plan: str) -> str:
    if block == "optimal":
        return "optimal"
    return "time_limit" if plan == "time_limit" else "feasible"


def _empty_stats(name: str) -> SolveStats:
    nan = math.nan
    return SolveStats(solver=name, status="feasible", objective=nan, best_bound=nan, gap=nan,
                      cost_yuan=nan, cost_bound_yuan=nan, cost_gap=nan, distance=nan,
                      distance_bound=nan, distance_gap=nan, coverage=nan, coverage_bound=nan,
                      seconds=0.0, variables=0, constraints=0, components=0, milp_blocks=0)
