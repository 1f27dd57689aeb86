"""
The Lasso path, atom by atom
============================

As the penalty decreases, atoms (lines through pairs of samples, or through a
sample and parallel to an axis) enter one by one. The path plot labels each
atom by its generators when it enters; the frames below show the selected
lines at three penalties, ready for slides.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import geolasso as gl
import viz

rng = np.random.default_rng(1)
X = rng.uniform(-1, 1, (16, 2))
y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
D = gl.WedgeDictionary(X)
path = gl.lasso_path(D, y, n_alphas=30, eps=1e-3)
fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
viz.plot_path(path, D, ax=ax)

# %%
# Three frames of the path (``viz.path_frames`` returns one figure per penalty).
fig, axes = plt.subplots(1, 3, figsize=(13, 4.4), layout="constrained")
C = path.coefs.tocsc()
for ax, k in zip(axes, (6, 15, 29), strict=True):
    coef = np.asarray(C[:, k].toarray()).ravel()
    viz.plot_atoms(D, coef=coef, y=y, ax=ax, max_atoms=8)
    used = np.count_nonzero(coef)
    drawn = f"the {min(used, 8)} largest drawn" if used > 8 else "all drawn"
    ax.set_title(f"α = {path.alphas[k]:.2g}: {used} atoms ({drawn})", fontsize=11)
plt.show()
