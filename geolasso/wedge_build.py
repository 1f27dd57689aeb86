"""Building a wedge dictionary: its settings, its size, and the hyperplanes of generator subsets.

:class:`geolasso.dictionary.WedgeDictionary` is an operator over hyperplanes;
this module finds them. The steps, in order:

1. :func:`prepare_samples` checks the options, copies the samples (read-only)
   and standardises their scale (:class:`Samples`);
2. the generator subsets are chosen: all of them, a seeded uniform sample
   (:func:`sample_subsets`), or random subsets of samples, optionally in a
   CountSketch space (:func:`count_sketch`); their number is counted
   (:func:`n_subsets`, :func:`dictionary_size`) and the build's memory
   (:func:`build_bytes`) refused above ``memory_limit`` before anything is
   allocated (:func:`raise_too_large`);
3. each subset's normal is the generalized cross product of its generators
   (:func:`geolasso.algebra.cross_all`); :func:`finish` drops the dependent,
   flat and duplicate hyperplanes (counted), normalises the rest and maps them
   back to the samples' own scale (:func:`unstandardise`), giving
   :class:`Hyperplanes`.

:func:`exhaustive_or_sampled` and :func:`through_samples` run the whole
build for the constructor and for :meth:`WedgeDictionary.sample`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import (
    as_float_array,
    as_generator,
    as_positive_int,
    check_option,
    scale_exponent,
)
from .algebra import cross_all
from .algebra import subsets as _all_subsets
from .exceptions import DictionaryTooLargeError
from .memory import format_bytes

__all__ = [
    "BIAS_NAMES",
    "ZERO_RTOL",
    "Hyperplanes",
    "Samples",
    "bias_name",
    "build_bytes",
    "count_sketch",
    "dictionary_size",
    "exhaustive_or_sampled",
    "finish",
    "first_unique_rows",
    "n_subsets",
    "prepare_samples",
    "raise_too_large",
    "sample_subsets",
    "setting_of",
    "subset_size",
    "through_samples",
    "unstandardise",
]

_BIAS_OPTIONS = (True, False, "free", "none", "regularized")
_SETTING = {True: "B", "free": "B", False: "A", "none": "A", "regularized": "C"}
#: The settings' names.
BIAS_NAMES = {"A": "none", "B": "free", "C": "regularized"}
_GENERATORS = ("data+basis", "data")
_NORMS = ("l1", "l2")
#: Relative quantum used to recognise equal normalised atoms.
_DEDUPE_RTOL = 1e-9

#: Relative size below which a pre-activation counts as zero (flat atoms, patterns).
ZERO_RTOL = 1e-9


def _kernels():
    from . import _dictionary_kernels

    return _dictionary_kernels


def bias_name(bias) -> str:
    """The bias setting by name, ``"free"``, ``"none"`` or ``"regularized"``.

    Parameters
    ----------
    bias : {True, False, "free", "none", "regularized"}
        As in :class:`WedgeDictionary`.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        For any other value, listing the accepted ones.
    """
    return BIAS_NAMES[setting_of(bias)]


def setting_of(bias) -> str:
    """The setting's letter, ``"A"`` (no bias), ``"B"`` (free) or ``"C"`` (regularized)."""
    check_option(bias, "bias", _BIAS_OPTIONS)
    return _SETTING[bias]


def subset_size(setting: str, d: int) -> int:
    """Generators per hyperplane: ``d - 1`` without a bias (through the origin), else ``d``."""
    return d - 1 if setting == "A" else d


def n_subsets(n: int, d: int, setting: str, generators: str) -> int:
    """Number of generator subsets of the exhaustive dictionary."""
    k = subset_size(setting, d)
    if generators == "data":
        return math.comb(n, k)
    if setting == "A":
        return math.comb(n + d, k)
    if setting == "B":  # every subset but the one made of the d directions alone
        return math.comb(n + d, k) - 1
    return math.comb(n + d + 1, k)


