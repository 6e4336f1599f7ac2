"""geo.siting_inputs: candidates, straight-line pairs in metres, rivers crossed only at bridges.

Geometries are laid out in CGCS2000 / 3-degree Gauss-Krüger CM 105E (EPSG:4544) near Beibei,
the zone :func:`geo.crs.metric_crs_for` picks for them, so the expected distances are plain
Euclidean arithmetic on the coordinates below.
"""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from geo.crs import metric_crs_for
from geo.siting_inputs import (
    barrier_lines,
    candidate_sites,
    feasible_pairs,
    siting_inputs,
    village_table,
)
from optimization.policy import load_policy
from optimization.siting import SitingInfeasible, build_siting_problem, solve_siting

GK = 4544
X0, Y0 = 638000.0, 3300000.0  # about 106.43E 29.8N


def pts(rows, id_col):
    """rows: (id, dx, dy, extra dict) relative to (X0, Y0)."""
    data = [{id_col: r[0], **(r[3] if len(r) > 3 else {})} for r in rows]
    geom = [Point(X0 + r[1], Y0 + r[2]) for r in rows]
    return gpd.GeoDataFrame(data, geometry=geom, crs=GK)


def river(x1, y1, x2, y2, kind="river"):
    return gpd.GeoDataFrame({"water_id": ["w1"], "kind": [kind]},
                            geometry=[LineString([(X0 + x1, Y0 + y1), (X0 + x2, Y0 + y2)])],
                            crs=GK)


def test_metric_zone_is_the_one_the_coordinates_use():
    v = pts([("a", 0, 0)], "village_code")
    assert metric_crs_for(v).to_epsg() == GK


def test_straight_line_metres_and_cap():
    # v at the origin; s1 3 km east (exactly the cap), s2 at (2400, 1800) = 3000 m, s3 3001 m
    v = pts([("v", 0, 0)], "village_code")
    s = pts([("s1", 3000, 0), ("s2", 2400, 1800), ("s3", 3001, 0)], "site_id")
    p = feasible_pairs(v, s, 3000.0)
    got = dict(zip(p["site_id"], p["distance_m"], strict=True))
    assert set(got) == {"s1", "s2"}
    assert got["s1"] == pytest.approx(3000, abs=1e-6)
    assert got["s2"] == pytest.approx(3000, abs=1e-6)


def test_wgs84_input_is_measured_in_metres():
    # the same two points given in WGS84 are ~3000 m apart (projection round trip)
    v = pts([("v", 0, 0)], "village_code").to_crs(4326)
    s = pts([("s", 3000, 0)], "site_id").to_crs(4326)
    p = feasible_pairs(v, s, 3500.0)
    assert p["distance_m"].iloc[0] == pytest.approx(3000, abs=0.01)


def test_river_without_bridge_blocks_the_pair():
    # river along y = 0; v at (0, -500) south bank, s at (0, 500) north bank, 1000 m apart
    v = pts([("v", 0, -500)], "village_code")
    s = pts([("s", 0, 500), ("t", 800, -400)], "site_id")
    p = feasible_pairs(v, s, 3000.0, barriers=river(-5000, 0, 5000, 0))
    # only t, on the same bank: sqrt(800^2 + 100^2)
    assert p["site_id"].tolist() == ["t"]
    assert p["distance_m"].iloc[0] == pytest.approx(math.hypot(800, 100))


def test_river_with_bridge_goes_over_the_bridge():
    # bridge at (1000, 0): path v -> bridge -> s = 2 * sqrt(1000^2 + 500^2) = 2236.07 m
    v = pts([("v", 0, -500)], "village_code")
    s = pts([("s", 0, 500)], "site_id")
    b = pts([("bridge1", 1000, 0)], "crossing_id")
    p = feasible_pairs(v, s, 3000.0, barriers=river(-5000, 0, 5000, 0), crossings=b)
    assert p["distance_m"].iloc[0] == pytest.approx(2 * math.hypot(1000, 500))
    assert p["straight_m"].iloc[0] == pytest.approx(1000)
    assert p["via"].iloc[0] == "bridge1"
    # with a 2000 m cap the detour (2236 m) is too long: no pair
    assert feasible_pairs(v, s, 2000.0, barriers=river(-5000, 0, 5000, 0), crossings=b).empty


