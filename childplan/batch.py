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
(:class:`~optimization.siting.SitingInfeasible`; every planning error is an
:class:`~optimization.errors.PlanningError`, its reason in each language), or anything else (type, message;
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

from childplan.batch_cli import add_batch_arguments, cmd_batch
from childplan.batch_county import (
    BATCH_FORMAT,
    COUNTY_OUTPUTS,
    DONE_MARKER,
    FAILED_MARKER,
    inputs_hash,
    plan_county,
)
from childplan.batch_discovery import (
    CountyJob,
    default_province_dir,
    find_counties,
    list_counties,
)
from childplan.batch_province import PARTITION_VILLAGES, county_groups
from childplan.batch_run import BatchEvent, BatchResult, run_batch

__all__ = [
    "BATCH_FORMAT",
    "COUNTY_OUTPUTS",
    "DONE_MARKER",
    "FAILED_MARKER",
    "PARTITION_VILLAGES",
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
