"""Exported files in Chinese by default, English with --lang en, stable codes with --codes.

Every file is read back from disk; the expected words are written out here by hand from the
catalogue's meaning (渠道 for canal, 已有 for an existing home), not taken from the code.
"""
from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from childplan.cli import main
from geo.exports import export_sheets, export_table, xlsx_bytes

SNAKE = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")  # village_code, rescue_rope, grid_worker
CODE_WORDS = {"existing", "reuse", "new", "canal", "stream", "pond", "river", "unchecked",
              "initial", "annual", "county", "director", "supervisor", "straight", "True", "False",
              "M", "F"}


def read(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def identifiers(frame: pd.DataFrame) -> list[str]:
    """Headers and cells a Chinese reader would see as raw identifiers."""
    cells = list(frame.columns) + [v for c in frame.columns for v in frame[c].tolist()]
    return sorted({v for v in cells if SNAKE.match(v) or v in CODE_WORDS})


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = {}
    for name, extra in (("zh", []), ("en", ["--lang", "en"]), ("codes", ["--codes"])):
        d = tmp_path_factory.mktemp(f"site_{name}")
        assert main(["site", *extra, "--out", str(d)]) == 0
        out[name] = d
    return out


@pytest.mark.slow  # runs the CLI on the demo county
def test_site_files_in_chinese_by_default(site):
    homes, a = read(site["zh"] / "homes.csv"), read(site["zh"] / "assignments.csv")
    assert list(homes.columns) == ["儿童之家编号", "类型", "状态", "经度", "纬度", "服务儿童数", "容量",
                                   "负荷（服务儿童，含本村）", "负荷/容量", "本村儿童数",
                                   "本村儿童超出容量", "新建规格", "容量来源"]
    assert list(a.columns) == ["村代码", "常住儿童数", "儿童之家编号", "距离（米）", "自有儿童之家"]
    assert set(homes["状态"]) <= {"已有", "改建", "新建"} and "已有" in set(homes["状态"])
    assert all(re.search(r"[\u4e00-\u9fff]", k) for k in homes["类型"])
    assert "儿童之家" in set(homes["类型"])
    assert set(a["自有儿童之家"]) == {"是", "否"}
    assert identifiers(homes.drop(columns="儿童之家编号")) == []
    assert identifiers(a.drop(columns="儿童之家编号")) == []
    # 12-digit division codes stay as they are
    assert a["村代码"].str.fullmatch(r"\d{12}").all()


@pytest.mark.slow  # runs the CLI on the demo county
def test_site_codes_and_english_hold_the_same_rows(site):
    zh, en, codes = (read(site[k] / "homes.csv") for k in ("zh", "en", "codes"))
    assert list(codes.columns) == ["home_id", "kind", "status", "lon", "lat", "children_served",
                                   "capacity", "load", "capacity_use", "own_children",
                                   "own_beyond_capacity", "size", "capacity_source"]
    assert list(en.columns) == ["Home id", "Kind", "Status", "Longitude", "Latitude",
                                "Children served", "Capacity",
                                "Load (children served, own village included)",
                                "Load / capacity", "Own village's children",
                                "Own village beyond capacity", "New-build size", "Capacity from"]
    # the flag and the capacity source are words, never True/False or codes
    assert set(zh["本村儿童超出容量"]) == {"是", "否"}
    assert set(en["Own village beyond capacity"]) == {"yes", "no"}
    assert set(codes["status"]) <= {"existing", "reuse", "new"}
    assert "village children's home" in set(en["Kind"])
    # same rows, same numbers; the words map one to one onto the codes
    assert (zh["儿童之家编号"] == codes["home_id"]).all() and (en["Home id"] == codes["home_id"]).all()
    assert (zh["服务儿童数"] == codes["children_served"]).all()
    pairs = set(zip(codes["status"], zh["状态"], strict=True))
    assert pairs <= {("existing", "已有"), ("reuse", "改建"), ("new", "新建")}
    a_zh, a_codes = read(site["zh"] / "assignments.csv"), read(site["codes"] / "assignments.csv")
    assert set(zip(a_codes["own_home"], a_zh["自有儿童之家"], strict=True)) <= {("True", "是"),
                                                                           ("False", "否")}
    assert not [c for c in en.columns if re.search(r"[\u4e00-\u9fff]", c)]


@pytest.fixture(scope="module")
def staff(tmp_path_factory):
    out = {}
    for name, extra in (("zh", []), ("en", ["--lang", "en"])):
        d = tmp_path_factory.mktemp(f"staff_{name}")
        assert main(["staff", *extra, "--out", str(d)]) == 0
        out[name] = d
    return out


@pytest.mark.slow  # runs the CLI on the demo county
def test_staffing_files_in_chinese(staff):
    s = read(staff["zh"] / "staffing.csv")
    assert list(s.columns) == ["村代码", "人员编码", "身份", "性别", "优先序", "月工作量（小时）",
                               "培训情况", "距离度量"]
    assert set(s["性别"]) <= {"男", "女", "未填"}
    assert set(s["距离度量"]) == {"直线距离"}
    assert s["培训情况"].str.match(r"^(已培训（\d{4}年\d{1,2}月\d{1,2}日）|计划\d{4}年\d{1,2}月培训|待培训)").all()
    t = read(staff["zh"] / "training.csv")
    assert list(t.columns) == ["人员编码", "岗位", "类型", "应训月份", "已逾期", "组织单位"]
    assert set(t["类型"]) <= {"初任培训", "年度培训"} and set(t["已逾期"]) <= {"是", "否"}
    assert set(t["岗位"]) <= {"儿童主任", "儿童督导员", "候选人"}
    for name in ("staffing", "supervisors", "training", "recruit"):
        assert identifiers(read(staff["zh"] / f"{name}.csv")) == [], name


@pytest.mark.slow  # runs the CLI on the demo county
def test_staffing_in_english(staff):
    s = read(staff["en"] / "staffing.csv")
    assert list(s.columns)[:4] == ["Village code", "Person code", "Role", "Gender"]
    assert set(s["Gender"]) <= {"male", "female", "not given"}
    assert s["Training"].str.match(r"^(trained \d{1,2} [A-Z][a-z]{2} \d{4}|training planned|awaiting)").all()
    assert not s["Role"].str.contains("_").any()
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for name in ("staffing", "supervisors", "training", "recruit"):
        f = read(staff["en"] / f"{name}.csv")
        assert not [c for c in f.columns if SNAKE.match(c) or cjk.search(c)], name
        assert not [v for c in f.columns for v in f[c] if SNAKE.match(v) or cjk.search(v)], name


@pytest.mark.slow  # runs the CLI on the demo county
def test_fund_csv_and_typed_xlsx(tmp_path):
    assert main(["fund", "--budget", "3000000", "--out", str(tmp_path)]) == 0
    f = read(tmp_path / "funding.csv")
    assert list(f.columns) == ["单位代码", "单位名称", "服务对象数", "认定", "基础份额",
                               "倾斜与上下限调整", "专项", "金额（元）", "触及上下限"]
    assert sum(int(x) for x in f["金额（元）"]) == 3_000_000
    assert "困难街镇" in "".join(f["认定"]) or set(f["认定"]) == {""}
    assert identifiers(f) == []
    wb = load_workbook(tmp_path / "funding.xlsx")
    assert wb.sheetnames == ["经费分配", "倾斜力度变化"]
    ws = wb["经费分配"]
    head = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(head, ws[2], strict=True)}
    assert row["单位代码"].data_type == "s" and row["单位代码"].value == "500109001"
    assert isinstance(row["金额（元）"].value, int) and row["金额（元）"].number_format == "#,##0"
    assert isinstance(row["服务对象数"].value, int) and row["服务对象数"].number_format == "#,##0"
    assert row["基础份额"].number_format == "#,##0.00"  # 171,264.29 元: two places
    total = sum(r[head.index("金额（元）")].value for r in ws.iter_rows(min_row=2))
    assert total == 3_000_000


