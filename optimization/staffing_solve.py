"""Solving the staffing model: blocks, batches, the PuLP model by constraint family, stages.

Part of the staffing model (:mod:`optimization.staffing`): the lexicographic stages (coverage,
preference, balance, travel) are solved per batch of blocks as LPs (totally unimodular) or per
block as MILPs, then :mod:`optimization.staffing_output` turns the choice into a plan.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pulp

from optimization.solver import components, safe_names, solver_name
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


class _Model:
    """A PuLP model of one batch with its variables, indexed like the problem's tables."""

    def __init__(self, problem: StaffingProblem, batch: _Batch, vlab, tlab, plab, names):
        self.problem, self.batch = problem, batch
        self.vlab, self.tlab, self.plab = vlab, tlab, plab
        self.pname, self.vname, self.tname = names
        self.prob = pulp.LpProblem(batch.name, pulp.LpMinimize)
        self.dead: set = set()  # hashes of columns dropped once fixed at zero
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
        self.x = [pulp.LpVariable(f"x_{self.pname[p]}_" + "_".join(self.vname[v] for v in vs),
                                  cat=pulp.LpBinary)
                  for p, vs in zip(self.pp, self.villages, strict=True)]
        self.u = [pulp.LpVariable(f"u_{self.pname[p]}_{self.tname[t]}", cat=pulp.LpBinary)
                  for p, t in zip(self.sp, self.st, strict=True)]
        self.s1 = {v: pulp.LpVariable(f"short1_{self.vname[v]}", 0, 1, pulp.LpInteger)
                   for v in batch.villages}
        self.s2 = {v: pulp.LpVariable(f"short2_{self.vname[v]}", 0, int(self.need[v]) - 1,
                                      pulp.LpInteger)
                   for v in batch.villages if self.need[v] > 1}
        self.r1 = {t: pulp.LpVariable(f"sup_short1_{self.tname[t]}", 0, 1, pulp.LpInteger)
                   for t in batch.townships}
        self.r2 = {t: pulp.LpVariable(f"sup_short2_{self.tname[t]}", 0,
                                      int(self.s_need[t]) - 1, pulp.LpInteger)
                   for t in batch.townships if self.s_need[t] > 1}
        self._weights()

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

    def live(self, terms: list) -> list:
        """Terms without the columns dropped from the model (they are fixed at zero)."""
        if not self.dead:
            return terms
        return [(v, c) for v, c in terms if v.hash not in self.dead]

    def split_stage_a(self) -> bool:
        return any(self.w1[b] * self.w2[b] > _SPLIT_WEIGHT for b in self.batch.blocks)

    # -- per-block expressions (lists of (variable, coefficient)) ---------------------------
    def coverage_terms(self, weighted_first: bool = True) -> dict[int, list]:
        """Shortfall penalty: W1 per first post short, 1 per further post short."""
        terms = {b: [] for b in self.batch.blocks}
        for v, var in self.s1.items():
            terms[self.vlab[v]].append((var, self.w1[self.vlab[v]] if weighted_first else 1))
        for v, var in self.s2.items():
            terms[self.vlab[v]].append((var, 1))
        for t, var in self.r1.items():
            terms[self.tlab[t]].append((var, self.w1[self.tlab[t]] if weighted_first else 1))
        for t, var in self.r2.items():
            terms[self.tlab[t]].append((var, 1))
        return terms

    def preference_terms(self) -> dict[int, list]:
        """Minus the preference units of every post filled (per village a person serves)."""
        terms = {b: [] for b in self.batch.blocks}
        for var, p, vs in zip(self.x, self.pp, self.villages, strict=True):
            if self.units[p]:
                terms[self.plab[p]].append((var, -int(self.units[p]) * len(vs)))
        for var, p in zip(self.u, self.sp, strict=True):
            if self.units[p]:
                terms[self.plab[p]].append((var, -int(self.units[p])))
        return terms

    def stage_a_terms(self) -> dict[int, list]:
        """Z_b = W2 * coverage penalty - preference."""
        cov, pref = self.coverage_terms(), self.preference_terms()
        return {b: [(v, self.w2[b] * c) for v, c in cov[b]] + pref[b] for b in cov}

    def balance_terms(self) -> dict[int, list]:
        """Sum over directors of their squared monthly hours (exact: one set per person)."""
        terms = {b: [] for b in self.batch.blocks}
        for var, p, h in zip(self.x, self.pp, self.hours, strict=True):
            if h > 0:
                terms[self.plab[p]].append((var, float(h) ** 2))
        return terms

    def travel_terms(self) -> list:
        return [(var, float(t)) for var, t in zip(self.x, self.travel, strict=True) if t > 0]


