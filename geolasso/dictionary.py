"""Wedge-product dictionaries: the Lasso features of two-layer ReLU networks.

Overview
--------
Training a two-layer ReLU network ``f(x) = c + Σ_j v_j (w_j·x + b_j)_+`` with
the penalty ``(α/2) Σ_j (‖w_j‖_1² + v_j²)`` is equivalent to a Lasso

.. math::

    \\min_{z, c} \\frac{1}{2n} \\lVert y - K z - c \\mathbf{1} \\rVert_2^2
    + \\alpha \\lVert z \\rVert_1

over a finite dictionary ``K`` whose atoms are hyperplanes through training
samples (docs/mathematics.md §4.3). Each atom comes from a set ``S`` of *generators*: for a
free bias (setting B), ``d`` points among the augmented samples
``x̃_i = (x_i, 1)`` and the directions ``(e_k, 0)``; its normal
``(w_S, b_S) = ×(S)`` is their generalized cross product
(:func:`geolasso.cross`), i.e. the Hodge dual of their wedge. The feature of
the atom on a sample ``x`` is

.. math::

    K[x, (S, \\pm)] = \\frac{(\\pm \\det[\\tilde x; S])_+}{\\lVert w_S \\rVert_1}
    = \\frac{(\\pm (w_S \\cdot x + b_S))_+}{\\lVert w_S \\rVert_1},

the ReLU of the signed volume of the parallelotope spanned by ``x`` and the
generators, divided by the norm of the hyperplane's normal. Geometrically an
atom is a hyperplane through ``d`` samples, or through fewer samples and
parallel to coordinate axes; its two *orientations* ``±`` are both needed
because the ReLU is not odd.

The three settings of docs/mathematics.md §4.3:

======  ==================  =================================  ====================
name    ``bias=``           generators (subset size)           normalizer
======  ==================  =================================  ====================
A       ``False``           ``x_i``, ``e_k`` in R^d (d - 1)    ``‖w‖``
B       ``True``            ``x̃_i``, ``(e_k, 0)`` (d);         ``‖w‖`` (``b`` free,
                            at least one sample                output intercept)
C       ``"regularized"``   ``x̃_i``, ``e_1..e_{d+1}`` (d)      ``‖(w, b)‖`` (no
                                                               intercept)
======  ==================  =================================  ====================

**What is exact** (docs/mathematics.md §0.4, §4.4). With ``norm="l1"`` and
``generators="data+basis"`` the Lasso optimum equals the global optimum of
the network with an ℓ1 first-layer norm (any width at least the number of
non-zero coefficients). ``generators="data"`` with ``norm="l2"`` is the
dictionary of earlier research code: its features are ReLUs of signed
distances to hyperplanes through samples, and for ``d >= 2`` its optimum is
only an *upper bound* on the weight-decay (ℓ2) network optimum. In 1-D with a
free bias both norms give the exact ramp dictionary ``(x - x_j)_+``,
``(x_j - x)_+``. :attr:`WedgeDictionary.exact` says which case applies.

Storage and operators
---------------------
A dictionary stores one normalised ``(w, b)`` per hyperplane, its generator
codes and its normalizer: ``O(p·d)`` memory for ``p`` atoms. Column ``2h`` is
the "+" orientation of hyperplane ``h`` and column ``2h + 1`` the "-" one.
:meth:`~WedgeDictionary.matvec`, :meth:`~WedgeDictionary.rmatvec` and
:meth:`~WedgeDictionary.columns` compute columns on the fly in compiled
blocks, so dictionaries with millions of atoms never form their ``n × p``
matrix; :meth:`~WedgeDictionary.matrix` does, within a memory budget.

Sizes are counted before anything is allocated; a dictionary (or matrix) that
would exceed ``memory_limit`` raises :class:`DictionaryTooLargeError`, which
says how to sample instead (``max_atoms`` draws a seeded uniform sample of the
generator subsets; :meth:`WedgeDictionary.sample` is the randomized
geometric-algebra sampler of docs/mathematics.md §4.7, with an optional sparse sketch for
high dimensions).

References
----------
.. [1] M. Pilanci, "From complexity to clarity: analytical expressions of deep
   neural network weights via Clifford's geometric algebra and convexity",
   arXiv:2309.16512, 2023.
.. [2] Y. Wang, M. Pilanci et al., "Randomized geometric algebra methods for
   convex neural networks", 2024 (the sampler of :meth:`WedgeDictionary.sample`).
"""

from __future__ import annotations

import math

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
from .memory import DEFAULT_MEMORY_LIMIT, format_bytes

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "DictionaryTooLargeError",
    "WedgeDictionary",
    "alpha_max",
    "dictionary_size",
]

#: Default memory budget of a dictionary and of its dense matrix, in bytes (2 GiB).

_BIAS_OPTIONS = (True, False, "free", "none", "regularized")
_SETTING = {True: "B", "free": "B", False: "A", "none": "A", "regularized": "C"}
_BIAS_NAME = {"A": "none", "B": "free", "C": "regularized"}
_GENERATORS = ("data+basis", "data")
_NORMS = ("l1", "l2")
#: Relative quantum used to recognise equal normalised atoms.
_DEDUPE_RTOL = 1e-9

#: Relative size below which a pre-activation counts as zero (flat atoms, patterns).
_ZERO_RTOL = 1e-9


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
    return _BIAS_NAME[setting_of(bias)]


def setting_of(bias):
    check_option(bias, "bias", _BIAS_OPTIONS)
    return _SETTING[bias]


def subset_size(setting: str, d: int) -> int:
    return d - 1 if setting == "A" else d


def _n_subsets(n: int, d: int, setting: str, generators: str) -> int:
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
    return 2 * _n_subsets(n, d, setting_of(bias), generators)


def build_bytes(n_subsets: int, k: int, D: int) -> int:
    """Peak memory of building hyperplanes from ``n_subsets`` subsets (estimate).

    The arrays alive at once (subsets, raw and normalised normals, dedupe keys,
    the kept copies and a few per-subset scalars) come to ``8 (k + 3D + 4)``
    bytes per subset; the measured peak resident memory of a build, with its
    temporaries, is 2.4 to 3.4 times that (2-D to 4-D, with and without a
    bias, 0.6 to 4.5 million subsets), so the estimate is 3.5 times it.
    """
    return n_subsets * 28 * (k + 3 * D + 4)


def _sample_subsets(N, k, m, rng, n_data, need_data):
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


def _count_sketch(d, s, rng):
    """Sparse JL (CountSketch) matrix of shape (d, s): one random ±1 per row."""
    P = np.zeros((d, s))
    P[np.arange(d), rng.integers(0, s, size=d)] = rng.choice([-1.0, 1.0], size=d)
    return P


