"""numba kernels of :mod:`geolasso.planar`: one pass over every atom of the plane (internal).

The exact dictionary of 2-D data with free biases has, besides the lines
through two samples, the lines through one sample parallel to an axis. Its
hyperplanes are numbered, never stored: the line through samples ``i < j`` is
``h = i (2n - i - 1) / 2 + (j - i - 1)``, and, after the ``P = n (n - 1) / 2``
pairs, the line through ``x_i`` parallel to the x1 axis is ``P + 2i`` and the
one parallel to the x2 axis ``P + 2i + 1``; atom ``2h`` is the "+" orientation
of hyperplane ``h`` and ``2h + 1`` the "-" one. A pass computes every atom's
correlation with a vector in ``O(n²)`` (an angular sweep around each sample
for the pairs, sorted coordinates for the axis lines) and keeps what the
caller asks for: the largest magnitude, how many exceed a threshold, the ``k``
largest (a min-heap), or all of them.

The kernels trust their input (float64 C-contiguous data, int32 sweep arrays)
and are serial: each result is the same whatever the machine.
"""

from __future__ import annotations

import numpy as np

from ._numba import njit


@njit
def _pseudo_angle(dx, dy):
    """The "diamond angle" of ``(dx, dy) != 0``: increasing in ``atan2``, in [0, 4).

    Opposite directions differ by exactly 2 (mod 4), as a half-turn should.
    (The same helper as in ``_dictionary_kernels``, kept beside the kernels that
    call it: a cached kernel does not notice edits to a helper in another file.)
    """
    p = dx / (abs(dx) + abs(dy))
    return 1.0 - p if dy >= 0.0 else 3.0 + p


@njit
def _planar_sweep_order(X, order, ends, counts):
    """Around each sample, the others by angle and the end of the half-turn after each.

    Parameters
    ----------
    X : ndarray of float64, shape (n, 2)
        The samples.
    order : ndarray of int32, shape (n, n)
        Written: ``order[i, :counts[i]]`` are the samples other than (and not
        equal to) ``x_i``, by increasing angle of ``x_k - x_i``.
    ends : ndarray of int32, shape (n, n)
        Written: for position ``s``, the samples at positions ``s + 1`` up to
        ``ends[i, s] - 1`` of the sequence taken twice lie in the open
        half-turn after ``order[i, s]``, up to samples on the line itself.
    counts : ndarray of int64, shape (n,)
        Written: the number of samples around ``x_i``.
    """
    n = X.shape[0]
    ang = np.empty(n)
    who = np.empty(n, dtype=np.int64)
    a2 = np.empty(2 * n + 1)
    for i in range(n):
        m = 0
        for k in range(n):
            dx = X[k, 0] - X[i, 0]
            dy = X[k, 1] - X[i, 1]
            if dx == 0.0 and dy == 0.0:
                continue
            ang[m] = _pseudo_angle(dx, dy)
            who[m] = k
            m += 1
        counts[i] = m
        idx = np.argsort(ang[:m])
        for s in range(2 * m):
            a2[s] = ang[idx[s % m]] + (4.0 if s >= m else 0.0)
        a2[2 * m] = np.inf
        hi = 0
        for s in range(m):
            order[i, s] = who[idx[s]]
            if hi < s + 1:
                hi = s + 1
            while a2[hi] < a2[s] + 2.0:
                hi += 1
            ends[i, s] = hi


@njit
def _heap_push(heap_val, heap_idx, size, value, index):
    """Keep the ``len(heap_val)`` largest values in a min-heap; returns the new size."""
    cap = heap_val.size
    if size < cap:
        pos = size
        size += 1
        while pos > 0:
            parent = (pos - 1) // 2
            if heap_val[parent] <= value:
                break
            heap_val[pos] = heap_val[parent]
            heap_idx[pos] = heap_idx[parent]
            pos = parent
        heap_val[pos] = value
        heap_idx[pos] = index
        return size
    if value <= heap_val[0]:
        return size
    pos = 0  # replace the root and sift down
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and heap_val[child + 1] < heap_val[child]:
            child += 1
        if heap_val[child] >= value:
            break
        heap_val[pos] = heap_val[child]
        heap_idx[pos] = heap_idx[child]
        pos = child
    heap_val[pos] = value
    heap_idx[pos] = index
    return size


