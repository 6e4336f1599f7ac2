"""``childplan site --years 2025 2026 2027 --budget-per-year Y``: the phased plan, headless.

Writes ``phased_homes.csv`` (home, open year, cost), ``phased_years.csv`` (year, budget, spent,
coverage, directors) and ``phased_training.csv`` to ``--out``, with Chinese headers by default
(``--lang en``: the stable column codes). Person lists (``--persons FILE``, repeatable) are
aggregated in memory to project the counts per year; nothing personal is written.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["add_phased_arguments", "site_phased"]


def add_phased_arguments(p) -> None:
    """The phased options of ``childplan site`` (the plan is phased when ``--years`` is given)."""
    p.add_argument("--years", nargs="+", type=int, default=None, metavar="YEAR",
                   help="plan year by year (e.g. --years 2025 2026 2027): homes open in a year "
                        "and stay open; writes phased_homes.csv and phased_years.csv")
    p.add_argument("--budget-per-year", dest="budget_per_year", nargs="+", default=None,
                   metavar="YUAN", help="whole yuan per plan year (one value for every year, "
                                        "or one per year)")
    p.add_argument("--carry-over", dest="carry_over", action="store_true", default=None,
                   help="unspent budget carries over to later years (default: the policy's "
                        "siting.budget_carry_over, a planning default of no)")
    p.add_argument("--persons", action="append", default=None, metavar="FILE",
                   help="person list(s) (XLSX/CSV) to project the counts per year "
                        "(repeatable; aggregated in memory)")
    p.add_argument("--entry-rate", dest="entry_rate", type=float, default=None,
                   help="new children per year as a share of those listed (default: observed "
                        "0–5 cohorts)")
    p.add_argument("--as-of", dest="as_of", default=None,
                   help="reference date of the person lists (YYYY-MM-DD)")


def _budgets(args) -> list[int]:
    from childplan.cli import UserError, _yuan

    if not args.budget_per_year:
        raise UserError("分年度计划需要 --budget-per-year（每年预算，整数元）",
                        "a plan by year needs --budget-per-year (yuan per year)",
                        where="--years", exit_code=2)
    if not args.years:
        raise UserError("--budget-per-year 需要与 --years 一起使用（如 --years 2025 2026 2027）",
                        "--budget-per-year goes with --years (e.g. --years 2025 2026 2027)",
                        where="--budget-per-year", exit_code=2)
    budgets = [_yuan(b) for b in args.budget_per_year]
    if len(budgets) not in (1, len(args.years)):
        raise UserError(f"给出了 {len(budgets)} 个年度预算、{len(args.years)} 个年度：请每年一个或只给一个",
                        f"{len(budgets)} budgets for {len(args.years)} years: give one per year "
                        "or a single one", where="--budget-per-year", exit_code=2)
    if sorted(set(args.years)) != list(args.years):
        raise UserError("--years 应按从早到晚排列且不重复", "--years must increase, without repeats",
                        where="--years", exit_code=2)
    return budgets


def _refuse_unsupported(args) -> None:
    """Options of the one-year plan the plan by year does not take: refused, never ignored."""
    from childplan.cli import UserError

    for opt, value in (("--must-open", args.must_open), ("--lock", args.lock),
                       ("--travel-matrix", args.travel_matrix)):
        if value:
            raise UserError(f"分年度计划（--years）暂不支持 {opt}：请去掉该选项，或不用 --years 做单年选址",
                            f"the plan by year (--years) does not take {opt} yet: drop it, or "
                            "plan a single year without --years", where=opt, exit_code=2)


def _persons(args, data):
    """Aggregate the person lists (None without any); errors print the report and stop."""
    from datetime import date

    from childplan.cli import UserError, _print, _print_warnings
    from geo.persons import aggregate_persons

    if not args.persons:
        return None
    files = []
    for path in args.persons:
        f = Path(path)
        if not f.is_file():
            raise UserError("找不到名单文件", "person list not found", where=path)
        files.append((f.name, f.read_bytes()))
    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        raise UserError("参考日期应写作 YYYY-MM-DD", "the reference date must be YYYY-MM-DD",
                        where=f"--as-of {args.as_of}") from None
    pc = aggregate_persons(files, data.villages, data.townships, as_of=as_of)
    if not pc.report.ok:
        _print(pc.report.render("both"))
        raise UserError("名单有错误，未生成分年度计划；请按上面的说明修正后重试",
                        "the lists have errors: no plan was made; fix them as above and rerun",
                        where="--persons")
    _print_warnings(pc.report)
    return pc


def _print_phased_zh(res, out) -> None:
    """The plan by year in Chinese words: where the counts come from, each year, the status."""
    from childplan.cli import _print
    from geo.fmt import num, pct, yuan
    from geo.i18n import enum_label, t

    _print(t("cli_phased_projected" if res.projected else "cli_phased_layer_counts", "zh"))
    for r in res.by_year.itertuples(index=False):
        _print(t("cli_phased_year", "zh").format(
            year=r.year, budget=yuan(r.budget_yuan, "zh"), spent=yuan(r.spent_yuan, "zh"),
            opened=num(r.homes_opened), open=num(r.homes_open), covered=num(r.children_covered),
            children=num(r.children), coverage=pct(r.coverage_pct / 100, 2), directors=num(r.directors)))
    s = res.plan.stats
    status = enum_label("solver_status", s.status, "zh")
    # a gap only for a proven plan: otherwise coverage or cost may still be open, not just distance
    line = (t("siting_status_line", "zh").format(status=status, gap=f"{s.gap_tolerance:.4%}")
            if s.status == "optimal" else t("solver_status_label", "zh") + t("colon", "zh") + status)
    _print(line + t("cli_written_to", "zh").format(out=out))


def site_phased(args) -> int:
    """Solve the phased plan; write phased_homes.csv, phased_years.csv, phased_training.csv."""
    from childplan.cli import _load, _out, _policy, _print, _require_ok
    from childplan.workflows_phased import phased_tables, run_phased
    from geo.exports import write_csv

    budgets = _budgets(args)  # argument errors before the (slow) load
    _refuse_unsupported(args)
    data = _load(args)
    if not _require_ok(data):
        return 1
    pc = _persons(args, data)
    policy = _policy(args)
    if args.metric:
        policy = policy.with_overrides({"siting.travel_metric": args.metric}, origin="--metric")
    res = run_phased(data, policy, list(args.years), budgets, persons=pc,
                     entry_rate=args.entry_rate, carry_over=args.carry_over, solver=args.solver,
                     time_limit_s=args.time_limit, never_open=args.never_open or ())
    out = _out(args)
    lang = "en" if args.lang == "en" else "zh"
    tables = phased_tables(res, lang, codes=lang == "en")
    for name, frame in tables.items():
        write_csv(frame, out / f"{name}.csv")
    s = res.plan.stats
    if lang == "zh":  # Chinese first; the English lines follow for logs
        _print_phased_zh(res, out)
    _print("counts projected from the person lists" if res.projected
           else "no person list: the layer's counts every year")
    for r in res.by_year.itertuples(index=False):
        _print(f"{r.year}: budget {r.budget_yuan:,} yuan, spent {r.spent_yuan:,}, "
               f"{r.homes_opened} homes opened ({r.homes_open} open), children covered "
               f"{r.children_covered:,.0f} / {r.children:,.0f} ({r.coverage_pct:.2f}%), "
               f"directors {r.directors:,}")
    _print(f"solver {s.solver}: status {s.status}, weighted coverage {s.coverage:,.2f} (bound "
           f"{s.coverage_bound:,.2f}), cost {s.cost_yuan:,.0f} yuan (bound "
           f"{s.cost_bound_yuan:,.0f}), distance gap {s.distance_gap:.4%}, {s.seconds:.2f} s, "
           f"{s.variables} variables, {s.constraints} constraints; optimal means within "
           f"{s.gap_tolerance:.4%}")
    _print(f"written to {out}")
    return 0 if s.status in ("optimal", "time_limit", "feasible") else 1
