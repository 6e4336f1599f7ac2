"""Staffing takes its distances from geo/, exactly as siting does (metric CRS, rivers, bridges)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from childplan.workflows import staffing_distances, village_points
from geo.layers import load_demo
from geo.siting_inputs import siting_inputs
from geo.staffing_inputs import village_distances
from optimization.policy import load_policy
from optimization.staffing import build_staffing_problem

GK = 4544  # CGCS2000 / 3-degree Gauss-Kruger CM 105E: x = 500000 is the central meridian
T = "500109102"


def _toy(bridge: bool):
    # v1 at (500000, 3300000), v2 1 km north; a river along y = 3300500 between them.
    v = gpd.GeoDataFrame({"village_code": [f"{T}001", f"{T}002"]},
                         geometry=[Point(500000, 3300000), Point(500000, 3301000)], crs=GK)
    w = gpd.GeoDataFrame({"water_id": ["W1"], "kind": ["river"]},
                         geometry=[LineString([(498000, 3300500), (503000, 3300500)])], crs=GK)
    c = gpd.GeoDataFrame({"crossing_id": ["B1"]}, geometry=[Point(500750, 3300500)], crs=GK)
    return v, w, (c if bridge else c.iloc[:0])


def test_a_river_between_two_villages_is_crossed_at_the_bridge():
    p = load_policy()
    v, w, c = _toy(bridge=True)
    d = village_distances(v, p, waterways=w, crossings=c)
    # over the bridge 750 m east on the river: 2 x sqrt(750^2 + 500^2) = 1802.78 m (not 1000)
    want = 2 * math.hypot(750, 500)
    assert sorted(zip(d["from_code"], d["to_code"], strict=True)) == [
        (f"{T}001", f"{T}002"), (f"{T}002", f"{T}001")]
    assert d["distance_m"].to_numpy() == pytest.approx([want, want], abs=0.5)
    # no bridge: out of reach
    v, w, c = _toy(bridge=False)
    assert village_distances(v, p, waterways=w, crossings=c).empty
    # no river: the straight kilometre
    d = village_distances(v, p)
    assert d["distance_m"].to_numpy() == pytest.approx([1000.0, 1000.0], abs=0.5)


def test_a_director_across_the_river_travels_over_the_bridge():
    p = load_policy()
    v, w, c = _toy(bridge=True)
    lonlat = v.to_crs(4326)
    villages = pd.DataFrame({"village_code": v["village_code"], "township_code": T,
                             "resident_children": [50, 50], "left_behind": [5, 5],
                             "lon": lonlat.geometry.x, "lat": lonlat.geometry.y})
    roster = pd.DataFrame([{"person_code": "P1", "village_code": f"{T}001", "township_code": T,
                            "role": "committee_member", "gender": "F", "committee_member": True,
                            "initial_training_date": "2024-03-01",
                            "last_training_date": "2026-05-12", "candidate_for": "director"}])
    problem = build_staffing_problem(villages, roster, p,
                                     distance_m=village_distances(v, p, waterways=w,
                                                                  crossings=c))
    got = dict(zip(problem.pairs["village"], problem.pairs["distance_m"], strict=True))
    assert got[0] == 0.0  # her own village
    assert got[1] == pytest.approx(2 * math.hypot(750, 500), abs=0.5)
    assert problem.distance_source == "table"


def test_staffing_and_siting_see_the_same_distances():
    """On the demo county (rivers and bridges), every village pair both models know agrees."""
    data = load_demo("500109")
    p = load_policy()
    _, sites, pairs = siting_inputs(data.villages, data.facilities, p.siting,
                                    waterways=data.waterways, crossings=data.crossings)
    # new-build sites stand on a village point: their distances are village-to-village ones
    new = sites[sites["status"] == "new"].set_index("site_id")["village_code"]
    sp = pairs[pairs["site_id"].isin(new.index)].assign(
        to_code=lambda f: f["site_id"].map(new))
    sp = sp[sp["village_code"] != sp["to_code"]]
    assert len(sp) > 100 and (sp["via"] != "").any()  # some pairs go over a bridge
    st = staffing_distances(data, p).set_index(["from_code", "to_code"])["distance_m"]
    cap = min(p.siting.travel_cap_m, max(p.staffing.max_travel_m,
                                         p.staffing.neighbour_distance_m))
    sp = sp[sp["distance_m"] <= cap]
    got = st.reindex(list(zip(sp["village_code"], sp["to_code"], strict=True))).to_numpy()
    assert not np.isnan(got).any()
    np.testing.assert_allclose(got, sp["distance_m"].to_numpy(), atol=1e-6)
    # and the staffing problem built by the workflow uses exactly that table
    problem = build_staffing_problem(village_points(data), data.roster.drop(columns=["_row"]),
                                     p, distance_m=staffing_distances(data, p))
    assert problem.distance_source == "table"
    codes = problem.demand["village_code"].to_numpy()
    home = problem.candidates["village_code"].to_numpy()
    pr = problem.pairs[problem.pairs["distance_m"] > 0]
    keys = list(zip(home[pr["person"]], codes[pr["village"]], strict=True))
    np.testing.assert_allclose(pr["distance_m"].to_numpy(), st.reindex(keys).to_numpy())
