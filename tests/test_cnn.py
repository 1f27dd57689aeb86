"""geolasso.cnn: patches, the wedge-patch Lasso, and the recovered CNN.

Oracles: direct loops and torch's unfold for the patches; cvxpy + Clarabel
for the exact convex CNN program over the enumerated patterns of the stacked
patch matrix (docs/mathematics.md §6, with the ℓ1 first-layer norm); torch for the network.
"""

import warnings

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
    """The exact convex CNN program (docs/mathematics.md §6): free biases and intercept, ℓ1."""
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


@pytest.mark.parametrize("classifier", [False, True], ids=["regressor", "classifier"])
def test_complex_images_are_refused_not_cast(classifier, rng):
    from geolasso.cnn import ConvexCNNClassifier
    from geolasso.exceptions import ComplexDataError

    Estimator = ConvexCNNClassifier if classifier else ConvexCNN
    X = rng.standard_normal((6, 5))
    y = np.where(X[:, 2] > X[:, 1], 1.0, -1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning: an error before any cast
        with pytest.raises(ComplexDataError, match="images must contain real numbers"):
            Estimator(kernel_size=2, alpha=1e-2).fit(X + 0.5j, y)
        model = Estimator(kernel_size=2, alpha=1e-2).fit(X, y)
        with pytest.raises(ValueError, match="Complex data not supported"):  # a ValueError too
            model.predict(X + 0.5j)


@pytest.mark.parametrize(
    ("first", "second"),
    [("arrangement", "wedge"), ("wedge", "arrangement")],
    ids=["arrangement-then-wedge", "wedge-then-arrangement"],
)
def test_a_refit_with_another_method_keeps_nothing_of_the_first(first, second, rng):
    X = rng.standard_normal((6, 5))
    y = X[:, 2] - X[:, 1]
    params = {"kernel_size": 2, "alpha": 1e-2, "norm": "l2", "bias": False}
    fresh = ConvexCNN(method=second, **params).fit(X, y)
    model = ConvexCNN(method=first, **params).fit(X, y)
    model.set_params(method=second).fit(X, y)
    assert set(vars(model)) == set(vars(fresh))
    assert model.objective_ == pytest.approx(fresh.objective_, rel=1e-12)
    # a gated arrangement fit has no network; a refit without gates must not keep its gates
    gated = ConvexCNN(method="arrangement", gated=True, **params).fit(X, y)
    assert gated.gates_ is not None
    gated.set_params(method="wedge", gated=False).fit(X, y)
    assert set(vars(gated)) == set(vars(ConvexCNN(method="wedge", **params).fit(X, y)))


def test_the_network_objective_needs_a_non_negative_alpha(rng):
    X = rng.standard_normal((6, 5))
    y = X[:, 2] - X[:, 1]
    net = ConvexCNN(kernel_size=2, alpha=1e-2).fit(X, y).network_
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        net.objective(X, y, -1.0)
    r = net.predict(X) - y
    assert net.objective(X, y, 0.0) == pytest.approx(r @ r / (2 * len(y)), rel=1e-12)


def test_the_classifier_maps_labels(rng):
    from geolasso.cnn import ConvexCNNClassifier

    X = rng.standard_normal((10, 5))
    labels = np.where(X[:, 2] - X[:, 1] > 0, "up", "down")
    clf = ConvexCNNClassifier(kernel_size=2, alpha=1e-3).fit(X, labels)
    signed = np.where(labels == "up", 1.0, -1.0)
    reg = ConvexCNN(kernel_size=2, alpha=1e-3).fit(X, signed)
    assert clf.objective_ == pytest.approx(reg.objective_, rel=1e-12)
    np.testing.assert_array_equal(clf.predict(X), np.where(reg.predict(X) > 0, "up", "down"))
    with pytest.raises(ValueError, match=r"two classes.*OneVsRestClassifier"):
        ConvexCNNClassifier(kernel_size=2).fit(X, np.arange(10) % 3)


def test_more_classes_one_vs_rest(rng):
    from sklearn.multiclass import OneVsRestClassifier

    from geolasso.cnn import ConvexCNNClassifier

    X = rng.standard_normal((15, 6))
    labels = np.array(["a", "b", "c"])[np.argmax(X[:, :3] - X[:, 1:4], axis=1)]
    ovr = OneVsRestClassifier(ConvexCNNClassifier(kernel_size=2, alpha=1e-3)).fit(X, labels)
    scores = np.column_stack(
        [
            ConvexCNNClassifier(kernel_size=2, alpha=1e-3).fit(X, labels == c).decision_function(X)
            for c in ovr.classes_
        ]
    )
    np.testing.assert_allclose(ovr.decision_function(X), scores, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(ovr.predict(X), ovr.classes_[scores.argmax(axis=1)])


# ---------------------------------------------------------------- the dictionary's memory


def counted(model, X, n_atoms):
    """The fit's counted bytes for ``n_atoms`` atoms, as the model counts them."""
    from geolasso.cnn import _fit_bytes

    n, K, h = model._patches(X).shape
    k = h - 1 if model.bias is False else h
    return _fit_bytes(n, K, h, k, n_atoms)


def test_auto_samples_the_largest_dictionary_that_fits_memory_limit(rng):
    from geolasso.dictionary import dictionary_size
    from geolasso.exceptions import GeolassoWarning

    X = rng.standard_normal((30, 6, 6))
    y = X[:, 1, 1] - X[:, 3, 2]
    limit = 8 * 2**20
    model = ConvexCNN(kernel_size=3, memory_limit=limit, random_state=0)
    with pytest.warns(GeolassoWarning, match="exhaustive wedge-patch dictionary") as record:
        model.fit(X, y)
    D = model.dictionary_
    size = 2 * D.n_subsets  # the sample drawn, before duplicates are dropped
    assert D.sampled
    assert not model.exact_
    assert counted(model, X, size)["total"] <= limit < counted(model, X, size + 2)["total"]
    total = dictionary_size(30 * 16, 9)
    message = str(record[0].message)
    assert f"{float(total):.2e} atoms" in message
    assert f"sample of {size:,} atoms" in message
    assert "max_atoms=<int>" in message
    # the same seed, the same sample
    with pytest.warns(GeolassoWarning):
        again = ConvexCNN(kernel_size=3, memory_limit=limit, random_state=0).fit(X, y)
    np.testing.assert_array_equal(again.dictionary_.hyperplanes, D.hyperplanes)


def test_auto_is_exhaustive_exactly_when_it_fits(rng):
    import warnings

    from geolasso.dictionary import dictionary_size
    from geolasso.exceptions import GeolassoWarning

    X = rng.standard_normal((6, 5))  # signals: 24 patches of 2 values
    y = np.maximum(X[:, 1:] - X[:, :-1], 0).sum(axis=1)
    total = dictionary_size(24, 2)
    need = counted(ConvexCNN(kernel_size=2), X, total)["total"]
    for limit in (need, 2 * 1024**3):  # the exact budget, and the default
        with warnings.catch_warnings():
            warnings.simplefilter("error", GeolassoWarning)
            model = ConvexCNN(kernel_size=2, alpha=1e-2, memory_limit=limit).fit(X, y)
        assert not model.dictionary_.sampled
        assert model.dictionary_.n_subsets == total // 2
        assert model.exact_
    with pytest.warns(GeolassoWarning, match=f"{total:,} atoms, too many to fit memory_limit"):
        small = ConvexCNN(kernel_size=2, alpha=1e-2, memory_limit=need - 1).fit(X, y)
    size = 2 * small.dictionary_.n_subsets
    assert small.dictionary_.sampled
    assert size < total
    assert counted(small, X, size)["total"] <= need - 1
    assert not small.exact_


@pytest.mark.parametrize("kernel", [2, 3], ids=["minors", "svd"])
def test_the_count_bounds_the_allocation(rng, kernel):
    """Counted bytes against the pooled matrix's nbytes and the fit's traced peak."""
    import tracemalloc

    from geolasso.cnn import _pooled_features

    X = rng.standard_normal((20, 6, 6))
    y = X[:, 1, 1] - X[:, 3, 2]
    ConvexCNN(kernel_size=kernel, max_atoms=100, random_state=0).fit(X[:5], y[:5])  # compile
    model = ConvexCNN(kernel_size=kernel, max_atoms=3000, random_state=0)
    tracemalloc.start()
    try:
        model.fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    parts = counted(model, X, 3000)
    # what is allocated stays within the count, and the count is not loose
    assert parts["total"] / 2 <= peak <= parts["total"]
    # the pooled feature matrix is the one the count names, and equals pooling the
    # dictionary's dense transform of the stacked patches
    D = model.dictionary_
    P = model._patches(X)
    for pooling in ("sum", "mean"):
        F = _pooled_features(D, P, pooling)
        T = D.transform(P.reshape(-1, P.shape[2])).reshape(*P.shape[:2], -1)
        ref = T.sum(axis=1) if pooling == "sum" else T.mean(axis=1)
        np.testing.assert_allclose(F, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())
        assert F.flags.f_contiguous
        assert counted(model, X, D.n_atoms)["features"] == F.nbytes


def test_an_explicit_max_atoms_that_does_not_fit_raises_first(rng):
    import re
    import tracemalloc

    from geolasso.exceptions import DictionaryTooLargeError

    X = rng.standard_normal((12, 6, 6))
    y = X[:, 1, 1]
    limit = 4 * 2**20
    tracemalloc.start()
    try:
        with pytest.raises(DictionaryTooLargeError) as info:
            ConvexCNN(kernel_size=3, max_atoms=50_000, memory_limit=limit).fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < limit / 16  # refused before the dictionary or its features were allocated
    err = info.value
    message = str(err)
    assert re.search(r"max_atoms=50_000.*192 stacked patches.*memory_limit", message)
    assert err.n_atoms == 50_000
    assert err.required_bytes > err.limit_bytes == limit
    fits = int(re.search(r"max_atoms=<int> of at most ([\d_]+)", message).group(1))
    model = ConvexCNN(kernel_size=3, max_atoms=fits, memory_limit=limit, random_state=0)
    assert 2 * model.fit(X, y).dictionary_.n_subsets == fits
    with pytest.raises(DictionaryTooLargeError, match=f"max_atoms={fits + 2:_}"):
        ConvexCNN(kernel_size=3, max_atoms=fits + 2, memory_limit=limit).fit(X, y)


# ---------------------------------------------------------------- the arrangement program


def weight_decay_cnn_value(P, y, alpha, bias, *, gated=False):
    """The convex CNN program of docs/mathematics.md §6, ℓ2 norm, sum pooling, in cvxpy.

    ``bias``: "none" (the mathematics page's form), "regularized" (a ones column inside the
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
    with pytest.raises(ValueError, match=r"'method' parameter of ConvexCNN .* Got 'admm'"):
        ConvexCNN(kernel_size=2, method="admm").fit(X, y)
    with pytest.raises(ValueError, match=r"norm='l2'.*method='wedge'"):
        ConvexCNN(kernel_size=2, method="arrangement", norm="l1").fit(X, y)
    with pytest.raises(ValueError, match="degenerate"):
        ConvexCNN(kernel_size=2, method="arrangement", norm="l2", gated=True).fit(X, y)
    with pytest.raises(ValueError, match="method='arrangement'"):
        ConvexCNN(kernel_size=2, gated=True).fit(X, y)
    from geolasso.exceptions import DictionaryTooLargeError

    images = rng.standard_normal((12, 6, 6))
    with pytest.raises(DictionaryTooLargeError, match=r"max_atoms=None.*stacked patches.*<int>"):
        ConvexCNN(kernel_size=3, max_atoms=None, memory_limit=2**22).fit(images, y[:1].repeat(12))
    with pytest.raises(DictionaryTooLargeError, match="Even two atoms do not fit"):
        ConvexCNN(kernel_size=3, memory_limit=10_000).fit(images, y[:1].repeat(12))
    with pytest.raises(DictionaryTooLargeError, match="patterns=<int>"):
        ConvexCNN(
            kernel_size=3, norm="l2", method="arrangement", patterns="exact", memory_limit=10_000
        ).fit(images, y[:1].repeat(12))
    with pytest.raises(ValueError, match=r"'start' parameter of ConvexCNN .* Got 'zero'"):
        ConvexCNN(kernel_size=2, method="arrangement", norm="l2", bias=False, start="zero").fit(
            X, y
        )


def test_the_former_method_name_dictionary_still_fits_with_a_future_warning(rng):
    """method='wedge' as in ConvexReLU; 'dictionary' (the former spelling) gives the same
    fit and says it is deprecated."""
    images = rng.normal(size=(6, 1, 3, 3))
    y = rng.normal(size=6)
    new = ConvexCNN(kernel_size=2, alpha=1e-2, method="wedge").fit(images, y)
    with pytest.warns(FutureWarning, match="method='wedge'"):
        old = ConvexCNN(kernel_size=2, alpha=1e-2, method="dictionary").fit(images, y)
    assert new.exact_
    assert old.objective_ == new.objective_
    # the former spelling is accepted but no longer offered
    with pytest.raises(ValueError, match=r"'method' parameter .* Got 'lasso'") as err:
        ConvexCNN(kernel_size=2, method="lasso").fit(images, y)
    assert "'wedge'" in str(err.value)
    assert "'dictionary'" not in str(err.value)


def test_a_filter_size_given_as_a_list_is_a_pair(rng):
    """kernel_size, stride and padding take an int or any pair (tuple or list), as before
    the parameters were declared to scikit-learn; a bad pair is refused by name."""
    X, y = rng.standard_normal((6, 5, 5)), rng.standard_normal(6)
    kwargs = {"alpha": 1e-2, "max_atoms": 2000, "random_state": 0}
    as_list = ConvexCNN(kernel_size=[2, 3], stride=[1, 2], **kwargs).fit(X, y)
    as_tuple = ConvexCNN(kernel_size=(2, 3), stride=(1, 2), **kwargs).fit(X, y)
    assert as_list.objective_ == as_tuple.objective_
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair of ints >= 1"):
        ConvexCNN(kernel_size=[2, 0]).fit(X, y)
