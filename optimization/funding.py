"""Split a budget across units, tilted toward poor and old revolutionary base areas.

Policy (optimization/policy.toml ``[funding.*]``): 001 三(二) — when allocating funds, fully
consider the number of rescue-protection institutions and of service targets in 老区, 苏区 and
poor areas, and tilt toward them; 002 五(二) — allocate by the number of service targets,
tilting toward townships in difficulty; 000 — the central fund was tilted to deep-poverty
areas and 三区三州.

Model
-----
For unit *i* (a township in a county, or a county in a prefecture/province):

* need ``w_i = Σ_t a_t · n_it + b · k_i`` — service targets *n_it* of each type *t* weighted by
  ``target_weights`` *a_t*, plus rescue-protection institutions *k_i* weighted by
  ``institution_weight`` *b*;
* tilt multiplier ``m_i = 1 + s · Σ_d τ_d · δ_id`` — ``tilt`` *τ_d* per designation *d*, overall
  strength ``tilt_scale`` *s*; *δ_id* is 1 when the unit carries the designation, or, for the
  village designations (脱贫村, 老区村), the share of the unit's targets living in such villages;
* earmarks *e_i* (capital cost of proposed homes, director subsidies) are funded first; the
  rest ``B' = B − Σ e_i`` is split with floors *f_i* and caps *c_i* on each unit's total.

The split is the weighted max-min fair allocation of the ratios ``x_i / (w_i m_i)``, found by
progressive filling, each step an LP (PuLP)::

    maximise z
    s.t.     x_i ≥ z · w_i m_i            for every unit not yet fixed
             l_i ≤ x_i ≤ u_i              (l_i = max(0, f_i − e_i), u_i = c_i − e_i)
             Σ_i x_i = B'
             x_i = fixed value            for units fixed at an earlier step

If the optimum *z* is limited by a unit's cap, that unit — and every unit whose cap ratio
lies below the exact water level ``Σ clamp(z·w_i m_i) = B'`` — is fixed at its cap and the LP is
solved again (two LPs in practice); otherwise the budget limits *z* and every slack is zero, so the solution is
unique: ``x_i = max(l_i, min(u_i, z · w_i m_i))``. This rule gives equal units equal money,
and raising a unit's tilt never lowers its amount. Amounts are then rounded to whole yuan by
largest remainders (ties by unit code), so they add up to the budget exactly; rounding can
make two equal units differ by at most ¥1.

Each unit's amount is explained as ``amount = earmark + base + tilt``: *base* is its share of
*B'* by need alone (no tilt, no floor or cap), *tilt* is everything the tilt and any binding
floor or cap add or take (``binding`` says which bound binds).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pulp

from optimization.errors import Infeasible
from optimization.vocab import (
    COUNTY_DESIGNATIONS,
    TARGET_TYPES,
    TOWNSHIP_DESIGNATIONS,
    VILLAGE_DESIGNATIONS,
)

__all__ = [
    "FundingInfeasible",
    "FundingPlan",
    "FundingUnits",
    "allocate",
    "tilt_path",
    "unit_multipliers",
    "unit_needs",
]

_TARGET_TYPES = TARGET_TYPES
_UNIT_DESIGNATIONS = (*COUNTY_DESIGNATIONS, *TOWNSHIP_DESIGNATIONS)
_SHARE_DESIGNATIONS = tuple(VILLAGE_DESIGNATIONS)


class FundingInfeasible(Infeasible):
    """The budget cannot satisfy earmarks, floors and caps (reason keys and unit codes on issues)."""


@dataclass(frozen=True)
class FundingUnits:
    """The units to fund, as plain data.

    Attributes
    ----------
    table : DataFrame
        One row per unit: ``unit_code``, ``unit_name``, one column per target type
        (left_behind, orphan, unsupported, illness_disability, dibao_tekun, difficulty_other),
        ``institutions``, ``designations`` (``;``-separated keys), ``poverty_village_share``
        and ``old_base_village_share`` (share of targets in such villages, 0–1), and
        optionally ``earmark``, ``floor`` and ``cap`` in yuan.
    """

    table: pd.DataFrame


@dataclass(frozen=True)
class FundingPlan:
    """The allocation, whole yuan, summing exactly to the budget.

    Attributes
    ----------
    table : DataFrame
        unit_code, unit_name, targets, designations, need, multiplier, base, tilt, earmark,
        amount, binding (``floor``/``cap``/``""``).
    budget : int
    stages : int
        LPs solved (progressive filling steps).
    seconds : float
    status : str
    """

    table: pd.DataFrame
    budget: int
    stages: int
    seconds: float
    status: str

    def amounts(self) -> dict[str, int]:
        """unit_code -> yuan."""
        return dict(zip(self.table["unit_code"], self.table["amount"].astype(int), strict=True))


def unit_needs(table: pd.DataFrame, policy) -> np.ndarray:
    """``w_i``: weighted service targets plus weighted institutions."""
    w = np.zeros(len(table))
    for t in _TARGET_TYPES:
        if t in table.columns:
            w += policy.target_weights.get(t, 0.0) * table[t].fillna(0).to_numpy(dtype=float)
    if "institutions" in table.columns:
        w += policy.institution_weight * table["institutions"].fillna(0).to_numpy(dtype=float)
    return w


def unit_multipliers(table: pd.DataFrame, policy, tilt_scale: float | None = None) -> np.ndarray:
    """``m_i``: 1 + tilt_scale × (sum of the unit's designation tilts)."""
    s = policy.tilt_scale if tilt_scale is None else tilt_scale
    extra = np.zeros(len(table))
    des = table.get("designations", pd.Series([""] * len(table), index=table.index))
    for i, d in enumerate(des.fillna("").astype(str)):
        keys = {k.strip() for k in d.replace("；", ";").split(";") if k.strip()}
        extra[i] += sum(policy.tilt.get(k, 0.0) for k in keys if k in _UNIT_DESIGNATIONS)
    for d in _SHARE_DESIGNATIONS:
        col = f"{d}_share"
        if col in table.columns:
            extra += policy.tilt.get(d, 0.0) * table[col].fillna(0).to_numpy(dtype=float)
    return 1.0 + s * extra


def _solver(msg=False):
    return pulp.PULP_CBC_CMD(msg=msg)


def _fill(v: np.ndarray, lo: np.ndarray, hi: np.ndarray, total: float, codes) -> tuple[
        np.ndarray, float, int, str]:
    """Progressive filling by LPs: weighted max-min fair x with lo ≤ x ≤ hi, Σx = total."""
    n = len(v)
    fixed: dict[int, float] = {}
    stages = 0
    # Units with zero need take only their lower bound; they cannot share by ratio.
    for i in range(n):
        if v[i] <= 0:
            fixed[i] = lo[i]
    while True:
        stages += 1
        prob = pulp.LpProblem("funding_fill", pulp.LpMaximize)
        z = pulp.LpVariable("z", lowBound=0)
        x = [pulp.LpVariable(f"x_{codes[i]}", lowBound=float(lo[i]), upBound=float(hi[i]))
             for i in range(n)]
        prob += z
        for i in range(n):
            if i in fixed:
                prob += x[i] == float(fixed[i]), f"fixed_{codes[i]}"
            else:
                prob += x[i] - float(v[i]) * z >= 0, f"fair_{codes[i]}"
        prob += pulp.lpSum(x) == float(total), "budget"
        prob.solve(_solver())
        status = pulp.LpStatus[prob.status]
        if status != "Optimal":
            return np.array([float(xi.value() or 0.0) for xi in x]), 0.0, stages, status
        zs = float(z.value())
        free = np.array([i for i in range(n) if i not in fixed], dtype=int)
        # Units whose cap stops z from rising: cap/v equals the optimum z (CBC reports the
        # solution to ~1e-7 relative, hence the tolerance).
        ratio = hi[free] / v[free]
        capped = free[ratio <= zs * (1 + 1e-6) + 1e-12]
        rest = total - sum(fixed.values())
        if len(capped) == 0 or _clamped_sum(free, zs, v, lo, hi) >= rest * (1 - 1e-9):
            zb = _polish(free, v, lo, hi, rest, zs)
            xs = np.array([fixed[i] if i in fixed else 0.0 for i in range(n)], dtype=float)
            xs[free] = np.clip(zb * v[free], lo[free], hi[free])
            return xs, zb, stages, status
        # Jump ahead: every unit whose cap ratio lies below the exact water level is capped
        # (progressive filling would fix them one level per LP; same result, fewer LPs).
        level = _polish(free, v, lo, hi, rest, zs)
        for i in free[ratio <= level * (1 + 1e-9)]:
            fixed[int(i)] = hi[i]
        for i in capped:
            fixed[int(i)] = hi[i]
        if len(fixed) == n:
            return np.array([fixed[i] for i in range(n)]), zs, stages, status


def _clamped_sum(free, z, v, lo, hi) -> float:
    return float(np.clip(z * v[free], lo[free], hi[free]).sum())


def _polish(free, v, lo, hi, rest, z0) -> float:
    """The exact z with Σ clamp(z·v) = rest over the free units (removes LP round-off)."""
    a, b = 0.0, max(z0 * 2.0, 1e-12)
    while _clamped_sum(free, b, v, lo, hi) < rest and b < 1e300:
        b *= 2.0
    for _ in range(200):
        mid = (a + b) / 2.0
        if _clamped_sum(free, mid, v, lo, hi) < rest:
            a = mid
        else:
            b = mid
    return b


def _round_whole_yuan(x: np.ndarray, total: int, lo: np.ndarray, hi: np.ndarray,
                      codes) -> np.ndarray:
    """Largest-remainder rounding to integers summing to ``total``, within [ceil lo, floor hi]."""
    base = np.floor(x + 1e-9).astype(np.int64)
    base = np.maximum(base, np.ceil(lo - 1e-9).astype(np.int64))
    base = np.minimum(base, np.floor(hi + 1e-9).astype(np.int64))
    short = int(total - base.sum())
    rem = x - base
    order = sorted(range(len(x)), key=lambda i: (-round(rem[i], 9), str(codes[i])))
    k = 0
    guard = 0
    while short != 0 and guard < 10 * len(x) + 10:
        i = order[k % len(order)]
        if short > 0 and base[i] + 1 <= hi[i] + 1e-9:
            base[i] += 1
            short -= 1
        elif short < 0 and base[i] - 1 >= lo[i] - 1e-9:
            base[i] -= 1
            short += 1
        k += 1
        guard += 1
    return base


def allocate(units: FundingUnits, budget: int, policy, *, tilt_scale: float | None = None,
             lang: str = "zh") -> FundingPlan:
    """Allocate ``budget`` yuan across units.

    Parameters
    ----------
    units : FundingUnits
        Units with target counts, institutions, designations, optional earmark/floor/cap.
    budget : int
        Whole yuan.
    policy : optimization.policy.FundingPolicy
        Weights, tilts, default floor and cap share.
    tilt_scale : float, optional
        Overrides ``policy.tilt_scale`` (used for the tilt plot).

    Raises
    ------
    FundingInfeasible
        When earmarks exceed the budget, or floors/caps cannot add up to it.

    Examples
    --------
    >>> import pandas as pd
    >>> from optimization.policy import load_policy
    >>> t = pd.DataFrame({"unit_code": ["A", "B"], "unit_name": ["甲", "乙"],
    ...                   "left_behind": [10, 30], "designations": ["", ""]})
    >>> allocate(FundingUnits(t), 400, load_policy().funding).amounts()
    {'A': 100, 'B': 300}
    """
    t0 = time.perf_counter()
    table = units.table.reset_index(drop=True).copy()
    codes = [str(c) for c in table["unit_code"]]
    n = len(table)
    budget = int(budget)
    if n == 0:
        raise FundingInfeasible(zh="没有可分配的单位", en="no units to fund", reason="no_units")
    if budget < 0:
        raise FundingInfeasible(zh=f"预算不能为负：{budget}", en="the budget cannot be negative",
                                reason="negative_budget")
    earmark = table.get("earmark", pd.Series(0.0, index=table.index)).fillna(0).to_numpy(
        dtype=float)
    floor = table.get("floor", pd.Series(np.nan, index=table.index)).to_numpy(dtype=float)
    floor = np.where(np.isnan(floor), policy.floor_yuan, floor)
    cap = table.get("cap", pd.Series(np.nan, index=table.index)).to_numpy(dtype=float)
    cap = np.where(np.isnan(cap), policy.cap_share * budget, cap)
    if earmark.sum() > budget:
        raise FundingInfeasible(
            zh=f"专项（已定项目）合计 {earmark.sum():,.0f} 元超过预算 {budget:,} 元，请增加预算或减少专项",
            en=f"earmarks ({earmark.sum():,.0f} yuan) exceed the budget ({budget:,} yuan): raise "
               "the budget or reduce the earmarks",
            reason="earmarks_over_budget", ids=[c for c, e in zip(codes, earmark, strict=True) if e])
    bad = [codes[i] for i in range(n) if earmark[i] > cap[i] + 1e-9 or floor[i] > cap[i] + 1e-9]
    if bad:
        raise FundingInfeasible(
            zh=f"以下单位的下限或专项高于上限：{', '.join(bad)}，请调整",
            en=f"floor or earmark above the cap for: {', '.join(bad)}; adjust them",
            reason="bound_above_cap", ids=bad)
    lo = np.maximum(0.0, floor - earmark)
    hi = cap - earmark
    flex = budget - earmark.sum()
    if lo.sum() > flex + 1e-6:
        raise FundingInfeasible(
            zh=f"各单位下限合计 {lo.sum() + earmark.sum():,.0f} 元超过预算 {budget:,} 元",
            en=f"the floors add up to {lo.sum() + earmark.sum():,.0f} yuan, more than the budget "
               f"{budget:,}",
            reason="floors_over_budget")
    if hi.sum() < flex - 1e-6:
        raise FundingInfeasible(
            zh=f"各单位上限合计 {hi.sum() + earmark.sum():,.0f} 元不足预算 {budget:,} 元，无法分完",
            en=f"the caps add up to {hi.sum() + earmark.sum():,.0f} yuan, less than the budget "
               f"{budget:,}",
            reason="caps_under_budget")
    need = unit_needs(table, policy)
    mult = unit_multipliers(table, policy, tilt_scale)
    v = need * mult
    if v.sum() <= 0:
        v = np.ones(n)  # nobody has targets: split evenly within bounds
        need = np.ones(n)
    x, z, stages, status = _fill(v, lo, hi, flex, codes)
    if status != "Optimal":
        raise FundingInfeasible(zh=f"分配模型无解（{status}）", en=f"the allocation LP is {status}",
                                reason="lp_not_optimal")
    amounts = _round_whole_yuan(earmark + x, budget, np.maximum(floor, earmark), cap, codes)
    base = flex * need / need.sum()
    binding = []
    for i in range(n):
        fair = z * v[i]
        if lo[i] > 0 and fair < lo[i] - 1e-6:
            binding.append("floor")
        elif fair > hi[i] + 1e-6:
            binding.append("cap")
        else:
            binding.append("")
    targets = np.zeros(n)
    for ty in _TARGET_TYPES:
        if ty in table.columns:
            targets += table[ty].fillna(0).to_numpy(dtype=float)
    out = pd.DataFrame({
        "unit_code": codes,
        "unit_name": table.get("unit_name", pd.Series(codes)).astype(str).to_numpy(),
        "targets": targets.astype(int),
        "designations": table.get("designations", pd.Series([""] * n)).fillna("").to_numpy(),
        "need": np.round(need, 3),
        "multiplier": np.round(mult, 4),
        "base": np.round(base, 2),
        "tilt": np.round(amounts - earmark - base, 2),
        "earmark": np.round(earmark, 2),
        "amount": amounts.astype(int),
        "binding": binding,
    })
    return FundingPlan(table=out, budget=budget, stages=stages,
                       seconds=time.perf_counter() - t0, status=status)


def tilt_path(units: FundingUnits, budget: int, policy, steps: int = 13) -> pd.DataFrame:
    """Each unit's amount as the overall tilt strength goes from 0 to ``tilt_scale_max``.

    Returns a long table: tilt_scale, unit_code, unit_name, amount.
    """
    rows = []
    for s in np.linspace(0.0, policy.tilt_scale_max, steps):
        plan = allocate(units, budget, policy, tilt_scale=float(s))
        for code, name, amt in zip(plan.table["unit_code"], plan.table["unit_name"],
                                   plan.table["amount"], strict=True):
            rows.append({"tilt_scale": round(float(s), 4), "unit_code": code,
                         "unit_name": name, "amount": int(amt)})
    return pd.DataFrame(rows)