@pytest.mark.slow  # two hazard runs, ~25 s
def test_hazards_machine_tables_follow_the_flags(tmp_path):
    zh, codes = tmp_path / "zh", tmp_path / "codes"
    assert main(["hazards", "--out", str(zh)]) == 0
    assert main(["hazards", "--codes", "--out", str(codes)]) == 0
    ds, dc = read(zh / "danger_spots.csv"), read(codes / "danger_spots.csv")
    assert list(dc.columns)[:3] == ["spot_id", "river", "kind"]
    assert list(ds.columns)[:3] == ["危险点编号", "水体名称", "类型"]
    assert set(zip(dc["kind"], ds["类型"], strict=True)) <= {
        ("river", "河流"), ("stream", "溪沟"), ("canal", "渠道"), ("pond", "山坪塘/池塘"),
        ("reservoir", "水库"), ("lake", "湖泊")}
    # nothing recorded: all four items missing, state 未检查
    assert set(ds["“四个一”缺少项"]) == {"警示牌、救生圈、救生绳、救生杆"}
    assert set(ds["“四个一”状态"]) == {"未检查"}
    assert (ds["风险分值"] == dc["score"]).all() and (ds["村代码"] == dc["village_code"]).all()
    seg = read(zh / "segments.csv")
    assert set(seg["示意数据"]) <= {"是", "否"}
    assert not seg["村高于水面（米）"].str.startswith("'").any()  # -30.0 stays a number
    ids = ["危险点编号", "河段编号", "水体编号", "危险河段编号", "机构编号"]
    for name in ("danger_spots", "segments", "flood_season", "patrol_lists", "safety_activities"):
        assert identifiers(read(zh / f"{name}.csv").drop(columns=ids, errors="ignore")) == [], name
    assert "水体编号" in read(zh / "flood_season.csv").columns


