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
    app.switch_page("app_pages/map.py").run()
    app.switch_page("app_pages/funding.py").run()
    assert next(n for n in app.number_input if "预算" in n.label).value == 8_000_000
    assert {m.label: m.value for m in app.metric}["合计（元）"] == "8,000,000"
    app.switch_page("app_pages/siting.py").run()
    app.radio(key="siting_solver").set_value("highs").run()
    app.switch_page("app_pages/map.py").run()
    app.switch_page("app_pages/siting.py").run()
    assert app.radio(key="siting_solver").value == "highs"


def _upload_script():
    import streamlit as st

    from childplan import ui
    from geo.report import DataError

    bad = ("village_code,name,township_code,resident_children,lon,lat\n"
           "X1,甲,,abc,999,999\nX1,乙,,-5,,\n").encode()
    try:
        got = ui.load_uploaded([("villages", "bad.csv", bad, "wgs84")], "500109")
        st.session_state["check_ok"] = bool(got.report.ok)
    except DataError:
        st.session_state["check_ok"] = False
    st.session_state["villages_in_use"] = len(ui.current_county().villages)
    st.session_state["title_in_use"] = ui.current_county().name


def test_bad_upload_leaves_the_data_in_use_untouched(monkeypatch):
    from geo.layers import load_demo

    monkeypatch.chdir(REPO)
    at = AppTest.from_function(_upload_script, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    demo = load_demo("500109")
    assert at.session_state["check_ok"] is False
    assert "uploaded_spec" not in at.session_state  # nothing switched
    assert at.session_state["villages_in_use"] == len(demo.villages)
    assert at.session_state["title_in_use"] == demo.name


def test_mean_distance_has_one_child_weighted_definition():
    import pandas as pd

    from childplan.workflows import child_weighted_mean_distance, key_figures, run_siting
    from geo.layers import load_demo
    from optimization.policy import load_policy

    # hand-checked: (10 x 100 + 30 x 500) / 40 = 400 m (the plain mean would be 300 m);
    # the uncovered village (home_id "") counts in neither
    a = pd.DataFrame({"village_code": ["a", "b", "c"], "home_id": ["h", "h", ""],
                      "resident_children": [10.0, 30.0, 99.0],
                      "distance_m": [100.0, 500.0, float("nan")]})
    assert child_weighted_mean_distance(a) == pytest.approx(400.0)
    data = load_demo("500109")
    res = run_siting(data, load_policy())
    fig = key_figures(data, homes=res.homes, assignments=res.assignments)
    # the comparison's figure is the siting page's figure (the model's own statistic)
    assert fig["mean_distance_m"] == pytest.approx(res.plan.mean_distance_m, abs=0.05)


def test_comparison_shares_class_breaks_and_lists_differing_parameters(app):
    from childplan.workflows import shared_class_edges
    from optimization.policy import load_policy

    # pooled [0, 10, 20, 30]: quintile edges by linear interpolation, worked by hand
    assert shared_class_edges([0, 10], [20, 30]) == pytest.approx((0, 6, 12, 18, 24, 30))
    app.switch_page("app_pages/funding.py").run()
    _save(app, "基准")
    app.switch_page("app_pages/funding.py").run()
    app.slider[0].set_value(2.0).run()
    _save(app, "加大倾斜")
    app.run()
    app.selectbox(key="cmp_baseline").set_value("基准").run()
    assert not errors(app)
    params = next(d.value for d in app.dataframe if "参数" in d.value.columns)
    # the parameter in words (its meaning from the policy file), not its key
    assert "funding.tilt_scale" not in set(params["参数"])
    row = params.set_index("参数").loc[load_policy().params["funding.tilt_scale"].zh]
    assert float(row["基准"]) == 1.0 and float(row["方案取值"]) == 2.0  # policy file: 1.0
    assert row["基准来源"] == "政策文件默认" and row["方案来源"] == "方案调整"
    assert any("加大倾斜 − 基准" in d.value.columns for d in app.dataframe)


def test_sidebar_names_the_plan_in_the_same_run(app):
    """Saving names the plan at once; a change made inside a page makes it 未保存的方案 at once.

    (The sidebar used to be written before the page ran, so it lagged one run behind.)
    """
    def sidebar_plan():
        return [c.value for c in app.sidebar.caption if c.value.startswith("当前方案：")]

    _save(app, "基准")
    assert sidebar_plan() == ["当前方案：基准"]  # the save's own run
    app.switch_page("app_pages/funding.py").run()
    assert sidebar_plan() == ["当前方案：基准"]
    app.slider[0].set_value(2.0).run()  # an override made on the page
    assert sidebar_plan() == ["当前方案：未保存的方案"]
