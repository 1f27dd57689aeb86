"""The numbered 3-D dictionary (:class:`geolasso.SpatialDictionary`): passes and fits.

Run with one thread (``NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1``)::

    python benchmarks/bench_spatial.py --passes 250 500 1000 --fits 250 500

* ``--passes``: one full pass ``top_correlations(r, 0)`` on Gaussian samples
  (the best of two, after an untimed call that loads the kernels), and one
  ``top_correlations(r, 1000, spread=True)``.
* ``--fits``: ``ConvexReLU(alpha=α_max / 100)`` and ``/ 1000`` on
  ``geolasso.datasets.teacher(n, 3)``, ``α_max = alpha_max(SpatialDictionary(X),
  y)`` (the exhaustive dictionary's, as in bench_scale.py); the fit time,
  ``exact_`` and the certified relative gap. ``--stored`` also fits through
  the stored :class:`~geolasso.WedgeDictionary` (``memory_limit`` raised).
* ``--compile``: the first pass in a fresh process whose ``NUMBA_CACHE_DIR``
  is an empty directory, minus a second one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def passes(sizes):
    from geolasso import SpatialDictionary

    SpatialDictionary(np.eye(3)).top_correlations(np.ones(3), 1)  # load the kernels
    for n in sizes:
        X = np.random.default_rng(0).normal(size=(n, 3))
        r = np.random.default_rng(1).normal(size=n)
        D = SpatialDictionary(X)
        times = []
        for _ in range(2):
            t = time.perf_counter()
            D.top_correlations(r, 0)
            times.append(time.perf_counter() - t)
        t = time.perf_counter()
        D.top_correlations(r, 1000, spread=True)
        spread = time.perf_counter() - t
        print(
            f"n = {n}: {D.n_atoms:,} atoms, full pass {min(times):.2f} s, "
            f"k = 1000 with spread {spread:.2f} s",
            flush=True,
        )


def fits(sizes, stored):
    import geolasso.auto as auto
    from geolasso import ConvexReLU, SpatialDictionary, WedgeDictionary
    from geolasso.datasets import teacher
    from geolasso.dictionary import alpha_max

    ConvexReLU(alpha=1e-2).fit(*teacher(80, 3))  # warm-up: the kernels loaded
    for n in sizes:
        X, y = teacher(n, 3)
        top = alpha_max(SpatialDictionary(X), y)
        for div in (100, 1000):
            routes = [("numbered", {})]
            if stored:
                routes.append(("stored", {"max_atoms": None, "memory_limit": 64 * 2**30}))
            for name, kwargs in routes:
                model = ConvexReLU(alpha=top / div, **kwargs)
                keep = auto.SPATIAL_MIN_ATOMS
                if name == "stored":  # the stored dictionary, built exhaustively
                    auto.SPATIAL_MIN_ATOMS = 10**18
                try:
                    t = time.perf_counter()
                    model.fit(X, y)
                    elapsed = time.perf_counter() - t
                finally:
                    auto.SPATIAL_MIN_ATOMS = keep
                assert isinstance(model.dictionary_, WedgeDictionary) == (name == "stored")
                print(
                    f"n = {n}, alpha_max/{div}, {name} ({type(model.dictionary_).__name__}): "
                    f"fit {elapsed:.2f} s, exact_ = {model.exact_}, relative gap "
                    f"{model.certificate_.relative_gap:.2e}, objective {model.objective_:.12g}",
                    flush=True,
                )


def compile_time():
    code = (
        "import time, numpy as np\n"
        "from geolasso import SpatialDictionary\n"
        "D = SpatialDictionary(np.random.default_rng(0).normal(size=(10, 3)))\n"
        "t = time.perf_counter(); D.top_correlations(np.ones(10), 3, spread=True)\n"
        "a = time.perf_counter() - t\n"
        "t = time.perf_counter(); D.top_correlations(np.ones(10), 3, spread=True)\n"
        "print(f'kernels compiled in {a - (time.perf_counter() - t):.2f} s (empty cache)')\n"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        subprocess.run([sys.executable, "-c", code], env=env, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, nargs="*", default=[])
    parser.add_argument("--fits", type=int, nargs="*", default=[])
    parser.add_argument("--stored", action="store_true")
    parser.add_argument("--compile", action="store_true")
    args = parser.parse_args()
    if args.compile:
        compile_time()
    passes(args.passes)
    fits(args.fits, args.stored)


if __name__ == "__main__":
    main()
