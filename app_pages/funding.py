"""经费分配 / Funding: split a budget across townships, tilted toward poor and old-base areas."""

import streamlit as st
from streamlit_folium import st_folium

from childplan import ui
from childplan.workflows import FundingResult, funding_tilt_path, run_funding, township_units
from geo import fmt
from geo.exports import tilt_plot, to_xlsx_bytes
from geo.i18n import localise_table, t
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
    st.caption(t("fund_designations", lang) + "、".join(
        COUNTY_DESIGNATIONS[d][0 if zh else 1] for d in data.designations
        if d in COUNTY_DESIGNATIONS))

pol = ui.policy().funding
c1, c2, c3 = st.columns(3)
budget = int(c1.number_input(t("fund_budget", lang), min_value=0,
                             step=100_000, key=ui.keep("funding_budget", 5_000_000)))
ui.override("funding.tilt_scale", float(c2.slider(
    t("fund_tilt_scale", lang), 0.0,
    float(pol.tilt_scale_max), float(pol.tilt_scale), 0.1)))
ui.override("funding.floor_yuan", float(c3.number_input(
    t("fund_floor", lang), 0.0, float(max(budget, 1)),
    float(pol.floor_yuan), step=10_000.0)))
with st.expander(t("fund_weights", lang)):
    cols = st.columns(4)
    tilt = dict(pol.tilt)
    labels = {"township_in_difficulty": (t("fund_tilt_township", "zh"), t("fund_tilt_township", "en")),
              **VILLAGE_DESIGNATIONS}
    for i, k in enumerate(["township_in_difficulty", "poverty_village", "old_base_village"]):
        tilt[k] = float(cols[i].number_input(labels[k][0 if zh else 1], 0.0, 5.0, float(tilt[k]),
                                             0.05, key=f"tilt_{k}"))
    ui.override("funding.tilt", tilt)
    ui.override("funding.cap_share", float(cols[3].number_input(
        t("fund_cap_share", lang), 0.01, 1.0, float(pol.cap_share),
        0.05)))
    tw = dict(pol.target_weights)
    cols = st.columns(len(tw))
    names = TARGET_SHORT_LABELS
    for i, k in enumerate(tw):
        tw[k] = float(cols[i].number_input(names[k][0 if zh else 1], 0.0, 10.0, float(tw[k]), 0.1,
                                           key=f"tw_{k}"))
    ui.override("funding.target_weights", tw)
    ui.override("funding.institution_weight", float(st.number_input(
        t("fund_institution_weight", lang),
        0.0, 10_000.0, float(pol.institution_weight))))

siting_done = ui.last_result("siting", key)
staff_done = ui.last_result("staffing", key)
c1, c2 = st.columns(2)
use_siting = c1.checkbox(
    t("fund_use_siting", lang),
    key=ui.keep("funding_use_siting", False), disabled=siting_done is None)
use_staff = c2.checkbox(
    t("fund_use_staffing", lang),
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
    ui.stop()
st.session_state["funding_done"] = FundingResult(data_key=key, overrides=ui.overrides_key(),
                                                 budget=budget, table=plan.table)

table = plan.table.copy()
c1, c2, c3 = st.columns(3)
c1.metric(t("fund_total", lang), fmt.num(int(table["amount"].sum())))
c2.metric(t("fund_earmarked", lang), fmt.num(int(table["earmark"].sum())))
c3.metric(t("fund_high_low", lang),
          f"{fmt.num(int(table['amount'].max()))} / {fmt.num(int(table['amount'].min()))}")
st.dataframe(fmt.table(localise_table(table, lang)), width="stretch", hide_index=True)

left, right = st.columns(2)
with left:
    fig = tilt_plot(path, lang=lang)
    st.pyplot(fig, clear_figure=True)
with right:
    m = build_choropleth_map(data, table.set_index("unit_code")["amount"],
                             title=t("map_funding_amount", lang), lang=lang)
    localise_map(m)
    st_folium(m, height=420, use_container_width=True, returned_objects=[],
              key=f"funding_map_{data.adcode}_{lang}_{hash((ui.overrides_key(), budget)) % 10**8}")

st.download_button(t("download_xlsx", lang),
                   to_xlsx_bytes({"funding": plan.table, "tilt_path": path,
                                  "units": units.table}, lang=lang),
                   file_name=f"funding_{data.adcode}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

ui.snapshot_buttons(f"{data.name} · {t('nav_funding', lang)}", layers=("county", "townships",
                    "waterways"), overlay_key=("funding", tuple(sorted(zip(
                        table["unit_code"], table["amount"].astype(int), strict=True)))),
                    key="funding_snapshot")
