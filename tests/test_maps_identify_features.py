"""Identify on the county map for facilities and danger reaches, one panel for all (issue 17).

The map's HTML is read back (the GeoJSON the browser gets) and compared with values worked
out here from hand-made data: names, kinds and statuses in words, capacities, townships,
chainages, lengths, and the villages near a reach by brute force over every village.
"""
import dataclasses
import json
import re

import folium
import geopandas as gpd
import numpy as np
from shapely.geometry import LineString, Point

from geo import maps
from geo.layers import load_demo

DEMO = load_demo("500109")
TW = DEMO.townships.set_index("township_code")["name"]


def _collections(html: str) -> list[dict]:
    """Every GeoJSON FeatureCollection written into the page."""
    dec, out = json.JSONDecoder(), []
    for hit in re.finditer(r'geo_json_\w+_add\(\{', html):
        obj, _ = dec.raw_decode(html, hit.end() - 1)
        if obj.get("type") == "FeatureCollection":
            out.append(obj)
    return out


def _props(html: str, key: str) -> list[dict]:
    return [f["properties"] for fc in _collections(html) for f in fc["features"]
            if key in f["properties"]]


def _facilities():
    v = DEMO.villages
    a, b = v.iloc[0], v.iloc[1]
    return gpd.GeoDataFrame({
        "facility_id": ["F1", "F2", "F3"],
        "kind": ["children_home", "welfare_institution", "rescue_protection"],
        "name": ["<b>甲</b>村儿童之家", "区儿童福利院", "区未成年人救助保护中心"],
        "village_code": [a["village_code"], b["village_code"], None],
        "township_code": [a["village_code"][:9], None, "500109001"],
        "capacity": [1234.0, np.nan, 40.0], "status": ["planned", "existing", None],
        "is_synthetic": [True] * 3,
    }, geometry=[a.geometry, b.geometry, Point(106.45, 29.83)], crs=4326)


def test_a_click_on_a_facility_shows_name_kind_status_capacity_township():
    f = _facilities()
    v = DEMO.villages
    html = maps.build_county_map(dataclasses.replace(DEMO, facilities=f)).get_root().render()
    props = {p["facility_id"]: p for p in _props(html, "facility_id")}
    # by hand, from the rows above
    assert props["F1"]["f_f_name"] == "&lt;b&gt;甲&lt;/b&gt;村儿童之家"  # escaped for innerHTML
    assert props["F1"]["f_f_kind"] == "儿童之家" and props["F1"]["f_f_status"] == "拟建"
    assert props["F1"]["f_f_capacity"] == "1,234"
    assert props["F1"]["f_f_village"] == v.iloc[0]["name"]
    assert props["F1"]["f_f_township"] == TW[v.iloc[0]["village_code"][:9]]
    assert props["F2"]["f_f_kind"] == "儿童福利机构" and props["F2"]["f_f_status"] == "现有"
    assert props["F2"]["f_f_capacity"] == "—"
    # no township code given: the village's township
    assert props["F2"]["f_f_township"] == TW[v.iloc[1]["village_code"][:9]]
    assert props["F3"]["f_f_kind"] == "未成年人救助保护机构"
    assert props["F3"]["f_f_status"] == "现有" and props["F3"]["f_f_village"] == "—"
    assert props["F3"]["f_f_township"] == TW["500109001"] and props["F3"]["f_f_capacity"] == "40"
    assert "<b>甲</b>" not in html
    en = maps.build_county_map(dataclasses.replace(DEMO, facilities=f), lang="en")
    p_en = {p["facility_id"]: p for p in _props(en.get_root().render(), "facility_id")}
    assert p_en["F1"]["f_f_status"] == "planned"
    assert p_en["F1"]["f_f_kind"] == "village children&#39;s home"  # escaped for innerHTML
    panels = [p for p in _walk(en) if isinstance(p, maps.IdentifyPanel)
              if json.loads(str(p.kind_js)) == "facility"]
    assert json.loads(str(panels[0].labels_js)) == ["Name", "Kind", "Status",
                                                     "Capacity (children)", "Village",
                                                     "Township/street"]


