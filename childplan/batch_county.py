"""Batch step 2, one county: a Dask task that loads, sites, staffs and writes one county.

Tasks receive paths, never data; a county's failure is written to ``failed.json`` with its
reason (every :class:`~optimization.errors.PlanningError` explained once), the others go on.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

from childplan.batch_discovery import (
    CountyJob,
)

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

    from geo.exports import atomic_write_bytes

    gdf = gdf.copy()
    gdf.attrs = {}  # validation notes (sets) are not Parquet metadata
    buf = io.BytesIO()
    gdf.to_parquet(buf, index=False)
    return atomic_write_bytes(path, buf.getvalue())


def _write_json(path: Path, obj: dict) -> Path:
    from geo.exports import atomic_write_bytes

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


def plan_county(job: CountyJob, out_dir: str, policy, solver: str = "cbc", lang: str = "zh",
                codes: bool = False) -> dict:
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
    lang : {"zh", "en"}
        Language of the CSV files' headers and enumeration cells (as ``childplan site --lang``).
    codes : bool
        Keep the canonical column names and stable codes instead (``--codes``).

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
        # files in another language (or codes) are written again
        if done.get("inputs_hash") == digest and done.get("export", ["zh", True]) == [lang, codes]:
            return {**done["summary"], "status": "skipped",
                    "seconds": round(time.perf_counter() - t0, 3), **_worker_memory()}
    out.mkdir(parents=True, exist_ok=True)
    for name in (DONE_MARKER, FAILED_MARKER) + _COUNTY_FILES:  # never a stale file
        (out / name).unlink(missing_ok=True)
    summary = {**base, "inputs_hash": digest}
    try:  # each step returns figures; what a failing step leaves is still reported
        data, loaded = _load(job, out)
        summary = {**summary, **loaded}
        summary = {**summary, **_solve_and_write(job, data, out, policy, solver,
                                                           lang, codes), "status": "done"}
    except _StepFailed as failed:
        summary = {**summary, **failed.figures, "status": "failed",
                   **_failure(failed.__cause__, out)}
    except Exception as exc:  # noqa: BLE001 - a county's failure is reported, the others go on
        summary = {**summary, "status": "failed", **_failure(exc, out)}
    summary = {**summary, "seconds": round(time.perf_counter() - t0, 3), **_worker_memory()}
    if summary["status"] == "done":
        _write_json(marker, {"format": BATCH_FORMAT, "inputs_hash": digest, "export": [lang, codes],
                             "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
                             "summary": summary})
    else:
        _write_json(out / FAILED_MARKER, summary)
    return summary


def _failure(exc: BaseException, out: Path) -> dict:
    from geo.report import DataError
    from optimization.errors import PlanningError

    if isinstance(exc, PlanningError):  # every planning error, staffing and funding included
        if isinstance(exc, DataError):
            zh, en = _data_reason(exc.report)
        else:
            zh, en = exc.message("zh"), exc.message("en")
        if exc.kind == "not_solved":
            zh, en = (f"求解器在时限内未找到可行方案：{zh}",
                      f"the solver found no plan within the time limit: {en}")
        return {"reason_code": exc.kind, "reason_zh": zh, "reason_en": en}
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


def _solve_and_write(job: CountyJob, data, out: Path, policy, solver: str, lang: str = "zh",
                     codes: bool = False) -> dict:
    """Site, staff and write the county's files; returns the figures (raises on failure)."""
    from childplan.workflows import (
        ASSIGNMENT_COLUMNS,
        HOMES_COLUMNS,
        key_figures,
        run_siting,
        run_staffing,
        siting_layers,
        staffing_metric,
        staffing_outputs,
    )
    from geo.exports import export_table, write_csv, write_gpkg
    from optimization.siting import SitingNotSolved

    def table(frame, path, enums=None):  # as the CLI's --lang / --codes
        return write_csv(export_table(frame, lang, codes=codes, enums=enums), path)

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
    table(res.homes[res.homes_columns], out / "homes.csv", {"status": "action"})  # as the CLI
    table(res.assignments[ASSIGNMENT_COLUMNS], out / "assignments.csv")
    layers = siting_layers(res)
    write_gpkg(layers, out / "siting.gpkg")
    for name, frame in staffing_outputs(staffing, staffing_metric(policy)).items():
        table(frame, out / f"{name}.csv", {"kind": "training_kind"})
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
