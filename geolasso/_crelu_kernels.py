"""Numba kernels of :mod:`geolasso.crelu`: NNLS on a pattern cone, pricing, proximal block passes.

For a pattern ``m`` (bool, one entry per sample) the cone of neurons with that
pattern is ``K = {u : A u >= 0}`` with rows ``a_j = (2 m_j - 1) z_j``. Two
questions are asked of it, both answered through the non-negative least-squares
problem ``min_{μ >= 0} ‖h + Aᵀμ‖`` (Lawson–Hanson active set,
:func:`_nnls_cone`, which reads the rows of ``A`` off ``Z`` and the pattern
without forming ``A``):

* the Euclidean projection of ``x`` onto ``K`` is ``x + Aᵀμ*`` for ``h = x``
  (Moreau: ``K``'s polar cone is ``{-Aᵀμ : μ >= 0}``);
* the largest value of ``hᵀu`` over ``u ∈ K`` with ``‖u_pen‖ <= 1`` (the dual
  constraint of docs/mathematics.md §2.3 for one pattern) equals, by Lagrange duality,
  ``min ‖(h + Aᵀμ)_pen‖_*`` over ``μ >= 0`` with the free-bias coordinate of
  ``h + Aᵀμ`` equal to zero. Every such ``μ`` gives an **upper bound**, which
  is what a certificate needs; the NNLS optimum makes it tight (exact for the
  ℓ2 norm up to the bias equality, which is enforced by a weighted row and then
  made exact by moving one multiplier, see :func:`_price_one`).

The kernels serve the driver (:mod:`geolasso.crelu`: pricing), the group
helpers (:mod:`geolasso._crelu_groups`: cone projections, restricted dual
values) and block coordinate descent (:mod:`geolasso._crelu_bcd`:
:func:`_bcd_epochs`). They stay in one file because a cached kernel does not
notice edits to a helper defined in another file: the block pass calls the
cone NNLS and, for a free bias, the pricing of one pattern
(:func:`_prox_free`), so the three share the whole NNLS chain. The two
kernels of the active-set Newton finish, which need only :func:`_lstsq`,
are in :mod:`geolasso._crelu_newton_kernels`.
"""

from __future__ import annotations

import numpy as np

from ._numba import njit


# geolasso._crelu_newton_kernels holds a copy of _lstsq on purpose: a cached kernel does
# not notice edits to a helper in another file, so each kernel module has its own
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
def _passive_lstsq(Z, mask, scale, h, idx):
    """``argmin_z ‖h + E[:, idx] z‖`` (the unconstrained step on a passive set), with
    ``E[i, j] = (2 m_j − 1) Z[j, i] scale[i]`` (see :func:`_nnls_cone`)."""
    k = Z.shape[1]
    sub = np.empty((k, idx.size))
    for t in range(idx.size):
        j = idx[t]
        sgn = 1.0 if mask[j] else -1.0
        for i in range(k):
            sub[i, t] = sgn * Z[j, i] * scale[i]
    return _lstsq(sub, -h, np.finfo(np.float64).eps * max(k, idx.size))


@njit(cache=True)
def _nnls(E, h, mu):
    """``min_{μ >= 0} ‖h + E μ‖₂`` for a short wide ``E`` (k, m); writes ``μ``.

    Lawson–Hanson: grow the passive set by the column with the steepest
    descent, solve the unconstrained least squares on it, and step back to the
    feasible boundary when a coefficient turns non-positive. Returns the
    residual ``h + E μ``.
    """
    return _nnls_warm(E, h, mu, np.zeros(E.shape[1], dtype=np.bool_))


@njit(cache=True)
def _nnls_warm(E, h, mu, warm):
    """:func:`_nnls` started from the passive set ``warm`` (bool, (m,)), which it updates.

    :func:`_nnls_cone` for an explicit ``E`` (its columns as the rows of the
    data matrix, every sign and scale 1).
    """
    k, m = E.shape
    return _nnls_cone(
        np.ascontiguousarray(E.T), np.ones(m, dtype=np.bool_), np.ones(k), h, mu, warm
    )


