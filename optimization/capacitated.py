r"""Capacitated single-source siting, proven optimal at county scale (pure: arrays in, arrays out).

A village's children go to **one** home (single source), and a home hosted in a village school
classroom or a 妇女之家 holds a real number of children (004 二(三) 有固定场所). This module
solves that problem exactly and reports the proven gap honestly; it does not read policy files
or data frames (``geo`` / ``optimization.siting`` build the arrays).

Formulation
-----------
Villages :math:`i` (every one must be served), candidate sites :math:`j` with opening cost
:math:`f_j` and capacity :math:`Q_j` (``inf`` = unlimited), feasible pairs :math:`(i, j) \in P`
with assignment cost :math:`a_{ij}` (e.g. children × metres) and load :math:`l_{ij}` (the
children of :math:`i` counted against :math:`Q_j`; 0 for a large village in its own home when
capacity counts only children from other villages)::

    min   sum_j W f_j y_j + sum_(ij) a_ij x_ij
    assign_v<i>     sum_j x_ij = 1                   every village to exactly one home
    link_v<i>_s<j>  x_ij <= y_j                      disaggregated (the strong form)
    capacity_s<j>   sum_i l_ij x_ij <= Q_j y_j       only where the reachable load exceeds Q_j
    group_g<g>      sum_(j in g) y_j <= 1            one size per site (small or large build)
    open_count      sum_j y_j = p                    p-median mode only
    aggregate       sum_j min(Q_j, L_j) y_j >= sum_i min_j l_ij   (valid cut, capacity rows)
    x, y binary

:math:`W` is 1 (a weighted sum) or, with ``lexicographic=True``, a per-block weight
:math:`W = (2\bar D + 1)/\delta` (:math:`\delta` the gcd of the costs, :math:`\bar D` the
largest possible assignment cost) so that cost is minimised first and distance second, as in
``optimization.siting``.

How optimality is proven
------------------------
1. **Decomposition**: the village–site graph splits into connected components solved alone
   (exactly the monolithic optimum; not in p-median mode, where ``open_count`` couples them).
2. **Checks before solving** raise :class:`CapacityInfeasible` with bilingual messages naming
   the villages and capacities: no site in reach, a village larger than every reachable
   capacity, a component whose children exceed the capacity of all its sites.
3. **Strong start**: a capacitated greedy (best cost-per-village prefix per site, lazy heap) and
   a shift / swap / close / open local search (:mod:`optimization.capacitated_search`); then,
   on lexicographic blocks of :data:`CPSAT_PRIMAL_MIN_VILLAGES` villages or more, OR-Tools
   CP-SAT on the opening cost alone for a cheaper plan (:func:`_primal_stage`; only its plan is
   used, never its bound), on the others a large-neighbourhood search.
4. **Lagrangian bound** (:mod:`optimization.capacitated_lagrange`): the assignment rows are
   relaxed; each site is then a 0/1 knapsack solved exactly by dynamic programming, so the bound
   is at least the LP bound with every knapsack cover cut. Subgradient optimisation; sites whose
   bound proves they are closed (or open) in every better plan are fixed — valid only for plans
   better than the incumbent, so the reported bound is ``min(incumbent, reduced-model bound)``.
   When bound and incumbent meet, no MILP is run.
5. **MILP** on the reduced block (:mod:`optimization.capacitated_backends`: HiGHS in process,
   CBC through PuLP, or OR-Tools CP-SAT), warm-started from the incumbent.
   Lexicographic blocks are proven on the opening cost alone (a whole-number objective in gcd
   steps; :func:`_cost_stage`), then the distance alone with the cost held
   (:func:`_distance_stage`).

The status follows the proven gap: ``optimal`` only when (incumbent − bound) is within the
tolerance, whatever a solver says; otherwise ``feasible`` with the gap, and the open blocks
are listed (:attr:`CapPlan.open_blocks`).

Examples
--------
Two villages of 80 children, two sites of capacity 100 (the nearer one cannot take both):

>>> import numpy as np
>>> prob = CapProblem.from_arrays(
...     village_load=[80, 80], site_cost=[10, 10], site_capacity=[100, 100],
...     pair_village=[0, 0, 1, 1], pair_site=[0, 1, 0, 1], pair_cost=[1, 5, 2, 9])
>>> plan = solve_capacitated(prob)
>>> plan.assignment.tolist(), plan.status, float(plan.objective)
([1, 0], 'optimal', 27.0)
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from optimization.errors import Infeasible, NotSolved

__all__ = [
    "BlockResult",
    "CapPlan",
    "CapProblem",
    "CapacityInfeasible",
    "CapacityIssue",
    "CapacityNotSolved",
    "SOLVERS",
    "p_median_capacitated",
    "solve_capacitated",
]

#: Backends by name (``cpsat`` is OR-Tools CP-SAT, a dependency).
SOLVERS = ("highs", "cbc", "cpsat")
_MAX_LISTED = 30
#: Blocks with at most this many pairs go straight to the MILP (the bound would cost more).
LAGRANGE_MIN_PAIRS = 60
#: Blocks with more villages get the large-neighbourhood search after the local search.
LNS_MIN_VILLAGES = 60
#: Lexicographic blocks go, past the search, to a MILP on the opening cost alone (then the
#: distance stage), not on the weighted objective (docs/capacitated.md: on the 435-village
#: block of the 500-village bench it finds plans ~1 M yuan cheaper in 60 s; on the
#: 3,055-village block of the 5,000 bench, HiGHS alone, 150 s: cost bound 6,791 against an
#: incumbent of 7,286 (×10,000 yuan), 6.8 %, where the weighted MILP's block gap was 15.4 % in
#: the whole 600-s run). Stop 26 limited it to 1,000 villages after a run with the old stage
#: shares on a loaded machine; with the shares below no limit is needed.
COST_FIRST = True
#: Share of a block's time kept after the cost MILP for the local search on its plan.
COST_SEARCH_SHARE = 0.03
#: Where each stage of a block ends, as shares of its time: construction + local search,
#: large-neighbourhood search, Lagrangian bound, restricted (core) MILP; the proving MILP
#: takes the rest.
STAGE_ENDS = (0.05, 0.4, 0.45, 0.5)
#: Lexicographic blocks with at least this many villages get, in the large-neighbourhood
#: search's time, OR-Tools CP-SAT on the opening cost alone as the search for a cheaper plan
#: (its portfolio of LNS workers finds much cheaper plans than ours; HiGHS still proves the
#: bound). docs/capacitated.md: 5,000-village bench, 600 s: 6.52 % → 2.66 % with the other
#: changes of stop 28; on the 500-village bench the gain (2.30 → 2.30–2.52 %) is within noise.
#: CPSAT_PRIMAL_MAX_VILLAGES bounds it from above (1,000 measured once at 2.47 %: not adopted).
CPSAT_PRIMAL = True
CPSAT_PRIMAL_MIN_VILLAGES = 150
CPSAT_PRIMAL_MAX_VILLAGES = 10**9
#: CP-SAT's plan search stops once no cheaper plan has come for this many seconds (or a
#: quarter of its time so far): on a block HiGHS closes quickly it must not burn the stage.
CPSAT_STALL_S = 3.0


# ----------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class CapacityIssue:
    """One reason a capacitated problem has no single-source solution.

    Attributes
    ----------
    reason : str
        ``"no_site_in_reach"``, ``"village_exceeds_capacity"``, ``"capacity_short"`` or
        ``"single_source_packing"``.
    villages, sites : tuple of str
        Village and site ids concerned.
    zh, en : str
        What is wrong and what to change.
    """

    reason: str
    villages: tuple[str, ...]
    sites: tuple[str, ...]
    zh: str
    en: str

    @property
    def ids(self) -> tuple[str, ...]:
        """Village then site ids (what :class:`optimization.errors.PlanningError` lists)."""
        return self.villages + self.sites

    def message(self, lang: str = "both") -> str:
        """The message in ``"zh"``, ``"en"`` or ``"both"``."""
        return {"zh": self.zh, "en": self.en}.get(lang, f"{self.zh} / {self.en}")


class CapacityInfeasible(Infeasible):
    """No plan sends every village whole to one home within the capacities; see :attr:`issues`."""

    def __init__(self, issues: Iterable[CapacityIssue]):
        super().__init__(tuple(issues))

    @property
    def villages(self) -> tuple[str, ...]:
        """Every village id named by an issue."""
        return tuple(dict.fromkeys(v for i in self.issues for v in i.villages))


class CapacityNotSolved(NotSolved):
    """No feasible plan was found within the time limit (infeasibility not proven)."""


def _ids(ids: Iterable[str]) -> str:
    ids = list(ids)
    out = "、".join(ids[:_MAX_LISTED])
    return out + (f" …(+{len(ids) - _MAX_LISTED})" if len(ids) > _MAX_LISTED else "")


def _num(x: float) -> str:
    return "不限" if not np.isfinite(x) else f"{x:g}"


# ----------------------------------------------------------------------------- the problem


@dataclass(frozen=True, eq=False)
class CapProblem:
    """A single-source capacitated siting problem as arrays (build with :meth:`from_arrays`).

    Attributes
    ----------
    village_ids, site_ids : ndarray of str
    village_load : ndarray of int
        Children of each village (what messages quote).
    site_cost, site_capacity : ndarray of float
        Opening cost and capacity (``inf`` = unlimited).
    site_group : ndarray of int
        Sites sharing a group id ``>= 0`` are alternatives (e.g. a small and a large build at one
        place): at most one of them opens.
    site_open : ndarray of bool
        Sites that are open whatever the plan (their cost is still counted).
    pair_village, pair_site : ndarray of int
    pair_cost : ndarray of float
        Assignment cost (children × distance).
    pair_load : ndarray of int
        Children counted against the site's capacity.
    n_open : int or None
        Exactly this many sites open (p-median mode), else ``None``.
    lexicographic : bool
        Minimise cost first, then assignment cost (per-block dominating weight), instead of
        their sum.
    """

    village_ids: np.ndarray
    site_ids: np.ndarray
    village_load: np.ndarray
    site_cost: np.ndarray
    site_capacity: np.ndarray
    site_group: np.ndarray
    site_open: np.ndarray
    pair_village: np.ndarray
    pair_site: np.ndarray
    pair_cost: np.ndarray
    pair_load: np.ndarray
    n_open: int | None = None
    lexicographic: bool = False

    @property
    def n_villages(self) -> int:
        """Number of villages."""
        return len(self.village_ids)

    @property
    def n_sites(self) -> int:
        """Number of candidate sites."""
        return len(self.site_ids)

    @property
    def n_pairs(self) -> int:
        """Number of feasible village–site pairs."""
        return len(self.pair_village)

    @classmethod
    def from_arrays(cls, *, village_load: Sequence[float], site_cost: Sequence[float],
                    site_capacity: Sequence[float] | float, pair_village: Sequence[int],
                    pair_site: Sequence[int], pair_cost: Sequence[float],
                    pair_load: Sequence[float] | None = None,
                    site_group: Sequence[int] | None = None,
                    site_open: Sequence[bool] | None = None, n_open: int | None = None,
                    lexicographic: bool = False, village_ids: Sequence[str] | None = None,
                    site_ids: Sequence[str] | None = None) -> CapProblem:
        """Validate and freeze the arrays (loads rounded to whole children, capacities floored).

        ``pair_load`` defaults to the village's load; ``site_capacity`` may be a scalar.
        """
        c = np.rint(np.asarray(village_load, dtype=float)).astype(np.int64)
        f = np.asarray(site_cost, dtype=float)
        m = len(f)
        q = np.broadcast_to(np.asarray(site_capacity, dtype=float), (m,)).copy()
        q = np.where(np.isfinite(q), np.floor(q), np.inf)
        pv = np.asarray(pair_village, dtype=np.int64)
        ps = np.asarray(pair_site, dtype=np.int64)
        pa = np.asarray(pair_cost, dtype=float)
        pl = c[pv] if pair_load is None else np.rint(np.asarray(pair_load, float)).astype(np.int64)
        n = len(c)
        if not (len(pv) == len(ps) == len(pa) == len(pl)):
            raise ValueError("pair arrays differ in length / 配对数组长度不一致")
        if len(pv) and (pv.min() < 0 or pv.max() >= n or ps.min() < 0 or ps.max() >= m):
            raise ValueError("pair index out of range / 配对序号越界")
        if (c < 0).any() or (pl < 0).any() or (q < 0).any() or (f < 0).any():
            raise ValueError("loads, capacities and costs must be >= 0 / 人数、容量、成本不能为负")
        if not np.isfinite(pa).all() or not np.isfinite(f).all():
            raise ValueError("costs must be finite / 成本必须为有限值")
        key = pv * m + ps
        if len(np.unique(key)) != len(key):
            raise ValueError("a village-site pair is listed twice / 村与场所配对重复")
        g = (np.full(m, -1, np.int64) if site_group is None
             else np.asarray(site_group, dtype=np.int64))
        so = np.zeros(m, bool) if site_open is None else np.asarray(site_open, dtype=bool)
        vid = np.array([f"v{i}" for i in range(n)] if village_ids is None else list(village_ids),
                       dtype=object)
        sid = np.array([f"s{j}" for j in range(m)] if site_ids is None else list(site_ids),
                       dtype=object)
        if n_open is not None and not 0 <= n_open <= m:
            raise ValueError("n_open out of range / 开设数量超出范围")
        return cls(vid, sid, c, f, q, g, so, pv, ps, pa, pl, n_open, bool(lexicographic))


def p_median_capacitated(dist: np.ndarray, demand: Sequence[float], capacity: float | Sequence[float],
                         p: int) -> CapProblem:
    """The capacitated p-median problem: every node a candidate, cost = demand × distance.

    OR-Library's ``pmedcap1`` convention (Osman and Christofides 1994): each node goes whole to
    one of ``p`` open medians; a median's assigned demand, its own included, is at most the
    capacity; the objective is the sum of distances (unweighted by demand).

    Parameters
    ----------
    dist : ndarray (n, n)
        Distance from node i (row) to median j (column).
    demand : array (n,)
    capacity : float or array (n,)
    p : int
    """
    dist = np.asarray(dist, dtype=float)
    n = dist.shape[0]
    i, j = np.meshgrid(np.arange(n), np.arange(dist.shape[1]), indexing="ij")
    return CapProblem.from_arrays(
        village_load=demand, site_cost=np.zeros(dist.shape[1]), site_capacity=capacity,
        pair_village=i.ravel(), pair_site=j.ravel(), pair_cost=dist.ravel(), n_open=p)


# ----------------------------------------------------------------------------- blocks


@dataclass
class Block:
    """One connected component, in local indices (the search, bound and backends work on it)."""

    villages: np.ndarray  # global village indices
    sites: np.ndarray  # global site indices
    pv: np.ndarray
    ps: np.ndarray
    pa: np.ndarray  # assignment cost
    pl: np.ndarray  # load
    load: np.ndarray  # village loads (messages)
    f: np.ndarray  # cost (unweighted)
    q: np.ndarray
    group: np.ndarray
    forced: np.ndarray
    p: int | None
    weight: float = 1.0
    pairs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # global pair idx

    @property
    def n(self) -> int:
        return len(self.villages)

    @property
    def m(self) -> int:
        return len(self.sites)

    @property
    def fy(self) -> np.ndarray:
        """Weighted opening costs (the objective's y coefficients)."""
        return self.weight * self.f

    def objective(self, is_open: np.ndarray, assign: np.ndarray) -> float:
        """Weighted objective of a plan (``assign`` = local pair index per village)."""
        return float(self.fy[is_open].sum() + self.pa[assign].sum())

    def integral(self) -> bool:
        """True when every objective coefficient is a whole number (bounds may be rounded up)."""
        return bool(np.all(self.pa == np.round(self.pa)) and np.all(self.fy == np.round(self.fy)))


def _lex_weight(f: np.ndarray, pa: np.ndarray, pv: np.ndarray, n: int) -> tuple[float, float]:
    """(W, D̄): W f dominates any difference in assignment cost (f whole numbers, gcd δ)."""
    dmax = np.zeros(n)
    np.maximum.at(dmax, pv, pa)
    dbar = float(dmax.sum())
    fi = np.rint(f).astype(np.int64)
    pos = fi[fi > 0]
    delta = float(reduce(math.gcd, pos.tolist(), 0)) if len(pos) else 1.0
    return (2.0 * dbar + 1.0) / delta, dbar


def make_blocks(prob: CapProblem, decompose: bool = True) -> list[Block]:
    """Split into connected components of the village–site graph (one block in p-median mode)."""
    n, m = prob.n_villages, prob.n_sites
    pv, ps = prob.pair_village, prob.pair_site
    if decompose and prob.n_open is None:
        # groups tie their sites together
        gi = np.flatnonzero(prob.site_group >= 0)
        first = {}
        ga, gb = [], []
        for j in gi:
            g = int(prob.site_group[j])
            if g in first:
                ga.append(first[g])
                gb.append(j)
            else:
                first[g] = j
        rows = np.concatenate([pv, n + np.asarray(ga, np.int64)])
        cols = np.concatenate([n + ps, n + np.asarray(gb, np.int64)])
        g = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + m, n + m))
        k, label = connected_components(g, directed=False)
    else:
        k, label = 1, np.zeros(n + m, np.int64)
    vlab, slab = label[:n], label[n:]
    order = np.argsort(vlab[pv], kind="stable")
    starts = np.searchsorted(vlab[pv][order], np.arange(k + 1))
    blocks = []
    for b in range(k):
        vs = np.flatnonzero(vlab == b)
        if not len(vs):
            continue  # sites nobody reaches: never opened
        ss = np.flatnonzero(slab == b)
        pidx = order[starts[b]:starts[b + 1]]
        vpos = np.full(n, -1, np.int64)
        vpos[vs] = np.arange(len(vs))
        spos = np.full(m, -1, np.int64)
        spos[ss] = np.arange(len(ss))
        blk = Block(vs, ss, vpos[pv[pidx]], spos[ps[pidx]], prob.pair_cost[pidx].copy(),
                    prob.pair_load[pidx].copy(), prob.village_load[vs], prob.site_cost[ss],
                    prob.site_capacity[ss], prob.site_group[ss], prob.site_open[ss],
                    prob.n_open, 1.0, pidx)
        if prob.lexicographic:
            blk.weight = _lex_weight(blk.f, blk.pa, blk.pv, blk.n)[0]
        blocks.append(blk)
    return blocks


