"""Plan many counties at once on Dask: each county's siting and staffing in parallel, then the province.

A provincial civil-affairs department plans all its counties together (Fujian: 84 county-level
units, about 17,500 villages). Each county's siting and staffing are independent, so every
county is one task on a ``dask.distributed`` cluster: a :class:`~distributed.LocalCluster` on
this machine by default (worker processes, one thread each), or an existing cluster when a
scheduler address is given. Tasks receive paths, never data: each loads its county with
:func:`geo.layers.load_county`, solves with :func:`~childplan.workflows.run_siting` and
:func:`~childplan.workflows.run_staffing` (exactly what ``childplan site`` and ``childplan
staff`` call), writes its files under ``out/<adcode>/`` and returns a small summary dict.

Per county (``out/<adcode>/``)
------------------------------
``homes.csv``, ``assignments.csv``, ``siting.gpkg`` (as ``childplan site``), ``staffing.csv``,
``recruit.csv``, ``training.csv``, ``supervisors.csv`` (as ``childplan staff``), the GeoParquet
files ``homes.parquet``, ``villages.parquet`` (assignment and director posts per village),
``waterways.parquet`` (the validated waterways) and ``county.parquet`` (boundary), and last,
atomically, ``done.json``: the summary and a hash of the inputs (every source file's bytes),
of the siting and staffing policy and of the solver. A re-run skips a county whose marker
hash matches; a changed file or policy parameter re-plans it. A county that fails writes
``failed.json`` instead (retried on the next run): bad data (:class:`~geo.report.DataError`,
the report's first problems in Chinese and English), an infeasible model
(:class:`~optimization.siting.SitingInfeasible`, bilingual), or anything else (type, message;
traceback in ``error.txt``). The other counties always finish.

Province (``out/``)
-------------------
``summary.csv`` / ``summary.xlsx`` (one row per county: status, reason, key figures, children
living near water, funding), ``counties.parquet`` (county polygons with those columns),
``funding.csv`` (one LP across the county totals, :func:`~childplan.workflows.county_units` and
:func:`~childplan.workflows.run_funding`, when a budget is given), ``villages.parquet`` and
``homes.parquet`` (GeoParquet datasets, one part per group of neighbouring counties) and
``batch.json`` (the run).

Where dask-geopandas is used, and why
-------------------------------------
One join: every village of the province against every waterway of the province, "which
villages lie within ``hazards.buffer_m`` of a river, stream, canal, pond or reservoir". Per
county this misses the water just across a county border; province-wide it does not, but
the layers grow with the province (nationally: 600,000 villages and every county's waterway
network). :func:`dask_geopandas.sjoin` on frames partitioned by groups of neighbouring
counties (about :data:`PARTITION_VILLAGES` villages each, :func:`county_groups`), with spatial
partitions (each group's hull), joins only the pairs of groups whose hulls meet, on the
workers, without gathering either layer on one machine. Each village's disk is drawn in its
county's own Gauss–Krüger zone and the join runs in WGS84, so no single projected CRS has
to cover a province or the country. At the scale of one province the join itself is cheap
(Fujian: 17,500 disks against 12,500 water bodies, 0.2 s in plain geopandas); the
partitioning is what lets the same code run on the country on a cluster.
Everything else is either per county (plain geopandas inside the task) or a small table on
the driver (the funding LP over county totals).

Examples
--------
>>> result = run_batch(["500109", "350821"], "/tmp/batch", budget=10_000_000)  # doctest: +SKIP
>>> result.counties[["adcode", "status"]]  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = [
    "BATCH_FORMAT",
    "COUNTY_OUTPUTS",
    "DONE_MARKER",
    "FAILED_MARKER",
    "BatchEvent",
    "BatchResult",
    "CountyJob",
    "add_batch_arguments",
    "cmd_batch",
    "county_groups",
    "default_province_dir",
    "find_counties",
    "inputs_hash",
    "list_counties",
    "plan_county",
    "run_batch",
]

#: Bumped when the per-county outputs change, so older results are re-planned.
BATCH_FORMAT = 1
#: Written last in a county's folder: the county is done for these inputs.
DONE_MARKER = "done.json"
#: Written when a county fails; removed when it is planned again.
FAILED_MARKER = "failed.json"
#: Files every finished county has (the marker is only trusted when they are all there).
COUNTY_OUTPUTS = ("homes.csv", "assignments.csv", "siting.gpkg", "staffing.csv", "recruit.csv",
                  "training.csv", "supervisors.csv", "homes.parquet", "villages.parquet",
                  "waterways.parquet", "county.parquet")
_COUNTY_FILES = COUNTY_OUTPUTS + ("error.txt",)
#: Side files of a layer file that are part of its input (a shapefile's .dbf, .prj…).
_SIDECARS = (".dbf", ".shx", ".prj", ".cpg", ".qmd", ".aux.xml")


def default_province_dir(province: str) -> Path:
    """Where ``data/make_demo.py --province`` writes a province: ``~/.cache/childplan-province/<pp>``."""
    return Path.home() / ".cache" / "childplan-province" / str(province)[:2]


# --- which counties, from which folders ---------------------------------------------------


@dataclass(frozen=True)
class CountyJob:
    """One county to plan: its adcode and the paths of its layers (never the data).

    Attributes
    ----------
    adcode : str
        6-digit county code.
    name : str
        County name when known before loading (from its boundary file), else ``""``.
    sources : tuple of (layer, path)
        Layer name -> file, as :func:`geo.layers.load_county` takes them.
    missing_zh, missing_en : str
        Why there is no data for the county (then ``sources`` is empty).
    """

    adcode: str
    name: str = ""
    sources: tuple[tuple[str, str], ...] = ()
    missing_zh: str = ""
    missing_en: str = ""

    @property
    def has_data(self) -> bool:
        """True when the county has layer files to plan on."""
        return bool(self.sources) and not self.missing_en

    def source_dict(self) -> dict[str, Path]:
        """Layer -> path."""
        return {layer: Path(path) for layer, path in self.sources}

    def input_bytes(self) -> int:
        """Total size of the layer files (to start the biggest counties first)."""
        return sum(Path(p).stat().st_size for _, p in self.sources if Path(p).exists())


def _is_province(selection) -> bool:
    if not isinstance(selection, str):
        return False
    s = selection.strip()
    return (len(s) == 2 and s.isdigit()) or (len(s) == 6 and s.isdigit() and s.endswith("0000"))


def _county_name(path: Path, adcode: str) -> str:
    if path.suffix.lower() not in (".geojson", ".json"):
        return ""
    try:
        props = json.loads(path.read_text(encoding="utf-8"))["features"][0]["properties"]
        return str(props.get("name") or "")
    except (OSError, KeyError, IndexError, ValueError, TypeError):
        return ""


def _sources_in(root: Path, adcode: str) -> dict[str, Path] | None:
    """A county's layer files under ``root``: the ``data/`` layout or one folder per county."""
    from geo.layers import demo_sources

    if (root / "boundaries" / adcode / "county.geojson").is_file():
        return demo_sources(adcode, root)
    folder = root / adcode
    if folder.is_dir():
        from childplan.sources import resolve_sources

        found, _unknown = resolve_sources([str(folder)])
        if "county" in found:
            return {k: Path(v.path) for k, v in found.items()}
    return None


