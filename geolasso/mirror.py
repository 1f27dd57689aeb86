"""One-dimensional mirror dictionaries: the Lasso features of deep narrow networks.

Overview
--------
On one-dimensional data, training a *deep narrow* network with a depth-``L``
penalty is a Lasso over a fixed dictionary (docs/mathematics.md §5, the "Library of
Mirrors" results). Every feature is a *chain*

.. math::

    \\varphi_1(x) = x, \\qquad
    \\varphi_{l+1}(x) = \\sigma\\bigl(s_l(\\varphi_l(x) - \\varphi_l(a_l))\\bigr),
    \\quad l = 1, \\dots, L - 1,

with signs ``s_l = ±1`` and anchors ``a_l`` at training points (docs/mathematics.md §5.3).
Two layers give ramps ``(x − x_j)_+``; three give capped ramps between two
data points; at depth four the first anchor may be the **reflection**
``2 x_{j_2} − x_{j_1}`` of one data point about another, so features break
at mirror images of the data. Absolute-value chains reflect at every layer:
the kinks of a depth-``L`` chain are ``a_1 ± c_2 ± … ± c_L`` (reflections of
reflections). Sign and threshold activations give steps at data points only.

:func:`mirror_dictionary` builds the dictionary layer by layer (deduplicated
on the data) and returns a :class:`MirrorDictionary`, which evaluates its
columns anywhere and explains each one: anchors, breakpoints, reflections and
a description in words. The networks built from it and their estimator live
in :mod:`geolasso.deep`.

Scaling follows docs/mathematics.md §0.1: the papers' ``β`` is ``n α``, and objectives are
the papers' values divided by ``n``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ._dedupe import RowDedupe
from ._validation import as_float_array, as_generator, as_positive_int, check_option
from .exceptions import DictionaryTooLargeError
from .memory import DEFAULT_MEMORY_LIMIT, check_memory, format_bytes

__all__ = [
    "DEPTHS",
    "HOMOGENEOUS",
    "MirrorDictionary",
    "activation_function",
    "as_1d_data",
    "chain_values",
    "mirror_dictionary",
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


def activation_function(name: str, leak: float):
    """The activation ``σ`` as a vectorised function of an array.

    Parameters
    ----------
    name : {"relu", "abs", "leaky_relu", "sign", "threshold"}
        The activation (any other name gives the threshold ``1[u >= 0]``).
    leak : float
        Negative-side slope of the leaky ReLU.

    Returns
    -------
    callable
        ``σ(u)`` for an ndarray ``u``, elementwise, float64.
    """
    if name == "relu":
        return lambda u: np.maximum(u, 0.0)
    if name == "abs":
        return np.abs
    if name == "leaky_relu":
        return lambda u: np.maximum(u, leak * u)
    if name == "sign":
        return np.sign
    return lambda u: (u >= 0.0).astype(np.float64)


def as_1d_data(x, name: str = "x") -> np.ndarray:
    """One-dimensional data as a float64 vector, or a ValueError naming ``name``.

    Parameters
    ----------
    x : array_like, shape (n_samples,) or (n_samples, 1)
        At least two samples.
    name : str, default="x"
        Argument name used in error messages.

    Returns
    -------
    ndarray of float64, shape (n_samples,)
    """
    return as_1d_checked(as_float_array(x, name, shape_doc="(n_samples,) or (n_samples, 1)"), name)


def as_1d_checked(arr, name: str = "x") -> np.ndarray:
    """:func:`as_1d_data` of a float64 array already converted and checked (finite)."""
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
def chain_values(points, anchors, signs, sigma) -> np.ndarray:
    """Values of ``M`` chains ``φ_L`` at ``P`` points.

    Parameters
    ----------
    points : ndarray, shape (P,)
        Where to evaluate.
    anchors : ndarray, shape (M, L - 1)
        Anchor values ``a_l`` of each chain.
    signs : ndarray, shape (M, L - 1)
        Signs ``s_l`` of each chain.
    sigma : callable
        The activation, as :func:`activation_function` returns it.

    Returns
    -------
    ndarray of float64, shape (M, P)
    """
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
        out = activation_function(name, leak)(vals)
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


# ---------------------------------------------------------------- building
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
    held = 0  # bytes of the parts so far
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
            held += sum(getattr(parts[-1], f).nbytes for f in _States.__dataclass_fields__)
            budget(2 * held + dedupe.held_bytes())
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
    values = chain_values(pts, anchors, signs, sigma)
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
    """The Lasso dictionary of deep narrow networks on 1-D data (docs/mathematics.md §5.3).

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
        ``k = 1`` chains of docs/mathematics.md §5.3).
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
    docs/mathematics.md T17: at depth 4 the chain with anchors (0, 4, 5), signs (−, −, +)
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
    return mirror_dictionary_checked(
        as_1d_data(x),
        depth,
        activation,
        leak,
        reflections,
        max_features,
        random_state,
        deduplicate,
        memory_limit,
    )