# ----------------------------------------------------------------------------- checks


def check_problem(prob: CapProblem) -> list[CapacityIssue]:
    """Reasons found before solving why no single-source plan exists (empty when none found)."""
    n = prob.n_villages
    vid, sid = prob.village_ids, prob.site_ids
    pv, ps, pl = prob.pair_village, prob.pair_site, prob.pair_load
    issues = []
    has = np.bincount(pv, minlength=n) > 0
    lonely = np.flatnonzero(~has)
    if len(lonely):
        v = [str(vid[i]) for i in lonely]
        issues.append(CapacityIssue(
            "no_site_in_reach", tuple(v), (),
            f"村 {_ids(v)} 服务半径内没有候选场所：请增加候选场所或提高服务半径",
            f"villages {_ids(v)} have no candidate site within reach: add a site or raise the "
            "travel cap"))
    fits = pl <= prob.site_capacity[ps]
    ok = np.bincount(pv[fits], minlength=n) > 0
    big = np.flatnonzero(has & ~ok)
    if len(big):
        v = [str(vid[i]) for i in big]
        caps = np.zeros(n)
        np.maximum.at(caps, pv, prob.site_capacity[ps])
        detail_zh = "；".join(f"{vid[i]} 有 {prob.village_load[i]} 名儿童，可达场所最大容量 "
                             f"{_num(caps[i])}" for i in big[:_MAX_LISTED])
        detail_en = "; ".join(f"{vid[i]} has {prob.village_load[i]} children, the largest "
                              f"reachable capacity is {caps[i]:g}" for i in big[:_MAX_LISTED])
        sites = tuple(dict.fromkeys(str(sid[j]) for j in ps[np.isin(pv, big)]))
        issues.append(CapacityIssue(
            "village_exceeds_capacity", tuple(v), sites,
            f"村 {_ids(v)} 的儿童不能整体进入任何可达的儿童之家（{detail_zh}）：请提高容量或选用大规格",
            f"villages {_ids(v)} cannot go whole to any reachable home ({detail_en}): raise the "
            "capacity or choose a large build"))
    if issues or prob.n_open is not None:
        return issues + (_p_short(prob) if prob.n_open is not None and not issues else [])
    for blk in make_blocks(prob):
        need = _min_load(blk).sum()
        supply = _group_capacity(blk)
        if need > supply:
            v = [str(vid[i]) for i in blk.villages]
            s = [str(sid[j]) for j in blk.sites]
            caps = "、".join(f"{sid[j]}={_num(prob.site_capacity[j])}"
                            for j in blk.sites[:_MAX_LISTED])
            issues.append(CapacityIssue(
                "capacity_short", tuple(v), tuple(s),
                f"村 {_ids(v)} 共 {need} 名儿童，可达场所总容量只有 {supply:g}（{caps}）："
                "请提高容量、增加候选场所或提高服务半径",
                f"villages {_ids(v)} have {need} children but the sites within reach hold only "
                f"{supply:g} ({caps}): raise capacities, add a site or raise the travel cap"))
    return issues


