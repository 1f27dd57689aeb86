"""geolasso.gan: the WGAN's closed forms against cvxpy, the exact ReLU discrepancy against
per-pattern programs, the certified cutting-plane generator, and a torch GDA baseline."""

import warnings

import cvxpy as cp
import numpy as np
import pytest
from _oracles import CLARABEL, activation_patterns
from scipy.optimize import linprog

from geolasso import ConvergenceWarning, GeolassoWarning
from geolasso.gan import ConvexWGAN, discrepancy, linear_generator, quadratic_generator


def _mixture(n, seed):
    rng = np.random.default_rng(seed)
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    return centres[rng.integers(0, 3, n)] + 0.35 * rng.standard_normal((n, 2))


def _lam(n, m):
    return np.concatenate([np.full(n, 1.0 / n), np.full(m, -1.0 / m)])


def _delta(X, G, w, b):
    """δ(w, b) by direct evaluation, for any number of neurons (rows of w)."""
    w = np.atleast_2d(w)
    return np.maximum(X @ w.T + b, 0).mean(0) - np.maximum(G @ w.T + b, 0).mean(0)


# ---------------------------------------------------------------------- linear activation
@pytest.mark.parametrize("norm", ["l2", "l1"])
def test_linear_closed_form_is_the_cvxpy_optimum(norm, rng):
    X = rng.normal(size=(30, 3)) + np.array([1.0, -0.5, 0.8])
    Z = rng.normal(size=(20, 2)) + np.array([0.7, -0.3])
    beta = 0.3
    gan = ConvexWGAN("linear", beta=beta, norm=norm).fit(X, latent=Z)
    W = cp.Variable((2, 3))
    gap = X.mean(0) - W.T @ Z.mean(0)
    limit = cp.norm(gap, 2) if norm == "l2" else cp.norm(gap, "inf")
    problem = cp.Problem(cp.Minimize(cp.sum_squares(W)), [limit <= beta])
    problem.solve(**CLARABEL)
    assert problem.status == cp.OPTIMAL
    assert gan.cost_ == pytest.approx(problem.value, rel=1e-6)
    assert gan.cost_ == pytest.approx(np.sum(linear_generator(X, Z, beta, norm=norm) ** 2))
    assert gan.certified_
    assert gan.optimal_
    assert gan.discrepancy_ == pytest.approx(beta, rel=1e-12)  # the constraint is active
    (critic,) = gan.discriminator_
    assert critic["discrepancy"] == pytest.approx(gan.discrepancy_, rel=1e-12)


def test_linear_generator_is_zero_when_the_means_already_match():
    gan = ConvexWGAN("linear", beta=5.0, random_state=0).fit([[1.0, 0.0], [0.0, 1.0]])
    assert not gan.generator_.any()
    assert gan.cost_ == 0.0
    assert gan.certified_
    assert gan.optimal_


# ---------------------------------------------------------------------- quadratic activation
def _whitened_latent(rng, m, k, centred):
    """Latent samples with Z̃ᵀZ̃/m = I (centred when ``centred``): the cost is then tr(M)."""
    Z = rng.normal(size=(m, k))
    if centred:
        Z -= Z.mean(0)
    Q, _ = np.linalg.qr(Z)
    return np.sqrt(m) * Q


