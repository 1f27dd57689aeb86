"""A Lasso solver for wide, correlated dictionaries: working sets and exact subproblems.

Overview
--------
geolasso solves (docs/mathematics.md §0.1, the scikit-learn convention)

.. math::

    \\min_{z, c} \\; P(z, c) = \\frac{1}{2n} \\lVert y - K z - c \\mathbf 1 \\rVert_2^2
    + \\alpha \\lVert z \\rVert_1

with an unpenalised intercept ``c`` (``fit_intercept=True``). Wedge
dictionaries are wide (``p ≫ n``), their columns strongly correlated and their
solutions sparse (about ``n`` non-zeros at small ``α``), a regime where
coordinate descent crawls. The solver therefore

1. keeps a small **working set** ``W``: the current support plus twice as
   many atoms (at least 64) with the largest scores ``|K_jᵀ r| / (n α)`` from
   a full correlation pass (one ``Kᵀ r``; matrix-free for a
   :class:`~geolasso.dictionary.WedgeDictionary`), renewed every round while
   the duality gap is too large;
2. solves the Lasso restricted to ``W`` **exactly**, by feature-sign search on
   the Gram matrix ``K_Wᵀ K_W`` (signed active sets; each step solves the
   active equations with a Cholesky factor updated as atoms enter and leave),
   warm-started from the previous solution;
3. certifies the result with a **duality gap** on the full problem, using the
   best dual point seen: ``θ = r / max(nα, ‖Kᵀ r‖_∞)`` (centred residual ``r``)
   and

.. math::

    D(θ) = \\frac{1}{2n} \\left(\\lVert \\tilde y \\rVert^2
    - \\lVert \\tilde y - n α θ \\rVert^2 \\right),
    \\qquad \\text{gap} = P - D \\ge P - P^\\star,

where ``ỹ`` is ``y`` centred when the intercept is free. It stops when the
**relative gap** ``(P - D) / P(0)`` is at most ``tol``, with
``P(0) = ‖ỹ‖² / (2n)``; so ``tol`` bounds the relative primal suboptimality.

References
----------
.. [1] H. Lee, A. Battle, R. Raina, A. Y. Ng, "Efficient sparse coding
   algorithms", NeurIPS 2007 (feature-sign search).
.. [2] M. Massias, A. Gramfort, J. Salmon, "Celer: a fast solver for the Lasso
   with dual extrapolation", ICML 2018 (working sets grown from dual scores).
.. [3] E. Ndiaye, O. Fercoq, A. Gramfort, J. Salmon, "Gap safe screening rules
   for sparsity enforcing penalties", JMLR 2017.
"""

from __future__ import annotations

import functools
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._feature_sign import feature_sign
from ._validation import as_float_array, as_positive_int, check_positive
from .dictionary import DEFAULT_MEMORY_LIMIT, alpha_max
from .distributed import distributed_passes
from .exceptions import ConvergenceWarning, DictionaryTooLargeError

__all__ = ["LassoPath", "LassoResult", "lasso", "lasso_path"]

#: Atoms added to the working set per round: _WS_FACTOR times the support size, at least
#: _WS_MIN (measured on the spiral and 3-D wedge dictionaries and Gaussian designs).
_WS_MIN = 64
_WS_FACTOR = 2.0
#: With a reduced pass (O(n²) per pass in 2-D): the pass ranks a pool of ten working-set
#: growths, at least _POOL_MIN atoms unless partial passes (below) do the pool's work
#: (dense columns within _POOL_BYTES), and up to _POOL_ROUNDS restricted solves draw
#: their violators from it before the next pass.
_POOL_MIN = 2_000
_POOL_BYTES = 128 * 2**20
_POOL_ROUNDS = 20
#: An operator that can sweep part of itself (``top_correlations(..., through=)``, the
#: numbered planar dictionary) runs partial passes over the lines through the support's
#: samples (O(n) per sample instead of O(n²) for a full pass) between full passes: up to
#: _LOCAL_ROUNDS, each adding up to max(_LOCAL_FACTOR × support, _LOCAL_MIN) violators;
#: the first full pass is preceded by one over _LOCAL_SEEDS evenly spaced samples. On
#: moons and spiral data (n = 4,000 to 10,000, alpha_max/100 and /1000) a fit then
#: takes 1 to 5 full passes where the pool alone took 7 to 14.
_LOCAL_ROUNDS = 60
_LOCAL_FACTOR = 0.25
_LOCAL_MIN = 16
_LOCAL_SEEDS = 64


