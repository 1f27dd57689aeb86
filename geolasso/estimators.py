"""scikit-learn estimators built on geolasso's solvers.

Importing this module imports scikit-learn; the solver functions in
:mod:`geolasso.lasso` do not.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from ._constraints import COUNT, NONNEGATIVE, POSITIVE
from ._validation import refuse_complex
from .lasso import lasso

__all__ = ["Lasso"]


class Lasso(RegressorMixin, BaseEstimator):
    """Lasso regression with geolasso's working-set solver (scikit-learn API).

    Minimises ``(1/(2n))‖y - Xw - c‖² + α‖w‖₁``, like
    :class:`sklearn.linear_model.Lasso`, and stops on the relative duality
    gap ``(P - D) / P(0) <= tol`` (see :func:`lasso`).

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty, ``> 0``.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.
    tol : float, default=1e-6
        Relative duality gap at which to stop, ``> 0``.
    max_iter : int, default=500
        Maximum number of working-set rounds.
    warm_start : bool, default=False
        Start from the previous ``coef_`` when refitting.

    Attributes
    ----------
    coef_ : ndarray of float64, shape (n_features,)
        Coefficients.
    intercept_ : float
        Intercept.
    dual_gap_ : float
        Relative duality gap reached.
    n_iter_ : int
        Working-set rounds used.
    n_features_in_ : int
        Number of features seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 100))
    >>> model = Lasso(alpha=0.05).fit(X, X[:, 3] - 2 * X[:, 7])
    >>> np.flatnonzero(model.coef_).tolist()
    [3, 7]
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": [POSITIVE],
        "fit_intercept": ["boolean"],
        "tol": [NONNEGATIVE],
        "max_iter": [COUNT],
        "warm_start": ["boolean"],
    }

    def __init__(self, alpha=1.0, *, fit_intercept=True, tol=1e-6, max_iter=500, warm_start=False):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start

    def fit(self, X, y):
        """Fit the model.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Training data (converted once to float64, Fortran order).
        y : array_like, shape (n_samples,)
            Targets.

        Returns
        -------
        self : Lasso
            The fitted estimator.
        """
        from sklearn.utils.validation import validate_data

        self._validate_params()
        refuse_complex(X, "X")
        refuse_complex(y, "y")
        X, y = validate_data(
            self, X, y, dtype=np.float64, order="F", y_numeric=True, multi_output=False
        )
        warm = None
        previous = getattr(self, "coef_", None)
        if self.warm_start and previous is not None and previous.shape == (X.shape[1],):
            warm = previous
        res = lasso(
            X,
            y,
            self.alpha,
            fit_intercept=self.fit_intercept,
            tol=self.tol,
            max_iter=self.max_iter,
            warm_start=warm,
        )
        self.coef_ = res.coef
        self.intercept_ = float(res.intercept)
        self.dual_gap_ = res.dual_gap
        self.n_iter_ = res.n_iter
        return self

    def predict(self, X):
        """Predict with the fitted linear model.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of float64, shape (n_samples,)
        """
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self)
        refuse_complex(X, "X")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X @ self.coef_ + self.intercept_
