"""numba kernels of :mod:`geolasso.algebra` other than the wedge kernels (internal).

The wedge kernels live in the generated module ``_wedge_kernels``. This module
imports only numpy and the numba shim.
"""

from __future__ import annotations

import numpy as np

from ._numba import njit


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
    # element loops, no slice assignment or np.arange: their broadcasting checks bring
    # numba's error-message machinery, about 2 s of compilation in a fresh install
    current = np.empty(k, dtype=np.int64)
    for j in range(k):
        current[j] = j
    for r in range(m):
        for j in range(k):
            out[r, j] = current[j]
        # successor: rightmost position that can still grow
        i = k - 1
        while i >= 0 and current[i] == n - k + i:
            i -= 1
        if i < 0:
            break
        current[i] += 1
        for j in range(i + 1, k):
            current[j] = current[j - 1] + 1
