"""Solving the staffing model: blocks, batches, the array model by constraint family, stages.

Part of the staffing model (:mod:`optimization.staffing`): the lexicographic stages (coverage,
preference, balance, travel) are solved per batch of blocks as LPs (totally unimodular) or per
block as MILPs, then :mod:`optimization.staffing_output` turns the choice into a plan. Every solve goes
through the one solver layer, :func:`optimization.solver.solve` (names, status from the proven
gap, LP duals for the optimal-face restriction, LP files).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from optimization.solver import Model, components, safe_names, solve, solver_name, write_lp
from optimization.staffing_output import (
    _assemble,
)
from optimization.staffing_problem import (
    StaffingPlan,
    StaffingProblem,
    StageStats,
)
from optimization.staffing_rules import (
    _SPLIT_WEIGHT,
    StaffingNotSolved,
    _codes,
)

# ----------------------------------------------------------------------------- blocks


def _blocks(problem: StaffingProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Label the connected components of the person–post graph (villages, townships, persons)."""
    m, n, t = len(problem.candidates), len(problem.demand), len(problem.townships)
    pr, sp = problem.pairs, problem.supervisor_pairs
    rows = np.concatenate([pr["person"].to_numpy(), sp["person"].to_numpy()])
    cols = np.concatenate([pr["village"].to_numpy(), n + sp["township"].to_numpy()])
    count, labels = components(m, n + t, rows, cols)  # persons, then villages and townships
    return labels[m:m + n], labels[m + n:], labels[:m], count


@dataclass(frozen=True)
class _Batch:
    """Indexes of one model: blocks, their villages, townships, patterns, supervisor pairs."""

    name: str
    blocks: np.ndarray
    villages: np.ndarray
    townships: np.ndarray
    patterns: np.ndarray
    sup_pairs: np.ndarray


def _batches(problem: StaffingProblem, max_batch_pairs: int):
    vlab, tlab, plab, count = _blocks(problem)
    pt, sp = problem.patterns, problem.supervisor_pairs
    pat_block = plab[pt["person"].to_numpy(dtype=np.int64)]
    sup_block = plab[sp["person"].to_numpy()]
    size = np.bincount(pat_block, minlength=count) + np.bincount(sup_block, minlength=count)
    active = np.flatnonzero(size > 0)
    tcode = problem.townships["township_code"].to_numpy()
    vt = problem.demand["township_code"].to_numpy()
    first_town = {}
    for lab, code in zip(vlab, vt, strict=True):
        first_town[lab] = min(first_town.get(lab, code), code)
    for lab, code in zip(tlab, tcode, strict=True):
        first_town[lab] = min(first_town.get(lab, code), code)
    active = sorted(active, key=lambda b: (first_town.get(b, ""), b))
    groups, cur, cur_size = [], [], 0
    for b in active:
        if cur and cur_size + size[b] > max_batch_pairs:
            groups.append(cur)
            cur, cur_size = [], 0
        cur.append(b)
        cur_size += size[b]
    if cur:
        groups.append(cur)
    out = []
    for i, g in enumerate(groups):
        g = np.asarray(g)
        out.append(_Batch(
            name=f"batch{i:03d}_t{first_town.get(g[0], '')}",
            blocks=g,
            villages=np.flatnonzero(np.isin(vlab, g)),
            townships=np.flatnonzero(np.isin(tlab, g)),
            patterns=np.flatnonzero(np.isin(pat_block, g)),
            sup_pairs=np.flatnonzero(np.isin(sup_block, g)),
        ))
    return out, vlab, tlab, plab, len(active)


# ----------------------------------------------------------------------------- model


def _safe_names(codes: Iterable[str]) -> list[str]:
    """Codes usable in LP names, unique (:func:`optimization.solver.safe_names`)."""
    return list(safe_names(codes))


#: an objective or a row's left side: column numbers and their coefficients
Terms = tuple[np.ndarray, np.ndarray]


