"""The planar passes on a Dask LocalCluster against the in-process pass, and a projection.

For 2-D ``make_moons(n, noise=0.2, random_state=0)`` (every atom of the exact
dictionary, ``n (n - 1) + 4 n``), one full pass ``top_correlations(r, k=64)``
is timed in-process (one thread) and through :mod:`geolasso.distributed` on a
LocalCluster of 1 and 2 single-threaded worker processes (four blocks per
worker). Protocol: the plan (the angular order around every sample) is built
by an untimed first pass on each side (its time is reported apart), then the
median of 5 passes; the residual is a fixed seeded vector. Bytes per round are
the pickled sizes of what travels: the residual to every worker and each
block's result back (the samples travel once, with the plan). The distributed
result is checked equal to the in-process one (maximum, count, atoms).

The projection to 8, 64 and 512 workers uses the measured per-pair pass
cost of the in-process pass, the measured per-task overhead of this LocalCluster (the
1-worker pass minus the in-process pass, per task) and an assumed 1 GB/s
network; its assumptions are printed with it.

Run: ``python benchmarks/bench_distributed.py [--sizes 10000 30000]``; results
go to ``benchmarks/results/distributed.{md,out}``. Needs ``pip install
"geolasso[distributed]"``.
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
K = 64


def moons(n):
    from sklearn.datasets import make_moons

    X, _ = make_moons(n, noise=0.2, random_state=0)
    return np.ascontiguousarray(X)


def timed(fn, repeats=5):
    times = []
    out = None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 30_000])
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    import dask
    import distributed
    from distributed import Client, LocalCluster

    import geolasso
    from geolasso.distributed import distributed_passes
    from geolasso.planar import PlanarDictionary

    lines = []

    def say(text=""):
        print(text, flush=True)
        lines.append(text)

    say(
        f"Python {sys.version.split()[0]}, numpy {np.__version__}, dask {dask.__version__}, "
        f"distributed {distributed.__version__}, geolasso {geolasso.__version__}; "
        "one thread per process"
    )
    rows = []
    for n in args.sizes:
        X = moons(n)
        r = np.random.default_rng(0).standard_normal(n)
        D = PlanarDictionary(X, memory_limit=2**36)
        t = time.perf_counter()
        ref = D.top_correlations(r, K)
        plan_local = time.perf_counter() - t
        local, ref = timed(lambda D=D, r=r: D.top_correlations(r, K))
        say(
            f"n = {n:,} ({D.n_atoms:,} atoms): in-process pass {local:.3f} s "
            f"(first pass with its plan {plan_local:.2f} s)"
        )
        row = {"n": n, "atoms": D.n_atoms, "local": local, "plan_local": plan_local}
        del D
        for w in args.workers:
            cluster = LocalCluster(
                n_workers=w, threads_per_worker=1, processes=True, dashboard_address=None
            )
            with Client(cluster) as client:
                D = PlanarDictionary(X, memory_limit=2**36)
                with distributed_passes(D, client) as Dd:
                    runner = Dd._runner
                    t = time.perf_counter()
                    got = Dd.top_correlations(r, K)
                    plan = time.perf_counter() - t
                    dist, got = timed(lambda Dd=Dd, r=r: Dd.top_correlations(r, K))
                    same = got[0] == ref[0] and got[1] == ref[1] and np.array_equal(got[2], ref[2])
                    blocks = len(runner.edges) - 1
                    part = runner.client.submit(
                        __import__("geolasso.planar", fromlist=["pass_block"]).pass_block,
                        runner._X,
                        runner._plans[0],
                        r,
                        int(runner.edges[0]),
                        int(runner.edges[1]),
                        l1=True,
                        threshold=np.inf,
                        k=K,
                        best=False,
                    ).result()
                    sent = len(pickle.dumps(r)) * w
                    back = len(pickle.dumps(part)) * (blocks + 1)
                cluster_close = cluster
            cluster_close.close()
            say(
                f"   {w} worker(s), {blocks} blocks: pass {dist:.3f} s (x{dist / local:.2f} the "
                f"in-process pass), first pass with the plans {plan:.2f} s, about "
                f"{(sent + back) / 1024:.0f} KiB a round ({sent / 1024:.0f} out, "
                f"{back / 1024:.0f} back), result equal: {same}"
            )
            row[w] = {"pass": dist, "plan": plan, "blocks": blocks, "bytes": sent + back}
            row[f"same{w}"] = same
        rows.append(row)

    say()
    say("## Projection")
    base = rows[-1]
    per_sample = base["local"] / base["n"] ** 2  # the pass's own work, without scheduling
    overhead = (
        max((base[1]["pass"] - base["local"]) / (base[1]["blocks"] + 1), 0.0) if 1 in base else 0.0
    )
    say(
        f"Assumptions: a pass costs {per_sample:.3g} s per sample pair on one core (the "
        f"in-process pass at n = {base['n']:,}), each task adds {overhead * 1e3:.1f} ms of "
        "scheduling (the 1-worker pass minus the in-process pass, per task), four blocks per "
        "worker, a 1 GB/s network, the plan built once per fit, the workers with memory for their "
        "blocks (4 n² / W bytes each)."
    )
    say("")
    say("| n | atoms | workers | projected pass s | plan memory per worker |")
    say("|---|---|---|---|---|")
    for n in (100_000, 1_000_000):
        for w in (8, 64, 512):
            tasks = 4 * w + 1
            bytes_round = 8 * n * w + tasks * (16 * K + 200)
            t = per_sample * n * n / w + overhead * tasks / w + bytes_round / 1e9
            say(
                f"| {n:,} | {n * (n - 1) + 4 * n:.2e} | {w} | {t:.2f} | "
                f"{4 * n * n / w / 2**30:.1f} GiB |"
            )
    say("")
    say("## Ratios (distributed pass / in-process pass; < 1 means faster)")
    for row in rows:
        cells = ", ".join(
            f"{w} worker(s) x{row[w]['pass'] / row['local']:.2f}" for w in args.workers
        )
        say(f"   n = {row['n']:,}: {cells}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "distributed.out").write_text("\n".join(lines) + "\n")
    (args.out / "distributed.md").write_text(
        "# Distributed planar passes (LocalCluster)\n\n" + "\n".join(lines) + "\n"
    )


if __name__ == "__main__":
    main()
