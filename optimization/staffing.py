r"""Child directors (儿童主任) and supervisors (儿童督导员): who serves where, and the workload.

A pure model of plain data: villages and a candidate roster (codes only, never names) in, a
frozen :class:`StaffingPlan` out. Nothing here reads files or draws maps.

Demand per village (003 §16)
----------------------------
:math:`n_v` = left-behind + orphan + unsupported + illness/disability + 低保/特困 + other
difficulty (the service targets). Directors needed::

    d_v = max(directors_min_per_village, ceil(n_v / targets_per_director))
          + 1  if resident_children_v >= many_children_threshold   (常住儿童数量较多)

With the defaults (1, 30): 30 targets -> 1 director, 31 -> 2, 60 -> 2, 61 -> 3; a village with at
least 400 resident children gets one more on top.

Monthly workload (003 §8)
-------------------------
Key-attention cases :math:`k_v` are counted among the targets (clipped to :math:`n_v`)::

    contacts  c_v = n_v * contacts_per_month                  (by phone or in passing: no trip)
    visits    h_v = (n_v - k_v) / home_visit_interval_months
              + k_v / key_attention_visit_interval_months
    hours     H_v = (c_v * minutes_per_contact + h_v * minutes_per_home_visit) / 60
    trips     t_v = ceil(h_v / home_visits_per_trip)          (home visits are grouped into trips)

A visit does not replace that month's contact (conservative). The village's work is shared
equally by its :math:`d_v` posts, filled or not (a vacancy's share waits for the recruit), and
a director living elsewhere travels there and back on each of their trips::

    a_pv = H_v / d_v + (t_v / d_v) * 2 * dist(home_p, v) / travel_speed        [hours/month]

Distances are great-circle metres between village points (lon/lat), or taken from a distance
table (road distances if you have them); serving one's own village costs no travel.

Assignment model (one block at a time)
--------------------------------------
Posts: :math:`d_v` director slots per village, ``supervisors_per_township`` supervisor slots per
township. Candidates: a director pair :math:`(p, v)` exists when the role is in
``eligible_director_roles``, ``candidate_for`` is not ``supervisor``, the initial training can be
held before the start date, ``dist(home_p, v) <= max_travel_m`` and (``stay_within_township``) the
village is in the person's township; a supervisor pair :math:`(p, t)` when the role is in
``eligible_supervisor_roles``, ``candidate_for`` is ``supervisor`` or ``either`` and
:math:`t` is the person's own township.

What one director takes on is a *set* :math:`S` of villages: each single village in reach, and,
when ``max_villages_per_director`` K > 1, every set of 2..K "small" villages in reach (one
director needed, at most ``small_village_max_targets`` targets) that are pairwise within
``neighbour_distance_m`` ("neighbouring"). Its hours are :math:`h_{pS} = \sum_{v \in S} a_{pv}`.
Variables :math:`x_{pS}, u_{pt} \in \{0,1\}`; shortfalls :math:`s^1_v \in \{0,1\},
s^2_v \in \{0..d_v-1\}` (first and further directors), :math:`r^1_t, r^2_t` (supervisors).
Each family is built by one function and every row is named::

    assign_once_p<code>   sum_S x_pS + u_pt <= 1           one set of villages or one township post
    cover_v<code>         sum_{p, S containing v} x_pS + s1_v + s2_v = d_v
    supervise_t<code>     sum_p u_pt + r1_t + r2_t = S
    level_a_b<block>      Z_b <= Z*_b + 0.5                (stages B, C)
    level_b_b<block>      Q_b <= Q*_b (1 + 1e-6) + 1e-6    (stage C)

(Variables are named ``x_<person>_<village>[_<village>…]``.) Enumerating the sets keeps each
person's choice exact and its LP relaxation tight; an earlier aggregated capacity row
(``sum w x <= K``) let the LP take half a large village beside a small one, and CBC could not
close the gap.

Lexicographic objectives
------------------------
A. **Coverage, then preference** — one objective with *provably dominating integer weights*::

       min Z_b = W2 * (W1 * (sum s1 + sum r1) + sum s2 + sum r2)
                 - sum pi_p (|S| x_pS + u_pt)

   W1 = (further slots in the block) + 1, so one first post (every village's first director,
   every township's supervisor: the "at least one" rules) outweighs all further posts (增配);
   W2 = (slots in the block) * max pi + 1 exceeds any preference total. The preference score
   :math:`\pi_p` is the sum of the ``preference_weights`` a person meets (female committee member,
   women's-federation cadre, Youth League cadre, woman, committee member — 001 二(二)1,
   002 二(一)), scaled to integers. Z is integer, so an absolute gap below one (0.5) is exact:
   coverage is maximal and, among maximal plans, preference is maximal. (Should W1·W2 exceed
   1e9, the MILP path splits the stage into two sequential solves.)
B. **Workload balance** — min the sum over directors of their squared monthly hours,
   :math:`Q_b = \sum_{p,S} h_{pS}^2 x_{pS}` (linear and exact, as a person takes one set): for a
   given total it is the variance, so it spreads the load and keeps long trips away from heavy
   villages.
   (A minimax objective was tried first: it only looks at the heaviest director of a township,
   and its LP relaxation is so weak that 200 villages did not close in 60 s.)
C. **Travel** — min :math:`\sum t_{pS} x_{pS}`, the sets' travel hours.

Sequential solves, each held at the previous optimum. With K = 1 (the default) every stage is
an **LP**: persons on one side and posts on the other make a bipartite b-matching, which is
totally unimodular, so LP vertices are integral; after each stage the model is restricted to
that stage's optimal face by complementary slackness (a column with a nonzero reduced cost is
fixed at its bound, a row with a nonzero dual becomes an equality — the set of optimal
solutions exactly, and still totally unimodular; with stage A's integer costs the duals are
integral, so the test "nonzero" is exact; stage B uses 1e-7 of its largest cost), columns fixed
at zero are dropped, and the ``level`` rows are added as a safety net. A batch whose LP vertex
is fractional falls back to the MILP path: the same stages as MILPs held by the ``level`` rows
(stage A to an absolute gap of 0.5, exact; B and C to ``gap_rel``). Shortfalls become the
recruitment list.

Decomposition
-------------
Blocks are the connected components of the candidate–post graph (within townships when
``stay_within_township``, so a block never spans two townships); objective and rows are
separable by block, so solving blocks apart gives the monolithic optimum. For the LPs, blocks
are grouped into a few models ("batches", up to ``max_batch_pairs`` variables) to save solver
start-up time, each block keeping its own weights and ``level`` rows; MILPs are solved one block
per model (in one model their branch-and-bound trees would multiply).

Training (001 二(二)2, 002 二(二), 004 一(三))
--------------------------------------------
A candidate without ``initial_training_date`` may start only after an initial training. With no
``initial_training_sessions`` listed, one is assumed ``initial_training_lead_months`` before
``start_date``; otherwise the earliest listed session before the start date is used, and a
candidate with no such session is *flagged* (not assigned while ``initial_training_required``)
and listed for the next session. Annual trainings fall ``annual_training_interval_months`` after
the last one (overdue ones at the start month) and are listed for the 12 months from the start.

Examples
--------
>>> import pandas as pd
>>> from optimization.policy import load_policy
>>> villages = pd.DataFrame({"village_code": ["500109102001"], "resident_children": [120],
...                          "left_behind": [31]})
>>> int(village_demand(villages, load_policy().staffing)["directors_needed"].iloc[0])
2
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce

import numpy as np
import pandas as pd
import pulp
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from optimization.errors import BadInput, Issue, NotSolved
from optimization.policy import StaffingPolicy, load_policy
from optimization.vocab import (
    CANDIDATE_FOR_WORDS,
    DIFFICULTY_COLUMNS,
    GENDER_WORDS,
    ROSTER_ROLES,
    code_text,
    list_codes,
    parse_bool,
    township_code,
)

__all__ = [
    "DIFFICULTY_COLUMNS",
    "PREFERENCE_LABELS",
    "RECRUIT_COLUMNS",
    "STAFFING_COLUMNS",
    "SUPERVISOR_COLUMNS",
    "TRAINING_COLUMNS",
    "StageStats",
    "StaffingInputError",
    "StaffingNotSolved",
    "StaffingPlan",
    "StaffingProblem",
    "StaffingSolveStats",
    "build_staffing_problem",
    "make_synthetic_county",
    "plan_staffing",
    "preference_scores",
    "solve_staffing",
    "staffing_tables",
    "training_schedule",
    "travel_hours",
    "village_demand",
    "write_staffing_lp",
]

#: Preference categories (001 二(二)1; 002 二(一); 000): key -> (zh, en).
PREFERENCE_LABELS: dict[str, tuple[str, str]] = {
    "female_committee_member": ("女性村（居）委会委员", "a female committee member"),
    "womens_fed_cadre": ("妇联干部", "a women's-federation cadre"),
    "youth_league_cadre": ("共青团干部", "a Youth League cadre"),
    "female": ("女性", "a woman"),
    "committee_member": ("村（居）委会委员", "a committee member"),
}

#: Columns of the exported tables (``childplan staff``).
STAFFING_COLUMNS = ("village_code", "person_code", "role", "gender", "preference_rank",
                    "hours_per_month", "trained_by")
RECRUIT_COLUMNS = ("level", "code", "township_code", "position", "count", "looking_for",
                   "reason")
TRAINING_COLUMNS = ("person_code", "position", "kind", "due_month", "overdue", "organiser")
SUPERVISOR_COLUMNS = ("township_code", "person_code", "role", "gender", "preference_rank",
                      "trained_by")

_ROSTER_COLUMNS = ("person_code", "village_code", "township_code", "role", "gender",
                   "committee_member", "womens_fed_cadre", "youth_league_cadre",
                   "initial_training_date", "last_training_date", "candidate_for")
_EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
_SPLIT_WEIGHT = 1e9  # above this W1*W2, stage A is solved as two sequential stages
_MAX_LISTED = 20
_GENDER = GENDER_WORDS
_CANDIDATE_FOR = {"director": "director", "supervisor": "supervisor", "either": "either",
                  **CANDIDATE_FOR_WORDS, "": "director"}


# ----------------------------------------------------------------------------- errors


class StaffingInputError(BadInput):
    """The villages or roster cannot be used as given; the message lists every problem.

    Attributes
    ----------
    problems : tuple of (str, str)
        ``(zh, en)`` per problem (also as :attr:`issues`, reason ``"staffing_input"``).
    """

    def __init__(self, problems: Iterable[tuple[str, str]]):
        self.problems = tuple(problems)
        super().__init__([Issue("staffing_input", zh, en) for zh, en in self.problems])


class StaffingNotSolved(NotSolved):
    """The solver returned no usable plan for a batch of townships (time limit, solver error)."""


def _codes(codes: Iterable[str]) -> str:
    return list_codes(codes, _MAX_LISTED)


def _policy(policy) -> StaffingPolicy:
    if policy is None:
        return load_policy().staffing
    if hasattr(policy, "staffing"):
        return policy.staffing
    return policy


# ----------------------------------------------------------------------------- input frames


def _code_series(s: pd.Series) -> pd.Series:
    """Codes as text: ``500109102001.0`` (a CSV read as numbers) becomes ``"500109102001"``."""
    return s.map(code_text).astype(object)


def _counts(df: pd.DataFrame, col: str, required: bool, problems: list) -> np.ndarray:
    if col not in df.columns:
        if required:
            problems.append((f"村表缺少列 {col}", f"villages: column {col} is missing"))
        return np.zeros(len(df), dtype=np.int64)
    raw = pd.to_numeric(df[col], errors="coerce")
    bad = raw.isna() & df[col].notna() if not required else raw.isna()
    bad = bad | (raw < 0) | (raw.notna() & (raw % 1 != 0))
    if bad.any():
        codes = df.loc[bad, "village_code"].astype(str) if "village_code" in df else bad.index
        problems.append((f"村表列 {col} 须为非负整数：{_codes(codes)}",
                         f"villages: column {col} must hold non-negative whole numbers: "
                         f"{_codes(codes)}"))
    return raw.fillna(0).clip(lower=0).round().astype(np.int64).to_numpy()


def _villages_frame(villages: pd.DataFrame) -> pd.DataFrame:
    """Clean village table: codes as text, counts as integers, township derived if absent."""
    problems: list[tuple[str, str]] = []
    if "village_code" not in villages.columns:
        raise StaffingInputError([("村表缺少列 village_code", "villages: column village_code "
                                   "is missing")])
    out = pd.DataFrame({"village_code": _code_series(villages["village_code"])})
    out.index = range(len(out))
    src = villages.reset_index(drop=True)
    empty = out["village_code"] == ""
    if empty.any():
        problems.append(("村表有空的村代码", "villages: empty village_code"))
    dup = out["village_code"].duplicated(keep=False) & ~empty
    if dup.any():
        problems.append((f"村代码重复：{_codes(sorted(set(out.loc[dup, 'village_code'])))}",
                         f"villages: duplicate codes "
                         f"{_codes(sorted(set(out.loc[dup, 'village_code'])))}"))
    if "township_code" in src.columns:
        t = _code_series(src["township_code"])
    else:
        t = pd.Series([""] * len(out), dtype=object)
    t = t.where(t != "", out["village_code"].str[:9])
    t = t.map(township_code)
    out["township_code"] = t
    if (out["township_code"].str.len() == 0).any():
        problems.append(("村表有村缺少乡镇代码", "villages: a village has no township code"))
    out["resident_children"] = _counts(src.assign(village_code=out["village_code"]),
                                       "resident_children", True, problems)
    out["left_behind"] = _counts(src.assign(village_code=out["village_code"]),
                                 "left_behind", True, problems)
    for col in (*DIFFICULTY_COLUMNS, "key_attention"):
        out[col] = _counts(src.assign(village_code=out["village_code"]), col, False, problems)
    for col in ("lon", "lat"):
        out[col] = (pd.to_numeric(src[col], errors="coerce").to_numpy(dtype=float)
                    if col in src.columns else np.full(len(out), np.nan))
    if problems:
        raise StaffingInputError(problems)
    return out


def _bools(s: pd.Series, col: str, problems: list) -> np.ndarray:
    vals = s.map(parse_bool)
    if vals.isna().any():
        problems.append((f"名册列 {col} 含无法识别的是/否值", f"roster: column {col} has values "
                         "that are neither yes nor no"))
    return vals.fillna(False).astype(bool).to_numpy()


def _dates(s: pd.Series, codes: pd.Series, col: str, problems: list) -> pd.Series:
    text = s.map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v))
                 or v is pd.NaT else str(v).strip())
    text = text.where(~text.str.lower().isin({"nan", "nat", "none"}), "")
    parsed = pd.to_datetime(text.where(text != ""), errors="coerce")
    bad = parsed.isna() & (text != "")
    if bad.any():
        problems.append((f"名册列 {col} 日期无效：{_codes(codes[bad])}",
                         f"roster: column {col} has invalid dates for {_codes(codes[bad])}"))
    return parsed


def _roster_frame(roster: pd.DataFrame) -> pd.DataFrame:
    """Clean roster: only the coded columns are read (names, ID numbers, phones never are)."""
    problems: list[tuple[str, str]] = []
    src = roster.reset_index(drop=True)
    for col in ("person_code", "township_code", "role", "gender"):
        if col not in src.columns:
            problems.append((f"名册缺少列 {col}", f"roster: column {col} is missing"))
    if problems:
        raise StaffingInputError(problems)
    out = pd.DataFrame({"person_code": _code_series(src["person_code"])})
    if (out["person_code"] == "").any():
        problems.append(("名册有空的人员编码", "roster: empty person_code"))
    dup = out["person_code"].duplicated(keep=False) & (out["person_code"] != "")
    if dup.any():
        codes = sorted(set(out.loc[dup, "person_code"]))
        problems.append((f"人员编码重复：{_codes(codes)}", f"roster: duplicate person codes "
                         f"{_codes(codes)}"))
    out["village_code"] = (_code_series(src["village_code"]) if "village_code" in src.columns
                           else "")
    t = _code_series(src["township_code"])
    out["township_code"] = t.map(township_code)
    role = src["role"].map(lambda v: str(v).strip())
    bad = ~role.isin(list(ROSTER_ROLES))
    if bad.any():
        problems.append((f"名册身份无效：{_codes(sorted(set(role[bad])))}（可用："
                         f"{'、'.join(ROSTER_ROLES)}）", f"roster: unknown roles "
                         f"{_codes(sorted(set(role[bad])))}"))
    out["role"] = role
    gender = src["gender"].map(lambda v: str(v).strip()).map(
        lambda v: v if v in ("F", "M") else _GENDER.get(v.lower(), ""))
    if (gender == "").any():
        problems.append((f"名册性别须为 F/M：{_codes(out.loc[gender == '', 'person_code'])}",
                         f"roster: gender must be F or M for "
                         f"{_codes(out.loc[gender == '', 'person_code'])}"))
    out["gender"] = gender
    for col in ("committee_member", "womens_fed_cadre", "youth_league_cadre"):
        out[col] = (_bools(src[col], col, problems) if col in src.columns
                    else np.zeros(len(out), dtype=bool))
    for col in ("initial_training_date", "last_training_date"):
        out[col] = (_dates(src[col], out["person_code"], col, problems) if col in src.columns
                    else pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]"))
    cand = (src["candidate_for"].map(lambda v: "" if v is None or (isinstance(v, float)
                                                                  and math.isnan(v))
                                     else str(v).strip().lower())
            if "candidate_for" in src.columns else pd.Series([""] * len(out)))
    mapped = cand.map(lambda v: _CANDIDATE_FOR.get(v))
    if mapped.isna().any():
        problems.append((f"名册 candidate_for 须为 director/supervisor/either："
                         f"{_codes(out.loc[mapped.isna(), 'person_code'])}",
                         f"roster: candidate_for must be director, supervisor or either for "
                         f"{_codes(out.loc[mapped.isna(), 'person_code'])}"))
    out["candidate_for"] = mapped.fillna("director")
    if problems:
        raise StaffingInputError(problems)
    return out


# ----------------------------------------------------------------------------- demand


def village_demand(villages: pd.DataFrame, policy=None) -> pd.DataFrame:
    """Directors needed and the monthly workload of each village.

    Parameters
    ----------
    villages : DataFrame
        ``village_code``, ``resident_children``, ``left_behind`` and optionally
        ``township_code`` (else the code's first 9 digits), the five difficulty counts and
        ``key_attention`` (absent = 0), ``lon``/``lat``.
    policy : StaffingPolicy or Policy, optional
        Defaults to ``optimization/policy.toml``.

    Returns
    -------
    DataFrame
        One row per village, in input order: ``village_code``, ``township_code``,
        ``resident_children``, ``targets``, ``key_attention`` (clipped to targets),
        ``directors_by_targets`` = max(minimum, ceil(targets / targets_per_director)),
        ``many_children_extra`` (0/1), ``directors_needed``, ``contacts_per_month``,
        ``home_visits_per_month``, ``trips_per_month``, ``hours_per_month`` (contacts and
        visits, no travel), ``hours_per_director`` (= hours / directors needed), ``lon``, ``lat``.

    Notes
    -----
    See the module docstring for the formulas (003 §8, §16).
    """
    pol = _policy(policy)
    v = _villages_frame(villages)
    targets = v["left_behind"].to_numpy() + sum(v[c].to_numpy() for c in DIFFICULTY_COLUMNS)
    key = np.minimum(v["key_attention"].to_numpy(), targets)
    by_targets = np.maximum(pol.directors_min_per_village,
                            -(-targets // pol.targets_per_director)).astype(np.int64)
    extra = (v["resident_children"].to_numpy() >= pol.many_children_threshold).astype(np.int64)
    need = by_targets + extra
    contacts = targets * float(pol.contacts_per_month)
    visits = ((targets - key) / float(pol.home_visit_interval_months)
              + key / float(pol.key_attention_visit_interval_months))
    trips = np.ceil(np.round(visits / float(pol.home_visits_per_trip), 9))
    hours = (contacts * pol.minutes_per_contact + visits * pol.minutes_per_home_visit) / 60.0
    return pd.DataFrame({
        "village_code": v["village_code"],
        "township_code": v["township_code"],
        "resident_children": v["resident_children"],
        "targets": targets.astype(np.int64),
        "key_attention": key.astype(np.int64),
        "directors_by_targets": by_targets,
        "many_children_extra": extra,
        "directors_needed": need,
        "contacts_per_month": contacts,
        "home_visits_per_month": visits,
        "trips_per_month": trips,
        "hours_per_month": hours,
        "hours_per_director": hours / need,
        "lon": v["lon"],
        "lat": v["lat"],
    })


def travel_hours(trips_per_month: float, directors: int, distance_m: float,
                 speed_kmh: float) -> float:
    """Monthly travel hours of one of ``directors`` sharing a village's trips.

    ``trips / directors * 2 * distance / speed`` (there and back on each trip).

    >>> travel_hours(2, 1, 3000, 15)
    0.8
    """
    return float(trips_per_month) / directors * 2.0 * distance_m / 1000.0 / speed_kmh


# ----------------------------------------------------------------------------- preference


def _preference_order(pol: StaffingPolicy) -> list[str]:
    keys = [k for k in PREFERENCE_LABELS if pol.preference_weights.get(k, 0) > 0]
    return sorted(keys, key=lambda k: (-pol.preference_weights[k], list(PREFERENCE_LABELS)
                                       .index(k)))


def _categories(roster: pd.DataFrame) -> dict[str, np.ndarray]:
    female = (roster["gender"] == "F").to_numpy()
    committee = roster["committee_member"].to_numpy(dtype=bool)
    return {
        "female_committee_member": female & committee,
        "womens_fed_cadre": roster["womens_fed_cadre"].to_numpy(dtype=bool),
        "youth_league_cadre": roster["youth_league_cadre"].to_numpy(dtype=bool),
        "female": female,
        "committee_member": committee,
    }


def preference_scores(roster: pd.DataFrame, policy=None) -> pd.DataFrame:
    """Preference score and rank of each candidate (001 二(二)1; 002 二(一); 000).

    The score is the sum of the ``preference_weights`` of the categories a person meets (a
    female committee member is also a woman and a committee member: 8 + 2 + 1 = 11 with the
    defaults). The rank is the position, in descending weight, of the best category met
    (1 = female committee member, 2 = women's-federation cadre, 3 = Youth League cadre,
    4 = woman, 5 = committee member with the defaults); ``len + 1`` = none.

    Returns
    -------
    DataFrame
        ``person_code``, ``preference_score`` (float), ``preference_units`` (the integer score
        the MILP uses), ``preference_rank``, ``preference_met`` (key of the best category or
        ``""``).
    """
    return _preferences(_roster_frame(roster), _policy(policy))


def _preferences(r: pd.DataFrame, pol: StaffingPolicy) -> pd.DataFrame:
    cats = _categories(r)
    weights = {k: float(pol.preference_weights.get(k, 0.0)) for k in PREFERENCE_LABELS}
    score = sum(weights[k] * cats[k] for k in PREFERENCE_LABELS)
    scale = next((m for m in (1, 10, 100, 1000)
                  if all(abs(w * m - round(w * m)) < 1e-9 for w in weights.values())), 1000)
    iw = {k: int(round(w * scale)) for k, w in weights.items()}
    g = reduce(math.gcd, [w for w in iw.values() if w > 0], 0) or 1
    units = sum((iw[k] // g) * cats[k].astype(np.int64) for k in PREFERENCE_LABELS)
    order = _preference_order(pol)
    rank = np.full(len(r), len(order) + 1, dtype=np.int64)
    met = np.full(len(r), "", dtype=object)
    for i, k in reversed(list(enumerate(order, start=1))):
        rank = np.where(cats[k], i, rank)
        met = np.where(cats[k], k, met)
    return pd.DataFrame({"person_code": r["person_code"].to_numpy(),
                         "preference_score": np.asarray(score, dtype=float),
                         "preference_units": np.asarray(units, dtype=np.int64),
                         "preference_rank": rank, "preference_met": met})


# ----------------------------------------------------------------------------- training


def _month(d: dt.date | pd.Timestamp) -> int:
    return d.year * 12 + d.month - 1


def _month_str(m: int) -> str:
    return f"{m // 12:04d}-{m % 12 + 1:02d}"


def _initial_sessions(pol: StaffingPolicy) -> tuple[int | None, int | None]:
    """(month of the session before start or None, month of the first session after start)."""
    start = dt.date.fromisoformat(pol.start_date)
    if not pol.initial_training_sessions:
        return _month(start) - pol.initial_training_lead_months, None
    sessions = sorted(dt.date.fromisoformat(s) for s in pol.initial_training_sessions)
    before = [s for s in sessions if s < start]
    after = [s for s in sessions if s >= start]
    return (_month(before[0]) if before else None), (_month(after[0]) if after else None)


def _training_status(r: pd.DataFrame, pol: StaffingPolicy) -> pd.DataFrame:
    """Per person: ``training`` (done/planned/flagged), ``initial_month``, ``trained_by``."""
    before, after = _initial_sessions(pol)
    # an annual training on record without the initial date counts as trained too
    first = r["initial_training_date"].fillna(r["last_training_date"])
    done = first.notna().to_numpy()
    status, month, label = [], [], []
    for i, d in enumerate(first):
        if done[i]:
            status.append("done")
            month.append(_month(d))
            label.append(f"done {d:%Y-%m-%d}")
        elif before is not None:
            status.append("planned")
            month.append(before)
            label.append(f"planned {_month_str(before)}")
        elif not pol.initial_training_required:
            status.append("planned")
            month.append(after)
            label.append(f"planned {_month_str(after)}" if after is not None
                         else "not scheduled")
        else:
            status.append("flagged")
            month.append(after)
            label.append(f"flagged: next session {_month_str(after)}" if after is not None
                         else "flagged: no session")
    return pd.DataFrame({"training": status, "initial_month": month, "trained_by": label},
                        index=r.index)


def training_schedule(people: pd.DataFrame, policy=None) -> pd.DataFrame:
    """List the initial and annual trainings due in the 12 months from the start date.

    Parameters
    ----------
    people : DataFrame
        ``person_code``, ``position`` (director/supervisor/candidate), ``training``
        (done/planned/flagged), ``initial_month`` (month index, year*12 + month - 1, or None),
        ``last_training_date`` and ``initial_training_date`` (dates or NaT).
    policy : StaffingPolicy or Policy, optional

    Returns
    -------
    DataFrame
        :data:`TRAINING_COLUMNS`: an ``initial`` row for every planned or flagged person (at the
        session month), and an ``annual`` row every ``annual_training_interval_months`` after
        the last training (else the initial one) that falls in the window; one already due
        before the start is listed at the start month with ``overdue`` True. Directors are
        trained by the county, supervisors by the prefecture (001 二(二)2).

    Examples
    --------
    A director last trained in May 2026, start January 2027, interval 12: annual in 2027-05.
    """
    pol = _policy(policy)
    start = _month(dt.date.fromisoformat(pol.start_date))
    end = start + 11
    step = pol.annual_training_interval_months
    rows = []
    for p in people.itertuples(index=False):
        organiser = "prefecture" if p.position == "supervisor" else "county"
        im = p.initial_month
        im = None if im is None or (isinstance(im, float) and math.isnan(im)) else int(im)
        if p.training in ("planned", "flagged") and im is not None:
            rows.append((p.person_code, p.position, "initial", _month_str(im), False, organiser))
        if p.position == "candidate":
            continue
        if pd.notna(p.last_training_date):
            base = _month(p.last_training_date)
        elif pd.notna(p.initial_training_date):
            base = _month(p.initial_training_date)
        else:
            base = im
        if base is None:
            continue
        due = base + step
        overdue = due < start
        if overdue:
            due = start
        while due <= end:
            rows.append((p.person_code, p.position, "annual", _month_str(due), overdue,
                         organiser))
            due += step
            overdue = False
    out = pd.DataFrame(rows, columns=list(TRAINING_COLUMNS))
    return out.sort_values(["due_month", "kind", "person_code"], kind="stable",
                           ignore_index=True)


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
    trained_ok = (cand["training"] != "flagged").to_numpy()
    dir_role = r["role"].isin(pol.eligible_director_roles).to_numpy()
    sup_role = r["role"].isin(pol.eligible_supervisor_roles).to_numpy()
    not_sup_only = (r["candidate_for"] != "supervisor").to_numpy()
    sup_ok = r["candidate_for"].isin(["supervisor", "either"]).to_numpy()
    in_data = town >= 0
    dir_elig = dir_role & not_sup_only & trained_ok & in_data
    sup_elig = sup_role & sup_ok & trained_ok & in_data

    # --- director pairs within reach ------------------------------------------------------
    lookup = _distance_lookup(distance_m)
    xy_ok = np.isfinite(demand["lon"]).to_numpy() & np.isfinite(demand["lat"]).to_numpy()
    if lookup is None and xy_ok.any() and not xy_ok.all():
        missing = demand.loc[~xy_ok, "village_code"]
        raise StaffingInputError([(f"村缺少经纬度：{_codes(missing)}（或提供距离表）",
                                   f"villages without lon/lat: {_codes(missing)} (or pass a "
                                   "distance table)")])
    has_xy = bool(n) and bool(xy_ok.all())
    source = "table" if lookup is not None else ("lonlat" if has_xy else "none")
    persons = np.flatnonzero(dir_elig)
    vt = np.array([tindex[c] for c in demand["township_code"]], dtype=np.int64)
    pp, pv, pd_ = _reach(pol, demand, persons, home, town, vt, source, lookup)
    if pol.stay_within_township and len(pp):
        keep = town[pp] == vt[pv]
        pp, pv, pd_ = pp[keep], pv[keep], pd_[keep]
    need = demand["directors_needed"].to_numpy()
    trips = demand["trips_per_month"].to_numpy()
    share = demand["hours_per_director"].to_numpy()
    travel = np.where(np.isnan(pd_), 0.0, pd_) * 2.0 / 1000.0 / pol.travel_speed_kmh
    travel = trips[pv] / need[pv] * travel
    k = pol.max_villages_per_director
    small = ((need == 1) & (demand["targets"].to_numpy() <= pol.small_village_max_targets)
             if k > 1 else np.zeros(n, dtype=bool))
    pairs = pd.DataFrame({"person": pp, "village": pv, "distance_m": pd_,
                          "travel_hours": travel, "hours": share[pv] + travel})
    pairs = pairs.sort_values(["person", "village"], ignore_index=True)
    patterns = _patterns(pairs, small, demand, pol, source, lookup)

    sp = np.flatnonzero(sup_elig)
    supervisor_pairs = pd.DataFrame({"person": sp, "township": town[sp]})

    has_pair = np.zeros(m, dtype=bool)
    has_pair[pairs["person"].to_numpy()] = True
    cand["director_eligible"] = has_pair
    cand["supervisor_eligible"] = sup_elig
    usable = has_pair | sup_elig
    role_ok = (dir_role & not_sup_only) | (sup_role & sup_ok)
    cand["excluded_reason"] = np.select(
        [usable, ~in_data, ~role_ok & dir_role & ~not_sup_only, ~role_ok, ~trained_ok],
        ["", "township_not_in_data", "supervisor_only", "role_not_eligible", "untrained"],
        default="no_village_in_reach").astype(object)
    return StaffingProblem(demand=demand, townships=townships, candidates=cand, pairs=pairs,
                           supervisor_pairs=supervisor_pairs, patterns=patterns, policy=pol,
                           distance_source=source)


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
        Wall time of the stage's solver calls, PuLP's file writing included.
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
        Building the PuLP models.
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


# ----------------------------------------------------------------------------- blocks


def _blocks(problem: StaffingProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Label the connected components of the person–post graph (villages, townships, persons)."""
    m, n, t = len(problem.candidates), len(problem.demand), len(problem.townships)
    pr, sp = problem.pairs, problem.supervisor_pairs
    rows = np.concatenate([pr["person"].to_numpy(), sp["person"].to_numpy()])
    cols = np.concatenate([m + pr["village"].to_numpy(), m + n + sp["township"].to_numpy()])
    size = m + n + t
    g = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size))
    count, labels = connected_components(g, directed=False)
    return labels[m:m + n], labels[m + n:], labels[:m], count


