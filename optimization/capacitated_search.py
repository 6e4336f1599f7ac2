"""A strong start for capacitated single-source siting: capacitated greedy + local search.

Works on one :class:`optimization.capacitated.Block` (local indices). A plan is
``(is_open, assign)``: a boolean per site and the local pair index serving each village.

* :func:`greedy` (fixed-charge mode): a lazy-heap greedy that opens, at each step, the site
  whose best prefix of unassigned villages (nearest first, skipping those that do not fit)
  has the lowest cost per village, the opening cost counted until the site is open.
* :func:`add_sites` (p-median mode): ADD on the uncapacitated distances, then
  :func:`regret_assign` (villages with the most to lose go first to their best site with room).
* :func:`local_search`: shift (a village to another open site with room), swap (two villages
  exchange sites), close (a site's villages fit elsewhere and the saving pays), and replace
  (close a site, open another in reach: the p-median interchange, and fixed-charge too).
"""

from __future__ import annotations

import heapq
import time

import numpy as np

__all__ = ["add_sites", "greedy", "heuristic", "local_search", "regret_assign"]


class _Index:
    """Pairs by village and by site (sorted by cost) and a pair lookup."""

    def __init__(self, blk):
        self.blk = blk
        o = np.lexsort((blk.pa, blk.pv))
        self.v_order = o
        self.v_start = np.searchsorted(blk.pv[o], np.arange(blk.n + 1))
        o2 = np.lexsort((blk.pa, blk.ps))
        self.s_order = o2
        self.s_start = np.searchsorted(blk.ps[o2], np.arange(blk.m + 1))
        self.lookup = dict(zip((blk.pv * blk.m + blk.ps).tolist(), range(len(blk.pv)),
                               strict=True))

    def of_village(self, i: int) -> np.ndarray:
        return self.v_order[self.v_start[i]:self.v_start[i + 1]]

    def of_site(self, j: int) -> np.ndarray:
        return self.s_order[self.s_start[j]:self.s_start[j + 1]]

    def pair(self, i: int, j: int) -> int:
        return self.lookup.get(i * self.blk.m + j, -1)


def heuristic(blk, deadline: float):
    """Best plan found by the construction and the local search (``None`` if none found)."""
    idx = _Index(blk)
    if blk.p is None:
        plan = greedy(blk, idx)
    else:
        plan = None
        is_open = add_sites(blk)
        if is_open is not None:
            assign = regret_assign(blk, idx, is_open)
            plan = None if assign is None else (is_open, assign)
    if plan is None:
        return None
    return local_search(blk, idx, *plan, deadline)


def _banned_mates(blk, is_open: np.ndarray) -> np.ndarray:
    banned = np.zeros(blk.m, bool)
    for g in np.unique(blk.group[is_open & (blk.group >= 0)]):
        banned |= (blk.group == g) & ~is_open
    return banned


#: rounds of the greedy's "villages left over go first" restart
GREEDY_ROUNDS = 6


def greedy(blk, idx: _Index | None = None, is_open=None, assign=None):
    """Capacitated greedy for the fixed-charge problem; ``None`` when it gets stuck.

    ``is_open`` / ``assign`` may give a partial plan to complete (unassigned = -1).

    Villages with a single pair are placed first (their site must open and hold them). When a
    pass still leaves villages with no room anywhere (their few sites filled by neighbours that
    had other choices), those villages are placed first in the next pass, up to
    :data:`GREEDY_ROUNDS` passes.
    """
    idx = idx or _Index(blk)
    is_open = blk.forced.copy() if is_open is None else is_open | blk.forced
    assign = np.full(blk.n, -1, np.int64) if assign is None else assign.copy()
    count = np.bincount(blk.pv, minlength=blk.n)
    first = [int(i) for i in np.flatnonzero((count == 1) & (assign < 0))]
    for _ in range(GREEDY_ROUNDS):
        pre = _place_first(blk, idx, is_open.copy(), assign.copy(), first)
        if pre is None:
            return None
        plan, left = _greedy_pass(blk, idx, *pre)
        if plan is not None:
            return plan
        seen = set(first)
        left = [int(i) for i in left[np.argsort(-blk.load[left], kind="stable")]
                if int(i) not in seen]
        if not left:
            return None
        first = left + first  # the newly stuck ones ahead of the earlier ones
    return None


