"""Each step of the arrangement solver called alone, against Clarabel (through cvxpy).

The steps of :func:`geolasso.crelu.solve_crelu` live in their own modules: the
groups' dual values (``_crelu_groups``), the dual bound on a ray (``_dual``),
the restricted solve by block coordinate descent (``_crelu_bcd``) or by the
barrier method (``_crelu_barrier``), and the active-set Newton finish
(``_crelu_newton``). Here each is run on a fixed working set and checked
against the same restricted program solved by an interior-point method.
"""

import cvxpy as cp
import numpy as np
import pytest
from _oracles import solve
from numpy.testing import assert_allclose

from geolasso._crelu_barrier import Barrier
from geolasso._crelu_bcd import solve_bcd
from geolasso._crelu_groups import pen_norms, restricted_values
from geolasso._crelu_newton import support_newton
from geolasso._dual import dual_ratio, ray_bound
from geolasso.arrangements import sample_patterns


def _working_set(seed, n=30, d=2, n_groups=8, bias="regularized"):
    """Samples, targets, ``Z`` and a working set of (pattern, sign) groups."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.sign(rng.normal(size=n)) + 0.1 * rng.normal(size=n)
    patterns = sample_patterns(X, 3 * n_groups, bias=bias, random_state=seed)
    Z = np.column_stack([X, np.ones(n)])
    keep = np.flatnonzero(patterns.patterns.any(axis=1))[:n_groups]
    masks = np.ascontiguousarray(patterns.patterns[keep], dtype=np.bool_)
    signs = np.where(np.arange(keep.size) % 2 == 0, 1.0, -1.0)
    return Z, y, masks, signs, patterns.gates[keep]


def _clarabel_restricted(Z, y, masks, signs, alpha, *, norm="l2", gated=False, free=False):
    """The restricted program on the working set, by Clarabel."""
    n, r = Z.shape
    D = masks.astype(float)
    V = cp.Variable((masks.shape[0], r))
    fit = cp.sum(cp.multiply((signs[:, None] * D).T, Z @ V.T), axis=1)
    c = cp.Variable() if free else 0.0
    pen = slice(0, r - 1) if free else slice(0, r)
    penalty = cp.sum(cp.norm(V[:, pen], 1 if norm == "l1" else 2, axis=1))
    cons = [] if gated else [cp.multiply((2.0 * D - 1.0).T, Z @ V.T) >= 0]
    loss = cp.sum_squares(y - fit - c) / (2 * n)
    return solve(cp.Problem(cp.Minimize(loss + alpha * penalty), cons))


def _objective(Z, y, masks, signs, V, alpha, *, norm="l2", free=False):
    """The restricted objective of ``V``, computed here (the intercept minimised out)."""
    res = y - np.einsum("gj,gj->j", signs[:, None] * masks, V @ Z.T)
    if free:
        res = res - res.mean()
    n_pen = Z.shape[1] - 1 if free else Z.shape[1]
    return float(res @ res) / (2 * len(y)) + alpha * float(pen_norms(V, n_pen, norm).sum())


def _in_cones(Z, masks, V):
    slack = (2.0 * masks - 1.0) * (V @ Z.T)
    return slack.min() >= -1e-9 * max(1.0, np.abs(V).max())


@pytest.mark.parametrize("gated", [False, True], ids=["relu", "gated"])
def test_restricted_values_match_clarabel(gated):
    # the dual-constraint value of each group: max of s λᵀ D Z u over the cone and ‖u‖₂ <= 1
    Z, _, masks, signs, _ = _working_set(3)
    lam = np.random.default_rng(4).normal(size=Z.shape[0])
    values = restricted_values(Z, masks, signs, lam, "l2", gated, floor=-1.0)  # all exact
    for g in range(masks.shape[0]):
        u = cp.Variable(Z.shape[1])
        h = signs[g] * (Z.T @ (masks[g] * lam))
        if gated:
            expected = np.linalg.norm(h)
        else:
            cone = [cp.multiply(2.0 * masks[g] - 1.0, Z @ u) >= 0, cp.norm(u, 2) <= 1]
            expected = solve(cp.Problem(cp.Maximize(h @ u), cone))
        assert_allclose(values[g], expected, rtol=1e-6, atol=1e-8)


def _cone_values(Z, masks, signs, lam):
    """Each group's dual value ``max s λᵀ D Z u`` over its cone and ``‖u‖₂ <= 1``, by Clarabel."""
    out = []
    for g in range(masks.shape[0]):
        u = cp.Variable(Z.shape[1])
        h = signs[g] * (Z.T @ (masks[g] * lam))
        cone = [cp.multiply(2.0 * masks[g] - 1.0, Z @ u) >= 0, cp.norm(u, 2) <= 1]
        out.append(solve(cp.Problem(cp.Maximize(h @ u), cone)))
    return np.array(out)


@pytest.mark.parametrize("warmed", [False, True], ids=["cold", "warm"])
def test_restricted_values_bound_every_group_and_give_the_largest_exactly(warmed):
    # more groups than one exact block: the lazy maximum prices some groups by their cheap
    # bounds (‖h‖, or the last passive set's), which must still bound their values, while
    # the largest is exact; the warm passive sets come from a nearby λ
    Z, _, masks, signs, _ = _working_set(7, n=40, d=3, n_groups=30)
    rng = np.random.default_rng(8)
    lam = rng.normal(size=Z.shape[0])
    warm = None
    if warmed:
        warm = np.zeros(masks.shape, dtype=np.bool_)
        restricted_values(
            Z,
            masks,
            signs,
            lam + 0.05 * rng.normal(size=lam.size),
            "l2",
            False,
            warm=warm,
            floor=-1.0,
        )
    values = restricted_values(Z, masks, signs, lam, "l2", False, warm=warm)
    expected = _cone_values(Z, masks, signs, lam)
    assert np.all(values >= expected - 1e-7 * (1.0 + np.abs(expected)))
    assert_allclose(values.max(), expected.max(), rtol=1e-6)
    floor = float(np.median(expected))  # every value above a floor is exact
    above = restricted_values(Z, masks, signs, lam, "l2", False, warm=warm, floor=floor)
    exact = expected > floor * (1.0 + 1e-6)
    assert_allclose(above[exact], expected[exact], rtol=1e-6)
    assert np.all(above >= expected - 1e-7 * (1.0 + np.abs(expected)))


