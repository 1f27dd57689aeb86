"""The shared automatic choices (geolasso.auto) called directly, as a user would."""

import numpy as np
import pytest

from geolasso import ActivationPatterns, choose_dictionary, choose_patterns
from geolasso.datasets import spiral, teacher
from geolasso.dictionary import WedgeDictionary, dictionary_size
from geolasso.exceptions import GeolassoWarning
from geolasso.planar import PlanarDictionary
from geolasso.spatial import SpatialDictionary


def test_the_dictionary_is_the_one_the_estimator_fits_over():
    from geolasso.convex import ConvexReLU

    for X in (spiral(400)[0], teacher(80, 3)[0], teacher(20, 3)[0]):
        chosen = choose_dictionary(X)
        fitted = ConvexReLU(alpha=1.0).fit(X, np.sign(X[:, 0])).dictionary_
        assert type(chosen) is type(fitted)
        assert chosen.n_atoms == fitted.n_atoms
    assert isinstance(choose_dictionary(spiral(400)[0]), PlanarDictionary)
    assert isinstance(choose_dictionary(teacher(80, 3)[0]), SpatialDictionary)
    # with numbered=False (regularization paths) the stored dictionary
    assert isinstance(choose_dictionary(teacher(80, 3)[0], numbered=False), WedgeDictionary)


def test_a_sample_is_announced_with_its_size_and_is_not_exhaustive():
    X = np.random.default_rng(0).normal(size=(60, 6))
    total = dictionary_size(60, 6, bias="free")
    with pytest.warns(GeolassoWarning, match=f"{total:,} atoms") as record:
        D = choose_dictionary(X, random_state=0)
    assert record[0].filename == __file__  # stacklevel 2: the caller's line
    assert D.sampled
    assert D.n_atoms < total


def test_patterns_are_enumerated_when_few_and_sampled_when_asked():
    X = teacher(30, 2)[0]
    exact = choose_patterns(X)
    assert exact.exact
    sampled = choose_patterns(X, 17, random_state=0)
    assert not sampled.exact
    assert sampled.n_patterns <= 17
    given = choose_patterns(X, sampled, bias="regularized")
    assert isinstance(given, ActivationPatterns)
    np.testing.assert_array_equal(given.patterns, sampled.patterns)


@pytest.mark.parametrize("call", [choose_dictionary, choose_patterns])
def test_bad_input_is_named(call):
    X = teacher(20, 3)[0]
    X[2, 1] = np.nan
    with pytest.raises(ValueError, match="X must be finite"):
        call(X)
    bad = {"max_atoms": "many"} if call is choose_dictionary else {"patterns": "many"}
    with pytest.raises(ValueError, match="must be"):
        call(teacher(20, 3)[0], **bad)
