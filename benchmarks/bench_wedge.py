"""Wedges of all pairs of 200 vectors in R^3 and all triples of 200 vectors in R^4.

geolasso against numpy (``det`` on stacked sub-matrices, and ``np.cross``),
clifford (its jitted outer product in a numba loop, and MultiVector objects)
and kingdon's array-valued multivectors (when installed), side by side in one
run. Fairness (ANCHORS.md §2): one BLAS thread, every path warmed up once,
median (and minimum) of REPEATS runs, compile and import times measured apart
in fresh processes, every output checked against numpy minors, ratios printed
last.

Run: ``python benchmarks/bench_wedge.py`` (kingdon comes with the ``bench``
extra). Object paths are timed on OBJECT_SUBSETS subsets and scaled up.
"""

from __future__ import annotations

import _harness  # first, before numpy: pins BLAS to one thread

# isort: split
import itertools
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

import geolasso as gl

timed = _harness.timed

OBJECT_SUBSETS = 20_000
N = 200


def numpy_det_minors(X, S):
    """Every k×k minor by numpy's batched LU determinant on gathered sub-matrices."""
    G = X[S]  # (m, k, d), the gather is part of the path
    k, d = G.shape[1:]
    return np.stack(
        [np.linalg.det(G[:, :, list(c)]) for c in itertools.combinations(range(d), k)], axis=1
    )


def clifford_paths(X, S):
    import clifford
    import numba

    d, k = X.shape[1], S.shape[1]
    layout, _ = clifford.Cl(d)
    names = ["e" + "".join(str(i + 1) for i in c) for c in itertools.combinations(range(d), k)]
    positions = np.array(
        [
            layout.bladeTupList.index(tuple(i + 1 for i in c))
            for c in itertools.combinations(range(d), k)
        ]
    )
    V = np.zeros((X.shape[0], layout.gaDims))
    V[:, 1 : d + 1] = X  # grade-1 blades follow the scalar in clifford's layout
    omt = layout.omt_func

    if k == 2:

        @numba.njit
        def loop(V, S, positions, out):
            for r in range(S.shape[0]):
                w = omt(V[S[r, 0]], V[S[r, 1]])
                for t in range(positions.size):
                    out[r, t] = w[positions[t]]
    else:

        @numba.njit
        def loop(V, S, positions, out):
            for r in range(S.shape[0]):
                w = omt(omt(V[S[r, 0]], V[S[r, 1]]), V[S[r, 2]])
                for t in range(positions.size):
                    out[r, t] = w[positions[t]]

    def jitted():
        out = np.empty((S.shape[0], positions.size))
        loop(V, S, positions, out)
        return out

    start = time.perf_counter()
    jitted()
    compile_s = time.perf_counter() - start
    mvs = [layout.MultiVector(v) for v in V]
    part = S[:OBJECT_SUBSETS]

    def objects():
        out = np.empty((part.shape[0], len(names)))
        for r, s in enumerate(part):
            w = mvs[s[0]]
            for i in s[1:]:
                w = w ^ mvs[i]
            out[r] = w.value[positions]
        return out

    return jitted, objects, compile_s


def kingdon_path(X, S):
    try:
        import kingdon
    except ImportError:
        return None
    d = X.shape[1]
    alg = kingdon.Algebra(d)
    A = [alg.vector(np.ascontiguousarray(X[S[:, j]].T)) for j in range(S.shape[1])]

    def run():
        w = A[0]
        for a in A[1:]:
            w = w ^ a
        return np.asarray(w.values()).T

    return run


