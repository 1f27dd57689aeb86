"""Self-attention trained as a convex program (geolasso.attention), and its oracles.

The references here do not use geolasso's features: the block is computed with
explicit loops over tokens, the lifted features from their defining sum, and the
convex program is written out in cvxpy (solved by Clarabel).
"""

import warnings

import cvxpy as cp
import numpy as np
import pytest
from _oracles import solve
from numpy.testing import assert_allclose
from sklearn.utils._param_validation import InvalidParameterError

from geolasso.attention import (
    AttentionNetwork,
    ConvexAttention,
    ConvexAttentionClassifier,
    duality_gap,
    lifted_features,
)
from geolasso.exceptions import ConvergenceWarning, MemoryLimitError


# ------------------------------------------------------------------ references
def reference_block(X, W, V, gates=None, head_gates=None):
    """f(X)[a] = Σ_j Σ_b M[a,b] (x_aᵀ W_j x_b) (x_bᵀ V_j), by loops."""
    n, t, _ = X.shape
    out = np.zeros((n, t, V.shape[2]))
    for i in range(n):
        for j in range(len(W)):
            for a in range(t):
                for b in range(t):
                    x_a, x_b = X[i, a], X[i, b]
                    on = 1.0
                    if gates is not None:
                        on = float(x_a @ gates[head_gates[j]] @ x_b >= 0)
                    out[i, a] += on * (x_a @ W[j] @ x_b) * (x_b @ V[j])
    return out


def reference_features(X, gates=None):
    """Φ_i[k, p, q, e] = (1/t) Σ_{a,b} M_k[a,b] X[a,p] X[b,q] X[b,e], flattened."""
    n, t, _ = X.shape
    masks = (
        [np.ones((n, t, t))]
        if gates is None
        else [(np.einsum("iap,pq,ibq->iab", X, G, X) >= 0).astype(float) for G in gates]
    )
    return np.hstack(
        [np.einsum("iab,iap,ibq,ibe->ipqe", M, X, X, X).reshape(n, -1) / t for M in masks]
    )


def lifted_from_heads(W, V, n_blocks=1, head_gates=None):
    """Z₃ (n_blocks·d³, c) = Σ_j vec(W_j) vec(V_j)ᵀ per block, reshaped."""
    m, d, _ = W.shape
    c = V.shape[2]
    Z = np.zeros((n_blocks, d * d, d * c))
    for j in range(m):
        k = 0 if head_gates is None else head_gates[j]
        Z[k] += np.outer(W[j].ravel(), V[j].ravel())
    return Z.reshape(n_blocks * d**3, c)


def cvx_optimum(Phi, Y, alpha, n_blocks, d):
    """min (1/2n)‖Y − Φ Z₃ − 1bᵀ‖² + α Σ_k ‖Z_k‖_* in cvxpy (Clarabel)."""
    n, c = Y.shape
    blocks = [cp.Variable((d * d, d * c)) for _ in range(n_blocks)]
    b = cp.Variable(c)
    fit = sum(
        Phi[:, k * d**3 : (k + 1) * d**3] @ cp.reshape(Z, (d**3, c), order="C")
        for k, Z in enumerate(blocks)
    )
    loss = cp.sum_squares(Y - fit - np.ones((n, 1)) @ cp.reshape(b, (1, c), order="C"))
    penalty = sum(cp.normNuc(Z) for Z in blocks)
    return solve(cp.Problem(cp.Minimize(loss / (2 * n) + alpha * penalty)))


def alpha_max(Phi, Y, n_blocks, d):
    n, c = Y.shape
    G = (Phi - Phi.mean(axis=0)).T @ (Y - Y.mean(axis=0)) / n
    return max(np.linalg.norm(B, 2) for B in G.reshape(n_blocks, d * d, d * c))


@pytest.fixture
def tokens(rng):
    """30 examples of 3 tokens in R^2, two outputs driven by a planted head."""
    X = rng.normal(size=(30, 3, 2))
    W = rng.normal(size=(1, 2, 2))
    V = rng.normal(size=(1, 2, 2))
    Y = reference_block(X, W, V).mean(axis=1) + 0.3 * rng.normal(size=(30, 2))
    return X, Y


