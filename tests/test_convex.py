"""Global training (ConvexReLU), certificates, and their oracles."""

import dataclasses
import math
import warnings

import numpy as np
import pytest
from _oracles import crelu_network, crelu_value
from numpy.testing import assert_allclose

import geolasso.certificate as certificate_module
from geolasso import certify
from geolasso.convex import ConvexReLU, ConvexReLUClassifier
from geolasso.datasets import spiral, teacher
from geolasso.dictionary import dictionary_size
from geolasso.exceptions import DictionaryTooLargeError, GeolassoWarning
from geolasso.network import ReLUNetwork
from geolasso.planar import PlanarDictionary, planar_bytes

BIAS_NAME = {True: "free", False: "none", "regularized": "regularized"}


def test_spec_t10_closed_form_network():
    # X = (0, 1), y = (0, 1), β = 0.1: f(x) = 0.8 (x)_+ + 0.1, objective 0.09 / n
    model = ConvexReLU(alpha=0.05, tol=1e-12).fit([[0.0], [1.0]], [0.0, 1.0])
    assert model.exact_
    assert_allclose(model.objective_, 0.045, rtol=1e-10)
    grid = np.linspace(-1.0, 3.0, 9)[:, None]
    assert_allclose(model.predict(grid), 0.8 * np.maximum(grid[:, 0], 0.0) + 0.1, atol=1e-9)
    assert model.certificate_.optimal
    assert model.optimality_gap_ < 1e-12


@pytest.mark.parametrize(
    ("X", "y", "bias", "alpha"),
    [
        (
            [[0.0, 0.0], [1.0, 0.0]],
            [0.0, 1.0],
            True,
            0.05,
        ),  # docs/mathematics.md T11, β = 0.1, n = 2
        ([[1.0, 0.0]], [1.0], False, 0.1),  # docs/mathematics.md T12, β = 0.1, n = 1
    ],
    ids=["T11-bias", "T12-no-bias"],
)
def test_spec_t11_t12_data_only_is_not_exact_basis_is(X, y, bias, alpha):
    expected_exact = {True: 0.09 / 2, False: 0.095}[bias]
    expected_data = {True: 0.25 / 2, False: 0.5}[bias]
    exact = ConvexReLU(alpha=alpha, bias=bias, tol=1e-12).fit(X, y)
    assert exact.exact_
    assert_allclose(exact.objective_, expected_exact, rtol=1e-9)
    # every hyperplane through the data contains all samples, so every data-only feature
    # vanishes (objective expected_data with z = 0): the fit refuses and says why
    with pytest.raises(ValueError, match="no atom survives"):
        ConvexReLU(alpha=alpha, bias=bias, generators="data").fit(X, y)
    # the certificate of the zero network (what the data-only dictionary can do) shows the gap
    zero = ReLUNetwork(np.zeros((1, 2)), [0.0], [0.0], c=float(np.mean(y)) if bias else 0.0)
    cert = certify(zero, X, y, alpha, bias=bias, solve=True)
    assert_allclose(cert.objective, expected_data, rtol=1e-12)
    assert_allclose(cert.gap, expected_data - expected_exact, rtol=1e-6)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(
    ("bias", "d", "n"), [(True, 2, 7), (False, 2, 7), (False, 3, 6), ("regularized", 2, 6)]
)
def test_l1_fit_equals_the_exact_convex_program(seed, bias, d, n):
    rng = np.random.default_rng(100 + seed)
    X = rng.normal(size=(n, d))
    y = rng.normal(size=n)
    alpha = 0.1 / n  # β = 0.1 (docs/mathematics.md T13)
    model = ConvexReLU(alpha=alpha, bias=bias, tol=1e-12).fit(X, y)
    exact, _ = crelu_value(X, y, alpha, bias=BIAS_NAME[bias], norm="l1")
    assert model.exact_
    assert_allclose(model.objective_, exact, rtol=1e-6)
    # the recovered network's own objective is the Lasso optimum, to rounding
    net_value = model.network_.objective(X, y, alpha, norm="l1", bias=BIAS_NAME[bias])
    assert_allclose(net_value, model.objective_, rtol=1e-12)
    assert model.certificate_.optimal
    assert model.optimality_gap_ <= 1e-8 * model.objective_
    assert model.certificate_.lower_bound <= exact * (1 + 1e-7)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("bias", [True, False])
