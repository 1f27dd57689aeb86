"""The lifted features of attention and the nuclear-norm program's solver (internal).

Part of :mod:`geolasso.attention` (see its overview for the mathematics): the
features ``Φ`` of the lifted variable, the program
``(1/(2n))‖Y_c − Φ_c Z‖² + α Σ_k ‖Z_k‖_*`` and its solver (FISTA warm-up, ADMM
with an exact linear solve, a Newton polish of the heads on small problems),
and the duality-gap certificate of any lifted variable.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from ._dual import dual_ratio, ray_bound
from ._validation import as_float_array, check_positive
from .memory import DEFAULT_MEMORY_LIMIT, check_memory

__all__ = ["AttentionCertificate", "duality_gap", "lifted_features"]

#: Iterations between two duality-gap checks.
CHECK_EVERY = 10
#: FISTA steps before the ADMM finish.
FISTA_WARMUP = 20
#: ADMM's starting penalty, in units of ``L α / α_max``.
RHO_START = 0.1
#: ADMM rebalances ``ρ`` (by a factor 2) when one relative residual exceeds the other this much.
RHO_BALANCE = 10.0
#: Relative safety margin of the dual scaling ``τ <= α / (max_k ‖G_k‖₂ (1 + margin))``.
DUAL_MARGIN = 1e-10
#: Stop, stalled, when the gap has not fallen by 10% over this many checks (rounding limits it).
STALL_CHECKS = 100
#: ADMM iteration of the first Newton polish (then at twice the iteration of the previous one).
POLISH_FIRST = 50
#: Newton polishing only with at most this many head parameters Σ_k r_k (d² + d c) ...
POLISH_MAX_VARIABLES = 800
#: ... and a Jacobian (n c rows), and full features (n rows), of at most this many entries.
POLISH_MAX_JACOBIAN = 4_000_000
#: Newton steps per polish.
POLISH_STEPS = 30


# ------------------------------------------------------------------ features
def token_masks(X, gates):
    """The gates' masks ``1[x_aᵀ G_k x_b >= 0]``, shape (K, n, t, t) (bool)."""
    XT = X.transpose(0, 2, 1)
    return np.stack([(X @ G) @ XT >= 0.0 for G in gates])


def pairs(d):
    """The symmetric reduction of the lifted index ``(p, q, e)`` (internal).

    ``A[p, q, e]`` is symmetric in ``(q, e)``, so ``Φ = Φ̃ T̃`` with reduced features
    ``Φ̃`` over ``q <= e`` (scaled by ``√2`` when ``q < e``) and ``T̃`` with orthonormal
    rows: ``(T̃ Z₃)[p, (q, e)] = (Z₃[p, q, e] + Z₃[p, e, q]) / √2`` (``Z₃[p, q, q]``
    when ``q = e``). Returns ``(q, e, weight)`` over the ``d (d + 1) / 2`` pairs.
    """
    q, e = np.triu_indices(d)
    return q, e, np.where(q == e, 1.0, math.sqrt(2.0))


def features(X, gates, *, reduced=False):
    """Lifted features of validated tokens: (n, K·d³), ``None`` gates meaning linear.

    With ``reduced``, the features ``Φ̃`` (n, K·d·d(d+1)/2) of :func:`pairs`.
    """
    n, t, d = X.shape
    XX = X[:, :, :, None] * X[:, :, None, :]  # x_b[q] x_b[e]
    if reduced:
        q, e, weight = pairs(d)
        XX = XX[:, :, q, e] * weight
    else:
        XX = XX.reshape(n, t, d * d)
    width = d * XX.shape[2]
    if gates is None:
        s = X.sum(axis=1)  # (n, d): Σ_a x_a
        # linear attention: Ut[p, b] = Σ_a x_a[p] for every b, so A = s ⊗ Σ_b XX[b]
        return (s[:, :, None] * XX.sum(axis=1)[:, None, :]).reshape(n, width) / t
    out = np.empty((n, len(gates) * width))
    for k, M in enumerate(token_masks(X, gates)):
        Ut = X.transpose(0, 2, 1) @ M.astype(np.float64)  # (n, d, t): Σ_a M[a, b] x_a[p]
        out[:, k * width : (k + 1) * width] = (Ut @ XX).reshape(n, width) / t
    return out


