"""
Neurons of a 3-D data set as planes
===================================

With three features, each neuron of the globally optimal network is a plane
through three training samples (or through fewer, parallel to coordinate
axes). The strongest ones are drawn as patches, their generator samples
highlighted.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import geolasso as gl
import viz

rng = np.random.default_rng(4)
X = rng.uniform(-1, 1, (25, 3))
y = np.maximum(X @ [1.0, -1.0, 0.5], 0) - 0.5 * np.abs(X[:, 2])
model = gl.ConvexReLU(alpha=2e-2).fit(X, y)
fig = plt.figure(figsize=(7, 6), layout="constrained")
ax = fig.add_subplot(projection="3d")
viz.plot_neurons(model, X, y, ax=ax, max_neurons=3)
ax.set_title(f"the 3 strongest of {model.n_neurons_} neurons (certified global optimum)")
plt.show()