@dataclass(frozen=True)
class _Batch:
    """Indexes of one model: blocks, their villages, townships, patterns, supervisor pairs."""

    name: str
    blocks: np.ndarray
    villages: np.ndarray
    townships: np.ndarray
    patterns: np.ndarray
    sup_pairs: np.ndarray


def _batches(problem: StaffingProblem, max_batch_pairs: int):
    vlab, tlab, plab, count = _blocks(problem)
    pt, sp = problem.patterns, problem.supervisor_pairs
    pat_block = plab[pt["person"].to_numpy(dtype=np.int64)]
    sup_block = plab[sp["person"].to_numpy()]
    size = np.bincount(pat_block, minlength=count) + np.bincount(sup_block, minlength=count)
    active = np.flatnonzero(size > 0)
    tcode = problem.townships["township_code"].to_numpy()
    vt = problem.demand["township_code"].to_numpy()
    first_town = {}
    for lab, code in zip(vlab, vt, strict=True):
        first_town[lab] = min(first_town.get(lab, code), code)
    for lab, code in zip(tlab, tcode, strict=True):
        first_town[lab] = min(first_town.get(lab, code), code)
    active = sorted(active, key=lambda b: (first_town.get(b, ""), b))
    groups, cur, cur_size = [], [], 0
    for b in active:
        if cur and cur_size + size[b] > max_batch_pairs:
            groups.append(cur)
            cur, cur_size = [], 0
        cur.append(b)
        cur_size += size[b]
    if cur:
        groups.append(cur)
    out = []
    for i, g in enumerate(groups):
        g = np.asarray(g)
        out.append(_Batch(
            name=f"batch{i:03d}_t{first_town.get(g[0], '')}",
            blocks=g,
            villages=np.flatnonzero(np.isin(vlab, g)),
            townships=np.flatnonzero(np.isin(tlab, g)),
            patterns=np.flatnonzero(np.isin(pat_block, g)),
            sup_pairs=np.flatnonzero(np.isin(sup_block, g)),
        ))
    return out, vlab, tlab, plab, len(active)


