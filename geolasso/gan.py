"""Wasserstein GANs with a two-layer discriminator, through convex optimisation.

Overview
--------
Data ``X`` (``n × d``) and generated samples ``G`` (``m × d``). The
discriminator (critic) is a two-layer network ``D(x) = Σ_j v_j σ(w_jᵀx + b_j)``
with weight decay, and the generator solves the Wasserstein game

.. math::

    \\min_G \\; \\mathrm{cost}(G) + \\max_D \\Big[\\frac1n \\sum_i D(x_i)
    - \\frac1m \\sum_k D(g_k) - \\mathrm{penalty}(D)\\Big].

**The inner maximum is a constraint** (Sahiner et al. [1]_; docs/mathematics.md
§7.2). For ``σ`` positively homogeneous of degree one (ReLU, linear), the
rescaling lemma (docs/mathematics.md §1.1) turns the penalty
``(β/2) Σ_j (‖w_j‖² + v_j²)`` into ``β Σ_j |v_j|`` with unit ``‖w_j‖``; for the
quadratic activation the rescaled form (unit ``‖w_j‖₂``, penalty
``β Σ_j |v_j|``) is taken as the definition, as in docs/mathematics.md §7.2.
Then the bracket is ``Σ_j (v_j δ(w_j, b_j) − β |v_j|)`` with the **feature
discrepancy** of a neuron

.. math::

    \\delta(w, b) = \\frac1n \\sum_i \\sigma(w^\\top x_i + b)
    - \\frac1m \\sum_k \\sigma(w^\\top g_k + b),

so the inner maximum is ``0`` when ``Δ(X, G) = sup_{‖w‖ ≤ 1, b} |δ(w, b)| <= β``
and ``+∞`` otherwise. The game is therefore

.. math::

    \\min_G \\; \\mathrm{cost}(G) \\quad \\text{subject to} \\quad \\Delta(X, G) \\le \\beta,

and every neuron of an optimal critic attains ``|δ| = β`` (a neuron with
``|δ| < β`` gets ``v_j = 0``). :func:`discrepancy` computes ``Δ``:

* ``activation="linear"``: ``δ = wᵀ(x̄ − ḡ)`` (a bias cancels), so
  ``Δ = ‖x̄ − ḡ‖₂`` (``norm="l2"``) or ``‖x̄ − ḡ‖_∞`` (``norm="l1"``, the dual
  norm): **mean matching**.
* ``activation="quadratic"`` (``σ(t) = t²``, ``norm="l2"``): without a bias
  ``δ = wᵀ(XᵀX/n − GᵀG/m) w`` and ``Δ = ‖XᵀX/n − GᵀG/m‖₂`` (spectral norm;
  second moments normalised by the sample counts) — **second-moment
  matching**. With a free bias, ``δ`` gains ``2b wᵀ(x̄ − ḡ) + (wᵀx̄)² −
  (wᵀḡ)²``: ``Δ = +∞`` unless the means agree, and then ``Δ = ‖C_X − C_G‖₂``
  with the covariances ``C_X = X_cᵀX_c/n``, ``C_G = G_cᵀG_c/m`` of the centred
  samples.
* ``activation="relu"``: ``δ(w, b) = λᵀ(Z̃ u)_+`` with ``u = (w, b)``, the
  combined samples ``Z̃ = [X; G]`` (with a ones column when ``bias=True``) and
  ``λ = (1/n, …, 1/n, −1/m, …, −1/m)``: ``Δ <= β`` **is the dual constraint of
  the two-layer convex program** (docs/mathematics.md §2.3) at this ``λ``; its
  ``1ᵀλ = 0`` is exactly what a free bias requires.

**What is exact.** ``norm="l1"`` (``‖w‖₁ <= 1``, the ℓ1 form of weight decay,
geolasso's exact mode): the maximum over the unit ball is attained at an atom
of the exhaustive wedge dictionary of the combined samples (docs/mathematics.md
§4.3: hyperplanes through ``d`` samples, or through fewer samples and
parallel to coordinate axes), so ``Δ = max |Kᵀλ|`` over
:class:`~geolasso.dictionary.WedgeDictionary` ``(Z, norm="l1")`` is exact (to
rounding), and the maximising atom — a hyperplane through data and/or
generated samples — is the critic's neuron. ``norm="l2"`` (plain weight
decay): for fixed ``w`` the discrepancy is piecewise linear in ``b`` with
breakpoints at the samples, so the maximiser passes through a sample; around
each sample it is piecewise sinusoidal in the angle of ``w`` with breakpoints
where ``w`` is orthogonal to the offset of another sample, and each arc's
maximum has a closed form. This angular sweep (``O(N² log N)`` for
``N = n + m`` samples) is exact for ``d = 2`` only, and used only there
(``d = 1`` coincides with ``"l1"``); for ``d >= 3`` ``norm="l2"`` is refused:
the data-only ℓ2 wedge atoms would give only a lower bound on ``Δ``
(docs/mathematics.md §4.4), which cannot certify the constraint.

Generators and their costs
--------------------------
``generator="linear"``: ``G = Z W + 1 cᵀ`` with latent samples ``Z`` (``m × k``;
seeded standard normal, or given) and cost ``‖W‖_F²``.

* Linear activation (``c = 0``):
  ``min ‖W‖_F²`` s.t. ``‖x̄ − Wᵀz̄‖_* <= β``. For a target mean ``a = Wᵀz̄``,
  ``‖a‖₂ <= ‖W‖_F ‖z̄‖₂`` (Cauchy–Schwarz), with equality at
  ``W = z̄ aᵀ/‖z̄‖²``; the smallest ``‖a‖₂`` in the ball around ``x̄`` is
  ``a = (1 − β/‖x̄‖₂)_+ x̄`` (``"l2"``) or the soft-thresholding
  ``a_j = sign(x̄_j)(|x̄_j| − β)_+`` (``"l1"``: the ``ℓ∞`` ball is a box, the
  problem separates by coordinate). Hence
  ``min ‖W‖_F² = ‖a‖²/‖z̄‖²`` (:func:`linear_generator`).
* Quadratic activation: with ``X̃, Z̃`` the samples (``bias=False``) or the
  centred samples (``bias=True``; then ``c = x̄ − Wᵀz̄`` makes ``ḡ = x̄``
  exactly, as the free bias demands, and costs nothing since it is forced),
  ``A = X̃ᵀX̃/n`` with eigenvalues ``a_1 >= a_2 >= …`` and eigenvectors ``v_i``,
  ``B = Z̃ᵀZ̃/m`` with eigenvalues ``b_1 >= … >= b_r > 0`` and eigenvectors
  ``q_i``:

  .. math::

      W = \\sum_{i \\le \\min(r, d)} q_i \\sqrt{(a_i - \\beta)_+ / b_i}\\; v_i^\\top,
      \\qquad \\frac{\\tilde G^\\top \\tilde G}{m} = \\sum_i (a_i - \\beta)_+ v_i v_i^\\top,

  the **soft-thresholded eigenvalues** of the data's second-moment matrix.
  ``‖A − G̃ᵀG̃/m‖₂ = max(min(a_1, β), a_{r+1})``: ``= β`` whenever
  ``a_{r+1} <= β <= a_1`` — docs/mathematics.md T21 (there with sums instead
  of means and ``β = s_{k+1}²``). *Minimality* (any feasible ``W`` has
  ``‖W‖_F² >= Σ_i (a_i − β)_+ / b_i``): rows of ``W`` along the null space of
  ``B`` change neither ``G̃`` nor ``M = WᵀBW`` and only add cost, so take ``W``
  in the range of ``B`` and let ``R = B^{1/2} W``. Then ``‖W‖_F² = tr(B⁻¹ R Rᵀ) >=
  Σ_i λ_i↓(RRᵀ) / b_i`` by Ruhe's trace inequality ``tr(PQ) >= Σ_i
  λ_i↓(P) λ_i↑(Q)`` for positive semidefinite ``P, Q`` (Marshall, Olkin and
  Arnold, *Inequalities*, 9.H.1.h), and ``λ_i(RRᵀ) = λ_i(M)``. Feasibility
  ``M ⪰ A − βI`` gives ``λ_i(M) >= a_i − β`` (Weyl's monotonicity) and
  ``M ⪰ 0`` gives ``λ_i(M) >= 0``. The ``W`` above attains the bound. If
  ``a_{r+1} > β`` no generator of rank ``r`` is feasible (Eckart–Young); the
  same ``W`` is then returned with a warning (it reaches the smallest
  discrepancy any rank-``r`` generator can, ``a_{r+1}``). With a whitened
  latent (``B = I``) the cost is ``tr(M)`` and the convex program
  ``min tr(M)`` s.t. ``−βI ⪯ A − M ⪯ βI``, ``M ⪰ 0`` is a tight relaxation
  (its solution has rank ``#{a_i > β} <= r``); the tests compare with it
  (:func:`quadratic_generator`).

``generator="points"`` (ReLU activation): the generated samples themselves
are the variables (a non-parametric generator, started from seeded standard
normal particles ``G⁰`` or given ones) with the **transport cost**
``cost(G) = (1/m) Σ_k ‖g_k − g⁰_k‖₁``. The feasible set ``{G : Δ(X, G) <=
β}`` is **not convex**: it is invariant under permutations of the particles,
and with ``X = {−1, 1}`` (``d = 1``, ``m = 2``, ``β < 1/2``) it contains
``G = (−1, 1)`` and ``(1, −1)`` (``Δ = 0``) but not their midpoint
``(0, 0)`` (``δ(1, 0) = 1/2``). For one neuron, ``C(G) = (1/m)Σ_k σ(wᵀg_k +
b)`` is convex in ``G``: ``C(G) <= A + β`` is a convex constraint, written
exactly in the LP with epigraph variables ``t_k >= wᵀg_k + b, t_k >= 0``;
``C(G) >= A − β`` is reverse-convex, replaced by the restriction
``(1/m) Σ_{k∈S} (wᵀg_k + b) >= A − β`` with ``S`` the particles active at the
current iterate (or the nearest one when none is): valid because
``(t)_+ >= s t`` for every ``s ∈ [0, 1]`` (the convex-concave procedure).

The **cutting-plane method**: find the most violated atoms by the exact
discrepancy, add them as cuts, solve the linear program ``min cost(G)``
subject to all cuts asked with a margin, ``|δ| <= β (1 − margin)``,
re-linearised at the current particles, within a trust region (each
coordinate of each particle moves at most ``trust_radius`` times the
samples' largest standard deviation per round: the ℓ1 cost is indifferent
between moving one particle far and many a little, and the LP's vertex
solutions otherwise send single particles far away), with elastic slacks
penalised ``10³ d`` so that it is always feasible (HiGHS through
:func:`scipy.optimize.linprog`); repeat. Every LP solution satisfies every
cut *exactly* (not only its linearisation) unless its slack is positive,
but new atoms — hyperplanes through the moved particles — may be violated,
so the loop stops only when the exact ``Δ(X, G) <= β(1 + tol)``. That check
is the certificate: ``certified_`` is True only then, and certifies
**feasibility of the final samples under the exact constraint** (the
critic's inner maximum is 0). The **generator cost is not certified
optimal**: the problem is non-convex, the restriction depends on the
iterate, the margin and the trust region move the iterates away from the
cheapest ones, and the method is a local one (no global optimality, no
convergence guarantee; a ConvergenceWarning at ``max_iter``).

**Progressive (layer-wise) training** of a two-layer generator (the
paper's ProCoGAN) is not implemented. Given a fixed first layer ``W₁``, the
second layer is exactly the linear-generator problem with latent
``σ(Z W₁)`` — pass it as ``latent`` — but how the first layer is chosen is
not a consequence of the convex program above (docs/mathematics.md §7.2 rates
it [R abstract, M]), so no such procedure is offered as "convex".

References
----------
.. [1] A. Sahiner, T. Ergen, B. Ozturkler, B. Bartan, J. Pauly, M. Mardani and
   M. Pilanci, "Hidden convexity of Wasserstein GANs: interpretable generative
   models with closed-form solutions", ICLR 2022.
"""

