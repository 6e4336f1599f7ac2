"""Files planners and river chiefs open: safe cells, atomic writes, CSV, XLSX, GeoPackage, plots.

Two rules hold for every file written through this module:

* **No formula injection.** A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return would be run as a formula by Excel/WPS (or turned into a DDE call); such a
  cell is written with a leading apostrophe, so it stays text (OWASP "CSV injection").
  Numbers are left as numbers (a negative count stays a number).
* **Atomic writes.** A file is written to a temporary name in the same folder and moved into
  place with :func:`os.replace`: a crash never leaves half a file where the previous export
  was, and a reader never sees a partial one.

Examples
--------
>>> [safe_cell(v) for v in ("=1+1", "+CMD", "-2", "@SUM(A1)", "村", -2, None)]
["'=1+1", "'+CMD", "'-2", "'@SUM(A1)", '村', -2, None]
"""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "FORMULA_PREFIXES",
    "atomic_path",
    "atomic_write_bytes",
    "csv_bytes",
    "export_sheets",
    "export_table",
    "safe_cell",
    "safe_frame",
    "sheet_names",
    "tilt_plot",
    "to_xlsx_bytes",
    "write_csv",
    "write_gpkg",
    "write_xlsx",
    "xlsx_bytes",
]

#: First characters that make a spreadsheet treat a text cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Return ``value`` made safe for a spreadsheet cell.

    Text starting with one of :data:`FORMULA_PREFIXES` gets a leading apostrophe; anything
    else (numbers, dates, booleans, None, other text) is returned unchanged.
    """
    if isinstance(value, (str, np.str_)) and str(value).startswith(FORMULA_PREFIXES):
        return "'" + str(value)
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and headers went through :func:`safe_cell`."""
    out = frame.copy()
    for c in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[c]) or pd.api.types.is_bool_dtype(out[c])):
            out[c] = out[c].map(safe_cell).astype(object)
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it into place atomically.

    The temporary file keeps ``path``'s suffix, so writers that choose a format by extension
    (matplotlib, openpyxl, GDAL) work. On an exception it is removed and ``path`` is left as
    it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("ok")
    >>> target.read_text()
    'ok'
    """
    path = Path(path)
    if not path.parent.is_dir():  # never create a folder the planner did not name
        raise FileNotFoundError(f"文件夹不存在：{path.parent} / no such folder: {path.parent}")
    # Created exclusively with mode 0666 so the process umask applies as to any new file
    # (mkstemp's 0600 is too tight for a shared folder; no umask is set, even for a moment).
    while True:
        tmp_path = path.parent / f".{path.stem}.{secrets.token_hex(6)}{path.suffix}"
        try:
            os.close(os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV bytes in UTF-8 with BOM (Excel on Chinese Windows reads it right), formulas neutralised.

    Lines end in CRLF, so a carriage return inside a cell is quoted like a line feed.
    """
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write :func:`csv_bytes` to ``path`` atomically."""
    return atomic_write_bytes(path, csv_bytes(frame))


_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def sheet_names(names) -> list[str]:
    r"""Valid, unique Excel sheet names (no ``[]:*?/\``, at most 31 characters), in order."""
    out: list[str] = []
    used: set[str] = set()
    for name in names:
        base = _BAD_SHEET.sub("_", str(name)).strip("'") or "Sheet"
        sheet, k = base[:31], 1
        while sheet.lower() in used:
            k += 1
            sheet = f"{base[:31 - len(str(k)) - 1]}~{k}"
        used.add(sheet.lower())
        out.append(sheet)
    return out


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame], *, headers: Mapping[str, str] | None = None,
               landscape: bool = True, text_dates: bool = False) -> bytes:
    """An XLSX workbook, one sheet per table, as bytes.

    Parameters
    ----------
    sheets : mapping of str to DataFrame
        Sheet name -> table (names are made valid with :func:`sheet_names`).
    headers : mapping of str to str, optional
        Sheet name -> text printed at the top of each printed page (title, marks).
    landscape : bool
        Print in landscape, fitted to the page width, header row repeated.
    text_dates : bool
        Also write columns of ISO ``YYYY-MM-DD`` text as Excel dates (date and datetime
        values always are; empty cells stay empty). The patrol lists turn it on for their
        最近检查日期; off by default, so a text column that merely looks like dates stays text.

    Cells are typed (:func:`_cell_type`): integers with ``#,##0``, other numbers with as many
    places as the column needs, dates as dates, codes as text.

    Returns
    -------
    bytes
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    names = sheet_names(sheets)
    for sheet, (key, frame) in zip(names, sheets.items(), strict=True):
        ws = wb.create_sheet(sheet)
        safe = safe_frame(frame)
        ws.append(list(safe.columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        types = [_cell_type(safe.iloc[:, i], str(frame.columns[i]), text_dates)
                 for i in range(safe.shape[1])]
        for row in safe.itertuples(index=False):
            ws.append([conv(_plain(v)) for v, (conv, _) in zip(row, types, strict=True)])
        for r in ws.iter_rows(min_row=2):
            for cell, (_, number_format) in zip(r, types, strict=True):
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text
                elif number_format and cell.value is not None:
                    cell.number_format = number_format
        for i, col in enumerate(safe.columns, start=1):
            width = max([_width(col)] + [_width(x) for x in safe.iloc[:200, i - 1]]) + 2
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(width, 48)
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"
        if landscape:
            ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        if headers and key in headers:
            ws.oddHeader.center.text = str(headers[key]).replace("&", "&&")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path, **kwargs) -> Path:
    """Write :func:`xlsx_bytes` to ``path`` atomically."""
    return atomic_write_bytes(path, xlsx_bytes(sheets, **kwargs))


def _plain(v):
    """Numpy scalars to Python ones; NaN/NA to an empty cell."""
    if v is None:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
        if isinstance(v, float) and np.isnan(v):
            return None
    if isinstance(v, (list, tuple)):
        return "; ".join(str(x) for x in v)
    return v


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Columns whose numbers are not quantities (no 千分位): years.
_PLAIN_NUMBER_COLUMNS = {"year", "open_year", "年度", "年份", "开放年度", "Year", "Opening year"}


def _same(v):
    return v


def _to_day(v):
    from datetime import date

    return date.fromisoformat(v) if isinstance(v, str) and _ISO_DAY.match(v) else v


def _to_beijing_naive(v):
    """A datetime as the naive 北京时间 Excel stores (Excel has no time zones)."""
    from datetime import datetime

    from geo.fmt import to_beijing

    if isinstance(v, datetime) and v.tzinfo is not None:
        return to_beijing(v).replace(tzinfo=None)
    return v


def _decimals(x: float) -> int:
    text = repr(round(float(x), 6))
    return 0 if "e" in text or "." not in text else len(text.split(".")[1].rstrip("0"))


def _cell_type(col: pd.Series, name: str, text_dates: bool = False):
    """(value converter, Excel number format) of a column: typed cells, 千分位 on quantities.

    Whole numbers (counts, 元) get ``#,##0``; other numbers ``#,##0.0…`` with as many places
    as the column needs (at most 6, for coordinates); dates (and ISO ``YYYY-MM-DD`` text)
    become Excel dates, datetimes are shown in 北京时间. Text (codes included) stays text.
    """
    from datetime import date, datetime

    if pd.api.types.is_bool_dtype(col):
        return _same, None
    if pd.api.types.is_numeric_dtype(col):
        if name in _PLAIN_NUMBER_COLUMNS:
            return _same, "0"
        vals = pd.to_numeric(col, errors="coerce").dropna()
        vals = vals[np.isfinite(vals)]
        if not len(vals) or bool((vals == vals.round()).all()):
            return (lambda v: int(v) if isinstance(v, float) and v.is_integer() else v), "#,##0"
        places = min(6, max(_decimals(x) for x in vals.iloc[:1000]))
        return _same, "#,##0." + "0" * max(places, 1)
    vals = [v for v in col.tolist() if v is not None and v is not pd.NaT and v == v and v != ""]
    if vals and all(isinstance(v, datetime) for v in vals):
        return _to_beijing_naive, "yyyy-mm-dd hh:mm"
    if vals and all(isinstance(v, date) for v in vals):
        return _same, "yyyy-mm-dd"
    if text_dates and vals and all(isinstance(v, str) and _ISO_DAY.match(v) for v in vals):
        return _to_day, "yyyy-mm-dd"
    return _same, None


def _width(v) -> int:
    s = "" if v is None else str(v)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)  # a CJK character is two columns wide


