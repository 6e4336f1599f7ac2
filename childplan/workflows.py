"""What the app's pages and the CLI's subcommands both call: data in, plans and tables out.

Each function takes a validated :class:`~geo.layers.CountyData` and a
:class:`~optimization.policy.Policy` and returns the pure model's plan; the page renders it,
the CLI writes it. Nothing here touches Streamlit or the terminal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from geo.layers import CountyData
from optimization.funding import FundingPlan, FundingUnits, allocate, tilt_path
from optimization.policy import Policy
from optimization.staffing import StaffingPlan, plan_staffing, staffing_tables
from optimization.vocab import DIFFICULTY_COLUMNS, TARGET_TYPES

__all__ = [
    "FundingResult",
    "HazardFiles",
    "PatrolPdf",
    "SitingResult",
    "StaffingResult",
    "county_units",
    "run_funding",
    "run_hazards",
    "run_siting",
    "run_staffing",
    "staffing_distances",
    "staffing_outputs",
    "township_units",
    "village_points",
]


# --- typed results -------------------------------------------------------------------------

class _Fields:
    """Read-only mapping view of a frozen result (``result["homes"]`` for older callers)."""

    def __getitem__(self, name: str) -> Any:
        if name not in self.keys():
            raise KeyError(name)
        return getattr(self, name)

    def keys(self) -> tuple[str, ...]:
        """The field names."""
        return tuple(f.name for f in fields(self))


@dataclass(frozen=True, eq=False)
class SitingResult(_Fields):
    """What :func:`run_siting` returns.

    Attributes
    ----------
    plan : optimization.siting.SitingPlan
        The solved plan (stats, uncovered villages, cost).
    homes, assignments : DataFrame
        The plan's tables with names and coordinates (``home_id`` is ``""`` for a village
        left uncovered under a budget).
    sites : GeoDataFrame
        Every candidate site.
    pairs : DataFrame
        The feasible village–site pairs with the bridge used (``via``).
    metric : str
        ``straight``, ``road_m`` or ``walk_min`` (:mod:`geo.travel`): what the distances are.
    capacity_applied : bool
        The planner applied capacities beyond the data's (``siting.capacity_defaults_on`` or
        ``siting.default_capacity`` > 0). homes.csv carries :data:`CAPACITY_COLUMNS` then, and
        also whenever the data give a home a capacity (:attr:`homes_columns`).
    """

    plan: Any
    homes: pd.DataFrame
    assignments: pd.DataFrame
    sites: Any
    pairs: pd.DataFrame
    metric: str = "straight"
    capacity_applied: bool = False

    @property
    def homes_columns(self) -> list[str]:
        """homes.csv's columns: :data:`HOMES_COLUMNS`, plus the load against capacity.

        The load columns come whenever a capacity is set: applied by the planner, or in the
        data (facilities.capacity) — so that an own home of 80 places serving its own 387
        children is flagged ``own_beyond_capacity``, not left to read as an error.
        """
        if self.capacity_applied or bool((self.homes["capacity"] > 0).any()):
            return HOMES_COLUMNS + CAPACITY_COLUMNS
        return list(HOMES_COLUMNS)

    @property
    def villages(self) -> int:
        """Number of villages planned."""
        return len(self.assignments)

    @property
    def coverage(self) -> float:
        """Share of villages with a home: ``1 − uncovered / villages`` (1.0 with none)."""
        return 1.0 - len(self.plan.uncovered) / self.villages if self.villages else 1.0

    def status_counts(self) -> dict[str, int]:
        """Homes per status (``existing``, ``reuse``, ``new``)."""
        return {str(k): int(v) for k, v in self.homes["status"].value_counts().items()}


@dataclass(frozen=True, eq=False)
class StaffingResult(_Fields):
    """A staffing plan with its output tables (``staffing``, ``recruit``, ``training``...)."""

    plan: StaffingPlan
    tables: dict


@dataclass(frozen=True, eq=False)
class HazardFiles(Mapping):
    """The files :func:`run_hazards` wrote: named fields, and the ``name -> path`` mapping.

    ``pdfs`` maps each chief to the patrol-list PDF; as a mapping the PDFs are the keys
    ``"pdf:<chief>"`` next to ``danger_spots``, ``patrol_xlsx``... (what older callers read).
    """

    paths: dict

    def __getitem__(self, name: str):
        return self.paths[name]

    def __iter__(self):
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def danger_spots(self):
        """``danger_spots.csv`` (fixed English headers)."""
        return self.paths["danger_spots"]

    @property
    def patrol_xlsx(self):
        """The patrol lists, one sheet per chief."""
        return self.paths["patrol_xlsx"]

    @property
    def pdfs(self) -> dict:
        """Chief -> patrol-list PDF."""
        return {k[4:]: v for k, v in self.paths.items() if k.startswith("pdf:")}


@dataclass(frozen=True, eq=False)
class PatrolPdf:
    """A patrol-list PDF made on the hazards page, with the settings it was made for."""

    key: tuple
    data: bytes


@dataclass(frozen=True, eq=False)
class FundingResult(_Fields):
    """The last funding allocation of a page: for which county, overrides and budget."""

    data_key: tuple
    overrides: str
    budget: int
    table: pd.DataFrame

    def for_county(self, data_key: tuple) -> pd.DataFrame | None:
        """The allocation table when it was made on ``data_key``, else None."""
        return self.table if self.data_key == data_key else None

_TARGET_TYPES = TARGET_TYPES


def village_points(data: CountyData) -> pd.DataFrame:
    """Villages as a plain table with lon/lat columns (what the pure models take)."""
    v = data.villages
    out = pd.DataFrame(v.drop(columns=[v.geometry.name, "_row"], errors="ignore"))
    out["lon"] = v.geometry.x.to_numpy()
    out["lat"] = v.geometry.y.to_numpy()
    return out.reset_index(drop=True)


def staffing_distances(data: CountyData, policy: Policy) -> pd.DataFrame:
    """Village-to-village metres for staffing, from geo/ as siting's (rivers, bridges, CRS).

    With ``siting.travel_metric`` ``road_m`` or ``walk_min`` they are route metres of the
    travel model (:func:`geo.travel.village_distances`), as siting's.
    """
    from geo.staffing_inputs import village_distances

    if policy.siting.travel_metric != "straight":
        from geo import travel

        return travel.village_distances(data, policy)
    return village_distances(data.villages, policy, waterways=data.waterways,
                             crossings=data.crossings)


def run_staffing(data: CountyData, policy: Policy, *, solver: str = "cbc") -> StaffingPlan:
    """Assign directors and supervisors for a county (raises DataError on bad data).

    Distances come from :func:`staffing_distances` (the county's metric CRS, barrier rivers
    crossed only at bridges), exactly as siting's.
    """
    data.require_ok()
    roster = data.roster.drop(columns=["_row"], errors="ignore")
    return plan_staffing(village_points(data), roster, policy, solver=solver,
                         distance_m=staffing_distances(data, policy))


def staffing_metric(policy: Policy) -> str:
    """The metric of staffing's distances: ``straight``, else ``road_m``.

    Directors ride, so ``walk_min`` also gives them route metres of the travel model.
    """
    return "straight" if policy.siting.travel_metric == "straight" else "road_m"


def staffing_outputs(plan: StaffingPlan, metric: str | None = None) -> dict[str, pd.DataFrame]:
    """The staffing, recruit, training and supervisors tables (issue's column lists).

    With ``metric`` (:func:`staffing_metric`) the staffing table names it in a ``metric`` column.
    """
    tables = staffing_tables(plan)
    if metric is not None:
        tables["staffing"] = tables["staffing"].assign(metric=metric)
    return tables


def _earmarks_by_township(codes: Sequence[str], policy: Policy, homes: pd.DataFrame | None,
                          staffing: StaffingPlan | None) -> pd.Series:
    out = pd.Series(0.0, index=list(codes))
    if homes is not None and len(homes):
        h = homes[homes["status"].isin(["new", "reuse"])]
        cost = h.groupby(h["township_code"].astype(str))["cost"].sum()
        out = out.add(cost.reindex(out.index).fillna(0.0), fill_value=0.0)
    if staffing is not None and len(staffing.villages):
        needed = staffing.villages.groupby(
            staffing.villages["village_code"].astype(str).str[:9])["directors_needed"].sum()
        out = out.add(needed.reindex(out.index).fillna(0.0)
                      * policy.funding.director_subsidy_yuan, fill_value=0.0)
    return out


def township_units(data: CountyData, policy: Policy, *, homes: pd.DataFrame | None = None,
                   staffing: StaffingPlan | None = None,
                   floors: dict[str, float] | None = None,
                   caps: dict[str, float] | None = None) -> FundingUnits:
    """Townships of a county as funding units (002 五(二): tilt toward townships in difficulty).

    Targets are summed from the villages; institutions count the rescue-protection and welfare
    institutions sited in the township; ``poverty_village_share`` and
    ``old_base_village_share`` are the shares of the township's targets living in 脱贫村 and
    老区村. Earmarks: the set-up cost of the homes the siting plan opens or converts there,
    plus the director subsidy for every director post the staffing plan requires.
    """
    v = village_points(data)
    v["township_code"] = v["village_code"].str[:9]
    v["targets"] = v[list(_TARGET_TYPES)].fillna(0).sum(axis=1)
    tw = data.townships[["township_code", "name", "in_difficulty"]].copy()
    g = v.groupby("township_code")
    table = pd.DataFrame({"unit_code": tw["township_code"].astype(str).to_numpy(),
                          "unit_name": tw["name"].astype(str).to_numpy()})
    for t in _TARGET_TYPES:
        table[t] = table["unit_code"].map(g[t].sum()).fillna(0).astype(int)
    fac = data.facilities
    if len(fac) and "kind" in fac.columns:  # a county may come with no facilities layer at all
        inst = fac[fac["kind"].isin(["rescue_protection", "welfare_institution"])]
        per_town = inst["township_code"].fillna(inst["village_code"].str[:9]).value_counts()
    else:
        per_town = pd.Series(dtype=int)
    table["institutions"] = table["unit_code"].map(per_town).fillna(0).astype(int)
    table["designations"] = np.where(tw["in_difficulty"].fillna(False).to_numpy(),
                                     "township_in_difficulty", "")
    for col, flag in (("poverty_village_share", "poverty_village"),
                      ("old_base_village_share", "old_base_village")):
        num = v[v[flag].fillna(False).astype(bool)].groupby("township_code")["targets"].sum()
        den = g["targets"].sum()
        table[col] = table["unit_code"].map(num / den.replace(0, np.nan)).fillna(0.0).round(4)
    table["earmark"] = _earmarks_by_township(table["unit_code"], policy, homes,
                                             staffing).to_numpy()
    table["floor"] = table["unit_code"].map(floors or {}).astype(float)
    table["cap"] = table["unit_code"].map(caps or {}).astype(float)
    return FundingUnits(table)


def county_units(counties: Sequence[CountyData]) -> FundingUnits:
    """Counties as funding units (a prefecture or province): county designations tilt."""
    rows = []
    for d in counties:
        v = village_points(d)
        row = {"unit_code": d.adcode, "unit_name": d.name,
               "designations": ";".join(d.designations)}
        for t in _TARGET_TYPES:
            row[t] = int(v[t].fillna(0).sum())
        row["institutions"] = int(d.facilities["kind"].isin(
            ["rescue_protection", "welfare_institution"]).sum())
        targets = v[list(_TARGET_TYPES)].fillna(0).sum(axis=1)
        for col, flag in (("poverty_village_share", "poverty_village"),
                          ("old_base_village_share", "old_base_village")):
            tot = float(targets.sum())
            row[col] = round(float(targets[v[flag].fillna(False).astype(bool)].sum()) / tot, 4) \
                if tot else 0.0
        rows.append(row)
    return FundingUnits(pd.DataFrame(rows))


def run_funding(units: FundingUnits, budget: int, policy: Policy) -> FundingPlan:
    """Allocate ``budget`` yuan across the units."""
    return allocate(units, budget, policy.funding)


def funding_tilt_path(units: FundingUnits, budget: int, policy: Policy,
                      steps: int = 13) -> pd.DataFrame:
    """Each unit's amount as the tilt strength goes from 0 to its maximum."""
    return tilt_path(units, budget, policy.funding, steps=steps)


# --- scenarios ---------------------------------------------------------------------------

def township_summary(data: CountyData, *, homes: pd.DataFrame | None = None,
                     staffing: StaffingPlan | None = None,
                     funding: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-township figures a scenario keeps for side-by-side comparison."""
    v = village_points(data)
    v["township_code"] = v["village_code"].str[:9]
    v["targets"] = v[list(_TARGET_TYPES)].fillna(0).sum(axis=1)
    g = v.groupby("township_code")
    out = pd.DataFrame({"township_code": data.townships["township_code"].astype(str),
                        "name": data.townships["name"].astype(str)})
    out["villages"] = out["township_code"].map(g.size()).fillna(0).astype(int)
    out["children"] = out["township_code"].map(g["resident_children"].sum()).fillna(0).astype(int)
    out["targets"] = out["township_code"].map(g["targets"].sum()).fillna(0).astype(int)
    if homes is not None and len(homes):
        h = homes.assign(township_code=homes["township_code"].astype(str))
        out["homes_open"] = out["township_code"].map(h.groupby("township_code").size()).fillna(
            0).astype(int)
        new = h[h["status"] == "new"].groupby("township_code").size()
        out["homes_new"] = out["township_code"].map(new).fillna(0).astype(int)
    if staffing is not None:
        sv = staffing.villages.assign(township_code=staffing.villages["village_code"].str[:9])
        gs = sv.groupby("township_code")
        out["directors_needed"] = out["township_code"].map(gs["directors_needed"].sum()).fillna(
            0).astype(int)
        out["directors_assigned"] = out["township_code"].map(
            gs["directors_assigned"].sum()).fillna(0).astype(int)
    if funding is not None and len(funding):
        amounts = funding.set_index(funding["unit_code"].astype(str))["amount"]
        out["funding"] = out["township_code"].map(amounts).fillna(0).astype(int)
    return out.reset_index(drop=True)


def child_weighted_mean_distance(assignments: pd.DataFrame) -> float:
    """按儿童加权的平均距离: sum(children x distance) / sum(children) over covered villages.

    The one definition of the figure, used by the siting page, the comparison (key figures),
    the briefing and the exports; equals ``SitingPlan.mean_distance_m``. 0 when no child is
    served. Uncovered villages (home_id "") are left out.
    """
    if assignments is None or not len(assignments) or "distance_m" not in assignments.columns:
        return 0.0
    served = assignments["home_id"].notna() & (assignments["home_id"].astype(str) != "")
    w = assignments.loc[served, "resident_children"].astype(float)
    d = assignments.loc[served, "distance_m"].astype(float)
    return float((w * d).sum() / w.sum()) if w.sum() > 0 else 0.0


def shared_class_edges(*values) -> tuple[float, ...]:
    """Six class edges (quintiles) over all the scenarios' values together.

    One colour then means one amount on every side-by-side map.
    """
    import numpy as np

    pooled = np.concatenate([np.asarray(pd.Series(v).fillna(0), dtype=float) for v in values]
                            ) if values else np.zeros(0)
    if not len(pooled):
        return (0.0,) * 6
    return tuple(float(x) for x in np.quantile(pooled, np.linspace(0, 1, 6)))


def differing_parameters(base: dict, other: dict, policy) -> pd.DataFrame:
    """Every policy parameter that differs between two scenarios' overrides.

    Columns: parameter (its key), base value, scenario value (as the policy holds them: numbers,
    lists, tables), and where each comes from (``file``: the policy file's default, ``override``:
    the scenario's change). The page shows the parameter's meaning and the values in words.
    """
    def val(ov: dict, name: str):
        return (ov[name], "override") if name in ov else (policy.value(name), "file")

    def plain(x):
        return list(x) if isinstance(x, tuple) else x

    rows = []
    for name in sorted(set(base) | set(other)):
        (bv, bs), (ov_, os_) = val(base, name), val(other, name)
        if plain(bv) != plain(ov_):
            rows.append({"parameter": name, "base": plain(bv), "scenario": plain(ov_),
                         "base_source": bs, "scenario_source": os_})
    return pd.DataFrame(rows, columns=["parameter", "base", "scenario", "base_source",
                                       "scenario_source"])


def key_figures(data: CountyData, *, homes: pd.DataFrame | None = None,
                assignments: pd.DataFrame | None = None,
                staffing: StaffingPlan | None = None,
                funding: pd.DataFrame | None = None) -> dict[str, float]:
    """The figures compared side by side (names are stable keys; labels live in the page)."""
    v = village_points(data)
    fig: dict[str, float] = {
        "villages": float(len(v)),
        "resident_children": float(v["resident_children"].sum()),
        "left_behind": float(v["left_behind"].sum()),
        "difficulty": float(v[list(DIFFICULTY_COLUMNS)].fillna(0).to_numpy().sum()),
    }
    if homes is not None and len(homes):
        for status in ("existing", "reuse", "new"):
            fig[f"homes_{status}"] = float((homes["status"] == status).sum())
        if "cost" in homes.columns:
            fig["siting_cost_yuan"] = float(homes["cost"].sum())
    if assignments is not None and len(assignments):
        served = assignments["home_id"].notna() & (assignments["home_id"].astype(str) != "")
        fig["villages_covered_pct"] = round(100.0 * served.mean(), 2)
        if "distance_m" in assignments.columns:
            fig["mean_distance_m"] = round(child_weighted_mean_distance(assignments), 1)
    if staffing is not None:
        tot = staffing.totals.set_index("position")
        fig["directors_required"] = float(tot.loc["director", "required"])
        fig["directors_assigned"] = float(tot.loc["director", "assigned"])
        fig["directors_to_recruit"] = float(tot.loc["director", "to_recruit"])
        fig["supervisors_assigned"] = float(tot.loc["supervisor", "assigned"])
    if funding is not None and len(funding):
        fig["budget_yuan"] = float(funding["amount"].sum())
        fig["funding_max_yuan"] = float(funding["amount"].max())
        fig["funding_min_yuan"] = float(funding["amount"].min())
    return fig


# --- siting ------------------------------------------------------------------------------

#: homes.csv and assignments.csv columns (issue 4).
HOMES_COLUMNS = ["home_id", "kind", "status", "lon", "lat", "children_served", "capacity"]
#: Added to homes.csv when the planner applies capacities (issue 20). ``capacity`` counts
#: **all** children a home serves, its own village included; ``load`` is that number for the
#: plan (= children_served); ``own_beyond_capacity``: the own village alone exceeds the
#: capacity (the home takes no neighbours, and is over by ``load - capacity``);
#: ``capacity_source``: data (facilities.capacity), kind (siting.capacity_by_kind), size (a
#: new-build size), default (siting.default_capacity) or "" (unlimited).
CAPACITY_COLUMNS = ["load", "capacity_use", "own_children", "own_beyond_capacity", "size",
                    "capacity_source"]
ASSIGNMENT_COLUMNS = ["village_code", "resident_children", "home_id", "distance_m", "own_home"]
#: Added to the exported assignments when the travel model (road_m, walk_min) gave the distances.
TRAVEL_COLUMNS = ["walk_min", "route_m", "metric"]


def run_siting(data: CountyData, policy: Policy, *, solver: str = "cbc",
               must_open: Sequence[str] = (), never_open: Sequence[str] = (),
               locked: dict[str, str] | None = None, allow_uncovered: bool = False,
               time_limit_s: float | None = None,
               travel_matrix: pd.DataFrame | None = None,
               metric: str | None = None) -> SitingResult:
    """Site shared 儿童之家 for a county (raises DataError, SitingInfeasible).

    ``travel_matrix`` (village_code, site_id, metres) replaces straight-line distances with a
    road/path network's, e.g. exported from a GIS route tool. Otherwise ``metric`` (default
    ``siting.travel_metric``) chooses the straight line, or the travel model of
    :mod:`geo.travel` (``road_m`` metres or ``walk_min`` minutes); the metric is named in the
    result (``metric``) and in every table.

    Returns a :class:`SitingResult`: ``plan`` (the :class:`~optimization.siting.SitingPlan`),
    ``homes`` and ``assignments`` (the plan's tables with coordinates and names), ``sites``
    (all candidates), ``pairs`` (the feasible village–site pairs with the bridge used).
    """
    from geo.siting_inputs import siting_inputs
    from geo.travel import name_siting_metric, siting_travel
    from optimization.siting import build_siting_problem, solve_siting

    data.require_ok()
    metric = "road_m" if travel_matrix is not None else (metric or policy.siting.travel_metric)
    if travel_matrix is None and metric != "straight":
        travel_matrix, policy = siting_travel(data, policy, metric)
    v, sites, pairs = siting_inputs(data.villages, data.facilities, policy.siting,
                                    waterways=data.waterways, crossings=data.crossings,
                                    travel_matrix=travel_matrix)
    problem = build_siting_problem(v, sites, pairs, policy.siting, must_open=tuple(must_open),
                                   never_open=tuple(never_open), locked=dict(locked or {}),
                                   allow_uncovered=allow_uncovered)
    plan = solve_siting(problem, solver, time_limit_s=time_limit_s)
    names = data.villages.set_index("village_code")["name"]
    fac_names = data.facilities.set_index("facility_id")["name"] if len(data.facilities) else {}
    homes = plan.homes.copy()
    homes["name"] = [fac_names.get(h, "") if hasattr(fac_names, "get") else ""
                     for h in homes["home_id"]]
    homes["name"] = homes["name"].where(homes["name"] != "",
                                        homes["village_code"].map(names).fillna("") + "（新建）")
    homes["cost"] = homes["cost_yuan"]
    _capacity_source(homes, sites, policy.siting.default_capacity)
    for c in ("children_served", "load", "own_children", "capacity", "villages_served",
              "left_behind_served", "difficulty_served"):
        if c in homes.columns:
            homes[c] = homes[c].fillna(0).round().astype(int)
    for c in ("max_distance_m", "mean_distance_m"):
        if c in homes.columns:
            homes[c] = homes[c].round(1)
    pts = village_points(data).set_index("village_code")
    a = plan.assignments.copy()
    for c in ("resident_children", "left_behind", "difficulty"):
        if c in a.columns:
            a[c] = a[c].fillna(0).round().astype(int)
    a["distance_m"] = a["distance_m"].round(1)
    a["name"] = a["village_code"].map(names)
    a["lon"] = a["village_code"].map(pts["lon"])
    a["lat"] = a["village_code"].map(pts["lat"])
    h = homes.set_index("home_id")
    a["home_lon"] = a["home_id"].map(h["lon"])
    a["home_lat"] = a["home_id"].map(h["lat"])
    via = pairs.set_index(["village_code", "site_id"])["via"] if "via" in pairs.columns else None
    if via is not None:
        a["via"] = [via.get((vc, hid), "") if isinstance(hid, str) else ""
                    for vc, hid in zip(a["village_code"], a["home_id"], strict=True)]
    homes, a = name_siting_metric(homes, a, travel_matrix, metric)
    applied = bool(policy.siting.capacity_defaults_on or policy.siting.default_capacity > 0)
    return SitingResult(plan=plan, homes=homes, assignments=a, sites=sites, pairs=pairs,
                        metric=metric, capacity_applied=applied)


def _capacity_source(homes: pd.DataFrame, sites, default_capacity: float) -> None:
    """Add ``size`` and ``capacity_source`` (data, kind, size, default or "") to the homes."""
    by_id = sites.set_index("site_id") if len(sites) else None
    src = (homes["home_id"].map(by_id["capacity_source"]) if by_id is not None
           and "capacity_source" in by_id.columns else pd.Series("", index=homes.index))
    src = src.fillna("").astype(str)
    src = src.where(src != "", np.where((homes["capacity"] > 0) & (default_capacity > 0),
                                        "default", ""))
    homes["capacity_source"] = src
    homes["size"] = (homes["home_id"].map(by_id["size"]).fillna("").astype(str)
                     if by_id is not None and "size" in by_id.columns else "")
    homes["capacity_use"] = homes["capacity_use"].round(3)


def siting_layers(result: SitingResult) -> dict:
    """GeoDataFrames for the GeoPackage: homes (points), villages (points), links (lines)."""
    import geopandas as gpd
    from shapely.geometry import LineString

    homes = result.homes
    a = result.assignments
    hg = gpd.GeoDataFrame(homes.drop(columns=["cost"], errors="ignore"),
                          geometry=gpd.points_from_xy(homes["lon"], homes["lat"]), crs=4326)
    vg = gpd.GeoDataFrame(a, geometry=gpd.points_from_xy(a["lon"], a["lat"]), crs=4326)
    linked = a[a["home_id"].notna() & a["home_lon"].notna()]
    lines = gpd.GeoDataFrame(
        linked[["village_code", "home_id", "distance_m", "own_home"]].copy(),
        geometry=[LineString([(x0, y0), (x1, y1)]) for x0, y0, x1, y1 in zip(
            linked["lon"], linked["lat"], linked["home_lon"], linked["home_lat"], strict=True)],
        crs=4326)
    return {"homes": hg, "assignments": vg, "links": lines}


# --- briefing ------------------------------------------------------------------------------

def briefing_inputs(data: CountyData, policy: Policy, *, budget: int = 5_000_000,
                    solver: str = "cbc", siting: SitingResult | None = None,
                    staffing: StaffingPlan | None = None, funding: pd.DataFrame | None = None,
                    spots: pd.DataFrame | None = None):
    """Plans for the briefing: reuse what is given, compute what is missing."""
    from geo.briefing import BriefingInputs

    siting = siting if siting is not None else run_siting(data, policy, solver=solver)
    staffing = staffing if staffing is not None else run_staffing(data, policy, solver=solver)
    if funding is None:
        units = township_units(data, policy, homes=siting.homes, staffing=staffing)
        earmarks = float(units.table["earmark"].sum())
        budget = max(int(budget), int(earmarks) + 1)
        funding = run_funding(units, budget, policy).table
    if spots is None:
        spots = hazard_spots(data, policy)
    return BriefingInputs(homes=siting.homes, assignments=siting.assignments,
                          staffing_totals=staffing.totals, funding=funding, spots=spots,
                          mean_distance_m=child_weighted_mean_distance(siting.assignments),
                          coverage=siting.coverage)


def hazard_spots(data: CountyData, policy: Policy, checks: pd.DataFrame | None = None):
    """Ranked drowning danger spots (None when the county has no waterways)."""
    if not len(data.waterways):
        return None
    from geo.hazards import analyse_hazards

    result = analyse_hazards(data, policy, checks=checks)
    spots = pd.DataFrame(result["spots"] if isinstance(result, dict) else result.spots)
    vnames = data.villages.set_index("village_code")["name"]
    tnames = data.townships.set_index("township_code")["name"]
    if "village_code" in spots.columns:
        spots["village_name"] = spots["village_code"].map(vnames).fillna("")
    if "township_code" in spots.columns:
        spots["township_name"] = spots["township_code"].map(tnames).fillna("")
    return spots


# --- hazards -------------------------------------------------------------------------------

def run_hazards(data: CountyData, policy: Policy, out_dir, lang: str = "zh", store=None, *,
                population_path=None, analysis=None) -> HazardFiles:
    """Analyse a county's drowning risk and write every patrol file (``childplan hazards``).

    ``store`` is where the "四个一" checks are recorded: a :class:`~childplan.store.Store`
    or its path (a path that does not exist is not created); without it every spot reads
    "never checked". The files are written by :func:`geo.patrol.write_hazard_files` (see
    there for ``population_path``, ``analysis`` and the returned paths).
    """
    from pathlib import Path

    from childplan.store import Store
    from geo.patrol import write_hazard_files

    checks = None
    if store is not None:
        if isinstance(store, (str, Path)):
            if Path(store).exists():  # reading must not create a store
                with Store(store) as st:
                    checks = st.checks(data.adcode)
        else:
            checks = store.checks(data.adcode)
    return HazardFiles(write_hazard_files(data, policy, out_dir, lang, checks,
                                          population_path=population_path, analysis=analysis))
