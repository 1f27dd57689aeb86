"""numba kernels of :mod:`geolasso.algebra` (internal).

The generic kernel :func:`_wedge_subsets` computes wedge products of many index
subsets of the rows of one matrix by repeated exterior multiplication with a
vector, keeping the partial wedges of the current prefix. Consecutive subsets
that share a prefix (as lexicographically ordered subsets do) reuse its lower
order minors: for all triples of 200 vectors the pair minors change only once
every ~200 triples, so a triple costs one extension step.

Extension rule, for a sorted index set ``S = (s_0 < ... < s_{j-1})`` and a
(j-1)-blade ``B`` with coefficients in lexicographic order::

    (B ∧ a)[S] = Σ_p (-1)^(j-1-p) · B[S without s_p] · a[s_p]

(``e_{S∖s_p} ∧ e_{s_p}`` needs ``j-1-p`` transpositions to reach ``e_S``). The
tables of the rule are built in :mod:`geolasso.algebra`. For
``d <= MINORS_MAX_DIM`` the faster kernels of ``_wedge_unrolled_kernels`` (the
same computation with the last step written out) are used instead. This module
imports only numpy and the numba shim.
"""

from __future__ import annotations

import numpy as np

from ._numba import njit


@njit
def _wedge_subsets(X, subsets, idx, col, sgn, counts, perm, osign, out):
    """Wedge products of subsets of rows of ``X``, reusing shared prefixes.

    Parameters
    ----------
    X : ndarray of float64, shape (n, d)
        The vectors, one per row.
    subsets : ndarray of int64, shape (m, k), k >= 1
        Row indices of ``X``; row ``r`` of the output is the wedge of
        ``X[subsets[r, 0]], ..., X[subsets[r, k-1]]`` in that order.
    idx : ndarray of int64, shape (k + 1, c, k)
        ``idx[j, t, p]``: position, among the (j-1)-subsets, of the t-th
        j-subset with its p-th element removed (``c`` = largest count).
    col : ndarray of int64, shape (k + 1, c, k)
        ``col[j, t, p]``: the p-th element of the t-th j-subset.
    sgn : ndarray of float64, shape (k + 1, c, k)
        ``sgn[j, t, p] = (-1)^(j-1-p)``.
    counts : ndarray of int64, shape (k + 1,)
        ``counts[j] = C(d, j)``.
    perm : ndarray of int64, shape (C(d, k),)
        Output column of each k-blade coefficient.
    osign : ndarray of float64, shape (C(d, k),)
        Sign applied to each coefficient on output.
    out : ndarray of float64, shape (m, C(d, k))
        Written in place: ``out[r, perm[t]] = osign[t] * wedge_r[t]``.
    """
    m = subsets.shape[0]
    k = subsets.shape[1]
    buf = np.zeros((k + 1, idx.shape[1]))
    buf[0, 0] = 1.0
    prev = np.full(k, -1, dtype=np.int64)
    for r in range(m):
        start = 0
        while start < k - 1 and subsets[r, start] == prev[start]:
            start += 1
        for j in range(start, k):
            row = subsets[r, j]
            level = j + 1
            for t in range(counts[level]):
                acc = 0.0
                for p in range(level):
                    acc += sgn[level, t, p] * buf[j, idx[level, t, p]] * X[row, col[level, t, p]]
                buf[level, t] = acc
            prev[j] = row
        repeated = False
        for a in range(k):
            for b in range(a):
                if subsets[r, a] == subsets[r, b]:
                    repeated = True
        for t in range(counts[k]):
            if repeated:  # a ∧ a = 0 exactly, whatever the rounding of the expansion
                out[r, perm[t]] = 0.0
            else:
                out[r, perm[t]] = osign[t] * buf[k, t] + 0.0  # + 0.0 turns -0.0 into 0.0


@njit
def _combinations(n, out):
    """All k-subsets of ``range(n)`` in lexicographic order.

    Parameters
    ----------
    n : int
        Size of the ground set.
    out : ndarray of int64, shape (C(n, k), k)
        Written in place, one subset per row; ``k >= 1``.
    """
    m, k = out.shape
    current = np.arange(k)
    for r in range(m):
        out[r, :] = current
        # successor: rightmost position that can still grow
        i = k - 1
        while i >= 0 and current[i] == n - k + i:
            i -= 1
        if i < 0:
            break
        current[i] += 1
        for j in range(i + 1, k):
            current[j] = current[j - 1] + 1