def _min_load(blk: Block) -> np.ndarray:
    out = np.full(blk.n, np.iinfo(np.int64).max)
    np.minimum.at(out, blk.pv, blk.pl)
    return out


def _reach_capacity(blk: Block) -> np.ndarray:
    """min(Q_j, load of everything that can reach j): what site j can usefully hold."""
    tot = np.bincount(blk.ps, weights=blk.pl, minlength=blk.m)
    return np.minimum(blk.q, tot)


def _group_capacity(blk: Block) -> float:
    cap = _reach_capacity(blk)
    free = blk.group < 0
    total = float(cap[free].sum())
    for g in np.unique(blk.group[~free]):
        total += float(cap[blk.group == g].max())
    return total


def _p_short(prob: CapProblem) -> list[CapacityIssue]:
    caps = np.sort(np.where(np.isfinite(prob.site_capacity), prob.site_capacity, 1e18))[::-1]
    supply = caps[:prob.n_open].sum()
    need = int(prob.village_load.sum())
    if need <= supply:
        return []
    return [CapacityIssue(
        "capacity_short", tuple(map(str, prob.village_ids)), (),
        f"{prob.n_open} 个场所最大容量合计 {supply:g}，少于 {need} 名儿童：请增加数量或提高容量",
        f"{prob.n_open} sites hold at most {supply:g}, fewer than the {need} children: open more "
        "or raise capacities")]


