"""The travel model on hand-made networks whose answers are worked out by hand."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely import LineString, Point

from geo.travel import build_network, max_speed_kmh, tobler_kmh, travel_matrix
from optimization.policy import load_policy

CRS = "EPSG:4544"
X0, Y0 = 500_000.0, 3_300_000.0
TP = load_policy().travel


def pts(*xy):
    return gpd.GeoDataFrame({"id": [f"p{i}" for i in range(len(xy))]},
                            geometry=[Point(X0 + x, Y0 + y) for x, y in xy], crs=CRS)


def line(*xy):
    return LineString([(X0 + x, Y0 + y) for x, y in xy])


def matrix(net, o, d, metric="walk_min", cap=None):
    m = travel_matrix(net, o, d, origin_ids=list(o["id"]), dest_ids=list(d["id"]),
                      metric=metric, cap=cap)
    return m.set_index(["origin_id", "dest_id"])


def test_tobler_function_values():
    # Tobler (1993): 6 km/h at -5 % (the fastest), 6·e^-0.175 = 5.03674 km/h on the flat
    assert float(tobler_kmh(-0.05)) == pytest.approx(6.0)
    assert float(tobler_kmh(0.0)) == pytest.approx(5.03674, abs=1e-4)
    assert float(tobler_kmh(0.25)) == pytest.approx(6 * math.exp(-1.05))


def test_river_with_one_bridge():
    # River along y = 0; village A 500 m south, home B 500 m north, one bridge 1 km east.
    # No roads: off-road legs A->bridge->B, each sqrt(1000² + 500²) = 1118.03 m, on flat
    # ground at 0.8 x 0.6 x 5.03674 = 2.41764 km/h: 2236.07 m / 2417.64 m/h = 55.494 min.
    river = gpd.GeoDataFrame(geometry=[line((-5000, 0), (5000, 0))], crs=CRS)
    bridge = gpd.GeoDataFrame({"crossing_id": ["c1"]}, geometry=[Point(X0 + 1000, Y0)], crs=CRS)
    o, d = pts((0, -500)), pts((0, 500))
    net = build_network(None, TP, crs=CRS, barriers=river, crossings=bridge)
    m = matrix(net, o, d)
    assert m.loc[("p0", "p0"), "walk_min"] == pytest.approx(55.494, abs=0.01)
    assert m.loc[("p0", "p0"), "route_m"] == pytest.approx(2236.07, abs=0.01)
    assert m.loc[("p0", "p0"), "straight_m"] == pytest.approx(1000.0)
    # without the bridge the river cannot be crossed at all
    none = build_network(None, TP, crs=CRS, barriers=river)
    assert matrix(none, o, d).empty
    # a cap below 55.5 min drops the pair
    assert matrix(net, o, d, cap=55.0).empty


def test_road_over_a_river_only_as_a_bridge():
    # A road straight across the river from A (0,-500) to B (0,500): 1000 m at 4 km/h = 15 min
    # if it is a bridge; not walked (and counted) if it is not; the off-road bridge 1 km east
    # then gives the 55.494 min of the test above.
    river = gpd.GeoDataFrame(geometry=[line((-5000, 0), (5000, 0))], crs=CRS)
    bridge = gpd.GeoDataFrame({"crossing_id": ["c1"]}, geometry=[Point(X0 + 1000, Y0)], crs=CRS)
    o, d = pts((0, -500)), pts((0, 500))
    for is_bridge, minutes, dropped in ((True, 15.0, 0), (False, 55.494, 1)):
        roads = gpd.GeoDataFrame({"kind": ["village"], "bridge": [is_bridge]},
                                 geometry=[line((0, -500), (0, 500))], crs=CRS)
        net = build_network(roads, TP, crs=CRS, barriers=river, crossings=bridge)
        assert net.dropped_links == dropped
        assert matrix(net, o, d).loc[("p0", "p0"), "walk_min"] == pytest.approx(minutes,
                                                                                 abs=0.01)


@pytest.fixture
def ramp(tmp_path):
    """A DEM rising 25 m per 100 m eastwards (a 25 % slope), 10 m cells: z = 0.25·(x - X0)."""
    path = tmp_path / "ramp.tif"
    x_left, y_top, cell = X0 - 1000, Y0 + 1000, 10.0
    cols = np.arange(300)
    z = np.tile(0.25 * (x_left + cell * cols - X0), (200, 1)).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", width=300, height=200, count=1,
                       dtype="float32", crs=CRS,
                       transform=from_origin(x_left, y_top, cell, cell)) as ds:
        ds.write(z, 1)
    return path


def test_steep_slope_against_a_longer_flat_road(ramp):
    # A (0,0) and B (1000,0); B is 250 m higher (25 % slope). A village road goes round
    # through (500, 800): 2 x 943.40 = 1886.80 m at 4 km/h = 28.302 min.
    # Straight up the slope off road: 6·e^(-3.5·0.30) x 0.48 = 1.00782 km/h -> 59.534 min,
    # so the road wins. Straight down (B->A): 6·e^(-3.5·0.20) x 0.48 = 1.43017 km/h -> 41.953
    # min, the road still wins (28.302). On flat ground (no DEM) the straight 1000 m take
    # 1000 / 2417.64 m/h = 24.818 min and beat the road.
    roads = gpd.GeoDataFrame({"kind": ["village", "village"]},
                             geometry=[line((0, 0), (500, 800)), line((500, 800), (1000, 0))],
                             crs=CRS)
    a, b = pts((0, 0)), pts((1000, 0))
    b["id"] = ["q0"]
    net = build_network(roads, TP, crs=CRS, dem_path=ramp)
    ab = matrix(net, a, b).loc[("p0", "q0")]
    assert ab["walk_min"] == pytest.approx(28.302, abs=0.01)
    assert ab["route_m"] == pytest.approx(1886.80, abs=0.05)
    assert matrix(net, b, a).loc[("q0", "p0"), "walk_min"] == pytest.approx(28.302, abs=0.01)
    # the road removed: the slope itself, up and down
    bare = build_network(None, TP, crs=CRS, dem_path=ramp)
    assert matrix(bare, a, b).loc[("p0", "q0"), "walk_min"] == pytest.approx(59.534, abs=0.01)
    assert matrix(bare, b, a).loc[("q0", "p0"), "walk_min"] == pytest.approx(41.953, abs=0.01)
    flat = build_network(roads, TP, crs=CRS)
    f = matrix(flat, a, b).loc[("p0", "q0")]
    assert f["walk_min"] == pytest.approx(24.818, abs=0.01)
    assert f["route_m"] == pytest.approx(1000.0)
    # the road_m metric takes the shortest route (the straight 1000 m) whatever the slope
    assert matrix(net, a, b, "road_m").loc[("p0", "q0"), "route_m"] == pytest.approx(1000.0)


def test_demo_county_never_faster_than_the_straight_line():
    from geo.layers import load_demo
    from geo.siting_inputs import barrier_lines

    data = load_demo("500109")
    pol = load_policy()
    net = build_network(data.roads, pol.travel, crs=data.metric_crs, dem_path=data.dem_path,
                        barriers=barrier_lines(data.waterways, pol.siting),
                        crossings=data.crossings)
    v = data.villages
    m = travel_matrix(net, v, v, origin_ids=v["village_code"], dest_ids=v["village_code"],
                      metric="walk_min", cap=60)
    assert len(m) > len(v)
    vmax = max_speed_kmh(pol.travel) * 1000 / 60  # metres per minute
    assert (m["walk_min"] * vmax >= m["straight_m"] - 1e-6).all()
    assert (m["route_m"] >= m["straight_m"] - 1e-6).all()
    assert (m["walk_min"] <= 60 + 1e-9).all()
    r = travel_matrix(net, v, v, origin_ids=v["village_code"], dest_ids=v["village_code"],
                      metric="road_m", cap=3000)
    assert (r["route_m"] >= r["straight_m"] - 1e-6).all() and (r["route_m"] <= 3000).all()


def test_route_never_shorter_than_the_crow_line_off_the_merge_grid():
    # Road end points are merged on a 0.5 m grid: (0.24, 0) becomes the node (0, 0). Village
    # p at (-100, 0), home q at the road's far end (2000, 0), 2100 m apart (too far for a
    # direct leg). The route is the 100 m leg to the node and the road from it: measured on
    # the merged node it is 100 + 2000 = 2100 m, never the 2099.76 m of the unmerged end
    # point (which made the route 0.24 m shorter than the straight line).
    roads = gpd.GeoDataFrame({"kind": ["village"]}, geometry=[line((0.24, 0), (2000, 0))],
                             crs=CRS)
    net = build_network(roads, TP, crs=CRS)
    p, q = pts((-100, 0)), pts((2000, 0))
    r = matrix(net, p, q, "road_m").loc[("p0", "p0")]
    assert r["straight_m"] == pytest.approx(2100.0)
    assert r["route_m"] == pytest.approx(2100.0, abs=1e-9)
    # walked: 100 m off road at 2.41764 km/h (2.4818 min) + 2000 m at 4 km/h (30 min)
    w = matrix(net, p, q).loc[("p0", "p0")]
    assert w["walk_min"] == pytest.approx(100 / (0.8 * 0.6 * 6 * math.exp(-0.175)) * 0.06 + 30,
                                          abs=1e-6)


@pytest.mark.parametrize("adcode", ["500109", "350821"])
def test_demo_siting_routes_never_beat_the_straight_walk_at_road_speed(adcode):
    """Every village->candidate route of the siting matrix is at least the straight line, and
    its walking time at least that line walked at the fastest road speed (4 km/h)."""
    from geo.layers import load_demo
    from geo.travel import siting_travel

    data = load_demo(adcode)
    for metric in ("road_m", "walk_min"):
        pol = load_policy(overrides={"siting.travel_metric": metric})
        m, _ = siting_travel(data, pol, metric)
        v = data.villages.to_crs(data.metric_crs).set_index(
            data.villages["village_code"].astype(str)).geometry
        from geo.siting_inputs import candidate_sites

        s = candidate_sites(data.villages, data.facilities, pol.siting).to_crs(
            data.metric_crs).set_index("site_id").geometry
        crow = v.loc[m["village_code"]].distance(s.loc[m["site_id"]], align=False).to_numpy()
        assert len(m) > 1000
        assert (m["route_m"].to_numpy() >= crow - 1e-6).all()
        vmax = max_speed_kmh(pol.travel) * 1000 / 60
        assert (m["walk_min"].to_numpy() * vmax >= crow - 1e-6).all()
