"""情景对比 / Scenarios: save what was planned, reopen it days later, compare 2–4 side by side."""

import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from childplan import ui
from childplan.plan import PLAN_TABLE, Plan, plan_of_tables, plan_table
from childplan.store import Scenario, Store, StoreError, store_path
from childplan.workflows import (
    differing_parameters,
    key_figures,
    shared_class_edges,
    township_summary,
)
from childplan.workflows_phased import phased_key_figures, phased_tables
from geo import fmt
from geo.exports import to_xlsx_bytes
from geo.i18n import (
    FIGURE_LABELS,
    TOWNSHIP_MEASURES,
    figure_label,
    localise_headers,
    policy_value,
    t,
)
from geo.maps_plans import build_choropleth_map
from geo.offline import localise_map
from geo.safe import file_name, md

lang = ui.lang()
zh = lang == "zh"
key = ui.data_key()
data = ui.county_for(key)
st.title(f"{md(data.name)} · {t('nav_scenarios', lang)}")


def store() -> Store:
    return Store()


@st.cache_data(show_spinner=False, max_entries=8)
def export_bytes(name: str, updated_at: str, store_file: str) -> bytes:
    """One scenario as a single GeoPackage file; written once per saved revision, not per rerun."""
    with tempfile.TemporaryDirectory() as tmp, Store(store_file) as stc:
        return stc.export(name, Path(tmp) / "scenario.gpkg").read_bytes()


# --- save the current work -------------------------------------------------------------
st.subheader(t("sc_pg_save_the_current_plan", lang))
staff = ui.last_result("staffing", key)
fund = st.session_state.get("funding_done")
fund = fund.for_county(key) if fund else None  # the allocation table, or None
siting = ui.last_result("siting", key)
phased = ui.current_phased(key)
have = []
if siting:
    have.append(t("sc_pg_siting", lang))
if staff:
    have.append(t("sc_pg_staffing", lang))
if fund is not None:
    have.append(t("sc_pg_funding", lang))
if phased is not None:
    have.append(t("nav_phased", lang))
st.caption(t("sc_pg_will_save", lang).format(
    n=len(ui.overrides()), results=t("sc_pg_list_sep", lang).join(have) or t("sc_pg_none", lang)))
if "_save_name_pending" in st.session_state:  # after an open: the opened plan's name
    st.session_state["scenario_save_name"] = st.session_state.pop("_save_name_pending")
with st.form("save_scenario"):
    c1, c2 = st.columns([2, 3])
    name = c1.text_input(t("sc_pg_scenario_name", lang), max_chars=60,
                         key="scenario_save_name")
    note = c2.text_input(t("sc_pg_note", lang), max_chars=300)
    submitted = st.form_submit_button(t("sc_pg_save", lang), type="primary")
if submitted:
    if not name.strip():
        st.error(t("sc_pg_give_the_scenario_a", lang))
    else:
        with st.status(t("sc_pg_saving", lang)) as status:
            tables: dict[str, pd.DataFrame] = {}
            homes = assignments = None
            plan = None
            if siting:
                res = ui.solve_siting(*siting)
                homes, assignments = res.homes, res.assignments
                tables.update({"homes": homes, "assignments": assignments})
            if staff:
                staffed = ui.solve_staffing(*staff)
                plan = staffed.plan
                tables.update({f"staffing_{k}": v for k, v in staffed.tables.items()})
                tables["staffing_totals"] = plan.totals  # what `brief --scenario` prints
            if fund is not None:
                tables["funding"] = fund
            tables["townships"] = township_summary(data, homes=homes, staffing=plan,
                                                   funding=fund)
            figures = key_figures(data, homes=homes, assignments=assignments, staffing=plan,
                                  funding=fund)
            if phased is not None:  # the plan by year: its tables and figures, year by year
                tables.update(phased_tables(phased, codes=True))
                figures.update(phased_key_figures(phased))
            in_force = ui.current_plan()  # exactly the plan in force: current results only
            in_force = replace(in_force, results={
                k: r for k, r in in_force.results.items()
                if (k == "siting" and siting) or (k == "staffing" and staff)
                or (k == "phased" and phased is not None)})
            tables[PLAN_TABLE] = plan_table(in_force)
            with store() as stc:
                saved = stc.save(Scenario(name=name.strip(), adcode=data.adcode,
                                          county_name=data.name, data_source=ui.data_label(key),
                                          overrides=ui.overrides(), note=note, tables=tables,
                                          figures=figures))
            ui.name_plan(saved.name)
            status.update(label=t("sc_pg_saved_revision", lang).format(
                name=md(saved.name), revision=fmt.num(saved.revision)), state="complete")

