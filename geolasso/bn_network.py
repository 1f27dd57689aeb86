"""The batch-normalised two-layer ReLU network, and the whitening behind its convex program.

Part of :mod:`geolasso.batchnorm` (see its overview for the mathematics and the
two conventions): :func:`whiten` (the centred batch's compact SVD, whose ``U``
every BN pre-activation lies in the range of, with ``1``) and
:class:`BatchNormReLUNetwork` (the network itself, in training or inference
mode, its objective, and its torch twin ``Linear → BatchNorm1d → ReLU →
Linear``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import as_float_array, check_positive
from .network import import_torch

__all__ = ["BatchNormReLUNetwork", "Whitening", "whiten"]


# ---------------------------------------------------------------------- whitening
@dataclass(frozen=True)
class Whitening:
    """The whitening of a batch: ``X - 1 mean = U diag(singular_values) componentsᵀ``.

    Attributes
    ----------
    mean : ndarray, shape (d,)
        The batch mean ``x̄``.
    components : ndarray, shape (d, r)
        ``V``: the principal axes of the centred batch (orthonormal columns).
    singular_values : ndarray, shape (r,)
        ``Σ`` (decreasing, all above the rank tolerance).
    U : ndarray, shape (n, r)
        The whitened samples (orthonormal columns, each orthogonal to ``1``).
    """

    mean: np.ndarray
    components: np.ndarray
    singular_values: np.ndarray
    U: np.ndarray

    @property
    def rank(self) -> int:
        """int: ``r``."""
        return self.singular_values.size

    def transform(self, X) -> np.ndarray:
        """Whitened coordinates of samples: ``(X - x̄) V Σ⁻¹`` (the rows of ``U`` on the batch).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples, r)
        """
        return ((np.asarray(X, dtype=np.float64) - self.mean) @ self.components) / (
            self.singular_values
        )

    def direction(self, q) -> np.ndarray:
        """A hidden weight ``w = V Σ⁻¹ q`` whose centred pre-activation is ``U q``.

        Parameters
        ----------
        q : array_like, shape (r,)

        Returns
        -------
        ndarray, shape (d,)
        """
        return self.components @ (np.asarray(q, dtype=np.float64) / self.singular_values)


def whiten(X, *, rtol: float | None = None) -> Whitening:
    """The whitening of a batch (docs/mathematics.md §7.1).

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        The batch (at least two distinct samples).
    rtol : float, optional
        Singular values at most ``rtol`` times the largest are dropped
        (directions in which the batch does not vary); by default
        ``max(n, d) · eps``.

    Returns
    -------
    Whitening

    Examples
    --------
    docs/mathematics.md T20: a BN pre-activation lies in the range of ``[U, 1]``
    with coefficient norm ``γ² + β²``.

    >>> rng = np.random.default_rng(0)
    >>> X, w = rng.normal(size=(10, 4)), rng.normal(size=4)
    >>> white = whiten(X)
    >>> z = X @ w - (X @ w).mean()
    >>> bn = 1.7 * z / np.linalg.norm(z) - 0.4
    >>> s = np.linalg.lstsq(np.column_stack([white.U, np.ones(10)]), bn, rcond=None)[0]
    >>> round(float(s @ s), 12), white.rank
    (3.05, 4)
    """
    X = as_float_array(X, "X", shape_doc="(n_samples, n_features)")
    if X.ndim != 2 or X.shape[0] < 2 or X.shape[1] < 1:
        raise ValueError(
            f"X must have shape (n_samples, n_features) with at least 2 samples; got {X.shape}"
        )
    mean = X.mean(axis=0)
    Uf, s, Vt = np.linalg.svd(X - mean, full_matrices=False)
    tol = (max(X.shape) * np.finfo(np.float64).eps if rtol is None else float(rtol)) * (
        s[0] if s.size else 0.0
    )
    keep = s > tol
    if not keep.any():
        raise ValueError(
            "X has no variation: every sample is the same, so every centred pre-activation "
            "is 0 and batch normalisation divides by 0; give at least two distinct samples"
        )
    return Whitening(mean, Vt[keep].T.copy(), s[keep].copy(), np.ascontiguousarray(Uf[:, keep]))


# ---------------------------------------------------------------------- the network
class BatchNormReLUNetwork:
    """``f(X) = c + Σ_j v_j (BN_{γ_j, β_j}(X w_j))_+`` (module overview).

    In training mode BN uses the statistics of the batch it is given; in
    inference mode (:meth:`predict`) the stored statistics of the training
    batch (``running_mean``, ``running_scale``), as torch's ``BatchNorm1d``
    does in ``eval()`` mode.

    Parameters
    ----------
    W : array_like, shape (m, d)
        Hidden weights ``w_j`` (rows; scale-free).
    gamma : array_like, shape (m,)
        BN scales.
    beta : array_like, shape (m,)
        BN shifts.
    v : array_like, shape (m,)
        Output weights.
    c : float, default=0.0
        Output intercept.
    normalization : {"norm", "std"}, default="norm"
        Divide the centred pre-activation by its norm, or by its biased
        standard deviation (torch, as ``eps → 0``).
    running_mean : array_like, shape (m,), optional
        The training batch's mean of each pre-activation (set by
        :meth:`fix_statistics`; needed by :meth:`predict`).
    running_scale : array_like, shape (m,), optional
        The training batch's divisor of each pre-activation (its norm, or its
        standard deviation for ``normalization="std"``).
    """

    def __init__(
        self,
        W,
        gamma,
        beta,
        v,
        c=0.0,
        *,
        normalization="norm",
        running_mean=None,
        running_scale=None,
    ):
        self.W = np.atleast_2d(as_float_array(W, "W", shape_doc="(n_neurons, n_features)"))
        m = self.W.shape[0]
        self.gamma, self.beta, self.v = (
            np.asarray(as_float_array(a, name, shape_doc=f"({m},)"), dtype=np.float64).reshape(-1)
            for a, name in ((gamma, "gamma"), (beta, "beta"), (v, "v"))
        )
        for a, name in ((self.gamma, "gamma"), (self.beta, "beta"), (self.v, "v")):
            if a.shape != (m,):
                raise ValueError(f"{name} must have shape ({m},) like the rows of W; got {a.shape}")
        self.c = float(c)
        if normalization not in ("norm", "std"):
            raise ValueError(f"normalization must be 'norm' or 'std'; got {normalization!r}")
        self.normalization = normalization
        self.running_mean = None if running_mean is None else np.asarray(running_mean, float)
        self.running_scale = None if running_scale is None else np.asarray(running_scale, float)
        #: Size of the batch the statistics were taken on (for torch's divisor).
        self.n_batch = None

    @property
    def n_neurons(self) -> int:
        """int: ``m``."""
        return self.W.shape[0]

    def __repr__(self) -> str:
        return (
            f"BatchNormReLUNetwork(n_neurons={self.n_neurons}, n_features={self.W.shape[1]}, "
            f"normalization={self.normalization!r})"
        )

    def _divisor(self, Zc):
        norms = np.linalg.norm(Zc, axis=0)
        return norms if self.normalization == "norm" else norms / math.sqrt(Zc.shape[0])

    def _inputs(self, X):
        X = as_float_array(X, "X", shape_doc="(n_samples, n_features)")
        if X.ndim != 2 or X.shape[1] != self.W.shape[1]:
            raise ValueError(f"X must have shape (n_samples, {self.W.shape[1]}); got {np.shape(X)}")
        return X

    def batch_statistics(self, X):
        """Mean and divisor of every pre-activation over the batch ``X``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        mean, divisor : ndarray, shape (m,)
        """
        Zp = self._inputs(X) @ self.W.T
        mean = Zp.mean(axis=0)
        divisor = self._divisor(Zp - mean)
        if np.any(divisor == 0.0):
            bad = np.flatnonzero(divisor == 0.0).tolist()
            raise ValueError(
                f"neurons {bad[:10]} have a constant pre-activation on this batch: batch "
                "normalisation divides by 0 (a batch needs variation along every w_j)"
            )
        return mean, divisor

    def fix_statistics(self, X) -> BatchNormReLUNetwork:
        """Store the batch statistics of ``X`` (the training batch) for :meth:`predict`.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        self
        """
        self.running_mean, self.running_scale = self.batch_statistics(X)
        self.n_batch = int(np.shape(X)[0])
        return self

    def normalized(self, X, *, training: bool = True) -> np.ndarray:
        """The BN outputs ``γ (z - mean) / divisor + β``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        training : bool, default=True
            The batch's own statistics, or the stored ones.

        Returns
        -------
        ndarray, shape (n_samples, m)
        """
        X = self._inputs(X)
        if training:
            mean, divisor = self.batch_statistics(X)
        else:
            if self.running_mean is None:
                raise ValueError(
                    "no stored statistics: call fix_statistics(X_train) first (a fitted "
                    "estimator's network_ has them)"
                )
            mean, divisor = self.running_mean, self.running_scale
        return self.gamma * ((X @ self.W.T - mean) / divisor) + self.beta

    def hyperplanes(self) -> tuple[np.ndarray, np.ndarray]:
        """Each neuron as an affine function of the input, with the stored statistics.

        ``BN(x)_j = a_jᵀx + c_j`` (inference mode; on the training batch, the
        training-mode value): the neuron's hyperplane ``a_jᵀx + c_j = 0`` in
        the original coordinates.

        Returns
        -------
        A : ndarray, shape (m, d)
        c : ndarray, shape (m,)
        """
        if self.running_mean is None:
            raise ValueError("no stored statistics: call fix_statistics(X_train) first")
        ratio = self.gamma / self.running_scale
        return self.W * ratio[:, None], self.beta - ratio * self.running_mean

    def forward(self, X, *, training: bool = True) -> np.ndarray:
        """Outputs with the batch's own statistics (training) or the stored ones.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        training : bool, default=True

        Returns
        -------
        ndarray, shape (n_samples,)
        """
        return np.maximum(self.normalized(X, training=training), 0.0) @ self.v + self.c

    def predict(self, X) -> np.ndarray:
        """Outputs with the stored training statistics (torch's ``eval()`` mode).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples,)
        """
        return self.forward(X, training=False)

    def penalty(self) -> float:
        """``½ Σ_j (γ_j² + β_j² + v_j²)``.

        Returns
        -------
        float
        """
        return 0.5 * float(self.gamma @ self.gamma + self.beta @ self.beta + self.v @ self.v)

    def objective(self, X, y, alpha) -> float:
        """``J`` on the batch ``(X, y)`` in training mode (module overview).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : array_like, shape (n_samples,)
        alpha : float

        Returns
        -------
        float
        """
        X = self._inputs(X)
        y = as_float_array(y, "y", shape_doc="(n_samples,)").reshape(-1)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"y has {y.shape[0]} entries; X has {X.shape[0]} samples")
        alpha = check_positive(alpha, "alpha")
        r = self.forward(X) - y
        return float(r @ r) / (2 * X.shape[0]) + alpha * self.penalty()

    def to_torch(self, *, eps: float = 1e-5, dtype=None):
        """``Linear → BatchNorm1d → ReLU → Linear`` with the same outputs.

        In ``train()`` mode on the training batch the module computes the
        training-mode outputs (:meth:`forward`); in ``eval()`` mode it uses the
        stored statistics and computes :meth:`predict`. The first layer is
        rescaled so that every pre-activation has batch variance 1 on the
        training batch, and torch's BN weight is ``γ_std √(1 + eps)``
        (``γ_std = γ / √n`` for ``normalization="norm"``): the outputs then agree
        for any ``eps`` (module overview). Needs the stored statistics. The BN
        layer's ``momentum`` is 0, so that training-mode calls leave the stored
        statistics as they are; set another before training it further.

        Parameters
        ----------
        eps : float, default=1e-5
            torch's ``eps`` (> 0; torch refuses 0 in training mode).
        dtype : torch.dtype, optional
            Default ``torch.float64``.

        Returns
        -------
        torch.nn.Sequential
        """
        torch = import_torch()
        if self.running_mean is None or self.n_batch is None:
            raise ValueError("no stored statistics: call fix_statistics(X_train) first")
        eps = float(eps)
        if not (eps > 0.0 and math.isfinite(eps)):
            raise ValueError(
                f"eps must be a finite number > 0 (torch's BatchNorm1d refuses 0 in training "
                f"mode; the outputs do not depend on it); got {eps!r}"
            )
        dtype = torch.float64 if dtype is None else dtype
        n = self.n_batch
        std = (
            self.running_scale if self.normalization == "std" else self.running_scale / math.sqrt(n)
        )
        # rescale w_j by 1 / std_j: every pre-activation then has batch variance 1
        W = self.W / std[:, None]
        gamma_std = self.gamma if self.normalization == "std" else self.gamma / math.sqrt(n)
        m, d = self.W.shape
        lin = torch.nn.Linear(d, m, bias=False, dtype=dtype)
        bn = torch.nn.BatchNorm1d(m, eps=eps, momentum=0.0, dtype=dtype)
        out = torch.nn.Linear(m, 1, dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.as_tensor(W, dtype=dtype))
            bn.weight.copy_(torch.as_tensor(gamma_std * math.sqrt(1.0 + eps), dtype=dtype))
            bn.bias.copy_(torch.as_tensor(self.beta, dtype=dtype))
            bn.running_mean.copy_(torch.as_tensor(self.running_mean / std, dtype=dtype))
            bn.running_var.copy_(torch.ones(m, dtype=dtype))
            out.weight.copy_(torch.as_tensor(self.v[None, :], dtype=dtype))
            out.bias.fill_(self.c)
        return torch.nn.Sequential(lin, bn, torch.nn.ReLU(), out)
