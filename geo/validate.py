"""Type, check and repair one layer; then check the layers against each other.

:func:`coerce_layer` turns a :class:`~geo.io.RawTable` into a typed (Geo)DataFrame following
its :class:`~geo.schema.LayerSchema`, reporting every bad cell (file, row, column, value, what
to do, in Chinese and English). Bad rows are kept out of the typed result, so nothing wrong
reaches a plan; the report says exactly which were left out.

:func:`validate_layers` runs the checks that need several layers: code prefixes against the
township and county, villages inside their township and the county, facilities inside the
county, roster villages that exist.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.coords import SUPPORTED_INPUT_SYSTEMS, convert_geometry, to_wgs84
from geo.crs import STORAGE_CRS, metric_crs_for
from geo.io import RawTable
from geo.pii import is_personal_header, scrub_person_codes
from geo.report import Report
from geo.schema import (
    BOOL_WORDS,
    COUNT_WORDS,
    DIFFICULTY_COLUMNS,
    ENUM_LABELS,
    ENUM_TABLE,
    FACILITY_KINDS,
    LAYERS,
    ROSTER_ROLES,
    WATER_KINDS,
    Column,
    LayerSchema,
    header_field,
    normalise_header,
    split_qualifier,
)

__all__ = ["PERSONAL_HEADERS", "coerce_layer", "validate_layers"]

#: Headers that carry personal data; dropped on load unless a personal list is requested.
PERSONAL_HEADERS = {
    normalise_header(h)
    for h in ("姓名", "名字", "儿童姓名", "监护人姓名", "身份证号", "身份证号码", "身份证",
              "公民身份号码", "联系电话", "手机", "手机号", "电话", "id_number", "idcard",
              "phone", "mobile", "person_name", "full_name")
}

_CHINA_LON = (73.0, 136.0)
_CHINA_LAT = (3.0, 54.0)
_CODE_LEN = {"code6": 6, "code9": 9, "code12": 12}
_GEOM_FAMILY = {
    "Point": "point", "MultiPoint": "point",
    "LineString": "line", "MultiLineString": "line",
    "Polygon": "polygon", "MultiPolygon": "polygon",
}

_KIND_HELP = {
    "code6": ("6 位数字的区县代码，例如 500109", "a 6-digit county code such as 500109"),
    "code9": ("9 位数字的乡镇代码，例如 500109102", "a 9-digit township code such as 500109102"),
    "code12": ("12 位数字的统计用区划代码，例如 500109102001",
               "a 12-digit statistical division code such as 500109102001"),
    "count": ("填写 0 或正整数", "enter 0 or a whole positive number"),
    "int": ("填写整数", "enter a whole number"),
    "float": ("填写数字", "enter a number"),
    "bool": ("填写 是/否（或 1/0）", "enter yes/no (or 1/0)"),
    "date": ("填写日期，格式 2024-03-15", "enter a date as 2024-03-15"),
    "lon": ("填写 WGS84 经度（73–136 之间的小数）", "enter a WGS84 longitude (73–136)"),
    "lat": ("填写 WGS84 纬度（3–54 之间的小数）", "enter a WGS84 latitude (3–54)"),
    "str": ("填写文字", "enter text"),
}


def _enum_labels(schema: LayerSchema, col: Column) -> dict[str, str]:
    table = ENUM_TABLE.get((schema.name, col.name))
    labels = {normalise_header(k): v for k, v in ENUM_LABELS.get(table, {}).items()}
    for key in col.choices:
        labels[normalise_header(key)] = key
    return labels


def _choices_text(schema: LayerSchema, col: Column) -> tuple[str, str]:
    names = {
        ("facilities", "kind"): FACILITY_KINDS,
        ("roster", "role"): ROSTER_ROLES,
        ("waterways", "kind"): {k: v[:2] for k, v in WATER_KINDS.items()},
    }.get((schema.name, col.name))
    if names:
        zh = "、".join(f"{v[0]}（{k}）" for k, v in names.items())
        en = ", ".join(f"{k} ({v[1]})" for k, v in names.items())
        return zh, en
    return "、".join(col.choices), ", ".join(col.choices)


class _Ctx:
    """Where we are, to add problems tersely."""

    def __init__(self, schema: LayerSchema, raw: RawTable, report: Report, ids: pd.Series | None):
        self.schema, self.raw, self.report, self.ids = schema, raw, report, ids
        #: canonical field -> the planner's own header (messages use the planner's words)
        self.headers: dict[str, str] = {}
        #: code column -> [(row index, text)] of codes that lost digits in Excel
        self.lost: dict[str, list[tuple[int, str]]] = {}

    def add(self, severity, code, i, column, value, zh, en, fix_zh, fix_en):
        fid = None
        if self.ids is not None and i is not None:
            v = self.ids.iloc[i]
            fid = v if isinstance(v, str) and v else None
        self.report.add(
            severity, code, layer=self.schema.name, file=self.raw.file,
            row=None if i is None else self.raw.row(i), feature_id=fid,
            column=self.headers.get(column, column), value=value, zh=zh, en=en, fix_zh=fix_zh,
            fix_en=fix_en,
        )


_SEX = {"男", "女", "男性", "女性", "男童", "女童"}


def _rename_headers(schema: LayerSchema, frame: pd.DataFrame, ctx: _Ctx, allow_personal: bool,
                    mapping: dict[str, str] | None = None):
    """Rename the planner's headers to our fields; sum split counts; warn on unmapped counts."""
    amap = schema.alias_map()
    rename, seen, drop = {}, {}, []
    parts: dict[str, list[tuple[str, str]]] = {}
    geom_name = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    for c in frame.columns:
        if c == geom_name:
            continue
        key = normalise_header(c)
        if key in PERSONAL_HEADERS or is_personal_header(c) or (schema.name == "roster"
                                                                and key == "name"):
            if not allow_personal:
                drop.append(c)
                ctx.add("warning", "personal_column_dropped", None, str(c), None,
                        "该列为个人信息（姓名、身份证号或电话），已丢弃，不保存也不导出",
                        "this column holds personal data (name, ID number or phone); it was "
                        "dropped and is neither stored nor exported",
                        "规划只需要编码与汇总数；如确需个人名单，请在导出时明确选择",
                        "plans need codes and counts only; ask for a personal list explicitly "
                        "when exporting if you really need one")
            continue
        ignored = bool(mapping) and any(
            (k == c or normalise_header(k) == key) and not v for k, v in mapping.items())
        canon = header_field(schema.name, c, mapping)
        if canon is not None and canon not in {col.name for col in schema.all_columns}:
            canon = None  # a mapping to a field this layer does not have
        if canon is None and not ignored and len(key) >= 2 and any(ord(ch) > 127 for ch in key):
            # A Chinese header cut short (Shapefile field names): accept a unique prefix.
            hits = {v for k, v in amap.items() if k.startswith(key)}
            canon = hits.pop() if len(hits) == 1 else None
        if canon is None:
            if not ignored and not str(c).startswith("_列") and any(
                    w in str(c).lower() for w in COUNT_WORDS):
                drop.append(c)
                ctx.add("warning", "unmapped_count_column", None, str(c), None,
                        f"列“{c}”看起来是人数，但不对应任何字段，未被使用",
                        f"column '{c}' looks like a count but maps to no field; it was not used",
                        "如该列应计入，请在“列对应”中指定字段（命令行 --mapping），或改用标准表头（见数据说明）",
                        "if it should count, map it to a field in the column-mapping step "
                        "(CLI: --mapping), or use a standard header (see the data guide)")
            continue
        col = schema.column(canon)
        q = split_qualifier(c)
        if col.kind == "count" and q is not None:
            parts.setdefault(canon, []).append((c, q))
            continue
        if canon in seen:
            ctx.add("warning", "duplicate_column", None, str(c), None,
                    f"列“{c}”与列“{seen[canon]}”表示同一字段 {canon}，只使用前者",
                    f"column '{c}' means the same field {canon} as '{seen[canon]}'; the first "
                    "is used",
                    "核对两列；如确为重复，可删除后者", "check both; if it is a true duplicate, "
                    "delete the second")
            drop.append(c)
            continue
        seen[canon] = c
        rename[c] = canon
    added: dict[str, list] = {}
    for canon, cols in parts.items():
        names = [c for c, _ in cols]
        sex = [(c, q) for c, q in cols if q in _SEX]
        other = [(c, q) for c, q in cols if q not in _SEX]
        col = schema.column(canon)
        if canon in seen:
            ctx.add("warning", "split_columns_unused", None, "、".join(names), None,
                    f"已有合计列“{seen[canon]}”，分列 {'、'.join(names)} 未再相加",
                    f"the total column '{seen[canon]}' is used; the part columns "
                    f"{', '.join(names)} were not added again",
                    "无需处理", "nothing to do")
            drop.extend(names)
            continue
        use = sex if len(sex) >= 2 else other
        if len({q for _, q in use}) < 2:
            ctx.add("error", "split_column_incomplete", None, "、".join(names), None,
                    f"“{col.zh}”只有分列 {'、'.join(names)}，缺少其他部分，无法得到总数",
                    f"'{col.en}' has only the part column(s) {', '.join(names)}; the other "
                    "part is missing, so the total is unknown",
                    f"补上其余分列，或添加合计列“{col.zh}”",
                    f"add the other part column(s), or a total column '{col.zh}'")
            drop.extend(names)
            continue
        unused = [c for c, _ in cols if (c, _) not in use]
        used = [c for c, _ in use]
        label = "+".join(used)
        total_cells = []
        for vals in zip(*(frame[c].tolist() for c in used), strict=True):
            texts = ["" if v is None or (isinstance(v, float) and v != v) else str(v).strip()
                     for v in vals]
            nums = [_parse_number(t) if t else 0.0 for t in texts]
            if all(not t for t in texts):
                total_cells.append("")
            elif any(n is None for n in nums):
                total_cells.append(next(t for t, n in zip(texts, nums, strict=True) if n is None))
            else:
                tot = sum(nums)
                total_cells.append(str(int(tot)) if float(tot).is_integer() else str(tot))
        added[canon] = total_cells
        ctx.headers[canon] = label
        ctx.add("warning", "split_columns_summed", None, label, None,
                f"“{col.zh}”分列填写（{'、'.join(used)}），已相加作为总数"
                + (f"；另有分列 {'、'.join(unused)} 与之重叠，未使用" if unused else ""),
                f"'{col.en}' is split over {', '.join(used)}; they were summed into the total"
                + (f"; the overlapping part columns {', '.join(unused)} were not used"
                   if unused else ""),
                "请核对总数；不要删除这些列", "check the totals; do not delete these columns")
        drop.extend(names)
    for c, canon in rename.items():
        ctx.headers[canon] = str(c)
    frame = frame.drop(columns=drop).rename(columns=rename)
    for canon, cells in added.items():
        frame[canon] = cells
    return frame


