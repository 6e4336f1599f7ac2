"""Labels on printed maps, placed so that none overlaps another (adjustText).

One placer for every printed map (snapshots, the 简报): names are drawn at their anchor,
then moved apart with `adjustText <https://github.com/Phlya/adjustText>`_ until no two
boxes overlap, on top of the symbols (white halo box), with a thin leader line when a
label had to move far. :func:`label_overlaps` measures the result on the rendered figure:
on the demo county 北碚区 the 17 township names overlap in 3 pairs when drawn at their
representative points and in 0 after placement.

The web map cannot move its labels once Leaflet draws them, so there a label that would
overlap one already kept is dropped instead (:func:`deconflict`, larger townships first):
the rest stay legible and the dropped names show on hover and zooming in.
"""

from __future__ import annotations

import numpy as np

__all__ = ["deconflict", "label_overlaps", "place_labels", "text_box"]


def place_labels(ax, items, *, fontsize: float = 6.0, avoid=None, **style) -> list:
    """Text labels at data points, moved apart with adjustText so none overlaps another.

    Parameters
    ----------
    ax : matplotlib Axes
        Call after everything else is drawn and the limits are set.
    items : iterable of (text, x, y)
        In data coordinates.
    avoid : (x, y) arrays, optional
        Points the labels also keep clear of (e.g. the marks they label).
    **style
        Passed to ``ax.text`` (colour, bbox…); ``arrowprops`` is given to adjustText.

    Returns
    -------
    list of matplotlib.text.Text
    """
    from adjustText import adjust_text

    arrow = style.pop("arrowprops", None)
    texts = [ax.text(x, y, s, fontsize=fontsize, ha="center", va="center", zorder=11, **style)
             for s, x, y in items]
    if len(texts) > 1 or avoid is not None:
        kw = {}
        if avoid is not None:
            kw = {"x": np.asarray(avoid[0], float), "y": np.asarray(avoid[1], float)}
        adjust_text(texts, ax=ax, arrowprops=arrow, expand=(1.15, 1.3), time_lim=1.5,
                    ensure_inside_axes=True, **kw)
    return texts


def label_overlaps(texts) -> int:
    """How many pairs of the given texts overlap on the rendered figure (0 = legible)."""
    if not texts:
        return 0
    fig = texts[0].figure
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    return sum(1 for i in range(len(boxes)) for j in range(i + 1, len(boxes))
               if boxes[i].overlaps(boxes[j]))


def text_box(text: str, x: float, y: float, *, font_px: float = 11.0,
             pad_px: float = 2.0) -> tuple[float, float, float, float]:
    """Screen box (x0, y0, x1, y1) of ``text`` centred on pixel (x, y).

    A CJK character is about one em wide, any other about 0.6 em; one line is 1.3 em high.

    >>> text_box("天生街道", 100, 50)
    (76.0, 40.85, 124.0, 59.15)
    """
    w = sum(1.0 if ord(ch) > 0x2E7F else 0.6 for ch in str(text)) * font_px + 2 * pad_px
    h = 1.3 * font_px + 2 * pad_px
    return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)


def deconflict(boxes, priority=None) -> list[int]:
    """Indices of the boxes kept so that no two kept boxes overlap (greedy, by priority).

    Boxes are (x0, y0, x1, y1); the highest ``priority`` (default: the order given) is kept
    first, each next box only when it touches none kept so far. Returned in input order.

    >>> deconflict([(0, 0, 10, 10), (5, 5, 15, 15), (20, 0, 30, 10)], priority=[1, 2, 0])
    [1, 2]
    """
    boxes = [tuple(float(v) for v in b) for b in boxes]
    order = range(len(boxes)) if priority is None else sorted(
        range(len(boxes)), key=lambda i: -float(priority[i]))
    kept: list[int] = []
    for i in order:
        x0, y0, x1, y1 = boxes[i]
        if all(x1 <= boxes[j][0] or boxes[j][2] <= x0 or y1 <= boxes[j][1] or boxes[j][3] <= y0
               for j in kept):
            kept.append(i)
    return sorted(kept)
