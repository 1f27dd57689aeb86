"""A two-layer CNN on scikit-learn's 8x8 digits: geolasso's convex fit against Adam and SGD.

Problem: digits 3 against 8 (labels ±1, squared loss), the first N_TRAIN
images for training and the rest for testing, pixels scaled to [0, 1]; 3x3
filters, ReLU, sum pooling over the 36 patches, a linear output; objective
(docs/mathematics.md §0.1 with weight decay, free biases and intercept)

    J = ‖f(X) − y‖² / (2n) + (α/2) Σ_j (‖w_j‖₂² + v_j²),   α = ALPHA.

* geolasso: ``ConvexCNNClassifier(norm="l2", max_atoms=ATOMS)``, the Lasso
  over a seeded sample of the wedge-patch dictionary (an upper bound on the
  optimum: with weight decay and sampled atoms it is not certified). Median
  of REPEATS fits after a warm-up.
* torch: the same architecture with M_FILTERS filters and the same
  objective, full-batch Adam and SGD, three step sizes each, SEEDS seeds,
  BUDGET seconds per run, one thread. Reported: the final objective, the
  time to come within 1 % of geolasso's objective (if ever), the fraction of
  runs that do, and test accuracy.

The ten-class problem (all digits, the first N_TRAIN_10 images) is one-vs-rest:
geolasso fits ten ``ConvexCNNClassifier`` models (the objective is the sum of
the ten objectives); torch trains the same ten networks at once as one model
whose filters are split into ten blocks, each feeding only its own output (so
its objective is exactly that sum), with the same seeds, the best step of
each optimizer on the two-class problem, and a time
budget of three times geolasso's (ten networks are ten times the work).
Accuracy is the arg-max over the ten outputs.

Also printed: activation-pattern counts of stacked patch matrices of real
data (rows of digit images as 1-D signals, filters of length 2), enumerated
exactly, against the bound of docs/mathematics.md §6.

``--arrangement`` runs only the weight-decay arrangement program instead
(docs/mathematics.md §6: ``ConvexCNNClassifier(method="arrangement")``, certified over its
patterns) on the first N_ARR training images with ARR_GATES seeded Gaussian
gates of the stacked patches, started from the dictionary fit (whose
filters' patterns join them), once, beside the dictionary fit alone and
Adam and SGD (the steps of the ten-class problem, SEEDS seeds, as long as
the arrangement fit took and at least BUDGET seconds) against the better of
the two.

Run: ``python benchmarks/bench_cnn.py`` (``--quick``: one seed, 3 s runs).
The recorded runs are ``benchmarks/results/cnn.out`` and
``benchmarks/results/cnn_arrangement.out``.
"""

from __future__ import annotations

import _harness

# isort: split
import argparse
import platform
import time

import numpy as np
from sklearn.datasets import load_digits

import geolasso as gl
from geolasso.cnn import ConvexCNNClassifier

N_TRAIN = 120
N_TRAIN_10 = 300
ALPHA = 1e-3
ATOMS = 20_000
M_FILTERS = 100
SEEDS = 5
BUDGET = 10.0
REPEATS = 5
STEPS = {"Adam": (1e-3, 3e-3, 1e-2), "SGD": (1e-4, 3e-4, 1e-3)}
STEPS_10 = {"Adam": (3e-3,), "SGD": (3e-4,)}
N_ARR = 40
ARR_GATES = 200


def data():
    d = load_digits()
    keep = np.isin(d.target, [3, 8])
    X, t = d.images[keep] / 16.0, d.target[keep]
    y = np.where(t == 8, 1.0, -1.0)
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


