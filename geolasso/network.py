"""Plain two-layer ReLU networks, and the network a wedge Lasso solution stands for.

Overview
--------
A :class:`ReLUNetwork` is ``f(x) = c + Σ_j v_j (w_j·x + b_j)_+`` with hidden
weights ``W`` (m, d), biases ``b`` (m,), output weights ``v`` (m,) and an
output intercept ``c``. Its training objective (SPEC §0.1) is

.. math::

    J = \\frac{1}{2n} \\sum_i (f(x_i) - y_i)^2
        + \\frac{\\alpha}{2} \\sum_j \\left(\\lVert w_j \\rVert_p^2 + v_j^2\\right),

with ``p = 1`` (exact mode) or ``p = 2`` (weight decay), the biases and ``c``
unpenalised (a free bias); with a regularized bias the norm covers ``(w_j, b_j)``.

:meth:`ReLUNetwork.from_lasso` maps a Lasso solution over a
:class:`~geolasso.dictionary.WedgeDictionary` to a network (SPEC §4.3): each
non-zero coefficient ``z`` of an atom ``a = (w, b)`` (normalised to unit norm)
becomes the neuron ``√|z| · a`` with output weight ``sign(z) √|z|``. The
network computes ``K z + c`` and its penalty equals ``α ‖z‖₁``, so ``J`` equals
the Lasso objective; with the exact dictionary that is the global optimum of
``J`` over networks of any width at least the support size.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array

__all__ = ["ReLUNetwork"]

_NORMS = {"l1": 1, "l2": 2}
_BIASES = ("free", "none", "regularized")


class ReLUNetwork:
    """A two-layer ReLU network ``f(x) = c + Σ_j v_j (w_j·x + b_j)_+``.

    Parameters
    ----------
    W : array_like, shape (m, d)
        Hidden weights, one neuron per row.
    b : array_like, shape (m,)
        Hidden biases.
    v : array_like, shape (m,)
        Output weights.
    c : float, default=0.0
        Output intercept.

    Attributes
    ----------
    W, b, v, c
        As given, as float64 copies.
    n_neurons : int
        ``m``.
    n_features : int
        ``d``.

    Examples
    --------
    >>> net = ReLUNetwork([[1.0, 0.0]], [-0.5], [2.0], c=0.1)
    >>> net.predict([[1.0, 3.0], [0.0, 0.0]])
    array([1.1, 0.1])
    """

    def __init__(self, W, b, v, c=0.0):
        W = as_float_array(W, "W", shape_doc="(n_neurons, n_features)")
        if W.ndim != 2:
            raise ValueError(f"W must have shape (n_neurons, n_features); got {W.shape}")
        m = W.shape[0]
        b = as_float_array(b, "b", shape_doc=f"({m},)")
        v = as_float_array(v, "v", shape_doc=f"({m},)")
        for name, arr in (("b", b), ("v", v)):
            if arr.shape != (m,):
                raise ValueError(
                    f"{name} must have shape ({m},), one entry per neuron; got {arr.shape}"
                )
        c = as_float_array(c, "c", shape_doc="()")
        if c.shape != ():
            raise ValueError(f"c must be a scalar; got shape {c.shape}")
        self.W, self.b, self.v, self.c = W.copy(), b.copy(), v.copy(), float(c)

    @property
    def n_neurons(self) -> int:
        """int: number of hidden neurons."""
        return self.W.shape[0]

    @property
    def n_features(self) -> int:
        """int: input dimension."""
        return self.W.shape[1]

    def __repr__(self) -> str:
        return (
            f"ReLUNetwork(n_neurons={self.n_neurons}, n_features={self.n_features}, c={self.c:.4g})"
        )

    def _inputs(self, X):
        X = as_float_array(X, "X", shape_doc=f"(n_samples, {self.n_features})")
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (n_samples, {self.n_features}); got {X.shape}")
        return X

    def hidden(self, X) -> np.ndarray:
        """Hidden activations ``(W x + b)_+``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of float64, shape (n_samples, n_neurons)
        """
        return np.maximum(self._inputs(X) @ self.W.T + self.b, 0.0)

    def predict(self, X) -> np.ndarray:
        """Network outputs ``f(x)``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of float64, shape (n_samples,)
        """
        return self.hidden(X) @ self.v + self.c

    def penalty(self, *, norm: str = "l1", bias: str = "free") -> float:
        """``½ Σ_j (‖w_j‖_p² + v_j²)``, the regularizer of :meth:`objective` without ``α``.

        Parameters
        ----------
        norm : {"l1", "l2"}, default="l1"
            First-layer norm ``p``.
        bias : {"free", "none", "regularized"}, default="free"
            ``"regularized"`` puts ``b_j`` inside the norm; otherwise it is free.

        Returns
        -------
        float
        """
        if norm not in _NORMS:
            raise ValueError(f"norm must be one of 'l1', 'l2'; got {norm!r}")
        if bias not in _BIASES:
            raise ValueError(f"bias must be one of {', '.join(map(repr, _BIASES))}; got {bias!r}")
        first = np.column_stack([self.W, self.b]) if bias == "regularized" else self.W
        norms = np.linalg.norm(first, ord=_NORMS[norm], axis=1)
        return 0.5 * float(norms @ norms + self.v @ self.v)

    def objective(self, X, y, alpha, *, norm: str = "l1", bias: str = "free") -> float:
        """The training objective ``J`` of the module overview (SPEC §0.1).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Inputs.
        y : array_like, shape (n_samples,)
            Targets.
        alpha : float
            Regularization strength (the papers' β is ``n · alpha``).
        norm : {"l1", "l2"}, default="l1"
            First-layer norm: ℓ1 (exact mode) or ℓ2 (weight decay).
        bias : {"free", "none", "regularized"}, default="free"
            Whether the hidden biases are penalised with the weights.

        Returns
        -------
        float
        """
        pred = self.predict(X)
        y = as_float_array(y, "y", shape_doc=f"({pred.size},)")
        if y.shape != pred.shape:
            raise ValueError(f"y must have shape {pred.shape}; got {y.shape}")
        r = pred - y
        return float(r @ r) / (2 * r.size) + float(alpha) * self.penalty(norm=norm, bias=bias)

    @classmethod
    def from_lasso(cls, dictionary, coef, intercept=0.0) -> ReLUNetwork:
        """The network of a Lasso solution over a wedge dictionary (SPEC §4.3).

        Parameters
        ----------
        dictionary : WedgeDictionary
            The dictionary the Lasso was solved over.
        coef : array_like, shape (n_atoms,)
            Lasso coefficients (e.g. ``result.coef`` of
            :func:`geolasso.lasso.lasso`).
        intercept : float, default=0.0
            Lasso intercept.

        Returns
        -------
        ReLUNetwork
            One neuron per non-zero coefficient: ``(w, b) = √|z| · atom`` and
            ``v = sign(z) √|z|``. Its :meth:`objective` with the dictionary's
            norm and bias setting equals the Lasso objective.
        """
        coef = as_float_array(coef, "coef", shape_doc=f"({dictionary.n_atoms},)")
        if coef.shape != (dictionary.n_atoms,):
            raise ValueError(f"coef must have shape ({dictionary.n_atoms},); got {coef.shape}")
        support = np.flatnonzero(coef)
        scale = np.sqrt(np.abs(coef[support]))
        # only the selected atoms: row h of `hyperplanes` is atom 2h, atom 2h + 1 its negative
        sign = np.where(support % 2 == 0, 1.0, -1.0)
        atoms = dictionary.hyperplanes[support // 2] * sign[:, None]
        neurons = atoms * scale[:, None]
        return cls(neurons[:, :-1], neurons[:, -1], np.sign(coef[support]) * scale, intercept)

    def save(self, path) -> None:
        """Write the weights to a ``.npz`` file (no pickle).

        Parameters
        ----------
        path : str or path-like
            Destination; numpy appends ``.npz`` when missing.

        Returns
        -------
        None
        """
        np.savez(path, W=self.W, b=self.b, v=self.v, c=np.float64(self.c))

    @classmethod
    def load(cls, path) -> ReLUNetwork:
        """Read a network written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            A ``.npz`` file.

        Returns
        -------
        ReLUNetwork
        """
        with np.load(path, allow_pickle=False) as data:
            missing = {"W", "b", "v", "c"} - set(data.files)
            if missing:
                raise ValueError(f"{path} is not a saved ReLUNetwork: missing {sorted(missing)}")
            return cls(data["W"], data["b"], data["v"], data["c"])
