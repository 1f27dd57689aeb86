"""Two-layer ReLU networks with batch normalisation, trained as a convex program.

Overview
--------
The network is

.. math::

    f(X) = c\\,1 + \\sum_j v_j \\bigl(\\mathrm{BN}_{\\gamma_j, \\beta_j}(X w_j)\\bigr)_+,
    \\qquad \\mathrm{BN}_{\\gamma, \\beta}(z) = \\gamma \\frac{z - \\bar z 1}{\\lVert z -
    \\bar z 1 \\rVert} + \\beta 1,

with batch normalisation over the training batch (centre, divide by the norm of
the centred pre-activation, scale ``γ_j``, shift ``β_j``) and the objective of
docs/mathematics.md §0.1:

.. math::

    J = \\frac{1}{2n} \\lVert f(X) - y \\rVert^2
        + \\frac{\\alpha}{2} \\sum_j \\bigl(\\gamma_j^2 + \\beta_j^2 + v_j^2\\bigr),

the output intercept ``c`` unpenalised. The hidden weights ``w_j`` are
scale-free (BN divides their scale out) and carry no penalty.

**Whitening** (Ergen, Sahiner, Ozturkler, Pauly, Mardani and Pilanci,
*Demystifying batch normalization in ReLU networks*, ICLR 2022;
docs/mathematics.md §7.1). With the compact SVD of the centred data
``X - 1 x̄ᵀ = U Σ Vᵀ`` (``U`` is ``n × r``, ``r`` the rank), every centred
pre-activation ``X_c w = U (Σ Vᵀ w)`` lies in the range of ``U``, so

.. math::

    \\mathrm{BN}_{\\gamma, \\beta}(X w) = U (\\gamma q) + \\beta 1, \\qquad
    q = \\frac{\\Sigma V^\\top w}{\\lVert \\Sigma V^\\top w \\rVert},\\ \\lVert q \\rVert = 1,

and the neuron's coefficient vector ``s = (γ q, β)`` on ``[U, 1]`` has
``‖s‖² = γ² + β²`` — exactly the penalty. Every ``s`` is reached (``w = V
Σ⁻¹ q``). A BN network is therefore **a two-layer ReLU network on the
whitened samples** ``U`` whose hidden biases are penalised with the weights
(geolasso's ``bias="regularized"`` setting), plus the free intercept ``c``,
and its training problem is the convex program of docs/mathematics.md §2.2
over the activation patterns of ``[U, 1]`` (:mod:`geolasso.crelu`).

**Two conventions.** ``normalization="norm"`` (default) divides by the norm
of the centred pre-activation, as above and in the paper.
``normalization="std"`` divides by its (biased) standard deviation
``‖z_c‖ / √n``, as torch's ``BatchNorm1d`` does in training mode in the
limit ``eps → 0``: then ``BN = √n U (γ q) + β 1``, the program runs over
``[√n U, 1]``, and the penalised ``γ`` is torch's ``weight``. Between the
two, ``γ_std = γ_norm / √n`` for the same function. torch divides by
``√(‖z_c‖²/n + eps)`` with ``eps > 0`` (it refuses 0 in training; default
``1e-5``): :meth:`BatchNormReLUNetwork.to_torch` rescales ``w`` so that the
batch variance of every pre-activation is 1 and sets ``weight = γ_std √(1 +
eps)``, which gives the same outputs. For training by gradient descent, the
``eps`` term only makes torch's objective larger for the same function (its
``weight`` must be ``√(1 + eps/var)`` times larger), so no torch run can end
below the convex optimum; it reaches it only as the scale of ``w`` grows.

**Methods.**

* ``method="arrangement"`` (default): the program over the activation
  patterns of ``[U, 1]`` — exact, with a certificate, when the patterns are
  enumerated (``r + 1`` columns: ``O(n^r)`` patterns, practical for ``r <= 3``;
  sampled otherwise, an upper bound labelled so). The free intercept is found
  by a safeguarded secant search on the mean of the residual (the optimal
  value is convex in ``c``, and its derivative is minus that mean); each
  solve is warm-started from the previous one. The certificate prices every
  pattern at the centred residual: a dual point of the joint problem, so the
  gap bounds the distance to the optimum over ``c`` and the network.
* ``method="wedge"``: the wedge-product Lasso of the whitened samples
  (:class:`~geolasso.dictionary.WedgeDictionary` of ``U``, penalised bias):
  each neuron is a hyperplane through whitened samples (and coordinate
  directions) — the same samples in the original coordinates, the whitening
  being affine. With ``norm="l1"`` this is exact for the **ℓ1 form** of the
  penalty, ``(α/2) Σ_j ((‖γ_j q_j‖₁ + |β_j|)² + v_j²)``, the ℓ1 norm taken in
  the whitened coordinates (the principal axes of the centred data;
  docs/mathematics.md §4.3); with ``norm="l2"`` it is an upper bound on the
  BN objective above (docs/mathematics.md §4.4), certified against the
  enumerated patterns when they fit.

**Geometry.** BN changes where the hyperplanes live: a BN neuron is a
hyperplane in the whitened space ``{u : γ qᵀu + β = 0}``, i.e. an affine
hyperplane of the original space whose normal is ``V Σ⁻¹ q`` — whitening
stretches the data's thin directions, so hyperplanes that split the data
along a thin direction cost no more than along a wide one.

Examples
--------
See :class:`ConvexBatchNormReLU`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from ._constraints import COUNT, NONNEGATIVE, POSITIVE, RANDOM_STATE, at_least, options
from ._dual import dual_ratio, ray_bound
from ._pattern_pricing import price_patterns
from ._validation import as_float_array, check_positive, forget_fit, refuse_complex
from ._warnings import convergence_warnings_collected
from .arrangements import ActivationPatterns, pattern_count
from .auto import AUTO_MAX_PATTERNS, choose_patterns
from .bn_network import BatchNormReLUNetwork, Whitening, whiten
from .convex import WARM_START_ATOMS
from .crelu import solve_crelu, start_from_network, to_network
from .dictionary import DEFAULT_MEMORY_LIMIT, WedgeDictionary, dictionary_size
from .exceptions import ConvergenceWarning, MemoryLimitError
from .lasso import lasso
from .network import ReLUNetwork
from .progress import Progress

__all__ = [
    "BatchNormReLUNetwork",
    "ConvexBatchNormReLU",
    "ConvexBatchNormReLUClassifier",
    "Whitening",
    "alpha_max",
    "whiten",
]

#: Relative gap below which (and below tol) a fit is reported exact (as ConvexReLU).
EXACT_RTOL = 1e-6
#: Most solves of the intercept search.
MAX_INTERCEPT_SOLVES = 40


def alpha_max(
    X,
    y,
    *,
    normalization: str = "norm",
    fit_intercept: bool = True,
    patterns="auto",
    random_state=None,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
) -> float:
    """The smallest penalty at which the zero network (``f = c``) is optimal.

    ``max_i`` of the dual value of the centred targets over the patterns of
    ``[U, 1]``, divided by ``n`` (docs/mathematics.md §2.3; computed by
    the arrangement solver's pricing, an upper bound on each value that is
    exact at its NNLS optimum). Over sampled patterns it is that of the
    program over those patterns.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    y : array_like, shape (n_samples,)
    normalization : {"norm", "std"}, default="norm"
    fit_intercept : bool, default=True
    patterns : "auto", "exact", int or ActivationPatterns, default="auto"
    random_state : int, Generator or None, default=None
    memory_limit : int, default=2 GiB

    Returns
    -------
    float

    Examples
    --------
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0.0, 0.0, 1.0, 2.0])
    >>> top = alpha_max(X, y)
    >>> ConvexBatchNormReLU(alpha=1.01 * top).fit(X, y).n_neurons_
    0
    >>> ConvexBatchNormReLU(alpha=0.99 * top).fit(X, y).n_neurons_ > 0
    True
    """
    X = as_float_array(X, "X", shape_doc="(n_samples, n_features)")
    y = as_float_array(y, "y", shape_doc="(n_samples,)").reshape(-1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y has {y.shape[0]} entries; X has {X.shape[0]} samples")
    if normalization not in ("norm", "std"):
        raise ValueError(f"normalization must be 'norm' or 'std'; got {normalization!r}")
    white = whiten(X)
    n = X.shape[0]
    Z = white.U * (1.0 if normalization == "norm" else math.sqrt(n))
    patterns = choose_patterns(
        Z, patterns, bias="regularized", random_state=random_state, memory_limit=memory_limit
    )
    lam = y - y.mean() if fit_intercept else y
    values = _pattern_values(Z, lam, patterns, "l2", -1.0)
    return float(np.max(values, initial=0.0)) / n


# ---------------------------------------------------------------------- solving
@dataclass
class _Solved:
    """What a route returns: the network on the whitened samples and its certificate."""

    inner: ReLUNetwork
    objective: float
    lower_bound: float
    exact_possible: bool
    n_iter: int
    extra: dict


def _pattern_values(Z, lam, patterns, norm, threshold):
    """Upper bounds on every pattern's dual value at ``±λ`` over ``[Z, 1]`` (whole vector
    penalised: the BN program's setting), by the arrangement solver's pricing."""
    Za = np.column_stack([Z, np.ones(Z.shape[0])])
    return price_patterns(Za, patterns.patterns, lam, Za.shape[1], False, norm, False, threshold)


def _residual_bound(Z, y, residual, alpha, patterns, norm, fit_intercept):
    """A dual lower bound from a residual: price every pattern of ``[Z, 1]`` at it.

    With an intercept the residual is centred first (the joint problem's dual
    points are orthogonal to ``1``). Valid for the optimum over ``patterns``
    (over every network when they are enumerated).
    """
    n = Z.shape[0]
    y_t = y - y.mean() if fit_intercept else y
    lam = residual - residual.mean() if fit_intercept else residual
    values = _pattern_values(Z, lam, patterns, norm, n * alpha)
    return ray_bound(y_t, lam, dual_ratio(values, n * alpha))


class _InterceptSearch:
    """The root of ``g(c)``, the mean residual at the optimum for intercept ``c``.

    ``g`` is non-increasing with slope in ``[-1, 0]`` (``P(c)`` is convex with
    ``P' = -g``, and the optimal fit moves by at most the shift of the
    targets) and piecewise linear (the solution is affine in ``c`` while its
    active set stays). So every evaluation bounds the root: ``g(c) > 0`` puts
    it at or above ``c + g``, ``g(c) < 0`` at or below ``c + g``. The next
    intercept is the Illinois regula falsi step once the root is bracketed
    (a growing secant step before), kept inside those bounds — and the bound
    itself when the step would leave them (the unit-slope step, exact on a
    piece of slope ``-1``).
    """

    def __init__(self, c0):
        self.c = c0
        self.last = None  # (c, g) of the previous evaluation before a bracket
        self.lo = None  # (c, g) with g > 0
        self.hi = None  # (c, g) with g < 0
        self.floor = -math.inf  # the root is at least this
        self.ceiling = math.inf  # ... and at most this
        self.kept = None  # which end was kept last (Illinois)
        self.widths = []  # ceiling - floor after each bracketed evaluation

    def next(self, c, g):
        """The next intercept to try after ``g(c) = g``; None when no progress is possible."""
        side = "lo" if g > 0 else "hi"
        setattr(self, side, (c, g))
        if g > 0:
            self.floor = max(self.floor, c + g)
        else:
            self.ceiling = min(self.ceiling, c + g)
        if self.lo is None or self.hi is None:
            step = g
            if self.last is not None and self.last[1] != g:
                secant = -g * (c - self.last[0]) / (g - self.last[1])
                grow = 2.0 * abs(c - self.last[0])
                step = math.copysign(max(abs(secant), grow), g) if secant * g > 0 else g
            self.last = (c, g)
            new = c + step
        else:
            if self.kept is not None and self.kept != side:
                # the other end stayed twice: halve its value (Illinois)
                end = self.lo if self.kept == "lo" else self.hi
                setattr(self, self.kept, (end[0], end[1] / 2))
            self.kept = "hi" if side == "lo" else "lo"
            (a, ga), (b, gb) = self.lo, self.hi
            new = (a * gb - b * ga) / (gb - ga)
        if self.floor <= self.ceiling:
            # outside the bounds: the bound on this evaluation's side (its unit-slope step)
            if not (self.floor <= new <= self.ceiling):
                new = c + g
            new = min(max(new, self.floor), self.ceiling)
            if math.isfinite(self.ceiling - self.floor):
                self.widths.append(self.ceiling - self.floor)
                if len(self.widths) >= 3 and self.widths[-1] > 0.5 * self.widths[-3]:
                    new = 0.5 * (self.floor + self.ceiling)  # slow: bisect (at most every other)
                    self.widths.append(self.widths[-1] / 2)
        return None if new == c or not math.isfinite(new) else float(new)


def _wedge_start(Z, y, alpha, patterns, norm):
    """A starting intercept and network: the wedge Lasso's of the whitened samples.

    Its intercept is the exact one of a near-optimal upper bound
    (docs/mathematics.md §4.4), usually close to the optimum's; used when its
    exhaustive dictionary has at most ``WARM_START_ATOMS`` atoms, else the
    mean of ``y`` and no start.
    """
    n, r = Z.shape
    if dictionary_size(n, r, bias="regularized", generators="data+basis") > WARM_START_ATOMS:
        return float(y.mean()), None
    D = WedgeDictionary(Z, bias="regularized", norm=norm, check_input=False)
    # only a starting point: whether its Lasso converged does not matter
    with convergence_warnings_collected():
        res = lasso(D, y, alpha, fit_intercept=True, tol=1e-6)
    net = ReLUNetwork.from_lasso(D, res, 0.0)
    start, _ = start_from_network(net, patterns, Z)
    return float(res.intercept), start


def _solve_arrangement(Z, y, alpha, patterns, norm, fit_intercept, tol, max_rounds, progress):
    """The program over ``patterns`` with penalised biases, and a free intercept when asked.

    Without the intercept, one :func:`~geolasso.crelu.solve_crelu`. With it, a
    safeguarded secant search for the ``c`` at which the residual has mean 0
    (the optimal value ``P(c)`` is convex and ``P'(c)`` is minus that mean),
    each solve at targets ``y - c`` warm-started from the last; it stops when
    the joint certificate (:func:`_residual_bound`) is within ``tol``.
    """

    def solve(c, start):
        res = solve_crelu(
            Z, y - c, alpha, patterns, norm=norm, tol=tol / 10, max_rounds=max_rounds, start=start
        )
        net = to_network(res, patterns, norm)
        net.c += c
        r = y - net.predict(Z, check_input=False)
        return res, net, r

    if not fit_intercept:
        res, net, _ = solve(0.0, None)
        return _Solved(
            net,
            res.objective,
            res.lower_bound,
            bool(patterns.exact),
            res.n_rounds,
            {"solution": res},
        )
    c0, start = _wedge_start(Z, y, alpha, patterns, norm)
    search = _InterceptSearch(c0)
    best = None
    solves = 0
    c = search.c
    while solves < MAX_INTERCEPT_SOLVES:
        res, net, r = solve(c, start)
        solves += 1
        start = (res.pattern, res.sign, res.coef)
        g = float(r.mean())
        lower = _residual_bound(Z, y, r, alpha, patterns, norm, True)
        # the inner objective is penalty + loss at targets y - c; the intercept c + g is
        # the best one for these neurons (the loss drops by g² / 2)
        primal = res.objective + (float((r - g) @ (r - g)) - float(r @ r)) / (2 * len(y))
        net.c += g
        if best is None or primal - lower < best[1] - best[2]:
            best = (net, primal, lower, res)
        progress(solves, primal, primal - lower, res.coef.shape[0])
        if primal - lower <= tol * primal or g == 0.0:
            break
        c = search.next(c, g)
        if c is None:
            break
    net, primal, lower, res = best
    extra = {"solution": res, "intercept_solves": solves}
    return _Solved(net, primal, lower, bool(patterns.exact), solves, extra)


def _solve_wedge(
    Z,
    y,
    alpha,
    patterns,
    norm,
    fit_intercept,
    generators,
    max_atoms,
    tol,
    max_iter,
    random_state,
    memory_limit,
    certify,
):
    """The wedge-product Lasso of the whitened samples (penalised biases)."""
    D = WedgeDictionary(
        Z,
        bias="regularized",
        norm=norm,
        generators=generators,
        max_atoms=None if max_atoms == "auto" else max_atoms,
        random_state=random_state,
        memory_limit=memory_limit,
        check_input=False,
    )
    res = lasso(D, y, alpha, fit_intercept=fit_intercept, tol=tol, max_iter=max_iter)
    net = ReLUNetwork.from_lasso(D, res, res.intercept)
    # the Lasso's gap is relative to P(0)
    y_t = y - y.mean() if fit_intercept else y
    p0 = float(y_t @ y_t) / (2 * len(y))
    lower = res.objective - res.dual_gap * p0
    exact_possible = bool(D.exact)
    if norm == "l2" and certify and patterns is not None:
        # an upper bound on the weight-decay optimum: bound it from below by the patterns
        r = y - net.predict(Z, check_input=False)
        lower = _residual_bound(Z, y, r, alpha, patterns, norm, fit_intercept)
        exact_possible = bool(patterns.exact)
    extra = {"dictionary": D, "support": np.asarray(res.support)}
    return _Solved(net, res.objective, lower, exact_possible, res.n_iter, extra)


# ---------------------------------------------------------------------- the estimators
class ConvexBatchNormReLU(RegressorMixin, BaseEstimator):
    """A two-layer ReLU network with batch normalisation, trained to its global optimum.

    See the module overview (:mod:`geolasso.batchnorm`) for the network, the
    whitening that makes its training convex, and what is exact.

    Parameters
    ----------
    alpha : float, default=1e-3
        Weight decay on ``(γ, β, v)`` (docs/mathematics.md §0.1 scaling; the
        papers' ``β = n α``).
    method : {"arrangement", "wedge"}, default="arrangement"
        The convex program over activation patterns of the whitened samples
        (exact when enumerated), or the wedge-product Lasso of the whitened
        samples (exact for ``norm="l1"``).
    norm : {"l2", "l1"}, default="l2"
        ``"l2"``: BN's weight decay ``γ² + β²``; ``"l1"``: its ℓ1 form in the
        whitened coordinates (module overview).
    normalization : {"norm", "std"}, default="norm"
        Divide the centred pre-activation by its norm (the paper) or by its
        biased standard deviation (torch's ``BatchNorm1d`` as ``eps → 0``; the
        penalised ``γ`` is then torch's weight).
    fit_intercept : bool, default=True
        Fit the unpenalised output intercept ``c``.
    patterns : "auto", "exact", int or ActivationPatterns, default="auto"
        The activation patterns of ``[U, 1]`` (as in
        :class:`~geolasso.ConvexReLU`): enumerated when at most 100,000 can
        exist, else 2,000 sampled gates with a warning (an upper bound).
        ``method="wedge"`` with ``norm="l2"`` uses them for its certificate.
    generators : {"data+basis", "data"}, default="data+basis"
        ``method="wedge"``: generators of the hyperplanes.
    max_atoms : "auto", int or None, default="auto"
        ``method="wedge"``: ``"auto"`` or None for the exhaustive dictionary, an
        int for a seeded sample of that many atoms (an upper bound).
    tol : float, default=1e-8
        Relative duality gap at which the solvers stop.
    max_iter : int, default=500
        Pricing rounds (arrangement) or working-set rounds (wedge).
    certify : bool, default=True
        ``method="wedge"``, ``norm="l2"``: bound the fit from below by pricing the patterns.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of sampled patterns or atoms.
    memory_limit : int, default=2 GiB
        Budget in bytes for the patterns or the dictionary.
    verbose : bool, default=False
        Progress over the intercept search (a bar on a terminal, plain lines
        in logs; :class:`~geolasso.convex.ConvexReLU`).

    Attributes
    ----------
    network_ : BatchNormReLUNetwork
        The BN network, with the training batch's statistics stored. For the
        classifier its outputs fit the labels as ``±1`` (``classes_[1]`` is
        ``+1``): pass those to ``network_.objective``.
    objective_ : float
        The convex objective reached; equal to ``network_.objective(X, y,
        alpha)`` (training mode) for ``norm="l2"``.
    lower_bound_ : float
        A certified lower bound on the optimum (over the patterns solved over,
        over every network when they were enumerated or the dictionary is exact).
    optimality_gap_ : float
        ``objective_ - lower_bound_``.
    relative_gap_ : float
        ``optimality_gap_ / objective_``.
    exact_ : bool
        The global optimum up to ``optimality_gap_``: enumerated patterns (or
        the exact ℓ1 dictionary) and a relative gap at most ``max(tol, 1e-6)``.
    whitening_ : Whitening
        Mean, principal axes and singular values of the training batch.
    features_ : list of dict
        Per neuron: ``gamma``, ``beta``, ``output_weight``, ``direction`` (``q``
        in whitened coordinates), ``weight`` and ``bias`` (the neuron's
        hyperplane ``weightᵀx + bias = 0`` in the original coordinates, scaled
        so that its value on a training sample is the BN output), ``active``
        (samples where the neuron is on), ``on_hyperplane`` (training samples
        on the hyperplane), and with ``method="wedge"`` its generators
        ``samples`` and ``axes``.
    inner_network_ : ReLUNetwork
        The same network on the whitened samples (weights ``γ q``, biases ``β``).
    patterns_ : ActivationPatterns or None
    dictionary_ : WedgeDictionary or None
    n_neurons_, intercept_, n_iter_, n_features_in_

    Examples
    --------
    Four points on a line with a kink at the third: BN makes the scale of
    ``X`` irrelevant.

    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0.0, 0.0, 1.0, 2.0])
    >>> a = ConvexBatchNormReLU(alpha=1e-3).fit(X, y)
    >>> b = ConvexBatchNormReLU(alpha=1e-3).fit(1000 * X, y)
    >>> a.exact_, bool(np.isclose(a.objective_, b.objective_, rtol=1e-7))
    (True, True)
    >>> bool(np.isclose(a.network_.objective(X, y, 1e-3), a.objective_, rtol=1e-9))
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": [POSITIVE],
        "method": [options("arrangement", "wedge")],
        "norm": [options("l1", "l2")],
        "normalization": [options("norm", "std")],
        "fit_intercept": ["boolean"],
        "generators": [options("data+basis", "data")],
        "max_atoms": [at_least(2), options("auto"), None],
        "patterns": [options("auto", "exact"), at_least(1), ActivationPatterns],
        "tol": [NONNEGATIVE],
        "max_iter": [COUNT],
        "certify": ["boolean"],
        "random_state": RANDOM_STATE,
        "memory_limit": [POSITIVE],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        alpha=1e-3,
        *,
        method="arrangement",
        norm="l2",
        normalization="norm",
        fit_intercept=True,
        patterns="auto",
        generators="data+basis",
        max_atoms="auto",
        tol=1e-8,
        max_iter=500,
        certify=True,
        random_state=None,
        memory_limit=DEFAULT_MEMORY_LIMIT,
        verbose=False,
    ):
        self.alpha = alpha
        self.method = method
        self.norm = norm
        self.normalization = normalization
        self.fit_intercept = fit_intercept
        self.patterns = patterns
        self.generators = generators
        self.max_atoms = max_atoms
        self.tol = tol
        self.max_iter = max_iter
        self.certify = certify
        self.random_state = random_state
        self.memory_limit = memory_limit
        self.verbose = verbose

    def _whitened(self, X):
        white = whiten(X)
        unit = 1.0 if self.normalization == "norm" else math.sqrt(X.shape[0])
        return white, white.U * unit, unit

    def _fit(self, X, y):
        self._validate_params()
        alpha = check_positive(self.alpha, "alpha")
        forget_fit(self, keep=("n_features_in_", "feature_names_in_", "classes_"))
        white, Z, unit = self._whitened(X)
        patterns = None
        if self.method == "arrangement":
            patterns = choose_patterns(
                Z,
                self.patterns,
                bias="regularized",
                random_state=self.random_state,
                memory_limit=self.memory_limit,
                checked=True,
                stacklevel=4,
            )
        elif (
            self.norm == "l2"
            and self.certify
            and (
                isinstance(self.patterns, ActivationPatterns)
                or pattern_count(X.shape[0], white.rank + 1) <= AUTO_MAX_PATTERNS
            )
        ):
            # the certificate of the wedge-ℓ2 upper bound: only over enumerated patterns
            try:
                patterns = choose_patterns(
                    Z,
                    "exact" if isinstance(self.patterns, str) else self.patterns,
                    bias="regularized",
                    random_state=self.random_state,
                    memory_limit=self.memory_limit,
                    checked=True,
                )
            except MemoryLimitError:
                patterns = None  # no certificate fits: exact_ stays False
        progress = Progress(self.verbose, "geolasso fit")
        try:
            if self.method == "arrangement":
                solved = _solve_arrangement(
                    Z,
                    y,
                    alpha,
                    patterns,
                    self.norm,
                    self.fit_intercept,
                    self.tol,
                    self.max_iter,
                    progress,
                )
            else:
                solved = _solve_wedge(
                    Z,
                    y,
                    alpha,
                    patterns,
                    self.norm,
                    self.fit_intercept,
                    self.generators,
                    self.max_atoms,
                    self.tol,
                    self.max_iter,
                    self.random_state,
                    self.memory_limit,
                    self.certify,
                )
        finally:
            progress.close()
        self.whitening_ = white
        self.patterns_ = patterns
        self.dictionary_ = solved.extra.get("dictionary")
        self.solution_ = solved.extra.get("solution")
        self._support = solved.extra.get("support")
        self.inner_network_ = solved.inner
        self.objective_ = float(solved.objective)
        self.lower_bound_ = float(min(solved.lower_bound, solved.objective))
        self.optimality_gap_ = self.objective_ - self.lower_bound_
        self.relative_gap_ = self.optimality_gap_ / self.objective_ if self.objective_ > 0 else 0.0
        self.exact_ = bool(
            solved.exact_possible
            and math.isfinite(self.relative_gap_)
            and self.relative_gap_ <= max(self.tol, EXACT_RTOL)
        )
        if self.method == "arrangement" and self.relative_gap_ > max(self.tol, EXACT_RTOL):
            warnings.warn(
                f"ConvexBatchNormReLU stopped at a certified relative gap of "
                f"{self.relative_gap_:.2e} (tol = {self.tol:g}); try a larger alpha or max_iter",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.n_iter_ = solved.n_iter
        self.network_ = self._bn_network(solved.inner, white, unit, X)
        self.intercept_ = self.network_.c
        self.n_neurons_ = self.network_.n_neurons
        self.features_ = self._features(solved.inner, white, unit, Z, X)
        return self

    def _bn_network(self, inner, white, unit, X):
        """The BN network of a network on the whitened samples (module overview)."""
        A = inner.W  # (m, r): each row γ q, the neuron's weights on unit · U
        sizes = np.linalg.norm(A, axis=1)
        Q = np.where(sizes[:, None] > 0, A / np.where(sizes > 0, sizes, 1.0)[:, None], 0.0)
        Q[sizes == 0, 0] = 1.0  # γ = 0: any direction
        W = np.array([white.direction(q) for q in Q]).reshape(-1, X.shape[1])
        net = BatchNormReLUNetwork(
            W, sizes, inner.b, inner.v, inner.c, normalization=self.normalization
        )
        return net.fix_statistics(X)

    def _features(self, inner, white, unit, Z, X):
        records = []
        D = self.dictionary_
        Za = np.column_stack([Z, np.ones(Z.shape[0])])
        support = self._support
        for k in range(inner.n_neurons):
            a, b = inner.W[k], float(inner.b[k])
            pre = Z @ a + b
            scale = np.abs(Za).max(axis=0) @ np.abs(np.append(a, b))
            # the hyperplane in the original coordinates: pre = unit · (x - x̄) V Σ⁻¹ a + b
            weight = unit * white.direction(a)
            record = {
                "neuron": k,
                "gamma": float(self.network_.gamma[k]),
                "beta": b,
                "output_weight": float(inner.v[k]),
                "direction": a / np.linalg.norm(a) if np.linalg.norm(a) > 0 else np.zeros_like(a),
                "weight": weight,
                "bias": b - float(weight @ white.mean),
                "active": np.flatnonzero(pre > 0),
                "on_hyperplane": np.flatnonzero(np.abs(pre) <= 1e-9 * max(scale, 1e-300)),
            }
            if D is not None and support is not None:
                samples, axes = D.generators_of(int(support[k]))
                record["samples"], record["axes"] = list(samples), list(axes)
            records.append(record)
        return records

    def fit(self, X, y):
        """Train the BN network to its (certified) global optimum.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            The training batch (at least two distinct samples).
        y : array_like, shape (n_samples,)
            Targets.

        Returns
        -------
        self
        """
        from sklearn.utils.validation import validate_data

        refuse_complex(X, "X")
        refuse_complex(y, "y")
        X, y = validate_data(
            self,
            X,
            y,
            dtype=np.float64,
            order="C",
            y_numeric=True,
            multi_output=False,
            ensure_min_samples=2,
        )
        return self._fit(X, y)

    def predict(self, X):
        """Outputs of the fitted network, BN with the training batch's statistics.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples,)
        """
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self)
        refuse_complex(X, "X")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.network_.predict(X)

    def describe(self, top: int | None = 10) -> str:
        """The BN neurons in words: their hyperplanes, in the original coordinates.

        Parameters
        ----------
        top : int or None, default=10
            Neurons to list, by decreasing ``|v| √(γ² + β²)``; all when None.

        Returns
        -------
        str
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        order = sorted(
            self.features_,
            key=lambda f: -abs(f["output_weight"]) * math.hypot(f["gamma"], f["beta"]),
        )
        shown = order if top is None else order[:top]
        kind = "exact" if self.exact_ else "upper bound"
        lines = [
            f"{self.n_neurons_} BN neurons, objective {self.objective_:.10g} ({kind}; certified "
            f"gap {self.optimality_gap_:.2e}); whitened rank {self.whitening_.rank}; samples "
            "are 0-based rows of X"
        ]
        for f in shown:
            if "samples" in f and (f["samples"] or f["axes"]):
                where = "hyperplane through sample" + ("s " if len(f["samples"]) != 1 else " ")
                where += ", ".join(map(str, f["samples"])) or "none"
                if f["axes"]:
                    where += " (and whitened axes " + ", ".join(map(str, f["axes"])) + ")"
            elif f["on_hyperplane"].size:
                where = "hyperplane through sample" + ("s " if f["on_hyperplane"].size > 1 else " ")
                where += ", ".join(map(str, f["on_hyperplane"].tolist()))
            else:
                where = f"active on {f['active'].size} samples"
            lines.append(
                f"  neuron {f['neuron']}: {where}; gamma {f['gamma']:.4g}, beta "
                f"{f['beta']:+.4g}, output weight {f['output_weight']:+.4g}"
            )
        if len(shown) < len(order):
            lines.append(f"  ... and {len(order) - len(shown)} more")
        return "\n".join(lines)

    def to_torch(self, *, eps: float = 1e-5, dtype=None):
        """The fitted network as ``Linear → BatchNorm1d → ReLU → Linear`` (torch).

        See :meth:`BatchNormReLUNetwork.to_torch`: the same outputs in
        ``train()`` mode on the training batch and in ``eval()`` mode on any samples.

        Parameters
        ----------
        eps : float, default=1e-5
            torch's ``eps`` (> 0).
        dtype : torch.dtype, optional
            Default ``torch.float64``.

        Returns
        -------
        torch.nn.Sequential
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        return self.network_.to_torch(eps=eps, dtype=dtype)


