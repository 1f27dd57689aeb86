"""geolasso.cnn: patches, the wedge-patch Lasso, and the recovered CNN.

Oracles: direct loops and torch's unfold for the patches; cvxpy + Clarabel
for the exact convex CNN program over the enumerated patterns of the stacked
patch matrix (SPEC §6, with the ℓ1 first-layer norm); torch for the network.
"""

import cvxpy as cp
import numpy as np
import pytest
from _oracles import activation_patterns, solve

from geolasso.cnn import ConvexCNN, patch_pattern_bound, patches


def test_patches_equal_a_direct_loop(rng):
    imgs = rng.standard_normal((3, 2, 5, 6))
    P = patches(imgs, (2, 3), stride=(2, 1), padding=1)
    padded = np.pad(imgs, ((0, 0), (0, 0), (1, 1), (1, 1)))
    rows = []
    for r in range(0, padded.shape[2] - 2 + 1, 2):
        for c in range(0, padded.shape[3] - 3 + 1, 1):
            rows.append(padded[:, :, r : r + 2, c : c + 3].reshape(3, -1))
    np.testing.assert_array_equal(P, np.stack(rows, axis=1))
    sig = rng.standard_normal((4, 7))
    Q = patches(sig, 3, stride=2)
    loop = np.stack([sig[:, s : s + 3] for s in range(0, 5, 2)], axis=1)
    np.testing.assert_array_equal(Q, loop)


def test_patches_equal_torch_unfold(rng):
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    imgs = rng.standard_normal((2, 3, 6, 5))
    P = patches(imgs, 3, stride=2, padding=1)
    ref = torch.nn.functional.unfold(torch.as_tensor(imgs), 3, stride=2, padding=1)
    np.testing.assert_array_equal(P, ref.numpy().transpose(0, 2, 1))


def cnn_value(P, y, alpha):
    """The exact convex CNN program (SPEC §6) with free biases and intercept, ℓ1 norm."""
    n, K, h = P.shape
    Z = np.column_stack([P.reshape(n * K, h), np.ones(n * K)])
    D = activation_patterns(Z)
    D = D[D.any(axis=1)]
    G = D.shape[0]
    V, U = cp.Variable((G, h + 1)), cp.Variable((G, h + 1))
    pre_v, pre_u = Z @ V.T, Z @ U.T  # (nK, G)
    rows = cp.sum(cp.multiply(D.T, pre_v - pre_u), axis=1)
    pool = np.kron(np.eye(n), np.ones((1, K)))  # sums the patches of each image
    c = cp.Variable()
    penalty = cp.sum(cp.norm(V[:, :h], 1, axis=1)) + cp.sum(cp.norm(U[:, :h], 1, axis=1))
    sign = 2 * D.T - 1
    cons = [cp.multiply(sign, pre_v) >= 0, cp.multiply(sign, pre_u) >= 0]
    obj = cp.sum_squares(y - pool @ rows - c) / (2 * n) + alpha * penalty
    return solve(cp.Problem(cp.Minimize(obj), cons)), G


@pytest.mark.parametrize("kind", ["signals", "images"])
def test_the_wedge_patch_lasso_is_the_exact_cnn_optimum(rng, kind):
    if kind == "signals":
        X = rng.standard_normal((6, 4))
        y = np.maximum(X[:, 1:] - X[:, :-1], 0).sum(axis=1)
        kernel = 2
    else:
        X = rng.standard_normal((3, 3, 3))
        y = X[:, 0, 0] - X[:, 2, 2]
        kernel = 2
    alpha = 1e-2
    model = ConvexCNN(kernel_size=kernel, alpha=alpha, tol=1e-12).fit(X, y)
    assert model.exact_
    ref, n_patterns = cnn_value(patches(X, kernel), y, alpha)
    assert model.objective_ == pytest.approx(ref, rel=1e-6)
    assert model.network_.objective(X, y, alpha) == pytest.approx(model.objective_, rel=1e-9)
    # every filter passes through its generator patches
    P = patches(X, kernel)
    for f in model.filters_:
        for image, _, _ in f["patches"]:
            values = P[image] @ f["weight"] + f["bias"]
            assert np.min(np.abs(values)) < 1e-9 * (1 + np.abs(values).max())
    assert n_patterns <= patch_pattern_bound(P.shape[0] * P.shape[1], P.shape[2] + 1)


