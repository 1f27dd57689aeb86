"""numba kernels of :mod:`geolasso.dictionary` (internal).

A wedge dictionary is stored as ``H`` hyperplanes ``U`` of shape (H, D), each
row the normalised ``(w, b)`` of one hyperplane, and the data as the
transposed augmented matrix ``XT = [X, 1]^T`` of shape (D, n). Column
``2h`` of the dictionary is ``max(X̃ u_h, 0)`` (the "+" orientation) and
column ``2h + 1`` is ``max(-X̃ u_h, 0)``, so every kernel computes the
pre-activation ``t = X̃ u_h`` once and uses it for both orientations.

The kernels trust their input: float64, C-contiguous, matching shapes. They
are serial: each output is a sum in a fixed order. (``parallel=True`` doubled
their first-use compile time, 8.5 s against 4.0 s for the 2-D sweep, for at
most the machine's core count in speed; parallel work goes through whole
passes instead, one block of hyperplanes or pivots per task.)
"""

from __future__ import annotations

import numpy as np

from ._numba import njit

#: Hyperplanes handled per block in the loops over all hyperplanes.
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


@njit
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
    for blk in range(n_blocks):
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


@njit
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
    for blk in range(n_blocks):
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


@njit
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
    for blk in range(n_blocks):
        t = np.empty(n)
        for h in range(blk * _BLOCK, min(H, (blk + 1) * _BLOCK)):
            _preactivation(XT, U, h, t)
            m = 0.0
            for i in range(n):
                a = abs(t[i])
                m = a if a > m else m
            out[h] = m


@njit
def _pseudo_angle(dx, dy):
    """The "diamond angle" of ``(dx, dy) != 0``: increasing in ``atan2``, in [0, 4).

    Opposite directions differ by exactly 2 (mod 4), as a half-turn should.
    """
    p = dx / (abs(dx) + abs(dy))
    return 1.0 - p if dy >= 0.0 else 3.0 + p


@njit
def _argsort_shell(keys, m):
    """The indices sorting ``keys[:m]``, ties by index (a total order: deterministic).

    Shell sort with Ciura's gaps (extended by factors of 2.25): written out
    because numba's ``np.argsort`` (a recursive quicksort) costs about 1.5 s of
    compilation in a fresh install, and the sweeps sort at most a few thousand
    angles at a time.
    """
    idx = np.empty(m, dtype=np.int64)
    ks = np.empty(m)  # the keys moved with their indices: contiguous comparisons
    for i in range(m):
        idx[i] = i
        ks[i] = keys[i]
    gaps = [1, 4, 10, 23, 57, 132, 301, 701]
    while gaps[-1] * 2.25 < m:
        gaps.append(int(gaps[-1] * 2.25))
    for t in range(len(gaps) - 1, -1, -1):
        gap = gaps[t]
        for i in range(gap, m):
            cur = idx[i]
            key = ks[i]
            j = i
            while j >= gap:
                prev = ks[j - gap]
                if prev < key or (prev == key and idx[j - gap] < cur):
                    break
                ks[j] = prev
                idx[j] = idx[j - gap]
                j -= gap
            ks[j] = key
            idx[j] = cur
    return idx


@njit
def _half_turns(ang, who, m, line_of, order, ends, lines):
    """Sort ``m`` points by pseudo-angle and find the open half-turn after each.

    Parameters
    ----------
    ang : ndarray of float64, shape (>= m,)
        Pseudo-angles (:func:`_pseudo_angle`) of the points.
    who : ndarray of int64, shape (>= m,)
        Their sample indices.
    m : int
        Number of points.
    line_of : ndarray of int64, shape (n,)
        The hyperplane through the centre and each sample, or -1.
    order, ends, lines : ndarray of int64, shape (n,)
        Written: the samples by increasing angle; for position ``s``, the end
        (exclusive, in the doubled sequence) of the half-turn after it; and
        ``line_of`` of each.

    Returns
    -------
    ndarray of float64, shape (2m + 1,)
        The angles over two turns, then ``inf``.
    """
    idx = _argsort_shell(ang, m)
    a2 = np.empty(2 * m + 1)
    for s in range(2 * m):
        a2[s] = ang[idx[s % m]] + (4.0 if s >= m else 0.0)
    a2[2 * m] = np.inf
    hi = 0
    for s in range(m):
        k = who[idx[s]]
        order[s] = k
        lines[s] = line_of[k]
        if hi < s + 1:
            hi = s + 1
        while a2[hi] < a2[s] + 2.0:
            hi += 1
        ends[s] = hi
    return a2


