"""Every page in a real browser: solve, download each export and check its contents, switch
language, keep screenshots (test-artifacts/). No network but localhost."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from geo.i18n import sheet_label
from geo.layers import load_demo
from tests.e2e.conftest import click_until, map_frame, settle, shot

pytestmark = pytest.mark.e2e

PAGES = {  # url path -> (Chinese title, English title)
    "map": ("北碚区 · 地图", "北碚区 · Map"),
    "siting": ("北碚区 · 儿童之家选址", "北碚区 · Children's homes"),
    "staffing": ("北碚区 · 人员配置", "北碚区 · Staffing"),
    "funding": ("北碚区 · 经费分配", "北碚区 · Funding"),
    "hazards": ("北碚区 · 防溺水", "北碚区 · Drowning risk"),
    "scenarios": ("北碚区 · 情景对比", "北碚区 · Scenarios"),
    "data": ("数据 · 北碚区", "Data · 北碚区"),
}


def nav(page, title):
    page.locator("[data-testid='stSidebarNav']").get_by_text(title, exact=True).click()


class Saved:
    """A finished download saved under its suggested file name (openpyxl needs the suffix)."""

    def __init__(self, dl):
        import tempfile
        from pathlib import Path

        self.name = dl.suggested_filename
        self._path = Path(tempfile.mkdtemp(prefix="dl-")) / self.name
        dl.save_as(self._path)

    def path(self):
        return str(self._path)


def download(page, button_name):
    """Click a download button once the page is idle; again if a rerun cancelled the download.

    (Under load a rerun still running when the button is clicked redraws it and the browser
    cancels the transfer; a planner clicks again.)
    """
    from tests.e2e.conftest import settle

    for attempt in range(2):
        settle(page, 90_000)
        with page.expect_download(timeout=120_000) as dl:
            page.get_by_role("button", name=button_name).click()
        try:
            return Saved(dl.value)
        except Exception as exc:
            if "canceled" not in str(exc) or attempt:
                raise
    raise AssertionError("unreachable")


def xlsx_sheets(path):
    wb = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_siting_solve_map_and_exports(page, app_url, tmp_path):
    page.goto(app_url + "/siting")
    page.get_by_text(PAGES["siting"][0]).wait_for()
    page.get_by_role("button", name="求解选址方案").click()
    page.get_by_text("覆盖村比例").wait_for(timeout=120_000)
    map_frame(page, "() => !!window.map && document.querySelectorAll('.cp-legend').length > 0")
    page.wait_for_timeout(1500)
    shot(page, "siting_zh")
    x = download(page, "下载 XLSX")
    sheets = xlsx_sheets(x.path())
    # sheets named in words (issue 16): 儿童之家, 服务关系
    assert set(sheets) == {sheet_label("homes"), sheet_label("assignments")}
    header = sheets[sheet_label("assignments")][0]
    assert header[:5] == ["村代码", "常住儿童数", "儿童之家编号", "距离（米）", "自有儿童之家"]
    data = load_demo("500109")
    assert len(sheets[sheet_label("assignments")]) - 1 == len(data.villages)
    g = download(page, "下载 GeoPackage")
    import pyogrio

    layers = {n for n, _ in pyogrio.list_layers(g.path())}
    assert layers == {"homes", "assignments", "links"}
    page.get_by_role("button", name="导出地图快照（PNG/PDF）").click()
    png = download(page, "下载 PNG")
    assert open(png.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    pdf = download(page, "下载 PDF")
    assert open(pdf.path(), "rb").read(5) == b"%PDF-"
    assert page.blocked == []


def test_staffing_and_funding_with_earmarks(page, app_url):
    page.goto(app_url + "/staffing")
    page.get_by_text(PAGES["staffing"][0]).wait_for()
    page.get_by_role("button", name="求解人员配置").click()
    page.get_by_text("儿童主任（需/配）").wait_for(timeout=120_000)
    map_frame(page, "() => !!window.map && document.querySelectorAll('.cp-legend').length > 0")
    page.wait_for_timeout(1000)
    shot(page, "staffing_zh")
    x = download(page, "下载 XLSX")
    sheets = xlsx_sheets(x.path())
    assert {sheet_label(k) for k in ("staffing", "recruit", "training", "supervisors")} <= set(sheets)
    assert sheets[sheet_label("staffing")][0][:2] == ["村代码", "人员编码"]
    nav(page, "经费分配")
    page.get_by_text(PAGES["funding"][0]).wait_for()
    page.get_by_text("先安排儿童主任补助").click()
    page.get_by_text("专项（元）").wait_for()
    page.wait_for_timeout(1500)
    shot(page, "funding_zh")
    x = download(page, "下载 XLSX")
    f = pd.read_excel(x.path(), sheet_name=sheet_label("funding"))
    assert int(f["金额（元）"].sum()) == 5_000_000
    assert float(f["专项"].sum()) == 313 * 2400  # every required director post x the subsidy
    assert page.blocked == []


def test_briefing_from_the_map_page(page, app_url):
    page.goto(app_url)
    page.get_by_text(PAGES["map"][0]).wait_for()
    map_frame(page)
    settle(page, 90_000)  # the map's first view report reruns the page
    for attempt in range(2):  # a planner clicks again if nothing came
        page.get_by_role("button", name="生成一页简报（PDF）").click()
        try:
            page.get_by_role("button", name="下载简报 PDF").wait_for(timeout=120_000)
            break
        except Exception:
            if attempt:
                raise
            settle(page, 90_000)
    pdf = download(page, "下载简报 PDF")
    data = open(pdf.path(), "rb").read()
    assert data[:5] == b"%PDF-" and data.count(b"/Type /Page\n") + data.count(b"/Type/Page ") <= 2
    import subprocess

    text = subprocess.run(["pdftotext", pdf.path(), "-"], capture_output=True, text=True).stdout
    assert "北碚区农村留守儿童和困境儿童关爱服务简报" in text and "58,482" in text
    assert page.blocked == []


VILLAGE_PX = """(code) => {
    let out = null;
    window.map.eachLayer(l => {
        if (l.feature && l.feature.properties && l.feature.properties.village_code === code
            && l.getLatLng) {
            const p = window.map.latLngToContainerPoint(l.getLatLng());
            out = {x: p.x, y: p.y};
        }
    });
    return out;
}"""
LABELS = """() => {
    const r = [...document.querySelectorAll('.cp-town-label')]
        .filter(e => e.style.visibility !== 'hidden').map(e => e.getBoundingClientRect());
    let overlaps = 0;
    for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++) {
        const a = r[i], b = r[j];
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) overlaps++;
    }
    return {shown: r.length, all: document.querySelectorAll('.cp-town-label').length, overlaps};
}"""
VIEW = """() => ({zoom: window.map.getZoom(), lat: window.map.getCenter().lat,
                 lng: window.map.getCenter().lng})"""


def test_map_identify_search_table_and_kept_view(page, app_url):
    data = load_demo("500109")
    v = data.villages
    diff = v[["orphan", "unsupported", "illness_disability", "dibao_tekun",
              "difficulty_other"]].sum(axis=1)
    row = v.loc[v["resident_children"].idxmax()]  # the largest: its counts carry 千分位
    code = str(row["village_code"])
    page.goto(app_url)
    page.get_by_text(PAGES["map"][0]).wait_for()
    frame = map_frame(page, "() => !!window.map && document.querySelectorAll('.cp-legend').length")
    page.wait_for_timeout(2500)  # the fitted view is reported once (one rerun)
    first = frame.evaluate(LABELS)  # township names at the county view: none overlaps
    assert first["all"] == len(data.townships) and first["overlaps"] == 0
    assert 0 < first["shown"] < first["all"]  # the demo's dense centre drops a few names
    frame.evaluate("() => { window.map.setZoom(window.map.getZoom() + 2); }")
    page.wait_for_timeout(1200)
    closer = frame.evaluate(LABELS)
    assert closer["overlaps"] == 0
    assert closer["shown"] > first["shown"]  # zoomed in: names dropped at first come back
    settle(page)  # the new view is reported (one rerun)
    # search by code -> the map zooms to the village and rings it; the table holds its row
    box = page.get_by_role("textbox", name="查找村（社区）：名称或代码")
    box.fill(code)
    box.press("Enter")
    page.get_by_text("已定位：").first.wait_for()
    frame = map_frame(page, "() => !!window.map && Math.abs(window.map.getZoom() - 15) < 0.01")
    view = frame.evaluate(VIEW)
    assert abs(view["lat"] - row.geometry.y) < 1e-4 and abs(view["lng"] - row.geometry.x) < 1e-4
    # identify: a real mouse click on the village opens its facts. The frame is shown whole
    # first: the first press into a frame whose foot is below the window scrolls the page a few
    # pixels between press and release (the frame taking focus), and the click misses
    page.locator("iframe[title*='streamlit_folium']").evaluate(
        "e => e.scrollIntoView({block: 'end'})")
    page.wait_for_timeout(500)
    pt = frame.evaluate(VILLAGE_PX, code)
    assert pt is not None
    ibox = page.locator("iframe[title*='streamlit_folium']").bounding_box()
    page.mouse.click(ibox["x"] + pt["x"], ibox["y"] + pt["y"])
    popup = frame.locator(".cp-identify")
    popup.wait_for(timeout=10_000)
    text = popup.inner_text()
    i = row.name
    for label, value in (("常住儿童", int(row["resident_children"])),
                         ("农村留守儿童", int(row["left_behind"])),
                         ("困境儿童", int(diff[i])),
                         ("服务对象（留守+困境）", int(row["left_behind"] + diff[i])),
                         ("重点关注儿童", int(row["key_attention"]))):
        assert f"{label}\t{value:,}" in text, (label, value, text)
    assert str(row["name"]) in text and code in text
    settle(page)  # the popup pans the map: its new view is reported (one rerun)
    shot(page, "map_identify_zh")
    page.get_by_text("属性表：村（社区）").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    shot(page, "map_attribute_table_zh")
    # the view is kept across a page change
    nav(page, "儿童之家选址")
    page.get_by_text(PAGES["siting"][0]).wait_for()
    nav(page, "地图")
    page.get_by_text(PAGES["map"][0]).wait_for()
    frame = map_frame(page, "() => !!window.map && Math.abs(window.map.getZoom() - 15) < 0.3")
    view = frame.evaluate(VIEW)
    assert abs(view["lat"] - row.geometry.y) < 2e-3 and abs(view["lng"] - row.geometry.x) < 2e-3
    # the search box is empty again: the table lists every village; selecting a row zooms to it
    settle(page)
    first_row = v.iloc[0]
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    gbox = grid.bounding_box()
    page.mouse.click(gbox["x"] + 18, gbox["y"] + 35 + 17)  # row 1's selection box
    page.get_by_text(f"已定位：{first_row['name']}").first.wait_for()
    frame = map_frame(page, "() => !!window.map && Math.abs(window.map.getZoom() - 15) < 0.01")
    page.wait_for_timeout(800)
    view = frame.evaluate(VIEW)
    assert abs(view["lat"] - first_row.geometry.y) < 1e-4
    assert abs(view["lng"] - first_row.geometry.x) < 1e-4
    assert page.blocked == []


GRID_ROWS = """() => {
    const g = document.querySelector("[data-testid='stDataFrame'] [role='grid'], "
                                      + "[data-testid='stDataFrame'] table");
    return g ? (+g.getAttribute('aria-rowcount') || g.querySelectorAll('tr').length) : -1;
}"""


def test_map_click_on_a_village_shows_its_row(page, app_url):
    # a village with no facility within 250 m: the click lands on the village, not a symbol
    data = load_demo("500109")
    v, f = data.villages.to_crs(data.metric_crs), data.facilities.to_crs(data.metric_crs)
    far = [i for i, g in zip(v.index, v.geometry, strict=True) if f.distance(g).min() > 250]
    row = data.villages.loc[max(far, key=lambda i: int(data.villages.at[i, "resident_children"]))]
    code, name = str(row["village_code"]), str(row["name"])
    page.goto(app_url)
    page.get_by_text(PAGES["map"][0]).wait_for()
    frame = map_frame(page, "() => !!window.map && document.querySelectorAll('.cp-legend').length")
    page.wait_for_timeout(2500)  # the fitted view is reported once (one rerun)
    settle(page)
    # zoom there by the search, then empty the box: the view stays, the table lists all
    box = page.get_by_role("textbox", name="查找村（社区）：名称或代码")
    box.fill(code)
    box.press("Enter")
    page.get_by_text("已定位：").first.wait_for()
    map_frame(page, "() => !!window.map && Math.abs(window.map.getZoom() - 15) < 0.01")
    settle(page)
    box.fill("")
    box.press("Enter")
    page.get_by_text("已定位：").first.wait_for(state="detached")
    settle(page)
    assert page.locator("[data-testid='stDataFrame']").first.bounding_box()["height"] > 200
    frame = map_frame(page, "() => !!window.map && window.map.getZoom() > 13")
    page.get_by_text(PAGES["map"][0]).click()  # leave the box (its hint goes)
    page.wait_for_timeout(1000)
    settle(page)
    pt = frame.evaluate(VILLAGE_PX, code)
    assert pt is not None
    # clicked where the village is relative to the frame at the time of the click (the page
    # above the map may still move by a few pixels)
    page.locator("iframe[title*='streamlit_folium']").click(position=pt)
    frame.locator(".cp-identify").wait_for(timeout=10_000)  # the panel opens in the map
    # ... and the table under the map is filtered to that village's row
    page.get_by_text(f"表中为地图上点选的村：{name}（{code}）").wait_for(timeout=30_000)
    settle(page)
    rows = page.evaluate(GRID_ROWS)
    assert rows in (2, 1), rows  # the header row and the village (or the village alone)
    grid = page.locator("[data-testid='stDataFrame']").first
    assert grid.bounding_box()["height"] < 35 * 3  # one row, not the county's list
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(400)
    shot(page, "map_click_village_row_zh")
    # 显示全部 brings the whole table back
    page.get_by_role("button", name="显示全部").click()
    page.get_by_text(f"表中为地图上点选的村：{name}").wait_for(state="detached", timeout=30_000)
    settle(page)
    assert page.locator("[data-testid='stDataFrame']").first.bounding_box()["height"] > 200
    assert page.blocked == []


def test_every_page_in_english(page, app_url):
    page.goto(app_url)
    page.get_by_text(PAGES["map"][0]).wait_for()
    map_frame(page)
    click_until(page, page.get_by_text("English", exact=True), PAGES["map"][1])
    for name, (_, en) in PAGES.items():
        label = {"map": "Map", "siting": "Children's homes", "staffing": "Staffing",
                 "funding": "Funding", "hazards": "Drowning risk", "scenarios": "Scenarios",
                 "data": "Data"}[name]
        nav(page, label)
        page.get_by_text(en).first.wait_for()
        page.wait_for_timeout(800)
        body = page.locator("[data-testid='stMain']").inner_text()
        assert "Traceback" not in body
        shot(page, f"{name}_en")
    assert page.blocked == []


def test_scenarios_save_and_compare(page, app_url):
    page.goto(app_url + "/funding")
    page.get_by_text(PAGES["funding"][0]).wait_for()
    page.get_by_text("合计（元）").wait_for()
    nav(page, "情景对比")
    page.get_by_text(PAGES["scenarios"][0]).wait_for()
    page.get_by_label("方案名称").fill("浏览器测试A")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("已保存“浏览器测试A”").wait_for()
    page.get_by_label("方案名称").fill("浏览器测试B")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("已保存“浏览器测试B”").wait_for()
    page.get_by_text("对比（2–4 个方案）").wait_for()
    page.wait_for_timeout(2000)
    shot(page, "scenarios_zh")
    x = download(page, "下载对比 XLSX")
    sheets = xlsx_sheets(x.path())
    assert sheet_label("figures") in sheets and len(sheets[sheet_label("figures")]) > 3
    f = download(page, "导出为单个文件")
    assert open(f.path(), "rb").read(16) == b"SQLite format 3\x00"
    assert page.blocked == []


def test_hazards_page_checklist_and_patrol_exports(page, app_url):
    from childplan.store import Store
    from tests.e2e.conftest import APP_STORE

    page.goto(app_url + "/hazards")
    page.get_by_text("北碚区 · 防溺水").wait_for()
    map_frame(page, "() => !!window.map && document.querySelectorAll('.cp-legend').length > 0")
    page.wait_for_timeout(1500)
    shot(page, "hazards_zh")
    # record a patrol check for the top spot: all four items present
    form = page.locator("[data-testid='stForm']").first
    for label in ("警示牌", "救生圈", "救生绳", "救生杆"):
        form.get_by_text(label, exact=True).click()
    form.get_by_role("button", name="保存检查记录").click()
    for _ in range(60):  # the save runs on the server: wait for it (up to 60 s under load)
        page.wait_for_timeout(1000)
        with Store(APP_STORE) as st:
            checks = st.checks("500109")
        if len(checks) >= 4:
            break
    assert len(checks) == 4 and checks["present"].all()
    spot = checks["spot_id"].iloc[0]
    x = download(page, "河长巡查清单 XLSX")
    sheets = xlsx_sheets(x.path())
    assert all(name.startswith("河长-500109") for name in sheets)
    rows = [r for s in sheets.values() for r in s[1:]]
    hit = [r for r in rows if spot in [str(c) for c in r]]
    assert hit, "the checked spot is on its chief's sheet"
    assert page.blocked == []


_CLICK_EVERY_VILLAGE = """() => {
    const map = Object.keys(window).filter(k => k.startsWith('map_') && window[k] instanceof L.Map)
                                   .map(k => window[k])[0];
    const texts = [];
    map.eachLayer(l => {
        if (l.feature && l.feature.properties && l.feature.properties.f_code && l.getLatLng) {
            l.fire('click', {latlng: l.getLatLng()}, true);  // as a click does: it bubbles
            texts.push(document.querySelector('.cp-identify').textContent);
        }
    });
    return texts;
}"""


def test_identify_panel_prints_hostile_names_as_text(browser, tmp_path):
    """The identify panel writes escaped facts with innerHTML: every hostile name prints."""
    from childplan.sources import resolve_sources
    from geo.layers import load_county
    from geo.maps import build_county_map
    from geo.offline import map_html
    from tests.hostile import HOSTILE, hostile_county

    sources, _ = resolve_sources([str(f) for f in hostile_county(tmp_path / "county")])
    data = load_county(sources)
    path = tmp_path / "map.html"
    path.write_text(map_html(build_county_map(data)), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    dialogs, errors = [], []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("file:", "data:", "about:", "blob:")) else r.abort())
    pg.goto(path.as_uri())
    pg.wait_for_function("() => window.L && document.querySelector('.cp-legend')")
    texts = pg.evaluate(_CLICK_EVERY_VILLAGE)
    pg.wait_for_timeout(700)  # an <img onerror> would fire after its failed load
    context.close()
    assert len(texts) == len(data.villages)
    assert dialogs == [] and errors == []
    names = [str(n) for n in data.villages["name"]]
    hostile_seen = {h for h in HOSTILE if any(h in n for n in names)}
    assert hostile_seen  # the county does carry hostile village names
    for name, text in zip(names, texts, strict=True):
        assert name in text  # printed as typed, not interpreted