def _adcodes_in(root: Path, prefix: str) -> list[str]:
    out = set()
    for base in (root / "boundaries", root):
        if base.is_dir():
            out.update(p.name for p in base.iterdir()
                       if p.is_dir() and len(p.name) == 6 and p.name.isdigit()
                       and p.name.startswith(prefix))
    return sorted(a for a in out if _sources_in(root, a) is not None)


def _job(adcode: str, sources: dict[str, Path]) -> CountyJob:
    return CountyJob(adcode=adcode, name=_county_name(sources["county"], adcode),
                     sources=tuple(sorted((k, str(v)) for k, v in sources.items())))


def list_counties(root: str | Path, prefix: str = "") -> list[CountyJob]:
    """Every county in a folder (adcode starting with ``prefix``), sorted by adcode.

    Counties ``data/make_demo.py`` listed in the folder's ``province.json`` but did not build
    come back without sources, with the generator's reason (bilingual).
    """
    root = Path(root)
    jobs = {a: _job(a, _sources_in(root, a)) for a in _adcodes_in(root, prefix)}
    manifest = root / "province.json"
    if manifest.is_file():
        try:
            listed = json.loads(manifest.read_text(encoding="utf-8")).get("counties", [])
        except ValueError:
            listed = []
        for c in listed:
            a = str(c.get("adcode", ""))
            if c.get("status") != "built" and a.startswith(prefix) and a not in jobs:
                jobs[a] = CountyJob(adcode=a, name=c.get("name", ""),
                                    missing_zh=c.get("reason_zh", "没有数据"),
                                    missing_en=c.get("reason_en", "no data"))
    return [jobs[a] for a in sorted(jobs)]


