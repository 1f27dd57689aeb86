"""The Lasso solver: optimality conditions, oracles, paths, matrix-free input, estimator API."""

import warnings

import numpy as np
import pytest
from _oracles import lasso_value
from numpy.testing import assert_allclose
from sklearn.exceptions import SkipTestWarning
from sklearn.linear_model import Lasso as SkLasso

from geolasso.datasets import spiral
from geolasso.dictionary import WedgeDictionary, alpha_max
from geolasso.estimators import Lasso
from geolasso.exceptions import ConvergenceWarning
from geolasso.lasso import lasso, lasso_path


def _objective(K, y, z, c, alpha):
    r = y - K @ z - c
    return r @ r / (2 * len(y)) + alpha * np.abs(z).sum()


def _assert_kkt(K, y, res, alpha, *, fit_intercept, rtol=1e-6):
    """Subgradient conditions: |K_jᵀr|/n <= α at zeros, = α·sign(z_j) on the support."""
    n = len(y)
    r = y - K @ res.coef - res.intercept
    if fit_intercept:
        assert abs(r.mean()) <= 1e-10 * np.abs(y).max()
    g = K.T @ r / n
    on = res.coef != 0
    assert np.all(np.abs(g[~on]) <= alpha * (1 + rtol))
    assert_allclose(g[on], alpha * np.sign(res.coef[on]), rtol=0, atol=rtol * alpha)


@pytest.fixture(scope="module")
def gaussian():
    rng = np.random.default_rng(3)
    K = rng.normal(size=(60, 300))
    z = np.zeros(300)
    z[rng.choice(300, 8, replace=False)] = rng.normal(size=8) * 3
    y = K @ z + 0.5 + 0.1 * rng.normal(size=60)
    return np.asfortranarray(K), y


@pytest.fixture(scope="module")
def wedge():
    X, y = spiral(80, random_state=0)
    D = WedgeDictionary(X)
    return D, D.matrix(), y


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("frac", [0.5, 0.1, 0.01])
def test_kkt_and_gap_on_gaussian_designs(gaussian, fit_intercept, frac):
    K, y = gaussian
    alpha = frac * alpha_max(K, y, fit_intercept=fit_intercept)
    res = lasso(K, y, alpha, fit_intercept=fit_intercept, tol=1e-10)
    assert res.converged
    assert res.dual_gap <= 1e-10
    _assert_kkt(K, y, res, alpha, fit_intercept=fit_intercept)
    assert_allclose(res.objective, _objective(K, y, res.coef, res.intercept, alpha), rtol=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_agrees_with_scikit_learn(gaussian, fit_intercept):
    K, y = gaussian
    alpha = 0.05 * alpha_max(K, y, fit_intercept=fit_intercept)
    ours = lasso(K, y, alpha, fit_intercept=fit_intercept, tol=1e-12)
    theirs = SkLasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-14, max_iter=10**6).fit(K, y)
    ref = _objective(K, y, theirs.coef_, theirs.intercept_, alpha)
    assert_allclose(ours.objective, ref, rtol=1e-9)
    assert ours.objective <= ref * (1 + 1e-12)
    assert_allclose(ours.coef, theirs.coef_, rtol=0, atol=1e-6 * np.abs(theirs.coef_).max())
    assert_allclose(ours.intercept, theirs.intercept_, atol=1e-6)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("seed", [0, 1])
def test_agrees_with_cvxpy_clarabel(fit_intercept, seed):
    rng = np.random.default_rng(seed)
    K = rng.normal(size=(15, 40))
    y = rng.normal(size=15)
    alpha = 0.02
    res = lasso(K, y, alpha, fit_intercept=fit_intercept, tol=1e-12)
    ref = lasso_value(K, y, alpha, fit_intercept=fit_intercept)
    assert_allclose(res.objective, ref, rtol=1e-7)
    assert res.objective <= ref + 1e-9


@pytest.mark.parametrize("frac", [0.01, 0.001])
def test_wedge_dictionary_kkt_and_cvxpy(wedge, frac):
    D, K, y = wedge
    alpha = frac * alpha_max(D, y)
    res = lasso(K, y, alpha, tol=1e-10)
    assert res.converged
    _assert_kkt(K, y, res, alpha, fit_intercept=True, rtol=1e-5)
    ref = lasso_value(K, y, alpha, fit_intercept=True)
    assert_allclose(res.objective, ref, rtol=1e-6)


