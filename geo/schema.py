"""One documented schema per data layer.

A planner's files arrive with Chinese or English headers; each column lists the header
aliases it accepts (case- and space-insensitive). Readers rename aliases to the canonical
name, then :mod:`geo.validate` checks types, ranges, codes and geometry against these
definitions and reports every problem at once.

Layers
------
county
    The county (区/县) boundary polygon and its designations (革命老区, 原中央苏区, ...).
townships
    Township/street (乡镇/街道) polygons with their 9-digit codes.
villages
    Village/community (村/社区) points with resident children and service-target counts.
facilities
    儿童之家, schools, kindergartens, service stations, 妇女之家, 农家书屋, township
    未成年人保护工作站, the county 未成年人救助保护机构 and 儿童福利机构.
waterways
    Rivers, streams and canals (lines); ponds, reservoirs and lakes (polygons).
crossings
    Bridges and fords where a river can be crossed on foot.
roads
    Roads and footpaths (lines) by class (国道省道 … 步道) or walking speed; a road over a
    river is a bridge (``bridge`` column, or a crossing point on it). Read by :mod:`geo.travel`.
roster
    Candidates for 儿童主任 and 儿童督导员: codes only, never names.
dem
    A digital elevation model GeoTIFF (metres), read with rasterio.

Codes
-----
The 12-digit statistical division code is 6 digits of county + 3 of township + 3 of village
(统计用区划代码). Townships are identified by their first 9 digits; a 12-digit township code
ending in ``000`` is accepted and shortened.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from optimization.vocab import (
    BOOL_WORDS,
    CANDIDATE_FOR_WORDS,
    COUNTY_DESIGNATIONS,
    DIFFICULTY_COLUMNS,
    FACILITY_KINDS,
    GENDER_WORDS,
    ROAD_KINDS,
    ROSTER_ROLES,
    VILLAGE_DESIGNATIONS,
    WATER_KINDS,
)

__all__ = [
    "BOOL_WORDS",
    "COUNTY_DESIGNATIONS",
    "DIFFICULTY_COLUMNS",
    "FACILITY_KINDS",
    "FACILITY_STATUS",
    "LAYERS",
    "ROAD_KINDS",
    "ROSTER_ROLES",
    "VILLAGE_DESIGNATIONS",
    "WATER_KINDS",
    "Column",
    "LayerSchema",
    "header_field",
    "normalise_header",
    "split_qualifier",
]


@dataclass(frozen=True)
class Column:
    """A column of a layer.

    Parameters
    ----------
    name : str
        Canonical (English, snake_case) name used inside the product.
    kind : str
        One of ``"code12"``, ``"code9"``, ``"code6"``, ``"str"``, ``"count"`` (non-negative
        integer), ``"int"``, ``"float"``, ``"bool"``, ``"date"``, ``"enum"``, ``"lon"``, ``"lat"``.
    required : bool
        Whether the column must be present.
    zh, en : str
        What the column means, in Chinese and English (used in messages and export headers).
    aliases : tuple of str
        Other headers accepted for this column (Chinese headers planners use).
    choices : tuple of str
        Allowed values for ``enum`` columns (canonical keys; Chinese labels are mapped).
    default : object
        Value used when an optional column is absent.
    """

    name: str
    kind: str
    required: bool
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    default: object = None


@dataclass(frozen=True)
class LayerSchema:
    """The schema of one layer: its columns and allowed geometry types."""

    name: str
    zh: str
    en: str
    columns: tuple[Column, ...]
    geometry_types: tuple[str, ...] = ()
    id_column: str | None = None
    personal_columns: tuple[str, ...] = field(default=())
    #: Columns read when a planner's file has them, but not part of the canonical file
    #: layout (the embedded demo data and exports keep ``columns`` only).
    read_columns: tuple[Column, ...] = field(default=())

    @property
    def all_columns(self) -> tuple[Column, ...]:
        """The canonical columns and the read-only ones."""
        return self.columns + self.read_columns

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for c in self.all_columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the required columns."""
        return tuple(c.name for c in self.columns if c.required)

    def alias_map(self) -> dict[str, str]:
        """Map every accepted (normalised) header to its canonical column name."""
        out: dict[str, str] = {}
        for c in self.all_columns:
            out[normalise_header(c.name)] = c.name
            # Shapefile (dBase) field names are cut to 10 characters: township_code -> township_c
            out.setdefault(normalise_header(c.name[:10]), c.name)
            out[normalise_header(c.zh)] = c.name
            for a in c.aliases:
                out[normalise_header(a)] = c.name
        return out


