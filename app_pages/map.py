"""地图 / Map: the county with every layer, toggleable, and the data's totals.

GIS habits (issue 17): a click on a village opens its facts; a search box (name or code) and
the attribute table under the map zoom to a village and ring it; the map keeps the extent the
planner left it at across reruns and page changes (``st.session_state``).
"""

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from childplan import ui
from childplan.workflows_phased import county_in_year, year_view
from geo import safe
from geo.briefing import BriefingMeta
from geo.i18n import facility_label, t
from geo.maps import (
    HIDDEN_LAYERS,
    MEASURES,
    build_county_map,
    find_facilities,
    find_villages,
    village_measure,
    village_table,
)
from geo.offline import localise_map
from geo.safe import file_name, md
from geo.snapshot import policy_breaks

#: Zoom a found village is shown at (about 2 km across the frame).
FOUND_ZOOM = 15

lang = ui.lang()
data = ui.current_county()

st.title(f"{md(data.name)} · {t('nav_map', lang)}")
if data.synthetic_layers():
    st.caption("⚠️ " + t("synthetic_note", lang))

c1, c2, c3 = st.columns([2, 1, 2])
measure = c1.selectbox(t("measure", lang), MEASURES, format_func=lambda k: t(k, lang))
# a plan year of the 分年度计划 in force: that year's (projected) counts and its homes
phased = ui.current_phased()
map_year = None
if phased is not None:
    picked_year = c2.selectbox(t("map_year", lang), ["now", *map(int, phased.plan.years)],
                               key="map_year", format_func=lambda y: t("map_year_now", lang)
                               if y == "now" else t("map_year_y", lang).format(year=y))
    map_year = None if picked_year == "now" else int(picked_year)
if map_year is not None:
    data_now = data
    data = county_in_year(data_now, phased, map_year)
    st.info(t("map_year_note", lang).format(year=map_year))
# One layer panel: the map's own layer control (in the page language; the legend follows its
# ticks). Every layer is drawn; the crossings start unticked (geo.maps.HIDDEN_LAYERS).
layers = ["county", "townships", "waterways", "crossings", "reaches", "villages", "facilities"]
basemap = c3.selectbox(
    t("basemap", lang), ["none", "osm"],
    format_func=lambda k: t("basemap_none" if k == "none" else "basemap_osm", lang),
)

v = data.villages
county_id = f"{data.adcode}_{ui.upload_digest() or ''}"
VIEW, SEEN, TARGET = (f"map_view_{county_id}", f"map_seen_{county_id}",
                      f"map_target_{county_id}")

# search: a village by name (part of it) or code (its start), or a facility (儿童之家,
# institutions…) by name; several matches -> pick one


def _hit(key: str, name, where: str, geom, village: str) -> dict:
    """One search hit: key, name, what follows the name (code or kind), point, its village."""
    return {"key": key, "name": str(name), "where": where, "lat": float(geom.y),
            "lon": float(geom.x), "village": village}


s1, s2, s3 = st.columns([3, 3, 1])
query = s1.text_input(t("village_search", lang), key="map_search",
                      help=t("village_search_help", lang)).strip()
found = find_villages(v, query) if len(v) else v
found_f = find_facilities(data.facilities, query)
hits = [_hit(str(r.village_code), r.name, str(r.village_code), r.geometry, str(r.village_code))
        for r in found.itertuples()]
hits += [_hit(str(r.facility_id), r.name, facility_label(r.kind, lang), r.geometry,
              str(r.village_code) if pd.notna(r.village_code) else "")
         for r in found_f.itertuples()]
target = None
if query and not hits:
    s2.info(t("village_search_none", lang).format(q=query))
elif len(hits) == 1:
    target = hits[0]
elif len(hits) > 1:
    by_key = {h["key"]: h for h in hits}
    pick = s2.selectbox(t("village_search_pick", lang).format(n=f"{len(hits):,}"),
                        list(by_key), key=f"map_pick_{query}",
                        format_func=lambda k: by_key[k]["name"]
                        + t("paren", lang).format(x=by_key[k]["where"]))
    target = by_key[pick]
# the villages the table lists for the search: those found and those of the facilities found
search_rows = list(dict.fromkeys(h["village"] for h in hits if h["village"]))
if s3.button(t("map_view_reset", lang), key="map_reset"):
    st.session_state.pop(VIEW, None)
    st.session_state["map_fit_n"] = st.session_state.get("map_fit_n", 0) + 1