# ----------------------------------------------------------------------------- model


def _safe_names(codes: Iterable[str]) -> list[str]:
    """Codes usable in LP names (``-`` and other symbols become ``_``), kept unique."""
    out, seen = [], set()
    for c in codes:
        s = re.sub(r"[^0-9A-Za-z_]", "_", str(c))
        base, i = s, 1
        while s in seen:
            i += 1
            s = f"{base}_{i}"
        seen.add(s)
        out.append(s)
    return out


class _Model:
    """A PuLP model of one batch with its variables, indexed like the problem's tables."""

    def __init__(self, problem: StaffingProblem, batch: _Batch, vlab, tlab, plab, names):
        self.problem, self.batch = problem, batch
        self.vlab, self.tlab, self.plab = vlab, tlab, plab
        self.pname, self.vname, self.tname = names
        self.prob = pulp.LpProblem(batch.name, pulp.LpMinimize)
        self.dead: set = set()  # hashes of columns dropped once fixed at zero
        pt = problem.patterns.iloc[batch.patterns]
        pair_village = problem.pairs["village"].to_numpy()
        self.pp = pt["person"].to_numpy(dtype=np.int64)
        self.pairs = pt["pairs"].tolist()
        self.villages = [tuple(int(pair_village[i]) for i in c) for c in self.pairs]
        self.hours = pt["hours"].to_numpy(dtype=float)
        self.travel = pt["travel_hours"].to_numpy(dtype=float)
        sp = problem.supervisor_pairs
        self.sp = sp["person"].to_numpy()[batch.sup_pairs]
        self.st = sp["township"].to_numpy()[batch.sup_pairs]
        self.units = problem.candidates["preference_units"].to_numpy()
        self.need = problem.demand["directors_needed"].to_numpy()
        self.s_need = problem.townships["supervisors_needed"].to_numpy()
        self.x = [pulp.LpVariable(f"x_{self.pname[p]}_" + "_".join(self.vname[v] for v in vs),
                                  cat=pulp.LpBinary)
                  for p, vs in zip(self.pp, self.villages, strict=True)]
        self.u = [pulp.LpVariable(f"u_{self.pname[p]}_{self.tname[t]}", cat=pulp.LpBinary)
                  for p, t in zip(self.sp, self.st, strict=True)]
        self.s1 = {v: pulp.LpVariable(f"short1_{self.vname[v]}", 0, 1, pulp.LpInteger)
                   for v in batch.villages}
        self.s2 = {v: pulp.LpVariable(f"short2_{self.vname[v]}", 0, int(self.need[v]) - 1,
                                      pulp.LpInteger)
                   for v in batch.villages if self.need[v] > 1}
        self.r1 = {t: pulp.LpVariable(f"sup_short1_{self.tname[t]}", 0, 1, pulp.LpInteger)
                   for t in batch.townships}
        self.r2 = {t: pulp.LpVariable(f"sup_short2_{self.tname[t]}", 0,
                                      int(self.s_need[t]) - 1, pulp.LpInteger)
                   for t in batch.townships if self.s_need[t] > 1}
        self._weights()

    def _weights(self) -> None:
        """Dominating weights W1, W2 per block (module docstring, stage A)."""
        self.w1, self.w2 = {}, {}
        slots = {b: 0 for b in self.batch.blocks}
        extra = {b: 0 for b in self.batch.blocks}
        best = {b: 0 for b in self.batch.blocks}
        for v in self.batch.villages:
            slots[self.vlab[v]] += int(self.need[v])
            extra[self.vlab[v]] += int(self.need[v]) - 1
        for t in self.batch.townships:
            slots[self.tlab[t]] += int(self.s_need[t])
            extra[self.tlab[t]] += int(self.s_need[t]) - 1
        for p in np.concatenate([self.pp, self.sp]):
            b = self.plab[p]
            best[b] = max(best[b], int(self.units[p]))
        for b in self.batch.blocks:
            self.w1[b] = extra[b] + 1
            self.w2[b] = slots[b] * best[b] + 1

    def live(self, terms: list) -> list:
        """Terms without the columns dropped from the model (they are fixed at zero)."""
        if not self.dead:
            return terms
        return [(v, c) for v, c in terms if v.hash not in self.dead]

    def split_stage_a(self) -> bool:
        return any(self.w1[b] * self.w2[b] > _SPLIT_WEIGHT for b in self.batch.blocks)

    # -- per-block expressions (lists of (variable, coefficient)) ---------------------------
    def coverage_terms(self, weighted_first: bool = True) -> dict[int, list]:
        """Shortfall penalty: W1 per first post short, 1 per further post short."""
        terms = {b: [] for b in self.batch.blocks}
        for v, var in self.s1.items():
            terms[self.vlab[v]].append((var, self.w1[self.vlab[v]] if weighted_first else 1))
        for v, var in self.s2.items():
            terms[self.vlab[v]].append((var, 1))
        for t, var in self.r1.items():
            terms[self.tlab[t]].append((var, self.w1[self.tlab[t]] if weighted_first else 1))
        for t, var in self.r2.items():
            terms[self.tlab[t]].append((var, 1))
        return terms

    def preference_terms(self) -> dict[int, list]:
        """Minus the preference units of every post filled (per village a person serves)."""
        terms = {b: [] for b in self.batch.blocks}
        for var, p, vs in zip(self.x, self.pp, self.villages, strict=True):
            if self.units[p]:
                terms[self.plab[p]].append((var, -int(self.units[p]) * len(vs)))
        for var, p in zip(self.u, self.sp, strict=True):
            if self.units[p]:
                terms[self.plab[p]].append((var, -int(self.units[p])))
        return terms

    def stage_a_terms(self) -> dict[int, list]:
        """Z_b = W2 * coverage penalty - preference."""
        cov, pref = self.coverage_terms(), self.preference_terms()
        return {b: [(v, self.w2[b] * c) for v, c in cov[b]] + pref[b] for b in cov}

    def balance_terms(self) -> dict[int, list]:
        """Sum over directors of their squared monthly hours (exact: one set per person)."""
        terms = {b: [] for b in self.batch.blocks}
        for var, p, h in zip(self.x, self.pp, self.hours, strict=True):
            if h > 0:
                terms[self.plab[p]].append((var, float(h) ** 2))
        return terms

    def travel_terms(self) -> list:
        return [(var, float(t)) for var, t in zip(self.x, self.travel, strict=True) if t > 0]


