"""Staffing outputs: the plan's tables (directors, supervisors, recruitment, training).

Part of the staffing model (:mod:`optimization.staffing`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimization.policy import StaffingPolicy
from optimization.staffing_problem import (
    StaffingPlan,
    StaffingProblem,
    StaffingSolveStats,
)
from optimization.staffing_rules import (
    PREFERENCE_LABELS,
    RECRUIT_COLUMNS,
    STAFFING_COLUMNS,
    SUPERVISOR_COLUMNS,
    TRAINING_COLUMNS,
    _initial_sessions,
    _month_str,
    _preference_order,
    training_schedule,
)
from optimization.vocab import (
    ROSTER_ROLES,
)

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


def _people_tables(problem: StaffingProblem, pr: pd.DataFrame,
                   sp: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The chosen directors (per village) and supervisors (per township), codes only."""
    d, c = problem.demand, problem.candidates
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
    return directors, supervisors


def _candidate_fates(c: pd.DataFrame, pr: pd.DataFrame, sp: pd.DataFrame) -> pd.DataFrame:
    """Each candidate's status (director, supervisor, unassigned, excluded) and why."""
    status = np.full(len(c), "unassigned", dtype=object)
    reason = c["excluded_reason"].to_numpy().copy()
    status[reason != ""] = "excluded"
    reason[(reason == "")] = "not_needed"
    status[pr["person"].to_numpy()] = "director"
    reason[pr["person"].to_numpy()] = ""
    status[sp["person"].to_numpy()] = "supervisor"
    reason[sp["person"].to_numpy()] = ""
    return pd.DataFrame({
        "person_code": c["person_code"], "township_code": c["township_code"],
        "village_code": c["village_code"], "role": c["role"],
        "candidate_for": c["candidate_for"], "preference_rank": c["preference_rank"],
        "training": c["training"], "trained_by": c["trained_by"], "status": status,
        "reason": reason,
    })


def _totals(problem: StaffingProblem, villages: pd.DataFrame, assigned: np.ndarray,
            sup_count: np.ndarray, sup_short: np.ndarray) -> pd.DataFrame:
    """Posts required, assigned and to recruit, against the 2019 national totals."""
    pol, d = problem.policy, problem.demand
    tcodes = problem.townships["township_code"].to_numpy()
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
    return totals


def _assemble(problem: StaffingProblem, x_on: np.ndarray, u_on: np.ndarray,
              stats: dict) -> StaffingPlan:
    pol = problem.policy
    d, c = problem.demand, problem.candidates
    pr = problem.pairs[x_on]
    sp = problem.supervisor_pairs[u_on]
    tcodes = problem.townships["township_code"].to_numpy()

    directors, supervisors = _people_tables(problem, pr, sp)

    assigned = np.bincount(pr["village"].to_numpy(), minlength=len(d))
    villages = d.copy()
    villages["directors_assigned"] = assigned
    villages["shortfall"] = villages["directors_needed"] - assigned
    names = directors.groupby("village_code")["person_code"].agg(";".join)
    villages["directors"] = [names.get(code, "") for code in villages["village_code"]]
    sup_count = np.bincount(sp["township"].to_numpy(), minlength=len(tcodes))
    sup_short = problem.townships["supervisors_needed"].to_numpy() - sup_count

    candidates = _candidate_fates(c, pr, sp)
    reason = candidates["reason"].to_numpy()

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

    totals = _totals(problem, villages, assigned, sup_count, sup_short)
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
