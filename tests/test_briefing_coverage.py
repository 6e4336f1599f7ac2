"""The briefing's 村覆盖率 counts villages left without a home (home_id "") as uncovered."""

import matplotlib.pyplot as plt

from geo.briefing import BriefingInputs, briefing_figure
from geo.layers import load_demo
from optimization.policy import load_policy


def _shown(fig) -> set[str]:
    return {t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))}


def test_briefing_coverage_is_one_minus_uncovered_share():
    data, policy = load_demo("500109"), load_policy()
    n = len(data.villages)
    from childplan.workflows import run_siting

    res = run_siting(data, policy, solver="highs")
    homes = res.homes
    # the plan, with the first 12 villages' homes taken away (as a budget leaves them)
    assignments = res.assignments.copy()
    assignments.loc[assignments.index[:12], "home_id"] = ""
    want = f"{(1 - 12 / n) * 100:.1f}%"            # 1 − uncovered / villages
    assert want != "100.0%"
    for inputs in (BriefingInputs(homes=homes, assignments=assignments),
                   BriefingInputs(homes=homes, assignments=assignments, coverage=1 - 12 / n)):
        fig = briefing_figure(data, inputs, policy=policy)
        shown = _shown(fig)
        plt.close(fig)
        assert want in shown, sorted(s for s in shown if s.endswith("%"))
        assert "100.0%" not in shown
