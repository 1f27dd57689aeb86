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
def _planar_sweep_rows(X, lo, order, counts):
    """Around each sample of a block, the others by angle.

    The angle is the "diamond angle" of ``x_k - x_i``: ``1 - p`` (``dy >= 0``)
    or ``3 + p`` with ``p = dx / (|dx| + |dy|)``, increasing in ``atan2``, in
    [0, 4), opposite directions exactly 2 apart (mod 4). The sort is a bucket
    sort (``n`` buckets of equal angle width, Shell sort inside any bucket of
    more than 32, one insertion pass over all): ``O(n)`` per sample for
    spread-out data, about Shell sort's ``O(n^{4/3})`` at worst.

    Parameters
    ----------
    X : ndarray of float64, shape (n, 2)
        The samples.
    lo : int
        The first sample of the block; row ``q`` is sample ``lo + q``.
    order : ndarray of int32, shape (b, n)
        Written: ``order[q, :counts[q]]`` are the samples other than (and not
        equal to) ``x_i``, by increasing angle of ``x_k - x_i``.
    counts : ndarray of int64, shape (b,)
        Written: the number of samples around ``x_i``.
    """
    n = X.shape[0]
    ang = np.empty(n)
    bucket = np.empty(n, dtype=np.int64)
    key = np.empty(n)
    srt = np.empty(n, dtype=np.int64)
    start = np.empty(n + 1, dtype=np.int64)
    scale = n / 4.0  # n buckets; equal samples (inf) go to the last one, after the rest
    for q in range(order.shape[0]):
        i = lo + q
        xi = X[i, 0]
        yi = X[i, 1]
        for k in range(n):  # branch-free, so that it vectorises
            dx = X[k, 0] - xi
            dy = X[k, 1] - yi
            den = abs(dx) + abs(dy)
            p = dx / (den if den > 0.0 else 1.0)
            a = 1.0 - p if dy >= 0.0 else 3.0 + p
            ang[k] = a if den > 0.0 else np.inf
            b = int(a * scale)  # a rounds up to 4.0 at worst
            bucket[k] = min(b, n - 1) if den > 0.0 else n - 1
        for b in range(n + 1):
            start[b] = 0
        for k in range(n):
            start[bucket[k] + 1] += 1
        largest = 0
        for b in range(n):
            largest = max(largest, start[b + 1])
            start[b + 1] += start[b]
        for k in range(n):  # scatter; start[b] ends as the end of bucket b
            b = bucket[k]
            key[start[b]] = ang[k]
            srt[start[b]] = k
            start[b] += 1
        if largest > 32:  # crowded buckets: Shell sort each first (Ciura's gaps)
            a0 = 0
            for b in range(n):
                z = start[b]
                if z - a0 > 32:
                    for gap in (701, 301, 132, 57, 23, 10, 4):
                        if gap >= z - a0:
                            continue
                        for t in range(a0 + gap, z):
                            kv = key[t]
                            kw = srt[t]
                            u = t
                            while u >= a0 + gap and key[u - gap] > kv:
                                key[u] = key[u - gap]
                                srt[u] = srt[u - gap]
                                u -= gap
                            key[u] = kv
                            srt[u] = kw
                a0 = z
        for t in range(1, n):  # the buckets are in order: one insertion pass finishes
            kv = key[t]
            if key[t - 1] <= kv:
                continue
            kw = srt[t]
            u = t
            while u >= 1 and key[u - 1] > kv:
                key[u] = key[u - 1]
                srt[u] = srt[u - 1]
                u -= 1
            key[u] = kv
            srt[u] = kw
        m = 0
        while m < n and key[m] < np.inf:
            m += 1
        counts[q] = m
        for t in range(m):
            order[q, t] = srt[t]


@njit
def _ranks_below(va, ia, vb, ib):
    """Whether ``(va, atom ia)`` ranks below ``(vb, atom ib)``: a smaller value, or an
    equal one at a larger atom (a total order: the ``k`` largest are one set however
    the atoms are met, so blocks of a pass merge into the whole pass's result)."""
    return va < vb or (va == vb and ia > ib)