class ConvexBatchNormReLUClassifier(ClassifierMixin, ConvexBatchNormReLU):
    """The BN network trained to its global optimum on two-class labels (±1, squared loss).

    The labels are mapped to ``-1`` (``classes_[0]``) and ``+1``
    (``classes_[1]``); ``predict`` returns the class of the sign of the
    network output. Attributes as :class:`ConvexBatchNormReLU`, plus ``classes_``.

    Parameters
    ----------
    alpha : float, default=1e-3
        See :class:`ConvexBatchNormReLU`.
    method : {"arrangement", "wedge"}, default="arrangement"
        See :class:`ConvexBatchNormReLU`.
    norm : {"l2", "l1"}, default="l2"
        See :class:`ConvexBatchNormReLU`.
    normalization : {"norm", "std"}, default="norm"
        See :class:`ConvexBatchNormReLU`.
    fit_intercept : bool, default=True
        See :class:`ConvexBatchNormReLU`.
    patterns : "auto", "exact", int or ActivationPatterns, default="auto"
        See :class:`ConvexBatchNormReLU`.
    generators : {"data+basis", "data"}, default="data+basis"
        See :class:`ConvexBatchNormReLU`.
    max_atoms : "auto", int or None, default="auto"
        See :class:`ConvexBatchNormReLU`.
    tol : float, default=1e-8
        See :class:`ConvexBatchNormReLU`.
    max_iter : int, default=500
        See :class:`ConvexBatchNormReLU`.
    certify : bool, default=True
        See :class:`ConvexBatchNormReLU`.
    random_state : int, numpy.random.Generator or None, default=None
        See :class:`ConvexBatchNormReLU`.
    memory_limit : int, default=2 GiB
        See :class:`ConvexBatchNormReLU`.
    verbose : bool, default=False
        See :class:`ConvexBatchNormReLU`.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [1.0, 0.1], [0.0, 1.0], [1.0, 1.2], [0.5, 2.0]])
    >>> model = ConvexBatchNormReLUClassifier(alpha=1e-3).fit(X, ["a", "a", "b", "b", "b"])
    >>> model.score(X, ["a", "a", "b", "b", "b"]), model.exact_
    (1.0, True)
    """

    def fit(self, X, y):
        """Train on two-class labels.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : array_like, shape (n_samples,)
            Labels of exactly two classes.

        Returns
        -------
        self
        """
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import validate_data

        refuse_complex(X, "X")
        refuse_complex(y, "y")
        X, y = validate_data(
            self, X, y, dtype=np.float64, order="C", multi_output=False, ensure_min_samples=2
        )
        check_classification_targets(y)
        classes, encoded = np.unique(y, return_inverse=True)
        if classes.size != 2:
            raise ValueError(
                "Only binary classification is supported: ConvexBatchNormReLUClassifier fits "
                f"labels ±1 with the squared loss, and y has {classes.size} classes: "
                f"{classes.tolist()[:10]}. For more classes, fit one per class (one-vs-rest)."
            )
        self.classes_ = classes
        return self._fit(X, np.where(encoded == 1, 1.0, -1.0))

    def decision_function(self, X):
        """Network outputs; positive means ``classes_[1]``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        ndarray of float64, shape (n_samples,)
        """
        return ConvexBatchNormReLU.predict(self, X)

    def predict(self, X):
        """Predicted labels: ``classes_[1]`` where the network output is positive.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples,)
        """
        scores = self.decision_function(X)  # checks that the model is fitted
        return self.classes_[(scores > 0).astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags
