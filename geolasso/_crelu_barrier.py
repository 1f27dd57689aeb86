"""The primal log-barrier method for the ℓ1-norm ReLU program on a working set.

The restricted solver of :func:`geolasso.crelu.solve_crelu` for ℓ1 ReLU
groups, where the block steps of :mod:`geolasso._crelu_bcd` are not exact
proximal maps: Newton steps on the barrier problem with an epigraph variable
per penalised coordinate (see :class:`Barrier`).
"""

from __future__ import annotations

import numpy as np

from ._crelu_groups import pen_norms


class Barrier:
    """The ℓ1-norm ReLU program restricted to a working set of (pattern, sign) groups.

    (The ℓ2 norm and the gated model use block coordinate descent,
    :func:`geolasso._crelu_bcd.solve_bcd`.) Solved by a primal log-barrier method: Newton steps on
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
        return self.loss(V) + self.alpha * float(pen_norms(V, self.n_pen, "l1").sum())

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