@njit
def _heap_push(heap_val, heap_idx, size, value, index):
    """Keep the ``len(heap_val)`` largest values in a min-heap; returns the new size.

    Ranked by value, ties by smaller atom (:func:`_ranks_below`). Also compiled into
    the 3-D pass (:mod:`geolasso._spatial_kernels`): touch that file after editing
    this one, numba's cache does not follow imports across files."""
    cap = heap_val.size
    if size < cap:
        pos = size
        size += 1
        while pos > 0:
            parent = (pos - 1) // 2
            if not _ranks_below(value, index, heap_val[parent], heap_idx[parent]):
                break
            heap_val[pos] = heap_val[parent]
            heap_idx[pos] = heap_idx[parent]
            pos = parent
        heap_val[pos] = value
        heap_idx[pos] = index
        return size
    if not _ranks_below(heap_val[0], heap_idx[0], value, index):
        return size
    pos = 0  # replace the root and sift down
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and _ranks_below(
            heap_val[child + 1], heap_idx[child + 1], heap_val[child], heap_idx[child]
        ):
            child += 1
        if not _ranks_below(heap_val[child], heap_idx[child], value, index):
            break
        heap_val[pos] = heap_val[child]
        heap_idx[pos] = heap_idx[child]
        pos = child
    heap_val[pos] = value
    heap_idx[pos] = index
    return size


@njit(cache=True)
def _axis_lines(
    X, r, by_x, by_y, threshold, heap_val, heap_idx, out, piv_val, piv_idx, top, n_above, size
):
    """The axis lines' part of :func:`_planar_pass` (same arguments), reduced into its
    running ``(top, n_above, size)``, which it returns.

    The lines use prefix sums over the samples sorted by each coordinate (their
    normalizer is 1).
    """
    n = X.shape[0]
    P = n * (n - 1) // 2
    write = out.size > 0
    best = piv_val.size > 0
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
                    if best and mag > piv_val[srt[q]]:
                        piv_val[srt[q]] = mag
                        piv_idx[srt[q]] = a
            below_r += tied_r
            below_rc += tied_rc
            s = t
    return top, n_above, size


