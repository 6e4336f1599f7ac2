"""The one-page A4 简报 for officials: who made it, under which assumptions, what the numbers say.

A 简报 (briefing) an official can read in two minutes: the title, the 编制单位 (compiling
unit) and date, the scenario and its key assumptions (the parameters that differ from the
policy file), the county's children, homes and staff in three boxes, a map with township
names and the danger reaches labelled without overlap, the funding split with values on the
bars, 3–5 findings written from the numbers, recommendations that follow from them, the top
danger reaches, and the sources as document title + 文号 + article (``[documents]`` of the
policy file). Built with matplotlib (CJK font from :mod:`geo.fonts`) from plans already
computed, so making the page takes about a second. Aggregates and codes only: no child,
director or candidate is named.

Findings
--------
Each finding is a :class:`Finding`: a key, its numbers and its sentence in Chinese and
English. They are computed here from the layers and plans, so a test can recompute every
number independently:

``remote_small``
    villages with 0 < resident children < ``siting.own_home_threshold`` and no facility of
    ``siting.host_kinds`` within ``siting.travel_cap_m`` (straight line, metres in the
    county's Gauss–Krüger CRS): they cannot join a shared home in an existing site.
``own_home``
    villages with at least ``own_home_threshold`` resident children, and how many of them
    have no 儿童之家 facility yet.
``directors``
    儿童主任 required, assigned and to recruit (the staffing plan).
``reaches``
    the top danger reaches: how many, their total length, and how many are not yet checked
    or checked with "四个一" items missing.
``left_behind``
    the three townships with the most left-behind children and their share of the county's.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from geo.fmt import day, now_beijing, num, pct, yuan  # noqa: E402
from geo.fonts import use_cjk_font  # noqa: E402
from geo.i18n import figure_label, t  # noqa: E402
from geo.labels import label_overlaps, place_labels  # noqa: E402
from geo.maps import village_measure  # noqa: E402
from geo.snapshot import DATA_SOURCES, Overlay, draw_map, figure_bytes  # noqa: E402

#: The columns of the briefing's danger-reach table (catalogue keys ``brief_reach_col.<c>``).
_REACH_COLUMNS = ("rank", "water", "reach", "village", "children", "chief", "four_ones")


def _both(key: str, **values) -> tuple[str, str]:
    """A catalogue message in Chinese and English, filled in (a finding keeps both)."""
    return t(key, "zh").format(**values), t(key, "en").format(**values)

__all__ = [
    "BriefingInputs",
    "access_line",
    "BriefingMeta",
    "Finding",
    "briefing_figure",
    "briefing_findings",
    "briefing_pdf",
    "briefing_recommendations",
    "label_overlaps",
    "place_labels",
    "scenario_assumptions",
    "source_citations",
]

_RED = "#c0392b"


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
        Ranked danger spots, one per reach (:func:`geo.hazards.danger_spots`: rank, river,
        reach_id, start_m, end_m, length_m, segment_ids, children_exposed, lon, lat and the
        checklist columns when known).
    access_shares : DataFrame, optional
        :func:`geo.travel.access_shares` of the homes (computed from ``homes`` when absent).
    mean_distance_m : float, optional
        按儿童加权的平均距离 of the siting plan, computed by the one definition
        (:func:`childplan.workflows.child_weighted_mean_distance`, via
        ``childplan.workflows.briefing_inputs``); None prints "-".
    coverage : float, optional
        Share of villages with a home (``SitingResult.coverage``: 1 − uncovered / villages);
        when absent, the share of ``assignments`` rows whose ``home_id`` is not empty.
    """

    homes: pd.DataFrame | None = None
    assignments: pd.DataFrame | None = None
    staffing_totals: pd.DataFrame | None = None
    funding: pd.DataFrame | None = None
    spots: pd.DataFrame | None = None
    access_shares: pd.DataFrame | None = None
    mean_distance_m: float | None = None
    coverage: float | None = None


