"""Certified global training at scale: geolasso against torch Adam (and pyscnn) as n grows.

Three sections, one run, one thread everywhere (BLAS through the environment
and threadpoolctl, numba, torch):

* ``2d``: exhaustive ℓ1 wedge rows. ``ConvexReLUClassifier`` (defaults:
  ``method="wedge"``, ``norm="l1"``, ``max_atoms="auto"``, free biases and
  intercept) on ``make_moons(n, noise=0.2, random_state=0)`` (labels ±1) and
  on ``geolasso.datasets.spiral(n)``, ``n`` in ``--sizes``;
  ``α = α_max/100`` and ``α_max/1000`` with ``α_max =
  geolasso.dictionary.alpha_max(D, y)`` of the exhaustive dictionary ``D``
  (PlanarDictionary in 2-D, SpatialDictionary in 3-D: the same atoms, numbered;
  computed in its own process; a refused dictionary,
  ``DictionaryTooLargeError``, makes the row "not run").
* ``3d``: the same on ``geolasso.datasets.teacher(n, 3)`` (Gaussian X, a
  3-neuron ReLU teacher, noise 0.1, seed 0) with ``ConvexReLU``, ``n`` in
  ``--sizes-3d``.
* ``arrangement``: ``ConvexReLU(method="arrangement", norm="l2",
  bias="regularized", gated=False / True, patterns=sample_patterns(X, P,
  bias="regularized", random_state=0))`` on ``teacher(n, d)`` for the
  ``(n, d, P)`` of ``--grid``; ``α = α_max/100`` and ``α_max/1000`` with the
  α_max of bench_arrangement.py (``max_i ‖Zᵀ D_i y‖₂ / n``, ``Z = [X, 1]``:
  the smallest α at which zero solves the gated program, and hence the ReLU
  one, over the patterns; geolasso has no public helper for it). pyscnn (AL
  for C-ReLU, RFISTA for C-GReLU, its defaults) solves the same program over
  the same gates through bench_arrangement.py's harness when it is installed
  (``pip install --no-deps pyscnn linalg_backends opt_einsum`` beside the
  ``test`` and ``torch`` extras: its own requirements pull torchvision and a
  CUDA build of torch).

geolasso: every fit runs in a fresh subprocess (this script with
``--worker``), which first does an untimed warm-up fit on a small problem of
the same kind (so no JIT compile or cache load is timed), then times the
whole ``.fit`` (dictionary or pattern sampling, solver, network recovery and
the certificate): the median of 5 fits when the first takes under 30 s,
otherwise that single fit (said in the table). The process's peak resident
memory (``getrusage`` max RSS) is reported with its high-water mark before the
timed fits (imports, data, warm-up) beside it. A fit still running after
``--geolasso-timeout`` seconds is killed and reported as "timeout". Compile
time is measured apart: first fits in a fresh process whose
``NUMBA_CACHE_DIR`` is an empty temporary directory (cold), then again with
the cache it filled (warm).

``optimality_gap_`` is ABSOLUTE (``objective_ − J* ≤ optimality_gap_``); the
tables show ``optimality_gap_ / objective_``. For sampled patterns the
certificate covers the patterns used only: the tables show
``solution_.gap / solution_.objective``.

Adam (torch, float64, full batch, one thread), lr 1e-1, 1e-2, 1e-3,
``--seeds`` seeds, each run stopped after ``--budget`` seconds (default
``max(10 s, 3 × geolasso's time)``, capped by ``--max-budget``), on exactly
geolasso's objective:

* wedge rows: ``J = ‖f(X) − y‖²/(2n) + (α/2) Σ_j (‖w_j‖₁² + v_j²)``, free
  hidden biases and a free intercept (bench_convex_vs_sgd.local_search), width
  ``max(300, 2 × geolasso's n_neurons_)``;
* C-ReLU rows: the same with ‖(w_j, b_j)‖₂² (bias regularized), no intercept,
  width ``max(300, 2 × n_neurons_)``;
* C-GReLU rows: the gated network with geolasso's sampled gates ``g_i``
  fixed, one neuron per gate: ``f(x) = Σ_i 1[g_i·z > 0] (u_i·z) v_i``,
  penalty ``(α/2) Σ_i (‖u_i‖₂² + v_i²)``, whose optimum is the C-GReLU optimum.

For every lr: the median over seeds of the time at which the objective first
comes within 1 % of geolasso's (over the seeds that did; "never" otherwise,
with the count) and the median best objective relative to geolasso's. Over
sampled patterns geolasso's C-ReLU objective is an upper bound on the network
optimum, so Adam may end below it there.

Output: a Markdown table per section, log-log slopes of time against n
(least squares of log time on log n over the rows that ran; Adam: the fastest
lr by median time to 1 %), then the ratios (Adam / geolasso, pyscnn /
geolasso, same run) last; ``--out`` (default benchmarks/results) receives
``scale.md``, ``scale.out`` (the console output) and ``scale.png`` (log-log
time against n).

Run: ``python benchmarks/bench_scale.py`` (hours: most of it is Adam's
budget, 3 lr × 5 seeds × max(10 s, 3 × geolasso) per row and α);
``--quick`` checks the script end to end on tiny problems;
``--sections 2d 3d arrangement``, ``--sizes``, ``--sizes-3d``,
``--grid n,d,P ...``, ``--seeds``, ``--lrs``, ``--budget``, ``--max-budget``, ``--out DIR`` change
the run.
"""

from __future__ import annotations

import _harness  # first, before numpy: pins BLAS to one thread

