r"""The siting MILP: one builder per constraint family, every column and row named.

Over a block (a connected component of the village–site graph, or the whole problem), with
local villages :math:`i`, sites :math:`j` and pairs :math:`p = (i, j)`:

    open_s<id>              y_j binary
    assign_v<code>_s<id>    x_p in [0, 1]; binary for large villages and capacitated sites
    covered_v<code>         z_i binary (coverage stage / under a budget; 1 for large villages)

    own_home_v<code>        sum_p x_p = 1       large villages: exactly one site inside it
    cover_v<code>           sum_p x_p = 1       small villages (= z_i under a budget)
    link_v<code>_s<id>      x_p <= y_j          every pair (the strong formulation)
    capacity_s<id>          sum_p l_p x_p <= Q_j y_j   l_p = c_i (small), min(c_i, Q_j) (own
                                                home: what is left for neighbours is never < 0)
    one_size_s<id>          sum_j y_j <= 1      new-build sizes (small, large) at one place
    must_open_s<id>         y_j = 1
    lock_v<code>_s<id>      x_p = 1
    budget_new_homes        sum_{j not existing} y_j - sum_{own pairs, j not existing} x_p <= K
    coverage_floor          sum_i w_i z_i >= W*

Objective (cost stage) :math:`Z = M \sum_j f_j y_j / \delta + \sum_p c_i d_p x_p` with
:math:`\delta` the gcd of the whole-yuan costs and :math:`M = 2 \bar D + 1`,
:math:`\bar D = \sum_i c_i \max_p d_p` (every plan's distance is below :math:`\bar D`): one cost
unit outweighs any distance, so :math:`\min Z` is cost first, then child-weighted distance —
ties in cost are broken by distance in the objective, including the own home's site.
Coverage stage: :math:`\min -\sum_i w_i z_i`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce

import numpy as np

from optimization.siting_problem import SitingProblem
from optimization.solver import Model, components, safe_names

_WEIGHT_SCALE = 100  # coverage weights are compared in hundredths


@dataclass(frozen=True, eq=False)
class Arrays:
    """The problem as arrays, derived once (global indices).

    ``active`` villages are in the model: large ones and small ones with children (a village
    without children needs no home; it joins an open home in reach afterwards).
    """

    children: np.ndarray
    weight: np.ndarray  # integer hundredths
    big: np.ndarray
    active: np.ndarray
    cost: np.ndarray
    cap: np.ndarray  # inf = unlimited
    must: np.ndarray
    existing: np.ndarray
    pv: np.ndarray
    ps: np.ndarray
    pd: np.ndarray
    load: np.ndarray  # per pair: capacity it takes
    lock_pair: dict[int, int]  # village -> pair (small villages)
    delta: float
    group: np.ndarray | None = None  # per site: new-build sizes at one place share a group


def size_groups(problem: SitingProblem) -> np.ndarray:
    """Group id per site (-1: none): new builds at one village centre (small, large sizes)."""
    st = problem.sites
    new = st["kind"].to_numpy(object) == "new_build"
    place = st["village_code"].to_numpy(object)
    group = np.full(len(st), -1, np.int64)
    where: dict[object, list[int]] = {}
    for j in np.flatnonzero(new):
        if place[j]:
            where.setdefault(place[j], []).append(int(j))
    g = 0
    for js in where.values():
        if len(js) > 1:
            group[js] = g
            g += 1
    return group


def problem_arrays(problem: SitingProblem) -> Arrays:
    """Return the :class:`Arrays` of a problem."""
    vt, st = problem.villages, problem.sites
    children = vt["resident_children"].to_numpy(float)
    big = vt["own_home"].to_numpy(bool)
    cap = st["capacity"].to_numpy(float).copy()
    cap[cap <= 0] = np.inf
    must = np.zeros(len(st), dtype=bool)
    must[list(problem.must_open)] = True
    pv, ps = problem.pair_village, problem.pair_site
    load = np.where(big[pv], np.minimum(children[pv], cap[ps]), children[pv])
    lock_pair = {v: int(np.flatnonzero((pv == v) & (ps == s))[0]) for v, s in problem.locked}
    cost = st["cost_yuan"].to_numpy(float)
    units = np.unique(np.round(cost[cost > 0]).astype(np.int64))
    delta = float(reduce(math.gcd, units.tolist(), 0)) or 1.0
    return Arrays(
        children=children, weight=np.round(vt["weight"].to_numpy(float) * _WEIGHT_SCALE),
        big=big, active=big | (children > 0), cost=cost, cap=cap, must=must,
        existing=(st["status"] == "existing").to_numpy(), pv=pv, ps=ps,
        pd=problem.pair_distance, load=load, lock_pair=lock_pair, delta=delta,
        group=size_groups(problem),
    )


@dataclass(frozen=True, eq=False)
class Block:
    """Global village rows, site rows and pair ids of one block, and local index arrays."""

    villages: np.ndarray
    sites: np.ndarray
    pairs: np.ndarray
    lv: np.ndarray  # local village of each pair
    ls: np.ndarray  # local site of each pair

    @property
    def nv(self) -> int:
        """Villages in the block."""
        return len(self.villages)

    @property
    def ns(self) -> int:
        """Sites in the block."""
        return len(self.sites)


def _block(arr: Arrays, villages, sites, pairs) -> Block:
    villages, sites, pairs = np.sort(villages), np.sort(sites), np.sort(pairs)
    return Block(villages, sites, pairs, np.searchsorted(villages, arr.pv[pairs]),
                 np.searchsorted(sites, arr.ps[pairs]))


#: components are grouped into blocks of at least this many pairs: one solver call per tiny
#: component costs more (a CBC process each) than it saves (bench/siting.py --ablation)
MIN_BLOCK_PAIRS = 5000


def blocks(problem: SitingProblem, arr: Arrays, decompose: bool,
           min_pairs: int = MIN_BLOCK_PAIRS) -> tuple[list[Block], int]:
    """Split the active pairs into blocks of whole connected components; one unless ``decompose``.

    With ``decompose``, components (in label order) are gathered into a block until it holds
    ``min_pairs`` pairs: independent components in one model change nothing but the call
    count. Returns the blocks and the number of components (under a budget, which couples
    them, callers pass ``decompose=False``).
    """
    n, m = problem.n_villages, problem.n_sites
    live = np.flatnonzero(arr.active[arr.pv])
    pv, ps = arr.pv[live], arr.ps[live]
    _, label = components(n, m, pv, ps)
    vlab, slab = label[:n], label[n:]
    has = np.bincount(pv, minlength=n) > 0
    used = np.zeros(m, dtype=bool)
    used[ps] = True
    ncomp = len(np.unique(vlab[has]))
    if not decompose:  # one block; must-open sites too (they count against a budget)
        if not len(live) and not arr.must.any():
            return [], ncomp
        return [_block(arr, np.flatnonzero(has), np.flatnonzero(used | arr.must), live)], ncomp
    plab = vlab[pv]
    comps, sizes = np.unique(plab, return_counts=True)
    groups, cur, size = [], [], 0
    for k, c in zip(comps, sizes, strict=True):
        cur.append(k)
        size += c
        if size >= min_pairs:
            groups.append(cur)
            cur, size = [], 0
    if cur:
        groups.append(cur)
    out = []
    for g in groups:
        out.append(_block(arr, np.flatnonzero(has & np.isin(vlab, g)),
                          np.flatnonzero(used & np.isin(slab, g)), live[np.isin(plab, g)]))
    return out, ncomp


def dbar(arr: Arrays, blk: Block) -> float:
    """Children times the farthest reachable distance, summed: above every plan's distance."""
    far = np.zeros(blk.nv)
    np.maximum.at(far, blk.lv, arr.pd[blk.pairs])
    return float((arr.children[blk.villages] * far).sum())