def explain_packing(prob: CapProblem, blk: Block, feasible) -> CapacityIssue:
    """Name a small set of villages that cannot be packed whole (a deletion filter).

    ``feasible(block) -> bool`` decides a sub-block; villages are dropped one at a time while
    the rest stays infeasible, so what remains is irreducible: every village named is needed.
    """
    keep = np.ones(blk.n, bool)
    if blk.n <= 40:
        for i in np.argsort(blk.load, kind="stable"):
            keep[i] = False
            if feasible(sub_block(blk, keep)):
                keep[i] = True
    vs = blk.villages[keep]
    sub = sub_block(blk, keep)
    sites = blk.sites[np.unique(sub.ps)]
    vtxt = "、".join(f"{prob.village_ids[i]}({prob.village_load[i]})" for i in vs[:_MAX_LISTED])
    stxt = "、".join(f"{prob.site_ids[j]}={_num(prob.site_capacity[j])}"
                     for j in sites[:_MAX_LISTED])
    need = int(prob.village_load[vs].sum())
    cap = float(np.minimum(prob.site_capacity[sites], 1e18).sum())
    return CapacityIssue(
        "single_source_packing", tuple(map(str, prob.village_ids[vs])),
        tuple(map(str, prob.site_ids[sites])),
        f"村 {vtxt}（括号内为儿童数）共 {need} 名儿童，只能去容量为 {stxt} 的场所（合计 {cap:g}）；"
        "每个村须整体去一处，无法装下：请提高其中某处容量、增加候选场所或提高服务半径",
        f"villages {vtxt} (children in brackets), {need} children in all, can only go to sites "
        f"with capacities {stxt} ({cap:g} in all); each village must go whole to one home and "
        "they do not fit: raise one of these capacities, add a site or raise the travel cap")


