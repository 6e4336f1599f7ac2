"""The offline bundle, built and installed as a county intranet would: no network at all.

``make bundle`` (scripts/bundle.sh) is run once per session, its downloads cached under
``build/`` (``CHILDPLAN_BUNDLE`` names a ready archive instead). The install and everything
after it run in a network namespace with only loopback (``unshare -n``, tests/bundle_offline.py):
``install.sh`` into a new venv with ``pip --no-index``, then, from another directory,
``childplan validate``, ``childplan site --out``, ``childplan app`` up to its health endpoint
and the map page drawn in Chromium. Marked slow (minutes); CI runs it.

The quicker tests below check the packaging pieces from the checkout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from childplan import launch, resources
from childplan.store import SCHEMA_VERSION, Store, StoreError

REPO = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("CHILDPLAN_BUILD", REPO / "build"))
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def _cli(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "childplan.cli", *args], capture_output=True,
                          text=True, env=env, cwd=cwd or REPO, timeout=300)


# --- quick checks from the checkout -------------------------------------------------------

def test_version_names_release_and_store_schema():
    out = _cli("--version").stdout
    assert f"childplan {VERSION}" in out
    assert f"scenario store schema {SCHEMA_VERSION}" in out and f"方案库结构版本 {SCHEMA_VERSION}" in out
    assert f"## {VERSION}" in (REPO / "CHANGELOG.md").read_text(encoding="utf-8")


def test_scenario_list_shows_the_store_schema_version(tmp_path):
    path = tmp_path / "s.gpkg"
    Store(path).close()
    con = sqlite3.connect(path)  # read back independently of the Store class
    (written,) = con.execute("SELECT value FROM childplan_meta WHERE key='schema_version'").fetchone()
    con.close()
    out = _cli("scenario", "list", "--store", str(path)).stdout
    assert f"结构版本 {written}" in out and f"schema {written}" in out and str(path) in out


def test_newer_store_is_refused_in_both_languages_and_left_alone(tmp_path):
    path = tmp_path / "s.gpkg"
    Store(path).close()
    newer = SCHEMA_VERSION + 1
    con = sqlite3.connect(path)
    con.execute("UPDATE childplan_meta SET value = ? WHERE key = 'schema_version'", (str(newer),))
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as err:
        Store(path)
    msg = str(err.value)
    assert "更新版本" in msg and "请升级" in msg  # Chinese
    assert "newer version" in msg and "upgrade" in msg  # English
    assert f"{newer} > {SCHEMA_VERSION}" in msg and f"childplan {VERSION}" in msg  # which release to replace
    # the CLI says the same and exits 1, without changing the file
    res = _cli("scenario", "list", "--store", str(path))
    assert res.returncode == 1 and "更新版本" in res.stdout and "newer version" in res.stdout
    con = sqlite3.connect(path)
    assert con.execute("SELECT value FROM childplan_meta WHERE key='schema_version'").fetchone() == (
        str(newer),)
    con.close()
    assert len(path.read_bytes()) == len(before)


def test_streamlit_options_carry_config_and_no_phone_home_settings():
    opts = launch.streamlit_options(port=8642)
    assert "--server.port=8642" in opts
    assert "--server.address=127.0.0.1" in opts  # this machine only unless told
    assert "--server.headless=true" in opts and "--browser.gatherUsageStats=false" in opts
    assert "--server.enableStaticServing=true" in opts  # the Leaflet files are served locally
    assert "--server.address=0.0.0.0" in launch.streamlit_options(address="0.0.0.0")


def test_checkout_resources_are_the_checkout_folders():
    assert not resources.installed()
    assert resources.app_script() == REPO / "app.py"
    assert resources.page("map.py") == REPO / "app_pages" / "map.py"
    assert resources.asset("icon.png").is_file()
    assert resources.streamlit_config() == REPO / ".streamlit" / "config.toml"


def test_user_dir_follows_childplan_home(tmp_path, monkeypatch):
    monkeypatch.setenv("CHILDPLAN_HOME", str(tmp_path / "h"))
    assert resources.user_dir() == tmp_path / "h"
    monkeypatch.delenv("CHILDPLAN_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert resources.user_dir() == tmp_path / ".local" / "share" / "childplan"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel, built as `make bundle` builds it (pip fetches setuptools for the build)."""
    out = tmp_path_factory.mktemp("wheel")
    shutil.rmtree(REPO / "build" / "lib", ignore_errors=True)  # setuptools never prunes it
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(REPO)],
                   check=True, capture_output=True, timeout=600)
    (whl,) = out.glob("childplan-*.whl")
    return whl


