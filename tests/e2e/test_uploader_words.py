"""Streamlit's file uploader draws "Upload" and "200MB per file • …" in English only; the app
draws the catalogue's words in their place (childplan.ui.uploader_words). Checked in Chromium:
what the browser draws (the ::after content, read back through the CSS escapes), that the
English text is hidden, and the limit read from Streamlit's own setting."""

from __future__ import annotations

import pytest

from geo.i18n import t
from tests.e2e.conftest import click_until, settle, shot

pytestmark = pytest.mark.e2e

DRAWN = """() => {
  const zone = document.querySelector("[data-testid='stFileUploaderDropzone']");
  const p = zone.querySelector("button [data-testid='stMarkdownContainer'] p");
  const s = document.querySelector("[data-testid='stFileUploaderDropzoneInstructions'] span");
  const after = e => getComputedStyle(e, '::after').content;
  return {button: after(p), limit: after(s),
          hidden: [getComputedStyle(p).visibility, getComputedStyle(s).visibility],
          english: [p.textContent, s.textContent]};
}"""


def test_the_uploader_speaks_the_pages_language(page, app_url):
    page.goto(app_url + "/data")
    page.wait_for_selector("[data-testid='stFileUploaderDropzone']", timeout=120_000)
    settle(page)
    for lang in ("zh", "en"):
        if lang == "en":
            click_until(page, page.get_by_text("English").first, "Check and use")
            settle(page)
        drawn = page.evaluate(DRAWN)
        shot(page, f"uploader_{lang}")
        # computed content is the string as the browser decoded it from the escapes
        assert drawn["button"] == '"' + t("uploader_button", lang) + '"'
        assert drawn["limit"] == '"' + t("uploader_limit", lang).format(mb=200) + '"'
        assert drawn["hidden"] == ["hidden", "hidden"]
        # Streamlit's English is still in the DOM (hidden), which is how we know we replaced it
        assert drawn["english"][0] == "Upload" and "200MB per file" in drawn["english"][1]
    assert page.blocked == []