def test_dense_and_matrix_free_agree(wedge):
    D, K, y = wedge
    alpha = alpha_max(D, y) / 100
    dense = lasso(K, y, alpha, tol=1e-10)
    free = lasso(D, y, alpha, tol=1e-10)
    assert free.converged
    assert_allclose(free.objective, dense.objective, rtol=1e-9)
    # the fit is unique even when the coefficients are not (dependent columns)
    assert_allclose(K @ free.coef + free.intercept, K @ dense.coef + dense.intercept, atol=1e-4)


def test_alpha_max_gives_the_zero_solution(gaussian):
    K, y = gaussian
    top = alpha_max(K, y)
    res = lasso(K, y, top)
    assert not res.coef.any()
    assert res.intercept == pytest.approx(y.mean())
    assert res.dual_gap == 0.0
    assert lasso(K, y, top * 0.999, tol=1e-10).coef.any()
    no_int = lasso(K, y, alpha_max(K, y, fit_intercept=False), fit_intercept=False)
    assert not no_int.coef.any()
    assert no_int.intercept == 0.0


def test_warm_started_path_equals_cold_solves(gaussian):
    K, y = gaussian
    path = lasso_path(K, y, n_alphas=8, eps=1e-2, tol=1e-10)
    assert np.all(np.diff(path.alphas) < 0)
    assert path.coefs.shape == (K.shape[1], 8)
    assert path.supports[0].size == 0
    for k, alpha in enumerate(path.alphas):
        cold = lasso(K, y, alpha, tol=1e-10)
        assert_allclose(path.objectives[k], cold.objective, rtol=1e-9)
        assert_allclose(path.coefs[:, k].toarray().ravel(), cold.coef, atol=1e-6)
    assert np.all(path.dual_gaps <= 1e-10)
    explicit = lasso_path(K, y, alphas=[path.alphas[3], path.alphas[1]], tol=1e-10)
    assert_allclose(explicit.alphas, path.alphas[[1, 3]])


def test_path_on_a_matrix_free_dictionary(wedge):
    D, K, y = wedge
    path = lasso_path(D, y, n_alphas=4, eps=1e-2, tol=1e-8)
    dense = lasso_path(K, y, n_alphas=4, eps=1e-2, tol=1e-8)
    assert_allclose(path.alphas, dense.alphas, rtol=1e-12)
    assert_allclose(path.objectives, dense.objectives, rtol=1e-7)


def test_convergence_warning_names_the_gap(gaussian):
    K, y = gaussian
    with pytest.warns(ConvergenceWarning, match=r"relative duality gap \d"):
        res = lasso(K, y, alpha_max(K, y) / 100, max_iter=1)
    assert not res.converged
    assert res.dual_gap > 1e-6


def test_history_records_rounds(gaussian):
    K, y = gaussian
    res = lasso(K, y, alpha_max(K, y) / 50, history=True, tol=1e-10)
    assert len(res.history) == res.n_iter
    gaps = [h[2] for h in res.history]
    assert gaps[-1] <= 1e-10 < gaps[0]
    times = [h[0] for h in res.history]
    assert times == sorted(times)