def as_tokens(X, name="X"):
    X = as_float_array(X, name, shape_doc="(n_samples, n_tokens, token_dim)")
    if X.ndim != 3:
        raise ValueError(
            f"{name} must be 3-D, (n_samples, n_tokens, token_dim); got shape {X.shape}"
        )
    return X


def as_gates(gates, d):
    if gates is None:
        return None
    gates = as_float_array(gates, "gates", shape_doc=f"(n_gates, {d}, {d})")
    if gates.ndim != 3 or gates.shape[1:] != (d, d) or gates.shape[0] == 0:
        raise ValueError(
            f"gates must have shape (n_gates, {d}, {d}) with n_gates >= 1 (the tokens have "
            f"dimension {d}); got shape {gates.shape}"
        )
    return gates


def lifted_features(X, gates=None, *, memory_limit=DEFAULT_MEMORY_LIMIT):
    """The lifted features ``Φ`` of token arrays: attention outputs are linear in them.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_tokens, token_dim)
        Examples, each ``t`` tokens of dimension ``d``.
    gates : array_like of shape (n_gates, d, d), optional
        Gate matrices ``G_k``: features of the gated block, one ``d³``-block
        per gate (``G = 0`` is the all-ones mask). None: linear attention.
    memory_limit : float, default=2 GiB
        Budget in bytes for the result.

    Returns
    -------
    ndarray of float64, shape (n_samples, n_gates · d³)
        ``Φ[i, k·d³ + p·d² + q·d + e] = (1/t) Σ_{a,b} M_{ik}[a,b] X_i[a,p]
        X_i[b,q] X_i[b,e]``: the pooled block output is ``Φ Z₃`` with ``Z₃``
        the lifted variable reshaped to ``(n_gates · d³, c)``.

    Raises
    ------
    MemoryLimitError
        When the result would exceed ``memory_limit``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(12.0).reshape(2, 3, 2)
    >>> lifted_features(X).shape
    (2, 8)
    """
    X = as_tokens(X)
    n, _, d = X.shape
    gates = as_gates(gates, d)
    K = 1 if gates is None else len(gates)
    check_memory(
        8.0 * n * K * d**3,
        memory_limit,
        what=f"the lifted features of {n} examples ({K} block(s) of {d}³ columns)",
        remedy="pass fewer examples or gates, or raise memory_limit",
    )
    return features(X, gates)


