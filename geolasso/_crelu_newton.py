"""The active-set Newton finish of the arrangement program's restricted solves.

With the support of a working-set point and the cone constraints active at
it held fixed, the restricted objective is smooth in the null-space
coordinates of each group's face; :func:`support_newton` takes damped
Newton steps on it and changes the active set on the way (faces reached,
groups through zero, negative multipliers released, violating zero groups
let in). :func:`geolasso._crelu_bcd.solve_bcd` calls it once the support
has settled. The numba work is in :mod:`geolasso._crelu_newton_kernels`
(and, for the block step that lets a group enter, :mod:`geolasso._crelu_kernels`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np

from ._crelu_groups import (
    PRICE_RTOL,
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
from ._crelu_newton_kernels import _face_multipliers, _step_ratios

#: Largest Newton system (variables) of the active-set method solved densely.
_DENSE_NEWTON = 400
#: Largest Newton system with a free bias (solved densely: the low-rank form needs every
#: coordinate penalised).
_FREE_NEWTON = 2000
#: Working memory (bytes) above which the active-set Newton finish is not tried (see
#: :func:`_newton_bytes`): its face columns are a dense ``n × K`` block.
_NEWTON_BYTES = 2**30
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


def support_newton(
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

    ``pooling``: as in :func:`geolasso._crelu_bcd.solve_bcd` (the columns
    ``A_g N_g`` pooled).

    The method stops (block coordinate descent goes on alone) when a system
    would need more than ``_NEWTON_BYTES`` of working memory
    (:func:`_newton_bytes`).

    Each pass reads the active set off ``V`` (:func:`_face_layout`), then
    repeats: a damped Newton direction (:func:`_newton_direction`), groups
    through zero dropped (:func:`_drop_dying`), the first constraint or ℓ1
    zero the step reaches (:func:`_step_limit`), and a backtracking line
    search (:func:`_line_search`).
    """
    K, pool = pooling
    r = Z.shape[1]
    n_pen = r - 1 if free else r
    inf_norm = norm == "l1"
    M = masks.astype(np.float64)
    S = 2.0 * M - 1.0
    V = np.array(V, dtype=np.float64)
    open_ = masks.all(axis=1) if free else np.zeros(masks.shape[0], dtype=bool)

    full_value = partial(_full_value, Z, y, signs[:, None] * M, alpha, norm, n_pen, free, pooling)
    f0 = f = full_value(V)
    # polishing steps only for an accurate solve; a loose one stops when the predicted
    # decrease is at the rounding level of the objective
    tight = target <= _POLISH_TARGET * f0
    enough = 0.0 if tight else 1e-15 * f0
    polished = False
    face = None if gated else _active_faces(Z, S, V, open_)
    steps = damped = 0
    ZZt = None  # Z Zᵀ, for the low-rank Newton solves (computed when first needed)
    gram = None  # the last BᵀB / n and its layout (blocks, bases, offsets)
    # per group: the null space of its face (dropped when the face changes), an
    # orthonormal basis of the face's normals, and its columns A_g N_g (transposed)
    cache = _FaceCache({}, {}, {}, np.eye(r))

    # optimal on this active set: release a face constraint with a negative multiplier, or
    # let a violating zero group enter (True), or stop (False)
    release = partial(
        _release_or_enter, Z, y, masks, M, signs, alpha, norm, gated, free, V, face, cache, pooling
    )

    while steps < max_steps:
        lay = _face_layout(
            Z, masks, signs, M, S, V, face, open_, cache, gram, gated, norm, free, K, pool
        )
        if lay is None:
            break  # too large, or no face variable left: block coordinate descent goes on
        gram = lay.gram
        theta = lay.theta
        value = partial(_face_value, y, lay.B, lay.pstarts, alpha, inf_norm, lay.C)
        gradient = partial(_face_gradient, y, lay.B, lay.pstarts, lay.pid, alpha, inf_norm, lay.C)
        along = partial(_face_path, lay.pstarts, lay.gid, lay.C, inf_norm)
        store = partial(_face_store, V, lay.blocks, lay.cols, lay.starts, lay.sizes)
        f = value(theta)
        rebuild = False
        damping = _LM_MIN

        while steps < max_steps and not rebuild:
            steps += 1
            grad, w, nrm = gradient(theta)
            if lay.H0 is None and K == 1 and ZZt is None:
                ZZt = Z @ Z.T  # the plain groups' capacitance is a Hadamard product
            step = _newton_direction(
                lay, cache, theta, grad, w, nrm, alpha, damping, Z, ZZt, M, K, n_pen
            )
            predicted = -float(grad @ step)
            if predicted <= enough or np.abs(step).max() <= 1e-13 * np.abs(theta).max():
                if not release():
                    steps = max_steps
                    break
                rebuild = True
                break
            if not inf_norm:
                # a group the full step sends through (or close to) zero leaves the support
                out = _drop_dying(lay, theta, step, f, value, gated)
                if out is not None:
                    theta, f = out
                    rebuild, damped = True, 0
                    store(theta)
                    break
            limit = _step_limit(
                Z, masks, face, open_, cache, V, lay, theta, step, f, value, along, inf_norm, gated
            )
            if limit is None:
                # constraints (nearly) active already, the step would stop at once: all of
                # them joined the faces, without a step
                rebuild = True
                break
            t, hit, out = limit
            if out is not None:
                # each group stopped at its own first constraint: they joined the faces
                theta, f = out
                store(theta)
                rebuild, damped = True, 0
                break
            t_hit = t
            # a predicted decrease at the rounding level of f: the objective cannot rank
            # the step, so a full step is taken when it is no worse up to rounding (the
            # caller judges the result by its duality gap)
            polish = tight and predicted <= _POLISH_RTOL * f
            found = _line_search(theta, step, t, f, grad, value, gradient, along, polish)
            if found is None:
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
            t, theta, f, crossed, rounded = found
            polished = polished or rounded
            if crossed:
                rebuild = True  # groups left the support
            if hit is not None and t == t_hit:
                f = _record_hit(hit, theta, f, value, face, cache, lay)
                rebuild = True
            store(theta)
            damped = damped + 1 if (t < 1.0 and not rebuild) else 0
            damping = max(damping * (10.0 if t < 1.0 else 0.1), _LM_MIN)
            if damped >= 3:
                steps = max_steps  # not in Newton's quadratic region: leave it to the caller
                break
    if not gated:
        _into_cones(Z, masks, S, open_, V)
    f1 = full_value(V)
    return V if f1 < f0 or (polished and f1 <= f0 + ROUND_RTOL * abs(f0)) else None


