"""Passes over the whole dictionary on a Dask cluster (optional extra ``distributed``).

Overview
--------
What grows with the data in an exhaustive fit is the pass over every atom
(:meth:`geolasso.planar.PlanarDictionary.top_correlations`): ``O(n²)`` work in
the plane, while the working-set solve that follows it is small. A pass
splits into blocks of samples (:func:`geolasso.planar.pass_block`) whose
results merge into the whole pass's, bit for bit
(:func:`geolasso.planar.merge_passes`). :class:`PlanarRunner` runs those
blocks on a Dask cluster: the samples are scattered once to every worker,
each block's angular order is built on a worker and stays there
(``4 n`` bytes per sample of the block), and a pass sends the residual
(``n`` floats) and brings back each block's maximum, count and ``k`` best
atoms: ``O(n + blocks · k)`` bytes a round, never ``O(atoms)``. The merge runs
on the client in block order, so a distributed fit equals the in-process fit.
When the angular orders (``4 n²`` bytes in all) take more than half the
workers' memory, each block rebuilds its order in every pass and drops it
(:func:`fresh_pass_block`; about three times the work of a pass), so an
exhaustive fit runs on any cluster; the client never holds the orders
(:class:`~geolasso.planar.PlanarDictionary` with ``plan="cluster"``) nor a
dense solution (:class:`~geolasso.lasso.LassoResult` is sparse).

The arrangement program (:func:`geolasso.crelu.solve_crelu`) prices every
activation pattern each round: one product ``Zᵀ(m_p ⊙ λ)`` per pattern, ``O(n
d P)`` work. :class:`PatternRunner` prices blocks of patterns on the
workers: the patterns go once, as bits, to every worker; a round sends ``λ``
and brings back two numbers per pattern; the restricted solves stay on the
client.

The cluster is reached as scikit-learn users reach one::

    from dask.distributed import Client
    import joblib
    client = Client("scheduler-address:8786")   # or Client(LocalCluster(...))
    with joblib.parallel_backend("dask"):
        model = ConvexReLUClassifier(alpha=...).fit(X, y)

or ``client=`` of :func:`geolasso.lasso.lasso` and
:func:`geolasso.crelu.solve_crelu`, or ``geolasso fit ... --scheduler ADDRESS``
(``local:N`` for ``N`` local worker processes, see :func:`scheduler`);
:func:`geolasso.dictionary.alpha_max` and :func:`geolasso.certify` use the
active backend too. Without any of these nothing changes: every pass runs
in-process. If a worker dies during a fit Dask recomputes its blocks on
another (the samples and patterns are on every worker, a round's residual is
a task's argument), and the result is the same.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import time

import numpy as np

from .planar import merge_passes, pass_block, sweep_block

#: Attempts of a broadcast scatter (a worker may leave during one).
_SCATTER_TRIES = 5
#: Attempts of a pricing round whose scattered data were all lost with dead workers.
_ROUND_TRIES = 3
#: Largest angular order of one block (bytes) when the plans are rebuilt every pass.
_FRESH_BYTES = 2**28

__all__ = [
    "PatternRunner",
    "PlanarRunner",
    "active_client",
    "cluster_memory",
    "distributed_passes",
    "fresh_pass_block",
    "price_block",
    "scheduler",
]


def active_client(client=None):
    """The Dask client to use: ``client``, else joblib's active dask backend's, else ``None``.

    Parameters
    ----------
    client : distributed.Client, optional

    Returns
    -------
    distributed.Client or None
    """
    if client is not None:
        return client
    try:
        from joblib.parallel import get_active_backend
    except ImportError:  # pragma: no cover - joblib comes with scikit-learn
        return None
    backend = get_active_backend()[0]
    if type(backend).__name__ == "DaskDistributedBackend":
        return getattr(backend, "client", None)
    return None


class PlanarRunner:
    """The passes of a :class:`~geolasso.planar.PlanarDictionary` as blocks on a cluster.

    Parameters
    ----------
    dictionary : PlanarDictionary
    client : distributed.Client
    n_blocks : int, optional
        Blocks of samples per pass; by default four per worker (at least 2),
        and, when the plans are rebuilt, enough that each block's order takes
        at most ``_FRESH_BYTES``; at most one per sample.
    keep_plans : bool, optional
        Keep each block's angular order on the workers between passes (``4 n²``
        bytes in all), or rebuild it in every pass (about three times the
        pass's work; memory ``4 n`` bytes per sample of the blocks running).
        By default kept when it takes at most half the workers' memory
        (:func:`cluster_memory`).

    Notes
    -----
    The blocks are contiguous ranges of samples of about equal size; each
    block's plan (:func:`~geolasso.planar.sweep_block`) is a future computed
    from the scattered samples, so Dask can rebuild it on another worker.
    """

    def __init__(self, dictionary, client, n_blocks=None, keep_plans=None):
        from .planar import planar_bytes

        n = dictionary.n_samples
        workers = max(len(client.scheduler_info().get("workers", {})), 1)
        if keep_plans is None:
            keep_plans = planar_bytes(n) <= 0.5 * cluster_memory(client)
        if n_blocks is None:
            n_blocks = max(4 * workers, 2)
            if not keep_plans:
                n_blocks = max(n_blocks, -(-4 * n * n // _FRESH_BYTES))
        n_blocks = int(min(max(int(n_blocks), 1), n))
        self.client = client
        self.n = n
        self.l1 = dictionary.norm == "l1"
        self.keep_plans = bool(keep_plans)
        self.edges = np.unique(np.linspace(0, n, n_blocks + 1).round().astype(np.int64))
        self._X = _scatter(client, dictionary.X)
        self._plans = [
            client.submit(sweep_block, self._X, int(lo), int(stop), pure=False)
            if keep_plans
            else None
            for lo, stop in zip(self.edges[:-1], self.edges[1:], strict=True)
        ]

    def __call__(self, r, threshold, k, best, pivots):
        """One pass: what :meth:`PlanarDictionary._pass` returns (without ``out``)."""
        client = self.client
        opts = {"l1": self.l1, "threshold": float(threshold), "k": int(k), "best": bool(best)}
        r_f = _put(client, np.ascontiguousarray(r, dtype=np.float64))
        futures = []
        for plan, lo, stop in zip(self._plans, self.edges[:-1], self.edges[1:], strict=True):
            if pivots is not None and not np.any((pivots >= lo) & (pivots < stop)):
                continue
            futures.append(
                client.submit(
                    pass_block,
                    self._X,
                    plan,
                    r_f,
                    int(lo),
                    int(stop),
                    pivots=pivots,
                    pure=False,
                    **opts,
                )
                if plan is not None
                else client.submit(
                    fresh_pass_block,
                    self._X,
                    r_f,
                    int(lo),
                    int(stop),
                    pivots=pivots,
                    pure=False,
                    **opts,
                )
            )
        none = (np.zeros((0, self.n), dtype=np.int32), np.zeros(0, dtype=np.int64))
        axis = client.submit(pass_block, self._X, none, r_f, 0, 0, axes=True, pure=False, **opts)
        parts = client.gather(futures)  # in block order
        return merge_passes(parts, axis.result(), int(k), self.n, bool(best))

    def close(self):
        """Release the cluster memory held for the passes."""
        for f in (*self._plans, self._X):
            if f is not None:
                f.release()
        self._plans = []


def fresh_pass_block(X, r, lo, stop, **options):
    """:func:`~geolasso.planar.pass_block` with the block's angular order built here and
    dropped after: a pass whose plans do not fit the cluster."""
    return pass_block(X, sweep_block(X, lo, stop), r, lo, stop, **options)


def price_block(Z, packed, n_rows, lam, n_pen, free, norm, gated, threshold):
    """Bounds (rows of ``packed``, 2) on the dual values of one block of patterns.

    ``packed`` is the block's masks as bits (``np.packbits(masks, axis=1)``);
    the arithmetic is the in-process pricing's
    (:func:`geolasso._pattern_pricing.price_patterns`).
    """
    from ._pattern_pricing import price_patterns

    if packed.shape[1] != -(-int(n_rows) // 8):
        raise ValueError(f"packed masks of {packed.shape[1]} bytes a row for {n_rows} rows")
    return price_patterns(Z, packed, lam, n_pen, free, norm, gated, threshold, packed=True)


class PatternRunner:
    """The pricing of the arrangement program (:func:`geolasso.crelu.solve_crelu`) as
    blocks of patterns on a cluster.

    Parameters
    ----------
    client : distributed.Client
    Z : ndarray, shape (rows, r), or a Future of one
        The samples (with the ones column when there is a bias).
    masks : ndarray of bool, shape (n_patterns, rows), optional
        The patterns; scattered once, as bits, to every worker.
    n_blocks : int, optional
        Blocks of patterns; by default four per worker (at least 2), at most
        one per :func:`~geolasso._pattern_pricing.price_chunk` patterns.
    blocks : list of (start, stop, Future), optional
        Instead of ``masks``: blocks already on the cluster, each the bits of
        patterns ``start`` to ``stop - 1`` (e.g. computed there from gates,
        so that the masks never travel from the client).
    n_rows : int, optional
        The number of rows, when ``Z`` is a Future.

    Notes
    -----
    A round sends ``λ`` (``rows`` floats) to every worker and brings back
    two floats per pattern; each pattern's bound is computed by the same
    arithmetic as in-process (the blocks are multiples of
    :func:`~geolasso._pattern_pricing.price_chunk`), so the solve equals the in-process
    one. The masks are broadcast (every worker holds every block: ``rows / 8``
    bytes per pattern), so a block whose worker dies is priced by another.
    """

    def __init__(self, client, Z, masks=None, n_blocks=None, *, blocks=None, n_rows=None):
        from ._pattern_pricing import price_chunk

        self.client = client
        if n_rows is None:
            n_rows = Z.shape[0]
        self.n_rows = int(n_rows)
        # what was scattered from here, kept to scatter again when every copy is lost
        self._Z_host = None if _is_future(Z) else Z
        self._Z = Z if _is_future(Z) else _scatter(client, Z)
        self._own = []  # futures scattered here (released on close)
        self._host_bits = {}  # block index -> its bits, for blocks scattered from here
        if not _is_future(Z):
            self._own.append(self._Z)
        if blocks is None:
            if masks is None:
                raise ValueError("PatternRunner needs masks or blocks")
            P = masks.shape[0]
            chunk = price_chunk()
            n_chunks = max(-(-P // chunk), 1)
            if n_blocks is None:
                workers = max(len(client.scheduler_info().get("workers", {})), 1)
                n_blocks = max(4 * workers, 2)
            n_blocks = int(min(max(int(n_blocks), 1), n_chunks))
            edges = np.unique(np.linspace(0, n_chunks, n_blocks + 1).round().astype(np.int64))
            edges = np.minimum(edges * chunk, P)
            blocks = []
            for lo, stop in itertools.pairwise(edges):
                bits = np.packbits(masks[lo:stop], axis=1)
                fut = _scatter(client, bits)
                self._own.append(fut)
                self._host_bits[len(blocks)] = bits
                blocks.append((int(lo), int(stop), fut))
        self.blocks = list(blocks)
        self.n_patterns = self.blocks[-1][1] if self.blocks else 0

    def __call__(self, lam, n_pen, free, norm, gated, threshold):
        """Every pattern's bounds, as :func:`geolasso._pattern_pricing.price_patterns`
        returns them."""
        from distributed import KilledWorker
        from distributed.client import FutureCancelledError

        client = self.client
        lam = np.ascontiguousarray(lam, dtype=np.float64)
        for attempt in range(_ROUND_TRIES):
            lam_f = _put(client, lam)
            futures = [
                client.submit(
                    price_block,
                    self._Z,
                    bits,
                    self.n_rows,
                    lam_f,
                    int(n_pen),
                    bool(free),
                    str(norm),
                    bool(gated),
                    float(threshold),
                    pure=False,
                )
                for _lo, _stop, bits in self.blocks
            ]
            try:
                parts = client.gather(futures)  # in block order
                break
            except (FutureCancelledError, KilledWorker):
                # every copy of scattered data went with dead workers (a worker restarted
                # after the broadcast holds none): scatter again from here, then redo the round
                if attempt == _ROUND_TRIES - 1:
                    raise
                self._scatter_again()
            finally:
                lam_f.release()
        if not parts:
            return np.empty((0, 2))
        return np.concatenate(parts, axis=0)

    def _scatter_again(self):
        """Scatter anew the data this runner scattered (its copies may all be lost)."""
        client = self.client
        fresh = []
        if self._Z_host is not None:
            self._Z = _scatter(client, self._Z_host)
            fresh.append(self._Z)
        for i, bits in self._host_bits.items():
            lo, stop, _ = self.blocks[i]
            self.blocks[i] = (lo, stop, _scatter(client, bits))
            fresh.append(self.blocks[i][2])
        for f in self._own:
            f.release()
        self._own = fresh

    def close(self):
        """Release the cluster memory held for the pricing."""
        for f in self._own:
            f.release()
        self._own = []


def _scatter(client, data):
    """``data`` scattered to every worker; retried when a worker leaves during the
    scatter (the scheduler's replication then names a worker it no longer has)."""
    for attempt in range(_SCATTER_TRIES):
        try:
            return client.scatter(data, broadcast=True, hash=False)
        except (KeyError, OSError):
            if attempt == _SCATTER_TRIES - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def _same(x):
    return x


def _put(client, data):
    """``data`` on the cluster as the result of a task that carries it: a round's small
    input. Unlike scattered data it is recomputed (from the scheduler's copy of the task)
    when the worker holding it dies, and unlike a broadcast scatter it does not wait on a
    worker that is leaving."""
    return client.submit(_same, data, pure=False)


def _is_future(x):
    return type(x).__name__ == "Future" and hasattr(x, "key")


def cluster_memory(client):
    """The memory of ``client``'s workers in bytes (summed; ``inf`` when one has no limit).

    Parameters
    ----------
    client : distributed.Client

    Returns
    -------
    float
    """
    workers = client.scheduler_info().get("workers", {})
    limits = [float(w.get("memory_limit") or 0) for w in workers.values()]
    if not limits:
        return 0.0
    return math.inf if any(m <= 0 for m in limits) else float(sum(limits))


@contextlib.contextmanager
def distributed_passes(dictionary, client=None, n_blocks=None, keep_plans=None):
    """Run ``dictionary``'s passes on ``client`` (or joblib's dask backend) inside the block.

    Does nothing when no client is active or the dictionary has no blocked
    passes (only :class:`~geolasso.planar.PlanarDictionary` has them).

    Parameters
    ----------
    dictionary : object
    client : distributed.Client, optional
    n_blocks, keep_plans : optional
        See :class:`PlanarRunner`.
    """
    client = active_client(client)
    if (
        client is None
        or not hasattr(dictionary, "pass_runner")
        or dictionary.pass_runner is not None
    ):
        yield dictionary
        return
    runner = PlanarRunner(dictionary, client, n_blocks, keep_plans)
    dictionary.pass_runner = runner
    try:
        yield dictionary
    finally:
        dictionary.pass_runner = None
        runner.close()


@contextlib.contextmanager
def scheduler(spec: str):
    """A Dask cluster for the duration of the block, active as joblib's backend.

    ``spec`` is a scheduler address (``"tcp://host:8786"``) or ``"local:N"``, a
    LocalCluster of ``N`` single-threaded worker processes started here and
    closed on exit (what ``geolasso fit --scheduler`` takes).

    Parameters
    ----------
    spec : str

    Yields
    ------
    distributed.Client
    """
    spec = str(spec)
    local = spec.startswith("local:")
    if local:
        try:
            workers = int(spec[6:])
        except ValueError:
            workers = 0
        if workers < 1:
            raise ValueError(f"scheduler must be an address or local:N with N >= 1; got {spec!r}")
    try:
        import joblib
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError("a scheduler needs Dask: pip install 'geolasso[distributed]'") from exc
    cluster = None
    if local:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        client = Client(cluster)
    else:
        try:
            client = Client(spec, timeout=30)
        except OSError as exc:
            raise ValueError(f"no Dask scheduler reached at {spec!r}: {exc}") from None
    try:
        with joblib.parallel_backend("dask"):
            yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
