"""Drowning risk: segments, scores worked by hand, rasters, chiefs, checklist, flood list, exports.

Hand-built cases live in the county's metric CRS (EPSG:4544, CGCS2000 GK zone CM 105E, around
Beibei) with round coordinates, so every distance is read off the drawing.
"""

from __future__ import annotations

import csv
import math
import shutil
import subprocess
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from openpyxl import load_workbook
from shapely.geometry import LineString, MultiLineString, Point, box

from childplan.workflows import run_hazards
from geo.coords import wgs84_to_gcj02
from geo.exports import safe_cell, safe_frame, sheet_names, write_csv, xlsx_bytes
from geo.hazards import (
    analyse_hazards,
    assign_chiefs,
    checklist_status,
    compass_direction,
    danger_spots,
    distance_decay,
    flood_season_list,
    four_ones_counts,
    height_factor,
    merge_reaches,
    safety_activity_plan,
    score_segments,
    segment_waterways,
    zonal_sums,
)
from geo.layers import CountyData, load_demo
from geo.patrol import DANGER_SPOT_COLUMNS, patrol_sheets, write_patrol_pdf
from geo.report import Report
from optimization.policy import load_policy

GK = 4544
X0, Y0 = 640_000.0, 3_300_000.0  # a point inside zone CM 105E, near Beibei
FOUR = ("warning_sign", "life_buoy", "rescue_rope", "rescue_pole")


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def hp(policy, **over):
    return policy.with_overrides({f"hazards.{k}": v for k, v in over.items()}).hazards


def water(rows):
    """rows: (water_id, kind, name, geometry in local metres)."""
    return gpd.GeoDataFrame(
        {"water_id": [r[0] for r in rows], "kind": [r[1] for r in rows],
         "name": [r[2] for r in rows]},
        geometry=[shapely.affinity.translate(r[3], X0, Y0) for r in rows], crs=GK)


def villages(rows):
    """rows: (village_code, x, y, resident, left_behind, difficulty_other, key_attention)."""
    return gpd.GeoDataFrame(
        {"village_code": [r[0] for r in rows], "name": [f"村{r[0][-3:]}" for r in rows],
         "township_code": [r[0][:9] for r in rows],
         "resident_children": [r[3] for r in rows], "left_behind": [r[4] for r in rows],
         "orphan": 0, "unsupported": 0, "illness_disability": 0, "dibao_tekun": 0,
         "difficulty_other": [r[5] for r in rows], "key_attention": [r[6] for r in rows]},
        geometry=[Point(X0 + r[1], Y0 + r[2]) for r in rows], crs=GK)


def facilities(rows):
    """rows: (facility_id, kind, x, y)."""
    return gpd.GeoDataFrame(
        {"facility_id": [r[0] for r in rows], "kind": [r[1] for r in rows],
         "name": [f"设施{i}" for i in range(len(rows))],
         "village_code": "500109102001", "township_code": "500109102"},
        geometry=[Point(X0 + r[2], Y0 + r[3]) for r in rows], crs=GK)


def county_data(w, v, f=None, dem_path=None) -> CountyData:
    """A CountyData around hand-built layers (WGS84, like loaded data)."""
    v84 = v.to_crs(4326)
    bounds = box(*pd.concat([w.geometry, v.geometry]).total_bounds).buffer(2000)
    county = gpd.GeoDataFrame({"adcode": ["500109"], "name": ["测试区"], "designations": [""]},
                              geometry=[bounds], crs=GK).to_crs(4326)
    townships = gpd.GeoDataFrame({"township_code": ["500109102"], "name": ["测试镇"]},
                                 geometry=[bounds], crs=GK).to_crs(4326)
    empty = gpd.GeoDataFrame({"facility_id": [], "kind": []}, geometry=[], crs=4326)
    return CountyData(
        adcode="500109", name="测试区", county=county, townships=townships, villages=v84,
        facilities=empty if f is None else f.to_crs(4326), waterways=w.to_crs(4326),
        crossings=gpd.GeoDataFrame(geometry=[], crs=4326), roster=pd.DataFrame(),
        dem_path=dem_path, report=Report())


def write_raster(path, values, *, x0=X0, y0=Y0, cell=100.0, nodata=None, crs=GK):
    import rasterio
    from affine import Affine

    values = np.asarray(values, dtype="float32")
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0],
                       count=1, dtype="float32", crs=f"EPSG:{crs}", nodata=nodata,
                       transform=Affine(cell, 0, x0, 0, -cell, y0)) as ds:
        ds.write(values, 1)
    return path


# ----------------------------------------------------------------------------- factors


def test_distance_decay_worked_by_hand():
    d = np.array([0.0, 100.0, 250.0, 500.0, 500.5, 800.0])
    w = distance_decay(d, 250.0, 500.0)
    assert w == pytest.approx([1.0, math.exp(-0.4), math.exp(-1.0), math.exp(-2.0), 0.0, 0.0])
    assert w[1] == pytest.approx(0.6703200, abs=1e-7)


def test_height_factor_and_compass():
    assert height_factor([0, 30, 90, -10, np.nan], 30.0) == pytest.approx(
        [1.0, 0.5, 0.25, 1.0, 1.0])
    keys = compass_direction([0, 1, 1, 1, 0, -1, -1, -1, 0], [1, 1, 0, -1, -1, -1, 0, 1, 0])
    assert keys.tolist() == ["N", "NE", "E", "SE", "S", "SW", "W", "NW", ""]


# ----------------------------------------------------------------------------- segments


