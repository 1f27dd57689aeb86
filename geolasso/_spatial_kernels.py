"""numba kernels of :mod:`geolasso.spatial`: one pass over every atom of 3-D data (internal).

The generators are the augmented samples ``x̃_i = (x_i, 1)``, ``i < n``, then
``e_1, e_2, e_3`` (as rows ``(e_k, 0)``), ``N = n + 3`` in all; a hyperplane is
a triple ``t0 < t1 < t2`` of them with at least one sample, numbered by its
rank in lexicographic order (the order of
:func:`geolasso.algebra.subsets`; the last triple, the three directions, is
left out): ``h = C(N, 3) - C(N - t0, 3) + C(m, 2) - C(m - q, 2) + (t2 - t1 - 1)``
with ``m = N - 1 - t0`` and ``q = t1 - t0 - 1``. Its normal is the cross product
``×(G_t0, G_t1, G_t2)`` (``⟨x̃, ×(a, b, c)⟩ = det[x̃; a; b; c]``); atom ``2h`` is
that orientation ("+"), ``2h + 1`` the other one.

The pass. For two generators ``a = G_s``, ``b = G_g`` the form
``ω(x, c) = det[x; a; b; c]`` vanishes on ``span(a, b)`` and is an area form
on the 2-D quotient: with ``π(x) = (ω(x, E_σ), ω(x, E_τ))`` (two coordinate
vectors of R⁴ chosen so that ``ω(E_σ, E_τ)`` is largest)
``π(x) × π(c) = ω(x, c) ω(E_σ, E_τ)``. So the samples on the "+" side of the
plane through ``a``, ``b`` and a third generator ``c`` are exactly those whose
projection ``π(x_m)`` lies in the open half-turn on one side of ``π(c)``
(counter-clockwise after it once the two coordinates are swapped when
``ω(E_σ, E_τ) > 0``). Sorting the samples by the angle of ``π`` and keeping
prefix sums of ``r_m x̃_m`` gives every third generator's correlation
``⟨N_c, Σ_{m ∈ H(c)} r_m x̃_m⟩ / ‖N_c,w‖`` in ``O(n log n)`` for the pair:
``O(n³ log n)`` for a full pass, ``O(n)`` memory. The other orientation is
that value minus ``⟨N_c, Σ_m r_m x̃_m⟩ / ‖N_c,w‖``. The normal ``N_c =
×(a, b, c)`` (linear in ``c``) and its normaliser are computed per atom.
Ties: samples at the angle of ``π(c)`` or opposite it lie on the plane, where
the feature is zero, so leaving them out of the open half-turn (or not)
changes nothing but rounding; samples on the line itself (``π = 0``) are left
out of the order. The angles are bucket-sorted (``O(n)`` for spread-out
directions, a comparison sort when a bucket is crowded).

Which pair sweeps which triple (each exactly once): see
:func:`_spatial_pass`; a full pass sweeps about ``n² / 4`` pairs of samples
(those within a half of the sample indices) and the ``3 n`` pairs of a
sample and a direction. A triple whose generators are dependent (``‖N_w‖₂ <=
tol ‖a‖ ‖b‖ ‖c‖``, the rule of :class:`geolasso.dictionary.WedgeDictionary`)
is a zero column: never visited, never counted.

The kernels trust their input (float64 C-contiguous arrays) and are serial:
each result is the same whatever the machine.
"""

from __future__ import annotations

import numpy as np

from ._numba import njit

# The one kernel taken from another file. numba's cache checks the stamp of the file
# that defines a cached kernel only: after editing _planar_kernels._heap_push, touch this
# file (or clear __pycache__) so that the 3-D pass is compiled again.
from ._planar_kernels import _heap_push


@njit(inline="always")
def _cross(a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3):
    """``×(a, b, c)`` in R⁴: component ``k`` is ``(-1)^k`` the minor without column ``k``."""
    m23 = b2 * c3 - b3 * c2
    m13 = b1 * c3 - b3 * c1
    m12 = b1 * c2 - b2 * c1
    m03 = b0 * c3 - b3 * c0
    m02 = b0 * c2 - b2 * c0
    m01 = b0 * c1 - b1 * c0
    d0 = a1 * m23 - a2 * m13 + a3 * m12
    d1 = a0 * m23 - a2 * m03 + a3 * m02
    d2 = a0 * m13 - a1 * m03 + a3 * m01
    d3 = a0 * m12 - a1 * m02 + a2 * m01
    return d0, -d1, d2, -d3


