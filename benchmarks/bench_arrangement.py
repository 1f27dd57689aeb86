"""geolasso's C-ReLU / C-GReLU solver against pyscnn and cvxpy + Clarabel on identical programs.

The program (docs/mathematics.md §2.2 and §2.4, geolasso scaling of §0.1 there), over one
sampled set of activation patterns ``D_1, …, D_P`` per problem:

* C-ReLU:  min (1/(2n))‖y − Σ_i D_i Z (v_i − u_i)‖² + α Σ_i (‖v_i‖₂ + ‖u_i‖₂)
  s.t. (2D_i − I) Z v_i ≥ 0 and (2D_i − I) Z u_i ≥ 0;
* C-GReLU: min (1/(2n))‖y − Σ_i D_i Z w_i‖² + α Σ_i ‖w_i‖₂ (no constraints);

with ``Z = [X, 1]`` and the bias *regularized* (the whole vector in the norm,
no intercept), so that all three libraries solve the same problem:

* geolasso: ``sample_patterns(X, N_GATES, bias="regularized")`` gives the
  patterns and one gate per pattern; ``solve_crelu(X, y, α, patterns,
  gated=...)`` at its default ``tol`` (relative duality gap 1e-8).
* pyscnn (``pyscnn`` on PyPI, ``import scnn``): ``ConvexReLU`` + ``AL`` and
  ``ConvexGatedReLU`` + ``RFISTA`` at their default tolerances, through
  ``optimize_model(..., regularizer=NeuronGL1(α), return_convex=True,
  unitize_data=False, dtype="float64")``. It gets ``Z`` (ones column appended
  here, ``bias=False`` in the model) and ``G = patterns.gates.T`` (shape
  ``(d + 1, P)``), so it computes exactly geolasso's patterns ``1[Z G > 0]``
  (checked per problem; geolasso already dropped duplicate and all-zero
  patterns, which pyscnn would drop too). Its objective is
  ``‖y − ŷ‖² / (2 n c) + λ Σ_groups ‖·‖₂`` (``ConvexMLP._objective`` divides the
  sum of squares by ``2 · len(y)``; ``NeuronGL1`` is ``λ Σ ‖v_i‖₂ (+ ‖u_i‖₂)``;
  its own cvxpy program divides by ``2 n c``), so with one output ``λ = α``.
  ``unitize_data``
  must be off: pyscnn's default rescales the columns of ``Z`` to unit norm
  before computing the patterns and penalises the weights of the rescaled
  data, a different program with different patterns.
* cvxpy + Clarabel (``tol_gap_abs = tol_gap_rel = tol_feas = 1e-10``, docs/mathematics.md §9),
  the interior-point reference, skipped when the constraint matrix exceeds
  CVXPY_MAX_NNZ non-zeros or Clarabel hits its time limit.

Every solution is scored by ONE objective function written here (the formula
above; C-ReLU solutions also get their largest cone-constraint violation
``max(0, −(2D_i − I) Z v_i)``). The reference ``P*`` of a row is the best
objective among the *feasible* solutions (violation ≤ FEAS_TOL) of that model;
an infeasible solution may score below the optimum and is marked. The note
of every row gives the solver's own value of the objective at its solution
(for pyscnn: its ``model_loss`` metric, recorded at the end of the warm-up fit
only) beside ours, a check of the scaling.

Problems: the 2-D spiral (docs/mathematics.md §8.2, n = 160) and three data sets bundled
with scikit-learn (features standardised, classification targets ±1,
regression targets standardised, seeded subsamples of at most MAX_SAMPLES
rows); one seeded set of N_GATES Gaussian gates per problem; α = α_max · 1e-1,
1e-2, 1e-3, where ``α_max = max_i ‖Zᵀ D_i y‖₂ / n`` is the smallest α at which
zero solves the gated program (and hence the ReLU program) over the patterns.

Timing (ANCHORS.md §2): BLAS, numba and torch pinned to one thread; every
library does a throwaway fit on a tiny problem first (its first-call time is
reported apart, with geolasso's fresh-process compile time, cold and warm
numba cache), then for each problem one untimed warm-up fit and the median
(and minimum) of REPEATS fits. A solver whose warm-up fit takes over SLOW
seconds is timed by that single fit (said in the output). A geolasso fit still
running after BUDGET seconds is stopped through its ``callback`` and reported
as "no solution" with its last objective and gap (pyscnn stops at its own
iteration limits, Clarabel at CVXPY_TIME_LIMIT). cvxpy's time is the
whole build + solve; Clarabel's own solve time is shown beside it. pyscnn's
timed fits collect no metrics (its default ``Metrics()`` would evaluate the
objective and gradient every 25 iterations). Ratios (pyscnn time / geolasso
time, same run) are printed last.

Run: ``python benchmarks/bench_arrangement.py`` (``--quick`` for a smoke run:
one small problem, one α, one timed fit; ``--repeats N``; ``--gates``,
``--max-samples`` and ``--problems`` change the design; ``--out DIR`` writes
the results elsewhere). Writes ``arrangement.md`` (tables) and
``arrangement.out`` (the raw output) under ``benchmarks/results/``. The
defaults (200 gates, at most 150 samples) are sized for the ~20-minute budget
of ANCHORS.md; most of the time goes to the slowest solver of each row.
"""