# isort: split
import argparse
import functools
import importlib.util
import json
import math
import os
import platform
import queue
import resource
import statistics
import subprocess
import sys
import threading
import time
import types
import warnings
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import bench_arrangement as arr  # its pyscnn harness, objective and Tee
import bench_convex_vs_sgd as cvs  # its torch local search on the ℓ1 objective
import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
REPEATS = 5
SLOW = 30.0  # seconds: a first timed fit slower than this is the only timed fit
FRACTIONS = [1e-2, 1e-3]  # α / α_max; --fractions replaces them
LRS = [1e-1, 1e-2, 1e-3]  # --lrs replaces them
WITHIN = 0.01  # "time to 1 %": objective <= (1 + WITHIN) · geolasso's
SIZES = (1000, 2000, 5000, 10000)
SIZES_3D = (250, 500, 1000)
GRID = (
    (1000, 10, 200),
    (1000, 50, 1000),
    (10000, 10, 200),
    (10000, 50, 1000),
    (10000, 784, 1000),
    (60000, 10, 200),
    (60000, 50, 1000),
    (60000, 784, 1000),
)
QUICK = {"sizes": (200, 400), "sizes_3d": (60,), "grid": ((500, 10, 50),), "seeds": 2}
QUICK_BUDGET = 5.0
MODELS = {"C-ReLU": False, "C-GReLU": True}  # model -> gated; --models keeps some


# ------------------------------------------------------------------- data
def make_data(spec):
    """(X, y) of a data spec ``{"name": "moons" | "spiral" | "teacher", "n": …, "d": …}``."""
    name, n = spec["name"], int(spec["n"])
    if name == "moons":
        from sklearn.datasets import make_moons

        X, labels = make_moons(n, noise=0.2, random_state=0)
        return np.ascontiguousarray(X), np.where(labels == 1, 1.0, -1.0)
    if name == "spiral":
        from geolasso.datasets import spiral

        return spiral(n)
    if name == "teacher":
        from geolasso.datasets import teacher

        return teacher(n, int(spec["d"]))
    raise ValueError(f"unknown data set {name!r}")


def data_note(spec):
    if spec["name"] == "moons":
        return "make_moons(n, noise=0.2, random_state=0), labels ±1"
    if spec["name"] == "spiral":
        return "geolasso.datasets.spiral(n), labels ±1"
    return f"geolasso.datasets.teacher(n, {spec['d']}) (3 teacher neurons, noise 0.1, seed 0)"


# ------------------------------------------------ the subprocess worker
def _maxrss():
    """Peak resident memory of this process so far, bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _emit(event, **fields):
    print("@@ " + json.dumps({"event": event, **fields}), flush=True)


def _wedge_fitter(spec, X, y, alpha):
    from geolasso.convex import ConvexReLU, ConvexReLUClassifier

    estimator = ConvexReLU if spec["name"] == "teacher" else ConvexReLUClassifier
    return lambda: estimator(alpha=alpha).fit(X, y)


def _arrangement_fitter(X, y, alpha, n_gates, gated):
    from geolasso.arrangements import sample_patterns
    from geolasso.convex import ConvexReLU

    def fit():  # the pattern sampling is part of geolasso's time
        patterns = sample_patterns(X, n_gates, bias="regularized", random_state=0)
        return ConvexReLU(
            alpha=alpha,
            method="arrangement",
            norm="l2",
            bias="regularized",
            gated=gated,
            patterns=patterns,
        ).fit(X, y)

    return fit


def _wedge_summary(model):
    cert = model.certificate_
    return {
        "objective": float(model.objective_),
        "n_neurons": int(model.n_neurons_),
        "atoms": int(model.dictionary_.n_atoms),
        "sampled": bool(model.dictionary_.sampled),
        "exact": bool(model.exact_),
        "gap_abs": float(model.optimality_gap_),
        "cert_exact": None if cert is None else bool(cert.exact),
        "lasso_gap": float(model.lasso_gap_),
        "n_iter": int(model.n_iter_),
    }


def _arrangement_summary(model, X, y, alpha, gated):
    """geolasso's solution scored by bench_arrangement's one objective (and its violation)."""
    res = model.solution_
    pats = model.patterns_
    Z = np.column_stack([X, np.ones(len(X))])
    masks = pats.patterns.astype(np.float64)
    V = np.zeros((pats.n_patterns, Z.shape[1]))
    U = np.zeros_like(V)
    for row, p, s in zip(res.coef, res.pattern, res.sign, strict=True):
        (V if s > 0 else U)[p] += row
    prob = types.SimpleNamespace(Z=Z, y=y, n=len(y))
    U = None if gated else U
    return {
        "objective": float(model.objective_),
        "convex_objective": arr.objective(prob, alpha, masks, V, U),
        "violation": 0.0 if gated else arr.violation(prob, masks, V, U),
        "n_neurons": int(model.n_neurons_),
        "n_patterns": int(pats.n_patterns),
        "gap_abs": float(res.gap),
        "rel_gap": float(res.relative_gap),
        "n_rounds": int(res.n_rounds),
    }


def _timed_fits(fit, summarize):
    """Time ``fit`` (5 times when the first takes < SLOW), emitting events as it goes."""
    _emit("ready", rss_before=_maxrss())
    times = []
    for i in range(REPEATS):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            model = fit()
            times.append(time.perf_counter() - start)
        if i == 0:
            peak = _maxrss()  # the fit's peak, before the summary scores the solution
            notes = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
            _emit("first", seconds=times[0], rss_peak=peak, warnings=notes, **summarize(model))
            if times[0] >= SLOW:
                break
        else:
            _emit("fit", seconds=times[-1])
        del model
    _emit("done", times=times)


def worker(task):
    """One measurement in this (fresh) process; results as ``@@ {json}`` lines on stdout."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    kind = task["kind"]
    try:
        if kind == "alpha":  # α_max of the exhaustive ℓ1 dictionary
            from geolasso.dictionary import WedgeDictionary, alpha_max
            from geolasso.exceptions import DictionaryTooLargeError
            from geolasso.planar import PlanarDictionary
            from geolasso.spatial import SpatialDictionary

            X, y = make_data(task["data"])
            start = time.perf_counter()
            try:  # the numbered dictionaries (what the fits use past 100,000 atoms)
                D = PlanarDictionary(X) if X.shape[1] == 2 else SpatialDictionary(X)
            except DictionaryTooLargeError as exc:
                _emit("refused", message=str(exc))
                return
            value = alpha_max(D, y)
            _emit(
                "alpha", alpha_max=value, atoms=int(D.n_atoms), seconds=time.perf_counter() - start
            )
        elif kind == "wedge":
            from geolasso.dictionary import WedgeDictionary, alpha_max

            spec = task["data"]
            # 400 samples in 2-D (161,200 atoms), 80 in 3-D (183,760) warm the numbered
            # dictionaries' kernels too
            small = {**spec, "n": 400 if spec["name"] != "teacher" else 80}
            Xs, ys = make_data(small)
            _wedge_fitter(small, Xs, ys, alpha_max(WedgeDictionary(Xs), ys) * task["frac"])()
            X, y = make_data(spec)
            _timed_fits(_wedge_fitter(spec, X, y, task["alpha"]), _wedge_summary)
        elif kind == "arrangement":
            spec, gated = task["data"], task["gated"]
            Xs, ys = make_data({**spec, "n": 100})
            small = arr.Problem("warm-up", Xs, ys, "", 20)
            _arrangement_fitter(Xs, ys, small.alpha_max * task["frac"], 20, gated)()
            X, y = make_data(spec)
            _timed_fits(
                _arrangement_fitter(X, y, task["alpha"], task["P"], gated),
                lambda m: _arrangement_summary(m, X, y, task["alpha"], gated),
            )
        elif kind == "pyscnn":
            spec, gated, alpha = task["data"], task["gated"], task["alpha"]
            rng = np.random.default_rng(1)
            Xt = rng.normal(size=(12, 2))
            tiny = arr.Problem("tiny", Xt, np.sign(Xt[:, 0] * Xt[:, 1]), "", 10)
            arr.fit_pyscnn(tiny, tiny.alpha_max / 10, gated)  # its first call, untimed
            X, y = make_data(spec)
            prob = arr.Problem("teacher", X, y, "", task["P"])

            def summarize(out):
                masks, V, U, note, _ = out
                kept, same, own = prob.check_pyscnn_patterns()
                return {
                    "objective": arr.objective(prob, alpha, masks, V, U),
                    "violation": 0.0 if gated else arr.violation(prob, masks, V, U),
                    "note": note,
                    "same_patterns": bool(same and own and kept == prob.P),
                }

            _timed_fits(lambda: arr.fit_pyscnn(prob, alpha, gated), summarize)
        else:
            raise ValueError(f"unknown task {kind!r}")
    except Exception as exc:  # reported by the parent, which goes on
        _emit("error", message=f"{type(exc).__name__}: {exc}")


