"""Proximal block coordinate descent on the arrangement program's working set.

The restricted solver of :func:`geolasso.crelu.solve_crelu` for the ℓ2 norm
and for the gated model (:func:`solve_bcd`): exact proximal block steps
(:func:`geolasso._crelu_kernels._bcd_epochs`), Anderson extrapolation, a
restricted duality gap as the stopping rule, and the active-set Newton
finish (:mod:`geolasso._crelu_newton`) once the support has settled.
"""

from __future__ import annotations

import numpy as np

from ._crelu_groups import (
    ROUND_RTOL,
    group_lipschitz,
    pen_norms,
    pooled,
    pooled_blocks,
    project_cone,
    restricted_values,
    spread,
)
from ._crelu_kernels import _bcd_epochs
from ._crelu_newton import support_newton
from ._dual import dual_ratio, ray_bound

#: Block-coordinate passes between gap checks (and Anderson extrapolations).
_BCD_CHECK = 10
#: Iterates combined by one Anderson extrapolation.
_ANDERSON = 5
#: Gap checks without a 10% smaller restricted gap after which a restricted solve stops.
_BCD_STALL = 50
#: Gap checks after which the active-set Newton method is tried even on a changing support.
_NEWTON_EVERY = 20


def solve_bcd(
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
    warm=None,
):
    """The restricted program by proximal block coordinate descent.

    Used for the ℓ2 norm (and for the gated model with either norm): every
    block step is an exact proximal map (see
    :func:`geolasso._crelu_kernels._bcd_epochs`; with ``free`` the last
    column of ``Z`` is an unpenalised bias, ``y`` is centred and the intercept
    is minimised out). Every ``_BCD_CHECK``
    passes the last iterates are extrapolated (Anderson acceleration, each
    group projected back onto its cone, kept when it lowers the objective),
    and the restricted duality gap is computed; the solve stops when it is at
    most ``tol_abs``. ``pooling = (K, pool)``: the rows of ``Z`` are ``K``
    pooled rows per sample (:func:`geolasso._crelu_groups.pooled`;
    convolutional networks). ``newton_steps`` bounds each active-set Newton
    attempt (:func:`geolasso._crelu_newton.support_newton`). ``warm``: (G, n)
    bool NNLS passive sets to start the cone projections and dual values from
    (updated in place with the dual values' sets), or None (cold). Returns
    ``(V, passes)``.
    """
    prob = _Restricted(Z, y, masks, signs, alpha, norm, gated, free, pooling, warm)
    cone = not gated
    blocks = pooled_blocks(Z, masks, *pooling)
    lips = group_lipschitz(Z, masks, pooling[0], blocks)
    V = np.ascontiguousarray(V, dtype=np.float64)
    res = prob.residual(V)
    # warm starts of the cone projections
    faces = np.zeros(masks.shape, dtype=np.bool_) if warm is None else warm.copy()
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
            norm == "l1",
            free,
            faces,
            _BCD_CHECK,
            blocks,
        )
        passes += _BCD_CHECK
        res = prob.residual(V)  # refresh: the kernel's running residual drifts by rounding
        primal = prob.objective(V, res)
        last.append(V.ravel().copy())
        if len(last) > _ANDERSON + 1:
            last.pop(0)
        if len(last) == _ANDERSON + 1:
            better = _anderson(prob, last, V.shape, primal)
            if better is not None:
                V, res, primal = better
                last = [V.ravel().copy()]
        lower = prob.lower(res)
        if primal - lower <= tol_abs:
            break
        trail.append(primal - lower)
        if len(trail) > _BCD_STALL and trail[-1] >= 0.9 * trail[-1 - _BCD_STALL]:
            break  # the gap has stopped shrinking (rounding): the caller prices again
        if free and norm == "l1":
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
        better = _newton(prob, V, primal, lower, newton_steps, tol_abs)
        if better is not None:
            V, res, primal, lower = better
            last = [V.ravel().copy()]
            if primal - lower <= tol_abs:
                break
    return V, passes


