"""The exact wedge dictionary of 2-D data, numbered instead of stored.

Overview
--------
For samples in the plane with free hidden biases, the exact dictionary
(ℓ1 first-layer norm, data and basis generators; :class:`~geolasso.
dictionary.WedgeDictionary`) has one hyperplane per pair of samples — the
line through ``x_i`` and ``x_j``, normal ``×(x̃_i, x̃_j) = (y_i - y_j, x_j -
x_i, x_i y_j - y_i x_j)`` — and two per sample — the lines through ``x_i``
parallel to the axes — each in two orientations: ``n (n - 1) + 4 n`` atoms.
:class:`WedgeDictionary` stores every hyperplane (about 300 bytes per pair
while it builds them), which caps exhaustive fits near ``n = 3,000`` within
2 GiB. :class:`PlanarDictionary` stores none: atom ``j`` is a number from
which its generators follow (see :mod:`geolasso._planar_kernels`), and the
only state that grows with the data is the angular order of the samples
around each sample (one ``n × n`` int32 array, ``4 n²`` bytes: 400 MB at
``n = 10,000``, 10⁸ atoms).

What a Lasso solver and a certificate need of the whole dictionary is one
reduction of ``Kᵀ r`` per round: its largest magnitude (the dual scaling),
how many atoms violate the dual constraint, and the ``k`` most correlated
atoms (the working set). :meth:`PlanarDictionary.top_correlations` computes
them in one ``O(n²)`` pass without materialising ``Kᵀ r`` (``16 n²`` bytes);
:func:`geolasso.lasso.lasso`, :func:`geolasso.dictionary.alpha_max` and
:func:`geolasso.certify` use it when it is there.

Unlike :class:`WedgeDictionary`, duplicate hyperplanes (three collinear
samples, or samples sharing a coordinate) are kept and counted: equal columns
leave the Lasso's optimal value unchanged, and a pair of equal samples gives
a zero column (normalizer 0), which no solver selects.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ._numbered import NumberedDictionary
from ._validation import as_float_array, as_indices, check_option, scale_exponent
from .exceptions import DictionaryTooLargeError
from .memory import DEFAULT_MEMORY_LIMIT
from .memory import format_bytes as _gib

__all__ = ["PlanarDictionary", "planar_bytes"]


def _kernels():
    from . import _planar_kernels

    return _planar_kernels


def planar_bytes(n_samples: int) -> int:
    """Memory of a :class:`PlanarDictionary` of ``n_samples`` samples (its sweep order).

    Parameters
    ----------
    n_samples : int
        Number of samples.

    Returns
    -------
    int
        Bytes: one ``n × n`` int32 array and a few ``n``-vectors.
    """
    n = int(n_samples)
    return 4 * n * n + 64 * n


def sweep_block(X, lo: int, stop: int):
    """The angular order around samples ``lo`` to ``stop - 1``: one block of the plan.

    What a pass over that block needs besides ``X`` and the residual (and all
    that grows with the data): ``(order, counts)``, ``4 n (stop - lo)`` bytes.
    The blocks of a partition of the samples make up
    :meth:`PlanarDictionary._sweep`'s order (the distributed passes of
    :mod:`geolasso.distributed` build each on the worker that keeps it).
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    order = np.zeros((stop - lo, X.shape[0]), dtype=np.int32)
    counts = np.zeros(stop - lo, dtype=np.int64)
    _kernels()._planar_sweep_rows(X, lo, order, counts)
    return order, counts