def _terms(cols, coefs) -> Terms:
    return np.asarray(cols, dtype=np.int64), np.asarray(coefs, dtype=float)


def _join(parts: Iterable[Terms]) -> Terms:
    parts = list(parts)
    if not parts:
        return _terms([], [])
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


class _Model:
    """The model of one batch as arrays (an :class:`optimization.solver.Model` per solve).

    Columns are numbered like the problem's tables (``x`` per pattern, ``u`` per supervisor
    pair, then the shortfall columns); their bounds change as stages fix the optimal face, and
    columns fixed at zero are left out of every later solve (``dead``).
    """

    def __init__(self, problem: StaffingProblem, batch: _Batch, vlab, tlab, plab, names):
        self.problem, self.batch = problem, batch
        self.vlab, self.tlab, self.plab = vlab, tlab, plab
        self.pname, self.vname, self.tname = names
        pt = problem.patterns.iloc[batch.patterns]
        pair_village = problem.pairs["village"].to_numpy()
        self.pp = pt["person"].to_numpy(dtype=np.int64)
        self.pairs = pt["pairs"].tolist()
        self.villages = [tuple(int(pair_village[i]) for i in c) for c in self.pairs]
        self.hours = pt["hours"].to_numpy(dtype=float)
        self.travel = pt["travel_hours"].to_numpy(dtype=float)
        sp = problem.supervisor_pairs
        self.sp = sp["person"].to_numpy()[batch.sup_pairs]
        self.st = sp["township"].to_numpy()[batch.sup_pairs]
        self.units = problem.candidates["preference_units"].to_numpy()
        self.need = problem.demand["directors_needed"].to_numpy()
        self.s_need = problem.townships["supervisors_needed"].to_numpy()
        self._columns()
        self.row_names: list[str] = []
        self.row_lb: list[float] = []
        self.row_ub: list[float] = []
        self.entries: list[tuple[int, np.ndarray, np.ndarray]] = []
        self.values: np.ndarray | None = None
        self.dj = self.pi = None
        self.said = ""
        self._weights()

    def _columns(self) -> None:
        pn, vn, tn = self.pname, self.vname, self.tname
        names = [f"x_{pn[p]}_" + "_".join(vn[v] for v in vs)
                 for p, vs in zip(self.pp, self.villages, strict=True)]
        names += [f"u_{pn[p]}_{tn[t]}" for p, t in zip(self.sp, self.st, strict=True)]
        ub = [1.0] * len(names)
        more = ([(f"short1_{vn[v]}", 1, "s1", v) for v in self.batch.villages]
                + [(f"short2_{vn[v]}", int(self.need[v]) - 1, "s2", v)
                   for v in self.batch.villages if self.need[v] > 1]
                + [(f"sup_short1_{tn[t]}", 1, "r1", t) for t in self.batch.townships]
                + [(f"sup_short2_{tn[t]}", int(self.s_need[t]) - 1, "r2", t)
                   for t in self.batch.townships if self.s_need[t] > 1])
        nx = len(self.pp)
        self.x = np.arange(nx)
        self.u = np.arange(nx, len(names))
        self.s1, self.s2, self.r1, self.r2 = {}, {}, {}, {}
        for name, hi, fam, key in more:
            getattr(self, fam)[key] = len(names)
            names.append(name)
            ub.append(float(hi))
        self.col_names = names
        self.lb = np.zeros(len(names))
        self.ub = np.asarray(ub, dtype=float)
        self.dead = np.zeros(len(names), dtype=bool)  # fixed at zero: left out of solves

    def _weights(self) -> None:
        """Dominating weights W1, W2 per block (module docstring, stage A)."""
        self.w1, self.w2 = {}, {}
        slots = {b: 0 for b in self.batch.blocks}
        extra = {b: 0 for b in self.batch.blocks}
        best = {b: 0 for b in self.batch.blocks}
        for v in self.batch.villages:
            slots[self.vlab[v]] += int(self.need[v])
            extra[self.vlab[v]] += int(self.need[v]) - 1
        for t in self.batch.townships:
            slots[self.tlab[t]] += int(self.s_need[t])
            extra[self.tlab[t]] += int(self.s_need[t]) - 1
        for p in np.concatenate([self.pp, self.sp]):
            b = self.plab[p]
            best[b] = max(best[b], int(self.units[p]))
        for b in self.batch.blocks:
            self.w1[b] = extra[b] + 1
            self.w2[b] = slots[b] * best[b] + 1

    def add_row(self, name: str, terms: Terms, lo: float, hi: float) -> None:
        self.row_names.append(name)
        self.row_lb.append(float(lo))
        self.row_ub.append(float(hi))
        self.entries.append((len(self.row_names) - 1, *terms))

    def split_stage_a(self) -> bool:
        return any(self.w1[b] * self.w2[b] > _SPLIT_WEIGHT for b in self.batch.blocks)

    # -- per-block expressions ------------------------------------------------------------
    def coverage_terms(self, weighted_first: bool = True) -> dict[int, Terms]:
        """Shortfall penalty: W1 per first post short, 1 per further post short."""
        terms: dict[int, list] = {b: [] for b in self.batch.blocks}
        for fam, lab in ((self.s1, self.vlab), (self.r1, self.tlab)):
            for k, col in fam.items():
                terms[lab[k]].append((col, self.w1[lab[k]] if weighted_first else 1))
        for fam, lab in ((self.s2, self.vlab), (self.r2, self.tlab)):
            for k, col in fam.items():
                terms[lab[k]].append((col, 1))
        return {b: _terms([c for c, _ in t], [a for _, a in t]) for b, t in terms.items()}

    def preference_terms(self) -> dict[int, Terms]:
        """Minus the preference units of every post filled (per village a person serves)."""
        terms: dict[int, list] = {b: [] for b in self.batch.blocks}
        for col, p, vs in zip(self.x, self.pp, self.villages, strict=True):
            if self.units[p]:
                terms[self.plab[p]].append((col, -int(self.units[p]) * len(vs)))
        for col, p in zip(self.u, self.sp, strict=True):
            if self.units[p]:
                terms[self.plab[p]].append((col, -int(self.units[p])))
        return {b: _terms([c for c, _ in t], [a for _, a in t]) for b, t in terms.items()}

    def stage_a_terms(self) -> dict[int, Terms]:
        """Z_b = W2 * coverage penalty - preference."""
        cov, pref = self.coverage_terms(), self.preference_terms()
        return {b: _join([(cov[b][0], self.w2[b] * cov[b][1]), pref[b]]) for b in cov}

    def balance_terms(self) -> dict[int, Terms]:
        """Sum over directors of their squared monthly hours (exact: one set per person)."""
        on = self.hours > 0
        lab = self.plab[self.pp]
        return {b: _terms(self.x[on & (lab == b)], self.hours[on & (lab == b)] ** 2)
                for b in self.batch.blocks}

    def travel_terms(self) -> Terms:
        on = self.travel > 0
        return _terms(self.x[on], self.travel[on])

    # -- the solver's model -------------------------------------------------------------------
    def to_model(self, terms: Terms, *, integer: bool, drop_dead: bool = True) -> tuple:
        """Build the :class:`optimization.solver.Model` with objective ``terms``.

        Also returns the numbers of the columns and rows it holds (columns fixed at zero and rows left empty are out).
        """
        n = len(self.col_names)
        keep_col = ~self.dead if drop_dead else np.ones(n, dtype=bool)
        cols = np.flatnonzero(keep_col)
        pos = np.full(n, -1, dtype=np.int64)
        pos[cols] = np.arange(len(cols))
        obj = np.zeros(n)
        np.add.at(obj, terms[0], terms[1])
        m = Model(self.batch.name)
        m.add_cols([self.col_names[k] for k in cols], obj[cols], self.lb[cols], self.ub[cols],
                   integer)
        r, c, v = (np.concatenate([np.full(len(e[1]), e[0]) for e in self.entries]),
                   *_join((e[1], e[2]) for e in self.entries)) if self.entries else \
            (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        live = keep_col[c]
        r, c, v = r[live], c[live], v[live]
        rows = np.flatnonzero(np.bincount(r, minlength=len(self.row_names)) > 0)
        rpos = np.full(len(self.row_names), -1, dtype=np.int64)
        rpos[rows] = np.arange(len(rows))
        m.add_rows([self.row_names[k] for k in rows], rpos[r], pos[c], v,
                   np.asarray(self.row_lb)[rows], np.asarray(self.row_ub)[rows])
        return m, cols, rows


def _add_person_rows(mod: _Model) -> None:
    """``assign_once_p<code>``: a person takes at most one set of villages or township post."""
    terms: dict[int, list] = {}
    for col, p in zip(np.concatenate([mod.x, mod.u]), np.concatenate([mod.pp, mod.sp]),
                      strict=True):
        terms.setdefault(int(p), []).append(col)
    for p, t in terms.items():
        if len(t) > 1:
            mod.add_row(f"assign_once_p{mod.pname[p]}", _terms(t, np.ones(len(t))),
                        -np.inf, 1.0)


def _add_cover_rows(mod: _Model) -> None:
    """``cover_v<code>``: directors placed plus shortfall equal the village's demand."""
    terms: dict[int, list] = {v: [] for v in mod.batch.villages}
    for col, vs in zip(mod.x, mod.villages, strict=True):
        for v in vs:
            terms[v].append(col)
    for v, t in terms.items():
        t.append(mod.s1[v])
        if v in mod.s2:
            t.append(mod.s2[v])
        need = float(mod.need[v])
        mod.add_row(f"cover_v{mod.vname[v]}", _terms(t, np.ones(len(t))), need, need)


def _add_supervise_rows(mod: _Model) -> None:
    """``supervise_t<code>``: supervisors placed plus shortfall equal the township's posts."""
    terms: dict[int, list] = {t: [] for t in mod.batch.townships}
    for col, t in zip(mod.u, mod.st, strict=True):
        terms[t].append(col)
    for t, tt in terms.items():
        tt.append(mod.r1[t])
        if t in mod.r2:
            tt.append(mod.r2[t])
        need = float(mod.s_need[t])
        mod.add_row(f"supervise_t{mod.tname[t]}", _terms(tt, np.ones(len(tt))), need, need)


def _add_level_rows(mod: _Model, prefix: str, terms: dict[int, Terms],
                    bounds: dict[int, float]) -> None:
    """``<prefix>_b<block>``: a block's earlier objective held at its optimum."""
    for b, t in terms.items():
        live = ~mod.dead[t[0]]
        if live.any():
            mod.add_row(f"{prefix}_b{b}", (t[0][live], t[1][live]), -np.inf, bounds[b])


def _add_base_rows(mod: _Model) -> None:
    _add_person_rows(mod)
    _add_cover_rows(mod)
    _add_supervise_rows(mod)


# ----------------------------------------------------------------------------- solving


def _run(mod: _Model, terms: Terms, solver: str, stage: str, *, mip: bool, gap_rel=None,
         gap_abs=None, threads=None, msg: bool = False) -> tuple[str, float]:
    """Solve the model with objective ``terms`` (:func:`optimization.solver.solve`).

    Returns (status, seconds).

    Status is ``optimal``, ``feasible`` (a MILP plan with an open gap), ``fractional`` (an LP
    solve whose vertex is not integral: the caller falls back to the MILP) or ``none`` (no
    plan; the values are then unchanged and meaningless for this stage).
    """
    m, cols, rows = mod.to_model(terms, integer=mip)
    name = solver_name(solver)
    start = mod.values[cols] if mip and mod.values is not None and name == "cbc" else None
    res = solve(m, name, time_limit_s=mod.problem.policy.time_limit_s,
                gap_rel=float(gap_rel or 0.0), gap_abs=float(gap_abs or 0.0),
                threads=threads, start=start, msg=msg)
    mod.said = res.solver_said or res.status
    ok = ("optimal",) if not mip else ("optimal", "feasible")
    if res.status not in ok or res.values is None:
        return "none", res.seconds
    vals = np.asarray(res.values, dtype=float)
    if not mip and (np.abs(vals - np.round(vals)) > 1e-6).any():
        return "fractional", res.seconds
    full = np.zeros(len(mod.col_names))
    full[cols] = np.round(vals)
    mod.values = full
    if not mip:
        mod.dj = np.zeros(len(mod.col_names))
        mod.dj[cols] = res.col_duals
        mod.pi = np.zeros(len(mod.row_names))
        mod.pi[rows] = res.row_duals
    return res.status, res.seconds


def _not_solved(mod: _Model, stage: str) -> StaffingNotSolved:
    towns = mod.problem.townships["township_code"].to_numpy()[mod.batch.townships]
    status = mod.said
    return StaffingNotSolved(
        zh=f"{mod.batch.name} {stage} 级求解无可行方案（状态 {status}），乡镇：{_codes(towns)}；"
           "可增大 staffing.time_limit_s",
        en=f"stage {stage} returned no plan (status {status}) for townships {_codes(towns)}; "
           "raise staffing.time_limit_s",
        reason="not_solved", ids=[str(t) for t in towns])


def _value(mod: _Model, terms: Terms) -> float:
    return float(terms[1] @ mod.values[terms[0]]) if mod.values is not None else 0.0


def _restrict_to_optimal_face(mod: _Model, tol: float) -> int:
    """Fix the LP to its optimal face by complementary slackness; return how many were fixed.

    With an optimal dual solution, the optimal solutions are exactly the feasible points where
    every variable with a nonzero reduced cost stays at its bound and every row with a nonzero
    dual stays tight. Fixing those keeps the matrix totally unimodular, so the next stage's LP
    still has integral vertices.
    """
    fix = np.flatnonzero((np.abs(mod.dj) > tol) & ~mod.dead)
    mod.lb[fix] = mod.ub[fix] = np.round(mod.values[fix])
    fixed = len(fix)
    for k in np.flatnonzero(np.abs(mod.pi) > tol):
        lo, hi = mod.row_lb[k], mod.row_ub[k]
        if lo != hi:
            mod.row_lb[k] = mod.row_ub[k] = hi if np.isfinite(hi) else lo
            fixed += 1
    return fixed


def _drop_zero_columns(mod: _Model) -> None:
    """Leave the columns fixed at zero out of every later solve (smaller models and files)."""
    mod.dead |= (mod.lb == 0) & (mod.ub == 0)


def _integral_duals(mod: _Model) -> bool:
    vals = np.concatenate([mod.dj[~mod.dead], mod.pi])
    return bool((np.abs(vals - np.round(vals)) < 1e-6).all())


def _flat(terms: dict[int, Terms]) -> Terms:
    return _join(terms.values())


def _solve_batch_lp(mod: _Model, solver: str, stages: list, msg: bool) -> bool:
    """Stages A, B, C as LPs, each restricted to the previous stage's optimal face.

    Exact when ``max_villages_per_director`` is 1: persons on one side, village and township
    posts on the other, the rows form a bipartite b-matching (totally unimodular), so every LP
    vertex is integral and, with integer stage-A costs, so are the duals. Stage A's face is
    fixed with reduced costs at tolerance 0.5 (exact); stage B's at 1e-7 of its largest cost.
    The ``level`` rows are added as a safety net (they do not bind on the face). Returns False
    when a vertex is fractional (the caller then solves the batch's blocks as MILPs).
    """
    za = mod.stage_a_terms()
    st, secs = _run(mod, _flat(za), solver, "coverage+preference", mip=False, msg=msg)
    if st == "none":
        raise _not_solved(mod, "coverage+preference")
    if st == "fractional":
        return False
    best = {b: _value(mod, za[b]) for b in za}
    stages.append(("coverage+preference", sum(best.values()), secs, st))
    _restrict_to_optimal_face(mod, 0.5 if _integral_duals(mod) else 1e-6)
    _drop_zero_columns(mod)
    _add_level_rows(mod, "level_a", za, {b: best[b] + 0.5 for b in za})
    bal = mod.balance_terms()
    if not len(_flat(bal)[0]):
        return True
    st, secs = _run(mod, _flat(bal), solver, "balance", mip=False, msg=msg)
    if st == "none":
        raise _not_solved(mod, "balance")
    if st == "fractional":
        return False
    bbest = {b: _value(mod, bal[b]) for b in bal}
    stages.append(("balance", sum(bbest.values()), secs, st))
    big = float(np.abs(_flat(bal)[1]).max(initial=1.0))
    _restrict_to_optimal_face(mod, 1e-7 * max(1.0, big))
    _drop_zero_columns(mod)
    _add_level_rows(mod, "level_b", bal, {b: bbest[b] * (1 + 1e-6) + 1e-6 for b in bal})
    travel = mod.travel_terms()
    if len(travel[0]):
        st, secs = _run(mod, travel, solver, "travel", mip=False, msg=msg)
        if st == "none":
            raise _not_solved(mod, "travel")
        if st == "fractional":
            return False
        stages.append(("travel", _value(mod, travel), secs, st))
    return True


def _mip_stage(mod: _Model, name: str, terms: dict[int, Terms], level: str | None, *,
               exact: bool, required: bool, solver: str, stages: list, threads,
               msg: bool) -> bool:
    """One MILP stage, then ``level`` rows holding its optimum; False if it found no plan.

    A stage after the first that finds no plan within the time limit leaves the previous
    stage's plan in place (status ``stopped``); the first one raises.
    """
    pol = mod.problem.policy
    saved = None if mod.values is None else mod.values.copy()
    st, secs = _run(mod, _flat(terms), solver, name, mip=True,
                    gap_rel=0.0 if exact else pol.gap_rel, gap_abs=0.5 if exact else None,
                    threads=threads, msg=msg)
    if st == "none":
        if required:
            raise _not_solved(mod, name)
        mod.values = saved
        stages.append((name, sum(_value(mod, t) for t in terms.values()), secs, "stopped"))
        return False
    best = {b: _value(mod, t) for b, t in terms.items()}
    stages.append((name, sum(best.values()), secs, st))
    if level:
        tol = {b: 0.5 if exact else abs(best[b]) * 1e-6 + 1e-6 for b in best}
        _add_level_rows(mod, level, terms, {b: best[b] + tol[b] for b in best})
    return True


def _solve_batch_mip(mod: _Model, solver: str, stages: list, threads, msg: bool) -> None:
    """Stages A, B, C as MILPs held by ``level`` rows (``max_villages_per_director`` > 1)."""
    kw = dict(solver=solver, stages=stages, threads=threads, msg=msg)
    if mod.split_stage_a():  # sequential: coverage, then preference with coverage held
        _mip_stage(mod, "coverage", mod.coverage_terms(), "level_cov", exact=True,
                   required=True, **kw)
        if not _mip_stage(mod, "preference", mod.preference_terms(), "level_a", exact=True,
                          required=False, **kw):
            return
    else:
        _mip_stage(mod, "coverage+preference", mod.stage_a_terms(), "level_a", exact=True,
                   required=True, **kw)
    bal = mod.balance_terms()
    if not len(_flat(bal)[0]) or not _mip_stage(mod, "balance", bal, "level_b", exact=False,
                                        required=False, **kw):
        return
    travel = mod.travel_terms()
    if len(travel[0]):
        _mip_stage(mod, "travel", {0: travel}, None, exact=False, required=False, **kw)


def solve_staffing(problem: StaffingProblem, solver: str = "cbc", *,
                   max_batch_pairs: int = 50000, threads: int | None = None,
                   method: str = "auto", msg: bool = False) -> StaffingPlan:
    """Assign directors and supervisors, lexicographically (module docstring).

    With ``max_villages_per_director`` = 1 each stage is an LP over the previous stage's
    optimal face (exact, see :func:`_solve_batch_lp`); a batch whose LP vertex is fractional,
    and every batch when directors may serve several villages, is solved as a MILP whose
    earlier optima are held by ``level`` rows.

    Parameters
    ----------
    problem : StaffingProblem
        From :func:`build_staffing_problem`.
    solver : str
        ``"cbc"`` (PuLP's bundled CBC binary; its simplex for the LPs) or ``"highs"``
        (highspy, in process); any spelling :func:`optimization.solver.solver_name` accepts.
    max_batch_pairs : int
        LP batches group blocks until a model holds about this many pair variables; MILPs
        are always solved one block per model.
    threads : int, optional
        Solver threads (MILPs).
    method : {"auto", "lp", "mip"}
        ``auto``: LPs over optimal faces when ``max_villages_per_director`` is 1, else MILPs;
        ``mip`` forces the MILPs held by ``level`` rows (for comparison); ``lp`` is ``auto``.
    msg : bool
        Show the solver log.

    Returns
    -------
    StaffingPlan

    Raises
    ------
    StaffingNotSolved
        A solver call returned no plan (e.g. the time limit struck before any was found).
    """
    t_all = time.perf_counter()
    solver = solver_name(solver)
    if method not in ("auto", "lp", "mip"):
        raise ValueError(f"method must be 'auto', 'lp' or 'mip', not {method!r}")
    batches, vlab, tlab, plab, nblocks = _batches(problem, max_batch_pairs)
    linear = problem.policy.max_villages_per_director == 1 and method != "mip"
    run = _Run(problem, (vlab, tlab, plab), solver, threads, msg)
    run.solve_all(batches, linear)
    stages = tuple(StageStats(name=k, objective=v["objective"], seconds=v["seconds"],
                              status=v["status"], calls=v["calls"]) for k, v in run.log.items())
    status = ("trivial" if not batches else
              "optimal" if all(s.status == "optimal" for s in stages) else "feasible")
    return _assemble(problem, run.x_on, run.u_on, stats=dict(
        solver=solver, status=status, seconds=time.perf_counter() - t_all,
        build_seconds=run.build, blocks=nblocks, batches=run.models,
        lp_batches=run.lp_batches, variables=run.variables, constraints=run.constraints,
        stages=stages))


class _Run:
    """One :func:`solve_staffing` call: the queue of models, the choice and running totals."""

    def __init__(self, problem: StaffingProblem, labels, solver: str, threads, msg: bool):
        self.problem, self.labels = problem, labels
        self.solver, self.threads, self.msg = solver, threads, msg
        self.names = (_safe_names(problem.candidates["person_code"]),
                      _safe_names(problem.demand["village_code"]),
                      _safe_names(problem.townships["township_code"]))
        self.x_on = np.zeros(len(problem.pairs), dtype=bool)
        self.u_on = np.zeros(len(problem.supervisor_pairs), dtype=bool)
        self.build, self.variables, self.constraints = 0.0, 0, 0
        self.models = self.lp_batches = 0
        self.log: dict[str, dict] = {}
        self._single: dict[int, _Batch] = {}

    def one_per_block(self, blocks) -> list[tuple[_Batch, str]]:
        """Batches of one block each.

        A MILP is solved block by block: in one model their branch-and-bound trees multiply.
        """
        if not self._single:
            self._single.update({b.blocks[0]: b for b in _batches(self.problem, 0)[0]})
        return [(self._single[b], "mip") for b in blocks]

    def solve_all(self, batches: list[_Batch], linear: bool) -> None:
        queue = ([(b, "lp") for b in batches] if linear
                 else self.one_per_block([b for batch in batches for b in batch.blocks]))
        while queue:
            batch, how = queue.pop(0)
            stages: list = []
            t0 = time.perf_counter()
            mod = _Model(self.problem, batch, *self.labels, self.names)
            _add_base_rows(mod)
            sizes = (len(mod.col_names), len(mod.row_names))
            self.build += time.perf_counter() - t0
            if how == "lp":
                if not _solve_batch_lp(mod, self.solver, stages, self.msg):
                    queue[:0] = self.one_per_block(batch.blocks)  # fractional: MILP instead
                    continue
                self.lp_batches += 1
            else:
                _solve_batch_mip(mod, self.solver, stages, self.threads, self.msg)
            self.models += 1
            _merge_stage_log(self.log, stages)
            self.variables += sizes[0]
            self.constraints += sizes[1]
            _read_choice(mod, batch, self.x_on, self.u_on)


def _merge_stage_log(log: dict[str, dict], stages: list) -> None:
    """Add one model's ``(stage, objective, seconds, status)`` records to the running log."""
    for name, obj, secs, st in stages:
        s = log.setdefault(name, {"objective": 0.0, "seconds": 0.0, "status": "optimal",
                                  "calls": 0})
        s["objective"] += obj
        s["seconds"] += secs
        s["calls"] += 1
        if st != "optimal":
            s["status"] = st


def _read_choice(mod: _Model, batch: _Batch, x_on: np.ndarray, u_on: np.ndarray) -> None:
    """Mark the pairs (of every chosen pattern) and supervisor pairs the solution picks."""
    for col, members in zip(mod.x, mod.pairs, strict=True):
        if mod.values[col] > 0.5:
            x_on[list(members)] = True
    u_on[batch.sup_pairs] = mod.values[mod.u] > 0.5


def write_staffing_lp(problem: StaffingProblem, path, township_code: str | None = None) -> str:
    """Write the stage-A model (all constraint families, named) to an LP file for inspection.

    Parameters
    ----------
    problem : StaffingProblem
    path : str or path
        Output ``.lp`` file.
    township_code : str, optional
        Only the block(s) of this township; default the first batch.

    Returns
    -------
    str
        The path written.
    """
    batches, vlab, tlab, plab, _ = _batches(problem, max_batch_pairs=10**9)
    if not batches:
        raise StaffingNotSolved(zh="没有可决策的候选人", en="no candidate pair to decide",
                                reason="no_candidate_pair")
    batch = batches[0]
    if township_code is not None:
        tcodes = problem.townships["township_code"].to_numpy()
        t = np.flatnonzero(tcodes == township_code)
        vt = problem.demand["township_code"].to_numpy()
        labs = set(tlab[t]) | set(vlab[vt == township_code])
        blocks = np.array(sorted(b for b in batch.blocks if b in labs))
        batch = _Batch(
            name=f"staffing_t{township_code}", blocks=blocks,
            villages=batch.villages[np.isin(vlab[batch.villages], blocks)],
            townships=batch.townships[np.isin(tlab[batch.townships], blocks)],
            patterns=batch.patterns[np.isin(
                plab[problem.patterns["person"].to_numpy(dtype=np.int64)[batch.patterns]],
                blocks)],
            sup_pairs=batch.sup_pairs[np.isin(
                plab[problem.supervisor_pairs["person"].to_numpy()[batch.sup_pairs]], blocks)])
    names = (_safe_names(problem.candidates["person_code"]),
             _safe_names(problem.demand["village_code"]),
             _safe_names(problem.townships["township_code"]))
    mod = _Model(problem, batch, vlab, tlab, plab, names)
    _add_base_rows(mod)
    model, _, _ = mod.to_model(_flat(mod.stage_a_terms()), integer=True)
    write_lp(model, path)
    return str(path)