def test_cone_projection_is_the_same_from_any_warm_passive_set():
    # Lawson–Hanson from a passive set whose least squares has negative coefficients (they
    # are dropped) or from a wrong one must reach the cold start's projection; the bound of
    # a passive set alone (clipped least squares) is never below the projection's norm
    from geolasso._crelu_kernels import _nnls_cone, _warm_bound

    Z, _, masks, _, _ = _working_set(9, n=40, d=3, n_groups=6)
    rng = np.random.default_rng(10)
    n, r = Z.shape
    ones = np.ones(r)
    for g in range(masks.shape[0]):
        h = rng.normal(size=r)
        cold = np.zeros(n, dtype=np.bool_)
        ref = _nnls_cone(Z, masks[g], ones, h, np.empty(n), cold)
        u = cp.Variable(r)
        solve(
            cp.Problem(
                cp.Minimize(cp.sum_squares(u - h)), [cp.multiply(2.0 * masks[g] - 1.0, Z @ u) >= 0]
            )
        )
        assert_allclose(ref, u.value, atol=1e-6)  # the NNLS residual is the projection
        # the optimal passive set gives the projection's norm at once
        assert_allclose(_warm_bound(Z, masks[g], h, cold), np.linalg.norm(ref), rtol=1e-9)
        for trial in range(6):
            warm = rng.random(n) < [0.02, 0.05, 0.1, 0.2, 0.5, 0.0][trial]
            bound = _warm_bound(Z, masks[g], h, warm)
            assert bound >= np.linalg.norm(ref) * (1.0 - 1e-12)
            got = _nnls_cone(Z, masks[g], ones, h, np.empty(n), warm.copy())
            assert_allclose(got, ref, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    ("gated", "free"),
    [(False, False), (True, False), (False, True)],
    ids=["relu", "gated", "relu-free-bias"],
)
def test_solve_bcd_reaches_the_restricted_optimum(gated, free):
    Z, y, masks, signs, _ = _working_set(5, bias="free" if free else "regularized")
    if gated:
        signs = np.ones_like(signs)
    alpha = 2e-3
    y_t = y - y.mean() if free else y
    V0 = np.zeros((masks.shape[0], Z.shape[1]))
    V, passes = solve_bcd(Z, y_t, masks, signs, alpha, "l2", gated, V0, 1e-13, 100_000, free)
    expected = _clarabel_restricted(Z, y, masks, signs, alpha, gated=gated, free=free)
    value = _objective(Z, y, masks, signs, V, alpha, free=free)
    assert_allclose(value, expected, rtol=1e-7)
    assert passes > 0
    assert gated or _in_cones(Z, masks, V)
    # the dual bound on the ray of the residual (the solver's certificate) is a lower bound,
    # tight at the optimum
    res = y_t - np.einsum("gj,gj->j", signs[:, None] * masks, V @ Z.T)
    res = res - res.mean() if free else res
    lower = ray_bound(
        y_t,
        res,
        dual_ratio(restricted_values(Z, masks, signs, res, "l2", gated, free), len(y) * alpha),
    )
    assert lower <= expected * (1 + 1e-9)
    assert_allclose(lower, expected, rtol=1e-6)


@pytest.mark.parametrize("gated", [False, True], ids=["relu", "gated"])
def test_support_newton_finishes_a_rough_solve(gated):
    # a few block-coordinate passes, then the Newton finish alone reaches the optimum
    Z, y, masks, signs, _ = _working_set(7)
    if gated:
        signs = np.ones_like(signs)
    alpha = 2e-3
    V0 = np.zeros((masks.shape[0], Z.shape[1]))
    rough, _ = solve_bcd(Z, y, masks, signs, alpha, "l2", gated, V0, 0.0, 10, newton_steps=0)
    expected = _clarabel_restricted(Z, y, masks, signs, alpha, gated=gated)
    before = _objective(Z, y, masks, signs, rough, alpha)
    assert before > expected * (1 + 1e-6)  # the rough solve is not there yet
    V = rough
    for _ in range(5):  # an attempt stops when the active set would change too much
        W = support_newton(Z, y, masks, signs, alpha, "l2", gated, V, max_steps=200)
        if W is None:
            break
        V = W
    value = _objective(Z, y, masks, signs, V, alpha)
    assert value < before
    assert_allclose(value, expected, rtol=1e-7)
    assert gated or _in_cones(Z, masks, V)


def test_barrier_matches_clarabel_for_the_l1_norm():
    Z, y, masks, signs, gates = _working_set(9)
    alpha = 2e-3
    n_pen = Z.shape[1]
    prob = Barrier(Z, y, masks, signs, alpha, n_pen, False)
    V, steps, _ = prob.solve(gates, 1e-11, 400)
    expected = _clarabel_restricted(Z, y, masks, signs, alpha, norm="l1")
    assert_allclose(_objective(Z, y, masks, signs, V, alpha, norm="l1"), expected, rtol=1e-7)
    assert_allclose(prob.objective(V), expected, rtol=1e-7)
    assert steps > 0
    assert _in_cones(Z, masks, V)
