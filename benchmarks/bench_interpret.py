"""Explaining a 1,000-neuron network on n = 2,000 samples, in 2-D and 10-D.

Target (issue "Interpret any trained ReLU network"): ``geolasso.explain``
under 5 s per network on this 2-core machine.

No library explains a network's neurons by wedge atoms (ANCHORS.md), so the
side-by-side reference is the "polishing" step of the research code
(docs/mathematics.md §4.7 item 3), written here in numpy: each neuron is replaced by the
hyperplane through its ``k`` nearest samples (one null-space SVD per neuron),
with no comparison of candidates. Both are run on the same planted networks
(neurons through random generator subsets, built from scipy null spaces, then
perturbed by Gaussian noise of relative size NOISE), and scored by the
fraction of neurons whose generator samples they recover.

Fairness (ANCHORS.md §2): one BLAS thread, one warm-up call, median (and
minimum) of REPEATS calls; geolasso's first call in a fresh process (cold
and warm numba cache: ``explain`` uses the jitted cross products for small
dimensions) is measured apart; ratios printed last.

Run: ``python benchmarks/bench_interpret.py`` (``--quick``: 200 neurons,
n = 500, one timed run). The recorded run is ``benchmarks/results/interpret.out``
(its standard output).
"""

from __future__ import annotations

import _harness  # first, before numpy: pins BLAS to one thread

# isort: split
import argparse
import platform

import numpy as np
from scipy.linalg import null_space

import geolasso as gl

REPEATS = 5
NOISE = (0.0, 1e-6, 1e-4)
TARGET = 5.0


def planted(n, d, m, noise, seed):
    """Samples, a network (W, b, v) with neurons through random d-subsets, the subsets."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Z = np.column_stack([X, np.ones(n)])
    subsets = np.array([np.sort(rng.choice(n, d, replace=False)) for _ in range(m)])
    U = np.array([null_space(Z[S])[:, 0] for S in subsets])
    U /= np.linalg.norm(U[:, :d], axis=1, keepdims=True)
    U += noise * rng.standard_normal(U.shape)
    return X, (U[:, :d], U[:, d], rng.standard_normal(m)), subsets


def polish(X, model):
    """docs/mathematics.md §4.7 item 3: the hyperplane through each neuron's d nearest samples."""
    W, b, _ = model
    n, d = X.shape
    Z = np.column_stack([X, np.ones(n)])
    dist = np.abs(Z @ np.column_stack([W, b]).T) / np.linalg.norm(W, axis=1)
    near = np.sort(np.argpartition(dist, d - 1, axis=0)[:d].T, axis=1)  # (m, d)
    _, _, Vt = np.linalg.svd(Z[near])  # batched: the null vector is the last row
    return near, Vt[:, -1, :]


def recovered(found, subsets):
    return float(np.mean([tuple(f) == tuple(s) for f, s in zip(found, subsets, strict=True)]))


def first_calls():
    code = (
        "import time, numpy as np; import geolasso as gl;"
        "rng = np.random.default_rng(0); X = rng.normal(size=(50, 2));"
        "W = rng.normal(size=(5, 2)); b = rng.normal(size=5); v = rng.normal(size=5);"
        "t = time.perf_counter(); gl.explain((W, b, v), X); print(time.perf_counter() - t)"
    )
    runs = _harness.fresh_process_floats(code)
    return runs["cold"][0], runs["warm"][0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    args = parser.parse_args()
    n, m, repeats = (500, 200, 1) if args.quick else (2000, 1000, REPEATS)
    print(f"geolasso {gl.__version__}, numpy {np.__version__}, Python {platform.python_version()}")
    print(f"machine: {platform.machine()}, {platform.processor() or 'unknown CPU'}; one thread")
    cold, warm = first_calls()
    print(
        f"first explain() call in a fresh process: {cold:.2f} s (cold numba cache), "
        f"{warm:.2f} s (warm)"
    )
    results = []
    for d in (2, 10):
        for noise in NOISE:
            X, model, subsets = planted(n, d, m, noise, seed=d)
            g_med, g_min, ex = _harness.timed(
                lambda X=X, model=model: gl.explain(model, X, generators="data"), repeats
            )
            b_med, b_min, exb = _harness.timed(
                lambda X=X, model=model: gl.explain(model, X), repeats
            )
            p_med, p_min, (near, _) = _harness.timed(
                lambda X=X, model=model: polish(X, model), repeats
            )
            g_rec = recovered([r["samples"] for r in ex.records()], subsets)
            b_rec = recovered([r["samples"] for r in exb.records()], subsets)
            p_rec = recovered(near, subsets)
            print(
                f"\n== d = {d}, n = {n}, {m} neurons, noise {noise:g} ==\n"
                f"   explain (data generators)      median {g_med:7.3f} s  min {g_min:7.3f} s  "
                f"recovered {100 * g_rec:5.1f}%\n"
                f"   explain (default: data+basis)  median {b_med:7.3f} s  min {b_min:7.3f} s  "
                f"recovered {100 * b_rec:5.1f}%\n"
                f"   nearest-samples polish         median {p_med:7.3f} s  min {p_min:7.3f} s  "
                f"recovered {100 * p_rec:5.1f}%"
            )
            results.append((d, noise, g_med, b_med, p_med, g_rec, b_rec, p_rec))
    print("\n== summary (ratios: polish time / explain time, same run) ==")
    print(
        "| d | noise | explain, data (s) | explain, default (s) | both under 5 s | "
        "polish / explain (data) | recovered: explain data / default / polish |"
    )
    print("|---|---|---|---|---|---|---|")
    for d, noise, g, b, p, gr, br, pr in results:
        print(
            f"| {d} | {noise:g} | {g:.3f} | {b:.3f} | {'yes' if max(g, b) < TARGET else 'NO'} | "
            f"{p / g:.3g}x | {100 * gr:.1f}% / {100 * br:.1f}% / {100 * pr:.1f}% |"
        )


if __name__ == "__main__":
    main()
