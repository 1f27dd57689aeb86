"""
The generalized cross product in 3-D
====================================

Three vectors span a parallelepiped whose signed volume is ``a ∧ b ∧ c``. The
cross product ``a × b`` (the Hodge dual of ``a ∧ b``) is normal to the plane of
``a`` and ``b``, its length is the parallelogram's area, and
``⟨x, a × b⟩ = det[x; a; b]`` for every ``x``.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import geolasso as gl
import viz

a, b, c = np.array([1.0, 0.2, 0.1]), np.array([0.3, 1.0, 0.0]), np.array([0.1, 0.3, 1.0])
fig = plt.figure(figsize=(10, 4.8), layout="constrained")
ax1 = fig.add_subplot(1, 2, 1, projection="3d")
viz.plot_wedge([a, b, c], ax=ax1)
ax2 = fig.add_subplot(1, 2, 2, projection="3d")
viz.plot_wedge([a, b, c], x=[0.9, 0.9, 1.1], ax=ax2)
n = gl.cross([a, b])
ax1.quiver(0, 0, 0, *n, color="crimson", arrow_length_ratio=0.1)
ax1.text(*n, f" a × b = ({n[0]:.2f}, {n[1]:.2f}, {n[2]:.2f})", color="crimson", fontsize=8)
plt.show()
