"""The arrangement program (C-ReLU / C-GReLU, docs/mathematics.md §2.2–2.4) against oracles."""

import warnings

import cvxpy as cp
import numpy as np
import pytest
from _oracles import activation_patterns, crelu_value, solve
from numpy.testing import assert_allclose

import geolasso._crelu_newton as crelu_newton
import geolasso._pattern_pricing as pricing
import geolasso.auto as auto
import geolasso.crelu as crelu
from geolasso import certify
from geolasso.arrangements import enumerate_patterns, sample_patterns
from geolasso.convex import ConvexReLU
from geolasso.crelu import solve_crelu, to_network
from geolasso.exceptions import ConvergenceWarning, DictionaryTooLargeError, GeolassoWarning

BIAS_NAME = {True: "free", False: "none", "regularized": "regularized"}

# the mathematics page's small random problems: d = 2 with and without bias, d = 3 without
SETTINGS = [(True, 2), (False, 2), (False, 3), ("regularized", 2)]


def _problem(seed, d):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(6, 9))
    X = rng.normal(size=(n, d))
    y = rng.normal(size=n)
    return X, y, 0.3 / n  # β = 0.3


def _fit(X, y, alpha, bias, norm, **kw):
    return ConvexReLU(alpha, method="arrangement", norm=norm, bias=bias, tol=1e-10, **kw).fit(X, y)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("bias", "d"), SETTINGS)
def test_weight_decay_optimum_equals_the_exact_convex_program(seed, bias, d):
    X, y, alpha = _problem(seed, d)
    model = _fit(X, y, alpha, bias, "l2")
    value, _ = crelu_value(X, y, alpha, bias=BIAS_NAME[bias], norm="l2")
    assert_allclose(model.objective_, value, rtol=1e-7)
    assert model.exact_
    assert model.patterns_.exact
    # the recovered network's objective is the convex objective of the returned point
    direct = model.network_.objective(X, y, alpha, norm="l2", bias=BIAS_NAME[bias])
    assert_allclose(direct, model.solution_.objective, rtol=1e-8)
    # and the exact ℓ2 certificate (pattern cones) closes on it
    cert = model.certificate_
    assert cert.exact
    assert cert.gap <= 1e-6 * value
    assert cert.lower_bound <= value * (1 + 1e-9)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("bias", "d"), SETTINGS)
def test_l1_arrangement_optimum_equals_the_wedge_l1_optimum(seed, bias, d):
    X, y, alpha = _problem(seed, d)
    with warnings.catch_warnings():
        # the ℓ1 program's own certificate can stall near 1e-5 relative (the barrier's point
        # is not at machine precision); the optimum is checked against two oracles below
        warnings.simplefilter("ignore", ConvergenceWarning)
        arrangement = _fit(X, y, alpha, bias, "l1")
    wedge = ConvexReLU(alpha, method="wedge", norm="l1", bias=bias, tol=1e-12).fit(X, y)
    assert_allclose(arrangement.objective_, wedge.objective_, rtol=1e-7)
    value, _ = crelu_value(X, y, alpha, bias=BIAS_NAME[bias], norm="l1")
    assert_allclose(arrangement.objective_, value, rtol=1e-7)


def test_predictions_are_the_sums_of_masked_linear_pieces():
    # docs/mathematics.md T14: the network's outputs equal c + Σ_i D_i Z (v_i - u_i) on the data
    X, y, alpha = _problem(5, 2)
    patterns = enumerate_patterns(X)
    res = solve_crelu(X, y, alpha, patterns, tol=1e-10)
    Z = np.column_stack([X, np.ones(len(X))])
    pieces = res.intercept + sum(
        s * patterns.patterns[p] * (Z @ row)
        for row, p, s in zip(res.coef, res.pattern, res.sign, strict=True)
    )
    net = to_network(res, patterns, "l2")
    assert_allclose(net.predict(X), pieces, atol=1e-12)
    assert np.all(np.abs(net.v) > 0)


def test_l2_certificate_is_positive_and_valid_for_a_perturbed_network():
    X, y, alpha = _problem(7, 3)
    value, _ = crelu_value(X, y, alpha, bias="none", norm="l2")
    model = _fit(X, y, alpha, False, "l2")
    net = model.network_
    rng = np.random.default_rng(0)
    net.W = net.W + 0.05 * rng.normal(size=net.W.shape)
    cert = certify(net, X, y, alpha, norm="l2", bias=False)
    assert cert.exact  # the patterns of 7-8 samples in R^3 are enumerated
    assert cert.objective > value * (1 + 1e-4)
    assert cert.gap > 1e-4 * value
    assert cert.lower_bound <= value * (1 + 1e-9)  # a valid lower bound on the optimum


def test_sampled_patterns_give_an_upper_bound_and_are_not_exact():
    X, y, alpha = _problem(3, 3)
    exact = _fit(X, y, alpha, False, "l2")
    sampled = _fit(X, y, alpha, False, "l2", patterns=5, random_state=0)
    assert not sampled.exact_
    assert not sampled.patterns_.exact
    assert sampled.objective_ >= exact.objective_ * (1 - 1e-9)
    assert sampled.patterns_.n_patterns <= 5