def mirror_dictionary_checked(
    x, depth, activation, leak, reflections, max_features, random_state, deduplicate, memory_limit
):
    """:func:`mirror_dictionary` of samples ``x`` already checked (:func:`as_1d_data`, or
    an estimator's validated column and :func:`as_1d_checked`)."""
    check_option(activation, "activation", tuple(DEPTHS))
    depth = _check_depth(depth, activation)
    leak = float(leak)
    if activation == "leaky_relu" and not 0.0 <= leak < 1.0:
        raise ValueError(f"leak must be in [0, 1) for a leaky ReLU; got {leak}")
    pts, inverse = np.unique(x, return_inverse=True)
    if pts.size < 2:
        raise ValueError("x must hold at least two distinct values")
    sigma = activation_function(activation, leak)
    refl = bool(reflections) and activation == "relu" and depth == 4
    # values of homogeneous chains scale with the data; sign and threshold values do not
    scale = float(pts[-1] - pts[0]) if activation in HOMOGENEOUS else 1.0
    if max_features is not None:
        m = as_positive_int(max_features, "max_features")
        rng = as_generator(random_state)
        states = _sampled(pts, depth, activation, sigma, refl, m, rng)
        states = _finish(states, RowDedupe(scale, deduplicate))
        n_candidates, exact = m, False
    else:
        states, n_candidates = _enumerated(
            pts, depth, activation, sigma, refl, scale, deduplicate, memory_limit
        )
        exact = True
    _check_matrix_memory(states.values.shape[0], x.size, pts.size, depth, activation, memory_limit)
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


def _enumerated(pts, depth, activation, sigma, reflections, scale, deduplicate, memory_limit):
    """Every chain of the index space, layer by layer, deduplicated on the data.

    Returns the chains (:class:`_States`) and how many candidates the last
    layer evaluated. Refuses (``DictionaryTooLargeError``) a first layer or a
    layer's chains above ``memory_limit``, and a layer evaluating more than
    ``MAX_CANDIDATE_VALUES`` values, before building it.
    """
    _check_first_layer_memory(pts.size, depth, activation, reflections, memory_limit)
    states = _first_layer(pts, activation, sigma, reflections)
    n_candidates = states.values.shape[0]
    for layer in range(2, depth):
        n_candidates = _layer_count(states, pts.size, depth, activation, layer)
        states = _expand(
            states,
            pts,
            activation,
            sigma,
            RowDedupe(scale, deduplicate),
            last=layer == depth - 1,
            budget=_layer_budget(pts.size, depth, activation, layer, n_candidates, memory_limit),
            # a block's temporaries (values, keys, hashes: about 8 arrays) within a budget
            block_values=min(_BLOCK_VALUES, max(1, int(memory_limit) // 64)),
        )
    if depth == 2:
        states = _finish(states, RowDedupe(scale, deduplicate))
    return states, n_candidates


def _remedy(depth, activation):
    return (
        f"sample it instead: mirror_dictionary(x, {depth}, {activation!r}, "
        "max_features=200_000, random_state=0), or raise memory_limit"
    )


def _check_first_layer_memory(N, depth, activation, reflections, memory_limit):
    """Refuse a first layer (chains and their values on ``N`` points) above ``memory_limit``."""
    first = (N + (N * (N - 1) if reflections else 0)) * (1 if activation == "abs" else 2)
    check_memory(
        first * (N * 8 + 48),
        memory_limit,
        what=(
            f"the first layer of the depth-{depth} {activation} dictionary of {N} points "
            f"({first:,} chains" + (", reflections included)" if reflections else ")")
        ),
        remedy=_remedy(depth, activation),
        error=DictionaryTooLargeError,
        n_atoms=first,
    )


def _layer_count(states, N, depth, activation, layer):
    """Chains ``layer`` would evaluate from ``states``; refused above ``MAX_CANDIDATE_VALUES``."""
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
    return count


def _layer_budget(N, depth, activation, layer, count, memory_limit):
    """The ``budget(held)`` of :func:`_expand`: refuses kept chains above ``memory_limit``."""

    def budget(held):
        # counted while the layer is built: refused before the next block
        check_memory(
            held,
            memory_limit,
            what=(
                f"the depth-{depth} {activation} dictionary of {N} points (up to "
                f"{count:,} chains at layer {layer}, counted while they are built)"
            ),
            remedy=_remedy(depth, activation),
            error=DictionaryTooLargeError,
            n_atoms=count,
        )

    return budget


def _check_matrix_memory(M, n_samples, N, depth, activation, memory_limit):
    """Refuse a finished matrix of ``M`` columns on ``n_samples`` samples above ``memory_limit``."""
    need = M * n_samples * 8
    if need > memory_limit:
        raise DictionaryTooLargeError(
            f"the depth-{depth} {activation} dictionary of {N} points has {M:,} distinct columns; "
            f"its matrix needs {format_bytes(need)}, above memory_limit = "
            f"{format_bytes(memory_limit)}. "
            "Sample it instead (max_features=..., random_state=...) or raise memory_limit",
            n_atoms=M,
            required_bytes=need,
            limit_bytes=memory_limit,
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
        sigma = activation_function(self.activation, self.leak)
        out = np.empty((t.size, self.n_columns))
        block = max(1, _BLOCK_VALUES // max(t.size, 1))
        for start in range(0, self.n_columns, block):
            sl = slice(start, start + block)
            out[:, sl] = chain_values(t, self.anchors[sl], self.signs[sl], sigma).T
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
        sigma = activation_function(self.activation, self.leak)
        lo = chain_values(cand - eps, self.anchors[j : j + 1], self.signs[j : j + 1], sigma)[0]
        hi = chain_values(cand + eps, self.anchors[j : j + 1], self.signs[j : j + 1], sigma)[0]
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
        if kinks.size == 0:  # e.g. a ReLU that never switches on (deduplicate=False keeps it)
            f = _chain_function(self.anchors[j], self.signs[j], self.activation, self.leak)
            if f.left == 0.0:
                return f"constant {_num(float(f.at(0.0)))}"
            return f"{self.activation} chain: linear, slope {_num(f.left)}"
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
