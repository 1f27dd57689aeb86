"""Read a trained ReLU network from whatever holds it: one reader for the whole package.

Overview
--------
geolasso interprets networks that it did not train. They arrive as

* a :class:`~geolasso.network.ReLUNetwork`;
* a fitted geolasso estimator (its ``network_``);
* weight arrays ``(W, b, v[, c])``: hidden weights ``(m, d)``, biases
  ``(m,)``, output weights ``(m,)`` (or ``(m, n_outputs)``) and intercept;
* a torch ``nn.Sequential`` of ``Linear`` and ``ReLU`` layers, or a
  TorchScript of one;
* a file: a ``.npz`` written by :meth:`ReLUNetwork.save`, a torch state dict
  or (only when trusted) a TorchScript archive.

Two readings serve the rest of the package. :func:`as_network` returns the
two-layer, one-output :class:`~geolasso.network.ReLUNetwork` that
:func:`geolasso.certify` and the pictures need. :func:`read_layers` keeps
every ``Linear`` layer of a deeper network and several outputs, and
:func:`last_layer` evaluates the layers before the last hidden one on the
samples: :func:`geolasso.explain` and :func:`geolasso.snap` read a deep network
at its last hidden layer (docs/mathematics.md §4.6). :func:`read_model_file` loads the files
that ``geolasso inspect`` accepts.
"""

from __future__ import annotations

import warnings
import zipfile
from dataclasses import dataclass, field

import numpy as np

from ._validation import as_float_array
from .exceptions import ModelFileError
from .network import ReLUNetwork

__all__ = [
    "LastLayer",
    "ModelLayers",
    "as_network",
    "is_torchscript",
    "last_layer",
    "read_layers",
    "read_model_file",
    "read_network_file",
    "torch_linears",
]

#: torch layers a Sequential may hold; Dropout and Identity are skipped.
_SUPPORTED = ("Linear", "ReLU", "Dropout", "Identity")


# ---------------------------------------------------------------- the two-layer network
def as_network(model) -> ReLUNetwork:
    """A two-layer, one-output ReLUNetwork from any model geolasso reads.

    Parameters
    ----------
    model : ReLUNetwork, fitted estimator, tuple or torch module
        A :class:`~geolasso.network.ReLUNetwork` (returned as is), an
        estimator with a ``network_``, arrays ``(W, b, v[, c])`` (read by
        :meth:`ReLUNetwork.from_arrays`) or a torch
        ``Sequential(Linear(d, m), ReLU(), Linear(m, 1))`` (read by
        :meth:`ReLUNetwork.from_torch`).

    Returns
    -------
    ReLUNetwork

    Raises
    ------
    TypeError
        For any other kind of model, or a torch module of another
        architecture (the message names the layer).
    ValueError
        For weight arrays of inconsistent shapes.

    Examples
    --------
    >>> as_network(([[1.0, 2.0]], [0.5], [3.0]))
    ReLUNetwork(n_neurons=1, n_features=2, c=0)
    """
    if isinstance(model, ReLUNetwork):
        return model
    network = getattr(model, "network_", None)
    if isinstance(network, ReLUNetwork):
        return network
    if isinstance(model, (tuple, list)) and len(model) in (3, 4):
        return ReLUNetwork.from_arrays(*model)
    if _is_torch(model):
        return ReLUNetwork.from_torch(model)
    raise TypeError(
        "model must be a ReLUNetwork, a fitted ConvexReLU, a tuple (W, b, v[, c]) or a torch "
        f"Sequential(Linear, ReLU, Linear); got {type(model).__name__}"
    )


def _is_torch(model) -> bool:
    return type(model).__module__.split(".")[0] == "torch"