def run_worker(task, timeout):
    """Run ``worker(task)`` in a fresh interpreter; kill it when ``timeout`` s pass silently.

    The limit restarts at every event (after the warm-up, after each fit).
    Returns ``(status, events, stderr tail)``; status is "ok", "timeout" or "crashed".
    """
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(task)]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    lines = queue.Queue()

    def pump(stream, tag):
        for line in stream:
            lines.put((tag, line))
        lines.put((tag, None))

    for stream, tag in ((proc.stdout, "out"), (proc.stderr, "err")):
        threading.Thread(target=pump, args=(stream, tag), daemon=True).start()
    events, errors, open_streams, status = {}, [], 2, "ok"
    deadline = time.monotonic() + timeout
    while open_streams:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            proc.kill()  # the worker this call started, by its handle
            status = "timeout"
            break
        try:
            tag, line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            open_streams -= 1
        elif tag == "err":
            errors.append(line)
        elif line.startswith("@@ "):
            event = json.loads(line[3:])
            name = event.pop("event")
            if name == "fit":
                events.setdefault("fits", []).append(event["seconds"])
            else:
                events[name] = event
            deadline = time.monotonic() + timeout
    proc.wait()
    if status == "ok" and proc.returncode != 0:
        status = "crashed"
    return status, events, "".join(errors[-15:]).strip()


def geolasso_result(status, events, err, timeout):
    """A geolasso (or pyscnn) measurement from its worker's events."""
    first = events.get("first")
    if "error" in events:
        return {"status": "failed", "note": events["error"]["message"]}
    if first is None:
        if status == "timeout":
            where = "in the warm-up" if "ready" not in events else "in the first fit"
            return {"status": "timeout", "note": f"killed after {timeout:g} s {where}"}
        return {"status": "failed", "note": f"worker {status}: {err[-400:]}"}
    times = [first["seconds"], *events.get("fits", [])]
    out = {**first, "status": "ok", "times": times}
    out["rss_before"] = events["ready"]["rss_before"]
    out["time"] = statistics.median(times)
    if times[0] >= SLOW:
        out["runs"] = "single fit (first ≥ 30 s)"
    elif "done" in events:
        out["runs"] = f"median of {len(times)}"
    else:
        out["runs"] = f"median of {len(times)} ({status} in a repeat)"
    return out


