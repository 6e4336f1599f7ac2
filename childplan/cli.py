"""``childplan``: everything the app does, headless.

Subcommands
-----------
validate   check a county's files and print the bilingual report (exit 0 clean / 1 errors)
site       site shared 儿童之家; write homes.csv, assignments.csv and a GeoPackage
staff      assign child directors and supervisors; write staffing/recruit/training CSVs
fund       split a budget across townships (or counties); write funding.csv/xlsx, tilt plot
hazards    drowning danger spots, 四个一 status, patrol lists per river chief (XLSX/CSV/PDF)
batch      every county of a province (or a list) in parallel on Dask; resumable
brief      one-page A4 briefing PDF for officials, with a map snapshot (PNG and PDF)
map        each map (county, siting, staffing, funding, hazards) as one offline HTML file
accounts   add | list accounts for serving the app on an intranet (off by default)
scenario   save | list | show | export | import saved scenarios
policy     print the policy parameters with their sources (and check an overrides file)
demo       list the embedded demo counties
app        start the app (``childplan app --port 8501``); ``childplan --version``

Every subcommand calls the same functions as the app's pages (childplan.workflows).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["UserError", "main"]

#: Exit codes: 0 done, 1 the planner's input needs fixing (data, arguments, files), 3 a bug.
EXIT_OK, EXIT_USER, EXIT_BUG = 0, 1, 3


class UserError(Exception):
    """A mistake in the planner's arguments or files: one bilingual message, exit 1.

    Parameters
    ----------
    zh, en : str
        What is wrong and what to do, in Chinese and English (printed once each).
    where : str, optional
        The argument or file concerned (printed first).
    exit_code : int
        1 (default); 2 for a command line that cannot be understood (like argparse).
    """

    def __init__(self, zh: str, en: str, where: str = "", exit_code: int = 1):
        self.zh, self.en, self.where, self.exit_code = zh, en, where, exit_code
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{zh} / {en}")


def _print(text: str) -> None:
    sys.stdout.write(text + ("\n" if not text.endswith("\n") else ""))


def _print_warnings(report) -> None:
    """Print every warning of a report (both languages) so no command hides them."""
    for p in report.warnings:
        _print(p.text("zh"))
        _print(p.text("en"))


def _check_layer_names(paths) -> None:
    from geo.schema import LAYERS

    known = sorted(LAYERS) + ["dem"]
    for item in paths or ():
        if "=" in item and not Path(item).exists():
            layer = item.partition("=")[0].strip()
            if layer not in known:
                raise UserError(
                    f"未知图层名“{layer}”，可用：{', '.join(known)}",
                    f"unknown layer name '{layer}'; known: {', '.join(known)}", where=item)


def _load(args) -> object:
    """Load the county the arguments name (demo county when no path is given)."""
    from childplan.sources import resolve_sources
    from geo.layers import load_county, load_demo

    _check_layer_names(getattr(args, "paths", None))
    if not getattr(args, "paths", None):
        return load_demo(args.adcode)
    sources, unknown = resolve_sources(
        args.paths, base_adcode=args.base, coord_system=args.coords,
        declared_crs=args.crs,
    )
    if unknown:
        raise UserError("无法判断这些文件属于哪个图层，请用 图层=路径 指定（如 villages=村.csv）",
                        "cannot tell which layer these files are; name it as layer=path "
                        "(e.g. villages=my.csv)", where=", ".join(unknown), exit_code=2)
    return load_county(sources, **({"mapping": args.mapping} if getattr(args, "mapping", None)
                                   else {}))


def cmd_validate(args) -> int:
    """Validate files; print the report; exit 0 when there is no error."""
    data = _load(args)
    report = data.report
    if args.format == "json":
        _print(json.dumps({"ok": report.ok, "problems": report.as_dicts()}, ensure_ascii=False,
                          indent=1))
    elif args.format == "csv":
        sys.stdout.write(report.to_frame(args.lang if args.lang != "both" else "zh",
                                         codes=args.codes).to_csv(index=False))
    else:
        _print(f"{data.name} ({data.adcode})")
        counts = {k: len(getattr(data, k)) for k in ("townships", "villages", "facilities",
                                                     "waterways", "crossings", "roster")}
        _print("  " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
        _print(report.render(args.lang))
    return 0 if report.ok else 1


def _policy(args):
    from optimization.policy import load_policy

    return load_policy(getattr(args, "policy", None), overrides=getattr(args, "overrides", None))


def _out(args) -> Path:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError("--out 应为文件夹，但这里是一个已有的文件；请换一个文件夹名",
                        "--out must be a folder but names an existing file; choose a folder",
                        where=str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"无法创建输出文件夹（{exc.strerror}）",
                        f"cannot create the output folder ({exc.strerror})", where=str(out)) from None
    return out


def _add_export_args(p: argparse.ArgumentParser) -> None:
    """``--codes`` for a subcommand that writes tables (``--lang`` is already there)."""
    p.add_argument("--codes", action="store_true",
                   help="keep canonical column names and stable codes in the CSV/XLSX files (for "
                        "other systems); default: headers and values in --lang (Chinese)")


def _write_table(frame, path: Path, args, enums: dict | None = None) -> Path:
    """Write one CSV table in ``--lang`` (or with ``--codes``): the CLI's one export switch."""
    from geo.exports import export_table, write_csv

    return write_csv(export_table(frame, args.lang, codes=args.codes, enums=enums), path)


def _require_ok(data) -> bool:
    if data.report.ok:
        _print_warnings(data.report)
        return True
    _print(data.report.render("both"))
    _print("数据有错误，未生成方案 / the data has errors: no plan was made")
    return False


