"""The scenario store: exact round trips, one transaction per save, crash safety, GeoPackage."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from childplan.store import SCHEMA_VERSION, Scenario, Store, StoreError


def sample(name="方案A", n=5, seed=0, **kw):
    rng = np.random.default_rng(seed)
    homes = pd.DataFrame({
        "home_id": [f"H{i}" for i in range(n)],
        "kind": rng.choice(["primary_school", "new_build"], n),
        "status": rng.choice(["existing", "reuse", "new"], n),
        "lon": 106.4 + rng.random(n) / 10, "lat": 29.8 + rng.random(n) / 10,
        "children_served": rng.integers(0, 500, n),
        "share": rng.random(n),
        "ok": rng.random(n) > 0.5,
    })
    funding = pd.DataFrame({"unit_code": ["500109102", "500109104"], "unit_name": ["澄江镇", "童家溪镇"],
                            "amount": [123456, 654321]})
    return Scenario(name=name, adcode="500109", county_name="北碚区", data_source="demo",
                    overrides={"siting.travel_cap_m": 2500, "funding.tilt": {"old_base": 0.3}},
                    note="测试", tables={"homes": homes, "funding": funding},
                    figures={"homes_new": 3, "cost_yuan": 90000.0}, **kw)


def test_round_trip_is_exact(tmp_path):
    sc = sample()
    with Store(tmp_path / "s.gpkg") as st:
        st.save(sc)
    with Store(tmp_path / "s.gpkg") as st:  # reopened, as days later
        back = st.load("方案A")
    assert (back.name, back.adcode, back.county_name, back.note, back.revision) == (
        "方案A", "500109", "北碚区", "测试", 1)
    assert back.overrides == sc.overrides and back.figures == sc.figures
    for k, frame in sc.tables.items():
        pd.testing.assert_frame_equal(back.tables[k], frame, check_exact=True)


def test_replace_keeps_creation_and_bumps_revision(tmp_path):
    with Store(tmp_path / "s.gpkg") as st:
        a = st.save(sample())
        time.sleep(1.1)
        b = st.save(sample(seed=1))
        assert (b.revision, b.created_at) == (2, a.created_at) and b.updated_at > a.updated_at
        with pytest.raises(StoreError, match="exists"):
            st.save(sample(), replace=False)
        assert st.names() == ["方案A"]
        st.delete("方案A")
        assert st.names() == []
        with pytest.raises(StoreError, match="no scenario"):
            st.load("方案A")


def test_export_and_import_on_another_machine(tmp_path):
    with Store(tmp_path / "office.gpkg") as st:
        st.save(sample("甲"))
        st.save(sample("乙", seed=2))
        f = st.export("乙", tmp_path / "乙.gpkg")
    with Store(tmp_path / "laptop.gpkg") as other:
        got = other.import_file(f)
        assert other.names() == ["乙"]
        ref = sample("乙", seed=2)
        for k in ref.tables:
            pd.testing.assert_frame_equal(got.tables[k], ref.tables[k], check_exact=True)
        with pytest.raises(StoreError, match="exists"):
            other.import_file(f)
        assert other.import_file(f, rename="乙-副本").name == "乙-副本"
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"not sqlite at all" * 100)
    with Store(tmp_path / "x.gpkg") as st, pytest.raises(StoreError):
        st.import_file(junk)


def test_store_is_a_geopackage_qgis_can_open(tmp_path):
    with Store(tmp_path / "s.gpkg") as st:
        st.save(sample(n=4))
    g = gpd.read_file(tmp_path / "s.gpkg", layer="scenario_homes")
    ref = sample(n=4).tables["homes"]
    assert g.crs.to_epsg() == 4326 and len(g) == 4
    assert np.allclose(g.geometry.x, ref["lon"]) and np.allclose(g.geometry.y, ref["lat"])
    assert g["scenario_name"].unique().tolist() == ["方案A"]


def test_schema_version_and_foreign_files(tmp_path):
    with Store(tmp_path / "s.gpkg") as st:
        assert st.version == SCHEMA_VERSION and st.integrity() == "ok"
        mode = st._con.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
    con = sqlite3.connect(tmp_path / "s.gpkg")
    assert con.execute("PRAGMA user_version").fetchone()[0] == 10300  # GeoPackage 1.3
    con.execute("UPDATE childplan_meta SET value = ? WHERE key = 'schema_version'",
                (str(SCHEMA_VERSION + 1),))
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="newer version"):
        Store(tmp_path / "s.gpkg")
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE payroll (x)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="not a childplan store"):
        Store(other)


CRASH_SCRIPT = """
import sys
from tests.test_store import sample
from childplan.store import Store
st = Store(sys.argv[1])
print("saving", flush=True)
st.save(sample(seed=7, n=50))
print("saved", flush=True)
"""


def test_killed_in_the_middle_of_a_save_leaves_the_previous_state(tmp_path):
    path = tmp_path / "s.gpkg"
    with Store(path) as st:
        first = st.save(sample())
    env = dict(os.environ, CHILDPLAN_STORE_TEST_PAUSE="3")  # sleeps inside the transaction
    proc = subprocess.Popen([sys.executable, "-c", CRASH_SCRIPT, str(path)], env=env,
                            stdout=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.dirname(__file__)))
    assert proc.stdout.readline().strip() == "saving"
    time.sleep(1.5)  # inside BEGIN IMMEDIATE ... after the first table was written
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with Store(path) as st:
        assert st.integrity() == "ok"
        back = st.load("方案A")
        assert back.revision == first.revision == 1
        pd.testing.assert_frame_equal(back.tables["homes"], sample().tables["homes"])
        g = gpd.read_file(path, layer="scenario_homes")
        assert len(g) == 5  # not 5 + 50


def test_checklist_keeps_history_and_reports_latest(tmp_path):
    with Store(tmp_path / "s.gpkg") as st:
        st.record_check("500109", "S001", {"warning_sign": True, "life_buoy": False},
                        checked_on="2026-06-01", checked_by="澄江镇河长")
        st.record_check("500109", "S001", {"life_buoy": True}, checked_on="2026-07-01",
                        checked_by="村级河长")
        latest = st.checks("500109").set_index("item")
        assert latest.loc["life_buoy", "present"] == 1
        assert latest.loc["life_buoy", "checked_on"] == "2026-07-01"
        assert latest.loc["warning_sign", "checked_by"] == "澄江镇河长"
        assert len(st.check_history("500109", "S001")) == 3
        with pytest.raises(StoreError, match="who checked"):
            st.record_check("500109", "S001", {"life_buoy": True}, checked_on="2026-07-02",
                            checked_by=" ")
