"""The exact wedge dictionary of 3-D data, numbered instead of stored.

Overview
--------
For samples in R³ with free hidden biases, the exact dictionary (ℓ1
first-layer norm, data and basis generators; :class:`~geolasso.dictionary.
WedgeDictionary`) has one hyperplane per triple of generators among the
augmented samples ``x̃_i = (x_i, 1)`` and the directions ``e_1, e_2, e_3``
with at least one sample: the planes through three samples, through two
samples parallel to an axis, and through one sample parallel to a coordinate
plane, each in two orientations: ``2 (C(n, 3) + 3 C(n, 2) + 3 n)`` atoms
(42,168,500 at ``n = 500``, which :class:`WedgeDictionary` would store in
about 10 GiB). :class:`SpatialDictionary` stores none: atom ``j`` is a number
from which its generators follow by arithmetic (the lexicographic rank of the
triple, :mod:`geolasso._spatial_kernels`), and what grows with the data is a
few ``n``-vectors.

What a Lasso solver and a certificate need of the whole dictionary is one
reduction of ``Kᵀ r`` per round: its largest magnitude, how many atoms
violate the dual constraint, and the ``k`` most correlated atoms.
:meth:`SpatialDictionary.top_correlations` computes them in one ``O(n³ log
n)`` pass (for each pair of samples, the planes through it rotate about its
line: one angular sort of the projected samples and running sums give every
such plane's correlation) without materialising ``Kᵀ r``;
:func:`geolasso.lasso.lasso`, :func:`geolasso.dictionary.alpha_max` and
:func:`geolasso.certify` use it when it is there, and
:class:`~geolasso.ConvexReLU` chooses it for 3-D data (free bias,
``generators="data+basis"``, no ``path``, ``max_atoms`` ``"auto"`` or
``None``) when no Dask client is active (the distributed passes of
:mod:`geolasso.distributed` cover the 2-D dictionary only; with a client the
3-D route is today's stored or sampled :class:`WedgeDictionary`).

Same atoms, orientation ("+" is the normal ``×(G_t0, G_t1, G_t2)`` of the
sorted triple) and normalisation as ``WedgeDictionary(X, bias=True,
generators="data+basis", norm=norm)``, numbered in the same order *before*
that class drops anything. Unlike it, duplicates are kept and counted: a
triple of dependent generators (two equal samples, three collinear samples,
two samples on a line parallel to an axis, ...: ``‖w‖₂ <= tol ‖g_1‖ ‖g_2‖
‖g_3‖``, its rule, decided like it on the samples scaled by a power of two to
magnitude about 1 when they lie outside ``[2^-10, 2^10]``; the passes run on
those and scale back exactly) is a zero column (normaliser 0) that no solver
selects, and
coplanar samples or shared coordinates repeat hyperplanes; equal columns
leave the Lasso's optimal value unchanged.

Measured (``NUMBA_NUM_THREADS=1``, a 2-core machine shared with other work,
load average 2.5-3.9, so upper figures; ``benchmarks/bench_spatial.py``): one
full pass ``top_correlations(r, 0)`` on Gaussian samples takes 0.23 s at
``n = 250``, 2.6 s at ``n = 500`` and 14 s at ``n = 1,000`` (best of two;
335 million atoms); compiling the kernels into an empty cache about 7 s.
``ConvexReLU`` on ``geolasso.datasets.teacher(n, 3)`` at ``alpha_max / 100``
and ``/ 1000``: 2.0 s and 2.3 s at ``n = 250`` (the stored
:class:`WedgeDictionary` route: 12 s and 19 s, the same objectives), 18 s and
35 s at ``n = 500``, 178 s and 184 s at ``n = 1,000``; all ``exact_``, with
certified relative gaps below ``1e-12``.
"""

from __future__ import annotations

import math

import numpy as np