def _locks(items) -> dict[str, str]:
    out = {}
    for item in items or ():
        village, sep, site = item.partition("=")
        if not sep or not village.strip() or not site.strip():
            raise UserError("--lock 应写作 村代码=站点编号（如 500109102001=F001）",
                            "--lock must be VILLAGE=SITE (e.g. 500109102001=F001)", where=item)
        out[village.strip()] = site.strip()
    return out


def _read_travel_matrix(path: str):
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise UserError("找不到道路距离表", "travel matrix file not found", where=path)
    try:
        matrix = pd.read_csv(p, dtype={"village_code": str, "site_id": str})
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"道路距离表无法读取（{type(exc).__name__}），请另存为 UTF-8 CSV",
                        f"the travel matrix cannot be read ({type(exc).__name__}); save it as a "
                        "UTF-8 CSV", where=path) from None
    missing = {"village_code", "site_id"} - set(matrix.columns)
    if missing or not ({"metres", "distance_m"} & set(matrix.columns)):
        raise UserError("需要列 village_code、site_id、metres",
                        "needs columns village_code, site_id and metres", where=path)
    return matrix


def _yuan(text: str) -> int:
    """A budget in whole yuan; '500万' or '3.5e6' are refused with the number to write."""
    s = str(text).strip().replace(",", "").replace("，", "")
    if s.isdigit():
        return int(s)
    hint = ""
    for unit, factor in (("万", 10_000), ("亿", 100_000_000)):
        if s.endswith(unit):
            try:
                hint = f"{int(round(float(s[:-1]) * factor))}"
            except ValueError:
                pass
    zh = "预算应为整数元（不带单位）" + (f"，例如 {hint}" if hint else "，例如 5000000")
    en = "the budget must be whole yuan without a unit" + (
        f", e.g. {hint}" if hint else ", e.g. 5000000")
    raise UserError(zh, en, where=f"--budget {text}")


def cmd_site(args) -> int:
    """Site shared 儿童之家; write homes.csv, assignments.csv and siting.gpkg."""
    if getattr(args, "years", None) or getattr(args, "budget_per_year", None):
        from childplan.cli_phased import site_phased  # the plan by year (issue 21)

        return site_phased(args)
    from childplan.workflows import (
        ASSIGNMENT_COLUMNS,
        TRAVEL_COLUMNS,
        child_weighted_mean_distance,
        run_siting,
        siting_layers,
    )
    from geo.exports import write_gpkg

    locked = _locks(args.lock)  # argument errors before the (slow) load
    matrix = _read_travel_matrix(args.travel_matrix) if args.travel_matrix else None
    policy = _site_policy(args)
    data = _load(args)
    if not _require_ok(data):
        return 1
    # SitingInfeasible / SitingNotSolved are PlanningErrors: main() prints them, exit 1
    res = run_siting(data, policy, solver=args.solver,
                     must_open=args.must_open or (), never_open=args.never_open or (),
                     locked=locked, time_limit_s=args.time_limit, travel_matrix=matrix,
                     metric=args.metric)
    out = _out(args)
    _write_table(res.homes[res.homes_columns], out / "homes.csv", args, {"status": "action"})
    extra = TRAVEL_COLUMNS if res.metric != "straight" else []
    _write_table(res.assignments[ASSIGNMENT_COLUMNS + extra], out / "assignments.csv", args)
    write_gpkg(siting_layers(res), out / "siting.gpkg")
    shares = _write_access_shares(data, policy, res, out, args)
    plan = res.plan
    s = plan.stats
    counts = res.homes["status"].value_counts().to_dict()
    a = res.assignments
    served = a[a["home_id"].notna() & (a["home_id"].astype(str) != "")]
    w = served["resident_children"].astype(float)
    mean_m = child_weighted_mean_distance(a)  # the one definition (pages, briefing, exports)
    walk = (f", mean walk {float((w * served['walk_min']).sum() / w.sum()):,.1f} min"
            if res.metric != "straight" and w.sum() else "")
    if getattr(args, "lang", "zh") != "en":   # Chinese first; the English lines follow for logs
        _print_site_zh(res, mean_m, out)
    _print(f"metric {res.metric}; homes: {counts}; cost {plan.total_cost_yuan:,.0f} yuan; "
           f"uncovered {len(plan.uncovered)}; mean distance {mean_m:,.0f} m{walk}")
    _print(f"solver {s.solver}: status {s.status}, objective {s.objective:,.2f}, best bound "
           f"{s.best_bound:,.2f}, gap {s.gap:.4%}, {s.seconds:.2f} s, {s.variables} variables, "
           f"{s.constraints} constraints, {s.components} components")
    _print(f"gaps: cost {s.cost_gap:.4%} (decided part {s.decided_cost_gap:.4%}), distance "
           f"{s.distance_gap:.4%} (decided part {s.decided_distance_gap:.4%}); optimal means "
           f"within {s.gap_tolerance:.4%}")
    _print("walking to the nearest home: " + "; ".join(
        f"within {r.within_min:g} min {r.resident_share:.1%} of resident, {r.left_behind_share:.1%}"
        f" of left-behind, {r.difficulty_share:.1%} of difficulty children"
        for r in shares.itertuples()))
    _print_capacity(res, getattr(args, "lang", "zh"))
    _print(f"written to {out}")
    return 0 if s.status in ("optimal", "time_limit", "feasible") else 1