def _gated_value(X, y, alpha, patterns, bias):
    """min (1/2n)‖y - c - Σ D_i Z u_i‖² + α Σ ‖u_i^(w)‖ (docs/mathematics.md §2.4), in cvxpy."""
    n, d = X.shape
    Z = np.column_stack([X, np.ones(n)])
    U = cp.Variable((patterns.shape[0], Z.shape[1]))
    fit = cp.sum(cp.multiply(patterns.T, Z @ U.T), axis=1)
    c = cp.Variable() if bias == "free" else 0.0
    cols = slice(0, d) if bias == "free" else slice(0, d + 1)
    penalty = cp.sum(cp.norm(U[:, cols], 2, axis=1))
    objective = cp.sum_squares(y - fit - c) / (2 * n) + alpha * penalty
    return solve(cp.Problem(cp.Minimize(objective)))


def test_spec_t15_gated_relaxation_and_its_free_bias_degeneracy():
    X, y, alpha = _problem(11, 2)
    X, y = X[:8], y[:8]
    relu = _fit(X, y, alpha, "regularized", "l2")
    gated = _fit(X, y, alpha, "regularized", "l2", gated=True)
    Z = np.column_stack([X, np.ones(len(X))])
    patterns = activation_patterns(Z)
    patterns = patterns[patterns.any(axis=1)]
    assert_allclose(gated.objective_, _gated_value(X, y, alpha, patterns, "regularized"), rtol=1e-7)
    assert gated.objective_ <= relu.objective_ * (1 + 1e-9)  # a relaxation
    # the gated model predicts with its gates, and reproduces its objective
    n = len(y)
    fit_value = np.sum((gated.predict(X) - y) ** 2) / (2 * n)
    penalty = alpha * np.linalg.norm(gated.solution_.coef, axis=1).sum()
    assert_allclose(fit_value + penalty, gated.objective_, rtol=1e-9)
    # with free gate biases the program is degenerate (optimum ~ 0): geolasso refuses it
    if np.linalg.matrix_rank(patterns.T) == len(y):
        assert _gated_value(X, y, alpha, patterns, "free") < 1e-6 * relu.objective_
    with pytest.raises(ValueError, match="degenerate"):
        _fit(X, y, alpha, True, "l2", gated=True)


@pytest.mark.parametrize(
    ("X", "y", "bias", "alpha", "exact", "data_only"),
    [
        (
            [[0.0, 0.0], [1.0, 0.0]],
            [0.0, 1.0],
            True,
            0.05,
            0.09 / 2,
            0.25 / 2,
        ),  # docs/mathematics.md T11
        ([[1.0, 0.0]], [1.0], False, 0.1, 0.095, 0.5),  # docs/mathematics.md T12
    ],
    ids=["T11", "T12"],
)
def test_spec_t11_t12_arrangement_reaches_what_data_only_wedges_cannot(
    X, y, bias, alpha, exact, data_only
):
    X, y = np.array(X), np.array(y)
    for norm in ("l2", "l1"):
        arrangement = _fit(X, y, alpha, bias, norm)
        assert_allclose(arrangement.objective_, exact, rtol=1e-7)
        assert arrangement.exact_
    # every hyperplane through the data contains all samples: no data-only wedge feature is
    # non-zero, so that dictionary is stuck at the zero network (the fit says so)
    with pytest.raises(ValueError, match="no atom survives"):
        ConvexReLU(alpha, norm="l2", bias=bias, generators="data").fit(X, y)
    zero = np.mean((y - (y.mean() if bias else 0.0)) ** 2) / 2
    assert_allclose(zero, data_only, rtol=1e-12)
    assert arrangement.objective_ < data_only


def test_bad_input_has_clear_errors(monkeypatch):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 3)), rng.normal(size=30)
    with pytest.raises(DictionaryTooLargeError, match=r"activation patterns.*sample_patterns"):
        ConvexReLU(method="arrangement", patterns="exact", memory_limit=10_000).fit(X, y)
    with pytest.raises(ValueError, match="gated=True is the gated-ReLU program"):
        ConvexReLU(gated=True).fit(X, y)
    with pytest.raises(ValueError, match=r"'patterns' parameter .* Got 'some' instead"):
        ConvexReLU(method="arrangement", patterns="some").fit(X, y)
    other = sample_patterns(X[:5], 10, random_state=0)
    with pytest.raises(ValueError, match="computed on 5 samples"):
        ConvexReLU(method="arrangement", patterns=other).fit(X, y)
    with pytest.raises(ValueError, match="path is supported by method='wedge' only"):
        ConvexReLU(method="arrangement", path=3).fit(X, y)
    # too many patterns for "auto": a seeded sample, with a warning naming the numbers
    monkeypatch.setattr(auto, "AUTO_MAX_PATTERNS", 100)
    monkeypatch.setattr(auto, "AUTO_SAMPLE_GATES", 50)
    with pytest.warns(GeolassoWarning, match=r"up to [\d,]+ activation patterns.*50 sampled"):
        model = ConvexReLU(0.05, method="arrangement", random_state=0).fit(X, y)
    assert not model.exact_
    assert model.patterns_.n_patterns <= 50


