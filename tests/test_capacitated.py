"""Capacitated single-source siting: hand-checked cases, brute force, OR-Library optima."""

from __future__ import annotations

import itertools
import math
import time
from pathlib import Path

import numpy as np
import pytest

import optimization.capacitated as capmod
from optimization.capacitated import (
    CapacityInfeasible,
    CapProblem,
    make_blocks,
    p_median_capacitated,
    solve_capacitated,
)
from optimization.capacitated_lagrange import lagrangian_bound

PMEDCAP = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "pmedcap1"
if not PMEDCAP.exists():
    PMEDCAP = Path("/work/shared/benchmarks/pmedcap1")

SOLVERS = ["highs", "cbc", "cpsat"]  # ortools is a dependency: CP-SAT is always there


# ----------------------------------------------------------------------------- hand-checked


def test_village_goes_to_second_nearest_home_when_nearest_is_full():
    # Villages A (90 children) and B (50) both reach home s0 (capacity 100) and s1 (capacity
    # 100); both homes are free (existing, cost 0). A is 100 m from s0, 900 m from s1; B is
    # 200 m from s0, 300 m from s1. Both together (140) do not fit in s0, so one must go to s1:
    #   A->s0, B->s1: 90*100 + 50*300 = 24,000   <- optimum
    #   A->s1, B->s0: 90*900 + 50*200 = 91,000
    # B is sent to its second-nearest home because the nearest is full.
    load = [90, 50]
    dist = {(0, 0): 100, (0, 1): 900, (1, 0): 200, (1, 1): 300}
    pv, ps = zip(*dist, strict=True)
    prob = CapProblem.from_arrays(
        village_load=load, site_cost=[0, 0], site_capacity=[100, 100], pair_village=pv,
        pair_site=ps, pair_cost=[load[i] * d for (i, _), d in dist.items()],
        village_ids=["A", "B"], site_ids=["s0", "s1"])
    for solver in SOLVERS:
        plan = solve_capacitated(prob, solver, gap_rel=0.0)
        assert plan.assignment.tolist() == [0, 1], solver
        assert plan.objective == pytest.approx(24_000)
        assert plan.status == "optimal" and plan.gap == 0.0
        assert plan.site_load.tolist() == [90, 50]


def test_single_source_infeasible_names_villages_and_capacities():
    # Three villages of 80 children each, two homes of capacity 120 each reachable by all:
    # 240 children, 240 places, so a split assignment would fit — but each village must go
    # whole to one home and no home holds two villages (160 > 120): infeasible. Every
    # village is needed (any two fit, one per home), so all three are named, with 120 each.
    prob = CapProblem.from_arrays(
        village_load=[80, 80, 80], site_cost=[1, 1], site_capacity=[120, 120],
        pair_village=[0, 0, 1, 1, 2, 2], pair_site=[0, 1, 0, 1, 0, 1],
        pair_cost=[1, 2, 1, 2, 1, 2], village_ids=["500109001001", "500109001002",
                                                   "500109001003"], site_ids=["h1", "h2"])
    with pytest.raises(CapacityInfeasible, match="整体") as exc:
        solve_capacitated(prob)
    assert exc.value.reasons == ("single_source_packing",)
    issue = exc.value.issues[0]
    assert set(issue.villages) == {"500109001001", "500109001002", "500109001003"}
    assert set(issue.sites) == {"h1", "h2"}
    assert "h1=120" in issue.zh and "h2=120" in issue.en and "whole" in issue.en
    assert "500109001002(80)" in issue.en


def test_irreducible_villages_only():
    # As above plus a fourth village of 10 children that could go anywhere: the three 80s
    # still cannot be packed (80+10 fit in one 120 home, but then 2x80 remain for the other).
    # With a third home of capacity 10 reachable only by the small village the 80s are the
    # irreducible core; the small village is not needed to prove infeasibility.
    prob = CapProblem.from_arrays(
        village_load=[80, 80, 80, 10], site_cost=[1, 1, 1], site_capacity=[120, 120, 10],
        pair_village=[0, 0, 1, 1, 2, 2, 3, 3, 3], pair_site=[0, 1, 0, 1, 0, 1, 0, 1, 2],
        pair_cost=[1] * 9, village_ids=["a", "b", "c", "d"])
    with pytest.raises(CapacityInfeasible) as exc:
        solve_capacitated(prob)
    assert set(exc.value.issues[0].villages) == {"a", "b", "c"}


