"""儿童之家选址 / Children's homes: own homes for large villages, shared ones for the rest."""

import json

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from childplan import ui
from childplan.workflows import (
    ASSIGNMENT_COLUMNS,
    CAPACITY_COLUMNS,
    HOMES_COLUMNS,
    TRAVEL_COLUMNS,
    child_weighted_mean_distance,
    siting_layers,
)
from geo import fmt
from geo.exports import to_xlsx_bytes, write_gpkg
from geo.fmt import num
from geo.i18n import (
    enum_label,
    facility_label,
    figure_label,
    localise_headers,
    localise_table,
    policy_source,
    t,
)
from geo.maps_plans import build_siting_map
from geo.offline import localise_map
from geo.safe import md
from geo.travel_maps import add_travel_layers
from optimization.policy import load_documents

lang = ui.lang()


def _pct(x: float) -> str:
    return "—" if x != x else f"{x:.4%}"

key = ui.data_key()
data = ui.county_for(key)
st.title(f"{md(data.name)} · {t('nav_siting', lang)}")
rule_ref = policy_source("004 二(一)", st.cache_data(load_documents)(), lang)  # 吉民发〔2018〕41号 二(一)
st.caption(t("siting_rule_caption", lang).format(ref=rule_ref))

pol = ui.policy().siting
with st.expander(t("ha_pg_rules_and_parameters", lang), expanded=False):
    c1, c2, c3, c4 = st.columns(4)
    ui.override("siting.own_home_threshold", int(c1.number_input(
        t("siting_threshold_input", lang).format(ref=rule_ref), 1, 2000,
        int(pol.own_home_threshold))))
    ui.override("siting.travel_cap_m", float(c2.number_input(
        t("siting_travel_cap_m", lang), 200.0, 20000.0,
        float(pol.travel_cap_m), step=250.0)))
    metrics = ("straight", "road_m", "walk_min")
    ui.override("siting.travel_metric", c2.radio(
        t("travel_metric", lang), metrics, index=metrics.index(pol.travel_metric),
        format_func=lambda k: t(f"metric_{k}", lang)))
    ui.override("siting.travel_cap_min", float(c2.number_input(
        t("travel_cap_min", lang), 5.0, 240.0, float(pol.travel_cap_min), step=5.0)))
    ui.override("siting.default_capacity", int(c3.number_input(
        t("siting_default_capacity", lang), 0, 5000,
        int(pol.default_capacity), step=10)))
    ui.override("siting.capacity_defaults_on", bool(c3.checkbox(
        t("capacity_defaults_on", lang), pol.capacity_defaults_on)))
    ui.override("siting.max_new_homes", int(c4.number_input(
        t("siting_max_new_homes", lang), -1, 5000,
        int(pol.max_new_homes))))
    c1, c2, c3 = st.columns(3)
    ui.override("siting.stay_within_township", bool(c1.checkbox(
        t("siting_stay_within_township", lang), pol.stay_within_township)))
    ui.override("siting.rivers_are_barriers", bool(c2.checkbox(
        t("siting_rivers_are_barriers", lang),
        pol.rivers_are_barriers)))
    ui.override("siting.allow_new_build", bool(c3.checkbox(
        t("siting_allow_new_build", lang), pol.allow_new_build)))
    st.markdown(t("siting_cost_by_kind_title", lang))
    costs = dict(pol.cost_yuan)
    cols = st.columns(4)
    for i, k in enumerate(costs):
        label = t("policy_key.new_build", lang) if k == "new_build" else facility_label(k, lang)
        costs[k] = float(cols[i % 4].number_input(label, 0.0, 5_000_000.0, float(costs[k]),
                                                  step=5000.0, key=f"cost_{k}"))
    ui.override("siting.cost_yuan", costs)
    if pol.capacity_defaults_on:
        st.markdown(f"**{t('capacity_by_kind_title', lang)}**")
        caps = dict(pol.capacity_by_kind)
        cols = st.columns(4)
        for i, k in enumerate(caps):
            caps[k] = int(cols[i % 4].number_input(facility_label(k, lang), 0, 5000,
                                                   int(caps[k]), step=10, key=f"cap_{k}"))
        ui.override("siting.capacity_by_kind", caps)
        sizes = {k: dict(v) for k, v in pol.new_build_sizes.items()}
        cols = st.columns(2 * max(len(sizes), 1))
        for i, (k, spec) in enumerate(sizes.items()):
            size = t(f"new_build_size.{k}", lang)
            spec["cost_yuan"] = float(cols[2 * i].number_input(
                t("new_build_cost", lang).format(size=size), 0.0, 5_000_000.0,
                float(spec["cost_yuan"]), step=10000.0, key=f"size_cost_{k}"))
            spec["capacity"] = float(cols[2 * i + 1].number_input(
                t("new_build_capacity", lang).format(size=size), 0.0, 5000.0,
                float(spec["capacity"]), step=10.0, key=f"size_cap_{k}"))
        ui.override("siting.new_build_sizes", sizes)
