"""Activation patterns: exact enumeration against an independent oracle, counts, sampling."""

import numpy as np
import pytest
from _oracles import activation_patterns, general_position_count

from geolasso.arrangements import enumerate_patterns, pattern_count, sample_patterns
from geolasso.datasets import spiral
from geolasso.exceptions import DictionaryTooLargeError


def _set(patterns):
    return set(map(tuple, np.asarray(patterns).astype(int)))


def _Z(X, bias):
    return X if bias is False else np.column_stack([X, np.ones(len(X))])


@pytest.mark.parametrize(
    ("n", "d", "bias", "expected"),
    [(7, 2, False, 14), (7, 2, True, 44), (6, 3, False, 32), (8, 1, True, 16)],
)
def test_spec_t9_counts_in_general_position(n, d, bias, expected):
    X = np.random.default_rng(n * 10 + d).normal(size=(n, d))
    found = enumerate_patterns(X, bias=bias, include_zero=True)
    assert found.n_patterns == expected
    assert pattern_count(n, d + (bias is True)) == expected == general_position_count(n, d + bias)
    assert found.exact


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("n", "d", "bias"), [(7, 2, True), (8, 2, False), (6, 3, True)])
def test_enumeration_equals_the_oracle_and_gates_realise_patterns(seed, n, d, bias):
    X = np.random.default_rng(seed).normal(size=(n, d))
    found = enumerate_patterns(X, bias=bias, include_zero=True)
    Z = _Z(X, bias)
    assert _set(found.patterns) == _set(activation_patterns(Z))
    pre = Z @ found.gates.T  # each gate is strictly inside its cell
    assert np.array_equal((pre > 0).T, found.patterns)
    assert np.all(np.abs(pre) > 0)


@pytest.mark.parametrize("bias", [True, False])
def test_repeated_samples_share_their_rows_signs(bias):
    """Every sample three times (in shuffled order): the oracle's cells, copies agreeing."""
    rng = np.random.default_rng(11)
    base = rng.normal(size=(6, 2))
    order = rng.permutation(18)
    X = np.repeat(base, 3, axis=0)[order]
    found = enumerate_patterns(X, bias=bias, include_zero=True)
    Z = _Z(X, bias)
    assert _set(found.patterns) == _set(activation_patterns(Z))
    assert np.array_equal((Z @ found.gates.T > 0).T, found.patterns)
    assert found.n_patterns == enumerate_patterns(base, bias=bias, include_zero=True).n_patterns


def test_degenerate_data_repeated_collinear_and_concurrent():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(10, 2))
    X[3] = X[1]  # a repeated sample
    X[4] = 2 * X[5] - X[6]  # three collinear samples
    X[7] = (X[0] + X[2]) / 2
    X[8] = -X[9]  # a pair symmetric about the origin, like the spiral's arms
    found = enumerate_patterns(X, include_zero=True)
    oracle = activation_patterns(_Z(X, True), n_gaussian=200_000)
    assert _set(found.patterns) == _set(oracle)
    assert found.n_patterns < pattern_count(10, 3)  # degenerate: fewer cells
    # a small spiral: many lines through the origin
    Xs, _ = spiral(40)
    assert _set(enumerate_patterns(Xs, include_zero=True).patterns) == _set(
        activation_patterns(_Z(Xs, True), n_gaussian=50_000)
    )


def test_zero_pattern_and_zero_rows():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    with_zero = enumerate_patterns(X, bias=False, include_zero=True)
    without = enumerate_patterns(X, bias=False)
    assert with_zero.n_patterns == without.n_patterns + 1 == without.n_patterns + without.n_zero
    assert not without.patterns[:, 0].any()  # the origin is on every hyperplane: never active


def test_samples_are_patterns_of_the_data():
    X = np.random.default_rng(2).normal(size=(9, 2))
    exact = _set(enumerate_patterns(X).patterns)
    for kwargs in ({}, {"method": "wedge"}, {"active_proportion": 0.3}):
        found = sample_patterns(X, 300, random_state=0, **kwargs)
        assert not found.exact
        assert _set(found.patterns) <= exact
        pre = _Z(X, True) @ found.gates.T
        assert np.array_equal((pre > 0).T, found.patterns)
    again = sample_patterns(X, 300, random_state=0)
    assert np.array_equal(again.patterns, sample_patterns(X, 300, random_state=0).patterns)
    share = sample_patterns(X, 200, active_proportion=1 / 3, random_state=1).patterns.mean(axis=1)
    assert np.allclose(share, 1 / 3, atol=1 / 9 + 1e-12)


def test_bad_input_and_size_guard():
    X = np.random.default_rng(0).normal(size=(30, 3))
    with pytest.raises(
        DictionaryTooLargeError, match=r"up to 8,\d{3} activation patterns.*sample_patterns"
    ):
        enumerate_patterns(X, max_patterns=1000)
    with pytest.raises(ValueError, match="bias must be"):
        enumerate_patterns(X, bias="maybe")
    with pytest.raises(ValueError, match="method must be"):
        sample_patterns(X, 10, method="uniform")
    with pytest.raises(ValueError, match="active_proportion needs neurons with a bias"):
        sample_patterns(X, 10, bias=False, active_proportion=0.5)
    with pytest.raises(ValueError, match="NaN"):
        enumerate_patterns(np.full((3, 2), np.nan))
