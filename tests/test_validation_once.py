"""One fit validates its samples once; the public functions still validate theirs.

The estimators validate ``X`` at their boundary (scikit-learn's
``validate_data``, or :func:`geolasso.patches.patches`' conversion for the CNN)
and check its scale once; everything below them (the dictionary, the
activation patterns, the network's objective, the certificate) receives the
checked array through internal entry points. The counts are taken by wrapping
the validators in every geolasso module that imports them
(``benchmarks/count_validations.py`` prints the same counts per caller).
"""

import sys
from collections import Counter

import numpy as np
import pytest
import sklearn.utils.validation as skv

import geolasso
from geolasso import _validation
from geolasso.arrangements import enumerate_patterns, sample_patterns
from geolasso.certificate import certify
from geolasso.cnn import ConvexCNN, patches
from geolasso.datasets import spiral
from geolasso.deep import DeepConvexRegressor
from geolasso.dictionary import WedgeDictionary
from geolasso.mirror import mirror_dictionary
from geolasso.network import ReLUNetwork
from geolasso.planar import PlanarDictionary
from geolasso.spatial import SpatialDictionary


def _same_data(value, X):
    """Whether ``value`` is ``X`` or a copy of it, possibly rescaled by a power of two."""
    if not isinstance(value, np.ndarray) or value.shape != X.shape or value.dtype.kind != "f":
        return False
    if np.shares_memory(value, X):
        return True
    a, b = np.abs(value).max(initial=0.0), np.abs(X).max(initial=0.0)
    return a == b == 0.0 or (a > 0 and b > 0 and np.array_equal(value / a, X / b))


@pytest.fixture
def count_validations(monkeypatch):
    """``count(*arrays)`` starts counting the validations of those arrays and returns
    the Counter: ``"convert"`` (validate_data, as_float_array: conversions and finite
    checks) and ``"range"`` (scale_exponent with its range check)."""

    def count(*arrays):
        counts = Counter()
        data = [np.asarray(a, dtype=np.float64) for a in arrays]

        def wrap(kind, fn):
            def wrapper(value, *args, **kwargs):
                if kind == "range" and not kwargs.get("check_range", True):
                    return fn(value, *args, **kwargs)  # an exponent computed, nothing checked
                if any(_same_data(value, X) for X in data):
                    counts[kind] += 1
                return fn(value, *args, **kwargs)

            return wrapper

        for name, kind in (("as_float_array", "convert"), ("scale_exponent", "range")):
            original = getattr(_validation, name)
            for module in [m for n, m in sys.modules.items() if n.startswith("geolasso")]:
                for attr, value in list(vars(module).items()):
                    if value is original:
                        monkeypatch.setattr(module, attr, wrap(kind, original))
        validate_data = skv.validate_data

        def counted(*args, **kwargs):
            counts["convert"] += 1
            return validate_data(*args, **kwargs)

        monkeypatch.setattr(skv, "validate_data", counted)
        return counts

    return count


@pytest.mark.parametrize(
    "estimator",
    [
        geolasso.ConvexReLU(1e-2),
        geolasso.ConvexReLU(1e-2, norm="l2"),
        geolasso.ConvexReLU(1e-2, method="arrangement", norm="l2"),
        geolasso.ConvexReLU(1e-2, method="arrangement", patterns=50, random_state=0),
        geolasso.ConvexReLUClassifier(1e-2),
    ],
    ids=["wedge-l1", "wedge-l2", "arrangement-l2", "arrangement-sampled", "classifier"],
)
def test_a_fit_validates_X_once(estimator, count_validations):
    X, y = spiral(60)
    counts = count_validations(X)
    estimator.fit(X, y)
    assert counts == {"convert": 1, "range": 1}