def test_complex_input_to_the_program_is_refused_not_cast():
    from geolasso.exceptions import ComplexDataError

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 2)), rng.normal(size=8)
    patterns = enumerate_patterns(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not a ComplexWarning: an error before any cast
        with pytest.raises(ComplexDataError, match="X must contain real numbers"):
            crelu.solve_crelu(X + 1j, y, 0.05, patterns)
        with pytest.raises(ComplexDataError, match="y must contain real numbers"):
            crelu.solve_crelu(X, y + 1j, 0.05, patterns)
        net = crelu.to_network(crelu.solve_crelu(X, y, 0.05, patterns), patterns, "l2")
        with pytest.raises(ComplexDataError, match="X must contain real numbers"):
            crelu.start_from_network(net, patterns, X + 1j)


def test_degenerate_data_repeated_and_collinear_samples():
    # three collinear points and a repeated one: the enumeration's fallback handles them
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [2.0, 2.0], [0.0, 1.0], [1.0, -1.0]])
    y = np.array([0.0, 1.0, 0.5, 0.5, -1.0, 2.0])
    alpha = 0.05
    model = _fit(X, y, alpha, True, "l2")
    value, _ = crelu_value(X, y, alpha, bias="free", norm="l2")
    assert_allclose(model.objective_, value, rtol=1e-7)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_cone_proximal_map_is_the_shrunk_projection(seed):
    # the block step of the coordinate-descent solver: prox of μ‖·‖₂ + ι_K = shrink ∘ project
    from geolasso._crelu_groups import project_cone as _project_cone

    rng = np.random.default_rng(seed)
    n, r = 9, 3
    Z = np.column_stack([rng.normal(size=(n, r - 1)), np.ones(n)])
    mask = Z @ rng.normal(size=r) > 0
    z = rng.normal(size=r) * 2.0
    mu = float(rng.uniform(0.1, 1.5))
    x = cp.Variable(r)
    S = (2.0 * mask - 1.0)[:, None] * Z
    value = solve(
        cp.Problem(cp.Minimize(cp.sum_squares(x - z) / 2 + mu * cp.norm(x, 2)), [S @ x >= 0])
    )
    p = _project_cone(Z, mask, z)
    ours = max(0.0, 1.0 - mu / np.linalg.norm(p)) * p
    assert np.all(S @ ours >= -1e-12)  # feasible
    ours_value = np.sum((ours - z) ** 2) / 2 + mu * np.linalg.norm(ours)
    assert ours_value <= value + 1e-9  # and optimal (the minimiser is unique)
    assert_allclose(ours, x.value, atol=1e-4)


def test_free_bias_proximal_map_matches_clarabel():
    # the block step with a free bias: prox of τ‖u_w‖₂ + ι_K (the bias coordinate unpenalised)
    # is not shrink ∘ project; the kernel's fixed-point search must still be the minimiser
    from geolasso._crelu_kernels import _prox_free

    rng = np.random.default_rng(11)
    searched = 0  # instances where neither cheap case applies (the fixed-point search)
    for _ in range(40):
        n, d = int(rng.integers(5, 20)), int(rng.integers(1, 4))
        Z = np.column_stack([rng.normal(size=(n, d)), np.ones(n)])
        mask = Z @ rng.normal(size=d + 1) > 0
        z = rng.normal(size=d + 1) * 2.0
        tau = float(rng.uniform(0.05, 2.0))
        S = (2.0 * mask - 1.0)[:, None] * Z
        x = cp.Variable(d + 1)
        value = solve(
            cp.Problem(
                cp.Minimize(cp.sum_squares(x - z) / 2 + tau * cp.norm(x[:d], 2)), [S @ x >= 0]
            )
        )
        ours = _prox_free(Z, mask, z, tau, np.empty(n), np.zeros(n, dtype=bool))
        assert np.all(S @ ours >= -1e-12)  # feasible
        ours_value = np.sum((ours - z) ** 2) / 2 + tau * np.linalg.norm(ours[:d])
        assert ours_value <= value + 1e-9  # and optimal (the minimiser is unique)
        assert_allclose(ours, x.value, atol=1e-4)
        shrunk = z.copy()
        shrunk[:d] *= max(0.0, 1.0 - tau / np.linalg.norm(z[:d]))
        searched += bool(np.any(S @ shrunk < 0.0) and np.any(ours != 0.0))
    assert searched >= 5


def test_warm_started_nnls_matches_scipy():
    # the cone projections start from the previous passive set; any start gives the optimum
    from scipy.optimize import nnls

    from geolasso._crelu_kernels import _nnls_warm

    rng = np.random.default_rng(4)
    for _ in range(30):
        k, m = int(rng.integers(2, 8)), int(rng.integers(3, 30))
        E, h = rng.normal(size=(k, m)), rng.normal(size=k) * 3.0
        ref = nnls(E, -h)[1]  # min ‖E μ − (−h)‖
        for warm in (np.zeros(m, bool), rng.random(m) < 0.3, nnls(E, -h)[0] > 0):
            start = warm.copy()
            mu = np.empty(m)
            res = _nnls_warm(E, h, mu, start)
            assert np.all(mu >= 0.0)
            assert_allclose(res, h + E @ mu, atol=1e-12)
            assert np.linalg.norm(res) <= ref + 1e-10
            assert np.array_equal(start, mu > 0.0)  # the passive set is handed back