# ---------------------------------------------------------------- every layer
@dataclass
class ModelLayers:
    """The ``Linear`` layers of a network, read by :func:`read_layers`.

    Attributes
    ----------
    linears : list of (ndarray, ndarray)
        ``(W, b)`` of each layer, first to last, float64: ``W`` has shape
        ``(outputs, inputs)``, ``b`` ``(outputs,)``. Every layer but the last
        is followed by a ReLU.
    metadata : dict
        The network's metadata (a geolasso network's ``alpha``, ``norm``, ...).
    source : str
        What the model was, for messages (``"a fitted ConvexReLU"``).
    """

    linears: list
    metadata: dict = field(default_factory=dict)
    source: str = ""

    @property
    def depth(self) -> int:
        """Hidden layers of the network."""
        return len(self.linears) - 1


def read_layers(model) -> ModelLayers:
    """Every ``Linear`` layer of a ReLU network, of any depth and any number of outputs.

    Parameters
    ----------
    model : ReLUNetwork, fitted estimator, tuple or torch module
        A :class:`~geolasso.network.ReLUNetwork`, an estimator with a
        ``network_``, arrays ``(W, b, v[, c])`` (``v`` may have one column
        per output; ``b`` may be None) or a torch ``nn.Sequential`` of
        ``Linear`` and ``ReLU`` layers (or a TorchScript of one).

    Returns
    -------
    ModelLayers

    Raises
    ------
    TypeError
        For another kind of model, or a torch layer that is not read (the
        message names it).
    ValueError
        For an estimator that is not fitted, or weight arrays of
        inconsistent shapes.

    Examples
    --------
    >>> read_layers(([[1.0, 2.0]], None, [3.0])).linears[1]
    (array([[3.]]), array([0.]))
    """
    if isinstance(model, ReLUNetwork):
        return ModelLayers(_two_layers(model), dict(model.metadata), f"a {type(model).__name__}")
    if isinstance(getattr(model, "network_", None), ReLUNetwork):
        net = model.network_
        return ModelLayers(_two_layers(net), dict(net.metadata), f"a fitted {type(model).__name__}")
    if isinstance(model, (tuple, list)) and len(model) in (3, 4):
        return ModelLayers(_array_layers(*model), {}, "a network given as weight arrays")
    if hasattr(model, "fit") and hasattr(model, "get_params"):
        raise ValueError(
            f"{type(model).__name__} has no network_: it is not fitted (call fit first), or "
            "it fits no ReLU network (the gated model)"
        )
    if _is_torch(model):
        kind = getattr(model, "original_name", type(model).__name__)
        return ModelLayers(torch_linears(model), {}, f"a torch {kind}")
    raise TypeError(
        "model must be a ReLUNetwork, a fitted ConvexReLU, a tuple (W, b, v[, c]) or a torch "
        f"nn.Sequential of Linear and ReLU layers; got {type(model).__name__}"
    )


def _two_layers(net):
    return [(net.W, net.b), (net.v[None, :], np.array([net.c]))]


def _array_layers(W, b, v, *c):
    """The two layers of weight arrays ``(W, b, v[, c])``, shapes checked by name."""
    W = as_float_array(W, "W", shape_doc="(n_neurons, n_features)")
    if W.ndim != 2:
        raise ValueError(f"W must have shape (n_neurons, n_features); got {W.shape}")
    m = W.shape[0]
    b = np.zeros(m) if b is None else as_float_array(b, "b", shape_doc=f"({m},)")
    v = as_float_array(v, "v", shape_doc=f"({m},) or ({m}, n_outputs)")
    if b.shape != (m,):
        raise ValueError(f"b must have shape ({m},), one bias per neuron; got {b.shape}")
    if v.shape[:1] != (m,) or v.ndim > 2:
        raise ValueError(f"v must have shape ({m},) or ({m}, n_outputs); got {v.shape}")
    V = v.reshape(m, -1)
    c = as_float_array(c[0] if c else np.zeros(V.shape[1]), "c").reshape(-1)
    if c.size == 1 and V.shape[1] > 1:
        c = np.full(V.shape[1], c[0])
    if c.shape != (V.shape[1],):
        raise ValueError(f"c must have {V.shape[1]} entries, one per output; got {c.size}")
    return [(W, b), (V.T, c)]