def _place_first(blk, idx: _Index, is_open, assign, villages):
    """Put ``villages`` (in order) at their cheapest pair with room, opening its site."""
    rem = blk.q.astype(float) - np.bincount(blk.ps[assign[assign >= 0]],
                                            weights=blk.pl[assign[assign >= 0]],
                                            minlength=blk.m)
    banned = _banned_mates(blk, is_open)
    for i in villages:
        if assign[i] >= 0:
            continue
        opts = idx.of_village(i)
        opts = opts[(blk.pl[opts] <= rem[blk.ps[opts]]) & ~banned[blk.ps[opts]]]
        if not len(opts):
            return None
        price = blk.pa[opts] + np.where(is_open[blk.ps[opts]], 0.0, blk.fy[blk.ps[opts]])
        q = int(opts[np.argmin(price)])
        j = int(blk.ps[q])
        assign[i] = q
        rem[j] -= blk.pl[q]
        if not is_open[j]:
            is_open[j] = True
            if blk.group[j] >= 0:
                banned |= (blk.group == blk.group[j]) & ~is_open
    return is_open, assign


def _greedy_pass(blk, idx: _Index, is_open, assign):
    """One greedy pass from a partial plan: ``(plan, [])`` or ``(None, villages left)``."""
    rem = blk.q.astype(float) - np.bincount(blk.ps[assign[assign >= 0]],
                                            weights=blk.pl[assign[assign >= 0]],
                                            minlength=blk.m)
    banned = _banned_mates(blk, is_open)
    fy, pa, pl, pv = blk.fy, blk.pa, blk.pl, blk.pv

    def evaluate(j):
        cand = idx.of_site(j)
        cand = cand[assign[pv[cand]] < 0]
        if not len(cand):
            return np.inf, cand
        room = rem[j]
        take = []
        for p in cand:
            if pl[p] <= room:
                take.append(p)
                room -= pl[p]
        if not take:
            return np.inf, cand[:0]
        take = np.asarray(take)
        base = 0.0 if is_open[j] else fy[j]
        ratio = (base + np.cumsum(pa[take])) / np.arange(1, len(take) + 1)
        k = int(np.argmin(ratio))
        return float(ratio[k]), take[:k + 1]

    heap = []
    for j in range(blk.m):
        if not banned[j]:
            r, _ = evaluate(j)
            if np.isfinite(r):
                heap.append((r, j))
    heapq.heapify(heap)
    left = int((assign < 0).sum())
    while left:
        if not heap:
            return None, np.flatnonzero(assign < 0)
        r, j = heapq.heappop(heap)
        if banned[j]:
            continue
        r2, take = evaluate(j)
        if not len(take):
            continue
        if heap and r2 > heap[0][0] + 1e-12 * max(1.0, abs(r2)):
            heapq.heappush(heap, (r2, j))
            continue
        assign[pv[take]] = take
        rem[j] -= pl[take].sum()
        left -= len(take)
        if not is_open[j]:
            is_open[j] = True
            if blk.group[j] >= 0:
                banned |= (blk.group == blk.group[j]) & ~is_open
        r3, take3 = evaluate(j)
        if len(take3):
            heapq.heappush(heap, (r3, j))
    return (is_open, assign), np.zeros(0, np.int64)


def repair(blk, idx: _Index, sel: np.ndarray, chosen: np.ndarray, deadline: float):
    """A plan from a relaxed solution (``None`` if it cannot be completed).

    Its sites, each village's cheapest chosen pair, the rest completed by the greedy, then the
    local search.
    """
    if blk.p is not None:
        return None
    assign = np.full(blk.n, -1, np.int64)
    pairs = np.flatnonzero(chosen)
    pairs = pairs[np.lexsort((blk.pa[pairs], blk.pv[pairs]))]
    _, first = np.unique(blk.pv[pairs], return_index=True)
    assign[blk.pv[pairs[first]]] = pairs[first]  # each village's cheapest chosen pair
    is_open = sel.copy()
    plan = greedy(blk, idx, is_open, assign)
    if plan is None:
        return None
    return local_search(blk, idx, *plan, deadline, rounds=10)


