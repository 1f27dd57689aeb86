"""Numba kernels of the activation-pattern program: cone projections and dual pricing.

For a pattern ``m`` (bool, one entry per sample) the cone of neurons with that
pattern is ``K = {u : A u >= 0}`` with rows ``a_j = (2 m_j - 1) z_j``. Two
questions are asked of it, both answered through the non-negative least-squares
problem ``min_{μ >= 0} ‖h + Aᵀμ‖`` (Lawson–Hanson active set, :func:`_nnls`):

* the Euclidean projection of ``x`` onto ``K`` is ``x + Aᵀμ*`` for ``h = x``
  (Moreau: ``K``'s polar cone is ``{-Aᵀμ : μ >= 0}``);
* the largest value of ``hᵀu`` over ``u ∈ K`` with ``‖u_pen‖ <= 1`` (the dual
  constraint of SPEC §2.3 for one pattern) equals, by Lagrange duality,
  ``min ‖(h + Aᵀμ)_pen‖_*`` over ``μ >= 0`` with the free-bias coordinate of
  ``h + Aᵀμ`` equal to zero. Every such ``μ`` gives an **upper bound**, which
  is what a certificate needs; the NNLS optimum makes it tight (exact for the
  ℓ2 norm up to the bias equality, which is enforced by a weighted row and then
  made exact by moving one multiplier, see :func:`_price_one`).
"""

from __future__ import annotations

import numpy as np

from ._lasso_kernels import _chol_solve
from ._numba import njit


@njit(cache=True)
def _small_lstsq(sub, h):
    """``argmin_z ‖h + sub z‖`` for a tall or square ``sub`` with few columns.

    Cholesky on the normal equations (a few columns: the cheap path); when a
    pivot is negligible (nearly dependent columns) LAPACK's least squares.
    """
    k, p = sub.shape
    L = np.zeros((p, p))
    rhs = np.empty(p)
    for a in range(p):
        s = 0.0
        for i in range(k):
            s -= sub[i, a] * h[i]
        rhs[a] = s
    for a in range(p):
        for b in range(a + 1):
            s = 0.0
            for i in range(k):
                s += sub[i, a] * sub[i, b]
            for c in range(b):
                s -= L[a, c] * L[b, c]
            if a == b:
                ref = 0.0
                for i in range(k):
                    ref += sub[i, a] * sub[i, a]
                if s <= 1e-10 * ref:
                    return np.linalg.lstsq(sub, -h)[0]
                L[a, a] = np.sqrt(s)
            else:
                L[a, b] = s / L[b, b]
    z = np.empty(p)
    _chol_solve(L, p, rhs, z)
    return z


@njit(cache=True)
def _nnls(E, h, mu):
    """``min_{μ >= 0} ‖h + E μ‖₂`` for a short wide ``E`` (k, m); writes ``μ``.

    Lawson–Hanson: grow the passive set by the column with the steepest
    descent, solve the unconstrained least squares on it, and step back to the
    feasible boundary when a coefficient turns non-positive. Returns the
    residual ``h + E μ``.
    """
    k, m = E.shape
    for j in range(m):
        mu[j] = 0.0
    passive = np.zeros(m, dtype=np.bool_)
    refused = np.zeros(m, dtype=np.bool_)
    res = h.copy()
    col_norm = 0.0
    for j in range(m):
        s = 0.0
        for i in range(k):
            s += E[i, j] * E[i, j]
        col_norm = max(col_norm, np.sqrt(s))
    hn = 0.0
    for i in range(k):
        hn += h[i] * h[i]
    tol = 1e-13 * (np.sqrt(hn) + 1e-300) * (col_norm + 1e-300)
    for _ in range(3 * m + 10):
        best = -1
        bw = tol
        for j in range(m):
            if passive[j] or refused[j]:
                continue
            w = 0.0
            for i in range(k):
                w -= E[i, j] * res[i]
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
            sub = np.empty((k, idx.size))
            for t in range(idx.size):
                for i in range(k):
                    sub[i, t] = E[i, idx[t]]
            z = _small_lstsq(sub, h)
            ok = True
            for t in range(idx.size):
                if z[t] <= 0.0:
                    ok = False
            if ok:
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
        for i in range(k):
            s = h[i]
            for j in range(m):
                if mu[j] != 0.0:
                    s += E[i, j] * mu[j]
            res[i] = s
    return res


