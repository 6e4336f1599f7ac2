"""数据 / Data: the validation report of what is loaded, and uploads of a planner's own files."""

import json
from pathlib import PurePath

import streamlit as st

from childplan import ui
from childplan.sources import guess_layer
from geo.i18n import enum_label, policy_source, policy_value, t, unit_label
from geo.importer import load_mapping_bytes, mapping_json, preview
from geo.layers import demo_adcodes
from geo.safe import md
from geo.schema import LAYERS
from optimization.policy import load_documents

lang = ui.lang()
data = ui.current_county()

st.title(f"{t('nav_data', lang)} · {md(data.name)}")

st.subheader(t("report", lang))
report = data.report
if report.ok and not report.problems:
    st.success(t("report_ok", lang) + " · " + report.summary(lang))
elif report.ok:
    st.warning(report.summary(lang))
else:
    st.error(report.summary(lang))
if report.problems:
    st.dataframe(report.to_frame(lang, codes=False), width="stretch", hide_index=True)
    st.download_button(
        t("download", lang) + " CSV", report.to_frame(lang, codes=False).to_csv(index=False).encode("utf-8-sig"),
        file_name=f"validation_{data.adcode}.csv", mime="text/csv",
    )

def _file_name(path) -> str:
    """The file a layer came from, by name only (never the server's folders)."""
    return PurePath(str(path)).name if path else ""


rows = []
for name in ("county", "townships", "villages", "facilities", "waterways", "crossings", "roster"):
    frame = getattr(data, name)
    rows.append({
        t("data_col_layer", lang): t(name, lang),
        t("data_col_records", lang): f"{len(frame):,}",
        t("data_col_file", lang): _file_name(data.files.get(name, "")),
        t("data_col_synthetic", lang): enum_label("bool", name in data.synthetic_layers(), lang),
    })
st.dataframe(rows, width="stretch", hide_index=True)

st.subheader(t("policy_title", lang))
st.caption(t("policy_caption", lang))
documents = st.cache_data(load_documents)()
prows = ui.policy().table()
zh = lang == "zh"
terms = {r["name"].rpartition(".")[2]: r["zh"] if lang == "zh" else r["en"] for r in prows}
st.dataframe(
    [{t("policy_col_meaning", lang): r["zh"] if lang == "zh" else r["en"],
      t("policy_col_value", lang): policy_value(r["value"], lang, r["name"]),
      t("policy_col_unit", lang): unit_label(r["unit"], lang),
      t("policy_col_source", lang): policy_source(r["source_zh" if zh else "source"], documents, lang, terms),
      t("policy_col_changed", lang): enum_label("bool", bool(r["overridden"]), lang),
      t("policy_col_name", lang): r["name"]} for r in prows],
    width="stretch", hide_index=True)
with st.expander(t("policy_documents", lang), expanded=False):
    st.dataframe(
        [{t("doc_col_title", lang): f"《{d.title}》" if lang == "zh" else (d.title_en or d.title),
          t("doc_col_number", lang): d.number or t("none_paren", lang),
          t("doc_col_issuer", lang): d.issuer if lang == "zh" else (d.issuer_en or d.issuer)}
         for d in documents.values()],
        width="stretch", hide_index=True)

st.subheader(t("upload_title", lang))
uploads = st.file_uploader(t("upload_help", lang), accept_multiple_files=True,
                           type=["gpkg", "geojson", "json", "zip", "csv", "xlsx", "tif", "tiff"])
layer_names = list(LAYERS) + ["dem"]
files = []
for i, up in enumerate(uploads or []):
    c1, c2, c3 = st.columns([3, 2, 2])
    c1.write(up.name)
    guess = guess_layer(up.name) or "villages"
    layer = c2.selectbox(
        t("upload_layer", lang), layer_names, index=layer_names.index(guess),
        key=f"layer_{i}_{up.name}",
        format_func=lambda k: t(k, lang) if k in ("dem",) else (
            LAYERS[k].zh if lang == "zh" else LAYERS[k].en),
    )
    cs = c3.selectbox(t("coord_system", lang), ["wgs84", "gcj02", "bd09"],
                      key=f"cs_{i}_{up.name}", format_func=lambda k: t(k, lang))
    files.append((layer, up.name, up.getvalue(), cs))

# Column mapping: the planner's headers -> our fields (suggested), per table upload.
how = []
template = st.file_uploader(t("load_template", lang), type=["json"], key="mapping_template")
saved = load_mapping_bytes(template.getvalue()) if template is not None else {}
mapping_all: dict[str, dict[str, str]] = {}
for i, (layer, name, payload, _cs) in enumerate(files):
    if layer == "dem":
        continue
    info = preview(name, payload, layer, mapping=saved.get(layer))
    if not info["headers"] and not info["sheets"]:
        continue
    with st.expander(f"{t('column_mapping', lang)} · {md(name)}", expanded=False):
        st.caption(t("mapping_help", lang))
        sheet = None
        if len(info["sheets"]) > 1:
            sheet = st.selectbox(t("sheet_or_layer", lang), info["sheets"],
                                 index=info["sheets"].index(info["sheet"]),
                                 key=f"sheet_{i}_{name}")
            if sheet != info["sheet"]:
                info = preview(name, payload, layer, sheet=sheet, mapping=saved.get(layer))
        st.caption(f"{t('rows_found', lang)}: {info['rows']}")
        fields = [""] + [c.name for c in LAYERS[layer].all_columns]
        chosen = {}
        for j, header in enumerate(info["headers"]):
            guess = info["suggestion"].get(header, "")
            chosen[header] = st.selectbox(
                header, fields, index=fields.index(guess) if guess in fields else 0,
                key=f"map_{i}_{j}_{name}",
                format_func=lambda f, layer=layer: t("not_used", lang) if not f else (
                    f"{LAYERS[layer].column(f).zh} ({f})" if lang == "zh"
                    else f"{LAYERS[layer].column(f).en} ({f})"))
        mapping_all[layer] = chosen
        how.append((layer, sheet, json.dumps(chosen, ensure_ascii=False, sort_keys=True)))
if mapping_all:
    st.download_button(t("save_template", lang), mapping_json(mapping_all),
                       file_name="column_mapping.json", mime="application/json")
base_options = [""] + demo_adcodes()
base = st.selectbox(
    t("upload_base", lang),
    base_options, index=base_options.index(data.adcode) if data.adcode in base_options else 0,
    format_func=lambda c: t("none_paren", lang) if not c else c,
)
if st.button(t("upload_check", lang), disabled=not files, type="primary"):
    from geo.report import DataError

    with st.spinner(t("upload_checking", lang)):
        try:
            rejected = ui.load_uploaded(files, base or None, tuple(how)).report
        except DataError as exc:
            rejected = exc.report
    if rejected.ok:
        st.rerun()
    # the rejected files' own report: every problem with its file, row, column and fix
    st.error(t("upload_rejected", lang).format(county=md(data.name), summary=md(rejected.summary(lang))))
    st.dataframe(rejected.to_frame(lang, codes=False), width="stretch", hide_index=True)
    st.download_button(
        t("download", lang) + " CSV", rejected.to_frame(lang, codes=False).to_csv(index=False).encode("utf-8-sig"),
        file_name="validation_upload.csv", mime="text/csv", key="download_rejected_report")
ui.count_update_block()  # update some villages' counts by code (childplan/partial.py)
