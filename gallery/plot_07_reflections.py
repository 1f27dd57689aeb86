"""
Depth adds mirror images
========================

On 1-D data a deep narrow ReLU network is a Lasso over chains of ramps
(``geolasso.deep``). Two layers break at data points; a third layer adds
features that *cap* a ramp between two data points; a fourth adds breakpoints
at **reflections** ``2 x_i − x_j`` of data points about each other. What depth
buys is read off the features and the penalty at the optimum, one depth per
panel (each panel: the fit, its features scaled by their coefficients, and the
optimal objective J, split into its loss and its penalty).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import viz
from geolasso.deep import DeepConvexRegressor
from geolasso.reflection import reflection_dictionary

x = np.array([[0.0], [6], [7], [8], [9], [12], [14]])
y = np.array([0.1, 0.1, 3.0, 2.0, 0.7, 1.3, 2.9])
grid = np.linspace(-1, 15, 400)[:, None]
fig, axes = plt.subplots(1, 3, figsize=(16, 5.4), layout="constrained", sharey=True)
for ax, depth in zip(axes, (2, 3, 4), strict=True):
    model = DeepConvexRegressor(depth=depth, alpha=1e-3).fit(x, y)
    F = model.dictionary_.matrix(grid[:, 0])
    for k, f in enumerate(model.features_):
        j = f["column"]
        label = "features × coef" if k == 0 else None
        ax.plot(grid, model.coef_[j] * F[:, j], lw=1.2, alpha=0.6, label=label)
    ax.plot(grid, model.predict(grid), color="k", lw=2.4, label="the fit f(x)")
    ax.plot(x, y, "o", color="crimson", ms=7, label="data", zorder=3)
    loss = 0.5 * float(np.mean((model.predict(x) - y) ** 2))
    penalty = model.objective_ - loss  # what the depth-L penalty charges for these features
    ax.set_title(
        f"depth {depth}: {len(model.features_)} features, J = {model.objective_:.4f}\n"
        f"= loss {loss:.4f} + penalty {penalty:.4f}"
    )
    ax.set_xlabel("x")
    ax.set_ylim(-1.5, 4.5)  # the fit's range: large features leave the panel
    ax.legend(loc="upper left")
axes[0].set_ylabel("f(x)")
plt.show()

# %%
# The depth-4 fit's features with their breakpoints: reflections are marked by an
# arrow from ``x_j`` over ``x_i`` to ``2 x_i − x_j``.
fig, ax = plt.subplots(figsize=(12, 6), layout="constrained")
viz.plot_reflections(DeepConvexRegressor(depth=4, alpha=1e-3).fit(x, y), ax=ax, max_features=4)
plt.show()

# %%
# In two dimensions a depth-3 feature is the distance to a pair of parallel planes: the
# plane through ``x_j``, its mirror image across the parallel plane through ``x_i``.
rng = np.random.default_rng(2)
R = reflection_dictionary(rng.uniform(-1, 1, (6, 2)))
fig, ax = plt.subplots(figsize=(8, 7), layout="constrained")
viz.plot_reflections(R, columns=[7], ax=ax)
plt.show()