def _full_value(Z, y, SM, alpha, norm, n_pen, free, pooling, W):
    """The restricted objective at ``V = W`` (``SM``: the masks times the groups' signs)."""
    n = y.shape[0]
    res = y - pooled(np.einsum("gj,gj->j", SM, W @ Z.T), *pooling)
    if free:
        res -= res.mean()
    return float(res @ res) / (2 * n) + alpha * float(pen_norms(W, n_pen, norm).sum())


def _release_or_enter(Z, y, masks, M, signs, alpha, norm, gated, free, V, face, cache, pooling):
    """At a point optimal on its active set: release a face constraint with a negative
    multiplier (:func:`_release`), else let the violating zero groups enter
    (:func:`_enter`). Returns whether the active set changed."""
    n = y.shape[0]
    n_pen = Z.shape[1] - 1 if free else Z.shape[1]
    if not (gated or norm == "l1") and _release(
        Z, y, masks, M, signs, alpha, V, face, cache.basis, n, n_pen, free, pooling
    ):
        return True
    return _enter(Z, y, masks, signs, alpha, norm, gated, free, V, face, cache.basis, pooling)


def _record_hit(hit, theta, f, value, face, cache, lay):
    """The step stopped at ``hit``: an ℓ1 coordinate set to zero (``("coord", i)``) or a
    cone constraint joining its group's face (``(_, g, j)``). Returns the objective."""
    if hit[0] == "coord":
        theta[hit[1]] = 0.0
        cache.basis.pop(lay.blocks[int(lay.gid[hit[1]])], None)
        return value(theta)
    face[hit[1], hit[2]] = True
    cache.basis.pop(hit[1], None)
    return f