def _write_access_shares(data, policy, res, out: Path, args):
    """Write access_shares.csv and return its table.

    The share of resident, left-behind and difficulty children within 10/20/30 minutes' walk
    of the nearest open home (the travel model, as the page and the briefing use it).
    """
    from geo.travel import access_shares, accessibility

    shares = access_shares(accessibility(data, policy, res.homes)).rename(columns={
        "resident_children": "resident_share", "left_behind": "left_behind_share",
        "difficulty": "difficulty_share"})
    _write_table(shares.round(4), out / "access_shares.csv", args)
    return shares


def _print_site_zh(res, mean_m: float, out) -> None:
    """The siting summary in Chinese words (status, homes, cost, coverage, distance)."""
    from geo.fmt import num, pct, yuan
    from geo.i18n import enum_label, t

    s, c = res.plan.stats, res.status_counts()
    _print(t("cli_site_summary", "zh").format(
        metric=enum_label("metric", res.metric, "zh"), existing=num(c.get("existing", 0)),
        reuse=num(c.get("reuse", 0)), new=num(c.get("new", 0)),
        cost=yuan(res.plan.total_cost_yuan, "zh"), coverage=pct(res.coverage),
        mean=num(mean_m), uncovered=num(len(res.plan.uncovered))))
    gap = s.gap_tolerance if s.status == "optimal" else s.gap
    _print(t("siting_status_line", "zh").format(
        status=enum_label("solver_status", s.status, "zh"),
        gap=f"{gap:.4%}" if gap == gap else "—") + t("cli_written_to", "zh").format(out=out))


def _site_policy(args):
    """The policy with ``--capacity`` and ``--capacity-defaults`` applied."""
    policy = _policy(args)
    changes = {}
    if args.capacity is not None:
        if args.capacity < 0:
            raise UserError("--capacity 应为不小于 0 的整数（儿童数，0 表示不限）",
                            "--capacity must be a whole number >= 0 (children, 0 = unlimited)",
                            where=f"--capacity {args.capacity}")
        changes["siting.default_capacity"] = int(args.capacity)
    if args.capacity_defaults:
        changes["siting.capacity_defaults_on"] = True
    return policy.with_overrides(changes, origin="--capacity") if changes else policy


def _print_capacity(res, lang: str) -> None:
    """What capacity means, own homes beyond it, and the blocks the time limit left open."""
    from geo.i18n import t

    s = res.plan.stats
    if not (res.capacity_applied or s.capacitated):
        return
    _print(t("capacity_meaning", lang))
    beyond = int(res.homes["own_beyond_capacity"].sum()) if "own_beyond_capacity" in \
        res.homes.columns else 0
    if beyond:
        _print(t("own_beyond_capacity_note", lang).format(n=beyond))
    if s.capacitated:
        _print(t("capacitated_model", lang))
    if s.open_blocks:
        _print(t("open_blocks_title", lang) + ":")
        for b in s.open_blocks:
            _print("  " + t("open_block_line", lang).format(
                block=b.block, villages=b.villages, sites=b.sites, gap=f"{b.gap:.2%}",
                ids="、".join(b.village_ids[:10])))


def cmd_staff(args) -> int:
    """Assign directors and supervisors; write staffing.csv, recruit.csv, training.csv."""
    from childplan.workflows import run_staffing, staffing_metric, staffing_outputs

    data = _load(args)
    if not _require_ok(data):
        return 1
    policy = _policy(args)
    if args.metric:
        policy = policy.with_overrides({"siting.travel_metric": args.metric}, origin="--metric")
    plan = run_staffing(data, policy, solver=args.solver)
    out = _out(args)
    metric = staffing_metric(policy)
    for name, frame in staffing_outputs(plan, metric).items():
        _write_table(frame, out / f"{name}.csv", args, {"kind": "training_kind"})
    _print(plan.totals.to_string(index=False))
    _print(f"metric {metric}; status: {plan.stats.status}; written to {out}")
    return 0


def cmd_fund(args) -> int:
    """Split a budget; write funding.csv, funding.xlsx and the tilt plot."""
    from childplan.workflows import county_units, funding_tilt_path, run_funding, township_units
    from geo.exports import export_sheets, tilt_plot, write_xlsx
    from geo.layers import load_demo

    policy = _policy(args)
    if len(args.adcode_list or []) > 1:
        counties = [load_demo(a) for a in args.adcode_list]
        for d in counties:
            if not _require_ok(d):
                return 1
        units = county_units(counties)
    else:
        if args.adcode_list:
            args.adcode = args.adcode_list[0]
        data = _load(args)
        if not _require_ok(data):
            return 1
        staffing = None
        if args.with_staffing:
            from childplan.workflows import run_staffing

            staffing = run_staffing(data, policy, solver=args.solver)
        units = township_units(data, policy, staffing=staffing)
    plan = run_funding(units, args.budget, policy)  # FundingInfeasible: explained by main()
    path = funding_tilt_path(units, args.budget, policy)
    out = _out(args)
    cols = ["unit_code", "unit_name", "targets", "designations", "base", "tilt", "earmark",
            "amount", "binding"]
    _write_table(plan.table[cols], out / "funding.csv", args)
    write_xlsx(export_sheets({"funding": plan.table, "tilt_path": path}, args.lang, codes=args.codes),
               out / "funding.xlsx")
    fig = tilt_plot(path, lang=args.lang)
    fig.savefig(out / "funding_tilt.png")
    _print(plan.table[["unit_code", "unit_name", "targets", "amount", "binding"]].to_string(
        index=False))
    _print(f"total {int(plan.table['amount'].sum()):,} yuan = budget {args.budget:,}; "
           f"written to {out}")
    return 0


