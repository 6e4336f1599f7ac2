"""Write plans to files planners open: XLSX with localised headers, GeoPackage, plots.

CSV, XLSX, formula neutralising and atomic writes are :mod:`geo.exports` (re-exported here);
this module adds what plans need on top: Chinese headers, a GeoPackage of several layers
written atomically, and the funding tilt plot.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from geo.exports import atomic_write_bytes, safe_frame, write_csv, write_xlsx, xlsx_bytes

__all__ = [
    "atomic_write_bytes",
    "safe_frame",
    "tilt_plot",
    "to_xlsx_bytes",
    "write_csv",
    "write_gpkg",
    "write_xlsx",
]


def to_xlsx_bytes(sheets: Mapping[str, pd.DataFrame], lang: str | None = None) -> bytes:
    """An XLSX workbook (one sheet per table) as bytes, via :func:`geo.exports.xlsx_bytes`.

    With ``lang="zh"`` the headers are Chinese (:func:`geo.i18n.localise_headers`).
    """
    if lang is not None:
        from geo.i18n import localise_headers

        sheets = {k: localise_headers(v, lang) for k, v in sheets.items()}
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
