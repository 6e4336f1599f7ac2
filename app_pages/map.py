"""地图 / Map: the county with every layer, toggleable, and the data's totals."""

import streamlit as st
from streamlit_folium import st_folium

from childplan import ui
from geo.briefing import BriefingMeta
from geo.i18n import facility_label, t
from geo.maps import MEASURES, build_county_map, village_measure
from geo.offline import localise_map
from geo.safe import md

lang = ui.lang()
data = ui.current_county()

st.title(f"{md(data.name)} · {t('nav_map', lang)}")
if data.synthetic_layers():
    st.caption("⚠️ " + t("synthetic_note", lang))

c1, c2, c3 = st.columns([2, 3, 2])
measure = c1.selectbox(t("measure", lang), MEASURES, format_func=lambda k: t(k, lang))
all_layers = ["county", "townships", "waterways", "villages", "facilities", "crossings"]
layers = c2.multiselect(
    t("layer_picker", lang), all_layers, default=all_layers[:5], format_func=lambda k: t(k, lang)
)
basemap = c3.selectbox(
    t("basemap", lang), ["none", "osm"],
    format_func=lambda k: t("basemap_none" if k == "none" else "basemap_osm", lang),
)

m = build_county_map(
    data, measure=measure, layers=tuple(layers), lang=lang,
    tiles=None if basemap == "none" else "OpenStreetMap",
)
localise_map(m)
# streamlit-folium builds the Leaflet map once per key: a new key per view redraws it.
view_key = "county_map_" + "_".join([data.adcode, ui.upload_digest() or "", measure, lang, basemap,
                                     *layers])
# nothing comes back: returning the view's bounds reran the page right after the map loaded,
# and a click on the briefing button at that moment was lost (e2e, both here and on 防溺水);
# snapshots of the current view wait for a map that keeps its extent across reruns (issue 13)
st_folium(m, height=620, use_container_width=True, returned_objects=[], key=view_key)
view = None

v = data.villages
cols = st.columns(6)
cols[0].metric(t("townships", lang), len(data.townships))
cols[1].metric(t("villages", lang), len(v))
for i, key in enumerate(["resident_children", "left_behind", "difficulty", "key_attention"]):
    total = int(village_measure(v, key).sum()) if len(v) else 0
    cols[2 + i].metric(t(key, lang), f"{total:,}")

if len(data.facilities):
    counts = data.facilities["kind"].value_counts()
    st.caption(" · ".join(f"{facility_label(k, lang)} {n}" for k, n in counts.items()))

if not data.report.ok:
    st.error(data.report.summary(lang))
elif data.report.warnings:
    st.warning(data.report.summary(lang))
else:
    st.success(t("report_ok", lang) + " · " + data.report.summary(lang))

c1, c2 = st.columns(2)
with c1:
    ui.snapshot_buttons(f"{data.name} · {t('nav_map', lang)}", layers=tuple(
        x for x in layers if x != "crossings"), measure=measure, key="map_snapshot",
        bounds=view)
with c2:
    zh = lang == "zh"
    with st.expander(t("brief_meta", lang)):
        meta = BriefingMeta(
            title=st.text_input(t("brief_title", lang), key="brief_title",
                                placeholder=t("brief_title_default", lang)),
            organisation=st.text_input(t("brief_org", lang), key="brief_org"),
            on=st.date_input(t("brief_date", lang), key="brief_date"),
            scenario=st.text_input(t("brief_scenario", lang), key="brief_scenario",
                                   value=ui.plan_name(lang)))
    stale = [k for k in ("siting", "staffing") if ui.stale_result(k)]  # 过期: no briefing
    if stale:
        st.warning(t("plan_brief_stale", lang).format(
            kinds="、".join(t(f"plan_kind_{k}", lang) for k in stale)))
        if st.button(t("plan_resolve_all", lang), key="brief_resolve"):
            for k in stale:
                old = ui.stale_result(k)
                want = (ui.data_key(), ui.overrides_key(), *old[2:])
                ui.solve_with_status(k, want, ui.solve_siting if k == "siting"
                                     else ui.solve_staffing)
            st.rerun()
    if st.button("生成一页简报（PDF）" if zh else "Make the one-page briefing (PDF)", key="brief",
                 disabled=bool(stale)):
        st.session_state["brief_wanted"] = True
    if st.session_state.get("brief_wanted") and not stale:
        if not data.report.ok:
            st.error(data.report.summary(lang))
        else:
            fund = st.session_state.get("funding_done")
            fund_table = (fund.for_county(ui.data_key())
                          if fund and fund.overrides == ui.overrides_key() else None)
            with st.status("正在生成简报…" if zh else "Making the briefing…") as status:
                pdf = ui.briefing_bytes(ui.data_key(), ui.overrides_key(), lang,
                                        ui.last_result("siting"), ui.last_result("staffing"),
                                        fund_table, meta)
                status.update(label="完成" if zh else "Done", state="complete")
            st.download_button("下载简报 PDF" if zh else "Download the briefing PDF", pdf,
                               file_name=f"briefing_{data.adcode}.pdf", mime="application/pdf",
                               key="brief_pdf")
