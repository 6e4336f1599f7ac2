"""The planner's saved work: one embedded SQLite database that is also a GeoPackage.

Scenarios (policy overrides, which data, and the siting, staffing and funding results) and
the drowning-spot "四个一" checklist live in one file, by default
``~/.childplan/childplan.gpkg`` (``CHILDPLAN_STORE`` overrides it). It is a valid GeoPackage, so
a planner can open it in QGIS and see every saved plan's homes as a point layer.

Durability
----------
* WAL journal, ``synchronous=FULL``: a committed save survives a power cut.
* Each save is one ``BEGIN IMMEDIATE … COMMIT`` transaction: a crash in the middle of a save
  leaves the previous state intact (SQLite rolls the partial transaction back on the next open).
* The schema version is in the ``childplan_meta`` table (``PRAGMA user_version`` belongs to
  the GeoPackage standard: 10300); :data:`MIGRATIONS` upgrade older files in order, each in its
  own transaction.
* Export writes one scenario to a new single-file GeoPackage (written under a temporary name
  and renamed into place); import reads it on another machine.

Nothing personal is stored: plans carry codes and counts only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import struct
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_STORE",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Scenario",
    "Store",
    "StoreError",
    "store_path",
]

DEFAULT_STORE = Path.home() / ".childplan" / "childplan.gpkg"


def store_path() -> Path:
    """Where the store lives: ``$CHILDPLAN_STORE`` if set (read at each call), else the default."""
    env = os.environ.get("CHILDPLAN_STORE")
    return Path(env) if env else DEFAULT_STORE

_APPLICATION_ID = 0x47504B47  # "GPKG": what QGIS/GDAL look for
_GPKG_VERSION = 10300  # GeoPackage 1.3


class StoreError(Exception):
    """A bilingual error about the store (missing scenario, foreign file, newer schema...)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _point_blob(lon: float, lat: float, srs_id: int = 4326) -> bytes:
    """A GeoPackage geometry blob for a point: 'GP' header (no envelope) + little-endian WKB."""
    header = b"GP" + bytes([0, 0b00000001]) + struct.pack("<i", srs_id)
    return header + struct.pack("<BIdd", 1, 1, float(lon), float(lat))


_GPKG_CORE = [
    """CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
        srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
        organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)""",
    """CREATE TABLE IF NOT EXISTS gpkg_contents (
        table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
        description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT
        (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE,
        max_y DOUBLE, srs_id INTEGER)""",
    """CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
        table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
        srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
        CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name))""",
    """INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
        ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian'),
        ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic'),
        ('WGS 84 geodetic', 4326, 'EPSG', 4326,
         'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
         'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')""",
]

