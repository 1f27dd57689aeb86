"""numba kernels of :mod:`geolasso.lasso` (internal).

The working-set subproblem is solved on its Gram matrix, in the scaling

.. math::

    F(z) = \\tfrac12 z^T G z - b^T z + \\lambda \\lVert z \\rVert_1,

with ``G = K_Wᵀ K_W``, ``b = K_Wᵀ y`` and ``λ = n α``
(``n`` times the Lasso objective, up to a constant). The kernels take only
float64 arrays and scalars and write their results in place.
"""

from __future__ import annotations

import numpy as np

from ._numba import njit


@njit
def _objective(G, b, lam, z):
    """``F(z)``.

    Parameters
    ----------
    G : ndarray of float64, shape (m, m)
        Gram matrix.
    b : ndarray of float64, shape (m,)
        Linear term.
    lam : float
        ℓ1 weight.
    z : ndarray of float64, shape (m,)
        Point.

    Returns
    -------
    float
    """
    return 0.5 * (z @ (G @ z)) - b @ z + lam * np.abs(z).sum()


@njit
def _feature_sign(G, b, lam, z, rtol, max_steps):
    """Feature-sign search: the exact minimiser of ``F`` by signed active sets.

    Alternates (1) activating the zero coefficient whose gradient most
    violates ``|g_j| <= λ``, with the sign that decreases ``F``, and (2)
    feature-sign steps: the minimiser of the quadratic on the active set with
    the current signs, reached by a discrete line search that stops at the
    best of the points where a coefficient changes sign (there that
    coefficient leaves the set). ``F`` decreases strictly at every step, so
    no sign pattern repeats and the search ends after finitely many steps at
    the exact minimiser (Lee et al., 2007, for the same objective).

    Parameters
    ----------
    G : ndarray of float64, shape (m, m)
        Symmetric positive semi-definite Gram matrix.
    b : ndarray of float64, shape (m,)
        Linear term.
    lam : float
        ℓ1 weight, positive.
    z : ndarray of float64, shape (m,)
        Start point, overwritten with the solution.
    rtol : float
        Relative optimality tolerance: a zero coefficient is activated only
        when ``|g_j| > λ (1 + rtol)``; the signed equations of the non-zero
        coefficients are re-solved until they hold to ``rtol · λ`` or no
        longer improve ``F`` (rounding, on ill-conditioned sets).
    max_steps : int
        Maximum number of linear solves.

    Returns
    -------
    steps : int
        Linear solves used.
    status : int
        0 converged, 1 ``max_steps`` reached, 2 no further decrease found
        (rounding-limited).
    """
    m = z.shape[0]
    grad = G @ z - b
    theta = np.sign(z)
    steps = 0
    current = _objective(G, b, lam, z)
    settled = False  # the last re-solve on an unchanged active set could not improve F
    while steps < max_steps:
        # are the signed equations of the non-zero coefficients satisfied?
        balanced = True
        if not settled:
            for j in range(m):
                if z[j] != 0.0 and abs(grad[j] + lam * theta[j]) > rtol * lam:
                    balanced = False
                    break
        activated = False
        if balanced:
            worst = -1
            best = lam * (1.0 + rtol)
            for j in range(m):
                if z[j] == 0.0 and abs(grad[j]) > best:
                    best = abs(grad[j])
                    worst = j
            if worst < 0:
                return steps, 0
            theta[worst] = -np.sign(grad[worst])
            activated = True
        settled = False
        # feature-sign step on the signed active set
        active = np.flatnonzero(theta)
        a = active.shape[0]
        Gaa = np.empty((a, a))
        rhs = np.empty(a)
        za = np.empty(a)
        for p in range(a):
            rhs[p] = b[active[p]] - lam * theta[active[p]]
            za[p] = z[active[p]]
            for q in range(a):
                Gaa[p, q] = G[active[p], active[q]]
        # LU first; minimum-norm least squares when Gaa is singular (wedge dictionaries
        # have linearly dependent sets of columns)
        steps += 1
        rhs_norm = np.sqrt(rhs @ rhs)
        try:
            target = np.linalg.solve(Gaa, rhs)
            res = rhs - Gaa @ target
            solved = np.sqrt(res @ res) <= 1e-9 * rhs_norm
        except Exception:  # numba raises LinAlgError on an exactly singular matrix
            solved = False
        if not solved:
            target = np.linalg.lstsq(Gaa, rhs, -1.0)[0]
            res = rhs - Gaa @ target
        g_a = Gaa @ za - (rhs + lam * theta[active])  # gradient of the smooth part
        if np.sqrt(res @ res) > 1e-9 * rhs_norm:
            # rhs is not in the range of Gaa (dependent active columns): the signed
            # quadratic has no minimiser; aim at the minimiser with a small ridge,
            # the line search below keeps F decreasing
            ridge = Gaa.copy()
            shift = 1e-9 * max(np.max(np.diag(Gaa)), 1e-300)
            for p in range(a):
                ridge[p, p] += shift
            target = np.linalg.solve(ridge, rhs)
        delta = target - za
        cand = np.empty(a + 1)
        cand[0] = 1.0
        n_cand = 1
        for p in range(a):
            if za[p] != 0.0 and np.sign(target[p]) != np.sign(za[p]):
                cand[n_cand] = za[p] / (za[p] - target[p])
                n_cand += 1
        # F along z + t·delta is a quadratic plus a piecewise-linear ℓ1 term
        slope = delta @ g_a
        curv = delta @ (Gaa @ delta)
        best_t = 0.0
        best_f = current
        tie = 1e-15 * abs(current)
        for c in range(n_cand):
            t = cand[c]
            if t <= 0.0:
                continue
            f = t * slope + 0.5 * t * t * curv
            l1 = 0.0
            for p in range(a):
                l1 += abs(za[p] + t * delta[p])
            f += lam * l1 + (current - lam * np.abs(za).sum())
            # strict decrease, or (c > 0) a tie at a point where a coefficient
            # reaches zero: the active set shrinks, which is progress too
            if f < best_f - tie or (c > 0 and best_t == 0.0 and f <= current + tie):
                best_f = min(f, best_f)
                best_t = t
        if best_t == 0.0:
            if activated:
                return steps, 2
            # the signed equations hold to rounding on this ill-conditioned set
            settled = True
            continue
        for p in range(a):
            j = active[p]
            value = za[p] + best_t * delta[p]
            crossing = za[p] != 0.0 and np.sign(target[p]) != np.sign(za[p])
            if crossing and za[p] / (za[p] - target[p]) <= best_t * (1.0 + 1e-9):
                value = 0.0  # coefficients that reached zero (ties included) leave the set
            z[j] = value
            theta[j] = np.sign(value)
        grad = G @ z - b
        current = _objective(G, b, lam, z)
    return steps, 1
