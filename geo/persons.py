"""Person lists (one row per child) aggregated, in memory, to village counts.

Planners export person-level lists from 全国儿童福利信息系统 / 农村留守儿童信息管理系统
(姓名, 公民身份号码, 性别, 出生日期, 户籍或居住的村（社区）, 类别, 重点关注, 监护人 …).
This module reads such lists (CSV or XLSX, with the import step's title rows / header search
and an optional column mapping), validates each ID number, matches each child to a village
and returns village counts only. Names, ID numbers, phones and addresses never leave this
module: the returned :class:`PersonCounts` holds counts, row numbers of problems and a
SHA-256 of each source file, nothing else.

Category rule (一人一档, 003 §8 "做到一人一档"): one child is one file. A child found in two
lists (same valid ID number) is counted ONCE in ``target_children`` and once in each category
any of its rows carries: left-behind (留守) and in difficulty (困境) are not exclusive, so a child
listed as 留守 in one list and 困境/孤儿 in the other counts once in ``left_behind`` and once in
``orphan``. Among the difficulty subtypes a child counts in ONE subtype only, the first of
:data:`SUBTYPE_ORDER` it carries (孤儿 > 事实无人抚养 > 重病重残 > 低保特困 > 其他困境), so the
subtype columns add up to the children in difficulty. ``key_attention`` counts a child once
if any of its rows flags it. Rows whose ID number is invalid are reported (by row, never
echoing the number) and still counted, but cannot be deduplicated.

Age bands are ages in completed years at ``as_of`` (default: 1 January of the reference
year): 0–5, 6–11, 12–17; a person aged 18 or more at ``as_of`` is reported and not counted.

>>> id_problem("11010519491231002X", None)
>>> id_problem("110105194912310021", None)
'check_digit'
>>> id_problem("11010519491231002X", date(1949, 12, 30))
'birth_mismatch'
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from geo.importer import grid_from_csv_text, grids_from_xlsx
from geo.pii import gb11643_check_digit
from geo.report import Report
from geo.schema import LAYERS, normalise_header
from optimization.vocab import DIFFICULTY_COLUMNS, TRUE_WORDS

__all__ = [
    "AGE_BANDS",
    "COUNT_COLUMNS",
    "PERSON_FIELDS",
    "PersonCounts",
    "SUBTYPE_ORDER",
    "aggregate_persons",
    "id_problem",
    "project_years",
    "read_person_file",
    "suppress_small",
]

LAYER = "persons"

#: Person-list fields -> header synonyms (normalised on comparison).
PERSON_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "儿童姓名", "name"),
    "id": ("公民身份号码", "身份证号", "身份证号码", "身份证件号码", "证件号码", "id_number"),
    "gender": ("性别", "gender"),
    "birth": ("出生日期", "出生年月日", "birth_date"),
    "village": ("户籍或居住的村（社区）", "户籍或居住的村(社区)", "村（社区）", "所在村（社区）",
                "居住村（社区）", "户籍村（社区）", "村（居）委会", "村", "village"),
    "village_code": ("村（社区）代码", "村社区代码", "村代码", "统计用区划代码", "village_code"),
    "township": ("乡镇（街道）", "乡镇", "街道", "所属乡镇", "乡镇街道", "township"),
    "category": ("类别", "儿童类别", "人员类别", "儿童类型", "category"),
    "subtype": ("困境类型", "困境儿童类型", "困境类别", "细类", "subtype"),
    "key_attention": ("重点关注", "是否重点关注", "重点关注儿童", "key_attention"),
}
#: Personal fields read only to validate or deduplicate, dropped afterwards.
PERSONAL = ("name", "id", "gender", "birth")

#: Difficulty subtypes in the order a child is assigned to ONE of them.
SUBTYPE_ORDER = DIFFICULTY_COLUMNS
_SUBTYPE_WORDS = (
    ("orphan", ("孤儿",)),
    ("unsupported", ("事实无人抚养", "无人抚养")),
    ("illness_disability", ("重病", "重残", "残疾", "大病")),
    ("dibao_tekun", ("低保", "特困")),
)
AGE_BANDS = (("age_0_5", 0, 5), ("age_6_11", 6, 11), ("age_12_17", 12, 17))
COUNT_COLUMNS = ("target_children", "left_behind", "in_difficulty", *SUBTYPE_ORDER,
                 "key_attention", *(b[0] for b in AGE_BANDS))
#: Headers of the count columns (zh, en); ``village_code`` keeps its 12-digit codes.
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "village_code": ("村（社区）代码", "Village code"),
    "village_name": ("村（社区）", "Village"),
    "target_children": ("名单内儿童", "Children on the lists"),
    "left_behind": ("农村留守儿童", "Left-behind children"),
    "in_difficulty": ("困境儿童", "Children in difficulty"),
    **{c: (f"其中：{LAYERS['villages'].column(c).zh}", f"of which: {LAYERS['villages'].column(c).en}")
       for c in DIFFICULTY_COLUMNS},
    "key_attention": ("重点关注儿童", "Key-attention children"),
    "age_0_5": ("0–5 岁", "Aged 0–5"),
    "age_6_11": ("6–11 岁", "Aged 6–11"),
    "age_12_17": ("12–17 岁", "Aged 12–17"),
    "year": ("年份", "Year"),
    "children": ("预计儿童数", "Projected children"),
}
_YES = {*TRUE_WORDS, "重点", "重点关注"}


def id_problem(code: str, birth: date | None) -> str | None:
    """Why an ID number is invalid (``length``, ``check_digit``, ``bad_date``, ``birth_mismatch``)."""
    s = str(code).strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", s):
        return "length"
    if gb11643_check_digit(s[:17]) != s[17]:
        return "check_digit"
    try:
        d = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return "bad_date"
    if birth is not None and d != birth:
        return "birth_mismatch"
    return None


_ID_WHY = {
    "length": ("不是 18 位（17 位数字加校验位）", "is not 18 characters (17 digits + check)"),
    "check_digit": ("校验位不符（GB 11643，ISO 7064 MOD 11-2）",
                    "check digit wrong (GB 11643, ISO 7064 MOD 11-2)"),
    "bad_date": ("内含的出生日期不存在", "the birth date inside it does not exist"),
    "birth_mismatch": ("内含的出生日期与“出生日期”列不一致",
                       "the birth date inside it differs from the 出生日期 column"),
}


@dataclass
class PersonCounts:
    """Village counts made from person lists; nothing personal."""

    counts: pd.DataFrame
    report: Report
    #: file name -> SHA-256 of its bytes.
    sources: dict[str, str] = field(default_factory=dict)
    #: village_code -> {birth year: children} (years only, for projections).
    birth_years: dict[str, dict[int, int]] = field(default_factory=dict)
    as_of: date = date(2025, 1, 1)
    rows_read: int = 0


def _parse_date(s: str) -> date | None:
    s = str(s).strip()
    m = re.fullmatch(r"(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?(?:[ T].*)?", s)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _find_header(rows: list[list[str]], mapping: dict[str, str] | None):
    targets = {normalise_header(h): f for f, hs in PERSON_FIELDS.items() for h in hs}
    for k, v in (mapping or {}).items():
        targets[normalise_header(k)] = v
    for h, row in enumerate(rows[:20]):
        cols = {}
        for j, cell in enumerate(row):
            f = targets.get(normalise_header(cell))
            if f and f not in cols:
                cols[f] = j
        if "village" in cols or "village_code" in cols:
            if "id" in cols or "name" in cols or "birth" in cols:
                return h, cols
    return None, {}


def read_person_file(name: str, data: bytes, report: Report,
                     mapping: dict[str, str] | None = None) -> list[dict]:
    """The rows of one person list as dicts of field -> text (with ``_row``); in memory only."""
    if name.lower().endswith((".xlsx", ".xlsm")):
        sheets = grids_from_xlsx(data)
        grid = None
        for g in sheets.values():
            if _find_header(g.rows, mapping)[0] is not None:
                grid = g
                break
        grid = grid or next(iter(sheets.values()), None)
    else:
        from geo.io import _decode

        dec = _decode(data, name, LAYER, report)
        if dec is None:
            return []
        grid, _ = grid_from_csv_text(dec[0])
    h, cols = (None, {}) if grid is None else _find_header(grid.rows, mapping)
    if h is None:
        report.add("error", "person_header_missing", layer=LAYER, file=name,
                   zh="找不到人员名单的表头（需要“户籍或居住的村（社区）”及“公民身份号码”或“出生日期”列）",
                   en="no person-list header found (needs a village column and an ID or birth-date column)",
                   fix_zh="检查表头，或在导入步骤的列对应中指定各列",
                   fix_en="check the header row, or map the columns in the import step")
        return []
    out = []
    for row, num in zip(grid.rows[h + 1:], grid.numbers[h + 1:], strict=True):
        if not any(c.strip() for c in row):
            continue
        rec = {f: (row[j].strip() if j < len(row) else "") for f, j in cols.items()}
        if rec.get("village", "").startswith(("合计", "小计", "总计")):
            continue
        rec["_row"] = num
        rec["_file"] = name
        out.append(rec)
    return out


def _subtype(text: str) -> str:
    for key, words in _SUBTYPE_WORDS:
        if any(w in text for w in words):
            return key
    return "difficulty_other"


def _village_index(villages: pd.DataFrame, townships: pd.DataFrame | None):
    codes = {str(c) for c in villages["village_code"]}
    tname = {}
    if townships is not None and len(townships):
        tname = {str(n): str(c) for c, n in zip(townships["township_code"], townships["name"],
                                                  strict=True)}
    by_name: dict[str, list[tuple[str, str]]] = defaultdict(list)
    tcol = villages["township_code"] if "township_code" in villages else [""] * len(villages)
    for c, n, t in zip(villages["village_code"], villages["name"], tcol, strict=True):
        t = str(t) if t == t and t is not None else str(c)[:9]
        by_name[str(n)].append((str(c), t or str(c)[:9]))
    return codes, tname, by_name


def aggregate_persons(files: list[tuple[str, bytes]], villages: pd.DataFrame,
                      townships: pd.DataFrame | None = None, *, as_of: date | None = None,
                      mapping: dict[str, str] | None = None) -> PersonCounts:
    """Read person lists and count children per village (see the module for the rules)."""
    as_of = as_of or date(date.today().year, 1, 1)
    report = Report()
    sources = {}
    codes, tname, by_name = _village_index(villages, townships)
    # child key -> accumulated facts (in memory; keys are dropped when this returns)
    kids: dict[object, dict] = {}
    n_rows = 0
    for name, data in files:
        sources[Path(name).name] = hashlib.sha256(data).hexdigest()
        recs = read_person_file(name, data, report, mapping)
        n_rows += len(recs)
        for rec in recs:
            row = rec["_row"]
            fname = Path(name).name
            birth = _parse_date(rec.get("birth", "")) if rec.get("birth") else None
            key: object = ("row", fname, row)
            idv = rec.get("id", "")
            if "id" in rec:
                why = id_problem(idv, birth)
                if why is None:
                    key = idv.strip().upper()
                    s = key
                    birth = birth or date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
                else:
                    zh, en = _ID_WHY[why]
                    report.add("warning", "bad_id_number", layer=LAYER, file=fname, row=row,
                               column="公民身份号码",
                               zh=f"公民身份号码{zh}；该儿童仍计数，但无法与其他名单去重",
                               en=f"the ID number {en}; the child is counted but cannot be "
                                  "deduplicated across lists",
                               fix_zh="在信息系统中核对该儿童的身份号码后重新导出",
                               fix_en="check this child's ID number in the information system and export again")
            if birth is None:
                report.add("warning", "no_birth_date", layer=LAYER, file=fname, row=row,
                           column="出生日期", zh="无法得到出生日期，不计入年龄段",
                           en="no usable birth date; not counted in an age band",
                           fix_zh="补全“出生日期”（如 2015-03-08）", fix_en="fill 出生日期 (e.g. 2015-03-08)")
            # village
            vcode = None
            vc = re.sub(r"\D", "", rec.get("village_code", ""))
            vtext = rec.get("village", "")
            if len(vc) == 12 and vc in codes:
                vcode = vc
            elif re.fullmatch(r"\d{12}", vtext) and vtext in codes:
                vcode = vtext
            else:
                cands = by_name.get(vtext, [])
                tw = rec.get("township", "")
                if tw:
                    tc = tname.get(tw, re.sub(r"\D", "", tw))
                    cands = [c for c in cands if c[1] == tc]
                if len(cands) == 1:
                    vcode = cands[0][0]
                elif len(cands) > 1:
                    report.add("error", "village_ambiguous", layer=LAYER, file=fname, row=row,
                               column="户籍或居住的村（社区）", value=vtext,
                               zh=f"村名对应 {len(cands)} 个村（"
                                  + "、".join(c[0] for c in cands) + "），未计数",
                               en=f"the village name matches {len(cands)} villages ("
                                  + ", ".join(c[0] for c in cands) + "); not counted",
                               fix_zh="加上“乡镇（街道）”列或“村（社区）代码”列",
                               fix_en="add a township column or a 12-digit village-code column")
                    continue
                else:
                    report.add("error", "village_unmatched", layer=LAYER, file=fname, row=row,
                               column="户籍或居住的村（社区）", value=vtext,
                               zh="村（社区）在村图层中找不到，未计数",
                               en="village not found in the village layer; not counted",
                               fix_zh="核对村名或填写 12 位村代码", fix_en="check the name or give the 12-digit code")
                    continue
            cat = rec.get("category", "") + " " + rec.get("subtype", "")
            k = kids.setdefault(key, {"village": vcode, "birth": birth, "lb": False,
                                      "sub": set(), "key": False, "rows": []})
            k["rows"].append((fname, row))
            if k["village"] != vcode:
                report.add("warning", "child_two_villages", layer=LAYER, file=fname, row=row,
                           zh="同一儿童在两份名单中的村不同，按先读到的村计数",
                           en="the same child is in two villages in two lists; counted in the first",
                           fix_zh="在信息系统中核对其户籍或居住地", fix_en="check its village in the system")
            if "留守" in cat:
                k["lb"] = True
            if "困境" in cat or any(w in cat for _, ws in _SUBTYPE_WORDS for w in ws):
                k["sub"].add(_subtype(cat))
            if rec.get("key_attention", "").strip().lower() in _YES:
                k["key"] = True
    rows = defaultdict(lambda: dict.fromkeys(COUNT_COLUMNS, 0))
    years: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    dups = sum(len(k["rows"]) - 1 for k in kids.values())
    for k in kids.values():
        b = k["birth"]
        if b is not None:
            age = as_of.year - b.year - ((as_of.month, as_of.day) < (b.month, b.day))
            if age >= 18 or age < 0:
                f, r = k["rows"][0]
                report.add("warning", "not_a_child", layer=LAYER, file=f, row=r, column="出生日期",
                           zh=f"按 {as_of.isoformat()} 计已满 18 周岁或未出生，未计数",
                           en=f"aged 18 or more (or not born) on {as_of.isoformat()}; not counted",
                           fix_zh="从名单中移除或核对出生日期", fix_en="remove from the list or check the date")
                continue
        r = rows[k["village"]]
        r["target_children"] += 1
        r["left_behind"] += k["lb"]
        if k["sub"]:
            r["in_difficulty"] += 1
            r[min(k["sub"], key=SUBTYPE_ORDER.index)] += 1
        r["key_attention"] += k["key"]
        if b is not None:
            for band, lo, hi in AGE_BANDS:
                if lo <= age <= hi:
                    r[band] += 1
            years[k["village"]][b.year] += 1
    if dups:
        report.add("warning", "duplicates_merged", layer=LAYER, file=None, value=str(dups),
                   zh=f"{dups} 行与其他行是同一儿童（身份号码相同），按一人一档只计一次",
                   en=f"{dups} row(s) are a child already listed (same ID number); counted once "
                      "(一人一档, 003 §8)",
                   fix_zh="无需处理", fix_en="nothing to do")
    frame = pd.DataFrame([{"village_code": v, **c} for v, c in sorted(rows.items())],
                         columns=["village_code", *COUNT_COLUMNS])
    kids.clear()
    return PersonCounts(counts=frame, report=report, sources=sources,
                        birth_years={v: dict(d) for v, d in years.items()}, as_of=as_of,
                        rows_read=n_rows)


def project_years(pc: PersonCounts, years: list[int], *, entry_rate: float | None = None
                  ) -> pd.DataFrame:
    """Children per village per plan year (age on 1 January of that year, 0–17).

    With birth years only, a child born in year ``b`` is 0–17 on 1 January of ``y`` for
    ``b < y <= b + 18`` (ages out at 18).
    Entries (children born from the reference year on) per village and year are
    ``entry_rate × (children counted in the reference year)`` when a rate is set, else the
    observed age structure: the mean size of the village's birth cohorts aged 0–5.
    """
    ref = pc.as_of.year
    out = []
    for v, by in sorted(pc.birth_years.items()):
        base = sum(n for b, n in by.items() if b < ref <= b + 18)
        if entry_rate is not None:
            entry = entry_rate * base
        else:
            entry = sum(n for b, n in by.items() if ref - 6 <= b < ref) / 6.0
        for y in years:
            known = sum(n for b, n in by.items() if b < y <= b + 18)
            new = entry * sum(1 for b in range(ref, y) if b < y <= b + 18)
            out.append({"village_code": v, "year": y, "children": round(known + new, 2),
                        "from_list": known, "entries": round(new, 2)})
    return pd.DataFrame(out, columns=["village_code", "year", "children", "from_list", "entries"])


def suppress_small(frame: pd.DataFrame, below: int = 3, columns=None) -> pd.DataFrame:
    """Counts 1 … below-1 shown as ``"<below"`` (for tables leaving the office); 0 stays 0."""
    out = frame.copy()
    for c in columns or [c for c in COUNT_COLUMNS if c in frame.columns]:
        out[c] = [f"<{below}" if 0 < v < below else v for v in out[c].tolist()]
    return out
