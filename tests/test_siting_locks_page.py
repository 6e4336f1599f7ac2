"""The siting page's locks are picked by name (issue 17: the lock table wanted 12-digit codes
typed by hand), and before the first solve the page shows the county map (it showed nothing).

AppTest: a lock kept in the session is shown as labels, read back to ids, handed to the model,
and the plan serves the village from that site (checked against the workflow's own answer).
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from geo.layers import load_demo
from optimization.policy import load_policy
from tests.conftest import REPO

pytestmark = pytest.mark.slow  # the app headless, one demo solve

DATA = load_demo("500109")


def _lock():
    """A small village and a host site in that same village that the base plan does not use
    for it (so the lock changes the plan)."""
    from childplan.workflows import run_siting

    pol = load_policy()
    base = run_siting(DATA, pol)
    served = dict(zip(base.assignments["village_code"].astype(str),
                      base.assignments["home_id"].astype(str), strict=True))
    hosts = DATA.facilities[DATA.facilities["kind"].isin(pol.siting.host_kinds)]
    small = DATA.villages[DATA.villages["resident_children"] < 100]
    for code in small["village_code"].astype(str):
        for fid in hosts.loc[hosts["village_code"].astype(str) == code, "facility_id"].astype(str):
            if served.get(code) != fid:
                return code, fid
    raise AssertionError("no lockable pair in the demo")


def test_lock_labels_are_unique_and_show_no_site_id():
    from childplan.ui import lock_labels

    pol = load_policy()
    hosts = DATA.facilities[DATA.facilities["kind"].isin(pol.siting.host_kinds)]
    for lang in ("zh", "en"):
        vlabel, slabel = lock_labels(DATA, hosts, lang)
        assert len(set(vlabel.values())) == len(vlabel) == len(DATA.villages)
        assert len(set(slabel.values())) == len(slabel) == len(hosts)
        assert not any(fid in label for fid, label in slabel.items())
    row = DATA.villages.iloc[0]
    assert lock_labels(DATA, hosts, "zh")[0][str(row["village_code"])] == (
        f"{row['name']}（{row['village_code']}）")


def test_a_lock_picked_by_name_reaches_the_model_and_the_plan(tmp_path, monkeypatch):
    from childplan.workflows import run_siting

    monkeypatch.setenv("CHILDPLAN_STORE", str(tmp_path / "store.gpkg"))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=240)
    at.run()
    at.switch_page("app_pages/siting.py").run()
    assert not at.exception
    # before any solve: the hint and the county map's caption
    assert any("尚未求解" in c.value for c in at.caption)
    code, fid = _lock()
    at.session_state["_kept_siting_locked"] = {code: fid}
    at.run()
    at.button[0].click().run()  # 求解选址方案
    assert not at.exception
    done = at.session_state["siting_done"]
    assert json.loads(done[3])["locked"] == {code: fid}  # the labels read back to the ids
    res = run_siting(DATA, load_policy(), locked={code: fid})
    served = dict(zip(res.assignments["village_code"].astype(str),
                      res.assignments["home_id"].astype(str), strict=True))
    assert served[code] == fid


@pytest.mark.parametrize("lang", ["中文", "English"])
def test_the_accessibility_tables_on_screen_hold_words_not_codes(tmp_path, monkeypatch, lang):
    """With 可达性 shown, the catchment and institution tables carry names, kinds and yes/no
    in words and headers of the page's language: no snake_case header, no facility id."""
    import re

    monkeypatch.setenv("CHILDPLAN_STORE", str(tmp_path / "store.gpkg"))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=240)
    at.run()
    at.radio(key="lang_radio").set_value(lang).run()
    at.switch_page("app_pages/siting.py").run()
    at.button[0].click().run()
    from geo.i18n import t

    label = t("show_access", "zh" if lang == "中文" else "en")
    next(c for c in at.checkbox if c.label == label).check().run()
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    ids = set(DATA.facilities["facility_id"].astype(str))
    snake = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")
    assert len(frames) >= 5  # locks, homes, access shares, catchments, institutions
    for f in frames:
        assert not [c for c in f.columns if snake.match(str(c))], list(f.columns)
        cells = {str(x) for x in f.astype(str).to_numpy().ravel()}
        assert not cells & ids
        assert not [x for x in cells if snake.match(x)], sorted(x for x in cells if snake.match(x))[:5]