from __future__ import annotations

import math
import warnings
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from ._constraints import COUNT, FRACTION, NONNEGATIVE, POSITIVE, RANDOM_STATE, at_least, options
from ._gan_critic import (
    ACTIVATIONS,
    Neurons,
    discrepancy,
    option,
    records,
    resolve_norm,
    samples_array,
    scan,
)
from ._validation import as_generator, as_positive_int, check_positive, forget_fit
from .dictionary import DEFAULT_MEMORY_LIMIT
from .exceptions import ConvergenceWarning, GeolassoWarning
from .network import ReLUNetwork, import_torch

__all__ = ["ConvexWGAN", "discrepancy", "linear_generator", "quadratic_generator"]

#: Neurons whose ``|δ|`` lies within this relative distance of Δ are the critic's active ones.
ACTIVE_RTOL = 1e-4
#: Relative agreement of a closed form's cost with the bound of its proof (``optimal_``).
BOUND_RTOL = 1e-6
#: Most neurons listed in ``discriminator_``.
MAX_LISTED = 50


# ---------------------------------------------------------------------- closed forms
def linear_generator(X, latent, beta, *, norm="l2"):
    """The cheapest linear generator for a linear critic: mean matching.

    Solves ``min ‖W‖_F²`` subject to ``‖x̄ − Wᵀz̄‖_* <= β`` (``‖·‖_* = ‖·‖₂``
    for ``norm="l2"``, ``‖·‖_∞`` for ``norm="l1"``), where ``x̄`` and ``z̄`` are
    the means of the data and of the latent samples; the generated samples
    are ``latent @ W``. Closed form and proof in the module overview:
    ``W = z̄ aᵀ/‖z̄‖²`` with ``a`` the smallest vector within ``β`` of ``x̄``.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Data samples.
    latent : array_like, shape (m, k)
        Latent samples (a column of ones makes the generator affine, its
        offset costed like the rest of ``W``).
    beta : float
        The critic's penalty ``β > 0``.
    norm : {"l2", "l1"}, default="l2"
        The critic's first-layer norm.

    Returns
    -------
    ndarray of float64, shape (k, d)
        ``W``; zero when ``‖x̄‖_* <= β``.

    Raises
    ------
    ValueError
        When the latent mean is zero (to ``1e-12`` of the latent's largest
        magnitude) and ``‖x̄‖_* > β``: no ``W`` moves the generated mean.

    Examples
    --------
    >>> W = linear_generator([[2.0, 0.0], [4.0, 0.0]], [[1.0], [1.0]], 1.0)
    >>> W
    array([[2., 0.]])
    """
    X = samples_array(X, "X", minimum=1)
    Z = samples_array(latent, "latent", minimum=1)
    beta = check_positive(beta, "beta")
    option(norm, "norm", ("l2", "l1"))
    return _linear_generator(X, Z, beta, norm)