def _active_faces(Z, S, V, open_):
    """The cone constraints active at ``V`` (G, n): slack at most ``1e-10`` of its scale
    (none for the ``open_`` groups, which have no cone; ``S`` the row signs)."""
    slack = S * (V @ Z.T)
    scale = np.abs(Z).sum(axis=1)[None, :] * np.abs(V).max(axis=1, keepdims=True)
    return (slack <= 1e-10 * scale) & ~open_[:, None]


def _into_cones(Z, masks, S, open_, V):
    """Project back (in place) the groups that slipped out of their cones by rounding."""
    for g in np.flatnonzero(~open_):
        if np.any(V[g] != 0.0) and np.any(S[g] * (Z @ V[g]) < 0.0):
            V[g] = project_cone(Z, masks[g], np.ascontiguousarray(V[g]))


@dataclass
class _FaceCache:
    """Per group, kept across the layouts of :func:`support_newton`: the null space
    ``N_g`` of its face (``basis``, dropped when the face changes), an orthonormal
    basis of the face's normals (``normals``), its columns ``A_g N_g`` transposed
    (``design``); ``eye`` is the identity basis of a group without a face."""

    basis: dict
    normals: dict
    design: dict
    eye: np.ndarray


@dataclass
class _Layout:
    """One active set of :func:`support_newton`: the groups with face variables
    (``blocks``, their bases ``cols``, ``sizes``, offsets ``starts`` and the
    group of each variable ``gid``), the joined columns ``B`` (n, K), the face
    coordinates ``theta`` of the current point, the penalised coordinates ``C θ``
    (``C`` None: θ itself; ``pstarts`` and ``pid`` their group offsets and
    groups), and for a dense system ``H0 = BᵀB / n`` with the entries ``ii``,
    ``jj`` (and ``on_diag``) of its block-diagonal penalty Hessian; ``gram`` is
    what the next layout reuses (:func:`_gram`)."""

    blocks: list
    cols: list
    sizes: np.ndarray
    starts: np.ndarray
    gid: np.ndarray
    B: np.ndarray
    theta: np.ndarray
    C: np.ndarray | None
    pstarts: np.ndarray
    pid: np.ndarray
    H0: np.ndarray | None
    gram: tuple | None
    ii: np.ndarray | None = None
    jj: np.ndarray | None = None
    on_diag: np.ndarray | None = None


def _face_layout(Z, masks, signs, M, S, V, face, open_, cache, gram, gated, norm, free, K, pool):
    """The active set of ``V`` in the coordinates of its faces (a :class:`_Layout`).

    Each non-zero group gets (or keeps, from ``cache``) the null space of its
    active cone rows and its columns; a group whose face is the apex is set to
    zero in ``V``. ``None`` when a Newton system would need more than
    ``_NEWTON_BYTES``, when no group has a face variable, or with a free bias
    above ``_FREE_NEWTON`` variables (block coordinate descent goes on alone).
    """
    n, r = Z.shape[0] // K, Z.shape[1]
    n_pen = r - 1 if free else r
    inf_norm = norm == "l1"
    basis, normals, design, eye = cache.basis, cache.normals, cache.design, cache.eye
    support = np.flatnonzero(np.any(V[:, :n_pen] != 0.0, axis=1))
    if _newton_bytes(n, support.size * r, inf_norm or free) > _NEWTON_BYTES:
        return None  # the face columns would not fit
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
            cols_g = signs[g] * pooled((M[g][:, None] * Z) @ N, K, pool)
            if free:
                cols_g -= cols_g.mean(axis=0)
            design[g] = np.ascontiguousarray(cols_g.T)
        if N.shape[1] == 0:
            V[g] = 0.0  # a face that is only the apex
            continue
        blocks.append(g)
        cols.append(N)
    if not blocks:
        return None
    sizes = np.array([N.shape[1] for N in cols])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    gid = np.repeat(np.arange(len(blocks)), sizes)
    B = np.concatenate([design[g] for g in blocks], axis=0).T  # (n, K), Fortran order
    theta = np.concatenate([N.T @ V[g] for g, N in zip(blocks, cols, strict=True)])
    if free and theta.size > _FREE_NEWTON:
        return None  # too large for the dense solve
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
    lay = _Layout(
        blocks,
        cols,
        sizes,
        starts,
        gid,
        B,
        theta,
        C,
        pstarts,
        pid,
        H0,
        (list(blocks), list(cols), starts, H0) if dense else None,
    )
    if dense and not inf_norm and C is None:
        # the entries of the block-diagonal penalty Hessian
        lay.ii, lay.jj = _block_entries(starts, sizes)
        lay.on_diag = (lay.ii == lay.jj).astype(np.float64)
    return lay