# ------------------------------------------------------------------ the program
class Program:
    """The centred program ``min (1/2n)‖Y_c − Φ_c Z₃‖² + α Σ_k ‖Z_k‖_*`` (internal).

    Works with the reduced features ``Φ̃`` of :func:`pairs` (centred, (n, p̃)), so that
    ``Φ_c Z₃ = Φ̃ (T̃ Z₃)`` and ``Φ_cᵀ R = T̃ᵀ (Φ̃ᵀ R)``: the passes over the features,
    which bound the cost, read ``d (d + 1) / 2`` instead of ``d²`` columns per ``p``.
    Holds ``Y_c`` (n, c), ``B = Φ_cᵀ Y_c / n`` (p, c) and the block shape
    ``(K, m1, m2) = (K, d², d·c)``; ``factor()`` adds the eigendecomposition used for
    ``L`` and ADMM's exact solves.
    """

    def __init__(self, X, gates, Y):
        n, _, d = X.shape
        K = 1 if gates is None else len(gates)
        Phi = features(X, gates, reduced=True)
        self.n, self.K, self.m1, self.m2, self.c, self.d = (
            n,
            K,
            d * d,
            d * Y.shape[1],
            Y.shape[1],
            d,
        )
        self.phi_mean = Phi.mean(axis=0)
        Phi -= self.phi_mean
        self.Phi = Phi
        q, e, weight = pairs(d)
        base = (np.arange(K * d)[:, None] * d * d).ravel()[:, None]  # (k, p) -> k d³ + p d²
        self._a = (base + q * d + e).ravel()  # Z₃ rows (k, p, q, e), q <= e
        self._b = (base + e * d + q).ravel()  # their mirrors (k, p, e, q)
        self._w = np.tile(1.0 / weight, K * d)  # 1 on the diagonal, 1/√2 off it
        self._off = np.flatnonzero(self._a != self._b)
        self.p = K * d**3
        self.y_mean = Y.mean(axis=0)
        self.Yc = Y - self.y_mean
        self.B = self.up(Phi.T @ self.Yc) / n

    def down(self, Z3):
        """``T̃ Z₃``: (p, c) to (p̃, c)."""
        out = Z3[self._a] * self._w[:, None]
        out[self._off] += Z3[self._b[self._off]] * self._w[self._off, None]
        return out

    def up(self, V):
        """``T̃ᵀ V``: (p̃, c) to (p, c)."""
        out = np.empty((self.p, V.shape[1]))
        out[self._a] = V * self._w[:, None]
        out[self._b[self._off]] = V[self._off] * self._w[self._off, None]
        return out

    def full_features(self):
        """The centred ``Φ_c`` (n, p), for small problems."""
        return self.up(self.Phi.T).T

    def blocks(self, Z3):
        return Z3.reshape(self.K, self.m1, self.m2)

    def factor(self):
        n, pr = self.Phi.shape
        if pr <= n:
            self.H = self.Phi.T @ self.Phi / n
            lam, self.Q = np.linalg.eigh(self.H)
            self.lam = np.maximum(lam, 0.0)
        else:  # the n × n Gram matrix, and Woodbury's identity for the solves
            mu, Ug = np.linalg.eigh(self.Phi @ self.Phi.T / n)
            self.mu = np.maximum(mu, 0.0)
            self.PU = self.Phi.T @ Ug  # (p̃, n): one pass per side of each solve
            self.H = None
        self.L = float((self.lam if self.H is not None else self.mu).max(initial=0.0))

    def _hmul(self, V):
        if self.H is not None:
            return self.H @ V
        return self.Phi.T @ (self.Phi @ V) / self.n

    def hmul(self, Z3):
        """``H Z₃ = Φ_cᵀ Φ_c Z₃ / n``."""
        return self.up(self._hmul(self.down(Z3)))

    def solve(self, R, rho):
        """``(H + ρI)^{-1} R``: exact on the range of ``T̃ᵀ``, ``1/ρ`` on its complement."""
        V = self.down(R)
        if self.H is not None:
            S = self.Q @ ((self.Q.T @ V) / (self.lam + rho)[:, None])
        else:  # (Φ̃ᵀΦ̃/n + ρI)^{-1} = (I − Φ̃ᵀ(nρI + Φ̃Φ̃ᵀ)^{-1}Φ̃) / ρ, Φ̃Φ̃ᵀ = n Ug μ Ugᵀ
            S = (V - self.PU @ ((self.PU.T @ V) / (self.n * (self.mu + rho))[:, None])) / rho
        return (R - self.up(V)) / rho + self.up(S)

    def svt(self, Z3, tau):
        """Singular-value thresholding of each block: ``(Z₃, (U, s, Vt))``."""
        U, s, Vt = np.linalg.svd(self.blocks(Z3), full_matrices=False)
        s = np.maximum(s - tau, 0.0)
        return ((U * s[:, None, :]) @ Vt).reshape(Z3.shape), (U, s, Vt)

    def residual(self, Z3):
        return self.Yc - self.Phi @ self.down(Z3)

    def intercept(self, Z3):
        """``b = Ȳ − Φ̄ Z₃``."""
        return self.y_mean - self.phi_mean @ self.down(Z3)

    def primal(self, R, nuclear, alpha):
        """``P`` at the residual ``R`` and nuclear norm ``nuclear``."""
        return float(np.sum(R * R)) / (2 * self.n) + alpha * nuclear

    def dual(self, R, alpha):
        """``(D, Λ, max_k ‖G_k‖₂)``: the best dual point ``Λ = τ R`` on the ray of ``R``."""
        G = self.blocks(self.up(self.Phi.T @ R) / self.n)
        norms = np.linalg.svd(G, compute_uv=False)[:, :1] if G.size else np.zeros((self.K, 1))
        # the margin covers the rounding of the spectral norms (measured: 3e-13 relative on
        # the digits), so Λ is feasible for an independent recomputation too
        top = dual_ratio(norms, alpha) * (1.0 + DUAL_MARGIN)
        y_t, r = self.Yc.ravel(), R.ravel()
        # ray_bound averages over its vector's n·c entries; the objective divides by n
        lower = ray_bound(y_t, r, top) * self.c
        rr = float(r @ r)
        tau = 0.0 if rr == 0.0 else float(y_t @ r) / rr
        tau = min(max(tau, 0.0), 1.0 / max(1.0, top))
        return lower, tau * R, float(np.max(norms, initial=0.0))