@njit(cache=True)
def _nnls_cone(Z, mask, scale, h, mu, warm):
    """``min_{μ >= 0} ‖h + E μ‖₂`` for ``E[i, j] = (2 m_j − 1) Z[j, i] scale[i]``; writes ``μ``.

    ``E`` (k, m) is never formed: its column ``j`` is the row ``z_j`` of ``Z``
    (m, k), signed by the pattern ``mask`` and scaled coordinate-wise by
    ``scale`` (k,) (the cone constraints of a pattern, with the weighted
    coordinates of the free-bias problems), read contiguously. Lawson–Hanson:
    grow the passive set by the column with the steepest descent, solve the
    unconstrained least squares on it, and step back to the feasible boundary
    when a coefficient turns non-positive. Started from the passive set
    ``warm`` (bool, (m,)) when the least squares on it has positive
    coefficients (one solve when the passive set has not changed, as between
    block-coordinate passes near convergence), otherwise cold; on return
    ``warm`` holds the final passive set. Returns the residual ``h + E μ``.
    """
    m, k = Z.shape
    for j in range(m):
        mu[j] = 0.0
    passive = np.zeros(m, dtype=np.bool_)
    refused = np.zeros(m, dtype=np.bool_)
    res = h.copy()
    idx = np.flatnonzero(warm)
    # warm start: the least squares on the previous passive set, its non-positive
    # coefficients dropped until all are positive (any such set, with its least-squares
    # coefficients, is a feasible Lawson–Hanson state)
    while 0 < idx.size <= k:
        z = _passive_lstsq(Z, mask, scale, h, idx)
        keep = z > 0.0
        if np.all(keep):
            for t in range(idx.size):
                mu[idx[t]] = z[t]
                passive[idx[t]] = True
            _cone_residual(Z, mask, scale, h, mu, res)
            break
        idx = idx[keep]
    col_norm = 0.0
    for j in range(m):
        s = 0.0
        for i in range(k):
            e = Z[j, i] * scale[i]
            s += e * e
        col_norm = max(col_norm, np.sqrt(s))
    hn = 0.0
    for i in range(k):
        hn += h[i] * h[i]
    tol = 1e-13 * (np.sqrt(hn) + 1e-300) * (col_norm + 1e-300)
    weighted = np.empty(k)
    for _ in range(3 * m + 10):
        for i in range(k):
            weighted[i] = scale[i] * res[i]
        best = -1
        bw = tol
        for j in range(m):
            if passive[j] or refused[j]:
                continue
            w = 0.0
            for i in range(k):
                w -= Z[j, i] * weighted[i]
            if not mask[j]:
                w = -w
            if w > bw:
                bw = w
                best = j
        if best < 0:
            break
        passive[best] = True
        for j in range(m):
            refused[j] = False
        for _inner in range(m + 1):
            idx = np.flatnonzero(passive)
            if idx.size == 0:
                break
            z = _passive_lstsq(Z, mask, scale, h, idx)
            if np.all(z > 0.0):
                for t in range(idx.size):
                    mu[idx[t]] = z[t]
                break
            step = 1.0
            for t in range(idx.size):
                j = idx[t]
                if z[t] <= 0.0:
                    denom = mu[j] - z[t]
                    step = min(step, mu[j] / denom) if denom > 0.0 else 0.0
            for t in range(idx.size):
                j = idx[t]
                mu[j] += step * (z[t] - mu[j])
            for t in range(idx.size):
                j = idx[t]
                if mu[j] <= 1e-15 * (1.0 + abs(z[t])):
                    mu[j] = 0.0
                    passive[j] = False
                    if j == best:
                        refused[j] = True  # numerically useless column: skip it this round
        _cone_residual(Z, mask, scale, h, mu, res)
    for j in range(m):
        warm[j] = mu[j] > 0.0
    return res


@njit(cache=True)
def _cone_residual(Z, mask, scale, h, mu, res):
    """``res = h + E μ`` (in place) over the non-zero ``μ_j`` (see :func:`_nnls_cone`)."""
    k = Z.shape[1]
    for i in range(k):
        res[i] = h[i]
    for j in np.flatnonzero(mu != 0.0):
        sgn = 1.0 if mask[j] else -1.0
        for i in range(k):
            res[i] += sgn * Z[j, i] * scale[i] * mu[j]