def test_the_planar_route_validates_X_once(count_validations, monkeypatch):
    from geolasso import auto

    X, y = spiral(60)
    # the numbered 2-D dictionary, which max_atoms="auto" picks for large samples
    monkeypatch.setattr(auto, "PLANAR_MIN_ATOMS", 0)
    counts = count_validations(X)
    est = geolasso.ConvexReLU(1e-2).fit(X, y)
    assert isinstance(est.dictionary_, PlanarDictionary)
    assert counts == {"convert": 1, "range": 1}


def test_the_spatial_route_validates_X_once(count_validations, monkeypatch):
    from geolasso import auto

    X = np.random.default_rng(1).standard_normal((20, 3))
    y = np.sign(X[:, 0] * X[:, 1]) + 0.1 * X[:, 2]
    # the numbered 3-D dictionary, which max_atoms="auto" picks for large samples
    monkeypatch.setattr(auto, "SPATIAL_MIN_ATOMS", 0)
    counts = count_validations(X)
    est = geolasso.ConvexReLU(1e-2).fit(X, y)
    assert isinstance(est.dictionary_, SpatialDictionary)
    assert counts == {"convert": 1, "range": 1}


@pytest.mark.parametrize(
    "estimator",
    [ConvexCNN(3, 1e-2), ConvexCNN(3, 1e-2, method="arrangement", norm="l2")],
    ids=["wedge", "arrangement"],
)
def test_a_cnn_fit_validates_its_images_once(estimator, count_validations):
    images = np.random.default_rng(0).standard_normal((8, 6))
    # the images, and the stacked patches derived from them (the dictionary's samples)
    counts = count_validations(images, patches(images, 3).reshape(-1, 3))
    estimator.fit(images, images.sum(axis=1))
    assert counts == {"convert": 1}


def test_a_deep_fit_validates_X_once(count_validations):
    x = np.linspace(-1.0, 1.0, 30)[:, None]
    counts = count_validations(x, x[:, 0])
    DeepConvexRegressor(alpha=1e-3).fit(x, np.sin(4 * x[:, 0]))
    assert counts == {"convert": 1}


def test_public_functions_still_reject_bad_samples():
    X, y = spiral(12)
    net = ReLUNetwork([[1.0, -1.0]], [0.5], [2.0], c=0.1)
    bad = X.copy()
    bad[3, 1] = np.nan
    for call in (
        lambda Z: WedgeDictionary(Z),
        lambda Z: PlanarDictionary(Z),
        lambda Z: SpatialDictionary(np.column_stack([Z, Z[:, 0]]) if Z.ndim == 2 else Z),
        lambda Z: enumerate_patterns(Z),
        lambda Z: sample_patterns(Z, 10, random_state=0),
        lambda Z: certify(net, Z, y, 1e-2),
        lambda Z: net.predict(Z),
        lambda Z: net.objective(Z, y, 1e-2),
    ):
        with pytest.raises(ValueError, match="X must be finite"):
            call(bad)
        with pytest.raises(ValueError, match="X must have"):
            call(X[:, 0])
    with pytest.raises(ValueError, match="X must have shape"):
        net.hidden(np.ones((3, 3)))
    with pytest.raises(ValueError, match="y must have shape"):
        net.objective(X, y[:-1], 1e-2)
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        net.objective(X, y, -1.0)
    with pytest.raises(ValueError, match="alpha must be a finite number > 0"):
        certify(net, X, y, 0.0)
    with pytest.raises(ValueError, match="largest magnitude"):
        certify(net, X * 1e200, y, 1e-2)
    with pytest.raises(ValueError, match="images must be finite"):
        patches(np.full((2, 5), np.nan), 2)
    with pytest.raises(ValueError, match="x must be finite"):
        mirror_dictionary([0.0, np.nan, 1.0], 3)
    with pytest.raises(ValueError, match="x must be one-dimensional data"):
        mirror_dictionary(np.ones((3, 2)), 3)
    with pytest.raises(ValueError, match="x needs at least 2 samples"):
        DeepConvexRegressor(alpha=1e-3).fit([[1.0]], [1.0])


