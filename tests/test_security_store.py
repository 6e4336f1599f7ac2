"""The store under concurrent first use, and exports that never create folders."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

from childplan.store import SCHEMA_VERSION, Scenario, Store, StoreError

# Each child waits for the same start instant, opens the (new) store and saves one scenario.
_CHILD = textwrap.dedent("""
    import sys, time
    import pandas as pd
    from childplan.store import Scenario, Store
    path, start, name = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    while time.time() < start:
        pass
    with Store(path) as st:
        st.save(Scenario(name=name, adcode="500109",
                         tables={"t": pd.DataFrame({"a": [1, 2]})}, figures={"x": 1.0}))
    print("ok")
""")


@pytest.mark.parametrize("trial", range(10))
def test_concurrent_first_use_creates_one_sound_store(tmp_path, trial):
    # Before the fix, 6 of 10 trials of two processes failed ("table scenario already
    # exists" / "database is locked"). Here three processes race on a new file, ten times.
    path = tmp_path / f"new{trial}.gpkg"
    start = time.time() + 1.5  # every child is imported and spinning by then
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [subprocess.Popen([sys.executable, "-c", _CHILD, str(path), str(start), f"S{i}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for i in range(3)]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    for out, err, rc in results:
        assert rc == 0 and out.strip() == "ok", err[-2000:]
    with Store(path) as st:
        assert sorted(st.names()) == ["S0", "S1", "S2"]
        assert st.version == SCHEMA_VERSION and st.integrity() == "ok"
    con = sqlite3.connect(path)
    try:  # the schema was created once: one row per meta key, one homes layer registered
        assert con.execute("SELECT COUNT(*) FROM childplan_meta").fetchone()[0] == 1
        assert con.execute("SELECT COUNT(*) FROM gpkg_contents WHERE table_name = "
                           "'scenario_homes'").fetchone()[0] == 1
    finally:
        con.close()


def test_export_to_a_missing_folder_fails_and_creates_nothing(tmp_path):
    store = tmp_path / "s.gpkg"
    with Store(store) as st:
        st.save(Scenario(name="A", adcode="500109", tables={"t": pd.DataFrame({"a": [1]})}))
        target = tmp_path / "no" / "such" / "dir" / "x.gpkg"
        with pytest.raises(StoreError, match="no such folder") as exc:
            st.export("A", target)
        assert "文件夹不存在" in str(exc.value)
    assert not (tmp_path / "no").exists()


def test_cli_export_to_a_missing_folder(tmp_path):
    store = tmp_path / "s.gpkg"
    with Store(store) as st:
        st.save(Scenario(name="A", adcode="500109", tables={"t": pd.DataFrame({"a": [1]})}))
    target = tmp_path / "no" / "such" / "dir" / "x.gpkg"
    r = subprocess.run([sys.executable, "-m", "childplan.cli", "scenario", "export", "A",
                        "--file", str(target), "--store", str(store)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert "文件夹不存在" in r.stdout and "no such folder" in r.stdout
    assert not (tmp_path / "no").exists()


def test_a_named_store_in_a_missing_folder_is_not_created(tmp_path):
    with pytest.raises(StoreError, match="no such folder"):
        Store(tmp_path / "nowhere" / "s.gpkg")
    assert not (tmp_path / "nowhere").exists()


def test_exports_do_not_change_the_process_umask(tmp_path, monkeypatch):
    # The old atomic writer set the umask to 0 for a moment (a race for other threads).
    from geo import exports

    calls = []
    monkeypatch.setattr(os, "umask", lambda m: calls.append(m) or 0o022)
    exports.atomic_write_bytes(tmp_path / "a.txt", b"x")
    assert calls == [] and (tmp_path / "a.txt").read_bytes() == b"x"


def test_exports_never_create_folders(tmp_path):
    from geo import exports

    with pytest.raises(FileNotFoundError, match="no such folder"):
        exports.atomic_write_bytes(tmp_path / "missing" / "a.txt", b"x")
    assert not (tmp_path / "missing").exists()


def test_atomic_files_get_the_umask_permissions(tmp_path):
    from geo import exports

    old = os.umask(0o027)  # the test's own process, set and restored around one call
    try:
        p = exports.atomic_write_bytes(tmp_path / "a.txt", b"x")
    finally:
        os.umask(old)
    assert (p.stat().st_mode & 0o777) == 0o640


def test_the_default_store_folder_is_made_on_first_use(tmp_path, monkeypatch):
    # a fresh machine has no ~/.childplan: the pages pass store_path() explicitly and must still
    # get a store (the 防溺水 page showed "文件夹不存在" on a new account)
    import childplan.store as store_mod

    default = tmp_path / "home" / ".childplan" / "childplan.gpkg"
    monkeypatch.setattr(store_mod, "DEFAULT_STORE", default)
    monkeypatch.delenv("CHILDPLAN_STORE", raising=False)
    s = Store(store_mod.store_path())
    assert default.is_file() and s.path == default
    with pytest.raises(StoreError, match="no such folder"):
        Store(tmp_path / "elsewhere" / "x.gpkg")  # a folder the planner named is never made
