"""The product's words in Chinese (default) and English: one catalogue for maps, pages and exports.

>>> t("villages", "zh"), t("villages", "en")
('村（社区）', 'Villages/communities')
"""

from __future__ import annotations

from geo.schema import FACILITY_KINDS, LAYERS, WATER_KINDS

__all__ = ["LANGS", "T", "column_label", "facility_label", "t", "water_label"]

LANGS = ("zh", "en")

T: dict[str, tuple[str, str]] = {
    # navigation
    "app_title": ("留守儿童与困境儿童关爱服务规划", "Planning care for left-behind children "
                  "and children in difficulty"),
    "nav_map": ("地图", "Map"),
    "nav_siting": ("儿童之家选址", "Children's homes"),
    "nav_staffing": ("人员配置", "Staffing"),
    "nav_funding": ("经费分配", "Funding"),
    "nav_hazards": ("防溺水", "Drowning risk"),
    "nav_scenarios": ("情景对比", "Scenarios"),
    "nav_data": ("数据", "Data"),
    "language": ("语言 / Language", "Language / 语言"),
    "data_source": ("数据来源", "Data source"),
    "demo_county": ("内置示例区县", "Embedded demo county"),
    "uploaded": ("上传的数据", "Uploaded data"),
    # layers
    "county": ("区县边界", "County boundary"),
    "townships": ("乡镇（街道）", "Townships/streets"),
    "villages": ("村（社区）", "Villages/communities"),
    "facilities": ("设施", "Facilities"),
    "waterways": ("水系", "Waterways"),
    "crossings": ("桥梁/过河点", "Bridges/crossings"),
    "roster": ("候选人员名册", "Candidate roster"),
    "dem": ("高程", "Elevation"),
    "legend": ("图例", "Legend"),
    "north": ("北", "N"),
    "synthetic_mark": ("示意数据", "Illustrative (synthetic) data"),
    "synthetic_note": ("图中含示意（合成）数据，仅供演示，不代表实际情况",
                       "The map shows synthetic data for demonstration only"),
    # measures
    "measure": ("村点大小与颜色", "Village size and colour"),
    "resident_children": ("常住儿童", "Resident children"),
    "left_behind": ("农村留守儿童", "Left-behind children"),
    "difficulty": ("困境儿童", "Children in difficulty"),
    "targets": ("服务对象（留守+困境）", "Service targets (left-behind + difficulty)"),
    "key_attention": ("重点关注儿童", "Key-attention cases"),
    "children_unit": ("人", "children"),
    "river": ("河流", "River"),
    "water_lines": ("河流、溪沟、渠道", "Rivers, streams, canals"),
    "water_areas": ("水库、山坪塘", "Reservoirs and ponds"),
    # validation
    "report": ("数据检查报告", "Validation report"),
    "report_ok": ("数据检查通过", "The data passed validation"),
    "upload_help": ("上传本区县的数据文件（GeoPackage、GeoJSON、Shapefile 打包 zip、CSV、XLSX）",
                    "Upload your county's files (GeoPackage, GeoJSON, zipped Shapefile, CSV, XLSX)"),
    "coord_system": ("坐标系", "Coordinate system"),
    "wgs84": ("WGS84/CGCS2000（GPS、天地图）", "WGS84/CGCS2000 (GPS, Tianditu)"),
    "gcj02": ("GCJ-02（高德、腾讯地图）", "GCJ-02 (Amap, Tencent)"),
    "bd09": ("BD-09（百度地图）", "BD-09 (Baidu)"),
    "basemap": ("底图", "Basemap"),
    "basemap_none": ("无（离线，使用本地矢量数据）", "None (offline: our own vector layers)"),
    "basemap_osm": ("OpenStreetMap 在线瓦片（需联网）", "OpenStreetMap online tiles (needs network)"),
    "counts": ("汇总", "Totals"),
    "download": ("下载", "Download"),
    "errors": ("错误", "Errors"),
    "warnings": ("警告", "Warnings"),
}


def t(key: str, lang: str = "zh") -> str:
    """The text for ``key`` in ``lang`` ('zh' or 'en'); the key itself if unknown."""
    pair = T.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]


def facility_label(kind: str, lang: str = "zh") -> str:
    """Label of a facility kind."""
    zh, en = FACILITY_KINDS.get(kind, (kind, kind))
    return zh if lang == "zh" else en


def water_label(kind: str, lang: str = "zh") -> str:
    """Label of a water kind."""
    zh, en, _ = WATER_KINDS.get(kind, (kind, kind, ""))
    return zh if lang == "zh" else en


def column_label(layer: str, column: str, lang: str = "zh") -> str:
    """Header for a layer's column in exports and tables."""
    if column in T:
        return t(column, lang)
    try:
        c = LAYERS[layer].column(column)
    except KeyError:
        return column
    return c.zh if lang == "zh" else c.en