def _newton_direction(lay, cache, theta, grad, w, nrm, alpha, damping, Z, ZZt, M, K, n_pen):
    """The damped Newton step at ``θ`` on the layout ``lay`` (gradient ``grad``; ``w``
    and ``nrm`` the penalised coordinates and their group norms, None for ℓ1).

    Dense (``lay.H0``): the penalty Hessian added block by block, then
    Levenberg–Marquardt damping and Cholesky (:func:`_spd_solve`); otherwise
    the low-rank direct solve (:func:`_lowrank_step`). ``K``: pooled rows per
    sample; ``n_pen``: penalised coordinates per group (with ``lay.C``).
    """
    r = Z.shape[1]
    eye = cache.eye
    blocks, cols, starts, sizes, C = lay.blocks, lay.cols, lay.starts, lay.sizes, lay.C
    if lay.H0 is None:
        # the face normals of each group (none: its columns are ±D_g Z itself)
        face_q = None
        if K == 1:
            none = eye[:, :0]
            face_q = [
                none if N is eye else (cache.normals.get(g) if N.shape[0] == r else None)
                for g, N in zip(blocks, cols, strict=True)
            ]
        return _lowrank_step(
            lay.B, theta, grad, starts, sizes, nrm, alpha, damping, Z, ZZt, M[blocks], face_q
        )
    inf_norm = w is None
    H = lay.H0.copy()
    if not inf_norm and C is None:
        # α (I − w wᵀ / ‖w‖²) / ‖w‖ on each group's block
        ii, jj = lay.ii, lay.jj
        H[ii, jj] += (alpha / nrm[ii]) * (lay.on_diag - w[ii] * w[jj] / (nrm[ii] * nrm[ii]))
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
    return -_spd_solve(H, grad)


def _drop_dying(lay, theta, step, f, value, gated):
    """The point with the groups that the full step sends through (or close to) zero
    set to zero, as ``(θ, value)`` when it is below ``f``; else ``None``.

    In the gated model (no cone to leave) the full step with those groups at
    zero is tried too, and the better of the two kept.
    """
    C, pstarts, gid = lay.C, lay.pstarts, lay.gid
    new = theta + step if C is None else C @ (theta + step)
    old = theta if C is None else C @ theta
    before = np.sqrt(np.add.reduceat(old * old, pstarts))
    after = np.sqrt(np.add.reduceat(new * new, pstarts))
    turn = np.add.reduceat(old * new, pstarts)
    dying = (turn <= 0.0) | (after < 0.1 * before)
    if not dying.any():
        return None
    cand = np.where(dying[gid], 0.0, theta)
    fc = value(cand)
    if gated:
        cand_step = np.where(dying[gid], 0.0, theta + step)
        fc_step = value(cand_step)
        if fc_step < fc:
            cand, fc = cand_step, fc_step
    return (cand, fc) if fc < f else None