# ----------------------------------------------------------------------------- builders


@dataclass(frozen=True, eq=False)
class Cols:
    """Column numbers: ``y`` per local site, ``x`` per local pair, ``z`` per local village."""

    y: np.ndarray
    x: np.ndarray
    z: np.ndarray | None


@dataclass(frozen=True, eq=False)
class Names:
    """Safe LP names of every village code and site id (global rows)."""

    village: np.ndarray
    site: np.ndarray

    @classmethod
    def of(cls, problem: SitingProblem) -> Names:
        """Names of a problem's villages and sites."""
        return cls(safe_names(problem.villages["village_code"].to_numpy()),
                   safe_names(problem.sites["site_id"].to_numpy()))


def add_columns(model: Model, arr: Arrays, blk: Block, nm: Names, coverage: bool) -> Cols:
    """``open_s<id>``, ``assign_v<code>_s<id>`` and (coverage) ``covered_v<code>``."""
    vn, sn = nm.village[blk.villages], nm.site[blk.sites]
    y = model.add_cols([f"open_s{s}" for s in sn], 0.0, 0.0, 1.0, True)
    gv, gs = arr.pv[blk.pairs], arr.ps[blk.pairs]
    binary = np.isfinite(arr.cap[gs]) | arr.big[gv]
    x = model.add_cols([f"assign_v{vn[v]}_s{sn[s]}" for v, s in zip(blk.lv, blk.ls, strict=True)],
                       0.0, 0.0, 1.0, binary)
    z = None
    if coverage:
        lb = arr.big[blk.villages].astype(float)  # large villages are always served
        # binary: a continuous z would let the floor's 0.5 slack shave a fraction off a
        # village's trip in the bound
        z = model.add_cols([f"covered_v{v}" for v in vn], 0.0, lb, 1.0, True)
    return Cols(y, x, z)


