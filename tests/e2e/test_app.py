"""The app in a real browser: opens on 北碚区 with every layer drawn and no network."""

from __future__ import annotations

import pytest

from geo.i18n import problem_label
from geo.layers import load_demo
from tests.e2e.conftest import click_until, map_frame, settle, shot, uploader_input

pytestmark = pytest.mark.e2e

COUNT_VILLAGE_MARKERS = """() => {
    let n = 0;
    window.map.eachLayer(l => {
        if (l instanceof L.CircleMarker && l.feature && l.feature.properties
            && l.feature.properties.village_code && !l.feature.properties.facility_id) n++;
    });
    return n;
}"""

LAYER_SUMMARY = """() => {
    const out = {polygons: 0, lines: 0, circles: 0};
    window.map.eachLayer(l => {
        if (l instanceof L.CircleMarker) out.circles++;
        else if (l instanceof L.Polygon) out.polygons++;
        else if (l instanceof L.Polyline) out.lines++;
    });
    out.legend = !!document.querySelector('.cp-legend');
    out.synthetic = (document.querySelector('.cp-synthetic') || {}).innerText || '';
    out.scale = !!document.querySelector('.leaflet-control-scale');
    out.tiles = document.querySelectorAll('.leaflet-tile').length;
    return out;
}"""


def test_map_page_draws_every_layer_offline(page, app_url):
    data = load_demo("500109")
    page.goto(app_url)
    page.get_by_text("北碚区 · 地图").wait_for()
    frame = map_frame(page, f"() => !!window.map && ({COUNT_VILLAGE_MARKERS})() > 0")
    assert frame.evaluate(COUNT_VILLAGE_MARKERS) == len(data.villages)
    summary = frame.evaluate(LAYER_SUMMARY)
    assert summary["legend"] and summary["scale"]
    assert summary["tiles"] == 0  # no online tiles: our own layers are the basemap
    assert summary["synthetic"].startswith("示意数据")
    # township polygons + county + water polygons, river/stream lines
    assert summary["polygons"] >= len(data.townships) + 1
    assert summary["lines"] >= 1
    settle(page)   # the map reports its view back once after loading: shoot the page at rest
    shot(page, "map_beibei_zh")
    assert page.blocked == [], f"the page tried to reach the internet: {page.blocked[:5]}"


def test_switch_language_and_county(page, app_url):
    page.goto(app_url)
    page.get_by_text("北碚区 · 地图").wait_for()
    map_frame(page)  # the first run has finished
    click_until(page, page.get_by_text("English", exact=True), "北碚区 · Map")
    # pick 长汀县 in the data-source select box
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").click()
    page.get_by_role("option", name="长汀县 · 350821").click()  # one label in both languages
    page.get_by_text("长汀县 · Map").wait_for()
    data = load_demo("350821")
    frame = map_frame(page, f"() => !!window.map && ({COUNT_VILLAGE_MARKERS})() == "
                            f"{len(data.villages)}")
    assert frame.evaluate(COUNT_VILLAGE_MARKERS) == len(data.villages)
    page.wait_for_timeout(1500)
    shot(page, "map_changting_en")
    assert page.blocked == []


def test_data_page_shows_the_same_report_as_the_cli(page, app_url, tmp_path):
    """Upload a villages CSV with two bad rows; the page's table equals `childplan validate`."""
    import subprocess
    import sys

    import pandas as pd

    data = load_demo("500109")
    v = data.villages.drop(columns=["geometry", "_row"]).copy()
    v["lon"] = data.villages.geometry.x.round(6)
    v["lat"] = data.villages.geometry.y.round(6)
    v = v.astype(object)
    v.loc[3, "resident_children"] = -4
    v.loc[7, "left_behind"] = int(v.loc[7, "resident_children"]) + 5
    csv = tmp_path / "villages.csv"
    v.to_csv(csv, index=False, encoding="utf-8-sig")

    cli = subprocess.run(
        [sys.executable, "-m", "childplan.cli", "validate", str(csv), "--base", "500109",
         "--format", "csv", "--lang", "zh"], capture_output=True, text=True)
    assert cli.returncode == 1
    from io import StringIO

    cli_table = pd.read_csv(StringIO(cli.stdout), dtype=str).fillna("")
    # the kinds of problem in words (issue 16; the 代码 column only with --codes)
    assert set(cli_table["问题类型"]) >= {problem_label("negative_count"),
                                         problem_label("left_behind_exceeds_resident")}
    assert "代码" not in cli_table.columns and "villages" not in set(cli_table["图层"])

    page.goto(app_url + "/data")
    page.get_by_text("上传数据").wait_for()
    # the data files' uploader, by its label (others take a mapping template, a partial table)
    uploader_input(page, "上传本区县的数据文件").set_input_files(str(csv))
    page.get_by_text("villages.csv").first.wait_for()
    settle(page)  # the upload's rerun enables the button; under load it comes late
    check = page.get_by_role("button", name="检查并使用")
    for _ in range(60):
        if check.is_enabled():
            break
        page.wait_for_timeout(2000)
    check.click()
    page.locator("[data-testid='stAlertContentError']").first.wait_for()
    assert "个错误" in page.locator("[data-testid='stAlertContentError']").first.inner_text()
    page.wait_for_timeout(800)
    shot(page, "data_upload_report_zh")
    # the table on the page, exported through its download button, equals the CLI's
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载 CSV").click()
    path = dl.value.path()
    page_table = pd.read_csv(path, dtype=str, encoding="utf-8-sig").fillna("")
    cols = ["级别", "问题类型", "图层", "文件", "行/要素", "编号", "列", "值", "问题", "处理办法"]
    assert page_table[cols].to_dict("records") == cli_table[cols].to_dict("records")
    assert page.blocked == []