def _torch_layers(module):
    """The leaf layers of a (possibly nested, possibly scripted) torch Sequential."""
    out = []
    for child in module.children():
        kind = getattr(child, "original_name", type(child).__name__)
        if kind == "Sequential":
            out.extend(_torch_layers(child))
        else:
            out.append((kind, child))
    return out


def torch_linears(module) -> list:
    """``(W, b)`` of every ``Linear`` layer of a torch Sequential of Linear and ReLU layers.

    Parameters
    ----------
    module : torch.nn.Sequential or torch.jit.ScriptModule
        ``Linear`` and ``ReLU`` layers alternating, first and last ``Linear``
        (nested Sequentials are flattened; ``Dropout`` and ``Identity`` are
        skipped), or a TorchScript of such a module.

    Returns
    -------
    list of (ndarray, ndarray)
        float64 weights ``(outputs, inputs)`` and biases (zeros for a layer
        without bias), first layer first.

    Raises
    ------
    TypeError
        Naming the first layer that is not read, or a layer whose width does
        not match the layer before.
    """
    layers = _torch_layers(module)
    kind = getattr(module, "original_name", type(module).__name__)
    if kind != "Sequential" or not layers:
        raise TypeError(
            "a torch model must be an nn.Sequential of Linear and ReLU layers (or a TorchScript "
            f"of one); got {kind}"
        )
    linears, expect_linear = [], True
    for k, (kind, layer) in enumerate(layers):
        if kind not in _SUPPORTED:
            raise TypeError(
                f"layer {k} ({layer!r}) is not supported: explain handles networks made of "
                "Linear and ReLU layers (Dropout and Identity are skipped); convolutions and "
                "other activations have no wedge-atom reading here"
            )
        if kind in ("Dropout", "Identity"):
            continue
        if (kind == "Linear") != expect_linear:
            want = "Linear" if expect_linear else "ReLU"
            raise TypeError(
                f"layer {k} ({layer!r}) must be {want}: the network must alternate Linear and "
                "ReLU layers, starting and ending with Linear"
            )
        if kind == "Linear":
            linears.append(_linear_arrays(k, layer, linears))
        expect_linear = not expect_linear
    if expect_linear or len(linears) < 2:
        raise TypeError(
            "the torch network must end with a Linear layer and have at least one hidden "
            f"Linear + ReLU layer; got the layers {[k for k, _ in layers]}"
        )
    return linears


def _linear_arrays(k, layer, before):
    """``(W, b)`` of torch Linear layer ``k`` in float64, its width checked against ``before``."""
    W = layer.weight.detach().cpu().double().numpy()
    bias = getattr(layer, "bias", None)
    b = np.zeros(W.shape[0]) if bias is None else bias.detach().cpu().double().numpy()
    if before and before[-1][0].shape[0] != W.shape[1]:
        raise TypeError(
            f"layer {k} ({layer!r}) takes {W.shape[1]} inputs, but the layer before "
            f"gives {before[-1][0].shape[0]}"
        )
    return np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)


# ---------------------------------------------------------------- the last hidden layer
@dataclass
class LastLayer:
    """A network's last hidden layer, its output layer and its inputs (:func:`last_layer`).

    Attributes
    ----------
    W : ndarray of shape (n_neurons, n_inputs)
        Hidden weights.
    b : ndarray of shape (n_neurons,)
        Hidden biases.
    V : ndarray of shape (n_neurons, n_outputs)
        Output weights.
    c : ndarray of shape (n_outputs,)
        Output intercepts.
    H : ndarray of shape (n_samples, n_inputs)
        The layer's inputs on the samples: the samples themselves for a
        two-layer network, the representations the layers before compute
        for a deeper one.
    depth : int
        Hidden layers of the whole network.
    source : str
        What the model was, for messages.
    meta : dict
        The network's metadata.
    """

    W: np.ndarray
    b: np.ndarray
    V: np.ndarray
    c: np.ndarray
    H: np.ndarray
    depth: int
    source: str
    meta: dict = field(default_factory=dict)

    @property
    def network(self) -> ReLUNetwork | None:
        """The last two layers as a ReLUNetwork (one output only)."""
        if self.V.shape[1] != 1:
            return None
        return ReLUNetwork(self.W, self.b, self.V[:, 0], float(self.c[0]), metadata=self.meta)