# Migrations: index i upgrades a file at version i to version i + 1.
MIGRATIONS: list[list[str]] = [
    # v1: scenarios, their result tables, the checklist, and a GeoPackage layer of homes.
    _GPKG_CORE + [
        "CREATE TABLE IF NOT EXISTS childplan_meta (key TEXT PRIMARY KEY, value TEXT)",
        """CREATE TABLE IF NOT EXISTS scenario (
            scenario_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, adcode TEXT NOT NULL,
            county_name TEXT NOT NULL DEFAULT '', data_source TEXT NOT NULL DEFAULT '',
            overrides TEXT NOT NULL DEFAULT '{}', note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL, revision INTEGER NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS scenario_table (
            scenario_id TEXT NOT NULL REFERENCES scenario(scenario_id) ON DELETE CASCADE,
            name TEXT NOT NULL, payload TEXT NOT NULL,
            PRIMARY KEY (scenario_id, name))""",
        """CREATE TABLE IF NOT EXISTS scenario_figure (
            scenario_id TEXT NOT NULL REFERENCES scenario(scenario_id) ON DELETE CASCADE,
            key TEXT NOT NULL, value REAL, PRIMARY KEY (scenario_id, key))""",
        """CREATE TABLE IF NOT EXISTS scenario_homes (
            fid INTEGER PRIMARY KEY AUTOINCREMENT,
            scenario_id TEXT NOT NULL REFERENCES scenario(scenario_id) ON DELETE CASCADE,
            scenario_name TEXT NOT NULL, home_id TEXT NOT NULL, kind TEXT, status TEXT,
            children_served INTEGER, geom POINT)""",
        """INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
            VALUES ('scenario_homes', 'features', 'scenario_homes',
                    '儿童之家 of every saved scenario / children''s homes of saved scenarios', 4326)""",
        """INSERT OR IGNORE INTO gpkg_geometry_columns VALUES ('scenario_homes', 'geom', 'POINT', 4326, 0, 0)""",
        """CREATE TABLE IF NOT EXISTS hazard_check (
            check_id INTEGER PRIMARY KEY AUTOINCREMENT, adcode TEXT NOT NULL,
            spot_id TEXT NOT NULL, item TEXT NOT NULL, present INTEGER NOT NULL,
            checked_on TEXT NOT NULL, checked_by TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',
            saved_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS hazard_check_spot ON hazard_check (adcode, spot_id, item, check_id)",
        """INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
            VALUES ('scenario', 'attributes', 'scenario', 'saved scenarios')""",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class Scenario:
    """A saved scenario: what was planned, on which data, with which policy overrides.

    ``tables`` holds result tables by name (``homes``, ``assignments``, ``staffing``,
    ``funding``...); ``figures`` the key figures compared side by side.
    """

    name: str
    adcode: str
    county_name: str = ""
    data_source: str = ""
    overrides: dict | None = None
    note: str = ""
    tables: dict[str, pd.DataFrame] | None = None
    figures: dict[str, float] | None = None
    scenario_id: str = ""
    created_at: str = ""
    updated_at: str = ""
    revision: int = 0


class Store:
    """The scenario database. Open it, use it, close it (or use ``with``).

    Parameters
    ----------
    path : path, optional
        The file (created when absent). Default :func:`store_path`, whose folder is created
        when absent; a folder the planner names must exist (no folder is made for it).

    Notes
    -----
    Safe under concurrent first use: several processes may open a new file at once. Each
    waits for the others (busy timeout), and the schema is created in one ``BEGIN
    IMMEDIATE`` transaction that re-reads the version under the lock, with ``IF NOT EXISTS``
    statements, so exactly one process creates it and the others see it made.
    """

    #: Seconds a connection waits for another process's lock before giving up.
    BUSY_TIMEOUT_S = 30.0

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path or store_path())
        if path is None or self.path == DEFAULT_STORE:  # our own folder, not one the planner named
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.parent.is_dir():
            raise StoreError(f"文件夹不存在：{self.path.parent} / no such folder: "
                             f"{self.path.parent}")
        self._con = sqlite3.connect(self.path, timeout=self.BUSY_TIMEOUT_S,
                                    isolation_level=None)
        self._con.execute(f"PRAGMA busy_timeout = {int(self.BUSY_TIMEOUT_S * 1000)}")
        self._con.execute("PRAGMA foreign_keys = ON")
        mode = self._wal()
        if mode.lower() != "wal":  # pragma: no cover - e.g. a network drive
            raise StoreError(f"{self.path}: 无法启用 WAL 日志 / cannot enable WAL ({mode})")
        self._con.execute("PRAGMA synchronous = FULL")
        self._migrate()

    def _wal(self) -> str:
        """Switch to WAL; retried, since SQLite may refuse it while another opener holds a lock."""
        deadline = time.monotonic() + self.BUSY_TIMEOUT_S
        while True:
            try:
                return str(self._con.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    # -- lifecycle ----------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it or nothing."""
        self._con.execute("BEGIN IMMEDIATE")
        try:
            yield self._con
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        else:
            self._con.execute("COMMIT")

    @property
    def version(self) -> int:
        """The file's schema version (0 for a new file)."""
        try:
            row = self._con.execute(
                "SELECT value FROM childplan_meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.OperationalError:
            return 0
        return int(row[0]) if row else 0

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            from childplan import __version__

            raise StoreError(
                f"{self.path}: 该文件来自更新版本的软件（结构版本 {version} > {SCHEMA_VERSION}，本机为 "
                f"childplan {__version__}），请升级 / the file was written by a newer version (schema "
                f"{version} > {SCHEMA_VERSION}; this is childplan {__version__}); upgrade")
        if version == 0:
            tables = {r[0] for r in self._con.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
            foreign = tables - {"gpkg_spatial_ref_sys", "gpkg_contents", "gpkg_geometry_columns",
                                "childplan_meta"}
            if foreign and "scenario" not in foreign:
                raise StoreError(
                    f"{self.path}: 不是本软件的方案库（含有其他表）/ not a childplan store "
                    f"(it has other tables: {sorted(foreign)[:5]})")

    def _migrate(self) -> None:
        version = self.version
        self._check_version(version)
        for v in range(version, SCHEMA_VERSION):
            with self._tx() as con:
                # Under the write lock: another process may have migrated since we looked.
                now = self.version
                self._check_version(now)
                if now > v:
                    continue
                for sql in MIGRATIONS[v]:
                    con.execute(sql)
                con.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
                con.execute(f"PRAGMA user_version = {_GPKG_VERSION}")
                con.execute("INSERT OR REPLACE INTO childplan_meta VALUES ('schema_version', ?)",
                            (str(v + 1),))

    # -- scenarios ----------------------------------------------------------------------
    def save(self, scenario: Scenario, *, replace: bool = True) -> Scenario:
        """Save (or replace, by name) a scenario in one transaction; return it as stored."""
        now = _now()
        tables = scenario.tables or {}
        figures = scenario.figures or {}
        hook = os.environ.get("CHILDPLAN_STORE_TEST_PAUSE")  # crash tests only
        with self._tx() as con:
            row = con.execute("SELECT scenario_id, created_at, revision FROM scenario "
                              "WHERE name = ?", (scenario.name,)).fetchone()
            if row and not replace:
                raise StoreError(f"方案“{scenario.name}”已存在 / scenario '{scenario.name}' exists")
            sid = row[0] if row else (scenario.scenario_id or uuid.uuid4().hex[:12])
            created = row[1] if row else (scenario.created_at or now)
            revision = (row[2] + 1) if row else max(1, scenario.revision)
            con.execute("DELETE FROM scenario WHERE scenario_id = ?", (sid,))
            con.execute(
                "INSERT INTO scenario VALUES (?,?,?,?,?,?,?,?,?,?)",
                (sid, scenario.name, scenario.adcode, scenario.county_name, scenario.data_source,
                 json.dumps(scenario.overrides or {}, ensure_ascii=False, sort_keys=True),
                 scenario.note, created, now, revision))
            for name, frame in tables.items():
                con.execute("INSERT INTO scenario_table VALUES (?,?,?)",
                            (sid, name, _frame_json(frame)))
                if hook:
                    time.sleep(float(hook))  # lets a test kill the process mid-transaction
            con.executemany("INSERT INTO scenario_figure VALUES (?,?,?)",
                            [(sid, k, None if v is None else float(v))
                             for k, v in figures.items()])
            homes = tables.get("homes")
            if homes is not None and len(homes) and {"lon", "lat"} <= set(homes.columns):
                con.executemany(
                    "INSERT INTO scenario_homes (scenario_id, scenario_name, home_id, kind, "
                    "status, children_served, geom) VALUES (?,?,?,?,?,?,?)",
                    [(sid, scenario.name, str(r.home_id), str(getattr(r, "kind", "")),
                      str(getattr(r, "status", "")), int(getattr(r, "children_served", 0) or 0),
                      _point_blob(r.lon, r.lat)) for r in homes.itertuples(index=False)])
            con.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ',"
                        "'now') WHERE table_name IN ('scenario_homes', 'scenario')")
        return self.load(scenario.name)

    def names(self) -> list[str]:
        """Names of the saved scenarios, newest first."""
        return [r[0] for r in self._con.execute(
            "SELECT name FROM scenario ORDER BY updated_at DESC, name")]

    def list(self) -> pd.DataFrame:
        """One row per scenario: name, county, revision, times, number of tables."""
        return pd.read_sql_query(
            "SELECT s.name, s.adcode, s.county_name, s.revision, s.created_at, s.updated_at, "
            "s.note, (SELECT COUNT(*) FROM scenario_table t WHERE t.scenario_id = s.scenario_id)"
            " AS tables FROM scenario s ORDER BY s.updated_at DESC, s.name", self._con)

    def load(self, name: str) -> Scenario:
        """The scenario called ``name`` with all its tables and figures."""
        row = self._con.execute(
            "SELECT scenario_id, name, adcode, county_name, data_source, overrides, note, "
            "created_at, updated_at, revision FROM scenario WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise StoreError(f"没有名为“{name}”的方案 / no scenario named '{name}'")
        sid = row[0]
        tables = {n: _frame_from_json(p) for n, p in self._con.execute(
            "SELECT name, payload FROM scenario_table WHERE scenario_id = ? ORDER BY name",
            (sid,))}
        figures = {k: v for k, v in self._con.execute(
            "SELECT key, value FROM scenario_figure WHERE scenario_id = ? ORDER BY key", (sid,))}
        return Scenario(name=row[1], adcode=row[2], county_name=row[3], data_source=row[4],
                        overrides=json.loads(row[5]), note=row[6], tables=tables,
                        figures=figures, scenario_id=sid, created_at=row[7], updated_at=row[8],
                        revision=row[9])

    def delete(self, name: str) -> None:
        """Delete a scenario (one transaction)."""
        with self._tx() as con:
            n = con.execute("DELETE FROM scenario WHERE name = ?", (name,)).rowcount
        if n == 0:
            raise StoreError(f"没有名为“{name}”的方案 / no scenario named '{name}'")

    def export(self, name: str, target: str | Path) -> Path:
        """Write one scenario to its own GeoPackage file (atomically) and return its path."""
        scenario = self.load(name)
        target = Path(target)
        if not target.parent.is_dir():  # never create a folder the planner did not name
            raise StoreError(f"文件夹不存在：{target.parent}，请先建立或换一个位置 / no such folder: "
                             f"{target.parent}; create it or choose another place")
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:6]}.tmp")
        try:
            with Store(tmp) as out:
                out.save(scenario)
            for suffix in ("-wal", "-shm"):
                Path(str(tmp) + suffix).unlink(missing_ok=True)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target

    def import_file(self, source: str | Path, *, rename: str | None = None,
                    replace: bool = False) -> Scenario:
        """Import every scenario of an exported file (one, normally); return the last."""
        source = Path(source)
        if not source.exists():
            raise StoreError(f"找不到文件 {source} / file not found: {source}")
        con = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            ok = con.execute("SELECT name FROM sqlite_master WHERE name='scenario'").fetchone()
        except sqlite3.DatabaseError:
            ok = None
        finally:
            con.close()
        if not ok:
            raise StoreError(f"{source} 不是导出的方案文件 / is not an exported scenario file")
        last = None
        # Work on a copy: opening may migrate an older file, and the planner's file stays as is.
        import shutil
        import tempfile

        with tempfile.TemporaryDirectory() as tmpdir:
            copy = Path(tmpdir) / "import.gpkg"
            shutil.copyfile(source, copy)
            with Store(copy) as src:
                for n in src.names():
                    sc = src.load(n)
                    new_name = rename or sc.name
                    last = self.save(Scenario(**{**sc.__dict__, "name": new_name,
                                                 "scenario_id": ""}), replace=replace)
        if last is None:
            raise StoreError(f"{source} 中没有方案 / no scenario in {source}")
        return last

    # -- "四个一" checklist ----------------------------------------------------------------
    def record_check(self, adcode: str, spot_id: str, items: dict[str, bool], *,
                     checked_on: str, checked_by: str, note: str = "") -> None:
        """Record what a patrol found at a danger spot (history is kept; one transaction)."""
        if not checked_by.strip():
            raise StoreError("请填写检查人（职务或编码即可）/ say who checked (a role or code is enough)")
        now = _now()
        with self._tx() as con:
            con.executemany(
                "INSERT INTO hazard_check (adcode, spot_id, item, present, checked_on, "
                "checked_by, note, saved_at) VALUES (?,?,?,?,?,?,?,?)",
                [(adcode, spot_id, item, int(bool(v)), checked_on, checked_by.strip(), note, now)
                 for item, v in items.items()])

    def checks(self, adcode: str) -> pd.DataFrame:
        """The latest record per (spot, item) for a county."""
        return pd.read_sql_query(
            "SELECT spot_id, item, present, checked_on, checked_by, note, saved_at "
            "FROM hazard_check h WHERE adcode = ? AND check_id = (SELECT MAX(check_id) FROM "
            "hazard_check h2 WHERE h2.adcode = h.adcode AND h2.spot_id = h.spot_id AND "
            "h2.item = h.item) ORDER BY spot_id, item", self._con, params=(adcode,))

    def check_history(self, adcode: str, spot_id: str) -> pd.DataFrame:
        """Every record of a spot, newest first."""
        return pd.read_sql_query(
            "SELECT item, present, checked_on, checked_by, note, saved_at FROM hazard_check "
            "WHERE adcode = ? AND spot_id = ? ORDER BY check_id DESC", self._con,
            params=(adcode, spot_id))

    def integrity(self) -> str:
        """SQLite's integrity check ('ok' when the file is sound)."""
        return str(self._con.execute("PRAGMA integrity_check").fetchone()[0])


def _jsonable(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (pd.Timestamp, datetime)):
        return v.isoformat()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _frame_json(frame: pd.DataFrame) -> str:
    """A DataFrame as JSON that round-trips exactly (Python float repr, column dtypes)."""
    f = frame.drop(columns=["geometry"]) if "geometry" in frame.columns else frame
    dtypes = {str(c): str(t) for c, t in f.dtypes.items()}
    rows = [[None if (isinstance(v, float) and v != v) or v is None or v is pd.NA
             else v for v in row] for row in f.itertuples(index=False, name=None)]
    return json.dumps({"dtypes": dtypes, "columns": [str(c) for c in f.columns], "rows": rows},
                      ensure_ascii=False, default=_jsonable)


def _frame_from_json(payload: str) -> pd.DataFrame:
    obj = json.loads(payload)
    frame = pd.DataFrame(obj["rows"], columns=obj["columns"])
    for c, t in obj["dtypes"].items():
        if c not in frame.columns:
            continue
        try:
            if t.startswith(("int", "Int", "float", "Float", "bool", "boolean")):
                frame[c] = frame[c].astype(t)
            elif t.startswith("datetime"):
                frame[c] = pd.to_datetime(frame[c])
        except (TypeError, ValueError):
            pass
    return frame
