"""Phased siting (optimization/phased.py): year-by-year openings checked against brute force.

The brute force below enumerates every open year (never, 2025, 2026, 2027) of every site,
keeps the plans within the budgets and takes the best by (coverage summed over years, then
cost). It is written from the rules, not from the model: a small village is covered in a year
when a site in reach is open by then; a large village (own-home rule) only by a site inside it.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from optimization.phased import (
    PhasedInputError,
    build_phased_problem,
    directors_by_year,
    solve_phased,
    training_calendar,
)
from optimization.policy import load_policy
from optimization.siting_problem import SitingParams

YEARS = (2025, 2026, 2027)
CHILD_ONLY = SitingParams(coverage_weights={"child": 1.0})


def _frames(children: dict[str, list[float]], reach: dict[str, list[str]],
            cost: dict[str, float], site_village: dict[str, str] | None = None):
    yearly = pd.DataFrame([{"village_code": v, "year": y, "resident_children": c[k],
                            "left_behind": 0}
                           for v, c in children.items() for k, y in enumerate(YEARS)])
    sites = pd.DataFrame({"site_id": list(cost), "cost_yuan": list(cost.values()),
                          "village_code": [(site_village or {}).get(s, "") for s in cost]})
    pairs = pd.DataFrame([{"village_code": v, "site_id": s, "distance_m": 100.0 + k}
                          for s, vs in reach.items() for k, v in enumerate(vs)])
    return yearly, sites, pairs


def brute_force(children, reach, cost, budgets, carry, big=(), site_village=None):
    """Best (coverage, -cost) over every open-year assignment; all optimal assignments."""
    sites = list(cost)
    best, arg = None, []
    for years in itertools.product([None, 0, 1, 2], repeat=len(sites)):
        spent = [sum(cost[s] for s, y in zip(sites, years, strict=True) if y == t)
                 for t in range(3)]
        if carry:
            if any(sum(spent[:t + 1]) > sum(budgets[:t + 1]) for t in range(3)):
                continue
        elif any(spent[t] > budgets[t] for t in range(3)):
            continue
        cov = 0.0
        for t in range(3):
            open_now = {s for s, y in zip(sites, years, strict=True) if y is not None and y <= t}
            for v, c in children.items():
                if v in big:
                    ok = any((site_village or {}).get(s) == v for s in open_now)
                else:
                    ok = any(v in reach.get(s, ()) for s in open_now)
                cov += c[t] if ok else 0.0
        key = (cov, -sum(spent))
        if best is None or key > best:
            best, arg = key, [years]
        elif key == best:
            arg.append(years)
    return best, arg


# ----------------------------------------------------------------------------- the hand case
# Children by year (2025, 2026, 2027): A and B steady, C and D growing, E ageing out.
CHILDREN = {"A": [50, 50, 50], "B": [40, 40, 40], "C": [30, 35, 40], "D": [20, 30, 60],
            "E": [60, 40, 10]}
REACH = {"S1": ["A", "B"], "S2": ["C", "D"], "S3": ["E"], "S4": ["B", "C", "D"]}
COST = {"S1": 30000.0, "S2": 20000.0, "S3": 20000.0, "S4": 40000.0}
# Worked by hand. A site opened in year k covers its villages' children from year k on:
#   S1 (A+B) 90/yr: 2025 -> 270, 2026 -> 180, 2027 -> 90
#   S2 (C+D): 2025 -> 50+65+100 = 215, 2026 -> 165, 2027 -> 100
#   S3 (E):   2025 -> 110, 2026 -> 50, 2027 -> 10
#   S4 (B+C+D) costs 40,000.
# 30,000 a year, no carry-over: one of S1/S2/S3 a year (S4 never fits); best order
#   S1, S2, S3 = 270 + 165 + 10 = 445 (next: S1, S3, S2 = 420), cost 70,000.
# 25,000 a year, no carry-over: S1 never fits; S3 then S2 = 110 + 165 = 275 (S2 then S3: 265),
#   cost 40,000, nothing in 2027.
# 25,000 a year with carry-over (25k, 50k, 75k cumulative): S2 2025 (20k), S1 2026 (50k),
#   S3 2027 (70k) = 215 + 180 + 10 = 405 (S3, S1, S2: 390), cost 70,000.
HAND_CASES = [
    (30000, False, {"S1": 2025, "S2": 2026, "S3": 2027}, 445.0, 70000.0),
    (25000, False, {"S3": 2025, "S2": 2026}, 275.0, 40000.0),
    (25000, True, {"S2": 2025, "S1": 2026, "S3": 2027}, 405.0, 70000.0),
]


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize(("budget", "carry", "openings", "coverage", "cost"), HAND_CASES)
def test_hand_instance_year_by_year(solver, budget, carry, openings, coverage, cost):
    yearly, sites, pairs = _frames(CHILDREN, REACH, COST)
    pp = build_phased_problem(yearly, sites, pairs, CHILD_ONLY, budgets=[budget],
                              carry_over=carry)
    plan = solve_phased(pp, solver, time_limit_s=30)
    assert plan.stats.status == "optimal"
    assert plan.open_year == openings
    assert plan.stats.coverage == pytest.approx(coverage)
    assert plan.stats.cost_yuan == pytest.approx(cost)
    # the brute force agrees, and its optimum is unique
    best, arg = brute_force(CHILDREN, REACH, COST, [budget] * 3, carry)
    assert best == (coverage, -cost) and len(arg) == 1
    by_year = plan.by_year.set_index("year")
    spent = {y: sum(COST[s] for s, oy in openings.items() if oy == y) for y in YEARS}
    assert by_year["spent_yuan"].to_dict() == spent
    if carry:
        assert (np.cumsum(by_year["spent_yuan"]) <= np.cumsum([budget] * 3)).all()
    else:
        assert (by_year["spent_yuan"] <= by_year["budget_yuan"]).all()


def test_hand_instance_years_table():
    yearly, sites, pairs = _frames(CHILDREN, REACH, COST)
    pp = build_phased_problem(yearly, sites, pairs, CHILD_ONLY, budgets=[30000])
    plan = solve_phased(pp, "highs", time_limit_s=30)
    t = plan.by_year.set_index("year")
    # 2025: S1 covers A+B = 90 of 200; 2026: + C+D = 155 of 195; 2027: all 200
    assert t["children"].tolist() == [200, 195, 200]
    assert t["children_covered"].tolist() == [90, 155, 200]
    assert t["homes_open"].tolist() == [1, 2, 3]
    assert t["coverage_pct"].tolist() == pytest.approx([45.0, 100 * 155 / 195, 100.0], abs=0.01)
    a = plan.assignments
    assert set(a[(a["year"] == 2025) & (a["home_id"] != "")]["village_code"]) == {"A", "B"}


# ----------------------------------------------------------------------------- random cases


def _random_instance(rng):
    villages = [f"v{i}" for i in range(5)]
    site_ids = [f"s{j}" for j in range(4)]
    # site j sits in village j; village v4 has none and stays below the threshold
    site_village = {s: villages[j] for j, s in enumerate(site_ids)}
    children = {v: [float(rng.integers(0, 80)) for _ in YEARS] for v in villages}
    children["v4"] = [float(rng.integers(0, 59)) for _ in YEARS]
    reach = {s: [v for v in villages if rng.random() < 0.5] for s in site_ids}
    cost = {s: float(rng.choice([10000, 20000, 30000])) for s in site_ids}
    budgets = [float(rng.choice([10000, 20000, 30000, 40000])) for _ in YEARS]
    return children, reach, cost, budgets, site_village


@pytest.mark.parametrize("seed", range(12))
def test_random_small_instances_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    children, reach, cost, budgets, site_village = _random_instance(rng)
    carry = bool(seed % 2)
    threshold = 60  # a village reaching 60 children in any year needs a home inside it
    big = {v for v, c in children.items() if max(c) >= threshold}
    yearly, sites, pairs = _frames(children, reach, cost, site_village)
    params = SitingParams(own_home_threshold=threshold, keep_existing_home=False,
                          coverage_weights={"child": 1.0})
    pp = build_phased_problem(yearly, sites, pairs, params, budgets=budgets, carry_over=carry)
    plan = solve_phased(pp, "highs", time_limit_s=30)
    best, arg = brute_force(children, reach, cost, budgets, carry, big, site_village)
    assert plan.stats.status == "optimal"
    assert (plan.stats.coverage, -plan.stats.cost_yuan) == pytest.approx(best)
    got = tuple(None if s not in plan.open_year else YEARS.index(plan.open_year[s])
                for s in cost)
    assert got in arg  # one of the optimal open-year assignments


def test_cbc_matches_brute_force_on_random_instances():
    for seed in (21, 22, 23):
        rng = np.random.default_rng(seed)
        children, reach, cost, budgets, _ = _random_instance(rng)
        yearly, sites, pairs = _frames(children, reach, cost)
        pp = build_phased_problem(yearly, sites, pairs, CHILD_ONLY, budgets=budgets)
        plan = solve_phased(pp, "cbc", time_limit_s=30)
        best, _ = brute_force(children, reach, cost, budgets, False)
        assert plan.stats.status == "optimal"
        assert (plan.stats.coverage, -plan.stats.cost_yuan) == pytest.approx(best)


# ----------------------------------------------------------------------------- staff, inputs


def test_directors_and_training_by_year():
    # 003 §16: max(1, ceil(targets / 30)) per village, +1 at 400 resident children.
    # 2025: village a 20 targets -> 1; b 35 targets -> 2; total 3.
    # 2026: a 31 targets -> 2; b 35 targets, 400 children -> 3; total 5.
    yearly = pd.DataFrame({
        "village_code": ["500109102001", "500109102002"] * 2,
        "year": [2025, 2025, 2026, 2026],
        "resident_children": [120, 390, 130, 400],
        "left_behind": [20, 30, 31, 30],
        "orphan": [0, 5, 0, 5],
    })
    sites = pd.DataFrame({"site_id": ["h"], "cost_yuan": [0.0]})
    pairs = pd.DataFrame({"village_code": ["500109102001"], "site_id": ["h"],
                          "distance_m": [10.0]})
    pp = build_phased_problem(yearly, sites, pairs, CHILD_ONLY, budgets=[0])
    pol = load_policy().staffing
    staff = directors_by_year(pp, pol)
    assert staff["directors"].tolist() == [3, 5]
    assert staff["supervisors"].tolist() == [1, 1]  # one township, 1 per township
    cal = training_calendar(staff, pol, trained_now=3)
    init = cal[cal["kind"] == "initial"]
    # 2 directors added in 2026, trained in one session a month before (2025-12)
    assert init[["year", "month", "trainees"]].values.tolist() == [[2026, "2025-12", 2]]
    annual = cal[(cal["kind"] == "annual") & (cal["position"] == "director")]
    assert annual["trainees"].tolist() == [3, 5]


def test_bad_inputs_are_explained():
    yearly, sites, pairs = _frames(CHILDREN, REACH, COST)
    with pytest.raises(PhasedInputError, match="2028"):
        build_phased_problem(yearly, sites, pairs, CHILD_ONLY, budgets=[1], years=[2027, 2028])
    with pytest.raises(PhasedInputError, match="budgets"):
        build_phased_problem(yearly, sites, pairs, CHILD_ONLY, budgets=[1, 2])
    with pytest.raises(PhasedInputError, match=">= 0"):
        build_phased_problem(yearly, sites, pairs, CHILD_ONLY, budgets=[-5])
    with pytest.raises(PhasedInputError, match="every village"):
        build_phased_problem(yearly.iloc[1:], sites, pairs, CHILD_ONLY, budgets=[1])


def test_existing_home_is_open_from_the_first_year_and_not_counted_as_opened():
    # E0 is an existing home (cost 0) reaching only D, which in 2025 has no children: it first
    # serves in 2026 but exists already, so it is open from 2025. S1 (10,000) covers A.
    children = {"A": [10, 10, 10], "D": [0, 5, 5]}
    yearly, _, pairs = _frames(children, {"E0": ["D"], "S1": ["A"]}, {"E0": 0.0, "S1": 1.0})
    sites = pd.DataFrame({"site_id": ["E0", "S1"], "cost_yuan": [0.0, 10000.0],
                          "status": ["existing", "reuse"]})
    pp = build_phased_problem(yearly, sites, pairs, CHILD_ONLY, budgets=[10000])
    plan = solve_phased(pp, "highs", time_limit_s=30)
    assert plan.stats.status == "optimal"
    assert plan.open_year == {"E0": 2025, "S1": 2025}
    t = plan.by_year.set_index("year")
    assert t["homes_opened"].tolist() == [1, 0, 0]  # S1 only
    assert t["homes_open"].tolist() == [2, 2, 2]
    assert t["children_covered"].tolist() == [10, 15, 15]


def test_capacity_single_source_each_year():
    # One site holding 50 children; A has 40, B 30 (both in reach): only one of them fits (one
    # home per village), the larger: A in 2025 and 2026; in 2027 B has grown to 45 > 40, so
    # the home serves B that year: coverage 40 + 40 + 45 = 125.
    children = {"A": [40, 40, 40], "B": [30, 30, 45]}
    yearly, sites, pairs = _frames(children, {"S": ["A", "B"]}, {"S": 10000.0})
    sites["capacity"] = 50
    pp = build_phased_problem(yearly, sites, pairs, CHILD_ONLY, budgets=[10000])
    plan = solve_phased(pp, "highs", time_limit_s=30)
    assert plan.stats.status == "optimal"
    assert plan.stats.coverage == pytest.approx(125.0)
    a = plan.assignments[plan.assignments["home_id"] == "S"]
    assert a.groupby("year")["village_code"].apply(list).to_dict() == {
        2025: ["A"], 2026: ["A"], 2027: ["B"]}
