"""Global convex training (geolasso) against local search (torch SGD/Adam) on one objective.

The objective is the network objective of docs/mathematics.md §0.1,
``J = (1/(2n))‖f(X) - y‖² + (α/2) Σ_j (‖w_j‖_p² + v_j²)`` with free biases and
a free intercept, in two modes:

* exact mode, ``p = 1``: geolasso's ``ConvexReLU(norm="l1")`` reaches the
  global optimum ``P*`` and certifies it (duality gap over the exhaustive
  wedge dictionary);
* weight-decay mode, ``p = 2``: two geolasso fits. The wedge fit is an
  *upper bound* ``P_wedge`` on the optimum (its certificate, exact for 2-D
  data, bounds how far); the arrangement program (``method="arrangement"``,
  docs/mathematics.md §2.2) is the exact optimum when every activation pattern is
  enumerated (``exact_``; otherwise an upper bound over sampled patterns).
  Local search is compared with the better of the two. A geolasso fit whose
  first run takes over ``SLOW`` seconds is timed by that run alone.

Local search: full-batch Adam and SGD in torch (float64, one thread), three
step sizes each, five seeds, width ``max(300, 2 × convex width)``, each run
stopped at ``--budget`` seconds or ``--epochs`` epochs. For every run the
objective is recorded at every epoch (it is the training loss itself), so the
time to first come within 1 % and 0.1 % of the reference is read off exactly.

geolasso's time is the full fit (dictionary, Lasso, network recovery and the
certificate), median of 5 after one warm-up fit; the first fit (JIT compile
included) is reported separately. Everything runs on one core: BLAS, torch and
numba threads are all pinned to 1.

Data: the 2-D spiral (docs/mathematics.md §8.2, n = 160) and three data sets bundled with
scikit-learn, standardized and reduced by PCA so the exhaustive dictionary
fits (d = 2 or 3; said in the table). ``α = α_max / 100`` of each exact
dictionary, as in ANCHORS.md.

Run: ``python benchmarks/bench_convex_vs_sgd.py`` (about 45 minutes; ``--quick``
for a smoke run; ``--norm l2`` for the weight-decay rows only, ``--tag`` to
name the result files). Writes ``benchmarks/results/convex_vs_sgd{tag}.md``
and ``.png``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from pathlib import Path

import _harness  # first, before numpy: pins BLAS to one thread
import numpy as np

# numba's threads too (geolasso imports numba only when it first computes)
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

RESULTS = Path(__file__).resolve().parent / "results"


def datasets():
    """(name, X, y, note) for every benchmark data set."""
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    from geolasso.datasets import spiral

    def reduce(X, k):
        return PCA(n_components=k, random_state=0).fit_transform(StandardScaler().fit_transform(X))

    out = []
    X, y = spiral()
    out.append(("spiral", X, y, "n = 160, d = 2, labels ±1"))
    iris = load_iris()
    keep = iris.target > 0  # versicolor vs virginica: the two classes that overlap
    X = reduce(iris.data[keep], 3)
    y = np.where(iris.target[keep] == 2, 1.0, -1.0)
    out.append(("iris", X, y, "versicolor vs virginica, n = 100, 4 → 3 PCA dims, labels ±1"))
    cancer = load_breast_cancer()
    X = reduce(cancer.data, 2)
    y = np.where(cancer.target == 1, 1.0, -1.0)
    out.append(("breast_cancer", X, y, "n = 569, 30 → 2 PCA dims, labels ±1"))
    diab = load_diabetes()
    X = reduce(diab.data, 2)
    y = (diab.target - diab.target.mean()) / diab.target.std()
    out.append(("diabetes", X, y, "regression, n = 442, 10 → 2 PCA dims, y standardized"))
    return out


SLOW = 30.0  # seconds: a first fit slower than this is the only timed fit


def geolasso_fit(X, y, alpha, norm, repeats, method="wedge"):
    """(first-fit seconds, median seconds, min seconds, fitted model, timed fits)."""
    from geolasso.convex import ConvexReLU

    def fit():
        if method == "arrangement":
            # seeded: where the patterns cannot all be enumerated, the sampled gates
            return ConvexReLU(
                alpha=alpha, norm=norm, method="arrangement", tol=1e-8, random_state=0
            ).fit(X, y)
        return ConvexReLU(alpha=alpha, norm=norm, tol=1e-8, max_atoms=None).fit(X, y)

    start = time.perf_counter()
    model = fit()  # the first fit pays the JIT compile (or the cache load)
    first = time.perf_counter() - start
    if first > SLOW:
        return first, first, first, model, 1
    median, best, model = _harness.timed(fit, repeats)
    return first, median, best, model, repeats


def local_search(X, y, alpha, norm, optimizer, lr, seed, width, budget, epochs):
    """One full-batch torch run; returns (times, objectives) per epoch."""
    import torch

    torch.manual_seed(seed)
    Xt = torch.as_tensor(X)
    yt = torch.as_tensor(y)
    n, d = X.shape
    hidden = torch.nn.Linear(d, width, dtype=torch.float64)
    out = torch.nn.Linear(width, 1, dtype=torch.float64)
    params = list(hidden.parameters()) + list(out.parameters())
    opt = (torch.optim.Adam if optimizer == "Adam" else torch.optim.SGD)(params, lr=lr)
    p = 1 if norm == "l1" else 2
    times, values = [], []
    start = time.perf_counter()
    for _ in range(epochs):
        opt.zero_grad()
        pred = out(torch.relu(hidden(Xt)))[:, 0]
        w_norm = hidden.weight.abs().sum(1) if p == 1 else hidden.weight.pow(2).sum(1).sqrt()
        loss = ((pred - yt) ** 2).sum() / (2 * n) + alpha / 2 * (
            (w_norm**2).sum() + (out.weight**2).sum()
        )
        value = float(loss.detach())
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        values.append(value if np.isfinite(value) else np.inf)
        if not np.isfinite(value) or elapsed > budget:
            break
        loss.backward()
        opt.step()
    return np.array(times), np.array(values)


def first_within(times, values, target):
    hit = np.flatnonzero(values <= target)
    return float(times[hit[0]]) if hit.size else np.inf


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=5.0, help="seconds per local run")
    parser.add_argument("--epochs", type=int, default=50_000, help="epochs per local run")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5, help="geolasso timing repeats")
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny budget")
    parser.add_argument(
        "--norm", choices=("l1", "l2", "both"), default="both", help="run only these modes"
    )
    parser.add_argument("--tag", default="", help="suffix of the result files")
    parser.add_argument(
        "--problems", nargs="+", help="run only these (spiral iris breast_cancer diabetes)"
    )
    args = parser.parse_args()
    if args.quick:
        args.budget, args.seeds, args.repeats = 0.3, 1, 1

    import torch

    torch.set_num_threads(1)
    from geolasso.dictionary import WedgeDictionary, alpha_max

    grid = {"Adam": (1e-1, 1e-2, 1e-3), "SGD": (1.0, 1e-1, 1e-2)}
    # warm up torch (first-call allocations, autograd) as geolasso is warmed up
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for optimizer in grid:
            local_search(np.ones((4, 2)), np.ones(4), 0.1, "l1", optimizer, 0.1, 0, 8, 1.0, 20)
    rows, ratios, curves = [], [], {}
    for name, X, y, note in datasets():
        if args.problems and name not in args.problems:
            continue
        alpha = alpha_max(WedgeDictionary(X), y) / 100
        for norm in ("l1", "l2"):
            if args.norm != "both" and norm != args.norm:
                continue
            label = f"{name} ({norm})"
            # ℓ1: the wedge Lasso is exact. ℓ2 (weight decay): the wedge fit is an upper
            # bound, the arrangement program (docs/mathematics.md §2.2) the exact optimum when every
            # activation pattern is enumerated; the reference is the best of the two
            methods = ("wedge",) if norm == "l1" else ("wedge", "arrangement")
            fits = {}
            for method in methods:
                first, med, _, model, timed = geolasso_fit(X, y, alpha, norm, args.repeats, method)
                fits[method] = (first, med, model, timed)
                cert = model.certificate_
                print(
                    f"{label} [{method}]: {note}; alpha = {alpha:.4g}; geolasso objective "
                    f"{model.objective_:.10g}, {model.n_neurons_} neurons, exact {model.exact_}, "
                    f"certified gap {cert.gap:.1e} "
                    f"({'exact' if cert.exact else 'relaxed bound'}), fit {med:.3f} s "
                    f"({'median of ' + str(timed) if timed > 1 else 'single fit'}; "
                    f"first fit {first:.2f} s)",
                    flush=True,
                )
                kind = "exact" if model.exact_ else "upper bound"
                rows.append(
                    (
                        label,
                        f"geolasso {method} ({kind})",
                        "-",
                        f"{model.objective_:.6g}",
                        f"certified gap {cert.relative_gap:.1e}"
                        if cert.exact
                        else f"bound gap {cert.relative_gap:.1e}",
                        f"{med:.3f}",
                        f"{med:.3f}",
                        f"{timed}/{timed}",
                        f"{timed}/{timed}",
                    )
                )
            method = min(fits, key=lambda k: fits[k][2].objective_)
            _, med, model, _ = fits[method]
            ref = model.objective_
            width = max(300, 2 * model.n_neurons_)
            fastest = best_config = np.inf
            for optimizer, lrs in grid.items():
                for lr in lrs:
                    finals, t1, t01 = [], [], []
                    for seed in range(args.seeds):
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            times, values = local_search(
                                X,
                                y,
                                alpha,
                                norm,
                                optimizer,
                                lr,
                                seed,
                                width,
                                args.budget,
                                args.epochs,
                            )
                        finals.append(values.min())
                        t1.append(first_within(times, values, ref * 1.01))
                        t01.append(first_within(times, values, ref * 1.001))
                        if seed == 0:
                            curves.setdefault(label, []).append(
                                (f"{optimizer} {lr:g}", times, values / ref)
                            )
                    ok1 = [t for t in t1 if np.isfinite(t)]
                    ok01 = [t for t in t01 if np.isfinite(t)]
                    fastest = min([fastest, *ok1])
                    # a configuration's time: median over all seeds, failures counted as never
                    best_config = min(best_config, float(np.median(t1)))
                    rel = np.median(finals) / ref - 1
                    rows.append(
                        (
                            label,
                            optimizer,
                            f"{lr:g}",
                            f"{np.median(finals):.6g}",
                            f"{rel:+.2%}",
                            f"{statistics.median(ok1):.3f}" if ok1 else "never",
                            f"{statistics.median(ok01):.3f}" if ok01 else "never",
                            f"{len(ok1)}/{args.seeds}",
                            f"{len(ok01)}/{args.seeds}",
                        )
                    )
                    print(
                        f"  {optimizer} lr {lr:g}: best J median {np.median(finals):.8g} "
                        f"({rel:+.3%}), within 1 %: {len(ok1)}/{args.seeds}, "
                        f"within 0.1 %: {len(ok01)}/{args.seeds}",
                        flush=True,
                    )
            ratios.append((f"{label} [{method}]", med, best_config, fastest))

    RESULTS.mkdir(exist_ok=True)
    header = (
        "| problem | method | step | best J (median over seeds) | vs geolasso | "
        "s to 1 % (median of successes) | s to 0.1 % | runs within 1 % | runs within 0.1 % |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
    )
    table = header + "\n".join("| " + " | ".join(r) + " |" for r in rows) + "\n"
    (RESULTS / f"convex_vs_sgd{args.tag}.md").write_text(
        f"Local runs: {args.seeds} seeds, budget {args.budget:g} s or {args.epochs} epochs, "
        "float64, one thread; geolasso: median of "
        f"{args.repeats} fits after a warm-up.\n\n" + table
    )
    _plot(curves, RESULTS / f"convex_vs_sgd{args.tag}.png")
    print()
    print(table)
    print(
        "geolasso time to its optimum (certified in exact mode) against local search's time to "
        "within 1 % of it: the fastest configuration (median over seeds, failures as never) and "
        "the single fastest run"
    )
    for label, med, config, fastest in ratios:
        print(
            f"  {label}: geolasso {med:.3f} s; fastest configuration {config:.3f} s "
            f"(ratio {config / med:.1f}x); fastest run {fastest:.3f} s (ratio {fastest / med:.1f}x)"
        )


def _plot(curves, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves), figsize=(4 * len(curves), 3.4), squeeze=False)
    for ax, (label, runs) in zip(axes[0], curves.items(), strict=True):
        for name, times, rel in runs:
            ok = np.isfinite(rel)  # diverged runs stop at their first non-finite value
            ax.plot(times[ok], np.clip(rel[ok] - 1, 1e-6, 1e3), label=name, lw=1)
        ax.axhline(0.01, color="k", ls=":", lw=0.8)
        ax.set_yscale("log")
        ax.set_xlabel("seconds")
        ax.set_title(label, fontsize=9)
    axes[0][0].set_ylabel("J / J_geolasso − 1")
    axes[0][-1].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