if st.session_state.get("siting_time_limit_s"):  # "continue solving" raised it
    ui.override("siting.time_limit_s", float(st.session_state["siting_time_limit_s"]))

candidates = data.facilities[data.facilities["kind"].isin(pol.host_kinds)]
labels = dict(zip(candidates["facility_id"], candidates["name"], strict=True))
vlabel, slabel = ui.lock_labels(data, candidates, lang)  # unique labels, no ids shown
with st.expander(t("siting_locks_title", lang), expanded=False):
    for k in ("siting_must", "siting_never"):  # kept across pages; unknown ids dropped
        ui.keep(k, [])
        st.session_state[k] = [x for x in st.session_state[k] if x in labels]
    must = st.multiselect(t("siting_must_open", lang), list(labels),
                          format_func=lambda k: slabel.get(k, k), key="siting_must",
                          placeholder=t("choose_options", lang))
    never = st.multiselect(t("siting_never_open", lang), list(labels),
                           format_func=lambda k: slabel.get(k, k), key="siting_never",
                           placeholder=t("choose_options", lang))
    # locks picked by name from lists (a village "name（code）", a site "name（kind · village）"),
    # never typed as codes; the model gets the ids
    kept_locks = st.session_state.get("_kept_siting_locked") or {}
    vback, sback = {v: k for k, v in vlabel.items()}, {v: k for k, v in slabel.items()}
    col_v, col_s = t("lock_village", lang), t("lock_site", lang)
    st.caption(t("lock_help", lang))
    locks = st.data_editor(
        pd.DataFrame({col_v: pd.Series([vlabel.get(c, c) for c in kept_locks], dtype=str),
                      col_s: pd.Series([slabel.get(i, i) for i in kept_locks.values()],
                                       dtype=str)}),
        num_rows="dynamic", hide_index=True, width="stretch",
        column_config={col_v: st.column_config.SelectboxColumn(col_v, options=list(vback)),
                       col_s: st.column_config.SelectboxColumn(col_s, options=list(sback))},
        key="siting_locks_" + lang + str(abs(hash(json.dumps(kept_locks, sort_keys=True)))
                                         % 10**8))
locked = {vback[r[col_v]]: sback[r[col_s]] for _, r in locks.iterrows()
          if r[col_v] in vback and r[col_s] in sback}
st.session_state["_kept_siting_locked"] = locked
options = json.dumps({"must_open": must, "never_open": never, "locked": locked},
                     sort_keys=True, ensure_ascii=False)
with st.expander(t("tech_details", lang), expanded=False):
    solver = st.radio(t("solver", lang), ["cbc", "highs"], horizontal=True,
                      key=ui.keep("siting_solver", "cbc"))
want = (key, ui.overrides_key(), solver, options)
button = t("siting_solve", lang)
if st.button(button, type="primary") or st.session_state.pop("siting_continue", False):
    ui.solve_with_status("siting", want, ui.solve_siting)  # siting errors are PlanningErrors