def _add_person_rows(mod: _Model) -> None:
    """``assign_once_p<code>``: a person takes at most one set of villages or township post."""
    terms: dict[int, list] = {}
    for var, p in zip(mod.x, mod.pp, strict=True):
        terms.setdefault(p, []).append((var, 1))
    for var, p in zip(mod.u, mod.sp, strict=True):
        terms.setdefault(p, []).append((var, 1))
    for p, t in terms.items():
        if len(t) > 1:
            mod.prob.addConstraint(pulp.LpConstraint(
                pulp.LpAffineExpression(t), pulp.LpConstraintLE, f"assign_once_p{mod.pname[p]}",
                1))


def _add_cover_rows(mod: _Model) -> None:
    """``cover_v<code>``: directors placed plus shortfall equal the village's demand."""
    terms: dict[int, list] = {v: [] for v in mod.batch.villages}
    for var, vs in zip(mod.x, mod.villages, strict=True):
        for v in vs:
            terms[v].append((var, 1))
    for v, t in terms.items():
        t.append((mod.s1[v], 1))
        if v in mod.s2:
            t.append((mod.s2[v], 1))
        mod.prob.addConstraint(pulp.LpConstraint(
            pulp.LpAffineExpression(t), pulp.LpConstraintEQ, f"cover_v{mod.vname[v]}",
            int(mod.need[v])))


