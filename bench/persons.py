"""Time the person-list import and the phased plan on the demo county.

Usage::

    python bench/persons.py [--rows 100000] [--xlsx] [--solver cbc|highs|both]

Import: ``--rows`` synthetic person rows (valid GB 11643 check digits, birth dates 2008–2024,
villages of the demo county 500109 by code, about 1 % duplicates across two lists and 0.5 %
wrong check digits) are generated in memory, written as CSV bytes (and, with ``--xlsx``, as an
XLSX workbook), then :func:`geo.persons.aggregate_persons` is timed on them (reading, ID checks,
village match, dedup and counting; the generation is not timed).

Phased plan: the demo county loaded as the CLI does (:func:`geo.layers.load_demo`), counts
projected from the synthetic lists (:func:`childplan.workflows_phased.yearly_counts`), years
2025–2027, at several budgets per year, each solver: wall time of
:func:`childplan.workflows_phased.run_phased` (siting inputs, model building, both stages),
status, weighted coverage and its bound, cost. Times are wall-clock on whatever else the
machine is doing; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from childplan.workflows_phased import run_phased  # noqa: E402
from geo.layers import load_demo  # noqa: E402
from geo.persons import aggregate_persons  # noqa: E402
from optimization.policy import load_policy  # noqa: E402

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
HEADER = ["姓名", "公民身份号码", "性别", "出生日期", "户籍或居住的村（社区）", "类别", "困境类型",
          "重点关注"]
_SUBTYPES = ["孤儿", "事实无人抚养儿童", "重病重残儿童", "低保特困家庭儿童", "其他困境儿童"]


def _ids(births: np.ndarray, seq: np.ndarray) -> list[str]:
    out = []
    for b, s in zip(births, seq, strict=True):
        body = f"500109{b:%Y%m%d}{s:03d}"
        out.append(body + _CHECK[sum(int(d) * w for d, w in zip(body, _W, strict=True)) % 11])
    return out


def synthetic_rows(n: int, villages: list[str], seed: int = 0) -> list[list[str]]:
    """``n`` person rows over the given village codes (the same ID may appear twice)."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, (date(2024, 12, 31) - date(2008, 1, 2)).days, n)
    births = [date.fromordinal(date(2008, 1, 2).toordinal() + int(d)) for d in days]
    ids = _ids(np.array(births, dtype=object), rng.integers(0, 1000, n))
    dup = rng.random(n) < 0.01  # the same child listed again (dedup by ID)
    src = rng.integers(0, n, n)
    bad = rng.random(n) < 0.005  # a wrong check digit
    vill = rng.integers(0, len(villages), n)
    cat = rng.random(n)
    rows = []
    for i in range(n):
        j = int(src[i]) if dup[i] else i
        k = ids[j]
        if bad[i] and not dup[i]:
            k = k[:-1] + ("0" if k[-1] != "0" else "1")
        left = cat[j] < 0.7
        rows.append([f"儿童{j}", k, "男" if j % 2 else "女", f"{births[j]:%Y-%m-%d}",
                     villages[int(vill[j])], "留守儿童" if left else "困境儿童",
                     "" if left else _SUBTYPES[j % 5], "是" if j % 13 == 0 else "否"])
    return rows


def csv_bytes(rows: list[list[str]]) -> bytes:
    """The rows as a UTF-8 CSV."""
    buf = io.StringIO()
    buf.write(",".join(HEADER) + "\n")
    for r in rows:
        buf.write(",".join(r) + "\n")
    return buf.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    """The rows as an XLSX workbook (one sheet, a title row above the header like the export)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("儿童名单")
    ws.append(["全国儿童福利信息系统导出"])
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def bench_import(data, n: int, xlsx: bool):
    """Time aggregate_persons on n rows as CSV (and XLSX); return the PersonCounts of the CSV."""
    codes = data.villages["village_code"].astype(str).tolist()
    t = time.perf_counter()
    rows = synthetic_rows(n, codes)
    half = n // 2
    files = {"csv": [("list1.csv", csv_bytes(rows[:half])), ("list2.csv", csv_bytes(rows[half:]))]}
    if xlsx:
        files["xlsx"] = [("list1.xlsx", xlsx_bytes(rows[:half])),
                         ("list2.xlsx", xlsx_bytes(rows[half:]))]
    gen = time.perf_counter() - t
    print(f"generated {n:,} rows in {gen:.1f} s (not timed below)")
    print(f"{'format':<6} {'rows':>9} {'MB':>6} {'seconds':>8} {'rows/s':>9} {'children':>9} "
          f"{'errors':>6} {'warnings':>8}")
    kept = None
    for fmt, fl in files.items():
        size = sum(len(b) for _, b in fl) / 1e6
        t = time.perf_counter()
        pc = aggregate_persons(fl, data.villages, data.townships, as_of=date(2025, 1, 1))
        sec = time.perf_counter() - t
        kids = int(pc.counts["target_children"].sum())
        print(f"{fmt:<6} {pc.rows_read:>9,} {size:>6.1f} {sec:>8.2f} {pc.rows_read / sec:>9,.0f} "
              f"{kids:>9,} {len(pc.report.errors):>6} {len(pc.report.warnings):>8}")
        kept = kept or pc
    return kept


def bench_phased(data, pc, solvers, budgets):
    """Time run_phased on the demo county for 2025–2027 at each budget and solver."""
    policy = load_policy()
    print(f"\nphased plan, demo county {data.adcode} {data.name}: {len(data.villages)} villages, "
          "years 2025–2027, counts projected from the synthetic lists")
    print(f"{'solver':<6} {'budget/yr':>10} {'carry':>5} {'seconds':>8} {'solve_s':>8} {'status':<10} "
          f"{'coverage':>10} {'bound':>10} {'cost':>10} {'homes':>6} {'vars':>6} {'rows':>6}")
    for solver in solvers:
        for b, carry in budgets:
            t = time.perf_counter()
            res = run_phased(data, policy, [2025, 2026, 2027], [b], persons=pc,
                             carry_over=carry, solver=solver)
            sec = time.perf_counter() - t
            s = res.plan.stats
            print(f"{solver:<6} {b:>10,} {'yes' if carry else 'no':>5} {sec:>8.2f} {s.seconds:>8.2f} "
                  f"{s.status:<10} {s.coverage:>10,.0f} {s.coverage_bound:>10,.0f} "
                  f"{s.cost_yuan:>10,.0f} {len(res.homes):>6} {s.variables:>6} "
                  f"{s.constraints:>6}")


def main() -> None:
    """Run both benchmarks and print their tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--xlsx", action="store_true", help="also time the same rows as XLSX")
    ap.add_argument("--solver", default="both", choices=("cbc", "highs", "both"))
    args = ap.parse_args()
    data = load_demo("500109")
    pc = bench_import(data, args.rows, args.xlsx)
    solvers = ("cbc", "highs") if args.solver == "both" else (args.solver,)
    bench_phased(data, pc, solvers, [(100_000, False), (300_000, False), (300_000, True),
                                     (1_000_000, False)])


if __name__ == "__main__":
    main()