class WedgeDictionary:
    """The wedge-product Lasso dictionary of a data set.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Training samples. Duplicate samples are allowed: the subsets they make
        dependent are dropped and counted.
    bias : {True, False, "free", "none", "regularized"}, default=True
        The setting of docs/mathematics.md §4.3: ``True`` / ``"free"`` is a free first-layer
        bias with a free output intercept (B); ``False`` / ``"none"`` no bias
        and no intercept (A); ``"regularized"`` a bias inside the penalised
        norm and no intercept (C).
    generators : {"data+basis", "data"}, default="data+basis"
        ``"data+basis"``: samples and coordinate directions, the set for which
        ``norm="l1"`` is provably exact. ``"data"``: samples only (an inner
        approximation; with ``norm="l2"`` the dictionary of earlier research
        code).
    norm : {"l1", "l2"}, default="l1"
        Norm of the first-layer weights the atoms are normalised by: the ℓ1
        norm (exact mode) or the Euclidean norm (weight decay, approximate for
        ``d >= 2``). Setting C normalises ``(w, b)`` as a whole.
    max_atoms : int, optional
        Upper bound on the number of atoms. If the exhaustive dictionary is
        larger, ``max_atoms // 2`` generator subsets are drawn uniformly
        without replacement (seeded by ``random_state``) and both orientations
        of each are kept; the result is no longer exact.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the subset sample (used only when sampling).
    tol : float, default=1e-10
        Relative tolerance for linear dependence: a subset is dropped when the
        norm of its cross product (of its weight part, with a free bias) is at
        most ``tol`` times the product of the generators' norms.
    memory_limit : int, default=2 GiB
        Budget in bytes for building the dictionary and for any dense matrix
        it returns (:meth:`matrix`, :meth:`transform`, :meth:`columns`,
        :meth:`patterns`).

    Attributes
    ----------
    X : ndarray of float64, shape (n_samples, n_features)
        A read-only copy of the training samples.
    setting : {"A", "B", "C"}
        The setting of docs/mathematics.md §4.3.
    bias : {"none", "free", "regularized"}
        The same, by name.
    fit_intercept : bool
        Whether the Lasso over this dictionary has a free intercept (setting B).
    generators : {"data+basis", "data"}
    norm : {"l1", "l2"}
    sampled : bool
        True when the atoms are a random sample of the exhaustive dictionary.
    exact : bool
        True when the Lasso optimum over this dictionary equals the global
        optimum of the corresponding network (see the module overview).
    n_subsets : int
        Generator subsets considered.
    n_dependent : int
        Of those, subsets dropped as linearly dependent (or with a zero weight
        part).
    n_duplicate : int
        Subsets dropped because their hyperplane equals an earlier one
        (same normalised ``(w, b)`` up to orientation, to a relative 1e-9).
    n_flat : int
        Subsets dropped because every sample lies on their hyperplane (only
        possible when the samples span less than the full space).
    n_hyperplanes : int
        Hyperplanes kept; ``n_atoms = 2 * n_hyperplanes``.

    See Also
    --------
    alpha_max : The smallest penalty with an all-zero Lasso solution.
    dictionary_size : Atom counts before building.

    Notes
    -----
    Per-atom geometry is available as arrays (:attr:`weights`,
    :attr:`biases`, :attr:`generator_codes`, :attr:`orientations`,
    :attr:`normalizers`) and in words (:meth:`describe`). Generator codes are
    sample indices ``i >= 0``, or ``-k`` for the coordinate direction
    ``e_k`` (``k = 1..d``); in setting C, ``-(d + 1)`` is the direction
    ``e_{d+1}`` of the bias coordinate, which makes the hyperplane pass
    through the origin.

    Scale: with no bias or a free one (settings A, B), samples whose largest
    magnitude lies outside ``[2^-10, 2^10]`` are multiplied by a power of two
    before the hyperplanes are found, so that dependence, flatness,
    duplicates and rank are decided at the data's own scale; the hyperplanes
    are mapped back exactly (the bias divided by that power, the
    normalisers by its power per sample generator). The dictionary of
    ``c X`` is then that of ``X`` with every bias, and every feature, times
    ``c``. Setting C (a penalised bias) is not scale-free and is used as
    given.

    Examples
    --------
    The three points of docs/mathematics.md T8 with a free bias: 9 subsets, 2 of which repeat
    the line through the first two points, leave 7 lines and 14 atoms.

    >>> D = WedgeDictionary([[0, 0], [4, 0], [1, 3]])
    >>> D.n_atoms, D.n_subsets, D.n_duplicate
    (14, 9, 2)
    >>> print(D.describe(6))
    atom 6: line through samples 1 and 2, orientation +
      feature: max(0, w·x + b) with w = [-0.5, -0.5], b = 2 (normalizer ‖w_S‖₁ = 6)
      = max(0, det[x̃; x̃_1; x̃_2]) / 6
        the signed volume of the parallelepiped spanned by x̃, x̃_1, x̃_2,
        twice the signed area of the triangle (x, x_1, x_2)
      active on 1 of 3 samples: [0]
    """

    def __init__(
        self,
        X,
        *,
        bias=True,
        generators: str = "data+basis",
        norm: str = "l1",
        max_atoms: int | None = None,
        random_state=None,
        tol: float = 1e-10,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
    ):
        self._configure(X, bias, generators, norm, tol, memory_limit)
        n, d, setting = self.n_samples, self.n_features, self.setting
        k = subset_size(setting, d)
        n_gen = n if generators == "data" else n + d + (setting == "C")
        if generators == "data" and n < k:
            raise ValueError(
                f"X has {n} sample(s); hyperplanes through data points in setting {setting} "
                f"need subsets of {k} samples (n_samples >= {k}), or use "
                "generators='data+basis'"
            )
        total = _n_subsets(n, d, setting, generators)
        if max_atoms is not None:
            max_atoms = as_positive_int(max_atoms, "max_atoms", minimum=2)
        self.sampled = max_atoms is not None and 2 * total > max_atoms
        n_draw = max_atoms // 2 if self.sampled else total
        need = build_bytes(n_draw, k, d + 1)
        if need > self.memory_limit:
            self._raise_too_large(2 * n_draw, need, total)
        need_data = setting == "B" and generators == "data+basis"
        if self.sampled:
            chosen = _sample_subsets(n_gen, k, n_draw, as_generator(random_state), n, need_data)
        else:
            chosen = _all_subsets(n_gen, k)
            if need_data and k:
                chosen = chosen[:-1]  # the last subset is made of the d directions alone
        self.sketch_dim = None
        self._build_from_subsets(chosen)

    @classmethod
    def _of_checked(cls, X, **kwargs):
        """The dictionary of samples an estimator has already validated (float64,
        finite; ``sklearn.utils.validation.validate_data``), built without converting
        and checking ``X`` again; the keyword arguments are the constructor's."""
        self = cls.__new__(cls)
        self._x_checked = True
        self.__init__(X, **kwargs)
        return self

    # ------------------------------------------------------------------ construction
    def _configure(self, X, bias, generators, norm, tol, memory_limit):
        if not vars(self).pop("_x_checked", False):
            X = as_float_array(X, "X", shape_doc="(n_samples, n_features)")
        if X.ndim != 2:
            hint = " (reshape 1-D data with X.reshape(-1, 1))" if X.ndim == 1 else ""
            raise ValueError(f"X must have shape (n_samples, n_features); got {X.shape}{hint}")
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"X needs at least one sample and one feature; got shape {X.shape}")
        self.setting = setting_of(bias)
        check_option(generators, "generators", _GENERATORS)
        check_option(norm, "norm", _NORMS)
        if not (isinstance(tol, (int, float, np.floating)) and 0.0 <= tol < 1.0):
            raise ValueError(f"tol must be a number in [0, 1); got {tol!r}")
        if not (
            isinstance(memory_limit, (int, float, np.integer, np.floating)) and memory_limit > 0
        ):
            raise ValueError(
                f"memory_limit must be a positive number of bytes; got {memory_limit!r}"
            )
        X = X.copy()
        X.setflags(write=False)
        self.X = X
        self.n_samples, self.n_features = X.shape
        self.bias = _BIAS_NAME[self.setting]
        self.fit_intercept = self.setting == "B"
        self.generators = generators
        self.norm = norm
        self.tol = float(tol)
        self.memory_limit = memory_limit
        Xa = np.ones((X.shape[0], X.shape[1] + 1))
        Xa[:, :-1] = X
        self._Xa = Xa
        self._XT = np.ascontiguousarray(Xa.T)
        self._sq_norms_cache = None
        # hyperplanes are found, and dependence, flatness, duplicates and rank decided, on
        # the standardised samples 2^k X (k = 0 for ordinary data; setting C, whose
        # penalised bias is not scale-free, as given), then mapped back exactly (_finish)
        self._std_k = (
            0 if self.setting == "C" else scale_exponent(X, "X", even=False, check_range=False)
        )
        if self._std_k:
            self._Xs = np.ldexp(X, self._std_k)
            self._Xas = np.ones_like(Xa)
            self._Xas[:, :-1] = self._Xs
        else:
            self._Xs, self._Xas = X, Xa

    def _raise_too_large(self, n_atoms, need, total):
        n, d = self.n_samples, self.n_features
        what = "sampled" if self.sampled else "exhaustive"
        fits = int(self.memory_limit / need * n_atoms)  # atoms that fit the budget
        suggestion = max(2, min(fits, 1_000_000) // 2 * 2)
        full = f"; the exhaustive one has {2 * total:,}" if self.sampled else ""
        raise DictionaryTooLargeError(
            f"the {what} wedge dictionary of {n} samples in R^{d} (setting {self.setting}, "
            f"{self.generators} generators) has {n_atoms:,} atoms ({n_atoms // 2:,} generator "
            f"subsets, both orientations{full}); building it "
            f"needs about {format_bytes(need)}, above memory_limit = "
            f"{format_bytes(self.memory_limit)}. "
            f"Sample it instead: WedgeDictionary(X, max_atoms={suggestion:_}, "
            "random_state=0) draws a seeded uniform sample of its subsets, and "
            "WedgeDictionary.sample(X, n_atoms, sketch_dim=...) is the randomized "
            "geometric-algebra sampler; or raise memory_limit.",
            n_atoms=n_atoms,
            required_bytes=int(need),
            limit_bytes=int(self.memory_limit),
        )

    def _generator_matrix(self):
        """Generators as rows: (augmented) samples first, then the directions."""
        X, d, setting = self._Xs, self.n_features, self.setting
        rows = [X] if setting == "A" else [self._Xas]
        if self.generators == "data+basis":
            width = d if setting == "A" else d + 1
            rows.append(np.eye(d + (setting == "C"), width))
        return np.ascontiguousarray(np.vstack(rows))

    def _build_from_subsets(self, chosen):
        """Hyperplanes from generator subsets: drop dependent, normalise, dedupe."""
        G = self._generator_matrix()
        self.n_subsets = int(chosen.shape[0])
        raw = cross_all(G, chosen)
        if self.setting == "A":
            raw = np.hstack([raw, np.zeros((raw.shape[0], 1))])
        scale = np.prod(np.linalg.norm(G, axis=1)[chosen], axis=1) if chosen.shape[1] else 1.0
        codes = chosen.copy()
        data = codes < self.n_samples
        codes[~data] = -(codes[~data] - self.n_samples + 1)
        self._finish(raw, codes, scale)

    def _finish(self, raw, codes, scale):
        """Normalise, drop dependent, flat and duplicate hyperplanes; store the rest."""
        d = self.n_features
        weight_part = raw if self.setting == "C" else raw[:, :d]
        size = np.linalg.norm(weight_part, axis=1)
        keep = size > self.tol * scale
        self.n_dependent = int(np.count_nonzero(~keep))
        raw, codes, weight_part = raw[keep], codes[keep], weight_part[keep]
        ord_ = 1 if self.norm == "l1" else 2
        normalizer = np.linalg.norm(weight_part, ord=ord_, axis=1)
        U = raw / normalizer[:, None]
        self.n_flat = 0
        rank = np.linalg.matrix_rank(self._Xas if self.setting != "A" else self._Xs)
        if rank < (d if self.setting == "A" else d + 1) and U.shape[0]:
            top = np.empty(U.shape[0])
            XsT = np.ascontiguousarray(self._Xas.T)
            _kernels()._max_abs_preactivation(XsT, np.ascontiguousarray(U), top)
            reach = np.linalg.norm(self._Xas, axis=1).max() * np.linalg.norm(U, axis=1)
            nonflat = top > _ZERO_RTOL * reach
            self.n_flat = int(np.count_nonzero(~nonflat))
            U, codes, normalizer = U[nonflat], codes[nonflat], normalizer[nonflat]
        first = _first_unique(U)
        self.n_duplicate = int(U.shape[0] - first.size)
        U, codes, normalizer = U[first], codes[first], normalizer[first]
        if U.shape[0] == 0:
            self._raise_nothing_left(rank)
        self._normalizer_s = normalizer  # of the standardised samples (angular sweeps)
        if self._std_k:
            U, normalizer = self._unstandardise(U, codes, normalizer)
        self._U = np.ascontiguousarray(U)
        self._codes = np.ascontiguousarray(codes, dtype=np.int64)
        self._normalizer = normalizer
        for arr in (self._U, self._codes, self._normalizer, self._normalizer_s):
            arr.setflags(write=False)
        self.n_hyperplanes = int(U.shape[0])
        self.n_atoms = 2 * self.n_hyperplanes

    def _unstandardise(self, U, codes, normalizer):
        """Hyperplanes of the standardised samples ``2^k X`` as hyperplanes of ``X``.

        ``w·(2^k x) + b = 0`` is ``w·x + 2^-k b = 0`` after dividing by
        ``2^k``: the unit weights stay, the bias is divided by ``2^k``. The
        normaliser (the weight part of the generators' cross product) is a
        minor with one factor ``2^k`` per sample generator (less one with the
        ones column), divided back out. Only exponents change.
        """
        k = self._std_k
        U = U.copy()
        U[:, -1] = np.ldexp(U[:, -1], -k)
        n_data = np.count_nonzero(codes >= 0, axis=1) if codes.ndim == 2 else 0
        q = n_data - (self.setting == "B")
        normalizer = np.ldexp(normalizer, -k * q)
        if not (np.all(np.isfinite(normalizer)) and np.all(normalizer > 0.0)):
            top = float(np.abs(self.X).max())
            raise ValueError(
                f"X has largest magnitude {top:.3g}: the volumes that normalise its wedge "
                "atoms (products of up to d - 1 coordinates) leave float64's range. Rescale X "
                "to magnitudes near 1"
            )
        return U, normalizer

    def _raise_nothing_left(self, rank):
        n, d = self.n_samples, self.n_features
        full = d if self.setting == "A" else d + 1
        what = "the matrix X" if self.setting == "A" else "the augmented matrix [X, 1]"
        geometry = (
            "all samples are identical"
            if self.setting != "A" and rank <= 1
            else "all samples lie on a common hyperplane (for d = 2: they are collinear)"
            if rank < full
            else "every generator subset is linearly dependent"
        )
        raise ValueError(
            f"no atom survives for these {n} samples in R^{d}: {geometry}; {what} has rank "
            f"{rank} < {full}. Dropped {self.n_dependent} dependent and {self.n_flat} flat "
            f"subset(s) of {self.n_subsets}."
            + (
                " Basis generators (generators='data+basis') add atoms that do not pass "
                "through data points only."
                if self.generators == "data"
                else ""
            )
        )

    @classmethod
    def sample(
        cls,
        X,
        n_atoms: int,
        *,
        bias=True,
        norm: str = "l2",
        sketch_dim: int | None = None,
        random_state=None,
        tol: float = 1e-10,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
    ) -> WedgeDictionary:
        """The randomized geometric-algebra sampler (docs/mathematics.md §4.7, [2]_).

        Draws ``n_atoms // 2`` hyperplanes through random training samples
        (data generators only) and keeps both orientations of each. Without a
        sketch each hyperplane passes through ``d`` samples (``d - 1`` and the
        origin without bias), drawn uniformly without replacement among all
        such subsets. With ``sketch_dim = s`` the samples are first mapped by
        a sparse Johnson–Lindenstrauss sketch ``Π`` (shape (d, s), one random
        ±1 per row, a CountSketch): each atom passes through ``s`` samples
        (``s - 1`` without bias), its normal ``v`` is their generalized cross
        product in the sketch space, and ``w = Π v``; the hyperplane
        ``w·x + b = 0`` passes through those samples in the original space.
        This keeps the cost per atom ``O(s³ + d)`` for high-dimensional data.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Training samples.
        n_atoms : int
            Number of atoms to draw (both orientations of ``n_atoms // 2``
            hyperplanes); dependent and duplicate draws are dropped and
            counted, so the result may have fewer.
        bias : {True, False, "free", "none", "regularized"}, default=True
            The setting, as in :class:`WedgeDictionary`.
        norm : {"l1", "l2"}, default="l2"
            Normalisation of the atoms (the sampler's reference code uses ℓ2).
        sketch_dim : int, optional
            Dimension ``s`` of the sketch, ``2 <= s <= n_features``; None (the
            default) works in the original space.
        random_state : int, numpy.random.Generator or None, default=None
            Seed of the samples and of the sketch.
        tol : float, default=1e-10
            Relative tolerance for linear dependence, as in the constructor.
        memory_limit : int, default=2 GiB
            Memory budget in bytes, as in the constructor.

        Returns
        -------
        WedgeDictionary
            With ``sampled = True``, ``exact = False`` and ``sketch_dim`` set.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(200, 50))
        >>> D = WedgeDictionary.sample(X, 100, sketch_dim=5, random_state=0)
        >>> D.n_atoms, D.generator_codes.shape
        (100, (100, 5))
        """
        self = cls.__new__(cls)
        self._configure(X, bias, "data", norm, tol, memory_limit)
        n_atoms = as_positive_int(n_atoms, "n_atoms", minimum=2)
        rng = as_generator(random_state)
        n, d, setting = self.n_samples, self.n_features, self.setting
        self.sampled = True
        if sketch_dim is None:
            self.sketch_dim = None
            k = subset_size(setting, d)
            if n < k:
                raise ValueError(
                    f"X has {n} sample(s); hyperplanes through samples need n_samples >= {k}"
                )
            total = math.comb(n, k)
            m = min(n_atoms // 2, total)
            self.sampled = m < total
            need = build_bytes(m, k, d + 1)
            if need > self.memory_limit:
                self._raise_too_large(2 * m, need, total)
            chosen = _sample_subsets(n, k, m, rng, n, False) if self.sampled else _all_subsets(n, k)
            self._build_from_subsets(chosen)
            return self
        s = as_positive_int(sketch_dim, "sketch_dim", minimum=2)
        if s > d:
            raise ValueError(f"sketch_dim must be at most n_features = {d}; got {s}")
        k = s - 1 if setting == "A" else s
        if n < k:
            raise ValueError(
                f"X has {n} sample(s); hyperplanes through sketched samples need "
                f"n_samples >= {k} (sketch_dim = {s})"
            )
        m = n_atoms // 2
        need = build_bytes(m, k, d + 1) + 8 * m * s * (s + 2)
        if need > self.memory_limit:
            self._raise_too_large(2 * m, need, math.comb(n, k))
        self.sketch_dim = s
        Pi = _count_sketch(d, s, rng)
        chosen = _sample_subsets(n, k, min(m, math.comb(n, k)), rng, n, False)
        self.n_subsets = int(chosen.shape[0])
        P = self._Xs @ Pi  # sketched (standardised) samples, shape (n, s)
        if setting == "A":
            v = cross_all(P, chosen)
            scale = np.prod(np.linalg.norm(P, axis=1)[chosen], axis=1) if k else 1.0
            raw = np.hstack([v @ Pi.T, np.zeros((v.shape[0], 1))])
        else:
            diffs = P[chosen[:, :-1]] - P[chosen[:, -1]][:, None, :]  # (m, s - 1, s)
            flat = diffs.reshape(-1, s)
            idx = np.arange(flat.shape[0]).reshape(diffs.shape[0], s - 1)
            v = cross_all(flat, idx)
            scale = np.prod(np.linalg.norm(diffs, axis=2), axis=1)
            b = -np.einsum("ms,ms->m", P[chosen[:, -1]], v)
            raw = np.column_stack([v @ Pi.T, b])
        self._finish(raw, chosen, scale)
        return self

    # ------------------------------------------------------------------ properties
    @property
    def exact(self) -> bool:
        """Whether the Lasso over this dictionary equals the network's global optimum.

        True for the exhaustive dictionary with ``norm="l1"`` and
        ``generators="data+basis"`` (docs/mathematics.md §4.3), and for 1-D data without a
        bias or with a free one (the ramp dictionary, exact for either norm).
        """
        if self.sampled:
            return False
        if self.n_features == 1 and self.setting in ("A", "B"):
            return True
        return self.norm == "l1" and self.generators == "data+basis"

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_samples, n_atoms)``, the shape of :meth:`matrix`."""
        return (self.n_samples, self.n_atoms)

    def __len__(self) -> int:
        return self.n_atoms

    def __repr__(self) -> str:
        extra = f", sketch_dim={self.sketch_dim}" if self.sketch_dim else ""
        return (
            f"WedgeDictionary(n_samples={self.n_samples}, n_features={self.n_features}, "
            f"bias={self.bias!r}, generators={self.generators!r}, norm={self.norm!r}, "
            f"n_atoms={self.n_atoms}, sampled={self.sampled}, exact={self.exact}{extra})"
        )

    def summary(self) -> str:
        """A few lines on how the dictionary was built: counts and what was dropped.

        Returns
        -------
        str
        """
        kind = "sampled" if self.sampled else "exhaustive"
        lines = [
            f"{kind} wedge dictionary: {self.n_samples} samples in R^{self.n_features}, "
            f"setting {self.setting} (bias: {self.bias}), {self.generators} generators, "
            f"{self.norm} normalisation"
            + (f", sketch_dim {self.sketch_dim}" if self.sketch_dim else ""),
            f"{self.n_subsets} generator subsets: {self.n_dependent} linearly dependent, "
            f"{self.n_flat} containing every sample, {self.n_duplicate} duplicate hyperplanes "
            "dropped",
            f"{self.n_hyperplanes} hyperplanes x 2 orientations = {self.n_atoms} atoms; "
            + (
                f"exact: its Lasso optimum is the network's global optimum ({self.norm} "
                "first-layer norm)"
                if self.exact
                else "not exact: its Lasso optimum is an upper bound on the network's"
            ),
        ]
        return "\n".join(lines)

    @property
    def orientations(self) -> np.ndarray:
        """ndarray of int8, shape (n_atoms,): +1 for even columns, -1 for odd ones."""
        out = np.ones(self.n_atoms, dtype=np.int8)
        out[1::2] = -1
        return out

    @property
    def weights(self) -> np.ndarray:
        """ndarray of float64, shape (n_atoms, n_features): normalised ``w`` of every atom."""
        return np.repeat(self._U[:, :-1], 2, axis=0) * self.orientations[:, None]

    @property
    def biases(self) -> np.ndarray:
        """ndarray of float64, shape (n_atoms,): normalised ``b`` of every atom (0 without bias)."""
        return np.repeat(self._U[:, -1], 2) * self.orientations

    @property
    def generator_codes(self) -> np.ndarray:
        """ndarray of int64, shape (n_atoms, k): generators of every atom.

        Sample indices ``i >= 0``; ``-k`` stands for the coordinate direction
        ``e_k`` (``k = 1..d``, and ``k = d + 1`` for the bias direction in
        setting C). Both orientations of a hyperplane share its row.
        """
        return np.repeat(self._codes, 2, axis=0)

    @property
    def normalizers(self) -> np.ndarray:
        """ndarray of float64, shape (n_atoms,): the norm ``‖w_S‖`` each atom was divided by."""
        return np.repeat(self._normalizer, 2)

    @property
    def hyperplanes(self) -> np.ndarray:
        """ndarray of float64, shape (n_hyperplanes, n_features + 1): normalised ``(w, b)``.

        The "+" orientation; atom ``2h`` is ``hyperplanes[h]`` and atom
        ``2h + 1`` its negative. Read-only.
        """
        return self._U

    def hyperplanes_of(self, h) -> np.ndarray:
        """Rows ``h`` of :attr:`hyperplanes` (the interface a numbered dictionary shares).

        Parameters
        ----------
        h : array_like of int
            Hyperplane indices (atom ``j`` is hyperplane ``j // 2``).

        Returns
        -------
        ndarray of float64, shape (len(h), n_features + 1)
        """
        return self._U[np.asarray(h, dtype=np.int64)]

    def normalizers_of(self, h) -> np.ndarray:
        """The norms ``‖w_S‖`` hyperplanes ``h`` were divided by.

        Parameters
        ----------
        h : array_like of int
            Hyperplane indices.

        Returns
        -------
        ndarray of float64, shape (len(h),)
        """
        return self._normalizer[np.asarray(h, dtype=np.int64)]

    # ------------------------------------------------------------------ operators
    def _columns_index(self, columns, name="columns"):
        if columns is None:
            return np.arange(self.n_atoms)
        idx = np.asarray(columns)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"{name} must be integer atom indices; got dtype {idx.dtype}")
        if idx.ndim > 1:
            raise ValueError(f"{name} must be a 1-D array of atom indices; got shape {idx.shape}")
        idx = idx.reshape(-1).astype(np.int64)
        if idx.size and (idx.min() < -self.n_atoms or idx.max() >= self.n_atoms):
            raise IndexError(
                f"{name} must hold atom indices in [0, {self.n_atoms}); got values in "
                f"[{idx.min()}, {idx.max()}]"
            )
        return idx % self.n_atoms if idx.size else idx

    def _split(self, idx):
        return idx // 2, np.where(idx % 2 == 0, 1.0, -1.0)

    def _check_dense(self, rows, cols, what, itemsize=8):
        need = rows * cols * itemsize
        if need > self.memory_limit:
            raise DictionaryTooLargeError(
                f"{what} would allocate a {rows:,} x {cols:,} array ({format_bytes(need)}), above "
                f"memory_limit = {format_bytes(self.memory_limit)}. Use the matrix-free matvec, "
                "rmatvec and columns(idx) for a working set instead, or pass a larger "
                "memory_limit.",
                n_atoms=cols,
                required_bytes=need,
                limit_bytes=int(self.memory_limit),
            )

    def _points(self, X, name="X"):
        """Validated augmented points (m, d + 1) for evaluation away from the training data."""
        if X is None:
            return self._Xa
        X = as_float_array(X, name, shape_doc=f"(n_points, {self.n_features})")
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(
                f"{name} must have shape (n_points, {self.n_features}) like the training "
                f"data; got {X.shape}"
            )
        Xa = np.ones((X.shape[0], self.n_features + 1))
        Xa[:, :-1] = X
        return Xa

    def _dense(self, Xa, idx):
        h, sign = self._split(idx)
        # (len, m) C-ordered, returned transposed: (m, len) in Fortran order
        out = (self._U[h] * sign[:, None]) @ Xa.T
        np.maximum(out, 0.0, out=out)
        return out.T

    def matrix(self) -> np.ndarray:
        """The dense feature matrix on the training data.

        Returns
        -------
        ndarray of float64, shape (n_samples, n_atoms), Fortran order
            ``K[i, j] = max(0, w_j·x_i + b_j)``.

        Raises
        ------
        DictionaryTooLargeError
            If ``8 · n_samples · n_atoms`` bytes exceed ``memory_limit``.
        """
        self._check_dense(self.n_samples, self.n_atoms, "matrix()")
        return self._dense(self._Xa, np.arange(self.n_atoms))

    def transform(self, X, columns=None) -> np.ndarray:
        """Features of new points.

        Parameters
        ----------
        X : array_like, shape (n_points, n_features)
            Points at which to evaluate the atoms.
        columns : array_like of int, optional
            Atom indices; all atoms when omitted.

        Returns
        -------
        ndarray of float64, shape (n_points, n_columns), Fortran order
            ``transform(self.X)`` equals :meth:`matrix`.
        """
        Xa = self._points(X)
        idx = self._columns_index(columns)
        self._check_dense(Xa.shape[0], idx.size, "transform()")
        return self._dense(Xa, idx)

    def columns(self, idx) -> np.ndarray:
        """Selected columns of the training matrix, e.g. a solver's working set.

        Parameters
        ----------
        idx : array_like of int, shape (m,)
            Atom indices.

        Returns
        -------
        ndarray of float64, shape (n_samples, m), Fortran order
        """
        idx = self._columns_index(idx, "idx")
        self._check_dense(self.n_samples, idx.size, "columns()")
        return self._dense(self._Xa, idx)

    def column(self, j: int) -> np.ndarray:
        """One column of the training matrix.

        Parameters
        ----------
        j : int
            Atom index.

        Returns
        -------
        ndarray of float64, shape (n_samples,)
        """
        return self.columns([j])[:, 0]

    def matvec(self, z, X=None) -> np.ndarray:
        """``K z`` without forming ``K``; cost ``O(n · d · nnz(z))``.

        Parameters
        ----------
        z : array_like, shape (n_atoms,)
            Coefficients.
        X : array_like, shape (n_points, n_features), optional
            Evaluate at these points instead of the training samples (e.g. a
            plotting grid).

        Returns
        -------
        ndarray of float64, shape (n_samples,) or (n_points,)
        """
        z = as_float_array(z, "z", shape_doc=f"({self.n_atoms},)")
        if z.shape != (self.n_atoms,):
            raise ValueError(f"z must have shape ({self.n_atoms},); got {z.shape}")
        XT = self._XT if X is None else np.ascontiguousarray(self._points(X).T)
        half = np.flatnonzero(z) // 2  # sorted
        active = half[np.concatenate(([True], half[1:] != half[:-1]))] if half.size else half
        out = np.empty(XT.shape[1])
        _kernels()._matvec(XT, self._U, active, z[2 * active], z[2 * active + 1], out)
        return out

    def rmatvec(self, r) -> np.ndarray:
        """``Kᵀ r`` without forming ``K``; cost ``O(n · d · n_atoms)``, memory ``O(n_atoms)``.

        Exhaustive 2-D and 3-D dictionaries with a bias use an angular sweep
        instead (``O(n²)`` and ``O(n³)`` per product after a one-off sort of
        the samples around each sample or pair of samples; see
        ``_rmatvec_sweep_2d`` and ``_rmatvec_sweep_3d`` in
        ``geolasso._dictionary_kernels``).

        Parameters
        ----------
        r : array_like, shape (n_samples,)
            E.g. a residual.

        Returns
        -------
        ndarray of float64, shape (n_atoms,)
        """
        r = as_float_array(r, "r", shape_doc=f"({self.n_samples},)")
        if r.shape != (self.n_samples,):
            raise ValueError(f"r must have shape ({self.n_samples},); got {r.shape}")
        out = np.empty(self.n_atoms)
        plan = self._sweep_plan()
        if plan is None:
            _kernels()._rmatvec(self._XT, self._U, r, out)
            return out
        # hyperplanes through two samples (lines in 2-D; planes through a third sample
        # or along a coordinate direction in 3-D): an angular sweep around every
        # sample or pair of samples computes all of them at once (see
        # _rmatvec_sweep_2d / _3d); the other hyperplanes go direct
        kind, sweep, others, U_others = plan
        # on the standardised samples (their own normalisers): a feature of X is 2^-k
        # times the same feature of 2^k X (exact)
        inv_norm = 1.0 / self._normalizer_s
        if kind == 2:
            _kernels()._rmatvec_sweep_2d(self._Xs, r, *sweep, inv_norm, out)
        else:
            _kernels()._rmatvec_sweep_3d(self._Xs, r, *sweep, inv_norm, out)
        if self._std_k:
            out = np.ldexp(out, -self._std_k)
        if others.size:
            rest = np.empty(2 * others.size)
            _kernels()._rmatvec(self._XT, U_others, r, rest)
            out[2 * others] = rest[0::2]
            out[2 * others + 1] = rest[1::2]
        return out

    def _sweep_plan(self):
        """How :meth:`rmatvec` splits the atoms for an angular sweep, or None to go direct.

        In 2-D the lines through two samples, in 3-D the planes through two
        samples and a third sample or a coordinate direction, are computed by a
        sweep around every sample (pair of samples) in ``O(n²)`` (``O(n³)``)
        per product after a one-off sort, instead of ``O(n)`` per hyperplane.
        Used with a bias (settings B, C) and no sketch, when such hyperplanes
        are at least a sixteenth of all that exist and the sweep's index
        arrays (``4 n²`` or ``4 n³ / 2`` integers) fit the memory budget.
        """
        if getattr(self, "_plan_cache", False) is not False:
            return self._plan_cache
        plan = None
        n, d = self.n_samples, self.n_features
        codes = self._codes
        usable = self.setting in ("B", "C") and not self.sketch_dim
        if usable and d == 2 and 32 * n * n <= self.memory_limit:
            is_pair = np.all(codes >= 0, axis=1)
            pairs = np.flatnonzero(is_pair)
            if pairs.size >= n * n / 16:
                hmap = np.full((n, n), -1, dtype=np.int64)
                hmap[codes[pairs, 0], codes[pairs, 1]] = pairs
                sweep = (
                    np.zeros((n, n), dtype=np.int64),
                    np.zeros((n, n), dtype=np.int64),
                    np.full((n, n), -1, dtype=np.int64),
                    np.zeros(n, dtype=np.int64),
                )
                _kernels()._sweep_order_2d(self._Xs, hmap, *sweep)
                plan = (2, sweep, np.flatnonzero(~is_pair))
        elif usable and d == 3 and n >= 3 and 16 * n**3 <= self.memory_limit:
            plan = self._sweep_plan_3d()
        if plan is not None:
            others = plan[2]
            plan = (*plan, np.ascontiguousarray(self._U[others]))
        self._plan_cache = plan
        return plan

    def _sweep_plan_3d(self):
        n, codes = self.n_samples, self._codes
        data = codes >= 0
        triple = np.all(data, axis=1)
        # planes through two samples along a coordinate direction e_1..e_3 (not e_4)
        along = data[:, 0] & data[:, 1] & (codes[:, 2] < 0) & (codes[:, 2] >= -3)
        if np.count_nonzero(triple) < n**3 / 96:
            return None
        pi, pj = np.triu_indices(n, 1)
        P = pi.size

        def pair_index(i, j):
            return i * (2 * n - i - 1) // 2 + (j - i - 1)

        hrow = np.full((P, n), -1, dtype=np.int64)
        t = np.flatnonzero(triple)
        hrow[pair_index(codes[t, 0], codes[t, 1]), codes[t, 2]] = t
        b = np.flatnonzero(along)
        bp = pair_index(codes[b, 0], codes[b, 1])
        sort = np.argsort(bp, kind="stable")
        b, bp = b[sort], bp[sort]
        bptr = np.searchsorted(bp, np.arange(P + 1)).astype(np.int64)
        bdir = (-codes[b, 2] - 1).astype(np.int64)
        order = np.zeros((P, n), dtype=np.int64)
        ends = np.zeros((P, n), dtype=np.int64)
        lines = np.full((P, n), -1, dtype=np.int64)
        counts = np.zeros(P, dtype=np.int64)
        bstart = np.zeros(b.size, dtype=np.int64)
        bend = np.zeros(b.size, dtype=np.int64)
        _kernels()._sweep_order_3d(
            self._Xs, pi, pj, hrow, bptr, bdir, order, ends, lines, counts, bstart, bend
        )
        sweep = (pi, pj, order, ends, lines, counts, bptr, bdir, b.astype(np.int64), bstart, bend)
        return (3, sweep, np.flatnonzero(~(triple | along)))

    def column_norms(self) -> np.ndarray:
        """Euclidean norms of all columns, computed once without forming ``K``.

        Returns
        -------
        ndarray of float64, shape (n_atoms,)
        """
        if self._sq_norms_cache is None:
            sq = np.empty(self.n_atoms)
            _kernels()._sq_norms(self._XT, self._U, sq)
            sq.setflags(write=False)
            self._sq_norms_cache = sq
        return np.sqrt(self._sq_norms_cache)

    def as_linear_operator(self):
        """The dictionary as a :class:`scipy.sparse.linalg.LinearOperator` (matrix-free).

        Returns
        -------
        scipy.sparse.linalg.LinearOperator
            Of shape ``(n_samples, n_atoms)``, with ``matvec`` and ``rmatvec``.
        """
        from scipy.sparse.linalg import LinearOperator

        return LinearOperator(
            self.shape, matvec=self.matvec, rmatvec=self.rmatvec, dtype=np.float64
        )

    def patterns(self, columns=None, *, boundary: bool = False) -> np.ndarray:
        """Activation patterns: which training samples are on each atom's active side.

        A sample is *on* the hyperplane when ``|w·x + b|`` is at most 1e-9 times
        ``‖(x, 1)‖·‖(w, b)‖``; the generating samples are always on it.

        Parameters
        ----------
        columns : array_like of int, optional
            Atom indices; all atoms when omitted.
        boundary : bool, default=False
            Count samples on the hyperplane as active (the closure of the
            active side) instead of inactive.

        Returns
        -------
        ndarray of bool, shape (n_samples, n_columns)
        """
        idx = self._columns_index(columns)
        self._check_dense(self.n_samples, idx.size, "patterns()", itemsize=9)
        h, sign = self._split(idx)
        U = self._U[h]
        pre = (self._Xa @ U.T) * sign
        zero = _ZERO_RTOL * np.outer(np.linalg.norm(self._Xa, axis=1), np.linalg.norm(U, axis=1))
        return pre >= -zero if boundary else pre > zero

    # ------------------------------------------------------------------ reading
    def generators_of(self, j: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The generators of atom ``j``: sample indices and coordinate axes.

        Parameters
        ----------
        j : int
            Atom index.

        Returns
        -------
        samples : tuple of int
            Indices (rows of ``X``) of the training samples the hyperplane
            passes through.
        axes : tuple of int
            Coordinate directions ``k`` (1-based, ``e_k``) the hyperplane is
            parallel to; ``d + 1`` in setting C means it passes through the
            origin.

        Examples
        --------
        >>> D = WedgeDictionary([[0, 0], [4, 0], [1, 3]])
        >>> D.generators_of(6)
        ((1, 2), ())
        """
        (j,) = self._columns_index([j], "j")
        codes = self._codes[j // 2]
        return (
            tuple(int(c) for c in codes if c >= 0),
            tuple(int(-c) for c in codes if c < 0),
        )

    def _where(self, h):
        """The hyperplane of ``h`` in words, from its generators."""
        d, codes = self.n_features, self._codes[h]
        samples = [int(c) for c in codes if c >= 0]
        axes = [int(-c) for c in codes if 0 < -c <= d]
        origin = self.setting == "A" or (self.setting == "C" and -(d + 1) in codes)
        listed = (
            ", ".join(map(str, samples[:-1])) + f" and {samples[-1]}"
            if len(samples) > 1
            else "".join(map(str, samples))
        )
        if self.setting == "C" and not samples and len(axes) == d:
            return "constant atom (the bias alone, w = 0)"
        if d == 1:
            if samples:
                return f"breakpoint at sample {listed} (x = {self.X[samples[0], 0]:.4g})"
            return "breakpoint at the origin" if origin else "constant atom"
        kind = {2: "line", 3: "plane"}.get(d, "hyperplane")
        through = (["the origin"] if origin else []) + (
            [("sample " if len(samples) == 1 else "samples ") + listed] if samples else []
        )
        text = f"{kind} through " + " and ".join(through) if through else f"{kind}"
        if axes:
            names = ", ".join(f"x{a}" for a in axes)
            verb = "containing" if origin else "parallel to"
            text += f", {verb} the {names} ax{'is' if len(axes) == 1 else 'es'}"
        if self.sketch_dim:
            text += f" (drawn in a {self.sketch_dim}-dimensional sketch)"
        return text

    def describe(self, j: int) -> str:
        """Atom ``j`` in words: its hyperplane, generators, feature and active side.

        Parameters
        ----------
        j : int
            Atom index.

        Returns
        -------
        str
            A few lines: the hyperplane and its generators (e.g. ``"atom 6:
            line through samples 1 and 2, orientation +"``), the feature as a
            ReLU of an affine function and of a signed volume, and the samples
            on its active side.
        """
        (j,) = self._columns_index([j], "j")
        h, sign = j // 2, 1 if j % 2 == 0 else -1
        codes = self._codes[h]
        w = self._U[h, :-1] * sign + 0.0  # + 0.0 turns -0.0 into 0.0 for printing
        b = self._U[h, -1] * sign + 0.0
        norm_name = "‖(w_S, b_S)‖" if self.setting == "C" else "‖w_S‖"
        norm_name += "₁" if self.norm == "l1" else "₂"
        fmt = np.array2string(w, precision=4, separator=", ", suppress_small=True)
        lines = [
            f"atom {j}: {self._where(h)}, orientation {'+' if sign > 0 else '-'}",
            f"  feature: max(0, w·x + b) with w = {fmt}, b = {b:.4g} "
            f"(normalizer {norm_name} = {self._normalizer[h]:.4g})",
        ]
        if not self.sketch_dim:
            var = "x" if self.setting == "A" else "x̃"
            gens = [f"{var}_{c}" if c >= 0 else f"e_{-c}" for c in codes]
            rows = len(gens) + 1
            shape = {2: "area of the parallelogram", 3: "volume of the parallelepiped"}.get(
                rows, f"{rows}-volume of the parallelotope"
            )
            det = f"det[{'; '.join([var, *gens])}]"
            lines.append(f"  = max(0, {'' if sign > 0 else '-'}{det}) / {self._normalizer[h]:.4g}")
            if gens:
                lines.append(f"    the signed {shape} spanned by {', '.join([var, *gens])}")
            if self.setting != "A" and self.n_features == 2 and all(c >= 0 for c in codes):
                lines[-1] += ","
                lines.append(
                    f"    twice the signed area of the triangle (x, x_{codes[0]}, x_{codes[1]})"
                )
        active = np.flatnonzero(self.patterns([j])[:, 0])
        listed = active[:12].tolist()
        more = ", ..." if active.size > 12 else ""
        sample_list = f": {str(listed)[:-1]}{more}]" if active.size else ""
        lines.append(f"  active on {active.size} of {self.n_samples} samples{sample_list}")
        return "\n".join(lines)


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


def alpha_max(dictionary, y, *, fit_intercept: bool | None = None) -> float:
    """The smallest Lasso penalty for which ``z = 0`` is optimal (docs/mathematics.md T22).

    .. math::

        \\alpha_{\\max} = \\lVert K^T (y - \\bar y \\mathbf{1}) \\rVert_\\infty / n

    with the mean subtracted only when the Lasso has a free intercept (the
    objective is ``(1/(2n))‖y - Kz - c‖² + α‖z‖₁``, as in scikit-learn).

    Parameters
    ----------
    dictionary : WedgeDictionary or array_like, shape (n_samples, n_atoms)
        The dictionary (or any operator with ``shape`` and ``rmatvec``), or
        a dense feature matrix.
    y : array_like, shape (n_samples,)
        Targets.
    fit_intercept : bool, optional
        Whether the intercept is free. Defaults to the dictionary's
        ``fit_intercept`` (True in setting B), and to True for a matrix.

    Returns
    -------
    float

    Examples
    --------
    >>> alpha_max([[1.0, 0.0], [0.0, 2.0]], [1.0, 3.0])
    1.0
    """
    if hasattr(dictionary, "rmatvec") and hasattr(dictionary, "shape"):  # matrix-free
        n = dictionary.shape[0]
        apply_t = dictionary.rmatvec
        default = getattr(dictionary, "fit_intercept", True)
    else:
        K = as_float_array(dictionary, "dictionary", shape_doc="(n_samples, n_atoms)")
        if K.ndim != 2:
            raise ValueError(f"dictionary must have shape (n_samples, n_atoms); got {K.shape}")
        n = K.shape[0]
        apply_t = K.T.__matmul__
        default = True
    y = as_float_array(y, "y", shape_doc=f"({n},)")
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},), one target per sample; got {y.shape}")
    intercept = default if fit_intercept is None else bool(fit_intercept)
    with np.errstate(over="ignore", invalid="ignore"):
        r = y - y.mean() if intercept else y
        if hasattr(dictionary, "top_correlations"):  # one reduced pass, Kᵀ r never stored
            from .distributed import distributed_passes

            with distributed_passes(dictionary):  # on joblib's dask backend when one is active
                value = float(dictionary.top_correlations(r, 0)[0]) / n
        else:
            value = float(np.max(np.abs(apply_t(r)), initial=0.0) / n)
    if not np.isfinite(value):
        raise ValueError(
            f"alpha_max overflows float64: y has entries of magnitude up to "
            f"{float(np.max(np.abs(y))):.3g} and the correlations Kᵀ y leave float64's range; "
            "rescale y (alpha_max scales with it)"
        )
    return value
