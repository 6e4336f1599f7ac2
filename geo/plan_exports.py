"""Write plans to files planners open: CSV (UTF-8 with BOM for Excel), XLSX, GeoPackage, plots.

Every write is atomic (a temporary file in the same folder, then ``os.replace``), so a crash
never leaves half a file where the planner's previous export was. Text cells that a
spreadsheet would run as a formula (starting with = + - @, tab or CR) are neutralised.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

__all__ = [
    "atomic_write_bytes",
    "safe_frame",
    "tilt_plot",
    "to_xlsx_bytes",
    "write_csv",
    "write_gpkg",
    "write_xlsx",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; an export is an ordinary file
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _safe_text(v):
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v
    return v


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas (numbers untouched)."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(_safe_text)
    out.columns = [_safe_text(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """CSV in UTF-8 with BOM (Excel on Chinese Windows opens it correctly), atomically."""
    data = safe_frame(frame).to_csv(index=False).encode("utf-8-sig")
    return atomic_write_bytes(path, data)


def to_xlsx_bytes(sheets: Mapping[str, pd.DataFrame], lang: str | None = None) -> bytes:
    """An XLSX workbook (one sheet per table) as bytes; sheet names cut to Excel's 31 chars.

    With ``lang="zh"`` the headers are Chinese (:func:`geo.i18n.localise_headers`).
    """
    if lang is not None:
        from geo.i18n import localise_headers

        sheets = {k: localise_headers(v, lang) for k, v in sheets.items()}
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        used = set()
        for name, frame in sheets.items():
            sheet = str(name)[:31] or "Sheet"
            k = 1
            while sheet in used:
                k += 1
                sheet = f"{str(name)[:28]}~{k}"
            used.add(sheet)
            safe_frame(frame).to_excel(xw, sheet_name=sheet, index=False)
            ws = xw.sheets[sheet]
            for i, col in enumerate(frame.columns, start=1):
                width = max([len(str(col))] + [len(str(x)) for x in frame[col].head(200)]) + 2
                ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(
                    width * 1.2, 60)
            ws.freeze_panes = "A2"
    return buf.getvalue()


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write an XLSX workbook atomically."""
    return atomic_write_bytes(path, to_xlsx_bytes(sheets))


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

    from geo.fonts import use_cjk_font

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
    ax.set_xlabel("倾斜力度总系数" if lang == "zh" else "Overall tilt strength")
    ax.set_ylabel("金额（万元）" if lang == "zh" else "Amount (10,000 yuan)")
    ax.set_title(title or ("各单位金额随倾斜力度的变化" if lang == "zh"
                           else "Each unit's amount as the tilt grows"))
    ax.grid(alpha=0.3)
    n = path_table["unit_code"].nunique()
    if n <= 24:
        ax.legend(fontsize=7, ncol=2 if n > 12 else 1, loc="center left",
                  bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    return fig