def cmd_hazards(args) -> int:
    """Rank drowning danger spots; write danger_spots.csv, patrol lists (XLSX/CSV/PDF per chief)."""
    from childplan.store import store_path
    from childplan.workflows import HazardFiles
    from geo.patrol import write_hazard_files

    data = _load(args)
    if not _require_ok(data):
        return 1
    # as run_hazards, with every table in --lang unless --codes (geo.exports.export_table)
    store = Path(args.store) if args.store else store_path()
    files = HazardFiles(write_hazard_files(data, _policy(args), _out(args), args.lang,
                                           _hazard_checks(store, data.adcode), codes=args.codes))
    _print(f"{files.danger_spots}; {files.patrol_xlsx}; {len(files.pdfs)} PDF patrol lists")
    return 0


def _hazard_checks(store: Path, adcode: str):
    """The county's recorded 四个一 checks, as run_hazards reads them (no store: none)."""
    from childplan.store import Store

    if not store.exists():  # reading must not create a store
        return None
    with Store(store) as st:
        return st.checks(adcode)


def cmd_brief(args) -> int:
    """Write the one-page A4 briefing PDF (and a map snapshot PNG/PDF) for a county."""
    import time
    from datetime import date

    from childplan.workflows import briefing_inputs
    from geo.briefing import BriefingMeta, briefing_pdf
    from geo.exports import atomic_write_bytes
    from geo.snapshot import Overlay, figure_bytes, policy_breaks, render_snapshot

    saved = _saved_scenario(args) if args.scenario else None  # unknown name: exit 1 first
    data = _load(args) if saved is None else _saved_data(args, saved)
    if not _require_ok(data):
        return 1
    t0 = time.perf_counter()
    if saved is None:
        policy = _policy(args)
        inputs = briefing_inputs(data, policy, budget=args.budget, solver=args.solver)
    else:  # exactly the saved plan: its policy, its stored results
        from childplan.scenario import saved_briefing_inputs

        policy = _scenario_policy(args, saved[1])
        inputs = saved_briefing_inputs(saved[0], data, policy)
    t1 = time.perf_counter()
    out = _out(args)
    from geo.i18n import t

    # the plan is named: the saved scenario, else 未保存的方案 when the policy was changed
    # ("" prints 基准方案: the policy file as it is)
    named = args.scenario or (t("plan_unsaved", args.lang) if policy.overrides else "")
    meta = BriefingMeta(title=args.title or "", organisation=args.org or "",
                        on=date.fromisoformat(args.date) if args.date else None,
                        scenario=named)
    stem = f"briefing_{data.adcode}"
    if saved is not None:
        from geo.safe import file_name

        stem += f"_{file_name(args.scenario, default='scenario')}"
    pdf = atomic_write_bytes(out / f"{stem}.pdf",
                             briefing_pdf(data, inputs, lang=args.lang, policy=policy, meta=meta))
    t2 = time.perf_counter()
    overlay = Overlay(homes=inputs.homes, assignments=inputs.assignments, spots=inputs.spots)
    title = f"{data.name} · " + ("儿童之家与防溺水危险点" if args.lang == "zh"
                                 else "children's homes and danger spots")
    for fmt in ("png", "pdf"):
        fig = render_snapshot(data, title=title, lang=args.lang, overlay=overlay,
                              layers=("county", "townships", "waterways", "villages"),
                              breaks=policy_breaks(policy, "resident_children"))
        atomic_write_bytes(out / f"map_{data.adcode}.{fmt}", figure_bytes(fig, fmt))
    _print(f"{pdf} (plans {t1 - t0:.1f} s, page {t2 - t1:.1f} s); map snapshot PNG/PDF in {out}")
    return 0


def _saved_scenario(args):
    """The scenario ``--scenario`` names and its plan; exit 1 (bilingual) when unknown."""
    from childplan.scenario import saved_plan
    from childplan.store import Store, store_path

    if getattr(args, "overrides", None) or getattr(args, "policy", None):
        raise UserError("--scenario 使用该方案保存的政策参数，不能同时给出 --overrides/--policy",
                        "--scenario briefs the scenario's own policy; do not also give "
                        "--overrides or --policy", where=f"--scenario {args.scenario}")
    path = Path(args.store) if args.store else store_path()
    if not path.exists():  # reading must not create a store
        raise UserError(f"方案库不存在，没有名为“{args.scenario}”的方案；请先运行 "
                        "childplan scenario save，或用 --store 指定方案库",
                        f"no scenario store here, so no scenario named '{args.scenario}'; run "
                        "childplan scenario save first, or give --store", where=str(path))
    with Store(path) as st:
        if args.scenario not in st.names():
            known = "、".join(st.names()[:10]) or "无"
            raise UserError(f"没有名为“{args.scenario}”的方案（已有：{known}）；用 childplan "
                            "scenario list 查看",
                            f"no scenario named '{args.scenario}' (saved: "
                            f"{', '.join(st.names()[:10]) or 'none'}); see childplan scenario "
                            "list", where=f"--scenario {args.scenario}")
        sc = st.load(args.scenario)
    return sc, saved_plan(sc)


