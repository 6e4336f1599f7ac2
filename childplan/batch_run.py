"""Batch step 4, the run: the cluster, the per-county tasks, progress, and the province join."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from childplan.batch_county import (
    _write_json,
    plan_county,
)
from childplan.batch_discovery import (
    CountyJob,
    find_counties,
)
from childplan.batch_province import (
    _funding,
    _near_water,
    _province_layers,
    _summary_table,
    _with_province_columns,
    _write_summary,
    county_groups,
)


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
    """A per-county progress bar on stderr (tqdm); a failed county's reason is printed above it."""

    def __init__(self, total: int):
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="county", file=sys.stderr, dynamic_ncols=True)

    def update(self, s: dict) -> None:
        text = f"{s['adcode']} {s.get('name', '')} {s['status']}"
        self.bar.set_postfix_str(text, refresh=False)
        self.bar.update(1)
        if s["status"] == "failed":
            self.bar.write(f"  ✗ {text}: {s.get('reason_zh', '')[:160]} / "
                           f"{s.get('reason_en', '')[:160]}")

    def close(self) -> None:
        self.bar.close()


def _worker_lost(job: CountyJob, exc: BaseException) -> dict:
    """The summary of a county whose worker process died (e.g. KilledWorker)."""
    return {"adcode": job.adcode, "name": job.name, "status": "failed",
            "reason_code": "worker_lost",
            "reason_zh": f"工作进程异常退出（可能内存不足）：{type(exc).__name__}: {exc}",
            "reason_en": f"the worker process died (out of memory?): "
                         f"{type(exc).__name__}: {exc}"}


def _plan_counties(client, jobs: list[CountyJob], out: Path, policy, solver: str,
                   finished: Callable[[dict], None], lang: str = "zh", codes: bool = False) -> None:
    """Submit every county with data (biggest first), report each as it finishes."""
    from distributed import as_completed

    pol = client.scatter(policy, broadcast=True)
    runnable = sorted((j for j in jobs if j.has_data), key=lambda j: -j.input_bytes())
    futures = {}
    for rank, job in enumerate(runnable):  # biggest first: the last tasks are short
        fut = client.submit(plan_county, job, str(out), pol, solver, lang, codes, pure=False,
                            key=f"plan-county-{job.adcode}-{time.time_ns()}",
                            priority=len(runnable) - rank)
        futures[fut] = job
    try:
        for job in jobs:
            if not job.has_data:
                finished(plan_county(job, str(out), policy, solver, lang, codes))
        for fut in as_completed(list(futures)):
            job = futures[fut]
            try:
                s = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: the process died
                s = _worker_lost(job, exc)
            finished(s)
    except BaseException:
        client.cancel(list(futures))
        raise


def _province_step(client, out: Path, summaries: list[dict], policy, *, budget,
                   province_layers: bool, n_workers: int, notify: Callable[[str], None],
                   lang: str = "zh", codes: bool = False):
    """Summary table, funding LP, province join and files: ``(table, funding, note, files)``."""
    table = _summary_table(summaries)
    notify("funding")
    funding, note = _funding(summaries, budget, policy)
    files: dict[str, Path] = {}
    done = sorted(s["adcode"] for s in summaries if s["status"] in ("done", "skipped"))
    near = pd.DataFrame(columns=["village_code", "adcode", "resident_children", "left_behind",
                                 "waters_near", "near_other_county_water"])
    if province_layers and done:
        notify("province")
        sizes = {s["adcode"]: int(s.get("villages") or 0) for s in summaries
                 if s["adcode"] in done}
        groups = county_groups(sizes, at_least=2 * n_workers)
        near = _near_water(client, out, groups, float(policy.hazards.buffer_m))
        files.update(_province_layers(client, out, groups, near))
    table = _with_province_columns(table, near, funding)
    files.update(_write_summary(out, table, funding, note, lang, codes))
    return table, funding, note, files


def run_batch(counties: str | Iterable[str] | Sequence[CountyJob], out_dir: str | Path, *,
              data_root: str | Path | Sequence[str | Path] | None = None,
              scheduler=None, workers: int | None = None, policy=None,
              budget: int | None = None, solver: str = "cbc",
              progress: Callable[[BatchEvent], None] | None = None,
              show_progress: bool = False, province_layers: bool = True, lang: str = "zh",
              codes: bool = False) -> BatchResult:
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
    lang : {"zh", "en"}
        Language of the CSV/XLSX files (headers, enumeration cells, sheet names).
    codes : bool
        Keep canonical column names and stable codes in them instead (for other systems).
        The returned tables always hold the codes.

    Returns
    -------
    BatchResult
        Every county's summary; nothing is raised for a failing county.
    """
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
        try:
            _plan_counties(client, jobs, out, policy, solver, finished, lang, codes)
        finally:
            if bar is not None:
                bar.close()
        table, funding, note, files = _province_step(
            client, out, summaries, policy, budget=budget, province_layers=province_layers,
            n_workers=n_workers, notify=lambda m: notify(BatchEvent("stage", total, total,
                                                                     message=m)),
            lang=lang, codes=codes)
    seconds = time.perf_counter() - t0
    run = {"finished": time.strftime("%Y-%m-%dT%H:%M:%S"), "seconds": round(seconds, 2),
           "workers": n_workers, "scheduler": address, "solver": solver, "budget": budget,
           "counties": total, "status": table["status"].value_counts().to_dict(),
           "policy_overrides": policy.overrides, "funding_note": note}
    files["batch"] = _write_json(out / "batch.json", run)
    notify(BatchEvent("finish", total, total, message=f"{seconds:.1f} s"))
    return BatchResult(counties=table, funding=funding, funding_note=note, files=files,
                       seconds=seconds, workers=n_workers, scheduler=address)
