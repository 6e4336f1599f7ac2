r"""Lagrangian bound for capacitated single-source siting (assignment rows relaxed).

With multipliers :math:`u_i` on :math:`\sum_j x_{ij} = 1` the problem splits by site:

.. math::
    L(u) = \sum_i u_i + \sum_j \min\bigl(0,\; W f_j + K_j(u)\bigr), \qquad
    K_j(u) = \min_{x} \Bigl\{\sum_i (a_{ij} - u_i) x_{ij} :
             \sum_i l_{ij} x_{ij} \le Q_j,\; x \in \{0,1\}\Bigr\}

(forced sites always counted, at most one site per group, exactly the :math:`p` smallest site
values in p-median mode). Each :math:`K_j` is a 0/1 knapsack on whole children, solved exactly
by dynamic programming for all sites at once (numpy, one row per site); a site whose reachable
load fits its capacity needs no knapsack. :math:`L(u)` is therefore at least the LP bound with
every knapsack cover cut. Subgradient steps (Held–Karp) move :math:`u`.

Every :math:`u` also proves, for a site :math:`j` outside the relaxed solution, that any plan
opening it costs at least :math:`L(u) + v_j`; when that exceeds the threshold the site is
closed in every plan better than the incumbent (and symmetrically opened). The fixings are
collected over all iterations.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

__all__ = ["LagrangeResult", "lagrangian_bound"]


@dataclass
class LagrangeResult:
    """Best bound, its multipliers, fixings proven against ``threshold``, a repaired plan."""

    bound: float
    u: np.ndarray
    fixed_closed: np.ndarray
    fixed_open: np.ndarray
    iterations: int
    better: tuple | None = None
    history: list = None  # (value, site values, selection) per iteration
    blk: object = None

    def refix(self, threshold: float) -> tuple[np.ndarray, np.ndarray]:
        """Fixings proven against a new threshold (e.g. after a better incumbent was found)."""
        closed = np.zeros(self.blk.m, bool)
        opened = np.zeros(self.blk.m, bool)
        for value, v, sel in self.history or ():
            _fix(self.blk, v, sel, value, threshold, closed, opened)
        return closed & ~opened, opened & ~closed

    def core(self, last: int = 60) -> np.ndarray:
        """Sites selected by the relaxation in its last iterations (a kernel for a restricted MILP)."""
        out = np.zeros(self.blk.m, bool)
        for _, _, sel in (self.history or [])[-last:]:
            out |= sel
        return out


class _Knapsacks:
    """All sites' knapsacks in one padded array (tight sites) plus the loose ones."""

    def __init__(self, blk):
        m = blk.m
        tot = np.bincount(blk.ps, weights=blk.pl, minlength=m)
        self.tight = np.flatnonzero(np.isfinite(blk.q) & (tot > blk.q))
        order = np.argsort(blk.ps, kind="stable")
        ps_sorted = blk.ps[order]
        counts = np.bincount(blk.ps, minlength=m)
        t = self.tight
        k = int(counts[t].max()) if len(t) else 0
        self.k = k
        self.items = np.full((len(t), k), -1, np.int64)
        starts = np.searchsorted(ps_sorted, np.arange(m))
        for r, j in enumerate(t):
            c = counts[j]
            self.items[r, :c] = order[starts[j]:starts[j] + c]
        self.cap = blk.q[t].astype(np.int64) if len(t) else np.zeros(0, np.int64)
        self.qmax = int(self.cap.max()) if len(t) else 0
        self.load = np.where(self.items >= 0, blk.pl[np.maximum(self.items, 0)], 0)
        self.is_tight = np.zeros(m, bool)
        self.is_tight[t] = True
        self.loose_pairs = np.flatnonzero(~self.is_tight[blk.ps])

    def solve(self, blk, rc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (K_j per site, chosen mask per pair) for reduced costs ``rc``."""
        m = blk.m
        kval = np.zeros(m)
        chosen = np.zeros(len(rc), bool)
        lp = self.loose_pairs
        neg = rc[lp] < 0
        chosen[lp[neg]] = True
        np.add.at(kval, blk.ps[lp[neg]], rc[lp[neg]])
        if not len(self.tight):
            return kval, chosen
        val = np.where(self.items >= 0, rc[np.maximum(self.items, 0)], np.inf)
        neg = val < 0  # only items with a negative reduced cost can help
        nload = np.where(neg, self.load, 0).sum(axis=1)
        easy = nload <= self.cap  # every negative item fits: no knapsack needed
        if easy.any():
            items = self.items[easy][neg[easy]]
            chosen[items] = True
            kval[self.tight[easy]] = np.where(neg[easy], val[easy], 0.0).sum(axis=1)
        hard = np.flatnonzero(~easy)
        if not len(hard):
            return kval, chosen
        cnt = neg[hard].sum(axis=1)
        k = int(cnt.max())
        order = np.argsort(~neg[hard], axis=1, kind="stable")[:, :k]
        val = np.take_along_axis(val[hard], order, axis=1)
        val = np.where(val < 0, val, 0.0)
        load = np.take_along_axis(self.load[hard], order, axis=1)
        items = np.take_along_axis(self.items[hard], order, axis=1)
        cap = self.cap[hard]
        rows = np.arange(len(hard))
        qs = np.arange(int(cap.max()) + 1)
        width = len(qs)
        best = np.zeros(len(hard) * width)
        base = (rows * width)[:, None]
        takes = []
        for c in range(k):
            src = qs[None, :] - load[:, c][:, None]
            ok = src >= 0
            cand = best.take(base + np.maximum(src, 0)).ravel()
            cand += np.repeat(val[:, c], width)
            cand[~ok.ravel()] = np.inf
            take = cand < best - 1e-12
            best = np.where(take, cand, best)
            takes.append(take.reshape(len(hard), width))
        best = best.reshape(len(hard), width)
        kval[self.tight[hard]] = best[rows, cap]
        q = cap.copy()
        for c in range(k - 1, -1, -1):
            t = takes[c][rows, q]
            chosen[items[t, c]] = True
            q = q - np.where(t, load[:, c], 0)
        return kval, chosen


def _select(blk, v: np.ndarray) -> np.ndarray:
    """Sites in the relaxed optimum given site values v (forced, groups, p)."""
    m = blk.m
    if blk.p is not None:
        sel = blk.forced.copy()
        rest = np.flatnonzero(~sel)
        k = blk.p - int(sel.sum())
        if k > 0:
            sel[rest[np.argsort(v[rest], kind="stable")[:k]]] = True
        return sel
    sel = blk.forced | (v < 0)
    grouped = np.flatnonzero(blk.group >= 0)
    if len(grouped):
        for g in np.unique(blk.group[grouped]):
            mem = np.flatnonzero(blk.group == g)
            forced = mem[blk.forced[mem]]
            keep = forced[:1] if len(forced) else mem[[np.argmin(v[mem])]]
            keep = keep[(v[keep] < 0) | blk.forced[keep]]
            sel[mem] = False
            sel[keep] = True
    return sel if m else sel


def _fix(blk, v: np.ndarray, sel: np.ndarray, value: float, threshold: float,
         closed: np.ndarray, opened: np.ndarray) -> None:
    """Record sites whose opening (closing) would push the bound above ``threshold``."""
    free = ~blk.forced & (blk.group < 0)
    if blk.p is None:
        closed |= free & ~sel & (value + v > threshold)
        opened |= free & sel & (value - v > threshold)
        return
    vs = np.sort(v[~blk.forced])
    k = blk.p - int(blk.forced.sum())
    if k <= 0 or k >= len(vs):
        return
    vp, vnext = vs[k - 1], vs[k]
    closed |= free & ~sel & (value + v - vp > threshold)
    opened |= free & sel & (value - v + vnext > threshold)


def lagrangian_bound(blk, ub: float, threshold: float, deadline: float,
                     max_iter: int = 600, patience: int = 25, repair=None,
                     repair_every: int = 25) -> LagrangeResult:
    """Subgradient optimisation of :math:`L(u)`; stops at ``threshold``, ``max_iter`` or time."""
    ks = _Knapsacks(blk)
    pv, pa = blk.pv, blk.pa
    u = np.full(blk.n, np.inf)
    np.minimum.at(u, pv, pa)  # start: each village's cheapest assignment
    best_u, best = u.copy(), -math.inf
    closed = np.zeros(blk.m, bool)
    opened = np.zeros(blk.m, bool)
    theta, stall, it = 2.0, 0, 0
    history = []
    better, better_obj = None, ub
    while it < max_iter and time.perf_counter() < deadline:
        it += 1
        kval, chosen = ks.solve(blk, pa - u[pv])
        v = blk.fy + kval
        sel = _select(blk, v)
        value = float(u.sum() + v[sel].sum())
        _fix(blk, v, sel, value, threshold, closed, opened)
        history.append((value, v, sel))
        if repair is not None and it % repair_every == 0:
            plan = repair(sel, chosen & sel[blk.ps])
            if plan is not None and blk.objective(*plan) < better_obj - 1e-9:
                better, better_obj = plan, blk.objective(*plan)
                ub = min(ub, better_obj)
        if best == -math.inf or value > best + 1e-9 * max(1.0, abs(best)):
            best, best_u, stall = value, u.copy(), 0
        else:
            stall += 1
            if stall >= patience:
                theta, stall = theta / 2, 0
        if best >= threshold or theta < 1e-4:
            break
        cover = np.bincount(pv[chosen & sel[blk.ps]], minlength=blk.n)
        g = 1.0 - cover
        norm = float(g @ g)
        if norm == 0:  # the relaxed plan is a plan: the bound is exact and it is optimal
            use = chosen & sel[blk.ps]
            assign = np.full(blk.n, -1, np.int64)
            assign[pv[use]] = np.flatnonzero(use)
            return LagrangeResult(value, u, closed & ~opened, opened & ~closed, it,
                                  (sel.copy(), assign), history, blk)
        u = u + theta * max(ub - value, 1e-6 * max(1.0, abs(ub))) / norm * g
    return LagrangeResult(best, best_u, closed & ~opened, opened & ~closed, it, better, history,
                          blk)
