"""Funding LP and scenario store speed: prints a table (never asserted).

Usage: .venv/bin/python bench/funding.py
  - allocation of a budget across 300, 1,000 and 3,000 synthetic units (target: 3,000 in < 5 s)
  - the tilt path (13 allocations) for the demo county's townships
  - scenario save / load / export / import times for the demo county (siting + staffing +
    funding results), in a temporary store
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from childplan.store import Scenario, Store  # noqa: E402
from childplan.workflows import (  # noqa: E402
    funding_tilt_path,
    key_figures,
    run_funding,
    run_siting,
    run_staffing,
    staffing_outputs,
    township_summary,
    township_units,
)
from geo.layers import load_demo  # noqa: E402
from optimization.funding import FundingUnits, allocate  # noqa: E402
from optimization.policy import load_policy  # noqa: E402


def synthetic_units(n: int, seed: int = 0) -> FundingUnits:
    rng = np.random.default_rng(seed)
    r = rng.random(n)
    return FundingUnits(pd.DataFrame({
        "unit_code": [f"U{i:05d}" for i in range(n)],
        "unit_name": [f"单位{i}" for i in range(n)],
        "left_behind": rng.integers(0, 2000, n),
        "orphan": rng.integers(0, 20, n),
        "unsupported": rng.integers(0, 40, n),
        "illness_disability": rng.integers(0, 80, n),
        "dibao_tekun": rng.integers(0, 150, n),
        "institutions": rng.integers(0, 2, n),
        "designations": rng.choice(["", "old_base", "central_soviet;poverty_lifted",
                                    "key_assistance", "three_regions"], n),
        "poverty_village_share": rng.random(n).round(3),
        "floor": np.where(r > 0.95, 400_000.0, np.nan),
        "cap": np.where(r < 0.05, 150_000.0, np.nan),
    }))


def main() -> None:
    policy = load_policy()
    rows = []
    for n in (300, 1000, 3000):
        units = synthetic_units(n)
        t0 = time.perf_counter()
        plan = allocate(units, 2_000_000_000, policy.funding)
        dt = time.perf_counter() - t0
        rows.append((f"allocate {n} units", f"{dt:.2f}", f"{plan.stages} LPs",
                     f"sum={int(plan.table['amount'].sum()):,}",
                     "binding " + str({k or "none": int(v) for k, v in plan.table["binding"].value_counts().items()})))
    data = load_demo("500109")
    units = township_units(data, policy)
    t0 = time.perf_counter()
    funding_tilt_path(units, 5_000_000, policy)
    rows.append(("tilt path, 17 townships x 13 steps", f"{time.perf_counter() - t0:.2f}", "", "",
                 ""))

    siting = run_siting(data, policy)
    staffing = run_staffing(data, policy)
    funding = run_funding(township_units(data, policy, homes=siting.homes, staffing=staffing),
                          5_000_000, policy).table
    tables = {"homes": siting.homes, "assignments": siting.assignments,
              **{f"staffing_{k}": v for k, v in staffing_outputs(staffing).items()},
              "funding": funding,
              "townships": township_summary(data, homes=siting.homes, staffing=staffing,
                                            funding=funding)}
    figures = key_figures(data, homes=siting.homes, assignments=siting.assignments,
                          staffing=staffing, funding=funding)
    n_rows = sum(len(t) for t in tables.values())
    with tempfile.TemporaryDirectory() as tmp:
        with Store(Path(tmp) / "s.gpkg") as st:
            sc = Scenario(name="基准", adcode=data.adcode, county_name=data.name, tables=tables,
                          figures=figures, overrides={"funding.tilt_scale": 1.5})
            t0 = time.perf_counter()
            st.save(sc)
            t_save = time.perf_counter() - t0
            t0 = time.perf_counter()
            st.load("基准")
            t_load = time.perf_counter() - t0
            t0 = time.perf_counter()
            f = st.export("基准", Path(tmp) / "export.gpkg")
            t_export = time.perf_counter() - t0
        with Store(Path(tmp) / "other.gpkg") as other:
            t0 = time.perf_counter()
            other.import_file(f)
            t_import = time.perf_counter() - t0
        size = f.stat().st_size
    rows.append(("scenario save (demo county)", f"{t_save:.3f}", f"{len(tables)} tables",
                 f"{n_rows:,} rows", ""))
    rows.append(("scenario load", f"{t_load:.3f}", "", "", ""))
    rows.append(("scenario export to one file", f"{t_export:.3f}", f"{size / 1024:.0f} kB", "",
                 ""))
    rows.append(("scenario import", f"{t_import:.3f}", "", "", ""))
    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  seconds  detail")
    for r in rows:
        print(f"{r[0]:<{width}}  {r[1]:>7}  {' '.join(x for x in r[2:] if x)}")


if __name__ == "__main__":
    main()
