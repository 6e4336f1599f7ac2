"""``childplan scenario save NAME`` then ``childplan brief --scenario NAME`` (issue 13).

The briefing of a saved scenario must show exactly that plan: every figure of its homes and
staff boxes equals a fresh solve with the same overrides (worked out here from the solved
tables, not read from the briefing code), and differs from the base policy's, so a briefing
that solved again under another policy would fail.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from childplan.cli import main

THRESHOLD = 40  # siting.own_home_threshold in the scenario (policy file: 100)


def _text(pdf) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def _flat(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _wan(yuan: float) -> str:
    """万元 with one decimal, a whole number without its ".0" (the briefing's form)."""
    text = f"{yuan / 1e4:,.1f}"
    return text[:-2] if text.endswith(".0") else text


def _box_values(homes, assignments, totals, villages, thr):
    """The homes and staff boxes' values, each computed from the solved tables by hand."""
    c = homes["status"].value_counts()
    served = assignments[assignments["home_id"].notna()
                         & (assignments["home_id"].astype(str) != "")]
    w = served["resident_children"].astype(float).to_numpy()
    d = served["distance_m"].astype(float).to_numpy()
    mean = sum(wi * di for wi, di in zip(w, d, strict=True)) / sum(w)
    s = totals.set_index("position")
    return {
        "existing": str(int(c.get("existing", 0))), "reuse": str(int(c.get("reuse", 0))),
        "new": str(int(c.get("new", 0))),
        "big": str(int((villages["resident_children"] >= thr).sum())),
        "covered": f"{100 * assignments['home_id'].fillna('').ne('').mean():.1f}%",
        "mean": f"{mean:,.0f}",
        "cost": _wan(homes['cost_yuan'].sum()),
        "dir_required": str(int(s.loc["director", "required"])),
        "dir_to_recruit": str(int(s.loc["director", "to_recruit"])),
    }


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A store with scenario 门槛40 (threshold 40) saved by the CLI, and its overrides file."""
    tmp = tmp_path_factory.mktemp("scn")
    over = tmp / "over.toml"
    over.write_text(f"[siting]\nown_home_threshold = {THRESHOLD}\n", encoding="utf-8")
    store = tmp / "store.gpkg"
    assert main(["scenario", "save", "门槛40", "--overrides", str(over), "--store", str(store),
                 "--note", "测试"]) == 0
    return tmp, store, over


def test_save_then_brief_shows_a_fresh_solve_with_the_same_overrides(saved, capsys):
    from childplan.workflows import run_funding, run_siting, run_staffing, township_units
    from geo.layers import load_demo
    from optimization.policy import load_policy

    tmp, store, over = saved
    out = tmp / "brief"
    assert main(["brief", "--scenario", "门槛40", "--store", str(store), "--out", str(out),
                 "--org", "北碚区民政局"]) == 0
    pdf = out / "briefing_500109_门槛40.pdf"  # the file names the scenario
    text = _text(pdf)
    assert "方案：门槛40" in _flat(text) and "编制单位：北碚区民政局" in _flat(text)

    data = load_demo("500109")
    policy = load_policy(overrides=over)
    fresh = run_siting(data, policy)
    staffing = run_staffing(data, policy)
    want = _box_values(fresh.homes, fresh.assignments, staffing.totals, data.villages,
                       THRESHOLD)
    base = run_siting(data, load_policy())
    base_want = _box_values(base.homes, base.assignments, staffing.totals, data.villages, 100)
    assert want["new"] != base_want["new"] or want["cost"] != base_want["cost"]

    homes_box = [("已有儿童之家", "existing"), ("利用现有设施改建", "reuse"), ("新建", "new"),
                 (f"{THRESHOLD} 人以上村（应单独设立）", "big"), ("村覆盖率", "covered"),
                 ("按儿童加权的平均距离（米）", "mean"), ("建设改造费用", "cost"),
                 ("儿童主任 应配", "dir_required"), ("儿童主任 缺口", "dir_to_recruit")]
    for label, k in homes_box:  # "label   value" in the page's layout text
        m = re.search(re.escape(label).replace(r"\ ", r"\s+") + r"\s+(\S+)", text)
        assert m, label
        assert m.group(1) == want[k], (label, m.group(1), want[k])
    # the funding split: the same allocation as a fresh one on the fresh plans
    units = township_units(data, policy, homes=fresh.homes, staffing=staffing)
    total = run_funding(units, 5_000_000, policy).table["amount"].sum()
    assert f"经费分配（合计 {_wan(total)} 万元）" in text


def test_scenario_list_names_the_saved_plan_and_its_stored_plan(saved, capsys):
    from childplan.plan import plan_of_tables, policy_digest
    from childplan.store import Store

    _, store, _ = saved
    assert main(["scenario", "list", "--store", str(store)]) == 0
    assert "门槛40" in capsys.readouterr().out
    with Store(store) as st:
        sc = st.load("门槛40")
    plan = plan_of_tables(sc.tables, name=sc.name)
    assert sc.overrides == {"siting.own_home_threshold": THRESHOLD} == plan.overrides
    assert set(plan.results) == {"siting", "staffing", "funding"}
    assert all(r.policy == policy_digest(plan.overrides) and r.data == plan.data.digest
               for r in plan.results.values())
    assert plan.data.source == "demo:500109" and plan.widgets["funding_budget"] == 5_000_000
    assert {"homes", "assignments", "staffing_totals", "funding", "townships"} <= set(sc.tables)


@pytest.mark.parametrize("extra", [[], ["--store", "{tmp}/none.gpkg"]])
def test_unknown_scenario_exits_1_with_a_bilingual_message(saved, capsys, extra):
    tmp, store, _ = saved
    args = ["brief", "--scenario", "没有这个", "--out", str(tmp / "x")]
    args += [a.format(tmp=tmp) for a in extra] or ["--store", str(store)]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "没有这个" in out and re.search(r"[\u4e00-\u9fff]", out) and "no scenario" in out
    assert "Traceback" not in out and not (tmp / "x").exists()


def test_brief_refuses_other_data_or_a_second_policy(saved, capsys):
    from geo.layers import demo_sources

    tmp, store, over = saved
    other = [f"{k}={v}" for k, v in demo_sources("350821").items()]
    assert main(["brief", "--scenario", "门槛40", "--store", str(store), "--out",
                 str(tmp / "y"), *other]) == 1
    out = capsys.readouterr().out
    assert "数据与方案" in out and "the data differ" in out
    assert main(["brief", "--scenario", "门槛40", "--store", str(store), "--out",
                 str(tmp / "y"), "--overrides", str(over)]) == 1
    assert "--overrides" in capsys.readouterr().out


def test_save_without_a_name_is_a_usage_error(tmp_path, capsys):
    assert main(["scenario", "save", "--store", str(tmp_path / "s.gpkg")]) == 2
    assert "give the scenario a name" in capsys.readouterr().out


def test_brief_of_a_saved_scenario_prints_title_org_date_and_its_assumptions(tmp_path):
    """What tests/test_briefing.py's CLI case checked with ``--scenario`` as a mere label."""
    over = tmp_path / "over.toml"
    over.write_text("[siting]\ntravel_cap_m = 2500\n", encoding="utf-8")
    store = str(tmp_path / "s.gpkg")
    assert main(["scenario", "save", "步行2.5公里", "--overrides", str(over), "--store",
                 store]) == 0
    assert main(["brief", "--out", str(tmp_path), "--title", "北碚区关爱服务工作简报（第3期）",
                 "--org", "北碚区民政局", "--date", "2026-11-30", "--scenario", "步行2.5公里",
                 "--store", store]) == 0
    text = _flat(_text(tmp_path / "briefing_500109_步行2.5公里.pdf"))
    for s in ("北碚区关爱服务工作简报（第3期）", "编制单位：北碚区民政局", "2026-11-30",
              "方案：步行2.5公里", "3000→2500m"):
        assert s in text, s


def test_brief_with_changed_policy_but_no_scenario_says_unsaved(saved):
    tmp, _, over = saved
    out = tmp / "unsaved"
    assert main(["brief", "--overrides", str(over), "--out", str(out)]) == 0
    text = _flat(_text(out / "briefing_500109.pdf"))
    assert "方案：未保存的方案" in text and "基准方案" not in text