def _saved_data(args, saved):
    """The county a saved plan was computed on: its demo county, or the files given.

    The data's content digest must equal the plan's: other data would brief a plan that
    was not computed on them.
    """
    from childplan.plan import data_digest
    from geo.layers import demo_adcodes, load_demo

    sc, plan = saved
    ref = plan.data
    if getattr(args, "paths", None):
        data = _load(args)
    elif ref is not None and ref.source.startswith("demo:") and ref.source[5:] in demo_adcodes():
        data = load_demo(ref.source[5:])
    elif ref is None and sc.adcode in demo_adcodes():
        data = load_demo(sc.adcode)
    else:
        files = ", ".join(ref.files) if ref is not None and ref.files else sc.data_source
        raise UserError(f"方案“{sc.name}”基于这些数据文件（{files}），请在命令中给出它们",
                        f"scenario '{sc.name}' was computed on files ({files}); give them on the "
                        "command line", where=f"--scenario {sc.name}")
    if ref is not None and data.report.ok and data_digest(data) != ref.digest:
        raise UserError(f"数据与方案“{sc.name}”保存时不同（内容摘要 {data_digest(data)} ≠ "
                        f"{ref.digest}），简报会与方案不符；请给出方案所用的数据，或重新保存方案",
                        f"the data differ from those scenario '{sc.name}' was saved with (digest "
                        f"{data_digest(data)} ≠ {ref.digest}); give the scenario's data or save "
                        "it again", where=f"--scenario {sc.name}")
    return data


def _scenario_policy(args, plan):
    from optimization.policy import load_policy

    return load_policy(None, overrides=dict(plan.overrides) or None)


def cmd_map(args) -> int:
    """Write each map as one standalone offline HTML file (Leaflet inlined)."""
    from childplan.mapfiles import build_maps, write_maps

    data = _load(args)
    if not _require_ok(data):
        return 1
    from childplan.mapfiles import PLANS

    plans = (PLANS if "all" in (args.plan or ()) else
             list(dict.fromkeys(args.plan)) if args.plan else ["county"])
    maps = build_maps(data, _policy(args), plans, lang=args.lang, solver=args.solver,
                      budget=args.budget)
    for path in write_maps(maps, _out(args), data.adcode):
        _print(str(path))
    _print(f"{len(maps)} 幅地图 / {len(maps)} maps")
    return 0


def cmd_accounts(args) -> int:
    """Add an account to the accounts file used when the app serves an intranet."""
    import getpass

    from childplan.accounts import AccountsError, add_account, load_accounts

    try:
        if args.action == "list":
            for u in load_accounts(args.file).values():
                _print(f"{u.name}\t{u.role}\t{u.township}")
            return 0
        if not args.name:
            _print("请给出账号名 / give the account name")
            return 2
        password = (sys.stdin.readline().rstrip("\n") if args.password_stdin
                    else getpass.getpass("密码 / password: "))
        acc = add_account(args.file, args.name, password, role=args.role,
                          township=args.township or "")
    except AccountsError as exc:
        _print(str(exc))
        return 1
    _print(f"{acc.name}: {acc.role} {acc.township} → {args.file}")
    return 0


def cmd_scenario(args) -> int:
    """List, show, export or import saved scenarios."""
    from childplan.store import Store, StoreError
    from geo.fmt import beijing

    if args.action == "save":
        return _scenario_save(args)
    if args.action in ("show", "export") and not args.name:
        raise UserError("请给出方案名称", "give the scenario name",
                        where=f"childplan scenario {args.action}", exit_code=2)
    try:
        with Store(args.store) as st:
            if args.action == "list":
                table = st.list()
                _print(f"方案库 {st.path} · 结构版本 {st.version} / store {st.path} · schema {st.version}")
                for c in ("created_at", "updated_at"):  # stored in UTC, shown in 北京时间
                    if c in table.columns:
                        table[c] = [beijing(v) for v in table[c]]
                _print("（没有保存的方案）/ (no saved scenario)" if table.empty
                       else table.to_string(index=False))
            elif args.action == "show":
                sc = st.load(args.name)
                _print(f"{sc.name} · {sc.county_name} ({sc.adcode}) · rev {sc.revision} · "
                       f"{beijing(sc.updated_at)}\n  overrides: {json.dumps(sc.overrides, ensure_ascii=False)}")
                for k, v in (sc.figures or {}).items():
                    _print(f"  {k} = {v:g}" if v is not None else f"  {k} = -")
                for k, frame in (sc.tables or {}).items():
                    _print(f"  table {k}: {len(frame)} rows")
            elif args.action == "export":
                target = Path(args.file or f"{args.name}.gpkg")
                _print(str(st.export(args.name, target)))
            elif args.action == "import":
                sc = st.import_file(args.file, rename=args.rename, replace=args.replace)
                _print(f"imported {sc.name}")
    except StoreError as exc:
        _print(str(exc))
        return 1
    return 0


def _scenario_save(args) -> int:
    """Solve siting, staffing and funding as the app does and save exactly that plan."""
    from childplan.scenario import scenario_record, solve_plan
    from childplan.store import Store

    if not args.name or not args.name.strip():
        raise UserError("请给出方案名称，如 childplan scenario save 基准",
                        "give the scenario a name, e.g. childplan scenario save baseline",
                        where="childplan scenario save", exit_code=2)
    if args.store and not Path(args.store).parent.is_dir():
        raise UserError("方案库所在的文件夹不存在", "the store's folder does not exist",
                        where=str(args.store))
    data = _load(args)
    if not _require_ok(data):
        return 1
    policy = _policy(args)
    files = tuple(Path(p.partition("=")[2] or p).name for p in (args.paths or ()))
    solved = solve_plan(data, policy, dict(policy.overrides), solver=args.solver,
                        budget=args.budget, files=files,
                        source=f"demo:{data.adcode}" if not args.paths else "files")
    with Store(args.store) as st:
        sc = st.save(scenario_record(args.name.strip(), data, solved, note=args.note or ""))
    ref = solved.plan.data
    _print(f"已保存方案“{sc.name}”（第 {sc.revision} 版）/ saved scenario '{sc.name}' "
           f"(revision {sc.revision}) → {st.path}")
    _print(f"  data {ref.county} ({ref.adcode}) digest {ref.digest}; "
           f"{len(solved.plan.overrides)} override(s); " + "; ".join(
               f"{k} {r.status}" for k, r in solved.plan.results.items()))
    return 0