def add_cover_rows(model: Model, arr: Arrays, blk: Block, nm: Names, cols: Cols) -> None:
    """``own_home_v<code>`` / ``cover_v<code>``: sum_p x_p = 1 (small villages: = z_i)."""
    big = arr.big[blk.villages]
    vn = nm.village[blk.villages]
    names = [f"own_home_v{v}" if b else f"cover_v{v}" for v, b in zip(vn, big, strict=True)]
    rows, cc, vals = [blk.lv], [cols.x], [np.ones(len(blk.lv))]
    rhs = np.ones(blk.nv)
    if cols.z is not None:
        small = np.flatnonzero(~big)
        rows.append(small)
        cc.append(cols.z[small])
        vals.append(-np.ones(len(small)))
        rhs[small] = 0.0
    model.add_rows(names, np.concatenate(rows), np.concatenate(cc), np.concatenate(vals),
                   rhs, rhs)


def add_link_rows(model: Model, arr: Arrays, blk: Block, nm: Names, cols: Cols) -> None:
    """``link_v<code>_s<id>``: x_p <= y_j for every pair."""
    k = len(blk.pairs)
    r = np.arange(k)
    vn, sn = nm.village[blk.villages], nm.site[blk.sites]
    model.add_rows([f"link_v{vn[v]}_s{sn[s]}" for v, s in zip(blk.lv, blk.ls, strict=True)],
                   np.concatenate([r, r]), np.concatenate([cols.x, cols.y[blk.ls]]),
                   np.concatenate([np.ones(k), -np.ones(k)]), -np.inf, 0.0)


def add_capacity_rows(model: Model, arr: Arrays, blk: Block, nm: Names, cols: Cols) -> None:
    """``capacity_s<id>``: sum_p l_p x_p <= Q_j y_j (an own home takes min(c, Q))."""
    q = arr.cap[blk.sites]
    sites = np.flatnonzero(np.isfinite(q))
    if not len(sites):
        return
    row_of = np.full(blk.ns, -1)
    row_of[sites] = np.arange(len(sites))
    p = np.flatnonzero(row_of[blk.ls] >= 0)
    model.add_rows([f"capacity_s{s}" for s in nm.site[blk.sites[sites]]],
                   np.concatenate([row_of[blk.ls[p]], np.arange(len(sites))]),
                   np.concatenate([cols.x[p], cols.y[sites]]),
                   np.concatenate([arr.load[blk.pairs[p]], -q[sites]]), -np.inf, 0.0)


def add_size_rows(model: Model, arr: Arrays, blk: Block, nm: Names, cols: Cols) -> None:
    """``one_size_s<id>``: sum_j y_j <= 1 over the new-build sizes at one place."""
    if arr.group is None:
        return
    g = arr.group[blk.sites]
    ids = np.unique(g[g >= 0])
    if not len(ids):
        return
    local = np.flatnonzero(g >= 0)
    first = {int(k): int(local[g[local] == k][0]) for k in ids}
    model.add_rows([f"one_size_s{nm.site[blk.sites[first[int(k)]]]}" for k in ids],
                   np.searchsorted(ids, g[local]), cols.y[local], np.ones(len(local)),
                   -np.inf, 1.0)


def add_must_open_rows(model: Model, arr: Arrays, blk: Block, nm: Names, cols: Cols) -> None:
    """``must_open_s<id>``: y_j = 1."""
    sites = np.flatnonzero(arr.must[blk.sites])
    model.add_rows([f"must_open_s{s}" for s in nm.site[blk.sites[sites]]],
                   np.arange(len(sites)), cols.y[sites], np.ones(len(sites)), 1.0, 1.0)


def add_lock_rows(model: Model, arr: Arrays, blk: Block, nm: Names, cols: Cols) -> None:
    """``lock_v<code>_s<id>``: x_p = 1 for the locked small villages."""
    local = {int(g): k for k, g in enumerate(blk.pairs)}
    items = sorted((v, local[p]) for v, p in arr.lock_pair.items() if p in local)
    model.add_rows([f"lock_v{nm.village[v]}_s{nm.site[arr.ps[blk.pairs[k]]]}" for v, k in items],
                   np.arange(len(items)), cols.x[[k for _, k in items]], np.ones(len(items)),
                   1.0, 1.0)


