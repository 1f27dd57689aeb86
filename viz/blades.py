"""Wedges as parallelograms and parallelepipeds; features as signed areas and volumes."""

from __future__ import annotations

import numpy as np

from geolasso import algebra

from . import style
from ._axes import new_axes
from .style import SIGN_NEGATIVE as NEGATIVE
from .style import SIGN_POSITIVE as POSITIVE

__all__ = ["plot_wedge"]


def plot_wedge(vectors, x=None, *, ax=None, annotate=True):
    """The parallelogram (2-D) or parallelepiped (3-D) spanned by the vectors.

    Shaded in the sign palette of :mod:`viz.style` (blue: positive
    orientation, red: negative; a legend says so),
    annotated with the signed area or volume (the wedge's coefficient,
    :func:`geolasso.algebra.wedge`). With a sample ``x``, also the triangle
    (tetrahedron) with vertices ``x`` and the vectors' tips: the signed
    volume ``det[x̃; ṽ_1; …]`` of docs/mathematics.md §3.4 is the feature value of the
    neuron through the tips (twice the triangle's signed area in 2-D, six
    times the tetrahedron's volume in 3-D, up to the sign ``(−1)^d``).

    Parameters
    ----------
    vectors : array_like, shape (2, 2), (3, 3) or (2, 3)
        The vectors, one per row. Two vectors of R³ draw the bivector
        ``a ∧ b`` as their parallelogram in space with its Hodge dual, the
        cross product ``a × b`` (:func:`geolasso.cross`): normal to it, as
        long as its area.
    x : array_like, shape (2,) or (3,), optional
        A sample.
    ax : matplotlib Axes, optional
        Where to draw (3-D vectors need ``projection="3d"``); a new
        figure's Axes by default.
    annotate : bool, default=True
        Write the signed area or volume (and the feature value).

    Returns
    -------
    matplotlib Axes
    """
    V = np.asarray(vectors, dtype=float)
    if V.ndim != 2 or V.shape not in ((2, 2), (3, 3), (2, 3)):
        raise ValueError(
            "vectors must be 2 vectors of R^2, 3 of R^3 or 2 of R^3: shape (2, 2), (3, 3) or "
            f"(2, 3); got {V.shape}"
        )
    if not np.all(np.isfinite(V)):
        raise ValueError("vectors contain NaN or infinite values")
    if V.shape == (2, 3):
        if x is not None:
            raise ValueError("x is drawn with d vectors of R^d; a ∧ b of R^3 takes no sample")
        return _bivector_3d(V, ax, annotate)
    d = V.shape[0]
    vol = float(algebra.wedge(V)[0])
    color = POSITIVE if vol >= 0 else NEGATIVE
    value = None
    if x is not None:
        x = np.asarray(x, dtype=float).reshape(-1)
        if x.shape != (d,):
            raise ValueError(f"x must be a point of R^{d}; got shape {x.shape}")
        tilde = np.column_stack([np.vstack([x, V]), np.ones(d + 1)])
        value = float(np.linalg.det(tilde))
    if d == 2:
        ax = new_axes(ax)
        a, b = V
        poly = np.array([[0, 0], a, a + b, b])
        ax.fill(poly[:, 0], poly[:, 1], color=color, alpha=0.25, lw=0)
        ax.plot(*np.vstack([poly, poly[:1]]).T, color=color, lw=1)
        for v, name in ((a, "a"), (b, "b")):
            ax.annotate("", xy=v, xytext=(0, 0), arrowprops={"arrowstyle": "-|>", "color": "k"})
            ax.annotate(name, v, xytext=(4, 4), textcoords="offset points")
        pts = [poly]
        if x is not None:
            tri = np.array([x, a, b])
            tcolor = POSITIVE if value >= 0 else NEGATIVE
            ax.fill(tri[:, 0], tri[:, 1], facecolor="none", edgecolor=tcolor, hatch="//", lw=1.2)
            ax.plot(*x, "ko", ms=4)
            ax.annotate("x", x, xytext=(4, -10), textcoords="offset points")
            # the neuron whose feature this is: the line through the tips of a and b
            ax.axline(a, b, color="0.2", lw=1.2, ls=(0, (6, 3)), label="neuron: line through a, b")
            pts.append(tri)
        if annotate:
            text = f"a ∧ b = {vol:g} e₁₂  (signed area)"
            if value is not None:
                text += f"\ndet[x̃; ã; b̃] = {value:g} = 2 · signed area of (x, a, b)"
            ax.set_title(text, fontsize="medium")
        allp = np.vstack(pts)
        lo, hi = allp.min(axis=0), allp.max(axis=0)
        pad = 0.1 * float(np.max(hi - lo) or 1.0)
        ax.set_xlim(lo[0] - pad, hi[0] + pad)
        ax.set_ylim(lo[1] - pad, hi[1] + pad)
        ax.set_aspect("equal", adjustable="box")
        ax.axhline(0, color="0.85", lw=0.8, zorder=0)
        ax.axvline(0, color="0.85", lw=0.8, zorder=0)
        _finish(ax, d, "area")
        return ax
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    ax = new_axes(ax, projection="3d")
    a, b, c = V
    o = np.zeros(3)
    faces = [
        [o, a, a + b, b],
        [o, a, a + c, c],
        [o, b, b + c, c],
        [c, a + c, a + b + c, b + c],
        [b, a + b, a + b + c, b + c],
        [a, a + b, a + b + c, a + c],
    ]
    ax.add_collection3d(Poly3DCollection(faces, facecolor=color, alpha=0.2, edgecolor=color))
    for v, name in ((a, "a"), (b, "b"), (c, "c")):
        ax.quiver(0, 0, 0, *v, color="k", arrow_length_ratio=0.08)
        ax.text(*(1.05 * v), name)
    pts = np.array([o, a, b, c, a + b + c])
    if x is not None:
        tet = [[x, a, b], [x, a, c], [x, b, c], [a, b, c]]
        tcolor = POSITIVE if value >= 0 else NEGATIVE
        ax.add_collection3d(
            Poly3DCollection(tet, facecolor=tcolor, alpha=0.35, edgecolor="k", linewidth=0.6)
        )
        ax.scatter(*x, color="k", s=12)
        ax.text(*x, " x")
        pts = np.vstack([pts, x])
    if annotate:
        text = f"a ∧ b ∧ c = {vol:g} e₁₂₃  (signed volume)"
        if value is not None:
            text += f"\ndet[x̃; ã; b̃; c̃] = {value:g} = −6 · signed volume of (x, a, b, c)"
        ax.set_title(text, fontsize="medium")
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_zlim(lo[2], hi[2])
    ax.set_box_aspect(np.maximum(hi - lo, 1e-9), zoom=0.85)  # equal scale, labels inside
    _finish(ax, d, "volume")
    return ax