# --- plans: localised XLSX, GeoPackage of several layers, the funding tilt plot ------------


def export_table(frame: pd.DataFrame, lang: str = "zh", *, codes: bool = False,
                 enums: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A table as a file gets it: in ``lang`` (headers and enumeration cells), or as codes.

    The one switch behind every CLI export's ``--lang`` and ``--codes``: with ``codes=True``
    the canonical column names and stable codes are kept for other systems; otherwise
    :func:`geo.i18n.localise_table` translates headers and cells (``enums`` overrides the
    group of a column, e.g. ``{"kind": "water"}``). Numbers, division codes and names are
    never changed.

    >>> f = pd.DataFrame({"village_code": ["500109001001"], "kind": ["canal"], "score": [1.5]})
    >>> zh = export_table(f, enums={"kind": "water"})
    >>> list(zh.columns), zh["类型"].tolist(), zh["村代码"].tolist()
    (['村代码', '类型', '风险分值'], ['渠道'], ['500109001001'])
    >>> list(export_table(f, "en", enums={"kind": "water"}).columns)
    ['Village code', 'Kind', 'Risk score']
    >>> export_table(f, codes=True).equals(f)
    True
    """
    if codes:
        return frame
    from geo.i18n import localise_table

    return localise_table(frame, lang, dict(enums or {}))


def export_sheets(sheets: Mapping[str, pd.DataFrame], lang: str = "zh", *, codes: bool = False,
                  enums: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, pd.DataFrame]:
    """:func:`export_table` for each sheet, and the sheet names in ``lang`` (kept with codes).

    ``enums`` maps a sheet name to its column groups.
    """
    from geo.i18n import sheet_label

    enums = enums or {}
    return {(k if codes else sheet_label(k, lang)): export_table(v, lang, codes=codes,
                                                                   enums=enums.get(k))
            for k, v in sheets.items()}



def to_xlsx_bytes(sheets: Mapping[str, pd.DataFrame], lang: str | None = None) -> bytes:
    """An XLSX workbook (one sheet per table) as bytes, via :func:`xlsx_bytes` (the pages' downloads).

    With ``lang`` the headers and enumeration cells are in that language
    (:func:`geo.i18n.localise_table`) and the sheets are named in words
    (:func:`geo.i18n.sheet_label`), as the CLI's :func:`export_sheets` names them.
    """
    if lang is not None:
        from geo.i18n import localise_table, sheet_label

        sheets = {sheet_label(k, lang): localise_table(
            v, lang, {"status": "action"} if k == "homes" else
            {"kind": "training_kind"} if k == "training" else None) for k, v in sheets.items()}
    return xlsx_bytes(sheets, landscape=False)


def write_gpkg(layers: Mapping[str, object], path: str | Path) -> Path:
    """Write GeoDataFrames as layers of one GeoPackage, atomically (a new file each time)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".gpkg", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)
    try:
        for name, gdf in layers.items():
            gdf.to_file(tmp, layer=name, driver="GPKG")
        os.replace(tmp, path)
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(tmp + suffix):
                os.unlink(tmp + suffix)
    return path


def tilt_plot(path_table: pd.DataFrame, *, lang: str = "zh", title: str | None = None,
              highlight: list[str] | None = None):
    """Line plot of each unit's amount as the tilt strength grows; returns a Figure.

    ``path_table`` is :func:`optimization.funding.tilt_path` output.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from geo.fmt import num
    from geo.fonts import use_cjk_font
    from geo.i18n import t

    use_cjk_font()
    fig, ax = plt.subplots(figsize=(8.5, 5.2), dpi=110)
    highlight = set(highlight or [])
    colours = plt.get_cmap("tab20").colors
    styles = ("-", "--", ":")
    for i, (code, g) in enumerate(path_table.groupby("unit_code", sort=False)):
        name = str(g["unit_name"].iloc[0])
        lw = 2.4 if code in highlight else 1.3
        ax.plot(g["tilt_scale"], g["amount"] / 10_000, lw=lw, label=name,
                color=colours[i % 20], linestyle=styles[(i // 20) % 3])
    ax.set_xlabel(t("tilt_plot_x", lang))
    ax.set_ylabel(t("tilt_plot_y", lang))
    ax.set_title(title or t("tilt_plot_title", lang))
    ax.yaxis.set_major_formatter(lambda v, _pos: num(v, 0 if float(v).is_integer() else 1))
    ax.grid(alpha=0.3)
    n = path_table["unit_code"].nunique()
    if n <= 24:
        ax.legend(fontsize=7, ncol=2 if n > 12 else 1, loc="center left",
                  bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    return fig
