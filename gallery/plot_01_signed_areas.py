"""
Signed areas: the feature of a neuron through two samples
=========================================================

A neuron whose line passes through two samples ``a`` and ``b`` computes, on a
sample ``x``, the determinant ``det[x̃; ã; b̃]`` of the augmented points: twice
the signed area of the triangle ``(x, a, b)``. The wedge ``a ∧ b`` is the
signed area of the parallelogram they span. Orientation decides the colour.
"""

# %%
import matplotlib.pyplot as plt

import viz

fig, axes = plt.subplots(1, 2, figsize=(12, 5.4), layout="constrained")
viz.plot_wedge([[3.0, 1.0], [1.0, 2.0]], x=[2.5, 3.0], ax=axes[0])
viz.plot_wedge([[1.0, 2.0], [3.0, 1.0]], x=[0.5, -0.5], ax=axes[1])
axes[0].set_xlabel("counter-clockwise a, b: positive area")
axes[1].set_xlabel("swapped: the orientation, and the sign, flip")
plt.show()
