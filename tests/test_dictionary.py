"""Wedge dictionaries: worked examples, counts, exactness, operators, sampling, errors."""

import math

import numpy as np
import pytest
from _oracles import crelu_value, lasso_value
from numpy.testing import assert_allclose, assert_array_equal

from geolasso.datasets import spiral
from geolasso.dictionary import (
    DictionaryTooLargeError,
    WedgeDictionary,
    alpha_max,
    dictionary_size,
)

SETTINGS = {True: "free", False: "none", "regularized": "regularized"}


def _as_set(U, decimals=9):
    return {tuple(np.round(row, decimals) + 0.0) for row in U}


def _reference_matrix(X, D):
    """Features from each atom's generators by numpy determinants (docs/mathematics.md §4.3).

    K[i, (S, ±)] = max(0, ± det[x̃_i; S]) / ‖normal‖, the normal's entries being
    signed minors of the generator rows (independent of geolasso's kernels).
    """
    n, d = X.shape
    aug = D.setting != "A"
    width = d + 1 if aug else d

    def generator(code):
        if code >= 0:
            return np.append(X[code], 1.0) if aug else X[code]
        return np.eye(width)[-code - 1]

    cols = []
    for h in range(D.n_hyperplanes):
        S = np.array([generator(c) for c in D.generator_codes[2 * h]]).reshape(-1, width)
        normal = np.array(
            [
                (-1) ** k * (np.linalg.det(np.delete(S, k, axis=1)) if S.size else 1.0)
                for k in range(width)
            ]
        )
        part = normal if D.setting == "C" else normal[:d]
        scale = np.abs(part).sum() if D.norm == "l1" else np.linalg.norm(part)
        pts = np.hstack([X, np.ones((n, 1))]) if aug else X
        det = np.array([np.linalg.det(np.vstack([p, S])) for p in pts])
        cols += [np.maximum(det, 0) / scale, np.maximum(-det, 0) / scale]
    return np.column_stack(cols)


# --------------------------------------------------------------------------- worked examples
def test_three_points_every_atom_by_hand():
    # docs/mathematics.md T8 points p, q, r with a free bias and the l1 norm. The 9 subsets:
    # {p,q}: y = 0; {p,r}: 3x - y = 0; {p,e1}: y = 0 again; {p,e2}: x = 0;
    # {q,r}: x + y = 4; {q,e1}: y = 0 again; {q,e2}: x = 4; {r,e1}: y = 3; {r,e2}: x = 1.
    D = WedgeDictionary([[0, 0], [4, 0], [1, 3]])
    expected = np.array(
        [
            [0, 1, 0],  # ×(p̃, q̃) = (0, 4, 0) / 4
            [-0.75, 0.25, 0],  # ×(p̃, r̃) = (-3, 1, 0) / 4
            [-1, 0, 0],  # ×(p̃, e2) = (-1, 0, 0)
            [-0.5, -0.5, 2],  # ×(q̃, r̃) = (-3, -3, 12) / 6
            [-1, 0, 4],  # ×(q̃, e2)
            [0, 1, -3],  # ×(r̃, e1)
            [-1, 0, 1],  # ×(r̃, e2)
        ]
    )
    assert_allclose(D.hyperplanes, expected, atol=1e-15)
    assert_array_equal(
        D.generator_codes[::2], [[0, 1], [0, 2], [0, -2], [1, 2], [1, -2], [2, -1], [2, -2]]
    )
    assert_allclose(D.normalizers[::2], [4, 4, 1, 6, 1, 1, 1])
    assert (D.n_subsets, D.n_dependent, D.n_duplicate, D.n_flat) == (9, 0, 2, 0)
    assert D.n_atoms == 14
    assert D.exact
    assert D.fit_intercept
    # T8 values: ×(p̃, q̃) at r is 12, ℓ2 feature 3; ×(q̃, r̃) at p is 12, ℓ1 feature 2.
    K = D.matrix()
    assert K[2, 0] == 3.0
    assert K[0, 6] == 2.0
    assert_array_equal(D.orientations[:4], [1, -1, 1, -1])
    assert_array_equal(D.weights[1], [0, -1])
    D2 = WedgeDictionary([[0, 0], [4, 0], [1, 3]], norm="l2")
    assert_allclose(D2.matrix()[0, 6], 2 * np.sqrt(2), rtol=1e-15)
    assert D2.matrix()[2, 0] == 3.0
    assert not D2.exact


