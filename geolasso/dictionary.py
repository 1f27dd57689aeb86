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

import numpy as np

from ._validation import as_float_array
from .exceptions import DictionaryTooLargeError
from .memory import DEFAULT_MEMORY_LIMIT, format_bytes
from .wedge_build import (
    BIAS_NAMES,
    ZERO_RTOL,
    Hyperplanes,
    Samples,
    dictionary_size,
    exhaustive_or_sampled,
    prepare_samples,
    through_samples,
)

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "DictionaryTooLargeError",
    "WedgeDictionary",
    "alpha_max",
    "dictionary_size",
]


def _kernels():
    from . import _dictionary_kernels

    return _dictionary_kernels


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
    check_input : bool, default=True
        Convert ``X`` to float64 and check it (finite, 2-D). ``False`` skips
        the conversion and the finiteness check for samples already validated
        (as estimators do after ``validate_data``); use it only then.

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
        check_input: bool = True,
    ):
        s = prepare_samples(X, bias, generators, norm, tol, memory_limit, check_input=check_input)
        planes, sampled = exhaustive_or_sampled(s, max_atoms, random_state)
        self._adopt(s, planes, sampled, None)

    def _adopt(self, s: Samples, planes: Hyperplanes, sampled: bool, sketch_dim):
        """Take the samples and hyperplanes of a build (:mod:`geolasso.wedge_build`)."""
        self.X = s.X
        self.n_samples, self.n_features = s.X.shape
        self.setting = s.setting
        self.bias = BIAS_NAMES[s.setting]
        self.fit_intercept = s.setting == "B"
        self.generators, self.norm, self.tol = s.generators, s.norm, s.tol
        self.memory_limit = s.memory_limit
        self._Xa, self._XT = s.Xa, s.XT
        self._Xs, self._Xas, self._std_k = s.Xs, s.Xas, s.std_k
        self._sq_norms_cache = None
        self.sampled = bool(sampled)
        self.sketch_dim = sketch_dim
        self.n_subsets = planes.n_subsets
        self.n_dependent = planes.n_dependent
        self.n_flat = planes.n_flat
        self.n_duplicate = planes.n_duplicate
        self._U, self._codes = planes.U, planes.codes
        self._normalizer, self._normalizer_s = planes.normalizer, planes.normalizer_s
        self.n_hyperplanes = int(planes.U.shape[0])
        self.n_atoms = 2 * self.n_hyperplanes

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
        """The randomized geometric-algebra sampler (docs/mathematics.md §4.7; reference [2] of
        the module).

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
        s = prepare_samples(X, bias, "data", norm, tol, memory_limit)
        planes, sampled, sketch = through_samples(s, n_atoms, sketch_dim, random_state)
        self = cls.__new__(cls)
        self._adopt(s, planes, sampled, sketch)
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
        zero = ZERO_RTOL * np.outer(np.linalg.norm(self._Xa, axis=1), np.linalg.norm(U, axis=1))
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