# ------------------------------------------------------------------ 1. lifting
@pytest.mark.parametrize("gated", [False, True], ids=["linear", "gated"])
def test_block_is_linear_in_the_lifted_variable(rng, gated):
    n, t, d, c, m = 6, 4, 3, 2, 5
    X = rng.normal(size=(n, t, d))
    W = rng.normal(size=(m, d, d))
    V = rng.normal(size=(m, d, c))
    gates = rng.normal(size=(2, d, d)) if gated else None
    head_gates = np.array([0, 1, 1, 0, 1]) if gated else None
    direct = reference_block(X, W, V, gates, head_gates)
    Phi = reference_features(X, gates)
    Z3 = lifted_from_heads(W, V, 2 if gated else 1, head_gates)
    scale = np.abs(direct).max()
    assert_allclose(Phi @ Z3, direct.mean(axis=1), rtol=0, atol=1e-12 * scale)
    assert_allclose(lifted_features(X, gates), Phi, rtol=0, atol=1e-12 * np.abs(Phi).max())
    net = AttentionNetwork(W, V, np.zeros(c), gates, head_gates)
    assert_allclose(net.block(X), direct, rtol=0, atol=1e-12 * scale)
    assert_allclose(net.predict(X), direct.mean(axis=1), rtol=0, atol=1e-12 * scale)


# ------------------------------------------------------------------ 2. oracle
@pytest.mark.parametrize("gated", [False, True], ids=["linear", "gated-2"])
def test_objective_matches_cvxpy(tokens, gated):
    X, Y = tokens
    kwargs = {"activation": "gated", "n_gates": 2, "random_state": 3} if gated else {}
    probe = ConvexAttention(**kwargs).fit(X, Y)  # the gates only (seeded)
    gates = probe.gates_
    n_blocks = 2 if gated else 1
    Phi = reference_features(X, gates)
    alpha = 0.05 * alpha_max(Phi, Y, n_blocks, 2)
    model = ConvexAttention(alpha, **kwargs).fit(X, Y)
    value = cvx_optimum(Phi, Y, alpha, n_blocks, 2)
    assert model.exact_
    assert_allclose(model.objective_, value, rtol=1e-6)
    assert 0 < model.n_heads_ < n_blocks * 4  # neither the zero block nor full rank
    if gated:
        assert_allclose(model.gates_, gates)


# ------------------------------------------------------------------ 3. networks
@pytest.mark.parametrize("gated", [False, True], ids=["linear", "gated"])
def test_network_objective_and_torch_module(tokens, gated):
    torch = pytest.importorskip("torch")
    X, Y = tokens
    kwargs = {"activation": "gated", "n_gates": 3, "random_state": 0} if gated else {}
    model = ConvexAttention(0.02, **kwargs).fit(X, Y)
    net = model.network()
    assert net.n_heads == model.n_heads_ > 0
    assert_allclose(net.objective(X, Y, 0.02), model.objective_, rtol=1e-8)
    # the heads are a factorisation of the lifted variable
    Z3 = lifted_from_heads(net.W, net.V, len(model.lifted_), net.head_gates)
    assert_allclose(Z3, model.lifted_.reshape(Z3.shape), atol=1e-12 * np.abs(Z3).max())
    # the loss part of J by the loop reference: the network computes the block it claims
    pred = reference_block(X, net.W, net.V, net.gates, net.head_gates).mean(axis=1) + net.b
    assert_allclose(model.predict(X), pred, atol=1e-12 * np.abs(pred).max())
    module = model.to_torch()
    with torch.no_grad():
        out = module(torch.as_tensor(X)).numpy()
        block = module.block(torch.as_tensor(X)).numpy()
    assert out.dtype == np.float64
    assert_allclose(out, net.predict(X), rtol=0, atol=1e-10 * np.abs(pred).max())
    assert_allclose(block, model.block(X), rtol=0, atol=1e-10 * np.abs(block).max())


# ------------------------------------------------------------------ 4. certificate
def test_certificate_is_valid_and_tight(tokens):
    X, Y = tokens
    n = len(X)
    alpha, tol = 0.03, 1e-8
    model = ConvexAttention(alpha, tol=tol).fit(X, Y)
    assert model.optimality_gap_ <= tol * model.objective_
    assert model.lower_bound_ <= model.objective_
    # the dual point, checked here from the reference features and numpy's SVD
    Lam = model.dual_coef_
    assert_allclose(Lam.sum(axis=0), 0.0, atol=1e-12 * np.abs(Lam).sum())
    Phi = reference_features(X)
    G = (Phi.T @ Lam / n).reshape(4, 4)
    assert np.linalg.svd(G, compute_uv=False)[0] <= alpha
    Yc = Y - Y.mean(axis=0)
    bound = (np.sum(Yc**2) - np.sum((Yc - Lam) ** 2)) / (2 * n)
    assert_allclose(bound, model.lower_bound_, rtol=1e-10)
    # the public certificate at the fitted variable agrees
    cert = duality_gap(X, Y, model.lifted_, alpha)
    assert_allclose(cert.objective, model.objective_, rtol=1e-12)
    assert cert.relative_gap <= tol
    # a perturbed variable is a worse solution, and the certificate says so
    for factor in (0.9, 1.1):
        bad = duality_gap(X, Y, factor * model.lifted_, alpha)
        assert bad.objective > model.objective_ + 100 * model.optimality_gap_
        assert bad.lower_bound <= model.objective_  # weak duality still holds
        assert bad.gap >= bad.objective - model.objective_
        assert bad.relative_gap > 1e3 * tol


