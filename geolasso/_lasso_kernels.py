"""numba kernels of the Lasso's feature-sign search: an updatable Cholesky factor (internal).

Feature-sign search changes its active set by one or a few atoms per step.
Keeping the Cholesky factor ``L`` of the active Gram matrix (``G_AA = L Lᵀ``)
and updating it, one appended row (``O(k²)``) or one deleted row restored to
triangular form by Givens rotations (``O(k²)``), replaces a dense
``O(k³)`` factorisation per step. Plain loops, no LAPACK: these compile in
well under a second. The kernels trust their input (float64, C-contiguous
``L`` of shape ``(m, m)`` with the factor in its leading ``k × k`` block).
"""

from __future__ import annotations

import numpy as np

from ._numba import njit


@njit
def _chol_append(L, k, g, gjj, tol):
    """Append an atom: row ``k`` of ``L`` from its Gram column ``g`` and diagonal ``gjj``.

    Parameters
    ----------
    L : ndarray of float64, shape (m, m)
        Factor in the leading ``k × k`` block; row ``k`` is written.
    k : int
        Current size.
    g : ndarray of float64, shape (k,)
        Gram entries between the new atom and the active ones, in factor order.
    gjj : float
        The new atom's squared norm.
    tol : float
        The append fails (returns False, ``L`` unusable) when the new pivot
        ``gjj - |l|²`` is at most ``tol * gjj``: the atom is (nearly) a
        combination of the active ones.

    Returns
    -------
    bool
    """
    s2 = 0.0
    for i in range(k):
        s = g[i]
        for t in range(i):
            s -= L[i, t] * L[k, t]
        v = s / L[i, i]
        L[k, i] = v
        s2 += v * v
    d2 = gjj - s2
    if not d2 > tol * gjj:
        return False
    L[k, k] = np.sqrt(d2)
    return True


@njit
def _chol_delete(L, k, p):
    """Remove atom ``p`` (row and column) from a ``k × k`` factor, in place.

    Rows below ``p`` move up one; the superdiagonal this leaves is zeroed by
    Givens rotations of column pairs, which keep ``L Lᵀ`` and make the
    diagonal positive.

    Parameters
    ----------
    L : ndarray of float64, shape (m, m)
        Factor in the leading ``k × k`` block.
    k : int
        Current size (the result has size ``k - 1``).
    p : int
        Position of the atom to remove.
    """
    for i in range(p, k - 1):
        for t in range(i + 2):
            L[i, t] = L[i + 1, t]
    for i in range(p, k - 1):
        a = L[i, i]
        b = L[i, i + 1]
        r = np.hypot(a, b)
        if r == 0.0:
            continue
        c = a / r
        s = b / r
        for t in range(i, k - 1):
            x = L[t, i]
            y = L[t, i + 1]
            L[t, i] = c * x + s * y
            L[t, i + 1] = -s * x + c * y
    for t in range(k):
        L[t, k - 1] = 0.0
        L[k - 1, t] = 0.0


@njit
def _chol_solve(L, k, rhs, out):
    """Solve ``L Lᵀ x = rhs`` with the leading ``k × k`` factor.

    Parameters
    ----------
    L : ndarray of float64, shape (m, m)
        Factor.
    k : int
        Size.
    rhs : ndarray of float64, shape (k,)
        Right-hand side.
    out : ndarray of float64, shape (k,)
        Written: the solution.
    """
    for i in range(k):
        s = rhs[i]
        for t in range(i):
            s -= L[i, t] * out[t]
        out[i] = s / L[i, i]
    for i in range(k - 1, -1, -1):
        s = out[i]
        for t in range(i + 1, k):
            s -= L[t, i] * out[t]
        out[i] = s / L[i, i]