from __future__ import annotations

import _harness  # first, before numpy: pins BLAS to one thread

# isort: split
import argparse
import logging
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
REPEATS = 5
SLOW = 30.0  # seconds: a warm-up fit slower than this is the only timed fit
BUDGET = 120.0  # seconds: a geolasso fit still running after this is stopped (its callback)
N_GATES = 200
MAX_SAMPLES = 150
FRACTIONS = (1e-1, 1e-2, 1e-3)  # α / α_max
FEAS_TOL = 1e-6  # largest cone violation of a solution counted as feasible
SAME_RTOL = 1e-6  # "no worse than": objective <= other · (1 + SAME_RTOL)
CVXPY_MAX_NNZ = 4_000_000  # constraint-matrix non-zeros above which cvxpy is skipped
CVXPY_TIME_LIMIT = 300.0  # seconds, Clarabel's own limit
CLARABEL = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}


class _Tee:
    """Write to the terminal and to the raw-output file."""

    def __init__(self, stream, path):
        self.stream, self.file = stream, open(path, "w")  # noqa: SIM115 (lives to exit)

    def write(self, text):
        self.stream.write(text)
        self.file.write(text)
        self.file.flush()

    def flush(self):
        self.stream.flush()
        self.file.flush()


# ------------------------------------------------------------------ problems
class Problem:
    """Data, the design ``Z = [X, 1]`` and one sampled pattern set."""

    def __init__(self, name, X, y, note, n_gates, seed=0):
        from geolasso.arrangements import sample_patterns

        self.name, self.note = name, note
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.y = np.ascontiguousarray(y, dtype=np.float64)
        self.n, self.d = self.X.shape
        self.Z = np.column_stack([self.X, np.ones(self.n)])
        self.patterns = sample_patterns(
            self.X, n_gates, bias="regularized", method="gaussian", random_state=seed
        )
        self.masks = self.patterns.patterns.astype(np.float64)  # (P, n)
        self.P, self.r = self.patterns.gates.shape
        self.n_gates = n_gates
        # smallest α at which w = 0 solves the gated program (and the ReLU one)
        self.alpha_max = float(np.linalg.norm(self.Z.T @ (self.masks * self.y).T, axis=0).max())
        self.alpha_max /= self.n

    def check_pyscnn_patterns(self):
        """pyscnn's patterns from our gates: the same set, no duplicate or zero dropped."""
        from scnn.activations import compute_activation_patterns

        D, G = compute_activation_patterns(self.Z, self.patterns.gates.T.copy())
        ours = {row.tobytes() for row in self.patterns.patterns}
        theirs = {col.tobytes() for col in (D.T > 0)}
        own = (self.Z @ G > 0).T
        return D.shape[1], ours == theirs, bool(np.array_equal(own, D.T > 0))