class Solution(NamedTuple):
    Z3: np.ndarray
    factors: tuple
    objective: float
    lower_bound: float
    dual: np.ndarray
    n_iter: int
    alpha_max: float
    stalled: bool


def relative(gap, primal):
    if not (math.isfinite(gap) and math.isfinite(primal)):
        return math.inf
    if primal > 0:
        return max(gap, 0.0) / primal
    return 0.0 if gap <= 0 else math.inf


class Monitor:
    """The duality-gap checks of :func:`solve`.

    Keeps the checked point of lowest objective (returned by the solver), the best
    lower bound met with its dual point, and the history of relative gaps.
    """

    def __init__(self, prog, alpha, verbose, name):
        self.prog, self.alpha, self.verbose, self.name = prog, alpha, verbose, name
        self.lower, self.dual = -math.inf, np.zeros_like(prog.Yc)
        self.primal, self.point, self.rel = math.inf, None, math.inf
        self.history = []

    def __call__(self, it, Z3, factors, phase, smooth=None):
        """The gap at ``Z3`` (a thresholding output or a polished point). With ADMM the
        residual at its smooth iterate ``smooth`` is tried as a dual direction too: its
        correlations ``B − H Z`` equal the scaled dual variable (spectral norm ``<= α``) up
        to the dual residual, while those of ``Z3``'s residual also carry ``H (Z − Z3)``."""
        prog, alpha = self.prog, self.alpha
        R = prog.residual(Z3)
        primal = prog.primal(R, float(factors[1].sum()), alpha)
        if self.point is None or primal < self.primal:
            self.primal, self.point = primal, (Z3, factors)
        for direction in (R,) if smooth is None else (R, prog.residual(smooth)):
            lower, dual, _ = prog.dual(direction, alpha)
            if lower > self.lower:
                self.lower, self.dual = lower, dual
        self.rel = relative(self.primal - self.lower, self.primal)
        self.history.append(self.rel)
        if self.verbose:
            print(
                f"[{self.name}] {phase} iteration {it:5d}: objective {primal:.10g}, "
                f"relative gap {self.rel:.3e}, rank {int(np.count_nonzero(factors[1]))}"
            )
        return self.rel

    def stalled(self):
        """No 10% progress of the gap over the last ``STALL_CHECKS`` checks."""
        h = self.history
        return len(h) > STALL_CHECKS and not h[-1] < 0.9 * h[-1 - STALL_CHECKS]


