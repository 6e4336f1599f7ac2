"""Load a county's layers into one validated :class:`CountyData`.

The embedded demo counties live in ``data/boundaries/<adcode>/`` and
``data/facilities/<adcode>/``; a planner's own files go through exactly the same path
(:func:`load_county`), so the app, the CLI and the tests see the same report.

Examples
--------
>>> data = load_demo("500109")
>>> data.name, data.report.ok
('北碚区', True)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from geo.crs import STORAGE_CRS, metric_crs_for
from geo.io import read_raw
from geo.report import DataError, Report
from geo.schema import LAYERS
from geo.validate import coerce_layer, validate_layers

__all__ = [
    "DATA_DIR",
    "DEFAULT_ADCODE",
    "CountyData",
    "LayerSource",
    "demo_adcodes",
    "demo_name",
    "demo_sources",
    "load_county",
    "load_demo",
]



def _embedded_data_dir() -> Path:
    """The demo data shipped with the product: ``childplan/data`` installed, ``data/`` in a checkout."""
    parent = (__spec__.parent if __spec__ else "").rpartition(".")[0]
    if parent:  # installed: this module is childplan.geo.layers, the data is package data beside it
        from importlib import resources

        shipped = Path(os.fspath(resources.files(parent))) / "data"
        if shipped.is_dir():
            return shipped
    return Path(__file__).resolve().parents[1] / "data"  # a checkout (also an editable install)


#: Where the embedded demo data lives (override with the CHILDPLAN_DATA_DIR variable).
DATA_DIR = Path(os.environ.get("CHILDPLAN_DATA_DIR") or _embedded_data_dir())

_DEMO_FILES = {
    "county": ("boundaries", "county.geojson"),
    "townships": ("boundaries", "townships.geojson"),
    "villages": ("boundaries", "villages.geojson"),
    "dem": ("boundaries", "dem.tif"),
    "facilities": ("facilities", "facilities.geojson"),
    "waterways": ("facilities", "waterways.geojson"),
    "crossings": ("facilities", "crossings.geojson"),
    "roads": ("facilities", "roads.geojson"),
    "roster": ("facilities", "roster.csv"),
}

#: The county the app and the CLI open on: 北碚区, Chongqing (the district of seed 002).
DEFAULT_ADCODE = "500109"

#: Layers a county needs before anything can be planned.
REQUIRED_LAYERS = ("county", "townships", "villages")


@dataclass(frozen=True)
class LayerSource:
    """A file for one layer and how to read it.

    Attributes
    ----------
    path : path
        The file.
    coord_system : {"wgs84", "gcj02", "bd09"}
        What its coordinates are (Amap/Tencent: gcj02, Baidu: bd09).
    declared_crs : optional
        CRS to assume when a vector file carries none (e.g. 4326 or 4490).
    sheet : str or int, optional
        Worksheet of an XLSX file.
    display_name : str, optional
        The name the planner knows the file by (for uploads stored under a temporary name).
    """

    path: Path
    coord_system: str = "wgs84"
    declared_crs: object = None
    sheet: object = None
    display_name: str | None = None


def _empty(layer: str) -> gpd.GeoDataFrame | pd.DataFrame:
    cols = [c.name for c in LAYERS[layer].columns] + ["_row"]
    if LAYERS[layer].geometry_types:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=STORAGE_CRS)
    return pd.DataFrame({c: [] for c in cols})


@dataclass(frozen=True)
class CountyData:
    """A county's validated layers (WGS84) and the report of loading them.

    Layers a planner did not provide are empty frames with the schema's columns. A hidden
    ``_row`` column keeps the row number of each record in its file.
    """

    adcode: str
    name: str
    county: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    waterways: gpd.GeoDataFrame
    crossings: gpd.GeoDataFrame
    roster: pd.DataFrame
    dem_path: Path | None
    report: Report
    files: dict[str, str] = field(default_factory=dict)
    roads: gpd.GeoDataFrame | None = None

    @property
    def metric_crs(self) -> CRS:
        """The CGCS2000 Gauss-Krüger zone used for distances in this county."""
        return metric_crs_for(self.county if len(self.county) else self.villages)

    @property
    def designations(self) -> tuple[str, ...]:
        """County designations (keys of :data:`geo.schema.COUNTY_DESIGNATIONS`)."""
        if not len(self.county):
            return ()
        raw = str(self.county["designations"].iloc[0] or "")
        return tuple(d.strip() for d in raw.replace("；", ";").split(";") if d.strip())

    def synthetic_layers(self) -> list[str]:
        """Layers that contain any synthetic (示意) record."""
        out = []
        for name in ("county", "townships", "villages", "facilities", "waterways", "crossings",
                     "roads", "roster"):
            frame = getattr(self, name)
            if frame is not None and len(frame) and "is_synthetic" in frame.columns and frame["is_synthetic"].any():
                out.append(name)
        return out

    def require_ok(self) -> CountyData:
        """Return self, or raise :class:`~geo.report.DataError` if the data has errors."""
        if not self.report.ok:
            raise DataError(self.report)
        return self


def _src(value) -> LayerSource:
    if isinstance(value, LayerSource):
        return value
    return LayerSource(path=Path(value))


def _check_dem(src: LayerSource, report: Report) -> Path | None:
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        with rasterio.open(src.path) as ds:
            if ds.crs is None:
                report.add("error", "unknown_crs", layer="dem", file=src.path,
                           zh="高程栅格没有坐标系", en="the DEM raster has no CRS",
                           fix_zh="在 GIS 软件中为栅格定义坐标系后另存为 GeoTIFF",
                           fix_en="define the raster's CRS in your GIS and save as GeoTIFF")
                return None
            if ds.count < 1:
                report.add("error", "no_band", layer="dem", file=src.path,
                           zh="栅格没有波段", en="the raster has no band",
                           fix_zh="提供单波段高程 GeoTIFF", fix_en="provide a one-band DEM GeoTIFF")
                return None
    except RasterioIOError as exc:
        report.add("error", "unreadable_file", layer="dem", file=src.path,
                   zh=f"无法读取栅格：{exc}", en=f"cannot read the raster: {exc}",
                   fix_zh="提供 GeoTIFF 格式的高程数据", fix_en="provide the DEM as a GeoTIFF")
        return None
    return Path(src.path)


def _join_children(villages, children, report: Report, files: dict[str, str]):
    """Replace the villages' counts with those of a counts table joined by village code."""
    count_cols = [c.name for c in LAYERS["children"].columns
                  if c.name not in ("village_code", "name", "_row")]
    known = set(villages["village_code"])
    for r in children[["village_code", "_row"]].itertuples(index=False):
        if r.village_code not in known:
            report.add("error", "unknown_village", layer="children", file=files.get("children"),
                       row=r._1, feature_id=r.village_code, column="village_code",
                       value=r.village_code,
                       zh="该村代码在村点位图层中找不到，无法关联",
                       en="this village code is not in the village layer, so it cannot be joined",
                       fix_zh="核对 12 位村代码，或在村图层中补充该村",
                       fix_en="check the 12-digit code or add the village to the village layer")
    have = set(children["village_code"])
    missing = villages[~villages["village_code"].isin(have)]
    for r in missing[["village_code", "_row"]].itertuples(index=False):
        report.add("error", "missing_counts", layer="children", file=files.get("children"),
                   row=None, feature_id=r.village_code, column="village_code",
                   value=r.village_code,
                   zh="村图层中的该村在儿童数统计表中没有数据",
                   en="this village of the village layer has no row in the child-count table",
                   fix_zh="在统计表中补充该村（没有儿童请填 0）",
                   fix_en="add the village to the table (enter 0 if it has no children)")
    merged = villages.drop(columns=[c for c in count_cols if c in villages.columns]).merge(
        children[["village_code"] + count_cols], on="village_code", how="inner")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=villages.crs)


