r"""Phased siting: which 儿童之家 open in which plan year under each year's budget (issue 21).

Children age out at 18 and new ones enter, so a plan for 2025–2027 is a sequence: a home opened
in a year stays open, and each year's one-off set-up costs must fit that year's budget. The
model works on the arrays of a :class:`~optimization.siting_problem.SitingProblem` (its pairs
within the travel cap, township rule, capacities, costs and own-home candidates), with child
counts per plan year. Over plan years :math:`t`, villages :math:`i`, sites :math:`j` and pairs
:math:`p = (i, j)`:

    open_s<id>_y<year>            y_jt binary: site j is open in year t
    assign_v<code>_s<id>_y<year>  x_pt in [0, 1] (binary at a capacitated site: one home each)
    covered_v<code>_y<year>       z_it binary: village i has a home in year t

    stays_open_s<id>_y<year>      y_j,t-1 <= y_jt                  (once open, stays open)
    cover_v<code>_y<year>         sum_p x_pt = z_it
    link_v<code>_s<id>_y<year>    x_pt <= y_jt
    capacity_s<id>_y<year>        sum_p l_pt x_pt <= Q_j y_jt       l_pt = c_it, own home min(c_it, Q_j)
    budget_y<year>                sum_j f_j (y_jt - y_j,t-1) <= B_t   (no carry-over, the default)
                                  sum_j f_j y_jt <= sum_{s<=t} B_s    (unspent budget carried over)
    coverage_floor                sum_t sum_i w_it z_it >= W*

Lexicographic objective. Stage 1: :math:`\max \sum_t \sum_i w_{it} z_{it}` — child-weighted
coverage summed over the years, with the policy's coverage weights
(``siting.coverage_weights``, 001 三(二), 002 五(二)) in integer hundredths, so a gap below one
unit proves it exactly. Stage 2, under the floor :math:`W^*`:
:math:`\min M \sum_j f_j y_{jT} / \delta + \sum_t \sum_p c_{it} d_p x_{pt}` with :math:`\delta`
the gcd of the whole-yuan costs and :math:`M = 2\bar D + 1` (:math:`\bar D` = children times
their farthest pair, over all years): total cost first, then child-weighted distance. The
status is ``"optimal"`` only when both stages are proven: coverage exactly, cost exactly and
distance within ``gap_rel``.

Villages: a village at or above ``own_home_threshold`` children in ANY plan year is planned
as a large village (004 二(一)): only a site inside it can serve it (its own home). A village
without children in a year weighs nothing that year.

Directors each year follow the staffing rule of 003 §16 (:func:`village_demand`: at least
``directors_min_per_village`` per village, one more per ``targets_per_director`` target
children above it, one more at ``many_children_threshold`` resident children); supervisors
``supervisors_per_township`` per township. The training calendar lists, per year, the initial
training of the directors added that year (held ``initial_training_lead_months`` before the
year starts, 001 二(二)2) and the annual trainings (every ``annual_training_interval_months``;
directors by the county, supervisors by the prefecture).

Examples
--------
Two villages, two sites, 30,000 yuan a year: year one can pay one home, year two the other.

>>> v = pd.DataFrame({"village_code": ["a", "a", "b", "b"], "year": [2025, 2026] * 2,
...                   "resident_children": [40, 40, 30, 30], "left_behind": 0})
>>> s = pd.DataFrame({"site_id": ["h1", "h2"], "cost_yuan": [30000.0, 30000.0]})
>>> p = pd.DataFrame({"village_code": ["a", "b"], "site_id": ["h1", "h2"],
...                   "distance_m": [100.0, 100.0]})
>>> pp = build_phased_problem(v, s, p, SitingParams(), budgets=[30000])
>>> plan = solve_phased(pp, "highs")
>>> plan.stats.status, plan.homes[["site_id", "open_year"]].values.tolist()
('optimal', [['h1', 2025], ['h2', 2026]])
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from optimization.errors import BadInput, Issue
from optimization.policy import SitingPolicy, StaffingPolicy
from optimization.siting_model import _WEIGHT_SCALE, Arrays, Names, problem_arrays
from optimization.siting_problem import (
    SitingParams,
    SitingProblem,
    _params,
    _village_table,
)
from optimization.solver import Model, relative_gap, solver_name
from optimization.solver import solve as solve_model
from optimization.staffing_rules import village_demand
from optimization.vocab import DIFFICULTY_COLUMNS

__all__ = [
    "HOMES_COLUMNS",
    "TRAINING_COLUMNS",
    "YEARS_COLUMNS",
    "PhasedInputError",
    "PhasedPlan",
    "PhasedProblem",
    "PhasedStats",
    "build_phased_problem",
    "directors_by_year",
    "solve_phased",
    "training_calendar",
]

#: Columns of the tables a :class:`PhasedPlan` holds.
HOMES_COLUMNS = ("site_id", "kind", "status", "open_year", "cost_yuan", "village_code", "lon",
                 "lat")
YEARS_COLUMNS = ("year", "budget_yuan", "available_yuan", "spent_yuan", "unspent_yuan",
                 "homes_opened", "homes_open", "villages", "villages_covered", "children",
                 "children_covered", "coverage_pct", "weighted_coverage", "weighted_total",
                 "directors", "supervisors")
TRAINING_COLUMNS = ("year", "position", "kind", "month", "sessions", "trainees", "organiser")
ASSIGNMENT_COLUMNS = ("year", "village_code", "resident_children", "home_id", "distance_m")

_COUNT_COLUMNS = ("resident_children", "left_behind", "difficulty", *DIFFICULTY_COLUMNS,
                  "key_attention")


class PhasedInputError(BadInput):
    """The yearly counts, years or budgets cannot be used; each issue says what to change."""

    def __init__(self, zh: str, en: str):
        super().__init__([Issue("phased_input", zh, en)])


# ----------------------------------------------------------------------------- the problem


@dataclass(frozen=True, eq=False)
class PhasedProblem:
    """A validated phased instance.

    Attributes
    ----------
    problem : SitingProblem
        Pairs, sites and own-home candidates (built on each village's largest yearly count).
    years : tuple of int
        Plan years, increasing.
    budgets : ndarray (T,)
        Yuan available for one-off set-up costs in each year.
    children, weight : ndarray (T, n)
        Resident children and coverage weight of each village (rows of ``problem.villages``)
        in each year.
    counts : DataFrame
        The yearly village counts (``year`` plus the village columns), for the directors.
    carry_over : bool
        Unspent budget carries over to the next year (default False: planning default).
    """

    problem: SitingProblem
    years: tuple[int, ...]
    budgets: np.ndarray
    children: np.ndarray
    weight: np.ndarray
    counts: pd.DataFrame
    carry_over: bool = False


def _clean_years(yearly: pd.DataFrame, years: Sequence[int] | None) -> tuple[int, ...]:
    missing = {"village_code", "year", "resident_children"} - set(yearly.columns)
    if missing:
        raise PhasedInputError(f"分年度村表缺少列 {sorted(missing)}",
                               f"the yearly village table lacks columns {sorted(missing)}")
    got = sorted({int(y) for y in pd.to_numeric(yearly["year"], errors="coerce").dropna()})
    want = sorted({int(y) for y in years}) if years is not None else got
    if not want:
        raise PhasedInputError("没有规划年度：请给出至少一个年份（如 2025 2026 2027）",
                               "no plan year: give at least one year (e.g. 2025 2026 2027)")
    absent = [y for y in want if y not in got]
    if absent:
        raise PhasedInputError(f"分年度村表中没有年份 {absent} 的儿童数：请先按年度推算",
                               f"the yearly table has no counts for years {absent}: project "
                               "the counts for those years first")
    return tuple(want)


def _yearly_frames(yearly: pd.DataFrame, years: tuple[int, ...]) -> list[pd.DataFrame]:
    """One village table per year, all in the same village order; every village every year."""
    y = yearly.assign(village_code=yearly["village_code"].astype(str).str.strip(),
                      year=pd.to_numeric(yearly["year"], errors="coerce"))
    y = y[y["year"].isin(years)]
    dup = y.duplicated(["village_code", "year"], keep=False)
    if dup.any():
        codes = sorted(set(y.loc[dup, "village_code"]))[:20]
        raise PhasedInputError(f"同一村同一年度有多行：{'、'.join(codes)}",
                               f"one village has several rows in one year: {', '.join(codes)}")
    codes = list(dict.fromkeys(y["village_code"]))
    frames = []
    for yr in years:
        f = y[y["year"] == yr].set_index("village_code")
        lack = [c for c in codes if c not in f.index]
        if lack:
            raise PhasedInputError(
                f"{yr} 年缺少村 {'、'.join(lack[:20])} 的儿童数：每个村每个年度都需要一行",
                f"year {yr} lacks villages {', '.join(lack[:20])}: every village needs a row "
                "in every year")
        frames.append(f.loc[codes].reset_index())
    return frames


def _base_table(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Each village's largest count over the years; flags and township from the first year.

    The own-home rule (004 二(一)) thus holds for a village if any plan year reaches it.
    """
    base = frames[0].drop(columns=["year"]).copy()
    for c in _COUNT_COLUMNS:
        if c in base.columns:
            vals = np.vstack([pd.to_numeric(f[c], errors="coerce").fillna(0).to_numpy(float)
                              for f in frames])
            base[c] = vals.max(axis=0)
    return base


def build_phased_problem(
    yearly: pd.DataFrame,
    sites: pd.DataFrame,
    pairs: pd.DataFrame,
    policy: SitingPolicy | SitingParams | None = None,
    *,
    budgets: Iterable[float],
    years: Sequence[int] | None = None,
    carry_over: bool = False,
    never_open: Iterable[str] = (),
) -> PhasedProblem:
    """Validate yearly counts, sites, pairs and budgets; return a :class:`PhasedProblem`.

    Parameters
    ----------
    yearly : DataFrame
        One row per village and plan year: ``village_code, year, resident_children`` and
        optionally ``left_behind``, ``difficulty`` or its five sub-types, ``key_attention``,
        ``poverty_village``, ``old_base_village``, ``township_code``.
    sites, pairs : DataFrame
        As :meth:`SitingProblem.from_frames` (costs in yuan, feasible pairs with metres).
    policy : SitingPolicy or SitingParams
        The ``[siting]`` section (cap, own-home threshold, weights, capacity, time limit).
    budgets : iterable of float
        Yuan per plan year; one value is used for every year.
    years : sequence of int, optional
        Plan years (default: every year of ``yearly``).
    carry_over : bool
        Unspent budget carries over to later years (default no: planning default).
    never_open : iterable of str
        Site ids that must not open.

    Raises
    ------
    PhasedInputError
        Missing years or villages, budgets of the wrong length or negative.
    SitingInfeasible
        As the siting checks (e.g. a large village with no site inside it).
    """
    yrs = _clean_years(yearly, years)
    b = np.array([float(x) for x in budgets], dtype=float)
    if len(b) == 1:
        b = np.repeat(b, len(yrs))
    if len(b) != len(yrs):
        raise PhasedInputError(f"给出了 {len(b)} 个年度预算，但规划年度有 {len(yrs)} 个：请每年一个或只给一个",
                               f"{len(b)} budgets for {len(yrs)} plan years: give one per year "
                               "or a single one")
    if not np.isfinite(b).all() or (b < 0).any():
        raise PhasedInputError("年度预算应为不小于 0 的元数", "budgets must be yuan >= 0")
    frames = _yearly_frames(yearly, yrs)
    params = _params(policy)
    params = replace(params, max_new_homes=len(sites))  # the yuan budgets bind, not a count
    problem = SitingProblem.from_frames(_base_table(frames), sites, pairs, params,
                                        never_open=tuple(never_open), allow_uncovered=True)
    tables = [_village_table(f, params) for f in frames]
    children = np.vstack([t["resident_children"].to_numpy(float) for t in tables])
    weight = np.vstack([t["weight"].to_numpy(float) for t in tables])
    counts = pd.concat(frames, ignore_index=True)
    return PhasedProblem(problem, yrs, b, children, weight, counts, bool(carry_over))


# ----------------------------------------------------------------------------- the model


@dataclass(frozen=True, eq=False)
class _Layout:
    """Index arrays of the model: active pairs, their villages and sites, column numbers."""

    pairs: np.ndarray  # global pair ids in the model
    villages: np.ndarray  # global village rows with a pair
    sites: np.ndarray  # global site rows in a pair
    lv: np.ndarray  # local village of each pair
    ls: np.ndarray  # local site of each pair
    y: np.ndarray  # (T, ns) column numbers
    x: np.ndarray  # (T, P)
    z: np.ndarray  # (T, nv)


def _layout_pairs(pp: PhasedProblem, arr: Arrays):
    active = arr.big | (pp.children > 0).any(axis=0)
    pairs = np.flatnonzero(active[arr.pv])
    villages = np.unique(arr.pv[pairs])
    sites = np.unique(arr.ps[pairs])
    return (pairs, villages, sites, np.searchsorted(villages, arr.pv[pairs]),
            np.searchsorted(sites, arr.ps[pairs]))


def _add_columns(model: Model, pp: PhasedProblem, arr: Arrays, nm: Names) -> _Layout:
    """``open_s<id>_y<year>``, ``assign_v<code>_s<id>_y<year>``, ``covered_v<code>_y<year>``."""
    pairs, villages, sites, lv, ls = _layout_pairs(pp, arr)
    vn, sn = nm.village[villages], nm.site[sites]
    binary = np.isfinite(arr.cap[arr.ps[pairs]])
    ys, xs, zs = [], [], []
    for yr in pp.years:
        ys.append(model.add_cols([f"open_s{s}_y{yr}" for s in sn], 0.0, 0.0, 1.0, True))
    for yr in pp.years:
        xs.append(model.add_cols([f"assign_v{vn[v]}_s{sn[s]}_y{yr}"
                                  for v, s in zip(lv, ls, strict=True)], 0.0, 0.0, 1.0, binary))
    for yr in pp.years:
        zs.append(model.add_cols([f"covered_v{v}_y{yr}" for v in vn], 0.0, 0.0, 1.0, True))
    nt = len(pp.years)  # at least one (build_phased_problem checks)
    return _Layout(pairs, villages, sites, lv, ls,
                   np.array(ys, dtype=np.int64).reshape(nt, len(sites)),
                   np.array(xs, dtype=np.int64).reshape(nt, len(pairs)),
                   np.array(zs, dtype=np.int64).reshape(nt, len(villages)))


def _add_stays_open_rows(model: Model, pp: PhasedProblem, nm: Names, lay: _Layout) -> None:
    """``stays_open_s<id>_y<year>``: y_j,t-1 - y_jt <= 0."""
    ns = len(lay.sites)
    sn = nm.site[lay.sites]
    for t in range(1, len(pp.years)):
        r = np.arange(ns)
        model.add_rows([f"stays_open_s{s}_y{pp.years[t]}" for s in sn], np.concatenate([r, r]),
                       np.concatenate([lay.y[t - 1], lay.y[t]]),
                       np.concatenate([np.ones(ns), -np.ones(ns)]), -np.inf, 0.0)


def _add_cover_link_rows(model: Model, pp: PhasedProblem, nm: Names, lay: _Layout) -> None:
    """``cover_v<code>_y<year>``: sum_p x_pt - z_it = 0; ``link_…``: x_pt - y_jt <= 0."""
    nv, k = len(lay.villages), len(lay.pairs)
    vn, sn = nm.village[lay.villages], nm.site[lay.sites]
    for t, yr in enumerate(pp.years):
        model.add_rows([f"cover_v{v}_y{yr}" for v in vn],
                       np.concatenate([lay.lv, np.arange(nv)]),
                       np.concatenate([lay.x[t], lay.z[t]]),
                       np.concatenate([np.ones(k), -np.ones(nv)]), 0.0, 0.0)
        r = np.arange(k)
        model.add_rows([f"link_v{vn[v]}_s{sn[s]}_y{yr}" for v, s in zip(lay.lv, lay.ls,
                                                                          strict=True)],
                       np.concatenate([r, r]), np.concatenate([lay.x[t], lay.y[t][lay.ls]]),
                       np.concatenate([np.ones(k), -np.ones(k)]), -np.inf, 0.0)


def _add_capacity_rows(model: Model, pp: PhasedProblem, arr: Arrays, nm: Names,
                       lay: _Layout) -> None:
    """``capacity_s<id>_y<year>``: sum_p l_pt x_pt - Q_j y_jt <= 0 at capacitated sites."""
    q = arr.cap[lay.sites]
    capped = np.flatnonzero(np.isfinite(q))
    if not len(capped):
        return
    row_of = np.full(len(lay.sites), -1)
    row_of[capped] = np.arange(len(capped))
    p = np.flatnonzero(row_of[lay.ls] >= 0)
    gv, gs = arr.pv[lay.pairs[p]], arr.ps[lay.pairs[p]]
    for t, yr in enumerate(pp.years):
        c = pp.children[t, gv]
        load = np.where(arr.big[gv], np.minimum(c, arr.cap[gs]), c)
        model.add_rows([f"capacity_s{s}_y{yr}" for s in nm.site[lay.sites[capped]]],
                       np.concatenate([row_of[lay.ls[p]], np.arange(len(capped))]),
                       np.concatenate([lay.x[t][p], lay.y[t][capped]]),
                       np.concatenate([load, -q[capped]]), -np.inf, 0.0)


def _add_budget_rows(model: Model, pp: PhasedProblem, arr: Arrays, lay: _Layout) -> None:
    """``budget_y<year>``: this year's openings within B_t, or (carry-over) all within sum B."""
    f = arr.cost[lay.sites]
    paid = np.flatnonzero(f > 0)
    ns = len(paid)
    cum = np.cumsum(pp.budgets)
    for t, yr in enumerate(pp.years):
        if pp.carry_over or t == 0:
            model.add_rows([f"budget_y{yr}"], np.zeros(ns, np.int64), lay.y[t][paid], f[paid],
                           -np.inf, float(cum[t] if pp.carry_over else pp.budgets[t]))
        else:
            model.add_rows([f"budget_y{yr}"], np.zeros(2 * ns, np.int64),
                           np.concatenate([lay.y[t][paid], lay.y[t - 1][paid]]),
                           np.concatenate([f[paid], -f[paid]]), -np.inf, float(pp.budgets[t]))


def _weights(pp: PhasedProblem, lay: _Layout) -> np.ndarray:
    """(T, nv) coverage weights in integer hundredths."""
    return np.round(pp.weight[:, lay.villages] * _WEIGHT_SCALE)


def _dbar(pp: PhasedProblem, arr: Arrays, lay: _Layout) -> tuple[float, float]:
    """(children x farthest pair, children x nearest pair), summed over villages and years."""
    far = np.zeros(len(lay.villages))
    near = np.full(len(lay.villages), np.inf)
    np.maximum.at(far, lay.lv, arr.pd[lay.pairs])
    np.minimum.at(near, lay.lv, arr.pd[lay.pairs])
    c = pp.children[:, lay.villages]
    return float((c * far).sum()), float((c * np.where(np.isfinite(near), near, 0.0)).sum())


def phased_model(pp: PhasedProblem, floor: float | None = None,
                 big_m: float = 1.0) -> tuple[Model, _Layout, Arrays]:
    """Build the phased MILP: the coverage stage, or (``floor`` given) the cost stage.

    Every column and row is named (:func:`optimization.solver.write_lp` reads like the policy).
    """
    arr = problem_arrays(pp.problem)
    nm = Names.of(pp.problem)
    model = Model("phased_coverage" if floor is None else "phased_cost")
    lay = _add_columns(model, pp, arr, nm)
    _add_stays_open_rows(model, pp, nm, lay)
    _add_cover_link_rows(model, pp, nm, lay)
    _add_capacity_rows(model, pp, arr, nm, lay)
    _add_budget_rows(model, pp, arr, lay)
    w = _weights(pp, lay)
    if floor is None:
        model.set_objective(lay.z.ravel(), -w.ravel())
        return model, lay, arr
    model.add_rows(["coverage_floor"], np.zeros(w.size, np.int64), lay.z.ravel(), w.ravel(),
                   floor - 0.5, np.inf)
    model.set_objective(lay.y[-1], big_m * arr.cost[lay.sites] / arr.delta)
    for t in range(len(pp.years)):
        gv = arr.pv[lay.pairs]
        model.set_objective(lay.x[t], pp.children[t, gv] * arr.pd[lay.pairs])
    return model, lay, arr


# ----------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class PhasedStats:
    """What the two solves proved.

    Attributes
    ----------
    solver, status : str
        ``"optimal"`` (coverage and cost proven exactly, distance within ``gap_tolerance``),
        ``"time_limit"`` (a clock stopped a stage: best plan, see the bounds) or
        ``"feasible"``.
    coverage, coverage_bound : float
        Weighted coverage summed over the years (policy weights) and a proven upper bound.
    cost_yuan, cost_bound_yuan : float
        Total set-up cost of the plan and a proven lower bound at that coverage.
    distance, distance_bound, distance_gap : float
        Child-weighted distance summed over the years (child·m), a proven lower bound at that
        coverage and cost (``nan`` unless the cost is proven) and the relative gap.
    seconds, variables, constraints : float, int, int
        Wall time of both stages; size of the cost-stage model.
    gap_tolerance : float
    """

    solver: str
    status: str
    coverage: float
    coverage_bound: float
    cost_yuan: float
    cost_bound_yuan: float
    distance: float
    distance_bound: float
    distance_gap: float
    seconds: float
    variables: int
    constraints: int
    gap_tolerance: float


@dataclass(frozen=True, eq=False)
class PhasedPlan:
    """One plan across the years: openings, assignments, budgets, directors and training.

    Attributes
    ----------
    years : tuple of int
    homes : DataFrame
        :data:`HOMES_COLUMNS`: every site the plan opens, with its open year and cost.
    assignments : DataFrame
        ``year, village_code, resident_children, home_id`` (``""`` uncovered), ``distance_m``.
    by_year : DataFrame
        :data:`YEARS_COLUMNS`: budget, spent, coverage, directors and supervisors per year;
        ``homes_opened`` counts the homes set up that year (existing ones not), ``homes_open``
        every home open that year (existing ones included).
    training : DataFrame
        :data:`TRAINING_COLUMNS`: the training calendar by year.
    stats : PhasedStats
    carry_over : bool
    """

    years: tuple[int, ...]
    homes: pd.DataFrame
    assignments: pd.DataFrame
    by_year: pd.DataFrame
    training: pd.DataFrame
    stats: PhasedStats
    carry_over: bool = False

    @property
    def open_year(self) -> dict[str, int]:
        """Site id -> the year it opens."""
        return dict(zip(self.homes["site_id"], self.homes["open_year"], strict=True))


def _decode(pp: PhasedProblem, arr: Arrays, lay: _Layout, values: np.ndarray):
    """(open year index per global site or -1, pair per (year, global village) or -1)."""
    n, m, nt = pp.problem.n_villages, pp.problem.n_sites, len(pp.years)
    pair_of = np.full((nt, n), -1, dtype=np.int64)
    for t in range(nt):
        xv = values[lay.x[t]]
        order = np.lexsort((arr.pd[lay.pairs], -np.round(xv, 6), lay.lv))
        first = np.ones(len(order), dtype=bool)
        first[1:] = lay.lv[order][1:] != lay.lv[order][:-1]
        best = order[first]
        best = best[(xv[best] > 1e-6) & (values[lay.z[t]][lay.lv[best]] > 0.5)]
        pair_of[t, lay.villages[lay.lv[best]]] = lay.pairs[best]
    open_t = np.full(m, -1, dtype=np.int64)
    serving = np.zeros(m, dtype=bool)
    used = pair_of[pair_of >= 0]
    serving[arr.ps[used]] = True
    for t in range(nt - 1, -1, -1):
        is_open = values[lay.y[t]] > 0.5
        open_t[lay.sites[is_open]] = t
    open_t[~serving] = -1  # a site that never serves anyone is not opened
    open_t[arr.existing & (open_t >= 0)] = 0  # an existing home is open from the first year
    return open_t, pair_of


def _value(pp: PhasedProblem, arr: Arrays, open_t, pair_of) -> tuple[float, float, float]:
    """(weighted coverage in hundredths, cost in yuan, child-weighted distance) of a plan."""
    w = np.round(pp.weight * _WEIGHT_SCALE)
    cov = float(w[pair_of >= 0].sum())
    cost = float(arr.cost[open_t >= 0].sum())
    t_idx, v_idx = np.nonzero(pair_of >= 0)
    p = pair_of[t_idx, v_idx]
    return cov, cost, float((pp.children[t_idx, v_idx] * arr.pd[p]).sum())


def solve_phased(
    pp: PhasedProblem,
    solver: str = "cbc",
    *,
    staffing: StaffingPolicy | None = None,
    trained_now: int = 0,
    time_limit_s: float | None = None,
    gap_rel: float | None = None,
    threads: int | None = None,
    msg: bool = False,
) -> PhasedPlan:
    """Solve the phased MILP (coverage, then cost, then distance) and add directors, training.

    Parameters
    ----------
    pp : PhasedProblem
    solver : {"cbc", "highs"}
    staffing : StaffingPolicy, optional
        For directors and training (default: the built-in policy's ``[staffing]``).
    trained_now : int
        Directors already trained before the first plan year (e.g. the roster's).
    time_limit_s, gap_rel : float, optional
        Default: the siting policy's; the coverage stage gets half of the time.
    """
    t0 = time.perf_counter()
    params = pp.problem.params
    limit = float(time_limit_s if time_limit_s is not None else params.time_limit_s)
    tol = float(gap_rel if gap_rel is not None else params.gap_rel)
    name = solver_name(solver)
    deadline = t0 + limit
    m1, lay, arr = phased_model(pp)
    r1 = solve_model(m1, name, deadline=t0 + limit / 2, gap_abs=0.999, threads=threads, msg=msg)
    zero = np.zeros(m1.n_cols)
    v1 = r1.values if r1.values is not None else zero  # all closed is always feasible
    w_found = -float(v1 @ m1.objective())
    cov_ub = -r1.bound if np.isfinite(r1.bound) else float(_weights(pp, lay).sum())
    dbar, dmin = _dbar(pp, arr, lay)
    big_m = 2.0 * dbar + 1.0
    m2, lay, arr = phased_model(pp, floor=w_found, big_m=big_m)
    r2 = solve_model(m2, name, deadline=deadline, gap_abs=tol * max(dmin, 1.0), threads=threads,
                     start=v1, msg=msg)
    v2 = r2.values if r2.values is not None else v1
    open_t, pair_of = _decode(pp, arr, lay, v2)
    cov, cost, dist = _value(pp, arr, open_t, pair_of)
    z = big_m * cost / arr.delta + dist
    bound = min(r2.bound, z) if np.isfinite(r2.bound) else 0.0
    units = round(cost / arr.delta)
    lb_units = min(units, max(0, math.ceil((bound - dbar) / big_m - 1e-9)))
    dist_lb = bound - big_m * units if lb_units == units else math.nan
    proven = (r1.status == "optimal" and cov >= w_found - 0.5 and lb_units == units
              and dist - dist_lb <= tol * max(dmin, 1.0) + 1e-9 * max(z, 1.0))
    stopped = r1.time_limit or r2.time_limit
    stats = PhasedStats(
        solver=name, status="optimal" if proven else ("time_limit" if stopped else "feasible"),
        coverage=cov / _WEIGHT_SCALE, coverage_bound=max(cov, cov_ub) / _WEIGHT_SCALE,
        cost_yuan=cost, cost_bound_yuan=lb_units * arr.delta, distance=dist,
        distance_bound=dist_lb,
        distance_gap=relative_gap(dist, dist_lb) if np.isfinite(dist_lb) else math.nan,
        seconds=time.perf_counter() - t0, variables=m2.n_cols, constraints=m2.n_rows,
        gap_tolerance=tol)
    return _assemble(pp, arr, open_t, pair_of, stats, staffing, trained_now)


# ----------------------------------------------------------------------------- tables


def _assemble(pp: PhasedProblem, arr: Arrays, open_t, pair_of, stats: PhasedStats,
              staffing: StaffingPolicy | None, trained_now: int) -> PhasedPlan:
    st, vt = pp.problem.sites, pp.problem.villages
    opened = np.flatnonzero(open_t >= 0)
    homes = pd.DataFrame({
        "site_id": st["site_id"].to_numpy(object)[opened],
        "kind": st["kind"].to_numpy(object)[opened],
        "status": st["status"].to_numpy(object)[opened],
        "open_year": [pp.years[t] for t in open_t[opened]],
        "cost_yuan": arr.cost[opened].round().astype(np.int64),
        "village_code": st["village_code"].to_numpy(object)[opened],
        "lon": st["lon"].to_numpy(float)[opened],
        "lat": st["lat"].to_numpy(float)[opened],
    }, columns=list(HOMES_COLUMNS)).sort_values(["open_year", "site_id"], ignore_index=True)
    codes, sids = vt["village_code"].to_numpy(object), st["site_id"].to_numpy(object)
    rows = []
    for t, yr in enumerate(pp.years):
        p = pair_of[t]
        rows.append(pd.DataFrame({
            "year": yr, "village_code": codes, "resident_children": pp.children[t],
            "home_id": np.where(p >= 0, sids[arr.ps[np.maximum(p, 0)]], ""),
            "distance_m": np.where(p >= 0, arr.pd[np.maximum(p, 0)], np.nan).round(1)}))
    assignments = pd.concat(rows, ignore_index=True)[list(ASSIGNMENT_COLUMNS)]
    staff = directors_by_year(pp, staffing)
    by_year = _years_table(pp, arr, open_t, pair_of, staff)
    return PhasedPlan(pp.years, homes, assignments, by_year,
                      training_calendar(staff, staffing, trained_now), stats, pp.carry_over)


def _years_table(pp: PhasedProblem, arr: Arrays, open_t, pair_of,
                 staff: pd.DataFrame) -> pd.DataFrame:
    """Budget, spending, coverage and staff per year (the spending is recomputed from the plan)."""
    rows, carried = [], 0.0
    w = np.round(pp.weight * _WEIGHT_SCALE) / _WEIGHT_SCALE
    for t, yr in enumerate(pp.years):
        spent = float(arr.cost[open_t == t].sum())
        available = pp.budgets[t] + (carried if pp.carry_over else 0.0)
        carried = available - spent
        covered = pair_of[t] >= 0
        kids = float(pp.children[t].sum())
        kids_cov = float(pp.children[t][covered].sum())
        rows.append({
            "year": yr, "budget_yuan": int(round(pp.budgets[t])),
            "available_yuan": int(round(available)), "spent_yuan": int(round(spent)),
            "unspent_yuan": int(round(available - spent)),
            "homes_opened": int(((open_t == t) & ~arr.existing).sum()),
            "homes_open": int(((open_t >= 0) & (open_t <= t)).sum()),
            "villages": int(pp.problem.n_villages), "villages_covered": int(covered.sum()),
            "children": int(round(kids)), "children_covered": int(round(kids_cov)),
            "coverage_pct": round(100.0 * kids_cov / kids, 2) if kids else 100.0,
            "weighted_coverage": round(float(w[t][covered].sum()), 2),
            "weighted_total": round(float(w[t].sum()), 2),
            "directors": int(staff.loc[t, "directors"]),
            "supervisors": int(staff.loc[t, "supervisors"]),
        })
    return pd.DataFrame(rows, columns=list(YEARS_COLUMNS))


def _staffing_policy(staffing: StaffingPolicy | None) -> StaffingPolicy:
    if staffing is None:
        from optimization.policy import load_policy

        return load_policy().staffing
    return staffing.staffing if hasattr(staffing, "staffing") else staffing


def directors_by_year(pp: PhasedProblem, staffing: StaffingPolicy | None = None) -> pd.DataFrame:
    """Directors and supervisors each plan year needs (003 §16; 001 二(二)1).

    Directors: :func:`~optimization.staffing_rules.village_demand` on that year's counts
    (projected counts rounded to the nearest whole child), summed over villages; supervisors:
    ``supervisors_per_township`` per township.
    """
    pol = _staffing_policy(staffing)
    rows = []
    for yr in pp.years:
        f = pp.counts[pp.counts["year"] == yr].drop(columns=["year"])
        f = f.assign(**{c: 0 for c in ("left_behind",) if c not in f.columns})
        if "difficulty" in f.columns and not any(c in f.columns for c in DIFFICULTY_COLUMNS):
            f = f.assign(difficulty_other=f["difficulty"])  # counted once as targets
        f = f.drop(columns=["difficulty"], errors="ignore")
        for c in set(_COUNT_COLUMNS) & set(f.columns):  # projected counts: nearest whole child
            f[c] = pd.to_numeric(f[c], errors="coerce").fillna(0).round().astype(np.int64)
        d = village_demand(f, pol)
        towns = d["township_code"].nunique()
        rows.append({"year": yr, "directors": int(d["directors_needed"].sum()),
                     "supervisors": int(towns * pol.supervisors_per_township),
                     "targets": int(d["targets"].sum())})
    return pd.DataFrame(rows, columns=["year", "directors", "supervisors", "targets"])


def _month_text(year: int, minus: int) -> str:
    m = year * 12 - minus
    return f"{m // 12:04d}-{m % 12 + 1:02d}"


def training_calendar(staff: pd.DataFrame, staffing: StaffingPolicy | None = None,
                      trained_now: int = 0) -> pd.DataFrame:
    """Trainings by plan year from the directors table (001 二(二)2; 004 一(三); 003 §16).

    * ``initial`` (directors): those added that year (more than the year before; the first
      year: more than ``trained_now``), in one session ``initial_training_lead_months`` before
      1 January of the year, when ``initial_training_required``;
    * ``annual``: ``ceil(12 / annual_training_interval_months)`` sessions for every director
      in post (by the county) and every supervisor (by the prefecture).

    >>> staff = pd.DataFrame({"year": [2025, 2026], "directors": [10, 12], "supervisors": 2})
    >>> training_calendar(staff, trained_now=10)[["year", "kind", "trainees"]].values.tolist()
    [[2025, 'annual', 10], [2025, 'annual', 2], [2026, 'initial', 2], [2026, 'annual', 12], [2026, 'annual', 2]]
    """
    pol = _staffing_policy(staffing)
    sessions = -(-12 // pol.annual_training_interval_months)
    rows, before = [], int(trained_now)
    for r in staff.itertuples(index=False):
        new = max(0, int(r.directors) - before)
        before = max(before, int(r.directors))
        if new and pol.initial_training_required:
            rows.append((r.year, "director", "initial",
                         _month_text(int(r.year), pol.initial_training_lead_months), 1, new,
                         "county"))
        rows.append((r.year, "director", "annual", "", sessions, int(r.directors), "county"))
        rows.append((r.year, "supervisor", "annual", "", sessions, int(r.supervisors),
                     "prefecture"))
    return pd.DataFrame(rows, columns=list(TRAINING_COLUMNS))
