"""Streamlit entry point: language, county choice and navigation. Pages only render and wire.

Run with ``make run`` (or ``streamlit run app.py``) in a checkout, ``childplan app`` when
installed; it opens on the embedded demo county 北碚区 with no upload and no network.
"""

from pathlib import Path

import streamlit as st

from childplan import ui
from childplan.resources import asset, page
from geo.i18n import t
from geo.offline import ensure_static_assets

st.set_page_config(page_title="儿童关爱服务规划 · childplan", page_icon=str(asset("icon.png")),
                   layout="wide")
# Streamlit serves static/ beside the running script: the checkout's, or the per-user copy
# `childplan app` runs from (never site-packages). Pages and assets come from the package.
ensure_static_assets(Path(__file__).resolve().parent / "static" / "vendor")
account = ui.login()  # None unless accounts are on ($CHILDPLAN_ACCOUNTS); stops until signed in
lang = ui.sidebar()
ui.uploader_words(lang)  # Streamlit's uploader button and size limit in the page's language
ui.remember_widgets()  # widget values survive page changes (childplan/ui.py keep())
# The plan's name is written again after the page ran (or as it stops, ui.stop): a change made
# inside the page (an override, a save, an opened scenario) shows in the same run, not one later.
ui.plan_name_slot(st.sidebar.empty())

pages = [
    st.Page(page("map.py"), title=t("nav_map", lang), icon=":material/map:", url_path="map",
            default=True),
    st.Page(page("siting.py"), title=t("nav_siting", lang), icon=":material/home_work:",
            url_path="siting"),
    st.Page(page("phased.py"), title=t("nav_phased", lang), icon=":material/calendar_month:",
            url_path="phased"),
    st.Page(page("staffing.py"), title=t("nav_staffing", lang), icon=":material/groups:",
            url_path="staffing"),
    st.Page(page("funding.py"), title=t("nav_funding", lang), icon=":material/payments:",
            url_path="funding"),
    st.Page(page("hazards.py"), title=t("nav_hazards", lang), icon=":material/pool:",
            url_path="hazards"),
    st.Page(page("scenarios.py"), title=t("nav_scenarios", lang), icon=":material/compare:",
            url_path="scenarios"),
    st.Page(page("batch.py"), title=t("nav_batch", lang), icon=":material/account_tree:",
            url_path="batch"),
    st.Page(page("data.py"), title=t("nav_data", lang), icon=":material/table_view:",
            url_path="data"),
]
if account is not None and account.role == "township":  # one township: no county-wide pages
    pages = [p for p in pages if p.url_path in ("map", "siting", "staffing", "hazards")]
nav = st.navigation(pages)
ui.note_page(nav.url_path)  # the map page restores its kept view only into a new map
nav.run()
ui.show_plan_name()  # pages that stop early do it through ui.stop()