def test_start_from_network_inverts_the_recovery_map():
    # a wedge-ℓ2 network (neurons through samples, on cell boundaries) maps to groups on
    # enumerated patterns with the same function and the network's penalty at balance
    from geolasso.crelu import start_from_network

    X, y, alpha = _problem(3, 2)
    wedge = ConvexReLU(alpha, method="wedge", norm="l2", tol=1e-10).fit(X, y)
    net = wedge.network_
    patterns = enumerate_patterns(X)
    (idx, sign, coef), missing = start_from_network(net, patterns, X)
    assert missing == 0
    assert len(idx) == net.n_neurons
    Z = np.column_stack([X, np.ones(len(X))])
    assert np.all((2.0 * patterns.patterns[idx] - 1.0) * (coef @ Z.T) >= -1e-9)  # in the cones
    pieces = sum(
        s * patterns.patterns[p] * (Z @ row) for row, p, s in zip(coef, idx, sign, strict=True)
    )
    assert_allclose(pieces + net.c, net.predict(X), atol=1e-10)
    penalty = alpha * np.linalg.norm(coef[:, :-1], axis=1).sum()
    direct = net.objective(X, y, alpha, norm="l2") - np.sum((net.predict(X) - y) ** 2) / (
        2 * len(y)
    )
    assert_allclose(penalty, direct, rtol=1e-9)  # the wedge fit's neurons are balanced
    # started there, the solver reaches the exact optimum (cvxpy/Clarabel)
    res = solve_crelu(X, y, alpha, patterns, start=(idx, sign, coef), tol=1e-10)
    value, _ = crelu_value(X, y, alpha, bias="free", norm="l2")
    assert_allclose(res.objective, value, rtol=1e-7)
    assert res.objective <= wedge.objective_ * (1 + 1e-12)


def test_gated_l1_program_is_a_lasso_over_masked_columns():
    # with the ℓ1 norm the gated program is a Lasso whose columns are D_i Z[:, a]
    from sklearn.linear_model import Lasso

    rng = np.random.default_rng(5)
    n, d = 30, 3
    X, y = rng.normal(size=(n, d)), rng.normal(size=n)
    patterns = sample_patterns(X, 40, bias="regularized", random_state=0)
    Z = np.column_stack([X, np.ones(n)])
    cols = np.column_stack([m[:, None] * Z for m in patterns.patterns.astype(float)])
    alpha = 0.02
    res = solve_crelu(X, y, alpha, patterns, norm="l1", gated=True, tol=1e-10)
    lasso = Lasso(alpha=alpha, fit_intercept=False, tol=1e-12, max_iter=200_000).fit(cols, y)
    value = np.sum((y - cols @ lasso.coef_) ** 2) / (2 * n) + alpha * np.abs(lasso.coef_).sum()
    assert_allclose(res.objective, value, rtol=1e-8)
    assert res.gap <= 1e-9 * res.objective


@pytest.mark.parametrize(
    ("bias", "gated", "newton"),
    [
        ("regularized", False, True),
        ("regularized", True, True),
        ("free", False, True),
        ("regularized", True, False),
    ],
)
def test_sampled_program_at_small_penalty_matches_clarabel(bias, gated, newton, monkeypatch):
    # many active groups on shared faces: the coordinate-descent + active-set Newton path
    # (with a free bias: its own proximal map, the intercept minimised out); without the
    # Newton finish (its memory budget at 0 bytes) coordinate descent must get there alone
    # in the gated model (with cones it stalls far from the optimum: the finish is needed)
    if not newton:
        monkeypatch.setattr(crelu_newton, "_NEWTON_BYTES", 0)
    rng = np.random.default_rng(11)
    n, d = 40, 2
    X, y = rng.normal(size=(n, d)), np.sign(rng.normal(size=n))
    patterns = sample_patterns(X, 60, bias=bias, random_state=1)
    Z = np.column_stack([X, np.ones(n)])
    D = patterns.patterns.astype(float)
    alpha = 1e-3
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = solve_crelu(X, y, alpha, patterns, gated=gated, tol=1e-10)
    pen = slice(0, d) if bias == "free" else slice(0, d + 1)
    c = cp.Variable() if bias == "free" else 0.0
    V = cp.Variable((D.shape[0], d + 1))
    penalty = cp.sum(cp.norm(V[:, pen], 2, axis=1))
    if gated:
        fit, cons = cp.sum(cp.multiply(D.T, Z @ V.T), axis=1), []
    else:
        U = cp.Variable((D.shape[0], d + 1))
        fit = cp.sum(cp.multiply(D.T, Z @ (V - U).T), axis=1)
        penalty = penalty + cp.sum(cp.norm(U[:, pen], 2, axis=1))
        S = 2.0 * D - 1.0
        cons = [cp.multiply(S.T, Z @ V.T) >= 0, cp.multiply(S.T, Z @ U.T) >= 0]
    value = solve(
        cp.Problem(cp.Minimize(cp.sum_squares(y - fit - c) / (2 * n) + alpha * penalty), cons)
    )
    assert_allclose(res.objective, value, rtol=1e-7)
    assert res.lower_bound <= value * (1 + 1e-9)
    assert res.relative_gap <= 1e-6  # the solver's own certified gap