@njit(cache=True)
def _warm_bound(Z, mask, h, warm):
    """An upper bound on ``min_{μ >= 0} ‖h + E μ‖`` (the norm of ``h``'s projection onto
    the pattern's cone; ``E`` as in :func:`_nnls_cone`, unscaled) from the passive set
    ``warm`` alone: the least squares on it, clipped at zero (a feasible ``μ``). One
    small solve instead of the Lawson–Hanson iterations; ``inf`` without a usable set.
    """
    r = Z.shape[1]
    idx = np.flatnonzero(warm)
    if idx.size == 0 or idx.size > r:
        return np.inf
    z = _passive_lstsq(Z, mask, np.ones(r), h, idx)
    v = h.copy()
    for t in range(idx.size):
        if z[t] > 0.0:
            j = idx[t]
            sgn = z[t] if mask[j] else -z[t]
            for i in range(r):
                v[i] += sgn * Z[j, i]
    s = 0.0
    for i in range(r):
        s += v[i] * v[i]
    return np.sqrt(s)


@njit(cache=True)
def _weighted_projection(Z, mask, p, c, mu, warm):
    """``argmin ½‖u − p‖² + ½ (c − 1) ‖u_w‖²`` over the pattern's cone (``u_w`` = all but last).

    In the coordinates ``u' = (√c u_w, u_b)`` this is the Euclidean projection
    of ``(p_w / √c, p_b)`` onto the cone with the weight columns of ``Z``
    divided by ``√c``: one NNLS problem. ``μ`` (n,) is scratch, ``warm`` the
    passive set to start from (updated).
    """
    r = Z.shape[1]
    root = np.sqrt(c)
    x = p.copy()
    scale = np.ones(r)
    for i in range(r - 1):
        x[i] /= root
        scale[i] = 1.0 / root
    u = _nnls_cone(Z, mask, scale, x, mu, warm)
    for i in range(r - 1):
        u[i] /= root
    return u


@njit(cache=True)
def _shrink(u, k, tau):
    """Group soft-thresholding of ``u[:k]`` by ``τ`` (in place)."""
    nrm = 0.0
    for i in range(k):
        nrm += u[i] * u[i]
    nrm = np.sqrt(nrm)
    scale = 1.0 - tau / nrm if nrm > tau else 0.0
    for i in range(k):
        u[i] *= scale


@njit(cache=True)
def _worst_slack(Z, mask, u):
    """``min(0, min_j (2 m_j − 1) z_jᵀu)``: negative when ``u`` is outside the cone."""
    n, r = Z.shape
    worst = 0.0
    for j in range(n):
        t = 0.0
        for i in range(r):
            t += Z[j, i] * u[i]
        if not mask[j]:
            t = -t
        worst = min(worst, t)
    return worst


