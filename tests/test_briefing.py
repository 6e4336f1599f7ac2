"""The 简报: scenario, 编制单位, findings recomputed here from the layers, sources, one A4 page.

Every number a finding states is worked out again in this file from the raw layers (brute
force distances, plain group-bys), never read back from geo.briefing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date

import numpy as np
import pandas as pd
import pytest

from geo.briefing import (
    BriefingInputs,
    BriefingMeta,
    briefing_figure,
    briefing_findings,
    briefing_pdf,
    label_overlaps,
    place_labels,
    scenario_assumptions,
    source_citations,
)
from geo.hazards import analyse_hazards
from geo.layers import load_demo
from optimization.policy import load_documents, load_policy

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler")


@pytest.fixture(scope="module")
def demo():
    data = load_demo("500109")
    policy = load_policy().with_overrides({"siting.travel_cap_m": 1500,
                                           "hazards.danger_spots_top_n": 10})
    spots = pd.DataFrame(analyse_hazards(data, policy).spots)
    # a staffing result and a funding split written by hand (the page only reports them)
    totals = pd.DataFrame({"position": ["director", "supervisor"], "required": [313, 17],
                           "assigned": [290, 17], "to_recruit": [23, 0]})
    funding = pd.DataFrame({"unit_name": ["甲镇", "乙镇", "丙街道"],
                            "amount": [1_200_000, 800_000, 500_000]})
    inputs = BriefingInputs(staffing_totals=totals, funding=funding, spots=spots)
    return data, policy, inputs


def _flat(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _pdf_text(pdf: bytes, tmp_path) -> str:
    p = tmp_path / "b.pdf"
    p.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(p)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+1\b", info)  # still one page
    assert "(A4)" in info  # A4 portrait (8.27 x 11.69 in)
    return subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True,
                          check=True).stdout


def _expected_findings(data, policy, inputs) -> list[str]:
    """The findings' sentences (zh), every number recomputed from the layers."""
    v = data.villages.to_crs(data.metric_crs)
    f = data.facilities.to_crs(data.metric_crs)
    thr, cap = policy.siting.own_home_threshold, policy.siting.travel_cap_m
    res = v["resident_children"].astype(float)
    # 1. small villages with no host of the allowed kinds within the cap (brute force)
    hosts = f[f["kind"].isin(policy.siting.host_kinds)]
    small = v[(res > 0) & (res < thr)]
    d = np.hypot(small.geometry.x.to_numpy()[:, None] - hosts.geometry.x.to_numpy()[None, :],
                 small.geometry.y.to_numpy()[:, None] - hosts.geometry.y.to_numpy()[None, :])
    remote = int((d.min(axis=1) > cap).sum())
    # 2. villages at or above the threshold, and those without a 儿童之家 facility
    big = v[res >= thr]
    with_home = set(f.loc[f["kind"] == "children_home", "village_code"])
    no_home = sum(1 for c in big["village_code"] if c not in with_home)
    # 4. the danger reaches: count, km, states (nothing recorded: all unchecked)
    s = inputs.spots
    km = s["length_m"].sum() / 1000
    # 5. left-behind by township: the top three and their share
    lb = v.groupby("township_code")["left_behind"].sum().sort_values(ascending=False,
                                                                       kind="stable")
    names = dict(zip(data.townships["township_code"], data.townships["name"], strict=True))
    top = lb.head(3)
    share = 100 * top.sum() / lb.sum()
    return [
        f"{remote} 个村常住儿童不足 {thr} 人且 {cap / 1000:g} 公里内无可共建场所",
        f"{len(big)} 个村常住儿童达 {thr} 人及以上、应单独设立儿童之家，其中 {no_home} 个尚无儿童之家",
        "需儿童主任 313 名，现可配 290 名，缺口 23 名",
        f"前 {len(s)} 个危险河段合计 {km:.1f} 公里，其中 {len(s)} 个尚未检查“四个一”、0 个检查发现缺项",
        f"农村留守儿童最多的 3 个乡镇（{'、'.join(names[c] for c in top.index)}）占全县的 {share:.1f}%",
    ]


