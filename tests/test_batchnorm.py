"""Batch-normalised two-layer networks (geolasso.batchnorm) against independent oracles.

The convex program of docs/mathematics.md §7.1 is written out in cvxpy over the
whitened samples (numpy's SVD, patterns from tests/_oracles), with the free
intercept as a cvxpy variable; the BN network is evaluated in its own
parameters (γ, β, v, w) and in torch's BatchNorm1d.
"""

import warnings

import cvxpy as cp
import numpy as np
import pytest
from _oracles import activation_patterns, solve

from geolasso.batchnorm import (
    BatchNormReLUNetwork,
    ConvexBatchNormReLU,
    ConvexBatchNormReLUClassifier,
    whiten,
)


def bn_oracle(X, y, alpha, *, norm, fit_intercept, unit=1.0):
    """min over all patterns of [unit·U, 1] of the BN program, in cvxpy + Clarabel."""
    n = X.shape[0]
    Xc = X - X.mean(axis=0)
    U, s, _ = np.linalg.svd(Xc, full_matrices=False)
    U = U[:, s > 1e-12 * s[0]] * unit
    Z = np.column_stack([U, np.ones(n)])
    D = activation_patterns(Z)
    D = D[D.any(axis=1)]
    P, r = D.shape[0], Z.shape[1]
    V, W = cp.Variable((P, r)), cp.Variable((P, r))
    pv, pw = Z @ V.T, Z @ W.T
    fit = cp.sum(cp.multiply(D.T, pv - pw), axis=1)
    c = cp.Variable() if fit_intercept else 0.0
    p = 1 if norm == "l1" else 2
    pen = cp.sum(cp.norm(V, p, axis=1)) + cp.sum(cp.norm(W, p, axis=1))
    sign = 2 * D.T - 1
    cons = [cp.multiply(sign, pv) >= 0, cp.multiply(sign, pw) >= 0]
    return solve(cp.Problem(cp.Minimize(cp.sum_squares(y - fit - c) / (2 * n) + alpha * pen), cons))


def data(seed, n=9, d=2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d)
    y = rng.normal(size=n) + 2.0 * (X[:, 0] > 0) + 0.7  # an offset: the intercept matters
    return X, y