def test_l2_fit_is_an_upper_bound_and_its_certificate_a_lower_bound(seed, bias):
    rng = np.random.default_rng(200 + seed)
    X = rng.normal(size=(7, 2))
    y = rng.normal(size=7)
    alpha = 0.1 / 7
    model = ConvexReLU(alpha=alpha, norm="l2", bias=bias, tol=1e-12).fit(X, y)
    exact, _ = crelu_value(X, y, alpha, bias=BIAS_NAME[bias], norm="l2")
    assert not model.exact_
    assert model.objective_ >= exact * (1 - 1e-7)
    cert = model.certificate_
    assert cert.exact  # 2-D weight decay: the sweep computes the dual maximum exactly
    assert cert.lower_bound <= exact * (1 + 1e-7)
    assert_allclose(cert.objective, model.objective_, rtol=1e-12)
    # the network's ℓ2 objective is the Lasso optimum over the ℓ2-normalised atoms
    assert_allclose(
        model.network_.objective(X, y, alpha, norm="l2", bias=BIAS_NAME[bias]),
        model.objective_,
        rtol=1e-12,
    )


def test_one_dimensional_weight_decay_is_exact():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(9, 1))
    y = np.abs(X[:, 0]) + 0.1 * rng.normal(size=9)
    model = ConvexReLU(alpha=0.01, norm="l2", tol=1e-12).fit(X, y)
    exact, _ = crelu_value(X, y, 0.01, bias="free", norm="l2")
    assert model.exact_
    assert model.certificate_.exact
    assert_allclose(model.objective_, exact, rtol=1e-6)
    assert model.optimality_gap_ <= 1e-9


def test_certificate_of_perturbed_networks_is_clearly_positive_and_valid():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(8, 2))
    y = rng.normal(size=8)
    alpha = 0.1 / 8
    exact, _ = crelu_value(X, y, alpha, bias="free", norm="l1")
    model = ConvexReLU(alpha=alpha, tol=1e-12).fit(X, y)
    net = model.network_
    for scale in (0.5, 0.9, 1.1):
        bad = ReLUNetwork(net.W, net.b, net.v * scale, net.c)
        for solve in (False, True):
            cert = certify(bad, X, y, alpha, solve=solve)
            assert cert.lower_bound <= exact * (1 + 1e-7)
            true_excess = cert.objective - exact
            assert true_excess > 1e-4
            assert cert.gap >= true_excess * (1 - 1e-7)
            assert not cert.optimal
            assert cert.violations
        # with the convex program solved, the gap is the true excess
        assert_allclose(cert.gap, true_excess, rtol=1e-5)
    # a violating atom is a real descent direction: adding a little of it helps
    cert = certify(ReLUNetwork(net.W, net.b, net.v * 0.5, net.c), X, y, alpha)
    worst = cert.violations[0]
    base = ReLUNetwork(net.W, net.b, net.v * 0.5, net.c)
    t = 1e-3
    w, b = worst["weight"] * math.sqrt(t), worst["bias"] * math.sqrt(t)
    grown = ReLUNetwork(
        np.vstack([base.W, w]),
        np.append(base.b, b),
        np.append(base.v, worst["sign"] * math.sqrt(t)),
        base.c,
    )
    assert grown.objective(X, y, alpha) < base.objective(X, y, alpha)


def test_certify_accepts_arrays_and_rejects_bad_input():
    X, y = teacher(12, 2, random_state=1)
    model = ConvexReLU(alpha=0.01).fit(X, y)
    net = model.network_
    cert = certify((net.W, net.b, net.v, net.c), X, y, 0.01)
    assert_allclose(cert.objective, model.objective_, rtol=1e-12)
    assert "global optimum" in str(cert)
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\)"):
        certify(net, X[:, :1], y, 0.01)
    with pytest.raises(ValueError, match="alpha must be a finite number > 0"):
        certify(net, X, y, 0.0)
    with pytest.raises(ValueError, match="y must have shape"):
        certify(net, X, y[:-1], 0.01)
    with pytest.raises(TypeError, match="model must be a ReLUNetwork"):
        certify("net", X, y, 0.01)
    with pytest.raises(ValueError, match="built on other samples"):
        certify(net, X, y, 0.01, dictionary=ConvexReLU(alpha=0.01).fit(X + 1, y).dictionary_)
    with pytest.raises(ValueError, match="NaN"):
        certify(net, np.where(X > 1, np.nan, X), y, 0.01)
    # a network outside the setting's class (it could sit below that class's optimum)
    with pytest.raises(ValueError, match="output intercept"):
        certify(net, X, y, 0.01, bias=False)
    no_c = ReLUNetwork(net.W, net.b, net.v, 0.0)
    with pytest.raises(ValueError, match="non-zero hidden biases"):
        certify(no_c, X, y, 0.01, bias=False)