@pytest.mark.parametrize("bias", [True, False], ids=["covariance", "second-moment"])
def test_quadratic_closed_form_is_the_tight_sdp_optimum(bias, rng):
    """With a whitened latent the cost ‖W‖_F² is tr(M), M = G̃ᵀG̃/m, and the convex program
    min tr(M) s.t. ‖A − M‖₂ <= β, M ⪰ 0 drops only the rank bound rank(M) <= k; it is tight
    because its solution has rank #{a_i > β} <= k (asserted)."""
    n, d, m, k = 40, 4, 30, 2
    X = rng.normal(size=(n, d)) * [2.0, 1.5, 0.7, 0.4] + 0.3
    Z = _whitened_latent(rng, m, k, bias)
    Xt = X - X.mean(0) if bias else X
    A = Xt.T @ Xt / n
    a = np.sort(np.linalg.eigvalsh(A))[::-1]
    beta = (a[k - 1] + a[k]) / 2  # exactly k eigenvalues above β
    gan = ConvexWGAN("quadratic", beta=beta, bias=bias).fit(X, latent=Z)
    M = cp.Variable((d, d), symmetric=True)
    problem = cp.Problem(
        cp.Minimize(cp.trace(M)),
        [M >> 0, A - M << beta * np.eye(d), M - A << beta * np.eye(d)],
    )
    problem.solve(**CLARABEL)
    assert problem.status == cp.OPTIMAL
    assert np.sum(np.linalg.eigvalsh(M.value) > 1e-6) <= k  # the relaxation is tight
    assert gan.cost_ == pytest.approx(problem.value, rel=1e-6)
    assert gan.cost_ == pytest.approx(np.sum(np.maximum(a - beta, 0)), rel=1e-10)
    assert gan.certified_
    assert gan.optimal_
    assert gan.discrepancy_ == pytest.approx(beta, abs=1e-10 * a[0])
    G = gan.samples_
    if bias:
        np.testing.assert_allclose(G.mean(0), X.mean(0), rtol=0, atol=1e-12)
    W, offset = quadratic_generator(X, Z, beta, bias=bias)
    np.testing.assert_allclose(Z @ W + offset, G, rtol=0, atol=1e-12)


def test_t21_identity_in_the_sum_convention(rng):
    """docs/mathematics.md T21: with X = U S Vᵀ, Z = P D Qᵀ (centred), β = s_{k+1}², the
    generator Z Q_k D_k⁻¹ (S_k² − β)^{1/2} V_kᵀ has GᵀG = V_k (S_k² − β) V_kᵀ and
    ‖XᵀX − GᵀG‖₂ = β. geolasso normalises by n = m: β_geolasso = s_{k+1}² / n."""
    n, d, k = 50, 5, 2
    X = rng.normal(size=(n, d)) * [3.0, 2.0, 1.0, 0.5, 0.2]
    X -= X.mean(0)
    Z = rng.normal(size=(n, 3))
    Z -= Z.mean(0)
    _, S, Vt = np.linalg.svd(X, full_matrices=False)
    _, D, Qt = np.linalg.svd(Z, full_matrices=False)
    beta = S[k] ** 2
    W21 = Qt[:k].T @ np.diag(1 / D[:k]) @ np.diag(np.sqrt(S[:k] ** 2 - beta)) @ Vt[:k]
    G21 = Z @ W21
    np.testing.assert_allclose(
        G21.T @ G21, Vt[:k].T @ np.diag(S[:k] ** 2 - beta) @ Vt[:k], rtol=0, atol=1e-10 * beta
    )
    assert np.linalg.norm(X.T @ X - G21.T @ G21, 2) == pytest.approx(beta, rel=1e-10)
    gan = ConvexWGAN("quadratic", beta=beta / n, bias=True).fit(X, latent=Z)
    Gc = gan.samples_ - gan.samples_.mean(0)
    np.testing.assert_allclose(Gc.T @ Gc, G21.T @ G21, rtol=0, atol=1e-10 * beta)
    assert n * gan.discrepancy_ == pytest.approx(beta, rel=1e-10)
    spectral = np.linalg.norm(X.T @ X - Gc.T @ Gc, 2)
    assert spectral == pytest.approx(beta, rel=1e-10)
    assert gan.certified_
    assert gan.optimal_
    assert len(gan.discriminator_) >= k  # every direction with a_i >= β is active


def test_quadratic_cost_bounds_every_feasible_generator(rng):
    """A general latent (B ≠ I): no feasible W, built at random from any feasible
    spectrum, costs less than the soft-thresholded generator (the bound of the proof)."""
    n, d, m, k = 60, 3, 40, 3
    X = rng.normal(size=(n, d)) * [2.0, 1.0, 0.5]
    Z = rng.normal(size=(m, k)) * [3.0, 1.0, 0.3]
    beta = 0.5
    gan = ConvexWGAN("quadratic", beta=beta, bias=False).fit(X, latent=Z)
    assert gan.certified_
    assert gan.optimal_
    A = X.T @ X / n
    a, V = np.linalg.eigh(A)
    a, V = a[::-1], V[:, ::-1]
    B = Z.T @ Z / m
    Bh, Bm = np.linalg.eigh(B)
    B_inv_half = Bm @ np.diag(Bh**-0.5) @ Bm.T
    for _ in range(200):
        # a feasible M: eigenvalues in [(a_i − β)_+, a_i + β] on A's eigenvectors, then
        # a random W with WᵀBW = M: W = B^{-1/2} O M^{1/2} for a random orthogonal O
        lam = rng.uniform(np.maximum(a - beta, 0), a + beta)
        M_half = V @ np.diag(np.sqrt(lam)) @ V.T
        O, _ = np.linalg.qr(rng.normal(size=(k, k)))
        W = B_inv_half @ O @ M_half
        G = Z @ W
        assert np.linalg.norm(A - G.T @ G / m, 2) <= beta * (1 + 1e-9)
        assert np.sum(W**2) >= gan.cost_ * (1 - 1e-9)


