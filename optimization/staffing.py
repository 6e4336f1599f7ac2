r"""Child directors (儿童主任) and supervisors (儿童督导员): who serves where, and the workload.

A pure model of plain data: villages and a candidate roster (codes only, never names) in, a
frozen :class:`StaffingPlan` out. Nothing here reads files or draws maps.

Demand per village (003 §16)
----------------------------
:math:`n_v` = left-behind + orphan + unsupported + illness/disability + 低保/特困 + other
difficulty (the service targets). Directors needed::

    d_v = max(directors_min_per_village, ceil(n_v / targets_per_director))
          + 1  if resident_children_v >= many_children_threshold   (常住儿童数量较多)

With the defaults (1, 30): 30 targets -> 1 director, 31 -> 2, 60 -> 2, 61 -> 3; a village with at
least 400 resident children gets one more on top.

Monthly workload (003 §8)
-------------------------
Key-attention cases :math:`k_v` are counted among the targets (clipped to :math:`n_v`)::

    contacts  c_v = n_v * contacts_per_month                  (by phone or in passing: no trip)
    visits    h_v = (n_v - k_v) / home_visit_interval_months
              + k_v / key_attention_visit_interval_months
    hours     H_v = (c_v * minutes_per_contact + h_v * minutes_per_home_visit) / 60
    trips     t_v = ceil(h_v / home_visits_per_trip)          (home visits are grouped into trips)

A visit does not replace that month's contact (conservative). The village's work is shared
equally by its :math:`d_v` posts, filled or not (a vacancy's share waits for the recruit), and
a director living elsewhere travels there and back on each of their trips::

    a_pv = H_v / d_v + (t_v / d_v) * 2 * dist(home_p, v) / travel_speed        [hours/month]

Distances are great-circle metres between village points (lon/lat), or taken from a distance
table (road distances if you have them); serving one's own village costs no travel.

Assignment model (one block at a time)
--------------------------------------
Posts: :math:`d_v` director slots per village, ``supervisors_per_township`` supervisor slots per
township. Candidates: a director pair :math:`(p, v)` exists when the role is in
``eligible_director_roles``, ``candidate_for`` is not ``supervisor``, the initial training can be
held before the start date, ``dist(home_p, v) <= max_travel_m`` and (``stay_within_township``) the
village is in the person's township; a supervisor pair :math:`(p, t)` when the role is in
``eligible_supervisor_roles``, ``candidate_for`` is ``supervisor`` or ``either`` and
:math:`t` is the person's own township.

What one director takes on is a *set* :math:`S` of villages: each single village in reach, and,
when ``max_villages_per_director`` K > 1, every set of 2..K "small" villages in reach (one
director needed, at most ``small_village_max_targets`` targets) that are pairwise within
``neighbour_distance_m`` ("neighbouring"). Its hours are :math:`h_{pS} = \sum_{v \in S} a_{pv}`.
Variables :math:`x_{pS}, u_{pt} \in \{0,1\}`; shortfalls :math:`s^1_v \in \{0,1\},
s^2_v \in \{0..d_v-1\}` (first and further directors), :math:`r^1_t, r^2_t` (supervisors).
Each family is built by one function and every row is named::

    assign_once_p<code>   sum_S x_pS + u_pt <= 1           one set of villages or one township post
    cover_v<code>         sum_{p, S containing v} x_pS + s1_v + s2_v = d_v
    supervise_t<code>     sum_p u_pt + r1_t + r2_t = S
    level_a_b<block>      Z_b <= Z*_b + 0.5                (stages B, C)
    level_b_b<block>      Q_b <= Q*_b (1 + 1e-6) + 1e-6    (stage C)

(Variables are named ``x_<person>_<village>[_<village>…]``.) Enumerating the sets keeps each
person's choice exact and its LP relaxation tight; an earlier aggregated capacity row
(``sum w x <= K``) let the LP take half a large village beside a small one, and CBC could not
close the gap.

Lexicographic objectives
------------------------
A. **Coverage, then preference** — one objective with *provably dominating integer weights*::

       min Z_b = W2 * (W1 * (sum s1 + sum r1) + sum s2 + sum r2)
                 - sum pi_p (|S| x_pS + u_pt)

   W1 = (further slots in the block) + 1, so one first post (every village's first director,
   every township's supervisor: the "at least one" rules) outweighs all further posts (增配);
   W2 = (slots in the block) * max pi + 1 exceeds any preference total. The preference score
   :math:`\pi_p` is the sum of the ``preference_weights`` a person meets (female committee member,
   women's-federation cadre, Youth League cadre, woman, committee member — 001 二(二)1,
   002 二(一)), scaled to integers. Z is integer, so an absolute gap below one (0.5) is exact:
   coverage is maximal and, among maximal plans, preference is maximal. (Should W1·W2 exceed
   1e9, the MILP path splits the stage into two sequential solves.)
B. **Workload balance** — min the sum over directors of their squared monthly hours,
   :math:`Q_b = \sum_{p,S} h_{pS}^2 x_{pS}` (linear and exact, as a person takes one set): for a
   given total it is the variance, so it spreads the load and keeps long trips away from heavy
   villages.
   (A minimax objective was tried first: it only looks at the heaviest director of a township,
   and its LP relaxation is so weak that 200 villages did not close in 60 s.)
C. **Travel** — min :math:`\sum t_{pS} x_{pS}`, the sets' travel hours.

Sequential solves, each held at the previous optimum. With K = 1 (the default) every stage is
an **LP**: persons on one side and posts on the other make a bipartite b-matching, which is
totally unimodular, so LP vertices are integral; after each stage the model is restricted to
that stage's optimal face by complementary slackness (a column with a nonzero reduced cost is
fixed at its bound, a row with a nonzero dual becomes an equality — the set of optimal
solutions exactly, and still totally unimodular; with stage A's integer costs the duals are
integral, so the test "nonzero" is exact; stage B uses 1e-7 of its largest cost), columns fixed
at zero are dropped, and the ``level`` rows are added as a safety net. A batch whose LP vertex
is fractional falls back to the MILP path: the same stages as MILPs held by the ``level`` rows
(stage A to an absolute gap of 0.5, exact; B and C to ``gap_rel``). Shortfalls become the
recruitment list.

Decomposition
-------------
Blocks are the connected components of the candidate–post graph (within townships when
``stay_within_township``, so a block never spans two townships); objective and rows are
separable by block, so solving blocks apart gives the monolithic optimum. For the LPs, blocks
are grouped into a few models ("batches", up to ``max_batch_pairs`` variables) to save solver
start-up time, each block keeping its own weights and ``level`` rows; MILPs are solved one block
per model (in one model their branch-and-bound trees would multiply).

Training (001 二(二)2, 002 二(二), 004 一(三))
--------------------------------------------
A candidate without ``initial_training_date`` may start only after an initial training. With no
``initial_training_sessions`` listed, one is assumed ``initial_training_lead_months`` before
``start_date``; otherwise the earliest listed session before the start date is used, and a
candidate with no such session is *flagged* (not assigned while ``initial_training_required``)
and listed for the next session. Annual trainings fall ``annual_training_interval_months`` after
the last one (overdue ones at the start month) and are listed for the 12 months from the start.

Examples
--------
>>> import pandas as pd
>>> from optimization.policy import load_policy
>>> villages = pd.DataFrame({"village_code": ["500109102001"], "resident_children": [120],
...                          "left_behind": [31]})
>>> int(village_demand(villages, load_policy().staffing)["directors_needed"].iloc[0])
2
"""