def fresh_process_times():
    """Import time, and first-call time with a cold and a warm numba cache.

    The first call includes importing numba, which ``import geolasso`` defers.
    """
    code = (
        "import time; t0 = time.perf_counter(); import geolasso as gl; t1 = time.perf_counter();"
        "import itertools, numpy as np; X = np.random.default_rng(0).normal(size=(20, 4));"
        "S = np.array(list(itertools.combinations(range(20), 3)));"
        "t2 = time.perf_counter(); gl.wedge_all(X, S); t3 = time.perf_counter();"
        "print(t1 - t0, t3 - t2)"
    )
    runs = _harness.fresh_process_floats(code)
    out = {label: runs[label][1] for label in runs}
    out["import"] = runs["warm"][0]
    # numba's own first-dispatch cost: the smallest geolasso kernel (subset
    # generation) on a tiny input, numba imported beforehand, cache warm.
    floor_code = "import time, numba, geolasso as gl; gl.subsets(5, 2);"  # warms the cache
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        subprocess.run([sys.executable, "-c", floor_code], env=env, check=True)
        res = subprocess.run(
            [
                sys.executable,
                "-c",
                "import numba, time, geolasso as gl; t = time.perf_counter();"
                "gl.subsets(5, 2); print(time.perf_counter() - t)",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        out["floor"] = float(res.stdout)
    numba_import = subprocess.run(
        [
            sys.executable,
            "-c",
            "import time; t=time.perf_counter(); import numba;print(time.perf_counter()-t)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out["numba_import"] = float(numba_import.stdout)
    return out


def bench(label, X, S, geolasso_funcs):
    print(f"\n== {label}: m = {S.shape[0]:,} subsets ==")
    reference = numpy_det_minors(X, S)
    rows = {}
    for name, func in geolasso_funcs.items():
        rows[name] = timed(func)
    rows["numpy det on stacked sub-matrices"] = timed(lambda: numpy_det_minors(X, S))
    if S.shape[1] == 2 and X.shape[1] == 3:
        rows["np.cross (normal directly)"] = timed(lambda: np.cross(X[S[:, 0]], X[S[:, 1]]))
    jitted, objects, clifford_compile = clifford_paths(X, S)
    rows["clifford omt_func in a numba loop"] = timed(jitted)
    med, mn, res = timed(objects, repeats=3)
    scale = S.shape[0] / min(S.shape[0], OBJECT_SUBSETS)
    rows["clifford MultiVector objects (scaled)"] = (med * scale, mn * scale, None)
    np.testing.assert_allclose(res, reference[:OBJECT_SUBSETS], atol=1e-10)
    kingdon_run = kingdon_path(X, S)
    if kingdon_run is not None:
        rows["kingdon array-valued multivectors"] = timed(kingdon_run)
    for name, (_, _, res) in rows.items():
        if res is None or "cross" in name:
            continue
        err = np.abs(res - reference).max()
        assert err < 1e-10, f"{name} disagrees with numpy minors by {err}"
    print(f"   (clifford first jitted loop: {clifford_compile:.2f} s, compile included)")
    for name, (med, mn, _) in rows.items():
        print(f"   {name:42s} median {med * 1e3:10.2f} ms   min {mn * 1e3:10.2f} ms")
    return rows


def main():
    import numba

    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
        f"geolasso {gl.__version__}, {platform.machine()}, {os.cpu_count()} cores"
    )
    rng = np.random.default_rng(0)
    X3 = rng.normal(size=(N, 3))
    X4 = rng.normal(size=(N, 4))
    S2 = gl.subsets(N, 2)
    S3 = gl.subsets(N, 3)
    fresh = fresh_process_times()
    pairs = bench(
        "R^3 pairs",
        X3,
        S2,
        {
            "geolasso wedge_all": lambda: gl.wedge_all(X3, S2),
        },
    )
    _, _, cross = timed(lambda: gl.cross_all(X3, S2))
    np.testing.assert_allclose(cross, np.cross(X3[S2[:, 0]], X3[S2[:, 1]]), atol=1e-12)
    pairs_cross = timed(lambda: gl.cross_all(X3, S2))
    print(f"   {'geolasso cross_all (normal directly)':42s} median {pairs_cross[0] * 1e3:10.2f} ms")
    triples = bench(
        "R^4 triples",
        X4,
        S3,
        {
            "geolasso wedge_all": lambda: gl.wedge_all(X4, S3),
        },
    )
    subsets_time = timed(lambda: gl.subsets(N, 3))[0]

    print("\n== one-off costs (fresh processes) ==")
    print(f"   import geolasso                        {fresh['import']:.3f} s")
    print(
        f"   first wedge_all call, cold cache       {fresh['cold']:.3f} s "
        f"(includes importing numba: {fresh['numba_import']:.3f} s on its own)"
    )
    print(f"   first wedge_all call, warm cache       {fresh['warm']:.3f} s")
    print(
        f"   numba floor: first call of a trivial cached kernel, numba already imported, "
        f"warm cache {fresh['floor']:.3f} s"
    )
    print(f"   generating the {S3.shape[0]:,} triples (gl.subsets)  {subsets_time * 1e3:.1f} ms")

    print("\n== ratios (time of the path / time of geolasso, medians, same run) ==")
    for label, rows in (("R^3 pairs", pairs), ("R^4 triples", triples)):
        base = rows["geolasso wedge_all"][0]
        for name, (med, _, _) in rows.items():
            if name.startswith("geolasso"):
                continue
            print(f"   {label:12s} {name:42s} {med / base:8.1f}x")
    base = triples["geolasso wedge_all"][0]
    print("\n== targets ==")
    if "kingdon array-valued multivectors" in triples:
        ratio = triples["kingdon array-valued multivectors"][0] / base
        print(f"   R^4 triples vs kingdon array path: {ratio:.1f}x (target >= 3x)")
    ratio = triples["numpy det on stacked sub-matrices"][0] / base
    print(f"   R^4 triples vs numpy det:          {ratio:.1f}x (target >= 40x)")
    print(
        f"   first call cold {fresh['cold']:.2f} s (target < 2 s), warm "
        f"{fresh['warm']:.2f} s (target < 0.3 s), import {fresh['import']:.2f} s (target < 1 s)"
    )


if __name__ == "__main__":
    main()