# the attribute table under the map (filtered by the search, or to the village last clicked
# on the map while that search stands): a selected row is zoomed to
CLICK, CLICK_N = f"map_click_{county_id}", f"map_click_n_{county_id}"


def table_for(clicked):
    """(table, its widget key, the clicked village's code when the table is filtered to it)."""
    table = village_table(data, lang)
    if clicked is not None and clicked[1] == query and clicked[0] in table.index:
        return table.loc[[clicked[0]]], f"map_table_{county_id}_{query}_{clicked[0]}", clicked[0]
    if query:
        table = table.loc[[c for c in search_rows if c in table.index]]
    return table, f"map_table_{county_id}_{query}", None


table, table_key, clicked_code = table_for(st.session_state.get(CLICK))
picked_rows = (st.session_state.get(table_key) or {}).get("selection", {}).get("rows", [])
if picked_rows and picked_rows[0] < len(table):
    code = table.index[picked_rows[0]]
    row = v[v["village_code"].astype(str) == code].iloc[0]
    target = _hit(code, row["name"], code, row.geometry, code)

# a newly found village or facility moves the view to it; otherwise the view is kept
code = None if target is None else target["key"]
if code is not None and code != st.session_state.get(TARGET):
    # a view to show. The map moves only when the center differs from the last one handed to
    # it, so each new target is a hair apart (1e-9° ≈ 0.1 mm): a village found again moves too
    n = st.session_state.get(f"{VIEW}_n", 0) + 1
    st.session_state[f"{VIEW}_n"] = n
    st.session_state[VIEW] = {"center": [target["lat"] + (n % 2) * 1e-9, target["lon"]],
                              "zoom": FOUND_ZOOM}
st.session_state[TARGET] = code
view = st.session_state.get(VIEW)



@st.cache_data(show_spinner=False, max_entries=8)
def danger_reaches(data_key: tuple, overrides_json: str):
    """The danger reaches of the top danger spots (lines), drawn and in the village panel."""
    from geo.hazards import analyse_hazards

    an = analyse_hazards(ui.county_for(data_key), ui.policy_from_json(overrides_json))
    return an.reaches[an.reaches["reach_id"].isin(set(an.spots["reach_id"]))]


# the danger reaches of the hazards page (its top spots) are drawn; the village panel also
# names the home of the siting plan in force and counts the reaches near the village (within
# the exposure distance of the hazards policy)
plan = {}
siting_done = ui.last_result("siting")
if map_year is not None:  # that year's homes and who goes where (the plan by year)
    year_homes, year_assign = year_view(data_now, phased, map_year)
    plan.update(homes=year_homes, assignments=year_assign)
elif siting_done:
    res = ui.solve_siting(*siting_done)
    plan.update(homes=res.homes, assignments=res.assignments)
staffing_done = ui.last_result("staffing")
if staffing_done and map_year is None:  # each village's directors (counts, no names)
    plan.update(staffing=ui.solve_staffing(*staffing_done).plan.villages)
if len(data.waterways):
    plan.update(reaches=danger_reaches(ui.data_key(), ui.overrides_key()),
                near_m=float(ui.policy().hazards.buffer_m))
# streamlit-folium builds the Leaflet map once per key: a new key per view redraws it.
view_key = "county_map_" + "_".join([data.adcode, ui.upload_digest() or "", measure, lang, basemap,
                                     str(st.session_state.get("map_fit_n", 0)), *layers])
# The map's script must not change with the view: streamlit-folium keys its component by a
# hash of the script too, so a script that changed on the run after the map's first view
# report (the fit dropped once a view was kept) made a new map, and undid the planner's first
# click, pan or search after the page loaded. The fit is always in the script; in the browser
# it is skipped when the page hands a view to restore (center/zoom below).
m = build_county_map(
    data, measure=measure, layers=tuple(layers), lang=lang,
    tiles=None if basemap == "none" else "OpenStreetMap",
    breaks=policy_breaks(ui.policy(), measure),  # classes follow the policy in force
    fit=True, **plan,
)
localise_map(m)
ring = None
if target is not None:  # the found village, ringed (added without redrawing the map)
    ring = folium.FeatureGroup(name="found")
    # a marker, not a CircleMarker: folium drops a path's ``interactive`` option, and on the
    # canvas the ring would take the click meant for the village under it
    folium.Marker([target["lat"], target["lon"]], interactive=False,
                  icon=safe.div_icon(safe.html(
                      "<div style='width:30px;height:30px;margin:-15px 0 0 -15px;border:3px "
                      "solid #0057b8;border-radius:50%;pointer-events:none'></div>"),
                      icon_size=(0, 0))).add_to(ring)