# -------------------------------------------------------- compile time
_COMPILE = {
    "wedge": (
        "from geolasso.datasets import spiral; X, y = spiral(100); t = time.perf_counter();"
        "ConvexReLUClassifier(alpha=1e-4).fit(X, y); out.append(time.perf_counter() - t)"
    ),
    "wedge 3-D": (
        "from geolasso.datasets import teacher; X, y = teacher(80, 3); t = time.perf_counter();"
        "ConvexReLU(alpha=1e-3).fit(X, y); out.append(time.perf_counter() - t)"
    ),
    "C-ReLU": (
        "from geolasso.datasets import teacher; from geolasso.arrangements import sample_patterns;"
        "X, y = teacher(100, 5); t = time.perf_counter();"
        "ConvexReLU(alpha=1e-2, method='arrangement', norm='l2', bias='regularized',"
        " patterns=sample_patterns(X, 20, bias='regularized', random_state=0)).fit(X, y);"
        "out.append(time.perf_counter() - t)"
    ),
    "C-GReLU": (
        "from geolasso.datasets import teacher; from geolasso.arrangements import sample_patterns;"
        "X, y = teacher(100, 5); t = time.perf_counter();"
        "ConvexReLU(alpha=1e-2, method='arrangement', norm='l2', bias='regularized', gated=True,"
        " patterns=sample_patterns(X, 20, bias='regularized', random_state=0)).fit(X, y);"
        "out.append(time.perf_counter() - t)"
    ),
}


def compile_times(parts):
    """First fits in fresh processes sharing a new numba cache: cold (empty), then warm."""
    code = "\n".join(
        [
            "import time; t0 = time.perf_counter(); import numpy as np",
            "from threadpoolctl import threadpool_limits; threadpool_limits(1)",
            "from geolasso.convex import ConvexReLU, ConvexReLUClassifier",
            "out = [time.perf_counter() - t0]",
            *(_COMPILE[p] for p in parts),
            "print(*out)",
        ]
    )
    try:
        return _harness.fresh_process_floats(code)
    except subprocess.CalledProcessError as exc:
        return f"failed: {exc.stderr.strip()[-400:]}"


# ---------------------------------------------------------------- Adam
def adam_arrangement(X, y, alpha, gates, lr, seed, width, budget):
    """Full-batch Adam on the ℓ2 objective with the bias in the norm and no intercept.

    ``gates=None``: the ReLU network of ``width`` neurons. Otherwise the gated
    network with these fixed gates (rows ``(w, b)``), one neuron per gate.
    Returns (times, objectives) per epoch, as bench_convex_vs_sgd.local_search.
    """
    import torch

    torch.manual_seed(seed)
    f64 = torch.float64
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    n, d = X.shape
    if gates is not None:
        width = gates.shape[0]
        Z = torch.cat([Xt, torch.ones(n, 1, dtype=f64)], dim=1)
        mask = (Z @ torch.as_tensor(gates).T > 0).to(f64)
    hidden = torch.nn.Linear(d, width, dtype=f64)
    out = torch.nn.Linear(width, 1, bias=False, dtype=f64)
    opt = torch.optim.Adam([*hidden.parameters(), *out.parameters()], lr=lr)
    times, values = [], []
    start = time.perf_counter()
    while True:
        opt.zero_grad()
        pre = hidden(Xt)
        act = torch.relu(pre) if gates is None else pre * mask
        pred = (act @ out.weight[0]) if gates is not None else out(act)[:, 0]
        pen = (hidden.weight**2).sum() + (hidden.bias**2).sum() + (out.weight**2).sum()
        loss = ((pred - yt) ** 2).sum() / (2 * n) + alpha / 2 * pen
        value = float(loss.detach())
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        values.append(value if np.isfinite(value) else np.inf)
        if not np.isfinite(value) or elapsed > budget:
            break
        loss.backward()
        opt.step()
    return np.array(times), np.array(values)


def run_adam(run, ref, seeds, label):
    """Adam over LRS × seeds; ``run(lr, seed)`` returns (times, objectives)."""
    out = {}
    for lr in LRS:
        t1, finals = [], []
        for seed in range(seeds):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                times, values = run(lr, seed)
            finals.append(float(values.min()))
            t1.append(cvs.first_within(times, values, ref * (1 + WITHIN)))
        ok = [t for t in t1 if np.isfinite(t)]
        out[lr] = {
            "t1": t1,
            "ok": len(ok),
            "median_ok": statistics.median(ok) if ok else math.inf,
            # a configuration's time: median over all seeds, failures counted as never
            "median_all": float(np.median(t1)),
            "best_rel": float(np.median(finals)) / ref,
        }
        print(
            f"   {label} Adam lr {lr:g}: within 1 % in {len(ok)}/{seeds} seeds"
            + (f" (median {statistics.median(ok):.3f} s)" if ok else "")
            + f", best J median / geolasso {out[lr]['best_rel']:.5f}",
            flush=True,
        )
    return out


def adam_fastest(adam):
    """The fastest lr by median time to 1 % over all seeds (inf when none reaches it)."""
    return min((a["median_all"] for a in adam.values()), default=math.inf) if adam else math.inf


def warm_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cvs.local_search(np.ones((4, 2)), np.ones(4), 0.1, "l1", "Adam", 0.1, 0, 8, 0.2, 20)
        X = np.random.default_rng(0).normal(size=(8, 2))
        adam_arrangement(X, X[:, 0], 0.1, None, 0.1, 0, 8, 0.2)
        adam_arrangement(X, X[:, 0], 0.1, np.ones((3, 3)), 0.1, 0, 8, 0.2)


# ------------------------------------------------------------ sections
def fmt_s(t):
    if not np.isfinite(t):
        return "never"
    return f"{t:.0f}" if t >= 100 else f"{t:.1f}" if t >= 10 else f"{t:.3f}"


def fmt_mib(nbytes):
    return f"{nbytes / 2**20:,.0f}"


def budget_for(args, geo_time):
    budget = args.budget if args.budget is not None else max(10.0, 3.0 * geo_time)
    return min(budget, args.max_budget) if args.max_budget else budget


