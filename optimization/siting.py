r"""Siting shared village children's homes (儿童之家): a sparse, exact, explainable MILP.

Policy (004 二(一); DOMAIN.md "Facilities"): a village with at least ``own_home_threshold``
resident children gets its own home; smaller villages may jointly use a shared (regional) home
hosted by a candidate site — an existing 儿童之家, a service station, the village school or
kindergarten, a 妇女之家 / 农家书屋 / 学校少年宫 (reuse), or a new build at a village centre —
within ``travel_cap_m``.

Own homes
---------
A village with ``resident_children >= own_home_threshold`` is served by a home inside it, and
**which site is a decision of the model**: a binary per in-village candidate, exactly one per
large village, its cost counted like any other (``own_home_v<code>`` rows). Where the policy's
``keep_existing_home`` holds (004 二(一) 避免重复建设), a village that has an existing 儿童之家
keeps it. Such a home **may also host small neighbours** (jointly built regional homes): the
capacity it leaves for them is :math:`Q_j - \min(c_{own}, Q_j)`, never negative — capacity
never denies a large village its home (``capacity_use`` may exceed 1) and a village without
children never makes a model infeasible (it joins an open home in reach afterwards).

Formulation and solve
---------------------
Sets: villages :math:`i` with children :math:`c_i` and coverage weight :math:`w_i`; candidate
sites :math:`j` with cost :math:`f_j` (yuan) and capacity :math:`Q_j` (0 = unlimited); feasible
pairs only — a small village's within the cap (same township when required, a river crossed
only at a crossing, see ``geo.siting_inputs``), a large village's with the sites inside it.
Variables :math:`y_j` (open), :math:`x_{ij}` (assign; binary for large villages and where
:math:`Q_j > 0`, i.e. single-source), :math:`z_i` (covered; budget only). The constraint
families (``own_home_v``, ``cover_v``, ``link_v_s``, ``capacity_s``, ``must_open_s``,
``lock_v_s``, ``budget_new_homes``, ``coverage_floor``) are built one function each in
:mod:`optimization.siting_model`; the lexicographic objectives — (1) coverage under a budget,
(2) cost, (3) child-weighted distance, ties in cost broken by distance — and how bounds are
proven are in :mod:`optimization.siting_solve`. Every model goes through the one solver layer
:mod:`optimization.solver`; a status is ``"optimal"`` only when the proven gaps say so.

Modules: :mod:`~optimization.siting_problem` (inputs, checks, errors),
:mod:`~optimization.siting_greedy` (heuristic start), :mod:`~optimization.siting_model`
(formulation), :mod:`~optimization.siting_solve` (solve), :mod:`~optimization.siting_plan`
(the plan). This module gathers their public names.

Examples
--------
>>> import numpy as np
>>> d = np.array([[0.0, 900.0], [800.0, 0.0], [2500.0, 600.0]])
>>> prob = SitingProblem.from_cost_matrix(d, children=[30, 40, 20], site_cost=[20000, 30000],
...                                        travel_cap_m=2000)
>>> plan = solve_siting(prob)
>>> plan.homes["home_id"].tolist(), plan.total_cost_yuan
(['s1'], 30000.0)
"""

from __future__ import annotations

import os

from optimization.siting_greedy import greedy_result
from optimization.siting_model import monolithic_model
from optimization.siting_plan import BlockStats, SitingPlan, SolveStats
from optimization.siting_problem import (
    STATUSES,
    SitingInfeasible,
    SitingIssue,
    SitingNotSolved,
    SitingParams,
    SitingProblem,
    build_siting_problem,
    p_median_problem,
)
from optimization.siting_solve import greedy_plan, solve_siting
from optimization.solver import write_lp

__all__ = [
    "STATUSES",
    "BlockStats",
    "SitingInfeasible",
    "SitingIssue",
    "SitingNotSolved",
    "SitingParams",
    "SitingPlan",
    "SitingProblem",
    "SolveStats",
    "build_siting_problem",
    "greedy_plan",
    "greedy_result",
    "monolithic_model",
    "p_median_problem",
    "solve_siting",
    "write_siting_lp",
]


def write_siting_lp(problem: SitingProblem, path: str | os.PathLike) -> None:
    """Write the whole (monolithic) cost–distance model as a readable LP file.

    Every variable and constraint carries its name (``own_home_v<code>``, ``cover_v<code>``,
    ``link_v<code>_s<id>``, ``capacity_s<id>``...), so the file reads like the policy when a
    plan looks wrong.
    """
    write_lp(monolithic_model(problem), path)