def _nfkc(value) -> str:
    """Full-width digits and letters to ASCII (５００１０９ -> 500109), spaces trimmed."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def _parse_code(value: str, kind: str) -> str | None:
    s = _nfkc(value).replace(" ", "")
    # Excel's ways of keeping a code as text: a leading apostrophe, or ="500109102001"
    m = re.fullmatch(r'="?(\d+)"?', s)
    s = m.group(1) if m else s.lstrip("'`")
    if re.fullmatch(r"\d+\.0+", s):
        s = s.split(".")[0]
    n = _CODE_LEN[kind]
    if kind == "code9" and re.fullmatch(r"\d{9}000", s):
        s = s[:9]
    return s if re.fullmatch(rf"\d{{{n}}}", s) else None


#: Cells that mean "none" in Chinese statistical tables: read as 0 (one warning per column).
_DASHES = {"-", "—", "–", "－", "/", "／", "\\", "无", "——", "--"}


def _parse_number(value: str) -> float | None:
    s = _nfkc(value).replace(",", "").replace("，", "")
    s = re.sub(r"(?<=\d)\s*(人|名|个|户)$", "", s)  # "120人"
    try:
        v = float(s)
    except ValueError:
        return None
    return v if np.isfinite(v) else None


#: A code that Excel turned into a number and lost digits of: shown in scientific notation.
_SCI = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")

#: No count of children is near this; above it an int64 column could overflow downstream.
_HARD_MAX_COUNT = 10_000_000


def _parse_bool(value: str) -> bool | None:
    s = str(value).strip().lower()
    if s in BOOL_WORDS["true"]:
        return True
    if s in BOOL_WORDS["false"]:
        return False
    return None


def _parse_date(value: str) -> date | None:
    s = str(value).strip().replace("/", "-").replace(".", "-")
    s = re.sub(r"(\d{4})年(\d{1,2})月(\d{1,2})日?", r"\1-\2-\3", s)
    try:
        return pd.Timestamp(s).date() if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", s) else None
    except ValueError:
        return None


#: Column kinds checked by one parser each: kind -> (parser, problem code, zh, en message).
_SIMPLE = {
    "float": (_parse_number, "not_a_number", "“{}”不是数字", "'{}' is not a number"),
    "lon": (_parse_number, "not_a_number", "“{}”不是数字", "'{}' is not a number"),
    "lat": (_parse_number, "not_a_number", "“{}”不是数字", "'{}' is not a number"),
    "bool": (_parse_bool, "not_a_bool", "“{}”应为 是/否", "'{}' must be yes or no"),
    "date": (_parse_date, "bad_date", "“{}”不是有效日期", "'{}' is not a valid date"),
}


def _type_column(schema: LayerSchema, col: Column, series: pd.Series, ctx: _Ctx, bad: set[int]):
    """Return a typed list for one column, marking bad rows."""
    out: list = []
    labels = _enum_labels(schema, col) if col.kind == "enum" else {}
    help_zh, help_en = _KIND_HELP.get(col.kind, ("", ""))
    dashes: list[int] = []
    out = _type_cells(schema, col, series, ctx, bad, labels, help_zh, help_en, out, dashes)
    if dashes:
        shown = "、".join(str(ctx.raw.row(i)) for i in dashes[:8]) + ("…" if len(dashes) > 8
                                                                     else "")
        ctx.add("warning", "dash_read_as_zero", dashes[0], col.name, f"{len(dashes)}",
                f"“{col.zh}”有 {len(dashes)} 个单元格填的是“—”或“/”，已按 0 读取（第 {shown} 行）",
                f"{len(dashes)} cell(s) of '{col.en}' hold a dash or slash; read as 0 (rows "
                f"{shown.replace('、', ', ')})",
                "如某处并非 0，请填写实际人数", "if any of them is not zero, enter the number")
    return out


def _type_cells(schema, col, series, ctx, bad, labels, help_zh, help_en, out, dashes):
    for i, raw in enumerate(series.tolist()):
        empty = raw is None or (isinstance(raw, float) and raw != raw) or str(raw).strip() in (
            "", "nan", "None", "NaN")
        if empty:
            if col.required:
                ctx.add("error", "missing_value", i, col.name, "",
                        f"必填字段“{col.zh}”为空", f"required field '{col.en}' is empty",
                        help_zh, help_en)
                bad.add(i)
            out.append(col.default)
            continue
        text = str(raw).strip()
        if col.kind in _CODE_LEN:
            v = _parse_code(text, col.kind)
            if v is None and _SCI.match(_nfkc(text)):
                ctx.lost.setdefault(col.name, []).append((i, text))
                bad.add(i)
            elif v is None:
                ctx.add("error", "malformed_code", i, col.name, text,
                        f"“{col.zh}”格式不对，应为{help_zh}",
                        f"'{col.en}' is malformed: expected {help_en}",
                        "检查位数；Excel 中请把代码列设为“文本”格式，避免变成科学计数法或丢失前导零",
                        "check the digits; in Excel format the code column as Text so it is not "
                        "turned into scientific notation")
                bad.add(i)
            out.append(v)
        elif col.kind in ("count", "int"):
            if col.kind == "count" and _nfkc(text) in _DASHES:
                dashes.append(i)
                out.append(0)
                continue
            v = _parse_number(text)
            if v is None:
                ctx.add("error", "not_a_number", i, col.name, text,
                        f"“{col.zh}”不是数字", f"'{col.en}' is not a number", help_zh, help_en)
                bad.add(i)
                out.append(None)
            elif not float(v).is_integer():
                ctx.add("error", "non_integer_count", i, col.name, text,
                        f"“{col.zh}”应为整数（人数不能有小数）",
                        f"'{col.en}' must be a whole number (people cannot be fractional)",
                        help_zh, help_en)
                bad.add(i)
                out.append(None)
            elif col.kind == "count" and v < 0:
                ctx.add("error", "negative_count", i, col.name, text,
                        f"“{col.zh}”不能为负数", f"'{col.en}' cannot be negative",
                        help_zh, help_en)
                bad.add(i)
                out.append(None)
            elif abs(v) > _HARD_MAX_COUNT:
                ctx.add("error", "implausible_count", i, col.name, text,
                        f"“{col.zh}”为 {text}，远超任何村（社区）的人数",
                        f"'{col.en}' is {text}, far more than any village could have",
                        "核对该单元格（是否误填了代码、身份证号或多打了几个 0）",
                        "check the cell (a code or ID number typed into it? extra zeros?)")
                bad.add(i)
                out.append(None)
            else:
                out.append(int(v))
        elif col.kind in _SIMPLE:
            parse, code, msg_zh, msg_en = _SIMPLE[col.kind]
            v = parse(text)
            if v is None:
                ctx.add("error", code, i, col.name, text, msg_zh.format(col.zh),
                        msg_en.format(col.en), help_zh, help_en)
                bad.add(i)
            out.append(v)
        elif col.kind == "enum":
            v = labels.get(normalise_header(text))
            if v is None:
                czh, cen = _choices_text(schema, col)
                code = "unknown_facility_type" if (schema.name, col.name) == (
                    "facilities", "kind") else "unknown_value"
                ctx.add("error", code, i, col.name, text,
                        f"“{col.zh}”的值无法识别", f"unknown value for '{col.en}'",
                        f"请使用以下之一：{czh}", f"use one of: {cen}")
                bad.add(i)
            out.append(v)
        else:
            out.append(text)
    return out


def _geometry_from_lonlat(frame: pd.DataFrame, ctx: _Ctx, bad: set[int], coord_system: str):
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)
    for i in range(len(frame)):
        if i in bad:
            continue
        x, y = lon[i], lat[i]
        if np.isnan(x) or np.isnan(y):
            ctx.add("error", "missing_coordinates", i, "lon/lat", "",
                    "缺少经纬度", "longitude/latitude missing",
                    "补全经纬度，或删除经纬度列并按村代码关联村点位",
                    "fill in the coordinates, or drop the lon/lat columns and join by village code")
            bad.add(i)
            continue
        if not (_CHINA_LON[0] <= x <= _CHINA_LON[1] and _CHINA_LAT[0] <= y <= _CHINA_LAT[1]):
            swapped = _CHINA_LON[0] <= y <= _CHINA_LON[1] and _CHINA_LAT[0] <= x <= _CHINA_LAT[1]
            ctx.add("error", "coordinates_out_of_range", i, "lon/lat", f"{x}, {y}",
                    "经纬度不在中国范围内" + ("，看起来经度与纬度写反了" if swapped else ""),
                    "coordinates are outside China" + (
                        "; longitude and latitude look swapped" if swapped else ""),
                    "经度约 73–136、纬度约 3–54；如为投影坐标（米），请转换为经纬度或上传带坐标系的空间文件",
                    "longitude is about 73–136 and latitude 3–54; projected metres must be "
                    "converted, or upload a spatial file that carries its CRS")
            bad.add(i)
    x, y = to_wgs84(np.nan_to_num(lon), np.nan_to_num(lat), coord_system)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(x, y), crs=STORAGE_CRS)


def _check_geometry(gdf: gpd.GeoDataFrame, schema: LayerSchema, ctx: _Ctx, bad: set[int],
                    coord_system: str, declared_crs):
    if gdf.crs is None:
        if declared_crs is not None:
            gdf = gdf.set_crs(declared_crs)
        else:
            ctx.add("error", "unknown_crs", None, "geometry", None,
                    "文件没有坐标系信息（缺少 .prj 或未声明 CRS）",
                    "the file has no coordinate reference system (missing .prj or CRS)",
                    "补上 .prj 文件，或另存为带坐标系的 GeoPackage；上传时也可声明 EPSG 代码（如 4326、4490）",
                    "add the .prj file, or save as a GeoPackage with its CRS; you can also "
                    "declare the EPSG code (e.g. 4326, 4490) when uploading")
            return None
    try:
        gdf = gdf.to_crs(STORAGE_CRS)
    except Exception as exc:  # pyproj errors on exotic CRS definitions
        ctx.add("error", "unknown_crs", None, "geometry", str(gdf.crs)[:60],
                f"无法转换该坐标系：{exc}", f"cannot transform this CRS: {exc}",
                "另存为 WGS84（EPSG:4326）或 CGCS2000（EPSG:4490）",
                "save it as WGS84 (EPSG:4326) or CGCS2000 (EPSG:4490)")
        return None
    if coord_system != "wgs84":
        gdf = gdf.set_geometry(convert_geometry(gdf.geometry.values, _converter(coord_system)))
    allowed = {_GEOM_FAMILY[t] for t in schema.geometry_types}
    geoms = list(gdf.geometry.values)
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            ctx.add("error", "empty_geometry", i, "geometry", None,
                    "几何为空", "the geometry is empty",
                    "在 GIS 软件中补画该要素或删除该行",
                    "draw the feature in your GIS or delete the row")
            bad.add(i)
            continue
        family = _GEOM_FAMILY.get(g.geom_type)
        if family not in allowed:
            ctx.add("error", "wrong_geometry_type", i, "geometry", g.geom_type,
                    f"几何类型应为 {'/'.join(schema.geometry_types)}",
                    f"geometry type must be {'/'.join(schema.geometry_types)}",
                    "检查是否上传了正确的图层", "check that you uploaded the right layer")
            bad.add(i)
            continue
        if g.geom_type == "MultiPoint" and "Point" in schema.geometry_types \
                and "MultiPoint" not in schema.geometry_types:
            pts = list(shapely.get_parts(g))
            if len(pts) == 1:
                geoms[i] = pts[0]
                ctx.add("warning", "multipoint_reduced", i, "geometry", "MultiPoint",
                        "要素为只含一个点的多点（MultiPoint），已按单点读取",
                        "the feature is a MultiPoint with one point; it was read as a point",
                        "无需处理；导出时可选“单部件”", "nothing to do; export single-part "
                        "features next time")
            else:
                ctx.add("error", "multipoint_feature", i, "geometry", f"{len(pts)}",
                        f"要素是含 {len(pts)} 个点的多点（MultiPoint），无法确定{schema.zh}的位置",
                        f"the feature is a MultiPoint of {len(pts)} points, so the "
                        f"{schema.en} location is ambiguous",
                        "在 GIS 中“多部件转单部件”，并为每个村（社区）只保留一个点（村委会位置）",
                        "run 'Multipart to singleparts' in your GIS and keep one point per "
                        "village (its committee office)")
                bad.add(i)
            continue
        if not g.is_valid:
            reason = shapely.is_valid_reason(g)
            fixed = shapely.make_valid(g)
            fixed = _extract_family(fixed, family)
            ok = (fixed is not None and not fixed.is_empty
                  and _GEOM_FAMILY.get(fixed.geom_type) == family
                  and (family != "polygon" or abs(fixed.area - abs(g.area)) <= 0.01 * max(
                      abs(g.area), 1e-12)))
            if ok:
                geoms[i] = fixed
                ctx.add("warning", "geometry_repaired", i, "geometry", reason,
                        "几何无效（如自相交），已自动修复，面积变化小于 1%",
                        "invalid geometry (e.g. self-intersection) was repaired; area changed "
                        "by less than 1 %",
                        "建议在 GIS 软件中检查该要素", "check the feature in your GIS")
            else:
                ctx.add("error", "invalid_geometry", i, "geometry", reason,
                        "几何无效且无法安全修复", "invalid geometry that cannot be repaired safely",
                        "在 GIS 软件中用“修复几何”工具处理后重新上传",
                        "run 'Fix geometries' in your GIS and upload again")
                bad.add(i)
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=STORAGE_CRS))
    # Coordinates that land outside China after conversion: probably a wrong CRS.
    b = gdf.geometry.bounds
    for i in range(len(gdf)):
        if i in bad:
            continue
        minx, miny, maxx, maxy = b.iloc[i]
        if not (_CHINA_LON[0] <= minx and maxx <= _CHINA_LON[1] and _CHINA_LAT[0] <= miny
                and maxy <= _CHINA_LAT[1]):
            ctx.add("error", "coordinates_out_of_range", i, "geometry",
                    f"{minx:.4f}, {miny:.4f}",
                    "要素位置不在中国范围内，坐标系可能声明错误",
                    "the feature lies outside China: the declared CRS is probably wrong",
                    "检查 .prj/坐标系；投影坐标（米）的文件必须带正确的坐标系",
                    "check the .prj/CRS; files in projected metres must carry the right CRS")
            bad.add(i)
    return gdf


def _extract_family(geom, family: str):
    """Keep only the parts of ``geom`` of one family (make_valid may return a collection)."""
    parts = [p for p in shapely.get_parts(geom) if _GEOM_FAMILY.get(p.geom_type) == family]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def _converter(system: str):
    def f(x, y):
        return to_wgs84(x, y, system)

    return f


def coerce_layer(
    raw: RawTable,
    layer: str,
    report: Report,
    *,
    coord_system: str = "wgs84",
    declared_crs=None,
    allow_personal: bool = False,
    mapping: dict[str, str] | None = None,
    bounds=None,
) -> pd.DataFrame | None:
    """Type and check one layer; return only the rows without errors.

    Parameters
    ----------
    raw : RawTable
        What :func:`geo.io.read_raw` returned.
    layer : str
        The layer name (a key of :data:`geo.schema.LAYERS`).
    report : Report
        Problems are appended here.
    coord_system : {"wgs84", "gcj02", "bd09"}
        What the planner declared the coordinates to be (Amap/Tencent: gcj02; Baidu: bd09).
    declared_crs : optional
        A CRS to assume for a vector file without one (e.g. ``4326`` or ``4490``).
    allow_personal : bool
        Keep personal columns (names, ID numbers, phones) — only for an explicit personal list.
    mapping : dict, optional
        The planner's header -> field mapping (a saved template); ``""`` ignores a column.
    bounds : DataPolicy, optional
        Plausibility bounds (default: the built-in policy's ``data`` section).

    Returns
    -------
    DataFrame or GeoDataFrame or None
        Typed rows (a hidden ``_row`` column keeps the planner's row number), or None when a
        required column is missing or the geometry cannot be used at all.
    """
    schema = LAYERS[layer]
    if coord_system not in SUPPORTED_INPUT_SYSTEMS:
        raise ValueError(f"coord_system must be one of {SUPPORTED_INPUT_SYSTEMS}")
    frame = raw.frame.copy()
    ctx = _Ctx(schema, raw, report, None)
    status_text = None
    if layer == "facilities":
        status_text = _status_from_kind_text(frame, schema, mapping)
    frame = _rename_headers(schema, frame, ctx, allow_personal, mapping)
    if schema.name == "roster" and not allow_personal:  # ID numbers, phones, names as codes
        frame = scrub_person_codes(frame, ctx.add, row_offset=raw.row_offset)
    if schema.id_column in frame.columns:
        ctx.ids = frame[schema.id_column].astype(str)
    if len(frame) == 0:
        ctx.add("error", "no_rows", None, None, None, "文件中没有数据行", "the file has no data rows",
                "检查是否上传了正确的文件或工作表", "check the file or worksheet")
        return None
    missing = [c for c in schema.required if c not in frame.columns]
    for name in missing:
        col = schema.column(name)
        accepted = "、".join((col.zh, col.name) + col.aliases[:8])
        ctx.add("error", "missing_column", None, name, None,
                f"缺少必填列“{col.zh}”", f"required column '{col.en}' ({name}) is missing",
                f"添加该列，或在“列对应”中指定哪一列是它；可用的表头：{accepted}",
                f"add the column, or map one of yours to it; accepted headers: {accepted}")
    # Every other problem is still reported (cells of the columns that are there).
    bad: set[int] = set()
    typed: dict[str, list] = {}
    for col in schema.all_columns:
        if col.name in frame.columns:
            typed[col.name] = _type_column(schema, col, frame[col.name], ctx, bad)
        elif col.kind not in ("lon", "lat"):
            typed[col.name] = [col.default] * len(frame)
    if status_text is not None:
        _apply_status(typed, status_text, ctx, "status" in frame.columns)
    out = pd.DataFrame(typed, index=frame.index)
    for c in ("lon", "lat"):
        if c in typed:
            out[c] = pd.to_numeric(pd.Series(typed[c], index=frame.index), errors="coerce")
    out["_row"] = [raw.row(i) for i in range(len(frame))]

    if schema.id_column in out.columns and schema.column(schema.id_column).kind == "code12":
        _lost_digit_codes(out[schema.id_column].tolist(), schema.id_column, ctx, bad)
    _report_lost(ctx, schema, bad)

    # Duplicate ids: the second and later occurrences are errors naming the first.
    if schema.id_column in out.columns:
        ids = out[schema.id_column]
        first: dict[str, int] = {}
        for i, v in enumerate(ids.tolist()):
            if v is None or i in bad:
                continue
            if v in first:
                ctx.add("error", "duplicate_code", i, schema.id_column, v,
                        f"编号重复，与第 {raw.row(first[v])} 行相同",
                        f"duplicate id: same as row {raw.row(first[v])}",
                        "每个编号只能出现一次；核对两行后合并（不要直接删除有数据的行）",
                        "each id may appear once; check both rows and merge them (do not just "
                        "delete a row that holds data)")
                bad.add(i)
            else:
                first[v] = i
    if missing:
        return None

    result: pd.DataFrame
    if raw.is_vector:
        gdf = gpd.GeoDataFrame(out, geometry=raw.frame.geometry.values, crs=raw.frame.crs)
        gdf = _check_geometry(gdf, schema, ctx, bad, coord_system, declared_crs)
        if gdf is None:
            return None
        result = gdf
    elif "lon" in out.columns and "lat" in out.columns:
        result = _geometry_from_lonlat(out, ctx, bad, coord_system)
    elif schema.geometry_types and layer != "villages":
        ctx.add("error", "missing_column", None, "lon/lat", None,
                "表格缺少经度、纬度列，无法定位", "the table has no longitude/latitude columns",
                "添加“经度”“纬度”两列（WGS84；高德/腾讯坐标请选 GCJ-02，百度请选 BD-09）",
                "add 'lon' and 'lat' columns (WGS84; choose GCJ-02 for Amap/Tencent, BD-09 for "
                "Baidu coordinates)")
        return None
    else:
        result = out

    if layer in ("villages", "children"):
        _check_village_counts(result, ctx, bad, bounds)
        _check_target_share(result, ctx, bad, bounds)
    keep = [i for i in range(len(result)) if i not in bad]
    all_ids = set()
    if schema.id_column in result.columns:
        all_ids = {v for v in result[schema.id_column] if isinstance(v, str) and v}
    # Codes as typed on bad rows too (a malformed or lost-digit code of a village is one
    # problem there, not one more in every roster/facility row that names that village).
    if schema.id_column in frame.columns:
        all_ids |= {_nfkc(v) for k, v in enumerate(frame[schema.id_column].tolist())
                    if k in bad and isinstance(v, str) and v.strip()}
    result = result.iloc[keep].reset_index(drop=True)
    # Ids of every row, bad ones included: other layers that refer to a bad row get no
    # second, misleading "unknown id" problem (the bad row itself is already reported).
    result.attrs["all_ids"] = all_ids
    result.attrs["bad_rows"] = len(bad)
    if schema.id_column in out.columns:
        result.attrs["bad_id_rows"] = int(sum(
            1 for k, v in enumerate(out[schema.id_column].tolist()) if k in bad and v is None
        ) + sum(len(v) for c, v in ctx.lost.items() if c == schema.id_column and len(v) > 1))
    result.attrs["headers"] = dict(ctx.headers)
    return result


def _status_from_kind_text(frame: pd.DataFrame, schema: LayerSchema, mapping) -> list | None:
    """A status written into the facility type (儿童之家（拟建）, 村小（已撤并）), per row."""
    kind_col = next((c for c in frame.columns
                     if header_field(schema.name, str(c), mapping) == "kind"), None)
    if kind_col is None:
        return None
    labels = {normalise_header(k): v for k, v in ENUM_LABELS["facility_status"].items()}
    out = []
    for v in frame[kind_col].tolist():
        found = None
        for part in re.findall(r"[（(]([^）)]*)[）)]", str(v or "")):
            found = labels.get(normalise_header(part)) or found
        out.append(found)
    return out


def _apply_status(typed: dict, from_kind: list, ctx: _Ctx, has_column: bool) -> None:
    """Fill the status from the type text where the status column is empty or absent.

    A type text and a status column that disagree is an error (which one is true?).
    """
    status = typed.get("status") or ["existing"] * len(from_kind)
    given = ctx.raw.frame  # only to know which status cells were blank
    blank = [True] * len(from_kind)
    if has_column:
        src = ctx.headers.get("status")
        if src in given.columns:
            blank = [not str(x or "").strip() for x in given[src].tolist()]
    for i, s in enumerate(from_kind):
        if s is None:
            continue
        if blank[i]:
            status[i] = s
        elif status[i] is not None and status[i] != s:
            ctx.add("error", "status_conflict", i, "status", status[i],
                    f"设施类型中写的状态（{s}）与状态列（{status[i]}）不一致",
                    f"the status in the type text ({s}) contradicts the status column "
                    f"({status[i]})", "核对该设施是现有、拟建、在建还是已撤并，只保留一种写法",
                    "check whether the facility exists, is planned, under construction or "
                    "closed, and write it once")
    typed["status"] = status


def _lost_digit_codes(codes: list, column: str, ctx: _Ctx, bad: set[int]) -> None:
    """12-digit codes that Excel rounded (500109000000 several times): lost, not duplicates.

    A village code never ends in 000 (that is its township), so a repeated code ending in
    000 is a code whose last digits were lost when Excel stored it as a number.
    """
    counts: dict[str, int] = {}
    for v in codes:
        if isinstance(v, str):
            counts[v] = counts.get(v, 0) + 1
    for i, v in enumerate(codes):
        if isinstance(v, str) and v.endswith("000") and counts[v] >= 2:
            ctx.lost.setdefault(column, []).append((i, v))
            bad.add(i)


def _report_lost(ctx: _Ctx, schema: LayerSchema, bad: set[int]) -> None:
    fix_zh = ("不要删除这些行（它们不是重复的村）。在 Excel 中先把该列设为“文本”格式，再从原始表或统计用区划代码"
              "重新粘贴完整的 12 位代码，然后另存为 CSV UTF-8")
    fix_en = ("do not delete these rows (they are not duplicate villages). In Excel format the "
              "column as Text first, paste the full 12-digit codes again from the original list "
              "(统计用区划代码), then save as CSV UTF-8")
    for column, items in ctx.lost.items():
        items = sorted(set(items))
        col = schema.column(column)
        if len(items) == 1:
            i, text = items[0]
            ctx.add("error", "malformed_code", i, column, text,
                    f"“{col.zh}”被 Excel 转成了科学计数法，末尾几位已丢失",
                    f"'{col.en}' was turned into scientific notation by Excel; its last digits "
                    "are lost", fix_zh, fix_en)
            continue
        rows = [ctx.raw.row(i) for i, _ in items]
        shown = "、".join(str(r) for r in rows[:8]) + ("…" if len(rows) > 8 else "")
        ctx.add("error", "code_precision_lost", items[0][0], column, f"{len(items)}",
                f"该列有 {len(items)} 个代码被 Excel 当作数字保存，末尾几位已丢失"
                f"（如 {items[0][1]}；第 {shown} 行）",
                f"{len(items)} codes in this column were stored by Excel as numbers and lost "
                f"their last digits (e.g. {items[0][1]}; rows {shown.replace('、', ', ')})",
                fix_zh, fix_en)


def _check_village_counts(frame: pd.DataFrame, ctx: _Ctx, bad: set[int], bounds=None):
    if bounds is None:
        from optimization.policy import load_policy

        bounds = load_policy().data
    cap = bounds.max_resident_children_per_village
    for i, r in enumerate(frame.itertuples(index=False)):
        if i in bad:
            continue
        res = r.resident_children
        lb = r.left_behind
        diff = sum(getattr(r, c) or 0 for c in DIFFICULTY_COLUMNS)
        if res is None or lb is None:
            continue
        if res > cap:
            ctx.add("error", "implausible_count", i, "resident_children", res,
                    f"常住儿童数 {res} 超过合理上限 {cap}（政策参数 data.max_resident_children_per_village）",
                    f"resident children ({res}) exceed the plausible maximum {cap} (policy "
                    "parameter data.max_resident_children_per_village)",
                    "核对该单元格（是否多打了 0，或填的是总人口）；如确实如此，请调整该参数",
                    "check the cell (extra zeros? total population instead of children?); if "
                    "it is right, raise the parameter")
            bad.add(i)
            continue
        if lb > res:
            ctx.add("error", "left_behind_exceeds_resident", i, "left_behind", lb,
                    f"留守儿童数 {lb} 大于常住儿童数 {res}",
                    f"left-behind children ({lb}) exceed resident children ({res})",
                    "核对两列；留守儿童是常住儿童的一部分",
                    "check both columns: left-behind children are part of resident children")
            bad.add(i)
        if diff > res:
            ctx.add("error", "difficulty_exceeds_resident", i, "difficulty", diff,
                    f"困境儿童各类合计 {diff} 大于常住儿童数 {res}",
                    f"children in difficulty ({diff}) exceed resident children ({res})",
                    "核对孤儿、事实无人抚养、重病重残、低保特困、其他困境各列",
                    "check the orphan, unsupported, illness/disability, Dibao/Tekun (低保/特困) and other columns")
            bad.add(i)
        ka = r.key_attention or 0
        if ka > lb + diff:
            ctx.add("error", "key_attention_exceeds_targets", i, "key_attention", ka,
                    f"重点关注儿童数 {ka} 大于留守与困境儿童合计 {lb + diff}",
                    f"key-attention cases ({ka}) exceed left-behind + difficulty ({lb + diff})",
                    "重点关注儿童应从留守和困境儿童中认定（003 §8）",
                    "key-attention cases are a subset of left-behind and difficulty children "
                    "(003 §8)")
            bad.add(i)


def _check_target_share(frame: pd.DataFrame, ctx: _Ctx, bad: set[int], bounds=None) -> None:
    """Service targets as a share of resident children, over the whole table (one problem)."""
    if bounds is None:
        from optimization.policy import load_policy

        bounds = load_policy().data
    keep = [i for i in range(len(frame)) if i not in bad]
    if not keep:
        return
    sub = frame.iloc[keep]
    res = int(sum(int(x or 0) for x in sub["resident_children"]))
    targets = int(sum(int(x or 0) for x in sub["left_behind"])) + int(sum(
        int(x or 0) for c in DIFFICULTY_COLUMNS if c in sub.columns for x in sub[c]))
    share = bounds.max_target_share
    if res > 0 and targets > share * res:
        ctx.add("error", "targets_share_implausible", None, "left_behind", f"{targets}/{res}",
                f"全表留守与困境儿童合计 {targets} 占常住儿童数 {res} 的 {targets / res:.0%}，超过合理上限 "
                f"{share:.0%}（政策参数 data.max_target_share）",
                f"left-behind + difficulty children ({targets}) are {targets / res:.0%} of the "
                f"resident children ({res}), above the plausible {share:.0%} (policy parameter "
                "data.max_target_share)",
                "核对“常住儿童数”列是否填成了留守儿童数或其他数；如确实如此，请调整该参数",
                "check that the resident-children column holds all resident children (not the "
                "left-behind ones); if the data are right, raise the parameter")


def _present(v) -> bool:
    """A non-empty code (pandas may turn a missing optional code into NaN)."""
    return isinstance(v, str) and v != ""


def validate_layers(layers: dict[str, pd.DataFrame | None], report: Report,
                    files: dict[str, str] | None = None, adcode: str | None = None) -> None:
    """Checks across layers. Adds problems to ``report``; returns nothing.

    Parameters
    ----------
    layers : dict
        Typed layers from :func:`coerce_layer` (any may be missing or None).
    report : Report
        Problems are appended here.
    files : dict, optional
        Layer name -> file path, for messages.
    adcode : str, optional
        The county code every code must start with (taken from the county layer if absent).
    """
    files = files or {}
    county = layers.get("county")
    townships = layers.get("townships")
    villages = layers.get("villages")
    facilities = layers.get("facilities")
    roster = layers.get("roster")
    if adcode is None and county is not None and len(county):
        adcode = county["adcode"].iloc[0]

    def known_ids(frame, col):
        return set(frame[col]) | set(frame.attrs.get("all_ids", set()))

    def add(layer, code, row, fid, column, value, zh, en, fix_zh, fix_en, severity="error"):
        frame = layers.get(layer)
        headers = frame.attrs.get("headers", {}) if frame is not None else {}
        report.add(severity, code, layer=layer, file=files.get(layer, ""), row=row,
                   feature_id=fid, column=headers.get(column, column), value=value, zh=zh,
                   en=en, fix_zh=fix_zh, fix_en=fix_en)

    bad_village_codes = int(villages.attrs.get("bad_id_rows", 0)) if villages is not None else 0

    def knock_on(layer, rows, severity):
        """References to villages when the village layer itself has bad codes: one problem."""
        shown = "、".join(str(r) for r in rows[:8]) + ("…" if len(rows) > 8 else "")
        add(layer, "unknown_village", rows[0], None, "village_code", f"{len(rows)}",
            f"{len(rows)} 行引用的村代码不在村图层中（第 {shown} 行）；村图层本身有 {bad_village_codes} 个"
            "代码有误，多半是同一原因",
            f"{len(rows)} row(s) refer to village codes that are not in the village layer (rows "
            f"{shown.replace('、', ', ')}); the village layer itself has {bad_village_codes} bad "
            "code(s), most likely the same cause",
            "先改正村图层中的代码，再重新检查", "fix the codes in the village layer first, then "
            "check again", severity=severity)

    if adcode:
        for name, col in (("townships", "township_code"), ("villages", "village_code"),
                          ("villages", "township_code"), ("facilities", "village_code"),
                          ("roster", "township_code")):
            frame = layers.get(name)
            if frame is None or col not in frame.columns:
                continue
            for r in frame[[col, "_row"]].itertuples(index=False):
                code = getattr(r, col)
                if _present(code) and not str(code).startswith(adcode):
                    add(name, "code_prefix_mismatch", r._1, code, col, code,
                        f"代码前 6 位不是本区县代码 {adcode}",
                        f"the code does not start with the county code {adcode}",
                        "检查是否混入了其他区县的数据，或代码录入有误",
                        "check for rows of another county or a typing error")

    if villages is not None and "township_code" in villages.columns:
        for r in villages[["village_code", "township_code", "_row"]].itertuples(index=False):
            if _present(r.township_code) and _present(r.village_code) \
                    and r.village_code[:9] != r.township_code:
                add("villages", "code_prefix_mismatch", r._2, r.village_code, "township_code",
                    r.township_code,
                    f"村代码前 9 位 {r.village_code[:9]} 与所属乡镇代码 {r.township_code} 不一致",
                    f"the village code's first 9 digits {r.village_code[:9]} do not match its "
                    f"township code {r.township_code}",
                    "核对村代码或所属乡镇（统计用区划代码前 9 位即乡镇代码）",
                    "check the village code or its township (the first 9 digits are the "
                    "township code)")

    if townships is not None and villages is not None and len(townships):
        known = known_ids(townships, "township_code")
        for r in villages[["village_code", "_row"]].itertuples(index=False):
            t = r.village_code[:9]
            if t not in known:
                add("villages", "unknown_township", r._1, r.village_code, "village_code", t,
                    f"乡镇代码 {t} 不在乡镇图层中", f"township {t} is not in the township layer",
                    "补充该乡镇边界，或更正村代码", "add the township or correct the village code")

    metric = None
    if county is not None and len(county) and isinstance(county, gpd.GeoDataFrame):
        metric = metric_crs_for(county)
        county_m = county.to_crs(metric).geometry.union_all().buffer(50.0)
        for name in ("townships", "villages", "facilities"):
            frame = layers.get(name)
            if not isinstance(frame, gpd.GeoDataFrame) or not len(frame):
                continue
            geoms = frame.to_crs(metric).geometry
            idcol = LAYERS[name].id_column
            if name == "townships":
                inside = geoms.buffer(-50.0).within(county_m) | geoms.buffer(-50.0).is_empty
            else:
                inside = geoms.within(county_m)
            for i in np.flatnonzero(~inside.to_numpy()):
                add(name, "outside_county", int(frame["_row"].iloc[i]), frame[idcol].iloc[i],
                    "geometry", None,
                    "位置在区县边界之外", "the location lies outside the county boundary",
                    "检查坐标（是否为高德/百度坐标未声明，或经纬度写反）",
                    "check the coordinates (undeclared Amap/Baidu coordinates? swapped lon/lat?)")

    if (isinstance(townships, gpd.GeoDataFrame) and isinstance(villages, gpd.GeoDataFrame)
            and len(townships) and len(villages)):
        metric = metric or metric_crs_for(townships)
        tw = townships.to_crs(metric).set_index("township_code").geometry
        vm = villages.to_crs(metric)
        for i, r in enumerate(vm[["village_code", "_row"]].itertuples(index=False)):
            t = r.village_code[:9]
            if t in tw.index:
                poly = tw.loc[t]
                if not poly.buffer(20.0).contains(vm.geometry.iloc[i]):
                    d = poly.distance(vm.geometry.iloc[i])
                    add("villages", "outside_township", r._1, r.village_code, "geometry",
                        f"{d:.0f} m",
                        f"村点位不在所属乡镇 {t} 的范围内（相距 {d:.0f} 米）",
                        f"the village point is outside its township {t} ({d:.0f} m away)",
                        "核对坐标或所属乡镇", "check the coordinates or the township")

    if villages is not None and facilities is not None and len(facilities):
        known_v = known_ids(villages, "village_code")
        unknown_rows = [int(r._2) for r in facilities[["facility_id", "village_code", "_row"]]
                        .itertuples(index=False)
                        if _present(r.village_code) and r.village_code not in known_v]
        if bad_village_codes and unknown_rows:
            knock_on("facilities", unknown_rows, "warning")
        for r in facilities[["facility_id", "village_code", "_row"]].itertuples(index=False):
            if bad_village_codes:
                break
            if _present(r.village_code) and r.village_code not in known_v:
                add("facilities", "unknown_village", r._2, r.facility_id, "village_code",
                    r.village_code, "所在村代码不在村图层中", "the village code is not in the "
                    "village layer", "更正村代码或留空", "correct the village code or leave it "
                    "empty", severity="warning")

    if villages is not None and roster is not None and len(roster):
        known_v = known_ids(villages, "village_code")
        unknown_rows = [int(r._3) for r in roster[["person_code", "village_code",
                                                   "township_code", "_row"]].itertuples(
            index=False) if _present(r.village_code) and r.village_code not in known_v]
        if bad_village_codes and unknown_rows:
            knock_on("roster", unknown_rows, "error")
        for r in roster[["person_code", "village_code", "township_code", "_row"]].itertuples(
                index=False):
            if bad_village_codes and _present(r.village_code) and r.village_code not in known_v:
                continue
            if _present(r.village_code) and r.village_code not in known_v:
                add("roster", "unknown_village", r._3, r.person_code, "village_code",
                    r.village_code, "居住村代码不在村图层中",
                    "the home village code is not in the village layer",
                    "更正村代码", "correct the village code")
            elif _present(r.village_code) and _present(r.township_code) \
                    and r.village_code[:9] != r.township_code:
                add("roster", "code_prefix_mismatch", r._3, r.person_code, "township_code",
                    r.township_code, "居住村代码与乡镇代码不一致",
                    "the home village code does not match the township code",
                    "核对两列", "check both columns")

    waterways = layers.get("waterways")
    if isinstance(waterways, gpd.GeoDataFrame) and len(waterways):
        for geom, kind, wid, row in zip(waterways.geometry, waterways["kind"],
                                        waterways["water_id"], waterways["_row"], strict=True):
            fam = _GEOM_FAMILY.get(geom.geom_type)
            want = WATER_KINDS.get(kind, ("", "", fam))[2]
            if fam != want:
                add("waterways", "kind_geometry_mismatch", int(row), wid, "kind", kind,
                    f"水体类型 {kind} 通常应为{'线' if want == 'line' else '面'}要素",
                    f"a water body of kind {kind} is normally a {want}",
                    "核对水体类型", "check the kind", severity="warning")
