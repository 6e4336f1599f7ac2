"""人员配置 / Staffing: who serves where as 儿童主任 and 儿童督导员, the gaps and the workload."""

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from childplan import ui
from geo import fmt
from geo.exports import csv_bytes, export_table, to_xlsx_bytes
from geo.i18n import enum_label, localise_table, paren, t
from geo.maps_plans import build_staffing_map
from geo.offline import localise_map
from geo.safe import md

lang = ui.lang()
zh = lang == "zh"
key = ui.data_key()
data = ui.county_for(key)
st.title(f"{md(data.name)} · {t('nav_staffing', lang)}")


solve = ui.solve_staffing
pol = ui.policy().staffing
with st.expander(t("staff_rules", lang), expanded=False):
    c1, c2, c3 = st.columns(3)
    ui.override("staffing.targets_per_director", int(c1.number_input(
        t("staff_targets_per_director", lang),
        1, 200, int(pol.targets_per_director))))
    ui.override("staffing.many_children_threshold", int(c2.number_input(
        t("staff_many_children", lang),
        1, 5000, int(pol.many_children_threshold))))
    ui.override("staffing.max_travel_m", float(c3.number_input(
        t("staff_max_travel", lang),
        0.0, 50000.0, float(pol.max_travel_m), step=500.0)))
    c4, c5, c6 = st.columns(3)
    ui.override("staffing.stay_within_township", bool(c4.checkbox(
        t("staff_within_township", lang), pol.stay_within_township)))
    ui.override("staffing.max_villages_per_director", int(c5.number_input(
        t("staff_max_villages", lang), 1, 4,
        int(pol.max_villages_per_director))))
    ui.override("staffing.start_date", str(c6.date_input(
        t("staff_start_date", lang), pd.Timestamp(pol.start_date)).isoformat()))
    metrics = ("straight", "road_m", "walk_min")
    ui.override("siting.travel_metric", st.radio(
        t("travel_metric", lang), metrics, horizontal=True, key="staffing_metric",
        index=metrics.index(ui.policy().siting.travel_metric),
        format_func=lambda k: t(f"metric_{k}", lang)))
with st.expander(t("tech_details", lang), expanded=False):
    solver = st.radio(t("solver", lang), ["cbc", "highs"], horizontal=True,
                      key=ui.keep("staffing_solver", "cbc"))

want = (key, ui.overrides_key(), solver)
button = t("staff_solve", lang)
if st.button(button, type="primary"):
    ui.solve_with_status("staffing", want, solve)  # staffing errors are PlanningErrors
done = ui.result_or_stop("staffing", want, button, preview="targets")
stale = ui.stale_notice("staffing", want, solve)  # 过期: exports off until re-solved
staffed = solve(*done)
plan, tables = staffed.plan, staffed.tables

tot = plan.totals.set_index("position")
cols = st.columns(4)
cols[0].metric(t("staff_directors", lang),
               f"{int(tot.loc['director', 'required'])} / {int(tot.loc['director', 'assigned'])}")
cols[1].metric(t("staff_to_recruit", lang),
               int(tot.loc["director", "to_recruit"]))
cols[2].metric(t("staff_supervisors", lang),
               f"{int(tot.loc['supervisor', 'required'])} / {int(tot.loc['supervisor', 'assigned'])}")
cols[3].metric(t("staff_hours", lang),
               fmt.num(plan.directors["person_hours_per_month"].mean(), 1) if len(plan.directors) else "-")
st.caption(f"{t('solver_status_label', lang)}{t('colon', lang)}{enum_label('solver_status', plan.stats.status, lang)}")
used = tables["staffing"]["metric"].iloc[0] if len(tables["staffing"]) else "straight"
st.caption(f"{t('metric_used', lang)}{t('colon', lang)}{t('metric_' + used, lang)}"
           + ("" if used == "straight" else paren(t("staff_metric_note", lang), lang)))
st.caption(t("staff_national", lang).format(
    directors=fmt.num(pol.national_directors_2019), supervisors=fmt.num(pol.national_supervisors_2019),
    d_share=fmt.num(tot.loc["director", "required_share_of_national_pct"], 3) + "%",
    s_share=fmt.num(tot.loc["supervisor", "required_share_of_national_pct"], 3) + "%"))

m = build_staffing_map(data, plan.villages, lang=lang)
localise_map(m)
st_folium(m, height=520, use_container_width=True, returned_objects=[],
          key="staffing_map_" + "_".join(map(str, done[1:])) + data.adcode + lang)

tabs = st.tabs([t(f"staff_tab_{k}", lang) for k in ("directors", "recruit", "training", "supervisors")])
for tab, name in zip(tabs, ["staffing", "recruit", "training", "supervisors"], strict=True):
    with tab:
        st.dataframe(fmt.table(localise_table(tables[name], lang, {"kind": "training_kind"})),
                     width="stretch", hide_index=True)
c1, c2 = st.columns(2)
c1.download_button(t("download_xlsx", lang), to_xlsx_bytes(tables, lang=lang),
                   file_name=f"staffing_{data.adcode}.xlsx", disabled=stale,
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
c2.download_button(t("staff_download_csv", lang), csv_bytes(export_table(tables["staffing"], lang)),
                   file_name="staffing.csv", mime="text/csv", disabled=stale)

ui.snapshot_buttons(f"{data.name} · {t('nav_staffing', lang)}", layers=("county", "townships",
                    "waterways", "villages"), overlay_key=("staffing", done),
                    key="staffing_snapshot", disabled=stale)