@dataclass(frozen=True)
class BriefingMeta:
    """Who made the 简报, when, and for which scenario (all printed on the page).

    Attributes
    ----------
    title : str, optional
        Default: ``<county>农村留守儿童和困境儿童关爱服务简报``.
    organisation : str
        The 编制单位 (e.g. ``北碚区民政局儿童福利股``); "" prints 未填写 / not given.
    on : date, optional
        The date printed (default today).
    scenario : str
        The scenario's name; "" means the base policy (基准方案).
    """

    title: str = ""
    organisation: str = ""
    on: date | None = None
    scenario: str = ""


@dataclass(frozen=True)
class Finding:
    """One finding: its key, its numbers and its sentence in Chinese and English."""

    key: str
    values: dict = field(default_factory=dict)
    zh: str = ""
    en: str = ""

    def text(self, lang: str = "zh") -> str:
        """The sentence in ``lang``."""
        return self.zh if lang == "zh" else self.en


# ----------------------------------------------------------------------------- findings


def _metric_xy(frame, crs) -> np.ndarray:
    g = frame.to_crs(crs).geometry
    return np.column_stack([g.x.to_numpy(), g.y.to_numpy()]) if len(g) else np.zeros((0, 2))


def _num(frame, col) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(0.0, index=frame.index)
    return pd.to_numeric(frame[col], errors="coerce").fillna(0)


def briefing_findings(data, inputs: BriefingInputs, policy) -> list[Finding]:
    """The findings of the 简报 (see the module docstring), those the data allows, in order.

    Parameters
    ----------
    data : geo.layers.CountyData
    inputs : BriefingInputs
    policy : optimization.policy.Policy
        The policy in force (thresholds and distances come from it).

    Returns
    -------
    list of Finding
        Up to five.
    """
    from shapely import STRtree, points

    out: list[Finding] = []
    sp, v = policy.siting, data.villages
    thr, cap = int(sp.own_home_threshold), float(sp.travel_cap_m)
    res = _num(v, "resident_children")
    crs = data.metric_crs
    # remote small villages: no reusable host within the walking cap
    if len(v):
        small = v[(res > 0) & (res < thr)]
        hosts = data.facilities[data.facilities["kind"].isin(list(sp.host_kinds))] \
            if len(data.facilities) else data.facilities
        n_remote = len(small)
        if len(small) and len(hosts):
            sx, hx = _metric_xy(small, crs), _metric_xy(hosts, crs)
            si, _ = STRtree(points(hx)).query(points(sx), predicate="dwithin", distance=cap)
            n_remote = len(small) - len(np.unique(si))
        km = f"{cap / 1000:g}"
        out.append(Finding("remote_small", {"villages": n_remote, "threshold": thr, "cap_m": cap},
                           f"{n_remote} 个村常住儿童不足 {thr} 人且 {km} 公里内无可共建场所",
                           f"{n_remote} villages have fewer than {thr} resident children and no "
                           f"site to share within {km} km"))
        big = v[res >= thr]
        homes = data.facilities[data.facilities["kind"] == "children_home"] \
            if len(data.facilities) else data.facilities
        has = set(homes["village_code"].astype(str)) if "village_code" in homes.columns else set()
        no_home = int((~big["village_code"].astype(str).isin(has)).sum())
        out.append(Finding("own_home", {"villages": len(big), "without_home": no_home,
                                        "threshold": thr},
                           *_both("brief_find_own_home", villages=len(big), threshold=thr,
                                  without=no_home)))
    st = inputs.staffing_totals
    if st is not None and len(st) and "director" in set(st["position"]):
        d = st.set_index("position").loc["director"]
        req, ass, gap = int(d["required"]), int(d["assigned"]), int(d["to_recruit"])
        per = int(policy.staffing.targets_per_director)
        out.append(Finding("directors", {"required": req, "assigned": ass, "to_recruit": gap},
                           f"按每村至少 1 名、服务对象每超 {per} 人增配的标准需儿童主任 {req} 名，"
                           f"现可配 {ass} 名，缺口 {gap} 名",
                           f"{req} child directors are needed (at least one per village, one more "
                           f"per {per} service targets); {ass} can be assigned, {gap} to recruit"))
    spots = inputs.spots
    if spots is not None and len(spots):
        n = len(spots)
        length_km = float(_num(spots, "length_m").sum()) / 1000
        state = spots["state"] if "state" in spots.columns else pd.Series("unchecked",
                                                                          index=spots.index)
        unchecked = int((state == "unchecked").sum())
        missing = int((state == "missing").sum())
        out.append(Finding("reaches", {"reaches": n, "length_km": round(length_km, 1),
                                       "unchecked": unchecked, "missing": missing},
                           f"前 {n} 个危险河段合计 {length_km:.1f} 公里，其中 {unchecked} 个尚未检查"
                           f"“四个一”、{missing} 个检查发现缺项",
                           f"The top {n} danger reaches run {length_km:.1f} km; {unchecked} have "
                           f"not been checked for the 'four ones' yet and {missing} were found "
                           f"with items missing"))
    if len(v) and _num(v, "left_behind").sum() > 0:
        tc = (v["township_code"].astype(str) if "township_code" in v.columns
              else v["village_code"].astype(str).str[:9])
        lb = _num(v, "left_behind").groupby(tc).sum().sort_values(ascending=False, kind="stable")
        top = lb.head(3)
        share = 100.0 * float(top.sum()) / float(lb.sum())
        names = dict(zip(data.townships["township_code"].astype(str),
                         data.townships["name"].astype(str), strict=True))
        tn = [names.get(c, c) for c in top.index]
        out.append(Finding("left_behind", {"townships": list(top.index), "share": round(share, 1)},
                           f"农村留守儿童最多的 {len(tn)} 个乡镇（{'、'.join(tn)}）占全县的 "
                           f"{share:.1f}%",
                           f"The {len(tn)} townships with the most left-behind children "
                           f"({', '.join(tn)}) hold {share:.1f}% of the county's"))
    return out[:5]


