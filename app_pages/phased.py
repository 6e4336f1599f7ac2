"""分年度计划 / Plan by year: which 儿童之家 open in which year under each year's budget.

The page only wires: widgets → :func:`childplan.workflows_phased.run_phased` behind a button →
tables. Person lists are aggregated in memory on the click (only counts and a file hash are
kept); the result lives in this session only.
"""

import hashlib

import streamlit as st
from streamlit_folium import st_folium

from childplan import ui
from childplan.workflows_phased import phased_tables, run_phased, year_view
from geo import fmt
from geo.exports import to_xlsx_bytes
from geo.i18n import enum_label, t
from geo.maps_plans import build_siting_map
from geo.offline import localise_map
from geo.safe import md

lang = ui.lang()
key = ui.data_key()
data = ui.county_for(key)
st.title(f"{md(data.name)} · {t('nav_phased', lang)}")
st.caption(t("phased_intro", lang))

c1, c2, c3 = st.columns(3)
first = int(c1.number_input(t("phased_first_year", lang), 2020, 2050,
                            key=ui.keep("phased_first", 2025)))
last = int(c2.number_input(t("phased_last_year", lang), 2020, 2060,
                           key=ui.keep("phased_last", 2027)))
budget = int(c3.number_input(t("phased_budget", lang), 0, 1_000_000_000, step=50_000,
                             key=ui.keep("phased_budget", 500_000)))
c4, c5 = st.columns(2)
carry = bool(c4.checkbox(t("phased_carry_over", lang),
                         key=ui.keep("phased_carry", bool(ui.policy().siting.budget_carry_over))))
rate = c5.number_input(t("phased_entry_rate", lang), 0.0, 1.0, value=None, step=0.01,
                       key="phased_entry_rate")
uploads = st.file_uploader(t("phased_persons", lang), type=["xlsx", "csv"],
                           accept_multiple_files=True, key="phased_persons")
with st.expander(t("tech_details", lang), expanded=False):
    solver = st.radio(t("phased_solver", lang), ["cbc", "highs"], horizontal=True,
                      key=ui.keep("phased_solver", "cbc"))
files = [(u.name, u.getvalue()) for u in uploads or []]
digest = hashlib.sha256(b"".join(hashlib.sha256(b).digest() for _, b in files)).hexdigest()
want = (key, ui.overrides_key(), solver, first, last, budget, carry, rate, digest)


def _solve():
    """Aggregate the lists (in memory) and solve; a planning error is shown, not raised."""
    from geo.persons import aggregate_persons
    from geo.report import DataError
    from optimization.errors import PlanningError

    # the same box as the other solves: "正在求解…" until it ends ("完成" or the error)
    with st.status(t("solve_running", lang), expanded=False) as box:
        try:
            pc = None
            if files:
                pc = aggregate_persons(files, data.villages, data.townships)
                if not pc.report.ok:
                    raise DataError(pc.report)
            res = run_phased(data, ui.policy(), list(range(first, last + 1)), [budget],
                             persons=pc, entry_rate=rate, carry_over=carry, solver=solver)
            st.session_state["phased_result"] = (want, res)
            ui.record_result("phased", want, status=res.status, options={
                "solver": solver, "years": [first, last], "budget_per_year": budget,
                "carry_over": carry, "entry_rate": rate, "persons_digest": digest if files else ""})
            box.update(label=t("brief_made", lang), state="complete")
        except DataError as exc:
            box.update(label=t("err_data_error", lang), state="error")
            st.error(exc.report.render(lang))
        except PlanningError as exc:
            box.update(label=t(f"err_{exc.kind}", lang), state="error")
            st.error(exc.message(lang))
        except Exception as exc:  # shown, never a traceback (as ui.solve_with_status)
            box.update(label=str(exc)[:200], state="error")


if last < first:
    st.error(t("phased_years_bad", lang))
    ui.stop()
if st.button(t("phased_solve", lang), type="primary"):
    _solve()
got = st.session_state.get("phased_result")
if not got or got[0][0] != key:
    st.info(t("phased_hint", lang))
    ui.stop()
done, res = got
stale = done != want
if stale:
    st.warning(t("phased_stale", lang))

s = res.plan.stats
st.caption(f"{t('phased_status', lang)}{t('colon', lang)}{enum_label('solver_status', s.status, lang)}")
cols = st.columns(3)
cols[0].metric(t("phased_spent", lang), f"{int(res.by_year['spent_yuan'].sum()):,}")
cols[1].metric(t("phased_homes_opened", lang),
               f"{int(res.by_year['homes_opened'].sum()):,}")
cols[2].metric(t("phased_final_coverage", lang), f"{res.by_year['coverage_pct'].iloc[-1]:.2f}%")
with st.expander(t("tech_details", lang), expanded=False):
    st.caption(f"{t('phased_solve_time', lang)}{t('colon', lang)}{s.seconds:,.2f}")
st.caption(t("phased_projected" if res.projected else "phased_no_projection", lang))

tables = phased_tables(res, lang)  # the download: numbers as numbers
shown = phased_tables(res, lang, screen=True)
st.subheader(t("phased_by_year", lang))
st.dataframe(shown["phased_years"], width="stretch", hide_index=True)
st.subheader(t("phased_openings", lang))
st.dataframe(shown["phased_homes"], width="stretch", hide_index=True)
st.subheader(t("phased_map", lang))
map_year = int(st.select_slider(t("phased_map_year", lang), options=list(res.plan.years),
                                key="phased_map_year"))
year_homes, year_assign = year_view(data, res, map_year)
st.caption(t("phased_map_caption", lang).format(
    year=map_year, homes=fmt.num(len(year_homes)),
    villages=fmt.num(int((year_assign["home_id"] != "").sum())),
    children=fmt.num(float(year_assign.loc[year_assign["home_id"] != "",
                                           "resident_children"].sum()))))
ym = build_siting_map(data, year_homes, year_assign, lang=lang)
localise_map(ym)
st_folium(ym, height=520, use_container_width=True, returned_objects=[],
          key=f"phased_map_{map_year}_{abs(hash(done[1:])) % 10**10}_{data.adcode}_{lang}")
st.subheader(t("phased_training", lang))
st.dataframe(shown["phased_training"], width="stretch", hide_index=True)
st.download_button(t("phased_download", lang), to_xlsx_bytes(tables, lang=lang),
                   file_name=f"phased_{data.adcode}.xlsx", disabled=stale,
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
