"""The numbered 3-D dictionary: atoms against determinants, reduced passes, Lasso, fits."""

import itertools
import math

import numpy as np
import pytest
from _oracles import lasso_value
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import geolasso.auto as auto
from geolasso import ConvexReLU, SpatialDictionary, certify
from geolasso._validation import scale_exponent
from geolasso.dictionary import DictionaryTooLargeError, WedgeDictionary, alpha_max
from geolasso.lasso import lasso
from geolasso.spatial import spatial_bytes


def _data(n, seed, kind="general"):
    rng = np.random.default_rng(seed)
    if kind == "grid":  # integer grid: many coplanar and collinear triples, exact ties
        return rng.integers(0, 3, size=(n, 3)).astype(float)
    X = rng.normal(size=(n, 3))
    if kind == "tiny":  # standardised before dependence is decided, as in WedgeDictionary
        return _data(n, seed, "degenerate") * 1e-7
    if kind == "degenerate":
        X[3] = X[5]  # equal samples: zero columns
        X[7, 0] = X[8, 0]  # a shared coordinate
        X[1, 1:] = X[2, 1:]  # two samples on a line parallel to the x1 axis
        X[9] = (X[10] + X[11]) / 2  # three collinear samples
        X[4] = X[6] + 0.5 * (X[10] - X[6]) + 0.25 * (X[11] - X[6])  # four coplanar
    return X


def _reference_columns(D):
    """Every column from the atom's generators by numpy determinants (docs/mathematics.md §4.3).

    The generators of hyperplane ``h`` are the ``h``-th triple of
    ``itertools.combinations(range(n + 3), 3)`` (augmented samples, then the
    directions); a dependent triple (``‖w‖₂ <= 1e-10`` times the product of
    the generators' norms) gives zero columns.
    """
    n = D.n_samples
    Xa = np.column_stack([D.X, np.ones(n)])
    G = np.vstack([Xa, np.eye(3, 4)])
    # dependence is decided on the samples scaled by a power of two to magnitude ~1 when
    # they lie outside [2^-10, 2^10] (WedgeDictionary's rule)
    k = scale_exponent(D.X, "X", even=False, check_range=False)
    Gs = np.vstack([np.column_stack([np.ldexp(D.X, k), np.ones(n)]), np.eye(3, 4)])
    cols = np.zeros((n, D.n_atoms))
    triples = list(itertools.combinations(range(n + 3), 3))[:-1]
    assert len(triples) == D.n_hyperplanes
    for h, t in enumerate(triples):
        S = G[list(t)]
        normal = np.array([(-1) ** c * np.linalg.det(np.delete(S, c, axis=1)) for c in range(4)])
        Ss = Gs[list(t)]
        scaled = np.array([(-1) ** c * np.linalg.det(np.delete(Ss, c, axis=1)) for c in range(3)])
        if np.linalg.norm(scaled) <= 1e-10 * np.prod(np.linalg.norm(Ss, axis=1)):
            continue
        scale = np.abs(normal[:3]).sum() if D.norm == "l1" else np.linalg.norm(normal[:3])
        det = np.array([np.linalg.det(np.vstack([p, S])) for p in Xa])
        cols[:, 2 * h] = np.maximum(det, 0) / scale
        cols[:, 2 * h + 1] = np.maximum(-det, 0) / scale
    return cols


