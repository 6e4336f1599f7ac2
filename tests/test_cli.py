"""The headless `childplan` commands write the files the issues name, with the right content."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from pyproj import Geod

from childplan.cli import main
from childplan.store import Scenario, Store
from geo.layers import load_demo
from optimization.policy import load_policy

GEOD = Geod(ellps="WGS84")


def read(path):
    return pd.read_csv(path, dtype={"village_code": str, "unit_code": str, "person_code": str,
                                    "code": str, "township_code": str}, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def site_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    assert main(["site", "--codes", "--out", str(out)]) == 0
    return out


def test_site_files_and_columns(site_out):
    homes = read(site_out / "homes.csv")
    a = read(site_out / "assignments.csv")
    # the demo's facilities carry capacities, so the load against them is always written
    assert list(homes.columns) == ["home_id", "kind", "status", "lon", "lat", "children_served",
                                   "capacity", "load", "capacity_use", "own_children",
                                   "own_beyond_capacity", "size", "capacity_source"]
    assert list(a.columns) == ["village_code", "resident_children", "home_id", "distance_m",
                               "own_home"]
    assert set(homes["status"]) <= {"existing", "reuse", "new"}
    _check_load_against_capacity(homes, a)
    layers = {name for name, _ in pyogrio.list_layers(site_out / "siting.gpkg")}
    assert layers == {"homes", "assignments", "links"}


def _check_load_against_capacity(homes, a):
    # recomputed from assignments.csv: a home's load is every child it serves, its own
    # children those of the village it is the own home of; a home whose own village alone
    # exceeds its capacity is flagged (and takes no one else), every other keeps its capacity
    a = a.assign(resident_children=pd.to_numeric(a["resident_children"]),
                 own_home=a["own_home"].astype(str) == "True")
    h = homes.set_index("home_id")
    cap = pd.to_numeric(h["capacity"])
    load = a.groupby("home_id")["resident_children"].sum().reindex(h.index).fillna(0)
    own = a[a["own_home"]].groupby("home_id")["resident_children"].sum().reindex(h.index)
    own = own.fillna(0)
    assert (pd.to_numeric(h["load"]) == load).all()
    assert (pd.to_numeric(h["children_served"]) == load).all()
    assert (pd.to_numeric(h["own_children"]) == own).all()
    beyond = (cap > 0) & (own > cap)
    assert (h["own_beyond_capacity"].astype(str) == "True").eq(beyond).all()
    assert beyond.sum() > 0  # the demo has own homes smaller than their village (e.g. 80/387)
    served = a.groupby("home_id").size().reindex(h.index)
    assert (served[beyond] == 1).all()  # a home beyond capacity takes no neighbours
    assert (load[(cap > 0) & ~beyond] <= cap[(cap > 0) & ~beyond]).all()


def test_site_invariants_checked_independently(site_out):
    data = load_demo("500109")
    policy = load_policy()
    homes = read(site_out / "homes.csv").set_index("home_id")
    a = read(site_out / "assignments.csv")
    v = data.villages.set_index("village_code")
    a = a.set_index("village_code")
    assert set(a.index) == set(v.index)  # every village appears once
    big = v.index[v["resident_children"] >= policy.siting.own_home_threshold]
    assert a.loc[big, "own_home"].all()  # 004 二(一): 100+ children -> own home
    small = a.loc[~a.index.isin(big)]
    assert small["home_id"].notna().all()  # every small village is served...
    # ... within the cap: recompute the straight-line distance to its home (a lower bound of
    # the route, which may detour over a bridge) and check the reported route against the cap
    h = homes.loc[small["home_id"]]
    pts = data.villages.set_index("village_code").loc[small.index].geometry
    _, _, d = GEOD.inv(pts.x.to_numpy(), pts.y.to_numpy(), h["lon"].to_numpy(), h["lat"].to_numpy())
    assert (small["distance_m"] <= policy.siting.travel_cap_m + 1e-6).all()
    assert np.all(d <= small["distance_m"].to_numpy() * 1.003 + 1.0)  # route >= straight line
    # children served per home = sum over its villages
    served = a.groupby("home_id")["resident_children"].sum()
    assert (served.reindex(homes.index).fillna(0).astype(int) == homes["children_served"]).all()


def test_staff_files(tmp_path):
    assert main(["staff", "--codes", "--out", str(tmp_path)]) == 0
    s = read(tmp_path / "staffing.csv")
    assert list(s.columns) == ["village_code", "person_code", "role", "gender", "preference_rank",
                               "hours_per_month", "trained_by", "metric"]
    assert list(read(tmp_path / "recruit.csv").columns)[:2] == ["level", "code"]
    t = read(tmp_path / "training.csv")
    assert {"person_code", "kind", "due_month"} <= set(t.columns)
    policy = load_policy().staffing
    data = load_demo("500109")
    roster = data.roster.set_index("person_code")
    assert s["role"].isin(policy.eligible_director_roles).all()
    assert s["person_code"].is_unique  # max_villages_per_director = 1
    assert (roster.loc[s["person_code"], "candidate_for"] != "supervisor").all()
    # >= 1 director per village (003 §16), counting recruits for empty ones
    rec = read(tmp_path / "recruit.csv")
    covered = set(s["village_code"]) | set(rec.loc[rec["level"] == "village", "code"])
    assert covered == set(data.villages["village_code"])
    assert not any(c in s.columns for c in ("name", "姓名", "id_number"))


def test_fund_sums_to_budget_and_columns(tmp_path):
    assert main(["fund", "--codes", "--budget", "3000000", "--out", str(tmp_path)]) == 0
    f = read(tmp_path / "funding.csv")
    assert list(f.columns) == ["unit_code", "unit_name", "targets", "designations", "base",
                               "tilt", "earmark", "amount", "binding"]
    assert int(f["amount"].sum()) == 3_000_000
    assert len(f) == 17 and (tmp_path / "funding_tilt.png").stat().st_size > 10_000
    assert (tmp_path / "funding.xlsx").exists()


def test_fund_across_two_counties_tilts_to_the_old_soviet_base(tmp_path):
    assert main(["fund", "--codes", "--budget", "1000000", "--county", "500109", "--county", "350821",
                 "--out", str(tmp_path)]) == 0
    f = read(tmp_path / "funding.csv").set_index("unit_code")
    assert int(f["amount"].sum()) == 1_000_000
    # 长汀 carries old_base + central_soviet + poverty_lifted: its tilt is positive
    assert f.loc["350821", "tilt"] > 0 > f.loc["500109", "tilt"]


def test_fund_refuses_impossible_budget(tmp_path, capsys):
    assert main(["fund", "--budget", "1000", "--with-staffing", "--out", str(tmp_path)]) == 1
    assert "earmarks" in capsys.readouterr().out


def test_scenario_commands(tmp_path, capsys):
    store = tmp_path / "s.gpkg"
    with Store(store) as st:
        st.save(Scenario(name="甲", adcode="500109", county_name="北碚区",
                         tables={"funding": pd.DataFrame({"unit_code": ["1"], "amount": [5]})},
                         figures={"budget_yuan": 5.0}))
    assert main(["scenario", "list", "--store", str(store)]) == 0
    assert "甲" in capsys.readouterr().out
    assert main(["scenario", "show", "甲", "--store", str(store)]) == 0
    assert "budget_yuan = 5" in capsys.readouterr().out
    f = tmp_path / "甲.gpkg"
    assert main(["scenario", "export", "甲", "--file", str(f), "--store", str(store)]) == 0
    other = tmp_path / "other.gpkg"
    assert main(["scenario", "import", "--file", str(f), "--store", str(other)]) == 0
    with Store(other) as st:
        assert st.load("甲").figures == {"budget_yuan": 5.0}
    assert main(["scenario", "show", "乙", "--store", str(store)]) == 1
    assert gpd.read_file(f, layer="scenario_homes").empty


def test_site_with_a_road_travel_matrix(tmp_path, site_out):
    # Road distances = straight pairs x 1.3 (a typical detour factor): the plan must use them.
    from childplan.workflows import run_siting

    res = run_siting(load_demo("500109"), load_policy())
    pairs = res["pairs"][["village_code", "site_id", "distance_m"]].rename(
        columns={"distance_m": "metres"})
    pairs["metres"] = pairs["metres"] * 1.3
    f = tmp_path / "roads.csv"
    pairs.to_csv(f, index=False)
    out = tmp_path / "o"
    assert main(["site", "--codes", "--out", str(out), "--travel-matrix", str(f)]) == 0
    a = read(out / "assignments.csv").set_index("village_code")
    lookup = pairs.set_index(["village_code", "site_id"])["metres"]
    for code, r in a.iterrows():
        assert r["distance_m"] == pytest.approx(lookup[(code, r["home_id"])], abs=0.06)
    assert (a["distance_m"] <= load_policy().siting.travel_cap_m).all()