def add_budget_row(model: Model, arr: Arrays, blk: Block, cols: Cols, budget: int) -> None:
    """``budget_new_homes``: non-existing sites opened, less those that are an own home."""
    sites = np.flatnonzero(~arr.existing[blk.sites])
    own = np.flatnonzero(arr.big[arr.pv[blk.pairs]] & ~arr.existing[arr.ps[blk.pairs]])
    model.add_rows(["budget_new_homes"], np.zeros(len(sites) + len(own), dtype=np.int64),
                   np.concatenate([cols.y[sites], cols.x[own]]),
                   np.concatenate([np.ones(len(sites)), -np.ones(len(own))]), -np.inf,
                   float(budget))


def add_coverage_floor_row(model: Model, arr: Arrays, blk: Block, cols: Cols,
                           floor: float) -> None:
    """``coverage_floor``: sum_i w_i z_i >= W* (weights in integer hundredths)."""
    model.add_rows(["coverage_floor"], np.zeros(blk.nv, dtype=np.int64), cols.z,
                   arr.weight[blk.villages], floor - 0.5, np.inf)


@dataclass(frozen=True)
class Stage:
    """What one model of a block is for.

    ``coverage``: maximise weighted coverage; else minimise ``M C / delta + D`` (with a
    coverage floor when ``floor`` is set). ``budget``: max_new_homes or None.
    """

    coverage: bool
    budget: int | None
    floor: float | None
    big_m: float


def build_model(arr: Arrays, blk: Block, nm: Names, stage: Stage) -> tuple[Model, Cols]:
    """Assemble one block's model from the constraint-family builders."""
    model = Model("siting_coverage" if stage.coverage else "siting_cost")
    with_z = stage.coverage or stage.floor is not None
    cols = add_columns(model, arr, blk, nm, with_z)
    add_cover_rows(model, arr, blk, nm, cols)
    add_link_rows(model, arr, blk, nm, cols)
    add_capacity_rows(model, arr, blk, nm, cols)
    add_size_rows(model, arr, blk, nm, cols)
    add_must_open_rows(model, arr, blk, nm, cols)
    add_lock_rows(model, arr, blk, nm, cols)
    if stage.budget is not None:
        add_budget_row(model, arr, blk, cols, stage.budget)
    if stage.coverage:
        model.set_objective(cols.z, -arr.weight[blk.villages])
        return model, cols
    if stage.floor is not None:
        add_coverage_floor_row(model, arr, blk, cols, stage.floor)
    model.set_objective(cols.y, stage.big_m * arr.cost[blk.sites] / arr.delta)
    model.set_objective(cols.x, arr.children[arr.pv[blk.pairs]] * arr.pd[blk.pairs])
    return model, cols


def decode(arr: Arrays, blk: Block, cols: Cols, values: np.ndarray):
    """Return (open sites, pair per village) in global indices from a model's values."""
    xv = values[cols.x]
    # per village the largest x, nearest on ties (pairs sorted by village then distance)
    order = np.lexsort((arr.pd[blk.pairs], -np.round(xv, 6), blk.lv))
    first = np.ones(len(order), dtype=bool)
    first[1:] = blk.lv[order][1:] != blk.lv[order][:-1]
    best = order[first]
    best = best[xv[best] > 1e-6]
    pair_of = np.full(blk.nv, -1, dtype=np.int64)
    pair_of[blk.lv[best]] = blk.pairs[best]
    if cols.z is not None:
        pair_of[(values[cols.z] < 0.5) & ~arr.big[blk.villages]] = -1
    serving = np.zeros(blk.ns, dtype=bool)
    serving[blk.ls[np.isin(blk.pairs, pair_of)]] = True
    is_open = (values[cols.y] > 0.5) & (serving | arr.must[blk.sites])
    return is_open, pair_of


def monolithic_model(problem: SitingProblem) -> Model:
    """Return the whole (one-block) cost–distance model of a problem, every row named."""
    arr = problem_arrays(problem)
    blks, _ = blocks(problem, arr, decompose=False)
    if not blks:
        e = np.zeros(0, np.int64)
        blks = [Block(e, e, e, e, e)]
    budget = problem.params.max_new_homes if problem.params.max_new_homes >= 0 else None
    stage = Stage(False, budget, None, 2.0 * dbar(arr, blks[0]) + 1.0)
    return build_model(arr, blks[0], Names.of(problem), stage)[0]