class _Dense:
    """A dense matrix behind the operator interface the solver uses."""

    def __init__(self, K):
        self.K = np.asfortranarray(K)
        self.shape = self.K.shape

    def rmatvec(self, r):
        return self.K.T @ r

    def matvec(self, z):
        nz = np.flatnonzero(z)
        return self.K[:, nz] @ z[nz]

    def columns(self, idx):
        return self.K[:, idx]


def _as_operator(K):
    """Validated operator: a dense float64 array or a matrix-free dictionary."""
    if all(hasattr(K, name) for name in ("rmatvec", "matvec", "columns", "shape")):
        op = K
    else:
        arr = as_float_array(K, "K", shape_doc="(n_samples, n_atoms)", order="F")
        if arr.ndim != 2:
            raise ValueError(f"K must have shape (n_samples, n_atoms); got {arr.shape}")
        op = _Dense(arr)
    if op.shape[0] == 0:
        raise ValueError(f"K must have at least one row (sample); got shape {tuple(op.shape)}")
    if op.shape[1] == 0:
        raise ValueError("K must have at least one column (atom); got an empty dictionary")
    if isinstance(op, _Dense):
        arr = op.K
        top = float(np.abs(arr).max()) if arr.size else 0.0
        if not np.isfinite(top * top * arr.shape[0]):
            raise ValueError(
                f"K has entries of magnitude up to {top:.3g}: inner products of its columns "
                f"(up to n · {top:.3g}²) overflow float64 (the largest float64 is about 1.8e308). "
                "Rescale K: lasso(K / s, y, alpha) has coefficients s · coef"
            )
    return op


@dataclass
class LassoResult:
    """Solution of :func:`lasso`.

    The solution is kept sparse: ``support`` and ``values``. ``coef`` is the
    dense vector, built when asked for (``8 n_atoms`` bytes: refused above
    ``memory_limit``, e.g. for the ``10⁸``-atom planar dictionaries).

    Attributes
    ----------
    support : ndarray of int64, shape (k,)
        Indices of the non-zero coefficients, increasing.
    values : ndarray of float64, shape (k,)
        Their values.
    n_atoms : int
        Length of the coefficient vector.
    intercept : float
        The intercept ``c`` (0 when ``fit_intercept=False``).
    objective : float
        ``P(z, c)``.
    dual_gap : float
        Relative duality gap ``(P - D) / P(0)``, an upper bound on the relative
        primal suboptimality.
    n_iter : int
        Working-set rounds (full correlation passes).
    n_steps : int
        Linear solves of the subproblem solver, summed over rounds.
    converged : bool
        Whether ``dual_gap <= tol``.
    alpha : float
        The penalty.
    history : list of tuple
        ``(seconds, objective, relative gap, working-set size)`` per round,
        when requested.
    memory_limit : int
        Budget of :attr:`coef` (the dictionary's ``memory_limit``).
    """

    support: np.ndarray
    values: np.ndarray
    n_atoms: int
    intercept: float
    objective: float
    dual_gap: float
    n_iter: int
    n_steps: int
    converged: bool
    alpha: float
    history: list = field(default_factory=list)
    memory_limit: int = DEFAULT_MEMORY_LIMIT

    @property
    def coef(self) -> np.ndarray:
        """ndarray of float64, shape (n_atoms,): the coefficients ``z``, dense."""
        need = 8 * int(self.n_atoms)
        if need > self.memory_limit:
            raise DictionaryTooLargeError(
                f"the dense coefficient vector of {self.n_atoms:,} atoms needs "
                f"{need / 2**30:.3g} GiB, above memory_limit = {self.memory_limit / 2**30:.3g} "
                "GiB; the solution is "
                f"result.support ({self.support.size} atoms) and result.values",
                n_atoms=int(self.n_atoms),
                required_bytes=need,
                limit_bytes=int(self.memory_limit),
            )
        z = np.zeros(int(self.n_atoms))
        z[self.support] = self.values
        return z


