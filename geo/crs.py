"""Coordinate reference systems: what the product stores in and what it measures in.

Storage and display are WGS84 longitude/latitude (EPSG:4326). CGCS2000 geographic
(EPSG:4490), the national datum, differs from WGS84 by centimetres and is accepted as is.
Distances are never computed in degrees: :func:`metric_crs` picks the CGCS2000 3-degree
Gauss-Krüger zone whose central meridian is nearest the data (EPSG:4534 … 4554), the
projection county surveying offices use, so a metre is a metre to within 1/10,000.
"""

from __future__ import annotations

import geopandas as gpd
from pyproj import CRS

__all__ = ["STORAGE_CRS", "metric_crs", "metric_crs_for", "to_metric", "to_storage"]

#: The CRS every layer is stored and displayed in.
STORAGE_CRS = CRS.from_epsg(4326)

_GK_FIRST_EPSG = 4534  # CGCS2000 / 3-degree Gauss-Kruger CM 75E
_GK_FIRST_CM = 75
_GK_LAST_CM = 135


def metric_crs(lon: float) -> CRS:
    """Return the CGCS2000 3-degree Gauss-Krüger CRS for a longitude in mainland China.

    Examples
    --------
    >>> metric_crs(106.43).to_epsg()  # Beibei, Chongqing: CM 105E
    4544
    >>> metric_crs(116.35).to_epsg()  # Changting, Fujian: CM 117E
    4548
    """
    cm = int(round(lon / 3.0)) * 3
    cm = min(max(cm, _GK_FIRST_CM), _GK_LAST_CM)
    return CRS.from_epsg(_GK_FIRST_EPSG + (cm - _GK_FIRST_CM) // 3)


def metric_crs_for(gdf: gpd.GeoDataFrame) -> CRS:
    """Return the metric CRS for the centre of a GeoDataFrame's extent."""
    if gdf.crs is None:
        raise ValueError("图层没有坐标系 / layer has no CRS")
    bounds = gdf.to_crs(STORAGE_CRS).total_bounds
    return metric_crs((bounds[0] + bounds[2]) / 2.0)


def to_metric(gdf: gpd.GeoDataFrame, crs: CRS | None = None) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` in a metric CRS (the given one, or the nearest GK zone)."""
    return gdf.to_crs(crs or metric_crs_for(gdf))


def to_storage(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` in the storage CRS (WGS84 lon/lat)."""
    return gdf.to_crs(STORAGE_CRS)