def test_segments_lengths_ids_and_cover():
    w = water([
        ("W-a", "stream", "甲溪", LineString([(0, 0), (300, 0), (300, 200)])),  # 500 m
        ("W-b", "canal", "乙渠", LineString([(0, 1000), (590, 1000)])),  # 590 m
        ("W-c", "stream", "丙沟", LineString([(0, 2000), (90, 2000)])),  # 90 m: one piece
        ("W-d", "river", "丁河", MultiLineString([[(0, 3000), (400, 3000)],
                                                 [(1000, 3000), (1200, 3000)]])),
        ("W-e", "pond", "戊塘", box(0, 4000, 100, 4100)),  # shore 400 m
    ])
    s = segment_waterways(w, 200)
    got = dict(zip(s["segment_id"], s["length_m"], strict=True))
    assert got == {
        "W-a-K0+000": 200.0, "W-a-K0+200": 200.0, "W-a-K0+400": 100.0,  # 2.5 lengths: 3 pieces
        "W-b-K0+000": 200.0, "W-b-K0+200": 200.0, "W-b-K0+400": 190.0,
        "W-c-K0+000": 90.0,
        "W-d.1-K0+000": 200.0, "W-d.1-K0+200": 200.0, "W-d.2-K0+000": 200.0,
        "W-e-K0+000": 200.0, "W-e-K0+200": 200.0,
    }
    assert s["segment_id"].is_unique
    # the pieces add up to the water body and lie on it
    for wid, geom in zip(w["water_id"], w.geometry, strict=True):
        pieces = s[s["water_id"] == wid]
        line = geom.boundary if geom.geom_type == "Polygon" else geom
        assert pieces.length.sum() == pytest.approx(line.length, abs=1e-6)
        assert shapely.union_all(pieces.geometry.values).buffer(1e-6).covers(line)
    # the 500 m stream bends at 300 m: the second piece keeps the corner vertex
    second = s.set_index("segment_id").geometry["W-a-K0+200"]
    assert [tuple(np.round(np.array(c) - (X0, Y0), 6)) for c in second.coords] == [
        (200.0, 0.0), (300.0, 0.0), (300.0, 100.0)]
    # same data, same ids
    assert segment_waterways(w, 200)["segment_id"].tolist() == s["segment_id"].tolist()
    with pytest.raises(ValueError, match="projected"):
        segment_waterways(w.to_crs(4326), 200)


# ----------------------------------------------------------------------------- scoring


def test_village_100m_vs_800m_from_a_stream(policy):
    p = hp(policy)
    w = water([("W-s", "stream", "溪", LineString([(0, 0), (400, 0)]))])
    v = villages([("500109102001", 200, 100, 100, 10, 2, 1),    # 100 m from both pieces
                  ("500109102002", 200, 800, 300, 50, 5, 5)])   # 800 m: beyond the buffer
    segs = assign_chiefs(segment_waterways(w, 200), v)
    s = score_segments(segs, v, None, p)
    c = 100 + 10 + 2 + 1  # resident + left-behind + difficulty + key attention (weights 1)
    for r in s.itertuples():
        assert r.villages_within == 1
        assert r.children_within == 100
        assert r.left_behind_within == 10
        assert r.exposure_children == pytest.approx(c * math.exp(-100 / 250))
        assert r.score == pytest.approx(1.1 * c * math.exp(-0.4))  # stream weight 1.1
    # move the far village to 400 m: it counts, decayed to e^-1.6 (its nearest point is an end)
    v2 = villages([("500109102001", 200, 100, 100, 10, 2, 1),
                   ("500109102002", 200, 400, 300, 50, 5, 5)])
    s2 = score_segments(segs, v2, None, p)
    assert s2["children_within"].tolist() == [400, 400]
    assert s2["exposure_children"].iloc[0] == pytest.approx(
        c * math.exp(-0.4) + (300 + 50 + 5 + 5) * math.exp(-400 / 250))


def test_pond_vs_river_with_the_same_children(policy):
    p = hp(policy)
    w = water([
        ("W-pond", "pond", "塘", box(0, 0, 100, 100)),
        ("W-river", "river", "河", LineString([(10_000, -500), (10_000, 500)])),
    ])
    v = villages([("500109102001", 150, 50, 200, 0, 0, 0),     # 50 m east of the pond
                  ("500109102002", 10_050, 0, 200, 0, 0, 0)])  # 50 m east of the river
    s = score_segments(assign_chiefs(segment_waterways(w, 200), v), v, None, p)
    top = s.sort_values("rank").groupby("kind")["score"].max()
    assert top["pond"] == pytest.approx(1.5 * 200 * math.exp(-50 / 250))
    assert top["river"] == pytest.approx(1.0 * 200 * math.exp(-50 / 250))
    assert s.sort_values("rank").iloc[0]["kind"] == "pond"


def test_facilities_and_weights(policy):
    p = hp(policy, child_weights={"resident": 0.5, "left_behind": 2.0, "difficulty": 0.0,
                                  "key_attention": 1.0},
           facility_weights={"kindergarten": 30.0})
    w = water([("W-s", "canal", "渠", LineString([(0, 0), (200, 0)]))])
    v = villages([("500109102001", 100, 250, 100, 20, 4, 3)])
    f = facilities([("F1", "kindergarten", 100, -100), ("F2", "service_station", 100, -50),
                    ("F3", "kindergarten", 100, -600)])
    s = score_segments(assign_chiefs(segment_waterways(w, 200), v), v, f, p)
    r = s.iloc[0]
    assert r.exposure_children == pytest.approx((0.5 * 100 + 2 * 20 + 3) * math.exp(-1.0))
    assert r.exposure_facilities == pytest.approx(30 * math.exp(-0.4))  # F2 is not weighted
    assert r.facilities_within == 1
    assert r.score == pytest.approx(1.2 * (r.exposure_children + r.exposure_facilities))