def normalise_header(text: str) -> str:
    """Normalise a header for matching: strip, lower-case, drop spaces, units and punctuation.

    >>> normalise_header(" 常住儿童数（人） "), normalise_header("*村代码"), normalise_header("常住 儿童数")
    ('常住儿童数', '村代码', '常住儿童数')
    """
    s = unicodedata.normalize("NFKC", str(text)).strip().lower().replace("\ufeff", "")
    s = re.sub(r"[（(][^）)]*[）)]", "", s)  # drop "(人)", "(count)"
    s = re.sub(r"[\s_\-:：/、*※★]+", "", s)  # spaces, line breaks, "required" marks
    return s


def header_field(layer: str, header: str, mapping: dict[str, str] | None = None) -> str | None:
    """The field of ``layer`` a header names: the planner's mapping first, then the aliases.

    A mapping value ``""`` means "ignore this column".

    >>> header_field("villages", "孤儿人数"), header_field("villages", "备注")
    ('orphan', None)
    >>> header_field("villages", "村居代码", {"村居代码": ""}) is None
    True
    """
    if mapping:
        key = normalise_header(header)
        for k, v in mapping.items():
            if k == header or normalise_header(k) == key:
                return v or None
    return _alias_map(layer).get(normalise_header(header))


_ALIASES: dict[str, dict[str, str]] = {}


def _alias_map(layer: str) -> dict[str, str]:
    if layer not in _ALIASES:
        _ALIASES[layer] = LAYERS[layer].alias_map()
    return _ALIASES[layer]


#: A header's part qualifier: the columns of one count split by sex or by age band.
SPLIT_QUALIFIER = re.compile(
    r"[（(]\s*(?:其中)?[:：]?\s*(男|女|男性|女性|男童|女童|\d+\s*[-—~～至到]\s*\d+\s*(?:周)?岁|"
    r"\d+\s*岁以下|\d+\s*岁及以上|\d+\s*岁以上|学龄前|学龄期?|在校|未入学|散居|集中供养|机构养育)\s*[）)]")


def split_qualifier(header: str) -> str | None:
    """The part a header counts (男, 0-6岁...), or None for a whole count.

    >>> split_qualifier("农村留守儿童数（男）"), split_qualifier("常住儿童数(7-17岁)")
    ('男', '7-17岁')
    >>> split_qualifier("常住儿童数（人）") is None
    True
    """
    m = SPLIT_QUALIFIER.search(str(header))
    return re.sub(r"\s+", "", m.group(1)) if m else None


#: Words of a header that counts children; such a column mapped to nothing is worth a warning.
COUNT_WORDS = ("儿童", "人数", "孤儿", "留守", "困境", "重残", "重病", "无人抚养", "低保", "特困",
               "children", "orphan")


# --- enumerations -------------------------------------------------------------------------

# The vocabulary (kinds, roles, designations, child categories, yes/no words) lives in
# optimization/vocab.py; it is re-exported here for the readers and validators of this module.

#: Facility statuses: key -> (zh, en). Closed hosts never host; planned homes are not existing.
FACILITY_STATUS: dict[str, tuple[str, str]] = {
    "existing": ("现有", "existing"),
    "planned": ("拟建", "planned"),
    "under_construction": ("在建", "under construction"),
    "closed": ("已撤并/关闭", "closed"),
}
FACILITY_STATUSES = tuple(FACILITY_STATUS)

_SYNTH = Column(
    "is_synthetic", "bool", False, "示意数据", "synthetic (illustrative) data",
    aliases=("synthetic", "是否示意"), default=False,
)

# --- layers -------------------------------------------------------------------------------

COUNTY = LayerSchema(
    name="county",
    zh="区县边界",
    en="county boundary",
    geometry_types=("Polygon", "MultiPolygon"),
    id_column="adcode",
    columns=(
        Column("adcode", "code6", True, "区县代码", "county code (6 digits)",
               aliases=("county_code", "行政区划代码", "代码")),
        Column("name", "str", True, "区县名称", "county name", aliases=("县名", "名称")),
        Column("province", "str", False, "省份", "province", aliases=("省",), default=""),
        Column("prefecture", "str", False, "地市", "prefecture", aliases=("市", "city"),
               default=""),
        Column("designations", "str", False, "区县认定", "county designations",
               aliases=("认定", "类别"), default=""),
        _SYNTH,
    ),
)