# ------------------------------------------------------------------ 5. local search
@pytest.mark.parametrize("seed", [0, 1])
def test_adam_never_beats_the_certified_optimum(tokens, seed):
    torch = pytest.importorskip("torch")
    X, Y = tokens
    alpha = 0.02
    model = ConvexAttention(alpha).fit(X, Y)
    gen = np.random.default_rng(seed)
    width = model.n_heads_ + 2
    net = model.network()
    W = 0.5 * gen.normal(size=(width, 2, 2))
    V = 0.5 * gen.normal(size=(width, 2, 2))
    if seed == 1:  # start at the optimum, with two small extra heads
        W[: net.n_heads], V[: net.n_heads] = net.W, net.V
        W[net.n_heads :] *= 1e-2
        V[net.n_heads :] *= 1e-2
    module = AttentionNetwork(W, V, np.zeros(2)).to_torch()
    Xt, Yt = torch.as_tensor(X), torch.as_tensor(Y)
    opt = torch.optim.Adam(module.parameters(), lr=1e-2)
    lowest = np.inf
    for _ in range(400):
        opt.zero_grad()
        loss = ((module(Xt) - Yt) ** 2).sum() / (2 * len(X))
        J = loss + alpha / 2 * ((module.W**2).sum() + (module.V**2).sum())
        lowest = min(lowest, J.item())
        J.backward()
        opt.step()
    assert lowest >= model.objective_ * (1 - 1e-9)
    assert lowest <= 1.5 * model.objective_  # Adam did train (a meaningful comparison)


# ------------------------------------------------------------------ 6. bad input
def test_bad_input_is_refused_with_named_errors(tokens):
    X, Y = tokens
    bad = X.copy()
    bad[0, 1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ConvexAttention().fit(bad, Y)
    with pytest.raises(ValueError, match=r"X must be 2-D .* or 3-D"):
        ConvexAttention().fit(X[..., None], Y)
    with pytest.raises(ValueError, match="n_tokens = 4 does not divide the 6 features"):
        ConvexAttention(n_tokens=4).fit(X.reshape(30, 6), Y)
    with pytest.raises(ValueError, match="n_tokens = 2 does not match X"):
        ConvexAttention(n_tokens=2).fit(X, Y)
    for alpha in (0.0, -1.0, np.inf, "1"):
        with pytest.raises(InvalidParameterError, match="'alpha' parameter"):
            ConvexAttention(alpha).fit(X, Y)
    with pytest.raises(ValueError, match="alpha must be a finite number"):
        duality_gap(X, Y, np.zeros((4, 4)), np.nan)
    with pytest.raises(InvalidParameterError, match="'activation' parameter"):
        ConvexAttention(activation="relu").fit(X, Y)
    with pytest.raises(MemoryLimitError, match=r"memory_limit = 1 KiB; use fewer gates"):
        ConvexAttention(memory_limit=1024).fit(X, Y)
    with pytest.raises(TypeError, match="X must contain real numbers"):
        ConvexAttention().fit(X + 1j, Y)
    model = ConvexAttention().fit(X, Y)
    with pytest.raises(ValueError, match=r"tokens of shape \(2, 3\), but ConvexAttention"):
        model.predict(X.transpose(0, 2, 1))
    with pytest.raises(ValueError, match="y has only 1 class"):
        ConvexAttentionClassifier().fit(X, np.zeros(30))
    with pytest.raises(ValueError, match="head_gates must be 1 gate indices"):
        AttentionNetwork(np.ones((1, 2, 2)), np.ones((1, 2, 1)), [0.0], np.ones((1, 2, 2)), [3])


def test_convergence_warning_names_the_gap(tokens):
    X, Y = tokens
    with pytest.warns(ConvergenceWarning, match=r"max_iter = 3 iterations: relative duality gap"):
        model = ConvexAttention(0.01, max_iter=3).fit(X, Y)
    assert not model.exact_
    assert model.relative_gap_ > 1e-6
    assert model.lower_bound_ <= model.objective_


# ------------------------------------------------------------------ 7. scikit-learn
@pytest.mark.parametrize("Estimator", [ConvexAttention, ConvexAttentionClassifier])
def test_scikit_learn_estimator_checks(Estimator):
    from sklearn.exceptions import SkipTestWarning
    from sklearn.utils.estimator_checks import check_estimator

    # alpha = 1: the checks' data include tokens near (100, 100), whose cubic features
    # are nearly singular; at a tiny alpha their 1e-8 certificate is beyond float64
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkipTestWarning)
        results = check_estimator(Estimator(alpha=1.0, random_state=0), on_fail=None)
    failed = [
        (r["check_name"], str(r["exception"])[:300]) for r in results if r["status"] == "failed"
    ]
    assert failed == []
    reasons = [str(r["exception"]) for r in results if r["status"] == "skipped"]
    assert all("SCIPY_ARRAY_API" in why or "pandas is not installed" in why for why in reasons)


