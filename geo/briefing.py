"""The one-page A4 briefing for officials: the county's children, homes, staff, money, danger spots.

Built with matplotlib (CJK font from :mod:`geo.fonts`) from plans already computed, so making
the page itself takes about a second. Aggregates and codes only: no child, director or
candidate is named.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from geo.fonts import use_cjk_font  # noqa: E402
from geo.maps import village_measure  # noqa: E402
from geo.snapshot import DATA_SOURCES, Overlay, draw_map, figure_bytes  # noqa: E402

__all__ = ["BriefingInputs", "briefing_figure", "briefing_pdf"]


@dataclass(frozen=True)
class BriefingInputs:
    """What the page shows; any plan may be missing (its section then says so).

    Attributes
    ----------
    homes, assignments : DataFrame, optional
        From :func:`childplan.workflows.run_siting`.
    staffing_totals : DataFrame, optional
        ``StaffingPlan.totals`` (position, required, assigned, to_recruit).
    funding : DataFrame, optional
        ``FundingPlan.table`` (unit_name, amount).
    spots : DataFrame, optional
        Ranked danger spots (rank, river, village or township, children_exposed, lon, lat,
        four_ones_missing).
    """

    homes: pd.DataFrame | None = None
    assignments: pd.DataFrame | None = None
    staffing_totals: pd.DataFrame | None = None
    funding: pd.DataFrame | None = None
    spots: pd.DataFrame | None = None


def _box(fig, x, y, w, h, title, lines, colour="#c0392b"):
    fig.patches.append(plt.Rectangle((x, y), w, h, transform=fig.transFigure, facecolor="#faf8f3",
                                     edgecolor="#ddd", linewidth=0.8))
    fig.text(x + 0.01, y + h - 0.012, title, fontsize=9.5, fontweight="bold", color=colour,
             va="top")
    for i, (label, value) in enumerate(lines):
        yy = y + h - 0.036 - i * 0.019
        fig.text(x + 0.012, yy, label, fontsize=7.5, color="#333", va="top")
        fig.text(x + w - 0.012, yy, value, fontsize=8.5, fontweight="bold", ha="right", va="top")


def briefing_figure(data, inputs: BriefingInputs, *, lang: str = "zh", today: date | None = None):
    """The briefing page as a matplotlib Figure (A4 portrait)."""
    use_cjk_font()
    zh = lang == "zh"
    today = today or date.today()
    fig = plt.figure(figsize=(8.27, 11.69), dpi=150)
    fig.text(0.05, 0.965, (f"{data.name}农村留守儿童和困境儿童关爱服务简报" if zh else
                           f"{data.name}: care for left-behind children and children in difficulty"),
             fontsize=15, fontweight="bold", va="top")
    fig.text(0.95, 0.965, today.isoformat(), fontsize=9, ha="right", va="top", color="#555")
    synthetic = bool(data.synthetic_layers())
    if synthetic:
        fig.text(0.05, 0.942, ("示意数据：本简报中的儿童数、设施和人员为合成数据，仅供演示" if zh else
                               "示意数据 · synthetic: child counts, facilities and staff are "
                               "illustrative only"),
                 fontsize=8, color="#7a5b00", va="top",
                 bbox={"facecolor": "#fff3cd", "edgecolor": "#e0c060", "boxstyle": "round,pad=0.3"})

    v = data.villages
    diff = village_measure(v, "difficulty")
    row_y, row_h, w = 0.775, 0.145, 0.29
    _box(fig, 0.05, row_y, w, row_h, "儿童" if zh else "Children", [
        ("村（社区）" if zh else "villages", f"{len(v):,}"),
        ("常住儿童" if zh else "resident children", f"{int(v['resident_children'].sum()):,}"),
        ("农村留守儿童" if zh else "left-behind", f"{int(v['left_behind'].sum()):,}"),
        ("困境儿童" if zh else "in difficulty", f"{int(diff.sum()):,}"),
        ("其中孤儿/事实无人抚养" if zh else "orphans / unsupported",
         f"{int(v['orphan'].sum()):,} / {int(v['unsupported'].sum()):,}"),
        ("重点关注" if zh else "key attention", f"{int(v['key_attention'].sum()):,}"),
    ])
    homes = inputs.homes
    if homes is not None and len(homes):
        c = homes["status"].value_counts()
        a = inputs.assignments
        cov = (a["home_id"].notna().mean() * 100) if a is not None and len(a) else float("nan")
        big = int((v["resident_children"] >= 100).sum())
        lines = [
            ("已有儿童之家" if zh else "existing homes", f"{int(c.get('existing', 0))}"),
            ("利用现有设施改建" if zh else "reuse of facilities", f"{int(c.get('reuse', 0))}"),
            ("新建" if zh else "new builds", f"{int(c.get('new', 0))}"),
            ("百人以上村（应单独设立）" if zh else "villages with 100+ children", f"{big}"),
            ("村覆盖率" if zh else "villages covered", f"{cov:.1f}%"),
            ("建设改造费用（万元）" if zh else "set-up cost (10k yuan)",
             f"{homes['cost_yuan'].sum() / 1e4:,.1f}" if "cost_yuan" in homes else "-"),
        ]
    else:
        lines = [("未求解" if zh else "not solved", "-")]
    _box(fig, 0.355, row_y, w, row_h, "儿童之家" if zh else "Children's homes", lines)
    st = inputs.staffing_totals
    if st is not None and len(st):
        s = st.set_index("position")
        lines = [
            ("儿童主任 应配" if zh else "directors required", f"{int(s.loc['director', 'required'])}"),
            ("儿童主任 已配" if zh else "directors assigned", f"{int(s.loc['director', 'assigned'])}"),
            ("儿童主任 缺口" if zh else "directors to recruit",
             f"{int(s.loc['director', 'to_recruit'])}"),
            ("儿童督导员 应配/已配" if zh else "supervisors req./assigned",
             f"{int(s.loc['supervisor', 'required'])} / {int(s.loc['supervisor', 'assigned'])}"),
            ("儿童督导员 缺口" if zh else "supervisors to recruit",
             f"{int(s.loc['supervisor', 'to_recruit'])}"),
        ]
    else:
        lines = [("未求解" if zh else "not solved", "-")]
    _box(fig, 0.66, row_y, w, row_h, "人员配置" if zh else "Staff", lines)

    ax = fig.add_axes([0.05, 0.3, 0.55, 0.46])
    handles, _ = draw_map(ax, data, layers=("county", "townships", "waterways"),
                          overlay=Overlay(homes=homes, spots=inputs.spots), lang=lang,
                          labels=False)
    if handles:
        ax.legend(handles=handles, loc="lower right", fontsize=5.5, framealpha=0.9)

    fund = inputs.funding
    axf = fig.add_axes([0.72, 0.3, 0.23, 0.44])
    if fund is not None and len(fund):
        f = fund.sort_values("amount")
        axf.barh(f["unit_name"].astype(str), f["amount"] / 1e4, color="#c0392b")
        axf.tick_params(labelsize=5.5)
        axf.set_xlabel("万元" if zh else "10k yuan", fontsize=6.5)
        axf.set_title(("经费分配（合计 " if zh else "Funding (total ")
                      + f"{fund['amount'].sum() / 1e4:,.0f}" + (" 万元）" if zh else "k×10)"),
                      fontsize=8, fontweight="bold", color="#c0392b")
        for side in ("top", "right"):
            axf.spines[side].set_visible(False)
    else:
        axf.axis("off")
        axf.text(0.5, 0.5, "经费未分配" if zh else "no funding plan", ha="center")

    spots = inputs.spots
    fig.text(0.05, 0.275, "防溺水重点危险点（前 8 位）" if zh else "Top drowning danger spots",
             fontsize=9.5, fontweight="bold", color="#c0392b", va="top")
    if spots is not None and len(spots):
        top = spots.sort_values("rank").head(8)
        cols = [c for c in ("rank", "river", "village_name", "township_name", "children_exposed",
                            "chief", "four_ones_missing") if c in top.columns]
        headers = {"rank": "排名", "river": "河流/水体", "village_name": "村", "township_name": "乡镇",
                   "children_exposed": "暴露儿童", "chief": "河长", "four_ones_missing": "缺“四个一”"}
        cell = top[cols].astype(str).to_numpy().tolist()
        axt = fig.add_axes([0.05, 0.075, 0.9, 0.19])
        axt.axis("off")
        tbl = axt.table(cellText=cell, colLabels=[headers[c] if zh else c for c in cols],
                        loc="upper left", cellLoc="center")
        tbl.auto_set_font_size(False)
        tbl.set_fontsize(6.5)
        tbl.scale(1, 1.25)
    else:
        fig.text(0.05, 0.245, "未计算" if zh else "not computed", fontsize=8)
    fig.text(0.05, 0.045, DATA_SOURCES[lang], fontsize=5.5, color="#555", va="top", wrap=True)
    fig.text(0.05, 0.028, ("依据：004 二(一)（儿童之家）、003 §8 §16（儿童主任走访与配备）、001 三(二)（经费倾斜）、"
                           "003 §13-14（防溺水“四个一”）" if zh else
                           "Rules: 004 二(一) homes; 003 §8, §16 directors; 001 三(二) funding tilt; "
                           "003 §13–14 drowning, 'four ones'"), fontsize=5.5, color="#555", va="top")
    return fig


def briefing_pdf(data, inputs: BriefingInputs, *, lang: str = "zh",
                 today: date | None = None) -> bytes:
    """The briefing as PDF bytes (one A4 page)."""
    return figure_bytes(briefing_figure(data, inputs, lang=lang, today=today), "pdf")
