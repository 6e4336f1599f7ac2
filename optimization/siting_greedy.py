"""The heuristic plan: greedy cover, then drop / swap local search (baseline and warm start).

It fixes each large village's own home by a rule (its existing 儿童之家, else a must-open site,
else the cheapest site inside it — ``villages.own_site``) and serves the small villages
around those homes, block by block (connected components). The MILP
(:mod:`optimization.siting_solve`) decides the own homes itself; this plan is feasible for it
and only ever a start or a fallback, never called optimal.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from optimization.siting_problem import SitingProblem, _graph_components

_WEIGHT_SCALE = 100  # coverage weights are compared in hundredths


@dataclass(frozen=True, eq=False)
class _Data:
    """Arrays the solver works on (derived once from a problem)."""

    children: np.ndarray
    weight: np.ndarray  # integer hundredths
    cost: np.ndarray
    cap: np.ndarray  # capacity left for small villages; inf = unlimited
    own: np.ndarray  # site is an own home (open, no variable)
    must: np.ndarray
    existing: np.ndarray
    pv: np.ndarray
    ps: np.ndarray
    pd: np.ndarray
    lock_pair: Mapping[int, int]  # village -> pair index
    pair_id: np.ndarray  # pair index -> the problem's pair index


def _data(problem: SitingProblem) -> _Data:
    """The rule variant: own homes fixed open at ``own_site`` with the capacity they leave.

    Pairs are those of the small villages with children (``pair_id`` maps them back to the
    problem's pairs); an own home leaves ``max(0, Q - c)`` places for neighbours.
    """
    vt, st = problem.villages, problem.sites
    m = len(st)
    children = vt["resident_children"].to_numpy(float)
    cap = st["capacity"].to_numpy(float).copy()
    cap[cap <= 0] = np.inf
    own = np.zeros(m, dtype=bool)
    own_site = vt["own_site"].to_numpy()
    for v in np.flatnonzero(own_site >= 0):
        own[own_site[v]] = True
        cap[own_site[v]] = max(0.0, cap[own_site[v]] - children[v])
    must = np.zeros(m, dtype=bool)
    must[list(problem.must_open)] = True
    pv, ps = problem.pair_village, problem.pair_site
    keep = ~vt["own_home"].to_numpy(bool)[pv] & (children[pv] > 0)
    pair_id = np.flatnonzero(keep)
    pv, ps = pv[keep], ps[keep]
    lock_pair = {}
    for v, s in problem.locked:
        lock_pair[v] = int(np.flatnonzero((pv == v) & (ps == s))[0])
    return _Data(
        children=children,
        weight=np.round(vt["weight"].to_numpy(float) * _WEIGHT_SCALE),
        cost=st["cost_yuan"].to_numpy(float),
        cap=cap, own=own, must=must,
        existing=(st["status"] == "existing").to_numpy(),
        pv=pv, ps=ps, pd=problem.pair_distance[keep], lock_pair=lock_pair, pair_id=pair_id,
    )


@dataclass(frozen=True, eq=False)
class _Block:
    villages: np.ndarray
    sites: np.ndarray
    pairs: np.ndarray
    components: int


def _blocks(problem: SitingProblem, data: _Data, decompose: bool) -> tuple[list[_Block], int]:
    n, m = problem.n_villages, problem.n_sites
    pv, ps = data.pv, data.ps
    used = np.zeros(m, dtype=bool)
    used[ps] = True
    # sites that matter: in a pair, or forced open
    relevant_sites = used | data.must
    _, label = _graph_components(n, m, pv, ps)
    vlab, slab = label[:n], label[n:]
    has_pairs = np.bincount(pv, minlength=n) > 0
    comp_ids = np.unique(np.concatenate([vlab[has_pairs], slab[relevant_sites]]))
    pair_lab = vlab[pv]
    order_p = np.argsort(pair_lab, kind="stable")
    p_bounds = np.searchsorted(pair_lab[order_p], comp_ids, side="left"), \
        np.searchsorted(pair_lab[order_p], comp_ids, side="right")
    v_sorted = np.argsort(vlab, kind="stable")
    s_sorted = np.argsort(slab, kind="stable")
    vb = np.searchsorted(vlab[v_sorted], comp_ids, "left"), \
        np.searchsorted(vlab[v_sorted], comp_ids, "right")
    sb = np.searchsorted(slab[s_sorted], comp_ids, "left"), \
        np.searchsorted(slab[s_sorted], comp_ids, "right")
    blocks = []
    for k in range(len(comp_ids)):
        vs = v_sorted[vb[0][k]:vb[1][k]]
        vs = np.sort(vs[has_pairs[vs]])
        ss = s_sorted[sb[0][k]:sb[1][k]]
        ss = np.sort(ss[relevant_sites[ss]])
        pp = np.sort(order_p[p_bounds[0][k]:p_bounds[1][k]])
        blocks.append(_Block(vs, ss, pp, 1))
    n_components = len(blocks)
    if not decompose or problem.params.max_new_homes >= 0:
        if len(blocks) > 1:
            blocks = [_Block(
                np.sort(np.concatenate([b.villages for b in blocks])),
                np.sort(np.concatenate([b.sites for b in blocks])),
                np.sort(np.concatenate([b.pairs for b in blocks])),
                len(blocks),
            )]
    return blocks, n_components


class _Local:
    """A block in local indices: pairs sorted by (village, distance)."""

    def __init__(self, data: _Data, blk: _Block):
        self.blk = blk
        order = np.lexsort((data.pd[blk.pairs], np.searchsorted(blk.villages,
                                                                data.pv[blk.pairs])))
        self.pairs = blk.pairs[order]  # global pair ids, local order
        self.lv = np.searchsorted(blk.villages, data.pv[self.pairs])
        self.ls = np.searchsorted(blk.sites, data.ps[self.pairs])
        self.d = data.pd[self.pairs]
        self.nv, self.ns = len(blk.villages), len(blk.sites)
        self.vstart = np.searchsorted(self.lv, np.arange(self.nv + 1))
        self.c = data.children[blk.villages]
        self.w = data.weight[blk.villages]
        self.f = data.cost[blk.sites]
        self.q = data.cap[blk.sites]
        self.own = data.own[blk.sites]
        self.must = data.must[blk.sites]
        self.existing = data.existing[blk.sites]
        gpos = {int(g): k for k, g in enumerate(self.pairs)}
        self.lock = {int(np.searchsorted(blk.villages, v)): gpos[p]
                     for v, p in data.lock_pair.items() if p in gpos}
        self.fixed = self.own | self.must
        for p in self.lock.values():
            self.fixed[self.ls[p]] = True
        self.capacitated = bool(np.isfinite(self.q[np.unique(self.ls)]).any()) if len(
            self.ls) else False
        # pairs by site
        self.site_order = np.argsort(self.ls, kind="stable")
        self.sstart = np.searchsorted(self.ls[self.site_order], np.arange(self.ns + 1))

    def key(self, open_: np.ndarray, assign: np.ndarray) -> tuple[float, float, float]:
        """(−coverage, cost, distance) of a local plan (lexicographic)."""
        cov = self.w[assign >= 0].sum()
        cost = self.f[open_ & ~self.own].sum()
        a = assign[assign >= 0]
        dist = float((self.c[self.lv[a]] * self.d[a]).sum())
        return (-cov, cost, dist)


# ----------------------------------------------------------------------------- greedy


def _greedy_local(loc: _Local, budget: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Greedy cover then local search on one block; returns (open sites, pair per village)."""
    nv, ns = loc.nv, loc.ns
    c, lv, ls, d = loc.c, loc.lv, loc.ls, loc.d
    is_open = loc.fixed.copy()
    rem = loc.q.copy()
    assign = np.full(nv, -1, dtype=np.int64)
    for v, p in loc.lock.items():
        assign[v] = p
        rem[ls[p]] -= c[v]

    def used_budget() -> int:
        return int((is_open & ~loc.existing & ~loc.own).sum())

    def nearest_open(v: int, exclude: int = -1) -> int:
        for p in range(loc.vstart[v], loc.vstart[v + 1]):
            s = ls[p]
            if is_open[s] and s != exclude and rem[s] >= c[v]:
                return p
        return -1

    by_options = np.argsort(np.diff(loc.vstart), kind="stable")
    for v in by_options:
        if assign[v] < 0:
            p = nearest_open(v)
            if p >= 0:
                assign[v] = p
                rem[ls[p]] -= c[v]
    # construct: open the best site until every village is covered (or the budget is spent)
    while True:
        unc = assign < 0
        if not unc.any():
            break
        can_spend = budget is None or used_budget() < budget
        mask = unc[lv] & ~is_open[ls] & (c[lv] <= rem[ls])
        if not can_spend:
            mask &= loc.existing[ls]
        if not mask.any():
            break
        gain_w = loc.w[lv] if budget is not None else np.ones(len(lv))
        gain = np.bincount(ls[mask], weights=gain_w[mask], minlength=ns)
        if loc.capacitated:
            dem = np.bincount(ls[mask], weights=c[lv[mask]], minlength=ns)
            with np.errstate(divide="ignore", invalid="ignore"):
                gain = gain * np.where(np.isfinite(rem) & (dem > 0),
                                       np.minimum(1.0, rem / np.maximum(dem, 1e-9)), 1.0)
        cand = np.flatnonzero(gain > 0)
        if not len(cand):
            break
        if budget is not None:
            best = cand[np.lexsort((loc.f[cand], -gain[cand]))[0]]
        else:
            ratio = loc.f[cand] / gain[cand]
            best = cand[np.lexsort((-gain[cand], ratio))[0]]
        is_open[best] = True
        ps_ = loc.site_order[loc.sstart[best]:loc.sstart[best + 1]]
        ps_ = ps_[np.argsort(d[ps_], kind="stable")]
        for p in ps_:
            v = lv[p]
            if assign[v] < 0 and rem[best] >= c[v]:
                assign[v] = p
                rem[best] -= c[v]
    _reassign(loc, is_open, assign, rem)
    _drop(loc, is_open, assign, rem)
    if not loc.capacitated:
        _add_free(loc, is_open, assign, budget)
        _swap(loc, is_open, assign, budget)
    # close what serves nobody and is not forced
    serving = np.zeros(ns, dtype=bool)
    serving[ls[assign[assign >= 0]]] = True
    is_open &= serving | loc.fixed
    return is_open, assign


def _reassign(loc: _Local, is_open, assign, rem) -> None:
    """Move every unlocked village to its nearest open site with room."""
    c, ls, d = loc.c, loc.ls, loc.d
    for v in np.argsort(-c, kind="stable"):
        if v in loc.lock:
            continue
        cur = assign[v]
        for p in range(loc.vstart[v], loc.vstart[v + 1]):
            s = ls[p]
            if cur >= 0 and d[p] >= d[cur]:
                break
            if is_open[s] and (rem[s] >= c[v] or (cur >= 0 and s == ls[cur])):
                if cur >= 0:
                    rem[ls[cur]] += c[v]
                assign[v] = p
                rem[s] -= c[v]
                break


def _drop(loc: _Local, is_open, assign, rem) -> None:
    """Close costly open sites whose villages all fit elsewhere."""
    c, ls = loc.c, loc.ls
    for s in np.argsort(-loc.f, kind="stable"):
        if not is_open[s] or loc.fixed[s] or loc.f[s] <= 0:
            continue
        mine = np.flatnonzero((assign >= 0) & (ls[np.maximum(assign, 0)] == s))
        moves, trial = [], rem.copy()
        ok = True
        for v in mine:
            best = -1
            for p in range(loc.vstart[v], loc.vstart[v + 1]):
                t = ls[p]
                if t != s and is_open[t] and trial[t] >= c[v]:
                    best = p
                    break
            if best < 0:
                ok = False
                break
            moves.append((v, best))
            trial[ls[best]] -= c[v]
        if ok:
            is_open[s] = False
            for v, p in moves:
                rem[ls[assign[v]]] += c[v]
                assign[v] = p
                rem[ls[p]] -= c[v]


def _add_free(loc: _Local, is_open, assign, budget: int | None) -> None:
    """Open cost-free sites (existing homes; every site of a p-median) while they shorten trips.

    Opening a free site never raises the cost, so it is better as soon as it covers someone or
    brings a village nearer; within the budget for non-existing sites (no capacity here).
    """
    c, w, lv, ls, d = loc.c, loc.w, loc.lv, loc.ls, loc.d
    locked = np.zeros(loc.nv, dtype=bool)
    locked[list(loc.lock)] = True
    while True:
        spent = int((is_open & ~loc.existing & ~loc.own).sum())
        ok_site = ~is_open & (loc.f <= 0)
        if budget is not None and spent >= budget:
            ok_site &= loc.existing
        if not ok_site.any():
            return
        cur = np.where(assign >= 0, d[np.maximum(assign, 0)], np.inf)
        mask = ok_site[ls] & ~locked[lv] & (d < cur[lv])
        if not mask.any():
            return
        newly = ~np.isfinite(cur[lv])
        cov = np.bincount(ls[mask & newly], weights=w[lv[mask & newly]], minlength=loc.ns)
        saved = np.where(newly, -c[lv] * d, c[lv] * (cur[lv] - d))
        gain = np.bincount(ls[mask], weights=saved[mask], minlength=loc.ns)
        best = int(np.lexsort((-gain, -cov))[0])
        if cov[best] <= 0 and gain[best] <= 1e-9:
            return
        is_open[best] = True
        bp = loc.site_order[loc.sstart[best]:loc.sstart[best + 1]]
        for p in bp:
            v = lv[p]
            if not locked[v] and d[p] < cur[v]:
                assign[v] = p


def _swap(loc: _Local, is_open, assign, budget: int | None, passes: int = 3) -> None:
    """Swap an open site for a closed one when that is lexicographically better (no capacity).

    Keeps, per village, the nearest and second-nearest open sites; a swap (close s, open k)
    is evaluated from them in O(villages touching s or k).
    """
    c, w, lv, ls, d = loc.c, loc.w, loc.lv, loc.ls, loc.d
    nv = loc.nv
    locked = np.zeros(nv, dtype=bool)
    locked[list(loc.lock)] = True

    def firsts(v):
        p1 = p2 = -1
        for p in range(loc.vstart[v], loc.vstart[v + 1]):
            if is_open[ls[p]]:
                if p1 < 0:
                    p1 = p
                else:
                    p2 = p
                    break
        return p1, p2

    near1 = np.full(nv, -1, dtype=np.int64)
    near2 = np.full(nv, -1, dtype=np.int64)
    for v in range(nv):
        near1[v], near2[v] = firsts(v)
        if locked[v]:
            near1[v], near2[v] = assign[v], -1
    inf = np.inf
    for _ in range(passes):
        improved = False
        for s in np.argsort(-loc.f, kind="stable"):
            if not is_open[s] or loc.fixed[s]:
                continue
            mine_mask = (near1 >= 0) & (ls[np.maximum(near1, 0)] == s) & ~locked
            mine = np.flatnonzero(mine_mask)
            d1 = np.where(near1 >= 0, d[np.maximum(near1, 0)], inf)
            d2 = np.where(near2 >= 0, d[np.maximum(near2, 0)], inf)
            # closing s: each of its villages falls back to its second-nearest (or uncovered)
            base_dist = 0.0
            base_cov = 0.0
            for v in mine:
                if np.isfinite(d2[v]):
                    base_dist += c[v] * (d2[v] - d1[v])
                else:
                    base_cov -= w[v]
                    base_dist -= c[v] * d1[v]
            # candidate k: closed sites reachable from s's villages (or any, when s serves none)
            cand_p = np.concatenate([np.arange(loc.vstart[v], loc.vstart[v + 1]) for v in mine]) \
                if len(mine) else np.array([], dtype=np.int64)
            cands = np.unique(ls[cand_p]) if len(cand_p) else np.array([], dtype=np.int64)
            cands = cands[~is_open[cands] & (loc.f[cands] <= loc.f[s])]
            if budget is not None and loc.existing[s]:
                if int((is_open & ~loc.existing & ~loc.own).sum()) >= budget:
                    cands = cands[loc.existing[cands]]
            best = _best_swap(loc, s, cands, mine_mask, locked, d1, d2, base_cov, base_dist)
            if best >= 0:
                is_open[s] = False
                is_open[best] = True
                touched = set()
                for t in (s, best):
                    tp = loc.site_order[loc.sstart[t]:loc.sstart[t + 1]]
                    touched.update(lv[tp].tolist())
                for v in touched:
                    if locked[v]:
                        continue
                    near1[v], near2[v] = firsts(v)
                    assign[v] = near1[v]
                improved = True
        if not improved:
            break
    for v in range(nv):
        if not locked[v]:
            assign[v] = near1[v]


def _best_swap(loc: _Local, s: int, cands, mine_mask, locked, d1, d2, base_cov: float,
               base_dist: float) -> int:
    """The closed site whose swap with open site ``s`` is lexicographically best (-1: none).

    ``d1``/``d2``: each village's nearest and second-nearest open distance; ``base_*``: the
    change in coverage and distance from closing ``s`` alone.
    """
    c, w, lv, d = loc.c, loc.w, loc.lv, loc.d
    best, best_key = -1, (0.0, 0.0, -1e-9)
    for k in cands:
        kp = loc.site_order[loc.sstart[k]:loc.sstart[k + 1]]
        dk = d[kp]
        vk = lv[kp]
        free = ~locked[vk]
        dk, vk = dk[free], vk[free]
        is_mine = mine_mask[vk]
        cov, dist = base_cov, base_dist
        # s's villages that k reaches: min(d2, dk) instead of d2
        for v, dv in zip(vk[is_mine], dk[is_mine], strict=True):
            if np.isfinite(d2[v]):
                dist += c[v] * (min(d2[v], dv) - d2[v])
            else:
                cov += w[v]
                dist += c[v] * dv
        # others that k reaches: better if nearer than their nearest
        ov, od = vk[~is_mine], dk[~is_mine]
        cur = d1[ov]
        newly = ~np.isfinite(cur)
        cov += w[ov[newly]].sum()
        dist += (c[ov[newly]] * od[newly]).sum()
        gain = (~newly) & (od < cur)
        dist += (c[ov[gain]] * (od[gain] - cur[gain])).sum()
        key = (-cov, loc.f[k] - loc.f[s], dist)
        if key < best_key:
            best, best_key = k, key
    return best


# ----------------------------------------------------------------------------- entry points


@dataclass(frozen=True, eq=False)
class GreedyResult:
    """A heuristic plan in the problem's indices.

    Attributes
    ----------
    is_open : ndarray of bool
        Per site.
    pair_of : ndarray of int
        Per village: the problem pair serving it, -1 if none.
    seconds : float
    components : int
        Connected components of the small-village graph.
    """

    is_open: np.ndarray
    pair_of: np.ndarray
    seconds: float
    components: int


def greedy_result(problem: SitingProblem) -> GreedyResult:
    """Run the greedy and local search on every block; return the plan in problem indices."""
    t0 = time.perf_counter()
    data = _data(problem)
    blocks, ncomp = _blocks(problem, data, decompose=True)
    budget = problem.params.max_new_homes if problem.params.max_new_homes >= 0 else None
    is_open = data.own | data.must
    pair_of = np.full(problem.n_villages, -1, dtype=np.int64)
    for blk in blocks:
        loc = _Local(data, blk)
        o, assign = _greedy_local(loc, budget)
        is_open[blk.sites[o]] = True
        chosen = loc.pairs[assign[assign >= 0]]
        pair_of[data.pv[chosen]] = data.pair_id[chosen]
    own_site = problem.villages["own_site"].to_numpy()
    pv, ps = problem.pair_village, problem.pair_site
    for v in np.flatnonzero(own_site >= 0):
        pair_of[v] = int(np.flatnonzero((pv == v) & (ps == own_site[v]))[0])
    return GreedyResult(is_open, pair_of, time.perf_counter() - t0, ncomp)