def datasets(quick, max_samples=MAX_SAMPLES, n_gates=N_GATES, names=None):
    """Problems of the benchmark (one small one with ``quick``; ``names`` selects some)."""
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
    from sklearn.preprocessing import StandardScaler

    from geolasso.datasets import spiral

    if quick:
        X, y = spiral(60)
        return [Problem("spiral-60", X, y, "n = 60, d = 2, labels ±1", 100)]

    def subsample(X, y):
        if len(y) <= max_samples:
            return X, y
        keep = np.sort(np.random.default_rng(0).choice(len(y), max_samples, replace=False))
        return X[keep], y[keep]

    def standard(X):
        return StandardScaler().fit_transform(X)

    def make_spiral():
        X, y = spiral()  # n = 160 as in docs/mathematics.md §8.2, not subsampled
        return Problem("spiral", X, y, "n = 160, d = 2, labels ±1 (raw coordinates)", n_gates)

    def make_iris():
        iris = load_iris()
        keep = iris.target > 0  # versicolor vs virginica: the two classes that overlap
        X, y = iris.data[keep], np.where(iris.target[keep] == 2, 1.0, -1.0)
        note = "versicolor vs virginica, n = 100, d = 4, labels ±1"
        return Problem("iris", standard(X), y, note, n_gates)

    def make_diabetes():
        diab = load_diabetes()
        X, y = subsample(diab.data, diab.target)
        y = (y - y.mean()) / y.std()
        note = f"regression, n = {len(y)} of 442, d = 10, y standardised"
        return Problem("diabetes", standard(X), y, note, n_gates)

    def make_cancer():
        cancer = load_breast_cancer()
        X, y = subsample(cancer.data, np.where(cancer.target == 1, 1.0, -1.0))
        note = f"n = {len(y)} of 569, d = 30, labels ±1"
        return Problem("breast_cancer", standard(X), y, note, n_gates)

    makers = {
        "spiral": make_spiral,
        "iris": make_iris,
        "diabetes": make_diabetes,
        "breast_cancer": make_cancer,
    }
    unknown = set(names or ()) - set(makers)
    if unknown:
        raise SystemExit(f"unknown problem(s) {sorted(unknown)}; choose from {list(makers)}")
    return [make() for name, make in makers.items() if names is None or name in names]


# ---------------------------------------------------- the common objective
def _norms(W):
    return np.sqrt(np.einsum("ij,ij->i", W, W))


def objective(prob, alpha, masks, V, U=None):
    """(1/(2n))‖y − Σ_i D_i Z (v_i − u_i)‖² + α Σ_i (‖v_i‖₂ + ‖u_i‖₂) (``U=None``: gated)."""
    W = V if U is None else V - U
    pred = np.einsum("pn,pn->n", masks, W @ prob.Z.T)
    res = prob.y - pred
    pen = _norms(V).sum() + (0.0 if U is None else _norms(U).sum())
    return float(res @ res) / (2 * prob.n) + alpha * float(pen)


def violation(prob, masks, V, U):
    """Largest violation of the cone constraints (2D_i − I) Z v_i ≥ 0, (2D_i − I) Z u_i ≥ 0."""
    S = 2.0 * masks - 1.0
    worst = min(float((S * (V @ prob.Z.T)).min()), float((S * (U @ prob.Z.T)).min()))
    return max(0.0, -worst)


# ---------------------------------------------------------------- solvers
class _OutOfTime(Exception):
    pass


def fit_geolasso(prob, alpha, gated, budget=None):
    from geolasso.crelu import solve_crelu

    budget = BUDGET if budget is None else budget
    start, last = time.perf_counter(), {}

    def stop(rounds, obj, gap, size):
        last.update(rounds=rounds, obj=obj, gap=gap)
        if time.perf_counter() - start > budget:
            raise _OutOfTime

    try:
        res = solve_crelu(prob.X, prob.y, alpha, prob.patterns, gated=gated, callback=stop)
    except _OutOfTime:
        note = (
            f"stopped after the {budget:g} s budget: round {last['rounds']}, its objective "
            f"{last['obj']:.10g}, relative gap {last['gap'] / last['obj']:.1e}"
        )
        return None, None, None, note, ""
    V = np.zeros((prob.P, prob.r))
    U = np.zeros((prob.P, prob.r))
    for row, p, s in zip(res.coef, res.pattern, res.sign, strict=True):
        (V if s > 0 else U)[p] += row
    U = None if gated else U
    note = f"own gap {res.relative_gap:.1e}, {len(res.pattern)} groups, {res.n_rounds} rounds"
    return prob.masks, V, U, note, _check(prob, alpha, prob.masks, V, U, res.objective)


def _check(prob, alpha, masks, V, U, own):
    """The solver's own objective value beside ours at its solution."""
    mine = objective(prob, alpha, masks, V, U)
    return f"its own objective {own:.10g}, rel. diff to ours {abs(own - mine) / mine:.0e}"


