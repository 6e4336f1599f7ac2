"""Siting inputs checked before any solve: errors, parameters, :class:`SitingProblem`.

:meth:`SitingProblem.from_frames` validates the plain tables (villages, candidate sites,
feasible pairs), applies the policy's filters (travel cap, township rule, never-open sites,
capacity, locks), lists each village's **own-home candidates** (villages with at least
``own_home_threshold`` children: the sites inside the village, or only its existing 儿童之家
where ``keep_existing_home`` says so) and raises :class:`SitingInfeasible` with every reason it
can prove before solving. Every check is a relaxation of the model: it never rejects a problem
the model could solve.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimization.errors import Infeasible, NotSolved
from optimization.policy import SitingPolicy
from optimization.solver import components
from optimization.vocab import DIFFICULTY_COLUMNS, is_true

STATUSES = ("existing", "reuse", "new")
_DIFFICULTY_COLUMNS = DIFFICULTY_COLUMNS
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

    @property
    def ids(self) -> tuple[str, ...]:
        """Village codes, then site ids (the :class:`optimization.errors.Issue` interface)."""
        return self.villages + self.sites

    def message(self, lang: str = "both") -> str:
        """Return the message in ``"zh"``, ``"en"`` or ``"both"`` (``"zh / en"``)."""
        return self.zh if lang == "zh" else self.en if lang == "en" else f"{self.zh} / {self.en}"


class SitingInfeasible(Infeasible):
    """The siting problem has no solution as posed; :attr:`issues` says why and what to change.

    Raised before solving by the checks of :meth:`SitingProblem.from_frames` (villages out of
    reach, capacity short, contradictory options) and after solving when the solver proves
    infeasibility (single-source capacity packing).
    """

    def __init__(self, issues: Iterable[SitingIssue]):
        super().__init__(tuple(issues))

    @property
    def villages(self) -> tuple[str, ...]:
        """Every village code named by an issue."""
        return tuple(dict.fromkeys(v for i in self.issues for v in i.villages))


class SitingNotSolved(NotSolved):
    """The solver found no feasible plan within the time limit (infeasibility not proven).

    Raised with one ``"zh / en"`` text (:class:`optimization.errors.PlanningError`).
    """


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
    keep_existing_home : bool
        A large village that has an existing 儿童之家 keeps it as its own home (004 二(一)
        避免重复建设); otherwise the model picks the own home among the sites in the village.
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
    keep_existing_home: bool = True
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
            keep_existing_home=policy.keep_existing_home,
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
        weight), ``own_home`` (bool: at or above the threshold), ``own_site`` (the
        heuristic's own-home pick, a site row or -1: the model decides) and
        ``own_distance_m`` (to that pick).
    sites : DataFrame
        One row per candidate, index 0..m-1: ``site_id, kind, status, cost_yuan, capacity``
        (effective; 0 = unlimited), ``township_code, village_code, lon, lat``.
    pair_village, pair_site, pair_distance : ndarray
        The model's pairs, sorted by (village, distance). Small villages: cap, township,
        never-open and capacity filters applied, a locked village keeps only its locked
        pair. Large villages: their own-home candidates (sites inside the village).
    params : SitingParams
    must_open, never_open : tuple of int
        Site rows.
    locked : tuple of (int, int)
        (village row, site row) of the locked small villages.
    unreachable : tuple of int
        Small villages left without any pair (with ``allow_uncovered``, or without
        children: a village with no children needs no home).
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
        return _build(villages, sites, pairs, _params(policy), must_ids=tuple(must_open),
                      never_ids=tuple(never_open), locked_ids=dict(locked or {}),
                      allow_uncovered=allow_uncovered)

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
    >>> from optimization.siting import solve_siting
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
    return np.array([is_true(v) for v in s], dtype=bool)


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


@dataclass(eq=False)
class _Inputs:
    """The checked tables and index arrays :func:`_build` works through, family by family."""

    vt: pd.DataFrame
    st: pd.DataFrame
    params: SitingParams
    pv: np.ndarray  # every input pair (any distance), shortest per (village, site)
    ps: np.ndarray
    pdist: np.ndarray
    must: list[int]
    never: list[int]
    locks: dict[int, int]
    issues: list[SitingIssue] = field(default_factory=list)

    def __post_init__(self):
        n, m = len(self.vt), len(self.st)
        self.n, self.m = n, m
        self.children = self.vt["resident_children"].to_numpy(float)
        self.codes = self.vt["village_code"].to_numpy(object)
        self.sids = self.st["site_id"].to_numpy(object)
        self.cap = self.st["capacity"].to_numpy(float)  # 0 = unlimited
        self.cost = self.st["cost_yuan"].to_numpy(float)
        self.existing = (self.st["status"] == "existing").to_numpy()
        self.never_mask = np.zeros(m, dtype=bool)
        self.never_mask[self.never] = True
        self.must_mask = np.zeros(m, dtype=bool)
        self.must_mask[self.must] = True
        threshold = self.params.own_home_threshold
        self.big = (self.children >= threshold) if threshold is not None else \
            np.zeros(n, dtype=bool)

    def issue(self, reason, villages, sites, zh, en) -> None:
        self.issues.append(SitingIssue(reason, tuple(villages), tuple(sites), zh, en))


def _build(villages, sites, pairs, params: SitingParams, *, must_ids, never_ids, locked_ids,
           allow_uncovered) -> SitingProblem:
    vt = _village_table(villages, params)
    st = _site_table(sites, params, dict(zip(vt["village_code"], vt["township_code"],
                                             strict=True)))
    vindex = {c: i for i, c in enumerate(vt["village_code"])}
    sindex = {c: j for j, c in enumerate(st["site_id"])}
    pv, ps, pdist = _pair_arrays(pairs, vindex, sindex, len(vt), len(st))
    lock_v = _lookup(locked_ids.keys(), vindex, "锁定的村", "locked villages")
    lock_s = _lookup(locked_ids.values(), sindex, "锁定的候选点", "locked sites")
    inp = _Inputs(
        vt, st, params, pv, ps, pdist,
        must=sorted(set(_lookup(must_ids, sindex, "必开点", "must-open sites"))),
        never=sorted(set(_lookup(never_ids, sindex, "禁开点", "never-open sites"))),
        locks=dict(zip(lock_v, lock_s, strict=True)),
    )
    _check_marks(inp)
    own_v, own_s, own_d, rule_site = _own_home_pairs(inp)
    small = _small_pairs(inp)
    unreachable = _unreachable(inp, small, allow_uncovered)
    forced_use = _forced_own_use(inp, own_v, own_s)
    _check_forced(inp, small.lock_pairs, forced_use)
    if inp.params.max_new_homes < 0:
        inp.issues.extend(_capacity_short(inp, small, forced_use))
    if inp.issues:
        raise SitingInfeasible(inp.issues)
    vt["own_home"] = inp.big
    vt["own_site"] = rule_site
    vt["own_distance_m"] = np.where(inp.big, 0.0, np.nan)
    hit = rule_site[own_v] == own_s
    vt.loc[own_v[hit], "own_distance_m"] = own_d[hit]
    st["capacity"] = np.where(inp.cap > 0, inp.cap, 0.0)
    pv = np.concatenate([small.pv, own_v])
    ps = np.concatenate([small.ps, own_s])
    pd_ = np.concatenate([small.pd, own_d])
    order = np.lexsort((pd_, pv))
    return SitingProblem(
        villages=vt, sites=st, pair_village=pv[order], pair_site=ps[order],
        pair_distance=pd_[order], params=params, must_open=tuple(inp.must),
        never_open=tuple(inp.never), locked=tuple(sorted(small.lock_pairs)),
        unreachable=tuple(unreachable),
    )


def _check_marks(inp: _Inputs) -> None:
    """A site both must-open and never-open; a village locked to a never-open site."""
    both = sorted(set(inp.must) & set(inp.never))
    if both:
        ids = [inp.sids[j] for j in both]
        inp.issue("must_and_never_open", (), ids,
                  f"候选点 {_codes(ids)} 同时被设为必开和禁开，请取消其中一项",
                  f"sites {_codes(ids)} are both must-open and never-open; drop one of the two "
                  "marks")
    bad = [v for v, s in inp.locks.items() if inp.never_mask[s]]
    if bad:
        c = [inp.codes[v] for v in bad]
        inp.issue("lock_to_never_open", c, [inp.sids[inp.locks[v]] for v in bad],
                  f"村 {_codes(c)} 被锁定到禁开的候选点，请修改锁定或取消禁开",
                  f"villages {_codes(c)} are locked to a never-open site; change the lock or "
                  "lift the never-open mark")


def _own_home_pairs(inp: _Inputs):
    """Own-home candidates of the large villages: (village, site, distance) and the rule pick.

    Candidates are the usable sites inside the village; only its existing homes when
    ``keep_existing_home`` holds and it has one; only the locked site when locked. The model
    chooses among them; ``rule_site`` (existing, must-open, cheapest, largest, first) is only
    the heuristic start. Distance: the shortest input pair, whatever the cap (0 if none).
    """
    site_village = inp.st["village_code"].to_numpy(object)
    vindex = {c: i for i, c in enumerate(inp.codes)}
    in_village: dict[int, list[int]] = {}
    for j, code in enumerate(site_village):
        if code in vindex and not inp.never_mask[j]:
            in_village.setdefault(vindex[code], []).append(j)
    dist = {(int(v), int(s)): float(d) for v, s, d in zip(inp.pv, inp.ps, inp.pdist,
                                                         strict=True) if inp.big[v]}
    rule_site = np.full(inp.n, -1, dtype=np.int64)
    rows: list[tuple[int, int, float]] = []
    no_site, outside = [], []
    for v in np.flatnonzero(inp.big):
        cand = in_village.get(int(v), [])
        if v in inp.locks:
            j = inp.locks[v]
            if vindex.get(site_village[j]) != v:
                outside.append(v)
                continue
            cand = [j] if not inp.never_mask[j] else []
        elif inp.params.keep_existing_home and any(inp.existing[j] for j in cand):
            cand = [j for j in cand if inp.existing[j]]
        if not cand:
            if v not in inp.locks:
                no_site.append(v)
            continue
        rule_site[v] = min(cand, key=lambda j: (
            not inp.existing[j], not inp.must_mask[j], inp.cost[j],
            -(inp.cap[j] if inp.cap[j] > 0 else np.inf), j))
        rows.extend((int(v), j, dist.get((int(v), j), 0.0)) for j in cand)
    _own_home_issues(inp, no_site, outside)
    arr = np.array(rows, dtype=float).reshape(-1, 3)
    return (arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2], rule_site)


def _own_home_issues(inp: _Inputs, no_site, outside) -> None:
    thr = inp.params.own_home_threshold
    if no_site:
        c = [inp.codes[v] for v in no_site]
        inp.issue(
            "no_own_home_site", c, (),
            f"村 {_codes(c)} 常住儿童达到 {thr} 人，应单独设立儿童之家，但村内没有可用的候选场所："
            "请允许新建（siting.allow_new_build）或在村内增加承载场所",
            f"villages {_codes(c)} have at least {thr} children and need their own home but no "
            "candidate site lies inside them: allow new builds (siting.allow_new_build) or add a "
            "host facility in the village")
    if outside:
        c = [inp.codes[v] for v in outside]
        inp.issue("lock_outside_own_village", c, [inp.sids[inp.locks[v]] for v in outside],
                  f"村 {_codes(c)} 应单独设立儿童之家，只能锁定到本村内的候选点",
                  f"villages {_codes(c)} get their own home and can only be locked to a site "
                  "inside the village")


@dataclass(eq=False)
class _SmallPairs:
    pv: np.ndarray
    ps: np.ndarray
    pd: np.ndarray
    stages: list[np.ndarray]  # pairs per village after each filter (reach, never, town, cap)
    lock_pairs: list[tuple[int, int]]
    lock_bad: dict[str, list[int]]


def _small_pairs(inp: _Inputs) -> _SmallPairs:
    """Pairs of the small villages, filtered stage by stage (to say why one is empty)."""
    n, cap = inp.n, inp.cap
    keep = ~inp.big[inp.pv] & (inp.pdist <= inp.params.travel_cap_m * (1 + 1e-12))
    pv, ps, pdist = inp.pv[keep], inp.ps[keep], inp.pdist[keep]
    stages = [np.bincount(pv, minlength=n)]
    k1 = ~inp.never_mask[ps]
    stages.append(np.bincount(pv[k1], minlength=n))
    k2 = k1.copy()
    if inp.params.stay_within_township:
        k2 &= inp.vt["township_code"].to_numpy(object)[pv] == \
            inp.st["township_code"].to_numpy(object)[ps]
    stages.append(np.bincount(pv[k2], minlength=n))
    # the full capacity: how much an own home leaves for neighbours is the model's decision
    k3 = k2 & ((cap[ps] == 0) | (inp.children[pv] <= cap[ps] + 1e-9))
    stages.append(np.bincount(pv[k3], minlength=n))
    lock_pairs: list[tuple[int, int]] = []
    lock_bad: dict[str, list[int]] = {}
    for v, s in inp.locks.items():
        if inp.big[v] or inp.never_mask[s]:
            continue
        where = np.flatnonzero((pv == v) & (ps == s))
        why = "reach" if not len(where) else "township" if not k2[where[0]] else \
            "capacity" if not k3[where[0]] else ""
        if why:
            lock_bad.setdefault(why, []).append(v)
        else:
            k3 &= (pv != v) | (ps == s)
            lock_pairs.append((v, s))
    _lock_issues(inp, lock_bad)
    return _SmallPairs(pv[k3], ps[k3], pdist[k3], stages, lock_pairs, lock_bad)


def _lock_issues(inp: _Inputs, lock_bad: dict[str, list[int]]) -> None:
    cap_m = inp.params.travel_cap_m
    for why, vs in lock_bad.items():
        c = [inp.codes[v] for v in vs]
        s = [inp.sids[inp.locks[v]] for v in vs]
        zh = {"reach": f"超出服务半径 {cap_m:g} 米或被河流阻隔（无桥）",
              "township": "不在同一乡镇（siting.stay_within_township）",
              "capacity": "容量不足以容纳该村儿童"}[why]
        en = {"reach": f"beyond the {cap_m:g} m cap or across a river without a crossing",
              "township": "in another township (siting.stay_within_township)",
              "capacity": "too small for the village's children"}[why]
        inp.issue("lock_out_of_reach", c, s,
                  f"村 {_codes(c)} 锁定的候选点 {_codes(s)} {zh}：请修改锁定、提高服务半径或容量",
                  f"villages {_codes(c)} are locked to sites {_codes(s)} {en}: change the lock "
                  "or raise the cap or capacity")


def _unreachable_texts(cap_m: float) -> dict[int, tuple[str, str, str]]:
    return {
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


def _unreachable(inp: _Inputs, small: _SmallPairs, allow_uncovered: bool) -> list[int]:
    """Small villages left without a pair: uncovered (allowed, or no children) or an issue.

    A village with no children needs no home: it never makes the problem infeasible.
    """
    n = inp.n
    empty = ~inp.big & (np.bincount(small.pv, minlength=n) == 0)
    for vs in small.lock_bad.values():
        empty[vs] = False
    no_children = empty & (inp.children <= 0)
    if allow_uncovered:
        return [int(v) for v in np.flatnonzero(empty)]
    first_zero = np.zeros(n, dtype=np.int64)
    for k in range(len(small.stages) - 1, -1, -1):
        first_zero[small.stages[k] == 0] = k
    for k, (reason, zh, en) in _unreachable_texts(inp.params.travel_cap_m).items():
        vs = np.flatnonzero(empty & ~no_children & (first_zero == k))
        if len(vs):
            c = [inp.codes[v] for v in vs]
            inp.issue(reason, c, (), f"村 {_codes(c)} {zh}", f"villages {_codes(c)} {en}")
    return [int(v) for v in np.flatnonzero(no_children)]


def _forced_own_use(inp: _Inputs, own_v, own_s) -> np.ndarray:
    """Capacity an own home certainly takes: min(children, capacity) where it is the only choice."""
    use = np.zeros(inp.m)
    count = np.bincount(own_v, minlength=inp.n)
    for v, s in zip(own_v, own_s, strict=True):
        if count[v] == 1 and inp.cap[s] > 0:
            use[s] += min(inp.children[v], inp.cap[s])
    return use


def _check_forced(inp: _Inputs, lock_pairs, forced_use) -> None:
    """Locked children against capacity; forced openings against the budget."""
    over = []
    for s in sorted({s for _, s in lock_pairs}):
        load = sum(inp.children[v] for v, t in lock_pairs if t == s)
        if inp.cap[s] > 0 and load > inp.cap[s] - forced_use[s] + 1e-9:
            over.append(s)
    if over:
        ids = [inp.sids[s] for s in over]
        vs = [inp.codes[v] for v, s in lock_pairs if s in over]
        inp.issue("lock_exceeds_capacity", vs, ids,
                  f"锁定到候选点 {_codes(ids)} 的村儿童总数超过其容量：请减少锁定或提高容量",
                  f"the villages locked to sites {_codes(ids)} exceed their capacity: lock fewer "
                  "or raise the capacity")
    budget = inp.params.max_new_homes
    if budget < 0:
        return
    forced = set(inp.must) | {s for _, s in lock_pairs}
    forced_new = sorted(j for j in forced if not inp.existing[j])
    if len(forced_new) > budget:
        ids = [inp.sids[j] for j in forced_new]
        inp.issue("budget_below_forced", (), ids,
                  f"必开或锁定的新增点 {_codes(ids)} 共 {len(ids)} 个，超过新增上限 {budget}"
                  "（siting.max_new_homes）：请提高上限或减少必开/锁定",
                  f"{len(ids)} must-open or locked non-existing sites ({_codes(ids)}) exceed the "
                  f"budget of {budget} new homes (siting.max_new_homes): raise it or force fewer")


def _capacity_short(inp: _Inputs, small: _SmallPairs, forced_use) -> list[SitingIssue]:
    """Components whose small-village demand exceeds every capacity their sites could offer."""
    n, m, cap = inp.n, inp.m, inp.cap
    pv, ps = small.pv, small.ps
    if not len(pv) or not (cap > 0).any():
        return []
    _, label = components(n, m, pv, ps)
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
        demand = inp.children[vs].sum()
        supply = np.maximum(cap[sites] - forced_use[sites], 0).sum()
        if demand > supply + 1e-9:
            c = [inp.codes[v] for v in vs]
            out.append(SitingIssue(
                "capacity_short", tuple(c), tuple(inp.sids[j] for j in sites),
                f"村 {_codes(c)} 共 {demand:g} 名儿童，服务半径内候选点总容量只有 {supply:g}："
                "请提高容量、增加候选场所或提高服务半径",
                f"villages {_codes(c)} have {demand:g} children but the sites within reach hold "
                f"only {supply:g}: raise capacities, add a candidate site or raise the cap",
            ))
    return out


def _graph_components(n, m, pv, ps) -> tuple[int, np.ndarray]:
    """Label the components of the bipartite village–site graph (villages 0..n-1, sites n..)."""
    return components(n, m, pv, ps)

