"""Shared timing helpers of the benchmark scripts (not collected by pytest).

Importing this module first pins BLAS to one thread (ANCHORS.md §2, rule 6);
it must therefore be imported before numpy.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

REPEATS = 7


def timed(func, repeats=REPEATS):
    """Warm up once, then return (median, min, last result) over ``repeats`` runs."""
    result = func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), result


def fresh_process_floats(code, labels=("cold", "warm")):
    """Run ``code`` in fresh interpreters sharing a new, empty numba cache.

    The first run compiles (cold cache), later ones load the cached kernels.
    ``code`` prints numbers separated by spaces; returns ``{label: [floats]}``.
    """
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in labels:
            res = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            out[label] = [float(v) for v in res.stdout.split()]
    return out
