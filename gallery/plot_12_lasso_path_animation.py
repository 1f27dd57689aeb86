"""
The Lasso path, animated
========================

As the penalty ``α`` decreases from ``α_max``, atoms enter the Lasso one
after another: each frame shows the atoms in use as the lines of their
hyperplanes through training samples (width by ``|z|`` on one scale for the
whole path, purple solid for ``z > 0``, green dashed for ``z < 0``), the
largest labelled by their generators, and the fitted function behind them on
one colour scale. ``viz.save_animation(animation, "path.gif")`` writes the
GIF (and an MP4 where ffmpeg is installed) for slides.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import geolasso as gl
import viz

rng = np.random.default_rng(1)
X = rng.uniform(-1, 1, (24, 2))
y = np.sign(X[:, 0] * X[:, 1])
D = gl.WedgeDictionary(X)
path = gl.lasso_path(D, y, n_alphas=24, eps=1e-3)
print(f"{len(path.alphas)} penalties from {path.alphas[0]:.3g} to {path.alphas[-1]:.3g}")

fig, ax = plt.subplots(figsize=(9, 7.5), layout="constrained")
animation = viz.animate_path(path, D, y, ax=ax, interval=600)
plt.show()
