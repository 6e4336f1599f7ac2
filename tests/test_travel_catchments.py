"""Accessibility, catchments and the institutions table from the travel model."""

from __future__ import annotations

import json
import math
import re

import geopandas as gpd
import pandas as pd
import pytest
from shapely import LineString

from geo.travel import (
    access_shares,
    accessibility,
    build_network,
    catchments,
    institution_times,
)
from optimization.policy import load_policy

X0, Y0 = 500_000.0, 3_300_000.0
CRS = "EPSG:4544"


class _County:
    """A stand-in for CountyData: three villages on one straight village road."""

    def __init__(self):
        pts = gpd.points_from_xy([X0, X0 + 1000, X0 + 3000], [Y0] * 3, crs=CRS)
        self.villages = gpd.GeoDataFrame({
            "village_code": ["500109001001", "500109001002", "500109001003"],
            "township_code": ["500109001"] * 3,
            "resident_children": [40, 60, 100], "left_behind": [4, 6, 10],
            "difficulty_other": [1, 1, 2]}, geometry=pts, crs=CRS).to_crs(4326)
        self.county = gpd.GeoDataFrame(geometry=[LineString([(X0 - 9e3, Y0 - 9e3),
                                                             (X0 + 9e3, Y0 + 9e3)]).envelope],
                                       crs=CRS).to_crs(4326)
        self.roads = gpd.GeoDataFrame({"kind": ["village"]},
                                      geometry=[LineString([(X0, Y0), (X0 + 3000, Y0)])],
                                      crs=CRS)
        self.metric_crs = CRS
        self.dem_path = None
        self.waterways = None
        self.crossings = None


def _homes(data, codes):
    v = data.villages.set_index("village_code").loc[codes]
    return pd.DataFrame({"home_id": [f"h{c[-1]}" for c in codes], "lon": v.geometry.x.values,
                         "lat": v.geometry.y.values})


def test_accessibility_and_shares_worked_by_hand():
    # One home at village 1 (x = 0). On the road at 4 km/h (66.67 m/min): village 2 at 1 km is
    # 15 min away, village 3 at 3 km 45 min; village 1 is at the home (0 min).
    data = _County()
    pol = load_policy()
    net = build_network(data.roads, pol.travel, crs=CRS)
    a = accessibility(data, pol, _homes(data, ["500109001001"]), network=net)
    assert a["walk_min"].to_numpy() == pytest.approx([0.0, 15.0, 45.0], abs=1e-3)
    assert set(a["nearest_home"]) == {"h1"}
    s = access_shares(a).set_index("within_min")
    # within 10 min: 40 of 200 children; within 20 and 30: 100 of 200
    assert s.loc[10, "resident_children"] == pytest.approx(0.2)
    assert s.loc[20, "resident_children"] == pytest.approx(0.5)
    assert s.loc[30, "left_behind"] == pytest.approx(10 / 20)


def test_catchments_add_up_to_the_covered_children():
    data = _County()
    pol = load_policy()
    net = build_network(data.roads, pol.travel, crs=CRS)
    homes = _homes(data, ["500109001001", "500109001003"])
    assign = pd.DataFrame({"village_code": data.villages["village_code"],
                           "home_id": ["h1", "h1", "h3"], "resident_children": [40, 60, 100]})
    c = catchments(data, pol, homes, assign, cap_min=20.0, network=net).set_index("home_id")
    assert c["children_assigned"].sum() == pytest.approx(200)
    assert c.loc["h1", "children_assigned"] == 100
    # within 20 min of h1: villages 1 (0 min) and 2 (15 min); of h3 (30 min from village 2):
    # only itself
    assert c.loc["h1", "villages_within_cap"] == 2 and c.loc["h3", "villages_within_cap"] == 1
    # the service area reaches along the road: 20 min x 66.67 m/min = 1333 m from h1, then
    # off road; it contains village 2 (1 km) but not village 3 (3 km)
    poly = gpd.GeoSeries([c.loc["h1", "geometry"]], crs=4326).to_crs(CRS).iloc[0]
    vm = data.villages.to_crs(CRS).geometry.values
    assert poly.contains(vm[1]) and not poly.contains(vm[2])
    assert set(c["metric"]) == {"walk_min"}


