r"""The one solver layer under the MILPs (siting, staffing): arrays in, an honest result out.

A model is a :class:`Model`: columns and rows in plain arrays, every column and row named (so
an LP file reads like the policy). :func:`solve` runs it with CBC (PuLP's bundled binary) or
HiGHS (highspy, in process, the arrays passed whole) and returns a :class:`SolveResult` read
the same way for both: status, objective, proven bound, relative gap, wall time, solver name.

Rules every caller can rely on
------------------------------
* **One set of solver names**: ``"cbc"`` and ``"highs"`` (:data:`SOLVERS`); PuLP's names
  (``"PULP_CBC_CMD"``, ``"COIN_CMD"``, ``"HiGHS"``, ``"HiGHS_CMD"``) are accepted and mapped by
  :func:`solver_name`, so no caller maps them by hand.
* **Status follows the proven gap** on every path: ``"optimal"`` only when
  ``objective - bound <= max(gap_abs, gap_rel * |objective|)`` (plus a rounding slack of
  1e-9 relative), whatever the solver itself said (HiGHS may report "optimal" with an open
  gap; that result reads ``"feasible"``). ``"feasible"``: a plan with an open gap (time limit
  or otherwise); ``"infeasible"``: proven; ``"no_solution"``: no plan and no proof.
* **The time limit bounds the whole call**: :func:`solve` takes a ``deadline``
  (``time.perf_counter()`` value) or ``time_limit_s``; model conversion and files come out of
  the same budget. CBC runs on an MPS file written by HiGHS (no PuLP objects), counts
  elapsed time, and is stopped one second after the deadline if it has not returned.
* **HiGHS threads**: HiGHS keeps one process-wide thread pool; a call with another thread count
  than the previous one resets it first (otherwise a later call fails with "Not Solved").
  Calls are serialised by a lock.

Also here: :func:`components` (connected components of a bipartite row/column graph, used
to split a model into independent blocks), :func:`safe_names` (ids made safe and unique for LP
names), :func:`write_lp` (the readable LP file), :func:`to_pulp` and :meth:`Model.from_pulp`
(for models built with PuLP objects).

Common form: arrays, not PuLP objects, for both siting and staffing. Measured on
bench/siting.py and bench/staffing.py (docs/solver-layer.md, bench/solver_forms.py): building
the models as arrays and passing them whole is faster than the same models as PuLP objects
(PuLP's HiGHS interface adds columns one at a time; its CBC path writes and reads files by
name), and the staffing LP stages still get what they need from it: for a pure LP both solvers
return row duals and reduced costs (``row_duals``, ``col_duals``; CBC's come from its solution
file with ``-printingOptions all``), which staffing uses to fix each stage's optimal face.

Examples
--------
>>> m = Model("tiny")
>>> x = m.add_cols(["x_a", "x_b"], obj=[3.0, 2.0], lb=0.0, ub=1.0, integer=True)
>>> m.add_rows(["pick_one"], rows=[0, 0], cols=x, vals=[1.0, 1.0], lb=1.0, ub=np.inf)
>>> r = solve(m, "highs", time_limit_s=10)
>>> r.status, r.objective, r.gap, [abs(float(v)) for v in r.values.round()]
('optimal', 2.0, 0.0, [0.0, 1.0])
>>> solve(m, "PULP_CBC_CMD", time_limit_s=10).objective
2.0
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pulp
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = [
    "SOLVERS",
    "Model",
    "SolveResult",
    "components",
    "proven",
    "relative_gap",
    "safe_names",
    "solve",
    "solver_name",
    "to_pulp",
    "write_lp",
]

#: The solver names every model accepts.
SOLVERS = ("cbc", "highs")
_ALIASES = {
    "cbc": "cbc", "pulp_cbc_cmd": "cbc", "coin_cmd": "cbc", "coin": "cbc",
    "highs": "highs", "highs_cmd": "highs", "highspy": "highs",
}
#: relative slack under which two objective values count as equal (floating-point noise)
_EPS = 1e-9


def solver_name(name: str) -> str:
    """Return the canonical solver name (``"cbc"`` or ``"highs"``) for any accepted spelling.

    >>> solver_name("PULP_CBC_CMD"), solver_name("HiGHS")
    ('cbc', 'highs')
    """
    key = str(name).strip().lower()
    if key not in _ALIASES:
        raise ValueError(f"求解器应为 {SOLVERS} 之一，收到 {name!r} / solver must be one of "
                         f"{SOLVERS}, got {name!r}")
    return _ALIASES[key]


# ----------------------------------------------------------------------------- the model


@dataclass
class Model:
    """A minimisation MILP in plain arrays, with a name for every column and row.

    Build with :meth:`add_cols` and :meth:`add_rows` (COO triplets, row numbers local to the
    call); :meth:`arrays` returns the whole model. ``offset`` is a constant added to the
    objective.
    """

    name: str
    col_names: list[str] = field(default_factory=list)
    obj: list[np.ndarray] = field(default_factory=list)
    lb: list[np.ndarray] = field(default_factory=list)
    ub: list[np.ndarray] = field(default_factory=list)
    integer: list[np.ndarray] = field(default_factory=list)
    row_names: list[str] = field(default_factory=list)
    row_lb: list[np.ndarray] = field(default_factory=list)
    row_ub: list[np.ndarray] = field(default_factory=list)
    entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    n_cols: int = 0
    n_rows: int = 0
    offset: float = 0.0

    def add_cols(self, names, obj, lb, ub, integer) -> np.ndarray:
        """Add columns; scalars broadcast. Return their column numbers."""
        k = len(names)
        self.col_names.extend(names)
        self.obj.append(np.broadcast_to(np.asarray(obj, float), (k,)))
        self.lb.append(np.broadcast_to(np.asarray(lb, float), (k,)))
        self.ub.append(np.broadcast_to(np.asarray(ub, float), (k,)))
        self.integer.append(np.broadcast_to(np.asarray(integer, bool), (k,)))
        idx = np.arange(self.n_cols, self.n_cols + k)
        self.n_cols += k
        return idx

    def add_rows(self, names, rows, cols, vals, lb, ub) -> None:
        """Add rows ``lb <= A x <= ub`` given as COO triplets with row numbers local to the call."""
        k = len(names)
        self.row_names.extend(names)
        self.row_lb.append(np.broadcast_to(np.asarray(lb, float), (k,)))
        self.row_ub.append(np.broadcast_to(np.asarray(ub, float), (k,)))
        self.entries.append((np.asarray(rows, dtype=np.int64) + self.n_rows,
                             np.asarray(cols, dtype=np.int64), np.asarray(vals, float)))
        self.n_rows += k

    def set_objective(self, cols, coefs) -> None:
        """Set the objective coefficients of the given columns (others keep theirs)."""
        obj = self.objective().copy()
        obj[np.asarray(cols, dtype=np.int64)] = coefs
        self.obj = [obj]

    def objective(self) -> np.ndarray:
        """The objective coefficients of every column."""
        return np.concatenate(self.obj).astype(float) if self.obj else np.zeros(0)

    def arrays(self):
        """Return ``(obj, lb, ub, integer, row_lb, row_ub, A)`` with ``A`` in CSR form."""
        def cat(xs, dt=float):
            return np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)

        r = cat([e[0] for e in self.entries], np.int64)
        c = cat([e[1] for e in self.entries], np.int64)
        v = cat([e[2] for e in self.entries])
        a = coo_matrix((v, (r, c)), shape=(self.n_rows, self.n_cols)).tocsr()
        return (cat(self.obj), cat(self.lb), cat(self.ub), cat(self.integer, bool),
                cat(self.row_lb), cat(self.row_ub), a)

    @classmethod
    def from_pulp(cls, prob: pulp.LpProblem) -> tuple[Model, list[pulp.LpVariable]]:
        """Convert a PuLP problem (a maximisation is negated into a minimisation).

        Returns the model and PuLP's variables in column order (to read values back with
        ``result.values``).
        """
        sign = -1.0 if prob.sense == pulp.LpMaximize else 1.0
        xs = prob.variables()
        col = {v.name: k for k, v in enumerate(xs)}
        m = cls(prob.name or "model")
        obj = np.zeros(len(xs))
        for v, a in (prob.objective or {}).items():
            obj[col[v.name]] = sign * a
        m.offset = sign * float(getattr(prob.objective, "constant", 0.0) or 0.0)
        m.add_cols([v.name for v in xs], obj,
                   [(-np.inf if v.lowBound is None else v.lowBound) for v in xs],
                   [(np.inf if v.upBound is None else v.upBound) for v in xs],
                   [v.cat == pulp.LpInteger for v in xs])
        for name, c in prob.constraints.items():
            rhs = -float(c.constant)
            lo, hi = {pulp.LpConstraintEQ: (rhs, rhs), pulp.LpConstraintLE: (-np.inf, rhs),
                      pulp.LpConstraintGE: (rhs, np.inf)}[c.sense]
            items = list(c.items())
            m.add_rows([name], [0] * len(items), [col[v.name] for v, _ in items],
                       [a for _, a in items], lo, hi)
        return m, xs


_SAFE = re.compile(r"[^A-Za-z0-9_]")


def safe_names(ids: Iterable) -> np.ndarray:
    """Return the ids with every character outside ``[A-Za-z0-9_]`` replaced, made unique.

    >>> safe_names(["a-1", "a_1", "b"]).tolist()
    ['a_1_0', 'a_1_1', 'b']
    """
    out = np.array([_SAFE.sub("_", str(i)) for i in ids], dtype=object)
    seen: dict[str, int] = {}
    for s in out:
        seen[s] = seen.get(s, 0) + 1
    for k, s in enumerate(out):
        if seen[s] > 1:
            out[k] = f"{s}_{k}"
    return out


def components(n_rows: int, n_cols: int, row_of: np.ndarray,
               col_of: np.ndarray) -> tuple[int, np.ndarray]:
    """Label the connected components of a bipartite graph (rows 0..n-1, then columns).

    ``row_of[k], col_of[k]`` is the k-th edge. Returns ``(count, labels)`` with labels for the
    ``n_rows`` row nodes first, then the ``n_cols`` column nodes.

    >>> components(3, 2, np.array([0, 1]), np.array([0, 0]))[0]
    3
    """
    g = coo_matrix((np.ones(len(row_of)), (row_of, np.asarray(col_of) + n_rows)),
                   shape=(n_rows + n_cols, n_rows + n_cols))
    return connected_components(g, directed=False)


def to_pulp(model: Model) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """Return the model as a PuLP problem with every variable and constraint named."""
    obj, lb, ub, integer, rlb, rub, a = model.arrays()
    prob = pulp.LpProblem(model.name, pulp.LpMinimize)
    xs = [prob.add_variable(name, None if not np.isfinite(lb[k]) else float(lb[k]),
                            None if not np.isfinite(ub[k]) else float(ub[k]),
                            pulp.LpInteger if integer[k] else pulp.LpContinuous)
          for k, name in enumerate(model.col_names)]
    nz = np.flatnonzero(obj)
    prob.setObjective(pulp.LpAffineExpression([(xs[k], float(obj[k])) for k in nz])
                      + model.offset)
    indptr, indices, data = a.indptr, a.indices, a.data
    for r, name in enumerate(model.row_names):
        lo, hi = rlb[r], rub[r]
        sl = slice(indptr[r], indptr[r + 1])
        expr = pulp.LpAffineExpression(
            [(xs[k], float(v)) for k, v in zip(indices[sl], data[sl], strict=True)])
        if lo == hi:
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintEQ, name, float(lo)))
            continue
        if np.isfinite(hi):
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, name, float(hi)))
        if np.isfinite(lo):
            prob.addConstraint(pulp.LpConstraint(
                pulp.LpAffineExpression(expr), pulp.LpConstraintGE,
                name + "_lo" if np.isfinite(hi) else name, float(lo)))
    return prob, xs


def write_lp(model: Model, path: str | os.PathLike) -> None:
    """Write the model as a readable LP file (every column and row by its name), atomically."""
    prob, _ = to_pulp(model)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".lp_", suffix=".lp", dir=folder)
    os.close(fd)
    try:
        prob.writeLP(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class SolveResult:
    """What one solver call proved.

    Attributes
    ----------
    solver : str
        ``"cbc"`` or ``"highs"``.
    status : str
        ``"optimal"`` (gap within the tolerance), ``"feasible"`` (a plan, gap open),
        ``"infeasible"`` (proven) or ``"no_solution"`` (no plan, no proof).
    objective, bound : float
        Objective of the returned values and a proven lower bound (``-inf`` if none; ``nan``
        when infeasible).
    gap : float
        :func:`relative_gap` of the two (``nan`` without a plan).
    seconds : float
        Wall time of the whole call, conversion and files included.
    values : ndarray or None
        Column values.
    row_duals : ndarray or None
        Row duals of a pure LP (both solvers; signs follow the solver's convention).
    col_duals : ndarray or None
        Reduced costs of a pure LP (both solvers; signs follow the solver's convention).
    solver_said : str
        The solver's own status word (for logs; never used as the status).
    time_limit : bool
        The solver stopped on its clock.
    """

    solver: str
    status: str
    objective: float
    bound: float
    gap: float
    seconds: float
    values: np.ndarray | None = None
    row_duals: np.ndarray | None = None
    solver_said: str = ""
    time_limit: bool = False
    col_duals: np.ndarray | None = None


def relative_gap(objective: float, bound: float) -> float:
    """Return ``(objective - bound) / |objective|`` (0 when they agree to rounding).

    >>> relative_gap(100.0, 95.0), relative_gap(5.0, 5.0 - 1e-12), relative_gap(0.0, -1.0)
    (0.05, 0.0, inf)
    """
    if not np.isfinite(bound) or not np.isfinite(objective):
        return math.nan if math.isnan(bound) or math.isnan(objective) else math.inf
    diff = objective - bound
    if diff <= _EPS * max(1.0, abs(objective)):
        return 0.0
    return diff / abs(objective) if objective != 0 else math.inf


def proven(objective: float, bound: float, gap_rel: float = 0.0, gap_abs: float = 0.0) -> bool:
    """Whether ``bound`` proves ``objective`` optimal within the tolerances.

    >>> proven(100.0, 99.99, gap_rel=1e-4), proven(100.0, 95.0, gap_rel=1e-4)
    (True, False)
    """
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return False
    tol = max(gap_abs, gap_rel * abs(objective)) + _EPS * max(1.0, abs(objective))
    return objective - bound <= tol


def _result(solver, values, obj, bound, seconds, *, gap_rel, gap_abs, said, stopped,
            duals=None, col_duals=None) -> SolveResult:
    objective = float(values @ obj) if values is not None else math.nan
    if values is not None and np.isfinite(bound):
        bound = min(float(bound), objective)
    ok = values is not None and proven(objective, bound, gap_rel, gap_abs)
    status = "optimal" if ok else ("feasible" if values is not None else "no_solution")
    gap = relative_gap(objective, bound) if values is not None else math.nan
    return SolveResult(solver, status, objective, float(bound), gap, seconds, values, duals,
                       said, stopped, col_duals)


# ----------------------------------------------------------------------------- solve


def solve(model: Model, solver: str = "highs", *, time_limit_s: float | None = None,
          deadline: float | None = None, gap_rel: float = 0.0, gap_abs: float = 0.0,
          threads: int | None = None, start: Sequence[float] | None = None,
          msg: bool = False) -> SolveResult:
    """Solve a :class:`Model` and return what was proven.

    Parameters
    ----------
    model : Model
    solver : str
        ``"cbc"`` or ``"highs"`` (or a PuLP spelling, see :func:`solver_name`).
    time_limit_s : float, optional
        Seconds for this whole call (ignored when ``deadline`` is given).
    deadline : float, optional
        A ``time.perf_counter()`` value by which the call must be done.
    gap_rel, gap_abs : float
        Optimality tolerances: the solver stops there and the status follows them.
    threads : int, optional
        Solver threads (default: the solver's own).
    start : sequence of float, optional
        A feasible (or partial) solution to start from.
    msg : bool
        Print the solver log.
    """
    t0 = time.perf_counter()
    name = solver_name(solver)
    if deadline is None:
        deadline = t0 + (float(time_limit_s) if time_limit_s is not None else 3600.0)
    run = _solve_cbc if name == "cbc" else _solve_highs
    res = run(model, start, deadline, gap_rel, gap_abs, threads, msg)
    offset = model.offset
    if offset:
        res = replace(res, objective=res.objective + offset, bound=res.bound + offset,
                      gap=relative_gap(res.objective + offset, res.bound + offset)
                      if res.values is not None else math.nan)
    return replace(res, seconds=time.perf_counter() - t0)


# --- CBC (PuLP's bundled binary through COIN_CMD; bound and stopping reason from its log)

_CBC_GAP = re.compile(r"Exiting as integer gap of\s+([-+0-9.eE]+)")
_CBC_POSSIBLE = re.compile(r"best possible\s+([-+0-9.eE]+)")
_CBC_RESULT = re.compile(r"^Result - (.*)$", re.M)
_CBC_OBJ = re.compile(r"^Objective value:\s+([-+0-9.eE]+)", re.M)
_CBC_LOWER = re.compile(r"^Lower bound:\s+([-+0-9.eE]+)", re.M)


def _cbc_bound(log: str, objective: float, gap_abs: float) -> tuple[str, float]:
    """Read CBC's result word and best bound from its log (PuLP exposes neither)."""
    m = _CBC_RESULT.search(log)
    result = m.group(1) if m else ""
    obj_m = _CBC_OBJ.search(log)
    obj = float(obj_m.group(1)) if obj_m else objective
    if result.startswith("Optimal solution found"):
        g = _CBC_GAP.findall(log)
        if g:
            return "optimal", obj - float(g[-1])
        if "tolerance" in result:
            return "optimal", obj - gap_abs
        return "optimal", obj
    if result.startswith("Infeasible") or "infeasible" in result.lower():
        return "infeasible", math.nan
    bounds = _CBC_POSSIBLE.findall(log)
    if bounds:
        return "stopped", float(bounds[-1])
    low = _CBC_LOWER.search(log)
    return "stopped", float(low.group(1)) if low else -math.inf


def _cbc_path() -> str:
    from pulp.apis.coin_api import pulp_cbc_path

    return pulp_cbc_path


_BANNER_LOCK = threading.Lock()


def new_highs():
    """A ``highspy.Highs`` with its output off, made without its banner on stdout.

    HiGHS prints "Running HiGHS …" from its C++ constructor, before any option can be set, so
    every CLI run that chose HiGHS printed it into its output (and into piped CSV). The
    process's stdout is pointed at /dev/null for the construction only.
    """
    import sys

    import highspy

    with _BANNER_LOCK:
        try:
            sys.stdout.flush()
            fd = sys.stdout.fileno()
        except (AttributeError, OSError, ValueError):   # no real stdout (a captured stream)
            fd = 1
        saved = os.dup(fd)
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, fd)
                h = highspy.Highs()
            finally:
                os.dup2(saved, fd)
                os.close(devnull)
        finally:
            os.close(saved)
    h.setOptionValue("output_flag", False)
    return h


def _write_mps(model: Model, path: str) -> tuple[np.ndarray, np.ndarray]:
    """Write the model as MPS through HiGHS (columns c0.., rows r0..); return costs, integrality."""
    lp, obj, integer = _highs_lp(model)
    h = new_highs()
    h.passModel(lp)
    h.writeModel(path)
    return obj, integer


_CBC_NAME = re.compile(r"^([cr])(\d+)$")


def _read_cbc_solution(path: str, n: int, m: int = 0):
    """Read CBC's ``-solu`` file.

    Returns (first word of its status line, values or None, column duals, row duals).
    Lines are ``index name value dual`` with HiGHS's MPS names ``c<k>`` and
    ``r<k>``; rows are listed only with ``-printingOptions all`` (then duals are read).
    """
    if not os.path.exists(path):
        return "", None, None, None
    with open(path, encoding="utf-8", errors="replace") as fh:
        head = fh.readline()
        rows = fh.read().splitlines()
    said = head.split(" - ")[0].strip()
    if "no integer solution" in head or said.startswith(("Infeasible", "Integer infeasible",
                                                          "Unbounded")):
        return said, None, None, None
    values, dj, pi = np.zeros(n), np.zeros(n), np.zeros(m)
    for line in rows:
        parts = line.replace("**", " ").split()
        if len(parts) < 3 or not parts[0].isdigit():
            continue
        hit = _CBC_NAME.match(parts[1])
        k = int(hit.group(2)) if hit else int(parts[0])
        dual = float(parts[3]) if len(parts) > 3 else 0.0
        if hit and hit.group(1) == "r":
            if k < m:
                pi[k] = dual
        else:
            values[k] = float(parts[2])
            dj[k] = dual
    return said, values, dj, pi


def _solve_cbc(model, start, deadline, gap_rel, gap_abs, threads, msg) -> SolveResult:
    """CBC (PuLP's bundled binary) on an MPS file HiGHS writes; killed at the deadline.

    CBC counts elapsed time (``-timeMode elapsed``) but checks it only between nodes; the
    process is stopped one second after the deadline at the latest, so the call is bounded.
    """
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="childplan_cbc_") as tmp:
        mps, sol = os.path.join(tmp, "model.mps"), os.path.join(tmp, "model.sol")
        obj, integer = _write_mps(model, mps)
        mip = bool(integer.any())
        left = deadline - time.perf_counter()
        args = [_cbc_path(), mps, "-timeMode", "elapsed", "-sec", str(max(1, math.floor(left))),
                "-ratio", repr(float(gap_rel)), "-allow", repr(float(gap_abs))]
        if threads:
            args += ["-threads", str(int(threads))]
        if start is not None and mip:
            mst = os.path.join(tmp, "start.txt")
            with open(mst, "w", encoding="ascii") as fh:
                fh.write("Feasible - objective value 0\n")
                fh.writelines(f"{k} c{k} {float(v)!r} 0\n" for k, v in enumerate(start))
            args += ["-mips", mst]
        if not mip:  # rows too, so the duals of an LP can be read
            args += ["-printingOptions", "all"]
        args += ["-solve" if mip else "-primalSimplex", "-solu", sol]
        try:
            run = subprocess.run(args, capture_output=True, text=True, cwd=tmp,
                                 timeout=max(1.0, left + 1.0))
            log = run.stdout
        except subprocess.TimeoutExpired as exc:
            log = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) \
                else (exc.stdout or "")
            return SolveResult("cbc", "no_solution", math.nan, -math.inf, math.nan,
                               time.perf_counter() - t0, solver_said="killed at the deadline",
                               time_limit=True)
        said, values, dj, pi = _read_cbc_solution(sol, model.n_cols, model.n_rows)
    if msg:
        print(log)
    seconds = time.perf_counter() - t0
    if said.startswith(("Infeasible", "Integer infeasible")):
        return SolveResult("cbc", "infeasible", math.nan, math.nan, math.nan, seconds,
                           solver_said=said)
    objective = float(values @ obj) if values is not None else math.nan
    word, bound = _cbc_bound(log, objective, gap_abs)
    if not mip and values is not None and said.startswith("Optimal"):
        bound = objective
    stopped = said.startswith("Stopped") or word == "stopped"
    if values is None:
        return SolveResult("cbc", "no_solution", math.nan, bound, math.nan, seconds,
                           solver_said=said, time_limit=stopped)
    return _result("cbc", values, obj, bound, seconds, gap_rel=gap_rel, gap_abs=gap_abs,
                   said=said, stopped=stopped, duals=None if mip else pi,
                   col_duals=None if mip else dj)


