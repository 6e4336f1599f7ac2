"""Update a few villages' counts by code: a partial table, checked before anything changes.

A planner who learns that three villages' counts changed uploads a small table — the
12-digit village code and the count columns that changed (any header the village layer
accepts: ``村代码``, ``留守儿童数``...) — instead of every file again. The table is checked
first: an unknown or repeated code, or a count that is not a whole number of children, is
rejected with its row and column, and nothing changes. A blank cell keeps the count it had.

A checked update becomes a complete child-count table (:data:`geo.schema.CHILDREN`) of the
data in use with the new values (:func:`updated_counts_csv`); the app loads it through the
same validated path as any upload (so a count the village layer could not hold, e.g. more
left-behind than resident children, is rejected too), and shows :func:`count_changes`:
code, name, column, before, after.

Nothing here touches Streamlit.
"""

from __future__ import annotations

import dataclasses
import io
import re
from dataclasses import dataclass

import pandas as pd

from geo.report import Report
from geo.schema import LAYERS, header_field

__all__ = [
    "COUNT_FIELDS",
    "CountUpdate",
    "count_changes",
    "read_count_update",
    "relabel_report",
    "updated_counts_csv",
]

#: The village counts a partial table may update (the village layer's count columns).
COUNT_FIELDS: tuple[str, ...] = tuple(c.name for c in LAYERS["villages"].columns
                                      if c.kind == "count")
_LAYER = "children"


@dataclass(frozen=True)
class CountUpdate:
    """A partial count table as checked.

    Attributes
    ----------
    file : str
        The uploaded file's name (messages name it).
    table : DataFrame
        ``village_code``, ``_row`` (the row in the file) and one nullable integer column per
        count given (``<NA>``: a blank cell, the count stays as it is).
    columns : tuple of str
        The count fields the table gives, in its order.
    report : Report
        Every problem found; ``report.ok`` is False when anything is rejected.
    """

    file: str
    table: pd.DataFrame
    columns: tuple[str, ...]
    report: Report

    @property
    def ok(self) -> bool:
        """True when the check found no error (the update may be used)."""
        return self.report.ok


def _count(text: str) -> int | None | str:
    """A cell as a count: int, None for blank, or the text back when it is not a count.

    >>> _count(" 1,234 "), _count("12.0"), _count(""), _count("-3"), _count("2.5")
    (1234, 12, None, '-3', '2.5')
    """
    s = str(text).strip().replace(",", "").replace("，", "")
    if s == "" or s.lower() in ("nan", "none"):
        return None
    if re.fullmatch(r"\d+(\.0+)?", s):
        return int(float(s))
    return str(text).strip()


def _code(text: str) -> str:
    s = str(text).strip()
    return s[:-2] if re.fullmatch(r"\d{12}\.0", s) else s


def read_count_update(filename: str, payload: bytes, villages: pd.DataFrame, *,
                      mapping: dict[str, str] | None = None) -> CountUpdate:
    """Read and check a partial count table (CSV or XLSX) against the villages in use.

    Parameters
    ----------
    filename : str
        The file's name (its suffix picks the reader; messages name it).
    payload : bytes
        The file's bytes.
    villages : DataFrame
        The village layer in use (``village_code``): a code not in it is rejected.
    mapping : dict, optional
        The planner's header -> field mapping (as on the 数据 page), else the aliases.

    Returns
    -------
    CountUpdate
        With ``report.ok`` False on any of: unreadable file, no village-code column, no count
        column, a code that is not 12 digits or not a village in use (row and code named),
        a code given twice, a count that is not a non-negative whole number.
    """
    from geo.io import read_raw

    report = Report()
    empty = CountUpdate(filename, pd.DataFrame(columns=["village_code", "_row"]), (), report)
    raw = read_raw(filename, _LAYER, report, data=payload, mapping=mapping)
    if raw is None:
        return empty
    frame = raw.frame
    fields = {h: header_field("villages", str(h), mapping) for h in frame.columns}
    code_col = next((h for h, f in fields.items() if f == "village_code"), None)
    counts = [(h, f) for h, f in fields.items() if f in COUNT_FIELDS]
    for h, f in fields.items():
        if f is not None and f != "village_code" and f not in COUNT_FIELDS:
            report.add("warning", "column_not_updated", layer=_LAYER, file=filename, column=str(h),
                       zh=f"“{h}”不是儿童数列，部分更新只改儿童数，该列已忽略",
                       en=f"'{h}' is not a count column; a partial update changes counts only, "
                          "so it was ignored",
                       fix_zh="名称、点位等请在村图层中修改后整体上传",
                       fix_en="change names or points in the village layer and upload it whole")
    if code_col is None:
        report.add("error", "missing_column", layer=_LAYER, file=filename, column="village_code",
                   zh="缺少村代码列（12 位统计用区划代码）",
                   en="no village-code column (the 12-digit statistical code)",
                   fix_zh="加一列“村代码”，每行填写要更新的村的 12 位代码",
                   fix_en="add a 'village_code' column with each village's 12-digit code")
    if not counts:
        report.add("error", "missing_column", layer=_LAYER, file=filename, column="",
                   zh="没有可更新的儿童数列（如 常住儿童数、农村留守儿童数）",
                   en="no count column to update (e.g. resident_children, left_behind)",
                   fix_zh="表头写明要更新的儿童数列，如“留守儿童数”",
                   fix_en="name the counts to update in the header, e.g. 'left_behind'")
    if code_col is None or not counts:
        return empty
    known = set(villages["village_code"].astype(str))
    seen: dict[str, int] = {}
    rows = []
    for i, rec in enumerate(frame.itertuples(index=False, name=None)):
        cells = dict(zip(frame.columns, rec, strict=True))
        row = raw.row(i)
        code = _code(cells[code_col])
        if not re.fullmatch(r"\d{12}", code):
            report.add("error", "bad_code", layer=_LAYER, file=filename, row=row,
                       column="village_code", value=code, feature_id=code or None,
                       zh="村代码应为 12 位数字", en="a village code is 12 digits",
                       fix_zh="填写 12 位统计用区划代码（以文本格式保存，避免丢失开头的 0）",
                       fix_en="write the 12-digit code (as text, so no digit is lost)")
            continue
        if code not in known:
            report.add("error", "unknown_village", layer=_LAYER, file=filename, row=row,
                       column="village_code", value=code, feature_id=code,
                       zh="该村代码不在当前使用的村图层中，无法更新",
                       en="this village code is not in the village layer in use, so it cannot "
                          "be updated",
                       fix_zh="核对 12 位村代码；新增的村请在村图层中补充后整体上传",
                       fix_en="check the code; add a new village to the village layer and "
                              "upload it whole")
            continue
        if code in seen:
            report.add("error", "duplicate_id", layer=_LAYER, file=filename, row=row,
                       column="village_code", value=code, feature_id=code,
                       zh=f"该村代码已在第 {seen[code]} 行出现，同一村只能更新一次",
                       en=f"this code is already on row {seen[code]}; update a village once",
                       fix_zh="删除重复的行", fix_en="delete the repeated row")
            continue
        seen[code] = row
        out = {"village_code": code, "_row": row}
        for h, f in counts:
            v = _count(cells[h])
            if isinstance(v, str):
                report.add("error", "bad_count", layer=_LAYER, file=filename, row=row,
                           column=f, value=v, feature_id=code,
                           zh=f"“{h}”应为不小于 0 的整数（人数）",
                           en=f"'{h}' must be a whole number of children, 0 or more",
                           fix_zh="填写人数（整数）；不更新的格子留空",
                           fix_en="enter a whole number; leave a cell blank to keep its count")
                v = None
            out[f] = v
        rows.append(out)
    cols = tuple(f for _, f in counts)
    table = pd.DataFrame(rows, columns=["village_code", "_row", *cols])
    for f in cols:
        table[f] = table[f].astype("Int64")
    return CountUpdate(filename, table, cols, report)