def _linear_generator(X, Z, beta, norm):
    xbar, zbar = X.mean(axis=0), Z.mean(axis=0)
    if norm == "l2":
        size = float(np.linalg.norm(xbar))
        a = xbar * max(0.0, 1.0 - beta / size) if size > 0 else np.zeros_like(xbar)
    else:
        a = np.sign(xbar) * np.maximum(np.abs(xbar) - beta, 0.0)
    if not np.any(a):
        return np.zeros((Z.shape[1], X.shape[1]))
    zz = float(zbar @ zbar)
    if math.sqrt(zz) <= 1e-12 * float(np.abs(Z).max()):
        raise ValueError(
            "latent has mean zero, so the generated mean latent.mean(0) @ W is zero for every W, "
            f"while the data mean is farther than beta = {beta:g} from zero: no linear "
            "generator is feasible. Add a column of ones to latent (an affine generator)"
        )
    return np.outer(zbar, a) / zz


def quadratic_generator(X, latent, beta, *, bias=True):
    """The cheapest linear generator for a quadratic-activation critic.

    Solves ``min ‖W‖_F²`` subject to ``‖A − G̃ᵀG̃/m‖₂ <= β`` with ``A = X̃ᵀX̃/n``
    and ``G̃ = Z̃ W`` (module overview; docs/mathematics.md T21): the
    soft-thresholded eigenvalues ``(a_i − β)_+`` of ``A`` on its eigenvectors,
    carried by the latent's principal directions. ``X̃, Z̃`` are the samples
    (``bias=False``) or the centred samples (``bias=True``, the generator's
    offset ``c = x̄ − Wᵀz̄`` then matches the means exactly).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Data samples.
    latent : array_like, shape (m, k)
        Latent samples.
    beta : float
        The critic's penalty ``β > 0``.
    bias : bool, default=True
        Whether the critic has a free bias (covariance matching with an
        offset) or not (raw second moments, ``c = 0``).

    Returns
    -------
    W : ndarray of float64, shape (k, d)
    offset : ndarray of float64, shape (d,)
        The generated samples are ``latent @ W + offset``.

    Examples
    --------
    Data with second moments 4 and 1 along the axes, ``β = 2``: the generated
    second moments are ``(4 − 2)_+ = 2`` and ``(1 − 2)_+ = 0``.

    >>> X = [[2.0, 1.0], [-2.0, -1.0], [2.0, -1.0], [-2.0, 1.0]]
    >>> Z = [[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]
    >>> W, c = quadratic_generator(X, Z, 2.0, bias=False)
    >>> G = np.asarray(Z) @ W + c
    >>> (G.T @ G / 4).round(12)
    array([[2., 0.],
           [0., 0.]])
    """
    X = samples_array(X, "X", minimum=2 if bias else 1)
    Z = samples_array(latent, "latent", minimum=2 if bias else 1)
    beta = check_positive(beta, "beta")
    if not isinstance(bias, (bool, np.bool_)):
        raise TypeError(f"bias must be True or False; got {type(bias).__name__}")
    W, offset, _ = _quadratic_generator(X, Z, beta, bool(bias))
    return W, offset