@njit(inline="always")
def _rank3(t0, t1, t2, n_gen):
    """Lexicographic rank of the triple ``t0 < t1 < t2`` of ``range(n_gen)``."""
    a = n_gen - t0
    m = n_gen - 1 - t0
    q = t1 - t0 - 1
    full = n_gen * (n_gen - 1) * (n_gen - 2) // 6 - a * (a - 1) * (a - 2) // 6
    return full + (m * (m - 1) - (m - q) * (m - q - 1)) // 2 + (t2 - t1 - 1)


@njit(inline="always")
def _pseudo_angle(p, q):
    """The "diamond angle" of ``(p, q) != 0``: in [0, 4), increasing with ``atan2``."""
    t = p / (abs(p) + abs(q))
    return 1.0 - t if q >= 0.0 else 3.0 + t


@njit(cache=True)
def _two_directions(
    G, gnorm, n, r, s, g, l1, tol, threshold, heap_val, heap_idx, out, piv_val, piv_idx,
    top, n_above, size,
):  # fmt: skip
    """The atoms through sample ``s`` and the directions ``g`` and ``c > g`` (a partial
    pass of :func:`_spatial_pass`, same arguments): each evaluated directly, ``O(n)``.
    Returns the running ``(top, n_above, size)``."""
    n_gen = n + 3
    cap = heap_val.size
    write = out.size > 0
    best = piv_val.size > 0
    a0, a1, a2, a3 = G[s, 0], G[s, 1], G[s, 2], G[s, 3]
    b0, b1, b2, b3 = G[g, 0], G[g, 1], G[g, 2], G[g, 3]
    for c in range(g + 1, n_gen):
        e0 = 1.0 if c == n else 0.0
        e1 = 1.0 if c == n + 1 else 0.0
        e2 = 1.0 if c == n + 2 else 0.0
        N0, N1, N2, N3 = _cross(a0, a1, a2, a3, b0, b1, b2, b3, e0, e1, e2, 0.0)
        nw = np.sqrt(N0 * N0 + N1 * N1 + N2 * N2)
        if nw <= tol * gnorm[s] * gnorm[g] * gnorm[c]:
            continue
        norm = abs(N0) + abs(N1) + abs(N2) if l1 else nw
        plus = 0.0
        minus = 0.0
        for m in range(n):
            v = N0 * G[m, 0] + N1 * G[m, 1] + N2 * G[m, 2] + N3 * G[m, 3]
            if v > 0.0:
                plus += r[m] * v
            elif v < 0.0:
                minus -= r[m] * v
        h = _rank3(s, g, c, n_gen)
        top, n_above, size = _reduce(
            plus / norm, 2 * h, s, top, n_above, size, threshold, cap,
            heap_val, heap_idx, write, out, best, piv_val, piv_idx,
        )  # fmt: skip
        top, n_above, size = _reduce(
            minus / norm, 2 * h + 1, s, top, n_above, size, threshold, cap,
            heap_val, heap_idx, write, out, best, piv_val, piv_idx,
        )  # fmt: skip
    return top, n_above, size


@njit(cache=True)
def _pair_frame(G, s, g, U):
    """The frame of the planes through generators ``s`` and ``g``: ``U[k] = ×(G_s, G_g,
    E_k)`` (written), and the two coordinates ``(σ, τ)`` whose entries ``ω(E_σ, E_τ) =
    U[τ, σ]`` is largest in magnitude, ordered so that the "+" side is counter-clockwise;
    ``(-1, -1)`` when the generators are equal (every such plane is a zero column)."""
    a0, a1, a2, a3 = G[s, 0], G[s, 1], G[s, 2], G[s, 3]
    b0, b1, b2, b3 = G[g, 0], G[g, 1], G[g, 2], G[g, 3]
    for k in range(4):
        e0 = 1.0 if k == 0 else 0.0
        e1 = 1.0 if k == 1 else 0.0
        e2 = 1.0 if k == 2 else 0.0
        e3 = 1.0 if k == 3 else 0.0
        U[k, 0], U[k, 1], U[k, 2], U[k, 3] = _cross(a0, a1, a2, a3, b0, b1, b2, b3, e0, e1, e2, e3)
    sig = 0
    tau = 1
    w = 0.0
    for j in range(4):
        for k in range(j + 1, 4):
            if abs(U[k, j]) > abs(w):
                w = U[k, j]
                sig = j
                tau = k
    if w == 0.0:
        return -1, -1
    if w > 0.0:  # swap the coordinates: the "+" side is counter-clockwise after π(c)
        return tau, sig
    return sig, tau


