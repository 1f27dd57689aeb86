"""One non-convergence event, one ConvergenceWarning.

A caller that wraps a solver (snap's refit, the CNN's and the deep regressor's
Lasso) folds the solver's warning into its own, which names the stage and the
remedy; a warm start's Lasso, only a starting point, passes none on (the
solver it starts warns when it does not converge itself).
"""

import warnings

import numpy as np
import pytest

import geolasso
from geolasso._warnings import convergence_warnings_collected
from geolasso.cnn import ConvexCNN
from geolasso.datasets import spiral
from geolasso.deep import DeepConvexRegressor
from geolasso.exceptions import ConvergenceWarning
from geolasso.snapping import snap


def _convergence_warnings(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]


def _images():
    images = np.random.default_rng(0).standard_normal((8, 6))
    return images, images.sum(axis=1) ** 2


def test_cnn_lasso_warns_once():
    images, y = _images()
    messages = _convergence_warnings(
        lambda: ConvexCNN(3, 1e-4, max_iter=1, tol=1e-14).fit(images, y)
    )
    assert len(messages) == 1
    assert "the Lasso stopped at relative gap" in messages[0]
    assert "did not converge in max_iter = 1 rounds" in messages[0]


def test_cnn_arrangement_warns_once_for_its_solver_not_its_start():
    images, y = _images()
    est = ConvexCNN(
        3, 1e-3, method="arrangement", norm="l2", patterns=20, random_state=0, max_iter=1
    )
    est.set_params(tol=1e-14)
    messages = _convergence_warnings(lambda: est.fit(images, y))
    assert len(messages) == 1
    assert messages[0].startswith("the arrangement solver stopped")


def test_arrangement_fit_warns_once_for_its_solver_not_its_warm_start():
    X, y = spiral(40)
    est = geolasso.ConvexReLU(1e-3, method="arrangement", norm="l2", max_iter=1, tol=1e-14)
    messages = _convergence_warnings(lambda: est.fit(X, y))
    assert len(messages) == 1
    assert messages[0].startswith("the arrangement solver stopped")


@pytest.mark.parametrize("norm", ["l1", "l2"])
def test_wedge_fit_warns_once(norm):
    X, y = spiral(40)
    est = geolasso.ConvexReLU(1e-4, norm=norm, max_iter=1, tol=1e-14)
    assert len(_convergence_warnings(lambda: est.fit(X, y))) == 1


def test_deep_regressor_warns_once():
    x = np.linspace(-1.0, 1.0, 30)[:, None]
    est = DeepConvexRegressor(alpha=1e-5, max_iter=1, tol=1e-14)
    messages = _convergence_warnings(lambda: est.fit(x, np.sin(4 * x[:, 0])))
    assert len(messages) == 1
    assert "did not converge in max_iter = 1 rounds" in messages[0]


#: A small network (W, b, v) whose snapped refit stalls at a tol below rounding.
NETWORK = (
    [[-1.1, 2.0], [1.0, 0.5], [0.3, -1.0], [0.7, 0.7]],
    [0.05, 0.1, -0.2, 0.3],
    [1, -1, 0.5, 0.8],
)


def test_snap_warns_once():
    X, y = spiral(40)
    net = NETWORK
    # a tol below rounding: the refit's Lasso stalls
    messages = _convergence_warnings(lambda: snap(net, X, y, alpha=1e-5, tol=1e-300))
    assert len(messages) == 1
    assert messages[0].startswith("snap: the output-layer refit stopped")
    assert "stalled" in messages[0]


def test_snap_warning_points_at_the_caller():
    X, y = spiral(40)
    net = NETWORK
    with pytest.warns(ConvergenceWarning, match="snap: the output-layer refit") as record:
        snap(net, X, y, alpha=1e-5, tol=1e-300)
    assert len([w for w in record if issubclass(w.category, ConvergenceWarning)]) == 1
    assert record[0].filename == __file__


def test_collected_warnings_pass_other_warnings_on():
    def warn_both():
        with convergence_warnings_collected() as collected:
            warnings.warn("solver", ConvergenceWarning, stacklevel=1)
            warnings.warn("other", UserWarning, stacklevel=1)
        return collected

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        collected = warn_both()
    assert collected == ["solver"]
    assert [str(w.message) for w in caught] == ["other"]


def test_the_lasso_warning_points_at_the_callers_line():
    from geolasso.lasso import lasso

    rng = np.random.default_rng(0)
    K = rng.normal(size=(30, 200))
    y = rng.normal(size=30)
    with pytest.warns(ConvergenceWarning, match="did not converge") as record:
        lasso(K, y, 1e-3, tol=1e-14, max_iter=1)
    assert len(record) == 1
    assert record[0].filename == __file__