def briefing_recommendations(findings: list[Finding], policy) -> list[tuple[str, str]]:
    """Recommendations that follow from the findings: (zh, en) pairs, at most 4.

    Each is written only when its finding calls for it (a shortfall, villages without a
    home, unchecked reaches); the visit rule is recalled whenever staffing was planned.
    """
    f = {x.key: x.values for x in findings}
    out = []
    if f.get("own_home", {}).get("without_home"):
        n = f["own_home"]["without_home"]
        out.append(_both("brief_rec_own_home", n=n))
    if f.get("remote_small", {}).get("villages"):
        n = f["remote_small"]["villages"]
        out.append(_both("brief_rec_remote_small", n=n))
    if f.get("directors", {}).get("to_recruit"):
        out.append(_both("brief_rec_directors", n=f["directors"]["to_recruit"]))
    r = f.get("reaches", {})
    if r.get("reaches"):
        out.append(_both("brief_rec_reaches", n=r["reaches"]))
    if "directors" in f:
        sp = policy.staffing
        out.append(_both("brief_rec_visits", contacts=f"{sp.contacts_per_month:g}",
                         months=f"{sp.home_visit_interval_months:g}"))
    return out[:4]


def scenario_assumptions(policy, base=None, lang: str = "zh") -> list[str]:
    """The parameters of ``policy`` that differ from ``base`` (default: the policy file).

    One line each: the parameter's meaning, the base value and the value in force, e.g.
    ``共建区域性儿童之家的最大服务距离（步行可达）：3000 → 2500 m``.
    """
    from optimization.policy import load_policy

    base = base if base is not None else load_policy()
    out = []
    for name in sorted(getattr(policy, "overrides", {}) or {}):
        try:
            new, old = policy.value(name), base.value(name)
        except (KeyError, AttributeError):
            continue
        if new == old:
            continue
        p = policy.params.get(name)
        what = (p.zh if lang == "zh" else p.en) if p is not None else name
        unit = f" {p.unit}" if p is not None and p.unit and isinstance(new, (int, float)) else ""
        out.append(f"{what or name}{'：' if lang == 'zh' else ': '}{_fmt(old)} → {_fmt(new)}{unit}")
    return out