@njit(cache=True)
def _angular_order(G, r, tot, n, s, g, U, sig, tau, key, ids, ang, srt, bucket, start, pre):
    """The samples other than ``s`` and ``g`` (and off their line) in angular order about
    it (``srt``, with their pseudo-angles ``ang`` taken twice, a full turn on, and a
    sentinel) and the prefix sums ``pre`` of ``r_m x̃_m`` over that doubled order.
    Returns how many samples are ordered."""
    cnt = 0
    for m in range(n):
        if m in (s, g):
            continue
        p = G[m, 0] * U[sig, 0] + G[m, 1] * U[sig, 1] + G[m, 2] * U[sig, 2] + U[sig, 3]
        q = G[m, 0] * U[tau, 0] + G[m, 1] * U[tau, 1] + G[m, 2] * U[tau, 2] + U[tau, 3]
        if p == 0.0 and q == 0.0:
            continue
        key[cnt] = _pseudo_angle(p, q)
        ids[cnt] = m
        cnt += 1
    _sort_angles(key, ids, cnt, ang, srt, bucket, start)
    for j in range(cnt):
        ang[cnt + j] = ang[j] + 4.0
    ang[2 * cnt] = np.inf
    for c in range(4):
        pre[0, c] = 0.0
    for j in range(cnt):
        m = srt[j]
        rm = r[m]
        for c in range(4):
            pre[j + 1, c] = pre[j, c] + rm * G[m, c]
    for j in range(cnt):  # the second turn: a full turn adds Σ_m r_m x̃_m
        for c in range(4):
            pre[cnt + j + 1, c] = tot[c] + pre[j + 1, c]
    return cnt


@njit(inline="always")
def _frame_normal(U, G, c):
    """The normal ``×(G_s, G_g, G_c) = Σ_k (G_c)_k U[k]`` of a plane of the pair's frame."""
    c0, c1, c2, c3 = G[c, 0], G[c, 1], G[c, 2], G[c, 3]
    return (
        c0 * U[0, 0] + c1 * U[1, 0] + c2 * U[2, 0] + c3 * U[3, 0],
        c0 * U[0, 1] + c1 * U[1, 1] + c2 * U[2, 1] + c3 * U[3, 1],
        c0 * U[0, 2] + c1 * U[1, 2] + c2 * U[2, 2] + c3 * U[3, 2],
        c0 * U[0, 3] + c1 * U[1, 3] + c2 * U[2, 3] + c3 * U[3, 3],
    )


@njit(inline="always")
def _sweeps_pair(s, g, n, half, side, full, marked):
    """Whether the pass sweeps the pair (pivot ``s``, generator ``g``) (see
    :func:`_spatial_pass`: a full pass keeps the pairs within a half and the
    sample-direction pairs; a partial one skips the pairs of two pivots from the
    larger one and the last direction, whose triples another pair sweeps)."""
    if g == s:
        return False
    if g < n:
        if full:
            return g > s and (g >= half) == side
        return not (marked[g] and g < s)
    return full or g != n + 2


