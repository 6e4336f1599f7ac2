r"""What a siting solve returns: :class:`SitingPlan` with its :class:`SolveStats`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimization.siting_problem import SitingProblem
from optimization.solver import relative_gap


@dataclass(frozen=True)
class BlockStats:
    r"""How one independently solved block (connected component, or the whole model) went.

    ``objective`` and ``best_bound`` are in the block's weighted units
    (:math:`M_k C/\delta + D`, :math:`M_k = 2\bar D_k + 1`); ``method`` is ``"milp"``.
    """

    block: int
    villages: int
    sites: int
    pairs: int
    variables: int
    constraints: int
    method: str
    status: str
    objective: float
    best_bound: float
    gap: float
    seconds: float
    coverage_stage: bool = False
    village_ids: tuple[str, ...] = ()  # the first village codes (capacitated blocks)
    proven_by: str = ""  # capacitated: "search", "lagrange" or the solver


@dataclass(frozen=True)
class SolveStats:
    r"""Solver statistics of a plan.

    Attributes
    ----------
    solver : str
        ``"cbc"``, ``"highs"`` or ``"greedy"``.
    status : str
        ``"optimal"`` (cost proven, every gap within ``gap_tolerance``), ``"time_limit"`` (the
        clock stopped a solve: best plan, see the gaps), ``"feasible"`` (a plan whose gap is
        open for another reason) or ``"heuristic"`` (greedy, no bound).
    objective, best_bound, gap : float
        Weighted objective :math:`M C/\delta + D` of the whole plan (one common
        :math:`M`), a proven lower bound and their relative gap.
    cost_yuan, cost_bound_yuan, cost_gap : float
        Total cost, a proven lower bound, relative gap (0 = proven optimal).
    distance, distance_bound, distance_gap : float
        Child-weighted distance (child·m), its bound when the cost is proven (else ``nan``),
        relative gap.
    decided_cost_yuan, decided_cost_gap, decided_distance_gap : float
        The same gaps on the part being decided: cost and distance less what every plan
        has (must-open sites, own homes with a single candidate, locked villages, villages
        with one site in reach).
    coverage, coverage_bound : float
        Weighted coverage and its proven upper bound.
    gap_tolerance : float
        The relative distance gap accepted as optimal (``siting.gap_rel``).
    seconds : float
        Wall time of the whole call (model building and files included).
    variables, constraints : int
        Summed over the models solved.
    components, milp_blocks : int
        Connected components of the village–site graph; models solved.
    blocks : tuple of BlockStats
    capacitated : bool
        Solved by the capacitated single-source model (:mod:`optimization.siting_capacity`):
        some site could be reached by more children than it holds.
    """

    solver: str
    status: str
    objective: float
    best_bound: float
    gap: float
    cost_yuan: float
    cost_bound_yuan: float
    cost_gap: float
    distance: float
    distance_bound: float
    distance_gap: float
    coverage: float
    coverage_bound: float
    seconds: float
    variables: int
    constraints: int
    components: int
    milp_blocks: int
    blocks: tuple[BlockStats, ...] = ()
    decided_cost_yuan: float = math.nan
    decided_cost_gap: float = math.nan
    decided_distance_gap: float = math.nan
    gap_tolerance: float = 0.0
    capacitated: bool = False

    @property
    def open_blocks(self) -> tuple[BlockStats, ...]:
        """Blocks whose gap is not closed (what the page names when the time limit stopped)."""
        return tuple(b for b in self.blocks if b.status != "optimal")


@dataclass(frozen=True, eq=False)
class SitingPlan:
    r"""A siting plan: open homes, who goes where, what it costs, and how it was proven.

    Attributes
    ----------
    homes : DataFrame
        One row per open home: ``home_id, kind, status`` (existing/reuse/new), ``own_home_of``
        (village code or ""), ``cost_yuan, capacity`` (children, **all** children the home
        serves, its own village included; 0 = unlimited), ``children_served`` and ``load``
        (the same number: every child served, own village included), ``own_children`` (its
        own village's), ``own_beyond_capacity`` (the own village alone exceeds the capacity:
        the home takes no neighbours and is over its capacity by that much),
        ``capacity_use`` (load / capacity, nan if unlimited), ``villages_served, left_behind_served,
        difficulty_served, max_distance_m, mean_distance_m`` (child-weighted),
        ``township_code, village_code, lon, lat``.
    assignments : DataFrame
        One row per village: ``village_code, resident_children, left_behind, difficulty,
        township_code, home_id`` ("" if uncovered), ``distance_m, own_home, covered``.
    uncovered : tuple of str
        Village codes served by no home.
    total_cost_yuan : float
    child_weighted_distance : float
        :math:`\sum_i c_i d_i` over covered villages, child·metres.
    mean_distance_m : float
        Child-weighted mean distance.
    coverage : float
        Weighted coverage (:math:`\sum w_i` over covered villages).
    stats : SolveStats
    """

    homes: pd.DataFrame
    assignments: pd.DataFrame
    uncovered: tuple[str, ...]
    total_cost_yuan: float
    child_weighted_distance: float
    mean_distance_m: float
    coverage: float
    stats: SolveStats


def join_childless(problem: SitingProblem, is_open: np.ndarray, pair_of: np.ndarray) -> None:
    """Villages without children (not in the model) join the nearest open home in reach."""
    vt = problem.villages
    out = np.flatnonzero((vt["resident_children"].to_numpy(float) <= 0)
                         & ~vt["own_home"].to_numpy(bool) & (pair_of < 0))
    pv, ps = problem.pair_village, problem.pair_site
    for v in out:
        ps_v = np.flatnonzero(pv == v)  # sorted by distance
        hit = ps_v[is_open[ps[ps_v]]]
        if len(hit):
            pair_of[v] = hit[0]


def assemble(problem: SitingProblem, is_open: np.ndarray, pair_of: np.ndarray,
             stats: SolveStats) -> SitingPlan:
    """Build the plan tables from open sites and the pair serving each village (-1: none)."""
    vt, st = problem.villages, problem.sites
    served = pair_of >= 0
    home = np.full(len(pair_of), -1, dtype=np.int64)
    dist = np.full(len(pair_of), np.nan)
    home[served] = problem.pair_site[pair_of[served]]
    dist[served] = problem.pair_distance[pair_of[served]]
    big = vt["own_home"].to_numpy(bool)
    opened = is_open.copy()
    opened[home[home >= 0]] = True
    opened[list(problem.must_open)] = True
    covered = home >= 0
    children = vt["resident_children"].to_numpy(float)
    sid = st["site_id"].to_numpy(object)
    assignments = pd.DataFrame({
        "village_code": vt["village_code"].to_numpy(object),
        "resident_children": children,
        "left_behind": vt["left_behind"].to_numpy(float),
        "difficulty": vt["difficulty"].to_numpy(float),
        "township_code": vt["township_code"].to_numpy(object),
        "home_id": np.array([sid[h] if h >= 0 else "" for h in home], dtype=object),
        "distance_m": dist,
        "own_home": big,
        "covered": covered,
    })
    homes = _homes_table(problem, np.flatnonzero(opened), home, dist, covered)
    cwd = float(np.nansum(children[covered] * dist[covered]))
    total_children = children[covered].sum()
    vcode = vt["village_code"].to_numpy(object)
    return SitingPlan(
        homes=homes, assignments=assignments, uncovered=tuple(vcode[~covered]),
        total_cost_yuan=float(homes["cost_yuan"].sum()), child_weighted_distance=cwd,
        mean_distance_m=cwd / total_children if total_children > 0 else 0.0,
        coverage=float(vt["weight"].to_numpy(float)[covered].sum()), stats=stats,
    )


def _homes_table(problem: SitingProblem, rows, home, dist, covered) -> pd.DataFrame:
    vt, st = problem.villages, problem.sites
    children = vt["resident_children"].to_numpy(float)
    served = pd.DataFrame({"site": home[covered], "c": children[covered],
                           "lb": vt["left_behind"].to_numpy(float)[covered],
                           "df": vt["difficulty"].to_numpy(float)[covered],
                           "d": dist[covered], "cd": children[covered] * dist[covered]})
    agg = served.groupby("site").agg(c=("c", "sum"), lb=("lb", "sum"), df=("df", "sum"),
                                     n=("c", "size"), dmax=("d", "max"), cd=("cd", "sum"))
    agg = agg.reindex(rows).fillna(0.0)
    big = vt["own_home"].to_numpy(bool)
    own_of = {int(home[v]): vt["village_code"].iat[v] for v in np.flatnonzero(big & covered)}
    own_kids = {int(home[v]): children[v] for v in np.flatnonzero(big & covered)}
    own_c = np.array([own_kids.get(int(j), 0.0) for j in rows], dtype=float)
    cap = st["capacity"].to_numpy(float)[rows]
    c = agg["c"].to_numpy()
    return pd.DataFrame({
        "home_id": st["site_id"].to_numpy(object)[rows],
        "kind": st["kind"].to_numpy(object)[rows],
        "status": st["status"].to_numpy(object)[rows],
        "own_home_of": [own_of.get(int(j), "") for j in rows],
        "cost_yuan": st["cost_yuan"].to_numpy(float)[rows],
        "capacity": cap,
        "children_served": c,
        "load": c,
        "own_children": own_c,
        "own_beyond_capacity": (cap > 0) & (own_c > cap + 1e-9),
        "capacity_use": np.where(cap > 0, c / np.where(cap > 0, cap, 1), np.nan),
        "villages_served": agg["n"].to_numpy().astype(int),
        "left_behind_served": agg["lb"].to_numpy(),
        "difficulty_served": agg["df"].to_numpy(),
        "max_distance_m": agg["dmax"].to_numpy(),
        "mean_distance_m": np.where(c > 0, agg["cd"].to_numpy() / np.maximum(c, 1e-12), 0.0),
        "township_code": st["township_code"].to_numpy(object)[rows],
        "village_code": st["village_code"].to_numpy(object)[rows],
        "lon": st["lon"].to_numpy(float)[rows],
        "lat": st["lat"].to_numpy(float)[rows],
    })


def fixed_part(problem: SitingProblem) -> tuple[float, float]:
    """(cost, child-weighted distance) every feasible plan has: what is not being decided.

    Must-open sites and sole own-home candidates are open in every plan; a village with a
    single pair (sole candidate, or lock) always travels that distance.
    """
    pv, ps, pd_ = problem.pair_village, problem.pair_site, problem.pair_distance
    children = problem.villages["resident_children"].to_numpy(float)
    big = problem.villages["own_home"].to_numpy(bool)
    count = np.bincount(pv, minlength=problem.n_villages)
    single = count[pv] == 1
    locked = {(v, s) for v, s in problem.locked}
    lock = np.array([(int(v), int(s)) in locked for v, s in zip(pv, ps, strict=True)],
                    dtype=bool)
    forced = np.zeros(problem.n_sites, dtype=bool)
    forced[list(problem.must_open)] = True
    forced[ps[(single & big[pv]) | lock]] = True
    cost = float(problem.sites["cost_yuan"].to_numpy(float)[forced].sum())
    dist = float((children[pv] * pd_)[single | lock].sum())
    return cost, dist


def decided_gap(value: float, bound: float, fixed: float) -> float:
    """Relative gap on what is decided: ``(value - bound) / (value - fixed)``.

    >>> decided_gap(100.0, 99.0, 90.0), decided_gap(100.0, 100.0, 100.0)
    (0.1, 0.0)
    """
    if not np.isfinite(bound):
        return math.nan
    if value - bound <= 1e-9 * max(1.0, abs(value)):
        return 0.0
    return (value - bound) / max(value - fixed, 1e-9)


def rel_gap(value: float, bound: float) -> float:
    """Relative gap ``(value - bound) / |value|`` (nan without a bound)."""
    g = relative_gap(value, bound)
    return 1.0 if g == math.inf else g
