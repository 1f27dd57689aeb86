"""Wedge dictionaries: build time and memory, and matrix-free products against BLAS.

Cases (all exhaustive, exact mode: free bias, data+basis generators, ℓ1):

* the 2-D spiral of docs/mathematics.md §8.2 (n = 160, about 25 k atoms);
* n = 1000 uniform points in [-1, 1]^2 (about 1 M atoms, matrix-free only: the
  dense matrix would need 8 GB);
* n = 60 Gaussian points in R^3.

For each: build time (median of REPEATS builds after a warm-up) and the peak
of Python-visible allocations while building (tracemalloc; numpy reports its
buffers to it), and the memory the dictionary keeps. Then ``Kᵀr`` on the
spiral matrix-free (``rmatvec``, numba) against the dense product ``K.T @ r``
(BLAS GEMV on the Fortran-ordered matrix), both single-threaded and with every
core, and the same ``rmatvec`` on the 1 M-atom dictionary. A sparse ``Kz``
(100 non-zeros, what a Lasso solver evaluates) is timed beside the dense one.
Every matrix-free result is checked against the dense product first.

Fairness (ANCHORS.md §2): BLAS pinned to one thread unless stated, numba
threads set explicitly, every path warmed up, medians (and minima) of
REPEATS runs, compile times measured apart in fresh processes with a cold and
a warm numba cache, ratios printed last.

Run: ``python benchmarks/bench_dictionary.py``.
"""

from __future__ import annotations

import _harness  # first, before numpy: pins BLAS to one thread

# isort: split
import os
import platform
import tracemalloc

import numba
import numpy as np
from threadpoolctl import threadpool_limits

import geolasso as gl
from geolasso.datasets import spiral

timed = _harness.timed
REPEATS = 7