@njit(cache=True)
def _prox_free(Z, mask, p, tau, mu, warm):
    """Proximal map of ``τ ‖u_w‖₂ + ι_K`` with the last (bias) coordinate unpenalised.

    ``K`` is the pattern's cone. Unlike the fully penalised case this is not a
    projection followed by a shrinkage. The minimiser ``u*`` (when ``u*_w ≠ 0``)
    is the weighted projection :func:`_weighted_projection` with
    ``c = 1 + τ / s`` at the fixed point ``s = ‖u*_w‖``; ``s`` is found by a
    safeguarded false-position search (Illinois) on ``s / F(s) − 1``, where
    ``F(s)`` is the weight norm of the weighted projection at ``s`` (the ratio
    is affine in ``s`` when no constraint is active). The two cheap cases
    come first: the shrinkage of the weights alone when it stays in ``K``, and
    ``u* = 0`` when the pattern's dual value at ``p`` (:func:`_price_one`) is at
    most ``τ``. ``μ`` (n,) is scratch; ``warm`` is the passive set the
    projections start from (updated).
    """
    r = Z.shape[1]
    d = r - 1
    u = p.copy()
    _shrink(u, d, tau)
    if _worst_slack(Z, mask, u) >= 0.0:
        return u
    nw = 0.0
    for i in range(d):
        nw += p[i] * p[i]
    nw = np.sqrt(nw)
    # np.bool_: literal True / False arguments would compile a second specialization of
    # _price_one and its callees (about 3 s in a fresh install)
    q = _price_one(Z, mask, p, d, np.bool_(True), np.bool_(False), tau, mu, np.empty(0, np.bool_))
    if q <= tau:
        return np.zeros(r)
    pn = 0.0
    for i in range(r):
        pn += p[i] * p[i]
    pn = np.sqrt(pn)
    # bracket: g(0+) = τ / q − 1 < 0 and g(‖p‖) >= 0 (the proximal map is non-expansive)
    lo, g_lo = 0.0, tau / q - 1.0
    hi = pn
    u_hi = _weighted_projection(Z, mask, p, 1.0 + tau / hi, mu, warm)
    f = 0.0
    for i in range(d):
        f += u_hi[i] * u_hi[i]
    f = np.sqrt(f)
    g_hi = hi / f - 1.0 if f > 0.0 else np.inf
    best = u_hi
    if g_hi <= 0.0:
        return u_hi
    s = min(max(nw - tau, 1e-3 * hi), 0.999 * hi)  # the unconstrained answer
    side = 0
    for _ in range(100):
        u = _weighted_projection(Z, mask, p, 1.0 + tau / s, mu, warm)
        f = 0.0
        for i in range(d):
            f += u[i] * u[i]
        f = np.sqrt(f)
        best = u
        if abs(f - s) <= 1e-14 * (s + tau):
            break
        g = s / f - 1.0 if f > 0.0 else np.inf
        if g < 0.0:
            lo, g_lo = s, g
            if side == -1:
                g_hi *= 0.5  # Illinois: the other end has been kept twice
            side = -1
        else:
            hi, g_hi = s, g
            if side == 1:
                g_lo *= 0.5
            side = 1
        if hi - lo <= 1e-15 * hi:
            break
        if np.isinf(g_hi):
            s = 0.5 * (lo + hi)
        else:
            s = lo - g_lo * (hi - lo) / (g_hi - g_lo)
            if not (lo < s < hi):
                s = 0.5 * (lo + hi)
    return best


@njit(cache=True)
def _dual_norm(v, n_pen, inf_norm):
    s = 0.0
    for i in range(n_pen):
        if inf_norm:
            s = max(s, abs(v[i]))
        else:
            s += v[i] * v[i]
    return s if inf_norm else np.sqrt(s)


@njit(cache=True)
def _fixed_bound(Z, mask, v, n_pen, inf_norm):
    """Upper bound from ``v = h + Aᵀμ`` after zeroing its free-bias coordinate exactly.

    The bias coordinate ``e`` of ``v`` is moved to zero by raising one more
    multiplier: an inactive sample's row ``-(x_j, 1)`` when ``e > 0``, an
    active one's ``(x_j, 1)`` when ``e < 0``; the best such sample is used.
    Returns ``inf`` when no sample can absorb ``e`` (an all-active or
    all-inactive pattern with a non-zero bias component).
    """
    n, r = Z.shape
    e = v[r - 1]
    if e == 0.0:
        return _dual_norm(v, n_pen, inf_norm)
    best = np.inf
    w = np.empty(n_pen)
    for j in range(n):
        if (e > 0.0 and not mask[j]) or (e < 0.0 and mask[j]):
            for i in range(n_pen):
                w[i] = v[i] - abs(e) * Z[j, i] if e > 0.0 else v[i] + abs(e) * Z[j, i]
            best = min(best, _dual_norm(w, n_pen, inf_norm))
    if best == np.inf and abs(e) <= 1e-11 * (1.0 + _dual_norm(v, n_pen, False)):
        best = _dual_norm(v, n_pen, inf_norm)  # a rounding-level bias component
    return best


