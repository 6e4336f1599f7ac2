"""Township names on every web map (issue 17): siting, staffing, funding and hazard maps.

The names are counted from ``data.townships`` and read back out of each map's rendered HTML
(the divIcon markup Leaflet receives, JSON-decoded), so a missing, doubled or escaped-twice
name fails.
"""
import dataclasses
import json
import re
from collections import Counter

import pandas as pd
import pytest

from childplan.workflows import run_siting, run_staffing
from geo.hazards import analyse_hazards
from geo.layers import load_demo
from geo.maps import build_county_map
from geo.maps_hazards import build_hazard_map
from geo.maps_plans import build_choropleth_map, build_siting_map, build_staffing_map
from optimization.policy import load_policy

_ICON = re.compile(r'L\.divIcon\(\{\s*"html":\s*("(?:[^"\\]|\\.)*")', re.S)
_LABEL = re.compile(r"<div class='cp-town-label'[^>]*>([^<]*)</div>")
_SCRIPT = "querySelectorAll('.cp-town-label')"


def town_labels(html: str) -> Counter:
    """Township names drawn as labels in a rendered map."""
    names = Counter()
    for raw in _ICON.findall(html):
        names.update(_LABEL.findall(json.loads(raw)))
    return names


@pytest.fixture(scope="module")
def demo():
    return load_demo("500109"), load_policy()


def _expected(data) -> Counter:
    return Counter(str(n) for n in data.townships["name"])


def test_the_demo_county_has_townships(demo):
    data, _ = demo
    assert len(data.townships) == 17  # 北碚区: 9 街道 + 8 镇 (docs, geo/labels.py)


def test_county_map_labels_unchanged(demo):
    data, _ = demo
    html = build_county_map(data).get_root().render()
    assert town_labels(html) == _expected(data)
    assert html.count(_SCRIPT) == 1


def test_siting_map_has_every_township_name(demo):
    data, policy = demo
    r = run_siting(data, policy, solver="highs")
    html = build_siting_map(data, r.homes, r.assignments).get_root().render()
    assert town_labels(html) == _expected(data)
    assert html.count(_SCRIPT) == 1


def test_staffing_map_has_every_township_name(demo):
    data, policy = demo
    plan = run_staffing(data, policy, solver="highs")
    html = build_staffing_map(data, plan.villages, lang="en").get_root().render()
    assert town_labels(html) == _expected(data)
    assert html.count(_SCRIPT) == 1


def test_funding_map_has_every_township_name(demo):
    data, _ = demo
    values = pd.Series(range(len(data.townships)), index=data.townships["township_code"])
    html = build_choropleth_map(data, values, title="资金").get_root().render()
    assert town_labels(html) == _expected(data)
    assert html.count(_SCRIPT) == 1


def test_hazard_map_has_every_township_name(demo):
    data, policy = demo
    a = analyse_hazards(data, policy, use_dem=False)
    html = build_hazard_map(data, a.segments, a.spots).get_root().render()
    assert town_labels(html) == _expected(data)
    assert html.count(_SCRIPT) == 1


def test_a_hostile_township_name_is_escaped_once(demo):
    data, _ = demo
    tw = data.townships.copy()
    tw.loc[tw.index[0], "name"] = "<b>镇</b>"
    d = dataclasses.replace(data, townships=tw)
    values = pd.Series(0.0, index=tw["township_code"])
    html = build_choropleth_map(d, values, title="x").get_root().render()
    drawn = [json.loads(raw) for raw in _ICON.findall(html)]
    assert any("&lt;b&gt;镇&lt;/b&gt;" in s for s in drawn)
    assert not any("<b>镇</b>" in s for s in drawn)
