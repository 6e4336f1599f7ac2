"""Find the table in a planner's spreadsheet, keeping the row numbers the planner sees.

County returns are made by people: a title row above the header (北碚区2024年农村留守儿童统计表),
two header rows with a merged 儿童数 over 常住 | 留守, blank lines, a 合计/小计 row at the bottom,
a 填表人/注 line under the table, data on the second sheet, ``;`` or tab as separator, a cell
with a stray quote. This module turns such a file into a grid of text cells whose every row
still carries its ORIGINAL row number (line of the CSV, row of the sheet), so that each
problem found later points at the row the planner will open.

Libraries: Excel files are read with openpyxl (already a dependency) twice in read-only mode —
once for cached values, once for formulas — so a formula without a cached value (a file
written by a program and never opened in Excel) is reported instead of read as empty.
python-calamine is faster but returns such a formula as an empty cell and (by default) skips
the empty rows above the data, which shifts row numbers; frictionless and pandera type and
validate tables but take the header row as given (a fixed ``header_rows``), report in English
only and add a large dependency tree for what :mod:`geo.validate` already does bilingually.
CSV separators are sniffed by the field-count consistency of each candidate, which (unlike
``csv.Sniffer``) tolerates a title line above the header; rows are split with the standard
``csv`` module one record at a time so a ragged row or an unbalanced quote is reported by row.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field

from geo.report import Report
from geo.schema import header_field, normalise_header, split_qualifier

__all__ = [
    "Grid",
    "TOTAL_WORDS",
    "find_header",
    "grid_from_csv_text",
    "grids_from_xlsx",
    "load_mapping",
    "mapping_json",
    "save_mapping",
    "suggest_mapping",
    "table_from_grid",
]

#: First cells that mark a total or a note row, not a village (dropped with a warning).
TOTAL_WORDS = ("合计", "小计", "总计", "共计", "总数", "全县合计", "全区合计", "全镇合计", "total",
               "subtotal", "sum", "grandtotal")
_NOTE_PREFIX = re.compile(r"^(注|备注|说明|填表人|填报人|审核人|负责人|制表|填表日期|填报日期|联系电话)"
                          r"[\s:：]")
_SEPARATORS = (",", ";", "\t", "|", "，")
_MAX_HEADER_SCAN = 20


@dataclass
class Grid:
    """Rows of text cells, each with its original 1-based row number."""

    rows: list[list[str]]
    numbers: list[int]
    #: (row number, column index) of formulas with no cached value (XLSX only).
    formulas: set[tuple[int, int]] = field(default_factory=set)
    #: row numbers whose record could not be split (ragged / unbalanced quote): reported.
    broken: dict[int, str] = field(default_factory=dict)
    #: (row number, column index) of cells filled from a merged cell above (XLSX only).
    filled: set[tuple[int, int]] = field(default_factory=set)


# --- CSV -----------------------------------------------------------------------------------

def sniff_separator(text: str) -> str:
    r"""The separator whose field count is the most consistent over the first lines.

    >>> sniff_separator("标题\n代码;名称;人数\n1;甲;3\n2;乙;4\n")
    ';'
    >>> sniff_separator("a\tb\n1\t2\n")
    '\t'
    """
    lines = [ln for ln in text.splitlines()[:60] if ln.strip()]
    best, best_score = ",", (-1, -1)
    for sep in _SEPARATORS:
        counts = Counter(len(next(csv.reader([ln], delimiter=sep))) for ln in lines
                         if ln.count('"') % 2 == 0)
        counts.pop(1, None)
        if not counts:
            continue
        width, n = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        score = (n, width)
        if score > best_score:
            best, best_score = sep, score
    return best


def _split(line: str, sep: str) -> list[str]:
    return next(csv.reader([line], delimiter=sep, skipinitialspace=True), [])


def grid_from_csv_text(text: str, sep: str | None = None) -> tuple[Grid, str]:
    """Split CSV text into a :class:`Grid` (line numbers kept), and the separator used.

    A record whose quotes do not balance on its own line is joined with the next lines (a
    quoted cell with a line break) only when that gives the usual number of fields; otherwise
    the line is marked broken (``unbalanced_quote``) and split without quotes.
    """
    sep = sep or sniff_separator(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    widths = Counter(len(_split(ln, sep)) for ln in lines if ln.strip() and ln.count('"') % 2 == 0)
    usual = max(widths.items(), key=lambda kv: (kv[1], kv[0]))[0] if widths else 0
    rows, numbers, broken = [], [], {}
    i = 0
    while i < len(lines):
        line, number = lines[i], i + 1
        if line.count('"') % 2 == 0:
            rows.append([c.strip() for c in _split(line, sep)])
            numbers.append(number)
            i += 1
            continue
        joined, taken = line, None
        for j in range(i + 1, min(i + 6, len(lines))):
            joined += "\n" + lines[j]
            if joined.count('"') % 2 == 0:
                if len(_split(joined, sep)) == usual:
                    taken = j
                break
        if taken is not None:
            rows.append([c.strip() for c in _split(joined, sep)])
            numbers.append(number)
            i = taken + 1
            continue
        rows.append([c.strip() for c in line.replace('"', "").split(sep)])
        numbers.append(number)
        broken[number] = "unbalanced_quote"
        i += 1
    return Grid(rows=rows, numbers=numbers, broken=broken), sep


# --- XLSX ----------------------------------------------------------------------------------

def _cell_text(v) -> str:
    """Spreadsheet cell to text; integral floats lose their '.0' (codes typed as numbers)."""
    import datetime as _dt

    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, _dt.datetime):
        return v.date().isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    return str(v).strip()


def grids_from_xlsx(data: bytes) -> dict[str, Grid]:
    """Every worksheet as a :class:`Grid`; formulas without a cached value are noted."""
    import openpyxl

    # Merged ranges are only known in openpyxl's full mode, which is ~10x slower than its
    # read-only mode on a long list: the full mode is used only when a sheet has merges, and
    # the formulas are read (a second pass) only when a sheet has any.
    merges, has_formulas = _xlsx_markers(data)
    values = openpyxl.load_workbook(io.BytesIO(data), read_only=not merges, data_only=True)
    formulas = (openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
                if has_formulas else None)
    out: dict[str, Grid] = {}
    try:
        for sheet in values.sheetnames:
            ws = values[sheet]
            if not merges:
                ws.reset_dimensions()   # a wrong <dimension> tag must not cut rows short
            rows, numbers, missing = [], [], set()
            vrows = ws.iter_rows(values_only=True)
            frows = (formulas[sheet].iter_rows(values_only=True) if formulas is not None
                     else iter(()))
            for n, vr in enumerate(vrows, start=1):
                for j, f in enumerate(next(frows, ())):
                    if isinstance(f, str) and f.startswith("=") and (
                            j >= len(vr) or vr[j] is None):
                        missing.add((n, j))
                rows.append([_cell_text(v) for v in vr])
                numbers.append(n)
            # A cell merged down over several rows (乡镇 over its villages) holds its value
            # in the top cell only: carry it down so every village row has it.
            filled = set()
            for rng in (ws.merged_cells.ranges if merges else ()):
                if rng.max_row <= rng.min_row or rng.min_row > len(rows):
                    continue
                top = rows[rng.min_row - 1]
                for r in range(rng.min_row + 1, min(rng.max_row, len(rows)) + 1):
                    row = rows[r - 1]
                    for c in range(rng.min_col, rng.max_col + 1):
                        if c - 1 < len(top) and top[c - 1]:
                            row.extend([""] * (c - len(row)))
                            row[c - 1] = top[c - 1]
                            filled.add((r, c - 1))
            out[sheet] = Grid(rows=rows, numbers=numbers, formulas=missing, filled=filled)
    finally:
        values.close()
        if formulas is not None:
            formulas.close()
    return out


def _xlsx_markers(data: bytes) -> tuple[bool, bool]:
    """(any merged range, any formula) in the workbook's sheets, read from the XML itself.

    An unreadable archive answers (True, True): openpyxl then reads it the slow, thorough
    way and reports what is wrong with it.
    """
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            merges = formulas = False
            for name in z.namelist():
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    continue
                xml = z.read(name)
                merges = merges or b"<mergeCell " in xml or b":mergeCell " in xml
                formulas = formulas or b"<f>" in xml or b"<f " in xml or b":f>" in xml
            return merges, formulas
    except (zipfile.BadZipFile, OSError, KeyError):
        return True, True


# --- header --------------------------------------------------------------------------------

def _is_number(s: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d,，.]+([eE][-+]?\d+)?", s.strip())) if s.strip() else False


def _score(row: list[str], layer: str, mapping: dict[str, str] | None) -> int:
    return sum(1 for c in row if c and header_field(layer, c, mapping) is not None)


def _combine(parent: str, child: str, layer: str, mapping) -> str:
    """The header of a column under a merged parent: the first form our schema knows.

    常住 under 儿童数 -> 常住儿童数; 男 under 农村留守儿童数 -> 农村留守儿童数（男） (a split count).
    """
    if not parent:
        return child
    if not child:
        return parent
    for cand in (parent + child, child + parent, child.rstrip("数") + parent):
        if header_field(layer, cand, mapping) is not None:
            return cand
    if header_field(layer, child, mapping) is not None:
        return child
    return f"{parent}（{child}）"


def find_header(grid: Grid, layer: str, mapping: dict[str, str] | None = None
                ) -> tuple[int, int]:
    """Index (in ``grid.rows``) of the header row and how many header rows (1 or 2).

    The header is the first row (among the first 20) in which at least two cells name a
    field of the layer, or else the best-scoring row, or else the first non-empty row. The
    row below is a second header row when it holds only text, has no number, and fills
    cells under a blank (merged) cell of the first one.
    """
    scan = [(k, r) for k, r in enumerate(grid.rows[:_MAX_HEADER_SCAN]) if any(c for c in r)]
    if not scan:
        return 0, 1
    scores = [(k, _score(r, layer, mapping)) for k, r in scan]
    h = next((k for k, s in scores if s >= 2), None)
    if h is None:
        best = max(scores, key=lambda ks: ks[1])
        h = best[0] if best[1] > 0 else scan[0][0]
    nxt = h + 1
    if nxt < len(grid.rows):
        top, sub = grid.rows[h], grid.rows[nxt]
        texts = [c for c in sub if c]
        if texts and not any(_is_number(c) for c in texts):
            under_blank = any(c and (j >= len(top) or not top[j]) for j, c in enumerate(sub))
            if under_blank:
                return h, 2
    return h, 1


def header_names(grid: Grid, h: int, n_rows: int, layer: str, mapping) -> list[str]:
    """Column names from one or two header rows (a merged parent is carried right)."""
    top = grid.rows[h]
    if n_rows == 1:
        return list(top)
    sub = grid.rows[h + 1]
    width = max(len(top), len(sub))
    names, parent = [], ""
    for j in range(width):
        t = top[j] if j < len(top) else ""
        s = sub[j] if j < len(sub) else ""
        if t:
            parent = t if s else ""
            names.append(_combine(t, s, layer, mapping) if s else t)
        else:
            names.append(_combine(parent, s, layer, mapping))
    return names


def _unique(names: list[str]) -> list[str]:
    seen: Counter = Counter()
    out = []
    for j, n in enumerate(names):
        n = n.strip() or f"_列{j + 1}"
        seen[n] += 1
        out.append(n if seen[n] == 1 else f"{n}#{seen[n]}")
    return out


def _is_total(row: list[str]) -> bool:
    first = [c for c in row[:3] if c]
    if not first:
        return False
    key = normalise_header(first[0])
    if any(w in key for w in ("合计", "小计", "总计", "共计")):  # 澄江镇小计, 全县合计
        return True
    return any(key == w or key.startswith(w) for w in TOTAL_WORDS)


def table_from_grid(grid: Grid, layer: str, file: str, report: Report,
                    mapping: dict[str, str] | None = None):
    """Header, data rows (blank/total/note rows dropped) and their original row numbers.

    Returns
    -------
    (names, rows, numbers, header_rows)
        Column names, the data rows (each padded to the width of the header), their row
        numbers in the file, and the row numbers of the header (for messages).
    """
    h, n_hdr = find_header(grid, layer, mapping)
    names = _unique(header_names(grid, h, n_hdr, layer, mapping))
    header_rows = grid.numbers[h:h + n_hdr]
    if h > 0 and any(any(c for c in r) for r in grid.rows[:h]):
        report.add("warning", "title_rows_skipped", layer=layer, file=file, row=header_rows[0],
                   zh=f"表头在第 {header_rows[0]} 行，上方的 {h} 行标题/说明已跳过",
                   en=f"the header is on row {header_rows[0]}; the {h} title/notes row(s) above "
                      "it were skipped",
                   fix_zh="无需处理；如表头识别有误，请删除表头上方的行",
                   fix_en="nothing to do; if the header was misread, delete the rows above it")
    if n_hdr == 2:
        report.add("warning", "two_header_rows", layer=layer, file=file, row=header_rows[0],
                   zh=f"第 {header_rows[0]}–{header_rows[1]} 行为两行表头（合并单元格），已合并识别",
                   en=f"rows {header_rows[0]}–{header_rows[1]} are a two-row header (merged "
                      "cells); they were read together",
                   fix_zh="请核对下方各列的识别结果", fix_en="check how the columns were mapped below")
    width = len(names)
    rows, numbers, ragged = [], [], []
    for r, n in zip(grid.rows[h + n_hdr:], grid.numbers[h + n_hdr:], strict=True):
        if not any(c for c in r):
            continue  # blank line: dropped, later rows keep their own numbers
        if _is_total(r):
            report.add("warning", "total_row_dropped", layer=layer, file=file, row=n,
                       value=next(c for c in r if c),
                       zh="合计/小计行不是村，已跳过", en="a total/subtotal row is not a village; "
                       "it was skipped", fix_zh="无需处理", fix_en="nothing to do")
            continue
        first = next(c for c in r if c)
        if _NOTE_PREFIX.match(first) and sum(1 for c in r if c) <= 2:
            report.add("warning", "note_row_dropped", layer=layer, file=file, row=n,
                       zh="表格下方的注释/填表人行已跳过（其内容不读取、不保存）",
                       en="a note / filled-in-by row under the table was skipped (its content is "
                          "neither read nor stored)", fix_zh="无需处理", fix_en="nothing to do")
            continue
        if n in grid.broken:
            report.add("error", "unbalanced_quote", layer=layer, file=file, row=n,
                       zh="该行引号不成对，单元格无法正确拆分，整行未读取",
                       en="the quotes on this row do not pair up, so its cells cannot be split; "
                          "the row was not read",
                       fix_zh="删除该行多余的英文双引号 \"，或把含逗号的内容整体用一对引号括起来",
                       fix_en="remove the stray double quote \" on this row, or wrap a cell that "
                              "contains the separator in one pair of quotes")
            continue
        last = max(j for j, c in enumerate(r) if c)
        if last >= width:
            ragged.append((n, last + 1))
            continue
        rows.append((list(r) + [""] * width)[:width])
        numbers.append(n)
    if ragged and len(ragged) * 3 >= len(ragged) + len(rows):
        shown = "、".join(str(n) for n, _ in ragged[:10]) + ("…" if len(ragged) > 10 else "")
        report.add("error", "unreadable_table", layer=layer, file=file, row=ragged[0][0],
                   value=f"{len(ragged)}",
                   zh=f"CSV 无法解析：{len(ragged)} 行的单元格数多于表头的 {width} 列（第 {shown} 行），"
                      "分隔符或引号可能不对",
                   en=f"the CSV cannot be parsed: {len(ragged)} row(s) have more cells than the "
                      f"header's {width} columns (rows {shown.replace('、', ', ')}); the separator or "
                      "the quotes are probably wrong",
                   fix_zh="检查分隔符与引号是否一致，每行列数是否与表头相同",
                   fix_en="check separators and quotes; every row must have as many cells as the "
                          "header")
        return names, [], [], header_rows
    for n, cells in ragged:
        report.add("error", "ragged_row", layer=layer, file=file, row=n,
                   value=f"{cells} > {width}",
                   zh=f"该行有 {cells} 个单元格，而表头只有 {width} 列（可能某个单元格里含有分隔符），整行未读取",
                   en=f"this row has {cells} cells but the header has {width} columns (a cell "
                      "probably contains the separator); the row was not read",
                   fix_zh="把含逗号的内容用英文双引号括起来，或删除多余的单元格",
                   fix_en="wrap a cell that contains a comma in double quotes, or delete the extra "
                          "cells")
    if grid.filled:
        by_col: dict[int, list[int]] = {}
        for n, j in sorted(grid.filled):
            if n > header_rows[-1] and n in numbers and j < width:
                by_col.setdefault(j, []).append(n)
        for j, ns in by_col.items():
            report.add("warning", "merged_cells_filled", layer=layer, file=file, row=ns[0],
                       column=names[j], value=f"{len(ns)}",
                       zh=f"该列有合并单元格，已把上方的值填入下面 {len(ns)} 行",
                       en=f"this column has merged cells; the value above was carried down "
                          f"into {len(ns)} row(s)",
                       fix_zh="请核对；最好取消合并并逐行填写", fix_en="check it; better unmerge and "
                       "fill every row")
    if grid.formulas:
        by_col = {}
        for n, j in sorted(grid.formulas):
            if n > header_rows[-1] and n in numbers and j < width:
                by_col.setdefault(j, []).append(n)
        for j, ns in by_col.items():
            report.add("error", "formula_without_value", layer=layer, file=file, row=ns[0],
                       column=names[j], value=f"{len(ns)}",
                       zh=f"该列有 {len(ns)} 个公式单元格没有计算结果（文件由程序生成、未在 Excel 中打开保存）",
                       en=f"{len(ns)} formula cell(s) in this column have no computed value (the "
                          "file was written by a program and never saved in Excel)",
                       fix_zh="用 Excel/WPS 打开该文件并保存一次，或把公式列“选择性粘贴为数值”",
                       fix_en="open the file in Excel/WPS and save it once, or paste the formula "
                              "column as values")
    return names, rows, numbers, header_rows


def best_sheet(sheets: dict[str, Grid], layer: str, mapping=None) -> str:
    """The worksheet whose header names the most fields of ``layer`` (first sheet on ties)."""
    def score(g: Grid) -> int:
        return max((_score(r, layer, mapping) for r in g.rows[:_MAX_HEADER_SCAN]), default=0)

    names = list(sheets)
    return max(names, key=lambda s: (score(sheets[s]), -names.index(s)))



# --- the planner's column mapping (a reusable template) ---------------------------------

def suggest_mapping(layer: str, headers: list[str], mapping: dict[str, str] | None = None
                    ) -> dict[str, str]:
    """A proposed header -> field mapping for ``layer`` (``""``: not used).

    Known headers map by the synonym table; others get the closest known header's field when
    it is close enough (difflib ratio ≥ 0.75), so the planner only confirms.

    >>> suggest_mapping("villages", ["村居代码", "孤儿人数", "备注"])
    {'村居代码': 'village_code', '孤儿人数': 'orphan', '备注': ''}
    """
    import difflib

    from geo.schema import _alias_map

    amap = _alias_map(layer)
    out: dict[str, str] = {}
    used: set[str] = set()
    for h in headers:
        f = header_field(layer, h, mapping)
        if f is None:
            key = normalise_header(h)
            close = difflib.get_close_matches(key, list(amap), n=1, cutoff=0.75) if key else []
            f = amap[close[0]] if close else None
        if f is not None and f in used and split_qualifier(h) is None:
            f = None
        out[h] = f or ""
        if f:
            used.add(f)
    return out


def load_mapping(path, report: Report | None = None) -> dict[str, dict[str, str]]:
    """Read a mapping file: JSON ``{"villages": {"村居代码": "village_code", ...}, ...}``.

    Unknown layers or fields are reported (error ``bad_mapping``) and left out.
    """
    import json
    from pathlib import Path

    from geo.schema import LAYERS

    report = report if report is not None else Report()
    p = Path(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        report.add("error", "bad_mapping", layer="mapping", file=p,
                   zh="找不到列对应文件", en="mapping file not found",
                   fix_zh="检查 --mapping 的路径", fix_en="check the --mapping path")
        return {}
    except (UnicodeDecodeError, ValueError) as exc:
        report.add("error", "bad_mapping", layer="mapping", file=p,
                   zh=f"列对应文件不是有效的 JSON（{type(exc).__name__}）",
                   en=f"the mapping file is not valid JSON ({type(exc).__name__})",
                   fix_zh="用应用“数据”页导出的列对应模板，或按说明书的格式书写",
                   fix_en="use a template saved from the app's Data page, or follow the guide")
        return {}
    out: dict[str, dict[str, str]] = {}
    if not isinstance(raw, dict):
        raw = {}
    for layer, cols in raw.items():
        if layer not in LAYERS or not isinstance(cols, dict):
            report.add("error", "bad_mapping", layer="mapping", file=p, value=str(layer),
                       zh=f"列对应文件中的图层“{layer}”无法识别", en=f"unknown layer '{layer}' in "
                       "the mapping file", fix_zh=f"图层应为：{'、'.join(LAYERS)}",
                       fix_en=f"layers are: {', '.join(LAYERS)}")
            continue
        fields = {c.name for c in LAYERS[layer].all_columns}
        good = {}
        for header, field_name in cols.items():
            if field_name and field_name not in fields:
                report.add("error", "bad_mapping", layer="mapping", file=p,
                           column=str(header), value=str(field_name),
                           zh=f"字段“{field_name}”不属于图层 {layer}",
                           en=f"field '{field_name}' is not a field of layer {layer}",
                           fix_zh=f"可用字段：{'、'.join(sorted(fields))}",
                           fix_en=f"fields: {', '.join(sorted(fields))}")
                continue
            good[str(header)] = str(field_name or "")
        out[layer] = good
    return out


def mapping_json(mapping: dict[str, dict[str, str]]) -> bytes:
    """A mapping as the JSON bytes :func:`load_mapping` reads (for a download or a file)."""
    import json

    return json.dumps(mapping, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def save_mapping(path, mapping: dict[str, dict[str, str]]):
    """Write a mapping template atomically (JSON, UTF-8); returns the path."""
    from geo.exports import atomic_write_bytes

    return atomic_write_bytes(path, mapping_json(mapping))


def preview(filename: str, data: bytes, layer: str, sheet=None,
            mapping: dict[str, str] | None = None) -> dict:
    """What the app's column-mapping step shows for an uploaded table.

    Returns ``{"sheets": [...], "sheet": chosen, "headers": [...], "suggestion": {...},
    "rows": n}`` (``sheets`` empty for CSV; ``headers`` empty for files that are not tables).
    """
    from pathlib import Path

    from geo.io import _decode

    suffix = Path(filename).suffix.lower()
    report = Report()
    out = {"sheets": [], "sheet": None, "headers": [], "suggestion": {}, "rows": 0}
    if suffix in (".csv", ".txt"):
        decoded = _decode(data, filename, layer, report)
        if decoded is None:
            return out
        grid, _ = grid_from_csv_text(decoded[0].lstrip("\ufeff"))
    elif suffix in (".xlsx", ".xlsm"):
        try:
            grids = grids_from_xlsx(data)
        except Exception:  # unreadable: the check reports it
            return out
        out["sheets"] = list(grids)
        chosen = sheet if sheet in grids else best_sheet(grids, layer, mapping)
        out["sheet"] = chosen
        grid = grids[chosen]
    else:
        return out
    names, rows, _, _ = table_from_grid(grid, layer, filename, report, mapping)
    headers = [n for n in names if not n.startswith("_列")]
    out["headers"] = headers
    out["suggestion"] = suggest_mapping(layer, headers, mapping)
    out["rows"] = len(rows)
    return out


def load_mapping_bytes(data: bytes, report: Report | None = None) -> dict[str, dict[str, str]]:
    """:func:`load_mapping` for an uploaded template (bytes)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "mapping.json"
        p.write_bytes(data)
        return load_mapping(p, report)