def sub_block(blk: Block, keep: np.ndarray) -> Block:
    """The block restricted to the villages where ``keep`` (same sites)."""
    sel = keep[blk.pv]
    pos = np.cumsum(keep) - 1
    return Block(blk.villages[keep], blk.sites, pos[blk.pv[sel]], blk.ps[sel], blk.pa[sel],
                 blk.pl[sel], blk.load[keep], blk.f, blk.q, blk.group, blk.forced, blk.p,
                 blk.weight, blk.pairs[sel])


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class BlockResult:
    """How one block was solved.

    ``objective`` and ``bound`` are in the block's weighted units; ``gap`` is relative to the
    objective; ``proven_by`` is ``"search"``, ``"lagrange"`` or the backend name.
    """

    villages: int
    sites: int
    pairs: int
    status: str
    objective: float
    bound: float
    gap: float
    seconds: float
    proven_by: str
    cost: float
    cost_bound: float
    fixed_sites: int
    village_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CapPlan:
    """A single-source plan with its proof.

    Attributes
    ----------
    is_open : ndarray of bool (n_sites,)
    assignment : ndarray of int (n_villages,)
        The site index serving each village.
    site_load : ndarray of int (n_sites,)
        Children counted against each site's capacity.
    objective, bound, gap : float
        Sum over blocks (weighted units when lexicographic); ``gap`` relative to the objective.
    cost, cost_bound, cost_gap : float
        Opening cost, a proven lower bound on it, and their relative gap.
    distance : float
        Sum of assignment costs.
    status : str
        ``"optimal"`` only when every block's gap is within tolerance; else ``"feasible"``.
    blocks : tuple of BlockResult
    """

    is_open: np.ndarray
    assignment: np.ndarray
    site_load: np.ndarray
    objective: float
    bound: float
    gap: float
    cost: float
    cost_bound: float
    cost_gap: float
    distance: float
    status: str
    solver: str
    seconds: float
    blocks: tuple[BlockResult, ...]

    @property
    def n_open(self) -> int:
        """Number of open sites."""
        return int(self.is_open.sum())

    @property
    def open_blocks(self) -> tuple[BlockResult, ...]:
        """Blocks the time limit stopped before their gap closed (what a page should name)."""
        return tuple(b for b in self.blocks if b.status != "optimal")


def rel_gap(obj: float, bound: float) -> float:
    """(obj − bound)/|obj|, 0 when closed, ``inf`` without a bound."""
    if not np.isfinite(bound):
        return math.inf
    if obj - bound <= 1e-9 * max(1.0, abs(obj)):
        return 0.0
    return (obj - bound) / max(abs(obj), 1e-12)


# ----------------------------------------------------------------------------- solve