@njit(cache=True)
def _project_cone(Z, mask, x):
    """Euclidean projection of ``x`` onto ``{u : (2 m - 1) ⊙ Z u >= 0}``."""
    n, r = Z.shape
    E = np.empty((r, n))
    for j in range(n):
        sgn = 1.0 if mask[j] else -1.0
        for i in range(r):
            E[i, j] = sgn * Z[j, i]
    mu = np.empty(n)
    return _nnls(E, x.copy(), mu)


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
def _price_one(Z, mask, h, n_pen, free_bias, inf_norm, threshold, E, mu):
    """Upper bound on ``max hᵀu`` over the pattern's cone and ``‖u_pen‖ <= 1``.

    First the bound at ``μ = 0``; when it is above ``threshold`` the NNLS
    optimum (the exact value for the ℓ2 norm). ``E`` is scratch of shape
    ``(r, n)``, ``μ`` of shape ``(n,)``.
    """
    n, r = Z.shape
    if free_bias:
        cheap = _fixed_bound(Z, mask, h, n_pen, inf_norm)
    else:
        cheap = _dual_norm(h, n_pen, inf_norm)
    if cheap <= threshold:
        return cheap
    scale = 0.0
    for j in range(n):
        for i in range(n_pen):
            scale = max(scale, abs(Z[j, i]))
    omega = 1e3 * max(scale, 1.0)  # weight of the bias equality row
    hw = h.copy()
    for j in range(n):
        sgn = 1.0 if mask[j] else -1.0
        for i in range(r):
            E[i, j] = sgn * Z[j, i]
        if free_bias:
            E[r - 1, j] *= omega
    if free_bias:
        hw[r - 1] *= omega
    res = _nnls(E, hw, mu)
    v = np.empty(r)
    for i in range(r):
        v[i] = res[i]
    if free_bias:
        v[r - 1] = res[r - 1] / omega
        bound = _fixed_bound(Z, mask, v, n_pen, inf_norm)
    else:
        bound = _dual_norm(v, n_pen, inf_norm)
    return min(bound, cheap)


@njit(cache=True)
def _price(Z, masks, lam, n_pen, free_bias, inf_norm, threshold, out):
    """Upper bounds ``out[p, 0]`` (``+h``) and ``out[p, 1]`` (``-h``) for every pattern.

    ``h = Zᵀ(m_p ⊙ λ)``. Bounds at or below ``threshold`` may be the cheap
    ones (not tight); above it they come from the NNLS optimum.
    """
    P = masks.shape[0]
    n, r = Z.shape
    E = np.empty((r, n))
    mu = np.empty(n)
    h = np.empty(r)
    for p in range(P):
        for i in range(r):
            s = 0.0
            for j in range(n):
                if masks[p, j]:
                    s += Z[j, i] * lam[j]
            h[i] = s
        out[p, 0] = _price_one(Z, masks[p], h, n_pen, free_bias, inf_norm, threshold, E, mu)
        for i in range(r):
            h[i] = -h[i]
        out[p, 1] = _price_one(Z, masks[p], h, n_pen, free_bias, inf_norm, threshold, E, mu)


@njit(cache=True)
def _bcd_epochs(Z, masks, signs, lips, V, res, alpha, cone, inf_norm, n_epochs):
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
    (soft-thresholding; not combined with ``cone``). ``V`` and ``res`` are
    updated in place; returns the largest change of a coordinate in the last
    pass.
    """
    G, r = V.shape
    n = Z.shape[0]
    u = np.empty(r)
    delta = np.empty(r)
    change = 0.0
    for _ in range(n_epochs):
        change = 0.0
        for g in range(G):
            L = lips[g]
            if L <= 0.0:
                continue
            s = signs[g]
            for i in range(r):
                u[i] = 0.0
            for j in range(n):
                if masks[g, j]:
                    rj = res[j]
                    for i in range(r):
                        u[i] += Z[j, i] * rj
            for i in range(r):
                u[i] = V[g, i] + s * u[i] / (n * L)
            if cone:
                worst = 0.0
                for j in range(n):
                    t = 0.0
                    for i in range(r):
                        t += Z[j, i] * u[i]
                    if not masks[g, j]:
                        t = -t
                    worst = min(worst, t)
                if worst < 0.0:
                    u = _project_cone(Z, masks[g], u)
            thr = alpha / L
            if inf_norm:
                for i in range(r):
                    a = abs(u[i]) - thr
                    u[i] = np.sign(u[i]) * a if a > 0.0 else 0.0
            else:
                nrm = 0.0
                for i in range(r):
                    nrm += u[i] * u[i]
                nrm = np.sqrt(nrm)
                scale = 1.0 - thr / nrm if nrm > thr else 0.0
                for i in range(r):
                    u[i] *= scale
            moved = False
            for i in range(r):
                delta[i] = u[i] - V[g, i]
                if delta[i] != 0.0:
                    moved = True
                    change = max(change, abs(delta[i]))
                V[g, i] = u[i]
            if moved:
                for j in range(n):
                    if masks[g, j]:
                        t = 0.0
                        for i in range(r):
                            t += Z[j, i] * delta[i]
                        res[j] -= s * t
    return change
