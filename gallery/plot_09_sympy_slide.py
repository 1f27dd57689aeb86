"""
A lecture slide: the neuron formula, derived exactly
====================================================

``geolasso.symbolic`` computes the hyperplane through two samples exactly and
prints it in LaTeX, which matplotlib's mathtext renders on a slide.
"""

# %%
import matplotlib.pyplot as plt
import sympy

from geolasso import symbolic

p, q = [0, 0], [4, 0]
r = [1, 3]
u = symbolic.cross([[*p, 1], [*q, 1]])
x1, x2 = sympy.symbols("x_1 x_2")
value = sympy.Matrix([[x1, x2, 1]]).dot(u)
fig, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
ax.axis("off")
lines = [
    r"$\tilde p = (0, 0, 1),\ \tilde q = (4, 0, 1)$",
    r"$\tilde p \times \tilde q = (" + ", ".join(sympy.latex(c) for c in u) + ")$",
    r"$\det[\tilde x; \tilde p; \tilde q] = " + sympy.latex(value) + "$",
    r"at $r = (1, 3)$: $"
    + sympy.latex(value.subs({x1: r[0], x2: r[1]}))
    + r" = 2 \cdot \mathrm{area}(r, p, q)$",
]
for k, text in enumerate(lines):
    ax.text(0.02, 0.85 - 0.22 * k, text, fontsize=16, transform=ax.transAxes)
plt.show()
