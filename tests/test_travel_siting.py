"""Siting, staffing and the pages take their distances from the one travel model."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from childplan.cli import main
from geo.layers import load_demo
from optimization.policy import load_policy


@pytest.fixture(scope="module")
def walk_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("walk")
    assert main(["site", "--codes", "--metric", "walk_min", "--out", str(out)]) == 0
    return out


def test_site_metric_walk_min_within_the_time_cap(walk_out):
    a = pd.read_csv(walk_out / "assignments.csv", dtype={"village_code": str},
                    encoding="utf-8-sig")
    homes = pd.read_csv(walk_out / "homes.csv", encoding="utf-8-sig").set_index("home_id")
    assert set(a["metric"]) == {"walk_min"}
    cap = load_policy().siting.travel_cap_min
    shared = a[~a["own_home"].astype(bool)]
    assert shared["home_id"].notna().all()
    assert (shared["walk_min"] <= cap + 0.05).all()
    assert a["walk_min"].notna().all()
    # the route is never shorter than the straight line village -> home (recomputed here)
    data = load_demo("500109")
    crs = data.metric_crs
    v = data.villages.set_index("village_code").to_crs(crs)
    h = homes.loc[a["home_id"]]
    hp = shapely.points(*shapely.get_coordinates(
        shapely.points(h["lon"].to_numpy(), h["lat"].to_numpy())).T)
    hm = gpd.GeoSeries(hp, crs=4326).to_crs(crs).values
    straight = shapely.distance(v.loc[a["village_code"]].geometry.values, hm)
    assert (a["distance_m"].to_numpy() >= straight - 0.1).all()
    # and never quicker than that straight line at the fastest speed of the model
    from geo.travel import max_speed_kmh

    vmax = max_speed_kmh(load_policy().travel) * 1000 / 60
    assert (a["walk_min"].to_numpy() * vmax >= straight - 0.1 - 0.05 * vmax).all()


def test_staffing_and_siting_see_the_same_distances():
    from childplan.workflows import staffing_distances
    from geo.travel import siting_travel

    data = load_demo("500109")
    policy = load_policy(overrides={"siting.travel_metric": "road_m"})
    staff = staffing_distances(data, policy).set_index(["from_code", "to_code"])["distance_m"]
    matrix, model_policy = siting_travel(data, policy, "road_m")
    assert model_policy.siting.travel_cap_m == policy.siting.travel_cap_m
    new = matrix[matrix["site_id"].str.startswith("new_")].copy()
    new["to_code"] = new["site_id"].str[4:]
    new = new[new["village_code"] != new["to_code"]]
    site = new.set_index(["village_code", "to_code"])["metres"]
    # every village pair siting reaches within its 3 km, staffing reaches (its cap is 5 km)
    common = site.index.intersection(staff.index)
    assert len(common) == len(site) > 100
    assert np.allclose(site.loc[common].to_numpy(), staff.loc[common].to_numpy(), atol=1e-6)
    # and the staffing problem is built on exactly these metres
    from childplan.workflows import village_points
    from optimization.staffing import build_staffing_problem

    prob = build_staffing_problem(village_points(data),
                                  data.roster.drop(columns=["_row"], errors="ignore"), policy,
                                  distance_m=staff.reset_index())
    assert prob.distance_source == "table"
    codes = prob.demand["village_code"].astype(str).to_numpy()
    home = prob.candidates["village_code"].astype(str).to_numpy()
    pr = prob.pairs
    away = [(home[p], codes[v], d) for p, v, d in zip(pr["person"], pr["village"],
                                                       pr["distance_m"], strict=True)
            if home[p] != codes[v] and home[p] in set(codes)]
    assert away
    assert all(abs(staff[(a, b)] - d) < 1e-6 for a, b, d in away)


def test_siting_page_walk_minutes_with_accessibility(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from geo.i18n import t
    from tests.conftest import REPO

    monkeypatch.setenv("CHILDPLAN_STORE", str(tmp_path / "store.gpkg"))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("app_pages/siting.py").run()
    radio = next(r for r in at.radio if r.label == t("travel_metric", "zh"))
    radio.set_value("walk_min").run()
    at.button[0].click().run()
    assert not at.exception, [str(e.value)[:300] for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert t("mean_walk_min", "zh") in metrics
    next(c for c in at.checkbox if c.label == t("show_access", "zh")).check().run()
    assert not at.exception, [str(e.value)[:300] for e in at.exception]
    heads = [s.value for s in at.subheader]
    assert t("access_title", "zh") in heads and t("catchments_title", "zh") in heads
    shares = next(d.value for d in at.dataframe if t("within_min", "zh") in d.value.columns)
    col = t("share_resident", "zh")
    assert list(shares[t("within_min", "zh")]) == [10, 20, 30]
    assert shares[col].is_monotonic_increasing and shares[col].iloc[-1] <= 1.0


@pytest.mark.parametrize(("metric", "named"), [("straight", "straight"), ("walk_min", "road_m")])
def test_staff_metric_is_named_in_the_csv(tmp_path, metric, named):
    assert main(["staff", "--codes", "--metric", metric, "--out", str(tmp_path)]) == 0
    staffing = pd.read_csv(tmp_path / "staffing.csv", dtype=str)
    assert len(staffing) and set(staffing["metric"]) == {named}


def test_staffing_distances_follow_the_metric():
    """A route is never shorter than the crow-flies line between the two villages; most pairs
    are strictly longer (roads wind), so road_m is not the straight metric under another name."""
    from childplan.workflows import staffing_distances, staffing_metric

    data = load_demo("500109")
    straight = load_policy(overrides={"siting.travel_metric": "straight"})
    walk = load_policy(overrides={"siting.travel_metric": "walk_min"})
    assert (staffing_metric(straight), staffing_metric(walk)) == ("straight", "road_m")
    r = staffing_distances(data, walk)
    assert len(r) > 100
    xy = data.villages.to_crs(data.metric_crs).set_index(data.villages["village_code"].astype(str))
    a = xy.geometry.loc[r["from_code"]].to_numpy()
    b = xy.geometry.loc[r["to_code"]].to_numpy()
    crow = shapely.distance(a, b)
    assert (r["distance_m"].to_numpy() >= crow - 1e-6).all()
    assert (r["distance_m"].to_numpy() > crow * 1.01).mean() > 0.5


def test_staffing_page_metric_choice_is_named(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from geo.i18n import t
    from tests.conftest import REPO

    monkeypatch.setenv("CHILDPLAN_STORE", str(tmp_path / "store.gpkg"))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("app_pages/staffing.py").run()
    radio = next(r for r in at.radio if r.label == t("travel_metric", "zh"))
    radio.set_value("road_m").run()
    next(b for b in at.button if b.label == "求解人员配置").click().run()
    assert not at.exception, [str(e.value)[:300] for e in at.exception]
    caps = " ".join(c.value for c in at.caption)
    assert f"{t('metric_used', 'zh')}：{t('metric_road_m', 'zh')}" in caps
    # the table is in Chinese now (issue 16): column 距离度量, road_m reads 道路距离
    table = next(d.value for d in at.dataframe if "距离度量" in d.value.columns)
    assert set(table["距离度量"]) == {"道路距离"}


def test_walk_min_staffing_uses_the_route_metres_siting_sees():
    """With walk_min chosen, directors (who ride) get route metres; they are the metres of the
    same network's shortest routes that siting's road_m matrix holds, pair for pair."""
    from childplan.workflows import staffing_distances
    from geo.travel import siting_travel

    data = load_demo("350821")
    walk = load_policy(overrides={"siting.travel_metric": "walk_min"})
    staff = staffing_distances(data, walk).set_index(["from_code", "to_code"])["distance_m"]
    matrix, _ = siting_travel(data, walk, "road_m")
    new = matrix[matrix["site_id"].str.startswith("new_")].copy()
    new["to_code"] = new["site_id"].str[4:]
    new = new[new["village_code"] != new["to_code"]].set_index(["village_code", "to_code"])
    common = new.index.intersection(staff.index)
    assert len(common) == len(new) > 50
    assert np.allclose(new.loc[common, "route_m"].to_numpy(), staff.loc[common].to_numpy(),
                       atol=1e-6)
