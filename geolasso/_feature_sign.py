"""Feature-sign search: the exact Lasso on a working set's Gram matrix (internal).

The working-set subproblem is solved in the scaling

.. math::

    F(z) = \\tfrac12 z^T G z - b^T z + \\lambda \\lVert z \\rVert_1,

with ``G = K_Wᵀ K_W``, ``b = K_Wᵀ y`` and ``λ = n α`` (``n`` times the Lasso
objective, up to a constant).

Plain numpy and LAPACK, no JIT: each step is one small dense solve, so the
time goes to LAPACK either way. A numba version of the same loop was 1.8x
faster on the spiral dictionary but cost 16 s of compilation on first use
after installation (LAPACK bindings), against a target of 2 s.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

__all__ = ["feature_sign"]


def feature_sign(G, b, lam, z, rtol, max_steps):
    """Feature-sign search: the exact minimiser of ``F`` by signed active sets.

    Alternates (1) activating the zero coefficient whose gradient most
    violates ``|g_j| <= λ``, with the sign that decreases ``F``, and (2)
    feature-sign steps: the minimiser of the quadratic on the active set with
    the current signs, reached by a discrete line search that stops at the
    best of the points where a coefficient changes sign (there that
    coefficient leaves the set). ``F`` decreases at every step (a tie that
    zeroes a coefficient also counts), so the search ends after finitely many
    steps at the minimiser (Lee et al., 2007).

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

    Notes
    -----
    Singular active Gram matrices (wedge dictionaries have linearly dependent
    sets of columns) fall back to the minimum-norm least-squares solution,
    and, when the signed system has none, to a solve with a ridge of 1e-9 of
    the largest diagonal entry; the line search keeps ``F`` decreasing.
    """
    grad = G @ z - b
    theta = np.sign(z)
    steps = 0
    current = 0.5 * z @ (G @ z) - b @ z + lam * np.abs(z).sum()
    settled = False
    while steps < max_steps:
        nz = z != 0.0
        balanced = settled or not np.any(np.abs(grad[nz] + lam * theta[nz]) > rtol * lam)
        activated = False
        if balanced:
            viol = np.where(nz, 0.0, np.abs(grad))
            worst = int(np.argmax(viol))
            if viol[worst] <= lam * (1.0 + rtol):
                return steps, 0
            theta[worst] = -np.sign(grad[worst])
            activated = True
        settled = False
        active = np.flatnonzero(theta)
        Gaa = G[np.ix_(active, active)]
        ta = theta[active]
        rhs = b[active] - lam * ta
        za = z[active]
        steps += 1
        rhs_norm = np.sqrt(rhs @ rhs)
        # Cholesky first (half the work of LU), LU if Gaa is not numerically definite
        _, target, info = lapack.dposv(Gaa, rhs)
        if info != 0:
            _, _, target, info = lapack.dgesv(Gaa, rhs)
        solved = info == 0
        if solved:
            res = rhs - Gaa @ target
            solved = np.sqrt(res @ res) <= 1e-9 * rhs_norm
        if not solved:
            target = np.linalg.lstsq(Gaa, rhs, rcond=None)[0]
            res = rhs - Gaa @ target
            if np.sqrt(res @ res) > 1e-9 * rhs_norm:
                shift = 1e-9 * max(Gaa.diagonal().max(), 1e-300)
                target = np.linalg.solve(Gaa + shift * np.eye(active.size), rhs)
        delta = target - za
        g_a = Gaa @ za - b[active]
        crossing = (za != 0.0) & (np.sign(target) != np.sign(za))
        t_cross = np.where(crossing, za / np.where(crossing, za - target, 1.0), np.inf)
        cand = np.concatenate(([1.0], t_cross[crossing]))
        slope = delta @ g_a
        curv = delta @ (Gaa @ delta)
        base = current - lam * np.abs(za).sum()
        f = cand * slope + 0.5 * cand**2 * curv + base
        f += lam * np.abs(za[None, :] + cand[:, None] * delta[None, :]).sum(axis=1)
        tie = 1e-15 * abs(current)
        best_t = 0.0
        best_f = current
        for c in range(cand.size):
            # strict decrease, or (c > 0) a tie where a coefficient reaches zero
            if f[c] < best_f - tie or (c > 0 and best_t == 0.0 and f[c] <= current + tie):
                best_f = min(f[c], best_f)
                best_t = cand[c]
        if best_t == 0.0:
            if activated:
                return steps, 2
            # the signed equations hold to rounding on this ill-conditioned set
            settled = True
            continue
        value = za + best_t * delta
        value[crossing & (t_cross <= best_t * (1.0 + 1e-9))] = 0.0  # ties leave together
        z[active] = value
        theta[active] = np.sign(value)
        grad = G @ z - b
        current = 0.5 * z @ (G @ z) - b @ z + lam * np.abs(z).sum()
    return steps, 1
