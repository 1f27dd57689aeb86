"""geolasso.mirror: the 1-D mirror dictionaries of deep narrow networks.

Oracles independent of the builder: every column recomputed by a plain
scalar recursion from its anchors and signs, the deduplicated dictionary
compared with a brute-force enumeration of every chain (itertools over
anchors and signs, plain numpy), and the closed form of depth 2 (one ramp up
and one ramp down per data point, less the two that are linear or zero).
"""

import itertools

import numpy as np
import pytest

from geolasso._dedupe import RowDedupe
from geolasso.exceptions import DictionaryTooLargeError
from geolasso.mirror import (
    MAX_CANDIDATE_VALUES,
    _check_matrix_memory,
    _layer_count,
    _States,
    activation_function,
    chain_values,
    mirror_dictionary,
)

SIGMA = {
    "relu": lambda u: np.maximum(u, 0.0),
    "abs": np.abs,
    "sign": np.sign,
    "threshold": lambda u: (u >= 0.0).astype(float),
}


def reference_chain(t, anchors, signs, sigma):
    """φ_L(t) by the definition: φ_1(u) = u, φ_{l+1}(u) = σ(s_l (φ_l(u) − φ_l(a_l)))."""

    def phi(u, layers):
        v = np.asarray(u, dtype=float)
        for k in range(layers):
            v = sigma(signs[k] * (v - phi(anchors[k], k)))
        return v

    return phi(t, len(anchors))


def brute_force_chains(points, depth, activation, reflections):
    """Every (anchors, signs) of the index space, listed directly."""
    L = depth - 1
    sign_sets = [(1.0,) * L] if activation == "abs" else itertools.product((1.0, -1.0), repeat=L)
    sign_sets = list(sign_sets)
    anchor_sets = list(itertools.product(points, repeat=L))
    if reflections:  # a_1 = 2 p_i − p_j, then a_2 = p_i
        anchor_sets += [
            (2 * p - q, p, *rest)
            for p, q in itertools.permutations(points, 2)
            for rest in itertools.product(points, repeat=L - 2)
        ]
    return [(a, s) for a in anchor_sets for s in sign_sets]


def up_to_constants(F):
    """The non-constant columns of F as a set, each shifted to start at 0 (exact values)."""
    G = F - F[:1]
    return {tuple(c) for c in G.T if np.any(c != 0)}


@pytest.mark.parametrize(
    ("depth", "activation"),
    [(2, "relu"), (3, "relu"), (4, "relu"), (3, "abs"), (4, "abs"), (3, "sign"), (3, "threshold")],
)
def test_columns_are_the_chains_of_their_anchors_and_signs(rng, depth, activation):
    x = rng.uniform(-2, 2, 6)
    D = mirror_dictionary(x, depth, activation, deduplicate=False)
    grid = np.linspace(-7, 7, 57)
    F = D.matrix(grid)
    for j in rng.choice(D.n_columns, min(D.n_columns, 60), replace=False):
        ref = reference_chain(grid, D.anchors[j], D.signs[j], SIGMA[activation])
        np.testing.assert_allclose(F[:, j], ref, rtol=0, atol=1e-12)
        # the anchors are the data points they index, or the reflection they record
        for layer, i in enumerate(D.index[j]):
            if i >= 0:
                assert D.anchors[j, layer] == D.points[i]
        if D.mirror[j, 0] >= 0:
            p, q = D.points[D.mirror[j]]
            assert D.index[j, 0] == -1
            assert D.anchors[j, 0] == 2 * p - q
            assert D.anchors[j, 1] == p
    # on the data, the columns are the chains' values at every sample
    np.testing.assert_array_equal(D.matrix(), D.matrix(x))


@pytest.mark.parametrize(
    ("depth", "activation"),
    [(2, "relu"), (3, "relu"), (4, "relu"), (3, "abs"), (4, "abs"), (3, "sign"), (2, "threshold")],
)
def test_deduplicated_columns_are_the_distinct_brute_force_chains(rng, depth, activation):
    # integer data: every chain value is an exact small integer, so sets compare exactly
    x = rng.choice(30, 5, replace=False).astype(float)
    D = mirror_dictionary(x, depth, activation)
    pts = np.unique(x)
    refl = activation == "relu" and depth == 4
    F = np.column_stack(
        [
            reference_chain(pts, a, s, SIGMA[activation])
            for a, s in brute_force_chains(pts, depth, activation, refl)
        ]
    )
    expected = up_to_constants(F)
    got = D.matrix(pts)
    assert up_to_constants(got) == expected
    assert D.n_columns == len(expected)  # no column twice, none constant


