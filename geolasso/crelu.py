"""The convex program of a two-layer ReLU network over activation patterns (C-ReLU, C-GReLU).

Overview
--------
For activation patterns ``D_1, …, D_P`` of the data (:mod:`geolasso.arrangements`)
the weight-decay training problem of a two-layer ReLU network is the group
Lasso with cone constraints of docs/mathematics.md §2.2, in geolasso's scaling
(docs/mathematics.md §0.1):

.. math::

    \\min_{c, v_i, u_i} \\frac{1}{2n} \\Bigl\\lVert y - c\\,1 - \\sum_i D_i Z (v_i - u_i)
    \\Bigr\\rVert^2 + \\alpha \\sum_i \\bigl(\\lVert v_i^{(w)} \\rVert + \\lVert u_i^{(w)}
    \\rVert\\bigr) \\quad \\text{s.t. } (2 D_i - I) Z v_i \\ge 0,\\ (2 D_i - I) Z u_i \\ge 0,

with ``Z = [X, 1]`` (free bias and intercept, only the weights ``v^{(w)}`` in
the norm), ``Z = [X, 1]`` with the whole vector in the norm and no intercept
(``bias="regularized"``) or ``Z = X`` (``bias=False``). The norm is ℓ2
(standard weight decay) or ℓ1 (ℓ1 first-layer norm). Over **all** patterns its
optimum equals the network optimum (docs/mathematics.md §2.2, [PE20]); over sampled patterns
it is an upper bound. The gated-ReLU relaxation (docs/mathematics.md §2.4) drops the cone
constraints and merges ``v_i - u_i``.

**Solver** (:func:`solve_crelu`). An optimum uses at most ``n + 1`` of the
``2P`` variables, so the solver works on a small *working set* of
(pattern, sign) groups and grows it by *pricing*:

1. the dual constraint of docs/mathematics.md §2.3 is evaluated for every pattern at the
   current residual ``λ``: ``max ±λᵀ D_i Z u`` over the pattern's cone and the
   unit ball of the norm, one small non-negative least-squares problem per
   pattern (``geolasso._crelu_kernels``; an LP per flagged pattern for
   the ℓ1 norm), which returns an *upper bound* on each value (exact at the
   NNLS optimum);
2. the groups that violate it (value above ``n α``) enter the working set;
3. the restricted problem (a few hundred variables) is solved, warm-started
   from the previous round:

   * for the ℓ2 norm (and the gated model with either norm) by **proximal
     block coordinate descent**: for a cone ``K`` the proximal map of
     ``α‖·‖₂ + ι_K`` is the projection onto ``K`` (a small NNLS problem)
     followed by the ℓ2 shrinkage, so every block step is exact and the
     iterates stay feasible. With a free bias (the default of
     :class:`geolasso.ConvexReLU`) the bias is not in the norm and the
     proximal map is a weighted projection at the fixed point of a scalar
     equation, found by a safeguarded false-position search; the intercept
     is minimised out after every step. Each projection starts from the
     group's previous active constraints. Anderson extrapolation every ten
     passes (projected back onto the cones), and an **active-set Newton
     method** on the support and its cone faces (a step that reaches new
     face constraints stops each group at its own first one, and those join
     the faces; all of them at once when they stop the step at its start;
     one with a negative multiplier released, a group the
     step sends through zero removed, a zero group that violates its dual
     constraint let in; Levenberg–Marquardt damping, as the Hessian is
     singular when the faces have more variables than there are samples;
     large systems solved directly through two Woodbury identities, the
     ``n × n`` capacitance of the groups without an active face (every
     gated group) a Hadamard product ``Z Zᵀ ∘ (Mᵀ diag(1/a) M)``; not tried
     when a system would need more than 1 GiB (then coordinate descent goes
     on alone, which with cones can stall: the reported gap says so); in the
     last, accurate solves, steps whose decrease is below the rounding of the
     objective are judged by the gradient and the result by its duality gap)
     once the support has settled, or every 200 passes, give the fast final
     convergence;
   * with the ℓ1 norm on ReLU groups by a primal log-barrier method (Newton
     steps with an epigraph variable per group, the step kept inside every
     cone by a fraction-to-boundary rule);

   the restricted solve stops on its own duality gap: a tenth of the current
   gap while the working set grows (inexact rounds), ``tol / 10`` relative in
   the first round that adds no group, and a hundred times less in each
   further one (the barrier method: ``1e-3 · tol`` relative throughout);
   a starting point (``start``, e.g. :func:`start_from_network` of the
   wedge-ℓ2 fit, as :class:`geolasso.ConvexReLU` does when the patterns are
   enumerated) makes the first working set that network's neurons;
4. the loop stops when the **duality gap** is below ``tol`` relative to the
   objective (the lower bound is the dual value at the scaled residual
   ``t λ``, feasible because every pattern's value was bounded in step 1),
   or when the gap has not improved for eight rounds, or (below the designed
   range ``alpha >= 1e-6 · alpha_max``) after a bounded amount of work (see
   ``alpha`` in :func:`solve_crelu`); a
   :class:`~geolasso.exceptions.ConvergenceWarning` says so when the gap is
   then above ``max(tol, 1e-6)``. The gap is always a number: were a dual
   value not one, no scaling of ``λ`` would be known to be feasible and the
   lower bound would be the trivial ``0`` (gap = objective, with the warning).

The dense linear algebra runs on one BLAS thread (threadpoolctl): its
matrices are small, and threaded BLAS on them stalls on a busy machine.

**Limits (measured, see ``benchmarks/results/arrangement.md``).** On the
benchmark's sampled problems (bias regularized, 200 gates, up to 160 samples,
up to 30 features, three penalties each) it reaches the optimum over the
patterns faster than pyscnn reaches its less accurate (for C-ReLU,
infeasible) answers on all 12 problems for each model (at least 3.4x for
C-ReLU and 2.4x for C-GReLU). An interior-point solver (Clarabel through
cvxpy) is faster for C-ReLU at ``α_max/1000`` on two of the four data sets
(the 2-D spiral and diabetes) and for C-GReLU on the spiral at
``α_max/100`` and ``α_max/1000`` and on iris at ``α_max/1000``. The
enumerated 2-D spiral (n = 160, 24,289 patterns) with free biases at
``α = 7.8125e-4`` or ``7.81e-4``, started from the wedge-ℓ2 fit, is solved
and certified (relative gap about 2e-13) in about four seconds through
:class:`geolasso.ConvexReLU`, enumeration and start included. The first
solve in a fresh install compiles the kernels (about 15 s on the
benchmark machine, then cached). Sampled C-ReLU problems of teacher-network
labels on Gaussian samples (bias regularized, 100 sampled patterns, 10
features, 2-core machine, one thread, certified to ``tol = 1e-8``): 500
samples in about 13 s at ``α = 1e-4`` (``α_max / 6,900``) and 3 s at
``α_max / 1000``; 1,000 samples in about 13 s and 6 s.

**Pooled rows** (``pooling=(K, weight)``; :class:`geolasso.cnn.ConvexCNN`
with ``method="arrangement"``): the rows of ``X`` are the stacked patches of
a convolutional network, ``K`` per sample, a sample's feature is the
weighted sum of its rows' ReLU values, and the patterns (shared gates) are
over the rows (docs/mathematics.md §6). Pricing uses the residual spread over each
sample's rows, the block steps and the Newton finish use each group's pooled
block, and the cone constraints stay on the rows.

The solution is then made exactly feasible (each group projected onto its
cone, a change at the level of the augmented Lagrangian's constraint
violation) and mapped to a :class:`~geolasso.network.ReLUNetwork`
(docs/mathematics.md §2.2 recovery): ``(w, b) = v_i / √‖v_i^{(w)}‖`` with output weight
``±√‖v_i^{(w)}‖``, so the network objective *is* the convex objective of the
returned point, and the reported gap bounds its distance to the optimum over
the given patterns (to the global optimum when the patterns were enumerated).
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._crelu_barrier import Barrier
from ._crelu_bcd import solve_bcd
from ._crelu_groups import PRICE_RTOL, pen_norms, pooled, project_cone, spread
from ._dual import dual_ratio, ray_bound
from ._pattern_pricing import price_bounds, price_patterns
from ._validation import refuse_complex
from .arrangements import ActivationPatterns
from .exceptions import ConvergenceWarning
from .network import ReLUNetwork

__all__ = ["CReLUResult", "solve_crelu", "start_from_network", "to_network"]

#: Largest memory of the pricing's warm starts (NNLS passive sets), bytes.
_WARM_BYTES = 256 * 2**20
#: Relative gap above which (and above tol) a stop is reported as not converged.
_WARN_RTOL = 1e-6
#: Rounds without a 10% smaller gap after which the solver stops (early rounds on large
#: pattern sets can plateau for about six rounds before the support is found).
_STALL_ROUNDS = 8
#: The penalties the solver is designed for: alpha >= _DESIGN_RATIO * alpha_max. Measured
#: on the enumerated 40-point spiral (free biases, ℓ2, alpha_max ≈ 0.083): alpha =
#: 1.2e-6 alpha_max certified in 11 rounds (2 s), 1.2e-7 alpha_max took 71 s and
#: 1.2e-11 alpha_max over 110 s (500 rounds of about 0.7 s, the gap above 1e-4).
_DESIGN_RATIO = 1e-6
#: Below that range the work is bounded: at most this many pricing rounds, and at most
#: _SMALL_ALPHA_PASSES block-coordinate passes per restricted solve (instead of
#: _MAX_PASSES); a solve still above its tolerance then stops with a warning.
_SMALL_ALPHA_ROUNDS = 12
_SMALL_ALPHA_PASSES = 500
#: ... and at most this many steps per active-set Newton attempt (instead of 400).
_SMALL_ALPHA_NEWTON = 40
#: Most block-coordinate passes per restricted solve.
_MAX_PASSES = 100_000


def _best_primal(history):
    """Smallest objective recorded in a solver history."""
    return min(h["objective"] for h in history)


@dataclass
class CReLUResult:
    """The solution of the convex program over a set of activation patterns.

    Attributes
    ----------
    coef : ndarray, shape (n_groups, r)
        The non-zero variables ``v_i`` / ``u_i`` (rows), in the coordinates of
        ``Z`` (weights, then the bias when there is one).
    pattern : ndarray of int, shape (n_groups,)
        The pattern (row of ``patterns.patterns``) of each row of ``coef``.
    sign : ndarray of float, shape (n_groups,)
        ``+1`` for a ``v_i`` (positive output weight), ``-1`` for a ``u_i``.
        In the gated model every group has sign ``+1``.
    intercept : float
        ``c`` (0 without an intercept).
    objective : float
        The convex objective at the returned point.
    lower_bound : float
        A dual lower bound on the optimum over the patterns.
    gap : float
        ``objective - lower_bound`` (>= 0).
    exact : bool
        True when the patterns were enumerated, so that ``lower_bound`` bounds
        the global optimum of the network objective too (ReLU model).
    gated : bool
        Whether this is the gated-ReLU relaxation.
    n_iter : int
        Inner iterations in total: block-coordinate passes, or Newton steps of
        the barrier method (see the module overview for which is used).
    n_rounds : int
        Pricing rounds.
    history : list of dict
        Per round: working-set size, objective, lower bound, time.
    """

    coef: np.ndarray
    pattern: np.ndarray
    sign: np.ndarray
    intercept: float
    objective: float
    lower_bound: float
    gap: float
    exact: bool
    gated: bool
    n_iter: int
    n_rounds: int
    history: list = field(default_factory=list)

    @property
    def relative_gap(self) -> float:
        """float: ``gap / objective`` (0 when the objective is 0)."""
        return self.gap / self.objective if self.objective > 0 else 0.0


def solve_crelu(
    X,
    y,
    alpha: float,
    patterns: ActivationPatterns,
    *,
    norm: str = "l2",
    gated: bool = False,
    tol: float = 1e-8,
    max_rounds: int = 200,
    max_iter: int = 500,
    grow: int | None = None,
    start=None,
    callback=None,
    pooling=None,
    client=None,
) -> CReLUResult:
    """Solve C-ReLU (or C-GReLU) over the given activation patterns.

    See the module overview for the program and the method. Inputs are
    expected validated (float64, finite, matching shapes); use
    :class:`geolasso.ConvexReLU` with ``method="arrangement"`` for the checked
    front end.

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features)
    y : ndarray, shape (n_samples,)
    alpha : float
        Penalty in the mathematics page's scaling (the papers' β is ``n α``). The solver is
        designed for ``alpha >= 1e-6 · alpha_max`` (``alpha_max``: the largest
        dual value of the targets over the patterns, divided by ``n``; the
        smallest penalty with the zero solution). Measured on the enumerated
        40-point spiral (ℓ2, free biases, ``alpha_max ≈ 0.083``):
        ``1.2e-6 · alpha_max`` certified in 11 rounds (about 2 s),
        ``1.2e-7 · alpha_max`` in 71 s, ``1.2e-11 · alpha_max`` not in 500
        rounds (110 s). Below that range (decided from the first pricing)
        the work is bounded, independently of the clock: at most 12 pricing
        rounds, 500 block-coordinate passes per restricted solve and 40 steps
        per active-set Newton attempt (the barrier method keeps its
        ``max_iter``); a solve whose certified relative gap is then above
        ``max(tol, 1e-6)`` warns with a
        :class:`~geolasso.exceptions.ConvergenceWarning` naming that gap and
        suggesting a larger alpha (the result's ``gap`` is the certified one).
        The two 40-point spiral probes now stop in about 6 s (``1e-12``) and
        2 s (``1e-8``).
    patterns : ActivationPatterns
        The patterns to solve over; their ``bias`` fixes the setting.
    norm : {"l2", "l1"}, default="l2"
        Group norm (ℓ2: weight decay).
    gated : bool, default=False
        Solve the gated-ReLU relaxation (gates = the patterns) instead.
    tol : float, default=1e-8
        Stop when the duality gap is at most ``tol`` times the objective.
    max_rounds : int, default=200
        Pricing rounds.
    max_iter : int, default=500
        Newton steps per restricted solve of the barrier method (ℓ1 ReLU
        groups); the block-coordinate solver stops on its gap, on a
        stall, or after 100,000 passes.
    grow : int, optional
        Most groups added to the working set per round (at least ``grow``,
        or the size of the working set when larger); by default
        ``max(20, n / 2)``.
    start : tuple (pattern, sign, coef), optional
        A starting point: pattern indices (into ``patterns``), signs (±1) and
        one feasible row of ``coef`` per group, as in :class:`CReLUResult`
        (e.g. :func:`start_from_network` of a near-optimal network). Duplicate
        (pattern, sign) pairs are summed.
    callback : callable, optional
        Called after every round as ``callback(round, objective, gap,
        working_set_size)`` (``gap`` absolute).
    pooling : tuple (K, weight), optional
        Pooled rows, for convolutional networks (docs/mathematics.md §6): ``X`` is the
        stacked patch matrix, ``K`` consecutive rows (patches) per sample,
        ``y`` has ``len(X) / K`` entries, the patterns are over the rows, and
        a sample's feature is ``weight`` times the sum of its rows' ReLU
        values (1 for sum pooling, ``1 / K`` for the mean). Solved by the
        block-coordinate method with the Newton finish; the ℓ1 norm only
        with ``gated``.
    client : distributed.Client, optional
        Price the patterns in blocks on this Dask cluster (by default
        joblib's active dask backend's, if any;
        :class:`geolasso.distributed.PatternRunner`). The restricted solves
        stay here; the result equals the in-process one.

    Returns
    -------
    CReLUResult

    Examples
    --------
    docs/mathematics.md T11: two samples, ``β = 0.1`` (``α = 0.05``); the exact optimum is
    ``0.09 / n``, which no hyperplane through the data alone reaches.

    >>> from geolasso.arrangements import enumerate_patterns
    >>> X, y = np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([0.0, 1.0])
    >>> res = solve_crelu(X, y, 0.05, enumerate_patterns(X), tol=1e-12)
    >>> round(res.objective, 10), res.exact, res.gap < 1e-9
    (0.045, True, True)
    >>> to_network(res, enumerate_patterns(X), "l2").predict(X).round(6)
    array([0.1, 0.9])
    """
    # one BLAS thread: the dense products and factorisations are small, and threaded BLAS
    # on them stalls on a busy machine (measured: n = 500, d = 10, 100 patterns at
    # alpha = 1e-4, 103 s with the default threads against 46 s with one, 2 cores)
    from .distributed import active_client

    refuse_complex(X, "X")  # never cast: the imaginary part would be dropped
    refuse_complex(y, "y")
    with _blas_controller().limit(limits=1, user_api="blas"):
        return _solve_crelu(
            X,
            y,
            alpha,
            patterns,
            norm,
            gated,
            tol,
            max_rounds,
            max_iter,
            grow,
            start,
            callback,
            pooling,
            active_client(client),
        )


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _solve_crelu(
    X,
    y,
    alpha,
    patterns,
    norm,
    gated,
    tol,
    max_rounds,
    max_iter,
    grow,
    start,
    callback,
    pooling,
    client=None,
):
    """The body of :func:`solve_crelu` (same arguments, under one BLAS thread)."""
    started = time.perf_counter()
    bias = patterns.bias
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    K, pool = (1, 1.0) if pooling is None else (int(pooling[0]), float(pooling[1]))
    n_rows = X.shape[0]
    n = n_rows // K
    if n * K != n_rows or y.shape != (n,):
        raise ValueError(
            f"X has {n_rows} rows and y {y.shape[0]} entries: expected K = {K} rows per sample"
        )
    if K > 1 and norm == "l1" and not gated:
        raise ValueError(
            "pooled rows are solved for the l2 norm (or gated=True); the l1 ReLU program "
            "of a convolutional network is the wedge-patch Lasso (ConvexCNN, method='wedge')"
        )
    Z = X if bias == "none" else np.column_stack([X, np.ones(n_rows)])
    masks_all = np.ascontiguousarray(patterns.patterns, dtype=np.bool_)
    if client is None:
        # the ReLU pricing's NNLS solves start from the last round's passive sets (one
        # bool per pattern, sign and row), when they take at most _WARM_BYTES
        P, n_z = masks_all.shape
        warm = None
        if not gated and 2 * P * n_z <= _WARM_BYTES:
            warm = np.zeros((2 * P, n_z), dtype=np.bool_)
        price = functools.partial(price_patterns, Z, masks_all, warm=warm)
    else:
        from .distributed import PatternRunner

        price = PatternRunner(client, Z, masks_all)
        warm = None
    try:
        return _rounds(
            Z,
            y,
            alpha,
            patterns,
            masks_all,
            price,
            norm,
            gated,
            tol,
            max_rounds,
            max_iter,
            grow,
            start,
            callback,
            (K, pool),
            started,
            warm,
        )
    finally:
        if client is not None:
            price.close()


def _rounds(
    Z,
    y,
    alpha,
    patterns,
    masks_all,
    price,
    norm,
    gated,
    tol,
    max_rounds,
    max_iter,
    grow,
    start,
    callback,
    pooling,
    started,
    warm=None,
):
    """The pricing rounds of :func:`solve_crelu`; ``price(λ, n_pen, free, norm, gated,
    threshold)`` prices every pattern (in-process or on a cluster); ``warm``: the
    NNLS passive sets (2 P, n) the pricing keeps, shared with the restricted solves
    (row ``2 p + s`` for group ``(p, s)``), or None.

    Each round prices (``price``), checks the certified gap, adds the violators
    (:func:`_add_violators`), solves the restricted program
    (:func:`_restricted_solve`) and drops the groups that are zero; the best
    point seen is then made exactly feasible and reported (:func:`_result`).
    """
    K, pool = pooling
    n = Z.shape[0] // K
    r = Z.shape[1]
    bias = patterns.bias
    free = bias == "free"
    n_pen = r - 1 if free else r
    intercept = free
    y_t = y - y.mean() if intercept else y.copy()
    threshold = n * alpha

    groups, V, lam = _start_set(Z, y, y_t, masks_all, start, gated, intercept, pooling)
    in_ws: set[tuple[int, int]] = set(groups)
    total_iter = 0
    history = []
    best = None
    rounds = 0
    accuracy = _InnerAccuracy(tol)
    small_alpha = None  # alpha_max when alpha is below the designed range (work bound)
    for rounds in range(1, max_rounds + 1):
        bounds = price(spread(lam, K, pool), n_pen, free, norm, gated, threshold)
        if small_alpha is None:
            # from this pricing when it is of the targets, else from one more
            top = (
                bounds
                if not groups
                else price(spread(y_t, K, pool), n_pen, free, norm, gated, -1.0)
            )
            small_alpha = _below_design(top, n, alpha)
        primal = _objective(y, lam, V, n_pen, norm, alpha)
        lower = ray_bound(y_t, lam, dual_ratio(bounds, threshold))
        gap = max(primal - lower, 0.0)
        history.append(
            {
                "round": rounds,
                "groups": len(groups),
                "objective": primal,
                "lower_bound": lower,
                "time": time.perf_counter() - started,
            }
        )
        if callback is not None:
            callback(rounds, primal, gap, len(groups))
        if best is None or gap < best[2]:
            best = (V.copy(), list(groups), gap, lower)
        if _finished(history, best, gap, primal, tol, small_alpha, rounds):
            break
        want = max(grow if grow is not None else max(20, n // 2), 0 if free else len(groups))
        added = _add_violators(bounds, threshold, groups, in_ws, gated, want)
        tols = accuracy.next(primal, gap, added)
        if tols is None:
            break  # no violator left and the restricted solve is as accurate as it gets
        V, it, keep = _restricted_solve(
            Z,
            y,
            y_t,
            alpha,
            patterns,
            masks_all,
            groups,
            V,
            norm,
            gated,
            free,
            *tols,
            max_iter,
            small_alpha,
            pooling,
            warm,
        )
        total_iter += it
        for g in np.flatnonzero(~keep):
            in_ws.discard(groups[g])
        groups = [g for g, k in zip(groups, keep, strict=True) if k]
        V = V[keep]
        idx, signs = _group_arrays(groups)
        lam = _feasible_residual(Z, y, masks_all[idx], signs, V, intercept, gated, pooling)[0]
    return _result(
        Z,
        y,
        y_t,
        alpha,
        patterns,
        masks_all,
        norm,
        gated,
        tol,
        pooling,
        best,
        history,
        rounds,
        total_iter,
        small_alpha,
    )


def _below_design(top, n, alpha):
    """``alpha_max`` (the largest dual value at ``λ = y``, from its pricing ``top``, over
    ``n``) when ``alpha`` is below the solver's designed range, else 0."""
    alpha_max = float(np.max(top, initial=0.0)) / n
    return alpha_max if alpha < _DESIGN_RATIO * alpha_max else 0.0


def _finished(history, best, gap, primal, tol, small_alpha, rounds):
    """Whether the rounds stop: the certified gap within ``tol``, no progress for
    ``_STALL_ROUNDS`` rounds (the restricted solves' accuracy), or the work bound
    below the designed range of penalties (warned by :func:`_result`)."""
    if gap <= tol * max(primal, 1e-300):
        return True
    if len(history) > _STALL_ROUNDS and best[2] > 0.9 * min(
        h["objective"] - h["lower_bound"] for h in history[:-_STALL_ROUNDS]
    ):
        return True
    return bool(small_alpha) and rounds >= _SMALL_ALPHA_ROUNDS


class _InnerAccuracy:
    """The restricted solves' targets, round by round (:func:`_rounds`).

    While the working set grows, the restricted gap goes to ``max(1e-3 · tol ·
    objective, gap / 10)`` (inexact); in a round that added no group, to a
    tenth of ``tol``, then a hundred times less in every further such round,
    until ``1e-15`` (then the rounds stop). The barrier method's target is
    ``1e-3 · tol`` relative, tightened with it.
    """

    def __init__(self, tol):
        self.inner = 1e-3 * tol
        self.quiet = 1e-1 * tol

    def next(self, primal, gap, added):
        """``(inner_tol, barrier_tol)`` of the next restricted solve, or None: stop."""
        scale = max(primal, 1e-300)
        inner_tol = max(self.inner * scale, 0.1 * gap)
        if added == 0:
            if self.inner < 1e-15:
                return None
            self.inner *= 1e-2
            inner_tol = self.quiet * scale
            self.quiet *= 1e-2
        return inner_tol, self.inner * scale


def _group_arrays(groups):
    """The pattern indices and signs (±1) of a list of (pattern, 0 for + / 1 for −) groups."""
    idx = np.array([g[0] for g in groups], dtype=np.int64)
    signs = np.array([1.0 if g[1] == 0 else -1.0 for g in groups])
    return idx, signs


def _start_set(Z, y, y_t, masks_all, start, gated, intercept, pooling):
    """The first working set: ``(groups, V, λ)``, empty (``λ`` = the targets) or ``start``'s.

    Duplicate (pattern, sign) pairs of ``start`` are summed; in the gated model
    its negative groups are left out.
    """
    r = Z.shape[1]
    if start is None:
        return [], np.zeros((0, r)), y_t.copy()
    rows = {}
    for p, s, row in zip(*start, strict=True):
        key = (int(p), 0 if s > 0 else 1)
        rows[key] = rows.get(key, 0.0) + np.asarray(row, dtype=np.float64)
    groups = [g for g in rows if not (gated and g[1] == 1)]
    V = np.array([rows[g] for g in groups]).reshape(-1, r)
    if not groups:
        return groups, V, y_t.copy()
    idx, signs = _group_arrays(groups)
    lam = _feasible_residual(Z, y, masks_all[idx], signs, V, intercept, gated, pooling)[0]
    return groups, V, lam


def _add_violators(bounds, threshold, groups, in_ws, gated, want):
    """Append to ``groups`` (and ``in_ws``) the groups whose dual bound is above
    ``threshold`` (``n α``), largest first, at most ``want``; returns how many."""
    flat = np.argsort(-bounds, axis=None, kind="stable")
    added = 0
    for k in flat:
        p, s = divmod(int(k), 2)
        if bounds[p, s] <= threshold * (1.0 + PRICE_RTOL):
            break
        if (p, s) in in_ws or (gated and s == 1):
            continue
        groups.append((p, s))
        in_ws.add((p, s))
        added += 1
        if added >= want:
            break
    return added


def _restricted_solve(
    Z,
    y,
    y_t,
    alpha,
    patterns,
    masks_all,
    groups,
    V,
    norm,
    gated,
    free,
    inner_tol,
    barrier_tol,
    max_iter,
    small_alpha,
    pooling,
    warm=None,
):
    """The restricted program on the working set ``groups``, warm-started from ``V``
    (and its NNLS solves from the passive sets ``warm``, see :func:`_rounds`).

    Block coordinate descent (:func:`geolasso._crelu_bcd.solve_bcd`) where every
    block step is an exact proximal map (the ℓ2 norm for ReLU groups, either
    norm for gated ones) to the gap ``inner_tol``, the barrier method
    (:class:`geolasso._crelu_barrier.Barrier`) to ``barrier_tol`` otherwise.
    Returns ``(V, inner iterations, keep)``, ``keep`` the groups that are not
    clearly zero at the optimum (pricing brings back any that is needed).
    """
    r = Z.shape[1]
    n_pen = r - 1 if free else r
    threshold = (Z.shape[0] // pooling[0]) * alpha
    idx, signs = _group_arrays(groups)
    if gated or norm == "l2":
        start = np.zeros((len(groups), r))
        start[: V.shape[0]] = V  # warm start: the kept groups come first
        rows = 2 * idx + np.array([g[1] for g in groups], dtype=np.int64)
        sets = None if warm is None or gated else warm[rows]
        V, it = solve_bcd(
            Z,
            y_t,
            masks_all[idx],
            signs,
            alpha,
            norm,
            gated,
            start,
            inner_tol,
            _SMALL_ALPHA_PASSES if small_alpha else _MAX_PASSES,
            free,
            pooling,
            _SMALL_ALPHA_NEWTON if small_alpha else 400,
            warm=sets,
        )
        if sets is not None:
            warm[rows] = sets
        return V, it, pen_norms(V, n_pen, norm) > 0.0  # prox steps set zero groups to zero
    prob = Barrier(Z, y, masks_all[idx], signs, alpha, n_pen, free)
    V, it, _t = prob.solve(patterns.gates[idx], barrier_tol, max_iter)
    sizes = pen_norms(V, n_pen, norm)
    lam_now = prob.residual(V)
    values = np.empty((len(groups), 2))
    price_bounds(Z, masks_all[idx], lam_now, n_pen, free, norm == "l1", -1.0, values)
    mine = values[np.arange(len(groups)), [g[1] for g in groups]]
    # a group is zero at the optimum when its dual value is below n α (complementarity)
    keep = (mine >= threshold * (1.0 - 1e-4)) | (sizes > 1e-3 * float(sizes.max(initial=0)))
    return V, it, keep & (sizes > 0.0)


def _result(
    Z,
    y,
    y_t,
    alpha,
    patterns,
    masks_all,
    norm,
    gated,
    tol,
    pooling,
    best,
    history,
    rounds,
    total_iter,
    small_alpha,
):
    """The :class:`CReLUResult` of the best round: made exactly feasible, with its gap
    certified by that round's lower bound, and a warning when it is not converged."""
    r = Z.shape[1]
    free = patterns.bias == "free"
    n_pen = r - 1 if free else r
    intercept = free
    V_best, groups_best, gap, lower = best
    unfinished = gap > max(tol, _WARN_RTOL) * max(_best_primal(history), 1e-300)
    if unfinished and not small_alpha:
        warnings.warn(
            f"the arrangement solver stopped after {rounds} rounds with a relative duality gap "
            f"of {gap / max(_best_primal(history), 1e-300):.2e}, above tol = {tol:g}: the "
            "objective is an upper bound that far from the optimum over these patterns",
            ConvergenceWarning,
            stacklevel=5,
        )
    idx, signs = _group_arrays(groups_best)
    keep = pen_norms(V_best, n_pen, norm) > 0.0
    if free:
        keep |= np.abs(V_best[:, -1]) > 0.0
    V_best, idx, signs = V_best[keep], idx[keep], signs[keep]
    lam, c = (
        _feasible_residual(Z, y, masks_all[idx], signs, V_best, intercept, gated, pooling)
        if V_best.shape[0]
        else (y_t.copy(), float(y.mean()) if intercept else 0.0)
    )
    objective = _objective(y, lam, V_best, n_pen, norm, alpha)
    final_gap = max(objective - lower, 0.0)
    if unfinished and small_alpha:
        _warn_small_alpha(alpha, small_alpha, rounds, tol, final_gap, objective)
    return CReLUResult(
        coef=V_best,
        pattern=idx,
        sign=signs,
        intercept=c,
        objective=objective,
        lower_bound=lower,
        gap=final_gap,
        exact=bool(patterns.exact),
        gated=gated,
        n_iter=total_iter,
        n_rounds=rounds,
        history=history,
    )


def _warn_small_alpha(alpha, alpha_max, rounds, tol, gap, objective):
    """The warning of a solve below the designed range of penalties that stopped unfinished."""
    how = (
        f"at its bound of {_SMALL_ALPHA_ROUNDS} pricing rounds"
        if rounds == _SMALL_ALPHA_ROUNDS
        else f"after {rounds} rounds"
    )
    # the gap named is the result's: its objective minus the certified lower bound
    warnings.warn(
        f"alpha = {alpha:.3g} is below the range the arrangement solver is designed for "
        f"(alpha >= {_DESIGN_RATIO:g} · alpha_max = {_DESIGN_RATIO * alpha_max:.3g}, "
        f"alpha_max = {alpha_max:.3g}): it stopped {how} with a relative duality gap of "
        f"{gap / objective if objective > 0 else 0.0:.2e} (certified), above tol = "
        f"{tol:g}. Use a larger alpha (at least {_DESIGN_RATIO * alpha_max:.3g})",
        ConvergenceWarning,
        stacklevel=6,
    )


def _feasible_residual(Z, y, masks, signs, V, intercept, gated, pooling=(1, 1.0)):
    """Project each group onto its cone (in place), then the residual and intercept."""
    if not gated:
        for g in range(V.shape[0]):
            if intercept and masks[g].all():
                # active everywhere: the smallest bias that keeps every sample active
                V[g, -1] = max(0.0, -float(np.min(Z[:, :-1] @ V[g, :-1])))
            elif np.any(V[g] != 0.0):
                V[g] = project_cone(Z, masks[g], np.ascontiguousarray(V[g]))
    pred = np.einsum("gi,gi->i", signs[:, None] * masks, V @ Z.T) if V.shape[0] else 0.0
    res = y - (pooled(pred, *pooling) if V.shape[0] else 0.0)
    c = float(res.mean()) if intercept else 0.0
    return res - c, c


def _objective(y, lam, V, n_pen, norm, alpha):
    n = y.shape[0]
    return float(lam @ lam) / (2 * n) + alpha * float(pen_norms(V, n_pen, norm).sum())


def to_network(result: CReLUResult, patterns: ActivationPatterns, norm: str) -> ReLUNetwork:
    """The ReLU network of a C-ReLU solution (docs/mathematics.md §2.2 recovery map).

    Each row ``x`` of ``coef`` becomes the neuron ``x / √‖x_pen‖`` with
    output weight ``sign · √‖x_pen‖``; a row with zero weights (a constant on
    the all-active pattern) is added to the intercept. The network objective
    with first-layer norm ``norm`` then equals ``result.objective``.

    Parameters
    ----------
    result : CReLUResult
        A solution of :func:`solve_crelu` (not gated).
    patterns : ActivationPatterns
        The patterns it was solved over.
    norm : {"l2", "l1"}
        The group norm it was solved with.

    Returns
    -------
    ReLUNetwork
    """
    if result.gated:
        raise ValueError("a gated-ReLU solution is not a ReLU network; use its gates")
    bias = patterns.bias
    d = patterns.gates.shape[1] - (bias != "none")
    n_pen = d if bias == "free" else patterns.gates.shape[1]
    sizes = pen_norms(result.coef, n_pen, norm)
    c = result.intercept
    W, b, v = [], [], []
    for row, size, s in zip(result.coef, sizes, result.sign, strict=True):
        if size == 0.0:
            c += s * max(float(row[-1]), 0.0)
            continue
        unit = row / math.sqrt(size)
        W.append(unit[:d])
        b.append(float(unit[d]) if bias != "none" else 0.0)
        v.append(s * math.sqrt(size))
    W = np.array(W).reshape(-1, d)
    return ReLUNetwork(W, np.array(b), np.array(v), c=c)


def start_from_network(
    network: ReLUNetwork, patterns: ActivationPatterns, X, *, tol: float = 1e-9
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], int]:
    """A starting point for :func:`solve_crelu` from a ReLU network (the inverse recovery map).

    Neuron ``(w, b)`` with output weight ``v`` becomes the group
    ``|v| (w, b)`` with sign ``sign(v)`` on the neuron's activation pattern
    (docs/mathematics.md §2.2: same function, and a penalty equal to the network's at
    balanced weights). A neuron through samples (a wedge neuron) is on the
    boundary of several cells; the first of its patterns found in
    ``patterns`` is used, trying the tied samples inactive, then active.

    Parameters
    ----------
    network : ReLUNetwork
        The network (e.g. the ``network_`` of a wedge fit).
    patterns : ActivationPatterns
        The patterns the program will be solved over.
    X : array-like, shape (n_samples, n_features)
        The samples the patterns were computed on.
    tol : float, default=1e-9
        A sample is tied (on the neuron's hyperplane) when ``|zᵀu|`` is at
        most ``tol`` times ``|z|ᵀ|u|``.

    Returns
    -------
    start : tuple (pattern, sign, coef)
        The starting point for :func:`solve_crelu`.
    missing : int
        The number of neurons whose pattern is not in ``patterns`` (left out).
    """
    refuse_complex(X, "X")
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    bias = patterns.bias
    Z = X if bias == "none" else np.column_stack([X, np.ones(n)])
    index = {m.tobytes(): k for k, m in enumerate(np.asarray(patterns.patterns, dtype=np.bool_))}
    idx, sign, coef = [], [], []
    missing = 0
    for w, b, v in zip(network.W, network.b, network.v, strict=True):
        if v == 0.0 or not np.any(w != 0.0):
            continue
        row = abs(float(v)) * (np.append(w, b) if bias != "none" else np.asarray(w, dtype=float))
        t = Z @ row
        scale = tol * (np.abs(Z) @ np.abs(row))
        for m in (t > scale, t >= -scale):
            k = index.get(m.tobytes())
            if k is not None:
                break
        if k is None:
            missing += 1
            continue
        idx.append(k)
        sign.append(1.0 if v > 0 else -1.0)
        coef.append(row)
    start = (np.array(idx, dtype=np.int64), np.array(sign), np.array(coef).reshape(-1, Z.shape[1]))
    return start, missing
