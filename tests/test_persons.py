"""Person lists -> village counts: hand-worked totals, dedup, matching, no personal data out."""

from datetime import date

import pandas as pd
import pytest

from geo.persons import aggregate_persons, id_problem, project_years, suppress_small

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(birth: str, seq: str) -> str:
    # check digit written from the standard (ISO 7064 MOD 11-2), independently of geo.pii
    body = "500109" + birth.replace("-", "") + seq
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _W, strict=True)) % 11]


VILLAGES = pd.DataFrame({
    "village_code": ["500109001001", "500109001002", "500109002001"],
    "name": ["甲村", "乙村", "甲村"],
    "township_code": ["500109001", "500109001", "500109002"],
})
K1 = make_id("2015-03-08", "011")
K2 = make_id("2020-06-01", "022")
K3_GOOD = make_id("2010-01-02", "033")
K3_BAD = K3_GOOD[:-1] + ("0" if K3_GOOD[-1] != "0" else "1")
K4 = make_id("2008-05-05", "044")
K5 = make_id("2012-02-02", "055")
LIST1 = ("全国儿童福利信息系统导出\n"
         "姓名,公民身份号码,性别,出生日期,户籍或居住的村（社区）,类别,重点关注,监护人电话\n"
         f"王小明,{K1},男,2015-03-08,乙村,留守儿童,是,13912345678\n"
         f"李小红,{K2},女,2020-06-01,乙村,留守儿童,否,13912345679\n"
         f"赵小刚,{K3_BAD},男,2010-01-02,乙村,留守儿童,否,\n"
         f"钱小芳,{K5},女,2012-02-02,丙村,留守儿童,否,\n"
         f"孙小军,{K5},男,2012-02-02,甲村,留守儿童,否,\n")
LIST2 = ("姓名,公民身份号码,出生日期,乡镇（街道）,户籍或居住的村（社区）,类别,困境类型\n"
         f"王小明,{K1},2015-03-08,500109001,乙村,困境儿童,孤儿\n"
         f"周小丽,{K4},2008-05-05,500109002,甲村,困境儿童,重病儿童\n")
NAMES = ("王小明", "李小红", "赵小刚", "钱小芳", "孙小军", "周小丽", "13912345678")
FILES = [("list1.csv", LIST1.encode()), ("list2.csv", LIST2.encode())]


def test_id_check_digit_and_birth():
    assert id_problem(K1, date(2015, 3, 8)) is None
    assert id_problem(K3_BAD, None) == "check_digit"
    assert id_problem(K1, date(2015, 3, 9)) == "birth_mismatch"
    assert id_problem(K1[:17], None) == "length"


def test_village_totals_by_hand():
    pc = aggregate_persons(FILES, VILLAGES, as_of=date(2025, 1, 1))
    c = pc.counts.set_index("village_code")
    assert sorted(c.index) == ["500109001002", "500109002001"]
    b = c.loc["500109001002"]
    # K1 (list1+list2, once), K2, K3 (bad check digit: counted, not deduplicated)
    assert b.target_children == 3 and b.left_behind == 3
    assert b.in_difficulty == 1 and b.orphan == 1 and b.key_attention == 1
    assert (b.age_0_5, b.age_6_11, b.age_12_17) == (1, 1, 1)  # ages 4, 9, 14
    cc = c.loc["500109002001"]   # 甲村 of township 002 chosen by the 乡镇 column
    assert cc.target_children == 1 and cc.illness_disability == 1 and cc.left_behind == 0
    assert cc.age_12_17 == 1
    codes = pc.report.codes()
    assert codes.count("bad_id_number") == 1
    assert codes.count("village_unmatched") == 1   # 丙村
    assert codes.count("village_ambiguous") == 1   # 甲村 without township: two villages
    assert "duplicates_merged" in codes
    bad = [p for p in pc.report.problems if p.code == "bad_id_number"][0]
    assert bad.row == 5 and bad.file == "list1.csv"   # title line 1, header 2, data from 3


def test_projection_by_hand():
    pc = aggregate_persons(FILES, VILLAGES, as_of=date(2025, 1, 1))
    p = project_years(pc, [2025, 2026, 2027]).set_index(["village_code", "year"])
    # 乙村 cohorts 2010, 2015, 2020; entries = cohorts 2019..2024 / 6 = 1/6 per year
    assert p.loc[("500109001002", 2025), "children"] == 3
    assert p.loc[("500109001002", 2027), "children"] == pytest.approx(3 + 2 / 6, abs=0.01)
    # 周 born 2008 is 17 on 1 Jan 2026 and 18 on 1 Jan 2027: ages out
    assert p.loc[("500109002001", 2026), "children"] == 1
    assert p.loc[("500109002001", 2027), "children"] == 0
    r = project_years(pc, [2027], entry_rate=0.5).set_index(["village_code", "year"])
    assert r.loc[("500109001002", 2027), "children"] == pytest.approx(3 + 2 * 1.5)


def test_suppression():
    f = pd.DataFrame({"village_code": ["a", "b", "c"], "left_behind": [0, 2, 3]})
    assert suppress_small(f, 3, ["left_behind"]).left_behind.tolist() == [0, "<3", 3]


def test_nothing_personal_leaves(tmp_path, capsys, caplog):
    pc = aggregate_persons(FILES, VILLAGES, as_of=date(2025, 1, 1))
    out = tmp_path / "village_counts.csv"
    pc.counts.to_csv(out, index=False)
    texts = [out.read_text(), pc.report.render("both"), pc.report.to_frame().to_csv(),
             repr(pc), capsys.readouterr().out, caplog.text]
    for t in texts:
        for secret in (*NAMES, K1, K2, K3_BAD, K4, K5, K1[:17]):
            assert secret not in t
    assert set(pc.sources) == {"list1.csv", "list2.csv"} and len(pc.sources["list1.csv"]) == 64