def _add_person_rows(mod: _Model) -> None:
    """``assign_once_p<code>``: a person takes at most one set of villages or township post."""
    terms: dict[int, list] = {}
    for var, p in zip(mod.x, mod.pp, strict=True):
        terms.setdefault(p, []).append((var, 1))
    for var, p in zip(mod.u, mod.sp, strict=True):
        terms.setdefault(p, []).append((var, 1))
    for p, t in terms.items():
        if len(t) > 1:
            mod.prob.addConstraint(pulp.LpConstraint(
                pulp.LpAffineExpression(t), pulp.LpConstraintLE, f"assign_once_p{mod.pname[p]}",
                1))


def _add_cover_rows(mod: _Model) -> None:
    """``cover_v<code>``: directors placed plus shortfall equal the village's demand."""
    terms: dict[int, list] = {v: [] for v in mod.batch.villages}
    for var, vs in zip(mod.x, mod.villages, strict=True):
        for v in vs:
            terms[v].append((var, 1))
    for v, t in terms.items():
        t.append((mod.s1[v], 1))
        if v in mod.s2:
            t.append((mod.s2[v], 1))
        mod.prob.addConstraint(pulp.LpConstraint(
            pulp.LpAffineExpression(t), pulp.LpConstraintEQ, f"cover_v{mod.vname[v]}",
            int(mod.need[v])))


def _add_supervise_rows(mod: _Model) -> None:
    """``supervise_t<code>``: supervisors placed plus shortfall equal the township's posts."""
    terms: dict[int, list] = {t: [] for t in mod.batch.townships}
    for var, t in zip(mod.u, mod.st, strict=True):
        terms[t].append((var, 1))
    for t, tt in terms.items():
        tt.append((mod.r1[t], 1))
        if t in mod.r2:
            tt.append((mod.r2[t], 1))
        mod.prob.addConstraint(pulp.LpConstraint(
            pulp.LpAffineExpression(tt), pulp.LpConstraintEQ, f"supervise_t{mod.tname[t]}",
            int(mod.s_need[t])))


def _add_level_rows(mod: _Model, prefix: str, terms: dict[int, list],
                    bounds: dict[int, float]) -> None:
    """``<prefix>_b<block>``: a block's earlier objective held at its optimum."""
    for b, t in terms.items():
        t = mod.live(t)
        if t:
            mod.prob.addConstraint(pulp.LpConstraint(
                pulp.LpAffineExpression(t), pulp.LpConstraintLE, f"{prefix}_b{b}", bounds[b]))


# ----------------------------------------------------------------------------- solving


def _make_solver(name: str, *, mip: bool, time_limit: float, gap_rel: float | None,
                 gap_abs: float | None, threads: int | None, warm: bool, msg: bool):
    """The PuLP solver for one stage; ``name`` in the one name set of :mod:`optimization.solver`.

    The staffing stages keep PuLP's solve because the LP path reads reduced costs and row
    duals from both CBC and HiGHS (:func:`_restrict_to_optimal_face`).
    """
    if solver_name(name) == "cbc":
        from pulp.apis.coin_api import pulp_cbc_path

        return pulp.COIN_CMD(path=pulp_cbc_path, mip=mip, msg=msg, timeLimit=time_limit,
                             gapRel=gap_rel, gapAbs=gap_abs, threads=threads,
                             warmStart=warm and mip)
    return pulp.HiGHS(mip=mip, msg=msg, timeLimit=time_limit, gapRel=gap_rel,
                      gapAbs=gap_abs, threads=threads)


def _int_vars(mod: _Model) -> list:
    return [*mod.x, *mod.u, *mod.s1.values(), *mod.s2.values(), *mod.r1.values(),
            *mod.r2.values()]


def _run(mod: _Model, terms: list, solver: str, stage: str, *, mip: bool, gap_rel=None,
         gap_abs=None, threads=None, msg: bool = False) -> tuple[str, float]:
    """Solve the model with objective ``terms``; return (status, seconds).

    Status is ``optimal``, ``feasible`` (time limit with a plan), ``fractional`` (an LP
    solve whose vertex is not integral: the caller falls back to the MILP) or ``none`` (no
    plan; the variables' values are then meaningless).
    """
    mod.prob.setObjective(pulp.LpAffineExpression(mod.live(terms)))
    warm = mip and all(v.varValue is not None for v in mod.x[:1] + mod.u[:1])
    s = _make_solver(solver, mip=mip, time_limit=mod.problem.policy.time_limit_s,
                     gap_rel=gap_rel, gap_abs=gap_abs, threads=threads, warm=warm, msg=msg)
    t0 = time.perf_counter()
    mod.prob.solve(s)
    secs = time.perf_counter() - t0
    sol = mod.prob.sol_status
    if sol == pulp.LpSolutionOptimal:
        status = "optimal"
    elif sol == pulp.LpSolutionIntegerFeasible and mip:
        status = "feasible"
    else:
        return "none", secs
    ints = _int_vars(mod)
    if not mip and any(abs((v.varValue or 0.0) - round(v.varValue or 0.0)) > 1e-6 for v in ints):
        return "fractional", secs
    for v in ints:
        v.varValue = float(round(v.varValue or 0.0))
    return status, secs