def test_demo_catchments_and_nearest_welfare_institution():
    from childplan.workflows import run_siting
    from geo.layers import load_demo

    data = load_demo("500109")
    pol = load_policy(overrides={"siting.travel_metric": "walk_min"})
    res = run_siting(data, pol)
    c = catchments(data, pol, res.homes, res.assignments)
    covered = res.assignments[res.assignments["home_id"].astype(str) != ""]
    assert c["children_assigned"].sum() == pytest.approx(covered["resident_children"].sum())
    assert len(c) == len(res.homes) and (~c.geometry.is_empty).all()
    t = institution_times(data, pol)
    rescue = t[t["from_kind"] == "rescue_protection"]
    near = rescue[rescue["nearest"]]
    assert len(near) == 1 and near["to_kind"].iloc[0] == "welfare_institution"
    welfare = rescue[rescue["to_kind"] == "welfare_institution"]
    assert near["walk_min"].iloc[0] == pytest.approx(welfare["walk_min"].min())
    assert (t["route_m"] >= t["straight_m"] - 1e-6).all()



def test_nearest_welfare_institution_is_the_nearest_on_foot():
    # 001 §2. A river along y = 0, crossed only at a bridge 1 km east; no roads, flat ground
    # (off road at 2.41764 km/h = 40.294 m/min). The rescue-protection institution R at
    # (0, -200); welfare W1 at (0, 200) across the river (400 m straight) and W2 at (1400, -200)
    # on the same bank (1,400 m straight). On foot: W2 = 1400 m = 34.744 min; W1 = via the
    # bridge 2 x sqrt(1000² + 200²) = 2039.608 m = 50.618 min. W2 is the nearest.
    from shapely import Point

    from geo.travel import rescue_to_welfare

    data = _County()
    data.roads = None
    data.waterways = gpd.GeoDataFrame(
        {"water_id": ["W-r"], "kind": ["river"]},
        geometry=[LineString([(X0 - 9000, Y0), (X0 + 9000, Y0)])], crs=CRS).to_crs(4326)
    data.crossings = gpd.GeoDataFrame({"crossing_id": ["c1"]},
                                      geometry=[Point(X0 + 1000, Y0)], crs=CRS).to_crs(4326)
    data.facilities = gpd.GeoDataFrame(
        {"facility_id": ["R", "W1", "W2"],
         "kind": ["rescue_protection", "welfare_institution", "welfare_institution"],
         "name": ["救助保护中心", "福利院甲", "福利院乙"]},
        geometry=gpd.points_from_xy([X0, X0, X0 + 1400], [Y0 - 200, Y0 + 200, Y0 - 200]),
        crs=CRS).to_crs(4326)
    pol = load_policy()
    r = rescue_to_welfare(data, pol)
    off = 0.8 * 0.6 * 6 * math.exp(-0.175) * 1000 / 60
    assert r["to_id"].tolist() == ["W2", "W1"] and r["rank"].tolist() == [1, 2]
    assert r["walk_min"].tolist() == [round(1400 / off, 1), round(2039.608 / off, 1)]
    assert r["route_m"].tolist() == [1400.0, round(2 * math.hypot(1000, 200), 1)]
    assert r["straight_m"].tolist() == [1400.0, 400.0]
    assert r["to_name"].tolist() == ["福利院乙", "福利院甲"] and set(r["metric"]) == {"walk_min"}
    t = institution_times(data, pol)
    assert t.loc[t["nearest"] & (t["from_id"] == "R"), "to_id"].tolist() == ["W2"]


