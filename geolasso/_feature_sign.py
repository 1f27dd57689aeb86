"""Feature-sign search: the exact Lasso on a working set's Gram matrix (internal).

The working-set subproblem is solved in the scaling

.. math::

    F(z) = \\tfrac12 z^T G z - b^T z + \\lambda \\lVert z \\rVert_1,

with ``G = K_Wᵀ K_W``, ``b = K_Wᵀ y`` and ``λ = n α`` (``n`` times the Lasso
objective, up to a constant).

The loop is numpy over small numba kernels. Each step solves the signed
equations on the active set (``k`` atoms) with a Cholesky factor that is
updated in place as atoms enter and leave (:mod:`geolasso._lasso_kernels`,
``O(k²)`` per change), and updates the gradient from the active rows of
``G`` (``O(m k)``, never the full ``O(m²)`` product); the line search reads
its slope and curvature off the solve (``O(k)``). It falls back to
LAPACK (Cholesky, then LU, least squares, a small ridge) when an update
fails or its solution is inaccurate: wedge dictionaries have linearly
dependent sets of columns. A numba version of the whole loop was 1.8x faster
on the spiral dictionary but cost 16 s of compilation on first use after
installation (LAPACK bindings).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

#: An appended atom whose new Cholesky pivot is below this fraction of its squared
#: norm is treated as dependent on the active set (the factor is rebuilt or bypassed).
_PIVOT_RTOL = 1e-10

__all__ = ["feature_sign"]


class _Factor:
    """The active set in factor order, with its Cholesky factor when one is valid."""

    def __init__(self, G):
        from ._lasso_kernels import _chol_solve, _chol_sync, _gram_sub_matvec

        self._solve, self._sync_kernel, self._sub_matvec = _chol_solve, _chol_sync, _gram_sub_matvec
        self.G = G
        self.L = np.zeros(G.shape)
        self._order = np.zeros(G.shape[0], dtype=np.int64)  # factor order (capacity m)
        self._in_factor = np.zeros(G.shape[0], dtype=bool)
        self.order = self._order[:0]
        self.valid = True

    def _sync(self, theta):
        """Update the factor to the atoms with a non-zero sign; False if it fails."""
        k = self._sync_kernel(
            self.L, self.G, self._order, self.order.size, theta, self._in_factor, _PIVOT_RTOL
        )
        if k < 0:
            return False
        self.order = self._order[:k]
        return True

    def solve(self, theta, b, lam):
        """Active atoms, the solution of the signed equations and ``G_AA`` times it."""
        if self.valid:
            self.valid = self._sync(theta)
        if self.valid:
            active = self.order
            rhs = b[active] - lam * theta[active]
            target = np.empty(active.size)
            self._solve(self.L, active.size, rhs, target)
            Gt = np.empty(active.size)
            self._sub_matvec(self.G, active, target, Gt)
            res = rhs - Gt
            if np.sqrt(res @ res) <= 1e-9 * np.sqrt(rhs @ rhs):
                return active, target, Gt
        active = np.flatnonzero(theta)  # no valid factor, or inaccurate: solve densely
        Gaa = self.G[np.ix_(active, active)]
        rhs = b[active] - lam * theta[active]
        target, cholesky = _dense_solve(Gaa, rhs)
        # a dense Cholesky factor of this set restarts the updates
        self.valid = cholesky is not None
        if self.valid:
            k = active.size
            self.L[:k, :k] = cholesky
            self._order[:k] = active
            self._in_factor[:] = False
            self._in_factor[active] = True
            self.order = self._order[:k]
        return active, target, Gaa @ target


def _dense_solve(Gaa, rhs):
    """Solve ``Gaa x = rhs``: Cholesky, then LU, least squares, a small ridge.

    Returns the solution and the Cholesky factor (lower) when it was usable.
    """
    rhs_norm = np.sqrt(rhs @ rhs)
    chol, info = lapack.dpotrf(Gaa, lower=1, clean=1)
    if info == 0:
        target, info = lapack.dpotrs(chol, rhs, lower=1)
        res = rhs - Gaa @ target
        if info == 0 and np.sqrt(res @ res) <= 1e-9 * rhs_norm:
            return target, chol
    _, _, target, info = lapack.dgesv(Gaa, rhs)
    if info == 0:
        res = rhs - Gaa @ target
        if np.sqrt(res @ res) <= 1e-9 * rhs_norm:
            return target, None
    target = np.linalg.lstsq(Gaa, rhs, rcond=None)[0]
    res = rhs - Gaa @ target
    if np.sqrt(res @ res) > 1e-9 * rhs_norm:
        shift = 1e-9 * max(Gaa.diagonal().max(), 1e-300)
        target = np.linalg.solve(Gaa + shift * np.eye(rhs.size), rhs)
    return target, None


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
    from ._lasso_kernels import _gram_rows_dot

    G = np.ascontiguousarray(G)
    grad = np.empty(b.size)

    def gradient_and_value():
        nz = np.flatnonzero(z)
        _gram_rows_dot(G, nz, np.ascontiguousarray(z[nz]), b, grad)
        # F = ½ zᵀGz - bᵀz + λ‖z‖₁ with Gz = grad + b
        return 0.5 * (z @ grad) - 0.5 * (b @ z) + lam * np.abs(z).sum()

    theta = np.sign(z)
    steps = 0
    current = gradient_and_value()
    settled = False
    factor = _Factor(G)
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
        steps += 1
        active, target, Gt = factor.solve(theta, b, lam)
        za = z[active]
        delta = target - za
        g_a = grad[active]  # = G_AA z_A - b_A: z is supported on the active set
        crossing = (za != 0.0) & (np.sign(target) != np.sign(za))
        t_cross = np.where(crossing, za / np.where(crossing, za - target, 1.0), np.inf)
        cand = np.concatenate(([1.0], t_cross[crossing]))
        slope = delta @ g_a
        curv = delta @ (Gt - g_a - b[active])  # G_AA δ = G_AA target - G_AA z_A
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
        current = gradient_and_value()
    return steps, 1