# --- saved scenarios -----------------------------------------------------------------------
st.subheader(t("sc_pg_saved_scenarios", lang))
with store() as stc:
    listing = stc.list()
if listing.empty:
    st.info(t("sc_pg_no_saved_scenario_yet", lang))
else:
    shown = listing.assign(created_at=listing["created_at"].map(lambda v: fmt.beijing(v, lang)),
                           updated_at=listing["updated_at"].map(lambda v: fmt.beijing(v, lang)))
    shown = shown.rename(columns={
        "name": t("scn_col_name", lang), "adcode": t("scn_col_adcode", lang),
        "county_name": t("scn_col_county", lang), "revision": t("scn_col_revision", lang),
        "created_at": t("scn_col_created", lang), "updated_at": t("scn_col_updated", lang),
        "note": t("scn_col_note", lang), "tables": t("scn_col_tables", lang)})
    st.dataframe(shown, width="stretch", hide_index=True)
    c1, c2, c3 = st.columns(3)
    chosen = c1.selectbox(t("sc_pg_scenario", lang), listing["name"].tolist())
    if c2.button(t("sc_pg_open_load_its_policy", lang)):
        with store() as stc:
            sc = stc.load(chosen)
        opened = plan_of_tables(sc.tables, name=chosen) or Plan(overrides=sc.overrides or {},
                                                                name=chosen)
        ui.open_plan(opened, chosen)
        st.session_state["scenario_name"] = chosen  # the 简报 prints it
        now = ui.current_data_ref().digest
        st.session_state["_opened_flash"] = (chosen, opened.data.digest if opened.data else now,
                                             now)
        st.session_state["_save_name_pending"] = chosen  # not another plan's typed name
        st.rerun()  # redraw everything (the sidebar's 当前方案 too) from the opened plan
    flash = st.session_state.pop("_opened_flash", None)
    if flash:
        st.success(t("plan_opened", lang).format(name=md(flash[0])))
        if flash[1] != flash[2]:
            st.warning(t("plan_data_differs", lang).format(saved=flash[1], now=flash[2]))
    revision = listing.set_index("name").loc[chosen, "updated_at"]
    c3.download_button(t("sc_pg_export_as_one_file", lang),
                       export_bytes(chosen, str(revision), str(store_path())),
                       file_name=f"{file_name(chosen, default='scenario')}.gpkg", mime="application/geopackage+sqlite3")
up = st.file_uploader(t("sc_pg_import_a_scenario_file", lang),
                      type=["gpkg"])
if up is not None and st.button(t("sc_pg_import", lang)):
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "in.gpkg"
        p.write_bytes(up.getvalue())
        try:
            with store() as stc:
                sc = stc.import_file(p, replace=False)
            st.success(t("sc_pg_imported", lang).format(name=md(sc.name)))
            st.rerun()
        except StoreError as exc:
            st.error(str(exc))

# --- compare ---------------------------------------------------------------------------------
st.subheader(t("sc_pg_compare_2_4_scenarios", lang))
names = listing["name"].tolist() if not listing.empty else []
picked = st.multiselect(t("sc_pg_scenarios", lang), names, max_selections=4,
                        default=names[:2] if len(names) >= 2 else names,
                        placeholder=t("choose_options", lang))
if len(picked) < 2:
    st.info(t("sc_pg_pick_at_least_two", lang))
    ui.stop()
ui.keep("cmp_baseline", picked[0])
if st.session_state["cmp_baseline"] not in picked:
    st.session_state["cmp_baseline"] = picked[0]
base_name = st.selectbox(t("cmp_baseline", lang), picked, key="cmp_baseline")
with store() as stc:  # the planner's baseline first: differences read 方案 − 基准
    scs = [stc.load(n) for n in [base_name] + [n for n in picked if n != base_name]]
st.caption(t("cmp_reads", lang).format(base=md(base_name)))
diff_rows = []
for sc in scs[1:]:
    d = differing_parameters(scs[0].overrides or {}, sc.overrides or {}, ui._base_policy())
    diff_rows.append(d.assign(scenario_name=sc.name))
params = pd.concat(diff_rows, ignore_index=True) if diff_rows else pd.DataFrame()
st.markdown("**" + t("cmp_params", lang) + "**")
if params.empty:
    st.info(t("cmp_params_none", lang))