@njit(cache=True)
def _price_one(Z, mask, h, n_pen, free_bias, inf_norm, threshold, mu, warm):
    """Upper bound on ``max hᵀu`` over the pattern's cone and ``‖u_pen‖ <= 1``.

    First the bound at ``μ = 0`` (for the ℓ2 norm without a free bias, and a
    ``warm`` passive set, the smaller of it and :func:`_warm_bound`); when it is
    above ``threshold`` the NNLS optimum (the exact value for the ℓ2 norm);
    ``threshold = inf``: the first bound only. ``μ`` is scratch of shape
    ``(n,)``. ``warm`` (bool, ``(n,)``) is a passive set to start the NNLS from
    (:func:`_nnls_cone`, updated in place; the optimum does not depend on it);
    an empty array starts it cold.
    """
    n, r = Z.shape
    if free_bias:
        cheap = _fixed_bound(Z, mask, h, n_pen, inf_norm)
    else:
        cheap = _dual_norm(h, n_pen, inf_norm)
        if (cheap > threshold or threshold == np.inf) and not inf_norm and warm.size == n:
            cheap = min(cheap, _warm_bound(Z, mask, h, warm))  # the last passive set's
    if cheap <= threshold:
        return cheap
    hw = h.copy()
    weights = np.ones(r)
    omega = 1.0
    if free_bias:
        top = 0.0
        for j in range(n):
            for i in range(n_pen):
                top = max(top, abs(Z[j, i]))
        omega = 1e3 * max(top, 1.0)  # weight of the bias equality row
        weights[r - 1] = omega
        hw[r - 1] *= omega
    start = warm if warm.size == n else np.zeros(n, dtype=np.bool_)
    res = _nnls_cone(Z, mask, weights, hw, mu, start)
    v = np.empty(r)
    for i in range(r):
        v[i] = res[i]
    if free_bias:
        v[r - 1] = res[r - 1] / omega
        bound = _fixed_bound(Z, mask, v, n_pen, inf_norm)
        bound = min(bound, _equality_bound(Z, mask, h, mu, n_pen, inf_norm))
    else:
        bound = _dual_norm(v, n_pen, inf_norm)
    return min(bound, cheap)


@njit(cache=True)
def _equality_bound(Z, mask, h, mu, n_pen, inf_norm):
    """The bound of the NNLS passive set with the bias equality imposed exactly.

    The weighted bias row of :func:`_price_one` leaves the bias coordinate of
    ``h + Aᵀμ`` at ``O(1/ω²)``, and moving one multiplier to zero it costs
    ``O(1/ω²)`` in the bound. Here, on the passive set ``P`` of ``μ``, the
    equality-constrained least squares ``min ‖(h + A_Pᵀ μ_P)_w‖`` subject to
    ``(h + A_Pᵀ μ_P)_b = 0`` is solved exactly (its KKT system); when the
    solution is non-negative it is a feasible multiplier, so the bound it
    gives is valid and, on the right passive set, tight to rounding. Returns
    ``inf`` otherwise.
    """
    r = Z.shape[1]
    idx = np.flatnonzero(mu > 0.0)
    p = idx.size
    if p == 0:
        return np.inf
    K = np.zeros((p + 1, p + 1))
    rhs = np.zeros(p + 1)
    for a in range(p):
        ja = idx[a]
        sa = 1.0 if mask[ja] else -1.0
        for b in range(a + 1):
            jb = idx[b]
            sb = 1.0 if mask[jb] else -1.0
            t = 0.0
            for i in range(n_pen):
                t += Z[ja, i] * Z[jb, i]
            K[a, b] = sa * sb * t
            K[b, a] = K[a, b]
        K[a, p] = sa * Z[ja, r - 1]
        K[p, a] = K[a, p]
        t = 0.0
        for i in range(n_pen):
            t += Z[ja, i] * h[i]
        rhs[a] = -sa * t
    rhs[p] = -h[r - 1]
    sol = _lstsq(K, rhs, np.finfo(np.float64).eps * (p + 1))
    v = h.copy()
    for a in range(p):
        if sol[a] < 0.0:
            return np.inf
        sa = 1.0 if mask[idx[a]] else -1.0
        for i in range(r):
            v[i] += sol[a] * sa * Z[idx[a], i]
    return _fixed_bound(Z, mask, v, n_pen, inf_norm)


@njit(cache=True)
def _masked_correlation(Z, mask, lam, scale, h):
    """``h = scale · Zᵀ(m ⊙ λ)`` (in place)."""
    n, r = Z.shape
    for i in range(r):
        s = 0.0
        for j in range(n):
            if mask[j]:
                s += Z[j, i] * lam[j]
        h[i] = scale * s