def peak_bytes(func):
    """Peak traced allocation (bytes) while running ``func`` once, and its result."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    result = func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, result


def kept_bytes(D):
    """Memory a dictionary keeps: its hyperplanes, generator codes, normalizers and data."""
    arrays = (D._U, D._codes, D._normalizer, D._Xa, D._XT, D.X)
    return sum(a.nbytes for a in arrays)


def mib(n_bytes):
    return f"{n_bytes / 2**20:9.2f} MiB"


def build_case(label, X, repeats=REPEATS):
    med, mn, D = timed(lambda: gl.WedgeDictionary(X), repeats=repeats)
    peak, _ = peak_bytes(lambda: gl.WedgeDictionary(X))
    dense = 8 * D.n_samples * D.n_atoms
    print(
        f"   {label:28s} {D.n_atoms:>10,} atoms  build median {med:7.3f} s (min {mn:.3f})"
        f"  peak {mib(peak)}  kept {mib(kept_bytes(D))}  dense would be {mib(dense)}"
    )
    return D, med, peak


def with_threads(numba_threads, blas_threads, func):
    numba.set_num_threads(numba_threads)
    with threadpool_limits(limits=blas_threads):
        return timed(func)


def fresh_process_times():
    """First build + rmatvec of a small dictionary in a fresh process, cold and warm cache."""
    code = (
        "import time; t0 = time.perf_counter(); import numpy as np, geolasso as gl;"
        "X = np.random.default_rng(0).normal(size=(30, 2)); r = np.ones(30);"
        "t1 = time.perf_counter(); D = gl.WedgeDictionary(X); t2 = time.perf_counter();"
        "D.rmatvec(r); t3 = time.perf_counter(); D.matvec(np.ones(D.n_atoms));"
        "t4 = time.perf_counter(); print(t1 - t0, t2 - t1, t3 - t2, t4 - t3)"
    )
    return _harness.fresh_process_floats(code)


def main():
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
        f"geolasso {gl.__version__}, {platform.machine()}, {os.cpu_count()} cores, "
        f"numba threads available {numba.config.NUMBA_NUM_THREADS}"
    )
    fresh = fresh_process_times()
    rng = np.random.default_rng(0)
    X_spiral, y_spiral = spiral()
    X_big = rng.uniform(-1, 1, size=(1000, 2))
    X_3d = rng.normal(size=(60, 3))

    print("\n== build (exhaustive, free bias, data+basis, l1) ==")
    spiral_D, _, _ = build_case("spiral n=160 d=2", X_spiral)
    big_D, big_build, _ = build_case("uniform n=1000 d=2", X_big, repeats=5)
    build_case("gaussian n=60 d=3", X_3d)

    print("\n== K^T r on the spiral ==")
    K = spiral_D.matrix()
    r = y_spiral - y_spiral.mean()
    dense_out = K.T @ r
    scale = np.abs(K).sum(axis=0).max() * np.abs(r).max()
    assert np.abs(spiral_D.rmatvec(r) - dense_out).max() <= 1e-13 * scale
    rows = {
        "matrix-free rmatvec, 1 thread": with_threads(1, 1, lambda: spiral_D.rmatvec(r)),
        "dense K.T @ r (BLAS), 1 thread": with_threads(1, 1, lambda: K.T @ r),
        "matrix-free rmatvec, all threads": with_threads(
            numba.config.NUMBA_NUM_THREADS, 1, lambda: spiral_D.rmatvec(r)
        ),
        "dense K.T @ r (BLAS), all threads": with_threads(1, os.cpu_count(), lambda: K.T @ r),
    }
    mf_peak, _ = peak_bytes(lambda: spiral_D.rmatvec(r))
    dense_peak = K.nbytes + dense_out.nbytes
    mf_memory = kept_bytes(spiral_D) + mf_peak
    for name, (med, mn, _) in rows.items():
        print(f"   {name:36s} median {med * 1e3:8.3f} ms   min {mn * 1e3:8.3f} ms")
    print(
        f"   memory: matrix-free (dictionary kept + rmatvec peak) {mib(mf_memory)};"
        f" dense (K + output) {mib(dense_peak)}"
    )

    print("\n== K z with 100 non-zeros on the spiral (a Lasso solver's product) ==")
    z = np.zeros(spiral_D.n_atoms)
    z[rng.choice(spiral_D.n_atoms, 100, replace=False)] = rng.normal(size=100)
    assert np.abs(spiral_D.matvec(z) - K @ z).max() <= 1e-12 * np.abs(K).max() * np.abs(z).sum()
    numba.set_num_threads(1)
    mv = timed(lambda: spiral_D.matvec(z))
    dv = timed(lambda: K @ z)
    nz = np.flatnonzero(z)
    sv = timed(lambda: K[:, nz] @ z[nz])
    print(f"   {'matrix-free matvec, 1 thread':36s} median {mv[0] * 1e3:8.3f} ms")
    print(f"   {'dense K @ z (BLAS), 1 thread':36s} median {dv[0] * 1e3:8.3f} ms")
    print(f"   {'dense K[:, nz] @ z[nz], 1 thread':36s} median {sv[0] * 1e3:8.3f} ms")

    print(f"\n== K^T r on the {big_D.n_atoms:,}-atom dictionary (matrix-free only) ==")
    r_big = rng.normal(size=1000)
    check = rng.choice(big_D.n_atoms, 2000, replace=False)
    ref = big_D.columns(check).T @ r_big
    assert np.abs(big_D.rmatvec(r_big)[check] - ref).max() <= 1e-12 * np.abs(ref).max()
    big_rows = {
        "matrix-free rmatvec, 1 thread": with_threads(1, 1, lambda: big_D.rmatvec(r_big)),
        "matrix-free rmatvec, all threads": with_threads(
            numba.config.NUMBA_NUM_THREADS, 1, lambda: big_D.rmatvec(r_big)
        ),
    }
    for name, (med, mn, _) in big_rows.items():
        print(f"   {name:36s} median {med:8.3f} s    min {mn:8.3f} s")
    big_peak, _ = peak_bytes(lambda: big_D.rmatvec(r_big))
    print(
        f"   memory: dictionary kept {mib(kept_bytes(big_D))}, rmatvec peak {mib(big_peak)},"
        f" dense matrix would need {mib(8 * big_D.n_samples * big_D.n_atoms)}"
    )

    print("\n== one-off costs (fresh processes: import, first build, first rmatvec, matvec) ==")
    for label in ("cold", "warm"):
        imp, build, rmv, mv1 = fresh[label]
        print(
            f"   {label} cache: import {imp:.2f} s, first build {build:.2f} s, "
            f"first rmatvec {rmv:.2f} s, first matvec {mv1:.2f} s"
        )

    print("\n== ratios (same run, medians) and targets ==")
    one = rows["matrix-free rmatvec, 1 thread"][0] / rows["dense K.T @ r (BLAS), 1 thread"][0]
    every = (
        rows["matrix-free rmatvec, all threads"][0] / rows["dense K.T @ r (BLAS), all threads"][0]
    )
    print(f"   spiral rmatvec time / dense BLAS time, 1 thread each:    {one:5.2f}x (target <= 3x)")
    print(f"   spiral rmatvec time / dense BLAS time, all threads each: {every:5.2f}x")
    print(
        f"   spiral matrix-free memory / dense memory:               "
        f"{100 * mf_memory / dense_peak:5.2f} % (target < 5 %)"
    )
    print(f"   spiral sparse matvec time / dense K @ z time:           {mv[0] / dv[0]:5.2f}x")
    best = min(v[0] for v in big_rows.values())
    print(
        f"   {big_D.n_atoms:,}-atom rmatvec: {best:.2f} s (target < 2 s); build {big_build:.2f} s"
    )


if __name__ == "__main__":
    main()