def test_ranking_order_and_ties(policy):
    p = hp(policy)
    w = water([("W-b", "stream", "", LineString([(0, 0), (200, 0)])),
               ("W-a", "stream", "", LineString([(0, 5000), (200, 5000)])),
               ("W-c", "pond", "", box(0, 10_000, 50, 10_050)),
               ("W-z", "river", "", LineString([(0, 20_000), (200, 20_000)]))])  # nobody near
    v = villages([("500109102001", 100, 100, 100, 0, 0, 0),
                  ("500109102002", 100, 5100, 100, 0, 0, 0),   # same as W-b: a tie
                  ("500109102003", 25, 10_150, 100, 0, 0, 0)])
    s = score_segments(assign_chiefs(segment_waterways(w, 200), v), v, None, p)
    order = s.sort_values("rank")
    assert order["rank"].tolist() == [1, 2, 3, 4]
    assert order["water_id"].tolist() == ["W-c", "W-a", "W-b", "W-z"]  # tie broken by id
    assert np.all(np.diff(order["score"].to_numpy()) <= 0)
    spots = danger_spots(order, hp(policy, danger_spots_top_n=10))
    assert spots["spot_id"].tolist() == ["W-c-K0+000", "W-a-K0+000", "W-b-K0+000"]  # score > 0
    assert spots["rank"].tolist() == [1, 2, 3]


def test_dem_low_ground_and_bank_slope(tmp_path, policy):
    p = hp(policy)
    w = water([("W-s", "stream", "", LineString([(100, -350), (300, -350)]))])
    v = villages([("500109102001", 200, -150, 100, 0, 0, 0)])  # 200 m north of the stream
    segs = assign_chiefs(segment_waterways(w, 200), v)
    # flat 100 m, the village's cell 30 m higher -> g = 1/(1+30/30) = 0.5; slope 0 at the stream
    z = np.full((8, 8), 100.0)
    z[1, 2] = 130.0  # cell x 200-300, y -100..-200 holds the village point (200, -150)
    flat = write_raster(tmp_path / "dem.tif", z)
    s = score_segments(segs, v, None, p, dem_path=flat)
    r = s.iloc[0]
    assert r.water_level_m == pytest.approx(100.0)
    assert r.village_height_m == pytest.approx(30.0)
    assert r.bank_slope_deg == pytest.approx(0.0)
    assert r.exposure_children == pytest.approx(100 * math.exp(-200 / 250) * 0.5)
    # a plane rising 26.795 m per 100 m eastwards slopes 15 degrees: q = 1/(1+15/15) = 0.5
    plane = np.tile(np.arange(8) * 100 * math.tan(math.radians(15)), (8, 1))
    s2 = score_segments(segs, v, None, p, dem_path=write_raster(tmp_path / "p.tif", plane))
    assert s2.iloc[0].bank_slope_deg == pytest.approx(15.0, abs=1e-6)
    assert s2.iloc[0].slope_factor == pytest.approx(0.5)


def test_raster_zonal_sums_by_hand(tmp_path):
    import rasterio
    from rasterio.features import rasterize

    # 4 x 4 grid, 100 m cells, values 1..16 row by row from the top; one nodata cell (-1)
    vals = np.arange(1, 17, dtype=float).reshape(4, 4)
    vals[3, 3] = -1
    path = write_raster(tmp_path / "pop.tif", vals, y0=Y0 + 400, nodata=-1)
    zones = [
        box(X0, Y0 + 200, X0 + 200, Y0 + 400),            # top-left 2x2: 1+2+5+6
        box(X0 + 310, Y0 + 100, X0 + 390, Y0 + 300),      # right column, rows 2-3: 8+12
        box(X0 + 10, Y0 + 10, X0 + 40, Y0 + 40),          # holds no cell centre
        box(X0 + 200, Y0, X0 + 400, Y0 + 200),            # bottom-right 2x2: 11+12+15 (16 nodata)
    ]
    assert zonal_sums(path, zones, GK).tolist() == [14.0, 20.0, 0.0, 38.0]
    # the same as rasterio's centre-inside mask
    with rasterio.open(path) as ds:
        arr = ds.read(1, masked=True)
        for zone, got in zip(zones, zonal_sums(path, zones, GK), strict=True):
            mask = rasterize([zone], out_shape=arr.shape, transform=ds.transform).astype(bool)
            assert float(arr.filled(0)[mask].sum()) == pytest.approx(got)
    # within 100 m of the centre of cell (row 1, col 1) = 6: itself and its 4 neighbours
    centre = Point(X0 + 150, Y0 + 250)
    assert zonal_sums(path, [centre], GK, distance=100.0)[0] == 6 + 2 + 5 + 7 + 10
    # with decay: 6 * 1 + (2 + 5 + 7 + 10) * e^(-100/250)
    assert zonal_sums(path, [centre], GK, distance=100.0, decay_m=250.0)[0] == pytest.approx(
        6 + 24 * math.exp(-0.4))
    # zones in another CRS (WGS84 lon/lat): cell centres are transformed, same sums
    zones84 = gpd.GeoSeries(zones, crs=GK).to_crs(4326).values
    assert zonal_sums(path, zones84, 4326).tolist() == [14.0, 20.0, 0.0, 38.0]


def test_population_raster_in_the_score(tmp_path, policy):
    p = hp(policy, population_raster_weight=0.2)
    vals = np.zeros((4, 4))
    vals[1, 1] = 50.0   # centre (150, 250): 150 m from the stream along y = 100
    vals[3, 0] = 100.0  # centre (50, 50): 50 m from the stream
    path = write_raster(tmp_path / "pop.tif", vals, y0=Y0 + 400)
    w = water([("W-s", "stream", "", LineString([(0, 100), (400, 100)]))])
    v = villages([("500109102001", 5000, 5000, 10, 0, 0, 0)])  # far away: only the raster
    s = score_segments(assign_chiefs(segment_waterways(w, 200), v), v, None, p,
                       population_path=path)
    expect = 0.2 * (50 * math.exp(-150 / 250) + 100 * math.exp(-50 / 250))
    assert s.iloc[0].exposure_raster == pytest.approx(expect)
    assert s.iloc[0].score == pytest.approx(1.1 * expect)