def test_quadratic_below_the_rank_threshold_warns_and_is_not_certified(rng):
    X = rng.normal(size=(40, 3)) * [2.0, 1.5, 1.0]
    with pytest.warns(GeolassoWarning, match="no generator of that rank is feasible"):
        gan = ConvexWGAN("quadratic", beta=0.05, latent_dim=1, random_state=0).fit(X)
    assert not gan.certified_
    assert not gan.optimal_
    assert gan.discrepancy_ > 0.05


# ---------------------------------------------------------------------- ReLU: exactness
def _pattern_lp_max(X, G, bias):
    """max |δ| over ‖w‖₁ <= 1: one LP per activation pattern of the combined samples."""
    n, d = X.shape
    Z = np.vstack([X, G])
    Zt = np.column_stack([Z, np.ones(len(Z))]) if bias else Z
    lam = _lam(n, len(G))
    extra = Zt.shape[1] - d

    def lift(v):  # u = (w⁺ − w⁻, b)
        return np.concatenate([v[:d], -v[:d], v[d:]])

    best = 0.0
    for p in activation_patterns(Zt):
        A_ub = np.array([lift(-(2 * p[i] - 1) * Zt[i]) for i in range(len(Zt))])
        A_ub = np.vstack([A_ub, np.r_[np.ones(2 * d), np.zeros(extra)]])
        b_ub = np.r_[np.zeros(len(Zt)), 1.0]
        bounds = [(0, None)] * (2 * d) + [(None, None)] * extra
        for s in (1.0, -1.0):
            res = linprog(-s * lift((lam * p) @ Zt), A_ub=A_ub, b_ub=b_ub, bounds=bounds)
            assert res.status == 0, res.message
            best = max(best, -res.fun)
    return best


