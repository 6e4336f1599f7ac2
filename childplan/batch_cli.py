"""Batch step 5, the command line: ``childplan batch``."""

from __future__ import annotations

import sys
from pathlib import Path

from childplan.batch_run import (
    run_batch,
)

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
    p.add_argument("--lang", default="zh", choices=("zh", "en"),
                   help="language of the CSV/XLSX files (default Chinese)")
    p.add_argument("--codes", action="store_true",
                   help="keep canonical column names and stable codes in the files (for other "
                        "systems)")


def cmd_batch(args) -> int:
    """Run ``childplan batch``; print the per-county table; exit 1 if any county failed."""
    from optimization.policy import load_policy

    policy = load_policy(args.policy, overrides=args.overrides)
    selection = args.province if args.province else args.counties
    result = run_batch(selection, args.out, data_root=args.data, scheduler=args.scheduler,
                       workers=args.workers, policy=policy, budget=args.budget,
                       solver=args.solver, show_progress=not args.no_progress,
                       lang=args.lang, codes=args.codes)
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