TOWNSHIPS = LayerSchema(
    name="townships",
    zh="乡镇（街道）",
    en="townships/streets",
    geometry_types=("Polygon", "MultiPolygon"),
    id_column="township_code",
    columns=(
        Column("township_code", "code9", True, "乡镇代码", "township code (9 digits)",
               aliases=("乡镇街道代码", "街道代码", "乡镇区划代码", "code")),
        Column("name", "str", True, "乡镇名称", "township name",
               aliases=("乡镇街道名称", "乡镇", "街道")),
        Column("kind", "enum", False, "类型", "kind", choices=("town", "township", "street"),
               default="town"),
        Column("in_difficulty", "bool", False, "困难街镇", "township in difficulty (002 五(二))",
               default=False),
        _SYNTH,
    ),
)

VILLAGES = LayerSchema(
    name="villages",
    zh="村（社区）",
    en="villages/communities",
    geometry_types=("Point",),
    id_column="village_code",
    columns=(
        Column("village_code", "code12", True, "村代码", "village code (12 digits)",
               aliases=("统计用区划代码", "村社区代码", "村（社区）代码", "区划代码", "code",
                        "村（居）委会代码", "村居委会代码", "村居代码", "行政区划代码", "村级代码",
                        "村（社区）统计用区划代码")),
        Column("name", "str", True, "村名称", "village name",
               aliases=("村（社区）名称", "村社区名称", "村名", "村（居）委会名称", "村居委会名称",
                        "村居名称", "村（社区）")),
        Column("township_code", "code9", False, "乡镇代码", "township code",
               aliases=("乡镇街道代码", "所属乡镇代码")),
        Column("kind", "enum", False, "村/社区", "village or community",
               choices=("village", "community"), default="village",
               aliases=("类型",)),
        Column("resident_children", "count", True, "常住儿童数", "resident children",
               aliases=("儿童数", "常住儿童", "儿童人数", "children", "常住儿童人数", "常住儿童总数",
                        "儿童总数", "常住未成年人数", "常住未成年人人数", "0-17岁常住儿童数",
                        "resident_children_count")),
        Column("left_behind", "count", True, "农村留守儿童数", "rural left-behind children",
               aliases=("留守儿童数", "留守儿童", "农村留守儿童人数", "留守儿童人数", "农村留守儿童",
                        "农村留守儿童总数", "left_behind_children")),
        Column("orphan", "count", False, "孤儿数", "orphans",
               aliases=("孤儿", "孤儿人数", "孤儿数量", "孤儿儿童数"), default=0),
        Column("unsupported", "count", False, "事实无人抚养儿童数", "de-facto unsupported children",
               aliases=("事实无人抚养儿童", "事实无人抚养", "事实无人抚养儿童人数",
                        "事实无人抚养儿童数量"), default=0),
        Column("illness_disability", "count", False, "重病重残儿童数",
               "children with serious illness/disability",
               aliases=("重病重残", "重病/重残儿童数", "重病或重残儿童数", "重病或重残儿童人数",
                        "重病重残儿童人数", "重病、重残儿童数", "重病或重残儿童"), default=0),
        Column("dibao_tekun", "count", False, "低保特困家庭儿童数",
               "children of Dibao/Tekun (低保/特困) families",
               aliases=("低保特困", "低保/特困儿童数", "低保特困家庭儿童人数", "低保、特困家庭儿童数",
                        "低保或特困家庭儿童数"), default=0),
        Column("difficulty_other", "count", False, "其他困境儿童数",
               "other children in difficulty",
               aliases=("其他困境", "其他困境儿童人数", "其他困境儿童"), default=0),
        Column("key_attention", "count", False, "重点关注儿童数", "key-attention cases (003 §8)",
               aliases=("重点儿童数", "重点关注", "重点关注儿童人数", "重点关注儿童"), default=0),
        Column("poverty_village", "bool", False, "脱贫村", "village lifted out of poverty",
               aliases=("建档立卡贫困村", "原建档立卡贫困村", "是否脱贫村", "是否为脱贫村",
                        "是否建档立卡贫困村", "是否原建档立卡贫困村", "是否贫困村"), default=False),
        Column("old_base_village", "bool", False, "老区村", "old-base village",
               aliases=("是否老区村", "是否革命老区村", "革命老区村"), default=False),
        Column("lon", "lon", False, "经度", "longitude", aliases=("longitude", "x", "lng")),
        Column("lat", "lat", False, "纬度", "latitude", aliases=("latitude", "y")),
        _SYNTH,
    ),
)

