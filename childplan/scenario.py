"""A plan solved headless and saved as a scenario, and the briefing of a saved scenario.

``childplan scenario save NAME`` solves siting, staffing and funding as the app does (the
same :mod:`childplan.workflows` calls) and stores exactly that plan: its data reference
(content digest, county, files), the policy overrides, each result with its solver status
and options, the result tables and the key figures. ``childplan brief --scenario NAME``
reads it back and briefs those stored results, not a new solve.

Nothing here touches Streamlit or the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from childplan.plan import (
    PLAN_TABLE,
    DataRef,
    Plan,
    Result,
    data_digest,
    plan_of_tables,
    policy_digest,
)
from childplan.plan import plan_table as _plan_table
from childplan.store import Scenario

__all__ = [
    "SolvedPlan",
    "saved_briefing_inputs",
    "saved_plan",
    "scenario_record",
    "solve_plan",
]

#: The siting options of a plan solved without must/never/locked sites (the app's format).
NO_SITES = {"locked": {}, "must_open": [], "never_open": []}


@dataclass(frozen=True, eq=False)
class SolvedPlan:
    """A plan and the results it names: siting, staffing (with its tables), funding."""

    plan: Plan
    siting: object  # workflows.SitingResult
    staffing: object  # workflows.StaffingResult
    funding: pd.DataFrame


def solve_plan(data, policy, overrides: dict, *, solver: str = "cbc",
               budget: int = 5_000_000, files: tuple[str, ...] = (),
               source: str = "") -> SolvedPlan:
    """Solve siting, staffing and funding for ``data`` under ``policy``.

    Funding earmarks the homes' set-up cost and the directors' subsidies first (the app's
    two 专项 boxes ticked), then splits the rest of ``budget``; a budget below the earmarks
    raises :class:`~optimization.funding.FundingInfeasible` (never raised silently).
    ``overrides`` are the dotted overrides ``policy`` was made with (what the plan stores).
    """
    from childplan.workflows import (
        StaffingResult,
        run_funding,
        run_siting,
        run_staffing,
        staffing_metric,
        staffing_outputs,
        township_units,
    )

    digest = data_digest(data)
    pol = policy_digest(overrides)
    siting = run_siting(data, policy, solver=solver)
    splan = run_staffing(data, policy, solver=solver)
    staffing = StaffingResult(plan=splan, tables=staffing_outputs(splan, staffing_metric(policy)))
    units = township_units(data, policy, homes=siting.homes, staffing=splan)
    funding = run_funding(units, int(budget), policy).table
    ref = DataRef(digest=digest, adcode=str(data.adcode), county=str(data.name),
                  files=tuple(files), source=source or f"demo:{data.adcode}")
    results = {
        "siting": Result(kind="siting", data=digest, policy=pol,
                         options={"solver": solver, "sites": NO_SITES},
                         status=str(siting.plan.stats.status)),
        "staffing": Result(kind="staffing", data=digest, policy=pol,
                           options={"solver": solver}, status=str(splan.stats.status)),
        "funding": Result(kind="funding", data=digest, policy=pol,
                          options={"budget": int(budget), "earmark_homes": True,
                                   "earmark_staffing": True}, status="allocated"),
    }
    widgets = {"funding_budget": int(budget), "funding_use_siting": True,
               "funding_use_staffing": True, "siting_solver": solver, "staffing_solver": solver}
    plan = Plan(data=ref, overrides=dict(overrides), results=results, widgets=widgets)
    return SolvedPlan(plan=plan, siting=siting, staffing=staffing, funding=funding)


def scenario_record(name: str, data, solved: SolvedPlan, *, note: str = "") -> Scenario:
    """The :class:`~childplan.store.Scenario` that stores exactly ``solved``.

    Tables: homes, assignments, staffing_<table> and staffing_totals, funding, the
    per-township summary and the plan itself; figures: :func:`~childplan.workflows.key_figures`.
    """
    from childplan.workflows import key_figures, township_summary

    s, st_ = solved.siting, solved.staffing
    tables = {"homes": s.homes, "assignments": s.assignments,
              **{f"staffing_{k}": v for k, v in st_.tables.items()},
              "staffing_totals": st_.plan.totals, "funding": solved.funding,
              "townships": township_summary(data, homes=s.homes, staffing=st_.plan,
                                            funding=solved.funding),
              PLAN_TABLE: _plan_table(solved.plan)}
    figures = key_figures(data, homes=s.homes, assignments=s.assignments, staffing=st_.plan,
                          funding=solved.funding)
    ref = solved.plan.data
    return Scenario(name=name, adcode=ref.adcode, county_name=ref.county,
                    data_source=ref.source, overrides=solved.plan.overrides, note=note,
                    tables=tables, figures=figures)


def saved_plan(scenario: Scenario) -> Plan:
    """The plan a scenario stores (one made of its overrides alone for an older save)."""
    return plan_of_tables(scenario.tables, name=scenario.name) or Plan(
        overrides=scenario.overrides or {}, name=scenario.name)


def saved_briefing_inputs(scenario: Scenario, data, policy):
    """The briefing's inputs from a saved scenario's own tables (no new solve).

    A result the scenario does not hold is left out (the briefing then says 未求解); the
    danger spots are computed from ``data`` and ``policy`` (they are not a stored result).
    The 按儿童加权的平均距离 comes from the one definition,
    :func:`~childplan.workflows.child_weighted_mean_distance`.
    """
    from childplan.workflows import child_weighted_mean_distance, hazard_spots
    from geo.briefing import BriefingInputs

    t = scenario.tables or {}
    assignments = t.get("assignments")
    return BriefingInputs(
        homes=t.get("homes"), assignments=assignments, staffing_totals=t.get("staffing_totals"),
        funding=t.get("funding"), spots=hazard_spots(data, policy),
        mean_distance_m=(child_weighted_mean_distance(assignments)
                         if assignments is not None else None))