@njit
def _sweep_order_2d(X, hmap, order, ends, lines, counts):
    """The geometry of the 2-D angular sweep, which does not depend on the residual.

    Around each sample ``x_i``, the other samples (those not equal to it)
    sorted by angle, and for each the end of the open half-turn that follows
    it. See :func:`_rmatvec_sweep_2d`.

    Parameters
    ----------
    X : ndarray of float64, shape (n, 2)
        The samples.
    hmap : ndarray of int64, shape (n, n)
        ``hmap[i, j]``: the hyperplane stored for the line through ``x_i`` and
        ``x_j`` (normal ``×(x̃_i, x̃_j)`` over its normalizer), or -1.
    order : ndarray of int64, shape (n, n)
        Written: ``order[i, :counts[i]]`` are the samples around ``x_i`` by
        increasing angle of ``x_k - x_i``.
    ends : ndarray of int64, shape (n, n)
        Written: for position ``s``, the samples at positions ``s + 1`` up to
        ``ends[i, s] - 1`` of the doubled sequence (positions ``>= counts[i]``
        wrap around) lie in the open half-turn after ``order[i, s]``, up to
        samples on the line itself.
    lines : ndarray of int64, shape (n, n)
        Written: ``hmap[i, order[i, s]]``.
    counts : ndarray of int64, shape (n,)
        Written: samples around ``x_i``.
    """
    n = X.shape[0]
    for i in range(n):
        ang = np.empty(n)
        who = np.empty(n, dtype=np.int64)
        xi = X[i, 0]
        yi = X[i, 1]
        m = 0
        for k in range(n):
            dx = X[k, 0] - xi
            dy = X[k, 1] - yi
            if dx == 0.0 and dy == 0.0:
                continue
            ang[m] = _pseudo_angle(dx, dy)
            who[m] = k
            m += 1
        counts[i] = m
        _half_turns(ang, who, m, hmap[i], order[i], ends[i], lines[i])


@njit
def _rmatvec_sweep_2d(X, r, order, ends, lines, counts, inv_norm, out):
    """``Kᵀ r`` for the lines through two samples in the plane, by an angular sweep.

    For the line through ``x_i`` and ``x_j`` (``d = x_j - x_i``,
    ``p_k = x_k - x_i``, ``a × b = a₁b₂ - a₂b₁``) the pre-activation of sample
    ``k`` is ``det[x̃_k; x̃_i; x̃_j] = d × p_k``, so the "+" entry is
    ``Σ_{k : d × p_k > 0} r_k (d × p_k) = d × Σ_{half-turn} r_k p_k``. Around
    each ``x_i`` the other samples are sorted by angle once
    (:func:`_sweep_order_2d`, a pseudo-angle monotone in the true one); the
    positive side of the line towards ``x_j`` is the open half-turn after
    ``d``, a contiguous run of the sorted samples over two turns, so its sum
    is a difference of prefix sums: ``O(n²)`` per product for all ``O(n²)``
    lines instead of ``O(n³)``. The "-" entry is the "+" one minus the linear
    term ``d × Σ_k r_k p_k``. Samples on the line contribute ``d × p_k = 0``
    whichever side ties or rounding put them on.

    Parameters
    ----------
    X : ndarray of float64, shape (n, 2)
        The samples.
    r : ndarray of float64, shape (n,)
        The vector multiplied from the left.
    order, ends, lines, counts : ndarray of int64
        From :func:`_sweep_order_2d`.
    inv_norm : ndarray of float64, shape (H,)
        ``1 / normalizer`` per hyperplane.
    out : ndarray of float64, shape (2 * H,)
        Entries ``2h`` and ``2h + 1`` of the hyperplanes in ``lines`` are
        written in place (each appears once); the others are left alone.
    """
    n = X.shape[0]
    for i in range(n):  # each line is written by one centre: no races
        m = counts[i]
        px = np.empty(2 * m + 1)
        py = np.empty(2 * m + 1)
        xi = X[i, 0]
        yi = X[i, 1]
        px[0] = 0.0
        py[0] = 0.0
        for s in range(2 * m):
            k = order[i, s % m]
            px[s + 1] = px[s] + r[k] * (X[k, 0] - xi)
            py[s + 1] = py[s] + r[k] * (X[k, 1] - yi)
        tx = px[m]  # Σ_k r_k p_k
        ty = py[m]
        for s in range(m):
            h = lines[i, s]
            if h < 0:
                continue
            k = order[i, s]
            hi = ends[i, s]
            dx = X[k, 0] - xi
            dy = X[k, 1] - yi
            plus = dx * (py[hi] - py[s + 1]) - dy * (px[hi] - px[s + 1])
            out[2 * h] = plus * inv_norm[h]
            out[2 * h + 1] = (plus - (dx * ty - dy * tx)) * inv_norm[h]


