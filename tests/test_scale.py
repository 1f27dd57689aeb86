"""Scale robustness: fits, patterns, wedges and the Lasso at extreme magnitudes,
and the bounded arrangement solve at penalties far below alpha_max."""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from geolasso import ConvexReLU, certify
from geolasso.algebra import blade_norm, cross, wedge, wedge_all
from geolasso.arrangements import enumerate_patterns, sample_patterns
from geolasso.convex import EXACT_RTOL
from geolasso.crelu import _SMALL_ALPHA_PASSES, _SMALL_ALPHA_ROUNDS
from geolasso.datasets import spiral
from geolasso.dictionary import WedgeDictionary
from geolasso.exceptions import ConvergenceWarning
from geolasso.lasso import lasso
from geolasso.planar import PlanarDictionary

SCALES = [1e-150, 1e-75, 1e-20, 1e20, 1e75, 1e150]


@pytest.fixture(scope="module")
def plane():
    rng = np.random.default_rng(7)
    X = rng.uniform(-1.0, 1.0, size=(8, 2))
    y = rng.normal(size=8)
    grid = rng.uniform(-1.5, 1.5, size=(50, 2))
    return X, y, grid


@pytest.fixture(scope="module")
def unscaled(plane):
    X, y, _ = plane
    return {
        "wedge": ConvexReLU(alpha=1e-2).fit(X, y),
        "arrangement": ConvexReLU(alpha=1e-2, method="arrangement", norm="l2").fit(X, y),
    }


@pytest.mark.parametrize("method", ["wedge", "arrangement"])
@pytest.mark.parametrize("c", SCALES, ids=[f"{c:g}" for c in SCALES])
def test_fit_is_equivariant_under_scaling(plane, unscaled, method, c):
    # fit(c X, y, c alpha) is fit(X, y, alpha) with each neuron (w, b, v) replaced by
    # (w / √c, b √c, v √c): the same function of the scaled samples, the same objective
    X, y, grid = plane
    kw = {} if method == "wedge" else {"method": "arrangement", "norm": "l2"}
    ref = unscaled[method]
    assert ref.exact_  # certified optimum at c = 1
    model = ConvexReLU(alpha=1e-2 * c, **kw).fit(X * c, y)
    assert model.exact_
    np.testing.assert_allclose(model.predict(grid * c), ref.predict(grid), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(model.objective_, ref.objective_, rtol=1e-7)
    # the objective of the returned network, recomputed in the units of c X
    norm = "l1" if method == "wedge" else "l2"
    J = model.network_.objective(X * c, y, 1e-2 * c, norm=norm)
    np.testing.assert_allclose(J, model.objective_, rtol=1e-7)
    # balanced neurons (w / √c, b √c, v √c): the hidden values are √c (w·x + b)
    hidden = X * c @ model.network_.W.T + model.network_.b
    ref_hidden = X @ ref.network_.W.T + ref.network_.b
    assert np.all(np.isfinite(hidden))
    np.testing.assert_allclose(
        np.abs(hidden).max() / np.sqrt(c), np.abs(ref_hidden).max(), rtol=1e-6
    )


@pytest.mark.parametrize("c", [1e-300, 1e300, 1e160])
@pytest.mark.parametrize("method", ["wedge", "arrangement"])
def test_fit_outside_the_safe_range_is_refused_by_name(plane, c, method):
    X, y, _ = plane
    with pytest.raises(ValueError, match=r"X has largest magnitude .*2\*\*-510, 2\*\*510"):
        ConvexReLU(alpha=1e-2, method=method).fit(X * c, y)
    with pytest.raises(ValueError, match=r"y has largest magnitude"):
        ConvexReLU(alpha=1e-2, method=method).fit(X, y * c if c > 1 else y * 1e300)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("c", [1e-300, 1e-150, 1e150, 1e300])
def test_patterns_do_not_depend_on_the_scale(bias, c):
    X = np.random.default_rng(3).normal(size=(9, 2))
    ref = enumerate_patterns(X, bias=bias)
    got = enumerate_patterns(X * c, bias=bias)
    assert {row.tobytes() for row in got.patterns} == {row.tobytes() for row in ref.patterns}
    assert got.n_patterns == ref.n_patterns
    # independent check: each gate realises its pattern on the scaled samples
    Z = X * c if not bias else np.column_stack([X * c, np.ones(len(X))])
    assert np.all(np.isfinite(got.gates))
    np.testing.assert_array_equal((Z @ got.gates.T > 0).T, got.patterns)
    sampled = sample_patterns(X * c, 300, bias=bias, random_state=0)
    np.testing.assert_array_equal((Z @ sampled.gates.T > 0).T, sampled.patterns)


def test_wedges_that_overflow_are_named():
    big = np.array([[1.0, 2.0, 0.5], [3.0, -1.0, 2.0]]) * 1e300
    for f in (wedge, cross, lambda v: blade_norm(v, method="svd")):
        with pytest.raises(ValueError, match="overflows float64"):
            f(big)
    with pytest.raises(ValueError, match="overflows float64"):
        wedge_all(big, [[0, 1]])
    # large but representable: the blade norm is finite (no overflow in its squares)
    a = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]) * 1e154
    assert blade_norm(a) == pytest.approx(1e308, rel=1e-12)