def add_sites(blk) -> np.ndarray | None:
    """ADD for p-median mode: open the p sites that most reduce the uncapacitated cost."""
    p = blk.p
    big = float(blk.pa.max(initial=0.0)) * 10 + 1.0
    cur = np.full(blk.n, big)
    is_open = blk.forced.copy()
    for j in np.flatnonzero(is_open):
        sel = blk.ps == j
        np.minimum.at(cur, blk.pv[sel], blk.pa[sel])
    cap = np.minimum(blk.q, np.bincount(blk.ps, weights=blk.pl, minlength=blk.m))
    need = float(blk.load.sum())
    while is_open.sum() < p:
        gain = np.bincount(blk.ps, weights=np.maximum(cur[blk.pv] - blk.pa, 0.0),
                           minlength=blk.m)
        # keep enough capacity reachable for the sites still to open
        short = need - cap[is_open].sum()
        k_left = p - is_open.sum()
        if short > 0 and k_left:
            gain = gain + (cap >= short / k_left) * 1e-9
        gain[is_open] = -np.inf
        j = int(np.argmax(gain))
        is_open[j] = True
        sel = blk.ps == j
        np.minimum.at(cur, blk.pv[sel], blk.pa[sel])
    return is_open


def regret_assign(blk, idx: _Index, is_open: np.ndarray, villages=None, rem=None,
                  assign=None):
    """Assign villages (all, or ``villages``) to open sites with room, largest regret first.

    Returns the assignment (local pair per village) or ``None`` when a village fits nowhere.
    ``rem`` (room per site) and ``assign`` (a partial plan) are updated in place when given.
    """
    ps, pa, pl = blk.ps, blk.pa, blk.pl
    if rem is None:
        rem = blk.q.astype(float).copy()
    if assign is None:
        assign = np.full(blk.n, -1, np.int64)
    todo = np.arange(blk.n) if villages is None else np.asarray(villages)
    opts = {int(i): idx.of_village(int(i)) for i in todo}
    opts = {i: o[is_open[ps[o]]] for i, o in opts.items()}
    pending = set(opts)
    while pending:
        best_i, best_key, best_p = -1, None, -1
        for i in pending:
            o = opts[i]
            o = o[pl[o] <= rem[ps[o]]]
            opts[i] = o
            if not len(o):
                return None
            regret = pa[o[1]] - pa[o[0]] if len(o) > 1 else np.inf
            key = (regret, pl[o[0]])
            if best_key is None or key > best_key:
                best_i, best_key, best_p = i, key, int(o[0])
        assign[best_i] = best_p
        rem[ps[best_p]] -= pl[best_p]
        pending.discard(best_i)
    return assign


def _room(blk, is_open, assign) -> np.ndarray:
    used = np.bincount(blk.ps[assign[assign >= 0]], weights=blk.pl[assign[assign >= 0]],
                       minlength=blk.m)
    return np.where(is_open, blk.q - used, 0.0)


def local_search(blk, idx: _Index, is_open, assign, deadline: float, rounds: int = 50):
    """Improve a feasible plan until no move helps (or the deadline): returns the new plan."""
    is_open, assign = is_open.copy(), assign.copy()
    fixed_count = blk.p is not None
    for _ in range(rounds):
        if time.perf_counter() > deadline:
            break
        moved = _shift(blk, idx, is_open, assign) + _swap(blk, idx, is_open, assign, deadline)
        if not fixed_count:
            moved += _close(blk, idx, is_open, assign, deadline)
            _drop_empty(blk, is_open, assign)
        if not moved and time.perf_counter() < deadline:
            moved += _replace(blk, idx, is_open, assign, deadline)
            if not fixed_count:
                _drop_empty(blk, is_open, assign)
        if not moved:
            break
    return is_open, assign


def _shift(blk, idx, is_open, assign) -> int:
    pv, ps, pa, pl = blk.pv, blk.ps, blk.pa, blk.pl
    rem = _room(blk, is_open, assign)
    cur = pa[assign]
    delta = pa - cur[pv]
    cand = np.flatnonzero((delta < -1e-9) & is_open[ps] & (pl <= rem[ps]))
    moved = 0
    done = np.zeros(blk.n, bool)
    for q in cand[np.argsort(delta[cand], kind="stable")]:
        i, k = pv[q], ps[q]
        if done[i] or pl[q] > rem[k] or not pa[q] < pa[assign[i]] - 1e-9:
            continue
        old = assign[i]
        rem[ps[old]] += pl[old]
        rem[k] -= pl[q]
        assign[i] = q
        done[i] = True
        moved += 1
    return moved


