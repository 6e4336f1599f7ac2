"""GCJ-02 / BD-09 conversions against published coordinate pairs.

Reference pairs: wandergis/coordtransform (the JavaScript library most Chinese web GIS code
copies), README/test output for the point (116.404, 39.915):
    wgs84togcj02 -> (116.41024449916938, 39.91640428150164)
    gcj02tobd09  -> (116.41036949371029, 39.92133699351021)
    bd09togcj02  -> (116.39762729119315, 39.90865673957631)
"""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import Polygon

from geo.coords import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    convert_geometry,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")


def metres(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def test_published_wgs84_to_gcj02():
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert float(lon) == pytest.approx(116.41024449916938, abs=1e-12)
    assert float(lat) == pytest.approx(39.91640428150164, abs=1e-12)


def test_published_gcj02_bd09_pairs():
    assert tuple(map(float, gcj02_to_bd09(116.404, 39.915))) == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-12)
    assert tuple(map(float, bd09_to_gcj02(116.404, 39.915))) == pytest.approx(
        (116.39762729119315, 39.90865673957631), abs=1e-12)


def test_inverse_recovers_published_wgs84_point_to_a_millimetre():
    lon, lat = gcj02_to_wgs84(116.41024449916938, 39.91640428150164)
    assert metres(float(lon), float(lat), 116.404, 39.915) < 0.001


@pytest.mark.parametrize("lon,lat", [(106.43, 29.82), (116.35, 25.83), (87.6, 43.8),
                                     (121.47, 31.23), (113.26, 23.13), (126.6, 45.75)])
def test_round_trips_under_one_metre(lon, lat):
    g = wgs84_to_gcj02(lon, lat)
    back = gcj02_to_wgs84(*g)
    assert metres(lon, lat, float(back[0]), float(back[1])) < 1.0
    b = wgs84_to_bd09(lon, lat)
    back = bd09_to_wgs84(*b)
    assert metres(lon, lat, float(back[0]), float(back[1])) < 1.0


def test_offset_at_beibei_is_about_480_m():
    # The figure: Amap boundary of 北碚区 is shifted ~480 m from WGS84.
    g = wgs84_to_gcj02(106.43, 29.82)
    d = metres(106.43, 29.82, float(g[0]), float(g[1]))
    assert 400 < d < 600


def test_vectorised_and_outside_china_unchanged():
    lon = np.array([106.43, -0.1276, 116.35])
    lat = np.array([29.82, 51.5072, 25.83])
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert glon[1] == -0.1276 and glat[1] == 51.5072  # London untouched
    assert out_of_china(lon, lat).tolist() == [False, True, False]
    assert glon[0] != 106.43


def test_convert_geometry_moves_every_vertex_and_keeps_input():
    poly = Polygon([(106.4, 29.8), (106.5, 29.8), (106.5, 29.9), (106.4, 29.9)])
    moved = convert_geometry(poly, gcj02_to_wgs84)
    assert poly.exterior.coords[0] == (106.4, 29.8)  # input unchanged
    for (x0, y0), (x1, y1) in zip(poly.exterior.coords, moved.exterior.coords, strict=True):
        ex, ey = gcj02_to_wgs84(x0, y0)
        assert (x1, y1) == pytest.approx((float(ex), float(ey)), abs=1e-12)


def test_to_wgs84_rejects_unknown_system():
    with pytest.raises(ValueError, match="unknown coordinate system"):
        to_wgs84(106.4, 29.8, "mercator")