else:
    src = {"file": t("cmp_src_file", lang), "override": t("cmp_src_override", lang)}
    pol = ui._base_policy()

    def meaning(name: str) -> str:
        p = pol.params.get(name)
        return (p.zh if zh else p.en) if p is not None else name

    st.dataframe(params.assign(
        parameter=[meaning(n) for n in params["parameter"]],
        base=[policy_value(v, lang, n) for v, n in zip(params["base"], params["parameter"], strict=True)],
        scenario=[policy_value(v, lang, n) for v, n in zip(params["scenario"], params["parameter"], strict=True)],
        base_source=params["base_source"].map(src),
        scenario_source=params["scenario_source"].map(src)).rename(
        columns={"parameter": t("cmp_col_param", lang), "base": md(base_name),
                 "scenario": t("cmp_col_scenario_value", lang),
                 "base_source": t("cmp_col_base_source", lang),
                 "scenario_source": t("cmp_col_scenario_source", lang),
                 "scenario_name": t("cmp_col_scenario", lang)}),
        width="stretch", hide_index=True)
order = list(FIGURE_LABELS)
keys = sorted({k for sc in scs for k in (sc.figures or {})},
              key=lambda k: (order.index(k) if k in order else len(order), k))
fig_rows = []
for k in keys:
    row = {t("scn_col_figure", lang): figure_label(k, lang)}
    for sc in scs:
        row[sc.name] = (sc.figures or {}).get(k)
    base = row[scs[0].name]
    for sc in scs[1:]:
        v = row[sc.name]
        row[f"{sc.name} − {scs[0].name}"] = None if v is None or base is None else v - base
    fig_rows.append(row)
figures = pd.DataFrame(fig_rows)


def _number(v) -> str:
    """千分位; whole numbers whole, others with one decimal (two below 1)."""
    if v is None or isinstance(v, str) or pd.isna(v):
        return fmt.MISSING if not isinstance(v, str) else v
    x = float(v)
    return fmt.num(x, 0 if x.is_integer() else 1 if abs(x) >= 1 else 2)


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """A table's numbers as an office writes them (the XLSX download keeps them as numbers)."""
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_numeric_dtype(out[c]) or out[c].map(lambda v: isinstance(v, float)).any():
            out[c] = out[c].map(_number)
    return out


st.dataframe(_shown(figures), width="stretch", hide_index=True)

same_county = len({sc.adcode for sc in scs}) == 1
if not same_county:
    st.warning(t("sc_pg_different_counties", lang))
    per_township = pd.DataFrame()
else:
    frames = []
    for sc in scs:
        tw = (sc.tables or {}).get("townships")
        if tw is not None:
            frames.append(tw.assign(scenario=sc.name))
    per_township = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
if not per_township.empty:
    measures = [m for m in TOWNSHIP_MEASURES if m in per_township.columns]
    measure = st.selectbox(t("sc_pg_per_township_measure", lang), measures,
                           format_func=lambda m: figure_label(m, lang)) if measures else None
    if measure:
        wide = per_township.pivot_table(index=["township_code", "name"], columns="scenario",
                                        values=measure, aggfunc="first").reset_index()
        for sc in scs[1:]:
            if sc.name in wide and scs[0].name in wide:
                wide[f"{sc.name} − {scs[0].name}"] = wide[sc.name] - wide[scs[0].name]
        st.dataframe(_shown(localise_headers(wide, lang)), width="stretch", hide_index=True)
        if scs[0].adcode == data.adcode:
            cols = st.columns(len(scs))
            edges = shared_class_edges(*[wide[sc.name] for sc in scs if sc.name in wide])
            for col, sc in zip(cols, scs, strict=True):
                with col:
                    st.caption(md(sc.name))
                    vals = wide.set_index("township_code")[sc.name] if sc.name in wide else None
                    if vals is not None:
                        m = build_choropleth_map(data, vals, title=figure_label(measure, lang),
                                                 lang=lang, edges=edges)  # one scale
                        localise_map(m)
                        st_folium(m, height=320, use_container_width=True, returned_objects=[],
                                  key=f"cmp_{sc.name}_{measure}_{lang}")
            diff_col = f"{scs[1].name} − {scs[0].name}"
            if diff_col in wide:
                st.caption((t("sc_pg_difference", lang)) + diff_col)
                m = build_choropleth_map(data, wide.set_index("township_code")[diff_col],
                                         title=diff_col, lang=lang, diverging=True)
                localise_map(m)
                st_folium(m, height=380, use_container_width=True, returned_objects=[],
                          key=f"diff_{'_'.join(picked)}_{measure}_{lang}")
        else:
            st.info(t("sc_pg_maps_same_county", lang))
        st.download_button(t("sc_pg_download_comparison_xlsx", lang),
                           to_xlsx_bytes({"figures": figures, "townships": wide}, lang=lang),
                           file_name="scenario_comparison.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