def polish(prog, factors, alpha):
    """Newton's method on the heads of the current rank (the Burer-Monteiro form).

    With ``Z_k = A_k B_kᵀ`` (``r_k`` columns each, the current ranks) minimises
    ``F = (1/2n)‖Y_c − Φ_c Z₃‖² + (α/2) Σ_k (‖A_k‖² + ‖B_k‖²)`` by Newton steps with the
    exact Hessian (``JᵀJ/n + αI`` plus the cross terms ``−G_k ⊗ I`` between ``A_k`` and
    ``B_k``, ``G_k`` the residual's correlations; eigenvalues taken in absolute value,
    the rotation-invariant directions dropped) and a backtracking line search. It
    converges quadratically where ADMM's linear rate suffers from ill-conditioned
    features; its result is only kept when the certificate says it is better.

    Returns the polished ``(Z₃, factors)``, or None when the heads are too many
    (``POLISH_MAX_VARIABLES``) or nothing moved.
    """
    n, c, K, m1, m2 = prog.n, prog.c, prog.K, prog.m1, prog.m2
    d = m2 // c
    U, s, Vt = factors
    ranks = np.count_nonzero(s > 0, axis=1)
    N = int(ranks.sum()) * (m1 + m2)
    too_large = max(n * c * N, n * prog.p) > POLISH_MAX_JACOBIAN  # Jacobian, full features
    if N == 0 or N > POLISH_MAX_VARIABLES or too_large:
        return None
    Phi = prog.full_features()
    F = [Phi[:, k * m1 * d : (k + 1) * m1 * d].reshape(n, m1, d) for k in range(K)]
    sizes = [(r * m1, r * m2) for r in ranks]

    def unpack(x):
        out, at = [], 0
        for (na, nb), r in zip(sizes, ranks, strict=True):
            out.append((x[at : at + na].reshape(m1, r), x[at + na : at + na + nb].reshape(m2, r)))
            at += na + nb
        return out

    def lifted(parts):
        return np.concatenate([(A @ B.T).reshape(m1 * d, c) for A, B in parts])

    def value(x):
        R = prog.residual(lifted(unpack(x)))
        return float(np.sum(R * R)) / (2 * n) + alpha / 2 * float(x @ x), R

    x = np.concatenate(
        [
            np.concatenate(
                [
                    (U[k, :, :r] * np.sqrt(s[k, :r])).ravel(),
                    (Vt[k, :r].T * np.sqrt(s[k, :r])).ravel(),
                ]
            )
            for k, r in enumerate(ranks)
        ]
    )
    f, R = value(x)
    for _ in range(POLISH_STEPS):
        G = prog.blocks(Phi.T @ R / n)
        J = np.empty((n * c, N))
        cross = np.zeros((N, N))
        at = 0
        for k, (A, B) in enumerate(unpack(x)):
            r = A.shape[1]
            na, nb = sizes[k]
            JA = np.einsum("ipe,ekj->ikpj", F[k], B.reshape(d, c, r))
            JB = np.zeros((n, c, d, c, r))
            t = np.einsum("ipe,pj->iej", F[k], A)
            for j in range(c):
                JB[:, j, :, j, :] = t
            J[:, at : at + na] = JA.reshape(n * c, na)
            J[:, at + na : at + na + nb] = JB.reshape(n * c, nb)
            block = -np.kron(G[k], np.eye(r))
            cross[at : at + na, at + na : at + na + nb] = block
            cross[at + na : at + na + nb, at : at + na] = block.T
            at += na + nb
        grad = -J.T @ R.ravel() / n + alpha * x
        hess = J.T @ J / n + cross
        hess[np.diag_indices(N)] += alpha
        lam, Q = np.linalg.eigh(hess)
        keep = np.abs(lam) > 1e-13 * np.abs(lam).max()
        step = -Q[:, keep] @ ((Q[:, keep].T @ grad) / np.abs(lam[keep]))
        slope = float(grad @ step)
        if not slope < 0:
            break
        t = 1.0
        while t > 1e-10:
            f_new, R_new = value(x + t * step)
            if f_new <= f + 1e-4 * t * slope:
                break
            t /= 2
        else:
            break
        improvement = f - f_new
        x, f, R = x + t * step, f_new, R_new
        if improvement <= 1e-16 * abs(f):
            break
    # the exact rank-r factors of each A_k B_kᵀ: QR of both sides, SVD of the r × r core
    out_U = np.zeros_like(U)
    out_s = np.zeros_like(s)
    out_Vt = np.zeros_like(Vt)
    for k, (A, B) in enumerate(unpack(x)):
        r = A.shape[1]
        if r == 0:
            continue
        Qa, Ra = np.linalg.qr(A)
        Qb, Rb = np.linalg.qr(B)
        u, sig, vt = np.linalg.svd(Ra @ Rb.T)
        out_U[k, :, :r], out_s[k, :r], out_Vt[k, :r] = Qa @ u, sig, (Qb @ vt.T).T
    Z3 = ((out_U * out_s[:, None, :]) @ out_Vt).reshape(K * m1 * d, c)
    return Z3, (out_U, out_s, out_Vt)


