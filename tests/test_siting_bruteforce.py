"""The siting MILP against brute force on small random instances (fixed seeds), both solvers.

The enumerator below is written from the documented rules (004 二(一); policy.toml [siting];
the module notes of optimization/siting.py), not from the model code:

* a village with at least ``threshold`` children is served by exactly one site inside it
  (any distance); if ``keep_existing_home`` and it has an existing home inside it, by one of
  those; its home costs like any other;
* any other village with children is served by one site it reaches (within the cap, not
  across the river, whose capacity could hold it), or — only under a budget, or when it
  reaches nothing — by none; a village without children counts for nothing;
* a site with capacity Q > 0 holds, from the villages it serves, children of the small ones
  plus min(children, Q) of a large one it is the own home of;
* under a budget K, at most K open sites are non-existing sites that are nobody's own home;
* best plan: most weighted coverage (child 1, left-behind 2 per child), then least cost of
  the open sites, then least child-weighted distance.

Every feasible plan is enumerated; the model's coverage, cost and distance must equal the best
one's, and its status must be "optimal".
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from optimization.siting import SitingInfeasible, SitingParams, build_siting_problem, solve_siting

N_INSTANCES = 200  # per solver: 400 solves in all
CAP_M = 3000.0
THRESHOLD = 100
WEIGHTS = {"child": 1.0, "left_behind": 2.0, "difficulty": 0.0, "poverty_village": 1.0,
           "old_base_village": 1.0}


def instance(seed: int) -> dict:
    """A few villages and sites on a 6 km square; maybe a river at x = 3 km, capacity, budget."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 5))
    m = int(rng.integers(2, 6))
    vxy = rng.uniform(0, 6000, (n, 2))
    big = rng.random(n) < 0.35
    children = np.where(big, rng.integers(THRESHOLD, 260, n), rng.integers(1, THRESHOLD, n))
    children = np.where(~big & (rng.random(n) < 0.1), 0, children)
    left_behind = np.floor(children * rng.uniform(0, 0.4, n))
    host = rng.integers(-1, n, m)  # the village a site lies in, -1 for none
    # most large villages have a site inside them (the others make an infeasible instance)
    extra = [i for i in np.flatnonzero(big) if i not in host and rng.random() < 0.85]
    host = np.concatenate([host, np.array(extra, dtype=host.dtype)])
    m = len(host)
    sxy = np.where(host[:, None] >= 0, vxy[np.maximum(host, 0)] + rng.normal(0, 300, (m, 2)),
                   rng.uniform(0, 6000, (m, 2)))
    status = rng.choice(["existing", "reuse", "new"], m, p=[0.25, 0.55, 0.2])
    cost = np.where(status == "existing", rng.choice([0, 10000], m),
                    np.where(status == "reuse", rng.choice([20000, 30000], m), 200000))
    capacity = rng.choice([0, 0, 60, 120, 200], m) if rng.random() < 0.5 else np.zeros(m)
    river = 3000.0 if rng.random() < 0.4 else None
    budget = int(rng.integers(0, 3)) if rng.random() < 0.3 else -1
    d = np.hypot(vxy[:, None, 0] - sxy[None, :, 0], vxy[:, None, 1] - sxy[None, :, 1])
    return dict(n=n, m=m, children=children.astype(float), left_behind=left_behind, host=host,
                status=status, cost=cost.astype(float), capacity=capacity.astype(float),
                d=d, river=river, vx=vxy[:, 0], sx=sxy[:, 0], budget=budget,
                keep_existing=bool(rng.random() < 0.5))


def crosses(inst, i, j) -> bool:
    """Whether village i and site j lie across the river (a site inside the village never)."""
    r = inst["river"]
    return (r is not None and inst["host"][j] != i
            and (inst["vx"][i] - r) * (inst["sx"][j] - r) < 0)


def options(inst, i) -> list[int]:
    """Sites village i may use (-1 = none), from the rules in the module docstring."""
    c, cap, host = inst["children"][i], inst["capacity"], inst["host"]
    if c >= THRESHOLD:
        inside = [j for j in range(inst["m"]) if host[j] == i]
        if inst["keep_existing"] and any(inst["status"][j] == "existing" for j in inside):
            inside = [j for j in inside if inst["status"][j] == "existing"]
        return inside
    if c <= 0:
        return [-1]
    reach = [j for j in range(inst["m"]) if inst["d"][i, j] <= CAP_M and not crosses(inst, i, j)
             and (cap[j] == 0 or c <= cap[j])]
    if not reach:
        return [-1]
    return reach + ([-1] if inst["budget"] >= 0 else [])


