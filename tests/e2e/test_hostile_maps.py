"""Hostile names on every map, in Debian's Chromium: nothing in a name may run.

``tests.hostile`` gives the demo county a hostile text in every name field (county, township,
village, facility, water body, river chief). ``childplan map --plan all`` writes the county,
siting, staffing, funding and hazard maps as standalone HTML; the scenario-comparison map
(the 情景对比 page's diverging choropleth, titled by two scenario names) is built here. Each
file is opened offline in Chromium (every request outside the page refused); every tooltip
of every layer is opened (as a hover would), which is where Leaflet writes names with
``innerHTML``. The test fails on any dialog, any script error, a map that did not render,
or a name that does not read back literally.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile import HOSTILE, hostile_county

pytestmark = pytest.mark.e2e

MAPS = ("county", "siting", "staffing", "funding", "hazards", "comparison")

# Opens every tooltip of every layer of every Leaflet map in the page (as hovering would)
# and returns what the tooltips, the legend and the township labels read.
_OPEN_ALL = """
() => {
  const maps = Object.keys(window).filter(k => k.startsWith('map_') && window[k] instanceof L.Map)
                                 .map(k => window[k]);
  let opened = 0, leaves = 0, texts = [];
  for (const map of maps) {
    const all = [];
    const walk = (layer) => { if (layer.eachLayer) layer.eachLayer(walk); else all.push(layer); };
    map.eachLayer(walk);
    for (const leaf of new Set(all)) {
      leaves++;
      let ll = null;
      try { ll = leaf.getLatLng ? leaf.getLatLng() : leaf.getBounds().getCenter(); } catch (e) {}
      if (!ll) continue;
      leaf.fire('mouseover', {latlng: ll, originalEvent: {}}, true);  // propagates to its group
      const open = document.querySelectorAll('.leaflet-tooltip');
      if (open.length) opened++;
      for (const el of open) texts.push(el.textContent);
      leaf.fire('mouseout', {latlng: ll, originalEvent: {}}, true);
      map.eachLayer(l => { if (l.closeTooltip) l.closeTooltip(); });
    }
  }
  const fixed = Array.from(document.querySelectorAll('.cp-legend, .leaflet-div-icon, '
      + '.leaflet-control-layers')).map(e => e.textContent);
  return {maps: maps.length, opened, leaves, texts, fixed,
          canvas: document.querySelectorAll('.leaflet-container canvas, .leaflet-container svg').length,
          prefix: (document.querySelector('.leaflet-control-attribution') || {}).textContent || ''};
}
"""


@pytest.fixture(scope="module")
def hostile_maps(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("hostile")
    files = hostile_county(tmp / "county")
    out = tmp / "maps"
    r = subprocess.run([sys.executable, "-m", "childplan.cli", "map", *map(str, files),
                        "--plan", "all", "--lang", "zh", "--out", str(out)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    paths = {p.name.split("_")[1]: p for p in out.glob("map_*.html")}
    # The 情景对比 difference map: townships coloured by a difference, titled by two names.
    import pandas as pd

    from childplan.sources import resolve_sources
    from geo.layers import load_county
    from geo.maps_plans import build_choropleth_map
    from geo.offline import map_html

    sources, _ = resolve_sources([str(f) for f in files])
    data = load_county(sources)
    diff = pd.Series(range(len(data.townships)), index=data.townships["township_code"]) - 8.0
    m = build_choropleth_map(data, diff, title=f"{HOSTILE[1]} − {HOSTILE[2]}", lang="zh",
                             diverging=True)
    paths["comparison"] = tmp / "maps" / "map_comparison.html"
    paths["comparison"].write_text(map_html(m), encoding="utf-8")
    return paths


def test_hostile_names_never_run_on_any_map(browser, hostile_maps):
    assert sorted(hostile_maps) == sorted(MAPS)
    seen_names: set[str] = set()
    report = []
    for name in MAPS:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        dialogs, errors, blocked = [], [], []
        page.on("dialog", lambda d, dialogs=dialogs: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))

        def guard(route, blocked=blocked):
            url = route.request.url
            if url.startswith(("file:", "data:", "about:", "blob:")):
                route.continue_()
            else:
                blocked.append(url)
                route.abort()

        context.route("**/*", guard)
        page.goto(hostile_maps[name].as_uri())
        page.wait_for_function("() => window.L && document.querySelector('.cp-legend')",
                               timeout=60_000)
        page.wait_for_timeout(700)  # the legend's fit runs at 50 and 600 ms
        got = page.evaluate(_OPEN_ALL)
        page.wait_for_timeout(700)  # an <img onerror> fires after its failed load
        context.close()
        text = "\n".join(got["texts"] + got["fixed"])
        here = {h for h in HOSTILE if h in text}
        seen_names |= here
        report.append((name, got["leaves"], got["opened"], len(here)))
        assert dialogs == [], f"{name}: a name ran: {dialogs}"
        assert errors == [], f"{name}: script error (a name broke out?): {errors}"
        assert got["maps"] == 1 and got["canvas"] >= 1, f"{name}: the map did not render"
        assert got["opened"] > 0, f"{name}: no tooltip opened"
        assert got["prefix"].strip() == "", f"{name}: Leaflet's attribution prefix is shown"
        assert here, f"{name}: no hostile name reads back literally"
        assert blocked == [], f"{name}: asked the network for {blocked}"
    # Every hostile name was read back, literally, from at least one map's tooltips/labels.
    missing = [h for h in HOSTILE if h not in seen_names]
    assert missing == [], missing
    print(f"\n{len(HOSTILE)} hostile names x {len(MAPS)} maps; per map (layers, layers whose tooltip opened, "
          f"hostile names read back literally): {report}")
