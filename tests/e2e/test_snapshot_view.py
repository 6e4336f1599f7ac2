"""A snapshot of the view the planner is looking at, not only of the whole county (issue 17)."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.e2e.conftest import map_frame, shot
from tests.e2e.test_pages import PAGES, download

pytestmark = pytest.mark.e2e


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True,
                          check=True).stdout


def _bar_m(text: str) -> float:
    """The scale bar's length in metres (its label is the only "<n> km" / "<n> m" on the map)."""
    bar = re.findall(r"(?m)^(\d+(?:\.\d+)?) (km|m)$", text)
    assert len(bar) == 1, bar
    v, unit = bar[0]
    return float(v) * (1000 if unit == "km" else 1)


def _idle(page, timeout_ms: int = 90_000) -> None:
    """Wait until the app has finished its rerun (no element left greyed out as stale)."""
    page.wait_for_timeout(800)
    page.wait_for_function("() => document.querySelectorAll(\"[data-stale='true']\").length === 0",
                           timeout=timeout_ms)
    page.wait_for_timeout(500)


def test_snapshot_of_the_current_view(page, app_url):
    page.goto(app_url)
    page.get_by_text(PAGES["map"][0]).wait_for()
    fr = map_frame(page)
    # zoom in on the county's centre: the view is a few km across
    fr.evaluate("() => { const c = window.map.getBounds().getCenter();"
                " window.map.setView(c, 14, {animate: false}); }")
    page.wait_for_timeout(3000)  # the bounds reach the app, which reruns
    page.get_by_text("当前视图", exact=True).click()
    page.get_by_role("button", name="导出地图快照（PNG/PDF）").click()
    pdf = download(page, "下载 PDF")
    text = _pdf_text(pdf.path())
    assert "北碚区 · 地图 · 当前视图" in text
    view_bar = _bar_m(text)
    shot(page, "map_snapshot_view")
    # the whole county is still one click away
    page.get_by_text("整个区县", exact=True).click()
    _idle(page)
    shot(page, "map_snapshot_county_debug")  # the whole-county snapshot replaces the view's download buttons
    pdf = download(page, "下载 PDF")
    text = _pdf_text(pdf.path())
    assert "当前视图" not in text
    # a zoom-14 view is a fraction of the county: its scale bar is several times shorter
    assert view_bar * 4 <= _bar_m(text), (view_bar, _bar_m(text))
    assert page.blocked == []