def test_briefing_text_holds_scenario_org_and_every_finding(demo, tmp_path):
    data, policy, inputs = demo
    meta = BriefingMeta(organisation="北碚区民政局儿童福利股", scenario="步行 1.5 公里方案",
                        on=date(2026, 12, 2))
    text = _flat(_pdf_text(briefing_pdf(data, inputs, policy=policy, meta=meta), tmp_path))
    assert "北碚区民政局儿童福利股" in text and "步行1.5公里方案" in text and "2026-12-02" in text
    assert "北碚区农村留守儿童和困境儿童关爱服务简报" in text
    for sentence in _expected_findings(data, policy, inputs):
        assert _flat(sentence) in text, sentence
    # the assumption that differs from the policy file, with both values
    assert _flat("3000 → 1500 m") in text
    # sources: document title and 文号, not a seed number
    jilin = "《吉林省民政厅关于进一步做好农村留守儿童关爱保护和困境儿童保障有关工作的通知》"
    assert jilin + "（吉民发〔2018〕41号）二(一)" in text
    assert "闽民童〔2019〕128号）三(二)" in text
    # values on the bars (万元, one decimal)
    assert all(x in text for x in ("120.0", "80.0", "50.0"))


def test_findings_computed_from_the_layers(demo):
    data, policy, inputs = demo
    got = [f.zh for f in briefing_findings(data, inputs, policy)]
    want = _expected_findings(data, policy, inputs)
    assert 3 <= len(got) <= 5
    assert got[0] == want[0] and got[1] == want[1] and got[3] == want[3] and got[4] == want[4]
    assert got[2].endswith(want[2])


def test_briefing_in_english(demo, tmp_path):
    data, policy, inputs = demo
    meta = BriefingMeta(organisation="Beibei Civil Affairs Bureau", scenario="1.5 km walk")
    text = _pdf_text(briefing_pdf(data, inputs, policy=policy, meta=meta, lang="en"), tmp_path)
    flat = _flat(text)
    assert _flat("Compiled by: Beibei Civil Affairs Bureau") in flat
    assert _flat("Scenario: 1.5 km walk") in flat
    assert "Findings" in text and "Recommendations" in text
    thr = policy.siting.own_home_threshold
    assert _flat(f"have fewer than {thr} resident children and no site to share within 1.5 km") \
        in flat
    assert "吉民发〔2018〕41号" in flat


def test_assumptions_and_sources():
    base = load_policy()
    assert scenario_assumptions(base) == []
    p = base.with_overrides({"siting.travel_cap_m": 2500, "hazards.buffer_m": 500})
    lines = scenario_assumptions(p)  # buffer_m = 500 is the base value: not an assumption
    assert lines == [f"{base.params['siting.travel_cap_m'].zh}：3000 → 2500 m"]
    docs = load_documents()
    assert docs["004"].number == "吉民发〔2018〕41号" and docs["001"].number == "闽民童〔2019〕128号"
    assert docs["002"].number == "北碚民发〔2021〕1号"
    cites = source_citations(base)
    assert any(c.startswith("《农村留守儿童和困境儿童关爱服务质量提升三年行动方案》") and "第14项" in c
               for c in cites)


def test_labels_placed_without_overlap(demo):
    """Township names on the demo map: adjustText leaves no two labels overlapping."""
    import matplotlib.pyplot as plt

    from geo.snapshot import draw_map

    data, policy, inputs = demo
    fig = plt.figure(figsize=(8.27, 11.69), dpi=150)
    ax = fig.add_axes([0.04, 0.405, 0.64, 0.355])
    draw_map(ax, data, layers=("county", "townships"), lang="zh", labels=False)
    tw = data.townships.to_crs(data.metric_crs)
    items = [(n, g.representative_point().x, g.representative_point().y)
             for n, g in zip(tw["name"], tw.geometry, strict=True)]
    texts = place_labels(ax, items, fontsize=5.2)
    assert len(texts) == len(tw)
    assert label_overlaps(texts) == 0
    plt.close(fig)


def test_briefing_figure_names_every_township(demo):
    data, policy, inputs = demo
    fig = briefing_figure(data, inputs, policy=policy)
    shown = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert set(data.townships["name"]) <= shown
    assert {str(r) for r in range(1, 9)} <= shown  # the top 8 reaches are numbered on the map


def test_snapshot_of_the_current_view(demo):
    """A snapshot given the web map's bounds shows that view, not the whole county."""
    from geo.snapshot import extent_from_bounds, render_snapshot

    data, _, _ = demo
    w, s, e, n = data.county.total_bounds
    view = (w + 0.25 * (e - w), s + 0.25 * (n - s), w + 0.5 * (e - w), s + 0.5 * (n - s))
    x0, y0, x1, y1 = extent_from_bounds(view, data.metric_crs)
    fig = render_snapshot(data, bounds=view, layers=("county", "townships"))
    ax = fig.axes[0]
    (a0, a1), (b0, b1) = ax.get_xlim(), ax.get_ylim()
    # the view plus the 3 % margin draw_map adds (the axes box adapts to the aspect)
    assert (a0, a1) == (pytest.approx(x0 - 0.03 * (x1 - x0)), pytest.approx(x1 + 0.03 * (x1 - x0)))
    assert (b0, b1) == (pytest.approx(y0 - 0.03 * (y1 - y0)), pytest.approx(y1 + 0.03 * (y1 - y0)))
    whole = render_snapshot(data, layers=("county",)).axes[0].get_xlim()
    assert whole[1] - whole[0] > 3 * (a1 - a0)  # the county is about 4 views wide