# ----------------------------------------------------------------------------- chiefs


def test_chiefs_by_code(policy):
    w = water([("W-s", "stream", "", LineString([(0, 0), (400, 0)]))])
    v = villages([("500109102003", 50, 60, 10, 0, 0, 0), ("500109104001", 390, -90, 10, 0, 0, 0)])
    s = assign_chiefs(segment_waterways(w, 200), v)
    assert s["village_code"].tolist() == ["500109102003", "500109104001"]
    assert s["township_chief"].tolist() == ["河长-500109102", "河长-500109104"]
    assert s["village_chief"].tolist() == ["河长-500109102003", "河长-500109104001"]
    assert s["chief"].tolist() == ["河长-500109102", "河长-500109104"]
    sv = assign_chiefs(segment_waterways(w, 200), v, level="village")
    assert sv["chief"].tolist() == ["河长-500109102003", "河长-500109104001"]
    wc = w.assign(chief=["河长-R01"])
    assert assign_chiefs(segment_waterways(wc, 200), v)["chief"].tolist() == ["河长-R01"] * 2
    wc = w.assign(chief=[""])  # an empty value falls back to the rule
    assert assign_chiefs(segment_waterways(wc, 200), v)["chief"].tolist() == [
        "河长-500109102", "河长-500109104"]


# ----------------------------------------------------------------------------- checklist


def test_checklist_flag_until_all_four_are_recorded(tmp_path):
    from childplan.store import Store

    spots = ["W-1-K0+000", "W-2-K0+200"]
    st = checklist_status(spots, None, FOUR)
    assert st["flagged"].tolist() == [True, True]
    assert st["missing"].tolist() == [list(FOUR), list(FOUR)]
    assert st["last_inspection"].tolist() == ["", ""]
    with Store(tmp_path / "s.gpkg") as store:
        store.record_check("500109", spots[0], {"warning_sign": True, "life_buoy": True,
                                                "rescue_rope": True, "rescue_pole": False},
                           checked_on="2026-06-01", checked_by="村级河长")
        st = checklist_status(spots, store.checks("500109"), FOUR)
        assert st["flagged"].tolist() == [True, True]
        assert st["missing"].iloc[0] == ["rescue_pole"]
        assert st["four_ones_missing"].iloc[0] == "rescue_pole"
        assert st["last_inspection"].iloc[0] == "2026-06-01"
        store.record_check("500109", spots[0], {"rescue_pole": True},
                           checked_on="2026-06-15", checked_by="河长-500109102003")
        st = checklist_status(spots, store.checks("500109"), FOUR)
        assert st["flagged"].tolist() == [False, True]
        assert st["missing"].iloc[0] == []
        assert st["last_inspection"].iloc[0] == "2026-06-15"
        assert st["checked_by"].iloc[0] == "河长-500109102003"
        # a buoy found gone later: flagged again (the latest record per item wins)
        store.record_check("500109", spots[0], {"life_buoy": False}, checked_on="2026-07-01",
                           checked_by="村级河长")
        st = checklist_status(spots, store.checks("500109"), FOUR)
        assert st["missing"].iloc[0] == ["life_buoy"]
        # another county's records do not leak in
        assert checklist_status(spots, store.checks("350821"), FOUR)["flagged"].all()


def test_four_ones_counts_by_state(tmp_path):
    """Checked-complete, checked-missing and never-checked are three different counts."""
    from childplan.store import Store

    spots = ["W-1-K0+000", "W-2-K0+000", "W-3-K0+000", "W-4-K0+000"]
    with Store(tmp_path / "s.gpkg") as store:
        # W-1: all four found -> complete
        store.record_check("500109", spots[0], dict.fromkeys(FOUR, True), checked_on="2026-06-01",
                           checked_by="村级河长")
        # W-2: the pole found missing -> checked, missing
        store.record_check("500109", spots[1], {**dict.fromkeys(FOUR, True), "rescue_pole": False},
                           checked_on="2026-06-01", checked_by="村级河长")
        # W-3: an inspection that recorded only the sign -> the other three are not confirmed
        store.record_check("500109", spots[2], {"warning_sign": True}, checked_on="2026-06-02",
                           checked_by="村级河长")
        # W-4: nobody went there -> unchecked, not 缺项
        st = checklist_status(spots, store.checks("500109"), FOUR)
    assert st["state"].tolist() == ["complete", "missing", "missing", "unchecked"]
    assert four_ones_counts(st) == {"complete": 1, "missing": 2, "unchecked": 1}
    # nothing recorded at all: every spot unchecked, none missing
    st0 = checklist_status(spots, None, FOUR)
    assert four_ones_counts(st0) == {"complete": 0, "missing": 0, "unchecked": 4}


# ----------------------------------------------------------------------------- reaches


def _reaches(w, v, p, **kw):
    s = score_segments(assign_chiefs(segment_waterways(w, 200), v), v, None, p)
    return s, merge_reaches(s, p, villages=v, **kw)