@njit
def _axis_frame(a):
    """Unit vectors ``e1, e2`` orthogonal to ``a != 0`` with ``e1 × e2 = a / |a|``."""
    na = np.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
    ax, ay, az = a[0] / na, a[1] / na, a[2] / na
    # start from the coordinate axis least aligned with a
    if abs(ax) <= abs(ay) and abs(ax) <= abs(az):
        tx, ty, tz = 0.0, -az, ay  # a × e_x... any vector orthogonal to a
    elif abs(ay) <= abs(az):
        tx, ty, tz = az, 0.0, -ax
    else:
        tx, ty, tz = -ay, ax, 0.0
    nt = np.sqrt(tx * tx + ty * ty + tz * tz)
    e1 = np.array([tx / nt, ty / nt, tz / nt])
    e2 = np.array([ay * e1[2] - az * e1[1], az * e1[0] - ax * e1[2], ax * e1[1] - ay * e1[0]])
    return e1, e2


@njit
def _sweep_order_3d(X, pi, pj, hrow, bptr, bdir, order, ends, lines, counts, bstart, bend):
    """The geometry of the 3-D sweep around every axis through two samples.

    Around the axis through ``x_i`` and ``x_j`` (pair ``p``), the samples off
    the axis sorted by the angle of their projection on the plane orthogonal
    to ``a = x_j - x_i``; for each, the end of the open half-turn after it;
    and for the coordinate directions ``e_k`` of the planes through the pair
    that are parallel to an axis, where their half-turn starts and ends. See
    :func:`_rmatvec_sweep_3d`.

    Parameters
    ----------
    X : ndarray of float64, shape (n, 3)
        The samples.
    pi, pj : ndarray of int64, shape (P,)
        The pairs ``i < j``.
    hrow : ndarray of int64, shape (P, n)
        ``hrow[p, l]``: the hyperplane of the plane through ``x_i, x_j, x_l``
        (normal ``×(x̃_i, x̃_j, x̃_l)``) stored with this pair, or -1.
    bptr : ndarray of int64, shape (P + 1,)
        Planes of pair ``p`` parallel to a coordinate direction are entries
        ``bptr[p]`` to ``bptr[p + 1] - 1`` of ``bdir``.
    bdir : ndarray of int64, shape (B,)
        Their coordinate direction ``k`` (0, 1 or 2).
    order, ends, lines : ndarray of int64, shape (P, n)
        Written: as in :func:`_sweep_order_2d`, per pair.
    counts : ndarray of int64, shape (P,)
        Written: samples off the axis.
    bstart, bend : ndarray of int64, shape (B,)
        Written: the doubled-sequence positions of the half-turn after ``e_k``.
    """
    n = X.shape[0]
    P = pi.shape[0]
    for p in range(P):
        i = pi[p]
        j = pj[p]
        a = X[j] - X[i]
        scale = abs(a[0]) + abs(a[1]) + abs(a[2])
        if scale == 0.0:  # equal samples: no plane through them is stored
            counts[p] = 0
            for b in range(bptr[p], bptr[p + 1]):
                bstart[b] = 0
                bend[b] = 0
            continue
        e1, e2 = _axis_frame(a)
        ang = np.empty(n)
        who = np.empty(n, dtype=np.int64)
        m = 0
        for k in range(n):
            d0 = X[k, 0] - X[i, 0]
            d1 = X[k, 1] - X[i, 1]
            d2 = X[k, 2] - X[i, 2]
            u = d0 * e1[0] + d1 * e1[1] + d2 * e1[2]
            v = d0 * e2[0] + d1 * e2[1] + d2 * e2[2]
            if u == 0.0 and v == 0.0:
                continue
            ang[m] = _pseudo_angle(u, v)
            who[m] = k
            m += 1
        counts[p] = m
        a2 = _half_turns(ang, who, m, hrow[p], order[p], ends[p], lines[p])
        for b in range(bptr[p], bptr[p + 1]):
            c = bdir[b]
            u = e1[c]
            v = e2[c]
            if abs(u) + abs(v) <= 1e-15 * scale:  # e_k along the axis: no such plane
                bstart[b] = 0
                bend[b] = 0
                continue
            phi = _pseudo_angle(u, v)
            lo = np.searchsorted(a2[: 2 * m], phi, side="right")
            bstart[b] = lo
            bend[b] = np.searchsorted(a2[: 2 * m], phi + 2.0, side="left")