done = ui.result_or_stop("siting", want, button, preview="resident_children")
stale = ui.stale_notice("siting", want, ui.solve_siting)  # 过期: exports off until re-solved
res = ui.solve_siting(*done)
plan, homes, assignments = res.plan, res.homes, res.assignments
s = plan.stats
cols = st.columns(6)
counts = res.status_counts()
cols[0].metric(t("siting_metric_existing", lang), int(counts.get("existing", 0)))
cols[1].metric(t("siting_metric_reuse", lang), int(counts.get("reuse", 0)))
cols[2].metric(t("siting_metric_new", lang), int(counts.get("new", 0)))
cols[3].metric(t("siting_metric_cost", lang), f"{plan.total_cost_yuan:,.0f}")
covered = res.coverage * 100  # 1 − uncovered/villages (uncovered villages carry home_id "")
cols[4].metric(t("siting_metric_covered", lang), f"{covered:.1f}%")
if res.metric == "walk_min":  # the model's distances were minutes
    cols[5].metric(t("mean_walk_min", lang), f"{plan.mean_distance_m:,.1f}")
else:
    cols[5].metric(figure_label("mean_distance_m", lang),
                   num(child_weighted_mean_distance(assignments)),
                   help=figure_label("mean_distance_m", lang))
st.caption(f"{t('metric_used', lang)}{t('colon', lang)}{t('metric_' + res.metric, lang)}")
gap_shown = s.gap_tolerance if s.status == "optimal" else s.gap
st.caption(t("siting_status_line", lang).format(
    status=enum_label("solver_status", s.status, lang),
    gap=_pct(gap_shown) if gap_shown == gap_shown else "—"))
with st.expander(t("tech_details", lang), expanded=False):
    st.caption(t("siting_tech_line", lang).format(
        solver=s.solver, status=s.status, objective=num(s.objective, 1),
        bound=num(s.best_bound, 1), gap=_pct(s.gap), seconds=num(s.seconds, 2),
        variables=num(s.variables), constraints=num(s.constraints), blocks=num(s.components)))
    st.caption(t("siting_gaps", lang).format(
        cost=_pct(s.cost_gap), dcost=_pct(s.decided_cost_gap), dist=_pct(s.distance_gap),
        ddist=_pct(s.decided_distance_gap), tol=_pct(s.gap_tolerance)))
if len(plan.uncovered):
    st.error(t("siting_uncovered_prefix", lang) + "、".join(plan.uncovered))
if s.capacitated or res.capacity_applied:
    st.caption(t("capacity_meaning", lang))
    if s.capacitated:
        st.caption(t("capacitated_model", lang))
    beyond = int(homes["own_beyond_capacity"].sum())
    if beyond:
        st.info(t("own_beyond_capacity_note", lang).format(n=f"{beyond:,}"))
if s.open_blocks:
    st.warning(t("time_limit_hit", lang) if s.status == "time_limit"
               else t("open_blocks_title", lang))
    st.dataframe(pd.DataFrame([{
        t("col_block", lang): b.block, t("col_villages_n", lang): f"{b.villages:,}",
        t("col_sites_n", lang): f"{b.sites:,}", t("col_gap", lang): _pct(b.gap),
        t("col_village_codes", lang): "、".join(b.village_ids[:10])} for b in s.open_blocks]),
        width="stretch", hide_index=True)
    longer = 2 * float(ui.policy().siting.time_limit_s)
    if st.button(t("continue_solving", lang).format(s=f"{longer:,.0f}"), disabled=stale):
        st.session_state["siting_time_limit_s"] = longer
        st.session_state["siting_continue"] = True
        st.rerun()



@st.cache_data(show_spinner=False, max_entries=4)
def travel_tables(done_key):
    """Accessibility, catchments and the institutions table of a solved plan (geo/travel.py)."""
    from geo import travel

    result = ui.solve_siting(*done_key)
    county = ui.county_for(done_key[0])
    policy = ui.policy_from_json(done_key[1])
    net = travel.county_network(county, policy)
    access = travel.accessibility(county, policy, result.homes, network=net)
    catch = travel.catchments(county, policy, result.homes, result.assignments, network=net)
    inst = travel.institution_times(county, policy, network=net)
    return access, travel.access_shares(access), catch, inst


show_access = st.checkbox(t("show_access", lang), value=False)
m = build_siting_map(data, homes, assignments, lang=lang)
if show_access:
    access, shares, catch, inst = travel_tables(done)
    add_travel_layers(m, data.villages, access, catch, lang=lang)
localise_map(m)
st_folium(m, height=560, use_container_width=True, returned_objects=[],
          key="siting_map_" + str(abs(hash(done[1:])) % 10**10) + data.adcode + lang
          + ("_access" if show_access else ""))