def _walk(el):
    yield el
    for ch in getattr(el, "_children", {}).values():
        yield from _walk(ch)


def _reach_county():
    """Four villages at 100, 300, 450 and 900 m north of a 1,200 m canal reach (K1+200～K2+400)."""
    crs = DEMO.metric_crs
    x0, y0 = DEMO.villages.to_crs(crs).geometry.iloc[0].coords[0]
    line = LineString([(x0, y0), (x0 + 1200, y0)])
    n = 4
    dy = [300.0, 100.0, 900.0, 450.0]
    v = gpd.GeoDataFrame({
        "village_code": [f"500109001{i:03d}" for i in range(1, n + 1)],
        "name": ["乙村", "甲村", "丁村", "丙村"], "township_code": ["500109001"] * n,
        "resident_children": [10, 20, 30, 40], "left_behind": [0] * n,
        **{c: [0] * n for c in ("orphan", "unsupported", "illness_disability", "dibao_tekun",
                                "difficulty_other", "key_attention")},
        "is_synthetic": [True] * n,
    }, geometry=[Point(x0 + 600, y0 + d) for d in dy], crs=crs).to_crs(4326)
    r = gpd.GeoDataFrame({
        "reach_id": ["W-1-K1+200~K2+400"], "rank": [3], "name": [""], "kind": ["canal"],
        "start_m": [1200.0], "end_m": [2400.0], "length_m": [1200.0], "peak_score": [87.25],
        "children_within": [1234], "left_behind_within": [56], "difficulty_within": [7],
        "facilities_within": [2], "chief": ["河长-500109001"],
    }, geometry=[line], crs=crs)
    return dataclasses.replace(DEMO, villages=v), r, line


def test_a_click_on_a_danger_reach_shows_why_and_the_villages_near():
    data, r, line = _reach_county()
    m = maps.build_county_map(data, layers=("townships", "reaches", "villages"), reaches=r,
                              near_m=500)
    props = _props(m.get_root().render(), "reach_id")
    assert len(props) == 1
    p = props[0]
    assert p["f_r_name"] == "（未命名）" and p["f_r_kind"] == "渠道"
    assert p["f_r_chainage"] == "K1+200～K2+400" and p["f_r_length"] == "1,200 米"
    assert p["f_r_rank"] == "3" and p["f_r_score"] == "87.2"
    assert p["f_r_why"] == ("500 米内常住儿童 1,234 人，其中留守 56、困境 7；"
                            "学校/幼儿园/儿童之家 2 处")
    # brute force: every village's distance to the line, those within 500 m nearest first
    pts = data.villages.to_crs(DEMO.metric_crs)
    near = sorted((g.distance(line), n) for n, g in zip(pts["name"], pts.geometry, strict=True)
                  if g.distance(line) <= 500)
    assert p["f_r_villages"] == "、".join(n for _, n in near) == "甲村、乙村、丙村"
    assert p["f_r_chief"] == "河长-500109001"
    en = maps.build_county_map(data, layers=("reaches", "villages"), reaches=r, near_m=350,
                               lang="en")
    p_en = _props(en.get_root().render(), "reach_id")[0]
    assert p_en["f_r_villages"] == "甲村, 乙村" and p_en["f_r_kind"] == "canal"
    panel = next(x for x in _walk(en) if isinstance(x, maps.IdentifyPanel)
                 and json.loads(str(x.kind_js)) == "reach")
    assert json.loads(str(panel.labels_js))[-2] == "Villages within 350 m"
    assert panel.order == 2 and not panel.report


def test_many_villages_near_are_cut_with_a_count():
    data, r, line = _reach_county()
    facts = maps.reach_facts(r, data.villages, 1000, "zh", metric_crs=DEMO.metric_crs, most=2)
    assert facts["f_r_villages"].iloc[0] == "甲村、乙村 等 4 个"


def test_one_panel_orders_villages_then_facilities_then_reaches():
    data, r, _ = _reach_county()
    f = _facilities()
    m = maps.build_county_map(dataclasses.replace(data, facilities=f),
                              layers=("reaches", "villages", "facilities"), reaches=r,
                              near_m=500)
    panels = [x for x in _walk(m) if isinstance(x, maps.IdentifyPanel)]
    kinds = {json.loads(str(p.kind_js)): p.order for p in panels}
    assert kinds == {"village": 0, "facility": 1, "reach": 2}
    assert [p.report for p in panels if p.order == 0] == [True]  # only villages reach the page
    html = m.get_root().render()
    # one panel: the registry on the map creates it once, whoever registers first
    assert html.count("map._cpIdentify = {") == len(panels)
    assert html.count("if (!reg) {") == len(panels)
    many = json.loads(str(panels[0].many_js))
    assert many == ["此处有 ", " 个要素"]


def test_one_layer_panel_the_legend_follows_the_ticks():
    m = maps.build_county_map(DEMO, layers=("county", "townships", "waterways", "crossings",
                                            "villages", "facilities"))
    groups = {g.get_name(): g for g in _walk(m) if isinstance(g, folium.FeatureGroup)}
    names = {g.layer_name: g for g in groups.values()}
    assert names["桥梁/过河点"].show is False  # drawn, unticked at first
    assert names["村（社区）"].show and names["儿童之家"].show and not names["村小"].show
    leg = next(x for x in _walk(m) if isinstance(x, maps.Legend))
    by_index = {json.loads(str(k)): groups[n] for k, n in leg.layer_pairs}
    items = re.findall(r"data-cp-layer='(\d+)'>(.*?)</div>", str(leg.html))
    crossing = [i for i, label in items if label.endswith("桥梁/过河点")]
    assert len(crossing) == 1 and by_index[crossing[0]] is names["桥梁/过河点"]
    # every village class follows the village layer
    classes = [i for i, label in items
               if re.search(r"–|&lt;|≥", label[label.rindex(">") + 1:])]
    assert len(classes) == 5 and {by_index[i].layer_name for i in classes} == {"村（社区）"}
    html = m.get_root().render()
    assert "overlayadd overlayremove" in html and html.count("L.control.layers(") == 1


def test_the_map_page_has_no_layer_picker_of_its_own():
    src = open("app_pages/map.py", encoding="utf-8").read()
    assert "multiselect" not in src and "layer_picker" not in src


def test_a_village_panel_gives_its_directors_needed_and_assigned_without_names():
    """With a staffing plan the village's panel says 儿童主任（需/配） n / m, from the plan's own
    village table (hand-made here: 3 needed 2 assigned, 1 / 1, one village left out)."""
    v = DEMO.villages
    a, b, c = (str(v.iloc[i]["village_code"]) for i in range(3))
    import pandas as pd

    staffing = pd.DataFrame({"village_code": [a, b], "directors_needed": [3, 1],
                             "directors_assigned": [2, 1],
                             "person_code": ["P-secret-1", "P-secret-2"]})
    html = maps.build_county_map(DEMO, staffing=staffing).get_root().render()
    props = {p["village_code"]: p for p in _props(html, "village_code")
             if "facility_id" not in p and "f_name" in p}
    assert props[a]["f_directors"] == "3 / 2" and props[b]["f_directors"] == "1 / 1"
    assert props[c]["f_directors"] == "—"  # not in the plan's table
    # the panel's label, as the page's script carries it (JSON escapes), and no person code
    assert json.dumps("儿童主任（需/配）")[1:-1] in html and "P-secret" not in html
    # without a staffing plan the fact is not there at all
    plain = maps.build_county_map(DEMO).get_root().render()
    assert "f_directors" not in plain
