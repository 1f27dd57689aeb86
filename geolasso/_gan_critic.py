"""The WGAN critic's inner maximum: the exact feature discrepancy ``Δ(X, G)`` (internal).

Part of :mod:`geolasso.gan` (see its overview for the mathematics and for what
is exact): the discrepancy of the linear, quadratic and ReLU critics, the
ReLU critic's maximising neurons (the ℓ1 form over the exhaustive wedge
dictionary of the combined samples; the ℓ2 form by an angular sweep in the
plane), and the argument checks the estimator shares.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._validation import as_float_array
from .dictionary import DEFAULT_MEMORY_LIMIT, WedgeDictionary

__all__ = ["discrepancy"]

#: Relative tolerance of the means' agreement that a free bias requires (quadratic).
MEAN_RTOL = 1e-9
#: Relative distance below which a sample counts as lying on a neuron's hyperplane.
ON_RTOL = 1e-9

ACTIVATIONS = ("linear", "quadratic", "relu")


# ---------------------------------------------------------------------- validation
def samples_array(value, name, d=None, minimum=1):
    """``value`` as a finite float64 (rows, d) array, or an error naming ``name``."""
    shape = f"(n_samples, {d})" if d is not None else "(n_samples, n_features)"
    arr = as_float_array(value, name, shape_doc=shape)
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be a 2-D array of shape {shape}; got shape {arr.shape}")
    if d is not None and arr.shape[1] != d:
        raise ValueError(
            f"{name} must have {d} columns like the data, shape {shape}; got {arr.shape}"
        )
    if arr.shape[0] < minimum:
        raise ValueError(f"{name} must have at least {minimum} rows (samples); got {arr.shape[0]}")
    return arr


def option(value, name, valid):
    if not isinstance(value, str) or value not in valid:
        listed = ", ".join(repr(v) for v in valid)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def resolve_norm(activation, norm, d):
    """The first-layer norm of the critic for ``activation`` (and a named error)."""
    option(norm, "norm", ("auto", "l1", "l2"))
    if norm == "auto":
        return "l1" if activation == "relu" else "l2"
    if activation == "quadratic" and norm != "l2":
        raise ValueError(
            "norm must be 'l2' (or 'auto') with activation='quadratic': the critic's "
            "discrepancy is then a spectral norm; the l1 ball has no such closed form"
        )
    if activation == "relu" and norm == "l2" and d > 2:
        raise ValueError(
            f"norm='l2' (weight decay) with activation='relu' is computed exactly only for "
            f"d <= 2 (an angular sweep); the data have d = {d}. Use norm='l1' (exact in any "
            "dimension through the wedge dictionary)"
        )
    return norm


# ---------------------------------------------------------------------- discrepancy
class Neurons(NamedTuple):
    """Candidate critic neurons, sorted by |value| (largest first)."""

    weights: np.ndarray  # (p, d)
    biases: np.ndarray  # (p,)
    values: np.ndarray  # (p,) signed δ = mean over data − mean over generated
    axes: list  # per neuron: coordinate axes the hyperplane is parallel to (l1 atoms)


def _relu_values(X, G, W, b):
    """δ(w_j, b_j) for the rows of ``W`` (p, d) and ``b`` (p,): the direct evaluation."""
    data = np.maximum(X @ W.T + b, 0.0).mean(axis=0)
    gen = np.maximum(G @ W.T + b, 0.0).mean(axis=0)
    return data - gen


def _relu_l1(X, G, bias, top, memory_limit):
    """Exact ReLU discrepancy for ‖w‖₁ <= 1: the wedge dictionary of [X; G] (§4.3)."""
    n, d = X.shape
    m = G.shape[0]
    Z = np.vstack([X, G])
    lam = np.concatenate([np.full(n, 1.0 / n), np.full(m, -1.0 / m)])
    D = WedgeDictionary(
        Z, bias=bias, generators="data+basis", norm="l1", memory_limit=memory_limit,
        check_input=False,
    )  # fmt: skip
    if D.n_atoms == 0:
        return 0.0, Neurons(np.zeros((0, d)), np.zeros(0), np.zeros(0), [])
    values = D.rmatvec(lam)
    top = min(top, values.size)
    idx = np.argpartition(-np.abs(values), top - 1)[:top] if top else np.zeros(0, dtype=int)
    idx = idx[np.argsort(-np.abs(values[idx]), kind="stable")]
    planes = D.hyperplanes_of(idx // 2) * np.where(idx % 2 == 0, 1.0, -1.0)[:, None]
    axes = [D.generators_of(int(j))[1] for j in idx]
    value = max(0.0, float(np.max(np.abs(values))))
    return value, Neurons(planes[:, :d].copy(), planes[:, d].copy(), values[idx], axes)


def _relu_l2_planar(X, G, bias, top):
    """Exact ReLU discrepancy for ‖w‖₂ <= 1 in 2-D: an angular sweep around every sample.

    For fixed ``w`` the discrepancy is piecewise linear in ``b`` with breakpoints
    ``b = −wᵀz_k`` (and constant beyond the last), so the maximiser passes through
    a sample ``z_k`` (without a bias: through the origin). With ``w = (cos θ,
    sin θ)`` and ``a_i = z_i − z_k``, ``h_k(θ) = Σ_i λ_i (a_iᵀw)_+`` is ``sᵀw(θ)``
    on each arc between the angles ``φ_i ± π/2``, ``s`` the λ-weighted sum of the
    active offsets; its maximum over an arc is ``‖s‖`` if the direction of ``s``
    lies in it, else an endpoint value. The best neuron of each sign for every
    pivot is kept; values are re-evaluated directly.
    """
    n = X.shape[0]
    m = G.shape[0]
    Z = np.vstack([X, G])
    lam = np.concatenate([np.full(n, 1.0 / n), np.full(m, -1.0 / m)])
    pivots = Z if bias else np.zeros((1, 2))
    two_pi = 2.0 * math.pi
    thetas, offsets = [], []
    for z0 in pivots:
        A = Z - z0
        r = np.hypot(A[:, 0], A[:, 1])
        keep = r > 0.0  # samples at the pivot contribute (0)_+ = 0 for every w
        if not np.any(keep):
            continue
        a, l = A[keep], lam[keep]
        phi = np.arctan2(a[:, 1], a[:, 0])
        ang = np.concatenate([phi - math.pi / 2, phi + math.pi / 2]) % two_pi
        la = l[:, None] * a
        delta = np.concatenate([la, -la])  # enter on φ − π/2, leave on φ + π/2
        order = np.argsort(ang, kind="stable")
        ang, delta = ang[order], delta[order]
        gaps = np.diff(np.append(ang, ang[0] + two_pi))
        g = int(np.argmax(gaps))  # start after the widest gap: its midpoint is far from events
        roll = (np.arange(ang.size) + g + 1) % ang.size
        ang, delta = ang[roll], delta[roll]
        ang = np.where(ang < ang[0], ang + two_pi, ang)
        mid = ang[0] - gaps[g] / 2
        on = np.cos(mid - phi) > 0
        S = la[on].sum(axis=0) + np.cumsum(delta, axis=0)  # s on [ang_j, ang_{j+1}]
        lo = ang
        hi = np.append(ang[1:], ang[0] + two_pi)
        ends = S[:, 0] * np.cos(lo) + S[:, 1] * np.sin(lo)
        psi = np.arctan2(S[:, 1], S[:, 0])
        up = lo + (psi - lo) % two_pi
        down = lo + (psi + math.pi - lo) % two_pi
        size = np.hypot(S[:, 0], S[:, 1])
        best_up = np.where(up <= hi, size, ends)
        best_down = np.where(down <= hi, -size, ends)
        j, k = int(np.argmax(best_up)), int(np.argmin(best_down))
        thetas += [up[j] if up[j] <= hi[j] else lo[j], down[k] if down[k] <= hi[k] else lo[k]]
        offsets += [z0, z0]
    if not thetas:
        return 0.0, Neurons(np.zeros((0, 2)), np.zeros(0), np.zeros(0), [])
    thetas = np.asarray(thetas)
    W = np.column_stack([np.cos(thetas), np.sin(thetas)])
    b = -np.einsum("ij,ij->i", W, np.asarray(offsets))
    values = _relu_values(X, G, W, b)
    order = np.argsort(-np.abs(values), kind="stable")[:top]
    value = max(0.0, float(np.max(np.abs(values))))
    return value, Neurons(W[order], b[order], values[order], [() for _ in order])


def _linear(X, G, norm):
    diff = X.mean(axis=0) - G.mean(axis=0)
    d = X.shape[1]
    if norm == "l2":
        value = float(np.linalg.norm(diff))
        w = diff / value if value > 0 else np.eye(d)[0]
    else:
        j = int(np.argmax(np.abs(diff)))
        value = float(abs(diff[j]))
        w = np.eye(d)[j] * (1.0 if diff[j] >= 0 else -1.0)
    return value, Neurons(w[None, :], np.zeros(1), np.array([float(w @ diff)]), [()])


def _moment_gap(X, G, bias):
    """``XᵀX/n − GᵀG/m`` (or the covariances' difference with a bias) and the means' gap."""
    if bias:
        Xc, Gc = X - X.mean(axis=0), G - G.mean(axis=0)
        return Xc.T @ Xc / X.shape[0] - Gc.T @ Gc / G.shape[0]
    return X.T @ X / X.shape[0] - G.T @ G / G.shape[0]


def _quadratic(X, G, bias, top):
    gap = _moment_gap(X, G, bias)
    if bias:
        mean_gap = float(np.linalg.norm(X.mean(axis=0) - G.mean(axis=0)))
        scale = float(np.abs(X).max() + np.abs(G).max())
        if mean_gap > MEAN_RTOL * scale:
            # δ grows linearly in the free bias: the supremum is infinite
            w = X.mean(axis=0) - G.mean(axis=0)
            return math.inf, Neurons(
                (w / mean_gap)[None, :], np.zeros(1), np.array([math.inf]), [()]
            )
    evals, evecs = np.linalg.eigh((gap + gap.T) / 2)
    order = np.argsort(-np.abs(evals), kind="stable")[:top]
    W = evecs[:, order].T
    b = -(W @ X.mean(axis=0)) if bias else np.zeros(order.size)
    value = float(np.max(np.abs(evals)))
    return value, Neurons(W, b, evals[order], [() for _ in order])


def scan(X, G, activation, bias, norm, top, memory_limit):
    """Δ(X, G) and its ``top`` best neurons (validated input)."""
    if activation == "linear":
        return _linear(X, G, norm)
    if activation == "quadratic":
        return _quadratic(X, G, bias, top)
    if norm == "l2" and X.shape[1] == 2:
        return _relu_l2_planar(X, G, bias, top)
    return _relu_l1(X, G, bias, top, memory_limit)


def records(neurons, X, G, activation):
    """The neurons as dicts: hyperplane, samples on it, discrepancy, output weight sign."""
    out = []
    for w, b, value, axes in zip(*neurons, strict=True):
        record = {
            "weight": np.array(w, dtype=float),
            "bias": float(b),
            "discrepancy": float(value),
            "output_weight": 1.0 if value >= 0 else -1.0,
            "data_samples": (),
            "generated_samples": (),
            "axes": tuple(axes),
        }
        if activation == "relu":
            size = math.hypot(float(np.linalg.norm(w)), float(b))
            for key, P in (("data_samples", X), ("generated_samples", G)):
                reach = ON_RTOL * size * np.sqrt(np.einsum("ij,ij->i", P, P) + 1.0)
                record[key] = tuple(int(i) for i in np.flatnonzero(np.abs(P @ w + b) <= reach))
        out.append(record)
    return out


def discrepancy(
    X,
    G,
    *,
    activation="relu",
    bias=True,
    norm="auto",
    n_neurons=0,
    memory_limit=DEFAULT_MEMORY_LIMIT,
):
    """The critic's feature discrepancy ``Δ(X, G) = sup_{‖w‖ <= 1, b} |δ(w, b)|``.

    ``δ(w, b) = mean_i σ(wᵀx_i + b) − mean_k σ(wᵀg_k + b)`` (module overview):
    the WGAN's inner maximum is 0 when ``Δ <= β`` and infinite otherwise.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Data samples.
    G : array_like, shape (m, d)
        Generated samples.
    activation : {"relu", "linear", "quadratic"}, default="relu"
        The critic's activation ``σ``.
    bias : bool, default=True
        Whether the critic's neurons have a free (unpenalised) bias. It cancels
        for ``"linear"``; for ``"quadratic"`` it makes ``Δ`` infinite unless the
        means agree (to ``1e-9`` relative to the samples' largest magnitude), and
        compares covariances then.
    norm : {"auto", "l1", "l2"}, default="auto"
        The unit ball of ``w``: ``"auto"`` is ``"l1"`` for ReLU (exact in any
        dimension, by the wedge dictionary) and ``"l2"`` otherwise. ReLU with
        ``"l2"`` is exact for ``d <= 2`` only and refused above.
    n_neurons : int, default=0
        Also return the ``n_neurons`` best neurons (largest ``|δ|``). ReLU,
        ``"l1"``: atoms of the wedge dictionary; ``"l2"``: the best neuron of
        each sign through each sample; quadratic: eigenvectors.
    memory_limit : int, default=2 GiB
        Budget in bytes for the wedge dictionary of the ``n + m`` samples (ReLU,
        ``"l1"``); above it :class:`~geolasso.exceptions.DictionaryTooLargeError`.

    Returns
    -------
    value : float
        ``Δ(X, G) >= 0`` (``inf`` in the quadratic case with a bias and different
        means).
    neurons : list of dict
        Only when ``n_neurons > 0``: per neuron ``weight`` (unit norm),
        ``bias``, ``discrepancy`` (signed ``δ``), ``output_weight`` (its sign:
        the side the critic rewards), ``data_samples`` and ``generated_samples``
        (indices of the samples its hyperplane passes through, ReLU only) and
        ``axes`` (coordinate axes an ℓ1 atom is parallel to).

    Examples
    --------
    Two data points against one generated point at their midpoint: the means
    agree, but the critic's best neuron, the vertical line through the
    generated point, is active on half of the data and on none of ``G``.

    >>> X = [[0.0, 0.0], [2.0, 0.0]]
    >>> G = [[1.0, 0.0]]
    >>> value, (top,) = discrepancy(X, G, n_neurons=1)
    >>> round(value, 12), (top["weight"].round(12) + 0.0).tolist(), round(top["bias"], 12)
    (0.5, [1.0, 0.0], -1.0)
    >>> top["data_samples"], top["generated_samples"]
    ((), (0,))
    >>> discrepancy(X, G, activation="linear")
    0.0
    """
    X = samples_array(X, "X")
    G = samples_array(G, "G", X.shape[1])
    option(activation, "activation", ACTIVATIONS)
    if not isinstance(bias, (bool, np.bool_)):
        raise TypeError(f"bias must be True or False; got {type(bias).__name__}")
    norm = resolve_norm(activation, norm, X.shape[1])
    if isinstance(n_neurons, (bool, np.bool_)) or not isinstance(n_neurons, (int, np.integer)):
        raise TypeError(f"n_neurons must be an integer >= 0; got {type(n_neurons).__name__}")
    if n_neurons < 0:
        raise ValueError(f"n_neurons must be an integer >= 0; got {n_neurons}")
    value, neurons = scan(X, G, activation, bool(bias), norm, max(int(n_neurons), 1), memory_limit)
    if n_neurons == 0:
        return value
    return value, records(neurons, X, G, activation)