table = homes[["home_id", "name", "kind", "status", "villages_served", "children_served",
               "left_behind_served", "difficulty_served", "max_distance_m", "mean_distance_m",
               "load", "capacity", "capacity_use", "own_beyond_capacity", "capacity_source",
               "cost_yuan"]].copy()
# headers and cells in words, as the exports write them (kind, status, capacity source, yes/no);
# numbers with 千分位 and no home ids on screen (the XLSX keeps both)
table = localise_table(fmt.screen_table(table, drop=("home_id",)).rename(
    columns={"capacity": t("col_capacity", lang)}), lang, {"status": "action"})
st.dataframe(table, width="stretch", hide_index=True)

if show_access:
    st.subheader(t("access_title", lang))
    st.dataframe(shares.rename(columns={
        "within_min": t("within_min", lang), "resident_children": t("share_resident", lang),
        "left_behind": t("share_left_behind", lang), "difficulty": t("share_difficulty", lang)}),
        width="stretch", hide_index=True)
    # on screen: names, kinds and yes/no in words, 千分位, no ids (the XLSX below keeps them)
    names = {**dict(zip(homes["home_id"].astype(str), homes["name"].astype(str), strict=False)),
             **dict(zip(data.facilities["facility_id"].astype(str),
                        data.facilities["name"].astype(str), strict=False))}
    shown_catch = catch.drop(columns="geometry").copy()
    shown_catch.insert(0, "name", [names.get(str(h), "") for h in shown_catch["home_id"]])
    shown_catch["metric"] = [t("metric_" + str(x), lang) for x in shown_catch["metric"]]
    st.subheader(t("catchments_title", lang))
    st.dataframe(localise_headers(fmt.screen_table(shown_catch, drop=("home_id",)), lang),
                 width="stretch", hide_index=True)
    shown_inst = inst.copy()
    shown_inst.insert(0, "from_name", [names.get(str(i), "") for i in shown_inst["from_id"]])
    shown_inst.insert(2, "to_name", [names.get(str(i), "") for i in shown_inst["to_id"]])
    for c in ("from_kind", "to_kind"):
        shown_inst[c] = [facility_label(str(k), lang) for k in shown_inst[c]]
    shown_inst["nearest"] = [enum_label("bool", bool(x), lang) for x in shown_inst["nearest"]]
    shown_inst["metric"] = [t("metric_" + str(x), lang) for x in shown_inst["metric"]]
    st.subheader(t("institutions_title", lang))
    st.dataframe(localise_headers(fmt.screen_table(shown_inst, drop=("from_id", "to_id")), lang),
                 width="stretch", hide_index=True)
    st.download_button(t("download_access_xlsx", lang),
                       to_xlsx_bytes({"access": access, "access_shares": shares,
                                      "catchments": pd.DataFrame(catch.drop(columns="geometry")),
                                      "institutions": inst}, lang=lang),
                       file_name=f"access_{data.adcode}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

c1, c2 = st.columns(2)
c1.download_button(t("download_xlsx", lang),
                   to_xlsx_bytes({"homes": homes[HOMES_COLUMNS + CAPACITY_COLUMNS
                                                 + ["name", "cost_yuan", "villages_served"]],
                                  "assignments": assignments[ASSIGNMENT_COLUMNS + ["name", "via"]
                                                             + TRAVEL_COLUMNS]},
                                 lang=lang),
                   file_name=f"siting_{data.adcode}.xlsx", disabled=stale,
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@st.cache_data(show_spinner=False, max_entries=4)
def gpkg_bytes(done_key):
    import tempfile
    from pathlib import Path

    result = ui.solve_siting(*done_key)
    with tempfile.TemporaryDirectory() as tmp:
        p = write_gpkg(siting_layers(result), Path(tmp) / "siting.gpkg")
        return p.read_bytes()


c2.download_button(t("siting_download_gpkg", lang), gpkg_bytes(done),
                   file_name=f"siting_{data.adcode}.gpkg", mime="application/geopackage+sqlite3",
                   disabled=stale)

ui.snapshot_buttons(f"{data.name} · {t('nav_siting', lang)}", layers=("county", "townships",
                    "waterways", "villages"), overlay_key=("siting", done), key="siting_snapshot",
                    disabled=stale)