def _not_solved(mod: _Model, stage: str) -> StaffingNotSolved:
    towns = mod.problem.townships["township_code"].to_numpy()[mod.batch.townships]
    status = pulp.LpStatus[mod.prob.status]
    return StaffingNotSolved(
        zh=f"{mod.batch.name} {stage} 级求解无可行方案（状态 {status}），乡镇：{_codes(towns)}；"
           "可增大 staffing.time_limit_s",
        en=f"stage {stage} returned no plan (status {status}) for townships {_codes(towns)}; "
           "raise staffing.time_limit_s",
        reason="not_solved", ids=[str(t) for t in towns])


def _value(terms: list) -> float:
    return float(sum(c * (v.varValue or 0.0) for v, c in terms))


def _restrict_to_optimal_face(mod: _Model, tol: float) -> int:
    """Fix the LP to its optimal face by complementary slackness; return how many were fixed.

    With an optimal dual solution, the optimal solutions are exactly the feasible points where
    every variable with a nonzero reduced cost stays at its bound and every row with a nonzero
    dual stays tight. Fixing those keeps the matrix totally unimodular, so the next stage's LP
    still has integral vertices.
    """
    fixed = 0
    for var in _int_vars(mod):
        if var.dj is not None and abs(var.dj) > tol:
            var.lowBound = var.upBound = float(round(var.varValue))
            fixed += 1
    for c in mod.prob.constraints.values():
        if c.pi is not None and abs(c.pi) > tol and c.sense != pulp.LpConstraintEQ:
            c.sense = pulp.LpConstraintEQ
            fixed += 1
    return fixed


def _drop_zero_columns(mod: _Model) -> None:
    """Rebuild the model without the columns fixed at zero (same named rows, smaller files)."""
    dead = {v.hash for v in _int_vars(mod)
            if v.upBound is not None and v.upBound == 0 and v.lowBound == 0}
    if not dead:
        return
    new = pulp.LpProblem(mod.prob.name, pulp.LpMinimize)
    for name, c in mod.prob.constraints.items():
        items = [(v, a) for v, a in c.items() if v.hash not in dead]
        if items:
            new.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(items), c.sense, name,
                                                -c.constant))
    mod.prob = new
    mod.dead |= dead


def _integral_duals(mod: _Model) -> bool:
    vals = [v.dj for v in _int_vars(mod)] + [c.pi for c in mod.prob.constraints.values()]
    return all(d is None or abs(d - round(d)) < 1e-6 for d in vals)


def _add_base_rows(mod: _Model) -> None:
    _add_person_rows(mod)
    _add_cover_rows(mod)
    _add_supervise_rows(mod)


def _flat(terms: dict[int, list]) -> list:
    return [t for b in terms for t in terms[b]]


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
    best = {b: _value(za[b]) for b in za}
    stages.append(("coverage+preference", sum(best.values()), secs, st))
    _restrict_to_optimal_face(mod, 0.5 if _integral_duals(mod) else 1e-6)
    _drop_zero_columns(mod)
    _add_level_rows(mod, "level_a", za, {b: best[b] + 0.5 for b in za})
    bal = mod.balance_terms()
    if not _flat(bal):
        return True
    st, secs = _run(mod, _flat(bal), solver, "balance", mip=False, msg=msg)
    if st == "none":
        raise _not_solved(mod, "balance")
    if st == "fractional":
        return False
    bbest = {b: _value(bal[b]) for b in bal}
    stages.append(("balance", sum(bbest.values()), secs, st))
    big = max((abs(c) for _, c in _flat(bal)), default=1.0)
    _restrict_to_optimal_face(mod, 1e-7 * max(1.0, big))
    _drop_zero_columns(mod)
    _add_level_rows(mod, "level_b", bal, {b: bbest[b] * (1 + 1e-6) + 1e-6 for b in bal})
    travel = mod.travel_terms()
    if travel:
        st, secs = _run(mod, travel, solver, "travel", mip=False, msg=msg)
        if st == "none":
            raise _not_solved(mod, "travel")
        if st == "fractional":
            return False
        stages.append(("travel", _value(travel), secs, st))
    return True