@pytest.mark.parametrize("norm", ["l1", "l2"])
@pytest.mark.parametrize("kind", ["general", "degenerate", "grid", "tiny"])
def test_atoms_are_the_determinant_features_of_their_generators(norm, kind):
    n = 12
    X = _data(n, 0, kind)
    D = SpatialDictionary(X, norm=norm)
    assert D.n_atoms == 2 * (math.comb(n, 3) + 3 * math.comb(n, 2) + 3 * n)
    K = _reference_columns(D)
    scale = np.abs(K).max()
    assert_allclose(D.columns(np.arange(D.n_atoms)), K, atol=1e-12 * scale)
    # the same columns as the stored dictionary (which drops duplicates and zero columns)
    M = WedgeDictionary(X, bias=True, generators="data+basis", norm=norm).matrix()
    distance = np.abs(K[:, :, None] - M[:, None, :]).max(axis=0)  # (numbered, stored)
    assert distance.min(axis=0).max() <= 1e-10 * scale  # every stored column is numbered
    nonzero = np.abs(K).max(axis=0) > 1e-9 * scale
    assert distance.min(axis=1)[nonzero].max() <= 1e-10 * scale  # and back, but zero columns
    # every generator sample lies on its atom's plane; directions are parallel to it
    for j in range(0, D.n_atoms, 2):
        u = D.hyperplanes_of([j // 2])[0]
        samples, axes = D.generators_of(j)
        assert len(samples) + len(axes) == 3
        for i in samples:
            assert abs(np.append(X[i], 1.0) @ u) <= 1e-12 * (1 + np.abs(X).max() ** 3)
        for a in axes:
            assert abs(u[a - 1]) <= 1e-15


def test_numbering_is_the_lexicographic_order_of_the_triples():
    n = 40
    D = SpatialDictionary(_data(n, 3))
    t0, t1, t2 = D._triples(np.arange(D.n_hyperplanes))
    expected = np.array(list(itertools.combinations(range(n + 3), 3))[:-1])
    assert np.array_equal(np.column_stack([t0, t1, t2]), expected)
    for h in (0, 7, D.n_hyperplanes - 1):
        samples, axes = D.generators_of(2 * h + 1)
        t = expected[h]
        assert samples == tuple(int(v) for v in t if v < n)
        assert axes == tuple(int(v) - n + 1 for v in t if v >= n)
    assert np.array_equal(D.samples_of([0, 2 * (D.n_hyperplanes - 1)]), [0, 1, 2, n - 1])


@pytest.mark.parametrize("kind", ["general", "degenerate", "grid", "tiny"])
def test_reduced_pass_matches_the_full_product(kind):
    n = 25
    X = _data(n, 1, kind)
    D = SpatialDictionary(X)
    K = D.columns(np.arange(D.n_atoms))
    rng = np.random.default_rng(2)
    residuals = [rng.normal(size=n), np.round(rng.normal(size=n))]  # the second: many ties
    for r in residuals:
        full = K.T @ r
        assert_allclose(D.rmatvec(r), full, atol=1e-10)
        threshold = np.quantile(np.abs(full), 0.9) + 1e-7  # off any tied value
        top, n_above, atoms, values = D.top_correlations(r, 40, threshold=threshold)
        assert top == pytest.approx(np.abs(full).max(), rel=1e-12)
        assert n_above == np.count_nonzero(np.abs(full) > threshold)
        assert_allclose(np.abs(values), np.sort(np.abs(full))[::-1][:40], rtol=1e-10)
        assert_allclose(values, full[atoms], atol=1e-10)
        assert np.all(np.diff(np.abs(values)) <= 1e-12)
    assert alpha_max(D, X[:, 0]) == pytest.approx(
        np.abs(K.T @ (X[:, 0] - X[:, 0].mean())).max() / n, rel=1e-12
    )


@pytest.mark.parametrize("seed", [7, 12, 23])
def test_spread_candidates_are_the_best_atom_swept_from_each_sample(seed):
    n = 16
    D = SpatialDictionary(_data(n, 6))
    r = np.random.default_rng(seed).normal(size=n)
    full = D.columns(np.arange(D.n_atoms)).T @ r
    best = {}  # the sample a plane is swept from (top_correlations' spread)
    for j in np.flatnonzero(D.normalizers_of(np.arange(D.n_atoms) // 2) > 0):
        samples = D.generators_of(j)[0]
        owner = min(samples)
        if len(samples) == 3:  # (seeds 12 and 23: this rule differs from the smallest)
            a, b, c = samples
            same = [(u, v) for u, v in ((a, b), (a, c), (b, c)) if (u >= n // 2) == (v >= n // 2)]
            owner = same[0][0]
        if owner not in best or abs(full[j]) > abs(full[best[owner]]):
            best[owner] = j
    piv_val = D._pass(r, np.inf, 0, np.empty(0), best=True)[4]
    assert_allclose(piv_val, [abs(full[best[i]]) if i in best else -1.0 for i in range(n)])
    k = 12
    by_sample = sorted(best.values(), key=lambda j: -abs(full[j]))[:k]
    expected = set(np.argsort(-np.abs(full), kind="stable")[:k]) | set(by_sample)
    _, _, atoms, values = D.top_correlations(r, k, spread=True)
    assert set(atoms.tolist()) == expected
    assert np.all(np.diff(np.abs(values)) <= 1e-12)  # ordered by magnitude
    assert_allclose(values, full[atoms], atol=1e-12)


@pytest.mark.parametrize("kind", ["general", "degenerate", "grid"])
def test_partial_pass_covers_the_planes_through_its_samples(kind):
    n = 16
    D = SpatialDictionary(_data(n, 8, kind))
    r = np.random.default_rng(9).normal(size=n)
    full = D.columns(np.arange(D.n_atoms)).T @ r
    through = np.array([1, 3, 4, 10, 3, 15])
    nonzero = D.normalizers_of(np.arange(D.n_atoms) // 2) > 0
    expected = [
        j for j in range(D.n_atoms) if nonzero[j] and set(D.generators_of(j)[0]) & set(through)
    ]
    threshold = np.quantile(np.abs(full[expected]), 0.7) + 1e-9
    top, n_above, atoms, values = D.top_correlations(
        r, D.n_atoms, threshold=threshold, through=through
    )
    assert atoms.size == len(expected)  # each atom once
    assert set(atoms.tolist()) == set(expected)
    assert_allclose(values, full[atoms], atol=1e-12)
    assert top == pytest.approx(np.abs(full[expected]).max(), rel=1e-12)
    assert n_above == np.count_nonzero(np.abs(full[expected]) > threshold)
    with pytest.raises(IndexError, match="through"):
        D.top_correlations(r, 3, through=[n])
    with pytest.raises(ValueError, match="through"):
        D.top_correlations(r, 3, through=[])


@pytest.mark.parametrize("frac", [0.05, 0.005])
def test_lasso_over_the_numbered_dictionary_is_optimal(frac):
    """Certified gap, KKT on the explicit matrix, and cvxpy/Clarabel's optimum."""
    n = 14
    X = _data(n, 4)
    y = np.sign(X[:, 0] * X[:, 1]) + 0.1 * X[:, 2]
    D = SpatialDictionary(X)
    alpha = frac * alpha_max(D, y)
    res = lasso(D, y, alpha, tol=1e-10)
    assert res.converged
    K = D.columns(np.arange(D.n_atoms))
    r = y - K @ res.coef - res.intercept
    g = K.T @ r / n
    on = res.coef != 0
    assert abs(r.mean()) <= 1e-10
    assert np.all(np.abs(g[~on]) <= alpha * (1 + 1e-6))
    assert_allclose(g[on], alpha * np.sign(res.coef[on]), atol=1e-6 * alpha)
    assert res.objective == pytest.approx(lasso_value(K, y, alpha, fit_intercept=True), rel=1e-6)


def test_fit_through_it_reaches_the_stored_dictionarys_optimum(monkeypatch):
    n = 30
    X = _data(n, 11)
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2]
    alpha = 1e-3
    stored = ConvexReLU(alpha=alpha, tol=1e-10).fit(X, y)
    assert isinstance(stored.dictionary_, WedgeDictionary)
    monkeypatch.setattr(auto, "SPATIAL_MIN_ATOMS", 0)
    numbered = ConvexReLU(alpha=alpha, tol=1e-10).fit(X, y)
    D = numbered.dictionary_
    assert isinstance(D, SpatialDictionary)
    assert numbered.exact_
    assert numbered.optimality_gap_ <= 1e-8 * numbered.objective_
    assert numbered.objective_ == pytest.approx(stored.objective_, rel=1e-8)
    # optimality over every atom: the duality gap of the Lasso solution on the dense matrix
    K = D.columns(np.arange(D.n_atoms))
    z = np.zeros(D.n_atoms)
    for f in numbered.features_:
        z[f["atom"]] = f["coefficient"]
    lam = n * alpha
    r = y - K @ z
    r -= r.mean()
    primal = 0.5 * r @ r + lam * np.abs(z).sum()
    u = r / max(1.0, np.abs(K.T @ r).max() / lam)  # a feasible dual point
    yc = y - y.mean()
    dual = 0.5 * yc @ yc - 0.5 * (yc - u) @ (yc - u)
    assert primal - dual <= 1e-8 * primal
    # the reduced certificate of a worse network agrees with the dense one's bound
    net = numbered.network_
    worse = type(net)(net.W * 1.1, net.b, net.v, net.c)
    a = certify(worse, X, y, alpha, dictionary=D)
    b = certify(worse, X, y, alpha)
    assert a.gap == pytest.approx(b.gap, rel=1e-9)
    assert a.n_violations == b.n_violations


def test_auto_policy_picks_it_for_large_3d_dictionaries(monkeypatch):
    X = _data(70, 12)  # 2 (C(73, 3) - 1) = 124,098 atoms
    model = ConvexReLU(alpha=1.0)
    assert isinstance(model._dictionary(X), SpatialDictionary)
    model = ConvexReLU(alpha=1.0, max_atoms=None)
    assert isinstance(model._dictionary(X), SpatialDictionary)
    assert not isinstance(ConvexReLU(alpha=1.0, max_atoms=1000)._dictionary(X), SpatialDictionary)
    assert not isinstance(ConvexReLU(alpha=1.0, bias="none")._dictionary(X), SpatialDictionary)
    X2 = _data(40, 12)[:, :2]
    assert not isinstance(ConvexReLU(alpha=1.0)._dictionary(X2), SpatialDictionary)
    # with a Dask client active the passes would run here: today's stored route instead
    with monkeypatch.context() as m:
        m.setattr(auto, "active_client", lambda client=None: object())
        assert isinstance(ConvexReLU(alpha=1.0)._dictionary(X), WedgeDictionary)
    # above SPATIAL_MAX_SAMPLES "auto" keeps today's choice; None stays exhaustive
    monkeypatch.setattr(auto, "SPATIAL_MAX_SAMPLES", 69)
    assert isinstance(ConvexReLU(alpha=1.0)._dictionary(X), WedgeDictionary)
    assert isinstance(ConvexReLU(alpha=1.0, max_atoms=None)._dictionary(X), SpatialDictionary)


def test_bad_input_and_budgets_are_named():
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 3\)"):
        SpatialDictionary(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="at least 3 samples"):
        SpatialDictionary(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="X must be finite"):
        SpatialDictionary([[0.0, np.nan, 1.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="norm must be one of"):
        SpatialDictionary(np.zeros((4, 3)), norm="l3")
    with pytest.raises(DictionaryTooLargeError, match=r"spatial dictionary.*max_atoms="):
        SpatialDictionary(np.zeros((100, 3)), memory_limit=1000)
    D = SpatialDictionary(_data(10, 5), memory_limit=spatial_bytes(10) + 2000)
    with pytest.raises(DictionaryTooLargeError, match="top_correlations"):
        D.rmatvec(np.ones(10))
    with pytest.raises(DictionaryTooLargeError, match="dense columns"):
        D.columns(np.arange(D.n_atoms))
    with pytest.raises(IndexError, match="columns must lie in"):
        D.columns([D.n_atoms])
    with pytest.raises(ValueError, match="r must have shape"):
        D.top_correlations(np.ones(9))
    with pytest.raises(ValueError, match="k must be"):
        D.top_correlations(np.ones(10), -1)
    assert "plane through samples" in D.describe(0)
    assert "10 samples in R^3" in D.summary()


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(3, 8),
    seed=st.integers(0, 2**32 - 1),
    l1=st.booleans(),
)
def test_pass_equals_the_dense_product_on_small_grids(n, seed, l1):
    rng = np.random.default_rng(seed)
    X = rng.integers(-1, 2, size=(n, 3)).astype(float)
    D = SpatialDictionary(X, norm="l1" if l1 else "l2")
    r = rng.normal(size=n)
    K = _reference_columns(D)
    full = K.T @ r
    assert_allclose(D.rmatvec(r), full, atol=1e-12)
    top, _, atoms, values = D.top_correlations(r, 5)
    assert top == pytest.approx(np.abs(full).max(), rel=1e-12, abs=1e-14)
    assert_allclose(values, full[atoms], atol=1e-12)
