"""Map builders: offline assets, legend and 示意数据 mark, measures."""

from __future__ import annotations

import re

import numpy as np

from geo.layers import load_demo
from geo.maps import build_county_map, class_breaks, village_measure
from geo.offline import STATIC_URL, ensure_static_assets, localise_map, map_html

DATA = load_demo("500109")


def external_refs(html: str) -> list[str]:
    """Every script src / stylesheet href that points off this machine."""
    refs = re.findall(r'<script[^>]+src="([^"]+)"', html) + re.findall(
        r'<link[^>]+href="([^"]+)"', html)
    return [r for r in refs if r.startswith(("http:", "https:", "//"))]


def test_default_folium_map_would_need_the_internet():
    html = build_county_map(DATA).get_root().render()
    assert external_refs(html)  # what the offline module is for


def test_static_mode_points_every_asset_at_the_app(tmp_path):
    m = localise_map(build_county_map(DATA), mode="static")
    html = m.get_root().render()
    assert external_refs(html) == []
    local = re.findall(r'src="(/app/static/vendor/[^"]+)"', html)
    assert local and all(u.startswith(STATIC_URL) for u in local)
    folder = ensure_static_assets(tmp_path / "vendor")
    for u in local:  # every referenced file exists in the static folder
        assert (folder / u.rsplit("/", 1)[-1]).stat().st_size > 1000


def test_inline_mode_is_self_contained():
    html = map_html(build_county_map(DATA, lang="en"))
    assert external_refs(html) == []
    assert "L.Map" in html or "leaflet" in html.lower()
    assert "cp-legend" in html and "cp-synthetic" in html
    assert "\\u793a\\u610f\\u6570\\u636e \\u00b7 synthetic data" in html  # 示意数据 · synthetic data


def test_measures_are_computed_from_the_columns():
    v = DATA.villages
    diff = v[["orphan", "unsupported", "illness_disability", "dibao_tekun",
              "difficulty_other"]].sum(axis=1)
    assert (village_measure(v, "difficulty") == diff).all()
    assert (village_measure(v, "targets") == diff + v["left_behind"]).all()


def test_class_breaks_are_increasing_and_end_at_the_maximum():
    vals = np.array([0, 1, 1, 2, 5, 8, 13, 21, 34, 55])
    b = class_breaks(vals)
    assert b == sorted(set(b)) and b[-1] == 55