def test_two_touching_slices_are_one_reach(policy):
    # a 400 m canal in two 200 m slices; one village of 100 children (10 left-behind, who
    # weigh 1 + 1) 100 m off the middle: both slices are 100 m from it,
    # score 1.2 (canal) * (100 + 10) * e^-0.4 = 88.48 each
    p = hp(policy, reach_min_score=20.0)
    w = water([("W-c", "canal", "渠", LineString([(0, 0), (400, 0)]))])
    v = villages([("500109102001", 200, 100, 100, 10, 0, 0)])
    s, r = _reaches(w, v, p)
    assert s["score"].tolist() == pytest.approx([1.2 * 110 * math.exp(-0.4)] * 2)
    assert len(r) == 1
    row = r.iloc[0]
    assert row["reach_id"] == "W-c-K0+000~K0+400"
    assert (row["start_m"], row["end_m"], row["length_m"], row["n_segments"]) == (0, 400, 400, 2)
    assert row["peak_score"] == pytest.approx(88.48, abs=0.01)
    assert row["total_score"] == pytest.approx(2 * 88.48, abs=0.02)
    assert row["segment_ids"] == "W-c-K0+000;W-c-K0+200"
    # the village is near both slices but its 100 children are counted once
    assert row["children_within"] == 100 and row["left_behind_within"] == 10
    # one danger spot for the reach, at its peak slice
    spots = danger_spots(s, hp(policy, reach_min_score=20.0, danger_spots_top_n=10), villages=v)
    assert spots["spot_id"].tolist() == ["W-c-K0+000"] and spots["children_exposed"].tolist() == [100]


def test_a_gap_makes_two_reaches_and_the_threshold_splits(policy):
    # 1 km canal, five slices; villages of 100 children 50 m off each end; buffer 150 m:
    # K0+000 d=50 -> 1.2*100*e^-0.2 = 98.25; K0+200 d=hypot(100,50)=111.8 -> 76.73;
    # K0+400 (400-600 m) is 300 m from both villages -> 0: the gap
    p = hp(policy, buffer_m=150.0, reach_min_score=20.0)
    w = water([("W-c", "canal", "渠", LineString([(0, 0), (1000, 0)]))])
    v = villages([("500109102001", 100, 50, 100, 0, 0, 0),
                  ("500109102002", 900, 50, 100, 0, 0, 0)])
    s, r = _reaches(w, v, p)
    by_id = s.set_index("segment_id")["score"]
    assert by_id["W-c-K0+000"] == pytest.approx(120 * math.exp(-0.2))
    assert by_id["W-c-K0+200"] == pytest.approx(120 * math.exp(-math.hypot(100, 50) / 250))
    assert by_id["W-c-K0+400"] == 0
    # equal peaks and totals: ranked by id
    assert r["reach_id"].tolist() == ["W-c-K0+000~K0+400", "W-c-K0+600~K1+000"]
    assert r["rank"].tolist() == [1, 2]
    assert r["children_within"].tolist() == [100, 100]
    # a threshold above 76.73 drops the second slice of each end: two one-slice reaches
    r80 = merge_reaches(s, hp(policy, buffer_m=150.0, reach_min_score=80.0), villages=v)
    assert r80["reach_id"].tolist() == ["W-c-K0+000~K0+200", "W-c-K0+800~K1+000"]
    assert r80["length_m"].tolist() == [200, 200]
    # top 1: the first reach only, never two pieces of one reach
    spots = danger_spots(s, hp(policy, buffer_m=150.0, reach_min_score=20.0,
                               danger_spots_top_n=1), villages=v)
    assert spots["reach_id"].tolist() == ["W-c-K0+000~K0+400"]


def test_a_reach_goes_round_a_pond_shore(policy):
    # a 150 m square pond: shore 600 m from (150, 0) anticlockwise, three slices; a village
    # 141 m from the start corner: K0+400 (ending at the corner) and K0+000 (starting there)
    # score, K0+200 (the far side, > 200 m) does not: one reach round the corner
    p = hp(policy, buffer_m=200.0, reach_min_score=1.0)
    w = water([("W-p", "pond", "塘", box(0, 0, 150, 150))])
    v = villages([("500109102001", 250, -100, 100, 0, 0, 0)])
    s, r = _reaches(w, v, p)
    assert s.set_index("segment_id")["score"]["W-p-K0+200"] == 0
    assert len(r) == 1
    assert r.iloc[0]["reach_id"] == "W-p-K0+400~K0+200"
    assert r.iloc[0]["segment_ids"] == "W-p-K0+400;W-p-K0+000"
    assert r.iloc[0]["length_m"] == 400 and r.iloc[0]["children_within"] == 100


def test_two_water_bodies_touching_are_two_reaches(policy):
    # a stream ending where a canal starts: touching, but two water bodies
    p = hp(policy, reach_min_score=1.0)
    w = water([("W-a", "stream", "", LineString([(0, 0), (200, 0)])),
               ("W-b", "canal", "", LineString([(200, 0), (400, 0)]))])
    v = villages([("500109102001", 200, 50, 100, 0, 0, 0)])
    _, r = _reaches(w, v, p)
    assert sorted(r["reach_id"]) == ["W-a-K0+000~K0+200", "W-b-K0+000~K0+200"]


# ----------------------------------------------------------------------------- flood season


def test_flood_season_list_distance_and_direction(policy):
    p = hp(policy)  # 300 m
    w = water([
        ("W-pond", "pond", "东塘", box(100, -20, 140, 20)),                       # 100 m E
        ("W-brook", "stream", "北溪", LineString([(-500, 250), (500, 250)])),     # 250 m N
        ("W-river", "river", "大河", LineString([(-500, -400), (500, -400)])),    # 400 m: out
        ("W-canal", "canal", "西南渠", LineString([(-300, 0), (0, -300)])),       # SW
    ])
    f = facilities([("F-kg", "kindergarten", 0, 0), ("F-ss", "service_station", 0, 0)])
    out = flood_season_list(f, w, p, crs=GK)
    assert out["facility_id"].unique().tolist() == ["F-kg"]  # a service station is not listed
    got = {r.water_id: (r.distance_m, r.direction, r.bearing_deg) for r in out.itertuples()}
    assert set(got) == {"W-pond", "W-brook", "W-canal"}
    assert got["W-pond"] == (100.0, "E", 90.0)
    assert got["W-brook"] == (250.0, "N", 0.0)
    assert got["W-canal"][0] == pytest.approx(300 / math.sqrt(2), abs=0.05)
    assert got["W-canal"][1:] == ("SW", 225.0)
    assert out["distance_m"].tolist() == sorted(out["distance_m"])


