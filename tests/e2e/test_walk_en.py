"""Issue 16's English page walk: every page in English, after its solve where it has one, shows
no Chinese in its visible text (main area and sidebar) except what an English reader is meant to
see in Chinese:

- names from the data: the county, province, prefecture, townships, villages, facilities and
  waters of every embedded county (read from the data here, not written out);
- the policy documents' titles, 文号 and issuers (read from optimization/policy.toml);
- two terms of art, each in brackets after its English: Dibao/Tekun (低保/特困) and
  "village lifted out of poverty (原建档立卡贫困村)" — the words a county's files carry;
- the names of the scenarios saved in the app's store (the planner's own words; other e2e tests
  save scenarios named in Chinese before this walk may run);
- the sidebar's language switch "语言 / Language" · 中文, bilingual so that either reader finds it;
- the maps' 示意数据 mark ("示意数据 · synthetic data"): kept in Chinese in both languages so that
  a map printed from the English pages cannot pass for real data in a Chinese office.

The maps (iframes) are read too.

Tables drawn by st.dataframe are in the page's text only for the rows on screen (the grid is
virtual); tests/test_i18n_data_page.py and tests/test_i18n_walk.py check every cell.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from tests.e2e.conftest import APP_STORE, ARTIFACTS, click_until, settle, shot

pytestmark = pytest.mark.e2e

PAGES = [("", "北碚区 · Map", None), ("siting", "北碚区 · Children's homes", "Solve siting"),
         ("phased", "北碚区 · Plan by year", "Solve the plan by year"),
         ("staffing", "北碚区 · Staffing", "Solve staffing"), ("funding", "北碚区 · Funding", None),
         ("hazards", "北碚区 · Drowning risk", None), ("scenarios", "北碚区 · Scenarios", None),
         ("batch", "Batch planning", None), ("data", "Data · 北碚区", None)]
ZH_TITLES = {"": "北碚区 · 地图", "siting": "北碚区 · 儿童之家选址", "phased": "北碚区 · 分年度计划",
             "staffing": "北碚区 · 人员配置", "funding": "北碚区 · 经费分配", "hazards": "北碚区 · 防溺水",
             "scenarios": "北碚区 · 情景对比", "batch": "批量规划", "data": "数据 · 北碚区"}

# main area and sidebar, without Material icon ligatures
VISIBLE_TEXT = """() => {
  const out = [];
  for (const sel of ["[data-testid='stMain']", "[data-testid='stSidebar']"]) {
    const el = document.querySelector(sel);
    if (!el) continue;
    const c = el.cloneNode(true);
    c.querySelectorAll("[data-testid='stIconMaterial'], .material-icons, "
                       + "[translate='no']").forEach(e => e.remove());
    out.push(c.innerText);
  }
  return out.join("\\n");
}"""
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
TERMS_OF_ART = ("(低保/特困)", "(原建档立卡贫困村)")
LANGUAGE_SWITCH = ("语言 / Language", "中文")
SYNTHETIC_MARK = "示意数据 · synthetic data"


@cache
def allowed() -> tuple[str, ...]:
    """Every Chinese string an English page may show, longest first."""
    from geo.layers import demo_adcodes, load_demo
    from optimization.policy import load_documents

    names: set[str] = set()
    for code in demo_adcodes():
        data = load_demo(code)
        names |= {str(v) for c in ("name", "province", "prefecture") for v in data.county[c]}
        for layer in ("townships", "villages", "facilities", "waterways"):
            names |= {str(v) for v in getattr(data, layer)["name"] if str(v)}
    for d in load_documents().values():
        names |= {d.title, f"《{d.title}》", d.number, d.issuer}
    names |= set(TERMS_OF_ART) | set(LANGUAGE_SWITCH) | {SYNTHETIC_MARK}
    return tuple(sorted((n for n in names if n), key=len, reverse=True))

def saved_names() -> tuple[str, ...]:
    """The scenario names in the app's store now (user data, shown as typed)."""
    from childplan.store import Store

    if not APP_STORE.exists():
        return ()
    with Store(APP_STORE) as st:
        return tuple(n for n in st.names() if n)


SOLVED = """busy => !document.querySelector("[data-testid='stMain']").innerText.includes(busy)"""


def stray_chinese(text: str, names: tuple[str, ...]) -> dict[str, str]:
    """Runs of Chinese left after the allowed strings are taken out -> where the first one is."""
    for n in names:
        text = text.replace(n, " ")
    found: dict[str, str] = {}
    for m in CJK.finditer(text):
        found.setdefault(m[0], text[max(0, m.start() - 30):m.end() + 30].replace("\n", " | "))
    return found


def test_stray_chinese_finds_untranslated_words():
    names = ("北碚区", "(低保/特困)")
    assert stray_chinese("北碚区 · Map · children of Dibao/Tekun (低保/特困) families", names) == {}
    assert stray_chinese("Status：已找到 · 已找到", names) == {"：已找到": "Status：已找到 · 已找到",
                                                          "已找到": "Status：已找到 · 已找到"}


def test_the_allowed_names_come_from_the_data():
    names = allowed()
    assert "北碚区" in names and "长汀县" in names  # the two embedded counties
    assert "天生街道" in names and "新星路社区" in names  # a township and a village of 北碚
    assert "吉民发〔2018〕41号" in names


def frame_texts(page) -> list[str]:
    """The text of every map (streamlit-folium iframe) on the page."""
    out = []
    for fr in page.frames:
        if fr is page.main_frame or fr.is_detached():
            continue
        try:
            out.append(fr.evaluate("() => document.body ? document.body.innerText : ''"))
        except Exception:  # a frame replaced by a rerun while read
            continue
    return out


@pytest.mark.parametrize(("path", "title", "button"), PAGES)
def test_every_page_in_english_shows_no_stray_chinese(page, app_url, path, title, button):
    page.goto(f"{app_url}/{path}")
    page.get_by_text(ZH_TITLES[path]).first.wait_for(timeout=60_000)
    settle(page)
    click_until(page, page.get_by_text("English", exact=True), title)
    settle(page)
    if button:
        page.get_by_role("button", name=button).first.click()
        page.wait_for_timeout(1500)
        settle(page, 240_000)
        # the solve's status box says "Solving…" until it ends ("Done" or the error)
        page.wait_for_function(SOLVED, arg="Solving…", timeout=240_000)
        settle(page)
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stSkeleton']\")", timeout=240_000)
    settle(page)
    shot(page, f"walk_en_{path or 'map'}")
    text = page.evaluate(VISIBLE_TEXT) + "\n" + "\n".join(frame_texts(page))
    (ARTIFACTS / f"walk_en_{path or 'map'}.txt").write_text(text, encoding="utf-8")
    names = tuple(sorted(set(allowed()) | set(saved_names()), key=len, reverse=True))
    assert stray_chinese(text, names) == {}
    assert page.blocked == []
