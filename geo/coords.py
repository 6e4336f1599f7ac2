"""Chinese map-app coordinate systems: GCJ-02 (Amap, Tencent) and BD-09 (Baidu) to and from WGS84.

Planners copy coordinates from phone map apps. Amap (高德) and Tencent (腾讯) show GCJ-02
("火星坐标"), Baidu shows BD-09. Both are deliberately offset from WGS84 by up to ~700 m
(about 480 m at Beibei). Everything inside the product is WGS84 (EPSG:4326) or CGCS2000
(EPSG:4490, identical to WGS84 at map scale); these functions convert at the boundary.

The forward GCJ-02 transform is the published obfuscation (Krasovsky 1940 ellipsoid,
``a = 6378245``, ``ee = 0.00669342162296594323``). It has no closed-form inverse; the inverse
here is a fixed-point iteration that converges to < 1e-9 degrees (sub-millimetre) within a
few steps, unlike the single-step inverse in many snippets, which is off by 1–2 m.

Outside mainland China the offset is not applied (same rule as the published transform).

Examples
--------
>>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
>>> round(float(lon), 6), round(float(lat), 6)
(116.410244, 39.916404)
>>> back = gcj02_to_wgs84(lon, lat)
>>> round(float(back[0]), 6), round(float(back[1]), 6)
(116.404, 39.915)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely

__all__ = [
    "SUPPORTED_INPUT_SYSTEMS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "convert_geometry",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0

#: Coordinate systems a planner may declare for an input file.
SUPPORTED_INPUT_SYSTEMS = ("wgs84", "gcj02", "bd09")


def out_of_china(lon, lat):
    """Return True where a point lies outside the rough mainland-China box.

    The published transform leaves such points unchanged.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _transform_lat(x, y):
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x, y):
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_delta(lon, lat):
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    """Convert WGS84 longitude/latitude (degrees) to GCJ-02. Accepts scalars or arrays."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _gcj_delta(lon, lat)
    outside = out_of_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def gcj02_to_wgs84(lon, lat, *, tol: float = 1e-10, max_iter: int = 30):
    """Convert GCJ-02 longitude/latitude to WGS84 by fixed-point iteration.

    Solves ``wgs84_to_gcj02(w) = g`` for ``w``. Each step shrinks the error by a factor of
    about 1e-3, so 3–5 steps reach ``tol`` degrees.
    """
    g_lon = np.asarray(lon, dtype=float)
    g_lat = np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = f_lon - g_lon, f_lat - g_lat
        w_lon = w_lon - e_lon
        w_lat = w_lat - e_lat
        if np.all(np.abs(e_lon) < tol) and np.all(np.abs(e_lat) < tol):
            break
    return w_lon, w_lat


def gcj02_to_bd09(lon, lat):
    """Convert GCJ-02 to Baidu BD-09."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat):
    """Convert Baidu BD-09 to GCJ-02 (the published closed-form inverse)."""
    x = np.asarray(lon, dtype=float) - 0.0065
    y = np.asarray(lat, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def wgs84_to_bd09(lon, lat):
    """Convert WGS84 to Baidu BD-09 (via GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat):
    """Convert Baidu BD-09 to WGS84 (via GCJ-02, iterative inverse)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS84: dict[str, Callable] = {
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}


def to_wgs84(lon, lat, system: str):
    """Convert coordinates declared in ``system`` ('wgs84', 'gcj02' or 'bd09') to WGS84."""
    system = system.lower().replace("-", "")
    if system == "wgs84":
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if system not in _TO_WGS84:
        raise ValueError(
            f"未知坐标系 {system!r}，可选 {SUPPORTED_INPUT_SYSTEMS} / "
            f"unknown coordinate system {system!r}; choose one of {SUPPORTED_INPUT_SYSTEMS}"
        )
    return _TO_WGS84[system](lon, lat)


def convert_geometry(geoms, func: Callable):
    """Apply a lon/lat converter to every vertex of shapely geometries (array or scalar).

    Returns new geometries; the input is not modified.
    """

    def _xy(coords):
        x, y = func(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, _xy)