def test_safety_activity_plan_orders_villages_by_danger(policy):
    p = hp(policy, danger_spots_top_n=1)
    w = water([("W-pond", "pond", "", box(0, 0, 100, 100)),
               ("W-s", "stream", "", LineString([(5000, 0), (5200, 0)]))])
    v = villages([("500109102001", 150, 50, 100, 5, 0, 0),     # next to the pond: the spot
                  ("500109102002", 5100, 300, 100, 30, 0, 0),  # 300 m from the stream
                  ("500109102003", 20_000, 0, 300, 90, 0, 0)])  # far from any water
    s = score_segments(assign_chiefs(segment_waterways(w, 200), v), v, None, p)
    spots = danger_spots(s, p)
    plan = safety_activity_plan(s, v, spots, p)
    assert plan["village_code"].tolist() == ["500109102001", "500109102002", "500109102003"]
    assert plan["priority"].tolist() == [1, 2, 3]
    assert plan["danger_spots_nearby"].tolist() == [1, 0, 0]  # the one spot: a pond shore piece
    assert plan["nearest_water_m"].tolist() == [50.0, 300.0, 14_800.0]
    assert plan["max_segment_score"].iloc[2] == 0
    assert (plan["activities_per_year"] == 1).all()


# ----------------------------------------------------------------------------- exports


def test_safe_cell_and_csv_xlsx_neutralise_formulas(tmp_path):
    bad = ["=1+1", "+CMD", "-2", "@SUM(A1)", "\tTAB", "\rCR", "正常", "a=b"]
    assert [safe_cell(x) for x in bad] == ["'=1+1", "'+CMD", "'-2", "'@SUM(A1)", "'\tTAB",
                                           "'\rCR", "正常", "a=b"]
    assert safe_cell(-2) == -2 and safe_cell(None) is None and safe_cell(1.5) == 1.5
    frame = pd.DataFrame({"text": bad, "n": [-2, 1, 2, 3, 4, 5, 6, 7]})
    wb = load_workbook(__import__("io").BytesIO(xlsx_bytes({"=evil": frame})))
    ws = wb[wb.sheetnames[0]]
    assert ws.title == "=evil"  # a sheet name is never evaluated
    for i, x in enumerate(bad, start=2):
        cell = ws.cell(row=i, column=1)
        assert cell.data_type == "s"
        assert cell.value == safe_cell(x).replace("\r", "\n")  # XML turns a CR into a LF
        assert ws.cell(row=i, column=2).data_type == "n"
    assert ws.cell(row=2, column=2).value == -2
    write_csv(frame, tmp_path / "x.csv")
    with open(tmp_path / "x.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert [r[0] for r in rows[1:]] == [safe_cell(x) for x in bad]
    assert all(not r[0].startswith(("=", "+", "-", "@")) for r in rows[1:])
    assert safe_frame(pd.DataFrame({"=h": [1]})).columns.tolist() == ["'=h"]
    assert sheet_names(["河长-1", "a/b", "x" * 40, "X" * 40]) == [
        "河长-1", "a_b", "x" * 31, "X" * 29 + "~2"]


def _demo_analysis(policy, adcode="500109", **over):
    data = load_demo(adcode)
    return data, analyse_hazards(data, hp(policy, **over))


def test_run_hazards_exports_read_back_row_by_row(tmp_path, policy):
    from childplan.store import Store

    data, analysis = _demo_analysis(policy, danger_spots_top_n=12)
    spots = analysis.spots
    first = spots["spot_id"].iloc[0]
    with Store(tmp_path / "store.gpkg") as store:
        store.record_check("500109", first, dict.fromkeys(FOUR, True), checked_on="2026-05-20",
                           checked_by="河长-" + spots["village_code"].iloc[0])
        paths = run_hazards(data, policy.with_overrides({"hazards.danger_spots_top_n": 12}),
                            tmp_path / "out", lang="zh", store=store)
    # danger_spots.csv: fixed columns, ranks 1..12, the checked spot complete
    ds = pd.read_csv(paths["danger_spots"], dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert tuple(ds.columns) == DANGER_SPOT_COLUMNS
    assert ds["rank"].astype(int).tolist() == list(range(1, 13))
    assert ds["spot_id"].tolist() == spots["spot_id"].tolist()
    assert ds.loc[0, "four_ones_missing"] == ""
    assert set(ds.loc[1:, "four_ones_missing"]) == {";".join(FOUR)}
    # XLSX: one sheet per chief, each row the chief's spots in rank order
    wb = load_workbook(paths["patrol_xlsx"])
    chiefs = sorted(spots["chief"].unique())
    assert wb.sheetnames == chiefs
    header = None
    for chief in chiefs:
        ws = wb[chief]
        rows = list(ws.iter_rows(values_only=True))
        header = rows[0]
        mine = spots[spots["chief"] == chief].sort_values("rank")
        assert len(rows) - 1 == len(mine)
        for row, (_, s) in zip(rows[1:], mine.iterrows(), strict=True):
            r = dict(zip(header, row, strict=True))
            assert r["危险点编号"] == s["spot_id"]
            assert r["排名"] == s["rank"]
            assert r["水体名称"] == s["river"]
            assert r["村（社区）"] == s["village"] and r["村代码"] == s["village_code"]
            assert r["乡镇（街道）"] == s["township"] and r["乡镇代码"] == s["township_code"]
            assert r["河长"] == chief
            lon, lat = r["经度（WGS84）"], r["纬度（WGS84）"]
            assert (lon, lat) == (pytest.approx(s["lon"]), pytest.approx(s["lat"]))
            glon, glat = wgs84_to_gcj02(lon, lat)
            assert r["经度（GCJ-02，高德/腾讯地图）"] == pytest.approx(float(glon), abs=2e-6)
            assert r["纬度（GCJ-02，高德/腾讯地图）"] == pytest.approx(float(glat), abs=2e-6)
            assert r["周边常住儿童数（500 米内）"] == s["children_exposed"]
            if s["spot_id"] == first:
                assert r["“四个一”状态"] == "齐全"
                # a real date in Excel, shown as 2026-05-20 (the CSV keeps the text)
                assert r["最近检查日期"] == datetime(2026, 5, 20)
                cell = ws.cell(row=rows.index(row) + 1, column=header.index("最近检查日期") + 1)
                assert cell.is_date and cell.number_format == "yyyy-mm-dd"
            else:
                assert r["“四个一”状态"] == "未检查"
    # no personal column anywhere
    assert not {"姓名", "name", "身份证号", "电话"} & set(header)
    acts = pd.read_csv(paths["safety_activities"], dtype=str, encoding="utf-8-sig")
    assert len(acts) == len(data.villages) and acts["优先顺序"].tolist()[:3] == ["1", "2", "3"]
    flood = pd.read_csv(paths["flood_season"], dtype=str, encoding="utf-8-sig")
    assert len(flood) == len(analysis.flood)
    # one PDF per chief
    assert sorted(k for k in paths if k.startswith("pdf:")) == [f"pdf:{c}" for c in chiefs]
    assert all(paths[f"pdf:{c}"].read_bytes().startswith(b"%PDF") for c in chiefs)
    # English headers
    en = run_hazards(data, policy.with_overrides({"hazards.danger_spots_top_n": 3}),
                     tmp_path / "en", lang="en")
    ws = load_workbook(en["patrol_xlsx"]).worksheets[0]
    assert ws.cell(row=1, column=1).value == "Spot id"
    assert ws.cell(row=2, column=14).value == "never checked"


def test_injection_through_the_data_is_neutralised(tmp_path, policy):
    w = water([("W-x", "stream", "=HYPERLINK(\"http://x\")", LineString([(0, 0), (200, 0)]))])
    v = villages([("500109102001", 100, 50, 100, 0, 0, 0)])
    v["name"] = ["@SUM(1)"]
    data = county_data(w, v)
    paths = run_hazards(data, policy, tmp_path, lang="zh")
    ws = load_workbook(paths["patrol_xlsx"]).worksheets[0]
    values = [c.value for c in ws[2]]
    assert "'=HYPERLINK(\"http://x\")" in values and "'@SUM(1)" in values
    assert all(c.data_type != "f" for c in ws[2])
    text = paths["patrol_csv"].read_text(encoding="utf-8-sig")
    assert ",'=HYPERLINK" in text.replace('"', "") and ",'@SUM(1)" in text


def test_pdf_renders_chinese(tmp_path, policy):
    data, analysis = _demo_analysis(policy, danger_spots_top_n=8)
    chief = analysis.spots["chief"].iloc[0]
    pdf = write_patrol_pdf(data, analysis, chief, tmp_path / "p.pdf", four_ones=FOUR)
    raw = pdf.read_bytes()
    assert raw.startswith(b"%PDF")
    assert b"NotoSansCJK" in raw or b"CJK" in raw  # the CJK font is embedded
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "河长巡查清单" in text and chief in text
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf),
                        str(tmp_path / "page")], check=True, capture_output=True)
        from matplotlib.image import imread

        img = imread(next(tmp_path.glob("page*.png")))
        assert img.std() > 0.05  # not a blank page