def test_integer_and_float32_inputs_are_converted(gaussian):
    K, y = gaussian
    Ki = np.rint(K * 4).astype(np.int64)
    res_i = lasso(Ki, y, 0.5, tol=1e-10)
    res_f = lasso(Ki.astype(np.float64), y, 0.5, tol=1e-10)
    assert_allclose(res_i.coef, res_f.coef)
    res_32 = lasso(K.astype(np.float32), y.astype(np.float32), 0.1, tol=1e-10)
    res_64 = lasso(K.astype(np.float32).astype(np.float64), y.astype(np.float32), 0.1, tol=1e-10)
    assert_allclose(res_32.coef, res_64.coef)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((np.ones((3, 2)), [1.0, np.nan, 2.0], 0.1), {}, ValueError, "y must be finite"),
        ((np.full((3, 2), np.inf), [1.0, 0.0, 2.0], 0.1), {}, ValueError, "K must be finite"),
        ((np.ones((3, 2)), [1.0, 2.0], 0.1), {}, ValueError, r"y must have shape \(3,\)"),
        ((np.ones((3, 2)), np.ones((3, 2)), 0.1), {}, ValueError, "multi-output"),
        ((np.ones((3, 2)), np.ones(3), -1.0), {}, ValueError, "alpha must be"),
        ((np.ones((3, 2)), np.ones(3), 0.0), {}, ValueError, "alpha must be a finite number > 0"),
        ((np.ones((3, 2)), np.ones(3), 0.1), {"tol": 0.0}, ValueError, "tol must be"),
        ((np.ones((3, 0)), np.ones(3), 0.1), {}, ValueError, "empty dictionary"),
        ((np.ones((0, 2)), np.ones(0), 0.1), {}, ValueError, r"at least one row \(sample\)"),
        ((np.ones((0, 0)), np.ones(0), 0.1), {}, ValueError, r"at least one row \(sample\)"),
        ((np.ones(3), np.ones(3), 0.1), {}, ValueError, r"K must have shape"),
        ((np.ones((3, 2)), np.ones(3), 0.1), {"warm_start": np.ones(5)}, ValueError, "warm_start"),
    ],
)
def test_bad_input_is_named(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        lasso(*args, **kwargs)


@pytest.mark.parametrize("shape", [(0, 2), (3, 0)], ids=["no-rows", "no-columns"])
def test_an_empty_matrix_is_named_on_the_path(shape):
    with pytest.raises(ValueError, match="K must have at least one"):
        lasso_path(np.ones(shape), np.ones(shape[0]))


def test_estimator_matches_the_function_and_refits_warm(gaussian):
    K, y = gaussian
    model = Lasso(alpha=0.2, tol=1e-10).fit(K, y)
    res = lasso(K, y, 0.2, tol=1e-10)
    assert_allclose(model.coef_, res.coef)
    assert model.intercept_ == pytest.approx(res.intercept)
    assert model.dual_gap_ <= 1e-10
    assert model.n_iter_ == res.n_iter
    assert_allclose(model.predict(K), K @ res.coef + res.intercept)
    warm = Lasso(alpha=0.2, tol=1e-10, warm_start=True).fit(K, y)
    assert warm.set_params(alpha=0.19).fit(K, y).n_iter_ <= res.n_iter
    assert model.score(K, y) > 0.9


def test_scikit_learn_estimator_checks():
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkipTestWarning)
        results = check_estimator(Lasso(), on_fail=None)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert failed == []
    # scikit-learn skips a check only when the environment lacks what it needs
    # (SCIPY_ARRAY_API set, pandas installed); any other skip is a failure here
    reasons = [str(r["exception"]) for r in results if r["status"] == "skipped"]
    assert all("SCIPY_ARRAY_API" in why or "pandas is not installed" in why for why in reasons)
    assert sum(r["status"] == "passed" for r in results) >= 50


def test_rounding_limited_solves_stop_and_say_so(wedge):
    D, K, y = wedge
    with pytest.warns(ConvergenceWarning, match="relative duality gap"):
        res = lasso(K, y, alpha_max(D, y) / 100, tol=1e-17, max_iter=500)
    assert res.n_iter < 100
    assert res.dual_gap < 1e-10


def test_alpha_chosen_by_grid_search_cross_validation(gaussian):
    from sklearn.model_selection import GridSearchCV

    K, y = gaussian
    grid = alpha_max(K, y) * np.array([0.3, 0.03, 0.003])
    search = GridSearchCV(Lasso(tol=1e-8), {"alpha": grid}, cv=3).fit(K, y)
    assert search.best_params_["alpha"] in grid
    assert search.best_estimator_.dual_gap_ <= 1e-8


def test_updatable_cholesky_factor_matches_numpy():
    """Appends and Givens deletions keep L Lᵀ equal to the active Gram matrix."""
    from geolasso._lasso_kernels import _chol_append, _chol_delete, _chol_solve

    rng = np.random.default_rng(8)
    A = rng.normal(size=(40, 15))
    G = A.T @ A
    L = np.zeros((15, 15))
    order = []
    for step in range(60):
        outside = [j for j in range(15) if j not in order]
        if order and (not outside or rng.random() < 0.4):
            p = int(rng.integers(len(order)))
            _chol_delete(L, len(order), p)
            order.pop(p)
        else:
            j = int(rng.choice(outside))
            assert _chol_append(L, len(order), G[order, j].copy(), G[j, j], 1e-12)
            order.append(j)
        k = len(order)
        Lk = L[:k, :k]
        assert_allclose(Lk @ Lk.T, G[np.ix_(order, order)], atol=1e-10 * G.max())
        assert np.all(np.diag(Lk) > 0)
        if k and step % 7 == 0:
            rhs = rng.normal(size=k)
            x = np.empty(k)
            _chol_solve(L, k, rhs, x)
            assert_allclose(np.linalg.solve(G[np.ix_(order, order)], rhs), x, rtol=1e-8)
    # a column in the span of the active ones is refused
    B = np.column_stack([A[:, :3], A[:, 0] - 2 * A[:, 2]])
    GB = B.T @ B
    L = np.zeros((4, 4))
    for j in range(3):
        assert _chol_append(L, j, GB[:j, j].copy(), GB[j, j], 1e-10)
    assert not _chol_append(L, 3, GB[:3, 3].copy(), GB[3, 3], 1e-10)


