"""
A neuron is the line through two samples, step by step
======================================================

The four steps of the geometry, on two samples ``p`` and ``q`` of the plane:

1. the augmented samples ``p̃ = (p, 1)`` and ``q̃ = (q, 1)`` have a cross
   product ``p̃ × q̃ = (w, b)``; the line ``w·x + b = 0`` passes through both;
2. the neuron is active on one side of it, where ``w·x + b > 0``;
3. its feature is the ramp ``max(0, w·x + b)``, zero on the other side;
4. at a sample ``x`` that value is ``det[x̃; p̃; q̃]``: twice the signed area
   of the triangle ``(x, p, q)``.

The formula in the last panel is computed exactly by ``geolasso.symbolic``.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import sympy

import geolasso as gl
from geolasso import symbolic
from viz import style

p, q, r = np.array([0.0, 0.0]), np.array([4.0, 1.0]), np.array([1.0, 3.0])
w_b = gl.cross([[*p, 1.0], [*q, 1.0]])  # (w1, w2, b): the line through p and q
w, b = w_b[:2], w_b[2]
value_r = float(np.linalg.det([[*r, 1.0], [*p, 1.0], [*q, 1.0]]))
area_r = 0.5 * float((q - p)[0] * (r - p)[1] - (q - p)[1] * (r - p)[0])  # signed, (p, q, r)
print(f"p̃ × q̃ = {w_b}; det[r̃; p̃; q̃] = {value_r:g} = 2 × signed area {area_r:g}")

u = symbolic.cross([[*p.astype(int), 1], [*q.astype(int), 1]])  # exact, in sympy
x1, x2 = sympy.symbols("x_1 x_2")
formula = sympy.Matrix([[x1, x2, 1]]).dot(u)

lo, hi = np.array([-1.5, -2.0]), np.array([5.5, 4.5])
gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 300), np.linspace(lo[1], hi[1], 300))
pre = w[0] * gx + w[1] * gy + b

fig, axes = plt.subplots(2, 2, figsize=(12, 11), layout="constrained")
axes = axes.ravel()
for ax in axes:
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
    style.label_axes(ax)
for k, ax in enumerate(axes):
    first = k == 0  # one legend for what every panel shares
    name = "the neuron's line" if first else None
    ax.axline(p, q, color=style.WEIGHT_POSITIVE, lw=2.5, label=name)
    ax.plot(*np.array([p, q]).T, "ko", ms=8, label="samples p, q" if first else None, zorder=4)
axes[0].set_title("1. the line through p and q")
axes[0].annotate("p", p, xytext=(-14, 8), textcoords="offset points")
axes[0].annotate("q", q, xytext=(6, 8), textcoords="offset points")
axes[0].text(
    0.03, 0.05, f"p̃ × q̃ = ({w_b[0]:g}, {w_b[1]:g}, {w_b[2]:g})", transform=axes[0].transAxes
)

axes[1].contourf(gx, gy, pre > 0, levels=[0.5, 1.5], colors=[style.REGION_POSITIVE])
axes[1].annotate(
    "", xy=(2 + 0.3 * w[0], 0.3 * w[1]), xytext=(2, 0), arrowprops={"arrowstyle": "-|>", "lw": 2}
)
axes[1].text(2.15, 0.5 * 0.3 * w[1], "w", fontsize="large")
axes[1].set_title("2. active where w·x + b > 0")

ramp = axes[2].contourf(gx, gy, np.maximum(pre, 0.0), levels=20, cmap="Blues")
fig.colorbar(ramp, ax=axes[2], shrink=0.7, label="max(0, w·x + b)")
axes[2].set_title("3. the feature: a ramp")

tri = np.array([r, p, q])
tone = style.SIGN_POSITIVE if value_r > 0 else style.SIGN_NEGATIVE
axes[3].fill(*tri.T, color=tone, alpha=0.35, label=f"triangle (r, p, q): area {abs(area_r):g}")
axes[3].plot(*r, "o", color=tone, ms=9, zorder=4)
axes[3].annotate("r", r, xytext=(6, 6), textcoords="offset points")
axes[3].set_title("4. value at r = 2 · signed area")
axes[3].text(
    0.03,
    0.05,
    rf"$\det[\tilde x; \tilde p; \tilde q] = {sympy.latex(formula)}$"
    + "\n"
    + rf"at $r$: ${sympy.latex(formula.subs({x1: r[0], x2: r[1]}))} = 2 \cdot {area_r:g}$",
    transform=axes[3].transAxes,
)
axes[0].legend(loc="upper left")
axes[3].legend(loc="upper right")
plt.show()
