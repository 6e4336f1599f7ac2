"""The embedded counties load through the same path as a planner's files; the CLI reports."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import geopandas as gpd
import pytest
from shapely.geometry import Polygon

from childplan.cli import main
from childplan.sources import guess_layer, resolve_sources
from geo.layers import demo_adcodes, demo_sources, load_county, load_demo
from tests.conftest import square


@pytest.mark.parametrize("adcode,name,n_townships,n_villages", [
    ("500109", "北碚区", 17, 192),  # counts of china-division 2.7.0 (2023 codes)
    ("350821", "长汀县", 18, 308),
])
def test_embedded_counties_load_clean(adcode, name, n_townships, n_villages):
    data = load_demo(adcode)
    assert data.report.ok and not data.report.problems, data.report.render()
    assert (data.name, len(data.townships), len(data.villages)) == (name, n_townships,
                                                                   n_villages)
    assert data.villages["village_code"].str.startswith(adcode).all()
    assert data.villages["village_code"].is_unique
    assert data.dem_path is not None and data.dem_path.exists()
    assert set(data.synthetic_layers()) >= {"villages", "facilities", "roster"}
    assert "county" not in data.synthetic_layers()  # the boundary is real


def test_changting_carries_its_designations():
    assert load_demo("350821").designations == ("old_base", "central_soviet", "poverty_lifted")
    assert load_demo("500109").designations == ()


def test_demo_and_uploaded_copies_give_identical_layers(tmp_path):
    """Copy the demo files elsewhere and load them as a planner's files: same result."""
    src = demo_sources("500109")
    copies = {}
    for layer, path in src.items():
        target = tmp_path / path.name
        target.write_bytes(path.read_bytes())
        copies[layer] = target
    a, b = load_demo("500109"), load_county(copies)
    assert a.report.as_dicts() == b.report.as_dicts() == []
    for layer in ("villages", "facilities", "roster"):
        pa = getattr(a, layer).drop(columns=["_row"])
        pb = getattr(b, layer).drop(columns=["_row"])
        assert pa.equals(pb), layer


def test_demo_adcodes_lists_both_counties():
    assert {"500109", "350821"} <= set(demo_adcodes())


def test_zipped_shapefile_is_read(tmp_path):
    g = gpd.GeoDataFrame({"乡镇代码": ["500109102", "500109104"], "乡镇名称": ["澄江镇", "童家溪镇"]},
                         geometry=[Polygon(square(106.40, 29.80, 106.45, 29.85)[0]),
                                   Polygon(square(106.45, 29.80, 106.50, 29.85)[0])], crs=4490)
    shp = tmp_path / "shp" / "townships.shp"
    shp.parent.mkdir()
    g.to_file(shp, encoding="utf-8")
    z = tmp_path / "townships.zip"
    with zipfile.ZipFile(z, "w") as fh:
        for f in shp.parent.iterdir():
            fh.write(f, f.name)
    from geo.io import read_raw
    from geo.report import Report
    from geo.validate import coerce_layer

    report = Report()
    frame = coerce_layer(read_raw(z, "townships", report), "townships", report)
    assert report.ok, report.render()
    assert frame["name"].tolist() == ["澄江镇", "童家溪镇"]


@pytest.mark.parametrize("name,layer", [
    ("北碚区_村点位.csv", "villages"), ("roster_2024.xlsx", "roster"), ("乡镇边界.shp", "townships"),
    ("county.geojson", "county"), ("村儿童数统计.xlsx", "children"), ("河流水系.gpkg", "waterways"),
    ("dem_30m.tif", "dem"), ("设施.csv", "facilities"), ("桥梁.geojson", "crossings"),
    ("notes.csv", None),
])
def test_guess_layer_from_file_name(name, layer):
    assert guess_layer(name) == layer


def test_resolve_sources_with_base_and_explicit_layer(tmp_path):
    f = tmp_path / "whatever.csv"
    f.write_text("x", encoding="utf-8")
    sources, unknown = resolve_sources([f"villages={f}", str(tmp_path / "mystery.csv")],
                                       base_adcode="500109", coord_system="gcj02")
    assert sources["villages"].path == f and sources["villages"].coord_system == "gcj02"
    assert sources["townships"].path == demo_sources("500109")["townships"]
    assert unknown == [str(tmp_path / "mystery.csv")]


def test_cli_validate_exit_codes(tmp_path, capsys):
    assert main(["validate", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "北碚区 (500109)" in out and "0 error(s)" in out
    bad = tmp_path / "villages.csv"
    data = load_demo("500109")
    v = data.villages.drop(columns=["geometry", "_row"]).astype(object)
    v.loc[0, "left_behind"] = 10_000
    v.to_csv(bad, index=False)
    assert main(["validate", str(bad), "--base", "500109", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["ok"]
    assert [(p["code"], p["row"], p["column"]) for p in report["problems"]] == [
        ("left_behind_exceeds_resident", 2, "left_behind")]


def test_cli_unknown_layer_file_exits_2(tmp_path):
    f = tmp_path / "notes.csv"
    f.write_text("a\n1\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "childplan.cli", "validate", str(f)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "layer=path" in r.stdout and "Traceback" not in r.stderr
