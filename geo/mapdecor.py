"""The scale bar and north arrow of every printed map (snapshots, patrol-list PDFs).

One implementation for both: the scale bar is :class:`matplotlib_scalebar.scalebar.ScaleBar`
(the axes are in a metric CRS, so one data unit is one metre and the library picks a round
length of about a fifth of the width); the north arrow is an annotation (maps here are drawn
north-up in a Gauss–Krüger zone, so up is grid north).
"""

from __future__ import annotations

from matplotlib_scalebar.scalebar import ScaleBar

from geo.i18n import t

__all__ = ["add_scale_and_north"]


def add_scale_and_north(ax, lang: str = "zh", *, fontsize: float = 7) -> ScaleBar:
    """Draw a metric scale bar (lower left) and a north arrow (upper right) on ``ax``.

    ``ax`` must show a metric CRS (metres) with equal aspect. Returns the scale bar artist.
    """
    bar = ScaleBar(1.0, "m", location="lower left", length_fraction=0.2, box_alpha=0.7,
                   scale_loc="top", border_pad=0.8, font_properties={"size": fontsize})
    ax.add_artist(bar)
    ax.annotate(t("north_arrow", lang), xy=(0.95, 0.95), xytext=(0.95, 0.86),
                xycoords="axes fraction", textcoords="axes fraction", ha="center", va="top",
                fontsize=fontsize + 1, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "color": "#111", "lw": 1.2}, zorder=9)
    return bar
