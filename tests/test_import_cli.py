"""CLI error discipline: a planner's mistake exits 1 with one bilingual located message.

Exit 3 is kept for real bugs, and ``--debug`` then prints the traceback. Every planning
command prints the data's warnings, not only its errors.
"""

from __future__ import annotations

import pytest

import childplan.cli as cli
from childplan.cli import main


def run(capsys, argv):
    rc = main(argv)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def toy(toy_dir):
    return [str(toy_dir / n) for n in ("county.geojson", "townships.geojson", "villages.csv")]


# (argv builder, Chinese fragment, English fragment): each a user error -> exit 1
CASES = {
    "overrides_bad_value": (lambda d: ["policy", "--overrides", str(d / "bad.toml")],
                            "无效", "invalid value 'abc'"),
    "overrides_inf": (lambda d: ["policy", "--overrides", str(d / "inf.toml")],
                      "无效", "travel_cap_m: invalid value inf"),
    "overrides_nan": (lambda d: ["policy", "--overrides", str(d / "nan.toml")],
                      "无效", "travel_cap_m: invalid value nan"),
    "overrides_missing_file": (lambda d: ["policy", "--overrides", str(d / "none.toml")],
                               "找不到政策文件", "policy file not found"),
    "bad_crs": (lambda d: ["validate", "--crs", "EPSG:99999"] + toy(d),
                "无法识别的坐标系", "unknown CRS"),
    "unknown_layer_name": (lambda d: ["validate", f"vilages={d / 'villages.csv'}"],
                           "未知图层名“vilages”", "unknown layer name 'vilages'"),
    "lock_without_equals": (lambda d: ["site", "--out", str(d / "o"), "--lock", "500109102001"],
                            "村代码=站点编号", "--lock must be VILLAGE=SITE"),
    "budget_with_unit": (lambda d: ["fund", "--budget", "500万", "--out", str(d / "o")],
                         "5000000", "whole yuan without a unit, e.g. 5000000"),
    "budget_text": (lambda d: ["fund", "--budget", "abc", "--out", str(d / "o")],
                    "预算应为整数元", "whole yuan"),
    "missing_travel_matrix": (lambda d: ["site", "--out", str(d / "o"), "--travel-matrix",
                                         str(d / "roads.csv")],
                              "找不到道路距离表", "travel matrix file not found"),
    "travel_matrix_wrong_columns": (lambda d: ["site", "--out", str(d / "o"), "--travel-matrix",
                                               str(d / "wrong.csv")],
                                    "需要列", "needs columns village_code, site_id and metres"),
    "out_is_a_file": (lambda d: ["site", "--out", str(d / "afile")] + toy(d),
                      "--out 应为文件夹", "--out must be a folder"),
    "corrupt_store": (lambda d: ["scenario", "list", "--store", str(d / "corrupt.gpkg")],
                      "方案库文件已损坏", "scenario store is corrupt"),
    "missing_scenario": (lambda d: ["scenario", "show", "乙", "--store", str(d / "s.gpkg")],
                         "没有名为“乙”的方案", "no scenario named '乙'"),
}


@pytest.fixture
def cli_dir(toy_dir):
    (toy_dir / "bad.toml").write_text('siting.travel_cap_m = "abc"\n', encoding="utf-8")
    (toy_dir / "inf.toml").write_text("siting.travel_cap_m = inf\n", encoding="utf-8")
    (toy_dir / "nan.toml").write_text("siting.travel_cap_m = nan\n", encoding="utf-8")
    (toy_dir / "afile").write_text("x", encoding="utf-8")
    (toy_dir / "corrupt.gpkg").write_bytes(b"this is not a database" * 100)
    (toy_dir / "wrong.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (toy_dir / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return toy_dir


@pytest.mark.parametrize("case", sorted(CASES))
def test_user_error_exits_1_with_one_bilingual_message(cli_dir, capsys, case):
    build, zh, en = CASES[case]
    rc, out, err = run(capsys, build(cli_dir))
    assert rc == 1, out + err
    assert zh in out and en in out
    assert out.count(en) == 1  # printed once, not twice
    assert "Traceback" not in out + err


def test_a_bug_exits_3_once_and_debug_gives_the_traceback(cli_dir, capsys, monkeypatch):
    def boom(args):
        raise ZeroDivisionError("planted bug")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: _with_func(parser, "demo", boom))
    rc, out, err = run(capsys, ["demo"])
    assert rc == 3
    assert out.count("planted bug") == 1 and "internal error" in out and "程序内部错误" in out
    assert "Traceback" not in err
    rc, out, err = run(capsys, ["demo", "--debug"])
    assert rc == 3 and "Traceback" in err and "ZeroDivisionError" in err


def _with_func(parser, command, func):
    sub = next(a for a in parser._actions if a.dest == "command")
    sub.choices[command].set_defaults(func=func)
    return parser


def test_inf_override_is_refused_in_code_too():
    from optimization.policy import PolicyError, load_policy

    with pytest.raises(PolicyError, match="travel_cap_m"):
        load_policy(overrides={"siting.travel_cap_m": float("inf")})
    with pytest.raises(PolicyError, match="travel_cap_m"):
        load_policy(overrides={"siting.travel_cap_m": float("nan")})


def test_site_prints_the_warnings_of_clean_data(cli_dir, capsys):
    # A personal column is dropped with a warning; the plan is still made and the warning shown.
    p = cli_dir / "villages.csv"
    lines = p.read_text(encoding="utf-8").splitlines()
    p.write_text("\n".join([lines[0] + ",姓名"] + [r + ",某某" for r in lines[1:]]) + "\n",
                 encoding="utf-8")
    rc, out, _ = run(capsys, ["site", "--out", str(cli_dir / "o")] + toy(cli_dir))
    assert rc == 0
    assert "[警告] villages.csv 列“姓名”" in out and "[WARNING] villages.csv column '姓名'" in out
    # 甲村 (120) and 丁社区 (300) have 100+ children: own homes; 乙/丙 are served by them.
    assert "homes: {'new': 2}" in out


def test_budget_in_whole_yuan_still_works(capsys, tmp_path):
    rc, out, _ = run(capsys, ["fund", "--budget", "3,000,000", "--out", str(tmp_path)])
    assert rc == 0 and "budget 3,000,000" in out


def test_a_file_of_unknown_layer_is_a_usage_error(cli_dir, capsys):
    rc, out, err = run(capsys, ["validate", str(cli_dir / "x.csv")])
    assert rc == 2 and out.count("cannot tell which layer") == 1
    assert "无法判断这些文件属于哪个图层" in out and "Traceback" not in out + err