def _swap(blk, idx, is_open, assign, deadline: float = float("inf")) -> int:
    pv, ps, pa, pl = blk.pv, blk.ps, blk.pa, blk.pl
    rem = _room(blk, is_open, assign)
    site_of = ps[assign]
    members = [[] for _ in range(blk.m)]
    for i in range(blk.n):
        members[site_of[i]].append(i)
    moved = 0
    for step, q in enumerate(np.flatnonzero(is_open[ps])):
        if step % 1000 == 0 and time.perf_counter() > deadline:
            break
        i, k = int(pv[q]), int(ps[q])
        j = int(site_of[i])
        if j == k:
            continue
        p_ij = assign[i]
        for i2 in members[k]:
            if site_of[i2] != k:
                continue
            q2 = idx.pair(i2, j)
            if q2 < 0:
                continue
            p2 = assign[i2]
            d = pa[q] + pa[q2] - pa[p_ij] - pa[p2]
            if d < -1e-9 and rem[j] + pl[p_ij] - pl[q2] >= 0 and rem[k] + pl[p2] - pl[q] >= 0:
                rem[j] += pl[p_ij] - pl[q2]
                rem[k] += pl[p2] - pl[q]
                assign[i], assign[i2] = q, q2
                site_of[i], site_of[i2] = k, j
                members[k].remove(i2)
                members[k].append(i)
                members[j].remove(i)
                members[j].append(i2)
                moved += 1
                break
    return moved


def _close(blk, idx, is_open, assign, deadline: float = float("inf")) -> int:
    """Close an open site when its villages fit elsewhere and the saving pays."""
    moved = 0
    order = np.flatnonzero(is_open & ~blk.forced)
    for j in order[np.argsort(-blk.fy[order], kind="stable")]:
        if time.perf_counter() > deadline:
            break
        vs = np.flatnonzero(blk.ps[assign] == j)
        trial_open = is_open.copy()
        trial_open[j] = False
        rem = _room(blk, trial_open, assign)
        part = assign.copy()
        part[vs] = -1
        out = regret_assign(blk, idx, trial_open, vs, rem, part)
        if out is None:
            continue
        d = -blk.fy[j] + blk.pa[out[vs]].sum() - blk.pa[assign[vs]].sum()
        if d < -1e-9:
            is_open[j] = False
            assign[:] = out
            moved += 1
    return moved


def _replace(blk, idx, is_open, assign, deadline: float) -> int:
    """Close an open site and open a closed one in reach of its villages, if that pays."""
    pv, ps, pa, pl = blk.pv, blk.ps, blk.pa, blk.pl
    banned = _banned_mates(blk, is_open)
    for j in np.flatnonzero(is_open & ~blk.forced):
        if time.perf_counter() > deadline:
            return 0
        vs = np.flatnonzero(ps[assign] == j)
        if not len(vs):
            continue
        near = np.unique(ps[np.isin(pv, vs)])
        g = blk.group[j]
        near = near[~is_open[near] & (~banned[near] | ((g >= 0) & (blk.group[near] == g)))]
        base = blk.objective(is_open, assign)
        for k in near:
            trial = is_open.copy()
            trial[j], trial[k] = False, True
            rem = _room(blk, trial, assign)
            part = assign.copy()
            part[vs] = -1
            out = regret_assign(blk, idx, trial, vs, rem, part)
            if out is None:
                continue
            # others that gain by moving into k while it has room
            rem = _room(blk, trial, out)
            sel = idx.of_site(int(k))
            gain = pa[out[pv[sel]]] - pa[sel]
            for q in sel[np.argsort(-gain, kind="stable")]:
                i = pv[q]
                if pa[out[i]] - pa[q] <= 1e-9 or pl[q] > rem[k] or ps[out[i]] == k:
                    continue
                rem[ps[out[i]]] += pl[out[i]]
                rem[k] -= pl[q]
                out[i] = q
            if blk.p is None:
                used = np.zeros(blk.m, bool)
                used[ps[out]] = True
                trial &= used | blk.forced
            if blk.objective(trial, out) < base - 1e-9:
                is_open[:] = trial
                assign[:] = out
                return 1
    return 0