@njit
def _rmatvec_sweep_3d(
    X, r, pi, pj, order, ends, lines, counts, bptr, bdir, bh, bstart, bend, inv_norm, out
):
    """``Kᵀ r`` for the planes through two samples (and a third or a coordinate direction).

    For the plane through ``x_i, x_j`` and ``x_l`` (``a = x_j - x_i``,
    ``b = x_l - x_i``, ``p_k = x_k - x_i``) the pre-activation of sample ``k``
    is ``det[x̃_k; x̃_i; x̃_j; x̃_l] = (a × b)·p_k``; it depends on ``p_k`` only
    through its projection on the plane orthogonal to ``a``, where it is
    positive exactly on the open half-turn after the projection of ``b``.
    With the samples sorted by that angle once per axis
    (:func:`_sweep_order_3d`), the "+" entry ``(a × b)·Σ_{half-turn} r_k p_k``
    is a difference of prefix sums, for every plane through the axis at once:
    ``O(n³)`` per product for the ``O(n³)`` planes instead of ``O(n⁴)``.
    Planes through the pair parallel to ``e_k`` (``b = e_k``) are read off the
    same prefix sums. The "-" entry is the "+" one minus ``(a × b)·Σ_k r_k p_k``.

    Parameters
    ----------
    X : ndarray of float64, shape (n, 3)
        The samples.
    r : ndarray of float64, shape (n,)
        The vector multiplied from the left.
    pi, pj, order, ends, lines, counts, bptr, bdir, bstart, bend : ndarray of int64
        From :func:`_sweep_order_3d`.
    bh : ndarray of int64, shape (B,)
        The hyperplane of each plane parallel to a coordinate direction.
    inv_norm : ndarray of float64, shape (H,)
        ``1 / normalizer`` per hyperplane.
    out : ndarray of float64, shape (2 * H,)
        Entries of the hyperplanes in ``lines`` and ``bh`` written in place
        (each once); the others are left alone.
    """
    P = pi.shape[0]
    n = X.shape[0]
    n_chunks = (P + _BLOCK - 1) // _BLOCK
    for chunk in range(n_chunks):
        px = np.empty((n + 1, 3))  # one buffer per task, not per pair
        for p in range(chunk * _BLOCK, min(P, (chunk + 1) * _BLOCK)):
            _sweep_pair_3d(
                X,
                r,
                pi[p],
                pj[p],
                p,
                order,
                ends,
                lines,
                counts,
                bptr,
                bdir,
                bh,
                bstart,
                bend,
                inv_norm,
                out,
                px,
            )


