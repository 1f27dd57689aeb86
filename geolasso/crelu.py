"""The convex program of a two-layer ReLU network over activation patterns (C-ReLU, C-GReLU).

Overview
--------
For activation patterns ``D_1, …, D_P`` of the data (:mod:`geolasso.arrangements`)
the weight-decay training problem of a two-layer ReLU network is the group
Lasso with cone constraints of SPEC §2.2, in geolasso's scaling (SPEC §0.1):

.. math::

    \\min_{c, v_i, u_i} \\frac{1}{2n} \\Bigl\\lVert y - c\\,1 - \\sum_i D_i Z (v_i - u_i)
    \\Bigr\\rVert^2 + \\alpha \\sum_i \\bigl(\\lVert v_i^{(w)} \\rVert + \\lVert u_i^{(w)}
    \\rVert\\bigr) \\quad \\text{s.t. } (2 D_i - I) Z v_i \\ge 0,\\ (2 D_i - I) Z u_i \\ge 0,

with ``Z = [X, 1]`` (free bias and intercept, only the weights ``v^{(w)}`` in
the norm), ``Z = [X, 1]`` with the whole vector in the norm and no intercept
(``bias="regularized"``) or ``Z = X`` (``bias=False``). The norm is ℓ2
(standard weight decay) or ℓ1 (ℓ1 first-layer norm). Over **all** patterns its
optimum equals the network optimum (SPEC §2.2, [PE20]); over sampled patterns
it is an upper bound. The gated-ReLU relaxation (SPEC §2.4) drops the cone
constraints and merges ``v_i - u_i``.

**Solver** (:func:`solve_crelu`). An optimum uses at most ``n + 1`` of the
``2P`` variables, so the solver works on a small *working set* of
(pattern, sign) groups and grows it by *pricing*:

1. the dual constraint of SPEC §2.3 is evaluated for every pattern at the
   current residual ``λ``: ``max ±λᵀ D_i Z u`` over the pattern's cone and the
   unit ball of the norm, one small non-negative least-squares problem per
   pattern (``geolasso._arrangement_kernels``; an LP per flagged pattern for
   the ℓ1 norm), which returns an *upper bound* on each value (exact at the
   NNLS optimum);
2. the groups that violate it (value above ``n α``) enter the working set;
3. the restricted problem (a few hundred variables) is solved, warm-started
   from the previous round:

   * for the ℓ2 norm (and the gated model with either norm) by **proximal
     block coordinate descent**: for a cone ``K`` the proximal map of
     ``α‖·‖₂ + ι_K`` is the projection onto ``K`` (a small NNLS problem)
     followed by the ℓ2 shrinkage, so every block step is exact and the
     iterates stay feasible. With a free bias (the default of
     :class:`geolasso.ConvexReLU`) the bias is not in the norm and the
     proximal map is a weighted projection at the fixed point of a scalar
     equation, found by a safeguarded false-position search; the intercept
     is minimised out after every step. Each projection starts from the
     group's previous active constraints. Anderson extrapolation every ten
     passes (projected back onto the cones), and an **active-set Newton
     method** on the support and its cone faces (a step that reaches new
     face constraints stops each group at its own first one, and those join
     the faces; all of them at once when they stop the step at its start;
     one with a negative multiplier released, a group the
     step sends through zero removed, a zero group that violates its dual
     constraint let in; Levenberg–Marquardt damping, as the Hessian is
     singular when the faces have more variables than there are samples;
     large systems solved directly through two Woodbury identities, the
     ``n × n`` capacitance of the groups without an active face (every
     gated group) a Hadamard product ``Z Zᵀ ∘ (Mᵀ diag(1/a) M)``; not tried
     when a system would need more than 1 GiB (then coordinate descent goes
     on alone, which with cones can stall: the reported gap says so); in the
     last, accurate solves, steps whose decrease is below the rounding of the
     objective are judged by the gradient and the result by its duality gap)
     once the support has settled, or every 200 passes, give the fast final
     convergence;
   * with the ℓ1 norm on ReLU groups by a primal log-barrier method (Newton
     steps with an epigraph variable per group, the step kept inside every
     cone by a fraction-to-boundary rule);

   the restricted solve stops on its own duality gap: a tenth of the current
   gap while the working set grows (inexact rounds), ``tol / 10`` relative in
   the first round that adds no group, and a hundred times less in each
   further one (the barrier method: ``1e-3 · tol`` relative throughout);
   a starting point (``start``, e.g. :func:`start_from_network` of the
   wedge-ℓ2 fit, as :class:`geolasso.ConvexReLU` does when the patterns are
   enumerated) makes the first working set that network's neurons;
4. the loop stops when the **duality gap** is below ``tol`` relative to the
   objective (the lower bound is the dual value at the scaled residual
   ``t λ``, feasible because every pattern's value was bounded in step 1),
   or when the gap has not improved for eight rounds, or (below the designed
   range ``alpha >= 1e-6 · alpha_max``) after a bounded amount of work (see
   ``alpha`` in :func:`solve_crelu`); a
   :class:`~geolasso.exceptions.ConvergenceWarning` says so when the gap is
   then above ``max(tol, 1e-6)``. The gap is always a number: were a dual
   value not one, no scaling of ``λ`` would be known to be feasible and the
   lower bound would be the trivial ``0`` (gap = objective, with the warning).

The dense linear algebra runs on one BLAS thread (threadpoolctl): its
matrices are small, and threaded BLAS on them stalls on a busy machine.

**Limits (measured, see ``benchmarks/results/arrangement.md``).** On the
benchmark's sampled problems (bias regularized, 200 gates, up to 160 samples,
up to 30 features, three penalties each) it reaches the optimum over the
patterns faster than pyscnn reaches its less accurate (for C-ReLU,
infeasible) answers on all 12 problems for each model (at least 3.4x for
C-ReLU and 2.4x for C-GReLU). An interior-point solver (Clarabel through
cvxpy) is faster for C-ReLU at ``α_max/1000`` on two of the four data sets
(the 2-D spiral and diabetes) and for C-GReLU on the spiral at
``α_max/100`` and ``α_max/1000`` and on iris at ``α_max/1000``. The
enumerated 2-D spiral (n = 160, 24,289 patterns) with free biases at
``α = 7.8125e-4`` or ``7.81e-4``, started from the wedge-ℓ2 fit, is solved
and certified (relative gap about 2e-13) in about four seconds through
:class:`geolasso.ConvexReLU`, enumeration and start included. The first
solve in a fresh install compiles the kernels (about 15 s on the
benchmark machine, then cached). Sampled C-ReLU problems of teacher-network
labels on Gaussian samples (bias regularized, 100 sampled patterns, 10
features, 2-core machine, one thread, certified to ``tol = 1e-8``): 500
samples in about 13 s at ``α = 1e-4`` (``α_max / 6,900``) and 3 s at
``α_max / 1000``; 1,000 samples in about 13 s and 6 s.

**Pooled rows** (``pooling=(K, weight)``; :class:`geolasso.cnn.ConvexCNN`
with ``method="arrangement"``): the rows of ``X`` are the stacked patches of
a convolutional network, ``K`` per sample, a sample's feature is the
weighted sum of its rows' ReLU values, and the patterns (shared gates) are
over the rows (SPEC §6). Pricing uses the residual spread over each
sample's rows, the block steps and the Newton finish use each group's pooled
block, and the cone constraints stay on the rows.

The solution is then made exactly feasible (each group projected onto its
cone, a change at the level of the augmented Lagrangian's constraint
violation) and mapped to a :class:`~geolasso.network.ReLUNetwork`
(SPEC §2.2 recovery): ``(w, b) = v_i / √‖v_i^{(w)}‖`` with output weight
``±√‖v_i^{(w)}‖``, so the network objective *is* the convex objective of the
returned point, and the reported gap bounds its distance to the optimum over
the given patterns (to the global optimum when the patterns were enumerated).
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from ._arrangement_kernels import (
    _bcd_epochs,
    _face_multipliers,
    _fixed_bound,
    _nnls_cone,
    _price_groups,
    _step_ratios,
)
from ._validation import refuse_complex
from .arrangements import ActivationPatterns
from .certificate import _ray_bound
from .exceptions import ConvergenceWarning
from .network import ReLUNetwork

__all__ = ["CReLUResult", "solve_crelu", "start_from_network", "to_network"]

#: Relative excess of a dual value over ``n α`` below which a group is not added.
_PRICE_RTOL = 1e-9
#: Relative gap above which (and above tol) a stop is reported as not converged.
_WARN_RTOL = 1e-6
#: Rounds without a 10% smaller gap after which the solver stops (early rounds on large
#: pattern sets can plateau for about six rounds before the support is found).
_STALL_ROUNDS = 8
#: The penalties the solver is designed for: alpha >= _DESIGN_RATIO * alpha_max. Measured
#: on the enumerated 40-point spiral (free biases, ℓ2, alpha_max ≈ 0.083): alpha =
#: 1.2e-6 alpha_max certified in 11 rounds (2 s), 1.2e-7 alpha_max took 71 s and
#: 1.2e-11 alpha_max over 110 s (500 rounds of about 0.7 s, the gap above 1e-4).
_DESIGN_RATIO = 1e-6
#: Below that range the work is bounded: at most this many pricing rounds, and at most
#: _SMALL_ALPHA_PASSES block-coordinate passes per restricted solve (instead of
#: _MAX_PASSES); a solve still above its tolerance then stops with a warning.
_SMALL_ALPHA_ROUNDS = 12
_SMALL_ALPHA_PASSES = 500
#: ... and at most this many steps per active-set Newton attempt (instead of 400).
_SMALL_ALPHA_NEWTON = 40
#: Block-coordinate passes between gap checks (and Anderson extrapolations).
_BCD_CHECK = 10
#: Iterates combined by one Anderson extrapolation.
_ANDERSON = 5
#: Gap checks without a 10% smaller restricted gap after which a restricted solve stops.
_BCD_STALL = 50
#: Largest Newton system (variables) of the active-set method solved densely.
_DENSE_NEWTON = 400
#: Largest Newton system with a free bias (solved densely: the low-rank form needs every
#: coordinate penalised).
_FREE_NEWTON = 2000
#: Working memory (bytes) above which the active-set Newton finish is not tried (see
#: :func:`_newton_bytes`): its face columns are a dense ``n × K`` block.
_NEWTON_BYTES = 2**30
#: Gap checks after which the active-set Newton method is tried even on a changing support.
_NEWTON_EVERY = 20
#: Range of the Levenberg–Marquardt damping of the dense Newton systems (relative to the
#: mean diagonal of the Hessian).
_LM_MIN, _LM_MAX = 1e-12, 1e-1
#: Fraction of a Newton step below which the constraints that stop it join the faces
#: at once (they are active up to rounding).
_BLOCKED_STEP = 1e-6
#: Predicted Newton decrease (relative to the objective) below which a step is judged
#: by rounding-level equality of the objective (a polishing step).
_POLISH_RTOL = 1e-12
#: Restricted-solve target (relative to the objective) below which Newton polishes.
_POLISH_TARGET = 1e-8
#: Relative rounding level of an objective value.
_ROUND_RTOL = 1e-14
#: Most block-coordinate passes per restricted solve.
_MAX_PASSES = 100_000
#: Patterns and rows of one product of the pricing (dense float64 masks of 4 MiB: the
#: conversion of the masks is the memory traffic, 2,048 rows measured 19 % faster than
#: 8,192 at n = 10^6; both fixed, so the sums do not depend on how the patterns are split).
_PRICE_PATTERNS = 256
_PRICE_ROWS = 2048


def _dual_ratio(values, threshold):
    """The largest dual-constraint value over ``n α`` (``threshold``).

    ``inf`` when a value is not a number: no scaling of the residual is then
    known to be dual feasible, and :func:`~geolasso.certificate._ray_bound`
    falls back to the trivial lower bound ``0`` (never to a NaN, and never to
    an unproven bound).
    """
    top = float(np.max(values, initial=0.0))
    return top / threshold if math.isfinite(top) else math.inf


def _best_primal(history):
    """Smallest objective recorded in a solver history."""
    return min(h["objective"] for h in history)


@dataclass
class CReLUResult:
    """The solution of the convex program over a set of activation patterns.

    Attributes
    ----------
    coef : ndarray, shape (n_groups, r)
        The non-zero variables ``v_i`` / ``u_i`` (rows), in the coordinates of
        ``Z`` (weights, then the bias when there is one).
    pattern : ndarray of int, shape (n_groups,)
        The pattern (row of ``patterns.patterns``) of each row of ``coef``.
    sign : ndarray of float, shape (n_groups,)
        ``+1`` for a ``v_i`` (positive output weight), ``-1`` for a ``u_i``.
        In the gated model every group has sign ``+1``.
    intercept : float
        ``c`` (0 without an intercept).
    objective : float
        The convex objective at the returned point.
    lower_bound : float
        A dual lower bound on the optimum over the patterns.
    gap : float
        ``objective - lower_bound`` (>= 0).
    exact : bool
        True when the patterns were enumerated, so that ``lower_bound`` bounds
        the global optimum of the network objective too (ReLU model).
    gated : bool
        Whether this is the gated-ReLU relaxation.
    n_iter : int
        Inner iterations in total: block-coordinate passes, or Newton steps of
        the barrier method (see the module overview for which is used).
    n_rounds : int
        Pricing rounds.
    history : list of dict
        Per round: working-set size, objective, lower bound, time.
    """

    coef: np.ndarray
    pattern: np.ndarray
    sign: np.ndarray
    intercept: float
    objective: float
    lower_bound: float
    gap: float
    exact: bool
    gated: bool
    n_iter: int
    n_rounds: int
    history: list = field(default_factory=list)

    @property
    def relative_gap(self) -> float:
        """float: ``gap / objective`` (0 when the objective is 0)."""
        return self.gap / self.objective if self.objective > 0 else 0.0


def _pen_norms(V, n_pen, norm):
    part = V[:, :n_pen]
    if norm == "l1":
        return np.abs(part).sum(axis=1)
    return np.sqrt(np.einsum("ij,ij->i", part, part))


class _Restricted:
    """The ℓ1-norm ReLU program restricted to a working set of (pattern, sign) groups.

    (The ℓ2 norm and the gated model use block coordinate descent,
    :func:`_solve_bcd`.) Solved by a primal log-barrier method: Newton steps on
    ``t (loss + α Σ τ) - Σ log(cone slacks) - Σ log(τ ∓ x)`` with an epigraph
    variable ``τ >= |x|`` per penalised coordinate, ``t`` raised tenfold after
    each centring. The intercept is
    eliminated by centring. Each Newton system is reduced to the group
    variables (the epigraph variables are eliminated group by group) and
    solved by Cholesky, or through the ``n × n`` Woodbury form when the
    working set has more variables than samples.
    """

    def __init__(self, Z, y, masks, signs, alpha, n_pen, intercept):
        self.Z, self.alpha = Z, alpha
        self.n, self.r = Z.shape
        self.M = masks.astype(np.float64)  # (G, n)
        self.S = 2.0 * self.M - 1.0
        self.signs = signs
        self.SM = signs[:, None] * self.M
        self.G = self.M.shape[0]
        self.n_pen = n_pen
        self.intercept = intercept
        self.y = y - y.mean() if intercept else y
        # with a free bias, a group active on every sample is a linear function whose bias
        # is absorbed by the intercept: it has no cone constraint and its bias stays 0
        # (set afterwards by _feasible_residual)
        self.open = self.M.all(axis=1) if intercept else np.zeros(self.G, dtype=bool)
        self.con = ~self.open
        # K: (n, G r), column (g, a) = s_g m_g ⊙ Z[:, a]; centred with an intercept
        K = (self.SM[:, :, None] * Z[None, :, :]).transpose(1, 0, 2).reshape(self.n, -1)
        if intercept:
            K = K - K.mean(axis=0)
        self.K = K

    # ---------------------------------------------------------------- pieces
    def residual(self, V):
        return self.y - self.K @ V.ravel()

    def loss(self, V):
        res = self.residual(V)
        return float(res @ res) / (2 * self.n)

    def objective(self, V):
        return self.loss(V) + self.alpha * float(_pen_norms(V, self.n_pen, "l1").sum())

    def _start(self, gates):
        """A strictly feasible point: each group a small multiple of its gate."""
        V = 1e-3 * gates / np.linalg.norm(gates, axis=1, keepdims=True)
        if self.intercept:
            V[self.open, -1] = 0.0
        return V, self._tau_start(V)

    def _tau_start(self, V):
        return np.abs(V[:, : self.n_pen]) + 1e-3

    def _slacks(self, V):
        return self.S[self.con] * (V[self.con] @ self.Z.T)

    def _feasible(self, V, tau):
        if np.any(self._slacks(V) <= 0.0):
            return False
        p = V[:, : self.n_pen]
        return bool(np.all(tau - p > 0.0) and np.all(tau + p > 0.0))

    def _max_step(self, V, tau, dx, dtau):
        """Largest step along (dx, dtau) that stays inside every cone (fraction to boundary)."""
        step = np.inf
        if self.con.any():
            sl = self._slacks(V)
            dsl = self.S[self.con] * (dx[self.con] @ self.Z.T)
            neg = dsl < 0.0
            if neg.any():
                step = min(step, float(np.min(-sl[neg] / dsl[neg])))
        k = self.n_pen
        p, dp = V[:, :k], dx[:, :k]
        for a, da in ((tau - p, dtau - dp), (tau + p, dtau + dp)):
            neg = da < 0.0
            if neg.any():
                step = min(step, float(np.min(-a[neg] / da[neg])))
        return step

    def _merit(self, V, tau, t):
        with np.errstate(divide="ignore", invalid="ignore"):
            val = self._merit_raw(V, tau, t)
        return val if np.isfinite(val) else np.inf

    def _merit_raw(self, V, tau, t):
        val = t * (self.loss(V) + self.alpha * float(tau.sum()))
        val -= float(np.log(self._slacks(V)).sum())
        p = V[:, : self.n_pen]
        val -= float(np.log(tau - p).sum() + np.log(tau + p).sum())
        return val

    def _newton(self, V, tau, t):
        """Newton direction (dV, dtau) and squared Newton decrement for ``t·F + barrier``."""
        G, r, n, k = self.G, self.r, self.n, self.n_pen
        res = self.residual(V)
        gx = (-(t / n) * (self.K.T @ res)).reshape(G, r)
        Hb = np.zeros((G, r, r))
        if self.con.any():
            sl = self._slacks(V)
            gx[self.con] -= (self.S[self.con] / sl) @ self.Z
            Hb[self.con] += np.einsum("gj,ja,jb->gab", 1.0 / (sl * sl), self.Z, self.Z)
        if self.intercept and self.open.any():
            Hb[self.open, r - 1, r - 1] += 1.0  # the bias of an open group does not move
        p = V[:, :k]
        gx_full = gx.copy()  # before the epigraph terms: completed below
        # epigraph barrier; eliminate tau coordinate by coordinate (Schur complement)
        ia, ib = 1.0 / (tau - p), 1.0 / (tau + p)
        gx[:, :k] += ia - ib
        gx_full[:, :k] += ia - ib
        gt = t * self.alpha - ia - ib
        hxx = ia**2 + ib**2
        hxt = -(ia**2) + ib**2
        htt = ia**2 + ib**2
        idx = np.arange(k)
        Hb[:, idx, idx] += hxx - hxt * hxt / htt
        gx[:, :k] -= hxt * gt / htt
        rhs = -gx.ravel()
        dx = self._solve(Hb, t / n, rhs).reshape(G, r)
        dtau = (-gt - hxt * dx[:, :k]) / htt
        decrement = -float(np.einsum("ij,ij->", gx_full, dx) + np.sum(gt * dtau))
        return dx, dtau, decrement

    def _solve(self, Hb, w, rhs):
        """Solve ``(blockdiag(Hb) + w KᵀK) x = rhs``."""
        import scipy.linalg as sla

        G, r, n = self.G, self.r, self.n
        if G * r <= 2 * n:
            H = w * (self.K.T @ self.K)
            for g in range(G):
                H[g * r : (g + 1) * r, g * r : (g + 1) * r] += Hb[g]
            try:
                return sla.cho_solve(sla.cho_factor(H, check_finite=False), rhs)
            except np.linalg.LinAlgError:
                ev, Q = np.linalg.eigh(H)
                ev = np.maximum(ev, 1e-14 * ev.max())
                return Q @ ((Q.T @ rhs) / ev)
        ev, Q = np.linalg.eigh(Hb)  # blocks can be badly conditioned near active constraints
        ev = np.maximum(ev, 1e-14 * ev.max(axis=1, keepdims=True))
        Binv = np.einsum("gai,gi,gbi->gab", Q, 1.0 / ev, Q)

        def apply_binv(v):
            return np.einsum("gab,gb->ga", Binv, v.reshape(G, r)).ravel()

        BK = np.einsum("gab,ngb->nga", Binv, self.K.reshape(n, G, r)).reshape(n, -1)
        cap = np.eye(n) / w + BK @ self.K.T
        u = apply_binv(rhs)
        return u - BK.T @ np.linalg.lstsq(cap, self.K @ u, rcond=None)[0]

    # ----------------------------------------------------------------- solve
    def solve(self, gates, tol_abs, max_newton=400):
        """Barrier method from a small point on each gate; returns (V, Newton steps, t)."""
        V, tau = self._start(gates)
        G = self.G
        theta = int(self.con.sum()) * self.n + G * 2 * self.n_pen
        F0 = max(self.objective(V), 1e-300)
        t = max(theta / F0, 1.0)
        steps = 0
        while steps < max_newton:
            for _ in range(60):  # centring
                dx, dtau, decrement = self._newton(V, tau, t)
                steps += 1
                if decrement <= 1e-7:
                    break  # centred
                merit = self._merit(V, tau, t)
                s = min(1.0, 0.99 * self._max_step(V, tau, dx, dtau))
                while s > 1e-12 and not self._feasible(V + s * dx, tau + s * dtau):
                    s *= 0.5
                if not self._feasible(V + s * dx, tau + s * dtau):
                    break
                m_new = self._merit(V + s * dx, tau + s * dtau, t)
                while s > 1e-12 and not m_new <= merit:
                    s *= 0.5
                    m_new = self._merit(V + s * dx, tau + s * dtau, t)
                if not m_new <= merit:
                    break  # no progress at this t: centred as far as rounding allows
                V, tau = V + s * dx, tau + s * dtau
            if theta / t <= tol_abs:
                break
            t *= 10.0
        return V, steps, t


def _price(Z, masks, lam, n_pen, free, inf_norm, threshold, out):
    """Upper bounds ``out[p, 0]`` (``+h``) and ``out[p, 1]`` (``-h``) on every pattern's
    dual value, ``h = Zᵀ(m_p ⊙ λ)`` (bounds at or below ``threshold`` may be the cheap
    ones, not tight; see :func:`~geolasso._arrangement_kernels._price_groups`); the
    ``h`` by :func:`_masked_products`."""
    none = np.zeros((0, 0), dtype=np.bool_)
    H = _masked_products(Z, masks, lam)
    _price_groups(Z, masks, np.empty(0), lam, n_pen, free, inf_norm, threshold, out, none, H)


def _masked_products(Z, patterns, lam, packed=False):
    """``H[p] = Zᵀ(m_p ⊙ λ)`` for every pattern (P, r), by matrix products over blocks of
    ``_PRICE_PATTERNS`` patterns (the last one padded) and ``_PRICE_ROWS`` rows (summed
    over the row blocks in order): the masks are dense (float64) one such block at a
    time, and a pattern's row does not depend on which others are computed with it.
    ``packed``: the masks are bits (``np.packbits(masks, axis=1)``), unpacked a block
    at a time."""
    rows, r = Z.shape
    if packed and _PRICE_ROWS % 8:
        raise ValueError(f"_PRICE_ROWS must be a multiple of 8 for packed masks; got {_PRICE_ROWS}")
    P = patterns.shape[0]
    ZL = Z * lam[:, None]
    H = np.empty((P, r))
    block = np.zeros((_PRICE_PATTERNS, min(_PRICE_ROWS, rows)))
    for lo in range(0, P, _PRICE_PATTERNS):
        hi = min(lo + _PRICE_PATTERNS, P)
        part = np.zeros((_PRICE_PATTERNS, r))
        for a in range(0, rows, _PRICE_ROWS):
            b = min(a + _PRICE_ROWS, rows)
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


def _project_cone(Z, mask, x):
    """Euclidean projection of ``x`` onto ``{u : (2 m - 1) ⊙ Z u >= 0}`` (cold start)."""
    n = Z.shape[0]
    r = Z.shape[1]
    return _nnls_cone(Z, mask, np.ones(r), x, np.empty(n), np.zeros(n, dtype=np.bool_))


def _pooled(rows, K, pool):
    """Per-sample sums of ``K`` consecutive rows, times ``pool`` (the identity for ``K = 1``)."""
    if K == 1 and pool == 1.0:
        return rows
    return pool * rows.reshape(rows.shape[0] // K, K, *rows.shape[1:]).sum(axis=1)


def _spread(lam, K, pool):
    """The adjoint of :func:`_pooled`: each sample's value on its ``K`` rows, times ``pool``."""
    if K == 1 and pool == 1.0:
        return lam
    return pool * np.repeat(lam, K)


