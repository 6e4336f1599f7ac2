"""One error base: every planning error is a PlanningError with bilingual issues and ids."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.report import DataError, Report
from optimization.errors import BadInput, Infeasible, Issue, NotSolved, PlanningError
from optimization.funding import FundingInfeasible, FundingUnits, allocate
from optimization.policy import load_policy
from optimization.staffing import StaffingInputError, StaffingNotSolved


def test_the_three_families():
    e = Infeasible([Issue("a", "甲", "A", ("v1", "v2")), Issue("b", "乙", "B", ("v2", "v3"))])
    assert e.kind == "infeasible" and isinstance(e, ValueError)
    assert e.reasons == ("a", "b")
    assert e.ids == ("v1", "v2", "v3")  # in order, once
    assert str(e) == "甲 / A\n乙 / B"
    assert (e.zh, e.en) == ("甲\n乙", "A\nB")
    assert BadInput(zh="坏", en="bad").kind == "bad_input"
    n = NotSolved(zh="超时", en="time limit")
    assert n.kind == "not_solved" and isinstance(n, RuntimeError)
    assert n.reasons == ("not_solved",)  # the kind is the default reason key


def test_staffing_errors_are_planning_errors():
    err = StaffingInputError([("名册缺少列 role", "roster: column role is missing"),
                              ("名册有空的人员编码", "roster: empty person_code")])
    assert isinstance(err, BadInput) and isinstance(err, ValueError)
    assert err.problems == (("名册缺少列 role", "roster: column role is missing"),
                            ("名册有空的人员编码", "roster: empty person_code"))
    # the message is unchanged: one "zh / en" line per problem
    assert str(err) == ("名册缺少列 role / roster: column role is missing\n"
                        "名册有空的人员编码 / roster: empty person_code")
    assert err.message("en") == "roster: column role is missing\nroster: empty person_code"
    assert issubclass(StaffingNotSolved, NotSolved)


def test_funding_infeasible_names_the_unit():
    # U0: floor 500 above its cap 400 -> infeasible before solving, naming U0 only
    t = pd.DataFrame({"unit_code": ["U0", "U1"], "unit_name": ["U0", "U1"],
                      "left_behind": [1, 1], "designations": ["", ""],
                      "floor": [500.0, float("nan")], "cap": [400.0, float("nan")]})
    with pytest.raises(PlanningError) as exc:
        allocate(FundingUnits(t), 1000, load_policy().funding)
    err = exc.value
    assert isinstance(err, FundingInfeasible) and err.kind == "infeasible"
    assert err.reasons == ("bound_above_cap",) and err.ids == ("U0",)
    assert "U0" in err.message("zh") and "高于上限" in err.message("zh")
    assert "above the cap" in err.message("en") and "上限" not in err.message("en")


def test_data_error_carries_the_report():
    r = Report()
    r.add("error", "negative_count", layer="villages", file="v.csv", row=4,
          feature_id="500109102001", column="resident_children", value=-5,
          zh="不能为负数", en="cannot be negative", fix_zh="改为 0 或正数", fix_en="use 0 or more")
    r.add("warning", "header_renamed", layer="villages", file="v.csv", zh="改名", en="renamed",
          fix_zh="无", fix_en="none")
    err = DataError(r)
    assert isinstance(err, BadInput) and err.kind == "data_error"
    assert err.report is r and str(err) == r.render()  # unchanged
    assert err.reasons == ("data_error", "negative_count")  # the summary, then each error
    assert err.ids == ("500109102001",)
    assert "不能为负数" in err.message("zh") and "cannot be negative" in err.message("en")


def test_batch_reports_a_staffing_failure_with_its_reason(tmp_path, monkeypatch):
    """A county whose staffing cannot be solved is reported as not_solved with the reason."""
    import childplan.workflows as wf
    from childplan.batch import FAILED_MARKER, find_counties, plan_county

    def no_plan(*args, **kwargs):
        raise StaffingNotSolved(zh="A 批 主任 级求解无可行方案，乡镇：500109102",
                                en="stage director returned no plan for townships 500109102",
                                reason="not_solved", ids=["500109102"])

    monkeypatch.setattr(wf, "run_staffing", no_plan)
    job = find_counties(["500109"])[0]
    summary = plan_county(job, str(tmp_path), load_policy())
    assert summary["status"] == "failed"
    assert summary["reason_code"] == "not_solved"  # was the generic "error"
    assert "500109102" in summary["reason_zh"] and "求解无可行方案" in summary["reason_zh"]
    assert "returned no plan" in summary["reason_en"]
    assert (tmp_path / "500109" / FAILED_MARKER).is_file()
    assert not (tmp_path / "500109" / "error.txt").exists()  # no traceback: an explained error


def test_batch_reports_bad_staffing_input(tmp_path):
    from childplan.batch_county import _failure

    got = _failure(StaffingInputError([("名册性别须为 F/M：P1", "roster: gender must be F or M "
                                                               "for P1")]), tmp_path)
    assert got == {"reason_code": "bad_input", "reason_zh": "名册性别须为 F/M：P1",
                   "reason_en": "roster: gender must be F or M for P1"}


def test_siting_errors_are_planning_errors():
    from optimization.siting import SitingInfeasible, SitingIssue, SitingNotSolved

    err = SitingInfeasible([SitingIssue("no_site_in_reach", ("V1", "V2"), ("S1",),
                                        "村 V1、V2 无可达场所", "villages V1, V2: no site in reach")])
    assert isinstance(err, Infeasible) and err.kind == "infeasible"
    assert err.reasons == ("no_site_in_reach",) and err.villages == ("V1", "V2")
    assert err.ids == ("V1", "V2", "S1")
    assert str(err) == "村 V1、V2 无可达场所 / villages V1, V2: no site in reach"  # unchanged
    assert err.message("en") == "villages V1, V2: no site in reach"
    n = SitingNotSolved("siting status no_solution")
    assert isinstance(n, NotSolved) and str(n) == "siting status no_solution"  # not doubled