@njit
def _planar_pass(
    X,
    r,
    order,
    counts,
    by_x,
    by_y,
    l1,
    threshold,
    heap_val,
    heap_idx,
    out,
    piv_val,
    piv_idx,
    pivots,
    marked,
    lo,
    stop,
    axes,
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
    order : ndarray of int32, shape (stop - lo, n)
        From :meth:`geolasso.planar.PlanarDictionary._sweep` (its rows ``lo`` to
        ``stop - 1``; :func:`_planar_sweep_rows`).
    counts : ndarray of int64, shape (stop - lo,)
        With it.
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
        the atoms whose lines pass through it (each pair counted at the
        sample it is swept from).
    piv_idx : ndarray of int64, shape (n,) or (0,)
        Written with it: that atom.
    pivots : ndarray of int64, shape (q,) or (0,)
        When not empty, a *partial* pass: only the lines through these
        samples (each pair once, also when both are pivots) and the axis
        lines; ``top``, the count and the heap are over those atoms.
    marked : ndarray of bool, shape (n,) or (0,)
        With ``pivots``: True at the pivots.
    lo, stop : int
        A *block*: the pairs swept from samples ``lo`` to ``stop - 1`` only
        (with ``pivots``, those must lie in it); row ``q`` of ``order`` and
        ``counts`` is sample ``lo + q``. Every atom of a pair belongs to exactly
        one block of a partition of the samples, so blocks of one pass reduce
        to the whole pass (maximum, sum, merged heaps).
    axes : bool
        Include the axis lines (once per pass: in one block, or apart).

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
    px = np.empty(n + 1)
    py = np.empty(n + 1)
    dxs = np.empty(n)
    dys = np.empty(n)
    ang = np.empty(2 * n + 1)
    top = 0.0
    n_above = 0
    size = 0
    cap = heap_val.size
    write = out.size > 0
    best = piv_val.size > 0
    if best:
        for i in range(n):
            piv_val[i] = -1.0
            piv_idx[i] = -1
    partial = pivots.size > 0
    for t in range(pivots.size if partial else stop - lo):
        i = pivots[t] if partial else lo + t
        row = i - lo
        m = counts[row]
        xi = X[i, 0]
        yi = X[i, 1]
        px[0] = 0.0
        py[0] = 0.0
        for s in range(m):
            k = order[row, s]
            dx = X[k, 0] - xi
            dy = X[k, 1] - yi
            dxs[s] = dx
            dys[s] = dy
            px[s + 1] = px[s] + r[k] * dx
            py[s + 1] = py[s] + r[k] * dy
            p = dx / (abs(dx) + abs(dy))  # the sort's pseudo-angle, to the bit
            ang[s] = 1.0 - p if dy >= 0.0 else 3.0 + p
        for s in range(m):  # the order taken twice (a full turn on), then a sentinel
            ang[m + s] = ang[s] + 4.0
        ang[2 * m] = np.inf
        tx = px[m]  # Σ_k r_k p_k; over the second turn the prefix sums are tx + px[t - m]
        ty = py[m]
        base = i * (2 * n - i - 1) // 2 - i - 1
        hi = 0
        for s in range(m):
            # positions s + 1 .. hi - 1 of the doubled order: the open half-turn after
            # position s, up to samples on the line itself (whose terms are zero)
            if hi < s + 1:
                hi = s + 1
            bound = ang[s] + 2.0
            while ang[hi] < bound:
                hi += 1
            j = order[row, s]
            if hi <= m:
                sx = px[hi] - px[s + 1]
                sy = py[hi] - py[s + 1]
            else:
                sx = tx + px[hi - m] - px[s + 1]
                sy = ty + py[hi - m] - py[s + 1]
            dx = dxs[s]
            dy = dys[s]
            inv = 1.0 / (abs(dx) + abs(dy) if l1 else np.sqrt(dx * dx + dy * dy))
            # the "+" side of d = x_j - x_i: for i < j the atom 2h of pair h = (i, j);
            # for j < i the "-" atom 2h + 1 of pair (j, i), since seen from x_j the
            # cross products change sign (d' × p'_k = -(d × p_k))
            plus = (dx * sy - dy * sx) * inv
            below = 2 * (j * (2 * n - j - 1) // 2 + i - j - 1) + 1
            atom = 2 * (base + j) if j > i else below  # a select, not a branch
            if partial:
                # both sides of the lines through the pivot; a pair of two pivots once,
                # from the smaller
                if j < i and marked[j]:
                    continue
                minus = plus - (dx * ty - dy * tx) * inv
                other = atom + 1 if j > i else atom - 1
                if write:
                    out[other] = minus
                mag = abs(minus)
                if mag > top:
                    top = mag
                if mag > threshold:
                    n_above += 1
                if cap and (size < cap or mag >= heap_val[0]):
                    size = _heap_push(heap_val, heap_idx, size, mag, other)
                if best and mag > piv_val[i]:
                    piv_val[i] = mag
                    piv_idx[i] = other
            # a full pass meets each atom once: every ordered pair (i, j) is one side.
            # (The reductions are written out at each of their three sites: a helper
            # returning them as a tuple made the pass four times slower.)
            if write:
                out[atom] = plus
            mag = abs(plus)
            if mag > top:
                top = mag
            if mag > threshold:
                n_above += 1
            if cap and (size < cap or mag >= heap_val[0]):
                size = _heap_push(heap_val, heap_idx, size, mag, atom)
            if best and mag > piv_val[i]:
                piv_val[i] = mag
                piv_idx[i] = atom
    # axis lines: once per pass (in one block, or apart)
    if not axes:
        return top, n_above, size
    return _axis_lines(
        X, r, by_x, by_y, threshold, heap_val, heap_idx, out, piv_val, piv_idx, top, n_above, size
    )