def cmd_import(args) -> int:
    """Person lists -> village counts (CSV), aggregated in memory; nothing personal is written."""
    from datetime import date

    from geo.exports import atomic_path
    from geo.persons import COLUMN_LABELS, aggregate_persons, project_years, suppress_small

    files, county_paths = [], []
    for item in args.items:
        kind, sep, path = item.partition("=")
        if sep and kind.strip() == "persons":
            f = Path(path)
            if not f.is_file():
                raise UserError("找不到名单文件", "person list not found", where=path)
            files.append((f.name, f.read_bytes()))
        else:
            county_paths.append(item)
    if not files:
        raise UserError("请用 persons=文件 指定至少一份儿童名单（XLSX 或 CSV）",
                        "name at least one person list as persons=FILE (XLSX or CSV)",
                        where="childplan import", exit_code=2)
    args.paths = county_paths
    data = _load(args)
    as_of = date.fromisoformat(args.as_of) if args.as_of else None
    pc = aggregate_persons(files, data.villages, data.townships, as_of=as_of)
    report = pc.report
    _print(f"{data.name} ({data.adcode}) · {len(files)} 份名单 / lists · "
           f"{pc.rows_read:,} 行 / rows → {len(pc.counts):,} 个村（社区）/ villages · "
           f"{int(pc.counts['target_children'].sum()) if len(pc.counts) else 0:,} 名儿童 / children")
    _print(report.render(args.lang if args.lang != "both" else "both"))
    if not report.ok:
        _print("名单有错误，未写出村级数量；请按上面的说明修正后重试")
        _print("the lists have errors; no village counts were written; fix them as above and rerun")
        return EXIT_USER
    names = data.villages.set_index("village_code")["name"].astype(str).to_dict() \
        if "name" in data.villages else {}
    counts = pc.counts.copy()
    counts.insert(1, "village_name", counts["village_code"].map(names).fillna(""))
    lang = "en" if args.lang == "en" else "zh"
    out = Path(args.out)
    if args.years:
        frame = project_years(pc, [int(y) for y in args.years], entry_rate=args.entry_rate)
        frame.insert(1, "village_name", frame["village_code"].map(names).fillna(""))
        frame["children"] = frame["children"].round(1)
    else:
        frame = counts
    if args.suppress:
        frame = suppress_small(frame, below=args.suppress)
    if not args.codes:
        frame = frame.rename(columns={c: COLUMN_LABELS[c][lang == "en"] for c in frame.columns
                                      if c in COLUMN_LABELS})
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8-sig")
    _print(f"已写出 / written: {out}")
    for name, digest in pc.sources.items():
        _print(f"  {name} SHA-256 {digest[:16]}…")
    return 0


def cmd_policy(args) -> int:
    """Print the policy table (after overrides)."""
    from optimization.policy import PolicyError, load_policy

    try:
        policy = load_policy(args.policy, overrides=args.overrides)
    except PolicyError as exc:
        _print(str(exc))
        return 1
    for row in policy.table():
        mark = " *" if row["overridden"] else ""
        value = json.dumps(row["value"], ensure_ascii=False)
        _print(f"{row['name']} = {value} [{row['unit']}]{mark}\n    {row['zh']} / {row['en']}"
               f"\n    依据：{row['source_zh']}\n    source: {row['source']}")
    return 0


def cmd_demo(args) -> int:
    """List embedded counties."""
    from geo.layers import demo_adcodes, load_demo

    for code in demo_adcodes():
        data = load_demo(code)
        _print(f"{code}\t{data.name}\t{len(data.townships)} townships\t"
               f"{len(data.villages)} villages\t{data.report.summary('en')}")
    return 0