# ----------------------------------------------------------------------------- demo county


@pytest.mark.parametrize("adcode", ["500109", "350821"])
def test_demo_county_invariants(policy, adcode):
    data, a = _demo_analysis(policy, adcode)
    h = policy.hazards
    s, spots = a.segments, a.spots
    assert s["segment_id"].is_unique
    assert sorted(s["rank"]) == list(range(1, len(s) + 1))
    assert np.all(np.diff(s.sort_values("rank")["score"].to_numpy()) <= 1e-12)
    assert len(spots) == h.danger_spots_top_n
    assert spots["rank"].tolist() == list(range(1, len(spots) + 1))
    assert np.all(np.diff(spots["score"].to_numpy()) <= 1e-9)
    assert spots["spot_id"].is_unique and (spots["chief"] != "").all()
    # every spot lies within the buffer of a village with children
    seg = s.set_index("segment_id").loc[spots["spot_id"]]
    vm = data.villages.to_crs(s.crs)
    vm = vm[vm["resident_children"] > 0]
    near = [bool(vm.distance(g).min() <= h.buffer_m) for g in seg.geometry]
    assert all(near)
    assert (spots["children_exposed"] > 0).all()
    # spot coordinates: WGS84 inside the county, GCJ-02 the published transform of them
    county = data.county.geometry.iloc[0].buffer(0.01)
    assert all(county.contains(Point(x, y)) for x, y in zip(spots["lon"], spots["lat"], strict=True))
    glon, glat = wgs84_to_gcj02(spots["lon"].to_numpy(), spots["lat"].to_numpy())
    assert np.abs(glon - spots["lon_gcj02"]).max() < 2e-6
    assert np.abs(glat - spots["lat_gcj02"]).max() < 2e-6
    # the flood list covers institutions only, each within the inspection distance
    f = a.flood
    assert set(f["facility_kind"]) <= set(h.flood_institution_kinds)
    assert (f["distance_m"] <= h.flood_inspection_distance_m).all()
    assert set(f["direction"]) <= {"N", "NE", "E", "SE", "S", "SW", "W", "NW", ""}
    sheets = patrol_sheets(spots, four_ones=h.four_ones)
    assert sum(len(x) for x in sheets.values()) == len(spots)
    # one spot per reach: no segment in two spots, and each reach is maximal: the slices just
    # before and after it on the same water body score under the threshold (or do not exist)
    ids = [x for v in spots["segment_ids"] for x in v.split(";")]
    assert len(ids) == len(set(ids))
    seg_by = s.set_index(["water_id", "part", "start_m"])
    seg_end = s.set_index(["water_id", "part", "end_m"])
    thr = h.reach_min_score
    for sp in spots.itertuples():
        mine = s[s["segment_id"].isin(sp.segment_ids.split(";"))]
        assert (mine["score"] >= thr).all() and sp.spot_id in set(mine["segment_id"])
        assert mine["score"].max() == pytest.approx(sp.score, abs=0.01)
        part = int(mine["part"].iloc[0])
        after = seg_by.loc[[(sp.water_id, part, sp.end_m)]] if (sp.water_id, part, sp.end_m) \
            in seg_by.index else None
        before = seg_end.loc[[(sp.water_id, part, sp.start_m)]] if (
            sp.water_id, part, sp.start_m) in seg_end.index else None
        for nb in (after, before):
            if nb is not None and not nb["segment_id"].isin(mine["segment_id"]).any():
                assert (nb["score"] < thr).all(), sp.reach_id


