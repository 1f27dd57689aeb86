"""
Cross products and signed volumes in 3-D
========================================

Left: the bivector ``a ∧ b`` of two vectors of R³ is the oriented
parallelogram they span; its Hodge dual is the cross product ``a × b``,
normal to it and as long as its area. Right: three vectors span a
parallelepiped whose signed volume is ``a ∧ b ∧ c``; with a sample ``x``, the
tetrahedron ``(x, a, b, c)`` has the signed volume a neuron through the tips
of ``a, b, c`` computes on ``x`` (up to the factor −6). The boxes have equal
scale on their three axes, so right angles look right.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import viz

a, b, c = np.array([1.0, 0.2, 0.1]), np.array([0.3, 1.0, 0.0]), np.array([0.1, 0.3, 1.0])
fig = plt.figure(figsize=(12, 5.6), layout="constrained")
ax1 = fig.add_subplot(1, 2, 1, projection="3d")
viz.plot_wedge([a, b], ax=ax1)
ax2 = fig.add_subplot(1, 2, 2, projection="3d")
viz.plot_wedge([a, b, c], x=[0.9, 0.9, 1.1], ax=ax2)
plt.show()