def brute_force(inst):
    """Best (coverage, cost, distance) over every feasible plan, or None if there is none."""
    n, c = inst["n"], inst["children"]
    weight = c + 2.0 * inst["left_behind"]
    big = c >= THRESHOLD
    best = None
    for plan in itertools.product(*(options(inst, i) for i in range(n))):
        load = np.zeros(inst["m"])
        own = set()
        for i, j in enumerate(plan):
            if j >= 0:
                q = inst["capacity"][j]
                load[j] += min(c[i], q) if big[i] and q > 0 else c[i]
                if big[i]:
                    own.add(j)
        cap = inst["capacity"]
        if ((cap > 0) & (load > cap + 1e-9)).any():
            continue
        opened = {j for j in plan if j >= 0}
        counted = [j for j in opened if inst["status"][j] != "existing" and j not in own]
        if inst["budget"] >= 0 and len(counted) > inst["budget"]:
            continue
        cov = sum(weight[i] for i, j in enumerate(plan) if j >= 0)
        cost = sum(inst["cost"][j] for j in opened)
        dist = sum(c[i] * inst["d"][i, j] for i, j in enumerate(plan) if j >= 0)
        key = (-cov, cost, dist)
        if best is None or key < best:
            best = key
    return best


def problem(inst):
    n, m = inst["n"], inst["m"]
    vcodes = [f"v{i}" for i in range(n)]
    villages = pd.DataFrame({"village_code": vcodes, "resident_children": inst["children"],
                             "left_behind": inst["left_behind"]})
    sites = pd.DataFrame({
        "site_id": [f"s{j}" for j in range(m)], "kind": "primary_school",
        "status": inst["status"], "cost_yuan": inst["cost"], "capacity": inst["capacity"],
        "village_code": [vcodes[h] if h >= 0 else "" for h in inst["host"]],
    })
    rows = [(vcodes[i], f"s{j}", inst["d"][i, j]) for i in range(n) for j in range(m)
            if not crosses(inst, i, j)]  # what geo.siting_inputs hands over: no river crossing
    pairs = pd.DataFrame(rows, columns=["village_code", "site_id", "distance_m"])
    params = SitingParams(own_home_threshold=THRESHOLD, travel_cap_m=CAP_M,
                          keep_existing_home=inst["keep_existing"], max_new_homes=inst["budget"],
                          coverage_weights=WEIGHTS, time_limit_s=30, gap_rel=0.0)
    return build_siting_problem(villages, sites, pairs, params, allow_uncovered=True)


@pytest.mark.parametrize("which", ["cbc", "highs"])
def test_model_equals_brute_force(which):
    wrong, infeasible, kinds = [], 0, {"capacity": 0, "budget": 0, "river": 0, "big": 0}
    for seed in range(N_INSTANCES):
        inst = instance(seed)
        best = brute_force(inst)
        if best is None:
            infeasible += 1
            with pytest.raises(SitingInfeasible):
                solve_siting(problem(inst), which)
            continue
        kinds["capacity"] += bool((inst["capacity"] > 0).any())
        kinds["budget"] += inst["budget"] >= 0
        kinds["river"] += inst["river"] is not None
        kinds["big"] += bool((inst["children"] >= THRESHOLD).any())
        plan = solve_siting(problem(inst), which)
        got = (-plan.coverage, plan.total_cost_yuan, plan.child_weighted_distance)
        ok = (math.isclose(got[0], best[0], abs_tol=1e-6) and math.isclose(got[1], best[1])
              and math.isclose(got[2], best[2], rel_tol=1e-9, abs_tol=1e-6)
              and plan.stats.status == "optimal")
        if not ok:
            wrong.append((seed, got, best, plan.stats.status))
    assert not wrong, wrong
    # the instances exercise every rule (counts over the seeds)
    assert min(kinds.values()) >= 20, kinds
    assert infeasible < N_INSTANCES // 3