def test_lasso_with_overflowing_targets_stops_before_any_round():
    rng = np.random.default_rng(0)
    K = rng.normal(size=(20, 30))
    y = rng.normal(size=20)
    with pytest.raises(ValueError, match=r"y has entries of magnitude up to .*overflows float64"):
        lasso(K, y * 1e300, 0.01)
    with pytest.raises(ValueError, match=r"K has entries of magnitude up to .*overflow float64"):
        lasso(K * 1e300, y, 0.01)
    # scaled y with scaled alpha: the same solution scaled (rounds counted by the result)
    ref = lasso(K, y, 0.01, tol=1e-10)
    big = lasso(K, y * 1e150, 0.01 * 1e150, tol=1e-10)
    assert big.converged
    assert big.n_iter <= ref.n_iter + 2
    np.testing.assert_allclose(big.coef / 1e150, ref.coef, rtol=1e-6, atol=1e-9)


def test_no_raw_linalg_error_or_lapack_output_at_extreme_scales():
    code = textwrap.dedent(
        """
        import numpy as np
        from geolasso import ConvexReLU, certify
        from geolasso.arrangements import enumerate_patterns
        from geolasso.dictionary import WedgeDictionary
        from geolasso.lasso import lasso
        from geolasso.planar import PlanarDictionary
        rng = np.random.default_rng(0)
        X, y = rng.normal(size=(8, 2)), rng.normal(size=8)
        K = rng.normal(size=(8, 12))
        net = ConvexReLU(alpha=1e-2).fit(X, y).network_
        calls = [
            lambda c: ConvexReLU(alpha=1e-2).fit(X * c, y),
            lambda c: ConvexReLU(alpha=1e-2, method="arrangement").fit(X * c, y),
            lambda c: enumerate_patterns(X * c),
            lambda c: lasso(K * c, y, 1e-2),
            lambda c: lasso(K, y * c, 1e-2),
            lambda c: lasso(WedgeDictionary(X * c, norm="l2"), y, 1e-2, fit_intercept=True),
            lambda c: lasso(PlanarDictionary(X * c), y, 1e-2, fit_intercept=True),
            lambda c: certify(net, X * c, y, 1e-2),
        ]
        for c in (1e154, 1e200, 1e300, 1e-200, 1e-300):
            for call in calls:
                try:
                    call(c)
                except ValueError as exc:
                    assert "float64" in str(exc), exc
        print("done")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "done"
    assert "LAPACK" not in out.stderr
    assert "DLASCL" not in out.stderr
    assert "LinAlgError" not in out.stderr


@pytest.mark.parametrize(("alpha", "n"), [(1e-12, 24), (1e-8, 40)])
def test_tiny_alpha_arrangement_solve_is_bounded(alpha, n):
    # far below the designed range (alpha >= 1e-6 alpha_max, alpha_max about 0.09 here):
    # bounded work, a warning that names the certified gap, and no claim of exactness
    X, y = spiral(n)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ConvexReLU(alpha=alpha, method="arrangement", norm="l2").fit(X, y)
    res = model.solution_
    assert res.n_rounds <= _SMALL_ALPHA_ROUNDS
    assert res.n_iter <= _SMALL_ALPHA_ROUNDS * _SMALL_ALPHA_PASSES
    assert res.relative_gap > max(model.tol, EXACT_RTOL)  # not certified within the bound
    assert not model.exact_
    messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert any(f"relative duality gap of {res.relative_gap:.2e}" in m for m in messages)
    assert any("below the range" in m and "Use a larger alpha" in m for m in messages)
    # the gap reported is the returned point's objective minus the dual lower bound;
    # the objective is that of the returned network (J recomputed from its weights)
    J = model.network_.objective(X, y, alpha, norm="l2")
    np.testing.assert_allclose(J, res.objective, rtol=1e-9)
    assert res.gap == pytest.approx(res.objective - res.lower_bound, abs=1e-15)
    assert 0.0 < res.lower_bound <= J


@pytest.mark.parametrize(
    ("d", "bias", "generators"),
    [(2, True, "data+basis"), (3, True, "data+basis"), (3, False, "data+basis"), (2, True, "data")],
)
@pytest.mark.parametrize("c", [2.0**-300, 1e-100, 1e100], ids=["2^-300", "1e-100", "1e100"])
def test_wedge_dictionary_decides_at_the_data_scale(d, bias, generators, c):
    # the hyperplanes of c X are those of X with the bias times c, and every feature
    # relu(w·x + b) of c X is c times the same feature of X; checked against the
    # explicit features of X's hyperplanes (not against the dictionary of c X itself)
    X = np.random.default_rng(d).normal(size=(7, d))
    ref = WedgeDictionary(X, bias=bias, generators=generators, norm="l2")
    got = WedgeDictionary(X * c, bias=bias, generators=generators, norm="l2")
    assert got.n_atoms == ref.n_atoms
    np.testing.assert_allclose(got.weights, ref.weights, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got.biases / c, ref.biases, rtol=1e-12, atol=1e-15)
    explicit = np.maximum(X @ ref.weights.T + ref.biases, 0.0)
    r = np.linspace(-1.0, 1.0, 7)
    np.testing.assert_allclose(got.rmatvec(r) / c, explicit.T @ r, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got.matrix() / c, explicit, rtol=1e-9, atol=1e-12)


class _Overflowing:
    """A matrix-free operator whose correlations overflow (as a huge dictionary's would)."""

    shape = (6, 4)

    def rmatvec(self, r):
        return np.full(4, np.inf)

    def matvec(self, z):
        return np.zeros(6)

    def columns(self, idx):
        return np.full((6, len(idx)), np.inf)


def test_lasso_names_a_non_finite_round_at_once():
    with pytest.raises(ValueError, match="non-finite correlation in round 1"):
        lasso(_Overflowing(), np.arange(6.0), 0.1)


class _Huge:
    """A matrix-free operator with finite columns whose inner products overflow."""

    def __init__(self):
        self.K = np.random.default_rng(8).normal(size=(6, 4)) * 1e160
        self.shape = self.K.shape

    def rmatvec(self, r):
        return self.K.T @ r

    def matvec(self, z):
        return self.K @ z

    def columns(self, idx):
        return self.K[:, idx]


def test_overflowing_dictionary_columns_are_named():
    with pytest.raises(ValueError, match="inner products overflow float64"):
        lasso(_Huge(), np.arange(6.0), 1e150)
    X = np.random.default_rng(5).normal(size=(8, 2))
    for c in (1e-200, 1e200):  # products of two coordinates leave float64's normal range
        with pytest.raises(ValueError, match=r"X has largest magnitude .*2\*\*-510"):
            PlanarDictionary(X * c)


@pytest.mark.parametrize("c", [1e-300, 1e300])
def test_certify_refuses_scales_outside_the_safe_range(plane, unscaled, c):
    X, y, _ = plane
    with pytest.raises(ValueError, match=r"X has largest magnitude .*2\*\*-510"):
        certify(unscaled["wedge"].network_, X * c, y, 1e-2)


@pytest.mark.parametrize(
    ("norm", "bias", "gated"), [("l1", True, False), ("l2", False, True), ("l1", False, True)]
)
@pytest.mark.parametrize("c", [1e-100, 1e80], ids=["1e-100", "1e80"])
def test_given_patterns_and_gated_fits_follow_the_scaling(plane, norm, bias, gated, c):
    # patterns (and their gates) computed on c X by the caller: the fit on c X with
    # c alpha fits on c X the values the fit on X with alpha fits on X
    X, y, _ = plane
    kw = {"method": "arrangement", "norm": norm, "bias": bias, "gated": gated, "certify": False}
    ref = ConvexReLU(alpha=1e-2, **kw).fit(X, y)
    patterns = enumerate_patterns(X * c, bias=bias)
    model = ConvexReLU(alpha=1e-2 * c, patterns=patterns, **kw).fit(X * c, y)
    assert model.scale_ != 1.0
    # the fitted values are unique at the optimum: within the certified gaps of each,
    # ||f - f*||² / (2 n) <= gap
    n = len(y)
    slack = 2.0 * np.sqrt(2 * n * (model.optimality_gap_ + ref.optimality_gap_)) + 1e-9
    np.testing.assert_allclose(model.predict(X * c), ref.predict(X), rtol=0, atol=slack)
    np.testing.assert_allclose(model.objective_, ref.objective_, rtol=1e-7)
    if gated:  # the gates are in the units of c X: each realises its pattern there
        Z = X * c if bias is False else np.column_stack([X * c, np.ones(len(X))])
        on = Z @ model.gates_.T > 0
        np.testing.assert_array_equal(on.T, patterns.patterns[model.solution_.pattern])
