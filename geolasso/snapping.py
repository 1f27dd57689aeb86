"""Snap a trained ReLU network onto wedge atoms: each neuron replaced by its match.

Overview
--------
:func:`snap` matches every neuron to its nearest wedge atom
(:func:`geolasso.explain`), replaces the neuron by the atom's unit normal with
the neuron's contribution as output weight, and refits the output layer: a
Lasso over the snapped features, which is the training objective ``J`` of the
balanced network (docs/mathematics.md §1.1). It reports ``J`` before snapping, after snapping
and after the refit (:class:`SnapResult`). The module is named ``snapping``
so that ``geolasso.snap`` stays the function.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ._validation import as_float_array, check_positive
from ._warnings import convergence_warnings_collected, solver_reason
from .exceptions import ConvergenceWarning
from .explanation import Explanation, explain, neuron_norms
from .network import ReLUNetwork
from .readers import last_layer

__all__ = ["SnapResult", "snap"]


@dataclass
class SnapResult:
    """A network whose neurons were replaced by their matched atoms (:func:`snap`).

    Attributes
    ----------
    network : ReLUNetwork
        The snapped network, output layer refitted (on the explained layer's
        inputs: for a deeper network, the head on its representations).
    objective_before : float
        The objective ``J`` of the given network.
    objective_snapped : float
        ``J`` of the snapped network before the refit: each atom scaled to
        its neuron's contribution, the intercept (with free biases) re-centred.
    objective_after : float
        ``J`` after refitting the output layer (never above
        ``objective_snapped``: the refit is a convex problem containing that
        point).
    n_dropped : int
        Snapped neurons the refit set to zero.
    n_unmatched : int
        Neurons without an atom (see the explanation's notes), left out of
        the snapped network.
    explanation : Explanation
        The matches used.
    """

    network: ReLUNetwork
    objective_before: float
    objective_snapped: float
    objective_after: float
    n_dropped: int
    n_unmatched: int
    explanation: Explanation = field(repr=False)

    def __str__(self) -> str:
        return (
            f"objective before snapping {self.objective_before:.10g}; snapped "
            f"{self.objective_snapped:.10g}; after refitting the output layer "
            f"{self.objective_after:.10g} ({self.n_dropped} snapped neurons dropped by the refit"
            + (f", {self.n_unmatched} without an atom left out" if self.n_unmatched else "")
            + ")"
        )


def snap(
    model,
    X,
    y,
    alpha,
    *,
    norm=None,
    bias=True,
    generators: str = "data+basis",
    candidates: int = 2,
    tol: float = 1e-10,
) -> SnapResult:
    """Replace each neuron by its matched wedge atom and refit the output layer.

    The snapped neuron ``j`` is the atom's unit normal ``u_j`` (unit in
    ``norm``) with output coefficient ``z_j = v_j ‖w_j‖`` (balanced,
    docs/mathematics.md §1.1). The refit minimises ``‖y − Σ_j z_j (x̃·u_j)_+ − c‖² / (2n) + α‖z‖₁``
    (a Lasso over the snapped features, with the intercept free when the bias
    is), which equals ``J`` of the balanced network, from that point.

    Parameters
    ----------
    model : ReLUNetwork, fitted ConvexReLU, tuple or torch module
        As in :func:`explain` (one output).
    X : array_like, shape (n_samples, n_features)
        Training samples.
    y : array_like, shape (n_samples,)
        Targets.
    alpha : float
        Penalty (the mathematics page's scaling).
    norm : {"l1", "l2"}, optional
        First-layer norm of the objective (default as in :func:`explain`).
    bias : {True, False, "free", "none", "regularized"}, default=True
        Bias setting of the objective and of the atoms.
    generators : {"data+basis", "data"}, default="data+basis"
        As in :func:`explain`.
    candidates : int, default=2
        As in :func:`explain`.
    tol : float, default=1e-10
        Tolerance of the refit (geolasso's Lasso, relative duality gap).

    Returns
    -------
    SnapResult

    Examples
    --------
    >>> X = [[0.0, 0.0], [1.0, 3.0], [2.0, 1.0], [3.0, -2.0], [1.0, 1.0]]
    >>> y = [0.0, 2.0, 0.0, 0.0, 0.5]
    >>> res = snap(([[-1.1, 2.0]], [0.05], [1.0]), X, y, alpha=1e-3)
    >>> res.objective_after <= res.objective_snapped
    True
    """
    from .lasso import lasso

    alpha = check_positive(alpha, "alpha")
    ex = explain(
        model,
        X,
        None,
        alpha=alpha,
        norm=norm,
        bias=bias,
        generators=generators,
        top=0,
        candidates=candidates,
        certificate=False,
    )
    layer = last_layer(model, X)
    if layer.V.shape[1] != 1:
        raise ValueError(f"snap needs a network with one output; this one has {layer.V.shape[1]}")
    H = layer.H
    n = H.shape[0]
    y = as_float_array(y, "y", shape_doc=f"({n},)")
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},), one target per sample; got {y.shape}")
    setting, norm = ex.setting, ex.norm
    before = layer.network.objective(H, y, alpha, norm=norm, bias=setting)
    keep = [r for r in ex.neurons if r["atom"] is not None]
    if not keep:
        raise ValueError("snap: no neuron has an atom (see explain(...).notes)")
    p = H.shape[1]
    A = np.array([r["atom"] for r in keep])  # (m', r)
    Wa = A[:, :p]
    ba = A[:, p] if setting != "none" else np.zeros(len(A))
    unit = neuron_norms(Wa, ba, setting, norm)
    Wa, ba = Wa / unit[:, None], ba / unit
    idx = np.array([r["neuron"] for r in keep])
    z0 = layer.V[idx, 0] * neuron_norms(layer.W, layer.b, setting, norm)[idx]
    c0 = float(layer.c[0])
    F = np.maximum(H @ Wa.T + ba, 0.0)
    free = setting == "free"
    if free:  # the best intercept for z0, as the Lasso's own intercept would be
        c0 = float(np.mean(y - F @ z0))

    def network(z, c):
        s = np.sqrt(np.abs(z))
        return ReLUNetwork(Wa * s[:, None], ba * s, np.sign(z) * s, c)

    snapped = network(z0, c0 if setting == "free" else 0.0)
    j_snapped = snapped.objective(H, y, alpha, norm=norm, bias=setting)
    with convergence_warnings_collected() as lower:  # the Lasso's: folded into snap's own
        res = lasso(F, y, alpha, fit_intercept=free, tol=tol, warm_start=z0)
    if not res.converged:
        why = solver_reason(lower)
        warnings.warn(
            f"snap: the output-layer refit stopped at relative gap {res.dual_gap:.1e} > tol = "
            f"{tol:g}" + (f" ({why})" if why else "") + "; raise tol",
            ConvergenceWarning,
            stacklevel=2,
        )
    z = np.asarray(res.coef, dtype=np.float64)
    c = float(res.intercept) if free else 0.0
    refit = network(z, c)
    after = refit.objective(H, y, alpha, norm=norm, bias=setting)
    nz = refit.v != 0.0
    out = ReLUNetwork(refit.W[nz], refit.b[nz], refit.v[nz], refit.c, metadata={"snapped": True})
    unmatched = len(ex.neurons) - len(keep)
    if unmatched:
        warnings.warn(
            f"snap: {unmatched} neuron{'s have' if unmatched > 1 else ' has'} no atom and "
            f"{'are' if unmatched > 1 else 'is'} left out (see the explanation's notes)",
            stacklevel=2,
        )
    return SnapResult(out, before, j_snapped, after, int(np.sum(~nz)), unmatched, ex)
