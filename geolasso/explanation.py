"""Explain a trained ReLU network: each neuron matched to its nearest wedge atom.

Overview
--------
A neuron ``(w, b)`` of a two-layer ReLU network is a hyperplane ``w·x + b = 0``
with an active side. The neurons of a globally optimal network (ℓ1 first-layer
norm, docs/mathematics.md §4.3) are *wedge atoms*: hyperplanes through ``d`` training samples
(``d - 1`` without biases; coordinate axes may replace samples), whose feature
on a sample ``x`` is the ReLU of the signed volume ``det[x̃; x̃_i1; …]`` of the
parallelotope spanned by ``x`` and the generators. With weight decay, the
atoms are an approximation of the optimum (docs/mathematics.md §4.4). :func:`explain` matches
every neuron of *any* network to its nearest atom:

1. the candidate generators are the samples nearest to the neuron's
   hyperplane (and, with ``generators="data+basis"``, the coordinate axes the
   hyperplane is closest to being parallel to, their distance measured across
   the data's extent);
2. every ``k``-subset of the ``k + candidates`` nearest candidates spans a
   hyperplane (their generalized cross product, docs/mathematics.md §3.3–3.4); the ones
   whose normals make the smallest angles with the neuron's are compared on
   the training data;
3. they are ranked by the *similarity* of their features with the neuron's,
   the cosine between ``(X w + b)_+`` and the atom's feature on the samples:
   one number that combines the normal (angle) and the offset (activation
   pattern).

Each match reports the generator samples, the angle between the normals,
the distance of each generator sample to the neuron's hyperplane, the
fraction of training samples on which the neuron and the atom are active
together (*agreement*), the similarity and the neuron's contribution
``|v|·‖w‖``. Given the targets and the penalty, the explanation also holds
the network's certificate of optimality (:func:`geolasso.certify`) and the
wedge atoms it is *missing*: those whose dual constraint the network's
residual violates most, the features a global optimum would use.

Deeper networks (a torch ``Sequential`` of ``Linear`` and ``ReLU`` layers)
are explained at their last hidden layer, on the representations that the
layers before it compute (docs/mathematics.md §4.6: at a global optimum the last two layers
solve the two-layer problem on those representations); samples are still
indexed as rows of ``X``. Models are read by :mod:`geolasso.readers`;
:mod:`geolasso.snapping` builds on the matches.
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from ._validation import as_float_array, as_positive_int, check_option, check_positive
from .exceptions import DictionaryTooLargeError
from .memory import DEFAULT_MEMORY_LIMIT
from .readers import last_layer
from .wedge_build import bias_name

__all__ = ["Explanation", "explain"]

#: Samples within this fraction of the data's extent of a hyperplane count as
#: lying on it (rounding): they agree with either activation.
_ON_PLANE_RTOL = 1e-9

#: Candidate atoms per neuron compared on the training data, beyond ``top + 1``.
_EXTRA_COMPARED = 3

#: Neurons matched per batch (bounds the memory of the candidate arrays).
_BATCH_BYTES = 64 * 2**20


# ---------------------------------------------------------------- matching
def neuron_norms(W, b, setting, norm):
    """First-layer norms of the neurons ``(w_j, b_j)``, the bias counted when it is penalised.

    Parameters
    ----------
    W : ndarray of shape (n_neurons, n_inputs)
        Hidden weights.
    b : ndarray of shape (n_neurons,)
        Hidden biases.
    setting : {"free", "none", "regularized"}
        Bias setting: only ``"regularized"`` counts ``b_j`` in the norm.
    norm : {"l1", "l2"}
        The norm.

    Returns
    -------
    ndarray of shape (n_neurons,)
    """
    A = np.column_stack([W, b]) if setting == "regularized" else W
    return np.linalg.norm(A, ord=1 if norm == "l1" else 2, axis=-1)


def _generator_table(H, setting, basis):
    """Rows a generator contributes to the cross product: samples, then axes.

    Returns the table ``G`` (rows in the homogeneous space of the neurons) and
    the axis labels of its trailing rows (1-based; ``p + 1`` with a
    regularized bias is the origin, as in :meth:`WedgeDictionary.generators_of`).
    """
    n, p = H.shape
    homogeneous = setting != "none"
    Z = np.column_stack([H, np.ones(n)]) if homogeneous else H
    r = Z.shape[1]
    if not basis:
        return Z, np.zeros(0, dtype=np.int64)
    n_axes = p + (setting == "regularized")
    return np.vstack([Z, np.eye(r)[:n_axes]]), np.arange(1, n_axes + 1)


class _Matcher:
    """Candidate atoms of neurons and their comparison with the neurons."""

    def __init__(self, layer, setting, basis, candidates, top, scale):
        H = layer.H
        self.n, self.p = H.shape
        self.homogeneous = setting != "none"
        self.k = self.p if self.homogeneous else self.p - 1  # generators per atom
        self.G, self.axes = _generator_table(H, setting, basis)
        self.Z = self.G[: self.n]
        self.U = np.column_stack([layer.W, layer.b]) if self.homogeneous else layer.W
        self.W = layer.W
        self.wnorm = np.maximum(np.linalg.norm(layer.W, axis=1), 1e-300)
        self.q = min(self.k + candidates, len(self.G))
        self.top, self.scale = top, scale
        combos = list(combinations(range(self.q), self.k))
        self.combos = np.array(combos, dtype=np.int64).reshape(len(combos), self.k)
        self.compared = min(top + 1 + _EXTRA_COMPARED, len(self.combos))

    def distances(self, idx):
        """Distances (len(G), len(idx)) of the generators to the neurons' hyperplanes.

        Samples: Euclidean. Axes: how far the hyperplane is from being parallel
        to the axis, across the data's extent (``|w_j| / ‖w‖ · scale``).
        """
        U, nb = self.U[idx], self.wnorm[idx]
        dist = np.abs(self.Z @ U.T) / nb
        if self.axes.size:
            ax = np.abs(U[:, : self.axes.size]) / nb[:, None] * self.scale
            dist = np.vstack([dist, ax.T])
        return dist

    def nearest_pool(self, idx):
        """The ``q`` nearest generators of each neuron, nearest first."""
        dist = self.distances(idx)
        q = self.q
        pool = np.argpartition(dist, q - 1, axis=0)[:q].T if q < len(dist) else None
        if pool is None:
            pool = np.tile(np.arange(len(dist)), (len(idx), 1))
        order = np.argsort(np.take_along_axis(dist.T, pool, axis=1), axis=1)
        return np.take_along_axis(pool, order, axis=1)

    def independent_pool(self, idx):
        """Nearest generators skipping those dependent on the ones kept (degenerate data).

        ``k`` linearly independent generators by distance, then the next
        ``q - k`` that repeat none of them; -1 pads a short pool.
        """
        dist = self.distances(idx)
        pools = np.full((len(idx), self.q), -1, dtype=np.int64)
        for row, col in enumerate(np.argsort(dist, axis=0).T):
            basis, kept = [], []
            for g in col:
                v = self.G[g]
                size = np.linalg.norm(v)
                if size == 0.0:
                    continue
                rest = v - sum((v @ e) * e for e in basis) if basis else v
                if len(basis) < self.k:
                    if np.linalg.norm(rest) > 1e-9 * size:
                        basis.append(rest / np.linalg.norm(rest))
                        kept.append(g)
                elif not any(np.array_equal(v, self.G[h]) for h in kept):
                    kept.append(g)
                if len(kept) == self.q:
                    break
            pools[row, : len(kept)] = kept
        return pools

    def evaluate(self, idx, pool):
        """Per neuron of ``idx``: its best atoms over the subsets of its pool (list of dicts)."""
        from .algebra import cross

        n, p, k, G, Z = self.n, self.p, self.k, self.G, self.Z
        Wb, Ub, nb = self.W[idx], self.U[idx], self.wnorm[idx]
        subsets = pool[:, self.combos]  # (mb, C, k)
        padded = np.any(subsets < 0, axis=2)
        subsets = np.where(subsets < 0, 0, subsets)
        # screen every subset by the angle of its normal, solved with the neuron's largest
        # coordinate fixed (one batched LU); then exact cross products for the best few
        approx = _screening_normals(G[subsets], Ub)
        wa = approx[..., :p]
        na = np.linalg.norm(wa, axis=-1)
        cosang = np.abs(np.einsum("mcp,mp->mc", wa, Wb)) / np.maximum(na * nb[:, None], 1e-300)
        cosang[~np.isfinite(cosang) | padded] = -1.0
        pick = np.argsort(-cosang, axis=1, kind="stable")[:, : self.compared]  # smallest angles
        sub = np.take_along_axis(subsets, pick[..., None], axis=1)  # (mb, K, k)
        rows = G[sub]  # (mb, K, k, r)
        nor = cross(rows) if k > 0 else np.ones((*sub.shape[:2], 1))
        # a dependent subset: its cross product vanishes against the product of the row norms
        bound = np.prod(np.linalg.norm(rows, axis=-1), axis=-1) if k > 0 else 1.0
        wnorm_k = np.linalg.norm(nor[..., :p], axis=-1)
        dots = np.einsum("mkp,mp->mk", nor[..., :p], Wb)
        valid = (np.linalg.norm(nor, axis=-1) > 1e-12 * bound) & (wnorm_k > 0.0)
        valid &= np.take_along_axis(~padded, pick, axis=1)
        sign = np.where(dots < 0.0, -1.0, 1.0)
        nor = nor * sign[..., None]
        # the angle from its sine and cosine (arccos loses half the digits near 0)
        unit_w = Wb / nb[:, None]
        along = np.abs(dots) / nb[:, None]  # the component along the neuron's unit normal
        across = np.linalg.norm(nor[..., :p] - along[..., None] * unit_w[:, None, :], axis=-1)
        angle = np.degrees(np.arctan2(across, along))
        # compare on the training data: similarity of features and agreement of patterns
        own_d = (Z @ Ub.T).T / nb[:, None]  # signed distances (mb, n)
        cand_d = (
            np.einsum("nr,mkr->mkn", Z, nor) / np.where(wnorm_k > 0.0, wnorm_k, np.inf)[..., None]
        )
        tie = _ON_PLANE_RTOL * self.scale
        on = (np.abs(own_d)[:, None, :] <= tie) | (np.abs(cand_d) <= tie)
        agreement = (((own_d[:, None, :] > 0) == (cand_d > 0)) | on).mean(axis=2)
        f_own, f_cand = np.maximum(own_d, 0.0), np.maximum(cand_d, 0.0)
        num = np.einsum("mn,mkn->mk", f_own, f_cand)
        den = np.linalg.norm(f_own, axis=1)[:, None] * np.linalg.norm(f_cand, axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            similarity = np.where(den > 0, num / den, np.nan)
        # ranked by similarity; ties (below 1e-9: exact atoms, dead features) by the angle
        key = np.where(valid, np.round(np.nan_to_num(similarity, nan=-2.0), 9), -3.0)
        rank = np.lexsort((angle, -key), axis=-1)
        out = []
        for i in range(len(idx)):
            found = []
            for j in rank[i][: self.top + 1]:
                if not valid[i, j]:
                    continue
                gens = sub[i, j]
                samples = tuple(sorted(int(g) for g in gens if g < n))
                found.append(
                    {
                        "samples": samples,
                        "axes": tuple(sorted(int(self.axes[g - n]) for g in gens if g >= n)),
                        "angle": float(angle[i, j]),
                        "distances": tuple(float(abs(own_d[i, s])) for s in samples),
                        "agreement": float(agreement[i, j]),
                        "similarity": float(similarity[i, j]),
                        "normal": nor[i, j].copy(),
                    }
                )
            out.append(found)
        return out


def _match(layer, setting, basis, candidates, top, scale):
    """The best atoms of every neuron (a list of dicts per neuron, best first).

    The candidates are the subsets of each neuron's nearest generators; a
    neuron whose nearest generators are all dependent (repeated or coplanar
    representations) is matched again over the nearest independent ones.
    """
    mt = _Matcher(layer, setting, basis, candidates, top, scale)
    m = layer.W.shape[0]
    per_neuron = 8 * (len(mt.combos) * (mt.k + 1) * mt.G.shape[1] + mt.n * (mt.compared + 2))
    batch = max(1, _BATCH_BYTES // max(per_neuron, 1))
    found = [[] for _ in range(m)]
    live = np.flatnonzero(np.any(layer.W != 0.0, axis=1))  # a zero neuron has no hyperplane
    for start in range(0, len(live), batch):
        idx = live[start : start + batch]
        for j, f in zip(idx, mt.evaluate(idx, mt.nearest_pool(idx)), strict=True):
            found[j] = f
    retry = np.array([j for j in live if not found[j]], dtype=int)
    for start in range(0, len(retry), batch):
        idx = retry[start : start + batch]
        for j, f in zip(idx, mt.evaluate(idx, mt.independent_pool(idx)), strict=True):
            found[j] = f
    return found


def _screening_normals(rows, U):
    """Normals (up to scale) of the hyperplanes spanned by ``rows`` (..., k, k + 1).

    Solves ``rows · n = 0`` with ``n_c = 1`` at each neuron's largest
    coordinate ``c`` (``U``, one row per neuron): an LU solve where the cross
    product needs an SVD. Near the neuron's normal that coordinate is far from
    zero, so the solve is well posed for the candidates that matter; singular
    systems give non-finite entries (screened out).
    """
    mb, C, k, r = rows.shape
    if k == 0:
        return np.ones((mb, C, 1))
    col = np.argmax(np.abs(U), axis=1)
    others = np.array([np.delete(np.arange(r), c) for c in col])  # (mb, r - 1)
    A = np.take_along_axis(rows, others[:, None, None, :], axis=3)
    rhs = -np.take_along_axis(rows, col[:, None, None, None], axis=3)
    try:
        sol = np.linalg.solve(A, rhs)[..., 0]
    except np.linalg.LinAlgError:  # an exactly singular system somewhere: one at a time
        sol = np.full((mb, C, k), np.nan)
        for i in range(mb):
            for j in range(C):
                with contextlib.suppress(np.linalg.LinAlgError):
                    sol[i, j] = np.linalg.solve(A[i, j], rhs[i, j, :, 0])
    out = np.empty((mb, C, r))
    np.put_along_axis(out, others[:, None, :], sol, axis=2)
    np.put_along_axis(out, col[:, None, None], 1.0, axis=2)
    return out


# ---------------------------------------------------------------- results
@dataclass
class Explanation:
    """Each neuron of a network matched to its nearest wedge atom.

    Built by :func:`explain`; ``print(explanation)`` gives a table.

    Attributes
    ----------
    neurons : list of dict
        One record per neuron (see :meth:`records` for the keys).
    certificate : Certificate or None
        The network's certificate of optimality (:func:`geolasso.certify`),
        when the targets and the penalty were known and the exact check fits
        in memory; ``None`` otherwise (:attr:`notes` says why).
    missing : list of dict
        The wedge atoms the network is missing: those whose dual constraint
        its residual violates most (``samples``, ``axes``, ``ratio``,
        ``sign``, ``weight``, ``bias``); empty without a certificate.
    setting : {"free", "none", "regularized"}
        Bias setting of the atoms (``d`` generators with a bias, ``d - 1``
        without).
    norm : {"l1", "l2"}
        Norm of the contributions ``|v|·‖w‖`` (and of the certificate).
    layer : str
        Which layer was explained, on which inputs.
    notes : list of str
        Facts the reader needs: representations of a deeper network, a
        certificate skipped, neurons without an atom.
    inputs : ndarray, shape (n_samples, p)
        The explained layer's inputs (``X`` for a two-layer network).
    """

    neurons: list
    certificate: object
    missing: list
    setting: str
    norm: str
    layer: str
    notes: list
    inputs: np.ndarray = field(repr=False)

    def records(self) -> list:
        """One dict per neuron.

        Returns
        -------
        list of dict
            Keys: ``neuron`` (index), ``samples`` (indices in ``X`` of the
            generator samples of the best atom), ``axes`` (coordinate-axis
            generators, 1-based), ``angle`` (degrees between the neuron's
            normal and the atom's), ``distance`` (largest distance of a
            generator sample to the neuron's hyperplane), ``distances`` (each
            generator sample's), ``agreement`` (fraction of training samples
            where both are active or both inactive; samples on either
            hyperplane agree), ``similarity`` (cosine between the two ReLU
            features on the training samples; NaN for a neuron dead on all
            of them), ``contribution`` (``|v|·‖w‖``, ``‖v‖₂`` for several
            outputs; 0 for a dead neuron), ``dead`` (whether the neuron is
            zero on every training sample: it adds nothing to the outputs
            there, whatever its weights, and is listed last), ``weight`` and
            ``bias`` (the neuron), ``atom`` (the
            atom's normal: the generalized cross product of its generators,
            oriented like the neuron, whose entries are signed volumes) and
            ``alternatives`` (the next best atoms, same keys).
        """
        return [dict(r) for r in self.neurons]

    def frame(self):
        """The records as a pandas DataFrame (pandas must be installed).

        Returns
        -------
        pandas.DataFrame
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("Explanation.frame needs pandas: pip install pandas") from exc
        keep = ("neuron", "samples", "axes", "angle", "distance", "agreement", "similarity")
        return pd.DataFrame([{k: r[k] for k in (*keep, "contribution")} for r in self.neurons])

    def volumes(self, neuron: int) -> np.ndarray:
        """Signed volumes ``det[x̃_i; generators]`` of the neuron's atom on the samples.

        Their ReLU is the atom's feature (up to its normalisation); the
        generator samples give zero.

        Parameters
        ----------
        neuron : int
            Neuron index.

        Returns
        -------
        ndarray of float64, shape (n_samples,)
        """
        rec = self.neurons[as_positive_int(neuron, "neuron", minimum=0)]
        if rec["atom"] is None:
            raise ValueError(f"neuron {neuron} has no atom (see the notes)")
        H = self.inputs
        Z = np.column_stack([H, np.ones(len(H))]) if self.setting != "none" else H
        return Z @ rec["atom"]

    def to_dict(self) -> dict:
        """A JSON-ready summary (the records without arrays, the gap, the notes).

        Returns
        -------
        dict
        """

        def clean(rec):
            out = {}
            for key, value in rec.items():
                if key == "alternatives":
                    out[key] = [clean(a) for a in value]
                elif isinstance(value, np.ndarray):
                    out[key] = value.tolist()
                elif isinstance(value, float) and not math.isfinite(value):
                    out[key] = None
                else:
                    out[key] = value
            return out

        cert = None
        if self.certificate is not None:
            c = self.certificate
            cert = {
                "objective": c.objective,
                "lower_bound": c.lower_bound,
                "gap": c.gap,
                "relative_gap": c.relative_gap,
                "exact": c.exact,
                "optimal": c.optimal,
            }
        missing = [
            {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in m.items()}
            for m in self.missing
        ]
        return {
            "layer": self.layer,
            "setting": self.setting,
            "norm": self.norm,
            "notes": list(self.notes),
            "certificate": cert,
            "missing": missing,
            "neurons": [clean(r) for r in self.neurons],
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text.

        Returns
        -------
        str
        """
        return json.dumps(self.to_dict(), indent=1, allow_nan=False)

    def __str__(self) -> str:
        return self.table()

    def table(self, max_rows: int = 40) -> str:
        """The report: one row per neuron (largest contributions first), then the gap.

        Parameters
        ----------
        max_rows : int, default=40
            Neurons listed (0: none); the rest are counted.

        Returns
        -------
        str
        """
        max_rows = as_positive_int(max_rows, "max_rows", minimum=0)
        lines = [f"{len(self.neurons)} neurons; {self.layer}"]
        texts = [
            ("(no atom)" if r["atom"] is None else _generators_text(r["samples"], r["axes"]))
            + (" (dead)" if r.get("dead") else "")
            for r in self.neurons
        ]
        wide = min(max([len(t) for t in texts] + [10]), 60)
        head = (
            f"{'neuron':>6}  {'generators':<{wide}} {'angle°':>8} {'max dist':>9} "
            f"{'agree':>6} {'simil.':>7} {'contrib.':>9}"
        )
        lines += [head, "-" * len(head)]
        order = sorted(self.neurons, key=lambda r: (r.get("dead", False), -r["contribution"]))
        for rec in order[:max_rows]:
            gens = texts[rec["neuron"]]
            if rec["atom"] is None:
                blank = f"{'':>8} {'':>9} {'':>6} {'':>7}"
                lines.append(
                    f"{rec['neuron']:>6}  {gens:<{wide}} {blank} {rec['contribution']:>9.3g}"
                )
                continue
            lines.append(
                f"{rec['neuron']:>6}  {gens:<{wide}} {rec['angle']:>8.3f} {rec['distance']:>9.2e} "
                f"{100 * rec['agreement']:>5.1f}% {rec['similarity']:>7.4f} "
                f"{rec['contribution']:>9.3g}"
            )
        if len(order) > max_rows:
            lines.append(f"... {len(order) - max_rows} more neurons (records() has all)")
        if self.certificate is not None:
            lines.append("")
            lines.extend(str(self.certificate).splitlines()[:2])
            if self.missing:
                lines.append("atoms a global optimum would use that this network lacks:")
                for miss in self.missing:
                    where = _generators_text(miss["samples"], miss["axes"])
                    lines.append(f"  {where}: dual ratio {miss['ratio']:.4f}")
        for note in self.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines)


def _generators_text(samples, axes) -> str:
    parts = [f"x{s}" for s in samples] + [f"e{a}" for a in axes]
    return " ∧ ".join(parts) if parts else "-"


# ---------------------------------------------------------------- public API
def _defaults(layer, alpha, norm, model):
    """``alpha`` and ``norm`` from the arguments, else from a geolasso-trained model."""
    meta = layer.meta
    if alpha is None:
        alpha = getattr(model, "alpha", None) if hasattr(model, "network_") else None
        alpha = meta.get("alpha") if alpha is None else alpha
    if norm is None:
        norm = getattr(model, "norm", None) if hasattr(model, "network_") else None
        norm = meta.get("norm", "l2") if norm is None else norm
    check_option(norm, "norm", ("l1", "l2"))
    return alpha, norm


def explain(
    model,
    X,
    y=None,
    *,
    alpha=None,
    norm=None,
    bias=True,
    generators: str = "data+basis",
    top: int = 3,
    candidates: int = 2,
    certificate: bool = True,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
) -> Explanation:
    """Match every neuron of a trained ReLU network to its nearest wedge atom.

    Parameters
    ----------
    model : ReLUNetwork, fitted ConvexReLU, tuple or torch module
        A :class:`~geolasso.network.ReLUNetwork`, an estimator with a
        ``network_``, arrays ``(W, b, v[, c])`` (``v`` may have one column
        per output), or a torch ``nn.Sequential`` of ``Linear`` and ``ReLU``
        layers (or a TorchScript of one). A deeper network is explained at
        its last hidden layer, on the representations of ``X`` computed by
        the layers before it.
    X : array_like, shape (n_samples, n_features)
        The training samples.
    y : array_like, shape (n_samples,), optional
        Targets: with ``alpha``, the explanation includes the network's
        certificate of optimality and the atoms it is missing. For a fitted
        two-class estimator, its labels (mapped to ±1 as in its fit).
    alpha : float, optional
        Penalty of the training objective (the mathematics page's scaling); taken from the
        model when geolasso trained it.
    norm : {"l1", "l2"}, optional
        First-layer norm: of the contributions ``|v|·‖w‖`` and of the
        certificate. Taken from a geolasso-trained model; ``"l2"`` (weight
        decay) otherwise.
    bias : {True, False, "free", "none", "regularized"}, default=True
        The atoms' setting: hyperplanes through ``d`` samples (with a bias)
        or through the origin and ``d - 1`` samples (``False``; the network's
        biases must then be zero for the match to be meaningful).
    generators : {"data+basis", "data"}, default="data+basis"
        Whether coordinate axes may replace samples among the generators (as
        in the exact ℓ1 dictionary, docs/mathematics.md §4.3).
    top : int, default=3
        Alternative atoms listed per neuron.
    candidates : int, default=2
        Nearest generators considered beyond the ``k`` an atom needs: every
        ``k``-subset of the ``k + candidates`` nearest is tried.
    certificate : bool, default=True
        Compute the certificate when ``y`` and ``alpha`` are known.
    memory_limit : int, default=2 GiB
        Budget of the certificate's exact dictionary; above it the
        certificate is skipped (said in the notes).

    Returns
    -------
    Explanation

    Raises
    ------
    TypeError
        For an architecture it cannot explain (the message names the layer).
    ValueError
        For ``X`` whose width does not match the first layer, non-finite
        values, fewer samples than an atom needs, a ``y`` without one target
        per sample, or an ``alpha`` that is not a finite number > 0.

    Examples
    --------
    A neuron on the line through samples 0 and 2:

    >>> X = [[0.0, 0.0], [1.0, 3.0], [2.0, 1.0], [3.0, -2.0]]
    >>> ex = explain(([[-1.0, 2.0]], [0.0], [1.0]), X)
    >>> rec = ex.records()[0]
    >>> rec["samples"], round(rec["angle"], 6), rec["agreement"]
    ((0, 2), 0.0, 1.0)
    """
    layer = last_layer(model, X)
    alpha, norm = _defaults(layer, alpha, norm, model)
    if alpha is not None:
        alpha = check_positive(alpha, "alpha")
    setting = bias_name(bias)
    check_option(generators, "generators", ("data+basis", "data"))
    top = as_positive_int(top, "top", minimum=0)
    candidates = as_positive_int(candidates, "candidates", minimum=0)
    H = layer.H
    n, p = H.shape
    classes = getattr(model, "classes_", None)
    two_classes = classes is not None and len(classes) == 2
    if y is not None:
        if np.shape(y) != (n,):
            raise ValueError(
                f"y must have shape ({n},), one target per row of X; got {np.shape(y)}"
            )
        if not two_classes:  # a classifier's labels are mapped to ±1 below
            y = as_float_array(y, "y", shape_doc=f"({n},)")
    k = p if setting != "none" else p - 1
    if n < k:
        raise ValueError(
            f"X has {n} samples, but an atom of this layer passes through {k} of them "
            f"({p} inputs, bias={bias!r}); pass at least {k} samples"
        )
    centre = H.mean(axis=0) if setting != "none" else np.zeros(p)
    scale = float(np.sqrt(np.mean(np.sum((H - centre) ** 2, axis=1))))
    if scale == 0.0:
        raise ValueError("X: every sample has the same representation; there is nothing to span")
    notes = _layer_notes(layer, setting)
    matches = _match(layer, setting, generators == "data+basis", candidates, top, scale)
    neurons = _neuron_records(layer, matches, setting, norm, top, notes)
    if y is not None and two_classes:
        y = _signed_labels(y, classes, notes)
    cert, missing = None, []
    if y is not None and certificate:
        cert, missing = _certificate(layer, y, alpha, norm, setting, memory_limit, notes)
    what = "the hidden layer" if layer.depth == 1 else f"hidden layer {layer.depth}"
    desc = (
        f"{what} of {layer.source} ({layer.W.shape[0]} neurons on {p} inputs), atoms through "
        f"{k} generators (bias {setting!r}, generators {generators!r})"
    )
    return Explanation(
        neurons=neurons,
        certificate=cert,
        missing=missing,
        setting=setting,
        norm=norm,
        layer=desc,
        notes=notes,
        inputs=H,
    )


def _layer_notes(layer, setting):
    """The notes that the layer itself calls for: depth, biases against ``bias=False``."""
    notes = []
    if layer.depth > 1:
        notes.append(
            f"a {layer.depth}-hidden-layer network: its last hidden layer is explained on the "
            f"{layer.H.shape[1]}-dimensional representations that the layers before it compute "
            "(docs/mathematics.md §4.6); sample indices are rows of X"
        )
    if setting == "none" and np.any(layer.b != 0.0):
        notes.append(
            f"bias=False, but {int(np.sum(layer.b != 0.0))} neurons have non-zero biases: their "
            "hyperplanes do not pass through the origin as the atoms do"
        )
    return notes


def _neuron_records(layer, matches, setting, norm, top, notes):
    """One record per neuron: its weights, contribution and best match (notes appended)."""
    contrib = np.linalg.norm(layer.V, axis=1) * neuron_norms(layer.W, layer.b, setting, norm)
    # a neuron zero on every sample adds nothing to the outputs there, whatever its weights
    dead = ~np.any(layer.H @ layer.W.T + layer.b > 0.0, axis=0)
    contrib[dead] = 0.0
    if dead.any():
        idx = np.flatnonzero(dead)
        shown = ", ".join(map(str, idx[:10])) + (", ..." if idx.size > 10 else "")
        notes.append(
            f"{idx.size} neuron{'s are' if idx.size > 1 else ' is'} dead (zero on every "
            f"training sample): contribution 0, listed last: {shown}"
        )
    neurons, no_atom = [], 0
    for j, rows in enumerate(matches):
        rec = {"neuron": j, "weight": layer.W[j].copy(), "bias": float(layer.b[j])}
        rec["contribution"] = float(contrib[j])
        rec["dead"] = bool(dead[j])
        if not rows or not np.any(layer.W[j]):
            no_atom += 1
            rec.update(samples=(), axes=(), angle=math.nan, distance=math.nan, distances=())
            rec.update(agreement=math.nan, similarity=math.nan, atom=None, alternatives=[])
        else:
            best, *alts = rows
            for row in rows:
                row["atom"] = row.pop("normal")
                row["distance"] = max(row["distances"], default=0.0)
            rec.update(best)
            rec["alternatives"] = alts[:top]
        neurons.append(rec)
    if no_atom:
        notes.append(
            f"{no_atom} neuron{'s have' if no_atom > 1 else ' has'} no atom: a zero weight "
            "vector, or nearest generators that span no hyperplane (repeated or dependent "
            "representations)"
        )
    return neurons


def _signed_labels(y, classes, notes):
    """A fitted two-class estimator's labels mapped to -1 and +1, as its fit maps them."""
    labels = np.asarray(y)
    unknown = ~np.isin(labels, classes)
    if unknown.any():
        raise ValueError(
            f"y holds labels outside the classifier's classes {list(classes)}: "
            f"{np.unique(labels[unknown])[:5].tolist()}"
        )
    notes.append(f"labels mapped to -1 ({classes[0]!r}) and +1 ({classes[1]!r}) as in the fit")
    return np.where(labels == classes[1], 1.0, -1.0)


def _certificate(layer, y, alpha, norm, setting, memory_limit, notes):
    """The certificate of the last two layers and the atoms missing, or a note why not."""
    net = layer.network
    if alpha is None:
        notes.append("no certificate: pass alpha (the training penalty) with y")
        return None, []
    if net is None:
        notes.append("no certificate: the network has several outputs")
        return None, []
    from .certificate import certify

    try:
        cert = certify(net, layer.H, y, alpha, norm=norm, bias=setting, memory_limit=memory_limit)
    except DictionaryTooLargeError as exc:
        notes.append(f"no certificate: {exc}")
        return None, []
    except ValueError as exc:
        notes.append(f"no certificate: {exc}")
        return None, []
    missing = [{k_: v_ for k_, v_ in v.items() if k_ != "atom"} for v in cert.violations]
    if layer.depth > 1:
        notes.append("the certificate is for the last two layers on the fixed representations")
    return cert, missing