def _add_supervise_rows(mod: _Model) -> None:
    """``supervise_t<code>``: supervisors placed plus shortfall equal the township's posts."""
    terms: dict[int, list] = {t: [] for t in mod.batch.townships}
    for var, t in zip(mod.u, mod.st, strict=True):
        terms[t].append((var, 1))
    for t, tt in terms.items():
        tt.append((mod.r1[t], 1))
        if t in mod.r2:
            tt.append((mod.r2[t], 1))
        mod.prob.addConstraint(pulp.LpConstraint(
            pulp.LpAffineExpression(tt), pulp.LpConstraintEQ, f"supervise_t{mod.tname[t]}",
            int(mod.s_need[t])))


def _add_level_rows(mod: _Model, prefix: str, terms: dict[int, list],
                    bounds: dict[int, float]) -> None:
    """``<prefix>_b<block>``: a block's earlier objective held at its optimum."""
    for b, t in terms.items():
        t = mod.live(t)
        if t:
            mod.prob.addConstraint(pulp.LpConstraint(
                pulp.LpAffineExpression(t), pulp.LpConstraintLE, f"{prefix}_b{b}", bounds[b]))


# ----------------------------------------------------------------------------- solving


def _make_solver(name: str, *, mip: bool, time_limit: float, gap_rel: float | None,
                 gap_abs: float | None, threads: int | None, warm: bool, msg: bool):
    key = name.upper()
    if key in ("PULP_CBC_CMD", "CBC", "COIN_CMD"):
        from pulp.apis.coin_api import pulp_cbc_path

        return pulp.COIN_CMD(path=pulp_cbc_path, mip=mip, msg=msg, timeLimit=time_limit,
                             gapRel=gap_rel, gapAbs=gap_abs, threads=threads,
                             warmStart=warm and mip)
    if key == "HIGHS":
        return pulp.HiGHS(mip=mip, msg=msg, timeLimit=time_limit, gapRel=gap_rel,
                          gapAbs=gap_abs, threads=threads)
    return pulp.getSolver(name, mip=mip, msg=msg, timeLimit=time_limit)


def _int_vars(mod: _Model) -> list:
    return [*mod.x, *mod.u, *mod.s1.values(), *mod.s2.values(), *mod.r1.values(),
            *mod.r2.values()]


def _run(mod: _Model, terms: list, solver: str, stage: str, *, mip: bool, gap_rel=None,
         gap_abs=None, threads=None, msg: bool = False) -> tuple[str, float]:
    """Solve the model with objective ``terms``; return (status, seconds).

    Status is ``optimal``, ``feasible`` (time limit with a plan), ``fractional`` (an LP
    solve whose vertex is not integral: the caller falls back to the MILP) or ``none`` (no
    plan; the variables' values are then meaningless).
    """
    mod.prob.setObjective(pulp.LpAffineExpression(mod.live(terms)))
    warm = mip and all(v.varValue is not None for v in mod.x[:1] + mod.u[:1])
    s = _make_solver(solver, mip=mip, time_limit=mod.problem.policy.time_limit_s,
                     gap_rel=gap_rel, gap_abs=gap_abs, threads=threads, warm=warm, msg=msg)
    t0 = time.perf_counter()
    mod.prob.solve(s)
    secs = time.perf_counter() - t0
    sol = mod.prob.sol_status
    if sol == pulp.LpSolutionOptimal:
        status = "optimal"
    elif sol == pulp.LpSolutionIntegerFeasible and mip:
        status = "feasible"
    else:
        return "none", secs
    ints = _int_vars(mod)
    if not mip and any(abs((v.varValue or 0.0) - round(v.varValue or 0.0)) > 1e-6 for v in ints):
        return "fractional", secs
    for v in ints:
        v.varValue = float(round(v.varValue or 0.0))
    return status, secs


def _not_solved(mod: _Model, stage: str) -> StaffingNotSolved:
    towns = mod.problem.townships["township_code"].to_numpy()[mod.batch.townships]
    status = pulp.LpStatus[mod.prob.status]
    return StaffingNotSolved(
        zh=f"{mod.batch.name} {stage} 级求解无可行方案（状态 {status}），乡镇：{_codes(towns)}；"
           "可增大 staffing.time_limit_s",
        en=f"stage {stage} returned no plan (status {status}) for townships {_codes(towns)}; "
           "raise staffing.time_limit_s",
        reason="not_solved", ids=[str(t) for t in towns])


def _value(terms: list) -> float:
    return float(sum(c * (v.varValue or 0.0) for v, c in terms))


def _restrict_to_optimal_face(mod: _Model, tol: float) -> int:
    """Fix the LP to its optimal face by complementary slackness; return how many were fixed.

    With an optimal dual solution, the optimal solutions are exactly the feasible points where
    every variable with a nonzero reduced cost stays at its bound and every row with a nonzero
    dual stays tight. Fixing those keeps the matrix totally unimodular, so the next stage's LP
    still has integral vertices.
    """
    fixed = 0
    for var in _int_vars(mod):
        if var.dj is not None and abs(var.dj) > tol:
            var.lowBound = var.upBound = float(round(var.varValue))
            fixed += 1
    for c in mod.prob.constraints.values():
        if c.pi is not None and abs(c.pi) > tol and c.sense != pulp.LpConstraintEQ:
            c.sense = pulp.LpConstraintEQ
            fixed += 1
    return fixed