def test_the_network_in_torch_computes_the_same(rng):
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    imgs = rng.standard_normal((5, 2, 4, 4))
    y = imgs[:, 0].mean(axis=(1, 2))
    model = ConvexCNN(kernel_size=2, alpha=1e-2, max_atoms=2000, random_state=0).fit(imgs, y)
    net = model.network_.to_torch((4, 4))
    out = net(torch.as_tensor(imgs)).detach().numpy()[:, 0]
    np.testing.assert_allclose(out, model.predict(imgs), rtol=1e-10, atol=1e-12)
    sig = rng.standard_normal((5, 6))
    m1 = ConvexCNN(kernel_size=3, alpha=1e-2).fit(sig, sig[:, 0])
    out = m1.network_.to_torch(6)(torch.as_tensor(sig[:, None, :])).detach().numpy()[:, 0]
    np.testing.assert_allclose(out, m1.predict(sig), rtol=1e-10, atol=1e-12)
    m2 = ConvexCNN(kernel_size=2, alpha=1e-2, norm="l2", bias=False, method="arrangement")
    m2.fit(sig, sig[:, 1])
    out = m2.network_.to_torch(6)(torch.as_tensor(sig[:, None, :])).detach().numpy()[:, 0]
    np.testing.assert_allclose(out, m2.predict(sig), rtol=1e-10, atol=1e-12)


def test_measured_pattern_counts_obey_the_bound(rng):
    X = rng.standard_normal((5, 5))
    P = patches(X, 2).reshape(-1, 2)
    Z = np.column_stack([P, np.ones(len(P))])
    count = activation_patterns(Z).shape[0]
    assert count <= patch_pattern_bound(len(P), 3)


def test_bad_input_is_refused_clearly(rng):
    with pytest.raises(ValueError, match="same shape"):
        patches([[1.0, 2.0, 3.0], [1.0, 2.0]], 2)
    with pytest.raises(ValueError, match="larger than the image"):
        patches(rng.standard_normal((2, 3, 3)), 4)
    with pytest.raises(ValueError, match="stride"):
        patches(rng.standard_normal((2, 5)), 2, stride=0)
    with pytest.raises(ValueError, match="one target per image"):
        ConvexCNN(kernel_size=2).fit(rng.standard_normal((4, 5)), np.zeros(3))


def test_the_classifier_maps_labels(rng):
    from geolasso.cnn import ConvexCNNClassifier

    X = rng.standard_normal((10, 5))
    labels = np.where(X[:, 2] - X[:, 1] > 0, "up", "down")
    clf = ConvexCNNClassifier(kernel_size=2, alpha=1e-3).fit(X, labels)
    signed = np.where(labels == "up", 1.0, -1.0)
    reg = ConvexCNN(kernel_size=2, alpha=1e-3).fit(X, signed)
    assert clf.objective_ == pytest.approx(reg.objective_, rel=1e-12)
    np.testing.assert_array_equal(clf.predict(X), np.where(reg.predict(X) > 0, "up", "down"))
    with pytest.raises(ValueError, match="two classes"):
        ConvexCNNClassifier(kernel_size=2).fit(X, np.arange(10) % 3)


# ---------------------------------------------------------------- the arrangement program


