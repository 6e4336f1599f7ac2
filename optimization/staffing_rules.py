"""Staffing rules on the input tables: cleaning, demand (003 §16), preference, training.

Part of the staffing model (:mod:`optimization.staffing` explains the formulation): the village
and roster frames are checked and cleaned here, each village's director posts and hours are
worked out, candidates are ranked by preference and their training is scheduled.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from functools import reduce

import numpy as np
import pandas as pd

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