def load_county(sources: dict[str, object], *, adcode: str | None = None,
                allow_personal: bool = False,
                mapping: dict[str, dict[str, str]] | str | Path | None = None) -> CountyData:
    """Read, type, repair and cross-check a county's layers.

    Parameters
    ----------
    sources : dict
        Layer name -> path or :class:`LayerSource`. Layers: county, townships, villages,
        children (counts joined to villages by code), facilities, waterways, crossings,
        roads, roster, dem. county, townships and villages are required.
    adcode : str, optional
        The county code all codes must start with (default: from the county layer).
    allow_personal : bool
        Keep personal columns (only for an explicit personal list).
    mapping : dict or path, optional
        The planner's column mapping, layer -> {their header: our field} (``""`` ignores a
        column), or a JSON file of it (:func:`geo.importer.load_mapping`).

    Returns
    -------
    CountyData
        Always returned; ``data.report`` lists every problem. Records with errors are left
        out of the layers, so check ``data.report.ok`` (or call ``require_ok()``) before
        planning.
    """
    report = Report()
    if mapping is not None and not isinstance(mapping, dict):
        from geo.importer import load_mapping

        mapping = load_mapping(mapping, report)
    mapping = mapping or {}
    files: dict[str, str] = {}
    layers: dict[str, object] = {}
    dem_path = None
    for name in REQUIRED_LAYERS:
        if name not in sources:
            report.add("error", "missing_layer", layer=name, file=None,
                       zh=f"缺少必需图层：{LAYERS[name].zh}",
                       en=f"required layer missing: {LAYERS[name].en}",
                       fix_zh="上传该图层或使用示例区县", fix_en="upload it or use the demo county")
    for name, value in sources.items():
        src = _src(value)
        files[name] = str(src.display_name or src.path)
        if name == "dem":
            dem_path = _check_dem(src, report)
            continue
        if name not in LAYERS:
            raise ValueError(f"unknown layer {name!r}; known: {sorted(LAYERS)} + ['dem']")
        sub = Report()
        raw = read_raw(src.path, name, sub, sheet=src.sheet, mapping=mapping.get(name))
        frame = None
        if raw is not None:
            raw.file = files[name]
            frame = coerce_layer(raw, name, sub, coord_system=src.coord_system,
                                 declared_crs=src.declared_crs, allow_personal=allow_personal,
                                 mapping=mapping.get(name))
        if name == "villages" and frame is not None and not isinstance(frame, gpd.GeoDataFrame):
            sub.add("error", "missing_column", layer=name, file=files[name], column="lon/lat",
                    zh="村图层缺少经纬度，且没有几何",
                    en="the village layer has neither geometry nor lon/lat columns",
                    fix_zh="上传带点位的村图层，儿童数可另用统计表按村代码关联",
                    fix_en="upload a village layer with points; counts can come from a separate "
                    "table joined by village code")
            frame = None
        report.extend(sub)
        layers[name] = frame
    if layers.get("villages") is not None and layers.get("children") is not None:
        layers["villages"] = _join_children(layers["villages"], layers["children"], report,
                                            files)
    validate_layers(layers, report, files, adcode=adcode)

    def get(name):
        frame = layers.get(name)
        return frame if frame is not None else _empty(name)

    county = get("county")
    code = adcode or (str(county["adcode"].iloc[0]) if len(county) else "")
    cname = str(county["name"].iloc[0]) if len(county) else code
    return CountyData(
        adcode=code, name=cname, county=county, townships=get("townships"),
        villages=get("villages"), facilities=get("facilities"), waterways=get("waterways"),
        crossings=get("crossings"), roster=get("roster"), dem_path=dem_path, report=report,
        files=files, roads=get("roads"),
    )


