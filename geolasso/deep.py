"""Deep narrow networks on one-dimensional data, trained to their global optimum.

Overview
--------
On one-dimensional data, training a *deep narrow* network with a depth-``L``
penalty is a Lasso over the chain features of a mirror dictionary (docs/mathematics.md §5,
the "Library of Mirrors" results; see :mod:`geolasso.mirror`). Each chain

.. math::

    \\varphi_1(x) = x, \\qquad
    \\varphi_{l+1}(x) = \\sigma\\bigl(s_l(\\varphi_l(x) - \\varphi_l(a_l))\\bigr),
    \\quad l = 1, \\dots, L - 1,

with signs ``s_l = ±1`` and anchors ``a_l`` at training points, is one
chain of scalar neurons of the network.

:class:`DeepNarrowNetwork` is the parallel architecture (one independent
chain per feature, summed; docs/mathematics.md §5.2 explains why chains shared between
features are not equivalent) with its depth-``L`` objective
``‖f(x) − y‖² / (2n) + (α / L) Σ |t|^L`` over all non-bias weights ``t``;
:class:`DeepConvexRegressor` fits it globally (Lasso, then reconstruction,
docs/mathematics.md §5.3), so that the network objective equals the Lasso optimum.

The dictionaries live in their own modules and are re-exported here:
:func:`mirror_dictionary` and :class:`MirrorDictionary` (1-D chains,
:mod:`geolasso.mirror`), :func:`reflection_dictionary` and
:class:`ReflectionDictionary` (the d-dimensional depth-3 absolute-value
analogue, :mod:`geolasso.reflection`).

Scaling follows docs/mathematics.md §0.1: the papers' ``β`` is ``n α``, and objectives are
the papers' values divided by ``n``.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from ._constraints import COUNT, FRACTION, NONNEGATIVE, POSITIVE, RANDOM_STATE, at_least, options
from ._validation import as_float_array, as_nonnegative_float, check_option, refuse_complex
from ._warnings import convergence_warnings_collected, solver_reason
from .exceptions import ConvergenceWarning
from .memory import DEFAULT_MEMORY_LIMIT
from .mirror import DEPTHS as DEPTHS
from .mirror import (
    HOMOGENEOUS,
    MirrorDictionary,
    activation_function,
    as_1d_checked,
    as_1d_data,
    chain_values,
    mirror_dictionary,
    mirror_dictionary_checked,
)
from .mirror import MAX_CANDIDATE_VALUES as MAX_CANDIDATE_VALUES
from .reflection import ReflectionDictionary, reflection_dictionary

__all__ = [
    "DeepConvexRegressor",
    "DeepNarrowNetwork",
    "MirrorDictionary",
    "ReflectionDictionary",
    "mirror_dictionary",
    "reflection_dictionary",
]


# ---------------------------------------------------------------- networks
class DeepNarrowNetwork:
    """Independent deep narrow chains, summed (docs/mathematics.md §5.2: parallel architecture).

    ``f(x) = ξ + Σ_k u_k h_k(x)`` where each chain ``k`` has ``L − 1`` scalar
    layers ``h ← σ(t_{k,l} h + c_{k,l})`` starting from ``h = x``.

    Parameters
    ----------
    weights : array_like, shape (n_chains, depth - 1)
        Inner weights ``t``.
    biases : array_like, shape (n_chains, depth - 1)
        Inner biases ``c`` (unpenalised).
    output : array_like, shape (n_chains,)
        Output weights ``u``.
    intercept : float, default=0.0
        Output bias ``ξ`` (unpenalised).
    activation : {"relu", "abs", "leaky_relu"}, default="relu"
        The activation (positively homogeneous, so that rescaling a chain's
        layers keeps its function).
    leak : float, default=0.01
        Leaky-ReLU slope.

    Examples
    --------
    The chain of docs/mathematics.md T18 (anchors 7, 2; signs −, −), amplitude 1:

    >>> net = DeepNarrowNetwork([[-1.0, -1.0]], [[7.0, 5.0]], [1.0])
    >>> net.predict([0.0, 2.0, 4.5, 7.0, 9.0])
    array([0. , 0. , 2.5, 5. , 5. ])
    """

    def __init__(self, weights, biases, output, intercept=0.0, *, activation="relu", leak=0.01):
        check_option(activation, "activation", HOMOGENEOUS)
        t = as_float_array(weights, "weights", shape_doc="(n_chains, depth - 1)")
        if t.ndim != 2:
            raise ValueError(f"weights must have shape (n_chains, depth - 1); got {t.shape}")
        c = as_float_array(biases, "biases", shape_doc=str(t.shape))
        u = as_float_array(output, "output", shape_doc=f"({t.shape[0]},)")
        if c.shape != t.shape:
            raise ValueError(f"biases must have the shape of weights {t.shape}; got {c.shape}")
        if u.shape != (t.shape[0],):
            raise ValueError(f"output must have shape ({t.shape[0]},); got {u.shape}")
        self.weights, self.biases, self.output = t.copy(), c.copy(), u.copy()
        self.intercept = float(intercept)
        self.activation, self.leak = activation, float(leak)

    @property
    def depth(self) -> int:
        """int: Layers ``L`` (inner layers + the output layer)."""
        return self.weights.shape[1] + 1

    @property
    def n_chains(self) -> int:
        """int: Chains (one per selected feature)."""
        return self.weights.shape[0]

    def __repr__(self) -> str:
        return (
            f"DeepNarrowNetwork({self.n_chains} chains, depth {self.depth}, "
            f"activation={self.activation!r})"
        )

    def hidden(self, x) -> np.ndarray:
        """Each chain's last hidden value, shape (n_samples, n_chains).

        Parameters
        ----------
        x : array_like, shape (n_samples,) or (n_samples, 1)
            Inputs.

        Returns
        -------
        ndarray of float64
        """
        x = as_1d_data(x) if np.size(x) > 1 else as_float_array(x, "x").reshape(-1)
        sigma = activation_function(self.activation, self.leak)
        h = np.broadcast_to(x[:, None], (x.size, self.n_chains))
        for layer in range(self.depth - 1):
            h = sigma(h * self.weights[:, layer] + self.biases[:, layer])
        return h

    def predict(self, x) -> np.ndarray:
        """``f(x)``.

        Parameters
        ----------
        x : array_like, shape (n_samples,) or (n_samples, 1)
            Inputs.

        Returns
        -------
        ndarray of float64, shape (n_samples,)
        """
        return self.hidden(x) @ self.output + self.intercept

    def penalty(self) -> float:
        """``(1/L) Σ |t|^L`` over every non-bias weight (inner and output).

        Returns
        -------
        float
        """
        L = self.depth
        return float((np.sum(np.abs(self.weights) ** L) + np.sum(np.abs(self.output) ** L)) / L)

    def objective(self, x, y, alpha) -> float:
        """``‖f(x) − y‖² / (2n) + α · penalty()`` (docs/mathematics.md §5.2 over ``n``; β = nα).

        Parameters
        ----------
        x : array_like, shape (n_samples,) or (n_samples, 1)
            Inputs.
        y : array_like, shape (n_samples,)
            Targets.
        alpha : float
            Penalty, a finite number ``>= 0``.

        Returns
        -------
        float
        """
        alpha = as_nonnegative_float(alpha, "alpha")
        r = self.predict(x) - as_float_array(y, "y").reshape(-1)
        return float(r @ r) / (2 * r.size) + alpha * self.penalty()

    @classmethod
    def from_lasso(cls, dictionary, coef, intercept=0.0) -> DeepNarrowNetwork:
        """One chain per non-zero coefficient (docs/mathematics.md §5.3 reconstruction).

        With amplitude ``z`` and ``γ = |z|^(1/L)``: layer ``l`` has weight
        ``s_l γ`` and bias ``−s_l φ_l(a_l) γ^l``, the output weight is
        ``sign(z) γ``, so the chain computes ``z φ_L(x)`` at cost ``α|z|``.

        Parameters
        ----------
        dictionary : MirrorDictionary
            With a positively homogeneous activation.
        coef : array_like, shape (n_columns,)
            Lasso coefficients.
        intercept : float, default=0.0
            Lasso intercept.

        Returns
        -------
        DeepNarrowNetwork
        """
        if dictionary.activation not in HOMOGENEOUS:
            raise ValueError(
                f"{dictionary.activation} chains cannot be rescaled: no network reconstruction "
                f"(supported: {', '.join(HOMOGENEOUS)})"
            )
        z = as_float_array(coef, "coef", shape_doc=f"({dictionary.n_columns},)")
        if z.shape != (dictionary.n_columns,):
            raise ValueError(f"coef must have shape ({dictionary.n_columns},); got {z.shape}")
        keep = np.flatnonzero(z)
        L = dictionary.depth
        gamma = np.abs(z[keep]) ** (1.0 / L)
        A, S = dictionary.anchors[keep], dictionary.signs[keep]
        sigma = activation_function(dictionary.activation, dictionary.leak)
        # φ_l(a_l): each chain evaluated at its own anchors
        at = np.empty_like(A)
        phi = A.copy()  # φ_1 at every anchor
        for layer in range(L - 1):
            at[:, layer] = phi[:, layer]
            phi = sigma(S[:, layer : layer + 1] * (phi - phi[:, layer : layer + 1]))
        powers = gamma[:, None] ** np.arange(1, L)[None, :]
        weights = S * gamma[:, None]
        biases = -S * at * powers
        output = np.sign(z[keep]) * gamma
        return cls(
            weights,
            biases,
            output,
            intercept,
            activation=dictionary.activation,
            leak=dictionary.leak,
        )


class DeepConvexRegressor(RegressorMixin, BaseEstimator):
    """A deep narrow network on 1-D data, trained to its global optimum (docs/mathematics.md §5).

    Builds :func:`mirror_dictionary`, solves its Lasso with geolasso's
    solver (certified duality gap, free intercept) and reconstructs the
    parallel :class:`DeepNarrowNetwork`, whose objective
    ``‖f(x) − y‖² / (2n) + (α/L) Σ|t|^L`` equals the Lasso optimum.

    Parameters
    ----------
    depth : int, default=3
        Layers ``L`` (see :func:`mirror_dictionary` for what each activation
        supports).
    activation : {"relu", "abs", "leaky_relu", "sign", "threshold"}, default="relu"
        Activation. Sign and threshold chains are not rescalable: the fit is
        the Lasso over their features with ``network_ = None``.
    alpha : float, default=1e-3
        Penalty (the mathematics page's scaling: the papers' β is ``n α``).
    leak : float, default=0.01
        Leaky-ReLU slope.
    reflections : bool, default=True
        ReLU at depth 4: include the reflected chains.
    max_features : int, optional
        Sample this many chains instead of enumerating them.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of ``max_features``.
    tol : float, default=1e-8
        Relative duality gap of the Lasso.
    max_iter : int, default=500
        Lasso rounds.
    memory_limit : int, default=2 GiB
        Budget of the dictionary matrix.

    Attributes
    ----------
    dictionary_ : MirrorDictionary
        The features.
    coef_ : ndarray, shape (n_columns,)
        Lasso coefficients.
    intercept_ : float
        Output bias.
    objective_ : float
        The optimum reached (the network objective of ``network_``).
    lasso_gap_ : float
        Relative duality gap of the Lasso.
    network_ : DeepNarrowNetwork or None
        The reconstructed network (None for sign and threshold).
    features_ : list of dict
        The selected features: ``column``, ``coefficient``, ``description``
        (in words, e.g. "ramp up from 5, capped at 8 (8 = reflection of 0
        about 4)"), ``breakpoints``, ``reflections``, ``anchors``, ``signs``.
    n_features_in_ : int
        1.

    Examples
    --------
    docs/mathematics.md §5.4's closed form: two points, ``β = 0.1`` (``α = 0.05``), depth 2:
    the optimum is ``(β − β²) / 2 = 0.045``.

    >>> model = DeepConvexRegressor(depth=2, alpha=0.05).fit([[0.0], [1.0]], [0.0, 1.0])
    >>> round(model.objective_, 10), model.predict([[0.0], [1.0]]).round(6)
    (0.045, array([0.1, 0.9]))
    """

    _parameter_constraints: ClassVar[dict] = {
        "depth": [at_least(2)],
        "activation": [options(*DEPTHS)],
        "alpha": [POSITIVE],
        "leak": [FRACTION],
        "reflections": ["boolean"],
        "max_features": [at_least(1), None],
        "random_state": RANDOM_STATE,
        "tol": [NONNEGATIVE],
        "max_iter": [COUNT],
        "memory_limit": [POSITIVE],
    }

    def __init__(
        self,
        depth=3,
        activation="relu",
        alpha=1e-3,
        *,
        leak=0.01,
        reflections=True,
        max_features=None,
        random_state=None,
        tol=1e-8,
        max_iter=500,
        memory_limit=DEFAULT_MEMORY_LIMIT,
    ):
        self.depth = depth
        self.activation = activation
        self.alpha = alpha
        self.leak = leak
        self.reflections = reflections
        self.max_features = max_features
        self.random_state = random_state
        self.tol = tol
        self.max_iter = max_iter
        self.memory_limit = memory_limit

    def _column(self, X, reset):
        from sklearn.utils.validation import validate_data

        refuse_complex(X, "X")
        X = validate_data(self, X, dtype=np.float64, reset=reset, ensure_min_samples=1)
        if X.shape[1] != 1:
            raise ValueError(
                f"X must have one column (1-D data); got {X.shape[1]}. For d-dimensional "
                "inputs use reflection_dictionary or ConvexReLU"
            )
        return X[:, 0]

    def fit(self, X, y):
        """Fit the model.

        Parameters
        ----------
        X : array_like, shape (n_samples, 1)
            One-dimensional inputs.
        y : array_like, shape (n_samples,)
            Targets.

        Returns
        -------
        self : DeepConvexRegressor
            The fitted estimator.
        """
        from sklearn.utils.validation import validate_data

        from .lasso import lasso

        self._validate_params()
        refuse_complex(X, "X")
        refuse_complex(y, "y")
        X, y = validate_data(
            self, X, y, dtype=np.float64, order="C", y_numeric=True, multi_output=False
        )
        if X.shape[1] != 1:
            raise ValueError(
                f"X must have one column (1-D data); got {X.shape[1]}. For d-dimensional "
                "inputs use reflection_dictionary or ConvexReLU"
            )
        alpha = as_nonnegative_float(self.alpha, "alpha")
        if alpha == 0.0:  # the Lasso needs a positive penalty
            raise ValueError(f"alpha must be a finite number > 0; got {alpha!r}")
        D = mirror_dictionary_checked(  # of the column validate_data has checked
            as_1d_checked(X[:, 0]),
            self.depth,
            self.activation,
            self.leak,
            self.reflections,
            self.max_features,
            self.random_state,
            True,
            self.memory_limit,
        )
        with convergence_warnings_collected() as lower:  # the Lasso's: folded in below
            res = lasso(
                D.matrix(), y, alpha, fit_intercept=True, tol=self.tol, max_iter=self.max_iter
            )
        if not res.converged:
            why = solver_reason(lower)
            warnings.warn(
                f"the Lasso stopped at relative gap {res.dual_gap:.1e} > tol = {self.tol:g}"
                + (f" ({why})" if why else "")
                + "; raise max_iter",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.dictionary_ = D
        self.coef_ = np.asarray(res.coef, dtype=np.float64)
        self.intercept_ = float(res.intercept)
        self.objective_ = float(res.objective)
        self.lasso_gap_ = float(res.dual_gap)
        self.network_ = (
            DeepNarrowNetwork.from_lasso(D, self.coef_, self.intercept_)
            if D.activation in HOMOGENEOUS
            else None
        )
        self.features_ = [
            {"coefficient": float(self.coef_[j]), **D.feature(j)}
            for j in np.flatnonzero(self.coef_)[np.argsort(-np.abs(self.coef_[self.coef_ != 0]))]
        ]
        return self

    def predict(self, X) -> np.ndarray:
        """Predictions.

        Parameters
        ----------
        X : array_like, shape (n_samples, 1)
            One-dimensional inputs.

        Returns
        -------
        ndarray of float64, shape (n_samples,)
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "coef_")
        x = self._column(X, reset=False)
        D = self.dictionary_
        support = np.flatnonzero(self.coef_)
        sigma = activation_function(D.activation, D.leak)
        values = chain_values(x, D.anchors[support], D.signs[support], sigma)
        return values.T @ self.coef_[support] + self.intercept_

    def describe(self, top=10) -> str:
        """The selected features in words, largest coefficients first.

        Parameters
        ----------
        top : int or None, default=10
            Features listed (None: all).

        Returns
        -------
        str
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "coef_")
        feats = self.features_ if top is None else self.features_[: int(top)]
        lines = [
            f"{len(self.features_)} features of {self.dictionary_.n_columns:,} (depth "
            f"{self.dictionary_.depth} {self.dictionary_.activation}), objective "
            f"{self.objective_:.10g} (Lasso gap {self.lasso_gap_:.1e})"
        ]
        lines += [f"  {f['coefficient']:+.4g} x {f['description']}" for f in feats]
        if len(feats) < len(self.features_):
            lines.append(f"  ... and {len(self.features_) - len(feats)} more")
        return "\n".join(lines)