def lasso(
    K,
    y,
    alpha,
    *,
    fit_intercept: bool = True,
    tol: float = 1e-6,
    max_iter: int = 500,
    warm_start=None,
    history: bool = False,
    verbose: bool = False,
    callback=None,
    client=None,
) -> LassoResult:
    """Solve the Lasso with a certified duality gap.

    Minimises ``(1/(2n))‖y - Kz - c‖² + α‖z‖₁`` (``c = 0`` without intercept);
    see the module overview for the method and the stopping rule.

    Parameters
    ----------
    K : array_like of shape (n_samples, n_atoms), or a dictionary
        A dense matrix (converted once to float64, Fortran order), or a
        matrix-free operator such as
        :class:`~geolasso.dictionary.WedgeDictionary`: anything with
        ``shape``, ``rmatvec(r)``, ``matvec(z)`` and ``columns(idx)``.
    y : array_like, shape (n_samples,)
        Targets. Multi-output targets are not supported.
    alpha : float
        Penalty, ``alpha > 0`` (``alpha = 0`` is least squares, which has no
        sparse solution to certify); for ``alpha >= alpha_max`` the exact
        answer is ``z = 0``, found in one round.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.
    tol : float, default=1e-6
        Stop when the relative duality gap ``(P - D) / P(0)`` is at most
        ``tol`` (``tol > 0``).
    max_iter : int, default=500
        Maximum number of working-set rounds (small penalties on wedge
        dictionaries take tens of rounds).
    warm_start : array_like, shape (n_atoms,), or LassoResult, optional
        Initial coefficients (e.g. the solution at a nearby ``alpha``, dense
        or that :class:`LassoResult` itself).
    history : bool, default=False
        Record ``(seconds, objective, relative gap, working-set size)`` per
        round in ``result.history``.
    verbose : bool, default=False
        Print one line per round.
    callback : callable, optional
        Called after each round's gap check as ``callback(round, objective,
        relative_gap, support_size)`` (e.g. to drive a progress bar).
    client : distributed.Client, optional
        Run the passes over a :class:`~geolasso.planar.PlanarDictionary` on
        this Dask cluster (:mod:`geolasso.distributed`); also taken from
        ``joblib.parallel_backend("dask")`` when that is active. The result
        equals the in-process one.

    Returns
    -------
    LassoResult

    Raises
    ------
    ValueError
        When float64 cannot hold the problem: ``y`` so large that the
        objective at ``z = 0`` overflows, ``K`` (dense) so large that inner
        products of its columns overflow, or a NaN/inf objective or
        correlation in any round (named with the round, never carried on).

    Warns
    -----
    geolasso.exceptions.ConvergenceWarning
        When ``max_iter`` rounds end, or rounding stops progress, with the
        gap above ``tol``; the message names the gap reached.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> K = rng.normal(size=(50, 200))
    >>> y = K[:, :3] @ [1.0, -2.0, 1.5] + 0.01 * rng.normal(size=50)
    >>> res = lasso(K, y, alpha=0.1)
    >>> res.converged, res.support[:3].tolist()
    (True, [0, 1, 2])
    """
    op = _as_operator(K)
    n = op.shape[0]
    y = as_float_array(y, "y", shape_doc=f"({n},)")
    if y.ndim == 2 and y.shape[1] != 1:
        raise ValueError(
            f"y must have shape ({n},): multi-output targets are not supported; got {y.shape}"
        )
    y = y.reshape(-1) if y.ndim == 2 else y
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},), one target per row of K; got {y.shape}")
    alpha = check_positive(alpha, "alpha")
    tol = check_positive(tol, "tol")
    max_iter = as_positive_int(max_iter, "max_iter")

    # one BLAS thread: the products are small or memory-bound, and threaded BLAS on
    # small matrices can stall badly on a busy machine (measured: 100x slower)
    with (
        _blas_controller().limit(limits=1, user_api="blas"),
        distributed_passes(op, client),  # the passes on a cluster, when one is active
    ):
        return _solve(
            op, y, alpha, fit_intercept, tol, max_iter, warm_start, history, verbose, callback
        )


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _solve(op, y, alpha, fit_intercept, tol, max_iter, warm_start, history, verbose, callback):
    """The working-set loop of :func:`lasso` on validated input.

    The coefficients are kept sparse (support and values) between rounds, so
    a round costs one full correlation pass plus the restricted solve, never
    an ``O(n_atoms)`` update of a dense vector.
    """
    n, p = op.shape
    start = time.perf_counter()
    y_mean, yc, p0 = _centred_targets(y, fit_intercept)
    passes = _Passes(op, n, fit_intercept)
    limit = getattr(op, "memory_limit", DEFAULT_MEMORY_LIMIT)
    support, values = _warm_support(warm_start, p)
    r = yc - passes.centred_columns(support) @ values if support.size else yc.copy()
    records = []
    if p0 == 0.0:  # constant (centred) targets: z = 0 is exact
        none = np.empty(0, dtype=np.int64)
        return LassoResult(
            none, np.empty(0), p, y_mean, 0.0, 0.0, 0, 0, True, alpha, records, limit
        )
    lam = n * alpha
    best_dual = -np.inf
    stalled = 0  # rounds in a row without a real gain in the gap
    did_polish = False
    previous_gap = previous_primal = np.inf
    n_steps = ws_size = it = 0
    result_gap = np.inf
    if passes.local and support.size == 0:
        support, values, r, n_steps, ws_size = _seed_locally(passes, support, values, r, yc, lam)
    for it in range(1, max_iter + 1):
        # one full pass: the dual scaling, and the candidates for the working set
        grow = min(max(int(_WS_FACTOR * support.size), _WS_MIN), p - support.size)
        top, candidates = passes.scores(r, passes.pool_size(grow), support)
        primal = float(r @ r) / (2 * n) + alpha * np.abs(values).sum()
        _check_finite_round(primal, top, it)
        scale = max(lam, top)
        if scale > 0:
            shifted = yc - lam * (r / scale)
            best_dual = max(best_dual, (p0 * 2 * n - float(shifted @ shifted)) / (2 * n))
        result_gap = max(primal - best_dual, 0.0) / p0
        if history:
            records.append((time.perf_counter() - start, primal, result_gap, ws_size))
        if verbose:
            print(
                f"[lasso] round {it:3d}: objective {primal:.10g}, relative gap {result_gap:.3e}, "
                f"support {support.size}, working set {ws_size}"
            )
        if callback is not None:
            callback(it, primal, result_gap, int(support.size))
        if result_gap <= tol:
            break
        # near machine precision rounding limits the gap: stop when three rounds in a
        # row neither lower the objective nor the gap (reported as not converged)
        flat = primal > previous_primal - 1e-14 * abs(primal)
        stalled = stalled + 1 if flat and result_gap >= previous_gap else 0
        previous_gap = min(previous_gap, result_gap)
        previous_primal = min(previous_primal, primal)
        if stalled and not did_polish:
            # the Gram matrix squares the support's conditioning: one orthogonal solve
            # of the signed equations on the support may lift the limit
            did_polish = True
            polished = _polish(passes, support, values, yc, lam)
            if polished is not None:
                values, r = polished
                stalled = 0
                continue
        if stalled >= 3:
            break
        # working set: the support, and twice as many more atoms (at least _WS_MIN)
        # with the largest scores |K_jᵀ r|, violators of |K_jᵀ r| <= nα first
        support, values, r, steps, ws_size = _restricted(
            passes, support, values, candidates[:grow], yc, lam
        )
        n_steps += steps
        if candidates.size > grow:
            support, values, r, steps, ws_size = _exhaust_pool(
                passes, candidates, support, values, r, yc, lam, ws_size
            )
            n_steps += steps
        if passes.local:
            support, values, r, steps, ws_size = _local_rounds(passes, support, values, r, yc, lam)
            n_steps += steps
    converged = bool(result_gap <= tol)
    if not converged:
        _warn_unconverged(stalled >= 3, it, max_iter, result_gap, tol)
    objective = float(r @ r) / (2 * n) + alpha * np.abs(values).sum()
    intercept = y_mean - float(passes.means(support) @ values) if fit_intercept else 0.0
    values = np.asarray(values, dtype=np.float64)
    keep = values != 0.0
    order = np.argsort(support[keep], kind="stable")
    return LassoResult(
        support[keep][order].astype(np.int64),
        values[keep][order],
        p,
        intercept,
        objective,
        float(result_gap),
        it,
        n_steps,
        converged,
        alpha,
        records,
        limit,
    )