def _damped_newton_hessian(B, theta, starts, sizes, nrm, alpha, damping, per_group=None):
    """The Newton Hessian BᵀB / n + blockdiag(α (I − u uᵀ) / ‖θ_g‖), assembled explicitly, with
    its Levenberg–Marquardt term: damping times the diagonal (its mean over each group of
    ``per_group``) plus a 1e-12 ridge."""
    n = B.shape[0]
    H = B.T @ B / n
    for s0, k in zip(starts, sizes, strict=True):
        u = theta[s0 : s0 + k] / nrm[s0]
        H[s0 : s0 + k, s0 : s0 + k] += alpha / nrm[s0] * (np.eye(k) - np.outer(u, u))
    diag = np.diagonal(H).copy()
    lm = diag.copy()
    if per_group is not None:
        for g in np.flatnonzero(per_group):
            cut = slice(starts[g], starts[g] + sizes[g])
            lm[cut] = diag[cut].mean()
    H[np.diag_indices_from(H)] += damping * lm + 1e-12 * diag.mean()
    return H


def test_woodbury_newton_step_matches_a_dense_solve():
    # the low-rank Newton step (two Woodbury identities, U never formed) against the
    # explicitly assembled Hessian solved by LAPACK
    from geolasso._crelu_newton import _lowrank_step

    rng = np.random.default_rng(12)
    n, alpha = 15, 0.03
    sizes = rng.integers(2, 7, size=9)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    K = int(sizes.sum())  # more variables than samples: BᵀB is singular
    B, theta, grad = rng.normal(size=(n, K)), rng.normal(size=K), rng.normal(size=K)
    gid = np.repeat(np.arange(sizes.size), sizes)
    nrm = np.sqrt(np.add.reduceat(theta**2, starts))[gid]
    for damping in (1e-12, 1e-4, 1e-1):
        H = _damped_newton_hessian(B, theta, starts, sizes, nrm, alpha, damping)
        step = _lowrank_step(B, theta, grad, starts, sizes, nrm, alpha, damping)
        assert_allclose(step, -np.linalg.solve(H, grad), rtol=1e-7, atol=1e-9)


