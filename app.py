"""Streamlit entry point: language, county choice and navigation. Pages only render and wire.

Run with ``make run`` (or ``streamlit run app.py``); it opens on the embedded demo county
北碚区 with no upload and no network.
"""

import streamlit as st

from childplan import ui
from geo.i18n import t
from geo.offline import ensure_static_assets

st.set_page_config(page_title="儿童关爱服务规划 · childplan", page_icon="assets/icon.png",
                   layout="wide")
ensure_static_assets()
lang = ui.sidebar()

pages = [
    st.Page("app_pages/map.py", title=t("nav_map", lang), icon=":material/map:", url_path="map",
            default=True),
    st.Page("app_pages/siting.py", title=t("nav_siting", lang), icon=":material/home_work:",
            url_path="siting"),
    st.Page("app_pages/staffing.py", title=t("nav_staffing", lang), icon=":material/groups:",
            url_path="staffing"),
    st.Page("app_pages/funding.py", title=t("nav_funding", lang), icon=":material/payments:",
            url_path="funding"),
    st.Page("app_pages/hazards.py", title=t("nav_hazards", lang), icon=":material/pool:",
            url_path="hazards"),
    st.Page("app_pages/scenarios.py", title=t("nav_scenarios", lang), icon=":material/compare:",
            url_path="scenarios"),
    st.Page("app_pages/batch.py", title=t("nav_batch", lang), icon=":material/account_tree:",
            url_path="batch"),
    st.Page("app_pages/data.py", title=t("nav_data", lang), icon=":material/table_view:",
            url_path="data"),
]
st.navigation(pages).run()