def last_layer(model, X) -> LastLayer:
    """The last hidden layer of ``model`` and its inputs on the samples ``X``.

    Parameters
    ----------
    model : ReLUNetwork, fitted estimator, tuple or torch module
        As in :func:`read_layers`.
    X : array_like of shape (n_samples, n_features)
        Samples, as many columns as the first layer has inputs.

    Returns
    -------
    LastLayer

    Raises
    ------
    TypeError, ValueError
        As :func:`read_layers`; a ValueError for ``X`` of another width.
    """
    read = read_layers(model)
    linears = read.linears
    X = as_float_array(X, "X", shape_doc="(n_samples, n_features)")
    width = linears[0][0].shape[1]
    if X.ndim != 2 or X.shape[1] != width:
        raise ValueError(
            f"X must have shape (n_samples, {width}): the first layer takes {width} inputs; "
            f"got {X.shape}"
        )
    H = X
    for W, b in linears[:-2]:
        H = np.maximum(H @ W.T + b, 0.0)
    (W, b), (Vt, c) = linears[-2], linears[-1]
    return LastLayer(
        W=np.ascontiguousarray(W, dtype=np.float64),
        b=np.ascontiguousarray(b, dtype=np.float64),
        V=np.ascontiguousarray(Vt.T, dtype=np.float64),
        c=np.asarray(c, dtype=np.float64).reshape(-1),
        H=np.ascontiguousarray(H),
        depth=read.depth,
        source=read.source,
        meta=read.metadata,
    )


# ---------------------------------------------------------------- files
def read_network_file(path) -> ReLUNetwork:
    """A network from a ``.npz`` file written by :meth:`ReLUNetwork.save`.

    Parameters
    ----------
    path : path-like
        The file.

    Returns
    -------
    ReLUNetwork

    Raises
    ------
    ModelFileError
        ``"{path}: no such file"``, or why the file is not a saved network.
    """
    try:
        return ReLUNetwork.load(path)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file") from None
    except ValueError as exc:
        raise ModelFileError(str(exc)) from None


def read_model_file(path, widths=None, *, trust_torchscript: bool = False):
    """The model in a file: a geolasso ``.npz``, a torch state dict or a TorchScript archive.

    A ``.npz`` file is read by :func:`read_network_file`. Any other file is
    read with torch: a state dict (``torch.save(model.state_dict(), path)``,
    loaded with ``weights_only=True``, so nothing in it runs) becomes a
    ``Sequential`` of ``Linear`` layers with a ``ReLU`` between consecutive
    ones, in float64. A TorchScript archive is loaded only with
    ``trust_torchscript=True``: loading one runs code from the file. The
    messages name the command line's flags (``--widths``,
    ``--trust-torchscript``), as ``geolasso inspect`` shows them.

    Parameters
    ----------
    path : path-like
        The file.
    widths : str or sequence of int, optional
        Expected layer widths of a state dict, inputs first (``"2,64,1"``);
        checked against the file.
    trust_torchscript : bool, default=False
        Load a TorchScript archive.

    Returns
    -------
    ReLUNetwork or torch.nn.Module
        A ReLUNetwork for a ``.npz`` file, else a torch module.

    Raises
    ------
    ModelFileError
        A missing or foreign file, a TorchScript archive without
        ``trust_torchscript``, widths that do not match, or torch not
        installed (the message names the extra).
    """
    from pathlib import Path

    if Path(path).suffix.lower() == ".npz":
        return read_network_file(path)
    try:
        import torch
    except ImportError:
        raise ModelFileError(
            f"{path} is a torch file, but torch is not installed; install the torch extra: "
            'pip install "geolasso[torch]"'
        ) from None
    if is_torchscript(path):
        return _read_torchscript(torch, path, trust_torchscript)
    return _read_state_dict(torch, path, widths)


