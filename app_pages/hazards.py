"""防溺水 / Drowning risk: waterway segments ranked by children exposed, danger spots, patrol lists."""

import hashlib
from dataclasses import replace
from datetime import date

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from childplan import ui
from childplan.store import Store, StoreError, store_path
from childplan.workflows import PatrolPdf
from geo.exports import csv_bytes, export_table, xlsx_bytes
from geo.hazards import FOUR_ONES_STATES, analyse_hazards, attach_checklist, four_ones_counts
from geo.i18n import facility_label, paren, t, water_label
from geo.maps_hazards import build_hazard_map, filter_hazards
from geo.offline import localise_map
from geo.patrol import (
    activities_table,
    danger_spots_table,
    flood_table,
    four_ones_text,
    patrol_pdf_bytes,
    patrol_sheets,
    patrol_table,
)
from geo.safe import file_name, md
from optimization.vocab import WATER_KINDS

# The checklist store: $CHILDPLAN_STORE when set (read at each run), else ~/.childplan.
STORE_PATH = store_path()
lang = ui.lang()
zh = lang == "zh"
key = ui.data_key()
data = ui.county_for(key)
st.title(f"{md(data.name)} · {t('nav_hazards', lang)}")
st.caption(t("ha_pg_caption", lang))
if data.synthetic_layers():
    st.caption("⚠️ " + t("synthetic_note", lang))

pol = ui.policy().hazards
with st.expander(t("ha_pg_rules_and_parameters", lang), expanded=False):
    c1, c2, c3, c4 = st.columns(4)
    ui.override("hazards.buffer_m", float(c1.number_input(
        t("ha_pg_exposure_buffer_m", lang), 50.0, 3000.0,
        float(pol.buffer_m), step=50.0)))
    ui.override("hazards.distance_decay_m", float(c2.number_input(
        t("ha_pg_distance_decay_m", lang), 10.0, 5000.0,
        float(pol.distance_decay_m), step=10.0)))
    ui.override("hazards.segment_length_m", float(c3.number_input(
        t("ha_pg_segment_length_m", lang), 50.0, 2000.0,
        float(pol.segment_length_m), step=50.0)))
    ui.override("hazards.danger_spots_top_n", int(c4.number_input(
        t("ha_pg_danger_spots", lang), 1, 1000, int(pol.danger_spots_top_n))))
    c1, c2 = st.columns(2)
    levels = ["township", "village"]
    ui.override("hazards.chief_level", c1.radio(
        t("ha_pg_patrol_lists_go_to", lang), levels, index=levels.index(pol.chief_level),
        horizontal=True, format_func=lambda k: t(f"hz_{k}_chief", lang)))
    ui.override("hazards.flood_inspection_distance_m", float(c2.number_input(
        t("ha_pg_flood_season_inspection_distance", lang), 50.0, 3000.0,
        float(pol.flood_inspection_distance_m), step=50.0)))
    metrics = ("straight", "road_m", "walk_min")  # the same setting as siting and staffing
    ui.override("siting.travel_metric", st.radio(
        t("hz_water_metric", lang), metrics, horizontal=True, key="hazards_metric",
        index=metrics.index(ui.policy().siting.travel_metric),
        format_func=lambda k: t(f"metric_{k}", lang)))
    st.markdown(
        t("ha_pg_score_rule", lang))

pol = ui.policy().hazards
overrides_json = ui.overrides_key()


@st.cache_data(show_spinner=False, max_entries=8)
def hazard_analysis(data_key: tuple, overrides_json: str):
    """Segments, spots and the flood list; recomputed only when the county or policy changes."""
    return analyse_hazards(ui.county_for(data_key), ui.policy_from_json(overrides_json))


def load_checks(adcode: str) -> pd.DataFrame:
    with Store(STORE_PATH) as store:
        return store.checks(adcode)


with st.spinner(t("ha_pg_scoring_waterway_segments", lang)):
    analysis = hazard_analysis(key, overrides_json)
try:
    checks = load_checks(data.adcode)
except StoreError as exc:
    st.error(str(exc))
    checks = None
spots = attach_checklist(analysis.spots, checks, pol.four_ones)
checks_digest = hashlib.sha1(
    (checks.to_csv(index=False) if checks is not None else "").encode()).hexdigest()[:8]
segments = analysis.segments

# --- filters ---------------------------------------------------------------------------
tnames = dict(zip(data.townships["township_code"], data.townships["name"], strict=True))
c1, c2, c3 = st.columns([2, 2, 3])
town_opts = [""] + sorted(set(segments.loc[segments["score"] > 0, "township_code"]) - {""})
township = c1.selectbox(t("hz_filter_township", lang), town_opts,
                        format_func=lambda c: t("hz_all", lang) if not c else
                        tnames.get(c, c) + paren(c, lang))
chief_opts = [""] + sorted(set(spots["chief"]))
chief = c2.selectbox(t("hz_filter_chief", lang), chief_opts,
                     format_func=lambda c: t("hz_all", lang) if not c else c)