def test_briefing_access_line_worked_by_hand():
    # The home at village 1: village 2 is 15 min away, village 3 45 min. Within 10 min:
    # resident 40/200, left-behind 4/20, difficulty 1/4; within 20 and 30 min: 100/200, 10/20,
    # 2/4.
    from geo.briefing import BriefingInputs, _briefing_access, access_line

    data = _County()
    pol = load_policy()
    shares = _briefing_access(data, BriefingInputs(homes=_homes(data, ["500109001001"])), pol)
    assert access_line(shares, "zh") == (
        "步行到最近儿童之家（常住/留守/困境儿童占比）：10 分钟内 20.0%/20.0%/25.0%；"
        "20 分钟内 50.0%/50.0%/50.0%；30 分钟内 50.0%/50.0%/50.0%")
    assert access_line(None) == "" and _briefing_access(data, BriefingInputs(), pol) is None


def test_demo_briefing_prints_the_access_shares():
    from childplan.workflows import run_siting
    from geo.briefing import BriefingInputs, access_line, briefing_figure
    from geo.layers import load_demo

    data = load_demo("500109")
    pol = load_policy()
    res = run_siting(data, pol)
    fig = briefing_figure(data, BriefingInputs(homes=res.homes, assignments=res.assignments),
                          policy=pol)
    texts = [x.get_text() for x in fig.texts]
    want = access_line(access_shares(accessibility(data, pol, res.homes)))
    assert want in texts and want.count("%") == 9


def test_access_layers_and_their_legend_on_the_map():
    import folium

    from geo.i18n import t
    from geo.maps import Legend, add_legend
    from geo.travel_maps import add_travel_layers

    data = _County()
    pol = load_policy()
    net = build_network(data.roads, pol.travel, crs=CRS)
    homes = _homes(data, ["500109001001"])
    a = accessibility(data, pol, homes, network=net)
    assign = pd.DataFrame({"village_code": data.villages["village_code"],
                           "home_id": ["h1", "h1", ""], "resident_children": [40, 60, 100]})
    c = catchments(data, pol, homes, assign, cap_min=20.0, network=net)
    m = folium.Map()
    add_legend(m, [("儿童之家选址", [])])
    folium.LayerControl().add_to(m)
    add_travel_layers(m, data.villages, a, c)
    legends = [x for x in m._children.values() if isinstance(x, Legend)]
    assert len(legends) == 1  # the bands join the plan's legend, no second box
    html = str(legends[0].html)
    for label in ("儿童之家选址", t("access_layer"), "≤ 10", "10–20", "20–30",
                  t("access_band_over").format(b="30"), t("catchments_layer")):
        assert label in html
    page = m.get_root().render()
    control = page.index("L.control.layers(")
    # both layers are defined before the layer control names them (else a blank map)
    for name in (t("catchments_layer"), t("access_layer")):
        key = json.dumps(name)[1:-1]
        at = page.rindex(key, 0, control)
        var = re.match(r'"\s*:\s*(\w+)', page[at + len(key):]).group(1)
        assert page.index(f"var {var} ") < at
    # minutes of the three villages: 0, 15 and 45 (the last beyond 30 min: red)
    assert page.count('"colour": "#1a9850"') == 1 and page.count('"colour": "#91cf60"') == 1
    assert page.count('"colour": "#d73027"') == 1


def test_cli_site_writes_the_access_shares_the_travel_model_gives(tmp_path):
    # issue 19: the 10/20/30-minute shares in the exports, not only on the page and the briefing
    import pandas as pd

    from childplan.cli import main
    from childplan.workflows import run_siting
    from geo.layers import load_demo
    from geo.travel import accessibility
    from optimization.policy import load_policy

    assert main(["site", "--out", str(tmp_path), "--solver", "highs", "--codes"]) == 0
    got = pd.read_csv(tmp_path / "access_shares.csv")
    assert list(got["within_min"]) == [10, 20, 30]
    data, policy = load_demo("500109"), load_policy()
    acc = accessibility(data, policy, run_siting(data, policy, solver="highs").homes)
    for col, share in (("resident_children", "resident_share"), ("left_behind", "left_behind_share"),
                       ("difficulty", "difficulty_share")):
        # worked out from the minutes table: children within b minutes over all children
        want = [acc.loc[acc["walk_min"] <= b, col].sum() / acc[col].sum() for b in (10, 20, 30)]
        assert got[share].tolist() == pytest.approx(want, abs=5e-5)
        assert got[share].is_monotonic_increasing and got[share].iloc[-1] <= 1