def test_straight_segment_over_a_bridge_is_clear():
    # the bridge lies on the straight segment (20 m off the line, within the snap): 1000 m
    v = pts([("v", 0, -500)], "village_code")
    s = pts([("s", 0, 500)], "site_id")
    b = pts([("b", 20, 0)], "crossing_id")
    p = feasible_pairs(v, s, 3000.0, barriers=river(-5000, 0, 5000, 0), crossings=b)
    assert p["distance_m"].iloc[0] == pytest.approx(1000)
    assert p["via"].iloc[0] == ""


def test_best_of_several_bridges_and_second_river():
    # bridges at x = 1500 and x = -600: the nearer one wins: 2 * hypot(600, 500) = 1562.05
    v = pts([("v", 0, -500)], "village_code")
    s = pts([("s", 0, 500)], "site_id")
    b = pts([("far", 1500, 0), ("near", -600, 0)], "crossing_id")
    p = feasible_pairs(v, s, 3000.0, barriers=river(-5000, 0, 5000, 0), crossings=b)
    assert p["via"].iloc[0] == "near"
    assert p["distance_m"].iloc[0] == pytest.approx(2 * math.hypot(600, 500))
    # a second river at y = 300 (no bridge) blocks the leg bridge -> s: one crossing only
    two = pd.concat([river(-5000, 0, 5000, 0), river(-5000, 300, 5000, 300)])
    assert feasible_pairs(v, s, 3000.0, barriers=two, crossings=b).empty


def test_barrier_kinds_follow_policy():
    policy = load_policy().siting  # barrier_kinds = ["river"], rivers_are_barriers = true
    w = pd.concat([river(-5000, 0, 5000, 0, "river"), river(-5000, 100, 5000, 100, "canal")])
    assert barrier_lines(w, policy)["kind"].tolist() == ["river"]
    off = load_policy(overrides={"siting.rivers_are_barriers": False}).siting
    assert barrier_lines(w, off) is None


def test_travel_matrix_replaces_straight_lines():
    # a road network says 2500 m (v, s) and 3500 m (v, t); straight lines and rivers are ignored
    v = pts([("v", 0, -500)], "village_code")
    s = pts([("s", 0, 500), ("t", 100, 0)], "site_id")
    tm = pd.DataFrame({"village_code": ["v", "v", "x"], "site_id": ["s", "t", "s"],
                       "metres": [2500.0, 3500.0, 10.0]})
    p = feasible_pairs(v, s, 3000.0, barriers=river(-5000, 0, 5000, 0), travel_matrix=tm)
    assert p[["village_code", "site_id"]].values.tolist() == [["v", "s"]]
    assert p["distance_m"].iloc[0] == 2500.0


def _county():
    # villages: A (120 children, has a school and an existing 儿童之家), B (40), C (30)
    villages = pts([
        ("500109102001", 0, 0, {"resident_children": 120, "left_behind": 10, "orphan": 1,
                                "dibao_tekun": 2, "poverty_village": True}),
        ("500109102002", 1500, 0, {"resident_children": 40, "left_behind": 5}),
        ("500109104001", 0, 2000, {"resident_children": 30, "left_behind": 3,
                                   "township_code": "500109104"}),
    ], "village_code")
    facilities = pts([
        ("f_school", 50, 0, {"kind": "primary_school", "village_code": "500109102001"}),
        ("f_home", 0, 60, {"kind": "children_home", "capacity": 200}),
        ("f_clinic", 1400, 0, {"kind": "township_station"}),  # not a host kind
        ("f_lib", 1450, 50, {"kind": "farm_library"}),
    ], "facility_id")
    return villages, facilities


