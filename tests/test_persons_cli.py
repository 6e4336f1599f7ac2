"""`childplan import persons=…`: village counts written from person lists, nothing personal."""

import pandas as pd

from childplan.cli import main

# Two villages of the demo county 北碚区 (500109); names looked up from the embedded layer.
from geo.layers import load_demo
from tests.test_persons import K1, K2, K4, NAMES, make_id

_V = load_demo("500109").villages.sort_values("village_code").iloc[:2]
(C1, N1), (C2, N2) = zip(_V["village_code"].astype(str), _V["name"].astype(str), strict=True)
K6 = make_id("2016-07-07", "066")


def _list(tmp_path, extra=""):
    text = ("姓名,公民身份号码,出生日期,户籍或居住的村（社区）,类别,困境类型,重点关注\n"
            f"王小明,{K1},2015-03-08,{C1},留守儿童,,是\n"
            f"李小红,{K2},2020-06-01,{C1},困境儿童,孤儿,否\n"
            f"周小丽,{K6},2016-07-07,{C2},留守儿童,,否\n"
            f"王小明,{K1},2015-03-08,{C1},留守儿童,,是\n" + extra)
    f = tmp_path / "名单.csv"
    f.write_text(text, encoding="utf-8")
    return f


def test_import_writes_hand_counted_village_totals(tmp_path, capsys):
    f = _list(tmp_path)
    out = tmp_path / "counts.csv"
    assert main(["import", f"persons={f}", "--out", str(out), "--as-of", "2025-01-01",
                 "--codes"]) == 0
    c = pd.read_csv(out, dtype={"village_code": str}).set_index("village_code")
    # C1: 王 (twice in the list: once) + 李 = 2 children, 1 left-behind, 1 orphan, 1 key attention
    assert c.loc[C1, "target_children"] == 2 and c.loc[C1, "left_behind"] == 1
    assert c.loc[C1, "orphan"] == 1 and c.loc[C1, "key_attention"] == 1
    assert c.loc[C1, "village_name"] == N1
    assert c.loc[C2, "target_children"] == 1 and c.loc[C2, "age_6_11"] == 1   # aged 8
    written = out.read_text(encoding="utf-8-sig") + capsys.readouterr().out
    for secret in (*NAMES[:2], "周小丽", K1, K2, K6, K1[:17]):
        assert secret not in written


def test_import_chinese_headers_and_suppression(tmp_path):
    f = _list(tmp_path)
    out = tmp_path / "counts.csv"
    assert main(["import", f"persons={f}", "--out", str(out), "--as-of", "2025-01-01",
                 "--suppress", "3", "--lang", "zh"]) == 0
    c = pd.read_csv(out, dtype=str)
    assert "农村留守儿童" in c.columns and "left_behind" not in c.columns
    assert set(c["名单内儿童"]) == {"<3"}     # 2 and 1 children: both suppressed


def test_import_unmatched_village_exits_1_and_writes_nothing(tmp_path, capsys):
    f = _list(tmp_path, extra=f"钱小芳,{K4},2008-05-05,不存在村,留守儿童,,否\n")
    out = tmp_path / "counts.csv"
    assert main(["import", f"persons={f}", "--out", str(out), "--as-of", "2025-01-01"]) == 1
    assert not out.exists()
    text = capsys.readouterr().out
    assert "名单.csv" in text and "钱小芳" not in text and K4 not in text


def test_import_without_list_is_a_usage_error(tmp_path):
    assert main(["import", "villages=x.csv", "--out", str(tmp_path / "c.csv")]) == 2