def _fmt(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return f"{v:g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v))
    if isinstance(v, dict):
        return ", ".join(f"{k}={x}" for k, x in v.items())
    return str(v)


#: The rules the 简报's figures rest on: what, and the parameter whose source cites it.
_CITED = (("homes", "siting.own_home_threshold"), ("directors", "staffing.targets_per_director"),
          ("visits", "staffing.contacts_per_month"), ("funding", "funding.tilt"),
          ("drowning", "hazards.four_ones"))
_CITE_RE = re.compile(r"\b(00\d)\s+(§[\d–-]+|[一二三四五六七八九十]+(?:\([一二三四五六七八九十]+\))?\d*)")


def source_citations(policy, lang: str = "zh", documents=None) -> list[str]:
    """Sources as 《title》（文号）articles, one per document, from the cited parameters.

    The first ``NNN article`` of each cited parameter's ``source`` (e.g. ``004 二(一)``,
    ``003 §16``) is looked up in the policy file's ``[documents]``; articles of the same
    document are listed together, ``§n`` printed as 第n项 / item n.
    """
    from optimization.policy import load_documents

    docs = documents if documents is not None else load_documents()
    arts: dict[str, list[str]] = {}
    for _, name in _CITED:
        if name not in policy.params:
            continue
        m = _CITE_RE.search(policy.params[name].source)
        if not m:
            continue
        code, art = m.group(1), m.group(2)
        if art.startswith("§"):
            art = t("brief_item", lang).format(n=art[1:])
        elif lang != "zh":
            from geo.i18n import articles_en

            art = articles_en(art)
        if art not in arts.setdefault(code, []):
            arts[code].append(art)
    out = []
    for code in sorted(arts):
        d = docs.get(code)
        article = ("、" if lang == "zh" else ", ").join(arts[code])
        out.append(d.cite(article, lang) if d is not None else f"{code} {article}")
    return out


# ----------------------------------------------------------------------------- labels


def _reach_lines(data, spots: pd.DataFrame, policy):
    """The reaches' lines (metric CRS) from their segment ids, or None."""
    if policy is None or "segment_ids" not in spots.columns or not len(data.waterways):
        return None
    from geo.hazards import segment_waterways

    segs = segment_waterways(data.waterways, policy.hazards.segment_length_m,
                             crs=data.metric_crs).set_index("segment_id")
    out = []
    for ids in spots["segment_ids"].astype(str):
        keep = [i for i in ids.split(";") if i in segs.index]
        out.append(segs.loc[keep].geometry.union_all() if keep else None)
    return out


# ----------------------------------------------------------------------------- page


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in s)


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` columns (a CJK character counts 2); English at spaces."""
    lines, cur = [], ""
    tokens = re.findall(r"[A-Za-z0-9'’.,;:()/%+\-–]+ ?|\s|.", text)
    for tok in tokens:
        if _width(cur + tok) > width and cur.strip():
            lines.append(cur.rstrip())
            cur = tok.lstrip()
        else:
            cur += tok
    if cur.strip():
        lines.append(cur.rstrip())
    return lines


def _box(fig, x, y, w, h, title, lines, colour=_RED):
    fig.patches.append(plt.Rectangle((x, y), w, h, transform=fig.transFigure, facecolor="#faf8f3",
                                     edgecolor="#ddd", linewidth=0.8))
    fig.text(x + 0.01, y + h - 0.010, title, fontsize=9, fontweight="bold", color=colour,
             va="top")
    step = min(0.0155, (h - 0.04) / max(len(lines) - 1, 1))  # seven lines still fit
    for i, (label, value) in enumerate(lines):
        yy = y + h - 0.031 - i * step
        fig.text(x + 0.012, yy, label, fontsize=7, color="#333", va="top")
        fig.text(x + w - 0.012, yy, value, fontsize=8, fontweight="bold", ha="right", va="top")


def _paragraphs(fig, x, y, title, items, width, lang, *, numbered=True, size=7.2):
    """A titled list of wrapped paragraphs from (x, y) down; returns the y below it."""
    fig.text(x, y, title, fontsize=9, fontweight="bold", color=_RED, va="top")
    y -= 0.019
    step = size / 72 / 11.69 * 1.45
    for i, text in enumerate(items, start=1):
        lines = _wrap(text, width)
        for j, line in enumerate(lines):
            prefix = (f"{i}. " if j == 0 else "    ") if numbered else ""
            fig.text(x, y, prefix + line, fontsize=size, color="#222", va="top")
            y -= step
        y -= step * 0.25
    return y


def _briefing_access(data, inputs: BriefingInputs, policy) -> pd.DataFrame | None:
    """The 10/20/30-minute shares: given, or from the homes with the travel model."""
    if inputs.access_shares is not None:
        return inputs.access_shares
    homes = inputs.homes
    if homes is None or not len(homes) or not {"home_id", "lon", "lat"} <= set(homes.columns):
        return None
    from geo.travel import access_shares, accessibility

    return access_shares(accessibility(data, policy, homes))


def access_line(shares: pd.DataFrame | None, lang: str = "zh") -> str:
    """One line of the shares of resident, left-behind and difficulty children by band.

    >>> s = pd.DataFrame({"within_min": [10, 30], "resident_children": [0.5, 0.981],
    ...                   "left_behind": [0.4, 1.0], "difficulty": [0.25, 0.9]})
    >>> access_line(s, "en")
    'Walk to the nearest home (resident / left-behind / in difficulty): ≤ 10 min 50.0% / 40.0% / \
25.0%; ≤ 30 min 98.1% / 100.0% / 90.0%'
    """
    if shares is None or not len(shares):
        return ""
    parts = [t("access_brief", lang).format(
        b=int(r.within_min), r=f"{r.resident_children:.1%}", l=f"{r.left_behind:.1%}",
        d=f"{r.difficulty:.1%}") for r in shares.itertuples()]
    sep = "；" if lang == "zh" else "; "
    return t("access_brief_head", lang) + ("：" if lang == "zh" else ": ") + sep.join(parts)


def briefing_figure(data, inputs: BriefingInputs, *, lang: str = "zh", today: date | None = None,
                    policy=None, meta: BriefingMeta | None = None):
    """The 简报 as a matplotlib Figure (A4 portrait).

    Parameters
    ----------
    data : geo.layers.CountyData
    inputs : BriefingInputs
    lang : {"zh", "en"}
    today : date, optional
        Shortcut for ``meta.on``.
    policy : Policy, optional
        The policy in force (default: the policy file): thresholds for the findings, the
        assumptions (its differences from the policy file) and the cited sources.
    meta : BriefingMeta, optional
        Title, 编制单位, date and scenario name.
    """
    from optimization.policy import load_policy

    use_cjk_font()
    zh = lang == "zh"
    meta = meta or BriefingMeta()
    policy = policy if policy is not None else load_policy()
    on = meta.on or today or now_beijing().date()  # the day in 北京时间, not the server's zone
    fig = plt.figure(figsize=(8.27, 11.69), dpi=150)
    title = meta.title or t("brief_title_pattern", lang).format(county=data.name)
    fig.text(0.05, 0.970, title, fontsize=15, fontweight="bold", va="top")
    org = meta.organisation or (t("brief_not_given", lang))
    scen = meta.scenario or (t("brief_base_policy_policy_file", lang))
    # 2026-12-02 is one of the office forms (issue 16); English: 2 Dec 2026
    line2 = t("brief_line2", lang).format(org=org, on=on.isoformat() if zh else day(on, lang),
                                          scenario=scen)
    fig.text(0.05, 0.941, line2, fontsize=8, va="top", color="#222")
    assumptions = scenario_assumptions(policy, lang=lang)
    head = t("brief_key_assumptions", lang)
    if assumptions:
        shown = assumptions[:3]
        more = len(assumptions) - len(shown)
        text = (t("brief_sep", lang)).join(shown) + (
            t("brief_and_more", lang).format(n=len(assumptions), more=more) if more > 0 else "")
    else:
        text = t("brief_every_parameter_as_in", lang)
    for i, line in enumerate(_wrap(head + text, 150)[:2]):
        fig.text(0.05, 0.924 - i * 0.0125, line, fontsize=6.8, va="top", color="#444")
    if data.synthetic_layers():
        fig.text(0.95, 0.970, t("synthetic_mark", lang), fontsize=8,
                 color="#7a5b00", va="top", ha="right",
                 bbox={"facecolor": "#fff3cd", "edgecolor": "#e0c060", "boxstyle": "round,pad=0.3"})

    v = data.villages
    diff = village_measure(v, "difficulty")
    row_y, row_h, w = 0.77, 0.125, 0.29
    _box(fig, 0.05, row_y, w, row_h, t("brief_children", lang), [
        (t("brief_villages", lang), num(len(v))),
        (t("brief_resident_children", lang), num(int(v['resident_children'].sum()))),
        (t("brief_left_behind", lang), num(int(v['left_behind'].sum()))),
        (t("brief_in_difficulty", lang), num(int(diff.sum()))),
        (t("brief_orphans_unsupported", lang),
         f"{num(int(v['orphan'].sum()))} / {num(int(v['unsupported'].sum()))}"),
        (t("brief_key_attention", lang), num(int(v['key_attention'].sum()))),
    ])
    homes = inputs.homes
    thr = int(policy.siting.own_home_threshold)
    if homes is not None and len(homes):
        c = homes["status"].value_counts()
        a = inputs.assignments
        # an uncovered village carries home_id "" (not NaN): notna() counted it as covered
        cov = (inputs.coverage if inputs.coverage is not None
               else a["home_id"].fillna("").astype(str).str.strip().ne("").mean()
               if a is not None and len(a) else float("nan"))
        big = int((v["resident_children"] >= thr).sum())
        lines = [
            (t("brief_existing_homes", lang), f"{int(c.get('existing', 0))}"),
            (t("brief_reuse_of_facilities", lang), f"{int(c.get('reuse', 0))}"),
            (t("brief_new_builds", lang), f"{int(c.get('new', 0))}"),
            (t("brief_big_villages", lang).format(threshold=thr), f"{big}"),
            (t("brief_villages_covered", lang), pct(cov)),
            (figure_label("mean_distance_m", lang), "-" if inputs.mean_distance_m is None
             else num(inputs.mean_distance_m)),
            (t("brief_set_up_cost", lang),
             yuan(homes['cost_yuan'].sum(), lang, wan=zh, decimals=1 if zh else 0)
             if "cost_yuan" in homes else "-"),
        ]
    else:
        lines = [(t("brief_not_solved", lang), "-")]
    _box(fig, 0.355, row_y, w, row_h, t("brief_children_s_homes", lang), lines)
    stt = inputs.staffing_totals
    if stt is not None and len(stt):
        s = stt.set_index("position")
        lines = [
            (t("brief_directors_required", lang), f"{int(s.loc['director', 'required'])}"),
            (t("brief_directors_assigned", lang), f"{int(s.loc['director', 'assigned'])}"),
            (t("brief_directors_to_recruit", lang),
             f"{int(s.loc['director', 'to_recruit'])}"),
            (t("brief_supervisors_req_assigned", lang),
             f"{int(s.loc['supervisor', 'required'])} / {int(s.loc['supervisor', 'assigned'])}"),
            (t("brief_supervisors_to_recruit", lang),
             f"{int(s.loc['supervisor', 'to_recruit'])}"),
        ]
    else:
        lines = [(t("brief_not_solved", lang), "-")]
    _box(fig, 0.66, row_y, w, row_h, t("brief_staff", lang), lines)
    # --- accessibility: shares of children within 10/20/30 minutes of the nearest home ----
    line = access_line(_briefing_access(data, inputs, policy), lang)
    if line:
        fig.text(0.05, row_y - 0.0012, line, fontsize=5.8, color="#333", va="top")

    # --- map: townships named, reaches drawn and numbered, labels kept apart ---------------
    ax = fig.add_axes([0.04, 0.405, 0.64, 0.355])
    handles, _ = draw_map(ax, data, layers=("county", "townships", "waterways"),
                          overlay=Overlay(homes=homes), lang=lang, labels=False)
    spots = inputs.spots
    map_spots = spots.sort_values("rank").head(8) if spots is not None and len(spots) else None
    avoid_x, avoid_y, reach_items = [], [], []
    if map_spots is not None:
        from matplotlib.lines import Line2D

        lines_ = _reach_lines(data, map_spots, policy)
        import geopandas as gpd

        pts = gpd.GeoSeries(gpd.points_from_xy(map_spots["lon"], map_spots["lat"]),
                            crs=4326).to_crs(data.metric_crs)
        for i, (r, p) in enumerate(zip(map_spots.itertuples(), pts, strict=True)):
            geom = lines_[i] if lines_ is not None else None
            if geom is not None and not geom.is_empty:
                gpd.GeoSeries([geom], crs=data.metric_crs).plot(ax=ax, color=_RED, linewidth=2.6,
                                                                zorder=7)
            ax.scatter([p.x], [p.y], s=10, color=_RED, edgecolors="white", linewidths=0.5,
                       zorder=8)
            avoid_x.append(p.x)
            avoid_y.append(p.y)
            reach_items.append((str(int(r.rank)), p.x, p.y))
        handles.append(Line2D([], [], color=_RED, lw=2.6,
                              label=t("brief_danger_reach_rank", lang)))
    tw = data.townships.to_crs(data.metric_crs)
    town_items = [(str(n), g.representative_point().x, g.representative_point().y)
                  for n, g in zip(tw["name"], tw.geometry, strict=True)]
    place_labels(ax, town_items, fontsize=5.2, color="#444",
                 bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.6},
                 avoid=(avoid_x, avoid_y) if avoid_x else None)
    if reach_items:
        place_labels(ax, reach_items, fontsize=5.8, color="white", fontweight="bold",
                     bbox={"boxstyle": "circle,pad=0.2", "fc": _RED, "ec": "white", "lw": 0.6},
                     avoid=(avoid_x, avoid_y),
                     arrowprops={"arrowstyle": "-", "color": _RED, "lw": 0.6})
    if handles:
        ax.legend(handles=handles, loc="lower right", fontsize=5.5, framealpha=0.9)
    ax.set_xlabel("")
    ax.set_ylabel("")

    # --- funding bars with their values ------------------------------------------------------
    fund = inputs.funding
    axf = fig.add_axes([0.76, 0.44, 0.19, 0.30])
    if fund is not None and len(fund):
        f = fund.sort_values("amount")
        bars = axf.barh(f["unit_name"].astype(str), f["amount"] / 1e4, color=_RED, height=0.7)
        axf.bar_label(bars, labels=[num(x / 1e4, 1) for x in f["amount"]], fontsize=4.6,
                      padding=1.5)
        axf.tick_params(labelsize=5.2)
        axf.set_xlim(0, float(f["amount"].max()) / 1e4 * 1.3)
        axf.set_xlabel(t("brief_10_000_yuan", lang), fontsize=6)
        total = yuan(fund["amount"].sum(), lang, wan=zh, decimals=1 if zh else 0)
        axf.set_title(t("brief_funding_total", lang).format(total=total),
                      fontsize=7.5, fontweight="bold", color=_RED)
        for side in ("top", "right"):
            axf.spines[side].set_visible(False)
    else:
        axf.axis("off")
        axf.text(0.5, 0.5, t("brief_no_funding_plan", lang), ha="center")

    # --- findings and recommendations ------------------------------------------------------
    findings = briefing_findings(data, inputs, policy)
    recs = briefing_recommendations(findings, policy)
    y1 = _paragraphs(fig, 0.05, 0.392, t("brief_findings", lang),
                     [x.text(lang) for x in findings], 72 if zh else 84, lang)
    y2 = _paragraphs(fig, 0.52, 0.392, t("brief_recommendations", lang),
                     [r[0] if zh else r[1] for r in recs], 72 if zh else 84, lang)
    table_top = min(y1, y2) - 0.006

    # --- top danger reaches ------------------------------------------------------------------
    fig.text(0.05, table_top, t("brief_top_danger_reaches", lang),
             fontsize=9, fontweight="bold", color=_RED, va="top")
    if spots is not None and len(spots):
        from geo.patrol import four_ones_text, reach_text

        top = spots.sort_values("rank").head(6)
        state = [four_ones_text(m, li, lang) for m, li in zip(
            top["missing"] if "missing" in top else [[]] * len(top),
            top["last_inspection"] if "last_inspection" in top else [""] * len(top),
            strict=True)]
        names = [(r.village_name if "village_name" in top else getattr(r, "village", ""))
                 for r in top.itertuples()]
        cell = [[str(int(r.rank)), str(r.river) or "-", reach, str(nm), f"{int(r.children_exposed)}",
                 str(r.chief), s] for r, reach, nm, s in zip(
                     top.itertuples(), reach_text(top, lang), names, state, strict=True)]
        heads = [t(f"brief_reach_col.{c}", lang) for c in _REACH_COLUMNS]
        h = 0.0135 * (len(cell) + 1)
        axt = fig.add_axes([0.05, table_top - 0.017 - h, 0.9, h])
        axt.axis("off")
        tbl = axt.table(cellText=cell, colLabels=heads, loc="upper left", cellLoc="center",
                        colWidths=[0.06, 0.12, 0.30, 0.14, 0.09, 0.15, 0.14], bbox=[0, 0, 1, 1])
        tbl.auto_set_font_size(False)
        tbl.set_fontsize(6.2)
        for (_r, _c), c in tbl.get_celld().items():
            c.set_linewidth(0.3)
            c.set_edgecolor("#999")
    else:
        fig.text(0.05, table_top - 0.02, t("brief_not_computed", lang), fontsize=8)

    # --- sources ---------------------------------------------------------------------------
    cites = source_citations(policy, lang)
    src = (t("brief_sources", lang)) + (t("brief_sep", lang)).join(cites)
    y = 0.068
    for line in _wrap(src, 170 if zh else 180)[:4]:
        fig.text(0.05, y, line, fontsize=5.3, color="#555", va="top")
        y -= 0.0095
    fig.text(0.05, y - 0.002, DATA_SOURCES[lang], fontsize=5.0, color="#777", va="top")
    return fig


def briefing_pdf(data, inputs: BriefingInputs, *, lang: str = "zh", today: date | None = None,
                 policy=None, meta: BriefingMeta | None = None) -> bytes:
    """The 简报 as PDF bytes (one A4 page), Chinese drawn with the CJK font."""
    from geo.patrol import _pdf_font_rc

    with matplotlib.rc_context(_pdf_font_rc()):
        fig = briefing_figure(data, inputs, lang=lang, today=today, policy=policy, meta=meta)
        return figure_bytes(fig, "pdf")