@njit
def _planar_pass(
    X, r, order, ends, counts, by_x, by_y, l1, threshold, heap_val, heap_idx, out, piv_val, piv_idx
):
    """Every atom's correlation ``K_jᵀ r``, reduced as asked.

    For the line through ``x_i`` and ``x_j`` (``d = x_j - x_i``, ``p_k = x_k -
    x_i``) the "+" entry is ``Σ_{k : d × p_k > 0} r_k (d × p_k) / N`` with
    ``N = ‖d‖₁`` (``l1``) or ``‖d‖₂``, a difference of prefix sums over the
    half-turn after ``d`` in the angular order around ``x_i``; the "-" entry is
    the "+" one minus ``d × Σ_k r_k p_k / N``. The axis lines use prefix sums
    over the samples sorted by each coordinate (their normalizer is 1).

    Parameters
    ----------
    X : ndarray of float64, shape (n, 2)
        The samples.
    r : ndarray of float64, shape (n,)
        The vector correlated with.
    order, ends : ndarray of int32, shape (n, n)
        From :func:`_planar_sweep_order`.
    counts : ndarray of int64, shape (n,)
        From :func:`_planar_sweep_order`.
    by_x, by_y : ndarray of int64, shape (n,)
        The samples sorted by their first and second coordinate.
    l1 : bool
        Normalise the pair lines by ``‖d‖₁`` (else ``‖d‖₂``).
    threshold : float
        Magnitudes above it are counted.
    heap_val : ndarray of float64, shape (k,)
        Written: the ``k`` largest magnitudes (a min-heap, unsorted; fewer
        when there are fewer atoms, see the returned size).
    heap_idx : ndarray of int64, shape (k,)
        Written: their atoms.
    out : ndarray of float64, shape (n_atoms,) or (0,)
        Written when not empty: every correlation.
    piv_val : ndarray of float64, shape (n,) or (0,)
        Written when not empty: for each sample, the largest magnitude among
        the atoms whose lines pass through it (the pairs counted at their
        smaller sample).
    piv_idx : ndarray of int64, shape (n,) or (0,)
        Written with it: that atom.

    Returns
    -------
    top : float
        The largest magnitude.
    n_above : int
        Atoms whose magnitude exceeds ``threshold``.
    size : int
        Entries of the heap in use.
    """
    n = X.shape[0]
    P = n * (n - 1) // 2
    px = np.empty(n + 1)
    py = np.empty(n + 1)
    dxs = np.empty(n)
    dys = np.empty(n)
    top = 0.0
    n_above = 0
    size = 0
    cap = heap_val.size
    write = out.size > 0
    pivots = piv_val.size > 0
    if pivots:
        for i in range(n):
            piv_val[i] = -1.0
            piv_idx[i] = -1
    for i in range(n):
        m = counts[i]
        xi = X[i, 0]
        yi = X[i, 1]
        px[0] = 0.0
        py[0] = 0.0
        for s in range(m):
            k = order[i, s]
            dx = X[k, 0] - xi
            dy = X[k, 1] - yi
            dxs[s] = dx
            dys[s] = dy
            px[s + 1] = px[s] + r[k] * dx
            py[s + 1] = py[s] + r[k] * dy
        tx = px[m]  # Σ_k r_k p_k; over the second turn the prefix sums are tx + px[t - m]
        ty = py[m]
        base = i * (2 * n - i - 1) // 2 - i - 1
        for s in range(m):
            j = order[i, s]
            if j <= i:  # each pair once, from its smaller sample
                continue
            hi = ends[i, s]
            if hi <= m:
                sx = px[hi] - px[s + 1]
                sy = py[hi] - py[s + 1]
            else:
                sx = tx + px[hi - m] - px[s + 1]
                sy = ty + py[hi - m] - py[s + 1]
            dx = dxs[s]
            dy = dys[s]
            inv = 1.0 / (abs(dx) + abs(dy) if l1 else np.sqrt(dx * dx + dy * dy))
            plus = (dx * sy - dy * sx) * inv
            minus = plus - (dx * ty - dy * tx) * inv
            atom = 2 * (base + j)
            if write:
                out[atom] = plus
                out[atom + 1] = minus
            mag = abs(plus)
            if mag > top:
                top = mag
            if mag > threshold:
                n_above += 1
            if cap and (size < cap or mag > heap_val[0]):
                size = _heap_push(heap_val, heap_idx, size, mag, atom)
            if pivots and mag > piv_val[i]:
                piv_val[i] = mag
                piv_idx[i] = atom
            mag = abs(minus)
            if mag > top:
                top = mag
            if mag > threshold:
                n_above += 1
            if cap and (size < cap or mag > heap_val[0]):
                size = _heap_push(heap_val, heap_idx, size, mag, atom + 1)
            if pivots and mag > piv_val[i]:
                piv_val[i] = mag
                piv_idx[i] = atom + 1
    # axis lines: x1-parallel through x_i is (0, 1, -y_i), feature (y - y_i)_+; x2-parallel
    # is (-1, 0, x_i), feature (x_i - x)_+. Walk each coordinate upwards over groups of
    # equal values, with sums over the strictly smaller ones.
    total_r = 0.0
    total_rx = 0.0
    total_ry = 0.0
    for k in range(n):
        total_r += r[k]
        total_rx += r[k] * X[k, 0]
        total_ry += r[k] * X[k, 1]
    for axis in range(2):
        srt = by_y if axis == 0 else by_x
        c = 1 - axis  # the coordinate the feature reads
        total_rc = total_ry if axis == 0 else total_rx
        below_r = 0.0
        below_rc = 0.0
        s = 0
        while s < n:
            v = X[srt[s], c]
            t = s
            tied_r = 0.0
            tied_rc = 0.0
            while t < n and X[srt[t], c] == v:
                tied_r += r[srt[t]]
                tied_rc += r[srt[t]] * v
                t += 1
            linear = total_rc - v * total_r  # Σ r_k (x_kc - v)
            if axis == 0:  # Σ_{y_k > v} r_k (y_k - v)
                plus = (total_rc - below_rc - tied_rc) - v * (total_r - below_r - tied_r)
                minus = plus - linear
            else:  # Σ_{x_k < v} r_k (v - x_k)
                plus = v * below_r - below_rc
                minus = plus + linear
            for q in range(s, t):
                atom = 2 * (P + 2 * srt[q] + axis)
                for value, a in ((plus, atom), (minus, atom + 1)):
                    if write:
                        out[a] = value
                    mag = abs(value)
                    if mag > top:
                        top = mag
                    if mag > threshold:
                        n_above += 1
                    if heap_val.size:
                        size = _heap_push(heap_val, heap_idx, size, mag, a)
                    if pivots and mag > piv_val[srt[q]]:
                        piv_val[srt[q]] = mag
                        piv_idx[srt[q]] = a
            below_r += tied_r
            below_rc += tied_rc
            s = t
    return top, n_above, size