def test_factor_sync_and_gram_products_match_numpy():
    """The in-place sync of the factor to a sign pattern, and the Gram products of a step."""
    from geolasso._lasso_kernels import (
        _chol_sync,
        _gram_rows_dot,
        _gram_sub_matvec,
    )

    rng = np.random.default_rng(10)
    A = rng.normal(size=(50, 25))
    G = np.ascontiguousarray(A.T @ A)
    L = np.zeros((25, 25))
    order = np.zeros(25, dtype=np.int64)
    in_factor = np.zeros(25, dtype=bool)
    k = 0
    for _ in range(30):
        theta = rng.choice([-1.0, 0.0, 1.0], size=25, p=[0.25, 0.5, 0.25])
        k = _chol_sync(L, G, order, k, theta, in_factor, 1e-12)
        active = order[:k]
        assert sorted(active.tolist()) == np.flatnonzero(theta).tolist()
        assert in_factor.tolist() == (theta != 0).tolist()
        assert_allclose(L[:k, :k] @ L[:k, :k].T, G[np.ix_(active, active)], atol=1e-10 * G.max())
        x = rng.normal(size=k)
        out = np.empty(k)
        _gram_sub_matvec(G, active, x, out)
        assert_allclose(out, G[np.ix_(active, active)] @ x, rtol=1e-12, atol=1e-12 * G.max())
        b = rng.normal(size=25)
        grad = np.empty(25)
        _gram_rows_dot(G, active, x, b, grad)
        assert_allclose(grad, G[:, active] @ x - b, rtol=1e-12, atol=1e-12 * G.max())
    # a dependent atom makes the sync fail
    B = np.column_stack([A[:, :3], A[:, 0] - 2 * A[:, 2]])
    GB = np.ascontiguousarray(B.T @ B)
    k = _chol_sync(
        np.zeros((4, 4)), GB, np.zeros(4, np.int64), 0, np.ones(4), np.zeros(4, bool), 1e-10
    )
    assert k == -1


def test_dependent_columns_still_reach_the_optimum():
    """Duplicated and dependent columns force the dense fallbacks of feature-sign."""
    rng = np.random.default_rng(9)
    K = rng.normal(size=(30, 20))
    K = np.column_stack([K, K[:, :5], K[:, 5] + K[:, 6], 2 * K[:, 7]])
    y = K[:, :4] @ [1.0, -1.0, 0.5, 2.0] + 0.1 * rng.normal(size=30)
    alpha = alpha_max(K, y) / 50
    res = lasso(K, y, alpha, tol=1e-10)
    assert res.converged
    assert_allclose(res.objective, lasso_value(K, y, alpha, fit_intercept=True), rtol=1e-7)


def test_polish_solves_the_signed_equations_on_the_support(gaussian):
    """The QR polish returns the restricted optimum when the signs are right, else None."""
    from geolasso.lasso import _Dense, _Passes, _polish

    K, y = gaussian
    n = len(y)
    alpha = alpha_max(K, y) / 20
    res = lasso(K, y, alpha, tol=1e-12)
    support = res.support
    passes = _Passes(_Dense(K), n, True)
    yc = y - y.mean()
    z, r = _polish(passes, support, res.coef[support] * 1.5, yc, n * alpha)
    assert_allclose(z, res.coef[support], rtol=1e-8)
    Kc = K[:, support] - K[:, support].mean(axis=0)
    assert_allclose(Kc.T @ r, n * alpha * np.sign(z), atol=1e-9 * n * alpha)
    # a wrong sign pattern is not the restricted optimum: refused
    flipped = res.coef[support].copy()
    flipped[0] *= -1
    assert _polish(passes, support, flipped, yc, n * alpha) is None
    # dependent columns: refused
    Kd = np.column_stack([K[:, :3], K[:, 0] + K[:, 1]])
    dep = _Passes(_Dense(Kd), n, True)
    assert _polish(dep, np.arange(4), np.ones(4), yc, n * alpha) is None