def solve_capacitated(prob: CapProblem, solver: str = "highs", *, time_limit_s: float = 60.0,
                      gap_rel: float = 1e-4, threads: int | None = None,
                      decompose: bool = True, lagrange: bool = True, search: bool = True,
                      msg: bool = False, highs_options: dict | None = None) -> CapPlan:
    """Solve a :class:`CapProblem` to proven optimality or until ``time_limit_s`` (whole call).

    Parameters
    ----------
    solver : {"highs", "cbc", "cpsat"}
    time_limit_s : float
        Bounds the whole call (checks, search, bound, model build and solve).
    gap_rel : float
        Relative tolerance on the objective (lexicographic: on the assignment cost, with the
        opening cost exact).
    decompose, lagrange, search : bool
        Switch off the decomposition, the Lagrangian bound or the start (for measurements).
    highs_options : dict, optional
        Extra HiGHS options (measurements).

    Raises
    ------
    CapacityInfeasible
        Before solving when a check fails, or when a block is proven infeasible.
    CapacityNotSolved
        When no feasible plan was found in time.
    """
    from optimization import capacitated_search as cs
    from optimization.capacitated_backends import solve_block
    from optimization.capacitated_lagrange import lagrangian_bound

    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; one of {SOLVERS} / 未知求解器")
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    issues = check_problem(prob)
    if issues:
        raise CapacityInfeasible(issues)
    blocks = make_blocks(prob, decompose)
    sizes = np.array([len(b.pv) + b.m for b in blocks], float)
    order = np.argsort(sizes)  # small first: their time is short, the rest goes to the big ones
    is_open = np.zeros(prob.n_sites, bool)
    assignment = np.full(prob.n_villages, -1, np.int64)
    results: list[BlockResult | None] = [None] * len(blocks)
    remaining = sizes.sum()
    for k in order:
        blk = blocks[k]
        now = time.perf_counter()
        share = (deadline - now) * sizes[k] / max(remaining, 1.0)
        remaining -= sizes[k]
        res, op, asg = _solve_one(prob, blk, solver, now + max(share, 0.05), gap_rel, threads,
                                  lagrange, search, msg, highs_options, cs, solve_block,
                                  lagrangian_bound)
        results[k] = res
        is_open[blk.sites[op]] = True
        assignment[blk.villages] = blk.sites[blk.ps[asg]]
    return _assemble(prob, is_open, assignment, results, solver, time.perf_counter() - t0)


def _solve_one(prob, blk: Block, solver, deadline, gap_rel, threads, lagrange, search, msg,
               highs_options, cs, solve_block, lagrangian_bound):
    """Search, bound, restricted (core) MILP for a better incumbent, then the proving MILP."""
    t0 = time.perf_counter()
    budget = max(deadline - t0, 0.05)
    lex = prob.lexicographic
    dbar = _lex_weight(blk.f, blk.pa, blk.pv, blk.n)[1] if lex else 0.0
    inc = cs.heuristic(blk, t0 + STAGE_ENDS[0] * budget) if search else None
    small = len(blk.pv) <= LAGRANGE_MIN_PAIRS
    if (inc is not None and lex and CPSAT_PRIMAL
            and CPSAT_PRIMAL_MIN_VILLAGES <= blk.n <= CPSAT_PRIMAL_MAX_VILLAGES):
        inc = _primal_stage(blk, inc, t0 + STAGE_ENDS[1] * budget, threads, cs, solve_block)
    elif inc is not None and not small and blk.n > LNS_MIN_VILLAGES and blk.p is None:
        def sub_solve(sub, start, end):
            out = solve_block(sub, "highs", start, None, None, end, 0.0, threads)
            return None if out.values is None else (out.is_open, out.assign)

        inc = cs.lns(blk, inc, t0 + STAGE_ENDS[1] * budget, sub_solve)
    ub = blk.objective(*inc) if inc is not None else math.inf
    tol = _tolerance(blk, ub, gap_rel, lex, inc)
    bound, proven_by, fixed0, fixed1 = -math.inf, "search", None, None
    if lagrange and not small and np.isfinite(ub):
        inc, ub, tol, bound, fixed0, fixed1 = _lagrange_stage(
            blk, inc, ub, tol, t0, budget, solver, gap_rel, lex, threads, msg, highs_options,
            cs, solve_block, lagrangian_bound)
        proven_by = "lagrange"
    if blk.integral() and np.isfinite(bound):
        bound = _ceil(bound)
    n_fixed = 0 if fixed0 is None else int(fixed0.sum() + fixed1.sum())
    if not (ub - bound <= tol):
        if lex and COST_FIRST and not small and inc is not None:
            inc, ub, milp_bound = _cost_stage(blk, inc, ub, fixed0, fixed1, t0, deadline,
                                              solver, threads, msg, highs_options, cs,
                                              solve_block)
        else:
            inc, ub, milp_bound = _milp_stage(prob, blk, inc, ub, tol, fixed0, fixed1,
                                              deadline, solver, threads, msg, highs_options,
                                              solve_block)
        if milp_bound > bound:
            bound, proven_by = milp_bound, solver
    now = time.perf_counter()
    # the cost is proven (by the cost stage, or the solver stopped at its precision with the
    # weighted objective) and the distance is open: the distance stage, if time is left
    if lex and inc is not None and tol < ub - bound and now < deadline - 0.05:
        inc, ub, bound, how = _distance_stage(blk, inc, bound, tol, dbar,
                                              now + 0.5 * (deadline - now), solver, threads,
                                              msg, highs_options, solve_block)
        proven_by = how or proven_by
    if inc is None:
        raise CapacityNotSolved(
            f"在时限内未找到可行方案（{blk.n} 个村的区块）：请延长时限 / no feasible plan found in "
            f"time for a block of {blk.n} villages: allow more time")
    is_open, assign = inc
    bound = min(bound, ub)
    status = "optimal" if ub - bound <= tol + 1e-9 * max(1.0, abs(ub)) else "feasible"
    cost = float(blk.f[is_open].sum())
    cost_bound = _cost_bound(blk, bound, dbar, cost) if lex else math.nan
    return BlockResult(blk.n, blk.m, len(blk.pv), status, ub, bound, rel_gap(ub, bound),
                       time.perf_counter() - t0, proven_by, cost, cost_bound, n_fixed,
                       tuple(map(str, prob.village_ids[blk.villages[:_MAX_LISTED]]))), \
        is_open, assign