def weight_decay_cnn_value(P, y, alpha, bias, *, gated=False):
    """The convex CNN program of SPEC §6 with the ℓ2 norm, sum pooling, written in cvxpy.

    ``bias``: "none" (SPEC's form), "regularized" (a ones column inside the
    norm) or "free" (free filter biases and output intercept). Returns the
    optimum and the number of (non-zero) patterns of the stacked patches.
    Clarabel at 1e-9: at 1e-10 it reports "optimal_inaccurate" on these.
    """
    n, K, h = P.shape
    M = P.reshape(n * K, h)
    Z = M if bias == "none" else np.column_stack([M, np.ones(n * K)])
    r = Z.shape[1]
    D = activation_patterns(Z)
    D = D[D.any(axis=1)]
    G = D.shape[0]
    V, U = cp.Variable((G, r)), cp.Variable((G, r))
    pre_v, pre_u = Z @ V.T, Z @ U.T
    rows = cp.sum(cp.multiply(D.T, pre_v if gated else pre_v - pre_u), axis=1)
    pool = np.kron(np.eye(n), np.ones((1, K)))
    n_pen = h if bias == "free" else r
    penalty = cp.sum(cp.norm(V[:, :n_pen], 2, axis=1))
    cons = []
    if not gated:
        penalty = penalty + cp.sum(cp.norm(U[:, :n_pen], 2, axis=1))
        sign = 2 * D.T - 1
        cons = [cp.multiply(sign, pre_v) >= 0, cp.multiply(sign, pre_u) >= 0]
    c = cp.Variable() if bias == "free" else 0.0
    obj = cp.sum_squares(y - pool @ rows - c) / (2 * n) + alpha * penalty
    problem = cp.Problem(cp.Minimize(obj), cons)
    problem.solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-9, tol_gap_rel=1e-9, tol_feas=1e-9, max_iter=500
    )
    assert problem.status == cp.OPTIMAL, problem.status
    return problem.value, G


BIAS = {False: "none", "regularized": "regularized", True: "free"}


@pytest.mark.parametrize(
    ("kind", "bias", "pooling"),
    [
        ("signals", False, "sum"),
        ("signals", "regularized", "sum"),
        ("signals", True, "sum"),
        ("signals", True, "mean"),
        ("images", False, "sum"),
        ("images", "regularized", "mean"),
    ],
)
def test_the_arrangement_program_is_the_exact_weight_decay_cnn_optimum(rng, kind, bias, pooling):
    if kind == "signals":
        X = rng.standard_normal((6, 5))
        y = np.maximum(X[:, 1:] - X[:, :-1], 0).sum(axis=1) - 0.5
    else:
        X = rng.standard_normal((3, 3, 3))
        y = X[:, 0, 0] - X[:, 2, 2] + 0.3 * X[:, 1, 1]
    alpha = 1e-2
    model = ConvexCNN(
        kernel_size=2,
        alpha=alpha,
        norm="l2",
        bias=bias,
        pooling=pooling,
        method="arrangement",
        tol=1e-10,
    ).fit(X, y)
    P = patches(X, 2)
    K = P.shape[1]
    # mean pooling at α is sum pooling at K α (the filters scaled by 1/K)
    ref, n_patterns = weight_decay_cnn_value(
        P, y, alpha * (K if pooling == "mean" else 1), BIAS[bias]
    )
    assert model.patterns_.exact
    assert model.patterns_.n_patterns == n_patterns
    assert model.exact_
    assert model.objective_ == pytest.approx(ref, rel=1e-7)
    assert model.optimality_gap_ <= 1e-9 * model.objective_
    assert model.solution_.objective == pytest.approx(model.objective_, rel=1e-10)
    # the recovered CNN's weight-decay objective, evaluated directly
    net = model.network_
    pred = net.predict(X)
    direct = ((pred - y) @ (pred - y)) / (2 * len(y)) + alpha / 2 * (
        (net.W**2).sum() + (net.b**2).sum() * (bias == "regularized") + (net.v**2).sum()
    )
    assert direct == pytest.approx(ref, rel=1e-7)
    # each filter passes through the patches listed for it, and is active on its pattern
    M = P.reshape(-1, P.shape[2])
    for f in model.filters_:
        values = M @ f["weight"] + f["bias"]
        for image, row, col in f["patches"]:
            k = row * (X.shape[-1] - 1) + col if kind == "images" else col
            assert abs(values[image * K + k]) < 1e-8 * (1 + np.abs(values).max())
        active = model.patterns_.patterns[f["pattern"]]
        assert np.all(values[~active] <= 1e-9 * (1 + np.abs(values).max()))
    # the wedge-patch dictionary (ℓ2 norm) is an upper bound on it
    upper = ConvexCNN(
        kernel_size=2, alpha=alpha, norm="l2", bias=bias, pooling=pooling, tol=1e-10
    ).fit(X, y)
    assert upper.objective_ >= model.objective_ * (1 - 1e-9)