# --- HiGHS (highspy, in process)


def _highs_lp(model: Model):
    """The model as a ``highspy.HighsLp`` (arrays passed whole); also its costs and integrality."""
    import highspy

    obj, lb, ub, integer, rlb, rub, a = model.arrays()
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = model.n_cols
    lp.num_row_ = model.n_rows
    lp.col_cost_ = obj
    lp.col_lower_ = np.where(np.isfinite(lb), lb, -inf)
    lp.col_upper_ = np.where(np.isfinite(ub), ub, inf)
    lp.row_lower_ = np.where(np.isfinite(rlb), rlb, -inf)
    lp.row_upper_ = np.where(np.isfinite(rub), rub, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    lp.a_matrix_.num_col_ = model.n_cols
    lp.a_matrix_.num_row_ = model.n_rows
    if integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else
                           highspy.HighsVarType.kContinuous for i in integer]
    return lp, obj, integer


_HIGHS_LOCK = threading.Lock()
_highs_threads: list[int] = []  # thread count of HiGHS's global pool, once set


def _solve_highs(model, start, deadline, gap_rel, gap_abs, threads, msg) -> SolveResult:
    import highspy

    t0 = time.perf_counter()
    lp, obj, integer = _highs_lp(model)
    mip = bool(integer.any())
    with _HIGHS_LOCK:
        want = int(threads or 0)
        if _highs_threads and _highs_threads[-1] != want:
            # HiGHS keeps one global thread pool: another size needs a reset first
            highspy.Highs.resetGlobalScheduler(True)
        _highs_threads[:] = [want]
        h = new_highs()
        h.setOptionValue("output_flag", bool(msg))
        if want:
            h.setOptionValue("threads", want)
        h.setOptionValue("mip_rel_gap", float(gap_rel))
        h.setOptionValue("mip_abs_gap", float(gap_abs))
        h.passModel(lp)
        h.setOptionValue("time_limit", max(0.5, deadline - time.perf_counter()))
        if start is not None and mip:
            h.setSolution(len(start), np.arange(len(start), dtype=np.int32),
                          np.asarray(start, dtype=float))
        if h.run() == highspy.HighsStatus.kError:
            why = h.modelStatusToString(h.getModelStatus())
            raise RuntimeError(f"HiGHS 求解出错 / HiGHS failed: {why}")
        st = h.getModelStatus()
        info = h.getInfo()
        sol = h.getSolution()
    ms = highspy.HighsModelStatus
    said = h.modelStatusToString(st)
    seconds = time.perf_counter() - t0
    if st in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
        return SolveResult("highs", "infeasible", math.nan, math.nan, math.nan, seconds,
                           solver_said=said)
    if info.primal_solution_status != 2:  # no feasible solution
        return SolveResult("highs", "no_solution", math.nan,
                           info.mip_dual_bound if mip else -math.inf, math.nan, seconds,
                           solver_said=said, time_limit=st == ms.kTimeLimit)
    values = np.asarray(sol.col_value, dtype=float)
    duals = col_duals = None
    if mip:
        bound = info.mip_dual_bound
    else:
        bound = float(values @ obj) if st == ms.kOptimal else -math.inf
        duals = np.asarray(sol.row_dual, dtype=float)
        col_duals = np.asarray(sol.col_dual, dtype=float)
    return _result("highs", values, obj, bound, seconds, gap_rel=gap_rel, gap_abs=gap_abs,
                   said=said, stopped=st == ms.kTimeLimit, duals=duals, col_duals=col_duals)