def test_column_store_gives_the_gram_matrix_of_each_working_set(gaussian):
    """Kept columns, new ones, and compaction: always the centred K_Wᵀ K_W and K_Wᵀ ỹ."""
    from geolasso.lasso import _Dense, _Passes

    K, y = gaussian
    n, p = K.shape
    passes = _Passes(_Dense(K), n, True)
    yc = y - y.mean()
    Kc = K - K.mean(axis=0)
    rng = np.random.default_rng(3)
    sizes = [5, 8, 8, 30, 12, 60, 3, 45]  # grows, repeats, shrinks: the store compacts
    for size in sizes:
        W = np.sort(rng.choice(p, size=min(size, p), replace=False))
        G, b, place = passes.gram(W, yc)
        assert_allclose(G, Kc[:, W].T @ Kc[:, W], atol=1e-10)
        assert_allclose(b, Kc[:, W].T @ yc, atol=1e-10)
        assert_allclose(passes.store[:, place], Kc[:, W], atol=1e-12)


def test_partial_passes_reach_the_optimum_of_a_planar_dictionary():
    """Spiral data through the numbered dictionary: the Lasso optimum of the explicit matrix."""
    from geolasso.planar import PlanarDictionary

    X, y = spiral(60)
    D = PlanarDictionary(X)
    alpha = alpha_max(D, y) / 300
    res = lasso(D, y, alpha, tol=1e-10)
    assert res.converged
    K = D.columns(np.arange(D.n_atoms))
    r = y - K @ res.coef - res.intercept
    g = K.T @ r / len(y)
    on = res.coef != 0
    assert on.sum() > 10  # a support the partial passes had to grow
    assert np.all(np.abs(g[~on]) <= alpha * (1 + 1e-6))
    assert_allclose(g[on], alpha * np.sign(res.coef[on]), atol=1e-6 * alpha)
    assert res.objective == pytest.approx(lasso_value(K, y, alpha, fit_intercept=True), rel=1e-6)


def test_the_solution_is_sparse_and_its_dense_vector_is_counted():
    """support/values are the result; the dense coef is built on request, within the budget."""
    from geolasso.exceptions import DictionaryTooLargeError
    from geolasso.network import ReLUNetwork
    from geolasso.planar import PlanarDictionary, planar_bytes

    X, y = spiral(2000)
    big = PlanarDictionary(X)
    alpha = alpha_max(big, y) / 100
    ref = lasso(big, y, alpha, tol=1e-10)
    z = ref.coef
    assert z.shape == (big.n_atoms,)
    assert np.array_equal(np.flatnonzero(z), ref.support)
    assert np.array_equal(z[ref.support], ref.values)
    assert np.all(np.diff(ref.support) > 0)
    # a budget that holds the sweep order but not 8 bytes per atom: the solve runs, the dense
    # vector is refused by name, the network comes from the sparse solution
    small = PlanarDictionary(X, memory_limit=planar_bytes(2000) + 10 * 2**20)
    assert 8 * small.n_atoms > small.memory_limit
    res = lasso(small, y, alpha, tol=1e-10)
    # (another pool of columns: the spiral's Lasso has tied optima, one fit)
    assert_allclose(res.objective, ref.objective, rtol=1e-9)
    fit = small.columns(res.support) @ res.values + res.intercept
    assert_allclose(fit, big.matvec(z) + ref.intercept, rtol=1e-6, atol=1e-8)
    with pytest.raises(DictionaryTooLargeError, match=r"result\.support"):
        res.coef  # noqa: B018
    a = ReLUNetwork.from_lasso(small, res, res.intercept)
    same = np.zeros(big.n_atoms)  # the same solution, dense (the atoms are the same)
    same[res.support] = res.values
    b = ReLUNetwork.from_lasso(big, same, res.intercept)
    assert_allclose(a.predict(X), b.predict(X), rtol=1e-10, atol=1e-12)
    # a sparse warm start is the dense one
    near = lasso(small, y, alpha * 0.9, tol=1e-10, warm_start=res)
    dense = lasso(big, y, alpha * 0.9, tol=1e-10, warm_start=z)
    assert near.converged
    assert_allclose(near.objective, dense.objective, rtol=1e-9)
    with pytest.raises(ValueError, match="warm_start is a solution over"):
        lasso(WedgeDictionary(X[:5]), y[:5], alpha, warm_start=res)