def _quadratic_generator(X, Z, beta, bias):
    """``W``, the offset and the rank ``r`` of the latent (validated input)."""
    n, m = X.shape[0], Z.shape[0]
    xbar, zbar = X.mean(axis=0), Z.mean(axis=0)
    Xt = X - xbar if bias else X
    Zt = Z - zbar if bias else Z
    _, s, Vt = np.linalg.svd(Xt / math.sqrt(n), full_matrices=False)
    _, dz, Qt = np.linalg.svd(Zt / math.sqrt(m), full_matrices=False)
    tiny = max(Zt.shape) * np.finfo(float).eps * (dz[0] if dz.size else 0.0)
    rank = int(np.count_nonzero(dz > tiny)) if dz.size and dz[0] > 0 else 0
    r = min(rank, s.size)
    coef = np.sqrt(np.maximum(s[:r] ** 2 - beta, 0.0)) / dz[:r]
    W = Qt[:r].T @ (coef[:, None] * Vt[:r])
    offset = xbar - zbar @ W if bias else np.zeros(X.shape[1])
    return W, offset, rank


def _quadratic_bound(X, Z, beta, bias, rank):
    """``Σ_i (a_i − β)_+ / b_i`` of the proof, from eigenvalues (an independent route)."""
    Xt = X - X.mean(axis=0) if bias else X
    Zt = Z - Z.mean(axis=0) if bias else Z
    a = np.linalg.eigvalsh(Xt.T @ Xt / X.shape[0])[::-1]
    b = np.linalg.eigvalsh(Zt.T @ Zt / Z.shape[0])[::-1]
    r = min(rank, a.size)
    return float(np.sum(np.maximum(a[:r] - beta, 0.0) / b[:r])), a


# ---------------------------------------------------------------------- cutting planes
class _Cuts:
    """The working set of the cutting-plane method: neurons ``(w, b)`` and the side each bounds.

    ``side = +1``: ``δ <= β`` (the generated mean activation must not fall below the
    data's by more than β); ``side = −1``: ``−δ <= β``. ``data`` is the data mean
    activation ``A`` of the neuron (constant).
    """

    def __init__(self, d):
        self.W = np.zeros((0, d))
        self.b = np.zeros(0)
        self.side = np.zeros(0)
        self.data = np.zeros(0)

    def __len__(self):
        return self.b.size

    def add(self, X, w, b, side):
        """Add a cut unless it is already there; returns whether it was new."""
        if len(self):
            same = (
                (self.side == side)
                & (np.abs(self.b - b) <= 1e-12 * (1 + abs(b)))
                & np.all(np.abs(self.W - w) <= 1e-12, axis=1)
            )
            if same.any():
                return False
        self.W = np.vstack([self.W, w])
        self.b = np.append(self.b, b)
        self.side = np.append(self.side, side)
        self.data = np.append(self.data, np.maximum(X @ w + b, 0.0).mean())
        return True