def test_three_points_describe():
    D = WedgeDictionary([[0, 0], [4, 0], [1, 3]])
    text = D.describe(6)
    assert text.startswith("atom 6: line through samples 1 and 2, orientation +")
    assert "w = [-0.5, -0.5], b = 2" in text
    assert "det[x̃; x̃_1; x̃_2]" in text
    assert "triangle (x, x_1, x_2)" in text
    assert text.endswith("active on 1 of 3 samples: [0]")
    assert "line through sample 2, parallel to the x1 axis" in D.describe(10)
    assert "orientation -" in D.describe(-1)
    D3 = WedgeDictionary([[1, 2, 3], [0, 1, 5], [2, 0, 1]], bias=False)
    assert "plane through the origin and sample 0, containing the x1 axis" in "\n".join(
        D3.describe(j) for j in range(D3.n_atoms)
    )
    assert "breakpoint at sample 1 (x = 2)" in WedgeDictionary([[0.0], [2.0]]).describe(2)


def test_one_dimensional_ramps():
    x = np.array([0.0, 1.0, 3.0, -2.0])
    for norm in ("l1", "l2"):
        D = WedgeDictionary(x[:, None], norm=norm)
        assert D.exact
        assert D.n_atoms == 2 * x.size
        ramps = np.column_stack(
            [
                f(t)
                for t in x
                for f in (lambda t: np.maximum(x - t, 0), lambda t: np.maximum(t - x, 0))
            ]
        )
        assert_allclose(D.matrix(), ramps, atol=1e-15)
    D = WedgeDictionary(x[:, None], bias=False)
    assert_allclose(D.matrix(), np.column_stack([np.maximum(x, 0), np.maximum(-x, 0)]))