# The view comes back (center, zoom, bounds) and is kept for the next run. The first report
# arrives right after the map has fitted the county (one rerun, about a second after load).
# The kept view is handed to the map only when it is news to it: a new map (another page
# before, or another key) or a view the page chose (a search, a table row). A view the map
# reported itself is not handed back: by the time this run reaches the browser the planner may
# have moved on, and handing it back would undo that.
drawn = f"map_drawn_{county_id}"
push = view is not None and (ui.page_changed() or st.session_state.get(drawn) != view_key
                             or not view.get("reported"))
out = st_folium(m, height=620, use_container_width=True, key=view_key,
                returned_objects=["center", "zoom", "bounds", "last_active_drawing",
                                  "last_object_clicked_count"],
                center=view["center"] if push else None,
                zoom=view["zoom"] if push else None, feature_group_to_add=ring)
st.session_state[drawn] = view_key
if out and out.get("center") and out != st.session_state.get(SEEN):
    # only a view the map reported anew (a pan or zoom): a stale report must not undo a search
    st.session_state[SEEN] = out
    c = out["center"]
    st.session_state[VIEW] = {"center": [float(c["lat"]), float(c["lng"])],
                              "zoom": out.get("zoom") or FOUND_ZOOM,
                              "bounds": ui.view_bounds(out), "reported": True}
view_box = ui.view_bounds(out) or (st.session_state.get(VIEW) or {}).get("bounds")
# a click on a village (a new click: the count grows) -> the table shows its row
clicks = (out or {}).get("last_object_clicked_count") or 0
props = (((out or {}).get("last_active_drawing") or {}).get("properties") or {})
if clicks != st.session_state.get(CLICK_N, 0):
    st.session_state[CLICK_N] = clicks
    hit = str(props.get("village_code") or "")
    if hit in set(v["village_code"].astype(str)):
        st.session_state[CLICK] = (hit, query)
        table, table_key, clicked_code = table_for(st.session_state[CLICK])
if code is not None:
    st.caption(t("village_found", lang).format(name=md(target["name"]), code=md(target["where"])))

st.subheader(t("attribute_table", lang))
if clicked_code is not None:  # the table holds the village clicked on the map
    k1, k2 = st.columns([5, 1])
    k1.caption(t("village_clicked", lang).format(name=md(table.iat[0, 0]), code=clicked_code))
    if k2.button(t("village_clicked_all", lang), key="map_click_clear"):
        st.session_state.pop(CLICK, None)
        st.rerun()
num = {c: st.column_config.NumberColumn(c, format="localized") for c in table.columns[3:8]}
st.dataframe(table, hide_index=True, width="stretch", column_config=num,
             height=min(300, 35 * (len(table) + 1) + 3),  # no empty rows under a short list
             on_select="rerun", selection_mode="single-row", key=table_key)

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
        x for x in layers if x not in HIDDEN_LAYERS + ("reaches",)), measure=measure,
        key="map_snapshot",
        bounds=view_box, disabled=map_year is not None)  # exports show today's data only
with c2:
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
    # the wish is recorded by the click's callback, before the page runs: a run that the map's
    # own view report interrupts cannot lose it
    st.button(t("brief_make", lang), key="brief", disabled=bool(stale) or map_year is not None,
              on_click=st.session_state.__setitem__, args=("brief_wanted", True))
    if st.session_state.get("brief_wanted") and not stale:
        if not data.report.ok:
            st.error(data.report.summary(lang))
        else:
            fund = st.session_state.get("funding_done")
            fund_table = (fund.for_county(ui.data_key())
                          if fund and fund.overrides == ui.overrides_key() else None)
            with st.status(t("brief_making", lang)) as status:
                pdf = ui.briefing_bytes(ui.data_key(), ui.overrides_key(), lang,
                                        ui.last_result("siting"), ui.last_result("staffing"),
                                        fund_table, meta)
                status.update(label=t("brief_made", lang), state="complete")
            named = ui.saved_plan_name()  # as `childplan brief --scenario NAME` names its file
            stem = f"briefing_{data.adcode}" + (f"_{file_name(named, default='scenario')}"
                                                if named else "")
            st.download_button(t("brief_download", lang), pdf,
                               file_name=f"{stem}.pdf", mime="application/pdf",
                               key="brief_pdf")