def _drop_zero_columns(mod: _Model) -> None:
    """Rebuild the model without the columns fixed at zero (same named rows, smaller files)."""
    dead = {v.hash for v in _int_vars(mod)
            if v.upBound is not None and v.upBound == 0 and v.lowBound == 0}
    if not dead:
        return
    new = pulp.LpProblem(mod.prob.name, pulp.LpMinimize)
    for name, c in mod.prob.constraints.items():
        items = [(v, a) for v, a in c.items() if v.hash not in dead]
        if items:
            new.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(items), c.sense, name,
                                                -c.constant))
    mod.prob = new
    mod.dead |= dead


def _integral_duals(mod: _Model) -> bool:
    vals = [v.dj for v in _int_vars(mod)] + [c.pi for c in mod.prob.constraints.values()]
    return all(d is None or abs(d - round(d)) < 1e-6 for d in vals)


def _add_base_rows(mod: _Model) -> None:
    _add_person_rows(mod)
    _add_cover_rows(mod)
    _add_supervise_rows(mod)


def _flat(terms: dict[int, list]) -> list:
    return [t for b in terms for t in terms[b]]


def _solve_batch_lp(mod: _Model, solver: str, stages: list, msg: bool) -> bool:
    """Stages A, B, C as LPs, each restricted to the previous stage's optimal face.

    Exact when ``max_villages_per_director`` is 1: persons on one side, village and township
    posts on the other, the rows form a bipartite b-matching (totally unimodular), so every LP
    vertex is integral and, with integer stage-A costs, so are the duals. Stage A's face is
    fixed with reduced costs at tolerance 0.5 (exact); stage B's at 1e-7 of its largest cost.
    The ``level`` rows are added as a safety net (they do not bind on the face). Returns False
    when a vertex is fractional (the caller then solves the batch's blocks as MILPs).
    """
    za = mod.stage_a_terms()
    st, secs = _run(mod, _flat(za), solver, "coverage+preference", mip=False, msg=msg)
    if st == "none":
        raise _not_solved(mod, "coverage+preference")
    if st == "fractional":
        return False
    best = {b: _value(za[b]) for b in za}
    stages.append(("coverage+preference", sum(best.values()), secs, st))
    _restrict_to_optimal_face(mod, 0.5 if _integral_duals(mod) else 1e-6)
    _drop_zero_columns(mod)
    _add_level_rows(mod, "level_a", za, {b: best[b] + 0.5 for b in za})
    bal = mod.balance_terms()
    if not _flat(bal):
        return True
    st, secs = _run(mod, _flat(bal), solver, "balance", mip=False, msg=msg)
    if st == "none":
        raise _not_solved(mod, "balance")
    if st == "fractional":
        return False
    bbest = {b: _value(bal[b]) for b in bal}
    stages.append(("balance", sum(bbest.values()), secs, st))
    big = max((abs(c) for _, c in _flat(bal)), default=1.0)
    _restrict_to_optimal_face(mod, 1e-7 * max(1.0, big))
    _drop_zero_columns(mod)
    _add_level_rows(mod, "level_b", bal, {b: bbest[b] * (1 + 1e-6) + 1e-6 for b in bal})
    travel = mod.travel_terms()
    if travel:
        st, secs = _run(mod, travel, solver, "travel", mip=False, msg=msg)
        if st == "none":
            raise _not_solved(mod, "travel")
        if st == "fractional":
            return False
        stages.append(("travel", _value(travel), secs, st))
    return True


def _mip_stage(mod: _Model, name: str, terms: dict[int, list], level: str | None, *,
               exact: bool, required: bool, solver: str, stages: list, threads,
               msg: bool) -> bool:
    """One MILP stage, then ``level`` rows holding its optimum; False if it found no plan.

    A stage after the first that finds no plan within the time limit leaves the previous
    stage's plan in place (status ``stopped``); the first one raises.
    """
    pol = mod.problem.policy
    saved = [(v, v.varValue) for v in _int_vars(mod)]
    st, secs = _run(mod, _flat(terms), solver, name, mip=True,
                    gap_rel=0.0 if exact else pol.gap_rel, gap_abs=0.5 if exact else None,
                    threads=threads, msg=msg)
    if st == "none":
        if required:
            raise _not_solved(mod, name)
        for v, val in saved:
            v.varValue = val
        stages.append((name, sum(_value(t) for t in terms.values()), secs, "stopped"))
        return False
    best = {b: _value(t) for b, t in terms.items()}
    stages.append((name, sum(best.values()), secs, st))
    if level:
        tol = {b: 0.5 if exact else abs(best[b]) * 1e-6 + 1e-6 for b in best}
        _add_level_rows(mod, level, terms, {b: best[b] + tol[b] for b in best})
    return True


def _solve_batch_mip(mod: _Model, solver: str, stages: list, threads, msg: bool) -> None:
    """Stages A, B, C as MILPs held by ``level`` rows (``max_villages_per_director`` > 1)."""
    kw = dict(solver=solver, stages=stages, threads=threads, msg=msg)
    if mod.split_stage_a():  # sequential: coverage, then preference with coverage held
        _mip_stage(mod, "coverage", mod.coverage_terms(), "level_cov", exact=True,
                   required=True, **kw)
        if not _mip_stage(mod, "preference", mod.preference_terms(), "level_a", exact=True,
                          required=False, **kw):
            return
    else:
        _mip_stage(mod, "coverage+preference", mod.stage_a_terms(), "level_a", exact=True,
                   required=True, **kw)
    bal = mod.balance_terms()
    if not _flat(bal) or not _mip_stage(mod, "balance", bal, "level_b", exact=False,
                                        required=False, **kw):
        return
    travel = mod.travel_terms()
    if travel:
        _mip_stage(mod, "travel", {0: travel}, None, exact=False, required=False, **kw)


def solve_staffing(problem: StaffingProblem, solver: str = "PULP_CBC_CMD", *,
                   max_batch_pairs: int = 50000, threads: int | None = None,
                   method: str = "auto", msg: bool = False) -> StaffingPlan:
    """Assign directors and supervisors, lexicographically (module docstring).

    With ``max_villages_per_director`` = 1 each stage is an LP over the previous stage's
    optimal face (exact, see :func:`_solve_batch_lp`); a batch whose LP vertex is fractional,
    and every batch when directors may serve several villages, is solved as a MILP whose
    earlier optima are held by ``level`` rows.

    Parameters
    ----------
    problem : StaffingProblem
        From :func:`build_staffing_problem`.
    solver : str
        ``"PULP_CBC_CMD"`` (PuLP's bundled CBC; CLP for the LPs) or ``"HiGHS"`` (highspy, in
        process).
    max_batch_pairs : int
        LP batches group blocks until a model holds about this many pair variables; MILPs
        are always solved one block per model.
    threads : int, optional
        Solver threads (MILPs).
    method : {"auto", "lp", "mip"}
        ``auto``: LPs over optimal faces when ``max_villages_per_director`` is 1, else MILPs;
        ``mip`` forces the MILPs held by ``level`` rows (for comparison); ``lp`` is ``auto``.
    msg : bool
        Show the solver log.

    Returns
    -------
    StaffingPlan

    Raises
    ------
    StaffingNotSolved
        A solver call returned no plan (e.g. the time limit struck before any was found).
    """
    t_all = time.perf_counter()
    batches, vlab, tlab, plab, nblocks = _batches(problem, max_batch_pairs)
    names = (_safe_names(problem.candidates["person_code"]),
             _safe_names(problem.demand["village_code"]),
             _safe_names(problem.townships["township_code"]))
    x_on = np.zeros(len(problem.pairs), dtype=bool)
    u_on = np.zeros(len(problem.supervisor_pairs), dtype=bool)
    build, variables, constraints, lp_batches = 0.0, 0, 0, 0
    sizes: tuple[int, int] = (0, 0)
    log: dict[str, dict] = {}
    if method not in ("auto", "lp", "mip"):
        raise ValueError(f"method must be 'auto', 'lp' or 'mip', not {method!r}")
    linear = problem.policy.max_villages_per_director == 1 and method != "mip"
    single: dict[int, _Batch] = {}

    def one_per_block(blocks) -> list[tuple[_Batch, str]]:
        # a MILP is solved block by block: in one model their branch-and-bound trees multiply
        if not single:
            single.update({b.blocks[0]: b for b in _batches(problem, 0)[0]})
        return [(single[b], "mip") for b in blocks]

    queue = ([(b, "lp") for b in batches] if linear
             else one_per_block([b for batch in batches for b in batch.blocks]))
    models = 0
    while queue:
        batch, how = queue.pop(0)
        stages: list = []
        t0 = time.perf_counter()
        mod = _Model(problem, batch, vlab, tlab, plab, names)
        _add_base_rows(mod)
        sizes = (mod.prob.numVariables(), mod.prob.numConstraints())
        build += time.perf_counter() - t0
        if how == "lp":
            if not _solve_batch_lp(mod, solver, stages, msg):
                queue[:0] = one_per_block(batch.blocks)  # a fractional vertex: MILP instead
                continue
            lp_batches += 1
        else:
            _solve_batch_mip(mod, solver, stages, threads, msg)
        models += 1
        for name, obj, secs, st in stages:
            s = log.setdefault(name, {"objective": 0.0, "seconds": 0.0, "status": "optimal",
                                      "calls": 0})
            s["objective"] += obj
            s["seconds"] += secs
            s["calls"] += 1
            if st != "optimal":
                s["status"] = st
        variables += sizes[0]
        constraints += sizes[1]
        for var, members in zip(mod.x, mod.pairs, strict=True):
            if var.varValue > 0.5:
                x_on[list(members)] = True
        u_on[batch.sup_pairs] = [v.varValue > 0.5 for v in mod.u]
    stages = tuple(StageStats(name=k, objective=v["objective"], seconds=v["seconds"],
                              status=v["status"], calls=v["calls"]) for k, v in log.items())
    status = ("trivial" if not batches else
              "optimal" if all(s.status == "optimal" for s in stages) else "feasible")
    return _assemble(problem, x_on, u_on, stats=dict(
        solver=solver, status=status, seconds=time.perf_counter() - t_all,
        build_seconds=build, blocks=nblocks, batches=models, lp_batches=lp_batches,
        variables=variables, constraints=constraints, stages=stages))


