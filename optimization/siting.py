r"""Siting shared village children's homes (儿童之家): a sparse, exact, explainable MILP.

Policy (004 二(一); DOMAIN.md "Facilities"): a village with at least ``own_home_threshold``
resident children gets its own home; smaller villages may jointly use a shared (regional) home
hosted by a candidate site — an existing 儿童之家, a service station, the village school or
kindergarten, a 妇女之家 / 农家书屋 / 学校少年宫 (reuse), or a new build at a village centre —
within ``travel_cap_m``.

Own homes
---------
A village with ``resident_children >= own_home_threshold`` is served by a home inside it: an
existing 儿童之家 in the village if there is one (status ``existing``), otherwise the cheapest
candidate site inside the village (``reuse`` or ``new``; a must-open one first). Such villages
are not decided by the MILP. Their home **may also host small neighbours** (004 二(一)
jointly-built regional homes, reuse instead of building twice): for the small villages an own
home is an already-open candidate at no extra cost, with the capacity left after its own
village. Capacity (``default_capacity`` is that of a *shared* home in the policy text) never
denies a large village its home: one larger than its home is served anyway (``capacity_use``
> 1) and the home hosts no neighbour.

Formulation (shared homes, small villages)
------------------------------------------
Sets: small villages :math:`i` with children :math:`c_i` and coverage weight :math:`w_i`;
candidate sites :math:`j` with cost :math:`f_j` (yuan) and capacity :math:`Q_j` (0 = unlimited);
feasible pairs :math:`(i, j) \in P` only — distance :math:`d_{ij} \le` cap, same township when
required, a river crossed only at a crossing (see ``geo.siting_inputs``). Variables
:math:`y_j \in \{0, 1\}` (open; a constant 1 for own homes), :math:`x_{ij} \in [0, 1]` (assign;
binary where :math:`Q_j > 0`, i.e. single-source), :math:`z_i \in [0, 1]` (covered; budget only).
Constraint families, each built by one function and named per row::

    cover_v<code>          sum_j x_ij = 1                 (= z_i under a budget)
    link_v<code>_s<id>     x_ij <= y_j                    (every pair: the strong formulation)
    capacity_s<id>         sum_i c_i x_ij <= Q_j y_j      (Q_j > 0 only; own home: Q_j - c_own)
    must_open_s<id>        y_j = 1
    lock_v<code>_s<id>     x_ij = 1
    budget_new_homes       sum_{j not existing} y_j <= K  (max_new_homes >= 0)
    coverage_floor         sum_i w_i z_i >= W*            (stage 2 under a budget)

Lexicographic objectives
------------------------
(1) cover every village — under a budget ``max_new_homes`` too small for that, maximise the
weighted coverage :math:`W = \sum_i w_i z_i`; (2) minimise cost :math:`C = \sum_j f_j y_j`;
(3) minimise child-weighted travel :math:`D = \sum c_i d_{ij} x_{ij}`.

Levels (2)–(3) are one solve with **provably dominating weights**: cost is counted in units of
:math:`\delta` = the gcd of the (whole-yuan) site costs, so two different costs differ by at least
one unit, and the objective is :math:`Z = M C/\delta + D` with :math:`M = 2\bar D + 1`,
:math:`\bar D = \sum_i c_i \max_j d_{ij}` over the component being solved (no plan's distance
reaches :math:`\bar D`; a per-component :math:`M` keeps the weights small). A plan one
cost unit cheaper always has a smaller :math:`Z`, so :math:`\min Z` is the lexicographic optimum;
and from any proven bound :math:`L \le Z^*` the cost is *proven* optimal as soon as
:math:`Z - L \le \bar D`. The solver stops at an absolute gap of ``gap_rel`` × (greedy
distance), which is below :math:`\bar D`: cost is then exactly optimal and distance within
``gap_rel``. Level (1) only matters under a budget and is a separate stage: maximise :math:`W`,
then solve level (2)–(3) with ``coverage_floor`` :math:`W \ge W^*` (an inequality on an
optimised maximum, warm-started from the stage-1 plan — not an equality-fixed stage).
``coverage_weights`` are scaled to integers (hundredths) so the floor is exact.

Speed (shared/benchmarks/SITING-NOTES.md): only pairs within the cap get variables; the
village–site graph splits into connected components that are solved independently (exactly the
monolithic optimum, as objective and constraints are separable) — except under a budget, which
couples them (then one model); a one-village component is decided by enumeration; every MILP is
warm-started from :func:`greedy_plan` (greedy cover, then drop / swap local search).

Examples
--------
>>> import numpy as np
>>> d = np.array([[0.0, 900.0], [800.0, 0.0], [2500.0, 600.0]])
>>> prob = SitingProblem.from_cost_matrix(d, children=[30, 40, 20], site_cost=[20000, 30000],
...                                        travel_cap_m=2000)
>>> plan = solve_siting(prob)
>>> plan.homes["home_id"].tolist(), plan.total_cost_yuan
(['s1'], 30000.0)
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import reduce

import numpy as np
import pandas as pd

from optimization.policy import SitingPolicy
from optimization.solver import Model as _Model
from optimization.solver import components, solver_name, write_lp
from optimization.solver import safe_names as _safe
from optimization.solver import solve as solve_model

__all__ = [
    "BlockStats",
    "SitingInfeasible",
    "SitingIssue",
    "SitingNotSolved",
    "SitingParams",
    "SitingPlan",
    "SitingProblem",
    "SolveStats",
    "build_siting_problem",
    "greedy_plan",
    "p_median_problem",
    "solve_siting",
    "write_siting_lp",
]

STATUSES = ("existing", "reuse", "new")
_DIFFICULTY_COLUMNS = ("orphan", "unsupported", "illness_disability", "dibao_tekun",
                       "difficulty_other")
_WEIGHT_SCALE = 100  # coverage weights are compared in hundredths
_MAX_LISTED = 30  # village codes named in one message line


# ----------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class SitingIssue:
    """One reason a siting problem cannot be solved as posed.

    Attributes
    ----------
    reason : str
        A stable key (``"no_site_in_reach"``, ``"capacity_short"``...).
    villages, sites : tuple of str
        Village codes and site ids concerned.
    zh, en : str
        What is wrong and what to change, in Chinese and English.
    """

    reason: str
    villages: tuple[str, ...]
    sites: tuple[str, ...]
    zh: str
    en: str

    def message(self) -> str:
        """Return the bilingual one-paragraph message."""
        return f"{self.zh} / {self.en}"


class SitingInfeasible(ValueError):
    """The siting problem has no solution as posed; :attr:`issues` says why and what to change.

    Raised before solving by the checks of :meth:`SitingProblem.from_frames` (villages out of
    reach, capacity short, contradictory options) and after solving when the solver proves
    infeasibility (single-source capacity packing).
    """

    def __init__(self, issues: Iterable[SitingIssue]):
        self.issues = tuple(issues)
        super().__init__("\n".join(i.message() for i in self.issues))

    @property
    def villages(self) -> tuple[str, ...]:
        """Every village code named by an issue."""
        return tuple(dict.fromkeys(v for i in self.issues for v in i.villages))

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reason keys of the issues."""
        return tuple(i.reason for i in self.issues)


class SitingNotSolved(RuntimeError):
    """The solver found no feasible plan within the time limit (infeasibility not proven)."""


def _codes(codes: Iterable[str]) -> str:
    codes = list(codes)
    shown = "、".join(codes[:_MAX_LISTED])
    if len(codes) > _MAX_LISTED:
        shown += f" …(+{len(codes) - _MAX_LISTED})"
    return shown


# ----------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class SitingParams:
    """The siting parameters the model uses (a subset of :class:`SitingPolicy`).

    Parameters
    ----------
    own_home_threshold : int or None
        Villages with at least this many resident children get their own home (004 二(一));
        ``None`` disables the rule (the generic facility-location core).
    travel_cap_m : float
        Longest village-to-home distance, metres; pairs beyond it are dropped.
    stay_within_township : bool
        A shared home serves only villages of its own township.
    default_capacity : float
        Capacity of a site whose own capacity is 0 (0 = unlimited).
    max_new_homes : int
        Budget: most shared homes opened at non-existing sites (reuse or new build); own homes
        of large villages are not counted; -1 = no budget.
    coverage_weights : mapping
        ``child``, ``left_behind``, ``difficulty`` (per child) and multipliers
        ``poverty_village``, ``old_base_village`` (001 三(二), 002 五(二)).
    cost_yuan : mapping
        Cost by site kind, used when a site has no cost of its own.
    time_limit_s, gap_rel : float
        Solver time limit (whole solve) and relative optimality gap.
    """

    own_home_threshold: int | None = None
    travel_cap_m: float = math.inf
    stay_within_township: bool = False
    default_capacity: float = 0.0
    max_new_homes: int = -1
    coverage_weights: Mapping[str, float] = field(default_factory=lambda: {"child": 1.0})
    cost_yuan: Mapping[str, float] = field(default_factory=dict)
    time_limit_s: float = 60.0
    gap_rel: float = 1e-4

    @classmethod
    def from_policy(cls, policy: SitingPolicy) -> SitingParams:
        """Take the model's parameters from the ``[siting]`` policy section."""
        return cls(
            own_home_threshold=policy.own_home_threshold,
            travel_cap_m=float(policy.travel_cap_m),
            stay_within_township=policy.stay_within_township,
            default_capacity=float(policy.default_capacity),
            max_new_homes=policy.max_new_homes,
            coverage_weights=dict(policy.coverage_weights),
            cost_yuan=dict(policy.cost_yuan),
            time_limit_s=float(policy.time_limit_s),
            gap_rel=float(policy.gap_rel),
        )


def _params(policy: SitingPolicy | SitingParams | None) -> SitingParams:
    if policy is None:
        return SitingParams()
    if isinstance(policy, SitingParams):
        return policy
    if hasattr(policy, "siting"):  # a whole Policy
        policy = policy.siting
    return SitingParams.from_policy(policy)


# ----------------------------------------------------------------------------- the problem