def _pattern_socp_max(X, G, bias):
    """max |δ| over ‖w‖₂ <= 1: one SOCP per activation pattern (Clarabel)."""
    n, d = X.shape
    Z = np.vstack([X, G])
    Zt = np.column_stack([Z, np.ones(len(Z))]) if bias else Z
    lam = _lam(n, len(G))
    u = cp.Variable(Zt.shape[1])
    c = cp.Parameter(Zt.shape[1])
    sign = cp.Parameter(len(Zt))
    problem = cp.Problem(
        cp.Maximize(c @ u), [cp.multiply(sign, Zt @ u) >= 0, cp.norm(u[:d], 2) <= 1]
    )
    best = 0.0
    for p in activation_patterns(Zt):
        sign.value = 2 * p - 1
        for s in (1.0, -1.0):
            c.value = s * (lam * p) @ Zt
            problem.solve(**CLARABEL)
            assert problem.status == cp.OPTIMAL
            best = max(best, problem.value)
    return best


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_relu_l1_discrepancy_is_the_exact_maximum(bias, rng):
    X = rng.normal(size=(6, 2))
    G = 0.7 * rng.normal(size=(5, 2)) + 0.3
    value, neurons = discrepancy(X, G, bias=bias, n_neurons=3)
    assert value == pytest.approx(_pattern_lp_max(X, G, bias), abs=1e-9)
    # no sampled unit neuron beats it
    w = rng.normal(size=(20000, 2))
    w /= np.abs(w).sum(1, keepdims=True)
    b = rng.uniform(-3, 3, 20000) if bias else np.zeros(20000)
    assert np.abs(_delta(X, G, w, b)).max() <= value + 1e-12
    top = neurons[0]
    assert np.abs(top["weight"]).sum() == pytest.approx(1.0, rel=1e-12)
    assert abs(_delta(X, G, top["weight"], top["bias"])[0]) == pytest.approx(value, rel=1e-12)
    assert top["discrepancy"] == pytest.approx(_delta(X, G, top["weight"], top["bias"])[0])
    # the neuron is a hyperplane through samples (and coordinate directions): d generators
    on = len(top["data_samples"]) + len(top["generated_samples"]) + len(top["axes"])
    assert on >= (2 if bias else 1)
    for key, P in (("data_samples", X), ("generated_samples", G)):
        for i in top[key]:
            assert abs(P[i] @ top["weight"] + top["bias"]) <= 1e-9 * (1 + np.abs(P[i]).sum())


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_relu_l2_planar_discrepancy_is_the_exact_maximum(bias, rng):
    X = rng.normal(size=(6, 2))
    G = 0.7 * rng.normal(size=(5, 2)) + 0.3
    value, (top,) = discrepancy(X, G, bias=bias, norm="l2", n_neurons=1)
    assert value == pytest.approx(_pattern_socp_max(X, G, bias), abs=1e-8)
    theta = rng.uniform(0, 2 * np.pi, 20000)
    w = np.column_stack([np.cos(theta), np.sin(theta)])
    b = rng.uniform(-3, 3, 20000) if bias else np.zeros(20000)
    assert np.abs(_delta(X, G, w, b)).max() <= value + 1e-12
    assert np.linalg.norm(top["weight"]) == pytest.approx(1.0, rel=1e-12)
    assert abs(_delta(X, G, top["weight"], top["bias"])[0]) == pytest.approx(value, rel=1e-12)
    if bias:  # the maximiser passes through a sample
        assert top["data_samples"] or top["generated_samples"]
    # the l2 ball contains the l1 ball: a larger supremum
    assert value >= discrepancy(X, G, bias=bias, norm="l1") - 1e-12


def test_the_particle_feasible_set_is_not_convex():
    """The module overview's example: G and its permutation are feasible, their midpoint not."""
    X = np.array([[-1.0], [1.0]])
    assert discrepancy(X, [[-1.0], [1.0]]) == 0.0
    assert discrepancy(X, [[1.0], [-1.0]]) == 0.0
    assert discrepancy(X, [[0.0], [0.0]]) == pytest.approx(0.5)


# ---------------------------------------------------------------------- ReLU: cutting planes
@pytest.fixture(scope="module")
def relu_fit():
    X = _mixture(40, 3)
    gan = ConvexWGAN("relu", beta=0.05, n_generated=20, random_state=1, max_iter=200).fit(X)
    return X, gan


def test_cutting_planes_certify_feasibility_from_a_violating_start(relu_fit):
    X, gan = relu_fit
    beta = 0.05
    assert gan.initial_discrepancy_ > 3 * beta
    assert discrepancy(X, gan.latent_) == pytest.approx(gan.initial_discrepancy_, rel=1e-12)
    assert gan.certified_
    assert not gan.optimal_
    assert gan.discrepancy_ <= beta * (1 + gan.tol)
    assert discrepancy(X, gan.samples_) == gan.discrepancy_  # the certificate, recomputed
    assert gan.n_iter_ == len(gan.history_) - 1 >= 1
    assert gan.history_[-1]["discrepancy"] == gan.discrepancy_
    cost = np.abs(gan.samples_ - gan.latent_).sum() / len(gan.samples_)
    assert gan.cost_ == pytest.approx(cost, rel=1e-12)
    # every cut holds at the end (each LP satisfies its cuts exactly, with the margin)
    cuts = gan.cuts_
    signed = _delta(X, gan.samples_, cuts["weights"], cuts["biases"]) * cuts["sides"]
    assert signed.max() <= beta * (1 + 1e-6)


def test_the_critic_is_the_set_of_active_atoms(relu_fit):
    X, gan = relu_fit
    G = gan.samples_
    assert gan.discriminator_
    for neuron in gan.discriminator_:
        value = _delta(X, G, neuron["weight"], neuron["bias"])[0]
        assert value == pytest.approx(neuron["discrepancy"], rel=1e-10, abs=1e-14)
        assert abs(value) >= (1 - 1e-4) * gan.discrepancy_
        assert len(neuron["data_samples"]) + len(neuron["generated_samples"]) >= 1
    net = gan.discriminator_network()
    assert net.n_neurons == len(gan.discriminator_)
    gap = net.predict(X).mean() - net.predict(G).mean()
    assert gap == pytest.approx(sum(abs(r["discrepancy"]) for r in gan.discriminator_))


