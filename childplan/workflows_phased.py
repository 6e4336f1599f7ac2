"""The phased plan (分年度计划) the CLI (``childplan site --years …``) and the app page both call.

:func:`yearly_counts` turns the county's village layer into counts per plan year: with person
lists, each village's counts are scaled by the change the lists project for it
(:func:`geo.persons.project_years`: children ageing out at 18, entries at the planner's rate or
the observed 0–5 cohorts); without lists the layer's counts hold for every year (and the result
says so). :func:`run_phased` builds the phased MILP on the same siting inputs as
:func:`childplan.workflows.run_siting` and returns a :class:`PhasedResult`;
:func:`phased_tables` gives its tables with Chinese (or English) headers and words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from childplan.workflows import _Fields, village_points
from geo.layers import CountyData
from optimization.phased import PhasedPlan, build_phased_problem, solve_phased
from optimization.policy import Policy
from optimization.vocab import DIFFICULTY_COLUMNS

__all__ = ["PhasedResult", "phased_tables", "run_phased", "trained_directors", "yearly_counts"]

#: Village count columns scaled by a person list's projection.
SCALED_COLUMNS = ("resident_children", "left_behind", *DIFFICULTY_COLUMNS, "key_attention")
#: Columns of phased_homes.csv and phased_years.csv (stable codes; headers localised).
HOMES_OUT = ["home_id", "name", "kind", "status", "open_year", "cost_yuan", "village_code",
             "lon", "lat"]
YEARS_OUT = ["year", "budget_yuan", "available_yuan", "spent_yuan", "unspent_yuan",
             "homes_opened", "homes_open", "villages_covered", "children", "children_covered",
             "coverage_pct", "weighted_coverage", "weighted_total", "directors", "supervisors"]
TRAINING_OUT = ["year", "position", "kind", "month", "sessions", "trainees", "organiser"]


@dataclass(frozen=True, eq=False)
class PhasedResult(_Fields):
    """What :func:`run_phased` returns.

    Attributes
    ----------
    plan : optimization.phased.PhasedPlan
        The plan across years (stats, openings, assignments, years, training).
    homes : DataFrame
        :data:`HOMES_OUT`: every home opened, with its name and open year.
    by_year : DataFrame
        :data:`YEARS_OUT`: budget, spent, coverage, directors per year.
    training : DataFrame
        :data:`TRAINING_OUT`: the training calendar by year.
    counts : DataFrame
        The yearly village counts the plan was made on (no personal data).
    projected : bool
        True when person lists projected the counts; False: the layer's counts every year.
    sources : dict
        Person-list file name -> SHA-256 (empty without lists).
    metric : str
        Distance metric of the pairs (``straight``, ``road_m``, ``walk_min``).
    """

    plan: PhasedPlan
    homes: pd.DataFrame
    by_year: pd.DataFrame
    training: pd.DataFrame
    counts: pd.DataFrame
    projected: bool
    sources: dict
    metric: str = "straight"

    @property
    def status(self) -> str:
        """The solve status (``optimal`` only when proven)."""
        return self.plan.stats.status


def yearly_counts(data: CountyData, years: Sequence[int], persons=None, *,
                  entry_rate: float | None = None) -> pd.DataFrame:
    """Village counts per plan year (one row per village and year).

    ``persons`` is a :class:`geo.persons.PersonCounts`: each village's counts
    (:data:`SCALED_COLUMNS`) are multiplied by ``projected(year) / projected(reference year)``
    of its listed children (a village with nobody on the lists keeps its counts). Without it
    the layer's counts are used for every year.
    """
    base = village_points(data).drop(columns=["lon", "lat", "is_synthetic"], errors="ignore")
    frames = []
    factor = _factors(persons, years, entry_rate) if persons is not None else None
    for y in years:
        f = base.copy()
        f["year"] = int(y)
        if factor is not None:
            k = f["village_code"].astype(str).map(factor.get(int(y), {})).fillna(1.0)
            for c in SCALED_COLUMNS:
                if c in f.columns:
                    f[c] = (pd.to_numeric(f[c], errors="coerce").fillna(0) * k).round(2)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def _factors(persons, years: Sequence[int], entry_rate) -> dict[int, dict[str, float]]:
    from geo.persons import project_years

    ref = persons.as_of.year
    proj = project_years(persons, sorted({ref, *map(int, years)}), entry_rate=entry_rate)
    now = proj[proj["year"] == ref].set_index("village_code")["children"]
    out: dict[int, dict[str, float]] = {}
    for y in years:
        p = proj[proj["year"] == int(y)].set_index("village_code")["children"]
        ok = now.reindex(p.index).fillna(0) > 0
        out[int(y)] = (p[ok] / now.reindex(p.index)[ok]).to_dict()
    return out


def trained_directors(data: CountyData) -> int:
    """Roster people who may serve as directors with a training on record: trained now."""
    r = data.roster
    if r is None or not len(r):
        return 0
    if "candidate_for" in r.columns:
        r = r[r["candidate_for"].astype(str) != "supervisor"]
    done = pd.Series(False, index=r.index)
    for c in ("initial_training_date", "last_training_date"):
        if c in r.columns:
            done |= r[c].notna() & (r[c].astype(str).str.strip() != "")
    return int(done.sum())


def run_phased(data: CountyData, policy: Policy, years: Sequence[int],
               budgets: Sequence[float], *, persons=None, entry_rate: float | None = None,
               carry_over: bool | None = None, solver: str = "cbc",
               time_limit_s: float | None = None,
               never_open: Sequence[str] = ()) -> PhasedResult:
    """A phased plan for a county: openings by year under each year's budget.

    Raises DataError, PhasedInputError or SitingInfeasible (all PlanningErrors).
    ``persons`` (a :class:`geo.persons.PersonCounts`, already checked) projects the counts;
    ``carry_over`` lets unspent budget carry to later years (None: the policy's
    ``siting.budget_carry_over``, a planning default of no);
    ``never_open`` lists site ids that must not open.
    """
    from geo.siting_inputs import siting_inputs
    from geo.travel import siting_travel

    data.require_ok()
    if carry_over is None:
        carry_over = bool(policy.siting.budget_carry_over)
    metric = policy.siting.travel_metric
    matrix = None
    if metric != "straight":
        matrix, policy = siting_travel(data, policy, metric)
    _, sites, pairs = siting_inputs(data.villages, data.facilities, policy.siting,
                                    waterways=data.waterways, crossings=data.crossings,
                                    travel_matrix=matrix)
    counts = yearly_counts(data, years, persons, entry_rate=entry_rate)
    pp = build_phased_problem(counts, sites, pairs, policy.siting, budgets=budgets,
                              years=years, carry_over=carry_over, never_open=never_open)
    plan = solve_phased(pp, solver, staffing=policy.staffing,
                        trained_now=trained_directors(data), time_limit_s=time_limit_s)
    return PhasedResult(plan=plan, homes=_homes(data, plan), by_year=plan.by_year[YEARS_OUT],
                        training=plan.training[TRAINING_OUT], counts=counts,
                        projected=persons is not None,
                        sources=dict(getattr(persons, "sources", {}) or {}), metric=metric)


def _homes(data: CountyData, plan: PhasedPlan) -> pd.DataFrame:
    h = plan.homes.rename(columns={"site_id": "home_id"}).copy()
    fac = (data.facilities.set_index("facility_id")["name"].astype(str).to_dict()
           if len(data.facilities) and "name" in data.facilities else {})
    vnames = data.villages.set_index("village_code")["name"].astype(str).to_dict()
    h["name"] = [fac.get(i) or f"{vnames.get(v, v)}（新建）"
                 for i, v in zip(h["home_id"], h["village_code"], strict=True)]
    return h[HOMES_OUT]


def phased_tables(result: PhasedResult, lang: str = "zh", *, codes: bool = False,
                  screen: bool = False) -> dict[str, pd.DataFrame]:
    """``phased_homes``, ``phased_years``, ``phased_training`` for export or display.

    Chinese headers and words by default (:mod:`geo.i18n`); ``codes=True`` keeps the stable
    column codes and values; ``screen=True`` is the page's copy (numbers with 千分位, no home
    ids or coordinates: :func:`geo.fmt.screen_table`).
    """
    from geo.fmt import screen_table
    from geo.i18n import enum_label, localise_headers, t

    homes, years, training = result.homes.copy(), result.by_year.copy(), result.training.copy()
    if codes:
        return {"phased_homes": homes, "phased_years": years, "phased_training": training}
    homes["kind"] = [enum_label("kind", k, lang) for k in homes["kind"]]
    homes["status"] = [enum_label("action", s, lang) for s in homes["status"]]
    for c in ("position", "kind", "organiser"):
        training[c] = [t(f"phased_{c}.{v}", lang) for v in training[c]]
    frames = (("phased_homes", homes), ("phased_years", years), ("phased_training", training))
    if screen:
        frames = tuple((n, screen_table(f, drop=("home_id", "lon", "lat"))) for n, f in frames)
    return {name: localise_headers(frame, lang) for name, frame in frames}


def summary_figures(result: PhasedResult) -> dict[str, Any]:
    """Totals for a status line: spent, homes, final-year coverage, status."""
    y = result.by_year
    return {"spent_yuan": int(y["spent_yuan"].sum()), "homes": len(result.homes),
            "final_coverage_pct": float(y["coverage_pct"].iloc[-1]) if len(y) else np.nan,
            "status": result.status}


def phased_key_figures(result: PhasedResult) -> dict[str, float]:
    """The figures a scenario comparison shows for a phased plan.

    Stable keys (labels: :data:`geo.i18n.FIGURE_LABELS`): totals, then each year's coverage and
    spending (``phased_coverage_pct@2026``).
    """
    y = result.by_year
    fig = {"phased_spent_yuan": float(y["spent_yuan"].sum()),
           "phased_homes_opened": float(y["homes_opened"].sum()),
           "phased_final_coverage_pct": float(y["coverage_pct"].iloc[-1]) if len(y) else np.nan}
    for _, r in y.iterrows():
        fig[f"phased_coverage_pct@{int(r['year'])}"] = float(r["coverage_pct"])
        fig[f"phased_spent_yuan@{int(r['year'])}"] = float(r["spent_yuan"])
    return fig


def year_view(data: CountyData, result: PhasedResult,
              year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plan as it stands in ``year``: the homes open by then and who goes where.

    Returns ``(homes, assignments)`` in the shape of :func:`childplan.workflows.run_siting`'s
    tables, so the siting map draws them: homes opened in or before ``year`` (with the children
    and villages they serve that year), each village's home that year with that year's
    (projected) resident children; a village no open home serves has an empty ``home_id``.
    """
    year = int(year)
    if year not in set(int(y) for y in result.plan.years):
        raise ValueError(f"{year} is not a year of this plan ({list(result.plan.years)})")
    a = result.plan.assignments
    a = a[a["year"] == year].drop(columns=["year"]).copy()
    a["village_code"] = a["village_code"].astype(str)
    v = village_points(data)[["village_code", "name", "lon", "lat"]].assign(
        village_code=lambda f: f["village_code"].astype(str))
    a = a.merge(v, on="village_code", how="left")
    h = result.homes[result.homes["open_year"].astype(int) <= year].copy()
    a["home_id"] = a["home_id"].astype(str)
    pos = h.set_index("home_id")[["lon", "lat", "village_code"]]
    served = a["home_id"] != ""
    a["home_lon"] = a["home_id"].map(pos["lon"]).where(served)
    a["home_lat"] = a["home_id"].map(pos["lat"]).where(served)
    a["own_home"] = served & (a["home_id"].map(pos["village_code"]).astype(str) == a["village_code"])
    # the model's distance: metres straight or by road; for walk_min it holds minutes
    a["metric"] = result.metric
    if result.metric == "walk_min":
        a["walk_min"] = a["distance_m"]
    load = a[served].groupby("home_id").agg(children_served=("resident_children", "sum"),
                                            villages_served=("village_code", "size"))
    h["children_served"] = h["home_id"].map(load["children_served"]).fillna(0).to_numpy()
    h["villages_served"] = h["home_id"].map(load["villages_served"]).fillna(0).astype(int)
    return h.reset_index(drop=True), a


def county_in_year(data: CountyData, result: PhasedResult, year: int) -> CountyData:
    """The county as the phased plan projects it for ``year``.

    Each village's counts (:data:`SCALED_COLUMNS`) come from the plan's year table, rounded to
    whole children for the map and its tables (the model keeps the fractions); other layers
    are unchanged.
    """
    from dataclasses import replace

    year = int(year)
    c = result.counts[result.counts["year"].astype(int) == year]
    if not len(c):
        raise ValueError(f"{year} is not a year of this plan ({list(result.plan.years)})")
    c = c.assign(village_code=c["village_code"].astype(str)).set_index("village_code")
    v = data.villages.copy()
    codes = v["village_code"].astype(str)
    for col in SCALED_COLUMNS:
        if col in v.columns and col in c.columns:
            got = codes.map(pd.to_numeric(c[col], errors="coerce")).round(0)
            v[col] = got.where(got.notna(), v[col]).to_numpy()
    return replace(data, villages=v)