def find_counties(selection: str | Iterable[str],
                  data_root: str | Path | Sequence[str | Path] | None = None) -> list[CountyJob]:
    """The counties a selection names, with the paths of their layers.

    Parameters
    ----------
    selection : str or iterable of str
        A province (``"35"`` or ``"350000"``): every county found under the roots, plus the
        counties ``data/make_demo.py`` listed in ``province.json`` but could not build (they
        come back without data, with the generator's reason). Or 6-digit adcodes.
    data_root : path or list of paths, optional
        Folders to look in, first match wins: the ``data/`` layout
        (``boundaries/<adcode>/``, ``facilities/<adcode>/``, as written by ``make_demo.py``)
        or one folder per county (``<adcode>/`` with files named by layer, e.g.
        ``villages.csv``). Adcodes are also looked up in the embedded demo data. Default for
        a province: its generated folder (:func:`default_province_dir`) when it exists, else
        the embedded demo data.

    Returns
    -------
    list of CountyJob
        Sorted by adcode; a county found nowhere has no sources and says so.
    """
    from geo.layers import DATA_DIR

    if isinstance(data_root, (str, Path)):
        roots = [Path(data_root)]
    else:
        roots = [Path(r) for r in (data_root or ())]
    if _is_province(selection):
        pp = selection.strip()[:2]
        if not roots:
            gen = default_province_dir(pp)
            roots = [gen] if gen.is_dir() else [Path(DATA_DIR)]
        jobs: dict[str, CountyJob] = {}
        for root in roots:  # first root wins; a county built anywhere beats a listed gap
            for job in list_counties(root, pp):
                if job.adcode not in jobs or (job.has_data and not jobs[job.adcode].has_data):
                    jobs[job.adcode] = job
        return [jobs[a] for a in sorted(jobs)]
    codes = [selection] if isinstance(selection, str) else list(selection)
    roots = roots + [Path(DATA_DIR)]
    out = []
    for a in codes:
        a = str(a).strip()
        for root in roots:
            src = _sources_in(root, a)
            if src is not None:
                out.append(_job(a, src))
                break
        else:
            where = "、".join(str(r) for r in roots)
            out.append(CountyJob(
                adcode=a, missing_zh=f"在 {where} 中找不到区县 {a} 的数据",
                missing_en=f"no data for county {a} under {', '.join(str(r) for r in roots)}"))
    return sorted(out, key=lambda j: j.adcode)


# --- one county: a task on a worker -----------------------------------------------------------


def _policy_key(policy) -> dict:
    """The policy values county plans depend on (the siting and staffing sections)."""
    return {"siting": policy.siting.model_dump(mode="json"),
            "staffing": policy.staffing.model_dump(mode="json")}


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def inputs_hash(job: CountyJob, policy, solver: str) -> str:
    """SHA-256 of everything a county's plan depends on.

    The bytes of every layer file (and a shapefile's side files), the siting and staffing
    policy values (not their descriptions: editing a source citation re-plans nothing; the
    funding and hazard sections are applied after the counties, on every run), the solver
    and :data:`BATCH_FORMAT`.
    """
    h = hashlib.sha256()
    head = {"format": BATCH_FORMAT, "adcode": job.adcode, "solver": solver,
            "policy": _policy_key(policy)}
    h.update(json.dumps(head, sort_keys=True, ensure_ascii=False, default=str).encode())
    for layer, path in sorted(job.sources):
        p = Path(path)
        files = [p] + sorted(q for q in p.parent.glob(p.stem + ".*")
                             if q != p and q.name.lower().endswith(_SIDECARS))
        for f in files:
            h.update(f"\n{layer}:{f.name}:".encode() + _file_digest(f).encode())
    return h.hexdigest()