def wedge_section(args, section):
    """Rows of the 2-D (moons, spiral) or 3-D (teacher) exhaustive ℓ1 section."""
    if section == "2d":
        specs = [{"name": name, "n": n + n % 2} for name in ("moons", "spiral") for n in args.sizes]
    else:
        specs = [{"name": "teacher", "n": n, "d": 3} for n in args.sizes_3d]
    rows = []
    for spec in specs:
        name, n = spec["name"], spec["n"]
        print(f"\n== {section} {name}, n = {n}: {data_note(spec)} ==", flush=True)
        status, events, err = run_worker({"kind": "alpha", "data": spec}, args.geolasso_timeout)
        base = {"section": section, "series": name, "n": n, "d": 2 if section == "2d" else 3}
        if "alpha" not in events:
            if "refused" in events:
                note = f"not run: {events['refused']['message']}"
            elif "error" in events:
                note = f"not run: {events['error']['message']}"
            elif status == "timeout":
                note = f"not run: α_max not computed within {args.geolasso_timeout:g} s"
            else:
                note = f"not run: α_max worker {status}: {err[-300:]}"
            print(f"   {note}", flush=True)
            for frac in FRACTIONS:
                rows.append({**base, "frac": frac, "alpha": math.nan, "geo": None, "note": note})
            continue
        top = events["alpha"]["alpha_max"]
        print(
            f"   α_max = {top:.6g} (exhaustive dictionary {events['alpha']['atoms']:,} atoms, "
            f"{events['alpha']['seconds']:.2f} s)",
            flush=True,
        )
        X, y = make_data(spec)
        for frac in FRACTIONS:
            alpha = top * frac
            task = {"kind": "wedge", "data": spec, "alpha": alpha, "frac": frac}
            geo = geolasso_result(*run_worker(task, args.geolasso_timeout), args.geolasso_timeout)
            row = {**base, "frac": frac, "alpha": alpha, "geo": geo, "note": ""}
            rows.append(row)
            label = f"{name} n = {n} α_max·{frac:g}"
            if geo["status"] != "ok":
                row["note"] = f"geolasso {geo['status']}: {geo['note']}"
                print(f"   {label}: {row['note']}", flush=True)
                continue
            rel = geo["gap_abs"] / geo["objective"]
            print(
                f"   {label}: geolasso {geo['time']:.3f} s ({geo['runs']}), objective "
                f"{geo['objective']:.10g}, {geo['n_neurons']} neurons, {geo['atoms']:,} atoms"
                f"{' (SAMPLED)' if geo['sampled'] else ''}, exact_ {geo['exact']}, certified "
                f"gap {geo['gap_abs']:.2e} abs / {rel:.2e} rel, peak RSS "
                f"{fmt_mib(geo['rss_peak'])} MiB"
                + (f"; warnings: {' | '.join(geo['warnings'])}" if geo["warnings"] else ""),
                flush=True,
            )
            width = max(300, 2 * geo["n_neurons"])
            row["budget"] = budget = budget_for(args, geo["time"])
            row["width"] = width

            run = functools.partial(  # run(lr, seed)
                cvs.local_search,
                X,
                y,
                alpha,
                "l1",
                "Adam",
                width=width,
                budget=budget,
                epochs=10**12,
            )
            row["adam"] = run_adam(run, geo["objective"], args.seeds, label)
    return rows


def arrangement_section(args, have_pyscnn):
    rows = []
    for n, d, P in args.grid:
        spec = {"name": "teacher", "n": n, "d": d}
        print(f"\n== arrangement n = {n}, d = {d}, P = {P}: {data_note(spec)} ==", flush=True)
        X, y = make_data(spec)
        prob = arr.Problem("teacher", X, y, "", P)  # the same gates and patterns as geolasso's
        print(
            f"   {P} Gaussian gates (seed 0) -> {prob.P} distinct non-zero patterns; "
            f"α_max = {prob.alpha_max:.6g}",
            flush=True,
        )
        for frac in FRACTIONS:
            alpha = prob.alpha_max * frac
            for model, gated in MODELS.items():
                label = f"{model} {n}×{d} P={P} α_max·{frac:g}"
                task = {
                    "kind": "arrangement",
                    "data": spec,
                    "P": P,
                    "alpha": alpha,
                    "frac": frac,
                    "gated": gated,
                }
                geo = geolasso_result(
                    *run_worker(task, args.geolasso_timeout), args.geolasso_timeout
                )
                row = {
                    "section": "arrangement",
                    "series": model,
                    "n": n,
                    "d": d,
                    "P": P,
                    "kept": prob.P,
                    "frac": frac,
                    "alpha": alpha,
                    "geo": geo,
                    "note": "",
                }
                rows.append(row)
                if geo["status"] == "ok":
                    print(
                        f"   {label}: geolasso {geo['time']:.3f} s ({geo['runs']}), objective "
                        f"{geo['objective']:.10g} (convex objective, one formula: "
                        f"{geo['convex_objective']:.10g}), {geo['n_neurons']} neurons, gap over "
                        f"the patterns {geo['gap_abs']:.2e} abs / {geo['rel_gap']:.2e} rel, "
                        f"cone violation {geo['violation']:.1e}, peak RSS "
                        f"{fmt_mib(geo['rss_peak'])} MiB",
                        flush=True,
                    )
                else:
                    row["note"] = f"geolasso {geo['status']}: {geo['note']}"
                    print(f"   {label}: {row['note']}", flush=True)
                if have_pyscnn:
                    task = {**task, "kind": "pyscnn"}
                    peer = geolasso_result(
                        *run_worker(task, args.pyscnn_timeout), args.pyscnn_timeout
                    )
                    row["pyscnn"] = peer
                    if peer["status"] == "ok":
                        print(
                            f"   {label}: pyscnn {'RFISTA' if gated else 'AL'} {peer['time']:.3f}"
                            f" s ({peer['runs']}), objective {peer['objective']:.10g}, cone "
                            f"violation {peer['violation']:.1e}, same patterns "
                            f"{peer['same_patterns']}"
                            + (f" [{peer['note']}]" if peer["note"] else ""),
                            flush=True,
                        )
                    else:
                        print(f"   {label}: pyscnn {peer['status']}: {peer['note']}", flush=True)
                if geo["status"] != "ok":
                    continue
                row["budget"] = budget = budget_for(args, geo["time"])
                gates = prob.patterns.gates if gated else None
                width = prob.P if gated else max(300, 2 * geo["n_neurons"])
                row["width"] = width

                run = functools.partial(
                    adam_arrangement, X, y, alpha, gates, width=width, budget=budget
                )
                row["adam"] = run_adam(run, geo["objective"], args.seeds, label)
        del prob, X, y
    return rows


