"""numba kernels of :mod:`geolasso.dictionary` (internal).

A wedge dictionary is stored as ``H`` hyperplanes ``U`` of shape (H, D), each
row the normalised ``(w, b)`` of one hyperplane, and the data as the
transposed augmented matrix ``XT = [X, 1]^T`` of shape (D, n). Column
``2h`` of the dictionary is ``max(X̃ u_h, 0)`` (the "+" orientation) and
column ``2h + 1`` is ``max(-X̃ u_h, 0)``, so every kernel computes the
pre-activation ``t = X̃ u_h`` once and uses it for both orientations.

The kernels trust their input: float64, C-contiguous, matching shapes. They
that touch every hyperplane run in parallel over blocks of hyperplanes; each
output is a serial sum in a fixed order, so results do not depend on the
number of threads. ``_matvec`` (few active hyperplanes) is serial.
"""

from __future__ import annotations

import numpy as np

from ._numba import njit

try:  # prange is range when numba is absent or disabled
    from numba import prange
except ImportError:  # pragma: no cover - numba is a hard dependency
    prange = range

#: Hyperplanes handled per task in the parallel loops.
_BLOCK = 64


@njit
def _preactivation(XT, U, h, t):
    """``t = X̃ u_h`` for one hyperplane, one coordinate at a time (vectorises over samples).

    Parameters
    ----------
    XT : ndarray of float64, shape (D, n)
        Transposed augmented points.
    U : ndarray of float64, shape (H, D)
        Hyperplanes.
    h : int
        Row of ``U``.
    t : ndarray of float64, shape (n,)
        Written in place.
    """
    D, n = XT.shape
    u0 = U[h, 0]
    for i in range(n):
        t[i] = u0 * XT[0, i]
    for c in range(1, D):
        uc = U[h, c]
        for i in range(n):
            t[i] += uc * XT[c, i]


@njit(parallel=True)
def _rmatvec(XT, U, r, out):
    """Inner products of every column with a residual, without forming columns.

    Parameters
    ----------
    XT : ndarray of float64, shape (D, n)
        Transposed augmented data.
    U : ndarray of float64, shape (H, D)
        Normalised hyperplanes.
    r : ndarray of float64, shape (n,)
        The vector multiplied from the left.
    out : ndarray of float64, shape (2 * H,)
        Written in place: ``out[2h] = r · max(X̃ u_h, 0)`` and
        ``out[2h + 1] = r · max(-X̃ u_h, 0)``.
    """
    n = XT.shape[1]
    H = U.shape[0]
    n_blocks = (H + _BLOCK - 1) // _BLOCK
    for blk in prange(n_blocks):
        t = np.empty(n)
        for h in range(blk * _BLOCK, min(H, (blk + 1) * _BLOCK)):
            _preactivation(XT, U, h, t)
            # Branch-free selects (not max(), whose NaN handling blocks
            # vectorisation: inputs are finite) and four interleaved partial
            # sums in a fixed order, so no single accumulator chain limits
            # speed and the result does not depend on the thread count.
            p0 = p1 = p2 = p3 = 0.0
            q0 = q1 = q2 = q3 = 0.0
            m = n - n % 4
            for i in range(0, m, 4):
                a0 = r[i] * t[i]
                a1 = r[i + 1] * t[i + 1]
                a2 = r[i + 2] * t[i + 2]
                a3 = r[i + 3] * t[i + 3]
                p0 += a0 if t[i] > 0.0 else 0.0
                p1 += a1 if t[i + 1] > 0.0 else 0.0
                p2 += a2 if t[i + 2] > 0.0 else 0.0
                p3 += a3 if t[i + 3] > 0.0 else 0.0
                q0 -= a0 if t[i] < 0.0 else 0.0
                q1 -= a1 if t[i + 1] < 0.0 else 0.0
                q2 -= a2 if t[i + 2] < 0.0 else 0.0
                q3 -= a3 if t[i + 3] < 0.0 else 0.0
            for i in range(m, n):
                a0 = r[i] * t[i]
                p0 += a0 if t[i] > 0.0 else 0.0
                q0 -= a0 if t[i] < 0.0 else 0.0
            out[2 * h] = (p0 + p1) + (p2 + p3)
            out[2 * h + 1] = (q0 + q1) + (q2 + q3)


@njit(parallel=True)
def _sq_norms(XT, U, out):
    """Squared Euclidean norms of every column.

    Parameters
    ----------
    XT : ndarray of float64, shape (D, n)
        Transposed augmented data.
    U : ndarray of float64, shape (H, D)
        Normalised hyperplanes.
    out : ndarray of float64, shape (2 * H,)
        Written in place: ``out[2h]`` and ``out[2h + 1]`` are the squared norms
        of the "+" and "-" columns of hyperplane ``h``.
    """
    n = XT.shape[1]
    H = U.shape[0]
    n_blocks = (H + _BLOCK - 1) // _BLOCK
    for blk in prange(n_blocks):
        t = np.empty(n)
        for h in range(blk * _BLOCK, min(H, (blk + 1) * _BLOCK)):
            _preactivation(XT, U, h, t)
            pos = 0.0
            neg = 0.0
            for i in range(n):
                sq = t[i] * t[i]
                pos += sq if t[i] > 0.0 else 0.0
                neg += sq if t[i] < 0.0 else 0.0
            out[2 * h] = pos
            out[2 * h + 1] = neg


@njit
def _matvec(XT, U, active, z_pos, z_neg, out):
    """Combination of columns, ``out = Σ_h z_pos[h] max(t_h, 0) + z_neg[h] max(-t_h, 0)``.

    Serial: a Lasso solver calls it with few non-zero coefficients, where a
    parallel loop costs more than it saves (numba's parallel lowering also
    stops this loop from vectorising, measured 8x slower at n = 160).

    Parameters
    ----------
    XT : ndarray of float64, shape (D, n)
        Transposed augmented points at which the columns are evaluated.
    U : ndarray of float64, shape (H, D)
        Normalised hyperplanes.
    active : ndarray of int64, shape (a,)
        The hyperplanes with a non-zero coefficient, in increasing order.
    z_pos, z_neg : ndarray of float64, shape (a,)
        Coefficients of their "+" and "-" columns.
    out : ndarray of float64, shape (n,)
        Written in place.
    """
    n = XT.shape[1]
    t = np.empty(n)
    for i in range(n):
        out[i] = 0.0
    for j in range(active.shape[0]):
        h = active[j]
        _preactivation(XT, U, h, t)
        zp = z_pos[j]
        zn = z_neg[j]
        for i in range(n):
            ti = t[i]
            out[i] += zp * ti if ti > 0.0 else -zn * ti  # a select: vectorises


@njit(parallel=True)
def _max_abs_preactivation(XT, U, out):
    """Largest ``|X̃ u_h|`` over the samples, per hyperplane.

    Parameters
    ----------
    XT : ndarray of float64, shape (D, n)
        Transposed augmented data.
    U : ndarray of float64, shape (H, D)
        Hyperplanes.
    out : ndarray of float64, shape (H,)
        Written in place.
    """
    n = XT.shape[1]
    H = U.shape[0]
    n_blocks = (H + _BLOCK - 1) // _BLOCK
    for blk in prange(n_blocks):
        t = np.empty(n)
        for h in range(blk * _BLOCK, min(H, (blk + 1) * _BLOCK)):
            _preactivation(XT, U, h, t)
            m = 0.0
            for i in range(n):
                a = abs(t[i])
                m = a if a > m else m
            out[h] = m
