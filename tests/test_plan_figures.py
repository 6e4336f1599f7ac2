"""按儿童加权的平均距离 has one definition: the siting page, the briefing and ``childplan site``
print the same value, and it is the child-weighted mean worked out here (issue 13).
"""

from __future__ import annotations

import re
import subprocess

from streamlit.testing.v1 import AppTest

from geo.i18n import figure_label
from tests.conftest import REPO


def _hand_mean(assignments) -> float:
    """sum(children x metres) / sum(children) over the villages that have a home."""
    num = den = 0.0
    for r in assignments.itertuples():
        if isinstance(r.home_id, str) and r.home_id:
            num += float(r.resident_children) * float(r.distance_m)
            den += float(r.resident_children)
    return num / den


def test_page_briefing_and_cli_show_one_child_weighted_mean_distance(tmp_path, monkeypatch,
                                                                      capsys):
    from childplan.cli import main
    from childplan.workflows import briefing_inputs, run_siting
    from geo.briefing import briefing_pdf
    from geo.layers import load_demo
    from optimization.policy import load_policy

    monkeypatch.setenv("CHILDPLAN_STORE", str(tmp_path / "store.gpkg"))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=240)
    at.run()
    at.switch_page("app_pages/siting.py").run()
    next(b for b in at.button if "求解选址" in b.label).click().run()
    assert not at.exception
    label = figure_label("mean_distance_m", "zh")
    page_value = {m.label: m.value for m in at.metric}[label]

    data, policy = load_demo("500109"), load_policy()
    siting = run_siting(data, policy)
    hand = f"{_hand_mean(siting.assignments):,.0f}"
    assert page_value == hand

    pdf = tmp_path / "b.pdf"
    pdf.write_bytes(briefing_pdf(data, briefing_inputs(data, policy, siting=siting),
                                 policy=policy))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    m = re.search(re.escape(label) + r"\s+(\S+)", text)
    assert m and m.group(1) == hand

    capsys.readouterr()
    assert main(["site", "--out", str(tmp_path / "site")]) == 0
    assert f"mean distance {hand} m" in capsys.readouterr().out  # childplan site