def _pooled_blocks(Z, masks, K, pool):
    """Each group's pooled block ``pool · Σ_k D_g Z`` (G, n, r); empty when ``K = 1``."""
    if K == 1:
        return np.zeros((0, 0, 0))
    if masks.shape[0] == 0:
        return np.zeros((0, Z.shape[0] // K, Z.shape[1]))
    return np.stack([_pooled(Z * m[:, None], K, pool) for m in masks]).reshape(
        masks.shape[0], Z.shape[0] // K, Z.shape[1]
    )


def _group_lipschitz(Z, masks, K=1, blocks=None):
    """Largest eigenvalue of ``A_gᵀ A_g / n`` per group (``A_g`` = the active rows, or with
    ``K > 1`` the pooled ``blocks`` of :func:`_pooled_blocks`)."""
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


def _restricted_values(Z, masks, signs, lam, norm, gated, free=False, warm=None):
    """The dual-constraint value of every working-set group at ``λ`` (its own sign).

    ``warm``: optional (G, n) bool passive sets of the groups' NNLS problems, the
    starts of this call and updated in place (see ``_price_groups``).
    """
    n_pen = Z.shape[1] - 1 if free else Z.shape[1]
    if gated:
        h = ((masks * lam) @ Z)[:, :n_pen]  # (G, n_pen)
        return np.abs(h).max(axis=1) if norm == "l1" else np.linalg.norm(h, axis=1)
    values = np.empty(masks.shape[0])
    if warm is None:
        warm = np.zeros((0, 0), dtype=np.bool_)
    _price_groups(
        Z,
        masks,
        signs,
        lam,
        n_pen,
        free,
        norm == "l1",
        -1.0,
        values.reshape(-1, 1),
        warm,
        np.empty((0, 0)),
    )
    return values


def _support_newton(
    Z,
    y,
    masks,
    signs,
    alpha,
    norm,
    gated,
    V,
    max_steps=80,
    free=False,
    pooling=(1, 1.0),
    target=0.0,
):
    """An active-set Newton method on the support of ``V`` and its cone faces.

    With the non-zero groups (coordinates, for the ℓ1 norm) and, in each
    pattern cone, the constraints active at ``V`` held fixed, the restricted
    objective is smooth: each group moves in the null space ``N_g`` of its
    active rows, and the objective is ``‖y − B θ‖² / (2n) + α Σ ‖θ_g‖`` with
    ``B = [A_g N_g]``. Damped Newton steps (Levenberg–Marquardt, the damping
    raised when a step gives no decrease: with more face variables than
    samples the Hessian is singular) with a backtracking line search solve
    it; the active set changes on the way: a step that reaches new cone
    constraints stops each group at its own first one (the constraints are
    separable by group), halving the step until the objective decreases, and
    adds those constraints to the faces (:func:`_truncated_step`; when no
    such step decreases it, the whole step stops at the first constraint
    and adds that one; every constraint that would stop it within
    ``_BLOCKED_STEP`` of its start joins at once, without a step), a group
    whose direction the step reverses is set to zero
    on the line-search path (a projected Newton path: this is how the support
    shrinks), and an ℓ1 coordinate that would change sign stops at zero and
    leaves the support. At a point optimal on the active set, a face
    constraint with a negative multiplier is released (:func:`_release`), or
    else the zero groups that violate their dual constraint enter
    (:func:`_enter`); with neither, or after three damped steps in a row, the
    method stops. Returns the new ``V`` (better than the given one, or, after
    polishing steps, equal up to rounding), or ``None``.

    The Newton systems are dense while they have at most ``max(_DENSE_NEWTON,
    n)`` variables (then no larger than the ``n × n`` capacitance of the
    low-rank solve, :func:`_lowrank_step`), solved by Cholesky; ``BᵀB / n``
    is carried from one active set to the next, only the columns of the
    groups whose faces changed multiplied out again (:func:`_gram`).

    ``target``: the caller's restricted-gap target. When it is at most
    ``_POLISH_TARGET`` times the objective (the accurate last solves), a step
    whose predicted decrease is below the rounding of the objective is taken
    when the objective is no worse up to rounding and the gradient shrinks
    (the duality gap is first order in the gradient, the objective second
    order); the caller then keeps the result if its gap is smaller.

    ``free`` (ℓ2 only): the last column of ``Z`` is an unpenalised bias and the
    intercept is free (``y`` centred, the columns centred); the penalty of a
    group is then ``α ‖C_g θ_g‖`` with ``C_g`` the weight rows of ``N_g``, and
    the Newton systems are solved densely (the method stops above
    ``_FREE_NEWTON`` variables). A group active on every sample has
    no face and its bias (absorbed by the intercept) is held fixed.

    ``pooling``: as in :func:`_solve_bcd` (the columns ``A_g N_g`` pooled).

    The method stops (block coordinate descent goes on alone) when a system
    would need more than ``_NEWTON_BYTES`` of working memory
    (:func:`_newton_bytes`).
    """
    K, pool = pooling
    n, r = Z.shape[0] // K, Z.shape[1]
    n_pen = r - 1 if free else r
    inf_norm = norm == "l1"
    M = masks.astype(np.float64)
    S = 2.0 * M - 1.0
    V = np.array(V, dtype=np.float64)
    open_ = masks.all(axis=1) if free else np.zeros(masks.shape[0], dtype=bool)

    def full_value(W):
        res = y - _pooled(np.einsum("gj,gj->j", signs[:, None] * M, W @ Z.T), K, pool)
        if free:
            res -= res.mean()
        return float(res @ res) / (2 * n) + alpha * float(_pen_norms(W, n_pen, norm).sum())

    f0 = f = full_value(V)
    # polishing steps only for an accurate solve; a loose one stops when the predicted
    # decrease is at the rounding level of the objective
    tight = target <= _POLISH_TARGET * f0
    enough = 0.0 if tight else 1e-15 * f0
    polished = False
    face = None
    if not gated:
        slack = S * (V @ Z.T)
        scale = np.abs(Z).sum(axis=1)[None, :] * np.abs(V).max(axis=1, keepdims=True)
        face = (slack <= 1e-10 * scale) & ~open_[:, None]
    steps = damped = 0
    ZZt = None  # Z Zᵀ, for the low-rank Newton solves (computed when first needed)
    gram = None  # the last BᵀB / n and its layout (blocks, bases, offsets)
    basis = {}  # group -> null space of its face (dropped when the face changes)
    normals = {}  # group -> orthonormal basis of its face's normals (beside basis[g])
    design = {}  # group -> its columns A_g N_g, transposed
    eye = np.eye(r)

    def release():
        # optimal on this active set: release a face constraint with a negative multiplier,
        # or let a violating zero group enter (True), or stop (False)
        if not (gated or inf_norm) and _release(
            Z, y, masks, M, signs, alpha, V, face, basis, n, n_pen, free, pooling
        ):
            return True
        return _enter(Z, y, masks, signs, alpha, norm, gated, free, V, face, basis, pooling)

    while steps < max_steps:
        support = np.flatnonzero(np.any(V[:, :n_pen] != 0.0, axis=1))
        if _newton_bytes(n, support.size * r, inf_norm or free) > _NEWTON_BYTES:
            break  # the face columns would not fit: block coordinate descent goes on alone
        blocks, cols = [], []
        for g in support:
            N = basis.get(g)
            if N is None:
                if inf_norm:
                    N = eye[:, V[g] != 0.0]
                elif open_[g]:
                    N = eye[:, :n_pen]
                elif gated or not face[g].any():
                    N = eye
                else:
                    A = S[g][face[g]][:, None] * Z[face[g]]
                    # every right singular vector, without the (rows x rows) left factor
                    _, sv, Vt = np.linalg.svd(A, full_matrices=A.shape[0] < r)
                    rank = int(np.sum(sv > 1e-10 * sv.max()))
                    N = Vt[rank:].T
                    normals[g] = Vt[:rank].T
                basis[g] = N
                # stored transposed (k, n): the blocks are then joined by contiguous copies
                cols_g = signs[g] * _pooled((M[g][:, None] * Z) @ N, K, pool)
                if free:
                    cols_g -= cols_g.mean(axis=0)
                design[g] = np.ascontiguousarray(cols_g.T)
            if N.shape[1] == 0:
                V[g] = 0.0  # a face that is only the apex
                continue
            blocks.append(g)
            cols.append(N)
        if not blocks:
            break
        sizes = np.array([N.shape[1] for N in cols])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        gid = np.repeat(np.arange(len(blocks)), sizes)
        B = np.concatenate([design[g] for g in blocks], axis=0).T  # (n, K), Fortran order
        theta = np.concatenate([N.T @ V[g] for g, N in zip(blocks, cols, strict=True)])
        if free and theta.size > _FREE_NEWTON:
            break  # too large for the dense solve: block coordinate descent goes on alone
        # the penalised coordinates C θ (None: θ itself, every coordinate penalised)
        C = None
        pstarts = starts
        if free:
            C = np.zeros((n_pen * len(blocks), theta.size))
            for k, N in enumerate(cols):
                C[k * n_pen : (k + 1) * n_pen, starts[k] : starts[k] + sizes[k]] = N[:n_pen]
            pstarts = np.arange(len(blocks), dtype=np.int64) * n_pen
        pid = np.repeat(np.arange(len(blocks)), n_pen) if free else gid
        # dense Newton systems while they are no larger than the n x n capacitance of the
        # low-rank solve (always with a free bias); the low-rank direct solve beyond (ℓ2
        # groups). BᵀB / n keeps the blocks of the groups whose columns did not change.
        dense = inf_norm or free or theta.size <= max(_DENSE_NEWTON, n)
        H0 = _gram(B, n, blocks, cols, starts, gram) if dense else None
        gram = (list(blocks), list(cols), starts, H0) if dense else None
        if dense and not inf_norm and C is None:
            # the entries of the block-diagonal penalty Hessian
            ii, jj = _block_entries(starts, sizes)
            on_diag = (ii == jj).astype(np.float64)

        value = partial(_face_value, y, B, pstarts, alpha, inf_norm, C)
        gradient = partial(_face_gradient, y, B, pstarts, pid, alpha, inf_norm, C)
        along = partial(_face_path, pstarts, gid, C, inf_norm)
        store = partial(_face_store, V, blocks, cols, starts, sizes)
        f = value(theta)
        rebuild = False
        damping = _LM_MIN

        while steps < max_steps and not rebuild:
            steps += 1
            grad, w, nrm = gradient(theta)
            if H0 is None:
                if K == 1 and ZZt is None:
                    ZZt = Z @ Z.T  # the plain groups' capacitance is a Hadamard product
                # the face normals of each group (none: its columns are ±D_g Z itself)
                face_q = None
                if K == 1:
                    none = eye[:, :0]
                    face_q = [
                        none if N is eye else (normals.get(g) if N.shape[0] == r else None)
                        for g, N in zip(blocks, cols, strict=True)
                    ]
                step = _lowrank_step(
                    B, theta, grad, starts, sizes, nrm, alpha, damping, Z, ZZt, M[blocks], face_q
                )
            else:
                H = H0.copy()
                if not inf_norm and C is None:
                    # α (I − w wᵀ / ‖w‖²) / ‖w‖ on each group's block
                    H[ii, jj] += (alpha / nrm[ii]) * (on_diag - w[ii] * w[jj] / (nrm[ii] * nrm[ii]))
                elif not inf_norm:  # block by block: α (CᵀC − Cᵀw wᵀC / ‖w‖²) / ‖w‖
                    for k in range(len(blocks)):
                        cut = slice(starts[k], starts[k] + sizes[k])
                        Ck = C[k * n_pen : (k + 1) * n_pen, cut]
                        cw = Ck.T @ w[k * n_pen : (k + 1) * n_pen]
                        nk = nrm[k * n_pen]
                        H[cut, cut] += (alpha / nk) * (Ck.T @ Ck - np.outer(cw, cw) / (nk * nk))
                # Levenberg–Marquardt damping: with more face variables than samples the
                # Hessian is singular (flat directions of the loss along the radial
                # directions of the penalty), and a bare Newton step is no descent
                # (Marquardt's scaling: groups near zero have a large penalty curvature)
                diag = np.diagonal(H).copy()
                H[np.diag_indices_from(H)] += damping * (diag + 1e-12 * max(diag.mean(), 1e-300))
                step = -_spd_solve(H, grad)

            predicted = -float(grad @ step)
            if predicted <= enough or np.abs(step).max() <= 1e-13 * np.abs(theta).max():
                if not release():
                    steps = max_steps
                    break
                rebuild = True
                break
            if not inf_norm:
                # a group the full step sends through (or close to) zero leaves the support
                new = theta + step if C is None else C @ (theta + step)
                old = theta if C is None else C @ theta
                before = np.sqrt(np.add.reduceat(old * old, pstarts))
                after = np.sqrt(np.add.reduceat(new * new, pstarts))
                turn = np.add.reduceat(old * new, pstarts)
                dying = (turn <= 0.0) | (after < 0.1 * before)
                if dying.any():
                    cand = np.where(dying[gid], 0.0, theta)
                    fc = value(cand)
                    if gated:
                        # or the full step with those groups at zero (no cone to leave)
                        cand_step = np.where(dying[gid], 0.0, theta + step)
                        fc_step = value(cand_step)
                        if fc_step < fc:
                            cand, fc = cand_step, fc_step
                    if fc < f:
                        theta, f, rebuild, damped = cand, fc, True, 0
                        store(theta)
                        break
            t, hit = 1.0, None
            if inf_norm:
                cross = theta * step < 0.0
                if cross.any():
                    ratios = -theta[cross] / step[cross]
                    k = int(np.argmin(ratios))
                    if ratios[k] < 1.0:
                        t, hit = float(ratios[k]), ("coord", int(np.flatnonzero(cross)[k]))
            elif not gated:
                dV = np.array(
                    [N @ step[starts[k] : starts[k] + sizes[k]] for k, N in enumerate(cols)]
                )
                rows = np.asarray(blocks, dtype=np.int64)
                ratios = np.empty((rows.size, Z.shape[0]))
                first = np.empty(rows.size)
                _step_ratios(
                    masks, rows, face, ~open_[rows], V[rows] @ Z.T, dV @ Z.T, ratios, first
                )
                if np.isfinite(first).any():
                    blocked = ratios < _BLOCKED_STEP
                    if blocked.any():
                        # constraints (nearly) active already, the step would stop at once:
                        # all of them join the faces, without a step
                        for k, j in zip(*np.nonzero(blocked), strict=True):
                            face[blocks[k], j] = True
                            basis.pop(blocks[k], None)
                        rebuild = True
                        break
                    k = int(np.argmin(first))
                    j = int(np.argmin(ratios[k]))
                    if ratios[k, j] < 1.0:
                        t, hit = float(ratios[k, j]), ("row", blocks[k], j)
                        # each group stopped at its own first constraint (the constraints
                        # are separable by group): many join the faces in one step
                        out = _truncated_step(theta, step, ratios, first, sizes, t, value, along, f)
                        if out is not None:
                            theta, f, reached = out
                            for kk, jj in reached:
                                face[blocks[kk], jj] = True
                                basis.pop(blocks[kk], None)
                            store(theta)
                            rebuild, damped = True, 0
                            break
            t_hit = t
            # a predicted decrease at the rounding level of f: the objective cannot rank
            # the step, so a full step is taken when it is no worse up to rounding (the
            # caller judges the result by its duality gap)
            polish = tight and predicted <= _POLISH_RTOL * f
            while t > 1e-12:
                cand, crossed = along(theta, step, t)
                fc = value(cand)
                if fc < f:
                    break
                if polish:
                    # no worse up to rounding, and a smaller gradient
                    if fc <= f + _ROUND_RTOL * abs(f) and np.linalg.norm(
                        gradient(cand)[0]
                    ) < np.linalg.norm(grad):
                        polished = True
                        break
                    t = 0.0
                else:
                    t *= 0.5
            else:
                if damping < _LM_MAX:
                    damping *= 1e3  # a shorter, more gradient-like step
                    continue
                # no decrease along the Newton direction: optimal on this active set up to
                # rounding
                if not release():
                    steps = max_steps
                    break
                rebuild = True
                break
            theta, f = cand, fc
            if crossed:
                rebuild = True  # groups left the support
            if hit is not None and t == t_hit:
                if hit[0] == "coord":
                    theta[hit[1]] = 0.0
                    f = value(theta)
                    basis.pop(blocks[int(gid[hit[1]])], None)
                else:
                    face[hit[1], hit[2]] = True
                    basis.pop(hit[1], None)
                rebuild = True
            store(theta)
            damped = damped + 1 if (t < 1.0 and not rebuild) else 0
            damping = max(damping * (10.0 if t < 1.0 else 0.1), _LM_MIN)
            if damped >= 3:
                steps = max_steps  # not in Newton's quadratic region: leave it to the caller
                break
    if not gated:
        for g in np.flatnonzero(~open_):  # rounding-level slips back into the cone
            if np.any(V[g] != 0.0) and np.any(S[g] * (Z @ V[g]) < 0.0):
                V[g] = _project_cone(Z, masks[g], np.ascontiguousarray(V[g]))
    f1 = full_value(V)
    return V if f1 < f0 or (polished and f1 <= f0 + _ROUND_RTOL * abs(f0)) else None


def _newton_bytes(n, n_var, always_dense=False):
    """Working memory of one Newton system of :func:`_support_newton` (bytes, at most) with
    ``n_var`` face variables: the face columns twice (per group and joined, ``n × n_var``),
    and the dense Hessian (twice; always for the ℓ1 norm and a free bias) or the low-rank
    solve's ``n × n`` matrices (``Z Zᵀ``, the capacitance and its factor)."""
    dense = always_dense or n_var <= max(_DENSE_NEWTON, n)
    return 8 * (2 * n * n_var + (2 * n_var * n_var if dense else 3 * n * n))


def _gram(B, n, blocks, cols, starts, prev):
    """``BᵀB / n`` for the face columns ``B``, reusing the blocks of ``prev``.

    ``prev`` is ``(blocks, cols, starts, gram)`` of an earlier layout (or
    ``None``); a group whose null-space basis is the same object as then
    keeps its rows and columns of the old matrix, and only the columns of the
    other groups are multiplied out (``O(n K k)`` for ``k`` changed columns
    instead of ``O(n K²)``).
    """
    if prev is None:
        return B.T @ B / n
    old_blocks, old_cols, old_starts, old = prev
    where = {g: k for k, g in enumerate(old_blocks)}
    # per block: its start in the old layout, or -1 when its columns are new
    before = np.array(
        [
            old_starts[j] if (j := where.get(g)) is not None and old_cols[j] is N else -1
            for g, N in zip(blocks, cols, strict=True)
        ],
        dtype=np.int64,
    )
    sizes = np.array([N.shape[1] for N in cols], dtype=np.int64)
    size = B.shape[1]
    gid = np.repeat(np.arange(len(blocks)), sizes)
    offset = np.arange(size) - np.repeat(starts, sizes)  # position inside the block
    kept = before[gid] >= 0
    if not kept.any():
        return B.T @ B / n
    # each column's position in the old layout (0 for the new ones: overwritten below)
    source = np.where(kept, before[gid] + offset, 0)
    if kept.all() and size == old.shape[0] and np.array_equal(source, np.arange(size)):
        return old  # the same layout
    H = old.take(source, axis=0).take(source, axis=1)
    if not kept.all():
        ch = np.flatnonzero(~kept)
        cross = B.T @ B[:, ch] / n
        H[:, ch] = cross
        H[ch, :] = cross.T
    return H


def _block_entries(starts, sizes):
    """Row and column indices of the entries of a block-diagonal matrix (blocks at
    ``starts`` of ``sizes``), row by row."""
    gid = np.repeat(np.arange(sizes.size), sizes)
    width = sizes[gid]  # the length of each row's block
    ii = np.repeat(np.arange(gid.size), width)
    first = np.cumsum(width) - width
    jj = np.repeat(starts[gid], width) + (np.arange(ii.size) - np.repeat(first, width))
    return ii, jj


def _spd_solve(H, g):
    """``H⁻¹ g`` for a symmetric positive definite ``H`` (Cholesky; LU or least squares
    when the factorisation fails)."""
    import scipy.linalg as sla

    try:
        return sla.cho_solve(sla.cho_factor(H, check_finite=False), g, check_finite=False)
    except (np.linalg.LinAlgError, sla.LinAlgError):
        try:
            return np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            return np.linalg.lstsq(H, g, rcond=None)[0]


def _truncated_step(theta, step, ratios, first, sizes, t_hit, value, along, f):
    """The Newton step with each group stopped at the first cone constraint it meets.

    ``ratios`` (groups, rows): the step length at which each constraint is
    reached (``inf`` when never), ``first`` its row minima. Group ``k`` moves by
    ``min(s, t_k) step_k`` with ``t_k = first[k]``, for ``s = 1, 1/2, …`` above ``t_hit``
    (the first constraint of all); the first such point below ``f`` is
    returned with the constraints reached, as ``(theta, value, [(k, j)])``,
    or ``None``.
    """
    s = 1.0
    while s > t_hit:
        scale = np.minimum(first, s)
        cand, _ = along(theta, step * np.repeat(scale, sizes), 1.0)
        fc = value(cand)
        if fc < f:
            stopped = np.flatnonzero(first < s)
            reached = [
                (int(k), int(j)) for k in stopped for j in np.flatnonzero(ratios[k] <= first[k])
            ]
            return cand, fc, reached
        s *= 0.5
    return None


def _lowrank_step(
    B, theta, grad, starts, sizes, nrm, alpha, damping, Z=None, ZZt=None, masks=None, normals=None
):
    """Newton step ``-H⁻¹ grad`` through two Woodbury identities (many variables).

    ``H = BᵀB / n + blockdiag(c_g (I − u_g u_gᵀ))`` with ``c_g = α / ‖θ_g‖`` and
    ``u_g = θ_g / ‖θ_g‖``, plus the Levenberg–Marquardt term ``damping ·
    diag(H)``. Written ``H = A − U diag(c) Uᵀ`` with ``A = diag(a) + BᵀB / n``
    (``a`` = the diagonal terms) and ``U`` the ``u_g`` as columns (one non-zero
    block each), ``A⁻¹`` is applied through the ``n × n`` capacitance
    ``n I + B diag(a)⁻¹ Bᵀ`` and ``H⁻¹`` through the ``G × G`` capacitance
    ``diag(c)⁻¹ − Uᵀ A⁻¹ U``: a direct solve costing ``O(n² K + n² G + n³ + G³)``
    for ``K`` variables in ``G`` groups (the capacitance by one symmetric
    rank-``K`` update; ``U`` is never formed).

    ``normals`` (with ``Z``, ``ZZt = Z Zᵀ`` and the groups' ``masks``): per
    group, an orthonormal basis ``Q_g`` (r, f) of its active face's normals
    (``f = 0``: its columns are ``±D_g Z`` itself, as for gated groups), or
    ``None``. A group whose columns are ``±D_g Z N_g`` with ``N_g N_gᵀ = I −
    Q_g Q_gᵀ`` and fewer normals than columns takes one Levenberg–Marquardt
    value (the mean of its diagonal), so ``a`` is constant on it, and its part
    of the capacitance is a Hadamard term minus a rank-``f`` correction:
    ``Z Zᵀ ∘ (Mᵀ diag(1/a) M) − Σ_g (D_g Z Q_g)(D_g Z Q_g)ᵀ / a_g``, which
    costs ``O(n² (r + G + Σ f))`` instead of ``O(n² K)`` (measured: n = 3,000,
    d = 50, 173 gated groups, 2.3 s → 0.3 s a step).
    """
    import scipy.linalg as sla

    n = B.shape[0]
    c = alpha / nrm  # per variable
    u = theta / nrm
    diag_h = np.einsum("ij,ij->j", B, B) / n + c * (1.0 - u * u)
    ridge = 1e-12 * max(float(diag_h.mean()), 1e-300)
    hada = None
    if normals is not None:
        hada = np.array(
            [q is not None and q.shape[1] < m for q, m in zip(normals, sizes, strict=True)]
        )
    if hada is not None and hada.any():
        mean_h = np.add.reduceat(diag_h, starts) / sizes
        diag_h = np.where(np.repeat(hada, sizes), np.repeat(mean_h, sizes), diag_h)
    ainv = 1.0 / (c + damping * diag_h + ridge)
    # n I + B diag(a)⁻¹ Bᵀ, upper triangle (the symmetric update reads the transpose)
    if hada is not None and hada.any():
        a_g = ainv[starts]
        cap = ZZt * (masks[hada].T @ (masks[hada] * a_g[hada][:, None]))
        corr = [
            (masks[k][:, None] * Z) @ (normals[k] * math.sqrt(a_g[k]))
            for k in np.flatnonzero(hada)
            if normals[k].shape[1]
        ]
        if corr:
            cap += sla.blas.dsyrk(-1.0, np.hstack(corr).T, trans=1)
        if not hada.all():
            rest = np.repeat(~hada, sizes)
            cap += sla.blas.dsyrk(1.0, (B[:, rest] * np.sqrt(ainv[rest])).T, trans=1)
    else:
        cap = sla.blas.dsyrk(1.0, (B * np.sqrt(ainv)).T, trans=1)
    cap[np.diag_indices(n)] += n
    cap = sla.cho_factor(cap, lower=False, overwrite_a=True, check_finite=False)

    def solve_a(x):  # A⁻¹ x for one vector
        w = ainv * x
        return w - ainv * (B.T @ sla.cho_solve(cap, B @ w, check_finite=False))

    # Uᵀ A⁻¹ U = Uᵀ diag(a)⁻¹ U − Pᵀ cap⁻¹ P with P = B diag(a)⁻¹ U (column g: group g)
    # (one product per group: a reduction over an n × K temporary costs more)
    wu = ainv * u
    P = np.empty((n, starts.size))
    for k, (s, m) in enumerate(zip(starts, sizes, strict=True)):
        P[:, k] = B[:, s : s + m] @ wu[s : s + m]
    UtAiU = np.diag(np.add.reduceat(ainv * u * u, starts)) - P.T @ sla.cho_solve(
        cap, P, check_finite=False
    )
    Aig = solve_a(grad)
    S = np.diag(1.0 / c[starts]) - UtAiU
    rhs = np.add.reduceat(u * Aig, starts)
    try:
        z = np.linalg.solve(S, rhs)
    except np.linalg.LinAlgError:
        z = np.linalg.lstsq(S, rhs, rcond=None)[0]
    # H⁻¹ g = A⁻¹ (g + U z)
    return -solve_a(grad + u * np.repeat(z, sizes))


def _face_value(y, B, starts, alpha, inf_norm, C, th):
    """The restricted objective in the coordinates ``θ`` of the faces.

    ``C`` maps ``θ`` to the penalised coordinates (``None``: all of ``θ``);
    ``starts`` are the group offsets in ``C θ``.
    """
    res = y - B @ th
    if inf_norm:
        pen = float(np.abs(th).sum())
    else:
        w = th if C is None else C @ th
        pen = float(np.sqrt(np.add.reduceat(w * w, starts)).sum())
    return float(res @ res) / (2 * y.shape[0]) + alpha * pen


def _face_gradient(y, B, starts, pid, alpha, inf_norm, C, th):
    """The gradient of :func:`_face_value` at ``θ``, the penalised coordinates and their norms.

    ``pid`` maps each penalised coordinate to its group (the norms are per
    coordinate); for the ℓ1 norm the sign subgradient, without the norms.
    """
    g = -B.T @ (y - B @ th) / y.shape[0]
    if inf_norm:
        return g + alpha * np.sign(th), None, None
    w = th if C is None else C @ th
    nrm = np.maximum(np.sqrt(np.add.reduceat(w * w, starts))[pid], 1e-150)
    return g + alpha * (w / nrm if C is None else C.T @ (w / nrm)), w, nrm


def _face_path(starts, gid, C, inf_norm, th, step, t):
    """The point ``θ + t s`` with every group whose direction it reverses set to zero.

    A group ``g`` with ``⟨w_g(θ), w_g(θ + t s)⟩ <= 0`` (``w`` the penalised
    coordinates) has crossed the kink of its norm: it leaves the support (a
    projected Newton path). Returns the point and whether any group left.
    """
    new = th + t * step
    if inf_norm:
        return new, False
    w_old = th if C is None else C @ th
    w_new = new if C is None else C @ new
    cross = (np.add.reduceat(w_old * w_new, starts) <= 0.0) & (
        np.add.reduceat(w_old * w_old, starts) > 0.0
    )
    if not cross.any():
        return new, False
    return np.where(cross[gid], 0.0, new), True


def _face_store(V, blocks, cols, starts, sizes, th):
    """Write ``v_g = N_g θ_g`` back into ``V`` (in place)."""
    for k, (g, N) in enumerate(zip(blocks, cols, strict=True)):
        V[g] = N @ th[starts[k] : starts[k] + sizes[k]]


def _enter(Z, y, masks, signs, alpha, norm, gated, free, V, face, basis, pooling=(1, 1.0)):
    """Let the zero groups that violate their dual constraint enter the support.

    One exact proximal block step (as in block coordinate descent) on each
    zero group whose dual value is above ``n α``; the faces of the groups
    that became non-zero are then read off again. Returns whether any did.
    """
    K, pool = pooling
    n, r = Z.shape[0] // K, Z.shape[1]
    zero = np.flatnonzero(~np.any(V[:, : r - 1 if free else r] != 0.0, axis=1))
    if zero.size == 0:
        return False
    res = y - _pooled(np.einsum("gj,gj->j", signs[:, None] * masks, V @ Z.T), K, pool)
    if free:
        res -= res.mean()
    rows = _spread(res, K, pool)
    values = _restricted_values(Z, masks[zero], signs[zero], rows, norm, gated, free)
    enter = zero[values > n * alpha * (1.0 + _PRICE_RTOL)]
    if enter.size == 0:
        return False
    sub = np.zeros((enter.size, r))
    m = np.ascontiguousarray(masks[enter])
    blocks = _pooled_blocks(Z, m, K, pool)
    lips = _group_lipschitz(Z, m, K, blocks)
    warm = np.zeros(m.shape, dtype=np.bool_)
    _bcd_epochs(
        Z,
        m,
        signs[enter],
        lips,
        sub,
        res,
        alpha,
        not gated,
        norm == "l1",
        free,
        warm,
        1,
        blocks,
    )
    V[enter] = sub
    entered = False
    for k, g in enumerate(enter):
        if np.any(sub[k] != 0.0):
            entered = True
            basis.pop(g, None)
            if face is not None:
                slack = (2.0 * masks[g] - 1.0) * (Z @ sub[k])
                face[g] = slack <= 1e-10 * np.abs(Z).sum(axis=1) * np.abs(sub[k]).max()
                if free and masks[g].all():
                    face[g] = False
    return entered


def _release(Z, y, masks, M, signs, alpha, V, face, basis, n, n_pen, free, pooling=(1, 1.0)):
    """Drop, in every group, the face constraint with the most negative multiplier.

    At a point optimal on the faces, the gradient of the objective in ``v_g``
    is ``Σ_j μ_j a_j`` over the face rows ``a_j``; a negative ``μ_j`` means
    leaving the face ``a_j v = 0`` lowers the objective. Returns whether any
    constraint was released (``n`` samples, ``pooling`` as in :func:`_solve_bcd`).
    """
    res = y - _pooled(np.einsum("gj,gj->j", signs[:, None] * M, V @ Z.T), *pooling)
    if free:
        res -= res.mean()
    res = _spread(res, *pooling)
    groups = np.flatnonzero(np.any(V[:, :n_pen] != 0.0, axis=1) & face.any(axis=1))
    if groups.size == 0:
        return False
    grads = -signs[groups, None] * ((M[groups] * res) @ Z) / n
    pen = V[groups, :n_pen]
    grads[:, :n_pen] += alpha * pen / np.linalg.norm(pen, axis=1, keepdims=True)
    row = np.empty(groups.size, dtype=np.int64)
    low, top = np.empty(groups.size), np.empty(groups.size)
    _face_multipliers(Z, masks, face, groups, np.ascontiguousarray(grads), row, low, top)
    released = False
    for g, j, mu, scale in zip(groups, row, low, top, strict=True):
        if j >= 0 and mu < -1e-9 * (scale + alpha):
            face[g, j] = False
            basis.pop(g, None)
            released = True
    return released


def _solve_bcd(
    Z,
    y,
    masks,
    signs,
    alpha,
    norm,
    gated,
    V,
    tol_abs,
    max_epochs,
    free=False,
    pooling=(1, 1.0),
    newton_steps=400,
):
    """The restricted program by proximal block coordinate descent.

    Used for the ℓ2 norm (and for the gated model with either norm): every
    block step is an exact proximal map (see
    :func:`geolasso._arrangement_kernels._bcd_epochs`; with ``free`` the last
    column of ``Z`` is an unpenalised bias, ``y`` is centred and the intercept
    is minimised out). Every ``_BCD_CHECK``
    passes the last iterates are extrapolated (Anderson acceleration, each
    group projected back onto its cone, kept when it lowers the objective),
    and the restricted
    duality gap is computed; the solve stops when it is at most ``tol_abs``.
    ``pooling = (K, pool)``: the rows of ``Z`` are ``K`` pooled rows per sample
    (:func:`_pooled`; convolutional networks). ``newton_steps`` bounds each
    active-set Newton attempt (:func:`_support_newton`). Returns ``(V, passes)``.
    """
    K, pool = pooling
    n, r = Z.shape[0] // K, Z.shape[1]
    n_pen = r - 1 if free else r
    cone = not gated
    inf_norm = norm == "l1"
    blocks = _pooled_blocks(Z, masks, K, pool)
    lips = _group_lipschitz(Z, masks, K, blocks)
    V = np.ascontiguousarray(V, dtype=np.float64)
    M = masks.astype(np.float64)
    SM = signs[:, None] * M
    S = 2.0 * M - 1.0
    # with a free bias, a group active on every sample has no cone constraint
    bound = ~masks.all(axis=1) if free else np.ones(masks.shape[0], dtype=bool)
    threshold = n * alpha

    def residual(W):
        res = y - _pooled(np.einsum("gj,gj->j", SM, W @ Z.T), K, pool)
        return res - res.mean() if free else res

    passive = np.zeros(masks.shape, dtype=np.bool_)  # warm starts of the dual values

    def values_at(res):
        return _restricted_values(
            Z, masks, signs, _spread(res, K, pool), norm, gated, free, passive
        )

    def objective(W, res):
        return float(res @ res) / (2 * n) + alpha * float(_pen_norms(W, n_pen, norm).sum())

    res = residual(V)
    faces = np.zeros(masks.shape, dtype=np.bool_)  # warm starts of the cone projections
    passes = 0
    last = [V.ravel().copy()]
    previous = tried = None
    since = 0  # gap checks since the last Newton attempt
    trail = []
    while passes < max_epochs:
        _bcd_epochs(
            Z,
            masks,
            signs,
            lips,
            V,
            res,
            alpha,
            cone,
            inf_norm,
            free,
            faces,
            _BCD_CHECK,
            blocks,
        )
        passes += _BCD_CHECK
        res = residual(V)  # refresh: the kernel's running residual drifts by rounding
        primal = objective(V, res)
        last.append(V.ravel().copy())
        if len(last) > _ANDERSON + 1:
            last.pop(0)
        if len(last) == _ANDERSON + 1:
            Xk = np.array(last)
            U = np.diff(Xk, axis=0)
            try:
                c = np.linalg.solve(
                    U @ U.T + 1e-14 * np.eye(len(U)) * np.trace(U @ U.T), np.ones(len(U))
                )
                c /= c.sum()
                W = (c @ Xk[1:]).reshape(V.shape)
                if cone:
                    # the extrapolation may leave the cones: such groups are projected back
                    for g in np.flatnonzero(bound):
                        if np.any(S[g] * (Z @ W[g]) < 0.0):
                            W[g] = _project_cone(Z, masks[g], np.ascontiguousarray(W[g]))
                res_w = residual(W)
                p_w = objective(W, res_w)
                if p_w < primal:
                    V, res, primal = W, res_w, p_w
                    last = [V.ravel().copy()]
            except np.linalg.LinAlgError:
                pass
        values = values_at(res)
        lower = _ray_bound(y, res, _dual_ratio(values, threshold))
        if primal - lower <= tol_abs:
            break
        trail.append(primal - lower)
        if len(trail) > _BCD_STALL and trail[-1] >= 0.9 * trail[-1 - _BCD_STALL]:
            break  # the gap has stopped shrinking (rounding): the caller prices again
        if free and inf_norm:
            continue  # the active-set Newton finish has no free-bias ℓ1 form
        support = _support_key(Z, masks, V, norm, gated)
        since += 1
        # Newton once the support is the same at two checks (once per support), or after
        # _NEWTON_EVERY checks without it (the support of a slowly converging solve keeps
        # changing by small groups)
        settled = support == previous and support != tried
        previous = support
        if not settled and since < _NEWTON_EVERY:
            continue
        tried, since = support, 0
        W = _support_newton(
            Z,
            y,
            masks,
            signs,
            alpha,
            norm,
            gated,
            V,
            max_steps=newton_steps,
            free=free,
            pooling=pooling,
            target=tol_abs,
        )
        if W is not None:
            res_w = residual(W)
            p_w = objective(W, res_w)
            if p_w <= primal + _ROUND_RTOL * abs(primal):
                # lower, or equal up to rounding (a polished point): kept when its gap is
                # smaller
                values_w = values_at(res_w)
                lower_w = _ray_bound(y, res_w, _dual_ratio(values_w, threshold))
                if p_w < primal or p_w - lower_w < primal - lower:
                    V, res, primal, lower = W, res_w, p_w, lower_w
                    last = [V.ravel().copy()]
                    if primal - lower <= tol_abs:
                        break
    return V, passes


def _support_key(Z, masks, V, norm, gated):
    """The support of ``V`` and its active cone constraints, as a hashable key."""
    if norm == "l1":
        return (V != 0.0).tobytes()
    nz = np.any(V != 0.0, axis=1)
    if gated:
        return nz.tobytes()
    S = 2.0 * masks[nz].astype(np.float64) - 1.0
    slack = S * (V[nz] @ Z.T)
    scale = np.abs(Z).sum(axis=1)[None, :] * np.abs(V[nz]).max(axis=1, keepdims=True)
    return nz.tobytes() + (slack <= 1e-10 * scale).tobytes()


def _lp_bound(Z, mask, h, n_pen, free):
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
    return _PRICE_PATTERNS


def _price_all(Z, patterns, lam, n_pen, free, norm, gated, threshold, packed=False):
    """Upper bounds (P, 2) on each pattern's dual value for ``±λ``.

    The products ``Zᵀ(m_p ⊙ λ)`` by :func:`_masked_products` (BLAS; a
    pattern's value does not depend on which others are priced with it); the
    ReLU bounds from them by the pricing kernel. ``packed``: the patterns are
    bits (``np.packbits(masks, axis=1)``; the ReLU bounds unpack them).
    """
    P = patterns.shape[0]
    if gated:
        part = _masked_products(Z, patterns, lam, packed)[:, :n_pen]
        val = np.abs(part).max(axis=1) if norm == "l1" else np.linalg.norm(part, axis=1)
        return np.column_stack([val, np.zeros(P)])
    if packed:
        patterns = np.unpackbits(patterns, axis=1, count=Z.shape[0]).astype(np.bool_)
    out = np.empty((P, 2))
    _price(Z, patterns, lam, n_pen, free, norm == "l1", threshold, out)
    if norm == "l1":
        # the NNLS multipliers are optimal for ℓ2, not ℓ∞: refine flagged bounds by LP
        for p, s in zip(*np.nonzero(out > threshold), strict=True):
            h = (1.0 if s == 0 else -1.0) * (Z.T @ (patterns[p] * lam))
            out[p, s] = min(out[p, s], _lp_bound(Z, patterns[p], h, n_pen, free))
    return out


def solve_crelu(
    X,
    y,
    alpha: float,
    patterns: ActivationPatterns,
    *,
    norm: str = "l2",
    gated: bool = False,
    tol: float = 1e-8,
    max_rounds: int = 200,
    max_iter: int = 500,
    grow: int | None = None,
    start=None,
    callback=None,
    pooling=None,
    client=None,
) -> CReLUResult:
    """Solve C-ReLU (or C-GReLU) over the given activation patterns.

    See the module overview for the program and the method. Inputs are
    expected validated (float64, finite, matching shapes); use
    :class:`geolasso.ConvexReLU` with ``method="arrangement"`` for the checked
    front end.

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features)
    y : ndarray, shape (n_samples,)
    alpha : float
        Penalty in SPEC's scaling (the papers' β is ``n α``). The solver is
        designed for ``alpha >= 1e-6 · alpha_max`` (``alpha_max``: the largest
        dual value of the targets over the patterns, divided by ``n``; the
        smallest penalty with the zero solution). Measured on the enumerated
        40-point spiral (ℓ2, free biases, ``alpha_max ≈ 0.083``):
        ``1.2e-6 · alpha_max`` certified in 11 rounds (about 2 s),
        ``1.2e-7 · alpha_max`` in 71 s, ``1.2e-11 · alpha_max`` not in 500
        rounds (110 s). Below that range (decided from the first pricing)
        the work is bounded, independently of the clock: at most 12 pricing
        rounds, 500 block-coordinate passes per restricted solve and 40 steps
        per active-set Newton attempt (the barrier method keeps its
        ``max_iter``); a solve whose certified relative gap is then above
        ``max(tol, 1e-6)`` warns with a
        :class:`~geolasso.exceptions.ConvergenceWarning` naming that gap and
        suggesting a larger alpha (the result's ``gap`` is the certified one).
        The two 40-point spiral probes now stop in about 6 s (``1e-12``) and
        2 s (``1e-8``).
    patterns : ActivationPatterns
        The patterns to solve over; their ``bias`` fixes the setting.
    norm : {"l2", "l1"}, default="l2"
        Group norm (ℓ2: weight decay).
    gated : bool, default=False
        Solve the gated-ReLU relaxation (gates = the patterns) instead.
    tol : float, default=1e-8
        Stop when the duality gap is at most ``tol`` times the objective.
    max_rounds : int, default=200
        Pricing rounds.
    max_iter : int, default=500
        Newton steps per restricted solve of the barrier method (ℓ1 ReLU
        groups); the block-coordinate solver stops on its gap, on a
        stall, or after 100,000 passes.
    grow : int, optional
        Most groups added to the working set per round (at least ``grow``,
        or the size of the working set when larger); by default
        ``max(20, n / 2)``.
    start : tuple (pattern, sign, coef), optional
        A starting point: pattern indices (into ``patterns``), signs (±1) and
        one feasible row of ``coef`` per group, as in :class:`CReLUResult`
        (e.g. :func:`start_from_network` of a near-optimal network). Duplicate
        (pattern, sign) pairs are summed.
    callback : callable, optional
        Called after every round as ``callback(round, objective, gap,
        working_set_size)`` (``gap`` absolute).
    pooling : tuple (K, weight), optional
        Pooled rows, for convolutional networks (SPEC §6): ``X`` is the
        stacked patch matrix, ``K`` consecutive rows (patches) per sample,
        ``y`` has ``len(X) / K`` entries, the patterns are over the rows, and
        a sample's feature is ``weight`` times the sum of its rows' ReLU
        values (1 for sum pooling, ``1 / K`` for the mean). Solved by the
        block-coordinate method with the Newton finish; the ℓ1 norm only
        with ``gated``.
    client : distributed.Client, optional
        Price the patterns in blocks on this Dask cluster (by default
        joblib's active dask backend's, if any;
        :class:`geolasso.distributed.PatternRunner`). The restricted solves
        stay here; the result equals the in-process one.

    Returns
    -------
    CReLUResult

    Examples
    --------
    SPEC T11: two samples, ``β = 0.1`` (``α = 0.05``); the exact optimum is
    ``0.09 / n``, which no hyperplane through the data alone reaches.

    >>> from geolasso.arrangements import enumerate_patterns
    >>> X, y = np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([0.0, 1.0])
    >>> res = solve_crelu(X, y, 0.05, enumerate_patterns(X), tol=1e-12)
    >>> round(res.objective, 10), res.exact, res.gap < 1e-9
    (0.045, True, True)
    >>> to_network(res, enumerate_patterns(X), "l2").predict(X).round(6)
    array([0.1, 0.9])
    """
    # one BLAS thread: the dense products and factorisations are small, and threaded BLAS
    # on them stalls on a busy machine (measured: n = 500, d = 10, 100 patterns at
    # alpha = 1e-4, 103 s with the default threads against 46 s with one, 2 cores)
    from .distributed import active_client

    refuse_complex(X, "X")  # never cast: the imaginary part would be dropped
    refuse_complex(y, "y")
    with _blas_controller().limit(limits=1, user_api="blas"):
        return _solve_crelu(
            X,
            y,
            alpha,
            patterns,
            norm,
            gated,
            tol,
            max_rounds,
            max_iter,
            grow,
            start,
            callback,
            pooling,
            active_client(client),
        )


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _solve_crelu(
    X,
    y,
    alpha,
    patterns,
    norm,
    gated,
    tol,
    max_rounds,
    max_iter,
    grow,
    start,
    callback,
    pooling,
    client=None,
):
    """The body of :func:`solve_crelu` (same arguments, under one BLAS thread)."""
    started = time.perf_counter()
    bias = patterns.bias
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    K, pool = (1, 1.0) if pooling is None else (int(pooling[0]), float(pooling[1]))
    n_rows = X.shape[0]
    n = n_rows // K
    if n * K != n_rows or y.shape != (n,):
        raise ValueError(
            f"X has {n_rows} rows and y {y.shape[0]} entries: expected K = {K} rows per sample"
        )
    if K > 1 and norm == "l1" and not gated:
        raise ValueError(
            "pooled rows are solved for the l2 norm (or gated=True); the l1 ReLU program "
            "of a convolutional network is the wedge-patch Lasso (ConvexCNN, method='wedge')"
        )
    Z = X if bias == "none" else np.column_stack([X, np.ones(n_rows)])
    masks_all = np.ascontiguousarray(patterns.patterns, dtype=np.bool_)
    if client is None:
        price = functools.partial(_price_all, Z, masks_all)
    else:
        from .distributed import PatternRunner

        price = PatternRunner(client, Z, masks_all)
    try:
        return _rounds(
            Z,
            y,
            alpha,
            patterns,
            masks_all,
            price,
            norm,
            gated,
            tol,
            max_rounds,
            max_iter,
            grow,
            start,
            callback,
            (K, pool),
            started,
        )
    finally:
        if client is not None:
            price.close()


def _rounds(
    Z,
    y,
    alpha,
    patterns,
    masks_all,
    price,
    norm,
    gated,
    tol,
    max_rounds,
    max_iter,
    grow,
    start,
    callback,
    pooling,
    started,
):
    """The pricing rounds of :func:`solve_crelu`; ``price(λ, n_pen, free, norm, gated,
    threshold)`` prices every pattern (in-process or on a cluster)."""
    K, pool = pooling
    n = Z.shape[0] // K
    r = Z.shape[1]
    bias = patterns.bias
    free = bias == "free"
    n_pen = r - 1 if free else r
    intercept = free
    y_t = y - y.mean() if intercept else y.copy()
    threshold = n * alpha
    # block coordinate descent where every block step is an exact proximal map (the ℓ2
    # norm for ReLU groups, either norm for gated ones); the barrier method otherwise
    use_bcd = gated or norm == "l2"

    groups: list[tuple[int, int]] = []
    in_ws: set[tuple[int, int]] = set()
    V = np.zeros((0, r))
    lam = y_t.copy()
    if start is not None:
        rows = {}
        for p, s, row in zip(*start, strict=True):
            key = (int(p), 0 if s > 0 else 1)
            rows[key] = rows.get(key, 0.0) + np.asarray(row, dtype=np.float64)
        groups = [g for g in rows if not (gated and g[1] == 1)]
        in_ws = set(groups)
        V = np.array([rows[g] for g in groups]).reshape(-1, r)
        if groups:
            idx = np.array([g[0] for g in groups], dtype=np.int64)
            signs = np.array([1.0 if g[1] == 0 else -1.0 for g in groups])
            lam = _feasible_residual(Z, y, masks_all[idx], signs, V, intercept, gated, (K, pool))[0]
    total_iter = 0
    history = []
    best = None
    rounds = 0
    inner_rtol = 1e-3 * tol
    # block coordinate descent in a round that added no group: a tenth of tol, then a
    # hundred times less in every further such round
    quiet_rtol = 1e-1 * tol
    small_alpha = None  # alpha_max when alpha is below the designed range (work bound)
    for rounds in range(1, max_rounds + 1):
        bounds = price(_spread(lam, K, pool), n_pen, free, norm, gated, threshold)
        if small_alpha is None:
            # alpha_max: the largest dual value at λ = y (the pricing's upper bound), from
            # this pricing when it is of the targets, else from one more
            top = (
                bounds
                if not groups
                else price(_spread(y_t, K, pool), n_pen, free, norm, gated, -1.0)
            )
            alpha_max = float(np.max(top, initial=0.0)) / n
            small_alpha = alpha_max if alpha < _DESIGN_RATIO * alpha_max else 0.0
        ratio = _dual_ratio(bounds, threshold)
        primal = _objective(y, lam, V, n_pen, norm, alpha)
        lower = _ray_bound(y_t, lam, ratio)
        gap = max(primal - lower, 0.0)
        history.append(
            {
                "round": rounds,
                "groups": len(groups),
                "objective": primal,
                "lower_bound": lower,
                "time": time.perf_counter() - started,
            }
        )
        if callback is not None:
            callback(rounds, primal, gap, len(groups))
        if best is None or gap < best[2]:
            best = (V.copy(), list(groups), gap, lower)
        if gap <= tol * max(primal, 1e-300):
            break
        if len(history) > _STALL_ROUNDS and best[2] > 0.9 * min(
            h["objective"] - h["lower_bound"] for h in history[:-_STALL_ROUNDS]
        ):
            break  # no progress for _STALL_ROUNDS rounds: the restricted solves' accuracy
        if small_alpha and rounds >= _SMALL_ALPHA_ROUNDS:
            break  # the work bound below the designed range of penalties (warned below)
        # add violators, largest first
        flat = np.argsort(-bounds, axis=None, kind="stable")
        want = max(grow if grow is not None else max(20, n // 2), 0 if free else len(groups))
        added = 0
        for k in flat:
            p, s = divmod(int(k), 2)
            if bounds[p, s] <= threshold * (1.0 + _PRICE_RTOL):
                break
            if (p, s) in in_ws or (gated and s == 1):
                continue
            groups.append((p, s))
            in_ws.add((p, s))
            added += 1
            if added >= want:
                break
        inner_tol = max(inner_rtol * max(primal, 1e-300), 0.1 * gap)  # inexact: still growing
        if added == 0:
            if inner_rtol < 1e-15:
                break  # no violator left and the restricted solve is as accurate as it gets
            inner_rtol *= 1e-2
            inner_tol = quiet_rtol * max(primal, 1e-300)
            quiet_rtol *= 1e-2
        idx = np.array([g[0] for g in groups], dtype=np.int64)
        signs = np.array([1.0 if g[1] == 0 else -1.0 for g in groups])
        if use_bcd:
            start = np.zeros((len(groups), r))
            start[: V.shape[0]] = V  # warm start: the kept groups come first
            V, it = _solve_bcd(
                Z,
                y_t,
                masks_all[idx],
                signs,
                alpha,
                norm,
                gated,
                start,
                inner_tol,
                _SMALL_ALPHA_PASSES if small_alpha else _MAX_PASSES,
                free,
                (K, pool),
                _SMALL_ALPHA_NEWTON if small_alpha else 400,
            )
        else:
            prob = _Restricted(Z, y, masks_all[idx], signs, alpha, n_pen, intercept)
            V, it, _t = prob.solve(patterns.gates[idx], inner_rtol * max(primal, 1e-300), max_iter)
        total_iter += it
        # drop the groups that are clearly zero at the optimum (pricing brings back any that
        # is needed)
        sizes = _pen_norms(V, n_pen, norm)
        if use_bcd:
            keep = sizes > 0.0  # the proximal steps set zero groups exactly to zero
        else:
            lam_now = prob.residual(V)
            values = np.empty((len(groups), 2))
            _price(Z, masks_all[idx], lam_now, n_pen, free, norm == "l1", -1.0, values)
            mine = values[np.arange(len(groups)), [g[1] for g in groups]]
            # a group is zero at the optimum when its dual value is below n α
            # (complementarity)
            keep = (mine >= threshold * (1.0 - 1e-4)) | (sizes > 1e-3 * float(sizes.max(initial=0)))
            keep &= sizes > 0.0
        for g in np.flatnonzero(~keep):
            in_ws.discard(groups[g])
        groups = [g for g, k in zip(groups, keep, strict=True) if k]
        V, idx, signs = V[keep], idx[keep], signs[keep]
        lam = _feasible_residual(Z, y, masks_all[idx], signs, V, intercept, gated, (K, pool))[0]
    V_best, groups_best, gap, lower = best
    unfinished = gap > max(tol, _WARN_RTOL) * max(_best_primal(history), 1e-300)
    if unfinished and not small_alpha:
        warnings.warn(
            f"the arrangement solver stopped after {rounds} rounds with a relative duality gap "
            f"of {gap / max(_best_primal(history), 1e-300):.2e}, above tol = {tol:g}: the "
            "objective is an upper bound that far from the optimum over these patterns",
            ConvergenceWarning,
            stacklevel=4,
        )
    idx = np.array([g[0] for g in groups_best], dtype=np.int64)
    signs = np.array([1.0 if g[1] == 0 else -1.0 for g in groups_best])
    keep = _pen_norms(V_best, n_pen, norm) > 0.0
    if free:
        keep |= np.abs(V_best[:, -1]) > 0.0
    V_best, idx, signs = V_best[keep], idx[keep], signs[keep]
    lam, c = (
        _feasible_residual(Z, y, masks_all[idx], signs, V_best, intercept, gated, (K, pool))
        if V_best.shape[0]
        else (y_t.copy(), float(y.mean()) if intercept else 0.0)
    )
    objective = _objective(y, lam, V_best, n_pen, norm, alpha)
    final_gap = max(objective - lower, 0.0)
    if unfinished and small_alpha:
        how = (
            f"at its bound of {_SMALL_ALPHA_ROUNDS} pricing rounds"
            if rounds == _SMALL_ALPHA_ROUNDS
            else f"after {rounds} rounds"
        )
        # the gap named is the result's: its objective minus the certified lower bound
        warnings.warn(
            f"alpha = {alpha:.3g} is below the range the arrangement solver is designed for "
            f"(alpha >= {_DESIGN_RATIO:g} · alpha_max = {_DESIGN_RATIO * small_alpha:.3g}, "
            f"alpha_max = {small_alpha:.3g}): it stopped {how} with a relative duality gap of "
            f"{final_gap / objective if objective > 0 else 0.0:.2e} (certified), above tol = "
            f"{tol:g}. Use a larger alpha (at least {_DESIGN_RATIO * small_alpha:.3g})",
            ConvergenceWarning,
            stacklevel=4,
        )
    return CReLUResult(
        coef=V_best,
        pattern=idx,
        sign=signs,
        intercept=c,
        objective=objective,
        lower_bound=lower,
        gap=final_gap,
        exact=bool(patterns.exact),
        gated=gated,
        n_iter=total_iter,
        n_rounds=rounds,
        history=history,
    )


def _feasible_residual(Z, y, masks, signs, V, intercept, gated, pooling=(1, 1.0)):
    """Project each group onto its cone (in place), then the residual and intercept."""
    if not gated:
        for g in range(V.shape[0]):
            if intercept and masks[g].all():
                # active everywhere: the smallest bias that keeps every sample active
                V[g, -1] = max(0.0, -float(np.min(Z[:, :-1] @ V[g, :-1])))
            elif np.any(V[g] != 0.0):
                V[g] = _project_cone(Z, masks[g], np.ascontiguousarray(V[g]))
    pred = np.einsum("gi,gi->i", signs[:, None] * masks, V @ Z.T) if V.shape[0] else 0.0
    res = y - (_pooled(pred, *pooling) if V.shape[0] else 0.0)
    c = float(res.mean()) if intercept else 0.0
    return res - c, c


def _objective(y, lam, V, n_pen, norm, alpha):
    n = y.shape[0]
    return float(lam @ lam) / (2 * n) + alpha * float(_pen_norms(V, n_pen, norm).sum())


def to_network(result: CReLUResult, patterns: ActivationPatterns, norm: str) -> ReLUNetwork:
    """The ReLU network of a C-ReLU solution (SPEC §2.2 recovery map).

    Each row ``x`` of ``coef`` becomes the neuron ``x / √‖x_pen‖`` with
    output weight ``sign · √‖x_pen‖``; a row with zero weights (a constant on
    the all-active pattern) is added to the intercept. The network objective
    with first-layer norm ``norm`` then equals ``result.objective``.

    Parameters
    ----------
    result : CReLUResult
        A solution of :func:`solve_crelu` (not gated).
    patterns : ActivationPatterns
        The patterns it was solved over.
    norm : {"l2", "l1"}
        The group norm it was solved with.

    Returns
    -------
    ReLUNetwork
    """
    if result.gated:
        raise ValueError("a gated-ReLU solution is not a ReLU network; use its gates")
    bias = patterns.bias
    d = patterns.gates.shape[1] - (bias != "none")
    n_pen = d if bias == "free" else patterns.gates.shape[1]
    sizes = _pen_norms(result.coef, n_pen, norm)
    c = result.intercept
    W, b, v = [], [], []
    for row, size, s in zip(result.coef, sizes, result.sign, strict=True):
        if size == 0.0:
            c += s * max(float(row[-1]), 0.0)
            continue
        unit = row / math.sqrt(size)
        W.append(unit[:d])
        b.append(float(unit[d]) if bias != "none" else 0.0)
        v.append(s * math.sqrt(size))
    W = np.array(W).reshape(-1, d)
    return ReLUNetwork(W, np.array(b), np.array(v), c=c)


def start_from_network(
    network: ReLUNetwork, patterns: ActivationPatterns, X, *, tol: float = 1e-9
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], int]:
    """A starting point for :func:`solve_crelu` from a ReLU network (the inverse recovery map).

    Neuron ``(w, b)`` with output weight ``v`` becomes the group
    ``|v| (w, b)`` with sign ``sign(v)`` on the neuron's activation pattern
    (SPEC §2.2: same function, and a penalty equal to the network's at
    balanced weights). A neuron through samples (a wedge neuron) is on the
    boundary of several cells; the first of its patterns found in
    ``patterns`` is used, trying the tied samples inactive, then active.

    Parameters
    ----------
    network : ReLUNetwork
        The network (e.g. the ``network_`` of a wedge fit).
    patterns : ActivationPatterns
        The patterns the program will be solved over.
    X : array-like, shape (n_samples, n_features)
        The samples the patterns were computed on.
    tol : float, default=1e-9
        A sample is tied (on the neuron's hyperplane) when ``|zᵀu|`` is at
        most ``tol`` times ``|z|ᵀ|u|``.

    Returns
    -------
    start : tuple (pattern, sign, coef)
        The starting point for :func:`solve_crelu`.
    missing : int
        The number of neurons whose pattern is not in ``patterns`` (left out).
    """
    refuse_complex(X, "X")
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    bias = patterns.bias
    Z = X if bias == "none" else np.column_stack([X, np.ones(n)])
    index = {m.tobytes(): k for k, m in enumerate(np.asarray(patterns.patterns, dtype=np.bool_))}
    idx, sign, coef = [], [], []
    missing = 0
    for w, b, v in zip(network.W, network.b, network.v, strict=True):
        if v == 0.0 or not np.any(w != 0.0):
            continue
        row = abs(float(v)) * (np.append(w, b) if bias != "none" else np.asarray(w, dtype=float))
        t = Z @ row
        scale = tol * (np.abs(Z) @ np.abs(row))
        for m in (t > scale, t >= -scale):
            k = index.get(m.tobytes())
            if k is not None:
                break
        if k is None:
            missing += 1
            continue
        idx.append(k)
        sign.append(1.0 if v > 0 else -1.0)
        coef.append(row)
    start = (np.array(idx, dtype=np.int64), np.array(sign), np.array(coef).reshape(-1, Z.shape[1]))
    return start, missing