def cmd_app(args) -> int:
    """Start the Streamlit app from the installed package."""
    from childplan.launch import run_app

    return run_app(args.port, args.address, Path(args.home) if args.home else None)


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*",
                   help="files or folders (layer from the file name, or layer=path); "
                        "none: the embedded demo county")
    p.add_argument("--adcode", default="500109",
                   help="embedded demo county when no path is given (default 500109 北碚区)")
    p.add_argument("--base", default=None, metavar="ADCODE",
                   help="take layers not given from this embedded county")
    p.add_argument("--coords", default="wgs84", choices=("wgs84", "gcj02", "bd09"),
                   help="coordinate system of the given files (gcj02: Amap/Tencent, bd09: Baidu)")
    p.add_argument("--crs", default=None,
                   help="CRS to assume for spatial files that carry none (e.g. EPSG:4490)")
    p.add_argument("--mapping", default=None, metavar="JSON",
                   help="column mapping template: {layer: {your header: our field}} (the app's "
                        "Data page saves one); a sheet or GeoPackage layer: villages=F.xlsx#Sheet2")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to document the CLI)."""
    parser = argparse.ArgumentParser(
        prog="childplan",
        description="农村留守儿童和困境儿童关爱服务规划 — headless planning tool",
        epilog="--debug (anywhere on the line): print the traceback of an internal error",
    )
    from childplan.launch import VersionAction

    parser.add_argument("--version", action=VersionAction,
                        help="print the release and the scenario store's schema version")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check a county's data and print the report")
    _add_data_args(p)
    p.add_argument("--lang", default="both", choices=("zh", "en", "both"))
    p.add_argument("--format", default="text", choices=("text", "csv", "json"))
    p.add_argument("--codes", action="store_true",
                   help="--format csv: also the stable problem code (代码) of each problem")
    p.set_defaults(func=cmd_validate)

    def plan_args(p, out=True):
        _add_data_args(p)
        if out:
            p.add_argument("--out", required=True, help="output folder")
        p.add_argument("--policy", default=None, help="a full policy file (default: built in)")
        p.add_argument("--overrides", default=None, help="a TOML file of policy overrides")
        p.add_argument("--solver", default="cbc", choices=("cbc", "highs"))
        p.add_argument("--lang", default="zh", choices=("zh", "en"))

    p = sub.add_parser("site", help="site shared 儿童之家 (homes.csv, assignments.csv, siting.gpkg)")
    plan_args(p)
    p.add_argument("--must-open", action="append", help="a site id that must open (repeatable)")
    p.add_argument("--never-open", action="append", help="a site id that must not open")
    p.add_argument("--lock", action="append", metavar="VILLAGE=SITE",
                   help="assign a village to a site (repeatable)")
    p.add_argument("--time-limit", type=float, default=None, help="seconds (default: policy)")
    p.add_argument("--capacity", type=int, default=None, metavar="N",
                   help="capacity in children (all served, own village included) of every host "
                        "whose capacity the data leaves empty (siting.default_capacity; 0 = "
                        "unlimited); capacities in facilities.capacity are kept")
    p.add_argument("--capacity-defaults", action="store_true",
                   help="use the policy's capacities by host kind and small/large new builds "
                        "(siting.capacity_defaults_on)")
    p.add_argument("--travel-matrix", default=None, metavar="CSV",
                   help="road/path distances: village_code, site_id, metres (replaces straight "
                        "lines)")
    p.add_argument("--metric", default=None, choices=("straight", "road_m", "walk_min"),
                   help="distance metric (default: policy siting.travel_metric): straight line, "
                        "road metres or walking minutes on roads and terrain (geo/travel.py)")
    from childplan.cli_phased import add_phased_arguments

    add_phased_arguments(p)  # --years, --budget-per-year ...: the plan by year
    _add_export_args(p)
    p.set_defaults(func=cmd_site)

    p = sub.add_parser("staff", help="assign child directors and supervisors")
    plan_args(p)
    p.add_argument("--metric", default=None, choices=("straight", "road_m", "walk_min"),
                   help="distance metric (default: policy siting.travel_metric); road_m and "
                        "walk_min both give directors route metres of geo/travel.py")
    _add_export_args(p)
    p.set_defaults(func=cmd_staff)

    p = sub.add_parser("fund", help="split a budget across townships (or counties)")
    plan_args(p)
    p.add_argument("--budget", type=str, required=True, help="whole yuan")
    p.add_argument("--county", dest="adcode_list", action="append", default=None,
                   help="embedded county adcode; give several to split across counties")
    p.add_argument("--with-staffing", action="store_true",
                   help="earmark director subsidies from a staffing plan first")
    _add_export_args(p)
    p.set_defaults(func=cmd_fund)

    p = sub.add_parser("hazards", help="drowning danger spots and river-chief patrol lists")
    plan_args(p)
    p.add_argument("--store", default=None, help="scenario/checklist database (四个一 status)")
    _add_export_args(p)
    p.set_defaults(func=cmd_hazards)

    p = sub.add_parser("brief", help="one-page A4 briefing PDF and a map snapshot")
    plan_args(p)
    p.add_argument("--budget", type=str, default="5000000", help="yuan to split (default 5M)")
    p.add_argument("--title", default=None, help="简报标题 / title (default: <county>…简报)")
    p.add_argument("--org", default=None, help="编制单位 / compiling unit, e.g. 北碚区民政局")
    p.add_argument("--date", default=None, help="日期 / date printed, YYYY-MM-DD (default today)")
    p.add_argument("--scenario", default=None,
                   help="方案名称 / a saved scenario: brief exactly its plan (its data, policy "
                        "and results; see childplan scenario save)")
    p.add_argument("--store", default=None, help="the scenario database (default ~/.childplan)")
    p.set_defaults(func=cmd_brief)

    p = sub.add_parser("map", help="each map as one standalone offline HTML file")
    plan_args(p)
    p.add_argument("--plan", action="append", default=None,
                   choices=("county", "siting", "staffing", "funding", "hazards", "all"),
                   help="which map (repeatable; default the county map; all: every map)")
    p.add_argument("--budget", type=int, default=5_000_000,
                   help="yuan to split for the funding map (default 5M)")
    p.set_defaults(func=cmd_map)

    from childplan.batch import add_batch_arguments, cmd_batch

    p = sub.add_parser("batch", help="plan many counties in parallel on Dask (resumable)")
    add_batch_arguments(p)
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("scenario", help="saved scenarios: save | list | show | export | import",
                       description="save NAME [data...]: solve siting, staffing and funding "
                       "(as the app does) and save the plan; list | show | export | import")
    p.add_argument("action", choices=("save", "list", "show", "export", "import"))
    p.add_argument("name", nargs="?", default=None, help="scenario name (save, show, export)")
    _add_data_args(p)
    p.add_argument("--overrides", default=None, help="save: a TOML file of policy overrides")
    p.add_argument("--solver", default="cbc", choices=("cbc", "highs"), help="save: solver")
    p.add_argument("--budget", type=str, default="5000000",
                   help="save: yuan to split across townships (default 5M)")
    p.add_argument("--note", default=None, help="save: 说明 / a note kept with the scenario")
    p.add_argument("--file", default=None, help="file to export to / import from")
    p.add_argument("--rename", default=None, help="import under another name")
    p.add_argument("--replace", action="store_true", help="import over a scenario of that name")
    p.add_argument("--store", default=None, help="the scenario database (default ~/.childplan)")
    p.set_defaults(func=cmd_scenario)

    p = sub.add_parser("accounts", help="accounts for intranet serving: add | list")
    p.add_argument("action", choices=("add", "list"))
    p.add_argument("name", nargs="?", default=None, help="account name (add)")
    p.add_argument("--file", required=True, help="the accounts file (CHILDPLAN_ACCOUNTS)")
    p.add_argument("--role", default="county", choices=("county", "township"))
    p.add_argument("--township", default=None, help="9-digit township code (township role)")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from standard input (scripts) instead of a prompt")
    p.set_defaults(func=cmd_accounts)

    p = sub.add_parser("import", help="person lists (persons=FILE) -> village counts CSV")
    p.add_argument("items", nargs="+", metavar="persons=FILE | layer=path",
                   help="one or more person lists as persons=FILE; other items name the county "
                        "(default: the demo county)")
    p.add_argument("--adcode", default="500109", help="demo county when no layer is given")
    p.add_argument("--base", default=None, metavar="ADCODE")
    p.add_argument("--coords", default="wgs84", choices=("wgs84", "gcj02", "bd09"))
    p.add_argument("--crs", default=None)
    p.add_argument("--mapping", default=None, metavar="JSON")
    p.add_argument("--out", required=True, help="the village counts CSV to write")
    p.add_argument("--as-of", dest="as_of", default=None, help="reference date (YYYY-MM-DD)")
    p.add_argument("--years", nargs="*", default=None, help="project counts for these years")
    p.add_argument("--entry-rate", dest="entry_rate", type=float, default=None,
                   help="new children per village per year (default: observed 0–5 cohorts)")
    p.add_argument("--suppress", type=int, default=0,
                   help="show counts below this number as '<N' (for lists leaving the office)")
    p.add_argument("--codes", action="store_true", help="keep stable column codes as headers")
    p.add_argument("--lang", default="both", choices=("zh", "en", "both"))
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("policy", help="print the policy parameters and their sources")
    p.add_argument("--policy", default=None, help="a full policy file (default: built in)")
    p.add_argument("--overrides", default=None, help="a TOML file of overrides")
    p.set_defaults(func=cmd_policy)

    p = sub.add_parser("demo", help="list the embedded demo counties")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("app", help="start the app (http://127.0.0.1:8501 by default)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; "
                        "0.0.0.0 serves the intranet)")
    p.add_argument("--home", default=None,
                   help="folder the app may write to (default $CHILDPLAN_HOME or the per-user data folder)")
    p.set_defaults(func=cmd_app)
    return parser


def _user_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean 'fix your input' (exit 1), never 'the program is broken'."""
    from childplan.store import StoreError
    from geo.report import DataError
    from optimization.policy import PolicyError

    return (UserError, PolicyError, StoreError, DataError)