def test_cutting_planes_with_weight_decay_in_2d():
    X = _mixture(30, 5)
    gan = ConvexWGAN("relu", beta=0.08, norm="l2", n_generated=12, random_state=2).fit(X)
    assert gan.initial_discrepancy_ > 0.08
    assert gan.certified_
    assert discrepancy(X, gan.samples_, norm="l2") <= 0.08 * (1 + 1e-6)


def test_cutting_planes_warn_at_max_iter():
    X = _mixture(30, 5)
    with pytest.warns(ConvergenceWarning, match="not certified"):
        gan = ConvexWGAN("relu", beta=0.01, n_generated=12, max_iter=1, random_state=0).fit(X)
    assert not gan.certified_
    assert gan.n_iter_ == 1


def _gda(X, G0, beta, seed, steps=300, width=10, lr=1e-2):
    """Gradient descent-ascent on the non-convex WGAN: the critic Σ v_j (u_jᵀx + c_j)_+ with the
    penalty (β/2) Σ (‖u_j‖₁² + v_j²), the particles with cost (1/m) Σ ‖g_k − g⁰_k‖₁ (Adam)."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: threads only contend
    try:
        return _gda_steps(torch, X, G0, beta, seed, steps, width, lr)
    finally:
        torch.set_num_threads(threads)


def _gda_steps(torch, X, G0, beta, seed, steps, width, lr):
    torch.manual_seed(seed)
    Xt, G0t = torch.as_tensor(X), torch.as_tensor(G0)
    G = G0t.clone().requires_grad_(True)
    U = (0.5 * torch.randn(width, X.shape[1], dtype=torch.float64)).requires_grad_(True)
    c = (0.5 * torch.randn(width, dtype=torch.float64)).requires_grad_(True)
    v = (0.1 * torch.randn(width, dtype=torch.float64)).requires_grad_(True)
    critic_opt = torch.optim.Adam([U, c, v], lr=lr)
    gen_opt = torch.optim.Adam([G], lr=lr)

    def D(P):
        return torch.relu(P @ U.T + c) @ v

    for _ in range(steps):
        gap = D(Xt).mean() - D(G).mean()
        objective = gap - beta / 2 * ((U.abs().sum(1) ** 2).sum() + (v**2).sum())
        cost = (G - G0t).abs().sum() / G.shape[0]
        critic_grads = torch.autograd.grad(-objective, [U, c, v], retain_graph=True)
        (gen_grad,) = torch.autograd.grad(cost + gap, [G])
        for p, g in zip([U, c, v], critic_grads, strict=True):
            p.grad = g
        G.grad = gen_grad
        critic_opt.step()
        gen_opt.step()
    with torch.no_grad():
        gap = float(D(Xt).mean() - D(G).mean())
        objective = gap - beta / 2 * float((U.abs().sum(1) ** 2).sum() + (v**2).sum())
    return G.detach().numpy(), U.detach().numpy(), c.detach().numpy(), v.detach().numpy(), objective


@pytest.mark.parametrize("seed", [0, 1])
def test_gda_baseline_obeys_the_exact_discrepancy(seed, capsys):
    """Local search (GDA) on the non-convex game. What must hold: every torch neuron,
    normalised to unit ℓ1 weight, has |δ| <= Δ(X, G) at GDA's particles, and the critic's
    objective is at most (Δ − β) Σ_j |v_j| ‖u_j‖₁ (AM-GM on the penalty)."""
    X = _mixture(20, 7)
    G0 = np.random.default_rng(seed).standard_normal((10, 2))
    beta = 0.05
    G, U, c, v, objective = _gda(X, G0, beta, seed)
    exact = discrepancy(X, G)
    scale = np.abs(U).sum(1)
    live = scale > 0
    per_neuron = _delta(X, G, U[live] / scale[live, None], c[live] / scale[live])
    assert np.abs(per_neuron).max() <= exact + 1e-12
    assert objective <= (exact - beta) * np.sum(np.abs(v) * scale) + 1e-12
    cost = np.abs(G - G0).sum() / len(G)
    convex = ConvexWGAN("relu", beta=beta, random_state=0).fit(X, latent=G0)
    assert convex.certified_  # the same start, certified by the same exact function
    with capsys.disabled():
        print(
            f"\n  seed {seed}, beta {beta}: GDA (300 steps) exact discrepancy {exact:.4f}, cost "
            f"{cost:.4f}; cutting planes ({convex.n_iter_} LPs) {convex.discrepancy_:.4f}, "
            f"cost {convex.cost_:.4f}"
        )


# ---------------------------------------------------------------------- using a fit
def test_sample_and_torch_reproduce_the_linear_generator(rng):
    torch = pytest.importorskip("torch")
    X = rng.normal(size=(50, 3)) * [2.0, 1.0, 0.5] + 1.0
    gan = ConvexWGAN("quadratic", beta=0.3, random_state=0).fit(X)
    layer = gan.to_torch()
    Z = np.random.default_rng(5).standard_normal((7, 3))
    np.testing.assert_allclose(
        layer(torch.as_tensor(Z)).detach().numpy(), Z @ gan.generator_ + gan.offset_
    )
    np.testing.assert_allclose(
        gan.sample(7, random_state=5), Z @ gan.generator_ + gan.offset_, rtol=0, atol=1e-12
    )
    with pytest.raises(ValueError, match="builds a ReLU network"):
        gan.discriminator_network()


def test_sample_of_particles_draws_particles(relu_fit):
    _, gan = relu_fit
    drawn = gan.sample(30, random_state=0)
    assert drawn.shape == (30, 2)
    assert all((np.abs(gan.samples_ - row).sum(1) == 0).any() for row in drawn)
    with pytest.raises(ValueError, match="particle generator"):
        gan.to_torch()


# ---------------------------------------------------------------------- bad input
X_OK = np.random.default_rng(0).normal(size=(10, 2))


@pytest.mark.parametrize(
    ("kwargs", "X", "match"),
    [
        ({}, np.where(np.eye(10, 2) > 0, np.nan, X_OK), "X must be finite"),
        ({}, X_OK[:, 0], "X must be a 2-D array"),
        ({}, X_OK[:1], "X must have at least 2 rows"),
        ({"beta": 0.0}, X_OK, "beta"),
        ({"beta": -1.0}, X_OK, "beta"),
        ({"beta": np.inf}, X_OK, "beta"),
        ({"activation": "relu", "generator": "linear"}, X_OK, "use generator='points'"),
        ({"activation": "linear", "generator": "points"}, X_OK, "generator='linear'"),
        ({"activation": "quadratic", "norm": "l1"}, X_OK, "norm must be 'l2'"),
        ({"activation": "relu", "norm": "l2"}, np.ones((5, 3)), "only for d <= 2"),
        ({"activation": "tanh"}, X_OK, "activation"),
    ],
)
def test_bad_input_is_refused_by_name(kwargs, X, match):
    with pytest.raises(ValueError, match=match):
        ConvexWGAN(**kwargs).fit(X)


def test_bad_latent_and_samples_are_refused_by_name():
    with pytest.raises(ValueError, match="latent must have 2 columns"):
        ConvexWGAN("relu").fit(X_OK, latent=np.zeros((4, 3)))
    with pytest.raises(ValueError, match="G must be finite"):
        discrepancy(X_OK, [[0.0, np.nan]])
    with pytest.raises(ValueError, match="G must have 2 columns"):
        discrepancy(X_OK, [[0.0, 1.0, 2.0]])
    with pytest.raises(ValueError, match="latent has mean zero"):
        linear_generator(X_OK + 5.0, [[1.0], [-1.0]], 0.1)
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        quadratic_generator(X_OK, X_OK, 0.0)
    with pytest.raises(TypeError, match="n_neurons"):
        discrepancy(X_OK, X_OK, n_neurons=1.5)


def test_quadratic_discrepancy_is_infinite_when_a_free_bias_meets_different_means():
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    assert discrepancy(X, X + 0.5, activation="quadratic") == np.inf
    assert discrepancy(X, X + 0.5, activation="quadratic", bias=False) > 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert discrepancy(X, -X, activation="quadratic") == 0.0