# --- the helpers on tiny tables ---------------------------------------------------------------

def test_export_table_words_lists_and_codes():
    f = pd.DataFrame({"village_code": ["500109001001", "500109001002"],
                      "kind": ["canal", "pond"], "four_ones_missing": ["life_buoy;rescue_pole", ""],
                      "overdue": [True, False], "reason": ["本乡镇无合格候选人 / no eligible candidate", ""]})
    zh = export_table(f, enums={"kind": "water"})
    assert zh.to_dict("list") == {
        "村代码": ["500109001001", "500109001002"], "类型": ["渠道", "山坪塘/池塘"],
        "“四个一”缺少项": ["救生圈、救生杆", ""], "已逾期": ["是", "否"],
        "原因": ["本乡镇无合格候选人", ""]}
    en = export_table(f, "en", enums={"kind": "water"})
    assert en["'Four ones' missing"].tolist() == ["life buoy; rescue pole", ""]
    assert en["Reason"].tolist() == ["no eligible candidate", ""]
    assert export_table(f, codes=True) is f
    sheets = export_sheets({"funding": f, "tilt_path": f}, "zh")
    assert list(sheets) == ["经费分配", "倾斜力度变化"]
    assert list(export_sheets({"funding": f}, codes=True)) == ["funding"]


def test_xlsx_cells_are_typed():
    frame = pd.DataFrame({
        "township_code": ["500109001", "500109002"],
        "count": [3, 1200],                      # ints -> #,##0
        "amount": [285440.0, 1000000.0],         # whole 元 stored as float -> int cells
        "lon": [106.454928, 106.45],             # six places kept
        "checked_on": ["2024-04-06", ""],        # ISO day text -> a date
        "saved": [datetime(2026, 12, 2, 6, 18, tzinfo=UTC), None],  # -> 北京时间 14:18
        "day": [date(2026, 12, 2), date(2026, 1, 5)],
        "year": [2026, 2027],
    })
    ws = load_workbook(io.BytesIO(xlsx_bytes({"t": frame}, text_dates=True))).active
    r2 = {c.column_letter: c for c in ws[2]}
    assert r2["A"].value == "500109001" and r2["A"].data_type == "s"
    assert r2["B"].value == 3 and r2["B"].number_format == "#,##0"
    assert ws["B3"].value == 1200
    assert r2["C"].value == 285440 and isinstance(r2["C"].value, int) and r2["C"].number_format == "#,##0"
    assert r2["D"].value == pytest.approx(106.454928) and r2["D"].number_format == "#,##0.000000"
    assert r2["E"].value == datetime(2024, 4, 6) and r2["E"].number_format == "yyyy-mm-dd"
    assert ws["E3"].value is None
    assert r2["F"].value == datetime(2026, 12, 2, 14, 18) and r2["F"].number_format == "yyyy-mm-dd hh:mm"
    assert r2["G"].value == datetime(2026, 12, 2) and r2["G"].number_format == "yyyy-mm-dd"
    assert r2["H"].value == 2026 and r2["H"].number_format == "0"  # a year has no 千分位
    # without text_dates ISO text stays text (the patrol lists' 最近检查日期)
    plain = load_workbook(io.BytesIO(xlsx_bytes({"t": frame}))).active
    assert plain["E2"].value == "2024-04-06" and plain["E2"].data_type == "s"


def test_every_exported_column_has_a_header_in_both_languages():
    from childplan.workflows import ASSIGNMENT_COLUMNS, HOMES_COLUMNS, TRAVEL_COLUMNS
    from geo.i18n import HEADERS_EN, HEADERS_ZH, header_label
    from optimization import staffing_rules as sr

    assert set(HEADERS_ZH) == set(HEADERS_EN)
    cols = [*HOMES_COLUMNS, *ASSIGNMENT_COLUMNS, *TRAVEL_COLUMNS, *sr.STAFFING_COLUMNS,
            *sr.RECRUIT_COLUMNS, *sr.TRAINING_COLUMNS, *sr.SUPERVISOR_COLUMNS,
            "unit_code", "unit_name", "targets", "designations", "base", "tilt", "earmark", "amount",
            "binding", "need", "multiplier", "tilt_scale"]
    for c in cols:
        zh, en = header_label(c, "zh"), header_label(c, "en")
        assert re.search(r"[\u4e00-\u9fff]", zh), c
        assert not SNAKE.match(en) and not re.search(r"[\u4e00-\u9fff]", en), (c, en)
