"""The rebuilt non-convex network: a two-layer CNN with global pooling, convertible to torch.

:class:`ConvNetwork` is the network :class:`geolasso.cnn.ConvexCNN` recovers
from its convex program: ``f(x) = c + Σ_j v_j pool_k (w_j·p_k(x) + b_j)_+``
over the patches of :func:`geolasso.patches.patches`; it predicts, evaluates
the non-convex objective and converts to a ``torch.nn.Sequential``.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, as_nonnegative_float
from .patches import pair, patches

__all__ = ["ConvNetwork"]


class ConvNetwork:
    """A two-layer CNN: ``f(x) = c + Σ_j v_j pool_k (w_j·p_k(x) + b_j)_+``.

    Parameters
    ----------
    W : array_like, shape (m, h)
        Filters, flattened as the rows of :func:`patches`.
    b : array_like, shape (m,)
        Filter biases.
    v : array_like, shape (m,)
        Output weights.
    c : float
        Output intercept.
    kernel_size, stride, padding
        As in :func:`patches`.
    pooling : {"sum", "mean"}, default="sum"
        Pooling over the patches.
    in_channels : int, default=1
        Image channels (for :meth:`to_torch`).
    signal : bool, default=False
        1-D signals (``Conv1d``) rather than images.
    """

    def __init__(
        self,
        W,
        b,
        v,
        c=0.0,
        *,
        kernel_size,
        stride=1,
        padding=0,
        pooling="sum",
        in_channels=1,
        signal=False,
    ):
        self.W = as_float_array(W, "W")
        m = self.W.shape[0]
        self.b = as_float_array(b, "b").reshape(m)
        self.v = as_float_array(v, "v").reshape(m)
        self.c = float(c)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.in_channels, self.signal = int(in_channels), bool(signal)
        if pooling not in ("sum", "mean"):
            raise ValueError(f"pooling must be 'sum' or 'mean'; got {pooling!r}")
        self.pooling = pooling

    @property
    def n_filters(self) -> int:
        """int: Filters ``m``."""
        return self.W.shape[0]

    def hidden(self, images) -> np.ndarray:
        """Pooled filter responses, shape (n, m).

        Parameters
        ----------
        images : array_like
            As in :func:`patches`.

        Returns
        -------
        ndarray of float64
        """
        return self._pooled(
            patches(images, self.kernel_size, stride=self.stride, padding=self.padding)
        )

    def _pooled(self, P):
        """:meth:`hidden` of the images' patches ``P``, shape (n, K, h)."""
        act = np.maximum(P @ self.W.T + self.b, 0.0)
        return act.sum(axis=1) if self.pooling == "sum" else act.mean(axis=1)

    def predict(self, images) -> np.ndarray:
        """``f(x)`` for each image.

        Parameters
        ----------
        images : array_like
            As in :func:`patches`.

        Returns
        -------
        ndarray of float64, shape (n,)
        """
        return self.hidden(images) @ self.v + self.c

    def objective(self, images, y, alpha, *, norm="l1", bias="free") -> float:
        """``‖f − y‖² / (2n) + (α/2) Σ (‖w_j‖² + v_j²)`` (norm of ``w`` as given).

        Parameters
        ----------
        images : array_like
            As in :func:`patches`.
        y : array_like, shape (n,)
            Targets.
        alpha : float
            Penalty, a finite number ``>= 0``.
        norm : {"l1", "l2"}, default="l1"
            First-layer norm.
        bias : {"free", "none", "regularized"}, default="free"
            Whether the filter biases are inside the norm.

        Returns
        -------
        float
        """
        alpha = as_nonnegative_float(alpha, "alpha")
        P = patches(images, self.kernel_size, stride=self.stride, padding=self.padding)
        return self.objective_of_patches(P, as_float_array(y, "y").reshape(-1), alpha, norm, bias)

    def objective_of_patches(self, P, y, alpha, norm="l1", bias="free") -> float:
        """:meth:`objective` from the images' patches (:func:`geolasso.patches.patches`).

        For arguments already checked, as an estimator's fit has them: ``P`` of
        shape (n, K, h), ``y`` of shape (n,), ``alpha >= 0``; they are not
        checked again.
        """
        r = self._pooled(P) @ self.v + self.c - y
        first = np.column_stack([self.W, self.b]) if bias == "regularized" else self.W
        norms = np.linalg.norm(first, ord=1 if norm == "l1" else 2, axis=1)
        pen = 0.5 * float(norms @ norms + self.v @ self.v)
        return float(r @ r) / (2 * r.size) + alpha * pen

    def to_torch(self, size):
        """The same network in torch: ``Conv`` + ReLU + global average pooling + ``Linear``.

        Sum pooling is average pooling times the number of patches, folded
        into the ``Linear`` weights. float64.

        Parameters
        ----------
        size : int or (int, int)
            The input's length (signals) or height and width (images).

        Returns
        -------
        torch.nn.Sequential
            Takes ``(n, 1, L)`` tensors for signals, ``(n, C, H, W)`` for images.
        """
        from .network import import_torch

        torch = import_torch()
        nn = torch.nn
        m, C = self.n_filters, self.in_channels
        if self.signal:
            k = int(self.kernel_size)
            conv = nn.Conv1d(
                1, m, k, stride=int(self.stride), padding=int(self.padding), dtype=torch.float64
            )
            weight = self.W.reshape(m, 1, k)
            pool = nn.AdaptiveAvgPool1d(1)
            K = patches(
                np.zeros((1, int(size))), k, stride=self.stride, padding=self.padding
            ).shape[1]
        else:
            kh, kw = pair(self.kernel_size, "kernel_size", 1)
            conv = nn.Conv2d(
                C,
                m,
                (kh, kw),
                stride=pair(self.stride, "stride", 1),
                padding=pair(self.padding, "padding", 0),
                dtype=torch.float64,
            )
            weight = self.W.reshape(m, C, kh, kw)
            pool = nn.AdaptiveAvgPool2d(1)
            H, W = pair(size, "size", 1)
            K = patches(
                np.zeros((1, C, H, W)), (kh, kw), stride=self.stride, padding=self.padding
            ).shape[1]
        lin = nn.Linear(m, 1, dtype=torch.float64)
        scale = K if self.pooling == "sum" else 1
        with torch.no_grad():
            conv.weight.copy_(torch.as_tensor(weight))
            conv.bias.copy_(torch.as_tensor(self.b))
            lin.weight.copy_(torch.as_tensor(self.v[None, :] * scale))
            lin.bias.fill_(self.c)
        return nn.Sequential(conv, nn.ReLU(), pool, nn.Flatten(), lin)