def solve(prog, alpha, tol, max_iter, verbose, name):
    """FISTA warm-up, then ADMM with Newton polishing, stopping on the certified gap.

    Returns a :class:`Solution`: the checked point of lowest objective (a thresholding
    output or a polished point, ``Z₃`` (p, c) with its block factors), its objective, the
    best lower bound met and its dual point.
    """
    p, c = prog.p, prog.c
    alpha_max = float(np.max(np.linalg.norm(prog.blocks(prog.B), ord=2, axis=(1, 2))))
    prog.factor()
    L = prog.L
    check = Monitor(prog, alpha, verbose, name)
    Z = np.zeros((p, c))
    factors = prog.svt(Z, 0.0)[1]
    it, stalled, checked = 0, False, False
    if L > 0:  # FISTA with gradient-based adaptive restart, step 1/L
        Yk, tk = Z, 1.0
        while it < min(max_iter, FISTA_WARMUP):
            it += 1
            Znew, fnew = prog.svt(Yk - (prog.hmul(Yk) - prog.B) / L, alpha / L)
            if np.sum((Yk - Znew) * (Znew - Z)) > 0:
                Yk, tk = Znew, 1.0
            else:
                tn = (1.0 + math.sqrt(1.0 + 4.0 * tk * tk)) / 2.0
                Yk, tk = Znew + ((tk - 1.0) / tn) * (Znew - Z), tn
            Z, factors = Znew, fnew
            checked = it == 1 or it % CHECK_EVERY == 0
            if checked and check(it, Z, factors, "fista") <= tol:
                break
    if check.rel > tol and it < max_iter and L > 0 and alpha_max > 0:
        # ADMM on Z₃ = W with exact Z₃-steps; ρ balanced on the relative residuals
        rho = min(max(RHO_START * L * alpha / alpha_max, 1e-14 * L), 1e6 * L)
        W = Z
        U = -(prog.hmul(W) - prog.B) / rho  # the scaled dual of Z's own gradient
        next_polish = POLISH_FIRST
        while it < max_iter:
            it += 1
            Zs = prog.solve(prog.B + rho * (W - U), rho)
            W_old = W
            W, factors = prog.svt(Zs + U, alpha / rho)
            U += Zs - W
            checked = it % CHECK_EVERY == 0 or it == max_iter
            if not checked:
                continue
            if check(it, W, factors, "admm", smooth=Zs) <= tol:
                break
            if it >= next_polish:
                next_polish *= 2
                polished = polish(prog, factors, alpha)
                if polished is not None and check(it, *polished, "newton") <= tol:
                    break
            if check.stalled():
                stalled = True
                break
            tiny = np.finfo(np.float64).tiny
            r_p = np.linalg.norm(Zs - W) / max(np.linalg.norm(Zs), np.linalg.norm(W), tiny)
            r_d = np.linalg.norm(W - W_old) / max(np.linalg.norm(U), tiny)
            if r_p > RHO_BALANCE * r_d and rho < 1e6 * L:
                rho, U = 2.0 * rho, U / 2.0
            elif r_d > RHO_BALANCE * r_p and rho > 1e-14 * L:
                rho, U = rho / 2.0, 2.0 * U
        Z = W
    if not checked:
        check(max(it, 1), Z, factors, "final")
    Z, factors = check.point
    return Solution(
        Z, factors, check.primal, check.lower, check.dual, max(it, 1), alpha_max, stalled
    )