@njit
def _spatial_pass(
    G,
    gnorm,
    n,
    r,
    pivots,
    marked,
    full,
    l1,
    tol,
    threshold,
    heap_val,
    heap_idx,
    out,
    piv_val,
    piv_idx,
):
    """Every atom's correlation ``K_jᵀ r`` (through the pivots), reduced as asked.

    Which pair sweeps which triple. A *full* pass (``full``) splits the
    samples into halves ``[0, n // 2)`` and ``[n // 2, n)`` and sweeps only
    the pairs of samples within a half (about ``n² / 4`` pairs instead of
    ``n² / 2``: every triple of samples has two in one half) and the pairs
    of a sample ``s`` and a direction ``e_k``: a triple of three samples from
    its two smaller ones when they share a half, else from the two that do; a
    triple ``{a, b, e_k}`` from ``(min(a, b), e_k)``; ``{a, e_k, e_l}`` from
    ``(a, e_k)``, ``k < l``. A *partial* pass sweeps each triple with a pivot
    from its smallest pivot ``s`` paired with the smaller ``g`` of its two
    other generators (``{s, e_k, e_l}`` directly, ``O(n)``).

    Parameters
    ----------
    G : ndarray of float64, shape (n + 3, 4)
        The generators: ``(x_i, 1)``, then ``(e_k, 0)``.
    gnorm : ndarray of float64, shape (n + 3,)
        Their Euclidean norms (the dependence test).
    n : int
        Number of samples.
    r : ndarray of float64, shape (n,)
        The vector correlated with.
    pivots : ndarray of int64, shape (p,)
        The samples swept from, increasing (all of them for a full pass).
    marked : ndarray of bool, shape (n,)
        True at the pivots.
    full : bool
        A full pass (``pivots`` are all the samples).
    l1 : bool
        Normalise by ``‖w‖₁`` (else ``‖w‖₂``).
    tol : float
        Dependence tolerance.
    threshold : float
        Magnitudes above it are counted.
    heap_val, heap_idx : ndarray, shape (k,)
        Written: the ``k`` largest magnitudes and their atoms (a min-heap).
    out : ndarray of float64, shape (n_atoms,) or (0,)
        Written when not empty: every visited atom's correlation.
    piv_val, piv_idx : ndarray, shape (n,) or (0,)
        Written when not empty: the best atom swept from each sample (``-1``
        where none is).

    Returns
    -------
    top : float
    n_above : int
    size : int
        Entries of the heap in use.
    """
    n_gen = n + 3
    half = n // 2
    tot = np.zeros(4)  # Σ_m r_m x̃_m
    for m in range(n):
        tot += r[m] * G[m]
    key = np.empty(n)
    ids = np.empty(n, dtype=np.int64)
    ang = np.empty(2 * n + 1)
    srt = np.empty(n, dtype=np.int64)
    bucket = np.empty(n, dtype=np.int64)
    start = np.empty(n + 1, dtype=np.int64)
    pre = np.empty((2 * n + 1, 4))  # prefix sums over the order taken twice
    U = np.empty((4, 4))
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
    for t in range(pivots.size):
        s = pivots[t]
        side = s >= half
        for g in range(n_gen):
            if not _sweeps_pair(s, g, n, half, side, full, marked):
                continue
            if g >= n and not full:
                # one sample and two directions: evaluated directly, O(n) each
                top, n_above, size = _two_directions(
                    G, gnorm, n, r, s, g, l1, tol, threshold, heap_val, heap_idx, out,
                    piv_val, piv_idx, top, n_above, size,
                )  # fmt: skip
                continue
            sig, tau = _pair_frame(G, s, g, U)
            if sig < 0:  # equal samples: every plane through them is a zero column
                continue
            cnt = _angular_order(
                G, r, tot, n, s, g, U, sig, tau, key, ids, ang, srt, bucket, start, pre
            )
            hi = 0
            for j in range(cnt + 3):
                if j < cnt:
                    c = srt[j]
                    if hi < j + 1:
                        hi = j + 1
                    bound = ang[j] + 2.0
                    while ang[hi] < bound:
                        hi += 1
                    if full:  # (g a direction: c > s; else c > g or across the halves)
                        ok = c > s if g >= n else c > g or (c >= half) != side
                    else:
                        ok = c > g and not (marked[c] and c < s)
                    if not ok:
                        continue
                    lo_ = j + 1
                    hi_ = hi
                else:  # the directions as third generators
                    c = n + j - cnt
                    if full and (g < n or c <= g):
                        continue
                    p = U[sig, c - n]
                    q = U[tau, c - n]
                    if p == 0.0 and q == 0.0:
                        continue
                    theta = _pseudo_angle(p, q)
                    lo_ = np.searchsorted(ang[:cnt], theta, side="right")
                    hi_ = np.searchsorted(ang[: 2 * cnt], theta + 2.0, side="left")
                N0, N1, N2, N3 = _frame_normal(U, G, c)
                nw2 = N0 * N0 + N1 * N1 + N2 * N2
                bound = tol * gnorm[s] * gnorm[g] * gnorm[c]
                if nw2 <= bound * bound:
                    continue  # dependent generators (‖w‖₂ <= tol Π‖G‖): a zero column
                norm = abs(N0) + abs(N1) + abs(N2) if l1 else np.sqrt(nw2)
                # Σ over positions lo_ .. hi_ - 1 of the doubled order
                s0 = pre[hi_, 0] - pre[lo_, 0]
                s1 = pre[hi_, 1] - pre[lo_, 1]
                s2 = pre[hi_, 2] - pre[lo_, 2]
                s3 = pre[hi_, 3] - pre[lo_, 3]
                inv = 1.0 / norm
                plus = (N0 * s0 + N1 * s1 + N2 * s2 + N3 * s3) * inv
                minus = plus - (N0 * tot[0] + N1 * tot[1] + N2 * tot[2] + N3 * tot[3]) * inv
                # ×(x̃_s, G_g, G_c) is the sorted triple's normal up to the permutation's sign
                t0, t1, t2, odd = _sort3(s, g, c)
                h = _rank3(t0, t1, t2, n_gen)
                atom = 2 * h + (1 if odd else 0)
                other = 2 * h + (0 if odd else 1)
                top, n_above, size = _reduce(
                    plus, atom, s, top, n_above, size, threshold, cap,
                    heap_val, heap_idx, write, out, best, piv_val, piv_idx,
                )  # fmt: skip
                top, n_above, size = _reduce(
                    minus, other, s, top, n_above, size, threshold, cap,
                    heap_val, heap_idx, write, out, best, piv_val, piv_idx,
                )  # fmt: skip
    return top, n_above, size


