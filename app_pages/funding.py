"""经费分配 / Funding: split a budget across townships, tilted toward poor and old-base areas."""

import streamlit as st
from streamlit_folium import st_folium

from childplan import ui
from childplan.workflows import FundingResult, funding_tilt_path, run_funding, township_units
from geo.exports import tilt_plot, to_xlsx_bytes
from geo.i18n import t
from geo.maps_plans import build_choropleth_map
from geo.offline import localise_map
from geo.safe import md
from optimization.errors import PlanningError
from optimization.vocab import COUNTY_DESIGNATIONS, TARGET_SHORT_LABELS, VILLAGE_DESIGNATIONS

lang = ui.lang()
zh = lang == "zh"
key = ui.data_key()
data = ui.county_for(key)
st.title(f"{md(data.name)} · {t('nav_funding', lang)}")
if data.designations:
    st.caption(("本县认定：" if zh else "County designations: ") + "、".join(
        COUNTY_DESIGNATIONS[d][0 if zh else 1] for d in data.designations
        if d in COUNTY_DESIGNATIONS))

pol = ui.policy().funding
c1, c2, c3 = st.columns(3)
budget = int(c1.number_input("预算（元）" if zh else "Budget (yuan)", min_value=0,
                             step=100_000, key=ui.keep("funding_budget", 5_000_000)))
ui.override("funding.tilt_scale", float(c2.slider(
    "倾斜力度（001 三(二)）" if zh else "Tilt strength (001 三(二))", 0.0,
    float(pol.tilt_scale_max), float(pol.tilt_scale), 0.1)))
ui.override("funding.floor_yuan", float(c3.number_input(
    "每个乡镇最低金额（元）" if zh else "Floor per township (yuan)", 0.0, float(max(budget, 1)),
    float(pol.floor_yuan), step=10_000.0)))
with st.expander("权重与倾斜系数" if zh else "Weights and tilts"):
    cols = st.columns(4)
    tilt = dict(pol.tilt)
    labels = {"township_in_difficulty": ("困难街镇（002 五(二)）", "township in difficulty (002)"),
              **VILLAGE_DESIGNATIONS}
    for i, k in enumerate(["township_in_difficulty", "poverty_village", "old_base_village"]):
        tilt[k] = float(cols[i].number_input(labels[k][0 if zh else 1], 0.0, 5.0, float(tilt[k]),
                                             0.05, key=f"tilt_{k}"))
    ui.override("funding.tilt", tilt)
    ui.override("funding.cap_share", float(cols[3].number_input(
        "单个乡镇最高占比" if zh else "Most share per township", 0.01, 1.0, float(pol.cap_share),
        0.05)))
    tw = dict(pol.target_weights)
    cols = st.columns(len(tw))
    names = TARGET_SHORT_LABELS
    for i, k in enumerate(tw):
        tw[k] = float(cols[i].number_input(names[k][0 if zh else 1], 0.0, 10.0, float(tw[k]), 0.1,
                                           key=f"tw_{k}"))
    ui.override("funding.target_weights", tw)
    ui.override("funding.institution_weight", float(st.number_input(
        "每个救助保护/福利机构折算的服务对象数" if zh else "Target-equivalents per institution",
        0.0, 10_000.0, float(pol.institution_weight))))

siting_done = ui.last_result("siting", key)
staff_done = ui.last_result("staffing", key)
c1, c2 = st.columns(2)
use_siting = c1.checkbox(
    "先安排儿童之家建设改造费用（专项，取自选址页最近一次求解）" if zh
    else "Earmark the homes' set-up cost first (last siting solve)",
    key=ui.keep("funding_use_siting", False), disabled=siting_done is None)
use_staff = c2.checkbox(
    "先安排儿童主任补助（专项，取自人员配置页最近一次求解）" if zh
    else "Earmark director subsidies first (last staffing solve)",
    key=ui.keep("funding_use_staffing", False), disabled=staff_done is None)


@st.cache_data(show_spinner=False, max_entries=32)
def allocate(data_key: tuple, overrides_json: str, budget: int, siting_done, staffing_done):
    county = ui.county_for(data_key)
    policy = ui.policy_from_json(overrides_json)
    homes = ui.solve_siting(*siting_done).homes if siting_done else None
    staffing = ui.solve_staffing(*staffing_done).plan if staffing_done else None
    units = township_units(county, policy, homes=homes, staffing=staffing)
    return units, run_funding(units, budget, policy), funding_tilt_path(units, budget, policy)


try:
    units, plan, path = allocate(key, ui.overrides_key(), budget,
                                 siting_done if use_siting else None,
                                 staff_done if use_staff else None)
except PlanningError as exc:  # FundingInfeasible, or bad data behind the units
    st.error(exc.message(lang))
    st.stop()
st.session_state["funding_done"] = FundingResult(data_key=key, overrides=ui.overrides_key(),
                                                 budget=budget, table=plan.table)

table = plan.table.copy()
c1, c2, c3 = st.columns(3)
c1.metric("合计（元）" if zh else "Total (yuan)", f"{int(table['amount'].sum()):,}")
c2.metric("专项（元）" if zh else "Earmarked (yuan)", f"{int(table['earmark'].sum()):,}")
c3.metric("最高/最低（元）" if zh else "Highest/lowest (yuan)",
          f"{int(table['amount'].max()):,} / {int(table['amount'].min()):,}")
headers = {"unit_code": "乡镇代码", "unit_name": "乡镇", "targets": "服务对象", "designations": "认定",
           "need": "加权需求", "multiplier": "倾斜乘数", "base": "基础份额", "tilt": "倾斜与上下限调整",
           "earmark": "专项", "amount": "金额", "binding": "触及上下限"} if zh else {}
st.dataframe(table.rename(columns=headers), width="stretch", hide_index=True)

left, right = st.columns(2)
with left:
    fig = tilt_plot(path, lang=lang)
    st.pyplot(fig, clear_figure=True)
with right:
    m = build_choropleth_map(data, table.set_index("unit_code")["amount"],
                             title="金额（元）" if zh else "Amount (yuan)", lang=lang)
    localise_map(m)
    st_folium(m, height=420, use_container_width=True, returned_objects=[],
              key=f"funding_map_{data.adcode}_{lang}_{hash((ui.overrides_key(), budget)) % 10**8}")

st.download_button("下载 XLSX" if zh else "Download XLSX",
                   to_xlsx_bytes({"funding": plan.table, "tilt_path": path,
                                  "units": units.table}, lang=lang),
                   file_name=f"funding_{data.adcode}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

ui.snapshot_buttons(f"{data.name} · {t('nav_funding', lang)}", layers=("county", "townships",
                    "waterways"), overlay_key=("funding", tuple(sorted(zip(
                        table["unit_code"], table["amount"].astype(int), strict=True)))),
                    key="funding_snapshot")
