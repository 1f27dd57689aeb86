"""The groups of an arrangement working set: norms, pooled blocks, cone projections, dual values.

A group of the arrangement program (:mod:`geolasso.crelu`) is a pattern
``m`` with a sign ``s`` and a variable ``v`` in the pattern's cone
``{u : (2 m − 1) ⊙ Z u >= 0}``; its block is ``s D_m Z`` (pooled per sample
for convolutional networks). These are the pieces every restricted solver
reads off a working set (:mod:`geolasso._crelu_bcd`,
:mod:`geolasso._crelu_newton`, :mod:`geolasso._crelu_barrier`) and the
driver uses between rounds: the penalty norms, the pooling of rows and its
adjoint, each group's pooled block and Lipschitz constant, the Euclidean
projection onto a cone, and each group's dual-constraint value. The numba
work is in :mod:`geolasso._crelu_kernels`.
"""

from __future__ import annotations

import numpy as np

from ._crelu_kernels import _nnls_cone, _price_groups

#: Relative excess of a dual value over ``n α`` below which a group is not added.
PRICE_RTOL = 1e-9
#: Relative rounding level of an objective value.
ROUND_RTOL = 1e-14
#: Groups priced exactly together by :func:`restricted_values` (in decreasing order of
#: their cheap bounds, until the next is below the largest value found).
_EXACT_BLOCK = 8


def pen_norms(V, n_pen, norm):
    """The norm of each row's penalised coordinates ``V[:, :n_pen]`` (ℓ1 or ℓ2)."""
    part = V[:, :n_pen]
    if norm == "l1":
        return np.abs(part).sum(axis=1)
    return np.sqrt(np.einsum("ij,ij->i", part, part))


def project_cone(Z, mask, x):
    """Euclidean projection of ``x`` onto ``{u : (2 m - 1) ⊙ Z u >= 0}`` (cold start)."""
    n = Z.shape[0]
    r = Z.shape[1]
    return _nnls_cone(Z, mask, np.ones(r), x, np.empty(n), np.zeros(n, dtype=np.bool_))


def pooled(rows, K, pool):
    """Per-sample sums of ``K`` consecutive rows, times ``pool`` (the identity for ``K = 1``)."""
    if K == 1 and pool == 1.0:
        return rows
    return pool * rows.reshape(rows.shape[0] // K, K, *rows.shape[1:]).sum(axis=1)


def spread(lam, K, pool):
    """The adjoint of :func:`pooled`: each sample's value on its ``K`` rows, times ``pool``."""
    if K == 1 and pool == 1.0:
        return lam
    return pool * np.repeat(lam, K)


def pooled_blocks(Z, masks, K, pool):
    """Each group's pooled block ``pool · Σ_k D_g Z`` (G, n, r); empty when ``K = 1``."""
    if K == 1:
        return np.zeros((0, 0, 0))
    if masks.shape[0] == 0:
        return np.zeros((0, Z.shape[0] // K, Z.shape[1]))
    return np.stack([pooled(Z * m[:, None], K, pool) for m in masks]).reshape(
        masks.shape[0], Z.shape[0] // K, Z.shape[1]
    )


def group_lipschitz(Z, masks, K=1, blocks=None):
    """Largest eigenvalue of ``A_gᵀ A_g / n`` per group (``A_g`` = the active rows, or with
    ``K > 1`` the pooled ``blocks`` of :func:`pooled_blocks`)."""
    n = Z.shape[0] // K
    if K == 1:
        # one product per group over its active rows (an einsum over all groups at once
        # runs without BLAS: 7 s of a 37 s solve at n = 3,000, d = 50, 264 groups)
        gram = np.empty((masks.shape[0], Z.shape[1], Z.shape[1]))
        for g, m in enumerate(masks):
            rows = Z[m]
            np.matmul(rows.T, rows, out=gram[g])
        gram /= n
    else:
        gram = np.einsum("gia,gib->gab", blocks, blocks) / n
    return np.linalg.eigvalsh(gram)[:, -1].copy()


def restricted_values(Z, masks, signs, lam, norm, gated, free=False, warm=None, floor=None):
    """Upper bounds on the dual-constraint value of every working-set group at ``λ``
    (its own sign), exact where it matters.

    ``floor=None``: the largest bound is the exact largest value (all a dual
    scaling needs; :func:`geolasso._dual.dual_ratio`), the others may be the
    cheap bounds ``‖h_g‖`` (the cone dropped). The exact values (one NNLS
    each, :func:`geolasso._crelu_kernels._price_groups`) are computed in
    decreasing order of the cheap bounds until the next cheap bound is at
    most the largest exact value found: with many groups whose cheap bound
    exceeds their value (thin cones), most NNLS solves are skipped. A number
    ``floor``: every value above it is exact, those at or below it may be
    cheap (enough to tell which groups violate a threshold).

    ``warm``: optional (G, n) bool passive sets of the groups' NNLS problems, the
    starts of this call and updated in place (see ``_price_groups``).
    """
    n_pen = Z.shape[1] - 1 if free else Z.shape[1]
    if gated:
        h = ((masks * lam) @ Z)[:, :n_pen]  # (G, n_pen)
        return np.abs(h).max(axis=1) if norm == "l1" else np.linalg.norm(h, axis=1)
    G = masks.shape[0]
    values = np.empty(G)
    if G == 0:
        return values
    if warm is None:
        warm = np.zeros((0, 0), dtype=np.bool_)
    H = np.empty((G, Z.shape[1]))  # Zᵀ(m_g ⊙ λ) without the signs, 64 groups at a time
    for lo in range(0, G, 64):
        H[lo : lo + 64] = (masks[lo : lo + 64] * lam) @ Z
    none = np.zeros((0, 0), dtype=np.bool_)

    def price(idx, threshold):
        out = np.empty((idx.size, 1))
        sub = np.ascontiguousarray(warm[idx]) if warm.shape[0] else none
        _price_groups(
            Z,
            np.ascontiguousarray(masks[idx]),
            np.ascontiguousarray(signs[idx]),
            lam,
            n_pen,
            free,
            norm == "l1",
            threshold,
            out,
            sub,
            np.ascontiguousarray(H[idx]),
        )
        if warm.shape[0]:
            warm[idx] = sub
        return out[:, 0]

    everyone = np.arange(G)
    if floor is not None:
        values[:] = price(everyone, float(floor))
        return values
    values[:] = price(everyone, np.inf)  # the cheap bounds (no NNLS)
    order = np.argsort(-values, kind="stable")
    top = -np.inf
    for start in range(0, G, _EXACT_BLOCK):
        if values[order[start]] <= top:  # no cheap bound left above the largest value
            break
        block = order[start : start + _EXACT_BLOCK]
        values[block] = exact = price(block, -1.0)
        if not np.all(np.isfinite(exact)):  # no exact maximum to stop at: price them all
            rest = order[start + _EXACT_BLOCK :]
            values[rest] = price(rest, -1.0)
            break
        top = max(top, float(exact.max()))
    return values