# ------------------------------------------------------------------ certificates
class AttentionCertificate(NamedTuple):
    """A duality-gap certificate of a lifted attention variable (:func:`duality_gap`).

    Attributes
    ----------
    objective : float
        ``P(Z)``: the convex objective at ``Z`` with the best intercept; an
        upper bound on the optimum.
    lower_bound : float
        ``D(Λ) <= P*``.
    gap : float
        ``max(objective − lower_bound, 0)``.
    relative_gap : float
        ``gap / objective`` (0 when both vanish, ``inf`` when not a number).
    dual_coef : ndarray, shape (n_samples, n_outputs)
        The dual point ``Λ``, column-centred.
    dual_norm : float
        ``max_k ‖mat_k(Φᵀ R) / n‖₂`` at the residual ``R``; ``Λ = τ R`` with
        ``τ dual_norm <= alpha``.
    """

    objective: float
    lower_bound: float
    gap: float
    relative_gap: float
    dual_coef: np.ndarray
    dual_norm: float


def duality_gap(X, y, lifted, alpha, *, gates=None):
    """Certify a lifted variable: its objective, a dual lower bound and the gap.

    The lower bound holds for the optimum of the convex program (module
    docstring), hence for every attention block of the same kind, whatever
    its width.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_tokens, token_dim)
        Examples.
    y : array_like, shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    lifted : array_like, shape (n_gates, d², d·c) or (d², d·c)
        The lifted variable ``Z`` (one block per gate), e.g. ``lifted_``.
    alpha : float
        Penalty, ``> 0``.
    gates : array_like of shape (n_gates, d, d), optional
        The gates of the gated block; None for linear attention.

    Returns
    -------
    AttentionCertificate

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 2, 2)), rng.normal(size=20)
    >>> cert = duality_gap(X, y, np.zeros((4, 2)), 0.1)
    >>> bool(np.isclose(cert.objective, np.var(y) / 2)), cert.lower_bound <= cert.objective
    (True, True)
    """
    X = as_tokens(X)
    n, _, d = X.shape
    Y = as_float_array(y, "y", min_ndim=1)
    Y = Y.reshape(n, -1) if Y.ndim == 1 and Y.shape[0] == n else Y
    if Y.ndim != 2 or Y.shape[0] != n:
        raise ValueError(f"y must have shape ({n},) or ({n}, n_outputs); got {np.shape(y)}")
    c = Y.shape[1]
    alpha = check_positive(alpha, "alpha")
    gates = as_gates(gates, d)
    K = 1 if gates is None else len(gates)
    Z = as_float_array(lifted, "lifted")
    if Z.size != K * d**3 * c:
        raise ValueError(
            f"lifted must hold {K} block(s) of shape ({d * d}, {d * c}); got shape {Z.shape}"
        )
    prog = Program(X, gates, Y)
    Z3 = Z.reshape(K * d**3, c)
    nuclear = float(np.linalg.svd(prog.blocks(Z3), compute_uv=False).sum())
    R = prog.residual(Z3)
    primal = prog.primal(R, nuclear, alpha)
    lower, dual, norm = prog.dual(R, alpha)
    gap = max(primal - lower, 0.0)
    return AttentionCertificate(primal, lower, gap, relative(gap, primal), dual, norm)


@functools.cache
def blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()
