"""
Planes in 3-D from several sides, and turning
=============================================

A 3-D picture is read by turning it. The same globally optimal network as a
few planes through triples of training samples, seen from three sides with
equal scale on the three axes (so right angles and parallel planes look
right), and then as a turntable animation (``viz.save_animation`` writes it
as a GIF for slides).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

import geolasso as gl
import viz

rng = np.random.default_rng(4)
X = rng.uniform(-1, 1, (25, 3))
y = np.maximum(X @ [1.0, -1.0, 0.5], 0) - 0.5 * np.abs(X[:, 2])
model = gl.ConvexReLU(alpha=2e-2).fit(X, y)
print(f"{model.n_neurons_} neurons; exact: {model.exact_}")

fig = plt.figure(figsize=(18, 6.6), layout="constrained")
for k, (elev, azim) in enumerate(((25, -60), (25, 30), (75, -90)), start=1):
    ax = fig.add_subplot(1, 3, k, projection="3d")
    viz.plot_neurons(model, X, y, ax=ax, max_neurons=3, labels=k == 1)
    ax.view_init(elev=elev, azim=azim)
    ax.set_title(f"elevation {elev}°, azimuth {azim}°")
plt.show()

# %%
# The turntable: one frame every 10 degrees.
fig = plt.figure(figsize=(8, 7), layout="constrained")
ax = fig.add_subplot(projection="3d")
viz.plot_neurons(model, X, y, ax=ax, max_neurons=3)
ax.set_title("the three strongest neurons, turning")


def turn(frame):
    ax.view_init(elev=25, azim=-60 + 10 * frame)
    return []


turntable = FuncAnimation(fig, turn, frames=np.arange(36), interval=150)
plt.show()
