"""Plain two-layer ReLU networks, and the network a wedge Lasso solution stands for.

Overview
--------
A :class:`ReLUNetwork` is ``f(x) = c + Σ_j v_j (w_j·x + b_j)_+`` with hidden
weights ``W`` (m, d), biases ``b`` (m,), output weights ``v`` (m,) and an
output intercept ``c``. Its training objective (docs/mathematics.md §0.1) is

.. math::

    J = \\frac{1}{2n} \\sum_i (f(x_i) - y_i)^2
        + \\frac{\\alpha}{2} \\sum_j \\left(\\lVert w_j \\rVert_p^2 + v_j^2\\right),

with ``p = 1`` (exact mode) or ``p = 2`` (weight decay), the biases and ``c``
unpenalised (a free bias); with a regularized bias the norm covers ``(w_j, b_j)``.

:meth:`ReLUNetwork.from_lasso` maps a Lasso solution over a
:class:`~geolasso.dictionary.WedgeDictionary` to a network (docs/mathematics.md §4.3): each
non-zero coefficient ``z`` of an atom ``a = (w, b)`` (normalised to unit norm)
becomes the neuron ``√|z| · a`` with output weight ``sign(z) √|z|``. The
network computes ``K z + c`` and its penalty equals ``α ‖z‖₁``, so ``J`` equals
the Lasso objective; with the exact dictionary that is the global optimum of
``J`` over networks of any width at least the support size.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from ._validation import as_float_array, as_nonnegative_float

__all__ = ["ReLUNetwork", "output_file"]


def output_file(path, suffix: str) -> Path:
    """The file a writer of ``suffix`` files writes for ``path``, checked before any work.

    A directory (existing, or a path ending in a separator) means ``model<suffix>``
    inside it; otherwise ``suffix`` is appended unless the name already ends with it
    (in any case). The directory must exist and be writable.

    Parameters
    ----------
    path : str or path-like
    suffix : str
        E.g. ``".npz"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError, PermissionError
        Naming the path and its directory.
    """
    text = os.fspath(path)
    out = Path(text)
    seps = tuple({os.sep, os.altsep or os.sep, "/"})
    if text.endswith(seps) or out.is_dir():
        if not out.is_dir():
            raise FileNotFoundError(f"cannot write into {text}: no such directory")
        out = out / f"model{suffix}"
    elif out.suffix.lower() != suffix.lower():
        out = out.with_name(out.name + suffix)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"cannot write {out}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write {out}: directory {parent} is not writable")
    return out


#: Identifies a geolasso network file, and the version of its layout.
_FORMAT = "geolasso.ReLUNetwork"
_FORMAT_VERSION = 1

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
    metadata : dict, optional
        JSON-serialisable facts about the model (how it was trained, column
        names, class labels); saved with it.

    Attributes
    ----------
    W, b, v, c
        As given, as float64 copies.
    metadata : dict
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

    def __init__(self, W, b, v, c=0.0, *, metadata=None):
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
        self.metadata = dict(metadata or {})

    @classmethod
    def from_arrays(cls, W, b=None, v=None, c=0.0, *, metadata=None) -> ReLUNetwork:
        """A network from weight arrays in the shapes other libraries use.

        Parameters
        ----------
        W : array_like, shape (m, d)
            Hidden weights (a torch ``Linear.weight``).
        b : array_like, shape (m,), optional
            Hidden biases; zeros when omitted.
        v : array_like, shape (m,), (1, m) or (m, 1)
            Output weights (a torch ``Linear(m, 1).weight`` is ``(1, m)``).
        c : float or array_like of one element, default=0.0
            Output intercept.
        metadata : dict, optional
            As in the constructor.

        Returns
        -------
        ReLUNetwork

        Examples
        --------
        >>> ReLUNetwork.from_arrays([[1.0, 2.0]], v=[[3.0]], c=[0.5])
        ReLUNetwork(n_neurons=1, n_features=2, c=0.5)
        """
        W = as_float_array(W, "W", shape_doc="(n_neurons, n_features)")
        if W.ndim != 2:
            raise ValueError(f"W must have shape (n_neurons, n_features); got {W.shape}")
        m = W.shape[0]
        b = np.zeros(m) if b is None else as_float_array(b, "b", shape_doc=f"({m},)")
        if v is None:
            raise ValueError("v (the output weights, one per neuron) is required")
        v = as_float_array(v, "v", shape_doc=f"({m},), (1, {m}) or ({m}, 1)")
        if v.ndim == 2 and 1 in v.shape and v.size == m:
            v = v.reshape(m)
        c = as_float_array(c, "c", shape_doc="() or (1,)")
        if c.size != 1:
            raise ValueError(f"c must be a scalar (one output); got shape {c.shape}")
        return cls(
            W,
            b.reshape(-1) if b.ndim == 2 and 1 in b.shape else b,
            v,
            c.reshape(()),
            metadata=metadata,
        )

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
        return self._hidden(self._inputs(X))

    def _hidden(self, X):
        """:meth:`hidden` of samples already checked (float64, shape (n, n_features))."""
        return np.maximum(X @ self.W.T + self.b, 0.0)

    def predict(self, X, *, check_input: bool = True) -> np.ndarray:
        """Network outputs ``f(x)``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Inputs.
        check_input : bool, default=True
            Convert and check ``X``; ``False`` for inputs already validated
            (float64, finite, shape (n_samples, n_features)), as estimators pass.

        Returns
        -------
        ndarray of float64, shape (n_samples,)
        """
        return self._predict(self._inputs(X) if check_input else X)

    def _predict(self, X):
        """:meth:`predict` of samples already checked (float64, shape (n, n_features))."""
        return self._hidden(X) @ self.v + self.c

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
        norms = self._first_norms(norm, bias)
        return 0.5 * float(norms @ norms + self.v @ self.v)

    def _first_norms(self, norm, bias):
        """Each neuron's penalised first-layer norm (``b_j`` inside with
        ``"regularized"``)."""
        if norm not in _NORMS:
            raise ValueError(f"norm must be one of 'l1', 'l2'; got {norm!r}")
        if bias not in _BIASES:
            raise ValueError(f"bias must be one of {', '.join(map(repr, _BIASES))}; got {bias!r}")
        first = np.column_stack([self.W, self.b]) if bias == "regularized" else self.W
        return np.linalg.norm(first, ord=_NORMS[norm], axis=1)

    def rebalanced(self, *, norm: str = "l1", bias: str = "free") -> ReLUNetwork:
        """The same function with each neuron rescaled to ``|v_j| = ‖w_j‖_p``.

        ReLU is positively homogeneous: ``(s w, s b, v / s)`` computes what
        ``(w, b, v)`` does for any ``s > 0``, and ``s² = |v_j| / ‖w_j‖_p``
        minimises the neuron's penalty, to ``|v_j| ‖w_j‖_p``. A neuron with
        ``v_j = 0`` is dropped; one whose penalised weights are zero is a
        constant, moved into ``c`` (free biases; otherwise it is zero and
        dropped). The penalty of the result is the least over all rescalings,
        so its objective is the least a network computing this function with
        these neurons can have.

        Parameters
        ----------
        norm : {"l1", "l2"}, default="l1"
            First-layer norm ``p``.
        bias : {"free", "none", "regularized"}, default="free"
            ``"regularized"`` puts ``b_j`` inside the norm.

        Returns
        -------
        ReLUNetwork
        """
        size = self._first_norms(norm, bias)
        live = (size > 0.0) & (self.v != 0.0)
        constant = (size == 0.0) & (self.v != 0.0)
        c = self.c + float(self.v[constant] @ np.maximum(self.b[constant], 0.0))
        s = np.sqrt(np.abs(self.v[live]) / size[live])
        return ReLUNetwork(
            self.W[live] * s[:, None],
            self.b[live] * s,
            self.v[live] / s,
            c,
            metadata=dict(self.metadata),
        )

    def objective(
        self, X, y, alpha, *, norm: str = "l1", bias: str = "free", check_input: bool = True
    ) -> float:
        """The training objective ``J`` of the module overview (docs/mathematics.md §0.1).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Inputs.
        y : array_like, shape (n_samples,)
            Targets.
        alpha : float
            Regularization strength, a finite number ``>= 0`` (the papers' β
            is ``n · alpha``).
        norm : {"l1", "l2"}, default="l1"
            First-layer norm: ℓ1 (exact mode) or ℓ2 (weight decay).
        bias : {"free", "none", "regularized"}, default="free"
            Whether the hidden biases are penalised with the weights.
        check_input : bool, default=True
            Check the arguments; ``False`` for arguments already validated (an
            estimator's fit: ``X`` float64 of shape (n, n_features) with
            ``n >= 1``, ``y`` of shape (n,), ``alpha`` a float ``>= 0``).

        Returns
        -------
        float

        Raises
        ------
        ValueError
            If ``alpha`` is negative or not finite, ``X`` has no samples, or
            the shapes disagree.
        """
        if check_input:
            alpha = as_nonnegative_float(alpha, "alpha")
            X = self._inputs(X)
            y = as_float_array(y, "y", shape_doc=f"({X.shape[0]},)")
            if y.shape != (X.shape[0],):
                raise ValueError(f"y must have shape {(X.shape[0],)}; got {y.shape}")
            if X.shape[0] == 0:
                raise ValueError(
                    "X needs at least one sample: the objective is a mean over samples"
                )
        r = self._predict(X) - y
        return float(r @ r) / (2 * r.size) + alpha * self.penalty(norm=norm, bias=bias)

    @classmethod
    def from_lasso(cls, dictionary, coef, intercept=0.0) -> ReLUNetwork:
        """The network of a Lasso solution over a wedge dictionary (docs/mathematics.md §4.3).

        Parameters
        ----------
        dictionary : WedgeDictionary
            The dictionary the Lasso was solved over.
        coef : array_like, shape (n_atoms,), or LassoResult
            Lasso coefficients, dense, or the result of
            :func:`geolasso.lasso.lasso` itself (its sparse ``support`` and
            ``values``; the ``intercept`` argument still applies).
        intercept : float, default=0.0
            Lasso intercept.

        Returns
        -------
        ReLUNetwork
            One neuron per non-zero coefficient: ``(w, b) = √|z| · atom`` and
            ``v = sign(z) √|z|``. Its :meth:`objective` with the dictionary's
            norm and bias setting equals the Lasso objective.
        """
        if hasattr(coef, "support") and hasattr(coef, "values"):  # a LassoResult: sparse
            if coef.n_atoms != dictionary.n_atoms:
                raise ValueError(
                    f"coef is a solution over {coef.n_atoms} atoms; the dictionary has "
                    f"{dictionary.n_atoms}"
                )
            support, values = np.asarray(coef.support), np.asarray(coef.values, dtype=float)
        else:
            coef = as_float_array(coef, "coef", shape_doc=f"({dictionary.n_atoms},)")
            if coef.shape != (dictionary.n_atoms,):
                raise ValueError(f"coef must have shape ({dictionary.n_atoms},); got {coef.shape}")
            support = np.flatnonzero(coef)
            values = coef[support]
        scale = np.sqrt(np.abs(values))
        # only the selected atoms: row h of `hyperplanes` is atom 2h, atom 2h + 1 its negative
        sign = np.where(support % 2 == 0, 1.0, -1.0)
        atoms = dictionary.hyperplanes_of(support // 2) * sign[:, None]
        neurons = atoms * scale[:, None]
        return cls(neurons[:, :-1], neurons[:, -1], np.sign(values) * scale, intercept)

    # ------------------------------------------------------------------ torch
    def to_torch(self, dtype=None):
        """The same network as ``torch.nn.Sequential(Linear(d, m), ReLU(), Linear(m, 1))``.

        Parameters
        ----------
        dtype : torch.dtype, optional
            Parameter dtype; ``torch.float64`` by default, so that the torch
            model reproduces :meth:`predict` to rounding.

        Returns
        -------
        torch.nn.Sequential
            Its output has shape ``(n_samples, 1)``.

        Raises
        ------
        ImportError
            If torch is not installed (``pip install "geolasso[torch]"``).
        """
        torch = import_torch()
        dtype = torch.float64 if dtype is None else dtype
        m, d = self.W.shape
        model = torch.nn.Sequential(
            torch.nn.Linear(d, m, dtype=dtype), torch.nn.ReLU(), torch.nn.Linear(m, 1, dtype=dtype)
        )
        with torch.no_grad():
            model[0].weight.copy_(torch.as_tensor(self.W, dtype=dtype))
            model[0].bias.copy_(torch.as_tensor(self.b, dtype=dtype))
            model[2].weight.copy_(torch.as_tensor(self.v[None, :], dtype=dtype))
            model[2].bias.fill_(self.c)
        return model

    @classmethod
    def from_torch(cls, module) -> ReLUNetwork:
        """Read a torch ``Sequential(Linear(d, m), ReLU(), Linear(m, 1))``.

        Parameters
        ----------
        module : torch.nn.Sequential
            Exactly three layers: ``Linear`` with ``d`` inputs and ``m``
            outputs, ``ReLU``, and ``Linear`` with ``m`` inputs and one output.
            A missing bias in the first layer reads as zeros, in the last as
            ``c = 0``.

        Returns
        -------
        ReLUNetwork
            Weights converted to float64.

        Raises
        ------
        TypeError
            If ``module`` has another architecture; the message names the
            offending layer.
        """
        torch = import_torch()
        nn = torch.nn
        layers = list(module.children()) if isinstance(module, nn.Module) else None
        if not isinstance(module, nn.Sequential) or len(layers) != 3:
            what = type(module).__name__
            count = f" with {len(layers)} layers" if layers is not None else ""
            raise TypeError(
                "module must be torch.nn.Sequential(Linear(d, m), ReLU(), Linear(m, 1)); "
                f"got {what}{count}"
            )
        expected = (nn.Linear, nn.ReLU, nn.Linear)
        for k, (layer, kind) in enumerate(zip(layers, expected, strict=True)):
            if type(layer) is not kind:
                raise TypeError(
                    f"layer {k} of the module must be {kind.__name__}; got {layer!r} "
                    "(only Sequential(Linear, ReLU, Linear) is a two-layer ReLU network)"
                )
        first, last = layers[0], layers[2]
        if last.in_features != first.out_features or last.out_features != 1:
            raise TypeError(
                f"layer 2 must be Linear({first.out_features}, 1) (one output); got {last!r}"
            )

        def arr(t):
            return t.detach().cpu().to(torch.float64).numpy()

        b = arr(first.bias) if first.bias is not None else None
        c = arr(last.bias) if last.bias is not None else 0.0
        return cls.from_arrays(arr(first.weight), b, arr(last.weight), c)

    # ------------------------------------------------------------------ files
    def save(self, path) -> Path:
        """Write the network to a ``.npz`` file (no pickle).

        The file holds ``W``, ``b``, ``v``, ``c``, a format tag and version,
        and :attr:`metadata` as JSON. It is written to a temporary file
        beside ``path`` and renamed, so a failed save leaves no partial file.

        Parameters
        ----------
        path : str or path-like
            Destination; ``.npz`` is appended when missing (any case). A
            directory (an existing one, or a path ending in a separator) gets
            ``model.npz`` inside it, never a sibling file.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        path = output_file(path, ".npz")
        try:
            meta = json.dumps(self.metadata, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"metadata must be JSON-serialisable: {exc}") from exc
        fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=path.name, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(
                    fh,
                    W=self.W,
                    b=self.b,
                    v=self.v,
                    c=np.float64(self.c),
                    format=np.str_(_FORMAT),
                    version=np.int64(_FORMAT_VERSION),
                    metadata=np.str_(meta),
                )
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

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

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        ValueError
            If the file is not a geolasso network file, is corrupt, comes from
            a newer version of the format, misses arrays, holds arrays of the
            wrong shape or type, or metadata that is not a JSON object.
        """
        path = Path(path)
        with open(path, "rb") as fh:  # FileNotFoundError as is
            try:
                data = np.load(fh, allow_pickle=False)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                raise ValueError(f"{path} is not a readable .npz network file: {exc}") from exc
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise ValueError(f"{path} holds a single array, not a saved ReLUNetwork")
            with data:
                try:
                    files = set(data.files)
                    missing = {"W", "b", "v", "c"} - files
                    if missing:
                        raise ValueError(
                            f"{path} is not a saved ReLUNetwork: missing {sorted(missing)}"
                        )
                    if "format" in files and str(data["format"]) != _FORMAT:
                        raise ValueError(
                            f"{path} holds a {str(data['format'])!r}, not a ReLUNetwork"
                        )
                    version = int(data["version"]) if "version" in files else 0
                    if version > _FORMAT_VERSION:
                        raise ValueError(
                            f"{path} was written in format version {version}; this geolasso "
                            f"reads versions up to {_FORMAT_VERSION}: upgrade geolasso"
                        )
                    metadata = {}
                    if "metadata" in files:
                        text = str(data["metadata"])
                        try:
                            metadata = json.loads(text)
                        except json.JSONDecodeError as exc:
                            raise ValueError(
                                f"{path}: its metadata is not valid JSON ({exc})"
                            ) from None
                        if not isinstance(metadata, dict):
                            raise ValueError(
                                f"{path}: its metadata must be a JSON object (names and "
                                f"values); got a JSON {type(metadata).__name__}"
                            )
                    arrays = [data[k] for k in ("W", "b", "v", "c")]
                except (zipfile.BadZipFile, OSError, EOFError) as exc:
                    raise ValueError(f"{path} is corrupt: {exc}") from exc
        try:
            return cls(*arrays, metadata=metadata)
        except (TypeError, ValueError) as exc:  # arrays of the wrong kind or shape
            raise ValueError(f"{path} is not a valid ReLUNetwork file: {exc}") from None


def import_torch():
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            'torch is not installed; install the torch extra: pip install "geolasso[torch]"'
        ) from exc
    return torch