# ----------------------------------------------------------------------------- the page


@pytest.fixture
def hazard_page(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO

    monkeypatch.setenv("CHILDPLAN_STORE", str(tmp_path / "store.gpkg"))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app_pages" / "hazards.py"), default_timeout=180)
    at.run()
    assert not at.exception, [str(e.value)[:500] for e in at.exception]
    return at


def test_page_checklist_save_clears_the_flag(hazard_page, tmp_path):
    from childplan.store import Store

    at = hazard_page
    metrics = {m.label: m.value for m in at.metric}
    # never-checked spots are not 缺项 (issue 17): 30 spots, none checked yet
    assert metrics["危险点"] == "30" and metrics["尚未检查"] == "30"
    assert metrics["已检查·“四个一”缺项"] == "0" and metrics["已检查·“四个一”齐全"] == "0"
    for item in at.checkbox:
        item.check()
    at.text_input[0].set_value("村级河长")
    at.button[0].click().run()  # the form's save button
    assert not at.exception, [str(e.value)[:500] for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["已检查·“四个一”齐全"], metrics["已检查·“四个一”缺项"],
            metrics["尚未检查"]) == ("1", "0", "29")
    with Store(tmp_path / "store.gpkg") as store:
        saved = store.checks("500109")
    assert sorted(saved["item"]) == sorted(FOUR) and saved["present"].all()
    assert set(saved["checked_by"]) == {"村级河长"}
    # filters and the PDF do not fail
    at.selectbox[1].set_value(at.selectbox[1].options[1]).run()
    at.button(key="make_pdf").click().run()
    assert not at.exception, [str(e.value)[:500] for e in at.exception]


def test_page_in_english(hazard_page):
    at = hazard_page
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception, [str(e.value)[:500] for e in at.exception]
    title = at.title[0].value
    assert title.endswith("Drowning risk")
    assert {m.label for m in at.metric} >= {"Danger spots", "Segments"}


def test_a_chief_column_in_the_waterways_layer_is_used(tmp_path):
    """A planner's waterways file names each water body's chief: the patrol lists follow it."""
    import json as _json

    from childplan.workflows import run_hazards
    from geo.layers import demo_sources, load_county
    from optimization.policy import load_policy as _load

    src = demo_sources("500109")
    fc = _json.loads(src["waterways"].read_text(encoding="utf-8"))
    for f in fc["features"]:
        if f["properties"]["kind"] == "canal":
            f["properties"]["chief"] = "县级河长-渠道"
    p = tmp_path / "waterways.geojson"
    p.write_text(_json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    data = load_county({**src, "waterways": p})
    assert data.report.ok
    files = run_hazards(data, _load(), tmp_path / "out")
    spots = pd.read_csv(files["danger_spots"], encoding="utf-8-sig")
    canal = spots[spots["kind"] == "canal"]
    assert len(canal) and (canal["chief"] == "县级河长-渠道").all()
    assert (spots.loc[spots["kind"] != "canal", "chief"].str.startswith("河长-500109")).all()


def test_page_figures_follow_the_township_filter(hazard_page, policy):
    """Every figure at the top counts what the township filter shows; the flood heading agrees."""
    at = hazard_page
    data, a = _demo_analysis(policy)
    # the township with most danger spots, worked out from the analysis, not the page
    town = a.spots["township_code"].value_counts().index[0]
    box_ = at.selectbox[0]
    assert any(f"（{town}）" in o for o in box_.options)
    box_.set_value(town).run()
    assert not at.exception, [str(e.value)[:500] for e in at.exception]
    m = {x.label: x.value for x in at.metric}
    seg = a.segments[a.segments["township_code"] == town]
    assert m["河段"] == f"{len(seg):,}"
    assert m["周边有儿童的河段"] == f"{int((seg['score'] > 0).sum()):,}"
    assert m["危险点"] == str(int((a.spots["township_code"] == town).sum()))
    assert m["尚未检查"] == m["危险点"]  # nothing checked in this fresh store
    flood = a.flood[a.flood["township_code"] == town]
    assert m["汛期排查机构"] == str(flood["facility_id"].nunique())
    heading = [e.label for e in at.expander if e.label.startswith("汛期涉儿童机构")][0]
    assert f"汛期排查机构 {flood['facility_id'].nunique()}" in heading
    assert f"机构—水体对 {len(flood)}" in heading