def _plain(value):
    """Numpy and pandas scalars as Python ones (for JSON)."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return value
    if isinstance(value, float) and value != value:
        return None
    return value


def _worker_memory() -> dict:
    """Peak and current resident memory of this process, MB (peak from getrusage)."""
    out = {"pid": os.getpid(), "worker": ""}
    try:
        from distributed import get_worker

        out["worker"] = get_worker().address
    except (ImportError, ValueError):
        pass
    try:
        import resource

        scale = 1024 * 1024 if sys.platform == "darwin" else 1024
        out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale, 1)
    except ImportError:  # pragma: no cover - Windows
        out["peak_rss_mb"] = None
    try:
        import psutil

        out["rss_mb"] = round(psutil.Process().memory_info().rss / 2**20, 1)
    except ImportError:  # pragma: no cover
        out["rss_mb"] = None
    return out


def _write_geoparquet(gdf, path: Path) -> Path:
    """GeoParquet, written atomically (bytes in memory, then ``os.replace``)."""
    import io

    from geo.plan_exports import atomic_write_bytes

    gdf = gdf.copy()
    gdf.attrs = {}  # validation notes (sets) are not Parquet metadata
    buf = io.BytesIO()
    gdf.to_parquet(buf, index=False)
    return atomic_write_bytes(path, buf.getvalue())


def _write_json(path: Path, obj: dict) -> Path:
    from geo.plan_exports import atomic_write_bytes

    text = json.dumps(obj, ensure_ascii=False, indent=1, default=_plain)
    return atomic_write_bytes(path, text.encode("utf-8"))


def _data_reason(report, limit: int = 5) -> tuple[str, str]:
    errors = report.errors
    zh = [report.summary("zh")] + [p.text("zh") for p in errors[:limit]]
    en = [report.summary("en")] + [p.text("en") for p in errors[:limit]]
    if len(errors) > limit:
        zh.append(f"……另有 {len(errors) - limit} 个错误")
        en.append(f"... and {len(errors) - limit} more error(s)")
    return "\n".join(zh), "\n".join(en)


def plan_county(job: CountyJob, out_dir: str, policy, solver: str = "cbc") -> dict:
    """Plan one county (a Dask task): load by path, site, staff, write, summarise.

    Parameters
    ----------
    job : CountyJob
        The county and its layer paths.
    out_dir : str
        The batch's output folder; this county writes only to ``out_dir/<adcode>/``.
    policy : Policy
        The policy in force.
    solver : {"cbc", "highs"}
        MILP solver.

    Returns
    -------
    dict
        JSON-ready summary: ``adcode``, ``name``, ``status`` (``done``, ``skipped`` when an
        earlier run already planned these inputs, ``failed``), ``reason_code`` and
        ``reason_zh``/``reason_en`` when failed, the key figures of
        :func:`~childplan.workflows.key_figures`, the solver statuses, ``funding_unit`` (the
        county's row of :func:`~childplan.workflows.county_units`, whenever its data loads),
        timings and the worker's memory.
    """
    t0 = time.perf_counter()
    out = Path(out_dir) / job.adcode
    base = {"adcode": job.adcode, "name": job.name}
    if not job.has_data:
        return {**base, "status": "failed", "reason_code": "no_data",
                "reason_zh": job.missing_zh, "reason_en": job.missing_en,
                "seconds": 0.0}
    digest = inputs_hash(job, policy, solver)
    marker = out / DONE_MARKER
    if marker.is_file() and all((out / f).is_file() for f in COUNTY_OUTPUTS):
        try:
            done = json.loads(marker.read_text(encoding="utf-8"))
        except ValueError:
            done = {}
        if done.get("inputs_hash") == digest:
            return {**done["summary"], "status": "skipped",
                    "seconds": round(time.perf_counter() - t0, 3), **_worker_memory()}
    out.mkdir(parents=True, exist_ok=True)
    for name in (DONE_MARKER, FAILED_MARKER) + _COUNTY_FILES:  # never a stale file
        (out / name).unlink(missing_ok=True)
    summary = {**base, "inputs_hash": digest}
    try:  # each step returns figures; what a failing step leaves is still reported
        data, loaded = _load(job, out)
        summary = {**summary, **loaded}
        summary = {**summary, **_solve_and_write(job, data, out, policy, solver), "status": "done"}
    except _StepFailed as failed:
        summary = {**summary, **failed.figures, "status": "failed",
                   **_failure(failed.__cause__, out)}
    except Exception as exc:  # noqa: BLE001 - a county's failure is reported, the others go on
        summary = {**summary, "status": "failed", **_failure(exc, out)}
    summary = {**summary, "seconds": round(time.perf_counter() - t0, 3), **_worker_memory()}
    if summary["status"] == "done":
        _write_json(marker, {"format": BATCH_FORMAT, "inputs_hash": digest,
                             "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
                             "summary": summary})
    else:
        _write_json(out / FAILED_MARKER, summary)
    return summary


def _failure(exc: BaseException, out: Path) -> dict:
    from geo.report import DataError
    from optimization.errors import PlanningError
    from optimization.siting import SitingInfeasible, SitingNotSolved

    if isinstance(exc, PlanningError):  # every planning error, staffing and funding included
        if isinstance(exc, DataError):
            zh, en = _data_reason(exc.report)
        else:
            zh, en = exc.message("zh"), exc.message("en")
        if exc.kind == "not_solved":
            zh, en = (f"求解器在时限内未找到可行方案：{zh}",
                      f"the solver found no plan within the time limit: {en}")
        return {"reason_code": exc.kind, "reason_zh": zh, "reason_en": en}
    if isinstance(exc, SitingInfeasible):
        text = str(exc)  # already Chinese and English, one issue per line
        return {"reason_code": "infeasible", "reason_zh": text, "reason_en": text}
    if isinstance(exc, SitingNotSolved):
        return {"reason_code": "not_solved", "reason_zh": f"求解器在时限内未找到可行方案：{exc}",
                "reason_en": f"the solver found no plan within the time limit: {exc}"}
    (out / "error.txt").write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    return {"reason_code": "error", "reason_zh": f"程序出错（{type(exc).__name__}）：{exc}",
            "reason_en": f"unexpected error ({type(exc).__name__}): {exc}; see error.txt"}


class _StepFailed(Exception):
    """A step failed after it had figures to report (the cause is the real error)."""

    def __init__(self, figures: dict):
        super().__init__("step failed")
        self.figures = figures


def _load(job: CountyJob, out: Path) -> tuple:
    """Load and validate the county; write its boundary. Returns (data, figures)."""
    import geopandas as gpd

    from childplan.workflows import county_units, key_figures
    from geo.layers import load_county

    t = time.perf_counter()
    data = load_county(job.source_dict(), adcode=job.adcode)
    named = {"name": data.name or job.name}
    try:
        data.require_ok()
    except Exception as exc:
        raise _StepFailed(named) from exc
    unit = county_units([data]).table.iloc[0]
    county = gpd.GeoDataFrame({"adcode": [job.adcode], "name": [data.name]},
                              geometry=[data.county.union_all()], crs=data.county.crs)
    _write_geoparquet(county.to_crs(4326), out / "county.parquet")
    return data, {**named, **key_figures(data),
                  "funding_unit": {k: _plain(v) for k, v in unit.items()},
                  "load_s": round(time.perf_counter() - t, 3)}


def _solve_and_write(job: CountyJob, data, out: Path, policy, solver: str) -> dict:
    """Site, staff and write the county's files; returns the figures (raises on failure)."""
    from childplan.workflows import (
        ASSIGNMENT_COLUMNS,
        HOMES_COLUMNS,
        key_figures,
        run_siting,
        run_staffing,
        siting_layers,
        staffing_outputs,
    )
    from geo.plan_exports import write_csv, write_gpkg
    from optimization.siting import SitingNotSolved

    t = time.perf_counter()
    res = run_siting(data, policy, solver=solver)
    s = res.plan.stats
    siting = {"siting_status": s.status, "siting_gap": _plain(s.gap),
              "siting_solve_s": round(float(s.seconds), 3),
              "siting_s": round(time.perf_counter() - t, 3)}
    # as ``childplan site``: no plan to write
    if s.status not in ("optimal", "time_limit", "feasible"):
        raise _StepFailed(siting) from SitingNotSolved(f"siting status {s.status}")
    t = time.perf_counter()
    staffing = run_staffing(data, policy, solver=solver)
    staffed = {"staffing_status": staffing.stats.status,
               "staffing_s": round(time.perf_counter() - t, 3)}

    t = time.perf_counter()
    write_csv(res.homes[HOMES_COLUMNS], out / "homes.csv")
    write_csv(res.assignments[ASSIGNMENT_COLUMNS], out / "assignments.csv")
    layers = siting_layers(res)
    write_gpkg(layers, out / "siting.gpkg")
    for name, frame in staffing_outputs(staffing).items():
        write_csv(frame, out / f"{name}.csv")
    homes = layers["homes"]
    keep = [c for c in HOMES_COLUMNS + ["name", "township_code", "village_code", "cost_yuan",
                                        "villages_served", "left_behind_served",
                                        "difficulty_served", "max_distance_m", "mean_distance_m"]
            if c in homes.columns]
    _write_geoparquet(homes[keep + ["geometry"]].assign(adcode=job.adcode), out / "homes.parquet")
    v = layers["assignments"]
    v = v[[c for c in ("village_code", "name", "resident_children", "left_behind", "difficulty",
                       "home_id", "distance_m", "own_home") if c in v.columns] + ["geometry"]]
    posts = staffing.villages.set_index("village_code")
    for col in ("directors_needed", "directors_assigned"):
        if col in posts.columns:
            v = v.assign(**{col: v["village_code"].map(posts[col]).fillna(0).astype(int)})
    _write_geoparquet(v.assign(adcode=job.adcode), out / "villages.parquet")
    water = data.waterways.drop(columns=["_row"], errors="ignore")
    water = water[[c for c in ("water_id", "name", "kind") if c in water.columns] + ["geometry"]]
    _write_geoparquet(water.to_crs(4326).assign(adcode=job.adcode), out / "waterways.parquet")
    figures = key_figures(data, homes=res.homes, assignments=res.assignments,
                          staffing=staffing)
    return {**figures, "uncovered_villages": len(res.plan.uncovered), **siting, **staffed,
            "write_s": round(time.perf_counter() - t, 3)}


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


@dataclass(frozen=True)
class BatchEvent:
    """What the progress callback receives.

    Attributes
    ----------
    kind : {"start", "county", "stage", "finish"}
        ``county``: one county finished (done, skipped or failed).
    done, total : int
        Counties finished so far, counties in the run.
    summary : dict
        The county's summary (``kind == "county"``), else empty.
    message : str
        The stage (``funding``, ``province``) or a short note.
    """

    kind: str
    done: int
    total: int
    summary: dict = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class BatchResult:
    """What a batch run produced.

    Attributes
    ----------
    counties : DataFrame
        One row per county, :data:`SUMMARY_COLUMNS` first.
    funding : DataFrame or None
        The funding table (None without a budget or when it could not be split).
    funding_note : str
        Why there is no funding table, or which counties it leaves out (bilingual).
    files : dict
        Name -> path of the province outputs.
    seconds : float
        Wall time of the run.
    workers : int
        Worker processes the run used.
    scheduler : str
        Scheduler address.
    """

    counties: pd.DataFrame
    funding: pd.DataFrame | None
    funding_note: str
    files: dict[str, Path]
    seconds: float
    workers: int
    scheduler: str

    @property
    def failed(self) -> pd.DataFrame:
        """The counties that failed, with their reasons."""
        return self.counties[self.counties["status"] == "failed"]

    @property
    def ok(self) -> bool:
        """True when no county failed."""
        return self.failed.empty


@contextlib.contextmanager
def _client(scheduler, workers: int | None) -> Iterator:
    """A Client: the one given, one connected to an address, or a new LocalCluster's."""
    from distributed import Client, LocalCluster

    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler  # a Client the caller owns
        return
    if scheduler:
        with Client(scheduler) as client:  # closing it leaves the remote cluster running
            yield client
        return
    n = int(workers or min(2, os.cpu_count() or 1))
    with _bare_main():
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    with cluster, Client(cluster) as client:
        yield client


@contextlib.contextmanager
def _bare_main() -> Iterator[None]:
    """Hide the caller's ``__main__`` script while worker processes are spawned.

    A spawned process first re-runs the parent's ``__main__`` file (as ``__mp_main__``).
    Streamlit runs each page as ``__main__``, so every worker would run the page again; a
    module with neither ``__file__`` nor ``__spec__`` gives the workers nothing to re-run.
    """
    import types

    saved = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = saved


class _TerminalBar:
    """A per-county progress bar on stderr (tqdm when installed)."""

    def __init__(self, total: int):
        self.total, self.done = total, 0
        try:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="county", file=sys.stderr, dynamic_ncols=True)
        except ImportError:
            self.bar = None

    def update(self, s: dict) -> None:
        self.done += 1
        text = f"{s['adcode']} {s.get('name', '')} {s['status']}"
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=False)
            self.bar.update(1)
            if s["status"] == "failed":
                self.bar.write(f"  ✗ {text}: {s.get('reason_zh', '')[:160]} / "
                               f"{s.get('reason_en', '')[:160]}")
            return
        width = 30
        fill = int(width * self.done / max(self.total, 1))
        sys.stderr.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total} {text:<40}")
        if s["status"] == "failed":
            sys.stderr.write(f"\n  ✗ {s.get('reason_en', '')[:200]}\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        else:
            sys.stderr.write("\n")


def run_batch(counties: str | Iterable[str] | Sequence[CountyJob], out_dir: str | Path, *,
              data_root: str | Path | Sequence[str | Path] | None = None,
              scheduler=None, workers: int | None = None, policy=None,
              budget: int | None = None, solver: str = "cbc",
              progress: Callable[[BatchEvent], None] | None = None,
              show_progress: bool = False, province_layers: bool = True) -> BatchResult:
    """Plan every county of a selection in parallel on Dask, then the province.

    Parameters
    ----------
    counties : str, iterable of str, or list of CountyJob
        A province code (``"35"``), adcodes, or jobs from :func:`find_counties`.
    out_dir : path
        Output folder (``out_dir/<adcode>/`` per county, province files at the top). It
        must be reachable under the same path from the workers and from this process.
    data_root : path or list of paths, optional
        Where the county folders are (see :func:`find_counties`).
    scheduler : str or distributed.Client, optional
        ``None``: a new LocalCluster on this machine (worker processes, one thread each);
        an address (``tcp://host:8786``): connect to that cluster (its workers need this
        project installed and the data and output folders mounted); a Client: use it.
    workers : int, optional
        Worker processes of the LocalCluster (default: 2, or the cores if fewer).
    policy : Policy, optional
        Default: the built-in policy file.
    budget : int, optional
        Yuan to split across the counties (one LP on county totals); none: no funding.
    solver : {"cbc", "highs"}
        MILP solver for siting and staffing.
    progress : callable, optional
        Called in this process with a :class:`BatchEvent` at the start, after every county,
        at each province stage and at the end (the app's progress bar).
    show_progress : bool
        Draw a per-county progress bar on the terminal (stderr).
    province_layers : bool
        Run the province-wide join and write the province GeoParquet datasets.

    Returns
    -------
    BatchResult
        Every county's summary; nothing is raised for a failing county.
    """
    from distributed import as_completed

    from optimization.policy import load_policy

    t0 = time.perf_counter()
    out = Path(out_dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    policy = policy or load_policy()
    if isinstance(counties, (list, tuple)) and counties and isinstance(counties[0], CountyJob):
        jobs = list(counties)
    else:
        jobs = find_counties(counties, data_root)
    if not jobs:
        raise ValueError(f"没有找到要规划的区县（{counties}）/ no county found for {counties!r}; "
                         "generate a province with `python data/make_demo.py --province 35`")
    total = len(jobs)
    notify = progress or (lambda _e: None)
    bar = _TerminalBar(total) if show_progress else None
    summaries: list[dict] = []

    def finished(s: dict) -> None:
        summaries.append(s)
        if bar is not None:
            bar.update(s)
        notify(BatchEvent("county", len(summaries), total, s))

    with _client(scheduler, workers) as client:
        address = client.scheduler.address
        n_workers = len(client.scheduler_info().get("workers", {}))
        notify(BatchEvent("start", 0, total, message=f"{n_workers} workers at {address}"))
        pol = client.scatter(policy, broadcast=True)
        runnable = sorted((j for j in jobs if j.has_data), key=lambda j: -j.input_bytes())
        futures = {}
        for rank, job in enumerate(runnable):  # biggest first: the last tasks are short
            fut = client.submit(plan_county, job, str(out), pol, solver, pure=False,
                                key=f"plan-county-{job.adcode}-{time.time_ns()}",
                                priority=len(runnable) - rank)
            futures[fut] = job
        try:
            for job in jobs:
                if not job.has_data:
                    finished(plan_county(job, str(out), policy, solver))
            for fut in as_completed(list(futures)):
                job = futures[fut]
                try:
                    s = fut.result()
                except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: the process died
                    s = {"adcode": job.adcode, "name": job.name, "status": "failed",
                         "reason_code": "worker_lost",
                         "reason_zh": f"工作进程异常退出（可能内存不足）：{type(exc).__name__}: {exc}",
                         "reason_en": f"the worker process died (out of memory?): "
                                      f"{type(exc).__name__}: {exc}"}
                finished(s)
        except BaseException:
            client.cancel(list(futures))
            raise
        finally:
            if bar is not None:
                bar.close()

        table = _summary_table(summaries)
        notify(BatchEvent("stage", total, total, message="funding"))
        funding, note = _funding(summaries, budget, policy)
        files: dict[str, Path] = {}
        done = sorted(s["adcode"] for s in summaries if s["status"] in ("done", "skipped"))
        near = pd.DataFrame(columns=["village_code", "adcode", "resident_children", "left_behind",
                                     "waters_near", "near_other_county_water"])
        if province_layers and done:
            notify(BatchEvent("stage", total, total, message="province"))
            sizes = {s["adcode"]: int(s.get("villages") or 0) for s in summaries
                     if s["adcode"] in done}
            groups = county_groups(sizes, at_least=2 * n_workers)
            near = _near_water(client, out, groups, float(policy.hazards.buffer_m))
            files.update(_province_layers(client, out, groups, near))
        table = _with_province_columns(table, near, funding)
        files.update(_write_summary(out, table, funding, note))
    seconds = time.perf_counter() - t0
    run = {"finished": time.strftime("%Y-%m-%dT%H:%M:%S"), "seconds": round(seconds, 2),
           "workers": n_workers, "scheduler": address, "solver": solver, "budget": budget,
           "counties": total, "status": table["status"].value_counts().to_dict(),
           "policy_overrides": policy.overrides, "funding_note": note}
    files["batch"] = _write_json(out / "batch.json", run)
    notify(BatchEvent("finish", total, total, message=f"{seconds:.1f} s"))
    return BatchResult(counties=table, funding=funding, funding_note=note, files=files,
                       seconds=seconds, workers=n_workers, scheduler=address)


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


def _write_summary(out: Path, table: pd.DataFrame, funding: pd.DataFrame | None,
                   note: str) -> dict[str, Path]:
    from geo.plan_exports import write_csv, write_xlsx

    files = {"summary_csv": write_csv(table, out / "summary.csv")}
    sheets = {"counties": table}
    failed = table[table["status"] == "failed"][["adcode", "name", "reason_code", "reason_zh",
                                                 "reason_en"]]
    sheets["failures"] = failed
    if funding is not None:
        files["funding_csv"] = write_csv(funding, out / "funding.csv")
        sheets["funding"] = funding
    if note:
        sheets["notes"] = pd.DataFrame({"note": [note]})
    files["summary_xlsx"] = write_xlsx(sheets, out / "summary.xlsx")
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


# --- command line ---------------------------------------------------------------------------


def add_batch_arguments(p) -> None:
    """Arguments of ``childplan batch`` (call on its subparser)."""
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--counties", nargs="+", metavar="ADCODE",
                       help="county adcodes (embedded demo counties, or found under --data)")
    which.add_argument("--province", metavar="CODE",
                       help="every county of a province (35 or 350000) found under --data "
                            "(default ~/.cache/childplan-province/<code>, written by "
                            "`python data/make_demo.py --province <code>`)")
    p.add_argument("--out", required=True, help="output folder (resumable: re-run to continue)")
    p.add_argument("--data", action="append", default=None, metavar="DIR",
                   help="folder of counties (data/ layout or one <adcode>/ folder per county); "
                        "repeatable")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="an existing Dask scheduler (tcp://host:8786); default: a local cluster")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes of the local cluster (default 2)")
    p.add_argument("--budget", type=int, default=None,
                   help="yuan to split across the counties (one LP on their totals)")
    p.add_argument("--policy", default=None, help="a full policy file (default: built in)")
    p.add_argument("--overrides", default=None, help="a TOML file of policy overrides")
    p.add_argument("--solver", default="cbc", choices=("cbc", "highs"))
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def cmd_batch(args) -> int:
    """Run ``childplan batch``; print the per-county table; exit 1 if any county failed."""
    from optimization.policy import load_policy

    policy = load_policy(args.policy, overrides=args.overrides)
    selection = args.province if args.province else args.counties
    result = run_batch(selection, args.out, data_root=args.data, scheduler=args.scheduler,
                       workers=args.workers, policy=policy, budget=args.budget,
                       solver=args.solver, show_progress=not args.no_progress)
    t = result.counties
    cols = ["adcode", "name", "status", "villages", "homes_new", "directors_to_recruit",
            "funding_yuan", "seconds"]
    sys.stdout.write(t[cols].to_string(index=False) + "\n")
    for r in result.failed.itertuples(index=False):
        sys.stdout.write(f"\n✗ {r.adcode} {r.name} [{r.reason_code}]\n{r.reason_zh}\n")
        if r.reason_en != r.reason_zh:
            sys.stdout.write(f"{r.reason_en}\n")
    counts = t["status"].value_counts().to_dict()
    sys.stdout.write(f"\n{counts}; {result.seconds:.1f} s on {result.workers} worker(s)\n")
    if result.funding_note:
        sys.stdout.write(result.funding_note + "\n")
    sys.stdout.write(f"written to {Path(args.out).resolve()}\n")
    return 0 if result.ok else 1
