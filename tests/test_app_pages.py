"""Every page runs headless (Streamlit's AppTest) in both languages; solves and saves work.

These are fast checks of the page scripts; tests/e2e drives the real app in Chromium.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from childplan.store import Store
from tests.conftest import REPO

PAGES = ["app_pages/map.py", "app_pages/siting.py", "app_pages/staffing.py", "app_pages/funding.py",
         "app_pages/scenarios.py", "app_pages/data.py"]


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("CHILDPLAN_STORE", str(tmp_path / "store.gpkg"))
    monkeypatch.chdir(REPO)  # page paths in app.py are relative to the repository
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception
    return at


def errors(at):
    return [str(e.value)[:500] for e in at.exception]


@pytest.mark.parametrize("lang", ["中文", "English"])
def test_every_page_renders(app, lang):
    app.radio(key="lang_radio").set_value(lang).run()
    for page in PAGES:
        app.switch_page(page).run()
        assert not errors(app), (page, errors(app))
        title = app.title[0].value
        assert "北碚区" in title
        if lang == "English":
            assert not any("\u4e00" <= ch <= "\u9fff" for ch in title.replace("北碚区", "")), title


def test_staffing_solve_then_funding_earmarks(app):
    app.switch_page("app_pages/staffing.py").run()
    app.button[0].click().run()
    assert not errors(app)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["儿童主任（需/配）"] == "313 / 313"  # demand by 003 §16 on the demo county
    app.switch_page("app_pages/funding.py").run()
    total = {m.label: m.value for m in app.metric}["合计（元）"]
    assert total == "5,000,000"
    box = next(c for c in app.checkbox if "儿童主任补助" in c.label)
    assert not box.disabled
    box.check().run()
    earmarked = {m.label: m.value for m in app.metric}["专项（元）"]
    assert earmarked == f"{313 * 2400:,}"  # every required director post x the subsidy


def test_save_two_scenarios_and_compare(app, tmp_path):
    app.switch_page("app_pages/funding.py").run()
    app.switch_page("app_pages/scenarios.py").run()
    app.text_input[0].input("基准")
    app.button[0].click().run()  # a form: the name is sent with the submit
    assert not errors(app)
    app.switch_page("app_pages/funding.py").run()
    app.slider[0].set_value(2.0).run()  # stronger tilt
    app.switch_page("app_pages/scenarios.py").run()
    app.text_input[0].input("加大倾斜")
    app.button[0].click().run()
    assert not errors(app)
    with Store(tmp_path / "store.gpkg") as st:
        assert sorted(st.names()) == ["加大倾斜", "基准"]
        a, b = st.load("基准"), st.load("加大倾斜")
    assert a.overrides == {} and b.overrides == {"funding.tilt_scale": 2.0}
    assert a.figures["budget_yuan"] == b.figures["budget_yuan"] == 5_000_000
    assert (a.tables["funding"]["amount"] != b.tables["funding"]["amount"]).any()
    # the comparison table on the page shows both
    app.run()
    frames = [d.value for d in app.dataframe]
    comparison = next(f for f in frames if "加大倾斜 − 基准" in f.columns or
                      "基准 − 加大倾斜" in f.columns)
    assert len(comparison) >= 5


def test_siting_solve_and_its_cost_is_earmarked(app):
    from childplan.workflows import run_siting
    from geo.layers import load_demo
    from optimization.policy import load_policy

    app.switch_page("app_pages/siting.py").run()
    app.button[0].click().run()
    assert not errors(app)
    metrics = {m.label: m.value for m in app.metric}
    expected = run_siting(load_demo("500109"), load_policy())
    counts = expected["homes"]["status"].value_counts()
    assert metrics["已有"] == str(counts.get("existing", 0))
    assert metrics["改建"] == str(counts.get("reuse", 0))
    assert metrics["覆盖村比例"] == "100.0%"
    app.switch_page("app_pages/funding.py").run()
    next(c for c in app.checkbox if "建设改造费用" in c.label).check().run()
    earmarked = {m.label: m.value for m in app.metric}["专项（元）"]
    assert earmarked == f"{int(expected['plan'].total_cost_yuan):,}"