def test_village_table_sums_difficulty_and_derives_township():
    villages, _ = _county()
    t = village_table(villages).set_index("village_code")
    assert t.loc["500109102001", "difficulty"] == 3  # orphan 1 + dibao_tekun 2
    assert bool(t.loc["500109102001", "poverty_village"])
    assert t.loc["500109102002", "township_code"] == "500109102"  # from the 12-digit code
    assert t.loc["500109104001", "township_code"] == "500109104"


def test_candidate_sites_kinds_costs_and_new_builds():
    villages, facilities = _county()
    policy = load_policy().siting
    s = candidate_sites(villages, facilities, policy).set_index("site_id")
    assert "f_clinic" not in s.index  # township_station is not a host kind
    assert s.loc["f_home", "status"] == "existing" and s.loc["f_home", "cost_yuan"] == 0
    assert s.loc["f_school", "status"] == "reuse"
    assert s.loc["f_school", "cost_yuan"] == policy.cost_yuan["primary_school"]
    assert s.loc["f_lib", "cost_yuan"] == policy.cost_yuan["farm_library"]
    # new builds at every village point
    assert s.loc["new_500109102002", "status"] == "new"
    assert s.loc["new_500109102002", "cost_yuan"] == policy.cost_yuan["new_build"]
    # f_home has no village code: the nearest village (A, 60 m away) is inferred
    assert s.loc["f_home", "village_code"] == "500109102001"
    assert bool(s.loc["f_home", "village_inferred"])
    assert s.loc["f_lib", "village_code"] == "500109102002"
    assert s.loc["f_home", "capacity"] == 200
    off = load_policy(overrides={"siting.allow_new_build": False}).siting
    assert not candidate_sites(villages, facilities, off)["site_id"].str.startswith("new_").any()


def test_end_to_end_small_county():
    # A (120) gets its own home: the existing f_home (status existing, cost 0). B (40) is 50 m
    # from f_lib (20 000) and 1500 m from f_home: f_home is free and already open, so B joins
    # it. C (30) is 2000 m from f_home (free) -> joins it too. Total cost 0.
    villages, facilities = _county()
    policy = load_policy().siting
    v, s, p = siting_inputs(villages, facilities, policy)
    plan = solve_siting(build_siting_problem(v, s, p, policy))
    assert plan.homes["home_id"].tolist() == ["f_home"]
    assert plan.total_cost_yuan == 0
    a = plan.assignments.set_index("village_code")
    assert a.loc["500109102002", "home_id"] == "f_home"
    assert a.loc["500109102002", "distance_m"] == pytest.approx(math.hypot(1500, 60))
    assert a.loc["500109104001", "distance_m"] == pytest.approx(2000 - 60)


def test_end_to_end_river_makes_village_unreachable_and_says_so():
    # a river between C (y = 2000) and the rest (y <= 60), no bridge, no new builds:
    # C can reach nothing -> the error names C's code and suggests a crossing.
    villages, facilities = _county()
    policy = load_policy(overrides={"siting.allow_new_build": False}).siting
    w = river(-5000, 1000, 5000, 1000)
    v, s, p = siting_inputs(villages, facilities, policy, waterways=w)
    with pytest.raises(SitingInfeasible, match="500109104001") as exc:
        build_siting_problem(v, s, p, policy)
    assert exc.value.reasons == ("no_site_in_reach",)
    assert "crossing" in str(exc.value) and "过河点" in str(exc.value)
    # a bridge at (500, 1000) on the river: C (0, 2000) -> bridge -> f_home (0, 60) =
    # hypot(500, 1000) + hypot(500, 940) = 2182.9 m <= 3000; f_home is free, so C joins it.
    bridge = pts([("b1", 500, 1000)], "crossing_id")
    v, s, p = siting_inputs(villages, facilities, policy, waterways=w, crossings=bridge)
    plan = solve_siting(build_siting_problem(v, s, p, policy))
    a = plan.assignments.set_index("village_code")
    expected = math.hypot(500, 1000) + math.hypot(500, 1000 - 60)
    assert a.loc["500109104001", "home_id"] == "f_home"
    assert a.loc["500109104001", "distance_m"] == pytest.approx(expected)
