"""人员配置 / Staffing: who serves where as 儿童主任 and 儿童督导员, the gaps and the workload."""

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from childplan import ui
from geo.exports import to_xlsx_bytes
from geo.i18n import t
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
with st.expander("规则与参数（政策依据见“数据”页的政策表）" if zh else "Rules and parameters", expanded=False):
    c1, c2, c3 = st.columns(3)
    ui.override("staffing.targets_per_director", int(c1.number_input(
        "每名儿童主任负责的服务对象数（003 §16）" if zh else "Targets per director (003 §16)",
        1, 200, int(pol.targets_per_director))))
    ui.override("staffing.many_children_threshold", int(c2.number_input(
        "常住儿童达到此数增配一人" if zh else "Resident children for one more director",
        1, 5000, int(pol.many_children_threshold))))
    ui.override("staffing.max_travel_m", float(c3.number_input(
        "儿童主任最远居住距离（米）" if zh else "Farthest home of a director (m)",
        0.0, 50000.0, float(pol.max_travel_m), step=500.0)))
    c4, c5, c6 = st.columns(3)
    ui.override("staffing.stay_within_township", bool(c4.checkbox(
        "只在本乡镇内安排" if zh else "Only within the own township", pol.stay_within_township)))
    ui.override("staffing.max_villages_per_director", int(c5.number_input(
        "一人最多服务村数" if zh else "Most villages per director", 1, 4,
        int(pol.max_villages_per_director))))
    ui.override("staffing.start_date", str(c6.date_input(
        "上岗日期" if zh else "Start date", pd.Timestamp(pol.start_date)).isoformat()))
    metrics = ("straight", "road_m", "walk_min")
    ui.override("siting.travel_metric", st.radio(
        t("travel_metric", lang), metrics, horizontal=True, key="staffing_metric",
        index=metrics.index(ui.policy().siting.travel_metric),
        format_func=lambda k: t(f"metric_{k}", lang)))
solver = st.radio("求解器" if zh else "Solver", ["cbc", "highs"], horizontal=True,
                  key=ui.keep("staffing_solver", "cbc"))

want = (key, ui.overrides_key(), solver)
button = "求解人员配置" if zh else "Solve staffing"
if st.button(button, type="primary"):
    ui.solve_with_status("staffing", want, solve)  # staffing errors are PlanningErrors
done = ui.result_or_stop("staffing", want, button)
stale = ui.stale_notice("staffing", want, solve)  # 过期: exports off until re-solved
staffed = solve(*done)
plan, tables = staffed.plan, staffed.tables

tot = plan.totals.set_index("position")
cols = st.columns(5)
cols[0].metric("儿童主任（需/配）" if zh else "Directors needed/assigned",
               f"{int(tot.loc['director', 'required'])} / {int(tot.loc['director', 'assigned'])}")
cols[1].metric("待招募儿童主任" if zh else "Directors to recruit",
               int(tot.loc["director", "to_recruit"]))
cols[2].metric("儿童督导员（需/配）" if zh else "Supervisors needed/assigned",
               f"{int(tot.loc['supervisor', 'required'])} / {int(tot.loc['supervisor', 'assigned'])}")
cols[3].metric("人均月工作量（小时）" if zh else "Mean hours/month",
               f"{plan.directors['person_hours_per_month'].mean():.1f}" if len(plan.directors) else "-")
cols[4].metric("求解状态" if zh else "Status", plan.stats.status)
used = tables["staffing"]["metric"].iloc[0] if len(tables["staffing"]) else "straight"
st.caption(f"{t('metric_used', lang)}：{t('metric_' + used, lang)}"
           + ("" if used == "straight" else f"（{t('staff_metric_note', lang)}）"))
st.caption(("全国对照（2019，文件 000）：儿童主任 62 万名、儿童督导员 4.5 万名；本县需配分别占 "
            f"{tot.loc['director', 'required_share_of_national_pct']:.3f}% 和 "
            f"{tot.loc['supervisor', 'required_share_of_national_pct']:.3f}%。") if zh else
           ("National figures (2019, seed 000): 620,000 directors and 45,000 supervisors; this "
            f"county needs {tot.loc['director', 'required_share_of_national_pct']:.3f}% and "
            f"{tot.loc['supervisor', 'required_share_of_national_pct']:.3f}% of them."))

m = build_staffing_map(data, plan.villages, lang=lang)
localise_map(m)
st_folium(m, height=520, use_container_width=True, returned_objects=[],
          key="staffing_map_" + "_".join(map(str, done[1:])) + data.adcode + lang)

tabs = st.tabs(["儿童主任", "待招募", "培训计划", "儿童督导员"] if zh
               else ["Directors", "Recruit", "Training", "Supervisors"])
for tab, name in zip(tabs, ["staffing", "recruit", "training", "supervisors"], strict=True):
    with tab:
        st.dataframe(tables[name], width="stretch", hide_index=True)
c1, c2 = st.columns(2)
c1.download_button("下载 XLSX" if zh else "Download XLSX", to_xlsx_bytes(tables, lang=lang),
                   file_name=f"staffing_{data.adcode}.xlsx", disabled=stale,
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
c2.download_button("下载 staffing.csv" if zh else "Download staffing.csv",
                   tables["staffing"].to_csv(index=False).encode("utf-8-sig"),
                   file_name="staffing.csv", mime="text/csv", disabled=stale)

ui.snapshot_buttons(f"{data.name} · {t('nav_staffing', lang)}", layers=("county", "townships",
                    "waterways", "villages"), overlay_key=("staffing", done),
                    key="staffing_snapshot", disabled=stale)
