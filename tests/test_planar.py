"""The numbered 2-D dictionary: atoms against determinants, reduced passes, Lasso, fits."""

import warnings

import numpy as np
import pytest
from _oracles import lasso_value
from numpy.testing import assert_allclose
from sklearn.datasets import make_moons

from geolasso import ConvexReLUClassifier, ReLUNetwork, certify
from geolasso.dictionary import DictionaryTooLargeError, WedgeDictionary, alpha_max
from geolasso.lasso import lasso
from geolasso.planar import PlanarDictionary, planar_bytes


def _data(n, seed, degenerate=False):
    X = np.random.default_rng(seed).normal(size=(n, 2))
    if degenerate:
        X[3] = X[5]  # equal samples: a zero column
        X[7, 0] = X[8, 0]  # a shared coordinate: equal axis-parallel lines
        X[10] = (X[11] + X[12]) / 2  # three collinear samples: one line three times
    return X


def _reference_columns(D):
    """Every column from the atom's generators by numpy determinants (docs/mathematics.md §4.3)."""
    Xa = np.column_stack([D.X, np.ones(D.n_samples)])
    cols = np.zeros((D.n_samples, D.n_atoms))
    for h in range(D.n_hyperplanes):
        samples, axes = D.generators_of(2 * h)
        S = np.array([Xa[i] for i in samples] + [np.eye(3)[a - 1] for a in axes])
        normal = np.array([(-1) ** k * np.linalg.det(np.delete(S, k, axis=1)) for k in range(3)])
        scale = np.abs(normal[:2]).sum() if D.norm == "l1" else np.linalg.norm(normal[:2])
        if scale == 0:
            continue  # equal samples: the zero column
        det = np.array([np.linalg.det(np.vstack([p, S])) for p in Xa])
        cols[:, 2 * h] = np.maximum(det, 0) / scale
        cols[:, 2 * h + 1] = np.maximum(-det, 0) / scale
    return cols