@njit(cache=True)
def _price_groups(Z, masks, signs, lam, n_pen, free_bias, inf_norm, threshold, out, warm, H):
    """Upper bounds on the dual values of patterns: the pricing kernel.

    With ``signs`` of length ``G`` (one sign per group), ``out[g, 0]`` bounds group
    ``g``'s value for ``h = s_g Zᵀ(m_g ⊙ λ)``; with ``signs`` empty, ``out[p, 0]``
    and ``out[p, 1]`` bound pattern ``p``'s values for ``+h`` and ``-h`` (``h``
    computed once). Bounds at or below ``threshold`` may be the cheap ones (not
    tight; ``threshold < 0``: always the NNLS optimum). ``warm`` (G, n) holds
    each group's NNLS passive set from the last call (updated in place: between
    the gap checks of a restricted solve it rarely changes; with ``signs``
    empty, (2 P, n): rows ``2p`` and ``2p + 1`` for ``+h`` and ``-h``), or is
    empty (``(0, 0)``: cold starts). ``H`` (G, r): each group's ``Zᵀ(m_g ⊙ λ)``
    computed by the caller (matrix products), or empty (``(0, 0)``: computed
    here). One kernel for both uses: every caller of
    :func:`_price_one` compiles the NNLS chain again (about 1.5 s in a fresh
    install).
    """
    G = masks.shape[0]
    n, r = Z.shape
    both = signs.size == 0
    mu = np.empty(n)
    h = np.empty(r)
    cold = np.empty(0, np.bool_)
    given = H.shape[0] > 0
    for g in range(G):
        if given:
            scale = 1.0 if both else signs[g]
            for i in range(r):
                h[i] = scale * H[g, i]
        else:
            _masked_correlation(Z, masks[g], lam, 1.0 if both else signs[g], h)
        warmed = warm.shape[0] > 0
        start = (warm[2 * g] if both else warm[g]) if warmed else cold
        out[g, 0] = _price_one(Z, masks[g], h, n_pen, free_bias, inf_norm, threshold, mu, start)
        if both:
            for i in range(r):
                h[i] = -h[i]
            start = warm[2 * g + 1] if warmed else cold
            out[g, 1] = _price_one(Z, masks[g], h, n_pen, free_bias, inf_norm, threshold, mu, start)


@njit(cache=True)
def _bcd_epochs(Z, masks, signs, lips, V, res, alpha, cone, inf_norm, free, faces, n_epochs, A):
    """Cyclic proximal block-coordinate passes over the groups of a working set.

    Group ``g`` has the block ``A_g = s_g D_g Z`` (``D_g`` = ``masks[g]``) and
    the variable ``V[g]``; the objective is ``‖res‖² / (2n) + α Σ_g ‖V[g]‖``
    with ``res = y - Σ_g A_g V[g]``. A block step is the proximal-gradient step
    with step ``1 / lips[g]`` (``lips[g]`` = the largest eigenvalue of
    ``A_gᵀ A_g / n``). With ``cone`` each ``V[g]`` is kept in its pattern's
    cone ``{u : (2 m - 1) ⊙ Z u >= 0}``: for a cone ``K`` and the ℓ2 norm the
    proximal map of ``α ‖·‖ + ι_K`` is the projection onto ``K`` followed by
    the ℓ2 shrinkage (the normal cones of ``K`` at ``p`` and at ``t p`` agree),
    so each step stays exact. ``inf_norm`` selects the ℓ1 group norm
    (soft-thresholding; not combined with ``cone``).

    ``free``: the last column of ``Z`` is a free bias (not in the norm) and the
    intercept is free. ``res`` is then kept centred (the intercept minimised
    out after every step), the proximal map is :func:`_prox_free`, and a group
    active on every sample has no cone constraint (its bias is absorbed by the
    intercept and stays put: its gradient is ``Σ res = 0``).

    ``faces`` (G, n) holds each group's last projection's passive set (the
    active cone constraints), the warm start of the next one. ``V``, ``res``
    and ``faces`` are updated in place; returns the largest change of a
    coordinate in the last pass.

    Pooled rows (convolutional networks, docs/mathematics.md §6): the rows of ``Z`` are the
    stacked patches, ``K`` consecutive rows per sample, and ``A`` (G, n, r)
    holds each group's pooled block ``pool · Σ_k D_g Z`` per sample (without
    the sign); the gradients and residual updates use it, ``res`` has one
    entry per sample, and the cone constraints stay on the rows. An empty
    ``(0, 0, 0)`` array is the dense case (``res`` per row).
    """
    G, r = V.shape
    n_rows = Z.shape[0]
    pooled = A.shape[0] > 0
    n = A.shape[1] if pooled else n_rows
    u = np.empty(r)
    delta = np.empty(r)
    ones = np.ones(r)  # the projection onto a cone is the NNLS residual, unscaled
    mu = np.empty(n_rows)
    change = 0.0
    for _ in range(n_epochs):
        change = 0.0
        for g in range(G):
            L = lips[g]
            if L <= 0.0:
                continue
            s = signs[g]
            count = _block_correlation(Z, masks[g], A, g, res, u)
            for i in range(r):
                u[i] = V[g, i] + s * u[i] / (n * L)
            thr = alpha / L
            u = _block_prox(
                Z, masks[g], u, thr, cone, inf_norm, free, count < n_rows, ones, mu, faces[g]
            )
            moved = False
            for i in range(r):
                delta[i] = u[i] - V[g, i]
                if delta[i] != 0.0:
                    moved = True
                    change = max(change, abs(delta[i]))
                V[g, i] = u[i]
            if moved:
                _block_move(Z, masks[g], A, g, s, delta, free, res)
    return change