def torch_runs(X, Y, Xt, yt, target, seeds, budget, steps=None):
    """Full-batch Adam and SGD runs; ``Y`` is (n,) or (n, q) (q independent networks)."""
    import torch

    torch.set_num_threads(1)
    xt = torch.as_tensor(X[:, None])
    Yt = torch.as_tensor(Y.reshape(len(Y), -1))
    n, q = Yt.shape
    rows = []
    for name, lrs in (steps or STEPS).items():
        for lr in lrs:
            for seed in range(seeds):
                torch.manual_seed(seed)
                conv = torch.nn.Conv2d(1, q * M_FILTERS, 3, dtype=torch.float64)
                v = torch.nn.Parameter(0.1 * torch.randn(q, M_FILTERS, dtype=torch.float64))
                c = torch.nn.Parameter(torch.zeros(q, dtype=torch.float64))
                params = [*conv.parameters(), v, c]
                opt = (torch.optim.Adam if name == "Adam" else torch.optim.SGD)(params, lr=lr)

                def forward(x, conv=conv, v=v, c=c):
                    h = torch.relu(conv(x)).flatten(2).sum(-1).reshape(len(x), q, M_FILTERS)
                    return torch.einsum("nqm,qm->nq", h, v) + c

                def objective(forward=forward, conv=conv, v=v):
                    r = forward(xt) - Yt
                    pen = (conv.weight**2).sum() + (v**2).sum()
                    return (r**2).sum() / (2 * n) + ALPHA / 2 * pen

                start, reached = time.perf_counter(), None
                while time.perf_counter() - start < budget:
                    opt.zero_grad()
                    loss = objective()
                    loss.backward()
                    opt.step()
                    if reached is None and float(loss.detach()) <= target * 1.01:
                        reached = time.perf_counter() - start
                with torch.no_grad():
                    final = float(objective())
                    out = forward(torch.as_tensor(Xt[:, None])).numpy()
                pred = np.sign(out[:, 0]) if q == 1 else np.argmax(out, axis=1)
                acc = float(np.mean(pred == yt))
                rows.append((name, lr, seed, final if np.isfinite(final) else np.inf, reached, acc))
    return rows


def report(rows, med, budget, steps=None):
    print(
        "\n| optimizer | step | runs within 1 % | median final J | best final J | "
        "fastest time to 1 % | median test accuracy |"
    )
    print("|---|---|---|---|---|---|---|")
    fastest = None
    for name, lrs in (steps or STEPS).items():
        for lr in lrs:
            sel = [r for r in rows if r[0] == name and r[1] == lr]
            times = [r[4] for r in sel if r[4] is not None]
            finals = [r[3] for r in sel]
            best_t = min(times) if times else None
            if best_t is not None and (fastest is None or best_t < fastest[0]):
                fastest = (best_t, name, lr)
            print(
                f"| {name} | {lr:g} | {len(times)}/{len(sel)} | {np.median(finals):.6g} | "
                f"{min(finals):.6g} | {'-' if best_t is None else f'{best_t:.2f} s'} | "
                f"{np.median([r[5] for r in sel]):.3f} |"
            )
    if fastest is None:
        print(
            f"ratio: no local-search run came within 1 % of geolasso's objective in {budget:g} s "
            f"(geolasso: {med:.3f} s)"
        )
    else:
        print(
            f"ratio: time to within 1 %, fastest local search ({fastest[1]}, step "
            f"{fastest[2]:g}) {fastest[0]:.2f} s / geolasso {med:.3f} s = {fastest[0] / med:.3g}x"
        )


def pattern_counts():
    from geolasso.arrangements import enumerate_patterns
    from geolasso.cnn import patch_pattern_bound, patches

    rows = load_digits().images.reshape(-1, 8) / 16.0  # pixel rows as signals
    print("\n== activation patterns of stacked patch matrices (digit rows, filters of length 2) ==")
    print(
        "| signals | stacked rows | rank (with bias) | patterns (enumerated) "
        "| bound of docs/mathematics.md §6 |"
    )
    print("|---|---|---|---|---|")
    for count in (10, 20, 40):
        P = patches(rows[:count], 2).reshape(-1, 2)
        r = int(np.linalg.matrix_rank(np.column_stack([P, np.ones(len(P))])))
        found = enumerate_patterns(P, bias="free").n_patterns
        print(f"| {count} | {len(P)} | {r} | {found:,} | {patch_pattern_bound(len(P), r):,} |")


