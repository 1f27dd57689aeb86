"""Explicit 1-D score matching as a quadratic ℓ1 program over ramps (internal).

Part of :mod:`geolasso.diffusion` (see its overview for the program, the
one-sided derivative atoms and the boundedness threshold): the reduced program
of sorted samples, and its working-set solver with a duality-gap certificate.
"""

from __future__ import annotations

import math

import numpy as np

from ._feature_sign import feature_sign

__all__ = ["RampProgram", "solve_ramps"]


class RampProgram:
    """The reduced explicit score-matching program of sorted 1-D samples (module overview).

    Atoms are (knot, direction) pairs over the distinct samples ``u`` with
    the merged derivative sums; columns with no values on the data (or, with
    the skip, in the span of ``[x, 1]``) are left out (they are bounded by
    ``alpha >= alpha_min``).
    """

    def __init__(self, x, alpha, skip):
        x = np.sort(x)
        n = x.size
        u, first, m = np.unique(x, return_index=True, return_counts=True)
        if u.size < 2:
            raise ValueError(
                f"X needs at least two distinct samples for score matching; got {u.size}"
            )
        self.x, self.n, self.u, self.first, self.m, self.skip = x, n, u, first, m, skip
        K = u.size
        self.xbar = float(x.mean())
        self.xc = x - self.xbar
        self.var = float(self.xc @ self.xc) / n
        if not self.var > 0.0:
            raise ValueError("X has zero variance: score matching needs distinct samples")
        self.h = self.xc / self.var if skip else np.zeros(n)
        self.const = -0.5 / self.var if skip else 0.0
        above = n - (first + m)
        below = first
        if skip:
            knots, dirs = np.arange(1, K - 1), np.ones(max(K - 2, 0), dtype=np.int64)
        else:
            knots = np.concatenate([np.arange(0, K - 1), np.arange(1, K)])
            dirs = np.concatenate([np.ones(K - 1, np.int64), -np.ones(K - 1, np.int64)])
        self.knots, self.dirs = knots, dirs
        half = m[knots] / 2.0
        self.bbar = np.where(dirs > 0, above[knots] + half, -(below[knots] + half))
        self.qbar = (self.bbar - self.correlations(self.h)) / n
        ends = max(m[0], m[-1])
        inner = m[1:-1].max() / 2.0 if K > 2 else 0.0
        self.alpha_min = max(ends, inner) / n
        # with z = 0 optimal when |q̄_j| <= α − m_j/(2n) for every atom (the merged ones
        # and the valueless ones at the ends, whose bound is m/n)
        top = float(np.max(np.abs(self.qbar) + half / n, initial=0.0))
        self.alpha_max = max(self.alpha_min, top)
        self.set_alpha(alpha)

    def set_alpha(self, alpha):
        self.alpha = alpha
        self.weight = alpha - self.m[self.knots] / (2.0 * self.n)

    @property
    def n_atoms(self):
        return self.knots.size

    def correlations(self, r):
        """``φ_jᵀ r`` for every atom, by cumulative sums over the sorted samples."""
        u = self.u
        R = np.add.reduceat(r, self.first)  # per distinct sample
        du = np.diff(u)
        suffix = np.cumsum(R[::-1])[::-1]  # Σ_{g >= k}
        after = suffix[1:]  # Σ_{g > k}, k = 0..K-2
        T = np.zeros(u.size)  # Σ_{x_i > u_k} (x_i − u_k) r_i
        T[:-1] = np.cumsum((du * after)[::-1])[::-1]
        prefix = np.cumsum(R)
        before = prefix[:-1]  # Σ_{g < k}, k = 1..K-1
        B = np.zeros(u.size)  # Σ_{x_i < u_k} (u_k − x_i) r_i
        B[1:] = np.cumsum(du * before)
        return np.where(self.dirs > 0, T[self.knots], B[self.knots])

    def _halfway(self):
        """The score vector ``r₀`` at the samples that puts every merged dual value at 0.

        ``G(t) = Σ_{x_i > t} (x_i − t) r_i`` is piecewise linear with knots at
        the samples; ``G(x_(1)) = −n``, ``G(x_(K)) = 0`` and ``G(x_(k)) =
        −(#{x_i > x_(k)} + m_k/2)`` in between make ``Σ r = 0``, ``Σ x r =
        −n`` and ``φ_jᵀ r₀ + b̄_j = 0`` for every interior atom (``∓m/2`` at
        the end atoms of the program without the skip): the dual point of the
        module overview's proof that ``alpha >= alpha_min`` is bounded.
        """
        n, m, u = self.n, self.m, self.u
        above = n - (self.first + m)
        G = -(above + m / 2.0)
        G[0], G[-1] = -n, 0.0
        S = -(np.diff(G) / np.diff(u))  # Σ_{g > k} R_g on (u_k, u_{k+1})
        S = np.concatenate([[0.0], S, [0.0]])
        R = S[:-1] - S[1:]
        return np.repeat(R / m, m)

    def lower_bound(self, fitted, quad, Qz, z):
        """A certified lower bound on ``J*`` from the iterate (``fitted = M A z``).

        Weak duality in the scores at the samples: for every ``r`` with ``Σ
        r = 0`` (and ``Σ x r = −n`` with the skip) and ``|φ_jᵀ r + b̄_j| <=
        n α_j`` for every atom, ``J* >= −‖r‖² / (2n)``. ``r`` is the
        iterate's score ``θ M A z − h`` with the best ``θ``, mixed with the
        halfway point :meth:`_halfway` as little as makes it feasible.
        ``-inf`` when neither is feasible (``alpha = alpha_min`` and rounding).
        """
        n, weight, qbar = self.n, self.weight, self.qbar
        if not hasattr(self, "_r0"):
            self._r0 = self._halfway()
            self._v0 = (self.correlations(self._r0) + self.bbar) / n
        r0, v0 = self._r0, self._v0
        theta = 0.0
        if z.size and np.any(z):
            lo, hi = -math.inf, math.inf
            pos, neg = Qz > 0.0, Qz < 0.0
            if pos.any():
                lo = max(lo, float(np.max((-weight[pos] - qbar[pos]) / Qz[pos])))
                hi = min(hi, float(np.min((weight[pos] - qbar[pos]) / Qz[pos])))
            if neg.any():
                lo = max(lo, float(np.max((weight[neg] - qbar[neg]) / Qz[neg])))
                hi = min(hi, float(np.min((-weight[neg] - qbar[neg]) / Qz[neg])))
            theta = min(max(0.0, lo), hi) if lo <= hi else max(0.0, 0.5 * (lo + hi))
        ray = theta * Qz + qbar if z.size else qbar
        over = np.abs(ray) > weight
        tau = 0.0
        if over.any():
            if np.any(np.abs(v0[over]) > weight[over]):
                return -math.inf
            a, b = ray[over], v0[over]
            target = np.where(a > 0.0, weight[over], -weight[over])
            tau = float(np.max((a - target) / (a - b)))
            tau = min(1.0, tau * (1.0 + 1e-12) + 1e-15)
            mixed = (1.0 - tau) * ray + tau * v0
            if np.any(np.abs(mixed) > weight):
                return -math.inf
        r = (1.0 - tau) * (theta * fitted - self.h) + tau * r0
        return -float(r @ r) / (2 * n)

    def columns(self, atoms):
        """The atoms' ramps at the samples, projected off the free columns, (n, len(atoms))."""
        t = self.u[self.knots[atoms]]
        s = self.dirs[atoms]
        Phi = np.maximum(s[None, :] * (self.x[:, None] - t[None, :]), 0.0)
        return self.detrend(Phi)

    def detrend(self, values):
        out = values - values.mean(axis=0)
        if self.skip:
            coef = (self.xc @ out) / (self.xc @ self.xc)
            out = out - np.multiply.outer(self.xc, coef)
        return out


