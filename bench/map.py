"""How fast the county map draws: the demo county and a synthetic 5,000-village county.

Usage: .venv/bin/python bench/map.py
For each case: time to build the folium map in Python, HTML size, and in Debian's Chromium
(Playwright, offline, the Leaflet assets inlined) the time until every village marker is on the
canvas and the time a zoom-in and a pan take to finish (map 'moveend'), i.e. responsiveness.
Never asserted.
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.layers import load_demo  # noqa: E402
from geo.maps import build_county_map  # noqa: E402
from geo.offline import map_html  # noqa: E402

COUNT = """() => { let n = 0; window._map.eachLayer(l => { if (l instanceof L.CircleMarker &&
  l.feature && l.feature.properties.village_code) n++; }); return n; }"""


def synthetic_county(n: int, seed: int = 0):
    """The 长汀县 boundary and townships with ``n`` synthetic villages inside them."""
    base = load_demo("350821")
    rng = np.random.default_rng(seed)
    tw = base.townships.to_crs(base.metric_crs)
    pts, codes, tcodes = [], [], []
    areas = tw.area.to_numpy() / tw.area.sum()
    per = rng.multinomial(n, areas)
    for (code, geom), k in zip(zip(tw["township_code"], tw.geometry, strict=True), per,
                               strict=True):
        minx, miny, maxx, maxy = geom.bounds
        got = []
        while len(got) < k:
            cand = shapely.points(rng.uniform(minx, maxx, 4 * k + 8), rng.uniform(miny, maxy,
                                                                                    4 * k + 8))
            got.extend(p for p in cand[shapely.contains(geom, cand)])
        pts.extend(got[:k])
        codes.extend(f"{code}{i:03d}" if i < 1000 else f"{code[:6]}9{i:05d}" for i in range(k))
        tcodes.extend([code] * k)
    v = gpd.GeoDataFrame({
        "village_code": codes, "name": [f"村{i}" for i in range(n)], "township_code": tcodes,
        "kind": "village", "resident_children": rng.integers(30, 600, n),
        "left_behind": rng.integers(0, 60, n), "orphan": 0, "unsupported": rng.integers(0, 3, n),
        "illness_disability": rng.integers(0, 4, n), "dibao_tekun": rng.integers(0, 8, n),
        "difficulty_other": 0, "key_attention": rng.integers(0, 3, n), "is_synthetic": True,
    }, geometry=gpd.GeoSeries(pts, crs=base.metric_crs).to_crs(4326))
    return dataclasses.replace(base, villages=v, name=f"合成县 {n} 村")


def browser_times(html: str, n_villages: int) -> tuple[float, float, float]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        f = Path(tmp) / "map.html"
        f.write_text(html, encoding="utf-8")
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page(viewport={"width": 1400, "height": 900})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                   else r.abort())
        t0 = time.perf_counter()
        page.goto(f.as_uri())
        page.wait_for_function("() => !!window.L")
        page.evaluate("""() => { for (const k in window) { try { if (window[k] instanceof L.Map)
            window._map = window[k]; } catch (e) {} } }""")
        page.wait_for_function(f"() => ({COUNT})() >= {n_villages}", timeout=120_000)
        t_draw = time.perf_counter() - t0

        def timed(js):
            page.evaluate("() => { window._done = false; window._map.once('moveend', () => "
                          "{ window._done = true; }); }")
            t = time.perf_counter()
            page.evaluate(js)
            page.wait_for_function("() => window._done")
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                          "requestAnimationFrame(r)))")
            return time.perf_counter() - t

        t_zoom = timed("() => { window._map.setZoom(window._map.getZoom() + 1, {animate: false}); "
                       "return 0; }")
        t_pan = timed("() => { window._map.panBy([300, 200], {animate: false}); return 0; }")
        b.close()
    return t_draw, t_zoom, t_pan


def main() -> None:
    cases = [("demo 500109", load_demo("500109")), ("synthetic 5,000 villages",
                                                     synthetic_county(5000))]
    print(f"{'case':<26} {'villages':>8} {'build s':>8} {'HTML MB':>8} {'draw s':>7} "
          f"{'zoom s':>7} {'pan s':>7}")
    for name, data in cases:
        t0 = time.perf_counter()
        m = build_county_map(data)
        t_build = time.perf_counter() - t0
        html = map_html(m)
        draw, zoom, pan = browser_times(html, len(data.villages))
        print(f"{name:<26} {len(data.villages):>8} {t_build:>8.2f} {len(html) / 1e6:>8.2f} "
              f"{draw:>7.2f} {zoom:>7.2f} {pan:>7.2f}")


if __name__ == "__main__":
    main()