def count_changes(villages: pd.DataFrame, update: CountUpdate) -> pd.DataFrame:
    """What the update changes: one row per village and count whose value differs.

    Columns ``village_code``, ``name``, ``column`` (the field), ``before``, ``after``, in
    the order of the file's rows and columns. A blank cell or an equal value is no change.
    """
    v = villages.drop_duplicates("village_code").set_index(villages["village_code"].astype(str)
                                                           .drop_duplicates())
    rows = []
    for rec in update.table.itertuples(index=False):
        code = rec.village_code
        for f in update.columns:
            after = getattr(rec, f)
            if pd.isna(after):
                continue
            before = int(v.at[code, f]) if f in v.columns and pd.notna(v.at[code, f]) else 0
            if int(after) != before:
                rows.append({"village_code": code, "name": str(v.at[code, "name"])
                             if "name" in v.columns else "", "column": f,
                             "before": before, "after": int(after)})
    return pd.DataFrame(rows, columns=["village_code", "name", "column", "before", "after"])


def updated_counts_csv(villages: pd.DataFrame, update: CountUpdate) -> bytes:
    """A complete child-count table of ``villages`` with the update applied (UTF-8 CSV).

    Every column of :data:`geo.schema.CHILDREN` the villages carry is written, so loading it
    as the ``children`` layer over the same villages changes exactly the updated counts.
    """
    cols = [c.name for c in LAYERS["children"].columns if c.name in villages.columns]
    out = pd.DataFrame(villages[cols]).copy()
    out["village_code"] = out["village_code"].astype(str)
    idx = {c: i for i, c in enumerate(out["village_code"])}
    for rec in update.table.itertuples(index=False):
        for f in update.columns:
            v = getattr(rec, f)
            if not pd.isna(v) and rec.village_code in idx:
                out.iloc[idx[rec.village_code], out.columns.get_loc(f)] = int(v)
    buf = io.StringIO()
    out.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


def relabel_report(report: Report, update: CountUpdate) -> Report:
    """Problems of loading the merged table, named by the partial file's rows where they can.

    A count rejected by the village checks (e.g. more left-behind than resident children)
    is reported on the planner's file and row, not the merged table's; what follows from it
    in other layers (a facility whose village was left out) is not repeated.
    """
    rows = dict(zip(update.table["village_code"], update.table["_row"], strict=True))
    own = [p for p in report.problems if p.layer == _LAYER]
    failed = {p.feature_id for p in own if p.severity == "error" and p.code != "missing_counts"}
    out = Report()
    for p in own:  # the merged table's problems; the other layers' follow from them
        if p.code == "missing_counts" and p.feature_id in failed:
            continue  # the village was left out because its row was rejected: said above
        if p.feature_id in rows:
            p = dataclasses.replace(p, file=update.file, row=int(rows[p.feature_id]))
        out.problems.append(p)
    return out if not out.ok or report.ok else report