def test_whitening_identity_t20():
    """docs/mathematics.md T20: BN(Xu) = [U, 1] s with ‖s‖² = γ² + β² = 3.05 (independent lstsq)."""
    rng = np.random.default_rng(20)
    X, u = rng.normal(size=(10, 4)), rng.normal(size=4)
    white = whiten(X)
    z = X @ u - (X @ u).mean()
    bn = 1.7 * z / np.linalg.norm(z) - 0.4
    Z = np.column_stack([white.U, np.ones(10)])
    s, *_ = np.linalg.lstsq(Z, bn, rcond=None)
    assert np.allclose(Z @ s, bn, atol=1e-12)
    assert s @ s == pytest.approx(3.05, rel=1e-12)
    # the direction map: w = V Σ⁻¹ q has centred pre-activation U q
    q = s[:4] / np.linalg.norm(s[:4])
    w = white.direction(q)
    assert np.allclose(X @ w - (X @ w).mean(), white.U @ q, atol=1e-12)
    assert np.allclose(white.transform(X), white.U, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_arrangement_matches_cvxpy(seed, fit_intercept):
    X, y = data(seed)
    alpha = 0.1 / len(y)
    ref = bn_oracle(X, y, alpha, norm="l2", fit_intercept=fit_intercept)
    model = ConvexBatchNormReLU(alpha=alpha, fit_intercept=fit_intercept, tol=1e-10).fit(X, y)
    assert model.exact_
    assert model.objective_ == pytest.approx(ref, rel=1e-6)
    # the certificate is a true lower bound, and the network's own objective is the optimum
    assert model.lower_bound_ <= ref * (1 + 1e-8)
    assert model.network_.objective(X, y, alpha) == pytest.approx(model.objective_, rel=1e-8)
    if not fit_intercept:
        assert model.intercept_ == 0.0


@pytest.mark.parametrize("seed", range(2))
def test_std_normalization_matches_cvxpy(seed):
    """torch's convention: the program over [√n U, 1], the penalty on torch's BN weight."""
    X, y = data(10 + seed)
    alpha = 0.05 / len(y)
    ref = bn_oracle(X, y, alpha, norm="l2", fit_intercept=True, unit=np.sqrt(len(y)))
    model = ConvexBatchNormReLU(alpha=alpha, normalization="std", tol=1e-10).fit(X, y)
    assert model.objective_ == pytest.approx(ref, rel=1e-6)
    assert model.network_.objective(X, y, alpha) == pytest.approx(model.objective_, rel=1e-8)


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_wedge_l1_is_exact(seed, fit_intercept):
    """The wedge Lasso of the whitened samples reaches the ℓ1 program's optimum (cvxpy)."""
    X, y = data(30 + seed)
    alpha = 0.1 / len(y)
    ref = bn_oracle(X, y, alpha, norm="l1", fit_intercept=fit_intercept)
    model = ConvexBatchNormReLU(
        alpha=alpha, method="wedge", norm="l1", fit_intercept=fit_intercept, tol=1e-10
    ).fit(X, y)
    assert model.exact_
    assert model.objective_ == pytest.approx(ref, rel=1e-6)
    # each neuron is a hyperplane through its generator samples, in the original coordinates
    for f in model.features_:
        pre = X[f["samples"]] @ f["weight"] + f["bias"]
        assert np.allclose(pre, 0.0, atol=1e-9 * (1 + np.abs(X).max() * np.abs(f["weight"]).sum()))
        # and its value on the training samples is the BN output (before the ReLU)
        k = f["neuron"]
        bn = model.network_.normalized(X)[:, k]
        assert np.allclose(X @ f["weight"] + f["bias"], bn, atol=1e-9)


def test_wedge_l2_is_an_upper_bound_certified_by_the_patterns():
    X, y = data(40)
    alpha = 0.1 / len(y)
    ref = bn_oracle(X, y, alpha, norm="l2", fit_intercept=True)
    model = ConvexBatchNormReLU(alpha=alpha, method="wedge", norm="l2").fit(X, y)
    assert model.objective_ >= ref * (1 - 1e-8)
    assert model.lower_bound_ <= ref * (1 + 1e-8)
    assert model.exact_ == (model.relative_gap_ <= 1e-6)


def test_hyperplanes_and_the_regions_picture():
    """hyperplanes() is each neuron's BN output as an affine map; viz draws those lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import viz

    X, y = data(55, n=12)
    model = ConvexBatchNormReLUClassifier(alpha=1e-3).fit(X, np.sign(y - np.median(y)))
    A, c = model.network_.hyperplanes()
    assert np.allclose(X @ A.T + c, model.network_.normalized(X), atol=1e-10)
    new = np.random.default_rng(2).normal(size=(4, 2))
    assert np.allclose(new @ A.T + c, model.network_.normalized(new, training=False), atol=1e-10)
    fig, ax = plt.subplots()
    before = len(ax.lines)
    viz.plot_regions(model, X, neurons=True, ax=ax)
    assert len(ax.lines) - before == model.n_neurons_  # every neuron's line crosses the view
    plt.close(fig)


def test_scale_invariance():
    """BN divides the scale of w out: X and 1000 X give the same fit."""
    X, y = data(50)
    a = ConvexBatchNormReLU(alpha=1e-2).fit(X, y)
    b = ConvexBatchNormReLU(alpha=1e-2).fit(1000 * X + 5, y)
    assert a.objective_ == pytest.approx(b.objective_, rel=1e-7)
    assert np.allclose(a.predict(X), b.predict(1000 * X + 5), atol=1e-6)


@pytest.mark.parametrize("normalization", ["norm", "std"])
@pytest.mark.parametrize("eps", [1e-5, 1e-2])
def test_torch_batchnorm_gives_the_same_outputs(normalization, eps):
    torch = pytest.importorskip("torch")
    X, y = data(60, n=12)
    model = ConvexBatchNormReLU(alpha=1e-2, normalization=normalization).fit(X, y)
    module = model.to_torch(eps=eps)
    assert isinstance(module[1], torch.nn.BatchNorm1d)
    module.train()
    with torch.no_grad():
        out = module(torch.as_tensor(X)).numpy().ravel()
    assert np.allclose(out, model.network_.forward(X), rtol=0, atol=1e-10)
    assert np.allclose(out, model.predict(X), rtol=0, atol=1e-10)
    module.eval()
    new = np.random.default_rng(1).normal(size=(5, 2)) * 3
    with torch.no_grad():
        out = module(torch.as_tensor(new)).numpy().ravel()
    assert np.allclose(out, model.predict(new), rtol=0, atol=1e-10)


def test_adam_does_not_beat_the_optimum():
    """torch BatchNorm1d with weight decay on its weight, bias and the output layer: the
    program of normalization="std" (eps only raises torch's objective); Adam from random
    starts ends at or above the optimum."""
    torch = pytest.importorskip("torch")
    X, y = data(70, n=12)
    alpha = 0.05 / 12
    model = ConvexBatchNormReLU(alpha=alpha, normalization="std", tol=1e-10).fit(X, y)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    for seed in range(2):
        torch.manual_seed(seed)
        width = max(2 * model.n_neurons_, 8)
        net = torch.nn.Sequential(
            torch.nn.Linear(2, width, bias=False, dtype=torch.float64),
            torch.nn.BatchNorm1d(width, dtype=torch.float64),
            torch.nn.ReLU(),
            torch.nn.Linear(width, 1, dtype=torch.float64),
        )
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)

        def objective(net=net):
            bn, out = net[1], net[3]
            loss = ((net(Xt).ravel() - yt) ** 2).sum() / (2 * len(yt))
            pen = (bn.weight**2).sum() + (bn.bias**2).sum() + (out.weight**2).sum()
            return loss + alpha / 2 * pen

        for _ in range(1500):
            opt.zero_grad()
            value = objective()
            value.backward()
            opt.step()
        with torch.no_grad():
            final = float(objective())
        assert final >= model.objective_ * (1 - 1e-9)


def test_classifier_and_describe():
    rng = np.random.default_rng(80)
    X = rng.normal(size=(20, 2))
    labels = np.where(X[:, 0] * X[:, 1] > 0, "same", "other")
    model = ConvexBatchNormReLUClassifier(alpha=1e-3).fit(X, labels)
    assert model.exact_
    assert model.score(X, labels) == 1.0
    text = model.describe(2)
    assert "BN neurons" in text
    assert "(exact;" in text
    with pytest.raises(ValueError, match="binary"):
        ConvexBatchNormReLUClassifier().fit(X, np.arange(20) % 3)


def test_bad_input():
    X, y = data(90)
    with pytest.raises(ValueError, match="no variation"):
        ConvexBatchNormReLU().fit(np.ones((5, 2)), np.arange(5.0))
    with pytest.raises(ValueError, match="NaN"):
        ConvexBatchNormReLU().fit(np.where(X[0, 0] == X, np.nan, X), y)
    with pytest.raises(ValueError, match="alpha"):
        ConvexBatchNormReLU(alpha=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="normalization"):
        ConvexBatchNormReLU(normalization="var").fit(X, y)
    with pytest.raises(ValueError, match="gamma"):
        BatchNormReLUNetwork(np.ones((2, 2)), [1.0], [0.0, 0.0], [1.0, 1.0])
    net = BatchNormReLUNetwork(np.ones((1, 2)), [1.0], [0.0], [1.0])
    with pytest.raises(ValueError, match="fix_statistics"):
        net.predict(X)
    with pytest.raises(ValueError, match="constant pre-activation"):
        net.forward(np.array([[1.0, 0.0], [0.0, 1.0]]))


@pytest.mark.parametrize("Estimator", [ConvexBatchNormReLU, ConvexBatchNormReLUClassifier])
def test_scikit_learn_estimator_checks(Estimator):
    from sklearn.exceptions import SkipTestWarning
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkipTestWarning)
        warnings.simplefilter("ignore", UserWarning)
        results = check_estimator(Estimator(alpha=1e-2, patterns=200, random_state=0), on_fail=None)
    failed = [
        (r["check_name"], str(r["exception"])[:300]) for r in results if r["status"] == "failed"
    ]
    assert failed == []
