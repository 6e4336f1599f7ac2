"""Malformed input: every problem is reported with the right file, row, column and code.

Row numbers are what the planner sees: in a CSV the header is row 1, so VILLAGE_ROWS[k] is
row k + 2; in a vector file features count from 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon

from geo.coords import gcj02_to_wgs84
from geo.io import read_raw
from geo.layers import load_county
from geo.report import Report
from geo.validate import coerce_layer
from tests.conftest import VILLAGE_HEADER, VILLAGE_ROWS, feature, square, write_geojson


def villages_csv(tmp_path: Path, rows=None, header=VILLAGE_HEADER, name="villages.csv",
                 encoding="utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes((header + "\n" + "\n".join(rows or VILLAGE_ROWS) + "\n").encode(encoding))
    return p


def coerce(path: Path, layer: str = "villages", **kw):
    report = Report()
    raw = read_raw(path, layer, report)
    frame = None if raw is None else coerce_layer(raw, layer, report, **kw)
    return frame, report


def replace_cell(row: str, col: str, value: str, header: str = VILLAGE_HEADER) -> str:
    cols = header.split(",")
    cells = row.split(",")
    cells[cols.index(col)] = value
    return ",".join(cells)


def only(report: Report, code: str):
    found = [p for p in report.problems if p.code == code]
    assert len(found) == 1, f"expected one {code}, got {report.codes()}"
    return found[0]


# --- one bad cell in an otherwise valid village CSV --------------------------------------

CELL_CASES = [
    # (row index in VILLAGE_ROWS, column, bad value, expected code)
    (0, "resident_children", "abc", "not_a_number"),
    (1, "resident_children", "-5", "negative_count"),
    (2, "left_behind", "12.5", "non_integer_count"),
    (3, "orphan", "-1", "negative_count"),
    (0, "village_code", "50010910200", "malformed_code"),  # 11 digits
    (1, "village_code", "5.00109E+11", "malformed_code"),  # Excel scientific notation
    (2, "village_code", "50010910400X", "malformed_code"),
    (3, "township_code", "5001091", "malformed_code"),
    (0, "name", "", "missing_value"),
    (1, "resident_children", "", "missing_value"),
    (2, "key_attention", "两个", "not_a_number"),
]


@pytest.mark.parametrize("k,col,value,code", CELL_CASES)
def test_bad_cell_is_reported_at_its_row_and_column(tmp_path, k, col, value, code):
    rows = list(VILLAGE_ROWS)
    rows[k] = replace_cell(rows[k], col, value)
    frame, report = coerce(villages_csv(tmp_path, rows))
    p = only(report, code)
    assert (p.row, p.column, p.severity, p.file) == (k + 2, col, "error", str(tmp_path /
                                                                             "villages.csv"))
    assert p.zh and p.en and p.fix_zh and p.fix_en
    # The bad row is left out of the typed result; the others are kept.
    assert len(frame) == len(VILLAGE_ROWS) - 1


def test_left_behind_more_than_resident(tmp_path):
    rows = list(VILLAGE_ROWS)
    rows[1] = replace_cell(rows[1], "left_behind", "81")  # resident 80
    _, report = coerce(villages_csv(tmp_path, rows))
    p = only(report, "left_behind_exceeds_resident")
    assert (p.row, p.column, p.value) == (3, "left_behind", "81")
    assert "81" in p.zh and "80" in p.en


def test_left_behind_equal_to_resident_is_fine(tmp_path):
    rows = list(VILLAGE_ROWS)
    rows[1] = replace_cell(rows[1], "left_behind", "80")
    frame, report = coerce(villages_csv(tmp_path, rows))
    assert report.ok and len(frame) == 4


def test_difficulty_more_than_resident(tmp_path):
    rows = list(VILLAGE_ROWS)
    rows[2] = replace_cell(rows[2], "dibao_tekun", "60")  # 60 + illness 1 = 61 > 60
    _, report = coerce(villages_csv(tmp_path, rows))
    p = only(report, "difficulty_exceeds_resident")
    assert (p.row, p.value) == (4, "61")


def test_key_attention_more_than_targets(tmp_path):
    rows = list(VILLAGE_ROWS)
    rows[3] = replace_cell(rows[3], "key_attention", "7")  # targets = 3 + 2 + 1 = 6
    _, report = coerce(villages_csv(tmp_path, rows))
    p = only(report, "key_attention_exceeds_targets")
    assert (p.row, p.column) == (5, "key_attention")


def test_duplicate_code_names_the_first_row(tmp_path):
    rows = list(VILLAGE_ROWS)
    rows[3] = replace_cell(rows[3], "village_code", "500109102001")
    rows[3] = replace_cell(rows[3], "township_code", "500109102")
    frame, report = coerce(villages_csv(tmp_path, rows))
    p = only(report, "duplicate_code")
    assert (p.row, p.column, p.value) == (5, "village_code", "500109102001")
    assert "row 2" in p.en and "第 2 行" in p.zh
    assert len(frame) == 3


def test_missing_required_column(tmp_path):
    header = VILLAGE_HEADER.replace("resident_children,", "")
    rows = [",".join(c for i, c in enumerate(r.split(",")) if i != 3) for r in VILLAGE_ROWS]
    frame, report = coerce(villages_csv(tmp_path, rows, header=header))
    p = only(report, "missing_column")
    assert (p.column, p.row) == ("resident_children", None)
    assert "常住儿童数" in p.fix_zh  # tells which headers are accepted
    assert frame is None


def test_chinese_headers_are_recognised(tmp_path):
    header = ("统计用区划代码,村名称,乡镇代码,常住儿童数（人）,留守儿童数,孤儿数,事实无人抚养儿童数,"
              "重病重残儿童数,低保特困家庭儿童数,其他困境儿童数,重点关注儿童数,经度,纬度")
    frame, report = coerce(villages_csv(tmp_path, header=header))
    assert report.ok, report.render()
    assert frame["resident_children"].tolist() == [120, 80, 60, 300]


def test_coordinates_out_of_range_and_swapped(tmp_path):
    rows = list(VILLAGE_ROWS)
    rows[0] = replace_cell(replace_cell(rows[0], "lon", "29.81"), "lat", "106.41")
    rows[1] = replace_cell(rows[1], "lon", "12.0")
    _, report = coerce(villages_csv(tmp_path, rows))
    probs = [p for p in report.problems if p.code == "coordinates_out_of_range"]
    assert [p.row for p in probs] == [2, 3]
    assert "swapped" in probs[0].en and "swapped" not in probs[1].en


def test_missing_coordinates(tmp_path):
    rows = list(VILLAGE_ROWS)
    rows[2] = replace_cell(rows[2], "lat", "")
    _, report = coerce(villages_csv(tmp_path, rows))
    assert only(report, "missing_coordinates").row == 4


def test_gbk_csv_is_decoded(tmp_path):
    frame, report = coerce(villages_csv(tmp_path, encoding="gbk"))
    assert report.ok
    assert frame["name"].tolist() == ["甲村", "乙村", "丙村", "丁社区"]


def test_utf8_bom_csv_header_is_recognised(tmp_path):
    p = tmp_path / "v.csv"
    p.write_bytes(("\ufeff" + VILLAGE_HEADER + "\n" + "\n".join(VILLAGE_ROWS)).encode("utf-8"))
    frame, report = coerce(p)
    assert report.ok and frame["village_code"].iloc[0] == "500109102001"


def test_ragged_csv_is_unreadable_with_a_clear_message(tmp_path):
    p = tmp_path / "v.csv"
    p.write_text("a,b\n1,2\n3,4,5,6\n", encoding="utf-8")
    frame, report = coerce(p)
    assert frame is None and only(report, "unreadable_table").file == str(p)


def test_empty_file(tmp_path):
    p = tmp_path / "v.csv"
    p.write_text("", encoding="utf-8")
    _, report = coerce(p)
    assert only(report, "empty_file").file == str(p)


def test_header_only_file_has_no_rows(tmp_path):
    p = tmp_path / "v.csv"
    p.write_text(VILLAGE_HEADER + "\n", encoding="utf-8")
    frame, report = coerce(p)
    assert frame is None and only(report, "no_rows")


def test_unsupported_format(tmp_path):
    p = tmp_path / "villages.doc"
    p.write_bytes(b"x")
    _, report = coerce(p)
    assert only(report, "unsupported_format").value == ".doc"


def test_missing_file(tmp_path):
    _, report = coerce(tmp_path / "nope.csv")
    assert only(report, "file_not_found")


def test_personal_columns_are_dropped(tmp_path):
    header = VILLAGE_HEADER + ",姓名,身份证号"
    rows = [r + ",张三,500109200001011234" for r in VILLAGE_ROWS]
    frame, report = coerce(villages_csv(tmp_path, rows, header=header))
    dropped = [p for p in report.problems if p.code == "personal_column_dropped"]
    assert sorted(p.column for p in dropped) == ["姓名", "身份证号"]
    assert report.ok
    flat = frame.astype(str).to_numpy().ravel().tolist()
    assert not any("张三" in v or "500109200001011234" in v for v in flat)


def test_xlsx_codes_typed_as_numbers_and_bad_row(tmp_path):
    df = pd.DataFrame([r.split(",") for r in VILLAGE_ROWS], columns=VILLAGE_HEADER.split(","))
    for c in df.columns:
        if c not in ("name",):
            df[c] = pd.to_numeric(df[c])  # Excel stores codes as numbers
    df["resident_children"] = df["resident_children"].astype(object)
    df.loc[2, "resident_children"] = "六十"
    p = tmp_path / "villages.xlsx"
    df.to_excel(p, index=False)
    frame, report = coerce(p)
    bad = only(report, "not_a_number")
    assert (bad.row, bad.column) == (4, "resident_children")
    assert frame["village_code"].tolist() == ["500109102001", "500109102002", "500109104002"]


# --- facilities and roster ------------------------------------------------------------

FAC_HEADER = "facility_id,kind,name,village_code,capacity,lon,lat"


def test_unknown_facility_type(tmp_path):
    p = tmp_path / "facilities.csv"
    p.write_text(FAC_HEADER + "\nF1,妇女之家,甲村妇女之家,500109102001,,106.41,29.81\n"
                 "F2,网吧,某网吧,500109102001,,106.41,29.81\n", encoding="utf-8")
    frame, report = coerce(p, "facilities")
    bad = only(report, "unknown_facility_type")
    assert (bad.row, bad.column, bad.value) == (3, "kind", "网吧")
    assert "儿童之家" in bad.fix_zh and "children_home" in bad.fix_en
    assert frame["kind"].tolist() == ["womens_home"]  # Chinese label mapped to its key


def test_facility_table_without_coordinates(tmp_path):
    p = tmp_path / "facilities.csv"
    p.write_text("facility_id,kind\nF1,children_home\n", encoding="utf-8")
    frame, report = coerce(p, "facilities")
    assert frame is None and only(report, "missing_column").column == "lon/lat"


ROSTER_HEADER = ("person_code,village_code,township_code,role,gender,committee_member,"
                 "initial_training_date")


@pytest.mark.parametrize("col,value,code", [
    ("role", "村支书的亲戚", "unknown_value"),
    ("gender", "X", "unknown_value"),
    ("committee_member", "maybe", "not_a_bool"),
    ("initial_training_date", "2024-13-45", "bad_date"),
    ("township_code", "", "missing_value"),
])
def test_roster_bad_cells(tmp_path, col, value, code):
    good = "P1,500109102001,500109102,妇女主任,女,是,2024-03-15"
    row = replace_cell(good, col, value, header=ROSTER_HEADER)
    p = tmp_path / "roster.csv"
    p.write_text(ROSTER_HEADER + "\n" + good.replace("P1", "P0") + "\n" + row + "\n",
                 encoding="utf-8")
    frame, report = coerce(p, "roster")
    bad = only(report, code)
    assert (bad.row, bad.column, bad.feature_id) == (3, col, "P1")
    assert frame["role"].tolist() == ["womens_director"]
    assert frame["gender"].tolist() == ["F"]


def test_roster_dates_in_chinese_format(tmp_path):
    p = tmp_path / "roster.csv"
    p.write_text(ROSTER_HEADER + "\nP1,500109102001,500109102,妇女主任,女,是,2024年3月15日\n",
                 encoding="utf-8")
    frame, report = coerce(p, "roster")
    assert report.ok and str(frame["initial_training_date"].iloc[0]) == "2024-03-15"


def test_roster_name_column_is_personal(tmp_path):
    p = tmp_path / "roster.csv"
    p.write_text("person_code,name,township_code,role,gender\nP1,李四,500109102,网格员,男\n",
                 encoding="utf-8")
    frame, report = coerce(p, "roster")
    assert only(report, "personal_column_dropped").column == "name"
    assert "李四" not in frame.astype(str).to_numpy().ravel().tolist()
    assert frame["role"].tolist() == ["grid_worker"]


# --- geometry and CRS -----------------------------------------------------------------

def test_shapefile_without_prj_has_unknown_crs(tmp_path):
    g = gpd.GeoDataFrame({"township_code": ["500109102"], "name": ["澄江镇"]},
                         geometry=[Polygon(square(106.40, 29.80, 106.45, 29.85)[0])],
                         crs=4326)
    p = tmp_path / "t.shp"
    g.to_file(p, encoding="utf-8")
    p.with_suffix(".prj").unlink()
    frame, report = coerce(p, "townships")
    assert frame is None and only(report, "unknown_crs").file == str(p)
    frame, report = coerce(p, "townships", declared_crs=4490)  # the planner declares it
    assert report.ok and len(frame) == 1


def test_gbk_shapefile_without_cpg(tmp_path):
    g = gpd.GeoDataFrame({"乡镇代码": ["500109102"], "乡镇名称": ["澄江镇"]},
                         geometry=[Polygon(square(106.40, 29.80, 106.45, 29.85)[0])],
                         crs=4326)
    p = tmp_path / "t.shp"
    g.to_file(p, encoding="gbk")
    if p.with_suffix(".cpg").exists():
        p.with_suffix(".cpg").unlink()
    frame, report = coerce(p, "townships")
    assert only(report, "encoding_guessed").severity == "warning"
    assert frame["name"].tolist() == ["澄江镇"]


def test_projected_geopackage_is_converted(tmp_path):
    pt = gpd.GeoSeries([Point(106.41, 29.81)], crs=4326).to_crs(4544)
    g = gpd.GeoDataFrame({"facility_id": ["F1"], "kind": ["kindergarten"]}, geometry=pt)
    p = tmp_path / "f.gpkg"
    g.to_file(p, driver="GPKG")
    frame, report = coerce(p, "facilities")
    assert report.ok
    assert frame.geometry.iloc[0].x == pytest.approx(106.41, abs=1e-7)
    assert frame.geometry.iloc[0].y == pytest.approx(29.81, abs=1e-7)


def test_gcj02_declared_coordinates_are_converted(tmp_path):
    frame, report = coerce(villages_csv(tmp_path), coord_system="gcj02")
    assert report.ok
    x, y = gcj02_to_wgs84(106.41, 29.81)
    assert frame.geometry.iloc[0].x == pytest.approx(float(x), abs=1e-9)
    assert abs(frame.geometry.iloc[0].x - 106.41) > 0.002  # the offset is several hundred m


def test_empty_and_wrong_type_geometries(tmp_path):
    p = write_geojson(tmp_path / "v.geojson", [
        feature({"village_code": "500109102001", "name": "甲", "resident_children": 1,
                 "left_behind": 0}, "Point", [106.41, 29.81]),
        feature({"village_code": "500109102002", "name": "乙", "resident_children": 1,
                 "left_behind": 0}, "Point", None),
        feature({"village_code": "500109102003", "name": "丙", "resident_children": 1,
                 "left_behind": 0}, "LineString", [[106.41, 29.81], [106.42, 29.82]]),
    ])
    frame, report = coerce(p)
    assert only(report, "empty_geometry").row == 2
    wt = only(report, "wrong_geometry_type")
    assert (wt.row, wt.feature_id, wt.value) == (3, "500109102003", "LineString")
    assert len(frame) == 1


def test_self_intersecting_polygon_is_repaired_or_refused(tmp_path):
    # Feature 1: a square whose ring touches itself at (106.42, 29.80) -> invalid; make_valid
    # keeps its whole area (0.002 deg^2), so it is repaired with a warning.
    touching = [[106.40, 29.80], [106.45, 29.80], [106.45, 29.85], [106.40, 29.85],
                [106.42, 29.80], [106.40, 29.80]]
    # Feature 2: a bow-tie; its signed area is 0 but its repair has area 0.00125 -> error.
    bow = [[106.40, 29.80], [106.45, 29.85], [106.45, 29.80], [106.40, 29.85], [106.40, 29.80]]
    p = write_geojson(tmp_path / "t.geojson", [
        feature({"township_code": "500109102", "name": "甲"}, "Polygon", [touching]),
        feature({"township_code": "500109104", "name": "乙"}, "Polygon", [bow]),
    ])
    frame, report = coerce(p, "townships")
    assert {(q.code, q.row, q.severity) for q in report.problems} == {
        ("geometry_repaired", 1, "warning"), ("invalid_geometry", 2, "error")}
    assert frame["township_code"].tolist() == ["500109102"]
    assert frame.geometry.iloc[0].is_valid
    assert frame.geometry.iloc[0].area == pytest.approx(0.002, rel=1e-9)


def test_waterway_kind_geometry_mismatch_warning(toy_sources, tmp_path):
    p = tmp_path / "w.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": [
        feature({"water_id": "W1", "kind": "pond"}, "LineString",
                [[106.41, 29.81], [106.42, 29.82]])]}), encoding="utf-8")
    data = load_county({**toy_sources, "waterways": p})
    w = only(data.report, "kind_geometry_mismatch")
    assert (w.severity, w.feature_id, w.row) == ("warning", "W1", 1)


# --- cross-layer checks (load_county) ----------------------------------------------------

def test_valid_toy_county_loads_clean(toy_sources):
    data = load_county(toy_sources)
    assert data.report.ok, data.report.render()
    assert len(data.villages) == 4 and data.adcode == "500109"


def test_village_code_prefix_does_not_match_township(toy_sources, toy_dir):
    rows = list(VILLAGE_ROWS)
    rows[1] = replace_cell(rows[1], "township_code", "500109104")  # code says 102
    villages_csv(toy_dir, rows)
    data = load_county(toy_sources)
    p = only(data.report, "code_prefix_mismatch")
    assert (p.row, p.feature_id, p.column) == (3, "500109102002", "township_code")


def test_village_of_another_county(toy_sources, toy_dir):
    rows = list(VILLAGE_ROWS)
    rows[2] = replace_cell(replace_cell(rows[2], "village_code", "350821104001"),
                           "township_code", "350821104")
    villages_csv(toy_dir, rows)
    data = load_county(toy_sources)
    bad = [p for p in data.report.problems if p.code == "code_prefix_mismatch"]
    assert {p.row for p in bad} == {4}
    assert any(p.column == "village_code" for p in bad)
    assert only(data.report, "unknown_township").row == 4


def test_village_outside_its_township(toy_sources, toy_dir):
    rows = list(VILLAGE_ROWS)
    rows[0] = replace_cell(rows[0], "lon", "106.46")  # code says 102 (west) but point is east
    villages_csv(toy_dir, rows)
    data = load_county(toy_sources)
    p = only(data.report, "outside_township")
    assert (p.row, p.feature_id) == (2, "500109102001")
    assert p.value.endswith("m") and 900 < float(p.value.split()[0]) < 1000  # ~0.01° lon ≈ 967 m


def test_village_outside_county(toy_sources, toy_dir):
    rows = list(VILLAGE_ROWS)
    rows[3] = replace_cell(rows[3], "lat", "29.90")
    villages_csv(toy_dir, rows)
    data = load_county(toy_sources)
    assert only(data.report, "outside_county").row == 5
    assert only(data.report, "outside_township").row == 5


def test_missing_required_layer():
    data = load_county({})
    assert sorted(p.layer for p in data.report.problems if p.code == "missing_layer") == [
        "county", "townships", "villages"]


def test_children_table_joined_by_code(toy_sources, toy_dir):
    counts = toy_dir / "children.csv"
    counts.write_text(
        "村代码,常住儿童数,留守儿童数\n500109102001,150,30\n500109102002,40,4\n"
        "500109104001,70,7\n500109104009,10,1\n", encoding="utf-8")
    data = load_county({**toy_sources, "children": counts})
    unknown = only(data.report, "unknown_village")
    assert (unknown.row, unknown.value) == (5, "500109104009")
    missing = only(data.report, "missing_counts")
    assert missing.feature_id == "500109104002"
    v = data.villages.set_index("village_code")
    assert v.loc["500109102001", "resident_children"] == 150


def test_report_renders_in_both_languages(toy_sources, toy_dir):
    rows = list(VILLAGE_ROWS)
    rows[0] = replace_cell(rows[0], "resident_children", "-3")
    villages_csv(toy_dir, rows)
    text = load_county(toy_sources).report.render()
    assert "villages.csv 第2行 [500109102001] 列“resident_children”" in text
    assert "villages.csv row 2 [500109102001] column 'resident_children'" in text
    assert "cannot be negative" in text and "不能为负数" in text


def test_a_bad_village_row_does_not_cascade_into_unknown_references(toy_sources, toy_dir):
    rows = list(VILLAGE_ROWS)
    rows[0] = replace_cell(rows[0], "resident_children", "-1")
    villages_csv(toy_dir, rows)
    roster = toy_dir / "roster.csv"
    roster.write_text("person_code,village_code,township_code,role,gender\n"
                      "P1,500109102001,500109102,网格员,女\nP2,500109102999,500109102,网格员,女\n",
                      encoding="utf-8")
    data = load_county({**toy_sources, "roster": roster})
    # the bad village is reported once; P1 refers to it and gets no second problem,
    # P2 refers to a village that exists nowhere and is reported
    assert [(p.code, p.feature_id) for p in data.report.problems] == [
        ("negative_count", "500109102001"), ("unknown_village", "P2")]


@pytest.mark.parametrize("encoding,cpg", [("utf-8", True), ("utf-8", False), ("gbk", True),
                                          ("gbk", False)])
def test_shapefile_chinese_field_names_cut_at_ten_bytes(tmp_path, encoding, cpg):
    # In UTF-8, 乡镇代码 is 12 bytes: dBase keeps 10 and splits 码 -> 乡镇代 + a stray byte.
    # In GBK it is 8 bytes and survives. Both must load, with the names matched.
    g = gpd.GeoDataFrame({"乡镇代码": ["500109102"], "乡镇名称": ["澄江镇"]},
                         geometry=[Polygon(square(106.40, 29.80, 106.45, 29.85)[0])], crs=4326)
    p = tmp_path / "t.shp"
    g.to_file(p, encoding=encoding)
    if not cpg and p.with_suffix(".cpg").exists():
        p.with_suffix(".cpg").unlink()
    frame, report = coerce(p, "townships")
    assert report.ok, report.render()
    assert frame[["township_code", "name"]].values.tolist() == [["500109102", "澄江镇"]]
    truncated = [q.column for q in report.problems if q.code == "header_truncated"]
    assert truncated == (["乡镇代", "乡镇名"] if encoding == "utf-8" else [])
