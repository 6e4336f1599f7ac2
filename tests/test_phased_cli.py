"""`childplan site --years … --budget-per-year …` and the phased workflow on the demo county."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from childplan.cli import main
from childplan.workflows_phased import yearly_counts
from geo.layers import load_demo
from geo.persons import aggregate_persons
from tests.test_persons import make_id

DEMO = load_demo("500109")
_V = DEMO.villages.sort_values("village_code").iloc[:2]
(C1, _), (C2, _) = zip(_V["village_code"].astype(str), _V["name"].astype(str), strict=True)
# C1: two children born 2007 (17 on 1 Jan 2025, 18 on 1 Jan 2026: they age out), one born
# 2015 and one 2020; C2: one child born 2016.
ROWS = [("张一", make_id("2007-06-01", "101"), "2007-06-01", C1),
        ("张二", make_id("2007-09-09", "102"), "2007-09-09", C1),
        ("张三", make_id("2015-03-08", "103"), "2015-03-08", C1),
        ("张四", make_id("2020-06-01", "104"), "2020-06-01", C1),
        ("张五", make_id("2016-07-07", "105"), "2016-07-07", C2)]


def _person_list(tmp_path):
    text = "姓名,公民身份号码,出生日期,户籍或居住的村（社区）,类别\n" + "".join(
        f"{n},{k},{b},{v},留守儿童\n" for n, k, b, v in ROWS)
    f = tmp_path / "名单.csv"
    f.write_text(text, encoding="utf-8")
    return f


def test_yearly_counts_follow_the_lists_projection(tmp_path):
    f = _person_list(tmp_path)
    pc = aggregate_persons([(f.name, f.read_bytes())], DEMO.villages, DEMO.townships,
                           as_of=date(2025, 1, 1))
    y = yearly_counts(DEMO, [2025, 2026, 2027], pc, entry_rate=0.0)
    base = DEMO.villages.set_index("village_code")
    got = y.set_index(["village_code", "year"])["resident_children"]
    # C1 listed: 4 in 2025, 2 in 2026 and 2027 (the two born in 2007 turn 18) -> factor 1/2
    r1 = float(base.loc[C1, "resident_children"])
    assert got[(C1, 2025)] == pytest.approx(r1)
    assert got[(C1, 2026)] == pytest.approx(round(r1 / 2, 2))
    assert got[(C1, 2027)] == pytest.approx(round(r1 / 2, 2))
    # C2: its one child stays (aged 8-10): factor 1; an unlisted village keeps its counts
    r2 = float(base.loc[C2, "resident_children"])
    assert got[(C2, 2027)] == pytest.approx(r2)
    other = base.index[5]
    assert got[(other, 2026)] == pytest.approx(float(base.loc[other, "resident_children"]))
    lb1 = float(base.loc[C1, "left_behind"])
    assert y.set_index(["village_code", "year"])["left_behind"][(C1, 2026)] == \
        pytest.approx(round(lb1 / 2, 2))


def test_site_years_writes_the_three_tables_in_chinese(tmp_path, capsys):
    f = _person_list(tmp_path)
    out = tmp_path / "out"
    budget = 200000
    assert main(["site", "--years", "2025", "2026", "2027", "--budget-per-year", str(budget),
                 "--persons", str(f), "--as-of", "2025-01-01", "--solver", "highs",
                 "--out", str(out)]) == 0
    years = pd.read_csv(out / "phased_years.csv", encoding="utf-8-sig")
    homes = pd.read_csv(out / "phased_homes.csv", encoding="utf-8-sig", dtype={"村代码": str})
    assert list(years["年度"]) == [2025, 2026, 2027]
    assert (years["当年支出（元）"] <= budget).all()
    # each year's spending is the cost of the homes opened that year
    spent = homes.groupby("开放年度")["费用（元）"].sum().reindex([2025, 2026, 2027]).fillna(0)
    assert spent.tolist() == years["当年支出（元）"].tolist()
    assert years["运行中的儿童之家"].is_monotonic_increasing
    assert (out / "phased_training.csv").exists()
    text = "".join(p.read_text(encoding="utf-8-sig") for p in out.iterdir())
    text += capsys.readouterr().out
    assert "status optimal" in text
    for name, key, _, _ in ROWS:
        assert name not in text and key not in text


def test_site_years_english_keeps_codes(tmp_path):
    out = tmp_path / "out"
    assert main(["site", "--years", "2025", "2026", "--budget-per-year", "100000", "300000",
                 "--carry-over", "--solver", "highs", "--lang", "en", "--out", str(out)]) == 0
    years = pd.read_csv(out / "phased_years.csv", encoding="utf-8-sig")
    assert list(years.columns[:4]) == ["year", "budget_yuan", "available_yuan", "spent_yuan"]
    assert years["budget_yuan"].tolist() == [100000, 300000]
    # carry-over: 2026 may spend what 2025 left
    assert years.loc[1, "available_yuan"] == 300000 + 100000 - years.loc[0, "spent_yuan"]
    assert years["spent_yuan"].cumsum().tolist() <= [100000, 400000]


@pytest.mark.parametrize(("argv", "code"), [
    (["--years", "2025", "2026"], 2),                                    # no budget
    (["--budget-per-year", "100000"], 2),                                # no years
    (["--years", "2025", "2026", "--budget-per-year", "1", "2", "3"], 2),  # 3 budgets, 2 years
    (["--years", "2026", "2025", "--budget-per-year", "1"], 2),          # not increasing
    (["--years", "2025", "--budget-per-year", "50万"], 1),               # a unit
])
def test_site_years_argument_errors(tmp_path, capsys, argv, code):
    assert main(["site", *argv, "--out", str(tmp_path / "o")]) == code
    text = capsys.readouterr().out
    assert "/" in text and "Traceback" not in text
    assert not (tmp_path / "o" / "phased_years.csv").exists()


@pytest.mark.parametrize("opt", [["--must-open", "F1"], ["--lock", "500109102001=F1"]])
def test_site_years_refuses_one_year_options(tmp_path, capsys, opt):
    assert main(["site", "--years", "2025", "--budget-per-year", "1", *opt,
                 "--out", str(tmp_path / "o")]) == 2
    assert "--years" in capsys.readouterr().out


def test_carry_over_follows_the_policy_unless_given(monkeypatch):
    # siting.budget_carry_over is a named, overridable policy parameter (planning default: no)
    import childplan.workflows_phased as wp
    from geo.layers import load_demo
    from optimization.policy import load_policy

    seen = []

    def spy(*a, **k):
        seen.append(k["carry_over"])
        raise RuntimeError("stop here")

    monkeypatch.setattr(wp, "build_phased_problem", spy)
    data = load_demo("500109")
    for policy, given in ((load_policy(), None),
                          (load_policy(overrides={"siting.budget_carry_over": True}), None),
                          (load_policy(overrides={"siting.budget_carry_over": True}), False)):
        with pytest.raises(RuntimeError):
            wp.run_phased(data, policy, [2025, 2026], [100_000, 100_000], carry_over=given)
    assert seen == [False, True, False]


def test_site_years_prints_chinese_first_then_english(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["site", "--years", "2025", "2026", "--budget-per-year", "100000", "300000",
                 "--solver", "highs", "--out", str(out)]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip()]
    years = pd.read_csv(out / "phased_years.csv", encoding="utf-8-sig")
    zh = [i for i, ln in enumerate(lines) if ln.startswith(("2025年：", "2026年："))]
    en = [i for i, ln in enumerate(lines) if ln.startswith(("2025: ", "2026: "))]
    assert len(zh) == len(en) == 2 and max(zh) < min(en)
    assert lines[0] == "未提供名单：各年度沿用村图层的儿童数"
    first = lines[zh[0]]
    # the figures of the written table, in the Chinese office's way (千分位, 元)
    assert f"预算 {100000:,} 元" in first and f"支出 {int(years.loc[0, '当年支出（元）']):,} 元" in first
    assert f"当年新开儿童之家 {int(years.loc[0, '当年新开儿童之家']):,} 处" in first
    assert any(ln.startswith("求解状态：已找到最优方案（已证明）") for ln in lines[:min(en)])


def test_county_in_year_carries_the_projection_to_the_map(tmp_path):
    """The map's year view: C1 halves in 2026 (two of its four listed children turn 18, worked
    by hand above), rounded to whole children; C2 and unlisted villages keep their counts."""
    from childplan.workflows_phased import county_in_year, run_phased
    from optimization.policy import load_policy

    f = _person_list(tmp_path)
    pc = aggregate_persons([(f.name, f.read_bytes())], DEMO.villages, DEMO.townships,
                           as_of=date(2025, 1, 1))
    res = run_phased(DEMO, load_policy(), [2025, 2026, 2027], [200000], persons=pc,
                     entry_rate=0.0, solver="highs")
    base = DEMO.villages.set_index("village_code")
    for year, factor in ((2025, 1.0), (2026, 0.5), (2027, 0.5)):
        v = county_in_year(DEMO, res, year).villages.set_index("village_code")
        for col in ("resident_children", "left_behind"):
            assert v.loc[C1, col] == round(float(base.loc[C1, col]) * factor)
            assert v.loc[C2, col] == float(base.loc[C2, col])
        assert len(v) == len(base) and (v.index == base.index).all()
    assert DEMO.villages.set_index("village_code").loc[C1, "resident_children"] == \
        base.loc[C1, "resident_children"]  # the loaded county is not changed
    with pytest.raises(ValueError):
        county_in_year(DEMO, res, 2030)