kind_opts = [k for k in WATER_KINDS if k in set(segments["kind"])]
kinds = c3.multiselect(t("hz_filter_kind", lang), kind_opts, placeholder=t("hz_all", lang),
                       format_func=lambda k: water_label(k, lang))
seg_f, spots_f = filter_hazards(segments, spots, chief=chief or None, township=township or None,
                                kinds=kinds or None)

# every figure below follows the active filters (township, chief, kind of water)
flood_f = analysis.flood
if township:
    flood_f = flood_f[flood_f["township_code"] == township]
states = four_ones_counts(spots_f)
cols = st.columns(4)
cols[0].metric(t("hz_segments_n", lang), f"{len(seg_f):,}")
cols[1].metric(t("hz_segments_children", lang), f"{int((seg_f['score'] > 0).sum()):,}")
cols[2].metric(t("hz_spots", lang), len(spots_f))
cols[3].metric(t("hz_flood_institutions", lang), flood_f["facility_id"].nunique())
cols = st.columns(4)
for col, state in zip(cols, FOUR_ONES_STATES, strict=False):
    col.metric(t(f"hz_state_{state}", lang), states[state])

st.caption(f"{t('hz_water_metric', lang)}{t('colon', lang)}{t('metric_' + analysis.metric, lang)}")

# --- map ------------------------------------------------------------------------------
m = build_hazard_map(data, segments, spots, lang=lang, chief=chief or None,
                     township=township or None, kinds=kinds or None)
localise_map(m)
view_key = "hazard_map_" + hashlib.sha1("|".join(
    [str(key[1]) if key[0] == "demo" else (ui.upload_digest() or ""), overrides_json, lang,
     township, chief, *kinds, checks_digest]).encode()).hexdigest()[:16]
st_folium(m, height=600, use_container_width=True, returned_objects=[], key=view_key)

# --- ranked table -----------------------------------------------------------------------
st.subheader(t("hz_spots", lang))
if not len(spots_f):
    st.info(t("hz_no_spots", lang))
else:
    table = patrol_table(spots_f, lang=lang, buffer_m=pol.buffer_m)
    table.insert(2, t("hz_score", lang), spots_f.sort_values("rank")["score"].to_numpy())
    st.dataframe(table, width="stretch", hide_index=True)

# --- "四个一" checklist editor ------------------------------------------------------------
st.subheader(t("hz_checklist", lang))
if len(spots_f):
    labels = {r.spot_id: f"#{r.rank} {r.spot_id} · {r.village} · {r.chief}"
              for r in spots_f.sort_values("rank").itertuples()}
    spot_id = st.selectbox(t("hz_spot_id", lang), list(labels), format_func=labels.get)
    row = spots_f.set_index("spot_id").loc[spot_id]
    st.caption(t("hz_four_ones", lang) + t("ha_pg_colon", lang)
               + four_ones_text(row["missing"], row["last_inspection"], lang))
    with st.form(f"check_{spot_id}", clear_on_submit=False):
        cols = st.columns(len(pol.four_ones))
        found = {item: cols[i].checkbox(t(item, lang), value=item not in row["missing"]
                                        and bool(row["last_inspection"]), key=f"{spot_id}_{item}")
                 for i, item in enumerate(pol.four_ones)}
        c1, c2, c3 = st.columns([1, 2, 3])
        checked_on = c1.date_input(t("hz_checked_on", lang), value=date.today(),
                                   key=f"{spot_id}_date")
        checked_by = c2.text_input(
            t("hz_checked_by", lang), value=str(row["village_chief"]), key=f"{spot_id}_by",
            help=t("ha_pg_checked_by_help", lang))
        note = c3.text_input(t("hz_note", lang), key=f"{spot_id}_note")
        if st.form_submit_button(t("hz_save", lang), type="primary"):
            try:
                with Store(STORE_PATH) as store:
                    store.record_check(data.adcode, spot_id, found,
                                       checked_on=checked_on.isoformat(),
                                       checked_by=checked_by, note=note)
                st.toast(t("hz_saved", lang))
                st.rerun()
            except StoreError as exc:
                st.error(str(exc))
    with st.expander(t("hz_history", lang)):
        with Store(STORE_PATH) as store:
            hist = store.check_history(data.adcode, spot_id)
        if len(hist):
            hist = hist.assign(item=[t(i, lang) for i in hist["item"]],
                               present=["√" if p else "×" for p in hist["present"]])
        st.dataframe(hist, width="stretch", hide_index=True)

