"""HiGHS prints a banner from its constructor: a solve must not put it on stdout (piped CSV)."""

import subprocess
import sys

SCRIPT = """
from optimization.solver import Model, solve
m = Model("tiny")
x = m.add_cols(["a", "b"], obj=[1.0, 2.0], lb=0, ub=1, integer=True)
m.add_rows(["cover"], rows=[0, 0], cols=x, vals=[1.0, 1.0], lb=1, ub=float("inf"))
r = solve(m, "highs")
print("objective", round(r.objective, 6))
"""


def test_a_highs_solve_prints_nothing_but_its_caller_output():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         check=True).stdout
    # min a + 2b with a + b >= 1, binary: a = 1, objective 1
    assert out == "objective 1.0\n"


def test_a_capacitated_cli_site_prints_no_solver_banner(tmp_path):
    # the capacitated path made its own HiGHS object (issue 20's backend)
    r = subprocess.run([sys.executable, "-m", "childplan.cli", "site", "--out", str(tmp_path),
                        "--capacity", "100", "--solver", "highs"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Running HiGHS" not in r.stdout and "求解状态：" in r.stdout
