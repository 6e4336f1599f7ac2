"""A CJK font for matplotlib, so Chinese renders as characters in PNG and PDF exports.

The project's set-up installs Debian's ``fonts-noto-cjk`` (``scripts/system-deps.sh``). This
module finds it (or any other CJK font matplotlib knows) and registers it once.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from matplotlib import font_manager

__all__ = ["CJK_CANDIDATES", "cjk_font_path", "use_cjk_font"]

CJK_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
_NAMES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Micro Hei",
          "Microsoft YaHei", "SimHei", "PingFang SC")


@lru_cache(maxsize=1)
def cjk_font_path() -> Path | None:
    """Path of a font file with Chinese glyphs, or None when the machine has none."""
    for p in CJK_CANDIDATES:
        if Path(p).exists():
            return Path(p)
    for f in font_manager.fontManager.ttflist:
        if f.name in _NAMES:
            return Path(f.fname)
    return None


@lru_cache(maxsize=1)
def use_cjk_font() -> str | None:
    """Register the CJK font with matplotlib and put it first; return its family name."""
    import matplotlib

    from geo.safe import plain_matplotlib_text

    plain_matplotlib_text()  # names print as typed: no mathtext for "$…$" (every figure path)
    path = cjk_font_path()
    if path is None:
        return None
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    # A Noto CJK collection lists the Japanese face first; Chinese text wants the SC face.
    faces = {f.name for f in font_manager.fontManager.ttflist if f.fname == str(path)}
    for pick in ("Noto Sans CJK SC", "Source Han Sans SC"):
        if pick in faces:
            name = pick
            break
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    # Type 3 subsets of the CJK font: ~6x faster to write than Type 42 with this large TTC.
    matplotlib.rcParams["pdf.fonttype"] = 3
    return name