def test_checks_before_solving():
    # "big" (200 children) reaches only a home of capacity 150; "far" reaches nothing.
    prob = CapProblem.from_arrays(
        village_load=[200, 30, 10], site_cost=[5], site_capacity=[150], pair_village=[0, 1],
        pair_site=[0, 0], pair_cost=[0, 1], village_ids=["big", "ok", "far"])
    with pytest.raises(CapacityInfeasible) as exc:
        solve_capacitated(prob)
    assert exc.value.reasons == ("no_site_in_reach", "village_exceeds_capacity")
    assert "far" in exc.value.issues[0].en
    assert "big has 200 children" in exc.value.issues[1].en and "150" in exc.value.issues[1].en
    # total demand over total capacity in one component: 3 x 60 = 180 > 2 x 80 = 160
    prob = CapProblem.from_arrays(
        village_load=[60, 60, 60], site_cost=[1, 1], site_capacity=[80, 80],
        pair_village=[0, 1, 1, 2], pair_site=[0, 0, 1, 1], pair_cost=[1, 1, 1, 1])
    with pytest.raises(CapacityInfeasible) as exc:
        solve_capacitated(prob)
    assert exc.value.reasons == ("capacity_short",)
    assert "180" in exc.value.issues[0].en and "160" in exc.value.issues[0].en


def test_zero_children_and_own_home_loads_are_feasible():
    # A large village (300 children) in its own home counts 0 against the capacity 150
    # ("children from other villages"); a 0-children village and a 100-children village
    # join it: load 100 <= 150. One home, cost 7.
    prob = CapProblem.from_arrays(
        village_load=[300, 0, 100], site_cost=[7], site_capacity=[150],
        pair_village=[0, 1, 2], pair_site=[0, 0, 0], pair_cost=[0, 0, 100],
        pair_load=[0, 0, 100])
    plan = solve_capacitated(prob)
    assert plan.status == "optimal" and plan.cost == 7 and plan.site_load.tolist() == [100]


# ----------------------------------------------------------------------------- brute force


def _random_instance(rng, lexicographic=False, p_mode=False) -> CapProblem:
    n = int(rng.integers(2, 6))
    m = int(rng.integers(2, 5))
    load = rng.integers(0, 60, n)
    pairs = [(i, j) for i in range(n) for j in range(m) if rng.random() < 0.7 or p_mode]
    for i in range(n):  # every village reaches something
        if not any(a == i for a, _ in pairs):
            pairs.append((i, int(rng.integers(m))))
    pairs.sort()
    cap = np.where(rng.random(m) < 0.2, np.inf, rng.integers(30, 130, m))
    cost = rng.integers(0, 50, m) * (0 if p_mode else 1)
    group = np.full(m, -1)
    if m >= 3 and not p_mode and rng.random() < 0.4:
        group[:2] = 0  # two sizes at one place
    forced = (rng.random(m) < 0.15) & (group < 0) & (not p_mode)
    pv, ps = (np.array(x) for x in zip(*pairs, strict=True))
    return CapProblem.from_arrays(
        village_load=load, site_cost=cost, site_capacity=cap, pair_village=pv, pair_site=ps,
        pair_cost=rng.integers(0, 30, len(pv)), site_group=group, site_open=forced,
        n_open=int(rng.integers(1, m + 1)) if p_mode else None, lexicographic=lexicographic)


