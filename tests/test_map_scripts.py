"""The layer control of a map names only layers already declared in the map's script.

A layer added after ``folium.LayerControl`` renders its ``let`` after the control's, so the
control reads an undefined variable and the whole map script stops: the siting page showed an
empty frame once the travel layers were added after the control.
"""
import json
import re

import pytest

from childplan.workflows import run_siting
from geo import travel
from geo.layers import load_demo
from geo.maps_plans import build_siting_map
from geo.offline import map_html
from geo.travel_maps import add_travel_layers


def _control_names_declared_before_it(html: str) -> list[str]:
    """Overlay variables of each layer control that are not declared before the control."""
    missing = []
    for m in re.finditer(r"(?:var|let) (layer_control_\w+)_layers = \{(.*?)\};", html, re.S):
        before = html[:m.start()]
        for var in re.findall(r":\s*((?:feature_group|geo_json|tile_layer)_\w+)", m.group(2)):
            if not re.search(rf"var {var} =|let {var} =|const {var} =", before):
                missing.append(var)
    return missing


@pytest.fixture(scope="module")
def demo_siting():
    from optimization.policy import load_policy

    data, policy = load_demo("500109"), load_policy()
    result = run_siting(data, policy, solver="highs")
    net = travel.county_network(data, policy)
    access = travel.accessibility(data, policy, result.homes, network=net)
    catch = travel.catchments(data, policy, result.homes, result.assignments, network=net)
    return data, result, access, catch


def test_travel_layers_are_declared_before_the_layer_control(demo_siting):
    data, result, access, catch = demo_siting
    m = build_siting_map(data, result.homes, result.assignments, lang="zh")
    add_travel_layers(m, data.villages, access, catch, lang="zh")
    html = map_html(m)
    assert re.search(r"(?:var|let) layer_control_\w+_layers = ", html)
    assert _control_names_declared_before_it(html) == []
    # the travel layers are in the control (listed by their names)
    assert html.count("feature_group_") > 0


def test_legend_swatches_are_markup_not_escaped_text(demo_siting):
    # the "served by" swatch is a dashed line drawn by a span; escaped, it prints as text
    data, result, _access, _catch = demo_siting
    html = build_siting_map(data, result.homes, result.assignments, lang="zh").get_root().render()
    assert "border-top:2px dashed" in html
    assert "&lt;span" not in html and "&amp;lt;span" not in html


def test_layer_control_names_are_chinese_words(demo_siting):
    # the siting map's layer panel listed "townships", "waterways", "county": raw identifiers
    data, result, access, catch = demo_siting
    m = build_siting_map(data, result.homes, result.assignments, lang="zh")
    add_travel_layers(m, data.villages, access, catch, lang="zh")
    html = map_html(m)
    names = []
    for block in re.findall(r"(?:var|let) layer_control_\w+_layers = \{(.*?)\};", html, re.S):
        for key in re.findall(r'"((?:[^"\\]|\\.)*)"\s*:\s*(?:feature_group|geo_json|tile_layer)_',
                              block):
            names.append(json.loads(f'"{key}"'))
    assert {"乡镇（街道）", "水系", "区县边界"} <= set(names), names
    assert not [n for n in names if re.fullmatch(r"[A-Za-z_ ]+", n)], names
