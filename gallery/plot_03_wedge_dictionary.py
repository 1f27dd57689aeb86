"""
A wedge dictionary in 2-D
=========================

Every pair of samples spans a line; with a bias, each line gives two atoms,
one per active side. The Lasso over these atoms picks a few lines: here the
atoms of the exact dictionary selected at ``α_max / 50`` on twelve points.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import geolasso as gl
import viz
from geolasso.lasso import lasso

rng = np.random.default_rng(3)
X = rng.uniform(-1, 1, (12, 2))
y = np.sign(X[:, 0] * X[:, 1])
D = gl.WedgeDictionary(X)
res = lasso(D, y, gl.alpha_max(D, y) / 50, tol=1e-10)
fig, axes = plt.subplots(1, 2, figsize=(12, 5.6), layout="constrained")
viz.plot_atoms(D, columns=np.arange(0, len(D), 11), y=y, ax=axes[0], labels=False)
axes[0].set_title(f"{len(D)} atoms (every 11th drawn)")
viz.plot_atoms(D, coef=res.coef, y=y, ax=axes[1])
axes[1].set_title(f"{np.count_nonzero(res.coef)} atoms selected by the Lasso")
plt.show()