def test_path_fit_ends_at_alpha_with_the_same_solution():
    X, y = spiral(40)
    direct = ConvexReLU(alpha=1e-4, tol=1e-10).fit(X, y)
    along = ConvexReLU(alpha=1e-4, tol=1e-10, path=8).fit(X, y)
    assert along.path_.alphas.size == 8
    assert along.path_.alphas[-1] == 1e-4
    assert np.all(np.diff(along.path_.alphas) < 0)
    assert_allclose(along.objective_, direct.objective_, rtol=1e-8)
    assert direct.path_ is None
    custom = ConvexReLU(alpha=1e-4, path=[1e-2, 1e-3]).fit(X, y)
    assert_allclose(custom.path_.alphas, [1e-2, 1e-3, 1e-4])


def test_features_record_generators_and_signed_volumes():
    X, y = spiral(30)
    model = ConvexReLU(alpha=1e-3).fit(X, y)
    assert len(model.features_) == model.n_neurons_ == model.network_.n_neurons
    Xa = np.column_stack([X, np.ones(len(X))])
    for f in model.features_:
        assert set(f) >= {"coefficient", "weight", "bias", "samples", "volumes", "neuron"}
        # the generators lie on the neuron's hyperplane
        for i in f["samples"]:
            assert abs(X[i] @ f["weight"] + f["bias"]) <= 1e-9 * np.abs(f["weight"]).sum()
        # volumes: ± det[x̃_i; generators], independently of the dictionary
        gens = [Xa[i] for i in f["samples"]] + [np.eye(3)[a - 1] for a in f["axes"]]
        dets = [f["orientation"] * np.linalg.det(np.vstack([Xa[i], *gens])) for i in range(30)]
        assert_allclose(f["volumes"], dets, atol=1e-10)
        # the neuron's activation is the ReLU of the volume over the normalizer, scaled
        act = np.maximum(X @ f["weight"] + f["bias"], 0.0)
        scale = math.sqrt(abs(f["coefficient"]))
        assert_allclose(act, scale * np.maximum(f["volumes"], 0.0) / f["normalizer"], atol=1e-10)
    assert "through samples" in model.describe(top=3)