def _step_limit(
    Z, masks, face, open_, cache, V, lay, theta, step, f, value, along, inf_norm, gated
):
    """How far the step may go before the active set changes: ``(t, hit, truncated)``.

    ``t`` is the first step length at which an ℓ1 coordinate reaches zero
    (``hit = ("coord", i)``) or a group reaches a cone constraint not on its
    face (``hit = ("row", g, j)``), 1 and ``None`` when none does. For cone
    constraints each group is first stopped at its own first one
    (:func:`_truncated_step`): when that decreases the objective, those
    constraints join the faces and ``truncated`` is the new ``(θ, value)``.
    ``None`` when constraints already (nearly) active would stop the step at
    once (within ``_BLOCKED_STEP``): they all join the faces, without a step.
    """
    t, hit = 1.0, None
    if inf_norm:
        cross = theta * step < 0.0
        if cross.any():
            ratios = -theta[cross] / step[cross]
            k = int(np.argmin(ratios))
            if ratios[k] < 1.0:
                t, hit = float(ratios[k]), ("coord", int(np.flatnonzero(cross)[k]))
        return t, hit, None
    if gated:  # no cone to reach
        return t, hit, None
    blocks, cols, starts, sizes = lay.blocks, lay.cols, lay.starts, lay.sizes
    dV = np.array([N @ step[starts[k] : starts[k] + sizes[k]] for k, N in enumerate(cols)])
    rows = np.asarray(blocks, dtype=np.int64)
    ratios = np.empty((rows.size, Z.shape[0]))
    first = np.empty(rows.size)
    _step_ratios(masks, rows, face, ~open_[rows], V[rows] @ Z.T, dV @ Z.T, ratios, first)
    if not np.isfinite(first).any():
        return t, hit, None
    blocked = ratios < _BLOCKED_STEP
    if blocked.any():
        for k, j in zip(*np.nonzero(blocked), strict=True):
            face[blocks[k], j] = True
            cache.basis.pop(blocks[k], None)
        return None
    k = int(np.argmin(first))
    j = int(np.argmin(ratios[k]))
    if ratios[k, j] < 1.0:
        t, hit = float(ratios[k, j]), ("row", blocks[k], j)
        # each group stopped at its own first constraint (the constraints are separable
        # by group): many join the faces in one step
        out = _truncated_step(theta, step, ratios, first, sizes, t, value, along, f)
        if out is not None:
            theta, fc, reached = out
            for kk, jj in reached:
                face[blocks[kk], jj] = True
                cache.basis.pop(blocks[kk], None)
            return t, hit, (theta, fc)
    return t, hit, None


def _line_search(theta, step, t, f, grad, value, gradient, along, polish):
    """Backtracking from the step length ``t``: ``(t, θ, value, crossed, rounded)`` at
    the first point below ``f``, or ``None``.

    ``polish``: the step is judged at ``t`` alone, and taken when it is no
    worse up to rounding and has a smaller gradient (``rounded`` True).
    """
    while t > 1e-12:
        cand, crossed = along(theta, step, t)
        fc = value(cand)
        if fc < f:
            return t, cand, fc, crossed, False
        if polish:
            # no worse up to rounding, and a smaller gradient
            if fc <= f + ROUND_RTOL * abs(f) and np.linalg.norm(gradient(cand)[0]) < np.linalg.norm(
                grad
            ):
                return t, cand, fc, crossed, True
            t = 0.0
        else:
            t *= 0.5
    return None


def _newton_bytes(n, n_var, always_dense=False):
    """Working memory of one Newton system of :func:`support_newton` (bytes, at most) with
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
    res = y - pooled(np.einsum("gj,gj->j", signs[:, None] * masks, V @ Z.T), K, pool)
    if free:
        res -= res.mean()
    rows = spread(res, K, pool)
    floor = n * alpha * (1.0 + PRICE_RTOL)
    values = restricted_values(Z, masks[zero], signs[zero], rows, norm, gated, free, floor=floor)
    enter = zero[values > floor]
    if enter.size == 0:
        return False
    sub = np.zeros((enter.size, r))
    m = np.ascontiguousarray(masks[enter])
    blocks = pooled_blocks(Z, m, K, pool)
    lips = group_lipschitz(Z, m, K, blocks)
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
    constraint was released (``n`` samples, ``pooling`` as in
    :func:`geolasso._crelu_bcd.solve_bcd`).
    """
    res = y - pooled(np.einsum("gj,gj->j", signs[:, None] * M, V @ Z.T), *pooling)
    if free:
        res -= res.mean()
    res = spread(res, *pooling)
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