def _drop_empty(blk, is_open, assign) -> None:
    used = np.zeros(blk.m, bool)
    used[blk.ps[assign]] = True
    is_open &= used | blk.forced


def lns(blk, plan, deadline: float, solve, max_villages: int = 40, seed: int = 0):
    """Large-neighbourhood search: re-solve exactly the villages around one site at a time.

    Around a seed site (the expensive open ones first) the villages it serves, the sites they
    reach, and the villages those sites serve (up to ``max_villages``) are re-optimised by
    ``solve(sub_block, sub_plan, deadline) -> sub_plan | None`` with everything else kept:
    a site still serving outside villages stays open (its cost already paid) with the room
    they leave. Returns the improved plan.
    """
    from optimization.capacitated import Block

    is_open, assign = plan[0].copy(), plan[1].copy()
    idx = _Index(blk)
    rng = np.random.default_rng(seed)
    pv, ps, pl = blk.pv, blk.ps, blk.pl
    tried = np.zeros(blk.m, bool)
    while time.perf_counter() < deadline:
        cand = np.flatnonzero(is_open & ~tried)
        if not len(cand):
            break
        seed_site = cand[np.argmax(blk.fy[cand] + rng.random(len(cand)) * 1e-9)]
        tried[seed_site] = True
        site_of = ps[assign]
        vs = list(np.flatnonzero(site_of == seed_site))
        reach = np.unique(ps[np.concatenate([idx.of_village(i) for i in vs])]) if vs else []
        for j in reach:
            if len(vs) >= max_villages:
                break
            vs.extend(int(i) for i in np.flatnonzero(site_of == j) if i not in vs)
        vs = np.array(sorted(set(vs[:max_villages])), np.int64)
        keep_v = np.zeros(blk.n, bool)
        keep_v[vs] = True
        pairs = np.flatnonzero(keep_v[pv])
        sites = np.unique(ps[pairs])
        outside = ~keep_v
        used_out = np.bincount(ps[assign[outside]], weights=pl[assign[outside]], minlength=blk.m)
        has_out = np.bincount(ps[assign[outside]], minlength=blk.m) > 0
        # a site whose group mate stays open outside cannot open
        mate_open = np.zeros(blk.m, bool)
        for g in np.unique(blk.group[sites][blk.group[sites] >= 0]):
            mem = np.flatnonzero(blk.group == g)
            out_open = mem[is_open[mem] & has_out[mem]]
            mate_open[mem] = len(out_open) > 0
            mate_open[out_open] = False
        sites = sites[~mate_open[sites]]
        spos = np.full(blk.m, -1, np.int64)
        spos[sites] = np.arange(len(sites))
        pairs = pairs[spos[ps[pairs]] >= 0]
        vpos = np.full(blk.n, -1, np.int64)
        vpos[vs] = np.arange(len(vs))
        forced = blk.forced[sites] | has_out[sites]
        sub = Block(vs, sites, vpos[pv[pairs]], spos[ps[pairs]], blk.pa[pairs], pl[pairs],
                    blk.load[vs], np.where(has_out[sites], 0.0, blk.f[sites]),
                    blk.q[sites] - used_out[sites], blk.group[sites], forced, None, blk.weight,
                    pairs)
        ppos = np.full(len(pv), -1, np.int64)
        ppos[pairs] = np.arange(len(pairs))
        start = (is_open[sites] | forced, ppos[assign[vs]])
        if (start[1] < 0).any():
            continue
        before = sub.objective(*start)
        out = solve(sub, start, min(deadline, time.perf_counter() + 5.0))
        if out is None or sub.objective(*out) >= before - 1e-9:
            continue
        assign[vs] = pairs[out[1]]
        is_open[sites] = out[0] | (has_out[sites] & is_open[sites])
        _drop_empty(blk, is_open, assign)
        tried[:] = False
        tried[sites[~out[0]]] = True
    return is_open, assign