def test_auto_dictionary_is_exhaustive_in_2d_past_the_atom_cap(monkeypatch):
    """2-D with a bias: the sweep makes the atom cap moot; only memory_limit samples."""
    import geolasso.auto as auto
    from geolasso.wedge_build import build_bytes

    monkeypatch.setattr(auto, "AUTO_MAX_ATOMS", 300)
    monkeypatch.setattr(auto, "AUTO_SAMPLE_ATOMS", 200)
    n = 60  # the numbered dictionary then needs more than a working set's columns
    X, y = teacher(n, 2, random_state=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = ConvexReLU(alpha=0.01).fit(X, y)
    assert model.exact_
    assert not model.dictionary_.sampled
    assert model.dictionary_.n_atoms > 300
    # the memory it counts: the build and the sweep; below it the numbered dictionary
    # (still exhaustive), and below that a sample (the atom cap is back)
    n_subsets = dictionary_size(n, 2) // 2
    need = build_bytes(n_subsets, 2, 3) + 32 * n * n
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ConvexReLU(alpha=0.01, memory_limit=need).fit(X, y)
        numbered = ConvexReLU(alpha=0.01, memory_limit=need - 1).fit(X, y)
    assert isinstance(numbered.dictionary_, PlanarDictionary)
    assert numbered.exact_
    assert numbered.objective_ == pytest.approx(model.objective_, rel=1e-9)
    # (200 samples: a sample's working-set columns then fit below the sweep order)
    X, y = teacher(200, 2, random_state=2)
    planar_need = planar_bytes(200) / 0.875  # the sweep order (the solution is kept sparse)
    with pytest.warns(GeolassoWarning, match="random sample"):
        small = ConvexReLU(alpha=0.01, memory_limit=planar_need - 1, random_state=0).fit(X, y)
    assert small.dictionary_.sampled
    assert not small.exact_


def test_too_large_dictionary_is_sampled_with_a_warning(monkeypatch):
    import geolasso.auto as auto

    monkeypatch.setattr(auto, "AUTO_MAX_ATOMS", 300)
    monkeypatch.setattr(auto, "AUTO_SAMPLE_ATOMS", 200)
    X, y = teacher(30, 3, random_state=2)  # no bias: no sweep, the atom cap applies
    with pytest.warns(GeolassoWarning, match="random sample of 200 of them"):
        model = ConvexReLU(alpha=0.01, random_state=0, bias=False).fit(X, y)
    assert not model.exact_
    assert model.dictionary_.n_atoms <= 200
    # still certified against the exhaustive dictionary, which fits in memory
    assert model.optimality_gap_ >= 0.0
    again = ConvexReLU(alpha=0.01, max_atoms=200, random_state=0, bias=False).fit(X, y)
    assert_allclose(again.objective_, model.objective_)  # same seed, same sample
    with pytest.raises(DictionaryTooLargeError, match="max_atoms="):
        ConvexReLU(alpha=0.01, max_atoms=None, memory_limit=10_000).fit(X, y)


def test_bad_parameters_have_clear_errors():
    X, y = teacher(10, 2)
    # each names the parameter, what it accepts and what it got (scikit-learn's wording)
    with pytest.raises(ValueError, match=r"'method' parameter of ConvexReLU must be a str among"):
        ConvexReLU(method="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match=r"'norm' parameter .* Got 'l3' instead"):
        ConvexReLU(norm="l3").fit(X, y)
    with pytest.raises(ValueError, match=r"'alpha' parameter .* range \(0.0, inf\)"):
        ConvexReLU(alpha=-1.0).fit(X, y)
    with pytest.raises(ValueError, match=r"'alpha' parameter .* Got inf instead"):
        ConvexReLU(alpha=np.inf).fit(X, y)
    with pytest.raises(ValueError, match=r"'max_atoms' parameter .* Got 'many' instead"):
        ConvexReLU(max_atoms="many").fit(X, y)
    with pytest.raises(ValueError, match=r"'random_state' parameter .* Got -3 instead"):
        ConvexReLU(random_state=-3).fit(X, y)
    with pytest.raises(ValueError, match=r"'gated' parameter .* Got 1 instead"):
        ConvexReLU(gated=1).fit(X, y)
    with pytest.raises(ValueError, match=r"Only binary classification is supported.*3 classes"):
        ConvexReLUClassifier().fit(X, np.arange(10) % 3)


def test_classifier_labels_and_decision():
    X, y = spiral(40)
    labels = np.where(y > 0, "up", "down")
    model = ConvexReLUClassifier(alpha=1e-4).fit(X, labels)
    assert model.classes_.tolist() == ["down", "up"]
    assert model.score(X, labels) == 1.0
    regressor = ConvexReLU(alpha=1e-4).fit(X, np.where(y > 0, 1.0, -1.0))
    assert_allclose(model.decision_function(X), regressor.predict(X))


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_in_logs(capsys, monkeypatch):
    import sys

    X, y = spiral(30)
    ConvexReLU(alpha=1e-4, verbose=True).fit(X, y)
    err = capsys.readouterr().err
    # not a terminal: no bar (no carriage returns), one plain line when the fit ends
    assert "\r" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("[geolasso fit] round "), err
    assert lines[0].endswith("(done)")
    assert "objective " in lines[0], lines[0]
    assert "relative gap " in lines[0], lines[0]
    ConvexReLU(alpha=1e-4).fit(X, y)
    assert capsys.readouterr().err == ""  # verbose=False: nothing
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    ConvexReLU(alpha=1e-4, verbose=True).fit(X, y)
    assert "rounds" in capsys.readouterr().err


def test_a_jupyter_kernel_gets_the_bar(monkeypatch):
    import sys
    import types

    from geolasso.progress import Progress

    class ZMQInteractiveShell:  # the class name IPython's kernel shell has
        pass

    fake = types.SimpleNamespace(get_ipython=ZMQInteractiveShell)
    monkeypatch.setitem(sys.modules, "IPython", fake)
    progress = Progress(True, "geolasso fit")
    assert progress.bar is not None
    progress.close()
    fake.get_ipython = lambda: None  # IPython imported, no kernel: plain lines
    assert Progress(True, "geolasso fit").bar is None


@pytest.mark.parametrize("Estimator", [ConvexReLU, ConvexReLUClassifier])
@pytest.mark.parametrize(
    ("first", "second"),
    [("arrangement", "wedge"), ("wedge", "arrangement")],
    ids=["arrangement-then-wedge", "wedge-then-arrangement"],
)
def test_a_refit_with_another_method_keeps_nothing_of_the_first(Estimator, first, second, rng):
    X = rng.standard_normal((12, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)
    params = {"alpha": 1e-2, "norm": "l2"}
    model = Estimator(method=first, **params).fit(X, y)
    fresh = Estimator(method=second, **params).fit(X, y)
    first_only = set(vars(model)) - set(vars(fresh))
    model.set_params(method=second).fit(X, y)
    assert set(vars(model)) == set(vars(fresh))
    for name in first_only:
        assert not hasattr(model, name), name
    if first == "arrangement":
        assert "patterns_" in first_only  # the stale attribute of the report
    assert model.objective_ == pytest.approx(fresh.objective_, rel=1e-12)


@pytest.mark.parametrize("Estimator", [ConvexReLU, ConvexReLUClassifier])
def test_complex_input_is_refused_by_name(Estimator, rng):
    from geolasso.exceptions import ComplexDataError

    X = rng.standard_normal((8, 2))
    y = np.where(X[:, 0] > 0, 1.0, -1.0)
    with pytest.raises(ComplexDataError, match="X must contain real numbers; got complex"):
        Estimator(alpha=1e-2).fit(X + 1e-3j, y)
    if Estimator is ConvexReLU:
        with pytest.raises(ComplexDataError, match="y must contain real numbers; got complex"):
            Estimator(alpha=1e-2).fit(X, y + 1j)
    model = Estimator(alpha=1e-2).fit(X, y)
    with pytest.raises(TypeError, match="X must contain real numbers"):  # a TypeError too
        model.predict(X.astype(complex))  # even a zero imaginary part: nothing is cast


@pytest.mark.parametrize("Estimator", [ConvexReLU, ConvexReLUClassifier])
def test_scikit_learn_estimator_checks(Estimator):
    from sklearn.exceptions import SkipTestWarning
    from sklearn.utils.estimator_checks import check_estimator

    # a fixed sample size: the checks use 10-feature data, whose exhaustive
    # dictionary is astronomically large
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkipTestWarning)
        results = check_estimator(
            Estimator(alpha=1e-3, max_atoms=400, random_state=0), on_fail=None
        )
    failed = [
        (r["check_name"], str(r["exception"])[:300]) for r in results if r["status"] == "failed"
    ]
    assert failed == []
    reasons = [str(r["exception"]) for r in results if r["status"] == "skipped"]
    assert all("SCIPY_ARRAY_API" in why or "pandas is not installed" in why for why in reasons)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("bias", [True, False])
def test_exact_l2_certificate_in_the_plane(seed, bias, monkeypatch):
    """At the weight-decay optimum (cvxpy's C-ReLU) the 2-D ℓ2 certificate closes the gap."""
    rng = np.random.default_rng(300 + seed)
    X = rng.normal(size=(7, 2))
    y = rng.normal(size=7)
    alpha = 0.1 / 7
    name = BIAS_NAME[bias]
    value, W, b, v, c = crelu_network(X, y, alpha, bias=name, norm="l2")
    net = ReLUNetwork(W, b, v, c)
    cert = certify(net, X, y, alpha, norm="l2", bias=bias)
    assert cert.exact
    assert_allclose(cert.objective, value, rtol=1e-6)
    assert cert.lower_bound <= value * (1 + 1e-7)
    assert cert.gap <= 1e-5 * value
    assert cert.max_violation <= 1 + 1e-4
    # perturbed networks: still a valid bound, now clearly positive
    for scale in (0.7, 1.3):
        bad = certify(ReLUNetwork(W, b, v * scale, c), X, y, alpha, norm="l2", bias=bias)
        assert bad.lower_bound <= value * (1 + 1e-7)
        assert bad.gap >= (bad.objective - value) * (1 - 1e-7) > 1e-4
        assert not bad.optimal
    # 3-D: the certificate maximises over the enumerated pattern cones, a valid exact bound
    X3 = rng.normal(size=(6, 3))
    value3, _ = crelu_value(X3, y[:6], alpha, bias=name, norm="l2")
    model = ConvexReLU(alpha=alpha, norm="l2", bias=bias).fit(X3, y[:6])
    cert3 = model.certificate_
    assert cert3.exact
    assert cert3.lower_bound <= value3 * (1 + 1e-7)
    assert cert3.gap >= (cert3.objective - value3) * (1 - 1e-7)
    # without the patterns (none fit the budget) the relaxed bound never claims optimality
    monkeypatch.setattr(certificate_module, "CERTIFY_MAX_PATTERNS", 10)
    relaxed = certify(model, X3, y[:6], alpha, norm="l2", bias=bias)
    assert not relaxed.exact
    assert not relaxed.optimal
    assert relaxed.lower_bound <= value3 * (1 + 1e-7)


def test_planar_l2_dual_maximum_against_a_fine_grid():
    """The sweep's maximum of |λᵀ(Xw + b)_+| over unit w: never below a 2·10⁵-angle grid."""
    from geolasso.certificate import _l2_dual_max_2d

    rng = np.random.default_rng(12)
    angles = np.linspace(0.0, 2 * np.pi, 200_001)
    W = np.column_stack([np.cos(angles), np.sin(angles)])
    for trial in range(6):
        X = rng.normal(size=(9, 2))
        if trial >= 3:  # ties: grid points, a repeated sample, samples on an axis
            X = np.round(X)
            X[1], X[2], X[3], X[4] = [0, 0], [0, 1], [0, -2], X[5]
        lam = rng.normal(size=9)
        lam -= lam.mean()
        T = X @ W.T
        grid_free = max(
            np.abs(lam @ T).max(), *(np.abs(lam @ np.maximum(T - T[j], 0)).max() for j in range(9))
        )
        grid_none = np.abs(lam @ np.maximum(T, 0)).max()
        for bias, grid in (("free", grid_free), ("none", grid_none)):
            exact = _l2_dual_max_2d(X, lam, bias)
            assert exact >= grid * (1 - 1e-12)
            assert exact <= grid * (1 + 1e-4)  # the grid misses maxima at kinks by O(step)


def test_sampled_arrangement_fit_reports_its_finite_gap_over_the_patterns():
    """Sampled patterns: optimality_gap_ is the solver's gap over them, finite, not exact."""
    from geolasso.arrangements import sample_patterns

    X, y = teacher(60, 4, random_state=3)
    patterns = sample_patterns(X, 30, bias="regularized", random_state=0)
    model = ConvexReLU(
        alpha=1e-3, method="arrangement", norm="l2", bias="regularized", patterns=patterns
    ).fit(X, y)
    assert not model.exact_
    assert np.isfinite(model.optimality_gap_)
    assert 0.0 <= model.optimality_gap_ <= 1e-6 * model.objective_
    assert model.optimality_gap_ == model.solution_.gap


@pytest.mark.parametrize("setting", ["free", "regularized"])
def test_optimal_needs_the_gap_not_only_dual_feasibility(setting):
    # the same function with unbalanced weights, a far larger penalty, or a dead neuron:
    # the residual is the optimum's (dual feasible), the gap is not small, and only the
    # rebalanced unbalanced network is optimal. Oracle: the exact convex program (cvxpy)
    rng = np.random.default_rng(5)
    X = rng.normal(size=(8, 2))
    y = rng.normal(size=8)
    alpha = 0.1 / 8
    exact, _ = crelu_value(X, y, alpha, bias=setting, norm="l1")
    bias = True if setting == "free" else "regularized"
    net = ConvexReLU(alpha=alpha, bias=bias, tol=1e-12).fit(X, y).network_
    good = certify(net, X, y, alpha, bias=bias)
    assert good.optimal
    assert good.optimal_after_rebalancing
    assert_allclose(good.objective, exact, rtol=1e-7)
    assert "the network is a global optimum" in str(good)

    tilted = ReLUNetwork(net.W * 10, net.b * 10, net.v / 10, net.c)
    assert_allclose(tilted.predict(X), net.predict(X), rtol=1e-12, atol=1e-12)
    cert = certify(tilted, X, y, alpha, bias=bias)
    assert cert.dual_feasible
    assert cert.relative_gap > 0.5
    assert not cert.optimal
    assert cert.optimal_after_rebalancing
    assert_allclose(cert.rebalanced_objective, exact, rtol=1e-7)
    assert "not balanced" in str(cert)
    assert "the network is a global optimum" not in str(cert)

    huge = certify(net, X, y, 1e6, bias=bias)
    assert huge.relative_gap > 0.5
    assert not huge.optimal
    assert not huge.optimal_after_rebalancing
    assert "optimality is not proven" in str(huge)

    # a neuron active on no sample (a hyperplane beyond every point, pointing away)
    far = 10.0 * float(np.abs(X).max())
    dead_w = np.array([[1.0, 0.0]])
    dead_b = np.array([-far])
    dead = ReLUNetwork(
        np.vstack([net.W, dead_w]), np.append(net.b, dead_b), np.append(net.v, 1.0), net.c
    )
    assert_allclose(dead.predict(X), net.predict(X), rtol=1e-12, atol=1e-12)
    cert = certify(dead, X, y, alpha, bias=bias)
    assert not cert.optimal
    assert not cert.optimal_after_rebalancing
    assert cert.objective - exact > 1e-3

    # a NaN never certifies
    broken = dataclasses.replace(good, relative_gap=math.nan, rebalanced_objective=math.nan)
    assert not broken.optimal
    assert not broken.optimal_after_rebalancing
    with pytest.raises(ValueError, match="rtol must be a finite number >= 0"):
        certify(net, X, y, alpha, bias=bias, rtol=-1.0)
    with pytest.raises(TypeError, match="rtol must be a real number"):
        certify(net, X, y, alpha, bias=bias, rtol="tight")
    # rtol decides: the tilted network is optimal for a loose enough one
    assert certify(tilted, X, y, alpha, bias=bias, rtol=2 * cert.relative_gap + 1.0).optimal


def test_rebalanced_network_is_the_same_function_at_the_least_penalty():
    rng = np.random.default_rng(6)
    W, b, v = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=5)
    W[3] = 0.0  # a constant neuron (free biases: moved into c)
    v[4] = 0.0  # a neuron that contributes nothing
    net = ReLUNetwork(W, b, v, 0.3)
    X = rng.normal(size=(40, 3))
    for norm, p in (("l1", 1), ("l2", 2)):
        for bias in ("free", "regularized"):
            if bias == "regularized":
                net_b = ReLUNetwork(W[[0, 1, 2, 4]], b[[0, 1, 2, 4]], v[[0, 1, 2, 4]], 0.0)
            else:
                net_b = net
            out = net_b.rebalanced(norm=norm, bias=bias)
            assert_allclose(out.predict(X), net_b.predict(X), rtol=1e-12, atol=1e-12)
            first = np.column_stack([out.W, out.b]) if bias == "regularized" else out.W
            size = np.linalg.norm(first, ord=p, axis=1)
            assert_allclose(np.abs(out.v), size, rtol=1e-12)
            own = np.column_stack([net_b.W, net_b.b]) if bias == "regularized" else net_b.W
            least = float(np.abs(net_b.v) @ np.linalg.norm(own, ord=p, axis=1))
            assert_allclose(out.penalty(norm=norm, bias=bias), least, rtol=1e-12)
            assert out.penalty(norm=norm, bias=bias) <= net_b.penalty(norm=norm, bias=bias)
            assert out.n_neurons == 3