from __future__ import annotations

import pandas as pd

from optimization.staffing_output import staffing_tables
from optimization.staffing_problem import (
    StaffingPlan,
    StaffingProblem,
    StaffingSolveStats,
    StageStats,
    build_staffing_problem,
)
from optimization.staffing_rules import (
    DIFFICULTY_COLUMNS,
    PREFERENCE_LABELS,
    RECRUIT_COLUMNS,
    STAFFING_COLUMNS,
    SUPERVISOR_COLUMNS,
    TRAINING_COLUMNS,
    StaffingInputError,
    StaffingNotSolved,
    preference_scores,
    training_schedule,
    travel_hours,
    village_demand,
)
from optimization.staffing_solve import solve_staffing, write_staffing_lp
from optimization.staffing_synthetic import make_synthetic_county

__all__ = [
    "DIFFICULTY_COLUMNS",
    "PREFERENCE_LABELS",
    "RECRUIT_COLUMNS",
    "STAFFING_COLUMNS",
    "SUPERVISOR_COLUMNS",
    "TRAINING_COLUMNS",
    "StageStats",
    "StaffingInputError",
    "StaffingNotSolved",
    "StaffingPlan",
    "StaffingProblem",
    "StaffingSolveStats",
    "build_staffing_problem",
    "make_synthetic_county",
    "plan_staffing",
    "preference_scores",
    "solve_staffing",
    "staffing_tables",
    "training_schedule",
    "travel_hours",
    "village_demand",
    "write_staffing_lp",
]


def plan_staffing(villages: pd.DataFrame, roster: pd.DataFrame, policy=None, *,
                  distance_m: pd.DataFrame | None = None, solver: str = "cbc",
                  threads: int | None = None) -> StaffingPlan:
    """Build and solve in one call: ``solve_staffing(build_staffing_problem(...))``.

    See :func:`build_staffing_problem` and :func:`solve_staffing`.
    """
    problem = build_staffing_problem(villages, roster, policy, distance_m=distance_m)
    return solve_staffing(problem, solver=solver, threads=threads)