def _brute_force(prob: CapProblem):
    """Best (cost, distance) or weighted sum over every whole assignment; None if none fits.

    Written from the rules, not from the model: each village picks one reachable site; the
    open sites are those used plus the forced ones (p-median: any p-set containing them);
    loads within capacity; at most one open site per group.
    """
    n, m = prob.n_villages, prob.n_sites
    options = [[(int(j), float(a), int(ld)) for v, j, a, ld in zip(
        prob.pair_village, prob.pair_site, prob.pair_cost, prob.pair_load, strict=True) if v == i]
        for i in range(n)]
    best = None
    for choice in itertools.product(*options):
        load = np.zeros(m)
        for j, _, ld in choice:
            load[j] += ld
        if (load > prob.site_capacity).any():
            continue
        used = np.zeros(m, bool)
        used[[j for j, _, _ in choice]] = True
        used |= prob.site_open
        dist = sum(a for _, a, _ in choice)
        if prob.n_open is not None:
            if used.sum() > prob.n_open:
                continue
            cost = 0.0  # p-median: zero opening cost; extra sites can always be added
        else:
            groups = prob.site_group[used]
            groups = groups[groups >= 0]
            if len(groups) != len(set(groups.tolist())):
                continue
            cost = float(prob.site_cost[used].sum())
        key = (cost, dist) if prob.lexicographic else (cost + dist, 0.0)
        if best is None or key < best:
            best = key
    return best


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("mode", ["sum", "lexicographic", "p_median", "lagrange"])
def test_brute_force(solver, mode, monkeypatch):
    rng = np.random.default_rng({"sum": 1, "lexicographic": 2, "p_median": 3, "lagrange": 4}[mode])
    if mode == "lagrange":  # send even tiny blocks through the bound and the site fixings
        monkeypatch.setattr(capmod, "LAGRANGE_MIN_PAIRS", 0)
    count = {"highs": 60, "cbc": 20, "cpsat": 25}[solver]
    checked = infeasible = 0
    for _ in range(count):
        prob = _random_instance(rng, lexicographic=mode == "lexicographic",
                                p_mode=mode == "p_median")
        best = _brute_force(prob)
        if best is None:
            with pytest.raises(CapacityInfeasible):
                solve_capacitated(prob, solver, gap_rel=0.0)
            infeasible += 1
            continue
        plan = solve_capacitated(prob, solver, gap_rel=0.0)
        assert plan.status == "optimal"
        if prob.lexicographic:
            assert (plan.cost, plan.distance) == pytest.approx(best)
        else:
            assert plan.cost + plan.distance == pytest.approx(best[0])
        # the plan itself keeps every rule
        assert (plan.site_load <= prob.site_capacity).all()
        assert plan.is_open[plan.assignment].all()
        if prob.n_open is not None:
            assert plan.n_open == prob.n_open
        checked += 1
    assert checked >= count // 3 and infeasible >= 1 or mode == "p_median"


def test_lagrangian_bound_never_exceeds_brute_force():
    rng = np.random.default_rng(7)
    for _ in range(80):
        prob = _random_instance(rng, p_mode=bool(rng.random() < 0.3))
        best = _brute_force(prob)
        if best is None:
            continue
        for blk in make_blocks(prob):
            # a loose upper bound so the subgradient steps are not tied to the answer
            res = lagrangian_bound(blk, 1e4, 1e9, time.perf_counter() + 5, max_iter=60)
            assert math.isfinite(res.bound)
        total = sum(lagrangian_bound(b, 1e4, 1e9, time.perf_counter() + 5, max_iter=60).bound
                    for b in make_blocks(prob))
        assert total <= best[0] + 1e-6


def _greedy_case(kind: str) -> CapProblem:
    if kind == "sole":
        # V0 (130 children) can only go to A (capacity 150); V1 (30) reaches A cheaply and B.
        # The greedy used to fill A with V1 first, leaving V0 nowhere (no start at all).
        return CapProblem.from_arrays(
            village_load=[130, 30], site_cost=[10, 10], site_capacity=[150, 150],
            pair_village=[0, 1, 1], pair_site=[0, 0, 1], pair_cost=[50, 2, 20])
    # V0 (100) reaches A and B (capacity 120 each); V1 and V2 (30 each) reach A resp. B
    # cheaply and C (150) dearly: filling A with V1 and B with V2 first strands V0.
    return CapProblem.from_arrays(
        village_load=[100, 30, 30], site_cost=[10, 10, 10], site_capacity=[120, 120, 150],
        pair_village=[0, 0, 1, 1, 2, 2], pair_site=[0, 1, 0, 2, 1, 2],
        pair_cost=[50, 50, 1, 40, 1, 40])


