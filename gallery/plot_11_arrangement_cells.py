"""
The hyperplane arrangement: cells and the piecewise-linear function
===================================================================

The neurons of a trained network cut the plane into **cells**: in each cell
the same neurons are active (the same *activation pattern*), and the network
is one affine function there. Left: the cells of a globally optimal network's
arrangement, one colour per activation pattern, with the neurons' lines.
Right: the fitted function as a surface — flat pieces meeting along those
lines. The arrangement's cells on the training samples are what
``geolasso.enumerate_patterns`` lists: the convex program of
``method="arrangement"`` has one group of variables per pattern.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

import geolasso as gl
from viz import style

rng = np.random.default_rng(4)
X = rng.uniform(-1, 1, (14, 2))
y = np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1])
model = gl.ConvexReLU(alpha=1e-3).fit(X, y)
net = model.network_
print(f"{net.W.shape[0]} neurons, exact: {model.exact_}, certified gap {model.optimality_gap_:.1e}")

lo, hi = np.array([-1.2, -1.2]), np.array([1.2, 1.2])
gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 400), np.linspace(lo[1], hi[1], 400))
P = np.column_stack([gx.ravel(), gy.ravel()])
active = (P @ net.W.T + net.b) > 0  # the activation pattern of every grid point
_, cell = np.unique(active, axis=0, return_inverse=True)
n_cells = int(cell.max()) + 1
patterns = gl.enumerate_patterns(X)
print(
    f"{n_cells} cells in the picture; the arrangement of all hyperplanes through the samples "
    f"has {len(patterns.patterns)} activation patterns on them"
)

fig = plt.figure(figsize=(16, 7), layout="constrained")
ax = fig.add_subplot(1, 2, 1)
shuffle = np.random.default_rng(0).permutation(n_cells)  # neighbouring cells, distinct colours
ax.pcolormesh(gx, gy, shuffle[cell].reshape(gx.shape), cmap="tab20", shading="auto", alpha=0.8)
for w, b in zip(net.W, net.b, strict=True):
    ax.axline(
        (0, -b / w[1]) if abs(w[1]) > 1e-12 else (-b / w[0], 0),
        slope=-w[0] / w[1] if abs(w[1]) > 1e-12 else np.inf,
        color="k",
        lw=1.4,
    )
ax.scatter(*X.T, c=style.class_colors(y - y.mean()), edgecolor="k", s=50, zorder=3)
ax.set_xlim(lo[0], hi[0])
ax.set_ylim(lo[1], hi[1])
ax.set_aspect("equal")
style.label_axes(ax)
ax.set_title(f"{net.W.shape[0]} neurons cut the plane into {n_cells} cells")
ax.legend(
    handles=[
        Patch(facecolor="0.8", edgecolor="0.4", label="a cell: one activation pattern"),
        Line2D([], [], color="k", lw=1.4, label="a neuron's line"),
        Line2D([], [], ls="", marker="o", color="0.5", mec="k", label="training samples"),
    ],
    loc="upper left",
    framealpha=0.9,
)

ax3 = fig.add_subplot(1, 2, 2, projection="3d")
F = net.predict(P).reshape(gx.shape)
surface = ax3.plot_surface(gx, gy, F, cmap="viridis", linewidth=0, antialiased=True, alpha=0.9)
ax3.scatter(*X.T, y, color="k", s=25, depthshade=False)
fig.colorbar(surface, ax=ax3, shrink=0.6, label="f(x)")
style.label_axes(ax3, 3)
ax3.set_zlabel("f(x)")
ax3.view_init(elev=28, azim=-60)
ax3.set_title("the fitted function: affine on every cell")
plt.show()