@dataclass(frozen=True, eq=False)
class SitingProblem:
    """A validated siting instance: plain tables and the sparse pairs the model uses.

    Build with :meth:`from_frames` (or :func:`build_siting_problem`), :meth:`from_cost_matrix`
    or :func:`p_median_problem`; every check that can fail before solving has passed.

    Attributes
    ----------
    villages : DataFrame
        One row per village, index 0..n-1: ``village_code, resident_children, left_behind,
        difficulty, poverty_village, old_base_village, township_code, weight`` (coverage
        weight), ``own_home`` (bool), ``own_site`` (site row or -1), ``own_distance_m``.
    sites : DataFrame
        One row per candidate, index 0..m-1: ``site_id, kind, status, cost_yuan, capacity``
        (effective; 0 = unlimited), ``township_code, village_code, lon, lat``.
    pair_village, pair_site, pair_distance : ndarray
        The model's pairs (small villages only; cap, township, never-open and capacity
        filters applied; a locked village keeps only its locked pair).
    params : SitingParams
    must_open, never_open : tuple of int
        Site rows.
    locked : tuple of (int, int)
        (village row, site row) of the locked small villages.
    unreachable : tuple of int
        Small villages left without any pair (only with ``allow_uncovered``).
    """

    villages: pd.DataFrame
    sites: pd.DataFrame
    pair_village: np.ndarray
    pair_site: np.ndarray
    pair_distance: np.ndarray
    params: SitingParams
    must_open: tuple[int, ...] = ()
    never_open: tuple[int, ...] = ()
    locked: tuple[tuple[int, int], ...] = ()
    unreachable: tuple[int, ...] = ()

    @property
    def n_villages(self) -> int:
        """Number of villages."""
        return len(self.villages)

    @property
    def n_sites(self) -> int:
        """Number of candidate sites."""
        return len(self.sites)

    @property
    def n_pairs(self) -> int:
        """Number of village–site pairs in the model."""
        return len(self.pair_village)

    @classmethod
    def from_frames(
        cls,
        villages: pd.DataFrame,
        sites: pd.DataFrame,
        pairs: pd.DataFrame,
        policy: SitingPolicy | SitingParams | None = None,
        *,
        must_open: Iterable[str] = (),
        never_open: Iterable[str] = (),
        locked: Mapping[str, str] | None = None,
        allow_uncovered: bool = False,
    ) -> SitingProblem:
        """Validate plain tables and build the problem; raise before solving if infeasible.

        Parameters
        ----------
        villages : DataFrame
            ``village_code, resident_children`` and optionally ``left_behind``,
            ``difficulty`` (or the five difficulty sub-type columns, summed),
            ``poverty_village``, ``old_base_village``, ``township_code`` (default: the first 9
            digits of a 12-digit code).
        sites : DataFrame
            ``site_id`` and optionally ``kind``, ``status`` (existing/reuse/new; default from
            the kind: ``children_home`` existing, ``new_build`` new, else reuse),
            ``cost_yuan`` or ``cost`` (default ``cost_yuan[kind]`` of the policy),
            ``capacity`` (0 = the policy default), ``village_code`` (the village it sits in),
            ``township_code``, ``lon``, ``lat``.
        pairs : DataFrame
            Feasible pairs: ``village_code, site_id, distance_m`` (or ``village_idx,
            site_idx, distance_m``), e.g. from :func:`geo.siting_inputs.feasible_pairs`.
            Pairs beyond ``travel_cap_m`` are dropped.
        policy : SitingPolicy or SitingParams
            The ``[siting]`` section of the policy.
        must_open, never_open : iterable of str
            Site ids the planner forces open or closed.
        locked : mapping of str to str
            ``{village_code: site_id}`` assignments the planner fixes. For a village at or
            above the threshold the site must lie in the village (it becomes its own home).
        allow_uncovered : bool
            Report villages that no site can serve as uncovered instead of raising.

        Raises
        ------
        SitingInfeasible
            Listing every problem found, each naming the villages or sites and what to change.
        ValueError
            Malformed input (missing columns, unknown codes, duplicate ids).
        """
        return _build(villages, sites, pairs, _params(policy), tuple(must_open),
                      tuple(never_open), dict(locked or {}), allow_uncovered)

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: np.ndarray,
        children: Iterable[float],
        *,
        site_cost: Iterable[float] | float = 0.0,
        site_capacity: Iterable[float] | float = 0.0,
        site_status: Iterable[str] | str = "reuse",
        travel_cap_m: float | None = None,
        policy: SitingPolicy | SitingParams | None = None,
        max_new_homes: int | None = None,
        village_codes: Iterable[str] | None = None,
        site_ids: Iterable[str] | None = None,
        **options,
    ) -> SitingProblem:
        """Build a problem from a village × site distance matrix (metres), like spopt's.

        Parameters
        ----------
        cost_matrix : array (n_villages, n_sites)
            Distances; ``inf`` or ``nan`` where a site is out of reach.
        children : array (n_villages,)
            Resident children (the demand weight).
        site_cost, site_capacity, site_status : scalar or array (n_sites,)
            Cost in yuan, capacity (0 = unlimited), existing/reuse/new.
        travel_cap_m : float, optional
            Overrides the policy's cap (default: the policy's, or no cap).
        policy : SitingPolicy or SitingParams, optional
            Default: the generic core — no own-home rule, no township rule.
        max_new_homes : int, optional
            Overrides the policy's budget.
        village_codes, site_ids : iterable of str, optional
            Defaults ``v0, v1, ...`` and ``s0, s1, ...``.
        **options
            ``must_open``, ``never_open``, ``locked``, ``allow_uncovered`` as in
            :meth:`from_frames`.
        """
        dist = np.asarray(cost_matrix, dtype=float)
        if dist.ndim != 2:
            raise ValueError("cost_matrix 应为二维数组 / cost_matrix must be 2-D")
        n, m = dist.shape
        params = _params(policy)
        changes = {}
        if travel_cap_m is not None:
            changes["travel_cap_m"] = float(travel_cap_m)
        if max_new_homes is not None:
            changes["max_new_homes"] = int(max_new_homes)
        if changes:
            params = SitingParams(**{**params.__dict__, **changes})
        vcodes = [str(c) for c in village_codes] if village_codes is not None else [
            f"v{i}" for i in range(n)]
        sids = [str(s) for s in site_ids] if site_ids is not None else [f"s{j}" for j in range(m)]
        villages = pd.DataFrame({
            "village_code": vcodes,
            "resident_children": np.asarray(list(children), dtype=float),
        })
        sites = pd.DataFrame({
            "site_id": sids,
            "kind": "site",
            "status": np.broadcast_to(np.asarray(site_status, dtype=object), (m,)),
            "cost_yuan": np.broadcast_to(np.asarray(site_cost, dtype=float), (m,)),
            "capacity": np.broadcast_to(np.asarray(site_capacity, dtype=float), (m,)),
        })
        vi, sj = np.nonzero(np.isfinite(dist) & (dist <= params.travel_cap_m))
        pairs = pd.DataFrame({"village_idx": vi, "site_idx": sj, "distance_m": dist[vi, sj]})
        return cls.from_frames(villages, sites, pairs, params, **options)


def build_siting_problem(
    villages: pd.DataFrame,
    sites: pd.DataFrame,
    pairs: pd.DataFrame,
    policy: SitingPolicy | SitingParams | None = None,
    **options,
) -> SitingProblem:
    """Validate the inputs and build a :class:`SitingProblem` (:meth:`SitingProblem.from_frames`).

    Examples
    --------
    >>> v = pd.DataFrame({"village_code": ["a", "b"], "resident_children": [40, 30]})
    >>> s = pd.DataFrame({"site_id": ["h"], "cost_yuan": [20000.0]})
    >>> p = pd.DataFrame({"village_code": ["a", "b"], "site_id": ["h", "h"],
    ...                   "distance_m": [500.0, 700.0]})
    >>> build_siting_problem(v, s, p).n_pairs
    2
    """
    return SitingProblem.from_frames(villages, sites, pairs, policy, **options)


def p_median_problem(
    distances: np.ndarray, p: int, weights: Iterable[float] | None = None
) -> SitingProblem:
    r"""Return the uncapacitated p-median problem as a siting problem (the p-median core).

    Every client is a village, every column a free (cost 0) site, the budget is ``p`` homes and
    there is no cap: full coverage is reachable with one home, cost is 0 for every plan, so the
    lexicographic optimum is the minimum of :math:`\sum_i w_i \min_{j \in open} d_{ij}` over at
    most (hence, for a non-degenerate instance, exactly) ``p`` open sites.

    Examples
    --------
    >>> d = np.array([[0, 4, 9], [4, 0, 5], [9, 5, 0]], dtype=float)
    >>> solve_siting(p_median_problem(d, 1)).child_weighted_distance
    9.0
    """
    d = np.asarray(distances, dtype=float)
    w = np.ones(d.shape[0]) if weights is None else np.asarray(list(weights), dtype=float)
    return SitingProblem.from_cost_matrix(
        d, w, site_cost=0.0, site_status="new", max_new_homes=int(p),
        policy=SitingParams(coverage_weights={"child": 1.0}),
    )


# ----------------------------------------------------------------------------- validation


def _col(df: pd.DataFrame, name: str, default) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series([default] * len(df), index=df.index)


def _bool(s: pd.Series) -> np.ndarray:
    if s.dtype == bool:
        return s.to_numpy()
    words = {"true", "1", "yes", "y", "是", "t", "√", "1.0"}
    return np.array([str(v).strip().lower() in words for v in s], dtype=bool)


def _count(s: pd.Series, name: str) -> np.ndarray:
    v = pd.to_numeric(s, errors="coerce").fillna(0).to_numpy(dtype=float)
    if (v < 0).any():
        raise ValueError(f"{name} 不能为负数 / {name} must be >= 0")
    return v


def _township_of(code: str) -> str:
    return code[:9] if len(code) == 12 and code.isdigit() else ""


def _village_table(villages: pd.DataFrame, params: SitingParams) -> pd.DataFrame:
    missing = {"village_code", "resident_children"} - set(villages.columns)
    if missing:
        raise ValueError(f"村表缺少列 {sorted(missing)} / villages lack columns {sorted(missing)}")
    codes = villages["village_code"].astype(str).str.strip().to_numpy()
    dup = pd.Series(codes)[pd.Series(codes).duplicated()].unique()
    if len(dup):
        raise ValueError(f"村代码重复：{_codes(dup)} / duplicate village codes: {_codes(dup)}")
    if "difficulty" in villages.columns:
        difficulty = _count(villages["difficulty"], "difficulty")
    else:
        difficulty = sum(
            (_count(villages[c], c) for c in _DIFFICULTY_COLUMNS if c in villages.columns),
            np.zeros(len(villages)),
        )
    town = _col(villages, "township_code", "").fillna("").astype(str).str.strip().to_numpy()
    town = np.array([t if t else _township_of(c) for t, c in zip(town, codes, strict=True)],
                    dtype=object)
    out = pd.DataFrame({
        "village_code": codes.astype(object),
        "resident_children": _count(villages["resident_children"], "resident_children"),
        "left_behind": _count(_col(villages, "left_behind", 0), "left_behind"),
        "difficulty": difficulty,
        "poverty_village": _bool(_col(villages, "poverty_village", False)),
        "old_base_village": _bool(_col(villages, "old_base_village", False)),
        "township_code": town,
    })
    cw = params.coverage_weights
    w = (cw.get("child", 1.0) * out["resident_children"]
         + cw.get("left_behind", 0.0) * out["left_behind"]
         + cw.get("difficulty", 0.0) * out["difficulty"]).to_numpy(dtype=float)
    w = w * np.where(out["poverty_village"], cw.get("poverty_village", 1.0), 1.0)
    w = w * np.where(out["old_base_village"], cw.get("old_base_village", 1.0), 1.0)
    out["weight"] = w
    return out