@njit(inline="always")
def _sort3(a, b, c):
    """``(a, b, c)`` sorted, and whether sorting them is an odd permutation."""
    odd = False
    if a > b:
        a, b = b, a
        odd = not odd
    if b > c:
        b, c = c, b
        odd = not odd
    if a > b:
        a, b = b, a
        odd = not odd
    return a, b, c, odd


@njit
def _sort_angles(key, ids, cnt, ang, srt, bucket, start):
    """``ang[:cnt]`` the sorted ``key[:cnt]`` and ``srt[:cnt]`` the ``ids`` in that order.

    A bucket sort (``cnt`` buckets of equal width over [0, 4)) finished by one
    insertion pass: ``O(cnt)`` for spread-out angles; when a bucket holds more
    than 64 keys (crowded directions), a comparison sort instead.
    """
    if cnt == 0:
        return
    scale = cnt / 4.0
    for b in range(cnt + 1):
        start[b] = 0
    for k in range(cnt):
        b = min(int(key[k] * scale), cnt - 1)
        bucket[k] = b
        start[b + 1] += 1
    largest = 0
    for b in range(cnt):
        largest = max(largest, start[b + 1])
        start[b + 1] += start[b]
    if largest > 64:
        order = np.argsort(key[:cnt], kind="mergesort")
        for k in range(cnt):
            ang[k] = key[order[k]]
            srt[k] = ids[order[k]]
        return
    for k in range(cnt):  # scatter; start[b] ends as the end of bucket b
        b = bucket[k]
        ang[start[b]] = key[k]
        srt[start[b]] = ids[k]
        start[b] += 1
    for t in range(1, cnt):
        kv = ang[t]
        if ang[t - 1] <= kv:
            continue
        kw = srt[t]
        u = t
        while u >= 1 and ang[u - 1] > kv:
            ang[u] = ang[u - 1]
            srt[u] = srt[u - 1]
            u -= 1
        ang[u] = kv
        srt[u] = kw


@njit(inline="always")
def _reduce(
    value, atom, s, top, n_above, size, threshold, cap,
    heap_val, heap_idx, write, out, best, piv_val, piv_idx,
):  # fmt: skip
    """Fold one atom's correlation into the pass's reductions."""
    if write:
        out[atom] = value
    mag = abs(value)
    if mag > top:
        top = mag
    if mag > threshold:
        n_above += 1
    if cap and (size < cap or mag >= heap_val[0]):
        size = _heap_push(heap_val, heap_idx, size, mag, atom)
    if best and mag > piv_val[s]:
        piv_val[s] = mag
        piv_idx[s] = atom
    return top, n_above, size