# ----------------------------------------------------------------------------- outputs


def _looking_for_director(pol: StaffingPolicy) -> str:
    order = _preference_order(pol)
    if not order:
        return "可担任儿童主任的人员 / a person in an eligible role"
    top, rest = order[:2], order[2:4]
    zh = "或".join(PREFERENCE_LABELS[k][0] for k in top)
    en = " or ".join(PREFERENCE_LABELS[k][1] for k in top)
    if rest:
        zh += "（其次：" + "、".join(PREFERENCE_LABELS[k][0] for k in rest) + "）"
        en += " (next: " + ", ".join(PREFERENCE_LABELS[k][1] for k in rest) + ")"
    return f"{zh} / {en}"


def _looking_for_supervisor(pol: StaffingPolicy) -> str:
    roles = list(pol.eligible_supervisor_roles)
    zh = "、".join(ROSTER_ROLES[r][0] for r in roles[:-1])
    zh = (zh + "或" if zh else "") + ROSTER_ROLES[roles[-1]][0]
    en_roles = ["a " + ROSTER_ROLES[r][1] for r in roles]
    en = ", ".join(en_roles[:-1]) + (" or " if len(en_roles) > 1 else "") + en_roles[-1]
    return f"{zh} / {en}"


def _assemble(problem: StaffingProblem, x_on: np.ndarray, u_on: np.ndarray,
              stats: dict) -> StaffingPlan:
    pol = problem.policy
    d, c = problem.demand, problem.candidates
    pr = problem.pairs[x_on]
    sp = problem.supervisor_pairs[u_on]
    codes = d["village_code"].to_numpy()
    tcodes = problem.townships["township_code"].to_numpy()

    directors = pd.DataFrame({
        "village_code": codes[pr["village"].to_numpy()],
        "township_code": d["township_code"].to_numpy()[pr["village"].to_numpy()],
        "person_code": c["person_code"].to_numpy()[pr["person"].to_numpy()],
        "role": c["role"].to_numpy()[pr["person"].to_numpy()],
        "gender": c["gender"].to_numpy()[pr["person"].to_numpy()],
        "preference_score": c["preference_score"].to_numpy()[pr["person"].to_numpy()],
        "preference_rank": c["preference_rank"].to_numpy()[pr["person"].to_numpy()],
        "distance_m": pr["distance_m"].to_numpy(),
        "travel_hours": pr["travel_hours"].to_numpy(),
        "hours_per_month": pr["hours"].to_numpy(),
        "trained_by": c["trained_by"].to_numpy()[pr["person"].to_numpy()],
    })
    directors["person_hours_per_month"] = directors.groupby("person_code")[
        "hours_per_month"].transform("sum")
    directors = directors.sort_values(["village_code", "person_code"], ignore_index=True)

    supervisors = pd.DataFrame({
        "township_code": tcodes[sp["township"].to_numpy()],
        "person_code": c["person_code"].to_numpy()[sp["person"].to_numpy()],
        "role": c["role"].to_numpy()[sp["person"].to_numpy()],
        "gender": c["gender"].to_numpy()[sp["person"].to_numpy()],
        "preference_score": c["preference_score"].to_numpy()[sp["person"].to_numpy()],
        "preference_rank": c["preference_rank"].to_numpy()[sp["person"].to_numpy()],
        "trained_by": c["trained_by"].to_numpy()[sp["person"].to_numpy()],
    }).sort_values(["township_code", "person_code"], ignore_index=True)

    assigned = np.bincount(pr["village"].to_numpy(), minlength=len(d))
    villages = d.copy()
    villages["directors_assigned"] = assigned
    villages["shortfall"] = villages["directors_needed"] - assigned
    names = directors.groupby("village_code")["person_code"].agg(";".join)
    villages["directors"] = [names.get(code, "") for code in villages["village_code"]]
    sup_count = np.bincount(sp["township"].to_numpy(), minlength=len(tcodes))
    sup_short = problem.townships["supervisors_needed"].to_numpy() - sup_count

    # candidates' fate
    status = np.full(len(c), "unassigned", dtype=object)
    reason = c["excluded_reason"].to_numpy().copy()
    status[reason != ""] = "excluded"
    reason[(reason == "")] = "not_needed"
    status[pr["person"].to_numpy()] = "director"
    reason[pr["person"].to_numpy()] = ""
    status[sp["person"].to_numpy()] = "supervisor"
    reason[sp["person"].to_numpy()] = ""
    candidates = pd.DataFrame({
        "person_code": c["person_code"], "township_code": c["township_code"],
        "village_code": c["village_code"], "role": c["role"],
        "candidate_for": c["candidate_for"], "preference_rank": c["preference_rank"],
        "training": c["training"], "trained_by": c["trained_by"], "status": status,
        "reason": reason,
    })

    recruit = _recruit(problem, villages, sup_short, candidates)
    people = pd.concat([
        pd.DataFrame({"person": pr["person"].to_numpy(), "position": "director"}),
        pd.DataFrame({"person": sp["person"].to_numpy(), "position": "supervisor"}),
    ]).drop_duplicates("person")
    flagged = np.flatnonzero(reason == "untrained")
    people = pd.concat([people, pd.DataFrame({"person": flagged, "position": "candidate"})])
    idx = people["person"].to_numpy()
    training = training_schedule(pd.DataFrame({
        "person_code": c["person_code"].to_numpy()[idx],
        "position": people["position"].to_numpy(),
        "training": c["training"].to_numpy()[idx],
        "initial_month": c["initial_month"].to_numpy()[idx],
        "initial_training_date": c["initial_training_date"].to_numpy()[idx],
        "last_training_date": c["last_training_date"].to_numpy()[idx],
    }), pol)

    need_dir = int(d["directors_needed"].sum())
    need_sup = int(problem.townships["supervisors_needed"].sum())
    totals = pd.DataFrame({
        "position": ["director", "supervisor"],
        "position_zh": ["儿童主任", "儿童督导员"],
        "units": [len(d), len(tcodes)],
        "required": [need_dir, need_sup],
        "assigned": [int(assigned.sum()), int(sup_count.sum())],
        "to_recruit": [int(villages["shortfall"].sum()), int(sup_short.sum())],
        "national_2019": [pol.national_directors_2019, pol.national_supervisors_2019],
    })
    totals["required_share_of_national_pct"] = (
        100.0 * totals["required"] / totals["national_2019"].where(totals["national_2019"] > 0))
    stats = StaffingSolveStats(
        **stats, slots_filled=int(assigned.sum() + sup_count.sum()),
        preference_total=float(directors["preference_score"].sum()
                               + supervisors["preference_score"].sum()))
    return StaffingPlan(villages=villages, directors=directors, supervisors=supervisors,
                        recruit=recruit, training=training, candidates=candidates,
                        totals=totals, stats=stats)


def _recruit(problem: StaffingProblem, villages: pd.DataFrame, sup_short: np.ndarray,
             candidates: pd.DataFrame) -> pd.DataFrame:
    pol = problem.policy
    pr = problem.pairs
    in_reach = np.bincount(pr["village"].to_numpy(), minlength=len(villages))
    home = problem.candidates["home"].to_numpy()
    reason = candidates["reason"].to_numpy()
    vcount = len(villages)

    def count_home(mask):
        return np.bincount(home[mask & (home >= 0)], minlength=vcount)

    untrained = count_home(reason == "untrained")
    ineligible = count_home(np.isin(reason, ["role_not_eligible", "supervisor_only"]))
    next_month = _initial_sessions(pol)[1]
    when = _month_str(next_month) if next_month is not None else "—"
    rows = []
    look_d = _looking_for_director(pol)
    for v in np.flatnonzero(villages["shortfall"].to_numpy() > 0):
        row = villages.iloc[v]
        need, has = int(row["directors_needed"]), int(row["directors_assigned"])
        if in_reach[v] == 0:
            zh, en = "可达范围内无合格候选人", "no eligible candidate within reach"
        else:
            zh = f"可达范围内合格候选人{in_reach[v]}人，均已安排或不足"
            en = f"{in_reach[v]} eligible candidate(s) within reach, all placed or too few"
        if row["many_children_extra"]:
            zh += "；常住儿童多，增配1名"
            en += "; one more for many resident children"
        if untrained[v]:
            zh += f"；本村{untrained[v]}名候选人待初任培训（{when}）"
            en += f"; {untrained[v]} local candidate(s) await initial training ({when})"
        if ineligible[v]:
            zh += f"；本村{ineligible[v]}名候选人身份不符"
            en += f"; {ineligible[v]} local candidate(s) in a role not eligible"
        rows.append(("village", row["village_code"], row["township_code"], "director",
                     need - has, look_d, f"需{need}名、已配{has}名；{zh} / needs {need}, has "
                     f"{has}; {en}"))
    look_s = _looking_for_supervisor(pol)
    tcodes = problem.townships["township_code"].to_numpy()
    sup_c = problem.supervisor_pairs["township"].to_numpy()
    for t in np.flatnonzero(sup_short > 0):
        n_c = int((sup_c == t).sum())
        zh = "本乡镇无合格候选人" if n_c == 0 else f"本乡镇合格候选人{n_c}人，不足"
        en = ("no eligible candidate in the township" if n_c == 0
              else f"{n_c} eligible candidate(s) in the township, too few")
        rows.append(("township", tcodes[t], tcodes[t], "supervisor", int(sup_short[t]), look_s,
                     f"{zh} / {en}"))
    out = pd.DataFrame(rows, columns=list(RECRUIT_COLUMNS))
    out["count"] = out["count"].astype(np.int64)
    return out