def _warn_unconverged(stalled, it, max_iter, gap, tol):
    """The ConvergenceWarning of a :func:`lasso` call (``stalled``: rounding stopped it)."""
    why = (
        f"stalled after {it} rounds (rounding limits the gap at this tol)"
        if stalled
        else f"did not converge in max_iter = {max_iter} rounds"
    )
    warnings.warn(
        f"lasso {why}: relative duality gap {gap:.3e} > tol = {tol:.1e}. Increase max_iter or tol.",
        ConvergenceWarning,
        stacklevel=4,  # lasso -> _solve -> here: the caller of lasso
    )


def _centred_targets(y, fit_intercept):
    """``(mean, y − mean, ‖y − mean‖² / (2n))`` (the mean 0 without an intercept); an
    objective at zero that overflows float64 is a named error."""
    y_mean = float(y.mean()) if fit_intercept else 0.0
    yc = y - y_mean
    with np.errstate(over="ignore"):  # an overflow is named just below
        p0 = float(yc @ yc) / (2 * y.shape[0])
    if not np.isfinite(p0):
        top = float(np.abs(y).max())
        raise ValueError(
            f"y has entries of magnitude up to {top:.3g}: the Lasso objective at z = 0, "
            "||y - mean(y)||² / (2 n), overflows float64 (the largest float64 is about "
            "1.8e308). Rescale y and alpha together: lasso(K, y / s, alpha / s) has "
            "coefficients coef / s"
        )
    return y_mean, yc, p0


