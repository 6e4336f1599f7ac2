"""``childplan``: everything the app does, headless.

Subcommands
-----------
validate   check a county's files and print the bilingual report (exit 0 clean / 1 errors)
policy     print the policy parameters with their sources (and check an overrides file)
demo       list the embedded demo counties

Later subcommands (site, staff, fund, hazards, brief, batch, scenario) call the same
functions as the app's pages.
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["main"]


def _print(text: str) -> None:
    sys.stdout.write(text + ("\n" if not text.endswith("\n") else ""))


def _load(args) -> object:
    """Load the county the arguments name (demo county when no path is given)."""
    from childplan.sources import resolve_sources
    from geo.layers import load_county, load_demo

    if not getattr(args, "paths", None):
        return load_demo(args.adcode)
    sources, unknown = resolve_sources(
        args.paths, base_adcode=args.base, coord_system=args.coords,
        declared_crs=args.crs,
    )
    if unknown:
        _print("无法判断以下文件属于哪个图层，请用 图层=路径 指定（如 villages=村.csv）/ cannot tell "
               "which layer these files are; name it as layer=path (e.g. villages=my.csv): "
               + ", ".join(unknown))
        raise SystemExit(2)
    return load_county(sources)


def cmd_validate(args) -> int:
    """Validate files; print the report; exit 0 when there is no error."""
    data = _load(args)
    report = data.report
    if args.format == "json":
        _print(json.dumps({"ok": report.ok, "problems": report.as_dicts()}, ensure_ascii=False,
                          indent=1))
    elif args.format == "csv":
        sys.stdout.write(report.to_frame(args.lang if args.lang != "both" else "zh").to_csv(
            index=False))
    else:
        _print(f"{data.name} ({data.adcode})")
        counts = {k: len(getattr(data, k)) for k in ("townships", "villages", "facilities",
                                                     "waterways", "crossings", "roster")}
        _print("  " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
        _print(report.render(args.lang))
    return 0 if report.ok else 1


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
               f"\n    source: {row['source']}")
    return 0


def cmd_demo(args) -> int:
    """List embedded counties."""
    from geo.layers import demo_adcodes, load_demo

    for code in demo_adcodes():
        data = load_demo(code)
        _print(f"{code}\t{data.name}\t{len(data.townships)} townships\t"
               f"{len(data.villages)} villages\t{data.report.summary('en')}")
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to document the CLI)."""
    parser = argparse.ArgumentParser(
        prog="childplan",
        description="农村留守儿童和困境儿童关爱服务规划 — headless planning tool",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check a county's data and print the report")
    _add_data_args(p)
    p.add_argument("--lang", default="both", choices=("zh", "en", "both"))
    p.add_argument("--format", default="text", choices=("text", "csv", "json"))
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("policy", help="print the policy parameters and their sources")
    p.add_argument("--policy", default=None, help="a full policy file (default: built in)")
    p.add_argument("--overrides", default=None, help="a TOML file of overrides")
    p.set_defaults(func=cmd_policy)

    p = sub.add_parser("demo", help="list the embedded demo counties")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``childplan`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "crs", None):
        c = str(args.crs)
        args.crs = int(c.split(":")[-1]) if c.split(":")[-1].isdigit() else c
    try:
        return int(args.func(args) or 0)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback for the planner; details on request
        import traceback

        _print(f"出错了：{exc} / failed: {exc}")
        if "--debug" in (argv or sys.argv):
            traceback.print_exc()
        return 3


if __name__ == "__main__":
    sys.exit(main())