def dictionary_size(
    n_samples: int, n_features: int, *, bias=True, generators: str = "data+basis"
) -> int:
    """Number of atoms of an exhaustive wedge dictionary, counted without building it.

    Twice the number of generator subsets (both orientations), before
    linearly dependent subsets and duplicate atoms are removed (docs/mathematics.md §4.3):
    ``2 C(n + d, d - 1)`` (no bias), ``2 (C(n + d, d) - 1)`` (free bias),
    ``2 C(n + d + 1, d)`` (regularized bias) with basis generators, and
    ``2 C(n, d - 1)`` / ``2 C(n, d)`` with data generators only.

    Parameters
    ----------
    n_samples : int
        Number of training samples ``n``.
    n_features : int
        Their dimension ``d``.
    bias : {True, False, "free", "none", "regularized"}, default=True
        The setting, as in :class:`WedgeDictionary`.
    generators : {"data+basis", "data"}, default="data+basis"
        The generator set, as in :class:`WedgeDictionary`.

    Returns
    -------
    int

    Examples
    --------
    >>> dictionary_size(160, 2)  # the exact dictionary of the 2-D spiral
    26080
    >>> dictionary_size(160, 2, generators="data")
    25440
    """
    n = as_positive_int(n_samples, "n_samples")
    d = as_positive_int(n_features, "n_features")
    check_option(generators, "generators", _GENERATORS)
    return 2 * n_subsets(n, d, setting_of(bias), generators)


def build_bytes(n_subsets: int, k: int, D: int) -> int:
    """Peak memory of building hyperplanes from ``n_subsets`` subsets (estimate).

    The arrays alive at once (subsets, raw and normalised normals, dedupe keys,
    the kept copies and a few per-subset scalars) come to ``8 (k + 3D + 4)``
    bytes per subset; the measured peak resident memory of a build, with its
    temporaries, is 2.4 to 3.4 times that (2-D to 4-D, with and without a
    bias, 0.6 to 4.5 million subsets), so the estimate is 3.5 times it.
    """
    return n_subsets * 28 * (k + 3 * D + 4)


def sample_subsets(N, k, m, rng, n_data, need_data):
    """A seeded uniform sample of ``m`` distinct k-subsets of ``range(N)``.

    Subsets whose indices are all ``>= n_data`` are excluded when ``need_data``.
    Rows are sorted, and the rows are in lexicographic order.
    """
    total = math.comb(N, k) - (1 if need_data and N - n_data >= k else 0)
    if total <= max(4 * m, 2_000_000):
        every = _all_subsets(N, k)
        if need_data:
            every = every[every[:, 0] < n_data]
        pick = np.sort(rng.choice(every.shape[0], size=m, replace=False))
        return every[pick]
    chosen = np.empty((0, k), dtype=np.int64)
    while chosen.shape[0] < m:
        batch = int(1.3 * (m - chosen.shape[0])) + 64
        draw = np.sort(rng.integers(0, N, size=(batch, k)), axis=1)
        keep = np.all(np.diff(draw, axis=1) > 0, axis=1)
        if need_data:
            keep &= draw[:, 0] < n_data
        chosen = np.concatenate([chosen, draw[keep]])
        _, first = np.unique(chosen, axis=0, return_index=True)
        chosen = chosen[np.sort(first)]  # first occurrences, in draw order
    chosen = chosen[:m]
    return chosen[np.lexsort(chosen.T[::-1])]


def count_sketch(d, s, rng):
    """Sparse JL (CountSketch) matrix of shape (d, s), ``s <= d``: one random ±1 per row.

    Every column receives at least one row (``s`` distinct rows are dealt one
    to each column, the other ``d - s`` hashed uniformly, then shuffled), so
    ``w = Π v`` is zero only when ``v`` is. A plain uniform hash leaves a
    column empty with probability about ``s (1 − 1/s)^d`` — most draws for
    ``d = 3, s = 3`` — and every normal along it maps to ``w = 0``.
    """
    buckets = rng.permutation(np.concatenate([np.arange(s), rng.integers(0, s, size=d - s)]))
    P = np.zeros((d, s))
    P[np.arange(d), buckets] = rng.choice([-1.0, 1.0], size=d)
    return P