def _mip_stage(mod: _Model, name: str, terms: dict[int, list], level: str | None, *,
               exact: bool, required: bool, solver: str, stages: list, threads,
               msg: bool) -> bool:
    """One MILP stage, then ``level`` rows holding its optimum; False if it found no plan.

    A stage after the first that finds no plan within the time limit leaves the previous
    stage's plan in place (status ``stopped``); the first one raises.
    """
    pol = mod.problem.policy
    saved = [(v, v.varValue) for v in _int_vars(mod)]
    st, secs = _run(mod, _flat(terms), solver, name, mip=True,
                    gap_rel=0.0 if exact else pol.gap_rel, gap_abs=0.5 if exact else None,
                    threads=threads, msg=msg)
    if st == "none":
        if required:
            raise _not_solved(mod, name)
        for v, val in saved:
            v.varValue = val
        stages.append((name, sum(_value(t) for t in terms.values()), secs, "stopped"))
        return False
    best = {b: _value(t) for b, t in terms.items()}
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
    if not _flat(bal) or not _mip_stage(mod, "balance", bal, "level_b", exact=False,
                                        required=False, **kw):
        return
    travel = mod.travel_terms()
    if travel:
        _mip_stage(mod, "travel", {0: travel}, None, exact=False, required=False, **kw)


def solve_staffing(problem: StaffingProblem, solver: str = "PULP_CBC_CMD", *,
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
        ``"PULP_CBC_CMD"`` (PuLP's bundled CBC; CLP for the LPs) or ``"HiGHS"`` (highspy, in
        process).
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
    batches, vlab, tlab, plab, nblocks = _batches(problem, max_batch_pairs)
    names = (_safe_names(problem.candidates["person_code"]),
             _safe_names(problem.demand["village_code"]),
             _safe_names(problem.townships["township_code"]))
    x_on = np.zeros(len(problem.pairs), dtype=bool)
    u_on = np.zeros(len(problem.supervisor_pairs), dtype=bool)
    build, variables, constraints, lp_batches = 0.0, 0, 0, 0
    sizes: tuple[int, int] = (0, 0)
    log: dict[str, dict] = {}
    if method not in ("auto", "lp", "mip"):
        raise ValueError(f"method must be 'auto', 'lp' or 'mip', not {method!r}")
    linear = problem.policy.max_villages_per_director == 1 and method != "mip"
    single: dict[int, _Batch] = {}

    def one_per_block(blocks) -> list[tuple[_Batch, str]]:
        # a MILP is solved block by block: in one model their branch-and-bound trees multiply
        if not single:
            single.update({b.blocks[0]: b for b in _batches(problem, 0)[0]})
        return [(single[b], "mip") for b in blocks]

    queue = ([(b, "lp") for b in batches] if linear
             else one_per_block([b for batch in batches for b in batch.blocks]))
    models = 0
    while queue:
        batch, how = queue.pop(0)
        stages: list = []
        t0 = time.perf_counter()
        mod = _Model(problem, batch, vlab, tlab, plab, names)
        _add_base_rows(mod)
        sizes = (mod.prob.numVariables(), mod.prob.numConstraints())
        build += time.perf_counter() - t0
        if how == "lp":
            if not _solve_batch_lp(mod, solver, stages, msg):
                queue[:0] = one_per_block(batch.blocks)  # a fractional vertex: MILP instead
                continue
            lp_batches += 1
        else:
            _solve_batch_mip(mod, solver, stages, threads, msg)
        models += 1
        _merge_stage_log(log, stages)
        variables += sizes[0]
        constraints += sizes[1]
        _read_choice(mod, batch, x_on, u_on)
    stages = tuple(StageStats(name=k, objective=v["objective"], seconds=v["seconds"],
                              status=v["status"], calls=v["calls"]) for k, v in log.items())
    status = ("trivial" if not batches else
              "optimal" if all(s.status == "optimal" for s in stages) else "feasible")
    return _assemble(problem, x_on, u_on, stats=dict(
        solver=solver, status=status, seconds=time.perf_counter() - t_all,
        build_seconds=build, blocks=nblocks, batches=models, lp_batches=lp_batches,
        variables=variables, constraints=constraints, stages=stages))



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
    for var, members in zip(mod.x, mod.pairs, strict=True):
        if var.varValue > 0.5:
            x_on[list(members)] = True
    u_on[batch.sup_pairs] = [v.varValue > 0.5 for v in mod.u]


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
    za = mod.stage_a_terms()
    mod.prob.setObjective(pulp.LpAffineExpression([t for b in za for t in za[b]]))
    mod.prob.writeLP(str(path))
    return str(path)