def test_hadamard_capacitance_newton_step_matches_a_dense_solve():
    # a group with columns ±D_g Z N_g (N_g N_gᵀ = I − Q_g Q_gᵀ, Q_g its face normals; none
    # for gated groups) enters the capacitance as a Hadamard term Z Zᵀ ∘ (Mᵀ diag(1/a) M)
    # minus a rank-f correction, with one damping value per such group (its mean diagonal):
    # against the explicitly assembled, identically damped Hessian solved by LAPACK, with
    # the faced groups through the correction and through their own columns
    from geolasso._crelu_newton import _lowrank_step

    rng = np.random.default_rng(14)
    n, r, alpha = 14, 4, 0.05
    Z = np.column_stack([rng.normal(size=(n, r - 1)), np.ones(n)])
    masks = (rng.random((7, n)) < 0.5).astype(np.float64)
    plain = np.array([True, True, False, True, False, True, True])
    signs = np.where(rng.random(7) < 0.5, 1.0, -1.0)
    blocks, normals = [], []
    for g in range(7):
        if plain[g]:
            blocks.append(signs[g] * masks[g][:, None] * Z)
            normals.append(np.zeros((r, 0)))
        else:  # a face of one constraint: a 3-dimensional null space
            Vt = np.linalg.svd(rng.normal(size=(1, r)))[2]
            blocks.append(signs[g] * (masks[g][:, None] * Z) @ Vt[1:].T)
            normals.append(Vt[:1].T)
    sizes = np.array([b.shape[1] for b in blocks])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    B = np.asfortranarray(np.hstack(blocks))
    n_var = B.shape[1]
    assert n_var > n  # the low-rank regime
    theta, grad = rng.normal(size=n_var), rng.normal(size=n_var)
    gid = np.repeat(np.arange(7), sizes)
    nrm = np.sqrt(np.add.reduceat(theta**2, starts))[gid]
    for corrected in (True, False):
        given = (
            normals
            if corrected
            else [q if p else None for q, p in zip(normals, plain, strict=True)]
        )
        per_group = plain | corrected  # the groups with one damping value
        for damping in (1e-12, 1e-3, 1e-1):
            H = _damped_newton_hessian(B, theta, starts, sizes, nrm, alpha, damping, per_group)
            step = _lowrank_step(
                B, theta, grad, starts, sizes, nrm, alpha, damping, Z, Z @ Z.T, masks, given
            )
            assert_allclose(step, -np.linalg.solve(H, grad), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pivoted_qr_least_squares_matches_lapack(seed):
    # the kernels' least squares (full rank: LAPACK's unique solution; rank deficient: a
    # solution with LAPACK's residual, zero on the dependent columns it leaves out)
    from geolasso._crelu_kernels import _lstsq

    rng = np.random.default_rng(seed)
    eps = np.finfo(float).eps
    for m, p in [(7, 3), (4, 4), (3, 5), (12, 6)]:
        A, b = rng.normal(size=(m, p)), rng.normal(size=m)
        z = _lstsq(A, b, eps * max(m, p))
        if m >= p:
            assert_allclose(z, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-10, atol=1e-12)
        else:  # wide: an exact solution with m non-zero coefficients
            assert_allclose(A @ z, b, atol=1e-10)
            assert np.count_nonzero(z) <= m
    A = rng.normal(size=(9, 4))
    A = np.column_stack([A, A[:, 0] - 2.0 * A[:, 2]])  # rank 4 of 5 columns
    b = rng.normal(size=9)
    z = _lstsq(A, b, eps * 9)
    best = np.linalg.lstsq(A, b, rcond=None)[0]
    assert_allclose(np.linalg.norm(A @ z - b), np.linalg.norm(A @ best - b), rtol=1e-10)
    assert np.count_nonzero(z) == 4
    assert_allclose(_lstsq(np.zeros((3, 2)), b[:3], eps), 0.0)  # rank 0


def test_warm_started_dual_values_match_the_cone_program():
    # the gap checks start each group's NNLS from its last passive set; with any start the
    # value is max hᵀu over the pattern's cone and the unit ball (cvxpy/Clarabel)
    from geolasso._crelu_kernels import _price_groups

    rng = np.random.default_rng(13)
    n, d = 25, 3
    X = rng.normal(size=(n, d))
    Z = np.column_stack([X, np.ones(n)])
    patterns = sample_patterns(X, 8, bias="regularized", random_state=2).patterns
    signs = np.where(rng.random(patterns.shape[0]) < 0.5, 1.0, -1.0)
    warm = rng.random(patterns.shape) < 0.2  # arbitrary starts, updated in place
    for _ in range(3):
        lam = rng.normal(size=n)
        values = np.empty(patterns.shape[0])
        _price_groups(
            Z,
            patterns,
            signs,
            lam,
            d + 1,
            False,
            False,
            -1.0,
            values[:, None],
            warm,
            np.empty((0, 0)),
        )
        for p, (m, s) in enumerate(zip(patterns.astype(float), signs, strict=True)):
            u = cp.Variable(d + 1)
            h = s * Z.T @ (m * lam)
            cons = [cp.multiply(2.0 * m - 1.0, Z @ u) >= 0, cp.norm(u, 2) <= 1]
            assert_allclose(values[p], solve(cp.Problem(cp.Maximize(h @ u), cons)), atol=1e-7)


def test_enumerated_spiral_with_free_biases_is_certified():
    # 24,289 patterns; at this penalty the solver's gap used to stall near 2e-6. The
    # certificate is recomputed from the network alone (the dual check over every cone)
    from geolasso.datasets import spiral

    X, y = spiral()
    alpha = 7.81e-4
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = ConvexReLU(alpha, method="arrangement", norm="l2", tol=1e-10).fit(X, y)
    assert model.exact_
    cert = certify(model.network_, X, y, alpha, norm="l2", patterns=model.patterns_)
    assert cert.exact
    assert_allclose(cert.objective, model.objective_, rtol=1e-12)
    assert cert.relative_gap <= 1e-9


def _teacher_problem(n, d, seed):
    """Gaussian samples labelled ±1 by a random two-layer ReLU network of 10 neurons."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    W, b, v = rng.normal(size=(10, d)), rng.normal(size=10), rng.normal(size=10)
    return X, np.where(np.maximum(X @ W.T + b, 0.0) @ v > 0.0, 1.0, -1.0)


def test_sampled_program_at_size_has_a_finite_gap_recomputed_by_clarabel():
    # n = 300 samples in 10-D, 50 sampled patterns: the working-set solver with the
    # active-set Newton finish on many cone faces at once. Its gap must be finite and below
    # tol, and a lower bound recomputed from the recovered network alone (each pattern's
    # dual value max ±λᵀD_iZu over its cone and the unit ball by Clarabel, then the best
    # dual point on the ray t λ) must close on the network's objective
    n, d, alpha, tol = 300, 10, 1e-3, 1e-8
    X, y = _teacher_problem(n, d, 21)
    patterns = sample_patterns(X, 50, bias="regularized", random_state=0)
    res = solve_crelu(X, y, alpha, patterns, tol=tol)
    assert np.isfinite(res.gap)
    assert np.isfinite(res.lower_bound)
    assert res.gap <= tol * res.objective
    net = to_network(res, patterns, "l2")
    objective = net.objective(X, y, alpha, norm="l2", bias="regularized")
    assert_allclose(objective, res.objective, rtol=1e-10)
    lam = y - net.predict(X)
    Z = np.column_stack([X, np.ones(n)])
    u = cp.Variable(d + 1)
    h = cp.Parameter(d + 1)
    top = 0.0
    for m in patterns.patterns.astype(float):
        cone = [cp.multiply(2.0 * m - 1.0, Z @ u) >= 0, cp.norm(u, 2) <= 1]
        problem = cp.Problem(cp.Maximize(h @ u), cone)
        for sign in (1.0, -1.0):
            h.value = sign * Z.T @ (m * lam)
            top = max(top, solve(problem))
    t = min(max(float(y @ lam) / float(lam @ lam), 0.0), 1.0 / max(1.0, top / (n * alpha)))
    lower = (float(y @ y) - float(np.sum((y - t * lam) ** 2))) / (2 * n)
    assert lower <= objective * (1 + 1e-12)
    assert objective - lower <= 1e-6 * objective


def test_cone_nnls_without_the_matrix_matches_scipy():
    # the NNLS kernel reads its columns (2 m_j − 1) z_j ⊙ scale off Z and the pattern; against
    # scipy's NNLS on the explicitly formed matrix, from cold and warm starts
    from scipy.optimize import nnls

    from geolasso._crelu_kernels import _nnls_cone

    rng = np.random.default_rng(14)
    for _ in range(30):
        m, k = int(rng.integers(3, 40)), int(rng.integers(2, 7))
        Z, h = rng.normal(size=(m, k)), rng.normal(size=k) * 3.0
        mask = rng.random(m) < 0.5
        scale = rng.uniform(0.1, 10.0, size=k)
        E = ((2.0 * mask - 1.0)[:, None] * Z * scale).T  # (k, m)
        ref = nnls(E, -h)[1]
        for warm in (np.zeros(m, bool), rng.random(m) < 0.3, nnls(E, -h)[0] > 0):
            start = warm.copy()
            mu = np.empty(m)
            res = _nnls_cone(Z, mask, scale, h, mu, start)
            assert np.all(mu >= 0.0)
            assert_allclose(res, h + E @ mu, atol=1e-12)
            assert np.linalg.norm(res) <= ref + 1e-10
            assert np.array_equal(start, mu > 0.0)


def test_newton_face_helpers_match_their_explicit_forms():
    # the active-set Newton method's pieces against plain numpy: the Gram matrix kept across
    # a change of faces, the face multipliers (least squares) and the step ratios
    from geolasso._crelu_newton import _block_entries, _gram
    from geolasso._crelu_newton_kernels import _face_multipliers, _step_ratios

    rng = np.random.default_rng(15)
    n, r = 40, 4
    cols = {g: rng.normal(size=(r, k)) for g, k in zip(range(6), (2, 3, 1, 4, 2, 3), strict=True)}
    design = {g: rng.normal(size=(n, N.shape[1])) for g, N in cols.items()}

    def layout(blocks):
        sizes = np.array([cols[g].shape[1] for g in blocks])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        B = np.concatenate([design[g] for g in blocks], axis=1)
        return B, [cols[g] for g in blocks], starts, sizes

    blocks = [0, 1, 3, 4]
    B, bases, starts, _ = layout(blocks)
    gram = _gram(B, n, blocks, bases, starts, None)
    assert_allclose(gram, B.T @ B / n, rtol=1e-14)
    # group 1 leaves, 2 and 5 enter, group 3 gets a new face (a new basis)
    cols[3], design[3] = rng.normal(size=(r, 3)), rng.normal(size=(n, 3))
    new = [0, 2, 3, 4, 5]
    B2, bases2, starts2, sizes2 = layout(new)
    again = _gram(B2, n, new, bases2, starts2, (blocks, bases, starts, gram))
    assert_allclose(again, B2.T @ B2 / n, rtol=1e-13, atol=1e-15)
    ii, jj = _block_entries(starts2, sizes2)
    mask = np.zeros_like(again, dtype=bool)
    mask[ii, jj] = True
    gid = np.repeat(np.arange(len(new)), sizes2)
    assert np.array_equal(mask, gid[:, None] == gid[None, :])
    # multipliers of the face rows: the least-squares solution of Σ μ_j a_j = grad
    Z = rng.normal(size=(n, r))
    masks = rng.random((3, n)) < 0.5
    faces = rng.random((3, n)) < 0.08
    faces[1] = False
    grads = rng.normal(size=(3, r))
    groups = np.arange(3)
    row, low, top = np.empty(3, dtype=np.int64), np.empty(3), np.empty(3)
    _face_multipliers(Z, masks, faces, groups, grads, row, low, top)
    for g in (0, 2):
        rows = np.flatnonzero(faces[g])
        A = (2.0 * masks[g, rows] - 1.0)[:, None] * Z[rows]
        mu = np.linalg.lstsq(A.T, grads[g], rcond=None)[0]
        assert_allclose(low[g], mu.min(), rtol=1e-9, atol=1e-12)
        assert_allclose(top[g], np.abs(mu).max(), rtol=1e-9)
        assert row[g] == rows[np.argmin(mu)]
    assert row[1] == -1
    # step ratios: where each constraint off the faces is reached along V + t dV (a negative
    # slack counts as 0)
    V, dV = rng.normal(size=(3, r)), rng.normal(size=(3, r))
    S = 2.0 * masks - 1.0
    cone = np.array([True, True, False])
    ratios, first = np.empty((3, n)), np.empty(3)
    _step_ratios(masks, groups, faces, cone, V @ Z.T, dV @ Z.T, ratios, first)
    sl, dsl = S * (V @ Z.T), S * (dV @ Z.T)
    want = np.where(
        (dsl < 0) & ~faces & cone[:, None],
        np.maximum(sl, 0.0) / np.where(dsl < 0, -dsl, 1.0),
        np.inf,
    )
    assert_allclose(ratios, want, rtol=1e-14)
    assert_allclose(first, want.min(axis=1), rtol=1e-14)


def test_a_non_finite_dual_value_gives_the_trivial_bound_never_nan(monkeypatch):
    # a certificate is never NaN: when pricing returns a value that is not a number, no
    # scaling of the residual is known to be dual feasible, the lower bound falls back to 0
    # (gap = objective) and the solver says it has not converged
    import geolasso.crelu as crelu_module

    X, y, alpha = _problem(4, 2)
    patterns = sample_patterns(X, 20, bias="regularized", random_state=0)
    price = crelu_module.price_patterns

    def broken(*args, **kwargs):
        out = price(*args, **kwargs)
        out[0, 0] = np.nan
        return out

    monkeypatch.setattr(crelu_module, "price_patterns", broken)
    with pytest.warns(ConvergenceWarning, match="relative duality gap"):
        res = solve_crelu(X, y, alpha, patterns, tol=1e-10)
    assert np.isfinite(res.gap)
    assert res.lower_bound == 0.0
    assert_allclose(res.gap, res.objective, rtol=1e-12)


@pytest.mark.parametrize("norm", ["l2", "l1"])
def test_gated_pricing_in_blocks_of_patterns_and_rows_equals_each_patterns_product(
    monkeypatch, norm
):
    # blocks of 7 patterns and 50 rows (partial blocks at both ends) against one product
    # per pattern
    X = np.random.default_rng(0).normal(size=(230, 3))
    Z = np.column_stack([X, np.ones(len(X))])
    patterns = sample_patterns(X, 60, bias="regularized", random_state=1).patterns
    lam = np.random.default_rng(2).normal(size=len(X))
    monkeypatch.setattr(pricing, "PRICE_PATTERNS", 7)
    monkeypatch.setattr(pricing, "PRICE_ROWS", 50)
    got = pricing.price_patterns(Z, patterns, lam, 3, True, norm, True, 1.0)
    h = np.array([Z[:, :3].T @ (m * lam) for m in patterns])
    want = np.abs(h).max(axis=1) if norm == "l1" else np.linalg.norm(h, axis=1)
    assert got.shape == (len(patterns), 2)
    assert_allclose(got[:, 0], want, rtol=1e-12)
    assert np.all(got[:, 1] == 0.0)
    # a pattern's value does not depend on the others priced with it (blocks that start
    # at a multiple of the chunk, as the distributed blocks do): bit for bit
    for lo, hi in [(7, 60), (14, 21), (56, 60)]:
        part = pricing.price_patterns(Z, patterns[lo:hi], lam, 3, True, norm, True, 1.0)
        assert np.array_equal(part, got[lo:hi])
    # the masks as bits (the distributed blocks' form; 230 rows: the last byte partial), in
    # row blocks of 48: the same values, bit for bit, as from the same blocks unpacked
    monkeypatch.setattr(pricing, "PRICE_ROWS", 48)
    bits = np.packbits(patterns, axis=1)
    for gated in (True, False):
        plain = pricing.price_patterns(Z, patterns, lam, 3, True, norm, gated, 1.0)
        packed = pricing.price_patterns(Z, bits, lam, 3, True, norm, gated, 1.0, packed=True)
        assert np.array_equal(packed, plain)
    monkeypatch.setattr(pricing, "PRICE_ROWS", 50)
    with pytest.raises(ValueError, match="multiple of 8"):
        pricing.price_patterns(Z, bits, lam, 3, True, norm, True, 1.0, packed=True)


def test_relu_pricing_from_the_blocked_products_equals_the_kernels_own_sums(monkeypatch):
    # the h of every pattern from the padded BLAS blocks, against the pricing kernel's own
    # masked sums (threshold -1: every bound is the NNLS optimum, both signs)
    from geolasso._crelu_kernels import _price_groups

    rng = np.random.default_rng(3)
    X = rng.normal(size=(90, 3))
    Z = np.column_stack([X, np.ones(90)])
    masks = np.ascontiguousarray(
        sample_patterns(X, 40, bias="regularized", random_state=2).patterns
    )
    lam = rng.normal(size=90)
    monkeypatch.setattr(pricing, "PRICE_PATTERNS", 6)
    monkeypatch.setattr(pricing, "PRICE_ROWS", 25)
    for free, n_pen in [(False, 4), (True, 3)]:
        got = np.empty((len(masks), 2))
        pricing.price_bounds(Z, masks, lam, n_pen, free, False, -1.0, got)
        want = np.empty((len(masks), 2))
        none = np.zeros((0, 0), dtype=np.bool_)
        _price_groups(
            Z, masks, np.empty(0), lam, n_pen, free, False, -1.0, want, none, np.empty((0, 0))
        )
        assert_allclose(got, want, rtol=1e-10, atol=1e-12)