def _lagrange_stage(blk: Block, inc, ub, tol, t0, budget, solver, gap_rel, lex, threads, msg,
                    highs_options, cs, solve_block, lagrangian_bound):
    """Lagrangian bound (with repairs), a restricted MILP on its core sites, site fixings.

    Returns (incumbent, objective, tolerance, bound, fixed closed, fixed open).
    """
    idx = cs._Index(blk)
    lag = lagrangian_bound(
        blk, ub, ub - tol, t0 + STAGE_ENDS[2] * budget,
        repair=lambda sel, ch: cs.repair(blk, idx, sel, ch, time.perf_counter() + 0.02 * budget))
    bound = lag.bound
    if lag.better is not None and blk.objective(*lag.better) < ub:
        inc, ub = lag.better, blk.objective(*lag.better)
        tol = _tolerance(blk, ub, gap_rel, lex, inc)
    if blk.integral():
        bound = _ceil(bound)
    if ub - bound > tol:  # a restricted MILP on the relaxation's sites: a better incumbent
        core = lag.core() | inc[0]
        # the cost alone, in whole cost steps (see _cost_stage)
        flat = lex and COST_FIRST
        if (~core).any():
            out = solve_block(_cost_block(blk) if flat else blk, solver, inc, ~core, None,
                              t0 + STAGE_ENDS[3] * budget, 1.0 - 1e-6 if flat else tol,
                              threads, msg, highs_options)
            if out.values is not None and blk.objective(out.is_open, out.assign) < ub:
                inc = (out.is_open, out.assign)
                if flat:  # its distances are arbitrary: the local search
                    inc = cs.local_search(blk, idx, *inc, t0 + (STAGE_ENDS[3] + 0.02) * budget)
                ub = blk.objective(*inc)
                tol = _tolerance(blk, ub, gap_rel, lex, inc)
    fixed0, fixed1 = lag.refix(ub - tol)
    return inc, ub, tol, bound, fixed0, fixed1


def _primal_stage(blk: Block, inc, deadline, threads, cs, solve_block):
    """A cheaper plan from CP-SAT on the opening cost alone, then the local search for distance.

    Only the plan is taken (CP-SAT's bound is far weaker than HiGHS's here); returns the better
    of it and ``inc`` on the block's own (lexicographic) objective.
    """
    idx = cs._Index(blk)
    now = time.perf_counter()
    out = solve_block(_cost_block(blk), "cpsat", inc, None, None,
                      deadline - 0.1 * max(deadline - now, 0.0), 1.0 - 1e-6, threads,
                      stall_s=CPSAT_STALL_S)
    if out.values is None:
        return inc
    cand = cs.local_search(blk, idx, out.is_open, out.assign,
                           max(deadline, time.perf_counter() + 0.05))
    return cand if blk.objective(*cand) < blk.objective(*inc) else inc


def _cost_block(blk: Block) -> Block:
    """The block with the opening cost alone as objective, in units of the costs' gcd."""
    return Block(**{**blk.__dict__, "pa": np.zeros(len(blk.pv)), "weight": 1.0 / _gcd_step(blk)})


def _cost_stage(blk: Block, inc, ub, fixed0, fixed1, t0, deadline, solver, threads, msg,
                highs_options, cs, solve_block):
    """Lexicographic blocks: the proving MILP on the opening cost alone (whole cost steps).

    The weighted objective mixes ~10⁹ opening terms with ~10³ distance terms and the solvers
    search it badly; on the cost alone, in units of the costs' gcd, the objective is a whole
    number, so a bound within one unit of the incumbent proves it. A cheaper plan it finds
    gets the local search (distance only: a cost step outweighs any distance). Returns
    (incumbent, objective, bound) with the bound ``W · cost bound + least distance``; the
    distance stage (:func:`_distance_stage`) closes the distance once the cost is proven.
    Site fixings proven against the incumbent keep every strictly cheaper plan, so the
    reduced model's bound holds below the incumbent's cost.
    """
    step = _gcd_step(blk)
    flat = _cost_block(blk)
    cost = float(blk.f[inc[0]].sum())
    reserve = COST_SEARCH_SHARE * max(deadline - t0, 0.0)
    out = solve_block(flat, solver, inc, fixed0, fixed1, deadline - reserve, 1.0 - 1e-6,
                      threads, msg, highs_options)
    if out.values is not None and float(blk.f[out.is_open].sum()) < cost - 1e-6:
        cand = cs.local_search(blk, cs._Index(blk), out.is_open, out.assign, deadline)
        if blk.objective(*cand) < ub:
            inc, ub = cand, blk.objective(*cand)
            cost = float(blk.f[inc[0]].sum())
    if out.status == "infeasible":  # nothing cheaper than the incumbent exists
        lower = cost
    else:
        lower = min(_ceil(out.bound) * step, cost) if np.isfinite(out.bound) else 0.0
    least = np.full(blk.n, np.inf)
    np.minimum.at(least, blk.pv, blk.pa)
    return inc, ub, blk.weight * lower + float(least.sum())