def test_view_bounds_from_st_folium():
    from childplan.ui import view_bounds

    got = view_bounds({"bounds": {"_southWest": {"lat": 29.7, "lng": 106.3},
                                  "_northEast": {"lat": 29.9, "lng": 106.5}}})
    assert got == (106.3, 29.7, 106.5, 29.9)
    assert view_bounds(None) is None and view_bounds({"bounds": {}}) is None
    assert view_bounds({"bounds": {"_southWest": {"lat": 29.9, "lng": 106.5},
                                   "_northEast": {"lat": 29.9, "lng": 106.5}}}) is None


def test_printed_map_classes_follow_the_policy_and_names_do_not_overlap(demo):
    """Snapshot villages change class at the threshold in force; township names are legible."""
    from matplotlib.colors import to_hex

    from geo.snapshot import _SEQ, policy_breaks, render_snapshot

    data, _, _ = demo
    p = load_policy().with_overrides({"siting.own_home_threshold": 80})
    breaks = policy_breaks(p, "resident_children")
    assert breaks == (40, 80, 160, 320)
    fig = render_snapshot(data, layers=("county", "townships", "villages"), breaks=breaks)
    ax = fig.axes[0]
    labels = [h.get_label() for h in ax.get_legend().legend_handles]
    assert [x for x in labels if x.startswith("常住儿童")] == [
        "常住儿童 < 40", "常住儿童 40–79", "常住儿童 80–159", "常住儿童 160–319", "常住儿童 ≥ 320"]
    # each village's colour is the class worked out here from its count
    res = data.villages["resident_children"].to_numpy()
    want = [_SEQ[sum(r >= b for b in breaks)] for r in res]
    got = [to_hex(c) for c in ax.collections[-1].get_facecolors()]
    assert got == want
    names = [t for t in ax.texts if t.get_text() in set(data.townships["name"])]
    assert len(names) == len(data.townships)
    assert label_overlaps(names) == 0


def test_recommendations_cite_documents_not_seed_numbers():
    """Every recommendation names its source by 文号 or the plan's title and item (never the
    seed file numbers 001/003), and the English ones hold no Chinese but the 文号."""
    from geo.briefing import Finding, briefing_recommendations

    findings = [Finding("own_home", {"without_home": 3}), Finding("remote_small", {"villages": 2}),
                Finding("directors", {"to_recruit": 5}), Finding("reaches", {"reaches": 7})]
    recs = briefing_recommendations(findings, load_policy())
    assert len(recs) == 4  # at most four: the visit rule falls off behind the other four
    zh = "\n".join(r[0] for r in recs)
    en = "\n".join(r[1] for r in recs)
    assert "3 个百人以上村" in zh and "2 个周边无可共建场所" in zh and "招募儿童主任 5 名" in zh
    assert "闽民童〔2019〕128号 二(二)" in zh and "section 2(2)" in en
    assert "7 个危险河段" in zh and "三年行动方案第14项" in zh and "item 14" in en
    assert not re.search(r"\b00\d\b", zh + en)  # no seed numbers
    # English: the only Chinese left are the documents' 文号
    stripped = re.sub(r"[吉闽]民[发童]〔\d{4}〕\d+号", "", en)
    assert not re.search(r"[\u4e00-\u9fff]", stripped), stripped
    # the visit rule, when it fits, with the policy's numbers
    visits = briefing_recommendations([Finding("directors", {})], load_policy())
    sp = load_policy().staffing
    assert visits == [(
        f"儿童主任每月至少联系服务对象 {sp.contacts_per_month:g} 次、每 "
        f"{sp.home_visit_interval_months:g} 个月入户走访一次，重点关注儿童加密走访（三年行动方案第8项）",
        f"Child directors contact every service target at least {sp.contacts_per_month:g} time(s) a "
        f"month and visit at home every {sp.home_visit_interval_months:g} months, key-attention cases "
        "more often (Three-year action plan, item 8)")]