def demo_adcodes(data_dir: Path | None = None) -> list[str]:
    """Adcodes of the counties embedded under ``data/boundaries/``."""
    base = Path(data_dir or DATA_DIR) / "boundaries"
    if not base.exists():
        return []
    return sorted(p.name for p in base.iterdir() if (p / "county.geojson").exists())


def demo_name(adcode: str, data_dir: Path | None = None) -> str:
    """An embedded county's name, read from its boundary file alone (cheap: no validation)."""
    import json

    path = Path(data_dir or DATA_DIR) / "boundaries" / adcode / "county.geojson"
    try:
        props = json.loads(path.read_text(encoding="utf-8"))["features"][0]["properties"]
        return str(props.get("name") or adcode)
    except (OSError, KeyError, IndexError, ValueError):
        return adcode


def demo_sources(adcode: str = "500109", data_dir: Path | None = None) -> dict[str, Path]:
    """Paths of an embedded county's layers (only those that exist)."""
    base = Path(data_dir or DATA_DIR)
    out = {}
    for layer, (folder, fname) in _DEMO_FILES.items():
        p = base / folder / adcode / fname
        if p.exists():
            out[layer] = p
    if "county" not in out:
        raise FileNotFoundError(
            f"没有内置区县 {adcode} 的数据（{base}）/ no embedded data for county {adcode}"
        )
    return out


def load_demo(adcode: str = "500109", data_dir: Path | None = None) -> CountyData:
    """Load an embedded demo county (北碚区 500109 by default; 长汀县 350821 too)."""
    return load_county(demo_sources(adcode, data_dir), adcode=adcode)
