"""Reflection features of d-dimensional data: the depth-3 absolute-value Lasso dictionary.

Overview
--------
A depth-3 network with absolute-value activations on d-dimensional data is a
Lasso over *reflection* features (docs/mathematics.md §4.6): each is the distance from ``x``
to the union of a hyperplane ``H_j`` through a sample ``x_j`` and its mirror
image across the parallel hyperplane ``H_i`` through another sample ``x_i``,

.. math::

    \\varphi(x) = \\bigl|\\, |w \\cdot x - w \\cdot x_i| - |w \\cdot x_j - w \\cdot x_i| \\,\\bigr|,

with the unit normals ``w`` of the hyperplanes through ``d`` samples (the
wedge atoms). In one dimension these are the depth-3 absolute-value chains of
:mod:`geolasso.mirror`, with kinks at ``x_i``, ``x_j`` and ``2 x_i − x_j``.

:func:`reflection_dictionary` builds the dictionary (deduplicated on the
data) and returns a :class:`ReflectionDictionary`, which evaluates its
columns anywhere and names each column's hyperplanes.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

from ._dedupe import RowDedupe
from ._validation import as_float_array, as_generator, as_positive_int
from .algebra import hyperplane, subsets
from .exceptions import DictionaryTooLargeError
from .memory import DEFAULT_MEMORY_LIMIT, format_bytes

__all__ = ["ReflectionDictionary", "reflection_dictionary"]


@dataclass
class ReflectionDictionary:
    """Depth-3 absolute-value features in d dimensions (see :func:`reflection_dictionary`).

    Column ``k`` uses the unit normal ``normals[normal[k]]`` (of the
    hyperplane through the samples ``subsets[normal[k]]``) and the samples
    ``i = first[k]``, ``j = second[k]``:
    ``φ(x) = | |w·x − w·x_i| − |w·x_j − w·x_i| |``, the distance from ``x`` to
    the union of the hyperplane ``H_j`` through ``x_j`` and its mirror image
    across the parallel hyperplane ``H_i`` through ``x_i`` (docs/mathematics.md §4.6).

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
    """Depth-3 absolute-value reflection features of d-dimensional data (docs/mathematics.md §4.6).

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
    if max_features is None:
        S, normal, first, second = _all_triples(n, d, memory_limit)
        exact = True
    else:
        m = as_positive_int(max_features, "max_features")
        S, normal, first, second = _sampled_triples(n, d, m, as_generator(random_state))
        exact = False
    normals, ok = _unit_normals(X, S)
    live = ok[normal]
    normal, first, second = normal[live], first[live], second[live]
    keep = _distinct_columns(X, normals, normal, first, second)
    return ReflectionDictionary(
        X=X.copy(),
        normals=normals,
        subsets=np.asarray(S),
        normal=normal[keep],
        first=first[keep],
        second=second[keep],
        exact=exact,
        n_candidates=int(normal.size),
    )


def _all_triples(n, d, memory_limit):
    """Every (normal, i, j): the ``d``-subsets ``S``, and per candidate its subset, ``i``, ``j``.

    Refused (``DictionaryTooLargeError``) when the candidates' values on the
    ``n`` samples would pass ``memory_limit``.
    """
    n_subsets = comb(n, d) if d > 1 else 1  # in 1-D every normal is the same
    total = n_subsets * n * (n - 1)
    need = total * n * 8
    if need > memory_limit:
        raise DictionaryTooLargeError(
            f"the exhaustive reflection dictionary of {n} samples in R^{d} has {total:,} "
            f"candidate columns ({n_subsets:,} normals x {n * (n - 1):,} ordered pairs); "
            f"evaluating them needs {format_bytes(need)}, above memory_limit = "
            f"{format_bytes(memory_limit)}. Sample it instead: reflection_dictionary(X, "
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
    return S, normal, first, second


def _sampled_triples(n, d, m, rng):
    """``m`` (normal, i, j) drawn uniformly, ``i != j``: one ``d``-subset per candidate."""
    S = np.sort(np.array([rng.choice(n, d, replace=False) for _ in range(m)]), axis=1)
    normal = np.arange(m)
    first = rng.integers(0, n, size=m)
    second = (first + rng.integers(1, n, size=m)) % n  # j != i
    return S, normal, first, second


def _unit_normals(X, S):
    """Unit normals (canonically oriented) of the hyperplanes through ``X[S]``, and which exist.

    A subset whose samples span no hyperplane gets a zero row and ``False``;
    a ValueError when none does.
    """
    d = X.shape[1]
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
    return normals, ok


def _distinct_columns(X, normals, normal, first, second):
    """Candidates kept: non-constant on the data, one per feature (up to a constant)."""
    V = _reflection_values(X, X, normals, normal, first, second)
    scale = float(np.ptp(X)) or 1.0
    key = V - V[:1]
    nonconstant = np.flatnonzero(np.any(np.abs(key) > 1e-12 * scale, axis=0))
    return nonconstant[RowDedupe(scale).new(key[:, nonconstant].T)]