def arrangement(seeds, budget):
    """The weight-decay arrangement program on N_ARR images, once, beside the dictionary."""
    X, y, Xt, yt = data()
    X, y = X[:N_ARR], y[:N_ARR]
    print(
        f"digits 3 vs 8: the first {N_ARR} training images, {len(yt)} test images, 3x3 filters, "
        f"sum pooling, free biases, alpha = {ALPHA:g}"
    )
    start = time.perf_counter()
    arr = ConvexCNNClassifier(
        kernel_size=3,
        alpha=ALPHA,
        norm="l2",
        method="arrangement",
        patterns=ARR_GATES,
        max_atoms=ATOMS,  # the start: the same dictionary fit as below
        random_state=0,
        tol=1e-6,
    ).fit(X, y)
    t_arr = time.perf_counter() - start
    J_arr = arr.network_.objective(X, y, ALPHA, norm="l2")
    print(
        f"arrangement program: {arr.patterns_.n_patterns} patterns of the "
        f"{N_ARR * arr.n_patches_} stacked patches (from {ARR_GATES} Gaussian gates), objective "
        f"{J_arr:.6g}, certified gap over these patterns {arr.optimality_gap_:.2e} "
        f"(relative {arr.lasso_gap_:.1e}), {len(arr.filters_)} filters, {t_arr:.1f} s "
        f"(one run), test accuracy {arr.score(Xt, yt):.3f}"
    )
    start = time.perf_counter()
    dic = ConvexCNNClassifier(
        kernel_size=3, alpha=ALPHA, norm="l2", max_atoms=ATOMS, random_state=0
    ).fit(X, y)
    t_dic = time.perf_counter() - start
    J_dic = dic.network_.objective(X, y, ALPHA, norm="l2")
    print(
        f"wedge-patch dictionary ({ATOMS:,} sampled atoms): objective {J_dic:.6g}, "
        f"{len(dic.filters_)} filters, {t_dic:.2f} s (one run), test accuracy "
        f"{dic.score(Xt, yt):.3f}"
    )
    best, t_best = (J_arr, t_arr) if J_arr <= J_dic else (J_dic, t_dic)
    budget = max(budget, t_best)
    print(f"target of local search: the better objective, {best:.6g}, in {budget:.1f} s per run")
    rows = torch_runs(X, y, Xt, yt, best, seeds, budget, steps=STEPS_10)
    report(rows, t_best, budget, steps=STEPS_10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, 3 s runs")
    parser.add_argument(
        "--arrangement", action="store_true", help="only the arrangement program (minutes)"
    )
    args = parser.parse_args()
    seeds, budget = (1, 3.0) if args.quick else (SEEDS, BUDGET)
    print(f"geolasso {gl.__version__}, numpy {np.__version__}, Python {platform.python_version()}")
    if args.arrangement:
        arrangement(seeds, budget)
        return
    X, y, Xt, yt = data()
    print(f"digits 3 vs 8: {len(y)} training and {len(yt)} test images, 3x3 filters, sum pooling")

    def fit():
        return ConvexCNNClassifier(
            kernel_size=3, alpha=ALPHA, norm="l2", max_atoms=ATOMS, random_state=0
        ).fit(X, y)

    first = time.perf_counter()
    fit()
    first = time.perf_counter() - first
    med, mn, model = _harness.timed(fit, repeats=REPEATS)
    J = model.network_.objective(X, y, ALPHA, norm="l2")
    acc = model.score(Xt, yt)
    print(
        f"geolasso: objective {J:.6g} (Lasso {model.objective_:.6g}), {len(model.filters_)} "
        f"filters, median {med:.3f} s (min {mn:.3f}, first call {first:.2f} s), test accuracy "
        f"{acc:.3f}"
    )
    rows = torch_runs(X, y, Xt, yt, J, seeds, budget)
    report(rows, med, budget)

    d = load_digits()
    X10, t10 = d.images[:N_TRAIN_10] / 16.0, d.target[:N_TRAIN_10]
    Xt10, tt10 = d.images[N_TRAIN_10:] / 16.0, d.target[N_TRAIN_10:]
    print(f"\n== ten classes, one-vs-rest: {len(t10)} training and {len(tt10)} test images ==")
    Y10 = np.where(t10[:, None] == np.arange(10)[None, :], 1.0, -1.0)

    def fit10():
        return [
            ConvexCNNClassifier(
                kernel_size=3, alpha=ALPHA, norm="l2", max_atoms=ATOMS, random_state=0
            ).fit(X10, Y10[:, k])
            for k in range(10)
        ]

    med10, mn10, models = _harness.timed(fit10, repeats=REPEATS)
    J10 = sum(m.network_.objective(X10, Y10[:, k], ALPHA, norm="l2") for k, m in enumerate(models))
    scores = np.column_stack([m.decision_function(Xt10) for m in models])
    acc10 = float(np.mean(np.argmax(scores, axis=1) == tt10))
    print(
        f"geolasso: summed objective {J10:.6g}, {sum(len(m.filters_) for m in models)} filters, "
        f"median {med10:.3f} s (min {mn10:.3f}), test accuracy {acc10:.3f}"
    )
    # the ten networks together are ten times the work: local search gets at least three
    # times geolasso's time, with the best step of each optimizer on the two-class problem
    budget10 = max(budget, 3.0 * med10)
    rows10 = torch_runs(X10, Y10, Xt10, tt10, J10, seeds, budget10, steps=STEPS_10)
    report(rows10, med10, budget10, steps=STEPS_10)
    pattern_counts()


if __name__ == "__main__":
    main()