@pytest.mark.parametrize("bias", list(SETTINGS), ids=list(SETTINGS.values()))
@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("norm", ["l1", "l2"])
def test_matrix_is_the_relu_of_signed_volumes(bias, d, norm, rng):
    X = rng.normal(size=(6, d))
    D = WedgeDictionary(X, bias=bias, norm=norm)
    assert_allclose(D.matrix(), _reference_matrix(X, D), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- counts
def _formula(n, d, setting, generators):
    """Atom counts of docs/mathematics.md §4.3, written out independently of the package."""
    if generators == "data":
        return 2 * math.comb(n, d - 1 if setting == "A" else d)
    return {
        "A": 2 * math.comb(n + d, d - 1),
        "B": 2 * (math.comb(n + d, d) - 1),
        "C": 2 * math.comb(n + d + 1, d),
    }[setting]


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("bias", list(SETTINGS), ids=list(SETTINGS.values()))
@pytest.mark.parametrize("generators", ["data+basis", "data"])
def test_counts_match_the_formulas_in_general_position(d, bias, generators, rng):
    n = 9
    X = rng.normal(size=(n, d))
    setting = {True: "B", False: "A", "regularized": "C"}[bias]
    D = WedgeDictionary(X, bias=bias, generators=generators)
    expected = _formula(n, d, setting, generators)
    assert dictionary_size(n, d, bias=bias, generators=generators) == expected
    assert D.n_atoms == 2 * D.n_subsets == expected
    assert D.n_dependent == D.n_duplicate == D.n_flat == 0


def test_dependent_and_duplicate_subsets_are_dropped_and_counted(rng):
    X = rng.normal(size=(5, 2))
    X[4] = X[0]  # a duplicate sample
    D = WedgeDictionary(X, generators="data")
    # C(5, 2) = 10 pairs: {0, 4} is dependent, and {4, j} repeats {0, j} for j = 1, 2, 3
    assert (D.n_subsets, D.n_dependent, D.n_duplicate) == (10, 1, 3)
    assert D.n_atoms == 2 * math.comb(4, 2)
    grid = np.array([[0, 0], [1, 0], [2, 0], [0, 1], [1, 1]], dtype=float)
    G = WedgeDictionary(grid, generators="data")
    # lines: y = 0 (3 points, 3 pairs), x = 0, x = 1, y = 1 and the 4 remaining diagonals
    assert G.n_hyperplanes == 1 + 3 + 4
    assert G.n_duplicate == 2
    assert len(_as_set(G.hyperplanes)) == G.n_hyperplanes


def test_spiral_dictionary_size():
    X, _ = spiral()
    D = WedgeDictionary(X)
    assert D.n_subsets == math.comb(162, 2) - 1 == 13040
    # points at equal angles lie on common lines through the centre: merged, not lost
    assert D.n_duplicate > 0
    assert D.n_dependent == 0
    assert D.n_atoms == 2 * (D.n_subsets - D.n_duplicate)
    assert len(_as_set(D.hyperplanes)) == D.n_hyperplanes


# --------------------------------------------------------------------------- exactness
EXACT_CASES = [
    ("free", 2, 7, 0),
    ("free", 2, 8, 1),
    ("free", 2, 6, 2),
    ("none", 2, 7, 3),
    ("none", 3, 6, 4),
    ("regularized", 2, 6, 5),
]


@pytest.mark.parametrize(("bias", "d", "n", "seed"), EXACT_CASES)
def test_l1_lasso_equals_the_exact_convex_program(bias, d, n, seed):
    """docs/mathematics.md T13: exact-mode Lasso ties with C-ReLU (ℓ1); approximations lose."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.normal(size=n)
    alpha = 0.1 / n  # β = 0.1 in the papers' sum convention
    setting = {"free": True, "none": False, "regularized": "regularized"}[bias]
    exact_l1, _ = crelu_value(X, y, alpha, bias=bias, norm="l1")
    exact_l2, _ = crelu_value(X, y, alpha, bias=bias, norm="l2")

    D = WedgeDictionary(X, bias=setting)
    lasso = lasso_value(D.matrix(), y, alpha, fit_intercept=D.fit_intercept)
    assert D.exact
    assert_allclose(lasso, exact_l1, rtol=1e-6)

    data_l1 = WedgeDictionary(X, bias=setting, generators="data")
    assert lasso_value(data_l1.matrix(), y, alpha, fit_intercept=D.fit_intercept) >= exact_l1 * (
        1 - 1e-7
    )
    data_l2 = WedgeDictionary(X, bias=setting, generators="data", norm="l2")
    assert not data_l2.exact
    assert lasso_value(data_l2.matrix(), y, alpha, fit_intercept=D.fit_intercept) >= exact_l2 * (
        1 - 1e-7
    )


def test_one_dimensional_ramps_are_exact_for_weight_decay(rng):
    # docs/mathematics.md T10 and a random 1-D set: the ramp Lasso equals C-ReLU with either norm
    for X, y in [
        (np.array([[0.0], [1.0]]), np.array([0.0, 1.0])),
        (rng.normal(size=(7, 1)), rng.normal(size=7)),
    ]:
        alpha = 0.1 / X.shape[0]
        D = WedgeDictionary(X, norm="l2")
        lasso = lasso_value(D.matrix(), y, alpha, fit_intercept=True)
        exact, _ = crelu_value(X, y, alpha, bias="free", norm="l2")
        assert_allclose(lasso, exact, rtol=1e-6)
    assert_allclose(
        lasso_value(WedgeDictionary([[0.0], [1.0]]).matrix(), [0.0, 1.0], 0.05, fit_intercept=True),
        0.045,
        rtol=1e-7,
    )


def test_spec_t11_data_only_dictionary_is_not_exact_with_bias():
    X = np.array([[0.0, 0.0], [1.0, 0.0]])
    y = np.array([0.0, 1.0])
    alpha = 0.1 / 2
    exact_l1, n_patterns = crelu_value(X, y, alpha, bias="free", norm="l1")
    exact_l2, _ = crelu_value(X, y, alpha, bias="free", norm="l2")
    assert n_patterns + 1 == 4  # docs/mathematics.md T11 counts the all-zero pattern too
    assert_allclose([exact_l1, exact_l2], [0.045, 0.045], rtol=1e-7)
    D = WedgeDictionary(X)
    assert_allclose(lasso_value(D.matrix(), y, alpha, fit_intercept=True), 0.045, rtol=1e-7)
    # the only hyperplane through data points contains both samples: no usable atom,
    # so the data-only model is the intercept alone, value ½·mean((y - ȳ)²) = 0.125
    with pytest.raises(ValueError, match=r"no atom survives.*collinear"):
        WedgeDictionary(X, generators="data")
    assert exact_l1 < 0.125


def test_spec_t12_data_only_dictionary_is_not_exact_without_bias():
    X = np.array([[1.0, 0.0]])
    y = np.array([1.0])
    exact_l1, _ = crelu_value(X, y, 0.1, bias="none", norm="l1")
    exact_l2, _ = crelu_value(X, y, 0.1, bias="none", norm="l2")
    assert_allclose([exact_l1, exact_l2], [0.095, 0.095], rtol=1e-7)
    D = WedgeDictionary(X, bias=False)
    assert_allclose(lasso_value(D.matrix(), y, 0.1, fit_intercept=False), 0.095, rtol=1e-7)
    # ×(x_1) is orthogonal to x_1: every data-only feature vanishes (value ½y² = 0.5)
    with pytest.raises(ValueError, match="no atom survives"):
        WedgeDictionary(X, bias=False, generators="data")


# --------------------------------------------------------------------------- operators
@pytest.fixture(scope="module")
def wide():
    X = np.random.default_rng(7).normal(size=(40, 3))
    return WedgeDictionary(X), X


def test_matrix_free_products_equal_the_dense_ones(wide, rng):
    D, _ = wide
    K = D.matrix()
    assert K.shape == D.shape
    assert K.flags.f_contiguous
    assert K.dtype == np.float64
    r = rng.normal(size=D.n_samples)
    scale = np.abs(K).sum(axis=0).max() * np.abs(r).max()
    assert_allclose(D.rmatvec(r), K.T @ r, rtol=0, atol=1e-13 * scale)
    z = np.where(rng.random(D.n_atoms) < 0.05, rng.normal(size=D.n_atoms), 0.0)
    z[1] = 0.7  # a "-" column alone
    assert_allclose(D.matvec(z), K @ z, rtol=0, atol=1e-13 * np.abs(K).max() * np.abs(z).sum())
    assert_array_equal(D.matvec(np.zeros(D.n_atoms)), np.zeros(D.n_samples))
    idx = rng.choice(D.n_atoms, size=25, replace=False)
    assert_allclose(D.columns(idx), K[:, idx], rtol=1e-14, atol=1e-15)
    assert D.columns(idx).flags.f_contiguous
    assert_allclose(D.column(idx[0]), K[:, idx[0]], rtol=1e-14, atol=1e-15)
    assert_allclose(D.column_norms(), np.linalg.norm(K, axis=0), rtol=1e-12, atol=1e-14)
    op = D.as_linear_operator()
    assert_allclose(op @ z, K @ z, atol=1e-12)
    assert_allclose(op.T @ r, K.T @ r, atol=1e-12)


def test_transform_and_evaluation_at_new_points(wide, rng):
    D, X = wide
    assert_array_equal(D.transform(X), D.matrix())
    grid = rng.normal(size=(15, 3))
    T = D.transform(grid)
    ref = np.maximum(grid @ D.weights.T + D.biases, 0)
    assert_allclose(T, ref, atol=1e-14)
    z = rng.normal(size=D.n_atoms)
    assert_allclose(D.matvec(z, X=grid), T @ z, rtol=1e-10)
    assert_allclose(D.transform(grid, columns=[3, 0]), T[:, [3, 0]])


def test_patterns_mark_the_active_side(wide):
    D, _X = wide
    P = D.patterns()
    K = D.matrix()
    assert P.dtype == bool
    assert P.shape == K.shape
    # generators lie on their hyperplane: inactive unless boundary=True
    on = np.zeros_like(P)
    for j, codes in enumerate(D.generator_codes):
        on[codes[codes >= 0], j] = True
    assert not (P & on).any()
    assert (D.patterns(boundary=True) | ~on).all()
    assert_array_equal(P[~on], K[~on] > 0)


def test_permuting_samples_permutes_atoms(rng):
    X = rng.normal(size=(8, 2))
    perm = rng.permutation(8)
    D, Dp = WedgeDictionary(X), WedgeDictionary(X[perm])
    atoms = [_as_set(np.column_stack([E.weights, E.biases])) for E in (D, Dp)]
    assert atoms[0] == atoms[1]
    assert len(atoms[0]) == D.n_atoms

    def keys(E):
        return map(tuple, np.round(np.column_stack([E.weights, E.biases]), 9) + 0.0)

    index = {key: j for j, key in enumerate(keys(D))}
    match = [index[key] for key in keys(Dp)]
    assert sorted(match) == list(range(D.n_atoms))
    # row i of the permuted data is sample perm[i]
    assert_allclose(Dp.matrix(), D.matrix()[perm][:, match], rtol=1e-12, atol=1e-14)


def test_both_orientations_of_every_hyperplane(wide):
    D, _ = wide
    W, b = D.weights, D.biases
    assert_array_equal(W[0::2], -W[1::2])
    assert_array_equal(b[0::2], -b[1::2])
    K = D.matrix()
    signed = K[:, 0::2] - K[:, 1::2]  # the affine function itself
    assert_allclose(signed, D._Xa @ D.hyperplanes.T, atol=1e-13)
    norms = np.abs(W).sum(axis=1)
    assert_allclose(norms, 1.0, rtol=1e-14)


def test_alpha_max_is_the_null_threshold(rng):
    from sklearn.linear_model import Lasso

    X = rng.normal(size=(12, 2))
    y = rng.normal(size=12)
    D = WedgeDictionary(X)
    K = D.matrix()
    amax = alpha_max(D, y)
    assert_allclose(amax, np.abs(K.T @ (y - y.mean())).max() / 12, rtol=1e-13)
    assert_allclose(alpha_max(K, y), amax, rtol=1e-13)
    kw = {"fit_intercept": True, "tol": 1e-12, "max_iter": 100_000}
    assert not Lasso(alpha=amax * (1 + 1e-6), **kw).fit(K, y).coef_.any()
    assert Lasso(alpha=amax * 0.99, **kw).fit(K, y).coef_.any()
    A = WedgeDictionary(X, bias=False)
    assert_allclose(alpha_max(A, y), np.abs(A.matrix().T @ y).max() / 12, rtol=1e-13)
    assert_allclose(
        alpha_max(A, y, fit_intercept=True),
        np.abs(A.matrix().T @ (y - y.mean())).max() / 12,
        rtol=1e-13,
    )


# --------------------------------------------------------------------------- sampling
def test_max_atoms_draws_a_seeded_sample_of_the_exhaustive_dictionary(rng):
    X = rng.normal(size=(30, 2))
    full = WedgeDictionary(X)
    a = WedgeDictionary(X, max_atoms=200, random_state=3)
    b = WedgeDictionary(X, max_atoms=200, random_state=3)
    c = WedgeDictionary(X, max_atoms=200, random_state=4)
    assert a.sampled
    assert not a.exact
    assert a.n_atoms == 200
    assert a.n_subsets == 100
    assert_array_equal(a.hyperplanes, b.hyperplanes)
    assert _as_set(a.hyperplanes) != _as_set(c.hyperplanes)
    assert _as_set(a.hyperplanes) <= _as_set(full.hyperplanes)
    assert_array_equal(a.weights[0::2], -a.weights[1::2])
    big = WedgeDictionary(X, max_atoms=10**6)
    assert not big.sampled
    assert big.exact
    assert big.n_atoms == full.n_atoms


def test_subset_sampler_is_uniform_on_large_populations():
    from geolasso.wedge_build import sample_subsets as _sample_subsets

    N, k, m = 2100, 2, 200_000  # C(2100, 2) = 2.2 million: the rejection-stream path
    rng = np.random.default_rng(0)
    S = _sample_subsets(N, k, m, rng, N, False)
    assert S.shape == (m, k)
    assert (np.diff(S, axis=1) > 0).all()
    assert np.unique(S, axis=0).shape[0] == m
    assert (np.diff(S[:, 0]) >= 0).all()  # lexicographic order
    counts = np.bincount(S.ravel(), minlength=N)
    mean = k * m / N
    assert np.abs(counts - mean).max() < 6 * np.sqrt(mean)
    assert_array_equal(S, _sample_subsets(N, k, m, np.random.default_rng(0), N, False))
    small = _sample_subsets(12, 3, 50, np.random.default_rng(1), 10, True)
    assert (small[:, 0] < 10).all()
    assert np.unique(small, axis=0).shape[0] == 50


def test_randomized_geometric_algebra_sampler(rng):
    X = rng.normal(size=(80, 12))
    D = WedgeDictionary.sample(X, 60, sketch_dim=4, random_state=0)
    assert D.sampled
    assert not D.exact
    assert D.n_atoms == 60
    assert D.generator_codes.shape == (60, 4)
    # every hyperplane passes through its generating samples, in the original space
    pre = np.hstack([X, np.ones((80, 1))]) @ D.hyperplanes.T
    on = np.take_along_axis(pre, D._codes.T, axis=0)
    assert np.abs(on).max() < 1e-12 * np.abs(pre).max()
    assert_allclose(np.linalg.norm(D.hyperplanes[:, :-1], axis=1), 1.0, rtol=1e-14)
    again = WedgeDictionary.sample(X, 60, sketch_dim=4, random_state=0)
    assert_array_equal(D.hyperplanes, again.hyperplanes)
    A = WedgeDictionary.sample(X, 40, bias=False, sketch_dim=3, random_state=1)
    assert A.generator_codes.shape[1] == 2
    assert not A.biases.any()
    pre = X @ A.hyperplanes[:, :-1].T
    assert np.abs(np.take_along_axis(pre, A._codes.T, axis=0)).max() < 1e-12 * np.abs(pre).max()
    # small d: the sketch keeps every direction (a plain hash often leaves a column empty,
    # and then every atom had w = 0 and the build failed)
    for d, sk, bias in [(3, 2, True), (3, 3, True), (3, 2, False), (5, 3, True), (4, 4, False)]:
        for seed in range(8):
            S = WedgeDictionary.sample(X[:, :d], 30, bias=bias, sketch_dim=sk, random_state=seed)
            assert S.n_atoms >= 2
            pre = np.hstack([X[:, :d], np.ones((80, 1))]) @ S.hyperplanes.T
            on = np.take_along_axis(pre, S._codes.T, axis=0)
            assert np.abs(on).max() < 1e-12 * np.abs(pre).max()
    plain = WedgeDictionary.sample(X[:, :2], 50, random_state=2)
    assert plain.generators == "data"
    assert plain.norm == "l2"
    assert plain.n_atoms == 50


# --------------------------------------------------------------------------- bad input
def test_size_guard_raises_before_allocating():
    X = np.zeros((100_000, 3))
    with pytest.raises(DictionaryTooLargeError, match=r"atoms.*GiB.*max_atoms=") as info:
        WedgeDictionary(X)
    assert isinstance(info.value, ValueError)
    assert info.value.n_atoms == dictionary_size(100_000, 3)
    assert info.value.required_bytes > info.value.limit_bytes
    X = np.random.default_rng(0).normal(size=(50, 2))
    D = WedgeDictionary(X, memory_limit=600_000)
    with pytest.raises(DictionaryTooLargeError, match="matrix-free"):
        D.matrix()
    assert D.rmatvec(np.ones(50)).shape == (D.n_atoms,)
    with pytest.raises(DictionaryTooLargeError):
        WedgeDictionary(X, memory_limit=1000)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"X": [[0.0, np.nan]]}, ValueError, "X must be finite"),
        ({"X": [1.0, 2.0]}, ValueError, r"reshape\(-1, 1\)"),
        ({"X": np.zeros((0, 2))}, ValueError, "at least one sample"),
        ({"bias": "yes"}, ValueError, "bias must be one of True, False, 'free'"),
        ({"generators": "basis"}, ValueError, "generators must be one of 'data\\+basis', 'data'"),
        ({"norm": "l3"}, ValueError, "norm must be one of 'l1', 'l2'"),
        ({"max_atoms": 1}, ValueError, "max_atoms must be an integer >= 2"),
        ({"max_atoms": 2.5}, TypeError, "max_atoms must be an integer"),
        ({"tol": -1}, ValueError, "tol must be"),
        ({"memory_limit": 0}, ValueError, "memory_limit must be"),
        ({"random_state": "a", "max_atoms": 2}, TypeError, "random_state must be"),
        ({"X": [[0.0, 0.0]], "generators": "data"}, ValueError, r"n_samples >= 2"),
        ({"X": [[1.0, 1.0]] * 3}, ValueError, "all samples are identical"),
        ({"X": [[0.0, 0.0], [1, 1], [2, 2]], "generators": "data"}, ValueError, "collinear"),
    ],
)
def test_bad_input_is_named(kwargs, error, match):
    kwargs = {"X": [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], **kwargs}
    with pytest.raises(error, match=match):
        WedgeDictionary(**kwargs)


def test_collinear_samples_with_basis_generators_keep_the_axis_atoms():
    D = WedgeDictionary([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    # the data line contains every sample: its 3 subsets are flat; the 6 axis-parallel lines stay
    assert (D.n_flat, D.n_hyperplanes) == (3, 6)


def test_bad_operator_arguments(wide):
    D, _ = wide
    with pytest.raises(ValueError, match=rf"z must have shape \({D.n_atoms},\)"):
        D.matvec(np.ones(3))
    with pytest.raises(ValueError, match=r"r must have shape \(40,\)"):
        D.rmatvec(np.ones(3))
    with pytest.raises(ValueError, match="r must be finite"):
        D.rmatvec(np.full(40, np.inf))
    with pytest.raises(IndexError, match="atom indices in"):
        D.columns([D.n_atoms])
    with pytest.raises(TypeError, match="integer atom indices"):
        D.columns([0.5])
    with pytest.raises(ValueError, match=r"X must have shape \(n_points, 3\)"):
        D.transform(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"y must have shape \(40,\)"):
        alpha_max(D, np.ones(3))
    with pytest.raises(ValueError, match="sketch_dim must be at most"):
        WedgeDictionary.sample(np.ones((5, 2)), 4, sketch_dim=3)


def test_every_subset_is_reported(rng):
    X = rng.normal(size=(6, 2))
    X[5] = X[1]
    D = WedgeDictionary(X, bias="regularized")
    assert D.n_subsets == math.comb(6 + 3, 2)
    kept = D.n_subsets - D.n_dependent - D.n_duplicate - D.n_flat
    assert D.n_hyperplanes == kept
    assert D.n_atoms == 2 * kept
    assert "generator subsets" in D.summary()
    assert repr(D).startswith("WedgeDictionary(")
    # the dependent pair {x1, x5} and the duplicate planes through x5 are counted
    assert D.n_dependent >= 1
    assert D.n_duplicate >= 1
    assert all(D.describe(j).startswith(f"atom {j}: ") for j in range(D.n_atoms))


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize(
    ("bias", "generators", "norm"),
    [(True, "data+basis", "l1"), (True, "data", "l2"), ("regularized", "data+basis", "l2")],
)
def test_angular_sweep_products_equal_the_dense_matrix(d, bias, generators, norm):
    """The 2-D / 3-D sweep behind rmatvec against K.T @ r, on data with ties."""
    rng = np.random.default_rng(11 + d)
    X = rng.normal(size=(24, d))
    X[5] = X[3]  # a repeated sample
    X[6] = 2 * X[7] - X[8]  # three collinear samples
    X[9, 0] = X[10, 0]  # a shared coordinate: ties with axis-parallel hyperplanes
    X[12] = np.round(X[12], 1)
    D = WedgeDictionary(X, bias=bias, generators=generators, norm=norm)
    assert D._sweep_plan() is not None  # the sweep is what is tested here
    K = D.matrix()
    for r in (rng.normal(size=24), np.ones(24), (X[:, 0] > 0) - 0.5):
        assert_allclose(D.rmatvec(r), K.T @ r, rtol=1e-12, atol=1e-12 * np.abs(K).sum(0).max())


def test_sweep_is_skipped_where_it_does_not_pay():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 2))
    assert WedgeDictionary(X, bias=False)._sweep_plan() is None  # lines through the origin
    assert WedgeDictionary(X, max_atoms=40, random_state=0)._sweep_plan() is None  # few
    D = WedgeDictionary(rng.normal(size=(12, 4)))
    assert D._sweep_plan() is None  # 4-D: direct
    r = rng.normal(size=12)
    assert_allclose(D.rmatvec(r), D.matrix().T @ r, atol=1e-12)


def test_alpha_max_that_overflows_is_named_not_inf():
    """Found by the robustness module: targets near 1e300 made alpha_max return inf."""
    from geolasso.dictionary import WedgeDictionary, alpha_max

    D = WedgeDictionary(np.array([[0.0], [1e150]]))
    with pytest.raises(ValueError, match="alpha_max overflows float64"):
        alpha_max(D, np.array([1e300, 0.0]))
    assert np.isfinite(alpha_max(D, np.array([1.0, 0.0])))
