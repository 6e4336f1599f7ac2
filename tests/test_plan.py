"""The plan in force (childplan/plan.py, issue 13): results never shown out of step.

AppTest cases; each failed on main before the plan object (checked by hand, see the report).
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from childplan.plan import Plan, Result, data_digest, plan_from_json, plan_to_json, policy_digest
from tests.conftest import REPO


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("CHILDPLAN_STORE", str(tmp_path / "store.gpkg"))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=240)
    at.run()
    assert not at.exception
    return at


def errors(at):
    return [str(e.value)[:500] for e in at.exception]


def _threshold(at):
    return next(n for n in at.number_input if "门槛" in n.label)


def _save(at, name):
    at.switch_page("app_pages/scenarios.py").run()
    at.text_input[0].input(name)
    at.button[0].click().run()
    assert not errors(at)


def _open(at, name):
    at.switch_page("app_pages/scenarios.py").run()
    at.selectbox[0].set_value(name).run()
    next(b for b in at.button if "打开" in b.label).click().run()
    assert not errors(at)


def test_digests_follow_content_not_identity():
    from geo.layers import load_demo

    a, b = load_demo("500109"), load_demo("500109")
    assert data_digest(a) == data_digest(b)
    c = load_demo("500109")
    c.villages.loc[c.villages.index[0], "resident_children"] += 1
    assert data_digest(c) != data_digest(a)
    assert policy_digest({"x": 1, "y": 2}) == policy_digest({"y": 2, "x": 1})
    assert policy_digest({}) != policy_digest({"siting.own_home_threshold": 60})


def test_plan_staleness_and_round_trip():
    r = Result(kind="siting", data="d1", policy=policy_digest({}), options={"solver": "cbc"})
    p = Plan(overrides={}, results={"siting": r}, name="基准", saved_policy=policy_digest({}))
    assert p.current("siting", "d1") is r and not p.stale("siting", "d1")
    assert p.stale("siting", "d2")  # other data
    changed = Plan(overrides={"a": 1}, results={"siting": r}, name="基准",
                   saved_policy=policy_digest({}))
    assert changed.stale("siting", "d1") and changed.current("siting", "d1") is None
    assert changed.display_name("未保存的方案") == "未保存的方案"
    assert p.display_name("未保存的方案") == "基准"
    back = plan_from_json(plan_to_json(p), name="基准")
    assert back.results["siting"].to_dict() == r.to_dict() and back.display_name("-") == "基准"


def test_open_b_then_baseline_briefs_the_baseline(app):
    """Open B, then the baseline: the briefing's siting is a fresh baseline solve."""
    from childplan import ui
    from childplan.workflows import run_siting
    from geo.layers import load_demo
    from optimization.policy import load_policy

    app.switch_page("app_pages/siting.py").run()
    next(b for b in app.button if "求解选址" in b.label).click().run()
    _save(app, "基准")
    app.switch_page("app_pages/siting.py").run()
    _threshold(app).set_value(40).run()
    next(b for b in app.button if "求解选址" in b.label).click().run()
    _save(app, "B")
    _open(app, "B")
    _open(app, "基准")
    assert app.session_state["policy_overrides"] == {}
    done = app.session_state["siting_done"]
    assert done[1] == "{}"  # the baseline's policy, not B's
    fresh = run_siting(load_demo("500109"), load_policy())
    got = ui.solve_siting(*done)
    assert sorted(got.homes["home_id"]) == sorted(fresh.homes["home_id"])
    assert got.plan.total_cost_yuan == pytest.approx(fresh.plan.total_cost_yuan)
    # the map page's briefing is on (nothing stale) and names the baseline
    app.switch_page("app_pages/map.py").run()
    assert not errors(app)
    assert not next(b for b in app.button if "简报" in b.label).disabled
    assert app.text_input(key="brief_scenario").value == "基准"


def test_changed_override_marks_siting_stale_and_disables_exports(app):
    app.switch_page("app_pages/siting.py").run()
    next(b for b in app.button if "求解选址" in b.label).click().run()
    assert not any("过期" in w.value for w in app.warning)
    _threshold(app).set_value(40).run()
    assert any("过期" in w.value for w in app.warning)
    snap = next(b for b in app.button if "快照" in b.label)
    assert snap.disabled
    downloads = app.get("download_button")
    assert downloads and all(d.proto.disabled for d in downloads)
    # the briefing on the map page is off too
    app.switch_page("app_pages/map.py").run()
    assert next(b for b in app.button if "简报" in b.label).disabled
    # one click solves it again: no longer stale
    app.switch_page("app_pages/siting.py").run()
    next(b for b in app.button if "重新求解" in b.label).click().run()
    assert not any("过期" in w.value for w in app.warning)
    assert not next(b for b in app.button if "快照" in b.label).disabled


def test_budget_and_solver_survive_a_page_change(app):
    app.switch_page("app_pages/funding.py").run()
    next(n for n in app.number_input if "预算" in n.label).set_value(8_000_000).run()
    app.switch_page("app_pages/siting.py").run()
    app.radio(key="siting_solver").set_value("highs").run()
    app.switch_page("app_pages/map.py").run()
    app.switch_page("app_pages/funding.py").run()
    assert next(n for n in app.number_input if "预算" in n.label).value == 8_000_000
    assert {m.label: m.value for m in app.metric}["合计（元）"] == "8,000,000"
    app.switch_page("app_pages/siting.py").run()
    assert app.radio(key="siting_solver").value == "highs"