def solve_ramps(program, tol, max_iter, ws_size=32):
    """Working sets with exact restricted solves; the certified duality gap.

    Returns ``z`` (all atoms), ``J`` at ``z`` and the dual lower bound on the
    infimum ``J*`` (both in the program's units, ``-inf`` when no feasible
    dual point was found), the rounds and the relative gap.
    """
    n, p = program.n, program.n_atoms
    z = np.zeros(p)
    scale = 0.5 / program.var
    weight = program.weight
    qbar = program.qbar
    empty = np.zeros(0)
    if p == 0 or np.max(np.abs(qbar) - weight) <= 0.0:
        # z = 0 is optimal: the score -h is dual feasible and attains J
        value = program.const
        lower = program.lower_bound(np.zeros(n), 0.0, empty, empty)
        return z, value, lower, 0, (value - lower) / max(abs(value), scale)
    safe = np.maximum(weight, program.alpha * 1e-12)  # α_j = 0 only at alpha_min exactly
    violation = np.abs(qbar) - weight
    work = np.argsort(-violation)[: min(ws_size, int(np.count_nonzero(violation > 0.0)))]
    work = np.sort(work)
    rounds = 0
    value, lower, rel = math.inf, -math.inf, math.inf
    while rounds < max_iter:
        rounds += 1
        cols = program.columns(work)
        c = program.alpha / safe[work]
        G = (cols.T @ cols) * np.multiply.outer(c, c) / n
        y = z[work] / c
        feature_sign(G, -c * qbar[work], program.alpha, y, 1e-12, 50 * work.size + 200)
        z[:] = 0.0
        z[work] = y * c
        fitted = cols @ z[work]  # M A z at the samples
        quad = float(fitted @ fitted) / n
        value = 0.5 * quad + float(qbar @ z) + float(weight @ np.abs(z)) + program.const
        Qz = program.correlations(fitted) / n  # (M φ_j)ᵀ M A z / n = φ_jᵀ M A z / n
        lower = program.lower_bound(fitted, quad, Qz, z)
        rel = (value - lower) / max(abs(value), scale)
        if rel <= tol:
            break
        grad = np.abs(Qz + qbar) - weight
        grad[work] = -np.inf
        fresh = np.flatnonzero(grad > 0.0)
        if fresh.size == 0:
            break  # the restricted solves are rounding-limited: report the gap reached
        size = max(ws_size, 2 * int(np.count_nonzero(z)))
        fresh = fresh[np.argsort(-grad[fresh])[:size]]
        work = np.union1d(work, fresh)
    return z, value, lower, rounds, rel