def pass_block(
    X, block, r, lo, stop, *, l1, threshold, k, best, pivots=None, axes=False, by=None, out=None
):
    """One block of a pass: the pairs swept from samples ``lo`` to ``stop - 1``.

    ``block`` is :func:`sweep_block`'s ``(order, counts)``; ``pivots`` (the
    whole pass's sorted sample indices, ``None`` for a full pass) makes it
    partial: the lines through those of its samples (a line through two
    pivots once, from the smaller, whichever blocks they are in); ``axes``
    adds the axis lines (once per pass). Returns a dict of
    the block's maximum ``top``, count ``n_above``, its ``k`` largest
    magnitudes and atoms (``vals``, ``atoms``: a total order, see
    :func:`merge_passes`) and, with ``best``, the best atom through each of
    its samples (``piv_val``, ``piv_idx``, entries ``lo`` to ``stop - 1``; all
    ``n`` with ``axes``; empty without ``best``). ``by``: the samples sorted
    by each coordinate, which only the axis lines read (computed when
    ``axes`` and not given); ``out`` (all atoms' correlations, written) only
    for a whole pass.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    n = X.shape[0]
    order, counts = block
    heap_val = np.empty(k)
    heap_idx = np.empty(k, dtype=np.int64)
    piv_val = np.empty(n if best else 0)
    piv_idx = np.empty(n if best else 0, dtype=np.int64)
    if pivots is None:
        mine = np.empty(0, dtype=np.int64)
        marked = np.empty(0, dtype=np.bool_)
    else:
        pivots = np.asarray(pivots, dtype=np.int64)
        mine = pivots[(pivots >= lo) & (pivots < stop)]
        marked = np.zeros(n, dtype=np.bool_)
        marked[pivots] = True
        if mine.size == 0 and not axes:  # (the kernel reads no pivots as a full pass)
            empty = {"top": 0.0, "n_above": 0, "lo": int(lo), "stop": int(stop)}
            empty["vals"], empty["atoms"] = np.empty(0), np.empty(0, dtype=np.int64)
            m = stop - lo if best else 0
            empty["piv_val"], empty["piv_idx"] = np.full(m, -1.0), np.full(m, -1, dtype=np.int64)
            return empty
    unsorted = np.empty(0, dtype=np.int64)
    top, n_above, size = _kernels()._planar_pass(
        X,
        np.ascontiguousarray(r, dtype=np.float64),
        order,
        counts,
        *(by if by is not None else _axis_orders(X) if axes else (unsorted, unsorted)),
        bool(l1),
        float(threshold),
        heap_val,
        heap_idx,
        np.empty(0) if out is None else out,
        piv_val,
        piv_idx,
        mine,
        marked,
        int(lo),
        int(stop),
        bool(axes),
    )
    part = {"top": float(top), "n_above": int(n_above), "lo": int(lo), "stop": int(stop)}
    part["vals"], part["atoms"] = heap_val[:size], heap_idx[:size]
    cut = slice(None) if axes or not best else slice(lo, stop)
    part["piv_val"], part["piv_idx"] = piv_val[cut], piv_idx[cut]
    return part


def merge_passes(parts, axis, k, n, best):
    """The whole pass from its pair blocks (:func:`pass_block`) and its axis-line part.

    ``parts`` are blocks of disjoint sample ranges; ``axis`` is the part with
    the axis lines (a block of no samples). The maximum and the count add up;
    the ``k`` largest are taken over all parts by magnitude, ties by smaller
    atom (the order every heap keeps, so the set is the single pass's
    whatever the blocks); the best atom through each sample is its block's
    (``-1`` for a sample no block swept), replaced by an axis line only when
    that is strictly larger (as within one pass, which sweeps the axis lines
    last). Returns ``(top, n_above, vals, atoms, piv_val, piv_idx)``.
    """
    every = [*parts, axis]
    top = max(p["top"] for p in every)
    n_above = sum(p["n_above"] for p in every)
    vals = np.concatenate([p["vals"] for p in every])
    atoms = np.concatenate([p["atoms"] for p in every])
    keep = np.lexsort((atoms, -vals))[:k]
    vals, atoms = vals[keep], atoms[keep]
    piv_val = np.empty(0)
    piv_idx = np.empty(0, dtype=np.int64)
    if best:
        piv_val = np.full(n, -1.0)
        piv_idx = np.full(n, -1, dtype=np.int64)
        for p in parts:
            piv_val[p["lo"] : p["stop"]] = p["piv_val"]
            piv_idx[p["lo"] : p["stop"]] = p["piv_idx"]
        up = axis["piv_val"] > piv_val
        piv_val[up], piv_idx[up] = axis["piv_val"][up], axis["piv_idx"][up]
    return top, n_above, vals, atoms, piv_val, piv_idx


def _axis_orders(X):
    """The samples sorted by each coordinate (the axis lines' sweeps)."""
    by_x = np.argsort(X[:, 0], kind="stable").astype(np.int64)
    by_y = np.argsort(X[:, 1], kind="stable").astype(np.int64)
    return by_x, by_y


class PlanarDictionary(NumberedDictionary):
    """The exhaustive exact wedge dictionary of 2-D data with free biases, matrix-free.

    Same atoms, order of orientations and normalisation as
    ``WedgeDictionary(X, bias=True, generators="data+basis", norm=norm)``,
    numbered differently and without dropping duplicates (module overview).

    Parameters
    ----------
    X : array_like, shape (n_samples, 2)
        Training samples.
    norm : {"l1", "l2"}, default="l1"
        Atom normalisation: ``"l1"`` is the exact mode (docs/mathematics.md §4.3), ``"l2"``
        the weight-decay approximation (an upper bound).
    memory_limit : int, default=2 GiB
        Budget for the sweep order (:func:`planar_bytes`); above it
        :class:`~geolasso.exceptions.DictionaryTooLargeError`.
    plan : {"here", "cluster"}, default="here"
        Where the sweep order (the plan, ``4 n²`` bytes) is built:
        ``"cluster"``: in blocks on the workers of a Dask cluster, by the
        passes run inside :func:`geolasso.distributed.distributed_passes`;
        ``memory_limit`` then counts only what stays here, and a pass outside
        that context is refused when the plan does not fit it.
    check_input : bool, default=True
        Convert ``X`` to float64 and check it (finite, 2-D). ``False`` skips
        the conversion and the finiteness and range checks for samples already validated
        (as estimators do after ``validate_data``); use it only then.

    Attributes
    ----------
    n_atoms : int
        ``n (n - 1) + 4 n``.
    pass_runner : geolasso.distributed.PlanarRunner or None
        Where the full passes run: None here; the blocked passes on a Dask
        cluster while :func:`geolasso.distributed.distributed_passes` is active.
    n_hyperplanes : int
        Half of it.
    n_duplicate : int
        Pairs of equal samples (zero columns); collinear triples and shared
        coordinates also repeat hyperplanes and are not counted.

    Examples
    --------
    >>> D = PlanarDictionary([[0, 0], [4, 0], [1, 3]])
    >>> D.n_atoms, D.generators_of(4)
    (18, ((1, 2), ()))
    """

    setting = "B"
    bias = "free"
    fit_intercept = True
    generators = "data+basis"
    sampled = False
    sketch_dim = None

    def __init__(
        self,
        X,
        *,
        norm: str = "l1",
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        plan: str = "here",
        check_input: bool = True,
    ):
        if check_input:
            X = as_float_array(X, "X", shape_doc="(n_samples, 2)")
        if X.ndim != 2 or X.shape[1] != 2:
            raise ValueError(f"X must have shape (n_samples, 2); got {X.shape}")
        if X.shape[0] < 2:
            raise ValueError(f"X needs at least 2 samples; got {X.shape[0]}")
        check_option(norm, "norm", ("l1", "l2"))
        if not (
            isinstance(memory_limit, (int, float, np.integer, np.floating)) and memory_limit > 0
        ):
            raise ValueError(
                f"memory_limit must be a positive number of bytes; got {memory_limit!r}"
            )
        check_option(plan, "plan", ("here", "cluster"))
        n = X.shape[0]
        need = planar_bytes(n)
        if need > memory_limit and plan == "here":
            raise DictionaryTooLargeError(
                f"the exhaustive planar dictionary of {n} samples needs about {_gib(need)} "
                f"for its sweep order (4 n² bytes), above memory_limit = {_gib(memory_limit)}. "
                "Sample instead: WedgeDictionary(X, max_atoms=..., random_state=0), or raise "
                "memory_limit.",
                n_atoms=n * (n - 1) + 4 * n,
                required_bytes=int(need),
                limit_bytes=int(memory_limit),
            )
        # hyperplanes are products of two coordinates (x_i ∧ x_j): refused by name where
        # they would overflow or underflow, never computed as inf or 0
        if check_input:
            scale_exponent(X, "X")
        X = np.ascontiguousarray(X.copy())
        X.setflags(write=False)
        self.X = X
        self.n_samples, self.n_features = X.shape
        self.norm = norm
        self.memory_limit = memory_limit
        self.plan = plan
        self._Xa = np.column_stack([X, np.ones(n)])
        self.n_pairs = n * (n - 1) // 2
        self.n_hyperplanes = self.n_pairs + 2 * n
        self.n_atoms = 2 * self.n_hyperplanes
        counts = np.bincount(np.unique(X, axis=0, return_inverse=True)[1].ravel())
        self.n_duplicate = int(sum(math.comb(int(c), 2) for c in counts if c > 1))
        self._plan = None
        self.pass_runner = None

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
            f"PlanarDictionary(n_samples={self.n_samples}, n_atoms={self.n_atoms:,}, "
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
                f"exhaustive planar wedge dictionary: {n} samples in R^2, setting B (bias: "
                f"free), data+basis generators, {self.norm} normalisation, atoms numbered "
                f"(not stored; sweep order {_gib(planar_bytes(n))})",
                f"{self.n_pairs} lines through two samples ({self.n_duplicate} of equal "
                f"samples, zero columns) and {2 * n} axis-parallel lines through one",
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

    def samples_of(self, atoms) -> np.ndarray:
        """The samples the lines of ``atoms`` pass through (sorted, each once).

        Parameters
        ----------
        atoms : array_like of int

        Returns
        -------
        ndarray of int64
        """
        h = self._check_atoms(atoms, "atoms") // 2
        pair = h < self.n_pairs
        i, j = self._pair(h[pair])
        return np.unique(np.concatenate([i, j, (h[~pair] - self.n_pairs) // 2]))

    def _pair(self, h):
        """Samples ``(i, j)``, ``i < j``, of pair hyperplanes ``h < n_pairs``."""
        n = self.n_samples
        h = np.asarray(h, dtype=np.int64)
        # h = start(i) + (j - i - 1) with start(i) = i (2n - i - 1) / 2: invert it, then
        # correct the square root's rounding by one either way
        b = 2 * n - 1
        i = np.floor((b - np.sqrt(np.maximum(b * b - 8.0 * h, 0.0))) / 2).astype(np.int64)
        i = np.clip(i, 0, n - 2)
        i = np.where(i * (2 * n - i - 1) // 2 > h, i - 1, i)
        i = np.where((i + 1) * (2 * n - i - 2) // 2 <= h, i + 1, i)
        return i, h - i * (2 * n - i - 1) // 2 + i + 1

    def hyperplanes_of(self, h) -> np.ndarray:
        """Normalised hyperplanes ``(w, b)`` (the "+" atoms) of hyperplane indices ``h``.

        Parameters
        ----------
        h : array_like of int
            Hyperplane indices (atom ``j`` is hyperplane ``j // 2``).

        Returns
        -------
        ndarray of float64, shape (len(h), 3)
        """
        raw = self._raw(np.asarray(h, dtype=np.int64).ravel())
        norm = self._norms(raw)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = raw / norm[:, None]
        out[norm == 0.0] = 0.0
        return out

    def normalizers_of(self, h) -> np.ndarray:
        """Normalizers ``‖w_S‖`` (ℓ1 or ℓ2) of hyperplane indices ``h``.

        Parameters
        ----------
        h : array_like of int

        Returns
        -------
        ndarray of float64, shape (len(h),)
        """
        return self._norms(self._raw(np.asarray(h, dtype=np.int64).ravel()))

    def _raw(self, h):
        X, P = self.X, self.n_pairs
        raw = np.zeros((h.size, 3))
        pair = h < P
        if np.any(pair):
            i, j = self._pair(h[pair])
            xi, xj = X[i], X[j]
            raw[pair, 0] = xi[:, 1] - xj[:, 1]
            raw[pair, 1] = xj[:, 0] - xi[:, 0]
            raw[pair, 2] = xi[:, 0] * xj[:, 1] - xi[:, 1] * xj[:, 0]
        axis = ~pair
        if np.any(axis):
            q = h[axis] - P
            i, a = q // 2, q % 2
            rows = np.zeros((q.size, 3))
            # x̃_i ∧ e_1: (0, 1, -y_i); x̃_i ∧ e_2: (-1, 0, x_i)
            rows[a == 0, 1] = 1.0
            rows[a == 0, 2] = -X[i[a == 0], 1]
            rows[a == 1, 0] = -1.0
            rows[a == 1, 2] = X[i[a == 1], 0]
            raw[axis] = rows
        return raw

    def _norms(self, raw):
        return np.linalg.norm(raw[:, :2], ord=1 if self.norm == "l1" else 2, axis=1)

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
        h = j // 2
        if h < self.n_pairs:
            i, k = self._pair(np.array([h]))
            return (int(i[0]), int(k[0])), ()
        q = h - self.n_pairs
        return (int(q // 2),), (int(q % 2) + 1,)

    def describe(self, j: int) -> str:
        """Atom ``j`` in words: its line, generators and feature.

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
        if axes:
            where = f"line through sample {samples[0]}, parallel to the x{axes[0]} axis"
        else:
            where = f"line through samples {samples[0]} and {samples[1]}"
        fmt = np.array2string(u[:2], precision=4, separator=", ", suppress_small=True)
        active = int(np.count_nonzero(self._Xa @ u > 0))
        return "\n".join(
            [
                f"atom {j}: {where}, orientation {'+' if sign > 0 else '-'}",
                f"  feature: max(0, w·x + b) with w = {fmt}, b = {u[2]:.4g} "
                f"(normalizer ‖w_S‖{'₁' if self.norm == 'l1' else '₂'} = "
                f"{self.normalizers_of([h])[0]:.4g})",
                f"  active on {active} of {self.n_samples} samples",
            ]
        )

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
        need = 8 * self.n_samples * idx.size
        if need > self.memory_limit:
            raise DictionaryTooLargeError(
                f"{idx.size} dense columns of {self.n_samples} rows need {_gib(need)}, above "
                f"memory_limit = {_gib(self.memory_limit)}",
                n_atoms=idx.size,
                required_bytes=need,
                limit_bytes=int(self.memory_limit),
            )
        U = self.hyperplanes_of(idx // 2)
        U[idx % 2 == 1] *= -1.0
        # (U X̃ᵀ)ᵀ is born in Fortran order: no copy of the n × k block (17x faster
        # than a C-order product copied over at n = 5,000, k = 4,000)
        K = U @ self._Xa.T
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

    def _sweep(self):
        if self._plan is None:
            n = self.n_samples
            need = planar_bytes(n)
            if need > self.memory_limit:  # plan="cluster", outside distributed_passes
                raise DictionaryTooLargeError(
                    f"the sweep order of {n} samples needs about {_gib(need)} here, above "
                    f"memory_limit = {_gib(self.memory_limit)}; with plan='cluster' the "
                    "passes run inside geolasso.distributed.distributed_passes(dictionary, "
                    "client), which builds it in blocks on the workers",
                    n_atoms=self.n_atoms,
                    required_bytes=int(need),
                    limit_bytes=int(self.memory_limit),
                )
            order = np.zeros((n, n), dtype=np.int32)
            counts = np.zeros(n, dtype=np.int64)
            _kernels()._planar_sweep_rows(self.X, 0, order, counts)
            self._plan = (order, counts, *_axis_orders(self.X))
        return self._plan

    def _pass(self, r, threshold, k, out, best=False, pivots=None):
        r = as_float_array(r, "r", shape_doc=f"({self.n_samples},)")
        if r.shape != (self.n_samples,):
            raise ValueError(f"r must have shape ({self.n_samples},); got {r.shape}")
        if self.pass_runner is not None and out.size == 0:
            return self.pass_runner(r, threshold, k, best, pivots)
        order, counts, by_x, by_y = self._sweep()
        part = pass_block(
            self.X,
            (order, counts),
            r,
            0,
            self.n_samples,
            l1=self.norm == "l1",
            threshold=threshold,
            k=k,
            best=best,
            pivots=pivots,
            axes=True,
            by=(by_x, by_y),
            out=out,
        )
        return tuple(part[key] for key in ("top", "n_above", "vals", "atoms", "piv_val", "piv_idx"))

    def _blocked_pass(self, r, threshold, k, best=False, pivots=None, bounds=(0,)):
        """:meth:`_pass` (without ``out``) as blocks of samples ``bounds[b]`` to
        ``bounds[b + 1] - 1`` (the last ends at ``n``) merged by :func:`merge_passes`:
        what the distributed passes compute, here in-process on the stored plan."""
        n = self.n_samples
        r = as_float_array(r, "r", shape_doc=f"({n},)")
        order, counts = self._sweep()[:2]
        edges = [*bounds, n]
        opts = {"l1": self.norm == "l1", "threshold": threshold, "k": k, "best": best}
        parts = []
        for lo, stop in itertools.pairwise(edges):  # (a block without pivots sweeps nothing)
            block = (order[lo:stop], counts[lo:stop])
            parts.append(pass_block(self.X, block, r, lo, stop, pivots=pivots, **opts))
        none = (np.zeros((0, n), dtype=np.int32), np.zeros(0, dtype=np.int64))
        axis = pass_block(self.X, none, r, 0, 0, axes=True, **opts)
        top, n_above, vals, atoms, piv_val, piv_idx = merge_passes(parts, axis, k, n, best)
        return top, n_above, vals, atoms, piv_val, piv_idx

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
            most correlated one swept from its sample (for the line through
            ``x_i`` and ``x_j``, ``i < j``, the "+" atom is swept from ``x_i``
            and the "-" atom from ``x_j``; axis lines from their sample),
            merged with the others and ordered by magnitude: candidates spread
            over the plane rather than the many near-copies of one line that
            top a plain ranking.
        through : array_like of int, optional
            A *partial* pass: only the atoms whose lines pass through these
            samples, and the axis lines (``O(n)`` per sample instead of
            ``O(n²)``); every result below is then over those atoms alone, so
            ``top`` is no dual scaling and no certificate.

        Returns
        -------
        top : float
            ``max_j |K_jᵀ r|``.
        n_above : int
            Atoms above ``threshold``.
        atoms : ndarray of int64, shape (min(k, n_atoms),) (up to twice that with ``spread``)
            The ``k`` atoms of largest ``|K_jᵀ r|``, by decreasing magnitude
            (ties by index).
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
        return self._rmatvec(r, planar_bytes(self.n_samples))