FACILITIES = LayerSchema(
    name="facilities",
    zh="设施",
    en="facilities",
    geometry_types=("Point",),
    id_column="facility_id",
    read_columns=(
        Column("status", "enum", False, "设施状态", "status",
               choices=FACILITY_STATUSES, aliases=("状态", "建设状态", "运行状态", "建设情况"),
               default="existing"),
    ),
    columns=(
        Column("facility_id", "str", True, "设施编号", "facility id", aliases=("编号", "id")),
        Column("kind", "enum", True, "设施类型", "facility kind", choices=tuple(FACILITY_KINDS),
               aliases=("类型", "type")),
        Column("name", "str", False, "设施名称", "facility name", aliases=("名称",), default=""),
        Column("village_code", "code12", False, "所在村代码", "village code",
               aliases=("村代码",)),
        Column("township_code", "code9", False, "所在乡镇代码", "township code",
               aliases=("乡镇代码",)),
        Column("capacity", "count", False, "容量（儿童）", "capacity in children",
               aliases=("容量",)),
        Column("lon", "lon", False, "经度", "longitude", aliases=("longitude", "x", "lng")),
        Column("lat", "lat", False, "纬度", "latitude", aliases=("latitude", "y")),
        _SYNTH,
    ),
)

WATERWAYS = LayerSchema(
    name="waterways",
    zh="水系",
    en="waterways",
    geometry_types=("LineString", "MultiLineString", "Polygon", "MultiPolygon"),
    id_column="water_id",
    columns=(
        Column("water_id", "str", True, "水体编号", "water body id", aliases=("编号", "id")),
        Column("name", "str", False, "水体名称", "name", aliases=("名称", "河流名称"),
               default=""),
        Column("kind", "enum", True, "水体类型", "kind of water", choices=tuple(WATER_KINDS),
               aliases=("类型", "type")),
        Column("source", "str", False, "来源", "source", default=""),
        Column("chief", "str", False, "河长", "river chief (a code or post, never a name)",
               aliases=("河长编码", "河长职务"), default=""),
        _SYNTH,
    ),
)

CROSSINGS = LayerSchema(
    name="crossings",
    zh="过河点（桥梁）",
    en="river crossings",
    geometry_types=("Point",),
    id_column="crossing_id",
    columns=(
        Column("crossing_id", "str", True, "过河点编号", "crossing id", aliases=("编号", "id")),
        Column("kind", "enum", False, "类型", "kind", choices=("bridge", "ford", "ferry"),
               default="bridge"),
        Column("water_id", "str", False, "水体编号", "water body id", default=""),
        _SYNTH,
    ),
)

ROADS = LayerSchema(
    name="roads",
    zh="道路",
    en="roads",
    geometry_types=("LineString", "MultiLineString"),
    id_column="road_id",
    columns=(
        Column("road_id", "str", True, "道路编号", "road id", aliases=("编号", "id")),
        Column("kind", "enum", False, "道路等级", "road class", choices=tuple(ROAD_KINDS),
               aliases=("等级", "类型", "class", "type"), default="village"),
        Column("name", "str", False, "道路名称", "road name", aliases=("名称",), default=""),
        Column("speed_kmh", "float", False, "步行速度（公里/小时）",
               "walking speed in km/h (overrides the class speed)", aliases=("速度", "speed")),
        Column("bridge", "bool", False, "桥梁", "bridge (may cross a river)", aliases=("桥",),
               default=False),
        _SYNTH,
    ),
)

ROSTER = LayerSchema(
    name="roster",
    zh="儿童主任/督导员候选人",
    en="director/supervisor candidates",
    geometry_types=(),
    id_column="person_code",
    personal_columns=("name", "id_number", "phone"),
    columns=(
        Column("person_code", "str", True, "人员编码", "person code", aliases=("编码", "code")),
        Column("village_code", "code12", False, "居住村代码", "home village code",
               aliases=("村代码", "所在村代码")),
        Column("township_code", "code9", True, "乡镇代码", "township code",
               aliases=("所在乡镇代码",)),
        Column("role", "enum", True, "身份", "role", choices=tuple(ROSTER_ROLES),
               aliases=("岗位", "职务")),
        Column("gender", "enum", True, "性别", "gender", choices=("F", "M")),
        Column("committee_member", "bool", False, "村（居）委会委员", "committee member",
               default=False),
        Column("womens_fed_cadre", "bool", False, "妇联干部", "women's-federation cadre",
               default=False),
        Column("youth_league_cadre", "bool", False, "共青团干部", "Youth League cadre",
               default=False),
        Column("initial_training_date", "date", False, "初任培训合格日期",
               "initial training passed on", aliases=("初任培训日期",)),
        Column("last_training_date", "date", False, "最近年度培训日期",
               "last annual training on", aliases=("年度培训日期",)),
        Column("candidate_for", "enum", False, "候选岗位", "candidate for",
               choices=("director", "supervisor", "either"), default="director"),
        _SYNTH,
    ),
)

