"""The way to the water on the ground (geo/travel.water_travel) in the hazards' lists.

Hand-made: a river along y = 0 that is crossed only at one bridge 1 km east, no roads, flat
ground. A child walks off road at 0.8 x 0.6 x 5.03674 = 2.41764 km/h (40.294 m/min).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, box

from geo.hazards import (
    analyse_hazards,
    assign_chiefs,
    danger_spots,
    flood_season_list,
    safety_activity_plan,
    score_segments,
    segment_waterways,
)
from geo.travel import build_network, max_speed_kmh, water_travel
from optimization.policy import load_policy
from tests.test_hazards import GK, X0, Y0, facilities, hp, villages, water

POL = load_policy()
OFF_M_PER_MIN = 0.8 * 0.6 * 6 * math.exp(-0.175) * 1000 / 60  # 40.294 m/min


def river_and_bridge():
    river = water([("W-river", "river", "大河", LineString([(-5000, 0), (5000, 0)]))])
    bridge = gpd.GeoDataFrame({"crossing_id": ["c1"]}, geometry=[Point(X0 + 1000, Y0)], crs=GK)
    return river, bridge


def net_for(river, bridge):
    return build_network(None, POL.travel, crs=GK, barriers=river, crossings=bridge)


def test_water_travel_across_a_river_only_at_the_bridge():
    # A at (0, -500), south of the river; a pond box(-20, 300, 20, 340) on the north bank.
    # The river: the bank is 500 m straight north (12.409 min). The pond is 800 m away in a
    # straight line, but across the river: A -> bridge (1000, 0) = sqrt(1000² + 500²)
    # = 1118.034 m, bridge -> the pond's corner (20, 300) = sqrt(980² + 300²) = 1024.890 m;
    # 2142.924 m in all, 53.182 min. P stands on the pond's shore: 0 to the pond.
    river, bridge = river_and_bridge()
    w = water([("W-river", "river", "大河", LineString([(-5000, 0), (5000, 0)])),
               ("W-pond", "pond", "东塘", box(-20, 300, 20, 340))])
    pts = gpd.GeoDataFrame({"id": ["A", "P"]}, geometry=[Point(X0, Y0 - 500),
                                                        Point(X0, Y0 + 300)], crs=GK)
    net = net_for(river, bridge)
    for metric in ("road_m", "walk_min"):
        r = water_travel(net, pts, pts["id"], w, metric=metric).set_index(
            ["origin_id", "water_id"])
        assert r.loc[("A", "W-river"), "route_m"] == pytest.approx(500.0, abs=1e-6)
        assert r.loc[("A", "W-river"), "walk_min"] == pytest.approx(500 / OFF_M_PER_MIN)
        assert r.loc[("A", "W-pond"), "route_m"] == pytest.approx(
            math.hypot(1000, 500) + math.hypot(980, 300), abs=1e-6)
        assert r.loc[("A", "W-pond"), "walk_min"] == pytest.approx(2142.924 / OFF_M_PER_MIN,
                                                                   abs=1e-3)
        assert r.loc[("A", "W-pond"), "straight_m"] == pytest.approx(800.0)
        assert r.loc[("P", "W-pond"), "route_m"] == 0.0
        assert r.loc[("P", "W-river"), "route_m"] == pytest.approx(300.0, abs=1e-6)
        assert set(r["metric"]) == {metric}
        near = water_travel(net, pts, pts["id"], w, metric=metric, nearest_only=True)
        assert dict(zip(near["origin_id"], near["water_id"], strict=True)) == {
            "A": "W-river", "P": "W-pond"}
    # a cap of 1 km in metres keeps the river and drops the pond behind it
    capped = water_travel(net, pts, pts["id"], w, metric="road_m", cap=1000.0)
    assert set(capped.loc[capped["origin_id"] == "A", "water_id"]) == {"W-river"}


def test_flood_list_on_the_ground_drops_water_behind_a_river():
    # A kindergarten 250 m south of the river; a pond box(-20, 40, 20, 80) north of the river,
    # 290 m away in a straight line (within the 300 m inspection distance) but 1 km+ on foot.
    river, bridge = river_and_bridge()
    w = water([("W-river", "river", "大河", LineString([(-5000, 0), (5000, 0)])),
               ("W-pond", "pond", "东塘", box(-20, 40, 20, 80))])
    f = facilities([("F-kg", "kindergarten", 0, -250)])
    p = hp(POL)
    straight = flood_season_list(f, w, p, crs=GK)
    assert straight["water_id"].tolist() == ["W-river", "W-pond"]
    assert straight["distance_m"].tolist() == [250.0, 290.0]
    assert set(straight["metric"]) == {"straight"} and straight["walk_min"].isna().all()
    net = net_for(river, bridge)
    for metric in ("road_m", "walk_min"):
        ground = flood_season_list(f, w, p, crs=GK, network=net, metric=metric)
        assert ground["water_id"].tolist() == ["W-river"]
        row = ground.iloc[0]
        assert (row["distance_m"], row["straight_m"]) == (250.0, 250.0)
        assert row["walk_min"] == pytest.approx(round(250 / OFF_M_PER_MIN, 1))  # 6.2
        assert row["direction"] == "N" and row["metric"] == metric


def test_safety_activities_nearest_water_on_the_ground():
    # Village 1 is 500 m south of the river, village 2 on the north bank 100 m from it and
    # 400 m from a pond further north. Nearest water on foot: the river for both (500 m,
    # 100 m); the straight line says the same, and the metric is named.
    river, bridge = river_and_bridge()
    w = water([("W-river", "river", "大河", LineString([(-5000, 0), (5000, 0)])),
               ("W-pond", "pond", "", box(-20, 500, 20, 540))])
    v = villages([("500109102001", 0, -500, 100, 30, 0, 0),
                  ("500109102002", 0, 100, 100, 10, 0, 0)])
    p = hp(POL)
    s = score_segments(assign_chiefs(segment_waterways(w, 200), v), v, None, p)
    spots = danger_spots(s, p)
    straight = safety_activity_plan(s, v, spots, p).set_index("village_code")
    assert "metric" not in straight.columns  # the straight default is unchanged
    net = net_for(river, bridge)
    for metric in ("road_m", "walk_min"):
        g = safety_activity_plan(s, v, spots, p, network=net, metric=metric).set_index(
            "village_code")
        assert g.loc["500109102001", "nearest_water_m"] == 500.0
        assert g.loc["500109102002", "nearest_water_m"] == 100.0
        assert g.loc["500109102001", "nearest_water_walk_min"] == pytest.approx(
            round(500 / OFF_M_PER_MIN, 1))
        assert set(g["metric"]) == {metric}
        assert (g.index == straight.index).all()  # same priority order here


def test_demo_hazards_follow_the_metric():
    """On the demo county: the default stays straight; on the ground no route to the water is
    shorter than the straight line, nor quicker than it at the fastest speed, and the flood
    list on the ground is a part of the straight one."""
    data = load_demo_500109()
    base = analyse_hazards(data, POL)
    assert base.metric == "straight" and set(base.flood["metric"]) == {"straight"}
    walk = analyse_hazards(data, POL.with_overrides({"siting.travel_metric": "walk_min"}))
    assert walk.metric == "walk_min"
    a = walk.activities.set_index("village_code")
    b = base.activities.set_index("village_code").loc[a.index]
    assert a["nearest_water_m"].notna().all()
    assert (a["nearest_water_m"] >= b["nearest_water_m"] - 1.0).all()  # both rounded to 1 m
    vmax = max_speed_kmh(POL.travel) * 1000 / 60
    # minutes rounded to 0.1, metres to 1
    assert (a["nearest_water_walk_min"] * vmax >= a["nearest_water_m"] - 0.05 * vmax - 0.5).all()
    assert set(a["metric"]) == {"walk_min"}
    f = walk.flood
    pairs = set(zip(base.flood["facility_id"], base.flood["water_id"], strict=True))
    assert set(zip(f["facility_id"], f["water_id"], strict=True)) <= pairs
    assert (f["distance_m"] >= f["straight_m"] - 0.1).all()
    assert (f["distance_m"] <= POL.hazards.flood_inspection_distance_m).all()
    assert (f["walk_min"] * vmax >= f["straight_m"] - 0.1 * vmax - 0.1).all()
    assert np.isfinite(f["walk_min"]).all() and set(f["metric"]) == {"walk_min"}


def load_demo_500109():
    from geo.layers import load_demo

    return load_demo("500109")


def test_hazard_page_on_foot_names_the_metric(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from geo.i18n import enum_label, t
    from tests.conftest import REPO

    monkeypatch.setenv("CHILDPLAN_STORE", str(tmp_path / "store.gpkg"))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app_pages" / "hazards.py"), default_timeout=300)
    at.run()
    assert not at.exception, [str(e.value)[:500] for e in at.exception]
    captions = [c.value for c in at.caption]
    assert f"{t('hz_water_metric')}：{t('metric_straight')}" in captions
    at.radio(key="hazards_metric").set_value("walk_min").run()
    assert not at.exception, [str(e.value)[:500] for e in at.exception]
    captions = [c.value for c in at.caption]
    assert f"{t('hz_water_metric')}：{t('metric_walk_min')}" in captions
    frames = [d.value for d in at.dataframe]
    flood = next(f for f in frames if t("hz_straight_m") in f.columns)
    assert (flood[t("hz_distance_m")] >= flood[t("hz_straight_m")] - 0.1).all()
    assert flood[t("walk_min")].notna().all()
    acts = next(f for f in frames if t("hz_nearest_water_walk_min") in f.columns)
    # the list's metric cells are the exports' words for the metric (one vocabulary, issue 16)
    assert set(acts[t("travel_metric")]) == {enum_label("metric", "walk_min")}
    welfare = next(f for f in frames if t("to_institution") in f.columns)
    assert welfare[t("to_institution")].tolist() == ["北碚区儿童福利院"]
    assert welfare[t("walk_min")].iloc[0] > 0
    # no raw identifier in the headers of these tables
    for f in (flood, acts, welfare):
        assert not {"walk_min", "metric", "straight_m", "nearest_water_walk_min"} & set(f.columns)


def test_activity_list_headers_and_metric_words_in_chinese():
    # with a travel metric the list gains two columns; the CSV showed their raw names
    import pandas as pd

    from geo.patrol import activities_table

    f = pd.DataFrame({"priority": [1], "nearest_water_m": [120.0],
                      "nearest_water_walk_min": [3.5], "metric": ["walk_min"]})
    out = activities_table(f, lang="zh")
    assert list(out.columns) == ["优先顺序", "最近水体距离（米）", "到最近水体步行（分钟）", "距离度量"]
    assert out.iloc[0]["距离度量"] == "步行时间"
    assert activities_table(f, lang="en").iloc[0]["Distance metric"] == "walking time"