def test_depth_two_relu_is_one_ramp_each_way_per_point(rng):
    x = np.sort(rng.uniform(0, 1, 8))
    D = mirror_dictionary(x, 2)
    # (x − x_j)_+ for j < N − 1 and (x_j − x)_+ for j > 0: the other two are zero on the data
    assert D.n_columns == 2 * x.size - 2
    up = np.maximum(x[:, None] - x[None, :-1], 0)
    down = np.maximum(x[None, 1:] - x[:, None], 0)
    ramps = np.hstack([up, down])
    K = D.matrix()
    for j in range(D.n_columns):
        shift = (K[:, j] - K[0, j])[:, None] - (ramps - ramps[0])
        assert np.min(np.abs(shift).max(axis=0)) < 1e-12


def test_chain_values_match_the_definition(rng):
    anchors = rng.uniform(-1, 1, (20, 3))
    signs = rng.choice([-1.0, 1.0], (20, 3))
    t = np.linspace(-3, 3, 31)
    for name in ("relu", "abs", "sign"):
        V = chain_values(t, anchors, signs, activation_function(name, 0.0))
        for m in range(20):
            ref = reference_chain(t, anchors[m], signs[m], SIGMA[name])
            np.testing.assert_allclose(V[m], ref, rtol=0, atol=1e-12)


def test_describe_words_match_chains_without_kinks(rng):
    """Without deduplication a ReLU chain can stay switched off (or be linear) on the whole
    line. Its words must say so, and agree with the definition evaluated on a wide grid."""
    x = rng.normal(size=12)
    D = mirror_dictionary(x, depth=3, deduplicate=False)
    flat = [j for j in range(D.n_columns) if D.breakpoints(j).size == 0]
    assert flat  # such chains exist here (the dictionary keeps every chain)
    t = np.linspace(-50.0, 50.0, 2001)
    for j in flat:
        words = D.describe(j)
        ref = reference_chain(t, D.anchors[j], D.signs[j], SIGMA["relu"])
        slope = np.diff(ref) / np.diff(t)
        np.testing.assert_allclose(slope, slope[0], rtol=0, atol=1e-9)
        if abs(slope[0]) < 1e-12:
            assert words.startswith("constant "), words
            assert float(words.split()[1]) == pytest.approx(ref[0], rel=1e-5, abs=1e-9)
        else:
            assert "linear" in words, words


def test_row_dedupe_keeps_first_occurrences_across_calls():
    d = RowDedupe(1.0)
    V = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0 + 1e-15], [2.0, 2.0]])
    np.testing.assert_array_equal(d.new(V), [0, 1, 3])
    np.testing.assert_array_equal(d.new(np.array([[2.0, 2.0], [3.0, 0.0]])), [1])
    assert d.held_bytes() == 4 * RowDedupe.BYTES_PER_ROW
    np.testing.assert_array_equal(RowDedupe(1.0, active=False).new(V), [0, 1, 2, 3])


def test_layer_and_matrix_checks_refuse_by_name():
    n = 1300
    states = _States(
        np.zeros((n, 1)),
        np.zeros((n, 1), dtype=int),
        np.ones((n, 1)),
        np.full((n, 2), -1),
        np.full(n, -1),
        np.zeros((n, n)),
    )
    with pytest.raises(DictionaryTooLargeError, match="max_features=200_000") as info:
        _layer_count(states, n, 3, "abs", 2)
    assert info.value.n_atoms == n * n
    assert n**3 > MAX_CANDIDATE_VALUES
    assert _layer_count(states.take(np.arange(10)), 10, 3, "relu", 2) == 2 * 10 * 10
    with pytest.raises(DictionaryTooLargeError, match="18 distinct columns"):
        _check_matrix_memory(18, 1000, 10, 2, "relu", 10_000)
    _check_matrix_memory(18, 10, 10, 2, "relu", 10_000)
