"""
Inspecting a network trained elsewhere
======================================

``geolasso.explain`` takes any two-layer ReLU network (here scikit-learn's
``MLPRegressor``; torch modules and plain arrays work the same) and matches
each neuron to its nearest wedge atom: the line through training samples that
best agrees with it. Solid: the neurons; dashed: their atoms, coloured by the
angle between them.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

import geolasso as gl
import viz

rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, (60, 2))
y = np.abs(X[:, 0]) - X[:, 1] ** 2
mlp = MLPRegressor(
    hidden_layer_sizes=(8,),
    alpha=1e-3,
    solver="adam",
    learning_rate_init=1e-2,
    max_iter=3000,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    mlp.fit(X, y)
model = (mlp.coefs_[0].T, mlp.intercepts_[0], mlp.coefs_[1][:, 0], mlp.intercepts_[1][0])
explanation = gl.explain(model, X, y, alpha=1e-3 / len(y))
print(explanation.table(max_rows=8))

fig, axes = plt.subplots(1, 2, figsize=(14, 6), layout="constrained")
viz.plot_explanation(explanation, ax=axes[0])
viz.plot_explanation(explanation, color_by="agreement", ax=axes[1], annotate=False)
plt.show()
