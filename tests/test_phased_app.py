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
    assert (years["当年支出（元）"] <= 200000).all()
    # the status in words (a caption now: the metric box cut it to 已找到…)
    assert any(c.value == "求解状态：已找到最优方案（已证明）" for c in app.caption)
    homes = app.dataframe[1].value
    assert set(homes["开放年度"]) <= {2025, 2026, 2027}
