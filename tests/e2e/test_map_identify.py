"""The map page as a GIS (issue 17) in a real browser: identify facilities and danger reaches in
the one panel, a click on a home's square over its village names the village, one layer panel
whose legend follows the ticks. Expected values are worked out here from the demo data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.layers import load_demo
from optimization.policy import load_policy
from optimization.vocab import FACILITY_KINDS, WATER_KINDS
from tests.e2e.conftest import map_frame, settle, shot

pytestmark = pytest.mark.e2e

TITLE = "北碚区 · 地图"
DATA = load_demo("500109")
TW = DATA.townships.set_index("township_code")["name"]

# every point feature on the map: villages (with their circle's radius) and facilities
POINTS = """() => {
    const vs = [], fs = [];
    window.map.eachLayer(l => {
        const p = l.feature && l.feature.properties;
        if (!p || !l.getLatLng) return;
        const pt = window.map.latLngToContainerPoint(l.getLatLng());
        if (p.facility_id) fs.push({id: p.facility_id, x: pt.x, y: pt.y});
        else if (p.village_code) vs.push({code: p.village_code, x: pt.x, y: pt.y,
                                          r: l.getRadius()});
    });
    return {vs, fs};
}"""
PX = """(ll) => { const p = window.map.latLngToContainerPoint(ll); return {x: p.x, y: p.y}; }"""
ITEMS = """() => [...document.querySelectorAll('.cp-identify .cp-identify-item')].map(e => ({
    kind: e.dataset.kind,
    rows: Object.fromEntries([...e.querySelectorAll('tr')].map(
        r => [r.querySelector('th').textContent, r.querySelector('td').textContent]))}))"""
TOP = """(pt) => { const e = document.elementFromPoint(pt.x, pt.y);
    return e ? e.tagName + '.' + e.className + ' ' + JSON.stringify(window.map.getSize()) : null; }"""
LEGEND = """() => [...document.querySelectorAll('.cp-legend .cp-lg-item')]
    .filter(e => e.offsetParent !== null).map(e => e.textContent.trim())"""


def _open(page, app_url):
    page.goto(app_url)
    page.get_by_text(TITLE).wait_for()
    map_frame(page, "() => !!window.map && document.querySelectorAll('.cp-legend').length")
    page.wait_for_timeout(2500)  # the fitted view is reported once (one rerun)
    settle(page)
    # the frame's foot is below the window: the first press in it would scroll the page by
    # ~11 px between press and release (the frame taking focus); show it whole first
    page.locator("iframe[title*='streamlit_folium']").evaluate(
        "e => e.scrollIntoView({block: 'end'})")
    page.wait_for_timeout(500)
    return map_frame(page, "() => !!window.map && document.querySelectorAll('.cp-legend').length")


def _click(page, frame, pt):
    # the mouse at the frame's box plus the point (a locator click with a position lands
    # some pixels lower in this iframe)
    box = page.locator("iframe[title*='streamlit_folium']").bounding_box()
    page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
    try:
        frame.locator(".cp-identify").wait_for(timeout=10_000)
    except Exception:
        shot(page, "failure_map_identify_click")
        raise AssertionError(f"no panel after a click at {pt}: "
                             f"{frame.evaluate(TOP, pt)}") from None
    page.wait_for_timeout(300)
    return frame.evaluate(ITEMS)


def _go(page, frame, lat, lon, zoom=16.0, tries=4):
    """Set the view and wait until the page keeps it.

    (It used to take several tries: the first view change after the page loaded was undone
    by a rebuilt map; see test_the_first_pan_after_the_page_loads_is_kept.)
    """
    ready = (f"() => !!window.map && Math.abs(window.map.getZoom() - {zoom}) < 0.01 && "
             f"Math.abs(window.map.getCenter().lat - {lat}) < 1e-4")
    for _ in range(tries):
        frame.evaluate(f"() => {{ window.map.setView([{lat}, {lon}], {zoom}, "
                       "{animate: false}); }")
        page.wait_for_timeout(1500)
        settle(page)  # the new view is reported (one rerun)
        page.wait_for_timeout(1500)
        settle(page)
        frame = map_frame(page)
        if frame.evaluate(ready):
            return frame
    raise AssertionError(f"the view {lat}, {lon}, {zoom} was never kept")


def _px_dist(a, b):
    return ((a["x"] - b["x"]) ** 2 + (a["y"] - b["y"]) ** 2) ** 0.5


def test_a_click_on_a_home_over_its_village_names_the_village(page, app_url):
    frame = _open(page, app_url)
    pts = frame.evaluate(POINTS)
    homes = [f for f in pts["fs"] if f["id"].endswith("children_home")]
    # a home whose square sits inside exactly one village circle, no other symbol nearby
    pick = None
    for h in homes:
        under = [v for v in pts["vs"] if _px_dist(v, h) < v["r"] - 1]
        close = [v for v in pts["vs"] if _px_dist(v, h) < v["r"] + 3]
        others = [f for f in pts["fs"] if f is not h and _px_dist(f, h) < 18]
        if len(under) == len(close) == 1 and not others:
            pick = (h, under[0])
            break
    assert pick is not None
    home, village = pick
    row = DATA.villages.set_index("village_code").loc[village["code"]]
    frow = DATA.facilities.set_index("facility_id").loc[home["id"]]
    items = _click(page, frame, home)  # on the home's square
    assert [i["kind"] for i in items] == ["village", "facility"]
    assert items[0]["rows"]["村代码"] == village["code"]
    assert items[0]["rows"]["常住儿童"] == f"{int(row['resident_children']):,}"
    assert items[1]["rows"]["名称"] == frow["name"]
    assert frame.locator(".cp-identify").inner_text().startswith("此处有 2 个要素")
    # what the map hands the page (streamlit-folium's last_active_drawing) is the village,
    # not the home. (That the page then filters its table is NOT checked here: right after
    # the page loads, the page's next run rebuilds the map and drops the report — known,
    # on main too; tests/e2e/test_pages.py checks the table after a search.)
    page.wait_for_timeout(500)
    drawn = frame.evaluate("() => window.__GLOBAL_DATA__.last_active_drawing.properties")
    assert drawn["village_code"] == village["code"] and "facility_id" not in drawn
    shot(page, "map_click_home_over_village_zh")
    assert page.blocked == []


def test_identify_a_facility_and_a_danger_reach(page, app_url):
    frame = _open(page, app_url)
    # the county's child welfare institution
    f = DATA.facilities[DATA.facilities["kind"] == "welfare_institution"].iloc[0]
    items = _click(page, frame, frame.evaluate(PX, [f.geometry.y, f.geometry.x]))
    # at the county view several symbols lie under the click: every one is listed
    fac = [i["rows"] for i in items if i["kind"] == "facility" and i["rows"]["名称"] == f["name"]]
    assert len(fac) == 1, items
    vname = DATA.villages.set_index("village_code")["name"].get(f["village_code"], "—")
    tcode = f["township_code"] if isinstance(f["township_code"], str) and f["township_code"] \
        else str(f["village_code"])[:9]
    assert fac[0] == {
        "名称": f["name"], "类型": FACILITY_KINDS["welfare_institution"][0], "状态": "现有",
        "容量（儿童）": "—" if np.isnan(f["capacity"]) else f"{int(f['capacity']):,}",
        "所在村（社区）": vname, "乡镇（街道）": TW[tcode]}
    shot(page, "map_identify_facility_zh")

    # the first danger reach of the 防溺水 page: its line, the villages within 500 m of it
    from geo.hazards import analyse_hazards

    pol = load_policy()
    an = analyse_hazards(DATA, pol)
    reach = an.reaches[an.reaches["reach_id"] == an.spots.sort_values("rank")["reach_id"].iloc[0]]
    crs = DATA.metric_crs
    line = reach.to_crs(crs).geometry.iloc[0]
    vm = DATA.villages.to_crs(crs)
    near = sorted((g.distance(line), n) for n, g in zip(vm["name"], vm.geometry, strict=True)
                  if g.distance(line) <= pol.hazards.buffer_m)
    # click where the line is farthest from any village or facility
    others = shapely.union_all(list(vm.geometry) + list(DATA.facilities.to_crs(crs).geometry))
    cands = [line.interpolate(x, normalized=True) for x in np.linspace(0.05, 0.95, 37)]
    best = max(cands, key=lambda p: p.distance(others))
    ll = gpd.GeoSeries([best], crs=crs).to_crs(4326).iloc[0]
    items = _click(page, frame, frame.evaluate(PX, [ll.y, ll.x]))
    got = [i["rows"] for i in items if i["kind"] == "reach" and i["rows"]["排名"] == "1"]
    assert len(got) == 1, items
    r = reach.iloc[0]
    assert got[0]["水体名称"] == (r["name"] or "（未命名）")
    assert got[0]["水体类型"] == WATER_KINDS[r["kind"]][0]
    assert got[0]["长度"] == f"{line.length:,.0f} 米"
    assert got[0]["排名"] == "1"
    assert got[0]["河长"] == r["chief"]
    assert got[0]["500 米内的村（社区）"].startswith("、".join(n for _, n in near[:8]))
    assert f"500 米内常住儿童 {int(r['children_within']):,} 人" in got[0]["为何危险"]
    shot(page, "map_identify_reach_zh")
    assert page.blocked == []


def test_one_layer_panel_and_the_legend_follows_it(page, app_url):
    frame = _open(page, app_url)
    main = page.locator("[data-testid='stMain']").inner_text()
    assert "图层" not in main.split("属性表")[0]  # no picker of the page's own above the map
    legend = frame.evaluate(LEGEND)
    assert "儿童之家" in legend and "危险河段" in legend
    assert "村小" not in legend and "桥梁/过河点" not in legend  # unticked: not listed
    frame.locator(".leaflet-control-layers").hover()
    names = frame.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    names = [n.strip() for n in names]
    for want in ("乡镇（街道）", "水系", "桥梁/过河点", "危险河段", "村（社区）", "儿童之家", "村小"):
        assert want in names, (want, names)
    frame.locator(".leaflet-control-layers-overlays label", has_text="村小").click()
    frame.locator(".leaflet-control-layers-overlays label", has_text="桥梁/过河点").click()
    page.wait_for_timeout(300)
    legend = frame.evaluate(LEGEND)
    assert "村小" in legend and "桥梁/过河点" in legend
    frame.locator(".leaflet-control-layers-overlays label", has_text="儿童之家").click()
    page.wait_for_timeout(300)
    assert "儿童之家" not in frame.evaluate(LEGEND)
    shot(page, "map_layers_legend_zh")
    assert page.blocked == []


def test_the_first_pan_after_the_page_loads_is_kept(page, app_url):
    """The planner's first move on a freshly loaded map stays: the map is not rebuilt by the
    page's next run (it was: streamlit-folium keys its map by a hash of the script, and the
    script changed once a view was kept), and the page does not hand back an older view."""
    page.goto(app_url)
    page.get_by_text(TITLE).wait_for()
    frame = map_frame(page, "() => !!window.map && document.querySelectorAll('.cp-legend').length")
    page.wait_for_timeout(4000)  # the fitted view is reported (one rerun)
    frame.evaluate("() => { window.__same_map = true; }")
    v = DATA.villages.iloc[0].geometry
    frame.evaluate(f"() => {{ window.map.setView([{v.y}, {v.x}], 15, {{animate: false}}); }}")
    page.wait_for_timeout(3000)
    settle(page)  # the pan is reported; the page runs again
    page.wait_for_timeout(2000)
    settle(page)
    frames = [f for f in page.frames if "streamlit_folium" in (f.url or "") and not f.is_detached()]
    assert len(frames) == 1
    state = frames[0].evaluate("""() => ({same: !!window.__same_map, zoom: window.map.getZoom(),
        lat: window.map.getCenter().lat, lng: window.map.getCenter().lng})""")
    assert state["same"], "the map was rebuilt"
    assert state["zoom"] == 15
    assert abs(state["lat"] - v.y) < 1e-6 and abs(state["lng"] - v.x) < 1e-6
    assert page.blocked == []


def test_after_a_staffing_solve_a_village_panel_gives_its_directors(page, app_url):
    """Solve staffing, then click a village on the map: 儿童主任（需/配） equals the plan's own
    numbers for that village (run here through the same workflow), and no person is named."""
    from childplan.workflows import run_staffing

    plan = run_staffing(DATA, load_policy()).villages.set_index("village_code")
    page.goto(app_url + "/staffing")
    page.get_by_text("北碚区 · 人员配置").wait_for()
    settle(page)
    page.get_by_role("button", name="求解人员配置").click()
    page.get_by_text("儿童主任（需/配）").first.wait_for(timeout=180_000)
    settle(page, 120_000)
    page.locator("[data-testid='stSidebarNav']").get_by_text("地图", exact=True).click()
    page.get_by_text(TITLE).wait_for()
    frame = map_frame(page, "() => !!window.map && document.querySelectorAll('.cp-legend').length")
    page.wait_for_timeout(2500)
    settle(page)
    page.locator("iframe[title*='streamlit_folium']").evaluate(
        "e => e.scrollIntoView({block: 'end'})")
    page.wait_for_timeout(500)
    frame = map_frame(page, "() => !!window.map && document.querySelectorAll('.cp-legend').length")
    pts = frame.evaluate(POINTS)
    # a village whose circle has no other symbol within 18 px: the click lands on it alone
    lone = [v for v in pts["vs"] if all(_px_dist(v, o) > 18 for o in pts["vs"] + pts["fs"]
                                        if o is not v)]
    assert lone
    village = lone[0]
    items = _click(page, frame, village)
    rows = [i["rows"] for i in items if i["kind"] == "village"]
    assert len(rows) == 1 and rows[0]["村代码"] == village["code"]
    want = plan.loc[village["code"]]
    assert rows[0]["儿童主任（需/配）"] == (f"{int(want['directors_needed']):,} / "
                                          f"{int(want['directors_assigned']):,}")
    assert "person" not in frame.locator(".cp-identify").inner_text().lower()
    shot(page, "map_identify_directors_zh")
    assert page.blocked == []