def _first_unique(U):
    """Indices of the first occurrence of each hyperplane, up to sign, in order.

    Hyperplanes are equal when their coordinates agree to a relative
    ``_DEDUPE_RTOL`` (quantised integer keys, up to sign). Rows are sorted by a
    64-bit hash of the key, stably so that the first of a group is its
    earliest row; a lexicographic sort of the keys is used only if two
    different keys share a hash.
    """
    if U.shape[0] == 0:
        return np.empty(0, dtype=np.int64)
    quantum = _DEDUPE_RTOL * np.maximum(np.abs(U).max(axis=0), np.finfo(float).tiny)
    keys = np.empty(U.shape, dtype=np.int64)
    _kernels()._dedupe_keys(np.ascontiguousarray(U), quantum, keys)
    return first_unique_rows(keys)


def first_unique_rows(keys):
    """Indices (increasing) of the first occurrence of each distinct row of an integer matrix.

    Rows are sorted by a 64-bit rolling hash (splitmix64's odd constants;
    array products wrap silently), stably so that the first of a group is its
    earliest row, then compared in full; a lexicographic sort is used only if
    two different rows share a hash.
    """
    if keys.shape[0] == 0:
        return np.empty(0, dtype=np.int64)
    digest = np.zeros(keys.shape[0], dtype=np.uint64)
    for column in keys.T.astype(np.uint64):
        digest = (digest * np.uint64(0x9E3779B97F4A7C15)) ^ (column * np.uint64(0xBF58476D1CE4E5B9))
    order = np.argsort(digest, kind="stable")
    ranked = keys[order]
    differ = np.any(ranked[1:] != ranked[:-1], axis=1)
    if np.any(differ & (digest[order][1:] == digest[order][:-1])):  # a hash collision
        order = np.lexsort(keys.T[::-1])
        ranked = keys[order]
        differ = np.any(ranked[1:] != ranked[:-1], axis=1)
    starts = np.ones(order.size, dtype=bool)
    starts[1:] = differ
    return np.sort(order[starts])


@dataclass(frozen=True)
class Samples:
    """The samples of one dictionary and its options, checked.

    ``X`` is a read-only float64 copy; ``Xa = [X, 1]`` and its transpose ``XT``
    (the operator's layout). Hyperplanes are found, and dependence, flatness,
    duplicates and rank decided, on the standardised samples ``Xs = 2^std_k X``
    (``Xas = [Xs, 1]``; ``std_k = 0`` for ordinary data and in setting C, whose
    penalised bias is not scale-free), then mapped back exactly
    (:func:`unstandardise`).
    """

    X: np.ndarray
    Xa: np.ndarray
    XT: np.ndarray
    Xs: np.ndarray
    Xas: np.ndarray
    std_k: int
    setting: str
    generators: str
    norm: str
    tol: float
    memory_limit: float

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]


@dataclass(frozen=True)
class Hyperplanes:
    """The kept hyperplanes of a build and its counts (see :class:`WedgeDictionary`).

    ``U`` (h, d + 1): unit-normalised ``(w, b)`` rows in the samples' scale;
    ``codes``: generator codes; ``normalizer``: the norms they were divided by;
    ``normalizer_s``: the same for the standardised samples (angular sweeps).
    """

    U: np.ndarray
    codes: np.ndarray
    normalizer: np.ndarray
    normalizer_s: np.ndarray
    n_subsets: int
    n_dependent: int
    n_flat: int
    n_duplicate: int