# --- flood season ------------------------------------------------------------------------
with st.expander(t("hz_flood", lang) + paren(f"{t('hz_flood_institutions', lang)} "
                 f"{flood_f['facility_id'].nunique()} · {t('hz_flood_pairs', lang)} {len(flood_f)}", lang),
                 expanded=False):
    ft = flood_table(flood_f, lang=lang)
    if analysis.metric != "straight":  # on the ground: the route's metres and minutes
        ft.insert(ft.columns.get_loc(t("hz_distance_m", lang)) + 1, t("hz_straight_m", lang),
                  flood_f["straight_m"].to_numpy())
        ft.insert(ft.columns.get_loc(t("hz_straight_m", lang)) + 1, t("walk_min", lang),
                  flood_f["walk_min"].to_numpy())
    st.dataframe(ft, width="stretch", hide_index=True)
    st.caption(", ".join(f"{facility_label(k, lang)} {n}" for k, n in
                         flood_f.drop_duplicates("facility_id")["facility_kind"]
                         .value_counts().items()))

# --- nearest welfare institution (001 §2) ---------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=8)
def welfare_table(data_key: tuple, overrides_json: str):
    """Rescue-protection -> welfare institutions, nearest on foot first (geo/travel.py)."""
    from geo.travel import rescue_to_welfare

    return rescue_to_welfare(ui.county_for(data_key), ui.policy_from_json(overrides_json))


welfare = welfare_table(key, overrides_json)
if len(welfare):
    with st.expander(t("nearest_welfare_title", lang), expanded=False):
        st.dataframe(pd.DataFrame({
            t("from_institution", lang): welfare["from_name"],
            t("to_institution", lang): welfare["to_name"],
            t("welfare_rank", lang): welfare["rank"],
            t("walk_min", lang): welfare["walk_min"],
            t("route_m", lang): welfare["route_m"],
            t("straight_m", lang): welfare["straight_m"]}), width="stretch", hide_index=True)

# --- safety-knowledge activities (003 §13) -------------------------------------------------
if analysis.activities is not None:
    with st.expander(t("hz_safety_activities", lang) + paren(len(analysis.activities), lang),
                     expanded=False):
        acts = analysis.activities
        if township:
            acts = acts[acts["township_code"] == township]
        st.dataframe(activities_table(acts, lang=lang).rename(columns={
            "nearest_water_walk_min": t("hz_nearest_water_walk_min", lang),
            "metric": t("travel_metric", lang)}).replace(
            {t("travel_metric", lang): {k: t(f"metric_{k}", lang)
                                        for k in ("road_m", "walk_min")}}),
            width="stretch", hide_index=True)

ui.snapshot_buttons(f"{data.name} · {t('nav_hazards', lang)}",
                    layers=("county", "townships", "waterways", "villages"),
                    overlay_key=("hazards", overrides_json), key="hazards_snapshot")

# --- downloads ---------------------------------------------------------------------------
st.subheader(t("download", lang))
c1, c2, c3, c4 = st.columns(4)
c1.download_button(t("hz_spots_csv", lang),
                   csv_bytes(export_table(danger_spots_table(spots), lang)),
                   file_name=f"danger_spots_{data.adcode}.csv", mime="text/csv")
sheets = patrol_sheets(spots, lang=lang, buffer_m=pol.buffer_m)
c2.download_button((t("ha_pg_patrol_lists_xlsx", lang)),
                   xlsx_bytes(sheets, headers={c: f"{t('hz_patrol_title', lang)} · {c} · {data.name}"
                                               for c in sheets}, text_dates=True),
                   file_name=f"patrol_lists_{data.adcode}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
c3.download_button((t("ha_pg_flood_season_list_csv", lang)),
                   csv_bytes(flood_table(analysis.flood, lang=lang)),
                   file_name=f"flood_season_{data.adcode}.csv", mime="text/csv")


@st.cache_data(show_spinner=False, max_entries=32)
def chief_pdf(data_key: tuple, overrides_json: str, chief: str, lang: str, checks_digest: str):
    """A chief's A4 PDF (cached per county, policy, chief, language and checklist state)."""
    an = hazard_analysis(data_key, overrides_json)
    p = ui.policy_from_json(overrides_json).hazards
    ch = load_checks(ui.county_for(data_key).adcode)
    full = replace(an, spots=attach_checklist(an.spots, ch, p.four_ones))
    return patrol_pdf_bytes(ui.county_for(data_key), full, chief, lang=lang, buffer_m=p.buffer_m)


chiefs = sorted(set(spots["chief"]))
pdf_chief = c4.selectbox((t("ha_pg_chief_s_pdf", lang)), chiefs,
                         index=chiefs.index(chief) if chief in chiefs else 0)
pdf_key = (key[1] if key[0] == "demo" else ui.upload_digest(), overrides_json, pdf_chief, lang,
           checks_digest)
if pdf_chief and c4.button((t("ha_pg_make_the_pdf", lang)), key="make_pdf"):
    st.session_state["hazard_pdf"] = PatrolPdf(
        key=pdf_key, data=chief_pdf(key, overrides_json, pdf_chief, lang, checks_digest))
made = st.session_state.get("hazard_pdf")
if made and made.key == pdf_key:
    c4.download_button(f"{pdf_chief}.pdf", made.data,
                       file_name=f"{file_name(pdf_chief, default='chief')}.pdf",
                       mime="application/pdf")