def _warm_support(warm_start, p):
    """The sparse ``(support, values)`` of a warm start (a :class:`LassoResult`, a dense
    vector of the ``p`` coefficients, or None: empty)."""
    if isinstance(warm_start, LassoResult):  # sparse: no dense vector of every atom
        if warm_start.n_atoms != p:
            raise ValueError(
                f"warm_start is a solution over {warm_start.n_atoms} atoms; the dictionary has {p}"
            )
        return (
            np.asarray(warm_start.support, dtype=np.int64).copy(),
            np.asarray(warm_start.values, dtype=np.float64).copy(),
        )
    if warm_start is not None:
        z0 = as_float_array(warm_start, "warm_start", shape_doc=f"({p},)")
        if z0.shape != (p,):
            raise ValueError(f"warm_start must have shape ({p},); got {z0.shape}")
        support = np.flatnonzero(z0)
        return support, z0[support].copy()
    return np.empty(0, dtype=np.int64), np.empty(0)


def _check_finite_round(primal, top, it):
    """A named error when round ``it``'s objective or largest correlation is not finite."""
    if np.isfinite(primal) and np.isfinite(top):
        return
    what = "objective" if np.isfinite(top) else "correlation"
    raise ValueError(
        f"the Lasso produced a non-finite {what} in round {it} (NaN or inf: the "
        "products of K's columns with y and the "
        "coefficients overflow float64). Rescale K or y (alpha with y) so that their "
        "entries are of moderate size"
    )


def _seed_locally(passes, support, values, r, yc, lam):
    """A first working set from the lines through a few samples, before any full pass
    (operators with partial passes); returns ``(support, values, r, steps, ws_size)``."""
    n = yc.shape[0]
    seeds = np.unique(np.linspace(0, n - 1, min(n, _LOCAL_SEEDS)).astype(np.int64))
    pick = passes.local_violators(r, seeds, lam, _WS_MIN)
    if not pick.size:
        return support, values, r, 0, 0
    support, values, r, steps, _ = _restricted(passes, support, values, pick, yc, lam)
    support, values, r, more, ws_size = _local_rounds(passes, support, values, r, yc, lam)
    return support, values, r, steps + more, ws_size


def _exhaust_pool(passes, pool, support, values, r, yc, lam, ws_size):
    """Restricted solves over the violators among the atoms a full pass ranked (``pool``),
    until none is left or ``_POOL_ROUNDS``: a reduced pass costs ``O(n²)``, a pool
    atom's correlation one small product. Returns ``(support, values, r, steps, ws_size)``.
    """
    Kpool = passes.centred_columns(pool)
    n_steps = 0
    for _ in range(_POOL_ROUNDS):
        score = np.abs(Kpool.T @ r)
        score[np.isin(pool, support)] = -1.0
        violators = np.flatnonzero(score > lam * (1.0 + 1e-9))
        if violators.size == 0:
            break
        grow = min(max(int(_WS_FACTOR * support.size), _WS_MIN), violators.size)
        pick = pool[violators[np.argsort(-score[violators], kind="stable")[:grow]]]
        support, values, r, steps, ws_size = _restricted(passes, support, values, pick, yc, lam)
        n_steps += steps
    return support, values, r, n_steps, ws_size