@njit
def _turn_sum(px, m, x, c):
    """Component ``c`` of the prefix sum up to doubled position ``x`` (``x <= 2m``)."""
    return px[x, c] if x <= m else px[m, c] + px[x - m, c]


@njit
def _sweep_pair_3d(
    X, r, i, j, p, order, ends, lines, counts, bptr, bdir, bh, bstart, bend, inv_norm, out, px
):
    """The planes through the axis of pair ``p`` (``x_i``, ``x_j``); see _rmatvec_sweep_3d."""
    m = counts[p]
    a0 = X[j, 0] - X[i, 0]
    a1 = X[j, 1] - X[i, 1]
    a2_ = X[j, 2] - X[i, 2]
    # prefix sums of r_k p_k over one turn; the second turn is read as a wrap-around
    px[0, 0] = 0.0
    px[0, 1] = 0.0
    px[0, 2] = 0.0
    for s in range(m):
        k = order[p, s]
        rk = r[k]
        px[s + 1, 0] = px[s, 0] + rk * (X[k, 0] - X[i, 0])
        px[s + 1, 1] = px[s, 1] + rk * (X[k, 1] - X[i, 1])
        px[s + 1, 2] = px[s, 2] + rk * (X[k, 2] - X[i, 2])
    for s in range(m):
        h = lines[p, s]
        if h < 0:
            continue
        k = order[p, s]
        b0 = X[k, 0] - X[i, 0]
        b1 = X[k, 1] - X[i, 1]
        b2 = X[k, 2] - X[i, 2]
        _write_plane(
            a1 * b2 - a2_ * b1,
            a2_ * b0 - a0 * b2,
            a0 * b1 - a1 * b0,
            px,
            m,
            s + 1,
            ends[p, s],
            h,
            inv_norm,
            out,
        )
    for b in range(bptr[p], bptr[p + 1]):
        c = bdir[b]  # the normal a × e_c
        if c == 0:
            n0, n1, n2 = 0.0, a2_, -a1
        elif c == 1:
            n0, n1, n2 = -a2_, 0.0, a0
        else:
            n0, n1, n2 = a1, -a0, 0.0
        _write_plane(n0, n1, n2, px, m, bstart[b], bend[b], bh[b], inv_norm, out)


@njit
def _write_plane(n0, n1, n2, px, m, lo, hi, h, inv_norm, out):
    """Entries ``2h``, ``2h + 1`` of a plane with normal ``n``, positive on positions [lo, hi)."""
    plus = (
        n0 * (_turn_sum(px, m, hi, 0) - _turn_sum(px, m, lo, 0))
        + n1 * (_turn_sum(px, m, hi, 1) - _turn_sum(px, m, lo, 1))
        + n2 * (_turn_sum(px, m, hi, 2) - _turn_sum(px, m, lo, 2))
    )
    linear = n0 * px[m, 0] + n1 * px[m, 1] + n2 * px[m, 2]
    out[2 * h] = plus * inv_norm[h]
    out[2 * h + 1] = (plus - linear) * inv_norm[h]


@njit
def _dedupe_keys(U, quantum, keys):
    """Integer keys of hyperplanes, equal for a hyperplane and its opposite.

    Row ``h`` is quantised, ``keys[h, c] = rint(U[h, c] / quantum[c])``, and
    negated if its first non-zero entry is negative.

    Parameters
    ----------
    U : ndarray of float64, shape (H, D)
        Hyperplanes.
    quantum : ndarray of float64, shape (D,)
        Quantisation step per coordinate.
    keys : ndarray of int64, shape (H, D)
        Written in place.
    """
    H, D = U.shape
    for h in range(H):
        sign = 0
        for c in range(D):
            k = np.int64(np.rint(U[h, c] / quantum[c]))
            if sign == 0 and k != 0:
                sign = 1 if k > 0 else -1
            keys[h, c] = k
        if sign < 0:
            for c in range(D):
                keys[h, c] = -keys[h, c]


