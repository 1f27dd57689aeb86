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