class _ScnnWarnings(logging.Handler):
    """Collects pyscnn's log warnings (e.g. "Max iterations reached ...")."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


_SCNN_LOG = _ScnnWarnings()


def fit_pyscnn(prob, alpha, gated, warm=False):
    from scnn.metrics import Metrics
    from scnn.models import ConvexGatedReLU, ConvexReLU
    from scnn.optimize import optimize_model
    from scnn.regularizers import NeuronGL1
    from scnn.solvers import AL, RFISTA

    # timed fits collect nothing (its default Metrics() evaluates the objective and the
    # gradient every 25 iterations); the warm-up records its own value of the convex
    # objective ("model_loss", without the augmented-Lagrangian terms) at the end only
    metrics = Metrics(
        metric_freq=10**9, objective=False, grad_norm=False, time=False, model_loss=warm
    )
    G = prob.patterns.gates.T.copy()  # (d + 1, P): pyscnn's layout, one column per gate
    model = ConvexGatedReLU(G) if gated else ConvexReLU(G)
    solver = RFISTA(model) if gated else AL(model)
    logger = logging.getLogger("scnn")
    if _SCNN_LOG not in logger.handlers:
        logger.addHandler(_SCNN_LOG)
    _SCNN_LOG.messages.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, metrics = optimize_model(
            model,
            solver,
            metrics,
            prob.Z,
            prob.y,
            regularizer=NeuronGL1(alpha),
            return_convex=True,
            unitize_data=False,
            dtype="float64",
        )
    masks = (prob.Z @ model.G > 0).T.astype(np.float64)  # its (reordered) patterns
    V = np.asarray(model.parameters[0][0], dtype=np.float64)
    U = None if gated else np.asarray(model.parameters[1][0], dtype=np.float64)
    note = "; ".join(sorted({m.split(".")[0] for m in _SCNN_LOG.messages}))
    check = ""
    if warm:
        check = _check(prob, alpha, masks, V, U, float(np.asarray(metrics.model_loss)[-1]))
    return masks, V, U, note, check


def cvxpy_size(prob, gated):
    """Non-zeros of the constraint matrix (cones and the loss's affine map)."""
    loss = prob.n * prob.P * prob.r * (1 if gated else 2)
    return loss + (0 if gated else 2 * prob.n * prob.P * prob.r)


def fit_cvxpy(prob, alpha, gated):
    import cvxpy as cp

    M = prob.masks
    V = cp.Variable((prob.P, prob.r))
    if gated:
        W, pen, cons = V, cp.sum(cp.norm(V, 2, axis=1)), []
    else:
        U = cp.Variable((prob.P, prob.r))
        S = (2.0 * M - 1.0).T
        W = V - U
        pen = cp.sum(cp.norm(V, 2, axis=1)) + cp.sum(cp.norm(U, 2, axis=1))
        cons = [cp.multiply(S, prob.Z @ V.T) >= 0, cp.multiply(S, prob.Z @ U.T) >= 0]
    pred = cp.sum(cp.multiply(M.T, prob.Z @ W.T), axis=1)
    problem = cp.Problem(
        cp.Minimize(cp.sum_squares(prob.y - pred) / (2 * prob.n) + alpha * pen), cons
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            problem.solve(solver="CLARABEL", time_limit=CVXPY_TIME_LIMIT, **CLARABEL)
        except cp.error.SolverError as exc:
            return None, None, None, f"solver error: {exc}", ""
    if problem.status not in ("optimal", "optimal_inaccurate") or V.value is None:
        return None, None, None, f"status {problem.status}", ""
    note = f"{problem.status}, Clarabel {problem.solver_stats.solve_time:.3f} s"
    U = None if gated else U.value
    return M, V.value, U, note, _check(prob, alpha, M, V.value, U, problem.value)


SOLVERS = {  # model -> [(label, fit(prob, alpha, warm))]
    "C-ReLU": [
        ("geolasso", lambda p, a, w: fit_geolasso(p, a, False)),
        ("pyscnn AL", lambda p, a, w: fit_pyscnn(p, a, False, w)),
        ("cvxpy+Clarabel", lambda p, a, w: fit_cvxpy(p, a, False)),
    ],
    "C-GReLU": [
        ("geolasso", lambda p, a, w: fit_geolasso(p, a, True)),
        ("pyscnn RFISTA", lambda p, a, w: fit_pyscnn(p, a, True, w)),
        ("cvxpy+Clarabel", lambda p, a, w: fit_cvxpy(p, a, True)),
    ],
}


def time_fit(fit, prob, alpha, repeats):
    """Warm-up fit, then ``repeats`` timed fits (none if the warm-up took over SLOW s).

    Returns (masks, V, U, note), the list of times and whether the warm-up was used; the
    note joins the warm-up's check of the solver's own objective and the last fit's note.
    """
    start = time.perf_counter()
    warm = fit(prob, alpha, True)
    first = time.perf_counter() - start
    if warm[1] is None or first > SLOW:
        note = "; ".join(n for n in (warm[4], warm[3]) if n)
        return (*warm[:3], note), [first], first > SLOW
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fit(prob, alpha, False)
        times.append(time.perf_counter() - start)
    note = "; ".join(n for n in (warm[4], out[3]) if n)
    return (*out[:3], note), times, False


# -------------------------------------------------------------- reporting
def first_calls():
    """Seconds of each library's first fit in this process (a tiny problem)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12, 2))
    tiny = Problem("tiny", X, np.sign(X[:, 0] * X[:, 1]), "", 10)
    out = {}
    for model, solvers in SOLVERS.items():
        for label, fit in solvers:
            start = time.perf_counter()
            fit(tiny, tiny.alpha_max / 10, False)
            out[f"{label} ({model})"] = time.perf_counter() - start
    return out


def fresh_process_times():
    """geolasso: import and first solve in fresh processes (cold / warm numba cache)."""
    code = (
        "import time; t0 = time.perf_counter(); import numpy as np;"
        "from geolasso.arrangements import sample_patterns;"
        "from geolasso.crelu import solve_crelu; t1 = time.perf_counter();"
        "rng = np.random.default_rng(0); X = rng.normal(size=(20, 2));"
        "y = np.sign(X[:, 0] * X[:, 1]); t2 = time.perf_counter();"
        "pats = sample_patterns(X, 30, bias='regularized', random_state=0);"
        "solve_crelu(X, y, 0.01, pats); t3 = time.perf_counter();"
        "solve_crelu(X, y, 0.01, pats, gated=True); t4 = time.perf_counter();"
        "print(t1 - t0, t3 - t2, t4 - t3)"
    )
    return _harness.fresh_process_floats(code)


def versions():
    import clarabel
    import cvxpy
    import numba
    import scipy
    import sklearn
    import torch

    import geolasso

    try:
        from importlib.metadata import version

        scnn_version = version("pyscnn")
    except Exception:  # pragma: no cover - metadata missing
        scnn_version = "?"
    return (
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"numba {numba.__version__}, scikit-learn {sklearn.__version__}, pyscnn {scnn_version}, "
        f"torch {torch.__version__}, cvxpy {cvxpy.__version__}, clarabel {clarabel.__version__}, "
        f"geolasso {geolasso.__version__}, {platform.machine()}, {os.cpu_count()} cores"
    )


def bench_problem(prob, alpha, frac, repeats, rows, ratios):
    """Run every solver on one (problem, α); one row per solver into ``rows``.

    A row is a dict: ``status`` ("ok", "no solution", "failed", "skipped"),
    and for "ok" the objective, cone violation, times and note.
    """
    label = f"{prob.name}, α = α_max·{frac:g} = {alpha:.4g}"
    print(f"\n== {label} ==")
    results = {}
    for model, solvers in SOLVERS.items():
        gated = model == "C-GReLU"
        found = {}
        for name, fit in solvers:
            row = {"problem": prob.name, "frac": frac, "alpha": alpha, "model": model}
            row.update(solver=name, gated=gated)
            if name.startswith("cvxpy") and cvxpy_size(prob, gated) > CVXPY_MAX_NNZ:
                nnz = cvxpy_size(prob, gated)
                note = f"{nnz:,} constraint-matrix non-zeros > {CVXPY_MAX_NNZ:,}"
                row.update(status="skipped", times=[], note=note)
            else:
                try:
                    (masks, V, U, note), times, slow = time_fit(fit, prob, alpha, repeats)
                except Exception as exc:  # report and go on: a benchmark must finish
                    row.update(status="failed", times=[], note=f"{type(exc).__name__}: {exc}")
                else:
                    row.update(times=times, slow=slow, note=note)
                    if V is None:
                        row.update(status="no solution")
                    else:
                        row.update(status="ok", objective=objective(prob, alpha, masks, V, U))
                        row.update(viol=0.0 if gated else violation(prob, masks, V, U))
            found[name] = row
        feasible = [
            r["objective"] for r in found.values() if r["status"] == "ok" and r["viol"] <= FEAS_TOL
        ]
        best = min(feasible) if feasible else float("nan")
        for name, r in found.items():
            if r["status"] != "ok":
                took = f" after {r['times'][0]:.1f} s" if r["times"] else ""
                print(f"   {model:8s} {name:15s} {r['status'].upper()}{took}: {r['note']}")
                rows.append(r)
                continue
            r["gap"] = (r["objective"] - best) / best
            r["median"], r["min"] = statistics.median(r["times"]), min(r["times"])
            r["runs"] = f"{len(r['times'])}" + (
                f" (warm-up > {SLOW:g} s: single fit)" if r["slow"] else ""
            )
            feas = ""
            if not gated:
                feas = f"  viol {r['viol']:.1e}" + (" INFEAS" if r["viol"] > FEAS_TOL else "")
            print(
                f"   {model:8s} {name:15s} objective {r['objective']:.12g}  gap to best "
                f"{r['gap']:+.1e}{feas}  median {r['median']:8.3f} s  min {r['min']:8.3f} s  "
                f"runs {r['runs']}" + (f"  [{r['note']}]" if r["note"] else "")
            )
            rows.append(r)
        results[model] = found
    ratios.append((f"{prob.name} α_max·{frac:g}", results))


def ratio_cells(results, model, peer):
    """(time ratio peer / geolasso, is geolasso's objective no worse) as table cells."""
    geo, other = results[model].get("geolasso"), results[model].get(peer)
    if geo is None or other is None or other["status"] != "ok":
        return "n/a", "n/a"
    t_other = statistics.median(other["times"])
    if geo["status"] == "no solution":  # stopped at the budget
        return f"< {t_other / geo['times'][0]:.2g}x (geolasso stopped)", "NO (no solution)"
    if geo["status"] != "ok":
        return "n/a", "n/a"
    ratio = f"{t_other / statistics.median(geo['times']):.3g}x"
    g, o = geo["objective"], other["objective"]
    verdict = "yes" if g <= o * (1 + SAME_RTOL) else f"NO ({(g - o) / o:+.1e})"
    if other["viol"] > FEAS_TOL:
        verdict += f" (peer infeasible, viol {other['viol']:.0e})"
    return ratio, verdict


def main():
    global BUDGET
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: one small problem")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timed fits per solver")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    parser.add_argument("--gates", type=int, default=N_GATES, help="Gaussian gates per problem")
    parser.add_argument(
        "--max-samples", type=int, default=MAX_SAMPLES, help="subsample larger data sets"
    )
    parser.add_argument(
        "--problems", nargs="+", help="run only these (spiral iris diabetes breast_cancer)"
    )
    parser.add_argument(
        "--budget", type=float, default=BUDGET, help="seconds before a geolasso fit is stopped"
    )
    parser.add_argument(
        "--fractions", nargs="+", type=float, help="only these α / α_max (default 0.1 0.01 0.001)"
    )
    args = parser.parse_args()
    BUDGET = args.budget
    fractions = tuple(args.fractions) if args.fractions else FRACTIONS
    if args.quick:
        args.repeats, fractions = 1, (FRACTIONS[0],)
    args.out.mkdir(parents=True, exist_ok=True)
    sys.stdout = _Tee(sys.stdout, args.out / "arrangement.out")

    import torch

    torch.set_num_threads(1)
    header = versions()
    print(header)
    print(
        f"BLAS/numba/torch threads: 1; {args.repeats} timed fits after a warm-up (one if the "
        f"warm-up takes > {SLOW:g} s); patterns: {args.gates if not args.quick else 100} "
        f"Gaussian gates (seed 0), bias regularized, Z = [X, 1]; data sets subsampled to at most "
        f"{args.max_samples} rows (seed 0); geolasso fits stopped after {BUDGET:g} s"
    )
    fresh = fresh_process_times()
    calls = first_calls()
    problems = datasets(args.quick, args.max_samples, args.gates, args.problems)
    rows, ratios = [], []
    for prob in problems:
        kept, same, own = prob.check_pyscnn_patterns()
        print(
            f"\n{prob.name}: {prob.note}; {prob.n_gates} gates -> {prob.P} distinct non-zero "
            f"patterns ({prob.patterns.n_zero} zero dropped); pyscnn keeps {kept} patterns from "
            f"the same gates, identical set: {same}, 1[Z G > 0] of its kept gates matches: {own}; "
            f"α_max = {prob.alpha_max:.4g}"
        )
        if not (same and kept == prob.P):
            print("   WARNING: pyscnn would solve over a different pattern set")
        for frac in fractions:
            bench_problem(prob, prob.alpha_max * frac, frac, args.repeats, rows, ratios)

    print("\n== geolasso in fresh processes: import, first C-ReLU solve, first C-GReLU solve ==")
    for label, (imp, relu, gated) in fresh.items():
        print(
            f"   {label} numba cache: import {imp:.2f} s, first C-ReLU solve {relu:.2f} s, "
            f"first C-GReLU solve {gated:.2f} s (tiny problem: compile or cache load)"
        )
    print("\n== first fit in this process (tiny problem, n = 12; includes any compilation) ==")
    for label, seconds in calls.items():
        print(f"   {label:32s} {seconds:.2f} s")

    table = [
        "| problem | α (α/α_max) | model | solver | objective | gap to best feasible | "
        "max cone violation | median s | min s | runs | notes |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        head = f"| {r['problem']} | {r['alpha']:.4g} ({r['frac']:g}) | {r['model']} | {r['solver']}"
        if r["status"] != "ok":
            took = f"{r['times'][0]:.1f}" if r["times"] else ""
            table.append(f"{head} | {r['status']} | | | {took} | | | {r['note']} |")
            continue
        viol = "–" if r["gated"] else format(r["viol"], ".1e")
        table.append(
            f"{head} | {r['objective']:.10g} | {r['gap']:+.1e} | {viol} | {r['median']:.3f} | "
            f"{r['min']:.3f} | {r['runs']} | {r['note']} |"
        )
    ratio_table = [
        "| problem | ReLU: pyscnn AL / geolasso | geolasso ≤ pyscnn (ReLU) | "
        "gated: pyscnn RFISTA / geolasso | geolasso ≤ pyscnn (gated) | "
        "ReLU: cvxpy / geolasso | gated: cvxpy / geolasso |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, results in ratios:
        r_relu, ok_relu = ratio_cells(results, "C-ReLU", "pyscnn AL")
        r_gated, ok_gated = ratio_cells(results, "C-GReLU", "pyscnn RFISTA")
        c_relu = ratio_cells(results, "C-ReLU", "cvxpy+Clarabel")[0]
        c_gated = ratio_cells(results, "C-GReLU", "cvxpy+Clarabel")[0]
        ratio_table.append(
            f"| {label} | {r_relu} | {ok_relu} | {r_gated} | {ok_gated} | {c_relu} | {c_gated} |"
        )
    print("\n" + "\n".join(table))
    print(
        "\n== ratios: peer time / geolasso time (same run, medians; > 1 means geolasso faster); "
        f"'geolasso ≤ pyscnn': objective no worse within {SAME_RTOL:g} relative =="
    )
    print("\n".join(ratio_table))
    (args.out / "arrangement.md").write_text(
        "# C-ReLU / C-GReLU over sampled patterns: geolasso vs pyscnn vs cvxpy + Clarabel\n\n"
        f"{header}.\n\n"
        f"{args.repeats} timed fits after a warm-up (medians; one fit when the warm-up takes > "
        f"{SLOW:g} s); one thread everywhere; identical programs (bias regularized, "
        "Z = [X, 1], the same sampled patterns); every solution scored by one objective "
        "function; 'gap to best feasible' is relative to the best objective among solutions "
        f"with cone violation ≤ {FEAS_TOL:g}. See the docstring of "
        "`benchmarks/bench_arrangement.py` for the protocol.\n\n"
        + "\n".join(table)
        + "\n\n## Ratios (peer time / geolasso time; > 1 means geolasso faster)\n\n"
        + "\n".join(ratio_table)
        + "\n"
    )


if __name__ == "__main__":
    main()
