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
    # Lᵀ x = out, by rows of L (contiguous): once x_i is known, remove it from the rest
    for i in range(k - 1, -1, -1):
        xi = out[i] / L[i, i]
        out[i] = xi
        for t in range(i):
            out[t] -= L[i, t] * xi


@njit
def _gram_rows_dot(G, idx, coef, b, out):
    """``out = G[idx]ᵀ coef - b`` (the gradient ``G z - b`` of a ``z`` supported on ``idx``).

    ``G`` is symmetric, so the columns ``G[:, idx]`` are read as contiguous rows.

    Parameters
    ----------
    G : ndarray of float64, shape (m, m)
        Symmetric Gram matrix, C-contiguous.
    idx : ndarray of int64, shape (k,)
        Rows to combine.
    coef : ndarray of float64, shape (k,)
        Their coefficients.
    b : ndarray of float64, shape (m,)
        Subtracted.
    out : ndarray of float64, shape (m,)
        Written.
    """
    m = G.shape[0]
    for i in range(m):
        out[i] = -b[i]
    for t in range(idx.size):
        c = coef[t]
        if c == 0.0:
            continue
        row = idx[t]
        for i in range(m):
            out[i] += c * G[row, i]


@njit
def _gram_sub_matvec(G, idx, x, out):
    """``out = G[idx][:, idx] @ x`` without gathering the submatrix.

    Parameters
    ----------
    G : ndarray of float64, shape (m, m)
        Symmetric Gram matrix, C-contiguous.
    idx : ndarray of int64, shape (k,)
        The rows and columns.
    x : ndarray of float64, shape (k,)
        Vector.
    out : ndarray of float64, shape (k,)
        Written.
    """
    k = idx.size
    for s in range(k):
        row = idx[s]
        acc = 0.0
        for t in range(k):
            acc += G[row, idx[t]] * x[t]
        out[s] = acc


@njit
def _chol_sync(L, G, order, k, theta, in_factor, tol):
    """Update the factor to the atoms with ``theta != 0``: deletions, then appends.

    Parameters
    ----------
    L : ndarray of float64, shape (m, m)
        Factor of ``G[order[:k]][:, order[:k]]`` in its leading ``k × k`` block.
    G : ndarray of float64, shape (m, m)
        Gram matrix.
    order : ndarray of int64, shape (m,)
        Atoms in factor order (first ``k`` entries), updated.
    k : int
        Current size.
    theta : ndarray of float64, shape (m,)
        Signs; the atoms with a non-zero sign form the new active set.
    in_factor : ndarray of bool, shape (m,)
        Whether an atom is in the factor, updated.
    tol : float
        Pivot tolerance of :func:`_chol_append`.

    Returns
    -------
    int
        The new size, or -1 when an append failed (the factor is then unusable).
    """
    for p in range(k - 1, -1, -1):
        j = order[p]
        if theta[j] == 0.0:
            _chol_delete(L, k, p)
            for q in range(p, k - 1):
                order[q] = order[q + 1]
            in_factor[j] = False
            k -= 1
    g = np.empty(G.shape[0])
    for j in range(G.shape[0]):
        if theta[j] != 0.0 and not in_factor[j]:
            for t in range(k):
                g[t] = G[order[t], j]
            if not _chol_append(L, k, g[:k], G[j, j], tol):
                return -1
            order[k] = j
            in_factor[j] = True
            k += 1
    return k
