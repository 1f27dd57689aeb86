"""Pricing the patterns of the arrangement program: each pattern cone's dual value.

One step of :func:`geolasso.crelu.solve_crelu` and the seam through which the
solver's rounds run in-process or on a cluster (:class:`geolasso.distributed.
PatternRunner` prices blocks of patterns with :func:`price_patterns` on its
workers): the products ``Zᵀ(m_p ⊙ λ)`` for every pattern by matrix products
over fixed blocks of patterns and rows (:func:`masked_products`; a pattern's
value does not depend on which others are priced with it), and from them the
gated values (norms) or the ReLU bounds (one NNLS per pattern and sign,
:func:`geolasso._crelu_kernels._price_groups`; for the ℓ1 norm refined by the
dual LP, :func:`lp_bound`).
"""

from __future__ import annotations

import numpy as np

from ._crelu_kernels import _fixed_bound, _price_groups

__all__ = [
    "PRICE_PATTERNS",
    "PRICE_ROWS",
    "lp_bound",
    "masked_products",
    "price_bounds",
    "price_chunk",
    "price_patterns",
]

#: Patterns and rows of one product of the pricing (dense float64 masks of 4 MiB: the
#: conversion of the masks is the memory traffic, 2,048 rows measured 19 % faster than
#: 8,192 at n = 10^6; both fixed, so the sums do not depend on how the patterns are split).
PRICE_PATTERNS = 256
PRICE_ROWS = 2048


def price_bounds(Z, masks, lam, n_pen, free, inf_norm, threshold, out, warm=None):
    """Upper bounds ``out[p, 0]`` (``+h``) and ``out[p, 1]`` (``-h``) on every pattern's
    dual value, ``h = Zᵀ(m_p ⊙ λ)`` (bounds at or below ``threshold`` may be the cheap
    ones, not tight; see :func:`~geolasso._crelu_kernels._price_groups`); the
    ``h`` by :func:`masked_products`. ``warm``: (2 P, n) bool NNLS passive sets
    of the last pricing (updated in place), or None (cold starts)."""
    if warm is None:
        warm = np.zeros((0, 0), dtype=np.bool_)
    H = masked_products(Z, masks, lam)
    _price_groups(Z, masks, np.empty(0), lam, n_pen, free, inf_norm, threshold, out, warm, H)


def masked_products(Z, patterns, lam, packed=False):
    """``H[p] = Zᵀ(m_p ⊙ λ)`` for every pattern (P, r), by matrix products over blocks of
    ``PRICE_PATTERNS`` patterns (the last one padded) and ``PRICE_ROWS`` rows (summed
    over the row blocks in order): the masks are dense (float64) one such block at a
    time, and a pattern's row does not depend on which others are computed with it.
    ``packed``: the masks are bits (``np.packbits(masks, axis=1)``), unpacked a block
    at a time."""
    rows, r = Z.shape
    if packed and PRICE_ROWS % 8:
        raise ValueError(f"PRICE_ROWS must be a multiple of 8 for packed masks; got {PRICE_ROWS}")
    P = patterns.shape[0]
    ZL = Z * lam[:, None]
    H = np.empty((P, r))
    block = np.zeros((PRICE_PATTERNS, min(PRICE_ROWS, rows)))
    for lo in range(0, P, PRICE_PATTERNS):
        hi = min(lo + PRICE_PATTERNS, P)
        part = np.zeros((PRICE_PATTERNS, r))
        for a in range(0, rows, PRICE_ROWS):
            b = min(a + PRICE_ROWS, rows)
            # every product has the full block's shape (the last one padded with zero
            # masks): BLAS may sum a smaller product in another order
            if packed:
                bits = patterns[lo:hi, a // 8 : (b + 7) // 8]
                block[: hi - lo, : b - a] = np.unpackbits(bits, axis=1, count=b - a)
            else:
                block[: hi - lo, : b - a] = patterns[lo:hi, a:b]
            block[hi - lo :] = 0.0
            part += block[:, : b - a] @ ZL[a:b]
        H[lo:hi] = part[: hi - lo]
    return H


def lp_bound(Z, mask, h, n_pen, free):
    """``max hᵀu`` over the pattern's cone and ``‖u_pen‖₁ <= 1``, by its dual LP (HiGHS)."""
    from scipy.optimize import linprog

    n, r = Z.shape
    At = ((2.0 * mask - 1.0)[:, None] * Z).T  # (r, n): columns a_j
    # variables (μ ∈ R^n_+, s): minimise s with |(h + Aᵀμ)_k| <= s on the penalised rows
    ones = np.ones((n_pen, 1))
    A_ub = np.vstack([np.hstack([At[:n_pen], -ones]), np.hstack([-At[:n_pen], -ones])])
    b_ub = np.concatenate([-h[:n_pen], h[:n_pen]])
    A_eq = b_eq = None
    if free:
        A_eq = np.hstack([At[r - 1 :], np.zeros((1, 1))])
        b_eq = -h[r - 1 :]
    cost = np.zeros(n + 1)
    cost[-1] = 1.0
    res = linprog(cost, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, method="highs")
    if res.status != 0:
        return np.inf
    v = h + At @ res.x[:n]
    if free:
        return float(_fixed_bound(Z, mask, v, n_pen, True))
    return float(np.max(np.abs(v[:n_pen])))


def price_chunk():
    """Patterns priced together by the gated pricing's products: any split of the patterns
    into multiples of it prices every pattern by the same arithmetic
    (:class:`geolasso.distributed.PatternRunner`'s blocks)."""
    return PRICE_PATTERNS


def price_patterns(Z, patterns, lam, n_pen, free, norm, gated, threshold, packed=False, warm=None):
    """Upper bounds (P, 2) on each pattern's dual value for ``±λ``.

    The products ``Zᵀ(m_p ⊙ λ)`` by :func:`masked_products` (BLAS; a
    pattern's value does not depend on which others are priced with it); the
    ReLU bounds from them by the pricing kernel. ``packed``: the patterns are
    bits (``np.packbits(masks, axis=1)``; the ReLU bounds unpack them).
    ``warm``: the NNLS passive sets of the previous pricing (see :func:`_price`;
    the values do not depend on them, only the work).
    """
    P = patterns.shape[0]
    if gated:
        part = masked_products(Z, patterns, lam, packed)[:, :n_pen]
        val = np.abs(part).max(axis=1) if norm == "l1" else np.linalg.norm(part, axis=1)
        return np.column_stack([val, np.zeros(P)])
    if packed:
        patterns = np.unpackbits(patterns, axis=1, count=Z.shape[0]).astype(np.bool_)
    out = np.empty((P, 2))
    price_bounds(Z, patterns, lam, n_pen, free, norm == "l1", threshold, out, warm)
    if norm == "l1":
        # the NNLS multipliers are optimal for ℓ2, not ℓ∞: refine flagged bounds by LP
        for p, s in zip(*np.nonzero(out > threshold), strict=True):
            h = (1.0 if s == 0 else -1.0) * (Z.T @ (patterns[p] * lam))
            out[p, s] = min(out[p, s], lp_bound(Z, patterns[p], h, n_pen, free))
    return out