def _restricted(passes, support, values, extra, yc, lam):
    """The Lasso restricted to ``support ∪ extra``, warm-started, solved exactly.

    Returns the new support, its values, the residual, the feature-sign steps
    and the working-set size.
    """
    W = np.union1d(support, extra)
    G, bw, place = passes.gram(W, yc)
    zw = np.zeros(W.size)
    zw[np.searchsorted(W, support)] = values
    steps, _ = feature_sign(G, bw, lam, zw, 1e-10, 50 * W.size + 100)
    keep = zw != 0.0
    return W[keep], zw[keep], yc - passes.store[:, place[keep]] @ zw[keep], steps, W.size


def _local_rounds(passes, support, values, r, yc, lam):
    """Restricted solves over the violators among the lines through the support's samples.

    Turning a line about one of its samples is how the optimum's lines are
    reached from the current ones; each partial pass costs ``O(n)`` per sample.
    Returns the support, values, residual, feature-sign steps and the last
    working-set size.
    """
    steps = ws_size = 0
    for _ in range(_LOCAL_ROUNDS):
        if support.size == 0:
            break
        grow = max(int(_LOCAL_FACTOR * support.size), _LOCAL_MIN)
        pick = passes.local_violators(r, passes.op.samples_of(support), lam, grow, support)
        if pick.size == 0:
            break
        support, values, r, more, ws_size = _restricted(passes, support, values, pick, yc, lam)
        steps += more
    return support, values, r, steps, ws_size


def _polish(passes, support, values, yc, lam):
    """The signed equations on the support solved through a QR factor, or None.

    ``K_Sᵀ K_S z = K_Sᵀ ỹ - λ θ`` (``θ`` the signs) with ``K_S = Q R``:
    ``R z = Qᵀ ỹ - R⁻ᵀ λ θ``, accurate to the conditioning of ``K_S`` rather
    than of its Gram matrix. None when ``K_S`` has dependent columns or the
    solution changes a sign (then it is not the restricted optimum).
    """
    from scipy.linalg import solve_triangular

    if support.size == 0 or support.size > yc.size:
        return None
    Ks = passes.centred_columns(support)
    Q, R = np.linalg.qr(Ks)
    diag = np.abs(np.diag(R))
    if diag.min() <= 1e-12 * diag.max():
        return None
    theta = np.sign(values)
    z = solve_triangular(R, Q.T @ yc - solve_triangular(R, lam * theta, trans="T"))
    if np.any(np.sign(z) != theta):
        return None
    return z, yc - Ks @ z


