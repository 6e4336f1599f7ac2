"""Install the offline bundle and use it, inside a network namespace with only loopback.

Run by tests/test_bundle.py as ``unshare -n python tests/bundle_offline.py ARCHIVE WORKDIR``
(also by hand). Writes ``WORKDIR/result.json`` with what happened and how long it took; the
test asserts on it. Never needs the network: it checks first that there is none.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = os.environ.get("CHILDPLAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]

COUNT_VILLAGE_MARKERS = """() => {
    if (!(window.map && window.L)) return -1;
    let n = 0;
    window.map.eachLayer(l => {
        if (l instanceof L.CircleMarker && l.feature && l.feature.properties
            && l.feature.properties.village_code && !l.feature.properties.facility_id) n++;
    });
    return n;
}"""


def _no_network() -> str:
    """How an outside connection fails here (it must)."""
    try:
        socket.create_connection(("1.1.1.1", 80), timeout=3).close()
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    raise SystemExit("the network is reachable: run me under `unshare -n`")


def _run(cmd, cwd, env, timeout=900):
    t0 = time.time()
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return {"rc": p.returncode, "out": p.stdout[-4000:], "err": p.stderr[-4000:],
            "seconds": round(time.time() - t0, 2)}


def _browse(url: str, started: float) -> dict:
    from playwright.sync_api import sync_playwright

    bad, outside = [], []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        ctx = b.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page = ctx.new_page()
        page.on("response", lambda r: bad.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("requestfailed", lambda r: (outside if "127.0.0.1" not in r.url else bad).append(
            f"failed {r.url}"))
        page.goto(url)
        page.get_by_text("北碚区 · 地图").wait_for(timeout=120_000)
        page.wait_for_selector("iframe[title*='streamlit_folium']", timeout=120_000)
        markers, deadline = -1, time.time() + 120
        while time.time() < deadline and markers <= 0:
            for fr in page.frames:
                if "streamlit_folium" in (fr.url or "") and not fr.is_detached():
                    try:
                        markers = max(markers, fr.evaluate(COUNT_VILLAGE_MARKERS))
                    except Exception:  # a frame replaced by a rerun
                        pass
            if markers <= 0:
                page.wait_for_timeout(250)
        drawn = time.time() - started
        page.wait_for_timeout(1000)
        page.screenshot(path=str(Path(os.environ["BUNDLE_WORK"]) / "map.png"), full_page=True)
        b.close()
    return {"village_markers": markers, "map_drawn_seconds": round(drawn, 2),
            "bad_responses": bad, "outside_requests": outside}


def main(archive: str, work: str) -> int:
    work_dir = Path(work).resolve()
    os.environ["BUNDLE_WORK"] = str(work_dir)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    result: dict = {"no_network": _no_network(), "archive_bytes": Path(archive).stat().st_size}
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith(
        ("PIP_", "PYTHON", "VIRTUAL_ENV", "CHILDPLAN_"))}
    env["HOME"] = str(work_dir / "home")
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
    env["CHILDPLAN_STORE"] = str(work_dir / "home" / "store.gpkg")
    Path(env["HOME"]).mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(work_dir / "unpacked", filter="data")
    (bundle,) = (work_dir / "unpacked").iterdir()
    prefix = work_dir / "prefix"
    result["install"] = _run(["bash", str(bundle / "install.sh"), "--prefix", str(prefix),
                              "--no-start"], cwd=bundle, env=env)
    elsewhere = work_dir / "elsewhere"  # neither the bundle nor the prefix nor a checkout
    elsewhere.mkdir()
    exe = str(prefix / "childplan")
    result["version"] = _run([exe, "--version"], elsewhere, env)
    result["validate"] = _run([exe, "validate"], elsewhere, env)
    result["site"] = _run([exe, "site", "--out", "out"], elsewhere, env)
    result["site_files"] = sorted(p.name for p in (elsewhere / "out").glob("*"))
    result["top_level"] = sorted(p.name for p in next(prefix.glob("venv/lib/python3*/site-packages")).iterdir()
                                 if p.name in ("geo", "optimization", "app_pages", "data", "app.py"))

    port = 8599
    log = open(work_dir / "app.log", "w")
    started = time.time()
    app = subprocess.Popen([exe, "app", "--port", str(port)], cwd=elsewhere, env=env, stdout=log,
                           stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 180
        while True:
            if app.poll() is not None or time.time() > deadline:
                result["health_seconds"] = None
                break
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        result["health_seconds"] = round(time.time() - started, 2)
                        break
            except OSError:
                time.sleep(0.2)
        if result["health_seconds"] is not None:
            result["browser"] = _browse(url, started)
    finally:
        app.terminate()
        try:
            app.wait(timeout=15)
        except subprocess.TimeoutExpired:
            app.kill()
        log.close()
    result["app_log"] = (work_dir / "app.log").read_text(errors="replace")[-6000:]
    result["home_files"] = sorted(str(p.relative_to(work_dir / "home"))
                                  for p in (work_dir / "home").rglob("*") if p.is_file())[:50]
    (work_dir / "result.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