def _site_table(sites: pd.DataFrame, params: SitingParams,
                village_town: Mapping[str, str]) -> pd.DataFrame:
    if "site_id" not in sites.columns:
        raise ValueError("候选点表缺少列 site_id / sites lack column site_id")
    ids = sites["site_id"].astype(str).str.strip().to_numpy()
    dup = pd.Series(ids)[pd.Series(ids).duplicated()].unique()
    if len(dup):
        raise ValueError(f"候选点编号重复：{_codes(dup)} / duplicate site ids: {_codes(dup)}")
    kind = _col(sites, "kind", "site").fillna("site").astype(str).to_numpy()
    default_status = np.where(kind == "children_home", "existing",
                              np.where(kind == "new_build", "new", "reuse"))
    status = _col(sites, "status", None).to_numpy(dtype=object)
    status = np.array([s if isinstance(s, str) and s else d
                       for s, d in zip(status, default_status, strict=True)], dtype=object)
    bad = sorted(set(status) - set(STATUSES))
    if bad:
        raise ValueError(f"候选点状态应为 {STATUSES}，发现 {bad} / site status must be one of "
                         f"{STATUSES}, got {bad}")
    cost_col = "cost_yuan" if "cost_yuan" in sites.columns else "cost"
    cost = pd.to_numeric(_col(sites, cost_col, np.nan), errors="coerce").to_numpy(float).copy()
    for j in np.flatnonzero(np.isnan(cost)):
        if kind[j] not in params.cost_yuan:
            raise ValueError(
                f"候选点 {ids[j]} 没有成本，政策中也没有 {kind[j]} 类成本（siting.cost_yuan）/ "
                f"site {ids[j]} has no cost and siting.cost_yuan has none for kind {kind[j]}"
            )
        cost[j] = params.cost_yuan[kind[j]]
    if (cost < 0).any():
        raise ValueError("候选点成本不能为负 / site costs must be >= 0")
    cap = _count(_col(sites, "capacity", 0), "capacity")
    cap = np.where(cap > 0, cap, params.default_capacity)
    vcode = _col(sites, "village_code", "").fillna("").astype(str).str.strip().to_numpy()
    town = _col(sites, "township_code", "").fillna("").astype(str).str.strip().to_numpy()
    town = np.array([t if t else village_town.get(v, _township_of(v))
                     for t, v in zip(town, vcode, strict=True)], dtype=object)
    return pd.DataFrame({
        "site_id": ids.astype(object),
        "kind": kind.astype(object),
        "status": status,
        "cost_yuan": np.round(cost),  # costs are compared to the yuan
        "capacity": cap,
        "township_code": town,
        "village_code": vcode.astype(object),
        "lon": pd.to_numeric(_col(sites, "lon", np.nan), errors="coerce").to_numpy(float),
        "lat": pd.to_numeric(_col(sites, "lat", np.nan), errors="coerce").to_numpy(float),
    })