def staffing_tables(plan: StaffingPlan) -> dict[str, pd.DataFrame]:
    """Return the export tables, keyed by file stem, with exactly the documented columns.

    Returns
    -------
    dict
        ``staffing`` (:data:`STAFFING_COLUMNS`, one row per village and director,
        ``hours_per_month`` rounded to 0.1), ``recruit`` (:data:`RECRUIT_COLUMNS`),
        ``training`` (:data:`TRAINING_COLUMNS`) and ``supervisors``
        (:data:`SUPERVISOR_COLUMNS`). Codes only: no names are ever present.
    """
    staffing = plan.directors.loc[:, list(STAFFING_COLUMNS)].copy()
    staffing["hours_per_month"] = staffing["hours_per_month"].round(1)
    return {
        "staffing": staffing,
        "recruit": plan.recruit.loc[:, list(RECRUIT_COLUMNS)].copy(),
        "training": plan.training.loc[:, list(TRAINING_COLUMNS)].copy(),
        "supervisors": plan.supervisors.loc[:, list(SUPERVISOR_COLUMNS)].copy(),
    }


def plan_staffing(villages: pd.DataFrame, roster: pd.DataFrame, policy=None, *,
                  distance_m: pd.DataFrame | None = None, solver: str = "PULP_CBC_CMD",
                  threads: int | None = None) -> StaffingPlan:
    """Build and solve in one call: ``solve_staffing(build_staffing_problem(...))``.

    See :func:`build_staffing_problem` and :func:`solve_staffing`.
    """
    problem = build_staffing_problem(villages, roster, policy, distance_m=distance_m)
    return solve_staffing(problem, solver=solver, threads=threads)


def write_staffing_lp(problem: StaffingProblem, path, township_code: str | None = None) -> str:
    """Write the stage-A model (all constraint families, named) to an LP file for inspection.

    Parameters
    ----------
    problem : StaffingProblem
    path : str or path
        Output ``.lp`` file.
    township_code : str, optional
        Only the block(s) of this township; default the first batch.

    Returns
    -------
    str
        The path written.
    """
    batches, vlab, tlab, plab, _ = _batches(problem, max_batch_pairs=10**9)
    if not batches:
        raise StaffingNotSolved(zh="没有可决策的候选人", en="no candidate pair to decide",
                                reason="no_candidate_pair")
    batch = batches[0]
    if township_code is not None:
        tcodes = problem.townships["township_code"].to_numpy()
        t = np.flatnonzero(tcodes == township_code)
        vt = problem.demand["township_code"].to_numpy()
        labs = set(tlab[t]) | set(vlab[vt == township_code])
        blocks = np.array(sorted(b for b in batch.blocks if b in labs))
        batch = _Batch(
            name=f"staffing_t{township_code}", blocks=blocks,
            villages=batch.villages[np.isin(vlab[batch.villages], blocks)],
            townships=batch.townships[np.isin(tlab[batch.townships], blocks)],
            patterns=batch.patterns[np.isin(
                plab[problem.patterns["person"].to_numpy(dtype=np.int64)[batch.patterns]],
                blocks)],
            sup_pairs=batch.sup_pairs[np.isin(
                plab[problem.supervisor_pairs["person"].to_numpy()[batch.sup_pairs]], blocks)])
    names = (_safe_names(problem.candidates["person_code"]),
             _safe_names(problem.demand["village_code"]),
             _safe_names(problem.townships["township_code"]))
    mod = _Model(problem, batch, vlab, tlab, plab, names)
    _add_base_rows(mod)
    za = mod.stage_a_terms()
    mod.prob.setObjective(pulp.LpAffineExpression([t for b in za for t in za[b]]))
    mod.prob.writeLP(str(path))
    return str(path)


# ----------------------------------------------------------------------------- synthetic data


def make_synthetic_county(n_villages: int, candidates_per_village: float = 3.0, *,
                          villages_per_township: int = 20, seed: int = 0,
                          county: str = "990100") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Make an illustrative county for tests and benchmarks (fixed seed; codes only).

    Villages lie on a jittered grid about 2 km apart, townships are square patches of it;
    about 8 % of candidates are township cadres (supervisor candidates), 5 % are in roles that
    are not eligible, 15 % untrained.

    Returns
    -------
    (villages, roster) : tuple of DataFrame
        ``villages`` has the VILLAGES counts and ``lon``/``lat``; ``roster`` the ROSTER columns.
    """
    rng = np.random.default_rng(seed)
    n_town = max(1, math.ceil(n_villages / villages_per_township))
    side_t = math.ceil(math.sqrt(n_town))
    side_v = math.ceil(math.sqrt(villages_per_township))
    step = 2000.0  # metres between villages
    lat0, lon0 = 29.5, 106.0
    mdeg_lat = 1 / 111_195.0
    mdeg_lon = mdeg_lat / math.cos(math.radians(lat0))
    rows = []
    for i in range(n_villages):
        t, k = divmod(i, villages_per_township)
        tx, ty = divmod(t, side_t)
        vx, vy = divmod(k, side_v)
        x = (tx * side_v + vx) * step + rng.normal(0, 300)
        y = (ty * side_v + vy) * step + rng.normal(0, 300)
        kids = int(np.clip(rng.lognormal(5.0, 0.6), 30, 900))
        lb = int(rng.binomial(kids, rng.uniform(0.05, 0.3)))
        diff = rng.poisson([0.3, 0.3, 0.8, 1.5, 0.5])
        rows.append({
            "village_code": f"{county}{t + 1:03d}{k + 1:03d}",
            "township_code": f"{county}{t + 1:03d}",
            "resident_children": kids, "left_behind": lb,
            **dict(zip(DIFFICULTY_COLUMNS, (int(x) for x in diff), strict=True)),
            "key_attention": int(rng.binomial(lb + int(diff.sum()), 0.08)),
            "lon": lon0 + x * mdeg_lon, "lat": lat0 + y * mdeg_lat,
        })
    villages = pd.DataFrame(rows)
    roles = np.array(["committee_member", "womens_director", "grid_worker",
                      "college_grad_official", "social_worker", "civil_affairs_assistant",
                      "left_behind_woman", "volunteer", "village_doctor", "other"])
    p_roles = np.array([0.25, 0.18, 0.14, 0.08, 0.07, 0.09, 0.09, 0.05, 0.03, 0.02])
    n_people = int(round(candidates_per_village * n_villages))
    n_sup = max(n_town, int(round(0.08 * n_people)))
    people = []
    ref = dt.date(2026, 10, 31)

    def training():
        if rng.uniform() < 0.15:
            return "", ""
        first = ref - dt.timedelta(days=int(rng.integers(30, 1400)))
        last = first + dt.timedelta(days=int(rng.integers(0, max(1, (ref - first).days))))
        return first.isoformat(), last.isoformat()

    vil_for = rng.integers(0, n_villages, size=n_people - n_sup)
    for j, v in enumerate(np.sort(vil_for)):
        role = str(rng.choice(roles, p=p_roles))
        female = rng.uniform() < (0.95 if role in ("womens_director", "left_behind_woman")
                                  else 0.45)
        first, last = training()
        people.append({
            "person_code": f"P{county}{j:06d}", "village_code": villages.at[v, "village_code"],
            "township_code": villages.at[v, "township_code"], "role": role,
            "gender": "F" if female else "M",
            "committee_member": role in ("committee_member", "womens_director"),
            "womens_fed_cadre": role == "womens_director" or (female and rng.uniform() < 0.05),
            "youth_league_cadre": bool(rng.uniform() < 0.08),
            "initial_training_date": first, "last_training_date": last,
            "candidate_for": ("either" if role == "social_worker" and rng.uniform() < 0.4
                              else "director"),
        })
    for j in range(n_sup):
        t = j % n_town
        role = str(rng.choice(["township_civil_affairs", "township_womens_fed"]))
        female = rng.uniform() < (0.9 if role == "township_womens_fed" else 0.5)
        first, last = training()
        people.append({
            "person_code": f"S{county}{j:06d}", "village_code": "",
            "township_code": f"{county}{t + 1:03d}", "role": role,
            "gender": "F" if female else "M", "committee_member": False,
            "womens_fed_cadre": role == "township_womens_fed",
            "youth_league_cadre": bool(rng.uniform() < 0.1),
            "initial_training_date": first, "last_training_date": last,
            "candidate_for": "supervisor",
        })
    return villages, pd.DataFrame(people, columns=list(_ROSTER_COLUMNS))