def _check_crs(value):
    """``--crs``: an EPSG code (4490, EPSG:4490) or a CRS text pyproj understands."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    c = str(value).strip()
    code = c.split(":")[-1]
    out = int(code) if code.isdigit() else c
    try:
        CRS.from_user_input(out)
    except CRSError:
        raise UserError("无法识别的坐标系，请写 EPSG 代码，如 4326（WGS84）或 4490（CGCS2000）",
                        "unknown CRS; give an EPSG code such as 4326 (WGS84) or 4490 (CGCS2000)",
                        where=f"--crs {value}") from None
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``childplan`` command.

    Exit codes: 0 done; 1 the input needs fixing (a bilingual message says where and how);
    2 the command line cannot be parsed (argparse); 3 an internal error (``--debug`` prints
    the traceback).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    parser = build_parser()
    args = parser.parse_args(argv)
    import sqlite3

    from optimization.errors import PlanningError

    try:
        if getattr(args, "crs", None):
            args.crs = _check_crs(args.crs)
        if isinstance(getattr(args, "budget", None), str):
            args.budget = _yuan(args.budget)
        out_is_file = args.command != "import" and getattr(args, "out", None)
        if out_is_file and Path(args.out).exists() and not Path(args.out).is_dir():
            _out(args)  # refuses a file before any slow work
        return int(args.func(args) or 0)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        return 130
    except _user_errors() as exc:
        _print(str(exc))
        if debug:
            import traceback

            traceback.print_exc()
        return getattr(exc, "exit_code", EXIT_USER)
    except PlanningError as exc:  # bad input, infeasible, not solved: explained, exit 1
        _print(str(exc))  # Chinese and English, one issue per line
        if debug:
            import traceback

            traceback.print_exc()
        return EXIT_USER
    except sqlite3.DatabaseError as exc:  # a store that is not a database (corrupt, foreign)
        _print(f"方案库文件已损坏或不是方案库（{exc}），请指定另一个 --store / the scenario store is "
               f"corrupt or not a scenario store; give another --store")
        if debug:
            import traceback

            traceback.print_exc()
        return EXIT_USER
    except Exception as exc:  # a bug: one line, details with --debug
        import traceback

        _print(f"程序内部错误（{type(exc).__name__}: {exc}）；请加 --debug 重新运行并报告 / "
               "internal error; re-run with --debug and report it")
        if debug:
            traceback.print_exc()
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