@pytest.mark.parametrize(
    "estimator",
    [
        geolasso.ConvexReLU(1e-2, norm="l2"),
        geolasso.ConvexReLU(1e-2, norm="l2", bias="regularized"),
        geolasso.ConvexReLU(1e-2, method="arrangement", norm="l2"),
    ],
    ids=["wedge", "wedge-regularized", "arrangement"],
)
def test_an_l2_fit_builds_one_wedge_dictionary(estimator, monkeypatch):
    """The ℓ2 fit's exhaustive dictionary (the Lasso's, or the arrangement solver's warm
    start's) is the certificate's too: its atoms are the ℓ1 dictionary's, rescaled."""
    built = []
    adopt = WedgeDictionary._adopt

    def counted(self, *args, **kwargs):
        built.append(self)
        return adopt(self, *args, **kwargs)

    monkeypatch.setattr(WedgeDictionary, "_adopt", counted)
    X, y = spiral(40)
    estimator.fit(X, y)
    assert len(built) == 1
    assert estimator.certificate_.dictionary is built[0]
    assert built[0].norm == "l2"
    # the same certificate as the public function's, over the ℓ1 dictionary
    kwargs = {"patterns": estimator.patterns_} if estimator.method == "arrangement" else {}
    reference = certify(estimator.network_, X, y, 1e-2, norm="l2", bias=estimator.bias, **kwargs)
    assert reference.dictionary.norm == "l1"
    cert = estimator.certificate_
    assert cert.n_atoms == reference.n_atoms
    assert cert.n_violations == reference.n_violations
    assert cert.exact == reference.exact
    np.testing.assert_allclose(
        [cert.objective, cert.lower_bound, cert.max_violation],
        [reference.objective, reference.lower_bound, reference.max_violation],
        rtol=1e-12,
    )
    assert abs(cert.gap - reference.gap) <= 1e-12 * reference.objective


@pytest.mark.parametrize("bias", [True, False, "regularized"])
def test_the_relaxed_l2_bound_over_the_fits_l2_dictionary(bias, rng, monkeypatch):
    """Without patterns (too many to enumerate) the ℓ2 bound is √k times the ℓ1 one: the
    fit's ℓ2-normalised atoms are converted back to ℓ1-normalised ones for it."""
    from geolasso import certificate

    monkeypatch.setattr(certificate, "CERTIFY_MAX_PATTERNS", 1)
    X, y = rng.standard_normal((25, 3)), rng.standard_normal(25)
    est = geolasso.ConvexReLU(1e-2, norm="l2", bias=bias).fit(X, y)
    reference = certify(est.network_, X, y, 1e-2, norm="l2", bias=bias)
    cert = est.certificate_
    assert cert.dictionary is est.dictionary_
    assert not cert.exact
    assert not reference.exact
    np.testing.assert_allclose(
        [cert.lower_bound, cert.max_violation],
        [reference.lower_bound, reference.max_violation],
        rtol=1e-12,
    )


@pytest.mark.parametrize("layout", ["F", "strided"])
def test_a_fit_works_on_the_same_c_ordered_samples_whatever_the_layout(layout):
    """validate_data makes X C-ordered, as the validators below it used to: the fit on
    Fortran-ordered or strided samples is the fit on the C-ordered ones, bit for bit."""
    X, y = spiral(30)
    if layout == "F":
        Xi = np.asfortranarray(X)
    else:
        wide = np.zeros((30, 4))
        wide[:, ::2] = X
        Xi = wide[:, ::2]
    kwargs = dict(method="arrangement", bias=False, patterns=30, random_state=0)
    a = geolasso.ConvexReLU(1e-2, **kwargs).fit(X, y)
    b = geolasso.ConvexReLU(1e-2, **kwargs).fit(Xi, y)
    assert a.objective_ == b.objective_
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