@pytest.mark.slow
def test_wheel_has_one_namespace_and_every_file_the_app_needs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    tops = {n.split("/")[0] for n in names}
    assert tops == {"childplan", f"childplan-{VERSION}.dist-info"}  # no top-level geo/optimization
    tracked = subprocess.run(["git", "ls-files", "geo", "optimization", "app_pages", "assets", "data",
                              "app.py", ".streamlit"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    where = {"geo": "childplan/geo", "optimization": "childplan/optimization",
             "app_pages": "childplan/app_pages", "assets": "childplan/assets", "data": "childplan/data",
             "app.py": "childplan/app/app.py", ".streamlit": "childplan/app/.streamlit"}
    missing = []
    for f in tracked:
        head, _, rest = f.partition("/")
        target = where[head] + ("/" + rest if rest else "")
        if target not in names and not f.endswith("make_demo.py"):
            missing.append(f)
    assert missing == []
    assert {"childplan/data/boundaries/500109/villages.geojson", "childplan/optimization/policy.toml",
            "childplan/data/facilities/350821/roster.csv"} <= names


@pytest.mark.slow
def test_editable_install_keeps_checkout_imports(tmp_path):
    """``pip install -e`` (make install): geo imports from the checkout, from any directory."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = next(venv.glob("lib/python3*/site-packages"))
    # the dependencies: this test run's own environment (read-only, via a path line)
    import numpy

    (site / "deps.pth").write_text(str(Path(numpy.__file__).parents[1]) + "\n")
    py = venv / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", "-e", str(REPO)],
                   check=True, capture_output=True, timeout=600)
    code = ("import childplan, geo.layers, optimization.policy, sys; "
            "print(geo.layers.__file__); print(optimization.policy.__file__); print(geo.layers.DATA_DIR); "
            "print('childplan.geo.layers' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = subprocess.run([py, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == [str(REPO / "geo" / "layers.py"), str(REPO / "optimization" / "policy.py"),
                                  str(REPO / "data"), "True"]


# --- the whole bundle, with no network ----------------------------------------------------

_LEGACY = {"manylinux1": 5, "manylinux2010": 12, "manylinux2014": 17}


def _glibc_needed(wheel: str) -> int | None:
    """The oldest glibc minor version (2.N) a wheel runs on; None for a pure wheel, 99 unportable."""
    platforms = wheel[: -len(".whl")].split("-")[-1].split(".")
    if platforms == ["any"]:
        return None
    found = []
    for tag in platforms:
        m = re.match(r"manylinux_2_(\d+)_", tag)
        found.append(int(m.group(1)) if m else _LEGACY.get(tag.split("_")[0], 99))
    return min(found)


def test_glibc_needed_reads_wheel_tags():
    assert _glibc_needed("numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl") == 27
    assert _glibc_needed("psutil-7.2.2-cp36-abi3-manylinux2010_x86_64.manylinux_2_12_x86_64.whl") == 12
    assert _glibc_needed("kiwisolver-1.5.1-cp311-cp311-manylinux2014_x86_64.whl") == 17
    assert _glibc_needed("foo-1.0-cp311-cp311-manylinux_2_34_x86_64.whl") == 34
    assert _glibc_needed("bar-1.0-cp311-cp311-linux_x86_64.whl") == 99
    assert _glibc_needed("pulp-3.3.2-py3-none-any.whl") is None


def _archive() -> Path:
    given = os.environ.get("CHILDPLAN_BUNDLE")
    if given:
        return Path(given)
    env = dict(os.environ, PY=sys.executable, BUILD=str(BUILD))
    subprocess.run(["bash", str(REPO / "scripts" / "bundle.sh")], cwd=REPO, env=env, check=True,
                   timeout=1800)
    (archive,) = BUILD.glob(f"childplan-{VERSION}-*-offline.tar.gz")
    return archive


def _unshare() -> list[str]:
    if not shutil.which("unshare"):
        pytest.fail("unshare (util-linux) is needed for the offline install test")
    for cmd in (["unshare", "-n"], ["unshare", "-rn"]):  # root, or a user namespace
        if subprocess.run([*cmd, "true"], capture_output=True).returncode == 0:
            return cmd
    pytest.fail("cannot create a network namespace (unshare -n / -rn)")


@pytest.mark.slow
def test_bundle_installs_and_runs_with_no_network(tmp_path):
    archive = _archive()
    with tarfile.open(archive) as tar:
        wheels = [Path(n).name for n in tar.getnames() if n.endswith(".whl")]
    # portable to older domestic distributions: no wheel needs a glibc newer than 2.28
    needs = {w: _glibc_needed(w) for w in wheels if _glibc_needed(w) is not None}
    assert needs and max(needs.values()) <= 28, {w: n for w, n in needs.items() if n > 28}
    assert any(w.startswith(f"childplan-{VERSION}-") for w in wheels)
    work = tmp_path / "offline"
    work.mkdir()
    proc = subprocess.run([*_unshare(), sys.executable, str(REPO / "tests" / "bundle_offline.py"),
                           str(archive), str(work)], capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r = json.loads((work / "result.json").read_text(encoding="utf-8"))
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "bundle_result.json").write_text(json.dumps(r, ensure_ascii=False, indent=1))
    if (work / "map.png").exists():
        shutil.copy(work / "map.png", artifacts / "bundle_map.png")

    assert "unreachable" in r["no_network"].lower() or "errno" in r["no_network"].lower()
    assert r["install"]["rc"] == 0, r["install"]
    assert r["version"]["out"].startswith(f"childplan {VERSION}")
    # the embedded demo county, read from the installed package (192 villages, 17 townships)
    assert r["validate"]["rc"] == 0, r["validate"]
    assert "villages: 192" in r["validate"]["out"] and "townships: 17" in r["validate"]["out"]
    assert r["site"]["rc"] == 0, r["site"]
    assert "status optimal" in r["site"]["out"]
    assert r["site_files"] == ["access_shares.csv", "assignments.csv", "homes.csv", "siting.gpkg"]
    assert r["top_level"] == []  # nothing generic at the top of site-packages
    assert r["health_seconds"] is not None, r["app_log"]
    b = r["browser"]
    assert b["village_markers"] == 192
    assert b["bad_responses"] == [] and b["outside_requests"] == []  # no missing file, no internet
    log = r["app_log"]
    for bad in ("Traceback", "Error", "No such file", "no static folder"):
        assert bad not in log, log
    # what the app wrote went to the per-user folder, never next to the code
    assert any(f.startswith(".local/share/childplan/app/static/vendor/") for f in r["home_files"])
    print(json.dumps({k: r[k] for k in ("archive_bytes", "health_seconds")}
                     | {"install_seconds": r["install"]["seconds"],
                        "map_drawn_seconds": b["map_drawn_seconds"]}))
