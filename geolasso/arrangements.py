"""Activation patterns of ReLU neurons on a data set: the cells of a hyperplane arrangement.

Overview
--------
A ReLU neuron ``u`` (weights and bias, ``u ∈ R^r``) is active on the samples
with ``z_iᵀu > 0``, where ``z_i`` is the sample (no bias, ``Z = X``) or the
sample with a 1 appended (``Z = [X, 1]``). Its **activation pattern**
``1[Z u > 0]`` is constant on each cell of the central hyperplane arrangement
``{u : z_iᵀu = 0}``; the convex program of a two-layer ReLU network has one
pair of variables per pattern (docs/mathematics.md §2.1–2.2).

**Exact enumeration** (:func:`enumerate_patterns`, docs/mathematics.md §2.1). Every cell of
an essential arrangement in ``R^r`` (``r >= 2``) has an extreme ray, and every
extreme ray is ``±×(Z_S)``, the generalized cross product of ``r - 1``
linearly independent rows (a wedge of samples). The cells around a ray ``c``
are those of the smaller arrangement of the rows through ``c`` (``z_iᵀc =
0``), seen in the ``(r - 1)``-dimensional space orthogonal to ``c``: in
general position these are the ``r - 1`` rows of ``S`` and their ``2^(r-1)``
orthants; with degenerate data (three collinear samples, repeated samples)
more rows pass through ``c`` and the same enumeration runs recursively on
them. A step ``c + ε d`` with ``d`` inside one of those smaller cells and
``ε`` below the distance to every other hyperplane lands in the matching
cell, so every pattern is read off combinatorially: no cell is missed and no
sign depends on rounding at a tie. Cost ``O(C(n, r - 1) 2^(r-1) n r)``:
polynomial in ``n`` for fixed rank, exponential in ``r``.

In general position the number of cells is ``2 Σ_{k<r} C(n - 1, k)``
(:func:`pattern_count`); degenerate data have fewer.

**Sampling** (:func:`sample_patterns`, docs/mathematics.md §2.1): Gaussian gates, wedge
gates (hyperplanes through randomly drawn samples, nudged into an adjacent
cell), and Gaussian weights with a bias chosen so that a given proportion of
the samples is active (``active_proportion``). Sampled patterns are a subset
of all cells; a convex program over them is a restriction (its optimum is an
upper bound).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from ._validation import as_float_array, as_generator, as_positive_int, scale_exponent
from .algebra import cross, cross_all
from .exceptions import DictionaryTooLargeError
from .memory import DEFAULT_MEMORY_LIMIT, as_memory_limit, check_memory, chunk_rows, format_bytes
from .wedge_build import bias_name, first_unique_rows

__all__ = ["ActivationPatterns", "enumerate_patterns", "pattern_count", "sample_patterns"]

#: Relative size below which a row counts as passing through a ray, or a singular value
#: as zero.
_TOL = 1e-10


@dataclass
class ActivationPatterns:
    """Activation patterns of a data set, exact or sampled.

    Attributes
    ----------
    patterns : ndarray of bool, shape (n_patterns, n_samples)
        One distinct pattern ``1[Z u > 0]`` per row.
    gates : ndarray of float64, shape (n_patterns, r)
        A neuron ``u`` (in the coordinates of ``Z``: weights, then the bias
        when there is one) with that pattern, strictly inside its cell up to
        rounding.
    exact : bool
        True when every cell was enumerated.
    method : str
        ``"exact"``, ``"gaussian"``, ``"wedge"`` or ``"active_proportion"``.
    bias : {"free", "none", "regularized"}
        Whether ``Z`` has the ones column.
    n_zero : int
        All-zero patterns left out (a neuron active nowhere adds nothing).
    """

    patterns: np.ndarray
    gates: np.ndarray
    exact: bool
    method: str
    bias: str
    n_zero: int

    @property
    def n_patterns(self) -> int:
        """int: number of patterns kept."""
        return self.patterns.shape[0]

    def __repr__(self) -> str:
        return (
            f"ActivationPatterns(n_patterns={self.n_patterns}, n_samples="
            f"{self.patterns.shape[1]}, exact={self.exact}, method={self.method!r})"
        )


def pattern_count(n_samples: int, rank: int) -> int:
    """Cells of a central arrangement of ``n`` hyperplanes in general position in ``R^r``.

    ``2 Σ_{k=0}^{r-1} C(n - 1, k)`` (docs/mathematics.md §2.1); an upper bound for any data
    of that rank. With a free bias ``r = d + 1`` (no ``d + 1`` samples on a
    common affine hyperplane), without one ``r = d``. The count includes the
    all-zero pattern when the arrangement has that cell.

    Parameters
    ----------
    n_samples : int
        ``n``.
    rank : int
        ``r``, the rank of ``Z``.

    Returns
    -------
    int

    Examples
    --------
    >>> pattern_count(7, 3), pattern_count(160, 3)  # 2-D with bias; the spiral
    (44, 25442)
    """
    n = as_positive_int(n_samples, "n_samples")
    r = as_positive_int(rank, "rank")
    return 2 * sum(math.comb(n - 1, k) for k in range(min(r, n)))


def pattern_design(X, bias, *, checked=False):
    """``Z`` of standardised samples ``2^k X`` (with the ones column), the bias name, ``k``.

    Activation patterns do not depend on the scale of ``X`` (a gate ``(w, b)``
    of ``2^k X`` is the gate ``(2^k w, b)`` of ``X``), so every rank and tie
    decision is made on samples of magnitude about 1: ``k`` is 0 for ordinary
    data (:func:`geolasso._validation.scale_exponent`) and only exponents
    change otherwise. ``checked``: ``X`` was validated by the caller (an estimator's
    fit), and is not converted and checked again.
    """
    if not checked:
        X = as_float_array(X, "X", shape_doc="(n_samples, n_features)")
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X must have shape (n_samples, n_features) with both >= 1; got {X.shape}")
    name = bias_name(bias)
    k = scale_exponent(X, "X", even=False, check_range=False)
    if k:
        X = np.ldexp(X, k)
    Z = X if name == "none" else np.column_stack([X, np.ones(X.shape[0])])
    return Z, name, k


def _unscale_gates(gates, k, bias):
    """Gates of ``2^k X`` as gates of ``X``: the weight columns times ``2^k``."""
    if not k:
        return gates
    gates = np.array(gates, dtype=np.float64)
    d = gates.shape[1] - (bias != "none")
    gates[:, :d] = np.ldexp(gates[:, :d], k)
    return gates


def row_space(Z):
    """An orthonormal basis ``B`` (columns) of the row space of ``Z``."""
    if Z.shape[0] == 0:
        return np.zeros((Z.shape[1], 0))
    _, s, Vt = np.linalg.svd(Z, full_matrices=False)
    rank = int(np.count_nonzero(s > _TOL * s[0])) if s.size and s[0] > 0 else 0
    return Vt[:rank].T


def _ORTHANTS(k):
    """All sign vectors in {-1, +1}^k, shape (2^k, k), int8."""
    return np.array(list(itertools.product((1, -1), repeat=k)), dtype=np.int8).reshape(-1, k)


def _cells(Z, memory_limit=DEFAULT_MEMORY_LIMIT):
    """Sign patterns (q, P) of ``Z w`` over all cells, and a direction ``w`` in each.

    ``Z`` (q, m) has no zero rows. Returns ``signs`` of shape (P, q) with
    entries ±1 and ``W`` of shape (P, m).

    The rays (one per ``rank - 1`` rows) are visited in blocks whose working
    arrays take a fixed share of ``memory_limit`` (:func:`geolasso.memory.chunk_rows`);
    the cells found so far are held as packed bits, deduplicated whenever
    they double, so the peak is the cells themselves (about twice, packed)
    plus one block, whatever the number of rays.
    """
    q, m = Z.shape
    B = row_space(Z)
    rank = B.shape[1]
    if q == 0 or rank == 0:
        return np.zeros((1, q), dtype=np.int8), np.zeros((1, m))
    Zr = Z @ B
    if rank == 1:
        w = np.array([[1.0], [-1.0]])
        return np.sign(w @ Zr.T).astype(np.int8), w @ B.T
    norms = np.linalg.norm(Zr, axis=1)
    orth = _ORTHANTS(rank - 1)
    n_orth = orth.shape[0]
    # per ray: T, |T|, the masked ratios (3 q floats), the through mask, and 2^(rank-1)
    # candidate cells per orientation (q signs, their bits, a direction)
    per_ray = 26 * q + 2 * n_orth * (2 * q + 8 * rank + 8)
    block = chunk_rows(per_ray, memory_limit)
    found = {1.0: _Found(), -1.0: _Found()}  # general-position cells, by orientation
    odd_signs, odd_dirs = [], []  # cells of degenerate rays, in ray order
    seen = set()
    rhs = np.concatenate([orth, np.zeros((n_orth, 1))], axis=1).T.astype(float)
    combos = itertools.combinations(range(q), rank - 1)
    while True:
        subsets = np.fromiter(
            itertools.chain.from_iterable(itertools.islice(combos, block)), dtype=np.int64
        ).reshape(-1, rank - 1)
        if subsets.shape[0] == 0:
            break
        C = cross_all(Zr, subsets)
        size = np.linalg.norm(C, axis=1)
        independent = size > _TOL * np.prod(norms[subsets], axis=1)
        subsets, C = subsets[independent], C[independent] / size[independent, None]
        T = C @ Zr.T  # (rays, q)
        through = np.abs(T) <= _TOL * norms
        step = 0.5 * np.min(np.where(through, np.inf, np.abs(T) / norms), axis=1)
        step[~np.isfinite(step)] = 1.0
        general = np.count_nonzero(through, axis=1) == rank - 1
        if general.any():
            # general position at these rays: the rows through a ray are its subset S, and
            # its cells are the 2^(r-1) sign choices s, reached along d with Z_S d = s, cᵀd = 0
            S, c, t, h = subsets[general], C[general], T[general], step[general]
            A = np.concatenate([Zr[S], c[:, None, :]], axis=1)  # (R, rank, rank)
            d = np.linalg.solve(A, np.broadcast_to(rhs, (A.shape[0], *rhs.shape)))
            d = np.swapaxes(d, 1, 2)  # (R, O, rank)
            d /= np.linalg.norm(d, axis=2, keepdims=True)
            rows = np.arange(S.shape[0])[:, None, None]
            cols = S[:, None, :]
            for tau in (1.0, -1.0):
                sg = np.repeat(np.sign(tau * t).astype(np.int8)[:, None, :], n_orth, axis=1)
                sg[rows, np.arange(n_orth)[None, :, None], cols] = orth[None, :, :]
                found[tau].add(
                    sg.reshape(-1, q) > 0,
                    (tau * c[:, None, :] + h[:, None, None] * d).reshape(-1, rank),
                )
        for r_ in np.flatnonzero(~general):
            # a degenerate ray (more rows through it): enumerate the cells of those rows
            # recursively in the space orthogonal to it; other subsets may give the same ray
            c, t, on = C[r_], T[r_], through[r_]
            lead = np.flatnonzero(np.abs(c) > _TOL)[0]
            key = tuple(np.round(c * np.sign(c[lead]) / _TOL**0.5).astype(np.int64))
            if key in seen:
                continue
            seen.add(key)
            _, _, Vt = np.linalg.svd(c[None, :])
            perp = Vt[1:].T  # (rank, rank - 1): an orthonormal basis orthogonal to c
            sub_signs, sub_w = _cells(Zr[on] @ perp, memory_limit)
            d = sub_w @ perp.T
            d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-300)
            for tau in (1.0, -1.0):
                sg = np.empty((sub_signs.shape[0], q), dtype=np.int8)
                sg[:, ~on] = np.sign(tau * t[~on]).astype(np.int8)
                sg[:, on] = sub_signs
                odd_signs.append(_pack(sg > 0))
                odd_dirs.append(tau * c + step[r_] * d)
    # the cells in the order of their first appearance: positive orientation, negative,
    # then the degenerate rays' (as one pass over all candidates would give them)
    words = _words(q)
    keys = [found[1.0].keys(words), found[-1.0].keys(words), *odd_signs]
    dirs = [found[1.0].dirs(rank), found[-1.0].dirs(rank), *odd_dirs]
    keys, dirs = np.vstack(keys), np.vstack(dirs)
    first = first_unique_rows(keys)
    keys, dirs = keys[first], dirs[first]
    signs = np.where(_unpack(keys, q), np.int8(1), np.int8(-1))
    return signs, dirs @ B.T


def _words(q):
    """64-bit words per packed row of q bits."""
    return max(1, -(-q // 64))


def _pack(rows):
    """Bool rows as 64-bit words (padded), for hashing and compact storage."""
    packed = np.packbits(rows, axis=1)
    pad = (-packed.shape[1]) % 8
    return np.ascontiguousarray(np.pad(packed, ((0, 0), (0, pad)))).view(np.uint64)


def _unpack(words, q):
    """The bool rows (q columns) of :func:`_pack`'s words."""
    return np.unpackbits(np.ascontiguousarray(words).view(np.uint8), axis=1)[:, :q].astype(bool)