def _milp_stage(prob, blk: Block, inc, ub, tol, fixed0, fixed1, deadline, solver, threads, msg,
                highs_options, solve_block):
    """The proving MILP on the (reduced) block: returns (incumbent, objective, bound).

    Raises :class:`CapacityInfeasible` (naming the villages) when it proves no plan exists.
    """
    out = solve_block(blk, solver, inc, fixed0, fixed1, deadline, tol, threads, msg,
                      highs_options)
    if out.status == "infeasible" and inc is None:
        from optimization.capacitated_backends import block_feasible

        raise CapacityInfeasible([explain_packing(
            prob, blk, lambda b: block_feasible(b, solver, threads))])
    if out.values is not None:
        cand = (out.is_open, out.assign)
        if blk.objective(*cand) < ub:
            inc, ub = cand, blk.objective(*cand)
    # the reduced model is exact only below the incumbent the fixings were proven against
    milp_bound = out.bound if fixed0 is None else min(out.bound, ub)
    if out.status == "infeasible":  # nothing better than the incumbent exists
        milp_bound = ub
    if blk.integral() and np.isfinite(milp_bound):
        milp_bound = _ceil(milp_bound)
    return inc, ub, milp_bound


def _distance_stage(blk: Block, inc, bound, tol, dbar, deadline, solver, threads, msg,
                    highs_options, solve_block):
    """Once the cost is proven, minimise the distance alone with the cost fixed.

    The lexicographic weight makes the objective ~10⁷ and the solvers stop at a relative
    precision of ~10⁻⁶ of it, above a small distance tolerance; with the cost held at its
    proven optimum (``cost_cap`` row, weight 0) the distance is solved on its own scale. Every
    plan of the proven cost is in that model, so its bound is a distance bound.
    Returns (incumbent, objective, bound, how) — ``how`` "" when nothing was proven.
    """
    cost = float(blk.f[inc[0]].sum())
    ub = blk.objective(*inc)
    if _cost_bound(blk, bound, dbar, cost) < cost:
        return inc, ub, bound, ""
    flat = Block(**{**blk.__dict__, "weight": 0.0})
    dist = float(blk.pa[inc[1]].sum())
    out = solve_block(flat, solver, inc, None, None, deadline, max(tol, 1e-9), threads, msg,
                      highs_options, cost_cap=cost + 0.5)
    if out.values is not None and float(blk.f[out.is_open].sum()) <= cost + 1e-6:
        cand = float(blk.pa[out.assign].sum())
        if cand < dist:
            inc, dist = (out.is_open, out.assign), cand
            ub = blk.objective(*inc)
    if not np.isfinite(out.bound) or out.status == "infeasible":
        return inc, ub, bound, ""
    d_lb = out.bound
    if flat.integral():
        d_lb = _ceil(d_lb)
    new = blk.weight * cost + min(d_lb, dist)
    return inc, ub, (max(bound, new) if new > bound else bound), (solver if new > bound else "")


def _ceil(x: float) -> float:
    return float(math.ceil(x - 1e-6 * max(1.0, abs(x))))


def _tolerance(blk: Block, ub: float, gap_rel: float, lex: bool, inc) -> float:
    """Absolute tolerance: gap_rel of the objective, or of the assignment cost (lexicographic)."""
    if not np.isfinite(ub):
        return 0.0
    if lex:
        dist = float(blk.pa[inc[1]].sum())
        tol = gap_rel * dist
    else:
        tol = gap_rel * abs(ub)
    if blk.integral():
        tol = max(tol, 1.0 - 1e-6)  # a whole-number objective: closing below 1 is closing
    return tol


def _cost_bound(blk: Block, bound: float, dbar: float, cost: float) -> float:
    """Proven lower bound on the block's opening cost from a bound on W C + D (D ≤ D̄)."""
    if not np.isfinite(bound):
        return 0.0
    lower = (bound - dbar) / blk.weight
    if lower > cost - _gcd_step(blk):  # nothing cheaper by one cost step is possible
        return cost
    return max(0.0, lower)


def _gcd_step(blk: Block) -> float:
    fi = np.rint(blk.f).astype(np.int64)
    pos = fi[fi > 0]
    return float(reduce(math.gcd, pos.tolist(), 0)) if len(pos) else 1.0


def _assemble(prob: CapProblem, is_open, assignment, results, solver, seconds) -> CapPlan:
    if prob.n_open is None:  # a site nobody uses is not open (unless forced)
        used = np.zeros(prob.n_sites, bool)
        used[assignment[assignment >= 0]] = True
        is_open = is_open & (used | prob.site_open)
    key = np.flatnonzero(assignment >= 0)
    pair_of = dict(zip((prob.pair_village * prob.n_sites + prob.pair_site).tolist(),
                       range(prob.n_pairs), strict=True))
    pidx = np.array([pair_of[int(i) * prob.n_sites + int(assignment[i])] for i in key],
                    np.int64)
    load = np.bincount(assignment[key], weights=prob.pair_load[pidx],
                       minlength=prob.n_sites).astype(np.int64)
    obj = sum(r.objective for r in results)
    bound = sum(r.bound for r in results)
    status = "optimal" if all(r.status == "optimal" for r in results) else "feasible"
    cost = float(prob.site_cost[is_open].sum())
    if prob.lexicographic:
        cost_bound = float(sum(r.cost_bound for r in results))
    else:
        cost_bound = math.nan
    return CapPlan(is_open, assignment, load, float(obj), float(bound), rel_gap(obj, bound),
                   cost, cost_bound, rel_gap(cost, cost_bound) if prob.lexicographic else math.nan,
                   float(prob.pair_cost[pidx].sum()), status, solver, seconds, tuple(results))
