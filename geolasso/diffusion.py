"""Score models of diffusion, trained as convex programs.

Overview
--------
A score model estimates ``∇ log p`` of the distribution the samples
``x_1, …, x_n`` come from; Langevin dynamics with it draws new samples
(Song and Ermon, 2019). :class:`ConvexScoreModel` uses the two-layer ReLU
network

.. math::

    s(x) = c + A x + \\sum_j v_j \\,(w_j^\\top x + b_j)_+

(``A = 0`` except for the linear skip of ``objective="sm"``) and trains it by
the convex programs of Zhang and Pilanci (2024; docs/mathematics.md §7.4), in
geolasso's mean scaling (docs/mathematics.md §0.1, ``β = n α``).

**Denoising score matching** (``objective="dsm"``, any dimension). At each
noise level ``σ_1 > … > σ_L`` the samples are repeated ``n_noise`` times
(``N = n · n_noise`` rows) and noised, ``x̃ = x + σ ε`` with ``ε`` standard
normal (seeded by ``random_state``); the score of the Gaussian kernel at
``x̃`` is ``−ε / σ``, and the level's network ``s_σ`` minimises

.. math::

    J_\\sigma = \\frac{1}{2N} \\sum \\lVert s_\\sigma(\\tilde x) + \\varepsilon/\\sigma
        \\rVert^2 + \\frac{\\alpha}{2} \\sum_j \\bigl(\\lVert w_j\\rVert^2 +
        \\lVert v_j \\rVert^2\\bigr),

the same ``alpha`` at every level. That is a two-layer ReLU regression of
the targets ``−ε/σ`` on the noisy samples, solved by
:class:`~geolasso.convex.ConvexReLU` with ``norm="l2"`` (standard weight
decay, free biases and intercept): in 1-D over the exhaustive ramp
dictionary, **exact**, each level with its certificate; in ``d >= 2`` one
network per coordinate of the score (each neuron feeds one output, a
feasible network of the shared-hidden-layer architecture with the same
objective), each fitted by the arrangement program over ``patterns``
sampled activation patterns (the same for every coordinate of a level):
an **upper bound** on the optimum, ``exact_`` False. Song and Ermon weight
the level ``σ`` by ``λ(σ) = σ²``; the levels share no parameter, so any
positive weights give the same networks, and ``objective_`` reports the
weighted total ``Σ_l σ_l² J_{σ_l}``.

**Explicit score matching** (``objective="sm"``, 1-D). Hyvärinen's objective

.. math::

    J = \\frac1n \\sum_i \\Bigl[\\tfrac12 s(x_i)^2 + s'(x_i)\\Bigr]
        + \\frac{\\alpha}{2} \\sum_j (w_j^2 + v_j^2),

with the intercept ``c`` and (``linear_skip=True``, default) the slope ``a``
of the skip ``a x`` free. Rescaling each neuron to ``|w_j| = 1`` (penalty
``α |z_j|`` for the ramp ``z_j (±(x − t_j))_+``) gives, with ``A_ij`` the
ramps' values and ``b_j = Σ_i ramp_j'(x_i)`` their derivative sums,

.. math::

    \\min_{z, a, c}\\ \\frac{1}{2n} \\lVert a x + c 1 + A z \\rVert^2
        + \\frac1n \\bigl(n a + b^\\top z\\bigr) + \\alpha \\lVert z \\rVert_1 .

*Which breakpoints.* For a residual vector ``r`` (the score at the samples)
the dual constraint of the ramp ``(x − t)_+`` is ``|g(t)| <= α`` with
``n g(t) = Σ_{x_i > t} [(x_i − t) r_i + 1]``: linear in ``t`` between
samples, continuous in its first part and jumping by the multiplicity
``m_k`` of ``x_k`` in the second. Its supremum is therefore approached at
the samples, from one side or the other, and the two one-sided limits at
``x_k`` are two atoms with the same values ``(x_i − x_k)_+`` and derivative
sums differing by ``m_k``: "closed" (``x_k`` inactive: ``t → x_k⁺``) and
"open" (``x_k`` active: ``t → x_k⁻``); likewise for ``(t − x)_+``. Beyond
the samples ``g`` is constant because the free ``c`` (and ``a``) make
``Σ r_i = 0`` (and ``Σ x_i r_i = −n``). So the 4 atoms per distinct sample
describe every network, and the program over them is the infimum of ``J``
over networks of any width. Both versions are limits: a network reaches
them with the kink ``t = x_k ± ε``. Of the pair only the cheaper one is
ever used: with ``z > 0`` the one with the smaller ``b``, and the pair
merges into one atom with the mean derivative sum and the weight
``α − m_k / (2n)`` in the ℓ1 norm (``t = x_k + sign(z) ε`` in both
directions). With the skip, ``(t − x)_+ = (x − t)_+ − (x − t)`` and the
second direction duplicates the first.

*Reduced program.* Minimising over the free ``(a, c)`` first (``F = [x,
1]`` or ``F = 1``, ``M`` the projection off its columns, ``h = x̃ / v`` with
``x̃ = x − x̄`` and ``v = ‖x̃‖²/n`` when the skip is present, else ``h = 0``):

.. math::

    \\min_z\\ \\tfrac12 z^\\top Q z + \\bar q^\\top z + \\sum_j \\alpha_j |z_j|
        - \\frac{\\lVert h\\rVert^2}{2n},\\qquad Q = \\frac{(MA)^\\top MA}{n},\\
        \\bar q = \\frac{\\bar b - A^\\top h}{n},\\ \\alpha_j = \\alpha - \\frac{m_j}{2n};

with the skip the constant is the Gaussian fit's objective ``−1/(2v)``
(``z = 0``: the score ``−(x − x̄)/v``), and ``q̄_j`` is the Stein discrepancy
of ramp ``j`` under that Gaussian.

*Bounded below.* With ``x_(1) < … < x_(K)`` the distinct samples and
``m_k`` their multiplicities, the program (and ``J``) is bounded below if
and only if

.. math::

    \\alpha \\ge \\alpha_{\\min} = \\frac{\\max(m_1,\\ m_K,\\ \\max_{1<k<K} m_k/2)}{n}

(``1/n`` for distinct samples; with or without the skip). Below it the
open ramp at the largest sample, zero on the data but of derivative 1 at
``x_(K)``, lowers ``J`` without bound; above it a dual point exists
(choose ``n g`` halfway between its one-sided values at every sample).
:func:`score_matching_alpha_range` returns ``alpha_min`` and ``alpha_max``,
the smallest penalty with ``z = 0`` (the Gaussian fit with the skip, the
zero score without it).

*Solver and certificate.* A working set of atoms, each restricted program
solved exactly by feature-sign search (:mod:`geolasso._feature_sign`), the
violators of the dual constraints added between rounds. The dual of ``min
½ zᵀQz + q̄ᵀz + Σ α_j |z_j|`` (``Q = BᵀB``, ``B = MA/√n``) is ``max −½‖λ‖²``
subject to ``|(Bᵀλ)_j + q̄_j| <= α_j``; written in the scores ``r = √n λ − h``
at the samples it reads: for every ``r`` with ``Σ r_i = 0`` (and ``Σ x_i r_i
= −n`` with the skip) and

.. math::

    \\Bigl|\\sum_i \\bigl[\\varphi_j(x_i)\\, r_i + \\varphi_j'(x_i)\\bigr]\\Bigr|
        \\le n \\alpha \\quad\\text{for both one-sided versions of every atom,}

``J(network) >= −‖r‖² / (2n)`` for every network of any width (the
constraint then holds at every breakpoint ``t``, by the argument above).
The dual point is the iterate's own score ``θ MAz − h`` with the best
``θ``, mixed as little as needed with the halfway point of the
boundedness proof (strictly feasible for ``alpha > alpha_min``), every
atom checked by cumulative sums over the sorted samples. The gap bounds
``objective_ − J*`` (``J*`` the infimum over all networks); ``exact_`` is
True when the bound is finite and the gap is at most ``max(tol, 1e-6)``
times ``max(|J|, 1/(2v))``. Close to ``alpha_min`` the optimal slopes are
huge (about ``10⁶`` on data of unit scale at ``1.01 alpha_min``, ``n =
300``) and rounding limits the certified gap to about ``1e-4`` (``exact_``
False, with a :class:`~geolasso.exceptions.ConvergenceWarning`); at
``alpha = alpha_min`` exactly the dual set has no interior and the
certificate can fail.

**Sampling** (:meth:`ConvexScoreModel.sample`): annealed Langevin dynamics
(Song and Ermon, 2019) for ``"dsm"``, plain Langevin for ``"sm"``; see the
method.

References
----------
F. Zhang and M. Pilanci, *Analyzing neural network-based generative diffusion
models through convex optimization*, arXiv:2402.01965 (2024).
Y. Song and S. Ermon, *Generative modeling by estimating gradients of the
data distribution*, NeurIPS 2019.
A. Hyvärinen, *Estimation of non-normalized statistical models by score
matching*, JMLR 6 (2005).
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from ._constraints import COUNT, NONNEGATIVE, POSITIVE, RANDOM_STATE, at_least, options
from ._score_program import RampProgram, solve_ramps
from ._validation import (
    as_float_array,
    as_generator,
    as_nonnegative_float,
    check_positive,
    forget_fit,
    refuse_complex,
    scale_exponent,
)
from .convex import ConvexReLU
from .exceptions import ConvergenceWarning
from .network import ReLUNetwork, import_torch

__all__ = ["ConvexScoreModel", "score_matching_alpha_range", "score_matching_objective"]

#: ``exact_`` of ``objective="sm"`` needs a relative gap at most ``max(tol, EXACT_RTOL)``.
EXACT_RTOL = 1e-6
#: The rebuilt network's kinks sit this fraction of the data's range off the samples
#: (at most a quarter of the distance to the next sample).
KINK_OFFSET = 1e-11
#: The default noise ladder: ``std · geomspace(LADDER_TOP, LADDER_BOTTOM, noise_levels)``.
LADDER_TOP, LADDER_BOTTOM = 1.0, 0.05


# --------------------------------------------------------------------------- helpers
def score_matching_objective(network, X, alpha, *, linear=0.0) -> float:
    """Hyvärinen's score-matching objective ``J`` of a 1-D network.

    The score is ``s(x) = network(x) + linear · x``; ``J = (1/n) Σ_i [½ s(x_i)²
    + s'(x_i)] + (α/2) Σ_j (w_j² + v_j²)`` (module overview), the intercept
    and the skip free. The derivative is the network's own, ``s'(x) = linear
    + Σ_j v_j w_j 1[w_j x + b_j > 0]`` (torch's convention ``ReLU'(0) = 0``
    at a kink), computed from the weights, not from any program.

    Parameters
    ----------
    network : ReLUNetwork
        A network with one input.
    X : array_like, shape (n_samples, 1) or (n_samples,)
        Samples.
    alpha : float
        Penalty, ``>= 0``.
    linear : float, default=0.0
        Slope of the unpenalised skip ``a x``.

    Returns
    -------
    float

    Examples
    --------
    The score ``−x`` of the standard normal as the skip alone:

    >>> net = ReLUNetwork(np.zeros((0, 1)), [], [])
    >>> score_matching_objective(net, [[-1.0], [1.0]], 0.1, linear=-1.0)
    -0.5
    """
    alpha = as_nonnegative_float(alpha, "alpha")
    linear = float(as_float_array(linear, "linear", shape_doc="()"))
    x = _one_d(X, "X")
    if network.n_features != 1:
        raise ValueError(f"network must have one input; it has {network.n_features}")
    pre = x[:, None] @ network.W.T + network.b
    values = np.maximum(pre, 0.0) @ network.v + network.c + linear * x
    slopes = (pre > 0.0) @ (network.v * network.W[:, 0]) + linear
    data = float(np.mean(0.5 * values**2 + slopes))
    return data + alpha * network.penalty(norm="l2")


def score_matching_alpha_range(X, *, linear_skip=True) -> tuple[float, float]:
    """The penalties ``(alpha_min, alpha_max)`` of explicit score matching in 1-D.

    ``J`` is bounded below exactly when ``alpha >= alpha_min = max(m_1, m_K,
    max_{1<k<K} m_k / 2) / n`` (``m_k`` the multiplicities of the sorted
    distinct samples; module overview); from ``alpha_max`` on the optimum
    has no neuron (the Gaussian fit with the skip, the zero score without).

    Parameters
    ----------
    X : array_like, shape (n_samples, 1) or (n_samples,)
        Samples, at least two distinct values.
    linear_skip : bool, default=True
        Whether the skip ``a x`` is free (as in :class:`ConvexScoreModel`).

    Returns
    -------
    tuple of float

    Examples
    --------
    >>> score_matching_alpha_range([[0.0], [1.0], [3.0], [4.0]])[0]
    0.25
    """
    x = _one_d(X, "X")
    program = RampProgram(x, 1.0, bool(linear_skip))
    return float(program.alpha_min), float(program.alpha_max)


def _one_d(X, name):
    """Samples of shape (n,) or (n, 1) as a float64 vector (finite, n >= 1)."""
    arr = as_float_array(X, name, shape_doc="(n_samples, 1)")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{name} must have shape (n_samples, 1) with n_samples >= 1; got {arr.shape}"
        )
    return np.ascontiguousarray(arr)


def _stack(networks, d):
    """One level's per-coordinate networks as ``(W, b, V, c)``: ``relu(X Wᵀ + b) V + c``."""
    W = np.concatenate([net.W for net in networks]) if networks else np.zeros((0, d))
    b = np.concatenate([net.b for net in networks]) if networks else np.zeros(0)
    V = np.zeros((W.shape[0], d))
    row = 0
    for k, net in enumerate(networks):
        V[row : row + net.n_neurons, k] = net.v
        row += net.n_neurons
    c = np.array([net.c for net in networks])
    return W, b, V, c


# --------------------------------------------------------------------------- estimator
class ConvexScoreModel(BaseEstimator):
    """A two-layer ReLU score model trained by convex programs (diffusion models).

    See the module overview for the objectives, the programs and what is exact.

    Parameters
    ----------
    alpha : float, default=0.01
        Weight decay ``α`` (docs/mathematics.md §0.1 scaling; the paper's
        ``β = n α``). It is dimensionless: scaling ``X`` by ``c`` scales the
        score by ``1/c`` and ``J`` by ``1/c²`` at the same ``alpha``. For
        ``"sm"`` it must be at least ``alpha_min`` (``1/n`` for distinct
        samples; :func:`score_matching_alpha_range`).
    objective : {"dsm", "sm"}, default="dsm"
        Denoising score matching at every noise level (any dimension), or
        explicit score matching (1-D).
    noise_levels : int or array_like, default=5
        ``"dsm"``: an int ``L`` for the ladder ``std · geomspace(1.0, 0.05,
        L)`` with ``std`` the root mean variance of the coordinates of ``X``,
        or the levels themselves (positive, strictly decreasing). Ignored by
        ``"sm"``.
    n_noise : int, default=4
        ``"dsm"``: noise draws per sample and level.
    linear_skip : bool, default=True
        ``"sm"``: a free skip ``a x`` beside the free intercept (with it,
        large ``alpha`` gives the Gaussian fit rather than the zero score).
    patterns : int, default=500
        ``"dsm"`` with ``d >= 2``: sampled activation patterns per level
        (:class:`~geolasso.convex.ConvexReLU` ``method="arrangement"``).
    tol : float, default=1e-8
        ``"sm"``: relative duality gap at which the solver stops (module
        overview); ``"dsm"``: passed to each :class:`ConvexReLU`.
    max_iter : int, default=200
        ``"sm"``: working-set rounds; ``"dsm"``: each ConvexReLU's rounds.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the noise draws and of the sampled patterns.

    Attributes
    ----------
    noise_levels_ : ndarray, shape (L,)
        ``"dsm"``: the levels ``σ_1 > … > σ_L``, in the units of ``X``.
    levels_ : list of list of ConvexReLU
        ``"dsm"``: ``levels_[l][k]`` fits coordinate ``k`` of the score at
        level ``l``.
    noisy_samples_, targets_ : ndarray, shape (L, n_samples * n_noise, n_features)
        ``"dsm"``: each level's regression problem: the noisy samples ``x̃``
        (each sample repeated ``n_noise`` times, consecutively) and the
        targets ``−ε/σ``.
    objectives_ : ndarray, shape (L,)
        ``"dsm"``: ``J_σ`` of each level (summed over coordinates).
    optimality_gaps_ : ndarray, shape (L,)
        ``"dsm"``: summed ``optimality_gap_`` of the level's fits (in 1-D the
        certificates' bounds on ``J_σ − J_σ*``; in ``d >= 2`` the solver's
        gaps over the sampled patterns, not bounds on the optimum).
    objective_ : float
        ``"dsm"``: ``Σ_l σ_l² J_{σ_l}``. ``"sm"``: the optimum of the convex
        program, the infimum of ``J`` over networks (reached as the kink
        offset tends to 0).
    network_objective_ : float
        ``"sm"``: ``J`` of ``network_`` with ``linear_``, computed from the
        network (:func:`score_matching_objective`). Its kinks sit
        ``KINK_OFFSET`` times the data's range off the samples, so it lies
        slightly above ``objective_`` (relative differences of 1e-10 to 2e-7
        measured on 200 to 1,000 samples).
    exact_ : bool
        ``"dsm"``: every level of 1-D data certified optimal (never in
        ``d >= 2``). ``"sm"``: a feasible dual point and a relative gap at
        most ``max(tol, 1e-6)``.
    optimality_gap_ : float
        ``"sm"``: certified bound on ``objective_ − J*``; ``inf`` when no
        feasible dual point was found.
    lower_bound_ : float
        ``"sm"``: ``objective_ − optimality_gap_``, a lower bound on ``J`` of
        every network (any width), from the dual point.
    relative_gap_ : float
        ``"sm"``: ``optimality_gap_ / max(|objective_|, 1/(2 var X))``.
    network_ : ReLUNetwork
        ``"sm"``: the ramps and the intercept (without the skip).
    linear_ : float
        ``"sm"``: the skip's slope ``a`` (0 without the skip).
    intercept_ : float
        ``"sm"``: ``c``.
    alpha_min_, alpha_max_ : float
        ``"sm"``: :func:`score_matching_alpha_range` of ``X``.
    n_iter_ : int
        ``"sm"``: working-set rounds.
    n_features_in_ : int
        Number of features seen in ``fit``.

    Examples
    --------
    Explicit score matching on eight points: the certified optimum, and the
    rebuilt network's own objective (kinks a hair off the samples).

    >>> X = np.array([[-2.1], [-1.9], [-1.7], [-1.2], [1.0], [1.4], [1.9], [2.2]])
    >>> model = ConvexScoreModel(alpha=0.2, objective="sm").fit(X)
    >>> model.exact_, round(model.objective_, 6), model.network_.n_neurons
    (True, -1.054033, 2)
    >>> bool(abs(model.network_objective_ - model.objective_) < 1e-7)
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": [POSITIVE],
        "objective": [options("dsm", "sm")],
        "noise_levels": [at_least(1), "array-like"],
        "n_noise": [COUNT],
        "linear_skip": ["boolean"],
        "patterns": [COUNT],
        "tol": [NONNEGATIVE],
        "max_iter": [COUNT],
        "random_state": RANDOM_STATE,
    }

    def __init__(
        self,
        alpha=0.01,
        *,
        objective="dsm",
        noise_levels=5,
        n_noise=4,
        linear_skip=True,
        patterns=500,
        tol=1e-8,
        max_iter=200,
        random_state=None,
    ):
        self.alpha = alpha
        self.objective = objective
        self.noise_levels = noise_levels
        self.n_noise = n_noise
        self.linear_skip = linear_skip
        self.patterns = patterns
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y=None):
        """Train the score model.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Samples of the distribution (``n_features = 1`` for ``"sm"``).
        y : None
            Ignored (unsupervised).

        Returns
        -------
        self : ConvexScoreModel
        """
        from sklearn.utils.validation import validate_data

        self._validate_params()
        alpha = check_positive(self.alpha, "alpha")
        forget_fit(self)
        refuse_complex(X, "X")
        X = validate_data(self, X, dtype=np.float64, order="C", ensure_min_samples=2)
        self._mean = X.mean(axis=0)
        self._var = float(np.mean(np.var(X, axis=0)))
        if self.objective == "sm":
            if X.shape[1] != 1:
                raise ValueError(
                    "objective='sm' (explicit score matching) is implemented for 1-D data; "
                    f"X has {X.shape[1]} features. Use objective='dsm' for d >= 2"
                )
            return self._fit_sm(X[:, 0], alpha)
        return self._fit_dsm(X, alpha)

    def _levels(self, X):
        """The noise levels, checked (positive, finite, strictly decreasing)."""
        spread = math.sqrt(float(np.mean(np.var(X, axis=0))))
        if isinstance(self.noise_levels, Integral) and not isinstance(self.noise_levels, bool):
            if not spread > 0.0:
                raise ValueError(
                    "X has zero variance: the default noise ladder is relative to its standard "
                    "deviation; give noise_levels explicitly"
                )
            return spread * np.geomspace(LADDER_TOP, LADDER_BOTTOM, int(self.noise_levels))
        levels = as_float_array(self.noise_levels, "noise_levels", shape_doc="(L,)")
        if levels.ndim != 1 or levels.size == 0:
            raise ValueError(
                f"noise_levels must be an int or a 1-D array of levels; got shape {levels.shape}"
            )
        if np.any(levels <= 0.0):
            raise ValueError(f"noise_levels must be positive; got {levels.tolist()}")
        if np.any(np.diff(levels) >= 0.0):
            raise ValueError(
                f"noise_levels must be strictly decreasing (σ_1 > … > σ_L); got {levels.tolist()}"
            )
        return levels

    def _fit_dsm(self, X, alpha):
        d = X.shape[1]
        levels = self._levels(X)
        rng = as_generator(self.random_state)
        rows = np.repeat(X, self.n_noise, axis=0)
        self.noise_levels_ = levels
        self.levels_, objectives, gaps, exact = [], [], [], []
        self.noisy_samples_ = np.empty((levels.size, *rows.shape))
        self.targets_ = np.empty((levels.size, *rows.shape))
        for level, sigma in enumerate(levels):
            eps = rng.standard_normal(rows.shape)
            noisy = self.noisy_samples_[level] = rows + sigma * eps
            targets = self.targets_[level] = -eps / sigma
            seed = int(rng.integers(2**31))
            fits = []
            for k in range(d):
                if d == 1:
                    model = ConvexReLU(alpha, norm="l2", tol=self.tol, max_iter=self.max_iter)
                else:
                    model = ConvexReLU(
                        alpha,
                        method="arrangement",
                        norm="l2",
                        patterns=self.patterns,
                        tol=self.tol,
                        max_iter=self.max_iter,
                        certify=False,
                        random_state=seed,  # the same patterns for every coordinate
                    )
                fits.append(model.fit(noisy, targets[:, k]))
            self.levels_.append(fits)
            objectives.append(sum(f.objective_ for f in fits))
            gaps.append(sum(f.optimality_gap_ for f in fits))
            exact.append(d == 1 and all(f.exact_ for f in fits))
        self.objectives_ = np.array(objectives)
        self.optimality_gaps_ = np.array(gaps)
        self.objective_ = float(levels**2 @ self.objectives_)
        self.exact_ = bool(all(exact))
        self._stacks = [_stack([f.network_ for f in fits], d) for fits in self.levels_]
        self._linear = np.zeros((d, d))
        return self

    def _fit_sm(self, x, alpha):
        # the program on 2^k x (exact), J in the units of x is 4^k J there (overview)
        k = scale_exponent(x, "X")
        xs = np.ldexp(x, k)
        program = RampProgram(xs, alpha, bool(self.linear_skip))
        self.alpha_min_, self.alpha_max_ = float(program.alpha_min), float(program.alpha_max)
        if alpha < program.alpha_min * (1.0 - 1e-12):
            m = program.m
            raise ValueError(
                f"alpha = {alpha!r} is below alpha_min = {program.alpha_min:.6g}, the smallest "
                "penalty for which the score-matching objective is bounded below: "
                f"max(m_1, m_K, max interior m_k / 2) / n with n = {program.n}, end "
                f"multiplicities ({m[0]}, {m[-1]}) and largest interior multiplicity "
                f"{m[1:-1].max() if m.size > 2 else 0}. Below it a neuron whose kink approaches "
                "the largest sample from below is ~0 on the data but has derivative 1 there, "
                "and J decreases without bound. Use alpha >= alpha_min"
            )
        z, value, lower, rounds, rel = solve_ramps(program, self.tol, self.max_iter)
        unit = 4.0**k  # J(x) = 4^k J(2^k x)
        self.objective_ = unit * value
        self.lower_bound_ = unit * lower
        self.optimality_gap_ = unit * (value - lower)
        self.relative_gap_ = rel
        self.n_iter_ = rounds
        self.exact_ = bool(math.isfinite(lower) and rel <= max(self.tol, EXACT_RTOL))
        if not self.exact_:
            warnings.warn(
                f"objective='sm': the certified relative gap is {self.relative_gap_:.2e} after "
                f"{rounds} rounds, above max(tol, {EXACT_RTOL:g}); exact_ is False",
                ConvergenceWarning,
                stacklevel=3,
            )
        self._rebuild(x, program, z, k, alpha)
        return self

    def _rebuild(self, x, program, z, k, alpha):
        """The network of ``z`` (kinks ``x_k + sign(z) ε``), its free ``a, c`` refitted."""
        support = np.flatnonzero(z)
        u = program.u
        knots = program.knots[support]
        gaps = np.diff(u)
        room = np.minimum(
            np.concatenate([[np.inf], gaps])[knots], np.concatenate([gaps, [np.inf]])[knots]
        )
        eps = np.minimum(KINK_OFFSET * (u[-1] - u[0]), room / 4.0)
        sign = np.sign(z[support])
        t = u[knots] + sign * eps
        stuck = t == u[knots]  # ε below the spacing of floats at x_k
        t[stuck] = np.nextafter(u[knots][stuck], sign[stuck] * np.inf)
        t, coef = np.ldexp(t, -k), np.ldexp(z[support], 2 * k)  # units of x
        s = program.dirs[support].astype(float)
        root = np.sqrt(np.abs(coef))
        W, b, v = (s * root)[:, None], -s * t * root, sign * root
        features = np.maximum(x[:, None] @ W.T + b, 0.0) @ v
        if self.linear_skip:
            xc = x - x.mean()
            fc = features - features.mean()
            a = -(float(xc @ fc) + x.size) / float(xc @ xc)
            c = -float(features.mean()) - a * float(x.mean())
        else:
            a, c = 0.0, -float(features.mean())
        self.network_ = ReLUNetwork(
            W,
            b,
            v,
            c,
            metadata={
                "trained_by": "geolasso.ConvexScoreModel",
                "objective": "sm",
                "alpha": alpha,
                "linear": a,
            },
        )
        self.linear_ = a
        self.intercept_ = c
        self.network_objective_ = score_matching_objective(
            self.network_, x[:, None], alpha, linear=a
        )
        self._stacks = [(W, b, v[:, None], np.array([c]))]
        self._linear = np.array([[a]])

    # ------------------------------------------------------------------ the model
    def _level(self, level):
        """A level index (negative counts from the end) for the fitted model."""
        count = len(self._stacks)
        if level is None:
            return count - 1
        if isinstance(level, bool) or not isinstance(level, Integral):
            raise TypeError(f"level must be an int or None; got {type(level).__name__}")
        if not -count <= level < count:
            raise IndexError(f"level must lie in [{-count}, {count}); got {level}")
        return int(level) % count

    def _scores(self, X, level):
        W, b, V, c = self._stacks[level]
        return np.maximum(X @ W.T + b, 0.0) @ V + c + X @ self._linear.T

    def score_function(self, X, level=None):
        """The learned score ``s(x)`` (the estimate of ``∇ log p``).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Points.
        level : int or None, default=None
            ``"dsm"``: the noise level's index (0 is the largest ``σ``;
            negative counts from the end); None for the smallest. ``"sm"``
            has one level (0 or None).

        Returns
        -------
        ndarray, shape (n_samples, n_features)
        """
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self)
        refuse_complex(X, "X")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self._scores(X, self._level(level))

    def score(self, X, y=None):
        """Minus Hyvärinen's loss of the learned score on ``X`` (higher is better).

        ``−(1/n) Σ_i [½ ‖s(x_i)‖² + div s(x_i)]`` with the divergence of the
        network (``ReLU'(0) = 0``) at the smallest noise level (``"dsm"``) or
        of the single score (``"sm"``), no penalty: a held-out criterion for
        choosing ``alpha`` (it estimates ``E‖s − ∇ log p‖²/2`` up to a
        constant). Not the training objective.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        float
        """
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self)
        refuse_complex(X, "X")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        level = len(self._stacks) - 1
        W, b, V, _ = self._stacks[level]
        values = self._scores(X, level)
        on = (X @ W.T + b) > 0.0
        divergence = on @ np.sum(W * V, axis=1) + np.trace(self._linear)
        return -float(np.mean(0.5 * np.sum(values**2, axis=1) + divergence))

    def network(self, level=None, output=None):
        """The rebuilt network(s) of a level.

        Parameters
        ----------
        level : int or None, default=None
            As in :meth:`score_function`.
        output : int or None, default=None
            ``"dsm"`` with ``d >= 2``: the coordinate of the score; None for
            the list of all ``d`` networks.

        Returns
        -------
        ReLUNetwork or list of ReLUNetwork
            ``"dsm"``: the level's ConvexReLU network(s), whose
            :meth:`~ReLUNetwork.objective` on the level's noisy samples and
            targets is ``objectives_[level]``. ``"sm"``: ``network_`` (the
            skip ``linear_ x`` is not in it; see
            :func:`score_matching_objective`).
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        level = self._level(level)
        if self.objective == "sm":
            return self.network_
        nets = [f.network_ for f in self.levels_[level]]
        if output is None:
            return nets[0] if len(nets) == 1 else nets
        if isinstance(output, bool) or not isinstance(output, Integral):
            raise TypeError(f"output must be an int or None; got {type(output).__name__}")
        if not 0 <= output < len(nets):
            raise IndexError(f"output must lie in [0, {len(nets)}); got {output}")
        return nets[output]

    def to_torch(self, dtype=None):
        """The score network(s) in torch.

        Parameters
        ----------
        dtype : torch.dtype, optional
            ``torch.float64`` by default (the same scores as
            :meth:`score_function` to rounding).

        Returns
        -------
        torch.nn.ModuleList or torch.nn.Sequential
            ``"dsm"``: one ``Sequential(Linear(d, m), ReLU(), Linear(m, d))``
            per level (all coordinates' neurons side by side, each feeding
            its coordinate). ``"sm"``: one ``Sequential(Linear(1, m + 2),
            ReLU(), Linear(m + 2, 1))`` whose last two neurons ``a (x)_+ −
            a (−x)_+`` are the skip ``a x`` (exactly), without the skip only
            the ``m`` ramps. Inputs of shape ``(n, d)``, outputs ``(n, d)``.
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        torch = import_torch()
        dtype = torch.float64 if dtype is None else dtype
        modules = []
        d = self.n_features_in_
        for W, b, V, c in self._stacks:
            if self.objective == "sm" and self.linear_skip:
                a = float(self._linear[0, 0])
                W = np.vstack([W, [[1.0], [-1.0]]])
                b = np.concatenate([b, [0.0, 0.0]])
                V = np.vstack([V, [[a], [-a]]])
            m = W.shape[0]
            model = torch.nn.Sequential(
                torch.nn.Linear(d, m, dtype=dtype),
                torch.nn.ReLU(),
                torch.nn.Linear(m, d, dtype=dtype),
            )
            with torch.no_grad():
                model[0].weight.copy_(torch.as_tensor(W, dtype=dtype))
                model[0].bias.copy_(torch.as_tensor(b, dtype=dtype))
                model[2].weight.copy_(torch.as_tensor(V.T, dtype=dtype))
                model[2].bias.copy_(torch.as_tensor(c, dtype=dtype))
            modules.append(model)
        return modules[0] if self.objective == "sm" else torch.nn.ModuleList(modules)

    # ------------------------------------------------------------------ sampling
    def sample(self, n_samples, *, n_steps=None, step_size=None, random_state=None):
        """Draw samples by Langevin dynamics with the learned score.

        ``"dsm"``: annealed Langevin dynamics (Song and Ermon, 2019). Start
        from ``x ~ N(m, (v + σ_1²) I)`` (``m``, ``v``: the training data's
        mean and mean coordinate variance); at each level ``σ_i`` in turn,
        with the step ``ε_i = step_size · σ_i² / σ_L²``, repeat ``n_steps``
        times

        .. math::

            x \\leftarrow x + \\frac{\\varepsilon_i}{2} s_{\\sigma_i}(x)
                + \\sqrt{\\varepsilon_i}\\, z, \\qquad z \\sim N(0, I).

        ``"sm"``: the same update with the single score and step
        ``ε = step_size``, ``n_steps`` times, from ``x ~ N(m, v)``. No final
        denoising step.

        Parameters
        ----------
        n_samples : int
            Samples to draw.
        n_steps : int, optional
            Steps per level (default 100) for ``"dsm"``; steps (default
            1000) for ``"sm"``.
        step_size : float, optional
            ``"dsm"``: the step ``ε_L`` at the smallest level (default
            ``0.1 σ_L²``). ``"sm"``: ``ε`` (default ``0.1 / L`` with ``L``
            the largest slope magnitude of the learned score, its Lipschitz
            constant).
        random_state : int, numpy.random.Generator or None, default=None
            Seed of the start and of the noise.

        Returns
        -------
        ndarray, shape (n_samples, n_features)
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be an int >= 1; got {n_samples!r}")
        sm = self.objective == "sm"
        if n_steps is None:
            n_steps = 1000 if sm else 100
        if isinstance(n_steps, bool) or not isinstance(n_steps, Integral) or n_steps < 1:
            raise ValueError(f"n_steps must be an int >= 1; got {n_steps!r}")
        if step_size is None:
            step_size = 0.1 / self._lipschitz() if sm else 0.1 * self.noise_levels_[-1] ** 2
        step_size = check_positive(step_size, "step_size")
        rng = as_generator(random_state)
        d = self.n_features_in_
        mean, var = self._mean, self._var
        if sm:
            steps = [(0, step_size)]
            spread = math.sqrt(var)
        else:
            last = self.noise_levels_[-1]
            steps = [(i, step_size * (s / last) ** 2) for i, s in enumerate(self.noise_levels_)]
            spread = math.sqrt(var + self.noise_levels_[0] ** 2)
        x = mean + spread * rng.standard_normal((int(n_samples), d))
        for level, eps in steps:
            root = math.sqrt(eps)
            for _ in range(int(n_steps)):
                x = x + 0.5 * eps * self._scores(x, level) + root * rng.standard_normal(x.shape)
        return x

    def _lipschitz(self):
        """The largest slope magnitude of the 1-D score (``"sm"``), at least 1e-300."""
        W, b, V, _ = self._stacks[0]
        a = float(self._linear[0, 0])
        if W.shape[0] == 0:
            return max(abs(a), 1e-300)
        kinks = np.sort(-b / W[:, 0])
        # one probe inside every piece: beyond both ends and between neighbouring kinks
        ends = [kinks[0] - 1.0 - abs(kinks[0]), kinks[-1] + 1.0 + abs(kinks[-1])]
        probes = np.concatenate([ends, 0.5 * (kinks[1:] + kinks[:-1])])
        slopes = ((probes[:, None] @ W.T + b) > 0.0) @ (V[:, 0] * W[:, 0]) + a
        return max(float(np.max(np.abs(slopes))), 1e-300)
