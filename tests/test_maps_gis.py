"""GIS symbology of the county map (issue 17): facility colours off the village ramp."""

from geo import maps


def test_no_facility_colour_in_the_village_ramp():
    ramp = {c.lower() for c in maps._SEQ}
    clashes = {k: c for k, c in maps.FACILITY_COLOURS.items() if c.lower() in ramp}
    assert clashes == {}
    # the home is not drawn in any red (R channel well above G and B)
    r, g, b = (int(maps.FACILITY_COLOURS["children_home"][i:i + 2], 16) for i in (1, 3, 5))
    assert not (r > 150 and g < 80 and b < 80)


def test_facility_colours_distinct():
    assert len(set(maps.FACILITY_COLOURS.values())) == len(maps.FACILITY_COLOURS)


# --- issue 17: metric scale, policy classes, township labels, identify --------------------

import dataclasses  # noqa: E402
import json  # noqa: E402

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
from shapely.geometry import Point, box  # noqa: E402

from geo.labels import deconflict, text_box  # noqa: E402
from geo.layers import load_demo  # noqa: E402
from geo.snapshot import policy_breaks  # noqa: E402
from optimization.policy import load_policy  # noqa: E402

DEMO = load_demo("500109")


def _children(m, cls):
    out = []
    stack = [m]
    while stack:
        el = stack.pop()
        if isinstance(el, cls):
            out.append(el)
        stack.extend(getattr(el, "_children", {}).values())
    return out


def _geojson(m, name):
    import folium

    return next(g for g in _children(m, folium.GeoJson) if g.layer_name == name)


def _legend_html(m) -> str:
    return str(_children(m, maps.Legend)[0].html)


def test_scale_bar_is_metric_only():
    html = maps.build_county_map(DEMO).get_root().render()
    assert "imperial: false" in html
    assert "L.control.scale()" not in html  # folium's own control_scale (metres and miles)


def _hand_county(counts):
    """The demo county with its villages replaced by hand-made ones (one per count)."""
    n = len(counts)
    v = gpd.GeoDataFrame({
        "village_code": [f"500109001{i:03d}" for i in range(1, n + 1)],
        "name": [f"试验村{i}" for i in range(1, n + 1)],
        "township_code": ["500109001"] * n,
        "resident_children": counts, "left_behind": [0] * n,
        **{c: [0] * n for c in ("orphan", "unsupported", "illness_disability", "dibao_tekun",
                                "difficulty_other", "key_attention")},
        "poverty_village": [i == 0 for i in range(n)], "old_base_village": [False] * n,
        "is_synthetic": [True] * n,
    }, geometry=[Point(106.4 + 0.01 * i, 29.8) for i in range(n)], crs=4326)
    return dataclasses.replace(DEMO, villages=v)


def test_village_classes_follow_the_100_children_threshold():
    # own_home_threshold 100 (004 二(一)) -> lower edges 50, 100, 200, 400 (policy_breaks)
    data = _hand_county([0, 49, 50, 99, 100, 199, 200, 399, 400, 1200])
    breaks = policy_breaks(load_policy(), "resident_children")
    m = maps.build_county_map(data, breaks=breaks)
    colours = [f["properties"]["colour"] for f in _geojson(m, "villages").data["features"]]
    want = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]  # by hand: 99 is below the threshold, 100 is not
    assert colours == [maps._SEQ[i] for i in want]
    legend = _legend_html(m)
    for name in ("&lt; 50", "50–99", "100–199", "200–399", "≥ 400"):
        assert name in legend
    assert "95" not in legend  # no quantile edges


def test_classes_follow_the_threshold_in_force_with_thousands_separators():
    pol = load_policy(overrides={"siting.own_home_threshold": 1000})
    data = _hand_county([999, 1000, 4500])
    m = maps.build_county_map(data, breaks=policy_breaks(pol, "resident_children"))
    colours = [f["properties"]["colour"] for f in _geojson(m, "villages").data["features"]]
    assert colours == [maps._SEQ[1], maps._SEQ[2], maps._SEQ[4]]
    legend = _legend_html(m)
    assert "1,000–1,999" in legend and "≥ 4,000" in legend and "&lt; 500" in legend


def test_two_overlapping_labels_keep_one():
    a, b = text_box("天生街道", 100, 100), text_box("东阳街道", 120, 104)  # 48 px wide, 20 apart
    assert deconflict([a, b], priority=[1.0, 2.0]) == [1]  # the larger township keeps its name
    far = text_box("北温泉街道", 300, 100)
    assert deconflict([a, b, far], priority=[3.0, 2.0, 1.0]) == [0, 2]


def test_township_labels_drop_the_smaller_of_two_overlapping_townships():
    # two townships whose representative points are 300 m apart: at zoom 11 (about 70 m/px at
    # 30°N) their 4-character names (about 48 px) overlap; the larger one keeps its label
    tw = gpd.GeoDataFrame({"township_code": ["500109001", "500109002"],
                           "name": ["大镇甲乙", "小镇丙丁"]},
                          geometry=[box(106.40, 29.80, 106.403, 29.83),
                                    box(106.403, 29.80, 106.4045, 29.83)], crs=4326)
    kept = maps.township_labels(tw, 11.0, metric_crs=DEMO.metric_crs)
    assert [k[0] for k in kept] == ["大镇甲乙"]
    # at zoom 16 (about 2 m/px) they are far apart: both are drawn
    assert len(maps.township_labels(tw, 16.0, metric_crs=DEMO.metric_crs)) == 2


def test_web_zoom_matches_the_fit_of_a_known_box():
    # a box 1/1024 of the world wide fills 256 px exactly at zoom 10
    assert maps.web_zoom((0, -1e-9, 360 / 1024, 1e-9), frame_px=(256 + 24, 2000)) == 10.0
    assert maps.web_zoom((0, -1e-9, 360 / 1024, 1e-9), frame_px=(512 + 24, 2000)) == 11.0


def test_demo_township_labels_do_not_overlap_at_the_first_view():
    z = maps.web_zoom(DEMO.county.total_bounds)
    kept = maps.township_labels(DEMO.townships, z, metric_crs=DEMO.metric_crs)
    boxes = [text_box(n, *maps._mercator_px(x, y, z)) for n, x, y in kept]
    assert deconflict(boxes) == list(range(len(boxes)))  # every kept pair is apart
    assert 0 < len(kept) < len(DEMO.townships) + 1


def test_click_on_a_village_shows_its_facts_escaped():
    data = _hand_county([120, 30])
    v = data.villages.copy()
    v.loc[0, "name"] = "<b>甲村</b>"
    v.loc[0, "left_behind"] = 7
    v.loc[0, "orphan"] = 2
    v.loc[0, "key_attention"] = 1
    m = maps.build_county_map(dataclasses.replace(data, villages=v))
    gj = _geojson(m, "villages")
    props = gj.data["features"][0]["properties"]
    assert props["f_name"] == "&lt;b&gt;甲村&lt;/b&gt;"  # escaped once for innerHTML
    assert props["f_resident_children"] == "120" and props["f_left_behind"] == "7"
    assert props["f_difficulty"] == "2" and props["f_targets"] == "9"
    assert props["f_key_attention"] == "1" and props["f_designations"] == "脱贫村"
    tw = DEMO.townships.set_index("township_code")["name"]["500109001"]
    assert props["f_township"] == tw
    html = m.get_root().render()
    panel = next(p for p in _children(m, maps.IdentifyPanel) if p.layer is gj)
    assert panel.report and panel.order == 0  # villages: listed first, told to the page
    assert json.loads(str(panel.labels_js))[3] == "常住儿童"
    assert "cp-identify" in html and str(panel.fields_js) in html


def test_attribute_table_has_catalogue_headers_and_numbers():
    data = _hand_county([1234, 5])
    table = maps.village_table(data, "zh")
    assert list(table.columns) == ["村名称", "村代码", "乡镇（街道）", "常住儿童", "农村留守儿童",
                                   "困境儿童", "服务对象（留守+困境）", "重点关注儿童", "认定"]
    assert table["常住儿童"].tolist() == [1234, 5]
    assert table.index.tolist() == ["500109001001", "500109001002"]
    en = maps.village_table(data, "en")
    assert "Resident children" in en.columns


def test_search_by_name_or_code_prefix():
    v = pd.DataFrame({"village_code": ["500109001001", "500109002001", "500109002002"],
                      "name": ["新星村", "星光社区", "金刀峡村"]})
    assert maps.find_villages(v, "星")["village_code"].tolist() == ["500109001001",
                                                                    "500109002001"]
    assert maps.find_villages(v, "500109002")["name"].tolist() == ["星光社区", "金刀峡村"]
    assert maps.find_villages(v, " ").empty and maps.find_villages(v, "(.*)").empty