from ._numbered import NumberedDictionary
from ._validation import as_float_array, as_indices, check_option, scale_exponent
from .exceptions import DictionaryTooLargeError
from .memory import DEFAULT_MEMORY_LIMIT, check_memory
from .memory import format_bytes as _gib

__all__ = ["SpatialDictionary", "n_spatial_atoms", "spatial_bytes"]

#: Dependence tolerance of WedgeDictionary (its default ``tol``).
_TOL = 1e-10


def _kernels():
    from . import _spatial_kernels

    return _spatial_kernels


def spatial_bytes(n_samples: int) -> int:
    """Memory of a :class:`SpatialDictionary`'s pass over ``n_samples`` samples.

    Parameters
    ----------
    n_samples : int

    Returns
    -------
    int
        Bytes: the generators and a dozen ``n``-vectors (the sort, the
        doubled angles, the prefix sums).
    """
    n = int(n_samples)
    return 200 * (n + 3) + 4096


def n_spatial_atoms(n_samples: int) -> int:
    """``2 (C(n + 3, 3) - 1) = 2 (C(n, 3) + 3 C(n, 2) + 3 n)``."""
    n = int(n_samples)
    return 2 * (math.comb(n + 3, 3) - 1)


def _pair_inverse(h, m):
    """``(u, v)``, ``u < v < m``, of lexicographic pair ranks ``h`` among ``m`` items."""
    b = 2 * m - 1
    u = np.floor((b - np.sqrt(np.maximum(b * b - 8.0 * h, 0.0))) / 2).astype(np.int64)
    u = np.clip(u, 0, np.maximum(m - 2, 0))
    for _ in range(2):  # the square root's rounding, either way
        u = np.where(u * (2 * m - u - 1) // 2 > h, u - 1, u)
        u = np.where((u + 1) * (2 * m - u - 2) // 2 <= h, u + 1, u)
    return u, h - u * (2 * m - u - 1) // 2 + u + 1


def _cross_rows(A, B, C):
    """Row-wise ``×(a, b, c)`` in R⁴ (the kernels' cofactors)."""
    a0, a1, a2, a3 = A.T
    b0, b1, b2, b3 = B.T
    c0, c1, c2, c3 = C.T
    m23 = b2 * c3 - b3 * c2
    m13 = b1 * c3 - b3 * c1
    m12 = b1 * c2 - b2 * c1
    m03 = b0 * c3 - b3 * c0
    m02 = b0 * c2 - b2 * c0
    m01 = b0 * c1 - b1 * c0
    return np.column_stack(
        [
            a1 * m23 - a2 * m13 + a3 * m12,
            -(a0 * m23 - a2 * m03 + a3 * m02),
            a0 * m13 - a1 * m03 + a3 * m01,
            -(a0 * m12 - a1 * m02 + a2 * m01),
        ]
    )


class SpatialDictionary(NumberedDictionary):
    """The exhaustive exact wedge dictionary of 3-D data with free biases, matrix-free.

    Same atoms, order of orientations and normalisation as
    ``WedgeDictionary(X, bias=True, generators="data+basis", norm=norm)``,
    without dropping duplicates (module overview).

    Parameters
    ----------
    X : array_like, shape (n_samples, 3)
        Training samples, at least 3.
    norm : {"l1", "l2"}, default="l1"
        Atom normalisation: ``"l1"`` is the exact mode (docs/mathematics.md §4.3), ``"l2"``
        the weight-decay approximation (an upper bound).
    memory_limit : int, default=2 GiB
        Budget for what grows with the data (:func:`spatial_bytes`, dense
        columns, ``Kᵀ r`` in full); above it
        :class:`~geolasso.exceptions.DictionaryTooLargeError`.
    check_input : bool, default=True
        Convert ``X`` to float64 and check it (finite, 2-D). ``False`` skips
        the conversion and the finiteness and range checks for samples already validated
        (as estimators do after ``validate_data``); use it only then.

    Attributes
    ----------
    n_atoms : int
        ``2 (C(n, 3) + 3 C(n, 2) + 3 n)``.
    n_hyperplanes : int
        Half of it.

    Examples
    --------
    >>> D = SpatialDictionary([[0, 0, 0], [1, 0, 0], [0, 1, 0]])
    >>> D.n_atoms, D.generators_of(0)
    (38, ((0, 1, 2), ()))
    """

    setting = "B"
    bias = "free"
    fit_intercept = True
    generators = "data+basis"
    sampled = False
    sketch_dim = None
    #: The Lasso's partial passes between full ones (:mod:`geolasso.lasso`): a pass
    #: through ``p`` samples costs ``2 p / n`` of a full one here (``p / n`` in 2-D, over
    #: far more samples), so the solver ranks a pool from each full pass instead.
    partial_passes = False

    def __init__(
        self,
        X,
        *,
        norm: str = "l1",
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        check_input: bool = True,
    ):
        if check_input:
            X = as_float_array(X, "X", shape_doc="(n_samples, 3)")
        if X.ndim != 2 or X.shape[1] != 3:
            raise ValueError(f"X must have shape (n_samples, 3); got {X.shape}")
        if X.shape[0] < 3:
            raise ValueError(f"X needs at least 3 samples; got {X.shape[0]}")
        check_option(norm, "norm", ("l1", "l2"))
        if not (
            isinstance(memory_limit, (int, float, np.integer, np.floating)) and memory_limit > 0
        ):
            raise ValueError(
                f"memory_limit must be a positive number of bytes; got {memory_limit!r}"
            )
        n = X.shape[0]
        check_memory(
            spatial_bytes(n),
            memory_limit,
            what=f"the passes of the exhaustive spatial dictionary of {n} samples",
            remedy="sample instead: WedgeDictionary(X, max_atoms=..., random_state=0), or "
            "raise memory_limit",
            error=DictionaryTooLargeError,
            n_atoms=n_spatial_atoms(n),
        )
        # normals are products of three coordinates: refused by name where they would
        # overflow or underflow, never computed as inf or 0
        if check_input:
            scale_exponent(X, "X")
        X = np.ascontiguousarray(X.copy())
        X.setflags(write=False)
        self.X = X
        self.n_samples, self.n_features = X.shape
        self.norm = norm
        self.memory_limit = memory_limit
        self._Xa = np.column_stack([X, np.ones(n)])
        # as WedgeDictionary: hyperplanes found, and dependence decided, on the
        # standardised samples 2^k X (k = 0 for ordinary data), then mapped back exactly
        self._std_k = scale_exponent(X, "X", even=False, check_range=False)
        G = np.zeros((n + 3, 4))
        G[:n, :3] = np.ldexp(X, self._std_k)
        G[:n, 3] = 1.0
        G[n:, :3] = np.eye(3)
        self._G = G
        self._gnorm = np.linalg.norm(G, axis=1)
        self.n_generators = n + 3
        self.n_hyperplanes = math.comb(n + 3, 3) - 1
        self.n_atoms = 2 * self.n_hyperplanes
        t = np.arange(n + 3, dtype=np.int64)
        a = n + 3 - t
        self._starts = math.comb(n + 3, 3) - a * (a - 1) * (a - 2) // 6  # first rank of t0

    # ------------------------------------------------------------------ basics
    @property
    def exact(self) -> bool:
        """bool: whether the Lasso optimum is the network's global optimum (``norm="l1"``)."""
        return self.norm == "l1"

    @property
    def shape(self) -> tuple[int, int]:
        """tuple: ``(n_samples, n_atoms)``."""
        return (self.n_samples, self.n_atoms)

    def __len__(self) -> int:
        return self.n_atoms

    def __repr__(self) -> str:
        return (
            f"SpatialDictionary(n_samples={self.n_samples}, n_atoms={self.n_atoms:,}, "
            f"norm={self.norm!r})"
        )

    def summary(self) -> str:
        """A few lines on the dictionary: counts, storage and exactness.

        Returns
        -------
        str
        """
        n = self.n_samples
        return "\n".join(
            [
                f"exhaustive spatial wedge dictionary: {n} samples in R^3, setting B (bias: "
                f"free), data+basis generators, {self.norm} normalisation, atoms numbered "
                f"(not stored; a pass holds {_gib(spatial_bytes(n))})",
                f"{math.comb(n, 3)} planes through three samples, {3 * math.comb(n, 2)} "
                f"through two parallel to an axis, {3 * n} through one parallel to a "
                "coordinate plane (dependent triples are zero columns)",
                f"{self.n_hyperplanes} hyperplanes x 2 orientations = {self.n_atoms} atoms; "
                + (
                    "exact: its Lasso optimum is the network's global optimum (l1 first-layer norm)"
                    if self.exact
                    else "not exact: its Lasso optimum is an upper bound on the network's"
                ),
            ]
        )

    # ------------------------------------------------------------------ numbering
    def _check_atoms(self, idx, name="columns"):
        return as_indices(idx, name, self.n_atoms, "atom")

    def _check_samples(self, idx, name):
        return as_indices(idx, name, self.n_samples, "sample")

    def _triples(self, h):
        """Generators ``(t0, t1, t2)``, increasing, of hyperplane indices ``h``."""
        h = np.asarray(h, dtype=np.int64)
        t0 = np.searchsorted(self._starts, h, side="right") - 1
        m = self.n_generators - 1 - t0
        u, v = _pair_inverse(h - self._starts[t0], m)
        return t0, t0 + 1 + u, t0 + 1 + v

    def samples_of(self, atoms) -> np.ndarray:
        """The samples the planes of ``atoms`` pass through (sorted, each once).

        Parameters
        ----------
        atoms : array_like of int

        Returns
        -------
        ndarray of int64
        """
        t = np.concatenate(self._triples(self._check_atoms(atoms, "atoms") // 2))
        return np.unique(t[t < self.n_samples])

    def _raw(self, h):
        """Normals ``×(G_t0, G_t1, G_t2)`` of the standardised generators (0: dependent),
        and how many samples each triple has."""
        t0, t1, t2 = self._triples(h)
        G = self._G
        raw = _cross_rows(G[t0], G[t1], G[t2])
        g = self._gnorm
        dependent = np.linalg.norm(raw[:, :3], axis=1) <= _TOL * g[t0] * g[t1] * g[t2]
        raw[dependent] = 0.0
        n = self.n_samples
        return raw, (t0 < n).astype(np.int64) + (t1 < n) + (t2 < n)

    def _norms(self, raw):
        return np.linalg.norm(raw[:, :3], ord=1 if self.norm == "l1" else 2, axis=1)

    def hyperplanes_of(self, h) -> np.ndarray:
        """Normalised hyperplanes ``(w, b)`` (the "+" atoms) of hyperplane indices ``h``.

        Parameters
        ----------
        h : array_like of int
            Hyperplane indices (atom ``j`` is hyperplane ``j // 2``).

        Returns
        -------
        ndarray of float64, shape (len(h), 4)
            Zero rows for dependent triples.
        """
        raw, _ = self._raw(np.asarray(h, dtype=np.int64).ravel())
        norm = self._norms(raw)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = raw / norm[:, None]
        out[norm == 0.0] = 0.0
        # w·(2^k x) + b = 0 is w·x + 2^-k b = 0: the unit weights stay, the bias scales
        out[:, 3] = np.ldexp(out[:, 3], -self._std_k)
        return out

    def normalizers_of(self, h) -> np.ndarray:
        """Normalizers ``‖w_S‖`` (ℓ1 or ℓ2) of hyperplane indices ``h`` (0: dependent).

        Parameters
        ----------
        h : array_like of int

        Returns
        -------
        ndarray of float64, shape (len(h),)
        """
        raw, n_data = self._raw(np.asarray(h, dtype=np.int64).ravel())
        # the weight part has one factor 2^k per sample generator but one (as in
        # geolasso.wedge_build.unstandardise)
        return np.ldexp(self._norms(raw), -self._std_k * (n_data - 1))

    def generators_of(self, j: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The generators of atom ``j``: sample indices and coordinate axes (1-based).

        Parameters
        ----------
        j : int
            Atom index.

        Returns
        -------
        samples, axes : tuple of int
        """
        (j,) = self._check_atoms([j], "j")
        n = self.n_samples
        t = [int(v[0]) for v in self._triples(np.array([j // 2]))]
        return tuple(v for v in t if v < n), tuple(v - n + 1 for v in t if v >= n)

    def describe(self, j: int) -> str:
        """Atom ``j`` in words: its plane, generators and feature.

        Parameters
        ----------
        j : int

        Returns
        -------
        str
        """
        (j,) = self._check_atoms([j], "j")
        h, sign = j // 2, 1 if j % 2 == 0 else -1
        samples, axes = self.generators_of(j)
        u = self.hyperplanes_of([h])[0] * sign + 0.0
        names = [str(s) for s in samples]
        where = "plane through sample" + ("s " if len(samples) > 1 else " ")
        where += " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        if len(axes) == 1:
            where += f", parallel to the x{axes[0]} axis"
        elif axes:
            where += f", parallel to the x{axes[0]}-x{axes[1]} plane"
        fmt = np.array2string(u[:3], precision=4, separator=", ", suppress_small=True)
        active = int(np.count_nonzero(self._Xa @ u > 0))
        normalizer = self.normalizers_of([h])[0]
        lines = [
            f"atom {j}: {where}, orientation {'+' if sign > 0 else '-'}",
            f"  feature: max(0, w·x + b) with w = {fmt}, b = {u[3]:.4g} "
            f"(normalizer ‖w_S‖{'₁' if self.norm == 'l1' else '₂'} = {normalizer:.4g})",
            f"  active on {active} of {self.n_samples} samples",
        ]
        if normalizer == 0.0:
            lines.append("  dependent generators: a zero column")
        return "\n".join(lines)

    # ------------------------------------------------------------------ products
    def columns(self, idx) -> np.ndarray:
        """Dense columns ``K[:, idx]``.

        Parameters
        ----------
        idx : array_like of int, shape (k,)

        Returns
        -------
        ndarray of float64, shape (n_samples, k), Fortran order
        """
        idx = self._check_atoms(idx)
        check_memory(
            8 * self.n_samples * idx.size + 64 * idx.size,
            self.memory_limit,
            what=f"{idx.size} dense columns of {self.n_samples} rows",
            error=DictionaryTooLargeError,
            n_atoms=int(idx.size),
        )
        U = self.hyperplanes_of(idx // 2)
        U[idx % 2 == 1] *= -1.0
        K = U @ self._Xa.T  # (k × n; its transpose is Fortran-ordered)
        np.maximum(K, 0.0, out=K)
        return K.T

    def matvec(self, z) -> np.ndarray:
        """``K z`` over the non-zero entries of ``z``.

        Parameters
        ----------
        z : array_like, shape (n_atoms,)

        Returns
        -------
        ndarray of float64, shape (n_samples,)
        """
        z = as_float_array(z, "z", shape_doc=f"({self.n_atoms},)")
        if z.shape != (self.n_atoms,):
            raise ValueError(f"z must have shape ({self.n_atoms},); got {z.shape}")
        nz = np.flatnonzero(z)
        if nz.size == 0:
            return np.zeros(self.n_samples)
        return self.columns(nz) @ z[nz]

    def _pass(self, r, threshold, k, out, best=False, pivots=None):
        n = self.n_samples
        r = as_float_array(r, "r", shape_doc=f"({n},)")
        if r.shape != (n,):
            raise ValueError(f"r must have shape ({n},); got {r.shape}")
        check_memory(
            16 * k + (16 * n if best else 0) + spatial_bytes(n),
            self.memory_limit,
            what=f"a pass keeping the {k} largest correlations",
            error=DictionaryTooLargeError,
            n_atoms=int(k),
        )
        full = pivots is None
        if full:
            pivots = np.arange(n, dtype=np.int64)
        marked = np.zeros(n, dtype=np.bool_)
        marked[pivots] = True
        heap_val = np.empty(k)
        heap_idx = np.empty(k, dtype=np.int64)
        piv_val = np.empty(n if best else 0)
        piv_idx = np.empty(n if best else 0, dtype=np.int64)
        top, n_above, size = _kernels()._spatial_pass(
            self._G,
            self._gnorm,
            n,
            np.ascontiguousarray(r, dtype=np.float64),
            np.ascontiguousarray(pivots, dtype=np.int64),
            marked,
            full,
            self.norm == "l1",
            _TOL,
            math.ldexp(float(threshold), self._std_k) if np.isfinite(threshold) else threshold,
            heap_val,
            heap_idx,
            out,
            piv_val,
            piv_idx,
        )
        # the standardised samples' correlations are 2^k times those of X: scaled back
        # exactly (a power of two)
        k_ = -self._std_k
        if k_:
            out[:] = np.ldexp(out, k_)
            heap_val = np.ldexp(heap_val, k_)
            piv_val[piv_val >= 0] = np.ldexp(piv_val[piv_val >= 0], k_)
        return math.ldexp(top, k_), int(n_above), heap_val[:size], heap_idx[:size], piv_val, piv_idx

    def top_correlations(
        self, r, k: int = 0, *, threshold: float = np.inf, spread=False, through=None
    ):
        """One pass over ``Kᵀ r``: its largest magnitude, a count, the ``k`` largest.

        Parameters
        ----------
        r : array_like, shape (n_samples,)
            E.g. a residual.
        k : int, default=0
            How many of the most correlated atoms to return.
        threshold : float, default=inf
            Count the atoms with ``|K_jᵀ r| > threshold``.
        spread : bool, default=False
            Also return the ``k`` largest of the atoms that are, each, the
            most correlated one swept from its sample, merged with the others
            and ordered by magnitude: candidates spread over the data rather
            than the many near-copies of one plane that top a plain ranking.
            A full pass sweeps a plane through three samples from the
            smaller of two of them in the same half of the sample indices
            (``[0, n // 2)`` or ``[n // 2, n)``; the smallest when all three
            are), and a plane through fewer samples from the smallest; a
            partial pass (``through``) from the smallest of those samples.
        through : array_like of int, optional
            A *partial* pass: only the atoms whose planes pass through these
            samples (``O(|through| n² log n)`` instead of ``O(n³ log n)``);
            every result below is then over those atoms alone, so ``top`` is
            no dual scaling and no certificate.

        Returns
        -------
        top : float
            ``max_j |K_jᵀ r|``.
        n_above : int
            Atoms above ``threshold``.
        atoms : ndarray of int64, shape (min(k, n_atoms),) (up to twice that with ``spread``)
            The ``k`` atoms of largest ``|K_jᵀ r|``, by decreasing magnitude
            (ties by index); zero columns are never among them.
        values : ndarray of float64
            Their ``K_jᵀ r`` (signed).
        """
        return self._top_correlations(r, k, threshold, spread, through)

    def rmatvec(self, r) -> np.ndarray:
        """``Kᵀ r`` in full (``8 n_atoms`` bytes; refused above ``memory_limit``).

        Parameters
        ----------
        r : array_like, shape (n_samples,)

        Returns
        -------
        ndarray of float64, shape (n_atoms,)
        """
        return self._rmatvec(r, spatial_bytes(self.n_samples))
