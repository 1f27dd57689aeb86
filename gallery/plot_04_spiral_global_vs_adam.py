"""
The spiral: the global optimum against Adam
===========================================

The same objective, ``‖f(X) − y‖² / (2n) + (α/2) Σ (‖w_j‖² + v_j²)`` (weight
decay), fitted by geolasso's convex route (a wedge Lasso: an upper bound on
the optimum that the 2-D certificate places within a small gap) and by
scikit-learn's ``MLPRegressor`` with Adam (its ``alpha`` is ``n α``). The
regions are the sign of the fitted function; white lines are the neurons.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

import geolasso as gl
import viz
from geolasso.datasets import spiral

X, y = spiral()
n, alpha = len(y), 1e-3 / 160
convex = gl.ConvexReLU(alpha=alpha, norm="l2").fit(X, y)
mlp = MLPRegressor(
    hidden_layer_sizes=(200,),
    alpha=n * alpha,
    solver="adam",
    learning_rate_init=1e-2,
    max_iter=1500,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    mlp.fit(X, y)
net = gl.ReLUNetwork(
    mlp.coefs_[0].T, mlp.intercepts_[0], mlp.coefs_[1][:, 0], mlp.intercepts_[1][0]
)
j_adam = net.objective(X, y, alpha, norm="l2")

fig, axes = plt.subplots(1, 2, figsize=(13, 6), layout="constrained")
viz.plot_regions(convex, X, y, ax=axes[0], classify=True)
axes[0].set_title(f"geolasso: J = {convex.objective_:.4f}, {convex.n_neurons_} neurons")
viz.plot_regions(net, X, y, ax=axes[1], classify=True)
# the epochs Adam really ran (it stops early once its loss stalls), not max_iter
axes[1].set_title(f"Adam ({mlp.n_iter_:,} epochs): J = {j_adam:.4f}, 200 neurons")
plt.show()