class _Restricted:
    """The restricted program of :func:`solve_bcd` (same arguments): its residual,
    objective and certified lower bound at a point."""

    def __init__(self, Z, y, masks, signs, alpha, norm, gated, free, pooling, warm):
        self.Z, self.y, self.masks, self.signs = Z, y, masks, signs
        self.alpha, self.norm, self.gated, self.free = alpha, norm, gated, free
        self.pooling = pooling
        K = pooling[0]
        self.n = Z.shape[0] // K
        self.n_pen = Z.shape[1] - 1 if free else Z.shape[1]
        M = masks.astype(np.float64)
        self.SM = signs[:, None] * M
        self.S = 2.0 * M - 1.0
        # with a free bias, a group active on every sample has no cone constraint
        self.bound = ~masks.all(axis=1) if free else np.ones(masks.shape[0], dtype=bool)
        # warm starts of the dual values' NNLS solves
        self.passive = np.zeros(masks.shape, dtype=np.bool_) if warm is None else warm

    def residual(self, W):
        res = self.y - pooled(np.einsum("gj,gj->j", self.SM, W @ self.Z.T), *self.pooling)
        return res - res.mean() if self.free else res

    def objective(self, W, res):
        pen = float(pen_norms(W, self.n_pen, self.norm).sum())
        return float(res @ res) / (2 * self.n) + self.alpha * pen

    def lower(self, res):
        """The dual bound of the residual scaled into the restricted dual constraints."""
        lam = spread(res, *self.pooling)
        values = restricted_values(
            self.Z, self.masks, self.signs, lam, self.norm, self.gated, self.free, self.passive
        )
        return ray_bound(self.y, res, dual_ratio(values, self.n * self.alpha))


def _anderson(prob, last, shape, primal):
    """The Anderson extrapolation of the iterates ``last`` as ``(V, res, objective)``
    when it lowers the objective below ``primal``, else None."""
    W = _extrapolated(last, shape, prob.Z, prob.masks, prob.S, prob.bound, not prob.gated)
    if W is None:
        return None
    res = prob.residual(W)
    value = prob.objective(W, res)
    return (W, res, value) if value < primal else None


def _newton(prob, V, primal, lower, steps, target):
    """An active-set Newton attempt from ``V`` (:func:`geolasso._crelu_newton.
    support_newton`) as ``(V, res, objective, lower bound)``, or None.

    Kept when it lowers the objective, or when it is equal up to rounding (a
    polished point) and its gap is smaller.
    """
    W = support_newton(
        prob.Z,
        prob.y,
        prob.masks,
        prob.signs,
        prob.alpha,
        prob.norm,
        prob.gated,
        V,
        max_steps=steps,
        free=prob.free,
        pooling=prob.pooling,
        target=target,
    )
    if W is None:
        return None
    res = prob.residual(W)
    value = prob.objective(W, res)
    if value > primal + ROUND_RTOL * abs(primal):
        return None
    bound = prob.lower(res)
    if value < primal or value - bound < primal - lower:
        return W, res, value, bound
    return None


def _extrapolated(last, shape, Z, masks, S, bound, cone):
    """The Anderson extrapolation of the iterates ``last`` (flattened, oldest first).

    With ``cone``, each ``bound`` group that it takes out of its cone (``S``:
    the patterns' row signs) is projected back. ``None`` when the
    extrapolation's system is singular.
    """
    Xk = np.array(last)
    U = np.diff(Xk, axis=0)
    try:
        c = np.linalg.solve(U @ U.T + 1e-14 * np.eye(len(U)) * np.trace(U @ U.T), np.ones(len(U)))
    except np.linalg.LinAlgError:
        return None
    c /= c.sum()
    W = (c @ Xk[1:]).reshape(shape)
    if cone:
        # the extrapolation may leave the cones: such groups are projected back
        for g in np.flatnonzero(bound):
            if np.any(S[g] * (Z @ W[g]) < 0.0):
                W[g] = project_cone(Z, masks[g], np.ascontiguousarray(W[g]))
    return W


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