#: Child counts joined to an existing village layer by the 12-digit code (a planner's
#: spreadsheet without coordinates).
CHILDREN = LayerSchema(
    name="children",
    zh="村儿童数统计表",
    en="child counts per village",
    geometry_types=(),
    id_column="village_code",
    columns=tuple(
        c for c in VILLAGES.columns
        if c.name not in ("name", "township_code", "kind", "lon", "lat")
    ) + (Column("name", "str", False, "村名称", "village name",
                aliases=("村（社区）名称", "村社区名称", "村名"), default=""),),
)

LAYERS: dict[str, LayerSchema] = {
    s.name: s
    for s in (COUNTY, TOWNSHIPS, VILLAGES, FACILITIES, WATERWAYS, CROSSINGS, ROADS, ROSTER,
              CHILDREN)
}

#: Chinese labels accepted for enum values, per column: label -> key.
ENUM_LABELS: dict[str, dict[str, str]] = {
    "facility_kind": {v[0]: k for k, v in FACILITY_KINDS.items()}
    | {"儿童之家": "children_home", "小学": "primary_school", "村小学": "primary_school",
       "便民服务站": "service_station", "民政工作站": "service_station",
       "未成年人保护中心": "rescue_protection", "未成年人救助保护中心": "rescue_protection",
       "儿童福利院": "welfare_institution", "儿童活动中心": "township_station"},
    "water_kind": {"河流": "river", "河": "river", "江": "river", "溪沟": "stream",
                   "溪": "stream", "沟": "stream", "渠道": "canal", "渠": "canal",
                   "池塘": "pond", "山坪塘": "pond", "塘": "pond", "水库": "reservoir",
                   "湖泊": "lake", "湖": "lake"},
    "role": {v[0]: k for k, v in ROSTER_ROLES.items()}
    | {"村委委员": "committee_member", "居委会委员": "committee_member",
       "社工": "social_worker", "志愿者": "volunteer", "爱心人士": "volunteer"},
    "gender": dict(GENDER_WORDS),
    "village_kind": {"村": "village", "社区": "community", "村委会": "village",
                     "居委会": "community"},
    "township_kind": {"镇": "town", "乡": "township", "街道": "street"},
    "candidate_for": dict(CANDIDATE_FOR_WORDS),
    "road_kind": {v[0]: k for k, v in ROAD_KINDS.items()}
    | {"国道": "trunk", "省道": "trunk", "高速": "trunk", "乡村道路": "village", "步道": "path",
       "小路": "path", "机耕道": "path", "山路": "path", "便道": "path"},
    "crossing_kind": {"桥": "bridge", "桥梁": "bridge", "漫水桥": "ford", "渡口": "ferry"},
    "facility_status": {
        "现有": "existing", "已建": "existing", "在用": "existing", "运行": "existing",
        "正常": "existing", "正常运行": "existing", "已建成": "existing", "建成": "existing",
        "拟建": "planned", "规划": "planned", "计划": "planned", "计划新建": "planned",
        "待建": "planned", "规划新建": "planned", "拟新建": "planned", "新建": "planned",
        "在建": "under_construction", "建设中": "under_construction",
        "施工中": "under_construction", "正在建设": "under_construction",
        "已撤并": "closed", "撤并": "closed", "关闭": "closed", "已关闭": "closed",
        "停用": "closed", "已停用": "closed", "废弃": "closed", "已废弃": "closed",
        "撤销": "closed", "已撤销": "closed", "停办": "closed", "已停办": "closed",
        "闭园": "closed", "已闭园": "closed", "停办撤并": "closed",
    },
}

#: Which ENUM_LABELS table applies to a (layer, column).
ENUM_TABLE = {
    ("facilities", "kind"): "facility_kind",
    ("waterways", "kind"): "water_kind",
    ("roster", "role"): "role",
    ("roster", "gender"): "gender",
    ("roster", "candidate_for"): "candidate_for",
    ("villages", "kind"): "village_kind",
    ("townships", "kind"): "township_kind",
    ("crossings", "kind"): "crossing_kind",
    ("roads", "kind"): "road_kind",
    ("facilities", "status"): "facility_status",
}