@pytest.mark.parametrize("kind", ["sole", "crowded"])
def test_greedy_start_when_neighbours_would_crowd_a_village_out(kind):
    # The defect behind the product path's 48 % gap on 5,000 villages: there the greedy got
    # stuck on the largest block, so it went to the MILP without a start, a local search or a
    # bound. Hand-checked optima: "sole" 10 + 10 + 50 + 20 = 90; "crowded" 30 + 50 + 1 + 40
    # = 121 (V0 at A, V1 at C, V2 at B) — and the brute force over every assignment agrees.
    from optimization import capacitated_search as cs

    prob = _greedy_case(kind)
    best = _brute_force(prob)[0]
    assert best == {"sole": 90.0, "crowded": 121.0}[kind]
    (blk,) = make_blocks(prob)
    plan = cs.greedy(blk)
    assert plan is not None
    is_open, assign = plan
    load = np.bincount(blk.ps[assign], weights=blk.pl[assign], minlength=blk.m)
    assert (load <= blk.q).all() and is_open[blk.ps[assign]].all()
    assert blk.objective(is_open, assign) == pytest.approx(best)
    assert cs.heuristic(blk, time.perf_counter() + 5) is not None


# ----------------------------------------------------------------------------- OR-Library


def read_pmedcap(k: int):
    """(optimum, distance matrix, demand, capacity, p) of ``pmedcap1(k)``, truncated distances."""
    t = (PMEDCAP / f"pmedcap1({k}).txt").read_text().split()
    opt, n, p, cap = int(t[1]), int(t[2]), int(t[3]), int(t[4])
    a = np.array(t[5:5 + 4 * n], float).reshape(n, 4)
    xy = a[:, 1:3]
    dist = np.floor(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)))
    return opt, dist, a[:, 3], cap, p


