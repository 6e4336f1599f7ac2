"""Files planners and river chiefs open: safe spreadsheet cells, atomic writes, CSV and XLSX.

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
    "safe_cell",
    "safe_frame",
    "sheet_names",
    "write_csv",
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
               landscape: bool = True) -> bytes:
    """An XLSX workbook, one sheet per table, as bytes.

    Parameters
    ----------
    sheets : mapping of str to DataFrame
        Sheet name -> table (names are made valid with :func:`sheet_names`).
    headers : mapping of str to str, optional
        Sheet name -> text printed at the top of each printed page (title, marks).
    landscape : bool
        Print in landscape, fitted to the page width, header row repeated.

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
        for row in safe.itertuples(index=False):
            ws.append([_plain(v) for v in row])
        for cell in (c for r in ws.iter_rows(min_row=2) for c in r):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
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


def _width(v) -> int:
    s = "" if v is None else str(v)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)  # a CJK character is two columns wide
