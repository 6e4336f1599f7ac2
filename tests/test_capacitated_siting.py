"""Capacity in the product: siting hands binding capacities to the capacitated model (issue 20).

Every expected value is worked out by hand (in the comments) or by brute force over all
single-source assignments; the demo county checks that both solvers prove the same optimum
and that a status follows the proven gap, never a solver's word.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from optimization import capacitated_backends
from optimization.siting import SitingInfeasible, SitingProblem, solve_siting
from optimization.siting_capacity import capacity_binds, solve_capacitated_siting
from optimization.siting_problem import SitingParams

SOLVERS = ("cbc", "highs")


def home_of(plan, code):
    a = plan.assignments.set_index("village_code")
    return a.loc[code, "home_id"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_village_goes_to_second_nearest_home_because_the_nearest_is_full(solver):
    # Sites s0 (cost 20 000, capacity 100) and s1 (cost 20 000, capacity 100); villages A 70
    # children (s0 300 m, s1 2 000 m) and B 60 (s0 200 m, s1 900 m). Together 130 > 100: both
    # homes open (cost 40 000), and one village goes to s1:
    #   A->s0, B->s1: 70*300 + 60*900  = 21 000 + 54 000 = 75 000 child·m
    #   A->s1, B->s0: 70*2000 + 60*200 = 140 000 + 12 000 = 152 000
    # so B, whose nearest home is s0, goes to its second-nearest s1.
    d = np.array([[300.0, 2000.0], [200.0, 900.0]])
    prob = SitingProblem.from_cost_matrix(d, [70, 60], site_cost=[20000, 20000],
                                           site_capacity=[100, 100], village_codes=["A", "B"])
    assert capacity_binds(prob)
    plan = solve_siting(prob, solver)
    assert plan.stats.capacitated
    assert (home_of(plan, "A"), home_of(plan, "B")) == ("s0", "s1")
    assert plan.total_cost_yuan == pytest.approx(40000)
    assert plan.child_weighted_distance == pytest.approx(75000)
    assert plan.stats.status == "optimal"
    h = plan.homes.set_index("home_id")
    assert h.loc["s0", "load"] == 70 and h.loc["s1", "load"] == 60
    assert not h["own_beyond_capacity"].any()


def test_capacity_that_cannot_bind_keeps_the_generic_model():
    # capacity 200 for 70 + 60 children: nothing binds, the generic MILP solves it
    d = np.array([[300.0, 2000.0], [200.0, 900.0]])
    prob = SitingProblem.from_cost_matrix(d, [70, 60], site_cost=[20000, 20000],
                                           site_capacity=[200, 200])
    assert not capacity_binds(prob)
    plan = solve_siting(prob, "highs")
    assert not plan.stats.capacitated and plan.total_cost_yuan == pytest.approx(20000)


@pytest.mark.parametrize("solver", SOLVERS)
def test_single_source_infeasible_names_villages_and_capacities(solver):
    # V1, V2, V3 of 60 children, s1 and s2 of capacity 100 each: 180 <= 200 in all, but a home
    # holds one village of 60 only (two would be 120), so three villages need three homes.
    d = np.full((3, 2), 500.0)
    prob = SitingProblem.from_cost_matrix(d, [60, 60, 60], site_cost=[20000, 20000],
                                           site_capacity=[100, 100],
                                           village_codes=["V1", "V2", "V3"],
                                           site_ids=["s1", "s2"])
    with pytest.raises(SitingInfeasible) as exc:
        solve_siting(prob, solver)
    assert set(exc.value.villages) == {"V1", "V2", "V3"}
    issue = exc.value.issues[0]
    assert set(issue.sites) == {"s1", "s2"}
    for text in (issue.zh, issue.en):  # villages with their children, sites with capacities
        assert "V1(60)" in text and "V3(60)" in text
        assert "s1=100" in text and "s2=100" in text
    assert "180" in issue.zh and "180" in issue.en


def test_neighbour_left_no_room_by_own_homes_is_named():
    # A1 and A2 (100 children each) must have their own homes a1, a2 (capacity 120 each): 20
    # places left in each, 40 in all. B (40) reaches only a1 and a2: the totals pass (40 <=
    # 40) but B goes whole to one home and 40 > 20: no plan. The message names B with its 40
    # children and both homes with their capacities.
    villages = pd.DataFrame({"village_code": ["A1", "A2", "B"],
                             "resident_children": [100, 100, 40]})
    sites = pd.DataFrame({"site_id": ["a1", "a2"], "kind": ["primary_school"] * 2,
                          "cost_yuan": [30000.0, 30000.0], "capacity": [120.0, 120.0],
                          "village_code": ["A1", "A2"]})
    pairs = pd.DataFrame({"village_code": ["A1", "A2", "B", "B"],
                          "site_id": ["a1", "a2", "a1", "a2"],
                          "distance_m": [0.0, 0.0, 800.0, 900.0]})
    prob = SitingProblem.from_frames(villages, sites, pairs,
                                     SitingParams(own_home_threshold=100))
    for capacitated in (None, False):  # the generic MILP proves it too (reason differs)
        with pytest.raises(SitingInfeasible) as exc:
            solve_siting(prob, "highs", capacitated=capacitated)
        assert "B" in exc.value.villages
    with pytest.raises(SitingInfeasible) as exc:
        solve_capacitated_siting(prob)
    issue = exc.value.issues[0]
    assert issue.villages == ("B",) and issue.sites == ("a1", "a2")
    assert "B(40)" in issue.zh and "a1=120" in issue.zh and "a2=120" in issue.en


def _brute_force(d, children, cost, cap):
    """Lexicographic (cost, child·m) optimum over every single-source assignment, or None."""
    n, m = d.shape
    options = [[j for j in range(m) if np.isfinite(d[i, j])] for i in range(n)]
    best = None
    for choice in itertools.product(*options):
        load = np.zeros(m)
        for i, j in enumerate(choice):
            load[j] += children[i]
        if (load > cap + 1e-9).any():
            continue
        used = sorted(set(choice))
        key = (sum(cost[j] for j in used), sum(children[i] * d[i, j] for i, j in enumerate(choice)))
        if best is None or key < best:
            best = key
    return best


@pytest.mark.parametrize("seed", range(8))
def test_small_random_instances_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    n, m = 6, 4
    d = rng.integers(100, 3000, size=(n, m)).astype(float)
    d[d > 2400] = np.inf  # out of reach
    for i in range(n):
        if not np.isfinite(d[i]).any():
            d[i, rng.integers(m)] = 1000.0
    children = rng.integers(10, 60, size=n).astype(float)
    cost = rng.choice([20000.0, 30000.0, 200000.0], size=m)
    cap = rng.integers(50, 130, size=m).astype(float)
    best = _brute_force(d, children, cost, cap)
    params = SitingParams(gap_rel=1e-4)  # gap_rel=0 asks HiGHS for more than 1e-6 relative
    try:
        prob = SitingProblem.from_cost_matrix(d, children, site_cost=cost, site_capacity=cap,
                                               policy=params)
        plans = [solve_siting(prob, s) for s in SOLVERS]
    except SitingInfeasible:
        assert best is None
        return
    assert best is not None
    for plan in plans:
        assert plan.total_cost_yuan == pytest.approx(best[0])
        assert best[1] - 1e-6 <= plan.child_weighted_distance <= best[1] * (1 + 1e-4)
        assert plan.stats.status == "optimal"
        load = plan.homes.set_index("home_id")["load"]
        assert (load.to_numpy() <= cap[[int(h[1:]) for h in load.index]] + 1e-9).all()


def test_one_size_per_place():
    # Four villages of 50 children reach a new-build place with a small (capacity 60, 200 000)
    # and a large size (capacity 150, 300 000), and a far reuse site X (unlimited, 600 000).
    # Small + large would hold 3 + 1 villages for 500 000, but a place is built once: the large
    # alone holds 3 (150), so the fourth needs X (900 000 in all), or X serves all four
    # (600 000): X alone is the optimum.
    villages = pd.DataFrame({"village_code": ["a", "b", "c", "d"],
                             "resident_children": [50, 50, 50, 50]})
    sites = pd.DataFrame({"site_id": ["new_p", "new_p_large", "X"],
                          "kind": ["new_build", "new_build", "service_station"],
                          "cost_yuan": [200000.0, 300000.0, 600000.0],
                          "capacity": [60.0, 150.0, 0.0],
                          "village_code": ["a", "a", "b"]})
    pairs = pd.DataFrame([(v, s, 500.0 if s != "X" else 2000.0) for v in "abcd"
                          for s in sites["site_id"]],
                         columns=["village_code", "site_id", "distance_m"])
    prob = SitingProblem.from_frames(villages, sites, pairs, SitingParams())
    for capacitated in (None, False):  # the capacitated model and the generic MILP
        plan = solve_siting(prob, "highs", capacitated=capacitated)
        assert plan.homes["home_id"].tolist() == ["X"], capacitated
        assert plan.total_cost_yuan == pytest.approx(600000)


def test_a_solver_saying_optimal_at_a_5pct_gap_is_not_called_optimal(monkeypatch):
    # HiGHS once reported "status optimal" on a capacitated run with a 5.1 % gap (issue 20).
    # Make the backend do exactly that: its own plan, its word "optimal", a bound 5 % below.
    real = capacitated_backends._highs

    def lying_highs(arr, *args, **kw):
        status, bound, values = real(arr, *args, **kw)
        if values is None:
            return status, bound, values
        return "optimal", 0.95 * float(arr.c @ values), values

    monkeypatch.setattr(capacitated_backends, "_highs", lying_highs)
    d = np.array([[300.0, 2000.0], [200.0, 900.0]])
    prob = SitingProblem.from_cost_matrix(d, [70, 60], site_cost=[20000, 20000],
                                           site_capacity=[100, 100])
    plan = solve_siting(prob, "highs")
    s = plan.stats
    assert s.capacitated
    assert s.status != "optimal"
    # 5 % of the weighted objective is less than one 20,000-yuan cost step, so the cost is
    # proven (40,000 yuan, both homes: each is full with one village) and the distance stage
    # solves the distance alone, where the lie leaves its 5 % again: that is the proven gap
    assert s.cost_yuan == 40000 and s.cost_gap == 0
    assert s.open_blocks and s.open_blocks[0].gap > 0
    assert s.distance_gap == pytest.approx(0.05, rel=0.05)
    assert 0 < s.gap < 0.05


def test_generic_milp_saying_optimal_at_a_5pct_gap_is_not_called_optimal(monkeypatch):
    # the same lie on the generic MILP path (capacitated=False), through the solver layer
    import dataclasses

    from optimization import solver as solver_layer

    real = solver_layer._solve_highs

    def lying_highs(*args, **kw):
        res = real(*args, **kw)
        if res.values is None:
            return res
        return dataclasses.replace(res, status="optimal", solver_said="Optimal",
                                   bound=res.objective - 0.05 * abs(res.objective), gap=0.05)

    monkeypatch.setattr(solver_layer, "_solve_highs", lying_highs)
    d = np.array([[300.0, 2000.0], [200.0, 900.0]])
    prob = SitingProblem.from_cost_matrix(d, [70, 60], site_cost=[20000, 20000],
                                           site_capacity=[100, 100])
    s = solve_siting(prob, "highs", capacitated=False).stats
    assert not s.capacitated and s.status != "optimal" and s.gap > 0.04


def test_budget_stays_on_the_generic_model():
    d = np.array([[300.0, 2000.0], [200.0, 900.0]])
    prob = SitingProblem.from_cost_matrix(d, [70, 60], site_cost=[20000, 20000],
                                           site_capacity=[100, 100], max_new_homes=5)
    assert not solve_siting(prob, "highs").stats.capacitated
    with pytest.raises(ValueError):
        solve_capacitated_siting(prob)


def test_time_limit_lists_the_open_blocks():
    # 240 villages of 40..80 children on a 30 km strip, a new build (200 000, capacity 150)
    # at each, 3 km reach: the packing does not close in 2 s.
    rng = np.random.default_rng(3)
    n = 240
    xy = np.column_stack([rng.uniform(0, 30000, n), rng.uniform(0, 4000, n)])
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    d[d > 3000] = np.inf
    children = rng.integers(40, 81, n).astype(float)
    prob = SitingProblem.from_cost_matrix(d, children, site_cost=200000.0,
                                           site_capacity=150.0)
    plan = solve_siting(prob, "highs", time_limit_s=2.0)
    s = plan.stats
    assert s.capacitated
    if s.status == "optimal":  # a fast machine: then every gap is closed
        assert not s.open_blocks and s.gap <= s.gap_tolerance + 1e-9
        return
    assert s.status in ("time_limit", "feasible")
    assert s.open_blocks
    for b in s.open_blocks:
        assert b.gap > 0 and b.village_ids and b.villages >= len(b.village_ids)
    # the plan is still complete and within capacity
    assert plan.assignments["home_id"].ne("").all()
    assert (plan.homes["load"] <= 150 + 1e-9).all()


# ----------------------------------------------------------------------------- demo county


@pytest.fixture(scope="module")
def demo_problem_cap100():
    from geo.layers import load_demo
    from geo.siting_inputs import siting_inputs
    from optimization.policy import load_policy
    from optimization.siting import build_siting_problem

    data = load_demo("500109")
    pol = load_policy().with_overrides({"siting.default_capacity": 100})
    v, s, p = siting_inputs(data.villages, data.facilities, pol.siting,
                            waterways=data.waterways, crossings=data.crossings)
    return build_siting_problem(v, s, p, pol.siting)


def test_demo_county_capacity_100_same_optimum_with_cbc_and_highs(demo_problem_cap100):
    prob = demo_problem_cap100
    assert capacity_binds(prob)
    plans = {s: solve_siting(prob, s) for s in SOLVERS}
    generic = solve_siting(prob, "highs", capacitated=False)  # another formulation
    for solver, plan in plans.items():
        st = plan.stats
        assert st.capacitated, solver
        # the status follows the proven gap
        if st.status == "optimal":
            assert st.cost_gap == 0.0
            assert st.distance_gap <= st.gap_tolerance + 1e-9
        else:
            assert st.open_blocks
    costs = {plan.total_cost_yuan for plan in plans.values()} | {generic.total_cost_yuan}
    assert len(costs) == 1  # the cost is proven: exactly equal
    if all(p.stats.status == "optimal" for p in plans.values()):
        a, b = (plans[s].child_weighted_distance for s in SOLVERS)
        tol = generic.stats.gap_tolerance
        assert a == pytest.approx(b, rel=2 * tol)
        assert a == pytest.approx(generic.child_weighted_distance, rel=2 * tol)
    # capacity counts every child a home serves, its own village included
    for plan in plans.values():
        h = plan.homes
        capped = h[(h["capacity"] > 0) & ~h["own_beyond_capacity"]]
        assert (capped["load"] <= capped["capacity"] + 1e-9).all()
        beyond = h[h["own_beyond_capacity"]]
        assert (beyond["own_children"] > beyond["capacity"]).all()
        assert (beyond["load"] == beyond["own_children"]).all()  # no neighbours taken
        assert not math.isnan(plan.stats.best_bound)


# ----------------------------------------------------------------------------- inputs


def test_capacity_defaults_switch_off_keeps_todays_candidates():
    from geo.layers import load_demo
    from geo.siting_inputs import candidate_sites
    from optimization.policy import load_policy

    data = load_demo("500109")
    pol = load_policy()
    assert pol.siting.capacity_defaults_on is False
    s = candidate_sites(data.villages, data.facilities, pol.siting).set_index("site_id")
    new = s[s["kind"] == "new_build"]
    assert len(new) == len(data.villages) and (new["capacity"] == 0).all()
    assert not new.index.str.endswith("_large").any()
    assert (new["cost_yuan"] == pol.siting.cost_yuan["new_build"]).all()
    f = data.facilities.set_index("facility_id")
    hosts = s[s["kind"] != "new_build"]
    given = f.loc[hosts.index, "capacity"].fillna(0).to_numpy(float)
    assert (hosts["capacity"].to_numpy() == given).all()  # the data's, nothing added
    assert set(hosts["capacity_source"]) <= {"data", ""}


def test_capacity_defaults_switch_on_fills_by_kind_and_offers_two_sizes():
    from geo.layers import load_demo
    from geo.siting_inputs import candidate_sites
    from optimization.policy import load_policy

    data = load_demo("500109")
    pol = load_policy().with_overrides({"siting.capacity_defaults_on": True})
    sp = pol.siting
    s = candidate_sites(data.villages, data.facilities, sp).set_index("site_id")
    f = data.facilities.set_index("facility_id")
    hosts = s[s["kind"] != "new_build"]
    given = f.loc[hosts.index, "capacity"].fillna(0).to_numpy(float)
    by_kind = np.array([sp.capacity_by_kind.get(k, 0) for k in hosts["kind"]], dtype=float)
    # a capacity in the data wins; an empty one takes the kind's default
    assert (hosts["capacity"].to_numpy() == np.where(given > 0, given, by_kind)).all()
    assert (hosts["capacity_source"].to_numpy() == np.where(
        given > 0, "data", np.where(by_kind > 0, "kind", ""))).all()
    code = str(data.villages["village_code"].iloc[0])
    small, large = s.loc[f"new_{code}"], s.loc[f"new_{code}_large"]
    assert (small["size"], small["cost_yuan"], small["capacity"]) == (
        "small", sp.new_build_sizes["small"]["cost_yuan"], sp.new_build_sizes["small"]["capacity"])
    assert (large["size"], large["cost_yuan"], large["capacity"]) == (
        "large", sp.new_build_sizes["large"]["cost_yuan"], sp.new_build_sizes["large"]["capacity"])


def test_demo_county_default_plan_unchanged_by_the_capacitated_path():
    # the demo's facilities carry capacities (own homes of large villages): the plan through
    # the capacitated model equals the generic MILP's
    from childplan.workflows import run_siting
    from geo.layers import load_demo
    from optimization.policy import load_policy

    res = run_siting(load_demo("500109"), load_policy(), solver="highs")
    # the planner applied nothing; the data's capacities still bring the load columns
    assert not res.capacity_applied and "own_beyond_capacity" in res.homes_columns
    plan = res.plan
    ref = solve_siting(_demo_problem(load_policy()), "highs", capacitated=False)
    assert plan.total_cost_yuan == ref.total_cost_yuan
    assert plan.child_weighted_distance == pytest.approx(ref.child_weighted_distance,
                                                         rel=2 * ref.stats.gap_tolerance)
    assert plan.stats.status == "optimal" and ref.stats.status == "optimal"


def _demo_problem(pol):
    from geo.layers import load_demo
    from geo.siting_inputs import siting_inputs
    from optimization.siting import build_siting_problem

    data = load_demo("500109")
    v, s, p = siting_inputs(data.villages, data.facilities, pol.siting,
                            waterways=data.waterways, crossings=data.crossings)
    return build_siting_problem(v, s, p, pol.siting)


def test_cli_site_capacity_override_writes_load_against_capacity(tmp_path, capsys):
    from childplan.cli import main

    assert main(["site", "--out", str(tmp_path), "--capacity", "100", "--solver", "highs",
                 "--codes"]) == 0
    out = capsys.readouterr().out
    assert "容量指该儿童之家服务的全部儿童（含本村）" in out
    homes = pd.read_csv(tmp_path / "homes.csv", encoding="utf-8-sig")
    for c in ("load", "capacity", "capacity_use", "own_children", "own_beyond_capacity",
              "capacity_source"):
        assert c in homes.columns
    assert (homes["load"] == homes["children_served"]).all()
    assert (homes["capacity"] > 0).all()  # every host has 100 unless the data gives one
    ok = homes[~homes["own_beyond_capacity"]]
    assert (ok["load"] <= ok["capacity"]).all()
    over = homes[homes["own_beyond_capacity"]]
    assert (over["own_children"] > over["capacity"]).all()
    assert (over["load"] == over["own_children"]).all()
    assert set(homes["capacity_source"]) <= {"data", "default"}
    assert main(["site", "--out", str(tmp_path), "--capacity", "-5"]) == 1


def test_siting_page_shows_load_against_capacity(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO

    monkeypatch.setenv("CHILDPLAN_STORE", str(tmp_path / "store.gpkg"))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("app_pages/siting.py").run()
    next(n for n in at.number_input if "容量" in n.label).set_value(100).run()
    at.button[0].click().run()
    assert not at.exception, [str(e.value)[:300] for e in at.exception]
    captions = " ".join(c.value for c in at.caption)
    assert "容量指该儿童之家服务的全部儿童（含本村）" in captions
    assert "单一归属容量模型" in captions
    table = next(d.value for d in at.dataframe if "服务村数" in d.value.columns)
    assert "儿童之家编号" not in table.columns  # no ids on screen (the XLSX keeps them)
    assert {"负荷（服务儿童，含本村）", "容量（服务儿童总数，含本村）", "本村儿童超出容量"} <= set(table.columns)


def test_siting_page_lists_open_blocks_and_continues(tmp_path, monkeypatch):
    # A stopped solve, simulated: the model's proof is cut 5 % short on its first block (as
    # when the time limit stops it). The page must list the open block and offer to continue.
    import dataclasses

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from optimization import siting_capacity
    from tests.conftest import REPO

    real = siting_capacity.solve_capacitated

    def stopped(*args, **kw):
        plan = real(*args, **kw)
        b = plan.blocks[0]
        cut = dataclasses.replace(b, status="feasible", bound=b.bound - 0.05 * abs(b.objective),
                                  gap=0.05, cost_bound=0.9 * b.cost)
        return dataclasses.replace(plan, status="feasible", blocks=(cut,) + plan.blocks[1:])

    monkeypatch.setattr(siting_capacity, "solve_capacitated", stopped)
    monkeypatch.setenv("CHILDPLAN_STORE", str(tmp_path / "store.gpkg"))
    monkeypatch.chdir(REPO)
    st.cache_data.clear()
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("app_pages/siting.py").run()
    next(n for n in at.number_input if "容量" in n.label).set_value(100).run()
    at.session_state["siting_time_limit_s"] = 5.0
    at.button[0].click().run()
    assert not at.exception, [str(e.value)[:300] for e in at.exception]
    assert any("尚未证明最优" in w.value or "求解时限已到" in w.value for w in at.warning)
    blocks = next(d.value for d in at.dataframe if "区块" in d.value.columns)
    assert len(blocks) == 1 and blocks["已证明的间隙"].iloc[0] == "5.0000%"
    more = next(b for b in at.button if "继续求解" in b.label)
    assert "10 秒" in more.label
    more.click().run()
    assert not at.exception
    assert at.session_state["siting_time_limit_s"] == pytest.approx(10.0)
    st.cache_data.clear()