def test_the_gated_relaxation_and_sampled_patterns(rng):
    X = rng.standard_normal((6, 5))
    y = np.maximum(X[:, 1:] - X[:, :-1], 0).sum(axis=1) - 0.5
    alpha = 1e-2

    def fit(**kwargs):
        return ConvexCNN(
            kernel_size=2,
            alpha=alpha,
            norm="l2",
            bias="regularized",
            method="arrangement",
            tol=1e-10,
            **kwargs,
        ).fit(X, y)

    gated = fit(gated=True)
    ref, _ = weight_decay_cnn_value(patches(X, 2), y, alpha, "regularized", gated=True)
    assert gated.objective_ == pytest.approx(ref, rel=1e-7)
    assert gated.network_ is None
    assert not gated.exact_
    # its predictions (gates applied to the patches) reproduce the objective's loss
    res = gated.solution_
    pen = alpha * np.linalg.norm(res.coef, axis=1).sum()
    loss = ((gated.predict(X) - y) ** 2).sum() / (2 * len(y))
    assert loss + pen == pytest.approx(gated.objective_, rel=1e-9)
    # the relaxation is no higher than the ReLU program over the same patterns
    relu = fit()
    assert gated.objective_ <= relu.objective_ * (1 + 1e-9)
    # sampled patterns: an upper bound, never called exact, and seeded
    sampled = fit(patterns=30, random_state=0)
    assert not sampled.patterns_.exact
    assert not sampled.exact_
    assert sampled.objective_ >= relu.objective_ * (1 - 1e-9)
    assert fit(patterns=30, random_state=0).objective_ == sampled.objective_
    # started from the wedge-patch dictionary fit (the default for sampled patterns): its
    # filters' patterns join the sampled ones, so the certified optimum is never above it
    wedge = ConvexCNN(kernel_size=2, alpha=alpha, norm="l2", bias="regularized").fit(X, y)
    assert sampled.objective_ <= wedge.objective_ * (1 + 1e-9)
    Z = np.column_stack([patches(X, 2).reshape(-1, 2), np.ones(X.shape[0] * 4)])
    have = {m.tobytes() for m in sampled.patterns_.patterns}
    for w, b in zip(wedge.network_.W, wedge.network_.b, strict=True):
        gate = np.append(w, b)
        assert (Z @ gate > 1e-9 * (np.abs(Z) @ np.abs(gate))).tobytes() in have
    alone = fit(patterns=30, random_state=0, start=None)
    assert alone.patterns_.n_patterns <= sampled.patterns_.n_patterns
    assert alone.objective_ >= relu.objective_ * (1 - 1e-9)


def test_the_arrangement_settings_are_checked(rng):
    X, y = rng.standard_normal((5, 5)), rng.standard_normal(5)
    with pytest.raises(ValueError, match="method must be"):
        ConvexCNN(kernel_size=2, method="admm").fit(X, y)
    with pytest.raises(ValueError, match=r"norm='l2'.*method='dictionary'"):
        ConvexCNN(kernel_size=2, method="arrangement", norm="l1").fit(X, y)
    with pytest.raises(ValueError, match="degenerate"):
        ConvexCNN(kernel_size=2, method="arrangement", norm="l2", gated=True).fit(X, y)
    with pytest.raises(ValueError, match="method='arrangement'"):
        ConvexCNN(kernel_size=2, gated=True).fit(X, y)
    from geolasso.exceptions import DictionaryTooLargeError

    images = rng.standard_normal((12, 6, 6))
    with pytest.raises(DictionaryTooLargeError, match=r"stacked patches.*max_atoms=<int>"):
        ConvexCNN(kernel_size=3, max_atoms=None, memory_limit=10_000).fit(images, y[:1].repeat(12))
    with pytest.raises(DictionaryTooLargeError, match="patterns=<int>"):
        ConvexCNN(
            kernel_size=3, norm="l2", method="arrangement", patterns="exact", memory_limit=10_000
        ).fit(images, y[:1].repeat(12))
    with pytest.raises(ValueError, match="start must be"):
        ConvexCNN(kernel_size=2, method="arrangement", norm="l2", bias=False, start="zero").fit(
            X, y
        )