# ------------------------------------------------------------ reporting
def adam_cells(row, seeds):
    adam = row.get("adam")
    if not adam:
        return ["–"] * (2 * len(LRS))
    cells = []
    for lr in LRS:
        a = adam[lr]
        t = "never" if not a["ok"] else fmt_s(a["median_ok"])
        cells += [f"{t} ({a['ok']}/{seeds})", f"{a['best_rel']:.4f}"]
    return cells


def adam_setup(row):
    return f"{row['width']}, {row['budget']:.0f}" if row.get("adam") else "–"


def adam_header():
    head = []
    for lr in LRS:
        head += [f"Adam {lr:g}: s to 1 % (seeds)", f"Adam {lr:g}: best J / J_geo"]
    return head


def wedge_table(rows, seeds):
    head = [
        "data",
        "n",
        "α (α/α_max)",
        "atoms",
        "geolasso s (timing)",
        "exact_",
        "certified rel. gap = optimality_gap_ (absolute) / objective_",
        "peak RSS MiB (before fit)",
        "objective J",
        "neurons",
        *adam_header(),
        "Adam width, budget s",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        geo = r["geo"]
        start = [r["series"], f"{r['n']:,}", f"{r['alpha']:.4g} ({r['frac']:g})"]
        if geo is None or geo["status"] != "ok":
            rest = [r["note"]] + [""] * (len(head) - 4)
            lines.append("| " + " | ".join(start + rest) + " |")
            continue
        atoms = f"{geo['atoms']:,}" + (" sampled" if geo["sampled"] else " exhaustive")
        cells = [
            atoms,
            f"{fmt_s(geo['time'])} ({geo['runs']})",
            str(geo["exact"]),
            f"{geo['gap_abs'] / geo['objective']:.1e}",
            f"{fmt_mib(geo['rss_peak'])} ({fmt_mib(geo['rss_before'])})",
            f"{geo['objective']:.8g}",
            str(geo["n_neurons"]),
            *adam_cells(r, seeds),
            adam_setup(r),
        ]
        lines.append("| " + " | ".join(start + cells) + " |")
    return "\n".join(lines)


def arrangement_table(rows, seeds, have_pyscnn):
    head = [
        "model",
        "n × d",
        "P (kept)",
        "α (α/α_max)",
        "geolasso s (timing)",
        "objective J",
        "certified rel. gap over the patterns used",
        "cone violation",
        "peak RSS MiB (before fit)",
        "pyscnn s (timing)" if have_pyscnn else "pyscnn (not installed)",
        "pyscnn objective (vs geolasso)",
        "pyscnn cone violation (C-ReLU)",
        *adam_header(),
        "Adam width, budget s",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        geo = r["geo"]
        start = [
            r["series"],
            f"{r['n']:,} × {r['d']}",
            f"{r['P']} ({r['kept']})",
            f"{r['alpha']:.4g} ({r['frac']:g})",
        ]
        if geo["status"] == "ok":
            gcells = [
                f"{fmt_s(geo['time'])} ({geo['runs']})",
                f"{geo['objective']:.8g}",
                f"{geo['rel_gap']:.1e}",
                "–" if r["series"] == "C-GReLU" else f"{geo['violation']:.1e}",
                f"{fmt_mib(geo['rss_peak'])} ({fmt_mib(geo['rss_before'])})",
            ]
        else:
            gcells = [f"{geo['status']}: {geo['note']}", "", "", "", ""]
        peer = r.get("pyscnn")
        if peer is None:
            pcells = ["–", "–", "–"]
        elif peer["status"] != "ok":
            pcells = [f"{peer['status']}: {peer['note']}", "", ""]
        else:
            vs = ""
            if geo["status"] == "ok":
                ref = geo["convex_objective"]
                vs = f" ({(peer['objective'] - ref) / ref:+.1e})"
            pcells = [
                f"{fmt_s(peer['time'])} ({peer['runs']})",
                f"{peer['objective']:.8g}{vs}",
                "–" if r["series"] == "C-GReLU" else f"{peer['violation']:.1e}",
            ]
        tail = [*adam_cells(r, seeds), adam_setup(r)]
        lines.append("| " + " | ".join(start + gcells + pcells + tail) + " |")
    return "\n".join(lines)


def series_key(r):
    if r["section"] == "arrangement":
        return f"{r['series']} d={r['d']} P={r['P']} α_max·{r['frac']:g}"
    return f"{r['section']} {r['series']} α_max·{r['frac']:g}"


def points(rows):
    """{series: {"geolasso" | "Adam" | "pyscnn": [(n, seconds)]}} over the rows that ran."""
    out = {}
    for r in rows:
        s = out.setdefault(series_key(r), {"geolasso": [], "Adam": [], "pyscnn": []})
        geo = r["geo"]
        if geo is not None and geo["status"] == "ok":
            s["geolasso"].append((r["n"], geo["time"]))
        t = adam_fastest(r.get("adam"))
        if np.isfinite(t):
            s["Adam"].append((r["n"], t))
        peer = r.get("pyscnn")
        if peer is not None and peer["status"] == "ok":
            s["pyscnn"].append((r["n"], peer["time"]))
    return out


def slope(pts):
    """Least-squares slope of log time on log n, or None with fewer than two sizes."""
    if len({n for n, _ in pts}) < 2:
        return None
    logn, logt = np.log([n for n, _ in pts]), np.log([max(t, 1e-9) for _, t in pts])
    return float(np.polyfit(logn, logt, 1)[0])


def slope_table(rows):
    lines = [
        "| series | geolasso slope (rows) | Adam-to-1 % slope (rows) | pyscnn slope (rows) |",
        "|---|---|---|---|",
    ]
    for key, s in points(rows).items():
        cells = []
        for name in ("geolasso", "Adam", "pyscnn"):
            k = slope(s[name])
            cells.append(f"{k:.2f} ({len(s[name])})" if k is not None else f"– ({len(s[name])})")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratio_lines(rows):
    lines = [
        "| row | geolasso s | Adam fastest lr to 1 % (median over seeds) s | Adam / geolasso | "
        "pyscnn s | pyscnn / geolasso | geolasso objective ≤ pyscnn's |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        geo = r["geo"]
        name = f"{series_key(r)} n={r['n']:,}"
        if geo is None or geo["status"] != "ok":
            lines.append(f"| {name} | {r['note'] or geo['status']} | | | | | |")
            continue
        t_adam = adam_fastest(r.get("adam"))
        if np.isfinite(t_adam):
            a_ratio = f"{t_adam / geo['time']:.3g}x"
        elif r.get("adam"):
            a_ratio = f"never (> {r['budget'] / geo['time']:.3g}x)"
        else:
            a_ratio = "–"
        peer = r.get("pyscnn")
        p_time, p_ratio, p_ok = "–", "–", "–"
        if peer is not None and peer["status"] == "ok":
            p_time, p_ratio = fmt_s(peer["time"]), f"{peer['time'] / geo['time']:.3g}x"
            ok = geo["convex_objective"] <= peer["objective"] * (1 + arr.SAME_RTOL)
            p_ok = "yes" if ok else "NO"
            if peer["violation"] > arr.FEAS_TOL:
                p_ok += f" (pyscnn infeasible, {peer['violation']:.0e})"
        elif peer is not None:
            p_time = peer["status"]
        lines.append(
            f"| {name} | {fmt_s(geo['time'])} | {fmt_s(t_adam) if r.get('adam') else '–'} | "
            f"{a_ratio} | {p_time} | {p_ratio} | {p_ok} |"
        )
    return "\n".join(lines)


def plot(sections, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    for title, rows in sections.items():
        if title == "arrangement":
            for model in MODELS:
                panels.append((f"arrangement {model}", [r for r in rows if r["series"] == model]))
        else:
            panels.append((title, rows))
    panels = [(t, rs) for t, rs in panels if rs]
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    styles = {"geolasso": ("-", "o"), "Adam": ("--", "s"), "pyscnn": (":", "^")}
    for ax, (title, rows) in zip(axes[0], panels, strict=True):
        for i, (key, s) in enumerate(points(rows).items()):
            for solver, (ls, marker) in styles.items():
                pts = sorted(s[solver])
                if pts:
                    ns, ts = zip(*pts, strict=True)
                    ax.plot(
                        ns,
                        ts,
                        ls=ls,
                        marker=marker,
                        color=f"C{i % 10}",
                        lw=1,
                        ms=4,
                        label=f"{solver}: {key}",
                    )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n (samples)")
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=5)
    axes[0][0].set_ylabel("seconds (geolasso fit; Adam: fastest lr to 1 %)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def versions(have_pyscnn):
    import numba
    import sklearn
    import torch

    import geolasso

    scnn = "not installed"
    if have_pyscnn:
        from importlib.metadata import version

        try:
            scnn = version("pyscnn")
        except Exception:  # metadata missing
            scnn = "?"
    return (
        f"Python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
        f"scikit-learn {sklearn.__version__}, torch {torch.__version__}, pyscnn {scnn}, "
        f"geolasso {geolasso.__version__}, {platform.machine()}, {os.cpu_count()} cores"
    )


# ----------------------------------------------------------------- main
def parse_grid(text):
    try:
        n, d, P = (int(v) for v in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"grid entries are n,d,P; got {text!r}") from exc
    return n, d, P


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny end-to-end smoke run")
    parser.add_argument(
        "--sections",
        nargs="+",
        choices=("2d", "3d", "arrangement"),
        default=["2d", "3d", "arrangement"],
    )
    parser.add_argument("--sizes", nargs="+", type=int, help=f"2-D n (default {SIZES})")
    parser.add_argument("--sizes-3d", nargs="+", type=int, help=f"3-D n (default {SIZES_3D})")
    parser.add_argument("--grid", nargs="+", type=parse_grid, help="arrangement rows n,d,P")
    parser.add_argument("--seeds", type=int, help="Adam seeds per lr (default 5)")
    parser.add_argument("--lrs", nargs="+", type=float, help="Adam learning rates")
    parser.add_argument("--fractions", nargs="+", type=float, help="α / α_max (default 0.01 0.001)")
    parser.add_argument(
        "--models", nargs="+", choices=tuple(MODELS), help="arrangement models (default both)"
    )
    parser.add_argument(
        "--budget", type=float, help="seconds per Adam run (default max(10, 3 × geolasso's time))"
    )
    parser.add_argument(
        "--max-budget", type=float, help="cap on each Adam run's seconds (default: none)"
    )
    parser.add_argument("--geolasso-timeout", type=float, default=600.0, help="s per geolasso fit")
    parser.add_argument("--pyscnn-timeout", type=float, default=1800.0, help="s per pyscnn fit")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(json.loads(args.worker))
        return
    if args.lrs:
        LRS[:] = args.lrs
    if args.fractions:
        FRACTIONS[:] = args.fractions
    if args.models:
        for name in [m for m in MODELS if m not in args.models]:
            del MODELS[name]
    if args.quick:
        args.sizes = args.sizes or list(QUICK["sizes"])
        args.sizes_3d = args.sizes_3d or list(QUICK["sizes_3d"])
        args.grid = args.grid or list(QUICK["grid"])
        args.seeds = args.seeds or QUICK["seeds"]
        args.budget = QUICK_BUDGET if args.budget is None else args.budget
    args.sizes = args.sizes or list(SIZES)
    args.sizes_3d = args.sizes_3d or list(SIZES_3D)
    args.grid = args.grid or list(GRID)
    args.seeds = args.seeds or 5
    args.out.mkdir(parents=True, exist_ok=True)
    sys.stdout = arr._Tee(sys.stdout, args.out / "scale.out")

    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    import torch

    torch.set_num_threads(1)
    have_pyscnn = "arrangement" in args.sections and importlib.util.find_spec("scnn") is not None
    header = versions(have_pyscnn)
    budget = "max(10, 3 × geolasso's time)" if args.budget is None else f"{args.budget:g}"
    setup = (
        f"{'QUICK SMOKE RUN (tiny sizes; not the recorded benchmark). ' if args.quick else ''}"
        f"One thread everywhere (BLAS via threadpoolctl and the environment, numba, torch). "
        f"geolasso: each fit in a fresh subprocess after an untimed warm-up fit on a small "
        f"problem; the whole .fit timed, median of {REPEATS} when the first timed fit takes "
        f"< {SLOW:g} s, else that single fit; killed after {args.geolasso_timeout:g} s. Adam: "
        f"full batch, float64, lr {', '.join(f'{lr:g}' for lr in LRS)}, {args.seeds} seeds, "
        f"budget {budget} s per run; 'time to 1 %' = first epoch with J ≤ 1.01 × geolasso's J. "
        f"α = α_max · {', '.join(f'{f:g}' for f in FRACTIONS)}."
    )
    print(header)
    print(setup)
    if "arrangement" in args.sections and not have_pyscnn:
        print(
            "pyscnn not installed: pip install --no-deps pyscnn linalg_backends opt_einsum "
            "(its columns are skipped)"
        )

    parts = []
    if "2d" in args.sections:
        parts.append("wedge")
    if "3d" in args.sections:
        parts.append("wedge 3-D")
    if "arrangement" in args.sections:
        parts += ["C-ReLU", "C-GReLU"]
    print("\n== compile time: first fits in fresh processes sharing a new numba cache ==")
    compiled = compile_times(parts)
    compile_lines = []
    if isinstance(compiled, str):
        compile_lines.append(f"   {compiled}")
    else:
        labels = ["import", *(f"first {p} fit" for p in parts)]
        for cache, values in compiled.items():
            cells = ", ".join(f"{lab} {v:.2f} s" for lab, v in zip(labels, values, strict=True))
            compile_lines.append(f"   {cache} cache: {cells}")
        compile_lines.append(
            "   (tiny problems: spiral n = 100, teacher 80 × 3 (the numbered 3-D dictionary), "
            "teacher 100 × 5 with 20 gates; each fit in its process after the previous ones, "
            "so later fits reuse kernels)"
        )
    print("\n".join(compile_lines), flush=True)

    warm_torch()
    sections, tables = {}, []
    titles = {
        "2d": "2-D exhaustive ℓ1 (wedge)",
        "3d": "3-D exhaustive ℓ1 (wedge)",
        "arrangement": "arrangement, sampled patterns, ℓ2, bias regularized",
    }
    for section in ("2d", "3d", "arrangement"):
        if section not in args.sections:
            continue
        if section == "arrangement":
            rows = arrangement_section(args, have_pyscnn)
            table = arrangement_table(rows, args.seeds, have_pyscnn)
        else:
            rows = wedge_section(args, section)
            table = wedge_table(rows, args.seeds)
        sections[section] = rows
        tables.append((titles[section], table))
        print(f"\n## {titles[section]}\n\n{table}", flush=True)

    all_rows = [r for rows in sections.values() for r in rows]
    slopes = slope_table(all_rows)
    ratios = ratio_lines(all_rows)
    plot(sections, args.out / "scale.png")
    print("\n## Log-log slopes of time against n (least squares over the rows that ran)\n")
    print(slopes)
    print(
        "\n## Ratios, same run (> 1: geolasso faster; Adam: its fastest lr, median over seeds "
        "counting failures as never)\n"
    )
    print(ratios)
    (args.out / "scale.md").write_text(
        "# Scale: geolasso's certified global training against Adam and pyscnn\n\n"
        f"{header}.\n\n{setup}\n\n"
        "Protocol: see the docstring of `benchmarks/bench_scale.py`. Peak RSS: `getrusage` max RSS "
        "of the fit's own process (in brackets: its high-water mark before the timed fits: "
        "imports, data, warm-up).\n\n"
        "## Compile time\n\n"
        + "\n".join(compile_lines)
        + "\n\n"
        + "".join(f"## {title}\n\n{table}\n\n" for title, table in tables)
        + "## Log-log slopes of time against n\n\n"
        + slopes
        + "\n\n"
        + "## Ratios (same run; > 1 means geolasso faster)\n\n"
        + ratios
        + "\n"
    )


if __name__ == "__main__":
    main()
