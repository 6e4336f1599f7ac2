"""The map page headless (AppTest): search a village → found, table filtered; view kept."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from geo.layers import load_demo
from tests.conftest import REPO

pytestmark = pytest.mark.slow  # the app headless (AppTest): about 3 s each

DEMO = load_demo("500109")


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("CHILDPLAN_STORE", str(tmp_path / "store.gpkg"))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception
    return at


def test_search_by_code_zooms_to_the_village_and_filters_the_table(app):
    row = DEMO.villages.iloc[5]
    code, name = str(row["village_code"]), str(row["name"])
    app.text_input(key="map_search").set_value(code).run()
    assert not app.exception
    view = app.session_state["map_view_500109_"]  # the demo county, nothing uploaded
    assert view["zoom"] == 15
    assert view["center"] == pytest.approx([row.geometry.y, row.geometry.x])
    caps = " ".join(c.value for c in app.caption)
    assert name in caps and code in caps
    table = app.dataframe[0].value
    assert table["村代码"].tolist() == [code]
    assert table["常住儿童"].tolist() == [int(row["resident_children"])]


def test_search_by_name_part_offers_each_match(app):
    part = "村"
    want = [c for c, n in zip(DEMO.villages["village_code"], DEMO.villages["name"], strict=True)
            if part in n]
    f = DEMO.facilities
    fac = f[f["name"].str.contains(part, regex=False)]  # facilities are found too
    rows = set(want) | set(fac["village_code"].dropna())
    app.text_input(key="map_search").set_value(part).run()
    assert not app.exception
    pick = app.selectbox(key=f"map_pick_{part}")
    assert list(pick.options) and len(pick.options) == len(want) + len(fac)
    assert set(app.dataframe[0].value["村代码"]) == rows


def test_search_finds_a_facility_by_name_and_zooms_to_it(app):
    f = DEMO.facilities
    home = f[f["name"] == "北碚区儿童福利院"].iloc[0]
    app.text_input(key="map_search").set_value("儿童福利院").run()
    assert not app.exception
    assert len(f[f["name"].str.contains("儿童福利院")]) == 1  # one hit: no pick list
    view = app.session_state["map_view_500109_"]
    assert view["zoom"] == 15
    assert view["center"] == pytest.approx([home.geometry.y, home.geometry.x])
    caps = " ".join(c.value for c in app.caption)
    assert "已定位：北碚区儿童福利院（儿童福利机构）" in caps, caps


def test_no_match_says_so(app):
    app.text_input(key="map_search").set_value("不存在的村名").run()
    assert not app.exception
    assert any("不存在的村名" in i.value for i in app.info)
    assert len(app.dataframe[0].value) == 0


def test_with_a_siting_plan_the_village_panel_gets_the_homes_and_reaches(app, monkeypatch):
    from childplan.workflows import run_siting
    from geo import maps
    from optimization.policy import load_policy

    seen = []
    real = maps.build_county_map

    def spy(*args, **kwargs):
        seen.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(maps, "build_county_map", spy)  # the page imports it on each run
    app.switch_page("app_pages/map.py").run()
    assert not app.exception
    assert "homes" not in seen[-1]  # no plan yet
    assert seen[-1]["near_m"] == load_policy().hazards.buffer_m  # 500 m (planning default)
    app.switch_page("app_pages/siting.py").run()
    app.button[0].click().run()
    assert not app.exception
    app.switch_page("app_pages/map.py").run()
    assert not app.exception
    want = run_siting(DEMO, load_policy())
    kw = seen[-1]
    assert len(kw["homes"]) == len(want["homes"])
    assert sorted(kw["assignments"]["village_code"]) == sorted(DEMO.villages["village_code"])
    assert len(kw["reaches"]) == load_policy().hazards.danger_spots_top_n  # one per spot
