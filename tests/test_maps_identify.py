"""The village panel with a plan in force (issue 17): the home that serves it, its distance,
the danger reaches nearby. Hand-made villages, homes and reaches; expected values by hand."""
import dataclasses
import json

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point

from geo import maps
from geo.layers import load_demo

DEMO = load_demo("500109")


def _county():
    n = 3
    v = gpd.GeoDataFrame({
        "village_code": [f"500109001{i:03d}" for i in range(1, n + 1)],
        "name": ["甲村", "乙村", "丙村"], "township_code": ["500109001"] * n,
        "resident_children": [150, 40, 30], "left_behind": [0] * n,
        **{c: [0] * n for c in ("orphan", "unsupported", "illness_disability", "dibao_tekun",
                                "difficulty_other", "key_attention")},
        "poverty_village": [False] * n, "old_base_village": [False] * n,
        "is_synthetic": [True] * n,
    }, geometry=[Point(106.40 + 0.01 * i, 29.8) for i in range(n)], crs=4326)
    return dataclasses.replace(DEMO, villages=v)


HOMES = pd.DataFrame({"home_id": ["H1"], "name": ["<i>甲村</i>儿童之家"], "status": ["new"],
                      "children_served": [190], "villages_served": [2],
                      "lon": [106.40], "lat": [29.8]})
ASSIGN = pd.DataFrame({"village_code": ["500109001001", "500109001002", "500109001003"],
                       "home_id": ["H1", "H1", None], "distance_m": [0.0, 967.4, None],
                       "own_home": [True, False, False], "metric": ["straight"] * 3})


def _reaches(data):
    """One 100 m reach 300 m north of 甲村, one 200 m south of 丙村 (metric CRS)."""
    crs = data.metric_crs
    p = data.villages.to_crs(crs).geometry
    a, c = p.iloc[0], p.iloc[2]
    return gpd.GeoDataFrame({"reach_id": ["R1", "R2"]}, geometry=[
        LineString([(a.x - 50, a.y + 300), (a.x + 50, a.y + 300)]),
        LineString([(c.x - 50, c.y - 200), (c.x + 50, c.y - 200)])], crs=crs)


def _props(m):
    gj = next(g for g in _walk(m) if getattr(g, "layer_name", None) == "villages")
    return [f["properties"] for f in gj.data["features"]]


def _walk(el):
    yield el
    for ch in getattr(el, "_children", {}).values():
        yield from _walk(ch)


def test_panel_names_the_home_and_its_distance_escaped():
    data = _county()
    m = maps.build_county_map(data, homes=HOMES, assignments=ASSIGN)
    p = _props(m)
    assert [x["f_home"] for x in p] == ["&lt;i&gt;甲村&lt;/i&gt;儿童之家"] * 2 + ["未覆盖"]
    assert [x["f_home_m"] for x in p] == ["本村", "967 米（直线）", "—"]
    panel = next(x for x in _walk(m) if isinstance(x, maps.IdentifyPanel))
    labels = json.loads(str(panel.labels_js))
    assert labels[-2:] == ["服务的儿童之家", "到儿童之家"]
    assert "<i>甲村" not in m.get_root().render()  # only the escaped name reaches the page


def test_panel_counts_danger_reaches_within_the_distance():
    data = _county()
    r = _reaches(data)
    p500 = _props(maps.build_county_map(data, reaches=r, near_m=500))
    assert [x["f_reaches"] for x in p500] == ["1", "0", "1"]  # 300 m, ~965 m, 200 m
    p250 = _props(maps.build_county_map(data, reaches=r, near_m=250, lang="en"))
    assert [x["f_reaches"] for x in p250] == ["0", "0", "1"]
    m = maps.build_county_map(data, reaches=r, near_m=250, lang="en")
    panel = next(x for x in _walk(m) if isinstance(x, maps.IdentifyPanel))
    assert json.loads(str(panel.labels_js))[-1] == "Danger reaches within 250 m"


def test_without_a_plan_the_panel_is_as_before():
    p = _props(maps.build_county_map(_county()))
    assert "f_home" not in p[0] and "f_reaches" not in p[0]
