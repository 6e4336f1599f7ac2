"""The shapes of real county returns: read right, or reported at the ORIGINAL row and column.

Every file is built here (text, openpyxl, pyogrio) so nothing binary is committed. The toy
villages are those of ``tests/conftest.py``: 甲村 120 resident / 20 left-behind, 乙村 80/10,
丙村 60/12, 丁社区 300/3 (resident total 560, left-behind total 45).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
from shapely.geometry import MultiPoint, Point, Polygon

from geo.io import read_raw
from geo.layers import load_county
from geo.report import Report
from geo.validate import coerce_layer
from tests.conftest import VILLAGE_HEADER, VILLAGE_ROWS, square

HEADER = VILLAGE_HEADER.split(",")
ROWS = [r.split(",") for r in VILLAGE_ROWS]
CODES = [r[0] for r in ROWS]


def coerce(path: Path, layer: str = "villages", **kw):
    report = Report()
    raw = read_raw(path, layer, report, sheet=kw.pop("sheet", None), mapping=kw.get("mapping"))
    frame = None if raw is None else coerce_layer(raw, layer, report, **kw)
    return frame, report


def only(report: Report, code: str):
    found = [p for p in report.problems if p.code == code]
    assert len(found) == 1, f"expected one {code}, got {report.codes()}"
    return found[0]


def write_csv(path: Path, lines: list[str], encoding="utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def cells(row: list[str]) -> list:
    """A CSV row as Excel would hold it: numbers as numbers, text as text."""
    out = []
    for c in row:
        try:
            out.append(int(c))
        except ValueError:
            try:
                out.append(float(c))
            except ValueError:
                out.append(c)
    return out


def set_cell(row: list[str], col: str, value: str, header=HEADER) -> list[str]:
    row = list(row)
    row[header.index(col)] = value
    return row


def toy_county(tmp_path: Path, villages: Path, **more) -> dict:
    from tests.conftest import feature, write_geojson

    write_geojson(tmp_path / "county.geojson", [feature(
        {"adcode": "500109", "name": "北碚区", "province": "重庆市", "designations": ""},
        "Polygon", square(106.40, 29.80, 106.50, 29.85))])
    write_geojson(tmp_path / "townships.geojson", [
        feature({"township_code": "500109102", "name": "澄江镇"}, "Polygon",
                square(106.40, 29.80, 106.45, 29.85)),
        feature({"township_code": "500109104", "name": "童家溪镇"}, "Polygon",
                square(106.45, 29.80, 106.50, 29.85)),
    ])
    return {"county": tmp_path / "county.geojson", "townships": tmp_path / "townships.geojson",
            "villages": villages, **more}


# --- header finding ----------------------------------------------------------------------

def test_title_row_above_the_header_csv(tmp_path):
    bad = set_cell(ROWS[1], "resident_children", "-5")
    p = write_csv(tmp_path / "v.csv", ["北碚区2024年农村留守儿童统计表,,,", VILLAGE_HEADER]
                  + [",".join(r) for r in (ROWS[0], bad, ROWS[2], ROWS[3])])
    frame, report = coerce(p)
    assert only(report, "title_rows_skipped").row == 2  # the header is on row 2
    p2 = only(report, "negative_count")
    assert (p2.row, p2.column) == (4, "resident_children")  # title 1, header 2, 甲 3, 乙 4
    assert frame["village_code"].tolist() == [CODES[0], CODES[2], CODES[3]]


def test_title_and_unit_rows_above_the_header_xlsx(tmp_path):
    p = write_xlsx(tmp_path / "v.xlsx", {"Sheet1": [
        ["北碚区2024年农村留守儿童统计表"], ["填报单位：北碚区民政局", None, None, "单位：人"], [],
        HEADER] + [cells(r) for r in ROWS]})
    frame, report = coerce(p)
    assert report.ok, report.render()
    assert only(report, "title_rows_skipped").row == 4
    assert frame["_row"].tolist() == [5, 6, 7, 8]
    assert int(frame["resident_children"].sum()) == 560


def test_chinese_headers_with_units_in_parentheses(tmp_path):
    head = ["村（社区）代码", "村（社区）名称", "所属乡镇代码", "常住儿童数（人）", "农村留守儿童数（人）",
            "经度", "纬度"]
    rows = [[r[0], r[1], r[2], r[3], r[4], r[11], r[12]] for r in ROWS]
    p = write_csv(tmp_path / "v.csv", [",".join(head)] + [",".join(r) for r in rows])
    frame, report = coerce(p)
    assert report.ok and int(frame["left_behind"].sum()) == 45


def _two_row_header_rows():
    top = ["村代码", "村名称", "儿童数", None, "经度", "纬度"]
    sub = [None, None, "常住", "留守", None, None]
    data = [[int(r[0]), r[1], int(r[3]), int(r[4]), float(r[11]), float(r[12])] for r in ROWS]
    return top, sub, data


def test_two_header_rows_with_a_merged_parent_xlsx(tmp_path):
    top, sub, data = _two_row_header_rows()
    p = tmp_path / "v.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["北碚区留守儿童统计表"])
    ws.append(top)
    ws.append(sub)
    for r in data:
        ws.append(r)
    ws.merge_cells("C2:D2")
    ws.merge_cells("A2:A3")
    wb.save(p)
    frame, report = coerce(p)
    assert report.ok, report.render()
    assert only(report, "two_header_rows").row == 2
    assert int(frame["resident_children"].sum()) == 560
    assert int(frame["left_behind"].sum()) == 45
    assert frame["_row"].tolist() == [4, 5, 6, 7]


def test_two_header_rows_exported_to_csv(tmp_path):
    top, sub, data = _two_row_header_rows()

    def line(r):
        return ",".join("" if v is None else str(v) for v in r)

    bad = list(data[2])
    bad[3] = "十二"
    p = write_csv(tmp_path / "v.csv", [line(top), line(sub)] + [line(r) for r in
                                                              (data[0], data[1], bad, data[3])])
    frame, report = coerce(p)
    p2 = only(report, "not_a_number")
    assert (p2.row, p2.column, p2.value) == (5, "留守儿童数", "十二")
    assert frame["resident_children"].tolist() == [120, 80, 300]


# --- rows that are not villages ----------------------------------------------------------

def test_total_row_at_the_bottom_is_dropped(tmp_path):
    total = ["合计", "", "", "560", "45", "1", "1", "3", "6", "0", "8", "", ""]
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER] + VILLAGE_ROWS + [",".join(total)])
    frame, report = coerce(p)
    assert report.ok, report.render()
    assert only(report, "total_row_dropped").row == 6
    assert len(frame) == 4 and int(frame["resident_children"].sum()) == 560


def test_subtotal_rows_between_townships_keep_later_row_numbers(tmp_path):
    sub1 = ["澄江镇小计", "", "", "200", "30", "", "", "", "", "", "", "", ""]
    sub2 = ["小计", "", "", "360", "15", "", "", "", "", "", "", "", ""]
    bad = set_cell(ROWS[3], "left_behind", "-3")
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER, VILLAGE_ROWS[0], VILLAGE_ROWS[1],
                                       ",".join(sub1), VILLAGE_ROWS[2], ",".join(bad),
                                       ",".join(sub2), "总计,,,560,45,,,,,,,,"])
    frame, report = coerce(p)
    assert [p.row for p in report.problems if p.code == "total_row_dropped"] == [4, 7, 8]
    assert only(report, "negative_count").row == 6  # not 5: the subtotal row still counts
    assert frame["village_code"].tolist() == CODES[:3]


def test_blank_lines_do_not_shift_row_numbers_csv(tmp_path):
    bad = set_cell(ROWS[3], "resident_children", "abc")
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER, VILLAGE_ROWS[0], "", ",,,,,,,,,,,,",
                                       VILLAGE_ROWS[1], VILLAGE_ROWS[2], "", ",".join(bad)])
    frame, report = coerce(p)
    assert only(report, "not_a_number").row == 8
    assert frame["_row"].tolist() == [2, 5, 6]


def test_blank_rows_in_xlsx_keep_row_numbers(tmp_path):
    bad = cells(set_cell(ROWS[2], "orphan", "-1"))
    p = write_xlsx(tmp_path / "v.xlsx", {"村": [HEADER, cells(ROWS[0]), [], [],
                                                cells(ROWS[1]), bad, cells(ROWS[3])]})
    frame, report = coerce(p)
    p2 = only(report, "negative_count")
    assert (p2.row, p2.column) == (6, "orphan")
    assert frame["_row"].tolist() == [2, 5, 7]


def test_note_row_under_the_table_is_dropped_and_not_stored(tmp_path):
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER] + VILLAGE_ROWS
                  + ["填表人：张三,,,,,,,,,,,,", "注：数据截至2024年6月,,,,,,,,,,,,"])
    frame, report = coerce(p)
    assert [q.row for q in report.problems if q.code == "note_row_dropped"] == [6, 7]
    assert len(frame) == 4
    assert "张三" not in json.dumps(report.as_dicts(), ensure_ascii=False)


# --- separators and broken records -------------------------------------------------------

@pytest.mark.parametrize("sep,warned", [(";", True), ("\t", False), ("|", True)])
def test_separator_is_sniffed(tmp_path, sep, warned):
    p = write_csv(tmp_path / "v.csv", ["村儿童统计"] + [VILLAGE_HEADER.replace(",", sep)]
                  + [r.replace(",", sep) for r in VILLAGE_ROWS])
    frame, report = coerce(p)
    assert report.ok, report.render()
    assert len(frame) == 4 and int(frame["left_behind"].sum()) == 45
    assert ("separator_detected" in report.codes()) == warned


def test_a_ragged_row_is_reported_by_row_in_both_languages(tmp_path):
    ragged = VILLAGE_ROWS[1].replace("乙村", "乙村,一组")  # an unquoted comma in the name
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER, VILLAGE_ROWS[0], ragged]
                  + VILLAGE_ROWS[2:])
    frame, report = coerce(p)
    p2 = only(report, "ragged_row")
    assert p2.row == 3 and p2.value == "14 > 13"
    assert "表头只有 13 列" in p2.zh and "the header has 13 columns" in p2.en
    assert frame["village_code"].tolist() == [CODES[0], CODES[2], CODES[3]]


def test_an_unbalanced_quote_is_reported_at_its_row(tmp_path):
    broken = VILLAGE_ROWS[2].replace("丙村", '"丙村')
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER] + VILLAGE_ROWS[:2] + [broken,
                                                                              VILLAGE_ROWS[3]])
    frame, report = coerce(p)
    p2 = only(report, "unbalanced_quote")
    assert p2.row == 4 and "引号" in p2.zh and "quote" in p2.en
    assert frame["village_code"].tolist() == [CODES[0], CODES[1], CODES[3]]


def test_a_quoted_cell_with_a_comma_and_a_line_break_is_one_cell(tmp_path):
    head = VILLAGE_HEADER + ",备注"
    rows = [r + ",无" for r in VILLAGE_ROWS]
    rows[1] = rows[1].replace(",无", ',"两个组，\n合并后统计"').replace("乙村", '"乙村,二组"')
    p = write_csv(tmp_path / "v.csv", [head] + rows)
    frame, report = coerce(p)
    assert report.ok, report.render()
    assert frame["name"].tolist()[1] == "乙村,二组"
    assert frame["_row"].tolist() == [2, 3, 5, 6]  # 乙村 spans lines 3-4


def test_many_ragged_rows_make_the_file_unreadable_once(tmp_path):
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER] + [r + ",x,y" for r in VILLAGE_ROWS])
    frame, report = coerce(p)
    assert frame is None or len(frame) == 0
    assert only(report, "unreadable_table").value == "4"
    assert "ragged_row" not in report.codes()


# --- Excel specifics ---------------------------------------------------------------------

def test_formula_without_a_cached_value(tmp_path):
    rows = [HEADER] + [cells(r) for r in ROWS]
    rows[3][HEADER.index("resident_children")] = "=20+40"  # openpyxl stores no cached value
    rows[4][HEADER.index("resident_children")] = "=SUM(E5:F5)"
    p = write_xlsx(tmp_path / "v.xlsx", {"Sheet1": rows})
    frame, report = coerce(p)
    p2 = only(report, "formula_without_value")
    assert (p2.row, p2.column, p2.value) == (4, "resident_children", "2")
    assert "Excel" in p2.zh and "never saved in Excel" in p2.en


def test_data_on_the_second_sheet_is_found(tmp_path):
    p = write_xlsx(tmp_path / "v.xlsx", {"说明": [["填表说明"], ["1. 按村填写"]],
                                         "数据": [HEADER] + [cells(r) for r in ROWS]})
    frame, report = coerce(p)
    assert only(report, "sheet_chosen").value == "数据"
    assert len(frame) == 4 and report.ok


def test_the_planner_chooses_the_sheet(tmp_path):
    other = [HEADER] + [cells(r) for r in ROWS[:2]]
    p = write_xlsx(tmp_path / "v.xlsx", {"2023": other, "2024": [HEADER] +
                                         [cells(r) for r in ROWS]})
    frame, report = coerce(p, sheet="2024")
    assert len(frame) == 4 and "sheet_chosen" not in report.codes()
    frame, _ = coerce(p, sheet="2023")
    assert len(frame) == 2


def test_unknown_sheet_lists_the_sheets(tmp_path):
    p = write_xlsx(tmp_path / "v.xlsx", {"Sheet1": [HEADER] + [cells(r) for r in ROWS]})
    frame, report = coerce(p, sheet="Sheet2")
    p2 = only(report, "unknown_sheet")
    assert frame is None and "Sheet1" in p2.zh and "Sheet1" in p2.en


def test_cli_reads_the_sheet_after_the_hash(tmp_path, capsys):
    from childplan.cli import main

    x = write_xlsx(tmp_path / "村数据.xlsx", {"封面": [["北碚区"]], "Sheet2": [HEADER] +
                                             [cells(r) for r in ROWS]})
    src = toy_county(tmp_path, x)
    rc = main(["validate", f"county={src['county']}", f"townships={src['townships']}",
               f"villages={x}#Sheet2"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "villages: 4" in out and "sheet_chosen" not in out


# --- GIS files ---------------------------------------------------------------------------

def _village_points(n=4):
    return gpd.GeoDataFrame(
        {"village_code": CODES[:n], "name": [r[1] for r in ROWS[:n]],
         "resident_children": [int(r[3]) for r in ROWS[:n]],
         "left_behind": [int(r[4]) for r in ROWS[:n]]},
        geometry=[Point(float(r[11]), float(r[12])) for r in ROWS[:n]], crs=4326)


def test_geopackage_second_layer_is_chosen(tmp_path):
    p = tmp_path / "data.gpkg"
    gpd.GeoDataFrame({"备注": ["边界"]}, geometry=[Polygon(square(106.4, 29.8, 106.5, 29.85)[0])],
                     crs=4326).to_file(p, layer="边界")
    _village_points().to_file(p, layer="村点")
    frame, report = coerce(p)
    assert only(report, "sublayer_chosen").value == "村点"
    assert len(frame) == 4 and int(frame["resident_children"].sum()) == 560


def test_geopackage_layer_chosen_by_the_planner_and_unknown_layer(tmp_path):
    p = tmp_path / "data.gpkg"
    _village_points(2).to_file(p, layer="2023")
    _village_points(4).to_file(p, layer="2024")
    frame, report = coerce(p, sheet="2024")
    assert len(frame) == 4 and "sublayer_chosen" not in report.codes()
    frame, report = coerce(p, sheet="2025")
    assert frame is None and "2023" in only(report, "unknown_sublayer").en


def test_shapefile_zip_without_its_dbf(tmp_path):
    shp = tmp_path / "villages.shp"
    _village_points().to_file(shp)
    z = tmp_path / "villages.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for ext in (".shp", ".shx", ".prj"):
            zf.write(shp.with_suffix(ext), f"villages{ext}")
    frame, report = coerce(z)
    p2 = only(report, "shapefile_incomplete")
    assert frame is None and p2.value == ".dbf" and ".dbf" in p2.zh


def test_shapefile_on_disk_without_its_dbf(tmp_path):
    shp = tmp_path / "villages.shp"
    _village_points().to_file(shp)
    shp.with_suffix(".dbf").unlink()
    _, report = coerce(shp)
    assert only(report, "shapefile_incomplete").value == ".dbf"


def test_single_part_multipoint_villages_are_points(tmp_path):
    g = _village_points()
    g = g.set_geometry([MultiPoint([p]) for p in g.geometry])
    p = tmp_path / "villages.gpkg"
    g.to_file(p)
    frame, report = coerce(p)
    assert report.ok and len(frame) == 4
    assert set(frame.geometry.geom_type) == {"Point"}
    assert len([q for q in report.problems if q.code == "multipoint_reduced"]) == 4


def test_multi_part_multipoint_village_is_an_error_and_site_does_not_crash(tmp_path, capsys):
    from childplan.cli import main

    g = _village_points()
    geoms = list(g.geometry)
    geoms[1] = MultiPoint([geoms[1], Point(106.44, 29.84)])
    g = g.set_geometry(geoms)
    p = tmp_path / "villages.gpkg"
    g.to_file(p)
    frame, report = coerce(p)
    p2 = only(report, "multipoint_feature")
    assert (p2.row, p2.value) == (2, "2") and len(frame) == 3
    src = toy_county(tmp_path, p)
    rc = main(["site", "--out", str(tmp_path / "o")] + [f"{k}={v}" for k, v in src.items()])
    out = capsys.readouterr().out
    assert rc == 1 and "MultiPoint" in out and "no plan was made" in out
    assert "internal error" not in out


# --- encodings ---------------------------------------------------------------------------

def test_gbk_file_with_three_bad_bytes_is_read_with_a_warning(tmp_path):
    text = "\n".join([VILLAGE_HEADER] + VILLAGE_ROWS) + "\n"
    data = bytearray(text.encode("gbk"))
    at = bytes(data).index("丁社区".encode("gbk"))
    data[at:at + 2] = b"\xff\xff"  # 丁 destroyed
    tail = bytes(data).index("丙村".encode("gbk"))
    data[tail + 2:tail + 4] = b"\x80\xff"  # 村 of 丙村 destroyed (one more bad byte)
    p = tmp_path / "v.csv"
    p.write_bytes(bytes(data))
    frame, report = coerce(p)
    w = only(report, "bad_bytes_replaced")
    assert w.severity == "warning" and w.row == 4 and "GBK" in w.zh
    assert frame["name"].tolist()[:2] == ["甲村", "乙村"]  # the rest decoded as GBK
    assert len(frame) == 4


def test_cpg_says_utf8_on_a_gbk_dbf(tmp_path):
    g = gpd.GeoDataFrame({"乡镇代码": ["500109102"], "乡镇名称": ["澄江镇"]},
                         geometry=[Polygon(square(106.40, 29.80, 106.45, 29.85)[0])], crs=4326)
    p = tmp_path / "t.shp"
    g.to_file(p, encoding="gbk")
    p.with_suffix(".cpg").write_text("UTF-8", encoding="ascii")
    frame, report = coerce(p, "townships")
    assert only(report, "cpg_mismatch").value == "utf-8"
    assert frame[["township_code", "name"]].values.tolist() == [["500109102", "澄江镇"]]
    assert report.ok


# --- codes -------------------------------------------------------------------------------

def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in s)


def test_full_width_codes_and_counts_are_normalised(tmp_path):
    rows = [list(r) for r in ROWS]
    for r in rows:
        r[0], r[2], r[3] = _fullwidth(r[0]), _fullwidth(r[2]), _fullwidth(r[3])
    p = write_csv(tmp_path / "villages.csv", [VILLAGE_HEADER] + [",".join(r) for r in rows])
    data = load_county(toy_county(tmp_path, p))
    assert data.report.ok, data.report.render()
    assert sorted(data.villages["village_code"]) == sorted(CODES)
    assert int(data.villages["resident_children"].sum()) == 560


def test_codes_in_scientific_notation_are_one_problem_not_duplicates(tmp_path):
    rows = [set_cell(r, "village_code", "5.00109E+11") for r in ROWS]
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER] + [",".join(r) for r in rows])
    frame, report = coerce(p)
    p2 = only(report, "code_precision_lost")
    assert (p2.row, p2.column, p2.value) == (2, "village_code", "4")
    assert "不要删除" in p2.fix_zh and "do not delete" in p2.fix_en
    assert "duplicate_code" not in report.codes() and "malformed_code" not in report.codes()


def test_codes_that_lost_digits_and_came_back_are_not_duplicates(tmp_path):
    rows = [set_cell(r, "village_code", "500109000000") for r in ROWS]
    rows[3] = set_cell(rows[3], "village_code", CODES[3])  # one survived
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER] + [",".join(r) for r in rows])
    frame, report = coerce(p)
    assert only(report, "code_precision_lost").value == "3"
    assert report.codes().count("duplicate_code") == 0
    assert frame["village_code"].tolist() == [CODES[3]]


def test_a_bad_village_code_does_not_cascade_into_roster_and_facilities(tmp_path):
    rows = [set_cell(r, "village_code", "5.00109E+11") if k < 2 else r
            for k, r in enumerate(ROWS)]
    v = write_csv(tmp_path / "villages.csv", [VILLAGE_HEADER] + [",".join(r) for r in rows])
    roster = write_csv(tmp_path / "roster.csv", ["person_code,village_code,township_code,role,"
                                                 "gender"] + [f"P{k},{CODES[k % 2]},500109102,"
                                                              "网格员,女" for k in range(6)])
    fac = write_csv(tmp_path / "facilities.csv", [
        "facility_id,kind,village_code,lon,lat", f"F1,村小,{CODES[0]},106.41,29.81",
        f"F2,村小,{CODES[1]},106.43,29.83"])
    data = load_county(toy_county(tmp_path, v, roster=roster, facilities=fac))
    codes = data.report.codes()
    assert codes.count("code_precision_lost") == 1
    assert codes.count("unknown_village") == 2  # one for the roster, one for the facilities
    r = [p for p in data.report.problems if p.code == "unknown_village" and p.layer == "roster"]
    assert r[0].value == "6" and r[0].row == 2


# --- plausibility ------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["1000000000000", "100000000000000000000", "1e20"])
def test_absurd_counts_are_errors_not_overflows(tmp_path, value):
    rows = [list(r) for r in ROWS]
    rows[1] = set_cell(rows[1], "resident_children", value)
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER] + [",".join(r) for r in rows])
    frame, report = coerce(p)
    p2 = only(report, "implausible_count")
    assert (p2.row, p2.column) == (3, "resident_children")
    assert int(frame["resident_children"].sum()) == 480 and frame["resident_children"].max() < 2**31


def test_count_above_the_policy_bound_and_a_raised_bound(tmp_path):
    from optimization.policy import load_policy

    rows = [list(r) for r in ROWS]
    rows[3] = set_cell(rows[3], "resident_children", "25000")
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER] + [",".join(r) for r in rows])
    _, report = coerce(p)
    p2 = only(report, "implausible_count")
    assert p2.row == 5 and "data.max_resident_children_per_village" in p2.en
    bounds = load_policy(overrides={"data.max_resident_children_per_village": 30000}).data
    frame, report = coerce(p, bounds=bounds)
    assert report.ok and len(frame) == 4


def test_resident_column_holding_left_behind_counts_is_implausible(tmp_path):
    rows = [set_cell(r, "resident_children", r[4]) for r in ROWS]  # resident = left-behind
    rows = [set_cell(r, "key_attention", "0") for r in rows]
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER] + [",".join(r) for r in rows])
    _, report = coerce(p)
    assert "targets_share_implausible" in report.codes()


@pytest.mark.parametrize("value,code", [("inf", "not_a_number"), ("-inf", "not_a_number"),
                                        ("NaN", "missing_value")])
def test_inf_and_nan_in_counts(tmp_path, value, code):
    rows = [list(r) for r in ROWS]
    rows[0] = set_cell(rows[0], "resident_children", value)
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER] + [",".join(r) for r in rows])
    frame, report = coerce(p)
    assert only(report, code).row == 2 and len(frame) == 3


# --- synonyms and split columns ----------------------------------------------------------

NATIONAL_HEADER = ["统计用区划代码", "村（居）委会名称", "常住儿童人数", "农村留守儿童人数", "孤儿人数",
                   "事实无人抚养儿童人数", "重病或重残儿童数", "是否脱贫村", "经度", "纬度"]


def _national_rows():
    flags = ["是", "否", "是", "否"]
    return [[r[0], r[1], r[3], r[4], r[5], r[6], r[7], f, r[11], r[12]]
            for r, f in zip(ROWS, flags, strict=True)]


def test_national_form_headers_are_recognised(tmp_path):
    p = write_csv(tmp_path / "v.csv", [",".join(NATIONAL_HEADER)]
                  + [",".join(r) for r in _national_rows()])
    frame, report = coerce(p)
    assert report.ok and not report.problems, report.render()
    # orphans 1+0+0+0, unsupported 0+1+0+0, illness 2+0+1+0, 脱贫村 甲 and 丙
    assert [int(frame[c].sum()) for c in ("orphan", "unsupported", "illness_disability")] \
        == [1, 1, 3]
    assert frame.loc[frame["poverty_village"], "village_code"].tolist() == [CODES[0], CODES[2]]


def test_poverty_village_synonym_reaches_the_funding_tilt(tmp_path):
    from childplan.workflows import township_units
    from optimization.policy import load_policy

    p = write_csv(tmp_path / "villages.csv", [",".join(NATIONAL_HEADER)]
                  + [",".join(r) for r in _national_rows()])
    fac = write_csv(tmp_path / "facilities.csv", ["facility_id,kind,village_code,lon,lat",
                                                  f"F1,村小,{CODES[0]},106.41,29.81"])
    data = load_county(toy_county(tmp_path, p, facilities=fac))
    assert data.report.ok, data.report.render()
    t = township_units(data, load_policy()).table.set_index("unit_code")
    # targets = left-behind + difficulty: 甲 20+1+0+2 = 23, 乙 10+0+1+0 = 11 -> 23/34 in 脱贫村;
    # 丙 12+0+0+1 = 13, 丁 3 -> 13/16.
    assert t.loc["500109102", "poverty_village_share"] == pytest.approx(23 / 34, abs=1e-4)
    assert t.loc["500109104", "poverty_village_share"] == pytest.approx(13 / 16, abs=1e-4)


def _split_sex_rows():
    # left-behind split by sex: 甲 20 = 12+8, 乙 10 = 4+6, 丙 12 = 5+7, 丁 3 = 1+2
    sex = [(12, 8), (4, 6), (5, 7), (1, 2)]
    head = ["村代码", "村名称", "常住儿童数", "农村留守儿童数（男）", "农村留守儿童数（女）", "经度", "纬度"]
    rows = [[r[0], r[1], r[3], str(m), str(f), r[11], r[12]]
            for r, (m, f) in zip(ROWS, sex, strict=True)]
    return head, rows


def test_left_behind_split_by_sex_is_summed(tmp_path):
    head, rows = _split_sex_rows()
    p = write_csv(tmp_path / "v.csv", [",".join(head)] + [",".join(r) for r in rows])
    frame, report = coerce(p)
    w = only(report, "split_columns_summed")
    assert w.column == "农村留守儿童数（男）+农村留守儿童数（女）"
    assert "不要删除" in w.fix_zh and "duplicate_column" not in report.codes()
    assert frame["left_behind"].tolist() == [20, 10, 12, 3] and report.ok


def test_resident_split_by_age_band_is_summed_and_the_plan_uses_the_total(tmp_path):
    from childplan.workflows import run_siting
    from optimization.policy import load_policy

    # 甲村 120 = 50 (0-6) + 70 (7-17): with only the first column it would be 50 < 100 and
    # lose its own home. 丁社区 300 = 100 + 200. Own homes: 甲 and 丁 -> 2 homes.
    bands = [(50, 70), (30, 50), (20, 40), (100, 200)]
    head = ["村代码", "村名称", "常住儿童数（0-6岁）", "常住儿童数（7-17岁）", "留守儿童数", "经度", "纬度"]
    rows = [[r[0], r[1], str(a), str(b), r[4], r[11], r[12]]
            for r, (a, b) in zip(ROWS, bands, strict=True)]
    p = write_csv(tmp_path / "villages.csv", [",".join(head)] + [",".join(r) for r in rows])
    data = load_county(toy_county(tmp_path, p))
    assert data.report.ok, data.report.render()
    assert data.villages.set_index("village_code")["resident_children"].to_dict() == dict(
        zip(CODES, [120, 80, 60, 300], strict=True))
    res = run_siting(data, load_policy())
    homes = res["homes"]
    assert len(homes) == 2
    own = res["assignments"].set_index("village_code")["own_home"]
    assert own[CODES[0]] and own[CODES[3]] and not own[CODES[1]] and not own[CODES[2]]


def test_two_header_rows_with_sex_under_left_behind(tmp_path):
    head, rows = _split_sex_rows()
    top = ["村代码", "村名称", "常住儿童数", "农村留守儿童数", "", "经度", "纬度"]
    sub = ["", "", "", "男", "女", "", ""]
    p = write_csv(tmp_path / "v.csv", [",".join(top), ",".join(sub)]
                  + [",".join(r) for r in rows])
    frame, report = coerce(p)
    assert "split_columns_summed" in report.codes() and report.ok, report.render()
    assert int(frame["left_behind"].sum()) == 45


def test_split_columns_beside_their_total_are_not_added_again(tmp_path):
    head, rows = _split_sex_rows()
    head = head[:3] + ["农村留守儿童数"] + head[3:]
    rows = [r[:3] + [str(int(r[3]) + int(r[4]))] + r[3:] for r in rows]
    p = write_csv(tmp_path / "v.csv", [",".join(head)] + [",".join(r) for r in rows])
    frame, report = coerce(p)
    assert "split_columns_unused" in report.codes() and report.ok
    assert int(frame["left_behind"].sum()) == 45


def test_a_single_part_column_is_an_error_not_a_total(tmp_path):
    head, rows = _split_sex_rows()
    head = head[:4] + head[5:]
    rows = [r[:4] + r[5:] for r in rows]
    p = write_csv(tmp_path / "v.csv", [",".join(head)] + [",".join(r) for r in rows])
    frame, report = coerce(p)
    assert only(report, "split_column_incomplete").column == "农村留守儿童数（男）"
    assert only(report, "missing_column").column == "left_behind" and frame is None


def test_sex_and_age_partitions_of_one_count_are_not_both_summed(tmp_path):
    head, rows = _split_sex_rows()
    head = head[:5] + ["农村留守儿童数（0-6岁）", "农村留守儿童数（7-17岁）"] + head[5:]
    rows = [r[:5] + ["10", str(int(r[3]) + int(r[4]) - 10)] + r[5:] for r in rows]
    p = write_csv(tmp_path / "v.csv", [",".join(head)] + [",".join(r) for r in rows])
    frame, report = coerce(p)
    w = only(report, "split_columns_summed")
    assert "农村留守儿童数（0-6岁）" in w.zh  # named as not used
    assert frame["left_behind"].tolist()[1] == 10  # 4 + 6, not 4 + 6 + 10 + 0


def test_a_bad_cell_in_a_split_column_is_located(tmp_path):
    head, rows = _split_sex_rows()
    rows[2][4] = "七"
    p = write_csv(tmp_path / "v.csv", [",".join(head)] + [",".join(r) for r in rows])
    _, report = coerce(p)
    p2 = only(report, "not_a_number")
    assert (p2.row, p2.value) == (4, "七") and "农村留守儿童数（女）" in p2.column


@pytest.mark.parametrize("header", ["留守老人数", "困境妇女人数", "适龄儿童入学人数"])
def test_count_looking_column_that_maps_to_nothing_is_named(tmp_path, header):
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER + "," + header]
                  + [r + ",7" for r in VILLAGE_ROWS])
    frame, report = coerce(p)
    assert only(report, "unmapped_count_column").column == header and report.ok


def test_a_non_count_extra_column_is_silent(tmp_path):
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER + ",备注"] + [r + ",无" for r in
                                                                   VILLAGE_ROWS])
    _, report = coerce(p)
    assert not report.problems


# --- facility status ---------------------------------------------------------------------

FAC = "facility_id,kind,name,village_code,lon,lat"


def _facilities(tmp_path, lines, header=FAC):
    return write_csv(tmp_path / "facilities.csv", [header] + lines)


def test_status_is_read_from_the_type_text(tmp_path):
    p = _facilities(tmp_path, [f"F1,儿童之家（拟建）,甲村儿童之家,{CODES[0]},106.41,29.81",
                               f"F2,村小（已撤并）,乙村小学,{CODES[1]},106.43,29.83",
                               f"F3,儿童之家(在建),丙村儿童之家,{CODES[2]},106.47,29.82",
                               f"F4,村小,丁村小学,{CODES[3]},106.48,29.84"])
    frame, report = coerce(p, "facilities")
    assert report.ok, report.render()
    assert frame["kind"].tolist() == ["children_home", "primary_school", "children_home",
                                      "primary_school"]
    assert frame["status"].tolist() == ["planned", "closed", "under_construction", "existing"]


def test_status_column_and_a_conflict_with_the_type_text(tmp_path):
    p = _facilities(tmp_path, [f"F1,儿童之家,a,{CODES[0]},106.41,29.81,规划",
                               f"F2,儿童之家（拟建）,b,{CODES[1]},106.43,29.83,现有"],
                    header=FAC + ",建设状态")
    frame, report = coerce(p, "facilities")
    assert frame["status"].tolist()[0] == "planned"
    p2 = only(report, "status_conflict")
    assert (p2.row, p2.column) == (3, "建设状态")


def test_closed_hosts_never_host_and_planned_homes_are_not_existing(tmp_path):
    from geo.siting_inputs import candidate_sites
    from optimization.policy import load_policy

    fac = _facilities(tmp_path, [f"F1,儿童之家（拟建）,a,{CODES[1]},106.43,29.83",
                                 f"F2,村小（已撤并）,b,{CODES[2]},106.47,29.82",
                                 f"F3,村小,c,{CODES[3]},106.48,29.84",
                                 f"F4,儿童之家,d,{CODES[0]},106.41,29.81"])
    v = write_csv(tmp_path / "villages.csv", [VILLAGE_HEADER] + VILLAGE_ROWS)
    data = load_county(toy_county(tmp_path, v, facilities=fac))
    assert data.report.ok, data.report.render()
    policy = load_policy()
    sites = candidate_sites(data.villages, data.facilities, policy.siting).set_index("site_id")
    assert "F2" not in sites.index  # closed school
    assert sites.loc["F4", "status"] == "existing" and sites.loc["F3", "status"] == "reuse"
    assert sites.loc["F1", "status"] == "new"  # planned: not built yet
    assert sites.loc["F1", "cost_yuan"] == policy.siting.cost_yuan["new_build"]


# --- every problem at once, in the planner's words ----------------------------------------

def test_a_missing_column_does_not_hide_the_other_problems(tmp_path):
    head = [h for h in HEADER if h != "left_behind"]
    rows = [[c for h, c in zip(HEADER, r, strict=True) if h != "left_behind"] for r in ROWS]
    rows[1][head.index("resident_children")] = "-1"
    rows[2][head.index("village_code")] = "123"
    p = write_csv(tmp_path / "v.csv", [",".join(head)] + [",".join(r) for r in rows])
    frame, report = coerce(p)
    assert frame is None
    assert sorted((p.code, p.row) for p in report.problems) == [
        ("malformed_code", 4), ("missing_column", None), ("negative_count", 3)]


def test_problems_use_the_planners_own_column_names(tmp_path):
    head = ["村（社区）代码", "村名", "常住儿童数（人）", "留守儿童人数", "经度", "纬度"]
    rows = [[r[0], r[1], r[3], r[4], r[11], r[12]] for r in ROWS]
    rows[2][2] = "六十"
    p = write_csv(tmp_path / "v.csv", [",".join(head)] + [",".join(r) for r in rows])
    _, report = coerce(p)
    assert only(report, "not_a_number").column == "常住儿童数（人）"


def test_the_report_groups_problems_by_kind(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[0] = set_cell(rows[0], "resident_children", "-1")
    rows[2] = set_cell(rows[2], "resident_children", "-2")
    rows[1] = set_cell(rows[1], "orphan", "x")
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER] + [",".join(r) for r in rows])
    _, report = coerce(p)
    text = report.render()
    assert "── 错误 negative_count × 2 / error negative_count × 2" in text
    assert text.index("第2行") < text.index("第4行") < text.index("not_a_number ×")
    assert list(report.groups()) == [("error", "negative_count"), ("error", "not_a_number")]


# --- column mapping templates -------------------------------------------------------------

def test_mapping_file_maps_unknown_headers_for_the_cli(tmp_path, capsys):
    from childplan.cli import main
    from geo.importer import save_mapping

    head = ["编码", "村庄", "娃娃数", "留守娃", "经度", "纬度"]
    rows = [[r[0], r[1], r[3], r[4], r[11], r[12]] for r in ROWS]
    v = write_csv(tmp_path / "villages.csv", [",".join(head)] + [",".join(r) for r in rows])
    m = save_mapping(tmp_path / "map.json", {"villages": {
        "编码": "village_code", "村庄": "name", "娃娃数": "resident_children",
        "留守娃": "left_behind"}})
    src = toy_county(tmp_path, v)
    args = ["validate"] + [f"{k}={p}" for k, p in src.items()]
    assert main(args) == 1  # without the mapping: the required columns are missing
    assert "missing_column" in capsys.readouterr().out
    assert main(args + ["--mapping", str(m)]) == 0
    assert "villages: 4" in capsys.readouterr().out


def test_mapping_can_ignore_a_column_and_bad_mappings_are_reported(tmp_path):
    from geo.importer import load_mapping

    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER + ",留守老人数"] + [r + ",7" for r in
                                                                     VILLAGE_ROWS])
    frame, report = coerce(p, mapping={"留守老人数": ""})
    assert report.ok and not report.problems
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"villages": {"x": "no_such_field"}, "nope": {}}), encoding="utf-8")
    rep = Report()
    assert load_mapping(bad, rep) == {"villages": {}}
    assert rep.codes() == ["bad_mapping", "bad_mapping"]
    assert load_mapping(tmp_path / "missing.json", rep) == {}


def test_suggested_mapping_and_template_round_trip(tmp_path):
    from geo.importer import load_mapping, save_mapping, suggest_mapping

    s = suggest_mapping("villages", ["村（居）委会代码", "村居名称", "常住儿童总数", "农村留守儿童人数",
                                     "孤儿人数", "备注", "常驻儿童数"])
    assert s == {"村（居）委会代码": "village_code", "村居名称": "name",
                 "常住儿童总数": "resident_children", "农村留守儿童人数": "left_behind",
                 "孤儿人数": "orphan", "备注": "", "常驻儿童数": ""}
    path = save_mapping(tmp_path / "t.json", {"villages": s})
    assert load_mapping(path) == {"villages": s}


def test_preview_suggests_a_mapping_and_the_upload_uses_the_planners_choice(tmp_path):
    from childplan import ui
    from geo.importer import preview

    head = ["编码", "村（居）委会名称", "常住儿童人数", "留守娃", "经度", "纬度"]
    rows = [[r[0], r[1], r[3], r[4], r[11], r[12]] for r in ROWS]
    x = write_xlsx(tmp_path / "v.xlsx", {"封面": [["北碚区"]], "村": [["统计表"], head]
                                         + [cells(r) for r in rows]})
    info = preview("v.xlsx", x.read_bytes(), "villages")
    assert info["sheets"] == ["封面", "村"] and info["sheet"] == "村" and info["rows"] == 4
    assert info["suggestion"] == {"编码": "", "村（居）委会名称": "name",
                                  "常住儿童人数": "resident_children", "留守娃": "", "经度": "lon",
                                  "纬度": "lat"}
    chosen = dict(info["suggestion"], **{"编码": "village_code", "留守娃": "left_behind"})
    src = toy_county(tmp_path, x)
    files = tuple((k, Path(v).name, Path(v).read_bytes(), "wgs84") for k, v in src.items())
    data = ui._cached_upload((files, None, (("villages", "村", json.dumps(chosen)),)))
    assert data.report.ok, data.report.render()
    assert int(data.villages["left_behind"].sum()) == 45


# --- more shapes of county returns -------------------------------------------------------

def test_required_marks_and_line_breaks_in_headers(tmp_path):
    head = ["*村代码", "*村名称", "常住\n儿童数", "★留守儿童数", "经度", "纬度"]
    rows = [[r[0], r[1], r[3], r[4], r[11], r[12]] for r in ROWS]
    p = write_xlsx(tmp_path / "v.xlsx", {"Sheet1": [head] + [cells(r) for r in rows]})
    frame, report = coerce(p)
    assert report.ok, report.render()
    assert int(frame["resident_children"].sum()) == 560


@pytest.mark.parametrize("code", ["'500109102002", '="500109102002"', "500109 102 002"])
def test_codes_kept_as_text_the_excel_way(tmp_path, code):
    rows = [list(r) for r in ROWS]
    rows[1] = set_cell(rows[1], "village_code", code)
    p = tmp_path / "v.csv"
    import csv as _csv

    with open(p, "w", newline="", encoding="utf-8") as fh:
        w = _csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    frame, report = coerce(p)
    assert report.ok, report.render()
    assert frame["village_code"].tolist() == CODES


def test_dashes_mean_none_and_counts_with_a_unit(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[0] = set_cell(rows[0], "orphan", "—")
    rows[2] = set_cell(rows[2], "orphan", "/")
    rows[3] = set_cell(rows[3], "resident_children", "300人")
    p = write_csv(tmp_path / "v.csv", [VILLAGE_HEADER] + [",".join(r) for r in rows])
    frame, report = coerce(p)
    w = only(report, "dash_read_as_zero")
    assert (w.row, w.column, w.value, w.severity) == (2, "orphan", "2", "warning")
    assert frame["orphan"].tolist() == [0, 0, 0, 0]
    assert int(frame["resident_children"].sum()) == 560 and report.ok


def test_township_cells_merged_down_over_their_villages(tmp_path):
    head = ["乡镇代码", "村代码", "村名称", "常住儿童数", "留守儿童数", "经度", "纬度"]
    p = tmp_path / "v.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(head)
    for k, r in enumerate(ROWS):
        ws.append([int(r[2]) if k % 2 == 0 else None, int(r[0]), r[1], int(r[3]), int(r[4]),
                   float(r[11]), float(r[12])])
    ws.merge_cells("A2:A3")
    ws.merge_cells("A4:A5")
    wb.save(p)
    frame, report = coerce(p)
    assert report.ok, report.render()
    assert frame["township_code"].tolist() == ["500109102", "500109102", "500109104",
                                               "500109104"]
    w = only(report, "merged_cells_filled")
    assert (w.row, w.column, w.value) == (3, "乡镇代码", "2")


def test_roster_with_merged_township_and_the_roster_header_synonyms(tmp_path):
    p = tmp_path / "roster.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["儿童主任候选人名册"])
    ws.append(["人员编码", "所在乡镇代码", "居住村代码", "身份", "性别"])
    ws.append(["P1", 500109102, 500109102001, "网格员", "女"])
    ws.append(["P2", None, 500109102002, "妇女主任", "女"])
    ws.merge_cells("B3:B4")
    wb.save(p)
    frame, report = coerce(p, "roster")
    assert report.ok, report.render()
    assert frame["township_code"].tolist() == ["500109102", "500109102"]
    assert frame["_row"].tolist() == [3, 4]