def _generator_lp(G0, G, cuts, bound, rho, radius):
    """One cutting-plane step: ``min (1/m) Σ‖g_k − g⁰_k‖₁ + ρ Σ ξ`` over every cut.

    The particles move at most ``radius`` per coordinate (a trust region; ``inf``
    for none). Upper cuts (``side = −1``) are exact: an epigraph variable
    ``t_k >= wᵀg_k + b, t_k >= 0`` for every particle that can reach the active
    side within the trust region (``wᵀg_k + b > −‖w‖₁ radius``), the others
    staying inactive; lower cuts use the convex-concave restriction at the
    current activation pattern (module overview). So every cut holds exactly at
    the LP's solution unless its slack ``ξ`` is positive. Returns the new
    samples and the LP's result.
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    m, d = G0.shape
    md = m * d
    pre = G @ cuts.W.T + cuts.b  # (m, C)
    reach = np.abs(cuts.W).sum(axis=1) * radius  # how far a pre-activation can move
    upper = np.flatnonzero(cuts.side < 0)
    movable = [np.flatnonzero(pre[:, c] > -reach[c] * (1 + 1e-9) - 1e-12) for c in upper]
    n_t = sum(k.size for k in movable)
    n_var = 2 * md + n_t + len(cuts)
    ig = np.arange(md).reshape(m, d)
    ixi = 2 * md + n_t
    rows, cols, vals, rhs = [], [], [], []

    def put(r, c, v):
        rows.append(np.asarray(r, dtype=np.int64).ravel())
        cols.append(np.asarray(c, dtype=np.int64).ravel())
        vals.append(np.asarray(v, dtype=float).ravel())

    # |g - g0| <= e
    k = np.arange(md)
    put(k, k, np.ones(md))
    put(k, md + k, -np.ones(md))
    put(md + k, k, -np.ones(md))
    put(md + k, md + k, -np.ones(md))
    rhs += [G0.ravel(), -G0.ravel()]
    row = 2 * md
    for c in np.flatnonzero(cuts.side > 0):
        need = cuts.data[c] - bound
        if need <= 0:
            continue  # C(G) >= 0 >= A - β always
        active = pre[:, c] >= 0
        if not active.any():  # none active: the nearest particle is asked to cross
            active = pre[:, c] == pre[:, c].max()
        S = np.flatnonzero(active)
        put(np.full(S.size * d, row), ig[S].ravel(), np.tile(-cuts.W[c] / m, S.size))
        put([row], [ixi + c], [-1.0])
        rhs.append([-need + S.size * cuts.b[c] / m])
        row += 1
    t0 = 2 * md
    for c, K in zip(upper, movable, strict=True):
        t = t0 + np.arange(K.size)
        t0 += K.size
        r = row + np.arange(K.size)
        put(np.repeat(r, d), ig[K].ravel(), np.tile(cuts.W[c], K.size))
        put(r, t, -np.ones(K.size))
        rhs.append(np.full(K.size, -cuts.b[c]))
        row += K.size
        put(np.full(K.size, row), t, np.full(K.size, 1.0 / m))
        put([row], [ixi + c], [-1.0])
        rhs.append([cuts.data[c] + bound])
        row += 1
    A = coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(row, n_var)
    ).tocsr()
    cost = np.zeros(n_var)
    cost[md : 2 * md] = 1.0 / m
    cost[ixi:] = rho
    bounds = np.zeros((n_var, 2))
    bounds[:, 1] = np.inf
    bounds[:md, 0] = (G - radius).ravel()
    bounds[:md, 1] = (G + radius).ravel()
    res = linprog(
        cost,
        A_ub=A,
        b_ub=np.concatenate([np.ravel(v) for v in rhs]),
        bounds=bounds,
        method="highs",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
    )
    if res.status != 0:
        return None, res
    return res.x[:md].reshape(m, d), res


def _cutting_plane(X, G0, beta, bias, norm, tol, max_iter, per_iter, margin, radius, memory_limit):
    """The ReLU particle generator (module overview; validated input).

    Returns the final samples, the history (one entry per exact check), the cuts,
    why it stopped (``"certified"`` or a reason) and the number of LPs solved.
    """
    G = G0.copy()
    cuts = _Cuts(X.shape[1])
    bound = beta * (1.0 - margin)
    rho = 1e3 * X.shape[1]
    history = []
    reason = "max_iter"
    n_lp = 0
    for it in range(max_iter + 1):
        value, top = scan(X, G, "relu", bias, norm, 4 * per_iter, memory_limit)
        history.append(
            {
                "discrepancy": value,
                "cost": float(np.abs(G - G0).sum() / G.shape[0]),
                "n_cuts": len(cuts),
            }
        )
        if value <= beta * (1.0 + tol):
            return G, history, cuts, "certified", n_lp
        if it == max_iter:
            break
        added = 0
        for w, b, v, _ in zip(*top, strict=True):
            if abs(v) <= beta * (1.0 + tol) or added >= per_iter:
                break
            added += cuts.add(X, w, b, 1.0 if v > 0 else -1.0)
        G_new, res = _generator_lp(G0, G, cuts, bound, rho, radius)
        if G_new is None:
            reason = f"the LP failed ({res.message})"
            break
        n_lp += 1
        if not added and np.array_equal(G_new, G):
            reason = "stalled (no new cut and no move)"
            break
        G = G_new
    return G, history, cuts, reason, n_lp


# ---------------------------------------------------------------------- the estimator
class ConvexWGAN(BaseEstimator):
    """A Wasserstein GAN with a two-layer critic, trained through its convex form.

    See the module overview (:mod:`geolasso.gan`) for the game, the
    discrepancy constraint it reduces to, the closed forms and their proofs,
    and what is certified.

    Parameters
    ----------
    activation : {"quadratic", "linear", "relu"}, default="quadratic"
        The critic's activation: second-moment matching, mean matching, or the
        ReLU critic (the dual constraint of the two-layer convex program).
    beta : float, default=0.1
        The critic's weight-decay strength ``β > 0``: the generated samples
        must have discrepancy ``Δ(X, G) <= β``.
    generator : {"auto", "linear", "points"}, default="auto"
        ``"linear"`` (``G = Z W + offset``, cost ``‖W‖_F²``, closed form; for the
        linear and quadratic activations) or ``"points"`` (particles, cost
        ``(1/m) Σ_k ‖g_k − g⁰_k‖₁``, cutting planes; for ReLU). ``"auto"``
        picks the one available.
    bias : bool, default=True
        Whether the critic's neurons have a free bias (module overview).
    norm : {"auto", "l1", "l2"}, default="auto"
        The critic's first-layer norm: ``"auto"`` is ``"l1"`` for ReLU (exact)
        and ``"l2"`` otherwise; ReLU with ``"l2"`` only for ``d <= 2``.
    latent_dim : int, optional
        ``k``, the latent dimension of a linear generator (default ``d``).
        Ignored when ``latent`` is given to :meth:`fit`.
    n_generated : int, optional
        ``m``, the number of generated samples (default ``n``). Ignored when
        ``latent`` is given to :meth:`fit`.
    tol : float, default=1e-6
        The certificate's relative tolerance: certified when
        ``Δ(X, G) <= β (1 + tol)``.
    max_iter : int, default=100
        Cutting-plane rounds (``generator="points"``).
    cuts_per_iter : int, default=10
        Most violated atoms added per round (``"points"``).
    margin : float, default=0.1
        ``"points"``: the LPs ask for ``|δ| <= β (1 − margin)`` on their cuts, so
        that atoms near the cuts (hyperplanes through the moved particles) do
        not reopen the gap; the certificate checks ``β`` itself.
    trust_radius : float, default=0.1
        ``"points"``: each LP moves every coordinate of every particle by at
        most this fraction of the largest standard deviation of the samples
        (data and initial particles); keeps the ℓ1 cost's vertex solutions from
        sending single particles far away.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the latent samples (or initial particles) and of :meth:`sample`.
    memory_limit : int, default=2 GiB
        Budget in bytes of the wedge dictionary of the ``n + m`` samples (ReLU).

    Attributes
    ----------
    generator_ : ndarray
        ``W`` (``k × d``) for a linear generator; the particles (``m × d``) for
        ``"points"``.
    offset_ : ndarray of shape (d,)
        The linear generator's offset (zero unless quadratic with a bias).
    generator_kind_ : {"linear", "points"}
        The generator fitted (``generator="auto"`` resolved).
    latent_ : ndarray
        The latent samples ``Z`` (``m × k``), or the initial particles ``G⁰``.
    samples_ : ndarray of shape (m, d)
        The generated samples ``G``.
    discrepancy_ : float
        ``Δ(X, G)`` recomputed at the end by :func:`discrepancy` (exact).
    initial_discrepancy_ : float
        ``Δ(X, G⁰)`` at the initial particles (``"points"``; NaN otherwise).
    certified_ : bool
        ``discrepancy_ <= β (1 + tol)``: the final samples satisfy the exact
        constraint (the critic's inner maximum is 0).
    optimal_ : bool
        The generator cost is provably minimal: the closed forms (linear
        generator) whose cost equals the bound of their proof, recomputed from
        eigenvalues (relative ``1e-6``), with ``certified_``. Always False
        for ``"points"`` (non-convex: feasibility only).
    cost_ : float
        The generator cost at the end (``‖W‖_F²`` or the mean ℓ1 displacement).
    cost_lower_bound_ : float
        The bound of the proof (linear generator); NaN for ``"points"``.
    discriminator_ : list of dict
        The critic's active neurons: those with ``|δ|`` within ``1e-4``
        (relative) of ``discrepancy_``, at most 50, largest first. Keys:
        ``weight`` (unit norm), ``bias``, ``discrepancy`` (signed δ),
        ``output_weight`` (its sign), ``data_samples`` / ``generated_samples``
        (indices of the samples the hyperplane passes through, ReLU) and
        ``axes``. Empty when ``Δ = 0`` (the zero critic).
    cuts_ : dict or None
        ``"points"``: the working set of cuts (``weights``, ``biases``,
        ``sides``).
    history_ : list of dict
        ``"points"``: per round, ``discrepancy``, ``cost`` and ``n_cuts``.
    n_iter_ : int
        Cutting-plane LPs solved (0 for a closed form).
    n_features_in_ : int

    Examples
    --------
    Second-moment matching with a rank-one linear generator: the constraint
    is active, ``Δ = β`` to rounding, and the cost meets the proof's bound.

    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)) * [2.0, 0.5]
    >>> gan = ConvexWGAN("quadratic", beta=0.5, latent_dim=1, random_state=0).fit(X)
    >>> gan.certified_, gan.optimal_, abs(gan.discrepancy_ - 0.5) < 1e-12
    (True, True, True)

    A ReLU critic with particles: cutting planes until the exact check passes.

    >>> X = rng.normal(size=(12, 2)) + [3.0, 0.0]
    >>> gan = ConvexWGAN("relu", beta=0.2, n_generated=6, random_state=0).fit(X)
    >>> gan.initial_discrepancy_ > 0.2, gan.certified_, gan.discrepancy_ <= 0.2 * (1 + 1e-6)
    (True, True, True)
    """

    _parameter_constraints: ClassVar[dict] = {
        "activation": [options(*ACTIVATIONS)],
        "beta": [POSITIVE],
        "generator": [options("auto", "linear", "points")],
        "bias": ["boolean"],
        "norm": [options("auto", "l1", "l2")],
        "latent_dim": [at_least(1), None],
        "n_generated": [at_least(1), None],
        "tol": [NONNEGATIVE],
        "max_iter": [COUNT],
        "cuts_per_iter": [COUNT],
        "margin": [FRACTION],
        "trust_radius": [POSITIVE],
        "random_state": RANDOM_STATE,
        "memory_limit": [POSITIVE],
    }

    def __init__(
        self,
        activation="quadratic",
        *,
        beta=0.1,
        generator="auto",
        bias=True,
        norm="auto",
        latent_dim=None,
        n_generated=None,
        tol=1e-6,
        max_iter=100,
        cuts_per_iter=10,
        margin=0.1,
        trust_radius=0.1,
        random_state=None,
        memory_limit=DEFAULT_MEMORY_LIMIT,
    ):
        self.activation = activation
        self.beta = beta
        self.generator = generator
        self.bias = bias
        self.norm = norm
        self.latent_dim = latent_dim
        self.n_generated = n_generated
        self.tol = tol
        self.max_iter = max_iter
        self.cuts_per_iter = cuts_per_iter
        self.margin = margin
        self.trust_radius = trust_radius
        self.random_state = random_state
        self.memory_limit = memory_limit

    def _generator_kind(self):
        kind = self.generator
        if kind == "auto":
            return "points" if self.activation == "relu" else "linear"
        if self.activation == "relu" and kind == "linear":
            raise ValueError(
                "generator='linear' is available for activation='linear' or 'quadratic' (closed "
                "forms); with activation='relu' the constraint is not convex in W: use "
                "generator='points'"
            )
        if self.activation != "relu" and kind == "points":
            raise ValueError(
                f"generator='points' is the ReLU critic's particle generator; with "
                f"activation={self.activation!r} use generator='linear' (a closed form)"
            )
        return kind

    def fit(self, X, latent=None):
        """Train the generator against the critic's constraint.

        Parameters
        ----------
        X : array_like, shape (n, d)
            Data samples (at least two, finite).
        latent : array_like, optional
            Linear generator: the latent samples ``Z`` (``m × k``); default
            ``n_generated × latent_dim`` seeded standard normal. Particles: the
            initial particles ``G⁰`` (``m × d``); default ``n_generated × d``
            seeded standard normal.

        Returns
        -------
        self
        """
        self._validate_params()
        beta = check_positive(self.beta, "beta")
        kind = self._generator_kind()
        forget_fit(self)
        X = samples_array(X, "X", minimum=2)
        n, d = X.shape
        norm = resolve_norm(self.activation, self.norm, d)
        self.n_features_in_ = d
        rng = as_generator(self.random_state)
        m = n if self.n_generated is None else as_positive_int(self.n_generated, "n_generated")
        if kind == "points":
            Z = (
                rng.standard_normal((m, d))
                if latent is None
                else samples_array(latent, "latent", d)
            )
        elif latent is None:
            k = d if self.latent_dim is None else as_positive_int(self.latent_dim, "latent_dim")
            Z = rng.standard_normal((m, k))
        else:
            Z = samples_array(latent, "latent", minimum=2)
        self.latent_ = Z
        self.generator_kind_ = kind
        self.initial_discrepancy_ = math.nan
        self.cuts_ = None
        self.history_ = []
        self.n_iter_ = 0
        if kind == "linear":
            self._fit_linear(X, Z, beta, norm)
        else:
            self._fit_points(X, Z, beta, norm)
        value, neurons = scan(
            X, self.samples_, self.activation, bool(self.bias), norm, MAX_LISTED, self.memory_limit
        )
        self.discrepancy_ = float(value)
        self.certified_ = bool(value <= beta * (1.0 + self.tol))
        self.optimal_ = bool(self.optimal_ and self.certified_)
        keep = np.flatnonzero(np.abs(neurons.values) >= (1.0 - ACTIVE_RTOL) * value)
        if value == 0.0:
            keep = keep[:0]  # the zero critic: no active neuron
        active = Neurons(
            neurons.weights[keep],
            neurons.biases[keep],
            neurons.values[keep],
            [neurons.axes[j] for j in keep],
        )
        self.discriminator_ = records(active, X, self.samples_, self.activation)
        return self

    def _fit_linear(self, X, Z, beta, norm):
        if self.activation == "linear":
            W = _linear_generator(X, Z, beta, norm)
            offset = np.zeros(X.shape[1])
            xbar = X.mean(axis=0)
            if norm == "l2":
                a_norm = max(0.0, float(np.linalg.norm(xbar)) - beta)
            else:
                a_norm = float(np.linalg.norm(np.maximum(np.abs(xbar) - beta, 0.0)))
            zz = float(Z.mean(axis=0) @ Z.mean(axis=0))
            bound = a_norm**2 / zz if a_norm > 0 else 0.0
        else:
            W, offset, rank = _quadratic_generator(X, Z, beta, bool(self.bias))
            bound, a = _quadratic_bound(X, Z, beta, bool(self.bias), rank)
            if rank < a.size and a[rank] > beta * (1.0 + self.tol):
                warnings.warn(
                    f"beta = {beta:g} is below the {rank + 1}-th eigenvalue {a[rank]:.4g} of the "
                    f"data's second-moment matrix, and the latent has rank {rank}: no generator "
                    "of that rank is feasible. The soft-thresholded generator returned reaches "
                    f"the smallest discrepancy a rank-{rank} generator can ({a[rank]:.4g}); "
                    "raise beta or latent_dim",
                    GeolassoWarning,
                    stacklevel=3,
                )
        self.generator_ = W
        self.offset_ = offset
        self.samples_ = Z @ W + offset
        self.cost_ = float(np.sum(W * W))
        self.cost_lower_bound_ = float(bound)
        scale = max(abs(bound), abs(self.cost_))
        self.optimal_ = bool(abs(self.cost_ - bound) <= BOUND_RTOL * scale)

    def _fit_points(self, X, G0, beta, norm):
        per_iter = as_positive_int(self.cuts_per_iter, "cuts_per_iter")
        spread = float(np.vstack([X, G0]).std(axis=0).max())
        radius = check_positive(self.trust_radius, "trust_radius") * (spread or 1.0)
        G, history, cuts, reason, n_lp = _cutting_plane(
            X,
            G0,
            beta,
            bool(self.bias),
            norm,
            float(self.tol),
            int(self.max_iter),
            per_iter,
            float(self.margin),
            radius,
            self.memory_limit,
        )
        self.generator_ = G
        self.offset_ = np.zeros(X.shape[1])
        self.samples_ = G
        self.history_ = history
        self.initial_discrepancy_ = float(history[0]["discrepancy"])
        self.n_iter_ = int(n_lp)
        self.cost_ = float(np.abs(G - G0).sum() / G.shape[0])
        self.cost_lower_bound_ = math.nan
        self.optimal_ = False
        self.cuts_ = {"weights": cuts.W, "biases": cuts.b, "sides": cuts.side}
        if reason != "certified":
            warnings.warn(
                f"ConvexWGAN's cutting planes stopped ({reason}) after {n_lp} LPs with "
                f"discrepancy {history[-1]['discrepancy']:.6g} > beta (1 + tol) = "
                f"{beta * (1 + self.tol):.6g}: the samples are not certified; raise max_iter "
                "or cuts_per_iter",
                ConvergenceWarning,
                stacklevel=3,
            )

    # ------------------------------------------------------------------ using the fit
    def _check(self):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "samples_")

    def sample(self, n_samples, *, random_state=None):
        """New generated samples.

        Parameters
        ----------
        n_samples : int
            How many.
        random_state : int, numpy.random.Generator or None, default=None
            Seed of the draw (new standard normal latents for a linear
            generator; particles drawn uniformly with replacement for
            ``"points"``).

        Returns
        -------
        ndarray of float64, shape (n_samples, d)
        """
        self._check()
        n_samples = as_positive_int(n_samples, "n_samples")
        rng = as_generator(random_state)
        if self.generator_kind_ == "points":
            return self.samples_[rng.integers(0, self.samples_.shape[0], n_samples)]
        Z = rng.standard_normal((n_samples, self.generator_.shape[0]))
        return Z @ self.generator_ + self.offset_

    def discriminator_network(self) -> ReLUNetwork:
        """The critic's active neurons as a :class:`~geolasso.ReLUNetwork` (ReLU only).

        Each neuron of ``discriminator_`` with output weight ``±1``, so that
        ``mean D(X) − mean D(G) = Σ_j |δ_j|``. (At a saddle point the output
        weights are the Lagrange multipliers of the active constraints, which
        the constraint alone does not fix; ``±1`` keeps each neuron's sign.)

        Returns
        -------
        ReLUNetwork
        """
        self._check()
        if self.activation != "relu":
            raise ValueError(
                f"discriminator_network() builds a ReLU network; the critic of "
                f"activation={self.activation!r} is not one (read discriminator_)"
            )
        d = self.n_features_in_
        recs = self.discriminator_
        W = np.array([r["weight"] for r in recs]).reshape(-1, d)
        return ReLUNetwork(
            W,
            np.array([r["bias"] for r in recs]),
            np.array([r["output_weight"] for r in recs]),
            0.0,
            metadata={"trained_by": "geolasso.gan.ConvexWGAN", "beta": float(self.beta)},
        )

    def to_torch(self, dtype=None):
        """The linear generator as ``torch.nn.Linear(k, d)`` (weight ``Wᵀ``, bias the offset).

        Parameters
        ----------
        dtype : torch.dtype, optional
            ``torch.float64`` by default.

        Returns
        -------
        torch.nn.Linear
        """
        self._check()
        if self.generator_kind_ == "points":
            raise ValueError(
                "to_torch() converts a linear generator; the particle generator "
                "(generator='points') has no network: use samples_ or sample()"
            )
        torch = import_torch()
        dtype = torch.float64 if dtype is None else dtype
        k, d = self.generator_.shape
        layer = torch.nn.Linear(k, d, dtype=dtype)
        with torch.no_grad():
            layer.weight.copy_(torch.as_tensor(self.generator_.T, dtype=dtype))
            layer.bias.copy_(torch.as_tensor(self.offset_, dtype=dtype))
        return layer
