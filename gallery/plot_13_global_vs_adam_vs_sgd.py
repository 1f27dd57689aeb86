"""
The global optimum against Adam and SGD, over several seeds
===========================================================

The same network (200 ReLU neurons on the spiral, weight decay) trained three
ways: geolasso's convex program, and Adam and SGD with momentum from three
random starts each, full batch, for the number of epochs written in each
title. The last panel follows the objective ``J`` of every run against wall
time, relative to geolasso's value; geolasso's fit is one point (its time and
its objective, with its certified gap). With plain weight decay in 2-D the
convex fit is an upper bound on the optimum, and ``certify`` bounds how far
above it lies; the local methods end above it.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

import geolasso as gl
import viz
from geolasso.datasets import spiral

X, y = spiral()
n, alpha = len(y), 1e-3 / 160
start = time.perf_counter()
convex = gl.ConvexReLU(alpha=alpha, norm="l2").fit(X, y)
convex_time = time.perf_counter() - start
J = convex.objective_
cert = gl.certify(convex, X, y, alpha, norm="l2")
print(f"geolasso: J = {J:.5f} in {convex_time:.2f} s; certified within {cert.relative_gap:.1e}")


def train(solver, seed, epochs, lr):
    """A full-batch run; (times, objectives) after every epoch, and the network."""
    mlp = MLPRegressor(
        hidden_layer_sizes=(200,),
        alpha=n * alpha,  # scikit-learn's penalty α‖W‖²/(2 n): the same J
        solver=solver,
        learning_rate_init=lr,
        momentum=0.9,
        batch_size=n,
        random_state=seed,
    )
    times, values = [], []
    begin = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(epochs):
            mlp.partial_fit(X, y)
            net = gl.ReLUNetwork(
                mlp.coefs_[0].T, mlp.intercepts_[0], mlp.coefs_[1][:, 0], mlp.intercepts_[1][0]
            )
            times.append(time.perf_counter() - begin)
            values.append(net.objective(X, y, alpha, norm="l2"))
    return np.array(times), np.array(values), net


epochs = 1500
runs = {"Adam (lr 0.01)": [], "SGD (lr 0.1, momentum 0.9)": []}
best = {}
for name, solver, lr in (
    ("Adam (lr 0.01)", "adam", 1e-2),
    ("SGD (lr 0.1, momentum 0.9)", "sgd", 0.1),
):
    for seed in range(3):
        t, v, net = train(solver, seed, epochs, lr)
        runs[name].append((t, v))
        if name not in best or v[-1] < best[name][1]:
            best[name] = (net, v[-1])
    finals = [v[-1] / J for _, v in runs[name]]
    print(f"{name}: final J / geolasso's J over 3 seeds: " + ", ".join(f"{r:.2f}" for r in finals))

fig, axes = plt.subplots(2, 2, figsize=(13, 12), layout="constrained")
axes = axes.ravel()
viz.plot_regions(convex, X, y, ax=axes[0], classify=True)
axes[0].set_title(f"geolasso: J = {J:.4f}")
for ax, (name, (net, value)) in zip(axes[1:3], best.items(), strict=True):
    viz.plot_regions(net, X, y, ax=ax, classify=True, legend=False)
    ax.set_title(f"{name.split(' ')[0]}, best of 3 seeds, {epochs} epochs: J = {value:.4f}")
runs["geolasso"] = ([convex_time], [J])
viz.plot_comparison(runs, relative=False, ax=axes[3])
axes[3].set_yscale("log")
axes[3].axhline(J, color="k", lw=1, ls="--", label="geolasso's J (an upper bound)")
axes[3].axhline(cert.lower_bound, color="0.4", lw=1, ls=":", label="certified lower bound on J*")
axes[3].legend()
axes[3].set_title("objective J against time, 3 seeds each")
plt.show()
