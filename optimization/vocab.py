"""The one home of the domain vocabulary: kinds, roles, child categories, yes/no words, codes.

:mod:`geo.schema` (what a planner's file may hold), :mod:`optimization.policy` (which keys a
rule may name), the models, the maps and the batch all import these lists; none of them keeps
its own copy (``tests/test_vocab.py`` checks that).

Every mapping is ``key -> (zh, en[, ...])``: the key is what the product stores, the labels are
what a planner reads.

Examples
--------
>>> DIFFICULTY_COLUMNS[0], len(TARGET_TYPES)
('orphan', 6)
>>> parse_bool("有"), parse_bool("1.0"), parse_bool("否"), parse_bool("maybe")
(True, True, False, None)
>>> code_text(500109102001.0), township_of("500109102001"), township_code("500109102000")
('500109102001', '500109102', '500109102')
>>> list_codes(["a", "b", "c"], limit=2)
'a、b …(+1)'
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = [
    "CHILD_WEIGHT_KEYS",
    "COUNTY_DESIGNATIONS",
    "COVERAGE_WEIGHT_KEYS",
    "DIFFICULTY_COLUMNS",
    "FACILITY_KINDS",
    "FALSE_WORDS",
    "BOOL_WORDS",
    "CANDIDATE_FOR_WORDS",
    "GENDER_WORDS",
    "ROAD_KINDS",
    "ROSTER_ROLES",
    "TARGET_SHORT_LABELS",
    "TARGET_TYPES",
    "TOWNSHIP_DESIGNATIONS",
    "TRUE_WORDS",
    "VILLAGE_DESIGNATIONS",
    "WATER_KINDS",
    "code_text",
    "is_true",
    "list_codes",
    "parse_bool",
    "township_code",
    "township_of",
]

# --- facilities, water, people ------------------------------------------------------------

#: Road classes (JTG B01 administrative classes + 村道/步道): key -> (zh, en). geo/travel.py
#: walks each at ``travel.road_speed_kmh[key]``.
ROAD_KINDS: dict[str, tuple[str, str]] = {
    "trunk": ("国道/省道", "national/provincial road"),
    "county": ("县道", "county road"),
    "township": ("乡道", "township road"),
    "village": ("村道", "village road"),
    "path": ("步道/小路", "footpath or track"),
}

#: Facility kinds (004 §2; 001; DOMAIN.md "Facilities"): key -> (zh, en).
FACILITY_KINDS: dict[str, tuple[str, str]] = {
    "children_home": ("儿童之家", "village children's home"),
    "primary_school": ("村小", "village primary school"),
    "kindergarten": ("幼儿园", "kindergarten"),
    "service_station": ("村（社区）便民服务站", "village service station"),
    "womens_home": ("妇女之家", "women's home"),
    "farm_library": ("农家书屋", "farmhouse library"),
    "school_youth_palace": ("学校少年宫", "school youth palace"),
    "township_station": ("未成年人保护工作站", "township minors' protection station"),
    "rescue_protection": ("未成年人救助保护机构", "minors' rescue-protection institution"),
    "welfare_institution": ("儿童福利机构", "child welfare institution"),
}

#: Water body kinds (003 §14): key -> (zh, en, geometry family).
WATER_KINDS: dict[str, tuple[str, str, str]] = {
    "river": ("河流", "river", "line"),
    "stream": ("溪沟", "stream", "line"),
    "canal": ("渠道", "canal", "line"),
    "pond": ("山坪塘/池塘", "pond", "polygon"),
    "reservoir": ("水库", "reservoir", "polygon"),
    "lake": ("湖泊", "lake", "polygon"),
}

#: Roles on the 儿童主任 / 儿童督导员 candidate roster (004 §1(1), 002 二(一), 001).
ROSTER_ROLES: dict[str, tuple[str, str]] = {
    "committee_member": ("村（居）委会委员", "village committee member"),
    "college_grad_official": ("大学生村官", "college-graduate village official"),
    "grid_worker": ("网格员", "grid worker"),
    "social_worker": ("社会工作者", "social worker"),
    "civil_affairs_assistant": ("民政协理员", "civil-affairs assistant"),
    "womens_director": ("妇女主任", "women's director"),
    "left_behind_woman": ("留守妇女", "left-behind woman"),
    "volunteer": ("爱心人士/志愿者", "volunteer"),
    "township_civil_affairs": ("乡镇（街道）民政干部", "township civil-affairs cadre"),
    "township_womens_fed": ("乡镇（街道）妇联干部", "township women's-federation cadre"),
    "village_doctor": ("村医", "village doctor (not an eligible role)"),
    "other": ("其他", "other (not an eligible role)"),
}

#: Gender words on a roster: word (lower-cased) -> ``"F"`` / ``"M"``.
GENDER_WORDS: dict[str, str] = {"女": "F", "男": "M", "f": "F", "m": "M", "female": "F",
                                "male": "M"}

#: Positions a roster candidate stands for: Chinese label -> key.
CANDIDATE_FOR_WORDS: dict[str, str] = {"儿童主任": "director", "儿童督导员": "supervisor",
                                       "均可": "either"}

# --- children -----------------------------------------------------------------------------

#: The five difficulty subtypes (DOMAIN.md "Who is counted"), as village-layer columns.
DIFFICULTY_COLUMNS: tuple[str, ...] = ("orphan", "unsupported", "illness_disability",
                                       "dibao_tekun", "difficulty_other")

#: Service-target types (left-behind + the five difficulty subtypes; 001 三(二)).
TARGET_TYPES: tuple[str, ...] = ("left_behind", *DIFFICULTY_COLUMNS)

#: Short labels of the target types (form fields, chart legends): key -> (zh, en).
TARGET_SHORT_LABELS: dict[str, tuple[str, str]] = {
    "left_behind": ("留守", "left-behind"),
    "orphan": ("孤儿", "orphan"),
    "unsupported": ("事实无人抚养", "unsupported"),
    "illness_disability": ("重病重残", "illness/disability"),
    "dibao_tekun": ("低保特困", "Dibao/Tekun (低保/特困)"),
    "difficulty_other": ("其他困境", "other"),
}

#: Child weights of the hazards score (003 §14).
CHILD_WEIGHT_KEYS: tuple[str, ...] = ("resident", "left_behind", "difficulty", "key_attention")

#: Coverage weights of the siting objective (004 §2).
COVERAGE_WEIGHT_KEYS: tuple[str, ...] = ("child", "left_behind", "difficulty",
                                         "poverty_village", "old_base_village")

# --- designations (funding tilts) ---------------------------------------------------------

#: County-level designations a planner records (DOMAIN.md "Funding"; 000, 001 三(二)).
COUNTY_DESIGNATIONS: dict[str, tuple[str, str]] = {
    "old_base": ("革命老区", "old revolutionary base area"),
    "central_soviet": ("原中央苏区", "former Central Soviet Area"),
    "poverty_lifted": ("脱贫县", "county lifted out of poverty (formerly 贫困县)"),
    "key_assistance": ("国家乡村振兴重点帮扶县", "national key assistance county"),
    "three_regions": ("三区三州", "'three regions and three prefectures'"),
}

#: Township-level designations (002 五(二)).
TOWNSHIP_DESIGNATIONS: dict[str, tuple[str, str]] = {
    "township_in_difficulty": ("困难街镇", "township in difficulty"),
}

#: Village-level designations (DOMAIN.md "Funding").
VILLAGE_DESIGNATIONS: dict[str, tuple[str, str]] = {
    "poverty_village": ("脱贫村", "village lifted out of poverty (原建档立卡贫困村)"),
    "old_base_village": ("老区村", "old-base village"),
}

# --- yes / no -----------------------------------------------------------------------------

#: Cell texts read as yes (lower-cased, stripped). "有" (present) and "1.0" (a spreadsheet
#: column read as numbers) are yes everywhere: the schema lacked "1.0", the siting model "有".
TRUE_WORDS: tuple[str, ...] = ("true", "1", "1.0", "yes", "y", "t", "是", "有", "√")
#: Cell texts read as no; an empty cell is no.
FALSE_WORDS: tuple[str, ...] = ("false", "0", "0.0", "no", "n", "f", "否", "无", "",
                                "nan", "none")
BOOL_WORDS: dict[str, tuple[str, ...]] = {"true": TRUE_WORDS, "false": FALSE_WORDS}


def parse_bool(value: object) -> bool | None:
    """Read a yes/no cell: True, False, or None when it is neither.

    >>> parse_bool(" Yes "), parse_bool(None), parse_bool(0), parse_bool("x")
    (True, False, False, None)
    """
    if isinstance(value, bool):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    s = str(value).strip().lower()
    if s in TRUE_WORDS:
        return True
    if s in FALSE_WORDS:
        return False
    return None


def is_true(value: object) -> bool:
    """True only for a yes word (anything else, unknown words included, is no).

    >>> is_true("√"), is_true("maybe")
    (True, False)
    """
    return parse_bool(value) is True


# --- codes --------------------------------------------------------------------------------


def code_text(value: object) -> str:
    """A division or person code as text (``500109102001.0`` loses its ``.0``; missing is ``""``).

    >>> code_text(None), code_text(" P01 "), code_text(float("nan"))
    ('', 'P01', '')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) or type(value).__name__ in ("float64", "float32"):
        if float(value).is_integer():
            return str(int(value))
    return str(value).strip()


def township_of(village_code: str) -> str:
    """The 9-digit township of a 12-digit village code; ``""`` when it is not one.

    >>> township_of("500109102001"), township_of("x")
    ('500109102', '')
    """
    c = str(village_code)
    return c[:9] if len(c) == 12 and c.isdigit() else ""


def township_code(code: str) -> str:
    """A township code in its 9-digit form (a 12-digit form ending in ``000`` is shortened).

    >>> township_code("500109102000"), township_code("500109102")
    ('500109102', '500109102')
    """
    c = str(code)
    return c[:9] if len(c) == 12 and c.endswith("000") else c


def list_codes(codes: Iterable[str], limit: int = 20) -> str:
    """Codes joined with ``、`` for a message, at most ``limit`` shown."""
    codes = list(codes)
    shown = "、".join(codes[:limit])
    return shown + (f" …(+{len(codes) - limit})" if len(codes) > limit else "")