class _Passes:
    """What a working-set round needs of the whole dictionary.

    An operator with ``top_correlations`` (a :class:`~geolasso.planar.
    PlanarDictionary`) reduces ``Kᵀ r`` to its maximum and its largest
    entries in one pass; any other gives ``Kᵀ r`` in full (``rmatvec``).
    Column means (the intercept centres every column) come from one
    ``rmatvec`` of ``1/n``, or, for the former, column by column.
    """

    def __init__(self, op, n, fit_intercept):
        self.op = op
        self.fit_intercept = fit_intercept
        self.reduced = hasattr(op, "top_correlations")
        # (an operator may say its partial passes cost too much to run between full ones)
        self.local = (
            self.reduced and hasattr(op, "samples_of") and getattr(op, "partial_passes", True)
        )
        # the column store of gram(): centred columns, their atoms, Gram matrix, K_Wᵀ ỹ
        self.store = np.empty((n, 0), order="F")
        self._atoms = np.empty(0, dtype=np.int64)
        self._G = np.empty((0, 0))
        self._b = np.empty(0)
        self._cap = self._stored = 0
        self._means = None
        if fit_intercept and not self.reduced:
            self._means = op.rmatvec(np.full(n, 1.0 / n))

    def means(self, idx):
        if not self.fit_intercept:
            return np.zeros(idx.size)
        if self._means is not None:
            return self._means[idx]
        return self.op.columns(idx).mean(axis=0)

    def gram(self, W, yc):
        """``K_Wᵀ K_W``, ``K_Wᵀ ỹ`` and the columns' places in :attr:`store` for sorted ``W``.

        Centred columns are built once and kept in a store with their Gram
        matrix, so a working set that mostly repeats the previous one costs
        ``O(n |W| |new|)`` instead of ``O(n |W|²)``. When it is full the store
        is rebuilt around ``W`` with room for ``|W| / 8`` (at least 16) more:
        at most ``8 (2 n c + 2 c² + |W|²)`` bytes at a time, ``c ≤ 9 |W| / 8 + 16``.
        """
        n = yc.size
        m = self._stored
        atoms = self._atoms[:m]
        sorter = np.argsort(atoms, kind="stable")
        at = np.searchsorted(atoms, W, sorter=sorter) if m else np.zeros(W.size, dtype=np.int64)
        at = np.minimum(at, max(m - 1, 0))
        place = sorter[at] if m else at
        found = (atoms[place] == W) if m else np.zeros(W.size, dtype=bool)
        new = W[~found]
        if m + new.size > self._cap:
            # keep W's columns only (moved to the front), then make room
            keep = place[found]
            cap = W.size + max(W.size // 8, 16)
            buf = np.empty((n, cap), order="F")
            buf[:, : keep.size] = self.store[:, keep]
            G = np.empty((cap, cap))
            G[: keep.size, : keep.size] = self._G[np.ix_(keep, keep)]
            bvec = np.empty(cap)
            bvec[: keep.size] = self._b[keep]
            ids = np.empty(cap, dtype=np.int64)
            ids[: keep.size] = self._atoms[keep]
            self.store, self._G, self._b, self._atoms, self._cap = buf, G, bvec, ids, cap
            self._stored = m = keep.size
            return self.gram(W, yc)
        if new.size:
            Kn = self.centred_columns(new)
            top = m + new.size
            self.store[:, m:top] = Kn
            with np.errstate(over="ignore", invalid="ignore"):  # named just below
                cross = Kn.T @ self.store[:, :top]
            if not np.all(np.isfinite(cross)):
                top_abs = float(np.abs(Kn).max())
                raise ValueError(
                    f"the dictionary has columns with entries of magnitude up to {top_abs:.3g}: "
                    "their inner products overflow float64 (the largest float64 is about "
                    "1.8e308). Rescale the samples (or K): the Lasso over columns K / s has "
                    "coefficients s · coef"
                )
            self._G[m:top, :top] = cross
            self._G[:top, m:top] = cross.T
            self._b[m:top] = Kn.T @ yc
            self._atoms[m:top] = new
            place = place.copy()
            place[~found] = np.arange(m, top)
            self._stored = top
        return self._G[np.ix_(place, place)], self._b[place], place

    def centred_columns(self, idx):
        K = np.asfortranarray(self.op.columns(idx))
        if self.fit_intercept:
            K = K - K.mean(axis=0) if self._means is None else K - self._means[idx]
        return K

    def pool_size(self, grow):
        """Atoms a pass ranks: ``grow``, or for a reduced pass a pool of ten growths.

        At least ``_POOL_MIN`` unless the operator has partial passes.

        The pool's dense columns (up to twice the size: ``spread`` adds the best
        atom through each sample) stay within ``_POOL_BYTES`` and an eighth of the
        operator's ``memory_limit``.
        """
        if not self.reduced:
            return grow
        n = self.op.shape[0]
        budget = min(_POOL_BYTES, getattr(self.op, "memory_limit", 8 * _POOL_BYTES) / 8)
        cap = max(grow, int(budget // (16 * n)))
        # partial passes find what a pool would hold near the support: no floor then
        floor = 0 if self.local else _POOL_MIN
        return min(max(10 * grow, floor), cap, self.op.shape[1])

    def local_violators(self, r, samples, lam, grow, support=None):
        """Up to ``grow`` atoms through ``samples`` with ``|K_jᵀ r| > λ``, best first.

        Atoms of ``support`` (when given) are left out.
        """
        exclude = np.empty(0, dtype=np.int64) if support is None else support
        grow = min(grow, self.op.shape[1])
        _, _, idx, vals = self.op.top_correlations(r, grow + exclude.size, through=samples)
        keep = ~np.isin(idx, exclude) & (np.abs(vals) > lam * (1.0 + 1e-9))
        return idx[keep][:grow]

    def scores(self, r, grow, support):
        """``max_j |K_jᵀ r|`` and the ``grow`` atoms outside ``support`` that maximise it."""
        if self.reduced:
            top, _, idx, _ = self.op.top_correlations(r, grow + support.size, spread=True)
            idx = idx[~np.isin(idx, support)][: 2 * grow]
            return float(top), idx
        score = np.abs(self.op.rmatvec(r))
        top = float(score.max())
        if grow <= 0:
            return top, np.empty(0, dtype=np.int64)
        score[support] = -1.0
        return top, np.argpartition(-score, grow - 1)[:grow]


@dataclass
class LassoPath:
    """Solutions of :func:`lasso_path` along a grid of penalties.

    Attributes
    ----------
    alphas : ndarray of float64, shape (n_alphas,)
        Decreasing penalties.
    coefs : scipy.sparse.csc_matrix, shape (n_atoms, n_alphas)
        Coefficients, one column per penalty (sparse: supports are small).
    intercepts : ndarray of float64, shape (n_alphas,)
        Intercepts.
    objectives : ndarray of float64, shape (n_alphas,)
        Objective values.
    dual_gaps : ndarray of float64, shape (n_alphas,)
        Relative duality gaps.
    n_iters : ndarray of int64, shape (n_alphas,)
        Working-set rounds per penalty.
    """

    alphas: np.ndarray
    coefs: object
    intercepts: np.ndarray
    objectives: np.ndarray
    dual_gaps: np.ndarray
    n_iters: np.ndarray

    @property
    def supports(self) -> list:
        """list of ndarray: the indices of the non-zero coefficients at each penalty."""
        coefs = self.coefs.tocsc()
        return [coefs.indices[coefs.indptr[k] : coefs.indptr[k + 1]] for k in range(coefs.shape[1])]


def lasso_path(
    K,
    y,
    *,
    alphas=None,
    n_alphas: int = 100,
    eps: float = 1e-3,
    fit_intercept: bool = True,
    tol: float = 1e-6,
    max_iter: int = 500,
    verbose: bool = False,
    callback=None,
) -> LassoPath:
    """Lasso solutions along a decreasing grid of penalties, each warm-started.

    Parameters
    ----------
    K : array_like of shape (n_samples, n_atoms), or a dictionary
        As in :func:`lasso`.
    y : array_like, shape (n_samples,)
        Targets.
    alphas : array_like, optional
        Penalties; sorted in decreasing order. By default ``n_alphas`` values
        spaced geometrically from ``alpha_max`` down to ``eps * alpha_max``.
    n_alphas : int, default=100
        Grid size when ``alphas`` is not given.
    eps : float, default=1e-3
        Ratio of the smallest to the largest penalty of the default grid.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.
    tol : float, default=1e-6
        Relative duality gap at which each solve stops.
    max_iter : int, default=500
        Working-set rounds per penalty.
    verbose : bool, default=False
        Print one line per penalty.
    callback : callable, optional
        Passed to every :func:`lasso` call.

    Returns
    -------
    LassoPath

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> K = rng.normal(size=(30, 60))
    >>> path = lasso_path(K, K[:, 0] - K[:, 1], n_alphas=5)
    >>> [len(s) for s in path.supports][:2]
    [0, 2]
    """
    from scipy import sparse

    op = _as_operator(K)
    if alphas is None:
        n_alphas = as_positive_int(n_alphas, "n_alphas")
        eps = check_positive(eps, "eps")
        top = alpha_max(op, y, fit_intercept=fit_intercept)
        alphas = top * np.geomspace(1.0, eps, n_alphas) if top > 0 else np.zeros(1)
    else:
        alphas = np.sort(as_float_array(alphas, "alphas", min_ndim=1).ravel())[::-1]
        if alphas.size == 0 or alphas[-1] < 0:
            raise ValueError("alphas must be a non-empty array of non-negative penalties")
    coefs, intercepts, objectives, gaps, iters = [], [], [], [], []
    warm = None
    for alpha in alphas:
        res = lasso(
            op,
            y,
            float(alpha),
            fit_intercept=fit_intercept,
            tol=tol,
            max_iter=max_iter,
            warm_start=warm,
            callback=callback,
        )
        warm = res
        rows = (res.support, np.zeros(res.support.size, dtype=np.int64))
        coefs.append(sparse.csc_matrix((res.values, rows), shape=(res.n_atoms, 1)))
        intercepts.append(res.intercept)
        objectives.append(res.objective)
        gaps.append(res.dual_gap)
        iters.append(res.n_iter)
        if verbose:
            print(
                f"[lasso_path] alpha {alpha:.4g}: support {res.support.size}, "
                f"relative gap {res.dual_gap:.2e}"
            )
    return LassoPath(
        np.asarray(alphas, dtype=float),
        sparse.hstack(coefs, format="csc"),
        np.array(intercepts),
        np.array(objectives),
        np.array(gaps),
        np.array(iters, dtype=np.int64),
    )