class _Found:
    """Cells found so far (packed sign bits and a direction each), first occurrences kept.

    Blocks are appended; the whole is deduplicated (keeping first occurrences,
    in order) whenever it has doubled since the last time, so it holds at most
    about twice its distinct cells.
    """

    def __init__(self):
        self._keys, self._dirs = [], []
        self._rows = 0
        self._distinct = 0

    def add(self, rows, dirs):
        keys = _pack(rows)
        first = first_unique_rows(keys)
        self._keys.append(keys[first])
        self._dirs.append(dirs[first])
        self._rows += first.size
        if self._rows > 2 * max(self._distinct, 1 << 16):
            self._compact()

    def _compact(self):
        if not self._keys:
            return
        keys, dirs = np.vstack(self._keys), np.vstack(self._dirs)
        first = first_unique_rows(keys)
        self._keys, self._dirs = [keys[first]], [dirs[first]]
        self._rows = self._distinct = first.size

    def keys(self, words):
        self._compact()
        return self._keys[0] if self._keys else np.zeros((0, words), dtype=np.uint64)

    def dirs(self, rank):
        self._compact()
        return self._dirs[0] if self._dirs else np.zeros((0, rank))


def enumerate_patterns(
    X,
    *,
    bias=True,
    include_zero: bool = False,
    max_patterns: int | None = None,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
) -> ActivationPatterns:
    """All activation patterns of ReLU neurons on ``X``, by the extreme-ray algorithm.

    See the module overview for the method.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Samples.
    bias : {True, False, "free", "none", "regularized"}, default=True
        Neurons with a bias (``Z = [X, 1]``; free or regularized, the cells
        are the same) or without (``Z = X``).
    include_zero : bool, default=False
        Keep the all-zero pattern (as :func:`pattern_count` counts it).
    max_patterns : int, optional
        Refuse when the general-position bound :func:`pattern_count` exceeds
        this; by default only ``memory_limit`` applies.
    memory_limit : int, default=2 GiB
        Budget in bytes for the patterns and gates.

    Returns
    -------
    ActivationPatterns

    Raises
    ------
    DictionaryTooLargeError
        When the bound on the number of cells does not fit; the message says
        how many and suggests :func:`sample_patterns` with a number.

    Examples
    --------
    docs/mathematics.md T9: seven samples in general position in the plane.

    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(7, 2))
    >>> enumerate_patterns(X, include_zero=True).n_patterns, pattern_count(7, 3)
    (44, 44)
    >>> enumerate_patterns(X, bias=False, include_zero=True).n_patterns
    14
    """
    return enumerate_design(pattern_design(X, bias), include_zero, max_patterns, memory_limit)


