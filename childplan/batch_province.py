"""Batch step 3, the province: the cross-county water join, the summary and the funding LP."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from childplan.batch_county import (
    _write_geoparquet,
)

# --- the province: after every county ---------------------------------------------------


#: Villages per partition of the province layers (a few thousand: big enough that a task is
#: worth scheduling, small enough that the country makes hundreds of partitions).
PARTITION_VILLAGES = 4000


def county_groups(villages: dict[str, int], *, target: int = PARTITION_VILLAGES,
                  at_least: int = 1) -> list[list[str]]:
    """Consecutive counties (by adcode) grouped into partitions of about ``target`` villages.

    Adcodes share their first four digits within a prefecture, so a run of consecutive codes
    is a compact area: the partitions are spatially coherent and their hulls overlap only
    where prefectures meet.

    >>> county_groups({"350102": 60, "350103": 50, "350104": 200}, target=100)
    [['350102', '350103'], ['350104']]
    """
    codes = sorted(villages)
    n = max(1, min(len(codes), max(at_least, -(-sum(villages.values()) // max(target, 1)))))
    size = sum(villages.values()) / n
    groups: list[list[str]] = [[]]
    acc = 0.0
    for a in codes:
        if groups[-1] and acc >= size * len(groups) and len(groups) < n:
            groups.append([])
        groups[-1].append(a)
        acc += villages[a]
    return groups


def _read_wgs84(files: list[str]):
    """Concatenate GeoParquet files this module wrote (all EPSG:4326) into one GeoDataFrame.

    Read with pyarrow and decoded from WKB with the CRS given once: geopandas would parse
    each file's PROJJSON CRS, about 20 ms a file, most of the time for small county files.
    """
    import geopandas as gpd
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")
    frame = table.drop(["geometry"]).to_pandas()
    geometry = gpd.GeoSeries.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False),
                                      crs="EPSG:4326")
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=geometry.crs)


def _read_villages(files: list[str], buffer_m: float | None = None):
    """One partition: the villages of a group of counties; with ``buffer_m``, their disks.

    Each disk is drawn in its county's Gauss–Krüger zone (the zone of the county's centre,
    :func:`geo.crs.metric_crs`) and returned in WGS84; counties of one zone are projected
    together.
    """
    from geo.crs import STORAGE_CRS, metric_crs

    frame = _read_wgs84(files)
    if buffer_m is None:
        return frame
    frame = frame[["adcode", "village_code", "resident_children", "left_behind", "geometry"]]
    if not len(frame):
        return frame
    x = frame.geometry.x.groupby(frame["adcode"])
    centre = (x.min() + x.max()) / 2.0
    zone = frame["adcode"].map({a: metric_crs(lon).to_epsg() for a, lon in centre.items()})
    disks = [part.to_crs(epsg).assign(geometry=lambda g: g.buffer(buffer_m, quad_segs=16)).to_crs(
        STORAGE_CRS) for epsg, part in frame.groupby(zone, sort=True)]
    return frame.iloc[:0].pipe(lambda empty: pd.concat([empty, *disks]).sort_index())


def _read_waters(files: list[str]):
    """One partition: the waterways of a group of counties (``water_adcode`` = their county)."""
    return _read_wgs84(files).rename(columns={"adcode": "water_adcode"})[
        ["water_id", "kind", "water_adcode", "geometry"]]


def _partitioned(reader, groups: list[list[str]], out: Path, name: str, *args):
    """A dask-geopandas frame with one partition per group of counties."""
    import dask.dataframe as dd

    files = [[str(out / a / name) for a in g] for g in groups]
    meta = reader(files[0][:1], *args).iloc[:0]
    return dd.from_map(reader, files, args=list(args), meta=meta, enforce_metadata=False)


def _near_water(client, out: Path, groups: list[list[str]], buffer_m: float) -> pd.DataFrame:
    """Per village: water bodies within ``buffer_m``, and whether one is in another county.

    The province-wide spatial join (dask-geopandas, on the cluster): village disks against
    waterways, both partitioned by groups of neighbouring counties; the spatial partitions
    (each partition's hull) restrict the join to the pairs of partitions that meet.
    """
    import dask_geopandas as dg
    from distributed import wait

    cols = ["village_code", "adcode", "resident_children", "left_behind", "waters_near",
            "near_other_county_water"]
    disks = _partitioned(_read_villages, groups, out, "villages.parquet", buffer_m).persist()
    water = _partitioned(_read_waters, groups, out, "waterways.parquet").persist()
    wait([disks, water])
    disks.calculate_spatial_partitions()
    water.calculate_spatial_partitions()
    pairs = dg.sjoin(disks, water, predicate="intersects")[
        ["village_code", "adcode", "resident_children", "left_behind", "water_id",
         "water_adcode"]]
    pairs = pairs.assign(other=pairs["water_adcode"] != pairs["adcode"])
    # A (village, water body) pair occurs once (a water body is in one partition), so a tree
    # reduction without a shuffle gives the per-village figures.
    per_village = pairs.groupby(["village_code", "adcode"]).agg(
        {"resident_children": "max", "left_behind": "max", "water_id": "count", "other": "max"},
        split_out=1)
    result = client.compute(per_village).result().reset_index()
    result = result.rename(columns={"water_id": "waters_near", "other": "near_other_county_water"})
    return result[cols].sort_values("village_code").reset_index(drop=True)


def _flagged_villages(files: list[str], flags: pd.DataFrame):
    """One partition of the province village layer: villages with their near-water figures."""
    frame = _read_wgs84(files)
    f = flags.set_index("village_code").reindex(frame["village_code"])
    return frame.assign(waters_near=f["waters_near"].fillna(0).astype(int).to_numpy(),
                        near_other_county_water=f["near_other_county_water"].fillna(
                            False).astype(bool).to_numpy())


def _province_layers(client, out: Path, groups: list[list[str]],
                     near: pd.DataFrame) -> dict[str, Path]:
    """Write the province's villages (with the near-water figures) and homes as GeoParquet.

    Each partition gets only its own counties' rows of ``near`` (not the whole table).
    """
    import dask.dataframe as dd

    files: dict[str, Path] = {}
    if not groups:
        return files
    cols = ["village_code", "waters_near", "near_other_county_water"]
    flags = [near.loc[near["adcode"].isin(g), cols].reset_index(drop=True) for g in groups]
    paths = [[str(out / a / "villages.parquet") for a in g] for g in groups]
    meta = _flagged_villages(paths[0][:1], flags[0]).iloc[:0]
    villages = dd.from_map(_flagged_villages, paths, flags, meta=meta, enforce_metadata=False)
    for name, frame in (("villages", villages),
                        ("homes", _partitioned(_read_villages, groups, out, "homes.parquet"))):
        target = out / f"{name}.parquet"
        client.compute(frame.to_parquet(str(target), overwrite=True, compute=False)).result()
        files[name] = target
    return files


#: Columns of the province summary, in order (others follow).
SUMMARY_COLUMNS = [
    "adcode", "name", "status", "reason_code", "reason_zh", "reason_en", "villages",
    "resident_children", "left_behind", "difficulty", "homes_existing", "homes_reuse",
    "homes_new", "siting_cost_yuan", "villages_covered_pct", "uncovered_villages",
    "mean_distance_m", "directors_required", "directors_assigned", "directors_to_recruit",
    "supervisors_assigned", "villages_near_water", "children_near_water",
    "left_behind_near_water", "villages_near_water_across_border", "funding_yuan",
    "siting_status", "staffing_status", "seconds", "load_s", "siting_s", "staffing_s",
    "write_s", "peak_rss_mb", "worker",
]


_COUNT_COLUMNS = (
    "villages", "resident_children", "left_behind", "difficulty", "homes_existing", "homes_reuse",
    "homes_new", "siting_cost_yuan", "uncovered_villages", "directors_required",
    "directors_assigned", "directors_to_recruit", "supervisors_assigned", "villages_near_water",
    "children_near_water", "left_behind_near_water", "villages_near_water_across_border",
    "funding_yuan")


def _summary_table(summaries: list[dict]) -> pd.DataFrame:
    rows = [{k: v for k, v in s.items() if k != "funding_unit"} for s in summaries]
    table = pd.DataFrame(rows)
    for c in SUMMARY_COLUMNS:
        if c not in table.columns:
            table[c] = None
    rest = [c for c in table.columns if c not in SUMMARY_COLUMNS]
    return table[SUMMARY_COLUMNS + rest].sort_values("adcode").reset_index(drop=True)


def _funding(summaries: list[dict], budget: int | None, policy) -> tuple[pd.DataFrame | None, str]:
    """One funding LP on the county totals of every county whose data loaded."""
    from childplan.workflows import run_funding
    from optimization.funding import FundingInfeasible, FundingUnits

    if budget is None:
        return None, "未给出预算，未分配经费 / no budget given: no funding split"
    rows = [s["funding_unit"] for s in summaries if s.get("funding_unit")]
    if not rows:
        return None, "没有数据可用的区县，未分配经费 / no county with usable data: no funding split"
    units = FundingUnits(pd.DataFrame(rows).sort_values("unit_code").reset_index(drop=True))
    try:
        plan = run_funding(units, int(budget), policy)
    except FundingInfeasible as exc:
        return None, str(exc)
    left_out = sorted(s["adcode"] for s in summaries if not s.get("funding_unit"))
    note = ""
    if left_out:
        note = (f"以下区县数据有错误或缺失，未参与经费分配：{'、'.join(left_out)} / "
                f"left out of the funding split (data errors or no data): {', '.join(left_out)}")
    return plan.table, note


def _with_province_columns(table: pd.DataFrame, near: pd.DataFrame,
                           funding: pd.DataFrame | None) -> pd.DataFrame:
    table = table.copy()
    if len(near):
        g = near.groupby("adcode")
        table["villages_near_water"] = table["adcode"].map(g.size()).fillna(0).astype(int)
        table["children_near_water"] = table["adcode"].map(
            g["resident_children"].sum()).fillna(0).astype(int)
        table["left_behind_near_water"] = table["adcode"].map(
            g["left_behind"].sum()).fillna(0).astype(int)
        table["villages_near_water_across_border"] = table["adcode"].map(
            g["near_other_county_water"].sum()).fillna(0).astype(int)
    ok = table["status"].isin(["done", "skipped"])
    for c in ("villages_near_water", "children_near_water", "left_behind_near_water",
              "villages_near_water_across_border"):
        table.loc[~ok, c] = None
    if funding is not None:
        amounts = funding.set_index(funding["unit_code"].astype(str))["amount"]
        table["funding_yuan"] = table["adcode"].map(amounts)
    for c in _COUNT_COLUMNS:  # whole numbers, empty where a county has none
        table[c] = pd.to_numeric(table[c], errors="coerce").round().astype("Int64")
    return table


#: Summary columns for the machine room, not the planner: the 技术细节 sheet (all kept with codes).
TECHNICAL_COLUMNS = ("reason_code", "load_s", "siting_s", "siting_solve_s", "siting_gap",
                     "staffing_s", "write_s", "peak_rss_mb", "rss_mb", "pid", "worker",
                     "inputs_hash")


def _write_summary(out: Path, table: pd.DataFrame, funding: pd.DataFrame | None,
                   note: str, lang: str = "zh", codes: bool = False) -> dict[str, Path]:
    """Write summary.csv/.xlsx and funding.csv in ``lang``, or as codes with ``codes``.

    In words the technical columns move to their own sheet and the reason is in ``lang``.
    """
    from geo.exports import export_sheets, export_table, write_csv, write_xlsx

    enums = {"status": "batch_status"}
    failed = table[table["status"] == "failed"][["adcode", "name", "reason_code", "reason_zh",
                                                 "reason_en"]]
    if codes:
        plain, technical = table, None
    else:
        other = "reason_en" if lang == "zh" else "reason_zh"
        plain = table.drop(columns=[c for c in (*TECHNICAL_COLUMNS, other) if c in table.columns])
        technical = table[["adcode", "name", *[c for c in TECHNICAL_COLUMNS if c in table.columns]]]
        failed = failed.drop(columns=["reason_code", other])
    files = {"summary_csv": write_csv(export_table(plain, lang, codes=codes, enums=enums),
                                      out / "summary.csv")}
    sheets = {"counties": plain, "failures": failed}
    if funding is not None:
        files["funding_csv"] = write_csv(export_table(funding, lang, codes=codes), out / "funding.csv")
        sheets["funding"] = funding
    if note:
        sheets["notes"] = pd.DataFrame({"note": [note]})
    if technical is not None:
        sheets["technical"] = technical
    files["summary_xlsx"] = write_xlsx(
        export_sheets(sheets, lang, codes=codes, enums={"counties": enums}), out / "summary.xlsx")
    paths = [out / a / "county.parquet" for a in table["adcode"] if (out / a / "county.parquet").is_file()]
    if paths:  # one small polygon per county: read here, written as one file
        shapes = _read_wgs84([str(p) for p in paths])[["adcode", "geometry"]]
        shapes = shapes.merge(_arrow_safe(table), on="adcode", how="left")
        files["counties"] = _write_geoparquet(shapes, out / "counties.parquet")
    return files


def _arrow_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose object columns are numbers or strings (Parquet needs one type a column)."""
    text = {"adcode", "name", "status", "reason_code", "reason_zh", "reason_en", "siting_status",
            "staffing_status", "worker", "inputs_hash"}
    out = frame.copy()
    for c in out.columns:
        if c in text:
            out[c] = out[c].astype("string")
        elif out[c].dtype == object:
            try:
                out[c] = pd.to_numeric(out[c])
            except (ValueError, TypeError):
                out[c] = out[c].astype("string")
    return out