# ------------------------------------------------------------------ 8. digits
def test_digits_rows_as_tokens():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16.0, y[:300]  # each 8 × 8 image: 8 row tokens in R^8
    model = ConvexAttentionClassifier(alpha=1e-3, n_tokens=8).fit(X, y)
    assert model.exact_
    assert model.relative_gap_ <= 1e-8
    assert (model.n_tokens_, model.token_dim_, model.classes_.size) == (8, 8, 10)
    majority = np.bincount(y).max() / len(y)
    accuracy = model.score(X, y)
    assert accuracy > max(0.5, majority)
    assert model.decision_function(X).shape == (300, 10)
    maps = model.interactions()
    assert maps.shape == (model.n_heads_, 8, 8)
    assert "head 0" in model.describe(top=3)


# ------------------------------------------------------------------ more properties
def test_rows_split_into_tokens_equal_the_3d_fit(tokens):
    X, Y = tokens
    flat = ConvexAttention(0.02, n_tokens=3).fit(X.reshape(30, 6), Y)
    cube = ConvexAttention(0.02).fit(X, Y)
    assert flat.n_features_in_ == cube.n_features_in_ == 6
    assert_allclose(flat.objective_, cube.objective_, rtol=1e-12)
    assert_allclose(flat.predict(X), cube.predict(X.reshape(30, 6)), rtol=1e-12)
    one = ConvexAttention(0.02).fit(X.reshape(30, 6), Y)  # one token per example
    assert (one.n_tokens_, one.token_dim_) == (1, 6)


def test_nested_architectures_have_ordered_optima(tokens):
    """Gates plus the all-ones mask contain both the gated and the linear blocks."""
    X, Y = tokens
    alpha = 0.02
    linear = ConvexAttention(alpha).fit(X, Y)
    gated = ConvexAttention(alpha, activation="gated", n_gates=2, random_state=5).fit(X, Y)
    both = ConvexAttention(
        alpha, activation="gated", n_gates=2, linear_mask=True, random_state=5
    ).fit(X, Y)
    assert np.all(both.gates_[0] == 0)
    assert_allclose(both.gates_[1:], gated.gates_)
    for model in (linear, gated, both):
        assert model.exact_
    slack = 1e-8 * both.objective_
    assert both.objective_ <= min(linear.objective_, gated.objective_) + slack


def test_rescaled_tokens_give_the_same_fit(tokens):
    """(c X, c³ alpha) is (X, alpha) with Z / c³: far outside [2^-10, 2^10] too."""
    X, Y = tokens
    base = ConvexAttention(0.02).fit(X, Y)
    for c in (3e3, 1e-4):
        model = ConvexAttention(0.02 * c**3).fit(c * X, Y)
        assert model.exact_
        assert_allclose(model.objective_, base.objective_, rtol=1e-7)
        assert_allclose(model.predict(c * X), base.predict(X), atol=1e-5 * np.abs(Y).max())
        assert_allclose(model.lifted_ * c**3, base.lifted_, atol=1e-4 * np.abs(base.lifted_).max())


def test_interactions_are_the_pairs_contributions(tokens):
    X, Y = tokens
    model = ConvexAttention(0.02).fit(X, Y)
    maps = model.interactions(X)
    t = X.shape[1]
    for j, head in enumerate(model.heads_):
        expected = np.zeros((t, t))
        for i in range(len(X)):
            for a in range(t):
                for b in range(t):
                    part = (X[i, a] @ head.W @ X[i, b]) * (X[i, b] @ head.V) / t
                    expected[a, b] += np.linalg.norm(part) / len(X)
        assert_allclose(maps[j], expected, rtol=1e-12)
    assert_allclose(model.interactions(), maps)  # the training examples by default


def test_binary_classifier_has_one_decision(rng):
    X = rng.normal(size=(40, 2, 2))
    y = np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")
    model = ConvexAttentionClassifier(alpha=1e-3).fit(X, y)
    scores = model.decision_function(X)
    assert scores.shape == (40,)
    assert_allclose(model.intercept_, model.network().b)
    assert np.array_equal(model.predict(X), np.where(scores > 0, "up", "down"))
    assert model.exact_