def prepare_samples(X, bias, generators, norm, tol, memory_limit, *, check_input=True) -> Samples:
    """Check the options and the samples (converted and checked for NaN/inf
    unless ``check_input`` is False: samples an estimator has already
    validated) and standardise their scale."""
    if check_input:
        X = as_float_array(X, "X", shape_doc="(n_samples, n_features)")
    if X.ndim != 2:
        hint = " (reshape 1-D data with X.reshape(-1, 1))" if X.ndim == 1 else ""
        raise ValueError(f"X must have shape (n_samples, n_features); got {X.shape}{hint}")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X needs at least one sample and one feature; got shape {X.shape}")
    setting = setting_of(bias)
    check_option(generators, "generators", _GENERATORS)
    check_option(norm, "norm", _NORMS)
    if not (isinstance(tol, (int, float, np.floating)) and 0.0 <= tol < 1.0):
        raise ValueError(f"tol must be a number in [0, 1); got {tol!r}")
    if not (isinstance(memory_limit, (int, float, np.integer, np.floating)) and memory_limit > 0):
        raise ValueError(f"memory_limit must be a positive number of bytes; got {memory_limit!r}")
    X = X.copy()
    X.setflags(write=False)
    Xa = np.ones((X.shape[0], X.shape[1] + 1))
    Xa[:, :-1] = X
    std_k = 0 if setting == "C" else scale_exponent(X, "X", even=False, check_range=False)
    if std_k:
        Xs = np.ldexp(X, std_k)
        Xas = np.ones_like(Xa)
        Xas[:, :-1] = Xs
    else:
        Xs, Xas = X, Xa
    return Samples(
        X,
        Xa,
        np.ascontiguousarray(Xa.T),
        Xs,
        Xas,
        std_k,
        setting,
        generators,
        norm,
        float(tol),
        memory_limit,
    )


def exhaustive_or_sampled(s: Samples, max_atoms, random_state) -> tuple[Hyperplanes, bool]:
    """The hyperplanes of every generator subset, or of a seeded uniform sample of
    ``max_atoms // 2`` of them when there are more (the constructor's build);
    returns them and whether they were sampled."""
    n, d, setting, generators = s.n_samples, s.n_features, s.setting, s.generators
    k = subset_size(setting, d)
    n_gen = n if generators == "data" else n + d + (setting == "C")
    if generators == "data" and n < k:
        raise ValueError(
            f"X has {n} sample(s); hyperplanes through data points in setting {setting} "
            f"need subsets of {k} samples (n_samples >= {k}), or use "
            "generators='data+basis'"
        )
    total = n_subsets(n, d, setting, generators)
    if max_atoms is not None:
        max_atoms = as_positive_int(max_atoms, "max_atoms", minimum=2)
    sampled = max_atoms is not None and 2 * total > max_atoms
    n_draw = max_atoms // 2 if sampled else total
    need = build_bytes(n_draw, k, d + 1)
    if need > s.memory_limit:
        raise_too_large(s, 2 * n_draw, need, total, sampled)
    need_data = setting == "B" and generators == "data+basis"
    if sampled:
        chosen = sample_subsets(n_gen, k, n_draw, as_generator(random_state), n, need_data)
    else:
        chosen = _all_subsets(n_gen, k)
        if need_data and k:
            chosen = chosen[:-1]  # the last subset is made of the d directions alone
    return from_subsets(s, chosen), sampled


