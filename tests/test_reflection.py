"""geolasso.reflection: depth-3 absolute-value reflection features in d dimensions.

Oracles independent of the builder: the normal of the hyperplane through d
samples from the null space of their differences (an SVD), every feature as
the distance to the hyperplane through x_j and to its mirror image across the
parallel hyperplane through x_i, and the exhaustive dictionary compared with
every (d-subset, i, j) triple listed by itertools.
"""

import itertools
from math import comb

import numpy as np
import pytest

from geolasso.reflection import _all_triples, _unit_normals, reflection_dictionary


def normal_through(points):
    """Unit normal of the hyperplane through d points in R^d (null space of their differences)."""
    if points.shape[1] == 1:
        return np.ones(1)
    _, _, vt = np.linalg.svd(points[1:] - points[0])
    return vt[-1]


def mirror_distance(P, w, xi, xj):
    """Distance from each row of P to the plane through xj (normal w) or its mirror about xi."""
    image = 2 * (w @ xi) - w @ xj
    return np.minimum(np.abs(P @ w - w @ xj), np.abs(P @ w - image))


def centred(F):
    return F - F[:1]


@pytest.mark.parametrize("d", [1, 2, 3])
def test_exhaustive_dictionary_is_every_triple_once(rng, d):
    n = 5
    X = rng.standard_normal((n, d))
    D = reflection_dictionary(X)
    assert D.exact
    assert D.n_candidates == (comb(n, d) if d > 1 else 1) * n * (n - 1)
    brute = np.column_stack(
        [
            mirror_distance(X, normal_through(X[list(g)]), X[i], X[j])
            for g in itertools.combinations(range(n), d)
            for i, j in itertools.permutations(range(n), 2)
        ]
    )
    B = centred(brute)
    B = B[:, np.abs(B).max(axis=0) > 1e-9]  # constant on the data: absorbed by the intercept
    K = centred(D.matrix())
    gap = np.abs(K[:, :, None] - B[:, None, :]).max(axis=0)  # (columns, brute-force features)
    assert gap.min(axis=1).max() < 1e-9  # every column is a triple's feature
    assert gap.min(axis=0).max() < 1e-9  # every non-constant triple's feature is a column
    between = np.abs(K[:, :, None] - K[:, None, :]).max(axis=0) + np.eye(D.n_columns)
    assert between.min() > 1e-9  # and no feature appears twice


def test_sampled_columns_are_their_triples_features(rng):
    X = rng.standard_normal((9, 3))
    D = reflection_dictionary(X, max_features=300, random_state=4)
    assert not D.exact
    P = rng.standard_normal((40, 3)) * 2
    F = D.matrix(P)
    for k in range(D.n_columns):
        g = D.subsets[D.normal[k]]
        assert np.unique(g).size == 3
        i, j = D.first[k], D.second[k]
        assert i != j
        w = normal_through(X[g])
        np.testing.assert_allclose(F[:, k], mirror_distance(P, w, X[i], X[j]), atol=1e-12)


def test_all_triples_lists_every_subset_and_ordered_pair():
    S, normal, first, second = _all_triples(6, 3, memory_limit=2**30)
    assert len(S) == comb(6, 3)
    triples = set(zip(normal.tolist(), first.tolist(), second.tolist(), strict=True))
    assert len(triples) == normal.size == comb(6, 3) * 6 * 5
    assert np.all(first != second)


def test_unit_normals_are_orthogonal_to_their_samples_and_flag_degenerate_subsets(rng):
    X = rng.standard_normal((6, 3))
    X[5] = X[1]  # a repeated sample: subsets through both span no plane
    S = np.array(list(itertools.combinations(range(6), 3)))
    normals, ok = _unit_normals(X, S)
    for s, w, good in zip(S, normals, ok, strict=True):
        assert good == (not {1, 5} <= set(s.tolist()))
        if good:
            assert np.linalg.norm(w) == pytest.approx(1.0, abs=1e-12)
            np.testing.assert_allclose((X[s[1:]] - X[s[0]]) @ w, 0, atol=1e-12)
            assert abs(w @ normal_through(X[s])) == pytest.approx(1.0, abs=1e-12)
        else:
            np.testing.assert_array_equal(w, 0.0)
    with pytest.raises(ValueError, match="degenerate"):
        _unit_normals(np.zeros((4, 3)), S[:2] % 4)
