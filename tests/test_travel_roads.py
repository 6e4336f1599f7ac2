"""The roads layer: schema, demo network and its generator."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.layers import DATA_DIR, load_county, load_demo

ROOT = Path(__file__).resolve().parents[1]


def _make_roads():
    spec = importlib.util.spec_from_file_location("make_roads", ROOT / "data" / "make_roads.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("adcode", ["500109", "350821"])
def test_make_roads_reproduces_committed_file(adcode):
    mod = _make_roads()
    committed = (ROOT / "data" / "facilities" / adcode / "roads.geojson").read_text("utf-8")
    assert mod.geojson_text(mod.build_roads(ROOT / "data", adcode)) == committed


@pytest.mark.parametrize("adcode", ["500109", "350821"])
def test_demo_roads_consistent_with_rivers_and_villages(adcode):
    data = load_demo(adcode)
    assert data.report.ok
    roads = data.roads
    assert len(roads) and roads["is_synthetic"].all()
    assert set(roads["kind"]) <= {"trunk", "county", "township", "village", "path"}
    crs = data.metric_crs
    rm = roads.to_crs(crs)
    rivers = data.waterways[data.waterways["kind"] == "river"].to_crs(crs).geometry.union_all()
    crosses = shapely.intersects(rm.geometry.values, rivers)
    # a road meets a river only on a bridge, and every bridge crosses one
    assert not crosses[~rm["bridge"].to_numpy(bool)].any()
    assert crosses[rm["bridge"].to_numpy(bool)].all()
    # every bridge segment is at a bridge of the crossings layer (within 1 m)
    bridges = data.crossings.to_crs(crs).geometry.values
    mids = shapely.line_interpolate_point(rm.geometry.values[rm["bridge"].to_numpy(bool)], 0.5,
                                          normalized=True)
    near = shapely.STRtree(bridges).query_nearest(mids, return_distance=True)[1]
    assert (near < 1.0).all()
    # every village point is a road node
    ends = np.unique(np.round(shapely.get_coordinates(rm.geometry.values), 3), axis=0)
    vxy = np.round(shapely.get_coordinates(data.villages.to_crs(crs).geometry.values), 3)
    tree = shapely.STRtree(shapely.points(ends))
    d = tree.query_nearest(shapely.points(vxy), return_distance=True)[1]
    assert (d < 0.5).all()


def test_roads_layer_read_and_validated(tmp_path):
    # a planner's roads as a GeoPackage with Chinese headers and class labels
    src = gpd.GeoDataFrame(
        {"编号": ["R1", "R2", "R3"], "道路等级": ["县道", "小路", "公路"]},
        geometry=[shapely.LineString([(106.40, 29.80), (106.41, 29.81)]),
                  shapely.LineString([(106.41, 29.81), (106.42, 29.81)]),
                  shapely.Point(106.4, 29.8)], crs=4326)
    path = tmp_path / "roads.gpkg"
    src.to_file(path)
    sources = {k: v for k, v in _demo_sources().items() if k in ("county", "townships",
                                                                  "villages")}
    sources["roads"] = path
    data = load_county(sources)
    f = data.report.to_frame("en")
    got = sorted(zip(f["code"], f["layer"], f["row"], f["id"], f["column"], strict=True))
    # row 3 is a point (not a line) and 公路 is not one of the road classes
    assert got == [("unknown_value", "roads", 3, "R3", "道路等级"),  # the planner's header
                   ("wrong_geometry_type", "roads", 3, "R3", "geometry")]
    assert list(data.roads["road_id"]) == ["R1", "R2"]
    assert list(data.roads["kind"]) == ["county", "path"]  # 县道, 小路


def _demo_sources():
    from geo.layers import demo_sources

    return demo_sources("500109", DATA_DIR)
