"""The 分年度计划 page headless (Streamlit AppTest): renders in both languages, solves."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("CHILDPLAN_STORE", str(tmp_path / "store.gpkg"))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception
    return at


def _n(col):
    """A page column as numbers (the page shows 千分位: "200,000")."""
    import pandas as pd

    return pd.to_numeric(col.astype(str).str.replace(",", "", regex=False))


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_phased_page_renders_in_english(app):
    app.radio(key="lang_radio").set_value("English").run()
    app.switch_page("app_pages/phased.py").run()
    assert not app.exception
    assert not _cjk(app.title[0].value.replace("北碚区", ""))
    assert "Plan by year" in app.title[0].value


def test_phased_page_solves_three_years(app):
    app.switch_page("app_pages/phased.py").run()
    assert not app.exception
    app.number_input(key="phased_budget").set_value(200000).run()
    app.radio(key="phased_solver").set_value("highs").run()
    app.button[0].click().run()
    assert not app.exception, [str(e.value)[:300] for e in app.exception]
    years = app.dataframe[0].value
    assert list(years["年度"]) == [2025, 2026, 2027]
    assert (_n(years["当年支出（元）"]) <= 200000).all()
    assert years["年度预算（元）"].tolist() == ["200,000"] * 3  # 千分位 on the page
    # the status in words (a caption now: the metric box cut it to 已找到…)
    assert any(c.value == "求解状态：已找到最优方案（已证明）" for c in app.caption)
    homes = app.dataframe[1].value
    assert set(homes["开放年度"]) <= {2025, 2026, 2027}
    assert "儿童之家编号" not in homes.columns  # no ids on screen (the download keeps them)


def test_phased_plan_is_saved_and_compared_as_scenarios_are(app):
    """One plan object across years: a scenario saves the phased plan's tables and figures, and
    the comparison shows them year by year, labelled in words."""
    from childplan.store import Store

    def solve(budget):
        app.switch_page("app_pages/phased.py").run()
        app.number_input(key="phased_budget").set_value(budget).run()
        app.radio(key="phased_solver").set_value("highs").run()
        app.button[0].click().run()
        assert not app.exception, [str(e.value)[:300] for e in app.exception]
        return app.dataframe[0].value, len(app.dataframe[1].value)  # by year; openings

    def save(name):
        app.switch_page("app_pages/scenarios.py").run()
        app.text_input[0].input(name)
        app.button[0].click().run()
        assert not app.exception, [str(e.value)[:300] for e in app.exception]

    years_a, openings_a = solve(200000)
    save("分年A")
    years_b, _ = solve(400000)
    save("分年B")
    with Store() as st_:
        a = st_.load("分年A")
    # the saved figures are the page's own table: spending summed, the last year's coverage
    assert a.figures["phased_spent_yuan"] == pytest.approx(float(_n(years_a["当年支出（元）"]).sum()))
    assert a.figures["phased_final_coverage_pct"] == pytest.approx(
        float(_n(years_a["儿童覆盖率（%）"]).iloc[-1]), abs=0.005)
    for y, pct in zip(years_a["年度"], _n(years_a["儿童覆盖率（%）"]), strict=True):
        assert a.figures[f"phased_coverage_pct@{y}"] == pytest.approx(float(pct), abs=0.005)
    assert set(a.tables["phased_years"]["year"]) == {2025, 2026, 2027}
    assert len(a.tables["phased_homes"]) == openings_a  # the page's openings table

    app.switch_page("app_pages/scenarios.py").run()
    app.multiselect[0].set_value(["分年A", "分年B"]).run()
    app.selectbox(key="cmp_baseline").set_value("分年A").run()
    assert not app.exception
    figs = next(d.value for d in app.dataframe if "2026年儿童覆盖率（%）" in set(d.value.iloc[:, 0]))
    row = figs.set_index(figs.columns[0]).loc["分年度计划：投入合计（元）"]
    spent_a = float(_n(years_a["当年支出（元）"]).sum())
    spent_b = float(_n(years_b["当年支出（元）"]).sum())
    assert spent_b > spent_a  # twice the yearly budget opens more
    assert row["分年B − 分年A"] == f"{spent_b - spent_a:,.0f}"  # 千分位, whole yuan


def test_year_view_matches_the_models_year_table():
    """The map's year view (workflows) against the year table the model wrote (optimization):
    homes open, villages and children covered, year by year; and the map draws that year."""
    from childplan.workflows_phased import run_phased, year_view
    from geo.layers import load_demo
    from geo.maps_plans import build_siting_map
    from optimization.policy import load_policy

    data = load_demo("500109")
    res = run_phased(data, load_policy(), [2025, 2026, 2027], [200000], solver="highs")
    opened = res.homes["open_year"].astype(int)
    for row in res.by_year.itertuples(index=False):
        homes, assign = year_view(data, res, int(row.year))
        assert len(homes) == int(row.homes_open) == int((opened <= row.year).sum())
        served = assign["home_id"] != ""
        assert int(served.sum()) == int(row.villages_covered)
        assert float(assign.loc[served, "resident_children"].sum()) == pytest.approx(
            float(row.children_covered))
        assert set(assign.loc[served, "home_id"]) <= set(homes["home_id"])  # open by then
        assert float(homes["children_served"].sum()) == pytest.approx(float(row.children_covered))
        html = build_siting_map(data, homes, assign).get_root().render()
        assert html.count("children_home") == 0  # kinds in words on the map, not codes
    with pytest.raises(ValueError):
        year_view(data, res, 2031)


def test_map_page_year_selector_shows_that_year_and_holds_the_exports(app):
    """After a phased solve the map page offers its years; a year shows that year's homes,
    says so, and holds the snapshot and briefing (they use today's data only)."""
    from geo.layers import load_demo

    app.switch_page("app_pages/phased.py").run()
    app.number_input(key="phased_budget").set_value(200000).run()
    app.radio(key="phased_solver").set_value("highs").run()
    app.button[0].click().run()
    app.switch_page("app_pages/map.py").run()
    assert not app.exception, [str(e.value)[:300] for e in app.exception]
    year = app.selectbox(key="map_year")
    assert year.options == ["现状（当前数据）", "2025年（分年度计划）", "2026年（分年度计划）",
                            "2027年（分年度计划）"]
    year.set_value(2025).run()
    assert not app.exception, [str(e.value)[:300] for e in app.exception]
    assert any("2025 年的儿童数" in i.value for i in app.info)
    assert next(b for b in app.button if b.key == "brief").disabled
    table = next(d.value for d in app.dataframe if "常住儿童" in "".join(d.value.columns))
    col = next(c for c in table.columns if "常住儿童" in c)
    # no person lists: that year's counts are the loaded ones
    assert int(table[col].sum()) == int(load_demo("500109").villages["resident_children"].sum())
    app.selectbox(key="map_year").set_value("now").run()
    assert not next(b for b in app.button if b.key == "brief").disabled