@pytest.mark.parametrize("norm", ["l1", "l2"])
@pytest.mark.parametrize("degenerate", [False, True], ids=["general", "degenerate"])
def test_atoms_are_the_determinant_features_of_their_generators(norm, degenerate):
    X = _data(14, 0, degenerate)
    D = PlanarDictionary(X, norm=norm)
    assert D.n_atoms == 14 * 13 + 4 * 14
    K = _reference_columns(D)
    assert_allclose(D.columns(np.arange(D.n_atoms)), K, atol=1e-12)
    # the same columns as the stored dictionary (which drops duplicates and zero columns)
    W = WedgeDictionary(X, norm=norm)

    M = W.matrix()
    distance = np.abs(K[:, :, None] - M[:, None, :]).max(axis=0)  # (planar, stored)
    assert distance.min(axis=0).max() <= 1e-12  # every stored column is a planar one
    nonzero = np.abs(K).max(axis=0) > 0
    assert distance.min(axis=1)[nonzero].max() <= 1e-12  # and back, but for zero columns
    assert D.n_duplicate == (1 if degenerate else 0)
    # every generator sample lies on its atom's line
    for j in range(0, D.n_atoms, 2):
        u = D.hyperplanes_of([j // 2])[0]
        for i in D.generators_of(j)[0]:
            assert abs(np.append(X[i], 1.0) @ u) <= 1e-12 * (1 + np.abs(X).max() ** 2)


@pytest.mark.parametrize("degenerate", [False, True], ids=["general", "degenerate"])
def test_reduced_pass_matches_the_full_product(degenerate):
    X = _data(40, 1, degenerate)
    D = PlanarDictionary(X)
    K = D.columns(np.arange(D.n_atoms))
    rng = np.random.default_rng(2)
    for _ in range(3):
        r = rng.normal(size=40)
        full = K.T @ r
        assert_allclose(D.rmatvec(r), full, atol=1e-10)
        threshold = np.quantile(np.abs(full), 0.9)
        top, n_above, atoms, values = D.top_correlations(r, 25, threshold=threshold)
        assert top == pytest.approx(np.abs(full).max(), rel=1e-12)
        assert n_above == np.count_nonzero(np.abs(full) > threshold)
        assert_allclose(np.abs(values), np.sort(np.abs(full))[::-1][:25], rtol=1e-10)
        assert_allclose(values, full[atoms], atol=1e-10)
    assert alpha_max(D, X[:, 0]) == pytest.approx(
        np.abs(K.T @ (X[:, 0] - X[:, 0].mean())).max() / 40, rel=1e-12
    )


@pytest.mark.parametrize("degenerate", [False, True], ids=["general", "degenerate"])
def test_blocks_of_a_pass_merge_into_the_whole_pass(degenerate):
    # the distributed passes: any partition of the samples into blocks, each swept on its
    # own (its plan built apart by sweep_block), then merged, gives the single pass's
    # maximum, count, k largest (ties by smaller atom: a tied residual makes many) and best
    # atom through each sample, bit for bit; full and partial passes
    from geolasso.planar import merge_passes, pass_block, sweep_block

    n = 37
    X = _data(n, 3, degenerate)
    D = PlanarDictionary(X)
    K = D.columns(np.arange(D.n_atoms))
    rng = np.random.default_rng(4)
    r_tied = np.round(rng.normal(size=n))  # integer residual: exact ties among atoms
    for r in (rng.normal(size=n), r_tied):
        full = np.abs(K.T @ r)
        for pivots in (None, np.array([0, 5, 6, 20, 36])):
            whole = D._pass(r, 1.0, 40, np.empty(0), best=True, pivots=pivots)
            for bounds in ((0,), (0, 9), (0, 1, 17, 30, 36)):
                got = D._blocked_pass(r, 1.0, 40, best=True, pivots=pivots, bounds=bounds)
                assert got[0] == whole[0]
                assert got[1] == whole[1]
                mine = np.lexsort((got[3], -got[2]))
                theirs = np.lexsort((whole[3], -whole[2]))
                assert np.array_equal(got[3][mine], whole[3][theirs])
                assert np.array_equal(got[2][mine], whole[2][theirs])
                assert np.array_equal(got[4], whole[4])
                assert np.array_equal(got[5], whole[5])
            if pivots is None:  # the k largest by magnitude, ties by smaller atom
                rank = np.lexsort((np.arange(full.size), -np.round(full, 9)))[:40]
                assert_allclose(np.sort(whole[2])[::-1], full[rank], rtol=1e-12)
        # blocks planned apart equal the stored plan's rows
        order, counts = D._sweep()[:2]
        b_order, b_counts = sweep_block(X, 9, 20)
        assert np.array_equal(b_order, order[9:20])
        assert np.array_equal(b_counts, counts[9:20])
        part = pass_block(X, (b_order, b_counts), r, 9, 20, l1=True, threshold=1.0, k=5, best=True)
        none = (np.zeros((0, n), dtype=np.int32), np.zeros(0, dtype=np.int64))
        axis = pass_block(X, none, r, 0, 0, l1=True, threshold=1.0, k=5, best=True, axes=True)
        assert merge_passes([part], axis, 5, n, True)[0] <= whole[0]
        # a block without any of a partial pass's pivots sweeps nothing
        idle = pass_block(
            X,
            (b_order, b_counts),
            r,
            9,
            20,
            l1=True,
            threshold=0.0,
            k=5,
            best=True,
            pivots=np.array([0, 30]),
        )
        assert idle["top"] == 0.0
        assert idle["n_above"] == 0
        assert idle["atoms"].size == 0
        assert np.all(idle["piv_idx"] == -1)


def test_spread_candidates_are_the_best_atom_through_each_sample():
    X = _data(30, 6)
    D = PlanarDictionary(X)
    full = D.rmatvec(np.random.default_rng(7).normal(size=30))
    r = np.random.default_rng(7).normal(size=30)
    # the best atom of each sample over the atoms swept from it: for the line through
    # x_i and x_j (i < j), the "+" side from x_i and the "-" side from x_j; its axis lines
    best = {}
    for j in range(D.n_atoms):
        samples, _ = D.generators_of(j)
        owner = samples[j % 2] if len(samples) == 2 else samples[0]
        if owner not in best or abs(full[j]) > abs(full[best[owner]]):
            best[owner] = j
    k = 12
    by_sample = sorted(best.values(), key=lambda j: -abs(full[j]))[:k]
    expected = set(np.argsort(-np.abs(full), kind="stable")[:k]) | set(by_sample)
    _, _, atoms, values = D.top_correlations(r, k, spread=True)
    assert set(atoms.tolist()) == expected
    assert np.all(np.diff(np.abs(values)) <= 1e-12)  # ordered by magnitude
    assert_allclose(values, full[atoms], atol=1e-12)


@pytest.mark.parametrize("degenerate", [False, True], ids=["general", "degenerate"])
def test_partial_pass_covers_the_lines_through_its_samples(degenerate):
    X = _data(30, 8, degenerate)
    D = PlanarDictionary(X)
    r = np.random.default_rng(9).normal(size=30)
    full = D.columns(np.arange(D.n_atoms)).T @ r
    through = np.array([1, 3, 4, 10, 3, 29])
    # by the generators: every atom whose line passes through one of them, and the axis
    # lines (a pair of equal samples has no line: its zero columns are never visited)
    expected = [
        j
        for j in range(D.n_atoms)
        if D.generators_of(j)[1]
        or (set(D.generators_of(j)[0]) & set(through.tolist()) and abs(full[j]) > 0)
    ]
    threshold = np.quantile(np.abs(full[expected]), 0.7)
    top, n_above, atoms, values = D.top_correlations(
        r, D.n_atoms, threshold=threshold, through=through
    )
    assert len(set(atoms.tolist())) == atoms.size  # each atom once
    assert set(expected) <= set(atoms.tolist()) <= set(expected) | set(np.flatnonzero(full == 0))
    assert_allclose(values, full[atoms], atol=1e-12)
    assert top == pytest.approx(np.abs(full[expected]).max(), rel=1e-12)
    assert n_above == np.count_nonzero(np.abs(full[expected]) > threshold)
    assert np.array_equal(D.samples_of(atoms[:1]), np.unique(D.generators_of(atoms[0])[0]))
    with pytest.raises(IndexError, match="through"):
        D.top_correlations(r, 3, through=[30])
    with pytest.raises(ValueError, match="through"):
        D.top_correlations(r, 3, through=[])


def test_sweep_order_sorts_crowded_and_repeated_directions():
    """Many samples on a few rays from each sample: the bucket sort's Shell-sort path."""
    rng = np.random.default_rng(10)
    t = rng.uniform(0.1, 3.0, size=(60, 1))
    X = np.vstack([t * [1.0, 0.0], t * [1.0, 1e-9], -t * [0.3, 1.0], [[0.0, 0.0]] * 3])
    X = np.vstack([X, rng.normal(size=(20, 2))])
    D = PlanarDictionary(X)
    order, counts = D._sweep()[:2]
    for i in range(0, X.shape[0], 7):
        d = X[order[i, : counts[i]]] - X[i]
        assert np.all(np.abs(d).sum(axis=1) > 0)  # the sample and its copies left out
        assert counts[i] == np.count_nonzero(np.abs(X - X[i]).sum(axis=1) > 0)
        p = d[:, 0] / np.abs(d).sum(axis=1)
        angle = np.where(d[:, 1] >= 0, 1 - p, 3 + p)
        assert np.all(np.diff(angle) >= 0)
    r = rng.normal(size=X.shape[0])
    assert_allclose(D.rmatvec(r), D.columns(np.arange(D.n_atoms)).T @ r, atol=1e-9)


def test_pair_numbering_is_inverted_exactly():
    D = PlanarDictionary(_data(300, 3))
    h = np.arange(D.n_pairs)
    i, j = D._pair(h)
    assert np.all(i < j)
    assert np.all(j < 300)
    assert np.array_equal(i * (2 * 300 - i - 1) // 2 + (j - i - 1), h)


@pytest.mark.parametrize("frac", [0.05, 0.005])
def test_lasso_over_the_numbered_dictionary_is_optimal(frac):
    """Certified gap, KKT on the explicit matrix, and cvxpy/Clarabel's optimum."""
    X = _data(30, 4)
    y = np.sign(X[:, 0] * X[:, 1]) + 0.1 * X[:, 0]
    D = PlanarDictionary(X)
    alpha = frac * alpha_max(D, y)
    res = lasso(D, y, alpha, tol=1e-10)
    assert res.converged
    K = D.columns(np.arange(D.n_atoms))
    r = y - K @ res.coef - res.intercept
    g = K.T @ r / 30
    on = res.coef != 0
    assert abs(r.mean()) <= 1e-10
    assert np.all(np.abs(g[~on]) <= alpha * (1 + 1e-6))
    assert_allclose(g[on], alpha * np.sign(res.coef[on]), atol=1e-6 * alpha)
    assert res.objective == pytest.approx(lasso_value(K, y, alpha, fit_intercept=True), rel=1e-6)


def test_fit_uses_it_when_the_stored_dictionary_does_not_fit():
    X, y = make_moons(120, noise=0.2, random_state=0)
    alpha = 1e-3
    stored = ConvexReLUClassifier(alpha=alpha).fit(X, y)
    assert isinstance(stored.dictionary_, WedgeDictionary)
    limit = (planar_bytes(120) + 8 * (120 * 119 + 480)) / 0.875
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no sampling warning: it is exhaustive
        numbered = ConvexReLUClassifier(alpha=alpha, memory_limit=limit).fit(X, y)
    assert isinstance(numbered.dictionary_, PlanarDictionary)
    assert numbered.exact_
    assert numbered.optimality_gap_ <= 1e-8 * numbered.objective_
    assert numbered.objective_ == pytest.approx(stored.objective_, rel=1e-9)
    feature = numbered.features_[0]
    assert_allclose(
        np.maximum(X @ feature["weight"] + feature["bias"], 0.0)
        / np.sqrt(abs(feature["coefficient"])),
        np.maximum(feature["volumes"], 0.0) / feature["normalizer"],
        atol=1e-10,
    )
    # the reduced certificate agrees with the stored one on a network that is not optimal
    net = numbered.network_
    worse = ReLUNetwork(net.W * 1.2, net.b, net.v, net.c)
    y_pm = np.where(y == 1, 1.0, -1.0)
    a = certify(worse, X, y_pm, alpha, dictionary=numbered.dictionary_)
    b = certify(worse, X, y_pm, alpha)
    assert a.gap == pytest.approx(b.gap, rel=1e-9)
    assert a.max_violation == pytest.approx(b.max_violation, rel=1e-9)
    assert a.n_violations == b.n_violations
    assert [v["ratio"] for v in a.violations] == pytest.approx(
        [v["ratio"] for v in b.violations], rel=1e-9
    )


def test_bad_input_and_budgets_are_named():
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\)"):
        PlanarDictionary(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="at least 2 samples"):
        PlanarDictionary(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="X must be finite"):
        PlanarDictionary([[0.0, np.nan], [1.0, 2.0]])
    with pytest.raises(DictionaryTooLargeError, match=r"4 n² bytes.*max_atoms="):
        PlanarDictionary(np.zeros((100, 2)), memory_limit=1000)
    with pytest.raises(ValueError, match="plan must be one of"):
        PlanarDictionary(np.zeros((4, 2)), plan="there")
    # the sweep order on a cluster: counted when a pass would build it here instead
    far = PlanarDictionary(_data(100, 5), memory_limit=1000, plan="cluster")
    with pytest.raises(DictionaryTooLargeError, match="distributed_passes"):
        far.top_correlations(np.ones(100))
    D = PlanarDictionary(_data(10, 5), memory_limit=planar_bytes(10) + 100)
    with pytest.raises(DictionaryTooLargeError, match="top_correlations"):
        D.rmatvec(np.ones(10))
    with pytest.raises(IndexError, match="columns must lie in"):
        D.columns([D.n_atoms])
    with pytest.raises(ValueError, match="r must have shape"):
        D.top_correlations(np.ones(9))
    with pytest.raises(ValueError, match="l1 objective only"):
        certify(
            ReLUNetwork(np.ones((1, 2)), [0.0], [1.0], 0.0),
            D.X,
            np.ones(10),
            0.1,
            norm="l2",
            dictionary=D,
        )