@njit(cache=True)
def _block_correlation(Z, mask, A, g, res, u):
    """``u = A_gᵀ res`` without the sign (a step of :func:`_bcd_epochs`); returns the
    number of active rows of the pattern ``mask``.

    ``A_g`` is the pooled block ``A[g]`` (per sample) when ``A`` is not empty,
    else the active rows of ``Z``.
    """
    n_rows, r = Z.shape
    for i in range(r):
        u[i] = 0.0
    count = 0
    if A.shape[0] > 0:
        for j in range(n_rows):
            if mask[j]:
                count += 1
        for a in range(A.shape[1]):
            for i in range(r):
                u[i] += A[g, a, i] * res[a]
    else:
        for j in range(n_rows):
            if mask[j]:
                count += 1
                rj = res[j]
                for i in range(r):
                    u[i] += Z[j, i] * rj
    return count


@njit(cache=True)
def _block_prox(Z, mask, u, thr, cone, inf_norm, free, bounded, ones, mu, face):
    """The proximal map of a block step of :func:`_bcd_epochs` at the gradient point ``u``.

    ``thr`` = ``α / L_g``; ``bounded``: the pattern is not active on every row
    (with ``free``, a group active everywhere has no cone constraint). Returns
    the new block (``u`` itself, changed in place, or a new array).
    """
    r = u.size
    n_pen = r - 1 if free else r
    if free and cone and bounded:
        return _prox_free(Z, mask, u, thr, mu, face)
    # a block that stays zero needs no projection (‖P_K u‖ <= ‖u‖)
    if cone and not free and not inf_norm and _dual_norm(u, r, False) <= thr:
        for i in range(r):
            u[i] = 0.0
        return u
    if cone and not free and _worst_slack(Z, mask, u) < 0.0:
        u = _nnls_cone(Z, mask, ones, u, mu, face)
    if inf_norm:
        for i in range(n_pen):
            excess = abs(u[i]) - thr
            u[i] = np.sign(u[i]) * excess if excess > 0.0 else 0.0
    else:
        _shrink(u, n_pen, thr)
    return u


@njit(cache=True)
def _block_move(Z, mask, A, g, s, delta, free, res):
    """``res -= s A_g δ`` (in place) after a block step of :func:`_bcd_epochs`, then
    re-centred with ``free`` (the intercept minimised out)."""
    pooled = A.shape[0] > 0
    n = A.shape[1] if pooled else Z.shape[0]
    r = delta.size
    shift = 0.0
    for a in range(n):
        t = 0.0
        if pooled:
            for i in range(r):
                t += A[g, a, i] * delta[i]
        elif mask[a]:
            for i in range(r):
                t += Z[a, i] * delta[i]
        if t != 0.0:
            res[a] -= s * t
            shift += s * t
    if free:
        shift /= n
        for j in range(n):
            res[j] += shift