def _pair_arrays(pairs: pd.DataFrame, vindex: Mapping[str, int], sindex: Mapping[str, int],
                 n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if "distance_m" not in pairs.columns:
        raise ValueError("配对表缺少列 distance_m / pairs lack column distance_m")
    if {"village_code", "site_id"} <= set(pairs.columns):
        vc = pairs["village_code"].astype(str).to_numpy()
        sc = pairs["site_id"].astype(str).to_numpy()
        pv = np.array([vindex.get(c, -1) for c in vc], dtype=np.int64)
        ps = np.array([sindex.get(c, -1) for c in sc], dtype=np.int64)
        unknown = sorted(set(vc[pv < 0]) | set(sc[ps < 0]))
        if unknown:
            raise ValueError(f"配对表中有未知的村或候选点：{_codes(unknown)} / pairs name "
                             f"unknown villages or sites: {_codes(unknown)}")
    elif {"village_idx", "site_idx"} <= set(pairs.columns):
        pv = pairs["village_idx"].to_numpy(dtype=np.int64)
        ps = pairs["site_idx"].to_numpy(dtype=np.int64)
        if len(pv) and (pv.min() < 0 or pv.max() >= n or ps.min() < 0 or ps.max() >= m):
            raise ValueError("配对表下标越界 / pair indices out of range")
    else:
        raise ValueError("配对表需要 village_code、site_id 两列 / pairs need village_code and "
                         "site_id columns")
    d = pd.to_numeric(pairs["distance_m"], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(d)
    if (d[keep] < 0).any():
        raise ValueError("距离不能为负 / distances must be >= 0")
    pv, ps, d = pv[keep], ps[keep], d[keep]
    # one pair per (village, site): the shortest
    order = np.lexsort((d, ps, pv))
    pv, ps, d = pv[order], ps[order], d[order]
    first = np.ones(len(pv), dtype=bool)
    first[1:] = (pv[1:] != pv[:-1]) | (ps[1:] != ps[:-1])
    return pv[first], ps[first], d[first]


def _lookup(ids: Iterable[str], index: Mapping[str, int], what_zh: str,
            what_en: str) -> list[int]:
    ids = [str(i) for i in ids]
    unknown = [i for i in ids if i not in index]
    if unknown:
        raise ValueError(f"未知的{what_zh}：{_codes(unknown)} / unknown {what_en}: "
                         f"{_codes(unknown)}")
    return [index[i] for i in ids]


def _build(villages, sites, pairs, params: SitingParams, must_ids, never_ids, locked_ids,
           allow_uncovered) -> SitingProblem:
    vt = _village_table(villages, params)
    st = _site_table(sites, params, dict(zip(vt["village_code"], vt["township_code"],
                                             strict=True)))
    n, m = len(vt), len(st)
    vindex = {c: i for i, c in enumerate(vt["village_code"])}
    sindex = {c: j for j, c in enumerate(st["site_id"])}
    pv, ps, pdist = _pair_arrays(pairs, vindex, sindex, n, m)
    cap_m = params.travel_cap_m
    within = pdist <= cap_m * (1 + 1e-12)
    pv, ps, pdist = pv[within], ps[within], pdist[within]

    must = sorted(set(_lookup(must_ids, sindex, "必开点", "must-open sites")))
    never = sorted(set(_lookup(never_ids, sindex, "禁开点", "never-open sites")))
    lock_v = _lookup(locked_ids.keys(), vindex, "锁定的村", "locked villages")
    lock_s = _lookup(locked_ids.values(), sindex, "锁定的候选点", "locked sites")
    locks = dict(zip(lock_v, lock_s, strict=True))

    children = vt["resident_children"].to_numpy(float)
    codes = vt["village_code"].to_numpy(object)
    sids = st["site_id"].to_numpy(object)
    cap = st["capacity"].to_numpy(float)
    cost = st["cost_yuan"].to_numpy(float)
    existing = (st["status"] == "existing").to_numpy()
    never_mask = np.zeros(m, dtype=bool)
    never_mask[never] = True
    must_mask = np.zeros(m, dtype=bool)
    must_mask[must] = True
    issues: list[SitingIssue] = []

    both = sorted(set(must) & set(never))
    if both:
        ids = [sids[j] for j in both]
        issues.append(SitingIssue(
            "must_and_never_open", (), tuple(ids),
            f"候选点 {_codes(ids)} 同时被设为必开和禁开，请取消其中一项",
            f"sites {_codes(ids)} are both must-open and never-open; drop one of the two marks",
        ))
    bad_lock = [v for v, s in locks.items() if never_mask[s]]
    if bad_lock:
        issues.append(SitingIssue(
            "lock_to_never_open", tuple(codes[v] for v in bad_lock),
            tuple(sids[locks[v]] for v in bad_lock),
            f"村 {_codes(codes[v] for v in bad_lock)} 被锁定到禁开的候选点，请修改锁定或取消禁开",
            f"villages {_codes(codes[v] for v in bad_lock)} are locked to a never-open site; "
            "change the lock or lift the never-open mark",
        ))

    # --- own homes for villages at or above the threshold
    threshold = params.own_home_threshold
    big = (children >= threshold) if threshold is not None else np.zeros(n, dtype=bool)
    own_site = np.full(n, -1, dtype=np.int64)
    site_village = np.array([vindex.get(v, -1) for v in st["village_code"]], dtype=np.int64)
    in_village: dict[int, list[int]] = {}
    for j, v in enumerate(site_village):
        if v >= 0:
            in_village.setdefault(int(v), []).append(j)
    no_site, lock_outside = [], []
    for v in np.flatnonzero(big):
        usable = [j for j in in_village.get(int(v), []) if not never_mask[j]]
        if v in locks:
            j = locks[v]
            if site_village[j] != v:
                lock_outside.append(v)
            elif not never_mask[j]:
                own_site[v] = j
            continue
        if not usable:
            no_site.append(v)
            continue
        # an existing home first, then a must-open site, then the cheapest (the larger on
        # ties). Capacity only limits what the home may take from neighbours: a village larger
        # than its home is served anyway (004 二(一)) and the home hosts no neighbour.
        own_site[v] = min(usable, key=lambda j: (
            not existing[j], not must_mask[j], cost[j],
            -(cap[j] if cap[j] > 0 else np.inf), j))
    thr = threshold
    if no_site:
        c = [codes[v] for v in no_site]
        issues.append(SitingIssue(
            "no_own_home_site", tuple(c), (),
            f"村 {_codes(c)} 常住儿童达到 {thr} 人，应单独设立儿童之家，但村内没有可用的候选场所："
            "请允许新建（siting.allow_new_build）或在村内增加承载场所",
            f"villages {_codes(c)} have at least {thr} children and need their own home but no "
            "candidate site lies inside them: allow new builds (siting.allow_new_build) or add a "
            "host facility in the village",
        ))
    if lock_outside:
        c = [codes[v] for v in lock_outside]
        issues.append(SitingIssue(
            "lock_outside_own_village", tuple(c), tuple(sids[locks[v]] for v in lock_outside),
            f"村 {_codes(c)} 应单独设立儿童之家，只能锁定到本村内的候选点",
            f"villages {_codes(c)} get their own home and can only be locked to a site inside "
            "the village",
        ))
    own_mask = np.zeros(m, dtype=bool)
    own_mask[own_site[own_site >= 0]] = True
    residual = cap.copy()
    for v in np.flatnonzero(own_site >= 0):
        if cap[own_site[v]] > 0:
            residual[own_site[v]] = max(0.0, cap[own_site[v]] - children[v])
    own_distance = np.full(n, np.nan)
    own_distance[big] = 0.0
    hit = (own_site[pv] == ps) & (own_site[pv] >= 0)
    own_distance[pv[hit]] = pdist[hit]

    # --- pairs of the small villages, filtered stage by stage (to say why one is empty)
    small = ~big
    k0 = small[pv]
    pv, ps, pdist = pv[k0], ps[k0], pdist[k0]
    stages = [np.bincount(pv, minlength=n)]
    k1 = ~never_mask[ps]
    stages.append(np.bincount(pv[k1], minlength=n))
    k2 = k1.copy()
    if params.stay_within_township:
        vt_town = vt["township_code"].to_numpy(object)
        st_town = st["township_code"].to_numpy(object)
        k2 &= vt_town[pv] == st_town[ps]
    stages.append(np.bincount(pv[k2], minlength=n))
    k3 = k2 & ((cap[ps] == 0) | (children[pv] <= residual[ps] + 1e-9))
    stages.append(np.bincount(pv[k3], minlength=n))

    lock_pairs: list[tuple[int, int]] = []
    lock_bad: dict[str, list[int]] = {}
    keep = k3.copy()
    for v, s in locks.items():
        if big[v] or never_mask[s]:
            continue
        where = np.flatnonzero((pv == v) & (ps == s))
        if not len(where):
            lock_bad.setdefault("reach", []).append(v)
        elif not k2[where[0]]:
            lock_bad.setdefault("township", []).append(v)
        elif not k3[where[0]]:
            lock_bad.setdefault("capacity", []).append(v)
        else:
            keep &= (pv != v) | (ps == s)
            lock_pairs.append((v, s))
    for why, vs in lock_bad.items():
        c = [codes[v] for v in vs]
        s = [sids[locks[v]] for v in vs]
        zh = {"reach": f"超出服务半径 {cap_m:g} 米或被河流阻隔（无桥）",
              "township": "不在同一乡镇（siting.stay_within_township）",
              "capacity": "容量不足以容纳该村儿童"}[why]
        en = {"reach": f"beyond the {cap_m:g} m cap or across a river without a crossing",
              "township": "in another township (siting.stay_within_township)",
              "capacity": "too small for the village's children"}[why]
        issues.append(SitingIssue(
            "lock_out_of_reach", tuple(c), tuple(s),
            f"村 {_codes(c)} 锁定的候选点 {_codes(s)} {zh}：请修改锁定、提高服务半径或容量",
            f"villages {_codes(c)} are locked to sites {_codes(s)} {en}: change the lock or "
            "raise the cap or capacity",
        ))
    pv, ps, pdist = pv[keep], ps[keep], pdist[keep]

    # --- villages without any pair, by the filter that emptied them
    empty = small & (np.bincount(pv, minlength=n) == 0)
    empty &= ~np.isin(np.arange(n), list(lock_bad.get("reach", [])) +
                      list(lock_bad.get("township", [])) + list(lock_bad.get("capacity", [])))
    unreachable: list[int] = []
    if empty.any():
        if allow_uncovered:
            unreachable = [int(v) for v in np.flatnonzero(empty)]
        else:
            texts = {
                0: ("no_site_in_reach",
                    f"在服务半径 {cap_m:g} 米内（河流只能经桥梁通过）没有任何候选点：请提高服务半径"
                    "（siting.travel_cap_m）、允许新建（siting.allow_new_build）或增加候选场所/过河点",
                    f"have no candidate site within the {cap_m:g} m cap (rivers crossed only at "
                    "crossings): raise the cap (siting.travel_cap_m), allow new builds "
                    "(siting.allow_new_build) or add a candidate site or crossing"),
                1: ("all_in_reach_never_open",
                    "服务半径内的候选点都被设为禁开：请取消部分禁开或增加候选场所",
                    "can only reach never-open sites: lift a never-open mark or add a candidate"),
                2: ("no_site_in_township",
                    "服务半径内的候选点都在其他乡镇：请关闭“只服务本乡镇”（siting.stay_within_"
                    "township）、提高服务半径或在本乡镇增加候选场所",
                    "can only reach sites in other townships: turn off siting.stay_within_"
                    "township, raise the cap or add a candidate in the township"),
                3: ("village_exceeds_capacity",
                    "儿童数超过服务半径内每个候选点的容量：请提高容量（siting.default_capacity）",
                    "have more children than any reachable site can hold: raise the capacity "
                    "(siting.default_capacity or the site's capacity)"),
            }
            first_zero = np.zeros(n, dtype=np.int64)
            for k in range(len(stages) - 1, -1, -1):
                first_zero[stages[k] == 0] = k
            for k, (reason, zh, en) in texts.items():
                vs = np.flatnonzero(empty & (first_zero == k))
                if len(vs):
                    c = [codes[v] for v in vs]
                    issues.append(SitingIssue(reason, tuple(c), (), f"村 {_codes(c)} {zh}",
                                              f"villages {_codes(c)} {en}"))

    # --- locked children against capacity; fixed openings against the budget
    over = []
    for s in sorted({s for _, s in lock_pairs}):
        load = sum(children[v] for v, t in lock_pairs if t == s)
        if cap[s] > 0 and load > residual[s] + 1e-9:
            over.append(s)
    if over:
        ids = [sids[s] for s in over]
        vs = [codes[v] for v, s in lock_pairs if s in over]
        issues.append(SitingIssue(
            "lock_exceeds_capacity", tuple(vs), tuple(ids),
            f"锁定到候选点 {_codes(ids)} 的村儿童总数超过其容量：请减少锁定或提高容量",
            f"the villages locked to sites {_codes(ids)} exceed their capacity: lock fewer or "
            "raise the capacity",
        ))
    budget = params.max_new_homes
    if budget >= 0:
        forced = {j for j in must if not own_mask[j]} | {s for _, s in lock_pairs
                                                         if not own_mask[s]}
        forced_new = sorted(j for j in forced if not existing[j])
        if len(forced_new) > budget:
            ids = [sids[j] for j in forced_new]
            issues.append(SitingIssue(
                "budget_below_forced", (), tuple(ids),
                f"必开或锁定的新增点 {_codes(ids)} 共 {len(ids)} 个，超过新增上限 {budget}"
                "（siting.max_new_homes）：请提高上限或减少必开/锁定",
                f"{len(ids)} must-open or locked non-existing sites ({_codes(ids)}) exceed the "
                f"budget of {budget} new homes (siting.max_new_homes): raise it or force fewer",
            ))
    else:
        issues.extend(_capacity_short(n, m, pv, ps, children, residual, cap, codes, sids))
    if issues:
        raise SitingInfeasible(issues)

    vt["own_home"] = own_site >= 0
    vt["own_site"] = own_site
    vt["own_distance_m"] = own_distance
    st["capacity"] = np.where(cap > 0, cap, 0.0)
    return SitingProblem(
        villages=vt, sites=st, pair_village=pv, pair_site=ps, pair_distance=pdist,
        params=params, must_open=tuple(must), never_open=tuple(never),
        locked=tuple(sorted(lock_pairs)), unreachable=tuple(unreachable),
    )


def _capacity_short(n, m, pv, ps, children, residual, cap, codes, sids) -> list[SitingIssue]:
    """Components whose total demand exceeds the total capacity of their sites."""
    if not len(pv) or not (cap > 0).any():
        return []
    _, label = _graph_components(n, m, pv, ps)
    out = []
    vlab, slab = label[:n], label[n:]
    has_pairs = np.bincount(pv, minlength=n) > 0
    used_sites = np.zeros(m, dtype=bool)
    used_sites[ps] = True
    for comp in np.unique(vlab[has_pairs]):
        sites = np.flatnonzero((slab == comp) & used_sites)
        if (cap[sites] == 0).any():
            continue
        vs = np.flatnonzero((vlab == comp) & has_pairs)
        demand = children[vs].sum()
        supply = np.maximum(residual[sites], 0).sum()
        if demand > supply + 1e-9:
            c = [codes[v] for v in vs]
            out.append(SitingIssue(
                "capacity_short", tuple(c), tuple(sids[j] for j in sites),
                f"村 {_codes(c)} 共 {demand:g} 名儿童，服务半径内候选点总容量只有 {supply:g}："
                "请提高容量、增加候选场所或提高服务半径",
                f"villages {_codes(c)} have {demand:g} children but the sites within reach hold "
                f"only {supply:g}: raise capacities, add a candidate site or raise the cap",
            ))
    return out


def _graph_components(n, m, pv, ps) -> tuple[int, np.ndarray]:
    """Label the components of the bipartite village–site graph (villages 0..n-1, sites n..)."""
    return components(n, m, pv, ps)


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class BlockStats:
    r"""How one independently solved block (connected component, or the whole model) went.

    ``objective`` and ``best_bound`` are in the block's own weighted units
    (:math:`M_k C/\delta + D` with :math:`M_k = 2\bar D_k + 1`); ``method`` is
    ``"enumeration"``, ``"greedy"`` (nothing to decide) or ``"milp"``.
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


@dataclass(frozen=True)
class SolveStats:
    r"""Solver statistics of a plan.

    Attributes
    ----------
    solver : str
        ``"cbc"``, ``"highs"`` or ``"greedy"``.
    status : str
        ``"optimal"`` (every block proven within the tolerance), ``"time_limit"`` (best plan
        found, see the gaps) or ``"heuristic"`` (greedy, no bound).
    objective, best_bound, gap : float
        Weighted objective :math:`M C/\delta + D` of the whole plan with one common
        :math:`M = 2 \max_k \bar D_k + 1`, a proven lower bound (recombined from each block's
        cost and distance bounds) and the relative gap.
    cost_yuan, cost_bound_yuan, cost_gap : float
        Level (2) decoded: total cost, a proven lower bound, relative gap (0 = proven optimal).
    distance, distance_bound, distance_gap : float
        Level (3): child-weighted distance (child·m), its bound when the cost is proven
        (else ``nan``), relative gap.
    coverage, coverage_bound : float
        Level (1): weighted coverage of the plan and its proven upper bound.
    seconds : float
        Wall time of the whole solve (model building included).
    variables, constraints : int
        Summed over the MILP blocks.
    components, milp_blocks : int
        Connected components of the village–site graph; blocks solved by MILP.
    blocks : tuple of BlockStats
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


@dataclass(frozen=True, eq=False)
class SitingPlan:
    r"""A siting plan: open homes, who goes where, what it costs, and how it was proven.

    Attributes
    ----------
    homes : DataFrame
        One row per open home: ``home_id, kind, status`` (existing/reuse/new), ``own_home_of``
        (village code or ""), ``cost_yuan, capacity`` (0 = unlimited), ``children_served,
        capacity_use`` (fraction, nan if unlimited), ``villages_served, left_behind_served,
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


# ----------------------------------------------------------------------------- blocks


@dataclass(frozen=True, eq=False)
class _Data:
    """Arrays the solver works on (derived once from a problem)."""

    children: np.ndarray
    weight: np.ndarray  # integer hundredths
    cost: np.ndarray
    cap: np.ndarray  # capacity left for small villages; inf = unlimited
    own: np.ndarray  # site is an own home (open, no variable)
    must: np.ndarray
    existing: np.ndarray
    pv: np.ndarray
    ps: np.ndarray
    pd: np.ndarray
    lock_pair: Mapping[int, int]  # village -> pair index


def _data(problem: SitingProblem) -> _Data:
    vt, st = problem.villages, problem.sites
    m = len(st)
    children = vt["resident_children"].to_numpy(float)
    cap = st["capacity"].to_numpy(float).copy()
    cap[cap <= 0] = np.inf
    own = np.zeros(m, dtype=bool)
    own_site = vt["own_site"].to_numpy()
    for v in np.flatnonzero(own_site >= 0):
        own[own_site[v]] = True
        cap[own_site[v]] -= children[v]
    must = np.zeros(m, dtype=bool)
    must[list(problem.must_open)] = True
    pv, ps = problem.pair_village, problem.pair_site
    lock_pair = {}
    for v, s in problem.locked:
        lock_pair[v] = int(np.flatnonzero((pv == v) & (ps == s))[0])
    return _Data(
        children=children,
        weight=np.round(vt["weight"].to_numpy(float) * _WEIGHT_SCALE),
        cost=st["cost_yuan"].to_numpy(float),
        cap=cap, own=own, must=must,
        existing=(st["status"] == "existing").to_numpy(),
        pv=pv, ps=ps, pd=problem.pair_distance, lock_pair=lock_pair,
    )


@dataclass(frozen=True, eq=False)
class _Block:
    villages: np.ndarray
    sites: np.ndarray
    pairs: np.ndarray
    components: int


def _blocks(problem: SitingProblem, data: _Data, decompose: bool) -> tuple[list[_Block], int]:
    n, m = problem.n_villages, problem.n_sites
    pv, ps = data.pv, data.ps
    used = np.zeros(m, dtype=bool)
    used[ps] = True
    # sites that matter: in a pair, or forced open
    relevant_sites = used | data.must
    _, label = _graph_components(n, m, pv, ps)
    vlab, slab = label[:n], label[n:]
    has_pairs = np.bincount(pv, minlength=n) > 0
    comp_ids = np.unique(np.concatenate([vlab[has_pairs], slab[relevant_sites]]))
    pair_lab = vlab[pv]
    order_p = np.argsort(pair_lab, kind="stable")
    p_bounds = np.searchsorted(pair_lab[order_p], comp_ids, side="left"), \
        np.searchsorted(pair_lab[order_p], comp_ids, side="right")
    v_sorted = np.argsort(vlab, kind="stable")
    s_sorted = np.argsort(slab, kind="stable")
    vb = np.searchsorted(vlab[v_sorted], comp_ids, "left"), \
        np.searchsorted(vlab[v_sorted], comp_ids, "right")
    sb = np.searchsorted(slab[s_sorted], comp_ids, "left"), \
        np.searchsorted(slab[s_sorted], comp_ids, "right")
    blocks = []
    for k in range(len(comp_ids)):
        vs = v_sorted[vb[0][k]:vb[1][k]]
        vs = np.sort(vs[has_pairs[vs]])
        ss = s_sorted[sb[0][k]:sb[1][k]]
        ss = np.sort(ss[relevant_sites[ss]])
        pp = np.sort(order_p[p_bounds[0][k]:p_bounds[1][k]])
        blocks.append(_Block(vs, ss, pp, 1))
    n_components = len(blocks)
    if not decompose or problem.params.max_new_homes >= 0:
        if len(blocks) > 1:
            blocks = [_Block(
                np.sort(np.concatenate([b.villages for b in blocks])),
                np.sort(np.concatenate([b.sites for b in blocks])),
                np.sort(np.concatenate([b.pairs for b in blocks])),
                len(blocks),
            )]
    return blocks, n_components


class _Local:
    """A block in local indices: pairs sorted by (village, distance)."""

    def __init__(self, data: _Data, blk: _Block):
        self.blk = blk
        order = np.lexsort((data.pd[blk.pairs], np.searchsorted(blk.villages,
                                                                data.pv[blk.pairs])))
        self.pairs = blk.pairs[order]  # global pair ids, local order
        self.lv = np.searchsorted(blk.villages, data.pv[self.pairs])
        self.ls = np.searchsorted(blk.sites, data.ps[self.pairs])
        self.d = data.pd[self.pairs]
        self.nv, self.ns = len(blk.villages), len(blk.sites)
        self.vstart = np.searchsorted(self.lv, np.arange(self.nv + 1))
        self.c = data.children[blk.villages]
        self.w = data.weight[blk.villages]
        self.f = data.cost[blk.sites]
        self.q = data.cap[blk.sites]
        self.own = data.own[blk.sites]
        self.must = data.must[blk.sites]
        self.existing = data.existing[blk.sites]
        gpos = {int(g): k for k, g in enumerate(self.pairs)}
        self.lock = {int(np.searchsorted(blk.villages, v)): gpos[p]
                     for v, p in data.lock_pair.items() if p in gpos}
        self.fixed = self.own | self.must
        for p in self.lock.values():
            self.fixed[self.ls[p]] = True
        self.capacitated = bool(np.isfinite(self.q[np.unique(self.ls)]).any()) if len(
            self.ls) else False
        # pairs by site
        self.site_order = np.argsort(self.ls, kind="stable")
        self.sstart = np.searchsorted(self.ls[self.site_order], np.arange(self.ns + 1))

    def key(self, open_: np.ndarray, assign: np.ndarray) -> tuple[float, float, float]:
        """(−coverage, cost, distance) of a local plan (lexicographic)."""
        cov = self.w[assign >= 0].sum()
        cost = self.f[open_ & ~self.own].sum()
        a = assign[assign >= 0]
        dist = float((self.c[self.lv[a]] * self.d[a]).sum())
        return (-cov, cost, dist)


# ----------------------------------------------------------------------------- greedy


def _greedy_local(loc: _Local, budget: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Greedy cover then local search on one block; returns (open sites, pair per village)."""
    nv, ns = loc.nv, loc.ns
    c, lv, ls, d = loc.c, loc.lv, loc.ls, loc.d
    is_open = loc.fixed.copy()
    rem = loc.q.copy()
    assign = np.full(nv, -1, dtype=np.int64)
    for v, p in loc.lock.items():
        assign[v] = p
        rem[ls[p]] -= c[v]

    def used_budget() -> int:
        return int((is_open & ~loc.existing & ~loc.own).sum())

    def nearest_open(v: int, exclude: int = -1) -> int:
        for p in range(loc.vstart[v], loc.vstart[v + 1]):
            s = ls[p]
            if is_open[s] and s != exclude and rem[s] >= c[v]:
                return p
        return -1

    by_options = np.argsort(np.diff(loc.vstart), kind="stable")
    for v in by_options:
        if assign[v] < 0:
            p = nearest_open(v)
            if p >= 0:
                assign[v] = p
                rem[ls[p]] -= c[v]
    # construct: open the best site until every village is covered (or the budget is spent)
    while True:
        unc = assign < 0
        if not unc.any():
            break
        can_spend = budget is None or used_budget() < budget
        mask = unc[lv] & ~is_open[ls] & (c[lv] <= rem[ls])
        if not can_spend:
            mask &= loc.existing[ls]
        if not mask.any():
            break
        gain_w = loc.w[lv] if budget is not None else np.ones(len(lv))
        gain = np.bincount(ls[mask], weights=gain_w[mask], minlength=ns)
        if loc.capacitated:
            dem = np.bincount(ls[mask], weights=c[lv[mask]], minlength=ns)
            with np.errstate(divide="ignore", invalid="ignore"):
                gain = gain * np.where(np.isfinite(rem) & (dem > 0),
                                       np.minimum(1.0, rem / np.maximum(dem, 1e-9)), 1.0)
        cand = np.flatnonzero(gain > 0)
        if not len(cand):
            break
        if budget is not None:
            best = cand[np.lexsort((loc.f[cand], -gain[cand]))[0]]
        else:
            ratio = loc.f[cand] / gain[cand]
            best = cand[np.lexsort((-gain[cand], ratio))[0]]
        is_open[best] = True
        ps_ = loc.site_order[loc.sstart[best]:loc.sstart[best + 1]]
        ps_ = ps_[np.argsort(d[ps_], kind="stable")]
        for p in ps_:
            v = lv[p]
            if assign[v] < 0 and rem[best] >= c[v]:
                assign[v] = p
                rem[best] -= c[v]
    _reassign(loc, is_open, assign, rem)
    _drop(loc, is_open, assign, rem)
    if not loc.capacitated:
        _add_free(loc, is_open, assign, budget)
        _swap(loc, is_open, assign, budget)
    # close what serves nobody and is not forced
    serving = np.zeros(ns, dtype=bool)
    serving[ls[assign[assign >= 0]]] = True
    is_open &= serving | loc.fixed
    return is_open, assign


def _reassign(loc: _Local, is_open, assign, rem) -> None:
    """Move every unlocked village to its nearest open site with room."""
    c, ls, d = loc.c, loc.ls, loc.d
    for v in np.argsort(-c, kind="stable"):
        if v in loc.lock:
            continue
        cur = assign[v]
        for p in range(loc.vstart[v], loc.vstart[v + 1]):
            s = ls[p]
            if cur >= 0 and d[p] >= d[cur]:
                break
            if is_open[s] and (rem[s] >= c[v] or (cur >= 0 and s == ls[cur])):
                if cur >= 0:
                    rem[ls[cur]] += c[v]
                assign[v] = p
                rem[s] -= c[v]
                break


def _drop(loc: _Local, is_open, assign, rem) -> None:
    """Close costly open sites whose villages all fit elsewhere."""
    c, ls = loc.c, loc.ls
    for s in np.argsort(-loc.f, kind="stable"):
        if not is_open[s] or loc.fixed[s] or loc.f[s] <= 0:
            continue
        mine = np.flatnonzero((assign >= 0) & (ls[np.maximum(assign, 0)] == s))
        moves, trial = [], rem.copy()
        ok = True
        for v in mine:
            best = -1
            for p in range(loc.vstart[v], loc.vstart[v + 1]):
                t = ls[p]
                if t != s and is_open[t] and trial[t] >= c[v]:
                    best = p
                    break
            if best < 0:
                ok = False
                break
            moves.append((v, best))
            trial[ls[best]] -= c[v]
        if ok:
            is_open[s] = False
            for v, p in moves:
                rem[ls[assign[v]]] += c[v]
                assign[v] = p
                rem[ls[p]] -= c[v]


def _add_free(loc: _Local, is_open, assign, budget: int | None) -> None:
    """Open cost-free sites (existing homes; every site of a p-median) while they shorten trips.

    Opening a free site never raises the cost, so it is better as soon as it covers someone or
    brings a village nearer; within the budget for non-existing sites (no capacity here).
    """
    c, w, lv, ls, d = loc.c, loc.w, loc.lv, loc.ls, loc.d
    locked = np.zeros(loc.nv, dtype=bool)
    locked[list(loc.lock)] = True
    while True:
        spent = int((is_open & ~loc.existing & ~loc.own).sum())
        ok_site = ~is_open & (loc.f <= 0)
        if budget is not None and spent >= budget:
            ok_site &= loc.existing
        if not ok_site.any():
            return
        cur = np.where(assign >= 0, d[np.maximum(assign, 0)], np.inf)
        mask = ok_site[ls] & ~locked[lv] & (d < cur[lv])
        if not mask.any():
            return
        newly = ~np.isfinite(cur[lv])
        cov = np.bincount(ls[mask & newly], weights=w[lv[mask & newly]], minlength=loc.ns)
        saved = np.where(newly, -c[lv] * d, c[lv] * (cur[lv] - d))
        gain = np.bincount(ls[mask], weights=saved[mask], minlength=loc.ns)
        best = int(np.lexsort((-gain, -cov))[0])
        if cov[best] <= 0 and gain[best] <= 1e-9:
            return
        is_open[best] = True
        bp = loc.site_order[loc.sstart[best]:loc.sstart[best + 1]]
        for p in bp:
            v = lv[p]
            if not locked[v] and d[p] < cur[v]:
                assign[v] = p


def _swap(loc: _Local, is_open, assign, budget: int | None, passes: int = 3) -> None:
    """Swap an open site for a closed one when that is lexicographically better (no capacity).

    Keeps, per village, the nearest and second-nearest open sites; a swap (close s, open k)
    is evaluated from them in O(villages touching s or k).
    """
    c, w, lv, ls, d = loc.c, loc.w, loc.lv, loc.ls, loc.d
    nv = loc.nv
    locked = np.zeros(nv, dtype=bool)
    locked[list(loc.lock)] = True

    def firsts(v):
        p1 = p2 = -1
        for p in range(loc.vstart[v], loc.vstart[v + 1]):
            if is_open[ls[p]]:
                if p1 < 0:
                    p1 = p
                else:
                    p2 = p
                    break
        return p1, p2

    near1 = np.full(nv, -1, dtype=np.int64)
    near2 = np.full(nv, -1, dtype=np.int64)
    for v in range(nv):
        near1[v], near2[v] = firsts(v)
        if locked[v]:
            near1[v], near2[v] = assign[v], -1
    inf = np.inf
    for _ in range(passes):
        improved = False
        for s in np.argsort(-loc.f, kind="stable"):
            if not is_open[s] or loc.fixed[s]:
                continue
            mine_mask = (near1 >= 0) & (ls[np.maximum(near1, 0)] == s) & ~locked
            mine = np.flatnonzero(mine_mask)
            d1 = np.where(near1 >= 0, d[np.maximum(near1, 0)], inf)
            d2 = np.where(near2 >= 0, d[np.maximum(near2, 0)], inf)
            # closing s: each of its villages falls back to its second-nearest (or uncovered)
            base_dist = 0.0
            base_cov = 0.0
            for v in mine:
                if np.isfinite(d2[v]):
                    base_dist += c[v] * (d2[v] - d1[v])
                else:
                    base_cov -= w[v]
                    base_dist -= c[v] * d1[v]
            # candidate k: closed sites reachable from s's villages (or any, when s serves none)
            cand_p = np.concatenate([np.arange(loc.vstart[v], loc.vstart[v + 1]) for v in mine]) \
                if len(mine) else np.array([], dtype=np.int64)
            cands = np.unique(ls[cand_p]) if len(cand_p) else np.array([], dtype=np.int64)
            cands = cands[~is_open[cands] & (loc.f[cands] <= loc.f[s])]
            if budget is not None and loc.existing[s]:
                if int((is_open & ~loc.existing & ~loc.own).sum()) >= budget:
                    cands = cands[loc.existing[cands]]
            best, best_key = -1, (0.0, 0.0, -1e-9)
            for k in cands:
                kp = loc.site_order[loc.sstart[k]:loc.sstart[k + 1]]
                dk = d[kp]
                vk = lv[kp]
                free = ~locked[vk]
                dk, vk = dk[free], vk[free]
                is_mine = mine_mask[vk]
                cov, dist = base_cov, base_dist
                # s's villages that k reaches: min(d2, dk) instead of d2
                for v, dv in zip(vk[is_mine], dk[is_mine], strict=True):
                    if np.isfinite(d2[v]):
                        dist += c[v] * (min(d2[v], dv) - d2[v])
                    else:
                        cov += w[v]
                        dist += c[v] * dv
                # others that k reaches: better if nearer than their nearest
                ov, od = vk[~is_mine], dk[~is_mine]
                cur = d1[ov]
                newly = ~np.isfinite(cur)
                cov += w[ov[newly]].sum()
                dist += (c[ov[newly]] * od[newly]).sum()
                gain = (~newly) & (od < cur)
                dist += (c[ov[gain]] * (od[gain] - cur[gain])).sum()
                key = (-cov, loc.f[k] - loc.f[s], dist)
                if key < best_key:
                    best, best_key = k, key
            if best >= 0:
                is_open[s] = False
                is_open[best] = True
                touched = set()
                for t in (s, best):
                    tp = loc.site_order[loc.sstart[t]:loc.sstart[t + 1]]
                    touched.update(lv[tp].tolist())
                for v in touched:
                    if locked[v]:
                        continue
                    near1[v], near2[v] = firsts(v)
                    assign[v] = near1[v]
                improved = True
        if not improved:
            break
    for v in range(nv):
        if not locked[v]:
            assign[v] = near1[v]


# ----------------------------------------------------------------------------- the model


@dataclass(frozen=True, eq=False)
class _Cols:
    y: np.ndarray  # column of each local site, -1 for own homes
    x: np.ndarray  # column of each local pair
    z: np.ndarray | None  # column of each local village (coverage mode)


def _add_columns(model: _Model, loc: _Local, vname, sname, coverage: bool) -> _Cols:
    """Variables: open_s<id> (binary), assign_v<code>_s<id>, covered_v<code>."""
    y = np.full(loc.ns, -1, dtype=np.int64)
    free = np.flatnonzero(~loc.own)
    y[free] = model.add_cols([f"open_s{sname[s]}" for s in free], 0.0, 0.0, 1.0, True)
    binary_x = np.isfinite(loc.q[loc.ls])
    x = model.add_cols([f"assign_v{vname[v]}_s{sname[s]}" for v, s in
                        zip(loc.lv, loc.ls, strict=True)], 0.0, 0.0, 1.0, binary_x)
    z = None
    if coverage:
        z = model.add_cols([f"covered_v{vname[v]}" for v in range(loc.nv)], 0.0, 0.0, 1.0, False)
    return _Cols(y, x, z)


def _add_cover_rows(model: _Model, loc: _Local, cols: _Cols, vname) -> None:
    """cover_v<code>: sum_j x_ij = 1, or = z_i under a budget."""
    rows, cc, vals = [loc.lv], [cols.x[np.arange(len(loc.lv))]], [np.ones(len(loc.lv))]
    rhs = 1.0
    if cols.z is not None:
        rows.append(np.arange(loc.nv))
        cc.append(cols.z)
        vals.append(-np.ones(loc.nv))
        rhs = 0.0
    model.add_rows([f"cover_v{vname[v]}" for v in range(loc.nv)], np.concatenate(rows),
                   np.concatenate(cc), np.concatenate(vals), rhs, rhs)


def _add_link_rows(model: _Model, loc: _Local, cols: _Cols, vname, sname) -> None:
    """link_v<code>_s<id>: x_ij <= y_j for every pair to a site that is not an own home."""
    p = np.flatnonzero(~loc.own[loc.ls])
    k = len(p)
    r = np.arange(k)
    model.add_rows([f"link_v{vname[loc.lv[i]]}_s{sname[loc.ls[i]]}" for i in p],
                   np.concatenate([r, r]), np.concatenate([cols.x[p], cols.y[loc.ls[p]]]),
                   np.concatenate([np.ones(k), -np.ones(k)]), -np.inf, 0.0)


def _add_capacity_rows(model: _Model, loc: _Local, cols: _Cols, sname) -> None:
    """capacity_s<id>: sum_i c_i x_ij <= Q_j y_j (own home: <= capacity left after its village)."""
    sites = np.flatnonzero(np.isfinite(loc.q))
    sites = sites[np.isin(sites, loc.ls)]
    if not len(sites):
        return
    row_of = np.full(loc.ns, -1)
    row_of[sites] = np.arange(len(sites))
    p = np.flatnonzero(row_of[loc.ls] >= 0)
    rows = [row_of[loc.ls[p]]]
    cc = [cols.x[p]]
    vals = [loc.c[loc.lv[p]]]
    ub = np.zeros(len(sites))
    free = ~loc.own[sites]
    rows.append(np.flatnonzero(free))
    cc.append(cols.y[sites[free]])
    vals.append(-loc.q[sites[free]])
    ub[~free] = loc.q[sites[~free]]
    model.add_rows([f"capacity_s{sname[s]}" for s in sites], np.concatenate(rows),
                   np.concatenate(cc), np.concatenate(vals), -np.inf, ub)


def _add_must_open_rows(model: _Model, loc: _Local, cols: _Cols, sname) -> None:
    """must_open_s<id>: y_j = 1."""
    sites = np.flatnonzero(loc.must & ~loc.own)
    model.add_rows([f"must_open_s{sname[s]}" for s in sites], np.arange(len(sites)),
                   cols.y[sites], np.ones(len(sites)), 1.0, 1.0)


def _add_lock_rows(model: _Model, loc: _Local, cols: _Cols, vname, sname) -> None:
    """lock_v<code>_s<id>: x_ij = 1."""
    items = sorted(loc.lock.items())
    model.add_rows([f"lock_v{vname[v]}_s{sname[loc.ls[p]]}" for v, p in items],
                   np.arange(len(items)), cols.x[[p for _, p in items]], np.ones(len(items)),
                   1.0, 1.0)


def _add_budget_row(model: _Model, loc: _Local, cols: _Cols, budget: int) -> None:
    """budget_new_homes: sum of y_j over non-existing shared sites <= max_new_homes."""
    sites = np.flatnonzero(~loc.existing & ~loc.own)
    model.add_rows(["budget_new_homes"], np.zeros(len(sites), dtype=np.int64), cols.y[sites],
                   np.ones(len(sites)), -np.inf, float(budget))


def _add_coverage_floor_row(model: _Model, loc: _Local, cols: _Cols, floor: float) -> None:
    """coverage_floor: sum_i w_i z_i >= W* (weights in integer hundredths)."""
    model.add_rows(["coverage_floor"], np.zeros(loc.nv, dtype=np.int64), cols.z, loc.w,
                   floor - 0.5, np.inf)


def _set_objective(model: _Model, cols: _Cols, obj_y, obj_x, obj_z=None) -> None:
    obj = np.concatenate(model.obj) if model.obj else np.zeros(0)
    obj = obj.copy()
    free = cols.y >= 0
    obj[cols.y[free]] = obj_y[free]
    obj[cols.x] = obj_x
    if obj_z is not None and cols.z is not None:
        obj[cols.z] = obj_z
    model.obj = [obj]


def _build_model(loc: _Local, vname, sname, *, coverage: bool, budget: int | None,
                 stage: str, floor: float | None,
                 scale: tuple[float, float]) -> tuple[_Model, _Cols]:
    """Assemble one block's model from the constraint-family builders.

    ``stage="coverage"``: maximise weighted coverage (as ``min -W``); ``stage="cost"``:
    minimise ``M*C/delta + D`` (with ``coverage_floor`` when ``floor`` is given).
    """
    model = _Model(name=f"siting_{stage}")
    cols = _add_columns(model, loc, vname, sname, coverage)
    _add_cover_rows(model, loc, cols, vname)
    _add_link_rows(model, loc, cols, vname, sname)
    _add_capacity_rows(model, loc, cols, sname)
    _add_must_open_rows(model, loc, cols, sname)
    _add_lock_rows(model, loc, cols, vname, sname)
    if budget is not None:
        _add_budget_row(model, loc, cols, budget)
    if stage == "coverage":
        _set_objective(model, cols, np.zeros(loc.ns), np.zeros(len(loc.lv)), -loc.w)
    else:
        big_m, delta = scale
        if floor is not None:
            _add_coverage_floor_row(model, loc, cols, floor)
        _set_objective(model, cols, big_m * loc.f / delta, loc.c[loc.lv] * loc.d)
    return model, cols


# ----------------------------------------------------------------------------- solvers


@dataclass(frozen=True)
class _Result:
    status: str  # optimal | time_limit (gap open) | infeasible | no_solution
    values: np.ndarray | None
    bound: float
    seconds: float


def _run_model(solver: str, model: _Model, start: np.ndarray | None, deadline: float,
               gap_abs: float, threads: int | None, msg: bool) -> _Result:
    """Solve through the one solver layer; a plan with an open gap reads ``time_limit``."""
    r = solve_model(model, solver, deadline=deadline, gap_abs=gap_abs, threads=threads,
                    start=start, msg=msg)
    status = {"feasible": "time_limit"}.get(r.status, r.status)
    return _Result(status, r.values, r.bound, r.seconds)


# ----------------------------------------------------------------------------- solve


def _start_vector(model: _Model, cols: _Cols, loc: _Local, is_open, assign) -> np.ndarray:
    x0 = np.zeros(model.n_cols)
    free = cols.y >= 0
    x0[cols.y[free]] = is_open[free].astype(float)
    a = assign[assign >= 0]
    x0[cols.x[a]] = 1.0
    if cols.z is not None:
        x0[cols.z] = (assign >= 0).astype(float)
    return x0


def _decode(loc: _Local, cols: _Cols, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    is_open = loc.own.copy()
    free = cols.y >= 0
    is_open[free] = values[cols.y[free]] > 0.5
    xv = values[cols.x]
    assign = np.full(loc.nv, -1, dtype=np.int64)
    # per village: largest x, nearest on ties (pairs are sorted by distance within a village)
    order = np.lexsort((np.arange(len(xv)), -np.round(xv, 6), loc.lv))
    first = np.ones(len(order), dtype=bool)
    first[1:] = loc.lv[order][1:] != loc.lv[order][:-1]
    best = order[first]
    ok = xv[best] > 1e-6
    assign[loc.lv[best[ok]]] = best[ok]
    if cols.z is not None:
        assign[values[cols.z] < 0.5] = -1
    serving = np.zeros(loc.ns, dtype=bool)
    serving[loc.ls[assign[assign >= 0]]] = True
    is_open &= serving | loc.fixed
    is_open |= loc.fixed
    return is_open, assign


def _dbar(loc: _Local) -> float:
    """Sum over villages of children × farthest reachable distance: bounds every plan's D."""
    if not len(loc.lv):
        return 0.0
    far = np.zeros(loc.nv)
    np.maximum.at(far, loc.lv, loc.d)
    return float((loc.c * far).sum())


def _enumerate(loc: _Local) -> tuple[np.ndarray, np.ndarray]:
    """Decide a one-village block: the lexicographically best site (free if already open)."""
    is_open = loc.fixed.copy()
    assign = np.full(loc.nv, -1, dtype=np.int64)
    if loc.nv == 1:
        if 0 in loc.lock:
            p = loc.lock[0]
        else:
            extra = np.where(loc.fixed[loc.ls], 0.0, loc.f[loc.ls])
            p = int(np.lexsort((loc.d, extra))[0])
        assign[0] = p
        is_open[loc.ls[p]] = True
    return is_open, assign


def _plan_key(loc: _Local, is_open, assign, big_m, delta) -> tuple[float, float, float]:
    cov, cost, dist = loc.key(is_open, assign)
    return cov, big_m * cost / delta + dist, cost


def greedy_plan(problem: SitingProblem) -> SitingPlan:
    """Return a heuristic plan: greedy cover, then drop and swap local search (the baseline).

    Greedy opens, block by block, the site with the lowest cost per newly covered village
    (under a budget: the largest newly covered weight) until every village is covered, assigns
    each village to its nearest open site with room, closes costly sites whose villages fit
    elsewhere, and swaps an open site for a closed one while that lowers (coverage, cost,
    distance) lexicographically (swaps only where no capacity applies). It is also the warm
    start of :func:`solve_siting`.

    Examples
    --------
    >>> d = np.array([[0.0, 900.0], [800.0, 0.0]])
    >>> greedy_plan(SitingProblem.from_cost_matrix(d, [10, 10], site_cost=[1, 2])).total_cost_yuan
    1.0
    """
    t0 = time.perf_counter()
    data = _data(problem)
    blocks, ncomp = _blocks(problem, data, decompose=True)
    budget = problem.params.max_new_homes if problem.params.max_new_homes >= 0 else None
    open_sites, assign_pairs = [], []
    for blk in blocks:
        loc = _Local(data, blk)
        is_open, assign = _greedy_local(loc, budget)
        open_sites.append(blk.sites[is_open])
        assign_pairs.append(loc.pairs[assign[assign >= 0]])
    stats = dict(solver="greedy", status="heuristic", seconds=time.perf_counter() - t0,
                 components=ncomp, milp_blocks=0)
    return _assemble(problem, data, open_sites, assign_pairs, stats, [])


def solve_siting(
    problem: SitingProblem,
    solver: str = "cbc",
    *,
    time_limit_s: float | None = None,
    gap_rel: float | None = None,
    threads: int | None = None,
    decompose: bool = True,
    warm_start: bool = True,
    msg: bool = False,
) -> SitingPlan:
    """Solve the siting MILP exactly (lexicographic: coverage, cost, distance).

    Parameters
    ----------
    problem : SitingProblem
    solver : {"cbc", "highs"}
        CBC bundled with PuLP (through PuLP) or HiGHS (through highspy, in process).
    time_limit_s, gap_rel : float, optional
        Default: the policy's ``time_limit_s`` (for the whole solve, shared among blocks in
        proportion to their size) and ``gap_rel`` (see the module notes for how it is applied).
    threads : int, optional
        Solver threads (default: the solver's own default).
    decompose : bool
        Solve connected components independently (same optimum; ignored under a budget).
    warm_start : bool
        Start each MILP from the greedy plan.
    msg : bool
        Print the solver logs.

    Returns
    -------
    SitingPlan
        A new plan; ``plan.stats`` holds status, objective, best bound, gaps and times. When
        the time limit stops a block, its best plan is used and the gaps say how far from
        proven it may be.

    Raises
    ------
    SitingInfeasible
        When the solver proves a block infeasible (e.g. single-source capacity packing).
    SitingNotSolved
        When a block has no feasible plan at the time limit.
    """
    t0 = time.perf_counter()
    solver = solver_name(solver)
    params = problem.params
    limit = float(time_limit_s if time_limit_s is not None else params.time_limit_s)
    gap = float(gap_rel if gap_rel is not None else params.gap_rel)
    budget = params.max_new_homes if params.max_new_homes >= 0 else None
    data = _data(problem)
    blocks, ncomp = _blocks(problem, data, decompose)
    vname = _safe(problem.villages["village_code"].to_numpy())
    sname = _safe(problem.sites["site_id"].to_numpy())
    locs = [_Local(data, b) for b in blocks]
    # delta = gcd of the costs; each block is solved with its own M_k = 2 Dbar_k + 1 (well
    # scaled); the reported objective uses one common M = 2 max Dbar_k + 1
    costs = np.unique(np.round(data.cost[data.cost > 0]).astype(np.int64))
    delta = float(reduce(math.gcd, costs.tolist(), 0)) if len(costs) else 1.0
    delta = delta or 1.0
    dbars = [_dbar(loc) for loc in locs]
    big_m = 2.0 * max(dbars, default=0.0) + 1.0

    sizes = np.array([len(loc.lv) + loc.ns for loc in locs], dtype=float)
    trivial = np.array([loc.nv == 0 or (loc.nv == 1 and budget is None) for loc in locs])
    milp_order = [k for k in np.argsort(sizes, kind="stable") if not trivial[k]]
    remaining_size = sizes[milp_order].sum()
    open_sites, assign_pairs, block_stats = [], [], []
    sums = dict(variables=0, constraints=0, cov_bound=0.0, bound=0.0, cost_lb=0.0,
                dist_lb=0.0, cost_proven=True, optimal=True)
    results: dict[int, tuple] = {}
    for k in [k for k in range(len(locs)) if trivial[k]] + milp_order:
        loc = locs[k]
        tb = time.perf_counter()
        scale = (2.0 * dbars[k] + 1.0, delta)
        if trivial[k]:
            is_open, assign = _enumerate(loc)
            _, z, _ = _plan_key(loc, is_open, assign, *scale)
            st = BlockStats(k, loc.nv, loc.ns, len(loc.lv), 0, 0, "enumeration", "optimal",
                            z, z, 0.0, time.perf_counter() - tb)
            results[k] = (is_open, assign, st, z)
            sums["cov_bound"] += loc.w[assign >= 0].sum()
            continue
        elapsed = time.perf_counter() - t0
        share = max(1.0, (limit - elapsed) * sizes[k] / max(remaining_size, 1.0))
        remaining_size -= sizes[k]
        out = _solve_block(k, loc, solver, vname, sname, budget, scale, share, gap, threads,
                           warm_start, msg, problem)
        is_open, assign, st, cov_ub = out
        results[k] = (is_open, assign, st, st.best_bound)
        sums["variables"] += st.variables
        sums["constraints"] += st.constraints
        sums["cov_bound"] += cov_ub
        if st.status != "optimal":
            sums["optimal"] = False
    for k in range(len(locs)):
        is_open, assign, st, bound = results[k]
        loc = locs[k]
        open_sites.append(loc.blk.sites[is_open])
        assign_pairs.append(loc.pairs[assign[assign >= 0]])
        block_stats.append(st)
        # decode the levels of this block from its own scale M_k, then recombine the bound
        # on the common scale: M * (cost bound) + (distance bound if the cost is proven)
        dbar = dbars[k]
        m_k = 2.0 * dbar + 1.0
        _, z, cost = _plan_key(loc, is_open, assign, m_k, delta)
        bound = min(bound, z) if np.isfinite(bound) else 0.0
        cost_lb_units = max(0.0, math.ceil((bound - dbar) / m_k - 1e-9))
        cost_lb_units = min(cost_lb_units, cost / delta)
        sums["cost_lb"] += cost_lb_units * delta
        if z - bound < m_k - dbar - 1e-9 * abs(z):  # cost proven for this block
            dist_lb = bound - m_k * cost / delta
            sums["dist_lb"] += dist_lb
        else:
            dist_lb = 0.0
            sums["cost_proven"] = False
        sums["bound"] += big_m * cost_lb_units + max(dist_lb, 0.0)
    stats = dict(
        solver=solver, status="optimal" if sums["optimal"] else "time_limit",
        seconds=time.perf_counter() - t0, components=ncomp,
        milp_blocks=len(milp_order), variables=sums["variables"],
        constraints=sums["constraints"], bound=sums["bound"], cost_lb=sums["cost_lb"],
        dist_lb=sums["dist_lb"] if sums["cost_proven"] else math.nan,
        cov_bound=sums["cov_bound"] / _WEIGHT_SCALE, scale=(big_m, delta),
    )
    return _assemble(problem, data, open_sites, assign_pairs, stats, block_stats)


def _solve_block(k, loc: _Local, solver, vname, sname, budget, scale, time_limit, gap,
                 threads, warm_start, msg, problem) -> tuple:
    """Solve one block by MILP (two stages under a budget that cannot cover everyone)."""
    tb = time.perf_counter()
    deadline = tb + time_limit
    def run(model, start, deadline_, gap_abs, threads_, msg_):
        return _run_model(solver, model, start, deadline_, gap_abs, threads_, msg_)
    big_m, delta = scale
    g_open, g_assign = _greedy_local(loc, budget)
    g_dist = loc.key(g_open, g_assign)[2]
    w_total = loc.w.sum()
    coverage = budget is not None
    floor = None
    cov_ub = w_total
    nvars = ncons = 0
    start_open, start_assign = g_open, g_assign
    stage1_status = "optimal"
    if coverage and (g_assign >= 0).all():
        coverage = False  # greedy covers everyone within the budget: level 1 is settled
    if coverage:
        model, cols = _build_model(loc, vname, sname, coverage=True, budget=budget,
                                   stage="coverage", floor=None, scale=scale)
        x0 = _start_vector(model, cols, loc, g_open, g_assign) if warm_start else None
        res = run(model, x0, tb + time_limit / 2, max(0.999, gap * w_total), threads, msg)
        nvars, ncons = model.n_cols, model.n_rows
        if res.status == "infeasible":
            _raise_block_infeasible(loc, problem)
        stage1_status = res.status
        if res.values is not None:
            c_open, c_assign = _decode(loc, cols, res.values)
            if loc.w[c_assign >= 0].sum() >= loc.w[g_assign >= 0].sum():
                start_open, start_assign = c_open, c_assign
            cov_ub = min(w_total, math.floor(-res.bound + 1e-6)) if np.isfinite(res.bound) \
                else w_total
        floor = float(loc.w[start_assign >= 0].sum())
    model, cols = _build_model(loc, vname, sname, coverage=floor is not None, budget=budget,
                               stage="cost", floor=floor, scale=scale)
    x0 = _start_vector(model, cols, loc, start_open, start_assign) if warm_start else None
    gap_abs = gap * max(g_dist, 1.0)
    res = run(model, x0, max(deadline, time.perf_counter() + 1.0), gap_abs, threads, msg)
    nvars, ncons = nvars + model.n_cols, ncons + model.n_rows
    if res.status == "infeasible":
        _raise_block_infeasible(loc, problem)
    if res.values is None:
        if (start_assign >= 0).all() or floor is not None:
            is_open, assign, status, bound = start_open, start_assign, "time_limit", res.bound
        else:
            raise SitingNotSolved(
                f"求解器在 {time_limit:.0f} 秒内没有找到可行方案（{loc.nv} 个村）：请延长求解时间"
                f"（siting.time_limit_s）或放宽容量 / no feasible plan found within "
                f"{time_limit:.0f} s for a block of {loc.nv} villages: raise siting.time_limit_s "
                "or relax the capacities"
            )
    else:
        is_open, assign = _decode(loc, cols, res.values)
        status, bound = res.status, res.bound
        # keep the greedy plan if the solver's is worse (possible only at a time limit)
        if _plan_key(loc, g_open, g_assign, big_m, delta)[:2] < \
                _plan_key(loc, is_open, assign, big_m, delta)[:2] and \
                (floor is None or loc.w[g_assign >= 0].sum() >= floor):
            is_open, assign = g_open, g_assign
    if stage1_status != "optimal":  # coverage not proven: the plan is not proven either
        status = "time_limit"
    _, z, _ = _plan_key(loc, is_open, assign, big_m, delta)
    if not np.isfinite(bound):  # no bound yet (stopped inside the root LP): Z >= 0 always
        bound = 0.0
    bound = min(bound, z)
    gap_k = (z - bound) / max(abs(z), 1e-9) if np.isfinite(bound) else math.nan
    st = BlockStats(k, loc.nv, loc.ns, len(loc.lv), nvars, ncons, "milp", status, z, bound,
                    gap_k, time.perf_counter() - tb, coverage_stage=floor is not None)
    return is_open, assign, st, cov_ub


def _raise_block_infeasible(loc: _Local, problem: SitingProblem):
    codes = problem.villages["village_code"].to_numpy(object)[loc.blk.villages]
    sids = problem.sites["site_id"].to_numpy(object)[loc.blk.sites]
    raise SitingInfeasible([SitingIssue(
        "solver_infeasible", tuple(codes), tuple(sids),
        f"求解器证明村 {_codes(codes)} 无法在容量、锁定和必开条件下全部分配（单一归属装箱）："
        "请提高容量、增加候选场所或取消部分锁定",
        f"the solver proved that villages {_codes(codes)} cannot all be assigned under the "
        "capacities, locks and must-open sites (single-source packing): raise capacities, add "
        "a candidate site or drop a lock",
    )])


# ----------------------------------------------------------------------------- the plan


def _assemble(problem: SitingProblem, data: _Data, open_sites, assign_pairs, stats,
              block_stats) -> SitingPlan:
    vt, st = problem.villages, problem.sites
    n = len(vt)
    home = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    own_site = vt["own_site"].to_numpy()
    big = own_site >= 0
    home[big] = own_site[big]
    dist[big] = vt["own_distance_m"].to_numpy(float)[big]
    pairs = np.concatenate(assign_pairs) if assign_pairs else np.zeros(0, dtype=np.int64)
    pairs = pairs.astype(np.int64)
    home[data.pv[pairs]] = data.ps[pairs]
    dist[data.pv[pairs]] = data.pd[pairs]
    opened = np.zeros(len(st), dtype=bool)
    for s in open_sites:
        opened[s] = True
    opened[own_site[big]] = True
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
    rows = np.flatnonzero(opened)
    served = pd.DataFrame({"site": home[covered], "c": children[covered],
                           "lb": vt["left_behind"].to_numpy(float)[covered],
                           "df": vt["difficulty"].to_numpy(float)[covered],
                           "d": dist[covered], "cd": children[covered] * dist[covered]})
    agg = served.groupby("site").agg(c=("c", "sum"), lb=("lb", "sum"), df=("df", "sum"),
                                     n=("c", "size"), dmax=("d", "max"), cd=("cd", "sum"))
    agg = agg.reindex(rows).fillna(0.0)
    own_of = {int(own_site[v]): vt["village_code"].iat[v] for v in np.flatnonzero(big)}
    cap = st["capacity"].to_numpy(float)[rows]
    homes = pd.DataFrame({
        "home_id": sid[rows],
        "kind": st["kind"].to_numpy(object)[rows],
        "status": st["status"].to_numpy(object)[rows],
        "own_home_of": [own_of.get(int(j), "") for j in rows],
        "cost_yuan": st["cost_yuan"].to_numpy(float)[rows],
        "capacity": cap,
        "children_served": agg["c"].to_numpy(),
        "capacity_use": np.where(cap > 0, agg["c"].to_numpy() / np.where(cap > 0, cap, 1),
                                 np.nan),
        "villages_served": agg["n"].to_numpy().astype(int),
        "left_behind_served": agg["lb"].to_numpy(),
        "difficulty_served": agg["df"].to_numpy(),
        "max_distance_m": agg["dmax"].to_numpy(),
        "mean_distance_m": np.where(agg["c"].to_numpy() > 0,
                                    agg["cd"].to_numpy() / np.maximum(agg["c"].to_numpy(), 1e-12),
                                    0.0),
        "township_code": st["township_code"].to_numpy(object)[rows],
        "village_code": st["village_code"].to_numpy(object)[rows],
        "lon": st["lon"].to_numpy(float)[rows],
        "lat": st["lat"].to_numpy(float)[rows],
    })
    total_cost = float(homes["cost_yuan"].sum())
    small_cov = covered & ~big
    cwd = float(np.nansum(children[covered] * dist[covered]))
    shared_cwd = float(np.nansum(children[small_cov] * dist[small_cov]))
    total_children = children[covered].sum()
    weight = vt["weight"].to_numpy(float)
    coverage = float(weight[covered].sum())
    fixed_cost = float(st["cost_yuan"].to_numpy(float)[own_site[big]].sum())
    shared_cost = total_cost - fixed_cost
    if stats["solver"] == "greedy":
        solve = SolveStats(
            solver="greedy", status="heuristic", objective=math.nan, best_bound=math.nan,
            gap=math.nan, cost_yuan=total_cost, cost_bound_yuan=math.nan, cost_gap=math.nan,
            distance=cwd, distance_bound=math.nan, distance_gap=math.nan,
            coverage=coverage, coverage_bound=math.nan, seconds=stats["seconds"],
            variables=0, constraints=0, components=stats["components"], milp_blocks=0,
            blocks=(),
        )
    else:
        big_m, delta = stats["scale"]
        objective = big_m * shared_cost / delta + shared_cwd
        bound = min(stats["bound"], objective)
        cost_lb = fixed_cost + stats["cost_lb"]
        dist_lb = stats["dist_lb"]
        own_cwd = cwd - shared_cwd
        solve = SolveStats(
            solver=stats["solver"], status=stats["status"], objective=objective,
            best_bound=bound, gap=_rel(objective, bound), cost_yuan=total_cost,
            cost_bound_yuan=cost_lb, cost_gap=_rel(total_cost, cost_lb),
            distance=cwd, distance_bound=dist_lb + own_cwd if np.isfinite(dist_lb) else math.nan,
            distance_gap=_rel(shared_cwd, dist_lb) if np.isfinite(dist_lb) else math.nan,
            coverage=coverage,
            coverage_bound=max(coverage, stats["cov_bound"] + float(weight[big].sum())),
            seconds=stats["seconds"], variables=stats["variables"],
            constraints=stats["constraints"], components=stats["components"],
            milp_blocks=stats["milp_blocks"], blocks=tuple(block_stats),
        )
    vcode = vt["village_code"].to_numpy(object)
    return SitingPlan(
        homes=homes, assignments=assignments,
        uncovered=tuple(vcode[~covered]), total_cost_yuan=total_cost,
        child_weighted_distance=cwd,
        mean_distance_m=cwd / total_children if total_children > 0 else 0.0,
        coverage=coverage, stats=solve,
    )


def _rel(value: float, bound: float) -> float:
    if not np.isfinite(bound):
        return math.nan
    diff = max(0.0, value - bound)
    if diff <= 1e-9 * max(1.0, abs(value)):
        return 0.0
    return diff / max(abs(value), 1e-9)


def write_siting_lp(problem: SitingProblem, path: str | os.PathLike) -> None:
    """Write the whole (monolithic) cost–distance model as a readable LP file.

    Every variable and constraint carries its name (``cover_v<code>``, ``link_v<code>_s<id>``,
    ``capacity_s<id>``...), so the file reads like the policy when a plan looks wrong.
    """
    data = _data(problem)
    blocks, _ = _blocks(problem, data, decompose=False)
    vname = _safe(problem.villages["village_code"].to_numpy())
    sname = _safe(problem.sites["site_id"].to_numpy())
    budget = problem.params.max_new_homes if problem.params.max_new_homes >= 0 else None
    if not blocks:
        blocks = [_Block(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), 0)]
    loc = _Local(data, blocks[0])
    costs = np.unique(np.round(data.cost[data.cost > 0]).astype(np.int64))
    delta = float(reduce(math.gcd, costs.tolist(), 0)) if len(costs) else 1.0
    model, _ = _build_model(loc, vname, sname, coverage=False, budget=budget, stage="cost",
                            floor=None, scale=(2 * _dbar(loc) + 1, delta or 1.0))
    write_lp(model, path)