@njit
def _arc_max(ax, ay, lo, hi):
    """``max aᵀw`` over the unit vectors ``w`` at angles in ``[lo, hi]`` (``hi - lo <= 2π``)."""
    two_pi = 2.0 * np.pi
    t = np.arctan2(ay, ax) - lo
    t = t - two_pi * np.floor(t / two_pi)
    if t <= hi - lo:
        return np.sqrt(ax * ax + ay * ay)
    e1 = ax * np.cos(lo) + ay * np.sin(lo)
    e2 = ax * np.cos(hi) + ay * np.sin(hi)
    return e1 if e1 > e2 else e2


@njit
def _l2_dual_max_2d(X, lam, centres, out):
    """Per centre ``c``: ``max |Σ_i λ_i ((x_i - c)·w)_+|`` over unit vectors ``w`` in the plane.

    Around the centre, sample ``i`` is active for ``w`` within a quarter-turn
    of its direction ``φ_i``: it enters at ``φ_i - π/2`` and leaves at
    ``φ_i + π/2``. Between consecutive such events the value is ``aᵀw`` with
    ``a = Σ_active λ_i (x_i - c)``, maximised over the arc in closed form.
    The sweep starts in the middle of the widest gap between events, where no
    sample is on the boundary. ``O(n log n)`` per centre.

    Parameters
    ----------
    X : ndarray of float64, shape (n, 2)
        Samples.
    lam : ndarray of float64, shape (n,)
        Weights (a dual vector).
    centres : ndarray of float64, shape (C, 2)
        Points the hyperplanes pass through (the samples, or the origin).
    out : ndarray of float64, shape (C,)
        Written: the maximum for each centre (both signs of ``λ``).
    """
    n = X.shape[0]
    two_pi = 2.0 * np.pi
    for c in range(centres.shape[0]):
        px = np.empty(n)
        py = np.empty(n)
        wt = np.empty(n)
        m = 0
        for i in range(n):
            dx = X[i, 0] - centres[c, 0]
            dy = X[i, 1] - centres[c, 1]
            if dx == 0.0 and dy == 0.0:
                continue
            px[m] = dx
            py[m] = dy
            wt[m] = lam[i]
            m += 1
        if m == 0:
            out[c] = 0.0
            continue
        ang = np.empty(2 * m)
        for i in range(m):
            phi = np.arctan2(py[i], px[i])
            a = phi - 0.5 * np.pi
            b = phi + 0.5 * np.pi
            ang[i] = a - two_pi * np.floor(a / two_pi)
            ang[m + i] = b - two_pi * np.floor(b / two_pi)
        order = np.argsort(ang)
        k = 0
        widest = -1.0
        for s in range(2 * m):
            nxt = ang[order[(s + 1) % (2 * m)]] + (two_pi if s == 2 * m - 1 else 0.0)
            gap = nxt - ang[order[s]]
            if gap > widest:
                widest = gap
                k = s
        theta0 = ang[order[k]] + 0.5 * widest
        cx = np.cos(theta0)
        cy = np.sin(theta0)
        ax = 0.0
        ay = 0.0
        for i in range(m):
            if px[i] * cx + py[i] * cy > 0.0:
                ax += wt[i] * px[i]
                ay += wt[i] * py[i]
        best = 0.0
        for t in range(2 * m):
            s = (k + 1 + t) % (2 * m)
            e = order[s]
            i = e if e < m else e - m
            sign = 1.0 if e < m else -1.0
            ax += sign * wt[i] * px[i]
            ay += sign * wt[i] * py[i]
            lo = ang[e]
            if lo < theta0:
                lo += two_pi
            e2 = order[(s + 1) % (2 * m)]
            hi = ang[e2]
            if hi < theta0:
                hi += two_pi
            if hi < lo:  # the last arc wraps around to the first event
                hi += two_pi
            v = _arc_max(ax, ay, lo, hi)
            if v > best:
                best = v
            v = _arc_max(-ax, -ay, lo, hi)
            if v > best:
                best = v
        out[c] = best
