"""Deeper networks: reflection features and convex training of deep narrow nets.

Overview
--------
On one-dimensional data, training a *deep narrow* network with a depth-``L``
penalty is a Lasso over a fixed dictionary (SPEC §5, the "Library of
Mirrors" results). Every feature is a *chain*

.. math::

    \\varphi_1(x) = x, \\qquad
    \\varphi_{l+1}(x) = \\sigma\\bigl(s_l(\\varphi_l(x) - \\varphi_l(a_l))\\bigr),
    \\quad l = 1, \\dots, L - 1,

with signs ``s_l = ±1`` and anchors ``a_l`` at training points (SPEC §5.3).
Two layers give ramps ``(x − x_j)_+``; three give capped ramps between two
data points; at depth four the first anchor may be the **reflection**
``2 x_{j_2} − x_{j_1}`` of one data point about another, so features break
at mirror images of the data. Absolute-value chains reflect at every layer:
the kinks of a depth-``L`` chain are ``a_1 ± c_2 ± … ± c_L`` (reflections of
reflections). Sign and threshold activations give steps at data points only.

:func:`mirror_dictionary` builds the dictionary (deduplicated on the data,
with each column's anchors, breakpoints and reflections);
:class:`DeepNarrowNetwork` is the parallel architecture (one independent
chain per feature, summed; SPEC §5.2 explains why chains shared between
features are not equivalent) with its depth-``L`` objective
``‖f(x) − y‖² / (2n) + (α / L) Σ |t|^L`` over all non-bias weights ``t``;
:class:`DeepConvexRegressor` fits it globally (Lasso, then reconstruction,
SPEC §5.3), so that the network objective equals the Lasso optimum.

:func:`reflection_dictionary` gives the d-dimensional analogue for depth-3
absolute-value networks (SPEC §4.6): the distance from ``x`` to the union of
a hyperplane through a sample and its mirror image across a parallel
hyperplane through another sample, with normals of hyperplanes through data
(wedge atoms).

Scaling follows SPEC §0.1: the papers' ``β`` is ``n α``, and objectives are
the papers' values divided by ``n``.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from ._validation import (
    as_float_array,
    as_generator,
    as_nonnegative_float,
    as_positive_int,
    check_option,
    refuse_complex,
)
from .dictionary import DEFAULT_MEMORY_LIMIT, _gib
from .exceptions import ConvergenceWarning, DictionaryTooLargeError
from .memory import check_memory

__all__ = [
    "DeepConvexRegressor",
    "DeepNarrowNetwork",
    "MirrorDictionary",
    "ReflectionDictionary",
    "mirror_dictionary",
    "reflection_dictionary",
]

#: Supported depths per activation (None: any depth from 2).
DEPTHS = {"relu": (2, 3, 4), "abs": None, "leaky_relu": (2,), "sign": None, "threshold": None}

#: Activations whose chains can be rescaled (positively homogeneous): the
#: network reconstruction and the depth-L penalty apply to them.
HOMOGENEOUS = ("relu", "abs", "leaky_relu")

#: Chains evaluated per block while building (bounds the working memory).
_BLOCK_VALUES = 2**24

#: Candidate chains a build may evaluate (each on every data point) before it
#: is refused as too slow; the message says how many and how to sample.
MAX_CANDIDATE_VALUES = 2 * 10**9


def _activation(name, leak):
    if name == "relu":
        return lambda u: np.maximum(u, 0.0)
    if name == "abs":
        return np.abs
    if name == "leaky_relu":
        return lambda u: np.maximum(u, leak * u)
    if name == "sign":
        return np.sign
    return lambda u: (u >= 0.0).astype(np.float64)


def _check_1d(x, name="x"):
    arr = as_float_array(x, name, shape_doc="(n_samples,) or (n_samples, 1)")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be one-dimensional data, shape (n_samples,) or (n_samples, 1); got "
            f"shape {arr.shape}. For d-dimensional inputs use reflection_dictionary(X, ...) "
            "(depth-3 absolute-value features) or the wedge dictionary (WedgeDictionary)"
        )
    if arr.size < 2:
        raise ValueError(f"{name} needs at least 2 samples; got {arr.size}")
    return arr


def _check_depth(depth, activation):
    depth = as_positive_int(depth, "depth", minimum=2)
    allowed = DEPTHS[activation]
    if allowed is not None and depth not in allowed:
        supported = ", ".join(
            f"{a}: {'any depth >= 2' if d is None else ', '.join(map(str, d))}"
            for a, d in DEPTHS.items()
        )
        raise ValueError(
            f"depth {depth} is not supported for activation={activation!r}; supported: {supported}"
        )
    return depth


# ---------------------------------------------------------------- chains
def _evaluate(points, anchors, signs, sigma):
    """Values (M, P) of M chains at P points (anchors, signs: (M, L - 1))."""
    M, depth = anchors.shape
    # evaluate at the points and at the chain's own anchors together
    phi = np.empty((M, points.size + depth))
    phi[:, : points.size] = points
    phi[:, points.size :] = anchors
    for layer in range(depth):
        at = phi[:, points.size + layer : points.size + layer + 1].copy()
        phi = sigma(signs[:, layer : layer + 1] * (phi - at))
    return phi[:, : points.size]


#: Slopes of the continuous activations on the positive and negative side.
def _derivatives(name, leak):
    return {"relu": (1.0, 0.0), "abs": (1.0, -1.0), "leaky_relu": (1.0, leak)}[name]


@dataclass(frozen=True)
class _Piecewise:
    """A continuous piecewise-linear function: breakpoints, values, end slopes."""

    knots: np.ndarray
    values: np.ndarray
    left: float
    right: float

    def at(self, t):
        t = np.asarray(t, dtype=np.float64)
        out = np.interp(t, self.knots, self.values)
        out = np.where(t < self.knots[0], self.values[0] + self.left * (t - self.knots[0]), out)
        return np.where(
            t > self.knots[-1], self.values[-1] + self.right * (t - self.knots[-1]), out
        )

    def apply(self, scale, shift, name, leak):
        """``σ(scale · (f − shift))`` for a continuous activation (relu, abs, leaky_relu)."""
        k = self.knots
        g = scale * (self.values - shift)
        gl, gr = scale * self.left, scale * self.right
        new = [
            k[i] + (k[i + 1] - k[i]) * g[i] / (g[i] - g[i + 1])
            for i in range(k.size - 1)
            if g[i] * g[i + 1] < 0.0
        ]
        if gl != 0.0 and g[0] / gl > 0.0:  # a zero left of the first knot
            new.append(k[0] - g[0] / gl)
        if gr != 0.0 and g[-1] / gr < 0.0:  # a zero right of the last knot
            new.append(k[-1] - g[-1] / gr)
        knots = np.concatenate([k, new])
        vals = np.concatenate([g, np.zeros(len(new))])
        order = np.argsort(knots, kind="stable")
        knots, vals = knots[order], vals[order]
        pos, neg = _derivatives(name, leak)
        # beyond the outer knots g keeps one sign (every zero is a knot now)
        first = vals[0] if vals[0] != 0.0 else -gl
        last = vals[-1] if vals[-1] != 0.0 else gr
        left = (pos if first > 0 else neg) * gl
        right = (pos if last > 0 else neg) * gr
        out = _activation(name, leak)(vals)
        return _Piecewise(knots, out, float(left), float(right))


def _chain_function(anchors, signs, name, leak):
    f = _Piecewise(np.array([0.0]), np.array([0.0]), 1.0, 1.0)  # φ_1(x) = x
    for a, s in zip(anchors, signs, strict=True):
        f = f.apply(float(s), float(f.at(a)), name, leak)
    return f


def _kinks(f, tol):
    """Breakpoints where the slope actually changes."""
    k, v = f.knots, f.values
    slopes = np.concatenate([[f.left], np.diff(v) / np.maximum(np.diff(k), 1e-300), [f.right]])
    keep = np.abs(np.diff(slopes)) > tol
    return np.unique(np.round(k[keep], 12))


# ---------------------------------------------------------------- 1-D dictionary
class _Dedupe:
    """Rows seen so far, compared by their values rounded to ``scale * 2**-40``.

    Rows are keyed by two independent 64-bit hashes of the rounded values
    (random odd multipliers, seeded): a false match needs a 128-bit
    collision.
    """

    def __init__(self, scale, active=True):
        self.step = scale * 2.0**-40
        self.seen = set()
        self.active = active
        self.mult = None

    def new(self, V, extra=None):
        """Indices of the rows of ``V`` not seen before (first occurrences), and remember them."""
        if not self.active:
            return np.arange(V.shape[0])
        keys = np.round(V / self.step).astype(np.int64).view(np.uint64)
        if self.mult is None:
            rng = np.random.default_rng(0x6E6F)
            self.mult = rng.integers(1, 2**63, size=(keys.shape[1], 2), dtype=np.uint64) | 1
        with np.errstate(over="ignore"):
            h = keys @ self.mult if keys.shape[0] else np.zeros((0, 2), np.uint64)
        _, first = np.unique(h, axis=0, return_index=True)
        keep = []
        for i in np.sort(first):
            key = (int(h[i, 0]), int(h[i, 1]))
            if key not in self.seen:
                self.seen.add(key)
                keep.append(i)
        return np.array(keep, dtype=np.int64)


@dataclass
class _States:
    """Chains of the same length: anchors, signs, values on the data, ties."""

    anchors: np.ndarray  # (S, l) anchor values a_1..a_l
    index: np.ndarray  # (S, l) anchor indices into the data points; -1 for a reflection
    signs: np.ndarray  # (S, l)
    mirror: np.ndarray  # (S, 2) (i, j) when a_1 = 2 p_i - p_j, else (-1, -1)
    forced: np.ndarray  # (S,) the next anchor index a reflection ties to, else -1
    values: np.ndarray  # (S, N) φ_{l+1} on the data points

    def take(self, keep):
        return _States(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))


def _first_layer(pts, activation, sigma, reflections):
    N = pts.size
    signs = (1.0,) if activation == "abs" else (1.0, -1.0)
    a = np.tile(pts, len(signs))
    s = np.repeat(signs, N)
    idx = np.tile(np.arange(N), len(signs))
    mirror = np.full((a.size, 2), -1)
    forced = np.full(a.size, -1)
    if reflections:
        i, j = np.nonzero(~np.eye(N, dtype=bool))  # a_1 = 2 p_i - p_j, then a_2 = p_i
        r = 2.0 * pts[i] - pts[j]
        a = np.concatenate([a, np.tile(r, len(signs))])
        s = np.concatenate([s, np.repeat(signs, r.size)])
        idx = np.concatenate([idx, np.full(r.size * len(signs), -1)])
        mirror = np.vstack([mirror, np.tile(np.column_stack([i, j]), (len(signs), 1))])
        forced = np.concatenate([forced, np.tile(i, len(signs))])
    values = sigma(s[:, None] * (pts[None, :] - a[:, None]))
    return _States(a[:, None], idx[:, None], s[:, None], mirror, forced, values)


#: Bytes the deduplication's set holds per distinct row (a tuple of two ints in a set).
_SEEN_BYTES = 200


def _expand(states, pts, activation, sigma, dedupe, last, budget=None, block_values=_BLOCK_VALUES):
    """All one-layer extensions of ``states`` (deduplicated on the data).

    ``budget(held)``, when given, is called after every block with the bytes
    the kept chains would hold once joined (twice their parts: the parts and
    the joined arrays) plus the deduplication's set; it raises to stop before
    the next block is built. A block evaluates about ``block_values`` values.
    """
    N = pts.size
    signs = (1.0,) if activation == "abs" else (1.0, -1.0)
    S = len(states.forced)
    block = max(1, block_values // (2 * N * N))
    parts = []
    for start in range(0, S, block):
        sl = np.arange(start, min(start + block, S))
        free = sl[states.forced[sl] < 0]
        tied = sl[states.forced[sl] >= 0]
        par = np.concatenate([np.repeat(free, N), tied])
        nxt = np.concatenate([np.tile(np.arange(N), free.size), states.forced[tied]])
        par = np.tile(par, len(signs))
        nxt = np.tile(nxt, len(signs))
        sg = np.repeat(signs, par.size // len(signs))
        V = states.values[par]
        V = sigma(sg[:, None] * (V - V[np.arange(par.size), nxt][:, None]))
        if last and dedupe.active:  # the free intercept absorbs constants: compare up to one
            key = V - V[:, :1]
            nonconstant = np.any(key != 0.0, axis=1)
            keep = np.flatnonzero(nonconstant)[dedupe.new(key[nonconstant])]
        else:
            keep = dedupe.new(V)
        par, nxt, sg, V = par[keep], nxt[keep], sg[keep], V[keep]
        parts.append(
            _States(
                np.column_stack([states.anchors[par], pts[nxt]]),
                np.column_stack([states.index[par], nxt]),
                np.column_stack([states.signs[par], sg]),
                states.mirror[par],
                np.full(par.size, -1),
                V,
            )
        )
        if budget is not None:
            held = sum(
                sum(getattr(q, f).nbytes for f in _States.__dataclass_fields__) for q in parts
            )
            budget(2 * held + _SEEN_BYTES * len(dedupe.seen))
    return _States(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in _States.__dataclass_fields__)
    )


def _finish(states, dedupe):
    """The last layer deduplicated up to constants (the intercept absorbs them)."""
    if not dedupe.active:
        return states
    key = states.values - states.values[:, :1]
    nonconstant = np.flatnonzero(np.any(key != 0.0, axis=1))
    return states.take(nonconstant[dedupe.new(key[nonconstant])])


def _sampled(pts, depth, activation, sigma, reflections, m, rng):
    """``m`` chains drawn uniformly from the index space, deduplicated."""
    N, L = pts.size, depth - 1
    index = rng.integers(0, N, size=(m, L))
    signs = np.ones((m, L)) if activation == "abs" else rng.choice([-1.0, 1.0], size=(m, L))
    anchors = pts[index].astype(np.float64)
    mirror = np.full((m, 2), -1)
    if reflections:
        k = rng.integers(0, 2, size=m).astype(bool) & (index[:, 0] != index[:, 1])
        mirror[k] = np.column_stack([index[k, 1], index[k, 0]])
        anchors[k, 0] = 2.0 * pts[index[k, 1]] - pts[index[k, 0]]
        index = index.copy()
        index[k, 0] = -1
    values = _evaluate(pts, anchors, signs, sigma)
    return _States(anchors, index, signs, mirror, np.full(m, -1), values)


def mirror_dictionary(
    x,
    depth,
    activation: str = "relu",
    *,
    leak: float = 0.01,
    reflections: bool = True,
    max_features=None,
    random_state=None,
    deduplicate: bool = True,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
) -> MirrorDictionary:
    """The Lasso dictionary of deep narrow networks on one-dimensional data (SPEC §5.3).

    Every column is a chain ``φ_{l+1} = σ(s_l (φ_l(x) − φ_l(a_l)))`` with
    anchors at the data points, built layer by layer; chains equal on the
    data are merged at every layer (their extensions are then equal on the
    data too), and the last layer's columns are kept once up to a constant
    (the free intercept absorbs it; constant columns are dropped).

    Parameters
    ----------
    x : array_like, shape (n_samples,) or (n_samples, 1)
        One-dimensional data. Repeated values are merged as anchors (the
        columns are still evaluated on every sample); the count is kept in
        ``n_merged``.
    depth : int
        Number of layers ``L`` of the network (2 = one hidden layer). ReLU:
        2, 3 or 4; absolute value, sign and threshold: any depth from 2;
        leaky ReLU: 2.
    activation : {"relu", "abs", "leaky_relu", "sign", "threshold"}, default="relu"
        The activation ``σ`` (threshold is ``1[u >= 0]``).
    leak : float, default=0.01
        Negative-side slope of the leaky ReLU.
    reflections : bool, default=True
        ReLU at depth 4: also chains whose first anchor is the reflection
        ``2 x_{j2} − x_{j1}`` of a data point about the second anchor (the
        ``k = 1`` chains of SPEC §5.3).
    max_features : int, optional
        Draw this many chains uniformly from the index set (seeded by
        ``random_state``) instead of enumerating them all; fewer columns
        remain after deduplication.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of ``max_features``.
    deduplicate : bool, default=True
        Merge chains equal on the data. With False every chain of the index
        set is kept (constant ones included), e.g. to study every feature
        the architecture can form, or the breakpoints of chains that are
        flat on the data.
    memory_limit : int, default=2 GiB
        Budget of the finished matrix (columns × samples × 8 bytes).

    Returns
    -------
    MirrorDictionary

    Raises
    ------
    ValueError
        For inputs that are not one-dimensional (the message points to the
        d-dimensional builder), fewer than two samples, or a depth the
        activation does not support (the message lists the supported ones).
    DictionaryTooLargeError
        When the enumeration would evaluate more than
        ``MAX_CANDIDATE_VALUES`` chain values, or the deduplicated matrix
        exceeds ``memory_limit``; the message says how many and suggests
        ``max_features``.

    Examples
    --------
    SPEC T17: at depth 4 the chain with anchors (0, 4, 5), signs (−, −, +)
    and a reflected first anchor is a ramp from 5 capped at 2·4 − 0 = 8, the
    reflection of 0 about 4 (it vanishes on these three points, so the
    deduplicated dictionary drops it; the data {0, 1, 3, 7} keep reflections).

    >>> D = mirror_dictionary([0.0, 4.0, 5.0], depth=4, deduplicate=False)
    >>> [D.describe(j) for j in range(D.n_columns)
    ...  if list(D.anchors[j]) == [8.0, 4.0, 5.0] and list(D.signs[j]) == [-1, -1, 1]]
    ['ramp up from 5, capped at 8 (8 = reflection of 0 about 4)']
    >>> D = mirror_dictionary([0.0, 1.0, 3.0, 7.0], depth=4)
    >>> sorted({r["point"] for j in range(D.n_columns) for r in D.reflections(j)})
    [2.0, 5.0, 6.0]
    """
    x = _check_1d(x)
    check_option(activation, "activation", tuple(DEPTHS))
    depth = _check_depth(depth, activation)
    leak = float(leak)
    if activation == "leaky_relu" and not 0.0 <= leak < 1.0:
        raise ValueError(f"leak must be in [0, 1) for a leaky ReLU; got {leak}")
    pts, inverse = np.unique(x, return_inverse=True)
    N = pts.size
    if N < 2:
        raise ValueError("x must hold at least two distinct values")
    sigma = _activation(activation, leak)
    refl = bool(reflections) and activation == "relu" and depth == 4
    # values of homogeneous chains scale with the data; sign and threshold values do not
    scale = float(pts[-1] - pts[0]) if activation in HOMOGENEOUS else 1.0
    if max_features is not None:
        m = as_positive_int(max_features, "max_features")
        rng = as_generator(random_state)
        states = _sampled(pts, depth, activation, sigma, refl, m, rng)
        states = _finish(states, _Dedupe(scale, deduplicate))
        n_candidates, exact = m, False
    else:
        first = (N + (N * (N - 1) if refl else 0)) * (1 if activation == "abs" else 2)
        check_memory(
            first * (N * 8 + 48),
            memory_limit,
            what=(
                f"the first layer of the depth-{depth} {activation} dictionary of {N} points "
                f"({first:,} chains" + (", reflections included)" if refl else ")")
            ),
            remedy=(
                f"sample it instead: mirror_dictionary(x, {depth}, {activation!r}, "
                "max_features=200_000, random_state=0), or raise memory_limit"
            ),
            error=DictionaryTooLargeError,
            n_atoms=first,
        )
        states = _first_layer(pts, activation, sigma, refl)
        n_candidates = states.values.shape[0]
        for layer in range(2, depth):
            free = int(np.sum(states.forced < 0))
            tied = states.forced.size - free
            n_signs = 1 if activation == "abs" else 2
            count = (free * N + tied) * n_signs
            if count * N > MAX_CANDIDATE_VALUES:
                raise DictionaryTooLargeError(
                    f"the depth-{depth} {activation} dictionary of {N} points would evaluate "
                    f"{count:,} chains at layer {layer} ({count * N:,} values, above "
                    f"{MAX_CANDIDATE_VALUES:,}); sample it instead: mirror_dictionary(x, {depth}, "
                    f"{activation!r}, max_features=200_000, random_state=0)",
                    n_atoms=count,
                    required_bytes=count * N * 8,
                    limit_bytes=MAX_CANDIDATE_VALUES * 8,
                )
            n_candidates = count
            dedupe = _Dedupe(scale, deduplicate)

            def budget(held, layer=layer, count=count):
                # counted while the layer is built: refused before the next block
                check_memory(
                    held,
                    memory_limit,
                    what=(
                        f"the depth-{depth} {activation} dictionary of {N} points (up to "
                        f"{count:,} chains at layer {layer}, counted while they are built)"
                    ),
                    remedy=(
                        f"sample it instead: mirror_dictionary(x, {depth}, {activation!r}, "
                        "max_features=200_000, random_state=0), or raise memory_limit"
                    ),
                    error=DictionaryTooLargeError,
                    n_atoms=count,
                )

            states = _expand(
                states,
                pts,
                activation,
                sigma,
                dedupe,
                last=layer == depth - 1,
                budget=budget,
                # a block's temporaries (values, keys, hashes: about 8 arrays) within a budget
                block_values=min(_BLOCK_VALUES, max(1, int(memory_limit) // 64)),
            )
        if depth == 2:
            states = _finish(states, _Dedupe(scale, deduplicate))
        exact = True
    M = states.values.shape[0]
    need = M * x.size * 8
    if need > memory_limit:
        raise DictionaryTooLargeError(
            f"the depth-{depth} {activation} dictionary of {N} points has {M:,} distinct columns; "
            f"its matrix needs {_gib(need)}, above memory_limit = {_gib(memory_limit)}. "
            "Sample it instead (max_features=..., random_state=...) or raise memory_limit",
            n_atoms=M,
            required_bytes=need,
            limit_bytes=memory_limit,
        )
    return MirrorDictionary(
        x=x,
        points=pts,
        inverse=inverse,
        depth=depth,
        activation=activation,
        leak=leak,
        anchors=states.anchors,
        index=states.index,
        signs=states.signs,
        mirror=states.mirror,
        values=states.values,
        n_candidates=n_candidates,
        exact=exact,
    )


@dataclass
class MirrorDictionary:
    """Deep-narrow chain features on one-dimensional data (see :func:`mirror_dictionary`).

    Attributes
    ----------
    x : ndarray, shape (n_samples,)
        The data.
    points : ndarray, shape (N,)
        Its distinct values, sorted (the anchors).
    depth : int
        Layers ``L`` of the network.
    activation : str
        The activation.
    anchors : ndarray, shape (n_columns, depth - 1)
        Anchor values ``a_l`` of every column's chain.
    index : ndarray of int, shape (n_columns, depth - 1)
        Anchor indices into ``points`` (-1 for a reflected first anchor).
    signs : ndarray, shape (n_columns, depth - 1)
        Signs ``s_l``.
    mirror : ndarray of int, shape (n_columns, 2)
        ``(i, j)`` when the first anchor is ``2 points[i] − points[j]``,
        else ``(-1, -1)``.
    n_candidates : int
        Chains evaluated at the last layer (or drawn), before deduplication.
    exact : bool
        True when every chain was enumerated (False with ``max_features``).
    """

    x: np.ndarray
    points: np.ndarray
    inverse: np.ndarray
    depth: int
    activation: str
    leak: float
    anchors: np.ndarray
    index: np.ndarray
    signs: np.ndarray
    mirror: np.ndarray
    values: np.ndarray
    n_candidates: int
    exact: bool

    @property
    def n_columns(self) -> int:
        """int: Columns (distinct features on the data, up to a constant)."""
        return int(self.anchors.shape[0])

    @property
    def n_merged(self) -> int:
        """int: Samples whose value repeats an earlier one (merged as anchors)."""
        return int(self.x.size - self.points.size)

    def __repr__(self) -> str:
        kind = "all chains" if self.exact else f"{self.n_candidates:,} sampled chains"
        return (
            f"MirrorDictionary(depth={self.depth}, activation={self.activation!r}, "
            f"{self.x.size} samples, {self.n_columns:,} columns from {kind})"
        )

    def matrix(self, points=None) -> np.ndarray:
        """The features, one column per chain.

        Parameters
        ----------
        points : array_like, shape (P,) or (P, 1), optional
            Where to evaluate (e.g. a plotting grid); the data by default.

        Returns
        -------
        ndarray of float64, shape (n_samples or P, n_columns)
        """
        if points is None:
            return np.ascontiguousarray(self.values[:, self.inverse].T)
        t = as_float_array(points, "points", shape_doc="(P,) or (P, 1)")
        if t.ndim == 2 and t.shape[1] == 1:
            t = t[:, 0]
        if t.ndim != 1:
            raise ValueError(f"points must have shape (P,) or (P, 1); got {t.shape}")
        sigma = _activation(self.activation, self.leak)
        out = np.empty((t.size, self.n_columns))
        block = max(1, _BLOCK_VALUES // max(t.size, 1))
        for start in range(0, self.n_columns, block):
            sl = slice(start, start + block)
            out[:, sl] = _evaluate(t, self.anchors[sl], self.signs[sl], sigma).T
        return out

    def breakpoints(self, j: int) -> np.ndarray:
        """Where feature ``j`` changes slope (or jumps, for sign and threshold).

        Parameters
        ----------
        j : int
            Column.

        Returns
        -------
        ndarray of float64
            Sorted.
        """
        j = self._column(j)
        if self.activation in HOMOGENEOUS:
            f = _chain_function(self.anchors[j], self.signs[j], self.activation, self.leak)
            return _kinks(f, 1e-9)
        # steps: only at anchors (the chain is constant between them)
        cand = np.unique(self.anchors[j])
        eps = 1e-9 * max(1.0, float(np.abs(self.points).max()))
        sigma = _activation(self.activation, self.leak)
        lo = _evaluate(cand - eps, self.anchors[j : j + 1], self.signs[j : j + 1], sigma)[0]
        hi = _evaluate(cand + eps, self.anchors[j : j + 1], self.signs[j : j + 1], sigma)[0]
        return cand[lo != hi]

    def reflections(self, j: int) -> list:
        """The breakpoints of feature ``j`` that are not data points, explained.

        Parameters
        ----------
        j : int
            Column.

        Returns
        -------
        list of dict
            ``point``; ``of`` and ``about`` (data values) when it is the
            reflection ``2·about − of``, else None (a reflection of a
            reflection).
        """
        out = []
        p = self.points
        tol = 1e-9 * max(1.0, float(np.abs(p).max()))
        for b in self.breakpoints(j):
            if np.min(np.abs(p - b)) <= tol:
                continue
            # b = 2 p_i - p_j
            diff = np.abs(2.0 * p[:, None] - p[None, :] - b)
            i, k = np.unravel_index(np.argmin(diff), diff.shape)
            if diff[i, k] <= tol:
                out.append({"point": float(b), "of": float(p[k]), "about": float(p[i])})
            else:
                out.append({"point": float(b), "of": None, "about": None})
        return out

    def describe(self, j: int) -> str:
        """Feature ``j`` in words, e.g. "ramp up from 5, capped at 8 (8 = reflection of 0 about 4)".

        Parameters
        ----------
        j : int
            Column.

        Returns
        -------
        str
        """
        j = self._column(j)
        kinks = self.breakpoints(j)
        notes = {
            r["point"]: (
                f"{_num(r['point'])} = reflection of {_num(r['of'])} about {_num(r['about'])}"
                if r["of"] is not None
                else f"{_num(r['point'])} = a reflection of a reflection"
            )
            for r in self.reflections(j)
        }
        suffix = "".join(f" ({notes[k]})" for k in kinks if k in notes)
        if self.activation in ("sign", "threshold"):
            return f"step at {', '.join(_num(k) for k in kinks)}" + suffix
        f = _chain_function(self.anchors[j], self.signs[j], self.activation, self.leak)
        if self.activation == "relu" and kinks.size in (1, 2):
            lo, hi = float(kinks[0]), float(kinks[-1])
            up = f.right > 0 or (f.right == 0 and f.left == 0 and f.at(hi) > f.at(lo))
            if kinks.size == 1:
                text = f"ramp up from {_num(lo)}" if up else f"ramp down to {_num(lo)}"
            elif up:
                text = f"ramp up from {_num(lo)}, capped at {_num(hi)}"
            else:
                text = f"ramp down from {_num(lo)} to {_num(hi)}, constant before"
            return text + suffix
        slopes = (
            [f.left]
            + [float((f.at(b) - f.at(a)) / (b - a)) for a, b in itertools.pairwise(kinks)]
            + [f.right]
        )
        parts = [f"slope {_num(slopes[0])} up to {_num(kinks[0])}"]
        parts += [f"{_num(s)} to {_num(k)}" for s, k in zip(slopes[1:-1], kinks[1:], strict=True)]
        parts.append(f"{_num(slopes[-1])} after")
        return f"{self.activation} chain: " + ", ".join(parts) + suffix

    def feature(self, j: int) -> dict:
        """Everything about column ``j``: anchors, signs, breakpoints, reflections, words.

        Parameters
        ----------
        j : int
            Column.

        Returns
        -------
        dict
        """
        j = self._column(j)
        return {
            "column": j,
            "anchors": self.anchors[j].tolist(),
            "signs": self.signs[j].tolist(),
            "breakpoints": self.breakpoints(j).tolist(),
            "reflections": self.reflections(j),
            "description": self.describe(j),
        }

    def _column(self, j):
        j = int(j)
        if not 0 <= j < self.n_columns:
            raise IndexError(f"column {j} out of range for {self.n_columns} columns")
        return j


def _num(v) -> str:
    return f"{float(v):.6g}"


# ---------------------------------------------------------------- networks
class DeepNarrowNetwork:
    """Independent deep narrow chains, summed: the parallel architecture of SPEC §5.2.

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
    The chain of SPEC T18 (anchors 7, 2; signs −, −), amplitude 1:

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
        x = _check_1d(x) if np.size(x) > 1 else as_float_array(x, "x").reshape(-1)
        sigma = _activation(self.activation, self.leak)
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
        """``‖f(x) − y‖² / (2n) + α · penalty()`` (SPEC §5.2 divided by ``n``; β = nα).

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
        """One chain per non-zero coefficient (SPEC §5.3 reconstruction).

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
        sigma = _activation(dictionary.activation, dictionary.leak)
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
    """A deep narrow network on 1-D data, trained to its global optimum (SPEC §5).

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
        Penalty (SPEC's scaling: the papers' β is ``n α``).
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
    SPEC §5.4's closed form: two points, ``β = 0.1`` (``α = 0.05``), depth 2:
    the optimum is ``(β − β²) / 2 = 0.045``.

    >>> model = DeepConvexRegressor(depth=2, alpha=0.05).fit([[0.0], [1.0]], [0.0, 1.0])
    >>> round(model.objective_, 10), model.predict([[0.0], [1.0]]).round(6)
    (0.045, array([0.1, 0.9]))
    """

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

        from .lasso import _check_positive, lasso

        refuse_complex(X, "X")
        refuse_complex(y, "y")
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True, multi_output=False)
        if X.shape[1] != 1:
            raise ValueError(
                f"X must have one column (1-D data); got {X.shape[1]}. For d-dimensional "
                "inputs use reflection_dictionary or ConvexReLU"
            )
        alpha = _check_positive(self.alpha, "alpha")
        D = mirror_dictionary(
            X[:, 0],
            self.depth,
            self.activation,
            leak=self.leak,
            reflections=self.reflections,
            max_features=self.max_features,
            random_state=self.random_state,
            memory_limit=self.memory_limit,
        )
        res = lasso(D.matrix(), y, alpha, fit_intercept=True, tol=self.tol, max_iter=self.max_iter)
        if not res.converged:
            warnings.warn(
                f"the Lasso stopped at relative gap {res.dual_gap:.1e} > tol = {self.tol:g}; "
                "raise max_iter",
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
        sigma = _activation(D.activation, D.leak)
        values = _evaluate(x, D.anchors[support], D.signs[support], sigma)
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


# ---------------------------------------------------------------- d-dimensional
@dataclass
class ReflectionDictionary:
    """Depth-3 absolute-value features in d dimensions (see :func:`reflection_dictionary`).

    Column ``k`` uses the unit normal ``normals[normal[k]]`` (of the
    hyperplane through the samples ``subsets[normal[k]]``) and the samples
    ``i = first[k]``, ``j = second[k]``:
    ``φ(x) = | |w·x − w·x_i| − |w·x_j − w·x_i| |``, the distance from ``x`` to
    the union of the hyperplane ``H_j`` through ``x_j`` and its mirror image
    across the parallel hyperplane ``H_i`` through ``x_i`` (SPEC §4.6).

    Attributes
    ----------
    X : ndarray, shape (n_samples, d)
        The data.
    normals : ndarray, shape (n_normals, d)
        Unit normals.
    subsets : ndarray of int, shape (n_normals, d)
        The samples each normal's hyperplane passes through.
    normal, first, second : ndarray of int, shape (n_columns,)
        Per column: normal index, ``i`` and ``j``.
    exact : bool
        True when every (normal, i, j) was enumerated.
    n_candidates : int
        Columns before deduplication.
    """

    X: np.ndarray
    normals: np.ndarray
    subsets: np.ndarray
    normal: np.ndarray
    first: np.ndarray
    second: np.ndarray
    exact: bool
    n_candidates: int

    @property
    def n_columns(self) -> int:
        """int: Columns."""
        return int(self.normal.size)

    def __repr__(self) -> str:
        return (
            f"ReflectionDictionary({self.X.shape[0]} samples in R^{self.X.shape[1]}, "
            f"{self.n_columns:,} columns from {self.n_candidates:,} "
            f"{'enumerated' if self.exact else 'sampled'} candidates)"
        )

    def matrix(self, points=None) -> np.ndarray:
        """The features on the data (or on ``points``, e.g. a plotting grid).

        Parameters
        ----------
        points : array_like, shape (P, d), optional
            Where to evaluate; the data by default.

        Returns
        -------
        ndarray of float64, shape (n_samples or P, n_columns)
        """
        P = self.X if points is None else as_float_array(points, "points")
        if P.ndim != 2 or P.shape[1] != self.X.shape[1]:
            raise ValueError(f"points must have shape (P, {self.X.shape[1]}); got {P.shape}")
        return _reflection_values(P, self.X, self.normals, self.normal, self.first, self.second)

    def hyperplanes(self, k: int) -> dict:
        """The hyperplanes of column ``k`` as ``(w, b)`` pairs (``w·x + b = 0``).

        Parameters
        ----------
        k : int
            Column.

        Returns
        -------
        dict
            ``plane`` (``H_j``, through ``x_j``), ``mirror`` (through ``x_i``,
            the plane of reflection) and ``image`` (``H_j`` reflected across
            it), each ``(w, b)`` with the unit normal ``w``; ``samples`` (i, j)
            and ``generators`` (the samples the normal's hyperplane passes
            through).
        """
        k = int(k)
        if not 0 <= k < self.n_columns:
            raise IndexError(f"column {k} out of range for {self.n_columns} columns")
        w = self.normals[self.normal[k]]
        i, j = int(self.first[k]), int(self.second[k])
        ti, tj = float(w @ self.X[i]), float(w @ self.X[j])
        return {
            "plane": (w.copy(), -tj),
            "mirror": (w.copy(), -ti),
            "image": (w.copy(), -(2.0 * ti - tj)),
            "samples": (i, j),
            "generators": tuple(int(g) for g in self.subsets[self.normal[k]]),
        }


def _reflection_values(P, X, normals, normal, first, second):
    proj = P @ normals.T  # (n_points, n_normals)
    data = X @ normals.T  # (n_samples, n_normals)
    ti = data[first, normal]
    tj = data[second, normal]
    return np.abs(np.abs(proj[:, normal] - ti) - np.abs(tj - ti))


def reflection_dictionary(
    X,
    *,
    max_features=None,
    random_state=None,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
) -> ReflectionDictionary:
    """Depth-3 absolute-value reflection features of d-dimensional data (SPEC §4.6).

    Every column is the distance from ``x`` to the union of a hyperplane
    through a sample ``x_j`` and its mirror image across the parallel
    hyperplane through another sample ``x_i``; the normals are those of the
    hyperplanes through ``d`` samples (the wedge atoms). In 1-D this is the
    depth-3 absolute-value dictionary (kinks at ``x_i``, ``x_j`` and
    ``2 x_i − x_j``). Columns equal on the data are merged.

    Parameters
    ----------
    X : array_like, shape (n_samples, d)
        The data (d >= 1).
    max_features : int, optional
        Draw this many (normal, i, j) triples uniformly (seeded) instead of
        enumerating all ``C(n, d) · n (n − 1)``.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of ``max_features``.
    memory_limit : int, default=2 GiB
        Budget of the candidate matrix; above it the exhaustive build is
        refused (the message says how large and how to sample).

    Returns
    -------
    ReflectionDictionary

    Raises
    ------
    ValueError
        For non-finite data, fewer than ``d + 1`` samples, or data whose
        samples span no hyperplane.
    DictionaryTooLargeError
        When the exhaustive candidate matrix exceeds ``memory_limit``.

    Examples
    --------
    >>> D = reflection_dictionary([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
    >>> D.n_columns > 0, D.matrix().shape[0]
    (True, 3)
    """
    from math import comb

    from .algebra import hyperplane, subsets

    X = as_float_array(X, "X", shape_doc="(n_samples, d)")
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_samples, d); got {X.shape}")
    n, d = X.shape
    if n < d + 1:
        raise ValueError(
            f"X needs at least d + 1 = {d + 1} samples for a pair and a normal; got {n}"
        )
    n_subsets = comb(n, d) if d > 1 else 1  # in 1-D every normal is the same
    total = n_subsets * n * (n - 1)
    if max_features is None:
        need = total * n * 8
        if need > memory_limit:
            raise DictionaryTooLargeError(
                f"the exhaustive reflection dictionary of {n} samples in R^{d} has {total:,} "
                f"candidate columns ({n_subsets:,} normals x {n * (n - 1):,} ordered pairs); "
                f"evaluating them needs {_gib(need)}, above memory_limit = "
                f"{_gib(memory_limit)}. Sample it instead: reflection_dictionary(X, "
                "max_features=100_000, random_state=0)",
                n_atoms=total,
                required_bytes=need,
                limit_bytes=memory_limit,
            )
        S = subsets(n, d) if d > 1 else np.zeros((1, 1), dtype=np.int64)
        pairs = np.nonzero(~np.eye(n, dtype=bool))
        normal = np.repeat(np.arange(len(S)), pairs[0].size)
        first = np.tile(pairs[0], len(S))
        second = np.tile(pairs[1], len(S))
        exact = True
    else:
        m = as_positive_int(max_features, "max_features")
        rng = as_generator(random_state)
        S = np.sort(np.array([rng.choice(n, d, replace=False) for _ in range(m)]), axis=1)
        normal = np.arange(m)
        first = rng.integers(0, n, size=m)
        second = (first + rng.integers(1, n, size=m)) % n  # j != i
        exact = False
    if d > 1:
        W, _ = hyperplane(X[S])
    else:
        W = np.ones((len(S), 1))
    norms = np.linalg.norm(W, axis=1)
    ok = norms > 1e-12 * max(1.0, float(np.abs(X).max()) ** (d - 1))
    if not ok.any():
        raise ValueError("X: no d samples span a hyperplane (the data are degenerate)")
    normals = np.zeros_like(W)
    normals[ok] = W[ok] / norms[ok, None]
    # canonical orientation (φ does not depend on the sign of w), then one copy per direction
    flip = np.sign(normals[np.arange(len(normals)), np.argmax(np.abs(normals), axis=1)])
    normals *= np.where(flip == 0, 1.0, flip)[:, None]
    live = ok[normal]
    normal, first, second = normal[live], first[live], second[live]
    n_candidates = int(normal.size)
    V = _reflection_values(X, X, normals, normal, first, second)
    scale = float(np.ptp(X)) or 1.0
    key = V - V[:1]
    nonconstant = np.flatnonzero(np.any(np.abs(key) > 1e-12 * scale, axis=0))
    keep = nonconstant[_Dedupe(scale).new(key[:, nonconstant].T)]
    return ReflectionDictionary(
        X=X.copy(),
        normals=normals,
        subsets=np.asarray(S),
        normal=normal[keep],
        first=first[keep],
        second=second[keep],
        exact=exact,
        n_candidates=n_candidates,
    )