def through_samples(s: Samples, n_atoms, sketch_dim, random_state):
    """The randomized geometric-algebra sampler's build (:meth:`WedgeDictionary.sample`):
    hyperplanes through random subsets of samples, in a CountSketch space when
    ``sketch_dim`` is given. Returns ``(Hyperplanes, sampled, sketch_dim)``."""
    n_atoms = as_positive_int(n_atoms, "n_atoms", minimum=2)
    rng = as_generator(random_state)
    n, d, setting = s.n_samples, s.n_features, s.setting
    if sketch_dim is None:
        k = subset_size(setting, d)
        if n < k:
            raise ValueError(
                f"X has {n} sample(s); hyperplanes through samples need n_samples >= {k}"
            )
        total = math.comb(n, k)
        m = min(n_atoms // 2, total)
        sampled = m < total
        need = build_bytes(m, k, d + 1)
        if need > s.memory_limit:
            raise_too_large(s, 2 * m, need, total, sampled)
        chosen = sample_subsets(n, k, m, rng, n, False) if sampled else _all_subsets(n, k)
        return from_subsets(s, chosen), sampled, None
    sk = as_positive_int(sketch_dim, "sketch_dim", minimum=2)
    if sk > d:
        raise ValueError(f"sketch_dim must be at most n_features = {d}; got {sk}")
    k = sk - 1 if setting == "A" else sk
    if n < k:
        raise ValueError(
            f"X has {n} sample(s); hyperplanes through sketched samples need "
            f"n_samples >= {k} (sketch_dim = {sk})"
        )
    m = n_atoms // 2
    need = build_bytes(m, k, d + 1) + 8 * m * sk * (sk + 2)
    if need > s.memory_limit:
        raise_too_large(s, 2 * m, need, math.comb(n, k), True)
    Pi = count_sketch(d, sk, rng)
    chosen = sample_subsets(n, k, min(m, math.comb(n, k)), rng, n, False)
    P = s.Xs @ Pi  # sketched (standardised) samples, shape (n, sk)
    if setting == "A":
        v = cross_all(P, chosen)
        scale = np.prod(np.linalg.norm(P, axis=1)[chosen], axis=1) if k else 1.0
        raw = np.hstack([v @ Pi.T, np.zeros((v.shape[0], 1))])
    else:
        diffs = P[chosen[:, :-1]] - P[chosen[:, -1]][:, None, :]  # (m, sk - 1, sk)
        flat = diffs.reshape(-1, sk)
        idx = np.arange(flat.shape[0]).reshape(diffs.shape[0], sk - 1)
        v = cross_all(flat, idx)
        scale = np.prod(np.linalg.norm(diffs, axis=2), axis=1)
        b = -np.einsum("ms,ms->m", P[chosen[:, -1]], v)
        raw = np.column_stack([v @ Pi.T, b])
    return finish(s, raw, chosen, scale, int(chosen.shape[0])), True, sk


def raise_too_large(s: Samples, n_atoms, need, total, sampled):
    """Raise :class:`DictionaryTooLargeError` for a build needing ``need`` bytes,
    saying how to sample instead."""
    n, d = s.n_samples, s.n_features
    what = "sampled" if sampled else "exhaustive"
    fits = int(s.memory_limit / need * n_atoms)  # atoms that fit the budget
    suggestion = max(2, min(fits, 1_000_000) // 2 * 2)
    full = f"; the exhaustive one has {2 * total:,}" if sampled else ""
    raise DictionaryTooLargeError(
        f"the {what} wedge dictionary of {n} samples in R^{d} (setting {s.setting}, "
        f"{s.generators} generators) has {n_atoms:,} atoms ({n_atoms // 2:,} generator "
        f"subsets, both orientations{full}); building it "
        f"needs about {format_bytes(need)}, above memory_limit = "
        f"{format_bytes(s.memory_limit)}. "
        f"Sample it instead: WedgeDictionary(X, max_atoms={suggestion:_}, "
        "random_state=0) draws a seeded uniform sample of its subsets, and "
        "WedgeDictionary.sample(X, n_atoms, sketch_dim=...) is the randomized "
        "geometric-algebra sampler; or raise memory_limit.",
        n_atoms=n_atoms,
        required_bytes=int(need),
        limit_bytes=int(s.memory_limit),
    )


def _generator_matrix(s: Samples):
    """Generators as rows: (augmented, standardised) samples first, then the directions."""
    d, setting = s.n_features, s.setting
    rows = [s.Xs] if setting == "A" else [s.Xas]
    if s.generators == "data+basis":
        width = d if setting == "A" else d + 1
        rows.append(np.eye(d + (setting == "C"), width))
    return np.ascontiguousarray(np.vstack(rows))


def from_subsets(s: Samples, chosen) -> Hyperplanes:
    """The hyperplanes of the generator subsets ``chosen`` (rows of generator
    indices: samples first, then the directions)."""
    G = _generator_matrix(s)
    raw = cross_all(G, chosen)
    if s.setting == "A":
        raw = np.hstack([raw, np.zeros((raw.shape[0], 1))])
    scale = np.prod(np.linalg.norm(G, axis=1)[chosen], axis=1) if chosen.shape[1] else 1.0
    codes = chosen.copy()
    data = codes < s.n_samples
    codes[~data] = -(codes[~data] - s.n_samples + 1)
    return finish(s, raw, codes, scale, int(chosen.shape[0]))


def finish(s: Samples, raw, codes, scale, n_subsets_) -> Hyperplanes:
    """Normalise, drop dependent, flat and duplicate hyperplanes (counted); the rest,
    read-only, in the samples' own scale."""
    d = s.n_features
    weight_part = raw if s.setting == "C" else raw[:, :d]
    size = np.linalg.norm(weight_part, axis=1)
    keep = size > s.tol * scale
    n_dependent = int(np.count_nonzero(~keep))
    raw, codes, weight_part = raw[keep], codes[keep], weight_part[keep]
    ord_ = 1 if s.norm == "l1" else 2
    normalizer = np.linalg.norm(weight_part, ord=ord_, axis=1)
    U = raw / normalizer[:, None]
    n_flat = 0
    rank = np.linalg.matrix_rank(s.Xas if s.setting != "A" else s.Xs)
    if rank < (d if s.setting == "A" else d + 1) and U.shape[0]:
        top = np.empty(U.shape[0])
        XsT = np.ascontiguousarray(s.Xas.T)
        _kernels()._max_abs_preactivation(XsT, np.ascontiguousarray(U), top)
        reach = np.linalg.norm(s.Xas, axis=1).max() * np.linalg.norm(U, axis=1)
        nonflat = top > ZERO_RTOL * reach
        n_flat = int(np.count_nonzero(~nonflat))
        U, codes, normalizer = U[nonflat], codes[nonflat], normalizer[nonflat]
    first = _first_unique(U)
    n_duplicate = int(U.shape[0] - first.size)
    U, codes, normalizer = U[first], codes[first], normalizer[first]
    if U.shape[0] == 0:
        _raise_nothing_left(s, rank, n_subsets_, n_dependent, n_flat)
    normalizer_s = normalizer  # of the standardised samples (angular sweeps)
    if s.std_k:
        U, normalizer = unstandardise(s, U, codes, normalizer)
    U = np.ascontiguousarray(U)
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    for arr in (U, codes, normalizer, normalizer_s):
        arr.setflags(write=False)
    return Hyperplanes(
        U, codes, normalizer, normalizer_s, n_subsets_, n_dependent, n_flat, n_duplicate
    )


def unstandardise(s: Samples, U, codes, normalizer):
    """Hyperplanes of the standardised samples ``2^k X`` as hyperplanes of ``X``.

    ``w·(2^k x) + b = 0`` is ``w·x + 2^-k b = 0`` after dividing by
    ``2^k``: the unit weights stay, the bias is divided by ``2^k``. The
    normaliser (the weight part of the generators' cross product) is a
    minor with one factor ``2^k`` per sample generator (less one with the
    ones column), divided back out. Only exponents change.
    """
    k = s.std_k
    U = U.copy()
    U[:, -1] = np.ldexp(U[:, -1], -k)
    n_data = np.count_nonzero(codes >= 0, axis=1) if codes.ndim == 2 else 0
    q = n_data - (s.setting == "B")
    normalizer = np.ldexp(normalizer, -k * q)
    if not (np.all(np.isfinite(normalizer)) and np.all(normalizer > 0.0)):
        top = float(np.abs(s.X).max())
        raise ValueError(
            f"X has largest magnitude {top:.3g}: the volumes that normalise its wedge "
            "atoms (products of up to d - 1 coordinates) leave float64's range. Rescale X "
            "to magnitudes near 1"
        )
    return U, normalizer


def _raise_nothing_left(s: Samples, rank, n_subsets_, n_dependent, n_flat):
    n, d = s.n_samples, s.n_features
    full = d if s.setting == "A" else d + 1
    what = "the matrix X" if s.setting == "A" else "the augmented matrix [X, 1]"
    geometry = (
        "all samples are identical"
        if s.setting != "A" and rank <= 1
        else "all samples lie on a common hyperplane (for d = 2: they are collinear)"
        if rank < full
        else "every generator subset drawn is linearly dependent"
    )
    rank_text = f"has rank {rank} < {full}" if rank < full else f"has full rank {full}"
    raise ValueError(
        f"no atom survives for these {n} samples in R^{d}: {geometry}; {what} "
        f"{rank_text}. Dropped {n_dependent} dependent and {n_flat} flat "
        f"subset(s) of {n_subsets_}."
        + (
            " Basis generators (generators='data+basis') add atoms that do not pass "
            "through data points only."
            if s.generators == "data"
            else ""
        )
    )
