"""批量规划 / Batch planning: many counties at once on Dask, with per-county progress and results."""

import os
from pathlib import Path

import pandas as pd
import streamlit as st

from childplan import ui
from childplan.batch import BatchEvent, default_province_dir, list_counties, run_batch
from geo import fmt
from geo.i18n import paren, t
from geo.layers import DATA_DIR
from geo.safe import md

lang = ui.lang()
zh = lang == "zh"
st.title(t("nav_batch", lang))
st.caption(t("batch_caption", lang))

STATUS = {k: t(f"batch_status.{k}", lang) for k in ("done", "skipped", "failed")}
COLUMNS = {k: t(f"batch_col_{k}", lang) for k in (
    "adcode", "name", "status", "villages", "homes_new", "homes_reuse", "directors_to_recruit",
    "children_near_water", "funding_yuan", "seconds", "reason")}


@st.cache_data(show_spinner=False, ttl=30)
def folder_counties(folder: str) -> pd.DataFrame:
    """Counties in a folder (a province written by make_demo, or one folder per county)."""
    jobs = list_counties(folder) if folder and Path(folder).is_dir() else []
    return pd.DataFrame({"adcode": [j.adcode for j in jobs], "name": [j.name for j in jobs],
                         "has_data": [j.has_data for j in jobs],
                         "missing": [j.missing_zh if zh else j.missing_en for j in jobs]})


where = st.radio(t("batch_source", lang), ["embedded", "folder"], horizontal=True,
                 format_func=lambda k: t(f"batch_source_{k}", lang))
if where == "embedded":
    folder = str(DATA_DIR)
else:
    folder = st.text_input(t("batch_folder", lang), str(default_province_dir("35")),
                           help=t("batch_folder_help", lang))
found = folder_counties(folder)
if found.empty:
    st.info(t("batch_folder_empty", lang))
    ui.stop()
labels = {r.adcode: f"{r.name or r.adcode}{paren(r.adcode, lang)}" + ("" if r.has_data else " ⚠")
          for r in found.itertuples(index=False)}
picked = st.multiselect(t("batch_pick", lang), list(labels), default=list(labels),
                        format_func=lambda c: labels[c], placeholder=t("choose_options", lang))
gaps = found[~found["has_data"] & found["adcode"].isin(picked)]
if len(gaps):
    st.warning(t("batch_gaps", lang) + t("list_semicolon", lang).join(
        f"{md(r.name)}{paren(md(r.adcode), lang)}{t('colon', lang)}{md(r.missing)}"
                                                  for r in gaps.itertuples(index=False)))

with st.expander(t("batch_settings", lang), expanded=False):
    budget = int(st.number_input(t("batch_budget", lang), 0, 10**11, 50_000_000, step=1_000_000))
    out_dir = st.text_input(t("batch_out", lang),
                            str(Path.home() / ".cache" / "childplan-batch" / Path(folder).name))
with st.expander(t("tech_details", lang), expanded=False):
    c2, c3 = st.columns(2)
    workers = int(c2.number_input(t("batch_workers", lang), 1,
                                  max(os.cpu_count() or 1, 1), min(2, os.cpu_count() or 1)))
    solver = c3.radio(t("solver", lang), ["cbc", "highs"], horizontal=True)
    scheduler = st.text_input(t("batch_scheduler", lang), "",
                              placeholder="tcp://10.0.0.5:8786").strip() or None
st.caption(t("batch_policy_note", lang) + t("batch_n_counties", lang).format(n=len(picked), out=md(out_dir)))

if st.button(t("batch_start", lang), type="primary", disabled=not picked):
    bar = st.progress(0.0, text=t("batch_starting", lang))
    live = st.empty()
    rows: list[dict] = []

    def on_event(e: BatchEvent) -> None:
        if e.kind == "county":
            s = e.summary
            rows.append({"adcode": s["adcode"], "name": s.get("name", ""), "status": STATUS[s["status"]],
                         "seconds": s.get("seconds"),
                         "reason": (s.get("reason_zh") if zh else s.get("reason_en")) or ""})
            bar.progress(e.done / e.total, text=f"{e.done}/{e.total} · {s.get('name', '')}{paren(s['adcode'], lang)}"
                                                f"{STATUS[s['status']]}")
            live.dataframe(pd.DataFrame(rows).rename(columns=COLUMNS), hide_index=True, width="stretch")
        elif e.kind == "stage":
            known = ("funding", "province")
            bar.progress(1.0, text=t(f"batch_stage.{e.message}", lang) if e.message in known else e.message)

    jobs = [j for j in list_counties(folder) if j.adcode in picked]
    with st.status(t("batch_running", lang), expanded=True) as status:
        try:
            result = run_batch(jobs, out_dir, scheduler=scheduler, workers=workers, policy=ui.policy(),
                               budget=budget or None, solver=solver, progress=on_event,
                               lang=lang)  # the files in the page's language
        except (OSError, ValueError, TimeoutError) as exc:
            status.update(label=t("batch_failed_run", lang), state="error")
            st.error(md(exc))
            ui.stop()
        counts = result.counties["status"].value_counts()
        label = t("batch_result", lang).format(
            done=counts.get("done", 0), skipped=counts.get("skipped", 0), failed=counts.get("failed", 0),
            seconds=fmt.num(result.seconds), workers=result.workers)
        status.update(label=label, state="error" if counts.get("failed", 0) else "complete", expanded=False)
    st.session_state["batch_done"] = {"out": str(Path(out_dir).expanduser().resolve()),
                                      "counties": result.counties, "note": result.funding_note}

done = st.session_state.get("batch_done")
if not done:
    st.info(t("batch_hint", lang))
    ui.stop()

table = done["counties"].copy()
counts = table["status"].value_counts()
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("batch_m_counties", lang), len(table))
c2.metric(t("batch_m_done", lang), int(counts.get("done", 0)))
c3.metric(t("batch_m_skipped", lang), int(counts.get("skipped", 0)))
c4.metric(t("batch_m_failed", lang), int(counts.get("failed", 0)))
table["reason"] = table[f"reason_{lang}"].fillna("")
table["status"] = table["status"].map(STATUS)
st.dataframe(fmt.table(table[list(COLUMNS)]).rename(columns=COLUMNS), hide_index=True, width="stretch")
failed = done["counties"][done["counties"]["status"] == "failed"]
for r in failed.itertuples(index=False):
    with st.expander(f"✗ {md(r.name or r.adcode)}{paren(r.adcode, lang)}"):  # the code: summary.xlsx 技术细节
        st.text(r.reason_zh if zh else r.reason_en)
if done["note"]:
    st.caption(done["note"])

out = Path(done["out"])
c1, c2, c3 = st.columns(3)
for col, name, mime, label in (
        (c1, "summary.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         t("batch_dl_xlsx", lang)),
        (c2, "summary.csv", "text/csv", t("batch_dl_csv", lang)),
        (c3, "counties.parquet", "application/vnd.apache.parquet", t("batch_dl_layer", lang))):
    if (out / name).is_file():
        col.download_button(label, (out / name).read_bytes(), file_name=f"batch_{name}", mime=mime)
st.caption(t("batch_files_in", lang) + md(f"{out}/") + t("batch_files_per_county", lang))
