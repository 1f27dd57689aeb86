"""
Depth adds mirror images
========================

On 1-D data a deep narrow ReLU network is a Lasso over chains of ramps. Two
layers break at data points, three cap ramps between two data points, and
four break at reflections ``2 x_i − x_j`` of data points about each other
(arrows: from ``x_j`` over ``x_i``). Below, the features the fitted depth-4
network selects, and in 2-D a hyperplane through a sample with its mirror
image across a parallel hyperplane through another sample.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import viz
from geolasso.deep import DeepConvexRegressor
from geolasso.reflection import reflection_dictionary

x = np.array([[0.0], [6], [7], [8], [9], [12], [14]])
y = np.array([0.1, 0.1, 3.0, 2.0, 0.7, 1.3, 2.9])
fig, axes = plt.subplots(1, 3, figsize=(14, 4.6), layout="constrained")
grid = np.linspace(-1, 15, 400)[:, None]
for depth in (2, 3, 4):
    model = DeepConvexRegressor(depth=depth, alpha=1e-3).fit(x, y)
    axes[0].plot(grid, model.predict(grid), label=f"depth {depth}: J = {model.objective_:.4f}")
axes[0].plot(x, y, "ko")
axes[0].legend(fontsize=8)
axes[0].set_title("fits at depths 2, 3, 4")
viz.plot_reflections(DeepConvexRegressor(depth=4, alpha=1e-3).fit(x, y), ax=axes[1], max_features=4)
rng = np.random.default_rng(2)
R = reflection_dictionary(rng.uniform(-1, 1, (6, 2)))
viz.plot_reflections(R, columns=[7], ax=axes[2])
plt.show()
