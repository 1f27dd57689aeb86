"""Numba kernels of :mod:`geolasso._crelu_newton`: face multipliers and step ratios.

The active-set Newton finish of the arrangement program asks two questions
of a group's cone ``{u : (2 m − 1) ⊙ Z u >= 0}``: the least-squares
multipliers of its active face rows (:func:`_face_multipliers`, to release a
constraint with a negative one) and how far a step may go before it reaches
a constraint not yet on the face (:func:`_step_ratios`).

:func:`_lstsq` is a deliberate copy of the one in
:mod:`geolasso._crelu_kernels`: a cached kernel does not notice edits to a
helper defined in another file, so each kernel module holds its own.
"""

from __future__ import annotations

import numpy as np

from ._numba import njit


@njit(cache=True)
def _lstsq(A, b, rcond):
    """A basic least-squares solution of ``A z ≈ b`` (Householder QR, column pivoting).

    The columns are taken in order of largest remaining norm; once the next
    pivot is at most ``rcond`` times the first (numerical rank reached) the
    remaining coefficients are zero. For a full-rank ``A`` this is the least
    squares solution; for a rank-deficient one, a least-squares solution with
    the dependent columns at zero (LAPACK's ``gelsd`` would return the one of
    minimum norm). Written out because numba's ``np.linalg.lstsq`` costs about
    four seconds of compilation (its LAPACK glue and error messages) in every
    fresh install, for systems of a few columns.
    """
    m, p = A.shape
    R = A.copy()
    c = b.copy()
    perm = np.arange(p)
    v = np.empty(m)
    rank = 0
    top = 0.0
    for k in range(min(m, p)):
        best, bnorm = k, -1.0
        for j in range(k, p):
            s = 0.0
            for i in range(k, m):
                s += R[i, j] * R[i, j]
            if s > bnorm:
                best, bnorm = j, s
        if best != k:
            for i in range(m):
                R[i, k], R[i, best] = R[i, best], R[i, k]
            perm[k], perm[best] = perm[best], perm[k]
        size = np.sqrt(bnorm)
        if k == 0:
            top = size
        if size == 0.0 or size <= rcond * top:
            break
        # the reflection that maps R[k:, k] to -sign(R[k, k]) size e_k
        for i in range(k, m):
            v[i] = R[i, k]
        v[k] += size if R[k, k] >= 0.0 else -size
        vv = 0.0
        for i in range(k, m):
            vv += v[i] * v[i]
        for j in range(k, p):
            s = 0.0
            for i in range(k, m):
                s += v[i] * R[i, j]
            f = 2.0 * s / vv
            for i in range(k, m):
                R[i, j] -= f * v[i]
        s = 0.0
        for i in range(k, m):
            s += v[i] * c[i]
        f = 2.0 * s / vv
        for i in range(k, m):
            c[i] -= f * v[i]
        rank += 1
    w = np.zeros(p)
    for i in range(rank - 1, -1, -1):
        s = c[i]
        for j in range(i + 1, rank):
            s -= R[i, j] * w[j]
        w[i] = s / R[i, i]
    z = np.zeros(p)
    for i in range(rank):
        z[perm[i]] = w[i]
    return z


@njit(cache=True)
def _face_multipliers(Z, masks, faces, groups, grads, row, low, top):
    """The most negative multiplier of each group's face constraints.

    For group ``g = groups[t]`` with face rows ``a_j = (2 m_j − 1) z_j`` (``j`` in
    ``faces[g]``), the least-squares multipliers ``μ`` of ``Σ_j μ_j a_j =
    grads[t]`` (:func:`_lstsq`'s basic solution, relative ``rcond`` at machine
    precision times the larger dimension); writes the face row of the smallest
    ``μ_j`` to ``row[t]`` (``-1`` for an empty face), that ``μ_j`` to ``low[t]``
    and ``max |μ|`` to ``top[t]``.
    """
    r = Z.shape[1]
    eps = np.finfo(np.float64).eps
    for t in range(groups.size):
        g = groups[t]
        rows = np.flatnonzero(faces[g])
        row[t] = -1
        low[t] = 0.0
        top[t] = 0.0
        if rows.size == 0:
            continue
        A = np.empty((r, rows.size))
        for k in range(rows.size):
            j = rows[k]
            sgn = 1.0 if masks[g, j] else -1.0
            for i in range(r):
                A[i, k] = sgn * Z[j, i]
        mu = _lstsq(A, grads[t], eps * max(r, rows.size))
        best = 0
        for k in range(rows.size):
            if mu[k] < mu[best]:
                best = k
            top[t] = max(top[t], abs(mu[k]))
        row[t] = rows[best]
        low[t] = mu[best]


@njit(cache=True)
def _step_ratios(masks, blocks, faces, free_rows, pre, dpre, ratios, first):
    """Step lengths at which a step reaches each cone constraint of its groups.

    Row ``k`` is group ``blocks[k]`` with pre-activations ``pre[k] = Z v`` and
    their change ``dpre[k] = Z dv`` along the step; the constraint of sample
    ``j`` (slack ``(2 m_j − 1) pre[k, j]``) is reached at
    ``max(slack, 0) / −dslack`` when its slack decreases, never (``inf``)
    otherwise, on the group's face (``faces[blocks[k], j]``) or when
    ``free_rows[k]`` is False (no cone). Writes ``ratios`` (k, n) and each
    row's minimum to ``first`` (k,).
    """
    nb, n = ratios.shape
    for k in range(nb):
        g = blocks[k]
        low = np.inf
        for j in range(n):
            value = np.inf
            if free_rows[k] and not faces[g, j]:
                sgn = 1.0 if masks[g, j] else -1.0
                dsl = sgn * dpre[k, j]
                if dsl < 0.0:
                    value = max(sgn * pre[k, j], 0.0) / -dsl
            ratios[k, j] = value
            low = min(low, value)
        first[k] = low
