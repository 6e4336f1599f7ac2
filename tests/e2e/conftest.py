"""Start the real app and drive Debian's Chromium with Playwright, with no network but localhost.

Every request the page makes to anything but 127.0.0.1/localhost is aborted and recorded, so
a test fails if the app needs the internet. Screenshots go to ``test-artifacts/`` (kept by CI).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("CHILDPLAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


#: The app's scenario/checklist store during the tests (never the planner's ~/.childplan).
APP_STORE = Path(tempfile.mkdtemp(prefix="childplan-e2e-")) / "childplan.gpkg"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """The app, started as a planner would start it, on a free local port.

    Its scenario store is a temporary file, never the planner's ~/.childplan.
    """
    port = _free_port()
    env = dict(os.environ)
    env["CHILDPLAN_STORE"] = str(APP_STORE)
    for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(k, None)
    log = open(ARTIFACTS.joinpath("streamlit.log") if ARTIFACTS.mkdir(exist_ok=True) is None
               else os.devnull, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("streamlit exited; see test-artifacts/streamlit.log")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("streamlit did not start within 90 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make install-test` "
                    "(installs Debian's chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh page whose requests outside localhost are refused (and recorded)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN",
                                  accept_downloads=True)
    pg = context.new_page()
    pg.blocked = []

    def guard(route):
        host = urlparse(route.request.url).hostname or ""
        if host in ("127.0.0.1", "localhost") or route.request.url.startswith(("data:", "blob:",
                                                                               "about:")):
            route.continue_()
        else:
            pg.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def map_frame(page, ready: str = "() => !!(window.map && window.L)", timeout: float = 90):
    """The streamlit-folium iframe holding the Leaflet map, once ``ready`` is true in it.

    Frames are re-queried on every try: a rerun may replace the iframe (a detached frame is
    simply skipped).
    """
    page.wait_for_selector("iframe[title*='streamlit_folium']", timeout=timeout * 1000)
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        for fr in page.frames:
            if "streamlit_folium" in (fr.url or "") and not fr.is_detached():
                try:
                    if fr.evaluate(ready):
                        return fr
                    seen.append(fr.evaluate(PROBE))
                except Exception as exc:
                    seen.append(str(exc)[:60])
        page.wait_for_timeout(500)  # not time.sleep: routed requests need the event loop
    shot(page, "failure_map_frame")
    raise AssertionError(f"the map never satisfied {ready[:80]!r} inside its iframe; "
                         f"last probes: {seen[-3:]}")


PROBE = """() => {
    if (!window.map) return 'no map';
    let v = 0;
    window.map.eachLayer(l => { if (l.feature && l.feature.properties
        && l.feature.properties.village_code && !l.feature.properties.facility_id) v++; });
    return 'villages=' + v;
}"""


def click_until(page, locator, expect_text: str, tries: int = 4) -> None:
    """Click ``locator`` until ``expect_text`` shows.

    Streamlit's frontend may send the widget's previous value for a click made while the
    first run of a cold-started server is settling; a second click then goes through. A
    planner would simply click again; the test does the same and fails after ``tries``.
    """
    for _ in range(tries):
        locator.click()
        try:
            page.get_by_text(expect_text).first.wait_for(timeout=8000)
            return
        except Exception:
            continue
    raise AssertionError(f"{expect_text!r} never appeared after {tries} clicks")


# Streamlit marks its root with the script's state; its "Running…" widget is not drawn in this
# app, and during a long solve no element is marked stale, so neither of those tells a run
# under way from an idle page. The root's attribute does.
BUSY = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    const state = app ? app.getAttribute('data-test-script-state') : 'initial';
    return ['running', 'rerunRequested', 'initial'].includes(state)
        || !!document.querySelector("[data-stale='true'], [data-testid='stStatusWidget']");
}"""


def settle(page, timeout_ms: int = 120_000) -> None:
    """Wait until Streamlit is idle: no run under way, no element drawn stale, for 1.2 s."""
    quiet = 0
    for _ in range(timeout_ms // 400):
        try:
            busy = page.evaluate(BUSY)
        except Exception:  # the page is navigating: not idle
            busy = True
        quiet = 0 if busy else quiet + 1
        if quiet >= 3:
            return
        page.wait_for_timeout(400)
    raise AssertionError("the page never settled")


def uploader_input(page, label):
    """The file input of the uploader whose label matches ``label`` (a regex).

    Never ``input[type=file]`` first: while the page is drawn the inputs appear in no fixed
    order (on a fresh clone the first one found was the partial-count table's).
    """
    import re

    return page.locator("[data-testid='stFileUploader']").filter(
        has_text=re.compile(label)).locator("input[type=file]")