def _finish(ax, d, what):
    """Axis labels and the legend of the orientation colours."""
    from matplotlib.patches import Patch

    style.label_axes(ax, d)
    lines = [h for h in ax.get_lines() if not h.get_label().startswith("_")]
    ax.legend(
        handles=[
            Patch(facecolor=POSITIVE, alpha=0.35, label=f"positive signed {what}"),
            Patch(facecolor=NEGATIVE, alpha=0.35, label=f"negative signed {what}"),
            *lines,
        ],
        loc="best",
        framealpha=0.85,
    )


def _bivector_3d(V, ax, annotate):
    """``a ∧ b`` of two vectors of R³: their parallelogram and its dual ``a × b``."""
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    ax = new_axes(ax, projection="3d")
    a, b = V
    n = algebra.cross(V)  # the Hodge dual of a ∧ b: normal to it, its length the area
    area = float(np.linalg.norm(n))
    o = np.zeros(3)
    ax.add_collection3d(
        Poly3DCollection([[o, a, a + b, b]], facecolor=POSITIVE, alpha=0.3, edgecolor=POSITIVE)
    )
    for v, name in ((a, "a"), (b, "b")):
        ax.quiver(0, 0, 0, *v, color="k", arrow_length_ratio=0.08)
        ax.text(*(1.05 * v), name)
    ax.quiver(0, 0, 0, *n, color=NEGATIVE, arrow_length_ratio=0.08, label="a × b (its dual)")
    ax.text(*(1.05 * n), "a × b", color=NEGATIVE)
    if annotate:
        ax.set_title(
            f"a ∧ b: area {area:.3g}; a × b = ({n[0]:.2f}, {n[1]:.2f}, {n[2]:.2f})",
            fontsize="medium",
        )
    pts = np.array([o, a, b, a + b, n])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = 0.05 * float(np.max(hi - lo))
    lo, hi = lo - pad, hi + pad
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_zlim(lo[2], hi[2])
    ax.set_box_aspect(hi - lo, zoom=0.85)  # equal scale: the dual is visibly normal
    style.label_axes(ax, 3)
    from matplotlib.patches import Patch

    ax.legend(
        handles=[
            Patch(facecolor=POSITIVE, alpha=0.35, label="a ∧ b (oriented area)"),
            Patch(facecolor=NEGATIVE, label="a × b, its Hodge dual"),
        ],
        loc="upper left",
        framealpha=0.85,
    )
    return ax
