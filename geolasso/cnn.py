"""Two-layer convolutional ReLU networks: patches, wedge-patch dictionaries, global training.

Overview
--------
A two-layer CNN with one convolutional ReLU layer of ``m`` filters, global
sum (or average) pooling and a linear output,

.. math::

    f(x) = c + \\sum_{j=1}^m v_j \\sum_{k=1}^K (w_j \\cdot p_k(x) + b_j)_+ ,

is a two-layer ReLU network whose hidden features are summed over the
``K`` patches ``p_k(x)`` of each image (docs/mathematics.md §6). Its convex form shares one
activation pattern over the *stacked* patch matrix (every patch of every
image); the number of those patterns is polynomial in the number of patches
for a fixed filter size ``h`` (:func:`patch_pattern_bound`), hence the
"fully polynomial time" of the papers.

In geolasso's language, an optimal filter (ℓ1 first-layer norm) is a wedge
atom of the stacked patches: the hyperplane through ``h`` patches (``h − 1``
without a bias, coordinate axes possibly among the generators), and its
feature on an image is the sum over the image's patches of the ReLU of a
signed volume. The argument of docs/mathematics.md §4.3 carries over unchanged (the dual
constraint is linear in the filter on each cell of the stacked patches'
arrangement), so :class:`ConvexCNN` with ``norm="l1"`` and the exhaustive
dictionary (data and basis generators) is the global optimum; sampled
dictionaries, or ``norm="l2"``, give upper bounds.

With standard weight decay (ℓ2 first-layer norm) the exact program is the
group Lasso with cone constraints of docs/mathematics.md §6 over the activation patterns of
the stacked patches; :class:`ConvexCNN` with ``method="arrangement"``
solves it with :func:`geolasso.crelu.solve_crelu` (pooled rows), certified
by its duality gap: the global optimum when the patterns are enumerated
(small filters, few patches), an upper bound over sampled ones.

This module provides :class:`ConvexCNN` (the wedge-patch Lasso or the
arrangement program, pooled features), :class:`ConvexCNNClassifier` and the
sizing of their fits to ``memory_limit``. The patches (1-D signals and 2-D
images, channels, stride, zero padding; the column order of
``torch.nn.functional.unfold``) are cut by :mod:`geolasso.patches`, and the
recovered CNN, convertible to torch, is :class:`geolasso.convnet.ConvNetwork`;
:func:`patches`, :func:`patch_pattern_bound` and :class:`ConvNetwork` are
re-exported here.

**Cost of the arrangement program.** Every cone step is a non-negative
least-squares problem over all ``n K`` stacked patches, so on real images it
is slow: on 40 digit images (1,440 patches of 3x3) with 200 sampled
Gaussian gates it took 16 s started from the wedge-patch dictionary fit
(the default; 1.9 % below that fit, which takes about a second;
``benchmarks/results/cnn_arrangement.out``), and 238 s with
``start=None`` in an earlier run of that benchmark (before the solver's
projected Newton path), to an objective half again as high as the
dictionary's (random gates alone cover the useful patterns poorly).

**Memory of the dictionary fit.** The wedge-patch dictionary is evaluated
on every stacked patch and pooled into a dense ``(images, atoms)`` matrix,
so its memory grows with images x atoms (and patch rows x atoms per block),
not with the number of patches alone; ``max_atoms="auto"`` counts all of it
against ``memory_limit`` before allocating and samples the largest
dictionary that fits (at most 100,000 atoms). Measured with the defaults on
a shared 2-core machine: 200 digit images (3 vs 8), 100,000 sampled atoms,
6.6 s and 0.48 GiB peak resident memory for the process, 99.4 % on the
other 157; the first 1,000 digit images, ten classes by
``sklearn.multiclass.OneVsRestClassifier(ConvexCNNClassifier())``, 204 s
(ten fits of about 1.1 s building, 8.7 s pooling, 7.4 s Lasso each) and
1.56 GiB peak, 93.1 % on the other 797.
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from ._constraints import (
    BIAS,
    COUNT,
    NONNEGATIVE,
    POSITIVE,
    RANDOM_STATE,
    at_least,
    deprecated,
    options,
)
from ._validation import as_float_array, as_positive_int, forget_fit
from ._warnings import convergence_warnings_collected, solver_reason
from .algebra import MINORS_MAX_DIM
from .arrangements import ActivationPatterns
from .convnet import ConvNetwork
from .dictionary import DEFAULT_MEMORY_LIMIT, WedgeDictionary
from .exceptions import ConvergenceWarning, DictionaryTooLargeError, GeolassoWarning
from .memory import format_bytes
from .patches import as_images, pair, patch_pattern_bound, patch_positions, patches, patches_of
from .wedge_build import bias_name, build_bytes, dictionary_size, setting_of, subset_size

__all__ = ["ConvNetwork", "ConvexCNN", "ConvexCNNClassifier", "patch_pattern_bound", "patches"]
#: At most this many stacked patch rows are pushed through the dictionary per block
#: (whole images at a time; see _block_images).
_BLOCK_ROWS = 20_000


def _block_images(n, K):
    """Images per block of the patch transform.

    About as many patch rows as there are images, so that a block's features
    (rows x atoms) cost no more than the pooled feature matrix (images x
    atoms); at least one image, at most ``_BLOCK_ROWS`` rows.
    """
    return max(1, min(n // K, _BLOCK_ROWS // K))


def _fit_bytes(n, K, h, k, n_atoms):
    """Peak memory of a wedge-patch dictionary fit, counted before allocating.

    The dictionary is built from the ``n K`` stacked patches, evaluated on
    them block by block (:func:`_block_images`) and pooled into a dense
    ``(n, n_atoms)`` feature matrix, which the Lasso then solves over. What
    grows with the atoms, in bytes per atom (``r = b K`` patch rows in a
    block of ``b`` images):

    * ``build``: building the hyperplanes, ``build_bytes`` (a measured peak,
      freed before the features are made), plus, for generators of length
      ``d > MINORS_MAX_DIM`` (e.g. 3x3 patches with a bias), the batched SVDs
      and determinants that give their cross products,
      ``8 (k d + k² + 3 d² + k + 3 d)`` per generator subset (two atoms);
    * ``dictionary``: the stored hyperplanes, generators and normalisers,
      ``4 (h + k + 2)``;
    * ``features``: the pooled feature matrix, ``8 n`` (Fortran order, so the
      Lasso uses it without a copy);
    * ``transform``: one block (:func:`_pooled_features`), ``4 r`` for the
      values of its patches on every hyperplane (two atoms each) and ``8 b``
      for their pooled sums;
    * ``solver``: the larger of the Lasso's finiteness check of the matrix
      (``n``, one byte an entry) and its per-atom vectors (six of 8 bytes:
      column means, correlations, their magnitudes and ranking, the dense
      solution).

    plus what does not grow with the atoms: ``patches`` (the stacked
    patches, the dictionary's copies of them, and per-row vectors) and the
    solver's working set (at most ``w = min(n_atoms, 3 n + 64)`` columns: the
    restricted matrix and its centred copy, ``16 n w``, the Gram matrix and
    its solver, ``16 w²``), counted in ``solver``. The build and the fit are not alive at once, so
    ``total = patches + max(build, dictionary + features + max(transform,
    solver))``.

    Parameters
    ----------
    n, K, h : int
        Images, patches per image, values per patch.
    k : int
        Generators per hyperplane (``h``, or ``h - 1`` without a bias).
    n_atoms : int
        Atoms of the dictionary.

    Returns
    -------
    dict of str to int
        The parts above, in bytes, and ``"total"``.
    """
    rows, b = n * K, _block_images(n, K)
    block = b * K
    ws = min(n_atoms, 3 * n + 64)
    cap = ws + max(ws // 8, 16)
    subsets = -(-n_atoms // 2)
    build = build_bytes(subsets, k, h + 1)
    d = h if k < h else h + 1  # the generators' length: the cross products' dimension
    if d > MINORS_MAX_DIM:  # cross products from batched SVDs and determinants
        build += 8 * (k * d + k * k + 3 * d * d + k + 3 * d) * subsets
    parts = {
        "patches": 8 * rows * (4 * h + 2) + rows * h + 64 * (rows + n),
        "build": build,
        "dictionary": 4 * (h + k + 2) * n_atoms,
        "features": 8 * n * n_atoms,
        "transform": (4 * block + 8 * b) * n_atoms + 8 * block * (h + 1),
        # scores, and the Lasso's column store (geolasso.lasso._Passes.gram)
        "solver": max(n, 48) * n_atoms + 8 * (2 * n * cap + 3 * cap * cap),
    }
    fit = parts["dictionary"] + parts["features"] + max(parts["transform"], parts["solver"])
    parts["total"] = parts["patches"] + max(parts["build"], fit)
    return parts


def _pooled_features(D, P, pooling):
    """The wedge-patch features of every image: each atom's ReLU pooled over the patches.

    ``F[i, j] = pool_k max(0, w_j·p_k(x_i) + b_j)``, equal to pooling
    ``D.transform`` of the stacked patches, computed once per hyperplane:
    atom ``2h`` pools ``max(0, t)`` and atom ``2h + 1`` pools
    ``max(0, -t) = max(0, t) - t`` (``t`` the hyperplane's values), so each
    block of images costs one ``(rows, n_hyperplanes)`` product.

    Parameters
    ----------
    D : WedgeDictionary
        A dictionary over patches of ``h`` values.
    P : ndarray of float64, shape (n, K, h)
        Patches of each image (:func:`patches`).
    pooling : {"sum", "mean"}
        Pooling over the ``K`` patches.

    Returns
    -------
    ndarray of float64, shape (n, n_atoms), Fortran order
        The Lasso's layout, so it uses the matrix without a copy.
    """
    n, K, h = P.shape
    U = D.hyperplanes
    F = np.empty((n, 2 * U.shape[0]), order="F")
    block = _block_images(n, K)
    Xa = np.ones((block * K, h + 1))
    values = np.empty((block * K, U.shape[0]))  # reused: one block's pages, faulted once
    for start in range(0, n, block):
        stop = min(start + block, n)
        rows = (stop - start) * K
        Xa[:rows, :h] = P[start:stop].reshape(rows, h)
        T = np.matmul(Xa[:rows], U.T, out=values[:rows]).reshape(stop - start, K, -1)
        total = T.sum(axis=1)  # (images, hyperplanes)
        np.maximum(T, 0.0, out=T)
        positive = T.sum(axis=1)
        F[start:stop, 0::2] = positive
        positive -= total  # the negative orientation
        F[start:stop, 1::2] = positive
        del total, positive  # before the next block's sums are allocated
    if pooling == "mean":
        F /= K
    return F


def _largest_fitting(n, K, h, k, upper, limit):
    """The largest even atom count up to ``upper`` whose fit is within ``limit``, or 0."""
    lo, hi = 0, upper // 2  # in hyperplanes (two atoms each)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _fit_bytes(n, K, h, k, 2 * mid)["total"] <= limit:
            lo = mid
        else:
            hi = mid - 1
    return 2 * lo


def _outside_level():
    """``stacklevel`` of the first caller outside geolasso (for a warning raised here)."""
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _count(n_atoms):
    return f"{n_atoms:,}" if n_atoms < 10**12 else f"{float(n_atoms):.2e}"


def _check_arrangement(norm, bias, gated):
    """The settings the arrangement program of a CNN is solved for, or a clear error."""
    if norm not in ("l1", "l2"):
        raise ValueError(f"norm must be 'l1' or 'l2'; got {norm!r}")
    if norm == "l1" and not gated:
        raise ValueError(
            "method='arrangement' solves the weight-decay program (norm='l2'); with the l1 "
            "first-layer norm the exact program is the wedge-patch Lasso: use "
            "method='wedge' (exact with the exhaustive dictionary)"
        )
    if gated and bias_name(bias) == "free":
        raise ValueError(
            "gated=True with free filter biases (bias=True) is degenerate: a gated filter "
            "with weights 0 and a free bias reproduces its gate's patch count at no cost, so "
            "the optimum fits any targets with zero penalty (docs/mathematics.md §2.4). Use "
            "bias='regularized' or bias=False"
        )


class ConvexCNN(RegressorMixin, BaseEstimator):
    """A two-layer CNN (one convolutional ReLU layer, global pooling) trained globally.

    Minimises the CNN objective
    ``‖f(X) − y‖² / (2n) + (α/2) Σ (‖w_j‖² + v_j²)`` (first-layer norm
    ``norm``) by one of two convex programs:

    * ``method="wedge"`` (default; ``"dictionary"`` is its former spelling,
      deprecated): the Lasso over the wedge-patch
      dictionary (see the module overview): atoms are hyperplanes through
      patches of the training images (and coordinate axes), their features
      summed (or averaged) over every image's patches. With ``norm="l1"``
      and the exhaustive dictionary this is the global optimum; otherwise (a
      sampled dictionary, or ``norm="l2"``) an upper bound.
    * ``method="arrangement"``: the exact weight-decay program of docs/mathematics.md §6,
      the group Lasso with cone constraints over the activation patterns of
      the *stacked* patch matrix (one gate shared by all patches of all
      images), solved by :func:`geolasso.crelu.solve_crelu` with pooled rows
      and certified by its duality gap. With every pattern enumerated
      (feasible for small filters and few patches: the count is polynomial
      in the number of patches for a fixed filter size,
      :func:`patch_pattern_bound`) this is the global optimum of the
      ``norm="l2"`` objective; over sampled patterns an upper bound.
      ``gated=True`` solves the gated-ReLU relaxation instead.

    Parameters
    ----------
    kernel_size : int or (int, int), default=3
        Filter size (an int for 1-D signals).
    alpha : float, default=1e-3
        Penalty (the mathematics page's scaling, ``β = n α``).
    stride, padding : int or (int, int), default=1 and 0
        As in :func:`patches`.
    pooling : {"sum", "mean"}, default="sum"
        Pooling over the patches.
    norm : {"l1", "l2"}, default="l1"
        First-layer norm (``method="arrangement"``: ``"l2"``, or either with
        ``gated=True``).
    bias : {True, False, "regularized"}, default=True
        Filter biases and output intercept free (True), absent (False), or
        biases inside the norm without intercept.
    method : {"wedge", "arrangement"}, default="wedge"
        The convex program (see above).
    patterns : "auto", "exact", int or ActivationPatterns, default="auto"
        ``method="arrangement"`` only: activation patterns of the stacked
        patch matrix (rows ``image * K + patch``). ``"auto"``: enumerated
        when at most 100,000 can exist, otherwise 2,000 seeded Gaussian
        gates with a warning; ``"exact"``: always enumerated (may raise
        :class:`~geolasso.exceptions.DictionaryTooLargeError`); an int: that
        many sampled Gaussian gates; or patterns from
        :func:`~geolasso.arrangements.enumerate_patterns` /
        :func:`~geolasso.arrangements.sample_patterns` of the stacked patches.
    gated : bool, default=False
        ``method="arrangement"`` only: the gated-ReLU relaxation (each filter
        acts where its fixed gate is active); refused with free biases, where
        it is degenerate. There is no ``network_`` then; ``gates_`` holds
        the gates.
    start : {"dictionary", None}, default="dictionary"
        ``method="arrangement"`` over sampled patterns (ReLU, ``norm="l2"``):
        first fit the wedge-patch dictionary (as ``method="wedge"``
        would, with ``norm="l2"``), add its filters' activation patterns to
        the sampled ones, and start the solver from that network. The
        result is then never worse than the dictionary fit, and it is
        optimal (certified) over patterns that include the dictionary's.
        ``None``: the sampled patterns alone, started from zero.
    generators : {"data+basis", "data"}, default="data+basis"
        Dictionary generators (as for :class:`~geolasso.convex.ConvexReLU`).
    max_atoms : "auto", int or None, default="auto"
        The dictionary's size. Its memory is counted before anything is
        allocated, for the dictionary as it is used here: evaluated on every
        stacked patch (images x patches rows, block by block), pooled into a
        dense ``(n_images, n_atoms)`` feature matrix, then solved over, plus
        the build and the solver's working set. ``"auto"``: the exhaustive
        dictionary when that fits ``memory_limit`` (and it has at most
        1,000,000 atoms); otherwise a seeded sample (``random_state``) of the
        largest size that fits, at most 100,000 atoms (as
        :class:`~geolasso.convex.ConvexReLU`), with a
        :class:`~geolasso.exceptions.GeolassoWarning` naming both sizes. An
        int: a sample of that many atoms when the exhaustive dictionary is
        larger; None: the exhaustive dictionary. An int or None that does not
        fit ``memory_limit`` raises
        :class:`~geolasso.exceptions.DictionaryTooLargeError`, which names
        the largest size that fits.
    random_state : int, Generator or None, default=None
        Seed of a sampled dictionary (of sampled patterns).
    tol : float, default=1e-8
        Relative duality gap of the Lasso (of the arrangement program,
        relative to its objective).
    max_iter : int, default=500
        Lasso rounds (pricing rounds of the arrangement solver).
    memory_limit : int, default=2 GiB
        Budget in bytes of the dictionary fit (see ``max_atoms``; of the
        patterns with ``method="arrangement"``).
    verbose : bool, default=False
        Show progress over the Lasso or pricing rounds, with the objective and
        the gap, on standard error: a tqdm bar on a terminal, otherwise (logs,
        CI) a plain line every 30 s and one at the end.

    Attributes
    ----------
    network_ : ConvNetwork
        The recovered CNN (``network_.to_torch(size)`` for torch).
    objective_ : float
        The optimum reached, equal to ``network_``'s objective.
    exact_ : bool
        True when ``objective_`` is the global optimum: ℓ1 norm with the
        exhaustive dictionary with data and basis generators, or the
        arrangement program (not gated) over every pattern with a certified
        relative gap below ``max(tol, 1e-6)``.
    optimality_gap_ : float
        ``method="arrangement"``: the certified absolute gap to the optimum
        over the patterns used (to the global optimum when they were
        enumerated); NaN for the dictionary (see ``lasso_gap_``).
    lasso_gap_ : float
        Relative duality gap of the Lasso (of the arrangement program).
    dictionary_ : WedgeDictionary or None
        The wedge-patch dictionary (over the stacked patches).
    patterns_ : ActivationPatterns or None
        ``method="arrangement"``: the patterns of the stacked patches.
    solution_ : CReLUResult or None
        ``method="arrangement"``: the solver's result.
    gates_ : ndarray or None
        ``gated=True``: one gate (weights, then bias) per filter.
    filters_ : list of dict
        Per filter: ``filter`` (index in ``network_``), ``weight``, ``bias``,
        ``output_weight``, ``patches`` (as ``(image, row, column)``, the
        patch's top-left corner) and ``axes``. For the dictionary the
        patches and axes are the atom's generators; for the arrangement
        program the patches the filter's hyperplane passes through (the
        faces of its pattern's cone it lies on), and ``pattern``.
    n_patches_ : int
        Patches per image.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(6, 4))   # six signals of length 4
    >>> y = np.maximum(X[:, 1:] - X[:, :-1], 0).sum(axis=1)
    >>> model = ConvexCNN(kernel_size=2, alpha=1e-2).fit(X, y)
    >>> model.exact_, bool(abs(model.network_.objective(X, y, 1e-2) - model.objective_) < 1e-12)
    (True, True)
    """

    _parameter_constraints: ClassVar[dict] = {
        # an int or a pair of ints (any sequence: checked by patches.pair)
        "kernel_size": [at_least(1), "array-like"],
        "alpha": [POSITIVE],
        "stride": [at_least(1), "array-like"],
        "padding": [at_least(0), "array-like"],
        "pooling": [options("sum", "mean")],
        "norm": [options("l1", "l2")],
        "bias": BIAS,
        "generators": [options("data+basis", "data")],
        "max_atoms": [at_least(2), options("auto"), None],
        # "dictionary": the former spelling of "wedge" (a FutureWarning in fit)
        "method": [options("wedge", "arrangement"), deprecated("dictionary")],
        "patterns": [options("auto", "exact"), at_least(1), ActivationPatterns],
        "gated": ["boolean"],
        "start": [options("dictionary"), None],
        "random_state": RANDOM_STATE,
        "tol": [NONNEGATIVE],
        "max_iter": [COUNT],
        "memory_limit": [POSITIVE],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        kernel_size=3,
        alpha=1e-3,
        *,
        stride=1,
        padding=0,
        pooling="sum",
        norm="l1",
        bias=True,
        generators="data+basis",
        max_atoms="auto",
        method="wedge",
        patterns="auto",
        gated=False,
        start="dictionary",
        random_state=None,
        tol=1e-8,
        max_iter=500,
        memory_limit=DEFAULT_MEMORY_LIMIT,
        verbose=False,
    ):
        self.kernel_size = kernel_size
        self.alpha = alpha
        self.stride = stride
        self.padding = padding
        self.pooling = pooling
        self.norm = norm
        self.bias = bias
        self.generators = generators
        self.max_atoms = max_atoms
        self.method = method
        self.patterns = patterns
        self.gated = gated
        self.start = start
        self.random_state = random_state
        self.tol = tol
        self.max_iter = max_iter
        self.memory_limit = memory_limit
        self.verbose = verbose

    def _patches(self, images):
        return patches(images, self.kernel_size, stride=self.stride, padding=self.padding)

    def fit(self, images, y):
        """Fit the model.

        Parameters
        ----------
        images : array_like
            ``(n, L)`` signals, ``(n, H, W)`` or ``(n, C, H, W)`` images.
        y : array_like, shape (n,)
            Targets.

        Returns
        -------
        self : ConvexCNN
            The fitted estimator.
        """
        from ._validation import check_positive

        self._validate_params()
        if self.method == "dictionary":
            warnings.warn(
                "method='dictionary' is now spelled method='wedge', as in ConvexReLU; the old "
                "spelling is accepted in this release and removed in the next",
                FutureWarning,
                stacklevel=2,
            )
        if self.method == "arrangement":
            _check_arrangement(self.norm, self.bias, bool(self.gated))
        elif self.gated:
            raise ValueError(
                "gated=True is the gated-ReLU program: use it with method='arrangement'"
            )
        X4, signal = as_images(images)
        P = patches_of(X4, signal, self.kernel_size, self.stride, self.padding)
        n, K = P.shape[:2]
        y = as_float_array(y, "y").reshape(-1)
        if y.shape != (n,):
            raise ValueError(f"y must have one target per image, shape ({n},); got {y.shape}")
        alpha = check_positive(self.alpha, "alpha")
        if signal:
            kernel, stride, pad = (
                (1, int(self.kernel_size)),
                (1, int(self.stride)),
                (0, int(self.padding)),
            )
        else:
            kernel = pair(self.kernel_size, "kernel_size", 1)
            stride = pair(self.stride, "stride", 1)
            pad = pair(self.padding, "padding", 0)
        where = patch_positions(X4.shape, kernel, stride, pad)
        forget_fit(self, keep=("classes_",))  # nothing of a previous fit survives
        self.n_patches_ = K
        self.n_features_in_ = int(np.prod(X4.shape[1:]))
        shape = {"in_channels": X4.shape[1], "signal": signal}
        if self.method == "arrangement":
            return self._fit_arrangement(P, y, alpha, where, shape)
        return self._fit_dictionary(P, y, alpha, where, shape)

    def _network(self, W, b, v, c, shape):
        return ConvNetwork(
            W,
            b,
            v,
            c,
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            pooling=self.pooling,
            **shape,
        )

    def _dictionary(self, P):
        """The wedge-patch dictionary of the stacked patches ``P``, sized to ``memory_limit``.

        The fit's memory is counted (:func:`_fit_bytes`: the dense features of
        every stacked patch row and image, the build, the solver) before
        anything is allocated: ``"auto"`` takes the exhaustive dictionary when
        it fits (and has at most ``AUTO_MAX_ATOMS`` atoms), otherwise the
        largest seeded sample that fits, at most ``AUTO_SAMPLE_ATOMS``, with a
        warning; an int or None that does not fit raises.
        """
        from .auto import AUTO_MAX_ATOMS, AUTO_SAMPLE_ATOMS

        n, K, h = P.shape
        rows = n * K
        limit = self.memory_limit
        if not (isinstance(limit, (int, float, np.integer, np.floating)) and limit > 0):
            raise ValueError(f"memory_limit must be a positive number of bytes; got {limit!r}")
        setting = setting_of(self.bias)
        k = subset_size(setting, h)
        total = dictionary_size(rows, h, bias=self.bias, generators=self.generators)
        kwargs = dict(
            bias=self.bias,
            generators=self.generators,
            norm=self.norm,
            random_state=self.random_state,
            memory_limit=limit,
        )
        source = f"the {rows:,} stacked patches ({K} per image, {h} values each) of the {n} images"
        fits = _largest_fitting(n, K, h, k, total, limit)
        max_atoms = self.max_atoms
        if isinstance(max_atoms, str):
            if max_atoms != "auto":
                raise ValueError(f"max_atoms must be 'auto', an int or None; got {max_atoms!r}")
            if fits >= total and total <= AUTO_MAX_ATOMS:
                return WedgeDictionary(P.reshape(rows, h), **kwargs, check_input=False)
            size = min(fits, AUTO_SAMPLE_ATOMS // 2 * 2)
            if size == 0:
                need = _fit_bytes(n, K, h, k, 2)["total"]
                self._raise_too_large("max_atoms='auto'", source, 2, total, need, limit, fits)
            why = (
                f"more than the {AUTO_MAX_ATOMS:,} atoms max_atoms='auto' builds exhaustively"
                if fits >= total
                else "too many to fit memory_limit = "
                f"{format_bytes(limit)} (its dense fit would need about "
                f"{format_bytes(_fit_bytes(n, K, h, k, total)['total'])})"
            )
            need = _fit_bytes(n, K, h, k, size)["total"]
            warnings.warn(
                f"the exhaustive wedge-patch dictionary of {source} has {_count(total)} atoms, "
                f"{why}; fitting over a seeded random sample of {size:,} atoms instead "
                f"(random_state={self.random_state!r}; about {format_bytes(need)} with the "
                f"features of every patch row, the largest sample that fits, at most "
                f"{AUTO_SAMPLE_ATOMS:,}). The fit is an upper bound on the global optimum "
                f"(exact_ = False). Pass max_atoms=<int> to choose the sample size (samples of "
                f"up to {fits:,} atoms fit memory_limit), or raise memory_limit.",
                GeolassoWarning,
                stacklevel=_outside_level(),
            )
            return WedgeDictionary(P.reshape(rows, h), max_atoms=size, **kwargs, check_input=False)
        if max_atoms is None:
            n_atoms, what = total, "max_atoms=None"
        else:
            max_atoms = as_positive_int(max_atoms, "max_atoms", minimum=2)
            n_atoms, what = min(max_atoms // 2 * 2, total), f"max_atoms={max_atoms:_}"
        if n_atoms > fits:
            need = _fit_bytes(n, K, h, k, n_atoms)["total"]
            self._raise_too_large(what, source, n_atoms, total, need, limit, fits)
        return WedgeDictionary(P.reshape(rows, h), max_atoms=max_atoms, **kwargs, check_input=False)

    @staticmethod
    def _raise_too_large(what, source, n_atoms, total, need, limit, fits):
        remedy = (
            f"Pass max_atoms=<int> of at most {fits:_} to sample (max_atoms='auto' picks the "
            "largest seeded sample that fits), or raise memory_limit."
            if fits
            else "Even two atoms do not fit: raise memory_limit."
        )
        raise DictionaryTooLargeError(
            f"{what}: the wedge-patch dictionary of {source} would have {_count(n_atoms)} atoms "
            f"(the exhaustive one has {_count(total)}); fitting over it (the features of every "
            f"patch row, pooled per image, and the Lasso) needs about {format_bytes(need)}, above "
            f"memory_limit = {format_bytes(limit)}. {remedy}",
            n_atoms=n_atoms,
            required_bytes=int(need),
            limit_bytes=int(limit),
        )

    def _fit_dictionary(self, P, y, alpha, where, shape):
        from .lasso import lasso
        from .progress import Progress

        K = P.shape[1]
        setting = bias_name(self.bias)
        D = self._dictionary(P)
        F = _pooled_features(D, P, self.pooling)
        progress = Progress(self.verbose, "geolasso cnn")
        try:
            with convergence_warnings_collected() as lower:  # the Lasso's: folded in below
                res = lasso(
                    F,
                    y,
                    alpha,
                    fit_intercept=setting == "free",
                    tol=self.tol,
                    max_iter=self.max_iter,
                    callback=progress,
                )
        finally:
            progress.close()
        del F  # the readout below needs only the support's hyperplanes
        if not res.converged:
            why = solver_reason(lower)
            warnings.warn(
                f"the Lasso stopped at relative gap {res.dual_gap:.1e} > tol = {self.tol:g}"
                + (f" ({why})" if why else "")
                + "; raise max_iter or tol",
                ConvergenceWarning,
                stacklevel=_outside_level(),
            )
        support, values = res.support, res.values
        scale = np.sqrt(np.abs(values))
        signed = D.hyperplanes_of(support // 2) * (D.orientations[support] * scale)[:, None]
        W, b = signed[:, :-1], signed[:, -1]
        v = np.sign(values) * scale
        c = float(res.intercept) if setting == "free" else 0.0
        self.network_ = self._network(W, b, v, c, shape)
        self.dictionary_ = D
        self.patterns_ = self.solution_ = self.gates_ = None
        self.objective_ = float(res.objective)
        self.lasso_gap_ = float(res.dual_gap)
        self.optimality_gap_ = math.nan
        self.exact_ = bool(self.norm == "l1" and D.exact and self.generators == "data+basis")
        self.filters_ = []
        for f, j in enumerate(support):
            samples, axes = D.generators_of(int(j))
            self.filters_.append(
                {
                    "filter": f,
                    "weight": W[f],
                    "bias": float(b[f]),
                    "output_weight": float(v[f]),
                    "patches": [(s // K, *where[s % K]) for s in samples],
                    "axes": list(axes),
                }
            )
        return self

    def _patterns(self, P):
        """Activation patterns of the stacked patches of ``P``
        (:func:`geolasso.auto.choose_patterns`)."""
        from .auto import choose_patterns

        n, K, h = P.shape
        try:
            return choose_patterns(
                P.reshape(n * K, h),
                self.patterns,
                bias=self.bias,
                random_state=self.random_state,
                memory_limit=self.memory_limit,
                checked=True,
                stacklevel=3,
            )
        except DictionaryTooLargeError as err:
            raise DictionaryTooLargeError(
                f"the 'samples' below are the {n * K} stacked patches ({K} per image, {h} "
                f"values each) of the {n} images: {err} With ConvexCNN, pass patterns=<int> to "
                "sample.",
                n_atoms=err.n_atoms,
                required_bytes=err.required_bytes,
                limit_bytes=err.limit_bytes,
            ) from None

    def _dictionary_start(self, P, y, alpha, where, shape, patterns):
        """The wedge-patch dictionary fit's filter patterns added to ``patterns``, and the
        solver's starting point at that fit."""
        from .crelu import start_from_network
        from .network import ReLUNetwork

        n, K, h = P.shape
        M = P.reshape(n * K, h)
        helper = self.__class__(**{**self.get_params(), "method": "wedge", "norm": "l2"})
        # only a starting point: whether its Lasso converged does not matter (the solver
        # warns when it does not converge itself), so its warning is not passed on
        with convergence_warnings_collected():
            net = helper._fit_dictionary(P, y, alpha, where, shape).network_
        Z = M if patterns.bias == "none" else np.column_stack([M, np.ones(n * K)])
        seen = {m.tobytes() for m in patterns.patterns}
        masks, gates = [], []
        for w, b in zip(net.W, net.b, strict=True):
            gate = w if patterns.bias == "none" else np.append(w, b)
            t = Z @ gate
            mask = t > 1e-9 * (np.abs(Z) @ np.abs(gate))  # tied patches inactive
            if mask.any() and mask.tobytes() not in seen:
                seen.add(mask.tobytes())
                masks.append(mask)
                gates.append(gate)
        if masks:
            patterns = ActivationPatterns(
                np.vstack([patterns.patterns, np.array(masks)]),
                np.vstack([patterns.gates, np.array(gates)]),
                False,
                patterns.method,
                patterns.bias,
                patterns.n_zero,
            )
        network = ReLUNetwork(net.W, net.b, net.v, c=net.c)
        start, _ = start_from_network(network, patterns, M)
        return patterns, start

    def _fit_arrangement(self, P, y, alpha, where, shape):
        from ._crelu_groups import pen_norms
        from .convex import EXACT_RTOL
        from .crelu import solve_crelu, to_network
        from .progress import Progress

        n, K, h = P.shape
        M = P.reshape(n * K, h)
        patterns = self._patterns(P)
        start = None
        if self.start == "dictionary" and not patterns.exact and not self.gated:
            patterns, start = self._dictionary_start(P, y, alpha, where, shape, patterns)
        progress = Progress(self.verbose, "geolasso cnn")
        try:
            res = solve_crelu(
                M,
                y,
                alpha,
                patterns,
                norm=self.norm,
                gated=bool(self.gated),
                tol=self.tol,
                max_rounds=self.max_iter,
                pooling=(K, 1.0 if self.pooling == "sum" else 1.0 / K),
                start=start,
                callback=progress,
            )
        finally:
            progress.close()
        self.patterns_ = patterns
        self.solution_ = res
        self.dictionary_ = None
        self.lasso_gap_ = res.relative_gap
        self.optimality_gap_ = res.gap
        self.filters_ = []
        if self.gated:
            self.network_ = None
            self.gates_ = patterns.gates[res.pattern]
            self.objective_ = res.objective
            self.exact_ = False
            for f, (p, row) in enumerate(zip(res.pattern, res.coef, strict=True)):
                self.filters_.append(
                    {
                        "filter": f,
                        "pattern": int(p),
                        "gate": self.gates_[f],
                        "weight": row[:h],
                        "bias": float(row[h]) if row.shape[0] > h else 0.0,
                    }
                )
            return self
        self.gates_ = None
        net = to_network(res, patterns, self.norm)
        self.network_ = self._network(net.W, net.b, net.v, net.c, shape)
        self.objective_ = self.network_.objective_of_patches(
            P, y, alpha, self.norm, bias_name(self.bias)
        )
        self.exact_ = bool(patterns.exact) and res.relative_gap <= max(self.tol, EXACT_RTOL)
        n_pen = h if patterns.bias == "free" else res.coef.shape[1]
        keep = pen_norms(res.coef, n_pen, self.norm) > 0.0  # the rows to_network keeps
        for f, (p, w, b, v) in enumerate(zip(res.pattern[keep], net.W, net.b, net.v, strict=True)):
            values = M @ w + b
            on = np.abs(values) <= 1e-9 * (np.abs(M).sum(axis=1) * np.abs(w).max() + abs(b))
            self.filters_.append(
                {
                    "filter": f,
                    "pattern": int(p),
                    "weight": w,
                    "bias": float(b),
                    "output_weight": float(v),
                    "patches": [(s // K, *where[s % K]) for s in np.flatnonzero(on)],
                    "axes": [],
                }
            )
        return self

    def predict(self, images) -> np.ndarray:
        """Predictions.

        Parameters
        ----------
        images : array_like
            As in :meth:`fit`.

        Returns
        -------
        ndarray of float64, shape (n,)
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "objective_")
        if self.network_ is not None:
            return self.network_.predict(images)
        # gated: filter f acts on the patches where its gate is active
        P = self._patches(images)
        res = self.solution_
        h = P.shape[2]
        Z = P if res.coef.shape[1] == h else np.concatenate([P, np.ones((*P.shape[:2], 1))], 2)
        on = Z @ self.gates_.T > 0.0  # (n, K, m)
        act = np.where(on, Z @ res.coef.T, 0.0) * res.sign
        pooled = act.sum(axis=1) if self.pooling == "sum" else act.mean(axis=1)
        return pooled.sum(axis=1) + res.intercept


class ConvexCNNClassifier(ConvexCNN):
    """:class:`ConvexCNN` for two classes: labels mapped to -1 and +1, squared loss.

    Parameters are those of :class:`ConvexCNN`; ``classes_`` holds the two
    labels (``classes_[1]`` is +1). For more classes, fit one per class
    (one-vs-rest), e.g. with
    ``sklearn.multiclass.OneVsRestClassifier(ConvexCNNClassifier())``: the
    models are fitted one after another, each within ``memory_limit``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(8, 5))
    >>> labels = np.where(X[:, 2] > 0, "up", "down")
    >>> clf = ConvexCNNClassifier(kernel_size=2, alpha=1e-3).fit(X, labels)
    >>> clf.score(X, labels)
    1.0
    """

    def fit(self, images, y):
        """Fit the model.

        Parameters
        ----------
        images : array_like
            As in :meth:`ConvexCNN.fit`.
        y : array_like, shape (n,)
            Two class labels.

        Returns
        -------
        self : ConvexCNNClassifier
            The fitted estimator.
        """
        labels = np.asarray(y)
        classes, encoded = np.unique(labels, return_inverse=True)
        if classes.size != 2:
            raise ValueError(
                f"ConvexCNNClassifier fits two classes; y has {classes.size}: "
                f"{classes.tolist()[:10]}. Fit one model per class (one-vs-rest), e.g. "
                "sklearn.multiclass.OneVsRestClassifier(ConvexCNNClassifier(...))"
            )
        self.classes_ = classes
        return super().fit(images, np.where(encoded == 1, 1.0, -1.0))

    def decision_function(self, images) -> np.ndarray:
        """Network outputs; positive means ``classes_[1]``.

        Parameters
        ----------
        images : array_like
            As in :meth:`ConvexCNN.fit`.

        Returns
        -------
        ndarray of float64, shape (n,)
        """
        return super().predict(images)

    def predict(self, images) -> np.ndarray:
        """Predicted labels.

        Parameters
        ----------
        images : array_like
            As in :meth:`ConvexCNN.fit`.

        Returns
        -------
        ndarray
        """
        return self.classes_[(self.decision_function(images) > 0).astype(int)]

    def score(self, images, y, sample_weight=None) -> float:
        """Accuracy.

        Parameters
        ----------
        images : array_like
            As in :meth:`ConvexCNN.fit`.
        y : array_like, shape (n,)
            True labels.
        sample_weight : array_like, optional
            Weights.

        Returns
        -------
        float
        """
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(y, self.predict(images), sample_weight=sample_weight))
