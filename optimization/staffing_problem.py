"""The staffing problem: candidate–post pairs within reach, patterns, and the plan types.

Part of the staffing model (:mod:`optimization.staffing`): :func:`build_staffing_problem` turns
the clean tables of :mod:`optimization.staffing_rules` and a distance table (from
:mod:`geo.staffing_inputs` on a county) into the arrays the solver needs.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from optimization.policy import StaffingPolicy
from optimization.staffing_rules import (
    _EARTH_RADIUS_M,
    StaffingInputError,
    _code_series,
    _codes,
    _policy,
    _preferences,
    _roster_frame,
    _training_status,
    village_demand,
)

# ----------------------------------------------------------------------------- distances


def _haversine(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float))
                              for a in (lon1, lat1, lon2, lat2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _local_xy(lon, lat, lat0) -> np.ndarray:
    x = np.radians(np.asarray(lon, dtype=float)) * math.cos(math.radians(lat0))
    y = np.radians(np.asarray(lat, dtype=float))
    return np.column_stack([x, y]) * _EARTH_RADIUS_M


def _distance_lookup(distance_m: pd.DataFrame | None) -> dict[tuple[str, str], float] | None:
    if distance_m is None:
        return None
    need = {"from_code", "to_code", "distance_m"}
    if not need <= set(distance_m.columns):
        raise StaffingInputError([("距离表须有列 from_code、to_code、distance_m",
                                   "distance table needs columns from_code, to_code, "
                                   "distance_m")])
    f = _code_series(distance_m["from_code"])
    t = _code_series(distance_m["to_code"])
    d = pd.to_numeric(distance_m["distance_m"], errors="coerce")
    if d.isna().any() or (d < 0).any():
        raise StaffingInputError([("距离表 distance_m 须为非负数", "distance table: distance_m "
                                   "must be a non-negative number")])
    return dict(zip(zip(f, t, strict=True), d.astype(float), strict=True))


# ----------------------------------------------------------------------------- problem


@dataclass(frozen=True)
class StaffingProblem:
    """Everything the solver needs, checked and precomputed.

    Build it with :func:`build_staffing_problem`.

    Attributes
    ----------
    demand : DataFrame
        :func:`village_demand`, one row per village (row ``i`` is village index ``i``).
    townships : DataFrame
        ``township_code``, ``supervisors_needed`` (row ``j`` is township index ``j``).
    candidates : DataFrame
        The cleaned roster (codes only) with ``preference_score``, ``preference_units``,
        ``preference_rank``, ``training``, ``initial_month``, ``trained_by``,
        ``director_eligible``, ``supervisor_eligible``, ``excluded_reason``.
    pairs : DataFrame
        Director pairs: ``person`` and ``village`` (row indexes), ``distance_m``,
        ``travel_hours``, ``hours`` (:math:`a_{pv}`).
    supervisor_pairs : DataFrame
        ``person``, ``township`` (row indexes).
    patterns : DataFrame
        What one director may take on: ``person``, ``pairs`` (tuple of pair rows), ``hours``
        and ``travel_hours`` (sums over the pairs). One per pair, plus (K > 1) every set of
        2..K small villages in reach that are pairwise within ``neighbour_distance_m``.
    policy : StaffingPolicy
    distance_source : str
        ``"lonlat"``, ``"table"`` or ``"none"`` (home village only).
    """

    demand: pd.DataFrame
    townships: pd.DataFrame
    candidates: pd.DataFrame
    pairs: pd.DataFrame
    supervisor_pairs: pd.DataFrame
    patterns: pd.DataFrame
    policy: StaffingPolicy
    distance_source: str


def build_staffing_problem(villages: pd.DataFrame, roster: pd.DataFrame, policy=None, *,
                           distance_m: pd.DataFrame | None = None) -> StaffingProblem:
    """Check the inputs and build the candidate pairs.

    Parameters
    ----------
    villages : DataFrame
        See :func:`village_demand`; ``lon``/``lat`` give great-circle distances.
    roster : DataFrame
        The ROSTER layer (``geo.schema``): ``person_code``, ``village_code`` (home, optional),
        ``township_code``, ``role``, ``gender``, ``committee_member``, ``womens_fed_cadre``,
        ``youth_league_cadre``, ``initial_training_date``, ``last_training_date``,
        ``candidate_for``. Any other column (a name, an ID number) is ignored, never copied.
    policy : StaffingPolicy or Policy, optional
    distance_m : DataFrame, optional
        ``from_code``, ``to_code``, ``distance_m``: village-to-village distances in metres
        (e.g. by road). Used instead of lon/lat; a missing pair is out of reach.

    Returns
    -------
    StaffingProblem

    Raises
    ------
    StaffingInputError
        Missing columns, duplicate codes, unknown roles, bad dates or counts — all listed.

    Notes
    -----
    A candidate with no (known) home village travels from the township's centre (the mean of
    its village points); with a distance table or no coordinates their travel counts as 0 and
    they may serve any village of their own township. Without coordinates and without a table,
    a candidate with a home village serves that village only.
    """
    pol = _policy(policy)
    demand = village_demand(villages, pol)
    r = _roster_frame(roster)
    n, m = len(demand), len(r)
    vindex = {c: i for i, c in enumerate(demand["village_code"])}
    tcodes = sorted(set(demand["township_code"]))
    tindex = {c: j for j, c in enumerate(tcodes)}
    townships = pd.DataFrame({"township_code": tcodes,
                              "supervisors_needed": pol.supervisors_per_township})

    prefs = _preferences(r, pol)
    train = _training_status(r, pol)
    cand = pd.concat([r, prefs.drop(columns="person_code"), train], axis=1)
    home = np.array([vindex.get(c, -1) for c in r["village_code"]], dtype=np.int64)
    town = np.array([tindex.get(c, -1) for c in r["township_code"]], dtype=np.int64)
    cand["home"] = home
    cand["township"] = town
    el = _Eligibility.of(cand, pol)
    dir_elig = el.dir_role & el.not_sup_only & el.trained_ok & el.in_data
    sup_elig = el.sup_role & el.sup_ok & el.trained_ok & el.in_data

    lookup = _distance_lookup(distance_m)
    source = _distance_source(demand, lookup)
    vt = np.array([tindex[c] for c in demand["township_code"]], dtype=np.int64)
    pairs = _director_pairs(pol, demand, np.flatnonzero(dir_elig), home, town, vt, source,
                            lookup)
    k = pol.max_villages_per_director
    need = demand["directors_needed"].to_numpy()
    small = ((need == 1) & (demand["targets"].to_numpy() <= pol.small_village_max_targets)
             if k > 1 else np.zeros(n, dtype=bool))
    patterns = _patterns(pairs, small, demand, pol, source, lookup)

    sp = np.flatnonzero(sup_elig)
    supervisor_pairs = pd.DataFrame({"person": sp, "township": town[sp]})

    has_pair = np.zeros(m, dtype=bool)
    has_pair[pairs["person"].to_numpy()] = True
    cand["director_eligible"] = has_pair
    cand["supervisor_eligible"] = sup_elig
    cand["excluded_reason"] = el.excluded_reason(has_pair | sup_elig)
    return StaffingProblem(demand=demand, townships=townships, candidates=cand, pairs=pairs,
                           supervisor_pairs=supervisor_pairs, patterns=patterns, policy=pol,
                           distance_source=source)


@dataclass(frozen=True)
class _Eligibility:
    """Who may be a director or a supervisor, and why the others are left out."""

    trained_ok: np.ndarray
    dir_role: np.ndarray
    sup_role: np.ndarray
    not_sup_only: np.ndarray
    sup_ok: np.ndarray
    in_data: np.ndarray

    @classmethod
    def of(cls, cand: pd.DataFrame, pol) -> _Eligibility:
        return cls(trained_ok=(cand["training"] != "flagged").to_numpy(),
                   dir_role=cand["role"].isin(pol.eligible_director_roles).to_numpy(),
                   sup_role=cand["role"].isin(pol.eligible_supervisor_roles).to_numpy(),
                   not_sup_only=(cand["candidate_for"] != "supervisor").to_numpy(),
                   sup_ok=cand["candidate_for"].isin(["supervisor", "either"]).to_numpy(),
                   in_data=cand["township"].to_numpy() >= 0)

    def excluded_reason(self, usable: np.ndarray) -> np.ndarray:
        role_ok = (self.dir_role & self.not_sup_only) | (self.sup_role & self.sup_ok)
        return np.select(
            [usable, ~self.in_data, ~role_ok & self.dir_role & ~self.not_sup_only, ~role_ok,
             ~self.trained_ok],
            ["", "township_not_in_data", "supervisor_only", "role_not_eligible", "untrained"],
            default="no_village_in_reach").astype(object)


def _distance_source(demand: pd.DataFrame, lookup) -> str:
    """Where distances come from: ``"table"``, ``"lonlat"`` (all villages placed) or ``"none"``.

    Some villages without coordinates and no table is an input error.
    """
    xy_ok = np.isfinite(demand["lon"]).to_numpy() & np.isfinite(demand["lat"]).to_numpy()
    if lookup is None and xy_ok.any() and not xy_ok.all():
        missing = demand.loc[~xy_ok, "village_code"]
        raise StaffingInputError([(f"村缺少经纬度：{_codes(missing)}（或提供距离表）",
                                   f"villages without lon/lat: {_codes(missing)} (or pass a "
                                   "distance table)")])
    has_xy = bool(len(demand)) and bool(xy_ok.all())
    return "table" if lookup is not None else ("lonlat" if has_xy else "none")


def _director_pairs(pol, demand, persons, home, town, vt, source, lookup) -> pd.DataFrame:
    """Director pairs within reach with their monthly hours (visits + travel)."""
    pp, pv, pd_ = _reach(pol, demand, persons, home, town, vt, source, lookup)
    if pol.stay_within_township and len(pp):
        keep = town[pp] == vt[pv]
        pp, pv, pd_ = pp[keep], pv[keep], pd_[keep]
    need = demand["directors_needed"].to_numpy()
    trips = demand["trips_per_month"].to_numpy()
    share = demand["hours_per_director"].to_numpy()
    travel = np.where(np.isnan(pd_), 0.0, pd_) * 2.0 / 1000.0 / pol.travel_speed_kmh
    travel = trips[pv] / need[pv] * travel
    pairs = pd.DataFrame({"person": pp, "village": pv, "distance_m": pd_,
                          "travel_hours": travel, "hours": share[pv] + travel})
    return pairs.sort_values(["person", "village"], ignore_index=True)


def _reach(pol, demand, persons, home, town, vt, source, lookup):
    """Director pairs (person, village, distance) within ``max_travel_m``."""
    n = len(demand)
    cap = float(pol.max_travel_m)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if not len(persons) or not n:
        return empty
    if source == "lonlat":
        lon = demand["lon"].to_numpy()
        lat = demand["lat"].to_numpy()
        t_lon = pd.Series(lon).groupby(vt).mean()
        t_lat = pd.Series(lat).groupby(vt).mean()
        h = home[persons]
        plon = np.where(h >= 0, lon[np.maximum(h, 0)], t_lon.reindex(town[persons]).to_numpy())
        plat = np.where(h >= 0, lat[np.maximum(h, 0)], t_lat.reindex(town[persons]).to_numpy())
        lat0 = float(np.mean(lat))
        tree = cKDTree(_local_xy(lon, lat, lat0))
        hits = tree.query_ball_point(_local_xy(plon, plat, lat0), r=cap * 1.05 + 100.0)
        counts = np.fromiter((len(x) for x in hits), dtype=np.int64, count=len(hits))
        pi = np.repeat(np.arange(len(persons)), counts)
        pv = (np.concatenate([np.asarray(x, dtype=np.int64) for x in hits]) if counts.sum()
              else np.zeros(0, np.int64))
        d = _haversine(plon[pi], plat[pi], lon[pv], lat[pv])
        d = np.where(h[pi] == pv, 0.0, d)
        keep = d <= cap
        return persons[pi[keep]], pv[keep], d[keep]
    rows_p, rows_v, rows_d = [], [], []
    codes = demand["village_code"].to_numpy()
    by_town: dict[int, np.ndarray] = {t: np.flatnonzero(vt == t) for t in np.unique(vt)}
    if source == "table":
        reach: dict[str, list[tuple[int, float]]] = {}
        vindex = {c: i for i, c in enumerate(codes)}
        for (a, b), dist in lookup.items():
            if a in vindex and b in vindex and dist <= cap and a != b:
                reach.setdefault(a, []).append((vindex[b], dist))
    for p in persons:
        h = home[p]
        if h < 0:
            for v in by_town.get(town[p], ()):
                rows_p.append(p)
                rows_v.append(v)
                rows_d.append(np.nan)
            continue
        rows_p.append(p)
        rows_v.append(h)
        rows_d.append(0.0)
        if source == "table":
            for v, dist in reach.get(codes[h], ()):
                rows_p.append(p)
                rows_v.append(v)
                rows_d.append(dist)
    return (np.asarray(rows_p, dtype=np.int64), np.asarray(rows_v, dtype=np.int64),
            np.asarray(rows_d, dtype=float))


def _patterns(pairs, small, demand, pol, source, lookup) -> pd.DataFrame:
    """List the sets of villages one director may serve.

    Each pair alone, and (K > 1) neighbouring small villages together (pairwise within
    ``neighbour_distance_m``, at most K). A set's hours and travel are the sums over its
    villages (each village's trips start from home: trips are not chained, a conservative
    count).
    """
    pv = pairs["village"].to_numpy()
    hours = pairs["hours"].to_numpy()
    travel = pairs["travel_hours"].to_numpy()
    person = pairs["person"].to_numpy()
    sets: list[tuple[int, ...]] = [(i,) for i in range(len(pairs))]
    k = pol.max_villages_per_director
    if k > 1 and len(pairs):
        lon, lat = demand["lon"].to_numpy(), demand["lat"].to_numpy()
        codes = demand["village_code"].to_numpy()

        def near(a: int, b: int) -> bool:
            if source == "lonlat":
                d = float(_haversine(lon[a], lat[a], lon[b], lat[b]))
            elif source == "table":
                d = lookup.get((codes[a], codes[b]), lookup.get((codes[b], codes[a]), math.inf))
            else:
                d = math.inf
            return d <= pol.neighbour_distance_m

        idx = np.flatnonzero(small[pv])
        for _, grp in pd.Series(idx).groupby(person[idx]):
            rows = grp.to_numpy()
            ok = {(i, j) for i, j in itertools.combinations(rows, 2) if near(pv[i], pv[j])}
            for size in range(2, k + 1):
                for combo in itertools.combinations(rows, size):
                    if all(pair in ok for pair in itertools.combinations(combo, 2)):
                        sets.append(tuple(int(i) for i in combo))
    multi = sets[len(pairs):]
    return pd.DataFrame({
        "person": np.concatenate([person, [person[c[0]] for c in multi]]).astype(np.int64),
        "pairs": sets,
        "hours": np.concatenate([hours, [hours[list(c)].sum() for c in multi]]),
        "travel_hours": np.concatenate([travel, [travel[list(c)].sum() for c in multi]]),
    })


# ----------------------------------------------------------------------------- plan types


@dataclass(frozen=True)
class StageStats:
    """One lexicographic stage, summed over batches.

    Attributes
    ----------
    name : str
        ``coverage+preference`` (or ``coverage`` and ``preference`` when split), ``balance``,
        ``travel``.
    objective : float
        The stage's objective, recomputed from the rounded solution (Z; sum of block maxima in
        hours; travel hours).
    seconds : float
        Wall time of the stage's solver calls, model conversion and files included.
    status : str
        ``optimal``, ``feasible`` (a solver call stopped at its time limit with a plan) or
        ``stopped`` (one found no plan in time; the previous stage's plan is kept).
    calls : int
        Solver calls (one per batch).
    """

    name: str
    objective: float
    seconds: float
    status: str
    calls: int


@dataclass(frozen=True)
class StaffingSolveStats:
    """Solver statistics of a staffing solve.

    Attributes
    ----------
    solver : str
    status : str
        ``optimal``, ``feasible`` (some call stopped at its time limit: with a plan, or —
        stage ``stopped`` — without one, the previous stage's plan kept) or ``trivial`` (no
        candidate pairs: nothing to decide).
    seconds : float
        Whole solve, model building included.
    build_seconds : float
        Building the array models.
    blocks, batches : int
        Independent blocks, and the models solved (LP batches of several blocks; MILPs one
        block each).
    lp_batches : int
        Models solved as LPs over optimal faces (the rest as MILPs).
    variables, constraints : int
        Of the models as built (before any stage), summed over batches.
    stages : tuple of StageStats
    slots_filled : int
        Director and supervisor posts filled.
    preference_total : float
        Sum of the preference scores of the people placed.
    """

    solver: str
    status: str
    seconds: float
    build_seconds: float
    blocks: int
    batches: int
    lp_batches: int
    variables: int
    constraints: int
    stages: tuple[StageStats, ...]
    slots_filled: int
    preference_total: float


@dataclass(frozen=True)
class StaffingPlan:
    """Result of :func:`solve_staffing`.

    Attributes
    ----------
    villages : DataFrame
        :func:`village_demand` plus ``directors_assigned``, ``shortfall`` and ``directors``
        (person codes joined by ``;``).
    directors : DataFrame
        One row per (village, director): ``village_code``, ``township_code``, ``person_code``,
        ``role``, ``gender``, ``preference_score``, ``preference_rank``, ``distance_m``,
        ``travel_hours``, ``hours_per_month`` (this village's share plus travel),
        ``person_hours_per_month`` (over all their villages), ``trained_by``.
    supervisors : DataFrame
        ``township_code``, ``person_code``, ``role``, ``gender``, ``preference_score``,
        ``preference_rank``, ``trained_by``.
    recruit : DataFrame
        :data:`RECRUIT_COLUMNS`: posts left open and what kind of person to look for.
    training : DataFrame
        :data:`TRAINING_COLUMNS`.
    candidates : DataFrame
        Every roster person: ``person_code``, ``township_code``, ``role``, ``candidate_for``,
        ``preference_rank``, ``training``, ``status`` (director/supervisor/unassigned/excluded),
        ``reason``.
    totals : DataFrame
        Directors and supervisors required, assigned and to recruit beside the 2019 national
        figures (seed 000).
    stats : StaffingSolveStats
    """

    villages: pd.DataFrame
    directors: pd.DataFrame
    supervisors: pd.DataFrame
    recruit: pd.DataFrame
    training: pd.DataFrame
    candidates: pd.DataFrame
    totals: pd.DataFrame
    stats: StaffingSolveStats