def _read_torchscript(torch, path, trust):
    if not trust:
        raise ModelFileError(
            f"{path} is a TorchScript module: loading one runs code from the file, so it "
            "is not loaded by default. Pass --trust-torchscript if you trust its source, "
            "or save the network's weights instead: torch.save(model.state_dict(), path)"
        )
    try:
        with warnings.catch_warnings():  # torch deprecates TorchScript; files still load
            warnings.simplefilter("ignore", FutureWarning)  # the category varies
            warnings.simplefilter("ignore", DeprecationWarning)
            return torch.jit.load(str(path), map_location="cpu")
    except (RuntimeError, ValueError) as exc:
        raise ModelFileError(f"{path}: not a loadable TorchScript module ({exc})") from None


def _read_state_dict(torch, path, widths):
    """A float64 Sequential of Linear and ReLU layers from the state dict in ``path``."""
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for foreign files
        raise ModelFileError(
            f"{path}: not a torch state dict ({exc}); save the network with "
            "torch.save(model.state_dict(), path)"
        ) from None
    if not isinstance(state, dict):
        raise ModelFileError(f"{path} holds a {type(state).__name__}, not a state dict")
    weights = [(k, v) for k, v in state.items() if k.endswith("weight")]
    shapes = [tuple(v.shape) for _, v in weights]
    if any(len(sh) != 2 for sh in shapes) or len(shapes) < 2:
        raise ModelFileError(
            f"{path}: the state dict must hold the weights of two or more Linear layers "
            f"(Sequential of Linear and ReLU); its weight shapes are {shapes}"
        )
    found = [shapes[0][1]] + [sh[0] for sh in shapes]
    if widths is not None:
        _check_widths(widths, found)
    for (name, _), a, b in zip(weights[1:], shapes, shapes[1:], strict=False):
        if b[1] != a[0]:
            raise ModelFileError(
                f"{path}: {name} takes {b[1]} inputs, but the layer before gives {a[0]}"
            )
    layers = []
    for name, w in weights:
        lin = torch.nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
        bias = state.get(name[: -len("weight")] + "bias")
        with torch.no_grad():
            lin.weight.copy_(w.to(torch.float64))
            if bias is None:
                lin.bias.zero_()
            else:
                lin.bias.copy_(bias.to(torch.float64))
        layers += [lin, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def _check_widths(widths, found):
    """``widths`` (``"2,8,1"`` or a sequence of int) equal to the layer widths ``found``."""
    if isinstance(widths, str):
        try:
            wanted = [int(w) for w in widths.split(",")]
        except ValueError:
            raise ModelFileError(
                f"--widths must be integers separated by commas; got {widths!r}"
            ) from None
        text = widths
    else:
        wanted = [int(w) for w in widths]
        text = ",".join(map(str, wanted))
    if wanted != found:
        raise ModelFileError(f"--widths {text} does not match the state dict's layers {found}")


def is_torchscript(path) -> bool:
    """Whether ``path`` is a TorchScript archive, read without unpickling anything.

    Parameters
    ----------
    path : path-like
        The file.

    Returns
    -------
    bool
        True for a zip file with a ``code/`` directory and ``constants.pkl``.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return any("/code/" in n or n.startswith("code/") for n in names) and any(
        n.endswith("constants.pkl") for n in names
    )
