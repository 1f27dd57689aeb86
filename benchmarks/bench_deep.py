"""Mirror dictionaries of deep narrow ReLU networks: size, build time, and the Lasso solve.

For N = 50, 100, 200, 500 seeded points on [-1, 1] (targets sin(3x) plus
noise 0.1) and depths 2, 3 and 4 (ReLU, reflections included at depth 4):

* the dictionary's size: chains evaluated at the last layer (after the
  layer-by-layer merging of chains equal on the data) and distinct columns
  (up to a constant); the exhaustive index set has (2N)^(L-1) chains (twice
  that at depth 4);
* the build time (median of REPEATS builds after one warm-up; a single
  build when one takes over SLOW seconds);
* the Lasso at alpha = alpha_max / 100 with a free intercept, geolasso
  against scikit-learn's ``Lasso`` on the same matrix, at matched accuracy
  (``bench_lasso.bench_problem``: each solver at the loosest tol of a ladder
  whose solution is within 1e-6 · P(0) of the certified optimum; ANCHORS.md
  §2), one BLAS thread, ratios (scikit-learn time / geolasso time) last.

Builds that geolasso refuses (DictionaryTooLargeError: too many chains to
evaluate, or a matrix above the 2 GiB budget) are reported with the message.
Matrices above MAX_SOLVE entries are built but not solved; above PEER_MAX
entries only geolasso solves them (scikit-learn needs minutes per tolerance
there: on the 100 x 9,900 matrix it did not reach the target in 69 s).

Run: ``python benchmarks/bench_deep.py`` (``--quick``: N = 50 and 100 only).
The recorded run is ``benchmarks/results/deep.out`` (its standard output).
"""

from __future__ import annotations

import _harness  # noqa: F401  (first, before numpy: pins BLAS to one thread)

# isort: split
import argparse
import platform
import time

import numpy as np
from bench_lasso import bench_problem, solvers

import geolasso as gl
from geolasso.exceptions import DictionaryTooLargeError
from geolasso.mirror import mirror_dictionary

REPEATS = 5
SLOW = 20.0
MAX_SOLVE = 60_000_000  # matrix entries (480 MB)
PEER_MAX = 2_000_000  # matrix entries: above, scikit-learn needs minutes per tolerance


def data(N, seed=0):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1.0, 1.0, N))
    return x, np.sin(3.0 * x) + 0.1 * rng.standard_normal(N)


def timed_build(x, depth):
    start = time.perf_counter()
    D = mirror_dictionary(x, depth)
    first = time.perf_counter() - start
    if first > SLOW:
        return D, first, 1
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        D = mirror_dictionary(x, depth)
        times.append(time.perf_counter() - start)
    return D, float(np.median(times)), REPEATS


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 50 and 100 only")
    args = parser.parse_args()
    sizes = (50, 100) if args.quick else (50, 100, 200, 500)
    print(f"geolasso {gl.__version__}, numpy {np.__version__}, Python {platform.python_version()}")
    mirror_dictionary(np.arange(5.0), 4)  # warm-up
    fits = solvers()
    fits = {k: v for k, v in fits.items() if k in ("geolasso", "scikit-learn")}
    first_calls = {}
    rows = []
    for N in sizes:
        x, y = data(N)
        for depth in (2, 3, 4):
            full = (2 * N) ** (depth - 1) * (2 if depth == 4 else 1)
            label = f"N = {N}, depth {depth}"
            try:
                D, seconds, runs = timed_build(x, depth)
            except DictionaryTooLargeError as exc:
                print(f"\n== {label}: refused: {exc}")
                rows.append((N, depth, full, None, None, None, None, None))
                continue
            K = D.matrix()
            print(
                f"\n== {label}: index set {full:,} chains; {D.n_candidates:,} evaluated at the "
                f"last layer; {D.n_columns:,} distinct columns; build median {seconds:.3f} s "
                f"(runs {runs}) =="
            )
            if K.size > MAX_SOLVE:
                print(f"   not solved: {K.size:,} matrix entries > {MAX_SOLVE:,}")
                rows.append((N, depth, full, D.n_candidates, D.n_columns, seconds, None, None))
                continue
            yc = y - y.mean()
            alpha = float(np.abs(K.T @ yc).max()) / N / 100
            peers = fits if K.size <= PEER_MAX else {"geolasso": fits["geolasso"]}
            if K.size > PEER_MAX:
                print(f"   scikit-learn not run: {K.size:,} matrix entries > {PEER_MAX:,}")
            solved = bench_problem(label, K, y, alpha, True, peers, first_calls)
            rows.append((N, depth, full, D.n_candidates, D.n_columns, seconds, solved, alpha))
    print(f"\nfirst calls (compilation, small problem): {first_calls}")
    print("\n== summary (ratio: scikit-learn time / geolasso time at matched accuracy) ==")
    print(
        "| N | depth | index set | evaluated | distinct columns | build (s) | geolasso solve (s) "
        "| scikit-learn solve (s) | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for N, depth, full, cand, cols, build, solved, _ in rows:
        if cand is None:
            print(f"| {N} | {depth} | {full:,} | refused | | | | | |")
            continue
        if solved is None:
            print(
                f"| {N} | {depth} | {full:,} | {cand:,} | {cols:,} | {build:.3f} | not solved | | |"
            )
            continue
        g = solved["geolasso"]
        if "scikit-learn" not in solved:
            print(
                f"| {N} | {depth} | {full:,} | {cand:,} | {cols:,} | {build:.3f} | {g[0]:.3f} | "
                "not run | |"
            )
            continue
        s = solved["scikit-learn"]
        mark = "" if s[1] else " (target not reached)"
        ratio = f"{s[0] / g[0]:.3g}x" + ("" if s[1] else " (lower bound)")
        print(
            f"| {N} | {depth} | {full:,} | {cand:,} | {cols:,} | {build:.3f} | {g[0]:.3f} | "
            f"{s[0]:.3f}{mark} | {ratio} |"
        )


if __name__ == "__main__":
    main()