def test_pmedcap_reader_matches_optimal_txt():
    listed = {}
    for line in (PMEDCAP / "optimal.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            f = line.split("\t")
            listed[f[0]] = int(f[5])
    assert len(listed) == 20
    for k in (1, 11):
        opt, dist, demand, cap, p = read_pmedcap(k)
        assert listed[f"pmedcap1({k})"] == opt and cap == 120
        assert dist.shape == ((50, 50) if k == 1 else (100, 100)) and p == (5 if k == 1 else 10)


@pytest.mark.parametrize("k", [1, 3])
def test_pmedcap_published_optimum(k):
    opt, dist, demand, cap, p = read_pmedcap(k)
    plan = solve_capacitated(p_median_capacitated(dist, demand, cap, p), "highs", gap_rel=0.0,
                             time_limit_s=300)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(opt)
    assert plan.n_open == p and (plan.site_load <= cap).all()


def test_status_follows_the_proven_gap_when_the_time_limit_stops():
    # pmedcap1(11) (optimum 1006) cannot be proven in 3 s here: the plan must say "feasible"
    # with a positive gap, and its bound must not exceed the published optimum.
    opt, dist, demand, cap, p = read_pmedcap(11)
    plan = solve_capacitated(p_median_capacitated(dist, demand, cap, p), "highs", gap_rel=0.0,
                             time_limit_s=3)
    assert plan.bound <= opt + 1e-6 <= plan.objective + 1e-6
    if plan.objective - plan.bound >= 1:
        assert plan.status == "feasible" and plan.gap > 0
        assert plan.open_blocks and plan.open_blocks[0].gap == pytest.approx(plan.gap)
    else:
        assert plan.status == "optimal"


def test_search_bound_and_fixings_keep_the_optimum(monkeypatch):
    # 30 villages on a 6 km square, a candidate at every village (cost 200) plus 12 cheap
    # hosts (cost 30), capacity 150, reach 3 km, cost + children x km: one block, sent through the local search,
    # the large-neighbourhood search, the Lagrangian bound and its site fixings (thresholds
    # lowered so a small block takes every path). Whatever those prune, the proven optimum
    # must equal the plain MILP's proven optimum (no search, no bound, no fixing).
    monkeypatch.setattr(capmod, "LAGRANGE_MIN_PAIRS", 0)
    monkeypatch.setattr(capmod, "LNS_MIN_VILLAGES", 10)
    for seed in (11, 12, 13):
        rng = np.random.default_rng(seed)
        n, k = 30, 12
        xy = rng.uniform(0, 6_000, (n, 2))
        hosts = xy[rng.integers(0, n, k)] + rng.normal(0, 300, (k, 2))
        sites = np.vstack([xy, hosts])
        load = np.clip(np.round(rng.lognormal(np.log(60), 0.6, n)), 15, 140)
        d = np.sqrt(((xy[:, None] - sites[None]) ** 2).sum(-1))
        pv, ps = np.nonzero(d <= 3000)
        prob = CapProblem.from_arrays(
            village_load=load, site_cost=np.r_[np.full(n, 200.0), np.full(k, 30.0)],
            site_capacity=150, pair_village=pv, pair_site=ps,
            pair_cost=np.round(load[pv] * d[pv, ps] / 1000))
        full = solve_capacitated(prob, "highs", gap_rel=0.0, time_limit_s=120)
        plain = solve_capacitated(prob, "highs", gap_rel=0.0, time_limit_s=120, lagrange=False,
                                  search=False)
        assert full.status == plain.status == "optimal"
        assert full.objective == pytest.approx(plain.objective)
        assert (full.site_load <= 150).all() and full.is_open[full.assignment].all()


def test_cpsat_primal_stage_keeps_the_lexicographic_optimum(monkeypatch):
    # Cost first, then children x distance (the product's objective), on blocks small enough to
    # prove: with CP-SAT's plan as the start (thresholds lowered so every block takes that
    # path) the proven (cost, distance) must equal the plain MILP's, and the stage must have
    # run and handed on a plan that keeps every rule.
    monkeypatch.setattr(capmod, "CPSAT_PRIMAL_MIN_VILLAGES", 1)
    monkeypatch.setattr(capmod, "LAGRANGE_MIN_PAIRS", 0)
    calls = []
    real = capmod._primal_stage

    def spy(blk, inc, *args):
        out = real(blk, inc, *args)
        assert blk.objective(*out) <= blk.objective(*inc) + 1e-9
        load = np.bincount(blk.ps[out[1]], weights=blk.pl[out[1]], minlength=blk.m)
        assert (load <= blk.q + 1e-9).all() and out[0][blk.ps[out[1]]].all()
        calls.append(blk.n)
        return out

    monkeypatch.setattr(capmod, "_primal_stage", spy)
    for seed in (21, 22, 23):
        rng = np.random.default_rng(seed)
        n, k = 18, 8
        xy = rng.uniform(0, 5_000, (n, 2))
        hosts = xy[rng.integers(0, n, k)] + rng.normal(0, 300, (k, 2))
        sites = np.vstack([xy, hosts])
        load = np.clip(np.round(rng.lognormal(np.log(60), 0.6, n)), 15, 140)
        d = np.sqrt(((xy[:, None] - sites[None]) ** 2).sum(-1))
        pv, ps = np.nonzero(d <= 3000)
        prob = CapProblem.from_arrays(
            village_load=load, site_cost=np.r_[np.full(n, 20.0), np.full(k, 3.0)],
            site_capacity=150, pair_village=pv, pair_site=ps,
            pair_cost=np.round(load[pv] * d[pv, ps] / 100), lexicographic=True)
        before = len(calls)
        full = solve_capacitated(prob, "highs", gap_rel=0.0, time_limit_s=120)
        assert len(calls) > before
        plain = solve_capacitated(prob, "highs", gap_rel=0.0, time_limit_s=120, lagrange=False,
                                  search=False)
        assert full.status == plain.status == "optimal"
        assert (full.cost, full.distance) == pytest.approx((plain.cost, plain.distance))