def enumerate_design(design, include_zero, max_patterns, memory_limit):
    """:func:`enumerate_patterns` of the design ``(Z, bias name, k)`` of :func:`pattern_design`."""
    Z, name, k = design
    n, r = Z.shape
    zero_rows = np.linalg.norm(Z, axis=1) == 0.0
    rank = row_space(Z[~zero_rows]).shape[1] if np.any(~zero_rows) else 0
    memory_limit = as_memory_limit(memory_limit)
    bound = pattern_count(n, max(rank, 1))
    # at the peak: the cells found, packed, about twice (with their directions), then
    # their signs, the patterns as bools and their deduplicated copy (with the gates)
    per_pattern = 2 * (8 * _words(n) + 8 * r) + 4 * n + 16 * r
    need = bound * per_pattern
    if (max_patterns is not None and bound > max_patterns) or need > memory_limit:
        fits = max(2, int(memory_limit // per_pattern))
        if max_patterns is not None:
            fits = min(fits, max_patterns)
        raise DictionaryTooLargeError(
            f"the {n} samples (rank {rank}) may have up to {bound:,} activation patterns "
            f"(about {format_bytes(need)} at the peak of their enumeration), above "
            + (
                f"max_patterns = {max_patterns:,}"
                if max_patterns is not None and bound > max_patterns
                else f"memory_limit = {format_bytes(memory_limit)}"
            )
            + f". Sample them instead: sample_patterns(X, n_gates={min(fits, 10_000):_}, "
            "random_state=0).",
            n_atoms=bound,
            required_bytes=int(need),
            limit_bytes=int(memory_limit),
        )
    # repeated samples lie on the same hyperplane of the arrangement: enumerate the cells of
    # the distinct rows (fewer, identical cells) and give each copy its row's sign
    distinct, inverse = np.unique(Z[~zero_rows], axis=0, return_inverse=True)
    signs, gates = _cells(distinct, memory_limit)
    patterns = np.zeros((signs.shape[0], n), dtype=bool)
    patterns[:, ~zero_rows] = (signs > 0)[:, inverse.reshape(-1)]
    return _finish(patterns, _unscale_gates(gates, k, name), True, "exact", name, include_zero)


def _first_unique_rows(rows):
    """Indices (increasing) of the first occurrence of each distinct row of a bool matrix.

    Rows are packed into 64-bit words and deduplicated by hash-sorting them
    (:func:`geolasso.wedge_build.first_unique_rows`).
    """
    if rows.shape[0] == 0:
        return np.empty(0, dtype=np.int64)
    return first_unique_rows(_pack(rows))


def _finish(patterns, gates, exact, method, bias, include_zero):
    first = _first_unique_rows(patterns)
    patterns, gates = patterns[first], gates[first]
    zero = ~patterns.any(axis=1)
    n_zero = int(np.count_nonzero(zero))
    if not include_zero:
        patterns, gates = patterns[~zero], gates[~zero]
    return ActivationPatterns(patterns, np.ascontiguousarray(gates), exact, method, bias, n_zero)


def sample_patterns(
    X,
    n_gates: int,
    *,
    bias=True,
    method: str = "gaussian",
    active_proportion: float | None = None,
    include_zero: bool = False,
    random_state=None,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
) -> ActivationPatterns:
    """Activation patterns of randomly drawn neurons (distinct ones kept).

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Samples.
    n_gates : int
        Neurons to draw; the result has at most that many distinct patterns.
    bias : {True, False, "free", "none", "regularized"}, default=True
        As in :func:`enumerate_patterns`.
    method : {"gaussian", "wedge"}, default="gaussian"
        ``"gaussian"``: standard normal ``u`` (weights and bias). ``"wedge"``:
        the hyperplane through ``r - 1`` random samples (its cross product),
        with a random sign, nudged off the samples into an adjacent cell.
    active_proportion : float in (0, 1), optional
        With a bias: Gaussian weights, and the bias that makes that proportion
        of the samples active (scnn's ``active_proportion`` sampler).
    include_zero : bool, default=False
        Keep the all-zero pattern.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of every draw.
    memory_limit : int, default=2 GiB
        Budget of the gates and patterns (about ``3 n + 24 r`` bytes a gate);
        the pre-activations are formed in blocks within a quarter of it.

    Returns
    -------
    ActivationPatterns

    Raises
    ------
    DictionaryTooLargeError
        When ``n_gates`` patterns of these samples do not fit in
        ``memory_limit`` (checked before anything is drawn).

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(7, 2))
    >>> sample_patterns(X, 500, random_state=0).n_patterns <= 43
    True
    """
    return sample_design(
        pattern_design(X, bias),
        n_gates,
        method,
        active_proportion,
        include_zero,
        random_state,
        memory_limit,
    )


def sample_design(
    design, n_gates, method, active_proportion, include_zero, random_state, memory_limit
):
    """:func:`sample_patterns` of the design ``(Z, bias name, k)`` of :func:`pattern_design`."""
    Z, name, k = design
    n, r = Z.shape
    m = as_positive_int(n_gates, "n_gates")
    memory_limit = as_memory_limit(memory_limit)
    # the gates, the patterns (bools), their deduplicated copy and its packed keys
    check_memory(
        m * (3 * n + 8 * _words(n) + 24 * r) + chunk_rows(30 * n, memory_limit) * 30 * n,
        memory_limit,
        what=f"{m:,} sampled activation patterns of {n:,} samples",
        remedy="draw fewer gates (n_gates), or raise memory_limit",
        error=DictionaryTooLargeError,
        n_atoms=m,
    )
    rng = as_generator(random_state)
    if method not in ("gaussian", "wedge"):
        raise ValueError(f"method must be 'gaussian' or 'wedge'; got {method!r}")
    if active_proportion is not None:
        if name == "none":
            raise ValueError("active_proportion needs neurons with a bias (bias=True)")
        if not (isinstance(active_proportion, (int, float)) and 0 < active_proportion < 1):
            raise ValueError(f"active_proportion must be in (0, 1); got {active_proportion!r}")
        W = rng.standard_normal((m, r - 1))
        cut = np.empty(m)
        step = chunk_rows(30 * n, memory_limit)
        for lo in range(0, m, step):  # the samples' pre-activations without bias, in blocks
            pre = Z[:, :-1] @ W[lo : lo + step].T
            cut[lo : lo + step] = np.quantile(pre, 1.0 - active_proportion, axis=0)
        gates = np.column_stack([W, -cut])
        label = "active_proportion"
    elif method == "gaussian":
        gates = rng.standard_normal((m, r))
        label = "gaussian"
    else:
        if n < r - 1:
            raise ValueError(
                f"method='wedge' draws hyperplanes through {r - 1} samples; X has only {n}"
            )
        gates = np.empty((m, r))
        for g in range(m):
            S = rng.choice(n, size=r - 1, replace=False) if r > 1 else []
            c = cross(Z[S]) if r > 1 else np.ones(1)
            if np.linalg.norm(c) == 0.0:  # dependent samples: a Gaussian gate instead
                c = rng.standard_normal(r)
            c = c / np.linalg.norm(c) * rng.choice([-1.0, 1.0])
            gates[g] = c + 1e-6 * rng.standard_normal(r)  # off the samples it passes through
        label = "wedge"
    # the gates' pre-activations in blocks (about 30 bytes a sample and gate at once)
    block = chunk_rows(30 * n, memory_limit)
    row_norms = np.linalg.norm(Z, axis=1)[:, None]
    clear = np.empty(m, dtype=bool)
    patterns = np.empty((m, n), dtype=bool)
    for lo in range(0, m, block):
        G = gates[lo : lo + block]
        T = Z @ G.T
        scale = row_norms * np.linalg.norm(G, axis=1)[None, :]
        clear[lo : lo + block] = np.all((np.abs(T) > _TOL * scale) | (scale == 0.0), axis=0)
        patterns[lo : lo + block] = (T > 0).T  # no ties where clear
    gates = _unscale_gates(gates[clear], k, name)
    return _finish(patterns[clear], gates, False, label, name, include_zero)


def check_patterns(patterns, n_samples, bias):
    """Refuse patterns computed on other samples or with/without a bias column."""
    if not isinstance(patterns, ActivationPatterns):
        raise TypeError(f"patterns must be ActivationPatterns; got {type(patterns).__name__}")
    if patterns.patterns.shape[1] != n_samples:
        raise ValueError(
            f"patterns were computed on {patterns.patterns.shape[1]} samples; X has {n_samples}"
        )
    if (patterns.bias == "none") != (bias == "none"):
        raise ValueError(
            f"patterns were computed with bias={patterns.bias!r}, which does not match "
            f"bias={bias!r}"
        )
